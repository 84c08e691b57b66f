"""Drafts follow their writer to another device: what is left unsent in a room's box is saved on
the server, shows in a second browser (without the first one's storage), follows changes made
there, and goes from both once sent."""
import base64
import time

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


def draft_entries(chat):
    """The Drafts dialog's entries: (room, "· in a thread" or "", text)."""
    return chat.js("""return [...document.querySelectorAll('#drafts-list .draft-entry')].map(li => [
        li.querySelector('.search-meta strong').textContent,
        li.querySelector('.search-meta .muted')?.textContent ?? '',
        li.querySelector('.search-text').textContent])""")


def draft_marked(chat):
    return chat.js("return [...document.querySelectorAll('#sidebar a.room-link')].filter(a => a.querySelector('.draft-mark')).map(a => a.dataset.name)")


def test_drafts_are_marked_in_the_sidebar_listed_opened_and_deleted(server, browsers, account):
    dot = account("dot_dlist", display_name="Dot")
    alpha = dot.create_room("dlist-alpha")["id"]
    dot.create_room("dlist-beta")
    dot.post(alpha, "a question with a thread")
    laptop = Chat(browsers(), server).log_in("dot_dlist")
    phone = Chat(browsers(), server).log_in("dot_dlist")
    assert not laptop.find("#drafts-open").is_displayed()

    # A draft in a room's box and one in a thread's: the room is marked once I leave it.
    laptop.open_room("dlist-alpha")
    laptop.find("#composer-text").send_keys("half a thought")
    open_thread(laptop, "a question with a thread")
    laptop.find("#thread-text").send_keys("half an answer")
    laptop.open_room("dlist-beta")
    laptop.wait(lambda: draft_marked(laptop) == ["dlist-alpha"], message=lambda: f"marked {draft_marked(laptop)}")
    laptop.wait(lambda: laptop.find("#drafts-open").text == "Drafts (2)")
    # My other browser hears of both (from the server) and marks the room too.
    phone.wait(lambda: "dlist-alpha" in draft_marked(phone), message=lambda: f"phone marked {draft_marked(phone)}")
    phone.wait(lambda: phone.find("#drafts-open").text == "Drafts (2)")

    laptop.find("#drafts-open").click()
    laptop.wait(lambda: draft_entries(laptop) == [["#dlist-alpha", "", "half a thought"], ["#dlist-alpha", "· in a thread", "half an answer"]],
                message=lambda: f"entries {draft_entries(laptop)}")
    # The thread's entry opens the room with the thread beside it and its draft in the box.
    laptop.js("document.querySelectorAll('#drafts-list .draft-entry')[1].querySelector('button').click()")
    laptop.wait(lambda: laptop.room_title() == "dlist-alpha" and laptop.find("#thread-panel").is_displayed(), message="the thread did not open")
    laptop.wait(lambda: laptop.js(THREAD_BOX) == "half an answer")

    # Deleting the room's draft from the list empties it everywhere; the thread's stays.
    laptop.open_room("dlist-beta")
    laptop.find("#drafts-open").click()
    laptop.wait(lambda: len(draft_entries(laptop)) == 2)
    laptop.js("document.querySelector('#drafts-list .draft-entry button.secondary').click()")
    laptop.wait(lambda: draft_entries(laptop) == [["#dlist-alpha", "· in a thread", "half an answer"]], message=lambda: f"entries {draft_entries(laptop)}")
    laptop.wait(lambda: laptop.find("#drafts-open").text == "Drafts (1)")
    laptop.wait(lambda: [d["thread_id"] is not None for d in dot.call("GET", "/api/me/drafts", expect=200).json()["drafts"]] == [True])
    phone.wait(lambda: phone.find("#drafts-open").text == "Drafts (1)", message=lambda: f"phone {phone.find('#drafts-open').text}")
    laptop.js("document.getElementById('drafts-dialog').close()")
    laptop.open_room("dlist-alpha")
    assert laptop.js("return document.getElementById('composer-text').value") == ""


def test_a_draft_typed_just_before_a_reload_survives_it(server, browsers, account):
    writer = account("dee_reload", display_name="Dee Reload")
    room = writer.create_room("reload-drafts")["id"]
    writer.post(room, "the question")
    chat = Chat(browsers(), server).log_in("dee_reload")
    chat.open_room("reload-drafts")
    chat.wait(lambda: "the question" in chat.texts())
    chat.hover_action("the question", "reply")
    chat.wait(lambda: chat.find("#composer-context").is_displayed())
    chat.type("typed in a hurry")
    # At once: before the box's own save (a moment after typing) and the server's (a second after).
    chat.driver.refresh()
    chat.wait_ready()
    chat.wait(lambda: chat.js(BOX) == "typed in a hurry", message=lambda: f"the box holds {chat.js(BOX)!r}")
    chat.wait(lambda: chat.find("#composer-context").is_displayed() and "the question" in chat.text_of("composer-context-text"),
              message="the reply was lost")


def test_a_draft_cleared_while_offline_is_cleared_on_the_server_once_back(server, browsers, account):
    writer = account("dee_offline", display_name="Dee Offline")
    room = writer.create_room("offline-drafts")["id"]
    chat = Chat(browsers(), server).log_in("dee_offline")
    chat.open_room("offline-drafts")

    def on_server():
        return [d["text"] for d in writer.call("GET", "/api/me/drafts", expect=200).json()["drafts"] if d["room_id"] == room]

    chat.type("unsent draft words")
    chat.wait(lambda: on_server() == ["unsent draft words"], message="the draft did not reach the server")
    chat.network(offline=True)
    chat.wait(lambda: chat.connection() != "live", message="the client did not notice it is offline")
    box = chat.find("#composer-text")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    time.sleep(2.5)  # the removal was tried, and failed
    assert on_server() == ["unsent draft words"]
    chat.network()
    chat.wait(lambda: chat.connection() == "live", timeout=30, message="the client did not come back")
    chat.wait(lambda: on_server() == [], message=lambda: f"the server still has {on_server()}")


def test_a_draft_longer_than_a_message_stays_in_this_browser_without_being_refused_again_and_again(server, browsers, account):
    writer = account("lou_drafts")
    room = writer.create_room("long-drafts")["id"]

    def on_server():
        return [d["text"] for d in writer.call("GET", "/api/me/drafts", expect=200).json()["drafts"] if d["room_id"] == room]

    chat = Chat(browsers(), server).log_in("lou_drafts")
    chat.open_room("long-drafts")
    chat.type("a start")
    wait_for(lambda: on_server() == ["a start"], message=f"not saved: {on_server()}")
    chat.driver.get_log("browser")
    # Past 4,000 characters the server would refuse it (422) at every pause in typing: it is not sent.
    for length in (4001, 4002):
        chat.js("""const box = document.getElementById('composer-text');
            box.value = 'z'.repeat(arguments[0]); box.dispatchEvent(new Event('input', {bubbles: true}));""", length)
        time.sleep(2)
    refused = [e["message"] for e in chat.driver.get_log("browser") if "draft" in e["message"]]
    assert refused == [], refused
    assert on_server() == ["a start"]
    # Kept here all the same, and cut back to a message's length it is saved again.
    key = f"parley.drafts.{writer.id}"
    assert "z" * 4002 in (chat.js("return localStorage.getItem(arguments[0])", key) or "")
    chat.js("""const box = document.getElementById('composer-text');
        box.value = 'z'.repeat(4000); box.dispatchEvent(new Event('input', {bubbles: true}));""")
    wait_for(lambda: on_server() == ["z" * 4000], message="the draft cut back to 4,000 characters was not saved")


# A 2×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAEElEQVR4nGP4z8DAwMDAAAAeBAL+ZDuWvQAAAABJRU5ErkJggg==")


def test_a_file_shared_while_replying_answers_the_message_and_leaves_no_reply_draft_behind(server, browsers, account, tmp_path):
    alice = account("ada_capdraft", display_name="Ada")
    bob = account("bo_capdraft", display_name="Bo")
    room = alice.create_room("capdraft-room")["id"]
    bob.join(room)
    asked = alice.post(room, "send me the picture")
    image = tmp_path / "picture.png"
    image.write_bytes(PNG)

    def on_server():
        return {d["room_id"]: [d["text"], d["reply_to"]] for d in bob.call("GET", "/api/me/drafts", expect=200).json()["drafts"]}

    laptop = Chat(browsers(), server).log_in("bo_capdraft")
    phone = Chat(browsers(), server).log_in("bo_capdraft")
    for chat in (laptop, phone):
        chat.open_room("capdraft-room")
        chat.wait(lambda chat=chat: "send me the picture" in chat.texts())
    laptop.hover_action("send me the picture", "reply")
    laptop.type("caption replying")
    phone.wait(lambda: phone.js(BOX) == "caption replying" and phone.find("#composer-context").is_displayed(),
               message="the phone did not show the draft")

    # The picture and its caption answer the message (they went as a message of their own), and the reply ends.
    laptop.js("document.getElementById('attach-input').hidden = false")
    laptop.find("#attach-input").send_keys(str(image))
    laptop.js("document.getElementById('attach-input').hidden = true")
    laptop.wait(lambda: "caption replying" in laptop.texts())
    laptop.wait(lambda: not laptop.find("#composer-context").is_displayed())
    [shared] = [m for m in alice.history(room) if m["file"]]
    assert shared["text"] == "caption replying" and shared["reply_to"] == asked["id"], shared
    assert "send me the picture" in laptop.quote_text("caption replying")

    # Gone from the server, from my other browser, and after a reload.
    wait_for(lambda: room not in on_server(), message="the server still keeps the reply as a draft")
    phone.wait(lambda: not phone.find("#composer-context").is_displayed(), message=lambda: f"phone: {phone.text_of('composer-context')!r}")
    assert phone.js(BOX) == ""
    laptop.driver.refresh()
    laptop.wait_ready()
    laptop.open_room("capdraft-room")
    laptop.wait(lambda: "caption replying" in laptop.texts())
    time.sleep(1)
    assert not laptop.find("#composer-context").is_displayed()
    assert laptop.js(BOX) == ""
