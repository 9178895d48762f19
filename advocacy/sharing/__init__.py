"""Sharing: the composer, share links per network, shares and their tracked links."""
