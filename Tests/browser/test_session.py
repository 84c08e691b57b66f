"""Accounts in the browser: register, log in, stay logged in across reloads, log out."""
import time

from selenium.common.exceptions import ElementNotInteractableException, StaleElementReferenceException
from selenium.webdriver.common.keys import Keys

from parley_browser import PASSWORD, Chat


def test_register_through_the_form_then_log_out_and_back_in(server, browsers):
    chat = Chat(browsers(), server)
    chat.driver.get(server.url + "/")
    chat.wait(lambda: chat.find("#auth-username").is_displayed())
    chat.find("#tab-register").click()
    assert chat.find("#auth-display-name").is_displayed()
    chat.find("#auth-username").send_keys("newcomer")
    chat.find("#auth-display-name").send_keys("New Comer")
    chat.find("#auth-password").send_keys("short")
    chat.find("#auth-submit").click()
    chat.wait(lambda: "at least 8" in chat.text_of("auth-error"), message="a short password was not refused")
    # The field it is about says so, and is described by it (read again when the field is reached).
    invalid = "return ['auth-username', 'auth-password'].map(id => [document.getElementById(id).getAttribute('aria-invalid'), document.getElementById(id).getAttribute('aria-describedby')])"
    assert chat.js(invalid) == [[None, None], ["true", "auth-error"]]
    chat.find("#auth-password").send_keys("-but-longer-now")
    chat.find("#auth-submit").click()
    chat.wait_ready()
    assert chat.text_of("me-name") == "New Comer"
    assert chat.text_of("me-username") == "@newcomer"
    assert chat.room_title() == "main"  # everyone joins main on registration

    chat.find("#logout").click()
    chat.wait(lambda: chat.find("#auth-username").is_displayed(), message="logging out did not show the login form")
    assert chat.driver.get_cookie("parley_session") is None or chat.js("return fetch('/api/session').then(r => r.status)") == 401
    chat.driver.refresh()
    chat.wait(lambda: chat.find("#auth-username").is_displayed())  # still logged out after a reload

    chat.find("#auth-username").send_keys("newcomer")
    chat.find("#auth-password").send_keys("wrong password")
    chat.find("#auth-submit").click()
    chat.wait(lambda: "Wrong username or password" in chat.text_of("auth-error"))
    assert chat.js(invalid) == [["true", "auth-error"], ["true", "auth-error"]]
    chat.find("#auth-password").clear()
    chat.find("#auth-password").send_keys("short-but-longer-now")
    chat.find("#auth-submit").click()
    chat.wait_ready()
    assert chat.text_of("me-name") == "New Comer"


def test_a_taken_username_is_explained(server, browsers, account):
    account("taken")
    chat = Chat(browsers(), server)
    chat.driver.get(server.url + "/")
    chat.wait(lambda: chat.find("#auth-username").is_displayed())
    chat.find("#tab-register").click()
    chat.find("#auth-username").send_keys("taken")
    chat.find("#auth-password").send_keys(PASSWORD)
    chat.find("#auth-submit").click()
    chat.wait(lambda: chat.text_of("auth-error") == "That username is taken.")
    assert not chat.find("#chat").is_displayed()


def test_a_reload_keeps_the_session_and_reopens_the_room(server, browsers, account):
    owner = account("keeper")
    owner.create_room("kept", topic="stays open")
    owner.post(1, "in main")
    chat = Chat(browsers(), server).log_in("keeper")
    chat.open_room("kept")
    chat.send("before the reload")
    chat.wait(lambda: "before the reload" in chat.texts())
    room_hash = chat.js("return location.hash")
    assert room_hash.startswith("#room/")
    chat.driver.refresh()
    chat.wait_ready()
    assert chat.room_title() == "kept"
    assert chat.text_of("room-topic") == "stays open"
    assert chat.texts() == ["before the reload"]
    assert not chat.find("#auth").is_displayed()
    # Even without the address, the last room reopens.
    chat.driver.get(server.url + "/")
    chat.wait_ready()
    assert chat.room_title() == "kept"
    assert chat.js("return location.hash") == room_hash


def test_a_session_ended_elsewhere_returns_to_the_login_form_and_leaves_no_drafts_or_unsent_messages(server, browsers, account):
    watcher = account("revoked")
    watcher.create_room("revoked-room")
    chat = Chat(browsers(), server).log_in("revoked")
    chat.open_room("revoked-room")
    # A draft, kept here and on the server (it follows me to my next login).
    chat.type("a draft to keep")
    drafts, outbox = f"parley.drafts.{watcher.id}", f"parley.outbox.{watcher.id}"
    chat.wait(lambda: "a draft to keep" in (chat.js("return localStorage.getItem(arguments[0])", drafts) or ""))
    chat.wait(lambda: [d["text"] for d in watcher.call("GET", "/api/me/drafts", expect=200).json()["drafts"]] == ["a draft to keep"])
    # Log this browser's session out behind its back (as revoking it from another device would), and
    # send a message the moment that answers: the ended session also ends the stream, and a
    # long-polling client learns of it within milliseconds, so a later script could find the login
    # form already shown. Sent without typing into the box (typing alone would already reveal the
    # ended session).
    status = chat.js("""return fetch('/api/session').then(r => r.json()).then(s =>
        fetch('/api/session', {method: 'DELETE', headers: {'X-CSRF-Token': s.csrf_token}})).then(r => {
            document.getElementById('composer-text').value = 'are you still there?';
            document.getElementById('composer').requestSubmit();
            return r.status;
        })""")
    assert status == 204
    chat.wait(lambda: chat.find("#auth-username").is_displayed(), message="the client did not notice the session ended")
    assert "session has ended" in chat.text_of("auth-error")
    # Revoking is what one does for a lost or shared computer: what was typed here leaves it, and
    # the notice says that the message waiting to be sent went with it.
    assert "1 message waiting to be sent was discarded." in chat.text_of("auth-error")
    assert chat.js("return [localStorage.getItem(arguments[0]), localStorage.getItem(arguments[1])]", drafts, outbox) == [None, None]
    assert "are you still there?" not in [m["text"] for m in watcher.history(1)]
    # Logging in again finds the draft (from the server); the message was not kept to be sent.
    chat.find("#auth-username").send_keys("revoked")
    chat.find("#auth-password").send_keys(PASSWORD)
    chat.find("#auth-submit").click()
    chat.wait_ready()
    chat.open_room("revoked-room")
    chat.wait(lambda: chat.find("#composer-text").get_attribute("value") == "a draft to keep")
    time.sleep(1)
    assert "are you still there?" not in [m["text"] for m in watcher.history(1)]


def test_deactivating_my_account_from_settings_logs_me_out_everywhere(server, browsers, account):
    account("root_keeper")  # a site admin exists (the first account), who may bring the account back
    me = account("quitter_q")
    chat = Chat(browsers(), server).log_in("quitter_q")
    elsewhere = Chat(browsers(), server).log_in("quitter_q")
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))

    # A wrong password is refused in place, and nothing changes.
    chat.find("#deactivate-password").send_keys("not my password")
    chat.find("#deactivate-submit").click()
    chat.wait(lambda: chat.dialog_open("confirm-dialog"))
    chat.find("#confirm-ok").click()
    chat.wait(lambda: chat.text_of("deactivate-error") == "That is not your password.")
    assert me.call("GET", "/api/session").status_code == 200

    # Cancelling the confirmation changes nothing either.
    chat.find("#deactivate-password").clear()
    chat.find("#deactivate-password").send_keys(PASSWORD)
    chat.find("#deactivate-submit").click()
    chat.wait(lambda: chat.dialog_open("confirm-dialog"))
    chat.find("#confirm-dialog [data-close]").click()
    chat.wait(lambda: not chat.dialog_open("confirm-dialog"))
    assert me.call("GET", "/api/session").status_code == 200

    # Confirmed: this browser and the other one are back at the login form, told why.
    chat.find("#deactivate-submit").click()
    chat.wait(lambda: chat.dialog_open("confirm-dialog"))
    chat.find("#confirm-ok").click()
    for browser in (chat, elsewhere):
        browser.wait(lambda: browser.find("#auth-username").is_displayed(), message="not logged out")
        browser.wait(lambda: "deactivated" in browser.text_of("auth-error"))
    assert me.call("GET", "/api/session").status_code == 401
    chat.find("#auth-username").send_keys("quitter_q")
    chat.find("#auth-password").send_keys(PASSWORD)
    chat.find("#auth-submit").click()
    chat.wait(lambda: chat.text_of("auth-error") == "This account has been deactivated.")


def test_logging_out_with_a_message_waiting_to_be_sent_logs_out_and_leaves_it_behind(server, browsers, account):
    leaver = account("leaver_unsent")
    chat = Chat(browsers(), server).log_in("leaver_unsent")
    chat.open_room("main")
    # The message cannot go (its requests fail as offline ones do): it waits in the outbox.
    chat.driver.execute_cdp_cmd("Network.enable", {})
    chat.driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/rooms/*/messages"]})
    chat.send("stuck in the outbox")
    outbox = f"parley.outbox.{leaver.id}"
    chat.wait(lambda: "stuck in the outbox" in (chat.js("return localStorage.getItem(arguments[0])", outbox) or ""))
    chat.find("#logout").click()
    chat.wait(lambda: chat.find("#auth-username").is_displayed(), message="logging out with a message waiting did not log out")
    assert chat.js("return localStorage.getItem(arguments[0])", outbox) is None
    assert chat.js("return fetch('/api/session').then(r => r.status)") == 401
    assert "stuck in the outbox" not in [m["text"] for m in leaver.history(1)]


def two_tabs_sue_then_tom(chat, server, in_sues_tab=lambda: None):
    """Tab 1 logs in as tab_sue (then does `in_sues_tab`); tab 2, whose login form was already
    showing, then logs in as tab_tom (nobody logs out: Sue's session stays valid, but the browser's
    cookie is Tom's). Returns the tabs, tab 1 the current one."""
    driver = chat.driver
    driver.get(server.url + "/")
    first = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(server.url + "/")
    chat.wait(lambda: chat.find("#auth-username").is_displayed())
    second = driver.current_window_handle
    driver.switch_to.window(first)
    chat.log_in("tab_sue")
    in_sues_tab()
    driver.switch_to.window(second)
    chat.find("#auth-username").send_keys("tab_tom")
    chat.find("#auth-password").send_keys(PASSWORD)
    chat.find("#auth-submit").click()
    chat.wait_ready()
    assert chat.text_of("me-username") == "@tab_tom"
    driver.switch_to.window(first)
    return first, second


def test_a_tab_does_not_post_as_the_account_another_tab_logged_in_as(server, browsers, account):
    sue = account("tab_sue", display_name="Sue")
    account("tab_tom", display_name="Tom")
    chat = Chat(browsers(), server)

    def type_a_message():
        chat.open_room("main")
        chat.find("#composer-text").send_keys("typed in sue's window")
    two_tabs_sue_then_tom(chat, server, type_a_message)
    # Sue's tab (if it has not noticed yet: any request it makes to change something does) sends.
    # Refused for its CSRF token (Sue's), the message is not sent again with Tom's: the tab starts
    # over as Tom, and says why.
    if chat.text_of("me-username") == "@tab_sue":
        try:
            chat.find("#composer-text").send_keys(Keys.ENTER)
        except (StaleElementReferenceException, ElementNotInteractableException):
            pass  # it noticed just now (its page is being replaced): nothing to send there
    chat.wait(lambda: chat.text_of("me-username") == "@tab_tom", message="the tab went on showing Sue")
    chat.wait(lambda: "Another tab logged in as @tab_tom" in chat.js("return document.querySelector('.toasts')?.textContent ?? ''"), message="no word of the switch")
    time.sleep(1)
    texts = [(m["sender"]["username"], m["text"]) for m in sue.call("GET", "/api/rooms/1/messages", expect=200).json()["messages"]]
    assert not [t for t in texts if t[1] == "typed in sue's window"], texts


def test_a_tab_whose_stream_reconnects_as_another_account_starts_over_as_it(server, browsers, account):
    account("tab_sue", display_name="Sue")
    account("tab_tom", display_name="Tom")
    chat = Chat(browsers(), server)
    two_tabs_sue_then_tom(chat, server)
    # The connection drops (the network went away a moment) and comes back with the cookie as it
    # is now: Tom's. The tab does not go on "Live" as Sue on Tom's stream.
    chat.js("window.dispatchEvent(new Event('offline'))")
    chat.wait(lambda: chat.text_of("me-username") == "@tab_tom", message="the tab went on showing Sue")
    chat.wait_ready()
