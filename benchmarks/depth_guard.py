"""Time and peak memory of the JSON depth guard, and of `tasks-conformance audit` on a HAR holding the same bodies
(issue 22: a body of escaped quotes made the guard quadratic, hours for 4 MB).

    python benchmarks/depth_guard.py [--out benchmarks/results/depth_guard.json]

For bodies of 64 KB, 1 MB and 4 MB of each kind (escaped quotes, arrays nested as deep as the size allows, plain
JSON of many small objects): the guard alone, in this process (best of three runs), then `audit` of a HAR whose one
entry's response holds the body (GNU time: wall time and peak resident memory of the process). The targets: linear
growth, under 1 s for 4 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.runner.records.bodies import json_too_deep

KB, MB = 1024, 1024 * 1024
SIZES = {"64 KB": 64 * KB, "1 MB": MB, "4 MB": 4 * MB}


def escaped_quotes(size: int) -> bytes:
    return b'["' + b'\\"' * ((size - 4) // 2) + b'"]'


def deep_arrays(size: int) -> bytes:
    return b"[" * (size // 2) + b"]" * (size // 2)


def plain(size: int) -> bytes:
    item = b'{"id": "4a5fffcb-0d98-4c1b-a249-e768b7f0995d", "status": "active", "n": [1, 2, 3]},'
    return b"[" + item * (size // len(item)) + b"1]"


KINDS: dict[str, Callable[[int], bytes]] = {"escaped quotes": escaped_quotes, "deep arrays": deep_arrays,
                                            "plain JSON": plain}


def guard(body: bytes) -> dict[str, Any]:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        deep = json_too_deep(body)
        best = min(best, time.perf_counter() - started)
    return {"seconds": round(best, 4), "too_deep": deep}


def audit(body: bytes, folder: Path) -> dict[str, Any]:
    har = folder / "one.har"
    entry = {"request": {"method": "GET", "url": "https://coder.example.com/api/v2/tasks", "headers": []},
             "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "application/json"}],
                          "content": {"mimeType": "application/json", "text": body.decode()}}}
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "conformance.cli", "audit", "--json",
                           str(har)], capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "peak_mb": round(int(proc.stderr.strip().splitlines()[-1]) / 1024, 1),
            "exit_code": proc.returncode}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON to this file")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, make in KINDS.items():
            for label, size in SIZES.items():
                body = make(size)
                row = {"kind": kind, "size": label, "bytes": len(body), "guard": guard(body),
                       "audit": audit(body, Path(tmp))}
                rows.append(row)
                print(f"{kind:15} {label:6} guard {row['guard']['seconds']:7.4f} s "
                      f"(too deep: {row['guard']['too_deep']!s:5})  audit {row['audit']['seconds']:6.2f} s "
                      f"{row['audit']['peak_mb']:7.1f} MB (exit {row['audit']['exit_code']})", flush=True)
    if args.out is not None:
        args.out.write_text(json.dumps({"python": sys.version.split()[0], "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
