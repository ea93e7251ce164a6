"""Report metadata from the title, the subtitle and speaker lines, the metadata table and the URL.

Rule-based: each field has a small function; the patterns and word lists are data at the top.
`standard_metadata` puts the fields of an official document (disclosure table, <meta> tags,
公文 head and tail) in their standard form; `infer_metadata` adds what the text and title say.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import urlparse

from cleaners.dates import iso_date as _iso_date
from cleaners.official import document_number, is_empty_value
from cleaners.report_head import delivery, doc_type_in_opening, heading_year

REGIONS_PATH: Traversable = files("cleaners") / "rules" / "regions.toml"

DOC_TYPES = (
    "政府工作报告",
    "国民经济和社会发展统计公报",
    "统计公报",
    "公报",
    "工作总结",
    "工作报告",
    "施政报告",
    "白皮书",
    "规划纲要",
)
MUNICIPALITIES = ("北京", "上海", "天津", "重庆")
# Suffixes that name an organ of government, not a place: dropped from a publisher to get the region.
ORGAN_SUFFIXES = ("人民政府办公厅", "人民政府办公室", "人民政府", "办事处", "管委会", "管理委员会", "办公室", "政府")

# The fields of an official document (README "Metadata"), put in standard form by standard_metadata.
OFFICIAL_FIELDS = frozenset({
    "index_number", "subject", "keywords", "genre", "validity", "issuer", "publisher", "source",
    "addressee", "signer", "document_number", "written_date", "published",
})
DATE_FIELDS = ("published", "written_date")

_YEAR = re.compile(r"(20\d{2}|19\d{2})\s*年")
# Dates and their parts stand before place names in titles (11月德清县…) but are never part of one.
_DATE_PART = re.compile(r"(?:(?:20|19)\d{2}\s*年)?\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|(?:20|19)\d{2}\s*年")
_PLACE = re.compile(
    r"(?P<province>[\u4e00-\u9fff]{2,7}(?:省|自治区))?"
    r"(?P<city>[\u4e00-\u9fff]{2,8}?(?:市|自治州|地区|盟))?"
    r"(?P<county>[\u4e00-\u9fff]{1,8}?(?:区|县|旗|市))?"
    r"(?P<town>[\u4e00-\u9fff]{2,8}?(?:街道|镇|乡))?"
)
# Characters that never occur in a place name but often right before one (关于…, …的报告).
_NOT_IN_PLACE = set("的于和与及年度工作报告总结会议第届次关各")


def doc_type_of(title: str | None, text: str) -> str | None:
    """The kind of report the title (or, failing that, the opening) names.

    The opening may name it in a phrase instead (向大会报告政府工作: rules/report_head.toml).
    """
    for haystack in (title or "", text[:300]):
        for kind in DOC_TYPES:
            if kind in haystack:
                return kind
    return doc_type_in_opening(text[:300])


def iso_date(text: str) -> str | None:
    """The first whole date in `text` as YYYY-MM-DD (cleaners.dates.iso_date)."""
    return _iso_date(text)


def standard_value(name: str, value: Any) -> Any:
    """One field's value in standard form, or None when it says nothing.

    Dates become YYYY-MM-DD (a value that is no whole date is dropped); a 发文字号 takes its
    canonical form (cleaners.official.document_number) when it is one; an index number loses its
    spaces; other strings have their whitespace squashed. Placeholders (无, -, /) are nothing.
    Other fields, and values that are not strings (tables), are returned as they are.
    """
    if name not in OFFICIAL_FIELDS or not isinstance(value, str):
        return value
    value = " ".join(value.split())
    if not value or is_empty_value(value):
        return None
    if name in DATE_FIELDS:
        return iso_date(value)
    if name == "document_number":
        return document_number(value) or value
    if name == "index_number":
        return value.replace(" ", "")
    return value


def standard_metadata(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with every value in standard form (`standard_value`) and the empty ones left out."""
    standard = {name: standard_value(name, value) for name, value in fields.items()}
    return {name: value for name, value in standard.items() if value is not None}


def _place_in(text: str) -> str | None:
    """The longest administrative place name (省/市/区/县/街道 …) at the start of `text`."""
    best = ""
    for start in range(len(text)):
        match = _PLACE.match(text, start)
        found = match.group(0) if match else ""
        if match is None or not found or not any(match.group(level) for level in ("province", "city", "county", "town")):
            continue
        if not _NOT_IN_PLACE & set(found) and len(found) > len(best):
            best = found
        if best:
            break
    return best or None


def is_place_name(text: str) -> bool:
    """Whether `text` is an administrative place name and nothing more (黔东南苗族侗族自治州, 上海市静安区)."""
    return _place_in(text.strip()) == text.strip()


def _strip_organ(publisher: str) -> str:
    """上海市长宁区人民政府新华路街道办事处 → 上海市长宁区新华路街道."""
    for suffix in ORGAN_SUFFIXES:
        publisher = publisher.replace(suffix, "")
    return publisher


@cache
def municipal_districts() -> dict[str, tuple[str, ...]]:
    """rules/regions.toml: municipality (北京) -> the names of its districts and counties."""
    with REGIONS_PATH.open("rb") as fh:
        return {name: tuple(districts) for name, districts in tomllib.load(fh)["municipal_districts"].items()}


def _parent_municipality(place: str, text: str) -> str | None:
    """The municipality `place` lies in, when the text says so; else None.

    The text places it there when it writes the municipality right before it (北京市朝阳区,
    上海静安区), or names a municipality that has a district of that name (rules/regions.toml:
    a 静安区 report that speaks of 上海). A place in no municipality (雄安新区, in 河北省) gets
    none however often the text mentions 北京.
    """
    for name in MUNICIPALITIES:
        if re.search(f"{name}市?{re.escape(place)}", text):
            return f"{name}市"
    for name, districts in municipal_districts().items():
        if name in text and any(place.startswith(district) for district in districts):
            return f"{name}市"
    return None


def region_of(title: str | None, text: str, issuer: str | None, publisher: str | None = None) -> str | None:
    """The place a report is about: from its issuing organ, else its title, its speaker, the publishing site."""
    candidates = []
    if issuer:
        candidates.append(_strip_organ(issuer))
    if title:
        candidates.append(_DATE_PART.sub("", title))
    head = delivery(text)
    if head and head.speaker and head.speaker.place:
        candidates.append(head.speaker.place)
    if publisher:
        candidates.append(_strip_organ(publisher))
    for candidate in candidates:
        place = _place_in(candidate)
        if place:
            break
    else:
        return None
    if not any(place.startswith(name) for name in MUNICIPALITIES) and "省" not in place and "自治区" not in place:
        parent = _parent_municipality(place, f"{title or ''}\n{text}")
        if parent:
            place = parent + place
    return place


def year_of(
    title: str | None, delivered: str | None, published: str | None, text: str, written: str | None = None
) -> int | None:
    """The year a document belongs to: the year it reports on or was delivered in, not a year it reviews.

    In order: the year its title names (2023年周口市国民经济和社会发展统计公报 → 2023, though
    published in 2024; 2025年北京市政府工作报告 → 2025); else the year it was delivered (the
    delivery line's date: a 政府工作报告 is the report of the year it is delivered in, and reviews
    the year before); else its 成文日期; else the year its section headings give
    (cleaners.report_head.heading_year: 三、2016年重点工作 → 2016, 一、2018年工作回顾 → 2019);
    else the year it was published; else the first year in its opening.
    """
    match = _YEAR.search(title or "")
    if match:
        return int(match.group(1))
    for date in (delivered, written):
        if date:
            return int(date[:4])
    from_headings = heading_year(text)
    if from_headings is not None:
        return from_headings
    if published:
        return int(published[:4])
    match = _YEAR.search(text[:200])
    return int(match.group(1)) if match else None


def infer_metadata(
    title: str | None, text: str, fields: dict[str, Any] | None = None, url: str | None = None
) -> dict[str, Any]:
    """Metadata of a report from its title, text and URL.

    `fields` are what the page and the document already gave under standard names (disclosure
    table, <meta> tags, 公文 head: issuer, publisher, published, written_date …); the answer holds
    region, doc_type, year, delivered, meeting, speaker, and publisher and published (the page's
    date, else one in the URL), each only when found.
    """
    fields = standard_metadata(dict(fields or {}))
    head = delivery(text)
    delivered = head.date if head else None
    published = fields.get("published") or _date_in_url(url)
    metadata: dict[str, Any] = {
        "region": region_of(title, text, fields.get("issuer"), fields.get("publisher")),
        "doc_type": doc_type_of(title, text),
        "year": year_of(title, delivered, published, text, fields.get("written_date")),
        "delivered": delivered,
        "meeting": head.meeting if head else None,
        "speaker": head.speaker.name if head and head.speaker else None,
        "publisher": fields.get("publisher"),
        "published": published,
    }
    return {key: value for key, value in metadata.items() if value is not None}


def _date_in_url(url: str | None) -> str | None:
    """The publication date a URL's path carries, else None; the last resort for `published`.

    Portals and news sites file pages by date: /art/2024/2/2/…, /t20240202_…, /2024-02-02/,
    /2012-06/04/ (新华网). The separators may differ between the parts, as htmldate's URL rule
    (its COMPLETE_URL pattern, [/_-] between year, month and day) allows. A Wayback Machine
    capture's 14-digit timestamp is when it was archived, not published: it has no separators.
    """
    if not url:
        return None
    path = urlparse(url).path
    for pattern in (r"/(\d{4})[/_-](\d{1,2})[/_-](\d{1,2})/", r"/t(\d{4})(\d{2})(\d{2})_"):
        for match in re.finditer(pattern, path):
            year, month, day = (int(part) for part in match.groups())
            if 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return None
