"""Moderators in the browser: the bans and mutes lists, unbanning and unmuting."""
import time
from datetime import datetime

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from parley_browser import Chat

MEMBER_BUTTON = """return [...document.querySelectorAll('#members li[data-user-id="' + arguments[0] + '"] .member-actions button')]
    .find(b => b.textContent === arguments[1]) ?? null"""


def entries(chat, list_id):
    return chat.js("return [...document.querySelectorAll('#' + arguments[0] + ' li.entry')].map(li => li.textContent)", list_id)


def test_an_owner_bans_from_the_member_list_sees_the_ban_and_lifts_it(server, browsers, account):
    owner = account("bailiff", display_name="The Bailiff")
    bob = account("bob_banned", display_name="Bob")
    carol = account("carol_muted", display_name="Carol")
    room = owner.create_room("courtroom")["id"]
    bob.join(room)
    carol.join(room)
    admin = Chat(browsers(), server).log_in("bailiff")
    admin.open_room("courtroom")
    victim = Chat(browsers(), server).log_in("bob_banned")
    victim.open_room("courtroom")

    admin.find("#members-toggle").click()
    admin.wait(lambda: admin.js(MEMBER_BUTTON, str(bob.id), "Ban"), message="no Ban button for bob")
    admin.js(MEMBER_BUTTON, str(bob.id), "Ban").click()
    admin.wait(lambda: admin.dialog_open("confirm-dialog"))
    admin.find("#confirm-input").send_keys("spam")
    admin.find("#confirm-ok").click()
    admin.wait(lambda: "bob_banned" not in admin.text_of("members"), message="the banned member stayed in the list")
    victim.wait(lambda: "You were banned from this room." in victim.text_of("room-empty"))

    admin.wait(lambda: admin.js(MEMBER_BUTTON, str(carol.id), "Mute"))
    admin.js(MEMBER_BUTTON, str(carol.id), "Mute").click()
    admin.wait(lambda: admin.dialog_open("confirm-dialog"))
    admin.find("#confirm-ok").click()
    admin.wait(lambda: carol.call("POST", f"/api/rooms/{room}/messages", json={"text": "can I talk?"}).status_code == 403,
               message="the mute did not take")

    admin.find("#moderation-open").click()
    admin.wait(lambda: admin.dialog_open("moderation-dialog"))
    admin.wait(lambda: len(entries(admin, "ban-list")) == 1 and len(entries(admin, "mute-list")) == 1, message="lists not loaded")
    [ban] = entries(admin, "ban-list")
    assert "Bob" in ban and "@bob_banned" in ban and "by The Bailiff" in ban and "“spam”" in ban and "no end" in ban
    [mute] = entries(admin, "mute-list")
    assert "Carol" in mute and "until" in mute
    mute_end = mute.split("until ")[1].removesuffix("Unmute")

    admin.find(f'#ban-list button[data-user-id="{bob.id}"]').click()
    admin.wait(lambda: admin.text_of("ban-list") == "Nobody is banned.", message="the unbanned user stayed in the list")
    assert owner.call("GET", f"/api/rooms/{room}/bans", expect=200).json()["bans"] == []
    admin.find(f'#mute-list button[data-user-id="{carol.id}"]').click()
    admin.wait(lambda: admin.text_of("mute-list") == "Nobody is muted.")
    carol.post(room, "thanks for the unmute")
    # The owner reads the room's moderation log there too, newest first.
    admin.find("#room-log-section summary").click()
    log = lambda: admin.js("return [...document.querySelectorAll('#room-log li .name')].map(n => n.textContent)")
    admin.wait(lambda: len(log()) == 4, message=f"{log()}")
    assert log() == [
        "The Bailiff unmuted @carol_muted", "The Bailiff lifted the ban on @bob_banned",
        "The Bailiff muted @carol_muted until " + mute_end, "The Bailiff banned @bob_banned (“spam”)",
    ]
    admin.find("#moderation-dialog [data-close]").click()
    admin.wait(lambda: not admin.dialog_open("moderation-dialog"))

    # Bob joins again from his browser, through the directory.
    victim.find("#browse-rooms").click()
    victim.wait(lambda: victim.driver.find_elements(By.CSS_SELECTOR, '#browse-list li[data-name="courtroom"] button'))
    victim.find('#browse-list li[data-name="courtroom"] button').click()
    victim.wait(lambda: victim.room_title() == "courtroom" and victim.find("#composer-text").is_enabled())
    victim.send("I am back")
    admin.wait(lambda: "I am back" in admin.texts())
    admin.wait(lambda: "bob_banned" in admin.text_of("members"))


def test_the_bans_list_follows_bans_made_elsewhere(server, browsers, account):
    owner = account("marshal")
    rowdy = account("rowdy_two")
    room = owner.create_room("saloon")["id"]
    rowdy.join(room)
    admin = Chat(browsers(), server).log_in("marshal")
    admin.open_room("saloon")
    admin.find("#members-toggle").click()
    admin.wait(lambda: admin.find("#moderation-open").is_displayed())
    admin.find("#moderation-open").click()
    admin.wait(lambda: admin.text_of("ban-list") == "Nobody is banned.")
    owner.call("POST", f"/api/rooms/{room}/bans", expect=201, json={"user_id": rowdy.id, "duration_seconds": 3600})
    admin.wait(lambda: "rowdy_two" in admin.text_of("ban-list"), message="a ban made through the API did not show")
    assert "until" in admin.text_of("ban-list")


def test_a_moderator_sees_bans_and_mutes_but_not_the_log(server, browsers, account):
    owner = account("sheriff")
    deputy = account("deputy_dan")
    room = owner.create_room("jailhouse")["id"]
    deputy.join(room)
    owner.call("PUT", f"/api/rooms/{room}/members/{deputy.id}/role", expect=200, json={"role": "moderator"})
    chat = Chat(browsers(), server).log_in("deputy_dan")
    chat.open_room("jailhouse")
    chat.find("#members-toggle").click()
    chat.wait(lambda: chat.find("#moderation-open").is_displayed())
    chat.find("#moderation-open").click()
    chat.wait(lambda: chat.text_of("ban-list") == "Nobody is banned.")
    assert not chat.find("#room-log-section").is_displayed()
    # (The server refuses it too: the log is for admins and the owner.)
    assert deputy.call("GET", f"/api/rooms/{room}/moderation").status_code == 403


def test_members_do_not_see_the_moderation_tools(server, browsers, account):
    owner = account("plain_owner")
    member = account("plain_member")
    room = owner.create_room("plainroom")["id"]
    member.join(room)
    chat = Chat(browsers(), server).log_in("plain_member")
    chat.open_room("plainroom")
    chat.find("#members-toggle").click()
    chat.wait(lambda: "plain_owner" in chat.text_of("members"))
    assert not chat.find("#moderation-open").is_displayed()
    assert chat.driver.find_elements(By.CSS_SELECTOR, "#members .member-actions") == []


def test_an_owner_lets_only_moderators_post_and_members_see_it_live(server, browsers, account):
    owner = account("herald", display_name="The Herald")
    mel = account("mel_reader", display_name="Mel")
    room = owner.create_room("announcements")["id"]
    mel.join(room)
    early = mel.post(room, "written before the rule")["id"]
    admin = Chat(browsers(), server).log_in("herald")
    admin.open_room("announcements")
    reader = Chat(browsers(), server).log_in("mel_reader")
    reader.open_room("announcements")
    assert reader.find("#composer-text").is_enabled()
    reply = f'#messages li.message[data-id="{early}"] [data-action="reply"]'
    reader.wait(lambda: reader.driver.find_elements(By.CSS_SELECTOR, reply), message="no Reply before the rule")

    admin.find("#room-settings").click()
    admin.wait(lambda: admin.dialog_open("room-dialog"))
    assert not admin.find("#room-moderated").is_selected()
    admin.find("#room-moderated").click()
    admin.find("#room-submit").click()
    admin.wait(lambda: not admin.dialog_open("room-dialog"))
    assert owner.call("GET", f"/api/rooms/{room}", expect=200).json()["room"]["post_policy"] == "moderators"

    # The member's box closes at once, saying why; editing and replying go too. They still react.
    reader.wait(lambda: not reader.find("#composer-text").is_enabled(), message="the member's box stayed open")
    assert "Only moderators" in reader.find("#composer-text").get_attribute("placeholder")
    node = reader.find(f'#messages li.message[data-id="{early}"]')
    offered = [b.get_attribute("data-action") for b in node.find_elements(By.CSS_SELECTOR, ".actions [data-action]")]
    assert "react" in offered
    assert not {"edit", "reply", "thread-reply"} & set(offered), offered
    assert mel.call("POST", f"/api/rooms/{room}/messages", json={"text": "may I?"}).json()["error"]["code"] == "posting_restricted"
    # The owner still posts; promoting the member to moderator opens their box again.
    admin.send("Release on Friday.")
    reader.wait(lambda: "Release on Friday." in reader.texts())
    assert admin.find("#composer-text").is_enabled()
    owner.call("PUT", f"/api/rooms/{room}/members/{mel.id}/role", json={"role": "moderator"}, expect=200)
    reader.wait(lambda: reader.find("#composer-text").is_enabled(), message="the new moderator's box stayed closed")
    reader.wait(lambda: reader.driver.find_elements(By.CSS_SELECTOR, reply), message="the new moderator has no Reply")
    reader.send("Noted, thanks.")
    admin.wait(lambda: "Noted, thanks." in admin.texts())

    # Lifting the rule (the settings show it set) opens the box of the remaining members.
    owner.call("PUT", f"/api/rooms/{room}/members/{mel.id}/role", json={"role": "member"}, expect=200)
    reader.wait(lambda: not reader.find("#composer-text").is_enabled())
    admin.find("#room-settings").click()
    admin.wait(lambda: admin.dialog_open("room-dialog"))
    assert admin.find("#room-moderated").is_selected()
    admin.find("#room-moderated").click()
    admin.find("#room-submit").click()
    admin.wait(lambda: not admin.dialog_open("room-dialog"))
    reader.wait(lambda: reader.find("#composer-text").is_enabled(), message="lifting the rule did not open the box")
    # The room's log says who changed it, and a new room can start as an announcement room.
    admin.find("#members-toggle").click()
    admin.wait(lambda: admin.find("#moderation-open").is_displayed())
    admin.find("#moderation-open").click()
    admin.wait(lambda: admin.dialog_open("moderation-dialog"))
    admin.find("#room-log-section summary").click()
    log = lambda: admin.js("return [...document.querySelectorAll('#room-log li .name')].map(n => n.textContent)")
    admin.wait(lambda: "The Herald let every member post again" in log(), message=f"{log()}")
    assert "The Herald let only moderators, admins and the owner post" in log()
    admin.driver.execute_script("document.querySelector('#moderation-dialog').close()")
    admin.find("#new-room").click()
    admin.wait(lambda: admin.dialog_open("room-dialog"))
    admin.find("#room-name").send_keys("bulletin")
    admin.find("#room-moderated").click()
    admin.find("#room-submit").click()
    admin.wait(lambda: admin.room_title() == "bulletin", message="the new room did not open")
    made = next(r for r in owner.call("GET", "/api/rooms", expect=200).json()["mine"] if r["name"] == "bulletin")
    assert made["post_policy"] == "moderators"


def test_the_focus_stays_on_a_members_button_after_a_cancel_or_a_reload(server, browsers, account):
    owner = account("usher", display_name="The Usher")
    dan = account("dan_focus", display_name="Dan")
    room = owner.create_room("focus-court")["id"]
    dan.join(room)
    admin = Chat(browsers(), server).log_in("usher")
    admin.open_room("focus-court")
    admin.find("#members-toggle").click()
    admin.wait(lambda: admin.js(MEMBER_BUTTON, str(dan.id), "Kick"), message="no Kick button for dan")
    focused = "return [document.activeElement.textContent, document.activeElement.closest('li')?.dataset.userId ?? null]"
    for label in ("Kick", "Ban"):
        admin.js(MEMBER_BUTTON, str(dan.id), label).send_keys(Keys.ENTER)
        admin.wait(lambda: admin.dialog_open("confirm-dialog"))
        admin.find("#confirm-input").send_keys(Keys.ESCAPE)
        admin.wait(lambda: not admin.dialog_open("confirm-dialog"))
        # A reload would have rebuilt the list by now (and lost the focus).
        admin.js("return new Promise(r => setTimeout(r, 500))")
        assert admin.js(focused) == [label, str(dan.id)]
    # A tool that reloads the list keeps the focus on the same person's button, the one that
    # replaced it: muted, dan is offered Unmute.
    admin.js(MEMBER_BUTTON, str(dan.id), "Mute").send_keys(Keys.ENTER)
    admin.wait(lambda: admin.dialog_open("confirm-dialog"))
    admin.find("#confirm-ok").send_keys(Keys.ENTER)
    admin.wait(lambda: dan.call("POST", f"/api/rooms/{room}/messages", json={"text": "hm"}).status_code == 403)
    admin.js("return new Promise(r => setTimeout(r, 500))")
    assert admin.js(focused) == ["Unmute", str(dan.id)]


def test_an_owner_sets_the_rooms_word_filter_in_its_settings_and_members_do_not_see_it(server, browsers, account):
    owner = account("filter_owner", display_name="Fay")
    mel = account("filter_member", display_name="Mel")
    room = owner.create_room("filtered")["id"]
    mel.join(room)
    owner.call("PUT", f"/api/rooms/{room}/filter", json={"words": ["spoiler"], "mode": "reject"}, expect=200)
    admin = Chat(browsers(), server).log_in("filter_owner")
    admin.open_room("filtered")
    admin.find("#room-settings").click()
    admin.wait(lambda: admin.dialog_open("room-dialog"))
    # The filter as it is: one word, refusing.
    admin.wait(lambda: admin.find("#room-filter-words").get_attribute("value") == "spoiler", message="the filter did not load")
    assert admin.find("#room-filter-mode").get_attribute("value") == "reject"

    # Something that is not a word: the server's reason shows, and the dialog stays.
    words = admin.find("#room-filter-words")
    words.clear()
    words.send_keys("spoiler, two words")
    admin.find("#room-submit").click()
    refused = owner.call("PUT", f"/api/rooms/{room}/filter", json={"words": ["spoiler", "two words"], "mode": "reject"}, expect=422).json()
    assert refused["error"]["code"] == "invalid_filter"
    admin.wait(lambda: admin.text_of("room-error") == refused["error"]["message"], message=lambda: f"error {admin.text_of('room-error')!r}")
    assert admin.dialog_open("room-dialog")
    assert owner.call("GET", f"/api/rooms/{room}/filter", expect=200).json()["words"] == ["spoiler"]

    # Words one per line or separated by commas, masked.
    words.clear()
    words.send_keys("spoiler, ending", Keys.ENTER, "Plot")
    admin.js("const mode = document.getElementById('room-filter-mode'); mode.value = 'mask'; mode.dispatchEvent(new Event('change'))")
    admin.find("#room-submit").click()
    admin.wait(lambda: not admin.dialog_open("room-dialog"), message=lambda: f"error: {admin.text_of('room-error')}")
    assert owner.call("GET", f"/api/rooms/{room}/filter", expect=200).json() == {"words": ["ending", "plot", "spoiler"], "mode": "mask"}
    # Opened again, the dialog shows it so.
    admin.find("#room-settings").click()
    admin.wait(lambda: admin.dialog_open("room-dialog"))
    admin.wait(lambda: admin.find("#room-filter-words").get_attribute("value") == "ending\nplot\nspoiler")
    assert admin.find("#room-filter-mode").get_attribute("value") == "mask"
    # A new word and a name that is taken: the filter is saved, the rename refused, and the error
    # says which (Cancel does not undo the filter).
    owner.create_room("taken-name")
    words = admin.find("#room-filter-words")
    words.send_keys(Keys.ENTER, "twist")
    name = admin.find("#room-name")
    name.clear()
    name.send_keys("taken-name")
    admin.find("#room-submit").click()
    admin.wait(lambda: "The word filter was saved, but the other changes were not:" in admin.text_of("room-error"),
               message=lambda: f"error {admin.text_of('room-error')!r}")
    assert "twist" in owner.call("GET", f"/api/rooms/{room}/filter", expect=200).json()["words"]
    admin.js("document.querySelector('#room-dialog').close()")

    # A member has no settings to open; a DM's (its topic) have no filter.
    reader = Chat(browsers(), server).log_in("filter_member")
    reader.open_room("filtered")
    assert not reader.find("#room-settings").is_displayed()
    reader.open_dm_with("filter_owner")
    reader.find("#room-settings").click()
    reader.wait(lambda: reader.dialog_open("room-dialog"))
    assert not reader.find("#room-filter-words").is_displayed()


def test_an_owner_hands_the_room_over_from_the_member_list_and_may_then_leave(server, browsers, account):
    """The web had no way to do it, so an owner could never leave (a hunt)."""
    owner = account("handing_owner", display_name="Hana")
    heir = account("handing_heir", display_name="Hiro")
    room = owner.create_room("hand-over")["id"]
    heir.join(room)
    chat = Chat(browsers(), server).log_in("handing_owner")
    chat.open_room("hand-over")
    assert not chat.find("#leave-room").is_displayed()
    chat.find("#members-toggle").click()
    chat.wait(lambda: chat.js(MEMBER_BUTTON, str(heir.id), "Make owner"), message="no Make owner for the member")
    chat.js(MEMBER_BUTTON, str(heir.id), "Make owner").click()
    chat.wait(lambda: chat.dialog_open("confirm-dialog"))
    chat.find("#confirm-ok").click()
    roles = lambda: {m["user"]["username"]: m["role"] for m in owner.call("GET", f"/api/rooms/{room}/members", expect=200).json()["members"]}
    chat.wait(lambda: roles() == {"handing_owner": "admin", "handing_heir": "owner"}, message=lambda: f"roles: {roles()}")
    # Now an admin: Leave is offered (from the More menu at this width, or the header).
    chat.wait(lambda: chat.js("return !document.getElementById('leave-room').hidden"), message="no Leave after handing over")
    assert not chat.js(MEMBER_BUTTON, str(heir.id), "Make owner")


def test_a_ban_and_a_mute_from_the_member_list_take_a_length_and_a_reason(server, browsers, account):
    owner = account("warden", display_name="The Warden")
    bob = account("bob_timed", display_name="Bob")
    carol = account("carol_timed", display_name="Carol")
    room = owner.create_room("timed-court")["id"]
    bob.join(room)
    carol.join(room)
    admin = Chat(browsers(), server).log_in("warden")
    admin.open_room("timed-court")
    admin.find("#members-toggle").click()

    admin.wait(lambda: admin.js(MEMBER_BUTTON, str(carol.id), "Mute"), message="no Mute button for carol")
    admin.js(MEMBER_BUTTON, str(carol.id), "Mute").click()
    admin.wait(lambda: admin.dialog_open("confirm-dialog"))
    choices = admin.js("return [...document.querySelectorAll('#confirm-choice option')].map(o => o.textContent)")
    assert choices == ["10 minutes", "1 hour", "1 day", "1 week", "Until lifted"], choices
    Select(admin.find("#confirm-choice")).select_by_visible_text("1 day")
    admin.find("#confirm-input").send_keys("shouting")
    admin.find("#confirm-ok").click()
    admin.wait(lambda: owner.call("GET", f"/api/rooms/{room}/mutes", expect=200).json()["mutes"], message="no mute")
    [mute] = owner.call("GET", f"/api/rooms/{room}/mutes", expect=200).json()["mutes"]
    assert mute["reason"] == "shouting"
    length = (datetime.fromisoformat(mute["expires_at"].replace("Z", "+00:00")) - datetime.fromisoformat(mute["created_at"].replace("Z", "+00:00")))
    assert abs(length.total_seconds() - 86400) < 5, length

    admin.wait(lambda: admin.js(MEMBER_BUTTON, str(bob.id), "Ban"), message="no Ban button for bob")
    admin.js(MEMBER_BUTTON, str(bob.id), "Ban").click()
    admin.wait(lambda: admin.dialog_open("confirm-dialog"))
    # A ban is until lifted unless a length is chosen.
    assert admin.find("#confirm-choice").get_attribute("value") == ""
    Select(admin.find("#confirm-choice")).select_by_visible_text("1 week")
    admin.find("#confirm-input").send_keys("spam links")
    admin.find("#confirm-ok").click()
    admin.wait(lambda: owner.call("GET", f"/api/rooms/{room}/bans", expect=200).json()["bans"], message="no ban")
    [ban] = owner.call("GET", f"/api/rooms/{room}/bans", expect=200).json()["bans"]
    assert ban["reason"] == "spam links"
    length = (datetime.fromisoformat(ban["expires_at"].replace("Z", "+00:00")) - datetime.fromisoformat(ban["created_at"].replace("Z", "+00:00")))
    assert abs(length.total_seconds() - 7 * 86400) < 5, length

    # The log says until when each lasts, and why.
    admin.find("#moderation-open").click()
    admin.wait(lambda: admin.dialog_open("moderation-dialog"))
    admin.find("#room-log-section summary").click()
    log = lambda: admin.js("return [...document.querySelectorAll('#room-log li .name')].map(n => n.textContent)")
    admin.wait(lambda: len(log()) == 2, message=lambda: f"{log()}")
    banned, muted = log()
    assert banned.startswith("The Warden banned @bob_timed until ") and banned.endswith("(“spam links”)"), banned
    assert muted.startswith("The Warden muted @carol_timed until ") and muted.endswith("(“shouting”)"), muted


def test_the_moderation_log_pages_back_past_its_newest_fifty(server, browsers, account):
    owner = account("archivist", display_name="The Archivist")
    pat = account("pat_paged", display_name="Pat")
    room = owner.create_room("long-log")["id"]
    pat.join(room)
    # 60 entries: 30 mutes and unmutes, the oldest a mute "number 0".
    for n in range(30):
        owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": pat.id, "reason": f"number {n}"})
        owner.call("DELETE", f"/api/rooms/{room}/mutes/{pat.id}", expect=204)
    admin = Chat(browsers(), server).log_in("archivist")
    admin.open_room("long-log")
    admin.find("#members-toggle").click()
    admin.wait(lambda: admin.find("#moderation-open").is_displayed())
    admin.find("#moderation-open").click()
    admin.wait(lambda: admin.dialog_open("moderation-dialog"))
    admin.find("#room-log-section summary").click()
    log = lambda: admin.js("return [...document.querySelectorAll('#room-log li .name')].map(n => n.textContent)")
    admin.wait(lambda: len(log()) == 50, message=lambda: f"{len(log())} entries")
    more = admin.find("#room-log-more")
    assert more.is_displayed()
    more.click()
    admin.wait(lambda: len(log()) == 60, message=lambda: f"{len(log())} entries")
    assert log()[-1] == "The Archivist muted @pat_paged (“number 0”)", log()[-1]
    assert len(set(admin.js("return [...document.querySelectorAll('#room-log li')].map(li => li.dataset.id)"))) == 60
    assert not more.is_displayed()


def test_unmute_is_not_offered_for_someone_of_the_viewers_rank(server, browsers, account):
    owner = account("chief", display_name="Chief")
    mod_a = account("mod_ann", display_name="Ann")
    mod_b = account("mod_ben", display_name="Ben")
    member = account("plain_pia", display_name="Pia")
    room = owner.create_room("ranked")["id"]
    for person in (mod_a, mod_b, member):
        person.join(room)
    for person in (mod_a, mod_b):
        owner.call("PUT", f"/api/rooms/{room}/members/{person.id}/role", expect=200, json={"role": "moderator"})
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": mod_b.id})
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": member.id})
    # (The server refuses Ann lifting Ben's mute: the same rank.)
    assert mod_a.call("DELETE", f"/api/rooms/{room}/mutes/{mod_b.id}").status_code == 403
    chat = Chat(browsers(), server).log_in("mod_ann")
    chat.open_room("ranked")
    chat.find("#members-toggle").click()
    chat.wait(lambda: chat.find("#moderation-open").is_displayed())
    chat.find("#moderation-open").click()
    chat.wait(lambda: len(entries(chat, "mute-list")) == 2, message="mutes not loaded")
    assert chat.driver.find_elements(By.CSS_SELECTOR, f'#mute-list button[data-user-id="{member.id}"]')
    assert not chat.driver.find_elements(By.CSS_SELECTOR, f'#mute-list button[data-user-id="{mod_b.id}"]')
    assert "Ben" in chat.text_of("mute-list")


def test_open_moderation_and_settings_dialogs_follow_the_viewer_losing_their_role(server, browsers, account):
    owner = account("boss_demotes", display_name="Boss")
    mod = account("mod_demoted", display_name="Mo")
    room = owner.create_room("demotions")["id"]
    mod.join(room)
    owner.call("PUT", f"/api/rooms/{room}/members/{mod.id}/role", expect=200, json={"role": "admin"})
    chat = Chat(browsers(), server).log_in("mod_demoted")
    chat.open_room("demotions")
    chat.find("#members-toggle").click()
    chat.wait(lambda: chat.find("#moderation-open").is_displayed())
    chat.find("#moderation-open").click()
    chat.wait(lambda: chat.dialog_open("moderation-dialog"))
    assert chat.find("#room-log-section").is_displayed()
    # Admin to moderator: the log (for admins and up) goes; moderator to member: the dialog closes.
    owner.call("PUT", f"/api/rooms/{room}/members/{mod.id}/role", expect=200, json={"role": "moderator"})
    chat.wait(lambda: not chat.find("#room-log-section").is_displayed(), message="the log stayed for a moderator")
    assert chat.dialog_open("moderation-dialog")
    owner.call("PUT", f"/api/rooms/{room}/members/{mod.id}/role", expect=200, json={"role": "member"})
    chat.wait(lambda: not chat.dialog_open("moderation-dialog"), message="the dialog stayed open for a member")
    chat.wait(lambda: "no longer a moderator" in chat.js("return document.querySelector('.toasts').textContent"))

    # Settings open as an admin: demoted, the fields they may no longer change go.
    owner.call("PUT", f"/api/rooms/{room}/members/{mod.id}/role", expect=200, json={"role": "admin"})
    chat.wait(lambda: chat.find("#room-settings").is_displayed())
    chat.find("#room-settings").click()
    chat.wait(lambda: chat.dialog_open("room-dialog"))
    chat.wait(lambda: chat.find("#room-name").is_displayed())
    owner.call("PUT", f"/api/rooms/{room}/members/{mod.id}/role", expect=200, json={"role": "member"})
    chat.wait(lambda: not chat.find("#room-name").is_displayed(), message="the name field stayed for a member")


def test_after_a_kick_the_client_sends_nothing_more_to_the_room(server, browsers, account):
    """Kicked while typing, then off to another room: no stopped-typing signal and no draft for the
    lost room, which the server refuses (a hunt saw the 403s)."""
    owner = account("bouncer_k", display_name="Bouncer")
    kim = account("kim_kicked", display_name="Kim")
    room = owner.create_room("kick-club")["id"]
    kim.join(room)
    owner.post(room, "rules are rules")
    chat = Chat(browsers(), server).log_in("kim_kicked")
    chat.open_room("kick-club")
    chat.find("#composer-text").send_keys("half a thought")
    chat.wait(lambda: kim.call("GET", "/api/me/drafts", expect=200).json()["drafts"], message="the draft was not saved")
    chat.driver.get_log("browser")
    owner.call("POST", f"/api/rooms/{room}/kick", expect=204, json={"user_id": kim.id, "reason": "enough"})
    chat.wait(lambda: "removed" in chat.text_of("room-empty").lower() or not chat.find("#composer-text").is_enabled())
    chat.open_room("main")
    time.sleep(3)
    refused = [line["message"] for line in chat.driver.get_log("browser") if " 403 " in line["message"] or "403 (Forbidden)" in line["message"]]
    assert refused == [], refused
