"""Keywords: words I watch for, set in my settings, which notify me like a mention."""
from parley_browser import Chat
from test_activity import entries, has_dot


def test_a_keyword_in_a_message_counts_as_mentioning_me(server, browsers, account):
    uma = account("uma_keyword", display_name="Uma")
    vic = account("vic_keyword", display_name="Vic")
    room = vic.create_room("kw-room")["id"]
    uma.join(room)
    chat = Chat(browsers(), server).log_in("uma_keyword")
    chat.open_room("main")

    # Uma sets her keywords in her settings: kept lowercased, white space made single.
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.find("#keywords-input").send_keys("Deploy,  Release   Window , deploy")
    chat.find("#keywords-save").click()
    chat.wait(lambda: chat.text_of("keywords-saved") == "Saved.")
    assert chat.find("#keywords-input").get_attribute("value") == "deploy, release window"
    assert uma.call("GET", "/api/me/keywords", expect=200).json()["keywords"] == ["deploy", "release window"]
    # Refused: said why, nothing changed.
    chat.find("#keywords-input").send_keys(", x")
    chat.find("#keywords-save").click()
    chat.wait(lambda: "2 to 64 characters" in chat.text_of("keywords-error"), message=f"error: {chat.text_of('keywords-error')!r}")
    assert uma.call("GET", "/api/me/keywords", expect=200).json()["keywords"] == ["deploy", "release window"]
    chat.find("#profile-dialog [data-close]").click()
    chat.wait(lambda: not chat.dialog_open("profile-dialog"))

    # Vic writes them in a room Uma is not looking at: its badge says mention, the activity list has it.
    vic.post(room, "redeploying is not it")
    chat.wait(lambda: chat.badge("kw-room") == ["1", False], message=f"badge: {chat.badge('kw-room')}")
    vic.post(room, "The RELEASE window is Friday.")
    chat.wait(lambda: chat.badge("kw-room") == ["2", True], message=f"badge: {chat.badge('kw-room')}")
    chat.wait(lambda: has_dot(chat), message="no activity dot")
    chat.find("#activity-open").click()
    chat.wait(lambda: chat.dialog_open("activity-dialog"))
    chat.wait(lambda: entries(chat) == [["keyword", "The RELEASE window is Friday."]], message=f"activity: {entries(chat)}")
    assert "used a keyword of yours in #kw-room" in chat.find('#activity-list li[data-reason="keyword"]').text
    chat.find("#activity-dialog [data-close]").click()

    # In the room, the message is marked as mentioning her; the server agrees after a reload.
    chat.driver.refresh()
    chat.wait_ready()
    chat.wait(lambda: chat.badge("kw-room") == ["2", True], message=f"after a reload: {chat.badge('kw-room')}")
    chat.open_room("kw-room")
    chat.wait(lambda: chat.js("""return [...document.querySelectorAll('#messages li.message.mentions-me .text')].map(t => t.textContent)""")
              == ["The RELEASE window is Friday."], message="the message is not marked")
    # The keyword itself is marked in the text (only there: not inside "redeploying", and not in
    # her own messages, which keywords do not notify of).
    marks = "return [...document.querySelectorAll('#messages mark.keyword')].map(m => m.textContent)"
    chat.wait(lambda: chat.js(marks) == ["RELEASE window"], message=f"marks: {chat.js(marks)}")
    chat.send("we deploy after the release window")
    chat.wait(lambda: "we deploy after the release window" in chat.texts())
    assert chat.js(marks) == ["RELEASE window"]
    vic.post(room, "deploy **deploy** `deploy` deploy_x")
    chat.wait(lambda: chat.js(marks) == ["RELEASE window", "deploy", "deploy"], message=f"marks: {chat.js(marks)}")


def test_keywords_are_found_inside_chinese_and_japanese_text(server, browsers, account):
    """Those scripts have no spaces between words: a keyword in them is found inside a run, as the
    server finds it (the message mentions me), and marked in the text."""
    uma = account("uma_cjk", display_name="Uma")
    vic = account("vic_cjk", display_name="Vic")
    room = vic.create_room("cjk-room")["id"]
    uma.join(room)
    uma.call("PUT", "/api/me/keywords", json={"keywords": ["会议", "rel"]}, expect=200)
    chat = Chat(browsers(), server).log_in("uma_cjk")
    chat.open_room("main")
    vic.post(room, "明天的会议取消")
    chat.wait(lambda: chat.badge("cjk-room") == ["1", True], message=f"badge: {chat.badge('cjk-room')}")
    vic.post(room, "rel会议 and release")
    chat.open_room("cjk-room")
    marks = "return [...document.querySelectorAll('#messages mark.keyword')].map(m => m.textContent)"
    chat.wait(lambda: chat.js(marks) == ["会议", "rel", "会议"], message=f"marks: {chat.js(marks)}")
    mentioned = "return [...document.querySelectorAll('#messages li.message.mentions-me .text')].map(t => t.textContent)"
    assert chat.js(mentioned) == ["明天的会议取消", "rel会议 and release"]
