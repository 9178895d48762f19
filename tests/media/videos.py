"""Test videos, made with PyAV when a test needs them: no binary fixtures in the repository.

Every factory writes one file to the path it is given and returns that path.  The pictures
are small and short, so a test that transcodes one stays well under a second.  The upright
picture always has a red block in its top-left corner (``MARKER``), so a test can tell
whether a rotated video came out the right way up, and a grey bar that moves, so frames
differ as in a real recording.
"""

from __future__ import annotations

import math
from array import array
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw

MARKER = (220, 30, 30)  # the red block in the upright picture's top-left corner
BACKGROUND = (40, 110, 170)

#: What an iPhone writes into a .mov (QuickTime "mdta" keys), with made-up values.
APPLE_TAGS = {
    "com.apple.quicktime.location.ISO6709": "+52.3731+004.8922+002.000/",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15 Pro",
    "com.apple.quicktime.software": "17.4.1",
    "com.apple.quicktime.creationdate": "2024-05-01T12:00:00+0200",
}
#: What Android's MediaRecorder writes into an .mp4 ("location" becomes the udta/©xyz box).
ANDROID_TAGS = {
    "location": "+52.3731+004.8922/",
    "com.android.version": "14",
    "com.android.manufacturer": "Google",
    "com.android.model": "Pixel 8",
}


def picture(size: tuple[int, int], index: int, fps: int = 25) -> Image.Image:
    """Frame ``index`` of the upright test pattern: marker block, moving bar, a clock dot."""
    w, h = size
    im = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, w // 4, h // 4), fill=MARKER)
    x = (index * 7) % max(1, w)
    draw.rectangle((x, h // 2, x + w // 8, h // 2 + h // 8), fill=(200, 200, 200))
    angle = 2 * math.pi * index / fps
    cx, cy, r = w * 3 // 4, h * 3 // 4, min(w, h) // 8
    dot = (cx + r * math.cos(angle), cy + r * math.sin(angle))
    draw.ellipse((dot[0] - 3, dot[1] - 3, dot[0] + 3, dot[1] + 3), fill=(250, 250, 80))
    return im


def write_video(
    path: Path,
    *,
    seconds: float = 2.0,
    size: tuple[int, int] = (320, 240),
    fps: int = 25,
    codec: str = "libx264",
    container_format: str | None = None,
    audio: bool = True,
    video: bool = True,
    clockwise: int = 0,
    metadata: dict[str, str] | None = None,
    stream_metadata: dict[str, str] | None = None,
    options: dict[str, str] | None = None,
    pix_fmt: str = "yuv420p",
    black_seconds: float = 0.0,
    gop: int | None = None,
) -> Path:
    """Write a test video; ``size`` is the upright (display) size.

    With ``clockwise`` (90, 180 or 270) the pixels are stored turned the other way and the
    stream carries a display matrix that turns them back, as a phone held upright does.
    ``metadata`` goes into the container (with ``movflags=use_metadata_tags`` for QuickTime
    keys), ``stream_metadata`` onto the video stream.  The first ``black_seconds`` are black,
    as a clip that fades in; ``gop`` sets the keyframe interval (1: every frame a keyframe).
    """
    mdta = bool(metadata) and any(key.startswith("com.") for key in metadata or {})
    opts = dict(options or {})
    if mdta:
        opts["movflags"] = "+".join(filter(None, (opts.get("movflags"), "use_metadata_tags")))
    with av.open(str(path), "w", format=container_format, options=opts) as out:
        out.metadata.update(metadata or {})
        stored = size if clockwise in (0, 180) else size[::-1]
        vstream = None
        if video:
            vstream = out.add_stream(codec, rate=fps)
            vstream.width, vstream.height = stored
            vstream.pix_fmt = pix_fmt
            if gop is not None:
                vstream.codec_context.gop_size = gop
            if codec == "libx265":
                vstream.options = {"x265-params": "log-level=error"}
            if clockwise:
                vstream.set_display_rotation(-clockwise)  # PyAV counts counter-clockwise
            vstream.metadata.update(stream_metadata or {})
        astream = out.add_stream("aac", rate=48000, layout="stereo") if audio else None
        if vstream is not None:
            for i in range(round(seconds * fps)):
                im = picture(size, i, fps) if i >= black_seconds * fps else Image.new("RGB", size)
                im = im.rotate(clockwise, expand=True)  # PIL turns counter-clockwise
                frame = av.VideoFrame.from_image(im)
                frame.pts = i
                frame.time_base = Fraction(1, fps)
                out.mux(vstream.encode(frame))
            out.mux(vstream.encode(None))
        if astream is not None:
            for frame in tone(seconds):
                out.mux(astream.encode(frame))
            out.mux(astream.encode(None))
    return path


def tone(seconds: float, rate: int = 48000, chunk: int = 1024) -> list[av.AudioFrame]:
    """A 440 Hz stereo sine as s16 frames (no numpy: the samples are packed by hand)."""
    frames = []
    total = round(seconds * rate)
    for start in range(0, total, chunk):
        n = min(chunk, total - start)
        samples = array("h")
        for t in range(start, start + n):
            value = int(8000 * math.sin(2 * math.pi * 440 * t / rate))
            samples.extend((value, value))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=n)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        frames.append(frame)
    return frames


def h264_mp4(path: Path, **kwargs: object) -> Path:
    """2 s of 320x240 H.264 + AAC in an MP4: what the hub can play as it is."""
    return write_video(path, **kwargs)  # type: ignore[arg-type]


def iphone_hevc_mov(path: Path) -> Path:
    """An iPhone-like portrait clip: HEVC + AAC in a .mov, stored 320x240 and turned 90°
    clockwise for display (so it shows 240x320), with Apple's location and device tags."""
    return write_video(
        path, size=(240, 320), codec="libx265", container_format="mov", clockwise=90,
        metadata=APPLE_TAGS,
    )  # fmt: skip


def android_mp4(path: Path) -> Path:
    """An Android-like clip: H.264 + AAC MP4 with the location and device tags Android sets."""
    return write_video(path, metadata=ANDROID_TAGS)


def audio_only_mp4(path: Path) -> Path:
    return write_video(path, video=False)


def long_video(path: Path, seconds: int) -> Path:
    """``seconds`` long but nearly free to make: 16x16 pixels at 1 frame per second."""
    return write_video(path, seconds=seconds, size=(16, 16), fps=1, audio=False)


def truncated_mp4(path: Path) -> Path:
    """An MP4 cut short before its index (the moov atom, written last), as an upload that
    stopped early leaves it."""
    write_video(path)
    data = path.read_bytes()
    moov = data.find(b"moov")
    assert moov > data.find(b"mdat") > 0, "the index must come after the media data"
    path.write_bytes(data[: moov // 2])
    return path


def cut_mid_stream(path: Path, seconds: float = 2.0) -> Path:
    """A fast-start MP4 (index first) cut in the middle of its media data: the header
    promises ``seconds`` seconds, the bytes hold about half of them."""
    write_video(path, seconds=seconds, options={"movflags": "+faststart"})
    data = path.read_bytes()
    mdat = data.find(b"mdat")
    assert 0 < data.find(b"moov") < mdat, "the index must come before the media data"
    path.write_bytes(data[: mdat + (len(data) - mdat) // 2])
    return path


def jpeg_named_mp4(path: Path) -> Path:
    picture((320, 240), 0).save(path, "JPEG")
    return path


def text_file(path: Path) -> Path:
    path.write_text("These are my notes for the story, not a video.\n" * 20)
    return path


def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path
