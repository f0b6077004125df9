"""The run configuration: one table of settings, each with three spellings.

Precedence: command-line flag > environment variable > config file > default. The config is validated once,
here, and passed down as frozen dataclasses; every error is one line that names the setting and where its value
came from. Secrets are never part of an error message.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shlex
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.contracts.profiles import AUTO, PROFILE_NAMES, parse_version, profile_for
from conformance.contracts.requirements import catalogue
from conformance.runner.process.userfiles import UserFileError, load_toml
from conformance.runner.records.results_file import ResultsFileError, Status, load_statuses
from conformance.runner.settings.http import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_RETRIES_429,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
    HttpSettings,
)
from conformance.runner.settings.waivers import Waiver, WaiverError, load_waivers

ENV_PREFIX = "TASKS_CONFORMANCE_"
CONFIG_ENV = ENV_PREFIX + "CONFIG"


class ConfigError(Exception):
    """Invalid configuration. The message is one line, safe to print (no secrets)."""


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name, its table in the config file, its type and its default."""

    name: str
    table: str  # "target" or "run"
    kind: type
    default: Any = None
    help: str = ""
    secret: bool = False
    # Optional validator: receives the typed value, returns an error text or None.
    check: Callable[[Any], str | None] | None = None
    flag_name: str | None = None  # when the flag is not --<name>
    pytest_flag_name: str | None = None  # when pytest already owns the flag (pytest has its own --strict)
    convert: Callable[[Any], Any] = lambda value: value  # the parsed value as the run holds it

    @property
    def flag(self) -> str:
        return self.flag_name or "--" + self.name.replace("_", "-")

    @property
    def pytest_flag(self) -> str:
        return self.pytest_flag_name or self.flag

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


def _check_url(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if "@" in parts.netloc:
        return ("must not carry a user name or password (user:password@): it would be printed and sent with every "
                "request; the suite authenticates with the session tokens")
    if parts.query or parts.fragment:
        return "must not carry a query or fragment"
    return None


def display_url(url: str | None) -> str | None:
    """A URL fit for a report: no user:password, no query or fragment."""
    if not url:
        return url
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    return urlunsplit((parts.scheme, f"[REDACTED]@{host}" if at else host, parts.path, "", ""))


MIN_TOKEN_LENGTH = 8  # Coder's session tokens are 33 characters; anything much shorter cannot be masked safely


def _check_token(value: str) -> str | None:
    """A session token goes into a header as it is: printable ASCII without spaces, long enough to mask."""
    if any(not 0x21 <= ord(c) <= 0x7E for c in value):
        return ("must be printable ASCII without spaces or control characters (a session token is sent in an "
                "HTTP header as it is)")
    if len(value) < MIN_TOKEN_LENGTH:
        return f"must be at least {MIN_TOKEN_LENGTH} characters long (Coder's session tokens have 33)"
    return None


def _check_uuid(value: str) -> str | None:
    """A template version is named by its id: a UUID (`coder templates versions list TEMPLATE` shows them)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return "must be a template version's id, a UUID like 8b1a4b36-5e0f-4c4e-9a7e-1f0c2b3d4e5f"
    return None


def _check_profile(value: str) -> str | None:
    if value not in (AUTO, *PROFILE_NAMES):
        return f"must be one of {AUTO}, {', '.join(PROFILE_NAMES)}"
    return None


def _check_prefix(value: str) -> str | None:
    if not value.startswith("/"):
        return "must start with '/'"
    return None


def _check_positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _check_non_negative(value: float) -> str | None:
    return None if value >= 0 else "must be 0 or greater"


def _check_file(value: str) -> str | None:
    path = Path(value).expanduser()
    if not path.is_file():
        return "no such file" if not path.exists() else "is not a regular file"
    return None


def _check_ca_bundle(value: str) -> str | None:
    path = Path(value).expanduser()
    if not path.exists():
        return "no such file or directory"
    if not (path.is_file() or path.is_dir()):
        return "must be a PEM file or a directory of CA certificates"
    return None


# Whose each token setting is: the roles the clients, the ledger and every message use.
ROLE_SETTINGS = {"primary": "token", "second": "second_token", "admin": "admin_token"}  # role -> its token setting
ROLES = tuple(ROLE_SETTINGS)  # the identities a run may act as, each with a token of its own


_SETTING = "setting"  # the key of a field's metadata that makes it a setting


def setting(kind: type, default: Any, help: str, **options: Any) -> Any:
    """A field of Target or RunSettings that is a setting: its type as the command line and the config file give it,
    its default (as given), its help, and Setting's options. The field's own default is the converted one."""
    spec = Setting("", "", kind, default, help, **options)
    return field(default=spec.convert(default), metadata={_SETTING: spec})


def _or_none(value: Any) -> Any:
    return value or None


def _url(text: str | None) -> str | None:
    return text.rstrip("/") or None if text else None


def _prefix(text: str | None) -> str | None:
    """None: the profile's prefix; "" (or "/"): the base URL itself; else one leading slash, none trailing."""
    if text is None:
        return None
    return "/" + text.strip("/") if text.strip("/") else ""


def _profile_or_auto(text: str | None) -> str:
    return text or AUTO


def _report_dir(text: str | None) -> str:
    return text or "reports"


def _path(text: str | None) -> str | None:
    return str(Path(text).expanduser()) if text else None


def _names(text: str | None) -> tuple[str, ...]:
    """A comma-separated list of names, blanks dropped."""
    return tuple(n.strip() for n in (text or "").split(",") if n.strip())


@dataclass(frozen=True)
class Target:
    """The server under test. Each field is a setting of [target], declared here once."""

    url: str | None = setting(
        str, None,
        "server base URL, without the API prefix (default: the embedded reference server)",
        check=_check_url, flag_name="--target-url", convert=_url)
    profile: str = setting(
        str, AUTO,
        "the generation of the Tasks API to judge the target by: auto (from the version the server reports; else "
        "from the prefix that answers), legacy (v2.27 and before), experimental (v2.28) or stable (v2.29 to "
        "v2.36)",
        check=_check_profile, convert=_profile_or_auto)
    api_prefix: str | None = setting(
        str, None,
        "API prefix under the base URL (default: the profile's: /api/v2 for stable, /api/experimental for the "
        "others)",
        check=_check_prefix, convert=_prefix)
    token: str | None = setting(
        str, None,
        "session token of the primary member",
        secret=True, check=_check_token, convert=_or_none)
    second_token: str | None = setting(
        str, None,
        "session token of a second, different member",
        secret=True, check=_check_token, convert=_or_none)
    admin_token: str | None = setting(
        str, None,
        "session token of an owner/admin (optional)",
        secret=True, check=_check_token, convert=_or_none)
    template_version_id: str | None = setting(
        str, None,
        "a template version that can run AI tasks (its UUID)",
        check=_check_uuid, convert=_or_none)
    non_ai_template_version_id: str | None = setting(
        str, None,
        "a template version without an AI task (optional; its UUID)",
        check=_check_uuid, convert=_or_none)
    organization_name: str | None = setting(
        str, None,
        "name of the organization the tasks are created in (optional; enables the organization-name filter check)",
        convert=_or_none)

    @property
    def embedded(self) -> bool:
        return self.url is None

    def tokens(self) -> dict[str, str]:
        """The configured tokens by role ("primary", "second", "admin"); a role without a token is left out."""
        return {role: getattr(self, name) for role, name in ROLE_SETTINGS.items() if getattr(self, name)}

    def secrets(self) -> tuple[str, ...]:
        return tuple(self.tokens().values())

    def labelled_secrets(self) -> tuple[tuple[str, str], ...]:
        """(secret, the environment variable of its setting): how a command shown to a reader names it."""
        return tuple((token, SETTINGS_BY_NAME[ROLE_SETTINGS[role]].env) for role, token in self.tokens().items())


@dataclass(frozen=True)
class RunSettings:
    """How the run goes. Each field is a setting of [run], declared here once."""

    request_timeout: float = setting(
        float, DEFAULT_READ_TIMEOUT,
        "read timeout: seconds to wait for a response, and for each further piece of its body",
        check=_check_positive)
    connect_timeout: float = setting(
        float, DEFAULT_CONNECT_TIMEOUT,
        "seconds to wait for a connection (TCP and TLS handshake)",
        check=_check_positive)
    total_timeout: float = setting(
        float, DEFAULT_TOTAL_TIMEOUT,
        "seconds one request may take in all, from connecting to the last byte of the body",
        check=_check_positive)
    max_body_bytes: int = setting(
        int, DEFAULT_MAX_BODY_BYTES,
        "largest response body read, in bytes after gzip/deflate decoding; a larger one fails the check",
        check=_check_positive)
    ca_bundle: str | None = setting(
        str, None,
        "https: CA certificates (PEM file or directory) to trust instead of the system's",
        check=_check_ca_bundle, convert=_path)
    insecure: bool = setting(
        bool, False,
        "https: do not verify the server's certificate (self-signed staging servers; the report warns)")
    max_rps: float = setting(
        float, 0.0,
        "cap on the suite's own requests per second (0: no cap)",
        check=_check_non_negative)
    max_retries_429: int = setting(
        int, DEFAULT_MAX_RETRIES_429,
        "retries of a request answered 429 (rate limited), after Retry-After or a backoff; a request still rate "
        "limited skips its check",
        check=_check_non_negative)
    active_timeout: float = setting(
        float, 120.0,
        "seconds to wait for a new task to become active",
        check=_check_positive)
    cleanup_timeout: float = setting(
        float, 60.0,
        "seconds the cleanup at the end of a run may take in all (no request or 429 wait goes past it); what it "
        "could not remove is reported",
        check=_check_positive)
    poll_interval: float = setting(
        float, 0.2,
        "most seconds between polls of asynchronous state (the first pauses are 20 ms, doubling up to this)",
        check=_check_positive)
    read_only: bool = setting(
        bool, False,
        "run only the checks that create nothing")
    strict: bool = setting(
        bool, False,
        "fail the verdict on SHOULD requirements too",
        pytest_flag_name="--conformance-strict")
    report_dir: str = setting(
        str, "reports",
        "directory for the reports (results.json, the HTML report, JUnit XML, evidence.har)",
        convert=_report_dir)
    html: str | None = setting(
        str, None,
        "where to write the HTML report (default: REPORT_DIR/conformance.html)",
        pytest_flag_name="--conformance-html", convert=_path)
    junitxml: str | None = setting(
        str, None,
        "where to write the JUnit XML (default: REPORT_DIR/junit.xml)",
        pytest_flag_name="--conformance-junitxml", convert=_path)
    bundle: str | None = setting(
        str, None,
        "also pack the reports, the evidence and the redacted configuration into this .tar.gz with a SHA-256 "
        "manifest",
        convert=_path)
    waivers: str | None = setting(
        str, None,
        "TOML file of waivers: known failures that do not fail the run until they expire",
        check=lambda v: _check_file(v), convert=_path)
    baseline: str | None = setting(
        str, None,
        "an earlier results.json: fail only on regressions against it",
        check=lambda v: _check_file(v), convert=_path)
    seed: int | None = setting(
        int, None,
        "seed for generated names and fuzzing (default: random)")
    fuzz_budget: int = setting(
        int, 20,
        "fuzzing: generated examples per operation (0 turns fuzzing off)",
        check=_check_non_negative)
    fuzz_seed: int | None = setting(
        int, None,
        "fuzzing seed (default: --seed, else fixed 0 for repeatable runs)")
    fuzz_time_limit: float = setting(
        float, 60.0,
        "fuzzing: wall-clock cap in seconds for all fuzz tiers together",
        check=_check_positive)
    reference_version: str | None = setting(
        str, None,
        "embedded reference server only: the Coder release it serves (default: the profile's newest; stable: "
        "v2.34.0)",
        check=lambda v: None if parse_version(v) else "must be a version like v2.31.4", convert=_or_none)
    lifecycle_delay: float = setting(
        float, 0.05,
        "embedded reference server only: seconds per task lifecycle step",
        check=_check_non_negative)
    reference_faults: tuple[str, ...] = setting(
        str, "",
        "embedded reference server only: comma-separated named faults to enable",
        convert=_names)
    reference_variations: tuple[str, ...] = setting(
        str, "",
        "embedded reference server only: comma-separated legitimate variations to enable",
        convert=_names)

    @property
    def fuzzing_seed(self) -> int:
        """The seed the fuzz tiers use: fuzz_seed, else seed, else 0 (fuzzing repeats itself unless told otherwise)."""
        if self.fuzz_seed is not None:
            return self.fuzz_seed
        return self.seed if self.seed is not None else 0

    @property
    def http(self) -> HttpSettings:
        """The transport's part of these settings: every request of the run goes through it."""
        return HttpSettings(
            connect_timeout=self.connect_timeout, read_timeout=self.request_timeout,
            total_timeout=self.total_timeout, max_body_bytes=self.max_body_bytes, ca_bundle=self.ca_bundle,
            insecure=self.insecure, max_rps=self.max_rps, max_retries_429=self.max_retries_429,
            wait_budget=WAIT_BUDGET_PER_ACTIVE_TIMEOUT * self.active_timeout,
        )


def _settings(table: str, holder: type) -> tuple[Setting, ...]:
    return tuple(dataclasses.replace(f.metadata[_SETTING], name=f.name, table=table)
                 for f in dataclasses.fields(holder) if _SETTING in f.metadata)


SETTINGS: tuple[Setting, ...] = _settings("target", Target) + _settings("run", RunSettings)
REFERENCE_ONLY = ("reference_faults", "reference_variations", "reference_version")
# Settings a rerun command sets itself: the seeds it repeats, the report paths of its own.
RERUN_OWN = ("seed", "fuzz_seed", "report_dir", "html", "junitxml", "bundle")
SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
TABLES: dict[str, set[str]] = {
    table: {s.name for s in SETTINGS if s.table == table} for table in ("target", "run")
}


# The run waits at most this many active_timeouts, in all, because the server's rate-limit headers asked (pacing,
# Retry-After): 40 minutes by default; past it, the run stops (exit 3) naming what the server said.
WAIT_BUDGET_PER_ACTIVE_TIMEOUT = 20

# The embedded server activates a task in two lifecycle steps (0.1 s by default): a stuck task shows in seconds,
# and polling it as slowly as a real server would only adds waiting.
EMBEDDED_DEFAULTS = {"active_timeout": 10.0, "poll_interval": 0.02}
EMBEDDED_SOURCE = "embedded reference server"
EMBEDDED_TARGET_KEYS = ("url", "token", "second_token", "admin_token", "template_version_id",
                        "non_ai_template_version_id", "organization_name")


@dataclass(frozen=True)
class Config:
    target: Target
    run: RunSettings
    # Where each setting's value came from: "flag --x", "environment TASKS_CONFORMANCE_X", "config file P [table]",
    # "embedded reference server", "default for the embedded server", "default".
    sources: Mapping[str, str] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()  # read from run.waivers
    baseline: Mapping[str, Status] | None = None  # read from run.baseline

    def with_target(self, **changes: Any) -> Config:
        return dataclasses.replace(self, target=dataclasses.replace(self.target, **changes))

    def with_run(self, **changes: Any) -> Config:
        return dataclasses.replace(self, run=dataclasses.replace(self.run, **changes))

    def embedded_profile(self) -> str:
        """The generation the embedded server serves: the profile asked for, else the one of the reference release
        asked for, else stable (the generation most deployments run)."""
        if self.target.profile != AUTO:
            return self.target.profile
        version = parse_version(self.run.reference_version)
        return profile_for(version).name if version is not None else "stable"

    def for_embedded(self, values: Mapping[str, Any]) -> Config:
        """The configuration of a run against the embedded server, once it runs: its URL, tokens and template
        versions, and the embedded defaults where nothing else was set; each value's source says so."""
        sources = dict(self.sources)
        run_changes: dict[str, Any] = {}
        for name, value in EMBEDDED_DEFAULTS.items():
            if sources.get(name) == "default":
                run_changes[name], sources[name] = value, "default for the embedded server"
        target_changes: dict[str, Any] = {k: values.get(k) for k in EMBEDDED_TARGET_KEYS if k in values}
        sources.update(dict.fromkeys(target_changes, EMBEDDED_SOURCE))
        return dataclasses.replace(self, target=dataclasses.replace(self.target, **target_changes),
                                   run=dataclasses.replace(self.run, **run_changes), sources=sources)

    def rerun_command(self, seed: int, fuzz_seed: int, report_dir: str, prog: str = "tasks-conformance run") -> str:
        """The command that repeats this run: the flags it was given (tokens as environment variables to fill in),
        the config file it read, every seed that shaped it (the fuzz seed too), and a report directory of its own so
        that it never overwrites this run's reports; settings from the environment stay in the environment."""
        parts = [prog]
        files = sorted({src.split(" [", 1)[0].removeprefix("config file ") for src in self.sources.values()
                        if src.startswith("config file ")})
        parts += [f"--config {shlex.quote(f)}" for f in files]
        for s in SETTINGS:
            if not self.sources.get(s.name, "").startswith("flag ") or s.name in RERUN_OWN:
                continue
            value = getattr(self.target if s.table == "target" else self.run, s.name)
            if s.kind is bool:
                parts += [s.flag] if value else []
            elif s.secret:
                parts.append(f'{s.flag} "${s.env}"')
            else:
                parts.append(f"{s.flag} {shlex.quote(','.join(value) if isinstance(value, tuple) else str(value))}")
        parts += [f"--seed {seed}", f"--fuzz-seed {fuzz_seed}", f"--report-dir {shlex.quote(report_dir)}"]
        for name in ("html", "junitxml", "bundle"):  # a report given a path of its own goes there too
            path = getattr(self.run, name)
            if path:
                parts.append(f"{SETTINGS_BY_NAME[name].flag} {shlex.quote(str(Path(report_dir) / Path(path).name))}")
        return " ".join(parts)

    def redacted(self) -> dict[str, dict[str, Any]]:
        """The config as plain data with every secret replaced, for reports."""
        out: dict[str, dict[str, Any]] = {"target": {}, "run": {}}
        for s in SETTINGS:
            holder = self.target if s.table == "target" else self.run
            value = getattr(holder, s.name)
            if s.secret and value:
                value = "[REDACTED]"
            elif isinstance(value, tuple):
                value = ",".join(value)
            out[s.table][s.name] = value
        return out


def _parse(setting: Setting, raw: Any, source: str) -> Any:
    """Convert a raw value (string from flag/env, or TOML value) to the setting's type."""
    where = f"{setting.name} ({source})"
    if setting.kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"invalid {where}: expected true or false")
    if setting.kind is int:
        if isinstance(raw, bool):
            raise ConfigError(f"invalid {where}: expected an integer")
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"invalid {where}: expected an integer") from None
    if setting.kind is float:
        if isinstance(raw, bool):
            raise ConfigError(f"invalid {where}: expected a number")
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"invalid {where}: expected a number") from None
        if not math.isfinite(number):
            raise ConfigError(f"invalid {where}: expected a finite number, got {raw!r}")
        return number
    if not isinstance(raw, str):
        raise ConfigError(f"invalid {where}: expected a string")
    return raw.strip()


MAX_CONFIG_BYTES = 1024 * 1024  # a config file is a few hundred bytes; anything past this is not one


def read_config_file(path: Path) -> dict[str, tuple[Any, str]]:
    """Read a TOML config file into {setting: (raw value, source)}; unknown tables or keys are errors."""
    source = f"config file {path}"
    try:
        data = load_toml(path, "config file", MAX_CONFIG_BYTES)
    except UserFileError as exc:
        raise ConfigError(str(exc)) from None
    values: dict[str, tuple[Any, str]] = {}
    for table, entries in data.items():
        if table not in TABLES:
            raise ConfigError(f"unknown table [{table}] in {source} (expected [target] or [run])")
        if not isinstance(entries, dict):
            raise ConfigError(f"'{table}' in {source} must be a table")
        for key, raw in entries.items():
            if key not in TABLES[table]:
                known = ", ".join(sorted(TABLES[table]))
                raise ConfigError(f"unknown key '{key}' in [{table}] of {source} (known: {known})")
            values[key] = (raw, f"{source} [{table}]")
    return values


def load_config(
    flags: Mapping[str, Any], environ: Mapping[str, str] | None = None, config_path: str | None = None
) -> Config:
    """Build the Config from flag values (None = not given), the environment and the config file."""
    env = os.environ if environ is None else environ
    path = config_path or env.get(CONFIG_ENV) or None
    file_values = read_config_file(Path(path)) if path else {}

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        raw: Any
        if flags.get(s.name) is not None:
            raw, source = flags[s.name], f"flag {s.flag}"
        elif env.get(s.env, "") != "":
            raw, source = env[s.env], f"environment {s.env}"
        elif s.name in file_values:
            raw, source = file_values[s.name]
        else:
            values[s.name], sources[s.name] = s.default, "default"
            continue
        value = _parse(s, raw, source)
        if value == "":
            value = s.default
        elif s.check is not None:
            problem = s.check(value)
            if problem:
                shown = " (the value is not shown)" if s.secret else f" {_shown(s, value)!r}"
                raise ConfigError(f"invalid {s.name}{shown} ({source}): {problem}")
        values[s.name], sources[s.name] = value, source
    return _assemble(values, sources)


def _shown(setting: Setting, value: Any) -> Any:
    """A setting's value as an error message may show it (a URL without its user:password)."""
    return display_url(value) if setting is SETTINGS_BY_NAME["url"] else value


def _assemble(values: dict[str, Any], sources: dict[str, str]) -> Config:
    target = Target(**{s.name: s.convert(values[s.name]) for s in SETTINGS if s.table == "target"})
    run = RunSettings(**{s.name: s.convert(values[s.name]) for s in SETTINGS if s.table == "run"})
    config = Config(target, run, sources, waivers=_waivers(run.waivers, sources),
                    baseline=_baseline(run.baseline, sources))
    _check_target(config)
    return config


def _waivers(path: str | None, sources: Mapping[str, str]) -> tuple[Waiver, ...]:
    if not path:
        return ()
    try:
        return load_waivers(Path(path), catalogue())
    except WaiverError as exc:
        raise ConfigError(f"{exc} (waivers, {sources['waivers']})") from None


def _baseline(path: str | None, sources: Mapping[str, str]) -> Mapping[str, Status] | None:
    if not path:
        return None
    try:
        return load_statuses(Path(path))
    except ResultsFileError as exc:
        raise ConfigError(f"{exc} (baseline, {sources['baseline']})") from None


def _check_target(config: Config) -> None:
    """Cross-setting rules for a remote target (the embedded server fills these in itself)."""
    t, run = config.target, config.run
    if run.insecure and run.ca_bundle:
        raise ConfigError(f"ca_bundle ({config.sources['ca_bundle']}) and insecure ({config.sources['insecure']}) "
                          "exclude each other: trust a CA bundle, or skip verification")
    if t.embedded:
        if t.token or t.second_token or t.admin_token:
            raise ConfigError("tokens were given but no target url: set url (--target-url) or drop the tokens")
        return
    for name in REFERENCE_ONLY:
        if getattr(run, name):
            raise ConfigError(f"{name} ({config.sources[name]}) applies only to the embedded server, "
                              "but a target url is set")
    if not t.token:
        raise ConfigError("missing token for the remote target: set --token, TASKS_CONFORMANCE_TOKEN "
                          "or [target] token")
    if not t.second_token:
        raise ConfigError("missing second_token for the remote target: set --second-token, "
                          "TASKS_CONFORMANCE_SECOND_TOKEN or [target] second_token")
    if len(set(t.secrets())) != len(t.secrets()):
        raise ConfigError("token, second_token and admin_token must be different tokens of different users")
    if not run.read_only and not t.template_version_id:
        raise ConfigError("missing template_version_id for the remote target (needed to create tasks; "
                          "or run with --read-only)")
