#!/usr/bin/env python3
"""Draws chapter 10's chart from the tables compare.sh wrote (Python's standard library only).

    python3 book/src/10-async/chart.py book/src/10-async/results.txt book/src/diagrams/10-models.svg

Top: two panels against the number of idle members (log scale), drawn by chapter 09's chart code: the
server's resident memory (MB) once every member has joined, and the time for one line to reach every member
(p50 solid, p99 dashed). Bottom: lines delivered per second with the members talking, a bar per server.
One colour per server. Rows that were not run (a limit of the machine) are named under the chart.
"""

import importlib.util
import os
import re
import sys
from xml.dom import minidom
from xml.sax.saxutils import escape

# The log-scale panels are chapter 09's: loaded from its file, not written twice.
_spec = importlib.util.spec_from_file_location(
    "members_chart", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "09-event-loop", "chart.py"))
members_chart = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(members_chart)

# The labels compare.sh writes in the first column, and a colour each.
SERVERS = [
    ("lesson 08 (threads)", "#d9480f"),
    ("lesson 09 (mio loop)", "#1864ab"),
    ("lesson 10 (tokio, multi-thread)", "#2b8a3e"),
    ("lesson 10 (tokio, current-thread)", "#82c91e"),
    ("Python asyncio", "#862e9c"),
]
WIDTH, HEIGHT = 900, 700
BARS_Y, BAR_H, BAR_GAP, BARS_X, BARS_W = 470, 22, 8, 290, 520


def number(cell, unit):
    m = re.fullmatch(r"([0-9.]+) " + unit, cell) if unit else re.fullmatch(r"([0-9.]+)", cell)
    return float(m.group(1)) if m else None


def read_tables(path):
    """Idle points {(label, members): {"rss", "p50", "p99"}}, talk rates {label: lines/s}, rows not run."""
    idle, talk, missing = {}, {}, []
    section = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("Idle members"):
                section = "idle"
            elif line.startswith("Members talking"):
                section = "talk"
            if not line.startswith("|"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0] not in dict(SERVERS) or not cells[1].isdigit():
                continue
            if section == "idle":
                values = {name: v for name, v in (("rss", number(cells[3], "MB")), ("p50", number(cells[6], "ms")),
                                                  ("p99", number(cells[7], "ms"))) if v is not None}
                if values:
                    idle[(cells[0], int(cells[1]))] = values
                else:
                    missing.append(f"{cells[0]} at {int(cells[1]):,} idle members")
            elif section == "talk":
                rate = number(cells[2], None)
                if rate is not None:
                    talk[cells[0]] = rate
                else:
                    missing.append(f"{cells[0]} with members talking")
    return idle, talk, missing


def bars(out, talk):
    """Lines delivered per second, one horizontal bar per server, on a linear scale from zero."""
    top = max(talk.values())
    out.append(f'<text x="{WIDTH / 2}" y="{BARS_Y - 22}" text-anchor="middle" font-size="15" font-weight="bold">'
               "Members talking: lines delivered per second</text>")
    y = BARS_Y
    for label, colour in SERVERS:
        out.append(f'<text x="{BARS_X - 10}" y="{y + BAR_H * 0.7:.1f}" text-anchor="end" font-size="13">'
                   f"{escape(label)}</text>")
        if label in talk:
            w = talk[label] / top * BARS_W
            out.append(f'<rect x="{BARS_X}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{colour}"/>')
            out.append(f'<text x="{BARS_X + w + 6:.1f}" y="{y + BAR_H * 0.7:.1f}" font-size="12">'
                       f"{talk[label]:,.0f}</text>")
        else:
            out.append(f'<text x="{BARS_X + 6}" y="{y + BAR_H * 0.7:.1f}" font-size="12" fill="#495057">'
                       "not measured</text>")
        y += BAR_H + BAR_GAP
    out.append(f'<line x1="{BARS_X}" y1="{BARS_Y - 4}" x2="{BARS_X}" y2="{y}" stroke="#495057"/>')


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py RESULTS.txt OUT.svg")
    idle, talk, missing = read_tables(sys.argv[1])
    if not idle or not talk:
        sys.exit(f"chart.py: no measured rows of both tables in {sys.argv[1]}")
    xs = sorted({n for _, n in idle})
    xr = (min(xs) / 1.6, max(xs) * 1.6) if len(xs) > 1 else (xs[0] / 3, xs[0] * 3)

    def line(label, name):
        return [(n, idle[(label, n)][name]) for n in xs if name in idle.get((label, n), {})]

    rss = [v["rss"] for v in idle.values() if "rss" in v]
    times = [v[k] for v in idle.values() for k in ("p50", "p99") if k in v]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" fill="#212529">',
        "<title>Threads, a mio loop, tokio and Python asyncio: memory, delivery time and lines per second</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
    ]
    members_chart.panel(out, members_chart.PANELS_X[0], "Idle members: resident memory", "MB (log scale)", xs,
                        [(line(k, "rss"), c, None) for k, c in SERVERS], xr, members_chart.bounds(rss))
    members_chart.panel(out, members_chart.PANELS_X[1], "Idle members: a line to everyone", "ms (log scale)", xs,
                        [(line(k, name), c, dash) for k, c in SERVERS for name, dash in (("p50", None),
                                                                                         ("p99", "6 4"))],
                        xr, members_chart.bounds(times))
    # Legend under the panels: p50 and p99 by stroke (the colours are named by the bars below).
    y = 405
    x = members_chart.PANELS_X[1]
    out.append(f'<line x1="{x}" y1="{y}" x2="{x + 28}" y2="{y}" stroke="#495057" stroke-width="2.5"/>')
    out.append(f'<text x="{x + 36}" y="{y + 4}" font-size="13">p50</text>')
    out.append(f'<line x1="{x + 80}" y1="{y}" x2="{x + 108}" y2="{y}" stroke="#495057" stroke-width="2.5" '
               f'stroke-dasharray="6 4"/>')
    out.append(f'<text x="{x + 116}" y="{y + 4}" font-size="13">p99</text>')
    out.append(f'<text x="{members_chart.PANELS_X[0]}" y="{y + 4}" font-size="13">'
               "colours: the servers, named by the bars below</text>")
    bars(out, talk)
    y = BARS_Y + len(SERVERS) * (BAR_H + BAR_GAP) + 24
    for what in missing:
        out.append(f'<text x="{members_chart.PANELS_X[0]}" y="{y}" font-size="12" fill="#495057">'
                   f"Not measured: {escape(what)}.</text>")
        y += 16
    out.append("</svg>")
    svg = "\n".join(out) + "\n"
    minidom.parseString(svg)  # well-formed XML, or this raises
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(svg)
    print(f"wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
