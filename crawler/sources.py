"""Source configuration: which sites to crawl and how, as data read from TOML.

Family defaults live in families.toml beside this file; a source's own keys replace them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

FAMILIES_FILE: Traversable = files("crawler") / "families.toml"  # works inside a zipped egg too
FAMILIES = ("generic", "gov_portal", "discuz", "aggregator")


class ConfigError(Exception):
    """The source configuration is invalid; the message names the file and the field."""


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
        values = {key: tuple(value) for key, value in defaults.items()}
        values.update(overrides)
        return cls(name=name, start_urls=start_urls, family=family, **values)


_TUPLE_KEYS = {f.name for f in fields(Source) if f.type == "tuple[str, ...]"}
_KNOWN_KEYS = {f.name for f in fields(Source)}


def _as_tuple(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{where}: expected a string or a list of strings")


def _parse_source(raw: dict[str, Any], where: str) -> Source:
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: 'name' is required")
    where = f"{where} ({name})"
    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_KNOWN_KEYS)}")
    family = raw.get("family", "generic")
    if family not in FAMILIES:
        raise ConfigError(f"{where}: family {family!r} is not one of {', '.join(FAMILIES)}")
    start_urls = _as_tuple(raw.get("start_urls", []), f"{where} start_urls")
    if not start_urls:
        raise ConfigError(f"{where}: 'start_urls' needs at least one URL")
    for url in start_urls:
        if urlparse(url).scheme not in ("http", "https"):
            raise ConfigError(f"{where}: start URL {url!r} is not http(s)")
    overrides: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _TUPLE_KEYS:
            overrides[key] = _as_tuple(value, f"{where} {key}")
        elif key in ("max_depth", "max_pages"):
            if not isinstance(value, int) or value < 0:
                raise ConfigError(f"{where}: {key} must be a whole number ≥ 0")
            overrides[key] = value
        elif key == "schedule":
            if not isinstance(value, str) or len(value.split()) != 5:
                raise ConfigError(f"{where}: schedule must be a 5-field cron expression like '0 3 * * *'")
            overrides[key] = value
    overrides.pop("start_urls", None)
    return Source.with_defaults(name, start_urls, family, **overrides)


def parse_sources(data: dict[str, Any], origin: str = "<config>") -> list[Source]:
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ConfigError(f"{origin}: no [[sources]] tables found")
    sources = [_parse_source(raw, f"{origin}: sources #{number}") for number, raw in enumerate(raw_sources, 1)]
    names = [source.name for source in sources]
    if len(set(names)) != len(names):
        raise ConfigError(f"{origin}: source names must be unique")
    return sources


def load_sources(path: Path) -> list[Source]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found (pass --config FILE; see README 'Sources')") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_sources(data, str(path))


def select_sources(sources: list[Source], names: list[str] | None) -> list[Source]:
    if not names:
        return sources
    by_name = {source.name: source for source in sources}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise ConfigError(f"unknown source(s) {missing}; configured: {sorted(by_name)}")
    return [by_name[name] for name in names]
