"""Helpers for the audit self-tests: the suite's own runs as recordings, edited copies, cassettes made of them."""

from __future__ import annotations

import copy
import gzip
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

JSON = "application/json"


@dataclass
class Audit:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}


def suite_run(*args: str, report_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`tasks-conformance run` against the embedded reference server (a subprocess)."""
    return subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--report-dir", str(report_dir), *args],
                          capture_output=True, text=True, timeout=300, env=_clean_env(), cwd=cwd,
                          stdin=subprocess.DEVNULL)


def audit(*args: str | Path, cwd: Path | None = None) -> Audit:
    """`tasks-conformance audit ARGS` (a subprocess: the exit code and the printed text are what a user sees)."""
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "audit", *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=_clean_env(), cwd=cwd, stdin=subprocess.DEVNULL)
    return Audit(proc.returncode, proc.stdout, proc.stderr)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write_har(har: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(har), encoding="utf-8")
    return path


def header(entry_part: dict[str, Any], name: str) -> str:
    return next((h["value"] for h in entry_part["headers"] if h["name"].lower() == name), "")


def set_header(entry_part: dict[str, Any], name: str, value: str | None) -> None:
    entry_part["headers"] = [h for h in entry_part["headers"] if h["name"].lower() != name]
    if value is not None:
        entry_part["headers"].append({"name": name, "value": value})


def find(har: dict[str, Any], method: str, status: int, path: str) -> int:
    """The index of the first entry with this method and status whose path (without the query) matches `path`."""
    for index, entry in enumerate(har["log"]["entries"]):
        if (entry["request"]["method"] == method and entry["response"]["status"] == status
                and re.search(path, entry["request"]["url"].split("?", 1)[0])):
            return index
    raise LookupError(f"no {method} {status} entry matching {path!r} in the recording")


def edited(har: dict[str, Any], index: int, *, status: int | None = None, body: Any = None,
           content_type: str | None = "keep") -> dict[str, Any]:
    """A copy of the recording with one entry's answer changed."""
    out = copy.deepcopy(har)
    response = out["log"]["entries"][index]["response"]
    if status is not None:
        response["status"] = status
    if body is not None:
        response["content"]["text"] = body if isinstance(body, str) else json.dumps(body)
    if content_type != "keep":
        set_header(response, "content-type", content_type)
        response["content"]["mimeType"] = content_type or ""
    return out


def as_cassette(har: dict[str, Any], *, gzipped: bool) -> dict[str, Any]:
    """The recording as a vcrpy cassette (version 1): header values as lists, bodies as bytes; gzipped: each
    response body compressed, with its Content-Encoding, as vcrpy keeps it without decode_compressed_response."""
    interactions = []
    for entry in har["log"]["entries"]:
        request, response = entry["request"], entry["response"]
        body = response["content"]["text"].encode("utf-8")
        headers: dict[str, list[str]] = {}
        for h in response["headers"]:
            headers.setdefault(h["name"], []).append(h["value"])
        if gzipped and body:
            body = gzip.compress(body)
            headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            headers["Content-Encoding"] = ["gzip"]
        request_headers: dict[str, list[str]] = {}
        for h in request["headers"]:
            request_headers.setdefault(h["name"], []).append(h["value"])
        interactions.append({
            "request": {"body": request.get("postData", {}).get("text"), "headers": request_headers,
                        "method": request["method"], "uri": request["url"]},
            "response": {"body": {"string": body}, "headers": headers,
                         "status": {"code": response["status"], "message": "OK"}},
        })
    return {"interactions": interactions, "version": 1}


def write_yaml(data: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def text_bodies(cassette: dict[str, Any]) -> dict[str, Any]:
    """The cassette with bodies as text (vcrpy's JSON serializer can hold no bytes)."""
    out = copy.deepcopy(cassette)
    for item in out["interactions"]:
        item["response"]["body"]["string"] = item["response"]["body"]["string"].decode("utf-8")
    return out
