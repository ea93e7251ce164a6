"""The rules the download middlewares decide by: Retry-After values, compression magic, size wording."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime

import brotli
import pytest

from crawler.compression import encoded_as, looks_like_text
from crawler.errors import RedirectLoop, ResponseTooLarge, format_bytes
from crawler.retry import retry_after_seconds

NOW = datetime(2024, 2, 2, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        (b" 120 ", 120.0),
        ("0", 0.0),
        ("Fri, 02 Feb 2024 08:00:30 GMT", 30.0),  # RFC 9110 IMF-fixdate
        ("Friday, 02-Feb-24 08:01:00 GMT", 60.0),  # obsolete RFC 850 form
        ("Fri Feb  2 08:00:10 2024", 10.0),  # asctime form
        ("Fri, 02 Feb 2024 07:00:00 GMT", 0.0),  # in the past: no wait
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_takes_seconds_or_an_http_date(value: str | bytes | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


PAGE = "<!doctype html><html><body><p>新华路街道2023年工作总结</p></body></html>".encode()


@pytest.mark.parametrize(
    ("body", "encoding", "expected"),
    [
        (gzip.compress(PAGE, mtime=0), b"gzip", True),  # mtime fixed: test ids must not change between xdist workers
        (gzip.compress(PAGE, mtime=0), b"x-gzip", True),
        (PAGE, b"gzip", False),
        (b"%PDF-1.7\n...", b"gzip", False),
        (b"\x89PNG\r\n", b"gzip", False),  # not gzip, whatever it is
        (zlib.compress(PAGE), b"deflate", True),
        (PAGE, b"deflate", False),
        (zlib.compress(PAGE)[2:-4], b"deflate", None),  # raw deflate: only decoding can tell
        (brotli.compress(PAGE), b"br", None),
        (PAGE, b"br", False),
        (b"\xef\xbb\xbf<html>", b"br", False),
        (b"PK\x03\x04word/", b"br", False),
    ],
)
def test_a_body_is_checked_for_its_encoding_before_decoding(body: bytes, encoding: bytes, expected: bool | None) -> None:
    assert encoded_as(body, encoding) is expected


def test_text_is_told_from_compressed_bytes() -> None:
    assert looks_like_text("政府工作报告\r\n".encode("gbk") * 20)
    assert looks_like_text(b"User-agent: *\nDisallow: /private/\n")
    assert not looks_like_text(brotli.compress(PAGE * 20))
    assert not looks_like_text(b"")


def test_failures_say_what_limit_and_what_chain() -> None:
    assert format_bytes(64 * 1024 * 1024) == "64 MiB"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(12) == "12 B"
    assert str(ResponseTooLarge(64 << 20, 104857600, "announced (Content-Length)")) == (
        "larger than DOWNLOAD_MAXSIZE (64 MiB): 104857600 bytes announced (Content-Length)"
    )
    assert str(RedirectLoop(["http://a/x", "http://a/y", "http://a/x"])) == "http://a/x → http://a/y → http://a/x"
    assert "REDIRECT_MAX_TIMES" in str(RedirectLoop(["http://a/1", "http://a/2"], limit=20))
