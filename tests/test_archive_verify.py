"""`python -m archive verify`: passes on a sound archive, names each kind of damage."""

from __future__ import annotations

import gzip
import itertools
import json
import random
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.index import write_cdxj_index
from archive.records import (
    PROFILE_IDENTICAL_PAYLOAD,
    Exchange,
    HttpRequestData,
    HttpResponseData,
    payload_digest,
    revisit_records,
)
from archive.verify import main, verify_archive
from archive.writer import RecordLocation, WarcFileWriter, gzip_member

HOST = "http://sznews.zjol.com.cn"
HOME = f"{HOST}/"
SECTION = f"{HOST}/sznews/szxw/index.shtml"
ARTICLE = f"{HOST}/sznews/system/2023/03/27/030020978.shtml"
ARTICLE_P2 = f"{HOST}/sznews/system/2023/03/27/030020978_02.shtml"
IMAGE = f"{HOST}/pic/0/10/10/00/10100008_636994.jpg"

RUN1 = "20260102T030405Z"
RUN2 = "20260103T000000Z"
START = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
LATER = datetime(2026, 1, 3, 0, 0, 1, 250000, tzinfo=UTC)

SECTION_NAME = "嵊州新闻"
SECTION_NAME_NEW = "嵊州新闻（更新）"
ARTICLE_TITLE = "剡湖街道组织专家义诊"
SECTION_HTML = f"<html><head><title>{SECTION_NAME}</title></head><body>列表</body></html>"


def exchange(url: str, date: datetime, body: bytes, *, status: int = 200,
             reason: bytes = b"OK", headers: list[tuple[bytes, bytes]] | None = None
             ) -> Exchange:
    path = url.split("/", 3)[3]
    return Exchange(
        url=url,
        date=date,
        ip_address="127.0.0.1",
        request=HttpRequestData("GET", f"/{path}", "HTTP/1.1",
                                [(b"Accept", b"*/*"), (b"Accept-Encoding", b"gzip")]),
        response=HttpResponseData("HTTP/1.1", status, reason,
                                  headers or [(b"Content-Type", b"text/html; charset=utf-8")],
                                  body),
    )


@dataclass
class Built:
    dir: Path
    files: list[Path]
    loc: dict[str, list[RecordLocation]]  # name -> [response-or-revisit, request]
    dates: dict[str, datetime]

    def path(self, name: str) -> Path:
        return self.dir / "warc" / self.loc[name][0].filename


def _writer(warc_dir: Path, first: datetime, serial_start: int = 1) -> WarcFileWriter:
    clock = itertools.count()
    ids = itertools.count(serial_start * 1000)
    return WarcFileWriter(
        warc_dir, prefix="sznews", host="test", max_size=10_000_000,
        warcinfo_fields={"software": "tests", "format": "WARC File Format 1.1"},
        clock=lambda: first + timedelta(milliseconds=next(clock)),
        record_id=lambda: f"<urn:uuid:00000000-0000-4000-8000-{next(ids):012d}>",
        serial_start=serial_start,
    )


def pointer(loc: RecordLocation) -> dict:
    return {"filename": loc.filename, "offset": loc.offset, "length": loc.length,
            "record_id": loc.record_id}


def write_items(path: Path, items: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")


def build_archive(root: Path) -> Built:
    """Two runs, two WARC files: redirect, gzip-encoded section, two-page article, image,
    then revisits of the image (found by URI + digest) and of the section (by record id)."""
    warc_dir = root / "warc"
    loc: dict[str, list[RecordLocation]] = {}
    dates: dict[str, datetime] = {}
    section_gz = gzip.compress(SECTION_HTML.encode(), mtime=0)
    image = random.Random(7).randbytes(700)
    image_headers = [(b"Content-Type", b"image/jpeg")]
    with _writer(warc_dir, START) as writer:
        plan = [
            ("home", exchange(HOME, START, b"", status=302, reason=b"Found",
                              headers=[(b"Location", SECTION.encode())])),
            ("section", exchange(SECTION, START + timedelta(seconds=1), section_gz, headers=[
                (b"Content-Type", b"text/html; charset=utf-8"),
                (b"Content-Encoding", b"gzip"), (b"Vary", b"Accept-Encoding")])),
            ("article", exchange(ARTICLE, START + timedelta(seconds=2),
                                 f"<html><h1>{ARTICLE_TITLE}</h1><p>第一页</p></html>".encode())),
            ("article_p2", exchange(ARTICLE_P2, START + timedelta(seconds=3),
                                    "<html><p>第二页</p></html>".encode())),
            ("image", exchange(IMAGE, START + timedelta(seconds=4), image,
                               headers=image_headers)),
        ]
        for name, ex in plan:
            loc[name] = writer.write_exchange(ex)
            dates[name] = ex.date
    with _writer(warc_dir, LATER, serial_start=2) as writer:
        revisits = [
            ("image_revisit", exchange(IMAGE, LATER, image, headers=image_headers),
             dates["image"], None),
            ("section_revisit", exchange(SECTION, LATER + timedelta(seconds=1), section_gz,
                                         headers=plan[1][1].response.headers),
             dates["section"], loc["section"][0].record_id),
        ]
        for name, ex, original_date, original_id in revisits:
            records = revisit_records(
                ex, revisit_id=writer.record_id(), request_id=writer.record_id(),
                profile=PROFILE_IDENTICAL_PAYLOAD, refers_to_uri=ex.url,
                refers_to_date=original_date, refers_to_record_id=original_id,
                payload_digest=payload_digest(ex.response.body))
            loc[name] = writer.write(records)
            dates[name] = ex.date
    files = sorted(warc_dir.glob("*.warc.gz"))
    assert len(files) == 2
    write_cdxj_index(files, root / "index.cdxj")

    article = {"url": ARTICLE, "title": ARTICLE_TITLE, "pages": [ARTICLE, ARTICLE_P2],
               "fetched": "2026-01-02T03:04:07Z", "warc": pointer(loc["article"][0])}
    section = {"url": SECTION, "name": SECTION_NAME, "kind": "channel",
               "fetched": "2026-01-02T03:04:06Z", "warc": pointer(loc["section"][0])}
    newer_section = {**section, "name": SECTION_NAME_NEW, "fetched": "2026-01-03T00:00:02Z",
                     "warc": pointer(loc["section_revisit"][0])}
    write_items(root / "items" / RUN1 / "articles.jsonl", [article])
    write_items(root / "items" / RUN1 / "sections.jsonl", [section])
    write_items(root / "items" / RUN2 / "articles.jsonl", [])
    write_items(root / "items" / RUN2 / "sections.jsonl", [newer_section])
    return Built(root, files, loc, dates)


@pytest.fixture
def built(tmp_path: Path) -> Built:
    return build_archive(tmp_path / "archive")


def run_verify(root: Path, capsys, *args: str) -> tuple[int, str]:
    status = main([*args, str(root)])
    return status, capsys.readouterr().out


def splice(path: Path, offset: int, length: int, replacement: bytes) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:offset] + replacement + data[offset + length:])


# --------------------------------------------------------------------------- sound archive


def test_sound_archive_passes(built: Built, capsys) -> None:
    status, out = run_verify(built.dir, capsys)
    assert status == 0, out
    # 2 warcinfo + 5 exchanges * 2 + 2 revisit pairs * 2
    assert out.strip().splitlines()[-1] == "2 files, 16 records, 3 items checked; 0 failures"
    assert "FAILURES" not in out


def test_quiet_prints_only_the_summary_when_sound(built: Built, capsys) -> None:
    status, out = run_verify(built.dir, capsys, "--quiet")
    assert status == 0
    assert out.strip().splitlines() == ["2 files, 16 records, 3 items checked; 0 failures"]


def test_not_a_directory_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "missing")]) == 2


# --------------------------------------------------------------------------- WARC damage


def test_flipped_body_byte_in_a_valid_gzip_member_fails_the_digests(built: Built, capsys):
    """The member is recompressed (gzip stays valid, same length) but the digests fail."""
    loc = built.loc["image"][0]
    path = built.path("image")
    data = path.read_bytes()
    record = zlib.decompress(data[loc.offset:loc.offset + loc.length], 16 + zlib.MAX_WBITS)
    body_start = record.index(b"\r\n\r\n", record.index(b"\r\n\r\n") + 4) + 4
    for pos, bit in itertools.product(range(body_start + 10, len(record) - 10),
                                      (1, 2, 4, 8, 16, 32, 64, 128)):
        tampered = bytearray(record)
        tampered[pos] ^= bit
        member = gzip_member(bytes(tampered))
        if len(member) == loc.length:  # keeps every later offset valid
            break
    else:
        pytest.fail("no same-length recompression found")
    splice(path, loc.offset, loc.length, member)

    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    report = verify_archive(built.dir)
    messages = [str(f) for f in report.failures]
    assert any("WARC-Block-Digest mismatch" in m for m in messages), out
    assert any("WARC-Payload-Digest mismatch" in m for m in messages), out
    # Precisely that record and nothing else: file, offset and record id are named.
    for failure in report.failures:
        assert (failure.where, failure.offset, failure.record_id) == (
            f"warc/{loc.filename}", loc.offset, loc.record_id), out
    assert f"warc/{loc.filename} @{loc.offset} {loc.record_id}: WARC-Block-Digest" in out


def test_raw_byte_flip_breaks_the_gzip_member(built: Built, capsys) -> None:
    loc = built.loc["article"][0]
    path = built.path("article")
    data = bytearray(path.read_bytes())
    data[loc.offset + loc.length // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    status, out = run_verify(built.dir, capsys)
    assert status == 1
    assert f"warc/{loc.filename} @{loc.offset}: broken gzip member" in out
    # Reading resumes after the damage: the next records are still read and checked...
    assert f"reading resumes at {loc.offset + loc.length}" in out
    # ...and the index line and the item that point at the lost record say so.
    assert "index.cdxj:" in out and "inside a damaged part of the file" in out
    assert f"items/{RUN1}/articles.jsonl:1" in out
    # Its request now points at nothing.
    assert f"WARC-Concurrent-To {loc.record_id} points at no record" in out


def test_trailing_garbage_is_reported(built: Built, capsys) -> None:
    path = built.files[0]
    size = path.stat().st_size
    with path.open("ab") as fh:
        fh.write(b"\0" * 17)
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert f"@{size}: broken gzip member: trailing garbage" in out
    assert "the last 17 bytes" in out


def test_truncated_file_is_reported(built: Built, capsys) -> None:
    loc = built.loc["image"][1]  # the request that ends file 1
    path = built.path("image")
    path.write_bytes(path.read_bytes()[:loc.offset + 20])
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert f"@{loc.offset}: broken gzip member" in out


def test_open_file_is_reported_as_unfinished(built: Built, capsys) -> None:
    (built.dir / "warc" / "sznews-20260104000000000-00003-test.warc.gz.open").write_bytes(
        built.files[0].read_bytes())
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert "00003-test.warc.gz.open: unfinished WARC file" in out


def test_removed_request_record_is_reported(built: Built, capsys) -> None:
    response, request = built.loc["image"]  # the request is the last member of file 1
    path = built.path("image")
    assert path.stat().st_size == request.offset + request.length
    path.write_bytes(path.read_bytes()[:request.offset])

    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert (f"warc/{response.filename} @{response.offset} {response.record_id}: response for "
            f"{IMAGE} has no request record pointing at it") in out
    assert out.strip().splitlines()[-1].endswith("; 1 failures")


def test_request_with_other_date_is_reported(built: Built, capsys) -> None:
    _, request = built.loc["home"]
    path = built.path("home")
    data = path.read_bytes()
    record = zlib.decompress(data[request.offset:request.offset + request.length], 31)
    old = b"WARC-Date: " + built.dates["home"].strftime("%Y-%m-%dT%H:%M:%S").encode()
    assert old in record
    record = record.replace(old, old[:-1] + b"9")  # headers only: digests still hold
    member = gzip_member(record)
    splice(path, request.offset, request.length, member)
    # Offsets after it moved: rebuild the index and items would be wrong, so only look for
    # the pair failure among the reported ones.
    report = verify_archive(built.dir)
    assert any("WARC-Date" in f.message and "differs from its response" in f.message
               and f.record_id == request.record_id for f in report.failures)


# --------------------------------------------------------------------------- revisits


def test_revisits_resolve_by_id_and_by_uri_and_digest(built: Built) -> None:
    assert verify_archive(built.dir).ok


def _add_revisit(built: Built, *, refers_to_id: str | None, digest: str,
                 refers_to_date: datetime | str | None = None) -> RecordLocation:
    with _writer(built.dir / "warc", LATER + timedelta(hours=1), serial_start=3) as writer:
        ex = exchange(ARTICLE, LATER + timedelta(hours=1), b"")
        records = revisit_records(
            ex, revisit_id=writer.record_id(), request_id=writer.record_id(),
            profile=PROFILE_IDENTICAL_PAYLOAD, refers_to_uri=ARTICLE,
            refers_to_date=refers_to_date or built.dates["article"],
            refers_to_record_id=refers_to_id,
            payload_digest=digest)
        locations = writer.write(records)
    write_cdxj_index(sorted((built.dir / "warc").glob("*.warc.gz")), built.dir / "index.cdxj")
    return locations[0]


def test_revisit_with_missing_refers_to_record(built: Built, capsys) -> None:
    missing = "<urn:uuid:99999999-0000-4000-8000-000000000000>"
    loc = _add_revisit(built, refers_to_id=missing, digest="sha1:AAAA")
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert f"@{loc.offset} {loc.record_id}: WARC-Refers-To {missing} is not in the archive" in out


def test_revisit_without_id_and_unknown_digest(built: Built, capsys) -> None:
    loc = _add_revisit(built, refers_to_id=None, digest="sha1:" + "A" * 32)
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert f"@{loc.offset} {loc.record_id}: revisit refers to {ARTICLE}" in out
    assert "no such record is in the archive" in out


def _article_digest(built: Built) -> str:
    line = next(line for line in (built.dir / "index.cdxj").read_text("utf-8").splitlines()
                if f'"url": "{ARTICLE}"' in line)
    return json.loads(line.split(" ", 2)[2])["digest"]


def test_revisit_with_refers_to_date_in_whole_seconds_is_accepted(built: Built, capsys):
    """Same instant at lower precision (as a later run gets it from a 14-digit index)."""
    seconds = built.dates["article"].strftime("%Y-%m-%dT%H:%M:%SZ")
    _add_revisit(built, refers_to_id=None, digest=_article_digest(built),
                 refers_to_date=seconds)
    status, out = run_verify(built.dir, capsys)
    assert status == 0, out
    assert "note: 1 revisits give WARC-Refers-To-Date with less precision" in out


def test_revisit_with_wrong_refers_to_date(built: Built, capsys) -> None:
    loc = _add_revisit(built, refers_to_id=None, digest=_article_digest(built),
                       refers_to_date="2025-01-01T00:00:00Z")
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert f"@{loc.offset} {loc.record_id}: revisit refers to {ARTICLE} captured at " \
           "2025-01-01T00:00:00Z, but no record with that digest has that date" in out


# --------------------------------------------------------------------------- index


def test_deleted_index_line_is_reported(built: Built, capsys) -> None:
    index = built.dir / "index.cdxj"
    lines = index.read_text("utf-8").splitlines(keepends=True)
    kept = [line for line in lines if f'"url": "{ARTICLE_P2}"' not in line]
    assert len(kept) == len(lines) - 1
    index.write_text("".join(kept), "utf-8")

    loc = built.loc["article_p2"][0]
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert (f"warc/{loc.filename} @{loc.offset} {loc.record_id}: response for {ARTICLE_P2}"
            in out)
    assert "is not in index.cdxj" in out


def test_unsorted_index_is_reported(built: Built, capsys) -> None:
    index = built.dir / "index.cdxj"
    lines = index.read_text("utf-8").splitlines(keepends=True)
    index.write_text("".join(reversed(lines)), "utf-8")
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert "index.cdxj:2: index is not sorted" in out


def test_index_line_pointing_at_nothing_is_reported(built: Built, capsys) -> None:
    index = built.dir / "index.cdxj"
    lines = index.read_text("utf-8").splitlines(keepends=True)
    key, stamp, fields = lines[-1].split(" ", 2)
    moved = json.loads(fields)
    moved["offset"] = str(int(moved["offset"]) + 3)
    lines.append(f"{key} {stamp}9 {json.dumps(moved)}\n")  # sorts last
    index.write_text("".join(lines), "utf-8")
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert f"index.cdxj:{len(lines)}:" in out and "no record starts at" in out


def test_missing_index_is_reported(built: Built, capsys) -> None:
    (built.dir / "index.cdxj").unlink()
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert "index.cdxj: index is missing" in out


# --------------------------------------------------------------------------- items


def _rewrite_item(path: Path, change) -> None:
    item = json.loads(path.read_text("utf-8"))
    change(item)
    path.write_text(json.dumps(item, ensure_ascii=False) + "\n", "utf-8")


def test_item_with_wrong_offset_is_reported(built: Built, capsys) -> None:
    path = built.dir / "items" / RUN1 / "articles.jsonl"
    _rewrite_item(path, lambda item: item["warc"].update(offset=item["warc"]["offset"] + 1))
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert f"items/{RUN1}/articles.jsonl:1" in out
    assert f"item {ARTICLE}: no record starts at" in out


def test_item_with_wrong_length_or_record_id_is_reported(built: Built, capsys) -> None:
    path = built.dir / "items" / RUN1 / "sections.jsonl"
    _rewrite_item(path, lambda item: item["warc"].update(
        length=item["warc"]["length"] - 1, record_id="<urn:uuid:nope>"))
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert f"item {SECTION}: length" in out
    assert f"item {SECTION}: record_id <urn:uuid:nope> but the record" in out


def test_item_pointing_at_another_url_is_reported(built: Built, capsys) -> None:
    path = built.dir / "items" / RUN1 / "articles.jsonl"
    _rewrite_item(path, lambda item: item.update(warc=pointer(built.loc["image"][0])))
    status, out = run_verify(built.dir, capsys, "-q")
    assert status == 1
    assert f"the record is for {IMAGE}, not the item's url or first page" in out


# --------------------------------------------------------------------------- real crawl


@pytest.mark.slow
def test_verify_passes_on_a_real_crawl_of_the_replica(crawled, capsys) -> None:
    status = main(["--quiet", str(crawled.archive_dir)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.strip().endswith("; 0 failures")
