"""`govcorpus reclean`: documents rebuilt from the WARC archive with the current cleaners, nothing fetched."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import DEMO_SITE, FAST, run_cli

from cleaners import boilerplate
from govcorpus.sitefixture import SiteServer, serve_site
from storage.backends import open_store
from storage.check import check_store
from storage.corpus import Corpus
from storage.dedup import StoreDedupIndex
from storage.manifest import manifest_keys, read_manifest
from storage.reclean import reclean


@pytest.fixture
def crawled(store_uri: str, tmp_path: Path) -> Iterator[tuple[str, SiteServer]]:
    """The demo site crawled into `store_uri` (local and S3); the site keeps serving (and logging requests)."""
    yield from crawl_into(store_uri, tmp_path)


@pytest.fixture
def crawled_local(tmp_path: Path) -> Iterator[tuple[str, SiteServer]]:
    """The same, into a local store only: for what does not depend on the backend."""
    yield from crawl_into(str(tmp_path / "corpus"), tmp_path)


def crawl_into(store_uri: str, tmp_path: Path) -> Iterator[tuple[str, SiteServer]]:
    with serve_site(DEMO_SITE) as site:
        config = tmp_path / "sources.toml"
        config.write_text(f'[[sources]]\nname = "demo"\nstart_urls = ["{site.base_url}/"]\n', encoding="utf-8")
        result = run_cli("crawl", "--config", str(config), "--store", store_uri, *FAST)
        assert result.returncode == 0, result.stderr
        site.requests.clear()
        yield store_uri, site


def documents(store_uri: str) -> dict[str, Any]:
    corpus = Corpus.open(store_uri)
    return {entry["id"]: corpus.get(entry["id"]) for entry in corpus.entries()}


def lines_of(store_uri: str, manifest: str) -> dict[str, dict[str, Any]]:
    return {line["id"]: line for line in read_manifest(open_store(store_uri), manifest) if "url" in line and "id" in line}


def with_tail_rule(tmp_path: Path, regex: str) -> Any:
    """The boilerplate edge rules with one more pattern: a cleaning rule changed after the crawl."""
    rules = tmp_path / "boilerplate.toml"
    rules.write_text(
        boilerplate.RULES_PATH.read_text(encoding="utf-8") + f'\n[[pattern]]\nname = "new_rule"\nregex = \'{regex}\'\n',
        encoding="utf-8",
    )
    load = boilerplate.edge_rules
    return lambda: load(rules)


def test_a_changed_rule_changes_exactly_the_documents_it_touches(
    crawled: tuple[str, SiteServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_uri, site = crawled
    before = documents(store_uri)
    assert len(before) >= 4 and all(doc.warc_records for doc in before.values())
    # The new rule removes one document's closing line wherever it ends a text.
    target = next(doc for doc in before.values() if doc.source_type == "html" and not doc.duplicate_of)
    last_line = target.text.split("\n")[-1]
    monkeypatch.setattr(boilerplate, "edge_rules", with_tail_rule(tmp_path, "^" + re.escape(last_line) + "$"))
    affected = {doc_id for doc_id, doc in before.items() if doc.text.split("\n")[-1] == last_line}

    result = reclean(Corpus.open(store_uri))

    assert site.requests == []  # nothing fetched
    after = documents(store_uri)
    changed = {doc_id for doc_id in before if after[doc_id].content_sha256 != before[doc_id].content_sha256}
    assert changed == affected and target.id in changed
    for doc_id in changed:
        assert after[doc_id].text == before[doc_id].text.rsplit("\n", 1)[0]
        assert after[doc_id].version == before[doc_id].version + 1 and after[doc_id].run_id == result.run_id
        assert after[doc_id].warc_records == before[doc_id].warc_records  # still built from the same records
        assert [old.version for old in Corpus.open(store_uri).history(doc_id)] == [before[doc_id].version]
    for doc_id in set(before) - changed:
        assert after[doc_id] == before[doc_id]
    lines = lines_of(store_uri, result.manifest)
    assert set(lines) == set(before)
    assert {doc_id for doc_id, line in lines.items() if line["outcome"] in ("stored", "duplicate")} == changed
    assert {doc_id for doc_id, line in lines.items() if line["outcome"] == "unchanged"} == set(before) - changed
    assert result.counts == {"stored": len(changed), "unchanged": len(before) - len(changed)} or "duplicate" in result.counts
    # The dedup index holds the new texts: a fresh index of the same texts links them the same way.
    index = StoreDedupIndex(open_store(store_uri))
    for doc_id, doc in after.items():
        link = index.link(doc_id)
        assert (doc.duplicate_of, doc.duplicate_relation) == (link.duplicate_of, link.relation)
        assert lines[doc_id].get("duplicate_of") == doc.duplicate_of
    assert check_store(open_store(store_uri)).clean


def test_without_a_change_nothing_is_written_but_the_run(crawled_local: tuple[str, SiteServer]) -> None:
    store_uri, site = crawled_local
    before = documents(store_uri)
    keys_before = set(open_store(store_uri).list("documents/")) | set(open_store(store_uri).list("dedup/"))
    result = reclean(Corpus.open(store_uri))
    assert site.requests == []
    assert documents(store_uri) == before
    assert result.counts == {"unchanged": len(before)} and result.dedup is None
    assert set(open_store(store_uri).list("documents/")) | set(open_store(store_uri).list("dedup/")) == keys_before
    assert result.manifest in manifest_keys(open_store(store_uri))


def test_a_refused_page_keeps_its_stored_version_and_lost_bytes_are_named(
    crawled_local: tuple[str, SiteServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    store_uri, _ = crawled_local
    before = documents(store_uri)
    store = open_store(store_uri)
    lost = next(doc for doc in before.values() if doc.source_type == "pdf")
    shared = {ref["file"] for doc in before.values() if doc.id != lost.id for ref in doc.warc_records}
    only_lost = [ref["file"] for ref in lost.warc_records if ref["file"] not in shared]
    if not only_lost:  # one WARC file holds every record: make the lost document point at a file that is gone
        corpus = Corpus.open(store_uri)
        corpus.put(type(lost)(**{**lost.__dict__, "warc_records": [{**lost.warc_records[0], "file": "warc/gone.warc.gz"}]}))
        before[lost.id] = corpus.get(lost.id)
    else:
        for key in only_lost:
            store.delete(key)
    refuse = next(doc for doc in before.values() if doc.source_type == "html")
    from cleaners import pipeline

    original = pipeline.limits()
    raised = {**original, "min_cjk_chars": len(refuse.text) * 10, "short_page_cjk_chars": len(refuse.text) * 10}
    monkeypatch.setattr(pipeline, "limits", lambda: raised)  # a report filter made stricter after the crawl

    result = reclean(Corpus.open(store_uri))

    lines = {line["url"]: line for line in read_manifest(open_store(store_uri), result.manifest) if "url" in line}
    assert lines[lost.url]["outcome"] == "failed" and lines[lost.url]["reason"] == "no_raw"
    assert lines[refuse.url]["outcome"] == "skipped" and "the stored version is kept" in lines[refuse.url]["detail"]
    assert documents(store_uri) == before  # refusals and lost bytes never delete a document


def test_documents_stored_before_the_archive_are_read_from_raw(tmp_path: Path) -> None:
    """A store from before WARC: the body under raw/<sha256>, the headers on the record."""
    from cleaners.document import Fetched
    from storage.building import Exchange
    from storage.journey import Journey

    page = (DEMO_SITE / "gov" / "gzw" / "art" / "2024" / "1" / "15" / "art_4159_8821.html")
    body = page.read_bytes() if page.exists() else next(DEMO_SITE.glob("gov/**/*.html")).read_bytes()
    url = "http://127.0.0.2/a.html"
    fetched = Fetched(url, url, 200, {"content-type": "text/html"}, body, "2026-01-01T00:00:00+00:00")
    store_uri = str(tmp_path / "corpus")
    corpus = Corpus.open(store_uri)
    journey = Journey(corpus)
    outcome = journey.ingest(Exchange(fetched))
    journey.close()
    assert outcome.document is not None, outcome
    doc = corpus.get(outcome.document.id)
    assert doc is not None
    corpus.put_raw(doc.raw_sha256, body)
    old_style = type(doc)(**{**doc.__dict__, "warc_records": []})
    corpus.put(old_style)

    result = reclean(Corpus.open(store_uri))

    assert result.counts == {"unchanged": 1}
    assert Corpus.open(store_uri).get(doc.id) == old_style


def test_the_command_says_what_it_did(crawled_local: tuple[str, SiteServer]) -> None:
    store_uri, site = crawled_local
    result = run_cli("reclean", "--store", store_uri, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"] == {"unchanged": summary["documents"]} and summary["documents"] >= 4
    assert site.requests == []
    manifests = manifest_keys(open_store(store_uri))
    typo = run_cli("reclean", "--store", store_uri, "--source", "nosuchsource")
    assert typo.returncode == 2 and typo.stdout == "", typo.stdout
    (line,) = typo.stderr.strip().splitlines()  # one line, naming the sources the store has
    assert "'nosuchsource'" in line and "the store's sources: " in line and "Traceback" not in line
    assert manifest_keys(open_store(store_uri)) == manifests  # refused before any run was opened
    bad = run_cli("reclean", "--store", store_uri, "--since", "yesterday")
    assert bad.returncode == 2 and "expected a date" in bad.stderr and "Traceback" not in bad.stderr
    since = run_cli("reclean", "--store", store_uri, "--since", "2999-01-01", "--json")
    assert json.loads(since.stdout)["documents"] == 0


class Killed(BaseException):
    """Stands for a SIGKILL at a write: nothing after it runs, nothing buffered is flushed."""


def test_a_reclean_cut_short_is_resumed_by_the_same_command_to_the_same_result(
    crawled_local: tuple[str, SiteServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_uri, _ = crawled_local
    reference_uri = str(tmp_path / "reference")
    shutil.copytree(store_uri, reference_uri)
    before = documents(store_uri)
    closing = {doc.text.split("\n")[-1] for doc in before.values() if doc.source_type == "html"}
    monkeypatch.setattr(boilerplate, "edge_rules", with_tail_rule(tmp_path, "^(?:" + "|".join(map(re.escape, closing)) + ")$"))
    reference = reclean(Corpus.open(reference_uri))
    assert reference.counts.get("stored", 0) + reference.counts.get("duplicate", 0) >= 2

    put = Corpus.put
    written: list[str] = []

    def put_then_die(self: Corpus, doc: Any, replaces: Any = None) -> None:
        if written:
            raise Killed  # at the second new version: the first is stored, its manifest line is not
        put(self, doc, replaces=replaces)
        written.append(doc.id)

    monkeypatch.setattr(Corpus, "put", put_then_die)
    with pytest.raises(Killed):
        reclean(Corpus.open(store_uri))
    monkeypatch.setattr(Corpus, "put", put)
    resumed = reclean(Corpus.open(store_uri))

    assert resumed.resumed and resumed.counts == reference.counts

    def outcomes(uri: str, manifest: str) -> dict[str, tuple[Any, ...]]:
        return {
            line["url"]: (line["outcome"], line.get("reason"), line.get("version"), line.get("duplicate_of"))
            for line in read_manifest(open_store(uri), manifest)
            if "url" in line
        }

    assert outcomes(store_uri, resumed.manifest) == outcomes(reference_uri, reference.manifest)
    texts = {doc_id: (doc.text, doc.version, doc.duplicate_of) for doc_id, doc in documents(store_uri).items()}
    assert texts == {doc_id: (doc.text, doc.version, doc.duplicate_of) for doc_id, doc in documents(reference_uri).items()}
    assert check_store(open_store(store_uri)).clean


def test_an_empty_selection_writes_no_run_and_a_run_records_its_duration(crawled_local: tuple[str, SiteServer]) -> None:
    store_uri, _ = crawled_local
    store = open_store(store_uri)
    before = sorted(store.list())
    nothing = run_cli("reclean", "--store", store_uri, "--since", "2099-01-01")
    assert nothing.returncode == 0 and nothing.stdout == "", nothing.stdout
    assert nothing.stderr.strip() == "govcorpus: nothing to reclean: no stored document fetched on or after 2099-01-01"
    assert sorted(store.list()) == before  # no manifest, no open run, nothing
    done = run_cli("reclean", "--store", store_uri)
    assert done.returncode == 0, done.stderr
    runs = json.loads(run_cli("runs", "--store", store_uri, "--json").stdout)
    assert [run["command"] for run in runs if "command" in run] == ["reclean"]
    assert all(isinstance(run["duration_s"], float) for run in runs), runs  # crawl and reclean runs alike
    listed = run_cli("runs", "--store", store_uri).stdout.splitlines()
    assert len(listed) == 2 and not any("       ?  " in line for line in listed), listed
    leftover = [path for path in (Path(store_uri) / "manifests").iterdir() if path.is_dir()]
    assert leftover == []  # the parts' folder of every finished run is gone with its parts
