"""https targets: the system's CAs, --ca-bundle, --insecure (with a warning in every report), clear failures.

The reference server is served over TLS by the proxy, with a certificate for 127.0.0.1 from a throw-away CA
(trustme, generated at test time).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_support import SELECT_LOGS, HostileProxy, assert_no_token, run_suite, write_config

from conformance.reference import ReferenceServer

trustme = pytest.importorskip("trustme")

# The logs and list checks, and the list operation's fuzz tier (Schemathesis's requests use the same TLS settings).
SELECT_WITH_FUZZ = ("--", "-k", f"{SELECT_LOGS} or (test_gate and listTasks)")


@pytest.fixture(scope="module")
def ca() -> object:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: object, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))  # type: ignore[attr-defined]
    return path


@pytest.fixture
def https_proxy(reference: ReferenceServer, ca: object) -> Iterator[HostileProxy]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)  # type: ignore[attr-defined]
    with HostileProxy(upstream=reference.url, tls=context) as proxy:
        yield proxy


def _config(tmp_path: Path, reference: ReferenceServer, proxy: HostileProxy, **run: str) -> Path:
    target = dict(reference.target_config())
    target["url"] = proxy.url
    assert target["url"].startswith("https://")
    return write_config(tmp_path / "t.toml", target, **run)


def test_ca_bundle(tmp_path: Path, reference: ReferenceServer, https_proxy: HostileProxy, ca_file: Path) -> None:
    config = _config(tmp_path, reference, https_proxy, ca_bundle=str(ca_file), fuzz_budget="1")
    result = run_suite(config, tmp_path / "reports", *SELECT_WITH_FUZZ)
    assert result.code == 0, result.output[-3000:]
    assert result.check("test_gate[listTasks]")["outcome"] == "passed"
    assert result.results()["notes"] == []
    assert_no_token(result, reference)


def test_untrusted_certificate_is_a_clear_preflight_failure(tmp_path: Path, reference: ReferenceServer,
                                                            https_proxy: HostileProxy) -> None:
    result = run_suite(_config(tmp_path, reference, https_proxy), tmp_path / "reports")
    assert result.code == 3, result.output[-3000:]
    error = result.results()["error"]
    assert "TLS certificate not trusted" in error and "--ca-bundle" in error and "--insecure" in error, error
    assert "certificate verify failed" in error
    assert_no_token(result, reference)


def test_insecure_works_and_warns(tmp_path: Path, reference: ReferenceServer, https_proxy: HostileProxy) -> None:
    config = _config(tmp_path, reference, https_proxy, fuzz_budget="1")
    result = run_suite(config, tmp_path / "reports", "--insecure", *SELECT_WITH_FUZZ)
    assert result.code == 0, result.output[-3000:]
    notes = result.results()["notes"]
    assert any("TLS certificate verification was OFF" in n for n in notes), notes
    assert "TLS certificate verification was OFF" in result.html()
    assert "WARNING: TLS certificate verification is OFF" in result.output
    assert result.results()["config"]["run"]["insecure"] is True
    assert_no_token(result, reference)


def test_system_trust_store(tmp_path: Path, reference: ReferenceServer, https_proxy: HostileProxy,
                            ca_file: Path) -> None:
    """Without ca_bundle the system's trust store is used (OpenSSL's default paths, which SSL_CERT_FILE sets)."""
    result = run_suite(_config(tmp_path, reference, https_proxy), tmp_path / "reports", "--", "-k", SELECT_LOGS,
                       env={"SSL_CERT_FILE": str(ca_file)})
    assert result.code == 0, result.output[-3000:]


@pytest.mark.parametrize(("args", "message"), [
    (("--insecure", "--ca-bundle", "CA"), "ca_bundle (flag --ca-bundle) and insecure (flag --insecure) exclude"),
    (("--ca-bundle", "/nonexistent/ca.pem"), "invalid ca_bundle '/nonexistent/ca.pem' (flag --ca-bundle): no such"),
])
def test_tls_settings_are_validated(args: tuple[str, ...], message: str, tmp_path: Path,
                                    reference: ReferenceServer, ca_file: Path) -> None:
    config = write_config(tmp_path / "t.toml", dict(reference.target_config()))
    result = run_suite(config, tmp_path / "reports", *[str(ca_file) if a == "CA" else a for a in args])
    assert result.code == 2, result.output[-3000:]
    assert message in result.output
