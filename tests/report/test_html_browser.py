"""The HTML report in headless Chromium: renders offline without script, the verdict and what failed above the
fold, the matrix below, a failed check's evidence expands. Saves a PNG screenshot next to each report
(conformance.png: the first screen of it).

Needs Debian's chromium (`apt-get install chromium`; .ci/run installs it) and the `playwright` package (dev
extra). Playwright drives the system browser; it never downloads one.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_support import MUST_REQ, SHOULD_REQ, SuiteRun

from conformance.contracts.requirements import catalogue

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("the browser test needs Debian's chromium: apt-get install chromium (.ci/run does)",
                    pytrace=False)
    from playwright import sync_api

    with tempfile.TemporaryDirectory(prefix="tc-chromium-") as profile, sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=LAPTOP,
            offline=True,
        )
        try:
            yield context
        finally:
            context.close()


class Page:
    """A report opened in the browser, with every script error and every non-file request recorded."""

    def __init__(self, context: Any, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error"
                     else None)
        self.page.on("request", lambda req: None if req.url.startswith(("file:", "data:", "about:"))
                     else self.requests.append(req.url))
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_selector("#tc-matrix", state="attached")

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def open_report(browser: Any) -> Iterator[Any]:
    pages: list[Page] = []

    def opener(path: Path) -> Page:
        page = Page(browser, path)
        pages.append(page)
        return page

    yield opener
    for p in pages:
        p.close()


def _common_checks(page: Page, run: SuiteRun, verdict: str) -> None:
    pg = page.page
    assert pg.locator("#tc-verdict").is_visible()
    shown = pg.locator("#tc-verdict").inner_text().strip()
    assert shown.split(" (partial:")[0] == verdict
    assert ("(partial:" in shown) == bool(run.results()["partial"])  # the subset of checks says so
    assert pg.locator("#tc-matrix").is_visible()
    assert pg.locator("table.tc-matrix tbody tr").count() == len(catalogue(run.results()["target"]["profile"]))
    assert f"the {run.results()['target']['profile']} profile" in pg.locator("header, dl").first.inner_text()
    assert pg.locator("table.tc-endpoints tbody tr").count() >= 6  # one row per operation (and "all")
    assert pg.locator("script").count() == 0  # a static page: nothing to run, one set of counts
    # laptop width: nothing wider than the window
    assert pg.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    pg.screenshot(path=str(run.report_dir / "conformance.png"))
    shot = run.report_dir / "conformance.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.errors == []
    assert page.requests == []


def test_failing_report_renders_and_its_evidence_expands(failing_run: SuiteRun, open_report: Any) -> None:
    page = open_report(failing_run.html)
    _common_checks(page, failing_run, "FAIL")
    pg = page.page
    assert MUST_REQ in pg.locator("#tc-header").inner_text()
    # the verdict and the run's provenance (its long configuration folded), then what failed, starting within the
    # first screen, before the per-endpoint summary and the matrix
    first = pg.locator("article.tc-check-failed").first.bounding_box()
    assert first is not None and first["y"] < LAPTOP["height"], first
    order = [pg.locator(sel).bounding_box()["y"] for sel in ("#tc-header", "#tc-provenance", "#tc-problems",
                                                            "#tc-endpoints", "#tc-matrix")]
    assert order == sorted(order)
    assert "Suite version" in pg.locator("#tc-provenance").inner_text()
    assert not pg.locator("#tc-provenance table.tc-config-table").is_visible()
    pg.locator("#tc-config > summary").click()
    assert pg.locator("#tc-provenance table.tc-config-table").is_visible()
    failed_row = pg.locator(f"tr.tc-row-failed#req-{MUST_REQ}")
    assert failed_row.is_visible()
    assert "FAILED" in failed_row.inner_text().upper()
    assert pg.locator(f"tr.tc-row-warning#req-{SHOULD_REQ}").is_visible()

    check = pg.locator("article.tc-check-failed").first
    assert check.locator(".tc-message").inner_text().startswith("expected")
    assert MUST_REQ in check.locator(".tc-breaks").inner_text()
    rerun = check.locator(".tc-rerun pre").inner_text()
    assert rerun.startswith("tasks-conformance run ") and "--seed " in rerun and "--check " in rerun
    exchange = check.locator("details.tc-exchange").first
    request_block = exchange.locator("pre.tc-request")
    assert not request_block.is_visible()
    exchange.locator("summary").click()
    assert request_block.is_visible()
    text = request_block.inner_text()
    assert re.match(r"(GET|POST|DELETE|PATCH) http://127\.0\.0\.1:\d+/api/(v2|experimental)/", text)
    assert "coder-session-token: [REDACTED]" in text
    assert exchange.locator("pre.tc-response").inner_text().startswith("HTTP ")
    assert exchange.locator("pre.tc-curl").inner_text().startswith("curl ")
    # the verdict line links to the failed requirement's row in the matrix, which links its source
    href = pg.locator("#tc-verdict-line a").first.get_attribute("href")
    assert href and pg.locator(f"tr{href}").count() == 1
    assert pg.locator("td.tc-source a[href^='https://github.com/coder/coder/']").count() >= 1
    assert pg.locator("article.tc-check-warning").count() >= 1
    pg.screenshot(path=str(failing_run.report_dir / "conformance-evidence.png"))


def test_passing_report_renders_with_a_pass_verdict(passing_run: SuiteRun, open_report: Any) -> None:
    page = open_report(passing_run.html)
    _common_checks(page, passing_run, "PASS")
    pg = page.page
    assert pg.locator("tr.tc-row-failed").count() == 0
    assert pg.locator("article.tc-check").count() == 0
    assert "No check failed" in pg.locator("#tc-problems").inner_text()


def test_embedded_fault_report_shows_fail(embedded_failing_run: SuiteRun, open_report: Any) -> None:
    page = open_report(embedded_failing_run.html)
    _common_checks(page, embedded_failing_run, "FAIL")
    assert "embedded reference server (faults: wrong-secret-accepted" in page.page.locator("#tc-header").inner_text()


def test_report_of_a_failed_preflight_says_why(preflight_failed_run: SuiteRun, open_report: Any) -> None:
    page = open_report(preflight_failed_run.html)
    pg = page.page
    assert pg.locator("#tc-verdict").inner_text().strip() == "ERROR"
    assert "preflight failed" in pg.locator("#tc-header").inner_text()
    assert page.errors == []


@pytest.mark.parametrize("which", ["passing_run", "failing_run"])
def test_report_needs_nothing_from_the_network(which: str, request: pytest.FixtureRequest) -> None:
    run: SuiteRun = request.getfixturevalue(which)
    page = run.html.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page, re.I)
    assert not re.search(r"<link[^>]+href=", page, re.I)
    assert not re.search(r"<img[^>]+src=[\"'](?!data:|[\"'])", page, re.I)
    assert "@import" not in page and "@font-face" not in page
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page, re.I)


def test_the_matrix_of_several_runs_renders_offline_and_links_each_cell(browser: Any, tmp_path: Path) -> None:
    """`tasks-conformance matrix`'s page: no request, no script, fits a laptop, the differing row first and marked,
    a cell's link opens its run's report at the requirement."""
    import json

    from conformance.report import matrix

    runs = []
    for name, status in (("old", "skipped"), ("new", "passed")):
        run = tmp_path / name
        run.mkdir()
        rows = [{"id": "GEN-CONTENT-TYPE", "level": "MUST", "status": "passed"},
                {"id": "PAUSE-202", "level": "MUST", "status": status,
                 "note": "not in v2.29.0: pause arrived in v2.32" if status == "skipped" else None}]
        (run / "results.json").write_text(json.dumps({"target": {"profile": "stable", "server_version": name},
                                                       "verdict": "pass", "requirements": rows}))
        (run / "conformance.html").write_text('<html><body><p id="req-PAUSE-202">PAUSE-202</p></body></html>')
        runs.append(run)
    written = matrix.write(matrix.load(runs), tmp_path / "out")
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda req: None if req.url.startswith(("file:", "data:", "about:"))
            else requests.append(req.url))
    try:
        page.goto(written[0].as_uri(), wait_until="load")
        assert page.locator("script").count() == 0
        rows = page.locator("#tc-runs tbody tr")
        assert rows.count() == 2 and rows.first.get_attribute("class") == "tc-differs"
        assert "PAUSE-202" in rows.first.inner_text() and "pause arrived in v2.32" in rows.first.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
        page.screenshot(path=str(tmp_path / "matrix.png"))
        rows.first.locator("a").first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/old/conformance.html#req-PAUSE-202")
        assert requests == []
    finally:
        page.close()
