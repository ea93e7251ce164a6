"""The dedup index's data structures against plain references: MinHash, fingerprint columns, key table, segments."""

from __future__ import annotations

import io
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.dedup import fingerprint, normalise
from storage.dedup.columns import FingerprintColumns
from storage.dedup.fingerprint import (
    MINHASH_SEED,
    NUM_PERM,
    Fingerprint,
    minhash_values,
    shingle_hashes,
)
from storage.dedup.multimap import SortedMultiMap
from storage.dedup.rank import damage_signals
from storage.dedup.segments import Batch, decode, encode

# Letters, digits, CJK, full- and half-width punctuation, spaces and line breaks: what reports are made of.
TEXT = st.text(
    st.sampled_from(list("政府工作报告年全区生产总值增长亿元一二三ＡＢab0123456789，。；：！？,.;!? \n（）、…")),
    max_size=400,
)


def same_fingerprint(a: Fingerprint, b: Fingerprint) -> bool:
    minhash_equal = (a.minhash is None and b.minhash is None) or (
        a.minhash is not None and b.minhash is not None and np.array_equal(a.minhash, b.minhash)
    )
    return (
        a.content_hash == b.content_hash
        and minhash_equal
        and np.array_equal(a.sentence_hashes, b.sentence_hashes)
        and np.array_equal(a.sentence_weights, b.sentence_weights)
        and a.sentence_hashes.dtype == b.sentence_hashes.dtype
        and a.sentence_weights.dtype == b.sentence_weights.dtype
    )


@settings(max_examples=60, deadline=None)
@given(TEXT)
def test_numpy_minhash_equals_datasketchs_update_batch(text: str) -> None:
    from datasketch import MinHash

    shingles = shingle_hashes(normalise(text))
    ours = minhash_values(shingles)
    if len(shingles) == 0:
        assert ours is None
        return
    reference = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=lambda value: value)
    reference.update_batch(shingles.tolist())
    assert ours is not None and np.array_equal(ours, reference.hashvalues)


def test_numpy_minhash_of_a_long_text_equals_datasketchs() -> None:
    """More shingles than one vectorised chunk (4,096)."""
    from datasketch import MinHash

    shingles = np.arange(1, 10_001, dtype=np.uint32) * np.uint32(2_654_435_761)
    reference = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=lambda value: value)
    reference.update_batch(shingles.tolist())
    ours = minhash_values(np.unique(shingles))
    assert ours is not None and np.array_equal(ours, reference.hashvalues)


@settings(max_examples=25, deadline=None)
@given(st.lists(TEXT, max_size=150), st.integers(0, 150), st.integers(0, 150))
def test_fingerprint_columns_hold_exactly_the_fingerprints(texts: list[str], start: int, stop: int) -> None:
    fingerprints = [fingerprint(text) for text in texts]
    columns = FingerprintColumns()
    for fp in fingerprints:
        columns.append(fp)
    assert len(columns) == len(fingerprints)
    assert all(same_fingerprint(a, b) for a, b in zip(columns, fingerprints, strict=True))
    assert columns.total_weights.tolist() == [fp.total_weight for fp in fingerprints]
    part = columns[start:stop]
    assert all(same_fingerprint(a, b) for a, b in zip(part, fingerprints[start:stop], strict=True))
    joined = FingerprintColumns.of(fingerprints[:start])
    joined.extend(FingerprintColumns.of(fingerprints[start:]))
    assert all(same_fingerprint(a, b) for a, b in zip(joined, fingerprints, strict=True))


@settings(max_examples=25, deadline=None)
@given(st.lists(TEXT, max_size=20))
def test_segments_round_trip_lists_and_columns_alike(texts: list[str]) -> None:
    fingerprints = [fingerprint(text) for text in texts]
    n = len(texts)
    edges = [(i, i - 1) for i in range(1, n)]
    fragments = [(i - 1, i, 0.85) for i in range(1, n, 2)]
    batch = Batch(7, {"p": 1}, [f"d{i}" for i in range(n)], [(i, "x") for i in range(n)], fingerprints, edges, fragments)
    data = encode(batch)
    decoded = decode(data)
    assert (decoded.first, decoded.params, decoded.doc_ids, decoded.ranks) == (7, {"p": 1}, batch.doc_ids, batch.ranks)
    assert all(same_fingerprint(a, b) for a, b in zip(decoded.fingerprints, fingerprints, strict=True))
    assert [tuple(edge) for edge in np.asarray(decoded.near_edges).tolist()] == edges
    assert [(int(a), int(b), c) for a, b, c in np.asarray(decoded.fragment_edges).tolist()] == fragments
    assert npz_arrays(encode(decoded)) == npz_arrays(data)  # the columnar path writes what the list path writes


def npz_arrays(data: bytes) -> dict[str, tuple[str, tuple[int, ...], bytes]]:
    with np.load(io.BytesIO(data)) as arrays:
        return {name: (arrays[name].dtype.str, arrays[name].shape, arrays[name].tobytes()) for name in arrays.files}


@st.composite
def multimap_operations(draw: st.DrawFn) -> list[tuple[str, list[int]]]:
    """Adds of distinct keys and bulk loads, from a small pool so that keys repeat and buckets crowd."""
    pool = draw(st.lists(st.one_of(st.integers(0, 3), st.integers(0, 2**64 - 1)), min_size=1, max_size=40, unique=True))
    operations = []
    for _ in range(draw(st.integers(0, 120))):
        kind = draw(st.sampled_from(["add"] * 9 + ["add_many"]))
        if kind == "add":
            operations.append(("add", draw(st.lists(st.sampled_from(pool), unique=True, max_size=8))))
        else:
            operations.append(("add_many", draw(st.lists(st.sampled_from(pool), max_size=60))))
    return [*operations, ("query", pool)]


@settings(max_examples=80, deadline=None)
@given(multimap_operations(), st.sampled_from([1, 2, 5, 50, 1 << 18]), st.sampled_from([0, 20, 1 << 24]))
def test_sorted_multimap_matches_a_dict_of_lists(operations: list[tuple[str, list[int]]], merge_every: int, small_run_from: int) -> None:
    multimap = SortedMultiMap(merge_every=merge_every, small_run_from=small_run_from)
    reference: dict[int, list[int]] = {}
    value = 0
    for kind, keys in operations:
        if kind == "add":
            multimap.add(np.array(keys, dtype=np.uint64), value)
            for key in keys:
                reference.setdefault(key, []).append(value)
            value += 1
        elif kind == "add_many":
            values = list(range(value, value + len(keys)))
            multimap.add_many(np.array(keys, dtype=np.uint64), np.array(values), chunk=7)
            for key, v in zip(keys, values, strict=True):
                reference.setdefault(key, []).append(v)
            value += len(keys)
    query = np.array(operations[-1][1] + [12345], dtype=np.uint64)
    positions, values_found = multimap.lookup(query)
    found = sorted(zip(query[positions].tolist(), values_found.tolist(), strict=True))
    assert found == sorted((key, v) for key in query.tolist() for v in reference.get(key, []))
    assert len(multimap) == sum(len(vs) for vs in reference.values())


def test_sorted_multimap_finds_every_value_of_a_key_shared_by_thousands() -> None:
    """A boilerplate sentence: one key in far more entries than a lookup window holds."""
    multimap = SortedMultiMap(merge_every=1000)
    rng = np.random.default_rng(3)
    common = np.uint64(0x9E3779B97F4A7C15)
    for doc in range(5000):
        multimap.add(np.append(rng.integers(1, 2**63, size=5, dtype=np.uint64), common), doc)
    positions, values = multimap.lookup(np.array([common, 7], dtype=np.uint64))
    assert positions.tolist() == [0] * 5000 and sorted(values.tolist()) == list(range(5000))


DAMAGE_ALPHABET = list("政府\ufffd锟斤拷烫\ue000\ue5a1\uf8ff\uf900\x00\x08\t\n\x0b\x1f \x7f\x80a.…㎡ⅲ\u0301\u1100\u1161é。，")


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(DAMAGE_ALPHABET), max_size=40))
def test_damage_signals_counts_what_the_original_expression_matched(text: str) -> None:
    """Counted with numpy, as the regular expression it replaced counted."""
    original = re.compile(r"\ufffd|锟斤拷|烫烫烫|[\ue000-\uf8ff]|[\x00-\x08\x0b-\x1f\x7f]")
    assert damage_signals(text) == len(original.findall(text))
