"""Background work of media: processing uploaded videos, queuing again the ones whose worker
was lost, and sweeping away files that no media item refers to."""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import av.error
from flask import current_app
from huey import crontab
from sqlalchemy import select

from advocacy import database as db
from advocacy.database import as_utc, utcnow
from advocacy.media import video
from advocacy.media.models import MediaAsset, MediaStatus
from advocacy.media.operations import EXTENSIONS, VIDEO_PREFIX, sweep_orphans
from advocacy.media.photos import PhotoRejected, process_photo
from advocacy.media.storage import Storage, new_key, storage
from advocacy.queue import enqueue, periodic, task

log = logging.getLogger(__name__)

#: A video still processing this long after its worker started it lost that worker (killed,
#: out of memory, machine restarted: huey took the task off the queue before running it).
STUCK_AFTER = timedelta(minutes=30)
#: Runs of one video's processing (retries and re-queues together) before it counts as failed:
#: a file that kills its worker every time must not be queued again forever.
MAX_ATTEMPTS = 5
#: The error code of a video the hub could not process although it passed its checks, and of
#: one whose upload is gone; the pipeline's own codes are :class:`video.VideoRejected`'s.
PROCESSING_FAILED = "processing_failed"
ORIGINAL_LOST = "original_lost"


@task(retries=2, retry_delay=30)
def process_video(asset_id: int) -> str:
    """Probe, convert and store one uploaded video, with its poster's photo renditions.

    Crash-safe and idempotent: everything is made in a temporary directory and stored under
    fresh keys at the very end; the row refers to them only in the commit that marks the
    video ready. A run that dies before leaves stored objects nobody refers to (the orphan
    sweep removes them) and the video ``processing`` (:func:`requeue_stuck_videos` queues it
    again). The original is deleted only after that commit. Returns the status reached.
    """
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None or asset.status != MediaStatus.PROCESSING or asset.original_key is None:
        return "gone" if asset is None else str(asset.status)
    attempts = int((asset.error_params or {}).get("attempts", 0)) + 1
    if attempts > MAX_ATTEMPTS:
        log.error("video %d: giving up after %d attempts", asset_id, MAX_ATTEMPTS)
        _fail(asset, PROCESSING_FAILED, {})
        return str(asset.status)
    original = asset.original_key
    # Committed at once: the re-queue reads when this run started, and the attempts count
    # even if this run is killed. No transaction stays open during the long work below.
    asset.processing_started_at = utcnow()
    asset.error_params = {"attempts": attempts}
    db.commit()

    store = storage()
    config = current_app.config
    with tempfile.TemporaryDirectory(prefix="advocacy-video-") as workdir:
        try:
            source = _local_copy(store, original, Path(workdir))
        except FileNotFoundError:
            return _lost(asset_id, original)
        try:
            found = video.probe(source, max_seconds=config["MAX_VIDEO_SECONDS"],
                                max_pixels=config["MAX_PIXELS"],
                                max_bytes=config["MAX_VIDEO_BYTES"])
            web_path = Path(workdir) / "web.mp4"
            web = video.make_web_version(source, web_path, found)
            poster = _poster(source, found)
        except video.VideoRejected as exc:
            return _rejected(asset_id, original, exc.code, exc.details)
        except PhotoRejected as exc:  # a frame the photo pipeline refuses (over the pixel cap)
            code = exc.code if exc.code == "too_many_pixels" else PROCESSING_FAILED
            return _rejected(asset_id, original, code, exc.details)
        except av.error.FFmpegError as exc:
            if isinstance(exc, OSError):  # the disk or the storage, not the file: try again
                raise
            # A file that passed the checks but FFmpeg cannot convert: the same every time.
            log.exception("video %d could not be converted", asset_id)
            return _rejected(asset_id, original, PROCESSING_FAILED, {})
        renditions = _store(store, web_path, web, poster)
    # Between the commit above and now the author may have removed the video, or another
    # run finished it: then what this run stored is not needed.
    db.session.expire_all()
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None or asset.status != MediaStatus.PROCESSING or asset.original_key != original:
        for stored in renditions.values():
            store.delete(str(stored["key"]))
        return "gone" if asset is None else str(asset.status)
    asset.renditions = renditions
    asset.source_format = found.format
    asset.width, asset.height = web.width, web.height
    asset.duration = round(web.duration, 2)
    asset.bytes = web.size
    asset.removed_metadata = sorted(set(web.removed) | set(poster.removed))
    asset.status = MediaStatus.READY
    asset.error_code = asset.error_params = None
    asset.original_key = None
    db.after_commit(lambda: store.delete(original))
    db.session.flush()
    log.info("video %d ready: %.1f s, %dx%d, %s", asset_id, web.duration, web.width,
             web.height, "transcoded" if web.transcoded else "remuxed")
    return str(asset.status)


def _local_copy(store: Storage, key: str, workdir: Path) -> Path:
    """The original as a file PyAV can open: the stored file itself on local storage, else a
    copy made in chunks (memory stays flat whatever its size)."""
    path = store.local_path(key)
    if path is not None:
        if not path.is_file():
            raise FileNotFoundError(key)
        return path
    copy = workdir / "original"
    with store.open(key) as stream, copy.open("wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
    return copy


@dataclass(frozen=True)
class _Poster:
    """The poster frame through the photo pipeline: every photo rendition of it
    (name: data, content type, width, height) and what the pipeline removed."""

    renditions: dict[str, tuple[bytes, str, int, int]]
    removed: tuple[str, ...]


def _poster(source: Path, found: video.VideoProbe) -> _Poster:
    image = video.poster_frame(source, found)
    png = io.BytesIO()
    image.save(png, "PNG")
    photo = process_photo(png, max_pixels=current_app.config["MAX_PIXELS"])
    return _Poster({name: (r.data, r.content_type, r.width, r.height)
                    for name, r in photo.renditions.items()}, photo.removed)


def _store(store: Storage, web_path: Path, web: video.WebVersion,
           poster: _Poster) -> dict[str, dict[str, object]]:
    """Store the web version and the poster's renditions under fresh keys (deleted again if
    this run's commit fails)."""
    renditions: dict[str, dict[str, object]] = {}
    key = new_key(VIDEO_PREFIX, "video", "mp4")
    db.on_rollback(lambda: store.delete(key))
    store.put_file(key, web_path, web.content_type)
    renditions["video"] = {"key": key, "content_type": web.content_type, "width": web.width,
                           "height": web.height, "bytes": web.size}
    folder = key.rsplit("/", 1)[0]
    for name, (data, content_type, width, height) in poster.renditions.items():
        poster_key = f"{folder}/{name}.{EXTENSIONS.get(content_type, 'bin')}"
        db.on_rollback(lambda poster_key=poster_key: store.delete(poster_key))  # type: ignore[misc]
        store.put(poster_key, data, content_type)
        renditions[name] = {"key": poster_key, "content_type": content_type, "width": width,
                            "height": height, "bytes": len(data)}
    return renditions


def _rejected(asset_id: int, original: str, code: str, details: dict[str, object]) -> str:
    """Not a video the hub takes: failed with the reason, no retry; the upload goes."""
    db.session.expire_all()
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None or asset.original_key != original:
        return "gone"
    log.info("video %d refused: %s %s", asset_id, code, details)
    _fail(asset, code, details)
    return str(asset.status)


def _lost(asset_id: int, original: str) -> str:
    db.session.expire_all()
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None or asset.status != MediaStatus.PROCESSING or asset.original_key != original:
        return "gone" if asset is None else str(asset.status)  # finished or removed meanwhile
    log.error("video %d: its upload %s is not in the storage", asset_id, original)
    _fail(asset, ORIGINAL_LOST, {})
    return str(asset.status)


def _fail(asset: MediaAsset, code: str, details: dict[str, object]) -> None:
    original = asset.original_key
    asset.status = MediaStatus.FAILED
    asset.error_code = code
    asset.error_params = {key: value for key, value in details.items()
                          if isinstance(value, (int, float, str))}
    asset.original_key = None
    if original is not None:
        store = storage()
        db.after_commit(lambda: store.delete(original))
    db.session.flush()


@periodic(crontab(minute="1-59/10"))
def requeue_stuck_videos(now: datetime | None = None) -> int:
    """Every ten minutes: queue again the videos whose processing started over
    :data:`STUCK_AFTER` ago and never ended (their worker was killed mid-transcode)."""
    return requeue_stuck(now or utcnow())


def requeue_stuck(now: datetime) -> int:
    stuck = list(db.session.scalars(
        select(MediaAsset).where(MediaAsset.status == MediaStatus.PROCESSING,
                                 MediaAsset.processing_started_at < now - STUCK_AFTER)))
    for asset in stuck:
        log.warning("video %d has been processing since %s: queued again", asset.id,
                    as_utc(asset.processing_started_at).isoformat())  # type: ignore[arg-type]
        # Marked now, so the next round does not queue it again while it waits its turn.
        asset.processing_started_at = now
        asset_id = asset.id
        db.after_commit(lambda asset_id=asset_id: enqueue(process_video, asset_id))  # type: ignore[misc]
    db.session.flush()
    return len(stuck)


@periodic(crontab(minute="47"))
def sweep_orphan_files() -> int:
    """Hourly: remove files left behind by failed requests (see ``sweep_orphans``)."""
    report = sweep_orphans()
    if report.removed or report.missing:
        log.info("orphan sweep: %d file(s) removed, %d photo(s) missing their files",
                 len(report.removed), len(report.missing))
    return len(report.removed)
