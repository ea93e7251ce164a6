"""`govcorpus check [--repair]`: a store damaged by any means is found out, repaired, and never answered with a traceback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dupsite import generate, sources_toml
from support import FAST, run_cli

from cleaners.document import Fetched
from govcorpus.service import query_documents
from govcorpus.sitefixture import SiteServer, serve_site
from storage.backends import ObjectStore, StoreDamaged, open_store
from storage.building import Exchange
from storage.check import check_store, repair_store
from storage.corpus import INDEX_KEY, Corpus
from storage.dedup import StoreDedupIndex
from storage.journey import Journey
from storage.lease import store_lease
from storage.manifest import manifest_keys, read_manifest
from storage.warc import WarcRef, read_response

QUICK = [*FAST, "-s", "GOVCORPUS_PROCESS_WORKERS=0"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SiteServer, Path]]:
    tmp = tmp_path_factory.mktemp("dupsite")
    generate(tmp / "site")
    with serve_site(tmp / "site") as server:
        config = tmp / "sources.toml"
        config.write_text(sources_toml(server.base_url), encoding="utf-8")
        yield server, config


@pytest.fixture(scope="module")
def pristine(site: tuple[SiteServer, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after one finished crawl of the site (small dedup flushes: several segments)."""
    store = tmp_path_factory.mktemp("pristine") / "corpus"
    done = run_cli(
        "crawl", "--config", str(site[1]), "--store", str(store), *QUICK,
        "-s", "GOVCORPUS_COMPONENTS_CLASS=killhook.KillingComponents", "-s", "KILL_FLUSH_EVERY=4",
        env={"PYTHONPATH": str(Path(__file__).parent)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return store


@pytest.fixture
def store(pristine: Path, tmp_path: Path) -> ObjectStore:
    shutil.copytree(pristine, tmp_path / "corpus")
    return open_store(str(tmp_path / "corpus"))


def links(store: ObjectStore) -> dict[str, str | None]:
    return {entry["url"]: entry["duplicate_of"] for entry in Corpus(store).entries()}


def test_a_finished_crawl_checks_clean(pristine: Path) -> None:
    checked = run_cli("check", "--store", str(pristine))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "consistent (18 documents, 1 manifests)" in checked.stdout


def _segments(store: ObjectStore) -> list[str]:
    return list(store.list("dedup/index/segments/"))


def truncate_index(store: ObjectStore) -> None:
    store.put(INDEX_KEY, store.get(INDEX_KEY)[:500])


def lose_half_the_index(store: ObjectStore) -> None:
    lines = store.get(INDEX_KEY).decode().splitlines(keepends=True)
    store.put(INDEX_KEY, "".join(lines[: len(lines) // 2]).encode())


def lose_a_dedup_segment(store: ObjectStore) -> None:
    store.delete(_segments(store)[1])


def write_a_dedup_segment_twice(store: ObjectStore) -> None:  # what two writers did in the issue
    store.put("dedup/index/segments/000000999999", store.get(_segments(store)[0]))


def cut_a_dedup_segment_short(store: ObjectStore) -> None:
    key = _segments(store)[-1]
    store.put(key, store.get(key)[:100])


def interrupt_a_dedup_rebuild(store: ObjectStore) -> None:
    store.put("dedup/index/REBUILDING", b"")


def point_a_canonical_elsewhere(store: ObjectStore) -> None:
    entry = next(entry for entry in Corpus(store).entries() if entry["duplicate_of"] is None)
    other = next(e for e in Corpus(store).entries() if e["id"] != entry["id"] and e["duplicate_of"] is None)
    record = json.loads(store.get(f"documents/{entry['id']}.json"))
    store.put(f"documents/{entry['id']}.json", json.dumps({**record, "duplicate_of": other["id"], "duplicate_relation": "near"}).encode())


def garble_a_record(store: ObjectStore) -> None:
    key = next(iter(store.list("documents/")))
    store.put(key, b'{"id": "cut sh')


def orphan_manifest_parts(store: ObjectStore) -> None:  # a run killed and never resumed, its open-run record lost
    (key,) = manifest_keys(store)
    lines = [line for line in read_manifest(store, key) if "url" in line]
    body = "".join(json.dumps({**line, "outcome": "failed", "reason": "http_500"}) + "\n" for line in lines[:5])
    store.put("manifests/20200101T000000Z-abcdef/part-000000.jsonl", body.encode())


def kill_during_part_delete(store: ObjectStore) -> None:
    (key,) = manifest_keys(store)
    run = key.removeprefix("manifests/").removesuffix(".jsonl")
    lines = [line for line in read_manifest(store, key) if "url" in line]
    store.put(f"manifests/{run}/part-000003.jsonl", ("\n".join(json.dumps(line) for line in lines[10:14]) + "\n").encode())
    store.put("runs/active/dupsite-0.json", json.dumps({"run_id": run, "job": "dupsite-0"}).encode())


def drop_the_stats_line(store: ObjectStore) -> None:
    (key,) = manifest_keys(store)
    store.put(key, b"".join(line + b"\n" for line in store.get(key).splitlines()[:-1]))


def garble_the_lease(store: ObjectStore) -> None:
    store.put("lock.json", b"\x00\x01")


DAMAGE: dict[str, tuple[Callable[[ObjectStore], None], set[str]]] = {
    "index cut short": (truncate_index, {"index_unreadable"}),
    "half the index lost": (lose_half_the_index, {"index_missing_documents"}),
    "a dedup segment lost": (lose_a_dedup_segment, {"dedup_unreadable"}),
    "a dedup segment written twice": (write_a_dedup_segment_twice, {"dedup_unreadable"}),
    "a dedup segment cut short": (cut_a_dedup_segment_short, {"dedup_unreadable"}),
    "a dedup rebuild interrupted": (interrupt_a_dedup_rebuild, {"dedup_unreadable"}),
    "a record pointed at the wrong canonical": (point_a_canonical_elsewhere, {"duplicate_of_disagrees", "index_stale_entries"}),
    "a record garbled": (garble_a_record, {"document_unreadable", "dedup_orphan_entries", "index_orphan_entries"}),
    "orphan manifest parts": (orphan_manifest_parts, {"orphan_manifest_parts"}),
    "killed while deleting parts": (kill_during_part_delete, {"active_run_finished", "manifest_parts_left_over"}),
    "a manifest without stats": (drop_the_stats_line, {"manifest_without_stats"}),
    "lock.json garbled": (garble_the_lease, {"lease_unreadable"}),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damage_is_found_and_repaired(damage: str, store: ObjectStore) -> None:
    expected_links = links(store)
    damage_store, kinds = DAMAGE[damage]
    damage_store(store)
    report = check_store(store)
    assert set(report.problems) >= kinds and not report.clean, report.problems
    with store_lease(store, "govcorpus check --repair"):  # as the command holds it
        repair_store(store, report)
    after = check_store(store)
    assert after.clean, after.problems
    StoreDedupIndex(store)  # opens again
    if damage != "a record garbled":  # that record is gone: its URL is fetched again by the next crawl
        assert links(store) == expected_links  # the same canonicals as before the damage
    if damage == "orphan manifest parts":
        lines = list(read_manifest(store, "manifests/20200101T000000Z-abcdef.jsonl"))
        assert len(lines) == 6 and lines[-1]["stats"]["counts"]["failed"] == 5 and "repaired" in lines[-1]["stats"]


def test_two_writers_without_a_lease_damage_the_store_and_repair_rebuilds_it(pristine: Path, tmp_path: Path) -> None:
    """What two crawls at once did before the lease: each loaded the same index, each wrote its own view."""
    source = open_store(str(pristine))
    docs = [doc for doc in (Corpus(source).get(entry["id"]) for entry in Corpus(source).entries()) if doc is not None]
    store = open_store(str(tmp_path / "corpus"))
    first, second = Journey(Corpus(store), run_id="r1"), Journey(Corpus(store), run_id="r2")
    for number, doc in enumerate(docs):
        writer = first if number % 2 else second
        writer.dedup.flush_every = 2  # type: ignore[attr-defined]
        raw = read_response(source, WarcRef.from_dict(doc.warc_records[0])).body
        writer.ingest(Exchange(Fetched(doc.url, doc.url, 200, doc.raw_headers, raw, doc.fetched_at)))
    first.close()
    second.close()
    report = check_store(store)  # each overwrote the other's segments and index: a mix that may even load
    assert report.has("dedup_unreadable", "dedup_missing_documents") and report.has("index_missing_documents"), report.problems
    repair_store(store, report)
    assert check_store(store).clean
    assert links(store) == links(source)  # the canonicals an orderly crawl gave


def test_no_command_answers_a_damaged_store_with_a_traceback(site: tuple[SiteServer, Path], store: ObjectStore) -> None:
    truncate_index(store)
    write_a_dedup_segment_twice(store)
    uri = store.uri
    some_id = next(iter(store.list("documents/"))).removeprefix("documents/")[:8]
    commands = [
        ["show", some_id, "--store", uri],  # ls, export, serve's queries read index.jsonl the same way
        ["crawl", "--config", str(site[1]), "--store", uri, *QUICK],
        ["fetch", f"{site[0].base_url}/art/t20240117_1.html", "--store", uri, *QUICK],
    ]
    for command in commands:
        result = run_cli(*command)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, (command, result.stderr)
        assert f"run `govcorpus check --repair --store {uri}`" in result.stderr, (command, result.stderr)
    assert run_cli("runs", "--store", uri).returncode == 0  # manifests are intact: runs still lists them
    checked = run_cli("check", "--store", uri)
    assert checked.returncode == 1
    assert {line.split(":", 1)[0] for line in checked.stdout.splitlines() if line.startswith(("index_", "dedup_"))} == {
        "index_unreadable", "dedup_unreadable",
    }  # fmt: skip
    repaired = run_cli("check", "--repair", "--store", uri)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "consistent (18 documents" in repaired.stdout
    assert run_cli("ls", "--store", uri).returncode == 0


def test_check_on_s3(pristine: Path, s3_uri: str) -> None:
    store = open_store(s3_uri)
    source = open_store(str(pristine))
    for key in source.list():
        store.put(key, source.get(key))
    assert check_store(store).clean
    lose_a_dedup_segment(store)
    kill_during_part_delete(store)
    report = check_store(store)
    assert report.has("dedup_unreadable", "manifest_parts_left_over")
    repair_store(store, report)
    assert check_store(store).clean and links(store) == links(source)


def _one_line_naming_repair(result: Any, uri: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"run `govcorpus check --repair --store {uri}`" in result.stderr, result.stderr


@pytest.mark.parametrize("damage", ["index deleted", "half the index lost"])
def test_read_commands_refuse_a_store_whose_index_lost_documents(damage: str, store: ObjectStore, tmp_path: Path) -> None:
    if damage == "index deleted":
        store.delete(INDEX_KEY)
    else:
        lose_half_the_index(store)
    uri = store.uri
    some_id = sorted(store.list("documents/"))[-1].removeprefix("documents/")[:8]
    for command in (["ls"], ["ls", "--json"], ["export", "--out", str(tmp_path / "export")], ["show", some_id]):
        result = run_cli(*command, "--store", uri)
        _one_line_naming_repair(result, uri)
        assert "index.jsonl" in result.stderr and "documents are" in result.stderr, result.stderr
        assert result.stdout == "", result.stdout  # nothing listed, nothing "Exported 0"
    assert not (tmp_path / "export").exists()
    with pytest.raises(StoreDamaged, match="check --repair"):
        query_documents(Corpus(store), region=None, year=None, doc_type=None, q=None, offset=0, limit=20)
    # The service holds the lease itself: still damage, not "in flight".
    with store_lease(store, "govcorpus serve"), pytest.raises(StoreDamaged, match="check --repair"):
        query_documents(Corpus(store), region=None, year=None, doc_type=None, q=None, offset=0, limit=20)
    assert run_cli("check", "--repair", "--store", uri).returncode == 0
    listed = run_cli("ls", "--store", uri)
    assert listed.returncode == 0 and listed.stderr.strip() == "18 documents", listed.stderr


def test_a_new_run_is_refused_on_a_store_whose_index_is_gone(site: tuple[SiteServer, Path], store: ObjectStore) -> None:
    """It would write an index of its own documents only and hide every earlier one."""
    store.delete(INDEX_KEY)
    uri = store.uri
    crawl = run_cli("crawl", "--config", str(site[1]), "--store", uri, *QUICK)
    _one_line_naming_repair(crawl, uri)
    fetch = run_cli("fetch", site[0].url("/"), "--store", uri, *QUICK)
    _one_line_naming_repair(fetch, uri)
    assert not store.exists(INDEX_KEY)  # nothing was written
    assert run_cli("check", "--repair", "--store", uri).returncode == 0
    again = run_cli("crawl", "--config", str(site[1]), "--store", uri, *QUICK)
    assert again.returncode == 0, again.stderr
    assert run_cli("ls", "--store", uri).stderr.strip() == "18 documents"


def test_a_new_empty_store_lists_nothing_without_complaint(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    listed = run_cli("ls", "--store", str(tmp_path / "corpus"))
    assert listed.returncode == 0 and listed.stderr.strip() == "0 documents", listed.stderr
    exported = run_cli("export", "--store", str(tmp_path / "corpus"), "--out", str(tmp_path / "export"))
    assert exported.returncode == 0 and "Exported 0 canonical documents" in exported.stdout, exported.stderr


def test_documents_of_a_run_under_way_are_announced_not_called_damage(store: ObjectStore, tmp_path: Path) -> None:
    """Before a crawl's first index is written, ls and export say what is not listed yet, and why."""
    store.delete(INDEX_KEY)
    uri = store.uri
    with store_lease(store, "govcorpus crawl --config sources.toml"):  # a crawl running in another process
        listed = run_cli("ls", "--store", uri)
        assert listed.returncode == 0, listed.stderr
        assert "being written by `govcorpus crawl --config sources.toml`" in listed.stderr, listed.stderr
        assert "18 documents stored so far are not listed yet (the index is written when it ends)" in listed.stderr
    store.put("runs/active/dupsite-0.json", json.dumps({"run_id": "20990101T000000Z-abcdef", "job": "dupsite-0"}).encode())
    exported = run_cli("export", "--store", uri, "--out", str(tmp_path / "export"))  # the crawl was killed
    assert exported.returncode == 0, exported.stderr
    assert "run 20990101T000000Z-abcdef is unfinished: 18 documents it stored are not listed yet" in exported.stderr
    assert "re-run its crawl command to resume it" in exported.stderr
    answer = query_documents(Corpus(store), region=None, year=None, doc_type=None, q=None, offset=0, limit=20)
    assert answer["total"] == 0 and "is unfinished" in answer["note"]


def test_warc_records_that_cannot_be_read_back_are_found(store: ObjectStore) -> None:
    """A WARC file emptied (`: > warc/<run>-00001.warc.gz`) or damaged inside one record: check names it, repair cannot help."""
    docs = [doc for doc in (Corpus(store).get(entry["id"]) for entry in Corpus(store).entries()) if doc is not None]
    victim = docs[0]
    ref = victim.warc_records[0]
    data = bytearray(store.get(ref["file"]))
    for at in range(ref["offset"] + ref["length"] // 2, ref["offset"] + ref["length"] // 2 + 16):
        data[at] ^= 0x55  # inside the record's compressed bytes: warcio alone reads it as a shorter body
    store.put(ref["file"], bytes(data))
    report = check_store(store)
    assert set(report.problems) == {"warc_record_unreadable"}, report.problems
    problem = report.problems["warc_record_unreadable"]
    assert problem.count == 1 and victim.id in problem.example and not problem.repairable
    with pytest.raises(ValueError, match="gzip"):
        read_response(store, WarcRef.from_dict(ref))  # what reclean reads: refused (no_raw), not a shorter body

    files = {record["file"] for doc in docs for record in doc.warc_records}
    for key in files:
        store.put(key, b"")
    checked = run_cli("check", "--store", store.uri)
    assert checked.returncode == 1
    assert f"warc_record_unreadable: {len(docs)} documents whose WARC record cannot be read back" in checked.stdout, checked.stdout
    assert "the file ends at byte 0" in checked.stdout and "reclean` fails them with no_raw" in checked.stdout
    assert "cannot rebuild these" in checked.stderr and "Run `govcorpus check --repair" not in checked.stderr
    repaired = run_cli("check", "--repair", "--store", store.uri)
    assert repaired.returncode == 1 and "warc_record_unreadable" in repaired.stdout, repaired.stdout


def test_runs_json_lists_unfinished_runs_too(store: ObjectStore) -> None:
    """An interrupted crawl's run: in `runs` and `runs --json` (with "finished": false and its lines so far)."""
    assert not [path for path in (Path(store.uri) / "manifests").iterdir() if path.is_dir()]  # finished: no parts folder
    (key,) = manifest_keys(store)
    lines = [line for line in read_manifest(store, key) if "url" in line]
    run = "20990101T000000Z-abcdef"
    store.put(f"manifests/{run}/part-000000.jsonl", "".join(json.dumps(line) + "\n" for line in lines[:3]).encode())
    store.put("runs/active/dupsite-0.json", json.dumps({"run_id": run, "job": "dupsite-0", "started_at": "2099-01-01T00:00:00Z"}).encode())
    listed = json.loads(run_cli("runs", "--json", "--store", store.uri).stdout)
    assert [(entry["run"], entry["finished"]) for entry in listed] == [(key[len("manifests/") : -len(".jsonl")], True), (run, False)]
    unfinished = listed[1]
    assert unfinished["job"] == "dupsite-0" and unfinished["urls"] == 3 and sum(unfinished["counts"].values()) == 3
    plain = run_cli("runs", "--store", store.uri)
    assert f"{run}  unfinished (dupsite-0, 3 URLs so far): re-run the same command to resume it" in plain.stdout
