"""User text is only ever text: markup in messages and names renders literally and runs nothing."""
from selenium.common.exceptions import NoAlertPresentException

from parley_browser import Chat


def test_markup_in_a_message_or_a_name_renders_as_text_and_runs_nothing(server, browsers, account):
    mallory = account("mallory", display_name="<b onmouseover=alert(3)>Mal</b>")
    account("victim")
    payloads = [
        "<img src=x onerror=alert(1)>",
        "<script>alert(2)</script>",
        '<img src=x onerror="window.__pwned = true">',
        "javascript:alert(4) and [link](javascript:alert(5))",
    ]
    for payload in payloads:
        mallory.post(1, payload)
    chat = Chat(browsers(), server).log_in("victim")
    chat.wait(lambda: all(p in chat.texts() for p in payloads))
    chat.driver.implicitly_wait(0)
    try:
        chat.driver.switch_to.alert
        raise AssertionError("an alert ran")
    except NoAlertPresentException:
        pass
    assert chat.js("return window.__pwned === undefined")
    assert chat.js("return document.querySelectorAll('#messages img, #messages script, #messages b').length") == 0
    # No link is made of a javascript: URL.
    assert chat.js("return [...document.querySelectorAll('#messages a')].filter(a => !a.href.startsWith('http')).length") == 0
    authors = chat.js("return [...document.querySelectorAll('#messages li.message .author')].map(n => n.textContent)")
    assert "<b onmouseover=alert(3)>Mal</b>" in authors


def test_the_session_cookie_is_out_of_reach_of_scripts(server, browsers, account):
    account("cookiemonster")
    chat = Chat(browsers(), server).log_in("cookiemonster")
    assert "parley_session" not in chat.js("return document.cookie")
    stored = chat.js("return JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})")
    assert "token" not in stored.lower()
    cookie = chat.driver.get_cookie("parley_session")
    assert cookie is not None and cookie["httpOnly"] is True
