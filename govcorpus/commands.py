"""What the CLI commands do, apart from parsing arguments and printing."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaners.reasons import Verdict
from crawler.items import FailedItem, FetchedItem
from crawler.sources import Source
from storage.journey import Outcome
from storage.manifest import read_manifest

DEMO_SITE = Path(__file__).parent / "demo_site"
# The demo site is our own, on loopback: no need to pace requests to it.
FAST_LOCAL_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_START_DELAY": 0.05, "AUTOTHROTTLE_MAX_DELAY": 1}


def _settings(store_uri: str, overrides: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"GOVCORPUS_STORE": store_uri, **extra, **overrides}


def fetch_url(
    url: str, *, store_uri: str, store: bool, overrides: dict[str, Any], no_filter: bool = False, replies: bool = False
) -> Outcome:
    """Download one URL through the crawl's download stack and ingest it.

    With `no_filter` the report filters refuse nothing: the document says what they would have
    said in its `filter_verdict`; with `replies` a forum thread keeps every user's posts. Raises
    KeyboardInterrupt when SIGINT/SIGTERM stopped it.
    """
    from crawler.spiders.fetch import FetchSpider
    from govcorpus.runner import run_spider

    # One document: starting worker processes would cost more than it saves.
    settings = _settings(store_uri, overrides, GOVCORPUS_STORE_ENABLED=store, GOVCORPUS_PROCESS_WORKERS=0)
    result = run_spider(FetchSpider, settings, interruptible=True, url=url, no_filter=no_filter, replies=replies)
    if result.interrupted:
        raise KeyboardInterrupt  # reported as "interrupted", exit status 130
    outcomes = [item.outcome for item in result.items if isinstance(item, FetchedItem | FailedItem)]
    if not outcomes:
        return Outcome(url, "failed", "no_response", "the download produced no response (see -v for the log)")
    return outcomes[-1]


NOT_STORED = "not_stored"


def fetch_answer(outcome: Outcome, *, stored: bool) -> dict[str, Any]:
    """The object `fetch --json` prints and the service's POST /fetch answers, for a URL that became a document.

    The document's fields plus `outcome`. Without storing (`fetch --no-store`, `"store": false`)
    nothing became of the URL: `outcome` is "not_stored" and `would_be` says what a store would
    have recorded ("stored", "duplicate" or "unchanged"), so a dry run never claims a write.
    """
    assert outcome.document is not None
    answer = outcome.document.to_dict()
    if stored:
        return {**answer, "outcome": outcome.outcome}
    return {**answer, "outcome": NOT_STORED, "would_be": outcome.outcome}


@dataclass
class RunSummary:
    store_uri: str
    manifest_key: str | None
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    unstored: int = 0  # results that could not be written: the run was left open to resume
    checkpointed: bool = False
    page_limit: int | None = None  # the crawl stopped at GOVCORPUS_MAX_PAGES pages

    @property
    def complete(self) -> bool:
        return self.manifest_key is not None and not self.unstored


def summarize_run(store_uri: str, stats: dict[str, Any]) -> RunSummary:
    from storage.corpus import Corpus

    manifest_key = stats.get("govcorpus/manifest")
    summary = RunSummary(
        store_uri=store_uri,
        manifest_key=manifest_key,
        unstored=int(stats.get("govcorpus/unstored", 0)),
        checkpointed=bool(stats.get("govcorpus/checkpointed")),
        page_limit=stats.get("govcorpus/max_pages_reached"),
    )
    if manifest_key is None:
        # Stopped before it finished: no manifest was closed, so the counts are this process's own.
        summary.counts = {verdict.value: int(stats.get(f"govcorpus/{verdict.value}", 0)) for verdict in Verdict}
        return summary
    corpus = Corpus.open(store_uri)
    for line in read_manifest(corpus.store, manifest_key):
        if "stats" in line:
            summary.counts = line["stats"]["counts"]
        elif line["outcome"] in ("failed", "skipped"):
            summary.problems.append(line)
    return summary


def crawl_sources(
    sources: list[Source],
    *,
    store_uri: str,
    max_pages: int | None,
    overrides: dict[str, Any],
    redis_url: str | None = None,
) -> RunSummary:
    """Crawl `sources`; with a Redis URL (or $GOVCORPUS_REDIS_URL) as one worker of a distributed crawl."""
    from crawler.spiders.sources import SourcesSpider
    from govcorpus.distributed import redis_settings, redis_url_from_env
    from govcorpus.runner import run_spider
    from storage.runs import job_name

    extra: dict[str, Any] = {"GOVCORPUS_JOB": job_name(source.name for source in sources)}
    redis_url = redis_url or redis_url_from_env(overrides)
    if redis_url:
        extra.update(redis_settings(redis_url, extra["GOVCORPUS_JOB"]))
    limits = [limit for limit in [max_pages, *(source.max_pages for source in sources)] if limit]
    if limits:
        extra["GOVCORPUS_MAX_PAGES"] = min(limits)
    result = run_spider(SourcesSpider, _settings(store_uri, overrides, **extra), keep_items=False, sources=sources)
    return summarize_run(store_uri, result.stats)


DEMO_PORT = 18765  # fixed, so the demo's URLs (and so its document ids) are the same every run


def run_demo(*, store_uri: str, overrides: dict[str, Any], port: int = DEMO_PORT) -> RunSummary:
    """Serve the bundled demo site on 127.0.0.1 and crawl it from its front page."""
    from govcorpus.sitefixture import serve_site

    try:
        site = serve_site(DEMO_SITE, host="127.0.0.1", port=port)
    except OSError as exc:
        raise RuntimeError(f"cannot serve the demo site on 127.0.0.1:{port} ({exc.strerror}): pass --port N") from None
    with site:
        print(f"Serving the demo site at {site.base_url}/ and crawling it into {store_uri} …", file=sys.stderr)
        source = Source(name="demo", start_urls=(f"{site.base_url}/",), max_depth=3)
        return crawl_sources([source], store_uri=store_uri, max_pages=None, overrides={**FAST_LOCAL_SETTINGS, **overrides})


def print_summary(summary: RunSummary) -> None:
    if summary.unstored:
        print(
            f"{summary.unstored} results could not be written to {summary.store_uri}; the run is left open. "
            "Re-run the same command to resume it: nothing recorded so far is repeated.",
            file=sys.stderr,
        )
    elif summary.checkpointed:
        print("The crawl was stopped before it finished; re-run the same command to resume it.", file=sys.stderr)
    elif summary.page_limit:
        print(
            f"The crawl stopped at its page limit ({summary.page_limit} pages): links not yet followed were left. "
            "Raise --max-pages (or the source's max_pages) to go further.",
            file=sys.stderr,
        )
    counts = summary.counts
    print(
        f"Stored {counts.get('stored', 0)} documents, {counts.get('duplicate', 0)} duplicates, "
        f"{counts.get('unchanged', 0)} unchanged, {counts.get('skipped', 0)} skipped, "
        f"{counts.get('failed', 0)} failed."
    )
    for line in summary.problems:
        reason = line.get("reason", "?")
        detail = f" ({line['detail']})" if line.get("detail") else ""
        print(f"  {line['outcome']:<7} {line['url']}: {reason}{detail}")
    print(f"Corpus: {summary.store_uri}")
    if summary.manifest_key:
        print(f"Manifest: {summary.manifest_key}")
    print("List it with: govcorpus ls" + (f" --store {summary.store_uri}" if summary.store_uri != "./corpus" else ""))
