"""Threads: a message's replies beside the room, kept up to date live, answered from the panel."""
import time

import pytest
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def thread_texts(chat):
    return chat.js("return [...document.querySelectorAll('#thread-replies li.thread-message:not(.pending) .text')].map(n => n.textContent)")


def thread_link(chat, text):
    """The "N replies" link under a message in the room, or None."""
    links = chat.message(text).find_elements("css selector", ".thread-link")
    return links[0].text if links else None


def test_a_thread_lists_replies_live_and_answers_its_message(server, browsers, account):
    tess = account("tess_thread", display_name="Tess")
    theo = account("theo_thread", display_name="Theo")
    room = tess.create_room("thread-room")["id"]
    theo.join(room)
    root = tess.post(room, "Which release name?")
    first = theo.post(room, "Otter", reply_to=root["id"])
    theo.post(room, "unrelated chatter")
    second = theo.post(room, "Heron", reply_to=root["id"])

    chat = Chat(browsers(), server).log_in("tess_thread")
    chat.open_room("thread-room")
    chat.wait(lambda: thread_link(chat, "Which release name?") == "2 replies")
    assert thread_link(chat, "unrelated chatter") is None
    chat.open_thread("Which release name?")
    chat.wait(lambda: thread_texts(chat) == ["Otter", "Heron"])
    assert chat.js("return document.querySelector('#thread-root .text').textContent") == "Which release name?"
    assert chat.text_of("thread-count") == "2 replies"
    assert chat.js("return document.activeElement.id") == "thread-text"

    # Someone else's reply, edit and deletion show at once, with the count, here and in the room.
    third = theo.post(room, "Badger", reply_to=root["id"])
    chat.wait(lambda: thread_texts(chat) == ["Otter", "Heron", "Badger"], message="a live reply did not show in the thread")
    chat.wait(lambda: chat.text_of("thread-count") == "3 replies")
    chat.wait(lambda: thread_link(chat, "Which release name?") == "3 replies")
    theo.call("PATCH", f"/api/messages/{second['id']}", expect=200, json={"text": "Great Heron"})
    chat.wait(lambda: thread_texts(chat) == ["Otter", "Great Heron", "Badger"])
    theo.call("DELETE", f"/api/messages/{first['id']}", expect=204)
    chat.wait(lambda: thread_texts(chat) == ["Great Heron", "Badger"])
    chat.wait(lambda: chat.text_of("thread-count") == "2 replies" and thread_link(chat, "Which release name?") == "2 replies")

    # Answering from the panel: the reply names the message, and shows in the room as a reply too.
    box = chat.find("#thread-text")
    # The box suggests people and emoji as the room's box does: Tab and Enter choose, not send.
    box.send_keys("Badger it is @the")
    options = "return [...document.querySelectorAll('#thread-mention-list [role=option]')].map(o => o.querySelector('.muted')?.textContent ?? o.textContent)"
    chat.wait(lambda: chat.js(options) == ["@theo_thread"], message=f"suggestions: {chat.js(options)}")
    assert box.get_attribute("aria-activedescendant") == "thread-mention-0"
    box.send_keys(Keys.TAB, ":tad")
    chat.wait(lambda: chat.js(options) == ["🎉:tada:"], message=f"suggestions: {chat.js(options)}")
    box.send_keys(Keys.ENTER)
    assert box.get_attribute("value") == "Badger it is @theo_thread 🎉 "
    box.send_keys(Keys.ENTER)
    chat.wait(lambda: thread_texts(chat) == ["Great Heron", "Badger", "Badger it is @theo_thread 🎉"], message="my reply did not show in the thread")
    chat.wait(lambda: chat.text_of("thread-count") == "3 replies")
    assert box.get_attribute("value") == ""
    mine = [m for m in tess.history(room) if m["text"] == "Badger it is @theo_thread 🎉"]
    assert len(mine) == 1 and mine[0]["reply_to"] == root["id"]
    chat.wait(lambda: "Badger it is @theo_thread 🎉" in chat.texts())
    quote = chat.quote_text("Badger it is @theo_thread 🎉")
    assert "Which release name?" in quote
    theo_view = theo.call("GET", f"/api/messages/{root['id']}/replies", expect=200).json()
    assert [r["text"] for r in theo_view["replies"]] == ["Great Heron", "Badger", "Badger it is @theo_thread 🎉"]
    assert theo_view["message"]["reply_count"] == 3

    # A reply's time shows it in the room.
    chat.js("document.querySelector(`#thread-replies li[data-message='${arguments[0]}'] .time`).click()", third["id"])
    chat.wait(lambda: chat.js("return document.activeElement?.dataset?.id") == str(third["id"]))

    # Escape closes the thread; the member panel and the thread take turns.
    chat.find("#thread-text").send_keys(Keys.ESCAPE)
    chat.wait(lambda: not chat.find("#thread-panel").is_displayed())
    chat.hover_action("unrelated chatter", "thread-reply")
    chat.wait(lambda: chat.find("#thread-panel").is_displayed() and chat.text_of("thread-count") == "No replies yet")
    assert thread_texts(chat) == []
    chat.find("#members-toggle").click()
    chat.wait(lambda: chat.find("#members-panel").is_displayed() and not chat.find("#thread-panel").is_displayed())

    # The counts come back with the history after a reload.
    chat.driver.refresh()
    chat.wait_ready()
    chat.wait(lambda: thread_link(chat, "Which release name?") == "3 replies")

    # Tess deletes her own reply from the thread (as the room's owner she could delete any).
    chat.open_thread("Which release name?")
    chat.wait(lambda: thread_texts(chat) == ["Great Heron", "Badger", "Badger it is @theo_thread 🎉"])
    assert chat.js("return document.querySelectorAll('#thread-replies [data-action=delete]').length") == 3
    chat.click_fresh(f'#thread-replies li[data-message="{mine[0]["id"]}"] [data-action=delete]')
    chat.confirm()
    chat.wait(lambda: thread_texts(chat) == ["Great Heron", "Badger"], message="the deleted reply stayed in the thread")
    chat.wait(lambda: chat.text_of("thread-count") == "2 replies" and thread_link(chat, "Which release name?") == "2 replies")


def test_a_member_deletes_only_their_own_replies_in_a_thread(server, browsers, account):
    una = account("una_thread", display_name="Una")
    vin = account("vin_thread", display_name="Vin")
    room = una.create_room("thread-owned")["id"]
    vin.join(room)
    root = una.post(room, "thoughts?")
    una.post(room, "mine first", reply_to=root["id"])
    own = vin.post(room, "my answer", reply_to=root["id"])
    chat = Chat(browsers(), server).log_in("vin_thread")
    chat.open_room("thread-owned")
    chat.wait(lambda: thread_link(chat, "thoughts?") == "2 replies")
    chat.open_thread("thoughts?")
    chat.wait(lambda: thread_texts(chat) == ["mine first", "my answer"])
    # Only on his own reply (the root and Una's are not his, and he moderates nothing).
    deletable = chat.js("return [...document.querySelectorAll('#thread-panel [data-action=delete]')].map(b => b.closest('li').dataset.message)")
    assert deletable == [str(own["id"])]
    chat.click_fresh("#thread-replies [data-action=delete]")
    chat.confirm()
    chat.wait(lambda: thread_texts(chat) == ["mine first"])
    assert [m["deleted"] for m in una.history(room) if m["id"] == own["id"]] == [True]


def test_replies_are_reacted_to_and_edited_from_the_thread(server, browsers, account):
    wyn = account("wyn_thread", display_name="Wyn")
    xan = account("xan_thread", display_name="Xan")
    room = wyn.create_room("thread-react")["id"]
    xan.join(room)
    root = wyn.post(room, "which day works?")
    theirs = wyn.post(room, "tuesday for me", reply_to=root["id"])
    mine = xan.post(room, "wednesday", reply_to=root["id"])
    chat = Chat(browsers(), server).log_in("xan_thread")
    chat.open_room("thread-react")
    chat.wait(lambda: thread_link(chat, "which day works?") == "2 replies")
    chat.open_thread("which day works?")
    chat.wait(lambda: thread_texts(chat) == ["tuesday for me", "wednesday"])
    # Edit only on my own reply.
    editable = chat.js("return [...document.querySelectorAll('#thread-panel [data-action=edit]')].map(b => b.closest('li').dataset.message)")
    assert editable == [str(mine["id"])]

    # React to Wyn's reply from the panel: the reaction shows there (and on the server).
    chat.click_fresh(f'#thread-replies li[data-message="{theirs["id"]}"] [data-action=react]')
    chat.wait(lambda: chat.js("return document.querySelector('#thread-panel .reaction-picker') !== null"))
    chat.click_fresh('#thread-panel .reaction-picker button[data-emoji="👍"]')
    chat.wait(lambda: chat.js(f"""return [...document.querySelectorAll('#thread-replies li[data-message="{theirs["id"]}"] .reaction')]
        .map(b => [b.dataset.emoji, b.getAttribute('aria-pressed')])""") == [["👍", "true"]], message="no reaction in the thread")
    [reaction] = [m for m in wyn.history(room) if m["id"] == theirs["id"]][0]["reactions"]
    assert reaction["emoji"] == "👍" and reaction["user_ids"] == [xan.id]
    # Someone else's reaction arrives live in the panel too.
    wyn.call("PUT", f"/api/messages/{mine['id']}/reactions/%F0%9F%8E%89", expect=200)
    chat.wait(lambda: chat.js(f"""return [...document.querySelectorAll('#thread-replies li[data-message="{mine["id"]}"] .reaction')]
        .map(b => b.dataset.emoji)""") == ["🎉"], message="a live reaction did not reach the thread")

    # Edit my reply: the room's box takes it; saved, the thread shows the new text.
    chat.click_fresh(f'#thread-replies li[data-message="{mine["id"]}"] [data-action=edit]')
    chat.wait(lambda: chat.find("#composer-context").is_displayed() and chat.find("#composer-text").get_attribute("value") == "wednesday")
    box = chat.find("#composer-text")
    box.send_keys(" or thursday", Keys.ENTER)
    chat.wait(lambda: thread_texts(chat) == ["tuesday for me", "wednesday or thursday"], message="the edit did not reach the thread")


def test_following_a_thread_brings_its_new_replies_to_activity(server, browsers, account):
    from test_activity import entries

    fay = account("fay_follow", display_name="Fay")
    gus = account("gus_follow", display_name="Gus")
    hal = account("hal_follow", display_name="Hal")
    room = fay.create_room("follow-room")["id"]
    gus.join(room)
    hal.join(room)
    root = fay.post(room, "Who takes the release notes?")
    gus.post(room, "I can start them", reply_to=root["id"])

    def following():
        return gus.call("GET", f"/api/messages/{root['id']}/replies", expect=200).json()["following"]

    chat = Chat(browsers(), server).log_in("gus_follow")
    chat.open_room("follow-room")
    chat.wait(lambda: thread_link(chat, "Who takes the release notes?") == "1 reply")
    chat.open_thread("Who takes the release notes?")
    chat.wait(lambda: chat.find("#thread-follow").is_displayed())
    # Gus replied, so he follows it; a new reply from Hal reaches his activity list.
    assert chat.find("#thread-follow").text == "Following"
    assert chat.find("#thread-follow").get_attribute("aria-pressed") == "true"
    chat.open_room("main")
    hal.post(room, "I will review them", reply_to=root["id"])
    chat.find("#activity-open").click()
    chat.wait(lambda: chat.dialog_open("activity-dialog"))
    chat.wait(lambda: entries(chat)[:1] == [["thread", "I will review them"]], message=f"activity: {entries(chat)}")
    assert "replied in a thread you follow" in chat.find('#activity-list li[data-reason="thread"]').text
    chat.find("#activity-dialog [data-close]").click()

    # Unfollowed from the panel: the server agrees, and the next reply does not reach him.
    chat.open_room("follow-room")
    chat.wait(lambda: thread_link(chat, "Who takes the release notes?") == "2 replies")
    chat.open_thread("Who takes the release notes?")
    chat.wait(lambda: chat.find("#thread-follow").text == "Following")
    chat.find("#thread-follow").click()
    chat.wait(lambda: chat.find("#thread-follow").text == "Follow")
    chat.wait(lambda: following() is False)
    # A second browser of his shows the change at once when it has the thread open.
    other = Chat(browsers(), server).log_in("gus_follow")
    other.open_room("follow-room")
    other.wait(lambda: thread_link(other, "Who takes the release notes?") == "2 replies")
    other.open_thread("Who takes the release notes?")
    other.wait(lambda: other.find("#thread-follow").text == "Follow")
    hal.post(room, "done", reply_to=root["id"])
    chat.wait(lambda: thread_texts(chat)[-1:] == ["done"])
    mine = gus.call("GET", "/api/me/summary?since=2000-01-01T00:00:00Z", expect=200).json()["notifications"]
    assert [n["message"]["text"] for n in mine if n["reason"] == "thread"] == ["I will review them"]
    chat.find("#thread-follow").click()
    other.wait(lambda: other.find("#thread-follow").text == "Following", message="the other browser did not follow")

    # Replying from the panel follows again by itself (shown at once).
    chat.find("#thread-follow").click()
    chat.wait(lambda: chat.find("#thread-follow").text == "Follow")
    chat.find("#thread-text").send_keys("notes are up", Keys.ENTER)
    chat.wait(lambda: chat.find("#thread-follow").text == "Following")
    chat.wait(lambda: following() is True)


def threads_count(chat):
    """The Threads button's count of followed threads with new replies ("" when none)."""
    return chat.js("return document.querySelector('#threads-open .count').textContent")


def thread_entries(chat):
    """The Threads dialog's entries: (room, the first message's text, how many new)."""
    return chat.js("""return [...document.querySelectorAll('#threads-list .thread-entry')].map(li => [
        li.querySelector('.search-meta strong').textContent,
        li.querySelector('.thread-entry-body .search-text').textContent,
        Number(li.dataset.unread)])""")


def test_the_threads_list_counts_followed_threads_with_new_replies_and_opens_them(server, browsers, account):
    tia = account("tia_tlist", display_name="Tia")
    tom = account("tom_tlist", display_name="Tom")
    food = tia.create_room("tlist-food")["id"]
    ops = tia.create_room("tlist-ops")["id"]
    tia.create_room("tlist-quiet")
    for room in (food, ops):
        tom.join(room)
    lunch = tia.post(food, "Lunch plans?")
    deploy = tia.post(ops, "Deploy today?")
    toms = tom.post(ops, "Tom's own thread")
    tom.post(ops, "Tom answers himself", reply_to=toms["id"])
    chat = Chat(browsers(), server).log_in("tia_tlist")
    other_tab = Chat(browsers(), server).log_in("tia_tlist")
    for tab in (chat, other_tab):
        tab.open_room("tlist-quiet")
    assert threads_count(chat) == ""

    # Replies to my messages count live: one thread, then two.
    tom.post(food, "Tacos", reply_to=lunch["id"])
    chat.wait(lambda: threads_count(chat) == "1", message=f"count {threads_count(chat)!r}")
    tom.post(ops, "After 3", reply_to=deploy["id"])
    tom.post(ops, "or 4", reply_to=deploy["id"])
    chat.wait(lambda: threads_count(chat) == "2", message=f"count {threads_count(chat)!r}")
    assert "2 with new replies" in chat.find("#threads-open").get_attribute("aria-label")

    # The list: the latest reply first, with how many are new; a thread I do not follow is not in it.
    chat.find("#threads-open").click()
    chat.wait(lambda: thread_entries(chat) == [["#tlist-ops", "Tia: Deploy today?", 2], ["#tlist-food", "Tia: Lunch plans?", 1]],
              message=lambda: f"entries {thread_entries(chat)}")
    assert chat.js("return document.querySelector('#threads-list .thread-entry .thread-last').textContent") == "Tom: or 4"

    # An entry opens its room with the thread beside it; that reads it, here and in my other tab.
    chat.js("document.querySelectorAll('#threads-list .thread-entry button')[1].click()")
    chat.wait(lambda: not chat.dialog_open("threads-dialog"))
    chat.wait(lambda: chat.room_title() == "tlist-food" and chat.find("#thread-panel").is_displayed(), message="the thread did not open")
    chat.wait(lambda: thread_texts(chat) == ["Tacos"])
    # The replies I had not read are under a "New" line.
    chat.wait(lambda: chat.js("return document.querySelector('#thread-replies .thread-new + li .text')?.textContent") == "Tacos")
    chat.wait(lambda: threads_count(chat) == "1", message=f"count {threads_count(chat)!r}")
    other_tab.wait(lambda: threads_count(other_tab) == "1", message=f"other tab's count {threads_count(other_tab)!r}")

    # A new reply in the open thread is read at once; one elsewhere counts.
    tom.post(food, "or burritos", reply_to=lunch["id"])
    chat.wait(lambda: thread_texts(chat) == ["Tacos", "or burritos"])
    tom.post(ops, "make it 5", reply_to=deploy["id"])
    def listed():
        answer = tia.call("GET", "/api/me/threads", expect=200).json()
        return [(t["root"]["text"], t["unread_replies"]) for t in answer["threads"]], answer["unread_threads"]
    chat.wait(lambda: listed() == ([("Deploy today?", 3), ("Lunch plans?", 0)], 1), message=lambda: f"listed {listed()}")
    assert threads_count(chat) == "1" and threads_count(other_tab) == "1"

    # Opening the other room reads its replies too (they show in the room): nothing is left new.
    chat.open_room("tlist-ops")
    chat.wait(lambda: threads_count(chat) == "", message=f"count {threads_count(chat)!r}")
    other_tab.wait(lambda: threads_count(other_tab) == "", message=f"other tab's count {threads_count(other_tab)!r}")
    other_tab.find("#threads-open").click()
    other_tab.wait(lambda: thread_entries(other_tab) == [["#tlist-ops", "Tia: Deploy today?", 0], ["#tlist-food", "Tia: Lunch plans?", 0]],
                   message=lambda: f"entries {thread_entries(other_tab)}")
    assert not other_tab.find("#threads-read-all").is_displayed()

    # "Mark all read" in the list, with the list open: new replies in both threads, then none.
    chat.open_room("tlist-quiet")
    tom.post(food, "final answer: tacos", reply_to=lunch["id"])
    tom.post(ops, "deployed", reply_to=deploy["id"])
    other_tab.wait(lambda: [e[2] for e in thread_entries(other_tab)] == [1, 1], message=lambda: f"entries {thread_entries(other_tab)}")
    other_tab.wait(lambda: threads_count(other_tab) == "2")
    other_tab.find("#threads-read-all").click()
    other_tab.wait(lambda: [e[2] for e in thread_entries(other_tab)] == [0, 0], message=lambda: f"entries {thread_entries(other_tab)}")
    for tab in (chat, other_tab):
        tab.wait(lambda: threads_count(tab) == "", message=f"count {threads_count(tab)!r}")
    assert tia.call("GET", "/api/me/threads", expect=200).json()["unread_threads"] == 0
    # Closed and opened again with the keyboard: the focus is in the list (a hunt found it on the page).
    other_tab.find("#threads-dialog [data-close]").click()
    other_tab.wait(lambda: not other_tab.dialog_open("threads-dialog"))
    other_tab.find("#threads-open").click()
    other_tab.wait(lambda: other_tab.dialog_open("threads-dialog"))
    focused = "return document.activeElement.closest('#threads-dialog') !== null && document.activeElement.closest('#threads-list li')?.dataset.message"
    other_tab.wait(lambda: other_tab.js(focused) == str(deploy["id"]), message=lambda: f"focus: {other_tab.js('return document.activeElement.outerHTML.slice(0, 80)')}")
    time.sleep(0.5)  # the list's reload re-renders it: the focus stays on the same entry
    assert other_tab.js(focused) == str(deploy["id"])


def test_a_long_thread_shows_my_reply_new_live_ones_and_its_first_unread_reply(server, browsers, account):
    tess = account("tess_long", display_name="Tess")
    theo = account("theo_long", display_name="Theo")
    room = tess.create_room("long-thread")["id"]
    theo.join(room)
    root = tess.post(room, "A long one")
    for n in range(60):
        theo.post(room, f"r{n}", reply_to=root["id"])
    chat = Chat(browsers(), server).log_in("tess_long")
    chat.open_room("long-thread")
    chat.open_thread("A long one")
    chat.wait(lambda: len(thread_texts(chat)) == 50 and chat.find("#thread-more").is_displayed())

    # My own reply shows at the end of the panel although older pages were not all loaded.
    chat.find("#thread-text").send_keys("mine", Keys.ENTER)
    chat.wait(lambda: thread_texts(chat)[-1:] == ["mine"], message=lambda: f"thread ends {thread_texts(chat)[-3:]}")
    assert thread_texts(chat) == [f"r{n}" for n in range(60)] + ["mine"]
    assert not chat.find("#thread-more").is_displayed()
    # And so do someone else's, live.
    theo.post(room, "live one", reply_to=root["id"])
    chat.wait(lambda: thread_texts(chat)[-1:] == ["live one"], message=lambda: f"thread ends {thread_texts(chat)[-3:]}")

    # A thread with unread replies past its first page opens at the first of them, under the "New"
    # line, and reads them.
    quiet = tess.create_room("long-quiet")["id"]
    theo.join(quiet)
    other = tess.post(quiet, "Another long one")
    for n in range(55):
        theo.post(quiet, f"q{n}", reply_to=other["id"])
    tess.call("POST", f"/api/messages/{other['id']}/thread/read", expect=200)
    theo.post(quiet, "fresh", reply_to=other["id"])
    for n in range(25):
        theo.post(quiet, f"later {n}", reply_to=other["id"])
    chat.wait(lambda: threads_count(chat) == "1", message=lambda: f"count {threads_count(chat)!r}")
    chat.find("#threads-open").click()
    chat.wait(lambda: chat.js("return !!document.querySelector('#threads-list .thread-entry[data-unread=\"26\"] button')"))
    chat.js("document.querySelector('#threads-list .thread-entry[data-unread=\"26\"] button').click()")
    chat.wait(lambda: chat.js("return document.querySelector('#thread-replies .thread-new + li .text')?.textContent") == "fresh",
              message=lambda: f"thread ends {thread_texts(chat)[-3:]}")
    chat.wait(lambda: chat.js("""const item = document.querySelector('#thread-replies .thread-new + li');
        const box = document.getElementById('thread-scroll').getBoundingClientRect(), at = item.getBoundingClientRect();
        return at.top >= box.top - 1 && at.bottom <= box.bottom + 1"""), message="the first unread reply is not in view")
    chat.wait(lambda: threads_count(chat) == "", message=lambda: f"count {threads_count(chat)!r}")


def open_room(chat, name):
    """Opens a room, on a phone from the drawer (which closes)."""
    if chat.js("return innerWidth") < 700:
        chat.find("#show-rooms").click()
        chat.wait(lambda: chat.js("return document.getElementById('sidebar').getBoundingClientRect().left") == 0)
    chat.open_room(name)
    chat.wait(lambda: chat.js("return document.getElementById('sidebar').getBoundingClientRect().right") <= 0 or chat.js("return innerWidth") >= 700)


def thread_focus(chat):
    """Where the focus is in the thread: "item" (a message itself) or its control's data-action (or
    class), and the message's id."""
    return chat.js("""const e = document.activeElement, item = e.closest('li.thread-message');
        return [e === item ? 'item' : e.dataset.action ?? e.className, item?.dataset.message ?? null]""")


def thread_tab_stops(chat):
    return chat.js("""return [...document.querySelectorAll('#thread-scroll, #thread-scroll *')]
        .filter(e => e.tabIndex >= 0 && !e.disabled && e.checkVisibility()).length""")


def focused_in_view(chat):
    return chat.js("""const box = document.getElementById('thread-scroll').getBoundingClientRect();
        const at = document.activeElement.getBoundingClientRect();
        return at.top >= box.top - 1 && at.bottom <= box.bottom + 1""")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_thread_is_one_tab_stop_with_arrows_between_replies_and_tab_into_one(server, browsers, account, size):
    screen = "phone" if size is PHONE else "desk"
    ann = account(f"ann_thread_keys_{screen}", display_name="Ann")
    bob = account(f"bob_thread_keys_{screen}", display_name="Bob")
    room = ann.create_room(f"thread-keys-{screen}")["id"]
    bob.join(room)
    root = ann.post(room, "Where shall we eat?")
    ids = [str(bob.post(room, f"place {n}", reply_to=root["id"])["id"]) for n in range(20)]
    chat = Chat(browsers(**size), server).log_in(f"ann_thread_keys_{screen}")
    open_room(chat, f"thread-keys-{screen}")
    chat.wait(lambda: thread_link(chat, "Where shall we eat?") == "20 replies")
    chat.open_thread("Where shall we eat?")
    chat.wait(lambda: thread_texts(chat) == [f"place {n}" for n in range(20)])
    # One tab stop for the message and its replies (each reply's buttons were one each: ~100 here).
    assert thread_tab_stops(chat) == 1
    # Shift+Tab from the reply box enters at the newest reply.
    assert chat.js("return document.activeElement.id") == "thread-text"
    chat.press(Keys.TAB, shift=True)
    assert thread_focus(chat) == ["item", ids[19]]
    # ↑ and ↓ move between replies; Home goes to the thread's message, End to the newest reply.
    chat.press(Keys.ARROW_UP)
    assert thread_focus(chat) == ["item", ids[18]]
    chat.press(Keys.ARROW_DOWN)
    assert thread_focus(chat) == ["item", ids[19]]
    chat.press(Keys.HOME)
    assert thread_focus(chat) == ["item", str(root["id"])]
    assert focused_in_view(chat)
    chat.press(Keys.ARROW_DOWN)
    assert thread_focus(chat) == ["item", ids[0]]
    chat.press(Keys.END)
    assert thread_focus(chat) == ["item", ids[19]]
    assert focused_in_view(chat)
    chat.press(Keys.ARROW_UP, Keys.ARROW_UP)
    assert thread_focus(chat) == ["item", ids[17]]
    # Enter goes into the reply's controls, Tab on through them, Shift+Tab back; Escape goes back to
    # the reply and leaves the thread open.
    chat.press(Keys.ENTER)
    first = thread_focus(chat)
    assert first[1] == ids[17] and first[0] != "item", first
    chat.js("window.__first = document.activeElement")
    chat.press(Keys.TAB)
    assert chat.js("return document.activeElement !== window.__first") and thread_focus(chat)[1] == ids[17]
    chat.press(Keys.TAB, shift=True)
    assert chat.js("return document.activeElement === window.__first")
    chat.press(Keys.ESCAPE)
    assert thread_focus(chat) == ["item", ids[17]]
    assert chat.find("#thread-panel").is_displayed()
    # Tab goes into them too; Tab past the last one leaves the list for the reply box.
    chat.press(Keys.TAB)
    assert chat.js("return document.activeElement === window.__first")
    for _ in range(15):
        if chat.js("return !document.getElementById('thread-scroll').contains(document.activeElement)"):
            break
        chat.press(Keys.TAB)
    assert chat.js("return document.activeElement.id") == "thread-text"
    # Back in: at the reply last focused, still one tab stop; from the panel's head too.
    chat.press(Keys.TAB, shift=True)
    assert thread_focus(chat) == ["item", ids[17]]
    chat.js("document.getElementById('thread-close').focus()")
    chat.press(Keys.TAB)
    assert thread_focus(chat) == ["item", ids[17]]
    # The thread is drawn again as a reply comes: the focus stays on the same reply, one tab stop.
    bob.post(room, "place 20", reply_to=root["id"])
    chat.wait(lambda: thread_texts(chat)[-1:] == ["place 20"])
    assert thread_focus(chat) == ["item", ids[17]]
    assert thread_tab_stops(chat) == 1
    # Escape on a reply closes the thread, as anywhere else in the panel.
    chat.press(Keys.ESCAPE)
    chat.wait(lambda: not chat.find("#thread-panel").is_displayed())


FOLD_STATE = """const li = document.querySelector(arguments[0]);
    const text = li.querySelector('.text'), toggle = li.querySelector('.fold-toggle');
    return [text.clientHeight < text.scrollHeight - 1, toggle?.textContent ?? null, toggle?.getAttribute('aria-expanded') ?? null,
            toggle?.getAttribute('aria-controls') === text.id && document.querySelectorAll('#' + CSS.escape(text.id)).length === 1]"""


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_very_long_reply_is_folded_behind_show_more_in_the_thread(server, browsers, account, size):
    screen = "phone" if size is PHONE else "desk"
    lea = account(f"lea_thread_fold_{screen}", display_name="Lea")
    mo = account(f"mo_thread_fold_{screen}", display_name="Mo")
    room = lea.create_room(f"thread-fold-{screen}")["id"]
    mo.join(room)
    root = lea.post(room, "Thoughts on the draft?")
    long = mo.post(room, " ".join(f"word{n}" for n in range(600))[:3990] + " END", reply_to=root["id"])
    short = mo.post(room, "short one", reply_to=root["id"])
    chat = Chat(browsers(**size), server).log_in(f"lea_thread_fold_{screen}")
    open_room(chat, f"thread-fold-{screen}")
    chat.wait(lambda: thread_link(chat, "Thoughts on the draft?") == "2 replies")
    chat.open_thread("Thoughts on the draft?")
    chat.wait(lambda: thread_texts(chat)[-1:] == ["short one"])
    in_thread = f'#thread-replies li[data-message="{long["id"]}"]'
    # Folded, with a button that says so and names the text it shows (its id apart from the same
    # reply's in the room).
    assert chat.js(FOLD_STATE, in_thread) == [True, "Show more", "false", True]
    assert chat.js("return !!document.querySelector(arguments[0])", f'#thread-replies li[data-message="{short["id"]}"] .fold-toggle') is False
    # By keyboard: from the reply box to the newest reply, ↑ to the long one, Enter into it, Tab to
    # "Show more", Enter.
    chat.press(Keys.TAB, shift=True)
    chat.press(Keys.ARROW_UP)
    assert thread_focus(chat) == ["item", str(long["id"])]
    chat.press(Keys.ENTER)
    for _ in range(10):
        if chat.js("return document.activeElement.classList.contains('fold-toggle')"):
            break
        chat.press(Keys.TAB)
    chat.press(Keys.ENTER)
    chat.wait(lambda: chat.js(FOLD_STATE, in_thread) == [False, "Show less", "true", True])
    # Shown whole, it stays so when the thread is drawn again (a reaction), the focus on its button.
    mo.call("PUT", f"/api/messages/{long['id']}/reactions/%F0%9F%91%8D", expect=200)
    chat.wait(lambda: chat.js("return !!document.querySelector(arguments[0])", f"{in_thread} .reaction"))
    assert chat.js(FOLD_STATE, in_thread) == [False, "Show less", "true", True]
    assert thread_focus(chat) == ["fold", str(long["id"])]
    # The room keeps its own choice: the same reply there is still folded.
    in_room = f'#messages li.message[data-id="{long["id"]}"]'
    assert chat.js(FOLD_STATE, in_room)[1:] == ["Show more", "false", True]
    # A click folds it again.
    chat.click_fresh(f"{in_thread} .fold-toggle")
    chat.wait(lambda: chat.js(FOLD_STATE, in_thread) == [True, "Show more", "false", True])



def test_typing_in_a_thread_shows_under_the_thread_not_the_room(server, browsers, account):
    tara = account("tq_typing", display_name="Tara")
    tom = account("tw_typing", display_name="Tom")
    room = tara.create_room("thread-typing")["id"]
    tom.join(room)
    tara.post(room, "Lunch where?")
    reader = Chat(browsers(), server).log_in("tq_typing")
    reader.open_room("thread-typing")
    reader.hover_action("Lunch where?", "thread-reply")
    writer = Chat(browsers(), server).log_in("tw_typing")
    writer.open_room("thread-typing")
    writer.hover_action("Lunch where?", "thread-reply")
    for chat in (reader, writer):
        chat.wait(lambda chat=chat: chat.find("#thread-panel").is_displayed(), message="the thread did not open")

    # Typing in the thread's box shows under the thread, not under the room's messages.
    writer.find("#thread-text").send_keys("the noodle pl")
    reader.wait(lambda: reader.text_of("thread-typing") == "Tom is typing…", message=lambda: f"thread: {reader.text_of('thread-typing')!r}")
    assert reader.text_of("typing") == ""
    # Over to the room's box: the indicator moves there.
    writer.find("#composer-text").send_keys("or")
    reader.wait(lambda: reader.text_of("typing") == "Tom is typing…" and reader.text_of("thread-typing") == "",
                message=lambda: f"room: {reader.text_of('typing')!r}, thread: {reader.text_of('thread-typing')!r}")
    # Back in the thread, the reply sent ends it there.
    writer.find("#thread-text").send_keys("ace", Keys.ENTER)
    reader.wait(lambda: "the noodle place" in thread_texts(reader), message=lambda: f"replies: {thread_texts(reader)}")
    reader.wait(lambda: reader.text_of("thread-typing") == "" and reader.text_of("typing") == "",
                message=lambda: f"room: {reader.text_of('typing')!r}, thread: {reader.text_of('thread-typing')!r}")


def test_a_thread_open_on_a_deleted_message_with_replies_stays_open_after_a_reload(server, browsers, account):
    tess = account("tess_tombroot", display_name="Tess")
    theo = account("theo_tombroot", display_name="Theo")
    room = tess.create_room("tombroot-room")["id"]
    theo.join(room)
    root = tess.post(room, "A question soon deleted")
    theo.post(room, "An answer that stays", reply_to=root["id"])

    chat = Chat(browsers(), server).log_in("theo_tombroot")
    chat.open_room("tombroot-room")
    chat.wait(lambda: thread_link(chat, "A question soon deleted") == "1 reply")
    chat.open_thread("A question soon deleted")
    chat.wait(lambda: thread_texts(chat) == ["An answer that stays"])
    address = f"#room/{room}/thread/{root['id']}"
    chat.wait(lambda: chat.js("return location.hash") == address, message=lambda: f"address {chat.js('return location.hash')}")

    # Deleted live, the panel stays open on the tombstone, with its reply.
    tess.call("DELETE", f"/api/messages/{root['id']}", expect=204)
    chat.wait(lambda: chat.js("return document.querySelector('#thread-root .deleted-text') !== null"), message="the root did not show as deleted")
    assert chat.find("#thread-panel").is_displayed() and thread_texts(chat) == ["An answer that stays"]

    # A reload agrees: the address keeps the thread, and it opens with the reply.
    chat.driver.refresh()
    chat.wait_ready()
    chat.wait(lambda: chat.find("#thread-panel").is_displayed(), message=lambda: f"the thread did not open; address {chat.js('return location.hash')}")
    chat.wait(lambda: thread_texts(chat) == ["An answer that stays"], message=lambda: f"thread: {thread_texts(chat)}")
    assert chat.js("return location.hash") == address
