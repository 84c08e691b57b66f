"""Helpers for driving the Parley web client in headless Chromium: drivers, API accounts for
seeding, and a small page object for one person's browser."""
import getpass
import subprocess
import time

import requests
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "password123"
# Generous abuse limits: the tests register, log in and seed history quickly from one address.
# Link previews may be fetched from loopback, where the tests serve their pages.
GENEROUS_LIMITS = {name: "100000/1" for name in (
    "PARLEY_RATE_LOGIN_IP", "PARLEY_RATE_LOGIN_USER", "PARLEY_RATE_REGISTER_IP", "PARLEY_RATE_REGISTER_USER",
    "PARLEY_RATE_MESSAGES", "PARLEY_RATE_ROOMS", "PARLEY_RATE_JOINS", "PARLEY_RATE_TYPING", "PARLEY_RATE_DRAFTS")} | {"PARLEY_PRESENCE_GRACE": "2", "PARLEY_LINK_PREVIEWS": "any", "PARLEY_RETENTION_SWEEP": "1"}
WAIT = 30


def make_driver(width=1200, height=800, lang=None):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(argument)
    if lang:
        options.add_argument(f"--lang={lang}")
        options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    if width < 600:
        # Headless Chromium will not make a window narrower than about 500 px, so a phone's screen is
        # emulated instead (as a phone: the page's viewport tag applies, scrollbars overlay). A page
        # with the client's viewport tag checks that the width is exactly what the test named.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
        driver.get('data:text/html,<meta name="viewport" content="width=device-width, initial-scale=1">')
        shown = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        assert shown == [width, height], f"asked for a {width}x{height} viewport, got {shown}"
    return driver


# Runs before the client's scripts: every notification the page constructs is recorded (the real
# Notification is still called).
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__notifications = [];
  window.__notificationObjects = [];
  if (!Real) return;
  window.Notification = class extends Real {
    constructor(title, options = {}) {
      super(title, options);
      window.__notifications.push({ title, body: options.body ?? "", tag: options.tag ?? "", ...(options.icon ? { icon: options.icon } : {}) });
      window.__notificationObjects.push(this);
    }
  };
})();
"""


def record_notifications(driver, origin):
    """Grants notifications to `origin` and records each one the page shows into `window.__notifications`."""
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": origin, "permissions": ["notifications"]})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_NOTIFICATIONS})


def javascript_errors(driver):
    """Uncaught exceptions and console.error calls (network failures the tests cause are not errors)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and entry.get("source") in ("javascript", "console-api")]


class Account:
    """A user registered and logged in through the API, for seeding and for checking what the server holds."""

    def __init__(self, server, username, password=PASSWORD, display_name=None):
        self.server, self.username, self.password = server, username, password
        body = {"username": username, "password": password}
        if display_name:
            body["display_name"] = display_name
        created = requests.post(server.url + "/api/users", json=body)
        assert created.status_code in (201, 409), created.text
        login = requests.post(server.url + "/api/session", json={"username": username, "password": password})
        assert login.status_code == 200, login.text
        self.id = login.json()["user"]["id"]
        self.headers = {"Authorization": f"Bearer {login.json()['token']}"}

    def call(self, method, path, expect=None, **kwargs):
        response = requests.request(method, self.server.url + path, headers=self.headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response

    def post(self, room, text, **fields):
        return self.call("POST", f"/api/rooms/{room}/messages", expect=201, json={"text": text, **fields}).json()["message"]

    def create_room(self, name, **fields):
        return self.call("POST", "/api/rooms", expect=201, json={"name": name, **fields}).json()["room"]

    def join(self, room):
        self.call("POST", f"/api/rooms/{room}/join", expect=200)

    def history(self, room, limit=100):
        return self.call("GET", f"/api/rooms/{room}/messages?limit={limit}", expect=200).json()["messages"]


def make_site_admin(server, username):
    """Makes `username` a site admin the way an operator does: `parley admin create`, here against
    the running server's embedded MariaDB (through its socket)."""
    from live_server import BINARY, ROOT
    socket = next(server.data_dir.rglob("mariadb.sock"))
    url = f"mysql://{getpass.getuser()}@localhost/parley?socket={socket}"
    subprocess.run([str(BINARY), "admin", "create", "--username", username, "--database-url", url,
                    "--migrations-dir", str(ROOT / "sql")], check=True, capture_output=True, timeout=60)


def sql(server, statement):
    """Runs SQL on the running server's embedded MariaDB (for seeding in bulk what the API would
    take minutes to make)."""
    socket = next(server.data_dir.rglob("mariadb.sock"))
    done = subprocess.run(["mariadb", f"--socket={socket}", "--default-character-set=utf8mb4", "parley", "-e", statement],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


class Chat:
    """One person's browser on the Parley client."""

    def __init__(self, driver, server):
        self.driver, self.server = driver, server

    # --- waiting and reading -------------------------------------------------------------------
    def wait(self, condition, timeout=WAIT, message=""):
        def check(_):
            try:
                return condition()
            except StaleElementReferenceException:
                return False
        try:
            return WebDriverWait(self.driver, timeout).until(check)
        except TimeoutException as timeout_error:
            # Say what the page was showing: an error the client put on screen usually tells why. A
            # callable message is asked then, to describe the page as it was at the end.
            said = message() if callable(message) else message
            raise TimeoutException(f"{said} (page alerts: {self.alerts()!r})") from timeout_error

    def alerts(self):
        """The text of every non-empty `role=alert` element on the page."""
        try:
            return self.js("return [...document.querySelectorAll('[role=alert]')].map(n => n.textContent.trim()).filter(t => t)")
        except Exception:  # noqa: BLE001 (a page that cannot run a script has nothing to add)
            return []

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def text_of(self, element_id):
        return self.js("return document.getElementById(arguments[0]).textContent", element_id)

    def texts(self):
        """The text of every sent message in the open room, oldest first (read in one script: the
        list updates as events arrive)."""
        return self.js("return [...document.querySelectorAll('#messages li.message:not(.pending) .text')].map(n => n.textContent)")

    def pending(self):
        return self.js("return [...document.querySelectorAll('#messages li.message.pending')].map(n => [n.querySelector('.text').textContent, n.querySelector('.pending-status').dataset.status])")

    def message_id(self, text):
        return self.js("""return [...document.querySelectorAll('#messages li.message:not(.pending)')]
            .find(li => li.querySelector('.text')?.textContent === arguments[0])?.dataset.id ?? null""", text)

    def message(self, text):
        message_id = self.message_id(text)
        assert message_id, f"no message {text!r} in {self.texts()}"
        return self.find(f'#messages li.message[data-id="{message_id}"]')

    def quote_text(self, text):
        """The text of the reply quote on the message `text`, read in one script (the message's node is
        rebuilt when its delivery state changes, so an element found first may be gone by the next call)."""
        return self.js("""const li = [...document.querySelectorAll('#messages li.message:not(.pending)')]
            .find(li => li.querySelector('.text')?.textContent === arguments[0]);
            return li?.querySelector('.quote')?.innerText ?? ''""", text)

    def room_title(self):
        return self.text_of("room-title")

    def connection(self):
        return self.find("#connection").get_attribute("data-state")

    def notifications(self):
        """The notifications shown so far (see `record_notifications`), as {title, body, tag}."""
        return self.js("return window.__notifications ?? []")

    def badge(self, name):
        """The unread badge of a room in the sidebar: (text, is a mention), or None."""
        return self.js("""const badge = document.querySelector(`a.room-link[data-name="${arguments[0]}"] .badge`);
            return badge ? [badge.textContent, badge.classList.contains('mention')] : null""", name)

    def dialog_open(self, dialog_id):
        return self.find(f"#{dialog_id}").get_attribute("open") is not None

    def sidebar_rooms(self, list_id="room-list"):
        return self.js("return [...document.querySelectorAll('#' + arguments[0] + ' a.room-link')].map(a => a.dataset.name)", list_id)

    # --- doing ---------------------------------------------------------------------------------
    def log_in(self, username, password=PASSWORD):
        self.driver.get(self.server.url + "/")
        self.wait(lambda: self.find("#auth-username").is_displayed())
        self.find("#auth-username").send_keys(username)
        self.find("#auth-password").send_keys(password)
        self.find("#auth-submit").click()
        self.wait_ready()
        return self

    def wait_ready(self):
        self.wait(lambda: self.find("#chat").is_displayed(), message="chat not shown")
        self.wait(lambda: self.find("#composer-text").is_enabled(), message="no room open")
        self.wait(lambda: self.connection() == "live", message="stream not live")
        self.wait(lambda: self.js("return document.querySelector('#messages').getAttribute('aria-busy') === null"))

    def open_room(self, name, list_id=None):
        lists = [list_id] if list_id else ["starred-list", "room-list", "group-list", "dm-list"]
        self.wait(lambda: any(name in self.sidebar_rooms(l) for l in lists), message=f"{name} not in the sidebar")
        def click():
            # The list re-renders as rooms change: find the link afresh on each try.
            for list_ in lists:
                links = self.driver.find_elements(By.CSS_SELECTOR, f'#{list_} a.room-link[data-name="{name}"]')
                if links:
                    links[0].click()
                    return True
            return False
        self.wait(click, message=f"could not click {name}")

        def opened():
            # A click that landed on a link as the list re-rendered it may open nothing: click again.
            if self.room_title() != name:
                click()
                return False
            return self.js("return document.querySelector('#messages').getAttribute('aria-busy') === null")
        self.wait(opened, message=f"{name} did not open")

    def type(self, *keys):
        self.find("#composer-text").send_keys(*keys)

    def send(self, text):
        box = self.find("#composer-text")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def click_fresh(self, selector, text=None, timeout=10, message=None):
        """Clicks the first element `selector` finds (the first whose text is `text`, if given), finding
        it afresh on each try: a list that draws itself again between finding and clicking makes the
        element stale, and the click is tried again (for `timeout` seconds, as is waiting for it to show)."""
        def click():
            found = self.driver.find_elements(By.CSS_SELECTOR, selector)
            if text is not None:
                found = [node for node in found if node.text == text]
            if not found:
                return False
            found[0].click()
            return True
        # (`wait` counts a StaleElementReferenceException as "not yet".)
        self.wait(click, timeout=timeout, message=message or f"could not click {selector}" + (f" {text!r}" if text is not None else ""))

    def open_invites(self, group):
        """Opens the invite links dialog of the private group named `group` from its member panel."""
        self.open_room(group, "group-list")
        self.find("#members-toggle").click()
        self.wait(lambda: self.find("#invites-open").is_displayed(), message="no Invite links button")
        self.find("#invites-open").click()
        self.wait(lambda: self.dialog_open("invites-dialog"))

    def open_thread(self, text):
        """Opens the thread of the message `text` from its "N replies" link."""
        message_id = self.message_id(text)
        assert message_id, f"no message {text!r} in {self.texts()}"
        self.click_fresh(f'#messages li.message[data-id="{message_id}"] .thread-link')
        self.wait(lambda: self.find("#thread-panel").is_displayed(), message="the thread did not open")

    def press(self, *keys, shift=False):
        """Presses `keys` one after the other where the focus is (holding Shift, with `shift`)."""
        chain = ActionChains(self.driver)
        if shift:
            chain.key_down(Keys.SHIFT)
        for key in keys:
            chain.send_keys(key)
        if shift:
            chain.key_up(Keys.SHIFT)
        chain.perform()

    def hover_action(self, text, action):
        """Clicks a message's action button (they show on hover)."""
        node = self.message(text)
        ActionChains(self.driver).move_to_element(node).perform()
        button = node.find_element(By.CSS_SELECTOR, f'[data-action="{action}"]')
        self.wait(lambda: button.is_displayed() and self.js("return getComputedStyle(arguments[0].parentNode).opacity === '1'", button))
        button.click()

    def network(self, latency_ms=0, offline=False, upload_bytes_per_second=-1):
        """Chromium's own network conditions for this page: `network()` puts them back to normal."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": offline, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": upload_bytes_per_second})

    def confirm(self):
        self.wait(lambda: self.find("#confirm-dialog").get_attribute("open") is not None)
        self.find("#confirm-ok").click()
        self.wait(lambda: self.find("#confirm-dialog").get_attribute("open") is None)

    def open_dm_with(self, username):
        self.find("#new-dm").click()
        self.wait(lambda: self.find("#dm-dialog").get_attribute("open") is not None)
        self.find("#dm-input").send_keys(username[:2])
        self.wait(lambda: self.js(
            "return [...document.querySelectorAll('#dm-results .option')].some(o => o.dataset.username === arguments[0])", username))
        self.find(f'#dm-results .option[data-username="{username}"]').click()
        self.wait(lambda: self.js("return !!document.querySelector(`#dm-chips [data-username='${arguments[0]}']`)", username))
        self.find("#dm-open").click()
        self.wait(lambda: self.find("#dm-dialog").get_attribute("open") is None)


def wait_for(condition, timeout=WAIT, message="condition not met"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(message)


def shifted_clock(shift_ms):
    """A script for `Page.addScriptToEvaluateOnNewDocument`: the page's `Date` runs `shift_ms` ahead
    (its own clock, not the server's), as if it were then."""
    return """(() => {
  const shift = %d, Real = Date;
  class Shifted extends Real {
    constructor(...args) { if (args.length === 0) super(Real.now() + shift); else super(...args); }
    static now() { return Real.now() + shift; }
  }
  globalThis.Date = Shifted;
})();""" % shift_ms
