"""Layout at a phone's size (390x844, the viewport `make_driver` emulates) and with long names:
nothing scrolls sideways, the drawer covers the panels, the room's name has room, the connection
and queued messages say how they stand, and toasts leave the message box's controls free."""
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from parley_browser import Account, Chat

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LONG_ROOM = "an-extremely-long-room-name-for-layout-testing-purposes"


def covers(chat, element_id):
    """Whether the element `element_id` (or something in it) is what a tap at its centre reaches."""
    return chat.js("""const node = document.getElementById(arguments[0]), box = node.getBoundingClientRect();
        return node.contains(document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2))""", element_id)


def drawer_open(chat):
    chat.find("#show-rooms").click()
    chat.wait(lambda: chat.js("return document.getElementById('sidebar').getBoundingClientRect().left") == 0)


def open_room(chat, name):
    """Opens a room as on a phone: from the drawer (which closes)."""
    phone = chat.js("return innerWidth") < 700
    if phone and "open" not in chat.find("#sidebar").get_attribute("class"):
        drawer_open(chat)
    chat.open_room(name)
    if phone:
        chat.wait(lambda: chat.js("return document.getElementById('sidebar').getBoundingClientRect().right") <= 0)


@pytest.fixture(scope="module")
def long_names(server):
    """Someone whose sidebar lists a long room name, a long DM name and a group DM of long names."""
    me = Account(server, "lena_long", display_name="Lena")
    people = [Account(server, f"{name.split()[0].lower()}_long", display_name=name)
              for name in ("Alice Anderson", "Bob Brown", "Dave Diaz")]
    wordy = Account(server, "wordy_long", display_name="Maximiliana Bartholomew-Featherstonehaugh the Third")
    room = me.create_room(LONG_ROOM)["id"]
    me.post(room, "a room with a long name")
    me.call("POST", "/api/dms", expect=201, json={"user_ids": [person.id for person in people]})
    me.call("POST", "/api/dms", expect=201, json={"user_id": wordy.id})
    return me


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_long_names_are_cut_and_the_sidebar_never_scrolls_sideways(server, browsers, long_names, size):
    chat = Chat(browsers(**size), server).log_in("lena_long")
    chat.wait(lambda: len(chat.sidebar_rooms("dm-list")) == 2, message="the DMs are not listed")
    if size is PHONE:
        drawer_open(chat)
    measure = """const scroller = document.querySelector('#sidebar .sidebar-scroll');
        const list = document.getElementById('dm-list').getBoundingClientRect();
        return {
          sideways: scroller.scrollWidth - scroller.clientWidth, scrolled: scroller.scrollLeft,
          wider: [...document.querySelectorAll('#sidebar li')].filter(li => li.getBoundingClientRect().right > list.right + 0.5).map(li => li.textContent),
          cut: [...document.querySelectorAll('#dm-list .name, #room-list .name')].filter(n => n.scrollWidth > n.clientWidth)
            .map(n => getComputedStyle(n).textOverflow),
        }"""
    shown = chat.js(measure)
    assert shown["sideways"] == 0 and shown["wider"] == [], shown
    # The long names are cut, with an ellipsis (the group DM's, the long display name's, the room's).
    assert shown["cut"] == ["ellipsis"] * 3, shown
    open_room(chat, LONG_ROOM)
    if size is PHONE:
        drawer_open(chat)
    shown = chat.js(measure)
    assert shown["sideways"] == 0 and shown["scrolled"] == 0, shown
    chat.driver.save_screenshot(f"/tmp/parley-long-names-{size['width']}.png")


@pytest.mark.parametrize("panel", ["members", "thread"])
def test_on_a_phone_the_drawer_opens_over_a_thread_or_the_members(server, browsers, account, panel):
    host = account(f"panel_{panel}", display_name="Pat Panel")
    room = host.create_room(f"panel-{panel}")["id"]
    root = host.post(room, "start a thread here")
    host.post(room, "a reply", reply_to=root["id"])
    chat = Chat(browsers(**PHONE), server).log_in(f"panel_{panel}")
    open_room(chat, f"panel-{panel}")
    if panel == "members":
        chat.find("#members-toggle").click()
        chat.wait(lambda: chat.find("#members-panel").is_displayed())
    else:
        chat.wait(lambda: chat.message("start a thread here").find_elements("css selector", ".thread-link"))
        chat.message("start a thread here").find_element("css selector", ".thread-link").click()
        chat.wait(lambda: chat.find("#thread-panel").is_displayed())
    drawer_open(chat)
    assert covers(chat, "sidebar"), "the drawer opened under the panel"
    chat.driver.save_screenshot(f"/tmp/parley-phone-drawer-over-{panel}.png")


def test_on_a_phone_the_room_name_has_room_and_the_other_tools_are_in_a_menu(server, browsers, account):
    host = account("head_host", display_name="Hedda")
    room = host.create_room("devteam", topic="Builds, deploys and the release train")["id"]
    host.post(room, "hello")
    chat = Chat(browsers(**PHONE), server).log_in("head_host")
    open_room(chat, "devteam")
    title = chat.js("const t = document.getElementById('room-title'); return [t.scrollWidth, t.clientWidth]")
    assert title[0] <= title[1] and title[1] >= 150, f"the room's name is cut: {title}"
    topic = chat.js("const t = document.getElementById('room-topic'); return [t.scrollWidth, t.clientWidth]")
    assert topic[1] >= 150, f"the topic has {topic[1]} px"
    # The header's tools that moved to the menu are still there, through "More".
    assert not chat.find("#room-settings").is_displayed()
    chat.find("#room-more").click()
    chat.wait(lambda: chat.find("#room-settings").is_displayed())
    assert covers(chat, "room-settings") and covers(chat, "search-open")
    # Each tool by its name, without a keyboard shortcut (nothing to a finger; a hunt).
    named = chat.js("return getComputedStyle(document.getElementById('search-open'), '::after').content")
    assert named == '"Search messages"', named
    chat.driver.save_screenshot("/tmp/parley-phone-more-menu.png")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    assert not chat.find("#room-settings").is_displayed(), "the menu stayed open"
    # Nothing in the header overflows the phone.
    assert chat.js("return document.querySelector('.room-head').scrollWidth <= document.querySelector('.room-head').clientWidth")


def test_on_a_phone_the_message_box_placeholder_stays_on_one_line(server, browsers, account):
    account("hint_host").create_room("history-of-the-longest-room-names")
    chat = Chat(browsers(**PHONE), server).log_in("hint_host")
    open_room(chat, "history-of-the-longest-room-names")
    chat.wait(lambda: "history-of-the-longest" in chat.find("#composer-text").get_attribute("placeholder"))
    box = chat.js("const t = document.getElementById('composer-text'); return [t.scrollHeight, t.clientHeight]")
    assert box[0] <= box[1], f"the placeholder wraps: {box}"


def test_on_a_phone_a_lost_connection_shows_above_the_room(server, browsers, account):
    account("banner_user")
    chat = Chat(browsers(**PHONE), server).log_in("banner_user")
    assert not chat.find("#connection-banner").is_displayed()
    chat.driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    chat.js("window.dispatchEvent(new Event('offline'))")
    chat.wait(lambda: chat.connection() in ("offline", "reconnecting"))
    chat.wait(lambda: chat.find("#connection-banner").is_displayed(), message="a phone does not show it is offline")
    assert "reconnecting" in chat.text_of("connection-banner").lower()
    assert covers(chat, "connection-banner")
    chat.driver.save_screenshot("/tmp/parley-phone-offline.png")
    chat.driver.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    chat.js("window.dispatchEvent(new Event('online'))")
    chat.wait(lambda: chat.connection() == "live")
    chat.wait(lambda: not chat.find("#connection-banner").is_displayed())


def test_a_queued_message_under_another_says_it_waits(server, browsers, account):
    account("queue_user")
    chat = Chat(browsers(**PHONE), server).log_in("queue_user")
    chat.driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    chat.js("window.dispatchEvent(new Event('offline'))")
    chat.wait(lambda: chat.connection() in ("offline", "reconnecting"))
    chat.send("first queued")
    chat.send("second queued")
    chat.wait(lambda: len(chat.pending()) == 2)
    statuses = chat.js("""return [...document.querySelectorAll('#messages li.pending')].map(li => {
        const box = li.querySelector('.pending-status').getBoundingClientRect();
        const shown = document.elementFromPoint(box.left + 4, box.top + box.height / 2)?.closest('.pending-status');
        return [li.classList.contains('continued'), !!shown, shown?.textContent] })""")
    assert statuses[1][0], "the second message should continue the first"
    assert [visible for _, visible, _ in statuses] == [True, True], statuses
    chat.driver.save_screenshot("/tmp/parley-phone-queued.png")
    chat.driver.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    chat.js("window.dispatchEvent(new Event('online'))")
    chat.wait(lambda: chat.pending() == [], message="the queue was not sent")


def test_on_a_phone_a_toast_leaves_the_message_box_controls_free(server, browsers, account):
    account("toast_user").create_room("toast-room")
    chat = Chat(browsers(**PHONE), server).log_in("toast_user")
    open_room(chat, "toast-room")
    chat.type("later, please")
    chat.find("#schedule-send").click()
    chat.wait(lambda: chat.js("return document.querySelector('.schedule-menu') !== null"))
    chat.find(".schedule-menu button.when").click()
    chat.wait(lambda: "Scheduled for" in chat.js("return document.querySelector('.toasts')?.textContent ?? ''"))
    chat.wait(lambda: chat.find("#scheduled-bar").is_displayed())
    chat.driver.save_screenshot("/tmp/parley-phone-toast.png")
    for control in ("scheduled-open", "composer-text", "send", "schedule-send", "attach"):
        assert covers(chat, control), f"the toast covers #{control}"
    toast = chat.js("return document.querySelector('.toasts').getBoundingClientRect().bottom")
    assert toast <= chat.js("return document.getElementById('composer').getBoundingClientRect().top") + 1
    chat.find("#scheduled-open").click()
    chat.wait(lambda: chat.dialog_open("scheduled-dialog"))


def test_on_a_phone_a_dialog_opened_from_the_more_menu_gives_the_focus_to_more_when_it_closes(server, browsers, account):
    host = account("more_focus", display_name="Mo")
    host.create_room("focusroom")
    chat = Chat(browsers(**PHONE), server).log_in("more_focus")
    open_room(chat, "focusroom")
    for tool, dialog in (("saved-open", "saved-dialog"), ("search-open", "search-dialog"), ("room-notify", "notify-dialog"), ("room-settings", "room-dialog")):
        chat.find("#room-more").click()
        chat.wait(lambda: chat.find(f"#{tool}").is_displayed())
        chat.find(f"#{tool}").send_keys(Keys.ENTER)
        chat.wait(lambda: chat.dialog_open(dialog))
        ActionChains(chat.driver).send_keys(Keys.ESCAPE).perform()
        chat.wait(lambda: chat.js("return document.activeElement.id") == "room-more",
                  message=f"after {dialog}: {chat.js('return document.activeElement.outerHTML.slice(0, 60)')}")


def test_on_a_phone_the_open_drawer_keeps_the_keyboard_and_escape_closes_it(server, browsers, account):
    host = account("drawer_keys", display_name="Dee")
    host.create_room("drawer-keys")
    chat = Chat(browsers(**PHONE), server).log_in("drawer_keys")
    open_room(chat, "drawer-keys")
    drawer_open(chat)
    # Tab and Shift+Tab go round the drawer: the dimmed page behind is out of reach.
    for keys in ([Keys.TAB] * 30, [Keys.SHIFT, Keys.TAB] * 30):
        for _ in range(30):
            if keys[0] == Keys.SHIFT:
                ActionChains(chat.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
            else:
                ActionChains(chat.driver).send_keys(Keys.TAB).perform()
            assert chat.js("return document.getElementById('sidebar').contains(document.activeElement)"), \
                chat.js("return document.activeElement.outerHTML.slice(0, 80)")
    assert chat.js("return document.getElementById('room').inert")
    # Escape closes it and gives the focus back to ☰; the page behind is live again.
    ActionChains(chat.driver).send_keys(Keys.ESCAPE).perform()
    chat.wait(lambda: chat.js("return document.getElementById('sidebar').getBoundingClientRect().right") <= 0)
    assert chat.js("return document.activeElement.id") == "show-rooms"
    assert not chat.js("return document.getElementById('room').inert")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_threads_buttons_stay_on_the_line_of_a_long_name_and_on_a_phone_are_big_enough_to_tap(server, browsers, account, size):
    yan = account(f"yan_thread_taps_{size['width']}", display_name="Yannick Longername-Thompson")
    zed = account(f"zed_thread_taps_{size['width']}", display_name="Zed")
    room = yan.create_room(f"thread-taps-{size['width']}")["id"]
    zed.join(room)
    root = zed.post(room, "a question")
    zed.post(room, "an answer of zed's", reply_to=root["id"])
    yan.post(room, "an answer of yan's", reply_to=root["id"])
    driver = browsers(**size)
    if size is PHONE:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    chat = Chat(driver, server).log_in(yan.username)
    open_room(chat, f"thread-taps-{size['width']}")
    chat.wait(lambda: "a question" in chat.texts())
    chat.open_thread("a question")
    chat.wait(lambda: len(chat.driver.find_elements(By.CSS_SELECTOR, "#thread-replies li.thread-message")) == 2)
    buttons = """return [...document.querySelectorAll('#thread-panel li.thread-message .meta .icon-button')]
        .filter(b => b.checkVisibility()).map(b => { const r = b.getBoundingClientRect(); return [r.width, r.height]; })"""
    sizes = chat.js(buttons)
    # React and report on zed's; react, edit and delete on yan's; react and report on the root.
    assert len(sizes) >= 6, sizes
    if size is PHONE:
        assert all(w >= 44 and h >= 44 for w, h in sizes), sizes
    # The name, the time and the tools share one line (a hunt saw the tools wrap under a long name);
    # the long name is cut, its button's title has it whole.
    lines = chat.js("""return [...document.querySelectorAll('#thread-panel li.thread-message .meta')].map(meta => {
        const middle = (node) => { const r = node.getBoundingClientRect(); return r.top + r.height / 2; };
        const author = meta.querySelector('.author');
        return [author.textContent, author.scrollWidth > author.clientWidth,
          Math.max(...[...meta.children].filter(c => c.checkVisibility()).map(c => Math.abs(middle(c) - middle(author))))];
    })""")
    assert len(lines) == 3, lines
    for name, cut, apart in lines:
        assert apart < 8, f"{name}'s time or buttons are off its line by {apart}px: {lines}"
    assert [cut for name, cut, _ in lines if name == "Yannick Longername-Thompson"] == [True], lines
    assert [cut for name, cut, _ in lines if name == "Zed"] == [False, False], lines
    # Nothing sideways.
    assert chat.js("const s = document.getElementById('thread-scroll'); return s.scrollWidth <= s.clientWidth + 1")


def test_on_a_phone_message_actions_are_big_enough_to_tap_and_new_messages_leaves_them_free(server, browsers, account):
    yan = account("yan_taps", display_name="Yan")
    zed = account("zed_taps", display_name="Zed")
    room = yan.create_room("taps-room")["id"]
    zed.join(room)
    for n in range(30):
        zed.post(room, f"earlier {n}")
    driver = browsers(**PHONE)
    # A phone's finger: a coarse pointer.
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    chat = Chat(driver, server).log_in("yan_taps")
    assert chat.js("return matchMedia('(pointer: coarse)').matches")
    open_room(chat, "taps-room")
    chat.wait(lambda: "earlier 29" in chat.texts())
    # So big, they show under the message tapped, not under every one.
    shown = "return [...document.querySelectorAll('#messages li.message .actions')].filter(a => a.checkVisibility()).length"
    assert chat.js(shown) == 0
    chat.message("earlier 28").find_element(By.CSS_SELECTOR, ".text").click()
    chat.wait(lambda: chat.js(shown) == 1)
    # Brought into view.
    chat.wait(lambda: chat.js("""const list = document.getElementById('messages').getBoundingClientRect();
        const r = document.activeElement.getBoundingClientRect(); return r.bottom <= list.bottom + 1""") is True)
    sizes = chat.js("""return [...document.querySelectorAll('#messages li.message .actions button')]
        .filter(b => b.checkVisibility()).map(b => { const r = b.getBoundingClientRect(); return [r.width, r.height]; })""")
    chat.driver.save_screenshot("/tmp/parley-phone-taps.png")
    assert sizes and all(w >= 44 and h >= 44 for w, h in sizes), sizes
    # Nothing sideways.
    assert chat.js("return document.getElementById('messages').scrollWidth <= document.getElementById('messages').clientWidth + 1")
    # Reading further up, a new message brings "New messages": scrolled to the bottom, it does not
    # cover the last message's actions.
    chat.js("document.getElementById('messages').scrollTop = 0")
    zed.post(room, "a new one")
    chat.wait(lambda: chat.find("#jump-latest").is_displayed())
    # Scrolled as far down as the list goes, the last message's actions are above the button.
    clear = chat.js("""const list = document.getElementById('messages'), jump = document.getElementById('jump-latest');
        const last = [...list.querySelectorAll('li.message')].at(-1);
        last.focus({ preventScroll: true });
        const lift = list.scrollHeight - list.clientHeight - list.scrollTop;
        const actions = [...last.querySelectorAll('.actions button')].map(b => b.getBoundingClientRect().bottom - lift);
        return [Math.max(...actions), jump.getBoundingClientRect().top]""")
    assert clear[0] <= clear[1], f"the last message's actions end at {clear[0]}, under the button from {clear[1]}"


def test_on_a_phone_the_rooms_button_shows_unread_messages_behind_it(server, browsers, account):
    """The list (and its badges) is behind ☰ on a phone: nothing there said other rooms had news (a hunt)."""
    host = account("dot_host")
    room = host.create_room("dotroom")["id"]
    account("dot_reader").join(room)
    chat = Chat(browsers(**PHONE), server).log_in("dot_reader")
    open_room(chat, "main")

    def dot():
        return chat.js("""const b = document.getElementById('show-rooms');
            return [b.dataset.unread || '', getComputedStyle(b, '::after').backgroundColor, b.getAttribute('aria-label')]""")
    assert dot()[0] == "" and dot()[2] == "Show rooms"
    # News in the room one is reading is not behind ☰.
    host.post(1, "in main")
    chat.wait(lambda: "in main" in chat.texts())
    assert dot()[0] == ""
    host.post(room, "psst")
    chat.wait(lambda: dot()[0] == "unread", message="no dot for a message in another room")
    accent = chat.js("return getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    assert dot()[2] == "Show rooms (unread messages in 1 room)"
    host.post(room, "@dot_reader look here")
    chat.wait(lambda: dot()[0] == "mention", message="a mention is not told apart")
    assert dot()[1] != chat.js("""const probe = document.createElement('i'); probe.style.color = arguments[0]; document.body.append(probe);
        const colour = getComputedStyle(probe).color; probe.remove(); return colour""", accent), "a mention's dot has the plain colour"
    open_room(chat, "dotroom")
    chat.wait(lambda: dot()[0] == "", message="the dot stayed after reading the room")
    assert dot()[2] == "Show rooms"


UNBROKEN_ROOM = "photography_club_helsinki_" + "y" * 36
LONGEST_NAME = "Bartholomew Maximilian Fitzgerald-Wolfeschlegelsteinhausenberger"


def sideways(chat, css):
    """How far the element `css` scrolls sideways (0: its content fits)."""
    return chat.js("const n = document.querySelector(arguments[0]); return n.scrollWidth - n.clientWidth", css)


def test_on_a_phone_names_that_cannot_wrap_push_nothing_past_the_screen(server, browsers, account):
    """A room name with no place to break and the longest display name: the directory keeps its
    buttons on the screen, the room's settings open unscrolled, and neither the room's first line
    nor a reply's quote strip pushes the messages sideways; the quote keeps room for its words
    (a hunt: buttons past the edge, a dialog opened scrolled 334 px, quoted words given 0 px)."""
    owner = account("unbroken_owner", display_name="Una")
    wordy = account("unbroken_wordy", display_name=LONGEST_NAME)
    room = owner.create_room(UNBROKEN_ROOM)["id"]
    wordy.join(room)
    asked = wordy.post(room, "can someone review the photos from the weekend walk?")["id"]
    owner.post(room, "yes, tonight", reply_to=asked)
    chat = Chat(browsers(**PHONE), server).log_in("unbroken_owner")
    drawer_open(chat)
    chat.find("#browse-rooms").click()
    chat.wait(lambda: chat.dialog_open("browse-dialog"))
    chat.wait(lambda: chat.js(f"return !!document.querySelector('#browse-list li[data-name=\"{UNBROKEN_ROOM}\"]')"))
    assert sideways(chat, "#browse-list") == 0
    off = chat.js("""const edge = document.getElementById('browse-dialog').getBoundingClientRect().right;
        return [...document.querySelectorAll('#browse-list button')].filter(b => b.getBoundingClientRect().right > edge).map(b => b.textContent)""")
    assert off == [], off
    chat.press(Keys.ESCAPE)
    chat.wait(lambda: not chat.dialog_open("browse-dialog"))
    open_room(chat, UNBROKEN_ROOM)
    chat.wait(lambda: "yes, tonight" in chat.texts())
    assert sideways(chat, "#messages") == 0
    quote = chat.js("""const q = document.querySelector('#messages .quote');
        return [q.querySelector('strong').getBoundingClientRect().width, q.querySelector('.quote-text').getBoundingClientRect().width]""")
    assert quote[1] >= 100, f"the quoted words get {quote[1]} px beside a name of {quote[0]} px"
    chat.find("#room-more").click()
    chat.wait(lambda: chat.find("#room-settings").is_displayed())
    chat.find("#room-settings").click()
    chat.wait(lambda: chat.dialog_open("room-dialog"))
    shown = chat.js("const d = document.getElementById('room-dialog'); return [d.scrollWidth - d.clientWidth, d.scrollLeft]")
    assert shown == [0, 0], shown


def test_on_a_phone_tapping_send_leaves_the_keyboard_in_the_box(server, browsers, account):
    """After a tap on Send the box keeps the focus, so a phone's keyboard stays up (a hunt: it
    moved to the button, and the keyboard closed after every message); the thread's box too."""
    host = account("tap_sender")
    room = host.create_room("tap-to-send")["id"]
    first = host.post(room, "the first")["id"]
    host.post(room, "an answer", reply_to=first)
    chat = Chat(browsers(**PHONE), server).log_in("tap_sender")
    open_room(chat, "tap-to-send")
    chat.type("sent with a tap")
    chat.find("#send").click()
    chat.wait(lambda: "sent with a tap" in chat.texts())
    assert chat.js("return document.activeElement.id") == "composer-text"
    chat.open_thread("the first")
    chat.find("#thread-text").send_keys("a reply with a tap")
    chat.find("#thread-send").click()
    chat.wait(lambda: chat.js("return document.getElementById('thread-text').value") == "")
    assert chat.js("return document.activeElement.id") == "thread-text"


def test_on_a_phone_the_directory_shows_each_rooms_member_count_whole(server, browsers, account):
    """The topic gives way, the member count does not (a hunt: "Everyone is here. · 9 m…")."""
    host = account("count_host")
    host.create_room("count-topic", topic="Everything about the spring release and the plan for each part of it")
    host.create_room("count-bare")
    chat = Chat(browsers(**PHONE), server).log_in("count_host")
    drawer_open(chat)
    chat.find("#browse-rooms").click()
    chat.wait(lambda: chat.dialog_open("browse-dialog"))
    chat.wait(lambda: chat.js("return !!document.querySelector('#browse-list li[data-name=\"count-topic\"]')"))
    counts = chat.js("""return ['count-topic', 'count-bare'].map(name => {
        const count = document.querySelector(`#browse-list li[data-name="${name}"] .browse-count`);
        return [count.textContent, count.scrollWidth <= count.clientWidth + 1, count.getBoundingClientRect().right <= count.closest('.browse-text').getBoundingClientRect().right + 1];
    })""")
    assert counts == [[" · 1 member", True, True], ["1 member", True, True]], counts
    # The topic is what is cut.
    assert chat.js("const t = document.querySelector('#browse-list li[data-name=\"count-topic\"] .browse-topic'); return t.scrollWidth > t.clientWidth")
