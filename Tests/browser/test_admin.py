"""Site administration in the browser: a site admin finds people, hands out a password reset link
(which the person opens logged out, sets a new password with, and logs in), makes another site
admin, and deactivates and reactivates an account."""
import requests
from selenium.webdriver.common.by import By

from parley_browser import PASSWORD, Chat, make_site_admin


def row(chat, username):
    rows = chat.driver.find_elements(By.CSS_SELECTOR, "#admin-users li.entry")
    return next((r for r in rows if f"@{username}" in r.text), None)


def click_in_row(chat, username, label):
    def click():
        found = row(chat, username)
        buttons = [b for b in found.find_elements(By.CSS_SELECTOR, "button") if b.text == label] if found else []
        if buttons and buttons[0].is_enabled():
            buttons[0].click()
            return True
        return False
    chat.wait(click, message=f"no {label} button for {username}")


def test_a_site_admin_resets_a_password_makes_an_admin_and_deactivates_an_account(server, browsers, account):
    # (Fay registers first, so she would be the site admin of a fresh server, not the boss.)
    account("forgetful_fay", display_name="Fay")
    boss = account("boss_admin", display_name="Boss")
    account("helper_hal", display_name="Hal")
    make_site_admin(server, "boss_admin")
    plain = Chat(browsers(), server).log_in("helper_hal")
    assert plain.js("return document.getElementById('admin-open').hidden") is True

    chat = Chat(browsers(), server).log_in("boss_admin")
    chat.wait(lambda: chat.js("return document.getElementById('admin-open').hidden") is False)
    chat.find("#admin-open").click()
    chat.wait(lambda: chat.dialog_open("admin-dialog"))
    chat.find("#admin-search").send_keys("forgetful")
    chat.wait(lambda: len(chat.driver.find_elements(By.CSS_SELECTOR, "#admin-users li.entry")) == 1 and row(chat, "forgetful_fay"))
    assert "Fay" in row(chat, "forgetful_fay").text

    # A reset link, shown once, copied for handing over.
    click_in_row(chat, "forgetful_fay", "Reset password")
    chat.wait(lambda: chat.find("#admin-reset-link").get_attribute("value").startswith(f"{server.url}/#reset/"))
    link = chat.find("#admin-reset-link").get_attribute("value")
    assert "@forgetful_fay" in chat.text_of("admin-reset-label")

    # Fay opens it logged out, sets a new password, and logs in with it; her old sessions are gone.
    fay_session = requests.post(server.url + "/api/session", json={"username": "forgetful_fay", "password": PASSWORD}).json()["token"]
    fay = Chat(browsers(), server)
    fay.driver.get(link)
    fay.wait(lambda: fay.dialog_open("reset-dialog"))
    fay.wait(lambda: "@forgetful_fay" in fay.text_of("reset-text"))
    fay.find("#reset-password").send_keys("brand new pass")
    fay.find("#reset-repeat").send_keys("brand new pass!")
    fay.find("#reset-submit").click()
    fay.wait(lambda: "differ" in fay.text_of("reset-error"))
    fay.find("#reset-repeat").send_keys("\b")
    fay.find("#reset-submit").click()
    fay.wait(lambda: not fay.dialog_open("reset-dialog"))
    fay.wait(lambda: fay.find("#auth-username").get_attribute("value") == "forgetful_fay")
    assert "new password is set" in fay.text_of("auth-error")
    assert fay.js("return location.hash") == ""
    fay.find("#auth-password").send_keys("brand new pass")
    fay.find("#auth-submit").click()
    fay.wait_ready()
    assert requests.get(server.url + "/api/session", headers={"Authorization": f"Bearer {fay_session}"}).status_code == 401
    # The link worked once.
    used = Chat(browsers(), server)
    used.driver.get(link)
    used.wait(lambda: used.dialog_open("reset-dialog"))
    used.wait(lambda: "not valid" in used.text_of("reset-error"))
    assert not used.find("#reset-submit").is_displayed()

    # Hal becomes a site admin (after a confirmation), and can administer at once.
    chat.find("#admin-search").clear()
    chat.find("#admin-search").send_keys("helper")
    chat.wait(lambda: row(chat, "helper_hal") is not None and len(chat.driver.find_elements(By.CSS_SELECTOR, "#admin-users li.entry")) == 1)
    click_in_row(chat, "helper_hal", "Make admin")
    chat.confirm()
    chat.wait(lambda: "site admin" in row(chat, "helper_hal").text)
    # Hal's open browser shows the site-admin button at once, without a reload.
    plain.wait(lambda: plain.js("return document.getElementById('admin-open').hidden") is False,
               message="the promoted user's browser did not show the admin tools")
    hal = account("helper_hal")
    hal.call("GET", "/api/admin/users", expect=200)

    # Deactivating logs Hal out in his browser; reactivating lets him back in.
    click_in_row(chat, "helper_hal", "Deactivate")
    chat.confirm()
    chat.wait(lambda: "deactivated" in row(chat, "helper_hal").text)
    plain.wait(lambda: plain.find("#auth").is_displayed(), message="the deactivated account's browser stayed in")
    assert requests.post(server.url + "/api/session", json={"username": "helper_hal", "password": PASSWORD}).status_code == 403
    click_in_row(chat, "helper_hal", "Reactivate")
    chat.wait(lambda: "deactivated" not in row(chat, "helper_hal").text)
    assert requests.post(server.url + "/api/session", json={"username": "helper_hal", "password": PASSWORD}).status_code == 200
    # The admin's own row offers no way to lock themselves out.
    chat.find("#admin-search").clear()
    chat.find("#admin-search").send_keys("boss_admin")
    chat.wait(lambda: row(chat, "boss_admin") is not None)
    labels = [b.text for b in row(chat, "boss_admin").find_elements(By.CSS_SELECTOR, "button")]
    assert labels == ["Reset password"]
    assert boss.call("GET", "/api/admin/users?prefix=helper_hal", expect=200).json()["users"][0]["user"]["site_role"] == "admin"

    # The site log says who did what, newest first.
    chat.find("#admin-log-section summary").click()
    chat.wait(lambda: "Boss reactivated @helper_hal" in chat.text_of("admin-log"), message=chat.text_of("admin-log"))
    log = chat.js("return [...document.querySelectorAll('#admin-log li .name')].map(n => n.textContent)")
    lines = [line for line in log if line.startswith(("Boss", "Fay"))]
    assert lines == [
        "Boss reactivated @helper_hal",
        "Boss deactivated @helper_hal",
        "Boss made @helper_hal a site admin",
        "Fay set a new password with a reset link",
        "Boss made a password reset link for @forgetful_fay",
    ], log


def test_a_deactivated_account_is_not_offered_make_admin(server, browsers, account):
    """The server refuses it (409 account_deactivated); a deactivated admin still offers Remove admin."""
    boss = account("boss_da")
    make_site_admin(server, "boss_da")
    gone = account("gone_da")
    boss.call("POST", f"/api/admin/users/{gone.id}/deactivate", expect=204)
    chat = Chat(browsers(), server).log_in("boss_da")
    chat.wait(lambda: chat.js("return document.getElementById('admin-open').hidden") is False)
    chat.find("#admin-open").click()
    chat.wait(lambda: chat.dialog_open("admin-dialog"))
    chat.find("#admin-search").send_keys("gone_da")
    chat.wait(lambda: row(chat, "gone_da") is not None and "deactivated" in row(chat, "gone_da").text)
    labels = [b.text for b in row(chat, "gone_da").find_elements(By.CSS_SELECTOR, "button")]
    assert "Reactivate" in labels and "Make admin" not in labels, labels
    click_in_row(chat, "gone_da", "Reactivate")
    chat.wait(lambda: "deactivated" not in row(chat, "gone_da").text)
    chat.wait(lambda: "Make admin" in [b.text for b in row(chat, "gone_da").find_elements(By.CSS_SELECTOR, "button")])
