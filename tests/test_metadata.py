"""Report metadata recovered by rules, checked against ../shared/gold/gold.json and general cases."""

from __future__ import annotations

import json

import pytest
from support import SHARED

from cleaners.metadata import infer_metadata

GOLD = json.loads((SHARED / "gold" / "gold.json").read_text(encoding="utf-8"))
# What a page gives besides its text: the title it shows and its metadata table.
PAGES = {
    "001": ("2023年上海市静安区政府工作报告", {}, "http://127.0.0.3/thread-12345-1-1.html"),
    "002": ("政府工作报告", {}, "http://127.0.0.2/files/2024/jingan_gzbg_2024.pdf"),
    "003": (
        "新华路街道2023年工作总结",
        {"issuer": GOLD["003"]["publisher"], "published": "2024-02-02"},
        "http://127.0.0.2/art/2024/2/2/art_4157_5678.html",
    ),
    "004": ("2024年长宁区政府工作报告", {}, "http://127.0.0.4/baogao/huadong/9817.html"),
}
# gold.json predates the standard names: its `publisher` is the disclosure table's 发布机构, the
# organ that issued the document, which is `issuer` here (`publisher` is the website); it comes
# from the table as it is (tests/test_extract.py) and gives the region, which is checked.
FIELDS = ("region", "doc_type", "year", "delivered", "speaker", "published")


@pytest.mark.parametrize("gold_id", sorted(PAGES))
def test_gold_metadata_is_recovered(gold_id: str) -> None:
    title, table, url = PAGES[gold_id]
    text = (SHARED / "gold" / f"{gold_id}.txt").read_text(encoding="utf-8")
    found = infer_metadata(title, text, table, url)
    expected = {field: GOLD[gold_id][field] for field in FIELDS if field in GOLD[gold_id]}
    assert {field: found.get(field) for field in expected} == expected


def test_meeting_comes_from_the_subtitle_line() -> None:
    text = "——2024年1月17日在静安区第二届人民代表大会第四次会议上\n静安区区长王华\n各位代表："
    found = infer_metadata("政府工作报告", text)
    assert found["meeting"] == "静安区第二届人民代表大会第四次会议"
    assert found["delivered"] == "2024-01-17" and found["year"] == 2024


@pytest.mark.parametrize(
    ("title", "text", "region"),
    [
        ("2024年浙江省人民政府工作报告", "", "浙江省"),
        ("杭州市西湖区2023年国民经济和社会发展统计公报", "", "杭州市西湖区"),
        ("政府工作报告", "——2023年1月10日在朝阳区人民代表大会上\n朝阳区区长 张三\n北京市朝阳区北京北京", "北京市朝阳区"),
        ("关于2023年度工作的报告", "", None),
        ("国务院政府工作报告", "", None),
        ("11月德清县召开农村工作会议", "", "德清县"),  # a date part is not part of the place
        ("河北各市2012年政府工作报告汇总", "", None),  # 各市 is "every city", not a place
    ],
)
def test_region_rules_are_general(title: str, text: str, region: str | None) -> None:
    assert infer_metadata(title, text).get("region") == region


def test_dates_in_portal_urls_are_publication_dates() -> None:
    assert infer_metadata("x", "", url="http://gov.invalid/art/2024/2/2/art_1_2.html")["published"] == "2024-02-02"
    assert infer_metadata("x", "", url="http://gov.invalid/zwgk/t20231130_99.html")["published"] == "2023-11-30"
    assert "published" not in infer_metadata("x", "", url="http://gov.invalid/a/2024/13/40/x.html")
