"""Mistakes an operator makes, run as a user would: one line naming the problem and what to do, no traceback.

Usage errors (what was typed: arguments, settings, the config) exit with status 2 before anything
starts; run failures (what the world refused: the store, S3, Redis) with status 1.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import free_port, run_cli

from cleaners.document import Document
from storage.corpus import Corpus

USAGE, FAILURE = 2, 1
GOOD_SOURCE = '[[sources]]\nname = "a"\nstart_urls = ["http://127.0.0.1:{port}/"]\n'


def assert_error(result: subprocess.CompletedProcess[str], status: int, *needles: str) -> list[str]:
    """The command failed with `status`, saying only `govcorpus: error: …` lines that hold `needles`."""
    assert result.returncode == status, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("govcorpus: error: ") for line in lines), result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    return lines


def write_config(tmp_path: Path, text: str, name: str = "sources.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def crawl(config: Path | str, store: Path | str, *extra: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("crawl", "--config", str(config), "--store", str(store), *extra, cwd=cwd)


# --- the config file -------------------------------------------------------------------------


def test_config_in_gbk_names_the_line_and_how_to_convert(tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_bytes('[[sources]]\nname = "静安"\nstart_urls = ["http://127.0.0.1:9/"]\n'.encode("gbk"))
    result = crawl(config, tmp_path / "corpus")
    assert_error(result, USAGE, f"{config}:2:", "not UTF-8", "iconv -f GBK -t UTF-8")
    assert not (tmp_path / "corpus").exists()


def test_config_in_utf16_says_so(tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_bytes(GOOD_SOURCE.format(port=9).encode("utf-16"))
    assert_error(crawl(config, tmp_path / "corpus"), USAGE, "is UTF-16", "save it as UTF-8")


def test_config_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_bytes(b"\xef\xbb\xbf" + GOOD_SOURCE.format(port=free_port()).encode())
    result = crawl(config, tmp_path / "corpus", "-s", "RETRY_TIMES=0")
    assert "Traceback" not in result.stderr
    assert "invalid TOML" not in result.stderr


def test_config_path_that_is_a_directory(tmp_path: Path) -> None:
    assert_error(crawl(tmp_path, tmp_path / "corpus"), USAGE, "is a directory", "--config")


def test_missing_config_and_no_config_at_all(tmp_path: Path) -> None:
    assert_error(crawl(tmp_path / "nope.toml", tmp_path / "corpus"), USAGE, "nope.toml not found", "--config FILE")
    result = run_cli("crawl", "--store", str(tmp_path / "corpus"), cwd=tmp_path)  # ./sources.toml by default
    assert_error(result, USAGE, "sources.toml not found", "--config FILE")


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[[sources]]\nname = "a"\nstart_urls = ["http://a.example/"]\n[[sources]\n')
    assert_error(crawl(config, tmp_path / "corpus"), USAGE, f"{config}:4:10: invalid TOML")


def test_unescaped_backslash_in_a_regex_gets_a_hint(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[[sources]]\nname = "a"\nstart_urls = ["http://a.example/"]\ndeny = ["\\d+"]\n')
    assert_error(crawl(config, tmp_path / "corpus"), USAGE, f"{config}:4:", "single quotes")


@pytest.mark.parametrize("key", ["deny", "article_pages", "follow", "list_pages"])
def test_invalid_regex_is_refused_before_the_crawl_naming_source_key_and_line(tmp_path: Path, key: str) -> None:
    site = free_port()  # nothing listens: a crawl that started would fail differently
    config = write_config(
        tmp_path,
        f'[[sources]]\nname = "ok"\nstart_urls = ["http://127.0.0.1:{site}/"]\n\n'
        f'[[sources]]\nname = "jingan"\nfamily = "gov_portal"\nstart_urls = ["http://127.0.0.1:{site}/"]\n'
        f"{key} = [\n    '/fine/',\n    '/art/(\\d{{4}}/',\n]\n",
    )
    result = crawl(config, tmp_path / "corpus")
    assert_error(result, USAGE, f"{config}:11:", "sources #2 (jingan)", key, "'/art/(\\\\d{4}/'", "not a valid regular expression")
    assert not (tmp_path / "corpus").exists()


def test_continuation_needs_stem_and_page_groups(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[[sources]]\nname = 'a'\nstart_urls = ['http://a.example/']\ncontinuation = ['_(\\d+)\\.html$']\n")
    assert_error(crawl(config, tmp_path / "corpus"), USAGE, f"{config}:4:", "(?P<stem>…)", "(?P<page>…)")


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http:///x", "has no host"),
        ("http://[::1/", "Invalid IPv6 URL"),
        ("ftp://a.example/", "not http(s)"),
        ("www.jingan.gov.cn/zwgk/", "not http(s)"),
        ("http://a.example:99999/", "Port out of range"),
    ],
)
def test_start_url_that_cannot_be_fetched(tmp_path: Path, url: str, needle: str) -> None:
    config = write_config(tmp_path, f'[[sources]]\nname = "a"\nstart_urls = [\n  "http://a.example/",\n  "{url}",\n]\n')
    assert_error(crawl(config, tmp_path / "corpus"), USAGE, f"{config}:5:", "sources #1 (a)", needle)


@pytest.mark.parametrize(
    ("line", "needles"),
    [
        ('family = "portal"', ["family 'portal' is not one of", "did you mean 'gov_portal'?"]),
        ("max_page = 10", ["unknown keys ['max_page']", "did you mean 'max_pages'?"]),
        ('max_pages = "100"', ["max_pages must be a whole number"]),
        ('schedule = "0 3 * * 9"', ["'0 3 * * 9' is not a valid cron expression", "minute hour day month weekday"]),
        ('allowed_domains = ["https://www.jingan.gov.cn/"]', ["is not a host name"]),
        ("report_keywords = [1, 2]", ["report_keywords: expected a string or a list of strings"]),
    ],
)
def test_wrong_values_name_key_line_and_fix(tmp_path: Path, line: str, needles: list[str]) -> None:
    config = write_config(tmp_path, f'[[sources]]\nname = "a"\nstart_urls = ["http://a.example/"]\n{line}\n')
    assert_error(crawl(config, tmp_path / "corpus"), USAGE, f"{config}:4:", *needles)


def test_every_problem_of_a_config_is_listed_at_once(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        '[[sources]]\nname = "a"\nstart_urls = ["http:///x"]\ndeny = ["("]\n\n'
        '[[sources]]\nname = "b"\nfamily = "wiki"\nstart_urls = ["http://b.example/"]\n',
    )
    lines = assert_error(crawl(config, tmp_path / "corpus"), USAGE)
    assert [line.split(": ")[2] for line in lines] == [f"{config}:3", f"{config}:4", f"{config}:8"]


def test_sources_as_a_single_table(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[sources]\nname = "a"\nstart_urls = ["http://a.example/"]\n')
    assert_error(crawl(config, tmp_path / "corpus"), USAGE, "no [[sources]] tables found", "double brackets")


def test_unknown_source_name(tmp_path: Path) -> None:
    config = write_config(tmp_path, GOOD_SOURCE.format(port=9))
    result = run_cli("crawl", "--config", str(config), "--source", "b", "--store", str(tmp_path / "corpus"))
    assert_error(result, USAGE, "unknown source(s) ['b']", "one of a")


def test_schedule_checks_the_config_too(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[[sources]]\nname = "a"\nstart_urls = ["http://a.example/"]\nschedule = "daily"\n')
    result = run_cli("schedule", "--config", str(config), "--store", str(tmp_path / "corpus"))
    assert_error(result, USAGE, f"{config}:4:", "cron")


# --- settings and arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "needles"),
    [
        ("DOWNLOAD_TIMEOUT=abc", ["-s DOWNLOAD_TIMEOUT=abc: expected a number", "default: 60"]),
        ("GOVCORPUS_PROCESS_WORKERS=abc", ["-s GOVCORPUS_PROCESS_WORKERS=abc: expected a whole number", "default: 2"]),
        ("GOVCORPUS_PROCESS_WORKERS=1.5", ["expected a whole number"]),
        ("RETRY_ENABLED=maybe", ["expected true or false"]),
        ("LOG_LEVEL=LOUD", ["expected one of CRITICAL, ERROR, WARNING, INFO, DEBUG"]),
        ("GOVCORPUS_SSRF_ALLOW=[10.1.2.3", ["expected a JSON array"]),
        ("GOVCORPUS_TEST_HOSTS={nope}", ["expected a JSON object"]),
    ],
)
@pytest.mark.parametrize("command", ["crawl", "fetch"])
def test_typed_settings_are_checked_up_front(tmp_path: Path, setting: str, needles: list[str], command: str) -> None:
    config = write_config(tmp_path, GOOD_SOURCE.format(port=9))
    target = ["--config", str(config)] if command == "crawl" else ["http://127.0.0.1:9/"]
    result = run_cli(command, *target, "-s", setting, "--store", str(tmp_path / "corpus"))
    assert_error(result, USAGE, *needles)
    assert not (tmp_path / "corpus").exists()


def test_a_misspelt_setting_is_pointed_out(tmp_path: Path) -> None:
    result = run_cli("fetch", "http:///x", "-s", "DOWNLOAD_DELAI=1", "--store", str(tmp_path / "corpus"))
    assert "did you mean DOWNLOAD_DELAY?" in result.stderr


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["fetch", "http://[::1/"], ["Invalid IPv6 URL"]),
        (["fetch", "http:///x"], ["has no host"]),
        (["fetch", "http://127.0.0.1:99999/"], ["Port out of range"]),
        (["fetch", "http://exa mple.gov.cn/"], ["white space in its host"]),
        (["show", ""], ["give a document id"]),
    ],
)
def test_bad_arguments_are_usage_errors(tmp_path: Path, args: list[str], needles: list[str]) -> None:
    assert_error(run_cli(*args, "--store", str(tmp_path / "corpus")), USAGE, *needles)
    assert not (tmp_path / "corpus").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["crawl", "--max-pages", "-1"],
        ["crawl", "--max-pages", "0"],
        ["export", "--format", "xml"],
        ["serve", "--port", "70000"],
        ["fetch"],
    ],
)
def test_argparse_refuses_values_out_of_range(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(*args, "--store", str(tmp_path / "corpus"))
    assert result.returncode == USAGE and "Traceback" not in result.stderr
    assert "error: " in result.stderr.splitlines()[-1]


# --- the store -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("store", "needles"),
    [
        ("ftp://example.org/corpus", ["--store 'ftp://example.org/corpus': ftp: stores are not supported", "s3://bucket/prefix"]),
        ("s3:///prefix", ["names no bucket"]),
    ],
)
@pytest.mark.parametrize("command", ["crawl", "fetch", "ls", "serve"])
def test_unsupported_store_uri(tmp_path: Path, store: str, needles: list[str], command: str) -> None:
    config = write_config(tmp_path, GOOD_SOURCE.format(port=9))
    target = {"crawl": ["--config", str(config)], "fetch": ["http://127.0.0.1:9/"], "ls": [], "serve": ["--port", str(free_port())]}
    assert_error(run_cli(command, *target[command], "--store", store, timeout=60), USAGE, *needles)


def test_bad_bucket_name_and_a_store_from_the_environment(tmp_path: Path) -> None:
    assert_error(run_cli("ls", "--store", "s3://Corpus_2024/gov"), USAGE, "'Corpus_2024' is not a valid S3 bucket name")
    result = run_cli("ls", env={"GOVCORPUS_STORE": "ftp://example.org/corpus"})
    assert_error(result, USAGE, "$GOVCORPUS_STORE 'ftp://example.org/corpus'")


@pytest.mark.parametrize("command", ["crawl", "fetch", "export", "demo"])
def test_store_path_under_a_regular_file(tmp_path: Path, command: str) -> None:
    (tmp_path / "file").write_text("x")
    config = write_config(tmp_path, GOOD_SOURCE.format(port=9))
    target = {"crawl": ["--config", str(config)], "fetch": ["http://127.0.0.1:9/"], "export": [], "demo": ["--port", str(free_port())]}
    result = run_cli(command, *target[command], "--store", str(tmp_path / "file" / "corpus"))
    assert_error(result, FAILURE, f"{tmp_path / 'file' / 'corpus'}", "Not a directory", "pass --store elsewhere")


@pytest.fixture
def immutable_store(tmp_path: Path) -> Iterator[Path]:
    """A store directory that not even root can write to (chattr +i)."""
    store = tmp_path / "corpus"
    store.mkdir()
    subprocess.run(["chattr", "+i", str(store)], check=True)
    try:
        yield store
    finally:
        subprocess.run(["chattr", "-i", str(store)], check=True)


@pytest.mark.parametrize("command", ["crawl", "fetch", "export", "demo"])
def test_immutable_store_directory(immutable_store: Path, tmp_path: Path, command: str) -> None:
    config = write_config(tmp_path, GOOD_SOURCE.format(port=9))
    target = {"crawl": ["--config", str(config)], "fetch": ["http://127.0.0.1:9/"], "export": [], "demo": ["--port", str(free_port())]}
    result = run_cli(command, *target[command], "--store", str(immutable_store))
    assert_error(result, FAILURE, f"cannot write {immutable_store}:", "Operation not permitted", "make the store writable")


def test_export_to_an_unwritable_out(tmp_path: Path, immutable_store: Path) -> None:
    (tmp_path / "other").mkdir()  # an empty store
    result = run_cli("export", "--store", str(tmp_path / "other"), "--out", str(immutable_store))
    assert_error(result, FAILURE, f"cannot write {immutable_store}:", "make the export directory writable", "pass --out elsewhere")
    result = run_cli("export", "--store", str(tmp_path / "other"), "--out", "gopher://x/y")
    assert_error(result, USAGE, "--out 'gopher://x/y'")


# --- serve ------------------------------------------------------------------------------------


def test_serve_on_a_port_in_use_or_an_unknown_host(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--store", str(tmp_path / "corpus"))
    assert_error(result, FAILURE, f"cannot listen on 127.0.0.1:{port}: the port is in use", "--port N")
    result = run_cli("serve", "--host", "no-such-host.invalid", "--store", str(tmp_path / "corpus"))
    assert_error(result, USAGE, "--host 'no-such-host.invalid' cannot be resolved")


# --- show ------------------------------------------------------------------------------------


def _store_with_ids(root: Path, ids: list[str]) -> str:
    corpus = Corpus.open(str(root))
    for doc_id in ids:
        corpus.put(
            Document(
                id=doc_id,
                url=f"http://a.example/{doc_id}.html",
                final_url=f"http://a.example/{doc_id}.html",
                title=f"文件 {doc_id}",
                text="正文。",
                source_type="html",
                encoding="utf-8",
                content_sha256=doc_id * 4,
                raw_sha256=doc_id * 4,
                fetched_at="2024-01-01T00:00:00Z",
            )
        )
    corpus.write_index()
    return corpus.uri


def test_ambiguous_id_prefix_lists_candidates(tmp_path: Path) -> None:
    ids = ["ab12000000000000", "ab34000000000000", "cd56000000000000"]
    store = _store_with_ids(tmp_path / "corpus", ids)
    result = run_cli("show", "ab", "--store", store)
    assert_error(result, USAGE, "id prefix 'ab' is ambiguous", "ab12000000000000", "ab34000000000000", "give more characters")
    assert run_cli("show", "ab3", "--store", store).returncode == 0
    assert_error(run_cli("show", "ef", "--store", store), FAILURE, "no document 'ef'", "govcorpus ls")


# --- Redis -----------------------------------------------------------------------------------


def test_redis_url_mistakes(tmp_path: Path) -> None:
    config = write_config(tmp_path, GOOD_SOURCE.format(port=9))
    result = crawl(config, tmp_path / "corpus", "--redis", "localhost:6379")
    assert_error(result, USAGE, "is not a Redis URL", "redis://host:6379/0")
    result = crawl(config, tmp_path / "corpus", "--redis", f"redis://127.0.0.1:{free_port()}/0")
    assert_error(result, FAILURE, "cannot reach Redis", "GOVCORPUS_REDIS_URL")


# --- the last net ----------------------------------------------------------------------------


def test_an_unexpected_exception_is_one_line_and_a_traceback_only_with_v(capsys: pytest.CaptureFixture[str]) -> None:
    from govcorpus.errors import report

    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        failure = exc
    assert report(failure, verbose=False) == FAILURE
    err = capsys.readouterr().err
    assert err == "govcorpus: error: internal error: RuntimeError: boom; rerun with -v for the details, and please report it\n"
    assert report(failure, verbose=True) == FAILURE
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and err.endswith("RuntimeError: boom; the traceback is above, and please report it\n")


# --- S3 that checks credentials ---------------------------------------------------------------


S3_KEYS = {"accessKey": "govcorpus-test", "secretKey": "govcorpus-test-secret"}


@pytest.fixture(scope="module")
def s3_with_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A SeaweedFS whose S3 API accepts only S3_KEYS (the session's server accepts any)."""
    from seaweed import start_seaweedfs, stop_seaweedfs

    root = tmp_path_factory.mktemp("s3keys")
    identities = {"identities": [{"name": "admin", "credentials": [S3_KEYS], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
    (root / "s3.json").write_text(json.dumps(identities))
    server = start_seaweedfs(root / "data", [f"-s3.config={root / 's3.json'}"])
    try:
        yield {**server.env(), "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    finally:
        stop_seaweedfs(server)


@pytest.mark.parametrize("command", ["crawl", "fetch", "ls", "export"])
def test_wrong_s3_credentials(s3_with_keys: dict[str, str], tmp_path: Path, command: str) -> None:
    config = write_config(tmp_path, GOOD_SOURCE.format(port=9))
    target = {"crawl": ["--config", str(config)], "fetch": ["http://127.0.0.1:9/"], "ls": [], "export": []}
    result = run_cli(command, *target[command], "--store", "s3://corpus/gov", env=s3_with_keys)
    assert_error(result, FAILURE, "refused the credentials", "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
    right = run_cli("ls", "--store", "s3://corpus/gov", env={**s3_with_keys, "AWS_SECRET_ACCESS_KEY": S3_KEYS["secretKey"]})
    assert right.returncode == 0, right.stderr


@pytest.mark.parametrize("command", ["crawl", "fetch"])
def test_unreachable_s3_endpoint(tmp_path: Path, command: str) -> None:
    config = write_config(tmp_path, GOOD_SOURCE.format(port=9))
    target = {"crawl": ["--config", str(config)], "fetch": ["http://127.0.0.1:9/"]}
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "AWS_ACCESS_KEY_ID": "a",
        "AWS_SECRET_ACCESS_KEY": "b",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = run_cli(command, *target[command], "--store", "s3://corpus/gov", env=env)
    assert_error(result, FAILURE, "cannot reach S3 at", "AWS_ENDPOINT_URL")


def test_serve_with_wrong_s3_credentials_answers_json_503(s3_with_keys: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    command = [str(Path(sys.executable).parent / "govcorpus"), "serve", "--port", str(port), "--store", "s3://corpus/gov"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **s3_with_keys})
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            health = _first_answer(client, process, log)
            assert health.status_code == 503 and health.json()["status"] == "store_unavailable"
            for response in (
                client.get("/documents"),
                client.get("/documents/abc"),
                client.post("/fetch", json={"url": "http://example.gov.cn/report.html"}),
            ):
                assert response.status_code == 503, response.text
                body = response.json()
                assert body["reason"] == "store_unavailable" and "refused the credentials" in body["detail"]
    finally:
        process.terminate()
        process.wait(timeout=15)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text
    assert "govcorpus: warning: cannot use the store: S3 at" in text


def _first_answer(client: httpx.Client, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> httpx.Response:
    """GET /healthz once the service listens, whatever it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"govcorpus serve exited:\n{log.read_text(errors='replace')}")
        try:
            return client.get("/healthz")
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"govcorpus serve did not answer:\n{log.read_text(errors='replace')}")


@pytest.mark.parametrize("command", [["ls"], ["show", "0c6a623d"], ["runs"], ["export"], ["check"], ["check", "--repair"], ["reclean"]])
def test_reading_a_store_that_is_not_there_is_a_mistake_not_an_empty_store(tmp_path: Path, command: list[str]) -> None:
    mistyped = tmp_path / "corpsu"
    result = run_cli(*command, "--store", str(mistyped))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"govcorpus: error: --store '{mistyped}': there is no store there (check the path; a crawl, fetch or demo creates one)"
    ]
    assert not mistyped.exists()  # and nothing was created there


@pytest.mark.parametrize(("command", "usage"), [(["fetch", "http://127.0.0.2/a.html", "--bogus"], "usage: govcorpus fetch"),
                                                (["ls", "--jsn"], "usage: govcorpus ls")])
def test_an_unknown_option_is_refused_with_the_commands_own_usage(command: list[str], usage: str) -> None:
    result = run_cli(*command)
    assert result.returncode == USAGE and usage in result.stderr, result.stderr
    assert "unrecognized arguments: " + command[-1] in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("out", ["file", "file/export"])
def test_export_out_where_a_file_stands_names_out(tmp_path: Path, out: str) -> None:
    """The advice names the option that gave the path: --out, not --store; $GOVCORPUS_STORE for the environment's store."""
    (tmp_path / "file").write_text("x")
    (tmp_path / "store").mkdir()
    result = run_cli("export", "--store", str(tmp_path / "store"), "--out", str(tmp_path / out))
    lines = assert_error(result, FAILURE, str(tmp_path / out), "a file stands where the export needs a directory; pass --out elsewhere")
    assert len(lines) == 1 and "--store" not in result.stderr
    assert (tmp_path / "file").read_text() == "x"
    result = run_cli("fetch", "http://127.0.0.1:9/", env={"GOVCORPUS_STORE": str(tmp_path / "file")})
    assert_error(result, FAILURE, "a file stands where the store needs a directory; point $GOVCORPUS_STORE elsewhere")
