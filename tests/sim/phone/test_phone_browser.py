"""The browser phone in a real Chromium (Debian's chromium and chromium-driver, which
``.ci/run`` installs): open the page, press keys, hear the balance, pay by card."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.app_helpers import TODAY, balance, make_app
from tests.server_helpers import free_port

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WAIT_SECONDS = 30  # a bound on each wait, never a measure of speed
# Records what the page asks the browser to say aloud, then lets it say it.
RECORD_SPEECH = """
window.spoken = [];
const say = window.speechSynthesis.speak.bind(window.speechSynthesis);
window.speechSynthesis.speak = (utterance) => {
  window.spoken.push([utterance.text, utterance.lang]);
  say(utterance);
};
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``ivr phone`` on a free port, on a database of its own; its URL and the database's."""
    database = f"sqlite:///{tmp_path / 'phone.sqlite3'}"
    port = free_port()
    ivr = Path(sys.executable).parent / "ivr"
    env = {**os.environ, "IVR_DATABASE_URL": database, "IVR_TODAY": TODAY}
    said = tmp_path / "phone.stderr"
    with said.open("wb") as stderr:
        process = subprocess.Popen([str(ivr), "phone", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_page(base, process, said)
        yield base, database
    finally:
        process.send_signal(signal.SIGINT)  # as Ctrl-C: it hangs up its calls and exits
        process.wait(20)


def wait_for_page(base: str, process: subprocess.Popen[bytes], said: Path) -> None:
    """Wait until the page answers (or fail, with what the command said)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(base, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail(f"ivr phone did not serve its page: {said.read_text()}")


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """Headless Chromium through Debian's chromedriver (selenium-manager never runs)."""
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), \
        "install Debian's chromium and chromium-driver (see .ci/run)"
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    try:
        yield driver
    finally:
        driver.quit()


def transcript(driver: WebDriver) -> str:
    return driver.find_element(By.ID, "transcript").text


def hear(driver: WebDriver, words: str) -> None:
    """Wait until ``words`` are in the transcript."""
    WebDriverWait(driver, WAIT_SECONDS).until(lambda _d: words in transcript(driver),
                                              f'"{words}" never appeared')


def press(driver: WebDriver, keys: str, then: str) -> None:
    """Press ``keys`` on the page's keypad, and wait to hear ``then``."""
    for key in keys:
        driver.find_element(By.CSS_SELECTOR, f'#keypad button[data-key="{key}"]').click()
    hear(driver, then)


def test_a_caller_hears_the_balance_and_pays_it_by_card(phone: tuple[str, str],
                                                        browser: WebDriver,
                                                        tmp_path: Path) -> None:
    base, database = phone
    browser.get(base)
    browser.execute_script(RECORD_SPEECH)
    browser.find_element(By.ID, "new-call").click()
    hear(browser, "IVR: For the account ending in 1 2 3 4, press 1.")
    press(browser, "1", "IVR: Enter your PIN.")
    press(browser, "2468", "You owe one hundred twenty dollars and forty-five cents, "
                           "due December fifth.")
    press(browser, "1", "Enter the card number, then press pound.")
    press(browser, "4242424242424242#", "Enter the 4 digit expiration date.")
    press(browser, "1230", "Enter the 3 digit security code.")
    press(browser, "123", "Enter the billing ZIP code.")
    press(browser, "94105", "You are paying one hundred twenty dollars and forty-five cents "
                            "with the Visa card ending in 4 2 4 2.")
    press(browser, "1", "Thank you, your payment has been approved.")
    hear(browser, "Your confirmation number is")
    # Each prompt was read aloud, in its own language, and is shown with its prompt id.
    spoken = [tuple(pair) for pair in browser.execute_script("return window.spoken;")]
    assert ("Para español, oprima 9.", "es-US") in spoken
    assert ("Enter your PIN.", "en-US") in spoken
    pin = browser.find_element(By.XPATH, '//li[starts-with(., "IVR: Enter your PIN.")]')
    assert pin.find_element(By.CLASS_NAME, "prompts").text == "(ask.pin)"
    browser.find_element(By.ID, "hang-up").click()
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.find_element(By.ID, "status").text == "Call ended: hangup by the caller.")
    app: Flask = make_app(database, tmp_path)
    assert balance(app) == 0


def test_words_said_in_the_box_and_a_new_call(phone: tuple[str, str],
                                              browser: WebDriver) -> None:
    base, _database = phone
    browser.get(base)
    browser.find_element(By.ID, "new-call").click()
    hear(browser, "To repeat, press star.")
    browser.find_element(By.ID, "say").send_keys("yes")
    browser.find_element(By.ID, "say-button").click()
    hear(browser, 'caller says "yes"')
    hear(browser, "IVR: Enter your PIN.")
    # A keys-only question takes no words: the box is off until one that does.
    assert not browser.find_element(By.ID, "say-button").is_enabled()
    browser.find_element(By.ID, "from").clear()
    browser.find_element(By.ID, "from").send_keys("+13055550173")
    browser.find_element(By.ID, "new-call").click()
    hear(browser, "Para la cuenta terminada en 2 4 6 8, oprima 1.")
    assert "Enter your PIN." not in transcript(browser)  # a new transcript for a new call
