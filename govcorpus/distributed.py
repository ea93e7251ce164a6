"""The switch to distributed crawling: the settings that put a crawl job's frontier, seen-set and dedup index in Redis."""

from __future__ import annotations

import os
from typing import Any

from crawler import settings as project

REDIS_URL_ENV = "GOVCORPUS_REDIS_URL"


def redis_url_from_env(overrides: dict[str, Any] | None = None) -> str | None:
    """-s GOVCORPUS_REDIS_URL=…, else $GOVCORPUS_REDIS_URL, else None (a local crawl)."""
    return (overrides or {}).get(REDIS_URL_ENV) or os.environ.get(REDIS_URL_ENV) or None


def redis_settings(redis_url: str, job: str) -> dict[str, Any]:
    """Scrapy settings for one worker of crawl job `job` on the Redis at `redis_url`.

    Every worker started with the same job (same sources) and Redis shares the frontier and seen-set;
    documents go to the store as usual (use S3 when workers run on several machines).
    """
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"not a Redis URL: {redis_url!r} (expected redis://host:port/db)")
    return {
        "GOVCORPUS_REDIS_URL": redis_url,
        "GOVCORPUS_JOB": job,
        "ADDONS": {**project.ADDONS, "crawler.distributed.DistributedAddon": 0},
    }
