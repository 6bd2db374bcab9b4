"""Would a content-encoded body grow past a limit once decoded? Found out without keeping it.

The WARC is written at ``response_downloaded``, before Scrapy's HttpCompressionMiddleware
decodes the body and drops a gzip bomb. A bomb the middleware drops must not be archived
as a 200 (every reader that decodes it is bombed again), so the capture asks here first:
each coding is undone in small chunks and the answer comes as soon as the limit is passed,
so a 4 MB body that would inflate to 4 GB costs at most the limit in memory and a moment of
CPU. A body that does not decode at all is not this module's business (False).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

_CHUNK = 256 * 1024
# Deflate's largest possible expansion (a stream of the longest matches).
_DEFLATE_MAX_RATIO = 1032


class _TooLarge(Exception):
    pass


def _zlib_chunks(data: bytes, wbits: int) -> Iterator[bytes]:
    """Every gzip member (wbits 16+) or the one zlib/raw deflate stream, chunk by chunk."""
    while data:
        decomp = zlib.decompressobj(wbits)
        chunk = decomp.decompress(data, _CHUNK)
        yield chunk
        while decomp.unconsumed_tail and not decomp.eof:
            yield decomp.decompress(decomp.unconsumed_tail, _CHUNK)
        if wbits < 16 or not decomp.eof:
            return
        data = decomp.unused_data  # a further gzip member, as Scrapy's gunzip reads it


def _gzip(data: bytes) -> Iterator[bytes]:
    return _zlib_chunks(data, 16 + zlib.MAX_WBITS)


def _deflate(data: bytes) -> Iterator[bytes]:
    try:
        yield from _zlib_chunks(data, zlib.MAX_WBITS)
    except zlib.error:
        yield from _zlib_chunks(data, -zlib.MAX_WBITS)  # raw deflate, as Scrapy also accepts


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
    import io

    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,no-redef]
    reader = zstd.ZstdFile(io.BytesIO(data))
    while chunk := reader.read(_CHUNK):
        yield chunk


_DECODERS: dict[bytes, Callable[[bytes], Iterator[bytes]]] = {
    b"gzip": _gzip,
    b"x-gzip": _gzip,
    b"deflate": _deflate,
    b"br": _brotli,
    b"zstd": _zstd,
}


def _decode(data: bytes, coding: bytes, limit: int, keep: bool) -> bytes:
    """``data`` with ``coding`` undone, or _TooLarge past ``limit`` bytes of output."""
    size = 0
    out: list[bytes] = []
    for chunk in _DECODERS[coding](data):
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        if keep:
            out.append(chunk)
    return b"".join(out)


def decoded_size_exceeds(body: bytes, content_encoding: bytes | None, limit: int) -> bool:
    """True when undoing ``content_encoding`` (a header value, codings in applied order)
    yields more than ``limit`` bytes. 0 means no limit, as in DOWNLOAD_MAXSIZE."""
    if not limit or not content_encoding:
        return False
    codings = [c.strip().lower() for c in content_encoding.split(b",") if c.strip()]
    deflated = codings in ([b"gzip"], [b"x-gzip"], [b"deflate"])
    if deflated and len(body) * _DEFLATE_MAX_RATIO <= limit:
        return False  # deflate cannot grow past this: most pages need no look at all
    data = body
    for n, coding in enumerate(reversed(codings)):  # the last applied is undone first
        if coding == b"identity":
            continue
        if coding not in _DECODERS:
            return False  # Scrapy leaves such a body as it is: so does the archive
        try:
            data = _decode(data, coding, limit, keep=n < len(codings) - 1)
        except _TooLarge:
            return True
        except Exception:  # noqa: BLE001 - a broken body is archived as it came
            return False
    return False
