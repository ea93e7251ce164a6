"""The document record that flows from cleaning into storage."""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from cleaners.reasons import is_reason


@dataclass(frozen=True)
class Fetched:
    """One downloaded resource, exactly as the server sent it."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]  # lower-cased header names
    body: bytes
    fetched_at: str  # ISO 8601, UTC
    # How the body was decoded at download (crawler/decoding.py), read instead of decoding the
    # bytes a second time: a cleaners.encoding.Decoded, its text possibly dropped (`with_text(body)`).
    decoded: Any = None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


# What reading a damaged zip package (DOCX, OFD) can raise: a bad directory or CRC (BadZipFile),
# a corrupt deflate stream (zlib.error), a truncated member (EOFError), an unknown compression
# method or zip version (NotImplementedError).
ZIP_READ_ERRORS: tuple[type[Exception], ...] = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


class Rejected(Exception):
    """The fetched resource cannot become a document; `reason` is a code of `cleaners.reasons`.

    Raises ValueError for a reason outside the vocabulary: that is a bug, not a page's fault.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        if not is_reason(reason):
            raise ValueError(f"Rejected with {reason!r}, which is not a reason of cleaners/reasons.py")
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[Rejected], tuple[str, str]]:
        # Rebuilt from (reason, detail), not from the joined message, when crossing processes.
        return (Rejected, (self.reason, self.detail))


@dataclass
class Document:
    id: str
    url: str
    final_url: str
    title: str | None
    text: str
    source_type: str  # html | pdf | docx
    encoding: str | None  # the encoding used to decode (None for binary formats)
    content_sha256: str  # of `text`, the canonical body
    raw_sha256: str  # of the fetched bytes
    fetched_at: str
    published: str | None = None
    duplicate_of: str | None = None
    duplicate_relation: str | None = None  # exact | near | fragment
    duplicate_similarity: float | None = None
    encoding_declared: str | None = None
    encoding_detected: str | None = None
    family: str | None = None  # discuz | gov_portal | aggregator | generic
    metadata: dict[str, Any] = field(default_factory=dict)
    # Built with the report filters off (`fetch --no-filter`): what the first filter that refuses the
    # document would have said, {"reason", "detail"}; None when none would (or the filters were on).
    filter_verdict: dict[str, str] | None = None
    # Set when stored: which run stored this version, the version number, the HTTP validators
    # sent back on the next run for a conditional GET, and the response headers that came with
    # the raw bytes (a charset declaration matters when cleaning is re-run from raw/).
    run_id: str | None = None
    version: int = 1
    etag: str | None = None
    last_modified: str | None = None
    raw_headers: dict[str, str] = field(default_factory=dict)
    # The WARC response records the document was built from (storage.warc.WarcRef as dicts: file,
    # offset, length, uri, role), and the crawl source that fetched it; both set when stored.
    warc_records: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None

    @property
    def chars(self) -> int:
        return len(self.text)

    def to_dict(self) -> dict[str, Any]:
        # Shallow: every field is a str, number or flat dict, and asdict's deep copy cost ~0.4 ms a document.
        return {
            name: dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value
            for name, value in vars(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def document_id(url: str) -> str:
    """Stable id of the document at `url`: the same URL always maps to the same id."""
    from hashlib import sha256

    from w3lib.url import canonicalize_url

    return sha256(canonicalize_url(url).encode("utf-8")).hexdigest()[:16]


def sha256_hex(data: bytes | str) -> str:
    from hashlib import sha256

    return sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()
