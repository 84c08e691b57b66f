"""Reminders: "Remind me" on a message, the upcoming list with Cancel, and the reminder coming back."""
import time

from parley_browser import Chat


def toasts(chat):
    return chat.js("return document.querySelector('.toasts')?.textContent ?? ''")


def test_a_reminder_is_set_listed_cancelled_and_comes_back(server, browsers, account):
    rae = account("rae_remind", display_name="Rae")
    sid = account("sid_remind", display_name="Sid")
    room = sid.create_room("remind-room")["id"]
    rae.join(room)
    message = sid.post(room, "renew the certificate")
    chat = Chat(browsers(), server).log_in("rae_remind")
    chat.open_room("remind-room")
    chat.wait(lambda: "renew the certificate" in chat.texts())

    chat.hover_action("renew the certificate", "remind")
    chat.wait(lambda: chat.js("return document.querySelector('.remind-menu') !== null"))
    labels = chat.js("return [...document.querySelectorAll('.remind-menu button')].map(b => b.textContent)")
    assert labels[:3] == ["In 20 minutes", "In 1 hour", "In 3 hours"] and labels[3].startswith("Tomorrow at "), labels
    before = time.time()
    chat.find(".remind-menu button").click()
    chat.wait(lambda: "Reminder set for" in toasts(chat), message="no confirmation")
    pending = rae.call("GET", "/api/me/reminders", expect=200).json()["reminders"]
    assert [r["message"]["id"] for r in pending] == [message["id"]]

    # The activity dialog lists it; Cancel takes it away.
    chat.find("#activity-open").click()
    chat.wait(lambda: chat.dialog_open("activity-dialog") and chat.find("#reminders-section").is_displayed())
    assert "Sid in #remind-room" in chat.text_of("reminder-list") and "renew the certificate" in chat.text_of("reminder-list")
    chat.find("#reminder-list button").click()
    chat.wait(lambda: not chat.find("#reminders-section").is_displayed())
    assert rae.call("GET", "/api/me/reminders", expect=200).json()["reminders"] == []
    chat.find("#activity-dialog [data-close]").click()
    assert time.time() - before < 20 * 60

    # One due in a second comes back: in the page, and in the activity list.
    rae.call("POST", f"/api/messages/{message['id']}/reminders", expect=201, json={"in_seconds": 1})
    chat.wait(lambda: "Reminder: Sid: renew the certificate" in toasts(chat), message="the reminder did not come back")
    chat.find("#activity-open").click()
    chat.wait(lambda: chat.js("return [...document.querySelectorAll('#activity-list li')].map(li => li.dataset.reason)") == ["reminder"])
    assert "your reminder" in chat.find('#activity-list li[data-reason="reminder"]').text


def test_the_reminder_list_follows_other_devices(server, browsers, account):
    ivy = account("ivy_remind", display_name="Ivy")
    jon = account("jon_remind", display_name="Jon")
    room = jon.create_room("remind-live")["id"]
    ivy.join(room)
    message = jon.post(room, "book the venue")
    chat = Chat(browsers(), server).log_in("ivy_remind")
    chat.find("#activity-open").click()
    chat.wait(lambda: chat.dialog_open("activity-dialog"))
    assert not chat.find("#reminders-section").is_displayed()

    # Set on another device (the API here): the open list shows it; cancelled there, it goes.
    made = ivy.call("POST", f"/api/messages/{message['id']}/reminders", expect=201, json={"in_seconds": 3600}).json()["reminder"]
    chat.wait(lambda: chat.find("#reminders-section").is_displayed() and "book the venue" in chat.text_of("reminder-list"),
              message="a reminder set elsewhere did not show")
    ivy.call("DELETE", f"/api/me/reminders/{made['id']}", expect=204)
    chat.wait(lambda: not chat.find("#reminders-section").is_displayed(), message="a reminder cancelled elsewhere stayed")
