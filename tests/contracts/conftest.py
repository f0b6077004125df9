"""The contract's own tests: servers they start are the reference's, on 127.0.0.1 only (its typed client is the
reference self-tests' own: tests/reference/ref_support.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "reference"))
