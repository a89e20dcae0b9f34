"""Inline SVG line charts drawn here (no library, no CDN): series, shaded windows, vertical markers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")
# Fixed colours for labels with a meaning, so a legend reads the same in every chart and run:
# outcomes (ok green, fail red, info = outcome unknown amber) and engine colours (blue, green).
MEANINGFUL = {
    "ok": "#2ca02c", "fail": "#d62728", "info": "#e6a100",
    "blue": "#1f77b4", "green": "#2ca02c", "none": "#7f7f7f",
}
FAULT_FILL, FROZEN_FILL = "#f4a582", "#bbbbbb"


def series_color(label: str, index: int) -> str:
    """The meaningful colour of ``label`` (``outcome=fail``, ``color=blue``, ``ok``...), else the palette."""
    value = label.rsplit("=", 1)[-1] if "," not in label else ""
    return MEANINGFUL.get(value) or PALETTE[index % len(PALETTE)]
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 900, 190, 56, 12, 22, 26


@dataclass(frozen=True)
class Marker:
    t: float
    label: str
    color: str = "#d62728"
    dashed: bool = False


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def line_chart(
    title: str,
    unit: str,
    series: Sequence[dict[str, Any]],
    t0: float,
    t1: float,
    *,
    windows: Sequence[tuple[float, float, str]] = (),
    markers: Sequence[Marker] = (),
    frozen: Sequence[tuple[float, float, str]] = (),
) -> str:
    """An SVG chart; ``t0``/``t1`` bound the x axis (seconds, absolute: Unix time for the Prometheus
    points, the history's fault windows and markers alike); empty series ⇒ "no data". ``windows`` are
    fault windows (orange), ``frozen`` the harness's own pauses such as the pre-fault snapshot (grey)."""
    span = max(t1 - t0, 1e-9)
    values = [p[1] for s in series for p in s.get("points", [])]
    vmax = max([*values, 0.0]) or 1.0
    vmax *= 1.1
    pw, ph = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def x(t: float) -> float:
        return PAD_L + (min(max(t, t0), t1) - t0) / span * pw

    def y(v: float) -> float:
        return PAD_T + ph - (v / vmax) * ph

    parts = [
        f'<svg viewBox="0 0 {W} {H}" width="100%" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text x="{PAD_L}" y="15" font-size="13" font-weight="bold">{escape(title)} ({escape(unit)})</text>',
    ]
    shaded = [(w, FAULT_FILL, "fault ") for w in windows] + [(w, FROZEN_FILL, "") for w in frozen]
    for (start, end, label), fill, prefix in shaded:
        parts.append(
            f'<rect x="{x(start):.1f}" y="{PAD_T}" width="{max(x(end) - x(start), 1):.1f}" height="{ph}" '
            f'fill="{fill}" fill-opacity="0.3"><title>{prefix}{escape(label)}</title></rect>'
        )
    parts.append(f'<line x1="{PAD_L}" y1="{PAD_T + ph}" x2="{W - PAD_R}" y2="{PAD_T + ph}" stroke="#555"/>')
    parts.append(f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{PAD_T + ph}" stroke="#555"/>')
    for frac in (0.0, 0.5, 1.0):
        v = vmax * frac
        parts.append(
            f'<text x="{PAD_L - 4}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end">{_fmt(v)}</text>'
        )
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        t = t0 + span * frac
        parts.append(
            f'<text x="{x(t):.1f}" y="{H - 8}" font-size="10" text-anchor="middle">{t - t0:.0f}s</text>'
        )
    for i, s in enumerate(series):
        pts = s.get("points", [])
        if not pts:
            continue
        color = series_color(str(s.get("label", "")), i)
        coords = " ".join(f"{x(p[0]):.1f},{y(p[1]):.1f}" for p in pts)
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{coords}">'
            f"<title>{escape(str(s.get('label', '')))}</title></polyline>"
        )
        parts.append(
            f'<text x="{W - PAD_R - 4}" y="{PAD_T + 12 + 12 * i}" font-size="10" fill="{color}" '
            f'text-anchor="end">{escape(str(s.get("label", "")))}</text>'
        )
    for m in markers:
        dash = ' stroke-dasharray="4,3"' if m.dashed else ""
        parts.append(
            f'<line x1="{x(m.t):.1f}" y1="{PAD_T}" x2="{x(m.t):.1f}" y2="{PAD_T + ph}" '
            f'stroke="{m.color}"{dash}><title>{escape(m.label)}</title></line>'
        )
    if not values:
        parts.append(
            f'<text x="{W / 2}" y="{PAD_T + ph / 2}" font-size="12" text-anchor="middle" fill="#888">'
            "no data</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
