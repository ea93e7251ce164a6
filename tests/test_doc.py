"""Word-binary documents (.doc, .wps in Word form): the same text as the DOCX they were saved from."""

from __future__ import annotations

import shutil
import struct
from datetime import UTC, datetime
from pathlib import Path

import olefile
import pytest
from office_docs import (
    ACCEPTED,
    DELETED,
    FIELD_INSTRUCTION,
    FIELD_RESULT,
    HIDDEN,
    LAYOUT_TEXT,
    TABLE,
    TITLE,
    features_docx,
)
from support import SHARED

from cleaners.doc import WordBinary, extract_doc, ole_format
from cleaners.document import Fetched, Rejected
from cleaners.pipeline import build_document

OFFICE = Path(__file__).parent / "fixtures" / "office"
FEATURES_DOC = OFFICE / "features.doc"


def fetched(body: bytes, content_type: str | None = "application/octet-stream", url: str = "http://example.test/a.doc") -> Fetched:
    headers = {"content-type": content_type} if content_type else {}
    return Fetched(url, url, 200, headers, body, datetime.now(UTC).isoformat())


def reason_of(body: bytes) -> Rejected:
    with pytest.raises(Rejected) as caught:
        build_document(fetched(body))
    return caught.value


def test_doc_reads_as_the_docx_it_was_saved_from() -> None:
    """Tracked changes accepted, field results, hidden text dropped, tables: as in the DOCX."""
    from_doc = build_document(fetched(FEATURES_DOC.read_bytes()))
    from_docx = build_document(fetched(features_docx(content_control=False), url="http://example.test/a.docx"))
    assert from_doc.source_type == "doc"
    assert from_doc.text == from_docx.text
    assert from_doc.title == from_docx.title == TITLE
    assert from_doc.metadata["tables"] == from_docx.metadata["tables"]


def test_doc_accepts_changes_and_keeps_field_results() -> None:
    built = build_document(fetched(FEATURES_DOC.read_bytes()))
    lines = built.text.split("\n")
    assert ACCEPTED in lines and DELETED not in built.text
    assert FIELD_RESULT in built.text and FIELD_INSTRUCTION not in built.text
    assert HIDDEN not in built.text
    assert "\t".join(TABLE[2]) in lines and "页码\t12\t7" in lines
    assert LAYOUT_TEXT in lines
    assert built.metadata["tables"][0][: len(TABLE)] == TABLE


def test_real_report_saved_as_doc_matches_its_docx() -> None:
    """national-report-2019 converted by LibreOffice once (tests/fixtures/office): same text."""
    from_doc = build_document(fetched((OFFICE / "national-report-2019.doc").read_bytes()))
    docx = (SHARED / "realworld" / "documents" / "national-report-2019.docx").read_bytes()
    from_docx = build_document(fetched(docx, url="http://example.test/a.docx"))
    assert from_doc.text == from_docx.text
    assert from_doc.title == "政府工作报告"
    assert "——2019年3月5日在第十三届全国人民代表大会第二次会议上" in from_doc.text.split("\n")


def test_a_wps_file_in_word_binary_form_is_read_by_content() -> None:
    built = build_document(fetched(FEATURES_DOC.read_bytes(), "application/kswps", "http://example.test/P020240202.wps"))
    assert built.source_type == "doc" and built.title == TITLE


def renamed_stream(data: bytes, old: str, new: str) -> bytes:
    """The same OLE2 file with one directory entry renamed (the name is 64 bytes of UTF-16LE
    followed by its byte length, [MS-CFB] 2.6.1)."""
    at = data.index(old.encode("utf-16-le") + b"\0\0")
    name = new.encode("utf-16-le") + b"\0\0"
    entry = bytearray(data[at : at + 128])
    entry[0:64] = name.ljust(64, b"\0")
    entry[64:66] = struct.pack("<H", len(name))
    return data[:at] + bytes(entry) + data[at + 128 :]


def test_other_ole2_files_are_unsupported_with_their_format_named() -> None:
    workbook = renamed_stream(FEATURES_DOC.read_bytes(), "WordDocument", "Workbook")
    refused = reason_of(workbook)
    assert refused.reason == "unsupported_type" and "Excel" in refused.detail
    unknown = reason_of(renamed_stream(FEATURES_DOC.read_bytes(), "WordDocument", "Unknown"))
    assert unknown.reason == "unsupported_type" and "Unknown" in unknown.detail


def patched(tmp_path: Path, offset: int, value: int) -> bytes:
    """features.doc with one 16-bit field of its FIB changed, written back in place by olefile."""
    path = tmp_path / "patched.doc"
    shutil.copyfile(FEATURES_DOC, path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        word = bytearray(ole.openstream("WordDocument").read())
        struct.pack_into("<H", word, offset, value)
        ole.write_stream("WordDocument", bytes(word))
    return path.read_bytes()


def test_word_95_and_encrypted_files_are_refused(tmp_path: Path) -> None:
    word95 = reason_of(patched(tmp_path, 2, 104))
    assert word95.reason == "unsupported_type" and "Word 6.0/95" in word95.detail
    flags = struct.unpack_from("<H", olefile.OleFileIO(str(FEATURES_DOC)).openstream("WordDocument").read(), 0x0A)[0]
    encrypted = reason_of(patched(tmp_path, 0x0A, flags | 0x0100))
    assert encrypted.reason == "unreadable" and "encrypted" in encrypted.detail


def test_broken_ole2_is_unreadable() -> None:
    assert reason_of(FEATURES_DOC.read_bytes()[:1024]).reason == "unreadable"
    with pytest.raises(Rejected):
        ole_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))


def word_streams(pieces: list[tuple[bytes, bool]]) -> tuple[bytes, bytes]:
    """A minimal Word 97 WordDocument and 0Table stream ([MS-DOC] 2.5.1 Fib, 2.9.38 Clx) holding
    `pieces`: (encoded text, compressed) — compressed pieces are cp1252 bytes, others UTF-16LE."""
    csw, cslw, pairs = 14, 22, 93
    fib = bytearray(32 + 2 + 2 * csw + 2 + 4 * cslw + 2 + 8 * pairs)
    struct.pack_into("<HH", fib, 0, 0xA5EC, 0x00C1)
    struct.pack_into("<H", fib, 32, csw)
    lw_at = 34 + 2 * csw
    struct.pack_into("<H", fib, lw_at, cslw)
    struct.pack_into("<H", fib, lw_at + 2 + 4 * cslw, pairs)
    word, cps, pcds = bytearray(fib), [0], []
    for raw, compressed in pieces:
        offset = len(word)
        word += raw
        count = len(raw) if compressed else len(raw) // 2
        cps.append(cps[-1] + count)
        fc = (offset * 2) | 0x40000000 if compressed else offset
        pcds.append(struct.pack("<HIH", 0, fc, 0))
    struct.pack_into("<i", word, lw_at + 2 + 12, cps[-1])  # ccpText
    plc = struct.pack(f"<{len(cps)}I", *cps) + b"".join(pcds)
    prc = b"\x01" + struct.pack("<h", 2) + b"\x00\x00"
    table = prc + b"\x02" + struct.pack("<I", len(plc)) + plc
    blob = lw_at + 2 + 4 * cslw + 2
    struct.pack_into("<II", word, blob + 8 * 33, 0, len(table))  # fcClx, lcbClx
    return bytes(word), table


def test_piece_table_with_8_bit_and_utf16_pieces() -> None:
    word, table = word_streams(
        [("Report \x932024\x94: ".encode("latin-1"), True), ("政府工作报告\r第二段。\r".encode("utf-16-le"), False)]
    )
    document = WordBinary(word, table)
    assert [(p[0], p[1], p[3]) for p in document.pieces()] == [(0, 15, True), (15, 27, False)]
    assert [p.text for p in document.paragraphs()] == ["Report “2024”: 政府工作报告", "第二段。"]


def test_fields_in_the_text_stream_keep_their_result() -> None:
    text = "详见\x13 HYPERLINK \"http://a.cn/\" \x14门户网站\x15页面\x13 PAGE \x15。\r"
    document = WordBinary(*word_streams([(text.encode("utf-16-le"), False)]))
    assert [p.text for p in document.paragraphs()] == ["详见门户网站页面。"]


def test_extract_doc_needs_text() -> None:
    with pytest.raises(Rejected) as caught:
        extract_doc(b"not an ole file at all")
    assert caught.value.reason == "unreadable"
