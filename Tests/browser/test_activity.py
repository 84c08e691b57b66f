"""Activity: the mentions, replies and DMs that notified me, with a dot for new ones, each opening its message."""
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
