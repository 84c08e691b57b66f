"""The message box's modes and why it is closed: a long "Replying to …" line is cut within the box at
any width, a reply started while editing ends the edit first (the draft from before it comes back),
editing a thread's reply where the thread covers the box puts the thread aside until the edit ends,
and a closed box says why in a line of its own that wraps, draft or not."""
import pytest
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

SMALL_PHONE = {"width": 360, "height": 640}
PHONE = {"width": 390, "height": 844}
MID = {"width": 900, "height": 800}
DESKTOP = {"width": 1280, "height": 800}
ORDINARY = "Could someone look at the deploy logs from this morning?"
LONG = "This one goes on for quite a while, well past the ninety characters a reply's line shows of it."

# Whether anything spills sideways, and where Send, the mode's × and its line are.
MEASURE = """
const rect = (id) => { const b = document.getElementById(id).getBoundingClientRect(); return [b.left, b.right]; };
const line = document.getElementById('composer-context-text');
return {
  page: document.documentElement.scrollWidth, viewport: innerWidth,
  room: rect('room'), send: rect('send'), cancel: rect('composer-cancel'), bar: rect('composer-context'),
  cut: line.scrollWidth > line.clientWidth ? getComputedStyle(line).textOverflow : null,
};
"""


def open_room(chat, name):
    """Opens a room (on a phone, from the drawer, which then closes)."""
    phone = chat.js("return innerWidth") < 760
    if phone:
        chat.find("#show-rooms").click()
    chat.open_room(name)
    if phone:
        chat.wait(lambda: chat.js("return document.getElementById('sidebar').getBoundingClientRect().right") <= 0)


def click_action(chat, text, action):
    """Clicks a message's action in the room (the same button a hover or a tap shows)."""
    message_id = chat.message_id(text)
    assert message_id, f"no message {text!r} in {chat.texts()}"
    chat.js("document.querySelector(`#messages li.message[data-id='${arguments[0]}'] [data-action='${arguments[1]}']`).click()",
            message_id, action)


def box_value(chat):
    return chat.find("#composer-text").get_attribute("value")


def context_line(chat):
    return chat.js("const bar = document.getElementById('composer-context');"
                   "return bar.hidden ? null : document.getElementById('composer-context-text').textContent")


def within(shown, name, width):
    left, right = shown[name]
    return 0 <= left and right <= width


@pytest.mark.parametrize("size", [SMALL_PHONE, PHONE, MID, DESKTOP], ids=["360", "390", "900", "1280-members"])
def test_a_reply_or_edit_line_is_cut_within_the_box_at_every_width(server, browsers, account, size):
    width = size["width"]
    me = account(f"cz_wide_{width}", display_name="Cora Wide")
    other = account(f"cz_other_{width}", display_name="Otto Other")
    room = me.create_room(f"cz-wide-{width}")["id"]
    other.join(room)
    other.post(room, ORDINARY)
    other.post(room, LONG)
    me.post(room, LONG + " Mine.")
    chat = Chat(browsers(**size), server).log_in(f"cz_wide_{width}")
    open_room(chat, f"cz-wide-{width}")
    if size is DESKTOP:
        chat.find("#members-toggle").click()
        chat.wait(lambda: chat.find("#members-panel").is_displayed())
    for text, action, line in ((ORDINARY, "reply", "Replying to Otto Other"), (LONG, "reply", "Replying to Otto Other"),
                               (LONG + " Mine.", "edit", "Editing your message")):
        click_action(chat, text, action)
        chat.wait(lambda: (context_line(chat) or "").startswith(line), message=f"no {action} line")
        shown = chat.js(MEASURE)
        # Nothing scrolls sideways, and Send and the × are on screen. (A phone widens its viewport to
        # a page that spills over: the width asked for is the measure.)
        assert shown["page"] == shown["viewport"] == width, (text, shown)
        assert all(within(shown, name, width) for name in ("send", "cancel", "bar")), (text, shown)
        # (Nor under the members panel beside the room.)
        assert shown["bar"][1] <= shown["room"][1] and shown["send"][1] <= shown["room"][1], (text, shown)
        if text == LONG and action == "reply":
            # What does not fit ends in an ellipsis.
            assert shown["cut"] == "ellipsis", shown
            chat.driver.save_screenshot(f"/tmp/parley-reply-line-{width}.png")
        chat.find("#composer-cancel").click()
        chat.wait(lambda: context_line(chat) is None)


@pytest.fixture
def two_people(account):
    """Someone with a message of their own to edit, beside someone else's to reply to."""
    def make(prefix):
        me = account(f"cz_{prefix}_me", display_name="Cass Editor")
        other = account(f"cz_{prefix}_other", display_name="Olga Other")
        room = me.create_room(f"cz-{prefix}")["id"]
        other.join(room)
        mine_a = me.post(room, "first message of mine")
        mine_b = me.post(room, "second message of mine")
        theirs = other.post(room, "a question of olga's")
        return me, room, mine_a, mine_b, theirs
    return make


def test_a_reply_started_while_editing_ends_the_edit_and_keeps_the_draft(server, browsers, two_people):
    me, room, mine, _, theirs = two_people("re")
    chat = Chat(browsers(), server).log_in("cz_re_me")
    chat.open_room("cz-re")
    chat.wait(lambda: "a question of olga's" in chat.texts())
    chat.type("my draft in progress")
    click_action(chat, "first message of mine", "edit")
    chat.wait(lambda: context_line(chat) == "Editing your message" and box_value(chat) == "first message of mine")
    chat.type(" (changed)")

    # Reply: the edit ends as Cancel ends it (unsaved), and the draft comes back to answer with.
    click_action(chat, "a question of olga's", "reply")
    chat.wait(lambda: (context_line(chat) or "").startswith("Replying to Olga Other"))
    assert box_value(chat) == "my draft in progress"
    chat.type(Keys.ENTER)
    chat.wait(lambda: "my draft in progress" in chat.texts(), message="the draft was not sent as the reply")
    history = {m["text"]: m for m in me.history(room)}
    assert history["my draft in progress"]["reply_to"] == theirs["id"]
    assert history["first message of mine"]["id"] == mine["id"] and history["first message of mine"]["edited_at"] is None
    assert "first message of mine (changed)" not in history and len(history) == 4, sorted(history)


def test_an_edit_started_while_replying_or_editing_keeps_each_text_to_itself(server, browsers, two_people):
    me, room, _, _, theirs = two_people("ed")
    chat = Chat(browsers(), server).log_in("cz_ed_me")
    chat.open_room("cz-ed")
    chat.wait(lambda: "a question of olga's" in chat.texts())
    click_action(chat, "a question of olga's", "reply")
    chat.type("my answer so far")

    # An edit while replying: the box holds the message; cancelled, the reply and its text come back.
    click_action(chat, "first message of mine", "edit")
    chat.wait(lambda: context_line(chat) == "Editing your message" and box_value(chat) == "first message of mine")
    chat.type(" and more")
    # Another edit while editing: that message's text alone, nothing of the first edit's.
    click_action(chat, "second message of mine", "edit")
    chat.wait(lambda: box_value(chat) == "second message of mine")
    assert context_line(chat) == "Editing your message"
    chat.type(Keys.ESCAPE)
    chat.wait(lambda: box_value(chat) == "my answer so far", message="the draft did not come back")
    assert (context_line(chat) or "").startswith("Replying to Olga Other")

    # Saved, an edit gives the reply back too.
    click_action(chat, "second message of mine", "edit")
    chat.wait(lambda: box_value(chat) == "second message of mine")
    chat.type(" (fixed)", Keys.ENTER)
    chat.wait(lambda: "second message of mine (fixed)" in chat.texts(), message="the edit was not saved")
    chat.wait(lambda: box_value(chat) == "my answer so far")
    assert (context_line(chat) or "").startswith("Replying to Olga Other")
    chat.type(Keys.ENTER)
    chat.wait(lambda: "my answer so far" in chat.texts())
    history = {m["text"]: m for m in me.history(room)}
    assert history["my answer so far"]["reply_to"] == theirs["id"]
    assert "first message of mine" in history and len(history) == 4, sorted(history)


def reached(chat, element_id):
    """Whether a tap at the middle of `element_id` reaches it (nothing lies over it)."""
    return chat.js("""const node = document.getElementById(arguments[0]), b = node.getBoundingClientRect();
        return b.width > 0 && node.contains(document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2))""", element_id)


def thread_texts(chat):
    return chat.js("return [...document.querySelectorAll('#thread-replies li.thread-message .text')].map(n => n.textContent)")


@pytest.mark.parametrize("size", [PHONE, MID, DESKTOP], ids=["390", "900", "1280"])
def test_editing_a_threads_reply_shows_the_box_that_holds_it(server, browsers, account, size):
    width = size["width"]
    me = account(f"cz_thr_{width}", display_name="Tess Thread")
    room = me.create_room(f"cz-thr-{width}")["id"]
    root = me.post(room, "where shall we meet?")
    reply = me.post(room, "at the station", reply_to=root["id"])
    chat = Chat(browsers(**size), server).log_in(f"cz_thr_{width}")
    open_room(chat, f"cz-thr-{width}")
    chat.wait(lambda: "where shall we meet?" in chat.texts())
    chat.open_thread("where shall we meet?")
    chat.wait(lambda: thread_texts(chat) == ["at the station"])
    covers = width < 1100

    def edit_reply():
        chat.click_fresh(f'#thread-replies li[data-message="{reply["id"]}"] [data-action=edit]')
        chat.wait(lambda: context_line(chat) == "Editing your message" and box_value(chat).startswith("at the station"))
        # The box with the edit, and its Send, are what a tap reaches; the thread waits aside where
        # it would lie over them, and stays open where it does not.
        chat.wait(lambda: reached(chat, "composer-text") and reached(chat, "send"), message="the box is covered")
        assert chat.js("return document.activeElement.id") == "composer-text"
        assert chat.find("#thread-panel").is_displayed() != covers

    edit_reply()
    chat.type(" at noon", Keys.ENTER)
    chat.wait(lambda: chat.find("#thread-panel").is_displayed() and thread_texts(chat) == ["at the station at noon"],
              message="the thread did not come back with the edit")
    assert context_line(chat) is None

    # Cancelled (Escape), the edit also gives the thread back.
    edit_reply()
    chat.type(" or later", Keys.ESCAPE)
    chat.wait(lambda: chat.find("#thread-panel").is_displayed(), message="the thread did not come back")
    assert context_line(chat) is None and box_value(chat) == ""
    assert thread_texts(chat) == ["at the station at noon"]


def closed_note(chat):
    return chat.js("""const note = document.getElementById('composer-closed-note');
        if (!note || note.hidden) return null;
        const b = note.getBoundingClientRect();
        return {text: note.textContent, fits: note.scrollWidth <= note.clientWidth && b.left >= 0 && b.right <= innerWidth,
                lines: Math.round(b.height / parseFloat(getComputedStyle(note).lineHeight)),
                described: document.getElementById('composer-text').getAttribute('aria-describedby').split(' ').includes(note.id)}""")


def test_a_closed_box_says_why_in_full_on_a_phone_draft_or_not(server, browsers, account):
    owner = account("cz_mute_owner", display_name="Owner")
    me = account("cz_mute_me", display_name="Mo Muted")
    room = owner.create_room("cz-mute")["id"]
    me.join(room)
    root = owner.post(room, "hello all")
    owner.post(room, "anyone there?", reply_to=root["id"])
    chat = Chat(browsers(**SMALL_PHONE), server).log_in("cz_mute_me")
    open_room(chat, "cz-mute")
    chat.wait(lambda: chat.find("#composer-text").is_enabled())
    assert closed_note(chat) is None

    # Muted with nothing in the box: the reason is a line of its own, whole (it wraps).
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": me.id, "duration_seconds": 3600})
    chat.wait(lambda: not chat.find("#composer-text").is_enabled(), message="the box stayed open")
    note = closed_note(chat)
    assert note and note["text"].startswith("A moderator muted you here until") and note["fits"] and note["described"], note
    assert note["lines"] >= 2, note
    owner.call("DELETE", f"/api/rooms/{room}/mutes/{me.id}", expect=204)
    chat.wait(lambda: chat.find("#composer-text").is_enabled() and closed_note(chat) is None, message="the note stayed")

    # Muted with a draft in the box (where a placeholder does not show): the line still says why.
    chat.type("something to say later")
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": me.id})
    chat.wait(lambda: not chat.find("#composer-text").is_enabled(), message="the box stayed open")
    note = closed_note(chat)
    assert note and note["text"] == "A moderator muted you here." and note["fits"], note
    assert box_value(chat) == "something to say later"
    chat.driver.save_screenshot("/tmp/parley-closed-note-360.png")
    assert chat.js("return [document.documentElement.scrollWidth, innerWidth]") == [360, 360]

    # A thread's reply box says the same, above it.
    chat.open_thread("hello all")
    chat.wait(lambda: thread_texts(chat) == ["anyone there?"])
    note = chat.js("""const note = document.getElementById('thread-closed-note'), b = note.getBoundingClientRect();
        return note.hidden ? null : {text: note.textContent, fits: note.scrollWidth <= note.clientWidth && b.left >= 0 && b.right <= innerWidth,
          described: document.getElementById('thread-text').getAttribute('aria-describedby')}""")
    assert note == {"text": "A moderator muted you here.", "fits": True, "described": "thread-closed-note"}, note
    chat.driver.save_screenshot("/tmp/parley-thread-closed-note-360.png")
    assert chat.js("return [document.documentElement.scrollWidth, innerWidth]") == [360, 360]
