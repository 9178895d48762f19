"""Taking photos in: check every file, scrub and resize it, store it, record it.

All files of one request are checked before anything is stored; stored
files are deleted again if the request fails, so a rejected upload leaves
nothing behind. When even that delete fails (the storage is down), the
orphan sweep removes the files later: :func:`sweep_orphans`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.database import as_utc, utcnow
from advocacy.errors import Message, NotFound, Rejected
from advocacy.media.models import MediaAsset, MediaKind, MediaStatus, VideoUpload
from advocacy.media.photos import PhotoRejected, ProcessedPhoto, process_photo
from advocacy.media.storage import check_key, new_key, storage
from advocacy.queue import enqueue
from advocacy.signals import media_added
from advocacy.stories.models import Story

log = logging.getLogger(__name__)

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}

#: Every photo file's key starts with this.
PHOTO_PREFIX = "photos"
#: A video's web version and its poster's renditions (the original upload is the upload
#: layer's, under ``uploads/``, and is referenced by ``original_key`` until it is deleted).
VIDEO_PREFIX = "videos"

#: Uploads on their way in (advocacy/uploads): tus files and staged tails, and originals.
UPLOAD_PREFIX = "uploads"

#: Where the orphan sweep looks: the prefixes of every kind of file the hub stores.
SWEPT_PREFIXES = (PHOTO_PREFIX, VIDEO_PREFIX, UPLOAD_PREFIX)

#: Files younger than this are never swept: their request may still be storing its row.
SWEEP_GRACE = timedelta(hours=1)

REMOVED_LABELS: dict[str, Message] = {
    "location": _l("location"),
    "camera": _l("camera make, model and serial numbers"),
    "datetime": _l("the time it was taken"),
    "faces": _l("marked faces"),
    "xmp": _l("editing data (XMP)"),
    "iptc": _l("captions and credits (IPTC)"),
    "comment": _l("comments"),
    "exif": _l("other camera data (EXIF)"),
    "thumbnail": _l("an embedded preview image"),
    # videos (advocacy.media.video)
    "software": _l("the phone's system and app versions"),
    "tags": _l("titles, comments and other labels"),
    "extra_tracks": _l("extra data tracks (phones keep the location there too)"),
}


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo that passed every check and waits to be stored."""

    display_name: str
    size: int
    photo: ProcessedPhoto


def display_name(filename: str | None) -> str:
    """The user's file name, safe to show: control characters dropped, shortened."""
    name = "".join(ch for ch in (filename or "") if ch.isprintable())
    return (name[:60] + "…") if len(name) > 61 else name or str(_l("photo"))


def check_filename(filename: str) -> None:
    """Refuse names that try path tricks; names are never used for storage anyway."""
    bad = "\x00" in filename or "/" in filename or "\\" in filename or filename in {".", ".."}
    if bad or any(ord(ch) < 32 for ch in filename):
        raise Rejected(
            "invalid_filename",
            _l("The file name “%(name)s” is not allowed. Rename the file and try again.",
               name=display_name(filename.replace("\x00", ""))),
            status=400,
            field="photos",
        )


def chosen_files(files: Sequence[FileStorage]) -> list[FileStorage]:
    """The files the user actually picked (browsers send an empty part for an empty input)."""
    return [f for f in files if f.filename or _has_content(f)]


def _has_content(file: FileStorage) -> bool:
    position = file.stream.tell()
    first = file.stream.read(1)
    file.stream.seek(position)
    return bool(first)


def _photo_error(exc: PhotoRejected, name: str) -> Rejected:
    max_pixels = exc.details.get("max_pixels", current_app.config["MAX_PIXELS"])
    messages: dict[str, tuple[int, Message]] = {
        "empty": (422, _l("“%(name)s” is empty (0 bytes).", name=name)),
        "svg": (415, _l("“%(name)s” is an SVG drawing. Upload a photo: JPEG, PNG, WebP or HEIC.",
                        name=name)),
        "unsupported_format": (415, _l(
            "“%(name)s” is a %(format)s image. Upload a photo: JPEG, PNG, WebP or HEIC.",
            name=name, format=exc.details.get("format", "?"))),
        "not_an_image": (415, _l(
            "“%(name)s” is not a photo: its content is not a JPEG, PNG, WebP or HEIC image, "
            "whatever its name says.", name=name)),
        "truncated": (422, _l(
            "“%(name)s” is damaged or incomplete. Export or copy it again and retry.",
            name=name)),
        "too_many_pixels": (422, _l(
            "“%(name)s” is %(width)s × %(height)s pixels; at most %(mp)s megapixels are accepted.",
            name=name, width=exc.details.get("width"), height=exc.details.get("height"),
            mp=int(max_pixels) // 1_000_000)),  # type: ignore[call-overload]
    }
    status, message = messages.get(exc.code, (422, _l("“%(name)s” cannot be used.", name=name)))
    return Rejected(f"photo_{exc.code}", message, status=status, field="photos",
                    details={"file": name, **exc.details})


def check_photos(files: Sequence[FileStorage], already: int) -> list[CheckedPhoto]:
    """Check, scrub and resize every chosen file, or reject the lot with the first problem."""
    files = chosen_files(files)
    limit = current_app.config["MAX_PHOTOS"]
    if already + len(files) > limit:
        raise Rejected("too_many_files",
                       _l("A story can have at most %(n)d photos.", n=limit),
                       field="photos", details={"limit": limit})
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    checked = []
    for file in files:
        check_filename(file.filename or "")
        name = display_name(file.filename)
        data = file.stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise Rejected("file_too_large",
                           _l("“%(name)s” is larger than %(mb)d MB.", name=name,
                              mb=max_bytes // (1024 * 1024)),
                           status=413, field="photos", details={"limit": max_bytes})
        try:
            photo = process_photo(io.BytesIO(data), max_pixels=current_app.config["MAX_PIXELS"])
        except PhotoRejected as exc:
            raise _photo_error(exc, name) from None
        checked.append(CheckedPhoto(name, len(data), photo))
    return checked


def store_photos(story: Story, photos: Sequence[CheckedPhoto], actor: User,
                 *, consent: bool) -> list[MediaAsset]:
    """Store checked photos on ``story``; their files go again if the request fails.

    Every file is stored before any row is made, so a storage failure
    (:class:`~advocacy.media.storage.StorageUnavailable`, let through) leaves the story as
    it was.
    """
    store = storage()
    stored: list[tuple[CheckedPhoto, dict[str, dict[str, object]]]] = []
    for checked in photos:
        renditions = {}
        for name, rendition in checked.photo.renditions.items():
            key = new_key(PHOTO_PREFIX, name, EXTENSIONS.get(rendition.content_type, "bin"))
            db.on_rollback(lambda key=key: store.delete(key))  # type: ignore[misc]
            store.put(key, rendition.data, rendition.content_type)
            renditions[name] = {
                "key": key, "content_type": rendition.content_type,
                "width": rendition.width, "height": rendition.height,
                "bytes": len(rendition.data),
            }
        stored.append((checked, renditions))
    assets = []
    position = max((m.position for m in story.media), default=-1) + 1
    for checked, renditions in stored:
        asset = MediaAsset(
            story=story, kind="photo", position=position,
            source_format=checked.photo.source_format,
            width=checked.photo.width, height=checked.photo.height, bytes=checked.size,
            renditions=renditions, removed_metadata=list(checked.photo.removed),
            created_by_id=actor.id,
        )
        if consent:
            asset.consent_confirmed_at = utcnow()
            asset.consent_confirmed_by_id = actor.id
        position += 1
        db.session.add(asset)
        assets.append(asset)
    db.session.flush()
    for asset in assets:
        media_added.send(asset, actor=actor)
    return assets


def confirm_consent(story: Story, actor: User, consent: bool) -> None:
    """Record (or withdraw) the author's statement that the people shown agreed."""
    for asset in story.media:
        if consent and asset.consent_confirmed_at is None:
            asset.consent_confirmed_at = utcnow()
            asset.consent_confirmed_by_id = actor.id
        elif not consent:
            asset.consent_confirmed_at = None
            asset.consent_confirmed_by_id = None


def remove_photo(story: Story, asset_id: int) -> None:
    """Take a photo or a video off a story; its files are deleted once that is committed
    (a video still uploading or processing too: its upload and its task find it gone)."""
    asset = next((m for m in story.media if m.id == asset_id), None)
    if asset is None:
        raise NotFound()
    _delete_after_commit(asset.keys)
    story.media.remove(asset)


def _delete_after_commit(keys: Sequence[str]) -> None:
    store = storage()
    for key in keys:
        db.after_commit(lambda key=key: store.delete(key))  # type: ignore[misc]


# --- videos -----------------------------------------------------------------------------


def format_bytes(size: int) -> str:
    """A file size in words, in the reader's notation: "850 MB", "1.5 GB"."""
    from flask_babel import format_decimal

    if size >= 1024**3:
        return f"{format_decimal(round(size / 1024**3, 1))} GB"
    return f"{format_decimal(max(0.1, round(size / 1024**2, 1)))} MB"


def duration_words(seconds: float) -> str:
    """A length in words, exact enough to compare with a limit: "6 minutes", "3 minutes
    10 seconds", "45 seconds"."""
    minutes, rest = divmod(round(seconds), 60)
    parts = []
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    if rest or not minutes:
        parts.append(ngettext("%(num)d second", "%(num)d seconds", rest))
    return " ".join(str(part) for part in parts)


def clock(seconds: float | None) -> str:
    """A video's length as players show it: "0:32", "2:05", "1:02:09"."""
    if seconds is None:
        return ""
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


def video_error(code: str | None, params: dict[str, Any] | None) -> str:
    """Why a video failed, for its author: what is wrong and what to do, with its figures.

    ``code`` is one of :class:`advocacy.media.video.VideoRejected`'s, or one of the worker's
    (``processing_failed``, ``original_lost``, see :mod:`advocacy.media.tasks`)."""
    p = params or {}
    if code == "empty":
        return str(_l("This video file is empty (0 bytes). Upload it again."))
    if code == "too_large":
        return str(_l("This video is %(size)s; the hub takes videos up to %(max)s.",
                      size=format_bytes(int(p.get("size", 0))),
                      max=format_bytes(int(p.get("max_bytes", 0)))))
    if code == "not_a_video" and p.get("format"):
        return str(_l("This file is a %(format)s picture, not a video. Add it as a photo "
                      "instead.", format=p["format"]))
    if code == "not_a_video":
        return str(_l("This file is not a video the hub can open. Upload a video as your "
                      "phone or camera recorded it (MP4, MOV or WebM)."))
    if code == "truncated":
        return str(_l("This video is incomplete: the file was cut short, perhaps while it was "
                      "copied. Upload it again from the phone or camera that recorded it."))
    if code == "no_video":
        return str(_l("This file has sound but no picture. Upload a video."))
    if code == "too_many_pixels":
        max_pixels = int(p.get("max_pixels", current_app.config["MAX_PIXELS"]))
        return str(_l("This video is %(width)s × %(height)s pixels; the hub takes up to "
                      "%(mp)s megapixels. Export it at 4K or less and upload it again.",
                      width=p.get("width"), height=p.get("height"),
                      mp=max_pixels // 1_000_000))
    if code == "too_long":
        return str(_l("This video is %(duration)s long; the hub takes up to %(max)s. Trim it "
                      "and upload it again.",
                      duration=duration_words(float(p.get("duration", 0))),
                      max=duration_words(float(p.get("max_seconds",
                                                       current_app.config["MAX_VIDEO_SECONDS"])))))
    if code == "undecodable":
        return str(_l("The pictures in this video cannot be decoded. Export it as an MP4 "
                      "(H.264) and upload it again."))
    if code == "original_lost":
        return str(_l("The uploaded file was lost before it could be processed. Remove this "
                      "video and upload it again."))
    return str(_l("The hub could not convert this video. Export it as an MP4 (H.264) and "
                  "upload it again, or remove it."))


def video_count(story: Story) -> int:
    return sum(1 for m in story.media if m.kind == MediaKind.VIDEO)


def _source_format(filetype: str | None) -> str:
    """What the client said the file is ("video/quicktime" -> "quicktime"), only to show
    while it uploads: processing replaces it with the format found in the bytes."""
    subtype = (filetype or "").partition(";")[0].rpartition("/")[2].strip().lower()
    cleaned = "".join(ch for ch in subtype if ch.isascii() and (ch.isalnum() or ch in ".+-"))
    return cleaned[:16] or "video"


def start_video(story: Story, actor: User, *, filetype: str | None, length: int) -> MediaAsset:
    """A video item on ``story``, shown as uploading while its bytes arrive (the upload
    layer calls this when an upload is created, before any byte).

    Only the author of a story they may edit now adds videos (anyone else: 404, so nobody
    learns about others' stories; the author of a story in review: 409). The story row is
    not touched, so a story form open beside the upload still saves.
    """
    from advocacy.stories.operations import require_editable  # stories import this module

    require_editable(actor, story)
    limit = current_app.config["MAX_VIDEOS"]
    if video_count(story) >= limit:
        raise Rejected("too_many_videos",
                       ngettext("A story can have at most %(num)d video. Remove it to add "
                                "another.",
                                "A story can have at most %(num)d videos. Remove one to add "
                                "another.", limit),
                       status=409, field="videos", details={"limit": limit})
    max_bytes = current_app.config["MAX_VIDEO_BYTES"]
    if length > max_bytes:
        raise Rejected("too_large",
                       _l("This video is %(size)s; the hub takes videos up to %(max)s.",
                          size=format_bytes(length), max=format_bytes(max_bytes)),
                       status=413, field="videos",
                       details={"max_bytes": max_bytes, "length": length})
    if length <= 0:
        raise Rejected("empty_file", _l("This video file is empty (0 bytes)."),
                       field="videos")
    position = max((m.position for m in story.media), default=-1) + 1
    asset = MediaAsset(
        story=story, kind=MediaKind.VIDEO, status=MediaStatus.UPLOADING, position=position,
        source_format=_source_format(filetype), width=0, height=0, bytes=length,
        renditions={}, removed_metadata=[], created_by_id=actor.id,
    )
    if story.consent_confirmed:  # the author's statement covers the story's media
        asset.consent_confirmed_at = utcnow()
        asset.consent_confirmed_by_id = actor.id
    db.session.add(asset)
    db.session.flush()
    media_added.send(asset, actor=actor)
    return asset


def video_uploaded(asset: MediaAsset, key: str) -> None:
    """The upload of ``asset`` is complete at ``key``: queue its processing.

    The task is queued once this is committed, so the worker finds the row as it is now.
    """
    from advocacy.media.tasks import process_video  # the tasks import this module

    check_key(key)
    asset.original_key = key
    asset.status = MediaStatus.PROCESSING
    asset.processing_started_at = utcnow()
    asset.error_code = asset.error_params = None
    db.session.flush()
    asset_id = asset.id
    db.after_commit(lambda: enqueue(process_video, asset_id))


def cancel_video(asset: MediaAsset) -> None:
    """The upload of ``asset`` was terminated or expired: the item goes, and any stored
    object of it once that is committed (the upload layer removes its own parts)."""
    _delete_after_commit(asset.keys)
    asset.story.media.remove(asset)
    db.session.flush()


def removed_summary(assets: Sequence[MediaAsset]) -> list[str]:
    """What was scrubbed from these photos, in the reader's language, without repeats."""
    codes = sorted({code for asset in assets for code in asset.removed_metadata})
    return [str(REMOVED_LABELS.get(code, code)) for code in codes]


@dataclass
class SweepReport:
    """What :func:`sweep_orphans` found and did."""

    #: files without a row, older than the grace period: removed (or, dry run, to remove)
    removed: list[str] = field(default_factory=list)
    #: files without a row, younger than the grace period: left for their request
    recent: list[str] = field(default_factory=list)
    #: (asset id, key) of rows whose file is missing
    missing: list[tuple[int, str]] = field(default_factory=list)


def _referenced_keys() -> dict[str, int]:
    """Every key a MediaAsset row refers to (every rendition, a waiting original), with the
    row's id."""
    keys: dict[str, int] = {}
    for asset_id, renditions, original in db.session.execute(
            select(MediaAsset.id, MediaAsset.renditions, MediaAsset.original_key)):
        for rendition in (renditions or {}).values():
            keys[rendition["key"]] = asset_id
        if original:  # a video's upload waiting for its worker
            keys[original] = asset_id
    return keys


def _upload_keys() -> set[str]:
    """Every object an unfinished or recent upload row names (a file being written, a staged
    tail): not orphans, though no item refers to them yet, nor missing when absent (an S3
    multipart upload is no object until it is complete)."""
    keys: set[str] = set()
    for key, tail_key in db.session.execute(select(VideoUpload.key, VideoUpload.tail_key)):
        keys.add(key)
        if tail_key:
            keys.add(tail_key)
    return keys


def sweep_orphans(*, dry_run: bool = False, now: datetime | None = None) -> SweepReport:
    """Remove stored photo files that no row refers to once they are older than
    :data:`SWEEP_GRACE` (left behind when a request failed and the storage was down for
    its clean-up), and report rows whose files are missing (which should never happen;
    those rows are kept). With ``dry_run`` nothing is removed."""
    moment = now or utcnow()
    store = storage()
    report = SweepReport()
    # Rows first: a file stored after this read is younger than the grace period.
    referenced = _referenced_keys()
    uploading = _upload_keys()
    present = set()
    for stored in (found for prefix in SWEPT_PREFIXES for found in store.objects(prefix)):
        present.add(stored.key)
        if stored.key in referenced or stored.key in uploading:
            continue
        if moment - as_utc(stored.modified) < SWEEP_GRACE:
            report.recent.append(stored.key)
            continue
        if not dry_run:
            store.delete(stored.key)
            log.info("orphan sweep: removed %s (stored %s, no photo refers to it)",
                     stored.key, stored.modified.isoformat())
        report.removed.append(stored.key)
    # Again: a photo removed (row and files) while the storage was listed is not missing.
    still = _referenced_keys()
    for key, asset_id in sorted(referenced.items(), key=lambda item: (item[1], item[0])):
        listed = key.split("/", 1)[0] in SWEPT_PREFIXES
        if listed and key not in present and still.get(key) == asset_id:
            log.error("orphan sweep: photo %d refers to %s, which is not in the storage",
                      asset_id, key)
            report.missing.append((asset_id, key))
    return report
