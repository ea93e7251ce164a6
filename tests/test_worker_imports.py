"""A document worker loads only what building needs; readers and fallbacks load on first use.

Each of a crawl's worker processes imports `storage.building` (crawler/workers.py). Imports are
process-wide and cost memory in every worker, so the store (corpus, manifest, WARC writer), the
document readers (PDFium, python-docx, olefile) and trafilatura (a fallback no real page of ours
needs) must not come with it. Checked in a fresh interpreter: this test process has them all.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from support import SHARED

LAZY = ["trafilatura", "pypdfium2", "docx", "olefile", "warcio", "storage.corpus", "storage.manifest", "storage.warc"]


def loaded_after(code: str) -> dict[str, bool]:
    probe = f"import json, sys\n{code}\nprint(json.dumps({{name: name in sys.modules for name in {LAZY!r}}}))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    loaded: dict[str, bool] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_building_an_html_page_loads_no_reader_no_store_and_no_fallback() -> None:
    page = SHARED / "realworld" / "gne" / "other-1.html"
    loaded = loaded_after(
        "from cleaners.document import Fetched\n"
        "from storage.building import Exchange, build\n"
        f"body = open({str(page)!r}, 'rb').read()\n"
        "url = 'http://127.0.0.2/a.html'\n"
        "built = build(Exchange(Fetched(url, url, 200, {'content-type': 'text/html'}, body, '')))\n"
        "assert '全国人民代表大会' in built.doc.text, built.doc.text[:200]\n"
    )
    assert loaded == dict.fromkeys(LAZY, False)


def test_a_pdf_loads_its_reader_when_it_arrives() -> None:
    pdf = sorted((SHARED / "realworld" / "documents").glob("*.pdf"))[0]
    loaded = loaded_after(
        "from cleaners.document import Fetched\n"
        "from storage.building import Exchange, build\n"
        f"body = open({str(pdf)!r}, 'rb').read()\n"
        "url = 'http://127.0.0.2/a.pdf'\n"
        "built = build(Exchange(Fetched(url, url, 200, {'content-type': 'application/pdf'}, body, '')))\n"
        "assert built.doc.source_type == 'pdf'\n"
    )
    assert loaded["pypdfium2"] and not loaded["docx"] and not loaded["trafilatura"]


def test_the_crawl_process_loads_no_charset_detector_nor_scrapy_in_workers() -> None:
    """The workers decode pages: chardet's models (~9 MB) stay out of the crawl process, and the
    workers' own modules (the pool's worker side, the link finder) do not pull Scrapy in (~23 MB)."""
    probe = (
        "import json, sys\n"
        "import govcorpus.commands, crawler.spiders.sources, crawler.pipelines, crawler.decoding\n"
        "crawl = 'chardet' in sys.modules\n"
        "print(json.dumps(crawl))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(result.stdout.strip().splitlines()[-1]) is False
    worker = (
        "import json, sys\n"
        "import crawler.procworker, crawler.pagelinks, crawler.heap, storage.building\n"
        "from crawler.pagelinks import decode_with_links\n"
        "decode_with_links('<a href=\"/a\">甲</a>'.encode('gbk'), None, 'http://127.0.0.2/')\n"
        "print(json.dumps(['scrapy' in sys.modules, 'twisted' in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", worker], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [False, False]


def test_a_crawl_does_not_load_the_remote_control_extension_it_keeps_off(tmp_path: Path) -> None:
    """Scrapy's RemoteControl is off in a crawl; its module would bring aiohttp (8.5 MB) all the same."""
    with socket.socket() as closed:  # a port nothing listens on: the crawl runs, fails its one URL, ends
        closed.bind(("127.0.0.2", 0))
        port = closed.getsockname()[1]
    config = tmp_path / "sources.toml"
    config.write_text(f'[[sources]]\nname = "one"\nstart_urls = ["http://127.0.0.2:{port}/"]\n', encoding="utf-8")
    probe = (
        "import json, sys\n"
        "from govcorpus.cli import main\n"
        f"sys.argv = ['govcorpus', 'crawl', '--config', {str(config)!r}, '--store', {str(tmp_path / 'corpus')!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(['scrapy.core.engine' in sys.modules, 'aiohttp' in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120, cwd=tmp_path)
    assert "failed" in result.stdout
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, False]


def test_making_warc_records_loads_warcio_without_fsspec() -> None:
    """A crawl's builds make the WARC records too: warcio comes, not the fsspec (and asyncio) it would import."""
    probe = (
        "import json, sys\n"
        "from cleaners.document import Fetched\n"
        "from storage.building import Exchange, build\n"
        f"body = open({str(SHARED / 'realworld' / 'gne' / 'other-1.html')!r}, 'rb').read()\n"
        "url = 'http://127.0.0.2/a.html'\n"
        "built = build(Exchange(Fetched(url, url, 200, {'content-type': 'text/html'}, body, '')), warc=True)\n"
        "assert [r.role for r in built.warc] == ['document']\n"
        "print(json.dumps([name in sys.modules for name in ('warcio', 'fsspec', 'asyncio')]))\n"
        "import fsspec\n"  # and a later import of it works as usual
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, False, False]
