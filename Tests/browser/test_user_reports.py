"""What people using the client noticed: messages arriving while I read further up stay unread until I
scroll down to them; logging out leaves nothing of mine in the browser; the server's error messages
show without Markdown's backticks; a long display name wraps aligned on a phone."""
import time

from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

PICKER_OPEN = "return !document.getElementById('emoji-picker').hidden"

# Installed before the page's own scripts: while `window.__holdPosts` is set, posting a message gets
# no answer (as offline), so it waits in the outbox.
HOLD_POSTS = """
const realFetch = window.fetch;
window.__holdPosts = false;
window.fetch = (url, init) => {
  if (window.__holdPosts && String(url).endsWith('/messages') && init?.method === 'POST') return Promise.reject(new TypeError('Failed to fetch'));
  return realFetch(url, init);
};
"""


def stored_keys(chat):
    return chat.js("return [Object.keys(localStorage).sort(), Object.keys(sessionStorage).sort()]")


def test_logging_out_leaves_no_unsent_message_draft_or_other_data_of_mine_in_the_browser(server, browsers, account):
    nia = account("nia_shared", display_name="Nia")
    room = nia.create_room("shared-desk")["id"]
    driver = browsers()
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOLD_POSTS})
    chat = Chat(driver, server).log_in("nia_shared")
    chat.find("#theme-toggle").click()  # the browser's theme, not mine: it stays
    theme = chat.js("return localStorage.getItem('parley.theme')")
    chat.open_room("shared-desk")
    chat.js("window.__holdPosts = true")
    chat.send("not for the next person")
    chat.wait(lambda: chat.pending() == [["not for the next person", "waiting"]], message=lambda: f"not queued: {chat.pending()}")
    outbox = f"parley.outbox.{nia.id}"
    assert "not for the next person" in chat.js("return localStorage.getItem(arguments[0])", outbox)
    # An emoji picked (the picker remembers it), and a draft typed just before logging out (its
    # save is still due).
    chat.find("#emoji-open").click()
    chat.wait(lambda: chat.js(PICKER_OPEN))
    chat.find("#emoji-search").send_keys("tada", Keys.ENTER)
    chat.wait(lambda: not chat.js(PICKER_OPEN))
    assert "🎉" in chat.js("return localStorage.getItem('parley.recentEmoji')")
    chat.type("a half-written secret")
    chat.find("#logout").click()
    chat.wait(lambda: chat.find("#auth").is_displayed())
    time.sleep(1)

    local, session = stored_keys(chat)
    assert local == (["parley.theme"] if theme else []), f"left in localStorage: {local}"
    assert session == [], f"left in sessionStorage: {session}"
    assert "secret" not in chat.js("return JSON.stringify({...localStorage})")

    # Logging in again as the same person does not send the message later.
    chat.log_in("nia_shared")
    chat.open_room("shared-desk")
    time.sleep(3)
    assert "not for the next person" not in [m["text"] for m in nia.history(room)]
    assert chat.pending() == []


def test_a_refusal_from_the_server_shows_without_markdown_backticks(server, browsers, account):
    chat = Chat(browsers(), server)
    chat.driver.get(server.url + "/")
    chat.wait(lambda: chat.find("#auth-username").is_displayed())
    chat.find("#tab-register").click()
    # The client lets "room" through; the server keeps it for @room.
    chat.find("#auth-username").send_keys("room")
    chat.find("#auth-password").send_keys("password123")
    chat.find("#auth-submit").click()
    chat.wait(lambda: chat.text_of("auth-error") != "", message="no error shown")
    shown = chat.text_of("auth-error")
    assert "`" not in shown, shown
    assert "“room”" in shown and "“@here”" in shown, shown


def test_messages_that_come_while_i_read_further_up_stay_unread_until_i_scroll_down_to_them(server, browsers, account):
    ann = account("ann_above", display_name="Ann")
    bob = account("bob_below", display_name="Bob")
    room = bob.create_room("read-above")["id"]
    ann.join(room)
    ann.create_room("read-above-quiet")
    for n in range(40):
        last = bob.post(room, f"earlier line {n}")
    ann.call("POST", f"/api/rooms/{room}/read", expect=200, json={"message_id": last["id"]})
    chat = Chat(browsers(), server).log_in("ann_above")
    chat.open_room("read-above")

    def server_unread():
        rooms = ann.call("GET", "/api/rooms", expect=200).json()["mine"]
        return next(r["unread_count"] for r in rooms if r["id"] == room)

    chat.wait(lambda: server_unread() == 0, message="opening the room did not read it")
    chat.js("document.getElementById('messages').scrollTop = 0")
    chat.wait(lambda: chat.js("return document.getElementById('messages').scrollTop") == 0)
    time.sleep(0.5)

    for text in ("while you read above", "and another one"):
        bob.post(room, text)
    chat.wait(lambda: "and another one" in chat.texts())
    time.sleep(1.5)  # room for a read mark that should not be sent
    assert server_unread() == 2, "the messages were marked read though I was reading further up"
    assert chat.js("return document.getElementById('messages').scrollTop") < 100, "the view moved"
    chat.wait(lambda: chat.find("#jump-latest").is_displayed(), message="no New messages button")
    assert chat.js("""const divider = document.querySelector('#messages .unread-divider');
        return divider?.nextElementSibling?.querySelector('.text')?.textContent ?? null""") == "while you read above"
    chat.wait(lambda: chat.badge("read-above") == ["2", False], message=lambda: f"badge {chat.badge('read-above')}")

    # Scrolling down to them reads them.
    chat.find("#jump-latest").click()
    chat.wait(lambda: server_unread() == 0, message="scrolling down did not read them")
    chat.wait(lambda: chat.badge("read-above") is None, message=lambda: f"badge {chat.badge('read-above')}")

    # At the bottom, a new message is read as it comes.
    bob.post(room, "seen at once")
    chat.wait(lambda: "seen at once" in chat.texts())
    chat.wait(lambda: server_unread() == 0)
    time.sleep(1)
    assert server_unread() == 0 and chat.badge("read-above") is None


def test_a_display_name_that_wraps_on_a_phone_starts_at_the_left(server, browsers, account):
    wordy = account("wordy_phone", display_name="Maximiliana Bartholomew-Featherstonehaugh the Third of Somewhere")
    reader = account("reader_phone", display_name="Rae")
    room = wordy.create_room("phone-wrap")["id"]
    reader.join(room)
    wordy.post(room, "a word from someone with a long name")
    chat = Chat(browsers(width=375, height=667), server).log_in("reader_phone")
    chat.find("#show-rooms").click()
    chat.wait(lambda: chat.js("return document.getElementById('sidebar').getBoundingClientRect().left") == 0)
    chat.open_room("phone-wrap")
    chat.wait(lambda: "a word from someone with a long name" in chat.texts())
    # Each line of the name, from the first to the last, starts where the name does.
    lines = chat.js("""const author = document.querySelector('#messages li.message .author');
        const range = document.createRange();
        range.selectNodeContents(author);
        const left = author.getBoundingClientRect().left;
        return [...range.getClientRects()].map(line => Math.round(line.left - left))""")
    assert len(lines) > 1, "the name does not wrap: nothing to see"
    assert all(offset <= 1 for offset in lines), f"the lines of the name start at {lines} px from its left"
