"""The real-world pages of ../shared/realworld, their references, and how an extraction is scored.

Shared by `benchmarks/realworld.py` (govcorpus beside its peers) and
`tests/test_realworld_floor.py` (the CI quality floor), so both score the same way.

Subsets (`SUBSETS`) follow the folders of ../shared/realworld, with magic/ split by page kind:
  magic-article, magic-forum  hand-made gold (`magic/*.txt`): the one real score target
  gne                         expected snippets only (`*.expect.json`)
  gbk-originals               cx-extractor's output (`*.ref.txt`) and one `*.expect.json`
  readability, newspaper4k    Readability's / newspaper's own output (`expected.txt`)
Another tool's output is a reference to agree with, not gold: it carries that tool's mistakes
(../shared/realworld/README.md, "how far to trust them").
"""

from __future__ import annotations

import html
import json
import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from rapidfuzz.distance import LCSseq

ROOT = Path(__file__).resolve().parent.parent
REALWORLD_DIR = ROOT.parent / "shared" / "realworld"

SUBSETS: Final = ("magic-article", "magic-forum", "gne", "gbk-originals", "readability", "newspaper4k")
HTML_KINDS: Final = frozenset({"html-gold", "html-ref", "html-expect"})
# A page below this F1 is counted apart: it lost a paragraph or kept a block of chrome.
LOW_F1: Final = 0.8
# Every whitespace character, U+00A0 and U+3000 included (str.isspace), as the expect.json files say.
WHITESPACE_RE: Final = re.compile(r"\s+")
TITLE_TAG_RE: Final = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
# What separates a title from the site's name in a reference title, once whitespace is deleted.
TITLE_SEPARATOR_RE: Final = re.compile(r"[-_|｜—–@·]+|::")


@dataclass(frozen=True)
class RealPage:
    """One HTML page of ../shared/realworld and what it is scored against.

    `reference_kind` is "gold" (hand-made), "tool" (another extractor's output) or None (snippets only).
    """

    path: str  # relative to the realworld folder, e.g. "magic/article-06586406af5a.html"
    subset: str
    url: str | None
    body: bytes
    reference: str | None
    reference_kind: str | None
    expect: dict[str, Any] | None
    title: str | None = None  # the reference title (`reference_title`), None where the page states none
    title_is_tag: bool = False  # the reference title is the page's own <title>, site name and all


def subset_of(path: str) -> str:
    """The subset a page belongs to, from its path inside the realworld folder."""
    folder, _, name = path.partition("/")
    if folder == "magic":
        return "magic-" + name.split("-", 1)[0]  # magic-article | magic-forum
    return folder


def load_pages(data_dir: Path = REALWORLD_DIR, subsets: Iterable[str] = SUBSETS) -> list[RealPage]:
    """Every HTML page of the wanted subsets, in index.json order.

    Raises FileNotFoundError when the folder or its index.json is missing, ValueError on an
    unknown subset name.
    """
    wanted = set(subsets)
    if unknown := wanted - set(SUBSETS):
        raise ValueError(f"unknown subset {', '.join(sorted(unknown))}: choose from {', '.join(SUBSETS)}")
    index = json.loads((data_dir / "index.json").read_text(encoding="utf-8"))
    pages = []
    for entry in index["files"]:
        if entry["kind"] not in HTML_KINDS or (subset := subset_of(entry["path"])) not in wanted:
            continue
        gold, reference = entry.get("gold"), entry.get("reference")
        ref_path, kind = (gold, "gold") if gold else (reference, "tool") if reference else (None, None)
        expect = entry.get("expect")
        expected = json.loads((data_dir / expect).read_text(encoding="utf-8")) if expect else None
        body = (data_dir / entry["path"]).read_bytes()
        title = reference_title(data_dir, entry, expected, body)
        pages.append(
            RealPage(
                path=entry["path"],
                subset=subset,
                url=entry.get("url"),
                body=body,
                reference=(data_dir / ref_path).read_text(encoding="utf-8") if ref_path else None,
                reference_kind=kind,
                expect=expected,
                title=title,
                title_is_tag=is_page_title_tag(title, expected, body),
            )
        )
    return pages


# ---------------------------------------------------------------- titles


def reference_title(data_dir: Path, entry: dict[str, Any], expect: dict[str, Any] | None, body: bytes) -> str | None:
    """The title a page is checked against, from the strongest source that states one.

    In order: the `title` of its expect.json (picked by reading the page); the title of the
    reference tool's metadata (Readability's `expected-metadata.json`, newspaper's
    `<name>.metadata.json`); the `title` index.json records (the 网易 pages' <title>); the
    page's own <title> (the magic/ pages, whose gold has no title). The last two carry the
    site's name after a separator, which `title_match` allows for.
    """
    if expect and expect.get("title"):
        return str(expect["title"])
    reference = entry.get("reference") or ""
    metadata_files = [Path(reference).parent / "expected-metadata.json"] if reference else []
    if reference.endswith(".expected.txt"):
        metadata_files.append(Path(reference.removesuffix(".expected.txt") + ".metadata.json"))
    for metadata in (data_dir / name for name in metadata_files if (data_dir / name).is_file()):
        if title := json.loads(metadata.read_text(encoding="utf-8")).get("title"):
            return str(title)
    if entry.get("title"):
        return str(entry["title"])
    return title_tag(body)


def is_page_title_tag(title: str | None, expect: dict[str, Any] | None, body: bytes) -> bool:
    """Whether a reference title is the page's own <title> (site name and all), not a stated title.

    An expect.json title was picked by reading the page, so it is a stated title even where the
    page's <title> happens to be the same text.
    """
    if title is None or (expect and expect.get("title")):
        return False
    return title_key(title) == title_key(title_tag(body) or "")


def title_tag(body: bytes) -> str | None:
    """The text of a page's first <title> (UTF-8, else GB18030: every page here is one of them)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("gb18030", "replace")
    match = TITLE_TAG_RE.search(text)
    return (html.unescape(match.group(1)).strip() or None) if match else None


def title_key(title: str) -> str:
    """A title as titles are compared: NFKC, every whitespace character deleted (spaces between
    Chinese words differ between systems and are no part of the title's wording)."""
    return squeeze(title)


def title_match(ours: str | None, reference: str | None, is_tag: bool = False) -> str | None:
    """How a system's title compares with the reference title; None where there is no reference.

    "exact": the reference's text up to one of its separators ("X" of "X_网易财经", "X (2)" of
    "X (2) @ 博客名 :: 站名"), or the whole reference where it is a stated title and not a page's
    <title> (`is_tag`), or a <title> without separators; "contained": the reference's part before
    its first separator is inside ours, or ours is at least half of that part, or ours is the
    whole <title> with the site's name; "wrong": anything else; "none": no title at all.
    Compared after `title_key`.
    """
    if not reference or not (ref := title_key(reference)):
        return None
    if not ours or not (mine := title_key(ours)):
        return "none"
    at_separator = ref.startswith(mine) and TITLE_SEPARATOR_RE.match(ref, len(mine)) is not None
    if at_separator or (mine == ref and not (is_tag and TITLE_SEPARATOR_RE.search(ref))):
        return "exact"
    core = TITLE_SEPARATOR_RE.split(ref)[0] or ref
    if mine == ref or core in mine or (mine in core and 2 * len(mine) >= len(core)):
        return "contained"
    return "wrong"


# ---------------------------------------------------------------- character P/R/F1


def letters_and_digits(text: str) -> str:
    """The characters an extraction is compared on: letters and digits (str.isalnum) after NFKC.

    NFKC first, so a full-width ２０２４ or Ａ and its ASCII form count as the same characters
    whichever a system emits; punctuation, whitespace and symbols are dropped.
    """
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum())


@dataclass(frozen=True)
class CharScore:
    """Character precision, recall and F1 (each 0..1) of an extraction against a reference."""

    precision: float
    recall: float
    f1: float


ZERO_SCORE: Final = CharScore(0.0, 0.0, 0.0)


def char_score(predicted: str, reference: str) -> CharScore:
    """P/R/F1 over letters and digits from the exact longest common subsequence (rapidfuzz, C++)."""
    p, r = letters_and_digits(predicted), letters_and_digits(reference)
    if not p or not r:
        return ZERO_SCORE
    common = LCSseq.similarity(p, r)
    precision, recall = common / len(p), common / len(r)
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return CharScore(precision, recall, f1)


def best_score(title: str | None, text: str | None, reference: str) -> CharScore:
    """The better F1 of the text alone and of the title line followed by the text.

    References differ in whether they include the page's title; neither choice is charged to a
    system. No text (a crash or a refusal) scores 0.
    """
    if not text:
        return ZERO_SCORE
    alone = char_score(text, reference)
    if not title:
        return alone
    with_title = char_score(f"{title}\n{text}", reference)
    return with_title if with_title.f1 > alone.f1 else alone


# ---------------------------------------------------------------- snippet checks


def squeeze(text: str) -> str:
    """Text in the form expect.json snippets are matched in: NFKC, every whitespace character deleted.

    NFKC as in the character scores (`letters_and_digits`): a full-width （ and an ASCII ( are the
    same punctuation whichever a system emits (TEXT_SPEC rule 6 widens ASCII next to Chinese).
    """
    return WHITESPACE_RE.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class SnippetCheck:
    """One expect.json check: `kind` is must_contain, must_not_contain or must_not_contain_added."""

    kind: str
    snippet: str

    @property
    def name(self) -> str:
        """A short stable name for reports and KNOWN_FAILING lists: `kind:first 12 characters`."""
        return f"{self.kind}:{squeeze(self.snippet)[:12]}"

    def passes(self, text: str | None) -> bool:
        """Whether the extracted text meets the check.

        No text (a crash or a refusal) fails every check, must_not_contain too: the floor the
        snippets test begins with "the extraction must not crash".
        """
        if not text:
            return False
        found = squeeze(self.snippet) in squeeze(text)
        return found if self.kind == "must_contain" else not found


def snippet_checks(expect: dict[str, Any]) -> list[SnippetCheck]:
    """The checks of one expect.json, less the strings the file says never occur in the page.

    Those (`without_not_in_file`) would pass whatever the extraction does, so they test nothing.
    """
    never_there = set(expect.get("without_not_in_file", []))
    checks: list[SnippetCheck] = []
    for kind in ("must_contain", "must_not_contain", "must_not_contain_added"):
        checks.extend(SnippetCheck(kind, s) for s in expect.get(kind, []) if s not in never_there)
    return checks


def failed_checks(expect: dict[str, Any], text: str | None) -> list[SnippetCheck]:
    """The checks of one expect.json that an extracted text fails."""
    return [check for check in snippet_checks(expect) if not check.passes(text)]


# ---------------------------------------------------------------- summaries


@dataclass(frozen=True)
class F1Summary:
    """Per-page F1 values of one system on one subset, summarised."""

    pages: int
    mean: float
    median: float
    below: int  # pages under LOW_F1
    zeros: int

    @classmethod
    def of(cls, values: Sequence[float]) -> F1Summary | None:
        if not values:
            return None
        return cls(
            pages=len(values),
            mean=statistics.fmean(values),
            median=statistics.median(values),
            below=sum(v < LOW_F1 for v in values),
            zeros=sum(v == 0.0 for v in values),
        )
