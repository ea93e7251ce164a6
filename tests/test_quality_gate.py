"""The extraction quality gate: every fixture page meets the targets, or the build fails.

Targets (benchmarks/quality.py): F1 >= 0.99 over letters and digits, no chrome marker leaked,
>= 98% of gold paragraphs verbatim, the title right; every decoy rejected with its reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.quality import MAX_LEAKS, MIN_F1, MIN_PARAGRAPHS, load_index, score_page

INDEX = load_index()


def page_id(entry: dict[str, Any]) -> str:
    return entry["path"]


@pytest.mark.parametrize("entry", INDEX, ids=page_id)
def test_fixture_page_meets_the_gate(entry: dict[str, Any]) -> None:
    row = score_page(entry, INDEX)
    if entry["expect"] != "document":
        assert row.outcome == entry["expect"], f"{entry['file']}: {entry.get('notes', '')}"
        return
    assert row.outcome == "document", f"{entry['file']} was rejected ({row.outcome}): {entry.get('notes', '')}"
    score = row.ours
    assert score is not None
    assert score.f1 >= MIN_F1, f"F1 {score.f1:.4f} (P {score.precision:.4f}, R {score.recall:.4f})"
    assert score.paragraphs >= MIN_PARAGRAPHS, f"only {score.paragraphs:.1%} of gold paragraphs verbatim"
    assert len(score.leaks) <= MAX_LEAKS, f"chrome leaked: {score.leaks}"
    assert row.title_ok, f"title {row.title!r}, want {row.title_expected!r}"


def test_govcorpus_beats_plain_trafilatura() -> None:
    rows = [score_page(e, INDEX) for e in INDEX if e["expect"] == "document"]
    ours = sum(r.ours.f1 for r in rows if r.ours) / len(rows)
    baseline = sum(r.baseline.f1 for r in rows if r.baseline) / len(rows)
    assert ours > baseline
