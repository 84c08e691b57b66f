// Activity: the messages that notified me in the last two weeks (mentions, replies to my messages,
// DMs, @room, rooms I follow closely), newest first, each opening its room at the message. The
// button in the room header shows a dot while some are newer than what I last looked at, on any of
// my devices (the mark is the account's).
import * as actions from "/actions.js";
import { $, button, el, messageEntry } from "/dom.js";
import { authorName, dayLabel, formatFull, formatTime, isGroupDM, roomLabel, roomName, truncate } from "/format.js";
import { icon } from "/icons.js";
import { preview } from "/markup.js";
import { activity, on, state } from "/state.js";
import { showError } from "/views/dialogs.js";

const WHY = {
  mention: "mentioned you", reply: "replied to you", dm: "wrote to you", room_mention: "mentioned the room",
  here_mention: "mentioned everyone online", keyword: "used a keyword of yours", thread: "replied in a thread you follow", all: "wrote",
  reminder: "wrote (your reminder)",
};

let navigate = () => {};
/// Entries newer than this were new when the list opened: they stay marked while it is open.
let highlightAbove = Infinity;

export function initActivity({ onNavigate }) {
  navigate = onNavigate;
  $("activity-open").append(icon("at"), el("span", { className: "dot", attrs: { "aria-hidden": "true" } }));
  $("activity-open").addEventListener("click", openActivity);
  on("activity", render);
  on("reminders", () => $("activity-dialog").open && loadReminders());
  on("rooms", () => $("activity-dialog").open && render());
  on("blocks", render);
}

export async function openActivity() {
  showError("activity-error", null);
  highlightAbove = activity.seen;
  $("activity-dialog").showModal();
  render();
  loadReminders();
  try {
    // Fresh from the server (notifications of the time this tab was closed, too).
    await actions.loadActivity();
  } catch (error) {
    showError("activity-error", error);
  }
}

/// My reminders that have not come due, soonest first, each with Cancel.
async function loadReminders() {
  let reminders = [];
  try {
    reminders = await actions.loadReminders();
  } catch (error) {
    showError("activity-error", error);
  }
  $("reminders-section").hidden = reminders.length === 0;
  $("reminder-list").replaceChildren(...reminders.map(reminderItem));
}

function reminderItem(reminder) {
  const { message } = reminder;
  const where = roomLabel(state.rooms.get(message.room_id));
  const cancel = button("Cancel", {
    className: "secondary small",
    attrs: { "aria-label": `Cancel the reminder about ${authorName(message)}'s message` },
    onClick: () => actions.cancelReminder(reminder.id).then(loadReminders, (error) => showError("activity-error", error)),
  });
  return el(
    "li",
    { className: "entry reminder-entry", dataset: { reminder: reminder.id, message: message.id } },
    el(
      "span",
      { className: "person" },
      el("span", { className: "name entry-details", text: `${formatFull(new Date(reminder.remind_at))}: ${authorName(message)}${where ? ` in ${where}` : ""}` }),
      el("span", { className: "muted", text: message.deleted ? "This message was deleted." : truncate(preview(message), 120) }),
    ),
    cancel,
  );
}

/// What the list shows: notifications of rooms I am still in, not from people I blocked.
const shown = () => activity.notifications.filter((n) => state.rooms.has(n.room_id) && !state.blocked.has(n.message.sender.id));

function render() {
  const items = shown();
  // What shows in the open list counts as seen.
  if ($("activity-dialog").open && activity.loaded && items.some((n) => n.id > activity.seen)) {
    actions.markActivitySeen();
    return;
  }
  const fresh = items.some((n) => n.id > activity.seen);
  $("activity-open").classList.toggle("has-new", fresh);
  $("activity-open").setAttribute("aria-label", fresh ? "Mentions and replies (new)" : "Mentions and replies");
  if (!$("activity-dialog").open) return;
  $("activity-status").textContent = !activity.loaded ? "Loading…" : items.length === 0 ? "Nothing in the last two weeks." : "";
  $("activity-list").replaceChildren(...items.map(item));
}

function item(notification) {
  const { message } = notification;
  const room = state.rooms.get(notification.room_id);
  const created = new Date(notification.created_at);
  const where = isGroupDM(room) ? ` in ${roomName(room)}` : room.kind === "dm" ? "" : ` in #${roomName(room)}`;
  const text = message.deleted ? "This message was deleted." : truncate(preview(message), 200);
  return messageEntry({
    className: `search-result activity-entry${notification.id > highlightAbove ? " new" : ""}`,
    dataset: { reason: notification.reason, message: message.id },
    meta: [
      el("strong", { text: authorName(message) }),
      // The separator ends the part before the time (held to it by a no-break space): a time that
      // wraps on a phone starts its line, not with a stray "·".
      el("span", { text: `${WHY[notification.reason] ?? "wrote"}${where}\u00a0·` }),
      el("span", { className: "muted", text: `${dayLabel(created)} ${formatTime(created)}` }),
    ],
    body: el("span", { className: message.deleted ? "search-text muted" : "search-text", text }),
    onOpen: () => {
      $("activity-dialog").close();
      navigate(notification.room_id, { message: message.id });
    },
  });
}
