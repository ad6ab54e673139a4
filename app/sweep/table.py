"""Sweep results as a flat table: one row per (cell, replicate), shared by the CLI and the client.

Columns: one per axis (its dotted path), `replicate`, the varied seeds (`seed_init`, ...), the
per-seed results (final_loss, best_loss, accuracy, status, steps_to_target, diverged_at, and
lam_max / minimum / final_x / final_y where present), then the cell's aggregates
(median_final_loss, iqr_low, iqr_high, median_accuracy, diverged_fraction), repeated on each of
its rows. Rows are in row-major cell order, replicates ascending.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

RESULTS = ("final_loss", "best_loss", "accuracy", "status", "steps_to_target", "diverged_at", "final_step",
           "lam_max", "minimum")
AGGREGATES = ("median_final_loss", "median_accuracy", "diverged_fraction")


def rows(axes: Sequence[Mapping[str, Any]], cells: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    paths = [axis["path"] for axis in axes]
    out = []
    for cell in sorted(cells, key=lambda c: tuple(c["index"])):
        low, high = cell["iqr_final_loss"]
        for seed in cell["seeds"]:
            row: dict[str, Any] = {path: cell["values"][path] for path in paths}
            row["replicate"] = seed["replicate"]
            row.update({f"seed_{name}": value for name, value in seed.get("seed_values", {}).items()})
            row.update({key: seed[key] for key in RESULTS if key in seed})
            if seed.get("final_point") is not None:
                row["final_x"], row["final_y"] = seed["final_point"]
            row.update({key: cell[key] for key in AGGREGATES})
            row["iqr_low"], row["iqr_high"] = low, high
            out.append(row)
    return out


def table(records: list[dict[str, Any]]):
    """A pandas DataFrame when pandas is installed, else the list of dicts itself."""
    try:
        import pandas as pd
    except ImportError:
        return records
    return pd.DataFrame.from_records(records)


def write(records: list[dict[str, Any]], path: str | Path) -> None:
    """CSV (empty field for null), or Parquet for a .parquet name (needs pandas and pyarrow)."""
    path = Path(path)
    if path.suffix == ".parquet":
        frame = table(records)
        if isinstance(frame, list):
            raise RuntimeError("writing .parquet needs pandas (and pyarrow); write .csv instead")
        frame.to_parquet(path, index=False)
        return
    columns: list[str] = []
    for record in records:
        columns.extend(key for key in record if key not in columns)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
