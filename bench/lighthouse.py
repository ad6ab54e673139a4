"""Lighthouse (desktop preset, Performance only) on the page, as a classroom's first load sees it (issue 20).

    python bench/lighthouse.py [--runs 3] [--url http://127.0.0.1:8000/] [--json out.json]

Starts its own server on 127.0.0.1 unless --url is given. Lighthouse 12 comes from npm through
`npx --yes lighthouse@12` (node is on the machine; the first run installs it into npm's cache) and
drives Debian's Chromium (CHROME_PATH=/usr/bin/chromium, --headless --no-sandbox). Prints the median
over the runs of: Performance score, FCP, LCP, TBT, Speed Index, CLS, TTI and bytes transferred.
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


def lighthouse(url: str) -> dict:
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
    return row


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
    a = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found (apt-get install -y chromium)")
    if a.url:
        ctx = contextlib.nullcontext(a.url.rstrip("/"))
    else:
        from tests.live_server import serving
        ctx = serving()
    with ctx as base:
        runs = [lighthouse(base + "/") for _ in range(a.runs)]
    med = {k: statistics.median(r[k] for r in runs if r[k] is not None) for k in runs[0]}
    print(f"| Lighthouse 12, desktop preset (median of {len(runs)}) | value |")
    print("|---|---:|")
    print(f"| Performance score | {med['score']:.0f} / 100 |")
    for audit, label, unit in AUDITS:
        print(f"| {label} | {fmt(med.get(audit), unit)} |")
    with open("/proc/loadavg") as fh:
        print(f"\nload average {' '.join(fh.read().split()[:3])}")
    if a.json:
        Path(a.json).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
