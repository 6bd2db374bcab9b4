"""crawler/fetching/compression.py decodes as the installed Scrapy's HttpCompressionMiddleware does.

The crawl's callbacks get bodies from the middleware; re-extraction, warcshell, the capture's
bomb check and the maintenance check get them from crawler/fetching/compression.py. Each odd body is
given to both, and both must give the same body, keep the same codings, or fail alike.
"""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response
from scrapy.utils.test import get_crawler

from crawler.fetching.compression import DecodedTooLarge, decode, decoded_size_exceeds

try:
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[import-not-found,no-redef]

HTML = b"<html><head><title>t</title></head><body>" + b"x" * 3000 + b"</body></html>"
GZ = gzip.compress(HTML)
BODIES = {
    "plain": HTML,
    "gzip": GZ,
    "two gzip members": GZ + gzip.compress(b"<p>more</p>"),
    "gzip, junk after": GZ + b"junk",
    "gzip, bad crc": GZ[:-8] + b"\0\0\0\0" + GZ[-4:],
    "cut gzip": GZ[:-12],
    "junk": b"\x1f\x8b\x08junk",
    "deflate": zlib.compress(HTML),
    "raw deflate": zlib.compress(HTML, wbits=-15),
    "cut deflate": zlib.compress(HTML)[:-20],
    "br": brotli.compress(HTML),
    "zstd": zstd.compress(HTML),
    "cut zstd": zstd.compress(HTML)[:-5],
    "huge": gzip.compress(b"a" * 300_000),
    "gzip of gzip": gzip.compress(GZ),
}
ENCODINGS = [
    [], ["gzip"], ["GZIP"], [" x-gzip "], ["gzip", "gzip"], ["gzip, gzip"], ["gzip, identity"],
    ["identity, gzip"], ["deflate"], ["identity"], [""], ["br"], ["zstd"], ["x-unknown"],
    ["x-unknown, gzip"],
]
MAX_SIZE = 200_000


def middleware_outcome(body: bytes, encodings: list[str]) -> tuple:
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": MAX_SIZE})
    middleware = HttpCompressionMiddleware.from_crawler(crawler)
    headers = Headers([("Content-Type", "text/html")])
    for value in encodings:
        headers.appendlist("Content-Encoding", value)
    request = Request("http://sznews.zjol.com.cn/a.shtml")
    response = Response(request.url, headers=headers, body=body, request=request)
    try:
        got = middleware.process_response(request, response)
    except IgnoreRequest:
        return ("too large",)
    except Exception as exc:
        return (type(exc).__name__,)
    return got.body, [v.lower() for v in got.headers.getlist("Content-Encoding")]


def our_outcome(body: bytes, encodings: list[str]) -> tuple:
    try:
        decoded, kept = decode(body, [e.encode() for e in encodings], MAX_SIZE)
    except DecodedTooLarge:
        return ("too large",)
    except Exception as exc:
        return (type(exc).__name__,)
    return decoded, kept


@pytest.mark.parametrize("encodings", ENCODINGS, ids=repr)
@pytest.mark.parametrize("body", list(BODIES))
def test_decode_gives_what_the_middleware_gives(body: str, encodings: list[str]) -> None:
    data = BODIES[body]
    want = middleware_outcome(data, encodings)
    assert our_outcome(data, encodings) == want
    # The capture's bomb check says "too large" exactly where the middleware drops the body.
    joined = ",".join(encodings).encode()
    assert decoded_size_exceeds(data, joined, MAX_SIZE) == (want == ("too large",))


def test_no_limit_decodes_anything() -> None:
    assert decode(BODIES["huge"], [b"gzip"], 0) == (b"a" * 300_000, [])
    assert not decoded_size_exceeds(BODIES["huge"], b"gzip", 0)
