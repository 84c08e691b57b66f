"""Incoming webhooks in the browser: owners and admins make them from the member panel (the URL
shows once), their posts show under the webhook's name with a badge, and deleting one stops it."""
import re

import requests

from parley_browser import Chat

CURL = "curl -X POST -H 'Content-Type: application/json' -d '{\"text\":\"Hello\"}' "

# Each webhook in the dialog's list as [name, details, warning or null], read in one script (the list is re-rendered).
WEBHOOKS = """return [...document.querySelectorAll('#webhook-list li.entry')].map(li => [
    li.querySelector('.name').textContent, li.querySelector('.muted').textContent,
    li.querySelector('.webhook-inactive')?.textContent ?? null])"""

# How a message shows: its author, badge, the author's tooltip, whether its avatar is a webhook's,
# whether it is grouped under the one before, and its actions.
MESSAGE = """const li = [...document.querySelectorAll('#messages li.message:not(.pending)')]
    .find(li => li.querySelector('.text')?.textContent === arguments[0]);
    if (!li) return null;
    return {
      author: li.querySelector('.meta .author').textContent,
      badge: li.querySelector('.meta .webhook-badge')?.textContent ?? null,
      title: li.querySelector('.meta .author').getAttribute('title'),
      webhookAvatar: li.querySelector(':scope > .avatar').classList.contains('webhook-avatar'),
      continued: li.classList.contains('continued'),
      actions: [...li.querySelectorAll('.actions [data-action]')].map(b => b.dataset.action),
    }"""


def open_webhooks(chat):
    if chat.find("#members-panel").get_attribute("hidden") is not None:
        chat.find("#members-toggle").click()
    chat.wait(lambda: chat.find("#webhooks-open").is_displayed(), message="no Webhooks button")
    chat.find("#webhooks-open").click()
    chat.wait(lambda: chat.dialog_open("webhooks-dialog"))
    chat.wait(lambda: chat.text_of("webhook-list") != "Loading…", message="the webhooks did not load")


def test_an_owner_makes_a_webhook_whose_posts_show_live_under_its_name_until_she_deletes_it(server, browsers, account):
    owner = account("olga_hooks", display_name="Olga")
    member = account("max_hooks", display_name="Max")
    room = owner.create_room("deploys")["id"]
    member.join(room)
    olga = Chat(browsers(), server).log_in("olga_hooks")
    olga.open_room("deploys")
    max_ = Chat(browsers(), server).log_in("max_hooks")
    max_.open_room("deploys")

    # A plain member has no way to webhooks.
    max_.find("#members-toggle").click()
    max_.wait(lambda: "olga_hooks" in max_.text_of("members"))
    assert not max_.find("#webhooks-open").is_displayed()

    # Olga makes one: its URL and a curl example show once, and Copy copies the URL.
    open_webhooks(olga)
    assert olga.text_of("webhook-list") == "No webhooks yet."
    olga.find("#webhook-name").send_keys("Build bot")
    olga.find("#webhook-create").click()
    olga.wait(lambda: olga.find("#webhook-new").is_displayed(), message="the new URL did not show")
    url = olga.find("#webhook-url").get_attribute("value")
    assert re.fullmatch(re.escape(server.url) + r"/api/hooks/[0-9a-f]{32}", url), url
    assert olga.text_of("webhook-curl") == CURL + url
    olga.js("window.copied = null; navigator.clipboard.writeText = (text) => { window.copied = text; return Promise.resolve(); }")
    olga.find("#webhook-copy").click()
    olga.wait(lambda: olga.js("return window.copied") == url)
    olga.wait(lambda: len(olga.js(WEBHOOKS)) == 1)
    [[name, details, warning]] = olga.js(WEBHOOKS)
    token = url.rsplit("/", 1)[1]
    assert name == "Build bot" and warning is None
    assert details.startswith(f"{token[:4]}… · by Olga · made Today ") and details.endswith(" · never used"), details

    # A script posts with it, no session: Max sees it live under the webhook's name, with the badge.
    posted = requests.post(url, json={"text": "build 42 passed"})
    assert posted.status_code == 201, posted.text
    assert posted.json()["message"]["webhook"]["name"] == "Build bot"
    max_.wait(lambda: max_.js(MESSAGE, "build 42 passed") is not None, message="the webhook's message did not arrive")
    shown = max_.js(MESSAGE, "build 42 passed")
    assert shown["author"] == "Build bot" and shown["badge"] == "webhook" and shown["webhookAvatar"]
    assert shown["title"] == "Posted by a webhook made by Olga"
    # Olga, who made it, may delete it but not edit it; her own message after it is not grouped under it.
    olga.find("#webhooks-dialog [data-close]").click()
    olga.send("thanks, bot")
    olga.wait(lambda: olga.js(MESSAGE, "thanks, bot") is not None)
    mine = olga.js(MESSAGE, "build 42 passed")
    assert mine["author"] == "Build bot" and "delete" in mine["actions"] and "edit" not in mine["actions"], mine
    after = olga.js(MESSAGE, "thanks, bot")
    assert after["author"] == "Olga" and after["badge"] is None and not after["continued"] and "edit" in after["actions"], after

    # Reopened, the list says when it was last used, and the URL is not shown again.
    open_webhooks(olga)
    assert not olga.find("#webhook-new").is_displayed() and olga.find("#webhook-url").get_attribute("value") == ""
    olga.wait(lambda: " · last used Today " in olga.js(WEBHOOKS)[0][1], message=f"{olga.js(WEBHOOKS)}")

    # Deleted (after the confirmation), it leaves the list and its URL posts no more.
    olga.find("#webhook-list li.entry button").click()
    olga.wait(lambda: olga.dialog_open("confirm-dialog"))
    assert olga.text_of("confirm-title") == "Delete the webhook “Build bot”?"
    olga.confirm()
    olga.wait(lambda: olga.text_of("webhook-list") == "No webhooks yet.", message="the deleted webhook stayed in the list")
    gone = requests.post(url, json={"text": "still here?"})
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "webhook_not_found", gone.text

    # The room's moderation log tells both.
    olga.find("#webhooks-dialog [data-close]").click()
    olga.find("#moderation-open").click()
    olga.wait(lambda: olga.dialog_open("moderation-dialog"))
    olga.find("#room-log-section summary").click()
    log = lambda: olga.js("return [...document.querySelectorAll('#room-log li .name')].map(n => n.textContent)")
    olga.wait(lambda: len(log()) == 2, message=f"{log()}")
    assert log() == ["Olga deleted the webhook “Build bot”", "Olga made the webhook “Build bot”"]


def test_a_group_admin_makes_webhooks_and_one_whose_maker_lost_the_role_shows_it_no_longer_posts(server, browsers, account):
    owner = account("gwen_hooks", display_name="Gwen")
    admin = account("ada_hooks", display_name="Ada")
    group = owner.create_room("ops-hooks", kind="group", members=[admin.id])["id"]
    owner.call("PUT", f"/api/rooms/{group}/members/{admin.id}/role", expect=200, json={"role": "admin"})
    made = admin.call("POST", f"/api/rooms/{group}/webhooks", expect=201, json={"name": "Pager"}).json()["webhook"]
    # Ada is a moderator now: her webhook stops posting, and she no longer reaches webhooks.
    owner.call("PUT", f"/api/rooms/{group}/members/{admin.id}/role", expect=200, json={"role": "moderator"})
    refused = requests.post(server.url + made["url"], json={"text": "page!"})
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "webhook_not_found", refused.text

    ada = Chat(browsers(), server).log_in("ada_hooks")
    ada.open_room("ops-hooks", "group-list")
    ada.find("#members-toggle").click()
    ada.wait(lambda: ada.find("#moderation-open").is_displayed(), message="a moderator lost the moderation tools")
    assert not ada.find("#webhooks-open").is_displayed()

    gwen = Chat(browsers(), server).log_in("gwen_hooks")
    gwen.open_room("ops-hooks", "group-list")
    open_webhooks(gwen)
    [[name, details, warning]] = gwen.js(WEBHOOKS)
    assert name == "Pager" and " · by Ada · " in details and details.endswith(" · never used"), details
    assert warning == "Not posting: its maker is no longer an admin."


def test_a_webhooks_posts_are_unread_news_to_its_maker(server, browsers, account):
    """Its maker's badge counts a webhook's posts, and one naming them is a mention, as the server
    counts them (they are not the maker's own words)."""
    owner = account("mona_hooks", display_name="Mona")
    room = owner.create_room("alerts-hooks")["id"]
    owner.create_room("quiet-hooks")
    made = owner.call("POST", f"/api/rooms/{room}/webhooks", expect=201, json={"name": "CI"}).json()["webhook"]
    mona = Chat(browsers(), server).log_in("mona_hooks")
    mona.open_room("quiet-hooks")
    assert requests.post(server.url + made["url"], json={"text": "build 41 passed"}).status_code == 201
    mona.wait(lambda: mona.badge("alerts-hooks") == ["1", False], message=lambda: f"badge {mona.badge('alerts-hooks')}")
    assert requests.post(server.url + made["url"], json={"text": "@mona_hooks build 42 failed"}).status_code == 201
    mona.wait(lambda: mona.badge("alerts-hooks") == ["2", True], message=lambda: f"badge {mona.badge('alerts-hooks')}")
    # Her own words in the room do not count.
    owner.post(room, "looking into it")
    mona.driver.refresh()
    mona.wait_ready()
    mona.wait(lambda: mona.badge("alerts-hooks") == ["2", True], message=lambda: f"badge {mona.badge('alerts-hooks')} after a reload")
