"""Drafts follow their writer to another device: what is left unsent in a room's box is saved on
the server, shows in a second browser (without the first one's storage), follows changes made
there, and goes from both once sent."""
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat, wait_for

BOX = "return document.getElementById('composer-text').value"


def test_a_draft_follows_its_writer_to_another_browser_and_goes_when_sent(server, browsers, account):
    writer = account("dee_drafts", display_name="Dee")
    room = writer.create_room("drafts-room")["id"]
    question = writer.post(room, "which day?")

    def on_server():
        return {d["room_id"]: [d["text"], d["reply_to"]] for d in writer.call("GET", "/api/me/drafts", expect=200).json()["drafts"]}

    laptop = Chat(browsers(), server).log_in("dee_drafts")
    laptop.open_room("drafts-room")
    laptop.wait(lambda: "which day?" in laptop.texts())
    laptop.hover_action("which day?", "reply")
    laptop.type("Tuesday, I")
    wait_for(lambda: on_server().get(room) == ["Tuesday, I", question["id"]], message=f"not saved: {on_server()}")

    # Another browser (none of the laptop's storage) finds it in the room's box, as a reply.
    phone = Chat(browsers(), server).log_in("dee_drafts")
    phone.open_room("drafts-room")
    phone.wait(lambda: phone.js(BOX) == "Tuesday, I", message=f"box: {phone.js(BOX)!r}")
    phone.wait(lambda: "which day?" in phone.texts())
    # The reply it is shows there too (the phone finds the message by its id).
    phone.wait(lambda: phone.find("#composer-context").is_displayed() and "which day?" in phone.text_of("composer-context"),
               message="no reply shown")

    # Changed there, the laptop's open box follows.
    phone.type(" think")
    wait_for(lambda: on_server().get(room) == ["Tuesday, I think", question["id"]], message=f"not saved: {on_server()}")
    laptop.wait(lambda: laptop.js(BOX) == "Tuesday, I think", message=f"laptop's box: {laptop.js(BOX)!r}")
    assert laptop.find("#composer-context").is_displayed() and "which day?" in laptop.text_of("composer-context")

    # Sent from the laptop: a reply, and the draft is gone from the server and the phone's box.
    laptop.type(Keys.ENTER)
    laptop.wait(lambda: "Tuesday, I think" in laptop.texts())
    assert writer.history(room, limit=1)[0]["reply_to"] == question["id"]
    wait_for(lambda: room not in on_server(), message=f"still kept: {on_server()}")
    phone.wait(lambda: phone.js(BOX) == "", message=f"phone's box: {phone.js(BOX)!r}")

    # After a reload, the sent draft does not come back.
    phone.driver.refresh()
    phone.wait_ready()
    phone.open_room("drafts-room")
    assert phone.js(BOX) == ""

    # An event older than what the server confirmed (delivered late, say after a reconnect) changes nothing.
    phone.type("see you then")
    wait_for(lambda: on_server().get(room) == ["see you then", None], message=f"not saved: {on_server()}")
    stale = """return import('/state.js').then(m => {
        m.emit('draft', {type: 'draft.removed', data: {room_id: arguments[0]}, at: '2001-01-01T00:00:00.000Z'});
        m.emit('draft', {type: 'draft.saved', data: {draft: {room_id: arguments[0], text: 'old words', reply_to: null,
            updated_at: '2001-01-01T00:00:00.000Z'}}, at: '2001-01-01T00:00:00.000Z'});
        return document.getElementById('composer-text').value;
    })"""
    assert phone.js(stale, room) == "see you then"
