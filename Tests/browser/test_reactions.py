"""Reactions in the browser: the picker, the counts both people see live, and taking one back."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat, sql

CHIPS = """const li = document.querySelector('#messages li.message[data-id="' + arguments[0] + '"]');
    return li ? [...li.querySelectorAll('.reactions .reaction')]
        .map(b => [b.dataset.emoji, b.querySelector('.count').textContent, b.getAttribute('aria-pressed')]) : null"""


def chips(chat, message_id):
    return chat.js(CHIPS, message_id)


def test_two_people_react_and_see_each_others_reactions_live(server, browsers, account):
    ann = account("ann_reacts", display_name="Ann")
    account("ben_reacts", display_name="Ben")
    ann_chat = Chat(browsers(), server).log_in("ann_reacts")
    ben = Chat(browsers(), server).log_in("ben_reacts")
    ann_chat.send("lunch at noon?")
    ben.wait(lambda: "lunch at noon?" in ben.texts())
    message_id = ben.message_id("lunch at noon?")

    # Ben picks 👍 from the message's reaction picker.
    ben.hover_action("lunch at noon?", "react")
    ben.wait(lambda: ben.js("return document.querySelector('.reaction-picker') !== null"), message="no reaction picker")
    assert ben.js("return document.activeElement.dataset.emoji") == "👍"
    ben.find('.reaction-picker [data-emoji="👍"]').click()
    ben.wait(lambda: chips(ben, message_id) == [["👍", "1", "true"]], message=f"ben's reaction not shown: {chips(ben, message_id)}")
    assert ben.js("return document.querySelector('.reaction-picker')") is None
    ann_chat.wait(lambda: chips(ann_chat, message_id) == [["👍", "1", "false"]], message="ann did not see ben's reaction live")
    assert "Ben reacted with 👍" in ann_chat.find(f'#messages li.message[data-id="{message_id}"] .reaction').get_attribute("title")

    # Ann adds hers by clicking the chip; Ben sees the count go up.
    ann_chat.find(f'#messages li.message[data-id="{message_id}"] .reaction[data-emoji="👍"]').click()
    ann_chat.wait(lambda: chips(ann_chat, message_id) == [["👍", "2", "true"]])
    ben.wait(lambda: chips(ben, message_id) == [["👍", "2", "true"]], message="ben did not see ann's reaction")

    # From the keyboard: the picker opens on the focused action, arrows move, Enter picks.
    ann_chat.hover_action("lunch at noon?", "react")
    ann_chat.wait(lambda: ann_chat.js("return document.activeElement.dataset.emoji") == "👍")
    ann_chat.driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    assert ann_chat.js("return document.activeElement.dataset.emoji") == "❤️"
    ann_chat.driver.switch_to.active_element.send_keys(Keys.ENTER)
    ben.wait(lambda: chips(ben, message_id) == [["👍", "2", "true"], ["❤️", "1", "false"]], message="ben did not see the heart")

    # Ben takes his 👍 back; the reload shows what the server kept.
    ben.find(f'#messages li.message[data-id="{message_id}"] .reaction[data-emoji="👍"]').click()
    ann_chat.wait(lambda: chips(ann_chat, message_id) == [["👍", "1", "true"], ["❤️", "1", "true"]], message="the removal did not show")
    ben.driver.refresh()
    ben.wait_ready()
    ben.wait(lambda: chips(ben, message_id) == [["👍", "1", "false"], ["❤️", "1", "false"]])
    stored = [m for m in ann.history(1, limit=10) if m["id"] == int(message_id)][0]["reactions"]
    assert [(r["emoji"], r["count"]) for r in stored] == [("👍", 1), ("❤️", 1)]


def test_escape_closes_the_picker_without_reacting(server, browsers, account):
    account("cy_reacts")
    chat = Chat(browsers(), server).log_in("cy_reacts")
    chat.send("nothing to see")
    chat.wait(lambda: "nothing to see" in chat.texts())
    chat.hover_action("nothing to see", "react")
    chat.wait(lambda: chat.js("return document.querySelector('.reaction-picker') !== null"))
    chat.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    chat.wait(lambda: chat.js("return document.querySelector('.reaction-picker')") is None)
    assert chat.js("return document.activeElement.dataset.action") == "react"
    assert chat.message("nothing to see").find_elements(By.CSS_SELECTOR, ".reactions") == []
    assert chips(chat, chat.message_id("nothing to see")) == []


def test_any_emoji_is_picked_named_or_typed_from_the_whole_picker(server, browsers, account):
    account("dee_reacts")
    chat = Chat(browsers(), server).log_in("dee_reacts")
    chat.send("ship it")
    chat.wait(lambda: "ship it" in chat.texts())
    message_id = chat.message_id("ship it")
    shown = "return !document.getElementById('emoji-picker').hidden"

    def more():
        chat.hover_action("ship it", "react")
        chat.wait(lambda: chat.js("return document.querySelector('.reaction-picker') !== null"))
        chat.find(".reaction-picker .pick.more").click()
        chat.wait(lambda: chat.js(shown) and chat.js("return document.activeElement.id") == "emoji-search")
        # The small menu made way for the whole picker.
        assert chat.js("return document.querySelector('.reaction-picker')") is None

    # An emoji typed or pasted into the search is offered as it is.
    more()
    # (ChromeDriver types no emoji: the field is filled as a paste or the system's emoji keyboard would.)
    chat.js("const f = document.getElementById('emoji-search'); f.value = '🚀'; f.dispatchEvent(new Event('input'))")
    chat.wait(lambda: chat.js("return [...document.querySelectorAll('#emoji-results .emoji-cell')].map(b => b.dataset.emoji)") == ["🚀"])
    chat.find("#emoji-search").send_keys(Keys.ENTER)
    chat.wait(lambda: chips(chat, message_id) == [["🚀", "1", "true"]], message=f"the typed emoji was not added: {chips(chat, message_id)}")
    assert not chat.js(shown)
    # Focus goes back to the message's reaction button.
    assert chat.js("return document.activeElement.dataset.action") == "react"
    # A word that names no emoji offers none, and adds nothing.
    more()
    chat.find("#emoji-search").send_keys("ok", "ay")
    chat.wait(lambda: "No emoji by that name." in chat.text_of("emoji-results"))
    chat.find("#emoji-search").send_keys(Keys.ESCAPE)
    chat.wait(lambda: not chat.js(shown))
    assert chips(chat, message_id) == [["🚀", "1", "true"]]
    # A short name between colons finds its emoji; a click reacts with it.
    more()
    chat.find("#emoji-search").send_keys(":tada:")
    chat.wait(lambda: chat.js("return document.querySelector('#emoji-results .emoji-cell')?.dataset.emoji") == "🎉")
    chat.find("#emoji-results .emoji-cell").click()
    chat.wait(lambda: chips(chat, message_id) == [["🚀", "1", "true"], ["🎉", "1", "true"]], message=f"{chips(chat, message_id)}")


def test_a_popular_reaction_shows_its_count_and_knows_mine_beyond_the_listed_hundred(server, browsers, account):
    owner = account("stage_owner", display_name="Stage")
    reader = account("late_fan", display_name="Late Fan")
    room = owner.create_room("big-stage")["id"]
    reader.join(room)
    take = owner.post(room, "a popular take")
    # 120 people reacted 👍 before the reader (seeded in bulk; the reader's own reaction, through the
    # API, rewrites the summary: 121 in all, the first 100 listed, the reader not among them).
    sql(server, "INSERT INTO users (username, display_name, password_hash, created_at) "
                "SELECT CONCAT('crowd', seq), CONCAT('Crowd ', seq), 'x', NOW(3) FROM seq_1_to_120")
    sql(server, "INSERT INTO reactions (message_id, emoji, user_id, created_at) "
                f"SELECT {take['id']}, '👍', id, NOW(3) - INTERVAL 1 MINUTE FROM users WHERE username LIKE 'crowd%'")
    answer = reader.call("PUT", f"/api/messages/{take['id']}/reactions/%F0%9F%91%8D", expect=200).json()
    assert answer["reactions"][0]["count"] == 121 and reader.id not in answer["reactions"][0]["user_ids"]

    chat = Chat(browsers(), server).log_in("late_fan")
    chat.open_room("big-stage")
    chat.wait(lambda: chips(chat, take["id"]) == [["👍", "121", "true"]], message=f"{chips(chat, take['id'])}")
    title = chat.js("""return document.querySelector('#messages li.message[data-id="' + arguments[0] + '"] .reaction').title""", take["id"])
    # (The crowd are not members of the room, like people who reacted and left: "someone".)
    assert title.startswith("you, someone, ") and title.endswith(" and 20 others reacted with 👍"), title
    # Taking it back and giving it again work, though the reader was never listed.
    chat.find(f'#messages li.message[data-id="{take["id"]}"] .reaction').click()
    chat.wait(lambda: chips(chat, take["id"]) == [["👍", "120", "false"]], message=f"{chips(chat, take['id'])}")
    chat.find(f'#messages li.message[data-id="{take["id"]}"] .reaction').click()
    chat.wait(lambda: chips(chat, take["id"]) == [["👍", "121", "true"]], message=f"{chips(chat, take['id'])}")
    assert reader.call("GET", f"/api/messages/{take['id']}", expect=200).json()["message"]["my_reactions"] == ["👍"]
