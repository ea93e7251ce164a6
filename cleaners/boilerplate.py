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

RULES_PATH: Traversable = files("cleaners") / "rules" / "boilerplate.toml"  # works inside a zipped egg too
# A line holding one of these has started a sentence of body text.
_SENTENCE_MARKS = re.compile(r"[。！？；，!?;]")
_SENTENCE_END = re.compile(r"[。！？]")
TITLE_SEARCH_LINES = 40


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
    """
    if not title:
        return text
    lines = text.split("\n")
    title_at = None
    for index, line in enumerate(lines[:TITLE_SEARCH_LINES]):
        if line == title:
            title_at = index
        elif _SENTENCE_END.search(line):
            break
    return text if title_at is None else "\n".join(lines[title_at + 1 :])
