"""OFD (GB/T 33190): text in reading order, paragraphs from positions, title and metadata, tables;
glyph-code files refused. Real files from ../shared/realworld/documents and one of our own."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest
from office_docs import (
    OFD_ADDRESSEE,
    OFD_DATE,
    OFD_ISSUER,
    OFD_NUMBER,
    OFD_PARAGRAPHS,
    OFD_TABLE,
    OFD_TITLE,
    make_ofd,
)
from support import SHARED

from cleaners.document import Document, Fetched, Rejected
from cleaners.ofd import deltas, extract_ofd
from cleaners.pipeline import build_document, clean_title
from cleaners.steps import clean_text

DOCUMENTS = SHARED / "realworld" / "documents"


def fetched(body: bytes, content_type: str | None = "application/octet-stream", url: str = "http://example.test/notice") -> Fetched:
    headers = {"content-type": content_type} if content_type else {}
    return Fetched(url, url, 200, headers, body, datetime.now(UTC).isoformat())


def read_real(name: str) -> tuple[str | None, str, dict]:
    """Title, cleaned text and metadata of a realworld OFD (most are too short to pass the report
    filter, so they are read and cleaned here without it)."""
    ofd = extract_ofd((DOCUMENTS / name).read_bytes())
    title = clean_title(ofd.title)
    return title, clean_text(ofd.text, source_type="ofd", title=title), ofd.metadata


@pytest.fixture(scope="module")
def notice() -> Document:
    return build_document(fetched(make_ofd()))


def test_ofd_is_sniffed_by_content_and_titled_from_the_largest_text(notice: Document) -> None:
    assert notice.source_type == "ofd"
    assert notice.title == OFD_TITLE  # not DocInfo's Title (the issuer) nor the red header
    assert notice.metadata["issuer"] == OFD_ISSUER
    assert notice.metadata["document_number"] == OFD_NUMBER
    assert notice.metadata["author"] == "示范区人民政府办公室" and notice.metadata["created"] == "2024-02-02"
    assert notice.metadata["ofd.密级"] == "公开" and notice.metadata["pages"] == "2"


def test_hard_wrapped_lines_are_paragraphs_again_across_the_page_break(notice: Document) -> None:
    lines = notice.text.split("\n")
    assert lines[0] == OFD_ADDRESSEE
    for paragraph in OFD_PARAGRAPHS:
        assert paragraph in lines
    assert not any(line.startswith("—") for line in lines)  # page numbers from the templates dropped
    assert lines[-1] == OFD_DATE


def test_table_rows_are_tab_separated_and_in_metadata(notice: Document) -> None:
    lines = notice.text.split("\n")
    rows = ["\t".join(row) for row in OFD_TABLE]
    at = lines.index(rows[0])
    assert lines[at : at + 3] == rows
    assert notice.metadata["tables"] == [OFD_TABLE]


def test_delta_shorthand() -> None:
    assert deltas("g 3 1.5 2 g 2 0.5") == [1.5, 1.5, 1.5, 2.0, 0.5, 0.5]
    assert deltas(None) == [] and deltas("1 x") == [1.0]


def test_red_header_official_document() -> None:
    title, text, metadata = read_real("ofdrw-n.ofd")
    assert title == "关于同意张阿三同志辞职的批复"
    assert metadata["issuer"] == "测试符路桥区卫生局" and metadata["document_number"] == "路卫发〔2011〕76号"
    lines = text.split("\n")
    assert lines[0] == "区中医院："
    assert "你院《关于给张阿三同志辞职的请示》（路中医发〔2011〕10号）收悉。" in lines
    assert "张阿三，男，1978年2月出生，籍贯江西新建，2001年9月参加工作，本科学历，主治医师，系区中医院职工。" in lines
    assert any(line.startswith("该同志由于家庭、籍贯等原因") and line.endswith("同意张阿三同志辞职。") for line in lines)
    assert "— 1 —" not in text and "— 2 —" not in text


def test_letter_with_split_text_runs() -> None:
    title, text, metadata = read_real("ofdrw-testPathFillOpacity.ofd")
    assert title == "关于加快南货场铁路涵洞下穿建设的函"
    lines = text.split("\n")
    assert lines[:1] == ["蚌山区政府："]
    assert any(
        line.startswith("根据我市2023年房地产用地供应计划，蚌山区东海大道北侧、解放路西侧居住地块计划于7月份出让，按照7月7日")
        and line.endswith("并加快工程施工建设。")
        for line in lines
    )
    assert lines[-2:] == ["此函。", "2023年7月12日"]
    assert metadata["author"] == "dddddd"


def test_processing_slip_form() -> None:
    title, text, _ = read_real("ofdrw-signout.ofd")
    assert title == "XX市政府文件处理"
    lines = text.split("\n")
    assert "公文标题市委主要领导同志调研后续落实事项的通知" in lines
    assert "4、发至市商务局、市农业农村局、市交通运输局、市水利局。" in lines
    assert "收文机关秘书股\t收文登记人陈小明" in lines


def test_form_with_multi_line_text_codes() -> None:
    """DeltaY inside a TextCode wraps a long value over several lines of its cell."""
    _, text, metadata = read_real("ofdrw-testImageOverridePage.ofd")
    lines = text.split("\n")
    assert lines[:3] == ["临翔区棚户区改造安置房二期（地块二）", "2018-530902-70-01-002747", "临沧建投开发投资有限公司"]
    assert "临沧市临翔区发展和改革局关于同意临翔区棚" in lines and "批复（临翔发改复[2018]172号）" in lines
    assert metadata["ofd.native-producer"] == "SuwellFormSDK"


def test_certificate_with_template_text() -> None:
    """The certificate's heading is in the page template; the fields are on the page."""
    title, text, _ = read_real("ofdrw-zsbk.ofd")
    assert title == "建筑工程施工许可证"
    lines = text.split("\n")
    assert "根据《中华人民共和国建筑法》第八条规定，经审查，本建筑工程符合施工条件，准予施工。" in lines
    assert "中华观测中心1#楼\t2202.7\t2202.7\t0\t3\t0" in lines
    assert "七、凡未取得本证擅自施工的属违法建设，将按《中华人民共和国建筑法》的规定予以处罚。" in lines


def test_certificate_goes_through_the_whole_pipeline() -> None:
    built = build_document(fetched((DOCUMENTS / "ofdrw-zsbk.ofd").read_bytes()))
    assert built.source_type == "ofd" and built.title == "建筑工程施工许可证"
    assert ["中华观测中心2#楼", "1898.3", "1898.3", "0", "3", "0"] in built.metadata["tables"][-1]


def test_private_use_glyph_codes_are_refused() -> None:
    with pytest.raises(Rejected) as caught:
        build_document(fetched((DOCUMENTS / "ofdrw-ano.ofd").read_bytes()))
    assert caught.value.reason == "unreadable"
    assert caught.value.detail.startswith("ofd_glyph_codes:")


def test_broken_packages_are_unreadable() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("OFD.xml", b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'><ofd:DocBody/></ofd:OFD>")
    with pytest.raises(Rejected) as caught:
        build_document(fetched(buffer.getvalue()))
    assert caught.value.reason == "unreadable"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("OFD.xml", b"<not xml")
    with pytest.raises(Rejected) as caught:
        build_document(fetched(buffer.getvalue()))
    assert caught.value.reason == "unreadable"
