"""Settings in the browser: per-room notification levels, the profile (display name, status),
the password, and the sessions list."""
import time

import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from parley_browser import PASSWORD, Chat, record_notifications, wait_for


def notified_chat(browsers, server, username):
    driver = browsers()
    record_notifications(driver, server.url)
    return Chat(driver, server).log_in(username)


def set_level(chat, level):
    chat.find("#room-notify").click()
    chat.wait(lambda: chat.dialog_open("notify-dialog"))
    chat.find(f'#notify-levels input[value="{level}"]').click()
    chat.find("#notify-submit").click()
    chat.wait(lambda: not chat.dialog_open("notify-dialog"))
    chat.wait(lambda: chat.find("#room-notify").get_attribute("data-level") == level)


def test_the_notification_level_of_a_room_decides_what_notifies(server, browsers, account):
    talker = account("level_talker")
    listener = account("listener")
    room = talker.create_room("chatter")["id"]
    listener.join(room)
    dm = talker.call("POST", "/api/dms", expect=201, json={"user_id": listener.id}).json()["room"]["id"]
    chat = notified_chat(browsers, server, "listener")
    chat.open_room("chatter")
    assert chat.find("#room-notify").get_attribute("aria-label") == "Notifications: mentions only"

    set_level(chat, "all")
    assert chat.find("#room-notify").get_attribute("aria-label") == "Notifications: all messages"
    levels = {r["id"]: r["notify_level"] for r in listener.call("GET", "/api/rooms", expect=200).json()["mine"]}
    assert levels[room] == "all"
    chat.open_room("main")
    talker.post(room, "plain chatter")
    chat.wait(lambda: any(n["body"] == "level_talker: plain chatter" for n in chat.notifications()),
              message="level all: a plain message did not notify")
    assert chat.badge("chatter") == ["1", False]

    # Mentions only: a plain message counts as unread but does not notify; a mention does.
    chat.open_room("chatter")
    set_level(chat, "mentions")
    chat.open_room("main")
    talker.post(room, "more chatter")
    talker.post(dm, "sentinel one")
    chat.wait(lambda: any(n["body"] == "level_talker: sentinel one" for n in chat.notifications()))
    assert not any(n["body"] == "level_talker: more chatter" for n in chat.notifications())
    chat.wait(lambda: chat.badge("chatter") == ["1", False])
    talker.post(room, "hey @listener")
    chat.wait(lambda: any(n["body"] == "level_talker: hey @listener" for n in chat.notifications()))
    chat.wait(lambda: chat.badge("chatter") == ["2", True])

    # Nothing: no notification even for a mention, and no unread count; the room shows as muted.
    chat.open_room("chatter")
    set_level(chat, "none")
    assert chat.find("#room-notify").get_attribute("aria-label") == "Notifications: muted"
    chat.open_room("main")
    talker.post(room, "@listener are you there?")
    talker.post(dm, "sentinel two")
    chat.wait(lambda: any(n["body"] == "level_talker: sentinel two" for n in chat.notifications()))
    assert not any("are you there" in n["body"] for n in chat.notifications())
    assert chat.badge("chatter") is None
    assert chat.driver.find_elements(By.CSS_SELECTOR, '#room-list a[data-name="chatter"] svg[aria-label="muted"]')
    assert chat.driver.title == "(2) Parley"  # the DM's two sentinels

    # The level survives a reload (it is the server's).
    chat.driver.refresh()
    chat.wait_ready()
    chat.open_room("chatter")
    assert chat.find("#room-notify").get_attribute("data-level") == "none"


def test_a_busy_group_dm_can_notify_of_mentions_only(server, browsers, account):
    talker = account("gdm_talker")
    listener = account("gdm_listener")
    third = account("gdm_third")
    pair = talker.call("POST", "/api/dms", expect=201, json={"user_id": listener.id}).json()["room"]["id"]
    group = talker.call("POST", "/api/dms", expect=201, json={"user_ids": [listener.id, third.id]}).json()["room"]["id"]
    chat = notified_chat(browsers, server, "gdm_listener")
    # A two-person DM is all or nothing.
    chat.open_room("gdm_talker", "dm-list")
    chat.find("#room-notify").click()
    chat.wait(lambda: chat.dialog_open("notify-dialog"))
    assert not chat.find("#notify-mentions-choice").is_displayed()
    assert chat.find('#notify-levels input[value="all"]').is_selected()
    chat.find("#notify-dialog [data-close]").click()
    chat.wait(lambda: not chat.dialog_open("notify-dialog"))
    # A group DM starts at all messages and may be set to mentions only.
    chat.open_room("gdm_talker, gdm_third", "dm-list")
    chat.wait(lambda: chat.find("#room-notify").get_attribute("data-level") == "all")
    set_level(chat, "mentions")
    levels = {r["id"]: r["notify_level"] for r in listener.call("GET", "/api/rooms", expect=200).json()["mine"]}
    assert levels[group] == "mentions" and levels[pair] == "all"
    chat.open_room("main")
    talker.post(group, "plain group chatter")
    talker.post(pair, "sentinel")
    chat.wait(lambda: any(n["body"] == "gdm_talker: sentinel" for n in chat.notifications()))
    assert not any("plain group chatter" in n["body"] for n in chat.notifications())
    talker.post(group, "@gdm_listener a question")
    chat.wait(lambda: any("a question" in n["body"] for n in chat.notifications()))


def test_a_notification_level_chosen_on_another_device_shows_here(server, browsers, account):
    listener = account("level_phone")
    room = account("level_owner").create_room("tuned")["id"]
    listener.join(room)
    chat = notified_chat(browsers, server, "level_phone")
    chat.open_room("tuned")
    chat.wait(lambda: chat.find("#room-notify").get_attribute("data-level") == "mentions")
    # The phone mutes the room: this browser's bell and sidebar follow without a reload.
    listener.call("PUT", f"/api/rooms/{room}/notifications", expect=200, json={"level": "none"})
    chat.wait(lambda: chat.find("#room-notify").get_attribute("data-level") == "none",
              message="the level chosen on another device did not reach this one")
    chat.wait(lambda: chat.driver.find_elements(By.CSS_SELECTOR, '#room-list a[data-name="tuned"] svg[aria-label="muted"]'))


def test_a_new_display_name_shows_in_the_other_browser(server, browsers, account):
    renamer = account("renamer", display_name="Old Name")
    watcher = account("name_watcher")
    room = renamer.create_room("nameplates")["id"]
    watcher.join(room)
    renamer.post(room, "said before the rename")
    other = Chat(browsers(), server).log_in("name_watcher")
    other.open_room("nameplates")
    other.find("#members-toggle").click()
    other.wait(lambda: "Old Name" in other.text_of("members"))
    author = "return [...document.querySelectorAll('#messages li.message .author')].map(n => n.textContent)"
    assert other.js(author) == ["Old Name"]

    me = Chat(browsers(), server).log_in("renamer")
    me.open_room("nameplates")
    me.find("#profile-open").click()
    me.wait(lambda: me.dialog_open("profile-dialog"))
    field = me.find("#profile-display-name")
    assert field.get_attribute("value") == "Old Name"
    field.clear()
    field.send_keys("New Name")
    me.find("#profile-save").click()
    me.wait(lambda: me.text_of("profile-saved") == "Saved.")
    assert me.text_of("me-name") == "New Name"
    assert renamer.call("GET", "/api/me", expect=200).json()["user"]["display_name"] == "New Name"

    other.wait(lambda: "New Name" in other.text_of("members") and "Old Name" not in other.text_of("members"),
               message="the member list kept the old name")
    other.wait(lambda: other.js(author) == ["New Name"], message="the message kept the old name")
    me.find("#profile-dialog [data-close]").click()
    me.send("said after the rename")
    other.wait(lambda: "said after the rename" in other.texts())
    assert set(other.js(author)) == {"New Name"}


def test_a_chosen_status_shows_to_others_and_outlasts_the_tab(server, browsers, account):
    busy = account("busy_bee")
    watcher = account("bee_watcher")
    busy.call("POST", "/api/dms", expect=201, json={"user_id": watcher.id})
    other = Chat(browsers(), server).log_in("bee_watcher")
    other.open_room("busy_bee", "dm-list")
    other.find("#members-toggle").click()
    dot = f'return document.querySelector(\'#members li[data-user-id="{busy.id}"] .presence\')?.className'
    me = Chat(browsers(), server).log_in("busy_bee")
    other.wait(lambda: other.js(dot) == "presence online")

    me.find("#profile-open").click()
    me.wait(lambda: me.dialog_open("profile-dialog"))
    assert me.find('#status-choices input[value="auto"]').is_selected()
    me.find('#status-choices input[value="busy"]').click()
    other.wait(lambda: other.js(dot) == "presence busy", message="busy did not show")
    assert me.find("#me-presence").get_attribute("class") == "presence busy"
    assert me.text_of("me-username") == "@busy_bee · busy"
    # Hiding and showing the tab does not undo a chosen status.
    me.js("document.dispatchEvent(new Event('visibilitychange'))")
    me.driver.refresh()
    me.wait_ready()
    me.wait(lambda: me.find("#me-presence").get_attribute("class") == "presence busy")
    other.wait(lambda: other.js(dot) == "presence busy")
    # The choice is the account's: another browser of mine shows it, and opening it does not undo it.
    phone = Chat(browsers(), server).log_in("busy_bee")
    phone.wait(lambda: phone.find("#me-presence").get_attribute("class") == "presence busy",
               message="the other browser did not show the chosen status")
    assert phone.text_of("me-username") == "@busy_bee · busy"
    phone.js("document.dispatchEvent(new Event('visibilitychange'))")
    assert busy.call("GET", "/api/me", expect=200).json()["presence_choice"] == "busy"
    assert other.js(dot) == "presence busy"
    # Back to automatic on the phone: the first browser follows at once.
    phone.find("#profile-open").click()
    phone.wait(lambda: phone.dialog_open("profile-dialog"))
    assert phone.find('#status-choices input[value="busy"]').is_selected()
    phone.find('#status-choices input[value="auto"]').click()
    other.wait(lambda: other.js(dot) == "presence online", message="automatic did not bring online back")
    me.wait(lambda: me.find("#me-presence").get_attribute("class") == "presence online",
            message="the first browser kept the old choice")
    assert me.text_of("me-username") == "@busy_bee"


def test_changing_the_password_logs_out_the_other_sessions(server, browsers, account):
    api = account("pw_changer")
    chat = Chat(browsers(), server).log_in("pw_changer")
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.find("#current-password").send_keys("not my password")
    chat.find("#new-password").send_keys("a brand new password")
    chat.find("#repeat-password").send_keys("a brand new password")
    chat.find("#change-password-submit").click()
    chat.wait(lambda: chat.text_of("change-password-error") == "That is not your current password.")
    api.call("GET", "/api/me", expect=200)

    chat.find("#current-password").clear()
    chat.find("#current-password").send_keys(PASSWORD)
    chat.find("#change-password-submit").click()
    chat.wait(lambda: "Password changed" in chat.text_of("change-password-done"))
    api.call("GET", "/api/me", expect=401)
    assert chat.find("#current-password").get_attribute("value") == ""
    chat.wait(lambda: chat.js("return document.querySelectorAll('#session-list li.entry').length") == 1)
    chat.find("#profile-dialog [data-close]").click()
    chat.send("still logged in here")
    chat.wait(lambda: "still logged in here" in chat.texts())
    login = requests.post(server.url + "/api/session", json={"username": "pw_changer", "password": "a brand new password"})
    assert login.status_code == 200


def test_another_session_is_revoked_from_the_list(server, browsers, account):
    api = account("revoker")
    chat = Chat(browsers(), server).log_in("revoker")
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    sessions = "return [...document.querySelectorAll('#session-list li.entry')].map(li => [li.dataset.current, li.querySelector('.name').textContent])"
    chat.wait(lambda: len(chat.js(sessions)) == 2)
    listed = chat.js(sessions)
    assert ["true", "This browser"] in listed
    [other] = [entry for entry in listed if entry[0] == "false"]
    assert other[1].startswith("python-requests")
    chat.find('#session-list li[data-current="false"] button').click()
    chat.wait(lambda: len(chat.js(sessions)) == 1)
    wait_for(lambda: api.call("GET", "/api/me").status_code == 401, message="the revoked session still works")
    # Focus stays in the dialog for the keyboard.
    assert chat.js("return document.getElementById('profile-dialog').contains(document.activeElement)")


# The focused element's name, whether it matches :focus-visible, and its outline (the message box
# shows focus on its row instead).
FOCUSED = """const e = document.activeElement;
    if (e === document.body) return ['(past the end)', true, 'n/a'];
    const shown = e.id === 'composer-text' ? getComputedStyle(e.closest('.composer-row')).boxShadow : getComputedStyle(e).outlineStyle;
    const name = e.id || e.dataset.userId || (e.type === 'radio' ? `${e.name}=${e.value}` : e.getAttribute('aria-label') || e.textContent.trim());
    return [name, e.matches(':focus-visible'), shown]"""


def tab_to(chat, wanted, limit=60, back=False):
    """Presses Tab (or Shift+Tab) until the focused element is `wanted` (an id, a data-user-id or a
    label); asserts that every stop on the way shows visible focus. Returns the stops. (Past the
    last control, focus leaves the page once before it wraps round.)"""
    stops = []
    for _ in range(limit):
        if back:
            chat.driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
        else:
            ActionChains(chat.driver).send_keys(Keys.TAB).perform()
        name, visible, outline = chat.js(FOCUSED)
        stops.append(name)
        assert visible and outline not in ("none", ""), f"{name} has no visible focus ({outline}); stops {stops}"
        if name == wanted:
            return stops
    raise AssertionError(f"Tab never reached {wanted}: {stops}")


def test_the_new_controls_work_from_the_keyboard(server, browsers, account):
    keeper = account("keyboard_keeper")
    banned = account("keyboard_banned")
    room = keeper.create_room("keys")["id"]
    banned.join(room)
    keeper.call("POST", f"/api/rooms/{room}/bans", expect=201, json={"user_id": banned.id})
    chat = Chat(browsers(), server).log_in("keyboard_keeper")
    chat.open_room("keys")
    chat.js("document.activeElement.blur()")

    # The notification level: the bell, then the radio group with arrows, then Save.
    tab_to(chat, "room-notify")
    ActionChains(chat.driver).send_keys(Keys.ENTER).perform()
    chat.wait(lambda: chat.dialog_open("notify-dialog"))
    assert chat.js("return document.activeElement.value") == "mentions"
    ActionChains(chat.driver).send_keys(Keys.ARROW_DOWN).perform()
    assert chat.js("return document.activeElement.value") == "none"
    tab_to(chat, "notify-submit")
    ActionChains(chat.driver).send_keys(Keys.ENTER).perform()
    chat.wait(lambda: not chat.dialog_open("notify-dialog"))
    assert chat.js("return document.activeElement.id") == "room-notify"
    levels = {r["id"]: r["notify_level"] for r in keeper.call("GET", "/api/rooms", expect=200).json()["mine"]}
    assert levels[room] == "none"

    # Bans: the members panel, its "Bans and mutes" button, and Unban, all by keyboard.
    tab_to(chat, "members-toggle", back=True)
    ActionChains(chat.driver).send_keys(Keys.ENTER).perform()
    chat.wait(lambda: chat.js("return document.activeElement.id") == "members-close")
    tab_to(chat, "moderation-open")
    ActionChains(chat.driver).send_keys(Keys.ENTER).perform()
    chat.wait(lambda: chat.dialog_open("moderation-dialog"))
    chat.wait(lambda: "keyboard_banned" in chat.text_of("ban-list"))
    tab_to(chat, str(banned.id))
    assert chat.js("return document.activeElement.textContent") == "Unban"
    ActionChains(chat.driver).send_keys(Keys.ENTER).perform()
    chat.wait(lambda: chat.text_of("ban-list") == "Nobody is banned.")
    assert chat.js("return document.getElementById('moderation-dialog').contains(document.activeElement)")
    ActionChains(chat.driver).send_keys(Keys.ESCAPE).perform()
    chat.wait(lambda: not chat.dialog_open("moderation-dialog"))
    assert chat.js("return document.activeElement.id") == "moderation-open"

    # The profile dialog: every control is a Tab stop with visible focus, in order.
    chat.js("document.activeElement.blur()")
    tab_to(chat, "profile-open")
    ActionChains(chat.driver).send_keys(Keys.ENTER).perform()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    assert chat.js("return document.activeElement.id") == "profile-display-name"
    chat.wait(lambda: chat.js("return document.querySelectorAll('#session-list li.entry').length") == 2)
    stops = tab_to(chat, "Close")
    assert stops[:20] == ["profile-bio", "profile-time-zone", "profile-time-zone-detect", "profile-skin-tone", "profile-receipts", "profile-link-previews", "profile-save", "status=auto", "custom-status-emoji",
                          "custom-status-text", "custom-status-expiry", "custom-status-save", "dnd-duration", "dnd-pause", "keywords-input",
                          "keywords-save", "current-password", "new-password", "repeat-password", "change-password-submit"], stops
    assert stops[20:22] == ["two-factor-password", "two-factor-submit"], stops
    assert stops[22].startswith("Log out python-requests") and stops[23:] == ["token-name", "token-expiry", "token-password", "token-create", "emoji-name", "emoji-choose", "emoji-add", "ugroup-name",
                                                                          "ugroup-description", "ugroup-make", "export-download", "deactivate-password",
                                                                          "deactivate-submit", "Close"], stops
    ActionChains(chat.driver).send_keys(Keys.ESCAPE).perform()
    chat.wait(lambda: not chat.dialog_open("profile-dialog"))
    assert chat.js("return document.activeElement.id") == "profile-open"


def test_the_settings_download_my_data(server, browsers, account):
    me = account("exporter", display_name="Ex Porter")
    me.post(1, "a message of mine")
    chat = Chat(browsers(), server).log_in("exporter")
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    link = chat.find("#export-download")
    assert link.is_displayed() and link.text == "Download your data"
    assert link.get_attribute("download") is not None
    # What the link downloads, fetched as the page would (with its session cookie).
    fetched = chat.driver.execute_async_script("""const done = arguments[0];
        fetch(document.getElementById('export-download').href).then(async (r) => done([r.status, r.headers.get('content-disposition'), await r.json()]));""")
    status, disposition, export = fetched
    assert status == 200
    assert disposition.startswith('attachment; filename="parley-exporter-')
    assert export["account"]["user"]["display_name"] == "Ex Porter"
    assert [m["text"] for m in export["messages"]] == ["a message of mine"]


def test_an_access_token_is_made_shown_once_works_as_a_bearer_and_is_revoked(server, browsers, account):
    account("tokener")
    chat = Chat(browsers(), server).log_in("tokener")
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.wait(lambda: chat.text_of("token-list") == "No access tokens.")
    # A name and the password are asked.
    chat.find("#token-create").click()
    chat.wait(lambda: chat.text_of("token-error") == "Give the token a name, say what will use it.")
    chat.find("#token-name").send_keys("release bot")
    chat.find("#token-password").send_keys("not my password")
    chat.find("#token-create").click()
    chat.wait(lambda: chat.text_of("token-error") == "That is not your password.")
    chat.find("#token-password").clear()
    chat.find("#token-password").send_keys(PASSWORD)
    Select(chat.find("#token-expiry")).select_by_visible_text("never")
    chat.find("#token-create").click()
    chat.wait(lambda: chat.find("#token-made").is_displayed(), message="the token was not shown")
    token = chat.text_of("token-value")
    assert len(token) == 64 and chat.text_of("token-made-name") == "release bot"
    assert token in chat.text_of("token-curl")
    assert chat.find("#token-password").get_attribute("value") == ""
    listed = "return [...document.querySelectorAll('#token-list li.entry')].map(li => li.textContent)"
    chat.wait(lambda: len(chat.js(listed)) == 1)
    assert chat.js(listed)[0].startswith("release bot") and "never used" in chat.js(listed)[0] and "never expires" in chat.js(listed)[0]

    # The token is the account, to a script.
    bot = {"Authorization": f"Bearer {token}"}
    me = requests.get(server.url + "/api/session", headers=bot)
    assert me.status_code == 200 and me.json()["user"]["username"] == "tokener"
    # Opened again, the settings list it (used now) and no longer show the token.
    chat.find("#profile-dialog [data-close]").click()
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.wait(lambda: len(chat.js(listed)) == 1 and "last used" in chat.js(listed)[0], message=lambda: f"{chat.js(listed)}")
    assert not chat.find("#token-made").is_displayed() and chat.text_of("token-value") == ""

    chat.find("#token-list li.entry button").click()
    chat.confirm()
    chat.wait(lambda: chat.text_of("token-list") == "No access tokens.")
    wait_for(lambda: requests.get(server.url + "/api/session", headers=bot).status_code == 401, message="the revoked token still works")
    assert chat.js("return document.getElementById('profile-dialog').contains(document.activeElement)")


def test_a_tab_in_view_keeps_me_online_when_another_tab_of_the_browser_hides(server, browsers, account):
    """Tabs of one browser share a session, one device to the server: a tab hidden said "away" for
    all of them, while another was in view (a hunt)."""
    pia = account("pia_two_tabs")
    watcher = account("pia_watcher")
    pia.call("POST", "/api/dms", expect=201, json={"user_id": watcher.id})
    other = Chat(browsers(), server).log_in("pia_watcher")
    other.open_room("pia_two_tabs", "dm-list")
    other.find("#members-toggle").click()
    dot = f'return document.querySelector(\'#members li[data-user-id="{pia.id}"] .presence\')?.className'
    me = Chat(browsers(), server).log_in("pia_two_tabs")
    other.wait(lambda: other.js(dot) == "presence online")
    first = me.driver.current_window_handle
    # The first tab stays in view (headless Chromium may count a tab behind another as hidden).
    me.js("""Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' })""")
    me.driver.switch_to.new_window("tab")
    me.driver.get(server.url + "/")
    me.wait_ready()
    # The second tab hides; the first is still in view.
    me.js("""Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
        document.dispatchEvent(new Event('visibilitychange'))""")
    # (Long enough for the "away" and the answer to it to have gone round.)
    time.sleep(2)
    other.wait(lambda: other.js(dot) == "presence online", message=lambda: f"shown as {other.js(dot)}")
    assert pia.call("GET", "/api/me", expect=200).json()["presence"] == "online"
