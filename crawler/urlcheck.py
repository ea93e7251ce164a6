"""Whether a URL can be fetched at all, decided before anything is sent. No Scrapy here.

Used for start URLs in a source config, for `govcorpus fetch URL` and for the service's
`POST /fetch`, so that the same mistakes get the same words everywhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

FETCHED_SCHEMES = ("http", "https")
EXAMPLE_URL = "https://example.gov.cn/report.html"


def url_problem(url: str) -> tuple[str, str] | None:
    """(reason, detail) when `url` cannot be fetched, else None.

    Reasons are stable codes: `bad_url` (not parseable, e.g. `http://[::1/`; no host, e.g.
    `http:///x`; a port outside 1–65535) and `unsupported_scheme` (anything but http/https).
    The detail is one sentence naming the problem and showing a well-formed URL.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        # urllib's words ("Invalid IPv6 URL", "Port out of range 0-65535") name the fault already.
        return "bad_url", f"{url!r} is not a valid URL ({exc}): give a full URL such as {EXAMPLE_URL}"
    if parts.scheme.lower() not in FETCHED_SCHEMES:
        scheme = f"{parts.scheme}:" if parts.scheme else "no scheme"
        return "unsupported_scheme", f"{url!r} is not http(s) ({scheme}): only http and https URLs are fetched, e.g. {EXAMPLE_URL}"
    if not host:
        return "bad_url", f"{url!r} has no host: give a full URL such as {EXAMPLE_URL}"
    if port == 0:
        return "bad_url", f"{url!r} has port 0: give a port from 1 to 65535, or none"
    if any(char.isspace() for char in host):
        return "bad_url", f"{url!r} has white space in its host {host!r}: give a full URL such as {EXAMPLE_URL}"
    return None
