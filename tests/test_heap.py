"""Freed heap memory goes back to the system (crawler/heap.py, crawler/memory.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.heap import can_release, release_free_memory, run_then_release
from crawler.memory import ReleaseMemory

# Many small blocks (below glibc's mmap threshold, so they live in the heap), all freed but every
# 50th: the heap cannot shrink from its top, and its free pages stay resident until malloc_trim.
FRAGMENTED = """
import sys
from crawler.heap import release_free_memory

def rss_kb():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0])

blocks = [bytearray(3000) for _ in range(60_000)]
kept = blocks[::50]
del blocks
before = rss_kb()
release_free_memory()
print(before, rss_kb())
"""


def test_glibc_is_here_so_memory_can_be_released() -> None:
    assert can_release()  # the CI and demo machines are glibc Linux: the crawl's figures depend on it


def test_releasing_returns_the_freed_heap_to_the_system() -> None:
    result = subprocess.run([sys.executable, "-c", FRAGMENTED], capture_output=True, text=True, check=True, timeout=60)
    before, after = map(int, result.stdout.split())
    assert before - after > 100_000  # kB: most of the ~180 MB that was freed


def test_run_then_release_returns_the_result_and_passes_exceptions_on() -> None:
    assert run_then_release(lambda: 7, size=10, threshold=1) == 7
    assert run_then_release(lambda: 8, size=0, threshold=1) == 8

    def fails() -> None:
        raise ValueError("bad page")

    with pytest.raises(ValueError, match="bad page"):
        run_then_release(fails, size=10, threshold=1)
    assert isinstance(release_free_memory(), bool)


def test_the_extension_is_off_at_zero_and_refuses_a_negative_interval() -> None:
    with pytest.raises(NotConfigured):
        ReleaseMemory.from_crawler(get_crawler(settings_dict={"GOVCORPUS_RELEASE_MEMORY_INTERVAL": 0}))
    with pytest.raises(ValueError, match="≥ 0"):
        ReleaseMemory.from_crawler(get_crawler(settings_dict={"GOVCORPUS_RELEASE_MEMORY_INTERVAL": -1}))
    assert isinstance(ReleaseMemory.from_crawler(get_crawler(settings_dict={"GOVCORPUS_RELEASE_MEMORY_INTERVAL": 2})), ReleaseMemory)
