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
    assert fay.js("return document.getElementById('upload-status').hidden") is True
