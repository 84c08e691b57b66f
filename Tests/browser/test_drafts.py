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


THREAD_BOX = "return document.getElementById('thread-text').value"


def open_thread(chat, text):
    chat.hover_action(text, "thread-reply")
    chat.wait(lambda: chat.find("#thread-panel").is_displayed())
    chat.wait(lambda: chat.js("return document.querySelector('#thread-root .text')?.textContent") == text)


def test_a_thread_keeps_its_own_draft_across_threads_rooms_and_browsers(server, browsers, account):
    writer = account("tia_drafts", display_name="Tia")
    room = writer.create_room("thread-drafts")["id"]
    other = writer.create_room("thread-drafts-2")["id"]
    first = writer.post(room, "first question")
    second = writer.post(room, "second question")

    def on_server():
        return {(d["room_id"], d["thread_id"]): d["text"] for d in writer.call("GET", "/api/me/drafts", expect=200).json()["drafts"]}

    laptop = Chat(browsers(), server).log_in("tia_drafts")
    laptop.open_room("thread-drafts")
    laptop.wait(lambda: "second question" in laptop.texts())
    open_thread(laptop, "first question")
    laptop.find("#thread-text").send_keys("half an answer")
    wait_for(lambda: on_server().get((room, first["id"])) == "half an answer", message=f"not saved: {on_server()}")
    # The room's own box keeps nothing of it.
    assert laptop.js(BOX) == "" and (room, None) not in on_server()

    # Another thread starts empty and keeps its own; the first one's comes back.
    open_thread(laptop, "second question")
    assert laptop.js(THREAD_BOX) == ""
    laptop.find("#thread-text").send_keys("other words")
    open_thread(laptop, "first question")
    assert laptop.js(THREAD_BOX) == "half an answer"
    wait_for(lambda: on_server().get((room, second["id"])) == "other words", message=f"not saved: {on_server()}")

    # Through another room and back, and after a reload.
    laptop.open_room("thread-drafts-2")
    laptop.open_room("thread-drafts")
    laptop.wait(lambda: "first question" in laptop.texts())
    open_thread(laptop, "first question")
    assert laptop.js(THREAD_BOX) == "half an answer"
    laptop.driver.refresh()
    laptop.wait_ready()
    laptop.open_room("thread-drafts")
    laptop.wait(lambda: "second question" in laptop.texts())
    open_thread(laptop, "second question")
    assert laptop.js(THREAD_BOX) == "other words"

    # Another browser (none of the laptop's storage) finds both in their threads.
    phone = Chat(browsers(), server).log_in("tia_drafts")
    phone.open_room("thread-drafts")
    phone.wait(lambda: "first question" in phone.texts())
    open_thread(phone, "first question")
    phone.wait(lambda: phone.js(THREAD_BOX) == "half an answer", message=f"phone's box: {phone.js(THREAD_BOX)!r}")
    assert phone.js(BOX) == ""

    # Changed on the phone: the laptop's box follows while it shows that thread.
    phone.find("#thread-text").send_keys(", really")
    wait_for(lambda: on_server().get((room, first["id"])) == "half an answer, really", message=f"not saved: {on_server()}")
    open_thread(laptop, "first question")
    laptop.wait(lambda: laptop.js(THREAD_BOX) == "half an answer, really", message=f"laptop's box: {laptop.js(THREAD_BOX)!r}")

    # Sent from the laptop: a reply to the thread's message, and the draft goes from the server
    # and from the phone's box; the other thread's stays.
    laptop.find("#thread-text").send_keys(Keys.ENTER)
    laptop.wait(lambda: "half an answer, really" in laptop.texts())
    assert writer.history(room, limit=1)[0]["reply_to"] == first["id"]
    wait_for(lambda: (room, first["id"]) not in on_server(), message=f"still kept: {on_server()}")
    phone.wait(lambda: phone.js(THREAD_BOX) == "", message=f"phone's box: {phone.js(THREAD_BOX)!r}")
    assert on_server() == {(room, second["id"]): "other words"}
    assert other not in [key[0] for key in on_server()]
