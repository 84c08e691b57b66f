"""Marking every room read at once: the button (shown only while something is unread) and Shift+Esc."""
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat


def test_mark_all_as_read_clears_every_badge_in_every_tab(server, browsers, account):
    kim = account("kim_unread", display_name="Kim")
    lee = account("lee_unread", display_name="Lee")
    news = lee.create_room("unread-news")["id"]
    talk = lee.create_room("unread-talk")["id"]
    kim.join(news)
    kim.join(talk)
    kim.create_room("unread-quiet")
    chat = Chat(browsers(), server).log_in("kim_unread")
    other_tab = Chat(browsers(), server).log_in("kim_unread")
    for tab in (chat, other_tab):
        tab.open_room("unread-quiet")
    assert not chat.find("#mark-all-read").is_displayed()

    for n in range(3):
        lee.post(news, f"news {n}")
    lee.post(talk, "talk @kim_unread")
    for tab in (chat, other_tab):
        tab.wait(lambda: tab.badge("unread-news") == ["3", False] and tab.badge("unread-talk") == ["1", True], message="no badges")
    chat.wait(lambda: chat.find("#mark-all-read").is_displayed())

    chat.find("#mark-all-read").click()
    chat.wait(lambda: chat.badge("unread-news") is None and chat.badge("unread-talk") is None, message="the badges stayed")
    chat.wait(lambda: not chat.find("#mark-all-read").is_displayed())
    # My other tab follows; the server has every room read.
    other_tab.wait(lambda: other_tab.badge("unread-news") is None and other_tab.badge("unread-talk") is None,
                   message="the other tab kept its badges")
    rooms = kim.call("GET", "/api/me/summary", expect=200).json()["rooms"]
    assert all(r["unread_count"] == 0 for r in rooms), rooms

    # Shift+Esc does the same from the keyboard.
    lee.post(news, "news again")
    chat.wait(lambda: chat.badge("unread-news") == ["1", False])
    ActionChains(chat.driver).key_down(Keys.SHIFT).send_keys(Keys.ESCAPE).key_up(Keys.SHIFT).perform()
    chat.wait(lambda: chat.badge("unread-news") is None, message="Shift+Esc left the badge")
