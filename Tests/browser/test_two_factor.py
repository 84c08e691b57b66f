"""Two-factor authentication in the browser: set up from the settings with an authenticator's key,
the code asked for at login, recovery codes shown once, turned off again, and turned off by a site
admin for someone who lost their app."""
import base64
import hashlib
import hmac
import struct
import time

import requests

from parley_browser import PASSWORD, Chat, make_site_admin
from test_admin import click_in_row


def totp(key, offset=0):
    """The six-digit code of an authenticator app for a base32 key, `offset` steps of 30 s from now (RFC 6238)."""
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    mac = hmac.new(secret, struct.pack(">Q", int(time.time()) // 30 + offset), hashlib.sha1).digest()
    start = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[start:start + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def test_two_factor_is_set_up_in_the_settings_asked_for_at_login_and_turned_off(server, browsers, account):
    account("tfa_person", display_name="Tess")
    chat = Chat(browsers(), server).log_in("tfa_person")
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.wait(lambda: chat.text_of("two-factor-state").startswith("Off"), message="no state shown")

    # Setting up asks for the password, then shows the key and its link.
    chat.find("#two-factor-password").send_keys("not the password")
    chat.find("#two-factor-submit").click()
    chat.wait(lambda: chat.text_of("two-factor-error") == "That is not your password.")
    chat.find("#two-factor-password").clear()
    chat.find("#two-factor-password").send_keys(PASSWORD)
    chat.find("#two-factor-submit").click()
    chat.wait(lambda: chat.find("#two-factor-setup").is_displayed(), message="the key did not show")
    key = chat.js("return document.getElementById('two-factor-secret').dataset.key")
    assert len(key) == 32
    assert chat.text_of("two-factor-secret") == " ".join(key[i:i + 4] for i in range(0, 32, 4))
    link = chat.js("return document.getElementById('two-factor-link').getAttribute('href')")
    assert link.startswith("otpauth://totp/Parley:tfa_person?secret=" + key)
    # Not on yet: logging in elsewhere needs no code.
    assert requests.post(server.url + "/api/session", json={"username": "tfa_person", "password": PASSWORD}).status_code == 200

    # A wrong code is refused; the app's code turns it on and shows ten recovery codes, once.
    chat.find("#two-factor-code").send_keys("000000" if totp(key) != "000000" else "111111")
    chat.find("#two-factor-submit").click()
    chat.wait(lambda: chat.text_of("two-factor-error") == "That code is wrong or was already used.")
    chat.find("#two-factor-code").clear()
    chat.find("#two-factor-code").send_keys(totp(key))
    chat.find("#two-factor-submit").click()
    chat.wait(lambda: chat.text_of("two-factor-state").startswith("On since"), message=f"not on: {chat.text_of('two-factor-state')}")
    codes = chat.js("return [...document.querySelectorAll('#two-factor-code-list code')].map(c => c.textContent)")
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    assert "10 recovery codes left" in chat.text_of("two-factor-state")
    assert chat.find("#two-factor-off").is_displayed() and not chat.find("#two-factor-submit").is_displayed()

    # Logging in now asks for a code after the password; a wrong one is refused, the next step's lets in.
    login = Chat(browsers(), server)
    login.driver.get(server.url + "/")
    login.wait(lambda: login.find("#auth-username").is_displayed())
    login.find("#auth-username").send_keys("tfa_person")
    login.find("#auth-password").send_keys(PASSWORD)
    login.find("#auth-submit").click()
    login.wait(lambda: login.find("#auth-code-field").is_displayed(), message="no code asked for")
    assert login.text_of("auth-error") == "Enter the code from your authenticator app."
    assert login.js("return document.activeElement.id") == "auth-code"
    login.find("#auth-code").send_keys("not-a-code")
    login.find("#auth-submit").click()
    login.wait(lambda: login.text_of("auth-error") == "That code is wrong or was already used.")
    login.find("#auth-code").clear()
    login.find("#auth-code").send_keys(totp(key, 1))
    login.find("#auth-submit").click()
    login.wait_ready()
    # A recovery code works in place of the app's, once.
    recovery = requests.post(server.url + "/api/session", json={"username": "tfa_person", "password": PASSWORD, "code": codes[0]})
    assert recovery.status_code == 200, recovery.text

    # Turning it off takes the password and a code (a recovery code will do).
    chat.find("#two-factor-password").send_keys(PASSWORD)
    chat.find("#two-factor-code").send_keys(codes[0])
    chat.find("#two-factor-off").click()
    chat.wait(lambda: chat.text_of("two-factor-error") == "That code is wrong or was already used.")
    chat.find("#two-factor-code").clear()
    chat.find("#two-factor-code").send_keys(codes[1])
    chat.find("#two-factor-off").click()
    chat.wait(lambda: chat.text_of("two-factor-state").startswith("Off"), message="not turned off")
    assert chat.text_of("two-factor-done") == "Two-factor authentication is off."
    assert not chat.find("#two-factor-codes").is_displayed()
    assert requests.post(server.url + "/api/session", json={"username": "tfa_person", "password": PASSWORD}).status_code == 200


def test_a_site_admin_turns_it_off_for_someone_who_lost_their_app(server, browsers, account):
    lost = account("tfa_lost", display_name="Lou")
    account("tfa_boss", display_name="Ines")
    make_site_admin(server, "tfa_boss")
    key = lost.call("POST", "/api/me/two-factor", expect=201, json={"password": PASSWORD}).json()["setup"]["secret"]
    lost.call("POST", "/api/me/two-factor/confirm", expect=200, json={"code": totp(key)})
    assert requests.post(server.url + "/api/session", json={"username": "tfa_lost", "password": PASSWORD}).json()["error"]["code"] \
        == "two_factor_required"

    boss = Chat(browsers(), server).log_in("tfa_boss")
    boss.wait(lambda: boss.js("return document.getElementById('admin-open').hidden") is False)
    boss.find("#admin-open").click()
    boss.wait(lambda: boss.dialog_open("admin-dialog"))
    boss.find("#admin-search").send_keys("tfa_")
    # Each row read in one script: the list is rebuilt as the search and people's presence change.
    rows = """return Object.fromEntries([...document.querySelectorAll('#admin-users li.entry')].map(li => [
        li.querySelector('.entry-details').textContent.split(' · ')[0],
        [li.querySelector('.entry-details').textContent, [...li.querySelectorAll('button')].map(b => b.textContent)]]))"""
    boss.wait(lambda: "two-factor on" in boss.js(rows).get("@tfa_lost", [""])[0], message=f"no two-factor shown: {boss.js(rows)}")
    listed = boss.js(rows)
    assert "Turn off two-factor" in listed["@tfa_lost"][1]
    assert "two-factor on" not in listed["@tfa_boss"][0] and "Turn off two-factor" not in listed["@tfa_boss"][1], listed
    click_in_row(boss, "tfa_lost", "Turn off two-factor")
    boss.wait(lambda: boss.dialog_open("confirm-dialog"))
    boss.confirm()
    boss.wait(lambda: "two-factor on" not in boss.js(rows)["@tfa_lost"][0], message=f"still on: {boss.js(rows)}")
    assert "Turn off two-factor" not in boss.js(rows)["@tfa_lost"][1]
    assert requests.post(server.url + "/api/session", json={"username": "tfa_lost", "password": PASSWORD}).status_code == 200
