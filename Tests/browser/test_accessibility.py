"""Screen readers and keyboards: what is read out, and where the focus goes after a change."""
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat


def announced(chat):
    return chat.text_of("announcer")


def test_new_messages_from_others_are_announced_once_and_my_own_not_at_all(server, browsers, account):
    ann = account("ann_announce", display_name="Ann")
    bob = account("bob_announce", display_name="Bob")
    room = ann.create_room("announce-room")["id"]
    bob.join(room)
    chat = Chat(browsers(), server).log_in("ann_announce")
    chat.open_room("announce-room")
    # The lists are not live regions: their items are rebuilt on every change.
    assert chat.js("return document.getElementById('messages').getAttribute('aria-live')") == "off"
    assert chat.js("return document.getElementById('messages').getAttribute('role')") is None

    hello = bob.post(room, "hello")
    chat.wait(lambda: announced(chat) == "Bob: hello", message=f"announced: {announced(chat)!r}")
    # Changes to it are not read out again (the list item is rebuilt, the announcer is not touched).
    chat.js("document.getElementById('announcer').textContent = ''")
    bob.call("PUT", f"/api/messages/{hello['id']}/reactions/%F0%9F%91%8D", expect=200)
    bob.call("PATCH", f"/api/messages/{hello['id']}", expect=200, json={"text": "hello there"})
    chat.wait(lambda: "hello there" in chat.texts())
    chat.wait(lambda: chat.js("return !!document.querySelector('#messages .reaction')"))
    # My own message is not announced either, nor a long one in full.
    chat.send("my own words")
    chat.wait(lambda: "my own words" in chat.texts())
    chat.wait(lambda: not chat.pending())
    assert announced(chat) == ""
    bob.post(room, "x" * 500)
    chat.wait(lambda: announced(chat).startswith("Bob: x"))
    assert announced(chat) == "Bob: " + "x" * 200 + "…"


def focused(chat):
    """The focused element: its data-action (or id), and the id of the message it is in."""
    return chat.js("""const e = document.activeElement;
        return [e.dataset.action ?? e.id ?? e.tagName, e.closest('li.message')?.dataset.id ?? null]""")


def test_closing_a_thread_after_a_reply_came_puts_the_focus_back_on_its_button(server, browsers, account):
    tess = account("tess_refocus", display_name="Tess")
    theo = account("theo_refocus", display_name="Theo")
    room = tess.create_room("refocus-room")["id"]
    theo.join(room)
    root = tess.post(room, "Which colour?")
    chat = Chat(browsers(), server).log_in("tess_refocus")
    chat.open_room("refocus-room")
    chat.hover_action("Which colour?", "thread-reply")
    chat.wait(lambda: chat.find("#thread-panel").is_displayed())
    # Someone replies: the root's item (and its button) is rebuilt with the new count.
    theo.post(room, "Blue", reply_to=root["id"])
    chat.wait(lambda: chat.js("return !!document.querySelector('#messages .thread-link')"))
    # It is read out once (the panel's list is not a live region either).
    assert chat.js("return document.getElementById('thread-replies').getAttribute('aria-live')") == "off"
    chat.wait(lambda: announced(chat) == "Theo: Blue")
    chat.find("#thread-text").send_keys(Keys.ESCAPE)
    chat.wait(lambda: not chat.find("#thread-panel").is_displayed())
    assert focused(chat) == ["thread-reply", str(root["id"])]


def test_a_toast_shows_in_the_open_dialog_and_is_read_out(server, browsers, account):
    account("toasty", display_name="Toasty").create_room("toast-group", kind="group")
    chat = Chat(browsers(), server).log_in("toasty")
    # The live region is there, empty, before the first toast (one added with its text is not read).
    assert chat.js("const t = document.querySelector('.toasts'); return t && t.getAttribute('aria-live') === 'polite' && t.textContent === ''")
    chat.open_room("toast-group", "group-list")
    chat.find("#members-toggle").click()
    chat.wait(lambda: chat.find("#invites-open").is_displayed())
    chat.find("#invites-open").click()
    chat.wait(lambda: chat.dialog_open("invites-dialog"))
    chat.find("#invite-create").click()
    chat.wait(lambda: chat.find("#invite-new").is_displayed())
    chat.js("navigator.clipboard.writeText = () => Promise.resolve()")
    chat.find("#invite-copy").click()
    chat.wait(lambda: "Link copied." in chat.js("return document.querySelector('.toasts').textContent"))
    # Inside the dialog (drawn over it, not under it and inert), in the window.
    assert chat.js("return document.querySelector('.toasts').parentNode.id") == "invites-dialog"
    assert chat.js("""const t = document.querySelector('.toast'), r = t.getBoundingClientRect();
        return t.checkVisibility() && r.top >= 0 && r.bottom <= innerHeight""")
    # Back in the page when the dialog closes.
    chat.js("document.getElementById('invites-dialog').close()")
    chat.wait(lambda: chat.js("return document.querySelector('.toasts').parentNode === document.body"))
