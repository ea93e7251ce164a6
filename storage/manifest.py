"""Run manifests: one JSON line per URL a run touched, with its outcome."""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from storage.backends import ObjectStore, StoreDamaged

OUTCOMES = ("stored", "duplicate", "unchanged", "skipped", "failed")
MANIFEST_PREFIX = "manifests/"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_run_id() -> str:
    """Sortable and unique: the start time plus a random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


@dataclass
class ManifestWriter:
    """Buffers lines and flushes them as part objects; `close` joins them into one file.

    A line is recorded only after what it names is durable, and a flushed part is itself
    durable, so a crash loses at most the unflushed tail of lines, never a stored document.
    """

    store: ObjectStore
    run_id: str
    flush_every: int = 50
    flush_seconds: float = 5.0
    counts: Counter[str] = field(default_factory=Counter)
    _buffer: list[str] = field(default_factory=list)
    _part: int = 0
    _last_flush: float = field(default_factory=time.monotonic)
    started_at: str = field(default_factory=utc_now)
    recorded: set[str] = field(default_factory=set)  # URLs with a line, flushed or not
    # Called before lines are flushed: what they name must be durable first (e.g. the dedup index).
    before_flush: Callable[[], None] | None = None

    @property
    def key(self) -> str:
        return f"{MANIFEST_PREFIX}{self.run_id}.jsonl"

    @classmethod
    def resume(cls, store: ObjectStore, run_id: str, started_at: str | None = None) -> ManifestWriter:
        """Continue a run that did not finish: its flushed lines stay, and count, as they were."""
        writer = cls(store, run_id)
        if started_at is not None:
            writer.started_at = started_at
        for key in store.list(f"{MANIFEST_PREFIX}{run_id}/"):
            writer._part = max(writer._part, _part_number(key) + 1)
            for line in parse_lines(store, key):
                writer.counts[line["outcome"]] += 1
                writer.recorded.add(line["url"])
        return writer

    def has_recorded(self, url: str) -> bool:
        """Whether `url` already has a line in this run (flushed or not)."""
        return url in self.recorded

    def _part_key(self, number: int) -> str:
        return f"{MANIFEST_PREFIX}{self.run_id}/part-{number:06d}.jsonl"

    def record(self, url: str, outcome: str, **fields: Any) -> dict[str, Any]:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        line = {"url": url, "outcome": outcome, "at": utc_now(), **fields}
        self.recorded.add(url)
        self._buffer.append(json.dumps(line, ensure_ascii=False))
        self.counts[outcome] += 1
        if len(self._buffer) >= self.flush_every or time.monotonic() - self._last_flush > self.flush_seconds:
            self.flush()
        return line

    def flush(self) -> None:
        if self._buffer and self.before_flush is not None:
            self.before_flush()
        if self._buffer:
            self.store.sync()  # what the lines name is durable before the lines are
            self.store.put(self._part_key(self._part), ("\n".join(self._buffer) + "\n").encode("utf-8"))
            self._part += 1
            self._buffer.clear()
        self._last_flush = time.monotonic()

    def close(self, stats: dict[str, Any] | None = None, amend: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> str:
        """Write the run's single manifest file, ending with a stats line; return its key.

        `amend` may rewrite lines whose document changed after they were written (a document
        re-pointed at a better version that arrived later in the run). The stats are derived from
        the final lines — `counts` per outcome, `reasons` per outcome/reason, `bytes` (the lines'
        `bytes`) — so a run resumed after a kill has the stats of one that never was; `stats`
        adds to them (duration, the closing process's own counters) and never overrides them.
        The joined file is written before any part is deleted: a run killed in between has its
        whole manifest, and its next start only finishes the clean-up.
        """
        self.flush()
        part_keys = list(self.store.list(f"{MANIFEST_PREFIX}{self.run_id}/"))
        lines = _unique_by_url(line for key in part_keys for line in parse_lines(self.store, key))
        if amend is not None:
            lines = [amend(line) for line in lines]
        self.counts = Counter(line["outcome"] for line in lines)
        body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")
        summary = {
            "run": self.run_id,
            "stats": {
                "started_at": self.started_at,
                "finished_at": utc_now(),
                **(stats or {}),
                **line_stats(lines),
            },
        }
        body += (json.dumps(summary, ensure_ascii=False) + "\n").encode("utf-8")
        self.store.put(self.key, body)
        delete_parts(self.store, self.run_id)
        return self.key


def delete_parts(store: ObjectStore, run_id: str) -> int:
    """Delete the manifest parts of `run_id` (its joined manifest is written) and their folder; how many there were."""
    prefix = f"{MANIFEST_PREFIX}{run_id}/"
    parts = list(store.list(prefix))
    for key in parts:
        store.delete(key)
    store.prune(prefix)
    return len(parts)


def line_stats(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """What a run's stats line says about its URL lines: counts per outcome and per outcome/reason, bytes,
    and `fallback/<stage>`: the documents an extraction stage's safety net caught (the lines' `fallback`)."""
    reasons = Counter(f"{line['outcome']}/{line['reason']}" for line in lines if line.get("reason"))
    fallbacks = Counter(f"fallback/{stage}" for line in lines for stage in line.get("fallback") or ())
    return {
        "counts": {outcome: sum(1 for line in lines if line["outcome"] == outcome) for outcome in OUTCOMES},
        "reasons": dict(sorted(reasons.items())),
        "bytes": sum(int(line.get("bytes") or 0) for line in lines),
        **dict(sorted(fallbacks.items())),
    }


def from_lines(name: str) -> bool:
    """Whether a crawl counter (`stored`, `skipped/list_page`, `dropped/too_short`, `bytes`, `fallback/…`)
    is one the stats line derives from the URL lines (`line_stats`), for the whole run."""
    head = name.split("/", 1)[0]
    return head in OUTCOMES or head in ("dropped", "fallback") or name == "bytes"


def _unique_by_url(lines: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines in order, the first for each URL (a URL has one line per run)."""
    seen: set[str] = set()
    unique = []
    for line in lines:
        if line["url"] not in seen:
            seen.add(line["url"])
            unique.append(line)
    return unique


def _part_number(key: str) -> int:
    name = key.rsplit("/", 1)[-1]
    digits = name.removeprefix("part-").removesuffix(".jsonl")
    return int(digits) if digits.isdigit() else -1


def parse_lines(store: ObjectStore, key: str) -> list[dict[str, Any]]:
    """The lines of a manifest or manifest part; StoreDamaged naming the first that is not a manifest line."""
    lines = []
    try:
        text = store.get(key).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreDamaged(store.uri, key, f"not UTF-8 at byte {exc.start}") from None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise StoreDamaged(store.uri, key, f"line {number} is not JSON: {exc.msg}") from None
        if not isinstance(line, dict) or not (("url" in line and line.get("outcome") in OUTCOMES) or "stats" in line):
            raise StoreDamaged(store.uri, key, f"line {number} is not a manifest line")
        lines.append(line)
    return lines


def read_manifest(store: ObjectStore, key: str) -> Iterator[dict[str, Any]]:
    """Lines of a finished manifest, URL lines and the closing stats line alike (StoreDamaged if unreadable)."""
    yield from parse_lines(store, key)


def manifest_keys(store: ObjectStore) -> list[str]:
    """Finished manifests, oldest first."""
    return [key for key in store.list(MANIFEST_PREFIX) if key.count("/") == 1 and key.endswith(".jsonl")]
