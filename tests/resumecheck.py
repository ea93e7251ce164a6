"""Kill a crawl at a chosen store write, resume it, and compare the result with an uninterrupted run.

Shared by tests/test_resume.py (a chosen subset of write boundaries) and by running this file, which
kills a crawl of tests/dupsite.py at every write boundary of its reference run in turn:

    .venv/bin/python tests/resumecheck.py [--store s3]   (s3: starts its own SeaweedFS)
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

if __name__ == "__main__":
    sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]

from support import FAST, REPO, run_cli

from storage.backends import open_store
from storage.corpus import Corpus
from storage.manifest import OUTCOMES, manifest_keys, read_manifest
from storage.runs import active_runs

KILL_PIPELINE = ["-s", "GOVCORPUS_COMPONENTS_CLASS=killhook.KillingComponents"]
# Small flushes so that a 22-URL run has many manifest parts and dedup segments to be killed in; one
# request at a time so that every run writes in the reference run's order and each boundary is reached.
QUICK = [
    *FAST, "-s", "GOVCORPUS_PROCESS_WORKERS=0", "-s", "GOVCORPUS_PROGRESS=False", "-s", "KILL_FLUSH_EVERY=4",
    "-s", "CONCURRENT_REQUESTS=1",
]  # fmt: skip


@dataclass
class Final:
    """What a finished run left, by URL path: comparable between runs on different ports."""

    outcomes: dict[str, tuple[str, str | None]]  # path -> (outcome, canonical path of a duplicate)
    documents: dict[str, tuple[str, str | None]]  # path -> (content hash, canonical path)
    stats: dict[str, Any]  # counts, reasons, bytes


def crawl(config: Path, store: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "crawl", "--config", str(config), "--store", store, *QUICK, *KILL_PIPELINE, *extra,
        env={"PYTHONPATH": str(REPO / "tests"), **(env or {})}, timeout=180,
    )  # fmt: skip


def final_state(store_uri: str, run_id: str | None = None) -> Final:
    """The run's manifest and the documents, after checking that they agree with each other.

    Asserts: every URL once; each stored/duplicate line says what its document's record says
    (duplicate_of); the stats line's counts are the lines'.
    """
    store = open_store(store_uri)
    corpus = Corpus(store)
    docs = {entry["id"]: corpus.get(entry["id"]) for entry in corpus.entries()}
    assert all(doc is not None for doc in docs.values()), "index.jsonl names a missing document"
    path_of = {doc_id: urlparse(doc.url).path for doc_id, doc in docs.items() if doc is not None}
    key = f"manifests/{run_id}.jsonl" if run_id else manifest_keys(store)[-1]
    lines = list(read_manifest(store, key))
    url_lines, stats = [line for line in lines if "url" in line], lines[-1]["stats"]
    paths = [urlparse(line["url"]).path for line in url_lines]
    assert len(paths) == len(set(paths)), f"a URL is in {key} more than once: {[p for p, n in Counter(paths).items() if n > 1]}"
    for line in url_lines:
        if line["outcome"] in ("stored", "duplicate"):
            doc = docs.get(line["id"])
            assert doc is not None, f"{line['url']}: its line names document {line['id']}, which is not in the index"
            said = line.get("duplicate_of")
            assert said == doc.duplicate_of, f"{line['url']}: line says {said}, record says {doc.duplicate_of}"
            assert (line["outcome"] == "duplicate") == (doc.duplicate_of is not None), (
                f"{line['url']}: {line['outcome']} vs {doc.duplicate_of}"
            )
    assert stats["counts"] == {outcome: sum(1 for line in url_lines if line["outcome"] == outcome) for outcome in OUTCOMES}
    outcomes = {
        urlparse(line["url"]).path: (line["outcome"], path_of.get(line.get("duplicate_of") or ""))
        for line in url_lines
    }
    documents = {
        path_of[doc_id]: (doc.content_sha256, path_of.get(doc.duplicate_of or "")) for doc_id, doc in docs.items() if doc is not None
    }
    return Final(outcomes, documents, {name: stats[name] for name in ("counts", "reasons", "bytes")})


@dataclass(frozen=True)
class KillPoint:
    """A write boundary: die instead of the `nth` write of kind `op` to keys starting with `prefix`."""

    name: str
    op: str  # put | delete | *
    prefix: str
    nth: int

    def setting(self) -> str:
        if self.op == "*":
            return f"*:{self.nth}"
        return f"{'delete:' if self.op == 'delete' else ''}{self.prefix}:{self.nth}"


def _kind(key: str) -> str:
    if key.startswith("manifests/"):
        return "manifests/" if key.count("/") == 1 else "manifests/part"
    return key.split("/", 1)[0] + ("/" if "/" in key else "")


def every_boundary(log: list[str]) -> list[KillPoint]:
    """One kill point per write of the reference run, in order, each as the n-th write of its kind."""
    seen: Counter[tuple[str, str]] = Counter()
    points = []
    for number, entry in enumerate(log, 1):
        op, key = entry.split(" ", 1)
        prefix = key if key == "index.jsonl" else ("manifests/" if key.startswith("manifests/") else key.split("/", 1)[0] + "/")
        seen[(op, prefix)] += 1
        points.append(KillPoint(f"{number:02d}-{op}-{_kind(key)}", op, prefix, seen[(op, prefix)]))
    return points


def chosen_boundaries(log: list[str], rng: random.Random) -> dict[str, KillPoint]:
    """The subset the test suite runs: the first and last write of each kind, a re-pointing record, a random one."""
    points = every_boundary(log)
    kinds: dict[str, list[KillPoint]] = {}
    for point in points:
        kinds.setdefault(point.name.split("-", 2)[2] + f"-{point.op}", []).append(point)
    chosen: dict[str, KillPoint] = {}
    for kind, members in kinds.items():
        chosen[f"first {kind}"] = members[0]
        if len(members) > 1 and not kind.startswith(("raw", "documents", "dedup")):
            chosen[f"last {kind}"] = members[-1]
    # A record re-pointed at a better version: a documents/ put right after another.
    for before, point in itertools.pairwise(points):
        if "documents/" in before.name and "documents/" in point.name:
            chosen["re-pointed record"] = point
            break
    k = rng.randrange(1, len(points) + 1)
    chosen[f"random write {k}"] = KillPoint(f"any-{k}", "*", "", k)
    return chosen


def kill_and_resume(config: Path, store: str, point: KillPoint, env: dict[str, str] | None = None) -> str | None:
    """Kill a crawl at `point`, then re-run it; return the killed run's id (None: killed before it had one)."""
    killed = crawl(config, store, "-s", f"KILL_AT={point.setting()}", env=env)
    assert killed.returncode == -9, f"{point}: the crawl was not killed (exit {killed.returncode}): {killed.stderr[-2000:]}"
    runs = active_runs(open_store(store))
    run_id = runs[0]["run_id"] if runs else None
    resumed = crawl(config, store, env=env)
    assert resumed.returncode == 0, f"{point}: resuming failed: {resumed.stderr[-2000:]}"
    # The killed crawl's lease was left behind; its process is gone, so the next writer takes it over.
    assert "took over the lease of" in resumed.stderr and "is gone" in resumed.stderr, resumed.stderr[-2000:]
    assert not list(open_store(store).list("runs/active/")), f"{point}: the run is still open"
    assert not [key for key in open_store(store).list("manifests/") if "/part-" in key], f"{point}: manifest parts left"
    return run_id


def main() -> int:
    import argparse
    import tempfile

    from dupsite import generate, sources_toml

    from govcorpus.sitefixture import serve_site

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", choices=["local", "s3"], default="local")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = None
        if args.store == "s3":
            from seaweed import start_seaweedfs

            server = start_seaweedfs(tmp / "weed")
            os.environ.update(server.env())
        try:
            generate(tmp / "site")
            with serve_site(tmp / "site") as site:
                config = tmp / "sources.toml"
                config.write_text(sources_toml(site.base_url), encoding="utf-8")
                uri = (lambda name: f"s3://resumecheck/{name}") if server else (lambda name: str(tmp / name))
                log = tmp / "writes.log"
                assert crawl(config, uri("reference"), "-s", f"WRITE_LOG={log}").returncode == 0
                reference = final_state(uri("reference"))
                points = every_boundary(log.read_text().splitlines())
                failures = 0
                for number, point in enumerate(points):
                    store = uri(f"k{number}")
                    try:
                        run_id = kill_and_resume(config, store, point)
                        assert final_state(store, run_id) == reference, "differs from the reference run"
                        print(f"ok    {point.name} (KILL_AT={point.setting()})", flush=True)
                    except AssertionError as exc:
                        failures += 1
                        print(f"FAIL  {point.name} (KILL_AT={point.setting()}): {str(exc)[:300]}", flush=True)
                print(f"{len(points) - failures} passed, {failures} failed")
                return 1 if failures else 0
        finally:
            if server is not None:
                from seaweed import stop_seaweedfs

                stop_seaweedfs(server)


if __name__ == "__main__":
    sys.exit(main())
