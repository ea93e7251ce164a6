"""Extraction quality on the fixture site: govcorpus against plain trafilatura, page by page.

Run: .venv/bin/python benchmarks/quality.py

Every fixture page whose `expect` is "document" is scored against its gold text
(../shared/gold/NNN.txt): character precision / recall / F1 over letters and digits (exact LCS),
the share of gold paragraphs found verbatim as a line, chrome markers leaked (counted only where
the gold itself lacks the marker) and whether the title is right. Pages whose `expect` is
"reject:<reason>" must be rejected with that reason. The baseline is `trafilatura.extract` on
the same raw bytes, as a naive user would call it. `tests/test_quality_gate.py` imports `run`.
"""

from __future__ import annotations

import json
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trafilatura

from cleaners.document import Fetched, Rejected
from cleaners.pipeline import build_document

PAGES_DIR = ROOT / "tests" / "fixtures" / "pages"
GOLD_DIR = ROOT.parent / "shared" / "gold"

# Site chrome that must not reach a document's text.
LEAK_MARKERS = (
    "积分", "回复", "登录", "注册", "本文地址", "本文仅代表", "上一篇", "下一篇", "当前位置",
    "打印本页", "关闭窗口", "分享到", "ICP", "网站标识码", "索引号", "责任编辑", "验证码",
    "发布机构", "发文机构", "主题分类", "只看该作者", "举报", "Powered by", "版权所有",
    "九游", "j9", "J9", "澳门", "葡京", "娱乐城", "百家乐", "博彩", "赌场", "真人荷官", "casino", "bet365",
)

# The gate's targets (tests/test_quality_gate.py).
MIN_F1 = 0.99
MIN_PARAGRAPHS = 0.98
MAX_LEAKS = 0


# ---------------------------------------------------------------- scoring


def letters_and_digits(text: str) -> str:
    """The comparable characters of a text: NFKC letters and digits, nothing else."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum())


def lcs_length(a: str, b: str) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyrö 2004): O(len(a)·len(b)/wordsize)."""
    if not a or not b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    masks: dict[str, int] = {}
    for i, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | (1 << i)
    full = (1 << len(b)) - 1
    row = full
    for ch in a:
        matches = row & masks.get(ch, 0)
        row = ((row + matches) | (row - matches)) & full
    return len(b) - row.bit_count()


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    paragraphs: float  # share of gold lines present verbatim as a line
    leaks: tuple[str, ...]  # markers found in the text but not in the gold


def char_scores(predicted: str, gold: str) -> tuple[float, float, float]:
    p, g = letters_and_digits(predicted), letters_and_digits(gold)
    common = lcs_length(p, g)
    precision = common / len(p) if p else 0.0
    recall = common / len(g) if g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def paragraph_share(predicted: str, gold: str) -> float:
    lines = set(predicted.split("\n"))
    wanted = [line for line in gold.split("\n") if line]
    return sum(line in lines for line in wanted) / len(wanted) if wanted else 1.0


def leaked(predicted: str, gold: str) -> tuple[str, ...]:
    return tuple(m for m in LEAK_MARKERS if m in predicted and m not in gold)


def score_text(predicted: str, gold: str) -> Score:
    precision, recall, f1 = char_scores(predicted, gold)
    return Score(precision, recall, f1, paragraph_share(predicted, gold), leaked(predicted, gold))


# ---------------------------------------------------------------- fixture pages


@dataclass(frozen=True)
class Row:
    """One fixture page's result for govcorpus and the baseline."""

    file: str
    family: str
    expect: str
    outcome: str  # "document" or "reject:<reason>"
    ours: Score | None
    baseline: Score | None
    title: str | None
    title_expected: str | None
    seconds: float

    @property
    def title_ok(self) -> bool:
        """Right when it equals the expected title; a page without one (a fragment) is not scored."""
        return self.title_expected is None or self.title == self.title_expected

    @property
    def passed(self) -> bool:
        if self.expect != "document":
            return self.outcome == self.expect
        s = self.ours
        return (
            self.outcome == "document"
            and s is not None
            and s.f1 >= MIN_F1
            and s.paragraphs >= MIN_PARAGRAPHS
            and len(s.leaks) <= MAX_LEAKS
            and self.title_ok
        )


def load_index(pages_dir: Path = PAGES_DIR) -> list[dict[str, Any]]:
    data = json.loads((pages_dir / "index.json").read_text(encoding="utf-8"))
    return data["pages"] if isinstance(data, dict) else data


def entry_field(entry: dict[str, Any], *names: str) -> Any:
    """The first of several spellings of a field that the index entry carries."""
    return next((entry[n] for n in names if n in entry), None)


def landing(entry: dict[str, Any], index: list[dict[str, Any]]) -> dict[str, Any]:
    """The entry a redirect ends on (the fixture server follows `redirect` to another path)."""
    seen = set()
    while entry.get("redirect") and entry["path"] not in seen:
        seen.add(entry["path"])
        entry = next(e for e in index if e["path"] == entry["redirect"])
    return entry


def fetched_for(entry: dict[str, Any], pages_dir: Path, index: list[dict[str, Any]]) -> Fetched:
    final = landing(entry, index)
    url, final_url = (f"http://fixtures.test{e['path']}" for e in (entry, final))
    return Fetched(
        url=url,
        final_url=final_url,
        status=int(final.get("status", 200)),
        headers={k.lower(): v for k, v in (final.get("headers") or {}).items()},
        body=(pages_dir / final["file"]).read_bytes(),
        fetched_at=datetime.now(UTC).isoformat(),
    )


def gold_text(gold_id: str | None, gold_dir: Path = GOLD_DIR) -> str | None:
    if gold_id is None:
        return None
    return (gold_dir / f"{gold_id}.txt").read_text(encoding="utf-8").rstrip("\n")


def expected_text(entry: dict[str, Any], pages_dir: Path = PAGES_DIR, gold_dir: Path = GOLD_DIR) -> str | None:
    """What the page's text must be: its own expected file, or its gold (or a slice of its lines)."""
    if entry.get("expected_text"):
        return (pages_dir / entry["expected_text"]).read_text(encoding="utf-8").rstrip("\n")
    gold = gold_text(entry_field(entry, "gold", "gold_id"), gold_dir)
    if gold is not None and entry.get("gold_lines"):
        start, end = entry["gold_lines"]
        gold = "\n".join(gold.split("\n")[start:end])
    return gold


def baseline_text(body: bytes) -> str:
    """Plain trafilatura as a naive user calls it: raw bytes in, default settings."""
    return trafilatura.extract(body) or ""


def score_page(
    entry: dict[str, Any], index: list[dict[str, Any]], pages_dir: Path = PAGES_DIR, gold_dir: Path = GOLD_DIR
) -> Row:
    """Run govcorpus and the baseline on one fixture page and score both against its gold."""
    fetched = fetched_for(entry, pages_dir, index)
    expect = entry.get("expect", "document")
    started = time.perf_counter()
    try:
        document = build_document(fetched)
        outcome, text, title = "document", document.text, document.title
    except Rejected as rejected:
        outcome, text, title = f"reject:{rejected.reason}", None, None
    seconds = time.perf_counter() - started
    gold = expected_text(entry, pages_dir, gold_dir)
    ours = score_text(text, gold) if gold is not None and text is not None else None
    baseline = score_text(baseline_text(fetched.body), gold) if gold is not None else None
    return Row(
        file=entry["path"].rsplit("/", 1)[-1] if entry.get("redirect") else entry["file"],
        family=entry.get("family", "?"),
        expect=expect,
        outcome=outcome,
        ours=ours,
        baseline=baseline,
        title=title,
        title_expected=entry_field(entry, "title", "expected_title"),
        seconds=seconds,
    )


def run(pages_dir: Path = PAGES_DIR, gold_dir: Path = GOLD_DIR) -> list[Row]:
    index = load_index(pages_dir)
    return [score_page(entry, index, pages_dir, gold_dir) for entry in index]


# ---------------------------------------------------------------- report


def cells(score: Score | None) -> str:
    if score is None:
        return f"{'-':>6} {'-':>6} {'-':>6} {'-':>5} {'-':>4}"
    return (
        f"{score.precision:6.3f} {score.recall:6.3f} {score.f1:6.3f} "
        f"{score.paragraphs:5.0%} {len(score.leaks):4d}"
    )


def table(rows: list[Row]) -> str:
    head = (
        f"{'page':<34} {'family':<10} {'expect/outcome':<24} | {'govcorpus P':>11} {'R':>6} {'F1':>6} {'para':>5} "
        f"{'leak':>4} {'title':>5} | {'trafilatura P':>13} {'R':>6} {'F1':>6} {'para':>5} {'leak':>4} | ok"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        what = r.outcome if r.expect == r.outcome else f"{r.expect}≠{r.outcome}"
        title = ("yes" if r.title_ok else "NO") if r.expect == "document" and r.title_expected else "-"
        lines.append(
            f"{r.file[:34]:<34} {r.family[:10]:<10} {what[:24]:<24} | {'':5}{cells(r.ours)} {title:>5} | "
            f"{'':7}{cells(r.baseline)} | {'ok' if r.passed else 'FAIL'}"
        )
    docs = [r for r in rows if r.expect == "document"]
    if docs:
        lines.append("-" * len(head))
        lines.append(
            f"{'mean over ' + str(len(docs)) + ' documents':<71} | {'':5}{cells(mean(r.ours for r in docs))} "
            f"{sum(r.title_ok for r in docs):>2}/{len(docs):<2} | {'':7}{cells(mean(r.baseline for r in docs))} |"
        )
    rejects = [r for r in rows if r.expect != "document"]
    lines.append(
        f"rejects right: {sum(r.passed for r in rejects)}/{len(rejects)}   "
        f"pages passing the gate: {sum(r.passed for r in rows)}/{len(rows)}   "
        f"govcorpus time: {sum(r.seconds for r in rows):.2f}s"
    )
    return "\n".join(lines)


def mean(scores: Any) -> Score | None:
    present = [s for s in scores if s is not None]
    if not present:
        return None
    n = len(present)
    return Score(
        sum(s.precision for s in present) / n,
        sum(s.recall for s in present) / n,
        sum(s.f1 for s in present) / n,
        sum(s.paragraphs for s in present) / n,
        tuple(m for s in present for m in s.leaks),
    )


def main() -> int:
    rows = run()
    print(table(rows))
    for r in rows:
        if not r.passed:
            leaks = ", ".join(r.ours.leaks) if r.ours else ""
            print(f"FAIL {r.file}: outcome {r.outcome}, title {r.title!r} (want {r.title_expected!r}) {leaks}")
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
