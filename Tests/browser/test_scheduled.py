"""Scheduled messages ("send later"): the clock beside Send, the bar over the box, the dialog with
Send now / Edit / Delete, a failure shown when the server could not send, and the send itself."""
import re
import time

from parley_browser import Chat, shifted_clock, sql


def toasts(chat):
    return chat.js("return document.querySelector('.toasts')?.textContent ?? ''")


def click_in_list(chat, label):
    """Clicks the first button of the scheduled list that reads `label`."""
    [b for b in chat.driver.find_elements("css selector", "#scheduled-list button") if b.text == label][0].click()


def scheduled(account):
    return account.call("GET", "/api/me/scheduled", expect=200).json()["scheduled"]


def test_a_message_is_scheduled_edited_and_sent(server, browsers, account):
    uma = account("uma_later", display_name="Uma")
    vic = account("vic_later", display_name="Vic")
    room = vic.create_room("later-room")["id"]
    uma.join(room)
    chat = Chat(browsers(), server).log_in("uma_later")
    chat.open_room("later-room")
    other = Chat(browsers(), server).log_in("vic_later")
    other.open_room("later-room")

    # Nothing typed: the clock says what is missing and opens no menu.
    chat.find("#schedule-send").click()
    chat.wait(lambda: "Write the message first" in chat.text_of("composer-error"))
    assert chat.js("return document.querySelector('.schedule-menu') === null")

    chat.type("release notes go out at noon")
    chat.find("#schedule-send").click()
    chat.wait(lambda: chat.js("return document.querySelector('.schedule-menu') !== null"))
    labels = chat.js("return [...document.querySelectorAll('.schedule-menu button.when')].map(b => b.textContent)")
    assert labels[0] == "In 1 hour" and labels[1].startswith("Tomorrow at "), labels
    chat.find(".schedule-menu button.when").click()
    chat.wait(lambda: "Scheduled for" in toasts(chat), message="no confirmation")
    # The box is emptied; nobody sees the message yet; the bar counts it.
    assert chat.find("#composer-text").get_attribute("value") == ""
    chat.wait(lambda: chat.find("#scheduled-bar").is_displayed())
    assert chat.text_of("scheduled-bar-text") == "1 scheduled message here"
    [entry] = scheduled(uma)
    assert entry["text"] == "release notes go out at noon" and entry["room_id"] == room
    assert "release notes go out at noon" not in chat.texts() and "release notes go out at noon" not in other.texts()

    # The dialog: edit its text, then send it now; Vic gets it at once.
    chat.find("#scheduled-open").click()
    chat.wait(lambda: chat.dialog_open("scheduled-dialog"))
    chat.wait(lambda: "release notes go out at noon" in chat.text_of("scheduled-list"))
    assert "#later-room" in chat.text_of("scheduled-list")
    click_in_list(chat, "Edit")
    box = chat.find("#scheduled-list textarea")
    box.clear()
    box.send_keys("release notes go out at one")
    click_in_list(chat, "Save")
    chat.wait(lambda: "release notes go out at one" in chat.text_of("scheduled-list") and
              not chat.driver.find_elements("css selector", "#scheduled-list textarea"))
    assert [s["text"] for s in scheduled(uma)] == ["release notes go out at one"]
    click_in_list(chat, "Send now")
    other.wait(lambda: "release notes go out at one" in other.texts(), message="Vic did not get it")
    chat.wait(lambda: "release notes go out at one" in chat.texts())
    chat.wait(lambda: "Nothing scheduled" in chat.text_of("scheduled-status"))
    chat.find("#scheduled-dialog [data-close]").click()
    chat.wait(lambda: not chat.find("#scheduled-bar").is_displayed())
    assert scheduled(uma) == []

    # A time picked by hand; then deleted from another tab (the API here): the bar follows.
    chat.type("picked by hand")
    chat.find("#schedule-send").click()
    chat.wait(lambda: chat.js("return document.querySelector('.schedule-menu .schedule-at') !== null"))
    chat.find(".schedule-menu .schedule-picked").click()
    chat.wait(lambda: "Scheduled for" in toasts(chat) and len(scheduled(uma)) == 1)
    [picked] = scheduled(uma)
    assert picked["text"] == "picked by hand"
    chat.wait(lambda: chat.find("#scheduled-bar").is_displayed())
    uma.call("DELETE", f"/api/me/scheduled/{picked['id']}", expect=204)
    chat.wait(lambda: not chat.find("#scheduled-bar").is_displayed(), message="the bar did not follow the deletion")


def refused_for_a_mute(server, browsers, sender, owner, room_name, text, mute):
    """`sender` (in a browser, in `owner`'s room) schedules `text`, `owner` mutes them with `mute`,
    and the message comes due: the bar says it could not be sent. Answers the page, the room and
    the scheduled message as made."""
    room = owner.create_room(room_name)["id"]
    sender.join(room)
    chat = Chat(browsers(), server).log_in(sender.username)
    chat.open_room(room_name)
    made = sender.call("POST", f"/api/rooms/{room}/scheduled", expect=201, json={"text": text, "in_seconds": 3600}).json()
    chat.wait(lambda: chat.find("#scheduled-bar").is_displayed(), message="an event from another client did not show")
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json=mute)
    sql(server, f"UPDATE scheduled_messages SET send_at = NOW(3) WHERE id = {made['scheduled']['id']}")
    chat.wait(lambda: "could not be sent" in chat.text_of("scheduled-bar-text"), message="the failure did not show")
    return chat, room, made


def test_a_send_the_server_refused_shows_and_is_sent_later(server, browsers, account):
    wes = account("wes_later", display_name="Wes")
    xia = account("xia_later", display_name="Xia")
    # Due now: the server tries, is refused (muted), and the bar says so.
    chat, room, made = refused_for_a_mute(server, browsers, wes, xia, "muted-later", "when I am heard", {"user_id": wes.id})
    chat.find("#scheduled-open").click()
    chat.wait(lambda: "Not sent: You are muted" in chat.text_of("scheduled-list"))
    # Unmuted, rescheduled from the dialog a minute ahead: the failure is gone and it waits again.
    xia.call("DELETE", f"/api/rooms/{room}/mutes/{wes.id}", expect=204)
    click_in_list(chat, "Edit")
    when = chat.find("#scheduled-list input[type=datetime-local]")
    chat.js("""const input = arguments[0]; const d = new Date(Date.now() + 120000);
        const pad = (n) => String(n).padStart(2, '0');
        input.value = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;""", when)
    click_in_list(chat, "Save")
    chat.wait(lambda: "Not sent" not in chat.text_of("scheduled-list"))
    [entry] = scheduled(wes)
    assert entry["failure"] is None
    chat.find("#scheduled-dialog [data-close]").click()
    assert chat.text_of("scheduled-bar-text") == "1 scheduled message here"


def test_the_scheduled_dialog_takes_the_focus_as_it_opens_and_keeps_it_as_it_reloads(server, browsers, account):
    yan = account("yan_later", display_name="Yan")
    room = yan.create_room("focus-later")["id"]
    yan.call("POST", f"/api/rooms/{room}/scheduled", expect=201, json={"text": "first later", "in_seconds": 3600})
    yan.call("POST", f"/api/rooms/{room}/scheduled", expect=201, json={"text": "second later", "in_seconds": 7200})
    chat = Chat(browsers(), server).log_in("yan_later")
    chat.open_room("focus-later")
    chat.wait(lambda: chat.find("#scheduled-bar").is_displayed())
    chat.find("#scheduled-open").click()
    chat.wait(lambda: chat.dialog_open("scheduled-dialog"))
    inside = "return document.getElementById('scheduled-dialog').contains(document.activeElement)"
    # The list reloads as the dialog opens: the focus stays on the first entry's first button.
    for _ in range(10):
        assert chat.js(inside), f"the focus is on {chat.js('return document.activeElement.tagName')}"
        chat.js("return new Promise(r => setTimeout(r, 100))")
    assert chat.js("return document.activeElement.textContent") == "Send now"
    assert chat.js("return document.activeElement.closest('li').textContent").find("first later") >= 0
    # Deleting the focused entry puts the focus on the next one.
    chat.js("document.activeElement.closest('li').querySelector('button.danger').focus()")
    chat.js("document.activeElement.click()")
    chat.wait(lambda: "first later" not in chat.text_of("scheduled-list"))
    chat.wait(lambda: chat.js(inside) and "second later" in chat.js("return document.activeElement.closest('li')?.textContent ?? ''"),
              message=lambda: chat.js("return document.activeElement.outerHTML.slice(0, 80)"))


def test_send_later_on_a_monday_offers_next_monday_by_that_name(server, browsers, account):
    """On a Monday the offer is the next week's Monday, and says "Next Monday" (a hunt: "Monday at
    9:00 AM" read as today's). The page's clock is set to the coming Monday, 10:00 UTC (or a
    Wednesday's, for the plain "Monday")."""
    account("mona_later")
    for weekday, label in ((0, "Next Monday at "), (2, "Monday at ")):
        driver = browsers()
        driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "UTC"})
        now = time.time()
        days_since_epoch = int(now // 86_400)
        # 1970-01-01 was a Thursday: Monday is (days + 3) % 7 == 0.
        ahead = (weekday - (days_since_epoch + 3) % 7) % 7 or 7
        target = (days_since_epoch + ahead) * 86_400 + 10 * 3600
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": shifted_clock(int((target - now) * 1000))})
        chat = Chat(driver, server).log_in("mona_later")
        assert chat.js("return new Date().getDay()") == (weekday + 1) % 7
        chat.type("standup notes")
        chat.find("#schedule-send").click()
        chat.wait(lambda: chat.js("return document.querySelector('.schedule-menu') !== null"))
        labels = chat.js("return [...document.querySelectorAll('.schedule-menu button.when')].map(b => b.textContent)")
        assert labels[2].startswith(label), labels


def test_a_send_refused_by_a_timed_mute_shows_its_end_in_local_time(server, browsers, account):
    ned = account("ned_mutelater", display_name="Ned")
    ola = account("ola_mutelater", display_name="Ola")
    # Due now: the server tries, and is refused until the mute ends.
    chat, _, _ = refused_for_a_mute(server, browsers, ned, ola, "timed-mute-later", "after the mute", {"user_id": ned.id, "duration_seconds": 600})
    [entry] = scheduled(ned)
    assert entry["failure"]["code"] == "muted"
    until = re.search(r"\d{4}-\d\d-\d\dT[\d:.]+Z", entry["failure"]["message"]).group(0)
    local = chat.js("return import('/format.js').then(m => m.formatFull(new Date(arguments[0])))", until)

    # The server says when the mute ends in ISO 8601; the list says it as the composer does, in local time.
    chat.find("#scheduled-open").click()
    failure = "return document.querySelector('#scheduled-list .scheduled-failure')?.textContent ?? ''"
    chat.wait(lambda: chat.js(failure).startswith("Not sent: You are muted"), message=lambda: f"failure: {chat.js(failure)!r}")
    assert not re.search(r"\d{4}-\d\d-\d\dT", chat.js(failure)), chat.js(failure)
    assert local in chat.js(failure), (local, chat.js(failure))


def test_send_later_is_a_dialog_not_a_menu_holding_a_time_field(server, browsers, account):
    """An accessibility review: "Send later" was a role=menu holding a date-time field and a plain
    button (a menu may hold only menu items). It is a non-modal dialog: labelled, the focus goes
    into it, Tab reaches the field, Escape closes it and puts the focus back on the clock."""
    from selenium.webdriver.common.keys import Keys
    pat = account("pat_laterdlg", display_name="Pat")
    room = pat.create_room("later-dialog-room")["id"]
    pat.post(room, "remind me of this")
    chat = Chat(browsers(), server).log_in("pat_laterdlg")
    chat.open_room("later-dialog-room")
    chat.wait(lambda: "remind me of this" in chat.texts())
    popup = """const p = document.querySelector('.schedule-menu');
        const clock = document.getElementById('schedule-send');
        const a = document.activeElement;
        return p && {role: p.getAttribute('role'), label: p.getAttribute('aria-label'),
          roles: [...p.querySelectorAll('[role]')].map(e => e.getAttribute('role')),
          inside: p.contains(a), focused: a.className, haspopup: clock.getAttribute('aria-haspopup'),
          expanded: clock.getAttribute('aria-expanded')}"""
    assert chat.find("#schedule-send").get_attribute("aria-expanded") == "false"
    chat.type("later, please")
    chat.find("#schedule-send").click()
    chat.wait(lambda: chat.js(popup) is not None)
    now = chat.js(popup)
    assert (now["role"], now["label"], now["haspopup"], now["expanded"]) == ("dialog", "Send later", "dialog", "true"), now
    assert "menu" not in now["roles"] and "menuitem" not in now["roles"], now
    assert now["inside"] and "when" in now["focused"], now
    # Tab goes through the choices to the time field, staying in the dialog.
    choices = chat.js("return document.querySelectorAll('.schedule-menu button.when').length")
    chat.press(*[Keys.TAB] * choices)
    chat.wait(lambda: "schedule-at" in chat.js(popup)["focused"], message=lambda: chat.js(popup))
    assert chat.js(popup)["inside"]
    # Escape closes it, and the focus goes back to the clock, which says it is closed.
    chat.press(Keys.ESCAPE)
    chat.wait(lambda: chat.js(popup) is None)
    assert chat.js("return document.activeElement.id") == "schedule-send"
    assert chat.find("#schedule-send").get_attribute("aria-expanded") == "false"
    assert chat.find("#composer-text").get_attribute("value") == "later, please"
    # The reminder menu, which holds only choices, is still a menu of menu items.
    chat.hover_action("remind me of this", "remind")
    chat.wait(lambda: chat.js("return !!document.querySelector('li.message .remind-menu')"))
    assert chat.js("""const m = document.querySelector('li.message .remind-menu');
        return [m.getAttribute('role'), [...m.children].every(c => c.getAttribute('role') === 'menuitem')]""") == ["menu", True]
