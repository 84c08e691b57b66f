"""Screen readers and keyboards: what is read out, and where the focus goes after a change."""
from selenium.webdriver.common.by import By
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


def tab_stops_in_messages(chat):
    return chat.js("""return [...document.querySelectorAll('#messages, #messages *')]
        .filter(e => e.tabIndex >= 0 && !e.disabled && e.checkVisibility()).length""")


def press(chat, *keys, shift=False):
    chat.press(*keys, shift=shift)


def back_into_the_list(chat):
    """Shift+Tab from where the focus is until it reaches the message list."""
    for _ in range(20):
        if chat.js("return document.getElementById('messages').contains(document.activeElement)"):
            return
        press(chat, Keys.TAB, shift=True)
    raise AssertionError("Shift+Tab never reached the messages")


def test_the_message_list_is_one_tab_stop_with_arrows_between_messages_and_tab_into_one(server, browsers, account):
    rex = account("rex_roving", display_name="Rex")
    sue = account("sue_roving", display_name="Sue")
    room = rex.create_room("roving-room")["id"]
    sue.join(room)
    for n in range(12):
        sue.post(room, f"line {n}")
    chat = Chat(browsers(), server).log_in("rex_roving")
    chat.open_room("roving-room")
    chat.wait(lambda: "line 11" in chat.texts())
    # One tab stop for the whole list (each message's buttons were one each: hundreds in a long room).
    assert tab_stops_in_messages(chat) == 1
    # Shift+Tab from the message box enters the list at the newest message.
    chat.find("#composer-text").click()
    back_into_the_list(chat)
    assert focused(chat) == ["", chat.message_id("line 11")]
    # ↑ moves to the one before; Tab goes into its controls, Tab on through them, Escape back.
    press(chat, Keys.ARROW_UP)
    assert focused(chat) == ["", chat.message_id("line 10")]
    press(chat, Keys.TAB)
    first = focused(chat)
    assert first[1] == chat.message_id("line 10") and chat.js("return !document.activeElement.matches('li.message')")
    chat.js("window.__first = document.activeElement")
    press(chat, Keys.TAB)
    assert chat.js("return document.activeElement !== window.__first")
    second = focused(chat)
    assert second[1] == chat.message_id("line 10") and chat.js("return !document.activeElement.matches('li.message')")
    press(chat, Keys.TAB, shift=True)
    assert chat.js("return document.activeElement === window.__first")
    press(chat, Keys.ESCAPE)
    assert focused(chat) == ["", chat.message_id("line 10")]
    # Enter goes into the controls too; Tab past the last one leaves the list for the message box.
    press(chat, Keys.ENTER)
    assert chat.js("return document.activeElement === window.__first")
    for _ in range(30):
        if chat.js("return !document.getElementById('messages').contains(document.activeElement)"):
            break
        press(chat, Keys.TAB)
    assert chat.js("return !!document.activeElement.closest('#composer')")
    # Back into the list: at the message last focused, still one tab stop.
    back_into_the_list(chat)
    assert focused(chat) == ["", chat.message_id("line 10")]
    assert tab_stops_in_messages(chat) == 1
    press(chat, Keys.HOME)
    assert chat.js("return document.activeElement.matches('.day-button, li.message')")
    press(chat, Keys.END)
    assert focused(chat) == ["", chat.message_id("line 11")]


def test_replying_and_editing_are_read_out_and_describe_the_message_box(server, browsers, account):
    una = account("una_modes", display_name="Una")
    vic = account("vic_modes", display_name="Vic")
    room = una.create_room("modes-room")["id"]
    vic.join(room)
    vic.post(room, "lunch?")
    chat = Chat(browsers(), server).log_in("una_modes")
    chat.open_room("modes-room")
    described = "return document.getElementById('composer-text').getAttribute('aria-describedby')"
    assert chat.js(described) == "composer-help"
    chat.hover_action("lunch?", "reply")
    chat.wait(lambda: announced(chat) == "Replying to Vic. Escape to cancel.", message=lambda: f"announced: {announced(chat)!r}")
    assert chat.js(described).split() == ["composer-context-text", "composer-help"]
    chat.type(Keys.ESCAPE)
    chat.wait(lambda: chat.js(described) == "composer-help")
    chat.send("yes please")
    chat.wait(lambda: "yes please" in chat.texts())
    chat.wait(lambda: not chat.pending())
    chat.type(Keys.ARROW_UP)
    chat.wait(lambda: announced(chat) == "Editing your message. Escape to cancel.", message=lambda: f"announced: {announced(chat)!r}")
    assert chat.js(described).split() == ["composer-context-text", "composer-help"]
    assert "Editing your message" in chat.text_of("composer-context-text")


def test_a_new_message_is_read_out_as_shown_without_its_formatting_marks(server, browsers, account):
    wes = account("wes_plain", display_name="Wes")
    xia = account("xia_plain", display_name="Xia")
    room = wes.create_room("plain-room")["id"]
    xia.join(room)
    chat = Chat(browsers(), server).log_in("wes_plain")
    chat.open_room("plain-room")
    xia.post(room, "**Big** news: run `make test` and see [the notes](https://example.com/notes), ~~not~~ *now*")
    chat.wait(lambda: announced(chat).startswith("Xia: "), message=lambda: f"announced: {announced(chat)!r}")
    assert announced(chat) == "Xia: Big news: run make test and see the notes, not now"
    xia.post(room, "/me waves **hello**")
    chat.wait(lambda: announced(chat) == "Xia waves hello", message=lambda: f"announced: {announced(chat)!r}")


def test_closing_a_dialog_opened_from_a_message_drawn_again_meanwhile_puts_the_focus_back_on_its_button(server, browsers, account):
    fay = account("fay_refocus", display_name="Fay")
    finn = account("finn_refocus", display_name="Finn")
    room = fay.create_room("refocus-dialogs")["id"]
    finn.join(room)
    message = finn.post(room, "worth forwarding")
    chat = Chat(browsers(), server).log_in("fay_refocus")
    chat.open_room("refocus-dialogs")
    chat.hover_action("worth forwarding", "forward")
    chat.wait(lambda: chat.dialog_open("forward-dialog"))
    # A reaction comes meanwhile: the message (and the button that opened the dialog) is drawn again.
    finn.call("PUT", f"/api/messages/{message['id']}/reactions/%F0%9F%91%8D", expect=200)
    chat.wait(lambda: chat.js("return !!document.querySelector('#messages .reaction')"))
    chat.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    chat.wait(lambda: not chat.dialog_open("forward-dialog"))
    # Not the page itself (the next Tab would start from its top).
    chat.wait(lambda: focused(chat)[1] is not None, message=lambda: f"focus on {focused(chat)}")
    assert focused(chat) == ["forward", str(message["id"])]


def test_leaving_a_room_or_closing_a_dm_from_the_keyboard_keeps_the_focus_somewhere_useful(server, browsers, account):
    gus = account("gus_leaves", display_name="Gus")
    owner = account("gil_owner", display_name="Gil")
    hal = account("hal_dm", display_name="Hal")
    ivy = account("ivy_dm", display_name="Ivy")
    room = owner.create_room("to-leave")["id"]
    gus.join(room)
    for other in (hal, ivy):
        gus.call("POST", "/api/dms", expect=None, json={"user_id": other.id})
    chat = Chat(browsers(), server).log_in("gus_leaves")
    chat.open_room("to-leave")
    # The message box names the room it writes to (a screen reader hears "Message" no more).
    chat.wait(lambda: chat.find("#composer-text").get_attribute("aria-label") == "Message #to-leave")
    chat.find("#leave-room").send_keys(Keys.ENTER)
    chat.wait(lambda: chat.dialog_open("confirm-dialog"))
    chat.find("#confirm-ok").send_keys(Keys.ENTER)
    chat.wait(lambda: chat.room_title() == "main")
    chat.wait(lambda: chat.js("return document.activeElement.id") == "composer-text", message=lambda: f"focus on {chat.js('return document.activeElement.outerHTML.slice(0, 80)')}")
    assert chat.find("#composer-text").get_attribute("aria-label") == "Message #main"

    # Closing a DM that is not open: the focus goes to the next conversation's ×.
    chat.wait(lambda: len(chat.driver.find_elements(By.CSS_SELECTOR, "#dm-list .room-close")) == 2)
    first, second = [b.get_attribute("data-room") for b in chat.driver.find_elements(By.CSS_SELECTOR, "#dm-list .room-close")]
    chat.find(f'#dm-list .room-close[data-room="{first}"]').send_keys(Keys.ENTER)
    chat.wait(lambda: len(chat.driver.find_elements(By.CSS_SELECTOR, "#dm-list .room-close")) == 1)
    chat.wait(lambda: chat.js("return document.activeElement.dataset.room ?? null") == second,
              message=lambda: f"focus on {chat.js('return document.activeElement.outerHTML.slice(0, 80)')}")
