"""Sharing files in the browser: an image shows in place for everyone, other files as a card that
downloads them, and a caption from the message box."""
import base64

from parley_browser import Chat

# A 2×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAEElEQVR4nGP4z8DAwMDAAAAeBAL+ZDuWvQAAAABJRU5ErkJggg==")

FILES = """return [...document.querySelectorAll('#messages li.message .attachment')].map(a => [
    a.classList.contains('image') ? 'image' : 'card', a.getAttribute('href'), a.textContent,
    a.querySelector('img')?.naturalWidth ?? null])"""


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


def test_an_upload_shows_its_progress_and_can_be_cancelled_and_several_files_share_at_once(server, browsers, account, tmp_path):
    owner = account("hana_upload", display_name="Hana")
    room = owner.create_room("upload-room")["id"]
    hana = Chat(browsers(), server).log_in("hana_upload")
    hana.open_room("upload-room")
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 8192)  # 2 MiB

    # A slow uplink (256 KiB/s, Chromium's own throttling): the upload takes seconds, and shows it.
    hana.driver.execute_cdp_cmd("Network.enable", {})
    hana.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 256 * 1024})
    attach(hana, big)
    hana.wait(lambda: hana.js("return document.querySelector('#uploads progress')?.value ?? 0") > 0.05,
              message="no progress shown")
    row = hana.js("""const row = document.querySelector('#uploads .upload');
        return [row.querySelector('.file-name').textContent, row.querySelector('progress').value, row.querySelector('.upload-percent').textContent]""")
    assert row[0] == "big.bin" and 0 < row[1] < 1 and row[2].endswith("%"), row
    assert "Sharing big.bin" in hana.text_of("upload-status")

    # Cancel stops it: nothing is shared, the row goes, and no error shows.
    hana.find("#uploads button").click()
    hana.wait(lambda: hana.js("return document.getElementById('uploads').hidden"), message="the upload row stayed")
    assert hana.text_of("upload-status") == "Sharing big.bin was cancelled."
    assert hana.js("return document.getElementById('composer-error').hidden") is True
    hana.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert not any(m.get("file") for m in owner.history(room))

    # Two files chosen at once are two messages; the typed caption goes with the first.
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("first file")
    second.write_text("second file")
    hana.type("both of them")
    hana.js("document.getElementById('attach-input').hidden = false")
    hana.find("#attach-input").send_keys(f"{first}\n{second}")
    hana.js("document.getElementById('attach-input').hidden = true")
    hana.wait(lambda: len([m for m in owner.history(room) if m.get("file")]) == 2, message="the two files were not shared")
    shared = sorted(((m["file"]["name"], m["text"]) for m in owner.history(room) if m.get("file")))
    assert shared == [("a.txt", "both of them"), ("b.txt", "")], shared
    hana.wait(lambda: hana.js("return document.getElementById('uploads').hidden"))
    assert hana.js("return document.getElementById('composer-text').value") == ""
