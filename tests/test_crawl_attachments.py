"""A crawl's attachment step on every office format: a portal article links an OFD, a DOC and a WPS
(real files: our own generated 公文 OFD and Word 97 files), served as portals serve them
(application/octet-stream, or a WPS Content-Type), plus a WPS 2000 file and a glyph-code OFD that
cannot be read. With the default `attachment_extensions` the crawl fetches them all, stores what it
can read and records the others with their reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from office_docs import FIXTURES, OFD_ISSUER, OFD_NUMBER, OFD_TITLE, TITLE, make_ofd
from official_docs import PAGE_FIELDS, disclosure_page
from support import FAST, SHARED, run_cli
from test_doc import FEATURES_DOC, renamed_stream

from govcorpus.sitefixture import serve_site
from storage.backends import open_store
from storage.corpus import Corpus
from storage.manifest import manifest_keys, read_manifest

ARTICLE = "/zwgk/zfwj/202402/t20240207_101.html"
OCTET = {"Content-Type": "application/octet-stream"}
# path -> (file, headers, outcome, reason)
ATTACHMENTS: dict[str, tuple[str, dict[str, str], str, str | None]] = {
    "/att/P020240207_1.ofd": ("notice.ofd", OCTET, "stored", None),
    "/att/P020240207_2.doc": ("report.doc", {"Content-Type": "application/msword"}, "stored", None),
    "/att/P020240207_3.wps": ("speech.wps", {"Content-Type": "application/kswps"}, "stored", None),
    "/att/P020240207_4.wps": ("old.wps", OCTET, "skipped", "unsupported_type"),  # WPS 2000, not Word binary
    "/att/P020240207_5.ofd": ("manual.ofd", OCTET, "failed", "unreadable"),  # glyph codes, not Unicode
}


def article_page() -> str:
    links = "".join(f'<li><a href="{path}">附件{n}</a></li>' for n, path in enumerate(ATTACHMENTS, start=1))
    return disclosure_page("table").replace("</body>", f'<div class="attachment"><p>附件：</p><ul>{links}</ul></div></body>')


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, dict[str, Any]], str]]:
    work = tmp_path_factory.mktemp("attachments")
    site = work / "site"
    site.mkdir()
    files = {
        "article.html": article_page().encode("utf-8"),
        "notice.ofd": make_ofd(),
        "report.doc": FEATURES_DOC.read_bytes(),
        "speech.wps": (FIXTURES / "national-report-2019.doc").read_bytes(),
        "old.wps": renamed_stream(FEATURES_DOC.read_bytes(), "WordDocument", "CONTENTS"),
        "manual.ofd": (SHARED / "realworld" / "documents" / "ofdrw-ano.ofd").read_bytes(),
    }
    for name, data in files.items():
        (site / name).write_bytes(data)
    routes = [
        {"path": "/robots.txt", "status": 404},
        {"path": ARTICLE, "file": "article.html", "headers": {"Content-Type": "text/html; charset=utf-8"}},
        *({"path": path, "file": file, "headers": headers} for path, (file, headers, _, _) in ATTACHMENTS.items()),
    ]
    (site / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    store = str(work / "corpus")
    with serve_site(site, host="127.0.0.1") as server:
        config = Path(work / "sources.toml")
        # No attachment_extensions: the family default must include ofd, doc and wps.
        config.write_text(
            f'[[sources]]\nname = "county"\nfamily = "gov_portal"\nstart_urls = ["{server.url(ARTICLE)}"]\n'
            'report_keywords = ["通知", "工作总结", "政府工作报告"]\n',
            encoding="utf-8",
        )
        result = run_cli("crawl", "--config", str(config), "--store", store, *FAST, timeout=300)
        assert result.returncode == 0, result.stderr
        (key,) = manifest_keys(open_store(store))
        lines = {line["url"][len(server.base_url) :]: line for line in read_manifest(open_store(store), key) if "url" in line}
        yield store, lines, server.base_url


def test_every_attachment_is_fetched_and_has_its_outcome(crawled: tuple) -> None:
    _, lines, _ = crawled
    assert set(lines) == {ARTICLE, *ATTACHMENTS}
    assert lines[ARTICLE]["outcome"] == "stored", lines[ARTICLE]
    for path, (_, _, outcome, reason) in ATTACHMENTS.items():
        assert (lines[path]["outcome"], lines[path].get("reason")) == (outcome, reason), lines[path]
    assert "Works or WPS 2000" in lines["/att/P020240207_4.wps"]["detail"]
    assert "ofd_glyph_codes" in lines["/att/P020240207_5.ofd"]["detail"]


def test_stored_attachments_are_read_by_their_bytes(crawled: tuple) -> None:
    store, lines, _ = crawled
    corpus = Corpus.open(store)
    ofd, doc, wps = (corpus.get(lines[path]["id"]) for path in list(ATTACHMENTS)[:3])
    assert ofd is not None and doc is not None and wps is not None
    assert (ofd.source_type, ofd.title) == ("ofd", OFD_TITLE)
    assert (doc.source_type, doc.title) == ("doc", TITLE)
    assert wps.source_type == "doc" and wps.title == "政府工作报告" and wps.metadata["year"] == 2019
    # The OFD's own 版头 speaks for it; what it lacks comes from the article's disclosure table.
    assert ofd.metadata["issuer"] == OFD_ISSUER and ofd.metadata["document_number"] == OFD_NUMBER
    assert ofd.metadata["index_number"] == PAGE_FIELDS["index_number"]
    assert doc.metadata["issuer"] == PAGE_FIELDS["issuer"] and doc.published == PAGE_FIELDS["published"]
