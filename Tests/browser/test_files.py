"""Sharing files in the browser: an image shows in place for everyone, other files as a card that
downloads them, and a caption from the message box; a room's files listed in a dialog."""
import base64
import math
import struct
import wave
import zlib

from urllib.parse import quote

import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from parley_browser import Chat

# A 2×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAEElEQVR4nGP4z8DAwMDAAAAeBAL+ZDuWvQAAAABJRU5ErkJggg==")

FILES = """return [...document.querySelectorAll('#messages li.message .attachment')].map(a => [
    a.classList.contains('image') ? 'image' : 'card', a.getAttribute('href'), a.textContent,
    a.querySelector('img')?.naturalWidth ?? null])"""


def png(width, height, rgb):
    """A one-colour PNG of any size, written with the standard library."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = (b"\x00" + bytes(rgb) * width) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def attach(chat, path):
    chat.js("document.getElementById('attach-input').hidden = false")
    chat.find("#attach-input").send_keys(str(path))
    chat.js("document.getElementById('attach-input').hidden = true")


def test_shared_files_show_for_everyone_and_download(server, browsers, account, tmp_path):
    owner = account("fay_files", display_name="Fay")
    guest = account("gus_files", display_name="Gus")
    # A room of their own: the images shared here stay out of other tests' views of main.
    guest.join(owner.create_room("files-room")["id"])
    fay = Chat(browsers(), server).log_in("fay_files")
    gus = Chat(browsers(), server).log_in("gus_files")
    fay.open_room("files-room")
    gus.open_room("files-room")
    image = tmp_path / "logo.png"
    image.write_bytes(PNG)
    notes = tmp_path / "notes.txt"
    notes.write_text("minutes of the meeting\n")

    # An image with a caption typed first: it shows in place, loaded with the session.
    fay.type("our new logo")
    attach(fay, image)
    gus.wait(lambda: "our new logo" in gus.texts(), message="gus did not get the file message")
    gus.wait(lambda: any(f[0] == "image" and f[3] == 2 for f in gus.js(FILES)), message=f"the image did not load: {gus.js(FILES)}")
    assert fay.find("#composer-text").get_attribute("value") == ""
    kind, href, _, _ = [f for f in gus.js(FILES) if f[0] == "image"][-1]
    assert href.startswith("/api/files/")

    # Any other file: a card with its name and size that downloads it.
    attach(fay, notes)
    gus.wait(lambda: any(f[0] == "card" and "notes.txt" in f[2] for f in gus.js(FILES)), message="no card for the text file")
    card = [f for f in gus.js(FILES) if f[0] == "card"][-1]
    assert "23 B" in card[2]
    downloaded = gus.driver.execute_async_script(
        "fetch(arguments[0]).then(r => r.text()).then(arguments[arguments.length - 1])", card[1])
    assert downloaded == "minutes of the meeting\n"
    assert fay.js("return document.getElementById('uploads').hidden") is True


def test_an_upload_shows_its_progress_and_can_be_cancelled_and_several_files_share_in_order(server, browsers, account, tmp_path):
    owner = account("hana_upload", display_name="Hana")
    room = owner.create_room("upload-room")["id"]
    hana = Chat(browsers(), server).log_in("hana_upload")
    hana.open_room("upload-room")
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 8192)  # 2 MiB

    # A slow uplink (256 KiB/s, Chromium's own throttling): the upload takes seconds, and shows it.
    hana.network(upload_bytes_per_second=256 * 1024)
    # The caption leaves the box as the upload starts.
    hana.type("the big one")
    attach(hana, big)
    hana.wait(lambda: hana.js("return document.querySelector('#uploads progress')?.value ?? 0") > 0.05,
              message="no progress shown")
    assert hana.js("return document.getElementById('composer-text').value") == ""
    row = hana.js("""const row = document.querySelector('#uploads .upload');
        return [row.querySelector('.file-name').textContent, row.querySelector('progress').value, row.querySelector('.upload-percent').textContent]""")
    assert row[0] == "big.bin" and 0 < row[1] < 1 and row[2].endswith("%"), row
    assert "Sharing big.bin" in hana.text_of("upload-status")

    # Cancel stops it: nothing is shared, the row goes, and no error shows.
    hana.find("#uploads button").click()
    hana.wait(lambda: hana.js("return document.getElementById('uploads').hidden"), message="the upload row stayed")
    assert hana.text_of("upload-status") == "Sharing big.bin was cancelled."
    assert hana.js("return document.getElementById('composer-error').hidden") is True
    # The caption is back in the box, to send again.
    assert hana.js("return document.getElementById('composer-text').value") == "the big one"
    hana.js("const box = document.getElementById('composer-text'); box.value = ''; box.dispatchEvent(new Event('input'))")
    hana.network()
    assert not any(m.get("file") for m in owner.history(room))

    # Two files chosen at once are two messages, in the order chosen (the first is the larger, slower
    # one); the typed caption goes with the first.
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("first file " * 100_000)
    second.write_text("second file")
    hana.type("both of them")
    hana.js("document.getElementById('attach-input').hidden = false")
    hana.find("#attach-input").send_keys(f"{first}\n{second}")
    hana.js("document.getElementById('attach-input').hidden = true")
    hana.wait(lambda: len([m for m in owner.history(room) if m.get("file")]) == 2, message="the two files were not shared")
    shared = [(m["file"]["name"], m["text"]) for m in reversed(owner.history(room)) if m.get("file")]
    assert shared == [("a.txt", "both of them"), ("b.txt", "")], shared
    hana.wait(lambda: hana.js("return document.getElementById('uploads').hidden"))
    assert hana.js("return document.getElementById('composer-text').value") == ""

    # One the server refuses says so, and the status line no longer says it is being shared.
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    attach(hana, empty)
    hana.wait(lambda: "empty.txt was not shared" in hana.text_of("composer-error"), message="no error for an empty file")
    assert "Sharing empty.txt" not in hana.text_of("upload-status")


def test_files_picked_together_go_to_the_room_they_were_picked_in_when_another_room_opens_meanwhile(server, browsers, account, tmp_path):
    owner = account("pia_queue", display_name="Pia")
    group = owner.create_room("pia-group", kind="group")["id"]
    public = owner.create_room("pia-public")["id"]
    pia = Chat(browsers(), server).log_in("pia_queue")
    pia.open_room("pia-group")
    first, second = tmp_path / "first.bin", tmp_path / "second.txt"
    first.write_bytes(bytes(range(256)) * 4096 * 3)  # 3 MiB: about 6 s at 512 KiB/s
    second.write_text("the second one")

    # Two files picked at once on a slow uplink, the second waiting for the first; a caption with the first.
    pia.network(upload_bytes_per_second=512 * 1024)
    pia.type("for the group")
    pia.js("document.getElementById('attach-input').hidden = false")
    pia.find("#attach-input").send_keys(f"{first}\n{second}")
    pia.js("document.getElementById('attach-input').hidden = true")
    pia.wait(lambda: pia.js("return document.querySelectorAll('#uploads .upload').length") == 2, message="no upload rows")

    # Another room opens while they go: its box shows none of them, nor is their progress shown there.
    pia.open_room("pia-public")
    assert pia.js("return document.getElementById('uploads').hidden") is True
    assert pia.js("return [...document.querySelectorAll('#uploads .upload')].filter(r => !r.hidden).length") == 0
    # Back in the group, they show again, still going.
    pia.open_room("pia-group")
    rows = pia.js("return [...document.querySelectorAll('#uploads .upload')].filter(r => !r.hidden).map(r => r.querySelector('.file-name').textContent)")
    assert rows and rows[-1] == "second.txt", rows
    assert pia.js("return document.getElementById('uploads').hidden") is False
    pia.open_room("pia-public")

    # Both are shared in the group, in order, the caption with the first; none in the room open when their turn came.
    pia.wait(lambda: len([m for m in owner.history(group) if m.get("file")]) == 2, timeout=60, message="the two files were not shared in the group")
    shared = [(m["file"]["name"], m["text"]) for m in reversed(owner.history(group)) if m.get("file")]
    assert shared == [("first.bin", "for the group"), ("second.txt", "")], shared
    assert not any(m.get("file") for m in owner.history(public))
    # Said of the room they went to, which is not the open one.
    pia.wait(lambda: pia.text_of("upload-status") == "second.txt shared in #pia-group.", message=pia.text_of("upload-status"))
    assert pia.js("return document.getElementById('uploads').hidden") is True
    assert pia.find("#composer-text").get_attribute("value") == ""
    pia.network()


def test_a_large_picture_shows_as_its_thumbnail_in_a_place_kept_for_it(server, browsers, account, tmp_path):
    owner = account("ivo_pictures", display_name="Ivo")
    room = owner.create_room("pictures-room")["id"]
    ivo = Chat(browsers(), server).log_in("ivo_pictures")
    ivo.open_room("pictures-room")
    photo = tmp_path / "photo.png"
    photo.write_bytes(png(1200, 900, (30, 120, 200)))

    ivo.type("the view")
    attach(ivo, photo)
    shown = """const img = document.querySelector('#messages li.message .attachment.image img');
        return img && [img.getAttribute('src'), img.getAttribute('width'), img.getAttribute('height'), img.naturalWidth,
                       img.closest('a').getAttribute('href'), [img.clientWidth, img.clientHeight]]"""
    ivo.wait(lambda: (ivo.js(shown) or [None] * 4)[3] == 800, message=f"the thumbnail did not load: {ivo.js(shown)}")
    src, width, height, _, href, box = ivo.js(shown)
    # The 800-pixel thumbnail shows, in the 420×315 the picture's size keeps for it; the link opens the picture itself.
    assert src.endswith("/thumbnail") and href == src.removesuffix("/thumbnail"), (src, href)
    assert (width, height) == ("420", "315"), (width, height)
    # Shown at the picture's proportions (4:3), however wide the timeline lets it be.
    assert box[0] > 300 and abs(box[1] - box[0] * 3 / 4) <= 1, box
    original = ivo.driver.execute_async_script(
        "fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => arguments[arguments.length - 1](b.byteLength))", href)
    assert original == photo.stat().st_size

    # The room's only picture has no arrows beside it in the viewer: their room is the picture's (a hunt).
    ivo.find("#messages li.message .attachment.image").click()
    arrows = "return ['viewer-previous', 'viewer-next'].map(id => getComputedStyle(document.getElementById(id)).display)"
    ivo.wait(lambda: ivo.js("return document.getElementById('viewer-dialog').open"), message="the viewer did not open")
    assert ivo.js(arrows) == ["none", "none"], ivo.js(arrows)
    ActionChains(ivo.driver).send_keys(Keys.ESCAPE).perform()
    ivo.wait(lambda: not ivo.js("return document.getElementById('viewer-dialog').open"), message="Esc did not close the viewer")

    # A click opens the picture whole in the viewer; ← and → go through the room's pictures; Esc closes it.
    second = tmp_path / "second.png"
    second.write_bytes(png(300, 200, (200, 40, 40)))
    attach(ivo, second)
    ivo.wait(lambda: ivo.js("return document.querySelectorAll('#messages .attachment.image img').length") == 2)
    ivo.find("#messages li.message .attachment.image").click()
    viewer = """const d = document.getElementById('viewer-dialog'), img = document.getElementById('viewer-image');
        return [d.open, img.getAttribute('src'), img.naturalWidth, document.getElementById('viewer-name').textContent,
                document.getElementById('viewer-position').textContent]"""
    ivo.wait(lambda: ivo.js(viewer)[2] == 1200, message=f"the viewer did not show the picture: {ivo.js(viewer)}")
    assert ivo.js(viewer) == [True, href, 1200, "photo.png", "1 of 2"]
    assert "none" not in ivo.js(arrows), ivo.js(arrows)
    assert len(ivo.driver.window_handles) == 1
    ActionChains(ivo.driver).send_keys(Keys.ARROW_RIGHT).perform()
    ivo.wait(lambda: ivo.js(viewer)[2] == 300 and ivo.js(viewer)[3:] == ["second.png", "2 of 2"], message=f"→: {ivo.js(viewer)}")
    ActionChains(ivo.driver).send_keys(Keys.ESCAPE).perform()
    ivo.wait(lambda: ivo.js(viewer)[0] is False, message="Esc did not close the viewer")

    # A thread's panel shows its first message's picture the same way.
    owner.post(room, "lovely", reply_to=int(ivo.message_id("the view")))
    ivo.wait(lambda: ivo.message("the view").find_elements("css selector", ".thread-link"), message="no thread link")
    ivo.message("the view").find_element("css selector", ".thread-link").click()
    in_thread = "return document.querySelector('#thread-root .attachment.image img')?.naturalWidth ?? 0"
    ivo.wait(lambda: ivo.js(in_thread) == 800, message="the thread did not show the thumbnail")


def test_audio_and_video_play_in_place_and_a_player_keeps_playing_when_its_message_changes(server, browsers, account, tmp_path):
    owner = account("uma_media", display_name="Uma")
    owner.create_room("media-room")
    uma = Chat(browsers(), server).log_in("uma_media")
    uma.open_room("media-room")
    memo = tmp_path / "memo.wav"
    with wave.open(str(memo), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(2 * 8000)))

    # A voice memo: a player that has read its length (2 s), with the card that downloads it below.
    uma.type("listen")
    attach(uma, memo)
    player = "document.querySelector('#messages li.message .attachment.media audio')"
    uma.wait(lambda: (uma.js(f"return {player}?.duration ?? 0") or 0) > 1.9, message="the player did not read the memo")
    assert abs(uma.js(f"return {player}.duration") - 2.0) < 0.05
    assert uma.js("return document.querySelector('#messages .attachment.media a.card').getAttribute('download')") == "memo.wav"

    # Playing (muted, as there was no click), it goes on when a reaction rebuilds the message.
    uma.js(f"const a = {player}; a.kept = true; a.muted = true; a.loop = true; return a.play()")
    uma.wait(lambda: uma.js(f"return !{player}.paused && {player}.currentTime > 0"), message="the memo did not play")
    message = int(uma.message_id("listen"))
    owner.call("PUT", f"/api/messages/{message}/reactions/%F0%9F%91%8D", expect=200)
    uma.wait(lambda: uma.message("listen").find_elements("css selector", ".reactions button"), message="the reaction did not show")
    assert uma.js(f"return [{player}.kept === true, {player}.paused]") == [True, False]

    # A video shows a player too (these bytes do not play; the element is what is checked).
    clip = tmp_path / "clip.webm"
    clip.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(64))
    uma.type("watch")
    attach(uma, clip)
    uma.wait(lambda: uma.js("return document.querySelectorAll('#messages .attachment.media video').length") == 1,
             message="no video player")
    src = uma.js("return document.querySelector('#messages .attachment.media video').getAttribute('src')")
    assert src.startswith("/api/files/")

    # A phone's voice memo (M4A) plays in place too, where the browser says it may; a type it cannot
    # play is a download card.
    room = uma.js("return [...document.querySelectorAll('a.room-link')].find(a => a.dataset.name === 'media-room').dataset.room")
    share(server, owner, int(room), "voice memo.m4a", "audio/mp4", b"\x00\x00\x00\x18ftypM4A " + bytes(64))
    share(server, owner, int(room), "odd.bin", "audio/x-no-such-codec", bytes(64))
    can_play = uma.js("return document.createElement('audio').canPlayType('audio/mp4') !== ''")
    assert can_play
    uma.wait(lambda: uma.js("return document.querySelectorAll('#messages .attachment.media audio').length") == 2,
             message="no player for the M4A memo")
    odd = """const name = [...document.querySelectorAll('#messages .file-name')].find(n => n.textContent === 'odd.bin');
        return name ? [!!name.closest('.attachment.card'), !!name.closest('li.message').querySelector('audio, video')] : null"""
    uma.wait(lambda: uma.js(odd) is not None, message="the odd file did not show")
    assert uma.js(odd) == [True, False]


ROOM_FILES = """return [...document.querySelectorAll('#files-list li.file-entry')].map(li => [
    li.querySelector('.file-name').textContent, li.querySelector('.file-preview img')?.naturalWidth ?? null])"""


def share(server, account, room, name, content_type, data):
    # %20 for a space: the server reads `+` as a plus, as the web client expects.
    response = requests.post(f"{server.url}/api/rooms/{room}/files?name={quote(name)}", data=data,
                             headers={**account.headers, "Content-Type": content_type})
    assert response.status_code == 201, response.text
    return response.json()["message"]


def test_a_rooms_files_list_by_kind_and_name_keeps_in_step_and_opens_their_messages(server, browsers, account):
    owner = account("jo_files", display_name="Jo")
    reader = account("kit_files", display_name="Kit")
    room = owner.create_room("files-list-room")["id"]
    photo = share(server, owner, room, "photo.png", "image/png", png(40, 30, (10, 160, 90)))
    share(server, owner, room, "memo.wav", "audio/wav", b"RIFF" + bytes(60))
    report = share(server, owner, room, "report.pdf", "application/pdf", b"%PDF-1.4 not much of a report")
    # Enough talk after them that the photo's message is not among the first page the room loads.
    for n in range(60):
        owner.post(room, f"chatter {n:02d}")
    # Joined after them: nothing is unread, so the room opens at the newest (not at a first unread).
    reader.join(room)
    kit = Chat(browsers(), server).log_in("kit_files")
    kit.open_room("files-list-room")
    kit.wait(lambda: "chatter 59" in kit.texts(), message="the room did not load")
    shown = "return document.querySelector(`#messages li[data-id='${arguments[0]}']`) !== null"
    assert kit.js(shown, photo["id"]) is False

    # The list: newest first, a picture as its thumbnail, the rest as an icon.
    kit.find("#files-open").click()
    kit.wait(lambda: [name for name, _ in kit.js(ROOM_FILES)] == ["report.pdf", "memo.wav", "photo.png"],
             message=f"the files were not listed: {kit.js(ROOM_FILES)}")
    kit.wait(lambda: kit.js(ROOM_FILES)[2][1] == 40, message=f"the thumbnail did not load: {kit.js(ROOM_FILES)}")
    assert kit.text_of("files-status") == "3 files."
    assert kit.text_of("files-dialog-title") == "Files in files-list-room"
    # The name downloads the file.
    href = kit.js("return document.querySelector('#files-list .file-name').getAttribute('href')")
    assert href == report["file"]["url"]

    # By kind, and by name.
    Select(kit.find("#files-kind")).select_by_value("pictures")
    kit.wait(lambda: [name for name, _ in kit.js(ROOM_FILES)] == ["photo.png"], message=f"pictures: {kit.js(ROOM_FILES)}")
    Select(kit.find("#files-kind")).select_by_value("media")
    kit.wait(lambda: [name for name, _ in kit.js(ROOM_FILES)] == ["memo.wav"], message=f"media: {kit.js(ROOM_FILES)}")
    Select(kit.find("#files-kind")).select_by_value("")
    kit.find("#files-name").send_keys("REP")
    kit.wait(lambda: [name for name, _ in kit.js(ROOM_FILES)] == ["report.pdf"], message=f"by name: {kit.js(ROOM_FILES)}")
    kit.find("#files-name").send_keys("x")
    kit.wait(lambda: kit.text_of("files-status") == "No files match.", message="no empty answer")
    kit.js("const box = document.getElementById('files-name'); box.value = ''; box.dispatchEvent(new Event('input'))")
    kit.wait(lambda: len(kit.js(ROOM_FILES)) == 3, message=f"the filter was not cleared: {kit.js(ROOM_FILES)}")

    # While it is open, a file shared joins the list, and one whose message is deleted leaves it.
    share(server, owner, room, "late.txt", "text/plain", b"late")
    kit.wait(lambda: [name for name, _ in kit.js(ROOM_FILES)] == ["late.txt", "report.pdf", "memo.wav", "photo.png"],
             message=f"the new file did not join: {kit.js(ROOM_FILES)}")
    owner.call("DELETE", f"/api/messages/{report['id']}", expect=204)
    kit.wait(lambda: [name for name, _ in kit.js(ROOM_FILES)] == ["late.txt", "memo.wav", "photo.png"],
             message=f"the deleted file stayed: {kit.js(ROOM_FILES)}")

    # "Show in chat" closes the list and opens the room at the message, though it was not loaded.
    kit.js("document.querySelector(`#files-list li[data-message='${arguments[0]}'] button.secondary`).click()", photo["id"])
    kit.wait(lambda: not kit.dialog_open("files-dialog"), message="the list stayed open")
    kit.wait(lambda: kit.js(shown, photo["id"]), message="the photo's message was not shown")
    assert kit.js("return document.querySelector(`#messages li[data-id='${arguments[0]}'] .attachment.image`) !== null", photo["id"])
