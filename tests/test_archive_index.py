"""Read-back through third-party tools (warcio, cdxj-indexer) that replay relies on."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.index import write_cdxj_index
from archive.records import (
    PROFILE_IDENTICAL_PAYLOAD,
    PROFILE_SERVER_NOT_MODIFIED,
    Exchange,
    HttpRequestData,
    HttpResponseData,
    payload_digest,
    revisit_records,
)
from archive.writer import WarcFileWriter

BIN = Path(sys.executable).parent
START = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)


def exchange(url: str, body: bytes, *, status: int = 200, reason: bytes = b"OK",
             headers=None, date: datetime = START) -> Exchange:
    path = url.split("zjol.com.cn", 1)[1]
    if headers is None:
        headers = [(b"Content-Type", b"text/html; charset=utf-8"),
                   (b"Content-Encoding", b"gzip"), (b"Transfer-Encoding", b"chunked"),
                   (b"Set-Cookie", b"a=1"), (b"Set-Cookie", b"b=2")]
    return Exchange(
        url=url, date=date, ip_address="10.0.0.1",
        request=HttpRequestData("GET", path, "HTTP/1.1",
                                [(b"Accept-Encoding", b"gzip, deflate")]),
        response=HttpResponseData("HTTP/1.1", status, reason, headers, body),
    )


@pytest.fixture
def archive_files(tmp_path: Path):
    counter = itertools.count(1)
    writer = WarcFileWriter(
        tmp_path / "warcs", prefix="SZ", host="crawl1", max_size=2000,
        warcinfo_fields={"software": "t", "format": "WARC File Format 1.1"},
        clock=lambda: START + timedelta(seconds=next(counter)),
    )
    bodies = {}
    urls = [f"http://sznews.zjol.com.cn/sznews/{name}.shtml" for name in ("z", "a", "m", "b")]
    for n, url in enumerate(urls):
        body = gzip.compress(f"<html>{n} 嵊州新闻 {url}</html>".encode() * 20, mtime=0)
        bodies[url] = body
        writer.write_exchange(exchange(url, body, date=START + timedelta(minutes=n)))
    original = urls[1]
    later = START + timedelta(days=1)
    digest = payload_digest(bodies[original])
    dup = exchange("http://sznews.zjol.com.cn/sznews/copy.shtml", bodies[original], date=later)
    writer.write(revisit_records(
        dup, revisit_id=writer.record_id(), request_id=writer.record_id(),
        profile=PROFILE_IDENTICAL_PAYLOAD, refers_to_uri=original, refers_to_date=START,
        refers_to_record_id=None, payload_digest=digest))
    not_mod = exchange(original, b"", status=304, reason=b"Not Modified",
                       headers=[(b"ETag", b'"v1"')], date=later)
    writer.write(revisit_records(
        not_mod, revisit_id=writer.record_id(), request_id=writer.record_id(),
        profile=PROFILE_SERVER_NOT_MODIFIED, refers_to_uri=original, refers_to_date=START,
        refers_to_record_id=None, payload_digest=digest))
    writer.close()
    return writer.files, bodies


def test_warcio_check_passes(archive_files) -> None:
    files, _ = archive_files
    assert len(files) > 1
    for path in files:
        result = subprocess.run([str(BIN / "warcio"), "check", str(path)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_archive_iterator_reads_exact_stored_body(archive_files) -> None:
    files, bodies = archive_files
    seen = {}
    for path in files:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    seen[url] = record.raw_stream.read()
                    assert [v for k, v in record.http_headers.headers if k == "Set-Cookie"] == [
                        "a=1", "b=2"]
                    assert record.http_headers.get_header("Transfer-Encoding") is None
                    assert record.http_headers.get_header("Content-Length") == str(
                        len(seen[url]))
                    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    assert seen == bodies


def test_warcio_index_lists_every_record(archive_files) -> None:
    files, _ = archive_files
    result = subprocess.run(
        [str(BIN / "warcio"), "index", "-f", "warc-type,offset,length",
         *map(str, files)], capture_output=True, text=True, check=True)
    types = [json.loads(line)["warc-type"] for line in result.stdout.splitlines()]
    assert types.count("warcinfo") == len(files)
    assert types.count("response") == 4
    assert types.count("revisit") == 2
    assert types.count("request") == 6


def test_cdxj_index_sorted_and_complete(archive_files, tmp_path: Path) -> None:
    files, _ = archive_files
    out = tmp_path / "coll" / "indexes" / "index.cdxj"
    count = write_cdxj_index(files, out)
    lines = out.read_text().splitlines()
    assert count == len(lines) == 6
    assert lines == sorted(lines)
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines]
    mimes = sorted(e["mime"] for e in entries)
    assert mimes == ["text/html"] * 4 + ["warc/revisit"] * 2
    assert {e["filename"] for e in entries} <= {p.name for p in files}
    assert sorted(e["status"] for e in entries if e["mime"] == "warc/revisit") == ["200", "304"]
    for line, entry in zip(lines, entries, strict=True):
        assert line.split(" ")[0].startswith("cn,com,zjol,sznews)/sznews/")
        assert len(line.split(" ")[1]) == 14
        path = next(p for p in files if p.name == entry["filename"])
        data = path.read_bytes()[int(entry["offset"]):][: int(entry["length"])]
        record = gzip.decompress(data)
        assert record.startswith(b"WARC/1.1\r\n")
    assert not list(out.parent.glob("*.tmp"))
    # rebuild replaces atomically
    assert write_cdxj_index(files[:1], out) < count


def test_cdxj_refuses_open_files(tmp_path: Path) -> None:
    path = tmp_path / "x.warc.gz.open"
    path.write_bytes(b"")
    with pytest.raises(ValueError):
        write_cdxj_index([path], tmp_path / "index.cdxj")


def test_cdxj_lines_match_cdxj_indexer_line_for_line(archive_files, tmp_path: Path) -> None:
    files, _ = archive_files
    out = tmp_path / "index.cdxj"
    write_cdxj_index(files, out)
    proc = subprocess.run([str(BIN / "cdxj-indexer"), "--sort", *map(str, files)],
                          capture_output=True, text=True, check=True)
    assert out.read_text().splitlines() == proc.stdout.splitlines()


@pytest.mark.parametrize("body", [b"\x8b\x02\x80hello\x03", b"not brotli at all" * 100])
def test_index_never_decodes_a_payload(tmp_path: Path, body: bytes) -> None:
    """A br body (valid or not) made cdxj-indexer raise in warcio; the index reads headers."""
    writer = WarcFileWriter(tmp_path / "warcs", prefix="SZ", host="h", max_size=1 << 20,
                            warcinfo_fields={"software": "t"})
    headers = [(b"Content-Type", b"text/html"), (b"Content-Encoding", b"br")]
    url = "http://sznews.zjol.com.cn/sznews/br.shtml"
    writer.write_exchange(exchange(url, body, headers=headers))
    writer.close()
    out = tmp_path / "index.cdxj"
    assert write_cdxj_index(writer.files, out) == 1
    entry = json.loads(out.read_text().split(" ", 2)[2])
    assert (entry["url"], entry["mime"], entry["status"]) == (url, "text/html", "200")
