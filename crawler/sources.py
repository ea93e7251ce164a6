"""Source configuration: which sites to crawl and how far. Plain data, read from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(Exception):
    """The source configuration is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class Source:
    name: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...] = ()
    follow: tuple[str, ...] = ()  # regexes: links to follow; empty = every link on an allowed domain
    deny: tuple[str, ...] = ()  # regexes: links never followed
    max_depth: int = 2
    max_pages: int | None = None

    def domains(self) -> tuple[str, ...]:
        """The allowed domains, defaulting to the start URLs' hosts."""
        return self.allowed_domains or tuple(sorted({urlparse(url).hostname or "" for url in self.start_urls}))


def _as_tuple(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{where}: expected a string or a list of strings")


def parse_sources(data: dict, origin: str = "<config>") -> list[Source]:
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ConfigError(f"{origin}: no [[sources]] tables found")
    sources = []
    for number, raw in enumerate(raw_sources, 1):
        where = f"{origin}: sources #{number}"
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: 'name' is required")
        start_urls = _as_tuple(raw.get("start_urls", []), f"{where} ({name}) start_urls")
        if not start_urls:
            raise ConfigError(f"{where} ({name}): 'start_urls' needs at least one URL")
        for url in start_urls:
            if urlparse(url).scheme not in ("http", "https"):
                raise ConfigError(f"{where} ({name}): start URL {url!r} is not http(s)")
        unknown = set(raw) - {"name", "start_urls", "allowed_domains", "follow", "deny", "max_depth", "max_pages"}
        if unknown:
            raise ConfigError(f"{where} ({name}): unknown keys {sorted(unknown)}")
        sources.append(
            Source(
                name=name,
                start_urls=start_urls,
                allowed_domains=_as_tuple(raw.get("allowed_domains", []), f"{where} allowed_domains"),
                follow=_as_tuple(raw.get("follow", []), f"{where} follow"),
                deny=_as_tuple(raw.get("deny", []), f"{where} deny"),
                max_depth=int(raw.get("max_depth", 2)),
                max_pages=raw.get("max_pages"),
            )
        )
    names = [source.name for source in sources]
    if len(set(names)) != len(names):
        raise ConfigError(f"{origin}: source names must be unique")
    return sources


def load_sources(path: Path) -> list[Source]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found (pass --config FILE)") from None
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
