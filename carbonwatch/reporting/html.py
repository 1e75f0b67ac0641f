"""`carbonwatch report`: one static, self-contained HTML file with inline SVG charts.

No CDN, no web fonts, no network: every chart is SVG generated here, and the page's
Content-Security-Policy forbids loading anything (default-src 'none'). A small inline script
only *checks* the charts once the browser has laid them out (it counts the drawn marks into
#render-check), which the tests read from headless Chromium.

Charts: target years by sector (peak / carbon-neutral / net-zero), changes over time (alerts
per month by kind), coverage of each metric. Tables: the report's aggregate tables, recent
changes with both evidences, every company's targets.
"""
from __future__ import annotations

import html
import math
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from common.metrics import METRIC_TABLE
from warehouse.db import rows

METRIC_COLORS = {spec.name: spec.colour for spec in METRIC_TABLE}
CHANGE_COLORS = {"changed": "#0072b2", "added": "#009e73", "withdrawn": "#d55e00"}
METRIC_LABELS = {spec.name: spec.label for spec in METRIC_TABLE}

e = html.escape


def _svg(width: int, height: int, body: list[str], title: str, chart_id: str) -> str:
    return (f'<svg class="chart" id="{chart_id}" role="img" aria-label="{e(title)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">' + "".join(body) + "</svg>")


def _text(x, y, s, anchor="start", size=11, cls="lbl", extra="") -> str:
    return f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" {extra}>{e(str(s))}</text>'


def _legend(x: float, y: float, items: dict[str, str], labels: dict[str, str] | None = None) -> list[str]:
    out = []
    for name, color in items.items():
        out.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{color}"/>')
        label = (labels or {}).get(name, name)
        out.append(_text(x + 14, y, label))
        x += 24 + 6.5 * len(label)
    return out


def chart_target_years(con) -> str:
    """Dot plot: one band per sector, one line per metric, a dot per year sized by companies."""
    # companies of later seed reports have no sector of the 100-case report: one band of their own
    data = rows(con, "SELECT coalesce(c.sector, 'other reports') AS sector, h.metric, h.year, count(DISTINCT h.case_no) AS n "
                     "FROM target_history h JOIN companies c USING (case_no) "
                     "WHERE h.is_current AND h.metric IN ('peak', 'carbon_neutral', 'net_zero') AND h.year IS NOT NULL "
                     "GROUP BY ALL ORDER BY ALL")
    sectors = [r["sector"] for r in rows(con, "SELECT DISTINCT coalesce(sector, 'other reports') AS sector "
                                                  "FROM companies ORDER BY sector NULLS LAST")]
    metrics = ["peak", "carbon_neutral", "net_zero"]
    years = [r["year"] for r in data] or [2030, 2060]
    lo, hi = min(2020, min(years)), max(2065, max(years))
    lo, hi = 5 * (lo // 5), 5 * math.ceil(hi / 5)
    left, right, top, band = 110, 20, 30, 66
    width = 760
    height = top + band * max(len(sectors), 1) + 40
    x = lambda yr: left + (yr - lo) / (hi - lo) * (width - left - right)  # noqa: E731
    body = _legend(left, 16, {m: METRIC_COLORS[m] for m in metrics}, METRIC_LABELS)
    for yr in range(lo, hi + 1, 5):
        body.append(f'<line class="grid" x1="{x(yr):.1f}" x2="{x(yr):.1f}" y1="{top}" y2="{height - 30}" stroke="#ddd"/>')
        body.append(_text(x(yr), height - 14, yr, "middle"))
    for i, sector in enumerate(sectors):
        y0 = top + i * band
        body.append(_text(left - 8, y0 + band / 2 + 4, sector, "end", 12))
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y0 + band:.1f}" y2="{y0 + band:.1f}" stroke="#bbb"/>')
        for j, m in enumerate(metrics):
            cy = y0 + 14 + j * 18
            for r in (r for r in data if r["sector"] == sector and r["metric"] == m):
                rad = 3 + 2.2 * math.sqrt(r["n"])
                body.append(f'<circle class="mark" cx="{x(r["year"]):.1f}" cy="{cy:.1f}" r="{rad:.1f}" '
                            f'fill="{METRIC_COLORS[m]}" fill-opacity="0.8"><title>{e(sector)} · '
                            f'{METRIC_LABELS[m]} {r["year"]}: {r["n"]} companies</title></circle>')
    return _svg(width, height, body, "Target years by sector", "chart-target-years")


def chart_changes(con) -> str:
    """Stacked bars: alerts per month by kind of change."""
    data = rows(con, "SELECT strftime(date_trunc('month', created_at), '%Y-%m') AS month, change, count(*) AS n "
                     "FROM alerts GROUP BY ALL ORDER BY ALL")
    months = sorted({r["month"] for r in data})
    width, height, left, top, bottom = 760, 260, 50, 30, 40
    body = _legend(left, 16, CHANGE_COLORS)
    if not months:
        body.append(_text(width / 2, height / 2, "no target changes yet", "middle", 13))
        return _svg(width, height, body, "Changes over time", "chart-changes")
    totals = {m: sum(r["n"] for r in data if r["month"] == m) for m in months}
    ymax = max(totals.values())
    plot_h = height - top - bottom
    slot = (width - left - 20) / len(months)
    bar_w = min(60.0, slot * 0.7)
    for t in range(0, ymax + 1, max(1, math.ceil(ymax / 5))):
        yy = top + plot_h - t / ymax * plot_h
        body.append(f'<line class="grid" x1="{left}" x2="{width - 20}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eee"/>')
        body.append(_text(left - 6, yy + 4, t, "end"))
    for i, m in enumerate(months):
        cx = left + slot * (i + 0.5)
        base = top + plot_h
        for kind in CHANGE_COLORS:
            n = sum(r["n"] for r in data if r["month"] == m and r["change"] == kind)
            if not n:
                continue
            h = n / ymax * plot_h
            base -= h
            body.append(f'<rect class="mark" x="{cx - bar_w / 2:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                        f'height="{h:.1f}" fill="{CHANGE_COLORS[kind]}"><title>{m}: {n} {kind}</title></rect>')
        body.append(_text(cx, height - bottom + 16, m, "middle"))
    return _svg(width, height, body, "Changes over time", "chart-changes")


def chart_coverage(con) -> str:
    """Horizontal bars: share of companies with each metric among their current targets."""
    data = rows(con, "SELECT * FROM v_metric_coverage")
    left, top, bar, gap, width = 200, 10, 18, 8, 760
    height = top + len(data) * (bar + gap) + 10
    scale = (width - left - 70) / 100
    body = []
    for i, r in enumerate(data):
        y = top + i * (bar + gap)
        body.append(_text(left - 8, y + bar - 4, METRIC_LABELS.get(r["metric"], r["metric"]), "end", 12))
        w = max(float(r["pct"] or 0) * scale, 0.0)
        body.append(f'<rect class="track" x="{left}" y="{y}" width="{100 * scale:.1f}" height="{bar}" fill="#f2f2f2"/>')
        if r["with_metric"]:
            body.append(f'<rect class="mark" x="{left}" y="{y}" width="{max(w, 1.0):.1f}" height="{bar}" '
                        f'fill="{METRIC_COLORS.get(r["metric"], "#888")}"><title>{r["metric"]}: {r["with_metric"]} of '
                        f'{r["companies"]} companies</title></rect>')
        body.append(_text(left + w + 6, y + bar - 4, f'{r["pct"] or 0}% ({r["with_metric"]})'))
    return _svg(width, height, body, "Coverage of each metric", "chart-coverage")


def _table(data: list[dict], columns: list[str] | None = None, limit: int | None = None) -> str:
    if not data:
        return "<p class='empty'>none</p>"
    columns = columns or list(data[0])
    head = "".join(f"<th>{e(c)}</th>" for c in columns)
    body = []
    for r in data[:limit]:
        cells = []
        for c in columns:
            v = r.get(c)
            v = "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))
            cells.append(f"<td>{e(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


CSS = """
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
.kpis{display:flex;gap:1rem;flex-wrap:wrap}.kpi{background:#f6f8fa;border-radius:6px;padding:.6rem 1rem}
.kpi b{display:block;font-size:1.4rem}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
table{display:block;overflow-x:auto;max-width:100%}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
svg.chart{display:block;max-width:100%;height:auto}svg text{fill:#333;font-family:inherit}
#render-check{display:none}.note{color:#666;font-size:.85rem}
"""

# Runs in the browser after layout: count the marks each chart really drew (non-empty boxes).
CHECK_JS = """
window.addEventListener('load', function () {
  var out = {};
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var box = svg.getBoundingClientRect(), drawn = 0;
    svg.querySelectorAll('.mark').forEach(function (m) {
      var b = m.getBBox();
      if (b.width > 0 && b.height > 0) { drawn++; }
    });
    out[svg.id] = {width: Math.round(box.width), height: Math.round(box.height), marks: drawn};
  });
  document.getElementById('render-check').textContent = JSON.stringify(out);
});
"""


def build_report(con, title: str = "carbonwatch — corporate climate targets", progress: bool = True) -> str:
    steps = [
        ("summary", lambda: _summary(con)),
        ("target years", lambda: chart_target_years(con)),
        ("changes", lambda: chart_changes(con)),
        ("coverage", lambda: chart_coverage(con)),
        ("report tables", lambda: _table(rows(con, "SELECT * FROM v_report_tables WHERE report_table LIKE '%by_sector' "
                                                   "ORDER BY report_table, sector"))),
        ("recent changes", lambda: _table(rows(con, "SELECT created_at, company, sector, metric, change, old_value, "
                                                    "new_value, old_evidence, new_evidence, new_document_url, new_page "
                                                    "FROM v_target_changes ORDER BY created_at DESC, case_no LIMIT 100"))),
        ("company targets", lambda: _table(rows(con, "SELECT case_no, company, sector, industry, peak_year, "
                                                     "carbon_neutral_year, net_zero_year, re100, green_power_share_pct, "
                                                     "sbti, interim_target FROM v_company_targets ORDER BY case_no"))),
    ]
    parts = {}
    for name, fn in tqdm(steps, desc="report", unit="section", disable=not progress):
        parts[name] = fn()
    generated = datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{CSS}</style></head>
<body>
<h1>{e(title)}</h1>
<p class="note">Generated {generated} from the carbonwatch warehouse. Self-contained: no external resources.</p>
{parts['summary']}
<h2>Target years by sector</h2>
<p class="note">Current peak, carbon-neutral and net-zero years; a dot's area grows with the number of companies.</p>
{parts['target years']}
<h2>Changes over time</h2>
<p class="note">Change alerts per month (a target's year moved, a target added or withdrawn, RE100 joined or left, a share changed beyond rounding).</p>
{parts['changes']}
<h2>Coverage of each metric</h2>
<p class="note">Share of companies with at least one current target or figure of each kind.</p>
{parts['coverage']}
<h2>Report tables</h2>
{parts['report tables']}
<h2>Recent changes</h2>
{parts['recent changes']}
<h2>Company targets</h2>
{parts['company targets']}
<pre id="render-check"></pre>
<script>{CHECK_JS}</script>
</body></html>
"""


def _summary(con) -> str:
    n = {k: con.execute(sql).fetchone()[0] for k, sql in {
        "companies": "SELECT count(*) FROM companies",
        "documents": "SELECT count(*) FROM documents WHERE parse_status = 'parsed'",
        "facts": "SELECT count(*) FROM facts",
        "current targets": "SELECT count(*) FROM target_history WHERE is_current",
        "changes": "SELECT count(*) FROM alerts",
    }.items()}
    last = con.execute("SELECT max(finished_at) FROM runs WHERE status = 'success'").fetchone()[0]
    kpis = "".join(f'<div class="kpi"><b>{v}</b>{e(k)}</div>' for k, v in n.items())
    return f'<div class="kpis">{kpis}</div><p class="note">Last completed run: {e(str(last or "—"))}</p>'


def write_report(con, out: str | Path, progress: bool = True) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(build_report(con, progress=progress), encoding="utf-8")
    tmp.replace(out)
    return out
