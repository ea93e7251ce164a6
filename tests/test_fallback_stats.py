"""A page whose family extractor fell back is stored, says so in its metadata, and is counted in the crawl's stats."""

from __future__ import annotations

import html
import json
from pathlib import Path

from support import FAST, SHARED, run_cli

from govcorpus.sitefixture import serve_site
from storage.backends import open_store
from storage.corpus import Corpus
from storage.manifest import manifest_keys, read_manifest

REPORT = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
TITLE = "新华路街道2023年工作总结"


def portal_article() -> str:
    """A Discuz! portal article (portal.php?mod=view): the forum's markers, no posts."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in REPORT)
    return f"""<html><head><meta charset="utf-8"><title>{TITLE} - 门户 - 城市论坛 - Powered by Discuz!</title>
    <script>var discuz_uid = '0';</script></head><body><div id="ct"><h1 class="ph">{TITLE}</h1>
    <table><tr><td id="article_content">{paragraphs}</td></tr></table></div></body></html>"""


def test_a_fallback_is_recorded_on_the_document_and_counted(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "article.html").write_text(portal_article(), encoding="utf-8")
    routes = [{"path": "/article.html", "file": "article.html", "headers": {"Content-Type": "text/html; charset=utf-8"}}]
    (site / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    store = str(tmp_path / "corpus")
    with serve_site(site, host="127.0.0.1") as server:
        config = tmp_path / "sources.toml"
        config.write_text(f'[[sources]]\nname = "portal"\nstart_urls = ["{server.url("/article.html")}"]\n', encoding="utf-8")
        result = run_cli("crawl", "--config", str(config), "--store", store, *FAST)
    assert result.returncode == 0, result.stderr
    stats = list(read_manifest(open_store(store), manifest_keys(open_store(store))[-1]))[-1]["stats"]
    assert stats["fallback/discuz"] == 1 and stats["counts"]["stored"] == 1
    # Per-outcome figures are the run's, from its lines: never this process's counters beside them.
    assert not {"stored", "skipped", "bytes", "fallback/discuz"} & {*stats["process"], *(k for k in stats if k.startswith("stored"))}
    (entry,) = Corpus.open(store).entries()
    document = Corpus.open(store).get(entry["id"])
    assert document is not None and document.metadata["extraction_fallback"] == "discuz:empty"
    assert document.text == "\n".join(REPORT)
