"""Taps on a phone (a coarse pointer, at 360 and 390 px wide) reach what they seem to: the quick
reactions stay on the screen and inside their panel, a DM's unread badge opens the DM (its close
button is apart and shown), the Reports dialog fits without scrolling sideways and shows a message
over the drawer it was opened from, and the panels' close buttons are a finger's size."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat, make_site_admin

PHONES = [{"width": 360, "height": 740}, {"width": 390, "height": 844}]
DESKTOP = {"width": 1280, "height": 800}


def touch_browser(browsers, size):
    """A browser of `size`; a phone's with a finger (touch events, a coarse pointer)."""
    driver = browsers(**size)
    if size["width"] < 600:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    return driver


def phone(chat):
    return chat.js("return innerWidth") < 700


def open_drawer(chat):
    chat.find("#show-rooms").click()
    chat.wait(lambda: chat.js("return document.getElementById('sidebar').getBoundingClientRect().left") == 0)


def drawer_closed(chat):
    return chat.js("return document.getElementById('sidebar').getBoundingClientRect().right") <= 0


def open_room(chat, name):
    """Opens a room, on a phone from the drawer (which closes)."""
    if phone(chat):
        open_drawer(chat)
    chat.open_room(name)
    if phone(chat):
        chat.wait(lambda: drawer_closed(chat))


def tap(chat, x, y):
    """A finger's tap at (x, y) of the viewport, as a phone's touch screen sends it."""
    point = [{"x": x, "y": y}]
    chat.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": point})
    chat.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


# Where each of the menu's buttons is: inside the viewport and the panel the menu belongs to, and
# the button itself is what a tap at its centre reaches.
PICKER_PLACES = """const picker = document.querySelector('.reaction-picker');
    const panel = picker.closest('#thread-panel, #messages').getBoundingClientRect();
    return [...picker.querySelectorAll('button')].map(b => {
      const r = b.getBoundingClientRect();
      return { emoji: b.dataset.emoji ?? b.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
        inside: r.left >= Math.max(0, panel.left) - 0.5 && r.right <= Math.min(innerWidth, panel.right) + 0.5
          && r.top >= Math.max(0, panel.top) - 0.5 && r.bottom <= Math.min(innerHeight, panel.bottom) + 0.5,
        hit: b.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)) };
    })"""


# The message reacted to: the room's last (whose menu reaches lowest), a reply in the thread.
LAST = "a reply to react to"


@pytest.mark.parametrize("place", ["room", "thread"])
@pytest.mark.parametrize("size", PHONES + [DESKTOP], ids=["360", "390", "desktop"])
def test_every_quick_reaction_is_on_the_screen_and_can_be_tapped(server, browsers, account, size, place):
    me = f"tt_react_{place}_{size['width']}"
    host = account(me, display_name="Tess")
    room = host.create_room(f"tt-react-{place}-{size['width']}")["id"]
    for n in range(12):
        root = host.post(room, f"earlier {n}")
    host.post(room, LAST, reply_to=root["id"])
    chat = Chat(touch_browser(browsers, size), server).log_in(me)
    open_room(chat, f"tt-react-{place}-{size['width']}")
    chat.wait(lambda: "earlier 11" in chat.texts())
    if place == "thread":
        chat.open_thread("earlier 11")
        chat.wait(lambda: chat.driver.find_elements(By.CSS_SELECTOR, "#thread-replies li.thread-message"))
        chat.click_fresh("#thread-replies li.thread-message [data-action=react]")
    elif phone(chat):
        # A phone shows a message's actions under the one tapped.
        chat.message(LAST).find_element(By.CSS_SELECTOR, ".text").click()
        chat.click_fresh(f'#messages li.message[data-id="{chat.message_id(LAST)}"] [data-action=react]')
    else:
        chat.hover_action(LAST, "react")
    chat.wait(lambda: chat.js("return document.querySelector('.reaction-picker') !== null"), message="no reaction picker")
    places = chat.js(PICKER_PLACES)
    chat.driver.save_screenshot(f"/tmp/parley-touch-picker-{place}-{size['width']}.png")
    assert len(places) >= 9, places
    assert [p["emoji"] for p in places if not (p["inside"] and p["hit"])] == [], places
    # 👍 comes first, and reacts.
    assert places[0]["emoji"] == "👍"
    chat.click_fresh('.reaction-picker button[data-emoji="👍"]')
    where = "#thread-replies li.thread-message" if place == "thread" else f'#messages li.message[data-id="{chat.message_id(LAST)}"]'
    chat.wait(lambda: chat.js(f"return [...document.querySelectorAll('{where} .reaction')].map(b => b.dataset.emoji)") == ["👍"],
              message="the reaction did not show")


# What a tap at the centre of a DM's unread badge reaches: the link that opens it, or its close button.
AT_BADGE = """const badge = document.querySelector(`#dm-list a.room-link[data-room="${arguments[0]}"] .badge`);
    if (!badge) return null;
    const r = badge.getBoundingClientRect(), hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return { x: r.left + r.width / 2, y: r.top + r.height / 2, close: !!hit?.closest('.room-close'), link: !!hit?.closest('a.room-link'),
      visible: getComputedStyle(badge).visibility === 'visible' }"""


@pytest.mark.parametrize("size", PHONES, ids=["360", "390"])
def test_on_a_phone_a_tap_on_a_dms_badge_opens_it_and_its_close_button_shows_apart(server, browsers, account, size):
    me = f"tt_dm_badge_{size['width']}"
    account(me, display_name="Tina")
    friend = account(f"tt_dm_friend_{size['width']}", display_name="Uma")
    dm = friend.call("POST", "/api/dms", expect=201, json={"user_id": account(me).id}).json()["room"]["id"]
    friend.post(dm, "are you coming tonight?")
    chat = Chat(touch_browser(browsers, size), server).log_in(me)
    chat.wait(lambda: chat.badge("Uma") == ["1", False], message="the DM has no badge")
    open_drawer(chat)
    chat.driver.save_screenshot(f"/tmp/parley-touch-dm-badge-{size['width']}.png")
    at = chat.js(AT_BADGE, dm)
    assert at["link"] and not at["close"] and at["visible"], at
    # A finger's tap on the badge opens the DM (and the drawer closes), it does not close it.
    tap(chat, at["x"], at["y"])
    chat.wait(lambda: chat.room_title() == "Uma", message="the tap did not open the DM")
    chat.wait(lambda: drawer_closed(chat), message="the drawer stayed open")
    assert "Uma" in chat.sidebar_rooms("dm-list")
    # Closing it is still in reach: its × shows in the drawer, a finger's size, apart from the name.
    open_drawer(chat)
    close = chat.js("""const b = document.querySelector(`#dm-list .room-close[data-room="${arguments[0]}"]`), r = b.getBoundingClientRect();
        return { width: r.width, height: r.height, x: r.left + r.width / 2, y: r.top + r.height / 2, opacity: getComputedStyle(b).opacity,
          hit: b.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)),
          apart: r.left >= b.parentNode.querySelector('a.room-link').getBoundingClientRect().right - 0.5 }""", dm)
    assert close["opacity"] == "1" and close["hit"] and close["apart"], close
    assert close["width"] >= 44 and close["height"] >= 44, close
    tap(chat, close["x"], close["y"])
    chat.wait(lambda: "Uma" not in chat.sidebar_rooms("dm-list"), message="the DM was not closed")


def test_on_a_desktop_a_dms_hidden_close_button_takes_no_click_until_shown(server, browsers, account):
    me = "tt_dm_desk"
    account(me, display_name="Tom")
    friend = account("tt_dm_desk_friend", display_name="Vic")
    dm = friend.call("POST", "/api/dms", expect=201, json={"user_id": account(me).id}).json()["room"]["id"]
    friend.post(dm, "a question for you")
    chat = Chat(browsers(**DESKTOP), server).log_in(me)
    chat.wait(lambda: chat.badge("Vic") == ["1", False], message="the DM has no badge")
    # Not hovered or focused, the × is invisible: what is under it (the badge, in the link) takes a click.
    chat.js("document.activeElement.blur()")
    at = chat.js(AT_BADGE, dm)
    assert at["link"] and not at["close"], at
    # From the keyboard it shows when focused, as before, and closes the DM.
    chat.js(f"""document.querySelector('#dm-list .room-close[data-room="{dm}"]').focus()""")
    assert chat.js(f"""const b = document.querySelector('#dm-list .room-close[data-room="{dm}"]'), r = b.getBoundingClientRect();
        return getComputedStyle(b).opacity === '1' && b.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2))""")
    chat.driver.switch_to.active_element.send_keys(Keys.ENTER)
    chat.wait(lambda: "Vic" not in chat.sidebar_rooms("dm-list"), message="the DM was not closed")


# How the Reports dialog sits in the viewport: whether it scrolls sideways, and the filters, entries
# and buttons that reach past its edge or the screen's.
REPORTS_FIT = """const dialog = document.getElementById('reports-dialog'), box = dialog.getBoundingClientRect();
    const sticking = [...dialog.querySelectorAll('label, button, select, li.report-entry')].filter(n => n.checkVisibility()).filter(n => {
      const r = n.getBoundingClientRect();
      return r.left < Math.max(0, box.left) - 0.5 || r.right > Math.min(innerWidth, box.right) + 0.5;
    }).map(n => n.textContent.trim().slice(0, 30));
    return { sideways: dialog.scrollWidth - dialog.clientWidth, sticking }"""


@pytest.mark.parametrize("size", PHONES, ids=["360", "390"])
def test_on_a_phone_the_reports_dialog_fits_and_shows_a_message_over_the_drawer(server, browsers, account, size):
    me = f"tt_rep_admin_{size['width']}"
    host = account(me, display_name="Vera")
    make_site_admin(server, me)
    writer = account(f"tt_rep_writer_{size['width']}", display_name="Walt")
    reporter = account(f"tt_rep_reporter_{size['width']}", display_name="Xena")
    room = host.create_room(f"tt-reports-{size['width']}")["id"]
    for person in (writer, reporter):
        person.join(room)
    for n in range(20):
        writer.post(room, f"filler {n}")
    reported = writer.post(room, "buy cheap watches here")
    for n in range(20):
        writer.post(room, f"later {n}")
    reporter.call("POST", f"/api/messages/{reported['id']}/report", expect=201, json={"reason": "spam", "comment": "again and again"})
    chat = Chat(touch_browser(browsers, size), server).log_in(me)
    open_room(chat, f"tt-reports-{size['width']}")
    chat.wait(lambda: "later 19" in chat.texts())
    # On a phone the link to the reports is in the drawer.
    open_drawer(chat)
    chat.wait(lambda: chat.find("#reports-open").is_displayed(), message="no link to the reports")
    chat.find("#reports-open").click()
    chat.wait(lambda: chat.dialog_open("reports-dialog"))
    # (A site admin sees every report on the server, other tests' too.)
    entry = f'#reports-list li.report-entry[data-message="{reported["id"]}"]'
    chat.wait(lambda: chat.driver.find_elements(By.CSS_SELECTOR, entry), message="the report is not listed")
    # A site admin's filters (All, Messages, People, Rooms) wrap: nothing reaches past the dialog.
    assert chat.find("#reports-subject").is_displayed()
    chat.driver.save_screenshot(f"/tmp/parley-touch-reports-{size['width']}.png")
    fit = chat.js(REPORTS_FIT)
    assert fit == {"sideways": 0, "sticking": []}, fit
    # "Show in the room" shows the message: the drawer closes, the message has the focus and is in view.
    chat.click_fresh(f"{entry} button", text="Show in the room")
    chat.wait(lambda: not chat.dialog_open("reports-dialog"))
    chat.wait(lambda: drawer_closed(chat), message="the drawer stayed over the room")
    chat.wait(lambda: chat.js("return document.activeElement.dataset?.id ?? null") == str(reported["id"]),
              message=lambda: f"the focus is on {chat.js('return document.activeElement.outerHTML.slice(0, 80)')}")
    assert chat.js("""const node = document.activeElement, r = node.getBoundingClientRect();
        return node.contains(document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 10)))"""), \
        "the message is not in view"


CLOSE_BUTTON = """const b = document.getElementById(arguments[0]), r = b.getBoundingClientRect(), head = b.parentNode.getBoundingClientRect();
    return { width: r.width, height: r.height, head: head.height, x: r.left + r.width / 2, y: r.top + r.height / 2,
      inside: r.left >= 0 && r.right <= innerWidth, hit: b.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)) }"""


@pytest.mark.parametrize("size", [PHONES[1], DESKTOP], ids=["390", "desktop"])
def test_the_panels_and_the_picture_viewers_close_buttons_are_a_fingers_size(server, browsers, account, size):
    from test_files import png, share

    me = f"tt_closers_{size['width']}"
    host = account(me, display_name="Yola")
    room = host.create_room(f"tt-closers-{size['width']}")["id"]
    share(server, host, room, "view.png", "image/png", png(40, 30, (10, 160, 90)))
    share(server, host, room, "view2.png", "image/png", png(40, 30, (160, 10, 90)))
    root = host.post(room, "a question")
    host.post(room, "an answer", reply_to=root["id"])
    chat = Chat(touch_browser(browsers, size), server).log_in(me)
    open_room(chat, f"tt-closers-{size['width']}")
    chat.wait(lambda: "a question" in chat.texts())
    # A finger's 44 px; with a mouse, as small as they were. The panel's head keeps its height.
    finger = phone(chat)

    def check_and_tap(button_id, opened):
        shown = chat.js(CLOSE_BUTTON, button_id)
        chat.driver.save_screenshot(f"/tmp/parley-touch-{button_id}-{size['width']}.png")
        if finger:
            assert shown["width"] >= 44 and shown["height"] >= 44, shown
        else:
            assert shown["width"] < 40 and shown["height"] < 40, shown
        assert shown["inside"] and shown["hit"], shown
        if button_id != "viewer-close":
            assert shown["head"] <= 58, shown  # 3.5rem and its border
        if finger:
            tap(chat, shown["x"], shown["y"])
        else:
            chat.find(f"#{button_id}").click()
        chat.wait(lambda: not opened(), message=f"#{button_id} did not close it")

    chat.find("#members-toggle").click()
    chat.wait(lambda: chat.find("#members-panel").is_displayed())
    check_and_tap("members-close", lambda: chat.find("#members-panel").is_displayed())
    chat.open_thread("a question")
    check_and_tap("thread-close", lambda: chat.find("#thread-panel").is_displayed())
    chat.click_fresh("#messages .attachment.image img")
    chat.wait(lambda: chat.dialog_open("viewer-dialog"))
    # Its arrows between the room's two pictures, a finger's size too.
    arrows = chat.js("return ['viewer-previous', 'viewer-next'].map(id => document.getElementById(id).getBoundingClientRect()).map(r => [r.width, r.height])")
    assert all(min(box) >= 44 for box in arrows) if finger else all(max(box) < 40 for box in arrows), arrows
    check_and_tap("viewer-close", lambda: chat.dialog_open("viewer-dialog"))


def test_on_a_phone_show_in_the_room_from_your_reports_closes_the_drawer(server, browsers, account):
    me = "tt_rep_mine"
    account(me, display_name="Zoe")
    writer = account("tt_rep_mine_writer", display_name="Abe")
    room = writer.create_room("tt-my-reports")["id"]
    account(me).join(room)
    reported = writer.post(room, "something rude")
    for n in range(30):
        writer.post(room, f"after {n}")
    account(me).call("POST", f"/api/messages/{reported['id']}/report", expect=201, json={"reason": "harassment"})
    chat = Chat(touch_browser(browsers, PHONES[1]), server).log_in(me)
    open_room(chat, "tt-my-reports")
    chat.wait(lambda: "after 29" in chat.texts())
    # "Profile and settings" is in the drawer's footer on a phone.
    open_drawer(chat)
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.click_fresh(f'#my-reports-list li.report-entry[data-report] button', text="Show in the room")
    chat.wait(lambda: not chat.dialog_open("profile-dialog"))
    chat.wait(lambda: drawer_closed(chat), message="the drawer stayed over the room")
    chat.wait(lambda: chat.js("return document.activeElement.dataset?.id ?? null") == str(reported["id"]),
              message=lambda: f"the focus is on {chat.js('return document.activeElement.outerHTML.slice(0, 80)')}")


@pytest.mark.parametrize("touch", [True, False])
def test_keyboard_hints_show_only_where_there_is_a_keyboard_pointer(server, browsers, account, touch):
    """A tablet (wider than the phone layout) with a finger showed "Enter to send" and Ctrl+K (a hunt)."""
    account("tb_hints")
    driver = browsers(width=1024, height=1366)
    if touch:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    chat = Chat(driver, server).log_in("tb_hints")
    assert chat.js("return matchMedia('(pointer: coarse)').matches") is touch
    shown = chat.js("""return ['#composer-help', '#switcher-open kbd'].map(css => getComputedStyle(document.querySelector(css)).display !== 'none')""")
    assert shown == [not touch, not touch]
