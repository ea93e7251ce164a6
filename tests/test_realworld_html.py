"""Every real page in ../shared/realworld goes through build_document without a crash, as served without a Content-Type.

Which real articles end as not_report or list_page is issue #12's business; here every page
ends as a document or a Rejected reason, never an internal error, and the pages with expected
snippets keep their body and drop their footer (README: "Expected snippets", compared with
whitespace deleted; both sides in canonical form).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import SHARED

from cleaners.document import Fetched, Rejected
from cleaners.encoding import decode_html
from cleaners.extract import extract_html
from cleaners.pipeline import build_document
from cleaners.steps import clean_text

REALWORLD = SHARED / "realworld"
PAGES = sorted(REALWORLD.glob("*/*.html")) + sorted(REALWORLD.glob("readability/*/source.html"))
EXPECTED = sorted(REALWORLD.glob("*/*.expect.json"))


def served(path: Path) -> Fetched:
    url = f"http://127.0.0.1/{path.parent.name}/{path.name}"
    return Fetched(url, url, 200, {}, path.read_bytes(), "2024-01-01T00:00:00Z")


def bare(text: str) -> str:
    return re.sub(r"\s", "", text)


def canonical(text: str) -> str:
    return bare(clean_text(text))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_page_becomes_a_document_or_a_reason(path: Path) -> None:
    try:
        document = build_document(served(path))
    except Rejected as rejected:
        assert rejected.reason not in ("internal_error", "not_html"), rejected
        return
    assert document.text and document.source_type == "html"


@pytest.mark.parametrize("expect", EXPECTED, ids=lambda p: p.name)
def test_real_page_keeps_its_body_and_drops_its_footer(expect: Path) -> None:
    wanted = json.loads(expect.read_text(encoding="utf-8"))
    page = expect.with_name(wanted["file"])
    extracted = extract_html(decode_html(page.read_bytes(), None).text)
    text = bare(clean_text(extracted.text, title=extracted.title))
    for sentence in wanted["must_contain"]:
        assert canonical(sentence) in text
    for chrome in wanted["must_not_contain"] + wanted.get("must_not_contain_added", []):
        if chrome not in wanted.get("without_not_in_file", []):
            assert bare(chrome) not in text
    assert canonical(extracted.title or "") == canonical(wanted["title"])
