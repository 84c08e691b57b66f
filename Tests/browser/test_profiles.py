"""Profiles in the browser: writing a bio in the settings, and opening someone's profile from a
message to read it, see the rooms we share and message them."""
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat


def test_a_bio_written_in_settings_shows_on_the_profile_others_open(server, browsers, account):
    hal = account("hal_profile", display_name="Hal")
    ivy = account("ivy_profile", display_name="Ivy")
    room = hal.create_room("profile-room")["id"]
    ivy.join(room)
    hal_chat = Chat(browsers(), server).log_in("hal_profile")

    # Hal writes about himself in his settings.
    hal_chat.find("#profile-open").click()
    hal_chat.wait(lambda: hal_chat.dialog_open("profile-dialog"))
    hal_chat.wait(lambda: hal_chat.find("#profile-receipts").is_enabled())
    bio = hal_chat.find("#profile-bio")
    bio.send_keys("Keeps the pod bay doors.", Keys.SHIFT, Keys.ENTER, Keys.SHIFT, "Sings Daisy.")
    hal_chat.find("#profile-save").click()
    hal_chat.wait(lambda: hal_chat.text_of("profile-saved") == "Saved.")
    hal_chat.find("#profile-dialog [data-close]").click()
    hal_chat.wait(lambda: not hal_chat.dialog_open("profile-dialog"))
    assert ivy.call("GET", f"/api/users/{hal.id}", expect=200).json()["user"]["bio"] == "Keeps the pod bay doors.\nSings Daisy."

    hal_chat.open_room("profile-room")
    hal_chat.send("good afternoon")
    ivy_chat = Chat(browsers(), server).log_in("ivy_profile")
    ivy_chat.open_room("profile-room")
    ivy_chat.wait(lambda: "good afternoon" in ivy_chat.texts())

    # Ivy opens Hal's profile from his name on the message.
    ivy_chat.message("good afternoon").find_element("css selector", ".author").click()
    ivy_chat.wait(lambda: ivy_chat.dialog_open("user-dialog"))
    ivy_chat.wait(lambda: ivy_chat.text_of("user-dialog-bio") == "Keeps the pod bay doors.\nSings Daisy.")
    assert ivy_chat.text_of("user-dialog-name") == "Hal"
    assert ivy_chat.text_of("user-dialog-username") == "@hal_profile"
    assert ivy_chat.text_of("user-dialog-presence") == "Online"
    shared = ivy_chat.js("return [...document.querySelectorAll('#user-dialog-rooms button')].map(b => b.textContent)")
    assert shared == ["#main", "#profile-room"]

    # "Message" opens their DM.
    ivy_chat.find("#user-dialog-message").click()
    ivy_chat.wait(lambda: not ivy_chat.dialog_open("user-dialog"))
    ivy_chat.wait(lambda: ivy_chat.room_title() == "Hal", message="the DM did not open")
