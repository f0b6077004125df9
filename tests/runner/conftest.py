"""Fixtures of the runner self-tests."""

from runner_support import reference  # noqa: F401  (a fixture)
