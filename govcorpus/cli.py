"""The `govcorpus` command line."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govcorpus.errors import INTERRUPTED, RunFailure, UsageError, report
from storage.backends import DEFAULT_STORE, store_uri_from_env
from storage.lease import DEFAULT_TIMEOUT as DEFAULT_LEASE_TIMEOUT
from storage.lease import DEFAULT_WAIT

if TYPE_CHECKING:
    from storage.journey import Outcome

EPILOG = """\
The store is ./corpus unless --store or $GOVCORPUS_STORE says otherwise: a path, file://PATH,
or s3://bucket/prefix (boto3 reads AWS_ENDPOINT_URL, AWS_PROFILE, AWS_ACCESS_KEY_ID, ...).

examples:
  govcorpus fetch https://example.gov.cn/art/2024/1/17/report.html --json
  govcorpus crawl --config sources.toml --source jingan --max-pages 200
  govcorpus ls --json
  govcorpus export --format parquet --out s3://bucket/govcorpus-export
  govcorpus demo
"""


# A one-line message for stderr and exit status 1 (govcorpus.errors words the known failures).
CliError = RunFailure


def _count(text: str) -> int:
    """argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {value}")
    return value


def _port(text: str) -> int:
    """argparse type: a TCP port, 1–65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {value}")
    return value


def _parse_setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govcorpus",
        description="Collect Chinese government reports into a clean, deduplicated corpus.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", help="show Scrapy's log (INFO)")
    common.add_argument(
        "-s",
        "--set",
        dest="settings",
        action="append",
        default=[],
        type=_parse_setting,
        metavar="NAME=VALUE",
        help="override a Scrapy/govcorpus setting (repeatable), e.g. -s DOWNLOAD_DELAY=0",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, parents=[common])
        return sub

    def store_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--store", metavar="URI", help=f"corpus location (default: $GOVCORPUS_STORE or {DEFAULT_STORE})")

    def wait_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--wait",
            nargs="?",
            type=_seconds,
            const=DEFAULT_WAIT,
            default=0.0,
            metavar="SECONDS",
            help=f"if another process is writing the store, wait for it (up to SECONDS, default {DEFAULT_WAIT:.0f}) "
            "instead of stopping",
        )

    fetch = add("fetch", "Fetch one URL (an HTML page, PDF, DOCX, DOC/WPS or OFD), clean it and store it.")
    fetch.add_argument("url")
    fetch.add_argument("--json", action="store_true", help="print the document as one JSON object")
    fetch.add_argument("--no-store", action="store_true", help="clean and check for duplicates, write nothing")
    fetch.add_argument(
        "--no-filter",
        action="store_true",
        help="keep the page even if a report filter would refuse it (not a report, a list page, not Chinese …); "
        "the JSON's filter_verdict says what the filter would have said",
    )
    fetch.add_argument(
        "--replies",
        action="store_true",
        help="keep every user's posts of a forum thread, not only the thread starter's (the canonical text keeps the starter's)",
    )
    store_option(fetch)
    wait_option(fetch)

    crawl = add("crawl", "Crawl the sources of a config file into the store.")
    crawl.add_argument("--config", type=Path, default=Path("sources.toml"), help="source config (TOML, default ./sources.toml)")
    crawl.add_argument("--source", action="append", metavar="NAME", help="crawl only this source (repeatable)")
    crawl.add_argument(
        "--max-pages", type=_count, metavar="N", help="download at most N pages (robots.txt and retries not counted), then finish the run"
    )
    crawl.add_argument(
        "--redis",
        metavar="URL",
        help="run as one worker of a distributed crawl sharing its frontier on this Redis (default: $GOVCORPUS_REDIS_URL)",
    )
    store_option(crawl)
    wait_option(crawl)

    schedule = add("schedule", "Run each source's crawl on its cron `schedule`, until SIGTERM/SIGINT.")
    schedule.add_argument("--config", type=Path, default=Path("sources.toml"), help="source config (TOML, default ./sources.toml)")
    schedule.add_argument("--now", action="store_true", help="also run every scheduled source once right away")
    store_option(schedule)

    ls = add("ls", "List the stored documents.")
    ls.add_argument("--json", action="store_true", help="print one JSON array")
    store_option(ls)

    show = add("show", "Show one stored document (id or a unique prefix of one).")
    show.add_argument("id")
    show.add_argument("--json", action="store_true", help="print the whole record as JSON")
    store_option(show)

    runs = add("runs", "List past runs with their stats (counts per outcome, bytes, duration).")
    runs.add_argument("--json", action="store_true", help="print one JSON array")
    store_option(runs)

    export = add("export", "Write the canonical documents (duplicates left out) as JSON Lines or Parquet.")
    export.add_argument("--format", choices=["jsonl", "parquet"], default="parquet", help="file format (default parquet)")
    export.add_argument("--out", metavar="URI", help="where to write: a path or s3://bucket/prefix (default: <store>/exports/<time>)")
    store_option(export)

    demo = add("demo", "Serve the bundled demo site on 127.0.0.1, crawl it into the store, print a summary.")
    demo.add_argument("--port", type=_port, default=18765, help="port of the demo site on 127.0.0.1 (default 18765)")
    store_option(demo)
    wait_option(demo)

    serve = add("serve", "Serve the HTTP API: POST /fetch, GET /documents, GET /healthz (docs at /docs).")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000)")
    store_option(serve)
    wait_option(serve)

    reclean = add(
        "reclean",
        "Rebuild stored documents from their raw responses (the WARC archive) with the current cleaners; nothing is fetched.",
    )
    reclean.add_argument("--source", metavar="NAME", help="only documents the crawl source NAME fetched")
    reclean.add_argument(
        "--since", type=_date, metavar="DATE", help="only documents fetched on or after DATE (YYYY-MM-DD or an ISO 8601 time, UTC)"
    )
    reclean.add_argument("--json", action="store_true", help="print the run's result as one JSON object")
    store_option(reclean)
    wait_option(reclean)

    check = add("check", "Verify the store's index, dedup index and manifests against its documents.")
    check.add_argument("--repair", action="store_true", help="rebuild what is derivable (index, dedup index, manifests)")
    store_option(check)
    wait_option(check)
    return parser


def _date(text: str) -> str:
    from datetime import datetime

    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-01-31 (or an ISO 8601 time), got {text!r}") from None
    return text


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def _writer_lease(args: argparse.Namespace, overrides: dict[str, Any], store_uri: str, group: str | None = None) -> Any:
    """Hold the store's single-writer lease while a command writes it (refused, or waiting with --wait)."""
    from storage.backends import open_store
    from storage.lease import store_lease

    timeout = overrides.get("GOVCORPUS_LEASE_TIMEOUT", DEFAULT_LEASE_TIMEOUT)
    try:
        timeout = float(timeout)
    except ValueError:
        raise CliError(f"GOVCORPUS_LEASE_TIMEOUT must be a number of seconds, got {timeout!r}") from None

    def progress(message: str) -> None:
        print(f"govcorpus: {message}", file=sys.stderr, flush=True)

    return store_lease(open_store(store_uri), wait=args.wait, timeout=timeout, group=group, progress=progress)


def command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The subcommand's own parser (argparse keeps no public handle on it)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]
    return parser


def _require_index(store_uri: str) -> None:
    """Refuse to start a run on a store whose index is gone (StoreDamaged: `check --repair`), holding its lease."""
    from storage.corpus import Corpus
    from storage.listing import require_index

    require_index(Corpus.open(store_uri))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure ends as lines on stderr and an exit status (govcorpus.errors)."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)  # argparse's own usage errors: exit status 2
    if unknown:  # said by the command's parser, with its usage (the top-level one shows only COMMAND)
        command_parser(parser, args.command).error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        overrides = _overrides(args)
        return COMMANDS[args.command](args, overrides)
    except BrokenPipeError:
        # The reader of stdout went away (`govcorpus ls | head`): what it wanted it has. Quietly,
        # and with stdout pointed at /dev/null, so the interpreter's own flush at exit fails no more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (Exception, KeyboardInterrupt) as exc:  # the last net: known failures get their own words
        return report(exc, args.verbose)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The -s settings, checked and typed against their defaults (SettingError: exit status 2)."""
    from govcorpus.overrides import check_overrides

    overrides, warnings = check_overrides(args.settings)
    for warning in warnings:
        print(f"govcorpus: warning: {warning}", file=sys.stderr)
    if not args.verbose:
        # The outcome of every URL reaches the user as a one-line reason and in the manifest;
        # Scrapy's own tracebacks for the same failures would only bury it.
        overrides.setdefault("LOG_LEVEL", "CRITICAL")
    return overrides


def _store(args: argparse.Namespace, write: bool, existing: bool = False) -> str:
    """The store URI of a command, checked before it starts (and, to write, probed for writing).

    `existing`: the command reads a store that must be there already (ls, show, runs, export,
    check, reclean), so a local path that does not exist is a mistake, not an empty store.
    """
    from govcorpus.preflight import check_store_exists, check_store_uri, open_writable

    uri = store_uri_from_env(args.store)
    what = "--store" if args.store else "$GOVCORPUS_STORE" if os.environ.get("GOVCORPUS_STORE") else "the default store"
    if existing:
        check_store_exists(uri, what)
    if write:
        open_writable(uri, what)
    else:
        check_store_uri(uri, what)
    return uri


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def cmd_fetch(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from crawler.urlcheck import url_problem

    problem = url_problem(args.url)
    if problem is not None:
        raise UsageError(problem[1])
    store_uri = _store(args, write=not args.no_store)

    from govcorpus.commands import fetch_answer, fetch_url  # slow imports, after the quick checks

    def fetch(store: bool) -> Outcome:
        return fetch_url(
            args.url.strip(), store_uri=store_uri, store=store, overrides=overrides, no_filter=args.no_filter, replies=args.replies
        )

    if args.no_store:
        outcome = fetch(store=False)
    else:
        with _writer_lease(args, overrides, store_uri):
            _require_index(store_uri)
            outcome = fetch(store=True)
    if outcome.document is None:
        detail = f" ({outcome.detail})" if outcome.detail else ""
        raise CliError(f"{args.url} cannot become a document: {outcome.reason}{detail}")
    if args.json:
        _print_json(fetch_answer(outcome, stored=not args.no_store))
    else:
        print(outcome.document.text)
    return 0


def cmd_crawl(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from crawler.sources import load_sources, select_sources

    sources = select_sources(load_sources(args.config), args.source)  # ConfigError: exit status 2

    # Slow imports, after the quick checks.
    from govcorpus.commands import crawl_sources, print_summary
    from govcorpus.distributed import redis_url_from_env
    from govcorpus.preflight import check_redis
    from storage.lease import distributed_group
    from storage.runs import job_name

    store_uri = _store(args, write=True)
    redis_url = args.redis or redis_url_from_env(overrides)
    if redis_url:
        check_redis(redis_url)
    # The workers of one distributed job share the store's lease; any other writer waits or is refused.
    group = distributed_group(redis_url, job_name(source.name for source in sources)) if redis_url else None
    with _writer_lease(args, overrides, store_uri, group):
        if group is None:  # a distributed job's workers write the store side by side
            _require_index(store_uri)
        summary = crawl_sources(sources, store_uri=store_uri, max_pages=args.max_pages, overrides=overrides, redis_url=redis_url)
    print_summary(summary)
    if summary.checkpointed and not summary.unstored:
        return INTERRUPTED  # stopped by a signal, left open to resume: cron and systemd must see it did not finish
    return 0 if summary.complete else 1


def cmd_schedule(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    import logging

    from crawler.sources import load_sources
    from govcorpus.schedule import run_scheduler

    sources = load_sources(args.config)  # ConfigError: exit status 2
    store_uri = _store(args, write=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    passthrough = [arg for name, value in args.settings for arg in ("-s", f"{name}={value}")]
    try:
        run_scheduler(sources, args.config.resolve(), store_uri, passthrough, args.now)
    except ValueError as exc:  # no source has a schedule
        raise UsageError(str(exc)) from None
    return 0


def cmd_ls(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from storage.corpus import Corpus
    from storage.listing import list_documents

    listing = list_documents(Corpus.open(_store(args, write=False, existing=True)))  # StoreDamaged: check --repair
    entries = listing.entries
    if listing.unindexed is not None:
        print(f"govcorpus: note: {listing.unindexed.note()}", file=sys.stderr)
    if args.json:
        _print_json(entries)
        return 0
    for entry in entries:
        marker = f"  → dup of {entry['duplicate_of']}" if entry.get("duplicate_of") else ""
        print(f"{entry['id']}  {entry['chars']:>7}  {entry.get('title') or '(untitled)'}  {entry['url']}{marker}")
    print(f"{len(entries)} documents", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from storage.corpus import Corpus

    if not args.id.strip():
        raise UsageError("give a document id or a unique prefix of one (see `govcorpus ls`)")
    from storage.listing import list_documents

    corpus = Corpus.open(_store(args, write=False, existing=True))
    listing = list_documents(corpus)  # StoreDamaged: check --repair
    candidates = sorted(entry["id"] for entry in listing.entries if entry["id"].startswith(args.id))
    if not candidates and listing.unindexed is not None:
        raise CliError(f"no document {args.id!r} in {corpus.uri} is listed yet: {listing.unindexed.note()}")
    if len(candidates) > 1:
        shown = ", ".join(candidates[:5]) + (f" and {len(candidates) - 5} more" if len(candidates) > 5 else "")
        raise UsageError(f"id prefix {args.id!r} is ambiguous: {len(candidates)} documents start with it ({shown}); give more characters")
    doc = corpus.get(candidates[0]) if candidates else None
    if doc is None:
        raise CliError(f"no document {args.id!r} in {corpus.uri} (see `govcorpus ls`)")
    if args.json:
        _print_json(doc.to_dict())
    else:
        print(f"# {doc.title or '(untitled)'}\n# {doc.url}\n")
        print(doc.text)
    return 0


def cmd_runs(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from storage.backends import open_store
    from storage.runs import past_runs, unfinished_runs

    store = open_store(_store(args, write=False, existing=True))
    runs = past_runs(store)
    unfinished = unfinished_runs(store)
    if args.json:
        _print_json(runs + unfinished)  # each with "finished": true or false
        return 0
    for run in runs:
        counts = run.get("counts", {})
        summary = ", ".join(f"{counts.get(name, 0)} {name}" for name in ("stored", "duplicate", "unchanged", "skipped", "failed"))
        duration = run.get("duration_s")
        took = f"{duration:.1f}s" if isinstance(duration, int | float) else "?"
        print(f"{run['run']}  {run.get('started_at', '?')}  {took:>8}  {run['urls']:>6} URLs  {summary}")
    for run in unfinished:
        print(f"{run['run']}  unfinished ({run['job']}, {run['urls']} URLs so far): re-run the same command to resume it")
    if not runs:
        print(f"no finished runs in {store.uri}", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from govcorpus.preflight import check_store_uri, open_writable
    from storage.corpus import Corpus
    from storage.export import export_corpus
    from storage.listing import list_documents
    from storage.manifest import new_run_id

    if args.out:
        check_store_uri(args.out, "--out")
    corpus = Corpus.open(_store(args, write=not args.out, existing=True))
    listing = list_documents(corpus)  # a damaged store is refused before anything is written
    if args.out:
        out, prefix = open_writable(args.out, "--out"), ""
    else:
        out, prefix = corpus.store, f"exports/{new_run_id()}"
    result = export_corpus(corpus, out, args.format, prefix, listing)
    if result.unindexed is not None:
        print(f"govcorpus: note: not exported: {result.unindexed.note()}", file=sys.stderr)
    print(f"Exported {result.rows} canonical documents in {len(result.files)} {args.format} file(s) to {out.uri}")
    print(f"Manifest: {result.manifest_key}")
    return 0


def cmd_demo(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from govcorpus.commands import print_summary, run_demo

    try:
        store_uri = _store(args, write=True)
        with _writer_lease(args, overrides, store_uri):
            _require_index(store_uri)
            summary = run_demo(store_uri=store_uri, overrides=overrides, port=args.port)
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
    print_summary(summary)
    return 0 if summary.complete else 1


def cmd_serve(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from govcorpus.preflight import check_listen

    store_uri = _store(args, write=False)  # the store itself is checked by the service, which reports it per request
    check_listen(args.host, args.port)

    from govcorpus.service import serve  # slow imports, after the quick checks

    with _service_lease(args, overrides, store_uri):  # the service stores what it fetches
        stopped_by = serve(store_uri, host=args.host, port=args.port, settings=overrides, verbose=args.verbose)
    if stopped_by is not None:  # SIGTERM, now that the lease is released: end by it, as a service should
        import signal

        signal.signal(stopped_by, signal.SIG_DFL)
        signal.raise_signal(stopped_by)
    return 0


@contextmanager
def _service_lease(args: argparse.Namespace, overrides: dict[str, Any], store_uri: str) -> Iterator[None]:
    """The store's lease for the service's lifetime; refused if another process writes the store.

    A store that cannot be used at all (wrong credentials, S3 down) does not stop the service: it
    answers 503 for what needs the store, and each storing request then takes the lease itself.
    """
    from govcorpus.errors import describe
    from storage.lease import LeaseHeld

    with ExitStack() as stack:
        try:
            stack.enter_context(_writer_lease(args, overrides, store_uri))
        except LeaseHeld:
            raise
        except Exception as exc:
            if describe(exc) is None:  # not a store failure: a bug, reported as one
                raise
        yield


def cmd_check(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from storage.backends import open_store
    from storage.check import check_store, repair_store

    store_uri = _store(args, write=args.repair, existing=True)
    store = open_store(store_uri)
    if not args.repair:
        report = check_store(store)
        _print_check(report)
        if any(problem.repairable for problem in report.problems.values()):
            print(f"Run `govcorpus check --repair --store {store_uri}` to rebuild what can be rebuilt.", file=sys.stderr)
        elif not report.clean:
            print("`govcorpus check --repair` cannot rebuild these: what they need is gone from the store.", file=sys.stderr)
        return 0 if report.clean else 1
    with _writer_lease(args, overrides, store_uri):
        before = check_store(store)
        if before.clean:
            _print_check(before)
            return 0
        for action in repair_store(store, before).actions:
            print(f"repaired: {action}")
        after = check_store(store)
    _print_check(after)
    return 0 if after.clean else 1


def cmd_reclean(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    from scrapy.settings import Settings

    from crawler import settings as defaults
    from crawler.workers import ocr_options
    from storage.corpus import Corpus
    from storage.reclean import NothingSelected, UnknownSource, reclean

    store_uri = _store(args, write=True, existing=True)
    settings = Settings()
    settings.setmodule(defaults)
    settings.setdict(overrides, priority="cmdline")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if sys.stderr.isatty() and (now - last[0] > 0.5 or done == total):
            print(f"\rgovcorpus: re-cleaned {done}/{total} documents", end="\n" if done == total else "", file=sys.stderr, flush=True)
            last[0] = now

    with _writer_lease(args, overrides, store_uri):
        try:
            result = reclean(Corpus.open(store_uri), source=args.source, since=args.since, ocr=ocr_options(settings), progress=progress)
        except UnknownSource as exc:
            raise UsageError(f"--source {args.source}: {exc}") from None
        except NothingSelected as exc:  # no run is written for an empty selection
            if args.json:
                _print_json({"run": None, "manifest": None, "documents": 0, "counts": {}, "resumed": False, "dedup": None})
            print(f"govcorpus: nothing to reclean: {exc}", file=sys.stderr)
            return 0
    if args.json:
        _print_json({"run": result.run_id, "manifest": result.manifest, "documents": result.documents, "counts": result.counts,
                     "resumed": result.resumed, "dedup": result.dedup})  # fmt: skip
        return 0
    counts = ", ".join(f"{result.counts[name]} {name}" for name in sorted(result.counts)) or "nothing"
    print(f"re-cleaned {result.documents} documents in run {result.run_id}{' (resumed)' if result.resumed else ''}: {counts}")
    if result.dedup:
        print(result.dedup)
    print(f"manifest: {result.manifest}")
    return 0


def _print_check(report: Any) -> None:
    holder = report.holder
    if holder is not None and holder.stale() is None and (holder.pid, holder.host) != (os.getpid(), socket.gethostname()):
        print(f"note: {report.uri} is being written by {report.holder.describe()}: what is in flight may show as a problem")
    for run in report.open_runs:
        print(f"note: run {run} is unfinished: re-run its crawl command to resume it")
    if report.set_aside:
        print(f"note: {report.set_aside} unreadable document records were set aside in damaged/; the next crawl fetches them again")
    for problem in report.problems.values():
        print(problem.line())
    if report.clean:
        print(f"{report.uri}: consistent ({report.documents} documents, {report.manifests} manifests)")
    else:
        kinds = len(report.problems)
        fixable = all(problem.repairable for problem in report.problems.values())
        print(
            f"{report.uri}: {kinds} kind{'s' if kinds > 1 else ''} of problem in {report.documents} documents, "
            f"{report.manifests} manifests" + ("" if fixable else "; some cannot be rebuilt (their data is gone)")
        )


COMMANDS = {
    "fetch": cmd_fetch,
    "crawl": cmd_crawl,
    "schedule": cmd_schedule,
    "ls": cmd_ls,
    "show": cmd_show,
    "runs": cmd_runs,
    "export": cmd_export,
    "demo": cmd_demo,
    "serve": cmd_serve,
    "check": cmd_check,
    "reclean": cmd_reclean,
}

if __name__ == "__main__":
    sys.exit(main())
