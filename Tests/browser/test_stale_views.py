"""What a black-box hunt of the web client found left stale on screen or sent in vain: search results
of the room open before, an edit history and the saved list that kept a deleted message's text, a
thread reply refused with no Retry or Discard in the thread, drafts of rooms one lost retried at
every load, and presence and focus reported with the session a logout just ended."""
import json
import time

from selenium.webdriver.common.keys import Keys

from parley_browser import Chat, wait_for

RESULTS = "return [...document.querySelectorAll('#search-results .search-text')].map(n => n.textContent)"
EDITS = "return [...document.querySelectorAll('#edits-list li')].map(li => [li.querySelector('strong').textContent, li.querySelector('.text').textContent])"
SAVED = "return [...document.querySelectorAll('#saved-list li.saved-entry .search-text')].map(n => n.textContent)"
THREAD_PENDING = """return [...document.querySelectorAll('#thread-replies li.pending')].map(li =>
    [li.querySelector('.text').textContent, li.querySelector('.status').textContent, [...li.querySelectorAll('button')].map(b => b.textContent)])"""

# Runs before the client's scripts: every request the page makes is written down in the tab's
# sessionStorage, which outlives a reload and the page a logout goes to.
RECORD_REQUESTS = """
(() => {
  const real = window.fetch;
  window.fetch = function (input, init = {}) {
    const list = JSON.parse(sessionStorage.getItem("__requests") ?? "[]");
    list.push(`${(init.method ?? "GET").toUpperCase()} ${typeof input === "string" ? input : input.url}`);
    sessionStorage.setItem("__requests", JSON.stringify(list));
    return real.apply(this, arguments);
  };
})();
"""


def recording(browsers):
    driver = browsers()
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_REQUESTS})
    return driver


def requests_made(chat):
    return json.loads(chat.js("return sessionStorage.getItem('__requests') ?? '[]'"))


def test_search_limited_to_the_open_room_runs_again_in_the_next_one(server, browsers, account):
    ida = account("ida_stale", display_name="Ida")
    # A username whose first two letters nobody else's has: `open_dm_with` types those, and on the
    # suite's shared server "bo" finds more people than the dialog lists.
    bob = account("qx_stale_bob", display_name="Bob")
    room = ida.create_room("stale-search")["id"]
    bob.join(room)
    for n in range(3):
        bob.post(room, f"ask bob about it {n}")

    chat = Chat(browsers(), server).log_in("ida_stale")
    chat.open_dm_with("qx_stale_bob")
    chat.open_room("stale-search")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    chat.js("const s = document.getElementById('search-scope'); s.value = 'room'; s.dispatchEvent(new Event('change'))")
    chat.find("#search-input").send_keys("bob")
    chat.wait(lambda: len(chat.js(RESULTS)) == 3, message=lambda: f"results: {chat.js(RESULTS)}")
    chat.find("#search-dialog [data-close]").click()
    chat.wait(lambda: not chat.dialog_open("search-dialog"))

    # In the DM, "Only this conversation" finds none of the room's messages.
    chat.open_room("Bob")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    assert chat.js("return document.getElementById('search-scope').selectedOptions[0].textContent") == "Only this conversation"
    chat.wait(lambda: chat.text_of("search-status") == "No messages found." and chat.js(RESULTS) == [],
              message=lambda: f"{chat.text_of('search-status')!r} {chat.js(RESULTS)}")

    # Back in the room, its results come back.
    chat.find("#search-dialog [data-close]").click()
    chat.open_room("stale-search")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    chat.wait(lambda: len(chat.js(RESULTS)) == 3, message=lambda: f"results: {chat.js(RESULTS)}")


def test_an_open_edit_history_follows_edits_and_drops_every_version_once_deleted(server, browsers, account):
    ann = account("ann_edits_live", display_name="Ann")
    ben = account("ben_edits_live", display_name="Ben")
    room = ann.create_room("edits-live")["id"]
    ben.join(room)
    message = ann.post(room, "the first words")
    ann.call("PATCH", f"/api/messages/{message['id']}", expect=200, json={"text": "the second words"})

    chat = Chat(browsers(), server).log_in("ben_edits_live")
    chat.open_room("edits-live")
    chat.wait(lambda: "the second words" in chat.texts())
    chat.click_fresh(f'#messages li.message[data-id="{message["id"]}"] button.edited')
    chat.wait(lambda: chat.dialog_open("edits-dialog"))
    chat.wait(lambda: chat.js(EDITS) == [["Original", "the first words"], ["Now", "the second words"]], message=lambda: f"{chat.js(EDITS)}")

    ann.call("PATCH", f"/api/messages/{message['id']}", expect=200, json={"text": "the third words"})
    chat.wait(lambda: chat.js(EDITS) == [["Original", "the first words"], ["Version 2", "the second words"], ["Now", "the third words"]],
              message=lambda: f"{chat.js(EDITS)}")
    assert chat.text_of("edits-status") == "2 earlier versions."

    ann.call("DELETE", f"/api/messages/{message['id']}", expect=204)
    chat.wait(lambda: chat.js(EDITS) == [], message=lambda: f"still shown: {chat.js(EDITS)}")
    assert chat.text_of("edits-status") == "The message was deleted, and its history with it."
    assert "words" not in chat.find("#edits-dialog").text


def test_the_open_saved_list_follows_edits_and_deletions(server, browsers, account):
    ann = account("ann_saved_live", display_name="Ann")
    ben = account("ben_saved_live", display_name="Ben")
    room = ann.create_room("saved-live")["id"]
    ben.join(room)
    message = ann.post(room, "the secret plan")
    ben.call("PUT", f"/api/me/saved/{message['id']}", expect=200)

    chat = Chat(browsers(), server).log_in("ben_saved_live")
    chat.find("#saved-open").click()
    chat.wait(lambda: chat.dialog_open("saved-dialog"))
    chat.wait(lambda: chat.js(SAVED) == ["the secret plan"], message=lambda: f"{chat.js(SAVED)}")

    ann.call("PATCH", f"/api/messages/{message['id']}", expect=200, json={"text": "the public plan"})
    chat.wait(lambda: chat.js(SAVED) == ["the public plan"], message=lambda: f"{chat.js(SAVED)}")
    ann.call("DELETE", f"/api/messages/{message['id']}", expect=204)
    chat.wait(lambda: chat.js(SAVED) == ["This message was deleted."], message=lambda: f"{chat.js(SAVED)}")
    assert "plan" not in chat.find("#saved-dialog").text


def test_open_search_results_follow_edits_and_deletions(server, browsers, account):
    ann = account("ann_search_live", display_name="Ann")
    ben = account("ben_search_live", display_name="Ben")
    room = ann.create_room("search-live")["id"]
    ben.join(room)
    edited = ann.post(room, "ghostly lemurwq at night")
    deleted = ann.post(room, "ghostly lemurwq at noon")

    chat = Chat(browsers(), server).log_in("ben_search_live")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    chat.find("#search-input").send_keys("lemurwq")
    chat.wait(lambda: chat.js(RESULTS) == ["ghostly lemurwq at noon", "ghostly lemurwq at night"], message=lambda: f"{chat.js(RESULTS)}")
    assert chat.text_of("search-status") == "2 messages found."

    ann.call("PATCH", f"/api/messages/{edited['id']}", expect=200, json={"text": "ghostly lemurwq at dusk"})
    chat.wait(lambda: chat.js(RESULTS) == ["ghostly lemurwq at noon", "ghostly lemurwq at dusk"], message=lambda: f"{chat.js(RESULTS)}")
    # The deleted one shows as such, as in the saved list, and is no longer counted.
    ann.call("DELETE", f"/api/messages/{deleted['id']}", expect=204)
    chat.wait(lambda: chat.js(RESULTS) == ["This message was deleted.", "ghostly lemurwq at dusk"], message=lambda: f"{chat.js(RESULTS)}")
    assert chat.text_of("search-status") == "1 message found."
    assert "noon" not in chat.find("#search-dialog").text


def test_a_refused_thread_reply_is_retried_or_discarded_from_the_thread(server, browsers, account):
    owner = account("sam_slow_thread", display_name="Sam")
    member = account("tia_slow_thread", display_name="Tia")
    room = owner.create_room("slow-thread")["id"]
    member.join(room)
    owner.post(room, "the question")
    # The server refuses what the client cannot know it will: a word of the room's filter. (Slow
    # mode, used before, is now held in the box by the client.)
    owner.call("PUT", f"/api/rooms/{room}/filter", json={"words": ["spoiler"], "mode": "reject"}, expect=200)

    tia = Chat(browsers(), server).log_in("tia_slow_thread")
    tia.open_room("slow-thread")
    tia.wait(lambda: "the question" in tia.texts())
    tia.hover_action("the question", "thread-reply")
    tia.wait(lambda: tia.find("#thread-panel").is_displayed())
    tia.find("#thread-text").send_keys("a quick spoiler", Keys.ENTER)
    tia.wait(lambda: [p[0] for p in tia.js(THREAD_PENDING)] == ["a quick spoiler"] and "does not allow" in tia.js(THREAD_PENDING)[0][1],
             message=lambda: f"thread: {tia.js(THREAD_PENDING)}")
    assert tia.js(THREAD_PENDING)[0][2] == ["Retry", "Discard"]
    assert tia.pending() == [["a quick spoiler", "failed"]]

    # Once the room lets the word through, Retry in the thread sends it (as a reply).
    owner.call("PUT", f"/api/rooms/{room}/filter", json={"words": [], "mode": "reject"}, expect=200)
    tia.click_fresh("#thread-replies li.pending button", text="Retry")
    wait_for(lambda: [(m["text"], m.get("reply_to") is not None) for m in owner.history(room)][:1] == [("a quick spoiler", True)],
             message=f"not sent: {[m['text'] for m in owner.history(room)]}")
    tia.wait(lambda: tia.js(THREAD_PENDING) == [] and not tia.pending())

    # Refused again: Discard in the thread takes it from the thread and the room alike.
    owner.call("PUT", f"/api/rooms/{room}/filter", json={"words": ["spoiler"], "mode": "reject"}, expect=200)
    tia.find("#thread-text").send_keys("another spoiler", Keys.ENTER)
    tia.wait(lambda: [p[2] for p in tia.js(THREAD_PENDING)] == [["Retry", "Discard"]], message=lambda: f"thread: {tia.js(THREAD_PENDING)}")
    tia.click_fresh("#thread-replies li.pending button", text="Discard")
    tia.wait(lambda: tia.js(THREAD_PENDING) == [] and not tia.pending(), message=lambda: f"{tia.js(THREAD_PENDING)} {tia.pending()}")
    assert "another spoiler" not in [m["text"] for m in owner.history(room)]


def test_drafts_of_rooms_i_lost_are_dropped_not_sent_at_every_load(server, browsers, account):
    owner = account("oda_lost_drafts", display_name="Oda")
    writer = account("wes_lost_drafts", display_name="Wes")
    banned_from = owner.create_room("lost-drafts-ban")["id"]
    deleted = owner.create_room("lost-drafts-gone")["id"]
    for room in (banned_from, deleted):
        writer.join(room)
    owner.post(banned_from, "the thread's question")

    chat = Chat(recording(browsers), server).log_in("wes_lost_drafts")
    # A thread's draft typed just before a ban: its save is refused (403).
    chat.open_room("lost-drafts-ban")
    chat.wait(lambda: "the thread's question" in chat.texts())
    chat.hover_action("the thread's question", "thread-reply")
    chat.wait(lambda: chat.find("#thread-panel").is_displayed())
    chat.find("#thread-text").send_keys("what I meant to say")
    owner.call("POST", f"/api/rooms/{banned_from}/bans", expect=201, json={"user_id": writer.id, "duration_seconds": 3600})
    # A room's draft typed just before the room is deleted: its save finds no room (404).
    chat.open_room("lost-drafts-gone")
    chat.type("words for nobody")
    owner.call("DELETE", f"/api/rooms/{deleted}", expect=204)

    def kept():
        return chat.js("""return [localStorage.getItem('parley.threadDrafts.' + arguments[0]) ?? '{}',
            localStorage.getItem('parley.drafts.' + arguments[0]) ?? '{}']""", writer.id)

    def draft_requests():
        return [r for r in requests_made(chat) if f"/api/rooms/{banned_from}/draft" in r or f"/api/rooms/{deleted}/draft" in r]

    chat.wait(lambda: len(draft_requests()) >= 2, message=lambda: f"requests: {draft_requests()}")
    # This browser keeps neither, so a reload sends neither again, and the Drafts list has neither.
    chat.wait(lambda: f'"{banned_from}:' not in kept()[0] and f'"{deleted}"' not in kept()[1], message=lambda: f"kept: {kept()}")
    chat.js("sessionStorage.removeItem('__requests')")
    chat.driver.refresh()
    chat.wait_ready()
    time.sleep(2.5)
    assert draft_requests() == []
    assert f'"{banned_from}:' not in kept()[0] and f'"{deleted}"' not in kept()[1]


def test_logging_out_reports_nothing_with_the_ended_session(server, browsers, account):
    account("lou_logout", display_name="Lou")
    chat = Chat(recording(browsers), server).log_in("lou_logout")
    chat.js("sessionStorage.removeItem('__requests')")
    chat.find("#logout").click()
    chat.wait(lambda: chat.find("#auth-username").is_displayed(), message="not logged out")
    # Anything a hidden tab reports (late) is given the time to be written down.
    time.sleep(1.5)
    made = requests_made(chat)
    assert "DELETE /api/session" in made, made
    after = made[made.index("DELETE /api/session") + 1:]
    assert [r for r in after if r.startswith("PUT ") or r.startswith("POST ") or r.startswith("DELETE ")] == [], made
