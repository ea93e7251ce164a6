"""Turn fetched bytes into text once, so nothing downstream ever guesses an encoding again.

Declarations (HTTP header, <meta>) are verified by strict decoding and a plausibility
signal before they are trusted; chardet is consulted only when no declaration verifies.
Text that decodes cleanly but is itself mojibake is repaired or rejected, never passed on.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from html import escape as html_escape

from cleaners.document import Rejected

# Clean gold reports score 0-0.0004; the same reports garbled score 0.24 (GBK read as Big5)
# to 1.0 (UTF-8 read as Latin-1): see tests/test_encoding.py.
MOJIBAKE_THRESHOLD = 0.05
DETECT_BYTES = 64 * 1024
META_SCAN_BYTES = 16 * 1024
BINARY_SCAN_BYTES = 4096
# A handful of bad bytes (a truncated last character, one corrupt byte) should not discard
# an otherwise verified declaration; more than this and the codec is simply wrong.
MAX_DECODE_ERRORS = 8
MAX_ERROR_SHARE = 0.001
MAX_CONTROL_SHARE = 0.01
# chardet names some single-byte codec for random bytes with confidence ~0.02; real text of a
# few hundred bytes gets 0.18 (French, cp1252) to 1.0 (Chinese, GB18030).
MIN_DETECT_CONFIDENCE = 0.1
# Below this many non-ASCII bytes chardet's guess is noise: two GBK characters read as Big5 with
# confidence 0.65. The GB family, what mainland reports are written in, is tried first instead.
MIN_DETECT_EVIDENCE = 16
# Choosing among candidate codecs looks at this many leading characters; the final mojibake
# check looks at the whole text.
PLAUSIBILITY_SAMPLE_CHARS = 32 * 1024
# Two decodings this close in mojibake_score are equally plausible: the preferred codec wins.
SCORE_TIE_MARGIN = 0.01
# In a clean page, runs shorter than this (a name with one rare character) are left alone.
MIN_REPAIRABLE_RUN = 4


@dataclass(frozen=True)
class Decoded:
    text: str
    used: str  # normalised codec name: 'gb18030', 'utf-8', 'big5', ...
    declared: str | None  # header if present, else meta; the label as the page wrote it
    declared_header: str | None
    declared_meta: str | None
    detected: str | None  # chardet's guess, None when a declaration verified without it
    repaired: bool  # mojibake in the decoded text was undone
    # (bytes skipped, codec) when `text` is the strict decoding of the body after its first
    # `bytes skipped` bytes (a byte-order mark); None when it is not (mojibake repaired, bad bytes
    # replaced), and then the text is never dropped.
    rebuild: tuple[int, str] | None = field(default=None, compare=False)
    text_dropped: bool = False

    def without_text(self) -> Decoded:
        """This decoding with `text` emptied when the body rebuilds it (`with_text`), else itself.

        For a decoding that crosses processes or waits in memory beside its body: the text of a
        Chinese page takes one to two times the body's bytes, and rebuilding it is one codec call.
        """
        return replace(self, text="", text_dropped=True) if self.rebuild is not None and not self.text_dropped else self

    def with_text(self, body: bytes) -> Decoded:
        """This decoding with its text, rebuilt from `body` (the bytes it was decoded from) if dropped."""
        if not self.text_dropped:
            return self
        assert self.rebuild is not None
        skip, codec = self.rebuild
        return replace(self, text=_decode_with(body[skip:], codec), text_dropped=False)


# --- codec names -------------------------------------------------------------------------

_LABEL_ALIASES = {
    "x-gbk": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "x-euc-cn": "gb18030",
    "x-x-big5": "big5",
    "big5-hkscs": "big5",
    "unicode-1-1-utf-8": "utf-8",
    "utf8mb4": "utf-8",
    "x-sjis": "shift_jis",
    "windows-31j": "cp932",
    "ks_c_5601-1987": "cp949",
}
# Decode each family with its superset: pages labelled gb2312 routinely contain GBK characters.
_FAMILY = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5",
    "big5hkscs": "big5",
    "cp950": "big5",
    "iso8859-1": "cp1252",  # as browsers do: Latin-1 labels mean windows-1252
    "utf-8-sig": "utf-8",
}
# Python codecs to try, in order, for a normalised name.
_DECODERS = {"big5": ("big5hkscs", "cp950")}
_ASCII_INCOMPATIBLE = ("utf-16", "utf-32", "utf_16", "utf_32")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def normalise_codec(label: str | None) -> str | None:
    """The canonical codec name for a charset label, or None if Python has no such codec."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    cleaned = _LABEL_ALIASES.get(cleaned, cleaned)
    try:
        name = codecs.lookup(cleaned).name
    except LookupError:
        return None
    return _FAMILY.get(name, name)


def _clean_label(label: str | None) -> str | None:
    if label is None:
        return None
    cleaned = label.strip().strip("\"'").strip().lower()
    return cleaned or None


_CONTENT_TYPE_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([^\s;\"',]+)", re.I)
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.I)
_META_CHARSET = re.compile(rb"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.I)
_XML_DECLARATION = re.compile(rb"<\?xml[^>]*\bencoding\s*=\s*[\"']([A-Za-z0-9_.:\-]+)", re.I)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _CONTENT_TYPE_CHARSET.search(content_type)
    return _clean_label(match.group(1)) if match else None


def charset_from_meta(body: bytes) -> str | None:
    """The charset a page declares in <meta charset>, <meta http-equiv> or an XML declaration."""
    head = body[:META_SCAN_BYTES]
    for tag in _META_TAG.finditer(head):
        match = _META_CHARSET.search(tag.group(0))
        if match:
            return _clean_label(match.group(1).decode("ascii"))
    match = _XML_DECLARATION.search(head)
    return _clean_label(match.group(1).decode("ascii")) if match else None


# --- the plausibility signal -------------------------------------------------------------

# Windows-1252's printable characters above 0x7F that are not Latin-1: they appear in
# UTF-8-read-as-cp1252 mojibake ("æ”¿åºœ") next to Latin-1 supplement letters.
_CP1252_EXTRAS = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
# Latin-1 and cp1252 characters that real Chinese text uses; a run made only of these is fine.
_LEGIT_IN_CJK = set("·×÷°±§¥“”‘’—–…•")
_LATIN1_CHAR = "[\u0080-\u00ff" + re.escape(_CP1252_EXTRAS) + "]"
_LATIN1_RUN = re.compile(_LATIN1_CHAR + _LATIN1_CHAR + "+")  # = {2,}, which re scans ~2.5x slower
_SILENT_CONTROLS = set("\t\n\r\f\v")
_C0_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # all but the silent ones
# The characters _char_weight leaves uncounted among ASCII: printable ones and the silent controls.
# They are most of a page (markup, scripts: 97 % of the real pages' characters), so they are cut
# out in C before anything counts characters one by one.
_UNCOUNTED_ASCII = re.compile(r"[\t-\r\x20-\x7e]+")


@lru_cache(maxsize=1 << 16)
def _char_weight(char: str) -> float | None:
    """How suspicious one character is in Chinese text, 0 to 1; None if it does not count."""
    code = ord(char)
    if code < 0x80:
        return None if (code >= 0x20 or char in _SILENT_CONTROLS) and code != 0x7F else 1.0
    if char.isspace():
        return None
    if char == "\ufffd":
        return 1.0
    if 0x4E00 <= code <= 0x9FFF:
        return _hanzi_weight(char)
    if 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x3FFFF or 0xF900 <= code <= 0xFAFF:
        return 1.0  # extension and compatibility ideographs: real but rare
    if unicodedata.category(char) in ("Cn", "Co", "Cs", "Cc"):
        return 1.0
    return 0.0


def _hanzi_weight(char: str) -> float:
    """0 for the common level of GB2312 or Big5, 0.5 for their rare level, 1 for neither."""
    levels = [_gb2312_level(char), _big5_level(char)]
    if 1 in levels:
        return 0.0
    if 2 in levels:
        return 0.5
    return 1.0


def _gb2312_level(char: str) -> int | None:
    try:
        lead = char.encode("gb2312")[0]
    except UnicodeEncodeError:
        return None
    # Level 1 (rows 16-55) holds the 3,755 most frequent hanzi; level 2 the 3,008 rarer ones.
    return 1 if 0xB0 <= lead <= 0xD7 else 2


def _big5_level(char: str) -> int | None:
    try:
        encoded = char.encode("big5")
    except UnicodeEncodeError:
        return None
    # A440-C67E: the 5,401 frequent characters; C940-F9D5: the 7,652 less frequent ones.
    return 1 if encoded < b"\xc6\x7f" else 2


# Every character weighed so far that weighs 0 (common hanzi, CJK punctuation, Latin letters …):
# a set difference, in C, takes them out of a text's distinct characters before any is weighed in
# Python. It only grows, bounded by the characters Unicode has.
_WEIGHS_NOTHING: set[str] = set()


class _Weightless:
    """A regex that cuts the characters of `_WEIGHS_NOTHING` out of a text, compiled again when the set
    has grown by a quarter since (never more than a few times in a process: compiling ~1,300 of them
    takes 2 ms).

    Collecting a text's distinct characters (`set(text)`) makes a Python string of every non-Latin
    character; cut out in C first, the known ones cost ~0.01 ms a page instead of ~0.1 ms.
    """

    def __init__(self) -> None:
        self.known = 0
        self.pattern: re.Pattern[str] | None = None

    def cut(self, text: str) -> str:
        """`text` without characters known to weigh 0; some may be left: those learnt since the last compile."""
        if len(_WEIGHS_NOTHING) >= self.known + self.known // 4 + 64:
            chars = sorted(_WEIGHS_NOTHING)
            self.pattern = re.compile("[" + "".join(re.escape(char) for char in chars) + "]+")
            self.known = len(chars)
        return self.pattern.sub("", text) if self.pattern is not None else text


_WEIGHTLESS = _Weightless()


def _weighed(distinct: set[str]) -> dict[str, float | None]:
    """The characters of `distinct` that do not weigh 0, with their weights (None: not counted)."""
    weights: dict[str, float | None] = {}
    for char in distinct - _WEIGHS_NOTHING:
        weight = _char_weight(char)
        if weight == 0.0:
            _WEIGHS_NOTHING.add(char)
        else:
            weights[char] = weight
    return weights


@dataclass(frozen=True)
class _Counted:
    """What the mojibake score and the repair of garbled runs both read from a text, worked out once."""

    rest: str  # the text without the ASCII that never counts
    weights: dict[str, float | None]  # the distinct characters of `rest` that weigh something, or None: not counted
    latin1_runs: list[str]  # runs of Latin-1/cp1252 that look like bytes shown as Latin-1


# Choosing a codec scores a page's first PLAUSIBILITY_SAMPLE_CHARS, checking the choice scores
# the whole text (for most pages the very same string), and repairing garbled runs reads the same.
@lru_cache(maxsize=8)
def _counted(text: str) -> _Counted:
    # Only characters that can count are kept (in C); of their distinct ones, only those not
    # known to weigh 0 are weighed.
    rest = _UNCOUNTED_ASCII.sub("", text)
    # Runs of only the Latin-1 punctuation Chinese text uses (“”, ——) do not count.
    runs = [run for run in _LATIN1_RUN.findall(text) if not set(run) <= _LEGIT_IN_CJK]
    return _Counted(rest, _weighed(set(_WEIGHTLESS.cut(rest))), runs)


@lru_cache(maxsize=8)
def mojibake_score(text: str) -> float:
    """Share of suspicious characters among the non-ASCII ones; 0 clean, 1 wholly garbled.

    Suspicious: U+FFFD, controls, private-use and unassigned code points, rare and extension
    hanzi (outside the frequent levels of GB2312 and Big5), and runs of Latin-1 supplement
    characters, which is what bytes look like when read with the wrong codec.
    """
    # Only the weighed characters are counted (str.count, in C). Weights are 0, 0.5 or 1, so the
    # sums are exact whatever the order.
    counted = _counted(text)
    rest = counted.rest
    total = len(rest)
    suspicious = 0.0
    for char, weight in counted.weights.items():
        if weight is None:
            total -= rest.count(char)
        else:
            suspicious += weight * rest.count(char)
    if total == 0:
        return 0.0
    # C1 controls in the runs are counted as controls already.
    latin1 = sum(1 for run in counted.latin1_runs for char in run if char >= "\u00a0")
    return min(1.0, (suspicious + latin1) / total)


def _looks_garbled(text: str) -> bool:
    return mojibake_score(text) > MOJIBAKE_THRESHOLD


def _reads_plausibly(text: str) -> bool:
    """Whether a candidate decoding looks right, judged on its start to keep big pages cheap."""
    return not _looks_garbled(text[:PLAUSIBILITY_SAMPLE_CHARS])


# --- mojibake repair ---------------------------------------------------------------------

_SLOPPY_CP1252 = {char: bytes([byte]) for byte, char in enumerate(bytes(range(256)).decode("latin-1"))}
_SLOPPY_CP1252.update({char: char.encode("cp1252") for char in _CP1252_EXTRAS})


def _encode_sloppy_cp1252(text: str) -> bytes:
    """Undo a Latin-1 or windows-1252 decoding (browsers keep cp1252's holes as C1 controls)."""
    return b"".join(_SLOPPY_CP1252[char] for char in text)


def _encode_gb18030(text: str) -> bytes:
    return text.encode("gb18030")


def _decoder(codec: str) -> Callable[[bytes], str]:
    return lambda raw: _decode_with(raw, codec)


# (how the text was wrongly decoded, what the bytes really were), most common first.
_Misreading = tuple[str, Callable[[str], bytes], Callable[[bytes], str]]
_MISREADINGS: tuple[_Misreading, ...] = (
    ("utf-8 read as gbk", _encode_gb18030, _decoder("utf-8")),
    ("utf-8 read as latin-1", _encode_sloppy_cp1252, _decoder("utf-8")),
    ("gbk read as latin-1", _encode_sloppy_cp1252, _decoder("gb18030")),
    ("big5 read as latin-1", _encode_sloppy_cp1252, _decoder("big5")),
    ("big5 read as gbk", _encode_gb18030, _decoder("big5")),
)
# Big5 misread as GBK is plain CJK either way, so only whole texts carry enough evidence for it.
_DISTINCTIVE_MISREADINGS = tuple(m for m in _MISREADINGS if m[0] != "big5 read as gbk")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _undo(text: str, encode: Callable[[str], bytes], decode: Callable[[bytes], str]) -> str | None:
    try:
        return decode(encode(text))
    except (UnicodeError, KeyError):
        return None


def _repair_whole(text: str, misreadings: tuple[_Misreading, ...] = _MISREADINGS) -> str | None:
    for _, encode, decode in misreadings:
        candidate = _undo(text, encode, decode)
        if candidate is not None and not _looks_garbled(candidate):
            return candidate
    return None


def _repair_run(run: str, min_length: int, suspicious: set[str]) -> str:
    """One garbled run of non-ASCII characters, repaired if some misreading undoes it."""
    if len(run) < min_length or suspicious.isdisjoint(run) or not _looks_garbled(run):
        return run
    return _repair_whole(run, _DISTINCTIVE_MISREADINGS) or run


def _suspicious_chars(text: str) -> set[str]:
    """Characters that raise the mojibake score: a cheap filter for runs worth a closer look."""
    counted = _counted(text)
    in_runs = {char for run in counted.latin1_runs for char in run}
    return in_runs | {char for char, weight in counted.weights.items() if weight}


def _repair_runs(text: str, min_length: int) -> str:
    # Mojibake never garbles ASCII, so garbled stretches sit between ASCII characters and can
    # be undone one by one while clean stretches (a correct title, say) stay as they are.
    suspicious = {char for char in _suspicious_chars(text) if char >= "\x80"}  # runs hold no ASCII
    if not suspicious:
        return text
    # A page has hundreds of runs and a few suspicious characters: only the runs holding one
    # are looked at, found from the characters (a scan in C) instead of run by run in Python.
    parts: list[str] = []
    done = 0
    for hit in re.finditer(f"[{re.escape(''.join(sorted(suspicious)))}]", text):
        if hit.start() < done:
            continue  # in the run just repaired
        start = hit.start()
        while start > done and text[start - 1] >= "\x80":
            start -= 1
        after = _ASCII_CHAR.search(text, hit.end())
        end = after.start() if after else len(text)
        parts += [text[done:start], _repair_run(text[start:end], min_length, suspicious)]
        done = end
    return "".join([*parts, text[done:]])


_ASCII_CHAR = re.compile(r"[\x00-\x7f]")


def repair_mojibake(text: str) -> str | None:
    """The text with its mojibake undone, or None if the result would still look garbled."""
    whole = _repair_whole(text)
    if whole is not None:
        return whole
    # One garbled character is at least two characters of mojibake.
    by_runs = _repair_runs(text, min_length=2)
    if by_runs != text and not _looks_garbled(by_runs):
        return by_runs
    return None


# --- decoding ----------------------------------------------------------------------------


def _decode_with(raw: bytes, codec: str) -> str:
    """Strictly decode with a normalised codec name, trying each backing Python codec."""
    error: UnicodeDecodeError | None = None
    for python_codec in _DECODERS.get(codec, (codec,)):
        try:
            return raw.decode(python_codec)
        except UnicodeDecodeError as exc:
            error = exc
    assert error is not None
    raise error


def _decode_tolerantly(raw: bytes, codec: str) -> tuple[str, int] | None:
    """Decode with U+FFFD for bad bytes; None once the bad bytes exceed the allowance."""
    allowance = max(MAX_DECODE_ERRORS, int(len(raw) * MAX_ERROR_SHARE))
    pieces: list[str] = []
    position = 0
    errors = 0
    while True:
        try:
            pieces.append(_decode_with(raw[position:], codec))
            return "".join(pieces), errors
        except UnicodeDecodeError as exc:
            errors += 1
            if errors > allowance:
                return None
            try:
                pieces.append(_decode_with(raw[position : position + exc.start], codec))
            except UnicodeDecodeError:
                return None
            pieces.append("\ufffd")
            position += max(exc.end, exc.start + 1)
        except LookupError:
            return None


def _strict(raw: bytes, codec: str) -> str | None:
    try:
        return _decode_with(raw, codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _bom(body: bytes) -> tuple[str, int] | None:
    for mark, codec in _BOMS:
        if body.startswith(mark):
            return codec, len(mark)
    return None


_BINARY_SIGNATURES = {
    b"%PDF-": "PDF document",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"PK\x03\x04": "ZIP archive (docx/xlsx?)",
    b"\x1f\x8b": "gzip data (not decompressed?)",
    b"\xd0\xcf\x11\xe0": "OLE document (doc/xls?)",
}


def _reject_if_binary(body: bytes) -> None:
    for signature, kind in _BINARY_SIGNATURES.items():
        if body.startswith(signature):
            raise Rejected("binary", f"body is a {kind}, not text")
    if b"\x00" in body[:BINARY_SCAN_BYTES]:
        raise Rejected("binary", f"NUL bytes in the first {BINARY_SCAN_BYTES} bytes and no UTF-16/32 BOM")


def _control_share(text: str) -> float:
    sample = text[:DETECT_BYTES]
    if not sample:
        return 0.0
    # C0 only: C1 controls are what UTF-8 read as Latin-1 looks like, a case for repair.
    return len(_C0_CONTROL.findall(sample)) / len(sample)


_HIGH_BYTES = bytes(range(0x80, 0x100))


def detect_codec(body: bytes) -> str | None:
    """chardet's guess from the first DETECT_BYTES bytes, normalised; None if it barely guesses."""
    sample = body[:DETECT_BYTES]
    if len(sample) - len(sample.translate(None, _HIGH_BYTES)) < MIN_DETECT_EVIDENCE:
        return None
    # Imported on first use: its models are ~9 MB, and the crawl process, which only decodes when
    # it has no document workers, should not carry them.
    import chardet

    guess = chardet.detect(sample)
    if (guess.get("confidence") or 0.0) < MIN_DETECT_CONFIDENCE:
        return None
    return normalise_codec(guess.get("encoding"))


@dataclass(frozen=True)
class _Choice:
    text: str
    codec: str
    detected: str | None = None
    verified: bool = True  # decoded strictly, without a single bad byte
    # Verified text is the strict decoding of the body after `skip` bytes (a byte-order mark) by
    # `decoder` (None: by `codec`).
    skip: int = 0
    decoder: str | None = None


def _unique(names: list[str | None]) -> list[str]:
    seen: list[str] = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return seen


def _first_plausible(body: bytes, codecs_in_order: list[str]) -> _Choice | None:
    for codec in codecs_in_order:
        text = _strict(body, codec)
        if text is not None and _reads_plausibly(text):
            return _Choice(text, codec)
    return None


def _most_plausible(body: bytes, codecs_by_preference: list[str]) -> _Choice | None:
    """The least garbled strict decoding; near-ties go to the earlier codec."""
    decoded = [(codec, _strict(body, codec)) for codec in codecs_by_preference]
    scored = [(codec, text, mojibake_score(text[:PLAUSIBILITY_SAMPLE_CHARS])) for codec, text in decoded if text]
    plausible = [entry for entry in scored if entry[2] <= MOJIBAKE_THRESHOLD]
    if not plausible:
        return None
    best = min(score for _, _, score in plausible)
    codec, text, _ = next(entry for entry in plausible if entry[2] <= best + SCORE_TIE_MARGIN)
    return _Choice(text, codec)


def _least_garbled(body: bytes, codecs_to_try: list[str]) -> _Choice | None:
    """Among codecs that decode (within the bad-byte allowance), the least garbled result."""
    scored: list[tuple[float, int, _Choice]] = []
    for rank, codec in enumerate(codecs_to_try):
        decoded = _decode_tolerantly(body, codec)
        if decoded is not None:
            choice = _Choice(decoded[0], codec, verified=decoded[1] == 0)
            scored.append((mojibake_score(choice.text[:PLAUSIBILITY_SAMPLE_CHARS]), rank, choice))
    return min(scored, key=lambda entry: entry[:2])[2] if scored else None


def _undeclared_preference(detected: str | None) -> list[str]:
    """Codecs to try when no declaration holds: chardet's Chinese guesses, then the GB family."""
    chinese = ("utf-8", "gb18030", "big5")
    trusted = [detected] if detected in chinese else []
    return _unique([*trusted, "gb18030", "big5", detected, "utf-8"])


def _choose(body: bytes, header: str | None, meta: str | None) -> _Choice:
    declared = _unique([normalise_codec(header), normalise_codec(meta)])
    declared_legacy = [codec for codec in declared if codec != "utf-8"]
    # Valid UTF-8 with non-ASCII bytes is almost never anything else, while gb18030 decodes
    # almost any bytes: so valid UTF-8 wins unless it reads as garbage and a declaration does
    # not. Garbage that is valid UTF-8 is most likely mojibake served as UTF-8: repaired later.
    as_utf8 = _strict(body, "utf-8")
    if as_utf8 is not None:
        if _reads_plausibly(as_utf8):
            return _Choice(as_utf8, "utf-8")
        return _first_plausible(body, declared_legacy) or _Choice(as_utf8, "utf-8")
    choice = _first_plausible(body, declared_legacy)
    if choice is not None:
        return choice
    detected = detect_codec(body)
    fallbacks = _undeclared_preference(detected)
    choice = _most_plausible(body, [codec for codec in fallbacks if codec not in declared])
    tolerant_order = _unique([*declared, *fallbacks])
    if choice is None:
        choice = _least_garbled(body, tolerant_order)
    if choice is None:
        raise Rejected("undecodable", f"no codec decodes the body (tried {', '.join(tolerant_order)})")
    return _Choice(choice.text, choice.codec, detected, choice.verified)


def _finish(choice: _Choice, header: str | None, meta: str | None) -> Decoded:
    """Check the decoded text for controls and mojibake; repair or reject."""
    if _control_share(choice.text) > MAX_CONTROL_SHARE:
        raise Rejected("binary", f"decoded as {choice.codec} but full of control characters")
    text = choice.text
    score = mojibake_score(text)
    if score > MOJIBAKE_THRESHOLD:
        fixed = repair_mojibake(text)
        if fixed is None:
            if not choice.verified:
                raise Rejected("undecodable", f"best guess {choice.codec} still garbled (mojibake_score {score:.3f})")
            raise Rejected("mojibake", f"decoded as {choice.codec}, mojibake_score {score:.3f}, not repairable")
    elif score > 0:
        # A garbled title or paragraph in an otherwise clean page: stricter, as evidence is thin.
        fixed = _repair_runs(text, min_length=MIN_REPAIRABLE_RUN)
    else:
        fixed = text
    repaired = fixed != text
    return Decoded(
        text=fixed,
        used=choice.codec,
        declared=header or meta,
        declared_header=header,
        declared_meta=meta,
        detected=choice.detected,
        repaired=repaired,
        rebuild=(choice.skip, choice.decoder or choice.codec) if choice.verified and not repaired else None,
    )


def _decode(body: bytes, header: str | None, meta: str | None) -> Decoded:
    declared = normalise_codec(header) or normalise_codec(meta)
    if not body:
        return _finish(_Choice("", declared or "utf-8"), header, meta)
    bom = _bom(body)
    if bom is not None:
        codec, length = bom
        decoded = _decode_tolerantly(body[length:], codec)
        if decoded is None:
            raise Rejected("undecodable", f"{codec} byte-order mark but the body is not {codec}")
        return _finish(_Choice(decoded[0], codec, verified=decoded[1] == 0, skip=length), header, meta)
    _reject_if_binary(body)
    if body.isascii():
        # Every ASCII-compatible codec reads these bytes alike, so the declaration can stand.
        used = declared if declared is not None and not declared.startswith(_ASCII_INCOMPATIBLE) else "utf-8"
        return _finish(_Choice(body.decode("ascii"), used, decoder="ascii"), header, meta)
    return _finish(_choose(body, header, meta), header, meta)


# Two or more numeric character references of code points 0x80-0xFF in a row: bytes written out
# one by one as Latin-1 (&#190;&#173; = the GBK bytes of 经). Chinese text is never written so.
_BYTE_REFERENCES = re.compile(r"(?:&#(?:1[2-9]\d|2[0-4]\d|25[0-5]|[xX][89a-fA-F][0-9a-fA-F]);){2,}")
_REFERENCE = re.compile(r"&#([xX]?)([0-9a-fA-F]+);")


def repair_reference_mojibake(html: str) -> str:
    """Markup whose runs of byte-valued character references are replaced by the text the bytes encode.

    A run is replaced only when a known misreading (GBK, UTF-8 or Big5 bytes read as Latin-1)
    turns it into text that no longer looks garbled; any other run is left for the text check.
    """
    if "&#" not in html:
        return html

    def repaired(match: re.Match[str]) -> str:
        chars = "".join(chr(int(code, 16 if hexa else 10)) for hexa, code in _REFERENCE.findall(match.group(0)))
        fixed = _repair_whole(chars, _DISTINCTIVE_MISREADINGS)
        if fixed is None or not _reads_as_chinese(fixed):
            return match.group(0)
        return html_escape(fixed, quote=False)

    return _BYTE_REFERENCES.sub(repaired, html)


def _reads_as_chinese(text: str) -> bool:
    """Common hanzi, CJK punctuation and ASCII only, with at least one hanzi: what a verified repair gives."""
    hanzi = 0
    for char in text:
        if "\u4e00" <= char <= "\u9fff" and _hanzi_weight(char) < 1:
            hanzi += 1
        elif not (char.isascii() or "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef" or char in "“”‘’…—·"):
            return False
    return hanzi > 0


def repair_extracted_text(text: str, source: str = "text") -> str:
    """Text a reader produced, checked for mojibake the way decoded markup is; repaired or Rejected.

    Decoding checks the bytes, but mojibake can arrive after them: numeric character references
    of mis-decoded bytes (`&#190;&#173;` = GBK read as Latin-1), a PDF font's broken ToUnicode
    map, a DOCX written from garbled text. Garbled text whose repair is verified (the repaired
    text no longer looks garbled) is repaired; otherwise it is Rejected("mojibake"), never stored.
    `source` names the text in the rejection (html, pdf, docx …).
    """
    score = mojibake_score(text)
    if score > MOJIBAKE_THRESHOLD:
        fixed = repair_mojibake(text)
        if fixed is None:
            raise Rejected("mojibake", f"the {source} text reads as mojibake (mojibake_score {score:.3f}), not repairable")
        return fixed
    if score > 0:
        return _repair_runs(text, min_length=MIN_REPAIRABLE_RUN)
    return text


def decode_html(body: bytes, content_type: str | None) -> Decoded:
    """Decode an HTML page, honouring the header and <meta> charset only where they verify."""
    header = charset_from_content_type(content_type)
    return _decode(body, header, charset_from_meta(body))


def decode_text(body: bytes, content_type: str | None) -> Decoded:
    """Decode a plain-text body; only the header can declare a charset."""
    return _decode(body, charset_from_content_type(content_type), None)

