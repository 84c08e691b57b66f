"""A deactivated account's tab ends its session at once, saying why; an old deactivation replayed after
a reactivation and a new login does not end the new one."""
from parley_browser import Account, Chat, make_site_admin, wait_for


def test_a_deactivation_logs_out_live_and_its_replay_after_a_reactivation_does_not(server, browsers, account):
    account("dz_admin")
    make_site_admin(server, "dz_admin")
    admin = Account(server, "dz_admin")
    dora = account("dq_dora", display_name="Dora")
    poster = account("dv_poster")
    chat = Chat(browsers(), server).log_in("dq_dora")

    # Deactivated while the tab is live: the login form says why.
    admin.call("POST", f"/api/admin/users/{dora.id}/deactivate", expect=204)
    chat.wait(lambda: chat.find("#auth").is_displayed() and chat.text_of("auth-error") == "Your account was deactivated.",
              message=lambda: f"auth error: {chat.text_of('auth-error')!r}")
    admin.call("POST", f"/api/admin/users/{dora.id}/reactivate", expect=204)

    # Offline across a second deactivation and its reactivation, the tab keeps a cursor from before
    # them; logging in again replays that `account.deactivated`, which must not end the new session.
    chat.log_in("dq_dora")
    chat.network(offline=True)
    admin.call("POST", f"/api/admin/users/{dora.id}/deactivate", expect=204)
    admin.call("POST", f"/api/admin/users/{dora.id}/reactivate", expect=204)
    chat.network()
    chat.wait(lambda: chat.find("#auth").is_displayed(), message="the ended session was not noticed")
    chat.find("#auth-username").send_keys("dq_dora")
    chat.find("#auth-password").send_keys(dora.password)
    # (Logging in does not load the page again: a reload after it would lose this.)
    chat.js("window.stillHere = true")
    chat.find("#auth-submit").click()
    chat.wait_ready()
    poster.post(1, "dv after the replay")
    chat.wait(lambda: "dv after the replay" in chat.texts(), message=lambda: f"messages: {chat.texts()[-3:]}")
    # No reload, no login form, no notice kept for the next one.
    wait_for(lambda: chat.js("return window.stillHere === true") and chat.find("#chat").is_displayed(), timeout=3,
             message="the replayed deactivation ended the session")
    assert chat.js("return sessionStorage.getItem('parley.notice')") is None
    assert dora.call("GET", "/api/session").status_code == 401  # (the API account's own session ended with the first deactivation)
