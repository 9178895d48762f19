"""Benchmark: our web version of a phone video against the ffmpeg command line doing the same.

Generates (once per run, in a temporary directory) a 60-second 1080p HEVC clip as an upright
iPhone films it: HEVC (x265) in a .mov, stored 1920x1080 with a display matrix that turns it a
quarter clockwise, 30 fps, AAC stereo sound, Apple location and device tags.  The pictures are
FFmpeg's ``testsrc2`` pattern (moving shapes, a counter, colour bars), so every frame differs.

Then times, in alternation after nothing but the generation:

* ours: ``make_web_version`` (decode, turn upright, x264 CRF 23 "veryfast", AAC 128 kb/s
  48 kHz stereo, ``+faststart``, tags dropped), after ``probe``;
* ffmpeg: the ``ffmpeg`` CLI with the same settings (it turns the picture upright by itself):
  ``-c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -b:a 128k -ar 48000
  -ac 2 -map_metadata -1 -fflags +bitexact -movflags +faststart``.

Prints the wall and CPU seconds of each run, the realtime factor (seconds of video per second
of work), the ratio ours/ffmpeg against the target (<= 1.2) as PASS or MISS, and both outputs
(size, codecs, display size) so the comparison is seen to be like for like.

    .venv/bin/python bench/transcode.py [--runs N] [--seconds S] [--source FILE]

Generating the clip takes a few minutes (x265, even at "ultrafast"); ``--source FILE`` keeps
it for the next run.

Needs Debian's ``ffmpeg`` for the comparison (``apt-get install ffmpeg``); without it, it
times ours alone and exits with code 2.  Exit code 0 when the target is met, 1 when missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.2  # the target for ours/ffmpeg
SIZE = (1920, 1080)  # as stored; displayed 1080x1920
FPS = 30
TAGS = {
    "com.apple.quicktime.location.ISO6709": "+52.3731+004.8922+002.000/",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15 Pro",
    "com.apple.quicktime.software": "17.4.1",
}


def make_source(path: Path, seconds: int) -> None:
    """Write the HEVC test clip (x265 "ultrafast": generation is not what is measured)."""
    import av
    from av.filter import Graph
    from av.video.frame import PictureType

    def pull_all(graph: Graph) -> list[av.VideoFrame | av.AudioFrame]:
        frames = []
        while True:
            try:
                frames.append(graph.pull())
            except (av.error.EOFError, av.error.BlockingIOError):
                return frames

    with av.open(str(path), "w", format="mov", options={"movflags": "use_metadata_tags"}) as out:
        out.metadata.update(TAGS)
        vstream = out.add_stream("libx265", rate=FPS)
        vstream.width, vstream.height, vstream.pix_fmt = *SIZE, "yuv420p"
        # testsrc2 marks its frames "I", which encoders take as orders: cleared below.
        vstream.options = {"preset": "ultrafast", "crf": "24", "x265-params": "log-level=error"}
        vstream.thread_type, vstream.thread_count = "FRAME", 0
        vstream.set_display_rotation(-90)  # a quarter clockwise, as PyAV counts the other way
        astream = out.add_stream("aac", rate=48000, layout="stereo")
        video = Graph()
        video.link_nodes(
            video.add("testsrc2", f"size={SIZE[0]}x{SIZE[1]}:rate={FPS}:duration={seconds}"),
            video.add("buffersink"),
        ).configure()
        audio = Graph()
        audio.link_nodes(
            audio.add("sine", f"frequency=440:sample_rate=48000:duration={seconds}"),
            audio.add("aformat", "sample_fmts=fltp:channel_layouts=stereo"),
            audio.add("abuffersink"),
        ).configure()
        # Half a second of video at a time, then its sound: interleaved as a camera writes.
        sounds = pull_all(audio)
        per_chunk = FPS // 2
        while True:
            chunk = []
            for _ in range(per_chunk):
                try:
                    chunk.append(video.vpull())
                except (av.error.EOFError, av.error.BlockingIOError):
                    break
            for frame in chunk:
                frame.pict_type = PictureType.NONE
                out.mux(vstream.encode(frame))
            if not chunk:
                break
            until = (chunk[-1].pts + 1) / FPS
            while sounds and sounds[0].pts is not None and sounds[0].pts / 48000 < until:
                out.mux(astream.encode(sounds.pop(0)))
        for sound in sounds:
            out.mux(astream.encode(sound))
        out.mux(vstream.encode(None))
        out.mux(astream.encode(None))


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ours(src: Path, dst: Path) -> tuple[float, float]:
    from advocacy.media.video import make_web_version, probe

    wall, cpu = time.perf_counter(), cpu_self()
    make_web_version(src, dst, probe(src))
    return time.perf_counter() - wall, cpu_self() - cpu


def ffmpeg_command(ffmpeg: str, src: Path, dst: Path) -> list[str]:
    from advocacy.media.video import AUDIO_BIT_RATE, AUDIO_RATE, CRF, PRESET

    return [
        ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
        "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "libx264", "-preset", PRESET,
        "-crf", str(CRF), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", str(AUDIO_BIT_RATE),
        "-ar", str(AUDIO_RATE), "-ac", "2", "-map_metadata", "-1", "-fflags", "+bitexact",
        "-movflags", "+faststart", str(dst),
    ]  # fmt: skip


def run_ffmpeg(ffmpeg: str, src: Path, dst: Path) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), cpu_children()
    subprocess.run(ffmpeg_command(ffmpeg, src, dst), check=True)
    return time.perf_counter() - wall, cpu_children() - cpu


def describe(path: Path) -> str:
    from advocacy.media.video import probe

    found = probe(path, max_seconds=10_000)
    rate = f"{found.frame_rate:.0f} fps" if found.frame_rate else "? fps"
    tags = ", ".join(found.metadata) or "no personal tags"
    return (f"{found.format} {found.video_codec}/{found.audio_codec} {found.pixel_format}, "
            f"shown {found.width}x{found.height} (rotation {found.rotation}), {rate}, "
            f"{found.duration:.2f} s, {found.size / 1e6:.1f} MB, {tags}")  # fmt: skip


def summary(samples: list[tuple[float, float]], seconds: float) -> str:
    walls, cpus = [w for w, _ in samples], [c for _, c in samples]
    wall = statistics.median(walls)
    return (f"median {wall:6.2f} s wall ({min(walls):.2f}-{max(walls):.2f}), "
            f"{statistics.median(cpus):6.2f} s CPU, realtime x{seconds / wall:.2f}")  # fmt: skip


def verdict(ratio: float) -> str:
    return "PASS" if ratio <= TARGET else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=1, help="timed runs per side (default 1)")
    parser.add_argument("--seconds", type=int, default=60, help="clip length (default 60)")
    parser.add_argument("--source", type=Path,
                        help="use this video; when it does not exist, generate the clip there "
                             "and keep it for the next run")  # fmt: skip
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing
    import av

    from advocacy.media.video import CRF, PRESET

    ffmpeg = shutil.which("ffmpeg")
    with tempfile.TemporaryDirectory() as tmp:
        src = args.source or Path(tmp) / "IMG_0001.MOV"
        if not src.exists():
            started = time.perf_counter()
            make_source(src, args.seconds)
            print(f"generated the source in {time.perf_counter() - started:.1f} s")
        print(f"source: {describe(src)}")
        from advocacy.media.video import probe

        seconds = probe(src, max_seconds=10_000).duration
        print(f"PyAV {av.__version__} (FFmpeg {av.ffmpeg_version_info}); "
              f"settings: libx264 CRF {CRF} preset {PRESET}, AAC 128 kb/s")  # fmt: skip
        if ffmpeg is None:
            print("ffmpeg is not on PATH (apt-get install ffmpeg): timing ours alone, "
                  "no comparison.")  # fmt: skip
        else:
            version = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True)
            print(f"ffmpeg CLI: {version.stdout.splitlines()[0]}")
        load_before = os.getloadavg()[0]
        samples: dict[str, list[tuple[float, float]]] = {"ours": [], "ffmpeg": []}
        outputs = {"ours": Path(tmp) / "ours.mp4", "ffmpeg": Path(tmp) / "ffmpeg.mp4"}
        for _ in range(max(1, args.runs)):
            samples["ours"].append(run_ours(src, outputs["ours"]))
            if ffmpeg is not None:
                samples["ffmpeg"].append(run_ffmpeg(ffmpeg, src, outputs["ffmpeg"]))
        print(f"load average (1 min) before/after the runs: {load_before:.1f}/"
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
        print(f"ours:   {summary(samples['ours'], seconds)}")
        print(f"  -> {describe(outputs['ours'])}")
        if ffmpeg is None:
            return 2
        print(f"ffmpeg: {summary(samples['ffmpeg'], seconds)}")
        print(f"  -> {describe(outputs['ffmpeg'])}")
        ours, theirs = (statistics.median(w for w, _ in samples[s]) for s in ("ours", "ffmpeg"))
        ours_cpu, theirs_cpu = (
            statistics.median(c for _, c in samples[s]) for s in ("ours", "ffmpeg")
        )
        ratio = ours / theirs
        print(f"ratio ours/ffmpeg, target <= {TARGET}: {ratio:.2f} wall {verdict(ratio)}, "
              f"{ours_cpu / theirs_cpu:.2f} CPU")  # fmt: skip
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
