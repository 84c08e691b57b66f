"""Jumping to a conversation (Ctrl+K): my rooms, groups and DMs by name, public rooms I have not
joined (joined on the spot, with the password if they have one) and people I have no DM with."""
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

OPTIONS = """return [...document.querySelectorAll('#switcher-list li')].map(li =>
    [li.querySelector('.switcher-name').textContent, li.querySelector('.switcher-detail').textContent, li.classList.contains('active')])"""


def options(chat):
    return chat.js(OPTIONS)


def names(chat):
    return [name for name, _, _ in options(chat)]


def open_switcher(chat):
    ActionChains(chat.driver).key_down(Keys.CONTROL).send_keys("k").key_up(Keys.CONTROL).perform()
    chat.wait(lambda: chat.dialog_open("switcher-dialog"), message="Ctrl+K did not open the switcher")
    assert chat.js("return document.activeElement.id") == "switcher-input"


def jump(chat, typed, expected_names, keys=()):
    """Opens the switcher, types, waits for the list to read `expected_names`, presses `keys` then Enter."""
    open_switcher(chat)
    chat.find("#switcher-input").send_keys(typed)
    chat.wait(lambda: names(chat) == expected_names, message=f"after {typed!r}: {options(chat)}")
    for key in keys:
        chat.find("#switcher-input").send_keys(key)
    chat.find("#switcher-input").send_keys(Keys.ENTER)
    chat.wait(lambda: not chat.dialog_open("switcher-dialog"))


def test_ctrl_k_jumps_to_rooms_joins_public_ones_and_starts_dms(server, browsers, account):
    kay = account("kay_switch", display_name="Kay")
    lou = account("lou_switch", display_name="Lou Switcher")
    account("max_switch", display_name="Max Switcher")
    account("ned_switch", display_name="Nedda Quillfeather")
    team = kay.create_room("quartz-team")["id"]
    kay.create_room("quartzite", kind="group")
    lou.create_room("quartz-open")
    lou.create_room("quartz-locked", password="sesame")
    lou.join(team)
    dm = lou.call("POST", "/api/dms", expect=201, json={"user_id": kay.id}).json()["room"]["id"]
    lou.post(dm, "are you there?")

    chat = Chat(browsers(), server).log_in("kay_switch")
    chat.open_room("quartz-team")

    # Nothing typed: my conversations, the latest active first, the open room last; the DM shows unread.
    open_switcher(chat)
    chat.wait(lambda: names(chat)[:1] == ["Lou Switcher"] and names(chat)[-1] == "quartz-team", message=f"{options(chat)}")
    assert chat.js("return document.querySelector('#switcher-list li .badge')?.textContent") == "1"
    chat.find("#switcher-input").send_keys(Keys.ESCAPE)
    chat.wait(lambda: not chat.dialog_open("switcher-dialog"))

    # Typed: my rooms first (best match first), then public rooms to join; arrows choose.
    open_switcher(chat)
    chat.find("#switcher-input").send_keys("quartz")
    expected = ["quartz-team", "quartzite", "quartz-locked", "quartz-open"]
    chat.wait(lambda: names(chat) == expected, message=f"{options(chat)}")
    assert [detail for _, detail, _ in options(chat)] == ["room", "private group", "public room · join with its password", "public room · join"]
    assert [active for _, _, active in options(chat)] == [True, False, False, False]
    chat.find("#switcher-input").send_keys(Keys.ARROW_DOWN)
    assert [active for _, _, active in options(chat)] == [False, True, False, False]
    chat.find("#switcher-input").send_keys(Keys.ENTER)
    chat.wait(lambda: chat.room_title() == "quartzite", message=f"opened {chat.room_title()}")

    # A public room I am not in is joined on the spot, and opens.
    jump(chat, "quartz-o", ["quartz-open"])
    chat.wait(lambda: chat.room_title() == "quartz-open", message=f"opened {chat.room_title()}")
    chat.wait(lambda: "quartz-open" in chat.sidebar_rooms())
    assert "quartz-open" in [r["name"] for r in kay.call("GET", "/api/rooms", expect=200).json()["mine"]]

    # One with a password asks for it first.
    jump(chat, "quartz-l", ["quartz-locked"])
    chat.wait(lambda: chat.dialog_open("password-dialog"), message="no password asked")
    chat.find("#room-join-password").send_keys("sesame", Keys.ENTER)
    chat.wait(lambda: chat.room_title() == "quartz-locked", message=f"opened {chat.room_title()}")

    # A word inside a name matches my conversations too: my DM with Lou is found by his name, and
    # opens. (People I have no DM with are found by the start of their username or of a word of
    # their display name.)
    jump(chat, "switcher", ["Lou Switcher"])
    chat.wait(lambda: chat.room_title() == "Lou Switcher", message=f"opened {chat.room_title()}")

    # Someone I have no DM with: a new conversation, by username.
    open_switcher(chat)
    chat.find("#switcher-input").send_keys("max_sw")
    chat.wait(lambda: options(chat) == [["Max Switcher", "@max_switch · new conversation", True]], message=f"{options(chat)}")
    chat.find("#switcher-input").send_keys(Keys.ENTER)
    chat.wait(lambda: chat.room_title() == "Max Switcher", message=f"opened {chat.room_title()}")
    chat.wait(lambda: "Max Switcher" in chat.sidebar_rooms("dm-list"))

    # Or by a word of their display name.
    open_switcher(chat)
    chat.find("#switcher-input").send_keys("quillfe")
    chat.wait(lambda: options(chat) == [["Nedda Quillfeather", "@ned_switch · new conversation", True]], message=f"{options(chat)}")
    chat.find("#switcher-input").send_keys(Keys.ESCAPE)
    chat.wait(lambda: not chat.dialog_open("switcher-dialog"))

    # No match says so; the sidebar's button opens it too.
    chat.find("#switcher-open").click()
    chat.wait(lambda: chat.dialog_open("switcher-dialog"))
    chat.find("#switcher-input").send_keys("zzz-nothing")
    chat.wait(lambda: chat.find("#switcher-empty").is_displayed() and names(chat) == [])


def press(chat, *keys):
    """Holds the modifier keys among `keys` while pressing the last one."""
    actions = ActionChains(chat.driver)
    for key in keys[:-1]:
        actions.key_down(key)
    actions.send_keys(keys[-1])
    for key in reversed(keys[:-1]):
        actions.key_up(key)
    actions.perform()


def test_alt_arrows_step_through_the_room_list_and_its_unread_rooms(server, browsers, account):
    nia = account("nia_step", display_name="Nia")
    oz = account("oz_step", display_name="Oz Step")
    first = nia.create_room("step-a")["id"]
    second = nia.create_room("step-b")["id"]
    nia.create_room("step-g", kind="group")
    oz.join(second)
    chat = Chat(browsers(), server).log_in("nia_step")
    chat.open_room("step-a")
    rooms = chat.sidebar_rooms()
    assert rooms[rooms.index("step-a") + 1] == "step-b", rooms

    # Alt+↓ and Alt+↑ open the next and previous rooms as listed, groups after rooms; from the
    # composer too (Alt+↑ there does not start editing).
    nia.post(first, "mine to edit")
    chat.wait(lambda: "mine to edit" in chat.texts())
    press(chat, Keys.ALT, Keys.ARROW_DOWN)
    chat.wait(lambda: chat.room_title() == "step-b", message=f"opened {chat.room_title()}")
    press(chat, Keys.ALT, Keys.ARROW_DOWN)
    chat.wait(lambda: chat.room_title() == "step-g", message=f"opened {chat.room_title()}")
    press(chat, Keys.ALT, Keys.ARROW_UP)
    chat.wait(lambda: chat.room_title() == "step-b", message=f"opened {chat.room_title()}")
    press(chat, Keys.ALT, Keys.ARROW_UP)
    chat.wait(lambda: chat.room_title() == "step-a", message=f"opened {chat.room_title()}")
    assert chat.js("return document.querySelector('#composer-text').value") == ""

    # With Shift, the next unread room that way, round the end of the list: step-b, then the DM
    # (everything else read first, whatever other tests posted in main).
    press(chat, Keys.SHIFT, Keys.ESCAPE)
    chat.wait(lambda: chat.badge("main") is None)
    oz.post(second, "news in b")
    dm = oz.call("POST", "/api/dms", expect=201, json={"user_id": nia.id}).json()["room"]["id"]
    oz.post(dm, "psst")
    chat.wait(lambda: chat.badge("step-b") is not None and chat.badge("Oz Step") is not None,
              message=lambda: f"no unread badges: step-b {chat.badge('step-b')}, the DM {chat.badge('Oz Step')}")
    press(chat, Keys.ALT, Keys.SHIFT, Keys.ARROW_DOWN)
    chat.wait(lambda: chat.room_title() == "step-b", message=f"opened {chat.room_title()}")
    chat.wait(lambda: chat.badge("step-b") is None, message="step-b stayed unread")
    press(chat, Keys.ALT, Keys.SHIFT, Keys.ARROW_UP)
    chat.wait(lambda: chat.room_title() == "Oz Step", message=f"opened {chat.room_title()}")
    chat.wait(lambda: chat.badge("Oz Step") is None)
    # Nothing unread is left: it stays.
    press(chat, Keys.ALT, Keys.SHIFT, Keys.ARROW_DOWN)
    assert chat.room_title() == "Oz Step"


def test_ctrl_slash_lists_the_keyboard_shortcuts(server, browsers, account):
    account("pia_keys", display_name="Pia")
    chat = Chat(browsers(), server).log_in("pia_keys")
    press(chat, Keys.CONTROL, "/")
    chat.wait(lambda: chat.dialog_open("shortcuts-dialog"), message="Ctrl+/ did not list the shortcuts")
    listed = chat.js("return [...document.querySelectorAll('#shortcuts-dialog dd')].map(dd => dd.textContent)")
    assert "Jump to a room, group or person" in listed and "Search messages" in listed and "Previous or next unread room" in listed, listed
    chat.find("#shortcuts-dialog [data-close]").click()
    chat.wait(lambda: not chat.dialog_open("shortcuts-dialog"))
    assert "Ctrl+/ shortcuts" in chat.text_of("composer-help")
