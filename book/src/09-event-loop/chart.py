#!/usr/bin/env python3
"""Draws chapter 09's chart from the table compare.sh wrote (Python's standard library only).

    python3 book/src/09-event-loop/chart.py book/src/09-event-loop/results.txt book/src/diagrams/09-members.svg

Two panels side by side, against the number of members (log scale): the server's resident memory (MB) once
every member has joined, and the time for one line to reach every member (p50 solid, p99 dashed). One line per
server. Rows that were not run (a limit of the machine) are named under the chart.
"""

import math
import re
import sys
from xml.dom import minidom
from xml.sax.saxutils import escape

SERVERS = [
    ("08", "lesson 08: two threads a member", "#d9480f"),
    ("09", "lesson 09: one mio loop", "#1864ab"),
]
WIDTH, HEIGHT = 900, 420
PANEL_W, PANEL_H = 330, 250
PANELS_X = (90, 540)
PANEL_Y = 60


def read_table(path):
    """(server key, members) -> {"rss": MB, "p50": ms, "p99": ms}, and the rows that were not run."""
    points, missing = {}, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 9 or not cells[1].isdigit():
                continue
            key = next((k for k, _, _ in SERVERS if f"lesson {k}" in cells[0]), None)
            if key is None:
                continue
            members = int(cells[1])
            values = {}
            for name, cell, unit in (("rss", cells[3], "MB"), ("p50", cells[5], "ms"), ("p99", cells[6], "ms")):
                m = re.fullmatch(r"([0-9.]+) " + unit, cell)
                if m:
                    values[name] = float(m.group(1))
            if values:
                points[(key, members)] = values
            else:
                missing.append((key, members, cells[8]))
    return points, missing


def log_ticks(lo, hi):
    """Powers of ten (and 2, 5 times them when there are few) covering lo..hi."""
    ticks = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5) if math.log10(hi / lo) < 3 else (1,):
            t = m * 10**e
            if lo <= t <= hi:
                ticks.append(t)
    return ticks


def fmt(v):
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 1:
        return f"{v:g}"
    return f"{v:.2g}"


def bounds(values):
    lo, hi = min(values), max(values)
    lo = 10 ** math.floor(math.log10(lo))
    hi = 10 ** math.ceil(math.log10(hi))
    if hi <= lo:
        hi = lo * 10
    return lo, hi


def panel(out, x0, title, ylabel, xs, series, xr, yr):
    """One panel: frame, log axes, ticks, labels, and its lines (points, style, colour)."""
    (xlo, xhi), (ylo, yhi) = xr, yr

    def px(v):
        return x0 + (math.log10(v) - math.log10(xlo)) / (math.log10(xhi) - math.log10(xlo)) * PANEL_W

    def py(v):
        return PANEL_Y + PANEL_H - (math.log10(v) - math.log10(ylo)) / (math.log10(yhi) - math.log10(ylo)) * PANEL_H

    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{PANEL_Y - 18}" text-anchor="middle" font-size="15" '
               f'font-weight="bold">{escape(title)}</text>')
    for t in log_ticks(ylo, yhi):
        y = py(t)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PANEL_W}" y2="{y:.1f}" stroke="#e9ecef"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12">{fmt(t)}</text>')
    for t in xs:
        x = px(t)
        out.append(f'<line x1="{x:.1f}" y1="{PANEL_Y}" x2="{x:.1f}" y2="{PANEL_Y + PANEL_H}" stroke="#e9ecef"/>')
        out.append(f'<text x="{x:.1f}" y="{PANEL_Y + PANEL_H + 18}" text-anchor="middle" '
                   f'font-size="12">{fmt(t)}</text>')
    out.append(f'<rect x="{x0}" y="{PANEL_Y}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#495057"/>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{PANEL_Y + PANEL_H + 40}" text-anchor="middle" '
               f'font-size="13">members (log scale)</text>')
    cy = PANEL_Y + PANEL_H / 2
    out.append(f'<text x="{x0 - 52}" y="{cy}" text-anchor="middle" font-size="13" '
               f'transform="rotate(-90 {x0 - 52} {cy})">{escape(ylabel)}</text>')
    for pts, colour, dash in series:
        if not pts:
            continue
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{extra}/>')
        for x, y in pts:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{colour}"/>')


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py RESULTS.md OUT.svg")
    points, missing = read_table(sys.argv[1])
    if not points:
        sys.exit(f"chart.py: no measured rows in {sys.argv[1]}")
    xs = sorted({n for _, n in points} | {n for _, n, _ in missing})
    xr = (min(xs) / 1.6, max(xs) * 1.6) if len(xs) > 1 else (xs[0] / 3, xs[0] * 3)

    def line(key, name):
        return [(n, points[(key, n)][name]) for n in xs if name in points.get((key, n), {})]

    rss = [v["rss"] for v in points.values() if "rss" in v]
    times = [v[k] for v in points.values() for k in ("p50", "p99") if k in v]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" fill="#212529">',
        "<title>Idle members: memory and the time for a line to reach everyone, lesson 08 and lesson 09</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
    ]
    panel(out, PANELS_X[0], "Resident memory (VmRSS)", "MB (log scale)", xs,
          [(line(k, "rss"), c, None) for k, _, c in SERVERS], xr, bounds(rss))
    panel(out, PANELS_X[1], "A line to every member", "ms (log scale)", xs,
          [(line(k, name), c, dash) for k, _, c in SERVERS for name, dash in (("p50", None), ("p99", "6 4"))],
          xr, bounds(times))
    # Legend: the servers by colour, p50 and p99 by stroke.
    y = HEIGHT - 52
    x = PANELS_X[0]
    for _, label, colour in SERVERS:
        out.append(f'<line x1="{x}" y1="{y}" x2="{x + 28}" y2="{y}" stroke="{colour}" stroke-width="2.5"/>')
        out.append(f'<text x="{x + 36}" y="{y + 4}" font-size="13">{escape(label)}</text>')
        x += 36 + 7 * len(label) + 28  # the text's width at 13 px, roughly, and a gap
    out.append(f'<line x1="{x}" y1="{y}" x2="{x + 28}" y2="{y}" stroke="#495057" stroke-width="2.5"/>')
    out.append(f'<text x="{x + 36}" y="{y + 4}" font-size="13">p50</text>')
    out.append(f'<line x1="{x + 80}" y1="{y}" x2="{x + 108}" y2="{y}" stroke="#495057" stroke-width="2.5" '
               f'stroke-dasharray="6 4"/>')
    out.append(f'<text x="{x + 116}" y="{y + 4}" font-size="13">p99</text>')
    y += 24
    for key, members, why in missing:
        label = next(label for k, label, _ in SERVERS if k == key)
        why = re.sub(r":.*", "", why.replace("not run: ", ""))
        out.append(f'<text x="{PANELS_X[0]}" y="{y}" font-size="12" fill="#495057">Not measured: {escape(label)} '
                   f'at {members:,} members ({escape(why)}).</text>')
        y += 16
    out.append("</svg>")
    svg = "\n".join(out) + "\n"
    minidom.parseString(svg)  # well-formed XML, or this raises
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(svg)
    print(f"wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
