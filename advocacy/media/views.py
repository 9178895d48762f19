"""Serving media with a per-object check: local files streamed, S3 objects by presigned URL.

A storage that is down answers 503 (:class:`StorageUnavailable`), never a hanging request.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from advocacy import database as db
from advocacy.errors import NotFound
from advocacy.media.models import MediaAsset, MediaStatus
from advocacy.media.operations import clock, removed_summary, video_error
from advocacy.media.storage import StorageUnavailable, iter_chunks, storage
from advocacy.security import accepts_token, public, requires
from advocacy.stories import operations as stories
from advocacy.stories.operations import story_for

blueprint = Blueprint("media", __name__)
blueprint.add_app_template_filter(clock, "clock")


@blueprint.app_context_processor
def _media_helpers() -> dict[str, object]:
    return {"video_error": lambda asset: video_error(asset.error_code, asset.error_params),
            "MediaStatus": MediaStatus}


@blueprint.route("/stories/<id:story_id>/media")
@requires()
def story_media(story_id: int) -> Response:
    """The story's media items with their state, for the story form to follow a video's
    processing without reloading (the API's media items, and what was removed)."""
    from advocacy.api.serializers import media_json  # the API imports the features

    story = story_for(current_user, story_id)
    body: dict[str, Any] = {
        "story": story.id,
        "media": [media_json(asset) for asset in story.media],
        "removed_metadata": removed_summary(story.media),
        "pending": any(asset.status in (MediaStatus.UPLOADING, MediaStatus.PROCESSING)
                       for asset in story.media),
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.route("/stories/<id:story_id>/media/<id:media_id>/remove", methods=["POST"])
@requires()
def remove(story_id: int, media_id: int) -> BaseResponse:
    """The story page's "Remove video" (and photo) button: the item and its files go."""
    story = story_for(current_user, story_id)
    stories.require_editable(current_user, story)
    asset = next((asset for asset in story.media if asset.id == media_id), None)
    if asset is None:
        raise NotFound()
    video = asset.is_video
    stories.update_story(current_user, story, remove_media=[media_id])
    flash(_("The video is removed.") if video else _("The photo is removed."), "success")
    return redirect(url_for("stories.detail", story_id=story.id))


@blueprint.route("/media/<id:asset_id>/<rendition>")
@public  # per-object: public once the story is approved, else its author and curators
@accepts_token
def file(asset_id: int, rendition: str) -> BaseResponse:
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None or not asset.story.can_view(current_user):
        raise NotFound()
    stored = asset.rendition(rendition)
    if stored is None:
        raise NotFound()
    store = storage()
    url = store.presigned_url(stored["key"], stored["content_type"])
    if url is not None:
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    path = store.local_path(stored["key"])
    if path is not None and not path.is_file():
        raise NotFound()
    try:
        if path is not None:
            response = send_file(path, mimetype=stored["content_type"], conditional=True,
                                 max_age=300)
        else:
            response = Response(iter_chunks(store.open(stored["key"])),
                                mimetype=stored["content_type"])
    except FileNotFoundError:
        raise NotFound() from None
    except OSError as exc:  # the disk under the uploads is failing
        raise StorageUnavailable() from exc
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
