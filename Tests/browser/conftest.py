"""A live Parley (with its embedded MariaDB) and headless Chromium drivers for browser tests."""
import sys
import tempfile
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from live_server import ParleyProcess  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory(prefix="parley-web-", dir="/tmp") as tmp:
        # Generous abuse limits: the tests seed history quickly from one address.
        generous = {name: "100000/1" for name in (
            "PARLEY_RATE_LOGIN_IP", "PARLEY_RATE_LOGIN_USER", "PARLEY_RATE_REGISTER_IP", "PARLEY_RATE_REGISTER_USER",
            "PARLEY_RATE_MESSAGES", "PARLEY_RATE_ROOMS", "PARLEY_RATE_TYPING")}
        process = ParleyProcess(Path(tmp), env=generous).start()
        yield process
        process.stop()


def make_driver(width=1200, height=800):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


@pytest.fixture
def browsers():
    drivers = []

    def open_browser(**kwargs):
        driver = make_driver(**kwargs)
        drivers.append(driver)
        return driver

    yield open_browser
    for driver in drivers:
        driver.quit()


class Account:
    """A user registered and logged in through the API (for seeding and for checks)."""

    def __init__(self, server, username, password="password123"):
        self.server, self.username, self.password = server, username, password
        requests.post(server.url + "/api/users", json={"username": username, "password": password})
        login = requests.post(server.url + "/api/session", json={"username": username, "password": password}).json()
        self.id = login["user"]["id"]
        self.headers = {"Authorization": f"Bearer {login['token']}"}

    def post(self, room, text):
        response = requests.post(f"{self.server.url}/api/rooms/{room}/messages", json={"text": text}, headers=self.headers)
        assert response.status_code == 201, response.text
        return response.json()["message"]


@pytest.fixture
def account(server):
    return lambda username: Account(server, username)
