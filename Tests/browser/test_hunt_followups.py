"""What a tester found: "(edited)" and my messages' status on grouped messages; a muted member (and
someone in a DM with a person they blocked) offered votes, reactions and replies the server refuses;
a poll in a room's preview; a picked send time shown a minute early; invite links' uses; Pin on a
pinned message; search results with their formatting marks."""
import re
from datetime import datetime

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

THUMBS = "%F0%9F%91%8D"


def shown(chat, css):
    """Whether an element matching `css` is on the page and visible."""
    return any(node.is_displayed() for node in chat.driver.find_elements(By.CSS_SELECTOR, css))


def message_actions(chat, text):
    """The data-action names of a message's action buttons."""
    return chat.js("""const li = [...document.querySelectorAll('#messages li.message:not(.pending)')]
            .find(li => li.querySelector('.text')?.textContent === arguments[0]);
        return [...(li?.querySelectorAll('.actions [data-action]') ?? [])].map(b => b.dataset.action)""", text)


def poll_state(chat, scope, question):
    """The poll under the message `question` in `scope`: whether each choice is enabled, and its footer."""
    return chat.js("""const li = [...document.querySelectorAll(arguments[0] + ' li')]
            .find(li => li.querySelector('.text')?.textContent === arguments[1]);
        const poll = li?.querySelector('.poll');
        if (!poll) return null;
        return [[...poll.querySelectorAll('.poll-choice')].map(b => !b.disabled), poll.querySelector('.poll-footer').textContent]""",
                   scope, question)


def test_edited_and_my_status_show_on_grouped_messages(server, browsers, account):
    ann = account("hf_ann_grouped", display_name="Ann Grouped")
    bob = account("hf_bob_grouped", display_name="Bob Grouped")
    room = ann.create_room("hf-grouped")["id"]
    bob.join(room)
    ann.post(room, "first of a run")
    second = ann.post(room, "second of the run")
    ann.call("PATCH", f"/api/messages/{second['id']}", expect=200, json={"text": "second, edited"})
    ann.post(room, "third with a longer text that goes on for a while so that the line is well filled")
    chat = Chat(browsers(), server).log_in("hf_ann_grouped")
    chat.open_room("hf-grouped")
    chat.wait(lambda: "second, edited" in chat.texts())
    node = chat.message("second, edited")
    assert "continued" in node.get_attribute("class")
    # The grouped message keeps its compact look: no name, no avatar.
    assert chat.js("return arguments[0].querySelector('.meta').getBoundingClientRect().height", node) <= 1
    assert not node.find_element(By.CSS_SELECTOR, ".avatar").is_displayed()
    chat.wait(lambda: shown(chat, f'li.message[data-id="{second["id"]}"] .meta-tail .status'), message="no status on the grouped message")
    edited = node.find_element(By.CSS_SELECTOR, ".meta-tail button.edited")
    assert edited.is_displayed() and edited.text == "(edited)"
    # "(edited)" follows the text on its line (the message is one line high, as before).
    text_box = chat.js("const r = arguments[0].querySelector('.text').getClientRects(); return [r[r.length - 1].top, r[r.length - 1].bottom]", node)
    tail_box = chat.js("const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom]", edited)
    assert tail_box[0] >= text_box[0] - 4 and tail_box[1] <= text_box[1] + 4, (text_box, tail_box)
    # Once each: the header's copy is not shown (nor read out) on a grouped message.
    assert chat.js("return getComputedStyle(arguments[0].querySelector('.meta .edited')).display", node) == "none"
    # The first message of the run keeps its header with the author, and no second "(edited)" line.
    first = chat.message("first of a run")
    assert chat.js("return arguments[0].querySelector('.meta').getBoundingClientRect().height", first) > 10
    assert not shown(chat, f'li.message[data-id="{first.get_attribute("data-id")}"] .meta-tail')
    chat.driver.save_screenshot("/tmp/hf_grouped.png")
    edited.click()
    chat.wait(lambda: chat.dialog_open("edits-dialog"), message="(edited) did not open the edit history")
    chat.wait(lambda: "second of the run" in chat.text_of("edits-list"))


def test_a_muted_member_is_offered_no_votes_reactions_or_replies(server, browsers, account):
    owner = account("hf_mute_owner", display_name="Olga Owner")
    bob = account("hf_mute_bob", display_name="Bob Muted")
    room = owner.create_room("hf-mute-room")["id"]
    bob.join(room)
    owner.call("POST", f"/api/rooms/{room}/polls", expect=201, json={"question": "Lunch where?", "options": ["Pizza", "Soup"], "multiple": False})
    root = owner.post(room, "root of a thread")
    owner.post(room, "a reply in it", reply_to=root["id"])
    owner.call("PUT", f"/api/messages/{root['id']}/reactions/{THUMBS}", expect=200)
    bob.call("PUT", f"/api/messages/{root['id']}/reactions/%F0%9F%8E%89", expect=200)
    chat = Chat(browsers(), server).log_in("hf_mute_bob")
    chat.open_room("hf-mute-room")
    chat.wait(lambda: "root of a thread" in chat.texts() and poll_state(chat, "#messages", "Lunch where?") is not None)
    assert poll_state(chat, "#messages", "Lunch where?") == [[True, True], "0 voters · Choose one"]
    chat.message("root of a thread").find_element(By.CSS_SELECTOR, ".thread-link").click()
    chat.wait(lambda: chat.find("#thread-text").is_enabled() and "a reply in it" in chat.text_of("thread-replies"))
    assert {"react", "reply", "thread-reply"} <= set(message_actions(chat, "root of a thread"))

    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": bob.id, "duration_seconds": 3600})
    chat.wait(lambda: not chat.find("#composer-text").is_enabled())
    # The thread's box follows the room's, with the same note.
    chat.wait(lambda: not chat.find("#thread-text").is_enabled(), message="the thread's box stayed open to a muted member")
    assert "muted you here until" in chat.find("#thread-text").get_attribute("placeholder")
    assert chat.find("#thread-text").get_attribute("placeholder") == chat.find("#composer-text").get_attribute("placeholder")
    assert not chat.find("#thread-send").is_enabled()
    assert not chat.driver.find_elements(By.CSS_SELECTOR, "#thread-panel [data-action=react]")
    # No votes, reactions or replies in the room.
    chat.wait(lambda: poll_state(chat, "#messages", "Lunch where?")[0] == [False, False], message="the poll still takes votes")
    assert "muted you here until" in poll_state(chat, "#messages", "Lunch where?")[1]
    actions = set(message_actions(chat, "root of a thread"))
    assert not actions & {"react", "reply", "thread-reply"}, actions
    # Others' reactions are shown, not offered; my own stays a button that takes it back, as the server allows.
    reaction_buttons = """return Object.fromEntries([...document.querySelectorAll('#messages .reaction')].map(b => [b.dataset.emoji, !b.disabled]))"""
    chat.wait(lambda: chat.js(reaction_buttons) == {"👍": False, "🎉": True}, message="the reaction buttons do not follow the mute")
    chat.js("document.querySelector('#messages .reaction[data-emoji=\"🎉\"]').click()")
    chat.wait(lambda: chat.js(reaction_buttons) == {"👍": False}, message="my reaction was not taken back")
    kept = [m for m in owner.call("GET", f"/api/rooms/{room}/messages", expect=200).json()["messages"] if m["id"] == root["id"]][0]["reactions"]
    assert [r["emoji"] for r in kept] == ["👍"], kept

    # A refusal for being muted says when it ends in the reader's time, not as an ISO timestamp.
    refusal = chat.driver.execute_async_script("""const done = arguments[arguments.length - 1];
        import('/api.js').then((api) => api.Messages.react(arguments[0], '🎉')).then(() => done('accepted'), (error) => done(error.message))""", root["id"])
    assert refusal.startswith("You are muted in this room until "), refusal
    # (No ISO 8601 in it: not a `T` between date and time, which "Tuesday" and "Thursday" have too.)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}Z", refusal), refusal

    owner.call("DELETE", f"/api/rooms/{room}/mutes/{bob.id}", expect=204)
    chat.wait(lambda: chat.find("#thread-text").is_enabled(), message="the thread's box stayed closed after the mute was lifted")
    assert chat.find("#thread-text").get_attribute("placeholder") == "Reply…"
    chat.wait(lambda: poll_state(chat, "#messages", "Lunch where?") == [[True, True], "0 voters · Choose one"])
    assert {"react", "reply", "thread-reply"} <= set(message_actions(chat, "root of a thread"))


def test_after_a_reload_a_muted_member_sees_the_mute_when_the_room_opens(server, browsers, account):
    owner = account("hf_remute_owner", display_name="Olga Again")
    bob = account("hf_remute_bob", display_name="Bob Again")
    room = owner.create_room("hf-remute-room")["id"]
    bob.join(room)
    owner.post(room, "hello there")
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": bob.id, "duration_seconds": 7200})
    detail = bob.call("GET", f"/api/rooms/{room}", expect=200).json()
    assert "my_mute" in detail, "the server does not say my_mute yet"
    # (Logged in after the mute: this client never heard of it.)
    chat = Chat(browsers(), server).log_in("hf_remute_bob")
    chat.open_room("hf-remute-room")
    # Known as the room opens, without a refused request first.
    chat.wait(lambda: "muted you here until" in (chat.find("#composer-text").get_attribute("placeholder") or ""),
              message="the mute was not known when the room opened")
    assert not chat.find("#composer-text").is_enabled()
    owner.call("DELETE", f"/api/rooms/{room}/mutes/{bob.id}", expect=204)
    chat.wait(lambda: chat.find("#composer-text").is_enabled())


def test_in_a_dm_with_someone_i_blocked_the_thread_box_is_closed_too(server, browsers, account):
    ann = account("hf_blocker", display_name="Ann Blocker")
    carl = account("hf_blocked", display_name="Carl Blocked")
    dm = ann.call("POST", "/api/dms", expect=201, json={"user_id": carl.id}).json()["room"]["id"]
    root = ann.post(dm, "my question")
    carl.post(dm, "his answer", reply_to=root["id"])
    ann.call("PUT", f"/api/me/blocks/{carl.id}", expect=204)
    chat = Chat(browsers(), server).log_in("hf_blocker")
    chat.open_room("Carl Blocked", "dm-list")
    chat.wait(lambda: "my question" in chat.texts())
    chat.wait(lambda: not chat.find("#composer-text").is_enabled())
    chat.message("my question").find_element(By.CSS_SELECTOR, ".thread-link").click()
    chat.wait(lambda: chat.find("#thread-panel").is_displayed() and chat.text_of("thread-count") == "1 reply")
    chat.wait(lambda: not chat.find("#thread-text").is_enabled(), message="the thread's box stayed open in a blocked DM")
    assert chat.find("#thread-text").get_attribute("placeholder") == "You blocked Carl Blocked: unblock them to write here."
    assert not set(message_actions(chat, "my question")) & {"react", "reply", "thread-reply"}


def test_a_poll_in_a_rooms_preview_is_shown_without_voting_and_not_as_archived(server, browsers, account):
    host = account("hf_poll_host", display_name="Host")
    account("hf_poll_visitor")
    room = host.create_room("hf-poll-preview")["id"]
    host.call("POST", f"/api/rooms/{room}/polls", expect=201, json={"question": "Which day?", "options": ["Monday", "Friday"], "multiple": False})
    visitor = Chat(browsers(), server).log_in("hf_poll_visitor")
    visitor.find("#browse-rooms").click()
    visitor.wait(lambda: visitor.driver.find_elements(By.CSS_SELECTOR, '#browse-list button[aria-label="Preview hf-poll-preview"]'))
    visitor.find('#browse-list button[aria-label="Preview hf-poll-preview"]').click()
    visitor.wait(lambda: poll_state(visitor, "#browse-preview-list", "Which day?") is not None)
    choices, footer = poll_state(visitor, "#browse-preview-list", "Which day?")
    assert choices == [False, False]
    assert "archived" not in footer, footer
    assert footer == "0 voters · Join the room to vote"


def test_a_picked_send_time_is_kept_to_the_minute(server, browsers, account):
    account("hf_sched", display_name="Sched")
    chat = Chat(browsers(), server).log_in("hf_sched")
    chat.type("at the minute I picked")
    chat.find("#schedule-send").click()
    chat.wait(lambda: chat.js("return document.querySelector('.schedule-menu .schedule-at') !== null"))
    # Three minutes ahead, on the minute; clicked late in a second, where rounding the seconds down
    # would send it (and show it) before the minute picked.
    picked = chat.js("""const d = new Date(Date.now() + 180000); d.setSeconds(0, 0);
        const pad = (n) => String(n).padStart(2, '0');
        const input = document.querySelector('.schedule-menu .schedule-at');
        input.value = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
        const button = document.querySelector('.schedule-menu .schedule-picked');
        setTimeout(() => button.click(), (1700 - Date.now() % 1000) % 1000);
        const full = new Intl.DateTimeFormat(navigator.languages, { dateStyle: 'full', timeStyle: 'short' });
        return [d.getTime(), full.format(d)]""")
    chat.wait(lambda: "Scheduled for" in chat.js("return document.querySelector('.toasts')?.textContent ?? ''"))
    [entry] = chat.js("return fetch('/api/me/scheduled').then(r => r.json()).then(b => b.scheduled)")
    send_at = datetime.fromisoformat(entry["send_at"].replace("Z", "+00:00")).timestamp() * 1000
    assert send_at >= picked[0], f"sent at {entry['send_at']}, before the minute picked"
    assert f"Scheduled for {picked[1]}." in chat.js("return document.querySelector('.toasts').textContent")
    chat.find("#scheduled-open").click()
    chat.wait(lambda: chat.dialog_open("scheduled-dialog") and "at the minute I picked" in chat.text_of("scheduled-list"))
    assert chat.js("return document.querySelector('#scheduled-list li strong').textContent") == picked[1]


def test_invite_links_say_once_and_follow_their_uses_while_open(server, browsers, account):
    owner = account("hf_inviter", display_name="Ines Inviter")
    first = account("hf_invitee_one")
    second = account("hf_invitee_two")
    group = owner.create_room("hf-invites", kind="group")["id"]
    open_link = owner.call("POST", f"/api/rooms/{group}/invites", expect=201, json={}).json()["invite"]
    once = owner.call("POST", f"/api/rooms/{group}/invites", expect=201, json={"max_uses": 1}).json()["invite"]
    first.call("POST", f"/api/invites/{open_link['code']}/join", expect=200)
    chat = Chat(browsers(), server).log_in("hf_inviter")
    chat.open_invites("hf-invites")
    count = "return document.querySelectorAll('#invite-list li[data-invite-id]').length"
    chat.wait(lambda: chat.js(count) == 2)
    assert "used once" in chat.text_of("invite-list") and "times" not in chat.text_of("invite-list")
    assert "used 0 of 1" in chat.text_of("invite-list")
    # The "once" link is used while the dialog is open: it leaves the links that work.
    second.call("POST", f"/api/invites/{once['code']}/join", expect=200)
    chat.wait(lambda: chat.js(count) == 1, message="a used-up link stayed among the links that work")
    assert "used 0 of 1" not in chat.text_of("invite-list")


def test_a_demoted_admins_invite_link_is_listed_as_not_working_and_can_be_revoked(server, browsers, account):
    owner = account("hf_link_owner", display_name="Olive")
    admin = account("hf_link_admin", display_name="Ada")
    outsider = account("hf_link_outsider")
    group = owner.create_room("hf-dormant", kind="group", members=[admin.id])["id"]
    owner.call("PUT", f"/api/rooms/{group}/members/{admin.id}/role", expect=200, json={"role": "admin"})
    code = admin.call("POST", f"/api/rooms/{group}/invites", expect=201, json={}).json()["invite"]["code"]
    owner.call("PUT", f"/api/rooms/{group}/members/{admin.id}/role", expect=200, json={"role": "member"})
    outsider.call("GET", f"/api/invites/{code}", expect=404)
    chat = Chat(browsers(), server).log_in("hf_link_owner")
    chat.open_invites("hf-dormant")
    warning = "return [...document.querySelectorAll('#invite-list li[data-invite-id]')].map(li => li.querySelector('.invite-inactive')?.textContent ?? null)"
    chat.wait(lambda: chat.js(warning) == ["Not working: its maker is no longer an admin."], message="the demoted admin's link was not listed as not working")
    chat.find("#invite-list li[data-invite-id] button").click()
    chat.wait(lambda: chat.js(warning) == [], message="the link was not revoked")
    # Made an admin again, Ada's revoked link stays dead.
    owner.call("PUT", f"/api/rooms/{group}/members/{admin.id}/role", expect=200, json={"role": "admin"})
    outsider.call("GET", f"/api/invites/{code}", expect=404)
    assert not chat.alerts()

def test_a_pinned_message_offers_unpin(server, browsers, account):
    owner = account("hf_pinner", display_name="Pia Pinner")
    room = owner.create_room("hf-pins")["id"]
    pinned = owner.post(room, "already pinned")
    owner.post(room, "not pinned")
    owner.call("POST", f"/api/rooms/{room}/pins", expect=201, json={"message_id": pinned["id"]})
    chat = Chat(browsers(), server).log_in("hf_pinner")
    chat.open_room("hf-pins")
    chat.wait(lambda: "already pinned" in chat.text_of("pins") and "not pinned" in chat.texts())
    chat.wait(lambda: "unpin" in message_actions(chat, "already pinned"))
    assert "pin" not in message_actions(chat, "already pinned")
    assert "pin" in message_actions(chat, "not pinned") and "unpin" not in message_actions(chat, "not pinned")
    chat.hover_action("already pinned", "unpin")
    chat.wait(lambda: owner.call("GET", f"/api/rooms/{room}/pins", expect=200).json()["pins"] == [], message="not unpinned")
    chat.wait(lambda: "pin" in message_actions(chat, "already pinned"), message="Pin did not come back")
    assert not chat.find("#pins").is_displayed()
    assert not chat.alerts()


def test_search_results_show_messages_without_their_formatting_marks(server, browsers, account):
    dee = account("hf_searcher", display_name="Dee")
    room = dee.create_room("hf-search")["id"]
    dee.post(room, "a **quokka** moment with `code` and _style_")
    chat = Chat(browsers(), server).log_in("hf_searcher")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    chat.find("#search-input").send_keys("quokka")
    results = "return [...document.querySelectorAll('#search-results .search-result .search-text')].map(n => n.textContent)"
    chat.wait(lambda: chat.js(results) != [] and chat.js(results) is not None and len(chat.js(results)) == 1)
    assert chat.js(results) == ["a quokka moment with code and style"]
    assert chat.js("return [...document.querySelectorAll('#search-results mark')].map(m => m.textContent)") == ["quokka"]


def test_an_edit_of_a_message_deleted_meanwhile_keeps_what_was_typed(server, browsers, account):
    owner = account("hf_edit_owner", display_name="Olive Owner")
    ed = account("hf_edit_ed", display_name="Ed Editor")
    room = owner.create_room("hf-edit-deleted")["id"]
    ed.join(room)
    first = ed.post(room, "my first words")
    second = ed.post(room, "my second words")
    chat = Chat(browsers(), server).log_in("hf_edit_ed")
    chat.open_room("hf-edit-deleted")
    chat.wait(lambda: "my second words" in chat.texts())
    box = chat.find("#composer-text")

    # An edit with new text: a moderator deletes the message; the text stays, to send as a new one.
    chat.hover_action("my first words", "edit")
    chat.wait(lambda: box.get_attribute("value") == "my first words")
    box.send_keys(", and a long thought added to them")
    owner.call("DELETE", f"/api/messages/{first['id']}", expect=204)
    chat.wait(lambda: not chat.find("#composer-context").is_displayed(), message="the edit did not end")
    assert box.get_attribute("value") == "my first words, and a long thought added to them"
    chat.wait(lambda: "was deleted" in chat.text_of("composer-error") and chat.find("#composer-error").is_displayed())
    assert "still in the box" in chat.text_of("composer-error")
    box.send_keys(Keys.ENTER)
    chat.wait(lambda: ed.history(room)[0]["text"] == "my first words, and a long thought added to them",
              message="the kept text was not sent as a new message")
    assert ed.history(room)[0]["id"] > second["id"]
    chat.wait(lambda: box.get_attribute("value") == "")

    # An edit with nothing changed yet just ends, with the note.
    chat.hover_action("my second words", "edit")
    chat.wait(lambda: box.get_attribute("value") == "my second words")
    owner.call("DELETE", f"/api/messages/{second['id']}", expect=204)
    chat.wait(lambda: not chat.find("#composer-context").is_displayed(), message="the edit did not end")
    assert box.get_attribute("value") == ""
    chat.wait(lambda: chat.text_of("composer-error") == "The message you were editing was deleted.")


def test_the_room_log_tells_renames_topics_passwords_and_handovers(server, browsers, account):
    owner = account("hf_log_owner", display_name="Lou Owner")
    ada = account("hf_log_ada", display_name="Ada Admin")
    room = owner.create_room("hf-log-room")["id"]
    ada.join(room)
    owner.call("PUT", f"/api/rooms/{room}/members/{ada.id}/role", expect=200, json={"role": "admin"})
    ada.call("PATCH", f"/api/rooms/{room}", expect=200, json={"name": "hf-log-plaza", "topic": "News"})
    ada.call("PATCH", f"/api/rooms/{room}", expect=200, json={"password": "sesame"})
    ada.call("PATCH", f"/api/rooms/{room}", expect=200, json={"password": None, "topic": ""})
    owner.call("POST", f"/api/rooms/{room}/owner", expect=200, json={"user_id": ada.id})
    chat = Chat(browsers(), server).log_in("hf_log_owner")
    chat.open_room("hf-log-plaza")
    chat.find("#members-toggle").click()
    chat.wait(lambda: chat.find("#moderation-open").is_displayed(), message="no Moderation button")
    chat.find("#moderation-open").click()
    chat.wait(lambda: chat.dialog_open("moderation-dialog"))
    chat.find("#room-log-section summary").click()
    log = lambda: chat.js("return [...document.querySelectorAll('#room-log li .name')].map(n => n.textContent)")
    chat.wait(lambda: len(log()) == 7, message=lambda: f"{log()}")
    assert log()[:6] == [
        "Lou Owner handed ownership to @hf_log_ada",
        "Ada Admin removed the password",
        "Ada Admin cleared the topic",
        "Ada Admin set a password for joining",
        "Ada Admin changed the topic to “News”",
        "Ada Admin renamed the room (hf-log-room → hf-log-plaza)",
    ], log()


def test_a_reply_to_a_deleted_message_says_so_and_a_second_edit_outlives_the_first_save(server, browsers, account):
    owner = account("hf_reply_owner", display_name="Rita Owner")
    ed = account("hf_reply_ed", display_name="Rex Replier")
    room = owner.create_room("hf-reply-deleted")["id"]
    ed.join(room)
    target = owner.post(room, "reply to me")
    chat = Chat(browsers(), server).log_in("hf_reply_ed")
    chat.open_room("hf-reply-deleted")
    chat.wait(lambda: "reply to me" in chat.texts())
    box = chat.find("#composer-text")
    chat.hover_action("reply to me", "reply")
    chat.wait(lambda: chat.find("#composer-context").is_displayed())
    box.send_keys("my answer")
    owner.call("DELETE", f"/api/messages/{target['id']}", expect=204)
    chat.wait(lambda: not chat.find("#composer-context").is_displayed(), message="the reply did not end")
    assert box.get_attribute("value") == "my answer"
    chat.wait(lambda: chat.text_of("composer-error") == "The message you were replying to was deleted.")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)

    # Editing one message, saved on a slow network, then another at once: the second edit stays.
    ed.post(room, "first of mine")
    ed.post(room, "second of mine")
    chat.wait(lambda: "second of mine" in chat.texts())
    chat.network(latency_ms=700)
    chat.hover_action("first of mine", "edit")
    chat.wait(lambda: box.get_attribute("value") == "first of mine")
    box.send_keys(", edited")
    box.send_keys(Keys.ENTER)
    chat.hover_action("second of mine", "edit")
    chat.wait(lambda: box.get_attribute("value") == "second of mine")
    chat.wait(lambda: "first of mine, edited" in chat.texts(), message="the first edit was not saved")
    chat.network()
    assert box.get_attribute("value") == "second of mine"
    assert chat.find("#composer-context").is_displayed() and chat.text_of("composer-context-text") == "Editing your message"
