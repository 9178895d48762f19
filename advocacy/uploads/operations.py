"""Taking a video's bytes in, resumably, and handing the finished file to the media pipeline.

Two ways in, one row (:class:`~advocacy.media.models.VideoUpload`) each:

* **tus 1.0** through the hub. With local storage a PATCH appends its body to the file at
  the upload's offset, read in 1 MiB pieces, and the offset moves only once the bytes are
  on disk. With S3 the bytes are staged as the parts of a multipart upload (tusd's s3store
  design): full parts of :data:`PART_SIZE` go up while the body is read; what is left at
  the end of a PATCH, shorter than a part, waits as a small *tail* object that the next
  PATCH reads back first. Completion sends the last part and completes the upload.
* **presigned multipart** (S3 only): the browser PUTs parts straight to the bucket with
  URLs the hub signs, and asks the hub to complete.

A connection dropped in the middle of a PATCH keeps what arrived: the offset says so, and
the client resumes from there. An upload nobody finishes expires
(:func:`remove_expired_uploads`, hourly): its bytes, its multipart upload and its
"uploading" media item go.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import math
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.exceptions import ClientDisconnected

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.database import as_utc, utcnow
from advocacy.errors import Conflict, NotFound, Rejected
from advocacy.media.models import MediaAsset, MediaStatus, UploadProtocol, VideoUpload
from advocacy.media.operations import UPLOAD_PREFIX, cancel_video, start_video, video_uploaded
from advocacy.media.storage import S3Storage, new_key, storage
from advocacy.stories.models import Story

log = logging.getLogger(__name__)

#: Size of the multipart parts (S3's minimum is 5 MiB, except for the last part).
PART_SIZE = 8 * 1024 * 1024
#: S3 allows at most this many parts in one upload.
MAX_PARTS = 10_000
#: How much of a request body is read at once: memory stays flat whatever the file's size.
#: Not less: gunicorn copies what it buffered on every read (it receives up to 1 MiB at a
#: time), and 64 KiB reads made the body several times slower to take in.
READ_SIZE = 1024 * 1024
TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = ("creation", "termination", "expiration", "checksum")
CHECKSUM_ALGORITHMS = ("sha1",)
#: Lifetime of a presigned part URL: long enough for a slow phone to send one part.
PART_URL_SECONDS = 600
#: A multipart upload in the bucket without a row is aborted only when older than this:
#: the request that started it may still be storing its row.
ORPHAN_GRACE = timedelta(hours=1)

#: Declared types kept as the file's extension and content type (anything else is stored
#: as .bin: the pipeline looks at the bytes, never at the name).
VIDEO_TYPES = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm",
               "video/x-matroska": "mkv", "video/3gpp": "3gp", "video/x-m4v": "m4v"}


def expiry_hours() -> int:
    return int(current_app.config["UPLOAD_EXPIRY_HOURS"])


def _expires(moment: datetime | None = None) -> datetime:
    return (moment or utcnow()) + timedelta(hours=expiry_hours())


def content_type_of(filetype: str | None) -> str:
    clean = (filetype or "").lower()
    return clean if clean in VIDEO_TYPES else "application/octet-stream"


def part_size_for(length: int) -> int:
    """The part size of a presigned multipart upload of ``length`` bytes: :data:`PART_SIZE`,
    doubled until the file fits in :data:`MAX_PARTS` parts."""
    size = PART_SIZE
    while math.ceil(length / size) > MAX_PARTS:
        size *= 2
    return size


def parts_count(upload: VideoUpload) -> int:
    return max(1, math.ceil(upload.length / part_size_for(upload.length)))


# -- creating, finding and ending uploads -------------------------------------------------


def _create(actor: User, story_id: int, *, length: int, filetype: str | None,
            protocol: UploadProtocol) -> VideoUpload:
    """A new upload for ``actor``'s story: the "uploading" item first (which checks the
    author, the story's room and the size), then the place for its bytes."""
    story = db.session.get(Story, story_id)
    if story is None:
        raise NotFound()
    asset = start_video(story, actor, filetype=filetype, length=length)
    key = new_key(UPLOAD_PREFIX, "original", VIDEO_TYPES.get(content_type_of(filetype), "bin"))
    store = storage()
    multipart_id = None
    if isinstance(store, S3Storage):
        multipart_id = store.create_multipart(key, content_type_of(filetype))
        db.on_rollback(lambda: store.abort_multipart(key, multipart_id))
    upload = VideoUpload(
        id=secrets.token_hex(16), protocol=protocol, story_id=story.id, user_id=actor.id,
        media_id=asset.id, length=length, offset=0, filetype=(filetype or "")[:100] or None,
        key=key, multipart_id=multipart_id, parts=[], tail_key=None, expires_at=_expires(),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def create_tus_upload(actor: User, story_id: int, *, length: int,
                      filetype: str | None) -> VideoUpload:
    """tus creation: nothing is stored yet (on S3 a multipart upload is started)."""
    return _create(actor, story_id, length=length, filetype=filetype,
                   protocol=UploadProtocol.TUS)


def create_s3_upload(actor: User, story_id: int, *, length: int,
                     filetype: str | None) -> VideoUpload:
    """A multipart upload the browser sends its parts to directly (S3 storage only)."""
    if not isinstance(storage(), S3Storage):
        raise Conflict("use_tus", _l("This hub keeps its files itself: upload the video with "
                                     "tus at /api/v1/uploads."))
    return _create(actor, story_id, length=length, filetype=filetype,
                   protocol=UploadProtocol.S3_MULTIPART)


def upload_for(actor: User, upload_id: str) -> VideoUpload:
    """``actor``'s own upload; anyone else's, or one that expired and was removed, is not
    found. One that expired but is not removed yet is gone (410)."""
    upload = db.session.get(VideoUpload, upload_id) if len(upload_id) == 32 else None
    if upload is None or upload.user_id != actor.id:
        raise NotFound()
    if upload.completed_at is None and as_utc(upload.expires_at) <= utcnow():
        raise Rejected("upload_expired",
                       _l("This upload has expired. Add the video again to start over."),
                       status=410)
    return upload


def _asset_of(upload: VideoUpload) -> MediaAsset:
    """The item still waiting for these bytes; removed from the story meanwhile: not found."""
    asset = db.session.get(MediaAsset, upload.media_id) if upload.media_id else None
    if asset is None or (upload.completed_at is None and asset.status != MediaStatus.UPLOADING):
        raise NotFound(_l("This video was removed from its story."))
    return asset


def _remove_bytes(key: str, multipart_id: str | None, tail_key: str | None) -> None:
    """Drop what an upload stored so far: the multipart upload, a staged tail, the file."""
    store = storage()
    if multipart_id is not None and isinstance(store, S3Storage):
        store.abort_multipart(key, multipart_id)
    if tail_key:
        store.delete(tail_key)
    if multipart_id is None:  # local: the partial file (on S3 it exists only once complete)
        store.delete(key)


def terminate(upload: VideoUpload) -> None:
    """tus termination / aborting a presigned upload: the bytes and the "uploading" item go
    (the bytes once this is committed)."""
    if upload.completed_at is not None:
        raise Conflict("upload_completed", _l("This upload is complete. Remove the video from "
                                              "the story instead."))
    asset = db.session.get(MediaAsset, upload.media_id) if upload.media_id else None
    if asset is not None and asset.status == MediaStatus.UPLOADING:
        cancel_video(asset)
    stored = (upload.key, upload.multipart_id, upload.tail_key)
    db.session.delete(upload)
    db.session.flush()
    db.after_commit(lambda: _remove_bytes(*stored))


# -- tus PATCH ------------------------------------------------------------------------------


@dataclass
class Body:
    """A request body read in :data:`READ_SIZE` pieces, at most ``limit`` bytes.

    A dropped connection ends it early (what arrived counts). With ``exact`` the body is
    known to be ``limit`` bytes (its Content-Length, already checked), so not a byte more is
    asked for; otherwise a body longer than ``limit`` is noted as ``overflow``.
    """

    stream: IO[bytes]
    limit: int
    exact: bool = False
    checksum: str | None = None  # the algorithm of an Upload-Checksum
    received: int = 0
    disconnected: bool = False
    overflow: bool = False
    _digest: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.checksum is not None:
            self._digest = hashlib.new(self.checksum, usedforsecurity=False)

    def _read(self, size: int) -> bytes:
        try:
            return self.stream.read(size)
        except (ClientDisconnected, OSError):  # werkzeug / gunicorn: the client went away
            self.disconnected = True
            return b""

    def __iter__(self) -> Iterator[bytes]:
        while self.received < self.limit:
            chunk = self._read(min(READ_SIZE, self.limit - self.received))
            if not chunk:
                self.disconnected = self.disconnected or self.exact
                return
            self.received += len(chunk)
            if self._digest is not None:
                self._digest.update(chunk)
            yield chunk
        if not self.exact:
            self.overflow = bool(self._read(1))

    def matches(self, expected: bytes) -> bool:
        return self._digest is not None and hmac.compare_digest(self._digest.digest(),
                                                                expected)


def _too_many_bytes(upload: VideoUpload) -> Rejected:
    return Rejected("too_large",
                    _l("This upload was declared as %(length)s bytes; more were sent.",
                       length=upload.length),
                    status=413, details={"length": upload.length, "offset": upload.offset})


def _wrong_offset(upload: VideoUpload, sent: int) -> Conflict:
    return Conflict("offset_mismatch",
                    _l("This upload is at byte %(offset)s, not at byte %(sent)s. Ask for its "
                       "offset (HEAD) and continue from there.", offset=upload.offset,
                       sent=sent),
                    offset=upload.offset)


def receive_chunk(upload: VideoUpload, *, offset: int, stream: IO[bytes],
                  content_length: int | None,
                  checksum: tuple[str, bytes] | None = None) -> VideoUpload:
    """tus PATCH: the bytes of ``stream`` at ``offset``; completes the upload when its last
    byte arrived. With a ``content_length``, exactly that many bytes are read from
    ``stream`` (so it may be the server's raw input). Bytes past the declared length are refused (413) and nothing of this
    request is kept; so are the bytes of a request whose checksum does not match (460)."""
    if upload.protocol != UploadProtocol.TUS:
        raise Conflict("not_tus", _l("This upload sends its parts straight to the storage."))
    if offset != upload.offset:
        raise _wrong_offset(upload, offset)
    remaining = upload.length - upload.offset
    if content_length is not None and content_length > remaining:
        raise _too_many_bytes(upload)
    if upload.completed_at is not None:
        return upload  # nothing left to send, and nothing was sent
    asset = _asset_of(upload)
    body = Body(stream, remaining if content_length is None else content_length,
                exact=content_length is not None, checksum=checksum[0] if checksum else None)
    store = storage()
    if isinstance(store, S3Storage):
        parts, tail = _stage_parts(store, upload, body)
    else:
        store.append(upload.key, offset, body)
        parts, tail = [], bytearray()
    refused: Rejected | None = None
    if body.overflow:
        refused = _too_many_bytes(upload)
    elif checksum is not None and (body.disconnected or not body.matches(checksum[1])):
        refused = Rejected("checksum_mismatch",
                           _l("The bytes that arrived do not match their checksum. Send them "
                              "again."), status=460)
    if refused is not None:
        # Nothing of this request counts: a file is cut back; parts past the recorded ones
        # are sent again (and so replaced) by the next request.
        if not isinstance(store, S3Storage):
            store.truncate(upload.key, offset)
        raise refused
    if body.received == 0:
        return upload
    new_offset = offset + body.received
    done = new_offset == upload.length
    tail_key = upload.tail_key
    if isinstance(store, S3Storage):
        tail_key = _keep_tail(store, upload, new_offset, tail, done)
    moment = utcnow()
    # Compare and set: of two requests racing from the same offset only one moves it.
    moved = db.session.execute(
        update(VideoUpload)
        .where(VideoUpload.id == upload.id, VideoUpload.offset == offset)
        .values(offset=new_offset, parts=parts, tail_key=tail_key,
                expires_at=_expires(moment), completed_at=moment if done else None)
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(upload)
        raise _wrong_offset(upload, offset)
    db.session.refresh(upload)
    if done:
        if isinstance(store, S3Storage):
            _complete_staged(store, upload, tail)
        video_uploaded(asset, upload.key)
    return upload


def _multipart_id(upload: VideoUpload) -> str:
    if upload.multipart_id is None:
        raise RuntimeError(f"upload {upload.id} has no multipart upload")
    return upload.multipart_id


def _stage_parts(store: S3Storage, upload: VideoUpload,
                 body: Body) -> tuple[list[dict[str, Any]], bytearray]:
    """Send full parts while the body is read; the parts now stored and what is left over
    (the previous tail first). One part's worth of memory per request."""
    buffer = bytearray()
    if upload.tail_key:
        try:
            with contextlib.closing(store.open(upload.tail_key)) as tail:
                buffer += tail.read()
        except FileNotFoundError:
            log.error("upload %s: its staged tail %s is missing", upload.id, upload.tail_key)
            raise Conflict("tail_missing", _l("Part of this upload was lost. Add the video "
                                              "again to start over.")) from None
    parts = list(upload.parts)
    if sum(p["size"] for p in parts) + len(buffer) != upload.offset:
        log.error("upload %s: its parts and tail do not add up to offset %d", upload.id,
                  upload.offset)
        raise Conflict("tail_missing", _l("Part of this upload was lost. Add the video "
                                          "again to start over."))
    for chunk in body:
        buffer += chunk
        while len(buffer) >= PART_SIZE:
            number = len(parts) + 1
            etag = store.upload_part(upload.key, _multipart_id(upload), number,
                                     bytes(buffer[:PART_SIZE]))
            parts.append({"number": number, "etag": etag, "size": PART_SIZE})
            del buffer[:PART_SIZE]
    return parts, buffer


def _keep_tail(store: S3Storage, upload: VideoUpload, new_offset: int, tail: bytearray,
               done: bool) -> str | None:
    """Store what is left over under a key of its own (named by the offset it ends at), so
    the row always names a tail that matches its offset; the old tail goes once the new
    offset is committed."""
    old = upload.tail_key
    new = None
    if tail and not done:
        new = f"{upload.key.rsplit('/', 1)[0]}/tail-{new_offset}.bin"
        store.put(new, bytes(tail), "application/octet-stream")
        db.on_rollback(lambda: store.delete(new))
    if old and old != new:
        db.after_commit(lambda: store.delete(old))
    return new


def _complete_staged(store: S3Storage, upload: VideoUpload, last: bytearray) -> None:
    parts = [(p["number"], p["etag"]) for p in upload.parts]
    if last or not parts:
        number = len(parts) + 1
        parts.append((number, store.upload_part(upload.key, _multipart_id(upload), number,
                                                bytes(last))))
    store.complete_multipart(upload.key, _multipart_id(upload), parts)


# -- presigned multipart ----------------------------------------------------------------------


def _s3_upload(upload: VideoUpload) -> S3Storage:
    store = storage()
    if upload.protocol != UploadProtocol.S3_MULTIPART or not isinstance(store, S3Storage):
        raise Conflict("not_s3_multipart", _l("This upload goes through tus (PATCH)."))
    if upload.completed_at is not None:
        raise Conflict("upload_completed", _l("This upload is already complete."))
    return store


def part_url(upload: VideoUpload, number: int) -> str:
    """A presigned URL to PUT part ``number`` to; keeps the upload from expiring."""
    store = _s3_upload(upload)
    count = parts_count(upload)
    if not 1 <= number <= count:
        raise Rejected("invalid_part", _l("This upload has parts 1 to %(count)s.", count=count),
                       status=422, details={"parts_count": count})
    upload.expires_at = _expires()
    return store.presigned_part_url(upload.key, _multipart_id(upload), number,
                                    PART_URL_SECONDS)


def stored_parts(upload: VideoUpload) -> list[dict[str, Any]]:
    """The parts the bucket already has, so that a reloaded page sends only the others."""
    store = _s3_upload(upload)
    # Some stores (SeaweedFS) list every version of a part sent twice, oldest first.
    latest = {p["number"]: p for p in store.list_parts(upload.key, _multipart_id(upload))}
    return [latest[number] for number in sorted(latest)]


def _etag(value: str) -> str:
    return value.strip().strip('"')


def complete_s3_upload(upload: VideoUpload, parts: Sequence[tuple[int, str]]) -> MediaAsset:
    """Join the parts the browser sent; they must be every part, in order, adding up to the
    declared size (else nothing changes and the upload can still be finished)."""
    store = _s3_upload(upload)
    asset = _asset_of(upload)
    numbers = [number for number, _etag_value in parts]
    if not numbers or numbers != sorted(set(numbers)):
        raise Rejected("invalid_parts", _l("Name every part once, in ascending order."),
                       status=422, field="parts")
    # By number and ETag: a part sent twice may be listed twice (SeaweedFS).
    stored = {(p["number"], _etag(p["etag"])): p
              for p in store.list_parts(upload.key, _multipart_id(upload))}
    missing = [number for number, etag in parts if (number, _etag(etag)) not in stored]
    if missing:
        raise Conflict("parts_missing", _l("Some parts have not arrived in the storage (or "
                                           "arrived differently): send them again."),
                       parts=missing[:100])
    chosen = [stored[(number, _etag(etag))] for number, etag in parts]
    received = sum(part["size"] for part in chosen)
    if received != upload.length:
        raise Rejected("size_mismatch",
                       _l("The parts add up to %(received)s bytes, but the upload was declared "
                          "as %(length)s bytes.", received=received, length=upload.length),
                       status=422, details={"received": received, "length": upload.length})
    store.complete_multipart(upload.key, _multipart_id(upload),
                             [(part["number"], part["etag"]) for part in chosen])
    size = store.size(upload.key)
    if size != upload.length:  # the parts' sizes said otherwise: never hand this on
        store.delete(upload.key)
        log.error("upload %s: completed object is %s bytes, declared %d", upload.id, size,
                  upload.length)
        raise Rejected("size_mismatch",
                       _l("The parts add up to %(received)s bytes, but the upload was declared "
                          "as %(length)s bytes.", received=size or 0, length=upload.length),
                       status=422, details={"received": size or 0, "length": upload.length})
    upload.offset = upload.length
    upload.completed_at = utcnow()
    video_uploaded(asset, upload.key)
    return asset


def allow_browser_uploads(origins: Sequence[str]) -> list[str]:
    """Set the bucket's CORS rules so that the hub's pages at ``origins`` may PUT parts
    (``advocacy media cors``); the origins as set."""
    store = storage()
    if not isinstance(store, S3Storage):
        raise Rejected("not_s3", _l("Only an S3 bucket takes uploads from browsers."))
    allowed = []
    for origin in origins:
        parts = urlsplit(origin.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {
                "", "/"} or parts.query or parts.fragment or "@" in parts.netloc:
            raise Rejected("invalid_origin",
                           _l("“%(origin)s” is not an origin such as https://hub.example.org.",
                              origin=origin[:100]))
        allowed.append(f"{parts.scheme}://{parts.netloc.lower()}")
    store.allow_browser_uploads(allowed)
    return allowed


# -- expiry ----------------------------------------------------------------------------------


@dataclass
class ExpiryReport:
    """What :func:`remove_expired_uploads` removed."""

    #: unfinished uploads past their expiry: bytes, multipart upload and item removed
    expired: list[str] = field(default_factory=list)
    #: finished uploads past their expiry: only the row (the file is the video's now)
    forgotten: list[str] = field(default_factory=list)
    #: multipart uploads in the bucket that no row knows (keys): aborted
    orphans: list[str] = field(default_factory=list)


def remove_expired_uploads(now: datetime | None = None) -> ExpiryReport:
    """Remove uploads nobody finished in time, and multipart uploads that lost their row
    (its story was deleted, or its request failed while the storage was down)."""
    moment = now or utcnow()
    report = ExpiryReport()
    for upload in db.session.scalars(select(VideoUpload)
                                     .where(VideoUpload.expires_at <= moment)).all():
        if upload.completed_at is None:
            _remove_bytes(upload.key, upload.multipart_id, upload.tail_key)
            asset = db.session.get(MediaAsset, upload.media_id) if upload.media_id else None
            if asset is not None and asset.status == MediaStatus.UPLOADING:
                cancel_video(asset)
            report.expired.append(upload.id)
            log.info("upload %s expired: its bytes and item are removed", upload.id)
        else:
            report.forgotten.append(upload.id)
        db.session.delete(upload)
    db.session.flush()
    store = storage()
    if isinstance(store, S3Storage):
        known = set(db.session.scalars(select(VideoUpload.multipart_id)
                                       .where(VideoUpload.multipart_id.is_not(None))))
        for key, multipart_id, started in store.multipart_uploads(UPLOAD_PREFIX):
            if multipart_id in known or moment - as_utc(started) < ORPHAN_GRACE:
                continue
            store.abort_multipart(key, multipart_id)
            report.orphans.append(key)
            log.info("aborted multipart upload of %s: no upload row knows it", key)
    return report

