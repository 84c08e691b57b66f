"""Fixtures for the browser tests: one live Parley (with its embedded MariaDB) for the session,
headless Chromium drivers that fail the test on any JavaScript error, and API accounts for seeding."""
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from live_server import ParleyProcess  # noqa: E402
from parley_browser import GENEROUS_LIMITS, Account, javascript_errors, make_driver  # noqa: E402


@pytest.fixture(scope="session")
def server():
    with tempfile.TemporaryDirectory(prefix="parley-web-", dir="/tmp") as tmp:
        process = ParleyProcess(Path(tmp), env=GENEROUS_LIMITS).start()
        yield process
        process.stop()


FAILURES = Path(tempfile.gettempdir()) / "parley-browser-failures"


@pytest.fixture(autouse=True)
def server_log_mark(request, server):
    """Where the server's log stood when the test began, so that a failure can show what it logged since."""
    request.node.server_log = (server.log, server.log.stat().st_size if server.log.exists() else 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_in_call = report.failed
        if report.failed and hasattr(item, "server_log"):
            path, offset = item.server_log
            with open(path, "rb") as log:
                log.seek(offset)
                logged = log.read().decode("utf-8", "replace")
            report.sections.append(("parley's log during the test (warnings and errors)", logged[-6000:] or "(nothing)"))


@pytest.fixture
def browsers(request):
    """`browsers(width=…, height=…, lang=…)` opens another headless Chromium; all are closed after
    the test, which fails if any page logged a JavaScript error."""
    drivers = []

    def open_browser(**kwargs):
        driver = make_driver(**kwargs)
        drivers.append(driver)
        return driver

    yield open_browser
    if getattr(request.node, "failed_in_call", False):
        # Keep what each browser showed, to see why.
        FAILURES.mkdir(exist_ok=True)
        for index, driver in enumerate(drivers):
            try:
                driver.save_screenshot(str(FAILURES / f"{request.node.name}-{index}.png"))
            except Exception:  # noqa: BLE001 (a closed browser has nothing to show)
                pass
    errors = []
    for driver in drivers:
        try:
            errors += javascript_errors(driver)
        except Exception:  # noqa: BLE001 (the test closed this browser itself)
            pass
        finally:
            driver.quit()
    assert errors == [], f"JavaScript errors in the page: {errors}"


@pytest.fixture
def account(server):
    """`account("alice")` registers and logs in a user through the API."""
    return lambda username, **kwargs: Account(server, username, **kwargs)
