"""`govcorpus fetch` on office attachments served as a portal serves them (octet-stream, no
helpful extension): DOC, WPS, OFD and DOCX read by content; other OLE2 files and glyph-code OFDs
refused with one line that names the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from office_docs import OFD_TITLE, TITLE, features_docx, make_ofd
from support import SHARED, run_cli
from test_doc import FEATURES_DOC, renamed_stream

from govcorpus.sitefixture import SiteServer, serve_site

OCTET = {"Content-Type": "application/octet-stream"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("office")
    files = {
        "report.doc": FEATURES_DOC.read_bytes(),
        "report.docx": features_docx(),
        "notice.ofd": make_ofd(),
        "book.xls": renamed_stream(FEATURES_DOC.read_bytes(), "WordDocument", "Workbook"),
        "manual.ofd": (SHARED / "realworld" / "documents" / "ofdrw-ano.ofd").read_bytes(),
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    routes = [
        {"path": "/robots.txt", "status": 404},
        {"path": "/att/P020240202.doc", "file": "report.doc", "headers": OCTET},
        {"path": "/att/P020240202.wps", "file": "report.doc", "headers": {"Content-Type": "application/kswps"}},
        {"path": "/download?id=7", "file": "report.docx", "headers": OCTET},
        {"path": "/download?id=8", "file": "notice.ofd", "headers": OCTET},
        {"path": "/att/book.xls", "file": "book.xls", "headers": OCTET},
        {"path": "/att/manual.ofd", "file": "manual.ofd", "headers": OCTET},
    ]
    (root / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with serve_site(root, host="127.0.0.1") as server:
        yield server


def fetch_json(site: SiteServer, path: str) -> dict:
    result = run_cli("fetch", site.url(path), "--json", "--no-store")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("path", "source_type", "title"),
    [
        ("/att/P020240202.doc", "doc", TITLE),
        ("/att/P020240202.wps", "doc", TITLE),
        ("/download?id=7", "docx", TITLE),
        ("/download?id=8", "ofd", OFD_TITLE),
    ],
)
def test_office_attachments_are_fetched_by_content(site: SiteServer, path: str, source_type: str, title: str) -> None:
    document = fetch_json(site, path)
    assert document["source_type"] == source_type and document["title"] == title
    assert "\t" in document["text"] and document["metadata"]["tables"]


@pytest.mark.parametrize(
    ("path", "words"),
    [("/att/book.xls", ["unsupported_type", "Excel"]), ("/att/manual.ofd", ["unreadable", "ofd_glyph_codes"])],
)
def test_unreadable_office_files_are_refused_in_one_line(site: SiteServer, path: str, words: list[str]) -> None:
    result = run_cli("fetch", site.url(path), "--json", "--no-store")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert all(word in result.stderr for word in words), result.stderr
