"""The public story page: what the outside world (and link previews) see of a shared story."""
