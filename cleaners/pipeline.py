"""From fetched bytes to a Document: sniff, decode, extract, clean, filter."""

from __future__ import annotations

import trafilatura

from cleaners.document import Document, Fetched, Rejected, document_id, sha256_hex

MIN_CHARS = 200


def sniff_source_type(fetched: Fetched) -> str:
    """html, pdf or docx, from the bytes first and the Content-Type second."""
    body = fetched.body
    if body.startswith(b"%PDF-"):
        return "pdf"
    if body.startswith(b"PK\x03\x04") and b"word/" in body[:4096]:
        return "docx"
    content_type = (fetched.content_type or "").lower()
    if "html" in content_type or "xml" in content_type or content_type.startswith("text/"):
        return "html"
    if b"<html" in body[:2048].lower() or b"<!doctype html" in body[:2048].lower():
        return "html"
    raise Rejected("unsupported_type", f"not HTML, PDF or DOCX (Content-Type {content_type or 'missing'})")


def build_document(fetched: Fetched) -> Document:
    """Turn one fetched resource into a clean Document, or raise Rejected with a reason."""
    if not fetched.body.strip():
        raise Rejected("empty", "the response body is empty")
    source_type = sniff_source_type(fetched)
    if source_type != "html":
        raise Rejected("unsupported_type", f"{source_type} extraction is not available yet")
    html = fetched.body.decode("utf-8", errors="replace")
    text = trafilatura.extract(html, deduplicate=False) or ""
    if len(text) < MIN_CHARS:
        raise Rejected("too_short", f"{len(text)} characters of text after extraction")
    title = trafilatura.extract_metadata(html).title if html else None
    return Document(
        id=document_id(fetched.url),
        url=fetched.url,
        final_url=fetched.final_url,
        title=title,
        text=text,
        source_type=source_type,
        encoding="utf-8",
        content_sha256=sha256_hex(text),
        raw_sha256=sha256_hex(fetched.body),
        fetched_at=fetched.fetched_at,
    )
