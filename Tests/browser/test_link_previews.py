"""Link previews: the server fetches the pages a message links to and the room sees a card under
it (site, title as a link, description), live and after a reload; a page that is not HTML gets no
card, and an edit without links or a deletion takes the card away."""
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from parley_browser import Chat

# The title and the description hold characters that HTML escapes (named and numeric references):
# they must show as text. The page is UTF-8, as its Content-Type says.
ARTICLE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tom &amp; Jerry &lt;b&gt;</title>
<meta property="og:title" content="Tom &amp; Jerry &lt;b&gt;">
<meta property="og:description" content="Un chat, une souris &amp; une très longue poursuite &#8212; enfin.">
<meta property="og:site_name" content="Cartoon Weekly">
<meta property="og:image" content="/picture.png">
</head>
<body><p>The article.</p></body>
</html>
""".encode()

TITLE = "Tom & Jerry <b>"
DESCRIPTION = "Un chat, une souris & une très longue poursuite — enfin."
SITE = "Cartoon Weekly"


def png(width, height):
    """A PNG of one colour, written by hand (no imaging library needed)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class Pages(BaseHTTPRequestHandler):
    """`/article`: an HTML page with Open Graph tags; `/plain`: plain text (nothing to preview)."""

    PAGES = {"/article": ("text/html; charset=utf-8", ARTICLE), "/plain": ("text/plain", b"Just words, no page.\n"),
             "/picture.png": ("image/png", png(600, 300))}
    # Who asked for each path: only the server (its User-Agent) may read the picture.
    agents = []

    def do_GET(self):
        self.answer(body=True)

    def do_HEAD(self):
        self.answer(body=False)

    def answer(self, body):
        Pages.agents.append((self.path, self.headers.get("User-Agent", "")))
        page = self.PAGES.get(self.path.split("?")[0])
        if page is None:
            self.send_error(404)
            return
        content_type, content = page
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if body:
            self.wfile.write(content)

    def log_message(self, *args):
        pass


CARDS = """const li = document.querySelector('#messages li.message[data-id="' + arguments[0] + '"]');
    if (!li) return null;
    return [...li.querySelectorAll('.link-preview')].map(card => {
      const title = card.querySelector('.link-preview-title');
      const description = card.querySelector('.link-preview-description');
      return {
        site: card.querySelector('.link-preview-site')?.textContent ?? null,
        title: title?.textContent ?? null,
        title_elements: title ? title.querySelectorAll('*').length : null,
        tag: title?.tagName ?? null,
        href: title?.getAttribute('href') ?? null,
        target: title?.getAttribute('target') ?? null,
        rel: title?.getAttribute('rel') ?? null,
        description: description?.textContent ?? null,
        clamp: description ? getComputedStyle(description).webkitLineClamp : null,
      };
    })"""


def cards(chat, message_id):
    """The preview cards under a message of the open room, or None when the message is not shown."""
    return chat.js(CARDS, message_id)


def remove_buttons(chat, message_id):
    """How many remove buttons the message's cards have."""
    return chat.js("""return document.querySelectorAll('#messages li.message[data-id="' + arguments[0] + '"] .link-preview-remove').length""",
                   message_id)


def previews_shown(chat, message_id):
    """Whether the message's cards take room on the page (a hidden setting leaves them in the DOM)."""
    return chat.js("""const cards = document.querySelector('#messages li.message[data-id="' + arguments[0] + '"] .link-previews');
        return Boolean(cards && cards.getClientRects().length)""", message_id)


def set_link_previews(chat, show):
    """Sets "Show previews of linked pages" in the settings dialog and saves."""
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.wait(lambda: chat.find("#profile-receipts").is_enabled())
    box = chat.find("#profile-link-previews")
    chat.wait(lambda: box.is_selected() != show, message="the setting did not load as it was")
    box.click()
    chat.find("#profile-save").click()
    chat.wait(lambda: chat.text_of("profile-saved") == "Saved.")
    chat.find("#profile-dialog [data-close]").click()
    chat.wait(lambda: not chat.dialog_open("profile-dialog"))


def stored_previews(account, room, message_id):
    return next(m for m in account.history(room) if m["id"] == message_id)["previews"]


def test_a_linked_page_shows_as_a_card_live_and_goes_when_the_link_does(server, browsers, account):
    pages = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{pages.server_address[1]}"
        article, plain = f"{base}/article", f"{base}/plain"
        ada = account("ada_preview", display_name="Ada")
        bo = account("bo_preview", display_name="Bo")
        room = ada.create_room("preview-room")["id"]
        bo.join(room)
        chat = Chat(browsers(), server).log_in("ada_preview")
        chat.open_room("preview-room")

        # Bo links an article and a plain text file: the answer comes before the pages are fetched.
        posted = bo.post(room, f"see {article} and {plain}")
        assert posted["previews"] == []
        expected = [{"site": SITE, "title": TITLE, "title_elements": 0, "tag": "A", "href": article, "target": "_blank",
                     "rel": "noopener noreferrer", "description": DESCRIPTION, "clamp": "3"}]
        chat.wait(lambda: cards(chat, posted["id"]) == expected, message=f"cards: {cards(chat, posted['id'])}")

        # The page's picture shows in the card, served by Parley: the browser never asked the site for it.
        picture = chat.js("""const img = document.querySelector('#messages li.message[data-id="' + arguments[0] + '"] .link-preview-image');
            return img && {src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth, link: img.closest('a')?.getAttribute('href')}""",
                          posted["id"])
        assert picture and picture["src"].startswith("/api/previews/images/") and picture["link"] == article, picture
        chat.wait(lambda: chat.js("""return document.querySelector('#messages li.message[data-id="' + arguments[0] + '"] .link-preview-image')
            ?.naturalWidth""", posted["id"]) == 400, message="the picture did not load at 400 px")
        assert [path for path, agent in Pages.agents if "ParleyLinkPreview" not in agent] == [], Pages.agents

        # The server keeps them: history says the same (it fetched them asynchronously, hence the wait).
        chat.wait(lambda: stored_previews(bo, room, posted["id"]) != [], message="the previews were not stored")
        stored = stored_previews(bo, room, posted["id"])
        assert [{key: value for key, value in p.items() if not key.startswith("image_")} for p in stored] == [
            {"url": article, "title": TITLE, "description": DESCRIPTION, "site_name": SITE}]
        assert stored[0]["image_url"] == picture["src"] and (stored[0]["image_width"], stored[0]["image_height"]) == (400, 200)
        chat.driver.refresh()
        chat.wait_ready()
        chat.open_room("preview-room")
        chat.wait(lambda: cards(chat, posted["id"]) == expected, message=f"after a reload: {cards(chat, posted['id'])}")

        # Edited to words without links: the card goes at once.
        edited = bo.call("PATCH", f"/api/messages/{posted['id']}", expect=200, json={"text": "never mind"}).json()["message"]
        assert edited["previews"] == []
        chat.wait(lambda: chat.js("""return document.querySelector('#messages li.message[data-id="' + arguments[0] + '"] .text')?.textContent""",
                                  posted["id"]) == "never mind", message="the edit did not show")
        chat.wait(lambda: cards(chat, posted["id"]) == [], message=f"the card stayed: {cards(chat, posted['id'])}")
        assert stored_previews(bo, room, posted["id"]) == []

        # Its sender and the room's moderators may take the previews away, for everyone; others get no button.
        mine = ada.post(room, f"mine: {article}")
        theirs = bo.post(room, f"theirs: {article}")
        bo_chat = Chat(browsers(), server).log_in("bo_preview")
        bo_chat.open_room("preview-room")
        for viewer in (chat, bo_chat):
            for message in (mine, theirs):
                viewer.wait(lambda v=viewer, m=message: len(cards(v, m["id"]) or []) == 1,
                            message=f"no card for {message['text']}: {cards(viewer, message['id'])}")
        assert remove_buttons(bo_chat, mine["id"]) == 0 and remove_buttons(bo_chat, theirs["id"]) == 1
        assert remove_buttons(chat, mine["id"]) == 1 and remove_buttons(chat, theirs["id"]) == 1
        chat.js("""document.querySelector('#messages li.message[data-id="' + arguments[0] + '"] .link-preview-remove').click()""",
                theirs["id"])
        for viewer in (chat, bo_chat):
            viewer.wait(lambda v=viewer: cards(v, theirs["id"]) == [], message=f"the card stayed: {cards(viewer, theirs['id'])}")
        assert stored_previews(bo, room, theirs["id"]) == []
        assert len(cards(bo_chat, mine["id"])) == 1

        # Bo turns previews off in his settings: his cards go at once, in his other browser too, and
        # after a reload (the setting is his account's); Ada still sees them. Turned on again, they are back.
        bo_phone = Chat(browsers(), server).log_in("bo_preview")
        bo_phone.open_room("preview-room")
        bo_phone.wait(lambda: previews_shown(bo_phone, mine["id"]), message="no card on Bo's other browser")
        set_link_previews(bo_chat, False)
        bo_chat.wait(lambda: not previews_shown(bo_chat, mine["id"]), message="Bo's card still shows")
        bo_phone.wait(lambda: not previews_shown(bo_phone, mine["id"]), message="Bo's other browser still shows the card")
        assert bo.call("GET", "/api/me", expect=200).json()["show_link_previews"] is False
        assert previews_shown(chat, mine["id"])
        bo_chat.driver.refresh()
        bo_chat.wait_ready()
        bo_chat.open_room("preview-room")
        bo_chat.wait(lambda: cards(bo_chat, mine["id"]) is not None and bo_chat.js("return document.body.classList.contains('hide-link-previews')"),
                     message="the setting was not applied after a reload")
        assert len(cards(bo_chat, mine["id"])) == 1 and not previews_shown(bo_chat, mine["id"])
        set_link_previews(bo_chat, True)
        bo_chat.wait(lambda: previews_shown(bo_chat, mine["id"]), message="Bo's card did not come back")

        # A deleted message shows no card either.
        again = bo.post(room, f"once more: {article}")
        chat.wait(lambda: len(cards(chat, again["id"]) or []) == 1, message=f"cards: {cards(chat, again['id'])}")
        bo.call("DELETE", f"/api/messages/{again['id']}", expect=204)
        chat.wait(lambda: chat.js("""return document.querySelector('#messages li.message[data-id="' + arguments[0] + '"]')
            ?.classList.contains('deleted')""", again["id"]), message="the deletion did not show")
        assert cards(chat, again["id"]) == []
    finally:
        pages.shutdown()
        pages.server_close()
