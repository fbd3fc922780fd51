"""The chart of a backtest report: recorded vs draft revenue per day, as one
self-contained HTML file with an inline SVG (no script, no external file)."""
from __future__ import annotations

from html import escape
from typing import Any

from ..pricing.money import format_dollars

__all__ = ["revenue_chart"]

_WIDTH, _HEIGHT = 900, 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 90, 20, 30, 60
_RECORDED, _DRAFT = "#4e79a7", "#e15759"
_MICROCENTS_PER_DOLLAR = 100_000_000


def _dollars(microcents: float) -> str:
    value = microcents / _MICROCENTS_PER_DOLLAR
    if abs(value) >= 1000:
        return f"${value:,.0f}"
    return f"${value:,.2f}"


def _ticks(top: int) -> list[int]:
    """About five round steps from 0 to at least `top` microcents."""
    if top <= 0:
        return [0, _MICROCENTS_PER_DOLLAR]
    raw = top / 5
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(0, -(-top // step) + 1)]


def revenue_chart(report: dict[str, Any]) -> str:
    """The HTML page of a report of `celprice.usage.replay.backtest`."""
    days = report["days"]
    recorded = [day["recorded"]["total"] for day in days]
    draft = [day["draft"]["total"] for day in days]
    ticks = _ticks(max([*recorded, *draft, 0]))
    top = ticks[-1]
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM

    def x(i: int) -> float:
        return _LEFT + (plot_w * i / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    def y(value: int) -> float:
        return _TOP + plot_h - plot_h * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" '
        f'height="{_HEIGHT}" role="img" aria-label="recorded and draft revenue per day" '
        'font-family="sans-serif" font-size="12">'
    ]
    for tick in ticks:
        parts.append(f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{_LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{escape(_dollars(tick))}</text>')
    label_every = max(1, -(-len(days) // 10))
    for i, day in enumerate(days):
        if i % label_every == 0 or i == len(days) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{_HEIGHT - _BOTTOM + 18}" text-anchor="middle">{escape(day["date"][5:])}</text>'
            )
    for values, colour, name in ((recorded, _RECORDED, "recorded"), (draft, _DRAFT, "draft")):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for i, v in enumerate(values):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                f'<title>{escape(days[i]["date"])} {name}: {escape(_dollars(v))}</title></circle>'
            )
    legend_y = _HEIGHT - 18
    for offset, colour, name in ((0, _RECORDED, "recorded"), (140, _DRAFT, "draft")):
        parts.append(f'<rect x="{_LEFT + offset}" y="{legend_y - 10}" width="14" height="4" fill="{colour}"/>')
        parts.append(f'<text x="{_LEFT + offset + 20}" y="{legend_y - 5}">{name}</text>')
    parts.append("</svg>")
    components = report["components"]
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>${format_dollars(c['recorded'])}</td><td>${format_dollars(c['draft'])}</td>"
        f"<td>${format_dollars(c['change'])}</td></tr>"
        for name, c in components.items()
    )
    title = f"Backtest of {report['app_endpoint']}: {report['period_start']} to {report['period_end']}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{padding:.2em .8em;text-align:right}td:first-child,th:first-child{text-align:left}</style>"
        f"</head><body><h1>{escape(title)}</h1>"
        f"<p>{report['tasks']:,} tasks replayed, {report['failed']:,} failed with the draft "
        "(they count 0 in the draft's revenue).</p>"
        + "".join(parts)
        + "<table><tr><th>component</th><th>recorded</th><th>draft</th><th>change</th></tr>"
        + rows
        + "</table></body></html>\n"
    )
