"""Saved messages: saving from a message's actions, the saved list, and every tab of mine in step."""
from selenium.webdriver.common.by import By

from parley_browser import Chat


def is_marked(chat, text):
    marks = chat.message(text).find_elements(By.CSS_SELECTOR, ".saved-mark")
    return bool(marks) and marks[0].is_displayed()


def saved_entries(chat):
    return chat.js("return [...document.querySelectorAll('#saved-list li.saved-entry .search-text')].map(n => n.textContent)")


def test_saving_a_message_lists_it_opens_it_and_every_tab_follows(server, browsers, account):
    sam = account("sam_saved", display_name="Sam")
    sue = account("sue_saved", display_name="Sue")
    room = sue.create_room("saved-room")["id"]
    checklist = sue.post(room, "the launch checklist")
    for n in range(120):
        sue.post(room, f"filler {n}")
    # Joined after them: nothing is unread, so the room opens at the newest (not at a first unread).
    sam.join(room)

    chat = Chat(browsers(), server).log_in("sam_saved")
    other_tab = Chat(browsers(), server).log_in("sam_saved")
    for tab in (chat, other_tab):
        tab.open_room("saved-room")
        tab.wait(lambda: "filler 119" in tab.texts())
    chat.hover_action("filler 119", "save")
    chat.wait(lambda: is_marked(chat, "filler 119"))
    # My other tab follows at once, and the server holds it.
    other_tab.wait(lambda: is_marked(other_tab, "filler 119"), message="the other tab did not show the saved mark")
    assert [e["message"]["text"] for e in sam.call("GET", "/api/me/saved", expect=200).json()["saved"]] == ["filler 119"]
    button = chat.message("filler 119").find_element(By.CSS_SELECTOR, '[data-action="save"]')
    assert button.get_attribute("aria-label") == "Remove from saved" and button.get_attribute("aria-pressed") == "true"
    # Sue sees no mark: saving is private.
    sue_chat = Chat(browsers(), server).log_in("sue_saved")
    sue_chat.open_room("saved-room")
    sue_chat.wait(lambda: "filler 119" in sue_chat.texts())
    assert not is_marked(sue_chat, "filler 119")

    # One saved far back (through the API): the list opens it in its room, however far back.
    sam.call("PUT", f"/api/me/saved/{checklist['id']}", expect=200)
    chat.find("#saved-open").click()
    chat.wait(lambda: chat.dialog_open("saved-dialog"))
    chat.wait(lambda: saved_entries(chat) == ["the launch checklist", "filler 119"])
    assert chat.text_of("saved-status") == "2 saved messages."
    chat.find(f'#saved-list li[data-message="{checklist["id"]}"] button').click()
    chat.wait(lambda: not chat.dialog_open("saved-dialog"))
    chat.wait(lambda: chat.js("return document.activeElement?.dataset?.id") == str(checklist["id"]), message="the saved message was not shown")
    assert is_marked(chat, "the launch checklist")

    # Removing it from the list unsaves it everywhere.
    chat.find("#saved-open").click()
    chat.wait(lambda: saved_entries(chat) == ["the launch checklist", "filler 119"])
    chat.find(f'#saved-list li[data-message="{checklist["id"]}"] button.secondary').click()
    chat.wait(lambda: saved_entries(chat) == ["filler 119"])
    chat.wait(lambda: [e["message"]["text"] for e in sam.call("GET", "/api/me/saved", expect=200).json()["saved"]] == ["filler 119"])
    chat.find("#saved-dialog [data-close]").click()
    chat.wait(lambda: not is_marked(chat, "the launch checklist"))

    # Unsaved from the other tab: the mark goes here too; a reload keeps what the server holds.
    other_tab.hover_action("filler 119", "save")
    chat.wait(lambda: chat.message_id("filler 119") is None or not is_marked(chat, "filler 119"))
    sam.call("PUT", f"/api/me/saved/{checklist['id']}", expect=200)
    chat.driver.refresh()
    chat.wait_ready()
    chat.js("location.hash = arguments[0]", f"#room/{room}/message/{checklist['id']}")
    chat.wait(lambda: chat.message_id("the launch checklist") is not None and is_marked(chat, "the launch checklist"))
