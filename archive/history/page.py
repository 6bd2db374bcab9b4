"""The history page: matplotlib charts as inline SVG, a table of runs, nothing to fetch."""

from __future__ import annotations

import html
import io
import os
import re
from pathlib import Path

import matplotlib
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from archive.history.runs import SERIES, Run

_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
STATUS_COLOURS = {"ok": "#2e7d32", "warning": "#ef6c00", "failed": "#c62828",
                  "unjudged": "#757575"}
# Nothing may leave the page: no script, no font, no image from anywhere but itself.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr));
  gap: 1em; }
figure { margin: 0; } figcaption { font-weight: bold; margin-bottom: .3em; }
svg { width: 100%; height: auto; }
table { border-collapse: collapse; margin-top: 1.5em; }
td, th { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
.status { font-weight: bold; }
"""


def chart(name: str, runs: list[Run]) -> str:
    """One chart as SVG: a line with one marker per run for each of its series.

    Each series is an SVG group ``series-<n>`` holding one marker (``<use>``) per run with a
    value; ids are salted per chart, so several charts share one page without clashing.
    """
    slug = "".join(c if c.isalnum() else "-" for c in name.lower())
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": slug}):
        fig = Figure(figsize=(6, 2.6), layout="constrained")
        ax = fig.add_subplot()
        for n, (label, _read) in enumerate(SERIES[name].items()):
            points = [(r.when, r.values[f"{name}/{label}"]) for r in runs]
            points = [(w, v) for w, v in points if v is not None]
            ax.plot([w for w, _ in points], [v for _, v in points], marker="o", markersize=4,
                    label=label, gid=f"{slug}-series-{n}")
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
        if len(SERIES[name]) > 1:
            ax.legend(fontsize="small")
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    svg = svg[svg.index("<svg"):]  # no XML declaration or DOCTYPE inside HTML
    return _METADATA.sub("", svg)  # an RDF block naming outside vocabularies: not needed


def _row(run: Run, out_dir: Path) -> str:
    link = os.path.relpath(run.report, out_dir)
    alerts = "<br>".join(
        f"{html.escape(a.get('severity', ''))} {html.escape(a.get('check', ''))}: "
        f"{html.escape(a.get('message', ''))}" for a in run.alerts) or "&mdash;"
    colour = STATUS_COLOURS.get(run.status, "#222")
    return (f"<tr><td>{run.when:%Y-%m-%d %H:%M}</td><td>{html.escape(run.run_id)}</td>"
            f'<td class="status" style="color:{colour}">{html.escape(run.status)}</td>'
            f'<td>{alerts}</td><td><a href="{html.escape(link)}">report</a></td></tr>')


def render(runs: list[Run], title: str, out_dir: Path) -> str:
    charts = "\n".join(
        f'<figure class="chart" data-chart="{html.escape(name)}"><figcaption>'
        f"{html.escape(name)}</figcaption>{chart(name, runs)}</figure>" for name in SERIES)
    rows = "\n".join(_row(r, out_dir) for r in reversed(runs))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>{len(runs)} runs, one point per run in each chart.</p>
<div class="charts">
{charts}
</div>
<table id="runs"><thead><tr><th>Date</th><th>Run</th><th>Health</th><th>Alerts</th>
<th>Report</th></tr></thead><tbody>
{rows}
</tbody></table></body></html>
"""
