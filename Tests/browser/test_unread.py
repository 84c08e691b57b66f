"""Marking every room read at once (the button, shown only while something is unread, and Shift+Esc), and marking
one message unread."""
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat, wait_for


def test_mark_all_as_read_clears_every_badge_in_every_tab(server, browsers, account):
    kim = account("kim_unread", display_name="Kim")
    lee = account("lee_unread", display_name="Lee")
    news = lee.create_room("unread-news")["id"]
    talk = lee.create_room("unread-talk")["id"]
    kim.join(news)
    kim.join(talk)
    kim.create_room("unread-quiet")
    chat = Chat(browsers(), server).log_in("kim_unread")
    other_tab = Chat(browsers(), server).log_in("kim_unread")
    for tab in (chat, other_tab):
        tab.open_room("unread-quiet")
    assert not chat.find("#mark-all-read").is_displayed()

    for n in range(3):
        lee.post(news, f"news {n}")
    lee.post(talk, "talk @kim_unread")
    for tab in (chat, other_tab):
        tab.wait(lambda: tab.badge("unread-news") == ["3", False] and tab.badge("unread-talk") == ["1", True], message="no badges")
    chat.wait(lambda: chat.find("#mark-all-read").is_displayed())

    chat.find("#mark-all-read").click()
    chat.wait(lambda: chat.badge("unread-news") is None and chat.badge("unread-talk") is None, message="the badges stayed")
    chat.wait(lambda: not chat.find("#mark-all-read").is_displayed())
    # My other tab follows; the server has every room read.
    other_tab.wait(lambda: other_tab.badge("unread-news") is None and other_tab.badge("unread-talk") is None,
                   message="the other tab kept its badges")
    rooms = kim.call("GET", "/api/me/summary", expect=200).json()["rooms"]
    assert all(r["unread_count"] == 0 for r in rooms), rooms

    # Shift+Esc does the same from the keyboard.
    lee.post(news, "news again")
    chat.wait(lambda: chat.badge("unread-news") == ["1", False])
    ActionChains(chat.driver).key_down(Keys.SHIFT).send_keys(Keys.ESCAPE).key_up(Keys.SHIFT).perform()
    chat.wait(lambda: chat.badge("unread-news") is None, message="Shift+Esc left the badge")


def test_mark_unread_from_a_message_counts_it_again_until_the_room_is_read_again(server, browsers, account):
    kim = account("kim_markunread", display_name="Kim")
    lee = account("lee_markunread", display_name="Lee")
    room = lee.create_room("markunread-room")["id"]
    kim.join(room)
    kim.create_room("markunread-quiet")
    for n in range(1, 6):
        lee.post(room, f"line {n}")
    chat = Chat(browsers(), server).log_in("kim_markunread")
    other_tab = Chat(browsers(), server).log_in("kim_markunread")
    other_tab.open_room("markunread-quiet")
    chat.open_room("markunread-room")
    other_tab.wait(lambda: other_tab.badge("markunread-room") is None, message="opening the room did not read it")

    def divider_before():
        return chat.js("""const divider = document.querySelector('#messages .unread-divider');
            return divider?.nextElementSibling?.querySelector('.text')?.textContent ?? null""")

    def server_unread():
        rooms = kim.call("GET", "/api/rooms", expect=200).json()["mine"]
        return next(r["unread_count"] for r in rooms if r["id"] == room)

    chat.hover_action("line 3", "unread")
    # Line 3 and the two after it are unread again, in this tab, in my other tab and on the server.
    chat.wait(lambda: chat.badge("markunread-room") == ["3", False], message="no badge after Mark unread")
    other_tab.wait(lambda: other_tab.badge("markunread-room") == ["3", False], message="the other tab has no badge")
    chat.wait(lambda: divider_before() == "line 3", message="the New divider did not move to line 3")
    assert server_unread() == 3
    # The room stays open but is not read again: a new message counts too.
    lee.post(room, "line 6")
    chat.wait(lambda: "line 6" in chat.texts())
    chat.wait(lambda: chat.badge("markunread-room") == ["4", False], message="a new message did not count")
    other_tab.wait(lambda: other_tab.badge("markunread-room") == ["4", False])
    # The client marks a room read 150 ms after a change: give it well over that to (wrongly) do so.
    time.sleep(1.5)
    assert chat.badge("markunread-room") == ["4", False]
    assert server_unread() == 4

    # Writing in the room reads it again, everywhere.
    chat.send("caught up")
    chat.wait(lambda: chat.badge("markunread-room") is None, message="sending did not read the room")
    other_tab.wait(lambda: other_tab.badge("markunread-room") is None, message="the other tab kept the badge")
    assert server_unread() == 0

    # Marking unread again, then opening another room and coming back, reads it too.
    chat.hover_action("line 5", "unread")
    chat.wait(lambda: chat.badge("markunread-room") == ["2", False])
    chat.open_room("markunread-quiet")
    chat.open_room("markunread-room")
    chat.wait(lambda: chat.badge("markunread-room") is None, message="coming back did not read the room")
    chat.wait(lambda: server_unread() == 0)

def test_a_deletion_in_the_open_room_lowers_its_unread_count_and_the_tab_title(server, browsers, account):
    kim = account("kim_delunread", display_name="Kim")
    lee = account("lee_delunread", display_name="Lee")
    room = lee.create_room("delunread-room")["id"]
    kim.join(room)
    posted = [lee.post(room, f"point {n}") for n in range(1, 5)]
    chat = Chat(browsers(), server).log_in("kim_delunread")
    chat.open_room("delunread-room")
    chat.wait(lambda: "point 4" in chat.texts())

    def server_unread():
        rooms = kim.call("GET", "/api/rooms", expect=200).json()["mine"]
        return next(r["unread_count"] for r in rooms if r["id"] == room)

    # Opening the room read it (else that late read would undo what follows).
    wait_for(lambda: server_unread() == 0, message="opening the room did not read it")
    # Marked unread from my other device: the open room counts all four again.
    kim.call("POST", f"/api/rooms/{room}/unread", expect=200, json={"message_id": posted[0]["id"]})
    chat.wait(lambda: chat.badge("delunread-room") == ["4", False], message=lambda: f"badge {chat.badge('delunread-room')}")
    chat.wait(lambda: chat.driver.title == "(4) Parley", message=lambda: f"title {chat.driver.title!r}")

    # Two of them deleted: the badge and the title count the two left, as the server does.
    for message in posted[2:]:
        lee.call("DELETE", f"/api/messages/{message['id']}", expect=204)
    chat.wait(lambda: "point 4" not in chat.texts())
    assert server_unread() == 2
    chat.wait(lambda: chat.badge("delunread-room") == ["2", False], message=lambda: f"badge {chat.badge('delunread-room')}")
    chat.wait(lambda: chat.driver.title == "(2) Parley", message=lambda: f"title {chat.driver.title!r}")


def test_a_late_mark_all_read_answer_leaves_a_newer_message_unread(server, browsers, account):
    # The answer to "mark all read" can reach the page after the events that followed it (a loaded
    # machine, a slow network). A message that arrived in between must stay counted.
    ivy = account("ivy_late", display_name="Ivy")
    jon = account("jon_late", display_name="Jon")
    room = jon.create_room("late-answer")["id"]
    ivy.join(room)
    ivy.create_room("late-quiet")
    chat = Chat(browsers(), server).log_in("ivy_late")
    chat.open_room("late-quiet")
    jon.post(room, "before")
    chat.wait(lambda: chat.badge("late-answer") == ["1", False], message="no badge")

    # Hold the answer of POST /api/me/read back until the test lets it go.
    chat.js("""
        const real = window.fetch;
        window.heldRead = null;
        window.fetch = (input, init) => {
          const answer = real(input, init);
          if (String(input).endsWith("/api/me/read") && (init?.method ?? "GET") === "POST") {
            return new Promise((resolve) => { window.heldRead = () => answer.then(resolve); });
          }
          return answer;
        };""")
    ActionChains(chat.driver).key_down(Keys.SHIFT).send_keys(Keys.ESCAPE).key_up(Keys.SHIFT).perform()
    chat.wait(lambda: chat.js("return window.heldRead !== null"), message="mark all read was not asked")
    # Its read_marker event (in order with the messages) clears the badge; then a new message counts.
    chat.wait(lambda: chat.badge("late-answer") is None, message="the read_marker event did not clear the badge")
    jon.post(room, "after")
    chat.wait(lambda: chat.badge("late-answer") == ["1", False], message="the new message was not counted")
    chat.js("window.heldRead()")
    time.sleep(1)
    assert chat.badge("late-answer") == ["1", False], "the late answer cleared a newer message's badge"
    # The server agrees.
    rooms = ivy.call("GET", "/api/me/summary", expect=200).json()["rooms"]
    assert [r["unread_count"] for r in rooms if r["room_id"] == room] == [1], rooms


def set_tab_hidden(chat, hidden):
    """Hides or shows the tab as the browser would: document.hidden and visibilityState, then visibilitychange."""
    chat.js("""const hidden = arguments[0];
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => hidden ? 'hidden' : 'visible' });
        document.dispatchEvent(new Event('visibilitychange'))""", hidden)


def test_messages_that_came_while_the_tab_was_hidden_show_under_a_new_line(server, browsers, account):
    bob = account("bob_hidden", display_name="Bob")
    ann = account("ann_hidden", display_name="Ann")
    room = ann.create_room("hidden-room")["id"]
    bob.join(room)
    bob.post(room, "before")
    chat = Chat(browsers(), server).log_in("bob_hidden")
    chat.open_room("hidden-room")
    chat.wait(lambda: chat.texts()[-1:] == ["before"])
    assert chat.js("return document.querySelector('#messages .unread-divider')") is None

    set_tab_hidden(chat, True)
    for n in range(3):
        ann.post(room, f"away {n}")
    chat.wait(lambda: chat.texts()[-1:] == ["away 2"])
    chat.wait(lambda: chat.badge("hidden-room") == ["3", False], message="the hidden tab did not count them")
    set_tab_hidden(chat, False)
    # Back: they are read, and the "New" line stands above the first that came while I was away.
    chat.wait(lambda: chat.badge("hidden-room") is None, message="coming back did not read the room")
    assert chat.js("""const divider = document.querySelector('#messages .unread-divider');
        return divider?.nextElementSibling?.querySelector('.text')?.textContent ?? null""") == "away 0"
