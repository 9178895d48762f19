"""Photos and videos (vlogs) attached to stories, with their stored renditions, and the
resumable uploads that bring videos in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.database import Base, utcnow

if TYPE_CHECKING:
    from advocacy.stories.models import Story


class MediaKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


class MediaStatus(StrEnum):
    """Where a media item is on its way in. Photos are ``ready`` at once; a video is
    ``uploading`` until its last byte arrived, ``processing`` while the worker probes and
    converts it, then ``ready`` or ``failed`` (with an error code and its parameters)."""

    UPLOADING = "uploading"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class MediaAsset(Base):
    """One photo or video of a story. File names from users are never kept; keys are
    generated. A video's renditions are ``video`` (the web-playable MP4) and the poster's
    photo renditions (``large``, ``feed``, ``thumb``, ``card``)."""

    __tablename__ = "media_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="photo")
    position: Mapped[int] = mapped_column(Integer, default=0)
    source_format: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    #: {rendition name: {"key", "content_type", "width", "height", "bytes"}}
    renditions: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    #: what metadata was found in the upload and removed ("location", "camera", ...)
    removed_metadata: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[MediaStatus] = mapped_column(String(16), default=MediaStatus.READY,
                                                server_default="ready")
    #: Why processing failed: a code of the video pipeline and the figures its message needs.
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Seconds, for videos.
    duration: Mapped[float | None] = mapped_column(Float)
    #: The upload as it arrived, until its web version is stored (then deleted).
    original_key: Mapped[str | None] = mapped_column(String(200))
    #: When a worker last started processing it: a video ``processing`` for long after this
    #: lost its worker (killed mid-transcode) and is queued again.
    processing_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    story: Mapped[Story] = relationship(back_populates="media")

    def rendition(self, name: str) -> dict[str, Any] | None:
        return self.renditions.get(name)

    @property
    def keys(self) -> list[str]:
        """Every stored object of this item (renditions and a waiting original)."""
        keys = [r["key"] for r in self.renditions.values()]
        return [*keys, self.original_key] if self.original_key else keys

    @property
    def is_video(self) -> bool:
        return self.kind == MediaKind.VIDEO


class UploadProtocol(StrEnum):
    TUS = "tus"  # tus 1.0 through the hub (PATCH chunks; on S3 staged as multipart parts)
    S3_MULTIPART = "s3-multipart"  # the browser PUTs parts straight to the bucket


class VideoUpload(Base):
    """A resumable upload of a video for a story, until it is complete (then its asset is
    queued for processing) or expires (then its bytes are removed)."""

    __tablename__ = "video_uploads"

    #: Random and unguessable: it is part of the upload's URL.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    protocol: Mapped[UploadProtocol] = mapped_column(String(16))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The asset the author sees as "uploading" meanwhile.
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media_assets.id",
                                                            ondelete="SET NULL"))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The declared type (``filetype``), e.g. video/mp4; never trusted, only shown.
    filetype: Mapped[str | None] = mapped_column(String(100))
    #: Where the bytes go (a generated key under ``uploads/``).
    key: Mapped[str] = mapped_column(String(200))
    #: S3 only: the multipart upload, its parts [{"number", "etag", "size"}], and a staged
    #: tail shorter than a part (tus on S3).
    multipart_id: Mapped[str | None] = mapped_column(String(400))
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tail_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_video_uploads_expires_at", "expires_at"),)
