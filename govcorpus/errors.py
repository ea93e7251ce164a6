"""What the CLI says when a command cannot do its job: one line per problem, never a traceback.

`describe` turns an exception into (message, exit status): 2 for a usage error (a bad argument,
setting or config, found before anything ran), 1 for a run failure (the store, S3, Redis or the
file system refused). Known failures get their own words, naming the problem and what to do;
anything else is an internal error, reported in one line with a pointer to `-v`.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from crawler.config_schema import ConfigError
from govcorpus.overrides import SettingError
from storage.backends import StoreError

USAGE = 2
FAILURE = 1
INTERRUPTED = 130


class UsageError(Exception):
    """A mistake in the command line, found before anything ran (exit status 2)."""


class RunFailure(Exception):
    """The command ran and could not finish; the message says why and what to do (exit status 1)."""


CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed"}
)
DENIED_CODES = frozenset({"403", "AccessDenied", "Forbidden", "AllAccessDisabled"})


def s3_problem(exc: BaseException) -> str | None:
    """What a botocore error means to an operator, or None if `exc` is not one."""
    try:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
        )
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return None
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or "the default AWS endpoint"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in CREDENTIAL_CODES or code in DENIED_CODES or status == 403:
            return (
                f"S3 at {endpoint} refused the credentials ({code or status}): check AWS_ACCESS_KEY_ID/"
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) and that they may read and write the bucket"
            )
        return f"S3 at {endpoint} answered {code or status}: {error.get('Message') or exc}"
    if isinstance(exc, NoCredentialsError):
        return "no S3 credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
    if isinstance(exc, EndpointConnectionError):
        return f"cannot reach S3 at {endpoint} (retried): check AWS_ENDPOINT_URL and that the server is up"
    if isinstance(exc, BotoCoreError):
        return f"S3 at {endpoint} failed: {exc}: check AWS_ENDPOINT_URL and the credentials"
    return None


def store_problem(exc: StoreError) -> str:
    """A StoreError's message, in plainer words when an S3 error lies under it."""
    cause = exc.__cause__
    if isinstance(cause, OSError) and cause.errno is not None:
        return os_problem(cause)
    if cause is not None:
        plain = s3_problem(cause)
        if plain is not None:
            return f"cannot use the store: {plain}"
    return str(exc)


def os_problem(exc: OSError, option: str = "--store") -> str:
    """A file-system error as `cannot write PATH: reason`, with what to do for the usual ones.

    `option` names where the path came from — `--store`, `--out`, `$GOVCORPUS_STORE` — so the
    advice points at what the user typed.
    """
    path = exc.filename or "a file"
    reason = exc.strerror or str(exc)
    if option.startswith("$"):
        elsewhere = f"point {option} elsewhere"
    else:
        elsewhere = f"pass {option if option.startswith('--') else '--store'} elsewhere"
    what = "the export" if option == "--out" else "the store"
    if exc.errno in (errno.EPERM, errno.EACCES, errno.EROFS):
        writable = "the export directory" if option == "--out" else what
        return f"cannot write {path}: {reason}: make {writable} writable (permissions, chattr -i, a read-write mount) or {elsewhere}"
    if exc.errno == errno.ENOSPC:
        return f"cannot write {path}: the disk is full: free space or {elsewhere}"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"cannot use {path}: {reason}: a file stands where {what} needs a directory; {elsewhere}"
    return f"cannot use {path}: {reason}"


def redis_problem(exc: BaseException) -> str | None:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis is a dependency
        return None
    if isinstance(exc, RedisConnectionError):
        return f"cannot reach Redis ({exc}): check --redis / GOVCORPUS_REDIS_URL and that the server is up"
    if isinstance(exc, RedisError):
        return f"Redis failed: {exc}"
    return None


def describe(exc: BaseException) -> tuple[str, int] | None:
    """(one-line message, exit status) for a known kind of failure; None for an internal error."""
    if isinstance(exc, UsageError | ConfigError | SettingError):
        return str(exc), USAGE
    if isinstance(exc, RunFailure):
        return str(exc), FAILURE
    if isinstance(exc, StoreError):
        return store_problem(exc), FAILURE
    plain = s3_problem(exc) or redis_problem(exc)
    if plain is not None:
        return plain, FAILURE
    if isinstance(exc, OSError) and exc.errno is not None:
        return os_problem(exc), FAILURE
    return None


def report(exc: BaseException, verbose: bool, prog: str = "govcorpus") -> int:
    """Print what went wrong to stderr (a traceback only with -v) and return the exit status."""
    import sys
    import traceback

    if isinstance(exc, KeyboardInterrupt):
        print(f"{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED
    known = describe(exc)
    if verbose and known is None:
        traceback.print_exception(exc, file=sys.stderr)
    if known is not None:
        message, status = known
    else:
        hint = "the traceback is above" if verbose else "rerun with -v for the details"
        message = f"internal error: {type(exc).__name__}: {exc}; {hint}, and please report it"
        status = FAILURE
    for line in message.splitlines() or [""]:
        print(f"{prog}: error: {line}", file=sys.stderr)
    return status


def describe_for_http(exc: BaseException) -> dict[str, Any] | None:
    """{"status", "reason", "detail"} for a store/S3 failure met while answering a request."""
    if isinstance(exc, StoreError):
        return {"status": 503, "reason": "store_unavailable", "detail": store_problem(exc)}
    plain = s3_problem(exc)
    if plain is not None:
        return {"status": 503, "reason": "store_unavailable", "detail": plain}
    if isinstance(exc, OSError) and exc.errno is not None:
        return {"status": 503, "reason": "store_unavailable", "detail": os_problem(exc)}
    return None
