"""The source config schema and the typed `-s` settings, below the CLI."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from crawler.config_schema import KEYS, ConfigError, TomlLines, check_source
from crawler.sources import Source, load_sources
from govcorpus.overrides import SettingError, check_overrides


def test_schema_has_one_entry_per_source_field() -> None:
    assert set(KEYS) == {f.name for f in fields(Source)}


def test_family_defaults_pass_the_schema() -> None:
    from crawler.sources import family_defaults

    for family, defaults in family_defaults().items():
        _, problems = check_source({"name": "x", "start_urls": ["http://a.example/"], **defaults})
        assert problems == [], (family, problems)


def test_lines_of_tables_keys_and_list_items() -> None:
    text = (
        "# comment\n"
        "[[sources]]\n"
        'name = "a"\n'
        "deny = [\n"
        "  'ok',\n"
        "  '(',\n"
        "]\n"
        "\n"
        "[other]\n"
        'name = "not a source"\n'
        "[[sources]]\n"
        '"name" = "b"\n'
        'follow = ["x\\\\d"]\n'
    )
    lines = TomlLines.scan(text)
    assert lines.tables == [2, 11]
    assert lines.line_of(0) == 2
    assert lines.line_of(0, "name") == 3
    assert lines.line_of(0, "deny", "(") == 6
    assert lines.line_of(0, "deny", "not there") == 4
    assert lines.line_of(1, "name") == 12
    assert lines.line_of(1, "follow", "x\\d") == 13  # found in its double-quoted spelling
    assert lines.line_of(1, "deny") == 11  # not set: the table
    assert lines.line_of(5) is None


def test_a_valid_source_is_normalised() -> None:
    values, problems = check_source({"name": "a", "start_urls": "http://a.example/", "deny": "x", "max_pages": 0})
    assert problems == []
    assert values == {"name": "a", "start_urls": ("http://a.example/",), "deny": ("x",), "max_pages": 0}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"start_urls": ["http://a/"]}, "'name' is required"),
        ({"name": "a"}, "'start_urls' is required"),
        ({"name": "a", "start_urls": []}, "needs at least one URL"),
        ({"name": "a", "start_urls": ["http://a/"], "max_depth": True}, "max_depth must be a whole number"),
        ({"name": "a", "start_urls": ["http://a/"], "max_depth": -1}, "max_depth must be a whole number"),
        ({"name": "a", "start_urls": ["http://a/"], "schedule": 3}, "schedule must be a 5-field cron expression"),
        ({"name": "a", "start_urls": ["http://a/"], "allowed_domains": ["a.example:8080"]}, "not a host name"),
        ({"name": "a", "start_urls": ["http://a/"], "continuation": ["(?P<stem>.+)_x"]}, "lacks (?P<page>…)"),
        ("not a table", "must be a table"),
    ],
)
def test_problems_are_named(raw: Any, message: str) -> None:
    _, problems = check_source(raw)
    assert any(message in problem.message for problem in problems), problems


def test_load_sources_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text("[[sources]]\nname = 'a'\nstart_urls = ['http://a.example/']\nlist_pages = ['[']\nfollow = ['(']\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    lines = str(caught.value).splitlines()
    assert [line.split(": ")[0] for line in lines] == [f"{path}:4", f"{path}:5"]


@pytest.mark.parametrize(
    ("pair", "value"),
    [
        (("DOWNLOAD_TIMEOUT", "2.5"), 2.5),
        (("DOWNLOAD_DELAY", "0"), 0.0),
        (("GOVCORPUS_PROCESS_WORKERS", "0"), 0),
        (("RETRY_ENABLED", "False"), False),
        (("ROBOTSTXT_OBEY", "yes"), True),
        (("LOG_LEVEL", "debug"), "DEBUG"),
        (("GOVCORPUS_SSRF_ALLOW", '["10.1.2.3", "intranet.example"]'), ["10.1.2.3", "intranet.example"]),
        (("GOVCORPUS_SSRF_ALLOW", "10.1.2.3, intranet.example"), ["10.1.2.3", "intranet.example"]),
        (("GOVCORPUS_TEST_HOSTS", '{"a.test": "127.0.0.2"}'), '{"a.test": "127.0.0.2"}'),
        (("GOVCORPUS_STORE", "s3://b/p"), "s3://b/p"),
        (("SOMETHING_ELSE", "x"), "x"),
    ],
)
def test_settings_are_typed_by_their_defaults(pair: tuple[str, str], value: Any) -> None:
    values, _ = check_overrides([pair])
    assert values == {pair[0]: value}


@pytest.mark.parametrize(
    "pair",
    [
        ("DOWNLOAD_TIMEOUT", "abc"),
        ("DOWNLOAD_TIMEOUT", "nan"),
        ("CONCURRENT_REQUESTS", "2.5"),
        ("GOVCORPUS_SERVICE_DEADLINE", "-1"),
        ("GOVCORPUS_SSRF_ALLOW", '["a",'),
        ("ITEM_PIPELINES", "[1]"),
    ],
)
def test_bad_settings_are_refused(pair: tuple[str, str]) -> None:
    with pytest.raises(SettingError, match=f"-s {pair[0]}="):
        check_overrides([pair])
