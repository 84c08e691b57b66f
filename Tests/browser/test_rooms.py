"""Rooms from the browser: create public rooms (with a password) and private groups, browse and join; close DMs."""
import tempfile
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from live_server import ParleyProcess
from parley_browser import GENEROUS_LIMITS, Account, Chat


def test_a_public_room_with_a_password_is_joined_with_it(server, browsers, account):
    account("host")
    account("guest")
    host = Chat(browsers(), server).log_in("host")
    host.find("#new-room").click()
    host.wait(lambda: host.find("#room-dialog").get_attribute("open") is not None)
    host.find("#room-name").send_keys("speakeasy")
    host.find("#room-topic-input").send_keys("say the word")
    host.find("#room-password").send_keys("swordfish")
    host.find("#room-submit").click()
    host.wait(lambda: host.room_title() == "speakeasy")
    assert host.text_of("room-topic") == "say the word"
    host.send("welcome in")
    host.wait(lambda: "welcome in" in host.texts())

    guest = Chat(browsers(), server).log_in("guest")
    assert "speakeasy" not in guest.sidebar_rooms()
    guest.find("#browse-rooms").click()
    guest.wait(lambda: guest.js("return !!document.querySelector('#browse-list li[data-name=\"speakeasy\"] button')"))
    guest.find('#browse-list li[data-name="speakeasy"] button').click()
    guest.wait(lambda: guest.find("#password-dialog").get_attribute("open") is not None)
    guest.find("#room-join-password").send_keys("trout")
    guest.find("#password-form button[type=submit]").click()
    guest.wait(lambda: guest.text_of("password-error") == "That is not the password.")
    # The field is marked as what the error is about (an accessibility review), until it is edited.
    marked = "const e = document.getElementById('room-join-password'); return [e.getAttribute('aria-invalid'), e.getAttribute('aria-describedby')]"
    assert guest.js(marked) == ["true", "password-error"]
    guest.find("#room-join-password").send_keys(Keys.BACKSPACE)
    assert guest.js(marked) == [None, None]
    guest.find("#room-join-password").clear()
    guest.find("#room-join-password").send_keys("swordfish")
    guest.find("#password-form button[type=submit]").click()
    guest.wait(lambda: guest.room_title() == "speakeasy")
    guest.wait(lambda: guest.texts() == ["welcome in"])
    assert "speakeasy" in guest.sidebar_rooms()
    guest.send("thanks")
    host.wait(lambda: "thanks" in host.texts())


def test_enter_in_the_directory_filter_joins_the_first_room_listed(server, browsers, account):
    founder = account("founder_dir")
    founder.create_room("birdwatch", topic="binoculars")
    founder.create_room("birdsong")
    account("walker_dir")
    walker = Chat(browsers(), server).log_in("walker_dir")
    walker.find("#browse-rooms").click()
    walker.wait(lambda: walker.dialog_open("browse-dialog"))
    # Enter with nothing typed does nothing, and never closes the list.
    walker.find("#browse-filter").send_keys(Keys.ENTER)
    assert walker.dialog_open("browse-dialog")
    walker.find("#browse-filter").send_keys("binoc")
    walker.wait(lambda: walker.js("return [...document.querySelectorAll('#browse-list li.browse-item')].map(li => li.dataset.name)") == ["birdwatch"])
    walker.find("#browse-filter").send_keys(Keys.ENTER)
    walker.wait(lambda: walker.room_title() == "birdwatch")
    assert not walker.dialog_open("browse-dialog")
    assert "birdwatch" in walker.sidebar_rooms()
    assert "birdsong" not in walker.sidebar_rooms()


def test_a_private_group_is_created_with_a_member_who_sees_it_live(server, browsers, account):
    account("organiser")
    account("invitee")
    account("outsider")
    invitee = Chat(browsers(), server).log_in("invitee")
    organiser = Chat(browsers(), server).log_in("organiser")
    organiser.find("#new-group").click()
    organiser.wait(lambda: organiser.find("#room-dialog").get_attribute("open") is not None)
    assert not organiser.find("#room-password-field").is_displayed()
    organiser.find("#room-name").send_keys("planning")
    organiser.find("#room-member-input").send_keys("inv")
    organiser.wait(lambda: organiser.js("return !!document.querySelector('#room-member-results .option[data-username=invitee]')"))
    organiser.find("#room-member-results .option[data-username=invitee]").click()
    organiser.wait(lambda: organiser.text_of("room-member-chips") == "invitee")
    organiser.find("#room-submit").click()
    organiser.wait(lambda: organiser.room_title() == "planning")
    assert "planning" in organiser.sidebar_rooms("group-list")
    organiser.send("first agenda item")

    invitee.wait(lambda: "planning" in invitee.sidebar_rooms("group-list"), message="the group did not appear for the member")
    invitee.open_room("planning", "group-list")
    invitee.wait(lambda: invitee.texts() == ["first agenda item"])
    # Private groups are not in the public directory.
    outsider = Chat(browsers(), server).log_in("outsider")
    outsider.find("#browse-rooms").click()
    outsider.wait(lambda: "Loading" not in outsider.text_of("browse-list"))
    assert "planning" not in outsider.text_of("browse-list")


def test_leaving_a_room_removes_it_from_the_list(server, browsers, account):
    owner = account("landlord")
    room = owner.create_room("lobby")["id"]
    tenant = account("tenant")
    tenant.join(room)
    chat = Chat(browsers(), server).log_in("tenant")
    chat.open_room("lobby")
    chat.find("#leave-room").click()
    chat.confirm()
    chat.wait(lambda: "lobby" not in chat.sidebar_rooms(), message="the room stayed in the list")
    chat.wait(lambda: chat.room_title() == "main")
    members = owner.call("GET", f"/api/rooms/{room}/members", expect=200).json()["members"]
    assert [m["user"]["username"] for m in members] == ["landlord"]


def test_the_public_room_list_follows_rooms_created_renamed_and_deleted_elsewhere(server, browsers, account):
    host = account("impresario")
    account("browser")
    visitor = Chat(browsers(), server).log_in("browser")
    visitor.find("#browse-rooms").click()
    visitor.wait(lambda: "Loading" not in visitor.text_of("browse-list"))
    assert "cabaret" not in visitor.text_of("browse-list")
    # While the list is open, someone else creates, renames and deletes a room.
    room = host.create_room("cabaret")["id"]
    visitor.wait(lambda: "cabaret" in visitor.text_of("browse-list"), message="the new room did not appear")
    host.call("PATCH", f"/api/rooms/{room}", json={"name": "cabaret-nights"}, expect=200)
    visitor.wait(lambda: "cabaret-nights" in visitor.text_of("browse-list"), message="the rename did not show")
    host.call("DELETE", f"/api/rooms/{room}", expect=204)
    visitor.wait(lambda: "cabaret" not in visitor.text_of("browse-list"), message="the deleted room stayed")


def test_an_invite_link_made_in_the_member_panel_lets_someone_join_the_group(server, browsers, account):
    owner = account("ines_invites", display_name="Ines")
    account("jon_invites", display_name="Jon")
    account("kai_invites", display_name="Kai")
    group = owner.create_room("hideout", kind="group", topic="the quiet corner")["id"]
    ines = Chat(browsers(), server).log_in("ines_invites")
    ines.open_invites("hideout")
    ines.wait(lambda: ines.text_of("invite-list") == "No links yet.")
    # A link for one use.
    ines.js("document.getElementById('invite-uses').value = '1'")
    ines.find("#invite-create").click()
    ines.wait(lambda: ines.find("#invite-new").is_displayed())
    link = ines.find("#invite-link").get_attribute("value")
    assert link.startswith(f"{server.url}/#invite/") and len(link.rsplit("/", 1)[1]) == 32
    ines.js("window.copied = null; navigator.clipboard.writeText = (text) => { window.copied = text; return Promise.resolve(); }")
    ines.find("#invite-copy").click()
    ines.wait(lambda: ines.js("return window.copied") == link)
    ines.wait(lambda: "used 0 of 1" in ines.text_of("invite-list"))

    # Jon opens it: he sees the group's name, size and who invites him, and joins.
    jon = Chat(browsers(), server).log_in("jon_invites")
    jon.driver.get(link)
    jon.wait(lambda: jon.dialog_open("invite-dialog"), message="the invite did not open")
    jon.wait(lambda: jon.text_of("invite-text") == "Ines invites you to join the private group hideout (1 member).")
    assert jon.text_of("invite-topic") == "the quiet corner"
    jon.find("#invite-join").click()
    jon.wait(lambda: jon.room_title() == "hideout", message="the group did not open")
    assert "hideout" in jon.sidebar_rooms("group-list")
    jon.wait(lambda: "#room/" in jon.js("return location.hash"))
    # Ines sees him arrive, and the used-up link is gone from her list.
    ines.wait(lambda: ines.js("return document.querySelectorAll('#members li.member').length") == 2)
    ines.find("#invites-dialog [data-close]").click()
    ines.find("#invites-open").click()
    ines.wait(lambda: ines.text_of("invite-list") == "No links yet.")

    # Kai comes too late: the link is used up, and he stays out.
    kai = Chat(browsers(), server).log_in("kai_invites")
    kai.driver.get(link)
    kai.wait(lambda: kai.dialog_open("invite-dialog"))
    kai.wait(lambda: "not valid" in kai.text_of("invite-error"))
    assert not kai.find("#invite-join").is_displayed()
    kai.find("#invite-dialog [data-close]").click()
    kai.wait(lambda: not kai.js("return location.hash").startswith("#invite/"))
    assert "hideout" not in kai.sidebar_rooms("group-list")


def test_the_owner_deletes_a_room_from_its_settings_and_a_site_admin_may_too(server, browsers, account):
    from parley_browser import make_site_admin
    owner = account("room_owner_del", display_name="Owner")
    guest = account("room_guest_del", display_name="Guest")
    account("site_boss_del", display_name="Site Boss")
    make_site_admin(server, "site_boss_del")
    doomed = owner.create_room("doomed-room")["id"]
    guest.join(doomed)
    owner.post(doomed, "last words")
    owner_chat = Chat(browsers(), server).log_in("room_owner_del")
    guest_chat = Chat(browsers(), server).log_in("room_guest_del")
    for chat in (owner_chat, guest_chat):
        chat.open_room("doomed-room")
        chat.wait(lambda chat=chat: "last words" in chat.texts())
    # A plain member has no settings to open.
    assert not guest_chat.find("#room-settings").is_displayed()

    owner_chat.find("#room-settings").click()
    owner_chat.wait(lambda: owner_chat.dialog_open("room-dialog"))
    owner_chat.find("#room-delete").click()
    owner_chat.confirm()
    owner_chat.wait(lambda: not owner_chat.dialog_open("room-dialog"))
    guest_chat.wait(lambda: "This room was deleted." in guest_chat.text_of("room-empty"), message="the guest's view did not close")
    assert owner.call("GET", f"/api/rooms/{doomed}").status_code == 404

    # A site admin who is only a member sees the settings with nothing but Delete.
    other = owner.create_room("spam-room")["id"]
    boss = account("site_boss_del")
    boss.join(other)
    boss_chat = Chat(browsers(), server).log_in("site_boss_del")
    boss_chat.open_room("spam-room")
    boss_chat.wait(lambda: boss_chat.find("#room-settings").is_displayed())
    boss_chat.find("#room-settings").click()
    boss_chat.wait(lambda: boss_chat.dialog_open("room-dialog"))
    assert not boss_chat.find("#room-name").is_displayed() and not boss_chat.find("#room-submit").is_displayed()
    boss_chat.find("#room-delete").click()
    boss_chat.confirm()
    boss_chat.wait(lambda: owner.call("GET", f"/api/rooms/{other}").status_code == 404)
    log = boss.call("GET", "/api/admin/log", expect=200).json()["entries"]
    assert log[0]["action"] == "delete_room" and log[0]["reason"] == f"spam-room (room {other})"


def test_a_closed_dm_leaves_the_sidebar_until_a_new_message_comes(server, browsers, account):
    ann = account("ann_closes", display_name="Ann")
    bob = account("bob_closed", display_name="Bob")
    dm = ann.call("POST", "/api/dms", json={"user_id": bob.id}).json()["room"]["id"]
    ann.post(dm, "hello Bob")
    chat = Chat(browsers(), server).log_in("ann_closes")
    other_tab = Chat(browsers(), server).log_in("ann_closes")
    for tab in (chat, other_tab):
        tab.wait(lambda: "Bob" in tab.sidebar_rooms("dm-list"), message="the DM is not listed")

    def close_from_sidebar():
        def hover_and_click():
            # The list re-renders as rooms change: find the item afresh on each try.
            try:
                item = chat.find(f'#dm-list a.room-link[data-room="{dm}"]').find_element(By.XPATH, "..")
                ActionChains(chat.driver).move_to_element(item).perform()
                button = item.find_element(By.CSS_SELECTOR, ".room-close")
                if not (button.is_displayed() and chat.js("return getComputedStyle(arguments[0]).opacity === '1'", button)):
                    return False
                assert button.get_attribute("aria-label") == "Close the conversation with Bob"
                button.click()
                return True
            except StaleElementReferenceException:
                return False
        chat.wait(hover_and_click, message="could not click the DM's close button")

    def closed_on_server():
        return next(r["closed"] for r in ann.call("GET", "/api/rooms", expect=200).json()["mine"] if r["id"] == dm)

    close_from_sidebar()
    for tab in (chat, other_tab):
        tab.wait(lambda: "Bob" not in tab.sidebar_rooms("dm-list"), message="the closed DM stayed in the sidebar")
    assert closed_on_server() is True
    # Bob writes: the conversation is back, with its badge, in both tabs.
    bob.post(dm, "are you there?")
    for tab in (chat, other_tab):
        tab.wait(lambda: tab.badge("Bob") == ["1", False], message="the DM did not come back with the new message")
    assert closed_on_server() is False

    # Closing the open DM goes to another room; the DM dialog brings it back for good.
    chat.open_room("Bob")
    chat.wait(lambda: chat.badge("Bob") is None, message="opening the DM did not read it")
    close_from_sidebar()
    chat.wait(lambda: chat.room_title() == "main", message="closing the open DM did not leave it")
    chat.wait(lambda: "Bob" not in chat.sidebar_rooms("dm-list"))
    other_tab.wait(lambda: "Bob" not in other_tab.sidebar_rooms("dm-list"))
    chat.open_dm_with("bob_closed")
    chat.wait(lambda: chat.room_title() == "Bob")
    chat.open_room("main")
    assert "Bob" in chat.sidebar_rooms("dm-list")
    other_tab.wait(lambda: "Bob" in other_tab.sidebar_rooms("dm-list"), message="the other tab did not show the reopened DM")
    assert closed_on_server() is False


# Holds back the answers to PATCH /api/rooms/… in the page (the server has committed the change), and
# counts the ones it has handed on.
LATE_ANSWERS = """
  window.lateAnswers = 0;
  const real = window.fetch;
  window.fetch = async (path, options) => {
    const response = await real(path, options);
    if (options?.method === "PATCH" && String(path).startsWith("/api/rooms/")) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      window.lateAnswers += 1;
    }
    return response;
  };
"""


def test_a_late_answer_does_not_undo_a_newer_change_heard_meanwhile(server, browsers, account):
    owner = account("late_owner", display_name="Lou")
    room = owner.create_room("late-room", topic="first")["id"]
    chat = Chat(browsers(), server).log_in("late_owner")
    chat.open_room("late-room")
    chat.wait(lambda: chat.text_of("room-topic") == "first")
    chat.js(LATE_ANSWERS)
    # Her change is committed, but its answer is held back; meanwhile her other device changes the topic again.
    chat.send("/topic second")
    chat.wait(lambda: owner.call("GET", f"/api/rooms/{room}", expect=200).json()["room"]["topic"] == "second")
    owner.call("PATCH", f"/api/rooms/{room}", json={"topic": "third"}, expect=200)
    chat.wait(lambda: chat.text_of("room-topic") == "third", message="the room.updated event did not arrive")
    # The older answer comes last and leaves the newer topic in place.
    chat.wait(lambda: chat.js("return window.lateAnswers") == 1)
    assert chat.text_of("room-topic") == "third"


def test_a_public_room_is_read_in_its_preview_before_joining(server, browsers, account):
    host = account("curator")
    account("reader")
    room = host.create_room("reading-room", topic="quiet please")["id"]
    for text in ["first **page**", "second page", "third page"]:
        host.post(room, text)
    host.create_room("reading-vault", password="swordfish")

    reader = Chat(browsers(), server).log_in("reader")
    reader.find("#browse-rooms").click()
    reader.wait(lambda: reader.driver.find_elements(By.CSS_SELECTOR, '#browse-list button[aria-label="Preview reading-room"]'))
    # A room with a password shows nothing before its password is given: no preview.
    assert not reader.driver.find_elements(By.CSS_SELECTOR, '#browse-list li[data-name="reading-vault"] .browse-look')
    reader.find('#browse-list button[aria-label="Preview reading-room"]').click()
    reader.wait(lambda: reader.js("return [...document.querySelectorAll('#browse-preview-list .text')].map(n => n.textContent)")
                == ["first page", "second page", "third page"], message="the preview did not show the messages oldest first")
    assert reader.js("return document.querySelector('#browse-preview-list strong')?.textContent") == "page"
    assert reader.text_of("browse-preview-title") == "#reading-room"
    assert "quiet please" in reader.text_of("browse-preview-topic")
    assert reader.js("return document.getElementById('browse-directory').hidden")
    assert "reading-room" not in reader.sidebar_rooms()
    # A preview is not a membership: nothing joined, nobody told.
    members = host.call("GET", f"/api/rooms/{room}/members", expect=200).json()["members"]
    assert [m["user"]["username"] for m in members] == ["curator"]

    # Back to the list, on the room's preview button.
    reader.find("#browse-back").click()
    reader.wait(lambda: not reader.js("return document.getElementById('browse-directory').hidden"))
    assert reader.js("return document.activeElement.getAttribute('aria-label')") == "Preview reading-room"

    # Joining from the preview opens the room with its whole history.
    reader.find('#browse-list button[aria-label="Preview reading-room"]').click()
    reader.wait(lambda: "third page" in reader.text_of("browse-preview-list"))
    reader.find("#browse-preview-join").click()
    reader.wait(lambda: reader.room_title() == "reading-room")
    assert not reader.dialog_open("browse-dialog")
    reader.wait(lambda: reader.texts() == ["first page", "second page", "third page"])

    # The dialog opens on the list again, and a room I am in has no preview button.
    reader.find("#browse-rooms").click()
    reader.wait(lambda: reader.driver.find_elements(By.CSS_SELECTOR, '#browse-list li[data-name="reading-room"] .browse-action'))
    assert not reader.js("return document.getElementById('browse-directory').hidden")
    assert not reader.driver.find_elements(By.CSS_SELECTOR, '#browse-list li[data-name="reading-room"] .browse-look')


def test_a_long_topic_is_read_whole_in_the_header_and_in_browse(server, browsers, account):
    topic = "Everything about the spring release: " + "dates, owners, blockers and the plan for each of them; " * 4
    topic = topic.strip()[:250]
    host = account("topic_host")
    host.create_room("long-topic", topic=topic)
    host.create_room("topic-home")
    chat = Chat(browsers(), server).log_in("topic_host")
    chat.open_room("topic-home")
    chat.find("#browse-rooms").click()
    chat.wait(lambda: chat.dialog_open("browse-dialog"))
    chat.wait(lambda: chat.js("return !!document.querySelector('#browse-list li[data-name=\"long-topic\"]')"))
    assert chat.js("return document.querySelector('#browse-list li[data-name=\"long-topic\"] .browse-text .muted').title") == topic
    chat.find("#browse-dialog [data-close]").click()
    chat.open_room("long-topic")
    head = chat.find("#room-topic")
    chat.wait(lambda: head.get_attribute("title") == topic)
    # Cut to one line, it is reached with the keyboard and then shows whole.
    clipped = "const t = document.getElementById('room-topic'); return t.scrollWidth > t.clientWidth || t.scrollHeight > t.clientHeight"
    assert chat.js(clipped)
    assert head.get_attribute("tabindex") == "0" and head.get_attribute("aria-label") == topic
    chat.js("document.getElementById('room-topic').focus()")
    assert chat.js("return document.activeElement.id") == "room-topic"
    assert not chat.js(clipped), "the focused topic is still cut"


def test_a_directory_too_big_to_list_whole_is_searched_on_the_server(browsers, account):
    """Past 500 public rooms the list holds the biggest; typing finds the others on the server."""
    with tempfile.TemporaryDirectory(prefix="parley-directory-", dir="/tmp") as tmp:
        server = ParleyProcess(Path(tmp), env=GENEROUS_LIMITS).start()
        try:
            builder = Account(server, "builder")
            for n in range(501):
                builder.create_room(f"hall {n:03}")
            builder.create_room("zebra crossing", topic="black and white stripes")
            Account(server, "roamer")
            roamer = Chat(browsers(), server).log_in("roamer")
            roamer.find("#browse-rooms").click()
            roamer.wait(lambda: roamer.dialog_open("browse-dialog"))
            names = "return [...document.querySelectorAll('#browse-list li.browse-item')].map(li => li.dataset.name)"
            roamer.wait(lambda: len(roamer.js(names)) == 500)
            assert "zebra crossing" not in roamer.js(names) and "hall 500" not in roamer.js(names)
            assert "biggest rooms" in roamer.find("#browse-list .browse-cut").text
            roamer.find("#browse-filter").send_keys("STRIPES")
            roamer.wait(lambda: roamer.js(names) == ["zebra crossing"])
            roamer.find("#browse-filter").send_keys(Keys.ENTER)
            roamer.wait(lambda: roamer.room_title() == "zebra crossing")
            assert "zebra crossing" in roamer.sidebar_rooms()
            # `/join` finds a room the list left out too.
            roamer.send("/join hall 500")
            roamer.wait(lambda: roamer.room_title() == "hall 500")
        finally:
            server.stop()


def test_a_message_from_someone_i_blocked_leaves_a_closed_group_dm_closed(server, browsers, account):
    ann = account("ann_blocks_dm", display_name="Ann")
    bob = account("bob_blocked_dm", display_name="Bob")
    cat = account("cat_group_dm", display_name="Cat")
    dm = ann.call("POST", "/api/dms", json={"user_ids": [bob.id, cat.id]}).json()["room"]["id"]
    ann.call("PUT", f"/api/me/blocks/{bob.id}", expect=204)
    ann.call("PUT", f"/api/rooms/{dm}/closed", expect=204)
    chat = Chat(browsers(), server).log_in("ann_blocks_dm")
    listed = f"return !!document.querySelector('#dm-list a.room-link[data-room=\"{dm}\"]')"
    assert not chat.js(listed)
    bob.post(dm, "let me in")
    # Cat's word in main comes after Bob's: once it shows, Bob's has been handled.
    cat.post(1, "marker from cat")
    chat.wait(lambda: "marker from cat" in chat.texts(), message="the marker never came")
    assert not chat.js(listed)
    cat.post(dm, "hi Ann")
    chat.wait(lambda: chat.js(listed), message="Cat's message did not bring the DM back")


def test_a_room_or_dm_made_by_keyboard_leaves_the_focus_in_its_message_box(server, browsers, account):
    """The dialogs gave the focus back to "+" as they closed, so the first thing typed went nowhere (a hunt)."""
    account("kb_maker")
    account("kb_friend")
    chat = Chat(browsers(), server).log_in("kb_maker")
    chat.js("document.getElementById('new-room').focus()")
    chat.press(Keys.ENTER)
    chat.wait(lambda: chat.dialog_open("room-dialog"))
    chat.find("#room-name").send_keys("keyboarding", Keys.ENTER)
    chat.wait(lambda: chat.room_title() == "keyboarding")
    chat.wait(lambda: chat.js("return document.activeElement.id") == "composer-text", message="the focus did not reach the new room's box")
    chat.press("h", "i", Keys.ENTER)
    chat.wait(lambda: chat.texts() == ["hi"])

    chat.js("document.getElementById('new-dm').focus()")
    chat.press(Keys.ENTER)
    chat.wait(lambda: chat.dialog_open("dm-dialog"))
    chat.find("#dm-input").send_keys("kb_f")
    chat.wait(lambda: chat.js("return !!document.querySelector('#dm-results .option[data-username=kb_friend]')"))
    chat.find("#dm-input").send_keys(Keys.ENTER)
    chat.wait(lambda: chat.js("return !!document.querySelector(\"#dm-chips [data-username='kb_friend']\")"))
    chat.find("#dm-input").send_keys(Keys.ENTER)
    chat.wait(lambda: not chat.dialog_open("dm-dialog"))
    chat.wait(lambda: chat.room_title() == "kb_friend")
    chat.wait(lambda: chat.js("return document.activeElement.id") == "composer-text", message="the focus did not reach the DM's box")


def test_the_create_room_forms_error_is_tied_to_the_field_it_is_about(server, browsers, account):
    """An accessibility review: the form's error showed (and was read out once) without marking the
    field it was about; now the field is aria-invalid and described by the error until it is edited."""
    owner = account("rina_invalid", display_name="Rina")
    owner.create_room("rina-taken-name")
    chat = Chat(browsers(), server).log_in("rina_invalid")
    marks = lambda: chat.js("""return ['room-name', 'room-topic-input', 'room-password'].map(id => {
        const e = document.getElementById(id); return [id, e.getAttribute('aria-invalid'), e.getAttribute('aria-describedby')]; })""")
    unmarked = [["room-name", None, None], ["room-topic-input", None, None], ["room-password", None, None]]
    chat.find("#new-room").click()
    chat.wait(lambda: chat.dialog_open("room-dialog"))
    assert marks() == unmarked
    # No name (only spaces: an empty one the browser's own check stops): the name field is marked,
    # and described by the error.
    chat.find("#room-name").send_keys("   ")
    chat.find("#room-submit").click()
    chat.wait(lambda: chat.text_of("room-error") == "Give the room a name.")
    assert chat.find("#room-error").get_attribute("role") == "alert"
    assert marks() == [["room-name", "true", "room-error"], *unmarked[1:]]
    # Typing in it clears the mark.
    chat.find("#room-name").clear()
    chat.find("#room-name").send_keys("rina-taken-name")
    assert marks() == unmarked
    # A name the server refuses (taken) marks it again; the topic, not at fault, is not marked.
    chat.find("#room-topic-input").send_keys("about things")
    chat.find("#room-submit").click()
    chat.wait(lambda: "exists already" in chat.text_of("room-error"), message=lambda: chat.text_of("room-error"))
    assert marks() == [["room-name", "true", "room-error"], *unmarked[1:]]
    # Closing the dialog and opening it again starts unmarked.
    chat.find("#room-dialog [data-close]").click()
    chat.wait(lambda: not chat.dialog_open("room-dialog"))
    chat.find("#new-room").click()
    chat.wait(lambda: chat.dialog_open("room-dialog"))
    assert marks() == unmarked and chat.text_of("room-error") == ""


def test_the_directory_shows_banned_instead_of_join_and_follows_a_ban_and_its_lifting(server, browsers, account):
    """A hunt found Join offered on rooms that would refuse it; the directory now says Banned, with
    the ban's end, and follows a ban given and lifted while it is open."""
    owner = account("bea_bans_dir")
    kim = account("kim_bans_dir")
    room = owner.create_room("ban-dir-town")["id"]
    timed = owner.create_room("ban-dir-cafe")["id"]
    kim.join(room)
    owner.call("POST", f"/api/rooms/{timed}/bans", expect=201, json={"user_id": kim.id, "duration_seconds": 3600})
    chat = Chat(browsers(), server).log_in("kim_bans_dir")
    chat.find("#browse-rooms").click()
    chat.wait(lambda: "Loading" not in chat.text_of("browse-list"))
    entry = lambda name: chat.js("""const li = document.querySelector(`#browse-list li[data-name="${arguments[0]}"]`);
        return li ? [[...li.querySelectorAll('button')].map(b => b.getAttribute('aria-label')),
                     li.querySelector('.browse-banned')?.textContent ?? null, li.querySelector('.browse-banned')?.title ?? null] : null""", name)
    buttons, banned, title = entry("ban-dir-cafe")
    assert banned == "Banned" and title.startswith("You are banned from this room until "), (banned, title)
    assert buttons == ["Report ban-dir-cafe"], buttons
    assert entry("ban-dir-town")[0][0] == "Open ban-dir-town"

    # Banned from the room she is in while the directory is open: it says so, without an end.
    owner.call("POST", f"/api/rooms/{room}/bans", expect=201, json={"user_id": kim.id})
    chat.wait(lambda: entry("ban-dir-town")[1] == "Banned", message=lambda: f"town: {entry('ban-dir-town')}")
    assert entry("ban-dir-town")[2] == "You are banned from this room."
    # Lifted: Join is back.
    owner.call("DELETE", f"/api/rooms/{timed}/bans/{kim.id}", expect=204)
    chat.driver.refresh()
    chat.wait_ready()
    chat.find("#browse-rooms").click()
    chat.wait(lambda: (entry("ban-dir-cafe") or [[]])[0][:1] == ["Join ban-dir-cafe"], message=lambda: f"cafe: {entry('ban-dir-cafe')}")
    assert entry("ban-dir-cafe")[1] is None
