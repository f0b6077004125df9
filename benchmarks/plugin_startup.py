"""What installing the package costs anyone's own pytest run: the wall time of `python -m pytest --co -q` on a
tiny foreign suite (three tests, in a temporary directory), median of N runs (the configurations taken in turn),
in these configurations:

- `plugin on`: as installed (the package's entry point and every other plugin of the environment);
- `plugin off`: `-p no:tasks_conformance`, the package's entry point not loaded;
- `dependencies' plugins off, the package's on`: `-p no:` for the pytest plugins the package's dependencies bring
  (Schemathesis, Hypothesis, pytest-html, pytest-metadata, anyio): the package's own cost, with less noise;
- `dependencies' plugins off too`: both, which approximates pytest alone;
- with `--bare-python PATH`: a Python whose environment has pytest only (the package not installed at all).

Plus what the package's entry module adds in-process: the time to import `conformance.plugin` after pytest.

    python benchmarks/plugin_startup.py [--runs 10] [--bare-python /tmp/bare/bin/python] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITE = "def test_one():\n    assert 1\n\ndef test_two():\n    assert 2\n\ndef test_three():\n    assert 3\n"
OURS = ("-p", "no:tasks_conformance")
DEPENDENCIES = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:html", "-p", "no:html_fixtures",
                "-p", "no:metadata", "-p", "no:anyio")
IMPORT_ENTRY = ("import time, pytest, _pytest.config, _pytest.main, _pytest.python; t = time.perf_counter(); "
                "import conformance.plugin; print(time.perf_counter() - t)")


def _seconds(python: str, args: tuple[str, ...], where: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run([python, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *args], cwd=where,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or "3 tests collected" not in proc.stdout:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--bare-python", help="a Python with pytest but without the package")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    configurations = {"plugin on": (sys.executable, ()), "plugin off": (sys.executable, OURS),
                      "dependencies' plugins off, the package's on": (sys.executable, DEPENDENCIES),
                      "dependencies' plugins off too": (sys.executable, OURS + DEPENDENCIES)}
    if args.bare_python:
        configurations["package not installed"] = (args.bare_python, ())
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        (where / "test_foreign.py").write_text(SUITE)
        times: dict[str, list[float]] = {name: [] for name in configurations}
        for _ in range(args.runs):  # the configurations in turn, so that a change of the machine's load hits all
            for name, (python, extra) in configurations.items():
                times[name].append(_seconds(python, extra, where))
        medians = {name: statistics.median(values) for name, values in times.items()}
        imports = [float(subprocess.run([sys.executable, "-c", IMPORT_ENTRY], cwd=where, capture_output=True,
                                        text=True, check=True).stdout) for _ in range(args.runs)]
    result = {"runs": args.runs, "median_seconds": {k: round(v, 3) for k, v in medians.items()},
              "plugin_cost_seconds": round(medians["plugin on"] - medians["plugin off"], 3),
              "plugin_cost_seconds_without_the_dependencies_plugins": round(
                  medians["dependencies' plugins off, the package's on"] - medians["dependencies' plugins off too"], 3),
              "entry_module_import_seconds": round(statistics.median(imports), 4)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
