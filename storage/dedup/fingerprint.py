"""Text fingerprints for deduplication: normalised text, MinHash of character shingles, sentence hashes."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np

from cleaners.layout import is_heading

# Chosen by measurement: see the storage.dedup docstring.
SHINGLE_CHARS = 5
NUM_PERM = 128
MINHASH_SEED = 1
# Sentences shorter than this (normalised chars) are headings, salutations and chrome leftovers
# (各位代表, 责任编辑张三): too common across unrelated reports to say anything about containment.
MIN_SENTENCE_CHARS = 10

_MASK32 = np.uint32(0xFFFFFFFF)
_EMPTY_HASHES = np.zeros(0, dtype=np.uint64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.uint32)
_DROP, _KEEP, _BREAK, _COMPOSES, _EXPANDS, _UNKNOWN = 0, 1, 2, 3, 4, 255
# After NFKC, full-width ！？；． are ASCII; 。 and the half-width ｡ (NFKC: 。) end sentences too.
# A line break is layout, not punctuation: a hard-wrapped copy of a paragraph must give the same
# sentences. Only the break before a heading line (一、… （一）… 附件) ends a sentence.
_SENTENCE_ENDS = "。!?;."
_NEWLINE, _DOT = ord("\n"), ord(".")
_CONJOINING_JAMO = ((0x1100, 0x11FF), (0xA960, 0xA97F), (0xD7B0, 0xD7FF))


class _CharTable:
    """Per code point: its NFKC+casefold image and class, filled lazily as code points are met.

    unicodedata.normalize('NFKC') costs ~0.2 us a character on CJK text with full-width punctuation,
    more than all the hashing; a table lookup is vectorised. Characters whose image is not one
    character are expanded with str.translate; characters that compose with a neighbour (combining
    marks, conjoining jamo) send the text down the exact path instead.
    """

    def __init__(self) -> None:
        self.image = np.zeros(0x110000, dtype=np.uint32)
        self.classes = np.full(0x110000, _UNKNOWN, dtype=np.uint8)
        self.expansions: dict[int, str] = {}

    def lookup(self, codepoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        classes = self.classes[codepoints]
        if (classes == _UNKNOWN).any():
            for cp in np.unique(codepoints[classes == _UNKNOWN]).tolist():
                self._learn(cp)
            classes = self.classes[codepoints]
        return self.image[codepoints], classes

    def _learn(self, cp: int) -> None:
        char = chr(cp)
        image = unicodedata.normalize("NFKC", char).casefold()
        if unicodedata.combining(char) or any(lo <= cp <= hi for lo, hi in _CONJOINING_JAMO):
            self.classes[cp] = _COMPOSES
        elif len(image) == 1:
            self.image[cp] = ord(image)
            self.classes[cp] = _BREAK if image in _SENTENCE_ENDS else _KEEP if image.isalnum() else _DROP
        elif any(c.isalnum() for c in image):  # ㎡ -> m2, ⅲ -> iii
            self.expansions[cp] = image
            self.classes[cp] = _EXPANDS
        else:  # punctuation only, e.g. … -> ...
            self.image[cp] = ord("。")
            self.classes[cp] = _BREAK if any(c in _SENTENCE_ENDS for c in image) else _DROP


_TABLE = _CharTable()


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _classify(text: str) -> tuple[np.ndarray, np.ndarray]:
    """NFKC+casefolded code points of `text` and each one's class (keep, sentence break, drop)."""
    raw = _codepoints(text)
    codepoints, classes = _TABLE.lookup(raw)
    if (classes == _EXPANDS).any():
        for cp in set(raw[classes == _EXPANDS].tolist()):
            text = text.replace(chr(cp), _TABLE.expansions[cp])  # str.translate is slower for CJK
        codepoints, classes = _TABLE.lookup(_codepoints(text))
    if (classes == _COMPOSES).any():
        codepoints, classes = _TABLE.lookup(_codepoints(unicodedata.normalize("NFKC", text).casefold()))
        classes = np.where(classes == _COMPOSES, _DROP, classes)  # leftover marks: not letters
    dots = np.flatnonzero(codepoints[1:-1] == _DOT) + 1
    if len(dots):
        before, after = codepoints[dots - 1], codepoints[dots + 1]
        decimal = (before >= 48) & (before <= 57) & (after >= 48) & (after <= 57)
        classes[dots[decimal]] = _DROP  # 2846.03: a decimal point, not a sentence end
    return codepoints, classes


def _decode(codepoints: np.ndarray) -> str:
    return codepoints.astype(np.uint32).tobytes().decode("utf-32-le")


class _Classified:
    """A text's classified code points and normalised form, remembered for the last text seen.

    The cleaning step asks for both rank_for (which normalises) and fingerprint of every text; the
    second call finds the first's work here instead of classifying the text again. Keyed by identity:
    strings are immutable, so the same object always means the same text.
    """

    def __init__(self) -> None:
        self._last: tuple[str, np.ndarray, np.ndarray, np.ndarray, str] | None = None

    def __call__(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """(code points, classes, kept code points, normalised text); treat the arrays as read-only."""
        last = self._last
        if last is not None and last[0] is text:
            return last[1:]
        codepoints, classes = _classify(_without_layout_breaks(text))
        kept = codepoints[classes == _KEEP]
        normalised = _decode(kept)
        self._last = (text, codepoints, classes, kept, normalised)
        return codepoints, classes, kept, normalised


_classified = _Classified()


def normalise(text: str) -> str:
    """NFKC, casefold, keep letters/digits/CJK only: what survives repost width, spacing and case slips."""
    return _classified(text)[3]


@dataclass(frozen=True)
class Fingerprint:
    """Everything the index needs to know about one text; a pure function of the text."""

    content_hash: bytes  # 16-byte digest of the normalised text; b"" when nothing is left
    minhash: np.ndarray | None  # uint32[NUM_PERM], None when the text has no shingle
    sentence_hashes: np.ndarray  # uint64, sorted, distinct
    sentence_weights: np.ndarray  # uint32, normalised chars of each sentence

    @cached_property
    def total_weight(self) -> int:
        """Normalised chars of all the sentences (computed once: the index asks several times)."""
        return int(self.sentence_weights.sum())


PERMUTATIONS_FILE: Traversable = files("storage.dedup") / "permutations.npz"  # works inside a zipped egg too


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own affine32 permutations (num_perm=NUM_PERM, seed=MINHASH_SEED).

    Read from a 1.5 KB file rather than from datasketch at run time: importing datasketch pulls in
    scipy and costs ~3 s in every crawl and worker process. tests/test_dedup.py checks the file
    against datasketch, so our sketches stay ordinary datasketch MinHashes.
    """
    with np.load(io.BytesIO(PERMUTATIONS_FILE.read_bytes())) as saved:
        return saved["a"], saved["b"]


def make_minhash(hashvalues: np.ndarray) -> Any:
    """The sketch as a datasketch MinHash (for interoperability; imports datasketch)."""
    from datasketch import MinHash

    a, b = _permutations()
    return MinHash(seed=MINHASH_SEED, hashvalues=hashvalues, permutations=(a, b), scheme="affine32")


def _fmix32(h: np.ndarray) -> np.ndarray:
    # Same MurmurHash3 finalizer datasketch applies before its affine32 permutations.
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def shingle_hashes(normalised: str, size: int = SHINGLE_CHARS) -> np.ndarray:
    """Distinct 32-bit hashes of every `size`-character substring."""
    return _shingle_hashes(_codepoints(normalised), size)


def _shingle_hashes(kept: np.ndarray, size: int = SHINGLE_CHARS) -> np.ndarray:
    if len(kept) < size:
        return np.zeros(0, dtype=np.uint32)
    codepoints = kept.astype(np.uint64)
    count = len(codepoints) - size + 1
    h = codepoints[:count].copy()
    for offset in range(1, size):
        # Polynomial hash mod 2^64; code points are < 2^21 so the multiplier keeps them apart.
        h *= np.uint64(0x100000001B3)
        h += codepoints[offset : offset + count]
    h ^= h >> np.uint64(29)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(32)
    hashes = np.sort(h.astype(np.uint32))
    # np.unique is ~20x slower than this on small arrays (numpy 2.x).
    return hashes[np.concatenate(([True], hashes[1:] != hashes[:-1]))]


def minhash_values(hashes: np.ndarray) -> np.ndarray | None:
    """datasketch affine32 MinHash of pre-hashed shingles, vectorised (update_batch loops in Python)."""
    if len(hashes) == 0:
        return None
    a, b = _permutations()
    a, b = a[:, None], b[:, None]
    mixed = _fmix32(hashes)[None, :]
    result = np.full(NUM_PERM, _MASK32, dtype=np.uint32)
    chunk = 4096  # bounds the (NUM_PERM, n) temporary for very long texts
    for start in range(0, mixed.shape[1], chunk):
        permuted = np.multiply(a, mixed[:, start : start + chunk])
        permuted += b
        np.minimum(result, permuted.min(axis=1), out=result)
    return result


def _hash64(data: str) -> int:
    return int.from_bytes(hashlib.blake2b(data.encode("utf-8"), digest_size=8).digest(), "little")


def _sentences(codepoints: np.ndarray, classes: np.ndarray) -> list[str]:
    kept = classes != _DROP
    marked = np.where(classes[kept] == _BREAK, _NEWLINE, codepoints[kept])
    return [s for s in _decode(marked).split("\n") if len(s) >= MIN_SENTENCE_CHARS]


def _without_layout_breaks(text: str) -> str:
    """`text` with its line breaks taken out, and a sentence end (。) before every heading line.

    A hard wrap can fall anywhere, even inside a number (7.|8%) or a heading, so a heading only
    starts a sentence: where it ends is not known once it may be wrapped. Only non-letters
    change: the normalised text is the same.
    """
    if "\n" not in text:
        return text
    return "".join(f"。{line}" if is_heading(line.strip()) else line for line in text.split("\n"))


def sentences(text: str) -> list[str]:
    """Normalised sentences long enough to count for containment; line breaks are layout."""
    return _sentences(*_classify(_without_layout_breaks(text)))


def _sentence_features(sentence_list: list[str]) -> tuple[np.ndarray, np.ndarray]:
    weights = {_hash64(sentence): len(sentence) for sentence in sentence_list}
    if not weights:
        return _EMPTY_HASHES, _EMPTY_WEIGHTS
    hashes = np.fromiter(weights.keys(), dtype=np.uint64, count=len(weights))
    values = np.fromiter(weights.values(), dtype=np.uint32, count=len(weights))
    order = np.argsort(hashes)
    return hashes[order], values[order]


def fingerprint(text: str) -> Fingerprint:
    codepoints, classes, kept, normalised = _classified(text)
    content_hash = hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).digest() if normalised else b""
    hashes, weights = _sentence_features(_sentences(codepoints, classes))
    return Fingerprint(content_hash, minhash_values(_shingle_hashes(kept)), hashes, weights)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """MinHash estimate of the Jaccard similarity of two shingle sets."""
    return float(np.count_nonzero(a == b)) / len(a)


def shared_weight(a_hashes: np.ndarray, a_weights: np.ndarray, b_hashes: np.ndarray) -> int:
    """Normalised chars of the sentences of `a` that also occur in `b`."""
    mask = np.isin(a_hashes, b_hashes, assume_unique=True)
    return int(a_weights[mask].sum())
