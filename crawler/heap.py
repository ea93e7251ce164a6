"""Giving freed heap memory back to the system, so that a crawl's resident memory follows its live data.

glibc's malloc keeps pages that were freed in the middle of its heaps: after lxml has parsed a
big page and let the tree go, the process stays as large as at that moment. `malloc_trim(0)`
returns every free page to the system (glibc ≥ 2.8 trims all arenas, not only the top of the
main heap). Measured on the 74 real pages of ../shared/realworld built twice in one process:
peak RSS 91 → 79 MB, at about 0.2 ms a call (benchmarks/crawl.py shows the whole tree).
Imports nothing but ctypes: the document workers use it without loading Scrapy.

Elsewhere than glibc (musl, macOS) there is nothing to call and these functions do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache
from typing import TypeVar

T = TypeVar("T")


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


def release_free_memory() -> bool:
    """Return the heap's free pages to the system (glibc `malloc_trim(0)`); whether anything was released."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


def run_then_release(job: Callable[[], T], size: int, threshold: int) -> T:
    """`job()`, then `release_free_memory()` when its input was at least `threshold` bytes (also when it raised).

    For the document workers: a big page's parse trees are freed when its build ends, and a
    small one leaves too little behind to be worth the call.
    """
    try:
        return job()
    finally:
        if size >= threshold:
            release_free_memory()


def can_release() -> bool:
    """Whether this C library has `malloc_trim` (glibc)."""
    return _malloc_trim() is not None
