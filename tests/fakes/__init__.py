"""Fake LinkedIn, X, Mastodon and Bluesky servers for tests and benchmarks (docs/networks.md)."""
