"""What a tester driving the client found: a room that closed under me opens again when I am back
in it; the mention badge follows edits; the box counts characters as the server does; typing stops
when the box empties or the room changes; DM members set its topic; every pin is reachable."""
import unicodedata

from selenium.webdriver.common.keys import Keys

from parley_browser import Chat


def composer_enabled(chat):
    return chat.find("#composer-text").is_enabled()


def test_a_room_closed_under_me_opens_again_when_i_am_back_in_it(server, browsers, account):
    ann = account("back_owner", display_name="Ann Owner")
    bob = account("back_member", display_name="Bob Member")
    room = ann.create_room("back-hall")["id"]
    group = ann.create_room("back-group", kind="group", members=[bob.id])["id"]
    bob.join(room)
    chat = Chat(browsers(), server).log_in("back_member")

    # Left from another device, then joined again there.
    chat.open_room("back-hall")
    bob.call("POST", f"/api/rooms/{room}/leave", expect=204)
    chat.wait(lambda: "You left this room." in chat.text_of("room-empty") and not composer_enabled(chat))
    bob.join(room)
    ann.post(room, "welcome back")
    chat.wait(lambda: "welcome back" in chat.texts() and composer_enabled(chat),
              message=lambda: f"the room stayed closed: {chat.text_of('room-empty')!r} {chat.texts()}")

    # Kicked, then joined again.
    ann.call("POST", f"/api/rooms/{room}/kick", expect=204, json={"user_id": bob.id})
    chat.wait(lambda: "removed from this room" in chat.text_of("room-empty") and not composer_enabled(chat))
    bob.join(room)
    ann.post(room, "after the kick")
    chat.wait(lambda: "after the kick" in chat.texts() and composer_enabled(chat),
              message=lambda: f"the room stayed closed: {chat.text_of('room-empty')!r} {chat.texts()}")

    # Removed from a private group, then added back.
    chat.open_room("back-group")
    ann.call("DELETE", f"/api/rooms/{group}/members/{bob.id}", expect=204)
    chat.wait(lambda: "removed from this room" in chat.text_of("room-empty") and not composer_enabled(chat))
    ann.call("POST", f"/api/rooms/{group}/members", expect=201, json={"user_id": bob.id})
    ann.post(group, "added again")
    chat.wait(lambda: "added again" in chat.texts() and composer_enabled(chat),
              message=lambda: f"the group stayed closed: {chat.text_of('room-empty')!r} {chat.texts()}")
    chat.send("I am back")
    chat.wait(lambda: "I am back" in [m["text"] for m in ann.history(group)])


def test_the_mention_badge_follows_edits_of_an_unread_message(server, browsers, account):
    ann = account("edit_badge_reader", display_name="Ann Reader")
    bob = account("edit_badge_writer", display_name="Bob Writer")
    ann.create_room("edit-badge-quiet")
    busy = bob.create_room("edit-badge-busy")["id"]
    ann.join(busy)
    chat = Chat(browsers(), server).log_in("edit_badge_reader")
    chat.open_room("edit-badge-quiet")
    posted = bob.post(busy, "nothing for you")
    chat.wait(lambda: chat.badge("edit-badge-busy") == ["1", False], message=lambda: f"badge {chat.badge('edit-badge-busy')}")

    bob.call("PATCH", f"/api/messages/{posted['id']}", expect=200, json={"text": "now for you @edit_badge_reader"})
    chat.wait(lambda: chat.badge("edit-badge-busy") == ["1", True], message=lambda: f"badge {chat.badge('edit-badge-busy')} after a mention was added")
    bob.call("PATCH", f"/api/messages/{posted['id']}", expect=200, json={"text": "nothing for you again"})
    chat.wait(lambda: chat.badge("edit-badge-busy") == ["1", False], message=lambda: f"badge {chat.badge('edit-badge-busy')} after the mention was taken out")

    # The same after a reload: what the server holds.
    chat.driver.refresh()
    chat.wait_ready()
    chat.wait(lambda: chat.badge("edit-badge-busy") == ["1", False])


def put_in_box(chat, text, box="composer-text"):
    """Puts `text` in a box as a paste would (ChromeDriver cannot type characters beyond the BMP)."""
    chat.js("""const box = document.getElementById(arguments[1]);
        box.focus();
        document.execCommand('insertText', false, arguments[0]);""", text, box)


def not_sent(chat):
    """What the page showed when a message did not reach the server (a CI run once timed out here
    with an empty error and nothing else to go by)."""
    shown = chat.js("""return {box: document.getElementById('composer-text').value.length,
        disabled: document.getElementById('composer-text').disabled,
        rows: [...document.querySelectorAll('#messages li.message')].slice(-2).map(n => [n.dataset.id, n.className, n.textContent.length])}""")
    return f"not sent: error {chat.text_of('composer-error')!r}, connection {chat.connection()!r}, {shown}"


def test_the_message_box_counts_characters_as_the_server_does(server, browsers, account):
    ann = account("count_writer", display_name="Ann Counts")
    room = ann.create_room("count-hall")["id"]
    chat = Chat(browsers(), server).log_in("count_writer")
    chat.open_room("count-hall")
    family = "👨‍👩‍👧‍👦" * 700
    accented = "e\u0301" * 3000

    # 700 and 3,000 characters as people see them (7,700 and 6,000 UTF-16 units): both are sent whole.
    put_in_box(chat, family)
    chat.type(Keys.ENTER)
    chat.wait(lambda: any(m["text"] == family for m in ann.history(room)),
              message=lambda: not_sent(chat))
    # (Stored composed, as the server keeps all text: the 3,000 é are one code point each there.)
    composed = unicodedata.normalize("NFC", accented)
    assert composed == "\u00e9" * 3000
    chat.type(accented, Keys.ENTER)
    chat.wait(lambda: any(m["text"] == composed for m in ann.history(room)),
              message=lambda: not_sent(chat))

    # An edit to as many is saved; one character more is refused before it is sent.
    chat.type(Keys.ARROW_UP)
    chat.wait(lambda: chat.find("#composer-text").get_attribute("value") == composed)
    chat.js("document.getElementById('composer-text').select()")
    put_in_box(chat, family)
    chat.type(Keys.ENTER)
    chat.wait(lambda: [m["text"] for m in ann.history(room)][-2:] == [family, family],
              message=lambda: f"edit not saved: {chat.text_of('composer-error')!r}")
    put_in_box(chat, "e\u0301" * 4001)
    chat.type(Keys.ENTER)
    chat.wait(lambda: chat.text_of("composer-error") == "A message is at most 4,000 characters.")
    assert len(ann.history(room)) == 2


def test_typing_stops_when_the_box_is_emptied_or_another_room_opens(server, browsers, account):
    ann = account("typer_ann", display_name="Ann Typer")
    account("typer_bob", display_name="Bob Watcher")
    room = ann.create_room("typing-hall")["id"]
    ann.create_room("typing-elsewhere")
    account("typer_bob").join(room)
    typer = Chat(browsers(), server).log_in("typer_ann")
    watcher = Chat(browsers(), server).log_in("typer_bob")
    typer.open_room("typing-hall")
    watcher.open_room("typing-hall")
    showing = lambda: watcher.text_of("typing") == "Ann Typer is typing…"  # noqa: E731

    typer.type("a thought")
    watcher.wait(showing, message=lambda: f"no typing indicator: {watcher.text_of('typing')!r}")
    typer.type(Keys.CONTROL, "a")
    typer.type(Keys.BACKSPACE)
    # (The indicator would run out by itself after 6 seconds.)
    watcher.wait(lambda: not showing(), timeout=3, message="the indicator stayed after the box was emptied")

    typer.type("another thought")
    watcher.wait(showing, message="no typing indicator the second time")
    typer.open_room("typing-elsewhere")
    watcher.wait(lambda: not showing(), timeout=3, message="the indicator stayed after the typer went to another room")


def test_the_people_of_a_dm_set_its_topic_from_the_settings_and_with_slash_topic(server, browsers, account):
    ann = account("topic_ann", display_name="Ann Topic")
    bob = account("topic_bob", display_name="Bob Topic")
    cy = account("topic_cy", display_name="Cy Topic")
    dm = ann.call("POST", "/api/dms", expect=201, json={"user_id": bob.id}).json()["room"]["id"]
    group_dm = ann.call("POST", "/api/dms", expect=201, json={"user_ids": [bob.id, cy.id]}).json()["room"]["id"]
    chat = Chat(browsers(), server).log_in("topic_bob")
    room_of = lambda room: bob.call("GET", f"/api/rooms/{room}", expect=200).json()["room"]  # noqa: E731

    # The settings offer a DM's topic, and only that.
    chat.open_room("Ann Topic", list_id="dm-list")
    chat.wait(lambda: chat.find("#room-settings").is_displayed(), message="no settings button in a DM")
    chat.find("#room-settings").click()
    chat.wait(lambda: chat.dialog_open("room-dialog"))
    assert chat.find("#room-topic-input").is_displayed()
    assert not chat.find("#room-name").is_displayed()
    assert not chat.find("#room-moderated").is_displayed()
    chat.find("#room-topic-input").send_keys("lunch plans")
    chat.find("#room-submit").click()
    chat.wait(lambda: not chat.dialog_open("room-dialog"), message=lambda: f"not saved: {chat.text_of('room-error')!r}")
    chat.wait(lambda: room_of(dm)["topic"] == "lunch plans")
    chat.wait(lambda: "lunch plans" in chat.text_of("room-topic"), message=lambda: f"header: {chat.text_of('room-topic')!r}")

    # /topic in a group DM.
    chat.open_room(next(name for name in chat.sidebar_rooms("dm-list") if "Cy Topic" in name), list_id="dm-list")
    chat.send("/topic the trip")
    chat.wait(lambda: room_of(group_dm)["topic"] == "the trip", message=lambda: f"refused: {chat.text_of('composer-error')!r}")
    chat.wait(lambda: "the trip" in chat.text_of("room-topic"))


FOCUSED_TEXT = "return document.activeElement?.querySelector?.('.text')?.textContent ?? null"


def test_each_pin_opens_its_message_and_the_rest_are_listed(server, browsers, account):
    ann = account("pins_owner", display_name="Ann Pins")
    room = ann.create_room("pins-hall")["id"]
    pinned = [ann.post(room, f"pinned number {n}") for n in range(1, 6)]
    for n in range(60):
        ann.post(room, f"filler {n}")
    for message in pinned:
        ann.call("POST", f"/api/rooms/{room}/pins", expect=201, json={"message_id": message["id"]})
    chat = Chat(browsers(), server).log_in("pins_owner")
    chat.open_room("pins-hall")
    bar = "return [...document.querySelectorAll('#pins .pin-text')].map(n => n.textContent)"
    chat.wait(lambda: len(chat.js(bar)) == 3 and "and 2 more pinned" in chat.text_of("pins"))
    shown = chat.js(bar)

    # A pin in the bar opens its message (older than the page loaded: it is loaded back to). (The bar
    # draws itself again as the room settles.)
    chat.click_fresh("#pins .pin-open", message="could not click the pin")
    chat.wait(lambda: chat.js(FOCUSED_TEXT) == shown[0], message=lambda: f"focused {chat.js(FOCUSED_TEXT)!r}, not {shown[0]!r}")

    # "and 2 more pinned" lists them all; one the bar does not show opens its message too.
    chat.click_fresh("#pins .pins-all", message="could not click 'and 2 more pinned'")
    chat.wait(lambda: chat.dialog_open("pins-dialog"))
    listed = "return [...document.querySelectorAll('#pins-list .search-text')].map(n => n.textContent)"
    chat.wait(lambda: sorted(chat.js(listed)) == [f"pinned number {n}" for n in range(1, 6)], message=lambda: f"listed {chat.js(listed)}")
    hidden = next(text for text in chat.js(listed) if text not in shown)
    chat.js("""[...document.querySelectorAll('#pins-list li')].find(li => li.querySelector('.search-text').textContent === arguments[0])
        .querySelector('button').click()""", hidden)
    chat.wait(lambda: not chat.dialog_open("pins-dialog"))
    chat.wait(lambda: chat.js(FOCUSED_TEXT) == hidden, message=lambda: f"focused {chat.js(FOCUSED_TEXT)!r}, not {hidden!r}")


def test_the_scheduled_message_editor_counts_characters_as_the_server_does(server, browsers, account):
    ann = account("count_scheduler", display_name="Ann Schedules")
    room = ann.create_room("count-later")["id"]
    ann.call("POST", f"/api/rooms/{room}/scheduled", expect=201, json={"text": "short for now", "in_seconds": 3600})
    chat = Chat(browsers(), server).log_in("count_scheduler")
    chat.open_room("count-later")
    chat.find("#scheduled-open").click()
    chat.wait(lambda: "short for now" in chat.text_of("scheduled-list"))
    # (The list may draw itself again as it settles.)
    chat.click_fresh("#scheduled-list button", text="Edit")
    chat.js("document.querySelector('#scheduled-list textarea').select()")
    family = "👨‍👩‍👧‍👦" * 700
    chat.js("document.querySelector('#scheduled-list textarea').focus(); document.execCommand('insertText', false, arguments[0])", family)
    chat.click_fresh("#scheduled-list button", text="Save")
    saved = lambda: [s["text"] for s in ann.call("GET", "/api/me/scheduled", expect=200).json()["scheduled"]]  # noqa: E731
    chat.wait(lambda: saved() == [family], message=lambda: f"saved {[len(t) for t in saved()]} UTF-16 units")
