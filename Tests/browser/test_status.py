"""Custom status: set in the settings, shown with the person's name to others at once, cleared."""
from selenium.webdriver.support.ui import Select

from parley_browser import Chat


def member_status(chat, user_id):
    """The status line under a member in the open member panel, or None."""
    return chat.js("""const line = document.querySelector(`#members li.member[data-user-id="${arguments[0]}"] .status-line`);
        return line ? line.textContent : null""", user_id)


def test_a_status_set_in_the_settings_shows_to_others_live_and_clears(server, browsers, account):
    uma = account("uma_status", display_name="Uma")
    account("vic_status", display_name="Vic")
    uma.post(1, "hello from uma")
    vic = Chat(browsers(), server).log_in("vic_status")
    vic.open_room("main")
    vic.wait(lambda: "hello from uma" in vic.texts())
    vic.find("#members-toggle").click()
    vic.wait(lambda: vic.js("return !!document.querySelector(`#members li.member[data-user-id='${arguments[0]}']`)", uma.id))
    assert member_status(vic, uma.id) is None

    chat = Chat(browsers(), server).log_in("uma_status")
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.wait(lambda: chat.text_of("custom-status-now") == "No status set.")
    # (ChromeDriver types no emoji: the field is filled as a paste would.)
    chat.js("const f = document.getElementById('custom-status-emoji'); f.value = '🌴'; f.dispatchEvent(new Event('input'))")
    chat.find("#custom-status-text").send_keys("On holiday")
    Select(chat.find("#custom-status-expiry")).select_by_value("3600")
    chat.find("#custom-status-save").click()
    chat.wait(lambda: chat.text_of("custom-status-now").startswith("Now: 🌴 On holiday (until "), message=chat.text_of("custom-status-now"))
    assert chat.text_of("custom-status-saved") == "Status set."
    status = uma.call("GET", "/api/me", expect=200).json()["status"]
    assert status["text"] == "On holiday" and status["emoji"] == "🌴" and status["expires_at"]
    # Beside my own name, and in Vic's member list at once.
    chat.wait(lambda: "🌴 On holiday" in chat.text_of("me-username"))
    vic.wait(lambda: member_status(vic, uma.id) == "🌴 On holiday", message="Vic's member list did not show the status")

    # Vic sees it in Uma's profile (opened from her message's name).
    vic.message("hello from uma").find_element("css selector", ".author").click()
    vic.wait(lambda: vic.dialog_open("user-dialog"))
    vic.wait(lambda: vic.text_of("user-dialog-status").startswith("🌴 On holiday · until "), message=vic.text_of("user-dialog-status"))
    vic.js("document.getElementById('user-dialog').close()")

    # Emptied fields are refused; Clear takes it away everywhere.
    chat.find("#custom-status-text").clear()
    chat.js("document.getElementById('custom-status-emoji').value = ''")
    chat.find("#custom-status-save").click()
    chat.wait(lambda: "emoji" in chat.text_of("custom-status-error"))
    chat.find("#custom-status-clear").click()
    chat.wait(lambda: chat.text_of("custom-status-now") == "No status set.")
    assert uma.call("GET", "/api/me", expect=200).json()["status"] is None
    vic.wait(lambda: member_status(vic, uma.id) is None, message="the cleared status stayed in Vic's member list")
    chat.wait(lambda: "On holiday" not in chat.text_of("me-username"))
