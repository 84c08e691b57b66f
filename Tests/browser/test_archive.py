"""Archived rooms in the browser: owners and admins archive a room or group from its settings (after
a confirmation) and unarchive it; every member's open view turns read-only live (a note in place of
the message box, no reacting, replying, editing, pinning or voting, but deleting), the room lists
apart in the sidebar and leaves the directory, and all of it comes back when it is unarchived."""
import re
import time

from parley_browser import Chat

# What a message offers, read in one script (its node is rebuilt as the room changes): its actions,
# whether its reaction toggles are disabled, and whether its poll's options are.
MESSAGE = """const li = [...document.querySelectorAll('#messages li.message:not(.pending)')]
    .find(li => li.querySelector('.text')?.textContent === arguments[0]);
    if (!li) return null;
    return {
      actions: [...li.querySelectorAll('.actions [data-action]')].map(b => b.dataset.action),
      reactions: [...li.querySelectorAll('.reactions .reaction')].map(b => b.disabled),
      poll: [...li.querySelectorAll('.poll-choice')].map(b => b.disabled),
      closePoll: !!li.querySelector('[data-action="close-poll"]'),
      deleted: li.classList.contains('deleted'),
    }"""

NOTE = re.compile(r"This room was archived on .+\. It is read-only\.")

# Records the typing signals the page sends from now on.
SPY_TYPING = """window.__typing = [];
    const real = window.fetch;
    window.fetch = (url, options) => {
      if (String(url).endsWith('/typing')) window.__typing.push(JSON.parse(options.body).typing);
      return real(url, options);
    };"""

# Types into the message box the way a keystroke does (the box itself may be hidden and disabled).
INPUT = """const box = document.getElementById('composer-text');
    box.value = arguments[0];
    box.dispatchEvent(new Event('input'));"""


def shown(chat, css):
    return chat.js("const n = document.querySelector(arguments[0]); return !!n && n.getClientRects().length > 0", css)


def open_settings(chat):
    chat.wait(lambda: chat.find("#room-settings").is_displayed(), message="no settings button")
    chat.find("#room-settings").click()
    chat.wait(lambda: chat.dialog_open("room-dialog"))


def test_an_owner_archives_a_room_and_a_member_on_it_sees_it_turn_read_only_live_until_she_unarchives_it(server, browsers, account):
    owner = account("olive_arch", display_name="Olive")
    member = account("mark_arch", display_name="Mark")
    room = owner.create_room("retro-arch", topic="sprint retros")["id"]
    member.join(room)
    mine = member.post(room, "my old note")
    note = owner.post(room, "owner's note")
    owner.post(room, "a reply to it", reply_to=note["id"])
    member.call("PUT", f"/api/messages/{note['id']}/reactions/%F0%9F%91%8D", expect=200)
    owner.call("POST", f"/api/rooms/{room}/polls", expect=201, json={"question": "Lunch?", "options": ["pizza", "salad"], "multiple": False})
    member.call("POST", f"/api/rooms/{room}/scheduled", expect=201, json={"text": "later, maybe", "in_seconds": 3600})

    olive = Chat(browsers(), server).log_in("olive_arch")
    olive.open_room("retro-arch")
    mark = Chat(browsers(), server).log_in("mark_arch")
    mark.open_room("retro-arch")
    mark.wait(lambda: mark.js(MESSAGE, "owner's note") is not None)
    before = mark.js(MESSAGE, "owner's note")
    assert {"react", "reply", "thread-reply"} <= set(before["actions"]) and before["reactions"] == [False], before
    assert mark.js(MESSAGE, "Lunch?")["poll"] == [False, False]
    assert not mark.find("#room-settings").is_displayed(), "a plain member reached the room's settings"
    mark.js(SPY_TYPING)

    # Olive archives it from the settings, after a confirmation that says what it means.
    open_settings(olive)
    assert olive.find("#room-archive").is_displayed() and not olive.find("#room-unarchive").is_displayed()
    olive.find("#room-archive").click()
    olive.wait(lambda: olive.dialog_open("confirm-dialog"))
    assert olive.text_of("confirm-title") == "Archive retro-arch?"
    assert "read-only for everyone" in olive.text_of("confirm-message") and "unarchive" in olive.text_of("confirm-message")
    olive.confirm()
    olive.wait(lambda: not olive.dialog_open("room-dialog"), message="the settings stayed open")
    assert owner.call("GET", f"/api/rooms/{room}", expect=200).json()["room"]["archived_at"] is not None

    # Mark, already on the room, sees it turn read-only without a reload: the note in place of the box.
    mark.wait(lambda: shown(mark, "#archived-note"), message="the archived note did not show live")
    assert NOTE.fullmatch(mark.text_of("archived-note-text")), mark.text_of("archived-note-text")
    assert not mark.find("#composer-text").is_displayed() and not mark.find("#composer-text").is_enabled()
    assert not shown(mark, "#archived-unarchive"), "a plain member was offered Unarchive"
    assert mark.js("return document.querySelector('#room-topic .archived-tag')?.textContent") == "Archived"
    # In the sidebar it lists apart, marked.
    mark.wait(lambda: mark.sidebar_rooms("archived-list") == ["retro-arch"], message="not listed as archived")
    assert "retro-arch" not in mark.sidebar_rooms("room-list")
    assert mark.js("return document.querySelector('#archived-list a.room-link').classList.contains('archived')")
    # Nothing to write with on the messages: no reacting, replying or voting; Delete stays on his own.
    mark.wait(lambda: "react" not in mark.js(MESSAGE, "owner's note")["actions"], message="the reaction control stayed")
    after = mark.js(MESSAGE, "owner's note")
    assert not {"react", "reply", "thread-reply", "edit", "pin"} & set(after["actions"]), after
    assert {"forward", "save", "remind"} <= set(after["actions"]) and after["reactions"] == [True], after
    assert mark.js(MESSAGE, "Lunch?")["poll"] == [True, True]
    own = mark.js(MESSAGE, "my old note")
    assert "delete" in own["actions"] and "edit" not in own["actions"], own
    # The thread reads, but takes no reply.
    mark.js("""[...document.querySelectorAll('#messages li.message')].find(li => li.querySelector('.text')?.textContent === "owner's note")
        .querySelector('.thread-link').click()""")
    mark.wait(lambda: mark.find("#thread-panel").is_displayed())
    mark.wait(lambda: mark.js("return [...document.querySelectorAll('#thread-replies .text')].map(n => n.textContent)") == ["a reply to it"])
    assert not mark.find("#thread-text").is_enabled() and not mark.find("#thread-send").is_enabled()
    assert mark.js("return document.querySelectorAll('#thread-panel [data-action=react]').length") == 0
    mark.find("#thread-close").click()
    # Typing sends no signal.
    mark.js(INPUT, "x")
    mark.js(INPUT, "")
    time.sleep(0.5)
    assert mark.js("return window.__typing") == [], mark.js("return window.__typing")

    # He still deletes his own message.
    mark.hover_action("my old note", "delete")
    mark.confirm()
    mark.wait(lambda: mark.message_id("my old note") is None, message="the message was not deleted")
    assert next(m for m in member.history(room) if m["id"] == mine["id"])["deleted"]
    # Sending his scheduled message now is refused, and says why.
    mark.wait(lambda: shown(mark, "#scheduled-bar"))
    mark.find("#scheduled-open").click()
    mark.wait(lambda: mark.dialog_open("scheduled-dialog"))
    mark.wait(lambda: mark.js("return !!document.querySelector('#scheduled-list li.scheduled-entry button')"))
    mark.find("#scheduled-list li.scheduled-entry button").click()
    mark.wait(lambda: mark.text_of("scheduled-error") != "", message="no error for sending into an archived room")
    assert mark.text_of("scheduled-error") == "Not sent: This room is archived: it is read-only until an owner or admin unarchives it."
    mark.find("#scheduled-dialog [data-close]").click()

    # Olive makes no new webhooks there (the dialog says why), but sees the room's.
    olive.find("#members-toggle").click()
    olive.wait(lambda: olive.find("#webhooks-open").is_displayed())
    olive.find("#webhooks-open").click()
    olive.wait(lambda: olive.dialog_open("webhooks-dialog"))
    olive.wait(lambda: olive.text_of("webhook-list") == "No webhooks yet.")
    assert not olive.find("#webhook-form").is_displayed() and olive.find("#webhooks-archived").is_displayed()
    olive.find("#webhooks-dialog [data-close]").click()
    olive.find("#members-close").click()

    # Olive, the owner, has Unarchive beside the note: the room comes back for Mark at once.
    olive.wait(lambda: shown(olive, "#archived-unarchive"), message="the owner was not offered Unarchive")
    olive.find("#archived-unarchive").click()
    olive.wait(lambda: olive.find("#composer-text").is_enabled(), message="the owner's box did not come back")
    mark.wait(lambda: mark.find("#composer-text").is_displayed() and mark.find("#composer-text").is_enabled(), message="the box did not come back live")
    assert not shown(mark, "#archived-note")
    mark.wait(lambda: "retro-arch" in mark.sidebar_rooms("room-list") and mark.sidebar_rooms("archived-list") == [])
    assert not mark.find("#archived-section").is_displayed()
    mark.wait(lambda: "react" in mark.js(MESSAGE, "owner's note")["actions"], message="the reaction control did not come back")
    assert mark.js(MESSAGE, "owner's note")["reactions"] == [False]
    mark.js(INPUT, "typing again")
    mark.wait(lambda: mark.js("return window.__typing") == [True], message="typing was not signalled once unarchived")
    mark.js(INPUT, "")
    mark.send("back again")
    olive.wait(lambda: "back again" in olive.texts(), message="a message after unarchiving did not arrive")

    # The room's log tells both.
    log = owner.call("GET", f"/api/rooms/{room}/moderation", expect=200).json()["entries"]
    assert [entry["action"] for entry in log[:2]] == ["unarchive", "archive"]


def test_a_groups_admin_archives_and_unarchives_it_from_the_settings_and_a_plain_member_or_a_dm_has_no_such_thing(server, browsers, account):
    owner = account("gina_arch", display_name="Gina")
    admin = account("adam_arch", display_name="Adam")
    plain = account("pia_arch", display_name="Pia")
    group = owner.create_room("ops-arch", kind="group", members=[admin.id, plain.id])["id"]
    owner.call("PUT", f"/api/rooms/{group}/members/{admin.id}/role", expect=200, json={"role": "admin"})
    owner.post(group, "status: green")
    code = owner.call("POST", f"/api/rooms/{group}/invites", expect=201, json={}).json()["invite"]["code"]
    dm = admin.call("POST", "/api/dms", json={"user_id": owner.id}).json()["room"]["id"]
    admin.post(dm, "hi Gina")

    pia = Chat(browsers(), server).log_in("pia_arch")
    pia.open_room("ops-arch", "group-list")
    assert not pia.find("#room-settings").is_displayed(), "a plain member reached the group's settings"

    adam = Chat(browsers(), server).log_in("adam_arch")
    adam.open_room("ops-arch", "group-list")
    open_settings(adam)
    assert adam.find("#room-archive").is_displayed() and not adam.find("#room-unarchive").is_displayed()
    assert adam.find("#room-name").is_displayed() and not adam.find("#room-archived-info").is_displayed()
    adam.find("#room-archive").click()
    adam.wait(lambda: adam.dialog_open("confirm-dialog"))
    assert adam.text_of("confirm-title") == "Archive ops-arch?" and adam.text_of("confirm-ok") == "Archive group"
    adam.confirm()
    adam.wait(lambda: not adam.dialog_open("room-dialog"))
    adam.wait(lambda: shown(adam, "#archived-note") and shown(adam, "#archived-unarchive"), message="the admin's note or Unarchive did not show")
    assert re.fullmatch(r"This group was archived on .+\. It is read-only\.", adam.text_of("archived-note-text"))
    pia.wait(lambda: shown(pia, "#archived-note"), message="the member's view did not turn read-only")
    assert not shown(pia, "#archived-unarchive")
    pia.wait(lambda: pia.sidebar_rooms("archived-list") == ["ops-arch"] and "ops-arch" not in pia.sidebar_rooms("group-list"))
    # Nobody is added to an archived group.
    adam.find("#members-toggle").click()
    adam.wait(lambda: "pia_arch" in adam.text_of("members"))
    assert adam.find("#invites-open").is_displayed() and not adam.find("#add-member-input").is_displayed()
    adam.find("#invites-open").click()
    adam.wait(lambda: adam.dialog_open("invites-dialog"))
    # (The link Gina made before is listed, and still revocable; no new one can be made.)
    adam.wait(lambda: adam.js("return document.querySelectorAll('#invite-list li.entry').length") == 1,
              message=f"invite list: {adam.text_of('invite-list')}")
    assert not adam.find("#invite-form").is_displayed() and adam.find("#invites-archived").is_displayed()
    adam.find("#invites-dialog [data-close]").click()
    adam.find("#members-close").click()
    # A link made before says so to whoever opens it, and offers no Join.
    account("ivo_arch", display_name="Ivo")
    ivo = Chat(browsers(), server).log_in("ivo_arch")
    ivo.driver.get(f"{server.url}/#invite/{code}")
    ivo.wait(lambda: ivo.dialog_open("invite-dialog"), message="the invite did not open")
    ivo.wait(lambda: "but it is archived" in ivo.text_of("invite-text"), message=f"invite text: {ivo.text_of('invite-text')}")
    assert not ivo.find("#invite-join").is_displayed()

    # Reopened, the settings say it is archived, offer nothing to change and Unarchive in place of Archive.
    open_settings(adam)
    assert adam.find("#room-unarchive").is_displayed() and not adam.find("#room-archive").is_displayed()
    assert not adam.find("#room-name").is_displayed() and not adam.find("#room-submit").is_displayed()
    info = adam.text_of("room-archived-info")
    assert info.startswith("This group was archived on ") and "read-only" in info, info
    adam.find("#room-unarchive").click()
    adam.wait(lambda: not adam.dialog_open("room-dialog"))
    pia.wait(lambda: pia.find("#composer-text").is_enabled() and not shown(pia, "#archived-note"), message="the member's box did not come back")
    pia.wait(lambda: "ops-arch" in pia.sidebar_rooms("group-list"))
    pia.send("all good here")
    adam.wait(lambda: "all good here" in adam.texts())
    assert owner.call("GET", f"/api/rooms/{group}", expect=200).json()["room"]["archived_at"] is None

    # A DM's settings hold only its topic (any of its people may set it): nothing to archive, and
    # the server refuses to.
    adam.open_room("Gina", "dm-list")
    adam.wait(lambda: "hi Gina" in adam.texts())
    assert not shown(adam, "#archived-note")
    open_settings(adam)
    assert adam.find("#room-topic-input").is_displayed() and not adam.find("#room-name").is_displayed()
    assert not adam.find("#room-archive").is_displayed() and not adam.find("#room-unarchive").is_displayed()
    adam.find("#room-dialog [data-close]").click()
    adam.wait(lambda: not adam.dialog_open("room-dialog"))
    refused = admin.call("PUT", f"/api/rooms/{dm}/archived", expect=409).json()
    assert refused["error"]["code"] == "no_archive_in_dms"


def test_an_archived_room_leaves_an_open_directory_live_and_comes_back_when_unarchived(server, browsers, account):
    owner = account("dora_arch", display_name="Dora")
    account("vic_arch", display_name="Vic")
    room = owner.create_room("lobby-arch")["id"]
    vic = Chat(browsers(), server).log_in("vic_arch")
    vic.find("#browse-rooms").click()
    vic.wait(lambda: vic.dialog_open("browse-dialog"))
    listed = lambda: vic.js("return [...document.querySelectorAll('#browse-list li.browse-item')].map(li => li.dataset.name)")
    vic.wait(lambda: "lobby-arch" in listed(), message="the room was not in the directory")

    owner.call("PUT", f"/api/rooms/{room}/archived", expect=200)
    vic.wait(lambda: "lobby-arch" not in listed(), message="the archived room stayed in the open directory")
    joined = vic.js("return document.querySelector('#browse-list li.browse-item') !== null")
    assert joined, "the directory emptied"
    owner.call("DELETE", f"/api/rooms/{room}/archived", expect=200)
    vic.wait(lambda: "lobby-arch" in listed(), message="the unarchived room did not come back")
    vic.find('#browse-list li[data-name="lobby-arch"] button').click()
    vic.wait(lambda: vic.room_title() == "lobby-arch" and vic.find("#composer-text").is_enabled())
