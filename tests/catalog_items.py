"""Item files made by hand for the catalogue's tests: an ARCHIVE_DIR with items/ only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SITE = "http://sznews.zjol.com.cn/sznews/system"


def article(n: int, title: str, body: str, *, version: int = 1, published: str = "2009-05-01",
            breadcrumb: tuple[str, ...] = ("嵊州新闻网", "新闻频道", "今日嵊州"),
            source: str | None = "嵊州新闻网", author: str | None = None) -> dict[str, Any]:
    url = f"{SITE}/{published[:4]}/{published[5:7]}/{published[8:10]}/0100{n:05d}.shtml"
    return {"url": url, "title": title, "source": source, "author": author, "editor": None,
            "published": f"{published}T08:00:00+08:00", "breadcrumb": list(breadcrumb),
            "body": body, "images": [], "pages": [url], "related": [],
            "fetched": "2026-12-01T01:02:03Z", "version": version,
            "warc": {"filename": "sznews-1.warc.gz", "offset": 100 * n, "length": 99,
                     "record_id": f"<urn:uuid:{n}>"}}


def section(name: str, breadcrumb: tuple[str, ...], url: str) -> dict[str, Any]:
    return {"url": url, "name": name, "breadcrumb": list(breadcrumb), "kind": "column",
            "parent": None, "list_pages": 1, "fetched": "2026-12-01T01:02:03Z", "warc": None}


def write_run(archive: Path, run_id: str, articles: list[dict[str, Any]],
              sections: list[dict[str, Any]] = (), *, mode: str = "w") -> None:  # type: ignore[assignment]
    folder = archive / "items" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    for name, items in (("articles", articles), ("sections", sections)):
        with open(folder / f"{name}.jsonl", mode, encoding="utf-8") as fh:
            for item in items:
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
