"""File-level behaviour: naming, rotation, background writing, failure and crash recovery."""

from __future__ import annotations

import errno
import gzip
import itertools
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.reader import iter_records, read_record
from archive.records import Exchange, HttpRequestData, HttpResponseData
from archive.writer import (
    ArchiveWriteError,
    BackgroundWarcWriter,
    WarcFileWriter,
    recover_open_files,
)

WARCIO = Path(sys.executable).parent / "warcio"
START = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)


def stepping_clock():
    counter = itertools.count()
    return lambda: START + timedelta(seconds=next(counter))


def ids():
    counter = itertools.count(1)
    return lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(counter):012d}>"


def exchange(n: int, body: bytes | None = None) -> Exchange:
    url = f"http://sznews.zjol.com.cn/sznews/{n}.shtml"
    body = body if body is not None else f"<html>page {n} 新闻</html>".encode()
    return Exchange(
        url=url,
        date=START,
        ip_address="1.2.3.4",
        request=HttpRequestData("GET", f"/sznews/{n}.shtml", "HTTP/1.1", [(b"Accept", b"*/*")]),
        response=HttpResponseData("HTTP/1.1", 200, b"OK",
                                  [(b"Content-Type", b"text/html")], body),
    )


def make_writer(directory: Path, **kw) -> WarcFileWriter:
    opts = dict(prefix="SZ", host="crawl1", max_size=10_000_000,
                warcinfo_fields={"software": "t"}, clock=stepping_clock(), record_id=ids())
    opts.update(kw)
    return WarcFileWriter(directory, **opts)


def warcio_check(path: Path) -> None:
    result = subprocess.run([str(WARCIO), "check", "-v", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_open_suffix_while_writing_then_renamed(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    assert list(tmp_path.iterdir()) == []  # lazily opened: no empty files
    locs = writer.write_exchange(exchange(1))
    name = "SZ-20240501083015123-00001-crawl1.warc.gz"
    assert [p.name for p in tmp_path.iterdir()] == [name + ".open"]
    assert writer.current_path == tmp_path / (name + ".open")
    assert {loc.filename for loc in locs} == {name}
    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert writer.files == [tmp_path / name]
    warcio_check(tmp_path / name)
    writer.close()  # idempotent


def test_locations_point_at_gzip_members(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    body = gzip.compress("<p>嵊州</p>".encode() * 50, mtime=0)
    locs = writer.write_exchange(exchange(1, body)) + writer.write_exchange(exchange(2))
    writer.close()
    path = writer.files[0]
    data = path.read_bytes()
    for loc in locs:
        assert data[loc.offset:loc.offset + 2] == b"\x1f\x8b"
        # each member decompresses on its own into exactly one record
        assert gzip.decompress(data[loc.offset:loc.offset + loc.length]).startswith(b"WARC/1.1")
        rec = read_record(path, loc.offset, loc.length)
        assert rec.record_id == loc.record_id
        assert rec.rec_type == loc.warc_type
    assert read_record(path, locs[0].offset, locs[0].length).payload == body
    stored = [(r.offset, r.length, r.rec_type) for r in iter_records(path)]
    assert stored[0][0] == 0 and stored[0][2] == "warcinfo"
    assert stored[1:] == [(loc.offset, loc.length, loc.warc_type) for loc in locs]
    assert stored[-1][0] + stored[-1][1] == len(data)


def test_rotation_names_serials_and_warcinfo_first(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, max_size=1500, serial_start=7)
    all_locs = [writer.write_exchange(exchange(n, b"x" * 900)) for n in range(5)]
    writer.close()
    names = [p.name for p in writer.files]
    assert len(names) >= 3
    for i, name in enumerate(names):
        prefix, ts, serial, host = name.removesuffix(".warc.gz").split("-")
        assert (prefix, host) == ("SZ", "crawl1")
        assert serial == f"{7 + i:05d}"
        assert len(ts) == 17 and ts.isdigit()
    # clock is read once per file open: timestamps strictly increase with rotation
    assert [n.split("-")[1] for n in names] == sorted({n.split("-")[1] for n in names})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    for path in writer.files:
        records = list(iter_records(path))
        assert records[0].rec_type == "warcinfo"
        assert records[0].rec_headers.get_header("WARC-Filename") == path.name
        assert [r.rec_type for r in records[1:]] == ["response", "request"] * (
            (len(records) - 1) // 2)
        warcio_check(path)
    for locs in all_locs:  # a pair never spans files
        assert len({loc.filename for loc in locs}) == 1


def test_rotation_checked_before_group(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, max_size=1)
    writer.write_exchange(exchange(1))
    writer.write_exchange(exchange(2))
    writer.close()
    assert len(writer.files) == 2  # each file still gets one group despite tiny max_size
    assert writer.records_written == 6


def test_background_writer_preserves_order(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, max_size=4000)
    caller = threading.get_ident()
    seen_threads: set[int] = set()
    original = writer.write

    def spy(records):
        seen_threads.add(threading.get_ident())
        return original(records)

    writer.write = spy  # type: ignore[method-assign]
    bg = BackgroundWarcWriter(writer)
    futures = [bg.submit_exchange(exchange(n)) for n in range(20)]
    bg.close()
    assert caller not in seen_threads and len(seen_threads) == 1
    locations = [f.result() for f in futures]
    uris = []
    for path in writer.files:
        uris += [r.target_uri for r in iter_records(path) if r.rec_type == "response"]
    assert uris == [f"http://sznews.zjol.com.cn/sznews/{n}.shtml" for n in range(20)]
    flat = [(loc.filename, loc.offset) for locs in locations for loc in locs]
    order = {p.name: i for i, p in enumerate(writer.files)}
    assert flat == sorted(flat, key=lambda x: (order[x[0]], x[1]))
    assert not list(tmp_path.glob("*.open"))
    with pytest.raises(RuntimeError):
        bg.submit([])


class FailingStream:
    """Wraps the real file; writes half of the next buffer then fails like a full disk."""

    def __init__(self, inner):
        self.inner = inner
        self.fail = False

    def write(self, data):
        if self.fail:
            self.fail = False
            self.inner.write(bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.inner.write(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_write_failure_truncates_and_raises(tmp_path: Path, monkeypatch) -> None:
    streams: list[FailingStream] = []
    real_open = WarcFileWriter._open_stream

    def opener(path):
        streams.append(FailingStream(real_open(path)))
        return streams[-1]

    monkeypatch.setattr(WarcFileWriter, "_open_stream", staticmethod(opener))
    writer = make_writer(tmp_path)
    writer.write_exchange(exchange(1))
    size_before = writer.current_path.stat().st_size
    streams[0].fail = True
    with pytest.raises(ArchiveWriteError) as info:
        writer.write_exchange(exchange(2, b"y" * 5000))
    assert info.value.path == writer.current_path
    assert isinstance(info.value.cause, OSError) and info.value.cause.errno == errno.ENOSPC
    assert info.value.file_intact
    assert writer.current_path.stat().st_size == size_before
    # the writer keeps going after the failure
    writer.write_exchange(exchange(3))
    writer.close()
    path = writer.files[0]
    warcio_check(path)
    uris = [r.target_uri for r in iter_records(path) if r.rec_type == "response"]
    assert uris == ["http://sznews.zjol.com.cn/sznews/1.shtml",
                    "http://sznews.zjol.com.cn/sznews/3.shtml"]


def _unfinished_file(tmp_path: Path) -> tuple[Path, list]:
    writer = make_writer(tmp_path)
    locs = writer.write_exchange(exchange(1)) + writer.write_exchange(exchange(2))
    path = writer.current_path
    writer._fh.close()  # simulate a kill: no close(), no rename
    return path, locs


def test_recover_file_truncated_mid_member(tmp_path: Path) -> None:
    path, locs = _unfinished_file(tmp_path)
    last = locs[-1]
    with open(path, "r+b") as fh:
        fh.truncate(last.offset + last.length // 2)
    recovered = recover_open_files(tmp_path)
    assert recovered == [path.with_name(path.name.removesuffix(".open"))]
    assert not path.exists()
    assert recovered[0].stat().st_size == last.offset
    warcio_check(recovered[0])
    assert [r.rec_type for r in iter_records(recovered[0])] == [
        "warcinfo", "response", "request", "response"]


def test_recover_file_with_garbage_appended(tmp_path: Path) -> None:
    path, locs = _unfinished_file(tmp_path)
    end = locs[-1].offset + locs[-1].length
    with open(path, "ab") as fh:
        fh.write(b"\x1f\x8b\x08garbage" + bytes(range(256)))
    (recovered,) = recover_open_files(tmp_path)
    assert recovered.stat().st_size == end
    warcio_check(recovered)
    assert len(list(iter_records(recovered))) == 5


def test_recover_deletes_file_without_warcinfo(tmp_path: Path) -> None:
    path, _ = _unfinished_file(tmp_path)
    with open(path, "r+b") as fh:
        fh.truncate(100)  # inside the warcinfo member
    empty = tmp_path / "SZ-20240501083015123-00009-crawl1.warc.gz.open"
    empty.write_bytes(b"")
    assert recover_open_files(tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_recover_ignores_finished_files(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    writer.write_exchange(exchange(1))
    writer.close()
    before = writer.files[0].read_bytes()
    assert recover_open_files(tmp_path) == []
    assert writer.files[0].read_bytes() == before


def test_member_scan_independent_of_chunk_size(tmp_path: Path) -> None:
    from archive.members import iter_gzip_members

    writer = make_writer(tmp_path)
    locs = writer.write_exchange(exchange(1)) + writer.write_exchange(exchange(2, b"z" * 3000))
    writer.close()
    expected = [(loc.offset, loc.length) for loc in locs]
    for chunk in (1, 7, 64, 1 << 20):
        with open(writer.files[0], "rb") as fh:
            found = [(m.offset, m.length) for m in iter_gzip_members(fh, chunk) if m.data]
        assert found[1:] == expected
