"""Video pipeline: vet an uploaded video, make the web version every browser plays, and a poster.

Pure PyAV (FFmpeg's libraries, with x264 and the AAC encoder, bundled in its wheel); no Flask,
so the task queue, the tests and the benchmark all call :func:`probe`,
:func:`make_web_version` and :func:`poster_frame` directly.

Policy, in one place:

* Only the MP4/QuickTime family (what phones record: .mp4, .mov, .m4v, .3gp) and Matroska/WebM
  (what browsers record) are opened; FFmpeg may run no other demuxer and read no other file or
  URL (``format_whitelist``, ``protocol_whitelist``), and its probing is capped.  The format is
  found from the bytes, never from the file name.
* Limits are checked from the header before a frame is decoded: bytes (``max_bytes``), the
  frame's pixels (``max_pixels``, the photo cap) and the duration (``max_seconds``; a file whose
  header has none is measured from its packets' timestamps, still without decoding).  Then one
  frame is decoded: a video whose pictures cannot be decoded is refused at once.
* "Web-playable" is H.264 (8-bit 4:2:0) with AAC or no sound in MP4/QuickTime: such a file is
  only remuxed (streams copied) into MP4.  Anything else (HEVC from an iPhone, VP9, ProRes...) is
  transcoded to H.264 (CRF ``CRF``, preset ``PRESET``, yuv420p) and AAC (48 kHz stereo,
  128 kb/s), fitted into 1920x1080 (1080x1920 when upright), even dimensions.
* Rotation: a phone stores the sensor's pixels and a display matrix that turns them upright.
  A remux carries the matrix over; a transcode turns the pixels and writes no matrix.
* Only the video stream and the first sound stream are kept: timed metadata tracks (iPhones
  keep location there too), chapters, subtitles and cover pictures are dropped, and no
  container or stream tag is copied (no location, device, software or creation time; FFmpeg's
  own "encoder" stamp is left out too).  :attr:`VideoProbe.metadata` says what went.
* Every web version starts with its index (``+faststart``): a browser plays it while it loads.
  It is written under a temporary name beside the destination and renamed when complete, so
  an interrupted run leaves nothing at the destination; one that came out noticeably shorter
  than the header promised (a source cut short) is refused as truncated.
* The poster is taken at a tenth of the duration (at least 1 s in, at most the middle) and, when
  that frame is nearly uniform (a fade from black), at a quarter or the middle instead.
  ``bench/transcode.py`` measures the transcode against the ``ffmpeg`` command line.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.filter import Graph
from av.packet import Packet
from av.stream import Stream
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream
from PIL import Image, ImageStat

__all__ = ["VideoProbe", "VideoRejected", "WebVersion", "make_web_version", "poster_frame",
           "probe"]  # fmt: skip

MAX_SECONDS = 180
MAX_BYTES = 1_000_000_000
MAX_PIXELS = 40_000_000
#: The web version fits this box (either way round: a portrait clip gets 1080x1920).
MAX_LONG_EDGE, MAX_SHORT_EDGE = 1920, 1080
CRF = 23
# "veryfast" is x264's knee on small machines: "faster" costs about a third more time for a few
# per cent of bytes, and the hub's videos are short, so size matters less than latency.
PRESET = "veryfast"
AUDIO_RATE, AUDIO_LAYOUT, AUDIO_BIT_RATE = 48_000, "stereo", 128_000
CONTENT_TYPE = "video/mp4"

# FFmpeg demuxer names ("mov" is the whole MP4/QuickTime family).
_DEMUXERS = "mov,matroska"
_OPEN_OPTIONS = {
    "format_whitelist": _DEMUXERS,
    "protocol_whitelist": "file",  # no http, no concat, no reading other files on our disk
    "probesize": str(5_000_000),  # bytes read to find the streams' parameters
    "analyzeduration": str(5_000_000),  # microseconds of media looked at for the same
    "max_streams": "32",
}
_QUICKTIME_BRANDS = (b"qt  ",)
# ISO base media files that are pictures, not videos (FFmpeg's mov demuxer opens HEIF too).
_IMAGE_BRANDS = {b"heic": "HEIF", b"heix": "HEIF", b"mif1": "HEIF", b"msf1": "HEIF",
                 b"heim": "HEIF", b"heis": "HEIF", b"avif": "AVIF", b"avis": "AVIF"}  # fmt: skip
_BOX_TYPES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_EBML = b"\x1a\x45\xdf\xa3"  # Matroska/WebM
_PICTURE_MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"GIF8": "GIF"}
# A web version may be this much shorter than its source's header before it counts as cut short
# (audio priming and the last frame's duration differ between containers).
_SHORTFALL = 0.5
_FLAT = 8.0  # a poster candidate whose luma varies less than this is a fade, not a picture

# Tags that only describe the file's structure; everything else is someone's data.
_STRUCTURAL = {"major_brand", "minor_version", "compatible_brands", "handler_name", "vendor_id",
               "language", "rotate", "duration", "timecode", "encoder"}  # fmt: skip
_METADATA_CODES = (
    # (code, substrings of the lower-cased key), first match wins
    ("location", ("location", "iso6709", "gps", "\xa9xyz", "xyz")),
    ("camera", ("make", "model", "manufacturer", "camera", "lens", "serial", "device")),
    ("software", ("software", "com.android.version", "encoder", "firmware")),
    ("datetime", ("creation_time", "creationdate", "date")),
)


class VideoRejected(Exception):
    """A file that is not an acceptable video.

    ``code`` is stable and machine-readable (the web layer maps it to a translated message):

    * ``empty``: no bytes at all;
    * ``too_large``: more than ``max_bytes`` (details ``size``, ``max_bytes``);
    * ``not_a_video``: not a container we open (a text file, or a photo named .mp4: then
      ``format`` says which photo format, "JPEG", "PNG", "GIF", "HEIF" or "AVIF");
    * ``truncated``: a video container cut short (an MP4 without its moov index, or whose
      media data ends early);
    * ``no_video``: a file with sound only;
    * ``too_many_pixels``: a frame over ``max_pixels`` (details ``width``, ``height``,
      ``max_pixels``, as for photos);
    * ``too_long``: over ``max_seconds`` (details ``duration`` and ``max_seconds``, both in
      seconds, so the message can say "6 minutes long; the hub takes up to 3 minutes");
    * ``undecodable``: the pictures cannot be decoded (details ``codec``).
    """

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details: dict[str, object] = dict(details)

    def __str__(self) -> str:
        return f"{self.code} {self.details}" if self.details else self.code

    def __reduce__(self) -> tuple[type[VideoRejected], tuple[str], dict[str, object]]:
        # Keyword-only details defeat the default pickling; task queues pickle exceptions.
        return (type(self), (self.code,), {"details": self.details})


@dataclass(frozen=True)
class VideoProbe:
    """What :func:`probe` found in a file that passed every check.

    ``width``/``height`` are the size as displayed, after ``rotation`` (clockwise degrees the
    stored pictures are turned for display: 0, 90, 180 or 270).  ``metadata`` lists, sorted,
    the kinds of personal data the file carries, none of which the web version keeps:
    "location", "camera" (make, model, lens, serial), "software" (the phone's OS or app),
    "datetime" (when it was filmed), "tags" (titles, comments, identifiers) and
    "extra_tracks" (timed metadata tracks, where phones keep location too).
    """

    format: str  # "mp4", "mov", "matroska" or "webm"
    video_codec: str
    audio_codec: str | None
    pixel_format: str | None
    duration: float
    width: int
    height: int
    rotation: int
    frame_rate: float | None
    bit_rate: int | None
    size: int
    web_playable: bool
    metadata: tuple[str, ...]


@dataclass(frozen=True)
class WebVersion:
    """The outcome of :func:`make_web_version`: an MP4 at the destination path.

    ``removed`` is the source's :attr:`VideoProbe.metadata`, for telling the author.
    """

    duration: float
    width: int
    height: int
    size: int
    video_codec: str
    audio_codec: str | None
    transcoded: bool
    removed: tuple[str, ...]
    content_type: str = CONTENT_TYPE


def probe(
    path: str | os.PathLike[str],
    *,
    max_seconds: float = MAX_SECONDS,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_BYTES,
) -> VideoProbe:
    """Vet the video at ``path`` and describe it.

    Raises :class:`VideoRejected` for anything that is not an acceptable video; no other
    exception escapes for bad input (a missing file is still FileNotFoundError).
    """
    size = os.stat(path).st_size
    if size == 0:
        raise VideoRejected("empty")
    if size > max_bytes:
        raise VideoRejected("too_large", size=size, max_bytes=max_bytes)
    with open(path, "rb") as f:
        _refuse_pictures(f.read(64))  # FFmpeg would open a HEIC photo as a one-frame video
    with _open_input(path) as container:
        vstream = _video_stream(container)
        astream = _audio_stream(container)
        ctx = vstream.codec_context
        coded = (ctx.width, ctx.height)
        if coded[0] * coded[1] > max_pixels:
            raise VideoRejected("too_many_pixels", width=coded[0], height=coded[1],
                                max_pixels=max_pixels)  # fmt: skip
        duration = _header_duration(container, vstream)
        if duration is None:
            duration = _measured_duration(container, vstream)
        if duration > max_seconds:
            raise VideoRejected("too_long", duration=round(duration, 1), max_seconds=max_seconds)
        first = _first_frame(container, vstream)
        if first.width * first.height > max_pixels:  # a header that understated the size
            raise VideoRejected("too_many_pixels", width=first.width, height=first.height,
                                max_pixels=max_pixels)  # fmt: skip
        rotation = _clockwise(first, vstream)
        fmt = _format_name(container, path, vstream, astream)
        pix_fmt = ctx.format.name if ctx.format is not None else first.format.name
        video_codec, audio_codec = ctx.name, astream.codec_context.name if astream else None
        rate = vstream.average_rate or vstream.guessed_rate
        metadata = _privacy_codes(container)
        bit_rate = container.bit_rate or None
    width, height = (first.width, first.height) if rotation in (0, 180) else (
        first.height, first.width)  # fmt: skip
    playable = (
        fmt in ("mp4", "mov")
        and video_codec == "h264"
        and pix_fmt in ("yuv420p", "yuvj420p")
        and audio_codec in (None, "aac")
    )
    return VideoProbe(
        format=fmt, video_codec=video_codec, audio_codec=audio_codec, pixel_format=pix_fmt,
        duration=duration, width=width, height=height, rotation=rotation,
        frame_rate=float(rate) if rate else None, bit_rate=bit_rate, size=size,
        web_playable=playable, metadata=metadata,
    )  # fmt: skip


def make_web_version(
    src_path: str | os.PathLike[str], dst_path: str | os.PathLike[str], probe: VideoProbe
) -> WebVersion:
    """Write the web version of the (probed) video at ``src_path`` to ``dst_path``.

    Remuxes a web-playable source, transcodes anything else.  ``dst_path`` appears only when
    the whole file is written (an existing file there is replaced); on any failure nothing
    is left there.  Raises :class:`VideoRejected` ("truncated", "undecodable") when the
    source turns out broken past its header; OSError and FFmpeg's errors for the rest.
    """
    dst = Path(dst_path)
    tmp = dst.with_name(f".{dst.name}.{secrets.token_hex(4)}.part")
    try:
        with _open_input(src_path) as src, _open_output(tmp) as out:
            if probe.web_playable:
                _remux(src, out, probe)
            else:
                _transcode(src, out, probe)
        result = _check_output(tmp, probe)
        os.replace(tmp, dst)
    except BaseException:
        with suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return result


def poster_frame(src_path: str | os.PathLike[str], probe: VideoProbe) -> Image.Image:
    """A representative picture of the video, upright, as an RGB image.

    Fed to the photo pipeline (saved as PNG or JPEG), it gives the video the usual photo
    renditions, the share card included.
    """
    duration = probe.duration
    first_choice = min(max(duration / 10, 1.0), duration / 2)
    candidates = (first_choice, duration / 4, duration / 2)
    best: tuple[float, Image.Image] | None = None
    with _open_input(src_path) as container:
        vstream = _video_stream(container)
        for seconds in candidates:
            frame = _frame_at(container, vstream, seconds)
            if frame is None:
                continue
            image = _upright(frame.to_image(), probe.rotation)  # type: ignore[no-untyped-call]
            spread = ImageStat.Stat(image.convert("L").reduce(4) if min(image.size) >= 8
                                    else image.convert("L")).stddev[0]  # fmt: skip
            if spread >= _FLAT:
                return image
            if best is None or spread > best[0]:
                best = (spread, image)
    if best is not None:
        return best[1]
    with _open_input(src_path) as container:  # no seeking in this file: its first picture
        first = _first_frame(container, _video_stream(container))
        return _upright(first.to_image(), probe.rotation)  # type: ignore[no-untyped-call]


# --- opening and identification --------------------------------------------------------------


@contextmanager
def _open_input(path: str | os.PathLike[str]) -> Iterator[InputContainer]:
    try:
        container = av.open(os.fspath(path), "r", options=dict(_OPEN_OPTIONS))
    except av.error.FileNotFoundError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise _unopenable(path) from exc
    try:
        yield container
    finally:
        container.close()


def _unopenable(path: str | os.PathLike[str]) -> VideoRejected:
    """Why FFmpeg could not open the file: a cut-short video, a photo, or something else."""
    with open(path, "rb") as f:
        head = f.read(64)
    try:
        _refuse_pictures(head)
    except VideoRejected as exc:
        return exc
    if head[4:8] in _BOX_TYPES or head.startswith(_EBML):
        return VideoRejected("truncated")
    return VideoRejected("not_a_video")


def _refuse_pictures(head: bytes) -> None:
    for magic, fmt in _PICTURE_MAGIC.items():
        if head.startswith(magic):
            raise VideoRejected("not_a_video", format=fmt)
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        raise VideoRejected("not_a_video", format=_IMAGE_BRANDS[head[8:12]])


def _video_stream(container: InputContainer) -> VideoStream:
    streams = [s for s in container.streams.video if not s.disposition & s.disposition.attached_pic]
    if not streams:
        raise VideoRejected("no_video")
    undecodable = [s for s in streams if s.codec_context is None]  # no decoder in our FFmpeg
    if undecodable == streams:
        raise VideoRejected("undecodable", codec="unknown")
    streams = [s for s in streams if s not in undecodable]
    # The default track if one is marked, else the largest: phones add small preview tracks.
    default = [s for s in streams if s.disposition & s.disposition.default]
    stream = max(default or streams, key=lambda s: s.codec_context.width * s.codec_context.height)
    if stream.codec_context.width <= 0 or stream.codec_context.height <= 0:
        raise VideoRejected("undecodable", codec=stream.codec_context.name)
    return stream


def _audio_stream(container: InputContainer) -> AudioStream | None:
    # Sound our FFmpeg cannot decode is dropped, as if the video had none.
    streams = [s for s in container.streams.audio if s.codec_context is not None]
    default = [s for s in streams if s.disposition & s.disposition.default]
    return (default or streams)[0] if streams else None


def _format_name(
    container: InputContainer,
    path: str | os.PathLike[str],
    vstream: VideoStream,
    astream: AudioStream | None,
) -> str:
    if container.format.name.startswith("mov"):
        with open(path, "rb") as f:
            head = f.read(12)
        return "mov" if head[4:8] != b"ftyp" or head[8:12] in _QUICKTIME_BRANDS else "mp4"
    web = {"vp8", "vp9", "av1", "opus", "vorbis"}
    codecs = {vstream.codec_context.name} | ({astream.codec_context.name} if astream else set())
    return "webm" if codecs <= web else "matroska"


def _header_duration(container: InputContainer, vstream: VideoStream) -> float | None:
    if vstream.duration and vstream.time_base:
        return float(vstream.duration * vstream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _measured_duration(container: InputContainer, vstream: VideoStream) -> float:
    """The video's length from its packets' timestamps, for files whose header has none
    (browsers' WebM recordings).  Nothing is decoded, and it reads to the end even past the
    limit: the author is told the real length."""
    end = 0.0
    start: float | None = None
    tb = vstream.time_base or Fraction(1, 1000)
    for packet in container.demux(vstream):
        if packet.pts is None:
            continue
        t = float(packet.pts * tb)
        start = t if start is None else min(start, t)
        end = max(end, t + float((packet.duration or 0) * tb))
    container.seek(0)
    return max(0.0, end - (start or 0.0))


def _first_frame(container: InputContainer, vstream: VideoStream) -> VideoFrame:
    try:
        for frame in container.decode(vstream):
            return frame
    except av.error.FFmpegError as exc:
        raise VideoRejected("undecodable", codec=vstream.codec_context.name) from exc
    raise VideoRejected("undecodable", codec=vstream.codec_context.name)


def _clockwise(frame: VideoFrame, vstream: VideoStream) -> int:
    """Clockwise degrees (0, 90, 180, 270) the stored pictures are turned for display.

    The decoder hands the stream's display matrix to every frame (PyAV reads it as a
    counter-clockwise angle); files from before display matrices carry a ``rotate`` tag."""
    degrees = -frame.rotation
    if not degrees:
        with suppress(ValueError):
            degrees = int(float(vstream.metadata.get("rotate", "0")))
    return round(degrees / 90) % 4 * 90


def _privacy_codes(container: InputContainer) -> tuple[str, ...]:
    codes = _tag_codes(container.metadata)
    for stream in container.streams:
        codes |= _tag_codes(stream.metadata)
        if stream.type in ("data", "subtitle", "attachment"):
            codes.add("extra_tracks")
    return tuple(sorted(codes))


def _tag_codes(tags: Mapping[str, str]) -> set[str]:
    codes = set()
    for key, value in tags.items():
        key = key.lower()
        if key in _STRUCTURAL and not (key == "encoder" and not value.startswith("Lav")):
            continue  # FFmpeg's own "Lavf"/"Lavc" stamp says nothing about the author
        code = next((c for c, parts in _METADATA_CODES if any(p in key for p in parts)), "tags")
        codes.add(code)
    return codes


# --- writing ---------------------------------------------------------------------------------


@contextmanager
def _open_output(path: Path) -> Iterator[OutputContainer]:
    # bitexact: no "encoder" stamp; faststart: the index goes before the media data.
    options = {"movflags": "+faststart", "fflags": "+bitexact"}
    container = av.open(str(path), "w", format="mp4", options=options)
    try:
        yield container
    finally:
        container.close()


def _remux(src: InputContainer, out: OutputContainer, probe: VideoProbe) -> None:
    vin, ain = _video_stream(src), _audio_stream(src)
    vout = out.add_stream_from_template(vin)
    if probe.rotation:
        vout.set_display_rotation(-probe.rotation)  # PyAV counts counter-clockwise
    pairs: dict[int, Stream] = {vin.index: vout}
    if ain is not None:
        pairs[ain.index] = out.add_stream_from_template(ain)
    for packet in _packets(src, vin, ain):
        if packet.dts is None:  # the demuxer's end-of-stream marker
            continue
        packet.stream = pairs[packet.stream.index]
        out.mux(packet)


def _packets(
    src: InputContainer, vin: VideoStream, ain: AudioStream | None
) -> Iterator[Packet[Stream]]:
    """The packets of the kept streams, up to the end or the first spot the demuxer cannot
    read past (the length check then decides whether what came before is enough)."""
    packets = src.demux(*(s for s in (vin, ain) if s is not None))
    while True:
        try:
            yield next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError:
            return


def _transcode(src: InputContainer, out: OutputContainer, probe: VideoProbe) -> None:
    vin, ain = _video_stream(src), _audio_stream(src)
    vin.thread_type = "AUTO"  # frame and slice threads: HEVC decoding is half the work
    width, height = _fit_even(probe.width, probe.height)
    rate = vin.average_rate or vin.guessed_rate or Fraction(30)
    vout = out.add_stream("libx264", rate=rate)
    vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
    time_base = vin.time_base or Fraction(1, 90_000)
    vout.time_base = vout.codec_context.time_base = time_base
    vout.options = {"crf": str(CRF), "preset": PRESET}
    # PyAV defaults to slice threads, which cost x264 compression (twice the bytes at the same
    # CRF here); frame threads are x264's own default, and the ffmpeg command line's.
    vout.thread_type, vout.thread_count = "FRAME", 0
    aout = resampler = None
    if ain is not None:
        aout = out.add_stream("aac", rate=AUDIO_RATE, layout=AUDIO_LAYOUT)
        aout.bit_rate = AUDIO_BIT_RATE
        resampler = av.AudioResampler("fltp", AUDIO_LAYOUT, AUDIO_RATE, frame_size=1024)
    pictures = _Pictures(vin, probe.rotation, (width, height))
    last_pts: int | None = None
    for packet in _packets(src, vin, ain):
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            continue  # a damaged packet: its frames are missing, the length check will tell
        if packet.stream.index == vin.index:
            pictures.push([f for f in frames if isinstance(f, VideoFrame)])
        elif aout is not None and resampler is not None:
            for sound in frames:
                if isinstance(sound, AudioFrame):
                    for chunk in resampler.resample(sound):
                        out.mux(aout.encode(chunk))
        for picture in pictures.pull():
            if picture.pts is None or (last_pts is not None and picture.pts <= last_pts):
                continue  # x264 takes strictly increasing timestamps only
            last_pts = picture.pts
            out.mux(vout.encode(_unforced(picture)))
    pictures.push(None)
    for picture in pictures.pull():
        if picture.pts is not None and (last_pts is None or picture.pts > last_pts):
            last_pts = picture.pts
            out.mux(vout.encode(_unforced(picture)))
    out.mux(vout.encode(None))
    if aout is not None and resampler is not None:
        for chunk in resampler.resample(None):
            out.mux(aout.encode(chunk))
        out.mux(aout.encode(None))


def _unforced(frame: VideoFrame) -> VideoFrame:
    # A decoded frame keeps the type it had in the source, and x264 takes an "I" as an order
    # for a keyframe: an all-intra source would come out all-intra, several times the size.
    frame.pict_type = PictureType.NONE
    return frame


class _Pictures:
    """Turns decoded frames upright, scales them and makes them yuv420p: one FFmpeg filter
    graph, built for the first frame, or none at all when the frames are right as they come."""

    def __init__(self, vin: VideoStream, rotation: int, size: tuple[int, int]) -> None:
        self._time_base = vin.time_base or Fraction(1, 90_000)
        self._rotation, self._size = rotation, size
        self._graph: Graph | None = None
        self._first = True
        self._ready: list[VideoFrame] = []

    def push(self, frames: list[VideoFrame] | None) -> None:
        """Hand in decoded frames; None at the end of the stream."""
        for frame in frames or ():
            if self._first:
                self._first = False
                if self._rotation or frame.format.name != "yuv420p" or (
                        frame.width, frame.height) != self._size:  # fmt: skip
                    self._graph = self._build(frame)
            if self._graph is None:
                self._ready.append(frame)
            else:
                self._graph.vpush(frame)
                self._drain(self._graph)
        if frames is None and self._graph is not None:
            self._graph.vpush(None)
            self._drain(self._graph)

    def pull(self) -> list[VideoFrame]:
        """The frames ready for the encoder, in order."""
        ready, self._ready = self._ready, []
        return ready

    def _build(self, frame: VideoFrame) -> Graph:
        graph = Graph()
        nodes = [graph.add_buffer(width=frame.width, height=frame.height, format=frame.format,
                                  time_base=self._time_base)]  # fmt: skip
        w, h = self._size if self._rotation in (0, 180) else self._size[::-1]
        if (w, h) != (frame.width, frame.height):  # scale before turning: fewer pixels to turn
            nodes.append(graph.add("scale", f"{w}:{h}"))
        turns: dict[int, list[tuple[str, str | None]]] = {
            90: [("transpose", "clock")],
            180: [("hflip", None), ("vflip", None)],
            270: [("transpose", "cclock")],
        }
        nodes += [graph.add(name, args) for name, args in turns.get(self._rotation, [])]
        nodes += [graph.add("format", "yuv420p"), graph.add("buffersink")]
        graph.link_nodes(*nodes).configure()
        return graph

    def _drain(self, graph: Graph) -> None:
        while True:
            try:
                frame = graph.vpull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            frame.time_base = self._time_base
            self._ready.append(frame)


def _fit_even(width: int, height: int) -> tuple[int, int]:
    """The display size fitted into 1920x1080 (either way round), both sides even."""
    long_max, short_max = MAX_LONG_EDGE, MAX_SHORT_EDGE
    box = (long_max, short_max) if width >= height else (short_max, long_max)
    scale = min(1.0, box[0] / width, box[1] / height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _check_output(path: Path, source: VideoProbe) -> WebVersion:
    """Probe the finished file as any upload, and hold it to what the source promised."""
    made = probe(path, max_seconds=math.inf, max_pixels=MAX_PIXELS * 4, max_bytes=MAX_BYTES * 8)
    if made.duration < source.duration - max(_SHORTFALL, source.duration * 0.05):
        raise VideoRejected("truncated")
    if made.metadata:  # a bug, not bad input: never hand out a file that still has them
        raise RuntimeError(f"web version still carries {', '.join(made.metadata)}")
    if (made.width > made.height) != (source.width > source.height):
        raise RuntimeError("web version is not the right way up")
    return WebVersion(
        duration=made.duration, width=made.width, height=made.height, size=made.size,
        video_codec=made.video_codec, audio_codec=made.audio_codec,
        transcoded=not source.web_playable, removed=source.metadata,
    )  # fmt: skip


def _upright(image: Image.Image, clockwise: int) -> Image.Image:
    turns = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
             270: Image.Transpose.ROTATE_90}  # fmt: skip
    return image.transpose(turns[clockwise]) if clockwise in turns else image


def _frame_at(container: InputContainer, vstream: VideoStream, seconds: float) -> VideoFrame | None:
    """The first frame at or after ``seconds`` (the last one before it if none follows)."""
    tb = vstream.time_base or Fraction(1, 1000)
    start = float((vstream.start_time or 0) * tb)
    try:
        container.seek(int((seconds + start) / tb), stream=vstream, backward=True)
    except av.error.FFmpegError:
        return None  # a damaged index
    last = None
    try:
        for frame in container.decode(vstream):
            last = frame
            if frame.time is not None and frame.time - start >= seconds:
                return frame
    except av.error.FFmpegError:
        pass  # a damaged tail: use what was decoded
    return last
