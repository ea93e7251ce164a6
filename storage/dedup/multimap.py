"""Append-only uint64 -> doc multimaps in sorted numpy runs: the dedup index's band keys and sentence postings."""

from __future__ import annotations

from array import array

import numpy as np

_EMPTY_KEYS = np.zeros(0, dtype=np.uint64)
_EMPTY_VALUES = np.zeros(0, dtype=np.int64)
# Entries a run's directory bucket holds on average, and how many a lookup reads at once: a bucket with
# more (a key shared by many documents, or bad luck) is looked up with searchsorted instead.
_PER_BUCKET = 4
_WINDOW = 16
_WINDOW_COLUMNS = np.arange(_WINDOW)


class _Run:
    """Sorted keys with their values, and a directory: bucket (top bits of the key) -> first entry.

    A lookup reads the directory and one window of _WINDOW entries per key: about one cache miss,
    where a binary search of a run of millions takes ten or more. Entries of other buckets in the
    window cannot match (their top bits differ), so only buckets longer than the window need a
    binary search. 12 bytes an entry plus 1 for the directory.
    """

    def __init__(
        self, padded_keys: np.ndarray, values: np.ndarray, grown_from: _Run | None = None, added: np.ndarray | None = None
    ) -> None:
        """`padded_keys`: the sorted keys followed by _WINDOW padding entries (taken over, not copied).

        `grown_from`, `added`: the run these entries are plus the `added` keys; its directory is
        updated with theirs instead of recounting every key, when the bucket count stays the same.
        """
        # The padding keeps every window inside the array. Only windows of the last buckets reach it, and
        # their keys are not 0 (bucket 0's window starts at entry 0), unless the run is shorter than a window.
        self._padded_keys = padded_keys
        self.keys, self.values = padded_keys[: len(values)], values
        bits = max(1, int(len(values) // _PER_BUCKET).bit_length())
        self.shift = np.uint64(64 - bits)
        offset_type: type[np.integer] = np.uint32 if len(values) < 1 << 32 else np.int64
        self.directory: np.ndarray
        if grown_from is not None and added is not None and grown_from.shift == self.shift and grown_from.directory.dtype == offset_type:
            counted, base = added, grown_from.directory
        else:
            counted, base = self.keys, None
        counts = np.bincount((counted >> self.shift).astype(np.intp), minlength=1 << bits)
        self.directory = np.zeros((1 << bits) + 1, dtype=offset_type)
        np.cumsum(counts, out=self.directory[1:])
        if base is not None:
            np.add(self.directory, base, out=self.directory)

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        buckets = (keys >> self.shift).astype(np.intp)
        bounds = self.directory[buckets[:, None] + _FIRST_AND_END].astype(np.intp)
        rows = bounds[:, :1] + _WINDOW_COLUMNS
        positions, column = np.nonzero(self._padded_keys[rows] == keys[:, None])
        found = rows[positions, column]
        if len(self.keys) < _WINDOW:  # only then can bucket 0's window (key 0) reach the zero padding
            real = found < len(self.keys)
            positions, found = positions[real], found[real]
        values = self.values[found]
        crowded = bounds[:, 1] - bounds[:, 0] > _WINDOW
        if crowded.any():
            keep = ~crowded[positions]
            which = np.flatnonzero(crowded)
            extra_positions, extra_values = _search(self.keys, self.values, keys[which])
            positions = np.concatenate([positions[keep], which[extra_positions]])
            values = np.concatenate([values[keep], extra_values])
        return positions, values.astype(np.int64)


_FIRST_AND_END = np.array([0, 1])


def _search(sorted_keys: np.ndarray, values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in `keys`, value) of every entry whose key is in `keys`, by binary search."""
    lo = np.searchsorted(sorted_keys, keys, side="left")
    hi = np.searchsorted(sorted_keys, keys, side="right")
    counts = hi - lo
    total = int(counts.sum())
    if not total:
        return _EMPTY_VALUES, _EMPTY_VALUES
    which = np.repeat(np.arange(len(keys)), counts)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return which, values[starts + np.arange(total)]


def _merged(run: _Run | None, keys: np.ndarray, values: np.ndarray) -> _Run:
    """`run` plus the sorted (keys, values): a linear merge, never a sort of everything."""
    size = len(keys) + (len(run) if run is not None else 0)
    merged_keys = np.zeros(size + _WINDOW, dtype=np.uint64)
    merged_values = np.empty(size, dtype=np.int32)
    if run is None:
        merged_keys[:size], merged_values[:] = keys, values
        return _Run(merged_keys, merged_values)
    at = np.searchsorted(run.keys, keys, side="right") + np.arange(len(keys))
    old = np.ones(size, dtype=bool)
    old[at] = False
    merged_keys[at], merged_values[at] = keys, values
    merged_keys[:size][old], merged_values[old] = run.keys, run.values
    return _Run(merged_keys, merged_values, grown_from=run, added=keys)


class SortedMultiMap:
    """uint64 key -> int32 values (several a key), in one or two sorted runs plus a dict of recent entries.

    13 bytes an entry instead of ~100 for a dict of lists. New entries go to the dict; every
    `merge_every` entries it is sorted and merged into the large run. Once the large run holds
    `small_run_from` entries, a merge rewriting it costs more than a second run's lookups save, so
    merges go to a small run, itself merged into the large one once it holds an eighth as many: each
    entry is copied a bounded number of times. A merge briefly needs the run it builds beside the one
    it replaces (about twice the large run).
    """

    def __init__(self, merge_every: int = 1 << 18, small_run_from: int = 1 << 24) -> None:
        self._large: _Run | None = None
        self._small: _Run | None = None
        self._recent: dict[int, int | array[int]] = {}  # an int32 array only once a key has a second value
        self._recent_keys: list[int] = []  # the same entries in arrival order, for merging
        self._recent_values: list[int] = []
        self._merge_every = merge_every
        self._small_run_from = small_run_from

    def __len__(self) -> int:
        return sum(len(run) for run in self._runs()) + len(self._recent_keys)

    def _runs(self) -> list[_Run]:
        return [run for run in (self._large, self._small) if run is not None]

    def add(self, keys: np.ndarray, value: int) -> None:
        """Map each of `keys` (uint64, distinct) to `value`."""
        keys_list = keys.tolist()
        recent = self._recent
        new_keys = []
        for key in keys_list:
            values = recent.get(key)
            if values is None:
                new_keys.append(key)
            elif isinstance(values, int):
                recent[key] = array("i", (values, value))
            else:
                values.append(value)
        recent.update(dict.fromkeys(new_keys, value))
        self._recent_keys.extend(keys_list)
        self._recent_values.extend([value] * len(keys_list))
        if len(self._recent_keys) >= self._merge_every:
            self.merge()

    def add_many(self, keys: np.ndarray, values: np.ndarray, chunk: int = 1 << 22) -> None:
        """Bulk load (e.g. when an index is opened): `keys[i]` -> `values[i]`, `chunk` entries sorted at a time."""
        self.merge()
        for start in range(0, len(keys), chunk):
            part_keys = keys[start : start + chunk].astype(np.uint64)
            order = np.argsort(part_keys, kind="stable")
            self._add_sorted(part_keys[order], values[start : start + chunk].astype(np.int32)[order])

    def merge(self) -> None:
        """Move the recent entries into the sorted runs."""
        if not self._recent:
            return
        keys = np.array(self._recent_keys, dtype=np.uint64)
        values = np.array(self._recent_values, dtype=np.int32)
        self._recent, self._recent_keys, self._recent_values = {}, [], []
        order = np.argsort(keys, kind="stable")
        self._add_sorted(keys[order], values[order])

    def _add_sorted(self, keys: np.ndarray, values: np.ndarray) -> None:
        if self._large is None or (self._small is None and len(self._large) < self._small_run_from):
            self._large = _merged(self._large, keys, values)
            return
        self._small = _merged(self._small, keys, values)
        if self._large is None or len(self._small) * 8 >= len(self._large):
            self._large, self._small = _merged(self._large, self._small.keys, self._small.values), None

    def _lookup_recent(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """lookup() in the dict of recent entries.

        A key shared by hundreds of documents (a stock sentence) holds its values in an int32 array:
        they are copied out with one bytes join, not one Python int at a time.
        """
        single_positions: list[int] = []
        single_values: list[int] = []
        shared_positions: list[int] = []
        shared_counts: list[int] = []
        shared_values: list[array[int]] = []
        recent = self._recent
        for position, key in enumerate(keys.tolist()):
            values = recent.get(key)
            if values is None:
                continue
            if isinstance(values, int):
                single_positions.append(position)
                single_values.append(values)
            else:
                shared_positions.append(position)
                shared_counts.append(len(values))
                shared_values.append(values)
        positions = np.array(single_positions, dtype=np.int64)
        found = np.array(single_values, dtype=np.int64)
        if shared_values:
            positions = np.concatenate([positions, np.repeat(np.array(shared_positions, dtype=np.int64), shared_counts)])
            found = np.concatenate([found, np.frombuffer(b"".join(shared_values), dtype=np.int32)])
        return positions, found

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in `keys`, value) for every stored entry whose key is in `keys` (uint64), as int64 arrays."""
        found = [run.lookup(keys) for run in self._runs()]
        if self._recent:
            found.append(self._lookup_recent(keys))
        if not found:
            return _EMPTY_VALUES, _EMPTY_VALUES
        if len(found) == 1:
            return found[0]
        return np.concatenate([p for p, _ in found]), np.concatenate([v for _, v in found])
