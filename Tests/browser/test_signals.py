"""What the server tells about others: unread counts, receipts, presence, moderation, pins."""
import base64
import time

import requests

from parley_browser import Chat, record_notifications


def test_unread_badges_and_the_title_count_messages_in_other_rooms(server, browsers, account):
    poster = account("poster")
    watcher = account("watcher")
    chat = Chat(browsers(), server).log_in("watcher")
    room = poster.create_room("side")["id"]
    watcher.join(room)
    chat.wait(lambda: "side" in chat.sidebar_rooms(), message="a joined room did not appear live")
    for n in range(3):
        poster.post(room, f"ping {n}")
    chat.wait(lambda: chat.driver.title == "(3) Parley")
    badge = chat.find('#room-list a[data-name="side"] .badge')
    assert badge.text == "3"
    chat.open_room("side")
    chat.wait(lambda: chat.driver.title == "Parley", message="reading the room did not clear the count")
    assert chat.driver.find_elements("css selector", '#room-list a[data-name="side"] .badge') == []


def test_a_dm_and_a_mention_in_rooms_not_open_raise_browser_notifications(server, browsers, account):
    caller = account("caller", display_name="Cal Ler")
    callee = account("callee")
    room = caller.create_room("callroom")["id"]
    callee.join(room)
    dm = caller.call("POST", "/api/dms", expect=201, json={"user_id": callee.id}).json()["room"]["id"]
    driver = browsers()
    record_notifications(driver, server.url)
    chat = Chat(driver, server).log_in("callee")
    assert chat.js("return Notification.permission") == "granted"
    chat.open_room("main")
    chat.wait(lambda: "Cal Ler" in chat.sidebar_rooms("dm-list"))

    caller.post(dm, "are you free?")
    chat.wait(lambda: len(chat.notifications()) == 1, message="no notification for the DM")
    assert chat.notifications() == [{"title": "Cal Ler", "body": "Cal Ler: are you free?", "tag": f"parley-{dm}"}]
    chat.wait(lambda: chat.badge("Cal Ler") == ["1", False])

    caller.post(room, "no ping here")
    caller.post(room, "@callee have a look")
    chat.wait(lambda: len(chat.notifications()) == 2, message="no notification for the mention")
    assert chat.notifications()[1] == {"title": "callroom", "body": "Cal Ler: @callee have a look", "tag": f"parley-{room}"}
    chat.wait(lambda: chat.badge("callroom") == ["2", True], message="the badge does not count both or show the mention")
    assert chat.driver.title == "(3) Parley"

    # The open room, with the tab visible, notifies nothing.
    chat.open_room("callroom")
    caller.post(room, "@callee you are here already")
    chat.wait(lambda: "@callee you are here already" in chat.texts())
    caller.post(dm, "one more")
    chat.wait(lambda: len(chat.notifications()) == 3)
    assert chat.notifications()[2]["body"] == "Cal Ler: one more"

    # A sender's picture is the notification's icon; clicking it opens the room at that message.
    face = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    set_picture = requests.put(server.url + "/api/me/avatar", data=face, headers={**caller.headers, "Content-Type": "image/png"})
    assert set_picture.status_code == 200, set_picture.text
    url = set_picture.json()["user"]["avatar_url"]
    pictured = caller.post(dm, "with my face")
    chat.wait(lambda: len(chat.notifications()) == 4)
    assert chat.notifications()[3] == {"title": "Cal Ler", "body": "Cal Ler: with my face", "tag": f"parley-{dm}", "icon": url}
    chat.js("window.__notificationObjects[3].onclick()")
    chat.wait(lambda: chat.room_title() == "Cal Ler")
    assert chat.js("return location.hash") == f"#room/{dm}/message/{pictured['id']}"


def test_read_receipts_and_presence_show_live(server, browsers, account):
    account("sender")
    account("receiver")
    alice = Chat(browsers(), server).log_in("sender")
    alice.open_dm_with("receiver")
    alice.wait(lambda: alice.room_title() == "receiver")
    alice.send("did you read this?")
    status = "return document.querySelector('#messages li.message.mine:not(.pending) .status')?.textContent ?? null"
    alice.wait(lambda: alice.js(status) is not None)
    assert alice.js(status) in ("Sent", "Delivered")
    bob = Chat(browsers(), server).log_in("receiver")
    bob.open_room("sender", "dm-list")
    bob.wait(lambda: "did you read this?" in bob.texts())
    alice.wait(lambda: alice.js(status) == "Read", message="the read receipt did not arrive")
    alice.find("#members-toggle").click()
    alice.wait(lambda: alice.find("#members-panel").is_displayed())
    dot = "return document.querySelector('#members li[data-user-id=\"' + arguments[0] + '\"] .presence')?.className"
    receiver_id = bob.js("return fetch('/api/session').then(r => r.json()).then(s => s.user.id)")
    alice.wait(lambda: alice.js(dot, str(receiver_id)) == "presence online")
    bob.driver.quit()
    alice.wait(lambda: alice.js(dot, str(receiver_id)) == "presence offline", timeout=120, message="presence did not go offline")


def test_a_banned_user_loses_the_room_at_once(server, browsers, account):
    """With the moderator's reason; and one removed from a room they do not have open is told so
    (it left the list without a word, and neither said why: a hunt)."""
    owner = account("warden")
    rowdy = account("rowdy")
    room = owner.create_room("jail")["id"]
    yard = owner.create_room("yard")["id"]
    rowdy.join(room)
    rowdy.join(yard)
    chat = Chat(browsers(), server).log_in("rowdy")
    chat.open_room("jail")
    owner.call("POST", f"/api/rooms/{room}/bans", expect=201, json={"user_id": rowdy.id, "reason": "noise"})
    chat.wait(lambda: "You were banned from this room." in chat.text_of("room-empty"))
    assert "Reason: “noise”" in chat.text_of("room-empty")
    assert not chat.find("#composer-text").is_enabled()
    chat.wait(lambda: "jail" not in chat.sidebar_rooms())
    owner.call("POST", f"/api/rooms/{yard}/kick", expect=204, json={"user_id": rowdy.id, "reason": "spam"})
    toasts = "return [...document.querySelectorAll('.toast')].map(t => t.textContent)"
    chat.wait(lambda: "You were removed from #yard. Reason: “spam”" in chat.js(toasts), message="no word of the kick")
    chat.wait(lambda: "yard" not in chat.sidebar_rooms())


def test_a_moderator_pins_and_kicks_from_the_client(server, browsers, account):
    owner = account("pinner")
    member = account("pinned_member")
    room = owner.create_room("pinboard")["id"]
    member.join(room)
    owner.post(room, "remember this")
    chat = Chat(browsers(), server).log_in("pinner")
    chat.open_room("pinboard")
    chat.hover_action("remember this", "pin")
    chat.wait(lambda: "remember this" in chat.text_of("pins"))
    pins = owner.call("GET", f"/api/rooms/{room}/pins", expect=200).json()["pins"]
    assert [pin["message"]["text"] for pin in pins] == ["remember this"]

    chat.find("#members-toggle").click()
    chat.wait(lambda: "pinned_member" in chat.text_of("members"))
    kick = f'#members li[data-user-id="{member.id}"] .member-actions button'
    chat.wait(lambda: chat.driver.find_elements("css selector", kick))
    chat.driver.find_elements("css selector", kick)[0].click()  # Kick
    chat.wait(lambda: chat.find("#confirm-dialog").get_attribute("open") is not None)
    chat.find("#confirm-input").send_keys("off topic")
    chat.find("#confirm-ok").click()
    chat.wait(lambda: "pinned_member" not in chat.text_of("members"), message="the kicked member stayed in the list")
    members = owner.call("GET", f"/api/rooms/{room}/members", expect=200).json()["members"]
    assert [m["user"]["username"] for m in members] == ["pinner"]


def test_do_not_disturb_silences_every_device_until_resumed(server, browsers, account):
    quinn = account("quinn_dnd", display_name="Quinn")
    rex = account("rex_dnd", display_name="Rex")
    room = rex.create_room("dnd-room")["id"]
    quinn.join(room)
    driver = browsers()
    record_notifications(driver, server.url)
    chat = Chat(driver, server).log_in("quinn_dnd")
    chat.open_room("main")
    other = Chat(browsers(), server).log_in("quinn_dnd")
    assert not chat.find("#dnd-indicator").is_displayed()
    # Rex watches the room's members and has Quinn's profile open (from her message).
    rex_chat = Chat(browsers(), server).log_in("rex_dnd")
    quinn.post(room, "hello from quinn")
    rex_chat.open_room("dnd-room")
    rex_chat.wait(lambda: "hello from quinn" in rex_chat.texts())
    rex_chat.find("#members-toggle").click()
    rex_chat.wait(lambda: "Quinn" in rex_chat.text_of("members"))
    paused_icon = f"return document.querySelector('#members .member[data-user-id=\"{quinn.id}\"] .member-dnd')?.getAttribute('aria-label') ?? null"
    assert rex_chat.js(paused_icon) is None
    rex_chat.message("hello from quinn").find_element("css selector", ".author").click()
    rex_chat.wait(lambda: rex_chat.dialog_open("user-dialog"))
    assert not rex_chat.find("#user-dialog-dnd").is_displayed()

    # Paused from the settings of the other device: this one shows the bell too, and stays quiet.
    other.find("#profile-open").click()
    other.wait(lambda: other.find("#dnd-pause").is_displayed())
    other.find("#dnd-pause").click()
    other.wait(lambda: other.text_of("dnd-now").startswith("Paused until "))
    chat.wait(lambda: chat.find("#dnd-indicator").is_displayed(), message="the pause did not reach the other device")
    assert quinn.call("GET", "/api/me", expect=200).json()["dnd_until"] is not None
    # Others see it at once: a crossed-out bell by her name, and a line in her open profile.
    rex_chat.wait(lambda: (rex_chat.js(paused_icon) or "").startswith("Notifications paused until "), message="Rex did not see the pause")
    rex_chat.wait(lambda: rex_chat.text_of("user-dialog-dnd").startswith("Notifications paused until "))
    rex.post(room, "@quinn_dnd quiet please")
    chat.wait(lambda: chat.badge("dnd-room") == ["1", True], message="the mention did not arrive")
    time.sleep(0.5)
    assert chat.notifications() == [], "a notification showed while paused"

    # The bell resumes; the next mention alerts.
    chat.find("#dnd-indicator").click()
    chat.wait(lambda: not chat.find("#dnd-indicator").is_displayed())
    other.wait(lambda: other.text_of("dnd-now") == "Notifications are on.", message="resuming did not reach the other device")
    rex_chat.wait(lambda: rex_chat.js(paused_icon) is None, message="Rex still sees the pause")
    rex_chat.wait(lambda: not rex_chat.find("#user-dialog-dnd").is_displayed())
    rex.post(room, "@quinn_dnd now you can hear me")
    chat.wait(lambda: len(chat.notifications()) == 1, message="no notification after resuming")
    assert chat.notifications()[0]["body"] == "Rex: @quinn_dnd now you can hear me"


def test_a_dm_header_shows_the_other_persons_status_and_pause_live(server, browsers, account):
    sam = account("sam_dmhead")
    tia = account("tia_dmhead")
    sam.call("POST", "/api/dms", json={"user_id": tia.id}, expect=201)
    tia.call("PUT", "/api/me/status", json={"text": "At the dentist", "emoji": "🦷"}, expect=200)
    chat = Chat(browsers(), server).log_in("sam_dmhead")
    chat.open_room("tia_dmhead", list_id="dm-list")
    chat.wait(lambda: chat.text_of("room-topic") == "@tia_dmhead · 🦷 At the dentist", message=chat.text_of("room-topic"))
    # Tia pauses notifications and clears her status: the header follows at once.
    tia.call("PUT", "/api/me/dnd", json={"minutes": 60}, expect=200)
    chat.wait(lambda: chat.text_of("room-topic").startswith("@tia_dmhead · 🦷 At the dentist · notifications paused until "),
              message=chat.text_of("room-topic"))
    tia.call("DELETE", "/api/me/status", expect=204)
    tia.call("DELETE", "/api/me/dnd", expect=204)
    chat.wait(lambda: chat.text_of("room-topic") == "@tia_dmhead", message=chat.text_of("room-topic"))
