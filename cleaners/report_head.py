"""The head of a delivered report: when, at which meeting and by whom it was delivered, and its year.

A 政府工作报告 (and any report read out at a meeting) sets under its title a delivery line and a
speaker line. Published copies write them in several ways (rules/report_head.toml shows the
real variants): with or without the leading ——, the speaker on his own line or run into the
delivery line after the meeting (…会议上北京市市长殷勇同志作政府工作报告。) or before it
(…1月15日龚正市长在…会议的政府工作报告), and a line broken in two where the page was narrow.

`delivery` reads them; `heading_year` finds the year a report belongs to from its section
headings when its head names no date (a copy that starts at 各位代表：).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from cleaners.dates import iso_date

RULES_PATH: Traversable = files("cleaners") / "rules" / "report_head.toml"

_DATE = r"(?P<date>\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)"
# A delivery line starts with its date (after dashes, if any) and names the meeting: 在…会议上 / 在…会的.
_DELIVERY = re.compile(
    r"^[—－\-–―‐]*\s*" + _DATE + r"\s*(?P<before>[^在，。；：]{0,20}?)\s*在\s*(?P<meeting>[^，。；：]+?会议?)(?:上|的)(?P<after>.*)$"
)
# What may follow the meeting instead of a speaker: the report's name (的政府工作报告).
_REPORT_TAIL = re.compile(r"^[\u4e00-\u9fff]{0,12}报告[。.]?$")
_SENTENCE = re.compile(r"[。，；！？!?;,]")
_NUMBERING = r"(?:[一二三四五六七八九十]+\s*[、.．]|\d{1,2}\s*[、.．])?\s*"


@dataclass(frozen=True)
class ReportHeadRules:
    """rules/report_head.toml, read once."""

    office_titles: tuple[str, ...]
    acting_prefixes: tuple[str, ...]
    name_suffixes: tuple[str, ...]
    delivers_verbs: tuple[str, ...]
    name_min_chars: int
    name_max_chars: int
    head_lines: int
    plan_heading_words: tuple[str, ...]
    review_heading_words: tuple[str, ...]
    max_heading_chars: int
    doc_type_phrases: dict[str, tuple[re.Pattern[str], ...]]


@cache
def rules() -> ReportHeadRules:
    with RULES_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    return ReportHeadRules(
        office_titles=tuple(data["office_titles"]),
        acting_prefixes=tuple(data["acting_prefixes"]),
        name_suffixes=tuple(data["name_suffixes"]),
        delivers_verbs=tuple(data["delivers_verbs"]),
        name_min_chars=data["name_min_chars"],
        name_max_chars=data["name_max_chars"],
        head_lines=data["head_lines"],
        plan_heading_words=tuple(data["plan_heading_words"]),
        review_heading_words=tuple(data["review_heading_words"]),
        max_heading_chars=data["max_heading_chars"],
        doc_type_phrases={kind: tuple(re.compile(p) for p in phrases) for kind, phrases in data["doc_type_phrases"].items()},
    )


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


@cache
def _speaker_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """<place><office> <name>[同志][作…报告。] and <name><office> (the delivery line's 龚正市长)."""
    r = rules()
    office = rf"(?:{_alternatives(r.acting_prefixes)})?(?:{_alternatives(r.office_titles)})"
    name = rf"(?P<name>[\u4e00-\u9fff·]{{{r.name_min_chars},{r.name_max_chars}}}?)"
    tail = rf"(?:{_alternatives(r.name_suffixes)})?(?:(?:{_alternatives(r.delivers_verbs)})[\u4e00-\u9fff]{{0,12}}报告)?[。.]?"
    office_first = re.compile(rf"(?P<place>[\u4e00-\u9fff]{{0,16}}?){office}\s*{name}\s*{tail}")
    name_first = re.compile(rf"{name}{office}")
    return office_first, name_first


@dataclass(frozen=True)
class Speaker:
    """Who delivered a report: the name, and the place or organ written before the office (may be '')."""

    name: str
    place: str


@dataclass(frozen=True)
class Delivery:
    """When (YYYY-MM-DD), where and by whom a report was delivered; each None when not written."""

    date: str | None
    meeting: str | None
    speaker: Speaker | None


def speaker(line: str, name_first: bool = False) -> Speaker | None:
    """The speaker a whole line (or a piece of the delivery line) names, else None.

    广东省省长 王伟中 → (王伟中, 广东省); 北京市市长殷勇同志作政府工作报告。 → (殷勇, 北京市);
    浙江省代省长刘捷作政府工作报告 → (刘捷, 浙江省). With `name_first`, 龚正市长 → (龚正, '').
    """
    line = line.strip()
    if not line or _SENTENCE.search(line.rstrip("。.")):
        return None
    office_first, name_only = _speaker_patterns()
    match = office_first.fullmatch(line)
    if match:
        return Speaker(match["name"], match["place"])
    match = name_only.fullmatch(line) if name_first else None
    return Speaker(match["name"], "") if match else None


def delivery_line(line: str) -> tuple[str | None, str, Speaker | None] | None:
    """(date, meeting, speaker) of a delivery line, else None.

    The line starts with a whole date (——, ---- or nothing before it) and names the meeting
    (在…会议上, 在…会议的). Whatever stands around the meeting must be a speaker or the report's
    name, so a sentence that starts with a date (2024年5月10日在京召开的…会议上，…) is none.
    """
    match = _DELIVERY.match(line.strip())
    if match is None:
        return None
    before, after = match["before"].strip(), match["after"].strip()
    said_by = speaker(before, name_first=True) if before else None
    if before and said_by is None:
        return None
    if after and not _REPORT_TAIL.match(after):
        said_by = said_by or speaker(after)
        if said_by is None:
            return None
    return iso_date(match["date"]), match["meeting"].strip(), said_by


def delivery(text: str) -> Delivery | None:
    """The delivery and speaker lines among the head lines of `text`, else None.

    A delivery line broken in two (——2019年3月5日在第十三届全国人民 / 代表大会第二次会议上) is read
    joined. The speaker is the one the delivery line names, else the first speaker line near it.
    """
    lines = [line.strip() for line in text.splitlines()[: rules().head_lines + 1] if line.strip()]
    found: tuple[str | None, str, Speaker | None] | None = None
    for index, line in enumerate(lines[: rules().head_lines]):
        found = delivery_line(line)
        if found is None and index + 1 < len(lines):
            found = delivery_line(line + lines[index + 1])
        if found is not None:
            break
    said_by = found[2] if found else None
    if said_by is None:
        said_by = next((s for line in lines[: rules().head_lines] if (s := speaker(line))), None)
    if found is None and said_by is None:
        return None
    return Delivery(date=found[0] if found else None, meeting=found[1] if found else None, speaker=said_by)


def heading_year(text: str) -> int | None:
    """The year a report belongs to, from its section headings; None when none names one.

    A plan heading names it (三、2019年政府工作任务 → 2019); a review heading names the year
    before (一、2018年工作回顾 → 2019). The first plan heading wins over any review heading.
    """
    r = rules()
    heading = re.compile(rf"^{_NUMBERING}对?\s*(?P<year>(?:19|20)\d{{2}})\s*年度?\s*(?P<rest>.*)$")
    review: int | None = None
    for line in text.splitlines():
        line = line.strip()
        if len(line) > r.max_heading_chars or _SENTENCE.search(line):
            continue
        match = heading.match(line)
        if match is None:
            continue
        year, rest = int(match["year"]), match["rest"]
        if any(word in rest for word in r.plan_heading_words):
            return year
        if review is None and any(rest.startswith(word) for word in r.review_heading_words):
            review = year + 1
    return review


def doc_type_in_opening(opening: str) -> str | None:
    """The kind of report a phrase of its opening names (向大会报告政府工作 → 政府工作报告), else None."""
    for kind, phrases in rules().doc_type_phrases.items():
        if any(phrase.search(opening) for phrase in phrases):
            return kind
    return None
