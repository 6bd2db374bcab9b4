"""Content codings undone as Scrapy's HttpCompressionMiddleware undoes them, in one place.

Two readers of a stored body need this. The capture asks whether a body would grow past
``DOWNLOAD_MAXSIZE`` once decoded (``decoded_size_exceeds``): the WARC is written at
``response_downloaded``, before the middleware decodes the body and drops a gzip bomb, and a
bomb it drops must not be archived as a 200 (every reader that decodes it is bombed again).
Re-extraction and ``scrapy warcshell`` decode a stored payload into the body the spider's
callback saw (``decode``), and the maintenance check reads a small page's text.

Each coding is undone in chunks, so the answer to "too large?" comes as soon as the limit is
passed: a 4 MB body that would inflate to 4 GB costs at most the limit in memory and a moment
of CPU. Which codings are undone, in which order, and what a broken or cut body gives (as
much as decodes, when anything does) are the middleware's rules;
``tests/test_compression.py`` holds ``decode`` to what the installed Scrapy's middleware
gives, on every odd body it knows.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from gzip import GzipFile

_CHUNK = 64 * 1024
# Deflate's largest possible expansion (a stream of the longest matches).
_DEFLATE_MAX_RATIO = 1032


class DecodedTooLarge(ValueError):
    """Undoing a coding gave more than the limit (the middleware's IgnoreRequest)."""

    def __init__(self, decoded_size: int, max_size: int) -> None:
        super().__init__(
            f"{decoded_size} B decompressed so far exceeded the maximum ({max_size} B)"
        )
        self.decoded_size = decoded_size
        self.max_size = max_size


def _gzip(data: bytes) -> Iterator[bytes]:
    """Every gzip member; a broken or cut tail ends the body once something came out."""
    reader = GzipFile(fileobj=io.BytesIO(data))
    produced = False
    while True:
        try:
            chunk = reader.read1(_CHUNK)
        except (OSError, EOFError, struct.error):
            if produced:
                return
            raise
        if not chunk:
            return
        produced = True
        yield chunk


def _deflate(data: bytes) -> Iterator[bytes]:
    """One zlib stream, or raw deflate when the first bytes are no zlib header."""
    decomp = zlib.decompressobj()
    try:
        first = decomp.decompress(data, _CHUNK)
    except zlib.error:
        decomp = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
        first = decomp.decompress(data, _CHUNK)
    yield first
    while decomp.unconsumed_tail and not decomp.eof:
        yield decomp.decompress(decomp.unconsumed_tail, _CHUNK)


def _brotli(data: bytes) -> Iterator[bytes]:
    import brotli

    decomp = brotli.Decompressor()
    yield decomp.process(data, output_buffer_limit=_CHUNK)
    while not decomp.is_finished():
        chunk = decomp.process(b"", output_buffer_limit=_CHUNK)
        if not chunk:
            return
        yield chunk


def _zstd(data: bytes) -> Iterator[bytes]:
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,no-redef]
    reader = zstd.ZstdFile(io.BytesIO(data))
    while True:
        try:
            chunk = reader.read(_CHUNK)
        except EOFError:  # a cut stream: what came out of it
            return
        if not chunk:
            return
        yield chunk


_DECODERS: dict[bytes, Callable[[bytes], Iterator[bytes]]] = {
    b"gzip": _gzip,
    b"x-gzip": _gzip,
    b"deflate": _deflate,
    b"br": _brotli,
    b"zstd": _zstd,
}


def split_codings(content_encoding: Iterable[bytes]) -> tuple[list[bytes], list[bytes]]:
    """(codings undone, the last applied first; codings left as they are) of the
    Content-Encoding header values: undoing stops at the first coding Scrapy does not know."""
    kept = [c.strip().lower() for value in content_encoding for c in value.split(b",")]
    undone: list[bytes] = []
    while kept and kept[-1] in _DECODERS:
        undone.append(kept.pop())
    return undone, kept


def _undo(data: bytes, coding: bytes, max_size: int, keep: bool = True) -> bytes:
    """``data`` with ``coding`` undone; DecodedTooLarge past ``max_size`` (0: no limit)."""
    size = 0
    out: list[bytes] = []
    for chunk in _DECODERS[coding](data):
        size += len(chunk)
        if max_size and size > max_size:
            raise DecodedTooLarge(size, max_size)
        if keep:
            out.append(chunk)
    return b"".join(out)


def decode(
    body: bytes, content_encoding: Iterable[bytes], max_size: int
) -> tuple[bytes, list[bytes]]:
    """The body as the middleware passes it on, and the codings it leaves in the header.

    Raises DecodedTooLarge past ``max_size`` (0: no limit), and whatever a decoder raises on
    a body that does not decode at all (the middleware fails the response there too).
    """
    undone, kept = split_codings(content_encoding)
    for coding in undone:
        body = _undo(body, coding, max_size)
    return body, kept


def decoded_size_exceeds(body: bytes, content_encoding: bytes | None, limit: int) -> bool:
    """True when decoding the body as the middleware does (``content_encoding``: the header's
    values joined by commas) yields more than ``limit`` bytes. 0 means no limit, as in
    DOWNLOAD_MAXSIZE."""
    if not limit or not content_encoding:
        return False
    undone, _kept = split_codings([content_encoding])
    deflated = undone in ([b"gzip"], [b"x-gzip"], [b"deflate"])
    if deflated and len(body) * _DEFLATE_MAX_RATIO <= limit:
        return False  # deflate cannot grow past this: most pages need no look at all
    data = body
    for n, coding in enumerate(undone):
        try:
            data = _undo(data, coding, limit, keep=n < len(undone) - 1)
        except DecodedTooLarge:
            return True
        except Exception:  # noqa: BLE001 - a broken body is archived as it came
            return False
    return False
