"""The schema of a source config (sources.toml), checked in full before any crawl starts.

`read_config` turns a file into a TOML table, or a `ConfigError` naming the file, the line and
what to do (not found, a directory, not UTF-8, TOML syntax). `check_source` checks one
`[[sources]]` table against `KEYS`: known keys, value types, regexes that compile, start URLs
that can be fetched (http(s) with a host), host names in `allowed_domains`, cron expressions
that parse. Every problem is reported, each on its own line as `FILE:LINE: sources #N (name):
key: problem`, the line found by `TomlLines` where it can be. No Scrapy here.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.urlcheck import url_problem

FAMILIES = ("generic", "gov_portal", "discuz", "aggregator")
CONTINUATION_GROUPS = ("stem", "page")
REGEX_FLAGS = re.IGNORECASE  # as crawler.links compiles them


class ConfigError(Exception):
    """The source configuration is invalid; the message names the file, the line and the field.

    A message may hold several problems, one per line.
    """


# --- reading the file ----------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)$")


def read_config(path: Path) -> tuple[str, dict[str, Any]]:
    """The text of `path` and the TOML table it holds.

    Raises ConfigError for a missing file, a directory, an unreadable file, bytes that are not
    UTF-8 (TOML files are UTF-8 by definition; a UTF-8 byte-order mark is tolerated) and TOML
    syntax errors, with the line and column tomllib reports.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found: pass --config FILE (see README 'Sources')") from None
    except IsADirectoryError:
        raise ConfigError(f"config path {path} is a directory: pass --config with a TOML file, e.g. {path}/sources.toml") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path}: is UTF-16 (a byte-order mark says so): TOML files must be UTF-8; save it as UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 (byte 0x{raw[exc.start]:02x}): TOML files must be UTF-8; "
            f"convert it, e.g. iconv -f GBK -t UTF-8 {path} > sources.utf8.toml"
        ) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(path, str(exc))) from None


def _toml_error(path: Path, message: str) -> str:
    position = _TOML_POSITION.search(message)
    where = f"{path}:{position.group(1)}:{position.group(2)}" if position else str(path)
    what = _TOML_POSITION.sub("", message).strip()
    hint = ""
    if "escape" in what.lower():
        hint = r"; write regexes in single quotes ('\d+\.html$'), or double each backslash inside double quotes"
    return f"{where}: invalid TOML: {what}{hint}"


# --- where things are in the file ----------------------------------------------------------------

_SOURCES_HEADER = re.compile(r"^\s*\[\[\s*sources\s*\]\]\s*(#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[")
_KEY_LINE = re.compile(r"""^\s*(?:([A-Za-z0-9_-]+)|"([^"]*)"|'([^']*)')\s*=""")


@dataclass
class TomlLines:
    """1-based line numbers of the `[[sources]]` tables of a TOML text and of their keys.

    A line scan, not a parser: it covers configs written as in the README (one `[[sources]]`
    header per source, one `key = value` per line, arrays over several lines). Anything it
    cannot place gets no line number rather than a wrong one.
    """

    lines: list[str]
    tables: list[int]
    keys: dict[tuple[int, str], int]

    @classmethod
    def scan(cls, text: str) -> TomlLines:
        lines = text.splitlines()
        tables: list[int] = []
        keys: dict[tuple[int, str], int] = {}
        current: int | None = None
        for number, line in enumerate(lines, 1):
            if _SOURCES_HEADER.match(line):
                tables.append(number)
                current = len(tables) - 1
            elif _TABLE_HEADER.match(line) and not line.lstrip().startswith(("['", '["')):
                current = None
            elif current is not None and (match := _KEY_LINE.match(line)):
                keys.setdefault((current, next(group for group in match.groups() if group is not None)), number)
        return cls(lines, tables, keys)

    def line_of(self, source: int, key: str | None = None, value: str | None = None) -> int | None:
        """The line of `key` in the `source`-th table (0-based), of `value` within it if found, or of the table."""
        if source < 0 or source >= len(self.tables):
            return None
        start = self.keys.get((source, key)) if key else None
        if start is None:
            return self.tables[source]
        if value:
            written = (value, value.replace("\\", "\\\\").replace('"', '\\"'))
            later = [line for (index, _), line in self.keys.items() if index == source and line > start]
            end = min([*later, *(table for table in self.tables if table > start), len(self.lines) + 1])
            for number in range(start, end):
                if any(form in self.lines[number - 1] for form in written):
                    return number
        return start


# --- the schema ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a source table: where (`key`, and `value` to find its line) and what."""

    key: str | None
    message: str
    value: str | None = None


Checker = Callable[[str, Any], tuple[Any, list[Problem]]]


def _strings(key: str, value: Any) -> tuple[tuple[str, ...], list[Problem]]:
    if isinstance(value, str):
        return (value,), []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value), []
    return (), [Problem(key, f"{key}: expected a string or a list of strings, got {_shown(value)}")]


def _shown(value: Any) -> str:
    kinds = {bool: "true/false", int: "a number", float: "a number", dict: "a table", list: "a list with non-strings"}
    return kinds.get(type(value), type(value).__name__)


def _regexes(key: str, value: Any) -> tuple[tuple[str, ...], list[Problem]]:
    patterns, problems = _strings(key, value)
    for pattern in patterns:
        try:
            re.compile(pattern, REGEX_FLAGS)
        except re.error as exc:
            problems.append(
                Problem(
                    key,
                    f"{key}: {pattern!r} is not a valid regular expression ({exc.msg} at position {exc.pos}): "
                    r"fix it, or escape a literal ( [ { . ? + * with a backslash",
                    pattern,
                )
            )
    return patterns, problems


def _continuation(key: str, value: Any) -> tuple[tuple[str, ...], list[Problem]]:
    patterns, problems = _regexes(key, value)
    if problems:
        return patterns, problems
    for pattern in patterns:
        missing = [group for group in CONTINUATION_GROUPS if group not in re.compile(pattern).groupindex]
        if missing:
            names = " and ".join(f"(?P<{group}>…)" for group in missing)
            problems.append(Problem(key, f"{key}: {pattern!r} lacks {names}: name the article's stem and the page number", pattern))
    return patterns, problems


def _urls(key: str, value: Any) -> tuple[tuple[str, ...], list[Problem]]:
    urls, problems = _strings(key, value)
    if not problems and not urls:
        problems.append(Problem(key, "'start_urls' needs at least one URL, e.g. start_urls = [\"https://www.example.gov.cn/zwgk/\"]"))
    for url in urls:
        problem = url_problem(url)
        if problem is not None:
            problems.append(Problem(key, f"start URL {problem[1]}", url))
    return urls, problems


def _hosts(key: str, value: Any) -> tuple[tuple[str, ...], list[Problem]]:
    hosts, problems = _strings(key, value)
    for host in hosts:
        if not host or "/" in host or ":" in host or any(char.isspace() for char in host):
            problems.append(
                Problem(key, f'{key}: {host!r} is not a host name: give names such as "www.jingan.gov.cn" (no scheme, path or port)', host)
            )
    return hosts, problems


def _count(key: str, value: Any) -> tuple[int | None, list[Problem]]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None, [Problem(key, f"{key} must be a whole number ≥ 0 (without quotes), got {value!r}")]
    return value, []


def _cron(key: str, value: Any) -> tuple[str | None, list[Problem]]:
    hint = "a 5-field cron expression like '0 3 * * 1' (minute hour day month weekday)"
    if not isinstance(value, str):
        return None, [Problem(key, f"schedule must be {hint}, got {_shown(value)}")]
    from apscheduler.triggers.cron import (
        CronTrigger,  # the parser `govcorpus schedule` uses
    )

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        return None, [Problem(key, f"schedule {value!r} is not a valid cron expression ({exc}): write {hint}")]
    return value, []


def _family(key: str, value: Any) -> tuple[str | None, list[Problem]]:
    if value in FAMILIES:
        return str(value), []
    close = difflib.get_close_matches(str(value), FAMILIES, n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    return None, [Problem(key, f"family {value!r} is not one of {', '.join(FAMILIES)}{guess}")]


NAME_REQUIRED = "'name' is required: a non-empty string naming the source, e.g. name = \"jingan\""


def _name(key: str, value: Any) -> tuple[str | None, list[Problem]]:
    if isinstance(value, str) and value.strip():
        return value, []
    return None, [Problem(key, NAME_REQUIRED)]


# Every key of a [[sources]] table and how its value is checked (crawler.sources.Source has one
# field per key; tests/test_config_schema.py keeps the two in step).
KEYS: dict[str, Checker] = {
    "name": _name,
    "family": _family,
    "start_urls": _urls,
    "allowed_domains": _hosts,
    "list_pages": _regexes,
    "article_pages": _regexes,
    "continuation": _continuation,
    "follow": _regexes,
    "deny": _regexes,
    "next_page_text": _strings,
    "report_keywords": _strings,
    "report_exclude": _strings,
    "attachment_extensions": _strings,
    "max_depth": _count,
    "max_pages": _count,
    "schedule": _cron,
}


def check_source(raw: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The values of one `[[sources]]` table, normalised (lists as tuples), and every problem found."""
    if not isinstance(raw, dict):
        return {}, [Problem(None, "each [[sources]] entry must be a table of keys")]
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    if "name" not in raw:
        problems.append(Problem(None, NAME_REQUIRED))
    if "start_urls" not in raw:
        problems.append(Problem(None, "'start_urls' is required: the list pages, articles, sitemaps or feeds to start from"))
    for key, value in raw.items():
        checker = KEYS.get(key)
        if checker is None:
            close = difflib.get_close_matches(key, KEYS, n=1)
            guess = f"did you mean {close[0]!r}? " if close else ""
            problems.append(Problem(key, f"unknown keys [{key!r}]: {guess}known keys are {', '.join(sorted(KEYS))}"))
            continue
        checked, found = checker(key, value)
        problems.extend(found)
        if not found:
            values[key] = checked
    return values, problems


def format_problems(path: str, lines: TomlLines | None, source: int, label: str, problems: Sequence[Problem]) -> list[str]:
    """One line per problem: `FILE:LINE: sources #N (name): key: message`."""
    out = []
    for problem in problems:
        line = lines.line_of(source, problem.key, problem.value) if lines else None
        where = f"{path}:{line}" if line else path
        out.append(f"{where}: {label}: {problem.message}")
    return out
