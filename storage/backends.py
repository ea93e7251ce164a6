"""Object stores behind one small protocol, chosen by URI: a local folder or S3."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse


class StoreError(Exception):
    """The store cannot be opened or used; the message says what to do."""


class ObjectStore(Protocol):
    """Keys are '/'-separated relative paths; every backend stores the same keys."""

    uri: str

    def put(self, key: str, data: bytes) -> None:
        """Write `data` at `key` atomically: readers see the old object or the new one.

        Visible at once; durable when `sync` or a later `delete` returns (or at once, if the
        backend has nothing to defer).
        """

    def get(self, key: str) -> bytes:
        """Return the object at `key`; KeyError if there is none."""

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with `prefix`, sorted."""

    def delete(self, key: str) -> None:
        """Remove `key`; no error if it is already gone. Every earlier put is durable first."""

    def sync(self) -> None:
        """Make every put so far durable: call it before writing a record that names them."""


def _check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"invalid store key: {key!r}")
    return key


class LocalStore:
    """A directory on the local file system.

    A put writes a temporary file and renames it into place; fsyncing it and its directory happens
    on background threads, where the file system folds concurrent fsyncs into few journal commits
    (one fsync after another on the writing thread was most of a crawl's storage time). `sync` and
    `delete` wait for them, so what a manifest line names is durable before the line is written.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.uri = str(self.root)
        self._pending: list[Future[None]] = []
        self._lock = threading.Lock()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create store directory {self.root}: {exc.strerror}") from exc

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        replacing = path.exists()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if replacing:
                    # Renamed over the old object before its data is on disk, a power cut could
                    # leave neither version; a new key at worst loses an object nothing names yet.
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        future = _fsync_pool().submit(_make_durable, None if replacing else path, path.parent)
        with self._lock:
            if len(self._pending) >= 256:  # keep failures for sync to report; forget what succeeded
                self._pending = [f for f in self._pending if not f.done() or f.exception() is not None]
            self._pending.append(future)

    def sync(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        failures = [exc for exc in (future.exception() for future in pending) if exc is not None]
        if failures:
            raise StoreError(f"writes under {self.root} could not be made durable: {failures[0]}") from failures[0]

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        base = self.root
        keys = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel_dir = Path(dirpath).relative_to(base).as_posix()
            for name in filenames:
                if name.startswith(".tmp-"):
                    continue
                key = name if rel_dir == "." else f"{rel_dir}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def delete(self, key: str) -> None:
        self.sync()  # e.g. manifest parts are deleted only once the joined manifest is durable
        self._path(key).unlink(missing_ok=True)


@cache
def _fsync_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(4, thread_name_prefix="govcorpus-fsync")


def _make_durable(path: Path | None, directory: Path) -> None:
    if path is not None:
        _fsync(path)
    _fsync(directory)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Store:
    """An S3 bucket and prefix; boto3 finds endpoint and credentials the standard way."""

    def __init__(self, bucket: str, prefix: str = "") -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.uri = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        # Standard retry mode backs off on throttling and 5xx, which rides out short outages.
        config = Config(retries={"mode": "standard", "max_attempts": 8})
        self._client = boto3.session.Session().client("s3", config=config)
        self._ensure_bucket()

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in ("404", "NoSuchBucket", "NotFound"):
                raise StoreError(f"cannot use bucket {self.bucket!r}: {exc}") from exc
            try:
                self._client.create_bucket(Bucket=self.bucket)
            except ClientError as create_exc:
                if create_exc.response.get("Error", {}).get("Code") == "BucketAlreadyOwnedByYou":
                    return  # another process using the same store (a second worker) created it first
                raise StoreError(
                    f"bucket {self.bucket!r} does not exist and cannot be created: {create_exc}"
                ) from create_exc
        except BotoCoreError as exc:
            raise StoreError(
                f"cannot reach S3 for {self.uri}: {exc}. Check AWS_ENDPOINT_URL, "
                "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."
            ) from exc

    def _key(self, key: str) -> str:
        _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(key) from None
            raise
        return response["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def list(self, prefix: str = "") -> Iterator[str]:
        full_prefix = self._key(prefix) if prefix else (f"{self.prefix}/" if self.prefix else "")
        strip = len(self.prefix) + 1 if self.prefix else 0
        paginator = self._client.get_paginator("list_objects_v2")
        keys = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
            keys.extend(item["Key"][strip:] for item in page.get("Contents", []))
        return iter(sorted(keys))

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def sync(self) -> None:
        """Nothing to wait for: S3 acknowledges a PUT once the object is stored."""


DEFAULT_STORE = "./corpus"


def store_uri_from_env(explicit: str | None = None) -> str:
    """The store URI: an explicit value, else GOVCORPUS_STORE, else ./corpus."""
    return explicit or os.environ.get("GOVCORPUS_STORE") or DEFAULT_STORE


def open_store(uri: str) -> ObjectStore:
    """Open `./path`, `/path`, `file:///path` or `s3://bucket/prefix`."""
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise StoreError(f"S3 store URI needs a bucket: {uri!r} (use s3://bucket/prefix)")
        return S3Store(parsed.netloc, parsed.path)
    if parsed.scheme == "file":
        return LocalStore(Path(unquote(parsed.path)))
    if parsed.scheme == "" or len(parsed.scheme) == 1:  # len 1: a Windows drive letter
        return LocalStore(Path(uri).expanduser())
    raise StoreError(f"unsupported store URI {uri!r}: use a path, file://…, or s3://bucket/prefix")
