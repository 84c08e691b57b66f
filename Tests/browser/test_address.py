"""The address bar follows what is open: a thread stays open over a reload (and Back reopens it), and
"Jump to latest" leaves a message's link, so a reload opens the room at its newest messages."""
from parley_browser import Chat


def thread_texts(chat):
    return chat.js("return [...document.querySelectorAll('#thread-replies li.thread-message:not(.pending) .text')].map(n => n.textContent)")


def address(chat):
    return chat.js("return location.hash")


def test_an_open_thread_is_in_the_address_and_survives_a_reload(server, browsers, account):
    una = account("addr_una", display_name="Una")
    vic = account("addr_vic", display_name="Vic")
    room = una.create_room("addr-thread-room")["id"]
    vic.join(room)
    root = una.post(room, "Where do we meet?")
    answer = vic.post(room, "At the station", reply_to=root["id"])
    una.post(room, "something else")
    chat = Chat(browsers(), server).log_in("addr_vic")
    chat.open_room("addr-thread-room")
    chat.wait(lambda: "Where do we meet?" in chat.texts())
    chat.message("Where do we meet?").find_element("css selector", ".thread-link").click()
    chat.wait(lambda: thread_texts(chat) == ["At the station"])
    chat.wait(lambda: address(chat) == f"#room/{room}/thread/{root['id']}", message=lambda: f"address {address(chat)}")

    # A reload opens the room and the same thread beside it.
    chat.driver.refresh()
    chat.wait_ready()
    chat.wait(lambda: chat.find("#thread-panel").is_displayed(), message="the thread did not open again after a reload")
    chat.wait(lambda: thread_texts(chat) == ["At the station"])
    assert chat.js("return document.querySelector('#thread-root .text').textContent") == "Where do we meet?"
    assert chat.room_title() == "addr-thread-room"

    # Closing it leaves the room alone in the address; a reload then opens no thread.
    chat.find("#thread-close").click()
    chat.wait(lambda: not chat.find("#thread-panel").is_displayed())
    chat.wait(lambda: address(chat) == f"#room/{room}", message=lambda: f"address {address(chat)}")
    chat.driver.refresh()
    chat.wait_ready()
    chat.wait(lambda: "something else" in chat.texts())
    assert not chat.find("#thread-panel").is_displayed()

    # Back from another room reopens the room with the thread that was open when it was left.
    chat.message("Where do we meet?").find_element("css selector", ".thread-link").click()
    chat.wait(lambda: address(chat) == f"#room/{room}/thread/{root['id']}")
    chat.open_room("main")
    chat.wait(lambda: not chat.find("#thread-panel").is_displayed())
    chat.driver.back()
    chat.wait(lambda: chat.room_title() == "addr-thread-room")
    chat.wait(lambda: chat.find("#thread-panel").is_displayed() and thread_texts(chat) == ["At the station"],
              message="Back did not reopen the thread")

    # A thread whose first message was deleted meanwhile, with its replies, is not opened; the
    # address drops it. (One with replies left opens, as its tombstone's link does: test_threads.py.)
    vic.call("DELETE", f"/api/messages/{answer['id']}", expect=204)
    una.call("DELETE", f"/api/messages/{root['id']}", expect=204)
    chat.open_room("main")
    chat.driver.get(f"{server.url}/#room/{room}/thread/{root['id']}")
    chat.driver.refresh()
    chat.wait_ready()
    chat.wait(lambda: address(chat) == f"#room/{room}", message=lambda: f"address {address(chat)}")
    assert not chat.find("#thread-panel").is_displayed()


def test_jumping_to_the_latest_leaves_the_message_link(server, browsers, account):
    wes = account("addr_wes", display_name="Wes")
    room = wes.create_room("addr-link-room")["id"]
    needle = wes.post(room, "the old one")
    for n in range(150):
        wes.post(room, f"filler {n:03d}")
    chat = Chat(browsers(), server).log_in("addr_wes")
    chat.open_room("addr-link-room")
    chat.wait(lambda: chat.texts()[-1:] == ["filler 149"])
    chat.js("location.hash = arguments[0]", f"#room/{room}/message/{needle['id']}")
    chat.wait(lambda: chat.js("return document.activeElement?.dataset?.id") == str(needle["id"]),
              message="the linked message did not get the focus")
    chat.wait(lambda: chat.js("return document.getElementById('jump-latest').hidden") is False)
    chat.find("#jump-latest").click()
    chat.wait(lambda: chat.texts()[-1:] == ["filler 149"])
    chat.wait(lambda: address(chat) == f"#room/{room}", message=lambda: f"address {address(chat)}")
    # A reload opens at the newest messages, not at the old link's.
    chat.driver.refresh()
    chat.wait_ready()
    chat.wait(lambda: chat.texts()[-1:] == ["filler 149"])
    assert "the old one" not in chat.texts()
