"""Two-factor authentication in the browser: set up from the settings with an authenticator's key,
the code asked for at login, recovery codes shown once, turned off again, and turned off by a site
admin for someone who lost their app."""
import base64
import hashlib
import hmac
import random
import string
import struct
import subprocess
import tempfile
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


def read_qr(element):
    """What a QR code reader (zbar) makes of an element as the browser drew it."""
    with tempfile.NamedTemporaryFile(suffix=".png") as picture:
        picture.write(element.screenshot_as_png)
        picture.flush()
        result = subprocess.run(["zbarimg", "--raw", "-q", picture.name], capture_output=True, timeout=30)
    return result.stdout.decode("utf-8").removesuffix("\n") if result.returncode == 0 else None


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
    # The QR code beside it reads back as that link, so a phone's camera can add the key.
    assert read_qr(chat.find("#two-factor-qr svg")) == link
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
    assert chat.js("return document.getElementById('two-factor-qr').children.length") == 0, "the old key's QR code stayed"
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


def test_qr_codes_of_every_size_read_back_as_their_text(server, browsers):
    """The client's QR encoder, from version 1 to 40, one and several blocks, with and without
    version information, ASCII and UTF-8: each drawn code is read back by zbar."""
    driver = browsers(width=1000, height=1000)
    driver.get(server.url + "/")
    driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        import("/qr.js").then((qr) => { window.qrForTest = qr; done(); });""")
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "/:?&=%-_."
    texts = ["a", "otpauth://totp/Parley:z%C3%B6e?secret=JBSWY3DPEHPK3PXP&issuer=Parley", "Zoë — 日本語 ✓"]
    texts += ["".join(rng.choice(alphabet) for _ in range(n)) for n in (14, 60, 100, 150, 230, 400, 700, 1100, 1600, 2300, 2331)]
    versions = set()
    for text in texts:
        version = driver.execute_script("""
            const [text] = arguments;
            const code = window.qrForTest.qrCode(text);
            // Two pixels a module for the large ones, so the biggest fits the window.
            const svg = window.qrForTest.qrSvg(text, { scale: code.size > 100 ? 2 : 4 });
            document.getElementById("qr-under-test")?.remove();
            const box = document.createElement("div");
            box.id = "qr-under-test";
            box.style.cssText = "position: fixed; top: 0; left: 0; z-index: 100000; line-height: 0";
            box.append(svg);
            document.body.append(box);
            return code.version;""", text)
        versions.add(version)
        assert read_qr(driver.find_element("css selector", "#qr-under-test svg")) == text, f"version {version}, {len(text)} characters"
    assert 1 in versions and 40 in versions and any(7 <= v <= 9 for v in versions) and any(10 <= v < 40 for v in versions), versions
    # Past version 40 at level M there is no code: the encoder says so rather than draw a wrong one.
    error = driver.execute_script("try { window.qrForTest.qrCode('x'.repeat(2332)); return null } catch (e) { return e.message }")
    assert error == "Too long for a QR code."
