"""Text fingerprints for deduplication: normalised text, MinHash of character shingles, sentence hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

# Chosen by measurement (benchmarks/dedup.py --sweep): see the module docstring of storage.dedup.
SHINGLE_CHARS = 5
NUM_PERM = 128
MINHASH_SEED = 1
# Sentences shorter than this (normalised chars) are headings, salutations and chrome leftovers
# (各位代表, 责任编辑张三): too common across unrelated reports to say anything about containment.
MIN_SENTENCE_CHARS = 10

_NOT_WORD = re.compile(r"[\W_]+")
# After NFKC, full-width ！？；． are ASCII; 。 stays. A '.' between digits is a decimal point.
_SENTENCE_END = re.compile(r"[。!?;\n]|(?<!\d)\.|\.(?!\d)")
_MASK32 = np.uint32(0xFFFFFFFF)
_EMPTY_HASHES = np.zeros(0, dtype=np.uint64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.uint32)


def normalise(text: str) -> str:
    """NFKC, casefold, keep letters/digits/CJK only: what survives repost width, spacing and case slips."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class Fingerprint:
    """Everything the index needs to know about one text; a pure function of the text."""

    content_hash: bytes  # 16-byte digest of the normalised text; b"" when nothing is left
    minhash: np.ndarray | None  # uint32[NUM_PERM], None when the text has no shingle
    sentence_hashes: np.ndarray  # uint64, sorted, distinct
    sentence_weights: np.ndarray  # uint32, normalised chars of each sentence

    @property
    def total_weight(self) -> int:
        return int(self.sentence_weights.sum())


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own affine32 permutations, so our sketches are ordinary datasketch MinHashes."""
    a, b = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def make_minhash(hashvalues: np.ndarray) -> MinHash:
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
    if len(normalised) < size:
        return np.zeros(0, dtype=np.uint32)
    codepoints = np.frombuffer(normalised.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codepoints) - size + 1
    h = np.zeros(count, dtype=np.uint64)
    for offset in range(size):
        # Polynomial hash mod 2^64; code points are < 2^21 so the multiplier keeps them apart.
        h = h * np.uint64(0x100000001B3) + codepoints[offset : offset + count]
    h ^= h >> np.uint64(29)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(32)
    return np.unique((h & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def minhash_values(hashes: np.ndarray) -> np.ndarray | None:
    """datasketch affine32 MinHash of pre-hashed shingles, vectorised (update_batch loops in Python)."""
    if len(hashes) == 0:
        return None
    a, b = _permutations()
    mixed = _fmix32(hashes)[:, None]
    result = np.full(NUM_PERM, _MASK32, dtype=np.uint32)
    chunk = 4096  # bounds the (n, NUM_PERM) temporary for very long texts
    for start in range(0, len(mixed), chunk):
        np.minimum(result, (mixed[start : start + chunk] * a + b).min(axis=0), out=result)
    return result


def sentences(text: str) -> list[str]:
    """Normalised sentences long enough to count for containment."""
    parts = _SENTENCE_END.split(unicodedata.normalize("NFKC", text))
    normalised = (normalise(part) for part in parts)
    return [s for s in normalised if len(s) >= MIN_SENTENCE_CHARS]


def _hash64(data: str) -> int:
    return int.from_bytes(hashlib.blake2b(data.encode("utf-8"), digest_size=8).digest(), "little")


def sentence_features(text: str) -> tuple[np.ndarray, np.ndarray]:
    weights: dict[int, int] = {}
    for sentence in sentences(text):
        weights[_hash64(sentence)] = len(sentence)
    if not weights:
        return _EMPTY_HASHES, _EMPTY_WEIGHTS
    hashes = np.fromiter(weights.keys(), dtype=np.uint64, count=len(weights))
    values = np.fromiter(weights.values(), dtype=np.uint32, count=len(weights))
    order = np.argsort(hashes)
    return hashes[order], values[order]


def fingerprint(text: str) -> Fingerprint:
    normalised = normalise(text)
    content_hash = hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).digest() if normalised else b""
    hashes, weights = sentence_features(text)
    return Fingerprint(content_hash, minhash_values(shingle_hashes(normalised)), hashes, weights)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """MinHash estimate of the Jaccard similarity of two shingle sets."""
    return float(np.count_nonzero(a == b)) / len(a)


def shared_weight(a_hashes: np.ndarray, a_weights: np.ndarray, b_hashes: np.ndarray) -> int:
    """Normalised chars of the sentences of `a` that also occur in `b`."""
    mask = np.isin(a_hashes, b_hashes, assume_unique=True)
    return int(a_weights[mask].sum())
