"""CI's guard against skipped guarantees (loaded with `-p tests.required`, see pyproject.toml).

On a workstation the PostgreSQL-only races and concurrency tests, the Redis/Celery service tests
and the Chromium browser tests skip with a reason when their service is missing. In CI's
PostgreSQL step (`.ci/run` sets TSUMUGI_TEST_REQUIRE_ALL=1) such a skip is a failure: the step
must prove what those tests name. Either way the run ends with how many of each kind ran.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Generator

import pytest

REQUIRED_MARKERS = ("postgres", "services", "browser")
REQUIRE_ALL = os.environ.get("TSUMUGI_TEST_REQUIRE_ALL", "") == "1"

_outcomes: Counter[tuple[str, str]] = Counter()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    required = [m for m in REQUIRED_MARKERS if item.get_closest_marker(m)]
    if REQUIRE_ALL and report.skipped and required:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"skipped a required {'/'.join(required)} test (TSUMUGI_TEST_REQUIRE_ALL=1): {reason}"
        )
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Runs in the xdist controller too: markers travel as the report's keywords.
    if report.when == "call" or (report.when == "setup" and not report.passed):
        for marker in REQUIRED_MARKERS:
            if marker in report.keywords:
                _outcomes[(marker, report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    terminalreporter.section("required kinds of tests")
    for marker in REQUIRED_MARKERS:
        counts = {o: _outcomes[(marker, o)] for o in ("passed", "failed", "skipped")}
        terminalreporter.write_line(
            f"{marker}: {counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['skipped']} skipped" + ("  (required: a skip fails)" if REQUIRE_ALL else "")
        )
