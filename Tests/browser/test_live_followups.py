"""What stays on screen follows what others change, without a reload: the pinned bar follows its
message's edits, deletion and its author's new name, as a reply's quote and the reply bar above the
message box do; unread badges fall when their messages are deleted; a room renamed and then closed
is named by its new name; on a phone, a room opened from the drawer closes the drawer."""
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat


def test_the_pinned_bar_quotes_and_the_reply_bar_follow_edits_deletions_and_renames(server, browsers, account):
    ann = account("pin_keeper", display_name="Ann Keeper")
    bob = account("pin_author", display_name="Bob Author")
    room = ann.create_room("followups")["id"]
    bob.join(room)
    pinned = bob.post(room, "pinned original")
    ann.call("POST", f"/api/rooms/{room}/pins", expect=201, json={"message_id": pinned["id"]})
    quoted = bob.post(room, "quoted one")
    ann.post(room, "my answer", reply_to=quoted["id"])
    chat = Chat(browsers(), server).log_in("pin_keeper")
    chat.open_room("followups")
    chat.wait(lambda: "pinned original" in chat.text_of("pins") and "my answer" in chat.texts())

    bob.call("PATCH", f"/api/messages/{pinned['id']}", expect=200, json={"text": "pinned EDITED"})
    chat.wait(lambda: "pinned EDITED" in chat.text_of("pins"), message="the pinned bar kept the old text")

    bob.call("PATCH", "/api/me", expect=200, json={"display_name": "Robert Renamed"})
    chat.wait(lambda: "Robert Renamed" in chat.text_of("pins"), message="the pinned bar kept the old name")
    chat.wait(lambda: "Robert Renamed" in chat.quote_text("my answer"), message="the quote kept the old name")

    # Replying to a message that is then edited: the bar above the box shows it as it is now.
    chat.hover_action("quoted one", "reply")
    chat.wait(lambda: "quoted one" in chat.text_of("composer-context-text"))
    bob.call("PATCH", f"/api/messages/{quoted['id']}", expect=200, json={"text": "quoted two"})
    chat.wait(lambda: "quoted two" in chat.text_of("composer-context-text"), message="the reply bar kept the old text")

    # Deleted, it is no longer pinned (as in Slack): its text leaves the bar with the pin.
    bob.call("DELETE", f"/api/messages/{pinned['id']}", expect=204)
    chat.wait(lambda: "pinned EDITED" not in chat.text_of("pins"), message="a deleted pinned message's text stayed in the bar")
    assert ann.call("GET", f"/api/rooms/{room}/pins", expect=200).json()["pins"] == []

    # Renamed, then deleted while open: the notice names the room by its new name.
    ann.call("PATCH", f"/api/rooms/{room}", expect=200, json={"name": "followups-renamed"})
    chat.wait(lambda: chat.room_title() == "followups-renamed")
    ann.call("DELETE", f"/api/rooms/{room}", expect=204)
    chat.wait(lambda: "deleted" in chat.text_of("room-empty"))
    assert chat.room_title() == "followups-renamed"


def test_an_unread_badge_falls_when_its_messages_are_deleted(server, browsers, account):
    ann = account("badge_reader", display_name="Ann Reader")
    bob = account("badge_writer", display_name="Bob Writer")
    quiet = ann.create_room("badge-quiet")["id"]
    busy = bob.create_room("badge-busy")["id"]
    ann.join(busy)
    chat = Chat(browsers(), server).log_in("badge_reader")
    chat.open_room("badge-quiet")
    first = bob.post(busy, "unread one")
    second = bob.post(busy, "unread two @badge_reader")
    chat.wait(lambda: chat.badge("badge-busy") == ["2", True], message=f"badge {chat.badge('badge-busy')}")
    bob.call("DELETE", f"/api/messages/{first['id']}", expect=204)
    bob.call("DELETE", f"/api/messages/{second['id']}", expect=204)
    chat.wait(lambda: chat.badge("badge-busy") is None, message=f"the badge stayed at {chat.badge('badge-busy')}")
    assert quiet


def test_a_room_joined_from_the_drawer_on_a_phone_shows_at_once(server, browsers, account):
    account("drawer_host").create_room("drawer-lobby")
    account("drawer_user")
    chat = Chat(browsers(width=390, height=844), server).log_in("drawer_user")
    chat.find("#show-rooms").click()
    # (Once the drawer has slid in.)
    chat.wait(lambda: "open" in chat.find("#sidebar").get_attribute("class")
              and chat.js("return document.getElementById('sidebar').getBoundingClientRect().left") == 0)
    chat.find("#browse-rooms").click()
    chat.wait(lambda: chat.dialog_open("browse-dialog"))
    chat.find("#browse-filter").send_keys("drawer-lobby")
    chat.wait(lambda: "drawer-lobby" in chat.text_of("browse-list"))
    chat.find("#browse-filter").send_keys(Keys.ENTER)
    chat.wait(lambda: chat.room_title() == "drawer-lobby")
    chat.wait(lambda: "open" not in chat.find("#sidebar").get_attribute("class"), message="the drawer stayed open over the room")
    assert chat.find("#scrim").get_attribute("hidden") is not None


def test_someone_muted_sees_it_in_the_message_box_until_the_mute_is_lifted(server, browsers, account):
    owner = account("mute_owner", display_name="Owner")
    bob = account("mute_target", display_name="Bob Muted")
    room = owner.create_room("mute-hall")["id"]
    bob.join(room)
    chat = Chat(browsers(), server).log_in("mute_target")
    chat.open_room("mute-hall")
    chat.wait(lambda: chat.find("#composer-text").is_enabled())
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": bob.id, "duration_seconds": 3600})
    chat.wait(lambda: not chat.find("#composer-text").is_enabled(), message="the box stayed open to a muted member")
    assert "muted you here until" in chat.find("#composer-text").get_attribute("placeholder")
    owner.call("DELETE", f"/api/rooms/{room}/mutes/{bob.id}", expect=204)
    chat.wait(lambda: chat.find("#composer-text").is_enabled(), message="the box stayed closed after the mute was lifted")

    # Muted while this client was not listening (a reload): the room says so as it opens (`my_mute`).
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": bob.id})
    chat.driver.refresh()
    chat.wait(lambda: chat.find("#chat").is_displayed() and chat.connection() == "live", message="chat not shown")
    chat.wait(lambda: chat.room_title() == "mute-hall" and not chat.find("#composer-text").is_enabled()
              and chat.find("#composer-text").get_attribute("placeholder") == "A moderator muted you here.",
              message="a reloaded client did not know of the mute")


def test_an_edit_that_empties_the_box_offers_to_delete_the_message(server, browsers, account):
    ann = account("empty_editor", display_name="Ann Empties")
    room = ann.create_room("empty-edits")["id"]
    posted = ann.post(room, "to be emptied")
    chat = Chat(browsers(), server).log_in("empty_editor")
    chat.open_room("empty-edits")
    chat.wait(lambda: "to be emptied" in chat.texts())
    chat.hover_action("to be emptied", "edit")
    box = chat.find("#composer-text")
    chat.wait(lambda: box.get_attribute("value") == "to be emptied")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(Keys.ENTER)
    chat.confirm()
    chat.wait(lambda: ann.history(room)[0]["deleted"], message="the emptied message was not deleted")
    assert ann.history(room)[0]["id"] == posted["id"]
