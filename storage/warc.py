"""The raw archive: every response a run fetches, as WARC request/response records in the store.

A run writes `warc/<run-id>-<n>.warc.gz` files (ISO 28500 WARC 1.1, one gzip member per record,
so any record can be read alone from its offset). Each file starts with a `warcinfo` record; each
fetched resource gets a `request` record and a `response` record (`WARC-Concurrent-To` links
them) whose `WARC-Payload-Digest` is the SHA-1 of the body in base32, as the standard says.
A document names the response records it was built from (`WarcRef`: file, offset, length), so
cleaning can be re-run offline (`govcorpus reclean`) and other pipelines (warcio, datatrove's
WarcReader) read the files as they are.

What is kept is what the crawl saw: Scrapy hands over bodies already de-chunked and decompressed,
so `Transfer-Encoding` and `Content-Encoding` are left out of the stored HTTP headers (and put
under `X-Govcorpus-Original-*`) and `Content-Length` is the stored body's length; a reader that
honoured the original headers would try to decompress the body a second time.

Object stores cannot append, so a run's records collect in an open file that becomes a store
object when `flush` is called (the ingest flushes it before any manifest line names what is in
it) or when it grows past `max_bytes`; the next records go to the next number.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from storage.imports import without_optional

# warcio imports fsspec when it is installed (it is, with datatrove), only to open the files its
# command-line tools are given, and fsspec brings asyncio: 6 MB more in every document worker,
# which makes WARC records (measured: 43.8 → 49.7 MB a worker; 45.8 MB without fsspec). warcio
# opens such files with `open` when fsspec is missing, and nothing here gives it a file name.
with without_optional("fsspec"):
    import warcio.utils  # noqa: F401  # the module that looks for fsspec, once
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners.document import Fetched
from storage.backends import ObjectStore

WARC_PREFIX = "warc/"
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
# Headers that describe a transfer Scrapy has already undone.
TRANSFER_HEADERS = ("transfer-encoding", "content-encoding", "content-length")
REQUESTED_URI = "WARC-Govcorpus-Requested-URI"  # the URL as asked, when redirects led elsewhere
SOFTWARE = "govcorpus"
_SEGMENT_RE = re.compile(r"-(\d{5,})\.warc\.gz$")


@dataclass(frozen=True)
class WarcRef:
    """Where one response record lies: store key of the WARC file, byte offset and length of its gzip member."""

    file: str
    offset: int
    length: int
    uri: str  # WARC-Target-URI: the URL the response came from
    role: str = "document"  # document | continuation | parent | frame

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WarcRef:
        return cls(**{key: data[key] for key in ("file", "offset", "length", "uri") if key in data}, role=data.get("role", "document"))


# zlib's default level: on the real pages of ../shared/realworld it compresses as well as warcio's 9
# (0.213 against 0.212 of the bytes) in 35 % less CPU (4.1 against 6.3 ms a 171 KB page).
GZIP_LEVEL = 6


class _GzipMember:
    """A file-like `write`/`flush` that gzips what it is given into `out`; `flush` ends the member (RFC 1952)."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> None:
        self.out.write(self.compressor.compress(data))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())


class _Writer(WARCWriter):
    """warcio's WARCWriter, each record still one gzip member, compressed at GZIP_LEVEL.

    warcio compresses at level 9 with no way to choose; this writer is made with gzip=False and
    hands warcio a compressing stream for each record instead (warcio flushes it at the record's
    end), so a record is compressed as it is written, never held whole uncompressed.
    """

    def _write_warc_record(self, out: Any, record: ArcWarcRecord) -> None:
        super()._write_warc_record(_GzipMember(out), record)


@dataclass(frozen=True)
class PreparedRecords:
    """The request and response records of one fetched resource, each a whole gzip member, not yet in a file.

    `prepare_records` makes them where the CPU is to spare (the document workers); `WarcArchive.append`
    only copies the bytes into the open file and notes the offset. Picklable.
    """

    uri: str  # WARC-Target-URI of both records
    role: str  # what the response was for the document (WarcRef.role)
    request: bytes
    response: bytes


# Records are made by writing them to a buffer of their own; the writer's own stream is never used.
_RECORD_MAKER = _Writer(io.BytesIO(), gzip=False, warc_version="WARC/1.1")


def _member(record: ArcWarcRecord) -> bytes:
    out = io.BytesIO()
    _RECORD_MAKER._write_warc_record(out, record)
    return out.getvalue()


def prepare_records(fetched: Fetched, role: str = "document") -> PreparedRecords:
    """The request and response records of `fetched` (WARC 1.1, `WARC-Concurrent-To` linking them), compressed.

    Depends on nothing but `fetched`: the records are the same whichever process makes them and
    whichever file they go to.
    """
    warc_headers = {"WARC-Date": _warc_date(fetched.fetched_at)}
    if fetched.url != fetched.final_url:
        warc_headers[REQUESTED_URI] = fetched.url
    response = _RECORD_MAKER.create_warc_record(
        fetched.final_url,
        "response",
        payload=io.BytesIO(fetched.body),
        length=len(fetched.body),
        http_headers=http_headers(fetched),
        warc_headers_dict=warc_headers,
    )
    request = _RECORD_MAKER.create_warc_record(
        fetched.final_url,
        "request",
        http_headers=request_headers(fetched.final_url),
        warc_headers_dict={
            "WARC-Date": warc_headers["WARC-Date"],
            "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
        },
    )
    return PreparedRecords(fetched.final_url, role, _member(request), _member(response))


def segment_key(run_id: str, number: int) -> str:
    """The store key of a run's `number`-th WARC file (numbers start at 1 and sort as text)."""
    return f"{WARC_PREFIX}{run_id}-{number:05d}.warc.gz"


def http_headers(fetched: Fetched) -> StatusAndHeaders:
    """The response's status line and headers as stored: transfer headers replaced (see module doc)."""
    try:
        phrase = HTTPStatus(fetched.status).phrase
    except ValueError:
        phrase = "Unknown"
    headers = [(name, value) for name, value in fetched.headers.items() if name not in TRANSFER_HEADERS]
    headers += [
        (f"X-Govcorpus-Original-{name.title()}", value)
        for name, value in fetched.headers.items()
        if name in TRANSFER_HEADERS[:2]
    ]
    headers.append(("Content-Length", str(len(fetched.body))))
    return StatusAndHeaders(f"{fetched.status} {phrase}", headers, protocol="HTTP/1.1")


def request_headers(url: str) -> StatusAndHeaders:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    return StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc)], protocol="HTTP/1.1", is_http_request=True)


class WarcArchive:
    """A run's WARC writer: `write` appends a request/response pair, `flush` stores the open file.

    Not thread-safe: the ingest's single store thread is its only caller. A resumed run starts
    after the highest file number it finds, so nothing already stored is overwritten.
    """

    def __init__(self, store: ObjectStore, run_id: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.store = store
        self.run_id = run_id
        self.max_bytes = max_bytes
        taken = [int(m.group(1)) for key in store.list(f"{WARC_PREFIX}{run_id}-") if (m := _SEGMENT_RE.search(key))]
        self.number = max(taken, default=0) + 1
        self._buffer: io.BytesIO | None = None
        self._writer: WARCWriter | None = None

    @property
    def key(self) -> str:
        """The store key the open file will have."""
        return segment_key(self.run_id, self.number)

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self._buffer = io.BytesIO()
            self._writer = _Writer(self._buffer, gzip=False, warc_version="WARC/1.1")
            info = {"software": SOFTWARE, "format": "WARC File Format 1.1", "isPartOf": self.run_id}
            self._writer.write_record(self._writer.create_warcinfo_record(self.key.rsplit("/", 1)[-1], info))
        return self._writer

    def write(self, fetched: Fetched, role: str = "document") -> WarcRef:
        """Append the request and response records of `fetched`; the reference names the response record."""
        return self.append(prepare_records(fetched, role))

    def append(self, records: PreparedRecords) -> WarcRef:
        """Append records `prepare_records` made (in a worker process, say); the reference names the response record."""
        self._open()
        assert self._buffer is not None
        self._buffer.write(records.request)
        offset = self._buffer.tell()
        self._buffer.write(records.response)
        ref = WarcRef(self.key, offset, len(records.response), records.uri, records.role)
        if self._buffer.tell() >= self.max_bytes:
            self.flush()
        return ref

    def flush(self) -> str | None:
        """Store the open file (if it holds records) and start the next; returns its key."""
        if self._buffer is None:
            return None
        key = self.key
        self.store.put(key, self._buffer.getvalue())
        self._buffer = None
        self._writer = None
        self.number += 1
        return key


def _warc_date(fetched_at: str) -> str:
    """WARC-Date wants W3C-ISO8601 with a Z (WARC 1.1 §5.4); fetched_at is ISO 8601 in UTC."""
    return fetched_at.replace("+00:00", "Z") if fetched_at else fetched_at


def fetched_from_record(record: ArcWarcRecord) -> Fetched:
    """A response record back as the `Fetched` it was written from."""
    status_line = record.http_headers.get_statuscode() if record.http_headers else "200"
    headers: dict[str, str] = {}
    for name, value in record.http_headers.headers if record.http_headers else []:
        lower = name.lower()
        if lower.startswith("x-govcorpus-original-"):
            continue
        headers[lower] = value
    final_url = record.rec_headers.get_header("WARC-Target-URI")
    return Fetched(
        url=record.rec_headers.get_header(REQUESTED_URI) or final_url,
        final_url=final_url,
        status=int(status_line),
        headers=headers,
        body=record.content_stream().read(),
        fetched_at=(record.rec_headers.get_header("WARC-Date") or "").replace("Z", "+00:00"),
    )


def read_response(store: ObjectStore, ref: WarcRef, data: bytes | None = None) -> Fetched:
    """The response a reference names. `data`: the WARC file's bytes, when the caller has them already.

    Raises KeyError when the file is missing and ValueError when the bytes at the offset are not
    the whole response record of `ref.uri` (`record_problem`: a damaged record is refused, never
    read as a shorter body).
    """
    blob = data if data is not None else store.get(ref.file)
    problem = record_problem(blob, ref)
    if problem is not None:
        raise ValueError(f"{ref.file}@{ref.offset}: {problem}")
    for record in ArchiveIterator(io.BytesIO(blob[ref.offset : ref.offset + ref.length])):
        if record.rec_type == "response":
            return fetched_from_record(record)
    raise ValueError(f"no response record at {ref.file}@{ref.offset}")


def record_problem(data: bytes, ref: WarcRef) -> str | None:
    """Why the response record `ref` names cannot be read back whole from `data` (its WARC file's bytes); None if it can.

    Checks what `read_response` takes on trust (warcio reads a damaged gzip member as a shorter
    body, saying so only on stderr): the byte range lies inside the file; it is one whole gzip
    member whose CRC-32 and length agree (RFC 1952); it holds a response record of `ref.uri`; its
    payload has the `WARC-Payload-Digest` the record names (ISO 28500, WARC 1.1 §5.9).
    """
    if not isinstance(ref.offset, int) or not isinstance(ref.length, int) or ref.offset < 0 or ref.length <= 0:
        return f"offset {ref.offset!r} and length {ref.length!r} are not a byte range"
    end = ref.offset + ref.length
    if end > len(data):
        return f"the file ends at byte {len(data)}, before the record's end at byte {end}"
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # a gzip member, trailer checked
    try:
        record_bytes = inflater.decompress(data[ref.offset : end])
    except zlib.error as exc:
        return f"the bytes at the offset are not a whole gzip member ({exc})"
    if not inflater.eof:
        return "the gzip member at the offset is cut short"
    try:
        for record in ArchiveIterator(io.BytesIO(record_bytes), check_digests="raise"):
            uri = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type != "response" or uri != ref.uri:
                return f"the record at the offset is a {record.rec_type} record of {uri}, not the response of {ref.uri}"
            record.raw_stream.read()  # the digest is compared when the payload has been read
            return None
    except (ArchiveLoadFailed, ValueError, EOFError) as exc:
        return f"the record at the offset cannot be read ({exc})"
    return "no WARC record at the offset"


def iter_responses(store: ObjectStore, run_id: str | None = None) -> Iterator[tuple[WarcRef, Fetched]]:
    """Every response record in the store's WARC files (or one run's), in file order."""
    prefix = f"{WARC_PREFIX}{run_id}-" if run_id else WARC_PREFIX
    for key in store.list(prefix):
        if not key.endswith(".warc.gz"):
            continue
        iterator = ArchiveIterator(io.BytesIO(store.get(key)))
        for record in iterator:
            if record.rec_type != "response":
                continue
            fetched = fetched_from_record(record)
            offset = iterator.get_record_offset()
            length = iterator.get_record_length()
            yield WarcRef(key, offset, length, fetched.final_url), fetched
