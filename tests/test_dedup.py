"""Deduplication: exact, near and fragment relations, order-independent canonical choice, persistence."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SHARED

from storage.backends import ObjectStore, open_store
from storage.dedup import (
    Candidate,
    Link,
    StoreDedupIndex,
    fingerprint,
    normalise,
    rank_for,
    segments,
)
from storage.dedup.fingerprint import jaccard, sentences, shared_weight


class MemoryStore:
    """The ObjectStore protocol over a dict: keeps the 720-permutation test off the disk."""

    uri = "memory:"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        self.objects[key] = data

    def get(self, key: str) -> bytes:
        return self.objects[key]

    def exists(self, key: str) -> bool:
        return key in self.objects

    def list(self, prefix: str = "") -> Iterator[str]:
        return iter(sorted(k for k in self.objects if k.startswith(prefix)))

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def sync(self) -> None:
        pass

    def prune(self, prefix: str) -> None:
        pass

    # The conditional operations of the protocol, versions being content hashes as on a LocalStore.

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        data = self.objects[key]
        return data, hashlib.sha256(data).hexdigest()

    def put_new(self, key: str, data: bytes) -> str | None:
        if key in self.objects:
            return None
        self.objects[key] = data
        return hashlib.sha256(data).hexdigest()

    def put_if(self, key: str, data: bytes, version: str) -> str | None:
        if key not in self.objects or hashlib.sha256(self.objects[key]).hexdigest() != version:
            return None
        self.objects[key] = data
        return hashlib.sha256(data).hexdigest()

    def delete_if(self, key: str, version: str) -> bool:
        if key not in self.objects or hashlib.sha256(self.objects[key]).hexdigest() != version:
            return False
        del self.objects[key]
        return True


def gold(name: str) -> str:
    return (SHARED / "gold" / f"{name}.txt").read_text(encoding="utf-8")


def reprint(text: str) -> str:
    """What a forum repost does: half-width punctuation, stray spaces, lower-cased acronyms, a lost paragraph."""
    paragraphs = text.split("\n")
    del paragraphs[len(paragraphs) // 2]
    text = "\n".join(paragraphs).translate(str.maketrans("，：；（）", ",:;()"))
    text = re.sub(r"(?<=[。,])", " ", text)
    return re.sub(r"[A-Z]{2,}", lambda m: m.group().lower(), text)


def candidate(doc_id: str, text: str, source_type: str = "html", family: str | None = None) -> Candidate:
    return Candidate(doc_id, text, rank_for(text, source_type, family))


@pytest.fixture(scope="module")
def seed_docs() -> list[Candidate]:
    seed_000 = next((SHARED / "seeds").glob("000_*.txt")).read_text(encoding="utf-8")
    return [
        candidate("000", seed_000, family="mirror"),
        candidate("001", gold("001"), family="discuz"),
        candidate("001-reprint", reprint(gold("001")), family="aggregator"),
        candidate("002", gold("002"), source_type="pdf"),
        candidate("003", gold("003"), family="gov_portal"),
        candidate("004", gold("004"), family="aggregator"),
    ]


def index_of(docs: list[Candidate], fingerprints: dict | None = None, store: ObjectStore | None = None) -> StoreDedupIndex:
    index = StoreDedupIndex(store or MemoryStore(), flush_every=10_000)
    for doc in docs:
        index.add(doc, fingerprints[doc.doc_id] if fingerprints else None)
    return index


def by_id(index: StoreDedupIndex) -> dict[str, Link]:
    return {link.doc_id: link for link in index.links()}


def test_seed_documents_end_in_the_expected_relations(seed_docs: list[Candidate]) -> None:
    links = by_id(index_of(seed_docs))
    assert links["000"].duplicate_of == "002" and links["000"].relation == "fragment"
    assert links["000"].similarity is not None and links["000"].similarity >= 0.8
    assert links["001-reprint"].duplicate_of == "001" and links["001-reprint"].relation == "near"
    for distinct in ("001", "002", "003", "004"):
        assert links[distinct] == Link(distinct)


def test_every_arrival_order_gives_the_same_links(seed_docs: list[Candidate]) -> None:
    fingerprints = {doc.doc_id: fingerprint(doc.text) for doc in seed_docs}
    reference = by_id(index_of(seed_docs, fingerprints))
    orders = list(itertools.permutations(seed_docs))
    assert len(orders) == 720
    for order in orders:
        index = index_of(list(order), fingerprints)
        assert by_id(index) == reference, [d.doc_id for d in order]
        assert index.canonical_ids() == {"001", "002", "003", "004"}


def test_add_reports_documents_that_were_repointed(seed_docs: list[Candidate]) -> None:
    docs = {d.doc_id: d for d in seed_docs}
    index = index_of([])
    assert index.add(docs["000"]) == [Link("000")]
    links = index.add(docs["002"])
    assert links[0] == Link("002")
    assert [(link.doc_id, link.duplicate_of, link.relation) for link in links[1:]] == [("000", "002", "fragment")]
    assert index.link("000").duplicate_of == "002"


def test_better_version_arriving_later_becomes_canonical() -> None:
    text = gold("003")
    index = index_of([])
    index.add(candidate("forum", text, family="discuz"))
    links = index.add(candidate("portal", text, family="gov_portal"))
    assert links == [Link("portal"), Link("forum", "portal", "exact", 1.0)]


def test_cleaner_text_beats_a_damaged_one() -> None:
    text = gold("004")
    damaged = text[:200] + "\ufffd\ufffd" + text[202:]
    index = index_of([candidate("damaged", damaged, family="aggregator"), candidate("clean", text, family="aggregator")])
    assert index.link("damaged").duplicate_of == "clean"
    assert index.link("clean") == Link("clean")


def test_chains_are_flattened_to_the_cluster_canonical(seed_docs: list[Candidate]) -> None:
    official = candidate("002-pdf", gold("002"), source_type="pdf")
    repost = candidate("002-forum", reprint(gold("002")), family="discuz")
    excerpt = next(d for d in seed_docs if d.doc_id == "000")
    for order in itertools.permutations([official, repost, excerpt]):
        links = by_id(index_of(list(order)))
        assert links["002-forum"].duplicate_of == "002-pdf"
        assert links["000"].duplicate_of == "002-pdf" and links["000"].relation == "fragment"


def test_fragment_held_whole_by_two_unrelated_documents_is_a_fragment_of_neither() -> None:
    """Which of two different reports an excerpt of their shared sentences came from cannot be told."""
    shared_block = "\n".join(gold("002").split("\n")[10:14])
    first = candidate("portal", shared_block + "\n" + gold("003"), family="gov_portal")
    second = candidate("forum", shared_block + "\n" + gold("004"), family="discuz")
    fragment = candidate("fragment", shared_block, family="aggregator")
    for order in itertools.permutations([first, second, fragment]):
        links = by_id(index_of(list(order)))
        assert links == {"portal": Link("portal"), "forum": Link("forum"), "fragment": Link("fragment")}


def _paragraphs(name: str) -> list[str]:
    return [p for p in gold(name).split("\n") if len(p) > 60]


def _containment(a: str, b: str) -> float:
    fa, fb = fingerprint(a), fingerprint(b)
    return shared_weight(fa.sentence_hashes, fa.sentence_weights, fb.sentence_hashes) / fa.total_weight


def _jaccard(a: str, b: str) -> float:
    ma, mb = fingerprint(a).minhash, fingerprint(b).minhash
    assert ma is not None and mb is not None
    return jaccard(ma, mb)


def test_fragment_held_whole_by_two_overlapping_versions_points_at_the_best_one() -> None:
    """A tie between containers that are mostly one another's text is no ambiguity: the best canonical takes it."""
    report, other = _paragraphs("002"), _paragraphs("001")
    full = candidate("full", "\n".join(report[:13]), family="gov_portal")
    edited = candidate("edited", "\n".join(report[:6] + other[:3]), family="discuz")
    excerpt = candidate("excerpt", "\n".join(report[:2]), family="aggregator")
    # edited is mostly in full (>= 0.5) but neither a fragment (< 0.8) nor a near-duplicate of it.
    assert 0.5 <= _containment(edited.text, full.text) < 0.8 and _containment(full.text, edited.text) < 0.8
    assert _jaccard(edited.text, full.text) < 0.5
    assert _containment(excerpt.text, full.text) == _containment(excerpt.text, edited.text) == 1.0
    for order in itertools.permutations([full, edited, excerpt]):
        links = by_id(index_of(list(order)))
        assert links["excerpt"] == Link("excerpt", "full", "fragment", 1.0)  # the same rank class, and longer
        assert links["full"] == Link("full") and links["edited"] == Link("edited")


def test_a_repost_contained_in_next_years_report_does_not_take_its_own_report_along() -> None:
    """A cluster is a fragment of a container only if its canonical is mostly in it too.

    The repost kept the paragraphs the report shares with next year's report and one of its own, so it
    is near the report and contained in next year's; the report itself is not."""
    report, other = _paragraphs("002"), _paragraphs("001")
    official = candidate("report", "\n".join(report[:13]), source_type="pdf")
    next_year = candidate("next-year", "\n".join(report[:6] + other[:10]), family="gov_portal")
    repost = candidate("repost", "\n".join(report[:7]), family="discuz")
    assert _jaccard(repost.text, official.text) >= 0.5
    assert _containment(repost.text, next_year.text) >= 0.8 and _containment(official.text, next_year.text) < 0.5
    for order in itertools.permutations([official, next_year, repost]):
        links = by_id(index_of(list(order)))
        assert links["repost"].duplicate_of == "report" and links["repost"].relation == "near"
        assert links["report"] == Link("report") and links["next-year"] == Link("next-year")


def test_short_texts_sharing_one_slogan_are_not_near_duplicates() -> None:
    """Jaccard 0.55 between two 35-shingle texts is one shared slogan, under MIN_NEAR_SHINGLES shared shingles."""
    a = candidate("a", "三、老年健康中心等项目建设\n六、我们必须坚持以习近平新时代中国特色社会主义思想为指导")
    b = candidate("b", "五、我们必须坚持以习近平新时代中国特色社会主义思想为指导\n四、创新医养融合模式")
    assert _jaccard(a.text, b.text) >= 0.5
    assert by_id(index_of([a, b])) == {"a": Link("a"), "b": Link("b")}
    # A repost of a text long enough is still near, and any copy is still exact.
    notice = "\n".join(_paragraphs("004")[:2])[:100]
    repost = notice[:40] + notice[43:]  # three characters lost
    assert 60 < len(normalise(notice)) < 100
    index = index_of([candidate("notice", notice), candidate("repost", repost), candidate("copy", notice)])
    assert index.link("repost").relation == "near" and index.link("copy").relation == "exact"


def test_an_index_found_before_min_near_shingles_drops_the_short_near_edges(tmp_path: Path) -> None:
    """A batch written without `min_near_shingles` loads with the near edges today's rule rules out dropped."""
    a = "三、老年健康中心等项目建设\n六、我们必须坚持以习近平新时代中国特色社会主义思想为指导"
    b = "五、我们必须坚持以习近平新时代中国特色社会主义思想为指导\n四、创新医养融合模式"
    long_text = gold("004")
    texts = {"a": a, "b": b, "long": long_text, "long-repost": reprint(long_text)}
    store = open_store(str(tmp_path))
    index = StoreDedupIndex(store, flush_every=1)
    for doc_id, text in texts.items():
        index.add(candidate(doc_id, text))
    index.compact()
    key = next(iter(store.list("dedup/index/snapshots/")))
    batch = segments.decode(store.get(key))
    params = {k: v for k, v in batch.params.items() if k != "min_near_shingles"}
    near = np.concatenate([np.asarray(batch.near_edges).reshape(-1, 2), [[0, 1]]])  # what the old rule found
    store.put(key, segments.encode(dataclasses.replace(batch, params=params, near_edges=near)))
    reopened = StoreDedupIndex(store)
    assert by_id(reopened) == by_id(index)
    assert reopened.link("b") == Link("b") and reopened.link("long-repost").duplicate_of == "long"


def test_width_spacing_and_case_variants_are_exact_duplicates() -> None:
    assert normalise("ＡＩ赋能， 2846.03 亿元（一）") == normalise("ai赋能,2846.03亿元(一)") == "ai赋能284603亿元一"
    index = index_of([candidate("a", "发展AI产业，建设GDP核算平台。"), candidate("b", "发展 ai 产业, 建设 gdp 核算平台.")])
    assert index.link("b") == Link("b", "a", "exact", 1.0) or index.link("a") == Link("a", "b", "exact", 1.0)


def test_very_short_texts() -> None:
    index = index_of([
        candidate("notice-1", "通知"),
        candidate("notice-2", "通知。"),
        candidate("bulletin", "公告"),
        candidate("empty-1", "……"),
        candidate("empty-2", "……"),
    ])
    assert fingerprint("通知").minhash is None and len(fingerprint("通知").sentence_hashes) == 0
    assert {index.link("notice-1").relation, index.link("notice-2").relation} == {"exact", None}
    assert index.link("bulletin") == Link("bulletin")
    # Nothing left after normalisation: nothing to compare, so never a duplicate.
    assert index.link("empty-1") == Link("empty-1") and index.link("empty-2") == Link("empty-2")


def test_identical_boilerplate_pages_are_duplicates_of_each_other_only() -> None:
    boilerplate = "责任编辑：张敏\n【打印本页】【关闭窗口】\n本文来源于网络，版权归原作者所有，如有侵权请联系删除。"
    report = candidate("report", gold("003") + "\n" + boilerplate, family="gov_portal")
    pages = [candidate(f"page-{n}", boilerplate, family="aggregator") for n in range(3)]
    for order in itertools.permutations([report, *pages]):
        links = by_id(index_of(list(order)))
        assert links["report"] == Link("report")
        targets = {links[p.doc_id].duplicate_of for p in pages}
        assert targets == {None, "page-2"}  # equal rank: the largest doc_id wins, in every order
        assert {links[p.doc_id].relation for p in pages} == {None, "exact"}


def test_sentences_survive_width_changes_and_keep_decimals() -> None:
    assert sentences("实现税收总收入847.50亿元。同比增长7.05%!区级收入287.80亿元;总量第一") == [
        "实现税收总收入84750亿元",
        "区级收入28780亿元",
    ]


def test_readding_a_document_changes_nothing(seed_docs: list[Candidate]) -> None:
    index = index_of(seed_docs)
    before = index.links()
    assert index.add(seed_docs[0]) == [index.link(seed_docs[0].doc_id)]
    assert index.links() == before and len(index) == len(seed_docs)


def test_rank_prefers_official_then_clean_then_complete() -> None:
    text = gold("004")
    assert rank_for(text, "pdf") > rank_for(text, "html", "discuz")
    assert rank_for(text, "html", url="https://www.jingan.gov.cn/a.html") > rank_for(text, "html", "aggregator")
    assert rank_for(text, "html", "discuz") > rank_for(text + "\ufffd", "html", "discuz")
    assert rank_for(text + "更多", "html") > rank_for(text, "html")


def test_index_persists_and_reloads_in_the_store(tmp_path: Path, seed_docs: list[Candidate]) -> None:
    store = open_store(str(tmp_path))
    index = StoreDedupIndex(store, flush_every=2, max_tail_segments=100)
    for doc in seed_docs[:4]:
        index.add(doc)
    index.flush()
    assert list(store.list("dedup/index/segments/")) == [
        "dedup/index/segments/000000000000",
        "dedup/index/segments/000000000002",
    ]
    reopened = StoreDedupIndex(store, flush_every=2, max_tail_segments=100)
    assert reopened.links() == index.links()
    for doc in seed_docs[4:]:
        reopened.add(doc)
    reopened.compact()
    assert list(store.list("dedup/index/")) == ["dedup/index/snapshots/000000000006"]
    again = StoreDedupIndex(store)
    assert by_id(again) == by_id(index_of(seed_docs))
    assert again.add(candidate("002-copy", gold("002"), family="mirror"))[0] == Link("002-copy", "002", "exact", 1.0)


def test_snapshot_plus_newer_segments_reload(tmp_path: Path, seed_docs: list[Candidate]) -> None:
    store = open_store(str(tmp_path))
    index = StoreDedupIndex(store, flush_every=1, max_tail_segments=3)
    for doc in seed_docs:
        index.add(doc)
    keys = list(store.list("dedup/index/"))
    assert keys == ["dedup/index/snapshots/000000000006"]  # compacted at 3 and again at 6 segments
    assert StoreDedupIndex(store).links() == index.links()


def test_unflushed_documents_are_not_in_the_store(tmp_path: Path, seed_docs: list[Candidate]) -> None:
    store = open_store(str(tmp_path))
    index = StoreDedupIndex(store, flush_every=100)
    index.add(seed_docs[0])
    assert len(StoreDedupIndex(store)) == 0
    index.close()
    assert len(StoreDedupIndex(store)) == 1


_POOL = [s for s in gold("001").replace("\n", "。").split("。") if len(normalise(s)) >= 12][:40]


@st.composite
def corpora(draw: st.DrawFn) -> list[Candidate]:
    """Documents stitched from overlapping runs of one pool of sentences: copies, excerpts, overlaps."""
    docs = []
    for n in range(draw(st.integers(2, 7))):
        start = draw(st.integers(0, len(_POOL) - 2))
        end = draw(st.integers(start + 1, min(len(_POOL), start + 20)))
        text = "。".join(_POOL[start:end]) + "。"
        if draw(st.booleans()):
            text = text.replace("，", ",")
        docs.append(Candidate(f"d{n}", text, (draw(st.integers(0, 2)),)))
    return docs


@settings(max_examples=60, deadline=None)
@given(corpora(), st.randoms(use_true_random=False))
def test_links_do_not_depend_on_arrival_order(docs: list[Candidate], random) -> None:
    shuffled = list(docs)
    random.shuffle(shuffled)
    first, second = by_id(index_of(docs)), by_id(index_of(shuffled))
    assert first == second
    for link in first.values():
        if link.duplicate_of is not None:
            assert first[link.duplicate_of].duplicate_of is None  # always the canonical, never a chain


@settings(max_examples=40, deadline=None)
@given(corpora(), corpora())
def test_a_reopened_index_answers_like_the_live_one(docs: list[Candidate], later: list[Candidate]) -> None:
    """The key table rebuilt on open (copies left out the same way) finds what the live one finds."""
    store = MemoryStore()
    live = StoreDedupIndex(store, flush_every=3, max_tail_segments=2)
    for doc in docs:
        live.add(doc)
    live.flush()
    reopened = StoreDedupIndex(store)
    assert reopened.links() == live.links()
    for doc in later:
        renamed = Candidate("later-" + doc.doc_id, doc.text, doc.rank)
        assert sorted(reopened.add(renamed), key=repr) == sorted(live.add(renamed), key=repr)


@settings(max_examples=60, deadline=None)
@given(corpora(), st.randoms(use_true_random=False))
def test_prefix_filtering_finds_what_summing_every_posting_finds(docs: list[Candidate], random) -> None:
    """Common sentences left unprobed (StoreDedupIndex._sharing) change how edges are found, never which."""
    boilerplate = "。".join(_POOL[-4:]) + "。"  # in every document: the postings prefix filtering skips
    docs = [Candidate(d.doc_id, boilerplate + d.text if random.random() < 0.7 else d.text, d.rank) for d in docs]
    summing, filtering, cheaper, crowded = (StoreDedupIndex(MemoryStore()) for _ in range(4))
    filtering._direct_postings = cheaper._direct_postings = crowded._direct_postings = 0
    filtering._sum_when_cheaper = False  # always the candidates' own sentence lists
    cheaper._crowded_span = 0  # own lists unless those are longer than the postings; never by counting
    crowded._crowded_span = 1 << 40  # always summed by counting over the documents' range
    summing._crowded_span = 0  # summed by sorting
    for doc in docs:
        assert summing.add(doc) == filtering.add(doc) == cheaper.add(doc) == crowded.add(doc)
    assert summing.links() == filtering.links() == cheaper.links() == crowded.links()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 400)), min_size=1, max_size=60), st.integers(0, 10_000))
def test_shared_weights_by_counting_equal_those_by_sorting(postings: list[tuple[int, int]], offset: int) -> None:
    from storage.dedup.index import _shared_weights

    docs = np.array([doc + offset for doc, _ in postings], dtype=np.int64)
    weights = np.array([weight for _, weight in postings], dtype=np.int64)
    expected: dict[int, int] = {}
    for doc, weight in zip(docs.tolist(), weights.tolist(), strict=True):
        expected[doc] = expected.get(doc, 0) + weight
    for span in (0, 4, 1 << 40):  # sorting, as chosen, counting
        found, shared = _shared_weights(docs, weights, span)
        assert found.dtype == shared.dtype == np.int64
        assert dict(zip(found.tolist(), shared.tolist(), strict=True)) == expected
        assert found.tolist() == sorted(expected)


def test_same_text_with_other_sentence_breaks_is_still_a_container() -> None:
    """Equal normalised text is an exact duplicate, but only the version with the fragment's sentences contains it."""
    sentences = _POOL[:14]
    full_stops = candidate("full-stops", "。".join(sentences) + "。", family="gov_portal")
    commas = candidate("commas", "，".join(sentences) + "。", family="gov_portal")
    excerpt = candidate("excerpt", "。".join(sentences[:4]) + "。", family="aggregator")  # MinHash Jaccard 0.2
    assert normalise(full_stops.text) == normalise(commas.text)
    for order in itertools.permutations([full_stops, commas, excerpt]):
        links = by_id(index_of(list(order)))
        assert links["commas"] == Link("commas", "full-stops", "exact", 1.0)
        assert links["excerpt"] == Link("excerpt", "full-stops", "fragment", 1.0), [d.doc_id for d in order]


def test_an_index_written_before_fingerprint_columns_opens_unchanged(tmp_path: Path, seed_docs: list[Candidate]) -> None:
    """tests/fixtures/dedup-index-format1: the seed documents indexed by the code before columns (a snapshot
    of four documents and a segment of two), in the same segment format 1."""
    shutil.copytree(Path(__file__).parent / "fixtures" / "dedup-index-format1", tmp_path, dirs_exist_ok=True)
    store = open_store(str(tmp_path))
    reopened = StoreDedupIndex(store)
    # Similarities may differ in the 4th decimal: the fixture's sentence weights predate headings
    # starting a sentence (fingerprint._without_layout_breaks); what is linked to what may not.
    fresh = by_id(index_of(seed_docs))
    assert {k: (v.duplicate_of, v.relation) for k, v in by_id(reopened).items()} == {
        k: (v.duplicate_of, v.relation) for k, v in fresh.items()
    }
    assert all(abs((v.similarity or 0) - (fresh[k].similarity or 0)) < 1e-3 for k, v in by_id(reopened).items())
    assert reopened.add(candidate("002-copy", gold("002"), family="mirror"))[0] == Link("002-copy", "002", "exact", 1.0)
    assert reopened.add(candidate("001-forum", reprint(gold("001")), family="discuz"))[0].duplicate_of == "001"
    reopened.compact()
    assert by_id(StoreDedupIndex(store)) == by_id(reopened)


def test_minhash_is_datasketchs_own() -> None:
    from datasketch import MinHash

    from storage.dedup.fingerprint import make_minhash, shingle_hashes

    shingles = shingle_hashes(normalise(gold("004")))
    reference = MinHash(num_perm=128, seed=1, hashfunc=lambda value: value)
    reference.update_batch(shingles.tolist())
    minhash = fingerprint(gold("004")).minhash
    assert minhash is not None
    ours = make_minhash(minhash)
    assert ours == reference and ours.jaccard(reference) == 1.0


def test_shipped_permutations_are_datasketchs() -> None:
    """storage/dedup/permutations.npz holds exactly datasketch's permutations for our parameters."""
    import numpy as np
    from datasketch import MinHash

    from storage.dedup.fingerprint import MINHASH_SEED, NUM_PERM, _permutations

    expected_a, expected_b = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED).permutations
    shipped_a, shipped_b = _permutations()
    assert np.array_equal(shipped_a, expected_a) and np.array_equal(shipped_b, expected_b)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), unique=True, max_size=6), max_size=25), st.integers(1, 8))
def test_sorted_multimap_matches_a_dict_of_lists(batches: list[list[int]], merge_every: int) -> None:
    import numpy as np

    from storage.dedup.multimap import SortedMultiMap

    multimap = SortedMultiMap(merge_every=merge_every)
    reference: dict[int, list[int]] = {}
    for value, keys in enumerate(batches):
        multimap.add(np.array(keys, dtype=np.uint64), value)
        for key in keys:
            reference.setdefault(key, []).append(value)
    query = np.arange(32, dtype=np.uint64)
    positions, values = multimap.lookup(query)
    found = sorted(zip(query[positions].tolist(), values.tolist(), strict=True))
    assert found == sorted((k, v) for k, vs in reference.items() for v in vs)


def hard_wrapped(text: str, width: int) -> str:
    """Each paragraph cut into lines of `width` characters, as a PDF or a <pre> paste leaves it."""
    return "\n".join(p[i : i + width] for p in text.split("\n") for i in range(0, len(p), width))


@pytest.mark.parametrize("width", [17, 26, 40])
def test_a_hard_wrapped_excerpt_is_still_a_fragment(width: int) -> None:
    """Line breaks are layout: sentence hashes of a wrapped excerpt match the unwrapped original."""
    report = gold("002")
    excerpt = hard_wrapped("\n".join(report.split("\n")[10:30]), width)
    assert sentences(excerpt) == sentences("\n".join(report.split("\n")[10:30]))
    for order in ([report, excerpt], [excerpt, report]):
        docs = [candidate("report" if text is report else "excerpt", text) for text in order]
        links = by_id(index_of(docs))
        assert links["excerpt"].duplicate_of == "report" and links["excerpt"].relation == "fragment"


def test_a_heading_starts_a_sentence() -> None:
    assert sentences("各位代表，我们的经济指标持续向好\n一、2023年工作回顾") == ["各位代表我们的经济指标持续向好", "一2023年工作回顾"]
