"""Custom emoji in the browser: added in the settings, drawn in messages for everyone at once,
suggested after a colon, used as a reaction, and gone again (back to its name) when deleted."""
import struct
import zlib

import requests
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

# What a message shows: its text with each custom emoji's picture as [alt → src].
SHOWN = """const li = document.querySelector('#messages li.message[data-id="' + arguments[0] + '"]');
    if (!li) return null;
    const text = li.querySelector('.text');
    return [...text.childNodes].map(n => n.nodeName === 'IMG' ? '[' + n.alt + ' → ' + n.getAttribute('src').split('?')[0] + ']' : n.textContent).join('')"""
CHIPS = """const li = document.querySelector('#messages li.message[data-id="' + arguments[0] + '"]');
    return li ? [...li.querySelectorAll('.reactions .reaction')].map(b => [b.dataset.emoji,
        b.querySelector('.emoji img')?.getAttribute('src')?.split('?')[0] ?? b.querySelector('.emoji').textContent,
        b.querySelector('.count').textContent]) : null"""
OPTIONS = "return [...document.querySelectorAll('#mention-list [role=option]')].map(o => [o.textContent, !!o.querySelector('img')])"
LISTED = "return [...document.querySelectorAll('#emoji-list li[data-emoji]')].map(li => [li.dataset.emoji, !!li.querySelector('button')])"


def png(side, rgb):
    """A square true-colour PNG of one colour."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(rgb) * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_an_emoji_added_in_the_settings_draws_for_everyone_is_suggested_reacts_and_goes_when_deleted(
        server, browsers, account, tmp_path):
    ann = account("ann_emoji", display_name="Ann")
    ben = account("ben_emoji", display_name="Ben")
    room = ann.create_room("emoji-room")["id"]
    ben.join(room)
    # Written before the emoji exists: its name shows as text.
    early = ann.post(room, "party time :parrotdance: yes")["id"]
    ben_chat = Chat(browsers(), server).log_in("ben_emoji")
    ben_chat.open_room("emoji-room")
    ben_chat.wait(lambda: ben_chat.js(SHOWN, early) == "party time :parrotdance: yes")

    # Ann adds it from her settings: the name comes from the file's, the picture from the file.
    picture = tmp_path / "Parrot Dance.png"
    picture.write_bytes(png(48, (20, 160, 60)))
    ann_chat = Chat(browsers(), server).log_in("ann_emoji")
    ann_chat.find("#profile-open").click()
    ann_chat.wait(lambda: ann_chat.dialog_open("profile-dialog"))
    assert ann_chat.js(LISTED) == []
    ann_chat.js("document.getElementById('emoji-file').hidden = false")
    ann_chat.find("#emoji-file").send_keys(str(picture))
    ann_chat.js("document.getElementById('emoji-file').hidden = true")
    assert ann_chat.find("#emoji-name").get_attribute("value") == "parrot_dance"
    ann_chat.find("#emoji-name").clear()
    ann_chat.find("#emoji-name").send_keys("parrotdance")
    ann_chat.find("#emoji-add").click()
    ann_chat.wait(lambda: ann_chat.js(LISTED) == [["parrotdance", True]], message=f"not listed: {ann_chat.js(LISTED)} {ann_chat.alerts()}")
    stored = ben.call("GET", "/api/emoji", expect=200).json()["emoji"]
    assert [(e["name"], e["created_by"]["id"]) for e in stored] == [("parrotdance", ann.id)]
    # Drawn anew as WebP (a picture's metadata is not served to everyone), the same size.
    served = ben.call("GET", stored[0]["url"], expect=200)
    assert served.headers["Content-Type"] == "image/webp" and served.content[:4] == b"RIFF" and served.content[8:12] == b"WEBP"
    # A name taken, or not a name: the server's reason shows, and nothing is added.
    ann_chat.js("document.getElementById('emoji-file').hidden = false")
    ann_chat.find("#emoji-file").send_keys(str(picture))
    ann_chat.js("document.getElementById('emoji-file').hidden = true")
    ann_chat.find("#emoji-name").clear()
    ann_chat.find("#emoji-name").send_keys("parrotdance")
    ann_chat.find("#emoji-add").click()
    ann_chat.wait(lambda: "has this name already" in ann_chat.text_of("emoji-error"), message=f"no error: {ann_chat.alerts()}")
    ann_chat.find("#emoji-name").clear()
    ann_chat.find("#emoji-name").send_keys("Tada")
    ann_chat.find("#emoji-add").click()
    ann_chat.wait(lambda: ann_chat.text_of("emoji-error") == ":tada: is already 🎉: choose another name.",
                  message=f"no error: {ann_chat.text_of('emoji-error')!r}")
    ann_chat.find("#emoji-name").clear()
    ann_chat.find("#emoji-name").send_keys("no spaces allowed")
    ann_chat.find("#emoji-add").click()
    ann_chat.wait(lambda: "2–30" in ann_chat.text_of("emoji-error"), message=f"no error: {ann_chat.alerts()}")
    assert len(ben.call("GET", "/api/emoji", expect=200).json()["emoji"]) == 1
    ann_chat.find("#profile-dialog [data-close]").click()
    ann_chat.open_room("emoji-room")

    # Ben, who had the room open, sees the picture take the name's place at once.
    drawn = "party time [:parrotdance: → /api/emoji/parrotdance] yes"
    ben_chat.wait(lambda: ben_chat.js(SHOWN, early) == drawn, message=f"not drawn: {ben_chat.js(SHOWN, early)}")
    assert ben_chat.js("""return document.querySelector('#messages li.message[data-id="' + arguments[0] + '"] img.custom-emoji').naturalWidth""", early) == 48

    # Typing a colon and its first letters suggests it first, with its picture; Enter puts its name in.
    ben_chat.type(":parr")
    ben_chat.wait(lambda: (ben_chat.js(OPTIONS) or [[None]])[0] == [":parrotdance:", True], message=f"suggestions: {ben_chat.js(OPTIONS)}")
    ben_chat.type(Keys.ENTER)
    assert ben_chat.find("#composer-text").get_attribute("value") == ":parrotdance: "
    ben_chat.type("indeed", Keys.ENTER)
    ben_chat.wait(lambda: any(m["text"] == ":parrotdance: indeed" for m in ann.history(room, limit=5)), message="not sent")
    mine = next(m["id"] for m in ann.history(room, limit=5) if m["text"] == ":parrotdance: indeed")
    ben_chat.wait(lambda: ben_chat.js(SHOWN, mine) == "[:parrotdance: → /api/emoji/parrotdance] indeed")
    ann_chat.wait(lambda: ann_chat.js(SHOWN, mine) == "[:parrotdance: → /api/emoji/parrotdance] indeed", message="ann does not see it")

    # Alone (or with a few other emoji), it shows large; with words, at the size of the text.
    ben_chat.send(":parrotdance: 🎉")
    ben_chat.wait(lambda: any(m["text"] == ":parrotdance: 🎉" for m in ann.history(room, limit=5)), message="not sent")
    alone = next(m["id"] for m in ann.history(room, limit=5) if m["text"] == ":parrotdance: 🎉")
    jumbo = "return document.querySelector('#messages li.message[data-id=\"' + arguments[0] + '\"] .text')?.classList.contains('jumbo')"
    ben_chat.wait(lambda: ben_chat.js(jumbo, alone) is True, message="not large")
    assert ben_chat.js(jumbo, mine) is False and ben_chat.js(jumbo, early) is False
    # What counts as only emoji: symbols shown as text by default (©, ™, ‼) only with U+FE0F after them.
    # A skin tone after a text-default hand (✌🏽) makes it an emoji too.
    samples = ["🎉", "❤️", "1️⃣", "🇫🇷", "👍🏽", "✌🏽", "✌", "👩‍💻", ":parrotdance: ✨", "©", "™ ©", "‼", "©️", "a 🎉", "🎉" * 9, ":nosuch:"]
    only = ben_chat.js("return import('/markup.js').then(m => arguments[0].map(m.onlyEmoji))", samples)
    assert dict(zip(samples, only)) == {"🎉": True, "❤️": True, "1️⃣": True, "🇫🇷": True, "👍🏽": True, "✌🏽": True, "✌": False, "👩‍💻": True,
                                        ":parrotdance: ✨": True, "©": False, "™ ©": False, "‼": False, "©️": True,
                                        "a 🎉": False, "🎉" * 9: False, ":nosuch:": False}

    # Ben reacts with it: the picker offers the site's newest custom emoji after the quick ones.
    ben_chat.hover_action("party time  yes", "react")
    ben_chat.wait(lambda: ben_chat.js("return document.querySelector('.reaction-picker') !== null"))
    ben_chat.find('.reaction-picker .pick[data-emoji=":parrotdance:"] img').click()
    chip = [[":parrotdance:", "/api/emoji/parrotdance", "1"]]
    ben_chat.wait(lambda: ben_chat.js(CHIPS, early) == chip, message=f"chips: {ben_chat.js(CHIPS, early)} {ben_chat.alerts()}")
    ann_chat.wait(lambda: ann_chat.js(CHIPS, early) == chip, message=f"ann's chips: {ann_chat.js(CHIPS, early)}")

    # Ann deletes it: for both, messages and the chip show its name again; the reaction stays.
    ann_chat.find("#profile-open").click()
    ann_chat.wait(lambda: ann_chat.dialog_open("profile-dialog"))
    ann_chat.find('#emoji-list li[data-emoji="parrotdance"] button').click()
    ann_chat.wait(lambda: ann_chat.js(LISTED) == [])
    ann_chat.find("#profile-dialog [data-close]").click()
    for chat in (ann_chat, ben_chat):
        chat.wait(lambda: chat.js(SHOWN, early) == "party time :parrotdance: yes", message=f"still drawn: {chat.js(SHOWN, early)}")
        chat.wait(lambda: chat.js(CHIPS, early) == [[":parrotdance:", ":parrotdance:", "1"]], message=f"chip: {chat.js(CHIPS, early)}")
    assert ben.call("GET", "/api/emoji", expect=200).json()["emoji"] == []


def test_an_emoji_after_an_unknown_word_draws_and_only_its_adder_or_a_site_admin_is_offered_delete(server, browsers, account):
    cat = account("cat_emoji", display_name="Cat")
    dan = account("dan_emoji", display_name="Dan")
    added = requests.post(server.url + "/api/emoji?name=cats_own", data=png(16, (200, 30, 30)),
                          headers={**cat.headers, "Content-Type": "image/png"})
    assert added.status_code == 201, added.text
    try:
        # An unknown `:word:` leaves its closing colon to what follows: a custom emoji, a mention.
        room = cat.create_room("emoji-colons")["id"]
        dan.join(room)
        colons = cat.post(room, "x:nope:cats_own: :nah:@dan_emoji")["id"]
        dan_chat = Chat(browsers(), server).log_in("dan_emoji")
        dan_chat.open_room("emoji-colons")
        dan_chat.wait(lambda: dan_chat.js(SHOWN, colons) == "x:nope[:cats_own: → /api/emoji/cats_own] :nah:@dan_emoji",
                      message=f"shown: {dan_chat.js(SHOWN, colons)}")
        assert dan_chat.js("""return [...document.querySelectorAll('#messages li.message[data-id="' + arguments[0] + '"] .mention.self')]
            .map(n => n.textContent)""", colons) == ["@dan_emoji"]
        dan_chat.find("#profile-open").click()
        dan_chat.wait(lambda: dan_chat.dialog_open("profile-dialog"))
        dan_chat.wait(lambda: ["cats_own", False] in dan_chat.js(LISTED), message=f"listed: {dan_chat.js(LISTED)}")
        assert "added by Cat" in dan_chat.find('#emoji-list li[data-emoji="cats_own"]').text
    finally:
        cat.call("DELETE", "/api/emoji/cats_own", expect=204)
