"""A WACZ laid out as an ARCHIVE_DIR, so that qa replays exactly what ReplayWeb.page would."""

from __future__ import annotations

import contextlib
import gzip
import json
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from archive.layout import ArchiveLayout
from archive.qa.pages import PageJob, QaSetupError
from archive.replay.urls import wayback_timestamp


def unpack_wacz(wacz: Path, dest: Path, warnings: list[str]) -> list[PageJob]:
    """Lay a WACZ out as an ARCHIVE_DIR (warc/, index.cdxj) and list its pages.

    What is replayed is the WACZ's own content: its WARCs, its own index (the ZipNum blocks
    of indexes/*.cdx.gz, or a plain .cdxj) and pages/pages.jsonl, so a WACZ whose index or
    page list disagrees with its WARCs fails here as it would in ReplayWeb.page. Pages carry
    a title but no text, so only the title is looked for.
    """
    layout = ArchiveLayout(dest)
    warc_dir = layout.warc_dir
    warc_dir.mkdir(parents=True, exist_ok=True)
    pages: list[PageJob] = []
    try:
        with zipfile.ZipFile(wacz) as zf:
            index_lines = 0
            # Streamed line by line: a WACZ of a years-old archive has a big index.
            with open(layout.index_path, "wb") as index_out:
                for name in sorted(zf.namelist()):
                    path = PurePosixPath(name)
                    if path.parts[:1] == ("archive",) and path.name.endswith(
                            (".warc.gz", ".warc")):
                        with zf.open(name) as src, open(warc_dir / path.name, "wb") as out:
                            shutil.copyfileobj(src, out, 1 << 20)
                    elif path.parts[:1] == ("indexes",) and path.name.endswith(
                            (".cdx.gz", ".cdxj", ".cdx")):
                        with zf.open(name) as raw, (
                                gzip.open(raw) if name.endswith(".gz")
                                else contextlib.nullcontext(raw)) as src:
                            for line in src:
                                if line.strip():
                                    index_out.write(line.rstrip(b"\r\n") + b"\n")
                                    index_lines += 1
            if not index_lines:
                raise QaSetupError(f"{wacz} has no index under indexes/")
            try:
                listed = zf.read("pages/pages.jsonl").decode("utf-8").splitlines()
            except KeyError:
                raise QaSetupError(f"{wacz} has no pages/pages.jsonl") from None
    except (zipfile.BadZipFile, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise QaSetupError(f"{wacz} cannot be read as a WACZ: {exc}") from exc
    for lineno, line in enumerate(listed, 1):
        try:
            page = json.loads(line) if line.strip() else {}
        except json.JSONDecodeError:
            warnings.append(f"pages/pages.jsonl:{lineno}: not JSON, skipped")
            continue
        url, ts = page.get("url"), page.get("ts")
        if "format" in page or not isinstance(url, str) or not isinstance(ts, str):
            continue  # the header line, or a page that names no capture
        title = page.get("title")
        pages.append(PageJob("page", url, url, wayback_timestamp(ts),
                             str(title) if title and title != url else None, None))
    return pages
