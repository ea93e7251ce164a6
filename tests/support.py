"""Helpers for tests: paths, free ports, running the CLI as a user would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from cleaners.document import Document
from storage.corpus import Corpus
from storage.journey import Outcome

REPO = Path(__file__).resolve().parents[1]
# The shared material (seeds, gold, real-world pages, fault cases) lies beside the checkout.
SHARED = REPO.parent / "shared"
FIXTURE_PAGES = REPO / "tests" / "fixtures" / "pages"
DEMO_SITE = REPO / "govcorpus" / "demo_site"

# Pages on our own loopback servers need no politeness delay.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0.01", "-s", "AUTOTHROTTLE_MAX_DELAY=0.5"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed `govcorpus` command as a user would."""
    command = [str(Path(sys.executable).parent / "govcorpus"), *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )



def stored_document(corpus: Corpus, doc_id: str) -> Document:
    """The stored record of `doc_id`; the test fails here, naming it, when there is none."""
    doc = corpus.get(doc_id)
    assert doc is not None, f"no stored record for {doc_id}"
    return doc


def document_of(outcome: Outcome) -> Document:
    """The document a journey ended with; the test fails here when it ended without one."""
    assert outcome.document is not None, f"{outcome.url} ended {outcome.outcome} ({outcome.reason}) without a document"
    return outcome.document
