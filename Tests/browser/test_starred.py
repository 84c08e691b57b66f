"""Starred rooms: starred from the room header, listed first in every tab of mine, kept on the server."""
from parley_browser import Chat


def test_a_starred_room_lists_first_everywhere_until_unstarred(server, browsers, account):
    sol = account("sol_star", display_name="Sol")
    sol.create_room("star-group", kind="group")
    chat = Chat(browsers(), server).log_in("sol_star")
    other_tab = Chat(browsers(), server).log_in("sol_star")
    for tab in (chat, other_tab):
        tab.wait(lambda: "star-group" in tab.sidebar_rooms("group-list"))
        assert not tab.find("#starred-section").is_displayed()

    chat.open_room("star-group")
    star = chat.find("#room-star")
    assert star.get_attribute("aria-pressed") == "false"
    star.click()
    chat.wait(lambda: chat.find("#room-star").get_attribute("aria-pressed") == "true")
    for tab in (chat, other_tab):
        tab.wait(lambda: tab.sidebar_rooms("starred-list") == ["star-group"], message="the starred room did not list first")
        assert tab.find("#starred-section").is_displayed()
        assert "star-group" not in tab.sidebar_rooms("group-list")
    mine = {r["name"]: r for r in sol.call("GET", "/api/rooms", expect=200).json()["mine"]}
    assert mine["star-group"]["starred"] is True and mine["main"]["starred"] is False

    # Kept across a reload; taking the star back returns it to its own list, in both tabs.
    chat.driver.refresh()
    chat.wait_ready()
    chat.wait(lambda: chat.sidebar_rooms("starred-list") == ["star-group"])
    chat.open_room("star-group")
    chat.find("#room-star").click()
    for tab in (chat, other_tab):
        tab.wait(lambda: not tab.find("#starred-section").is_displayed() and "star-group" in tab.sidebar_rooms("group-list"),
                 message="the unstarred room did not go back")
    assert {r["name"]: r["starred"] for r in sol.call("GET", "/api/rooms", expect=200).json()["mine"]}["star-group"] is False
