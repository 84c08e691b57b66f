"""@-mention suggestions in the message box: typing "@" and the start of a name lists the room's
members, @room and @here, the keyboard chooses one, and the sent message mentions that person; an
@here reaches whoever is online."""
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat, wait_for

OPTIONS = "return [...document.querySelectorAll('#mention-list [role=option]')].map(o => o.querySelector('.muted').textContent)"


def test_typing_at_suggests_members_and_the_choice_mentions_them(server, browsers, account):
    owner = account("mia_mention", display_name="Mia")
    carla = account("carla_m", display_name="Carla Jones")
    carlos = account("carlos_m", display_name="Carlos")
    jonas = account("jonas_m", display_name="Jonas")
    outsider = account("carl_outside", display_name="Carl")
    room = owner.create_room("mention-room")["id"]
    for person in (carla, carlos, jonas):
        person.join(room)
    mia = Chat(browsers(), server).log_in("mia_mention")
    mia.open_room("mention-room")
    mia.wait(lambda: mia.js("return document.querySelectorAll('#members li.member').length") == 4)

    # "@car" lists the two members whose username starts so, not someone outside the room.
    mia.type("thanks @car")
    mia.wait(lambda: mia.js(OPTIONS) == ["@carla_m", "@carlos_m"], message=f"suggestions: {mia.js(OPTIONS)}")
    box = mia.find("#composer-text")
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-activedescendant") == "mention-0"
    # ↓ moves to Carlos; Enter puts him in the text instead of sending.
    mia.type(Keys.ARROW_DOWN)
    assert box.get_attribute("aria-activedescendant") == "mention-1"
    mia.type(Keys.ENTER)
    assert mia.js("return document.getElementById('composer-text').value") == "thanks @carlos_m "
    assert mia.js("return document.getElementById('mention-list').hidden") is True

    # A word of the display name finds people too ("jo" → Carla Jones, Jonas); Tab chooses.
    mia.type("and @jo")
    mia.wait(lambda: mia.js(OPTIONS) == ["@jonas_m", "@carla_m"], message=f"suggestions: {mia.js(OPTIONS)}")
    mia.type(Keys.TAB)
    # @room for everyone; Escape closes the list and leaves the text as typed.
    mia.type("@ro")
    mia.wait(lambda: mia.js(OPTIONS) == ["@room"])
    mia.type(Keys.ESCAPE)
    assert mia.js("return document.getElementById('mention-list').hidden") is True
    mia.type(Keys.BACKSPACE * 3)
    # @here for those online.
    mia.type("@he")
    mia.wait(lambda: mia.js(OPTIONS) == ["@here"], message=f"suggestions: {mia.js(OPTIONS)}")
    mia.type(Keys.ESCAPE, Keys.BACKSPACE * 3, Keys.ENTER)
    mia.wait(lambda: any(m["text"] == "thanks @carlos_m and @jonas_m" for m in owner.history(room)), message="not sent")
    sent = next(m for m in owner.history(room) if m["text"] == "thanks @carlos_m and @jonas_m")
    assert sorted(sent["mentions"]) == sorted([carlos.id, jonas.id])
    assert outsider.id not in sent["mentions"]


def test_at_here_marks_the_room_for_members_online_and_not_for_those_busy_or_offline(server, browsers, account):
    hana = account("hana_here", display_name="Hana")
    ivo = account("ivo_here", display_name="Ivo")
    kai = account("kai_here", display_name="Kai")
    lea = account("lea_here", display_name="Lea")
    room = hana.create_room("here-room")["id"]
    for person in (ivo, kai, lea):
        person.join(room)
    chat = Chat(browsers(), server).log_in("ivo_here")
    # Lea is connected too, but busy.
    busy = Chat(browsers(), server).log_in("lea_here")
    busy.find("#profile-open").click()
    busy.wait(lambda: busy.dialog_open("profile-dialog"))
    busy.find('#status-choices input[value="busy"]').click()
    busy.wait(lambda: busy.find("#me-presence").get_attribute("class") == "presence busy")

    def presence(user):
        members = hana.call("GET", f"/api/rooms/{room}/members", expect=200).json()["members"]
        return next(m["presence"] for m in members if m["user"]["id"] == user.id)
    # Ivo's browser is connected (and in main); Kai has no connection.
    wait_for(lambda: presence(ivo) == "online" and presence(lea) == "busy", message="Ivo and Lea are not online and busy")
    hana.post(room, "@here standup in five")
    chat.wait(lambda: chat.badge("here-room") == ["1", True], message=f"badge: {chat.badge('here-room')}")
    busy.wait(lambda: busy.badge("here-room") == ["1", False], message=f"badge: {busy.badge('here-room')}")
    assert next(r for r in lea.call("GET", "/api/rooms", expect=200).json()["mine"] if r["id"] == room)["mentioned"] is False
    mine = kai.call("GET", "/api/rooms", expect=200).json()["mine"]
    assert next(r for r in mine if r["id"] == room)["mentioned"] is False
    assert next(r for r in ivo.call("GET", "/api/rooms", expect=200).json()["mine"] if r["id"] == room)["mentioned"] is True
    # The message stands out, "@here" as a mention of him; the activity list says why.
    chat.open_room("here-room")
    chat.wait(lambda: chat.message_id("@here standup in five"), message=f"{chat.texts()}")
    message = chat.message("@here standup in five")
    assert "mentions-me" in message.get_attribute("class")
    assert message.find_element("css selector", ".mention").get_attribute("class") == "mention self"
    chat.find("#activity-open").click()
    chat.wait(lambda: "mentioned everyone online" in chat.text_of("activity-list"), message="not in the activity list")


EMOJI_OPTIONS = "return [...document.querySelectorAll('#mention-list [role=option]')].map(o => o.textContent)"


def test_typing_a_colon_suggests_emoji_and_a_whole_short_name_becomes_its_emoji(server, browsers, account):
    account("emo_typer", display_name="Emo")
    chat = Chat(browsers(), server).log_in("emo_typer")
    value = "return document.getElementById('composer-text').value"
    listed = "return document.getElementById('mention-list').hidden === false"
    # ":tad" lists 🎉 :tada:; Enter puts the emoji in the text instead of sending.
    chat.type("Party :tad")
    chat.wait(lambda: chat.js(EMOJI_OPTIONS) == ["🎉:tada:"], message=f"suggestions: {chat.js(EMOJI_OPTIONS)}")
    assert chat.find("#mention-list").get_attribute("aria-label") == "Emoji"
    chat.type(Keys.ENTER)
    assert chat.js(value) == "Party 🎉 "
    assert chat.js(listed) is False
    # Several match: ↓ and Tab choose the second.
    chat.type(":thu")
    chat.wait(lambda: chat.js(EMOJI_OPTIONS)[:2] == ["👍:thumbsup:", "👎:thumbsdown:"], message=f"suggestions: {chat.js(EMOJI_OPTIONS)}")
    chat.type(Keys.ARROW_DOWN, Keys.TAB)
    assert chat.js(value) == "Party 🎉 👎 "
    # Times and links are not short names; one letter is too little to suggest.
    chat.type("at 10:30 see http://example.com :o")
    assert chat.js(listed) is False
    # A whole short name becomes its emoji as it is typed; an unknown one stays as typed.
    chat.type(Keys.BACKSPACE * 2, ":+1: :nosuchemoji:")
    assert chat.js(value) == "Party 🎉 👎 at 10:30 see http://example.com 👍 :nosuchemoji:"
    chat.type(Keys.ENTER)
    chat.wait(lambda: "Party 🎉 👎 at 10:30 see http://example.com 👍 :nosuchemoji:" in chat.texts(), message=f"{chat.texts()}")


def test_only_people_mentioned_get_a_pill_and_a_pill_opens_their_profile(server, browsers, account):
    owner = account("pia_pill", display_name="Pia")
    ola = account("ola_pill", display_name="Ola Olsen")
    room = owner.create_room("pill-room")["id"]
    ola.join(room)
    owner.post(room, "ask @ola_pill or @nobody_here, or @room")
    chat = Chat(browsers(), server).log_in("pia_pill")
    chat.open_room("pill-room")
    pills = lambda: chat.js("""return [...document.querySelectorAll('#messages li.message .text .mention')].map(n => n.textContent)""")
    chat.wait(lambda: pills() == ["@ola_pill", "@room"], message=lambda: f"pills {pills()}")
    # No such person: plain text.
    assert "@nobody_here" in chat.message("ask @ola_pill or @nobody_here, or @room").text
    # A person's pill opens their profile, as their name on a message does.
    chat.find("#messages li.message .text .mention").click()
    chat.wait(lambda: chat.dialog_open("user-dialog"))
    chat.wait(lambda: chat.text_of("user-dialog-username") == "@ola_pill")
    assert chat.text_of("user-dialog-name") == "Ola Olsen"


COMBO = """const box = document.getElementById(arguments[0]);
    const active = box.getAttribute('aria-activedescendant');
    const option = active && document.getElementById(active);
    return {role: box.getAttribute('role'), expanded: box.getAttribute('aria-expanded'), autocomplete: box.getAttribute('aria-autocomplete'),
      controls: box.getAttribute('aria-controls'), active: option ? [option.getAttribute('role'), option.closest('[role=listbox]')?.id] : active}"""


def test_the_message_boxes_are_comboboxes_whose_expanded_state_follows_their_suggestions(server, browsers, account):
    """An accessibility review: both message boxes carried aria-expanded without role=combobox
    (a textbox has no expanded state, so it was never read out)."""
    lea = account("lea_combo", display_name="Lea")
    max_ = account("max_combo", display_name="Max")
    room = lea.create_room("combo-room")["id"]
    max_.join(room)
    lea.post(room, "start a thread here")
    chat = Chat(browsers(), server).log_in("lea_combo")
    chat.open_room("combo-room")
    chat.wait(lambda: "start a thread here" in chat.texts())
    chat.hover_action("start a thread here", "thread-reply")
    chat.wait(lambda: chat.find("#thread-panel").is_displayed())
    for box_id, list_id in (("composer-text", "mention-list"), ("thread-text", "thread-mention-list")):
        box = chat.find(f"#{box_id}")
        closed = {"role": "combobox", "expanded": "false", "autocomplete": "list", "controls": list_id, "active": None}
        assert chat.js(COMBO, box_id) == closed
        assert box.aria_role == "combobox"
        box.send_keys("hi @ma")
        chat.wait(lambda: chat.js(COMBO, box_id)["expanded"] == "true", message=lambda: chat.js(COMBO, box_id))
        assert chat.js(COMBO, box_id) == {**closed, "expanded": "true", "active": ["option", list_id]}
        box.send_keys(Keys.ESCAPE)
        assert chat.js(COMBO, box_id) == closed
        assert chat.js("return document.getElementById(arguments[0]).hidden", list_id) is True
        box.send_keys(Keys.BACKSPACE * 6)
