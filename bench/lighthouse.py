"""Lighthouse (desktop preset, Performance only) on the page, as a classroom's first load sees it (issue 20).

    python bench/lighthouse.py [--runs 3] [--url http://127.0.0.1:8000/] [--json out.json]

Starts its own server on 127.0.0.1 unless --url is given. Lighthouse 12 comes from npm through
`npx --yes lighthouse@12` (node is on the machine; the first run installs it into npm's cache) and
drives Debian's Chromium (CHROME_PATH=/usr/bin/chromium, --headless --no-sandbox). Prints the median
over the runs of: Performance score, FCP, LCP, TBT, Speed Index, CLS, TTI and bytes transferred, then why,
from the median run's audits: the LCP element and its phases, the layout shifts and their elements, the
longest main-thread tasks, script boot-up per URL, the main-thread breakdown and render-blocking resources.
`--report out.json` keeps that run's whole Lighthouse report.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
AUDITS = [("first-contentful-paint", "FCP", "ms"), ("largest-contentful-paint", "LCP", "ms"),
          ("total-blocking-time", "TBT", "ms"), ("speed-index", "Speed Index", "ms"),
          ("cumulative-layout-shift", "CLS", ""), ("interactive", "TTI", "ms"),
          ("total-byte-weight", "bytes transferred", "B")]


def lighthouse(url: str) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = ["npx", "--yes", "lighthouse@12", url, "--preset=desktop", "--only-categories=performance",
               "--output=json", f"--output-path={out}", "--quiet",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"]
        subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=600,
                       stdout=subprocess.DEVNULL)
        report = json.loads(out.read_text())
    row = {"score": round(100 * (report["categories"]["performance"]["score"] or 0))}
    for audit, _, _ in AUDITS:
        row[audit] = report["audits"][audit].get("numericValue")
    return row, report


def items(report: dict, audit: str, n: int | None = None) -> list[dict]:
    """The rows of an audit's first table (some audits nest a list of tables)."""
    details = report["audits"].get(audit, {}).get("details") or {}
    rows = details.get("items") or []
    if rows and rows[0].get("type") == "table":  # e.g. largest-contentful-paint-element: [element table, phases table]
        rows = rows[0].get("items") or []
    return rows[:n] if n else rows


def short(url: str) -> str:
    return url.split("127.0.0.1", 1)[-1].split(":", 1)[-1].lstrip("0123456789") or url


def node_label(node: dict | None) -> str:
    if not node:
        return "?"
    text = " ".join((node.get("nodeLabel") or "").split())[:60]
    return f"{node.get('selector', '?')} “{text}”"


def why(report: dict) -> list[str]:
    """What the figures are made of, so the next person sees where the time goes."""
    out = ["", "Why (the median run's audits):"]
    lcp = items(report, "largest-contentful-paint-element")
    if lcp:
        rect = lcp[0]["node"].get("boundingRect", {})
        out.append(f"- LCP element: {node_label(lcp[0]['node'])} ({rect.get('width')}×{rect.get('height')} px)")
        tables = (report["audits"]["largest-contentful-paint-element"].get("details") or {}).get("items") or []
        phases = tables[1].get("items", []) if len(tables) > 1 else []
        if phases:
            out.append("  phases: " + ", ".join(f"{p['phase']} {p['timing']:.0f} ms" for p in phases))
    shifts = items(report, "layout-shifts", 6)
    out.append(f"- layout shifts: {len(items(report, 'layout-shifts'))}" + ("" if shifts else " (none)"))
    for it in shifts:
        out.append(f"  {it.get('score', 0):.4f}  {node_label(it.get('node'))}")
    tasks = sorted(items(report, "long-tasks"), key=lambda t: -t["duration"])[:8]
    out.append(f"- long tasks (> 50 ms): {len(items(report, 'long-tasks'))}")
    for t in tasks:
        out.append(f"  {t['duration']:6.0f} ms at {t['startTime']:6.0f} ms  {short(t['url'])}")
    # the list above is Lighthouse's simulation (Lantern), which can leave late tasks out; the trace has them all
    seen = [t for t in items(report, "main-thread-tasks") if t.get("duration", 0) > 50]
    out.append(f"- main-thread tasks > 50 ms in the trace (observed, unthrottled): {len(seen)}; "
               + ", ".join(f"{t['duration']:.0f} ms at {t['startTime']:.0f}" for t in seen))
    out.append("- script boot-up (total / scripting / parse+compile, ms):")
    for it in items(report, "bootup-time", 6):
        out.append(f"  {it['total']:6.0f} {it['scripting']:6.0f} {it['scriptParseCompile']:6.0f}  {short(it['url'])}")
    out.append("- main thread: " + ", ".join(f"{it['groupLabel']} {it['duration']:.0f} ms"
                                             for it in items(report, "mainthread-work-breakdown", 6)))
    blocking = items(report, "render-blocking-resources")
    out.append("- render-blocking: " + (", ".join(f"{short(it['url'])} ({it.get('wastedMs', 0):.0f} ms)"
                                                  for it in blocking) or "none"))
    return out


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"
    if unit == "B":
        return f"{value / 1e6:.2f} MB"
    return f"{value:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--url", help="page of an already running server (default: start one)")
    ap.add_argument("--json", help="also write every run's figures here")
    ap.add_argument("--report", help="write the median run's whole Lighthouse report (JSON) here")
    a = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found (apt-get install -y chromium)")
    if a.url:
        ctx = contextlib.nullcontext(a.url.rstrip("/"))
    else:
        from tests.live_server import serving
        ctx = serving()
    with ctx as base:
        results = [lighthouse(base + "/") for _ in range(a.runs)]
    runs = [row for row, _ in results]
    med = {k: statistics.median(r[k] for r in runs if r[k] is not None) for k in runs[0]}
    # the run whose score is nearest the median explains the figures
    report = min(results, key=lambda rr: abs(rr[0]["score"] - med["score"]))[1]
    print(f"| Lighthouse 12, desktop preset (median of {len(runs)}) | value |")
    print("|---|---:|")
    print(f"| Performance score | {med['score']:.0f} / 100 |")
    for audit, label, unit in AUDITS:
        print(f"| {label} | {fmt(med.get(audit), unit)} |")
    print("\n".join(why(report)))
    with open("/proc/loadavg") as fh:
        print(f"\nload average {' '.join(fh.read().split()[:3])}")
    if a.json:
        Path(a.json).write_text(json.dumps(runs, indent=1))
    if a.report:
        Path(a.report).write_text(json.dumps(report))


if __name__ == "__main__":
    main()
