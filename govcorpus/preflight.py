"""Checks a command makes before it starts anything: the store URI, the store itself, Redis.

A mistake found here costs nothing to fix: no crawl has started, no run is open. The checks
raise `UsageError` for what is wrong as written (exit status 2) and let the store's and Redis's
own errors through for what the world refused (exit status 1, worded by govcorpus.errors).
"""

from __future__ import annotations

import errno
import os
import re
import socket
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from govcorpus.errors import RunFailure, UsageError, os_problem
from storage.backends import LocalStore, ObjectStore, StoreError, open_store

STORE_FORMS = "a path, file:///path or s3://bucket/prefix"
# S3 bucket naming rules (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html),
# which MinIO and SeaweedFS enforce too.
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def check_store_uri(uri: str, what: str = "--store") -> None:
    """UsageError unless `uri` has a form a store can be opened from."""
    if not uri.strip():
        raise UsageError(f"{what} is empty: give {STORE_FORMS}")
    try:
        parsed = urlparse(uri)
    except ValueError as exc:
        raise UsageError(f"{what} {uri!r} is not a valid URI ({exc}): give {STORE_FORMS}") from None
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise UsageError(f"{what} {uri!r} names no bucket: give s3://bucket/prefix")
        if not BUCKET_NAME.match(parsed.netloc) or ".." in parsed.netloc:
            raise UsageError(
                f"{what} {uri!r}: {parsed.netloc!r} is not a valid S3 bucket name: "
                "3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
            )
        return
    if parsed.scheme in ("", "file") or len(parsed.scheme) == 1:  # len 1: a Windows drive letter
        return
    raise UsageError(f"{what} {uri!r}: {parsed.scheme}: stores are not supported; give {STORE_FORMS}")


def check_store_exists(uri: str, what: str = "--store") -> None:
    """UsageError if `uri` is a local store that does not exist: reading it would create it, empty.

    A mistyped path (`ls --store ./corpsu`) would otherwise list 0 documents and succeed. An S3
    prefix has no such test (a prefix exists once something is written under it).
    """
    check_store_uri(uri, what)
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        return
    path = Path(unquote(parsed.path) if parsed.scheme == "file" else uri).expanduser()
    found = path
    while not found.exists() and found != found.parent:
        found = found.parent
    # Under a regular file the store's own error says more (Not a directory, pass --store elsewhere).
    if found != path and found.is_dir():
        raise UsageError(f"{what} {uri!r}: there is no store there (check the path; a crawl, fetch or demo creates one)")


def open_writable(uri: str, what: str = "--store") -> ObjectStore:
    """The store at `uri`, after checking that a new object can be written there.

    On a local store a temporary file is created and removed in its directory (being root does not
    get past an immutable or read-only directory, so permission bits alone would not tell). On S3
    opening the store has asked for the bucket already, which fails on wrong credentials.
    """
    check_store_uri(uri, what)
    try:
        store = open_store(uri)
        if isinstance(store, LocalStore):
            _probe_directory(store.root)
    except (StoreError, OSError) as exc:
        # Worded naming `what` (--out, $GOVCORPUS_STORE …), not always --store.
        cause = exc.__cause__ if isinstance(exc, StoreError) else exc
        if isinstance(cause, OSError) and cause.errno is not None:
            raise RunFailure(os_problem(cause, what)) from None
        raise
    return store


def _probe_directory(root: Path) -> None:
    try:
        fd, name = tempfile.mkstemp(dir=root, prefix=".tmp-probe-")
    except OSError as exc:  # worded by govcorpus.errors, naming the directory rather than the probe
        raise OSError(exc.errno, exc.strerror, str(root)) from None
    os.close(fd)
    os.unlink(name)


def check_redis(url: str) -> None:
    """UsageError for a URL that is not redis://, rediss:// or unix://; RunFailure if no server answers."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--redis {url!r} is not a Redis URL: give redis://host:6379/0")
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        client.ping()
        client.close()
    except ValueError as exc:
        raise UsageError(f"--redis {url!r} is not a valid Redis URL ({exc}): give redis://host:6379/0") from None
    except redis.RedisError as exc:
        raise RunFailure(f"cannot reach Redis at {url} ({exc}): check --redis / GOVCORPUS_REDIS_URL and that the server is up") from None


def check_listen(host: str, port: int) -> None:
    """UsageError if `host` is no address of this machine's resolver; RunFailure if host:port is taken.

    Binding once here (with SO_REUSEADDR, as the server will) turns uvicorn's own
    "error while attempting to bind" into one line before the service starts.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(
            f"--host {host!r} cannot be resolved ({exc.strerror}): give an address of this machine, e.g. 127.0.0.1 or 0.0.0.0"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise RunFailure(f"cannot listen on {host}:{port}: the port is in use; pass --port N or stop the other server") from None
            raise RunFailure(f"cannot listen on {host}:{port}: {exc.strerror}; pass --host with an address of this machine") from None
