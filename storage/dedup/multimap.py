"""Append-only uint64 -> doc multimaps in sorted numpy arrays: the LSH band tables and sentence postings."""

from __future__ import annotations

import numpy as np

_EMPTY_KEYS = np.zeros(0, dtype=np.uint64)
_EMPTY_VALUES = np.zeros(0, dtype=np.int64)


class SortedMultiMap:
    """Sorted (key, value) arrays plus a small dict of recent entries, merged in as it grows.

    12 bytes an entry instead of ~100 for a dict of lists, and a lookup of many keys is two
    searchsorted calls. The dict is merged once it holds `merge_every` entries or a quarter of
    the sorted ones, whichever is more: lookups in it run in Python, so it must stay small next
    to the arrays, and a merge (a near-linear timsort of everything) stays amortised.
    """

    def __init__(self, merge_every: int = 1 << 12) -> None:
        self._keys = _EMPTY_KEYS
        self._values = _EMPTY_VALUES.astype(np.int32)
        self._recent: dict[int, int | list[int]] = {}  # a list only once a key has a second value
        self._recent_entries = 0
        self._merge_every = merge_every

    def __len__(self) -> int:
        return len(self._keys) + self._recent_entries

    def add(self, keys: np.ndarray, value: int) -> None:
        """Map each of `keys` (distinct) to `value`."""
        keys_list = keys.tolist()
        recent = self._recent
        new_keys = []
        for key in keys_list:
            values = recent.get(key)
            if values is None:
                new_keys.append(key)
            elif isinstance(values, int):
                recent[key] = [values, value]
            else:
                values.append(value)
        recent.update(dict.fromkeys(new_keys, value))
        self._recent_entries += len(keys_list)
        if self._recent_entries >= max(self._merge_every, len(self._keys) // 4):
            self.merge()

    def add_many(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Bulk load, e.g. when an index is opened."""
        self.merge()
        self._merge_arrays(keys.astype(np.uint64, copy=False), values.astype(np.int32, copy=False))

    def merge(self) -> None:
        if not self._recent:
            return
        single = {k: v for k, v in self._recent.items() if isinstance(v, int)}
        multiple = {k: v for k, v in self._recent.items() if not isinstance(v, int)}
        sizes = [len(v) for v in multiple.values()]
        keys = np.concatenate([
            np.fromiter(single.keys(), dtype=np.uint64, count=len(single)),
            np.repeat(np.fromiter(multiple.keys(), dtype=np.uint64, count=len(multiple)), sizes),
        ])
        values = np.concatenate([
            np.fromiter(single.values(), dtype=np.int32, count=len(single)),
            np.fromiter((v for vs in multiple.values() for v in vs), dtype=np.int32, count=sum(sizes)),
        ])
        self._recent, self._recent_entries = {}, 0
        self._merge_arrays(keys, values)

    def _merge_arrays(self, keys: np.ndarray, values: np.ndarray) -> None:
        all_keys = np.concatenate([self._keys, keys])
        # Stable sort of a sorted run plus a short tail is a near-linear merge (timsort).
        order = np.argsort(all_keys, kind="stable")
        self._keys = all_keys[order]
        self._values = np.concatenate([self._values, values])[order]

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in `keys`, value) for every stored entry whose key is in `keys`."""
        lo = np.searchsorted(self._keys, keys, side="left")
        hi = np.searchsorted(self._keys, keys, side="right")
        counts = hi - lo
        total = int(counts.sum())
        if total:
            which = np.repeat(np.arange(len(keys)), counts)
            starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
            positions, values = which, self._values[starts + np.arange(total)].astype(np.int64)
        else:
            positions, values = _EMPTY_VALUES, _EMPTY_VALUES
        if self._recent:
            extra_positions: list[int] = []
            extra_values: list[int] = []
            recent = self._recent
            for position, key in enumerate(keys.tolist()):
                found = recent.get(key)
                if found is None:
                    continue
                if isinstance(found, int):
                    extra_positions.append(position)
                    extra_values.append(found)
                else:
                    extra_positions.extend([position] * len(found))
                    extra_values.extend(found)
            if extra_values:
                positions = np.concatenate([positions, np.array(extra_positions, dtype=np.int64)])
                values = np.concatenate([values, np.array(extra_values, dtype=np.int64)])
        return positions, values
