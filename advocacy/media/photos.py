"""Photo pipeline: vet an uploaded photo, orient it, scrub its metadata, make its renditions.

Pure Pillow (plus pillow-heif for HEIC/HEIF); no Flask, so web requests, background tasks and
the benchmark all call :func:`process_photo` directly.

Policy, in one place:

* Only JPEG (incl. multi-picture MPO from phones), PNG, WebP and HEIF are accepted.  Formats are
  sniffed from magic bytes, never from the file name, and only their own Pillow plugins run.
* The pixel count is checked against the header before anything is decoded.
* Every rendition is a baseline JPEG (quality 85).  Transparency is flattened onto white: shared
  posts end up on social networks, where JPEG is the one format accepted everywhere.
* All metadata is dropped except the ICC profile, which is copied to every rendition (CMYK
  sources are converted to sRGB and carry an sRGB profile instead).
* Sizes: "large" keeps a long edge of at least LARGE_MIN_EDGE and at most LARGE_MAX_EDGE pixels
  (a smaller source keeps its own size); "feed" is at most FEED_WIDTH wide, "thumb" fits
  THUMB_BOX, and "card" is exactly CARD_SIZE (cover crop).  Only the card is ever enlarged.
* Speed: a JPEG is decoded at 1/2, 1/4 or 1/8 scale (draft mode), the smallest that still gives
  "large" its minimum edge, and that decode *is* "large" unless it exceeds LARGE_MAX_EDGE: on a
  24-megapixel photo no resample is needed at all.  Feed, thumb and card are made from "large"
  (the card from a finer decode only when "large" would have to be enlarged for it, e.g. for
  panoramas); resizes and encodes run on two threads, since Pillow releases the GIL for both.
  ``bench/photos.py`` measures this against libvips.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from PIL import ExifTags, Image, ImageFile, ImageOps
from PIL.JpegImagePlugin import JpegImageFile

__all__ = ["ACCEPTED_FORMATS", "PhotoRejected", "ProcessedPhoto", "Rendition", "process_photo"]

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# Recognised only to tell the user which format was refused; they are never decoded.
_REFUSED_FORMATS = ("GIF", "BMP", "TIFF", "ICO", "PSD", "JPEG2000", "AVIF")
LARGE_MIN_EDGE = 1440
LARGE_MAX_EDGE = 2048
FEED_WIDTH = 1080
THUMB_BOX = (400, 400)
CARD_SIZE = (1200, 627)
JPEG_QUALITY = 85
# Hamming: sharper than bilinear at bilinear's cost and, at the 1.2-1.4x reductions made here,
# hard to tell from bicubic, which costs two thirds more.  The thumb, shrunk 3-5x, is first
# box-reduced by a whole factor (Image.reduce), which leaves Hamming a reduction under 2x.
_FILTER = Image.Resampling.HAMMING
_THUMB_REDUCING_GAP = 1.0
_DCT_SCALES = (8, 4, 2)  # what libjpeg's scaled IDCT offers (besides 1), largest first
_WORKERS = 2  # Pillow releases the GIL while resizing and encoding, so two threads pay off.

_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_T = ExifTags.Base
# Tags that say nothing about the picture's origin once the orientation has been applied.
_EXIF_STRUCTURE = {_T.Orientation, _T.ExifOffset, _T.GPSInfo, _T.ExifInteroperabilityOffset}
_EXIF_CODES = {
    "camera": {_T.Make, _T.Model, _T.BodySerialNumber, _T.CameraSerialNumber, _T.CameraOwnerName,
               _T.LensMake, _T.LensModel, _T.LensSerialNumber, _T.LensSpecification,
               _T.MakerNote},
    "datetime": {_T.DateTime, _T.DateTimeOriginal, _T.DateTimeDigitized, _T.OffsetTime,
                 _T.OffsetTimeOriginal, _T.OffsetTimeDigitized, _T.SubsecTime,
                 _T.SubsecTimeOriginal, _T.SubsecTimeDigitized},
}  # fmt: skip
_XMP_CODES = {
    "location": re.compile(rb"gps(?:latitude|longitude|position|altitude)", re.I),
    "faces": re.compile(rb"mwg-rs:regions?\b|mp:regioninfo|mpri:regions", re.I),
    "camera": re.compile(rb"tiff:(?:make|model)|aux:(?:serialnumber|lens)|exifex:lens", re.I),
    "datetime": re.compile(rb"exif:datetimeoriginal|xmp:createdate|photoshop:datecreated", re.I),
}


class PhotoRejected(Exception):
    """A file that is not an acceptable photo.

    ``code`` is stable and machine-readable (the web layer maps it to a translated message);
    ``details`` carries what the message may quote, e.g. the refused format or the pixel sizes.
    """

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details: dict[str, object] = dict(details)

    def __str__(self) -> str:
        return f"{self.code} {self.details}" if self.details else self.code

    def __reduce__(self) -> tuple[type[PhotoRejected], tuple[str], dict[str, object]]:
        # Keyword-only details defeat the default pickling; task queues pickle exceptions.
        return (type(self), (self.code,), {"details": self.details})


@dataclass(frozen=True)
class Rendition:
    """One encoded derivative of a photo."""

    name: str
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedPhoto:
    """The outcome of :func:`process_photo`.

    ``width``/``height`` are the true picture size once the EXIF orientation is applied.
    ``removed`` lists, sorted, what the source carried and the renditions do not: "location",
    "camera", "datetime", "faces", "xmp", "iptc", "comment", "exif", "thumbnail".
    """

    source_format: str
    width: int
    height: int
    renditions: dict[str, Rendition]
    removed: tuple[str, ...]


def process_photo(stream: BinaryIO, *, max_pixels: int = 40_000_000) -> ProcessedPhoto:
    """Vet ``stream`` and make the "large", "feed", "thumb" and "card" renditions.

    ``stream`` is read from its start and left open.  Raises :class:`PhotoRejected` for
    anything that is not an acceptable photo; no other exception escapes for bad input.
    """
    with _open(stream, max_pixels) as im:
        fmt = "JPEG" if im.format == "MPO" else str(im.format)
        true_size = im.size
        jpeg = isinstance(im, JpegImageFile)
        # A JPEG's EXIF comes with its header, so its orientation is known before decoding.
        exif = _read_exif(im) if jpeg else None
        large_scale = 1
        if jpeg:
            large_scale, decode_scale = _dct_scales(true_size, _orientation(exif))
            if decode_scale > 1:
                # The DCT decoder then scales by 1/2, 1/4 or 1/8 while decoding: far less work.
                w, h = true_size
                im.draft("RGB", (max(1, w // decode_scale), max(1, h // decode_scale)))
        try:
            im.load()
        except Exception as exc:  # Pillow raises many types for broken data.
            raise PhotoRejected("truncated") from exc
        if not jpeg:  # other formats may keep their EXIF after the pixels
            exif = _read_exif(im)
        orientation = _orientation(exif)
        # What the decoder actually did (draft may refuse, or pick a finer scale).
        decoded = next((s for s in _DCT_SCALES if _scaled(true_size, s) == im.size), 1)
        removed = _removed(im, exif)
        picture, icc = _normalise(im if jpeg else _shrink_early(im), im.info.get("icc_profile"))
        if orientation in (5, 6, 7, 8):
            true_size = true_size[::-1]
        # Still inside the with: closing the file frees its pixels, which may be `picture`.
        with ThreadPoolExecutor(_WORKERS) as pool:
            renditions = _renditions(
                picture, max(1, large_scale // decoded), true_size, orientation, icc, pool
            )
    return ProcessedPhoto(fmt, *true_size, renditions, removed)


# --- identification -------------------------------------------------------------------------


def _open(stream: BinaryIO, max_pixels: int) -> ImageFile.ImageFile:
    """Identify the upload by content and open it (header only) with its own plugin."""
    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    stream.seek(0)
    head = stream.read(4096)
    if not head:
        raise PhotoRejected("empty")
    if _looks_like_svg(head):
        raise PhotoRejected("svg")
    _register_heif()
    fmt = _sniff(head, ACCEPTED_FORMATS)
    if fmt is None:
        _refuse_known_format(stream, head)
        raise PhotoRejected("not_an_image")
    if fmt == "WEBP":  # libwebp allocates the whole canvas when the file is opened.
        _check_pixels(_webp_size(head), max_pixels)
    # Calling the plugin directly skips Image.open()'s global DecompressionBomb limit: our own
    # per-call limit below replaces it, without warnings or process-wide state.
    im = _plugin_open(fmt, stream, "truncated")
    try:
        _check_pixels(im.size, max_pixels)
    except PhotoRejected:
        im.close()
        raise
    return im


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or (
        text.startswith(b"<") and b"<svg" in text
    )


def _register_heif() -> None:
    # Imported lazily: pillow-heif is heavy and only HEIC uploads need it.  Registering again
    # is harmless (it replaces the same registry entry).
    if "HEIF" not in Image.OPEN:
        try:
            from pillow_heif import register_heif_opener
        except ImportError:  # a slim install: HEIC uploads then read as "not_an_image"
            return
        register_heif_opener()


def _sniff(head: bytes, formats: Iterable[str]) -> str | None:
    for fmt in formats:
        if fmt not in Image.OPEN:
            Image.init()  # loads every plugin module once; only their accept() runs here
        accept = Image.OPEN[fmt][1] if fmt in Image.OPEN else None
        if accept is not None and accept(head) is True:
            return fmt
    return None


def _refuse_known_format(stream: BinaryIO, head: bytes) -> None:
    fmt = _sniff(head, _REFUSED_FORMATS)
    if fmt is not None:
        # Parse the header to be sure (BMP's magic is just "BM"); nothing is decoded.
        _plugin_open(fmt, stream, "not_an_image").close()
        raise PhotoRejected("unsupported_format", format=fmt)


def _plugin_open(fmt: str, stream: BinaryIO, failure: str) -> ImageFile.ImageFile:
    stream.seek(0)
    try:
        return Image.OPEN[fmt][0](stream, "")
    except Exception as exc:  # plugins raise SyntaxError, struct.error, ValueError...
        raise PhotoRejected(failure) from exc


def _webp_size(head: bytes) -> tuple[int, int] | None:
    """Canvas size from a WebP header, without libwebp."""
    chunk, le = head[12:16], int.from_bytes
    if chunk == b"VP8X" and len(head) >= 30:
        return le(head[24:27], "little") + 1, le(head[27:30], "little") + 1
    if chunk == b"VP8 " and len(head) >= 30:
        return le(head[26:28], "little") & 0x3FFF, le(head[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25:
        bits = le(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _check_pixels(size: tuple[int, int] | None, max_pixels: int) -> None:
    if size is not None and min(size) < 1:
        raise PhotoRejected("truncated")
    if size is not None and size[0] * size[1] > max_pixels:
        raise PhotoRejected("too_many_pixels", width=size[0], height=size[1], max_pixels=max_pixels)


# --- metadata -------------------------------------------------------------------------------


def _read_exif(im: Image.Image) -> Image.Exif | None:
    try:
        return im.getexif()
    except Exception:  # corrupt EXIF must not sink the photo; it is discarded anyway
        return None


def _orientation(exif: Image.Exif | None) -> int:
    value = exif.get(_T.Orientation, 1) if exif is not None else 1
    return value if value in _ORIENTATION else 1


def _removed(im: Image.Image, exif: Image.Exif | None) -> tuple[str, ...]:
    """Codes of the metadata found in the source, all of which the renditions leave out."""
    codes = _exif_codes(exif, im.info.get("exif"))
    xmp = _xmp_packets(im)
    if xmp:
        codes.add("xmp")
        codes.update(code for code, pattern in _XMP_CODES.items() if pattern.search(xmp))
    if isinstance(im, JpegImageFile):
        markers = {marker for marker, _ in im.applist}
        codes.update({"APP13": "iptc", "COM": "comment"}[m] for m in markers & {"APP13", "COM"})
    if im.info.get("thumbnails"):  # HEIF stores its previews beside the picture
        codes.add("thumbnail")
    for key in getattr(im, "text", {}):  # PNG text chunks (Pillow reads them while loading)
        codes.add(_png_text_code(key.lower()))
    return tuple(sorted(codes))


def _exif_codes(exif: Image.Exif | None, raw: object) -> set[str]:
    codes: set[str] = set()
    if exif is None:  # unreadable
        return {"exif"} if raw else codes
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        tags = {*exif, *exif.get_ifd(ExifTags.IFD.Exif)}
        if exif.get_ifd(ExifTags.IFD.IFD1):
            codes.add("thumbnail")
    except Exception:  # unreadable sub-IFDs are still EXIF that we drop
        return codes | {"exif"}
    if set(gps) - {ExifTags.GPS.GPSVersionID}:
        codes.add("location")
    elif gps:
        codes.add("exif")
    for tag in tags - _EXIF_STRUCTURE:
        codes.add(next((code for code, s in _EXIF_CODES.items() if tag in s), "exif"))
    return codes


def _xmp_packets(im: Image.Image) -> bytes:
    packets = [im.info.get("xmp", b"")]
    if isinstance(im, JpegImageFile):  # extended XMP lives in further APP1 segments
        packets += [data for marker, data in im.applist
                    if marker == "APP1" and data.startswith(b"http://ns.adobe.com/")]  # fmt: skip
    return b"".join(p if isinstance(p, bytes) else str(p).encode() for p in packets)


def _png_text_code(key: str) -> str:
    # ImageMagick and exiftool stash whole profiles in PNG text chunks under these names.
    if "xmp" in key:
        return "xmp"
    if "iptc" in key or "8bim" in key:
        return "iptc"
    return "exif" if "exif" in key or key == "app1" else "comment"


# --- pixels ---------------------------------------------------------------------------------


def _dct_scales(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """The DCT scale-downs (1, 2, 4 or 8) for "large", and for the decoder.

    "large" gets the coarsest scale whose long edge is still at least LARGE_MIN_EDGE (1 for a
    source smaller than that).  The decoder uses it too, unless the card would then have to
    be enlarged where the source has the pixels (portraits and panoramas): it then decodes
    finer, and "large" is made by a cheap whole-factor reduce, to the very same size.
    """
    w, h = size[::-1] if orientation in (5, 6, 7, 8) else size
    large = next((s for s in _DCT_SCALES if max(_scaled((w, h), s)) >= LARGE_MIN_EDGE), 1)
    need_w, need_h = min(w, CARD_SIZE[0]), min(h, CARD_SIZE[1])
    card = next((s for s in _DCT_SCALES if -(-w // s) >= need_w and -(-h // s) >= need_h), 1)
    return large, min(large, card)


def _scaled(size: tuple[int, int], scale: int) -> tuple[int, int]:
    """``size`` divided by ``scale``, rounded up as libjpeg and Image.reduce() do."""
    return -(-size[0] // scale), -(-size[1] // scale)


def _shrink_early(im: Image.Image) -> Image.Image:
    """Cut a big non-JPEG picture down by a whole factor before any full-size copy is made.

    A 40-megapixel PNG with transparency would otherwise be copied several times at full
    size while flattening; the factor keeps the long edge at LARGE_MAX_EDGE or more.
    """
    factor = max(im.size) // LARGE_MAX_EDGE
    if factor < 2 or im.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
        return im
    reduced = im.reduce(factor)
    reduced.info = dict(im.info)
    return reduced


def _normalise(im: Image.Image, icc: object) -> tuple[Image.Image, bytes | None]:
    """Return the picture as RGB (L for greyscale) without alpha, and the ICC profile to keep."""
    profile = icc if isinstance(icc, bytes) and icc else None
    if im.mode == "CMYK":
        return _cmyk_to_srgb(im, profile)
    if im.mode.startswith("I;16"):  # 16-bit grey: scale down, a plain convert would clip
        im = im.convert("I").point(lambda v: v * (1 / 256))
    target = "L" if im.mode in ("1", "L", "LA", "La", "I", "F") else "RGB"
    if im.has_transparency_data:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", im.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        im = flat
    if im.mode != target:
        im = im.convert(target)
    # A profile for another colour space would be wrong on the converted pixels.
    if profile is not None and profile[16:20] != {"L": b"GRAY", "RGB": b"RGB "}[target]:
        profile = None
    im.info = {}  # derived images copy info, and the JPEG encoder would write info["comment"]
    return im, profile


def _cmyk_to_srgb(im: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """Print-ready CMYK becomes sRGB through its profile; a CMYK profile cannot go on RGB."""
    from PIL import ImageCms

    out, profile = None, None
    if icc is not None:
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out = ImageCms.profileToProfile(im, source, srgb, outputMode="RGB")
            profile = srgb.tobytes()
        except (ImageCms.PyCMSError, OSError, ValueError):  # broken, or not a CMYK profile
            out = None
    if out is None:  # naive conversion, for want of a usable profile
        out, profile = im.convert("RGB"), None
    out.info = {}
    return out, profile


def _renditions(
    picture: Image.Image,
    reduce_by: int,
    true_size: tuple[int, int],
    orientation: int,
    icc: bytes | None,
    pool: Executor,
) -> dict[str, Rendition]:
    base = picture.reduce(reduce_by) if reduce_by > 1 else picture
    # Usually a no-op: only a decode beyond LARGE_MAX_EDGE (or a non-JPEG) is resampled.
    base = _resize(base, _fit(base.size, LARGE_MAX_EDGE, LARGE_MAX_EDGE), pool)
    large = _orient(base, orientation)
    # The card comes from "large" unless the decode kept pixels it needs (panoramas, portraits).
    covers = large.width >= CARD_SIZE[0] and large.height >= CARD_SIZE[1]
    card = large if covers or base.size == picture.size else _orient(picture, orientation)

    def card_then_large() -> tuple[bytes, bytes]:
        return _encode(ImageOps.fit(card, CARD_SIZE, _FILTER), icc), _encode(large, icc)

    # Two lanes of about equal work, one per core (Pillow releases the GIL for both resizing
    # and encoding): card and "large" on the pool, feed and thumb here.
    job = pool.submit(card_then_large)
    feed_size = _fit(large.size, FEED_WIDTH, large.height)
    feed = _resize(large, feed_size)
    thumb = _resize(large, _fit(feed_size, *THUMB_BOX), reducing_gap=_THUMB_REDUCING_GAP)
    # An image that needed no resizing shares the bytes of "large" instead of a second encode.
    feed_data = None if feed is large else _encode(feed, icc)
    thumb_data = None if thumb is large else _encode(thumb, icc)
    card_data, large_data = job.result()
    made = (
        ("large", large.size, large_data),
        ("feed", feed.size, large_data if feed_data is None else feed_data),
        ("thumb", thumb.size, large_data if thumb_data is None else thumb_data),
        ("card", CARD_SIZE, card_data),
    )
    return {name: Rendition(name, data, "image/jpeg", *size) for name, size, data in made}


def _fit(size: tuple[int, int], max_w: int, max_h: int) -> tuple[int, int]:
    """``size`` scaled to fit ``max_w`` x ``max_h``, never enlarged."""
    scale = min(1.0, max_w / size[0], max_h / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _resize(
    im: Image.Image,
    size: tuple[int, int],
    pool: Executor | None = None,
    resample: Image.Resampling = _FILTER,
    reducing_gap: float = 3.0,
) -> Image.Image:
    if im.size == size:
        return im
    if pool is None or size[1] < 512:
        return im.resize(size, resample, reducing_gap=reducing_gap)
    # Two horizontal bands on two threads; the box keeps the filter's full support at the seam.
    mid, ratio = size[1] // 2, im.height / size[1]
    bands = [
        pool.submit(
            im.resize,
            (size[0], y1 - y0),
            resample,
            (0, y0 * ratio, im.width, y1 * ratio),
            reducing_gap,
        )
        for y0, y1 in ((0, mid), (mid, size[1]))
    ]
    out = Image.new(im.mode, size)
    out.paste(bands[0].result(), (0, 0))
    out.paste(bands[1].result(), (0, mid))
    return out


def _orient(im: Image.Image, orientation: int) -> Image.Image:
    return im.transpose(_ORIENTATION[orientation]) if orientation in _ORIENTATION else im


def _encode(im: Image.Image, icc: bytes | None) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=JPEG_QUALITY, icc_profile=icc)
    return buf.getvalue()
