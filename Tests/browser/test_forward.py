"""Forwarding: the Forward action's dialog (pick a room, add a comment), the quote in the target
room for someone who cannot read the original, and Open going back to the original."""
import requests

from parley_browser import Chat


def toasts(chat):
    return chat.js("return document.querySelector('.toasts')?.textContent ?? ''")


def test_a_message_is_forwarded_with_a_comment(server, browsers, account):
    yan = account("yan_fwd", display_name="Yan")
    zoe = account("zoe_fwd", display_name="Zoe")
    group = yan.create_room("fwd-source", kind="group")["id"]
    target = yan.create_room("fwd-target")["id"]
    zoe.join(target)
    yan.post(group, "the *incident* review is on Thursday")
    chat = Chat(browsers(), server).log_in("yan_fwd")
    chat.open_room("fwd-source")
    chat.wait(lambda: "the incident review is on Thursday" in chat.texts())
    other = Chat(browsers(), server).log_in("zoe_fwd")
    other.open_room("fwd-target")

    chat.hover_action("the incident review is on Thursday", "forward")
    chat.wait(lambda: chat.dialog_open("forward-dialog"))
    assert "Yan: the incident review is on Thursday" in chat.text_of("forward-preview")
    chat.find("#forward-filter").send_keys("target")
    chat.wait(lambda: chat.js("return [...document.querySelectorAll('#forward-rooms .option')].map(o => o.textContent)") == ["#fwd-target"])
    assert chat.find("#forward-submit").get_attribute("disabled") is not None
    chat.find('#forward-rooms .option[data-room="%d"]' % target).click()
    chat.wait(lambda: chat.find("#forward-submit").text == "Forward to #fwd-target")
    chat.find("#forward-text").send_keys("please come")
    chat.find("#forward-submit").click()
    chat.wait(lambda: not chat.dialog_open("forward-dialog"))
    chat.wait(lambda: "Forwarded to #fwd-target" in toasts(chat))

    # Zoe, who is not in the group, sees the comment and the quote, without a way to open the original.
    other.wait(lambda: "please come" in other.texts(), message="the forward did not arrive")
    # Read in one script: the message re-renders as receipts come in.
    said, emphasized, buttons = other.js("""const id = arguments[0];
        const quote = document.querySelector(`#messages li.message[data-id="${id}"] blockquote.forwarded`);
        return [quote.textContent, quote.querySelectorAll('em').length, quote.querySelectorAll('button').length]""",
        other.message_id("please come"))
    assert "Forwarded from Yan · " in said and "the incident review is on Thursday" in said, said
    assert emphasized == 1, "the quoted text lost its formatting"
    assert buttons == 0
    # Its thread shows the quote too.
    other.hover_action("please come", "thread-reply")
    other.wait(lambda: "the incident review is on Thursday" in other.js(
        "return document.querySelector('#thread-root blockquote.forwarded')?.textContent ?? ''"), message="no quote in the thread")
    [message] = [m for m in zoe.history(target) if m["text"] == "please come"]
    assert message["forwarded"]["room_id"] == group and message["forwarded"]["sender"]["username"] == "yan_fwd"

    # Yan, who is in both, opens the original from the quote.
    chat.open_room("fwd-target")
    chat.wait(lambda: "please come" in chat.texts())
    chat.wait(lambda: chat.js("""const button = document.querySelector(
        `#messages li.message[data-id="${arguments[0]}"] blockquote.forwarded button`); button?.click(); return Boolean(button)""",
        chat.message_id("please come")))
    chat.wait(lambda: chat.room_title() == "fwd-source", message="Open did not go to the original's room")


def test_the_forward_dialog_names_a_dm_as_the_room_list_does(server, browsers, account):
    yan = account("yan_fwd_dm", display_name="Yan")
    bob = account("bob_fwd_dm", display_name="Bob B")
    room = yan.create_room("fwd-dm-source")["id"]
    yan.call("POST", "/api/dms", expect=201, json={"user_id": bob.id})
    yan.post(room, "pass this on")
    chat = Chat(browsers(), server).log_in("yan_fwd_dm")
    chat.open_room("fwd-dm-source")
    chat.wait(lambda: "pass this on" in chat.texts())
    chat.hover_action("pass this on", "forward")
    chat.wait(lambda: chat.dialog_open("forward-dialog"))
    chat.find("#forward-filter").send_keys("bob")
    options = lambda: chat.js("return [...document.querySelectorAll('#forward-rooms .option')].map(o => o.textContent)")
    chat.wait(lambda: options() == ["Bob B"], message=lambda: f"options {options()}")
    chat.find("#forward-rooms .option").click()
    chat.wait(lambda: chat.find("#forward-submit").text == "Forward to Bob B")
    chat.find("#forward-submit").click()
    chat.wait(lambda: "Forwarded to Bob B." in toasts(chat), message=lambda: f"toasts {toasts(chat)!r}")


def test_a_forwarded_webhook_post_is_credited_to_the_webhook(server, browsers, account):
    """A hunt found the quote of a webhook's post crediting the webhook's maker, who never wrote it."""
    olga = account("olga_fwd_hook", display_name="Olga")
    pia = account("pia_fwd_hook", display_name="Pia")
    ops = olga.create_room("fwd-hook-ops")["id"]
    target = olga.create_room("fwd-hook-target")["id"]
    pia.join(ops)
    pia.join(target)
    made = olga.call("POST", f"/api/rooms/{ops}/webhooks", expect=201, json={"name": "CI bot"}).json()["webhook"]
    assert requests.post(server.url + made["url"], json={"text": "build 42 passed"}).status_code == 201
    chat = Chat(browsers(), server).log_in("pia_fwd_hook")
    chat.open_room("fwd-hook-ops")
    chat.wait(lambda: "build 42 passed" in chat.texts())
    chat.hover_action("build 42 passed", "forward")
    chat.wait(lambda: chat.dialog_open("forward-dialog"))
    assert chat.text_of("forward-preview") == "CI bot: build 42 passed"
    chat.find("#forward-filter").send_keys("hook-target")
    chat.wait(lambda: chat.js("return document.querySelectorAll('#forward-rooms .option').length") == 1)
    chat.find('#forward-rooms .option[data-room="%d"]' % target).click()
    chat.find("#forward-submit").click()
    chat.wait(lambda: not chat.dialog_open("forward-dialog"))

    # The quote names the webhook, not Olga; so does a reply's line about the forward (no comment).
    chat.open_room("fwd-hook-target")
    quote = lambda: chat.js("return document.querySelector('#messages blockquote.forwarded')?.textContent ?? ''")
    chat.wait(lambda: "build 42 passed" in quote())
    assert quote().startswith("Forwarded from CI bot in #fwd-hook-ops"), quote()
    chat.hover_action("build 42 passed", "reply")
    chat.wait(lambda: chat.text_of("composer-context-text") == "Replying to Pia: ↪ CI bot: build 42 passed",
              message=lambda: chat.text_of("composer-context-text"))


def test_the_forward_dialogs_filter_is_a_combobox_whose_arrows_move_through_the_rooms(server, browsers, account):
    """An accessibility review: the room list was not a keyboard listbox (each room a tab stop, the
    filter box not tied to it); now the filter box is a combobox, ↑/↓ move, Enter picks."""
    from selenium.webdriver.common.keys import Keys
    kai = account("kai_fwd_keys", display_name="Kai")
    room = kai.create_room("fwdkeys-source")["id"]
    rooms = {name: kai.create_room(name)["id"] for name in ("fwdkeys-alpha", "fwdkeys-beta", "fwdkeys-gamma")}
    kai.post(room, "send this along")
    chat = Chat(browsers(), server).log_in("kai_fwd_keys")
    chat.open_room("fwdkeys-source")
    chat.wait(lambda: "send this along" in chat.texts())
    chat.hover_action("send this along", "forward")
    chat.wait(lambda: chat.dialog_open("forward-dialog"))
    state = lambda: chat.js("""const f = document.getElementById('forward-filter');
        const active = f.getAttribute('aria-activedescendant');
        return {role: f.getAttribute('role'), controls: f.getAttribute('aria-controls'), expanded: f.getAttribute('aria-expanded'),
          autocomplete: f.getAttribute('aria-autocomplete'), focused: document.activeElement.id,
          list: document.getElementById('forward-rooms').getAttribute('role'),
          options: [...document.querySelectorAll('#forward-rooms [role=option]')].map(o => [o.textContent, o.getAttribute('aria-selected'), o.hasAttribute('tabindex')]),
          active: active && document.getElementById(active)?.textContent}""")
    chat.find("#forward-filter").send_keys("fwdkeys-")
    chat.wait(lambda: len(state()["options"]) == 4, message=lambda: state())
    now = state()
    assert (now["role"], now["controls"], now["expanded"], now["autocomplete"], now["list"]) == ("combobox", "forward-rooms", "true", "list", "listbox"), now
    assert now["focused"] == "forward-filter"
    # Nothing picked yet, no room a tab stop of its own; the first room listed is the active one.
    assert [selected for _, selected, _ in now["options"]] == ["false"] * 4
    assert not any(tab for _, _, tab in now["options"])
    assert now["active"] == "#fwdkeys-alpha"
    filter_box = chat.find("#forward-filter")
    filter_box.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    assert state()["active"] == "#fwdkeys-gamma"
    filter_box.send_keys(Keys.ARROW_UP)
    assert state()["active"] == "#fwdkeys-beta"
    assert state()["focused"] == "forward-filter"
    filter_box.send_keys(Keys.ENTER)
    chat.wait(lambda: chat.find("#forward-submit").text == "Forward to #fwdkeys-beta")
    now = state()
    assert [name for name, selected, _ in now["options"] if selected == "true"] == ["#fwdkeys-beta"], now
    assert now["focused"] == "forward-text"
    # ↑ from the first room wraps to the last; typing narrows the list and its first room is active again.
    filter_box.send_keys(Keys.ARROW_UP)
    assert state()["active"] == "#fwdkeys-alpha"
    filter_box.send_keys(Keys.ARROW_UP)
    assert state()["active"] == "#fwdkeys-source"
    filter_box.send_keys("g")
    chat.wait(lambda: state()["active"] == "#fwdkeys-gamma")
    # Nothing matching: the list is empty, collapsed, and points at nothing.
    filter_box.send_keys("zzz")
    chat.wait(lambda: state()["options"] == [])
    assert (state()["expanded"], state()["active"]) == ("false", None)
    # A click still picks.
    filter_box.send_keys(Keys.BACKSPACE * 3)
    chat.wait(lambda: len(state()["options"]) == 1)
    chat.find('#forward-rooms .option[data-room="%d"]' % rooms["fwdkeys-gamma"]).click()
    chat.wait(lambda: chat.find("#forward-submit").text == "Forward to #fwdkeys-gamma")
    chat.find("#forward-submit").click()
    chat.wait(lambda: not chat.dialog_open("forward-dialog"))
    chat.wait(lambda: any(m.get("forwarded") for m in kai.history(rooms["fwdkeys-gamma"])))
