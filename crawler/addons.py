"""Scrapy add-ons for govcorpus's modes: each sets what its mode changes, by the settings of crawler/settings.py.

Listed in ADDONS (Scrapy ≥ 2.10 calls `update_settings` before anything is built). The distributed
mode's add-on is crawler.distributed.DistributedAddon.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

# Above crawler/settings.py (project priority), which declares every GOVCORPUS_* default: at Scrapy's
# own "addon" priority a mode could not change them; below -s, so a user still can.
MODE_PRIORITY = "spider"


class ServiceAddon:
    """`govcorpus serve`: many one-URL crawls in one process, all writing to one store.

    The dedup index and the corpus index each allow one writer, so the crawls share one corpus,
    one dedup index and one store thread per store (GOVCORPUS_SHARED_STORE); each fetch is still a
    run of its own with its own manifest. One document per crawl: no worker processes; at most
    10 scanned pages are recognised per document, so that a fetch fits in the service's deadline.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        settings.set("GOVCORPUS_SHARED_STORE", True, MODE_PRIORITY)
        settings.set("GOVCORPUS_PROCESS_WORKERS", 0, MODE_PRIORITY)
        # OCR reads a page in several CPU-seconds: a scan must fit in GOVCORPUS_SERVICE_DEADLINE.
        settings.set("GOVCORPUS_OCR_MAX_PAGES", 10, MODE_PRIORITY)
