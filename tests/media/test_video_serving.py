"""Playing a video: byte ranges, so a browser can seek, from the hub or from the bucket."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from advocacy.accounts.models import User
from tests.conftest import login
from tests.media.conftest import asset_of, run_queued, upload


def _ranged(client: FlaskClient, url: str, header: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a Range request, following a presigned redirect to S3."""
    response = client.get(url, headers={"Range": header})
    if response.status_code == 302:
        request = urllib.request.Request(response.headers["Location"],  # noqa: S310
                                         headers={"Range": header})
        with urllib.request.urlopen(request, timeout=10) as remote:  # noqa: S310
            return remote.status, dict(remote.headers), remote.read()
    return response.status_code, dict(response.headers), response.get_data()


def test_a_video_is_served_in_ranges_so_players_can_seek(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        draft: Callable[[User], int], clip: Path) -> None:
    author = make_user()
    login(client, author)
    item = upload(app, draft(author), author.id, clip)
    run_queued(app)
    asset = asset_of(app, item.asset_id)
    assert asset is not None
    size = asset.renditions["video"]["bytes"]
    url = f"/media/{item.asset_id}/video"
    whole = client.get(url)
    if whole.status_code == 200:  # local storage: the hub answers
        assert whole.headers["Content-Type"] == "video/mp4"
        assert whole.headers["Accept-Ranges"] == "bytes"
        full = whole.get_data()
    else:  # S3: a short-lived link to the bucket
        assert whole.status_code == 302
        with urllib.request.urlopen(whole.headers["Location"], timeout=10) as remote:  # noqa: S310
            full = remote.read()
    assert len(full) == size and full[4:8] == b"ftyp"
    for header, start, end in (("bytes=0-99", 0, 99),
                               (f"bytes={size - 1000}-", size - 1000, size - 1),
                               ("bytes=-500", size - 500, size - 1)):
        status, headers, body = _ranged(client, url, header)
        assert status == 206, header
        assert headers["Content-Range"] == f"bytes {start}-{end}/{size}", header
        assert body == full[start:end + 1], header
    if whole.status_code == 200:  # a range past the end is refused, not answered wrongly
        assert client.get(url, headers={"Range": f"bytes={size + 10}-"}).status_code == 416


def test_a_video_has_no_playable_file_before_it_is_ready(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        draft: Callable[[User], int], clip: Path) -> None:
    author = make_user()
    login(client, author)
    item = upload(app, draft(author), author.id, clip)
    assert client.get(f"/media/{item.asset_id}/video").status_code == 404
    assert client.get(f"/media/{item.asset_id}/original").status_code == 404
