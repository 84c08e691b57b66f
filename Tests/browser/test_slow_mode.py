"""Slow mode in the browser: an owner chooses it in the room's settings; a member sees how often
they may post and, after posting, how long is left; a message sent sooner is not sent (and does not
hold up the outbox), and the owner, a moderator and up, is not slowed."""
import re

from selenium.webdriver.support.select import Select

from parley_browser import Chat

TAG = "return document.querySelector('#room-topic .slow-mode-tag')?.textContent ?? null"


def test_slow_mode_is_set_in_the_settings_and_slows_members_but_not_the_owner(server, browsers, account):
    owner = account("sam_slow", display_name="Sam")
    member = account("tia_slow", display_name="Tia")
    room = owner.create_room("slow-room")["id"]
    member.join(room)

    sam = Chat(browsers(), server).log_in("sam_slow")
    sam.open_room("slow-room")
    sam.wait(lambda: sam.find("#room-settings").is_displayed(), message="no settings button")
    sam.find("#room-settings").click()
    sam.wait(lambda: sam.dialog_open("room-dialog"))
    assert Select(sam.find("#room-slow-mode")).first_selected_option.text == "Off"
    Select(sam.find("#room-slow-mode")).select_by_value("30")
    sam.find("#room-submit").click()
    sam.wait(lambda: not sam.dialog_open("room-dialog"), message="the settings did not close")
    assert owner.call("GET", f"/api/rooms/{room}", expect=200).json()["room"]["slow_mode_seconds"] == 30
    # The owner is not slowed: no note, and two messages in a row both go. The header says the room
    # is slow, to the owner too.
    sam.wait(lambda: sam.js(TAG) == "Slow 30 s", message=f"tag: {sam.js(TAG)!r}")
    assert sam.find("#slow-mode-note").get_attribute("hidden") is not None
    sam.send("owner one")
    sam.send("owner two")
    sam.wait(lambda: {"owner one", "owner two"} <= set(sam.texts()) and not sam.pending(), message=f"{sam.texts()} {sam.pending()}")

    tia = Chat(browsers(), server).log_in("tia_slow")
    tia.open_room("slow-room")
    tia.wait(lambda: tia.text_of("slow-mode-note") == "Slow mode: each member may post once every 30 seconds.",
             message=f"note: {tia.text_of('slow-mode-note')!r}")
    assert tia.js(TAG) == "Slow 30 s"
    assert "once every 30 seconds" in tia.js("return document.querySelector('#room-topic .slow-mode-tag').title")
    tia.send("member one")
    tia.wait(lambda: re.fullmatch(r"Slow mode: you can post again in (2\d|30) s\.", tia.text_of("slow-mode-note")),
             message=f"note: {tia.text_of('slow-mode-note')!r}")
    # Too soon: not sent, with the server's reason and a Retry; nothing reached the room.
    tia.send("member two")
    tia.wait(lambda: tia.pending() == [["member two", "failed"]], message=f"pending: {tia.pending()}")
    assert "slow mode" in tia.find("#messages li.message.pending").text
    assert [m["text"] for m in owner.history(room)][:3] == ["member one", "owner two", "owner one"]
    # It holds up nothing else: a message to another room goes at once.
    tia.open_room("main")
    tia.send("elsewhere")
    tia.wait(lambda: "elsewhere" in [m["text"] for m in member.history(1)], message="the outbox held the other room's message")
    # The settings show the choice; turning it off lets the member post again.
    sam.find("#room-settings").click()
    sam.wait(lambda: sam.dialog_open("room-dialog"))
    assert Select(sam.find("#room-slow-mode")).first_selected_option.text == "Once every 30 seconds"
    Select(sam.find("#room-slow-mode")).select_by_value("0")
    sam.find("#room-submit").click()
    sam.wait(lambda: owner.call("GET", f"/api/rooms/{room}", expect=200).json()["room"]["slow_mode_seconds"] == 0)
    tia.open_room("slow-room")
    tia.wait(lambda: tia.find("#slow-mode-note").get_attribute("hidden") is not None, message="the note stayed")
    assert tia.js(TAG) is None and sam.js(TAG) is None
    tia.send("member three")
    tia.wait(lambda: "member three" in [m["text"] for m in owner.history(room)], message="not sent after slow mode ended")
    # A time set through the API that the list lacks is offered as it is.
    owner.call("PATCH", f"/api/rooms/{room}", json={"slow_mode_seconds": 45}, expect=200)
    sam.wait(lambda: sam.js(TAG) is not None, message="the Slow tag did not come back")
    sam.find("#room-settings").click()
    sam.wait(lambda: sam.dialog_open("room-dialog"))
    assert Select(sam.find("#room-slow-mode")).first_selected_option.text == "Once every 45 seconds"
