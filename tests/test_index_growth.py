"""The index grows with each run: lines made when a WARC closes, merged, never rebuilt.

A run's end merges ``index.cdxj`` with the lines of the files it wrote (archive/merge.py);
whatever happened in between (many runs, a kill during the update, an archive made before
files had their own lines, older WARC files gone unreadable), the index must be exactly what
a full rebuild over every finished WARC makes, byte for byte.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import os
import shutil
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive import merge, sidecars
from archive.__main__ import main as archive_main
from archive.index import write_cdxj_index
from archive.layout import ArchiveLayout
from archive.records import (
    PROFILE_IDENTICAL_PAYLOAD,
    Exchange,
    HttpRequestData,
    HttpResponseData,
    payload_digest,
    revisit_records,
)
from archive.verify import main as verify_main
from archive.writer import WarcFileWriter, recover_open_files
from tests.crawling import run_crawl
from tests.replica.days import run_time
from tests.replica.testing import start_replica

START = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)
HOST = "http://sznews.zjol.com.cn"


def rebuilt(layout: ArchiveLayout, tmp_path: Path) -> bytes:
    """What the old full rebuild over every finished WARC makes."""
    out = tmp_path / "rebuilt.cdxj"
    write_cdxj_index(layout.finished_warcs(), out)
    return out.read_bytes()


def exchange(url: str, body: bytes, date: datetime) -> Exchange:
    return Exchange(
        url=url, date=date, ip_address="10.0.0.1",
        request=HttpRequestData("GET", url.split(".cn", 1)[1], "HTTP/1.1", []),
        response=HttpResponseData("HTTP/1.1", 200, b"OK",
                                  [(b"Content-Type", b"image/jpeg" if url.endswith(".jpg")
                                    else b"text/html; charset=utf-8")], body),
    )


def write_run(layout: ArchiveLayout, run: int, *, index_dir: bool = True) -> list[Path]:
    """One 'run' of the writer: pages, a requisite, a revisit and a repeat of an old page."""
    counter = itertools.count()
    when = START + timedelta(days=run)
    writer = WarcFileWriter(
        layout.warc_dir, prefix="SZ", host="crawl1", max_size=3000,
        warcinfo_fields={"software": "t"},
        clock=lambda: when + timedelta(seconds=next(counter)),
        index_dir=layout.file_index_dir if index_dir else None,
    )
    bodies = []
    for n in range(4):
        url = f"{HOST}/sznews/{(run * 7 + n) % 5}.shtml"  # runs fetch some pages again
        body = gzip.compress(f"<p>{run} {n} 嵊州</p>".encode() * 40, mtime=0)
        bodies.append((url, body))
        writer.write_exchange(exchange(url, body, when + timedelta(minutes=n)))
    writer.write_exchange(exchange(f"{HOST}/pic/{run}.jpg", os.urandom(500), when))
    url, body = bodies[0]
    writer.write(revisit_records(
        exchange(f"{HOST}/copy{run}.shtml", body, when + timedelta(hours=1)),
        revisit_id=writer.record_id(), request_id=writer.record_id(),
        profile=PROFILE_IDENTICAL_PAYLOAD, refers_to_uri=url, refers_to_date=when,
        refers_to_record_id=None, payload_digest=payload_digest(body)))
    writer.close()
    return writer.files


def test_lines_made_at_close_are_a_rebuilds_lines(tmp_path: Path) -> None:
    layout = ArchiveLayout(tmp_path / "a")
    files = write_run(layout, 0)
    assert len(files) > 1  # rotation: several files in one run
    for path in files:
        made = sidecars.sidecar_path(layout.file_index_dir, path.name).read_text("utf-8")
        out = tmp_path / f"{path.name}.cdxj"
        write_cdxj_index([path], out)
        assert made == out.read_text("utf-8")
    assert {p.name for p in files} == set(sidecars.pending_names(layout.file_index_dir))


def test_index_after_many_runs_equals_a_full_rebuild(tmp_path: Path) -> None:
    layout = ArchiveLayout(tmp_path / "a")
    for run in range(8):
        write_run(layout, run)
        update = merge.update_index(layout)
        assert update.mode == ("upgrade" if run == 0 else "merge")
        assert not update.made  # no WARC read back: the lines came from the writer
        assert sidecars.pending_names(layout.file_index_dir) == []
        assert layout.index_path.read_bytes() == rebuilt(layout, tmp_path)
    assert merge.update_index(layout).mode == "nothing new"


def test_merge_reads_no_older_warc(tmp_path: Path) -> None:
    layout = ArchiveLayout(tmp_path / "a")
    old = write_run(layout, 0)
    merge.update_index(layout)
    before = layout.index_path.read_text("utf-8")
    for path in old:  # replaced by a file no reader gets a record from (a broken link
        path.write_bytes(b"\x1f\x8bnot a warc")  # would be skipped as no file at all)
    new = write_run(layout, 1)
    update = merge.update_index(layout)
    assert update.merged == [p.name for p in new]
    index = layout.index_path.read_text("utf-8").splitlines(keepends=True)
    assert set(before.splitlines(keepends=True)) <= set(index)
    assert any(new[0].name in line for line in index)


def test_upgrade_of_an_archive_without_file_lines(tmp_path: Path, monkeypatch) -> None:
    layout = ArchiveLayout(tmp_path / "a")
    old = []
    for run in range(3):  # an earlier version: no index.d, the index rebuilt every run
        old += write_run(layout, run, index_dir=False)
        write_cdxj_index(layout.finished_warcs(), layout.index_path)
    write_run(layout, 3)  # the first run of this version
    update = merge.update_index(layout)
    assert update.mode == "upgrade"
    assert update.made == [p.name for p in old]  # made once, from the older files only
    assert layout.index_path.read_bytes() == rebuilt(layout, tmp_path)
    assert sidecars.is_complete(layout.file_index_dir)

    def no_reading(*_args):
        raise AssertionError("an upgraded archive's WARCs are not read again")

    monkeypatch.setattr(merge, "make_sidecar", no_reading)
    for run in (4, 5):
        write_run(layout, run)
        assert merge.update_index(layout).mode == "merge"
    assert layout.index_path.read_bytes() == rebuilt(layout, tmp_path)


def test_lost_index_and_rebuild_command(tmp_path: Path) -> None:
    layout = ArchiveLayout(tmp_path / "a")
    for run in range(3):
        write_run(layout, run)
        merge.update_index(layout)
    expected = layout.index_path.read_bytes()
    layout.index_path.unlink()
    assert merge.update_index(layout).mode == "lost index"  # from index.d, no WARC read
    assert layout.index_path.read_bytes() == expected
    shutil.rmtree(layout.file_index_dir)
    layout.index_path.write_text("garbage\n")
    assert archive_main(["index", str(layout.root), "--rebuild"]) == 0
    assert layout.index_path.read_bytes() == expected


def test_a_file_recovered_after_a_kill_is_indexed(tmp_path: Path) -> None:
    layout = ArchiveLayout(tmp_path / "a")
    write_run(layout, 0)
    merge.update_index(layout)
    files = write_run(layout, 1)
    # As if killed before the lines were kept: the pending mark is all that is left.
    sidecars.sidecar_path(layout.file_index_dir, files[-1].name).unlink()
    update = merge.update_index(layout)
    assert update.made == [files[-1].name]
    assert layout.index_path.read_bytes() == rebuilt(layout, tmp_path)


def test_recovery_of_a_killed_file_makes_its_lines(tmp_path: Path) -> None:
    """A kill leaves the current file ``.open`` (a half-written record at its end) and no
    lines: recovery, which reads it once to cut it, makes them; the merge reads no WARC."""
    layout = ArchiveLayout(tmp_path / "a")
    write_run(layout, 0)
    merge.update_index(layout)
    writer = WarcFileWriter(
        layout.warc_dir, prefix="SZ", host="crawl1", max_size=10**9,
        warcinfo_fields={"software": "t"}, clock=lambda: START + timedelta(days=1),
        index_dir=layout.file_index_dir)
    for n in range(3):
        url = f"{HOST}/sznews/k{n}.shtml"
        writer.write_exchange(exchange(url, f"<p>{n} 嵊州</p>".encode(), START))
    (open_path,) = layout.unfinished_warcs()  # killed here: never closed
    whole = open_path.stat().st_size
    with open(open_path, "ab") as fh:
        fh.write(gzip.compress(b"WARC/1.1\r\n" * 50)[:40])  # the record cut by the kill
    name = open_path.name.removesuffix(".open")
    assert not sidecars.sidecar_path(layout.file_index_dir, name).exists()

    (recovered,) = recover_open_files(layout.warc_dir)
    assert recovered.name == name and recovered.stat().st_size == whole
    made = sidecars.sidecar_path(layout.file_index_dir, name).read_text("utf-8")
    alone = tmp_path / "alone.cdxj"
    write_cdxj_index([recovered], alone)
    assert made == alone.read_text("utf-8") and made.count("\n") == 3
    update = merge.update_index(layout)
    assert update.merged == [name] and update.made == []  # no WARC read at the run's end
    assert layout.index_path.read_bytes() == rebuilt(layout, tmp_path)


# ---- real crawls ------------------------------------------------------------------------------

SEED, ARTICLES, DAILY = 41, 30, 3


def day_run(archive: Path, day: int, kill_after: str | None = None) -> int:
    import subprocess
    import sys

    from tests.crawling import FAST, ROOT, crawl_env

    with start_replica(articles=ARTICLES, seed=SEED, day=day, daily=DAILY) as replica:
        if kill_after is None:
            result = run_crawl(archive, proxy_url=replica.proxy_url,
                               settings={"ARCHIVE_NOW": run_time(day).isoformat()})
            assert result.returncode == 0, result.output[-3000:]
            return 0
        cmd = [sys.executable, "-m", "scrapy", "crawl", "sznews", "-s", f"ARCHIVE_DIR={archive}",
               "-s", f"ARCHIVE_NOW={run_time(day).isoformat()}"]
        for key, value in FAST.items():
            cmd += ["-s", f"{key}={value}"]
        env = crawl_env(replica.proxy_url)
        env["ARCHIVE_TEST_KILL_AFTER"] = kill_after
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
        return proc.returncode


def test_daily_runs_merge_kill_and_unreadable_old_files(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    layout = ArchiveLayout(archive)
    day_run(archive, 0)
    assert layout.index_path.read_bytes() == rebuilt(layout, tmp_path)
    day_run(archive, 1)
    assert layout.index_path.read_bytes() == rebuilt(layout, tmp_path)
    assert verify_main([str(archive), "-q"]) == 0

    # Killed with the new index written but not in place: the old index stays, whole.
    before = layout.index_path.read_bytes()
    assert day_run(archive, 2, "index_merge:1") == -signal.SIGKILL
    assert layout.index_path.read_bytes() == before
    assert sidecars.pending_names(layout.file_index_dir)
    # Killed after the replace, before the marks are cleared: merged again, same index.
    assert day_run(archive, 3, "index_replaced:1") == -signal.SIGKILL
    assert layout.index_path.read_bytes() == rebuilt(layout, tmp_path)
    assert sidecars.pending_names(layout.file_index_dir)
    day_run(archive, 4)
    assert sidecars.pending_names(layout.file_index_dir) == []
    assert layout.index_path.read_bytes() == rebuilt(layout, tmp_path)
    assert verify_main([str(archive), "-q"]) == 0

    # Every older WARC moved away, replaced by a file that fails to open.
    old = layout.finished_warcs()
    keep = tmp_path / "moved"
    keep.mkdir()
    for path in old:
        shutil.move(path, keep / path.name)
        path.write_bytes(b"\x1f\x8bnot a warc")  # a file, but no reader gets a record
    before = set(layout.index_path.read_text("utf-8").splitlines())
    day_run(archive, 5)
    runs = sorted(p.name for p in layout.items_root.iterdir())
    # The nightly check of what the run added reads none of the older files...
    assert verify_main([str(archive), "-q", "--since", runs[-1]]) == 0
    assert verify_main([str(archive), "-q"]) == 1  # ...which the full check finds unreadable
    after = set(layout.index_path.read_text("utf-8").splitlines())
    assert before < after
    own = {p.name for p in layout.finished_warcs()} - {p.name for p in old}
    assert own and all(any(f'"{name}"' in line for line in after) for name in own)
    for path in old:  # back in place: the index is exactly a rebuild's
        path.unlink()
        shutil.move(keep / path.name, path)
    assert layout.index_path.read_bytes() == rebuilt(layout, tmp_path)
    assert verify_main([str(archive), "-q"]) == 0
    assert verify_main([str(archive), "-q", "--since", runs[1]]) == 0
    assert verify_main([str(archive), "-q", "--since", "yesterday"]) == 2


def test_start_looks_only_at_what_may_be_new(tmp_path: Path) -> None:
    from archive.scope import item_files_to_catch_up, warcs_to_catch_up

    layout = ArchiveLayout(tmp_path / "a")
    old = write_run(layout, 0, index_dir=False)  # an earlier version's archive: all, once
    assert warcs_to_catch_up(layout.warc_dir) == old
    merge.update_index(layout)
    assert warcs_to_catch_up(layout.warc_dir) == []
    killed = write_run(layout, 1)  # a run killed before its end: its files stay pending
    assert warcs_to_catch_up(layout.warc_dir) == killed
    for run, report in (("20240501T000000Z", True), ("20240502T000000Z", False)):
        (layout.items_dir(run)).mkdir(parents=True)
        layout.item_file(run, "articles").write_text("")
        if report:
            layout.reports_dir.mkdir(exist_ok=True)
            layout.report_path(run).write_text("{}")
    assert item_files_to_catch_up(layout.items_root, layout.reports_dir) == [
        layout.item_file("20240502T000000Z", "articles")]


def test_a_run_whose_end_could_not_commit_the_state_is_caught_up(tmp_path: Path) -> None:
    """Its report exists, but the state may lack its versions: without the mark its items
    would never be folded in and the next run would give the same version number again."""
    import json

    from archive.layout import UNCOMMITTED_MARK
    from crawler.run.end import RunEnd
    from crawler.state.store import CaptureState

    layout = ArchiveLayout(tmp_path / "a")
    url = "http://sznews.zjol.com.cn/sznews/system/2024/05/01/000000001.shtml"

    def write_items(run: str, version: int) -> None:
        layout.items_dir(run).mkdir(parents=True)
        layout.item_file(run, "articles").write_text(
            json.dumps({"url": url, "version": version, "body": f"v{version}"}) + "\n")

    state = CaptureState(layout.state_db)
    write_items("20240501T000000Z", 1)
    layout.reports_dir.mkdir()
    layout.report_path("20240501T000000Z").write_text("{}")
    state.catch_up(layout.warc_dir, layout.items_root)  # the state knows the first run
    assert state.version(url).number == 1
    state.close()
    write_items("20240502T000000Z", 2)

    class Run:  # the second run: its items are written, its state commit fails
        run_id = "20240502T000000Z"
        failures: list[str] = []

        def __init__(self) -> None:
            self.layout = layout

        def log_write_failure(self, logger: object, what: str, exc: BaseException) -> None:
            self.failures.append(what)

    class Stats(dict):
        def inc_value(self, key: str, count: int = 1) -> None:
            self[key] = self.get(key, 0) + count

        def get_value(self, key: str, default: object = None) -> object:
            return self.get(key, default)

    def lost_commit() -> None:
        raise OSError(28, "No space left on device")

    end = RunEnd(Run(), Stats())  # type: ignore[arg-type]
    end._rebuild_index = end._update_catalog = lambda: None  # type: ignore[method-assign]
    end._write_report = lambda reason: layout.report_path(Run.run_id).write_text("{}")
    end.finish("finished", [("state", lost_commit)])
    assert end.stats["run/end_errors/state"] == 1
    assert (layout.items_dir(Run.run_id) / UNCOMMITTED_MARK).exists()

    state = CaptureState(layout.state_db)  # the next start
    assert state.catch_up(layout.warc_dir, layout.items_root)["versions"] == 1
    assert state.version(url).number == 2  # the next change is version 3, not 2 again
    assert not (layout.items_dir(Run.run_id) / UNCOMMITTED_MARK).exists()
    assert state.catch_up(layout.warc_dir, layout.items_root)["versions"] == 0
    state.close()


def test_a_prepared_replay_collection_follows_each_merge(tmp_path: Path) -> None:
    from archive.replay.collection import prepare_collection, refresh_collections

    layout = ArchiveLayout(tmp_path / "a")
    write_run(layout, 0)
    merge.update_index(layout)
    coll = prepare_collection(layout.root, layout.replay_dir)
    new = write_run(layout, 1)
    update = merge.update_index(layout)
    assert refresh_collections(layout.root, update.merged) == [coll]
    assert (coll / "indexes" / "index.cdxj").read_bytes() == layout.index_path.read_bytes()
    assert all((coll / "archive" / p.name).resolve() == p.resolve() for p in new)


def test_verify_since_reads_only_the_new_files(tmp_path: Path) -> None:
    layout = ArchiveLayout(tmp_path / "a")
    old = write_run(layout, 0)
    merge.update_index(layout)
    body = gzip.compress("<p>0 0 嵊州</p>".encode() * 40, mtime=0)  # run 0's first page
    when = START + timedelta(days=1)
    writer = WarcFileWriter(layout.warc_dir, prefix="SZ", host="crawl1", max_size=10**6,
                            warcinfo_fields={"software": "t"}, clock=lambda: when,
                            index_dir=layout.file_index_dir)
    for n, (digest_of, refers_date) in enumerate(((body, START), (b"other", START))):
        writer.write(revisit_records(
            exchange(f"{HOST}/dup{n}.shtml", digest_of, when), revisit_id=writer.record_id(),
            request_id=writer.record_id(), profile=PROFILE_IDENTICAL_PAYLOAD,
            refers_to_uri=f"{HOST}/sznews/0.shtml", refers_to_date=refers_date,
            refers_to_record_id=None, payload_digest=payload_digest(digest_of)))
    writer.close()
    merge.update_index(layout)
    for path in old:  # older files unreadable: --since never opens them
        path.write_bytes(b"\x1f\x8bnot a warc")
    out = tmp_path / "out.txt"
    with open(out, "w") as fh, contextlib.redirect_stdout(fh):
        status = verify_main([str(layout.root), "--since", "20240502T000000Z"])
    text = out.read_text()
    # The first revisit's original is found in the index; the second has none anywhere.
    assert status == 1 and "1 files, 5 records" in text and "; 1 failures" in text
    assert "revisit of http://sznews.zjol.com.cn/sznews/0.shtml: its original is neither" in text
    assert text.count("its original is neither") == 1
