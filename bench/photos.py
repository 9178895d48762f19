"""Benchmark: our whole photo pipeline against libvips making one thumbnail of the same file.

Generates a photo-like 6000x4000 JPEG (quality 90, EXIF with GPS, an sRGB ICC profile), then
times, in alternation and after a warm-up:

* ours: ``process_photo(open(path, "rb"))`` -> large, feed, thumb and card, metadata scrubbed;
* vips: ``pyvips.Image.thumbnail(path, 400)`` written to a JPEG buffer (libvips is lazy, so
  the pixels are only computed when written; its operation cache is switched off).

Prints both medians (wall clock and CPU time, with the range over the runs), the ratios
ours/vips with PASS/MISS against the target (<= 1.0), the load average while the runs were
made (wall times on a busy machine are noisy; CPU time much less so), peak memory and the
renditions.

    .venv/bin/python bench/photos.py [--runs N]

Exits with code 2 when libvips cannot be loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from PIL import ExifTags, Image, ImageChops, ImageCms, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
SIZE = (6000, 4000)
THUMB = 400
TARGET = 1.0  # the target for ours/vips: our whole pipeline vs its one thumbnail


def load_pyvips() -> ModuleType | None:
    """Import pyvips, or None when it or the libvips shared library is missing."""
    try:
        import pyvips
    except Exception:  # ImportError, or OSError from cffi when libvips42 is not installed
        return None
    pyvips.cache_set_max(0)  # otherwise every run after the first is a cache hit
    module: ModuleType = pyvips
    return module


def photo_like(size: tuple[int, int], seed: int = 7) -> Image.Image:
    """Blurred shapes and gradients plus texture and sensor noise: compresses like a photo."""
    rng = random.Random(seed)
    w, h = size
    small = (w // 8, h // 8)
    gx = Image.linear_gradient("L").rotate(90).resize(small)
    gy = Image.linear_gradient("L").resize(small)
    base = Image.merge("RGB", (gx, gy, ImageChops.invert(gx)))
    draw = ImageDraw.Draw(base)
    for _ in range(120):
        x, y, r = rng.randrange(small[0]), rng.randrange(small[1]), rng.randrange(5, 120)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    base = base.filter(ImageFilter.GaussianBlur(2)).resize(size, Image.Resampling.BICUBIC)
    texture = Image.effect_noise((w // 2, h // 2), 40).resize(size, Image.Resampling.BILINEAR)
    noise = Image.effect_noise(size, 6)
    bands = [
        ImageChops.add(ImageChops.add(band, texture, 2, -64), noise, 1, -128)
        for band in base.split()
    ]
    return Image.merge("RGB", bands)


def camera_exif() -> Image.Exif:
    """EXIF as a phone writes it: camera, times, software and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "BenchCam"
    exif[ExifTags.Base.Model] = "BC-24"
    exif[ExifTags.Base.Software] = "bench 1.0"
    exif[ExifTags.Base.DateTime] = "2024:05:01 12:00:00"
    exif[ExifTags.Base.Orientation] = 1
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:05:01 12:00:00"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (52.0, 22.0, 1.5),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (4.0, 53.0, 2.0),
        }
    )
    return exif


def write_source(path: Path) -> int:
    """Write the 24-megapixel test JPEG; return its size in bytes."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo_like(SIZE).save(path, "JPEG", quality=90, exif=camera_exif(), icc_profile=icc)
    return path.stat().st_size


def make_runners(path: Path, pyvips: ModuleType) -> dict[str, Callable[[], object]]:
    """The two timed operations, each a complete job from the file on disk."""
    from advocacy.media.photos import process_photo

    def ours() -> object:
        with path.open("rb") as stream:
            return process_photo(stream)

    def vips() -> object:
        return pyvips.Image.thumbnail(str(path), THUMB).write_to_buffer(".jpg[Q=85]")

    return {"ours": ours, "vips": vips}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process
    return usage.ru_utime + usage.ru_stime


def time_alternating(
    runners: dict[str, Callable[[], object]], runs: int
) -> dict[str, list[tuple[float, float]]]:
    """(wall ms, CPU ms) of every run per runner; runs interleave so drift hits both alike.

    CPU time counts every thread and is far less disturbed by other load on the machine.
    """
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in runners}
    for fn in runners.values():
        fn()  # warm-up: plugin imports, libvips start-up, page cache
    for _ in range(runs):
        for name, fn in runners.items():
            wall, cpu = time.perf_counter(), cpu_seconds()
            fn()
            samples[name].append(
                ((time.perf_counter() - wall) * 1000, (cpu_seconds() - cpu) * 1000)
            )
    return samples


def summary(pairs: list[tuple[float, float]]) -> str:
    walls, cpus = [w for w, _ in pairs], [c for _, c in pairs]
    return (
        f"median {statistics.median(walls):6.1f} ms wall ({min(walls):.0f}-{max(walls):.0f}), "
        f"{statistics.median(cpus):6.1f} ms CPU ({min(cpus):.0f}-{max(cpus):.0f})"
    )


def verdict(ratio: float) -> str:
    return "PASS" if ratio <= TARGET else "MISS"


def traced_peak(fn: Callable[[], object]) -> int:
    """tracemalloc's peak for one call (Python-heap only: pixel buffers live in C)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def maxrss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status_mib(field: str) -> float:
    """VmRSS / VmHWM from /proc (Linux); unlike ru_maxrss, VmHWM starts afresh at exec()."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def isolated_rss(side: str, path: Path) -> dict[str, float] | None:
    """Peak RSS of one run of ``side`` in a fresh interpreter, since this one made the image."""
    if not Path("/proc/self/status").exists():
        return None
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def child(side: str, path: Path) -> None:
    """Entry point of :func:`isolated_rss`: import everything, then measure one run."""
    pyvips = load_pyvips()
    if pyvips is None:
        raise SystemExit(2)
    runner = make_runners(path, pyvips)[side]
    before = proc_status_mib("VmRSS")
    runner()
    peak = proc_status_mib("VmHWM")
    print(json.dumps({"peak_mib": peak, "delta_mib": peak - before}))


def report(path: Path, file_size: int, runs: int, pyvips: ModuleType) -> None:
    runners = make_runners(path, pyvips)
    load_before = os.getloadavg()[0]
    samples = time_alternating(runners, runs)
    load_after = os.getloadavg()[0]
    ours, vips = (statistics.median(w for w, _ in samples[side]) for side in ("ours", "vips"))
    ours_cpu, vips_cpu = (
        statistics.median(c for _, c in samples[side]) for side in ("ours", "vips")
    )
    ratio, cpu_ratio = ours / vips, ours_cpu / vips_cpu
    peak = traced_peak(runners["ours"])
    result = runners["ours"]()
    print(f"source: {SIZE[0]}x{SIZE[1]} JPEG q90, {file_size / 1e6:.1f} MB, EXIF+GPS+ICC")
    print(f"libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}, runs: {runs}")
    print(f"load average (1 min) before/after the runs: {load_before:.1f}/{load_after:.1f} "
          f"on {os.cpu_count()} CPUs")  # fmt: skip
    print(f"ours (4 renditions, scrubbed): {summary(samples['ours'])}")
    print(f"vips thumbnail({THUMB}) -> JPEG: {summary(samples['vips'])}")
    wall_part, cpu_part = f"{ratio:.2f} wall {verdict(ratio)}", f"{cpu_ratio:.2f} CPU"
    print(f"ratio ours/vips, target <= {TARGET:.1f}: {wall_part}, {cpu_part} {verdict(cpu_ratio)}")
    print(f"tracemalloc peak, ours: {peak / 2**20:.1f} MiB (Python heap only)")
    print(f"ru_maxrss, this process: {maxrss_mib():.0f} MiB (includes generating the source)")
    for side in ("ours", "vips"):
        rss = isolated_rss(side, path)
        if rss is None:
            continue
        print(f"peak RSS (VmHWM), fresh process, one {side} run: {rss['peak_mib']:.0f} MiB "
              f"(+{rss['delta_mib']:.0f} MiB during the run)")  # fmt: skip
    print(f"removed: {', '.join(getattr(result, 'removed', ()))}")
    for rendition in getattr(result, "renditions", {}).values():
        print(f"  {rendition.name:6s} {rendition.width:5d}x{rendition.height:<5d} "
              f"{len(rendition.data) / 1024:8.1f} KiB {rendition.content_type}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per side (default 7)")
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    pyvips = load_pyvips()
    if pyvips is None:
        print("libvips is not available (pip install pyvips; apt install libvips42); "
              "cannot run the peer benchmark.", file=sys.stderr)  # fmt: skip
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "source.jpg"
        report(path, write_source(path), max(1, args.runs), pyvips)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
