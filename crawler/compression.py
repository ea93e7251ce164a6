"""Content-Encoding decoded only when the body really is encoded.

Servers label bodies `Content-Encoding: gzip` (deflate, br) that they sent as they are — a PDF
behind a misconfigured proxy, a page cached uncompressed. Scrapy's HttpCompressionMiddleware then
fails on the bytes (`OSError: Not a gzipped file`, retried as if the network were at fault, then
lost). This subclass (same settings: COMPRESSION_ENABLED, DOWNLOAD_MAXSIZE, DOWNLOAD_WARNSIZE)
looks before it decodes: gzip and zstd bodies begin with their magic bytes (RFC 1952 §2.3.1,
RFC 8878 §3.1.1), a zlib-wrapped deflate body with a valid RFC 1950 header; brotli and raw
deflate have none, so a body that opens like an uncompressed document (`<`, `%PDF-`, a ZIP or OLE2
header, a BOM) is taken as it is and any other is decoded, and taken as it is if decoding fails
on text. A mislabelled body is read raw, counted (`govcorpus/content_encoding_mislabelled`) and
noted on the response (MISLABELLED_HEADER, kept with the document's raw headers). A body too
large once decoded is ResponseTooLarge (reason too_large). Undecodable bodies of responses that
are not 2xx pass raw: only their status matters.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import (
    HttpCompressionMiddleware as ScrapyHttpCompressionMiddleware,
)
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.utils._compression import _DecompressionMaxSizeExceeded

from crawler.errors import ResponseTooLarge

log = logging.getLogger(__name__)

# The note a response carries when its Content-Encoding was not applied: the encodings declared.
MISLABELLED_HEADER = "X-Govcorpus-Content-Encoding-Mislabelled"

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# How uncompressed documents open: markup, PDF, ZIP (DOCX), OLE2 (.doc), JSON, byte order marks.
PLAIN_SIGNATURES = (b"<", b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{", b"[",
                    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# Share of bytes in a body's head that are text (not control characters) for it to count as text.
TEXT_SHARE = 0.95


def _zlib_header(body: bytes) -> bool:
    """RFC 1950 §2.2: CM = 8 (deflate), CINFO ≤ 7, and CMF·256 + FLG a multiple of 31."""
    return len(body) >= 2 and body[0] & 0x0F == 8 and body[0] >> 4 <= 7 and (body[0] << 8 | body[1]) % 31 == 0


def opens_plain(body: bytes) -> bool:
    """Whether `body` opens like an uncompressed document."""
    return body.lstrip(b" \t\r\n")[:8].startswith(PLAIN_SIGNATURES)


def looks_like_text(body: bytes) -> bool:
    """Whether `body`'s head is text in some encoding: no NUL, hardly any other control characters."""
    head = body[:1024]
    if not head or b"\x00" in head:
        return False
    text = sum(1 for byte in head if byte >= 0x20 or byte in (0x09, 0x0A, 0x0D))
    return text / len(head) >= TEXT_SHARE


def encoded_as(body: bytes, encoding: bytes) -> bool | None:
    """True if `body` shows the marks of `encoding`, False if it plainly is not encoded, None if
    only decoding can tell."""
    if encoding in (b"gzip", b"x-gzip"):
        return body.startswith(GZIP_MAGIC)
    if encoding == b"zstd":
        # A zstd frame, or a skippable frame (magic 0x184D2A5?, little-endian).
        return body.startswith(ZSTD_MAGIC) or (body[1:4] == b"\x2a\x4d\x18" and body[0] & 0xF0 == 0x50)
    if encoding == b"deflate" and _zlib_header(body):
        return True
    return False if opens_plain(body) else None


class HttpCompressionMiddleware(ScrapyHttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware that reads a body labelled compressed but not compressed as it is."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        declared = response.headers.getlist("Content-Encoding")
        if request.method == "HEAD" or not declared:
            return response
        max_size = request.meta.get("download_maxsize", self._max_size)
        warn_size = request.meta.get("download_warnsize", self._warn_size)
        to_decode, to_keep = self._split_encodings(declared)
        body = response.body
        decoded = 0
        for encoding in to_decode:  # the last applied first
            if not body or encoded_as(body, encoding) is False:
                break
            try:
                body = self._decode(body, encoding, max_size)
            except _DecompressionMaxSizeExceeded as exc:
                raise ResponseTooLarge(max_size, exc.decompressed_size, "once decompressed") from exc
            except Exception as exc:  # zlib.error, brotli.error, OSError …: not what the label says
                if not (200 <= response.status < 300) or looks_like_text(body):
                    break  # what is left is not encoded after all
                raise ValueError(f"cannot decode the {encoding.decode()} body of {response.url}: {exc}") from exc
            decoded += 1
        headers = response.headers.copy()
        mislabelled = to_decode[decoded:]
        if mislabelled and response.body:
            named = b", ".join(reversed(mislabelled))
            headers[MISLABELLED_HEADER] = named
            assert self.stats is not None
            self.stats.inc_value("govcorpus/content_encoding_mislabelled")
            log.info("%s: Content-Encoding says %s but the body is not encoded; read as it is", response.url, named.decode())
        if len(response.body) < warn_size <= len(body):
            log.warning("%s body size after decompression (%d B) is larger than DOWNLOAD_WARNSIZE (%d B)",
                        response, len(body), warn_size)
        if to_keep and not mislabelled:
            self._warn_unknown_encoding(response, to_keep)
            headers["Content-Encoding"] = to_keep
        else:
            del headers["Content-Encoding"]
        if decoded and self.stats:
            self.stats.inc_value("httpcompression/response_bytes", len(body))
            self.stats.inc_value("httpcompression/response_count")
        respcls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        kwargs: dict[str, Any] = {"body": body, "headers": headers}
        if issubclass(respcls, TextResponse):
            kwargs["encoding"] = None  # decided again from the new body, as Scrapy does
        return response.replace(cls=respcls, **kwargs)
