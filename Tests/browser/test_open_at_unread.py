"""Opening a room at its first unread message, refusing files over the server's upload limit before
sending them, and unread badges that follow blocks and notification levels."""
import time

from parley_browser import Chat


def in_view(chat, text):
    """Whether the message `text` of the open room shows (wholly or partly) in the message list."""
    return chat.js("""const list = document.getElementById('messages').getBoundingClientRect();
        const li = [...document.querySelectorAll('#messages li.message')]
          .find(n => n.querySelector('.text')?.textContent === arguments[0]);
        if (!li) return false;
        const box = li.getBoundingClientRect();
        return box.bottom > list.top && box.top < list.bottom""", text)


def server_unread(account, room):
    rooms = account.call("GET", "/api/rooms", expect=200).json()["mine"]
    return next(r["unread_count"] for r in rooms if r["id"] == room)


def test_a_room_with_more_unread_than_fits_opens_at_the_first_unread_and_reads_only_what_was_seen(server, browsers, account):
    ann = account("ann_openunread", display_name="Ann")
    bob = account("bob_openunread", display_name="Bob")
    room = ann.create_room("openunread-hist")["id"]
    bob.join(room)
    ann.post(room, "already read")
    bob.create_room("openunread-quiet")
    chat = Chat(browsers(), server).log_in("bob_openunread")
    chat.open_room("openunread-hist")
    chat.wait(lambda: server_unread(bob, room) == 0)
    chat.open_room("openunread-quiet")
    # More than the newest page (50) holds: the first unread is not in it.
    for n in range(80):
        ann.post(room, f"hist {n}")
    chat.wait(lambda: chat.badge("openunread-hist") == ["80", False], message="no badge of 80")

    chat.open_room("openunread-hist")
    chat.wait(lambda: in_view(chat, "hist 0"), message=lambda: f"the first unread is not in view: {chat.texts()[-5:]}")
    assert not in_view(chat, "hist 79")
    assert chat.js("""const divider = document.querySelector('#messages .unread-divider');
        return divider?.nextElementSibling?.querySelector('.text')?.textContent ?? null""") == "hist 0"
    assert chat.find("#jump-latest").is_displayed()
    # Only what was in view is read: well over the client's 150 ms before it tells the server.
    time.sleep(1.5)
    left = server_unread(bob, room)
    assert 0 < left < 80, left

    # "New messages" goes down to the newest, which reads the room.
    chat.find("#jump-latest").click()
    chat.wait(lambda: in_view(chat, "hist 79"), message="the newest did not come into view")
    chat.wait(lambda: server_unread(bob, room) == 0, message="going down did not read the room")
    chat.wait(lambda: chat.badge("openunread-hist") is None)


def test_a_room_whose_unread_all_fit_still_opens_at_the_bottom(server, browsers, account):
    ann = account("ann_fewunread", display_name="Ann")
    bob = account("bob_fewunread", display_name="Bob")
    room = ann.create_room("fewunread-hist")["id"]
    for n in range(40):
        ann.post(room, f"old {n}")
    # Joined after them: the old ones were never unread for Bob.
    bob.join(room)
    bob.create_room("fewunread-quiet")
    chat = Chat(browsers(), server).log_in("bob_fewunread")
    chat.open_room("fewunread-quiet")
    for n in range(3):
        ann.post(room, f"new {n}")
    chat.wait(lambda: chat.badge("fewunread-hist") == ["3", False])
    chat.open_room("fewunread-hist")
    chat.wait(lambda: in_view(chat, "new 2"))
    assert chat.js("const l = document.getElementById('messages'); return l.scrollHeight - l.scrollTop - l.clientHeight") < 80
    chat.wait(lambda: server_unread(bob, room) == 0)


def test_a_file_over_the_servers_upload_limit_is_refused_at_once_without_sending_it(server, browsers, account, tmp_path):
    hana = account("hana_bigfile", display_name="Hana")
    hana.create_room("bigfile-room")
    limit = hana.call("GET", "/api/settings", expect=200).json()["limits"]["max_upload_bytes"]
    big = tmp_path / "huge.bin"
    with open(big, "wb") as out:
        out.truncate(limit + 1)  # sparse: nothing much on disk
    small = tmp_path / "small.txt"
    small.write_text("fits")
    chat = Chat(browsers(), server).log_in("hana_bigfile")
    chat.open_room("bigfile-room")
    chat.js("""window.uploadsSent = [];
        const send = XMLHttpRequest.prototype.send;
        const open = XMLHttpRequest.prototype.open;
        XMLHttpRequest.prototype.open = function (method, url, ...rest) { this.target = url; return open.call(this, method, url, ...rest); };
        XMLHttpRequest.prototype.send = function (body) { window.uploadsSent.push(String(this.target)); return send.call(this, body); };
        const fetch = window.fetch;
        window.fetch = (input, init) => { if (/files/.test(String(input))) window.uploadsSent.push(String(input)); return fetch(input, init); };""")
    attach_file(chat, big)
    megabytes = limit / (1024 * 1024)
    shown = str(int(megabytes)) if megabytes == int(megabytes) else f"{megabytes:.1f}"
    chat.wait(lambda: chat.text_of("composer-error") == f"huge.bin is larger than the {shown} MB this server takes.",
              timeout=5, message=lambda: f"error shown: {chat.text_of('composer-error')!r}")
    assert chat.js("return window.uploadsSent") == []
    assert chat.js("return document.querySelectorAll('#uploads li.upload').length") == 0
    # A file within the limit still goes.
    attach_file(chat, small)
    chat.wait(lambda: chat.js("return document.querySelectorAll('#messages li.message .attachment').length") == 1)


def attach_file(chat, path):
    chat.js("document.getElementById('attach-input').hidden = false")
    chat.find("#attach-input").send_keys(str(path))
    chat.js("document.getElementById('attach-input').hidden = true")


def test_blocking_or_unblocking_someone_elsewhere_brings_the_badges_to_the_servers_count(server, browsers, account):
    ann = account("ann_blockcount", display_name="Ann")
    bob = account("bob_blockcount", display_name="Bob")
    cid = account("cid_blockcount", display_name="Cid")
    room = ann.create_room("blockcount-hall")["id"]
    bob.join(room)
    cid.join(room)
    ann.create_room("blockcount-quiet")
    chat = Chat(browsers(), server).log_in("ann_blockcount")
    chat.open_room("blockcount-quiet")
    bob.post(room, "hey @ann_blockcount")
    bob.post(room, "still me")
    cid.post(room, "hello all")
    chat.wait(lambda: chat.badge("blockcount-hall") == ["3", True], message="no badge")

    # Blocked from another device of mine: his messages count no more, his mention neither.
    ann.call("PUT", f"/api/me/blocks/{bob.id}", expect=None)
    chat.wait(lambda: chat.badge("blockcount-hall") == ["1", False],
              message=lambda: f"the badge stayed {chat.badge('blockcount-hall')}")
    assert server_unread(ann, room) == 1
    # Unblocked: they count again.
    ann.call("DELETE", f"/api/me/blocks/{bob.id}", expect=None)
    chat.wait(lambda: chat.badge("blockcount-hall") == ["3", True],
              message=lambda: f"the badge stayed {chat.badge('blockcount-hall')}")


def test_a_room_at_level_none_keeps_counting_so_switching_back_shows_the_servers_count(server, browsers, account):
    ann = account("ann_levelcount", display_name="Ann")
    bob = account("bob_levelcount", display_name="Bob")
    room = ann.create_room("levelcount-hall")["id"]
    bob.join(room)
    ann.create_room("levelcount-quiet")
    chat = Chat(browsers(), server).log_in("ann_levelcount")
    chat.open_room("levelcount-hall")
    chat.find("#room-notify").click()
    chat.wait(lambda: chat.dialog_open("notify-dialog"))
    chat.find('#notify-levels input[value="none"]').click()
    chat.find("#notify-submit").click()
    chat.wait(lambda: chat.find("#room-notify").get_attribute("data-level") == "none")
    chat.open_room("levelcount-quiet")
    for n in range(3):
        bob.post(room, f"quiet {n}")
    chat.wait(lambda: server_unread(ann, room) == 3)
    time.sleep(1)
    # Muted: no badge shows.
    assert chat.badge("levelcount-hall") is None

    # Back to every message (as the room's settings would, without opening it): the server's count shows.
    chat.driver.execute_async_script("""const done = arguments[arguments.length - 1];
        import('/actions.js').then((actions) => actions.setNotifyLevel(arguments[0], 'all')).then(() => done(true));""", room)
    chat.wait(lambda: chat.badge("levelcount-hall") == ["3", False],
              message=lambda: f"the badge is {chat.badge('levelcount-hall')}, the server counts {server_unread(ann, room)}")
