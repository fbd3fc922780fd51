"""The console in a real headless Chromium, driven by Selenium, against
`celprice serve` on a seeded ledger: the playground reacting to typing, the
caret of a syntax error, the dashboard's chart against the breakdown, and a
refused key. Screenshots of both pages at desktop and narrow width go to
CELPRICE_CONSOLE_SCREENSHOTS (docs/console/ holds the committed ones) or to
the test's tmp directory.

Skips, saying why, without Selenium, Chromium or chromium-driver (`.ci/chromium install`)."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from celprice.usage import Ledger
from celprice.usage.keys import KeyStore

from .conftest import Server, bearer, celprice, httpx

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

DESKTOP = (1280, 1600)
NARROW = (390, 2200)
APPS = ("acme/flux", "acme/echo", "pixel/upscale")


def _find(env: str, *names: str) -> str | None:
    if os.environ.get(env):
        return os.environ[env]
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    binary = _find("CELPRICE_CHROMIUM", "chromium", "chromium-browser", "google-chrome")
    driver_path = _find("CELPRICE_CHROMEDRIVER", "chromedriver")
    if binary is None or driver_path is None:
        pytest.skip("no Chromium and chromium-driver on PATH (install them: .ci/chromium install)")
    profile = tempfile.mkdtemp(prefix="celprice-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the page's errors, for failure messages
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    try:
        # An explicit driver path: Selenium Manager would otherwise go to the network.
        driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    except WebDriverException as e:
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"Chromium would not start: {e.msg}")
    driver.set_window_size(*DESKTOP)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("CELPRICE_CONSOLE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _fees(total: int) -> dict[str, Any]:
    inference = total * 3 // 4
    values = {"resource_fee": total - inference, "inference_fee": inference, "royalty_fee": 0, "partner_fee": 0, "total": total}
    return {**{name: {"value": value} for name, value in values.items()}, "description": {"value": ""}}


@pytest.fixture
def console(tmp_path: Path, start_server: Callable[..., Server]) -> tuple[Server, str]:
    """A server on a ledger with 12 days of team t's tasks over three apps, and a billing:read key."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    now = datetime.now(timezone.utc)
    with Ledger(url) as ledger:
        for day in range(12):
            for i, app in enumerate(APPS):
                if (day + i) % 4 == 3:
                    continue  # not every app every day: the stacks differ
                when = now - timedelta(days=day, hours=1 + i)
                events = [{"tier": "cloud", "type": "gpu", "model": "A100", "seconds": 10 + day}]
                ledger.record_task("t", f"task-{day}-{i}", app, when, _fees(1_000_000 * (i + 1) + 150_000 * day), events)
        key = KeyStore(ledger).create("t", "console tests", ["billing:read"])[1]
    return start_server("--db", url), key


def wait(driver: Any, condition: Callable[[Any], Any], what: str, timeout: float = 20) -> Any:
    try:
        return WebDriverWait(driver, timeout).until(condition)
    except TimeoutException:
        status = driver.find_element(By.ID, "status").text
        errors = driver.find_element(By.ID, "task-error").text
        logs = [entry["message"] for entry in driver.get_log("browser")]
        raise AssertionError(f"timed out waiting for {what} (status line: {status!r}; {errors!r}; console: {logs})") from None


def open_console(driver: Any, server: Server, page: str, key: str) -> None:
    driver.get(f"{server.url}/console/#{page}")
    driver.execute_script("sessionStorage.clear()")
    driver.refresh()
    field = driver.find_element(By.ID, "api-key")
    field.send_keys(key)
    field.send_keys(Keys.ENTER)  # the keyboard alone: the key form submits on Enter


def fee(driver: Any, component: str) -> str:
    cells = driver.find_elements(By.CSS_SELECTOR, f'#fees tr[data-component="{component}"] td')
    return cells[0].get_attribute("data-value") if cells else ""


def type_into(driver: Any, element_id: str, text: str) -> None:
    element = driver.find_element(By.ID, element_id)
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def screenshot(driver: Any, folder: Path, name: str, size: tuple[int, int]) -> None:
    driver.set_window_size(*size)
    driver.execute_script("window.scrollTo(0, 0)")
    assert driver.save_screenshot(str(folder / name))
    driver.set_window_size(*DESKTOP)


def test_playground_updates_as_you_type_and_shows_a_syntax_error_with_its_caret(
    browser: Any, console: tuple[Server, str], shots: Path
) -> None:
    server, key = console
    open_console(browser, server, "playground", key)
    wait(browser, lambda d: fee(d, "inference_fee") == "400000", "the sample's inference fee (2 images at 200000)")
    assert fee(browser, "total") == "400000"
    assert browser.find_element(By.ID, "description-value").text == "$0.002 per image"

    type_into(browser, "inference_expression", "image_count(outputs) * prices.per_image * 3")
    wait(browser, lambda d: fee(d, "inference_fee") == "1200000", "the fee of the edited formula")
    wait(browser, lambda d: fee(d, "total") == "1200000", "the total following the fee")
    tree = browser.find_element(By.ID, "explain-tree").text
    assert "image_count(outputs) = 2" in tree and "prices.per_image = 200000" in tree

    type_into(browser, "inference_expression", "image_count(outputs) * * prices.per_image")
    box = wait(
        browser,
        lambda d: (e := d.find_element(By.ID, "inference_expression-error")).is_displayed() and e,
        "the syntax error under the formula",
    )
    lines = box.text.splitlines()
    assert lines[0].startswith("inference_expression:1:"), lines
    column = int(lines[0].split(":")[2])
    source_line, caret = lines[1], lines[2]
    # The caret stands under the column the server named, in the source line shown above it.
    assert source_line.endswith("image_count(outputs) * * prices.per_image")
    assert caret.rstrip().endswith("^")
    assert len(caret.rstrip()) - 1 == source_line.index("|") + 1 + column
    assert browser.find_element(By.ID, "inference_expression").get_attribute("aria-invalid") == "true"
    assert wait(browser, lambda d: "error" in d.find_element(By.CSS_SELECTOR, '#fees tr[data-component="inference_fee"]').text, "the fee marked failed")
    screenshot(browser, shots, "playground-error-narrow.png", NARROW)

    type_into(browser, "inference_expression", "image_count(outputs) * prices.per_image")
    wait(browser, lambda d: not d.find_element(By.ID, "inference_expression-error").is_displayed(), "the error to clear")
    wait(browser, lambda d: fee(d, "inference_fee") == "400000", "the fee of the fixed formula")
    # A type error: the checker's message names the fix, and the page shows it with the caret.
    type_into(browser, "partner_expression", "prices.per_image * 1.5")
    box = wait(
        browser,
        lambda d: (e := d.find_element(By.ID, "partner_expression-error")).is_displayed() and e,
        "the type error under the partner fee",
    )
    assert "wrap the int in double(): double(prices.per_image) * 1.5" in box.text
    assert box.text.splitlines()[2].rstrip().endswith("^")
    type_into(browser, "partner_expression", "")
    wait(browser, lambda d: not d.find_element(By.ID, "partner_expression-error").is_displayed(), "the type error to clear")

    type_into(browser, "estimate_expression", "task_inputs.num_images * prices.per_image")
    wait(browser, lambda d: "400,000" in d.find_element(By.ID, "estimate").text, "the estimate for 2 images")
    screenshot(browser, shots, "playground-desktop.png", DESKTOP)
    assert_no_key_in_url(browser, key)


def test_the_downloaded_case_file_passes_celprice_test(browser: Any, console: tuple[Server, str], tmp_path: Path) -> None:
    server, key = console
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    open_console(browser, server, "playground", key)
    type_into(browser, "royalty_expression", "image_count(outputs) * 20000")
    wait(browser, lambda d: fee(d, "total") == "440000", "the total with a royalty")
    browser.find_element(By.ID, "download").click()
    case_file = downloads / "playground-cases.json"
    wait(browser, lambda d: case_file.is_file() and case_file.stat().st_size > 0, "the downloaded file")
    suite = json.loads(case_file.read_text("utf-8"))
    assert suite["pricing"]["royalty_expression"] == "image_count(outputs) * 20000"
    assert suite["cases"][0]["expect"]["total"] == 440000
    run = celprice("test", str(case_file))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def assert_no_key_in_url(driver: Any, key: str) -> None:
    assert key not in driver.current_url
    assert driver.find_element(By.ID, "api-key").get_attribute("value") == ""


def test_dashboard_chart_bars_match_the_breakdown(browser: Any, console: tuple[Server, str], shots: Path) -> None:
    server, key = console
    breakdown = httpx.get(f"{server.url}/usage/breakdown?range=30d", headers=bearer(key)).json()["data"]
    open_console(browser, server, "usage", key)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart-svg g.bar"), "the chart")

    bars = browser.find_elements(By.CSS_SELECTOR, "#chart-svg g.bar")
    expected = {b["date"]: sum(b["per_app"].values()) for b in breakdown["timeseries"]}
    assert len(bars) == len(expected)
    heights: dict[str, float] = {}
    for bar in bars:
        date = bar.get_attribute("data-date")
        rects = bar.find_elements(By.TAG_NAME, "rect")
        by_app = {r.get_attribute("data-app"): int(r.get_attribute("data-value")) for r in rects}
        bucket = next(b for b in breakdown["timeseries"] if b["date"] == date)
        assert by_app == {app: cost for app, cost in bucket["per_app"].items() if cost}
        assert int(bar.get_attribute("data-total")) == expected[date]
        heights[date] = sum(float(r.get_attribute("height")) for r in rects)
    # What is drawn: each bar's height is in proportion to its total.
    tallest = max(expected, key=lambda d: expected[d])
    for date, height in heights.items():
        assert height / heights[tallest] == pytest.approx(expected[date] / expected[tallest], rel=1e-3)

    assert browser.find_element(By.ID, "total-cost").get_attribute("data-value") == str(breakdown["total_cost"])
    rows = browser.find_elements(By.CSS_SELECTOR, "#top-apps tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows] == [m["app_endpoint"] for m in breakdown["per_model"]]
    assert "A100" in browser.find_element(By.ID, "summary").text

    browser.find_element(By.ID, "task-id").send_keys("task-0-0", Keys.ENTER)
    wait(browser, lambda d: "1,000,000" in d.find_element(By.ID, "task-cost").text, "the task's cost")
    screenshot(browser, shots, "usage-desktop.png", DESKTOP)
    screenshot(browser, shots, "usage-narrow.png", NARROW)


def test_a_bad_key_is_refused_and_nothing_is_shown(browser: Any, console: tuple[Server, str]) -> None:
    server, _ = console
    open_console(browser, server, "usage", "inf_" + "x" * 43)
    status = wait(browser, lambda d: (s := d.find_element(By.ID, "status")).text.startswith("Key refused") and s, "the refusal")
    assert "invalid or revoked API key" in status.text
    assert status.get_attribute("role") == "alert"
    assert not browser.find_element(By.ID, "usage-body").is_displayed()
    assert "inf_" not in browser.current_url
