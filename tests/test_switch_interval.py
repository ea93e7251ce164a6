"""The crawl process's GIL switch interval (crawler/gil.py): set while a spider runs, restored after."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from crawler.gil import SwitchInterval
from govcorpus.sitefixture import serve_site

# A spider that notes the interval in force while it parses, run in a process of its own (a
# reactor runs once per process); it prints what it saw during the crawl and after.
CRAWL = """
import json, sys
from scrapy import Spider
from scrapy.crawler import CrawlerProcess

seen = []

class SeesInterval(Spider):
    name = "sees_interval"

    def parse(self, response):
        seen.append(sys.getswitchinterval())
        return []

process = CrawlerProcess({"EXTENSIONS": {"crawler.gil.SwitchInterval": 0}, "GOVCORPUS_SWITCH_INTERVAL": 0.0007,
                          "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": False}, install_root_handler=False)
process.crawl(SeesInterval, start_urls=[sys.argv[1]])
process.start()
print(json.dumps({"during": seen, "after": sys.getswitchinterval()}))
"""


def test_a_crawl_runs_with_the_configured_interval_and_restores_the_old_one(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<html><body><p>新华路街道</p></body></html>", encoding="utf-8")
    routes = [{"path": "/page.html", "file": "page.html", "headers": {"Content-Type": "text/html; charset=utf-8"}}]
    (tmp_path / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with serve_site(tmp_path, host="127.0.0.2") as server:
        result = subprocess.run([sys.executable, "-c", CRAWL, server.url("/page.html")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {"during": [pytest.approx(0.0007)], "after": pytest.approx(0.005)}


def test_zero_leaves_the_interpreter_alone_and_a_negative_interval_is_refused() -> None:
    with pytest.raises(NotConfigured):
        SwitchInterval.from_crawler(get_crawler(Spider, {"GOVCORPUS_SWITCH_INTERVAL": 0}))
    with pytest.raises(ValueError, match="GOVCORPUS_SWITCH_INTERVAL"):
        SwitchInterval.from_crawler(get_crawler(Spider, {"GOVCORPUS_SWITCH_INTERVAL": -1}))


def test_overlapping_crawls_restore_the_interpreters_interval_when_the_last_one_closes() -> None:
    before = sys.getswitchinterval()
    first, second = (SwitchInterval.from_crawler(get_crawler(Spider, {"GOVCORPUS_SWITCH_INTERVAL": 0.0007})) for _ in range(2))
    first.spider_opened()
    second.spider_opened()
    first.spider_closed()
    assert sys.getswitchinterval() == pytest.approx(0.0007)  # the second crawl still runs
    second.spider_closed()
    assert sys.getswitchinterval() == before

