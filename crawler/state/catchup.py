"""What the WARCs and item files hold, as state rows: for ``CaptureState.catch_up``.

A kill can land between a record reaching its WARC and its row reaching the state, or an
item line reaching its file and its version row reaching the state. These readers turn the
part of a file beyond what the state has folded into the rows the live crawl would have
written for it, so the next run sees exactly what the disk holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from archive.captures import warc_run
from archive.fastread import scan_records
from archive.reader import ArchiveReadError
from crawler.items import content_key
from crawler.state.records import Capture, Payload, Version


def warc_captures_after(
    path: Path, start: int
) -> Iterator[tuple[Capture | None, Payload | None, int]]:
    """(capture, payload original, end offset) of every record from ``start`` on.

    As the live crawl records them: a 200 response is the URL's capture and the original of
    its payload; other records only move the offset on. A damaged tail (the writer recovers
    ``.open`` files before this runs, so only a file damaged by other means) ends the scan.
    """
    run_id = warc_run(path)
    try:
        for record in scan_records(path, start):
            end = record.offset + record.length
            http = record.http_headers
            if record.rec_type != "response" or http is None or http.get_statuscode() != "200":
                yield None, None, end
                continue
            headers = record.rec_headers
            url = headers.get_header("WARC-Target-URI") or ""
            digest = headers.get_header("WARC-Payload-Digest")
            date = headers.get_header("WARC-Date") or ""
            record_id = headers.get_header("WARC-Record-ID")
            capture = Capture(
                url=url,
                status=200,
                digest=digest,
                etag=http.get_header("ETag"),
                last_modified=http.get_header("Last-Modified"),
                warc_date=date,
                record_id=record_id,
                run_id=run_id,
            )
            payload = None
            if digest:  # exact date and id from the record itself: nothing to resolve later
                payload = Payload(digest, url, date, record_id)
            yield capture, payload, end
    except ArchiveReadError:
        return


def item_lines_after(path: Path, start: int) -> Iterator[tuple[str, Version, int]]:
    """(url, version, end offset) of every whole article line from ``start`` on."""
    run_id = path.parent.name
    with path.open("rb") as fh:
        fh.seek(start)
        offset = start
        for line in fh:
            if not line.endswith(b"\n"):
                return  # cut by a kill: the exporter removes it before writing on
            offset += len(line)
            try:
                item = json.loads(line)
                url, number = item["url"], int(item.get("version") or 1)
            except (ValueError, KeyError, TypeError):
                continue
            yield url, Version(number, run_id, content_key(item)), offset
