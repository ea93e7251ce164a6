"""Which crawl jobs are under way, so a killed run is resumed by re-running the same command."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from storage.backends import ObjectStore, StoreDamaged
from storage.manifest import (
    MANIFEST_PREFIX,
    delete_parts,
    line_stats,
    manifest_keys,
    new_run_id,
    parse_lines,
    read_manifest,
    utc_now,
)

ACTIVE_PREFIX = "runs/active/"


def job_name(source_names: Iterable[str]) -> str:
    """A stable name for crawling this set of sources: the same command gives the same job."""
    names = sorted(set(source_names))
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", "+".join(names))[:60]
    digest = sha256("\n".join(names).encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}"


def _active_key(job: str) -> str:
    return f"{ACTIVE_PREFIX}{job}.json"


@dataclass(frozen=True)
class RunStart:
    run_id: str
    resumed: bool  # the job's unfinished run, continued
    started_at: str  # when the run first started (its first process, for a resumed run)


def begin_run(store: ObjectStore, job: str) -> RunStart:
    """The unfinished run of `job` if there is one, else a new run.

    A run whose manifest was joined before its process died (killed while deleting the parts)
    had finished: its clean-up is completed here and a new run begins.
    """
    key = _active_key(job)
    try:
        body = store.get(key)
    except KeyError:
        return _new_run(store, job)
    try:
        state = json.loads(body)
        run_id, started_at = str(state["run_id"]), str(state.get("started_at") or utc_now())
    except (ValueError, KeyError, TypeError):
        raise StoreDamaged(store.uri, key, "not a run record") from None
    if store.exists(f"{MANIFEST_PREFIX}{run_id}.jsonl"):
        finish_cleanup(store, run_id)
        store.delete(key)
        return _new_run(store, job)
    return RunStart(run_id, True, started_at)


def has_open_run(store: ObjectStore, job: str) -> bool:
    """Whether `job` has a run begun and not finished (`begin_run` would resume it)."""
    return store.exists(_active_key(job))


def _new_run(store: ObjectStore, job: str) -> RunStart:
    run_id, started_at = new_run_id(), utc_now()
    store.put(_active_key(job), json.dumps({"run_id": run_id, "job": job, "started_at": started_at}).encode())
    return RunStart(run_id, False, started_at)


def finish_cleanup(store: ObjectStore, run_id: str) -> int:
    """Delete the parts of a run whose joined manifest exists (and their folder); return how many there were."""
    return delete_parts(store, run_id)


def unfinished_runs(store: ObjectStore) -> list[dict[str, Any]]:
    """The open runs (`active_runs`) as `past_runs` gives finished ones, with `finished: False`.

    `urls`, `counts` and `bytes` are those of the manifest lines flushed so far (the run's parts);
    StoreDamaged if a record or a part is unreadable.
    """
    runs = []
    for state in active_runs(store):
        run_id = str(state["run_id"])
        lines = [line for key in store.list(f"{MANIFEST_PREFIX}{run_id}/") for line in parse_lines(store, key) if "url" in line]
        stats = line_stats(lines)
        runs.append(
            {
                "run": run_id,
                "finished": False,
                "job": state.get("job"),
                "started_at": state.get("started_at"),
                "urls": len({line["url"] for line in lines}),
                "counts": stats["counts"],
                "bytes": stats["bytes"],
            }
        )
    return sorted(runs, key=lambda run: run["run"])


def active_runs(store: ObjectStore) -> list[dict[str, Any]]:
    """Runs begun and not finished: killed, crashed, shut down, or still going (StoreDamaged if one is unreadable)."""
    runs = []
    for key in store.list(ACTIVE_PREFIX):
        try:
            state = json.loads(store.get(key))
            if not isinstance(state, dict) or "run_id" not in state:
                raise ValueError("no run_id")
        except ValueError:
            raise StoreDamaged(store.uri, key, "not a run record") from None
        runs.append(state)
    return runs


def end_run(store: ObjectStore, job: str) -> None:
    store.delete(_active_key(job))


def past_runs(store: ObjectStore) -> list[dict[str, Any]]:
    """Finished runs, oldest first, each with the stats its manifest ends with (and `finished: True`)."""
    runs = []
    for key in manifest_keys(store):
        stats: dict[str, Any] = {}
        urls = 0
        for line in read_manifest(store, key):
            if "stats" in line:
                stats = line["stats"]
            else:
                urls += 1
        run_id = key.removeprefix("manifests/").removesuffix(".jsonl")
        runs.append({"run": run_id, "finished": True, "manifest": key, "urls": urls, **stats})
    return runs
