"""User groups in the browser: made in the settings, members added by their maker and joining by
themselves, followed live by others, offered after "@" in the message box, mentioning each member
in the room, and deleted by their maker only."""
from selenium.webdriver.common.by import By

from parley_browser import Chat

LISTED = """return [...document.querySelectorAll('#ugroup-list li[data-group]')].map(li => [li.dataset.group,
    li.querySelector('.entry-details').textContent, [...li.querySelectorAll('button')].map(b => b.textContent)])"""
MEMBERS = "return [...document.querySelectorAll('#ugroup-member-list li[data-username]')].map(li => li.dataset.username)"
OPTIONS = "return [...document.querySelectorAll('#mention-list [role=option]')].map(o => [o.querySelector('.muted').textContent, o.querySelector('.name').textContent])"
SELF_PILL = """return [...[...document.querySelectorAll('#messages li.message:not(.pending)')]
    .find(li => li.querySelector('.text')?.textContent === arguments[0]).querySelectorAll('.mention.self')].map(n => n.textContent)"""
MENTIONS_ME = """return [...document.querySelectorAll('#messages li.message:not(.pending)')]
    .find(li => li.querySelector('.text')?.textContent === arguments[0])?.classList.contains('mentions-me') ?? null"""


def open_settings(chat):
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))


def test_a_group_made_in_the_settings_is_joined_followed_live_mentioned_and_deleted(server, browsers, account):
    ada = account("ada_ug", display_name="Ada")
    bo = account("bo_ug", display_name="Bo")
    cy = account("cy_ug", display_name="Cy")
    di = account("di_ug", display_name="Di")
    room = ada.create_room("ug-room")["id"]
    for person in (bo, cy, di):
        person.join(room)
    cy_chat = Chat(browsers(), server).log_in("cy_ug")
    open_settings(cy_chat)
    ada_chat = Chat(browsers(), server).log_in("ada_ug")
    open_settings(ada_chat)
    group = None
    try:
        # A name a user has is refused with the server's reason; nothing is made.
        ada_chat.find("#ugroup-name").send_keys("bo_ug")
        ada_chat.find("#ugroup-make").click()
        ada_chat.wait(lambda: "has this name" in ada_chat.text_of("ugroup-error"), message="no error")
        assert not any(g["name"] == "bo_ug" for g in ada.call("GET", "/api/user-groups", expect=200).json()["groups"])

        # Ada makes the group: the panel of its members opens, with her in it, and she adds Bo.
        ada_chat.find("#ugroup-name").clear()
        ada_chat.find("#ugroup-name").send_keys("web_ug")
        ada_chat.find("#ugroup-description").send_keys("Web people")
        ada_chat.find("#ugroup-make").click()
        ada_chat.wait(lambda: ada_chat.js(MEMBERS) == ["ada_ug"], message=f"members: {ada_chat.js(MEMBERS)}")
        group = next(g["id"] for g in ada.call("GET", "/api/user-groups", expect=200).json()["groups"] if g["name"] == "web_ug")
        assert ada_chat.text_of("ugroup-panel-heading") == "Members of @web_ug"
        ada_chat.find("#ugroup-add-input").send_keys("bo_u")
        ada_chat.wait(lambda: ada_chat.js("return document.querySelector('#ugroup-add-results [data-username=\"bo_ug\"]') !== null"))
        ada_chat.find('#ugroup-add-results [data-username="bo_ug"]').click()
        ada_chat.wait(lambda: ada_chat.js(MEMBERS) == ["ada_ug", "bo_ug"], message=f"members: {ada_chat.js(MEMBERS)}")
        ada_chat.wait(lambda: ["web_ug", "Web people · 2 members", ["Leave", "Members", "Delete"]] in ada_chat.js(LISTED),
                      message=f"listed: {ada_chat.js(LISTED)}")

        # Cy, with the settings open all along, sees it appear and grow; he may join, not delete.
        cy_chat.wait(lambda: ["web_ug", "Web people · 2 members", ["Join", "Members"]] in cy_chat.js(LISTED),
                     message=f"cy's list: {cy_chat.js(LISTED)}")
        cy_chat.find('#ugroup-list li[data-group="web_ug"] button[aria-label="Join @web_ug"]').click()
        cy_chat.wait(lambda: ["web_ug", "Web people · 3 members", ["Leave", "Members"]] in cy_chat.js(LISTED),
                     message=f"cy's list: {cy_chat.js(LISTED)}")
        # Ada's open panel follows: Cy is in it, with Remove for her.
        ada_chat.wait(lambda: ada_chat.js(MEMBERS) == ["ada_ug", "bo_ug", "cy_ug"], message=f"members: {ada_chat.js(MEMBERS)}")
        # Cy sees the members but cannot add anyone.
        cy_chat.find('#ugroup-list li[data-group="web_ug"] button[aria-label="Members of @web_ug"]').click()
        cy_chat.wait(lambda: cy_chat.js(MEMBERS) == ["ada_ug", "bo_ug", "cy_ug"])
        assert cy_chat.js("return document.getElementById('ugroup-add').hidden") is True
        cy_chat.find("#profile-dialog [data-close]").click()

        # Bo types "@web" in the room: the group is offered with its size; Enter puts it in.
        bo_chat = Chat(browsers(), server).log_in("bo_ug")
        bo_chat.open_room("ug-room")
        bo_chat.type("@web")
        bo_chat.wait(lambda: bo_chat.js(OPTIONS) == [["@web_ug", "Web people · 3 members"]], message=f"options: {bo_chat.js(OPTIONS)}")
        # A group shows as a group (the people icon), not with a person's initials.
        assert bo_chat.js("return document.querySelector('#mention-list [role=option] .group-avatar svg') !== null") is True
        bo_chat.type("\ue007")  # Enter
        assert bo_chat.find("#composer-text").get_attribute("value") == "@web_ug "
        bo_chat.type("review please\ue007")
        text = "@web_ug review please"
        bo_chat.wait(lambda: any(m["text"] == text for m in ada.history(room, limit=5)), message="not sent")
        sent = next(m for m in ada.history(room, limit=5) if m["text"] == text)
        assert sorted(sent["mentions"]) == sorted([ada.id, cy.id])
        # Each member in the room sees it as mentioning them; Bo, who wrote it, does not.
        cy_chat.open_room("ug-room")
        cy_chat.wait(lambda: cy_chat.js(MENTIONS_ME, text) is True, message="cy not mentioned")
        assert bo_chat.js(MENTIONS_ME, text) is False
        # The group's name shows as a mention of each member (Bo's too), not of others.
        assert cy_chat.js(SELF_PILL, text) == ["@web_ug"] and bo_chat.js(SELF_PILL, text) == ["@web_ug"]
        outsider_chat = Chat(browsers(), server).log_in("di_ug")
        outsider_chat.open_room("ug-room")
        outsider_chat.wait(lambda: outsider_chat.message_id(text) is not None)
        assert outsider_chat.js(SELF_PILL, text) == []
        # Bo's profile names his group.
        outsider_chat.message(text).find_element(By.CSS_SELECTOR, ".author").click()
        outsider_chat.wait(lambda: outsider_chat.dialog_open("user-dialog"))
        outsider_chat.wait(lambda: outsider_chat.text_of("user-dialog-groups") == "In the user group @web_ug",
                           message=f"groups: {outsider_chat.text_of('user-dialog-groups')!r}")
        outsider_chat.find("#user-dialog [data-close]").click()

        # Only Ada (its maker) deletes it; it goes from Cy's list at once.
        open_settings(cy_chat)
        cy_chat.wait(lambda: any(g[0] == "web_ug" for g in cy_chat.js(LISTED)))
        ada_chat.find('#ugroup-list li[data-group="web_ug"] button[aria-label="Delete @web_ug"]').click()
        ada_chat.confirm()
        ada_chat.wait(lambda: not any(g[0] == "web_ug" for g in ada_chat.js(LISTED)))
        assert ada_chat.js("return document.getElementById('ugroup-panel').hidden") is True
        cy_chat.wait(lambda: not any(g[0] == "web_ug" for g in cy_chat.js(LISTED)), message=f"cy's list: {cy_chat.js(LISTED)}")
        group = None
    finally:
        if group is not None:
            ada.call("DELETE", f"/api/user-groups/{group}")
