"""govcorpus beside trafilatura, readability-lxml, GNE, resiliparse and jusText on real Chinese pages.

Run: .venv/bin/python benchmarks/realworld.py [--subset S,...] [--systems X,...] [--json OUT]
                                             [--per-page SYSTEM] [--repeat N] [--no-filter] [--forum-replies]
The peers are the `bench` extra: `.venv/bin/pip install -e '.[bench]'`.

One run over the HTML pages of ../shared/realworld (issue #12), every system on the same pages:
- character precision / recall / F1 over letters and digits (NFKC, then str.isalnum; exact LCS),
  the better of text alone and title + text, against the hand-made gold of magic/ (the score
  target), and the same F1 against the other tools' outputs of gbk-originals/, readability/ and
  newspaper4k/, labelled "agreement": those references carry their tools' mistakes, so they
  are for "no worse than" diffs, never a target;
- title accuracy against each page's reference title (realworld_pages.reference_title): exact
  (the same text, or the reference up to a separator before the site's name) and contained;
  the subset tables show it as exact/contained/pages with a reference title ("title =/~");
- the snippet checks of the *.expect.json pages (must_contain, must_not_contain,
  must_not_contain_added), matched with all whitespace deleted from both sides;
- per subset and system: mean and median F1, pages below 0.8, zeros, crashes, refusals (a crash
  or a refusal scores 0 and fails every snippet check), and pages/s = pages / CPU seconds of
  the extraction and cleaning calls alone (process time, so the other jobs on a shared machine
  do not count; `--repeat N` keeps each page's fastest of N runs);
- govcorpus's refusal reasons (not_report, list_page, …) and crashes.

How each system is called, and why the peers get govcorpus's decoded text, is in
benchmarks/realworld_systems.py. `--no-filter` measures govcorpus with its report filters
off (`fetch --no-filter`; NO_FILTER_KWARGS there). `--forum-replies` keeps other users' forum
posts, which TEXT_SPEC rule 1 leaves out and the magic/ forum gold keeps: run both to see what
the rule costs against that gold. `--json OUT` writes every number and every page's result, so runs can
be compared; `--per-page SYSTEM` lists that system's pages, worst first, beside the best peer;
`--diffs SYSTEM` prints its line diffs against the tool-output references (benchmarks/realworld_diffs.py).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.realworld_diffs import diff_report
from benchmarks.realworld_pages import (
    LOW_F1,
    REALWORLD_DIR,
    SUBSETS,
    CharScore,
    F1Summary,
    RealPage,
    best_score,
    failed_checks,
    load_pages,
    snippet_checks,
    title_match,
)
from benchmarks.realworld_systems import (
    SYSTEM_NAMES,
    Output,
    PeerMissing,
    System,
    make_system,
    run_system,
    version_of,
)

REFERENCE_LABEL = {
    "gold": "hand-made gold",
    "tool": "agreement with another tool's output (not gold)",
}
TOOL_OF_SUBSET = {"gbk-originals": "cx-extractor", "readability": "Readability", "newspaper4k": "newspaper"}


@dataclass(frozen=True)
class PageResult:
    """One system's scored result on one page; `score` is None where the page has no reference text."""

    output: Output
    subset: str
    reference_kind: str | None
    score: CharScore | None
    checks: int
    failed: tuple[str, ...]  # names of the snippet checks it fails
    title: str | None = None  # title_match against the page's reference title: exact | contained | wrong | none


@dataclass(frozen=True)
class Summary:
    """One system on one subset."""

    subset: str
    system: str
    pages: int
    f1: F1Summary | None
    reference_kind: str | None
    crashes: int
    refusals: int
    reasons: dict[str, int]  # refusal reasons and crash types, "crash:ValueError"
    checks: int
    checks_passed: int
    snippet_pages: int
    snippet_pages_passed: int
    seconds: float
    titles: int = 0  # pages with a reference title
    titles_exact: int = 0
    titles_contained: int = 0  # exact or contained (title_match)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else float("inf")


# ---------------------------------------------------------------- running


def run(pages: Sequence[RealPage], systems: Sequence[System], repeat: int = 1) -> list[PageResult]:
    """Every system on every page, interleaved page by page so load changes hit all alike.

    Each system first runs once on the first page, untimed (imports, caches, compiled rules).
    With `repeat` > 1 a page's time is the fastest of its runs.
    """
    for system in systems:
        run_system(system, pages[0])
    results = []
    for page in pages:
        for system in systems:
            output = run_system(system, page)
            for _ in range(repeat - 1):
                output = replace(output, seconds=min(output.seconds, run_system(system, page).seconds))
            results.append(score(page, output))
    return results


def score(page: RealPage, output: Output) -> PageResult:
    reference = best_score(output.title, output.text, page.reference) if page.reference is not None else None
    checks = snippet_checks(page.expect) if page.expect else []
    failed = tuple(c.name for c in failed_checks(page.expect, output.text)) if page.expect else ()
    title = title_match(output.title, page.title, page.title_is_tag)
    return PageResult(output, page.subset, page.reference_kind, reference, len(checks), failed, title)


def summarise(results: Sequence[PageResult]) -> list[Summary]:
    """One Summary per (subset, system), in subset then system order of the results."""
    groups: dict[tuple[str, str], list[PageResult]] = {}
    for r in results:
        groups.setdefault((r.subset, r.output.system), []).append(r)
    summaries = []
    for (subset, system), rows in groups.items():
        scored = [r for r in rows if r.score is not None]
        with_checks = [r for r in rows if r.checks]
        reasons = Counter(
            str(r.output.reason) if r.output.outcome == "refused" else f"crash:{r.output.reason}"
            for r in rows
            if r.output.outcome != "ok"
        )
        summaries.append(
            Summary(
                subset=subset,
                system=system,
                pages=len(rows),
                f1=F1Summary.of([r.score.f1 for r in scored if r.score is not None]),
                reference_kind=scored[0].reference_kind if scored else None,
                crashes=sum(r.output.outcome == "crash" for r in rows),
                refusals=sum(r.output.outcome == "refused" for r in rows),
                reasons=dict(reasons.most_common()),
                checks=sum(r.checks for r in rows),
                checks_passed=sum(r.checks - len(r.failed) for r in rows),
                snippet_pages=len(with_checks),
                snippet_pages_passed=sum(not r.failed for r in with_checks),
                seconds=sum(r.output.seconds for r in rows),
                titles=sum(r.title is not None for r in rows),
                titles_exact=sum(r.title == "exact" for r in rows),
                titles_contained=sum(r.title in ("exact", "contained") for r in rows),
            )
        )
    return summaries


# ---------------------------------------------------------------- report


def fmt(value: float | None, width: int = 6) -> str:
    return f"{value:{width}.3f}" if value is not None else f"{'-':>{width}}"


def primary(s: Summary) -> float:
    """What ranks systems on a subset: mean F1 where there is a reference text, else checks passed."""
    if s.f1 is not None:
        return s.f1.mean
    return s.checks_passed / s.checks if s.checks else 0.0


def subset_table(subset: str, rows: Sequence[Summary]) -> str:
    first = rows[0]
    if first.reference_kind == "gold":
        what = "F1 against hand-made gold"
    elif first.reference_kind == "tool":
        what = f"F1 = agreement with {TOOL_OF_SUBSET.get(subset, 'another tool')}'s output, not gold"
    else:
        what = "snippet checks only"
    snippets = f", {first.snippet_pages} page(s) with {first.checks} snippet checks" if first.checks else ""
    head = (
        f"{'system':<19} {'mean':>6} {'median':>6} {'<' + str(LOW_F1):>5} {'zeros':>5} {'crash':>5} "
        f"{'refused':>7} {'snippets':>9} {'title =/~':>10} {'pages/s':>8}"
    )
    lines = [f"== {subset}: {first.pages} pages; {what}{snippets}", head, "-" * len(head)]
    for s in rows:
        f = s.f1
        snip = f"{s.checks_passed}/{s.checks}" if s.checks else "-"
        titles = f"{s.titles_exact}/{s.titles_contained}/{s.titles}" if s.titles else "-"
        lines.append(
            f"{s.system:<19} {fmt(f.mean if f else None)} {fmt(f.median if f else None)} "
            f"{f.below if f else '-':>5} {f.zeros if f else '-':>5} {s.crashes:>5} {s.refusals:>7} "
            f"{snip:>9} {titles:>10} {s.pages_per_second:8.1f}"
        )
    for s in rows:
        if s.reasons and s.system.startswith("govcorpus"):
            said = ", ".join(f"{reason} ×{n}" for reason, n in s.reasons.items())
            lines.append(f"{s.system} refused/crashed: {said}")
    return "\n".join(lines)


def final_table(summaries: Sequence[Summary], systems: Sequence[str], results: Sequence[PageResult]) -> str:
    by = {(s.subset, s.system): s for s in summaries}
    subsets = [subset for subset in SUBSETS if any(s.subset == subset for s in summaries)]
    width = max(11, *(len(name) for name in systems))
    head = f"{'subset':<14} {'measure':<15} " + " ".join(f"{name:>{width}}" for name in systems) + "  best"
    lines = [head, "-" * len(head)]
    best_lines = []
    for subset in subsets:
        rows = [by[subset, name] for name in systems if (subset, name) in by]
        first = rows[0]
        measures: list[tuple[str, Any]] = []
        if first.f1 is not None:
            label = "gold F1" if first.reference_kind == "gold" else "agreement F1"
            measures.append((label, lambda s: s.f1.mean if s.f1 else None))
        if first.checks:
            measures.append(("snippets", lambda s: s.checks_passed / s.checks))
        if first.titles:
            measures.append(("title exact", lambda s: s.titles_exact / s.titles))
            measures.append(("title contained", lambda s: s.titles_contained / s.titles))
        for label, get in measures:
            values = {s.system: get(s) for s in rows}
            top = max(values, key=lambda name: values[name] or 0.0)
            cells = " ".join(
                f"{(f'{values[name]:.3f}' if values.get(name) is not None else '-'):>{width}}" for name in systems
            )
            lines.append(f"{subset:<14} {label:<15} {cells}  {top}")
        ranked = sorted(rows, key=primary, reverse=True)
        ours = by.get((subset, systems[0]))
        if ours is not None and ranked:
            leader = ranked[0]
            peers = [s for s in ranked if s.system != ours.system]
            if leader.system == ours.system:
                gap = f"ahead of {peers[0].system} by {primary(ours) - primary(peers[0]):+.3f}" if peers else ""
                best_lines.append(f"{subset}: best {ours.system} {primary(ours):.3f} {gap}")
            else:
                best_lines.append(
                    f"{subset}: best {leader.system} {primary(leader):.3f}; "
                    f"{ours.system} {primary(ours):.3f} ({primary(ours) - primary(leader):+.3f})"
                )
    all_paths = {r.output.path for r in results}
    every_ok = extracted_by_all(results)
    rows_of_rates = [("all pages", all_paths)]
    if every_ok and every_ok != all_paths:
        # A crash or an early refusal ends a page early: on the pages all systems extracted, none is flattered.
        rows_of_rates.append((f"{len(every_ok)} all ok", every_ok))
    rates: dict[str, float] = {}
    for label, paths in rows_of_rates:
        rates = pages_per_second(results, systems, paths)
        cells = " ".join(f"{rates[name]:>{width}.1f}" for name in systems)
        lines.append(f"{label:<14} {'pages/s':<15} {cells}  {max(rates, key=lambda name: rates[name])}")
    lines.append("")
    lines.extend(best_lines)
    measured = systems[0]
    if rates.get("trafilatura") and measured != "trafilatura":
        lines.append(
            f"throughput ({rows_of_rates[-1][0]}): {measured} {rates[measured]:.1f} pages/s = "
            f"{rates[measured] / rates['trafilatura']:.2f}× trafilatura.extract ({rates['trafilatura']:.1f})"
        )
    return "\n".join(lines)


def extracted_by_all(results: Sequence[PageResult]) -> set[str]:
    """The pages every system returned text for."""
    outcomes: dict[str, set[str]] = {}
    for r in results:
        outcomes.setdefault(r.output.path, set()).add(r.output.outcome)
    return {path for path, seen in outcomes.items() if seen == {"ok"}}


def pages_per_second(results: Sequence[PageResult], systems: Sequence[str], paths: set[str]) -> dict[str, float]:
    """Pages per CPU second of each system over the given pages."""
    rates = {}
    for name in systems:
        mine = [r.output.seconds for r in results if r.output.system == name and r.output.path in paths]
        rates[name] = len(mine) / sum(mine) if sum(mine) else 0.0
    return rates


def per_page_table(system: str, results: Sequence[PageResult]) -> str:
    """One system's pages, worst first, with the best other system's result on each."""
    mine = [r for r in results if r.output.system == system]
    best_other: dict[str, tuple[str, float, str]] = {}  # path -> (system, rank value, cell)
    for r in results:
        if r.output.system == system:
            continue
        if r.score is not None:
            value, cell = r.score.f1, f"{r.score.f1:.3f}"
        elif r.checks:
            value, cell = (r.checks - len(r.failed)) / r.checks, f"{r.checks - len(r.failed)}/{r.checks}"
        else:
            continue
        path = r.output.path
        if path not in best_other or value > best_other[path][1]:
            best_other[path] = (r.output.system, value, cell)
    # Worst first: lowest F1, and among equal F1 the page the best other system does best on (the
    # largest loss); snippet-only pages after, most failed checks first.
    mine.sort(
        key=lambda r: (
            r.score is None,
            r.score.f1 if r.score else -len(r.failed),
            -best_other[r.output.path][1] if r.output.path in best_other else 0.0,
        )
    )
    head = f"{'page':<52} {'F1':>6} {'P':>6} {'R':>6} {'best other':>20} {'snip':>5}  outcome"
    lines = [f"== per page: {system}, worst first", head, "-" * len(head)]
    for r in mine:
        s = r.score
        other = best_other.get(r.output.path)
        other_cell = f"{other[0]} {other[2]}" if other else "-"
        snip = f"{r.checks - len(r.failed)}/{r.checks}" if r.checks else "-"
        outcome = r.output.outcome if r.output.outcome == "ok" else f"{r.output.outcome} {r.output.reason}: {r.output.detail}"
        if verdict := r.output.filter_verdict:
            outcome += f" (a filter would say {verdict.get('reason')}: {verdict.get('detail', '')})"
        if r.failed:
            outcome += "; fails " + ", ".join(r.failed)
        lines.append(
            f"{r.output.path[:52]:<52} {fmt(s.f1 if s else None)} {fmt(s.precision if s else None)} "
            f"{fmt(s.recall if s else None)} {other_cell:>20} {snip:>5}  {outcome[:160]}"
        )
    return "\n".join(lines)


def to_json(
    args: argparse.Namespace, systems: Sequence[System], summaries: Sequence[Summary], results: Sequence[PageResult]
) -> dict[str, Any]:
    """Every number of the run, and each page's result without its text."""
    return {
        "benchmark": "realworld",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "data": str(args.data),
        "repeat": args.repeat,
        "systems": [
            {"name": s.name, "distribution": s.distribution, "version": version_of(s.distribution), "call": s.notes}
            for s in systems
        ],
        "summaries": [
            {**asdict(s), "f1": asdict(s.f1) if s.f1 else None, "pages_per_second": s.pages_per_second}
            for s in summaries
        ],
        "pages": [
            {
                "system": r.output.system,
                "path": r.output.path,
                "subset": r.subset,
                "outcome": r.output.outcome,
                "reason": r.output.reason,
                "detail": r.output.detail,
                "filter_verdict": r.output.filter_verdict,
                "reference_kind": r.reference_kind,
                **(asdict(r.score) if r.score else {"precision": None, "recall": None, "f1": None}),
                "checks": r.checks,
                "failed_checks": list(r.failed),
                "title": r.output.title,
                "title_match": r.title,
                "chars": len(r.output.text or ""),
                "seconds": r.output.seconds,
            }
            for r in results
        ],
    }


# ---------------------------------------------------------------- command line


def names(value: str, allowed: Sequence[str], what: str) -> list[str]:
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    if unknown := [v for v in chosen if v not in allowed]:
        raise argparse.ArgumentTypeError(f"unknown {what} {', '.join(unknown)}: choose from {', '.join(allowed)}")
    return chosen


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--subset", type=lambda v: names(v, SUBSETS, "subset"), default=list(SUBSETS),
                        help=f"comma-separated subsets (default all: {', '.join(SUBSETS)})")
    parser.add_argument("--systems", type=lambda v: names(v, SYSTEM_NAMES, "system"), default=list(SYSTEM_NAMES),
                        help=f"comma-separated systems (default all: {', '.join(SYSTEM_NAMES)})")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every number and page result to OUT")
    parser.add_argument("--per-page", metavar="SYSTEM", help="also list SYSTEM's pages, worst first")
    parser.add_argument("--diffs", metavar="SYSTEM",
                        help="also print SYSTEM's line diffs against the tool-output references (the 'no worse than' check)")
    parser.add_argument("--repeat", type=int, default=1, help="time each page N times and keep the fastest")
    parser.add_argument("--no-filter", action="store_true",
                        help="govcorpus with its report filters off (build_document's apply_filters=False)")
    parser.add_argument("--forum-replies", action="store_true",
                        help="govcorpus keeps other users' forum replies too (the magic/ forum gold keeps whole threads)")
    parser.add_argument("--data", type=Path, default=REALWORLD_DIR, help="the realworld folder (default ../shared/realworld)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        systems = [make_system(name, no_filter=args.no_filter, forum_replies=args.forum_replies) for name in args.systems]
        pages = load_pages(args.data, args.subset)
    except (PeerMissing, ValueError) as error:
        print(f"realworld: {error}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print(f"realworld: {error.filename} is missing: pass the realworld folder with --data", file=sys.stderr)
        return 2
    if not pages:
        print("realworld: no pages in the chosen subsets", file=sys.stderr)
        return 2
    names_run = [s.name for s in systems]
    for option, wanted in (("--per-page", args.per_page), ("--diffs", args.diffs)):
        if wanted and wanted not in names_run:
            print(f"realworld: {option} {wanted} is not among the systems run ({', '.join(names_run)})", file=sys.stderr)
            return 2
    print(f"{len(pages)} pages of {args.data}; systems: " + ", ".join(
        f"{s.name} {version_of(s.distribution)} ({s.notes})" for s in systems))
    results = run(pages, systems, args.repeat)
    summaries = summarise(results)
    for subset in SUBSETS:
        rows = [s for s in summaries if s.subset == subset]
        if rows:
            print()
            print(subset_table(subset, rows))
    print()
    print(final_table(summaries, names_run, results))
    if args.per_page:
        print()
        print(per_page_table(args.per_page, results))
    if args.diffs:
        print()
        print(diff_report(args.diffs, results, {page.path: page.reference for page in pages if page.reference is not None}))
    if args.json:
        args.json.write_text(json.dumps(to_json(args, systems, summaries, results), ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
