"""Rate limiting (429), the suite's own pace (max_rps), and the fuzz tiers on the same transport."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hostile_support import (
    LOGS_CHECK,
    SELECT_LOGS,
    HostileProxy,
    assert_no_token,
    gzip_bomb,
    hang,
    is_list,
    is_logs,
    rate_limited,
    run_suite,
)

from conformance.reference import ReferenceServer


def test_429_is_retried_and_reported(reference: ReferenceServer, proxy: HostileProxy,
                                     proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    proxy.rules.append((is_logs, rate_limited(2, retry_after="0")))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 0, result.output[-3000:]
    assert result.check(LOGS_CHECK)["outcome"] == "passed"
    notes = result.results()["notes"]
    assert any("2 answer(s) 429 were retried" in n for n in notes), notes
    assert "2 answer(s) 429 were retried" in result.html()
    assert "note: The server rate limited the suite" in result.output
    assert_no_token(result, reference)


def test_429_without_retry_after_backs_off(reference: ReferenceServer, proxy: HostileProxy,
                                           proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    proxy.rules.append((is_logs, rate_limited(1, retry_after=None)))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 0, result.output[-3000:]
    logs = [r for r in proxy.requests if is_logs(r)]
    assert len(logs) == 2
    assert logs[1].at - logs[0].at >= 0.45  # the first backoff is 0.5 s


def test_still_rate_limited_skips_the_check(reference: ReferenceServer, proxy: HostileProxy,
                                            proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    """A 429 is not a contract failure: after every retry the check is skipped (saying why), the verdict holds."""
    proxy.rules.append((is_logs, rate_limited(None, retry_after="0")))
    result = run_suite(proxied_config(max_retries_429="2"), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 0, result.output[-3000:]
    logs = result.check(LOGS_CHECK)
    assert logs["outcome"] == "skipped"
    assert "rate limited" in logs["message"] and "429 after 2 retries" in logs["message"], logs["message"]
    assert "not a contract failure" in logs["message"]
    assert len([r for r in proxy.requests if is_logs(r)]) == 3
    assert any("still rate limited after every retry" in n for n in result.results()["notes"])
    assert_no_token(result, reference)


def test_rate_limited_preflight(reference: ReferenceServer, proxy: HostileProxy,
                                proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    proxy.rules.append((is_list, rate_limited(None, retry_after="0")))
    result = run_suite(proxied_config(max_retries_429="1"), tmp_path / "reports")
    assert result.code == 3, result.output[-3000:]
    assert "keeps answering 429 (rate limited)" in result.results()["error"]


def test_max_rps_caps_the_pace(reference: ReferenceServer, proxy: HostileProxy,
                               proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    cap = 15
    result = run_suite(proxied_config(max_rps=str(cap)), tmp_path / "reports", "--read-only", "--",
                       "-k", "test_bad_token_is_401")
    assert result.code == 0, result.output[-3000:]
    times = sorted(r.at for r in proxy.requests)
    assert len(times) > 2 * cap
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= cap + 1, f"{busiest} requests within one second with max_rps {cap}"
    assert any(f"at most {cap} per second" in n for n in result.results()["notes"])


FUZZ_LOGS = ("--", "-k", "test_gate and getTaskLogs")


def test_fuzz_requests_time_out(reference: ReferenceServer, proxy: HostileProxy,
                                proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    """Schemathesis's requests go through the same transport: a hanging endpoint costs request_timeout per case,
    and the fuzz time limit bounds the whole tier."""
    proxy.rules.append((is_logs, hang()))
    config = proxied_config(fuzz_budget="2", fuzz_time_limit="5")
    result = run_suite(config, tmp_path / "reports", *FUZZ_LOGS)
    assert result.code == 1, result.output[-3000:]
    message = result.check("getTaskLogs")["message"]
    assert "NO-RESPONSE" in message, message
    assert "no response within 1 s (request_timeout)" in result.html()
    assert result.elapsed < 40
    assert_no_token(result, reference)


def test_fuzz_body_cap(reference: ReferenceServer, proxy: HostileProxy, proxied_config: Callable[..., Path],
                       tmp_path: Path) -> None:
    proxy.rules.append((is_logs, gzip_bomb()))
    result = run_suite(proxied_config(fuzz_budget="2"), tmp_path / "reports", *FUZZ_LOGS)
    assert result.code == 1, result.output[-3000:]
    assert "UNUSABLE-BODY" in result.check("getTaskLogs")["message"]  # an answer came: the server is alive
    assert "larger than 4194304 bytes after gzip decoding" in result.html()
    assert_no_token(result, reference)


def test_fuzz_rate_limited_is_not_a_failure(reference: ReferenceServer, proxy: HostileProxy,
                                            proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    proxy.rules.append((lambda r: r.path.endswith("/logs"), rate_limited(None, retry_after="0")))  # any method
    result = run_suite(proxied_config(fuzz_budget="2", max_retries_429="0"), tmp_path / "reports",
                       FUZZ_LOGS[0], FUZZ_LOGS[1], f"({FUZZ_LOGS[2]}) or test_list_count_matches")
    assert result.code == 0, result.output[-3000:]
    check = result.check("getTaskLogs")
    assert check["outcome"] == "skipped" and "rate limited" in check["message"], check
    # alone, the rate-limited check verifies nothing: that run is no pass (exit 3, README: "still rate limited")
    alone = run_suite(proxied_config(fuzz_budget="2", max_retries_429="0"), tmp_path / "alone", *FUZZ_LOGS)
    assert alone.code == 3 and "rate limited" in alone.results()["error"], alone.output[-3000:]
