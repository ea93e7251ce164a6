"""The five real seeds must clean to their gold text exactly."""

from __future__ import annotations

import json
from difflib import SequenceMatcher

import pytest
from support import SHARED

from cleaners.steps import clean_text

GOLD_META = json.loads((SHARED / "gold" / "gold.json").read_text("utf-8"))
SOURCE_TYPE = {"002": "pdf"}  # the others were scraped from HTML pages


def seed(key: str) -> str:
    return (SHARED / "seeds" / GOLD_META[key]["seed"]).read_text("utf-8")


def gold(key: str) -> str:
    """The gold text without the file's final newline: paragraphs are joined by `\\n`."""
    return (SHARED / "gold" / f"{key}.txt").read_text("utf-8").removesuffix("\n")


def title(key: str) -> str | None:
    return GOLD_META[key]["title"]


def seed_body(key: str) -> str:
    """The seed without its chrome lines, picked by the answer: lines that clean to a gold line."""
    gold_lines = set(gold(key).split("\n"))
    return "\n".join(line for line in seed(key).split("\n") if clean_text(line) in gold_lines)


def alnum_f1(candidate: str, reference: str) -> float:
    """Character F1 over letters and digits, from the longest matching blocks."""
    a = [c for c in candidate if c.isalnum()]
    b = [c for c in reference if c.isalnum()]
    if not a or not b:
        return float(a == b)
    common = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    precision, recall = common / len(a), common / len(b)
    return 0.0 if common == 0 else 2 * precision * recall / (precision + recall)


@pytest.mark.parametrize("key", ["000", "002"])
def test_raw_seed_cleans_to_gold(key: str) -> None:
    cleaned = clean_text(seed(key), source_type=SOURCE_TYPE.get(key, "html"), title=title(key))
    assert cleaned == gold(key)


@pytest.mark.parametrize("key", ["001", "003", "004"])
def test_seed_body_cleans_to_gold(key: str) -> None:
    assert clean_text(seed_body(key), title=title(key)) == gold(key)


@pytest.mark.parametrize("key", ["001", "003", "004"])
def test_seed_body_keeps_every_gold_line(key: str) -> None:
    """Guards the body selection above: it must not have dropped lines the cleaner should keep."""
    assert len(seed_body(key).split("\n")) >= len(gold(key).split("\n"))


@pytest.mark.parametrize("key", ["001", "003", "004"])
def test_raw_seed_with_its_chrome_cleans_to_gold(key: str) -> None:
    """The extractor removes this chrome first; the edge table and title rule manage it alone too."""
    assert clean_text(seed(key), title=title(key)) == gold(key)


@pytest.mark.parametrize("key", sorted(GOLD_META))
def test_character_score_improves_to_full(key: str) -> None:
    raw = seed(key)
    cleaned = clean_text(raw, source_type=SOURCE_TYPE.get(key, "html"), title=title(key))
    assert alnum_f1(cleaned, gold(key)) >= alnum_f1(raw, gold(key))
    assert alnum_f1(cleaned, gold(key)) == 1.0


@pytest.mark.parametrize("key", sorted(GOLD_META))
def test_gold_is_a_fixed_point(key: str) -> None:
    assert clean_text(gold(key), source_type=SOURCE_TYPE.get(key, "html")) == gold(key)
