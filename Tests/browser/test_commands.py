"""Slash commands in the message box: "/" lists them; /me, /shrug, /topic, /invite, /join, /search and
/leave do what they say; an unknown one is refused with a note, and "//" sends a leading slash."""
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

SUGGESTED = "return [...document.querySelectorAll('#mention-list li.option .command-name')].map(n => n.textContent)"


def test_slash_commands_in_the_message_box(server, browsers, account):
    owner = account("cmd_owner", display_name="Olive Owner")
    account("cmd_friend", display_name="Fred")
    host = account("cmd_host")
    crew = owner.create_room("cmd-crew", kind="group")["id"]
    host.create_room("cmd-lobby")
    chat = Chat(browsers(), server).log_in("cmd_owner")
    chat.open_room("cmd-crew")

    # "/" at the start lists the commands, narrowed as the name is typed; Tab puts it in the box.
    chat.type("/")
    chat.wait(lambda: len(chat.js(SUGGESTED)) == 8, message=lambda: f"{chat.js(SUGGESTED)}")
    assert chat.js(SUGGESTED)[0] == "/me action"
    chat.type("sh")
    chat.wait(lambda: chat.js(SUGGESTED) == ["/shrug message"])
    # (Further on: /help opens the list of commands and shortcuts, a newcomer's first guess.)
    chat.type(Keys.TAB)
    assert chat.find("#composer-text").get_attribute("value") == "/shrug "
    chat.type("fine", Keys.ENTER)
    chat.wait(lambda: chat.texts()[-1:] == ["fine ¯\\_(ツ)_/¯"], message=lambda: f"{chat.texts()}")

    # /me is shown as an action, with the sender's name, to everyone (stored as typed).
    chat.send("/me waves at the crew")
    chat.wait(lambda: chat.texts()[-1:] == ["Olive Owner waves at the crew"], message=lambda: f"{chat.texts()}")
    assert chat.js("return document.querySelector('#messages li.message:last-of-type .text').classList.contains('action')")
    assert owner.history(crew)[0]["text"] == "/me waves at the crew"

    # /topic changes the header's topic; /invite adds someone to the group.
    chat.send("/topic Plans for spring: https://example.com/plan")
    chat.wait(lambda: chat.text_of("room-topic") == "Plans for spring: https://example.com/plan")
    # Its link opens, in a new tab.
    link = "return [...document.querySelectorAll('#room-topic a')].map(a => [a.textContent, a.href, a.target])"
    assert chat.js(link) == [["https://example.com/plan", "https://example.com/plan", "_blank"]]
    chat.send("/invite @cmd_friend")
    chat.wait(lambda: any(m["user"]["username"] == "cmd_friend" for m in owner.call("GET", f"/api/rooms/{crew}/members", expect=200).json()["members"]))

    # An unknown command is refused and stays in the box; "//" sends one slash.
    chat.send("/etc/hosts is wrong")
    chat.wait(lambda: "is not a command" in chat.text_of("composer-error"))
    assert chat.find("#composer-text").get_attribute("value") == "/etc/hosts is wrong"
    chat.find("#composer-text").clear()
    chat.send("//etc/hosts is wrong")
    chat.wait(lambda: chat.texts()[-1:] == ["/etc/hosts is wrong"], message=lambda: f"{chat.texts()}")

    # /search opens the search with the words; /join joins a public room by name and opens it.
    chat.send("/search spring")
    chat.wait(lambda: chat.dialog_open("search-dialog"))
    assert chat.find("#search-input").get_attribute("value") == "spring"
    chat.find("#search-dialog [data-close]").click()
    chat.wait(lambda: not chat.dialog_open("search-dialog"))
    # /help opens the commands and shortcuts, and the box is emptied.
    chat.send("/help")
    chat.wait(lambda: chat.dialog_open("shortcuts-dialog"))
    assert "/help" in chat.text_of("shortcuts-dialog")
    chat.find("#shortcuts-dialog [data-close]").click()
    chat.wait(lambda: not chat.dialog_open("shortcuts-dialog"))
    assert chat.find("#composer-text").get_attribute("value") == ""
    chat.send("/join #cmd-lobby")
    chat.wait(lambda: chat.room_title() == "cmd-lobby", message=lambda: f"{chat.room_title()} {chat.text_of('composer-error')}")
    assert "cmd-lobby" in chat.sidebar_rooms()

    # /leave asks, as the header's Leave does, then leaves.
    chat.send("/leave")
    chat.wait(lambda: chat.dialog_open("confirm-dialog"))
    chat.find("#confirm-ok").click()
    chat.wait(lambda: "cmd-lobby" not in chat.sidebar_rooms())


THREAD_SUGGESTED = "return [...document.querySelectorAll('#thread-mention-list li.option .command-name')].map(n => n.textContent)"


def test_slash_commands_in_a_threads_box(server, browsers, account):
    tina = account("cmd_tina", display_name="Tina")
    room = tina.create_room("cmd-threads")["id"]
    root = tina.post(room, "Release plan?")
    chat = Chat(browsers(), server).log_in("cmd_tina")
    chat.open_room("cmd-threads")
    chat.hover_action("Release plan?", "thread-reply")
    chat.wait(lambda: chat.find("#thread-panel").is_displayed())
    box = chat.find("#thread-text")
    replies = "return [...document.querySelectorAll('#thread-replies li.thread-message:not(.pending) .text')].map(n => n.textContent)"

    # "/" lists the commands here too; /shrug and /me are sent as replies.
    box.send_keys("/")
    chat.wait(lambda: len(chat.js(THREAD_SUGGESTED)) == 8, message=lambda: f"{chat.js(THREAD_SUGGESTED)}")
    box.send_keys("shrug ok", Keys.ENTER)
    chat.wait(lambda: chat.js(replies) == ["ok ¯\\_(ツ)_/¯"], message=lambda: f"{chat.js(replies)}")
    box.send_keys("/me nods", Keys.ENTER)
    chat.wait(lambda: chat.js(replies)[-1:] == ["Tina nods"], message=lambda: f"{chat.js(replies)}")
    thread = tina.call("GET", f"/api/messages/{root['id']}/replies", expect=200).json()["replies"]
    assert [r["text"] for r in thread] == ["ok ¯\\_(ツ)_/¯", "/me nods"]

    # An unknown command is refused with a note and stays in the box; /topic works from here too.
    box.send_keys("/bogus thing", Keys.ENTER)
    chat.wait(lambda: any("is not a command" in a for a in chat.js("return [...document.querySelectorAll('.toast')].map(t => t.textContent)")))
    assert box.get_attribute("value") == "/bogus thing"
    box.clear()
    box.send_keys("/topic Ship it", Keys.ENTER)
    chat.wait(lambda: chat.text_of("room-topic") == "Ship it")
    assert box.get_attribute("value") == ""
    assert len(tina.call("GET", f"/api/messages/{root['id']}/replies", expect=200).json()["replies"]) == 2
