"""The crawl's Scrapy components by Scrapy's conventions: built once from settings, class paths, add-ons, NotConfigured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.components import Components
from crawler.decoding import DecodeMiddleware
from crawler.pipelines import CorpusPipeline
from storage.corpus import Corpus
from storage.dedup import StoreDedupIndex


class RecordingDedupIndex(StoreDedupIndex):
    """A dedup index chosen by class path; remembers that Scrapy built it with the crawler."""

    built_with: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any) -> RecordingDedupIndex:
        index = cls(*args)
        index.built_with = crawler
        return index


def crawler_for(tmp_path: Path, **settings: Any) -> Crawler:
    """A crawler as Scrapy's own tests make one (`get_crawler`), with the project's settings and `settings`."""
    # No reactor: these tests build components, they crawl nothing.
    no_reactor = {"TWISTED_REACTOR_ENABLED": False}
    return get_crawler(Spider, {**project_defaults(), "GOVCORPUS_STORE": str(tmp_path / "corpus"), **no_reactor, **settings})


def project_defaults() -> dict[str, Any]:
    defaults = Settings()
    defaults.setmodule(project_settings, priority="project")
    return defaults.copy_to_dict()


def crawler_with_user_settings(tmp_path: Path, **settings: Any) -> Crawler:
    """A crawler whose `settings` come from the user (-s: cmdline priority), above what add-ons set."""
    merged = Settings()
    merged.setmodule(project_settings, priority="project")
    merged.setdict({"GOVCORPUS_STORE": str(tmp_path / "corpus"), "TWISTED_REACTOR_ENABLED": False, **settings}, priority="cmdline")
    crawler = Crawler(Spider, merged)
    crawler._apply_settings()  # what crawl() does first: add-ons, then the frozen settings
    return crawler


def test_components_are_built_once_per_crawler_and_shared(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    pipeline = CorpusPipeline.from_crawler(crawler)
    assert Components.of(crawler) is pipeline.components
    assert isinstance(pipeline.components.corpus, Corpus)
    assert type(pipeline.components.journey.dedup) is StoreDedupIndex
    assert pipeline.components.lease is not None  # the store's one writer
    pipeline.components.close("finished")
    pipeline.components.lease.release()


def test_a_class_path_setting_chooses_the_component(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path, GOVCORPUS_DEDUP_INDEX_CLASS=f"{__name__}.RecordingDedupIndex")
    components = Components.of(crawler)
    try:
        assert isinstance(components.journey.dedup, RecordingDedupIndex)
        assert components.journey.dedup.built_with is crawler
    finally:
        assert components.lease is not None
        components.lease.release()


def test_the_service_addon_sets_its_mode_and_a_user_setting_still_wins(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path, ADDONS={"crawler.addons.ServiceAddon": 0})
    assert crawler.settings.getbool("GOVCORPUS_SHARED_STORE") is True
    assert crawler.settings.getint("GOVCORPUS_PROCESS_WORKERS") == 0
    assert crawler.settings.getint("GOVCORPUS_OCR_MAX_PAGES") == 10
    overridden = crawler_with_user_settings(tmp_path, ADDONS={"crawler.addons.ServiceAddon": 0}, GOVCORPUS_OCR_MAX_PAGES=3)
    assert overridden.settings.getint("GOVCORPUS_OCR_MAX_PAGES") == 3
    plain = crawler_for(tmp_path)
    assert plain.settings.getbool("GOVCORPUS_SHARED_STORE") is False


@pytest.mark.parametrize(
    ("component", "setting"),
    [(CorpusPipeline, "GOVCORPUS_PIPELINE_ENABLED"), (DecodeMiddleware, "GOVCORPUS_DECODE_AT_DOWNLOAD")],
)
def test_a_component_switched_off_is_not_configured(tmp_path: Path, component: Any, setting: str) -> None:
    with pytest.raises(NotConfigured, match=setting):
        component.from_crawler(crawler_for(tmp_path, **{setting: False}))
