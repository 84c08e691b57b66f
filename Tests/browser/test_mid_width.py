"""Between a phone and a wide desktop (761 to about 1100 px), a thread or the members open over the
room instead of squeezing it to nothing; a banned user's preview of a room offers no Join; and the
members panel shows who is muted (and until when), offering Unmute in place of Mute, live."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

# What the room and the open panel look like: the message box's width as laid out and the part of it
# the panel leaves uncovered, the room's name, whether the panel's heading is what a click on it
# reaches (at its left, middle and right), and whether the message list scrolls sideways.
MEASURE = """
const panel = [...document.querySelectorAll('.members-panel')].find(p => !p.hidden) ?? null;
const box = document.getElementById('composer-text').getBoundingClientRect();
const title = document.getElementById('room-title'), titleBox = title.getBoundingClientRect();
const list = document.getElementById('messages');
const room = document.getElementById('room').getBoundingClientRect();
const reached = (node) => {
  const b = node.getBoundingClientRect(), y = b.top + b.height / 2;
  return [b.left + 4, b.left + b.width / 2, b.right - 4].every(x => node.contains(document.elementFromPoint(x, y)));
};
const panelLeft = panel ? panel.getBoundingClientRect().left : Infinity;
return {
  box: box.width, boxUncovered: Math.max(0, Math.min(box.right, panelLeft) - box.left),
  overlays: panelLeft < room.right - 1,
  title: title.clientWidth, titleReached: title.clientWidth > 0 && title.contains(document.elementFromPoint(titleBox.left + 4, titleBox.top + titleBox.height / 2)),
  heading: panel ? reached(panel.querySelector('.panel-head h2')) : null,
  sideways: list.scrollWidth - list.clientWidth,
};
"""

MEMBER = """const li = document.querySelector('#members li[data-user-id="' + arguments[0] + '"]');
return li ? {muted: li.querySelector('.member-muted')?.textContent ?? null, title: li.querySelector('.member-muted')?.title ?? null,
  buttons: [...li.querySelectorAll('.member-actions button')].map(b => b.textContent)} : null"""
MEMBER_BUTTON = """return [...document.querySelectorAll('#members li[data-user-id="' + arguments[0] + '"] .member-actions button')]
    .find(b => b.textContent === arguments[1]) ?? null"""


def open_panel(chat, panel):
    if panel == "members":
        chat.find("#members-toggle").click()
        chat.wait(lambda: chat.find("#members-panel").is_displayed())
    else:
        chat.open_thread("start a thread here")


@pytest.mark.parametrize("width", [800, 900, 1024])
@pytest.mark.parametrize("panel", ["members", "thread"])
def test_between_phone_and_desktop_an_open_panel_leaves_the_room_usable(server, browsers, account, panel, width):
    name = f"mid-{panel}-{width}"
    host = account(f"mid_{panel}_{width}", display_name="Mia Middle")
    room = host.create_room(name, topic="Builds, deploys and the release train")["id"]
    root = host.post(room, "start a thread here")
    host.post(room, "a reply", reply_to=root["id"])
    host.post(room, "a-very-long-word-" * 12)
    chat = Chat(browsers(width=width, height=800), server).log_in(f"mid_{panel}_{width}")
    chat.open_room(name)
    open_panel(chat, panel)
    shown = chat.js(MEASURE)
    chat.driver.save_screenshot(f"/tmp/parley-mid-{panel}-{width}.png")
    # The panel's heading is the panel's: no header button of the room lies over it.
    assert shown["heading"], shown
    # The room's name shows, and the message list never scrolls sideways.
    assert shown["title"] >= 100 and shown["titleReached"], shown
    assert shown["sideways"] == 0, shown
    # The message box keeps room beside the panel, or the panel lies over the room (as on a phone)
    # and closing it gives the whole room back.
    assert shown["boxUncovered"] >= 200 or (shown["overlays"] and shown["box"] >= 200), shown
    chat.find("#members-close" if panel == "members" else "#thread-close").click()
    chat.wait(lambda: chat.js("return [...document.querySelectorAll('.members-panel')].every(p => p.hidden)"))
    closed = chat.js(MEASURE)
    assert closed["box"] >= 200 and closed["boxUncovered"] == closed["box"] and closed["title"] >= 100 and closed["sideways"] == 0, closed
    chat.type("still visible")
    assert chat.js("const box = document.getElementById('composer-text'), b = box.getBoundingClientRect();"
                   "return box.contains(document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2))")


def test_a_banned_users_preview_of_a_room_offers_no_join(server, browsers, account):
    owner = account("mid_warden", display_name="Warden")
    banned = account("mid_outlaw", display_name="Outlaw")
    room = owner.create_room("mid-guarded")["id"]
    owner.post(room, "members only now")
    banned.join(room)
    owner.call("POST", f"/api/rooms/{room}/bans", expect=201, json={"user_id": banned.id})
    chat = Chat(browsers(), server).log_in("mid_outlaw")
    chat.driver.get(f"{server.url}/#room/{room}")
    chat.wait(lambda: chat.dialog_open("browse-dialog") and chat.find("#browse-preview").is_displayed(), message="no preview")
    chat.wait(lambda: "You are banned from this room." in chat.text_of("browse-preview-list"), message="the ban is not said")
    joins = chat.driver.find_elements(By.CSS_SELECTOR, "#browse-preview-join")
    assert not any(join.is_displayed() and join.is_enabled() for join in joins), "Join is offered to a banned user"
    # The way back to the directory is there, and has the focus.
    assert chat.js("return document.activeElement.id") == "browse-back"


def test_the_members_panel_shows_who_is_muted_and_offers_unmute(server, browsers, account):
    owner = account("mid_judge", display_name="Judge")
    carol = account("mid_carol", display_name="Carol")
    dave = account("mid_dave", display_name="Dave")
    erin = account("mid_erin", display_name="Erin")
    room = owner.create_room("mid-hall")["id"]
    for person in (carol, dave, erin):
        person.join(room)
    # Erin was muted (with no end) before the page loaded.
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": erin.id})
    chat = Chat(browsers(), server).log_in("mid_judge")
    chat.open_room("mid-hall")
    chat.find("#members-toggle").click()
    member = lambda user: chat.js(MEMBER, str(user.id))
    chat.wait(lambda: (member(erin) or {}).get("muted") == "Muted", message=lambda: f"erin: {member(erin)}")
    assert "Unmute" in member(erin)["buttons"] and "Mute" not in member(erin)["buttons"], member(erin)
    assert member(carol)["muted"] is None and "Mute" in member(carol)["buttons"], member(carol)

    # Muted from the list: the mark says until when, Unmute takes Mute's place (and the focus).
    chat.wait(lambda: chat.js(MEMBER_BUTTON, str(carol.id), "Mute"))
    chat.js(MEMBER_BUTTON, str(carol.id), "Mute").send_keys(Keys.ENTER)
    # It asks for how long (10 minutes unless changed) and why.
    chat.wait(lambda: chat.dialog_open("confirm-dialog"))
    assert chat.find("#confirm-choice").get_attribute("value") == "600"
    chat.find("#confirm-ok").send_keys(Keys.ENTER)
    chat.wait(lambda: (member(carol)["muted"] or "").startswith("Muted until "), message=lambda: f"carol: {member(carol)}")
    assert "Unmute" in member(carol)["buttons"] and "Mute" not in member(carol)["buttons"], member(carol)
    assert member(carol)["title"].startswith("Muted until "), member(carol)
    chat.wait(lambda: chat.js("return [document.activeElement.textContent, document.activeElement.closest('li')?.dataset.userId]")
              == ["Unmute", str(carol.id)], message="the focus did not stay on Carol's mute button")

    # Muted and unmuted elsewhere: the list follows, live.
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": dave.id, "duration_seconds": 3600})
    chat.wait(lambda: (member(dave)["muted"] or "").startswith("Muted until "), message=lambda: f"dave: {member(dave)}")
    owner.call("DELETE", f"/api/rooms/{room}/mutes/{carol.id}", expect=204)
    chat.wait(lambda: member(carol)["muted"] is None and "Mute" in member(carol)["buttons"], message=lambda: f"carol: {member(carol)}")

    # Unmute from the list lifts the mute.
    chat.js(MEMBER_BUTTON, str(dave.id), "Unmute").click()
    chat.wait(lambda: member(dave)["muted"] is None and "Mute" in member(dave)["buttons"], message=lambda: f"dave: {member(dave)}")
    mutes = owner.call("GET", f"/api/rooms/{room}/mutes", expect=200).json()["mutes"]
    assert [mute["user"]["id"] for mute in mutes] == [erin.id]


def test_a_muted_member_sees_their_own_mute_in_the_members_panel(server, browsers, account):
    owner = account("mid_chair", display_name="Chair")
    fred = account("mid_fred", display_name="Fred")
    room = owner.create_room("mid-quiet")["id"]
    fred.join(room)
    chat = Chat(browsers(), server).log_in("mid_fred")
    chat.open_room("mid-quiet")
    chat.find("#members-toggle").click()
    member = lambda: chat.js(MEMBER, str(fred.id))
    chat.wait(lambda: member() is not None)
    assert member()["muted"] is None
    owner.call("POST", f"/api/rooms/{room}/mutes", expect=201, json={"user_id": fred.id, "duration_seconds": 600})
    chat.wait(lambda: (member()["muted"] or "").startswith("Muted until "), message=lambda: f"fred: {member()}")
    owner.call("DELETE", f"/api/rooms/{room}/mutes/{fred.id}", expect=204)
    chat.wait(lambda: member()["muted"] is None, message=lambda: f"fred: {member()}")
