"""Group DMs: a conversation of several people opened from "Direct message" by adding them one by
one, the same conversation for the same people, named after the others everywhere and live."""
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

TOPIC = "return document.getElementById('room-topic').textContent"


def chips(chat):
    return chat.js("return [...document.querySelectorAll('#dm-chips .chip')].map(c => c.textContent)")


def add_person(chat, typed, username):
    chat.find("#dm-input").send_keys(typed)
    chat.wait(lambda: chat.js(
        "return [...document.querySelectorAll('#dm-results .option')].some(o => o.dataset.username === arguments[0])", username),
        message=f"{username} not offered for {typed!r}")
    chat.find(f'#dm-results .option[data-username="{username}"]').click()


def test_a_group_dm_gathers_people_and_reaches_them_all(server, browsers, account):
    gia = account("gia_gdm", display_name="Gia Group")
    hal = account("hal_gdm", display_name="Hal Group")
    ivy = account("ivy_gdm", display_name="Ivy Group")

    chat = Chat(browsers(), server).log_in("gia_gdm")
    other = Chat(browsers(), server).log_in("hal_gdm")

    chat.find("#new-dm").click()
    chat.wait(lambda: chat.dialog_open("dm-dialog"))
    assert not chat.find("#dm-open").is_enabled()
    # By username with the keyboard, and by a word of a display name with the mouse.
    chat.find("#dm-input").send_keys("hal_g")
    chat.wait(lambda: chat.js("return document.querySelectorAll('#dm-results .option').length") == 1)
    chat.find("#dm-input").send_keys(Keys.ENTER)
    chat.wait(lambda: chips(chat) == ["Hal Group"], message=f"chips: {chips(chat)}")
    assert chat.dialog_open("dm-dialog")
    add_person(chat, "ivy", "ivy_gdm")
    chat.wait(lambda: chips(chat) == ["Hal Group", "Ivy Group"], message=f"chips: {chips(chat)}")
    # Someone chosen is not offered again; a chip's × takes them out.
    chat.find("#dm-input").send_keys("hal_g")
    chat.wait(lambda: chat.js("return document.getElementById('dm-input').getAttribute('aria-expanded')") == "false")
    chat.find("#dm-input").clear()
    assert chat.find("#dm-open").text == "Open group conversation (3 people)"

    # Enter in the empty box opens it.
    chat.find("#dm-input").send_keys(Keys.ENTER)
    chat.wait(lambda: not chat.dialog_open("dm-dialog"))
    chat.wait(lambda: chat.room_title() == "Hal Group, Ivy Group", message=f"title: {chat.room_title()}")
    # Its header says who is in it and how many of them are online (Hal's browser is open, Ivy has none).
    chat.wait(lambda: chat.js(TOPIC) == "you, @hal_gdm, @ivy_gdm · 1 of 2 online", message=lambda: f"header: {chat.js(TOPIC)}")
    assert "Hal Group, Ivy Group" in chat.sidebar_rooms("dm-list")
    chat.send("lunch at noon?")
    chat.wait(lambda: "lunch at noon?" in chat.texts())

    # Hal's list gains it at once, named after the other two, unread; the message is there.
    other.wait(lambda: "Gia Group, Ivy Group" in other.sidebar_rooms("dm-list"), message=f"{other.sidebar_rooms('dm-list')}")
    other.wait(lambda: other.badge("Gia Group, Ivy Group") is not None)
    other.open_room("Gia Group, Ivy Group", "dm-list")
    other.wait(lambda: "lunch at noon?" in other.texts())
    other.send("noon works")
    chat.wait(lambda: "noon works" in chat.texts())
    room = [r for r in ivy.call("GET", "/api/rooms", expect=200).json()["mine"] if r["kind"] == "dm"]
    assert [(r["name"], r["member_count"]) for r in room] == [("Gia Group, Hal Group", 3)]

    # The same people, from another of them: the same conversation.
    again = ivy.call("POST", "/api/dms", expect=200, json={"user_ids": [hal.id, gia.id]}).json()["room"]
    assert again["id"] == room[0]["id"]

    # A new name shows at once in the others' lists and headers.
    ivy.call("PATCH", "/api/me", expect=200, json={"display_name": "Ivy Renamed"})
    chat.wait(lambda: chat.room_title() == "Hal Group, Ivy Renamed", message=f"title: {chat.room_title()}")
    other.wait(lambda: "Gia Group, Ivy Renamed" in other.sidebar_rooms("dm-list"), message=f"{other.sidebar_rooms('dm-list')}")

    # Ctrl+K finds it by one of its people.
    chat.open_room("main")
    chat.find("#composer-text").send_keys(Keys.CONTROL, "k")
    chat.wait(lambda: chat.dialog_open("switcher-dialog"))
    chat.find("#switcher-input").send_keys("ivy_g")
    listed = """return [...document.querySelectorAll('#switcher-list li')].map(li =>
        [li.querySelector('.switcher-name').textContent, li.querySelector('.switcher-detail').textContent])"""
    chat.wait(lambda: chat.js(listed)[:1] == [["Hal Group, Ivy Renamed", "group conversation · 3 people"]], message=f"{chat.js(listed)}")
    chat.find("#switcher-input").send_keys(Keys.ENTER)
    chat.wait(lambda: chat.room_title() == "Hal Group, Ivy Renamed")

    # A DM's people never change: "Add people…" starts a new conversation with them and more.
    account("kit_gdm", display_name="Kit Group")
    chat.find("#members-toggle").click()
    chat.wait(lambda: chat.find("#dm-add-people").is_displayed())
    chat.find("#dm-add-people").click()
    chat.wait(lambda: chat.dialog_open("dm-dialog"))
    assert chips(chat) == ["Hal Group", "Ivy Renamed"]
    add_person(chat, "kit", "kit_gdm")
    chat.wait(lambda: chat.find("#dm-open").text == "Open group conversation (4 people)")
    chat.find("#dm-open").click()
    chat.wait(lambda: chat.room_title() == "Hal Group, Ivy Renamed, Kit Group", message=f"title: {chat.room_title()}")
    assert len([r for r in gia.call("GET", "/api/rooms", expect=200).json()["mine"] if r["kind"] == "dm"]) == 2


def test_the_people_picker_says_when_nobody_matches(server, browsers, account):
    account("nemo_picker", display_name="Nemo")
    account("nia_picker", display_name="Nia")
    chat = Chat(browsers(), server).log_in("nemo_picker")
    chat.find("#new-dm").click()
    chat.wait(lambda: chat.dialog_open("dm-dialog"))
    # The dialog's own action looks like one (it was drawn as plain text).
    assert "primary" in chat.find("#dm-open").get_attribute("class").split()
    note = "return document.querySelector('#dm-results .user-results-note')?.textContent ?? null"
    chat.find("#dm-input").send_keys("zzqq")
    chat.wait(lambda: chat.js(note) == "Nobody by that name.", message=lambda: f"note: {chat.js(note)!r}")
    # Only myself: left out, and said so.
    chat.find("#dm-input").clear()
    chat.find("#dm-input").send_keys("nemo_pick")
    chat.wait(lambda: chat.js(note) == "Nobody else by that name.", message=lambda: f"note: {chat.js(note)!r}")
    # Someone found: no note; picked, the list empties.
    add_person(chat, Keys.BACKSPACE * 9 + "nia", "nia_picker")
    assert chat.js(note) is None
    assert chat.js("return document.querySelectorAll('#dm-results li').length") == 0
