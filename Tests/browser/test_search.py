"""Searching messages in the browser: results from my rooms only, highlighted, and a click that
opens the room at the message."""
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat
from test_files import share

RESULTS = "return [...document.querySelectorAll('#search-results .search-result button')].map(b => b.querySelector('.search-text').textContent)"
MARKS = "return [...document.querySelectorAll('#search-results mark')].map(m => m.textContent)"


def test_search_finds_my_rooms_messages_and_jumps_to_one(server, browsers, account):
    dora = account("dora_search", display_name="Dora")
    eli = account("eli_search", display_name="Eli")
    room = dora.create_room("ops-search")["id"]
    eli.join(room)
    secret = eli.create_room("eli-private", kind="group")["id"]
    eli.post(secret, "the invoice for the zeppelin is private")
    dora.post(room, "The zeppelin lands at dawn")
    for n in range(60):
        dora.post(room, f"filler message {n}")
    dora.post(1, "zeppelins are noisy")

    chat = Chat(browsers(), server).log_in("dora_search")
    # Ctrl+Shift+F opens the search; typing searches as one types.
    chat.find("#composer-text").send_keys(Keys.CONTROL, Keys.SHIFT, "f")
    chat.wait(lambda: chat.dialog_open("search-dialog"), message="Ctrl+Shift+F did not open search")
    chat.find("#search-input").send_keys("ZEPP")
    chat.wait(lambda: chat.js(RESULTS) == ["zeppelins are noisy", "The zeppelin lands at dawn"],
              message=f"unexpected results: {chat.js(RESULTS)}")
    assert chat.js(MARKS) == ["zeppelins", "zeppelin"]
    assert chat.text_of("search-status") == "2 messages found."

    # Only the open room's messages when asked.
    chat.find("#search-dialog [data-close]").click()
    chat.open_room("ops-search")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    chat.js("const s = document.getElementById('search-scope'); s.value = 'room'; s.dispatchEvent(new Event('change'))")
    chat.wait(lambda: chat.js(RESULTS) == ["The zeppelin lands at dawn"])

    # A one-letter word is not searched: the dialog says why.
    chat.find("#search-input").clear()
    chat.find("#search-input").send_keys("z")
    chat.wait(lambda: "at least one word of 2 or more letters" in chat.text_of("search-status"))
    chat.find("#search-input").send_keys(Keys.BACKSPACE, "zeppelin", Keys.ENTER)
    chat.wait(lambda: chat.js(RESULTS) == ["The zeppelin lands at dawn"])

    # The message is older than the loaded page: picking it loads back to it and highlights it.
    chat.find("#search-dialog [data-close]").click()
    chat.wait(lambda: not chat.dialog_open("search-dialog"))
    chat.open_room("main")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    chat.js("const s = document.getElementById('search-scope'); s.value = 'all'; s.dispatchEvent(new Event('change'))")
    chat.wait(lambda: len(chat.js(RESULTS)) == 2)
    chat.find('#search-results button[data-room="%d"]' % room).click()
    chat.wait(lambda: chat.room_title() == "ops-search", message="the result's room did not open")
    chat.wait(lambda: chat.js("return document.activeElement?.querySelector?.('.text')?.textContent") == "The zeppelin lands at dawn",
              message="the found message was not focused")
    assert not chat.dialog_open("search-dialog")


def test_search_narrows_to_one_sender_and_back(server, browsers, account):
    fay = account("fay_from", display_name="Fay")
    gus = account("gus_from", display_name="Gus")
    fay.post(1, "quokka sighting near the lake")
    gus.post(1, "another quokka, this one on the bridge")
    chat = Chat(browsers(), server).log_in("fay_from")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    chat.find("#search-input").send_keys("quokka")
    chat.wait(lambda: len(chat.js(RESULTS)) == 2)
    # From: a username picks a sender.
    # (Other tests' users may share the prefix: the whole username narrows it to one.)
    chat.find("#search-from-input").send_keys("gus_from")
    chat.wait(lambda: chat.js("return [...document.querySelectorAll('#search-from-results .option')].map(o => o.dataset.username)") == ["gus_from"])
    chat.find('#search-from-results .option[data-username="gus_from"]').click()
    chat.wait(lambda: chat.js(RESULTS) == ["another quokka, this one on the bridge"], message=f"{chat.js(RESULTS)}")
    assert "Gus (@gus_from)" in chat.text_of("search-from-chosen")
    # Clearing the sender searches everyone again.
    chat.find("#search-from-chosen button").click()
    chat.wait(lambda: len(chat.js(RESULTS)) == 2)
    assert chat.find("#search-from-input").is_displayed()


def test_search_finds_a_shared_file_by_the_words_of_its_name(server, browsers, account):
    gil = account("gil_search", display_name="Gil")
    share(server, gil, 1, "Zeppelin_flight-plan.pdf", "application/pdf", b"%PDF-1.4 not really")
    gil.post(1, "the flight was smooth")

    chat = Chat(browsers(), server).log_in("gil_search")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    # "plan" is a word of the name (between `-` and `.`), not of any message's text.
    chat.find("#search-input").send_keys("plan")
    chat.wait(lambda: chat.js(RESULTS) == ["📎 Zeppelin_flight-plan.pdf"], message=f"unexpected results: {chat.js(RESULTS)}")
    assert chat.js(MARKS) == ["plan"]
    # A word in both finds both: the name marked under its (empty) caption, the message's text.
    chat.find("#search-input").clear()
    chat.find("#search-input").send_keys("flight")
    chat.wait(lambda: chat.js(RESULTS) == ["the flight was smooth", "📎 Zeppelin_flight-plan.pdf"],
              message=f"unexpected results: {chat.js(RESULTS)}")
    assert chat.js(MARKS) == ["flight", "flight"]

    # "With" narrows to messages that share a file or hold a link, and back.
    gil.post(1, "flight log at https://example.com/log")
    # Enter searches again with the same words (and finds what was posted since).
    chat.find("#search-input").send_keys(Keys.ENTER)
    chat.wait(lambda: len(chat.js(RESULTS)) == 3, message=f"unexpected results: {chat.js(RESULTS)}")
    chat.js("const s = document.getElementById('search-has'); s.value = 'link'; s.dispatchEvent(new Event('change'))")
    chat.wait(lambda: chat.js(RESULTS) == ["flight log at https://example.com/log"], message=f"unexpected results: {chat.js(RESULTS)}")
    chat.js("const s = document.getElementById('search-has'); s.value = 'file'; s.dispatchEvent(new Event('change'))")
    chat.wait(lambda: chat.js(RESULTS) == ["📎 Zeppelin_flight-plan.pdf"], message=f"unexpected results: {chat.js(RESULTS)}")
    # "When": today (from local midnight, sent to the server as `since`) finds all three, sent today.
    chat.js("const s = document.getElementById('search-has'); s.value = ''; s.dispatchEvent(new Event('change'))")
    chat.js("const s = document.getElementById('search-when'); s.value = '1'; s.dispatchEvent(new Event('change'))")
    chat.wait(lambda: len(chat.js(RESULTS)) == 3, message=f"unexpected results: {chat.js(RESULTS)}")


def test_search_highlights_what_the_server_matched_inside_chinese_and_without_accents_or_case(server, browsers, account):
    kit = account("kit_marks", display_name="Kit")
    room = kit.create_room("kit-marks", kind="group")["id"]
    kit.post(room, "明天的会议取消")
    kit.post(room, "un café au lait")
    kit.post(room, "İstanbul in spring, then ＴＯＫＹＯ")
    kit.post(room, "カイギ です")

    chat = Chat(browsers(), server).log_in("kit_marks")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))

    def search(words, results):
        chat.find("#search-input").clear()
        chat.find("#search-input").send_keys(words, Keys.ENTER)
        chat.wait(lambda: chat.js(RESULTS) == results, message=f"{words}: {chat.js(RESULTS)}")
        return chat.js(MARKS)

    # Chinese and Japanese are found (and marked) anywhere in a run of their characters; katakana as hiragana.
    assert search("会议", ["明天的会议取消"]) == ["会议"]
    assert search("かいぎ", ["カイギ です"]) == ["カイギ"]
    # Other words from their start, whatever their accents, case or width.
    assert search("CAFE", ["un café au lait"]) == ["café"]
    assert search("istanbul tokyo", ["İstanbul in spring, then ＴＯＫＹＯ"]) == ["İstanbul", "ＴＯＫＹＯ"]


def test_search_folds_messages_from_people_i_blocked(server, browsers, account):
    alice = account("alice_search_block", display_name="Alice")
    dave = account("dave_search_block", display_name="Dave")
    room = alice.create_room("search-block")["id"]
    dave.join(room)
    alice.call("PUT", f"/api/me/blocks/{dave.id}", expect=204)
    dave.post(room, "nasty vulturewq insult text")
    alice.post(room, "a kind vulturewq remark")

    chat = Chat(browsers(), server).log_in("alice_search_block")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    chat.find("#search-input").send_keys("vulturewq")
    chat.wait(lambda: chat.js(RESULTS) == ["a kind vulturewq remark", "A message from someone you blocked."], message=lambda: f"{chat.js(RESULTS)}")
    assert "nasty" not in chat.find("#search-dialog").text

    # Unblocked (from another tab of hers), his words show.
    alice.call("DELETE", f"/api/me/blocks/{dave.id}", expect=204)
    chat.wait(lambda: chat.js(RESULTS) == ["a kind vulturewq remark", "nasty vulturewq insult text"], message=lambda: f"{chat.js(RESULTS)}")


def test_more_right_after_new_words_searches_them_afresh(server, browsers, account):
    gil = account("gil_search_more", display_name="Gil")
    room = gil.create_room("search-more")["id"]
    # The new words' messages are older than the first page of the old ones: paging the old list
    # with the new words would find them and add them to it.
    for n in range(3):
        gil.post(room, f"zebrawordz number {n}")
    for n in range(21):
        gil.post(room, f"pagingwordz number {n}")

    chat = Chat(browsers(), server).log_in("gil_search_more")
    chat.find("#search-open").click()
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    chat.find("#search-input").send_keys("pagingwordz")
    chat.wait(lambda: chat.text_of("search-status") == "20+ messages found." and chat.find("#search-more").is_displayed(),
              message=lambda: chat.text_of("search-status"))
    # New words, and More clicked before the pause after typing is over.
    chat.js("""const input = document.getElementById('search-input');
        input.value = 'zebrawordz';
        input.dispatchEvent(new Event('input'));
        document.getElementById('search-more').click();""")
    zebras = [f"zebrawordz number {n}" for n in (2, 1, 0)]
    chat.wait(lambda: chat.js(RESULTS) == zebras and chat.text_of("search-status") == "3 messages found.",
              message=lambda: f"{chat.text_of('search-status')!r} {chat.js(RESULTS)}")
