"""The photo pipeline: what it accepts, what it refuses, what it strips and what it makes."""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageFile

from advocacy.media.photos import (
    ACCEPTED_FORMATS,
    PhotoRejected,
    ProcessedPhoto,
    process_photo,
)

NAMES = {"large", "feed", "thumb", "card"}
CODES = {"empty", "svg", "unsupported_format", "not_an_image", "truncated", "too_many_pixels"}
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --- building test files ---------------------------------------------------------------------


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def two_tone(size: tuple[int, int] = (400, 200)) -> Image.Image:
    """Left half red, right half blue: shows which way the picture was turned."""
    im = Image.new("RGB", size, (220, 20, 20))
    im.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    return im


def noisy(size: tuple[int, int]) -> Image.Image:
    """Noise compresses badly, so the encoded file is mostly scan data after a short header."""
    return Image.merge("RGB", [Image.effect_noise(size, 60)] * 3)


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS R6"
    exif[ExifTags.Base.DateTime] = "2024:05:01 12:00:00"
    exif[ExifTags.Base.Software] = "Lightroom"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (52.0, 22.0, 1.5),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (4.0, 53.0, 2.0),
        }
    )
    return exif


def with_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """Insert an APPn/COM segment right after the SOI marker."""
    return jpeg[:2] + struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload + jpeg[2:]


def exif_with_thumbnail(thumbnail: bytes) -> bytes:
    """Hand-made little-endian EXIF: an empty IFD0 chained to an IFD1 holding a JPEG preview."""
    ifd0 = struct.pack("<HI", 0, 14)  # no entries, IFD1 at offset 14
    ifd1 = struct.pack("<H", 2)
    ifd1 += struct.pack("<HHII", 0x0201, 4, 1, 44)  # JPEGInterchangeFormat: data at 44
    ifd1 += struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail))
    ifd1 += struct.pack("<I", 0)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd0 + ifd1 + thumbnail


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header declaring a huge picture, followed by a tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 256)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def process(data: bytes) -> ProcessedPhoto:
    return process_photo(io.BytesIO(data))


def reopen(photo: ProcessedPhoto, name: str) -> Image.Image:
    im = Image.open(io.BytesIO(photo.renditions[name].data))
    im.load()
    return im


def rejection(data: bytes) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        process(data)
    return caught.value


# --- metadata --------------------------------------------------------------------------------


def test_jpeg_loses_gps_and_camera_but_keeps_its_icc_profile() -> None:
    source = encode(two_tone(), "JPEG", exif=camera_exif(), icc_profile=SRGB)

    photo = process(source)

    assert {"location", "camera", "datetime", "exif"} <= set(photo.removed)
    assert set(photo.renditions) == NAMES
    for name in NAMES:
        im = reopen(photo, name)
        exif = im.getexif()
        assert len(exif) == 0
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert im.info.get("icc_profile") == SRGB
        assert photo.renditions[name].content_type == "image/jpeg"


def test_renditions_carry_no_xmp_comment_or_other_segments() -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    source = encode(two_tone(), "JPEG", exif=camera_exif(), xmp=xmp, comment=b"secret")

    photo = process(source)

    for name in NAMES:
        im = reopen(photo, name)
        assert "xmp" not in im.info
        assert "comment" not in im.info
        assert "icc_profile" not in im.info
        assert {marker for marker, _ in im.applist} <= {"APP0"}  # type: ignore[attr-defined]


def test_orientation_only_exif_is_applied_and_not_reported_as_removed() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    source = encode(two_tone((400, 200)), "JPEG", exif=exif)

    photo = process(source)

    assert (photo.width, photo.height) == (200, 400)
    assert photo.removed == ()
    for name in ("large", "feed", "thumb"):
        rendition = photo.renditions[name]
        assert (rendition.width, rendition.height) == (200, 400)
    large = reopen(photo, "large")
    # Orientation 6 turns the picture clockwise: the red left half ends up on top.
    top, bottom = large.getpixel((100, 60)), large.getpixel((100, 340))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 > top[2]
    assert bottom[2] > 150 > bottom[0]


@pytest.mark.parametrize(
    ("xmp", "expected"),
    [
        (b"<rdf:Description exif:GPSLatitude='52,22.1N'/>", {"xmp", "location"}),
        (b"<mwg-rs:Regions><mwg-rs:RegionList/></mwg-rs:Regions>", {"xmp", "faces"}),
        (b"<MP:RegionInfo><MPRI:Regions/></MP:RegionInfo>", {"xmp", "faces"}),
        (b"<rdf:Description xmp:CreatorTool='Darktable'/>", {"xmp"}),
    ],
)
def test_xmp_is_classified(xmp: bytes, expected: set[str]) -> None:
    packet = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>' + xmp + b"</rdf:RDF></x:xmpmeta>"

    photo = process(encode(two_tone(), "JPEG", xmp=packet))

    assert set(photo.removed) == expected


def test_jpeg_comment_iptc_and_exif_thumbnail_are_reported() -> None:
    thumbnail = encode(two_tone((16, 8)), "JPEG")
    source = encode(two_tone(), "JPEG", comment=b"taken at the party")
    source = with_segment(source, 0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x00")
    source = with_segment(source, 0xE1, exif_with_thumbnail(thumbnail))

    photo = process(source)

    assert {"comment", "iptc", "thumbnail"} <= set(photo.removed)


def test_png_text_chunk_is_removed_as_comment() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "office party, 3rd floor")
    source = encode(two_tone(), "PNG", pnginfo=info, icc_profile=SRGB)

    photo = process(source)

    assert photo.source_format == "PNG"
    assert "comment" in photo.removed
    large = reopen(photo, "large")
    assert "Comment" not in large.info
    assert large.info.get("icc_profile") == SRGB


# --- formats ---------------------------------------------------------------------------------


def test_webp_is_accepted() -> None:
    photo = process(encode(two_tone(), "WEBP", exif=camera_exif()))

    assert photo.source_format == "WEBP"
    assert "location" in photo.removed
    assert set(photo.renditions) == NAMES


def test_heic_is_accepted() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    # pillow-heif (a dependency) ships its wheels with an HEVC encoder: no reason to skip.
    source = encode(two_tone(), "HEIF", exif=camera_exif().tobytes())

    photo = process(source)

    assert photo.source_format == "HEIF"
    assert (photo.width, photo.height) == (400, 200)
    assert {"location", "camera"} <= set(photo.removed)


def test_multi_picture_jpeg_from_a_phone_counts_as_jpeg() -> None:
    source = encode(two_tone(), "MPO", save_all=True, append_images=[two_tone((40, 20))])
    assert Image.open(io.BytesIO(source)).format == "MPO"

    photo = process(source)

    assert photo.source_format == "JPEG"
    assert (photo.width, photo.height) == (400, 200)


def test_transparent_png_is_flattened_onto_white() -> None:
    im = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    im.paste((0, 0, 255, 255), (0, 0, 150, 200))

    photo = process(encode(im, "PNG"))

    large = reopen(photo, "large")
    assert large.mode == "RGB"
    right, left = large.getpixel((250, 100)), large.getpixel((50, 100))
    assert isinstance(right, tuple) and min(right) > 240
    assert isinstance(left, tuple) and left[2] > 200 > left[0]


def test_sixteen_bit_greyscale_png_keeps_its_tones() -> None:
    im = Image.new("I;16", (64, 64), 32768)

    photo = process(encode(im, "PNG"))

    value = reopen(photo, "thumb").getpixel((32, 32))
    assert isinstance(value, (int, float))
    assert 120 <= value <= 136


def test_cmyk_jpeg_becomes_rgb() -> None:
    photo = process(encode(Image.new("CMYK", (300, 200), (0, 255, 255, 0)), "JPEG"))

    large = reopen(photo, "large")
    assert large.mode == "RGB"
    pixel = large.getpixel((150, 100))
    assert isinstance(pixel, tuple) and pixel[0] > 200 > pixel[1]


def test_accepted_formats_are_the_documented_four() -> None:
    assert ACCEPTED_FORMATS == ("JPEG", "PNG", "WEBP", "HEIF")


# --- sizes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(300, 200), (4000, 3000), (900, 1600), (3000, 300), (1, 1)])
def test_card_is_exactly_1200_by_627(size: tuple[int, int]) -> None:
    photo = process(encode(two_tone(size), "JPEG"))

    card = photo.renditions["card"]
    assert (card.width, card.height) == (1200, 627)
    assert reopen(photo, "card").size == (1200, 627)


def test_small_source_is_never_upscaled() -> None:
    photo = process(encode(two_tone((300, 200)), "JPEG"))

    for name in ("large", "feed", "thumb"):
        rendition = photo.renditions[name]
        assert (rendition.width, rendition.height) == (300, 200)
        assert reopen(photo, name).size == (300, 200)


def test_big_source_is_fitted_to_each_rendition() -> None:
    photo = process(encode(noisy((4000, 3000)), "JPEG", quality=70))

    sizes = {name: (r.width, r.height) for name, r in photo.renditions.items()}
    assert (photo.width, photo.height) == (4000, 3000)
    assert sizes == {
        "large": (2000, 1500),  # the 1/2-scale decode, as is
        "feed": (1080, 810),
        "thumb": (400, 300),
        "card": (1200, 627),
    }
    for name, size in sizes.items():
        assert reopen(photo, name).size == size


@pytest.mark.parametrize(
    ("source", "large", "feed", "thumb"),
    [
        ((6000, 4000), (1500, 1000), (1080, 720), (400, 267)),  # 1/4 decode, no resample
        ((4032, 3024), (2016, 1512), (1080, 810), (400, 300)),  # 1/4 would be 1008: 1/2
        ((5000, 3000), (2048, 1229), (1080, 648), (400, 240)),  # 1/2 is 2500: resized
        ((4000, 6000), (1000, 1500), (1000, 1500), (267, 400)),  # portrait: 1/4 too
        ((2100, 1400), (2048, 1365), (1080, 720), (400, 267)),  # 1/2 is 1050: full, resized
        ((1600, 1200), (1600, 1200), (1080, 810), (400, 300)),  # under 2048: full size
        ((8000, 1000), (2000, 250), (1080, 135), (400, 50)),  # panorama: 1/4
    ],
)
def test_jpeg_large_is_the_smallest_dct_scale_of_at_least_1440(
    source: tuple[int, int],
    large: tuple[int, int],
    feed: tuple[int, int],
    thumb: tuple[int, int],
) -> None:
    photo = process(encode(two_tone(source), "JPEG", quality=70))

    sizes = {name: (r.width, r.height) for name, r in photo.renditions.items()}
    assert sizes == {"large": large, "feed": feed, "thumb": thumb, "card": (1200, 627)}
    for name, size in sizes.items():
        assert reopen(photo, name).size == size


@pytest.mark.parametrize(
    ("size", "orientation", "scales"),
    [
        ((6000, 4000), 1, (4, 4)),
        ((4032, 3024), 1, (2, 2)),
        ((4000, 6000), 1, (4, 2)),  # 1/4 would be 1000 wide: the card decodes at 1/2
        ((6000, 4000), 6, (4, 2)),  # the same portrait, stored turned
        ((8000, 1000), 1, (4, 1)),  # 1/2 would be 500 high: the card needs every row
        ((1000, 800), 1, (1, 1)),
    ],
)
def test_decode_scale_keeps_the_card_from_being_enlarged(
    size: tuple[int, int], orientation: int, scales: tuple[int, int]
) -> None:
    from advocacy.media.photos import _dct_scales

    assert _dct_scales(size, orientation) == scales


def test_big_png_is_resized_to_2048() -> None:
    photo = process(encode(two_tone((3000, 2000)), "PNG"))

    large = photo.renditions["large"]
    assert (large.width, large.height) == (2048, 1365)
    assert reopen(photo, "large").size == (2048, 1365)


def test_big_rotated_jpeg_is_decoded_reduced_and_turned() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    source = encode(noisy((4800, 3200)), "JPEG", quality=70, exif=exif)

    photo = process(source)

    assert (photo.width, photo.height) == (3200, 4800)
    sizes = {name: (r.width, r.height) for name, r in photo.renditions.items()}
    assert sizes == {
        "large": (1365, 2048),
        "feed": (1080, 1620),
        "thumb": (267, 400),
        "card": (1200, 627),
    }


def test_two_band_resize_matches_a_single_pass() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from PIL import ImageChops

    from advocacy.media.photos import _resize

    source = noisy((1500, 1001))
    with ThreadPoolExecutor(2) as pool:
        banded = _resize(source, (1024, 683), pool)
    whole = _resize(source, (1024, 683))

    extrema = ImageChops.difference(banded, whole).getextrema()
    assert isinstance(extrema, tuple) and isinstance(extrema[0], tuple)
    assert max(band[1] for band in extrema if isinstance(band, tuple)) <= 2


def test_portrait_thumb_fits_in_400_square() -> None:
    photo = process(encode(two_tone((1000, 3000)), "PNG"))

    thumb = photo.renditions["thumb"]
    assert (thumb.width, thumb.height) == (133, 400)
    feed = photo.renditions["feed"]
    assert (feed.width, feed.height) == (683, 2048)


# --- rejections ------------------------------------------------------------------------------


def test_text_file_named_photo_jpg_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_text("Dear team, the photos are attached.\n")

    with path.open("rb") as stream, pytest.raises(PhotoRejected) as caught:
        process_photo(stream)

    assert caught.value.code == "not_an_image"


def test_truncated_jpeg_is_refused() -> None:
    whole = encode(noisy((512, 512)), "JPEG", quality=90)

    assert rejection(whole[: len(whole) // 2]).code == "truncated"


def test_tiny_png_declaring_30000_squared_is_refused_from_its_header(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = png_declaring(30000, 30000)
    assert len(data) < 500
    decoded: list[object] = []
    # Decoding 900 megapixels would take minutes and 2.7 GB: the header alone must decide.
    monkeypatch.setattr(ImageFile.ImageFile, "load",
                        lambda image: decoded.append(image) or pytest.fail("decoded"))

    refused = rejection(data)

    assert refused.code == "too_many_pixels"
    assert refused.details == {"width": 30000, "height": 30000, "max_pixels": 40_000_000}
    assert decoded == []


def test_max_pixels_is_a_per_call_limit() -> None:
    source = encode(two_tone((400, 200)), "PNG")

    assert rejection_with_limit(source, 79_999).code == "too_many_pixels"
    assert process_photo(io.BytesIO(source), max_pixels=80_000).width == 400


def rejection_with_limit(data: bytes, max_pixels: int) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(io.BytesIO(data), max_pixels=max_pixels)
    return caught.value


@pytest.mark.parametrize(
    "svg",
    [
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
        b'\xef\xbb\xbf  <svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
        b"<!-- logo -->\n<svg><script>alert(1)</script></svg>",
    ],
)
def test_svg_is_refused(svg: bytes) -> None:
    assert rejection(svg).code == "svg"


def test_zero_bytes_are_empty() -> None:
    assert rejection(b"").code == "empty"


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF")])
def test_other_image_formats_are_unsupported(fmt: str, name: str) -> None:
    refused = rejection(encode(two_tone((40, 20)), fmt))

    assert refused.code == "unsupported_format"
    assert refused.details == {"format": name}


def test_rejection_survives_pickling() -> None:
    refused = PhotoRejected("too_many_pixels", width=1, height=2, max_pixels=1)

    copy = pickle.loads(pickle.dumps(refused))  # noqa: S301 - our own bytes, as a task queue

    assert (copy.code, copy.details) == ("too_many_pixels", refused.details)


def test_caller_stream_is_left_open() -> None:
    stream = io.BytesIO(encode(two_tone(), "JPEG"))

    process_photo(stream)

    assert not stream.closed


# --- anything at all -------------------------------------------------------------------------

SEEDS = [
    encode(noisy((24, 16)), "JPEG"),
    encode(noisy((24, 16)), "JPEG", progressive=True, exif=camera_exif()),
    encode(noisy((24, 16)), "PNG"),
    encode(noisy((24, 16)), "WEBP"),
    png_declaring(3, 2),
]
MAGIC = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBPVP8X", b"GIF89a"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid small image with a stretch of it overwritten, cut short or left as is."""
    seed = draw(st.sampled_from(SEEDS))
    start = draw(st.integers(0, len(seed)))
    patch = draw(st.binary(max_size=16))
    end = draw(st.integers(start, len(seed)))
    return seed[:start] + patch + seed[end:]


anything = st.one_of(
    st.binary(max_size=512),
    st.builds(lambda magic, tail: magic + tail, st.sampled_from(MAGIC), st.binary(max_size=256)),
    mutated(),
)


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(anything)
def test_arbitrary_bytes_raise_nothing_but_photo_rejected(data: bytes) -> None:
    try:
        photo = process(data)
    except PhotoRejected as refused:
        assert refused.code in CODES
    else:
        assert set(photo.renditions) == NAMES
