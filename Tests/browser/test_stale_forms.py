"""What a tester found: a form left open while someone else (or I, on another device) changes what
it shows sends only what I changed there, so the other change stays; a forward refused for a mute
in its destination leaves the room I am in writable; an edit saved on retry clears its "Not saved"
note; a room chosen from the keyboard opens with the focus in its message box."""
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from parley_browser import Chat


def open_room_settings(chat):
    chat.find("#room-settings").click()
    chat.wait(lambda: chat.dialog_open("room-dialog"))


def save_room_settings(chat):
    chat.find("#room-submit").click()
    chat.wait(lambda: not chat.dialog_open("room-dialog"), message="the room settings did not close")


def test_saving_room_settings_keeps_what_a_co_admin_changed_meanwhile(server, browsers, account):
    ann = account("stale_room_owner", display_name="Ann Owner")
    bob = account("stale_room_admin", display_name="Bob Admin")
    room = ann.create_room("stale-hall", topic="the old topic")["id"]
    bob.join(room)
    ann.call("PUT", f"/api/rooms/{room}/members/{bob.id}/role", expect=200, json={"role": "admin"})
    room_of = lambda: ann.call("GET", f"/api/rooms/{room}", expect=200).json()["room"]  # noqa: E731
    chat = Chat(browsers(), server).log_in("stale_room_owner")
    chat.open_room("stale-hall")

    # While Ann's dialog is open, Bob renames the room, sets its topic and a slow mode; Ann only
    # makes it moderated.
    open_room_settings(chat)
    bob.call("PATCH", f"/api/rooms/{room}", expect=200, json={"name": "stale-lounge", "topic": "Bob's topic", "slow_mode_seconds": 30})
    chat.wait(lambda: "stale-lounge" in chat.text_of("room-dialog-title"))
    chat.find("#room-moderated").click()
    save_room_settings(chat)
    chat.wait(lambda: room_of()["post_policy"] == "moderators")
    after = room_of()
    assert (after["name"], after["topic"], after["slow_mode_seconds"]) == ("stale-lounge", "Bob's topic", 30)

    # The other way round: Bob makes it open to everyone again and turns the slow mode off while
    # Ann changes only the topic.
    open_room_settings(chat)
    bob.call("PATCH", f"/api/rooms/{room}", expect=200, json={"post_policy": "everyone", "slow_mode_seconds": 0, "name": "stale-den"})
    chat.wait(lambda: "stale-den" in chat.text_of("room-dialog-title"))
    topic = chat.find("#room-topic-input")
    topic.send_keys(Keys.CONTROL, "a")
    topic.send_keys("Ann's topic")
    save_room_settings(chat)
    chat.wait(lambda: room_of()["topic"] == "Ann's topic")
    after = room_of()
    assert (after["name"], after["post_policy"], after["slow_mode_seconds"]) == ("stale-den", "everyone", 0)

    # What Ann does change is saved, as before.
    open_room_settings(chat)
    Select(chat.find("#room-slow-mode")).select_by_value("30")
    name = chat.find("#room-name")
    name.send_keys(Keys.CONTROL, "a")
    name.send_keys("stale-final")
    save_room_settings(chat)
    chat.wait(lambda: (room_of()["name"], room_of()["slow_mode_seconds"]) == ("stale-final", 30))
    assert room_of()["topic"] == "Ann's topic"


def test_a_forward_refused_for_a_mute_in_its_destination_leaves_the_open_room_writable(server, browsers, account):
    owner = account("mute_fwd_owner", display_name="Olga Owner")
    bob = account("mute_fwd_bob", display_name="Bob Forwarder")
    source = bob.create_room("mute-fwd-source")["id"]
    target = owner.create_room("mute-fwd-target")["id"]
    bob.join(target)
    bob.post(source, "worth passing on")
    # Muted in the destination before this client loaded (nor is it opened: the client cannot know).
    owner.call("POST", f"/api/rooms/{target}/mutes", expect=201, json={"user_id": bob.id, "duration_seconds": 3600})
    chat = Chat(browsers(), server).log_in("mute_fwd_bob")
    chat.open_room("mute-fwd-source")
    chat.wait(lambda: "worth passing on" in chat.texts())

    chat.hover_action("worth passing on", "forward")
    chat.wait(lambda: chat.dialog_open("forward-dialog"))
    chat.find("#forward-filter").send_keys("mute-fwd-target")
    chat.wait(lambda: chat.js(f"return !!document.querySelector('#forward-rooms .option[data-room=\"{target}\"]')"))
    chat.find(f'#forward-rooms .option[data-room="{target}"]').click()
    chat.find("#forward-submit").click()
    chat.wait(lambda: "muted" in chat.text_of("forward-error"), message=lambda: f"no refusal: {chat.text_of('forward-error')!r}")

    # The room I am in is not the one I am muted in: its box stays open.
    assert chat.find("#composer-text").is_enabled(), chat.find("#composer-text").get_attribute("placeholder")
    assert "muted" not in chat.find("#composer-text").get_attribute("placeholder")
    chat.find("#forward-dialog [data-close]").click()
    chat.send("still talking here")
    chat.wait(lambda: "still talking here" in [m["text"] for m in bob.history(source)])

    # The destination says so when opened.
    chat.open_room("mute-fwd-target")
    chat.wait(lambda: not chat.find("#composer-text").is_enabled())
    assert "A moderator muted you here until" in chat.find("#composer-text").get_attribute("placeholder")


def open_profile(chat, loaded):
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    # The dialog reads the profile as it opens.
    chat.wait(loaded, message="the profile did not load")


def save_profile(chat):
    chat.js("document.getElementById('profile-saved').textContent = ''")
    chat.find("#profile-save").click()
    chat.wait(lambda: chat.text_of("profile-saved") == "Saved.", message="the profile was not saved")


def test_saving_the_profile_keeps_what_another_device_changed_meanwhile(server, browsers, account):
    kim = account("stale_profile_kim", display_name="Kim")
    kim.call("PATCH", "/api/me", expect=200, json={"bio": "first words", "time_zone": "Europe/Berlin"})
    me = lambda: kim.call("GET", "/api/me", expect=200).json()  # noqa: E731
    chat = Chat(browsers(), server).log_in("stale_profile_kim")

    # While the dialog is open here, Kim sets her About text and time zone from her phone, then
    # changes only her display name here.
    open_profile(chat, lambda: chat.find("#profile-bio").get_attribute("value") == "first words")
    kim.call("PATCH", "/api/me", expect=200, json={"bio": "written on my phone", "time_zone": "Asia/Tokyo", "send_read_receipts": False})
    name = chat.find("#profile-display-name")
    name.clear()
    name.send_keys("Kim Renamed")
    save_profile(chat)
    after = me()
    assert after["user"]["display_name"] == "Kim Renamed"
    assert (after["bio"], after["time_zone"], after["send_read_receipts"]) == ("written on my phone", "Asia/Tokyo", False)
    chat.find("#profile-dialog [data-close]").click()

    # The other way round: the phone changes the name and time zone while only the About text is
    # changed here.
    open_profile(chat, lambda: chat.find("#profile-bio").get_attribute("value") == "written on my phone")
    kim.call("PATCH", "/api/me", expect=200, json={"display_name": "Kim From Phone", "time_zone": "America/Chicago"})
    bio = chat.find("#profile-bio")
    bio.clear()
    bio.send_keys("written at my desk")
    save_profile(chat)
    after = me()
    assert after["bio"] == "written at my desk"
    assert (after["user"]["display_name"], after["time_zone"]) == ("Kim From Phone", "America/Chicago")
    # What the server holds now shows in the dialog.
    assert chat.find("#profile-time-zone").get_attribute("value") == "America/Chicago"
    assert chat.find("#profile-display-name").get_attribute("value") == "Kim From Phone"

    # Clearing a field here is a change like any other.
    chat.find("#profile-bio").clear()
    save_profile(chat)
    assert me()["bio"] in (None, "")


def test_an_edit_saved_on_retry_clears_the_not_saved_note(server, browsers, account):
    eve = account("stale_edit_eve", display_name="Eve")
    room = eve.create_room("stale-edit-room")["id"]
    eve.post(room, "the first wording")
    chat = Chat(browsers(), server).log_in("stale_edit_eve")
    chat.open_room("stale-edit-room")
    chat.wait(lambda: "the first wording" in chat.texts())

    # Offline, the edit is refused and says so.
    chat.network(offline=True)
    chat.type(Keys.ARROW_UP)
    chat.wait(lambda: chat.find("#composer-text").get_attribute("value") == "the first wording")
    chat.type(" amended", Keys.ENTER)
    chat.wait(lambda: chat.text_of("composer-error") == "Not saved: Cannot reach the server.",
              message=lambda: f"no refusal: {chat.text_of('composer-error')!r}")

    # Back online, Enter again saves it, and the note goes.
    chat.network()
    chat.type(Keys.ENTER)
    chat.wait(lambda: [m["text"] for m in eve.history(room)] == ["the first wording amended"], message="the edit was not saved")
    chat.wait(lambda: chat.find("#composer-text").get_attribute("value") == "", message="the edit did not end")
    chat.wait(lambda: not chat.find("#composer-error").is_displayed() and chat.text_of("composer-error") == "",
              timeout=5, message=lambda: f"the note stayed: {chat.text_of('composer-error')!r}")


def focused(chat):
    return chat.js("return document.activeElement?.id || document.activeElement?.tagName")


def test_a_room_chosen_from_the_keyboard_opens_with_the_focus_in_its_message_box(server, browsers, account):
    ned = account("stale_focus_ned", display_name="Ned")
    owner = account("stale_focus_owner", display_name="Ola")
    ned.create_room("focus-first")
    ned.create_room("focus-second")
    owner.create_room("focus-to-join")
    chat = Chat(browsers(), server).log_in("stale_focus_ned")
    chat.open_room("focus-first")

    # Tab to a room in the sidebar (from the one above it), Enter: it opens, the box has the focus.
    chat.js("""const links = [...document.querySelectorAll('#room-list a.room-link')];
        links[links.findIndex(a => a.dataset.name === 'focus-second') - 1].focus()""")
    ActionChains(chat.driver).send_keys(Keys.TAB).perform()
    assert chat.js("return document.activeElement.dataset.name") == "focus-second"
    ActionChains(chat.driver).send_keys(Keys.ENTER).perform()
    chat.wait(lambda: chat.room_title() == "focus-second")
    chat.wait(lambda: focused(chat) == "composer-text", timeout=5, message=lambda: f"the focus is on {focused(chat)}")
    ActionChains(chat.driver).send_keys("typed at once").perform()
    assert chat.find("#composer-text").get_attribute("value") == "typed at once"

    # Joined from Browse (Enter in its filter joins the first room listed): the same.
    chat.find("#browse-rooms").click()
    chat.wait(lambda: chat.dialog_open("browse-dialog"))
    chat.find("#browse-filter").send_keys("focus-to-join")
    chat.wait(lambda: chat.js("return [...document.querySelectorAll('#browse-list li.browse-item')].map(li => li.dataset.name)") == ["focus-to-join"])
    chat.find("#browse-filter").send_keys(Keys.ENTER)
    chat.wait(lambda: chat.room_title() == "focus-to-join")
    chat.wait(lambda: focused(chat) == "composer-text", timeout=5, message=lambda: f"the focus is on {focused(chat)}")
