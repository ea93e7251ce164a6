"""`govcorpus fetch` and `govcorpus crawl` of a scanned PDF served as a portal serves it
(octet-stream, a P0… name): the text is OCR'd (in a crawl, by its document worker process); with
GOVCORPUS_OCR_ENABLED=False it is refused in one line that says why."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import FAST, SHARED, run_cli

from benchmarks.ocr import first_pages, scan_pdf
from govcorpus.sitefixture import SiteServer, serve_site

OCTET = {"Content-Type": "application/octet-stream"}
ZHOUKOU = SHARED / "realworld" / "documents" / "statbulletin-2023-zhoukou.pdf"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("scans")
    (root / "scan.pdf").write_bytes(scan_pdf(first_pages(ZHOUKOU.read_bytes(), 1)))
    routes = [
        {"path": "/robots.txt", "status": 404},
        {"path": "/att/P020240430.pdf", "file": "scan.pdf", "headers": OCTET},
    ]
    (root / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with serve_site(root, host="127.0.0.1") as server:
        yield server


def test_fetch_of_a_scanned_pdf_gives_the_ocr_text(site: SiteServer) -> None:
    result = run_cli("fetch", site.url("/att/P020240430.pdf"), "--json", "--no-store", timeout=600)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["source_type"] == "pdf"
    assert document["title"] == "2023年周口市国民经济和社会发展统计公报"
    assert "2023年，面对国内外复杂形势，在市委市政府的坚强领导下，全市上下以深入开展主题教育强动力" in document["text"]
    ocr = document["metadata"]["ocr"]
    assert ocr["pages"] == 1 and ocr["engine"].startswith("rapidocr ") and ocr["confidence"] > 0.9


def test_fetch_of_a_scanned_pdf_with_ocr_off_is_refused_in_one_line(site: SiteServer) -> None:
    result = run_cli("fetch", site.url("/att/P020240430.pdf"), "--no-store", "-s", "GOVCORPUS_OCR_ENABLED=False")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no_text" in result.stderr and "OCR is off" in result.stderr, result.stderr


def test_a_crawl_ocrs_a_scan_in_its_document_workers(site: SiteServer, tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(f'[[sources]]\nname = "scans"\nstart_urls = ["{site.url("/att/P020240430.pdf")}"]\n', encoding="utf-8")
    store = tmp_path / "corpus"
    result = run_cli("crawl", "--config", str(config), "--store", str(store), "-s", "GOVCORPUS_PROCESS_WORKERS=1", *FAST, timeout=600)
    assert result.returncode == 0, result.stderr
    listed = json.loads(run_cli("ls", "--store", str(store), "--json").stdout)
    assert [entry["title"] for entry in listed] == ["2023年周口市国民经济和社会发展统计公报"]
    document = json.loads(run_cli("show", listed[0]["id"], "--store", str(store), "--json").stdout)
    assert document["metadata"]["ocr"]["pages"] == 1
    manifest = next((store / "manifests").glob("*.jsonl")).read_text(encoding="utf-8").splitlines()
    stats = json.loads(manifest[-1])["stats"]
    assert stats["process"]["ocr/documents"] == 1 and stats["process"]["ocr/pages"] == 1
