"""`python -m archive wacz`: a WACZ that `wacz validate` accepts, with pages from the items."""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.wacz import (
    PAGES_HEADER,
    WaczError,
    build_wacz,
    find_wacz_cli,
    main,
    validate_wacz,
)
from tests.test_archive_verify import (
    ARTICLE,
    ARTICLE_TITLE,
    RUN1,
    SECTION,
    SECTION_NAME_NEW,
    Built,
    build_archive,
)

CREATED = datetime(2026, 2, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def built(tmp_path: Path) -> Built:
    return build_archive(tmp_path / "archive")


@pytest.fixture
def wacz_file(built: Built, tmp_path: Path) -> Path:
    out = tmp_path / "out" / "sznews.wacz"
    build_wacz(built.dir, out, title="test collection", created=CREATED)
    return out


def read_pages(path: Path) -> list[dict]:
    with zipfile.ZipFile(path) as zf:
        text = zf.read("pages/pages.jsonl").decode("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def iso_ms(date: datetime) -> str:
    return date.strftime("%Y-%m-%dT%H:%M:%S.") + f"{date.microsecond // 1000:03d}Z"


def test_layout_and_storage(built: Built, wacz_file: Path) -> None:
    with zipfile.ZipFile(wacz_file) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        warcs = [f"archive/{p.name}" for p in built.files]
        assert sorted(infos) == sorted([
            *warcs, "indexes/index.cdx.gz", "indexes/index.idx", "pages/pages.jsonl",
            "datapackage.json", "datapackage-digest.json"])
        for name, path in zip(warcs, built.files, strict=True):
            assert infos[name].compress_type == zipfile.ZIP_STORED  # seekable for replay
            assert zf.read(name) == path.read_bytes()
        assert infos["indexes/index.cdx.gz"].compress_type == zipfile.ZIP_STORED

        package = json.loads(zf.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1"
        assert package["profile"] == "data-package"
        assert package["title"] == "test collection"
        assert package["created"] == "2026-02-01T12:00:00Z"
        listed = {r["path"]: r for r in package["resources"]}
        assert set(listed) == set(infos) - {"datapackage.json", "datapackage-digest.json"}
        for path, resource in listed.items():
            data = zf.read(path)
            assert resource["bytes"] == len(data)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        digest = json.loads(zf.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(zf.read("datapackage.json")).hexdigest()


def test_index_holds_the_archive_index(built: Built, wacz_file: Path) -> None:
    with zipfile.ZipFile(wacz_file) as zf:
        blocks = gzip.decompress(zf.read("indexes/index.cdx.gz")).decode("utf-8")
        idx = zf.read("indexes/index.idx").decode("utf-8").splitlines()
    assert blocks == (built.dir / "index.cdxj").read_text("utf-8")
    assert json.loads(idx[0].split(" ", 2)[2]) == {"format": "cdxj-gzip-1.0",
                                                   "filename": "index.cdx.gz"}
    assert json.loads(idx[1].split(" ", 2)[2])["offset"] == 0


def test_pages_list_every_item_with_title_and_capture_time(built: Built,
                                                          wacz_file: Path) -> None:
    header, *pages = read_pages(wacz_file)
    assert header == PAGES_HEADER == {"format": "json-pages-1.0", "id": "pages",
                                      "title": "All Pages", "hasText": True}
    by_url = {p["url"]: p for p in pages}
    assert len(by_url) == len(pages) == 2  # the section's newer item replaces the older
    assert by_url[ARTICLE]["title"] == ARTICLE_TITLE
    assert by_url[ARTICLE]["ts"] == iso_ms(built.dates["article"])
    # Newest run wins: its name, and the time of the revisit it points at.
    assert by_url[SECTION]["title"] == SECTION_NAME_NEW
    assert by_url[SECTION]["ts"] == iso_ms(built.dates["section_revisit"])
    assert all(p["id"] for p in pages) and len({p["id"] for p in pages}) == 2


def test_item_without_pointer_falls_back_to_fetched(built: Built, tmp_path: Path) -> None:
    path = built.dir / "items" / RUN1 / "articles.jsonl"
    item = json.loads(path.read_text("utf-8"))
    item["warc"] = None
    path.write_text(json.dumps(item, ensure_ascii=False) + "\n", "utf-8")
    result = build_wacz(built.dir, tmp_path / "x.wacz")
    page = next(p for p in result.pages if p.url == ARTICLE)
    assert page.ts == item["fetched"]
    assert any("no warc pointer" in w for w in result.warnings)


@pytest.mark.skipif(find_wacz_cli() is None, reason="py-wacz (`wacz` command) not installed")
def test_wacz_validate_accepts_it(wacz_file: Path) -> None:
    accepted, output = validate_wacz(wacz_file)
    assert accepted, output


@pytest.mark.skipif(find_wacz_cli() is None, reason="py-wacz (`wacz` command) not installed")
def test_wacz_validate_rejects_a_tampered_copy(wacz_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.wacz"
    with zipfile.ZipFile(wacz_file) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/pages.jsonl":
                data += b'{"url": "http://example.com/", "ts": "2026-01-01T00:00:00Z"}\n'
            dst.writestr(info, data)
    accepted, _ = validate_wacz(bad)
    assert not accepted


def test_cli_writes_atomically_and_replaces(built: Built, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cli" / "site.wacz"
    out.parent.mkdir()
    out.write_bytes(b"old")
    args = [str(built.dir), "-o", str(out)]
    if find_wacz_cli() is not None:
        args.append("--validate")
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "2 WARC files" in printed and "2 pages" in printed
    assert zipfile.is_zipfile(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["site.wacz"]  # no temp left


def test_unfinished_warc_is_refused_and_nothing_is_written(built: Built, tmp_path: Path,
                                                           capsys) -> None:
    (built.dir / "warc" / "sznews-20260104000000000-00003-test.warc.gz.open").write_bytes(b"")
    out = tmp_path / "o" / "x.wacz"
    with pytest.raises(WaczError, match="unfinished"):
        build_wacz(built.dir, out)
    assert main([str(built.dir), "-o", str(out)]) == 1
    assert "unfinished" in capsys.readouterr().err
    assert not out.exists()
    assert not out.parent.exists() or not list(out.parent.iterdir())


def test_the_pages_texts_are_never_all_in_memory(built: Built, tmp_path: Path) -> None:
    """Years of articles: pages.jsonl is written a page at a time, each text read again from
    its item line, so the peak stays far below the texts' size (tracemalloc counts
    allocations, not time: the same on a busy machine)."""
    import tracemalloc

    run = built.dir / "items" / "20990101T000000Z"
    run.mkdir(parents=True)
    body = "嵊州新闻" * 2500  # 10,000 characters, 30 kB of UTF-8
    count = 400
    with open(run / "articles.jsonl", "w", encoding="utf-8") as fh:
        for i in range(count):
            fh.write(json.dumps({"url": f"{ARTICLE}?n={i}", "title": f"第{i}篇", "body": body,
                                 "fetched": "2099-01-01T00:00:00Z", "warc": None},
                                ensure_ascii=False) + "\n")
    texts = count * len(body.encode("utf-8"))  # 12 MB
    tracemalloc.start()
    try:
        result = build_wacz(built.dir, tmp_path / "big.wacz")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < texts / 3, (peak, texts)  # measured: 2.7 MB here, 37 MB holding them
    pages = {p["url"]: p for p in read_pages(result.path)[1:]}
    assert pages[f"{ARTICLE}?n={count - 1}"]["text"].startswith(f"第{count - 1}篇\n{body}\n")
