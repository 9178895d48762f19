"""Fixtures for the fake networks. A test folder that needs them imports them in its
conftest.py::

    from tests.fakes.plugin import fake_x, oauth_over_http  # noqa: F401

Each fixture starts its fake on a free port of 127.0.0.1 for one test and stops it after.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
import requests

from tests.fakes.bluesky import FakeBluesky
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX


@pytest.fixture()
def oauth_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fakes speak plain http on 127.0.0.1; oauthlib refuses http unless told."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture()
def fake_linkedin() -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn() as fake:
        yield fake


@pytest.fixture()
def fake_x() -> Iterator[FakeX]:
    with FakeX() as fake:
        yield fake


@pytest.fixture()
def fake_mastodon() -> Iterator[FakeMastodon]:
    with FakeMastodon() as fake:
        yield fake


@pytest.fixture()
def fake_bluesky() -> Iterator[FakeBluesky]:
    with FakeBluesky() as fake:
        yield fake


def consent(authorize_url: str, decision: str = "allow") -> str:
    """Open the fake's authorise page and press Allow or Deny, as a person would; returns
    the address the network sends the browser back to."""
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200, page.text
    form = re.search(r'<form method="post"(?: action="([^"]*)")?>(.*?)</form>', page.text, re.S)
    assert form is not None, page.text
    fields = {html.unescape(k): html.unescape(v) for k, v in re.findall(
        r'<input type="hidden" name="([^"]*)" value="([^"]*)">', form.group(2))}
    answer = requests.post(urljoin(page.url, form.group(1) or page.url),
                           data={**fields, "decision": decision}, allow_redirects=False,
                           timeout=5)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])
