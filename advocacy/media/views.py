"""Serving media with a per-object check: local files streamed, S3 objects by presigned URL.

A storage that is down answers 503 (:class:`StorageUnavailable`), never a hanging request.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, send_file
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from advocacy import database as db
from advocacy.errors import NotFound
from advocacy.media.models import MediaAsset
from advocacy.media.storage import StorageUnavailable, iter_chunks, storage
from advocacy.security import accepts_token, public

blueprint = Blueprint("media", __name__)


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
