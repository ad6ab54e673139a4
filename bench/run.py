"""The benchmark table: `python bench/run.py [--quick] [--no-http] [--json FILE]`.

Prints one markdown table, every figure measured in this run: the engine against a naive
per-step Python loop (the same update, one point at a time) and, if torch is importable,
against torch.optim / torch tensors in float64; then HTTP timings against a uvicorn server on
127.0.0.1. A machine line (cores, CPU, Python, numpy, torch) follows, so the table can be
pasted into the README as is. See bench/README.md for the latest figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench import bench_engine  # noqa: E402


def fmt_time(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 120:
        return f"{seconds:.3g} s"
    return f"{seconds:.0f} s ({seconds / 60:.0f} min)"


def fmt_ratio(other: float | None, ours: float) -> str:
    if other is None or not (math.isfinite(other) and math.isfinite(ours)) or ours <= 0:
        return "—"
    ratio = other / ours
    return f"×{ratio:.3g}" if ratio < 100 else f"×{ratio:,.0f}"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    parts = [f"{os.cpu_count()} cores ({model})", f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    if bench_engine.torch is not None:
        threads = bench_engine.torch.get_num_threads()
        parts.append(f"torch {bench_engine.torch.__version__} (CPU, {threads} thread{'s' if threads > 1 else ''})")
    else:
        parts.append("torch not installed")
    return ", ".join(parts) + f"; {time.strftime('%Y-%m-%d')}"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def table(rows: list[bench_engine.Row], http: dict | None) -> tuple[str, list[str]]:
    lines = ["| workload | losslab | naive per-step loop | speed-up | torch | losslab vs torch |",
             "|---|---:|---:|---:|---:|---:|"]
    notes: list[str] = []
    for row in rows:
        naive = fmt_time(row.naive) + (f" ({row.naive_note})" if row.naive_note and row.naive is not None else "")
        if row.naive is None and row.naive_note:
            naive = row.naive_note
        torch = fmt_time(row.torch) + (f" ({row.torch_note})" if row.torch_note and row.torch is not None else "")
        lines.append(f"| {row.workload} | {fmt_time(row.losslab)} | {naive} | {fmt_ratio(row.naive, row.losslab)} "
                     f"| {torch} | {fmt_ratio(row.torch, row.losslab)} |")
        if row.check:
            notes.append(f"{row.workload.split(' (')[0]}: {row.check}")
    if http:
        lines.append(f"| first stream line over HTTP (4 optimizers × 20 000 steps; meta line "
                     f"{fmt_time(http['first_line'])}) | {fmt_time(http['first_chunk'])} | "
                     f"{fmt_time(http['long_run'])} (whole /api/run answer, {http['long_run_mb']:.1f} MB) | "
                     f"{fmt_ratio(http['long_run'], http['first_chunk'])} | — | — |")
        lines.append(f"| /api/run, default scene over HTTP (median) | {fmt_time(http['run_default'])} "
                     "| — | — | — | — |")
        lines.append(f"| /api/grid n = 501 over HTTP (median, {http['grid_501_mb']:.1f} MB) | "
                     f"{fmt_time(http['grid_501'])} | — | — | — | — |")
        notes.append(f"HTTP: uvicorn, one worker, 127.0.0.1, {http['requests']} requests in all")
    return "\n".join(lines), notes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP rows (no server started)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    load_before = loadavg()
    rows = bench_engine.rows(quick=args.quick)
    http = None
    if not args.no_http:
        from bench import bench_http

        http = bench_http.measure(quick=args.quick)
    text, notes = table(rows, http)
    print(text)
    print()
    print(f"Machine: {machine()}; load average {load_before} before the run, {loadavg()} after.")
    print("Agreement of the answers: " + "; ".join(notes) + ".")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine(), "rows": [vars(r) for r in rows], "http": http},
                                        indent=2))


if __name__ == "__main__":
    main()
