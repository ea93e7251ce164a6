"""The worker side of crawler/procpool.py: read a pickled job from a socket, run it, write back its result.

Frames on the socket are an 8-byte big-endian length and that many bytes of pickle. A job is a
picklable callable without arguments; its answer is `("ok", result)` or `("err", exception,
formatted traceback)`. The worker ends when the socket closes (the pool shut down, or the crawl
process is gone). Imports nothing of Scrapy: a worker holds only what its jobs load.
"""

from __future__ import annotations

import pickle
import socket
import struct
import traceback
from collections.abc import Callable
from typing import Any

HEADER = struct.Struct("!Q")


def read_frame(sock: socket.socket) -> bytes | None:
    """The next frame's bytes, or None when the peer closed the socket between frames.

    Raises EOFError when it closes inside a frame.
    """
    header = _read_exactly(sock, HEADER.size, allow_eof=True)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    body = _read_exactly(sock, size, allow_eof=False)
    assert body is not None
    return body


def write_frame(sock: socket.socket, data: bytes) -> None:
    # Header and body in one send: sent apart, the header alone wakes the crawl's reactor.
    sock.sendall(HEADER.pack(len(data)) + data)


def _read_exactly(sock: socket.socket, size: int, *, allow_eof: bool) -> bytes | None:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            if got == 0 and allow_eof:
                return None
            raise EOFError(f"socket closed {got} bytes into a {size}-byte read")
        got += n
    return bytes(buffer)


def answer(frame: bytes) -> bytes:
    """The pickled answer to the pickled job `frame`: its result, or the exception it (or unpickling it) raised
    with the traceback as text."""
    try:
        job: Callable[[], Any] = pickle.loads(frame)
        reply: tuple[Any, ...] = ("ok", job())
    except BaseException as exc:
        reply = ("err", exc, traceback.format_exc())
    try:
        return pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # a result or exception that does not pickle still gets an answer
        text = reply[2] if reply[0] == "err" else ""
        return pickle.dumps(("err", RuntimeError(f"the job's {(reply[0] == 'ok' and 'result') or 'exception'} "
                                                 f"could not be sent back: {exc!r}"), text), pickle.HIGHEST_PROTOCOL)


def serve(fd: int) -> None:
    """Run jobs read from the socket `fd` until it closes. The first frame is (initializer, initargs)."""
    sock = socket.socket(fileno=fd)
    try:
        first = read_frame(sock)
        if first is None:
            return
        initializer, initargs = pickle.loads(first)
        if initializer is not None:
            initializer(*initargs)
        while (frame := read_frame(sock)) is not None:
            write_frame(sock, answer(frame))
    except (EOFError, ConnectionError):
        pass  # the pool is gone: nobody is left to answer
    finally:
        sock.close()
