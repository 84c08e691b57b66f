"""Links in messages: to rooms by name (`#name`, `#**a name**`), suggested as "#" is typed and
opening the room (or a public room's preview); named links (`[label](https://…)`); and links into
this Parley (a room's or a message's) that open in the same tab."""
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

RENDER = """const [text, done] = [arguments[0], arguments[arguments.length - 1]];
import('/markup.js').then(m => {
  const box = document.createElement('div');
  box.append(...m.formatMessage(text, {names: new Set(), keywords: null}));
  done(box.innerHTML);
}).catch(e => done('ERROR ' + e));"""

OPTIONS = "return [...document.querySelectorAll('#mention-list [role=option] .name')].map(o => o.textContent)"
LAST_TEXT = "return document.querySelector('#messages li.message:not(.pending):last-child .text')?.innerHTML"


def render(chat, text):
    return chat.driver.execute_async_script(RENDER, text)


def test_room_names_and_named_links_render_as_links_for_those_who_know_the_room(server, browsers, account):
    owner = account("lnk_owner")
    account("lnk_reader")
    public = owner.create_room("lnk-lobby", topic="say hi")["id"]
    group = owner.create_room("Lnk inner circle", kind="group")["id"]
    mine = Chat(browsers(), server).log_in("lnk_owner")
    reader = Chat(browsers(), server).log_in("lnk_reader")
    origin = server.url
    lobby = f'<a class="room-ref" href="#room/{public}" title="Open lnk-lobby">#lnk-lobby</a>'
    cases = [
        # Any case; the sentence's full stop is not part of the name.
        ("see #lnk-lobby.", f"see {lobby}."),
        ("see #LNK-LOBBY", f'see <a class="room-ref" href="#room/{public}" title="Open lnk-lobby">#LNK-LOBBY</a>'),
        # A name with spaces is written #**name** and shown as #name.
        ("plans in #**Lnk inner circle** now",
         f'plans in <a class="room-ref" href="#room/{group}" title="Open Lnk inner circle">#Lnk inner circle</a> now'),
        # No such room: text (and #**…** the bold it would otherwise be); not after a word, "&" or "/".
        ("#lnk-nowhere and #**not a room**", "#lnk-nowhere and #<strong>not a room</strong>"),
        ("issue#lnk-lobby &#lnk-lobby a/#lnk-lobby", "issue#lnk-lobby &amp;#lnk-lobby a/#lnk-lobby"),
        ("`#lnk-lobby`", "<code>#lnk-lobby</code>"),
        ("**#lnk-lobby**", f"<strong>{lobby}</strong>"),
        # Named links show their label, and their address on hover; one pair of brackets may be in it.
        ("read [the guide](https://example.com/wiki/A_(b)) first",
         'read <a href="https://example.com/wiki/A_(b)" target="_blank" rel="noopener noreferrer nofollow" '
         'title="https://example.com/wiki/A_(b)">the guide</a> first'),
        ("[*x*](https://example.com/a_b_c)",
         '<a href="https://example.com/a_b_c" target="_blank" rel="noopener noreferrer nofollow" title="https://example.com/a_b_c">*x*</a>'),
        # Only http(s): anything else stays as typed.
        ("[click](javascript:alert(1)) [x](ftp://example.com)", "[click](javascript:alert(1)) [x](ftp://example.com)"),
        # A link into this Parley opens here, in the same tab.
        (f"look {origin}/#room/{public}/message/7",
         f'look <a class="local-link" href="#room/{public}/message/7">{origin}/#room/{public}/message/7</a>'),
        (f"[this one]({origin}/#room/{public})",
         f'<a class="local-link" href="#room/{public}" title="{origin}/#room/{public}">this one</a>'),
    ]
    got = [(text, render(mine, text)) for text, _ in cases]
    wrong = [(text, seen, want) for (text, seen), (_, want) in zip(got, cases) if seen != want]
    assert wrong == [], wrong

    # Someone outside the group sees its name as text: nothing about it reaches them. The public
    # room, which they are not in, is a link to its preview.
    assert render(reader, "#**Lnk inner circle**") == "#<strong>Lnk inner circle</strong>"
    assert render(reader, "#lnk-lobby") == f'<a class="room-ref" href="#room/{public}" title="Preview lnk-lobby">#lnk-lobby</a>'
    # The one-line previews (notifications, replies) show the names as written.
    preview = reader.driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; import('/markup.js').then(m => done(m.preview({text: arguments[0]})))",
        "go to #lnk-lobby or [the guide](https://example.com)")
    assert preview == "go to #lnk-lobby or the guide"


def test_typing_a_hash_suggests_rooms_and_the_link_opens_the_room_or_its_preview(server, browsers, account):
    owner = account("lnk2_owner")
    visitor = account("lnk2_visitor")
    talk = owner.create_room("lnk2-talk")["id"]
    owner.create_room("lnk2-tavern", topic="drinks after work")
    owner.create_room("Lnk2 back room", kind="group")
    visitor.join(talk)
    ann = Chat(browsers(), server).log_in("lnk2_owner")
    ann.open_room("lnk2-talk")

    # "#lnk2" lists the rooms so named: public ones and my group, the group put in as #**name**.
    ann.type("meet in #lnk2")
    ann.wait(lambda: ann.js(OPTIONS) == ["Lnk2 back room", "lnk2-talk", "lnk2-tavern"], message=lambda: f"options: {ann.js(OPTIONS)}")
    assert ann.js("return document.getElementById('mention-list').getAttribute('aria-label')") == "Rooms to link"
    ann.type(Keys.ENTER)
    assert ann.js("return document.getElementById('composer-text').value") == "meet in #**Lnk2 back room** "
    # A word of a name finds it too; Tab chooses.
    ann.type("or #tav")
    ann.wait(lambda: ann.js(OPTIONS) == ["lnk2-tavern"], message=lambda: f"options: {ann.js(OPTIONS)}")
    ann.type(Keys.TAB)
    assert ann.js("return document.getElementById('composer-text').value") == "meet in #**Lnk2 back room** or #lnk2-tavern "
    ann.type(Keys.ENTER)
    sent = "meet in #**Lnk2 back room** or #lnk2-tavern"
    ann.wait(lambda: sent in ann.texts() or "meet in #Lnk2 back room or #lnk2-tavern" in ann.texts(), message=lambda: f"{ann.texts()}")
    assert owner.history(talk)[0]["text"] == sent

    # Its author follows the link to the group: the group opens.
    ann.js("document.querySelector('#messages li.message:last-child .text a.room-ref').click()")
    ann.wait(lambda: ann.room_title() == "Lnk2 back room", message=lambda: f"opened {ann.room_title()}")

    # Someone in neither room sees the group's name as text, and the tavern's link opens its
    # preview, with Join; the room being read stays open under it.
    vic = Chat(browsers(), server).log_in("lnk2_visitor")
    vic.open_room("lnk2-talk")
    vic.wait(lambda: vic.js("return document.querySelectorAll('#messages li.message:last-child .text a.room-ref').length") == 1,
             message=lambda: vic.js(LAST_TEXT))
    assert "#<strong>Lnk2 back room</strong>" in vic.js(LAST_TEXT)
    vic.js("document.querySelector('#messages li.message:last-child .text a.room-ref').click()")
    vic.wait(lambda: vic.dialog_open("browse-dialog") and vic.js("return !document.getElementById('browse-preview').hidden"),
             message="the preview did not open")
    assert vic.text_of("browse-preview-title") == "#lnk2-tavern"
    assert vic.room_title() == "lnk2-talk"
    vic.find("#browse-preview-join").click()
    vic.wait(lambda: vic.room_title() == "lnk2-tavern", message="joining from the preview did not open the room")
    assert not vic.dialog_open("browse-dialog")
