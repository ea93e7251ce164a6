"""`govcorpus fetch` against a real loopback server: good pages, bad input, and the manifest."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import FAST, SHARED, free_port, run_cli

from govcorpus.sitefixture import SiteServer, serve_site
from storage.backends import open_store
from storage.manifest import manifest_keys, read_manifest

CONTRACT_FIELDS = {
    "id",
    "url",
    "final_url",
    "title",
    "text",
    "published",
    "source_type",
    "encoding",
    "content_sha256",
    "fetched_at",
    "duplicate_of",
}


def _report_html(gold: str, title: str) -> str:
    lines = (SHARED / "gold" / f"{gold}.txt").read_text(encoding="utf-8").splitlines()
    paragraphs = "".join(f"<p>{line}</p>\n" for line in lines)
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>{paragraphs}</body></html>"


# A short notice (too short for a report) and an English page: what the report filters refuse.
NOTICE = """<!doctype html><html><head><meta charset="utf-8"><title>停水通知</title></head><body>
<h1>停水通知</h1><p>因管道检修，本周六上午八时至十二时新华路一带暂停供水，请居民提前储水。</p></body></html>"""
ENGLISH = "<!doctype html><html><head><title>News</title></head><body>" + (
    "<p>The district government held its annual meeting on the economy and social development today.</p>" * 6
) + "</body></html>"


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    site = tmp_path_factory.mktemp("site")
    (site / "report.html").write_text(_report_html("003", "新华路街道2023年工作总结"), encoding="utf-8")
    (site / "binary.bin").write_bytes(bytes(range(256)) * 64)
    (site / "empty.html").write_bytes(b"")
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    (site / "notice.html").write_text(NOTICE, encoding="utf-8")
    (site / "english.html").write_text(ENGLISH, encoding="utf-8")
    html = {"Content-Type": "text/html; charset=utf-8"}
    routes = [
        {"path": "/robots.txt", "file": "robots.txt", "headers": {"Content-Type": "text/plain"}},
        {"path": "/report.html", "file": "report.html", "headers": html},
        {"path": "/moved", "status": 301, "redirect": "/report.html"},
        {"path": "/error", "file": "empty.html", "status": 500, "headers": html},
        {"path": "/binary.bin", "file": "binary.bin", "headers": {"Content-Type": "application/octet-stream"}},
        {"path": "/empty.html", "file": "empty.html", "headers": html},
        {"path": "/private/report.html", "file": "report.html", "headers": html},
        {"path": "/notice.html", "file": "notice.html", "headers": html},
        {"path": "/english.html", "file": "english.html", "headers": html},
    ]
    (site / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with serve_site(site, host="127.0.0.1") as server:
        yield server


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("fetch", "crawl", "ls", "show", "demo"):
        assert command in result.stdout


def test_fetch_json_has_the_contract_fields(small_site: SiteServer, tmp_path: Path) -> None:
    result = run_cli("fetch", small_site.url("/report.html"), "--json", "--no-store", *FAST, "--store", str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc.keys() >= CONTRACT_FIELDS
    assert doc["url"] == doc["final_url"] == small_site.url("/report.html")
    assert doc["source_type"] == "html"
    assert doc["duplicate_of"] is None
    assert (doc["outcome"], doc["would_be"]) == ("not_stored", "stored")  # a dry run never claims a write
    assert "新华路街道" in doc["text"]
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").rglob("*.json"))


def test_fetch_follows_redirects_and_keeps_both_urls(small_site: SiteServer, tmp_path: Path) -> None:
    result = run_cli("fetch", small_site.url("/moved"), "--json", *FAST, "--store", str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["url"] == small_site.url("/moved")
    assert doc["final_url"] == small_site.url("/report.html")


def test_fetch_twice_stores_one_document(small_site: SiteServer, tmp_path: Path) -> None:
    store = str(tmp_path / "c")
    first = run_cli("fetch", small_site.url("/report.html"), "--json", *FAST, "--store", store)
    second = run_cli("fetch", small_site.url("/report.html"), "--json", *FAST, "--store", store)
    assert first.returncode == second.returncode == 0
    assert json.loads(first.stdout)["outcome"] == "stored"
    assert json.loads(second.stdout)["outcome"] == "unchanged"
    dry = json.loads(run_cli("fetch", small_site.url("/report.html"), "--json", "--no-store", *FAST, "--store", store).stdout)
    assert (dry["outcome"], dry["would_be"]) == ("not_stored", "unchanged")
    listing = json.loads(run_cli("ls", "--json", "--store", store).stdout)
    assert [entry["url"] for entry in listing] == [small_site.url("/report.html")]
    shown = run_cli("show", listing[0]["id"][:8], "--store", store)
    assert shown.returncode == 0 and "新华路街道" in shown.stdout


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/nothing-here.html", "http_404"),
        ("/error", "http_500"),
        ("/binary.bin", "not_html"),
        ("/empty.html", "empty"),
        ("/private/report.html", "robots_txt"),
    ],
)
def test_bad_input_gives_one_line_reason_and_a_manifest_line(
    small_site: SiteServer, tmp_path: Path, path: str, reason: str
) -> None:
    store = str(tmp_path / "c")
    url = small_site.url(path)
    result = run_cli("fetch", url, *FAST, "-s", "RETRY_TIMES=0", "--store", store)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and reason in result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for key in manifest_keys(open_store(store)) for line in read_manifest(open_store(store), key)]
    assert [(line["url"], line["outcome"], line["reason"]) for line in lines if "url" in line] == [
        (url, "skipped" if reason in ("not_html", "robots_txt") else "failed", reason)
    ]


def test_unreachable_host_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/report.html"  # nothing listens there
    result = run_cli("fetch", url, *FAST, "-s", "RETRY_TIMES=0", "--store", str(tmp_path / "c"))
    assert result.returncode == 1
    assert "connection_refused" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "not a url"])
def test_non_http_urls_are_refused_before_any_download(url: str, tmp_path: Path) -> None:
    result = run_cli("fetch", url, "--store", str(tmp_path / "c"))
    assert result.returncode == 2 and "http(s)" in result.stderr  # a usage error
    assert not (tmp_path / "c").exists()


def test_scrapy_crawl_works_from_the_project_root(small_site: SiteServer, tmp_path: Path) -> None:
    import subprocess
    import sys

    from support import REPO

    store = tmp_path / "c"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "scrapy"), "crawl", "fetch", "-a", f"url={small_site.url('/report.html')}",
         "-s", f"GOVCORPUS_STORE={store}", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(list((store / "documents").glob("*.json"))) == 1


@pytest.mark.parametrize(
    ("path", "reason", "said"), [("/notice.html", "not_report", "因管道检修"), ("/english.html", "not_chinese", "annual meeting")]
)
def test_no_filter_gives_the_text_a_filter_refuses_and_says_why(
    small_site: SiteServer, tmp_path: Path, path: str, reason: str, said: str
) -> None:
    url = small_site.url(path)
    refused = run_cli("fetch", url, "--json", "--no-store", *FAST, "--store", str(tmp_path / "c"))
    assert refused.returncode == 1 and reason in refused.stderr
    kept = run_cli("fetch", url, "--json", "--no-store", "--no-filter", *FAST, "--store", str(tmp_path / "c"))
    assert kept.returncode == 0, kept.stderr
    doc = json.loads(kept.stdout)
    assert said in doc["text"]
    assert doc["filter_verdict"]["reason"] == reason and doc["filter_verdict"]["detail"]


def test_no_filter_on_a_report_says_no_filter_objected(small_site: SiteServer, tmp_path: Path) -> None:
    result = run_cli("fetch", small_site.url("/report.html"), "--json", "--no-store", "--no-filter", *FAST, "--store", str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["filter_verdict"] is None and "新华路街道" in doc["text"]


@pytest.mark.parametrize(("path", "reason"), [("/error", "http_500"), ("/empty.html", "empty"), ("/binary.bin", "not_html")])
def test_no_filter_still_fails_what_is_not_a_page(small_site: SiteServer, tmp_path: Path, path: str, reason: str) -> None:
    result = run_cli("fetch", small_site.url(path), "--no-filter", *FAST, "-s", "RETRY_TIMES=0", "--store", str(tmp_path / "c"))
    assert result.returncode == 1 and reason in result.stderr and result.stdout == ""


def test_a_reader_that_stops_reading_ends_the_command_quietly(small_site: SiteServer, tmp_path: Path) -> None:
    """`govcorpus show ID | head -1`: stdout's reader goes away; no error line, exit status 0."""
    store = str(tmp_path / "c")
    fetched = run_cli("fetch", small_site.url("/report.html"), "--json", *FAST, "--store", store)
    doc_id = json.loads(fetched.stdout)["id"]
    command = [str(Path(sys.executable).parent / "govcorpus"), "show", doc_id, "--store", store]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the command has printed anything: its first write finds no reader
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0 and stderr == ""


def test_fetch_replies_keeps_every_users_posts_of_a_real_forum_thread(tmp_path: Path) -> None:
    """`fetch --replies`: the whole thread (as the magic/ forum gold keeps it), not only the starter's posts."""
    site = tmp_path / "site"
    site.mkdir()
    page = SHARED / "realworld" / "magic" / "forum-3a43c342657c.html"  # a Flarum thread with a best answer
    shutil.copy(page, site / "t.html")
    (site / "routes.json").write_text(
        '[{"path": "/t.html", "file": "t.html", "status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"}}]',
        encoding="utf-8",
    )
    with serve_site(site) as server:
        starter = run_cli("fetch", server.url("/t.html"), "--json", "--no-store", "--no-filter", *FAST, "--store", str(tmp_path / "c"))
        thread = run_cli(
            "fetch", server.url("/t.html"), "--json", "--no-store", "--no-filter", "--replies", *FAST, "--store", str(tmp_path / "c")
        )
    assert starter.returncode == thread.returncode == 0, (starter.stderr, thread.stderr)
    reply = "Private Forum Facade这个插件可以实现"
    starter_text, thread_text = json.loads(starter.stdout)["text"], json.loads(thread.stdout)["text"]
    assert reply not in starter_text and reply in thread_text
    assert starter_text.splitlines()[0] in thread_text  # the starter's post is still there
