"""Values the embedded setup keeps in its instance folder (the secret key, the token key)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path


def kept_value(path: Path, make: Callable[[], str]) -> str:
    """The value in ``path``, made with ``make`` and written with mode 0600 the first time.

    O_EXCL makes one process the writer; several workers starting at once wait until its
    value is there, so they all agree on it.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as kept:
            kept.write(make())
    for _attempt in range(50):  # another process may be writing it right now
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty; delete it and start again")
