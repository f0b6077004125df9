"""Time and peak memory of `tasks-conformance audit` on large recordings: a HAR and a gzip-bodied VCR cassette
of N exchanges each, made by repeating the exchanges of a real run's evidence.har.

    python benchmarks/audit_large.py [--exchanges 100000] [--out benchmarks/results/audit_large.json]

Each audit runs as its own process (the command a user types) under GNU time for its peak RSS. The figure that
matters is how memory grows with the file: a streaming reader stays flat while the file grows tenfold.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent


def _run_evidence(workdir: Path) -> dict[str, Any]:
    reports = workdir / "reports"
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--report-dir", str(reports),
                           "--fuzz-budget", "0"], capture_output=True, text=True, cwd=workdir, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"the run that makes the recording failed:\n{proc.stdout[-2000:]}")
    data: dict[str, Any] = json.loads((reports / "evidence.har").read_text(encoding="utf-8"))
    return data


def _write_har(entries: list[dict[str, Any]], count: int, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('{"log": {"version": "1.2", "creator": {"name": "bench", "version": "1"}, "entries": [')
        for n in range(count):
            out.write(("," if n else "") + json.dumps(entries[n % len(entries)]))
        out.write("]}}")


def _write_cassette(entries: list[dict[str, Any]], count: int, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("interactions:\n")
        for n in range(count):
            entry = entries[n % len(entries)]
            body = entry["response"]["content"]["text"].encode("utf-8")
            item = {"request": {"method": entry["request"]["method"], "uri": entry["request"]["url"],
                                "headers": {}, "body": None},
                    "response": {"status": {"code": entry["response"]["status"], "message": ""},
                                 "headers": {h["name"]: [h["value"]] for h in entry["response"]["headers"]
                                             if h["name"].lower() != "content-length"}
                                 | ({"Content-Encoding": ["gzip"]} if body else {}),
                                 "body": {"string": gzip.compress(body) if body else b""}}}
            out.write(yaml.safe_dump([item], width=10_000))
        out.write("version: 1\n")


def _audit(path: Path) -> dict[str, Any]:
    """One audit as its own process, under GNU time for its peak RSS (%M, KiB)."""
    started = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-f", "peak-rss-kib %M", sys.executable, "-m", "conformance.cli", "audit",
                           "--json", str(path)], capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - started
    peak_kib = int(proc.stderr.rsplit("peak-rss-kib", 1)[1].split()[0])
    data = json.loads(proc.stdout)
    return {"file": path.name, "mib": round(path.stat().st_size / 2**20, 1), "exchanges": data["exchanges"],
            "judged": data["judged"], "failed": data["failed"], "exit_code": proc.returncode,
            "wall_seconds": round(wall, 2), "exchanges_per_second": round(data["exchanges"] / wall),
            "peak_rss_mib": round(peak_kib / 1024, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exchanges", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "audit_large.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        entries = _run_evidence(work)["log"]["entries"]
        rows = []
        for count in (args.exchanges // 10, args.exchanges):
            har, cassette = work / f"recording-{count}.har", work / f"cassette-{count}.yaml"
            _write_har(entries, count, har)
            rows.append(_audit(har))
            _write_cassette(entries, count, cassette)
            rows.append(_audit(cassette))
            for row in rows[-2:]:
                print(json.dumps(row), flush=True)
    result = {"machine": f"{os.cpu_count()} cores", "python": sys.version.split()[0], "runs": rows}
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
