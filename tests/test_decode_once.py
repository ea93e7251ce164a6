"""Decode once, at download: link texts, the report filter and the cleaner read the same text.

The list page is GBK while its header says UTF-8; its report links point at URLs no family
pattern knows (/show.asp?id=77). A crawl must decode the list as the cleaner would, see
"金沙县2023年政府工作报告" in the link text and follow it whatever the URL's shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from scripted import Answer, ScriptedServer
from support import FAST, SHARED, run_cli

from crawler.links import Link, LinkRules, Role
from crawler.sources import Source
from storage.backends import open_store
from storage.corpus import Corpus
from storage.manifest import manifest_keys, read_manifest

REPORT = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()


def report_page(title: str) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in REPORT[:30])
    html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{paragraphs}</body></html>"
    return html.encode("gbk", errors="ignore")


LIST_PAGE = (
    "<html><head><title>政务公开 - 金沙县人民政府</title></head><body>"
    "<ul>"
    '<li><a href="/show.asp?id=77">金沙县2023年政府工作报告</a></li>'
    '<li><a href="/show.asp?id=78">关于召开讨论政府工作报告座谈会的通知</a></li>'  # news about a report: excluded
    '<li><a href="/show.asp?id=79">县领导调研春耕生产</a></li>'  # not a report at all
    "</ul></body></html>"
).encode("gbk")


@pytest.fixture
def lying_site() -> Iterator[ScriptedServer]:
    lying = {"Content-Type": "text/html; charset=utf-8"}  # the bytes are GBK
    routes = {
        "/robots.txt": Answer(404),
        "/list/index.html": Answer(200, lying, LIST_PAGE),
        "/show.asp?id=77": Answer(200, lying, report_page("金沙县2023年政府工作报告")),
        "/show.asp?id=78": Answer(200, lying, report_page("关于召开讨论政府工作报告座谈会的通知")),
        "/show.asp?id=79": Answer(200, lying, report_page("县领导调研春耕生产")),
    }
    with ScriptedServer(routes) as server:
        yield server


def test_a_lying_charset_list_page_leads_to_its_report_whatever_the_url_shape(lying_site: ScriptedServer, tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(
        "[[sources]]\n"
        'name = "jinsha"\n'
        'family = "gov_portal"\n'
        f'start_urls = ["{lying_site.url("/list/index.html")}"]\n'
        'list_pages = ["/list/"]\n',
        encoding="utf-8",
    )
    store = tmp_path / "corpus"
    result = run_cli("crawl", "--config", str(config), "--store", str(store), *FAST, timeout=300)
    assert result.returncode == 0, result.stderr
    assert lying_site.hits("/show.asp?id=77"), "the report link was not followed"
    assert not lying_site.hits("/show.asp?id=78") and not lying_site.hits("/show.asp?id=79")
    docs = [Corpus.open(str(store)).get(entry["id"]) for entry in Corpus.open(str(store)).entries()]
    assert [(doc.title, doc.encoding) for doc in docs if doc] == [("金沙县2023年政府工作报告", "gb18030")]
    assert REPORT[5] in docs[0].text  # type: ignore[union-attr]
    lines = [line for key in manifest_keys(open_store(str(store))) for line in read_manifest(open_store(str(store)), key)]
    outcomes = {line["url"].rsplit("/", 1)[-1]: line["outcome"] for line in lines if "url" in line}
    assert outcomes == {"index.html": "skipped", "show.asp?id=77": "stored"}, json.dumps(lines, ensure_ascii=False)


@pytest.mark.parametrize(
    ("href", "text", "role"),
    [
        ("https://x.gov.cn/show.asp?id=77", "金沙县2023年政府工作报告", Role.ARTICLE),  # text evidence alone
        ("https://x.gov.cn/art/2024/1/1/art_1.html", "金沙县2023年政府工作报告", Role.ARTICLE),  # both
        ("https://x.gov.cn/show.asp?id=78", "关于召开讨论政府工作报告座谈会的通知", None),  # excluded words win
        ("https://x.gov.cn/show.asp?id=79", "县领导调研春耕生产", None),  # no evidence, no pattern
        ("https://x.gov.cn/private/show.asp?id=80", "金沙县2023年政府工作报告", None),  # deny still refuses
        ("https://elsewhere.cn/show.asp?id=81", "金沙县2023年政府工作报告", None),  # another site
    ],
)
def test_links_are_followed_by_evidence(href: str, text: str, role: Role | None) -> None:
    source = Source.with_defaults(
        "x", ("https://x.gov.cn/list/",), "gov_portal", deny=("/private/",), article_pages=(r"/art/\d{4}/",)
    )
    chosen = dict(LinkRules(source).links_from_list([Link(href, text)]))
    assert chosen.get(href) == role


def test_a_source_without_report_keywords_follows_no_link_on_text_alone() -> None:
    source = Source.with_defaults("x", ("https://x.gov.cn/list/",), "gov_portal", report_keywords=(), article_pages=(r"/art/",))
    assert LinkRules(source).links_from_list([Link("https://x.gov.cn/show.asp?id=77", "金沙县2023年政府工作报告")]) == []
