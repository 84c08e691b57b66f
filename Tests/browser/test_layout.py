"""How the client looks and is operated: themes (with screenshots), phone layout, keyboard and ARIA."""
import tempfile
import threading
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from live_server import ParleyProcess
from parley_browser import GENEROUS_LIMITS, PASSWORD, Account, Chat

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LIGHT_BG, DARK_BG = "rgb(245, 246, 248)", "rgb(15, 17, 22)"


@pytest.fixture(scope="module")
def showroom():
    """A server of its own with a believable conversation, for screenshots."""
    with tempfile.TemporaryDirectory(prefix="parley-shots-", dir="/tmp") as tmp:
        process = ParleyProcess(Path(tmp), env=GENEROUS_LIMITS).start()
        ada = Account(process, "ada", display_name="Ada Lovelace")
        grace = Account(process, "grace", display_name="Grace Hopper")
        alan = Account(process, "alan", display_name="Alan Turing")
        main = 1
        design = ada.create_room("design", topic="Sketches, mockups and naming things")
        ada.create_room("release-planning", kind="group", members=[grace.id])
        engines = grace.create_room("engines", topic="Analytical and otherwise")
        ada.join(engines["id"])
        alan.join(design["id"])
        ada.call("POST", "/api/dms", json={"user_id": grace.id}, expect=201)
        dm_alan = alan.call("POST", "/api/dms", json={"user_id": ada.id}, expect=201).json()["room"]["id"]
        question = grace.post(main, "Morning all! Is the 1.2 build ready for a look?")
        ada.post(main, "Almost: the reconnect fix landed last night. Release notes are at https://example.com/parley/1.2")
        alan.post(main, "I ran the soak test for six hours: no dropped messages, no duplicates.")
        alan.post(main, "Latency stayed under 5 ms at the 99th percentile.")
        ada.post(main, "That's the number we wanted. @grace can you sign off?", reply_to=question["id"])
        edited = grace.post(main, "Signing off now, shipping at 3.")
        grace.call("PATCH", f"/api/messages/{edited['id']}", json={"text": "Signing off now: shipping at 3pm."}, expect=200)
        deleted = alan.post(main, "(wrong window, sorry)")
        alan.call("DELETE", f"/api/messages/{deleted['id']}", expect=204)
        last = grace.post(main, "Nice work, everyone!")
        # Ada was in this conversation: she has read it (a room with more unread than fits opens at
        # the first unread, and the screenshots show the conversation's end).
        ada.call("POST", f"/api/rooms/{main}/read", json={"message_id": last["id"]}, expect=200)
        for n in range(2):
            grace.post(engines["id"], f"Note G, part {n + 1}")
        alan.post(dm_alan, "Do you have a minute later?")
        yield process
        process.stop()


def background(chat):
    return chat.js("return getComputedStyle(document.body).backgroundColor")


def stay_connected(server, username):
    """Keeps `username` online (an open event stream) in the background."""
    login = requests.post(server.url + "/api/session", json={"username": username, "password": PASSWORD}).json()
    stream = requests.get(server.url + "/api/events/stream", headers={"Authorization": f"Bearer {login['token']}"}, stream=True, timeout=60)

    def drain():
        try:
            for _ in stream.iter_lines():
                pass
        except Exception:  # noqa: BLE001 (closed by the test)
            pass

    threading.Thread(target=drain, daemon=True).start()
    return stream


def test_screenshots_in_the_light_and_dark_themes(showroom, browsers):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    grace_online = stay_connected(showroom, "grace")
    chat = Chat(browsers(width=1280, height=800), showroom).log_in("ada")
    chat.wait(lambda: "Nice work, everyone!" in chat.texts())
    chat.find("#members-toggle").click()
    chat.wait(lambda: "Grace Hopper" in chat.text_of("members"))
    chat.wait(lambda: chat.js("return document.querySelectorAll('#members .presence.online').length") == 2)
    # Opening the panel narrowed the list: the newest message is still in view.
    chat.wait(lambda: chat.js("const l = document.getElementById('messages'); return l.scrollHeight - l.scrollTop - l.clientHeight < 2"))
    chat.find("#composer-text").click()
    chat.js("document.activeElement.blur()")
    assert chat.find("#theme-toggle").get_attribute("data-theme") == "system"
    assert background(chat) == LIGHT_BG  # headless Chromium's system preference is light

    chat.find("#theme-toggle").click()
    assert chat.js("return document.documentElement.dataset.theme") == "light"
    chat.js("document.activeElement.blur()")
    chat.driver.save_screenshot(str(SCREENSHOTS / "light.png"))
    assert background(chat) == LIGHT_BG
    # The footer gives my name its room beside the site-admin, theme and logout buttons: not cut.
    assert chat.find("#me-name").text == "Ada Lovelace"
    assert not chat.find("#admin-open").get_attribute("hidden")
    assert chat.js("const n = document.getElementById('me-name'); return n.scrollWidth <= n.clientWidth")

    chat.find("#theme-toggle").click()
    assert chat.js("return document.documentElement.dataset.theme") == "dark"
    chat.js("document.activeElement.blur()")
    chat.wait(lambda: background(chat) == DARK_BG)
    chat.driver.save_screenshot(str(SCREENSHOTS / "dark.png"))
    # The choice survives a reload (applied before the first paint by theme-boot.js).
    chat.driver.refresh()
    chat.wait_ready()
    assert background(chat) == DARK_BG
    for name in ("light.png", "dark.png"):
        assert (SCREENSHOTS / name).stat().st_size > 20_000
    grace_online.close()


def test_the_system_theme_is_followed_until_one_is_chosen(showroom, browsers):
    chat = Chat(browsers(), showroom).log_in("grace")
    chat.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    chat.wait(lambda: background(chat) == DARK_BG, message="the dark system preference was not followed")
    chat.find("#theme-toggle").click()  # system → light
    chat.wait(lambda: background(chat) == LIGHT_BG)
    chat.find("#theme-toggle").click()  # light → dark
    chat.find("#theme-toggle").click()  # dark → system (dark here)
    assert chat.js("return document.documentElement.dataset.theme ?? null") is None
    assert background(chat) == DARK_BG


def test_the_phone_layout_puts_the_rooms_in_a_drawer(showroom, browsers):
    chat = Chat(browsers(width=390, height=844), showroom).log_in("alan")
    sidebar_right = "return document.getElementById('sidebar').getBoundingClientRect().right"
    chat.wait(lambda: chat.js(sidebar_right) <= 0, message="the room list covers the chat on a phone")
    assert chat.find("#show-rooms").is_displayed()
    assert chat.js("return document.documentElement.scrollWidth <= window.innerWidth")  # nothing overflows sideways
    chat.find("#show-rooms").click()
    chat.wait(lambda: chat.js("return document.getElementById('sidebar').getBoundingClientRect().left") >= 0)
    assert chat.find("#show-rooms").get_attribute("aria-expanded") == "true"
    chat.driver.save_screenshot(str(Path(tempfile.gettempdir()) / "parley-phone-drawer.png"))
    chat.find('#room-list a[data-name="design"]').click()
    chat.wait(lambda: chat.room_title() == "design")
    chat.wait(lambda: chat.js(sidebar_right) <= 0, message="the drawer did not close after picking a room")
    chat.send("sent from a phone")
    chat.wait(lambda: "sent from a phone" in chat.texts())
    box = chat.js("return document.getElementById('composer-text').getBoundingClientRect().bottom")
    assert box <= 844
    chat.driver.save_screenshot(str(Path(tempfile.gettempdir()) / "parley-phone.png"))


def test_keyboard_and_screen_reader_basics(showroom, browsers):
    chat = Chat(browsers(), showroom).log_in("grace")
    log = chat.find("#messages")
    # Not a live region (its items are rebuilt as they change): #announcer reads out new messages.
    assert log.get_attribute("aria-live") == "off"
    unnamed = chat.js("""return [...document.querySelectorAll('button, a[href], input, textarea')]
        .filter(e => e.offsetParent !== null)
        .filter(e => !(e.getAttribute('aria-label') || e.textContent.trim() || e.labels?.length || e.getAttribute('title')))
        .map(e => e.outerHTML.slice(0, 80))""")
    assert unnamed == []
    # After a load, Tab reaches the skip link first, and it leads to the message box.
    chat.driver.refresh()
    chat.wait_ready()
    ActionChains(chat.driver).send_keys(Keys.TAB).perform()
    assert chat.js("return document.activeElement.className") == "skip-link"
    assert chat.js("return document.activeElement.getBoundingClientRect().top") >= 0  # shown while focused
    history = chat.js("return [history.length, location.hash]")
    ActionChains(chat.driver).send_keys(Keys.ENTER).perform()
    chat.wait(lambda: chat.js("return document.activeElement.id") == "composer-text")
    # Without an entry in the history (Back would go to "#composer-text", not the room before).
    assert chat.js("return [history.length, location.hash]") == history
    # Focus is visible: Tab on to "Emoji", "Send later", then to the send button, which shows an outline.
    ActionChains(chat.driver).send_keys(Keys.TAB).perform()
    assert chat.js("return document.activeElement.id") == "emoji-open"
    ActionChains(chat.driver).send_keys(Keys.TAB).perform()
    assert chat.js("return document.activeElement.id") == "schedule-send"
    ActionChains(chat.driver).send_keys(Keys.TAB).perform()
    assert chat.js("return document.activeElement.id") == "send"
    outline = chat.js("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), f"no visible focus ({outline})"
    # Dialogs take focus and give it back on Escape.
    chat.find("#new-dm").click()
    chat.wait(lambda: chat.js("return document.activeElement.id") == "dm-input")
    chat.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    chat.wait(lambda: chat.find("#dm-dialog").get_attribute("open") is None)
