"""Dedup benchmark: govcorpus dedup vs exact-hash-only on a labelled corpus built from real report text.

    .venv/bin/python benchmarks/dedup.py [--docs N] [--workers 2] [--seed 7]
    .venv/bin/python benchmarks/dedup.py --sweep   # the shingle size / threshold measurement

Families: a base document (sentences recombined from the clauses of shared/gold, numbers changed) and
its reposts (punctuation width, spacing, case slips, dropped/shuffled/duplicated paragraphs,
boilerplate, damage) and excerpts. "Next year" siblings share a third of a base's sentences but are
their own family: the 001/002 trap. A pair is positive when both documents are in one family.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.backends import open_store  # noqa: E402
from storage.dedup import Candidate, Fingerprint, StoreDedupIndex, fingerprint, normalise, rank_for  # noqa: E402

GOLD = Path(__file__).resolve().parents[2] / "shared" / "gold"
BOILERPLATE = [
    "责任编辑：张敏",
    "来源：区政府办公室",
    "【打印本页】【关闭窗口】",
    "扫一扫在手机打开当前页",
    "分享到：微信 微博 QQ空间",
    "免责声明：本站转载此文目的在于传递更多信息，不代表本网观点和立场。",
    "本文来源于网络，版权归原作者所有，如有侵权请联系删除。",
    "欢迎关注本站微信公众号，获取更多政务资讯和政策解读。",
]
HALF_WIDTH = str.maketrans("，：；（）！？", ",:;()!?")
ASCII_TERMS = ["AI", "GDP", "5G", "CBD", "IPO", "R&D"]
FAMILY_SIZES = [0] * 55 + [1] * 20 + [2] * 9 + [3] * 6 + [4] * 4 + [5] * 3 + [6] * 2 + [8] * 1  # reposts per base


@dataclass(frozen=True)
class Doc:
    doc_id: str
    family: int
    kind: str  # base | sibling | copy | repost | excerpt
    source: str  # pdf | gov_portal | forum | aggregator | mirror
    text: str


def clause_pool() -> list[str]:
    clauses: set[str] = set()
    for path in sorted(GOLD.glob("*.txt")):
        for paragraph in path.read_text(encoding="utf-8").splitlines():
            for clause in re.split(r"[，。；：！？、]", paragraph):
                clause = clause.strip()
                if 4 <= len(clause) <= 40 and not re.match(r"^[（(一二三四五六七八九十0-9]", clause):
                    clauses.add(clause)
    return sorted(clauses)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clauses = clause_pool()

    def _clause(self) -> str:
        clause = self.rng.choice(self.clauses)
        if self.rng.random() < 0.5:
            clause = re.sub(r"\d", lambda _: str(self.rng.randrange(10)), clause)
        if self.rng.random() < 0.05:
            clause = clause + self.rng.choice(ASCII_TERMS)
        return clause

    def sentence(self) -> str:
        return "，".join(self._clause() for _ in range(self.rng.randint(2, 4))) + "。"

    def paragraph(self) -> str:
        if self.rng.random() < 0.15:
            return self.rng.choice("一二三四五六七八九") + "、" + self._clause()
        return "".join(self.sentence() for _ in range(self.rng.randint(1, 4)))

    def base(self) -> list[str]:
        return [self.paragraph() for _ in range(self.rng.randint(4, 18))]

    def sibling(self, paragraphs: list[str]) -> list[str]:
        """Next year's report: same structure and stock phrases, two thirds of the sentences new."""
        sentences = [re.findall(r"[^。]+。|[^。]+$", paragraph) for paragraph in paragraphs]
        slots = [(p, s) for p, paragraph in enumerate(sentences) for s in range(len(paragraph))]
        kept = set(self.rng.sample(slots, len(slots) // 3))
        return ["".join(text if (p, s) in kept else self.sentence() for s, text in enumerate(paragraph)) for p, paragraph in enumerate(sentences)]

    def repost(self, paragraphs: list[str]) -> tuple[str, int]:
        rng = self.rng
        paragraphs = list(paragraphs)
        damage = 0
        if len(paragraphs) > 3 and rng.random() < 0.5:
            del paragraphs[rng.randrange(len(paragraphs))]
        if len(paragraphs) > 2 and rng.random() < 0.2:
            i, j = rng.sample(range(len(paragraphs)), 2)
            paragraphs[i], paragraphs[j] = paragraphs[j], paragraphs[i]
        if rng.random() < 0.2:
            paragraphs.insert(rng.randrange(len(paragraphs) + 1), rng.choice(paragraphs))
        if rng.random() < 0.5:
            paragraphs = [rng.choice(BOILERPLATE)] + paragraphs
        if rng.random() < 0.5:
            paragraphs = paragraphs + rng.sample(BOILERPLATE, rng.randint(1, 2))
        text = "\n".join(paragraphs)
        if rng.random() < 0.1:
            damage = rng.randint(1, 3)
            for _ in range(damage):
                at = rng.randrange(len(text))
                text = text[:at] + "\ufffd" + text[at + 1 :]
        return self.surface(text), damage

    def excerpt(self, paragraphs: list[str]) -> str:
        rng = self.rng
        length = max(2, int(len(paragraphs) * rng.uniform(0.15, 0.5)))
        start = rng.randrange(max(1, len(paragraphs) - length + 1))
        return self.surface("\n".join(paragraphs[start : start + length]))

    def surface(self, text: str) -> str:
        """Punctuation width, spacing and case slips: what changes between reposts of one text."""
        rng = self.rng
        if rng.random() < 0.5:
            text = text.translate(HALF_WIDTH)
        if rng.random() < 0.4:
            text = re.sub(r"(?<=[，。,.])", lambda _: " " if rng.random() < 0.3 else "", text)
            text = re.sub(r"(?<=\d)(?=[\u4e00-\u9fff])", " ", text)
        if rng.random() < 0.3:
            text = re.sub(r"[A-Z]{2,}", lambda m: m.group().lower(), text)
        return text

    def corpus(self, size: int) -> list[Doc]:
        docs: list[Doc] = []
        family = 0
        while len(docs) < size:
            paragraphs = self.base()
            members = [Doc(f"f{family}-base", family, "base", self.rng.choice(["pdf", "gov_portal"]), "\n".join(paragraphs))]
            for n in range(self.rng.choice(FAMILY_SIZES)):
                roll = self.rng.random()
                if roll < 0.15:
                    members.append(Doc(f"f{family}-copy{n}", family, "copy", "mirror", members[0].text))
                elif roll < 0.7:
                    text, _ = self.repost(paragraphs)
                    members.append(Doc(f"f{family}-repost{n}", family, "repost", self.rng.choice(["forum", "aggregator", "mirror"]), text))
                elif len(paragraphs) >= 4:
                    members.append(Doc(f"f{family}-excerpt{n}", family, "excerpt", "aggregator", self.excerpt(paragraphs)))
            docs.extend(members)
            family += 1
            if self.rng.random() < 0.1:
                docs.append(Doc(f"f{family}-sibling", family, "sibling", "gov_portal", "\n".join(self.sibling(paragraphs))))
                family += 1
        docs = docs[:size]
        self.rng.shuffle(docs)
        return docs


def pair_counts(groups: Iterable[tuple[int, str]], families: dict[str, int]) -> tuple[int, int, int]:
    """(true pairs, predicted pairs, correct predicted pairs) from (predicted group, doc_id) assignments."""
    predicted = defaultdict(list)
    for group, doc_id in groups:
        predicted[group].append(doc_id)
    pairs = lambda n: n * (n - 1) // 2  # noqa: E731
    true_pairs = sum(pairs(n) for n in Counter(families.values()).values())
    predicted_pairs = sum(pairs(len(members)) for members in predicted.values())
    correct = sum(pairs(n) for members in predicted.values() for n in Counter(families[m] for m in members).values())
    return true_pairs, predicted_pairs, correct


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _prepare(doc: Doc) -> tuple[Candidate, Fingerprint]:
    """What the cleaning step would hand over: the candidate with its rank, and its fingerprint."""
    rank = rank_for(doc.text, source_type="pdf" if doc.source == "pdf" else "html", family=doc.source)
    return Candidate(doc.doc_id, doc.text, rank), fingerprint(doc.text)


def _prepare_chunk(docs: list[Doc]) -> list[tuple[Candidate, Fingerprint]]:
    return [_prepare(doc) for doc in docs]


def prepared(docs: list[Doc], workers: int, chunk: int = 512) -> Iterator[tuple[Candidate, Fingerprint]]:
    if workers <= 1:
        yield from map(_prepare, docs)
        return
    chunks = [docs[i : i + chunk] for i in range(0, len(docs), chunk)]
    with ProcessPoolExecutor(workers) as pool:
        for result in pool.map(_prepare_chunk, chunks):
            yield from result


def run(size: int, workers: int, seed: int) -> None:
    started = time.perf_counter()
    docs = Generator(seed).corpus(size)
    families = {d.doc_id: d.family for d in docs}
    kinds = Counter(d.kind for d in docs)
    print(f"corpus: {len(docs)} docs, {len(set(families.values()))} families, {kinds}, "
          f"mean {sum(len(d.text) for d in docs) / len(docs):.0f} chars, built in {time.perf_counter() - started:.1f}s")

    t0 = time.perf_counter()
    first_by_hash: dict[str, str] = {}
    exact_groups = [(first_by_hash.setdefault(hashlib.sha256(d.text.encode()).hexdigest(), d.doc_id), d.doc_id) for d in docs]
    exact_seconds = time.perf_counter() - t0
    exact_rss = rss_mb()

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(tmp)
        index = StoreDedupIndex(store, flush_every=1000)
        t0 = time.perf_counter()
        for candidate, fp in prepared(docs, workers):
            index.add(candidate, fp)
        index.flush()
        dedup_seconds = time.perf_counter() - t0
        dedup_rss = rss_mb()
        links = index.links()
        t0 = time.perf_counter()
        reloaded = StoreDedupIndex(store)
        reload_seconds = time.perf_counter() - t0
        assert reloaded.links() == links, "reloaded index disagrees with the live one"
        del reloaded

    relations = Counter(link.relation for link in links if link.relation)
    dedup_groups = [(link.duplicate_of or link.doc_id, link.doc_id) for link in links]
    rows = []
    for name, groups, seconds, rss in [
        ("exact hash only", exact_groups, exact_seconds, exact_rss),
        ("govcorpus dedup", dedup_groups, dedup_seconds, dedup_rss),
    ]:
        true_pairs, predicted_pairs, correct = pair_counts(groups, families)
        precision = correct / predicted_pairs if predicted_pairs else 1.0
        recall = correct / true_pairs if true_pairs else 1.0
        rows.append((name, precision, recall, len(docs) / seconds, rss))
    print(f"relations: {dict(relations)}; true pairs {true_pairs}; reload {reload_seconds:.1f}s; workers {workers}")
    print(f"| {'method':<16} | {'precision':>9} | {'recall':>6} | {'docs/s':>8} | {'peak RSS MB':>11} |")
    print(f"|{'-' * 18}|{'-' * 11}|{'-' * 8}|{'-' * 10}|{'-' * 13}|")
    for name, precision, recall, speed, rss in rows:
        print(f"| {name:<16} | {precision:>9.4f} | {recall:>6.4f} | {speed:>8.0f} | {rss:>11.0f} |")
    print("peak RSS is the process maximum so far (corpus included); worker processes are not counted "
          f"(children max {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB)")


def sweep(seed: int, families: int = 1500) -> None:
    """Exact shingle-set Jaccard of same-document pairs vs different-document pairs, per shingle size."""
    gen = Generator(seed)
    positives: list[tuple[str, str]] = []
    negatives: list[tuple[str, str]] = []
    for _ in range(families):
        paragraphs = gen.base()
        base = "\n".join(paragraphs)
        positives.append((base, gen.repost(paragraphs)[0]))
        negatives.append((base, "\n".join(gen.sibling(paragraphs))))
    gold = {p.stem: p.read_text(encoding="utf-8") for p in sorted(GOLD.glob("*.txt"))}
    negatives.append((gold["001"], gold["002"]))
    for size in (3, 4, 5, 6, 8):
        def jac(a: str, b: str) -> float:
            sa = {a[i : i + size] for i in range(len(a) - size + 1)}
            sb = {b[i : i + size] for i in range(len(b) - size + 1)}
            return len(sa & sb) / max(1, len(sa | sb))
        pos = sorted(jac(normalise(a), normalise(b)) for a, b in positives)
        neg = sorted(jac(normalise(a), normalise(b)) for a, b in negatives)
        q = lambda xs, f: xs[min(len(xs) - 1, int(f * len(xs)))]  # noqa: E731
        print(f"k={size:>2}: same-doc J min {pos[0]:.3f} p1 {q(pos, .01):.3f} p5 {q(pos, .05):.3f} | "
              f"sibling J p99 {q(neg, .99):.3f} max {neg[-1]:.3f} | gold 001/002 {jac(normalise(gold['001']), normalise(gold['002'])):.3f} "
              f"| gap p1-max {q(pos, .01) - neg[-1]:+.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sweep", action="store_true", help="measure shingle sizes instead of benchmarking")
    args = parser.parse_args()
    if args.sweep:
        sweep(args.seed)
    else:
        run(args.docs, args.workers, args.seed)


if __name__ == "__main__":
    main()
