"""Which crawl jobs are under way, so a killed run is resumed by re-running the same command."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from hashlib import sha256
from typing import Any

from storage.backends import ObjectStore
from storage.manifest import manifest_keys, new_run_id, read_manifest, utc_now

ACTIVE_PREFIX = "runs/active/"


def job_name(source_names: Iterable[str]) -> str:
    """A stable name for crawling this set of sources: the same command gives the same job."""
    names = sorted(set(source_names))
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", "+".join(names))[:60]
    digest = sha256("\n".join(names).encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}"


def _active_key(job: str) -> str:
    return f"{ACTIVE_PREFIX}{job}.json"


def begin_run(store: ObjectStore, job: str) -> tuple[str, bool]:
    """(run id, resumed): the unfinished run of `job` if there is one, else a new run."""
    try:
        state = json.loads(store.get(_active_key(job)))
        return state["run_id"], True
    except KeyError:
        run_id = new_run_id()
        store.put(_active_key(job), json.dumps({"run_id": run_id, "job": job, "started_at": utc_now()}).encode())
        return run_id, False


def active_runs(store: ObjectStore) -> list[dict[str, Any]]:
    """Runs begun and not finished: killed, crashed, shut down, or still going."""
    return [json.loads(store.get(key)) for key in store.list(ACTIVE_PREFIX)]


def end_run(store: ObjectStore, job: str) -> None:
    store.delete(_active_key(job))


def past_runs(store: ObjectStore) -> list[dict[str, Any]]:
    """Finished runs, oldest first, each with the stats its manifest ends with."""
    runs = []
    for key in manifest_keys(store):
        stats: dict[str, Any] = {}
        urls = 0
        for line in read_manifest(store, key):
            if "stats" in line:
                stats = line["stats"]
            else:
                urls += 1
        runs.append({"run": key.removeprefix("manifests/").removesuffix(".jsonl"), "manifest": key, "urls": urls, **stats})
    return runs
