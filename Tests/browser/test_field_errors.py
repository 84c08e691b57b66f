"""A dialog's error tied to the fields it is about (an accessibility review: the error line was read
out once as it showed, and the field it was about said nothing): the field is aria-invalid and
described by the error line, until it is edited or an error about another field replaces it."""
from parley_browser import PASSWORD, Chat


def marks(chat, *ids):
    """Each field as [id, aria-invalid, aria-describedby], read in one script."""
    return chat.js("""return arguments[0].map(id => { const e = document.getElementById(id);
        return [id, e.getAttribute('aria-invalid'), e.getAttribute('aria-describedby')]; })""", list(ids))


def unmarked(*ids):
    return [[id, None, None] for id in ids]


def retype(chat, field_id, text):
    chat.find(f"#{field_id}").clear()
    chat.find(f"#{field_id}").send_keys(text)


def open_profile(chat):
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))


def test_the_change_password_form_marks_the_password_each_error_is_about(server, browsers, account):
    account("pia_field_err", display_name="Pia")
    chat = Chat(browsers(), server).log_in("pia_field_err")
    open_profile(chat)
    fields = ("current-password", "new-password", "repeat-password")
    assert marks(chat, *fields) == unmarked(*fields)
    assert chat.find("#change-password-error").get_attribute("role") == "alert"
    # A wrong current password (the server's wrong_password): that field alone.
    chat.find("#current-password").send_keys("not my password")
    chat.find("#new-password").send_keys("a new password")
    chat.find("#repeat-password").send_keys("a new password")
    chat.find("#change-password-submit").click()
    chat.wait(lambda: chat.text_of("change-password-error") == "That is not your current password.",
              message=lambda: chat.text_of("change-password-error"))
    assert marks(chat, *fields) == [["current-password", "true", "change-password-error"], *unmarked(*fields[1:])]
    # A new password too short, the current one left as it was: the mark moves to the new one.
    retype(chat, "new-password", "short")
    retype(chat, "repeat-password", "short")
    chat.find("#change-password-submit").click()
    chat.wait(lambda: chat.text_of("change-password-error") == "A password is at least 8 characters.")
    assert marks(chat, *fields) == [["current-password", None, None], ["new-password", "true", "change-password-error"], ["repeat-password", None, None]]
    # Editing it takes its mark away; the error line says what it said until the next try.
    retype(chat, "new-password", "long enough 1")
    assert marks(chat, *fields) == unmarked(*fields)
    assert chat.text_of("change-password-error") == "A password is at least 8 characters."
    # The repeat differs: that one is marked.
    retype(chat, "repeat-password", "long enough 2")
    chat.find("#change-password-submit").click()
    chat.wait(lambda: chat.text_of("change-password-error") == "The two new passwords differ.")
    assert marks(chat, *fields) == [*unmarked(*fields[:2]), ["repeat-password", "true", "change-password-error"]]
    retype(chat, "repeat-password", "long enough 1")
    assert marks(chat, *fields) == unmarked(*fields)


def test_a_room_renamed_in_its_settings_to_a_taken_name_marks_the_name_field(server, browsers, account):
    owner = account("ros_field_err", display_name="Ros")
    owner.create_room("ros-field-taken")
    renamed = owner.create_room("ros-field-renamed")["id"]
    chat = Chat(browsers(), server).log_in("ros_field_err")
    chat.open_room("ros-field-renamed")
    chat.wait(lambda: chat.find("#room-settings").is_displayed(), message="no settings button")
    chat.find("#room-settings").click()
    chat.wait(lambda: chat.dialog_open("room-dialog"))
    chat.wait(lambda: chat.find("#room-name").is_displayed())
    fields = ("room-name", "room-topic-input")
    assert marks(chat, *fields) == unmarked(*fields)
    retype(chat, "room-name", "ros-field-taken")
    chat.find("#room-topic-input").send_keys("a new topic")
    chat.find("#room-submit").click()
    chat.wait(lambda: "exists already" in chat.text_of("room-error"), message=lambda: chat.text_of("room-error"))
    assert marks(chat, *fields) == [["room-name", "true", "room-error"], ["room-topic-input", None, None]]
    # Editing the name takes the mark away; nothing was saved.
    chat.find("#room-name").send_keys("-2")
    assert marks(chat, *fields) == unmarked(*fields)
    assert owner.call("GET", f"/api/rooms/{renamed}", expect=200).json()["room"]["name"] == "ros-field-renamed"


def test_the_access_token_and_two_factor_forms_mark_the_name_or_password_at_fault(server, browsers, account):
    account("tad_field_err", display_name="Tad")
    chat = Chat(browsers(), server).log_in("tad_field_err")
    open_profile(chat)
    tokens = ("token-name", "token-expiry", "token-password")
    assert marks(chat, *tokens) == unmarked(*tokens)
    # No name: the name.
    chat.find("#token-create").click()
    chat.wait(lambda: chat.text_of("token-error") == "Give the token a name, say what will use it.")
    assert marks(chat, *tokens) == [["token-name", "true", "token-error"], *unmarked(*tokens[1:])]
    chat.find("#token-name").send_keys("tad deploy bot")
    assert marks(chat, *tokens) == unmarked(*tokens)
    # A wrong password (the server's wrong_password): the password, not the name.
    chat.find("#token-password").send_keys("not my password")
    chat.find("#token-create").click()
    chat.wait(lambda: chat.text_of("token-error") == "That is not your password.", message=lambda: chat.text_of("token-error"))
    assert marks(chat, *tokens) == [*unmarked(*tokens[:2]), ["token-password", "true", "token-error"]]
    chat.find("#token-password").send_keys("!")
    assert marks(chat, *tokens) == unmarked(*tokens)

    # Two-factor: set up without a password, then with a wrong one; each marks the password.
    factor = ("two-factor-password", "two-factor-code")
    # (Its state loaded first: loading empties the password field.)
    chat.wait(lambda: chat.text_of("two-factor-state").startswith("Off"), message="no state shown")
    assert marks(chat, *factor) == unmarked(*factor)
    chat.find("#two-factor-submit").click()
    chat.wait(lambda: chat.text_of("two-factor-error") == "Enter your password to set up two-factor authentication.")
    assert marks(chat, *factor) == [["two-factor-password", "true", "two-factor-error"], ["two-factor-code", None, None]]
    chat.find("#two-factor-password").send_keys("not my password")
    assert marks(chat, *factor) == unmarked(*factor)
    chat.find("#two-factor-submit").click()
    chat.wait(lambda: chat.text_of("two-factor-error") == "That is not your password.", message=lambda: chat.text_of("two-factor-error"))
    assert marks(chat, *factor) == [["two-factor-password", "true", "two-factor-error"], ["two-factor-code", None, None]]
    chat.find("#two-factor-password").send_keys(PASSWORD)
    assert marks(chat, *factor) == unmarked(*factor)


def test_a_user_group_named_as_someone_marks_the_name_and_keeps_its_hint(server, browsers, account):
    account("uli_field_err", display_name="Uli")
    chat = Chat(browsers(), server).log_in("uli_field_err")
    open_profile(chat)
    fields = ("ugroup-name", "ugroup-description")
    hinted = [["ugroup-name", None, "ugroup-name-help"], ["ugroup-description", None, None]]
    assert marks(chat, *fields) == hinted
    # No name: the name is marked, and described by its hint and the error.
    chat.find("#ugroup-make").click()
    chat.wait(lambda: chat.text_of("ugroup-error") == "Give it a name.")
    assert marks(chat, *fields) == [["ugroup-name", "true", "ugroup-name-help ugroup-error"], ["ugroup-description", None, None]]
    # A username (the server's name_taken): the name again, not the description.
    chat.find("#ugroup-name").send_keys("uli_field_err")
    assert marks(chat, *fields) == hinted
    chat.find("#ugroup-description").send_keys("all of me")
    chat.find("#ugroup-make").click()
    chat.wait(lambda: "@-mentions must mean one thing" in chat.text_of("ugroup-error"), message=lambda: chat.text_of("ugroup-error"))
    assert marks(chat, *fields) == [["ugroup-name", "true", "ugroup-name-help ugroup-error"], ["ugroup-description", None, None]]
    assert chat.find("#ugroup-error").get_attribute("role") == "alert"
    # Editing it leaves the hint alone.
    chat.find("#ugroup-name").send_keys("s")
    assert marks(chat, *fields) == hinted
