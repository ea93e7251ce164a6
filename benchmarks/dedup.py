"""Dedup benchmark: govcorpus dedup beside exact hashing and datasketch.MinHashLSH on one labelled corpus.

    .venv/bin/python benchmarks/dedup.py [--docs 100000] [--seed 7]
    .venv/bin/python benchmarks/dedup.py --growth [--sizes 10000,30000,100000,300000,1000000]
    .venv/bin/python benchmarks/dedup.py --sweep   # the shingle size / threshold measurement

Corpus: families of a base document (sentences recombined from the clauses of shared/gold, numbers
changed) and its reposts (punctuation width, spacing, case slips, dropped/shuffled/duplicated
paragraphs, boilerplate, damage) and excerpts. "Next year" siblings share a third of a base's
sentences but are their own family: the 001/002 trap. A pair is positive when both documents are in
one family; a method's predicted pairs are the pairs inside each of its clusters.

Methods, each run alone in its own subprocess on the same corpus file (one process, one core each):
- exact hash only: SHA-256 of the raw text;
- datasketch MinHashLSH: what a user would write with datasketch, given our shingles, permutation count
  and threshold: per document, `MinHash(num_perm=128).update_batch` over the set of 5-character shingles
  of govcorpus's normalised text (utf-8, datasketch's default SHA-1 hashing), `lsh.query`, keep the
  candidates whose MinHash Jaccard estimate is >= 0.5, `lsh.insert`; clusters are the connected
  components of the kept pairs. MinHashLSH(threshold=0.5, num_perm=128) chooses its own banding
  (25 bands x 5 rows); `--datasketch-params 42x3` adds a row with govcorpus's banding;
- govcorpus dedup: rank_for + fingerprint + StoreDedupIndex.add per document, into a local store
  (segments every 1,000 documents); clusters are each document's canonical.

docs/s counts only the methods' own work (reading the corpus file is not timed), by the wall clock and
by the process's CPU time: on a shared machine the CPU figure is the steadier one. Peak RSS is each
subprocess's maximum resident set (VmHWM) at the end of its timed work: the method's structures,
the interpreter and its imports (datasketch imports scipy), and one 1,000-document chunk of input
(the corpus is streamed, never held whole). `RSS at start` is the resident set before the first
document, so peak - start is what the method itself grew by.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storage.backends import open_store
from storage.dedup import Candidate, StoreDedupIndex, fingerprint, normalise, rank_for
from storage.dedup.fingerprint import NUM_PERM, SHINGLE_CHARS
from storage.dedup.index import NEAR_THRESHOLD

GOLD = ROOT.parent / "shared" / "gold"

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
        return [
            "".join(text if (p, s) in kept else self.sentence() for s, text in enumerate(paragraph))
            for p, paragraph in enumerate(sentences)
        ]

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
            paragraphs = [rng.choice(BOILERPLATE), *paragraphs]
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


# --- the corpus on disk ------------------------------------------------------------------------

SOURCES = ("pdf", "gov_portal", "forum", "aggregator", "mirror")
CHUNK = 1000  # documents read, parsed and handed to a method at a time


def write_corpus(size: int, seed: int, path: Path) -> np.ndarray:
    """Generate `size` documents into `path` (JSON lines in arrival order); return their families."""
    docs = Generator(seed).corpus(size)
    with path.open("w", encoding="utf-8") as out:
        for doc in docs:
            out.write(json.dumps({"id": doc.doc_id, "source": doc.source, "kind": doc.kind, "text": doc.text}, ensure_ascii=False))
            out.write("\n")
    return np.array([doc.family for doc in docs], dtype=np.int64)


def corpus_file(size: int, seed: int, directory: Path) -> tuple[Path, np.ndarray, Counter[str]]:
    """The corpus file for (size, seed) in `directory`, generated unless it is already there."""
    path = directory / f"corpus-{seed}-{size}.jsonl"
    families_path = directory / f"corpus-{seed}-{size}.families.npy"
    if not (path.exists() and families_path.exists()):
        started = time.perf_counter()
        families = write_corpus(size, seed, path)
        np.save(families_path, families)
        print(f"corpus: generated {size} docs in {time.perf_counter() - started:.0f}s", flush=True)
    kinds: Counter[str] = Counter()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            kinds[json.loads(line)["kind"]] += 1
    return path, np.load(families_path), kinds


def read_chunks(path: Path, limit: int) -> Iterator[list[Doc]]:
    chunk: list[Doc] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number >= limit:
                break
            row = json.loads(line)
            chunk.append(Doc(row["id"], -1, row["kind"], row["source"], row["text"]))
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


# --- the methods --------------------------------------------------------------------------------


class Method(Protocol):
    def add(self, doc: Doc) -> None:
        """Process the next document (arrival number = documents added before it)."""

    def finish(self) -> None:
        """Whatever must happen before the result counts (e.g. a last flush); timed."""

    def clusters(self) -> np.ndarray:
        """Per document in arrival order, the arrival number of its cluster's representative; untimed."""

    def notes(self) -> dict[str, Any]:
        """Extra facts for the report; untimed, after the peak RSS was read."""


class ExactHash:
    def __init__(self, params: str) -> None:
        self.first: dict[bytes, int] = {}
        self.groups: list[int] = []

    def add(self, doc: Doc) -> None:
        self.groups.append(self.first.setdefault(hashlib.sha256(doc.text.encode("utf-8")).digest(), len(self.groups)))

    def finish(self) -> None:
        pass

    def clusters(self) -> np.ndarray:
        return np.array(self.groups, dtype=np.int64)

    def notes(self) -> dict[str, Any]:
        return {}


class DatasketchLSH:
    """MinHashLSH as documented: MinHash per document, query, verify by estimated Jaccard, insert."""

    def __init__(self, params: str) -> None:
        from datasketch import LeanMinHash, MinHash, MinHashLSH

        self.MinHash, self.LeanMinHash = MinHash, LeanMinHash
        bands_rows = tuple(int(p) for p in params.split("x")) if params else None
        self.lsh = MinHashLSH(threshold=NEAR_THRESHOLD, num_perm=NUM_PERM, params=bands_rows)
        self.minhashes: dict[int, Any] = {}  # LeanMinHash: datasketch's compact form for keeping sketches
        self.parent: list[int] = []
        self.verified_pairs = 0

    def _find(self, node: int) -> int:
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def add(self, doc: Doc) -> None:
        node = len(self.parent)
        self.parent.append(node)
        text = normalise(doc.text)
        shingles = {text[i : i + SHINGLE_CHARS] for i in range(len(text) - SHINGLE_CHARS + 1)}
        if not shingles:
            return  # an empty MinHash matches every other empty one: nothing to compare
        minhash = self.MinHash(num_perm=NUM_PERM)
        minhash.update_batch([shingle.encode("utf-8") for shingle in shingles])
        for other in self.lsh.query(minhash):
            if minhash.jaccard(self.minhashes[other]) >= NEAR_THRESHOLD:
                self.verified_pairs += 1
                a, b = self._find(node), self._find(other)
                self.parent[max(a, b)] = min(a, b)
        self.lsh.insert(node, minhash)
        self.minhashes[node] = self.LeanMinHash(minhash)

    def finish(self) -> None:
        pass

    def clusters(self) -> np.ndarray:
        return np.array([self._find(node) for node in range(len(self.parent))], dtype=np.int64)

    def notes(self) -> dict[str, Any]:
        return {"bands x rows": f"{self.lsh.b}x{self.lsh.r}", "verified pairs": self.verified_pairs}


class GovcorpusDedup:
    def __init__(self, params: str) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="dedup-bench-")
        self.store = open_store(self.tmp.name)
        self.index = StoreDedupIndex(self.store, flush_every=1000)
        self.arrival: dict[str, int] = {}

    def add(self, doc: Doc) -> None:
        self.arrival[doc.doc_id] = len(self.arrival)
        # What the cleaning step hands over (storage.ingest.prepare): rank and fingerprint of one text.
        rank = rank_for(doc.text, source_type="pdf" if doc.source == "pdf" else "html", family=doc.source)
        self.index.add(Candidate(doc.doc_id, doc.text, rank), fingerprint(doc.text))

    def finish(self) -> None:
        self.index.flush()

    def clusters(self) -> np.ndarray:
        self.links = self.index.links()
        return np.array([self.arrival[link.duplicate_of or link.doc_id] for link in self.links], dtype=np.int64)

    def notes(self) -> dict[str, Any]:
        relations = Counter(link.relation for link in self.links if link.relation)
        started = time.perf_counter()
        reloaded = StoreDedupIndex(self.store)
        seconds = time.perf_counter() - started
        assert reloaded.links() == self.links, "reloaded index disagrees with the live one"
        self.tmp.cleanup()
        return {"relations": dict(relations), "reload s": round(seconds, 1)}


METHODS: dict[str, type] = {"exact": ExactHash, "datasketch": DatasketchLSH, "govcorpus": GovcorpusDedup}
LABELS = {"exact": "exact hash only", "datasketch": "datasketch MinHashLSH", "govcorpus": "govcorpus dedup"}


def rss_now_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: Linux carries that over from the parent
    across fork/vfork + exec, so a child would report the parent's peak if it were higher."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


class Clock:
    """Wall and CPU seconds spent inside `with clock:` blocks."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


def run_method(name: str, params: str, corpus: Path, limit: int, clusters_path: Path) -> dict[str, Any]:
    """The child side: run one method over the first `limit` documents of `corpus`."""
    method: Method = METHODS[name](params)
    start_rss = rss_now_mb()
    clock, count = Clock(), 0
    for chunk in read_chunks(corpus, limit):
        with clock:
            for doc in chunk:
                method.add(doc)
        count += len(chunk)
    with clock:
        method.finish()
    peak = peak_rss_mb()
    np.save(clusters_path, method.clusters())
    return {"docs": count, "seconds": clock.wall, "cpu_seconds": clock.cpu, "peak_rss_mb": peak,
            "start_rss_mb": start_rss, "notes": method.notes()}


def measure(name: str, params: str, corpus: Path, limit: int, work: Path) -> dict[str, Any]:
    """Run one method in a fresh subprocess (its own peak RSS), return its result with the clusters."""
    clusters_path = work / f"clusters-{name}-{params or 'default'}-{limit}.npy"
    command = [sys.executable, __file__, "--child", name, "--child-params", params,
               "--corpus", str(corpus), "--docs", str(limit), "--clusters", str(clusters_path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr.strip()}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["clusters"] = np.load(clusters_path)
    clusters_path.unlink()
    return result


def pair_counts(clusters: np.ndarray, families: np.ndarray) -> tuple[int, int, int]:
    """(true pairs, predicted pairs, correct predicted pairs) from per-document cluster and family labels."""
    def pairs(counts: np.ndarray) -> int:
        return int((counts * (counts - 1) // 2).sum())

    true_pairs = pairs(np.unique(families, return_counts=True)[1])
    predicted = pairs(np.unique(clusters, return_counts=True)[1])
    both = np.unique(np.stack([clusters, families]), axis=1, return_counts=True)[1]
    return true_pairs, predicted, pairs(both)


def scored(result: dict[str, Any], families: np.ndarray) -> dict[str, Any]:
    true_pairs, predicted, correct = pair_counts(result["clusters"], families[: result["docs"]])
    result["precision"] = correct / predicted if predicted else 1.0
    result["recall"] = correct / true_pairs if true_pairs else 1.0
    result["true_pairs"] = true_pairs
    result["wrong_pairs"] = predicted - correct  # exact, where precision's four decimals round
    result["docs_per_s"] = result["docs"] / result["seconds"]
    result["docs_per_cpu_s"] = result["docs"] / result["cpu_seconds"]
    return result


def print_table(rows: list[tuple[str, dict[str, Any]]], size_column: bool = False) -> None:
    head, rule = (f"| {'docs':>9} ", "|" + "-" * 11) if size_column else ("", "")
    print(f"{head}| {'method':<26} | {'precision':>9} | {'wrong pairs':>11} | {'recall':>6} | {'docs/s':>7} | "
          f"{'docs/CPU-s':>10} | {'peak RSS MB':>11} | {'RSS at start':>12} |")
    print(f"{rule}|{'-' * 28}|{'-' * 11}|{'-' * 13}|{'-' * 8}|{'-' * 9}|{'-' * 12}|{'-' * 13}|{'-' * 14}|")
    for label, r in rows:
        head = f"| {r['docs']:>9} " if size_column else ""
        print(f"{head}| {label:<26} | {r['precision']:>9.4f} | {r['wrong_pairs']:>11} | {r['recall']:>6.4f} | "
              f"{r['docs_per_s']:>7.0f} | {r['docs_per_cpu_s']:>10.0f} | {r['peak_rss_mb']:>11.0f} | "
              f"{r['start_rss_mb']:>12.0f} |")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(size: int, seed: int, methods: list[str], datasketch_params: list[str], work: Path) -> None:
    corpus, families, kinds = corpus_file(size, seed, work)
    print(f"corpus: {size} docs, {len(np.unique(families))} families, {dict(kinds)}; load average {load_average()}")
    rows = []
    runs = [(name, "") for name in methods] + [("datasketch", p) for p in datasketch_params]
    for name, params in sorted(runs, key=lambda run: list(METHODS).index(run[0])):
        result = scored(measure(name, params, corpus, size, work), families)
        label = LABELS[name] + (f" {params}" if params else "")
        print(f"  {label}: {result['notes']}; load average {load_average()}", flush=True)
        rows.append((label, result))
    print(f"true pairs {rows[0][1]['true_pairs']}; one process per method, single core; load average {load_average()}")
    print_table(rows)


def growth(sizes: list[int], seed: int, datasketch_max: int, work: Path) -> None:
    """docs/s and peak RSS per corpus size: prefixes of one corpus of the largest size."""
    corpus, families, _ = corpus_file(max(sizes), seed, work)
    rows = []
    for size in sorted(sizes):
        for name in ("govcorpus", "datasketch"):
            if name == "datasketch" and size > datasketch_max:
                continue
            result = scored(measure(name, "", corpus, size, work), families)
            print(f"  {size} {LABELS[name]}: {result['docs_per_s']:.0f} docs/s, {result['peak_rss_mb']:.0f} MB, "
                  f"{result['notes']}; load average {load_average()}", flush=True)
            rows.append((LABELS[name], result))
    print_table(rows, size_column=True)
    fit = [(r["docs"], r) for label, r in rows if label == LABELS["govcorpus"]]
    if len(fit) >= 2:
        (n0, r0), (n1, r1) = fit[-2], fit[-1]
        per_doc_kb = (r1["peak_rss_mb"] - r0["peak_rss_mb"]) * 1024 / (n1 - n0)
        print(f"govcorpus between {n0} and {n1} docs: {per_doc_kb:.2f} KB of peak RSS per added document, "
              f"docs/s x{r1['docs_per_s'] / r0['docs_per_s']:.2f}")


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
        def jac(a: str, b: str, size: int = size) -> float:
            sa = {a[i : i + size] for i in range(len(a) - size + 1)}
            sb = {b[i : i + size] for i in range(len(b) - size + 1)}
            return len(sa & sb) / max(1, len(sa | sb))
        pos = sorted(jac(normalise(a), normalise(b)) for a, b in positives)
        neg = sorted(jac(normalise(a), normalise(b)) for a, b in negatives)
        def q(xs: list[float], f: float) -> float:
            return xs[min(len(xs) - 1, int(f * len(xs)))]

        print(f"k={size:>2}: same-doc J min {pos[0]:.3f} p1 {q(pos, .01):.3f} p5 {q(pos, .05):.3f} | "
              f"sibling J p99 {q(neg, .99):.3f} max {neg[-1]:.3f} | gold 001/002 {jac(normalise(gold['001']), normalise(gold['002'])):.3f} "
              f"| gap p1-max {q(pos, .01) - neg[-1]:+.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated, of: " + ", ".join(METHODS))
    parser.add_argument("--datasketch-params", action="append", default=[], metavar="BxR",
                        help="also run MinHashLSH with this banding (e.g. 42x3, govcorpus's)")
    parser.add_argument("--growth", action="store_true", help="docs/s and peak RSS per corpus size")
    parser.add_argument("--sizes", default="10000,30000,100000,300000,1000000", help="sizes for --growth")
    parser.add_argument("--datasketch-max", type=int, default=100_000, help="largest --growth size datasketch runs at")
    parser.add_argument("--corpus-dir", type=Path, help="keep generated corpora here and reuse them")
    parser.add_argument("--sweep", action="store_true", help="measure shingle sizes instead of benchmarking")
    parser.add_argument("--child", choices=sorted(METHODS), help=argparse.SUPPRESS)
    parser.add_argument("--child-params", default="", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--clusters", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_method(args.child, args.child_params, args.corpus, args.docs, args.clusters)))
        return
    if args.sweep:
        sweep(args.seed)
        return
    with tempfile.TemporaryDirectory(prefix="dedup-corpus-") as tmp:
        work = args.corpus_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.growth:
            growth([int(s) for s in args.sizes.split(",")], args.seed, args.datasketch_max, work)
        else:
            run(args.docs, args.seed, args.methods.split(","), args.datasketch_params, work)


if __name__ == "__main__":
    main()
