"""Benchmark: a 1 GiB video upload through the hub's two resumable protocols, each beside a
plain copy of the same bytes in the same run.

* **tus to local storage**: the hub under ``gunicorn -w 1`` (sync) on 127.0.0.1; the client
  creates the upload and PATCHes the file in 64 MiB chunks over one keep-alive connection
  (each PATCH streamed from the file, as a tus client does). The hub appends every chunk to
  the file in storage and fsyncs it before the offset moves. Beside it: ``cp`` of the same
  file, then ``sync`` of the copy (the hub's bytes are durable when it answers; so are
  these), and ``cp`` alone for reference.
* **presigned multipart to SeaweedFS** (``tests/services.py``; skipped with ``--no-s3``):
  the client asks the hub for an upload and a presigned URL per part and PUTs the parts
  straight to the bucket, ``--parallel`` at a time (a browser's few connections), then
  asks the hub to complete. Beside it: boto3's ``upload_file`` of the same file to the same
  bucket (its defaults: 8 MiB parts, 10 threads).

Throughput is the file's size over the wall time from the first request to the last answer.
The hub's web worker's peak RSS (``VmHWM`` in ``/proc/<pid>/status``) shows that the bytes
stream through in pieces, whatever the file's size. Each stored object is checked against
the source (SHA-256) after the timing.

Targets (issue 11): tus >= 50% of ``cp`` (+ sync), presigned multipart >= 80% of
``upload_file``, web worker peak RSS < 150 MB. Prints PASS/MISS; exits 0 when every target
is met, 1 when one is missed, 2 when it could not measure.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--rounds 2] [--parallel 6]
                                     [--no-s3 | --no-tus] [--keep]
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _harness import (
    ROOT,
    BenchError,
    Server,
    gunicorn,
    live_worker_pids,
    prepare_hub,
    run,
    verdict,
    wait_ready,
)

MiB = 1024 * 1024
CHUNK = 64 * MiB  # one tus PATCH
READ = MiB  # what the client reads from the file at a time
TUS_TARGET = 0.50
S3_TARGET = 0.80
RSS_TARGET_MB = 150.0
PASSWORD = "bench password 123"

SINK_APP = '''"""The ceiling: a WSGI app that reads a request body in 1 MiB pieces and drops it."""


def app(environ, start_response):
    body, length = environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0)
    while length > 0:
        piece = body.read(min(length, 1024 * 1024))
        if not piece:
            break
        length -= len(piece)
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]
'''


def make_source(path: Path, size: int) -> None:
    """``size`` random bytes (incompressible, like video) written in 8 MiB blocks."""
    block = os.urandom(8 * MiB)
    with path.open("wb") as out:
        left = size
        while left:
            out.write(block[:min(left, len(block))])
            left -= min(left, len(block))
            block = block[1:] + block[:1]  # no two blocks alike
        out.flush()
        os.fsync(out.fileno())


def sha256_of(stream: Any) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(8 * MiB):
        digest.update(chunk)
    return digest.hexdigest()


def seed_author(app: Any, stories: int) -> tuple[str, list[int]]:
    """An employee's API token and ``stories`` drafts to add a video each to."""
    from advocacy import database as db
    from advocacy.accounts.models import Role
    from advocacy.accounts.operations import create_user, issue_token
    from advocacy.stories.operations import create_story

    with app.app_context():
        user = create_user("filmer@example.org", role=Role.EMPLOYEE, password=PASSWORD)
        _token, secret = issue_token(user, "bench", None)
        ids = [create_story(user, title=f"Line {n} on film", body="Thirty seconds.",
                            topics=[]).id for n in range(stories)]
        db.commit()
    return secret, ids


def rss_mb(server: Server, field: str = "VmHWM") -> float:
    """The largest peak (``VmHWM``) or current (``VmRSS``) resident set size among the
    server's live workers, in MB."""
    peaks = []
    for pid in live_worker_pids(server):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                peaks.append(int(line.split()[1]) / 1024)
    if not peaks:
        raise BenchError(f"no live worker of {server.name} to read the peak RSS of")
    return max(peaks)


def request(connection: http.client.HTTPConnection, method: str, path: str,
            headers: dict[str, str], body: Any = None) -> http.client.HTTPResponse:
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response


class FileSlice:
    """``length`` bytes of a file from ``start``, read in :data:`READ` pieces (a streamed
    request body, never the whole chunk in memory)."""

    def __init__(self, path: Path, start: int, length: int) -> None:
        self.file = path.open("rb")
        self.file.seek(start)
        self.left = length

    def read(self, size: int = READ) -> bytes:
        if self.left <= 0:
            self.file.close()
            return b""
        data = self.file.read(min(size, READ, self.left))
        self.left -= len(data)
        return data


def tus_upload(base_url: str, token: str, story_id: int, source: Path) -> float:
    """Create the upload and PATCH the file in :data:`CHUNK` pieces; the seconds taken."""
    size = source.stat().st_size
    address = urlsplit(base_url)
    # http.client sends a file-like body in ``blocksize`` pieces (8 KiB by default).
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=300,
                                            blocksize=READ)
    auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
                    {"story": str(story_id), "filetype": "video/mp4",
                     "filename": "line3.mp4"}.items())
    started = time.perf_counter()
    created = request(connection, "POST", "/api/v1/uploads", {
        **auth, "Upload-Length": str(size), "Upload-Metadata": meta})
    if created.status != 201:
        raise BenchError(f"tus creation answered {created.status}")
    location = created.getheader("Location") or ""
    offset = 0
    while offset < size:
        length = min(CHUNK, size - offset)
        answer = request(connection, "PATCH", location, {
            **auth, "Upload-Offset": str(offset), "Content-Length": str(length),
            "Content-Type": "application/offset+octet-stream"}, FileSlice(source, offset, length))
        if answer.status != 204:
            raise BenchError(f"PATCH at {offset} answered {answer.status}")
        offset = int(answer.getheader("Upload-Offset") or "0")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def sink_seconds(base_url: str, source: Path) -> float:
    """One PUT of the whole file to the bare sink app: what gunicorn takes in at most."""
    size = source.stat().st_size
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=300,
                                            blocksize=READ)
    started = time.perf_counter()
    answer = request(connection, "PUT", "/", {"Content-Length": str(size)},
                     FileSlice(source, 0, size))
    elapsed = time.perf_counter() - started
    connection.close()
    if answer.status != 200:
        raise BenchError(f"the sink answered {answer.status}")
    return elapsed


def copy_seconds(source: Path, target: Path, *, durable: bool) -> float:
    started = time.perf_counter()
    subprocess.run(["cp", str(source), str(target)], check=True)
    if durable:
        subprocess.run(["sync", str(target)], check=True)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def _json(connection: http.client.HTTPConnection, method: str, path: str,
          headers: dict[str, str], body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    extra = {"Content-Type": "application/json"} if data is not None else {}
    connection.request(method, path, body=data, headers={**headers, **extra})
    response = connection.getresponse()
    answer = json.loads(response.read() or b"null")
    if response.status >= 300:
        raise BenchError(f"{method} {path} answered {response.status}: {answer}")
    return answer


def presigned_upload(base_url: str, token: str, story_id: int, source: Path,
                     parallel: int) -> float:
    """What the browser does: start, then per part ask for a URL and PUT the part straight
    to the bucket (``parallel`` at a time), then complete; the seconds taken."""
    import requests

    size = source.stat().st_size
    address = urlsplit(base_url)
    auth = {"Authorization": f"Bearer {token}"}
    local = threading.local()

    def hub() -> http.client.HTTPConnection:
        if not hasattr(local, "hub"):
            local.hub = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
            local.bucket = requests.Session()
        connection: http.client.HTTPConnection = local.hub
        return connection

    started = time.perf_counter()
    upload = _json(hub(), "POST", "/api/v1/uploads/s3", auth, {
        "filename": "line3.mp4", "filetype": "video/mp4", "size": size, "story": story_id})
    part_size = upload["part_size"]

    def send(number: int) -> dict[str, Any]:
        url = _json(hub(), "GET", f"/api/v1/uploads/{upload['id']}/parts/{number}", auth)["url"]
        start = (number - 1) * part_size
        length = min(part_size, size - start)
        with source.open("rb") as file:
            file.seek(start)
            data = file.read(length)  # one part per thread, as the browser's Blob.slice
        answer = local.bucket.put(url, data=data, timeout=120)
        if answer.status_code != 200:
            raise BenchError(f"PUT of part {number} answered {answer.status_code}")
        return {"number": number, "etag": answer.headers["ETag"]}

    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        parts = list(pool.map(send, range(1, upload["parts_count"] + 1)))
    _json(hub(), "POST", f"/api/v1/uploads/{upload['id']}/complete", auth, {"parts": parts})
    return time.perf_counter() - started


def s3_client(s3: Any) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=s3.endpoint_url, region_name=s3.region,
                        aws_access_key_id=s3.access_key, aws_secret_access_key=s3.secret_key,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def stored_key(app: Any, story_id: int) -> str:
    from sqlalchemy import select

    from advocacy import database as db
    from advocacy.media.models import MediaAsset

    with app.app_context():
        key = db.session.scalar(select(MediaAsset.original_key)
                                .where(MediaAsset.story_id == story_id))
        db.session.remove()
    if not key:
        raise BenchError(f"story {story_id} has no uploaded video")
    return str(key)


def serve(stack: ExitStack, name: str, env: dict[str, str], tmp: Path) -> Server:
    options = argparse.Namespace(workers=1, worker_class="sync", threads=1)
    server = stack.enter_context(gunicorn(name, "wsgi:app", ROOT, env, tmp, options))
    wait_ready(server, "/healthz", 1)
    print(f"{name}: web worker at rest {rss_mb(server, 'VmRSS'):.1f} MB")
    return server


def measure(args: argparse.Namespace, tmp: Path, stack: ExitStack) -> int:
    size = args.size_mib * MiB
    source = tmp / "video.bin"
    make_source(source, size)
    source_sha = sha256_of(source.open("rb"))
    settings = {"MAX_VIDEO_BYTES": str(max(size, 1024 * MiB)), "LOG_LEVEL": "WARNING"}
    print(f"{args.size_mib} MiB of random bytes; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; hub: gunicorn -w 1 (sync) on 127.0.0.1")
    results: list[tuple[str, bool]] = []

    # -- tus to local storage ------------------------------------------------------------
    if args.no_tus:
        print("tus: not measured (--no-tus)")
    else:
        results += measure_tus(args, tmp, stack, source, source_sha, settings)
    # -- presigned multipart to SeaweedFS ------------------------------------------------------
    if args.no_s3:
        print("presigned multipart: not measured (--no-s3)")
    else:
        results += measure_s3(args, tmp, stack, source, source_sha, settings)
    source.unlink()
    print(f"load average now {os.getloadavg()[0]:.1f} (figures from a busy machine are "
          "noisy; the rounds alternate so both sides share the noise)")
    missed = [name for name, passed in results if not passed]
    print("every target met" if not missed else f"missed: {', '.join(missed)}")
    return 1 if missed else 0


def measure_tus(args: argparse.Namespace, tmp: Path, stack: ExitStack, source: Path,
                source_sha: str, settings: dict[str, str]) -> list[tuple[str, bool]]:
    size = source.stat().st_size
    (tmp / "local").mkdir()
    env, app = prepare_hub(tmp / "local", **settings)
    token, stories = seed_author(app, args.rounds)
    server = serve(stack, "hub-local", env, tmp)
    (tmp / "sink").mkdir()
    (tmp / "sink" / "sink.py").write_text(SINK_APP)
    options = argparse.Namespace(workers=1, worker_class="sync", threads=1)
    sink = stack.enter_context(gunicorn("sink", "sink:app", tmp / "sink", env, tmp, options))
    wait_ready(sink, "/", 1)
    tus_runs, cp_runs, cp_sync_runs, sink_runs = [], [], [], []
    for round_, story_id in enumerate(stories, 1):
        cp_sync_runs.append(copy_seconds(source, tmp / "copy.bin", durable=True))
        cp_runs.append(copy_seconds(source, tmp / "copy.bin", durable=False))
        sink_runs.append(sink_seconds(sink.base_url, source))
        tus_runs.append(tus_upload(server.base_url, token, story_id, source))
        print(f"  round {round_}: tus {size / MiB / tus_runs[-1]:7.0f} MiB/s  "
              f"cp+sync {size / MiB / cp_sync_runs[-1]:7.0f} MiB/s  "
              f"cp {size / MiB / cp_runs[-1]:7.0f} MiB/s  "
              f"gunicorn sink {size / MiB / sink_runs[-1]:7.0f} MiB/s", flush=True)
        key = stored_key(app, story_id)
        stored = Path(env["ADVOCACY_UPLOADS_DIR"]) / key
        if sha256_of(stored.open("rb")) != source_sha:
            raise BenchError(f"the file stored by tus ({key}) differs from the source")
        stored.unlink()  # room for the next round
    rss_local = rss_mb(server)
    tus, cp_sync, cp = min(tus_runs), min(cp_sync_runs), min(cp_runs)
    ratio = cp_sync / tus
    print(f"tus, local storage   {size / MiB / tus:7.0f} MiB/s (best of {len(tus_runs)})")
    print(f"cp + sync            {size / MiB / cp_sync:7.0f} MiB/s   tus/cp+sync = "
          f"{ratio:.0%}  target >= {TUS_TARGET:.0%}  {verdict(ratio >= TUS_TARGET)}")
    print(f"cp (page cache only) {size / MiB / cp:7.0f} MiB/s   tus/cp = {cp / tus:.0%}")
    ceiling = min(sink_runs)
    print(f"gunicorn body sink   {size / MiB / ceiling:7.0f} MiB/s   tus/sink = "
          f"{ceiling / tus:.0%} (a bare app that only reads the body: the ceiling of a "
          "sync worker)")
    print(f"web worker peak RSS  {rss_local:7.1f} MB   target < {RSS_TARGET_MB:.0f} MB  "
          f"{verdict(rss_local < RSS_TARGET_MB)}")
    return [("tus", ratio >= TUS_TARGET), ("rss local", rss_local < RSS_TARGET_MB)]


def measure_s3(args: argparse.Namespace, tmp: Path, stack: ExitStack, source: Path,
               source_sha: str, settings: dict[str, str]) -> list[tuple[str, bool]]:
    from tests.services import ServiceUnavailable, seaweedfs

    size = source.stat().st_size
    try:
        s3 = stack.enter_context(seaweedfs(bucket="advocacy-bench"))
    except ServiceUnavailable as exc:
        raise BenchError(f"SeaweedFS: {exc}") from exc
    (tmp / "s3").mkdir()
    env_s3, app_s3 = prepare_hub(
        tmp / "s3", **settings, STORAGE="s3", S3_ENDPOINT_URL=s3.endpoint_url,
        S3_BUCKET=s3.bucket, S3_REGION=s3.region, S3_ACCESS_KEY_ID=s3.access_key,
        S3_SECRET_ACCESS_KEY=s3.secret_key)
    token_s3, stories_s3 = seed_author(app_s3, args.rounds)
    server_s3 = serve(stack, "hub-s3", env_s3, tmp)
    client = s3_client(s3)
    ours_runs, boto_runs = [], []
    for round_, story_id in enumerate(stories_s3, 1):
        started = time.perf_counter()
        client.upload_file(str(source), s3.bucket, f"bench/{round_}.bin")
        boto_runs.append(time.perf_counter() - started)
        ours_runs.append(presigned_upload(server_s3.base_url, token_s3, story_id, source,
                                          args.parallel))
        print(f"  round {round_}: presigned multipart {size / MiB / ours_runs[-1]:7.0f} "
              f"MiB/s  upload_file {size / MiB / boto_runs[-1]:7.0f} MiB/s", flush=True)
        key = stored_key(app_s3, story_id)
        body = client.get_object(Bucket=s3.bucket, Key=key)["Body"]
        if sha256_of(body) != source_sha:
            raise BenchError(f"the object completed from parts ({key}) differs")
        client.delete_object(Bucket=s3.bucket, Key=key)
        client.delete_object(Bucket=s3.bucket, Key=f"bench/{round_}.bin")
    rss_s3 = rss_mb(server_s3)
    ours, boto = min(ours_runs), min(boto_runs)
    ratio_s3 = boto / ours
    print(f"presigned multipart  {size / MiB / ours:7.0f} MiB/s (best of {len(ours_runs)},"
          f" {args.parallel} parts at a time)")
    print(f"boto3 upload_file    {size / MiB / boto:7.0f} MiB/s   ours/upload_file = "
          f"{ratio_s3:.0%}  target >= {S3_TARGET:.0%}  {verdict(ratio_s3 >= S3_TARGET)}")
    print(f"web worker peak RSS  {rss_s3:7.1f} MB   target < {RSS_TARGET_MB:.0f} MB  "
          f"{verdict(rss_s3 < RSS_TARGET_MB)}")
    return [("presigned", ratio_s3 >= S3_TARGET), ("rss s3", rss_s3 < RSS_TARGET_MB)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size in MiB (1024)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="uploads per protocol, alternating with the copy; best is "
                             "reported (2)")
    parser.add_argument("--parallel", type=int, default=6,
                        help="parts in flight at once for presigned multipart (6: what a "
                             "browser opens to one host)")
    parser.add_argument("--no-s3", action="store_true", help="tus to local storage only")
    parser.add_argument("--no-tus", action="store_true", help="presigned multipart only")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if shutil.which("cp") is None or shutil.which("sync") is None:
        print("cp and sync (coreutils) are needed", file=sys.stderr)
        return 2
    return run("upload", measure, args, tools=())


if __name__ == "__main__":
    sys.exit(main())
