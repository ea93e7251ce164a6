"""From fetched bytes to a Document: check, sniff, decode, extract, clean, filter.

`build_document` runs these in order; any stage may raise `Rejected(reason, detail)` with a
short stable reason:
  http_<status>  the server answered 4xx/5xx
  empty          the body is empty
  not_html       neither HTML, PDF, DOCX, OFD nor a Word binary (images, robots.txt, feeds)
  unsupported_type  an OLE2 file that is not a Word document (.xls, .ppt, WPS 2000 …), a Word 6/95 file
  binary, undecodable, mojibake   from the decoder (cleaners/encoding.py); mojibake also when a
                 reader's text (after entities, from PDF/DOCX …) is garbled beyond verified repair
  unreadable, no_text             a broken document file, a PDF with neither a text layer nor text OCR can read
  script_rendered                 an app shell: next to no text in the HTML, which a script fills
                 (schema.org JSON-LD `articleBody` is read first: cleaners/scripted.py)
  login_page, list_page, soft_404 what the page is instead of a document
  not_report     too little Chinese text to be a report, summary or bulletin
  not_chinese    the text is mostly in another language
Thresholds and phrases of the filters are data in rules/filters.toml.

The last five are the report filters: with `apply_filters=False` (`govcorpus fetch --no-filter`)
they do not refuse the document, and its `filter_verdict` says what the first of them would have
said. Everything before them still fails, and so does a page with no text at all (`empty`).
"""

from __future__ import annotations

import io
import re
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Final

from cleaners.boilerplate import split_attribution
from cleaners.document import ZIP_READ_ERRORS, Document, Fetched, Rejected, document_id, sha256_hex
from cleaners.encoding import decode_html, repair_extracted_text
from cleaners.extract import extract_html
from cleaners.meta_tags import meta_fields
from cleaners.metadata import infer_metadata, standard_metadata
from cleaners.normalize import fold_compatibility_ideographs
from cleaners.ocr_options import DEFAULT_OCR, OcrOptions
from cleaners.official import head_title, is_head_part, official_fields
from cleaners.reasons import Reason
from cleaners.sniff import OLE2_MAGIC, looks_like_html
from cleaners.steps import canonical_line, clean_text

FILTERS_PATH: Traversable = files("cleaners") / "rules" / "filters.toml"  # works inside a zipped egg too
# Runs, not single characters: re.sub removes a run in one match, ~3x faster on Chinese text.
CJK_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SNIFF_BYTES = 2048
LEGACY_OFFICE_TYPES = ("application/msword", "application/vnd.ms-works", "application/kswps", "application/wps-office")


@dataclass(frozen=True)
class Page:
    """What a reader got out of one resource, before cleaning: the same shape for every type."""

    source_type: str  # html | pdf | docx | ofd | doc
    title: str | None
    text: str  # one paragraph (or PDF line) per line, not yet canonical
    family: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # str fields; `tables` is a list of row lists
    encoding: str | None = None
    encoding_declared: str | None = None
    encoding_detected: str | None = None
    link_entries: int = 0
    link_share: float = 0.0
    login_share: float = 0.0
    script_rendered: str | None = None  # an app shell: why its text is not in its HTML


@cache
def limits() -> dict[str, Any]:
    with FILTERS_PATH.open("rb") as fh:
        return tomllib.load(fh)


# ---------------------------------------------------------------- reading


_ZIP_LIST_ERRORS: tuple[type[Exception], ...] = (ValueError, OSError, *ZIP_READ_ERRORS)


def zip_kind(body: bytes) -> str | None:
    """docx or ofd for a zip package, by the part that defines it; None for another zip."""
    try:
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    except _ZIP_LIST_ERRORS:
        return "docx" if b"word/" in body[:65536] else None  # let the reader say what is broken
    lowered = {name.lower().lstrip("/") for name in names}
    if "word/document.xml" in lowered:
        return "docx"
    if "ofd.xml" in lowered:  # GB/T 33190: the package's entry file, at its root
        return "ofd"
    return None


def sniff_source_type(fetched: Fetched) -> str:
    """html, pdf, docx, ofd or doc, from the bytes first and the Content-Type second.

    Portals serve attachments as application/octet-stream, so containers are told apart by what
    they hold: a zip with word/document.xml is DOCX, a zip with OFD.xml at its root is OFD, an
    OLE2 compound file with a WordDocument stream is a Word binary (.doc, or a .wps saved in that
    form); any other OLE2 file is Rejected('unsupported_type') with its format named.
    """
    body = fetched.body
    if body.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if body.startswith(b"PK\x03\x04") and (kind := zip_kind(body)):
        return kind
    if body.startswith(OLE2_MAGIC):
        from cleaners.doc import ole_format

        ole_format(body)
        return "doc"
    content_type = (fetched.content_type or "").lower()
    if any(kind in content_type for kind in LEGACY_OFFICE_TYPES):
        raise Rejected("unsupported_type", f"Content-Type {content_type} but not a Word-binary file: a legacy Office/WPS format")
    if "html" in content_type or looks_like_html(body):
        return "html"
    raise Rejected("not_html", f"not HTML, PDF, DOCX, OFD or DOC (Content-Type {content_type or 'missing'})")


def read_html(fetched: Fetched, starter: str | None = None, replies: bool = False) -> Page:
    decoded = fetched.decoded.with_text(fetched.body) if fetched.decoded else decode_html(fetched.body, fetched.content_type)
    extracted = extract_html(decoded.text, starter=starter, url=fetched.final_url, replies=replies)
    metadata: dict[str, Any] = dict(extracted.metadata)
    if extracted.tables:
        metadata["tables"] = canonical_tables(extracted.tables)
    return Page(
        source_type="html",
        title=extracted.title,
        text=extracted.text,
        family=extracted.family,
        metadata={**meta_fields(decoded.text), **metadata},
        encoding=decoded.used,
        encoding_declared=decoded.declared,
        encoding_detected=decoded.detected,
        link_entries=extracted.link_entries,
        link_share=extracted.link_share,
        login_share=extracted.login_share,
        script_rendered=extracted.script_rendered,
    )


# The document readers import their libraries (PDFium, python-docx, olefile) on first use: a
# crawl's worker processes that only see HTML save ~12 MB each.


def read_pdf(fetched: Fetched, ocr: OcrOptions = DEFAULT_OCR) -> Page:
    from cleaners.pdf import extract_pdf

    pdf = extract_pdf(fetched.body, ocr)
    metadata: dict[str, Any] = {"pages": str(pdf.pages)}
    if pdf.ocr:
        metadata["ocr"] = pdf.ocr
    if pdf.damaged_pages:
        metadata["damaged_pages"] = pdf.damaged_pages  # their text is missing from the document
    if pdf.title_from_ocr:
        metadata["title_from"] = "ocr"  # the title was a heading image: recognised, not read
    return Page(source_type="pdf", title=pdf.title, text=pdf.text, family="pdf", metadata=metadata)


def canonical_tables(tables: list[list[list[str]]]) -> list[list[list[str]]]:
    """`metadata.tables`: each table a list of rows, each row its cells in canonical form."""
    return [[[canonical_line(cell) or "" for cell in row] for row in table] for table in tables]


def read_docx(fetched: Fetched) -> Page:
    from cleaners.docx import extract_docx

    docx = extract_docx(fetched.body)
    metadata: dict[str, Any] = dict(docx.metadata)
    if docx.tables:
        metadata["tables"] = canonical_tables(docx.tables)
    return Page(source_type="docx", title=docx.title, text=docx.text, family="docx", metadata=metadata)


def read_ofd(fetched: Fetched) -> Page:
    from cleaners.ofd import extract_ofd

    ofd = extract_ofd(fetched.body)
    metadata: dict[str, Any] = {**ofd.metadata, "pages": str(ofd.pages)}
    if ofd.tables:
        metadata["tables"] = canonical_tables(ofd.tables)
    return Page(source_type="ofd", title=ofd.title, text=ofd.text, family="ofd", metadata=metadata)


def read_doc(fetched: Fetched) -> Page:
    from cleaners.doc import extract_doc

    doc = extract_doc(fetched.body)
    metadata: dict[str, Any] = dict(doc.metadata)
    if doc.tables:
        metadata["tables"] = canonical_tables(doc.tables)
    return Page(source_type="doc", title=doc.title, text=doc.text, family="doc", metadata=metadata)


READERS: Final[dict[str, Callable[[Fetched], Page]]] = {
    "html": read_html,
    "pdf": read_pdf,
    "docx": read_docx,
    "ofd": read_ofd,
    "doc": read_doc,
}


def with_continuation(page: Page, parts: tuple[Fetched, ...], replies: bool = False) -> Page:
    """The later pages of a split article appended; on a forum, only the same starter's posts."""
    texts = [page.text]
    for part in parts:
        texts.append(read_html(part, starter=page.metadata.get("forum_author"), replies=replies).text)
    return replace(page, text="\n".join(t for t in texts if t))


def with_parent(page: Page, parent: Fetched) -> Page:
    """An attachment takes what it lacks (title, publisher, date …) from the page that linked it."""
    try:
        linking = read_html(parent)
    except Rejected:
        return page
    return replace(page, title=page.title or linking.title, metadata={**linking.metadata, **page.metadata})


def with_official_fields(page: Page) -> Page:
    """The 公文 fields its text shows (版头, 主送机关, 成文日期: cleaners/official.py) added to what the
    reader labelled; a labelled field (disclosure table, OFD head) wins over the text's.

    A reader that took the 发文机关标志 or the 发文字号 for the title (it is the largest, or the
    first, line of a red-header 公文) gets the title set under them instead.
    """
    found = official_fields(page.text, page.title)
    title = page.title
    if title is None or is_head_part(title):
        title = head_title(page.text) or title
    if not found and title == page.title:
        return page
    return replace(page, title=title, metadata={**found, **page.metadata})


def with_text_checked(page: Page) -> Page:
    """The reader's title and text checked for mojibake (repaired, or Rejected: never stored)."""
    title = repair_extracted_text(page.title, page.source_type) if page.title else page.title
    return replace(page, title=title, text=repair_extracted_text(page.text, page.source_type))


def with_attribution(page: Page) -> Page:
    """A reprint's source line (来源：解放日报) taken from the head of the text into `metadata["source"]`.

    A source the page's own metadata table gave wins over the line.
    """
    text, source = split_attribution(page.text)
    if source is None:
        return page
    return replace(page, text=text, metadata={"source": source, **page.metadata})


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class TextCounts:
    """Counted once per document, read by every filter."""

    cjk: int
    letters: int

    @classmethod
    def of(cls, text: str) -> TextCounts:
        rest = CJK_RUNS.sub("", text)
        cjk = len(text) - len(rest)
        # Han characters are letters too (str.isalpha), so the rest are counted apart: each distinct
        # character once (a page has a few hundred), its occurrences by str.count (in C).
        other_letters = sum(rest.count(ch) for ch in set(rest) if ch.isalpha())
        return cls(cjk=cjk, letters=cjk + other_letters)


def reject_login_page(page: Page, text: str, counts: TextCounts) -> None:
    if page.login_share >= limits()["login_min_form_share"] and counts.cjk < limits()["short_page_cjk_chars"]:
        raise Rejected("login_page", f"a password form holds {page.login_share:.0%} of the page and there is no body")


def reject_list_page(page: Page, text: str, counts: TextCounts) -> None:
    if page.link_entries >= limits()["list_min_main_entries"] and page.link_share >= limits()["list_min_link_share"]:
        raise Rejected("list_page", f"{page.link_entries} entry links hold {page.link_share:.0%} of the main content")


def reject_soft_404(page: Page, text: str, counts: TextCounts) -> None:
    if counts.cjk >= limits()["short_page_cjk_chars"]:
        return
    said = f"{page.title or ''}\n{text}"
    if phrase := next((p for p in limits()["soft_404_phrases"] if p in said), None):
        raise Rejected("soft_404", f"a not-found page served with status 200 ({phrase})")


def reject_not_report(page: Page, text: str, counts: TextCounts) -> None:
    if counts.cjk < limits()["min_cjk_chars"] and counts.letters < limits()["min_cjk_chars"]:
        raise Rejected("not_report", f"{counts.cjk} Chinese characters: too short for a report")


def reject_not_chinese(page: Page, text: str, counts: TextCounts) -> None:
    share = counts.cjk / counts.letters if counts.letters else 0.0
    if share < limits()["min_cjk_share"]:
        raise Rejected("not_chinese", f"{share:.0%} of the letters are Chinese")


# The filters' verdicts about the text itself, which an empty text makes moot.
TEXT_VERDICTS: Final[frozenset[str]] = frozenset({Reason.NOT_REPORT, Reason.NOT_CHINESE})

FILTERS: Final[tuple[Callable[[Page, str, TextCounts], None], ...]] = (
    reject_login_page,
    reject_list_page,
    reject_soft_404,
    reject_not_report,
    reject_not_chinese,
)


# ---------------------------------------------------------------- the flow


def require_success(fetched: Fetched) -> None:
    if fetched.status >= 400:
        raise Rejected(f"http_{fetched.status}", f"HTTP {fetched.status}")
    if not fetched.body.strip():
        raise Rejected("empty", "the response body is empty")


def fold_strings(value: Any) -> Any:
    """`fold_compatibility_ideographs` applied to every string in a metadata value (tables are lists of rows)."""
    if isinstance(value, str):
        return fold_compatibility_ideographs(value)
    if isinstance(value, list):
        return [fold_strings(item) for item in value]
    return value


def clean_title(title: str | None) -> str | None:
    """The title in the canonical form of a text line."""
    return (clean_text(title).replace("\n", "") or None) if title else None


def filter_verdict(page: Page, text: str, counts: TextCounts) -> Rejected | None:
    """The first report filter that refuses the document, as the Rejected it raises; None if none does."""
    for check in FILTERS:
        try:
            check(page, text, counts)
        except Rejected as rejected:
            return rejected
    return None


def build_document(
    fetched: Fetched,
    *,
    continuation: tuple[Fetched, ...] = (),
    parent: Fetched | None = None,
    ocr: OcrOptions = DEFAULT_OCR,
    apply_filters: bool = True,
    forum_replies: bool = False,
) -> Document:
    """Turn one fetched resource into a clean Document, or raise Rejected with a reason.

    `continuation` holds the later pages of a split article (forum thread pages); `parent` is
    the page that linked an attachment; `ocr` bounds the recognition of scanned PDF pages.
    With `apply_filters` False the report filters (login_page, list_page, soft_404, not_report,
    not_chinese) do not refuse the document: their verdict goes to `Document.filter_verdict`; a
    document without any text is still Rejected('empty').
    `forum_replies` keeps every post of a forum thread, other users' replies too (TEXT_SPEC rule 1
    leaves them out; this is for comparing with references that keep whole threads).
    """
    require_success(fetched)
    source_type = sniff_source_type(fetched)
    if source_type == "html":
        page = read_html(fetched, replies=forum_replies)
    elif source_type == "pdf":
        page = read_pdf(fetched, ocr)
    else:
        page = READERS[source_type](fetched)
    if continuation:
        page = with_continuation(page, continuation, forum_replies)
    page = with_official_fields(page)  # before the parent's: a document's own head speaks for it
    if parent is not None:
        page = with_parent(page, parent)
    page = with_attribution(with_text_checked(page))
    # Radicals a PDF font put into a title or a metadata table become ordinary characters there too;
    # dates become ISO, 发文字号 canonical, placeholders (无, -) nothing.
    page = replace(page, metadata=standard_metadata({key: fold_strings(value) for key, value in page.metadata.items()}))
    title = clean_title(page.title)
    text = clean_text(page.text, source_type=page.source_type, title=title)
    if page.script_rendered:
        raise Rejected("script_rendered", page.script_rendered)
    counts = TextCounts.of(text)
    verdict = filter_verdict(page, text, counts)
    # What a page is (a login page, a list, a soft 404) holds without text; a verdict on its text
    # (not a report, not Chinese) would hide that there is no text at all.
    if not text and (verdict is None or verdict.reason in TEXT_VERDICTS):
        raise Rejected("empty", "no text could be extracted from the page")
    if verdict is not None and apply_filters:
        raise verdict
    metadata = {**page.metadata, **infer_metadata(title, text, page.metadata, fetched.final_url)}
    published = metadata.get("published")
    return Document(
        id=document_id(fetched.url),
        url=fetched.url,
        final_url=fetched.final_url,
        title=title,
        text=text,
        source_type=page.source_type,
        encoding=page.encoding,
        content_sha256=sha256_hex(text),
        raw_sha256=sha256_hex(fetched.body),
        fetched_at=fetched.fetched_at,
        published=published if published and ISO_DATE_RE.match(published) else None,
        encoding_declared=page.encoding_declared,
        encoding_detected=page.encoding_detected,
        family=page.family,
        metadata=metadata,
        filter_verdict={"reason": verdict.reason, "detail": verdict.detail} if verdict is not None else None,
    )
