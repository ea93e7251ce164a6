"""Residual site chrome at the edges of a text, and the title line at its head.

The patterns are data (`rules/boilerplate.toml`); they are tried only on the run of lines at the
head and at the tail, so body sentences that mention the same words survive.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from cleaners.layout import SOFT_BREAK, glue

RULES_PATH: Traversable = files("cleaners") / "rules" / "boilerplate.toml"  # works inside a zipped egg too
# A line holding one of these has started a sentence of body text.
_SENTENCE_MARKS = re.compile(r"[。！？；，!?;]")
_SENTENCE_END = re.compile(r"[。！？]")
# An attribution's value ends at a wide gap or where the next "label：" starts (来源：X　时间：…).
_VALUE_END = re.compile(r"\s{2,}|\s[|｜]\s|\s+\S{1,6}[:：]")
TITLE_SEARCH_LINES = 40


@dataclass(frozen=True)
class AttributionRules:
    patterns: tuple[re.Pattern[str], ...]
    max_head_lines: int
    max_source_chars: int


@dataclass(frozen=True)
class ChromePattern:
    name: str
    regex: re.Pattern[str]
    max_chars: int | None = None

    def matches(self, line: str) -> bool:
        return (self.max_chars is None or len(line) <= self.max_chars) and bool(
            self.regex.search(line)
        )


@dataclass(frozen=True)
class EdgeRules:
    patterns: tuple[ChromePattern, ...]
    max_filler_chars: int
    max_head_lines: int
    max_tail_lines: int
    leading_bullets: str

    def reason(self, line: str) -> str | None:
        """The name of the first pattern the line matches, or None."""
        bare = line.lstrip(self.leading_bullets).strip()
        return next((p.name for p in self.patterns if p.matches(bare)), None)

    def is_filler(self, line: str) -> bool:
        return len(line) <= self.max_filler_chars and not _SENTENCE_MARKS.search(line)


@cache
def edge_rules(path: Traversable = RULES_PATH) -> EdgeRules:
    """The edge rules, loaded and compiled once."""
    with path.open("rb") as file:
        data = tomllib.load(file)
    edge = data["edge"]
    return EdgeRules(
        patterns=tuple(
            ChromePattern(p["name"], re.compile(p["regex"]), p.get("max_chars"))
            for p in data["pattern"]
        ),
        max_filler_chars=edge["max_filler_chars"],
        max_head_lines=edge["max_head_lines"],
        max_tail_lines=edge["max_tail_lines"],
        leading_bullets=edge["leading_bullets"],
    )


@cache
def attribution_rules(path: Traversable = RULES_PATH) -> AttributionRules:
    """The source-attribution patterns, loaded and compiled once."""
    with path.open("rb") as file:
        data = tomllib.load(file)["attribution"]
    return AttributionRules(
        patterns=tuple(re.compile(p) for p in data["patterns"]),
        max_head_lines=data["max_head_lines"],
        max_source_chars=data["max_source_chars"],
    )


def attribution_source(line: str, rules: AttributionRules | None = None) -> str | None:
    """The source a line such as '来源：解放日报' names, or None if the line is not an attribution."""
    rules = rules or attribution_rules()
    bare = _VALUE_END.split(line.strip().replace("\u3000", "  "))[0] if line.strip() else ""
    for pattern in rules.patterns:
        match = pattern.match(" ".join(bare.split()))
        if match and 0 < len(match.group("source").strip()) <= rules.max_source_chars:
            return match.group("source").strip()
    return None


def split_attribution(text: str) -> tuple[str, str | None]:
    """The text without the source-attribution line at its head, and the source that line names.

    Only the first `max_head_lines` lines are searched, up to the first that ends a sentence:
    a reprint says where it comes from before its body starts. Lines and soft-broken pieces
    of lines (layout.SOFT_BREAK) are both searched.
    """
    rules = attribution_rules()
    lines = text.split("\n")
    seen = 0
    for index, line in enumerate(lines):
        pieces = line.split(SOFT_BREAK)
        for position, piece in enumerate(pieces):
            if not piece.strip():
                continue
            source = attribution_source(piece, rules)
            if source is not None:
                rest = pieces[:position] + pieces[position + 1 :]
                lines[index : index + 1] = [SOFT_BREAK.join(rest)] if any(p.strip() for p in rest) else []
                return "\n".join(lines), source
            seen += 1
            if seen >= rules.max_head_lines or _SENTENCE_END.search(piece):
                return text, None
    return text, None


def edge_chrome(lines: list[str], rules: EdgeRules | None = None) -> dict[int, str]:
    """Index → reason for every line of chrome at the head and at the tail of `lines`."""
    rules = rules or edge_rules()
    head = _chrome_run(list(enumerate(lines))[: rules.max_head_lines], rules)
    tail = _chrome_run(list(reversed(list(enumerate(lines))))[: rules.max_tail_lines], rules)
    return head | tail


def _chrome_run(edge: list[tuple[int, str]], rules: EdgeRules) -> dict[int, str]:
    """Lines from the edge inward up to the innermost chrome line; fillers may sit in between."""
    run: dict[int, str] = {}
    pending_fillers: dict[int, str] = {}
    for index, line in edge:
        reason = rules.reason(line)
        if reason is not None:
            run |= pending_fillers
            pending_fillers = {}
            run[index] = reason
        elif rules.is_filler(line):
            pending_fillers[index] = "filler between chrome lines"
        else:
            break
    return run


def strip_edge_boilerplate(text: str) -> str:
    """Drop the chrome lines at the head and at the tail of the text."""
    lines = text.split("\n")
    chrome = edge_chrome(lines)
    return "\n".join(line for index, line in enumerate(lines) if index not in chrome)


def drop_leading_title(text: str, title: str | None) -> str:
    """Drop the title line at the head, with any chrome-like lines above it.

    Body text never precedes the title, so short lines above it (forum panels, breadcrumbs)
    go with it; the last such occurrence wins so that a repeated title leaves no copy behind.
    A title broken over consecutive lines counts too: the lines a later join would make into
    the title line are the title. A text that would be left empty is left as it is.
    """
    if not title:
        return text
    lines = text.split("\n")
    title_end = None
    index = 0
    while index < min(len(lines), TITLE_SEARCH_LINES):
        end = _title_run_end(lines, index, title)
        if end is not None:
            title_end = index = end
        elif _SENTENCE_END.search(lines[index]):
            break
        else:
            index += 1
    if title_end is None or title_end >= len(lines):
        return text  # a text that is nothing but lines above its title keeps them: a title is not a body
    return "\n".join(lines[title_end:])


def _title_run_end(lines: list[str], start: int, title: str) -> int | None:
    """The index just past the lines from `start` that spell `title`, joined or glued; None if they do not."""
    joined = glued = ""
    for index in range(start, len(lines)):
        joined, glued = joined + lines[index], glue(glued, lines[index]) if glued else lines[index]
        if title in (joined, glued):
            return index + 1
        if not title.startswith((joined, glued)):
            return None
    return None
