"""Client-side navigation as a browser without JavaScript sees it: redirect stubs and frame shells.

A *redirect stub* is a page with no content of its own that sends the browser elsewhere:

- a `<meta http-equiv="refresh" content="0; url=…">` anywhere in the document — in `<head>`,
  after a long `<head>`, in `<body>`, inside `<noscript>` (a browser without JavaScript renders
  noscript content) — read as the WHATWG HTML standard reads it (§4.2.5.3, the "shared declarative
  refresh steps"); only the first refresh element counts, as in a browser;
- a trivial script: an unconditional `location = '…'`, `location.href = '…'`,
  `location.replace('…')` or `location.assign('…')` (on window, self, top, parent or document),
  `window.navigate('…')`, at the top level of an inline script, of a `setTimeout`/`onload`
  function or of a `setTimeout("…")` string, or in the body's `onload` attribute.

A *frame shell* is a page with no content of its own whose content is a same-site `<iframe>` or
`<frame>`; the content is that frame's document.

"No content of its own" is decided by evidence, with the document filters' own numbers
(cleaners/rules/filters.toml): fewer letters outside links than a report needs, and no "page not
found" wording (a soft 404 that sends visitors home stays a soft 404); a frame shell also has fewer
document-naming links than a list page. So a long article that carries an auto-reload refresh, or
a redirect script beside real text, is not a stub, and a refresh to the page itself is a reload.
No Scrapy here.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from tldextract import TLDExtract
from w3lib.url import canonicalize_url, safe_url_string

from cleaners.pipeline import TextCounts, limits

# The bundled Public Suffix List snapshot: deterministic, and nothing fetched at run time.
_PSL = TLDExtract(suffix_list_urls=(), cache_dir=None)

# Targets no page navigation leads to (a link to run code, to write mail, to call).
_NOT_NAVIGATION = ("javascript:", "about:", "mailto:", "tel:", "#")
_INVISIBLE = ("script", "style", "template", "noframes", "title", "head")
_WHITESPACE = " \t\n\f\r"
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


@dataclass(frozen=True)
class Navigation:
    """Where a stub or shell sends a browser: `url` absolute (http(s) or another scheme the caller
    refuses), `kind` one of meta_refresh | script | frame, `delay` in seconds (meta refresh)."""

    url: str
    kind: str
    delay: float = 0.0


@cache
def rules() -> dict[str, Any]:
    with (files("crawler") / "clientside.toml").open("rb") as fh:
        return tomllib.load(fh)


def find_navigation(
    html: str,
    url: str,
    *,
    encoding: str = "utf-8",
    max_delay: float = 100.0,
    ignore_tags: Iterable[str] = (),
    frames: bool = True,
) -> Navigation | None:
    """The navigation a browser without JavaScript makes from this page, if the page is a stub or a shell.

    `html` is the decoded page, `url` its address (relative targets are resolved against it, or
    against its `<base href>`), `encoding` the page's encoding (a non-ASCII query is
    percent-encoded in it, as a browser does). A meta refresh whose delay is `max_delay` seconds
    or more is not followed (Scrapy's METAREFRESH_MAXDELAY), nor one inside an element named in
    `ignore_tags` (METAREFRESH_IGNORE_TAGS). With `frames=False` only redirects are looked for.
    Returns None for a page that has content of its own, or that leads nowhere but to itself.
    """
    tree = parse(html)
    if tree is None:
        return None
    base = _base_url(tree, url)
    target = _meta_refresh(tree, base, url, encoding, max_delay, frozenset(ignore_tags)) or _script_redirect(
        tree, base, url, encoding
    )
    if target is None and frames:
        target = _content_frame(tree, base, url, encoding)
        if target is not None and _is_list(tree):
            return None
    # The evidence last: most pages lead nowhere, and an article is not a stub whatever it carries.
    if target is None or _has_own_text(tree) or _says_not_found(tree):
        return None
    return target


def parse(html: str) -> etree._Element | None:
    """The page as an lxml HTML tree, or None if there is nothing to parse."""
    # lxml refuses a str that declares its own encoding (XHTML's <?xml … encoding=…?>): it is decoded already.
    html = _XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        return None
    try:
        # huge_tree: libxml2 keeps 2046 levels of nesting instead of 254 (what lies deeper is dropped).
        # A parser per call: lxml parsers must not be shared between threads.
        return lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
    except (etree.ParserError, ValueError):
        return None


def _base_url(tree: etree._Element, url: str) -> str:
    for base in tree.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            return urljoin(url, href)
    return url


def resolve(base: str, raw: str | None, page_url: str, encoding: str) -> str | None:
    """`raw` as an absolute, safely encoded URL; None if it is empty, not a navigation, or the page itself."""
    raw = (raw or "").strip(_WHITESPACE)
    if not raw or raw.lower().startswith(_NOT_NAVIGATION):
        return None
    try:
        target = safe_url_string(urljoin(base, raw), encoding)
        if urlsplit(target).scheme in ("http", "https") and canonicalize_url(target) == canonicalize_url(page_url):
            return None  # a reload of the page itself
    except ValueError:  # a malformed URL (bad IPv6 literal, bad port): no navigation
        return None
    return target


# ---------------------------------------------------------------- meta refresh


def parse_refresh(content: str) -> tuple[float, str | None] | None:
    """(delay in seconds, URL or None for a reload) of a refresh `content`, or None if it is malformed.

    WHATWG HTML §4.2.5.3, the shared declarative refresh steps: digits (a fraction is ignored),
    then `;` or `,` or whitespace, then an optional `url=`, then the URL, optionally quoted.
    """
    position, end = 0, len(content)

    def skip_whitespace() -> None:
        nonlocal position
        while position < end and content[position] in _WHITESPACE:
            position += 1

    skip_whitespace()
    start = position
    while position < end and content[position].isascii() and content[position].isdigit():
        position += 1
    digits = content[start:position]
    if not digits and (position >= end or content[position] != "."):
        return None
    while position < end and (content[position] == "." or (content[position].isascii() and content[position].isdigit())):
        position += 1
    delay = float(digits or 0)
    if position >= end:
        return delay, None
    if content[position] not in ";," + _WHITESPACE:
        return None
    skip_whitespace()
    if position < end and content[position] in ";,":
        position += 1
    skip_whitespace()
    if position >= end:
        return delay, None
    rest = content[position:]
    match = re.match(r"url[\t\n\f\r ]*=[\t\n\f\r ]*", rest, re.IGNORECASE)
    if match:
        rest = rest[match.end() :]
    if rest[:1] in ("'", '"'):
        quote, rest = rest[0], rest[1:]
        rest = rest.split(quote, 1)[0]
    return delay, rest.strip(_WHITESPACE) or None


def _meta_refresh(
    tree: etree._Element, base: str, url: str, encoding: str, max_delay: float, ignore_tags: frozenset[str]
) -> Navigation | None:
    for meta in tree.iter("meta"):
        if (meta.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        if ignore_tags and any(ancestor.tag in ignore_tags for ancestor in meta.iterancestors()):
            continue
        parsed = parse_refresh(meta.get("content") or "")
        if parsed is None:
            continue
        # A browser acts on the first refresh it can read and on no later one.
        delay, raw = parsed
        target = resolve(base, raw, url, encoding) if raw is not None else None
        return Navigation(target, "meta_refresh", delay) if target is not None and delay < max_delay else None
    return None


# ---------------------------------------------------------------- trivial scripts

# Comments and string literals, so that brackets and keywords are looked for in code only.
_JS_TOKENS = re.compile(
    r"""//[^\n]*|<!--[^\n]*|^\s*-->[^\n]*|/\*.*?(?:\*/|\Z)|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`""",
    re.DOTALL | re.MULTILINE,
)
_LOCATION = r"(?<![\w$.])(?:(?:window|self|top|parent|document)\s*\.\s*)*location"
_STRING = r"(?P<quote>['\"`])(?P<url>_*)(?P=quote)"
# On masked code: string contents are underscores, so the URL's span is read from the original.
_REDIRECTS = (
    re.compile(_LOCATION + r"(?:\s*\.\s*href)?\s*=(?!=)\s*" + _STRING + r"(?!\s*[-+.\[(?:])"),
    re.compile(_LOCATION + r"\s*\.\s*(?:replace|assign)\s*\(\s*" + _STRING + r"\s*\)"),
    re.compile(r"(?<![\w$.])(?:window\s*\.\s*)?navigate\s*\(\s*" + _STRING + r"\s*\)"),
)
_TIMEOUT_STRING = re.compile(r"(?<![\w$.])(?:window\s*\.\s*)?setTimeout\s*\(\s*(?P<quote>['\"])(?P<code>_*)(?P=quote)")
# What may open the one block a trivial redirect sits in: a timer's or the load event's handler.
_HANDLER_HEAD = re.compile(
    r"(?:(?<![\w$.])(?:window\s*\.\s*)?set(?:Timeout|Interval)\s*\(\s*"
    r"|(?<![\w$.])(?:window\s*\.\s*)?onload\s*=\s*)"
    r"(?:function\s*[\w$]*\s*\([^()]*\)|\([^()]*\)\s*=>)\s*$"
)
_CONDITIONAL = re.compile(r"(?<![\w$])(?:if|else|while|for|do|switch|case|return|catch|function)(?![\w$])|\?|&&|\|\|")
_JS_UNESCAPE = re.compile(r"\\(.)")


def _mask(code: str) -> str:
    """`code` with comments blanked and the contents of string literals turned to underscores (same length)."""

    def blank(match: re.Match[str]) -> str:
        token = match.group(0)
        if token[0] in "'\"`":
            return token[0] + "_" * (len(token) - 2) + token[-1]
        return " " * len(token)

    return _JS_TOKENS.sub(blank, code)


def _unclosed_brace(masked: str, end: int) -> int:
    """Where the innermost block still open at `end` starts, or -1 at the top level."""
    depth = 0
    for position in range(end - 1, -1, -1):
        char = masked[position]
        if char == "}":
            depth += 1
        elif char == "{":
            if depth == 0:
                return position
            depth -= 1
    return -1


def _statement_is_unconditional(masked: str, start: int) -> bool:
    """Whether the statement at `start` runs when the script runs: at the top level, or at the top
    of a timer or load handler that is itself set up at the top level, with no condition before it."""
    block = _unclosed_brace(masked, start)
    if block >= 0:
        head = _HANDLER_HEAD.search(masked, 0, block)
        if head is None or _unclosed_brace(masked, head.start()) >= 0:
            return False
        if not _statement_is_unconditional(masked, head.start()):
            return False
    elif masked.count("(", 0, start) != masked.count(")", 0, start):
        return False  # inside a call's arguments
    boundary = max(masked.rfind(";", 0, start), masked.rfind("{", 0, start), masked.rfind("}", 0, start))
    return _CONDITIONAL.search(masked, boundary + 1, start) is None


def script_targets(code: str) -> Iterator[str]:
    """The URLs an inline script unconditionally navigates to, in order (raw, unresolved)."""
    if "location" not in code and "navigate" not in code:
        return
    masked = _mask(code)
    found: list[tuple[int, str]] = []
    for pattern in _REDIRECTS:
        for match in pattern.finditer(masked):
            raw = code[match.start("url") : match.end("url")]
            if "${" not in raw and _statement_is_unconditional(masked, match.start()):
                found.append((match.start(), _JS_UNESCAPE.sub(r"\1", raw)))
    for match in _TIMEOUT_STRING.finditer(masked):
        if _statement_is_unconditional(masked, match.start()):
            inner = _JS_UNESCAPE.sub(r"\1", code[match.start("code") : match.end("code")])
            found.extend((match.start(), target) for target in script_targets(inner))
    for _, target in sorted(found, key=lambda item: item[0]):
        yield target


_JS_TYPES = {"", "text/javascript", "application/javascript", "text/ecmascript", "application/ecmascript", "module"}


def _script_redirect(tree: etree._Element, base: str, url: str, encoding: str) -> Navigation | None:
    codes: list[str] = []
    for script in tree.iter("script"):
        kind = (script.get("type") or "").strip().lower().split(";")[0]
        if script.get("src") is None and kind in _JS_TYPES and script.text:
            codes.append(script.text)
    for body in tree.iter("body"):
        if body.get("onload"):
            codes.append(body.get("onload") or "")
    for code in codes:
        for raw in script_targets(code):
            target = resolve(base, raw, url, encoding)
            if target is not None:
                return Navigation(target, "script")
    return None


# ---------------------------------------------------------------- frames


def site_of(url: str) -> str:
    """The registrable domain of `url`'s host (the Public Suffix List's eTLD+1), else the host itself."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return _PSL(host).top_domain_under_public_suffix or host


def same_site(url: str, other: str) -> bool:
    """Schemelessly same site (WHATWG HTML §7.1.1): same registrable domain, or the same host."""
    return site_of(url) == site_of(other)


def _pixels(value: str | None) -> float | None:
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*(px)?\s*$", value or "")
    return float(match.group(1)) if match else None


def _hidden(frame: etree._Element) -> bool:
    style = re.sub(r"\s+", "", (frame.get("style") or "").lower())
    if "display:none" in style or "visibility:hidden" in style:
        return True
    smallest = rules()["hidden_frame_max_px"]
    return any((size := _pixels(frame.get(name))) is not None and size <= smallest for name in ("width", "height"))


def _frame_size(frame: etree._Element) -> float:
    """How much of the window a frame takes, to pick the content among several (a relative unit)."""
    parent = frame.getparent()
    if frame.tag == "frame" and parent is not None and parent.tag == "frameset":
        sizes = [size.strip() for size in (parent.get("rows") or parent.get("cols") or "").split(",")]
        index = [child for child in parent if child.tag in ("frame", "frameset")].index(frame)
        size = sizes[index] if index < len(sizes) else "*"
        if size.endswith("*"):
            return 1e6 * (float(size[:-1]) if size[:-1].replace(".", "", 1).isdigit() else 1.0)
        if size.endswith("%"):
            return 1e4 * (_pixels(size[:-1]) or 0.0)
        return _pixels(size) or 0.0
    height = frame.get("height") or ""
    if height.strip().endswith("%"):
        return 1e4 * (_pixels(height.strip()[:-1]) or 0.0)
    return _pixels(height) or float(rules()["default_iframe_height"])


def _content_frame(tree: etree._Element, base: str, url: str, encoding: str) -> Navigation | None:
    best: tuple[float, str] | None = None
    for frame in tree.iter("iframe", "frame"):
        target = resolve(base, frame.get("src"), url, encoding)
        if target is None or urlsplit(target).scheme not in ("http", "https") or not same_site(target, url):
            continue
        if _hidden(frame):
            continue
        size = _frame_size(frame)
        if best is None or size > best[0]:
            best = (size, target)
    return Navigation(best[1], "frame") if best is not None else None


# ---------------------------------------------------------------- the evidence


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _body(tree: etree._Element) -> lxml.html.HtmlElement | None:
    """The page's <body> (pages are parsed by lxml.html, so its elements are HtmlElements)."""
    bodies = tree.xpath("//body")
    return bodies[0] if bodies else None


def _own_text(tree: etree._Element) -> str:
    """The page's visible text outside links (a browser without JavaScript shows noscript)."""
    body = _body(tree)
    if body is None:
        return ""
    # A stripped copy is read several times faster than an XPath that checks each text's ancestors.
    own = copy.deepcopy(body)
    etree.strip_elements(own, "a", *_INVISIBLE, with_tail=False)
    return _squash(own.text_content())


def _has_own_text(tree: etree._Element) -> bool:
    """Text enough for a document outside the page's links: the page is worth keeping as it is."""
    return bool(TextCounts.of(_own_text(tree)).letters >= limits()["min_cjk_chars"])


def _says_not_found(tree: etree._Element) -> bool:
    """A "not found" message, kept as the soft 404 it is even when it sends visitors elsewhere."""
    body = _body(tree)
    links = body.xpath(".//a//text()") if body is not None else []
    said = _squash(" ".join([*tree.xpath("//title//text()"), _own_text(tree), *links]))
    return any(phrase in said for phrase in limits()["soft_404_phrases"])


def _is_list(tree: etree._Element) -> bool:
    """As many document-naming links as a list page holds: a list with a frame beside it, not a shell."""
    body = _body(tree)
    if body is None:
        return False
    shortest = rules()["entry_link_min_chars"]
    entries = sum(1 for link in body.iter("a") if len(_squash(link.text_content())) >= shortest)
    return bool(entries >= limits()["list_min_entries"])
