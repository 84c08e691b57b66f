"""Blocking in the browser: from someone's profile, their messages fold (and show on request), in
every tab of mine at once; they can no longer write to me; unblocking from settings unfolds them.
A DM with someone I blocked, or whose account is deactivated, is read-only, its message box saying why."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat, make_site_admin

FOLDED = "return [...document.querySelectorAll('#messages li.message.blocked')].map(li => li.dataset.sender)"


def test_blocking_someone_folds_their_messages_everywhere_and_unblocking_unfolds_them(server, browsers, account):
    ann = account("ann_blocks", display_name="Ann")
    bob = account("bob_blocked", display_name="Bob Pest")
    room = ann.create_room("shared-hall")["id"]
    bob.join(room)
    dm = bob.call("POST", "/api/dms", expect=201, json={"user_id": ann.id}).json()["room"]["id"]
    bob.post(room, "first from bob")
    chat = Chat(browsers(), server).log_in("ann_blocks")
    other_tab = Chat(browsers(), server).log_in("ann_blocks")
    for c in (chat, other_tab):
        c.open_room("shared-hall")
        c.wait(lambda c=c: "first from bob" in c.texts())

    # Block from Bob's profile (his name on the message), after a confirmation.
    chat.message("first from bob").find_element(By.CSS_SELECTOR, ".author").click()
    chat.wait(lambda: chat.dialog_open("user-dialog") and chat.find("#user-dialog-block").text == "Block")
    chat.find("#user-dialog-block").click()
    chat.confirm()
    chat.wait(lambda: chat.find("#user-dialog-block").text == "Unblock")
    assert not chat.find("#user-dialog-message").is_displayed()
    chat.find("#user-dialog [data-close]").click()
    assert [b["user"]["id"] for b in ann.call("GET", "/api/me/blocks", expect=200).json()["blocks"]] == [bob.id]

    # His message folds here and in my other tab, and so does a new one.
    for c in (chat, other_tab):
        c.wait(lambda c=c: c.js(FOLDED) == [str(bob.id)], message="bob's message did not fold")
        assert "first from bob" not in c.text_of("messages")
    bob.post(room, "second from bob")
    chat.wait(lambda: chat.js(FOLDED) == [str(bob.id)] * 2)
    assert "A message from someone you blocked" in chat.text_of("messages")
    # "Show" unfolds one.
    chat.find("#messages li.message.blocked button").click()
    chat.wait(lambda: "first from bob" in chat.text_of("messages") and len(chat.js(FOLDED)) == 1)

    # He cannot write to me in our DM any more.
    refused = bob.call("POST", f"/api/rooms/{dm}/messages", json={"text": "let me in"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "blocked"

    # Unblocking from settings unfolds his messages.
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.wait(lambda: "Bob Pest" in chat.text_of("block-list"))
    chat.find(f'#block-list li[data-user-id="{bob.id}"] button').click()
    chat.wait(lambda: chat.text_of("block-list") == "Nobody.")
    chat.find("#profile-dialog [data-close]").click()
    for c in (chat, other_tab):
        c.wait(lambda c=c: c.js(FOLDED) == [] and "second from bob" in c.text_of("messages"), message="bob's messages stayed folded")
    bob.call("POST", f"/api/rooms/{dm}/messages", expect=201, json={"text": "thanks"})


def test_a_dm_with_a_deactivated_person_is_read_only_until_they_are_back(server, browsers, account):
    ann = account("ann_stays", display_name="Ann Stays")
    bob = account("bob_leaves", display_name="Bob Leaves")
    dm = bob.call("POST", "/api/dms", expect=201, json={"user_id": ann.id}).json()["room"]["id"]
    bob.post(dm, "see you around")
    chat = Chat(browsers(), server).log_in("ann_stays")
    chat.open_room("Bob Leaves", "dm-list")
    chat.wait(lambda: "see you around" in chat.texts())
    box = chat.find("#composer-text")
    assert box.is_enabled()

    # Bob deactivates his account while the DM is open here: his `user.updated` turns the box
    # read-only at once, saying why (nothing typed first); his messages stay.
    chat.type("are you still there?")
    bob.call("POST", "/api/me/deactivate", expect=204, json={"password": bob.password})
    chat.wait(lambda: not box.is_enabled(), message="the composer stayed open")
    assert "account is deactivated" in box.get_attribute("placeholder")
    assert not chat.find("#send").is_enabled() and not chat.find("#attach").is_enabled()
    assert "see you around" in chat.texts()
    members = ann.call("GET", f"/api/rooms/{dm}/members", expect=200).json()["members"]
    assert {m["user"]["username"]: m["deactivated"] for m in members} == {"ann_stays": False, "bob_leaves": True}
    # The member panel marks him.
    chat.find("#members-toggle").click()
    chat.wait(lambda: "deactivated" in chat.find(f'#members-panel li.member[data-user-id="{bob.id}"]').get_attribute("textContent"))

    # Opening the DM afresh (another room, then back) shows it read-only straight away.
    chat.open_room("main")
    chat.wait(lambda: box.is_enabled())
    chat.open_room("Bob Leaves", "dm-list")
    chat.wait(lambda: not box.is_enabled() and "account is deactivated" in box.get_attribute("placeholder"))

    # A site admin reactivates him: the DM opens for writing again.
    account("dm_reactivator", display_name="Boss")
    make_site_admin(server, "dm_reactivator")
    boss = account("dm_reactivator")  # logged in afresh, as a site admin
    boss.call("POST", f"/api/admin/users/{bob.id}/reactivate", expect=204)
    chat.wait(lambda: box.is_enabled(), message="the composer stayed read-only after reactivation")
    chat.wait(lambda: "deactivated" not in chat.find(f'#members-panel li.member[data-user-id="{bob.id}"]').get_attribute("textContent"))
    # The reply typed when he left waited in the box as a draft.
    assert box.get_attribute("value") == "are you still there?"
    chat.type(Keys.ENTER)
    chat.wait(lambda: any(m["text"] == "are you still there?" for m in ann.history(dm)))


def test_a_dm_with_someone_i_blocked_is_read_only_in_every_tab_until_i_unblock(server, browsers, account):
    ann = account("ann_blocker", display_name="Ann Blocker")
    bob = account("bob_pest2", display_name="Bob Two")
    dm = bob.call("POST", "/api/dms", expect=201, json={"user_id": ann.id}).json()["room"]["id"]
    bob.post(dm, "hello?")
    chat = Chat(browsers(), server).log_in("ann_blocker")
    chat.open_room("Bob Two", "dm-list")
    box = chat.find("#composer-text")
    chat.wait(lambda: "hello?" in chat.texts() and box.is_enabled())

    # Blocked (here through the API, as from another device): the box says why and takes nothing.
    ann.call("PUT", f"/api/me/blocks/{bob.id}", expect=204)
    chat.wait(lambda: not box.is_enabled(), message="the composer stayed open")
    assert "You blocked Bob Two" in box.get_attribute("placeholder")
    assert not chat.find("#send").is_enabled()
    assert ann.call("POST", f"/api/rooms/{dm}/messages", json={"text": "x"}).json()["error"]["code"] == "blocked"

    ann.call("DELETE", f"/api/me/blocks/{bob.id}", expect=204)
    chat.wait(lambda: box.is_enabled(), message="the composer stayed read-only after unblocking")
    chat.send("sorry, my mistake")
    chat.wait(lambda: any(m["text"] == "sorry, my mistake" for m in ann.history(dm)))


def test_messages_of_someone_i_blocked_light_up_no_room(server, browsers, account):
    """The server counts neither their messages nor their mentions as unread; nor does the live
    count (a room lit up with a badge for messages that then showed folded)."""
    ann = account("ann_quiet", display_name="Ann")
    bob = account("bob_loud", display_name="Bob")
    cyd = account("cyd_kind", display_name="Cyd")
    hall = cyd.create_room("quiet-hall")["id"]
    for person in (ann, bob):
        person.join(hall)
    ann.create_room("ann-desk")
    ann.call("PUT", f"/api/me/blocks/{bob.id}", expect=204)
    chat = Chat(browsers(), server).log_in("ann_quiet")
    chat.open_room("ann-desk")
    bob.post(hall, "@ann_quiet look at me")
    bob.post(hall, "and again")
    cyd.post(hall, "a word from cyd")
    chat.wait(lambda: chat.badge("quiet-hall") == ["1", False], message="the badge counted bob's messages")
    # A reload counts as the server does: the same.
    chat.driver.refresh()
    chat.wait(lambda: chat.badge("quiet-hall") == ["1", False], message="the server counted bob's messages")
