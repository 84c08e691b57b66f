"""Reports: a member reports a message from its actions; the room's owner sees the report arrive,
lists them by reason, dismisses one and deletes the message of another from the list."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from parley_browser import Chat, make_site_admin


def listed(chat):
    return chat.js("""
      return [...document.querySelectorAll('#reports-list li.report-entry')].map(li => ({
        message: li.querySelector('.report-message').textContent,
        by: li.querySelector('.report-by').textContent,
        reason: li.querySelector('.report-reason').textContent,
        resolution: li.querySelector('.report-resolution')?.textContent ?? null,
        edited: li.querySelector('.report-edited')?.textContent ?? null,
        subject: li.dataset.subject,
      }))""")


def count(chat):
    """The open count the sidebar's link shows, or None while it is hidden."""
    link = chat.find("#reports-open")
    return link.text if link.is_displayed() else None


def test_a_member_reports_a_message_and_the_owner_acts_on_reports(server, browsers, account):
    olga = account("olga_rep", display_name="Olga")
    ann = account("ann_rep", display_name="Ann")
    bob = account("bob_rep", display_name="Bob")
    cid = account("cid_rep", display_name="Cid")
    room = olga.create_room("reports-room")["id"]
    for person in (ann, bob, cid):
        person.join(room)
    bob.post(room, "buy cheap watches at example.test")
    second = bob.post(room, "you are all idiots")
    ann.post(room, "my own words")

    # The owner's link shows only while reports are open.
    owner = Chat(browsers(), server).log_in("olga_rep")
    assert count(owner) is None
    reporter = Chat(browsers(), server).log_in("ann_rep")
    reporter.open_room("reports-room")
    reporter.wait(lambda: "my own words" in reporter.texts())
    # Her own message offers no report.
    assert not reporter.message("my own words").find_elements(By.CSS_SELECTOR, '[data-action="report"]')

    reporter.hover_action("buy cheap watches at example.test", "report")
    reporter.wait(lambda: reporter.dialog_open("report-dialog"))
    assert "Bob: buy cheap watches" in reporter.text_of("report-target")
    assert reporter.text_of("report-block-name") == "Bob"
    reporter.find('#report-reasons input[value="harassment"]').click()
    reporter.find("#report-comment").send_keys("third time today")
    reporter.find("#report-block").click()
    reporter.find("#report-submit").click()
    reporter.wait(lambda: not reporter.dialog_open("report-dialog"), message="the report dialog stayed open")
    reports = olga.call("GET", "/api/reports", expect=200).json()["reports"]
    assert [(r["reason"], r["comment"], r["reporter"]["username"]) for r in reports] == [("harassment", "third time today", "ann_rep")]
    assert [b["user"]["username"] for b in ann.call("GET", "/api/me/blocks", expect=200).json()["blocks"]] == ["bob_rep"]
    # Bob's messages are hidden from her now; shown again, a second report of the same one is refused, in the dialog.
    reporter.wait(lambda: "buy cheap watches at example.test" not in reporter.texts())
    reporter.js("[...document.querySelectorAll('#messages li.message button')].find(b => b.textContent === 'Show').click()")
    reporter.wait(lambda: "buy cheap watches at example.test" in reporter.texts())
    reporter.hover_action("buy cheap watches at example.test", "report")
    reporter.wait(lambda: reporter.dialog_open("report-dialog"))
    reporter.find('#report-reasons input[value="spam"]').click()
    reporter.find("#report-submit").click()
    reporter.wait(lambda: "already reported" in reporter.text_of("report-error"))
    reporter.find("#report-dialog [data-close]").click()

    # The owner's count arrived live; the list shows the message, the reason, who and why.
    owner.wait(lambda: count(owner) == "Reports (1)", message="the open count did not arrive")
    owner.find("#reports-open").click()
    owner.wait(lambda: owner.dialog_open("reports-dialog"))
    owner.wait(lambda: len(listed(owner)) == 1)
    entry = listed(owner)[0]
    assert entry["message"] == "buy cheap watches at example.test" and entry["reason"] == "Harassment"
    assert entry["by"].startswith("Reported by Ann") and "“third time today”" in entry["by"]
    # Another report, by Cid, arrives while the list is open.
    cid.call("POST", f"/api/messages/{second['id']}/report", json={"reason": "harassment"}, expect=201)
    owner.wait(lambda: len(listed(owner)) == 2, message="the new report did not appear")
    owner.wait(lambda: count(owner) == "Reports (2)")
    assert owner.find("#reports-open").get_attribute("title") == "2 open reports"
    # Only those given for one reason: none for spam, both for harassment; the link still counts them all.
    Select(owner.find("#reports-reason")).select_by_value("spam")
    owner.wait(lambda: owner.text_of("reports-status") == "No open reports for spam.", message=lambda: owner.text_of("reports-status"))
    assert listed(owner) == [] and count(owner) == "Reports (2)"
    Select(owner.find("#reports-reason")).select_by_value("harassment")
    owner.wait(lambda: owner.text_of("reports-status") == "2 open reports for harassment.", message=lambda: owner.text_of("reports-status"))
    assert {e["reason"] for e in listed(owner)} == {"Harassment"}
    Select(owner.find("#reports-reason")).select_by_value("")
    owner.wait(lambda: owner.text_of("reports-status") == "2 open reports.")

    # Dismissing the first leaves its message be.
    owner.find('#reports-list li.report-entry:last-child button[aria-label^="Dismiss"]').click()
    owner.wait(lambda: [e["message"] for e in listed(owner)] == ["you are all idiots"])
    owner.wait(lambda: count(owner) == "Reports (1)")
    # Deleting the second's message, after a confirmation, leaves a tombstone in the room.
    owner.find('#reports-list li.report-entry button[aria-label^="Delete the reported message"]').click()
    owner.confirm()
    owner.wait(lambda: listed(owner) == [])
    assert owner.text_of("reports-status") == "No open reports."
    owner.wait(lambda: count(owner) is None)
    assert [m["deleted"] for m in olga.history(room) if m["id"] == second["id"]] == [True]

    # Ann moderates nothing: no reports link for her, though she reported.
    assert count(reporter) is None
    # The resolved list says what happened, and by whom.
    owner.find('#reports-state input[value="resolved"]').click()
    owner.wait(lambda: len(listed(owner)) == 2)
    resolutions = [e["resolution"] for e in listed(owner)]
    assert resolutions[0].startswith("Message deleted by Olga") and resolutions[1].startswith("Dismissed by Olga"), resolutions
    # "Show in the room" opens the room at the message.
    owner.find('#reports-list li.report-entry:last-child .report-actions button.secondary').click()
    owner.wait(lambda: not owner.dialog_open("reports-dialog"))
    owner.wait(lambda: owner.room_title() == "reports-room")
    reporter.wait(lambda: "This message was deleted." in reporter.texts(), message="the deletion did not reach the reporter")

    # With none open the link is gone, but the room's "Bans and mutes" leads to its reports, resolved ones too.
    # A report open in another of Olga's rooms counts in the link, not in this room's list.
    other = olga.create_room("reports-other-room")["id"]
    cid.join(other)
    ann.join(other)
    elsewhere = ann.post(other, "elsewhere")
    cid.call("POST", f"/api/messages/{elsewhere['id']}/report", json={"reason": "spam"}, expect=201)
    owner.wait(lambda: count(owner) == "Reports (1)")
    owner.find("#members-toggle").click()
    owner.wait(lambda: owner.find("#moderation-open").is_displayed())
    owner.find("#moderation-open").click()
    owner.wait(lambda: owner.dialog_open("moderation-dialog"))
    owner.find("#moderation-reports").click()
    owner.wait(lambda: owner.dialog_open("reports-dialog") and not owner.dialog_open("moderation-dialog"))
    assert owner.text_of("reports-dialog-title") == "Reports in #reports-room"
    assert owner.find("#reports-scope").is_displayed()
    owner.find('#reports-state input[value="open"]').click()
    owner.wait(lambda: owner.text_of("reports-status") == "No open reports.")
    assert count(owner) == "Reports (1)"
    owner.find('#reports-state input[value="resolved"]').click()
    owner.wait(lambda: [e["message"] for e in listed(owner)] == ["This message was deleted.", "buy cheap watches at example.test"])
    # "Show every room's" lifts the scope.
    owner.find("#reports-all").click()
    owner.wait(lambda: owner.text_of("reports-dialog-title") == "Reports" and not owner.find("#reports-scope").is_displayed())
    owner.find('#reports-state input[value="open"]').click()
    owner.wait(lambda: [e["message"] for e in listed(owner)] == ["elsewhere"])
    owner.find("#reports-dialog [data-close]").click()

    # A site admin reaches every report from the site administration.
    account("root_rep", display_name="Root")
    make_site_admin(server, "root_rep")
    root = Chat(browsers(), server).log_in("root_rep")
    root.wait(lambda: root.js("return document.getElementById('admin-open').hidden") is False)
    root.find("#admin-open").click()
    root.wait(lambda: root.dialog_open("admin-dialog"))
    root.find("#admin-reports").click()
    root.wait(lambda: root.dialog_open("reports-dialog") and not root.dialog_open("admin-dialog"))
    assert root.text_of("reports-dialog-title") == "Reports"
    root.wait(lambda: "elsewhere" in [e["message"] for e in listed(root)])


def test_a_reply_in_a_thread_is_reported_from_the_thread(server, browsers, account):
    olga = account("olga_rep2", display_name="Olga")
    ann = account("ann_rep2", display_name="Ann")
    bob = account("bob_rep2", display_name="Bob")
    room = olga.create_room("reports-thread-room")["id"]
    for person in (ann, bob):
        person.join(room)
    root = ann.post(room, "Who is coming on Friday?")
    reply = bob.post(room, "not you, loser", reply_to=root["id"])
    mine = ann.post(room, "I am", reply_to=root["id"])

    chat = Chat(browsers(), server).log_in("ann_rep2")
    chat.open_room("reports-thread-room")
    chat.wait(lambda: "Who is coming on Friday?" in chat.texts())
    chat.hover_action("Who is coming on Friday?", "thread-reply")
    chat.wait(lambda: chat.find("#thread-panel").is_displayed())
    count = "return document.querySelectorAll(arguments[0]).length"
    chat.wait(lambda: chat.js(count, f'#thread-replies li[data-message="{reply["id"]}"]') == 1)
    # My own reply offers no report; Bob's does.
    assert chat.js(count, f'#thread-replies li[data-message="{mine["id"]}"] [data-action="report"]') == 0
    chat.js("arguments[0].click()", chat.find(f'#thread-replies li[data-message="{reply["id"]}"] [data-action="report"]'))
    chat.wait(lambda: chat.dialog_open("report-dialog"))
    assert chat.text_of("report-target") == "Bob: not you, loser"
    chat.find('#report-reasons input[value="harassment"]').click()
    chat.find("#report-submit").click()
    chat.wait(lambda: not chat.dialog_open("report-dialog"))
    reports = olga.call("GET", "/api/reports", expect=200).json()["reports"]
    assert [(r["message"]["id"], r["reason"], r["reporter"]["username"]) for r in reports] == [(reply["id"], "harassment", "ann_rep2")]


def listed_mine(chat):
    """The reports "Your reports" lists: the message, its sender and what became of it."""
    return chat.js("""
      return [...document.querySelectorAll('#my-reports-list li.report-entry')].map(li => ({
        sender: li.querySelector('.search-meta strong').textContent,
        message: li.querySelector('.report-message').textContent,
        outcome: li.querySelector('.report-outcome').textContent,
        edited: li.querySelector('.report-edited')?.textContent ?? null,
      }))""")


def test_the_reporter_hears_what_became_of_each_report_and_finds_them_in_the_settings(server, browsers, account):
    olga = account("olga_rep3", display_name="Olga")
    ann = account("ann_rep3", display_name="Ann")
    bob = account("bob_rep3", display_name="Bob")
    room = olga.create_room("reports-outcome-room")["id"]
    for person in (ann, bob):
        person.join(room)
    first = bob.post(room, "cheap watches here")
    second = bob.post(room, "and cheaper ones here")
    one = ann.call("POST", f"/api/messages/{first['id']}/report", json={"reason": "spam", "comment": "again"}, expect=201).json()["report"]
    two = ann.call("POST", f"/api/messages/{second['id']}/report", json={"reason": "spam"}, expect=201).json()["report"]

    chat = Chat(browsers(), server).log_in("ann_rep3")
    toasts = "return document.querySelector('.toasts')?.textContent ?? ''"
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.wait(lambda: [(e["message"], e["outcome"]) for e in listed_mine(chat)] == [
        ("and cheaper ones here", "Waiting for review"), ("cheap watches here", "Waiting for review")])
    assert [e["sender"] for e in listed_mine(chat)] == ["Bob", "Bob"]

    # A dismissal reaches her live: a note, and the list says so.
    olga.call("POST", f"/api/reports/{one['id']}/resolve", json={"action": "dismiss"}, expect=200)
    chat.wait(lambda: listed_mine(chat)[1]["outcome"].startswith("Reviewed, the message stays"), message="the dismissal did not reach the list")
    chat.wait(lambda: "Your report of Bob’s message in #reports-outcome-room was reviewed. The message stays." in chat.js(toasts))
    # So does a deletion.
    olga.call("POST", f"/api/reports/{two['id']}/resolve", json={"action": "delete_message"}, expect=200)
    chat.wait(lambda: listed_mine(chat)[0]["outcome"].startswith("Message removed"), message="the deletion did not reach the list")
    assert listed_mine(chat)[0]["message"] == "This message was deleted."
    chat.wait(lambda: "The message from Bob you reported in #reports-outcome-room has been removed." in chat.js(toasts))
    # Who settled them is not said.
    assert "Olga" not in chat.text_of("my-reports-list")

    # "Show in the room" opens the room at the message that stayed; a deleted one offers nothing to show.
    entries = chat.driver.find_elements(By.CSS_SELECTOR, "#my-reports-list li.report-entry")
    assert not entries[0].find_elements(By.CSS_SELECTOR, ".report-actions button")
    entries[1].find_element(By.CSS_SELECTOR, ".report-actions button").click()
    chat.wait(lambda: not chat.dialog_open("profile-dialog"))
    chat.wait(lambda: chat.room_title() == "reports-outcome-room")
    chat.wait(lambda: "cheap watches here" in chat.texts())


def test_a_person_is_reported_from_their_profile_and_a_site_admin_deactivates_them(server, browsers, account):
    ann = account("ann_rep4", display_name="Ann")
    pest = account("pest_rep4", display_name="Pest")
    account("root_rep4", display_name="Root")
    make_site_admin(server, "root_rep4")
    room = ann.create_room("reports-person-room")["id"]
    pest.join(room)
    pest.post(room, "hello from your new friend")
    toasts = "return document.querySelector('.toasts')?.textContent ?? ''"

    # From the name on a message: the profile's "Report…" opens the report dialog for the person.
    chat = Chat(browsers(), server).log_in("ann_rep4")
    chat.open_room("reports-person-room")
    chat.wait(lambda: "hello from your new friend" in chat.texts())
    chat.message("hello from your new friend").find_element(By.CSS_SELECTOR, ".author").click()
    chat.wait(lambda: chat.dialog_open("user-dialog") and chat.find("#user-dialog-report").is_displayed())
    chat.find("#user-dialog-report").click()
    chat.wait(lambda: chat.dialog_open("report-dialog") and not chat.dialog_open("user-dialog"))
    assert chat.text_of("report-dialog-title") == "Report Pest"
    assert chat.text_of("report-target").startswith("Pest (@pest_rep4)")
    assert "site’s admins" in chat.text_of("report-hint")
    chat.find('#report-reasons input[value="harassment"]').click()
    chat.find("#report-comment").send_keys("a new DM every day")
    chat.find("#report-submit").click()
    chat.wait(lambda: not chat.dialog_open("report-dialog"), message=lambda: f"the report dialog stayed open: {chat.alerts()}")
    chat.wait(lambda: "The site’s admins will review your report." in chat.js(toasts))
    mine = ann.call("GET", "/api/me/reports", expect=200).json()["reports"]
    assert [(r["subject"], r["user"]["username"], r["comment"]) for r in mine] == [("user", "pest_rep4", "a new DM every day")]

    # The site admin (who sees every open report: other tests leave some) finds it as a person's report,
    # and deactivates the account after a confirmation.
    person = "@pest_rep4: the person, not one message"
    about_pest = lambda chat: [e for e in listed(chat) if e["message"] == person]  # noqa: E731
    root = Chat(browsers(), server).log_in("root_rep4")
    root.wait(lambda: (count(root) or "").startswith("Reports ("), message="the open count did not arrive")
    root.find("#reports-open").click()
    root.wait(lambda: root.dialog_open("reports-dialog"))
    root.wait(lambda: len(about_pest(root)) == 1)
    entry = about_pest(root)[0]
    assert entry["reason"] == "Harassment"
    assert entry["by"].startswith("Reported by Ann") and "“a new DM every day”" in entry["by"]
    root.find('#reports-list li.report-entry button[aria-label="Deactivate the account of Pest"]').click()
    root.confirm()
    root.wait(lambda: about_pest(root) == [])
    assert ann.call("GET", f"/api/users/{pest.id}", expect=200).json()["user"]["deactivated"] is True
    root.find('#reports-state input[value="resolved"]').click()
    root.wait(lambda: len(about_pest(root)) == 1)
    assert about_pest(root)[0]["resolution"].startswith("Account deactivated by Root")

    # Ann is told.
    chat.wait(lambda: "Pest’s account, which you reported, has been deactivated." in chat.js(toasts))

    # A dismissed report of a person goes in the site's log, in words.
    noisy = account("noisy_rep4", display_name="Noisy")
    other = ann.call("POST", f"/api/users/{noisy.id}/report", json={"reason": "spam"}, expect=201).json()["report"]
    root.wait(lambda: len([e for e in listed(root) if e["message"] == "@noisy_rep4: the person, not one message"]) == 0)
    root.find('#reports-state input[value="open"]').click()
    root.wait(lambda: [e["message"] for e in listed(root)].count("@noisy_rep4: the person, not one message") == 1)
    root.find('#reports-list li.report-entry button[aria-label="Dismiss the report of Noisy"]').click()
    root.wait(lambda: "@noisy_rep4: the person, not one message" not in [e["message"] for e in listed(root)])
    assert ann.call("GET", "/api/me/reports", expect=200).json()["reports"][0]["id"] == other["id"]
    root.find("#reports-dialog [data-close]").click()
    root.find("#admin-open").click()
    root.wait(lambda: root.dialog_open("admin-dialog"))
    root.find("#admin-log-section summary").click()
    root.wait(lambda: "Root dismissed the reports of @noisy_rep4" in root.text_of("admin-log"), message=lambda: root.text_of("admin-log"))
    assert "Root deactivated @pest_rep4" in root.text_of("admin-log")

    # Her list says what became of both.
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    expected = [("Noisy", "@noisy_rep4: the person, not one message", "Reviewed, the account stays, "),
                ("Pest", "@pest_rep4: the person, not one message", "Account deactivated, ")]
    chat.wait(lambda: [(e["sender"], e["message"], e["outcome"][:len(outcome)]) for e, (_, _, outcome) in zip(listed_mine(chat), expected)]
              == expected and len(listed_mine(chat)) == 2)


def test_an_edited_message_shows_as_reported_and_a_site_admin_lists_messages_or_people(server, browsers, account):
    ann = account("ann_rep5", display_name="Ann")
    bob = account("bob_rep5", display_name="Bob")
    account("root_rep5", display_name="Root")
    make_site_admin(server, "root_rep5")
    room = ann.create_room("reports-edit-room")["id"]
    bob.join(room)
    rude = bob.post(room, "you are all idiots here")
    ann.call("POST", f"/api/messages/{rude['id']}/report", json={"reason": "harassment"}, expect=201)
    # Reported, Bob smooths it over; Ann also reports him as a person.
    bob.call("PATCH", f"/api/messages/{rude['id']}", json={"text": "hello all, lovely day"}, expect=200)
    ann.call("POST", f"/api/users/{bob.id}/report", json={"reason": "harassment"}, expect=201)

    # The site admin sees what was reported, and what it says now.
    root = Chat(browsers(), server).log_in("root_rep5")
    root.wait(lambda: (count(root) or "").startswith("Reports ("), message="the open count did not arrive")
    root.find("#reports-open").click()
    root.wait(lambda: root.dialog_open("reports-dialog"))
    ours = lambda: [e for e in listed(root) if e["message"] in ("you are all idiots here", "@bob_rep5: the person, not one message")]  # noqa: E731
    root.wait(lambda: len(ours()) == 2, message=lambda: listed(root))
    message, person = ours()[1], ours()[0]
    assert message["subject"] == "message" and message["edited"] == "Edited since it was reported. Now: “hello all, lovely day”"
    assert person["subject"] == "user" and person["edited"] is None
    # Only people's reports, then only messages': the other kind leaves the list.
    assert root.find("#reports-subject").is_displayed()
    root.find('#reports-subject input[value="user"]').click()
    root.wait(lambda: {e["subject"] for e in listed(root)} == {"user"} and len(ours()) == 1, message=lambda: listed(root))
    assert root.text_of("reports-status").endswith("of people.")
    root.find('#reports-subject input[value="message"]').click()
    root.wait(lambda: {e["subject"] for e in listed(root)} == {"message"} and len(ours()) == 1, message=lambda: listed(root))
    assert root.text_of("reports-status").endswith("of messages.")
    root.find('#reports-subject input[value=""]').click()
    root.wait(lambda: len(ours()) == 2)
    root.find("#reports-dialog [data-close]").click()

    # Ann's own list shows the message as she reported it too.
    chat = Chat(browsers(), server).log_in("ann_rep5")
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.wait(lambda: len(listed_mine(chat)) == 2)
    assert listed_mine(chat)[1]["message"] == "you are all idiots here"
    assert listed_mine(chat)[1]["edited"] == "Edited since it was reported. Now: “hello all, lovely day”"

    # As the room's owner she handles it too: a further edit shows in her open list at once.
    chat.find("#profile-dialog [data-close]").click()
    chat.wait(lambda: (count(chat) or "").startswith("Reports ("))
    chat.find("#reports-open").click()
    chat.wait(lambda: chat.dialog_open("reports-dialog"))
    chat.wait(lambda: len(listed(chat)) == 1 and listed(chat)[0]["message"] == "you are all idiots here", message=lambda: (listed(chat), chat.text_of("reports-status")))
    # So does the site admin's, though he is not in the room (`report.message_edited`).
    root.find("#reports-open").click()
    root.wait(lambda: root.dialog_open("reports-dialog") and len(ours()) == 2)
    bob.call("PATCH", f"/api/messages/{rude['id']}", json={"text": "sorry, everyone"}, expect=200)
    chat.wait(lambda: listed(chat)[0]["edited"] == "Edited since it was reported. Now: “sorry, everyone”", message=lambda: listed(chat))
    root.wait(lambda: ours()[1]["edited"] == "Edited since it was reported. Now: “sorry, everyone”", message=lambda: listed(root))
    chat.find("#reports-dialog [data-close]").click()

    # Once deleted, nothing of its text stays, in the report either.
    bob.call("DELETE", f"/api/messages/{rude['id']}", expect=204)
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.wait(lambda: len(listed_mine(chat)) == 2 and listed_mine(chat)[1]["message"] == "This message was deleted.")
    assert listed_mine(chat)[1]["edited"] is None


def test_a_member_reports_a_room_and_a_site_admin_dismisses_it_then_deletes_it(server, browsers, account):
    owner = account("own_rep6", display_name="Owen")
    ann = account("ann_rep6", display_name="Ann")
    account("root_rep6", display_name="Rooter")
    make_site_admin(server, "root_rep6")
    room = owner.create_room("reports-room-six")["id"]
    ann.join(room)
    toasts = "return document.querySelector('.toasts')?.textContent ?? ''"

    # The owner's member panel offers no report of their own room.
    own = Chat(browsers(), server).log_in("own_rep6")
    own.open_room("reports-room-six")
    own.find("#members-toggle").click()
    own.wait(lambda: own.find("#members-panel").is_displayed())
    assert not own.find("#room-report-tools").is_displayed()

    # Ann reports the room from its member panel: no one person to block.
    chat = Chat(browsers(), server).log_in("ann_rep6")
    chat.open_room("reports-room-six")
    chat.find("#members-toggle").click()
    chat.wait(lambda: chat.find("#room-report").is_displayed())
    chat.find("#room-report").click()
    chat.wait(lambda: chat.dialog_open("report-dialog"))
    assert chat.text_of("report-dialog-title") == "Report #reports-room-six"
    assert chat.text_of("report-target").startswith("#reports-room-six: the room itself")
    assert not chat.find("#report-block-choice").is_displayed()
    chat.find('#report-reasons input[value="inappropriate"]').click()
    chat.find("#report-comment").send_keys("the topic insults people")
    chat.find("#report-submit").click()
    chat.wait(lambda: not chat.dialog_open("report-dialog"), message="the report dialog stayed open")
    chat.wait(lambda: "The site’s admins will review your report." in chat.js(toasts))
    # Not the owner's to see: the room's reports go to the site admins alone.
    assert owner.call("GET", "/api/reports", expect=200).json()["reports"] == []
    # Someone not in it reports it from Browse; the owner is offered no report of it there.
    account("cy_rep6", display_name="Cy")
    outsider = Chat(browsers(), server).log_in("cy_rep6")
    outsider.find("#browse-rooms").click()
    outsider.wait(lambda: outsider.dialog_open("browse-dialog"))
    outsider.wait(lambda: outsider.driver.find_elements(By.CSS_SELECTOR, '#browse-list button[aria-label="Report reports-room-six"]'))
    outsider.find('#browse-list button[aria-label="Report reports-room-six"]').click()
    outsider.wait(lambda: outsider.dialog_open("report-dialog"))
    assert outsider.text_of("report-dialog-title") == "Report #reports-room-six"
    outsider.find('#report-reasons input[value="spam"]').click()
    outsider.find("#report-submit").click()
    outsider.wait(lambda: not outsider.dialog_open("report-dialog") and outsider.dialog_open("browse-dialog"))
    own.find("#browse-rooms").click()
    own.wait(lambda: own.dialog_open("browse-dialog"))
    own.wait(lambda: own.driver.find_elements(By.CSS_SELECTOR, '#browse-list li.browse-item[data-name="reports-room-six"]'))
    assert not own.driver.find_elements(By.CSS_SELECTOR, '#browse-list button[aria-label="Report reports-room-six"]')
    own.find("#browse-dialog [data-close]").click()

    # The site admin lists the reports of rooms, and dismisses it; Ann hears of it.
    root = Chat(browsers(), server).log_in("root_rep6")
    root.wait(lambda: (count(root) or "").startswith("Reports ("), message="the open count did not arrive")
    root.find("#reports-open").click()
    root.wait(lambda: root.dialog_open("reports-dialog"))
    root.find('#reports-subject input[value="room"]').click()
    ours = lambda: [e for e in listed(root) if e["message"].startswith("#reports-room-six")]  # noqa: E731
    root.wait(lambda: len(ours()) == 2 and {e["subject"] for e in listed(root)} == {"room"}, message=lambda: listed(root))
    assert root.text_of("reports-status").endswith("of rooms.")
    entry = ours()[1]
    assert entry["message"] == "#reports-room-six: the room itself, not one message" and entry["reason"] == "Inappropriate"
    assert "“the topic insults people”" in entry["by"]
    # Not in the room, he has no "Open the room" (a member has).
    buttons = "return [...document.querySelectorAll('#reports-list li.report-entry[data-subject=room] button')].map(b => b.textContent)"
    assert root.js(buttons) == ["Dismiss", "Delete room"] * 2, root.js(buttons)
    root.find('#reports-list li.report-entry[data-subject="room"] button[aria-label="Dismiss the report of #reports-room-six"]').click()
    root.wait(lambda: ours() == [])
    chat.wait(lambda: "Your report of #reports-room-six was reviewed. It stays." in chat.js(toasts))
    chat.find("#profile-open").click()
    chat.wait(lambda: chat.dialog_open("profile-dialog"))
    chat.wait(lambda: [(e["message"], e["outcome"][:len("Reviewed, the room stays")]) for e in listed_mine(chat)]
              == [("#reports-room-six: the room itself, not one message", "Reviewed, the room stays")], message=lambda: listed_mine(chat))
    chat.find("#profile-dialog [data-close]").click()

    # Reported again, the site admin deletes the room from the list: its members see it go, Ann hears why.
    ann.call("POST", f"/api/rooms/{room}/report", json={"reason": "spam"}, expect=201)
    root.wait(lambda: len(ours()) == 1, message=lambda: listed(root))
    root.find('#reports-list li.report-entry[data-subject="room"] button[aria-label="Delete #reports-room-six"]').click()
    root.confirm()
    root.wait(lambda: ours() == [])
    chat.wait(lambda: "#reports-room-six, which you reported, has been deleted." in chat.js(toasts))
    own.wait(lambda: "reports-room-six" not in own.text_of("sidebar"), message="the room stayed in the owner's list")
    owner.call("GET", f"/api/rooms/{room}", expect=404)
