"""The fake networks' fixtures, for the tests of the fakes themselves."""

from tests.fakes.plugin import (  # noqa: F401
    fake_bluesky,
    fake_linkedin,
    fake_mastodon,
    fake_x,
    oauth_over_http,
)
