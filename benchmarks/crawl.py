"""Crawl throughput and memory: `govcorpus crawl` against the naive Scrapy + trafilatura baseline.

Run: .venv/bin/python benchmarks/crawl.py [--pages 2000] [--realworld-pages 740] [--repeat 3]
     [--site both|synthetic|realworld] [--keep]

Two loopback sites (benchmarks/crawl_site.py), each crawled by both crawlers as subprocesses:

- synthetic (`--pages` documents): lists of 50 links, report articles of our templates
  (~5 % GBK, ~3 % PDF);
- realworld (`--realworld-pages` articles): the same kind of list pages linking the real HTML pages
  of ../shared/realworld, bytes as they are, served as `text/html` without a charset (the saved
  pages have no HTTP headers), cycled over the 74 real pages (later copies are exact duplicates).

The crawlers:

- baseline: a bare Scrapy spider (`scrapy runspider`) following every link of the site, with
  `trafilatura.extract` in an item pipeline writing JSON lines — what a user would write first;
- govcorpus: `govcorpus crawl` into a local store: a gov_portal source on the synthetic site, a
  generic one (every page a candidate, no report filter) on the realworld site.

On the realworld site both crawlers follow only the site's list and article URLs
(`crawl_site.REALWORLD_FOLLOW`): the real pages' relative links land on loopback and would be
404s for both. `--site both` (the default) runs both sites and prints their tables and one
side-by-side summary.

Both get the same politeness-neutral settings for loopback (SETTINGS below). Pages are the URLs
each run recorded (manifest lines / JSON lines: lists, articles and PDFs alike); peak RSS is the
summed resident memory of each run's whole process tree (worker processes included), sampled. The
crawls alternate `--repeat` times (site by site, baseline then govcorpus) and the tables show each
one's median run (a shared 2-core VM makes single runs vary by ±20 %), with the spread. Target
(issue 16), on each site: govcorpus ≥ 1.0× the baseline's pages/s with peak RSS ≤ 300 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.crawl_site import REALWORLD_FOLLOW, generate, generate_realworld
from govcorpus.sitefixture import serve_site

BIN = Path(sys.executable).parent
SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "ROBOTSTXT_OBEY": "False",
    "LOG_LEVEL": "WARNING",
}
TARGET_RATIO = 1.0
TARGET_RSS_MB = 300

BASELINE_SPIDER = '''
"""The naive baseline: follow every link of the site, trafilatura.extract each page, write JSON lines."""
import json
import re

import scrapy
import trafilatura
from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor


class JsonLinesPipeline:
    def open_spider(self, spider):
        self.out = open(spider.settings.get("BASELINE_OUT"), "w", encoding="utf-8")

    def close_spider(self, spider):
        self.out.close()

    def process_item(self, item, spider):
        text = trafilatura.extract(item["html"]) if item["html"] else None
        self.out.write(json.dumps({"url": item["url"], "text": text}, ensure_ascii=False) + "\\n")
        return item


class BaselineSpider(scrapy.Spider):
    name = "baseline"
    custom_settings = {"ITEM_PIPELINES": {JsonLinesPipeline: 300}}

    def __init__(self, start, allow="", **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]
        base = re.match(r"https?://[^/]+", start).group(0)
        self.links = LinkExtractor(allow=[re.escape(base) + (allow or "/")], deny_extensions=[])

    def parse(self, response):
        if not isinstance(response, TextResponse):
            yield {"url": response.url, "html": None}
            return
        yield {"url": response.url, "html": response.text}
        for link in self.links.extract_links(response):
            yield response.follow(link.url, callback=self.parse)
'''


@dataclass(frozen=True)
class Site:
    """One benchmark site: how it is generated, where the crawl starts, what both crawlers follow."""

    name: str
    start_path: str
    generate: Callable[[Path, int], dict[str, int]]
    source_toml: str  # the govcorpus source's keys after name and start_urls
    follow: str = ""  # a regex for URL paths both crawlers follow; "" = every link of the site


SITES = {
    "synthetic": Site("synthetic", "/bg/index.html", generate, 'family = "gov_portal"\nmax_depth = 3\n'),
    "realworld": Site(
        "realworld",
        "/rw/index.html",
        generate_realworld,
        f'family = "generic"\nmax_depth = 1000\nfollow = [\'{REALWORLD_FOLLOW}\']\n',
        REALWORLD_FOLLOW,
    ),
}


@dataclass
class Run:
    name: str
    pages: int
    seconds: float
    peak_rss_mb: float
    steal: float = 0.0  # share of the machine's CPU time the hypervisor gave to other guests meanwhile

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def settings_args() -> list[str]:
    return [arg for name, value in SETTINGS.items() for arg in ("-s", f"{name}={value}")]


def measure(name: str, command: list[str], cwd: Path, log: Path) -> tuple[float, float, float]:
    """Run a command; return (wall seconds, peak RSS in MB of its whole process tree, CPU steal share).

    The tree counts: govcorpus builds documents in worker processes, and their memory is
    as real as the crawler's. Sampled every 50 ms from /proc.
    """
    steal_before = _steal_seconds()
    started = time.perf_counter()
    peak_kb = 0
    with log.open("w") as log_file:
        process = subprocess.Popen(command, cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT)
        while process.poll() is None:
            peak_kb = max(peak_kb, _tree_rss_kb(process.pid))
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    output = log.read_text(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{name} exited {process.returncode}; log {log}:\n{output[-3000:]}")
    steal = (_steal_seconds() - steal_before) / (seconds * (os.cpu_count() or 1))
    return seconds, peak_kb / 1024, steal


def _steal_seconds() -> float:
    """CPU time stolen from this VM by its hypervisor so far (all CPUs), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def _tree_rss_kb(root: int) -> int:
    """Resident memory of `root` and all its descendants, in kB."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for status_file in Path("/proc").glob("[0-9]*/status"):
        try:
            status = status_file.read_text()
        except OSError:
            continue
        pid = int(status_file.parent.name)
        parent = re.search(r"PPid:\s+(\d+)", status)
        resident = re.search(r"VmRSS:\s+(\d+) kB", status)
        parents[pid] = int(parent.group(1)) if parent else 0
        rss[pid] = int(resident.group(1)) if resident else 0
    tree = {root}
    grew = True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return sum(rss.get(pid, 0) for pid in tree)


def run_baseline(site: Site, start: str, work: Path) -> Run:
    spider = work / "baseline_spider.py"
    spider.write_text(BASELINE_SPIDER, encoding="utf-8")
    out = work / "baseline.jsonl"
    command = [str(BIN / "scrapy"), "runspider", str(spider), "-a", f"start={start}", "-a", f"allow={site.follow}"]
    command += [*settings_args(), "-s", f"BASELINE_OUT={out}"]
    # Outside the repository, so that Scrapy does not load govcorpus's project settings.
    seconds, rss, steal = measure("baseline", command, work, work / "baseline.log")
    pages = sum(1 for line in out.read_text(encoding="utf-8").splitlines() if line.strip())
    return Run("baseline (scrapy + trafilatura)", pages, seconds, rss, steal)


def run_govcorpus(site: Site, start: str, work: Path) -> Run:
    config = work / "sources.toml"
    config.write_text(f'[[sources]]\nname = "bench"\nstart_urls = ["{start}"]\n{site.source_toml}', encoding="utf-8")
    store = work / "corpus"
    command = [str(BIN / "govcorpus"), "crawl", "--config", str(config), "--store", str(store), *settings_args()]
    seconds, rss, steal = measure("govcorpus", command, work, work / "govcorpus.log")
    manifests = sorted((store / "manifests").glob("*.jsonl"))
    if not manifests:
        raise RuntimeError(f"govcorpus wrote no manifest; log {work / 'govcorpus.log'}")
    pages = sum(1 for line in manifests[-1].read_text(encoding="utf-8").splitlines() if "url" in json.loads(line))
    return Run("govcorpus crawl", pages, seconds, rss, steal)


def outcomes(store: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    manifest = sorted((store / "manifests").glob("*.jsonl"))[-1]
    for line in manifest.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if "outcome" in record:
            counts[record["outcome"]] = counts.get(record["outcome"], 0) + 1
    return counts


def median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def ratios(baselines: list[Run], govcorpora: list[Run]) -> tuple[float, float, bool]:
    """(pages/s ratio, peak RSS ratio, whether the targets are met) of the median runs."""
    baseline, govcorpus = median_run(baselines), median_run(govcorpora)
    ratio = govcorpus.pages_per_second / baseline.pages_per_second if baseline.pages_per_second else 0.0
    return ratio, govcorpus.peak_rss_mb / max(baseline.peak_rss_mb, 1), ratio >= TARGET_RATIO and govcorpus.peak_rss_mb <= TARGET_RSS_MB


def table(baselines: list[Run], govcorpora: list[Run]) -> str:
    rows = [f"{'':34} {'pages':>7} {'seconds':>9} {'pages/s':>9} {'peak RSS MB':>12}  {'runs (s)':>8}"]
    for runs in (baselines, govcorpora):
        run = median_run(runs)
        spread = " ".join(f"{r.seconds:.1f}" for r in runs)
        rows.append(
            f"{run.name:34} {run.pages:7d} {run.seconds:9.1f} {run.pages_per_second:9.1f} {run.peak_rss_mb:12.0f}  {spread}"
        )
    ratio, rss_ratio, passed = ratios(baselines, govcorpora)
    rows.append(f"{'ratio govcorpus / baseline':34} {'':7} {'':9} {ratio:9.2f}x {rss_ratio:11.2f}x")
    rows.append(f"target: ≥ {TARGET_RATIO}x pages/s and ≤ {TARGET_RSS_MB} MB peak RSS → {'PASS' if passed else 'FAIL'}")
    return "\n".join(rows)


def summary(results: dict[str, dict[str, list[Run]]]) -> str:
    """The sites side by side: medians of both crawlers, the ratio and the verdict per site."""
    rows = [
        f"{'site':10} {'baseline p/s':>13} {'govcorpus p/s':>14} {'ratio':>7} {'baseline MB':>12} {'govcorpus MB':>13}  verdict"
    ]
    for name, runs in results.items():
        baseline, govcorpus = median_run(runs["baseline"]), median_run(runs["govcorpus"])
        ratio, _, passed = ratios(runs["baseline"], runs["govcorpus"])
        rows.append(
            f"{name:10} {baseline.pages_per_second:13.1f} {govcorpus.pages_per_second:14.1f} {ratio:6.2f}x "
            f"{baseline.peak_rss_mb:12.0f} {govcorpus.peak_rss_mb:13.0f}  {'PASS' if passed else 'FAIL'}"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="report documents in the synthetic site")
    parser.add_argument("--realworld-pages", type=int, default=740, help="articles in the realworld site (74 real pages, cycled)")
    parser.add_argument("--site", choices=("both", *SITES), default="both", help="which site(s) to crawl")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each crawl, alternating; the median is compared")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (site, logs, store)")
    args = parser.parse_args(argv)

    sites = list(SITES.values()) if args.site == "both" else [SITES[args.site]]
    sizes = {"synthetic": args.pages, "realworld": args.realworld_pages}
    work = Path(tempfile.mkdtemp(prefix="govcorpus-crawl-bench-"))
    try:
        print("settings: " + " ".join(f"{k}={v}" for k, v in SETTINGS.items()), flush=True)
        for site in sites:
            started = time.perf_counter()
            counts = site.generate(work / site.name / "site", sizes[site.name])
            print(f"{site.name} site: {counts} generated in {time.perf_counter() - started:.1f}s", flush=True)
        results: dict[str, dict[str, list[Run]]] = {site.name: {"baseline": [], "govcorpus": []} for site in sites}
        runners: tuple[tuple[str, Callable[[Site, str, Path], Run]], ...] = (("baseline", run_baseline), ("govcorpus", run_govcorpus))
        for attempt in range(1, args.repeat + 1):
            for site in sites:
                for name, runner in runners:
                    run_dir = work / site.name / name
                    shutil.rmtree(run_dir, ignore_errors=True)  # each govcorpus run starts from an empty store
                    run_dir.mkdir()
                    with serve_site(work / site.name / "site", host="127.0.0.1") as server:
                        run = runner(site, server.url(site.start_path), run_dir)
                        requests = len(server.requests)
                    results[site.name][name].append(run)
                    print(f"run {attempt} {site.name} {name}: {run.pages} pages recorded, {requests} requests served, "
                          f"{run.seconds:.1f}s, CPU stolen by the hypervisor {run.steal:.0%}", flush=True)
        for site in sites:
            print(f"\n== {site.name} site ==")
            print(f"govcorpus outcomes: {outcomes(work / site.name / 'govcorpus' / 'corpus')}")
            print(table(results[site.name]["baseline"], results[site.name]["govcorpus"]))
        print(f"\n== side by side (medians; target ≥ {TARGET_RATIO}x pages/s, ≤ {TARGET_RSS_MB} MB) ==")
        print(summary(results))
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
