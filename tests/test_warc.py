"""The raw archive: WARC files in the store that warcio and datatrove read, and references that find their records."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path

import pytest
from support import SHARED
from warcio.archiveiterator import ArchiveIterator

from cleaners.document import Fetched
from storage.backends import open_store
from storage.warc import PreparedRecords, WarcArchive, WarcRef, iter_responses, prepare_records, read_response, record_problem, segment_key

GBK_PAGE = (SHARED / "realworld" / "gbk-originals" / "3.html").read_bytes()


def exchange(url: str, body: bytes, **headers: str) -> Fetched:
    return Fetched(
        url=url,
        final_url=headers.pop("final_url", url),
        status=int(headers.pop("status", "200")),
        headers={"content-type": "text/html; charset=gbk", **headers},
        body=body,
        fetched_at="2026-11-29T10:00:00+00:00",
    )


def test_records_round_trip_through_their_references(store_uri: str) -> None:
    store = open_store(store_uri)
    archive = WarcArchive(store, "run-a")
    pages = [
        exchange("https://www.example.gov.cn/a.html", GBK_PAGE),
        exchange("https://www.example.gov.cn/old", b"%PDF-1.7 binary \x00\xff", final_url="https://www.example.gov.cn/b.pdf"),
        exchange("https://www.example.gov.cn/c.html", b"<html>gone</html>", status="404", **{"content-encoding": "gzip"}),
    ]
    refs = [archive.write(page, role) for page, role in zip(pages, ["document", "parent", "continuation"], strict=True)]
    assert archive.flush() == segment_key("run-a", 1)
    assert archive.flush() is None  # nothing new: no empty file
    for page, ref in zip(pages, refs, strict=True):
        back = read_response(store, WarcRef.from_dict(ref.to_dict()))
        assert (back.url, back.final_url, back.status, back.body) == (page.url, page.final_url, page.status, page.body)
        assert back.headers["content-type"] == "text/html; charset=gbk"
        assert "content-encoding" not in back.headers  # the body is stored decoded
    assert [ref.role for ref in refs] == ["document", "parent", "continuation"]
    assert [(ref.uri, fetched.body) for ref, fetched in iter_responses(store)] == [(p.final_url, p.body) for p in pages]
    assert [ref for ref, _ in iter_responses(store, "run-a")] == [
        WarcRef(r.file, r.offset, r.length, r.uri) for r in refs
    ]


def test_a_resumed_run_never_overwrites_its_earlier_files(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "store"))
    first = WarcArchive(store, "run-b")
    first.write(exchange("https://x.gov.cn/1", b"one"))
    first.flush()
    again = WarcArchive(store, "run-b")  # a new process resuming the run
    ref = again.write(exchange("https://x.gov.cn/2", b"two"))
    again.flush()
    assert ref.file == segment_key("run-b", 2)
    assert sorted(store.list("warc/")) == [segment_key("run-b", 1), segment_key("run-b", 2)]
    assert read_response(store, ref).body == b"two"


def test_a_full_file_is_stored_and_the_next_one_started(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "store"))
    archive = WarcArchive(store, "run-c", max_bytes=1)  # every record fills a file
    refs = [archive.write(exchange(f"https://x.gov.cn/{n}", GBK_PAGE)) for n in range(3)]
    assert [ref.file for ref in refs] == [segment_key("run-c", n) for n in (1, 2, 3)]
    assert store.exists(segment_key("run-c", 3))  # flushed because it filled up, not by a call
    assert all(read_response(store, ref).body == GBK_PAGE for ref in refs)


def test_files_validate_with_warcio_digests_included(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = open_store(str(root))
    archive = WarcArchive(store, "run-d")
    for n in range(3):
        archive.write(exchange(f"https://x.gov.cn/{n}", GBK_PAGE + bytes([n])))
    key = archive.flush()
    assert key is not None
    path = root / key
    kinds = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            kinds.append(record.rec_type)
            record.content_stream().read()
            if record.rec_type == "response":
                assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert kinds == ["warcinfo"] + ["request", "response"] * 3
    checked = subprocess.run(
        [str(Path(sys.executable).parent / "warcio"), "check", "-v", str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "digest pass" in checked.stdout
    # One gzip member per record: the whole file is also plain gzip.
    assert gzip.decompress(path.read_bytes()).startswith(b"WARC/1.1")


def test_datatrove_reads_the_archive_as_it_is(tmp_path: Path) -> None:
    from datatrove.pipeline.readers import WarcReader

    root = tmp_path / "store"
    store = open_store(str(root))
    archive = WarcArchive(store, "run-e")
    html = "<html><head><title>静安区政府工作报告</title></head><body><p>各位代表：现在，我代表区人民政府作报告。</p></body></html>"
    archive.write(exchange("https://x.gov.cn/r.html", html.encode("utf-8"), **{"content-type": "text/html; charset=utf-8"}))
    archive.flush()
    documents = list(WarcReader(str(root / "warc"), glob_pattern="*.warc.gz")())
    assert [doc.metadata["url"] for doc in documents] == ["https://x.gov.cn/r.html"]
    assert "我代表区人民政府作报告" in documents[0].text


def test_a_reference_to_a_missing_file_or_wrong_offset_is_an_error(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "store"))
    archive = WarcArchive(store, "run-f")
    ref = archive.write(exchange("https://x.gov.cn/1", b"body"))
    with pytest.raises(KeyError):
        read_response(store, ref)  # not flushed yet: nothing may name it
    archive.flush()
    with pytest.raises(ValueError):
        read_response(store, WarcRef(ref.file, 0, ref.offset, ref.uri))  # the warcinfo and request records
    assert read_response(store, ref).body == b"body"


def test_each_record_is_its_own_gzip_member_at_the_default_level(tmp_path: Path) -> None:
    """Records are compressed at zlib's default level, not warcio's 9, each still readable alone from its offset."""
    import zlib

    store = open_store(str(tmp_path / "store"))
    archive = WarcArchive(store, "run-g")
    refs = [archive.write(exchange(f"https://x.gov.cn/{n}", GBK_PAGE + bytes([n]))) for n in range(2)]
    data = store.get(archive.flush() or "")
    for ref in refs:
        member = data[ref.offset : ref.offset + ref.length]
        # RFC 1952: XFL (byte 8) is 2 for the slowest level and 4 for the fastest; 0 for the others.
        assert member[:2] == b"\x1f\x8b" and member[8] == 0
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        record = inflater.decompress(member)
        assert record.startswith(b"WARC/1.1\r\n") and b"\r\nWARC-Type: response\r\n" in record
        assert inflater.eof and not inflater.unused_data
        assert read_response(store, ref).body == GBK_PAGE + bytes([refs.index(ref)])


def test_records_made_in_another_process_are_appended_as_if_written_here(tmp_path: Path) -> None:
    """Document workers make a page's records; the store's writer only appends them beside records it made itself."""
    import pickle

    pages = [
        exchange("https://x.gov.cn/a.html", GBK_PAGE),
        exchange("https://x.gov.cn/old", b"%PDF-1.7 \x00\xff", final_url="https://x.gov.cn/b.pdf"),
        exchange("https://x.gov.cn/c.html", b"<html>here</html>"),
    ]
    made_elsewhere = subprocess.run(
        [sys.executable, "-c", (
            "import pickle, sys; from storage.warc import prepare_records; "
            "pages = pickle.load(sys.stdin.buffer); "
            "sys.stdout.buffer.write(pickle.dumps([prepare_records(page, role) for page, role in pages]))"
        )],
        input=pickle.dumps([(pages[0], "document"), (pages[1], "parent")]), capture_output=True, check=True,
    ).stdout
    prepared: list[PreparedRecords] = pickle.loads(made_elsewhere)
    assert [(p.uri, p.role) for p in prepared] == [("https://x.gov.cn/a.html", "document"), ("https://x.gov.cn/b.pdf", "parent")]

    root = tmp_path / "store"
    store = open_store(str(root))
    archive = WarcArchive(store, "run-h")
    refs = [archive.append(prepared[0]), archive.write(pages[2], "continuation"), archive.append(prepared[1])]
    key = archive.flush()
    assert key is not None
    data = store.get(key)
    for page, ref in zip([pages[0], pages[2], pages[1]], refs, strict=True):
        assert record_problem(data, ref) is None
        back = read_response(store, ref)
        assert (back.url, back.final_url, back.body) == (page.url, page.final_url, page.body)
    assert [ref.role for ref in refs] == ["document", "continuation", "parent"]
    with (root / key).open("rb") as stream:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID"), r.rec_headers.get_header("WARC-Concurrent-To"))
                   for r in ArchiveIterator(stream, check_digests="raise")]
    assert [kind for kind, _, _ in records] == ["warcinfo"] + ["request", "response"] * 3
    for (_, _, concurrent_to), (_, response_id, _) in zip(records[1::2], records[2::2], strict=True):
        assert concurrent_to == response_id  # each request names the response it was made with
    checked = subprocess.run(
        [str(Path(sys.executable).parent / "warcio"), "check", str(root / key)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_prepared_records_are_the_ones_write_makes() -> None:
    page = exchange("https://x.gov.cn/old", GBK_PAGE, final_url="https://x.gov.cn/new.html")
    records = prepare_records(page, "frame")
    (request,) = ArchiveIterator(io.BytesIO(records.request))
    assert request.rec_type == "request"
    assert request.rec_headers.get_header("WARC-Target-URI") == "https://x.gov.cn/new.html"
    for response in ArchiveIterator(io.BytesIO(records.response), check_digests="raise"):
        assert response.rec_type == "response"
        assert response.rec_headers.get_header("WARC-Target-URI") == "https://x.gov.cn/new.html"
        assert response.rec_headers.get_header("WARC-Govcorpus-Requested-URI") == "https://x.gov.cn/old"
        assert response.rec_headers.get_header("WARC-Date") == "2026-11-29T10:00:00Z"
        assert response.content_stream().read() == GBK_PAGE
    assert (records.uri, records.role) == ("https://x.gov.cn/new.html", "frame")
