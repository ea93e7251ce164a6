"""Importing a library without one of its optional dependencies, where that dependency costs memory for nothing."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_optional(name: str) -> Iterator[None]:
    """Inside the block, `import name` raises ImportError (as when it is not installed), unless it is already imported.

    For a library that imports `name` only if it can (`try: import name except ImportError`), imported
    inside the block. Afterwards `name` imports as usual: only what was imported inside went without it.
    """
    if name in sys.modules:
        yield
        return
    sys.modules[name] = None  # type: ignore[assignment]  # the import system's "not available" marker
    try:
        yield
    finally:
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]
