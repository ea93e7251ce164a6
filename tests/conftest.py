"""Shared fixtures: a real SeaweedFS S3 server and real fixture sites, all on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from seaweed import SeaweedS3, start_seaweedfs, stop_seaweedfs
from support import SHARED

pytest_plugins = ["redis_server"]


def pytest_configure(config: pytest.Config) -> None:
    if not (SHARED / "gold").is_dir():
        raise pytest.UsageError(f"{SHARED} is missing: the tests read seeds, gold and real-world pages from ../shared beside the checkout")


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """The session's S3 server; its endpoint and test credentials are put in the environment."""
    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    saved = {key: os.environ.get(key) for key in server.env()}
    os.environ.update(server.env())
    try:
        yield server
    finally:
        stop_seaweedfs(server)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def s3_uri(seaweedfs: SeaweedS3) -> str:
    """A fresh bucket prefix on the real S3 server for one test."""
    return f"s3://govcorpus-test/{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["local", "s3"])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every storage test runs once on a local directory and once on SeaweedFS."""
    if request.param == "local":
        return str(tmp_path / "corpus")
    return request.getfixturevalue("s3_uri")
