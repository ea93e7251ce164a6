"""Pages whose text a script renders: the JSON-LD article body when the page has one, else a clear refusal."""

from __future__ import annotations

import json

import pytest
from support import SHARED

from cleaners.document import Fetched, Rejected
from cleaners.pipeline import build_document

REPORT = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
BUNDLE = "<script>" + "window.__APP__={};" * 200 + "</script>"


def fetched(html: str) -> Fetched:
    url = "https://news.example.cn/a/1.html"
    return Fetched(url, url, 200, {"content-type": "text/html; charset=utf-8"}, html.encode("utf-8"), "2024-01-01T00:00:00Z")


def shell(head: str = "", body: str = '<div id="app"></div>') -> str:
    title = "<title>新华路街道2023年工作总结</title>"
    return f"<!doctype html><html><head><meta charset='utf-8'>{title}{head}</head><body>{body}{BUNDLE}</body></html>"


def test_an_app_shell_with_json_ld_gives_the_article_body() -> None:
    data = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "某区政府网"},
            {"@type": "NewsArticle", "headline": "新华路街道2023年工作总结", "articleBody": "<p>" + "</p><p>".join(REPORT[:6]) + "</p>"},
        ],
    }
    page = shell(f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>')
    document = build_document(fetched(page))
    assert document.text == "\n".join(REPORT[:6])
    assert document.metadata["text_from"] == "json_ld"


@pytest.mark.parametrize(
    "body", ['<div id="app"></div>', '<div id="root"><noscript>请开启 JavaScript 后访问</noscript></div>', "<div></div>"]
)
def test_an_app_shell_without_data_is_refused_with_the_reason(body: str) -> None:
    for apply_filters in (True, False):  # --no-filter too: there is no text to give
        with pytest.raises(Rejected) as caught:
            build_document(fetched(shell(body=body)), apply_filters=apply_filters)
        assert caught.value.reason == "script_rendered"
        assert "JavaScript" in caught.value.detail


def test_a_page_with_text_and_a_big_bundle_is_a_page() -> None:
    paragraphs = "".join(f"<p>{line}</p>" for line in REPORT[:8])
    document = build_document(fetched(shell(body=f'<div id="app"><article>{paragraphs}</article></div>')))
    assert document.text == "\n".join(REPORT[:8]) and "text_from" not in document.metadata


def test_broken_json_ld_is_skipped() -> None:
    page = shell('<script type="application/ld+json">{"@type": "NewsArticle", "articleBody": </script>')
    with pytest.raises(Rejected) as caught:
        build_document(fetched(page))
    assert caught.value.reason == "script_rendered"
