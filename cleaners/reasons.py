"""The one vocabulary of outcomes and reasons: what became of every URL a run touched, and why.

Every reason a cleaner, a spider or the store gives is a member of `Reason` (HTTP errors are the
family `http_<status>`); `verdict_of` says whether it means "not a document here" (skipped) or
"something went wrong" (failed). Manifest lines, Scrapy stats (`govcorpus/dropped/<reason>`),
the CLI's one-line errors and the HTTP service's JSON errors all use these codes, so a code means
the same everywhere. Adding a reason means adding it here.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Verdict(StrEnum):
    """What became of a URL: the `outcome` of its manifest line."""

    STORED = "stored"  # a new document or a new version of one
    DUPLICATE = "duplicate"  # stored, and a copy of (or part of) a better version
    UNCHANGED = "unchanged"  # the stored document still holds (304, or the same text)
    SKIPPED = "skipped"  # touched on purpose, not a document (list page, robots.txt, not a report)
    FAILED = "failed"  # should have been a document and could not become one


class Reason(StrEnum):
    """Why a URL did not become a (new) document. `http_<status>` codes are not members: see `http`."""

    # What the page is instead of a report (skipped).
    LIST_PAGE = "list_page"
    LOGIN_PAGE = "login_page"
    SOFT_404 = "soft_404"
    NOT_REPORT = "not_report"
    NOT_CHINESE = "not_chinese"
    TOO_SHORT = "too_short"
    NOT_HTML = "not_html"
    UNSUPPORTED_TYPE = "unsupported_type"
    BINARY = "binary"
    NO_TEXT = "no_text"
    STUB_PAGE = "stub_page"
    SCRIPT_RENDERED = "script_rendered"
    # Crawl mechanics (skipped).
    SITEMAP = "sitemap"
    FEED = "feed"
    CONTINUATION = "continuation"
    REDIRECTED = "redirected"
    ROBOTS_TXT = "robots_txt"
    ROBOTS_UNREACHABLE = "robots_unreachable"
    ALREADY_RECORDED = "already_recorded"
    IGNORED = "ignored"
    # Unchanged.
    NOT_MODIFIED = "not_modified"
    # The content is broken (failed).
    EMPTY = "empty"
    UNREADABLE = "unreadable"
    UNDECODABLE = "undecodable"
    MOJIBAKE = "mojibake"
    TOO_LARGE = "too_large"
    NO_RAW = "no_raw"  # a stored document's raw bytes are gone (govcorpus reclean)
    # The network or the server (failed).
    DNS_ERROR = "dns_error"
    CONNECTION_REFUSED = "connection_refused"
    CONNECTION_LOST = "connection_lost"
    CONNECT_ERROR = "connect_error"
    TIMEOUT = "timeout"
    DATA_LOSS = "data_loss"
    DOWNLOAD_FAILED = "download_failed"
    DOWNLOAD_ERROR = "download_error"
    CANCELLED = "cancelled"
    NO_RESPONSE = "no_response"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    FORBIDDEN_ADDRESS = "forbidden_address"
    REDIRECT_LOOP = "redirect_loop"
    REDIRECT_FORBIDDEN_SCHEME = "redirect_forbidden_scheme"
    # The request itself (failed): the HTTP service's answers to a bad request.
    BAD_URL = "bad_url"
    # Ours (failed).
    STORE_ERROR = "store_error"
    STORE_UNAVAILABLE = "store_unavailable"
    INTERNAL_ERROR = "internal_error"


SKIP_REASONS: frozenset[str] = frozenset(
    {
        Reason.LIST_PAGE,
        Reason.LOGIN_PAGE,
        Reason.SOFT_404,
        Reason.NOT_REPORT,
        Reason.NOT_CHINESE,
        Reason.TOO_SHORT,
        Reason.NOT_HTML,
        Reason.UNSUPPORTED_TYPE,
        Reason.BINARY,
        Reason.NO_TEXT,
        Reason.STUB_PAGE,
        Reason.SCRIPT_RENDERED,
        Reason.SITEMAP,
        Reason.FEED,
        Reason.CONTINUATION,
        Reason.REDIRECTED,
        Reason.ROBOTS_TXT,
        Reason.ROBOTS_UNREACHABLE,
        Reason.ALREADY_RECORDED,
        Reason.IGNORED,
    }
)
# The response arrived and its content cannot become a document (failed, not the network's fault).
CONTENT_REASONS: frozenset[str] = frozenset(
    {Reason.EMPTY, Reason.UNREADABLE, Reason.UNDECODABLE, Reason.MOJIBAKE, Reason.TOO_LARGE, Reason.NO_RAW}
)
_HTTP = re.compile(r"http_[1-5]\d\d")


def http(status: int) -> str:
    """The reason code of an HTTP error status: `http_404`."""
    return f"http_{status}"


def is_reason(code: str) -> bool:
    """Whether `code` belongs to the vocabulary (a `Reason` or an `http_<status>`)."""
    return code in Reason._value2member_map_ or _HTTP.fullmatch(code) is not None


def verdict_of(code: str) -> Verdict:
    """The outcome a reason gives a URL: skipped, unchanged or failed. ValueError for a code not in the vocabulary."""
    if not is_reason(code):
        raise ValueError(f"{code!r} is not a reason of the vocabulary (cleaners/reasons.py)")
    if code in SKIP_REASONS:
        return Verdict.SKIPPED
    if code == Reason.NOT_MODIFIED:
        return Verdict.UNCHANGED
    return Verdict.FAILED
