"""What the read commands list (`ls`, `show`, `export`, the service's GET /documents): the index, checked.

`index.jsonl` is derived from the documents and written when a run ends (or checkpoints). Before
listing from it, the readers compare it with the keys under `documents/` (a key listing, no record
read) and tell three cases apart:

- every document is indexed: the index is the listing;
- documents are missing from it because a run is still under way — a writer holds the store's
  lease, a run is open in `runs/active/` (killed, or going), or the documents belong to a run whose
  manifest is not written yet: in flight, not damage; the listing comes with a note saying so;
- documents are missing from it (or it is gone) and no run explains them: the store is damaged, and
  `StoreDamaged` says to run `govcorpus check --repair` rather than list nothing.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

from storage.backends import StoreDamaged
from storage.corpus import INDEX_KEY, Corpus
from storage.lease import read_holder
from storage.manifest import MANIFEST_PREFIX
from storage.runs import active_runs


@dataclass(frozen=True)
class Unindexed:
    """Documents stored by runs still under way that the index does not list yet.

    `documents`: how many; `writer`: the live writer's description (`Holder.describe`), if another
    process holds the lease; `runs`: the open runs of `runs/active/`.
    """

    documents: int
    writer: str | None = None
    runs: tuple[str, ...] = ()

    def note(self) -> str:
        """One line for the user: what is not listed, and why."""
        count = f"{self.documents} document{'s' if self.documents != 1 else ''}"
        are = "are" if self.documents != 1 else "is"
        if self.writer is not None:
            return (
                f"the store is being written by {self.writer}: {count} stored so far {are} not listed yet "
                "(the index is written when it ends)"
            )
        if self.runs:
            run = self.runs[0] + (f" (and {len(self.runs) - 1} more)" if len(self.runs) > 1 else "")
            return (
                f"run {run} is unfinished: {count} it stored {are} not listed yet; "
                "re-run its crawl command to resume it (the index is written when it ends)"
            )
        return f"{count} of runs under way {are} not listed yet (the index is written when each ends)"


@dataclass(frozen=True)
class Listing:
    """The index's entries (sorted by id) and what it does not list yet."""

    entries: list[dict[str, Any]]
    unindexed: Unindexed | None = None


def _document_ids(corpus: Corpus) -> set[str]:
    prefix = "documents/"
    return {key[len(prefix) : -len(".json")] for key in corpus.store.list(prefix) if key.endswith(".json") and key.count("/") == 1}


def list_documents(corpus: Corpus) -> Listing:
    """The entries of `corpus`'s index, checked against its documents (see the module docstring).

    Raises StoreDamaged when the index is unreadable, or when documents are missing from it that
    no run under way explains (index.jsonl deleted or cut short by hand, a disk, a crash of a
    process from before the lease); StoreError when the store cannot be read at all.
    """
    entries = corpus.entries()  # StoreDamaged if index.jsonl cannot be read
    missing = _document_ids(corpus) - {entry["id"] for entry in entries}
    if not missing:
        return Listing(entries)
    holder = read_holder(corpus.store)
    ours = holder is not None and (holder.pid, holder.host) == (os.getpid(), socket.gethostname())
    if holder is not None and not ours and holder.stale() is None:
        return Listing(entries, Unindexed(len(missing), writer=holder.describe()))
    runs = tuple(sorted(str(run["run_id"]) for run in active_runs(corpus.store)))
    if runs:
        return Listing(entries, Unindexed(len(missing), runs=runs))
    # No run is open: only documents of a run whose manifest is not written yet (a fetch this very
    # process is storing, as the service does) may be missing. The first that is not is damage.
    for doc_id in sorted(missing):
        doc = corpus.get(doc_id)
        if doc is None:
            continue  # an unreadable record: `check` reports it, listing leaves it out as before
        if not doc.run_id or corpus.store.exists(f"{MANIFEST_PREFIX}{doc.run_id}.jsonl"):
            if corpus.store.exists(INDEX_KEY):
                raise StoreDamaged(corpus.uri, INDEX_KEY, f"{len(missing)} stored documents are missing from it")
            raise StoreDamaged(corpus.uri, INDEX_KEY, f"missing while {len(missing)} documents are stored")
    return Listing(entries, Unindexed(len(missing)))


def require_index(corpus: Corpus) -> None:
    """Raise StoreDamaged when `index.jsonl` is gone while documents are stored (cheap: one key and one listing page).

    A writer that starts a new run on such a store would write an index of its own documents only,
    hiding every earlier one; it is refused instead, pointing at `govcorpus check --repair`. Call it
    holding the store's lease alone (not in a distributed job): an open run in `runs/active/`
    explains a missing index (its resume rebuilds it), so it is not refused.
    """
    if corpus.store.exists(INDEX_KEY) or active_runs(corpus.store):
        return
    if next(iter(corpus.store.list("documents/")), None) is not None:
        raise StoreDamaged(corpus.uri, INDEX_KEY, "missing while documents are stored")
