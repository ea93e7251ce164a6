"""End to end over the test internet: a portal, a Discuz! board and an aggregator on three loopback hosts.

One crawl of the three configured sources must store exactly the expected documents (with their
duplicates pointed at the right canonical), put every URL it touched in the manifest once with
the expected outcome, and never request what robots.txt forbids or what lies off-site.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from internet import Internet, load_expected, start_internet
from support import FAST, SHARED, run_cli

from benchmarks.quality import char_scores
from storage.backends import open_store
from storage.corpus import Corpus
from storage.manifest import manifest_keys, read_manifest

EXPECTED = load_expected()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Internet, str, dict[tuple[str, str], dict]]]:
    work = tmp_path_factory.mktemp("internet")
    store = str(work / "corpus")
    with start_internet(work) as net:
        result = run_cli("crawl", "--config", str(net.config), "--store", store, *FAST, timeout=300)
        assert result.returncode == 0, result.stderr
        (key,) = manifest_keys(open_store(store))
        lines = [line for line in read_manifest(open_store(store), key) if "url" in line]
        keys = [net.key_of(line["url"]) for line in lines]
        assert len(keys) == len(set(keys)), "a URL is in the manifest twice"
        yield net, store, dict(zip(keys, lines, strict=True))


def gold_text(entry: dict[str, Any]) -> str:
    if entry.get("gold"):
        return (SHARED / "gold" / f"{entry['gold']}.txt").read_text(encoding="utf-8").strip()
    part = entry["gold_part"]
    lines = (SHARED / "gold" / f"{part['gold']}.txt").read_text(encoding="utf-8").strip().splitlines()
    return "\n".join(lines[part["from_line"] :])


def documents(net: Internet, store: str) -> dict[tuple[str, str], Any]:
    corpus = Corpus.open(store)
    return {net.key_of(entry["url"]): corpus.get(entry["id"]) for entry in corpus.entries()}


def test_exactly_the_expected_documents_are_stored(crawled: tuple) -> None:
    net, store, _ = crawled
    stored = documents(net, store)
    assert set(stored) == {(doc["host"], doc["path"]) for doc in EXPECTED["documents"]}


def test_each_document_has_its_gold_text_title_and_canonical(crawled: tuple) -> None:
    net, store, _ = crawled
    stored = documents(net, store)
    by_id = {doc.id: key for key, doc in stored.items()}
    for expected in EXPECTED["documents"]:
        doc = stored[(expected["host"], expected["path"])]
        precision, recall, f1 = char_scores(doc.text, gold_text(expected))
        assert f1 >= 0.99, (expected["path"], precision, recall)
        assert doc.title == expected["title"], expected["path"]
        canonical = expected["duplicate_of"]
        assert (by_id.get(doc.duplicate_of) if doc.duplicate_of else None) == (
            (canonical["host"], canonical["path"]) if canonical else None
        ), expected["path"]
        for field in ("published", "issuer"):
            if field in expected:
                assert (doc.published if field == "published" else doc.metadata.get(field)) == expected[field]


def test_every_touched_url_has_its_expected_outcome(crawled: tuple) -> None:
    _, _, lines = crawled
    expected = {(entry["host"], entry["path"]): entry for entry in EXPECTED["touched"]}
    unexpected = sorted(set(lines) - set(expected))
    assert not unexpected, f"touched but not expected: {unexpected}"
    for key, entry in expected.items():
        line = lines.get(key)
        if line is None:
            assert not entry.get("required"), f"required URL not in the manifest: {key}"
            continue
        assert line["outcome"] == entry["outcome"], (key, line)
        if entry.get("reason"):
            assert line.get("reason") == entry["reason"], (key, line)


def test_forbidden_and_offsite_urls_are_never_requested(crawled: tuple) -> None:
    net, _, lines = crawled
    requested = {(host, target) for host, server in net.servers.items() for _, target, _ in server.requests}
    for entry in EXPECTED["never_requested"]:
        # robots.txt-forbidden URLs are in the manifest as skipped, but no request reached them.
        assert (entry["host"], entry["path"]) not in requested
    # Everything requested (robots.txt aside) is accounted for in the manifest.
    assert {key for key in requested if key[1] != "/robots.txt"} <= set(lines) | {
        (host, path) for host, path in requested if any(path == (doc.get("final_path")) for doc in EXPECTED["documents"])
    }
