"""Activity: the mentions, replies and DMs that notified me, with a dot for new ones, each opening its message."""
import time

from parley_browser import Chat


def entries(chat):
    return chat.js("""return [...document.querySelectorAll('#activity-list li.activity-entry')]
        .map(li => [li.dataset.reason, li.querySelector('.search-text').textContent])""")


def has_dot(chat):
    return chat.js("return document.getElementById('activity-open').classList.contains('has-new')")


def test_mentions_replies_and_dms_are_listed_marked_new_and_open_their_message(server, browsers, account):
    amy = account("amy_activity", display_name="Amy")
    ned = account("ned_activity", display_name="Ned")
    room = ned.create_room("act-room")["id"]
    amy.join(room)
    mine = amy.post(room, "the numbers are in")
    chat = Chat(browsers(), server).log_in("amy_activity")
    chat.open_room("main")
    chat.wait(lambda: chat.js("return document.getElementById('activity-open').getAttribute('aria-label')") == "Mentions and replies")
    assert not has_dot(chat)

    # While Amy reads main, Ned mentions her, answers her and writes to her directly.
    mention = ned.post(room, "@amy_activity can you check the totals?")
    ned.post(room, "they look right to me", reply_to=mine["id"])
    dm = ned.call("POST", "/api/dms", expect=201, json={"user_id": amy.id}).json()["room"]["id"]
    ned.post(dm, "lunch later?")
    ned.post(room, "an ordinary message")
    chat.wait(lambda: has_dot(chat), message="no dot for new activity")
    assert chat.js("return document.getElementById('activity-open').getAttribute('aria-label')") == "Mentions and replies (new)"

    chat.find("#activity-open").click()
    chat.wait(lambda: chat.dialog_open("activity-dialog"))
    chat.wait(lambda: entries(chat) == [
        ["dm", "lunch later?"], ["reply", "they look right to me"], ["mention", "@amy_activity can you check the totals?"],
    ], message=f"activity: {entries(chat)}")
    assert chat.js("return document.querySelectorAll('#activity-list li.new').length") == 3
    assert "replied to you in #act-room" in chat.find('#activity-list li[data-reason="reply"]').text
    chat.wait(lambda: not has_dot(chat), message="opening the list did not clear the dot")

    # An entry opens its room at the message.
    chat.find(f'#activity-list li[data-message="{mention["id"]}"] button').click()
    chat.wait(lambda: not chat.dialog_open("activity-dialog"))
    chat.wait(lambda: chat.room_title() == "act-room")
    chat.wait(lambda: chat.js("return document.activeElement?.dataset?.id") == str(mention["id"]))

    # Seen stays seen after a reload; a new mention brings the dot back.
    chat.driver.refresh()
    chat.wait_ready()
    chat.open_room("main")
    chat.wait(lambda: chat.js("return document.getElementById('activity-open').getAttribute('aria-label')") is not None)
    assert not has_dot(chat)
    ned.post(room, "@amy_activity one more thing")
    chat.wait(lambda: has_dot(chat), message="a later mention brought no dot")


def test_what_one_device_saw_is_seen_on_the_others(server, browsers, account):
    kai = account("kai_seen", display_name="Kai")
    lou = account("lou_seen", display_name="Lou")
    room = lou.create_room("seen-room")["id"]
    kai.join(room)
    desk = Chat(browsers(), server).log_in("kai_seen")
    phone = Chat(browsers(width=420, height=800), server).log_in("kai_seen")
    lou.post(room, "@kai_seen the build is red")
    for chat in (desk, phone):
        chat.wait(lambda chat=chat: has_dot(chat), message="no dot for the mention")

    # Kai looks at the list on the desktop: the phone's dot goes too, at once.
    desk.find("#activity-open").click()
    desk.wait(lambda: desk.dialog_open("activity-dialog") and entries(desk) == [["mention", "@kai_seen the build is red"]])
    desk.wait(lambda: not has_dot(desk))
    phone.wait(lambda: not has_dot(phone), message="the other device still shows the mention as new")
    [notification] = kai.call("GET", "/api/me/summary", expect=200).json()["notifications"]
    assert kai.call("GET", "/api/me/summary", expect=200).json()["notifications_seen_id"] == notification["id"]

    # A browser that starts later agrees (once it has read the summary, it shows no dot).
    later = Chat(browsers(), server).log_in("kai_seen")
    later.wait(lambda: later.js("""return performance.getEntriesByType('resource')
        .some(e => e.name.includes('/api/me/summary') && e.responseEnd > 0)"""), message="the summary was never read")
    time.sleep(0.5)
    assert not has_dot(later), "a new browser shows as new what another device saw"


def test_a_mention_taken_back_leaves_the_list_and_the_dot(server, browsers, account):
    amy = account("amy_taken", display_name="Amy")
    ned = account("ned_taken", display_name="Ned")
    room = ned.create_room("taken-room")["id"]
    amy.join(room)
    chat = Chat(browsers(), server).log_in("amy_taken")
    chat.open_room("main")
    chat.wait(lambda: chat.js("return document.getElementById('activity-open').getAttribute('aria-label')") == "Mentions and replies")
    kept = ned.post(room, "@amy_taken the real question")
    gone = ned.post(room, "@amy_taken sorry, wrong person")
    chat.wait(lambda: has_dot(chat), message="no dot for the mentions")
    chat.find("#activity-open").click()
    chat.wait(lambda: chat.dialog_open("activity-dialog"))
    chat.wait(lambda: len(entries(chat)) == 2)
    chat.find("#activity-dialog [data-close]").click()
    chat.wait(lambda: not has_dot(chat))
    # A new mention, then taken back at once: the dot goes with it, and the list keeps the others.
    third = ned.post(room, "@amy_taken also wrong")
    chat.wait(lambda: has_dot(chat))
    ned.call("DELETE", f"/api/messages/{third['id']}", expect=204)
    chat.wait(lambda: not has_dot(chat), message="a deleted mention kept the dot")
    ned.call("DELETE", f"/api/messages/{gone['id']}", expect=204)
    chat.find("#activity-open").click()
    chat.wait(lambda: chat.dialog_open("activity-dialog"))
    chat.wait(lambda: entries(chat) == [["mention", "@amy_taken the real question"]], message=f"activity: {entries(chat)}")
    # After a reload too (the server's list leaves it out).
    chat.driver.refresh()
    chat.wait_ready()
    chat.find("#activity-open").click()
    chat.wait(lambda: chat.dialog_open("activity-dialog"))
    chat.wait(lambda: entries(chat) == [["mention", "@amy_taken the real question"]], message=f"activity after reload: {entries(chat)}")
    assert kept


def test_on_a_phone_an_entry_that_wraps_starts_no_line_with_its_separator(server, browsers, account):
    amy = account("amy_wrap", display_name="Amy")
    ned = account("ned_wrap", display_name="Nedward Longfellow-Smithson")
    room = ned.create_room("a-rather-long-room-name-here")["id"]
    amy.join(room)
    chat = Chat(browsers(width=390, height=844), server).log_in("amy_wrap")
    ned.post(room, "@amy_wrap can you look?")
    chat.wait(lambda: has_dot(chat), message="no dot for the mention")
    chat.js("document.getElementById('activity-open').click()")
    chat.wait(lambda: chat.dialog_open("activity-dialog") and len(entries(chat)) == 1)
    # Each part of the entry's first line that starts a line of its own: its text.
    starts = chat.js("""const parts = [...document.querySelector('#activity-list li.activity-entry .search-meta').children];
        return parts.filter((part, i) => i > 0 && part.getBoundingClientRect().top >= parts[i - 1].getBoundingClientRect().bottom - 1)
            .map(part => part.textContent)""")
    assert starts, "the entry did not wrap (the test needs it to)"
    assert not any(text.startswith("·") for text in starts), starts
