"""The browser client in headless Chromium against a live server."""
import time
from pathlib import Path

import requests
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def log_in(driver, server, username, password="password123"):
    driver.get(server.url + "/")
    wait = WebDriverWait(driver, 30)
    wait.until(EC.visibility_of_element_located((By.ID, "auth-username"))).send_keys(username)
    driver.find_element(By.ID, "auth-password").send_keys(password)
    driver.find_element(By.ID, "login-button").click()
    wait.until(EC.visibility_of_element_located((By.ID, "chat")))
    wait.until(lambda d: not d.find_element(By.ID, "composer-text").get_attribute("disabled"))
    wait.until(lambda d: "live" in d.find_element(By.ID, "connection").text)


def texts(driver):
    # Read in one script: the list re-renders as receipts and messages arrive.
    return driver.execute_script("return [...document.querySelectorAll('#messages .message .text')].map(n => n.textContent)")


def send(driver, text):
    box = driver.find_element(By.ID, "composer-text")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_two_people_chat_live_and_see_each_other_typing(server, browsers, account):
    account("alice")
    account("bob")
    alice, bob = browsers(), browsers()
    log_in(alice, server, "alice")
    log_in(bob, server, "bob")
    assert alice.find_element(By.ID, "room-title").text == "# main"
    alice.find_element(By.ID, "composer-text").send_keys("hel")
    WebDriverWait(bob, 20).until(lambda d: "alice is typing" in d.find_element(By.ID, "typing").text)
    alice.find_element(By.ID, "composer-text").send_keys("lo bob", Keys.ENTER)
    WebDriverWait(bob, 20).until(lambda d: "hello bob" in texts(d))
    WebDriverWait(bob, 20).until(lambda d: d.find_element(By.ID, "typing").text == "")
    send(bob, "hi alice\n")
    WebDriverWait(alice, 20).until(lambda d: "hi alice" in texts(d))
    assert texts(alice)[-2:] == ["hello bob", "hi alice"]
    # A DM opened from Alice's side shows up for Bob live, with its message.
    alice.find_element(By.ID, "dm-username").send_keys("bob", Keys.ENTER)
    WebDriverWait(alice, 20).until(lambda d: d.find_element(By.ID, "room-title").text == "@ bob")
    send(alice, "just us")
    WebDriverWait(bob, 20).until(lambda d: "@ alice" in d.find_element(By.ID, "my-rooms").text)
    bob.find_element(By.XPATH, "//ul[@id='my-rooms']//button[contains(., '@ alice')]").click()
    WebDriverWait(bob, 20).until(lambda d: "just us" in texts(d))


def test_a_script_in_a_message_renders_as_text(server, browsers, account):
    mallory = account("mallory")
    account("victim")
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    mallory.post(1, payload)
    driver = browsers()
    log_in(driver, server, "victim")
    WebDriverWait(driver, 20).until(lambda d: payload in texts(d))
    time.sleep(0.5)
    try:
        driver.switch_to.alert
        raise AssertionError("an alert ran")
    except NoAlertPresentException:
        pass
    assert driver.find_elements(By.CSS_SELECTOR, "#messages img") == []
    assert driver.find_elements(By.CSS_SELECTOR, "#messages script") == []


def test_scrolling_up_loads_older_history_in_order(server, browsers, account):
    writer = account("historian")
    room = requests.post(server.url + "/api/rooms", json={"name": "archive"}, headers=writer.headers).json()["room"]["id"]
    reader = account("reader")
    assert requests.post(f"{server.url}/api/rooms/{room}/join", headers=reader.headers).status_code == 200
    for n in range(130):
        writer.post(room, f"entry {n:03d}")
    driver = browsers()
    log_in(driver, server, "reader")
    driver.find_element(By.XPATH, "//ul[@id='my-rooms']//button[contains(., 'archive')]").click()
    WebDriverWait(driver, 20).until(lambda d: "entry 129" in texts(d))
    for _ in range(20):
        if len(texts(driver)) >= 130:
            break
        driver.execute_script("document.getElementById('messages').scrollTop = 0")
        time.sleep(0.4)
    seen = texts(driver)
    assert seen == [f"entry {n:03d}" for n in range(130)]


def test_reload_keeps_the_session_and_the_open_room(server, browsers, account):
    owner = account("keeper")
    requests.post(server.url + "/api/rooms", json={"name": "kept", "topic": "stays open"}, headers=owner.headers)
    driver = browsers()
    log_in(driver, server, "keeper")
    driver.find_element(By.XPATH, "//ul[@id='my-rooms']//button[contains(., 'kept')]").click()
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "room-title").text == "# kept")
    driver.refresh()
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "room-title").text == "# kept")
    assert driver.find_element(By.ID, "auth").get_attribute("hidden") is not None
    assert driver.find_element(By.ID, "room-topic").text == "stays open"


def test_unread_badges_and_title_count_messages_in_other_rooms(server, browsers, account):
    poster = account("poster")
    account("watcher")
    driver = browsers()
    log_in(driver, server, "watcher")
    room = requests.post(server.url + "/api/rooms", json={"name": "side"}, headers=poster.headers).json()["room"]["id"]
    watcher_login = requests.post(server.url + "/api/session", json={"username": "watcher", "password": "password123"}).json()
    requests.post(f"{server.url}/api/rooms/{room}/join", headers={"Authorization": f"Bearer {watcher_login['token']}"})
    WebDriverWait(driver, 20).until(lambda d: "side" in d.find_element(By.ID, "my-rooms").text)
    for n in range(3):
        poster.post(room, f"ping {n}")
    WebDriverWait(driver, 20).until(lambda d: d.title == "(3) Parley")
    badge = driver.find_element(By.XPATH, "//ul[@id='my-rooms']//button[contains(., 'side')]//span[contains(@class, 'badge')]")
    assert badge.text == "3"


def test_screenshots_light_and_dark(server, browsers, account):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ada = account("ada")
    ada.post(1, "Welcome to Parley! 👋")
    ada.post(1, "Rooms, groups and DMs, live over SSE.")
    driver = browsers(width=1100, height=700)
    log_in(driver, server, "ada")
    WebDriverWait(driver, 20).until(lambda d: "Welcome to Parley! 👋" in texts(d))
    driver.execute_script("document.documentElement.dataset.theme = 'light'")
    driver.save_screenshot(str(SCREENSHOTS / "light.png"))
    driver.execute_script("document.documentElement.dataset.theme = 'dark'")
    background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    driver.save_screenshot(str(SCREENSHOTS / "dark.png"))
    assert background == "rgb(18, 20, 23)"
    assert (SCREENSHOTS / "light.png").stat().st_size > 10_000


def test_read_receipts_and_presence_show_live(server, browsers, account):
    account("sender")
    reader = account("receiver")
    alice, bob = browsers(), browsers()
    log_in(alice, server, "sender")
    alice.find_element(By.ID, "dm-username").send_keys("receiver", Keys.ENTER)
    WebDriverWait(alice, 20).until(lambda d: d.find_element(By.ID, "room-title").text == "@ receiver")
    send(alice, "did you read this?")
    status = "return document.querySelector('#messages .message.mine .status')?.textContent ?? null"
    WebDriverWait(alice, 20).until(lambda d: d.execute_script(status) is not None)
    assert alice.execute_script(status) in ("Sent", "Delivered")
    log_in(bob, server, "receiver")
    bob.find_element(By.XPATH, "//ul[@id='my-rooms']//button[contains(., '@ sender')]").click()
    WebDriverWait(bob, 20).until(lambda d: "did you read this?" in texts(d))
    WebDriverWait(alice, 30).until(lambda d: d.execute_script(status) == "Read")
    # The other side's presence dot follows their connection.
    alice.find_element(By.ID, "members-summary").click()
    dot = "return [...document.querySelectorAll('#members li')].find(li => li.textContent.includes('receiver'))?.querySelector('.dot')?.className"
    WebDriverWait(alice, 20).until(lambda d: d.execute_script(dot) == "dot online")
    assert reader.id > 0


def test_a_banned_user_leaves_the_room_at_once(server, browsers, account):
    owner = account("warden")
    account("rowdy")
    room = requests.post(server.url + "/api/rooms", json={"name": "jail"}, headers=owner.headers).json()["room"]["id"]
    driver = browsers()
    log_in(driver, server, "rowdy")
    driver.find_element(By.XPATH, "//ul[@id='public-rooms']//button[contains(., 'jail')]").click()
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "room-title").text == "# jail")
    rowdy_id = requests.get(server.url + "/api/users?prefix=rowdy", headers=owner.headers).json()["users"][0]["id"]
    assert requests.post(f"{server.url}/api/rooms/{room}/bans", json={"user_id": rowdy_id, "reason": "noise"}, headers=owner.headers).status_code == 201
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "room-title").text == "You were banned from that room")
    assert driver.find_element(By.ID, "composer-text").get_attribute("disabled") is not None
    WebDriverWait(driver, 20).until(lambda d: "jail" not in d.find_element(By.ID, "my-rooms").text)


def test_the_stream_resumes_after_a_server_restart_without_missing_or_doubling(browsers, account, tmp_path):
    from conftest import Account
    from live_server import ParleyProcess
    generous = {name: "100000/1" for name in ("PARLEY_RATE_REGISTER_IP", "PARLEY_RATE_LOGIN_IP", "PARLEY_RATE_MESSAGES")}
    first = ParleyProcess(tmp_path, env=generous).start()
    try:
        poster = Account(first, "restarter")
        Account(first, "listener")
        driver = browsers()
        log_in(driver, first, "listener")
        poster.post(1, "before restart")
        WebDriverWait(driver, 20).until(lambda d: "before restart" in texts(d))
    finally:
        first.stop()
    WebDriverWait(driver, 30).until(lambda d: "reconnecting" in d.find_element(By.ID, "connection").text)
    second = ParleyProcess(tmp_path, port=first.port, env=generous).start()
    try:
        again = Account(second, "restarter")
        for n in range(5):
            again.post(1, f"after restart {n}")
        WebDriverWait(driver, 30).until(lambda d: "after restart 4" in texts(d))
        WebDriverWait(driver, 20).until(lambda d: "live" in d.find_element(By.ID, "connection").text)
        seen = texts(driver)
        assert seen.count("before restart") == 1
        assert [t for t in seen if t.startswith("after restart")] == [f"after restart {n}" for n in range(5)]
    finally:
        second.stop()


def test_a_room_owner_pins_a_message_from_the_client(server, browsers, account):
    owner = account("pinner")
    room = requests.post(server.url + "/api/rooms", json={"name": "pinboard"}, headers=owner.headers).json()["room"]["id"]
    owner.post(room, "remember this")
    driver = browsers()
    log_in(driver, server, "pinner")
    driver.find_element(By.XPATH, "//ul[@id='my-rooms']//button[contains(., 'pinboard')]").click()
    WebDriverWait(driver, 20).until(lambda d: "remember this" in texts(d))
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('#messages .actions button')].some(b => b.textContent === 'Pin')"))
    driver.execute_script("[...document.querySelectorAll('#messages .actions button')].find(b => b.textContent === 'Pin').click()")
    WebDriverWait(driver, 20).until(lambda d: "remember this" in d.find_element(By.ID, "pins").text)
    pins = requests.get(f"{server.url}/api/rooms/{room}/pins", headers=owner.headers).json()["pins"]
    assert [pin["message"]["text"] for pin in pins] == ["remember this"]


def test_a_message_written_offline_is_sent_once_when_back_online(server, browsers, account):
    account("traveller")
    watcher = account("homebody")
    driver = browsers()
    log_in(driver, server, "traveller")
    driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    send(driver, "written in a tunnel")
    time.sleep(1.5)
    driver.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    driver.execute_script("window.dispatchEvent(new Event('online'))")
    WebDriverWait(driver, 30).until(lambda d: "written in a tunnel" in texts(d))
    time.sleep(3)  # let any retry that would double it happen
    history = requests.get(server.url + "/api/rooms/1/messages?limit=100", headers=watcher.headers).json()["messages"]
    assert [m["text"] for m in history].count("written in a tunnel") == 1
    assert texts(driver).count("written in a tunnel") == 1
