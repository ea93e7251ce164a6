"""Exact, near-duplicate and fragment detection with order-independent canonical choice.

Relations between two documents (each a symmetric function of the pair, found when the later arrives):
- exact: equal normalised text (NFKC, casefold, letters/digits/CJK only), similarity 1.0;
- near: MinHash Jaccard of 5-character shingles >= 0.5 (datasketch affine32 MinHash, 128 permutations,
  42 bands x 3 rows) with >= 60 shingles shared (estimated), or each holds >= 80% of the other's
  sentence text;
- fragment: >= 80% of one's sentence text (normalised chars of sentences >= 10 chars, >= 60 shared)
  occurs in the other and not the reverse: containment, which Jaccard misses for excerpts.
Exact/near edges form clusters (union-find); a cluster's canonical is its best-ranked member, and a
cluster that is a fragment points at its container's canonical (highest containment, then best rank).
A member's fragment edge counts for its cluster only if the canonical has >= 50% of its sentence text
in that container too; a tie between containers ending in different clusters whose canonicals share
less than that leaves the cluster a fragment of neither (storage.dedup.graph).

Why 5 and 0.5 (benchmarks/dedup.py --sweep, 1,500 reposts and "next year" siblings sharing a third of
the sentences, exact shingle-set Jaccard):
    k=3: reposts p1 0.536, siblings max 0.329, gold 001/002 0.184
    k=4: reposts p1 0.521, siblings max 0.320, gold 001/002 0.128
    k=5: reposts p1 0.518, siblings max 0.313, gold 001/002 0.094
    k=6: reposts p1 0.500, siblings max 0.307, gold 001/002 0.077
    k=8: reposts p1 0.471, siblings max 0.294, gold 001/002 0.052
k=3..5 separate reposts from siblings equally well (gap ~0.20); 5 gives the real 001/002 pair half
the similarity of 3, and longer shingles start to lose reposts. 0.5 sits 0.19 above the worst sibling
(over 4 standard deviations of a 128-permutation estimate) while the ~1% of reposts below it are still
caught by sentence containment. gold 000 in 002: Jaccard 0.19, sentence containment 0.975.
"""

from storage.dedup.fingerprint import Fingerprint, fingerprint, normalise
from storage.dedup.index import (
    EXACT,
    FRAGMENT,
    NEAR,
    Candidate,
    DedupIndex,
    Link,
    StoreDedupIndex,
)
from storage.dedup.rank import rank_for, rank_for_document

__all__ = [
    "EXACT",
    "FRAGMENT",
    "NEAR",
    "Candidate",
    "DedupIndex",
    "Fingerprint",
    "Link",
    "StoreDedupIndex",
    "fingerprint",
    "normalise",
    "rank_for",
    "rank_for_document",
]
