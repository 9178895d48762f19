"""A standard tus client (tuspy) against the live hub, over real connections: an upload is
interrupted and resumed from the offset the hub reports, also after a connection that
dropped in the middle of a chunk. On the services backend the bytes are staged as
multipart parts in SeaweedFS."""

from __future__ import annotations

import http.client
import io
import os
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask
from tusclient.client import TusClient

from advocacy.media.models import MediaStatus
from tests.uploads.conftest import (
    OCTETS,
    TUS,
    Author,
    stored_bytes,
    upload_row,
    videos_of,
)

MiB = 1024 * 1024


def _tus(live_server: str, who: Author) -> TusClient:
    return TusClient(f"{live_server}/api/v1/uploads", headers=who.auth)


def test_tuspy_resumes_an_interrupted_upload_from_the_hubs_offset(
        live_server: str, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    data = os.urandom(20 * MiB + 12345)  # two and a half parts on S3
    first = _tus(live_server, who).uploader(
        file_stream=io.BytesIO(data), chunk_size=3 * MiB,
        metadata={"filename": "line3.mp4", "filetype": "video/mp4", "story": str(who.story_id)})
    first.upload(stop_at=11 * MiB + 7)  # then the phone goes to sleep
    assert first.url is not None
    [video] = videos_of(app, who.story_id)
    assert video.status == MediaStatus.UPLOADING

    # Another client (the page reloaded) knows only the upload's URL and the file.
    second = _tus(live_server, who).uploader(file_stream=io.BytesIO(data), url=first.url,
                                             chunk_size=4 * MiB)
    assert second.offset == 11 * MiB + 7  # asked with HEAD
    second.upload()

    [video] = videos_of(app, who.story_id)
    assert video.status == MediaStatus.PROCESSING
    assert video.original_key is not None
    assert stored_bytes(app, video.original_key) == data


def test_a_chunk_cut_off_mid_way_keeps_what_arrived(
        live_server: str, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    data = os.urandom(9 * MiB)
    url = _tus(live_server, who).uploader(
        file_stream=io.BytesIO(data), chunk_size=MiB,
        metadata={"filetype": "video/mp4", "story": str(who.story_id)}).create_url()
    path = urlsplit(url).path
    server = urlsplit(live_server)

    # A PATCH announcing the whole file, cut off after 6 MiB and a bit.
    sent = 6 * MiB + 4321
    connection = http.client.HTTPConnection(server.hostname, server.port, timeout=30)
    connection.putrequest("PATCH", path)
    for name, value in {**TUS, **who.auth, "Upload-Offset": "0", "Content-Type": OCTETS,
                        "Content-Length": str(len(data))}.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(data[:sent])
    connection.sock.close()  # type: ignore[union-attr]
    connection.close()

    deadline = time.monotonic() + 30  # the hub notices the drop when its read fails
    while (row := upload_row(app, path)) is not None and row.offset == 0:
        assert time.monotonic() < deadline, "the hub never recorded the bytes that arrived"
        time.sleep(0.1)
    assert row is not None and row.offset == sent

    resumed = _tus(live_server, who).uploader(file_stream=io.BytesIO(data), url=url,
                                              chunk_size=2 * MiB)
    assert resumed.offset == sent
    resumed.upload()
    [video] = videos_of(app, who.story_id)
    assert video.original_key is not None
    assert stored_bytes(app, video.original_key) == data

