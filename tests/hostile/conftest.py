"""Fixtures of the hostile-server self-tests."""

from hostile_support import proxied_config, proxy, reference  # noqa: F401  (fixtures)
