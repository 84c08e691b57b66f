"""Two people chatting live: in `main`, in a DM, with typing, replies, edits and deletions."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat


def test_two_people_chat_live_in_main_and_in_a_dm(server, browsers, account):
    account("alice")
    account("bob")
    alice = Chat(browsers(), server).log_in("alice")
    bob = Chat(browsers(), server).log_in("bob")
    assert alice.room_title() == "main" and bob.room_title() == "main"

    alice.type("hel")
    bob.wait(lambda: bob.text_of("typing") == "alice is typing…", message="no typing indicator")
    alice.type("lo bob", Keys.ENTER)
    bob.wait(lambda: "hello bob" in bob.texts(), message="bob did not get alice's message")
    bob.wait(lambda: bob.text_of("typing") == "", message="typing indicator stayed after the message")
    bob.send("hi alice")
    alice.wait(lambda: "hi alice" in alice.texts(), message="alice did not get bob's message")
    assert alice.texts()[-2:] == ["hello bob", "hi alice"]
    assert bob.texts()[-2:] == ["hello bob", "hi alice"]

    # Alice opens a DM by searching for Bob's username; it appears on Bob's side live, unread.
    alice.open_dm_with("bob")
    alice.wait(lambda: alice.room_title() == "bob")
    alice.send("just us")
    bob.wait(lambda: "alice" in bob.sidebar_rooms("dm-list"), message="the DM did not appear for bob")
    bob.wait(lambda: bob.js("return document.querySelector('#dm-list a[data-name=\"alice\"] .badge')?.textContent") == "1")
    bob.open_room("alice", "dm-list")
    bob.wait(lambda: bob.texts() == ["just us"])
    bob.send("just us, indeed")
    alice.wait(lambda: alice.texts() == ["just us", "just us, indeed"], message="alice did not get bob's DM reply")
    # Opening the DM again finds the same room.
    alice.open_dm_with("bob")
    assert alice.texts() == ["just us", "just us, indeed"]
    assert len(alice.sidebar_rooms("dm-list")) == 1


def test_enter_sends_and_shift_enter_starts_a_new_line(server, browsers, account):
    writer = account("poet")
    chat = Chat(browsers(), server).log_in("poet")
    chat.type("roses are red", Keys.SHIFT, Keys.ENTER, Keys.SHIFT, "violets are blue")
    assert chat.texts().count("roses are red") == 0  # Shift+Enter did not send
    chat.type(Keys.ENTER)
    chat.wait(lambda: "roses are red\nviolets are blue" in chat.texts())
    assert [m["text"] for m in writer.history(1, limit=5)].count("roses are red\nviolets are blue") == 1
    assert chat.find("#composer-text").get_attribute("value") == ""


def test_reply_edit_and_delete_are_seen_live_by_the_other_person(server, browsers, account):
    account("carol")
    account("dave")
    carol = Chat(browsers(), server).log_in("carol")
    dave = Chat(browsers(), server).log_in("dave")
    carol.send("what time is the meeting?")
    dave.wait(lambda: "what time is the meeting?" in dave.texts())

    # Dave replies with the keyboard: arrows move through the messages, Tab reaches the actions.
    dave.find("#messages").send_keys(Keys.END)
    dave.wait(lambda: dave.js("return document.activeElement.matches('li.message')"))
    dave.js("document.activeElement.querySelector('[data-action=reply]').focus()")
    dave.driver.switch_to.active_element.send_keys(Keys.ENTER)
    dave.wait(lambda: "Replying to carol" in dave.text_of("composer-context-text"))
    dave.send("at ten")
    for chat in (carol, dave):
        chat.wait(lambda: "at ten" in chat.texts())
        quote = chat.quote_text("at ten")
        assert "carol" in quote and "what time is the meeting?" in quote

    # Carol edits her message: ↑ in the empty box edits her last one.
    carol.type(Keys.ARROW_UP)
    carol.wait(lambda: carol.text_of("composer-context-text") == "Editing your message")
    box = carol.find("#composer-text")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("what time is the meeting tomorrow?", Keys.ENTER)
    for chat in (carol, dave):
        chat.wait(lambda: "what time is the meeting tomorrow?" in chat.texts(), message="the edit did not show")
        assert "(edited)" in chat.message("what time is the meeting tomorrow?").text
        # The reply's quote follows the edit.
        chat.wait(lambda: "tomorrow" in chat.quote_text("at ten"))

    # Carol deletes it; both see the tombstone, and the reply's quote says so.
    carol.hover_action("what time is the meeting tomorrow?", "delete")
    carol.confirm()
    for chat in (carol, dave):
        chat.wait(lambda: "This message was deleted." in chat.texts(), message="the deletion did not show")
        assert "what time is the meeting tomorrow?" not in chat.texts()
        assert "This message was deleted." in chat.quote_text("at ten")
    # Dave cannot edit or delete Carol's messages: no such buttons on them.
    carol.send("mine only")
    dave.wait(lambda: "mine only" in dave.texts())
    actions = dave.message("mine only").find_elements("css selector", "[data-action]")
    assert [a.get_attribute("data-action") for a in actions] == ["react", "reply", "thread-reply", "link", "forward", "remind", "save", "unread", "report"]


def test_a_reply_to_an_old_message_shows_its_target_and_jumps_to_it(server, browsers, account):
    talker = account("talker")
    room = talker.create_room("longthread")["id"]
    first = talker.post(room, "the very first message")
    for n in range(80):
        talker.post(room, f"filler {n}")
    talker.post(room, "answering the first one", reply_to=first["id"])
    chat = Chat(browsers(), server).log_in("talker")
    chat.open_room("longthread")
    assert "the very first message" not in chat.texts()  # older than the first page
    quote = lambda: chat.message("answering the first one").find_element("css selector", ".quote")
    chat.wait(lambda: "the very first message" in quote().text, message="the reply target was not fetched")
    quote().click()
    chat.wait(lambda: "the very first message" in chat.texts(), message="jumping did not load the target")
    chat.wait(lambda: chat.js("""const li = document.querySelector('#messages li.message[data-id="' + arguments[0] + '"]');
        const list = document.getElementById('messages').getBoundingClientRect(), box = li.getBoundingClientRect();
        return box.top >= list.top && box.bottom <= list.bottom""", str(first["id"])), message="the target is not in view")


def test_an_unsent_draft_and_its_reply_survive_a_reload_until_sent_or_logged_out(server, browsers, account):
    writer = account("drafter")
    room = writer.create_room("draft-room")["id"]
    earlier = writer.post(room, "something to answer")
    chat = Chat(browsers(), server).log_in("drafter")
    chat.open_room("draft-room")
    chat.wait(lambda: "something to answer" in chat.texts())
    chat.hover_action("something to answer", "reply")
    chat.type("half a thought")
    key = f"parley.drafts.{writer.id}"
    chat.wait(lambda: "half a thought" in (chat.js("return localStorage.getItem(arguments[0])", key) or ""))
    # Another room's box starts empty; back here, the draft is there.
    chat.open_room("main")
    assert chat.find("#composer-text").get_attribute("value") == ""

    chat.driver.refresh()
    chat.wait_ready()
    chat.open_room("draft-room")
    chat.wait(lambda: chat.find("#composer-text").get_attribute("value") == "half a thought")
    assert chat.find("#composer-context").is_displayed() and "something to answer" in chat.text_of("composer-context")
    chat.type(Keys.ENTER)
    chat.wait(lambda: "half a thought" in chat.texts())
    assert writer.history(room, limit=1)[0]["reply_to"] == earlier["id"]
    chat.wait(lambda: "half a thought" not in (chat.js("return localStorage.getItem(arguments[0])", key) or ""))
    chat.driver.refresh()
    chat.wait_ready()
    chat.open_room("draft-room")
    assert chat.find("#composer-text").get_attribute("value") == ""

    chat.type("never sent")
    chat.wait(lambda: "never sent" in (chat.js("return localStorage.getItem(arguments[0])", key) or ""))
    chat.find("#logout").click()
    chat.wait(lambda: chat.find("#auth").is_displayed())
    assert chat.js("return localStorage.getItem(arguments[0])", key) is None


def test_the_edit_history_shows_every_earlier_text(server, browsers, account):
    eli = account("eli_edits", display_name="Eli")
    message = eli.post(1, "first draft")
    for text in ("second draft", "final text"):
        eli.call("PATCH", f"/api/messages/{message['id']}", expect=200, json={"text": text})
    chat = Chat(browsers(), server).log_in("eli_edits")
    chat.wait(lambda: "final text" in chat.texts())
    chat.message("final text").find_element(By.CSS_SELECTOR, ".meta button.edited").click()
    chat.wait(lambda: chat.dialog_open("edits-dialog"))
    versions = """return [...document.querySelectorAll('#edits-list li')].map(li => [li.querySelector('strong').textContent,
        li.querySelector('.text').textContent])"""
    chat.wait(lambda: chat.js(versions) == [["Original", "first draft"], ["Version 2", "second draft"], ["Now", "final text"]],
              message=str(chat.js(versions)))
    assert chat.text_of("edits-status") == "2 earlier versions."


def test_a_very_long_message_is_folded_behind_show_more(server, browsers, account):
    lea = account("lea_fold", display_name="Lea")
    mo = account("mo_fold", display_name="Mo")
    room = lea.create_room("fold-room")["id"]
    mo.join(room)
    long_text = " ".join(f"word{n}" for n in range(600))[:3990] + " END"
    long = mo.post(room, long_text)
    mo.post(room, "short one")
    chat = Chat(browsers(), server).log_in("lea_fold")
    chat.open_room("fold-room")
    chat.wait(lambda: "short one" in chat.texts())
    state = """const li = document.querySelector(`#messages li.message[data-id="${arguments[0]}"]`);
        const text = li.querySelector('.text'), toggle = li.querySelector('.fold-toggle');
        return [text.clientHeight < text.scrollHeight - 1, toggle?.textContent ?? null, toggle?.getAttribute('aria-expanded') ?? null,
                toggle?.getAttribute('aria-controls') === text.id]"""
    assert chat.js(state, long["id"]) == [True, "Show more", "false", True]
    # A short message has no button.
    assert chat.js("return !!document.querySelector(`#messages li.message[data-id='${arguments[0]}'] .fold-toggle`)", chat.message_id("short one")) is False
    # By keyboard: to the message with ↑, Enter into it, Tab to "Show more", Enter.
    chat.find("#messages").send_keys(Keys.END)
    chat.driver.switch_to.active_element.send_keys(Keys.ARROW_UP)
    assert chat.js("return document.activeElement.dataset.id") == str(long["id"])
    chat.driver.switch_to.active_element.send_keys(Keys.ENTER)
    for _ in range(10):
        if chat.js("return document.activeElement.classList.contains('fold-toggle')"):
            break
        chat.driver.switch_to.active_element.send_keys(Keys.TAB)
    chat.driver.switch_to.active_element.send_keys(Keys.ENTER)
    chat.wait(lambda: chat.js(state, long["id"]) == [False, "Show less", "true", True])
    # Shown whole it stays so when the message is rebuilt (a reaction), with the focus on its button.
    mo.call("PUT", f"/api/messages/{long['id']}/reactions/%F0%9F%91%8D", expect=200)
    chat.wait(lambda: chat.js("return !!document.querySelector('#messages .reaction')"))
    assert chat.js(state, long["id"]) == [False, "Show less", "true", True]
    assert chat.js("return document.activeElement.classList.contains('fold-toggle')")
    chat.driver.switch_to.active_element.send_keys(Keys.ENTER)
    chat.wait(lambda: chat.js(state, long["id"]) == [True, "Show more", "false", True])
