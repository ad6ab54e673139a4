"""Record the reference trajectories the optimizer parity tests compare against.

    python bench/torch_fixtures.py [name ...]

For every tests/engine/test_optim_<name>.py (or the names given), runs its `CASES` through its
`reference(...)` (torch.optim, lion_pytorch or schedulefree, in float64) for the parity steps and
writes tests/fixtures/torch/<name>.json. Needs torch==2.13.0 (+ lion-pytorch, schedulefree); CI
machines without them still test against these files.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.engine.optimizer_parity import (  # noqa: E402
    FIXTURES,
    STEPS,
    fixture_path,
    reference_libs,
    reference_trajectory,
)


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(names: list[str]) -> None:
    lib = reference_libs()
    versions = {k: getattr(getattr(lib, k), "__version__", "installed") for k in vars(lib) if getattr(lib, k)}
    FIXTURES.mkdir(parents=True, exist_ok=True)
    files = sorted((ROOT / "tests" / "engine").glob("test_optim_*.py"))
    for path in files:
        name = path.stem.removeprefix("test_optim_")
        if names and name not in names:
            continue
        module = load(path)
        cases = [{**case, "reference": reference_trajectory(module, case, lib, STEPS)} for case in module.CASES]
        out = {"optimizer": name, "steps": STEPS, "references": versions, "cases": cases}
        fixture_path(name).write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
        print(f"{name}: {len(cases)} cases -> {fixture_path(name).relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
