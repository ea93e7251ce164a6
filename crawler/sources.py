"""Source configuration: which sites to crawl and how, as data read from TOML.

Family defaults live in families.toml beside this file; a source's own keys replace them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from crawler.config_schema import (
    FAMILIES,
    ConfigError,
    TomlLines,
    check_source,
    format_problems,
    read_config,
)

__all__ = ["FAMILIES", "ConfigError", "Source", "load_sources", "parse_sources", "select_sources"]

FAMILIES_FILE: Traversable = files("crawler") / "families.toml"  # works inside a zipped egg too


@cache
def family_defaults() -> dict[str, Any]:
    return tomllib.loads(FAMILIES_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Source:
    name: str
    start_urls: tuple[str, ...]
    family: str = "generic"
    allowed_domains: tuple[str, ...] = ()
    list_pages: tuple[str, ...] = ()
    article_pages: tuple[str, ...] = ()
    continuation: tuple[str, ...] = ()
    follow: tuple[str, ...] = ()  # when set, only links matching one of these are followed
    deny: tuple[str, ...] = ()
    next_page_text: tuple[str, ...] = ()
    report_keywords: tuple[str, ...] = ()
    report_exclude: tuple[str, ...] = ()  # title words that mark news about a report, not the report
    attachment_extensions: tuple[str, ...] = ()
    max_depth: int = 3
    max_pages: int | None = None
    schedule: str | None = None  # cron expression for `govcorpus schedule`

    def domains(self) -> tuple[str, ...]:
        """The allowed domains, defaulting to the start URLs' hosts."""
        return self.allowed_domains or tuple(sorted({urlparse(url).hostname or "" for url in self.start_urls}))

    @classmethod
    def with_defaults(cls, name: str, start_urls: tuple[str, ...], family: str = "generic", **overrides: Any) -> Source:
        """A source of `family` whose unset keys come from families.toml."""
        defaults = {**family_defaults()["shared"], **family_defaults()[family]}
        values: dict[str, Any] = {key: tuple(value) for key, value in defaults.items()}
        values.update(overrides)
        return cls(name=name, start_urls=start_urls, family=family, **values)


def _parse_source(raw: Any, number: int, origin: str, lines: TomlLines | None) -> tuple[Source | None, list[str]]:
    values, problems = check_source(raw)
    name = values.get("name")
    label = f"sources #{number}" + (f" ({name})" if name else "")
    if problems:
        return None, format_problems(origin, lines, number - 1, label, problems)
    family = values.pop("family", "generic")
    start_urls = values.pop("start_urls")
    return Source.with_defaults(values.pop("name"), start_urls, family, **values), []


def parse_sources(data: dict[str, Any], origin: str = "<config>", text: str | None = None) -> list[Source]:
    """The sources of a parsed config; ConfigError lists every problem, one per line.

    `text` is the file's text, used only to give each problem its line number.
    """
    lines = TomlLines.scan(text) if text is not None else None
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        others = [key for key in data if key != "sources"]
        guess = f" (found {', '.join(map(repr, others))}: each source is a [[sources]] table)" if others else ""
        if isinstance(raw_sources, dict):
            guess = " ([sources] is one table: write [[sources]], with double brackets, before each source)"
        raise ConfigError(f"{origin}: no [[sources]] tables found{guess}; see README 'Sources' for an example")
    sources: list[Source] = []
    problems: list[str] = []
    for number, raw in enumerate(raw_sources, 1):
        source, found = _parse_source(raw, number, origin, lines)
        problems.extend(found)
        if source is not None:
            sources.append(source)
    names = [source.name for source in sources]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(f"{origin}: source names must be unique: {', '.join(map(repr, repeated))} used more than once")
    if problems:
        raise ConfigError("\n".join(problems))
    return sources


def load_sources(path: Path) -> list[Source]:
    """Read and check a source config; ConfigError names the file, the line and what to do."""
    text, data = read_config(path)
    return parse_sources(data, str(path), text)


def select_sources(sources: list[Source], names: list[str] | None) -> list[Source]:
    if not names:
        return sources
    by_name = {source.name: source for source in sources}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise ConfigError(f"unknown source(s) {missing}: --source takes a name from the config, one of {', '.join(sorted(by_name))}")
    return [by_name[name] for name in names]
