"""The video pipeline: what it refuses and why, what it reports, and the web version it makes."""

from __future__ import annotations

import io
import pickle
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from PIL import Image, ImageStat

from advocacy.media import video
from advocacy.media.photos import process_photo
from advocacy.media.video import (
    VideoProbe,
    VideoRejected,
    WebVersion,
    make_web_version,
    poster_frame,
    probe,
)
from tests.media import videos

# What any MP4 says about its own structure; nothing in it identifies a person or a phone.
STRUCTURAL_TAGS = {"major_brand", "minor_version", "compatible_brands"}
STRUCTURAL_STREAM_TAGS = {"language", "handler_name", "vendor_id"}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test videos, made once for the module (the HEVC encoder is the slow part)."""
    d = tmp_path_factory.mktemp("clips")
    return {
        "h264": videos.h264_mp4(d / "clip.mp4"),
        "iphone": videos.iphone_hevc_mov(d / "IMG_0001.MOV"),
        "android": videos.android_mp4(d / "VID_20240501.mp4"),
    }


def reddish(pixel: tuple[int, ...]) -> bool:
    r, g, b = pixel[:3]
    return r > 150 and g < 90 and b < 90


def first_frame(path: Path) -> Image.Image:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        image: Image.Image = frame.to_image()
    return image


def leftovers(directory: Path, keep: set[str]) -> set[str]:
    return {p.name for p in directory.iterdir()} - keep


# --- refusals --------------------------------------------------------------------------------


def rejection(path: Path, **limits: int) -> VideoRejected:
    with pytest.raises(VideoRejected) as caught:
        probe(path, **limits)
    return caught.value


def test_empty_file_is_refused_as_empty(tmp_path: Path) -> None:
    assert rejection(videos.empty_file(tmp_path / "clip.mp4")).code == "empty"


def test_text_file_named_mp4_is_not_a_video(tmp_path: Path) -> None:
    refused = rejection(videos.text_file(tmp_path / "notes.mp4"))
    assert (refused.code, refused.details) == ("not_a_video", {})


def test_photo_named_mp4_is_refused_as_the_photo_it_is(tmp_path: Path) -> None:
    refused = rejection(videos.jpeg_named_mp4(tmp_path / "holiday.mp4"))
    assert (refused.code, refused.details) == ("not_a_video", {"format": "JPEG"})


def test_heic_photo_named_mp4_is_refused_as_a_photo(tmp_path: Path) -> None:
    # FFmpeg itself would open it as a one-frame HEVC video.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    path = tmp_path / "IMG_0003.mp4"
    Image.new("RGB", (64, 48), videos.MARKER).save(path, "HEIF")
    refused = rejection(path)
    assert (refused.code, refused.details) == ("not_a_video", {"format": "HEIF"})


@pytest.mark.parametrize(
    "content",
    [
        b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
        b"ffconcat version 1.0\nfile '/etc/passwd'\n",
    ],
    ids=["hls-playlist", "concat-script"],
)
def test_playlists_that_would_read_other_files_are_not_opened(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    assert rejection(path).code == "not_a_video"


def test_mp4_cut_off_before_its_index_is_truncated(tmp_path: Path) -> None:
    assert rejection(videos.truncated_mp4(tmp_path / "clip.mp4")).code == "truncated"


def test_sound_only_file_has_no_video(tmp_path: Path) -> None:
    assert rejection(videos.audio_only_mp4(tmp_path / "voice-memo.mp4")).code == "no_video"


def test_too_long_video_says_how_long_it_is_and_what_the_limit_is(tmp_path: Path) -> None:
    refused = rejection(videos.long_video(tmp_path / "long.mp4", seconds=20), max_seconds=10)
    # The author's message: "This video is 20 seconds long; the hub takes up to 10 seconds".
    assert refused.code == "too_long"
    assert refused.details == {"duration": 20.0, "max_seconds": 10}


def test_length_is_measured_when_the_header_has_none(tmp_path: Path) -> None:
    # Browsers' live WebM recordings carry no duration: the packets' timestamps tell it.
    path = videos.write_video(
        tmp_path / "recording.webm", seconds=20, size=(16, 16), fps=1, audio=False,
        codec="libvpx-vp9", container_format="webm", options={"live": "1"},
    )  # fmt: skip
    with av.open(str(path)) as container:
        assert container.duration is None
    refused = rejection(path, max_seconds=10)
    assert (refused.code, refused.details) == ("too_long", {"duration": 20.0, "max_seconds": 10})
    assert probe(path).duration == 20.0


def test_frame_over_the_pixel_cap_is_refused_before_decoding(clips: dict[str, Path]) -> None:
    refused = rejection(clips["h264"], max_pixels=320 * 240 - 1)
    assert refused.code == "too_many_pixels"
    assert refused.details == {"width": 320, "height": 240, "max_pixels": 320 * 240 - 1}


def test_8k_frames_are_within_the_default_pixel_cap() -> None:
    assert video.MAX_PIXELS >= 7680 * 4320  # 33 megapixels


def test_file_over_the_byte_limit_is_refused(clips: dict[str, Path]) -> None:
    size = clips["h264"].stat().st_size
    refused = rejection(clips["h264"], max_bytes=size - 1)
    assert (refused.code, refused.details) == ("too_large", {"size": size, "max_bytes": size - 1})


def test_video_whose_pictures_cannot_be_decoded_is_refused(tmp_path: Path) -> None:
    path = videos.write_video(tmp_path / "clip.mp4", options={"movflags": "+faststart"})
    data = bytearray(path.read_bytes())
    rng = random.Random(1)
    for i in range(data.find(b"mdat") + 4, len(data)):  # the index stays, the pictures go
        data[i] = rng.randrange(256)
    path.write_bytes(bytes(data))
    refused = rejection(path)
    assert (refused.code, refused.details) == ("undecodable", {"codec": "h264"})


def damaged(data: bytes, rng: random.Random) -> bytes:
    """``data`` with a few bytes flipped, a word overwritten, or its tail cut off."""
    out = bytearray(data)
    kind = rng.randrange(3)
    if kind == 0:
        for _ in range(rng.randrange(1, 20)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif kind == 1:
        del out[rng.randrange(len(out)) :]
    else:
        at = rng.randrange(min(4000, len(out)))
        out[at : at + 4] = rng.randbytes(4)
    return bytes(out)


def test_damaged_files_are_refused_or_processed_never_crash(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    rng = random.Random(11)
    sources = [clips["h264"].read_bytes(), clips["iphone"].read_bytes()]
    outcomes = set()
    for case in range(40):
        src, dst = tmp_path / f"case{case}.mp4", tmp_path / f"case{case}.web.mp4"
        src.write_bytes(damaged(sources[case % 2], rng))
        try:
            made = make_web_version(src, dst, probe(src))
            poster_frame(src, probe(src))
        except VideoRejected as refused:
            outcomes.add(refused.code)
            assert not dst.exists()
        else:
            outcomes.add("made")
            assert probe(dst).duration == made.duration
        src.unlink()
        dst.unlink(missing_ok=True)
    assert {"made", "truncated"} <= outcomes
    assert leftovers(tmp_path, set()) == set()  # no half-written file anywhere


def test_rejection_survives_the_task_queue() -> None:
    sent = pickle.dumps(VideoRejected("too_long", duration=360, max_seconds=180))
    refused = pickle.loads(sent)  # noqa: S301 - our own bytes, as huey's result store
    assert (refused.code, refused.details) == ("too_long", {"duration": 360, "max_seconds": 180})
    assert str(refused) == "too_long {'duration': 360, 'max_seconds': 180}"


# --- probing ---------------------------------------------------------------------------------


def test_probe_describes_a_phone_mp4(clips: dict[str, Path]) -> None:
    found = probe(clips["h264"])
    assert found == VideoProbe(
        format="mp4", video_codec="h264", audio_codec="aac", pixel_format="yuv420p",
        duration=2.0, width=320, height=240, rotation=0, frame_rate=25.0,
        bit_rate=found.bit_rate, size=clips["h264"].stat().st_size, web_playable=True,
        metadata=(),
    )  # fmt: skip
    assert found.bit_rate is not None and found.bit_rate > 0


def test_probe_reports_an_iphone_clip_upright_with_what_it_gives_away(
    clips: dict[str, Path],
) -> None:
    found = probe(clips["iphone"])
    assert (found.format, found.video_codec, found.audio_codec) == ("mov", "hevc", "aac")
    # Stored 320x240 and turned a quarter clockwise for display, as an upright iPhone films.
    assert (found.width, found.height, found.rotation) == (240, 320, 90)
    assert not found.web_playable
    assert found.metadata == ("camera", "datetime", "location", "software")


def test_probe_finds_androids_location_and_device_tags(clips: dict[str, Path]) -> None:
    found = probe(clips["android"])
    assert found.web_playable
    assert found.metadata == ("camera", "location", "software")


# --- the web version -------------------------------------------------------------------------


def video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(video=0) if p.size]


def test_playable_video_is_remuxed_not_transcoded(clips: dict[str, Path], tmp_path: Path) -> None:
    dst = tmp_path / "web.mp4"
    made = make_web_version(clips["h264"], dst, probe(clips["h264"]))
    assert made == WebVersion(
        duration=2.0, width=320, height=240, size=dst.stat().st_size, video_codec="h264",
        audio_codec="aac", transcoded=False, removed=(),
    )  # fmt: skip
    # Stream copy: the very same compressed pictures, and they play.
    assert video_packets(dst) == video_packets(clips["h264"])
    with av.open(str(dst)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 50


def test_iphone_clip_becomes_upright_h264_aac_mp4_without_location_or_device(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    dst = tmp_path / "web.mp4"
    made = make_web_version(clips["iphone"], dst, probe(clips["iphone"]))
    assert (made.video_codec, made.audio_codec, made.transcoded) == ("h264", "aac", True)
    assert {"location", "camera"} <= set(made.removed)
    assert made.content_type == "video/mp4"
    again = probe(dst)
    assert (again.format, again.video_codec, again.audio_codec) == ("mp4", "h264", "aac")
    assert again.web_playable
    # The pixels themselves were turned: no display matrix needed, red marker top left.
    assert (again.width, again.height, again.rotation) == (240, 320, 0)
    picture = first_frame(dst)
    assert picture.size == (240, 320)
    assert reddish(picture.getpixel((5, 5)))  # type: ignore[arg-type]
    assert again.duration == pytest.approx(2.0, abs=0.1)
    assert again.metadata == ()
    with av.open(str(dst)) as container:
        assert set(container.metadata) <= STRUCTURAL_TAGS, container.metadata
        for stream in container.streams:
            assert set(stream.metadata) <= STRUCTURAL_STREAM_TAGS, stream.metadata
            assert "creation_time" not in stream.metadata


def test_remux_keeps_the_rotation_and_drops_the_tags(tmp_path: Path) -> None:
    src = videos.write_video(
        tmp_path / "IMG_0002.MOV", size=(240, 320), clockwise=90, container_format="mov",
        metadata=videos.APPLE_TAGS,
    )  # fmt: skip
    found = probe(src)
    assert found.web_playable  # H.264 in a .mov: copied, not re-encoded
    made = make_web_version(src, tmp_path / "web.mp4", found)
    assert (made.transcoded, made.width, made.height) == (False, 240, 320)
    again = probe(tmp_path / "web.mp4")
    assert (again.width, again.height, again.rotation) == (240, 320, 90)
    assert again.metadata == ()
    assert {"location", "camera", "software", "datetime"} <= set(made.removed)


def test_web_version_starts_with_its_index(clips: dict[str, Path], tmp_path: Path) -> None:
    for name in ("h264", "iphone"):
        dst = tmp_path / f"{name}.mp4"
        make_web_version(clips[name], dst, probe(clips[name]))
        data = dst.read_bytes()
        assert 0 < data.find(b"moov") < data.find(b"mdat"), name


def test_big_frames_are_fitted_into_1080p_with_even_sides(tmp_path: Path) -> None:
    src = videos.write_video(tmp_path / "wide.mkv", size=(2000, 202), seconds=0.2,
                             container_format="matroska", audio=False)  # fmt: skip
    found = probe(src)
    assert (found.format, found.web_playable) == ("matroska", False)
    made = make_web_version(src, tmp_path / "web.mp4", found)
    # 2000x202 scaled by 0.96 is 1920x193.9: the odd side is rounded to an even one.
    assert (made.width, made.height, made.audio_codec) == (1920, 194, None)


def test_all_keyframe_source_is_not_transcoded_to_all_keyframes(tmp_path: Path) -> None:
    # Editing apps export intra-only video; copying its frame types would bloat the web version.
    src = videos.write_video(tmp_path / "intra.mkv", container_format="matroska", audio=False,
                             gop=1)  # fmt: skip
    with av.open(str(src)) as container:
        assert all(p.is_keyframe for p in container.demux(video=0) if p.size)
    make_web_version(src, tmp_path / "web.mp4", probe(src))
    with av.open(str(tmp_path / "web.mp4")) as container:
        keyframes = [p.is_keyframe for p in container.demux(video=0) if p.size]
    assert len(keyframes) == 50
    assert sum(keyframes) == 1


def test_an_existing_web_version_is_replaced_whole(clips: dict[str, Path], tmp_path: Path) -> None:
    dst = tmp_path / "web.mp4"
    dst.write_bytes(b"an older version")
    make_web_version(clips["h264"], dst, probe(clips["h264"]))
    assert probe(dst).duration == 2.0
    assert leftovers(tmp_path, {"web.mp4"}) == set()


# --- interrupted runs leave nothing behind ---------------------------------------------------


def test_source_cut_short_mid_stream_leaves_no_web_version(tmp_path: Path) -> None:
    src = videos.cut_mid_stream(tmp_path / "clip.mp4")
    found = probe(src)  # the header is whole: it promises 2 seconds
    assert found.duration == 2.0
    with pytest.raises(VideoRejected) as caught:
        make_web_version(src, tmp_path / "web.mp4", found)
    assert caught.value.code == "truncated"
    assert leftovers(tmp_path, {"clip.mp4"}) == set()


def interrupt_after_first_frames(
    monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]
) -> None:
    """Run ``action`` once the transcode has started encoding."""
    original = video._Pictures.pull
    calls = []

    def pull(self: video._Pictures) -> list[av.VideoFrame]:
        frames = original(self)
        if frames:
            calls.append(1)
            if len(calls) == 3:
                action()
        return frames

    monkeypatch.setattr(video._Pictures, "pull", pull)


def test_transcode_interrupted_midway_leaves_the_old_file_and_no_part(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dst = out / "web.mp4"
    dst.write_bytes(b"the previous version")

    def stop() -> None:
        assert any(p.name.endswith(".part") for p in out.iterdir())  # half written
        raise KeyboardInterrupt  # a worker told to stop

    interrupt_after_first_frames(monkeypatch, stop)
    with pytest.raises(KeyboardInterrupt):
        make_web_version(clips["iphone"], dst, probe(clips["iphone"]))
    assert dst.read_bytes() == b"the previous version"
    assert leftovers(out, {"web.mp4"}) == set()


def test_destination_removed_midway_leaves_no_file(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    interrupt_after_first_frames(monkeypatch, lambda: shutil.rmtree(out))
    with pytest.raises(OSError):
        make_web_version(clips["iphone"], out / "web.mp4", probe(clips["iphone"]))
    assert not out.exists()


# --- poster ----------------------------------------------------------------------------------


def test_poster_is_upright_at_the_displayed_size(clips: dict[str, Path]) -> None:
    poster = poster_frame(clips["iphone"], probe(clips["iphone"]))
    assert (poster.mode, poster.size) == ("RGB", (240, 320))
    assert reddish(poster.getpixel((5, 5)))  # type: ignore[arg-type]
    assert not reddish(poster.getpixel((235, 5)))  # type: ignore[arg-type]


def test_poster_skips_a_black_opening(tmp_path: Path) -> None:
    src = videos.write_video(tmp_path / "fade.mp4", seconds=4, black_seconds=1.5, audio=False)
    assert ImageStat.Stat(first_frame(src).convert("L")).extrema[0][1] < 30  # black
    poster = poster_frame(src, probe(src))
    assert reddish(poster.getpixel((5, 5)))  # type: ignore[arg-type]


def test_poster_makes_every_photo_rendition_including_the_share_card(
    clips: dict[str, Path],
) -> None:
    poster = poster_frame(clips["h264"], probe(clips["h264"]))
    buf = io.BytesIO()
    poster.save(buf, "PNG")
    photo = process_photo(buf)
    assert set(photo.renditions) == {"large", "feed", "thumb", "card"}
    card = photo.renditions["card"]
    assert (card.width, card.height) == (1200, 627)
    assert Image.open(io.BytesIO(card.data)).size == (1200, 627)
    assert photo.removed == ()
