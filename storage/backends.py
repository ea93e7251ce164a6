"""Object stores behind one small protocol, chosen by URI: a local folder or S3."""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import os
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypedDict, Unpack
from urllib.parse import unquote, urlparse


class StoreError(Exception):
    """The store cannot be opened or used; the message says what to do."""


class StoreDamaged(StoreError):
    """A derived part of the store (index, dedup index, manifest parts) is inconsistent or unreadable."""

    def __init__(self, uri: str, what: str, detail: str) -> None:
        super().__init__(f"{what} of {uri} is damaged ({detail}): run `govcorpus check --repair --store {uri}`")
        self.what = what
        self.detail = detail


# Stores whose writer must not write right now (storage.lease: a lease that may have expired).
# Keyed by store URI; the guard raises StoreError or returns once the lease is confirmed.
_WRITE_GUARDS: dict[str, Callable[[], None]] = {}


def _process_umask() -> int:
    # os.umask can only be read by setting it; read once, at import, before threads write files.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Objects get the mode a plain open() would give them (0666 less the umask): tempfile.mkstemp makes
# 0600 files, which other users and services of the machine could then not read.
_FILE_MODE = 0o666 & ~_process_umask()


def set_write_guard(uri: str, guard: Callable[[], None] | None) -> None:
    """Call `guard` before every put and delete on stores at `uri` in this process (None removes it)."""
    if guard is None:
        _WRITE_GUARDS.pop(uri, None)
    else:
        _WRITE_GUARDS[uri] = guard


def _guard(uri: str) -> None:
    guard = _WRITE_GUARDS.get(uri)
    if guard is not None:
        guard()


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

    def prune(self, prefix: str) -> None:
        """Remove what the backend keeps for a folder `prefix` ('a/b/') once no key is under it.

        A local store's empty directory; S3 keeps nothing (a prefix is only part of keys). Never
        removes an object: a folder that is not empty is left as it is.
        """

    # Conditional operations (for the store's lease, storage.lease): a version is an opaque token
    # that changes whenever the object does (the ETag on S3, a content hash on a local store).

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        """(data, version) of `key`; KeyError if there is none."""

    def put_new(self, key: str, data: bytes) -> str | None:
        """Create `key` only if it does not exist, atomically; its version, or None if it existed."""

    def put_if(self, key: str, data: bytes, version: str) -> str | None:
        """Replace `key` only if its version is still `version`; the new version, or None if it changed or is gone."""

    def delete_if(self, key: str, version: str) -> bool:
        """Delete `key` only if its version is still `version`; whether it was deleted."""


def _check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"invalid store key: {key!r}")
    return key


class LocalStore:
    """A directory on the local file system.

    A put writes a temporary file and renames it into place; fsyncing it and its directory happens
    in batches on a background thread (`_Durability`: one fsync after another on the writing
    thread was most of a crawl's storage time). `sync` and `delete` wait for them, so what a
    manifest line names is durable before the line is written.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.uri = str(self.root)
        self._durability = _Durability()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create store directory {self.root}: {exc.strerror}") from exc

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes) -> None:
        _guard(self.uri)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        replacing = path.exists()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            os.fchmod(fd, _FILE_MODE)
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
        self._durability.add(None if replacing else path, path.parent)

    def sync(self) -> None:
        failure = self._durability.wait()
        if failure is not None:
            raise StoreError(f"writes under {self.root} could not be made durable: {failure}") from failure

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
        # Walk only the folder the prefix lies in: listing documents/ must not visit warc/ and history/.
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self._path(folder) if folder else base
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel_dir = Path(dirpath).relative_to(base).as_posix()
            for name in filenames:
                if name.startswith("."):  # temporary files of puts, the lease's mutex
                    continue
                key = name if rel_dir == "." else f"{rel_dir}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def delete(self, key: str) -> None:
        _guard(self.uri)
        self.sync()  # e.g. manifest parts are deleted only once the joined manifest is durable
        self._path(key).unlink(missing_ok=True)

    def prune(self, prefix: str) -> None:
        folder = prefix.strip("/")
        if not folder:
            return
        path = self._path(folder)
        with suppress(OSError):
            path.rmdir()  # only if empty: ENOTEMPTY leaves it (and anything written meanwhile) alone
            _fsync(path.parent)

    # Conditional operations. A local file system has no compare-and-swap on a file, so they run
    # under an flock(2) on a hidden mutex file beside the key: held for a few system calls, and
    # released by the kernel if the process dies. The version is the content's SHA-256.

    def _mutex(self, key: str) -> int:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.parent / f".{path.name}.mutex", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        data = self.get(key)
        return data, _content_version(data)

    def put_new(self, key: str, data: bytes) -> str | None:
        fd = self._mutex(key)
        try:
            if self._path(key).exists():
                return None
            self._write_durably(key, data)
            return _content_version(data)
        finally:
            os.close(fd)  # releases the flock

    def put_if(self, key: str, data: bytes, version: str) -> str | None:
        fd = self._mutex(key)
        try:
            try:
                current = self._path(key).read_bytes()
            except FileNotFoundError:
                return None
            if _content_version(current) != version:
                return None
            self._write_durably(key, data)
            return _content_version(data)
        finally:
            os.close(fd)

    def delete_if(self, key: str, version: str) -> bool:
        fd = self._mutex(key)
        try:
            path = self._path(key)
            try:
                if _content_version(path.read_bytes()) != version:
                    return False
            except FileNotFoundError:
                return False
            path.unlink()
            _fsync(path.parent)
            return True
        finally:
            os.close(fd)

    def _write_durably(self, key: str, data: bytes) -> None:
        """Write, fsync and rename into place, fsyncing the directory, all before returning (no write guard)."""
        path = self._path(key)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            os.fchmod(fd, _FILE_MODE)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync(path.parent)


def _content_version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@cache
def _fsync_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(4, thread_name_prefix="govcorpus-fsync")


BATCH_FILES = 64  # files queued before a batch of fsyncs starts without a sync() asking for it


class _Durability:
    """Makes a store's renamed files durable (fsync of the file, then of its folder) on a background thread.

    A batch starts once BATCH_FILES files are queued (or at `wait`) and takes everything queued,
    files that arrive meanwhile go to the next: a put costs a list append, not a thread hand-off
    (one per put was 8 % of a crawl's store thread), and a folder is fsynced once per batch
    however many files were renamed into it. `wait` returns once everything queued before it was
    fsynced (later puts do not hold it up), with the first failure since the last `wait`, if any.
    """

    def __init__(self) -> None:
        _UNSYNCED.add(self)
        self._changed = threading.Condition()
        self._queued: list[tuple[Path | None, Path]] = []
        self._added = 0  # files queued so far
        self._finished = 0  # files whose batch ended (queued in order, batched in order)
        self._running = False
        self._failure: BaseException | None = None

    def add(self, path: Path | None, folder: Path) -> None:
        """Queue `path` (None: only its folder, for a file replaced after its own fsync) and `folder`."""
        with self._changed:
            self._queued.append((path, folder))
            self._added += 1
            start = not self._running and len(self._queued) >= BATCH_FILES
            self._running = self._running or start
        if start:
            self._start()

    def wait(self) -> BaseException | None:
        with self._changed:
            start = not self._running and bool(self._queued)
            self._running = self._running or start
        if start:
            self._start()
        with self._changed:
            target = self._added
            self._changed.wait_for(lambda: self._finished >= target)
            failure, self._failure = self._failure, None
        return failure

    def _start(self) -> None:
        try:
            _fsync_pool().submit(self._run)
        except RuntimeError:  # the interpreter is shutting down: no new threads
            self._run()

    def _run(self) -> None:
        while True:
            with self._changed:
                batch, self._queued = self._queued, []
                if not batch:
                    self._running = False
                    return
            failure: BaseException | None = None
            try:
                for path in dict.fromkeys(path for path, _ in batch if path is not None):
                    _fsync(path)
                for folder in dict.fromkeys(folder for _, folder in batch):
                    _fsync(folder)
            except BaseException as exc:  # reported by the next wait(); the thread goes on with the next batch
                failure = exc
            with self._changed:
                self._failure = self._failure or failure
                self._finished += len(batch)
                self._changed.notify_all()


# Every store's queue, so that files no sync() asked for are made durable before the process exits.
_UNSYNCED: weakref.WeakSet[_Durability] = weakref.WeakSet()


@atexit.register
def _make_all_durable() -> None:
    for durability in list(_UNSYNCED):
        durability.wait()  # best effort: nobody is left to tell of a failure


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _PutCondition(TypedDict, total=False):
    """The precondition of a conditional PutObject: IfNoneMatch="*" (create only) or IfMatch=<ETag>."""

    IfMatch: str
    IfNoneMatch: str


class S3Store:
    """An S3 bucket and prefix; boto3 finds endpoint and credentials the standard way."""

    def __init__(self, bucket: str, prefix: str = "") -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.uri = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        # Standard retry mode backs off on throttling and 5xx, which rides out short outages;
        # AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, boto3's own variables, replace these defaults.
        retries: Any = {
            "mode": os.environ.get("AWS_RETRY_MODE") or "standard",
            "max_attempts": _int_env("AWS_MAX_ATTEMPTS", 8),
        }
        config = Config(retries=retries)
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
        _guard(self.uri)
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
        keys: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
            keys.extend(item["Key"][strip:] for item in page.get("Contents", []))
        return iter(sorted(keys))

    def delete(self, key: str) -> None:
        _guard(self.uri)
        self._client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def sync(self) -> None:
        """Nothing to wait for: S3 acknowledges a PUT once the object is stored."""

    def prune(self, prefix: str) -> None:
        """Nothing to remove: an S3 prefix exists only in the keys under it."""

    # Conditional operations: S3's conditional writes (If-None-Match: * and If-Match on PutObject,
    # If-Match on DeleteObject; AWS since 2024, SeaweedFS 4.x). A server that ignores the headers
    # would make every create succeed: storage.lease checks what it reads back.

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        from botocore.exceptions import ClientError

        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(key) from None
            raise
        return response["Body"].read(), response["ETag"]

    def put_new(self, key: str, data: bytes) -> str | None:
        if self.uri not in _CONDITIONAL_WRITES_CHECKED:
            self._check_conditional_writes(key)
        return self._conditional_put(key, data, IfNoneMatch="*")

    def _check_conditional_writes(self, key: str) -> None:
        """Refuse a server that ignores If-None-Match: with it, two writers could both create the lease."""
        probe = f"{key}.probe-{os.urandom(6).hex()}"
        try:
            first = self._conditional_put(probe, b"1", IfNoneMatch="*")
            second = self._conditional_put(probe, b"2", IfNoneMatch="*")
        finally:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(probe))
        if first is None or second is not None:
            raise StoreError(
                f"the S3 server of {self.uri} ignores conditional writes (If-None-Match: *), so govcorpus cannot "
                "keep a second writer out of the store; use a server that supports them (AWS S3, SeaweedFS, MinIO)"
            )
        _CONDITIONAL_WRITES_CHECKED.add(self.uri)

    def put_if(self, key: str, data: bytes, version: str) -> str | None:
        return self._conditional_put(key, data, IfMatch=version)

    def _conditional_put(self, key: str, data: bytes, **condition: Unpack[_PutCondition]) -> str | None:
        from botocore.exceptions import ClientError

        try:
            response = self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **condition)
        except ClientError as exc:
            if _precondition_failed(exc):
                return None
            raise
        return str(response["ETag"])

    def delete_if(self, key: str, version: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key), IfMatch=version)
        except ClientError as exc:
            if _precondition_failed(exc):
                return False
            raise
        return True


_CONDITIONAL_WRITES_CHECKED: set[str] = set()  # S3 store URIs whose server honours If-None-Match


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise StoreError(f"{name} must be a whole number, got {value!r}") from None


def _precondition_failed(exc: Exception) -> bool:
    """412, or 409 ConditionalRequestConflict (S3: a concurrent conditional write won)."""
    response = getattr(exc, "response", {})
    code = response.get("Error", {}).get("Code")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey") or status in (412, 409)


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
