"""What qa tells the user: progress while pages load, then the bad pages and a summary line."""

from __future__ import annotations

from typing import IO, Any


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    bad = [row for row in rows if not row["whole"]]
    return {
        "pages": len(rows),
        "articles": sum(row["kind"] == "article" for row in rows),
        "sections": sum(row["kind"] == "section" for row in rows),
        "whole": len(rows) - len(bad),
        "bad": len(bad),
        "resources": sum(row["resources"] for row in rows),
        "failed": sum(len(row["failed"]) for row in rows),
        "leaks": sum(len(row["leaks"]) for row in rows),
    }


def summary_line(summary: dict[str, Any]) -> str:
    other = summary["pages"] - summary["articles"] - summary["sections"]
    listed = f", {other} from pages.jsonl" if other else ""
    return (f"qa: {summary['pages']} pages checked ({summary['articles']} articles, "
            f"{summary['sections']} sections{listed}): {summary['whole']} whole, "
            f"{summary['bad']} bad; "
            f"{summary['resources']} resources loaded, {summary['failed']} failed, "
            f"{summary['leaks']} live-web requests")


def bad_table(rows: list[dict[str, Any]]) -> str:
    """The bad pages, each followed by the URLs that made it bad (what a user fixes)."""
    bad = [row for row in rows if not row["whole"]]
    if not bad:
        return ""
    lines = [f"{'kind':<8} {'status':>6} {'loaded':>6} {'failed':>6} {'leaks':>5}  "
             f"{'problems':<40} url"]
    for row in bad:
        lines.append(f"{row['kind']:<8} {row['status'] or '-'!s:>6} {row['resources']:>6} "
                     f"{len(row['failed']):>6} {len(row['leaks']):>5}  "
                     f"{', '.join(row['problems']):<40} {row['url']}")
        for failure in row["failed"]:
            why = failure.get("status") or failure.get("error")
            lines.append(f"{'':<10}failed {why}: {failure['url']}")
        for leak in row["leaks"]:
            lines.append(f"{'':<10}live web: {leak}")
    return "\n".join(lines)


class Progress:
    """One updating line on a terminal; a line per tenth of the run otherwise (logs, CI)."""

    def __init__(self, total: int, stream: IO[str] | None) -> None:
        self.total = total
        self.stream = stream
        self.tty = bool(stream is not None and stream.isatty())
        self.every = max(1, total // 10)

    def update(self, done: int, bad: int) -> None:
        if self.stream is None:
            return
        text = f"qa: {done}/{self.total} pages checked, {bad} bad"
        if self.tty:
            self.stream.write(f"\r{text}" + ("\n" if done == self.total else ""))
        elif done % self.every == 0 or done == self.total:
            self.stream.write(text + "\n")
        self.stream.flush()
