"""The "no worse than" diffs of benchmarks/realworld.py: a system's text beside another tool's own output.

The references of gbk-originals/, readability/ and newspaper4k/ are what cx-extractor, Readability
and newspaper extracted themselves (../shared/realworld/README.md: "use them for diffs and 'no worse
than' checks, not as a score target"). An agreement F1 below 1 says the texts differ, not which is
right, so the lines that differ are printed for a reader to judge: the reference's lines the system
lacks (`-`, body lost or chrome dropped) and the system's lines the reference lacks (`+`, body the
tool lost or chrome kept). Lines are compared on their letters and digits (as the scores are), and
a line counts as present when it occurs inside the other text, so re-wrapped lines are not diffs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.realworld_pages import letters_and_digits

MAX_LINE_CHARS = 70


def missing_lines(text: str, other: str) -> list[str]:
    """The lines of `text` whose letters and digits do not occur in `other` (lines without any are skipped)."""
    haystack = letters_and_digits(other)
    return [line.strip() for line in text.splitlines() if (key := letters_and_digits(line)) and key not in haystack]


def _short(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"


def diff_report(system: str, results: Sequence[Any], references: dict[str, str]) -> str:
    """The line diffs of `system` against every tool-output reference it was scored on.

    `results` are benchmarks.realworld PageResults; `references` maps a page path to its reference text.
    """
    out = [f"== 'no worse than' diffs: {system} beside the tools' own outputs (- only in the tool's, + only in {system}'s)"]
    for result in results:
        output = result.output
        if output.system != system or result.reference_kind != "tool":
            continue
        reference = references.get(output.path)
        if reference is None:
            continue
        text = "\n".join(part for part in (output.title, output.text) if part)
        lost, added = missing_lines(reference, text), missing_lines(output.text or "", reference)
        if not lost and not added:
            continue
        out.append(f"{output.path}  ({len(lost)} lines only in the tool's, {len(added)} only in {system}'s)")
        out += [f"  - {_short(line)}" for line in lost]
        out += [f"  + {_short(line)}" for line in added]
    if len(out) == 1:
        out.append("(no differences)")
    return "\n".join(out)
