"""The run's HTTP settings: how long a request may take, how large an answer may be, TLS, pacing.

config.RunSettings.http builds them from [run]; the transport (runner/http/transport.py) applies them."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_TOTAL_TIMEOUT = 30.0
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_RETRIES_429 = 3
DEFAULT_WAIT_BUDGET = 2400.0  # what the default settings give (config.WAIT_BUDGET_PER_ACTIVE_TIMEOUT x 120 s)


@dataclass(frozen=True)
class HttpSettings:
    """The transport-level settings of a run (config.RunSettings.http builds them from [run])."""

    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    ca_bundle: str | None = None
    insecure: bool = False
    max_rps: float = 0.0
    max_retries_429: int = DEFAULT_MAX_RETRIES_429
    wait_budget: float = DEFAULT_WAIT_BUDGET  # seconds the server's rate-limit headers may make the whole run wait

    @property
    def verify(self) -> bool | str:
        """For tools that take requests' `verify`: False, a CA bundle path, or True."""
        return False if self.insecure else (self.ca_bundle or True)
