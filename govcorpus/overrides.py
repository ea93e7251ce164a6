"""`-s NAME=VALUE` overrides, checked against the declared settings before anything starts.

A setting's type is the type of its default (Scrapy's defaults and crawler/settings.py), so
`-s DOWNLOAD_TIMEOUT=abc` or `-s GOVCORPUS_PROCESS_WORKERS=two` is refused up front with one line
instead of failing deep inside a running crawl. Values are converted the way Scrapy reads them
(`getbool`, `getint`, `getfloat`, `getlist`, `getdict`); a list may also be written as a JSON
array (`-s 'GOVCORPUS_SSRF_ALLOW=["10.1.2.3", "intranet.example"]'`), as the README shows.
"""

from __future__ import annotations

import difflib
import json
import math
import warnings
from collections.abc import Iterable
from functools import cache
from typing import Any

# Scrapy reads these with getfloat although their defaults are whole numbers.
FLOAT_READ = frozenset({"DNS_TIMEOUT", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "CLOSESPIDER_TIMEOUT", "CLOSESPIDER_TIMEOUT_NO_ITEM"})
CHOICES = {"LOG_LEVEL": ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")}
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


class SettingError(ValueError):
    """One or more overrides cannot be used; the message has one line per bad setting."""


@cache
def declared_settings() -> dict[str, Any]:
    """Every setting with a default: Scrapy's and the project's (crawler/settings.py)."""
    from govcorpus.runner import project_settings

    settings = project_settings()
    with warnings.catch_warnings():  # reading a deprecated setting's default warns; it is only looked at
        warnings.simplefilter("ignore")
        return {name: settings.get(name) for name in settings}


def convert(name: str, text: str, default: Any) -> Any:
    """`text` as the setting `name` with `default` is read; ValueError says what is expected."""
    if name in CHOICES:
        if text.upper() not in CHOICES[name]:
            raise ValueError(f"expected one of {', '.join(CHOICES[name])}")
        return text.upper()
    if isinstance(default, bool):
        word = text.strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValueError("expected true or false")
    if isinstance(default, int | float):
        return _number(name, text, whole=isinstance(default, int) and name not in FLOAT_READ)
    if isinstance(default, list | tuple):
        return _list(text)
    if isinstance(default, dict) or hasattr(default, "copy_to_dict"):  # dict or Scrapy BaseSettings
        _json_object(text)
        return text  # Scrapy parses a JSON object itself, merging *_BASE settings as it does
    return text


def _number(name: str, text: str, whole: bool) -> int | float:
    try:
        value: int | float = int(text) if whole else float(text)
    except ValueError:
        raise ValueError("expected a whole number" if whole else "expected a number (seconds or a count)") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number")
    if name.startswith("GOVCORPUS_") and value < 0:
        raise ValueError("expected a number ≥ 0")
    return value


def _list(text: str) -> list[Any]:
    if text.strip().startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"expected a JSON array like [\"a\", \"b\"] or a comma-separated list ({exc.msg})") from None
        if not isinstance(value, list):
            raise TypeError("expected a JSON array or a comma-separated list")
        return value
    return [item.strip() for item in text.split(",") if item.strip()]


def _json_object(text: str) -> None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"expected a JSON object like {{\"name\": value}} ({exc.msg})") from None
    if not isinstance(value, dict):
        raise TypeError("expected a JSON object like {\"name\": value}")


def check_overrides(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, Any], list[str]]:
    """Typed overrides from `-s` pairs, and warnings (a name that looks like a misspelt setting).

    Raises SettingError naming every bad value, what its setting expects and its default.
    """
    pairs = list(pairs)
    if not pairs:
        return {}, []  # no need to load Scrapy's settings for nothing
    declared = declared_settings()
    values: dict[str, Any] = {}
    problems: list[str] = []
    notes: list[str] = []
    for name, text in pairs:
        if name not in declared:
            close = difflib.get_close_matches(name, declared, n=1, cutoff=0.85)
            if close:
                notes.append(f"-s {name}: no such setting (did you mean {close[0]}?); passed on as given")
            values[name] = text
            continue
        default = declared[name]
        try:
            values[name] = convert(name, text, default)
        except (ValueError, TypeError) as exc:
            shown = default.copy_to_dict() if hasattr(default, "copy_to_dict") else default
            problems.append(f"-s {name}={text}: {exc} (default: {json.dumps(shown, default=str)})")
    if problems:
        raise SettingError("\n".join(problems))
    return values, notes
