"""Crawl throughput and memory: `govcorpus crawl` against the naive Scrapy + trafilatura baseline.

Run: .venv/bin/python benchmarks/crawl.py [--pages 2000] [--repeat 3] [--keep]

Generates a loopback site of report pages (benchmarks/crawl_site.py: lists of 50 links, HTML
articles, ~5 % GBK, ~3 % PDF), serves it on 127.0.0.1, then crawls it twice as subprocesses:

- baseline: a bare Scrapy spider (`scrapy runspider`) following every link of the site, with
  `trafilatura.extract` in an item pipeline writing JSON lines — what a user would write first;
- govcorpus: `govcorpus crawl` of a gov_portal source into a local store.

Both get the same politeness-neutral settings for loopback (SETTINGS below). Pages are the URLs
each run recorded (manifest lines / JSON lines: lists, articles and PDFs alike); peak RSS is the
summed resident memory of each run's whole process tree (worker processes included), sampled. The two
crawls alternate `--repeat` times and the table shows each one's median run (a shared 2-core VM makes
single runs vary by ±20 %), with the spread. Target: govcorpus ≥ 0.8× the baseline's pages/s with peak
RSS ≤ 500 MB.
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.crawl_site import generate
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
TARGET_RATIO = 0.8
TARGET_RSS_MB = 500

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

    def __init__(self, start, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]
        base = re.match(r"https?://[^/]+", start).group(0)
        self.links = LinkExtractor(allow=[re.escape(base) + "/"], deny_extensions=[])

    def parse(self, response):
        if not isinstance(response, TextResponse):
            yield {"url": response.url, "html": None}
            return
        yield {"url": response.url, "html": response.text}
        for link in self.links.extract_links(response):
            yield response.follow(link.url, callback=self.parse)
'''


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


def run_baseline(start: str, work: Path) -> Run:
    spider = work / "baseline_spider.py"
    spider.write_text(BASELINE_SPIDER, encoding="utf-8")
    out = work / "baseline.jsonl"
    command = [str(BIN / "scrapy"), "runspider", str(spider), "-a", f"start={start}", *settings_args(), "-s", f"BASELINE_OUT={out}"]
    # Outside the repository, so that Scrapy does not load govcorpus's project settings.
    seconds, rss, steal = measure("baseline", command, work, work / "baseline.log")
    pages = sum(1 for line in out.read_text(encoding="utf-8").splitlines() if line.strip())
    return Run("baseline (scrapy + trafilatura)", pages, seconds, rss, steal)


def run_govcorpus(start: str, work: Path) -> Run:
    config = work / "sources.toml"
    config.write_text(f'[[sources]]\nname = "bench"\nfamily = "gov_portal"\nstart_urls = ["{start}"]\nmax_depth = 3\n', encoding="utf-8")
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


def table(baselines: list[Run], govcorpora: list[Run]) -> str:
    baseline, govcorpus = median_run(baselines), median_run(govcorpora)
    rows = [f"{'':34} {'pages':>7} {'seconds':>9} {'pages/s':>9} {'peak RSS MB':>12}  {'runs (s)':>8}"]
    for run, runs in ((baseline, baselines), (govcorpus, govcorpora)):
        spread = " ".join(f"{r.seconds:.1f}" for r in runs)
        rows.append(
            f"{run.name:34} {run.pages:7d} {run.seconds:9.1f} {run.pages_per_second:9.1f} {run.peak_rss_mb:12.0f}  {spread}"
        )
    ratio = govcorpus.pages_per_second / baseline.pages_per_second if baseline.pages_per_second else 0.0
    verdict = "PASS" if ratio >= TARGET_RATIO and govcorpus.peak_rss_mb <= TARGET_RSS_MB else "FAIL"
    rows.append(
        f"{'ratio govcorpus / baseline':34} {'':7} {'':9} {ratio:9.2f}x {govcorpus.peak_rss_mb / max(baseline.peak_rss_mb, 1):11.2f}x"
    )
    rows.append(f"target: ≥ {TARGET_RATIO}x pages/s and ≤ {TARGET_RSS_MB} MB peak RSS → {verdict}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="report documents in the generated site")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each crawl, alternating; the median is compared")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (site, logs, store)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="govcorpus-crawl-bench-"))
    try:
        started = time.perf_counter()
        counts = generate(work / "site", args.pages)
        print(f"site: {counts} generated in {time.perf_counter() - started:.1f}s; settings: "
              + " ".join(f"{k}={v}" for k, v in SETTINGS.items()), flush=True)
        results: dict[str, list[Run]] = {"baseline": [], "govcorpus": []}
        for attempt in range(1, args.repeat + 1):
            for name, runner in (("baseline", run_baseline), ("govcorpus", run_govcorpus)):
                run_dir = work / name
                shutil.rmtree(run_dir, ignore_errors=True)  # each govcorpus run starts from an empty store
                run_dir.mkdir()
                with serve_site(work / "site", host="127.0.0.1") as server:
                    run = runner(server.url("/bg/index.html"), run_dir)
                    requests = len(server.requests)
                results[name].append(run)
                print(f"run {attempt} {name}: {run.pages} pages recorded, {requests} requests served, "
                      f"{run.seconds:.1f}s, CPU stolen by the hypervisor {run.steal:.0%}", flush=True)
        print(f"govcorpus outcomes: {outcomes(work / 'govcorpus' / 'corpus')}")
        print(table(results["baseline"], results["govcorpus"]))
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
