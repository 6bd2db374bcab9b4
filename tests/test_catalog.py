"""The catalogue on item files made by hand: search semantics, updates, rebuild, CLI."""

from __future__ import annotations

import importlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.__main__ import main
from archive.catalog import Filters, rebuild_catalog, search, update_catalog
from archive.catalog.schema import connect
from archive.catalog.text import fold, grams, han_bigrams, plan, snippet
from tests.catalog_items import article, section, write_run

ROOT = Path(__file__).resolve().parent.parent
RUN1, RUN2 = "20261201T010203Z", "20261202T010203Z"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    write_run(tmp_path, RUN1, [
        article(1, "嵊州越剧节开幕", "越剧艺术节期间，来自全国各地的越剧爱好者齐聚剡溪两岸。",
                published="2009-05-01", author="记者 王喆"),
        article(2, "GDP增长5.2%", "全市GDP同比增长5.2%，iPhone销量上升。旧的说法。",
                published="2012-03-04", breadcrumb=("嵊州新闻网", "经济频道")),
        article(3, "剡溪边拍白鹭", "市民在剡溪边拍下白鹭，越剧唱段响起。“引号”与《书名》。",
                published="2020-07-08", source="嵊州日报"),
        article(4, "领带企业稳步发展", "浦口街道领带企业稳步发展。a\"b 与 50% 的增长。",
                published="2015-01-02"),
    ], [section("今日嵊州", ("嵊州新闻网", "新闻频道", "今日嵊州"),
                "http://sznews.zjol.com.cn/sznews/xwpd/jrsz/index.shtml")])
    update_catalog(tmp_path, RUN1)
    return tmp_path


def urls(archive: Path, query: str, **filters: str) -> set[str]:
    conn = connect(archive / "catalog.sqlite", readonly=True)
    try:
        return {h.url.rsplit("/", 1)[1] for h in search(conn, query, limit=None,
                                                         filters=Filters(**filters))}
    finally:
        conn.close()


def n(*numbers: int) -> set[str]:
    return {f"0100{i:05d}.shtml" for i in numbers}


@pytest.mark.parametrize(("query", "expected"), [
    ("越", n(1, 3)), ("越剧", n(1, 3)), ("越剧节", n(1)), ("剡溪", n(1, 3)),
    ("gdp", n(2)), ("GDP", n(2)), ("Gdp增长", n(2)), ("5.2%", n(2)), ("5", n(2, 4)),
    ("%", n(2, 4)), ("IPHONE", n(2)), ("“", n(3)), ("《书名》", n(3)), ('"', n(4)),
    ('a"b', n(4)), ("王喆", n(1)), ("嵊州日报", n(3)), ("记者", n(1)),
    ("越剧 白鹭", n(3)), ("越 白", n(3)), ("越剧　白鹭", n(3)), ("增长 50%", n(4)),
    ("量子", set()), ("越剧 量子计算", set()), ("嵊州越剧节开幕式", set()), ("", set()),
    ("   ", set()), ("Z", set()),
])
def test_search_finds_substrings_of_any_length(archive: Path, query: str,
                                               expected: set[str]) -> None:
    assert urls(archive, query) == expected


def test_filters_by_date_and_section(archive: Path) -> None:
    assert urls(archive, "剡溪", since="2010") == n(3)
    assert urls(archive, "剡溪", until="2009-12-31") == n(1)
    assert urls(archive, "增长", until="2012") == n(2)
    assert urls(archive, "增长", section="经济频道") == n(2)
    assert urls(archive, "增长", section="今日嵊州") == n(4)


def test_title_hits_come_first_with_a_marked_snippet(archive: Path) -> None:
    conn = connect(archive / "catalog.sqlite", readonly=True)
    hits = search(conn, "越剧", limit=None)
    assert [h.title for h in hits] == ["嵊州越剧节开幕", "剡溪边拍白鹭"]
    assert "«越剧»" in hits[0].snippet and "«越剧»" in hits[1].snippet
    long_hits = search(conn, "越剧艺", limit=None)
    assert long_hits[0].snippet.startswith("«越剧艺»")
    assert hits[0].replay == ("/sznews/20261201010203/" + hits[0].url)
    assert search(conn, "越剧", limit=1)[0].title == "嵊州越剧节开幕"


def test_a_word_most_articles_hold_ranks_by_title_then_date(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searching = importlib.import_module("archive.catalog.search")  # the package's `search`
    conn = connect(archive / "catalog.sqlite", readonly=True)
    write_run(archive, RUN2, [article(8, "又一篇", "越剧艺术的越剧艺术，越剧艺术",
                                      published="2001-01-01")])
    update_catalog(archive, RUN2)
    ranked = [h.title for h in search(conn, "越剧艺", limit=None)]
    assert ranked == ["又一篇", "嵊州越剧节开幕"]  # bm25: three hits in a short body
    monkeypatch.setattr(searching, "RELEVANCE_LIMIT", 1)
    assert [h.title for h in search(conn, "越剧艺", limit=None)] == ["嵊州越剧节开幕", "又一篇"]
    assert [h.title for h in search(conn, "越剧 剡溪", limit=None)] == [
        "剡溪边拍白鹭", "嵊州越剧节开幕"]  # newest first


def test_only_the_newest_version_is_searched_and_every_version_kept(archive: Path) -> None:
    old = article(2, "GDP增长5.2%", "全市GDP同比增长5.2%，iPhone销量上升。旧的说法。",
                  published="2012-03-04")
    new = dict(old, body="全市GDP同比增长5.3%。更正后的说法。", version=2,
               fetched="2026-12-02T01:02:03Z")
    write_run(archive, RUN2, [new, article(9, "新闻", "新的一天", published="2026-12-02")])
    added = update_catalog(archive, RUN2)
    assert (added.articles, added.sections) == (2, 0)
    assert urls(archive, "旧的说法") == set() and urls(archive, "旧") == set()
    assert urls(archive, "更正后") == n(2) and urls(archive, "5.3") == n(2)
    assert urls(archive, "新的") == n(9)
    conn = connect(archive / "catalog.sqlite", readonly=True)
    rows = conn.execute("SELECT version, newest, run_id, replay FROM articles WHERE url = ?"
                        " ORDER BY version", (new["url"],)).fetchall()
    assert [tuple(r) for r in rows] == [
        (1, 0, RUN1, f"/sznews/20261201010203/{new['url']}"),
        (2, 1, RUN2, f"/sznews/20261202010203/{new['url']}")]
    assert search(conn, "5.3", limit=None)[0].version == 2


def test_update_is_idempotent_and_reads_only_what_is_new(archive: Path) -> None:
    before = dump(archive)
    assert update_catalog(archive, RUN1).articles == 0
    assert dump(archive) == before
    # A resumed run appends; a line still being written (no newline) waits for the next update.
    path = archive / "items" / RUN1 / "articles.jsonl"
    line = json.dumps(article(5, "追加", "续跑追加的文章"), ensure_ascii=False)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line[:20])
    assert update_catalog(archive, RUN1).articles == 0
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line[20:] + "\n" + "not json\n")
    added = update_catalog(archive, RUN1)
    assert (added.articles, added.skipped) == (1, 1)
    assert urls(archive, "续跑") == n(5)
    # A rerun of the same run id that rewrote its file from the start adds nothing twice.
    path.write_text(line + "\n", encoding="utf-8")
    assert update_catalog(archive, RUN1).articles == 0
    assert len(dump(archive)["articles"]) == 5


def test_rebuild_gives_what_the_updates_built(archive: Path, tmp_path: Path) -> None:
    new = dict(article(3, "剡溪边拍白鹭", "改过的正文", published="2020-07-08"), version=2)
    write_run(archive, RUN2, [new])
    update_catalog(archive, RUN2)
    incremental = dump(archive)
    rebuild_catalog(archive)
    assert dump(archive) == incremental
    assert urls(archive, "改过") == n(3) and urls(archive, "白鹭") == n(3)
    assert urls(archive, "唱段") == set()


def test_a_run_whose_catalogue_update_was_missed_is_added_by_the_next_run(
    tmp_path: Path,
) -> None:
    """A failed update (or an archive older than its catalogue) is caught up at the next
    run's end, in run order, and only the runs after the last one catalogued are read."""
    run3 = "20261203T010203Z"
    write_run(tmp_path, RUN1, [article(1, "第一天", "第一天的正文")])
    write_run(tmp_path, RUN2, [article(2, "第二天", "第二天的正文"),
                               dict(article(1, "第一天", "改过的正文"), version=2)])
    write_run(tmp_path, run3, [article(3, "第三天", "第三天的正文")])
    update_catalog(tmp_path, RUN1)
    # RUN2's end did not update the catalogue. A line added to RUN1's file since would be
    # found only if a later run read RUN1's file again, which it must not.
    with (tmp_path / "items" / RUN1 / "articles.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(article(7, "第七篇", "不该再读"), ensure_ascii=False) + "\n")
    added = update_catalog(tmp_path, run3)
    assert added.articles == 3
    assert urls(tmp_path, "第七篇") == set()
    assert urls(tmp_path, "改过") == n(1) and urls(tmp_path, "第一天的") == set()
    assert urls(tmp_path, "第二天") == n(2) and urls(tmp_path, "第三天") == n(3)


def dump(archive: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(archive / "catalog.sqlite")
    out = {}
    for table, key in (("articles", "url, version"), ("sections", "url"),
                       ("breadcrumbs", "article_id, depth"), ("catalog_files", "run_id, kind")):
        out[table] = [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY {key}")]
    conn.close()
    return out


def test_hierarchy_links_articles_to_their_sections(archive: Path) -> None:
    conn = connect(archive / "catalog.sqlite", readonly=True)
    rows = conn.execute("SELECT a.title, s.depth, s.name, s.section_url FROM article_sections s"
                        " JOIN articles a ON a.id = s.article_id WHERE a.title = '剡溪边拍白鹭'"
                        " ORDER BY s.depth").fetchall()
    assert [tuple(r) for r in rows] == [
        ("剡溪边拍白鹭", 0, "嵊州新闻网", None), ("剡溪边拍白鹭", 1, "新闻频道", None),
        ("剡溪边拍白鹭", 2, "今日嵊州", "http://sznews.zjol.com.cn/sznews/xwpd/jrsz/index.shtml")]


def test_text_helpers() -> None:
    assert fold("GDP和ＡＢ") == "gdp和ａｂ" and len(fold("İx")) == 2
    assert plan("越 越剧 越剧团 越").short == ["越", "越剧"]
    assert plan("越 越剧 越剧团").long == ["越剧团"]
    assert set(grams(["Ab越"]).split()) == {"a", "b", "越", "ab", "b越"}
    assert set(grams(["a b"]).split()) == {"a", "b", "\U000f0020", "a\U000f0020",
                                           "\U000f0020b"}
    assert snippet("甲乙丙丁", ["乙"], width=10) == "甲«乙»丙丁"
    assert han_bigrams("越剧团，GDP越剧。剧") == ["剧团", "越剧"]
    assert plan("越剧团 A").gram_prefilter() == '"a" AND "越剧" AND "剧团"'
    assert plan(" ").gram_prefilter() is None


def test_cli_search_json_and_errors(archive: Path, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "archive", "search", str(archive), "越剧",
                           "--json", "--limit", "5"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["title"] for r in rows] == ["嵊州越剧节开幕", "剡溪边拍白鹭"]
    for row in rows:
        assert {"url", "title", "published", "version", "snippet", "replay"} <= set(row)
        assert row["replay"] == f"/sznews/20261201010203/{row['url']}"
    missing = subprocess.run([sys.executable, "-m", "archive", "search", str(tmp_path / "no"),
                              "越剧"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "catalog" in missing.stderr
    with pytest.raises(SystemExit):
        main(["search", str(archive), "x", "--since", "yesterday"])


def test_cli_catalog_rebuilds(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (archive / "catalog.sqlite").unlink()
    assert main(["catalog", str(archive)]) == 0
    assert "4 article versions" in capsys.readouterr().out
    assert urls(archive, "越剧") == n(1, 3)


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


class _Run:
    def __init__(self, root: Path, run_id: str) -> None:
        from archive.layout import ArchiveLayout

        self.layout = ArchiveLayout(root)
        self.run_id = run_id
        self.failures: list[str] = []

    def log_write_failure(self, logger: object, what: str, exc: BaseException) -> None:
        self.failures.append(f"{what}: {exc}")


def test_run_end_adds_the_run_and_counts_a_failure(archive: Path) -> None:
    from crawler.run.end import RunEnd

    write_run(archive, RUN2, [article(7, "第七篇", "七")])
    end = RunEnd(_Run(archive, RUN2), _Stats())  # type: ignore[arg-type]
    end._update_catalog()
    assert end.stats.values == {"catalog/articles_added": 1, "catalog/sections_added": 0}
    assert urls(archive, "七") == n(7)
    (archive / "catalog.sqlite").unlink()
    (archive / "catalog.sqlite").mkdir()  # cannot be opened: the run's end goes on
    broken = RunEnd(_Run(archive, RUN2), _Stats())  # type: ignore[arg-type]
    broken._update_catalog()
    assert broken.stats.values == {"run/end_errors/catalog": 1}
    assert "catalogue" in broken.run.failures[0]


def test_an_archive_whose_path_looks_like_a_uri(tmp_path: Path) -> None:
    odd = tmp_path / "a?mode=rw #b"
    write_run(odd, RUN1, [article(1, "越剧", "正文")])
    update_catalog(odd, RUN1)
    assert urls(odd, "越剧") == n(1)


def test_a_rebuild_after_a_killed_update_is_not_rolled_back(archive: Path) -> None:
    """A killed update leaves a hot journal beside catalog.sqlite; SQLite would play it back
    into whatever file has that name, the rebuilt one included."""
    write_run(archive, RUN2, [article(9, "第九篇", "第九篇的正文")])
    killed = subprocess.run([sys.executable, "-c", """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("PRAGMA cache_size=1")  # pages reach the file, their old images the journal
conn.execute("BEGIN")
conn.execute("DELETE FROM articles")
conn.execute("DELETE FROM breadcrumbs")
os._exit(9)  # killed mid-update
""", str(archive / "catalog.sqlite")], check=False)
    assert killed.returncode == 9
    assert (archive / "catalog.sqlite-journal").stat().st_size > 0
    rebuild_catalog(archive)
    assert not (archive / "catalog.sqlite-journal").exists()
    conn = sqlite3.connect(archive / "catalog.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert urls(archive, "第九篇") == n(9) and urls(archive, "越剧") == n(1, 3)
