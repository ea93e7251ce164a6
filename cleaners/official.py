"""The parts of a 公文 (official document) that are metadata, read from its text lines.

GB/T 9704-2012《党政机关公文格式》 lays a 公文 out as 版头 (7.2: 份号, 密级, 紧急程度, 发文机关标志,
发文字号, 签发人), 主体 (7.3: 标题, 主送机关, 正文, 附件说明, 发文机关署名, 成文日期, 印章, 附注,
附件) and 版记 (7.4: 抄送机关, 印发机关和印发日期). `official_fields` finds, by position and form:

  issuer           the 发文机关标志 (7.2.3: 路桥区卫生局文件, or the organ's name alone), else the
                   发文机关署名 (7.3.5.1) above the 成文日期, else the organ that opens the title
                   (7.3.1: 标题由发文机关名称、事由和文种组成 — 国务院关于…的通知)
  document_number  the 发文字号 (7.2.4: 机关代字、年份、发文顺序号, 京政发〔2024〕12号), written
                   canonically: year in 〔〕 whatever brackets the text used, no 第, no leading zeros
  signer           签发人 (7.2.5), on the 发文字号 line of an upward document
  addressee        the 主送机关 (7.3.2: below the title, flush left, ending in a full-width colon)
  written_date     the 成文日期 (7.3.5: below the 署名, after the body and before the 版记), or the
                   date of a 题注 such as （2007年6月29日…会议通过）, as YYYY-MM-DD

Only whole lines are read (a 发文字号 quoted in the body is not the document's), and only the
head (before the first sentence) and the tail (after it, before the 版记). Organ names are
recognised by their endings (rules/official.toml), so a salutation (各位代表：) is no 主送机关.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from cleaners.dates import is_date_line, iso_date
from cleaners.layout import SOFT_BREAK, glue
from cleaners.titles import is_title_line

RULES_PATH: Traversable = files("cleaners") / "rules" / "official.toml"

# 发文字号: 机关代字 + year in brackets + 发文顺序号 + 号. After NFKC ［］（） are [] ().
_BRACKET_OPEN, _BRACKET_CLOSE = "〔[(【〖", "〕])】〗"
DOCUMENT_NUMBER_RE = re.compile(
    rf"(?P<code>[\u4e00-\u9fffA-Za-z]{{1,20}})\s*[{re.escape(_BRACKET_OPEN)}]\s*(?P<year>(?:19|20)\d{{2}})\s*"
    rf"[{re.escape(_BRACKET_CLOSE)}]\s*第?\s*(?P<seq>\d{{1,5}})\s*号"
)
SIGNER_RE = re.compile(r"签\s*发\s*人\s*[:：]\s*(?P<signer>[\u4e00-\u9fff·\s]{2,30}?)\s*$")
ISSUER_MARK_RE = re.compile(r"^(?P<issuer>.{2,60}?)\s*文件$")
# A sentence ends the head: the body has begun.
SENTENCE_RE = re.compile(r"[。！？；!?;]")
BODY_LINE_CHARS = 60
ADDRESSEE_SPLIT_RE = re.compile(r"[，,、；;\s]+")
PAGE_NUMBER_RE = re.compile(r"^[-—－–\s]*\d{1,4}[-—－–\s]*$")


@dataclass(frozen=True)
class OfficialRules:
    """rules/official.toml, read once."""

    organ_suffixes: tuple[str, ...]
    colophon_openers: tuple[str, ...]
    colophon_endings: tuple[str, ...]
    caption_verbs: tuple[str, ...]
    empty_values: frozenset[str]
    head_lines: int
    max_addressee_chars: int
    max_organ_chars: int


@cache
def rules() -> OfficialRules:
    with RULES_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    return OfficialRules(
        organ_suffixes=tuple(data["organ_suffixes"]),
        colophon_openers=tuple(data["colophon_openers"]),
        colophon_endings=tuple(data["colophon_endings"]),
        caption_verbs=tuple(data["caption_verbs"]),
        empty_values=frozenset(value.lower() for value in data["empty_values"]),
        head_lines=data["head_lines"],
        max_addressee_chars=data["max_addressee_chars"],
        max_organ_chars=data["max_organ_chars"],
    )


def is_empty_value(value: str) -> bool:
    """A placeholder a disclosure table writes for an empty field (无, -, /)."""
    return value.strip().lower() in rules().empty_values


# ---------------------------------------------------------------- single parts


def document_number(text: str) -> str | None:
    """The 发文字号 that `text` is, whole (a 签发人 after it allowed), in canonical form; else None.

    路卫发〔2011〕76号, 临翔发改复[2018]172号, 国发（2024）第05号 → 国发〔2024〕5号
    (GB/T 9704-2012 7.2.4: the year in 六角括号 〔〕, 发文顺序号 without 第 and 虚位).
    """
    text = SIGNER_RE.sub("", unicodedata.normalize("NFKC", text)).strip()
    match = DOCUMENT_NUMBER_RE.fullmatch(text)
    if match is None:
        return None
    return f"{match['code']}〔{match['year']}〕{int(match['seq'])}号"


def signer(text: str) -> str | None:
    """The 签发人 named on a line (签发人：张三 李四), spaces squashed; else None."""
    match = SIGNER_RE.search(unicodedata.normalize("NFKC", text))
    return " ".join(match["signer"].split()) if match else None


def is_organ(name: str) -> bool:
    """Whether `name` reads as an organ's name: short, no punctuation, an organ's ending."""
    name = name.strip()
    return (
        1 < len(name) <= rules().max_organ_chars
        and not re.search(r"[\d:：。，,、；;！？!?（）()《》“”\"]", name)
        and name.endswith(rules().organ_suffixes)
    )


def organ_names(line: str) -> str | None:
    """The organ (or joint organs, 、-separated) that a whole line names; else None."""
    names = line.split()
    if names and all(is_organ(name) for name in names):
        return "、".join(names)
    return None


def issuer_mark(line: str) -> str | None:
    """The issuer a 发文机关标志 names (GB/T 9704-2012 7.2.3): 路桥区卫生局文件 → 路桥区卫生局.

    Joint marks (中共某县委 某县人民政府文件) give their organs joined by 、.
    """
    match = ISSUER_MARK_RE.match(line.strip())
    return organ_names(match["issuer"]) if match else None


def addressee(line: str) -> str | None:
    """The 主送机关 a line is (GB/T 9704-2012 7.3.2: organ names, a colon at the end); else None.

    各乡镇人民政府，县政府各部门： → 各乡镇人民政府，县政府各部门. A salutation (各位代表：) is not
    one: the last name must end as an organ's does.
    """
    line = line.strip()
    if not line.endswith(("：", ":")) or len(line) > rules().max_addressee_chars or SENTENCE_RE.search(line):
        return None
    names = line[:-1].strip()
    parts = [part for part in ADDRESSEE_SPLIT_RE.split(names) if part]
    if not parts or not parts[-1].endswith(rules().organ_suffixes):
        return None
    return names


def caption_date(line: str) -> str | None:
    """The date of a 题注 in brackets: （2007年6月29日第十届…会议通过） → 2007-06-29."""
    line = unicodedata.normalize("NFKC", line.strip())
    if not (line.startswith("(") and line.endswith(")")):
        return None
    if not any(verb in line for verb in rules().caption_verbs):
        return None
    return iso_date(line)


def title_issuer(title: str | None) -> str | None:
    """The organ that opens a title (GB/T 9704-2012 7.3.1): 国务院关于…的通知 → 国务院."""
    if not title or "关于" not in title:
        return None
    head = title.split("关于", 1)[0].strip()
    return organ_names(head) if head else None


def is_colophon(line: str) -> bool:
    line = line.strip()
    return line.startswith(rules().colophon_openers) or line.endswith(rules().colophon_endings)


def is_body_line(line: str) -> bool:
    """A sentence of the body: punctuated as one, or too long for a head part."""
    return bool(SENTENCE_RE.search(line)) or len(line) > BODY_LINE_CHARS


# ---------------------------------------------------------------- the document


def text_lines(text: str) -> list[str]:
    """Non-empty lines, soft breaks inside a paragraph counted as line ends, page numbers left out."""
    lines = (line.strip() for line in text.replace(SOFT_BREAK, "\n").split("\n"))
    return [line for line in lines if line and not PAGE_NUMBER_RE.match(line)]


def read_head(lines: list[str]) -> tuple[dict[str, str], int]:
    """Fields of the 版头 and the lines above the body, and the index where the body begins."""
    fields: dict[str, str] = {}
    start = next((i for i, line in enumerate(lines[: rules().head_lines]) if is_body_line(line)), None)
    if start is None:
        return fields, len(lines)
    bare_mark = organ_names(lines[0]) if start > 0 else None
    for index, line in enumerate(lines[:start]):
        if (mark := issuer_mark(line)) and "issuer" not in fields:
            fields["issuer"] = mark
        elif number := document_number(line):
            fields.setdefault("document_number", number)
            if name := signer(line):
                fields.setdefault("signer", name)
        elif name := signer(line):
            fields.setdefault("signer", name)
        elif date := caption_date(line):
            fields.setdefault("written_date", date)
        elif (names := addressee(line)) and "addressee" not in fields:
            fields["addressee"] = names
        elif is_date_line(line) and index > 0 and (organs := organ_names(lines[index - 1])):
            # 署名 and date set under the title, as bulletins (公报) are: 某州统计局 / 2017年3月16日.
            fields.setdefault("written_date", iso_date(line) or "")
            fields.setdefault("signature", organs)
    if bare_mark and "issuer" not in fields and "document_number" in fields:
        fields["issuer"] = bare_mark  # 7.2.3 also allows the organ's name without 文件 (信函格式)
    return fields, start


def closes_body(line: str) -> bool:
    """A line a 成文日期 may stand under: the 署名, the body's last sentence, or the 附件说明 (7.3.4)."""
    return bool(organ_names(line)) or line.endswith(("。", "！", "!")) or line.startswith("附件")


def read_tail(lines: list[str], start: int) -> dict[str, str]:
    """The 成文日期 and the 署名 above it: the first date line after the body began, before the 版记.

    The date stands alone on its line (or after the 署名 on the same line) right under the
    署名, the body's last sentence or the 附件说明 (GB/T 9704-2012 7.3.5), so a date under a label
    (批准时间 / 2023年12月27日) is not one.
    """
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if is_colophon(line):
            break
        cells = line.split()
        if is_date_line(line) and closes_body(lines[index - 1]):
            fields = {"written_date": iso_date(line) or ""}
            if organs := organ_names(lines[index - 1]):
                fields["signature"] = organs
            return fields
        if len(cells) > 1 and is_date_line(cells[-1]) and (organs := organ_names(" ".join(cells[:-1]))):
            return {"written_date": iso_date(cells[-1]) or "", "signature": organs}
    return {}


def is_head_part(line: str) -> bool:
    """A 发文机关标志 or a 发文字号: what a reader that takes the largest or first line may take for the title."""
    return bool(issuer_mark(line) or document_number(line))


def head_title(text: str) -> str | None:
    """The title set under the 版头 (GB/T 9704-2012 7.3.1: below the 发文字号, over one or more lines).

    Only found when the text has a 版头 (a 发文机关标志 or 发文字号 above it); the title runs until
    the 主送机关, a 题注 or the body.
    """
    lines = text_lines(text)
    _, start = read_head(lines)
    pieces: list[str] = []
    below_head = False
    for line in lines[:start]:
        if is_head_part(line) or signer(line):
            below_head, pieces = True, []
        elif below_head:
            if addressee(line) or caption_date(line) or not is_title_line(line):
                break
            pieces.append(line)
    title = ""
    for piece in pieces:
        title = glue(title, piece)
    return title or None


def official_fields(text: str, title: str | None = None) -> dict[str, str]:
    """The 公文 fields of a document's text (see the module docstring); only those found.

    `text` is a reader's text before cleaning (the 版头 above the title is still there), one
    paragraph per line. `title` is the document's title, if known (its opening organ is the
    issuer of last resort).
    """
    lines = text_lines(text)
    head, start = read_head(lines)
    tail = read_tail(lines, start) if start < len(lines) else {}
    fields = {**tail, **head}  # a date in the head (题注, or under the title) is the document's own
    signature = fields.pop("signature", None)
    issuer = fields.get("issuer") or signature or title_issuer(title)
    if issuer:
        fields["issuer"] = issuer
    return {key: value for key, value in fields.items() if value}
