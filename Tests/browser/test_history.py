"""History: paging back on scroll, in order, without duplicates or jumps; days and times in the reader's locale."""
import re
import time

from parley_browser import Chat, shifted_clock, sql


def test_scrolling_up_loads_older_history_in_order_without_duplicates_or_jumps(server, browsers, account):
    writer = account("historian")
    room = writer.create_room("archive")["id"]
    reader = account("reader")
    posted = [writer.post(room, f"entry {n:03d}") for n in range(150)]
    # Joined after them: nothing is unread, so the room opens at the newest (not at a first unread).
    reader.join(room)
    chat = Chat(browsers(), server).log_in("reader")
    chat.open_room("archive")
    chat.wait(lambda: chat.texts()[-1:] == ["entry 149"])
    first_page = chat.texts()
    # An edit of a message older than the loaded page is left to that page (it must not leave
    # a gap: paging back goes on from the oldest loaded message).
    writer.call("PATCH", f"/api/messages/{posted[10]['id']}", expect=200, json={"text": "entry 010"})
    time.sleep(1)
    assert chat.texts() == first_page
    assert first_page == [f"entry {n:03d}" for n in range(150 - len(first_page), 150)]
    assert 0 < len(first_page) < 150
    # The newest message is in view at the bottom.
    assert chat.js("const l = document.getElementById('messages'); return l.scrollHeight - l.scrollTop - l.clientHeight") < 5

    for _ in range(10):
        before = len(chat.texts())
        if before == 150:
            break
        # Scroll to the top and note where the topmost message is, in one script (before any load).
        anchor = chat.js("""const list = document.getElementById('messages');
            list.scrollTop = 0;
            const first = list.querySelector('li.message');
            return [first.dataset.id, first.getBoundingClientRect().top];""")
        chat.wait(lambda: len(chat.texts()) > before, message="scrolling up loaded nothing")
        chat.wait(lambda: chat.js("return !document.querySelector('#messages .edge .spinner')"))
        top_now = chat.js("return document.querySelector('#messages li.message[data-id=\"' + arguments[0] + '\"]').getBoundingClientRect().top", anchor[0])
        assert abs(top_now - anchor[1]) <= 2, f"the view jumped by {top_now - anchor[1]}px when older messages loaded"

    seen = chat.texts()
    assert seen == [f"entry {n:03d}" for n in range(150)]
    ids = chat.js("return [...document.querySelectorAll('#messages li.message')].map(li => li.dataset.id)")
    assert len(ids) == len(set(ids)) == 150
    assert [int(i) for i in ids] == sorted(int(i) for i in ids)
    assert "beginning of the conversation" in chat.text_of("messages")
    # All seeded today: one day separator.
    assert chat.js("return document.querySelectorAll('#messages li.day').length") == 1


def test_days_and_times_are_shown_in_the_readers_locale(server, browsers, account):
    writer = account("zeitgeist")
    writer.post(1, "Guten Morgen")
    chat = Chat(browsers(lang="de-DE"), server).log_in("zeitgeist")
    chat.wait(lambda: "Guten Morgen" in chat.texts())
    assert chat.js("return navigator.language").startswith("de")
    assert chat.js("return document.querySelector('#messages li.day').textContent") == "Heute"
    time_text = chat.message("Guten Morgen").find_element("css selector", ".meta time").text
    assert re.fullmatch(r"\d{1,2}:\d{2}", time_text), time_text  # 24-hour clock, no AM/PM
    # The full date and time are in the tooltip, and the machine-readable instant in datetime.
    stamp = chat.message("Guten Morgen").find_element("css selector", ".meta time")
    assert stamp.get_attribute("datetime").endswith("Z")
    assert re.search(r"\d{4}", stamp.get_attribute("title"))


def test_a_message_link_opens_its_room_scrolled_to_it_even_far_back(server, browsers, account):
    owner = account("lea_links", display_name="Lea")
    reader = account("max_links", display_name="Max")
    room = owner.create_room("links-room")["id"]
    reader.join(room)
    owner.post(room, "the decision: ship on Friday")
    for n in range(130):
        owner.post(room, f"later chatter {n}")
    lea = Chat(browsers(), server).log_in("lea_links")
    lea.open_room("links-room")
    lea.wait(lambda: "later chatter 129" in lea.texts())
    lea.send("see above")
    # "Copy link" puts the message's link on the clipboard (captured here) and says so.
    lea.js("window.copied = null; navigator.clipboard.writeText = (text) => { window.copied = text; return Promise.resolve(); }")
    lea.hover_action("see above", "link")
    lea.wait(lambda: lea.js("return window.copied") is not None)
    see_above = lea.message_id("see above")
    assert lea.js("return window.copied") == f"{server.url}/#room/{room}/message/{see_above}"
    lea.wait(lambda: "Link copied." in lea.js("return document.querySelector('.toasts')?.textContent ?? ''"))

    # Max opens a link to the first message, 131 messages back: the room opens at the window around it,
    # and it has the focus, in view.
    first = owner.call("GET", f"/api/rooms/{room}/messages?after=0&limit=1", expect=200).json()["messages"][0]
    assert first["text"] == "the decision: ship on Friday"
    max_chat = Chat(browsers(), server).log_in("max_links")
    max_chat.driver.get(f"{server.url}/#room/{room}/message/{first['id']}")
    max_chat.wait(lambda: max_chat.room_title() == "links-room")
    max_chat.wait(lambda: max_chat.js("return document.activeElement?.dataset?.id") == str(first["id"]),
                  message="the linked message did not get the focus")
    assert max_chat.js("""const r = document.activeElement.getBoundingClientRect();
        const list = document.getElementById('messages').getBoundingClientRect();
        return r.top >= list.top - 1 && r.bottom <= list.bottom + 1""")
    # A link to a room that is not mine opens a room of mine instead.
    outsider_room = account("kim_links").create_room("kims-room", kind="group")["id"]
    max_chat.driver.get(f"{server.url}/#room/{outsider_room}/message/1")
    max_chat.wait(lambda: max_chat.room_title() != "" and max_chat.room_title() != "kims-room")


def test_a_jump_far_back_loads_a_window_that_scrolls_down_to_the_live_end(server, browsers, account):
    owner = account("ida_window", display_name="Ida")
    reader = account("ole_window", display_name="Ole")
    room = owner.create_room("window-room")["id"]
    needle = owner.post(room, "the needle")
    for n in range(300):
        owner.post(room, f"hay {n:03d}")
    # Joined after them: nothing is unread, so the room opens at the newest (not at a first unread).
    reader.join(room)
    everything = ["the needle"] + [f"hay {n:03d}" for n in range(300)]
    chat = Chat(browsers(), server).log_in("ole_window")
    chat.open_room("window-room")
    chat.wait(lambda: chat.texts()[-1:] == ["hay 299"])

    def open_needle():
        # (Through the room's own address first: the same address again would change nothing.)
        chat.js("location.hash = arguments[0]", f"#room/{room}")
        chat.wait(lambda: chat.js("return location.hash") == f"#room/{room}")
        chat.js("location.hash = arguments[0]", f"#room/{room}/message/{needle['id']}")
        chat.wait(lambda: chat.js("return document.activeElement?.dataset?.id") == str(needle["id"]),
                  message="the linked message did not get the focus")

    # One request for the window around the message: not every page between it and the newest.
    open_needle()
    texts = chat.texts()
    assert texts[0] == "the needle" and len(texts) < 100, texts
    assert texts == everything[:len(texts)]
    assert "beginning of the conversation" in chat.text_of("messages")
    assert chat.js("return document.getElementById('jump-latest').hidden") is False
    assert "Jump to latest" in chat.text_of("jump-latest")

    # A message posted meanwhile does not show under the window's last one…
    owner.post(room, "posted while away")
    time.sleep(1)
    assert "posted while away" not in chat.texts()
    # …but scrolling down loads the newer pages, in order, up to it.
    for _ in range(20):
        if chat.texts()[-1:] == ["posted while away"]:
            break
        before = len(chat.texts())
        chat.js("const l = document.getElementById('messages'); l.scrollTop = l.scrollHeight;")
        chat.wait(lambda: len(chat.texts()) > before or chat.texts()[-1:] == ["posted while away"],
                  message="scrolling down loaded nothing")
        chat.wait(lambda: chat.js("return !document.querySelector('#messages .edge .spinner')"))
    seen = chat.texts()
    assert seen == everything + ["posted while away"]
    ids = chat.js("return [...document.querySelectorAll('#messages li.message')].map(li => Number(li.dataset.id))")
    assert ids == sorted(set(ids))
    # At the live end the button is gone, and new messages show again.
    assert chat.js("return document.getElementById('jump-latest').hidden") is True
    chat.js("const l = document.getElementById('messages'); l.scrollTop = l.scrollHeight;")
    owner.post(room, "live again")
    chat.wait(lambda: chat.texts()[-1:] == ["live again"])
    assert chat.js("return document.getElementById('jump-latest').hidden") is True

    def reload_then_open_needle(newest):
        # A fresh page holds only the newest messages, so the needle opens in a window again.
        chat.driver.get(f"{server.url}/#room/{room}")
        chat.driver.refresh()
        chat.wait(lambda: chat.texts()[-1:] == [newest])
        assert "the needle" not in chat.texts()
        open_needle()
        assert "Jump to latest" in chat.text_of("jump-latest")

    # "Jump to latest" goes straight back to the newest page.
    reload_then_open_needle("live again")
    owner.post(room, "newest of all")
    chat.driver.find_element("id", "jump-latest").click()
    chat.wait(lambda: chat.texts()[-1:] == ["newest of all"])
    assert "the needle" not in chat.texts()
    chat.wait(lambda: chat.js("return document.getElementById('jump-latest').hidden") is True)

    # Sending from a window far back returns to the newest messages, with mine last.
    reload_then_open_needle("newest of all")
    chat.send("back to now")
    chat.wait(lambda: chat.texts()[-1:] == ["back to now"])
    assert chat.texts()[-2] == "newest of all"
    assert "the needle" not in chat.texts()


def test_a_day_separator_jumps_to_a_date(server, browsers, account):
    writer = account("chronicler")
    room = writer.create_room("logbook")["id"]
    posted = [writer.post(room, f"log {n:03d}") for n in range(100)]
    # One message a day from 1 June 2026, at noon UTC.
    sql(server, f"UPDATE messages SET created_at = TIMESTAMP('2026-06-01 12:00:00') + INTERVAL (id - {posted[0]['id']}) DAY "
                f"WHERE room_id = {room}")
    chat = Chat(browsers(), server).log_in("chronicler")
    chat.open_room("logbook")
    chat.wait(lambda: chat.texts()[-1:] == ["log 099"])
    assert "log 010" not in chat.texts()

    # The newest day's separator opens the dialog on its day; another day is picked.
    chat.js("[...document.querySelectorAll('#messages .day-button')].at(-1).click()")
    chat.wait(lambda: chat.dialog_open("jump-dialog"))
    assert chat.find("#jump-date").get_attribute("value") == "2026-09-08"
    chat.js("document.getElementById('jump-date').value = '2026-06-11'")
    chat.find("#jump-go").click()
    chat.wait(lambda: not chat.dialog_open("jump-dialog"))
    # The room shows that day's message, highlighted, with older and newer ones around it.
    chat.wait(lambda: "log 010" in chat.texts(), message=lambda: f"{chat.texts()[:3]}…")
    assert "log 009" in chat.texts() and "log 099" not in chat.texts()
    assert chat.js(f"return document.querySelector('#messages li.message[data-id=\"{posted[10]['id']}\"]').classList.contains('flash')")
    chat.wait(lambda: chat.find("#jump-latest").is_displayed())

    # "The beginning" goes to the first message; "Today" (after the last one) to the newest.
    chat.js("document.querySelector('#messages .day-button').click()")
    chat.wait(lambda: chat.dialog_open("jump-dialog"))
    chat.find('#jump-quick [data-days="start"]').click()
    chat.wait(lambda: chat.texts()[:1] == ["log 000"], message=lambda: f"{chat.texts()[:3]}…")
    chat.js("document.querySelector('#messages .day-button').click()")
    chat.wait(lambda: chat.dialog_open("jump-dialog"))
    chat.find('#jump-quick [data-days="0"]').click()
    chat.wait(lambda: chat.texts()[-1:] == ["log 099"] and "log 000" not in chat.texts(), message=lambda: f"{chat.texts()[-3:]}")


def test_a_message_that_comes_while_a_window_far_back_is_open_is_counted_unread(server, browsers, account):
    owner = account("uma_window", display_name="Uma")
    reader = account("rex_window", display_name="Rex")
    room = owner.create_room("far-back")["id"]
    needle = owner.post(room, "the old one")
    for n in range(150):
        owner.post(room, f"filler {n:03d}")
    reader.join(room)
    chat = Chat(browsers(), server).log_in("rex_window")
    chat.open_room("far-back")
    chat.wait(lambda: chat.texts()[-1:] == ["filler 149"])
    chat.js("location.hash = arguments[0]", f"#room/{room}/message/{needle['id']}")
    chat.wait(lambda: chat.js("return document.activeElement?.dataset?.id") == str(needle["id"]),
              message="the linked message did not get the focus")
    assert chat.driver.title == "Parley"

    # Past the window, so not shown and not seen: counted, with its mention, in the title and in
    # the room list once another room is open (a hunt: it was counted nowhere until a reload).
    owner.post(room, "@rex_window are you there?")
    chat.wait(lambda: chat.driver.title == "(1) Parley", message="the message past the window was not counted")
    assert "are you there" not in chat.text_of("messages")
    chat.open_room("main")
    chat.wait(lambda: chat.badge("far-back") == ["1", True], message="the room list does not count it, or its mention")
    mine = reader.call("GET", "/api/rooms", expect=200).json()["mine"]
    assert next((r["unread_count"], r["mentioned"]) for r in mine if r["id"] == room) == (1, True)
    # Back in the room, it opens at the newest and reads it.
    chat.open_room("far-back")
    chat.wait(lambda: "are you there" in chat.text_of("messages"))
    chat.wait(lambda: chat.driver.title == "Parley", message="reading it did not clear the count")
    chat.wait(lambda: chat.badge("far-back") is None)


# The page's clock runs `shift` ms ahead of the machine's (set before the page loads).
def test_at_midnight_today_becomes_yesterday_without_a_new_message(server, browsers, account):
    """A quiet room's "Today" turns into "Yesterday" when the reader's midnight passes (a hunt: it
    stayed until a message came). The page's clock is set to 15 s before its next midnight (UTC)."""
    host = account("midnight_host")
    room = host.create_room("midnight")["id"]
    host.post(room, "late in the day")
    driver = browsers()
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "UTC"})
    now = time.time()
    to_midnight = (86_400 - now % 86_400) * 1000
    # Too close to the real midnight, the message's own day would be the next one: wait it out.
    if to_midnight < 30_000:
        time.sleep(to_midnight / 1000 + 1)
        to_midnight = (86_400 - time.time() % 86_400) * 1000
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": shifted_clock(int(to_midnight - 15_000))})
    chat = Chat(driver, server).log_in("midnight_host")
    chat.open_room("midnight")
    days = "return [...document.querySelectorAll('#messages li.day')].map(li => li.textContent)"
    chat.wait(lambda: chat.js(days) == ["Today"], message=f"days: {chat.js(days)}")
    chat.wait(lambda: chat.js(days) == ["Yesterday"], timeout=30, message=f"still {chat.js(days)}")
