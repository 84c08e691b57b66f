"""Profiles in the browser: writing a bio in the settings, and opening someone's profile from a
message to read it, see the rooms we share and message them."""
import struct
import zlib

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from parley_browser import Chat


def test_a_bio_written_in_settings_shows_on_the_profile_others_open(server, browsers, account):
    hal = account("hal_profile", display_name="Hal")
    ivy = account("ivy_profile", display_name="Ivy")
    room = hal.create_room("profile-room")["id"]
    ivy.join(room)
    hal_chat = Chat(browsers(), server).log_in("hal_profile")

    # Hal writes about himself in his settings.
    hal_chat.find("#profile-open").click()
    hal_chat.wait(lambda: hal_chat.dialog_open("profile-dialog"))
    hal_chat.wait(lambda: hal_chat.find("#profile-receipts").is_enabled())
    bio = hal_chat.find("#profile-bio")
    bio.send_keys("Keeps the pod bay doors.", Keys.SHIFT, Keys.ENTER, Keys.SHIFT, "Sings Daisy.")
    hal_chat.find("#profile-save").click()
    hal_chat.wait(lambda: hal_chat.text_of("profile-saved") == "Saved.")
    hal_chat.find("#profile-dialog [data-close]").click()
    hal_chat.wait(lambda: not hal_chat.dialog_open("profile-dialog"))
    assert ivy.call("GET", f"/api/users/{hal.id}", expect=200).json()["user"]["bio"] == "Keeps the pod bay doors.\nSings Daisy."

    hal_chat.open_room("profile-room")
    hal_chat.send("good afternoon")
    ivy_chat = Chat(browsers(), server).log_in("ivy_profile")
    ivy_chat.open_room("profile-room")
    ivy_chat.wait(lambda: "good afternoon" in ivy_chat.texts())

    # Ivy opens Hal's profile from his name on the message.
    ivy_chat.message("good afternoon").find_element("css selector", ".author").click()
    ivy_chat.wait(lambda: ivy_chat.dialog_open("user-dialog"))
    ivy_chat.wait(lambda: ivy_chat.text_of("user-dialog-bio") == "Keeps the pod bay doors.\nSings Daisy.")
    assert ivy_chat.text_of("user-dialog-name") == "Hal"
    assert ivy_chat.text_of("user-dialog-username") == "@hal_profile"
    assert ivy_chat.text_of("user-dialog-presence") == "Online"
    shared = ivy_chat.js("return [...document.querySelectorAll('#user-dialog-rooms button')].map(b => b.textContent)")
    assert shared == ["#main", "#profile-room"]

    # "Message" opens their DM.
    ivy_chat.find("#user-dialog-message").click()
    ivy_chat.wait(lambda: not ivy_chat.dialog_open("user-dialog"))
    ivy_chat.wait(lambda: ivy_chat.room_title() == "Hal", message="the DM did not open")


def png(width, height, pixel):
    """A true-colour PNG whose pixel (x, y) is `pixel(x, y)` as (r, g, b)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# The colour of the shown picture at (x, y) of its 256×256, read back through a canvas.
PIXEL = """const img = document.querySelector(arguments[0]);
if (!img || !img.complete || !img.naturalWidth) return null;
const canvas = document.createElement('canvas'); canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
const context = canvas.getContext('2d'); context.drawImage(img, 0, 0);
return [img.naturalWidth, ...context.getImageData(arguments[1], arguments[2], 1, 1).data.slice(0, 3)];"""


def test_a_picture_chosen_in_settings_shows_for_everyone_at_once_and_can_be_removed(server, browsers, account, tmp_path):
    hal = account("hal_avatar", display_name="Hal")
    ivy = account("ivy_avatar", display_name="Ivy")
    room = hal.create_room("avatar-room")["id"]
    ivy.join(room)
    hal.post(room, "before the picture")
    ivy_chat = Chat(browsers(), server).log_in("ivy_avatar")
    ivy_chat.open_room("avatar-room")
    ivy_chat.wait(lambda: "before the picture" in ivy_chat.texts())
    hal_avatar = "#messages li.message[data-sender='%d'] > .avatar" % hal.id
    assert ivy_chat.js("return document.querySelector(arguments[0]).textContent", hal_avatar) == "H"

    # A wide picture, red on the left and blue on the right: the middle square is kept.
    picture = tmp_path / "wide.png"
    picture.write_bytes(png(64, 32, lambda x, y: (220, 20, 20) if x < 32 else (20, 20, 220)))
    hal_chat = Chat(browsers(), server).log_in("hal_avatar")
    hal_chat.find("#profile-open").click()
    hal_chat.wait(lambda: hal_chat.dialog_open("profile-dialog"))
    assert not hal_chat.find("#profile-avatar-remove").is_displayed()
    hal_chat.js("document.getElementById('profile-avatar-file').hidden = false")
    hal_chat.find("#profile-avatar-file").send_keys(str(picture))
    hal_chat.js("document.getElementById('profile-avatar-file').hidden = true")
    hal_chat.wait(lambda: hal_chat.find("#profile-avatar-remove").is_displayed(), message="the picture was not set")

    # The server holds a 256×256 WebP made by the browser, and says so in every summary of Hal.
    me = hal.call("GET", "/api/me", expect=200).json()["user"]
    assert me["avatar_url"].startswith(f"/api/users/{hal.id}/avatar?v=")
    stored = ivy.call("GET", me["avatar_url"], expect=200)
    assert stored.headers["Content-Type"] == "image/webp"
    assert stored.content[:4] == b"RIFF" and stored.content[8:12] == b"WEBP"

    # Ivy, with the room open, sees it replace Hal's initials at once, on his message and in the
    # member list; the left of it is red and the right blue.
    ivy_chat.wait(lambda: ivy_chat.js(PIXEL, hal_avatar + " img", 40, 128) is not None, message="ivy does not see the picture")
    width, *left = ivy_chat.js(PIXEL, hal_avatar + " img", 40, 128)
    _, *right = ivy_chat.js(PIXEL, hal_avatar + " img", 216, 128)
    assert width == 256
    assert left[0] > 150 and left[2] < 80, left
    assert right[2] > 150 and right[0] < 80, right
    assert ivy_chat.js("return document.querySelector(arguments[0] + ' img').getAttribute('src')", hal_avatar) == me["avatar_url"]

    # His own sidebar shows it too; removing it brings back the initials for both.
    hal_chat.wait(lambda: hal_chat.js("return document.querySelector('#me-avatar img')?.getAttribute('src')") == me["avatar_url"])
    hal_chat.find("#profile-avatar-remove").click()
    hal_chat.wait(lambda: not hal_chat.find("#profile-avatar-remove").is_displayed())
    assert hal_chat.js("return document.activeElement.id") == "profile-avatar-choose"
    ivy_chat.wait(lambda: ivy_chat.js("return document.querySelector(arguments[0] + ' img')", hal_avatar) is None,
                  message="the picture did not go away")
    assert ivy_chat.js("return document.querySelector(arguments[0]).textContent", hal_avatar) == "H"
    hal_chat.wait(lambda: hal_chat.js("return document.querySelector('#me-avatar img')") is None)

    # A file that is not an image is refused with a message, and nothing changes.
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    hal_chat.js("document.getElementById('profile-avatar-file').hidden = false")
    hal_chat.find("#profile-avatar-file").send_keys(str(text))
    hal_chat.js("document.getElementById('profile-avatar-file').hidden = true")
    hal_chat.wait(lambda: "not an image" in hal_chat.text_of("profile-avatar-error"))
    assert hal.call("GET", "/api/me", expect=200).json()["user"]["avatar_url"] is None


def test_a_time_zone_chosen_in_settings_shows_the_local_time_on_the_profile(server, browsers, account):
    kit = account("kit_tz", display_name="Kit")
    lou = account("lou_tz", display_name="Lou")
    room = kit.create_room("tz-room")["id"]
    lou.join(room)
    kit.post(room, "morning from Tokyo")
    kit_chat = Chat(browsers(), server).log_in("kit_tz")
    kit_chat.find("#profile-open").click()
    kit_chat.wait(lambda: kit_chat.dialog_open("profile-dialog"))
    kit_chat.wait(lambda: kit_chat.find("#profile-receipts").is_enabled())
    assert kit_chat.find("#profile-time-zone").get_attribute("value") == ""
    # "Use this device's" picks the browser's own zone.
    device = kit_chat.js("return Intl.DateTimeFormat().resolvedOptions().timeZone")
    kit_chat.find("#profile-time-zone-detect").click()
    assert kit_chat.find("#profile-time-zone").get_attribute("value") == device
    Select(kit_chat.find("#profile-time-zone")).select_by_value("Asia/Tokyo")
    kit_chat.find("#profile-save").click()
    kit_chat.wait(lambda: kit_chat.text_of("profile-saved") == "Saved.")
    assert lou.call("GET", f"/api/users/{kit.id}", expect=200).json()["user"]["time_zone"] == "Asia/Tokyo"

    lou_chat = Chat(browsers(), server).log_in("lou_tz")
    lou_chat.open_room("tz-room")
    lou_chat.wait(lambda: "morning from Tokyo" in lou_chat.texts())
    lou_chat.message("morning from Tokyo").find_element("css selector", ".author").click()
    lou_chat.wait(lambda: lou_chat.dialog_open("user-dialog"))
    # The time in Tokyo (as the browser itself tells it) and how far ahead it is of Lou's browser.
    expected = """const now = new Date();
        const time = new Intl.DateTimeFormat(navigator.languages, {hour: 'numeric', minute: '2-digit', timeZone: 'Asia/Tokyo'}).format(now);
        const hours = (9 * 60 + now.getTimezoneOffset()) / 60;
        const apart = hours === 0 ? 'the same time as you' : `${Math.abs(hours)} ${Math.abs(hours) === 1 ? 'hour' : 'hours'} ${hours > 0 ? 'ahead of' : 'behind'} you`;
        const day = (timeZone) => new Intl.DateTimeFormat('en-CA', {year: 'numeric', month: '2-digit', day: '2-digit', timeZone}).format(now);
        const other = day('Asia/Tokyo') === day(undefined) ? '' : day('Asia/Tokyo') > day(undefined) ? ' tomorrow' : ' yesterday';
        return `Local time ${time}${other} (Asia/Tokyo) · ${apart}`"""
    lou_chat.wait(lambda: lou_chat.text_of("user-dialog-time") == lou_chat.js(expected),
                  message=lambda: f"{lou_chat.text_of('user-dialog-time')!r} against {lou_chat.js(expected)!r}")
    assert lou_chat.find("#user-dialog-time").is_displayed()
    # A DM with Kit says the time it is for Kit under the name.
    lou_chat.find("#user-dialog-message").click()
    lou_chat.wait(lambda: lou_chat.room_title() == "Kit", message="the DM did not open")
    tokyo = """const now = new Date();
        const day = (timeZone) => new Intl.DateTimeFormat('en-CA', {year: 'numeric', month: '2-digit', day: '2-digit', timeZone}).format(now);
        const other = day('Asia/Tokyo') === day(undefined) ? '' : day('Asia/Tokyo') > day(undefined) ? ' (tomorrow)' : ' (yesterday)';
        return new Intl.DateTimeFormat(navigator.languages, {hour: 'numeric', minute: '2-digit', timeZone: 'Asia/Tokyo'}).format(now) + ' local time' + other"""
    lou_chat.wait(lambda: lou_chat.text_of("room-topic") == f"@kit_tz · {lou_chat.js(tokyo)}",
                  message=lambda: f"the DM's header says {lou_chat.text_of('room-topic')!r}")

    # Another zone reaches the open DM at once (user.updated), with no reload.
    Select(kit_chat.find("#profile-time-zone")).select_by_value("America/New_York")
    kit_chat.find("#profile-save").click()
    new_york = tokyo.replace("Asia/Tokyo", "America/New_York")
    lou_chat.wait(lambda: lou_chat.text_of("room-topic") == f"@kit_tz · {lou_chat.js(new_york)}",
                  message=lambda: f"the DM's header says {lou_chat.text_of('room-topic')!r}")

    # "Not shown" takes it away again, from the open DM too.
    Select(kit_chat.find("#profile-time-zone")).select_by_value("")
    kit_chat.find("#profile-save").click()
    kit_chat.wait(lambda: lou.call("GET", f"/api/users/{kit.id}", expect=200).json()["user"]["time_zone"] is None)
    lou_chat.wait(lambda: lou_chat.text_of("room-topic") == "@kit_tz", message=lambda: f"the DM's header says {lou_chat.text_of('room-topic')!r}")


def test_time_zones_apart_by_parts_of_an_hour_say_hours_and_minutes(server, browsers, account):
    """How far someone's time is from mine, in hours and minutes (a hunt read "0.25 hours behind
    you" and "5.75 hours"). The browser's own zone is UTC here; the date is in December."""
    account("apart_reader")
    driver = browsers()
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "UTC"})
    chat = Chat(driver, server).log_in("apart_reader")
    apart = """const [zones, done] = [arguments[0], arguments[arguments.length - 1]];
        import('/format.js').then(m => done(zones.map(z => m.localTimeIn(z, new Date(Date.UTC(2026, 11, 7, 12))).apart)));"""
    zones = ["Asia/Kathmandu", "Asia/Kolkata", "America/St_Johns", "Asia/Tokyo", "Etc/GMT-1", "UTC"]
    assert chat.driver.execute_async_script(apart, zones) == [
        "5 hours 45 minutes ahead of you", "5 hours 30 minutes ahead of you", "3 hours 30 minutes behind you",
        "9 hours ahead of you", "1 hour ahead of you", "the same time as you",
    ]


def test_another_time_zones_day_is_named_when_it_is_not_mine(server, browsers, account):
    """Past their midnight (or before mine) their time says "tomorrow" or "yesterday" (a hunt: the
    DM header said "1:30 AM local time" with nothing to say it was already tomorrow there). The
    browser's own zone is UTC here."""
    account("day_reader")
    driver = browsers()
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "UTC"})
    chat = Chat(driver, server).log_in("day_reader")
    days = """const [zones, at, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
        import('/format.js').then(m => done(zones.map(z => m.localTimeIn(z, new Date(at)).day)));"""
    zones = ["Asia/Tokyo", "America/Los_Angeles", "Europe/Paris"]
    # 20:00 UTC: 5 AM the next day in Tokyo, noon in Los Angeles, 9 PM in Paris.
    assert chat.driver.execute_async_script(days, zones, "2026-12-07T20:00:00Z") == ["tomorrow", "", ""]
    # 02:00 UTC: 11 AM in Tokyo, 6 PM the day before in Los Angeles.
    assert chat.driver.execute_async_script(days, zones, "2026-12-07T02:00:00Z") == ["", "yesterday", ""]
