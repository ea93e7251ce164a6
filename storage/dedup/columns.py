"""Many documents' fingerprints as a few growable numpy arrays: how the dedup index holds and writes them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import numpy as np

from storage.dedup.fingerprint import NUM_PERM, Fingerprint

CONTENT_BYTES = 16


def _grown(array: np.ndarray, rows: int) -> np.ndarray:
    """`array` with room for `rows` rows: capacity grows by half, so appends stay amortised O(1) and at
    most a third of the memory is slack (doubling would leave up to half)."""
    if rows <= len(array):
        return array
    grown = np.zeros((max(rows, len(array) + len(array) // 2, 64), *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


class FingerprintColumns(Sequence[Fingerprint]):
    """Fingerprints in arrival order, columnar: ~0.9 KB a document where Fingerprint objects take ~1.6 KB.

    Columns (n = len(self)): content (n, 16) uint8 and has_content; minhash (n, NUM_PERM) uint32 and
    has_minhash (zeros where a text has no shingle); sentence_offsets (n + 1) int64 into
    sentence_hashes uint64 / sentence_weights uint32 (each document's run sorted, as in Fingerprint);
    total_weights (n) int64. Indexing gives a Fingerprint (a copy); a slice gives FingerprintColumns.
    The arrays are the segment format's (storage.dedup.segments), so writing a snapshot copies nothing
    document by document.
    """

    def __init__(self) -> None:
        self._size = 0
        self._sentences = 0
        self._content = np.zeros((0, CONTENT_BYTES), dtype=np.uint8)
        self._has_content = np.zeros(0, dtype=bool)
        self._minhash = np.zeros((0, NUM_PERM), dtype=np.uint32)
        self._has_minhash = np.zeros(0, dtype=bool)
        self._total_weights = np.zeros(0, dtype=np.int64)
        self._offsets = np.zeros(1, dtype=np.int64)
        self._hashes = np.zeros(0, dtype=np.uint64)
        self._weights = np.zeros(0, dtype=np.uint32)

    @classmethod
    def of(cls, fingerprints: Iterable[Fingerprint]) -> FingerprintColumns:
        if isinstance(fingerprints, FingerprintColumns):
            return fingerprints
        columns = cls()
        for fp in fingerprints:
            columns.append(fp)
        return columns

    @classmethod
    def from_arrays(
        cls,
        content: np.ndarray,
        has_content: np.ndarray,
        minhash: np.ndarray,
        has_minhash: np.ndarray,
        sentence_offsets: np.ndarray,
        sentence_hashes: np.ndarray,
        sentence_weights: np.ndarray,
    ) -> FingerprintColumns:
        """Columns over the given arrays (not copied); ValueError if their shapes disagree."""
        n = len(has_content)
        if (
            content.shape != (n, CONTENT_BYTES) or minhash.shape != (n, NUM_PERM) or len(has_minhash) != n
            or len(sentence_offsets) != n + 1 or len(sentence_hashes) != len(sentence_weights)
            or (n and (sentence_offsets[0] != 0 or sentence_offsets[-1] != len(sentence_hashes)))
        ):
            raise ValueError("fingerprint columns of inconsistent shapes")
        columns = cls()
        columns._size, columns._sentences = n, len(sentence_hashes)
        columns._content = content.astype(np.uint8, copy=False)
        columns._has_content = has_content.astype(bool, copy=False)
        columns._minhash = minhash.astype(np.uint32, copy=False)
        columns._has_minhash = has_minhash.astype(bool, copy=False)
        columns._offsets = sentence_offsets.astype(np.int64, copy=False)
        columns._hashes = sentence_hashes.astype(np.uint64, copy=False)
        columns._weights = sentence_weights.astype(np.uint32, copy=False)
        cumulative = np.concatenate(([0], np.cumsum(columns._weights, dtype=np.int64)))
        columns._total_weights = cumulative[columns._offsets[1:]] - cumulative[columns._offsets[:-1]]
        return columns

    # --- growing -----------------------------------------------------------------------------

    def append(self, fp: Fingerprint) -> None:
        row, count = self._size, len(fp.sentence_hashes)
        if row + 2 > len(self._offsets) or row + 1 > len(self._has_content) or self._sentences + count > len(self._hashes):
            self._reserve(row + 1, self._sentences + count)
        if fp.content_hash:
            self._content[row] = np.frombuffer(fp.content_hash, dtype=np.uint8)
            self._has_content[row] = True
        if fp.minhash is not None:
            self._minhash[row] = fp.minhash
            self._has_minhash[row] = True
        self._hashes[self._sentences : self._sentences + count] = fp.sentence_hashes
        self._weights[self._sentences : self._sentences + count] = fp.sentence_weights
        self._total_weights[row] = fp.total_weight
        self._sentences += count
        self._offsets[row + 1] = self._sentences
        self._size += 1

    def extend(self, other: FingerprintColumns) -> None:
        start, count, sentences = self._size, len(other), other._sentences
        self._reserve(start + count, self._sentences + sentences)
        rows = slice(start, start + count)
        self._content[rows] = other.content
        self._has_content[rows] = other.has_content
        self._minhash[rows] = other.minhash
        self._has_minhash[rows] = other.has_minhash
        self._total_weights[rows] = other.total_weights
        self._hashes[self._sentences : self._sentences + sentences] = other.sentence_hashes
        self._weights[self._sentences : self._sentences + sentences] = other.sentence_weights
        self._offsets[start + 1 : start + count + 1] = other.sentence_offsets[1:] + self._sentences
        self._sentences += sentences
        self._size += count

    def _reserve(self, rows: int, sentences: int) -> None:
        self._content = _grown(self._content, rows)
        self._has_content = _grown(self._has_content, rows)
        self._minhash = _grown(self._minhash, rows)
        self._has_minhash = _grown(self._has_minhash, rows)
        self._total_weights = _grown(self._total_weights, rows)
        self._offsets = _grown(self._offsets, rows + 1)
        self._hashes = _grown(self._hashes, sentences)
        self._weights = _grown(self._weights, sentences)

    # --- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> Fingerprint: ...

    @overload
    def __getitem__(self, index: slice) -> FingerprintColumns: ...

    def __getitem__(self, index: int | slice) -> Fingerprint | FingerprintColumns:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._size)
            if step != 1:
                raise ValueError("FingerprintColumns slices must be contiguous")
            stop = max(start, stop)
            first, last = self._offsets[start], self._offsets[stop]
            return FingerprintColumns.from_arrays(
                self._content[start:stop].copy(), self._has_content[start:stop].copy(),
                self._minhash[start:stop].copy(), self._has_minhash[start:stop].copy(),
                self._offsets[start : stop + 1] - first, self._hashes[first:last].copy(), self._weights[first:last].copy(),
            )
        if index < 0:
            index += self._size
        if not 0 <= index < self._size:
            raise IndexError(index)
        first, last = self._offsets[index], self._offsets[index + 1]
        return Fingerprint(
            self._content[index].tobytes() if self._has_content[index] else b"",
            self._minhash[index].copy() if self._has_minhash[index] else None,
            self._hashes[first:last].copy(),
            self._weights[first:last].copy(),
        )

    def __iter__(self) -> Iterator[Fingerprint]:
        return (self[row] for row in range(self._size))

    def sentence_hashes_of(self, row: int) -> np.ndarray:
        """Row `row`'s sentence hashes (a view: do not modify)."""
        return self._hashes[self._offsets[row] : self._offsets[row + 1]]

    def sentence_weights_of(self, row: int) -> np.ndarray:
        return self._weights[self._offsets[row] : self._offsets[row + 1]]

    @property
    def content(self) -> np.ndarray:
        return self._content[: self._size]

    @property
    def has_content(self) -> np.ndarray:
        return self._has_content[: self._size]

    @property
    def minhash(self) -> np.ndarray:
        return self._minhash[: self._size]

    @property
    def has_minhash(self) -> np.ndarray:
        return self._has_minhash[: self._size]

    @property
    def total_weights(self) -> np.ndarray:
        return self._total_weights[: self._size]

    @property
    def sentence_offsets(self) -> np.ndarray:
        return self._offsets[: self._size + 1]

    @property
    def sentence_hashes(self) -> np.ndarray:
        return self._hashes[: self._sentences]

    @property
    def sentence_weights(self) -> np.ndarray:
        return self._weights[: self._sentences]
