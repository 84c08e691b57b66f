// Scheduled messages ("send later"): the clock beside Send schedules what is in the box for a time
// (in an hour, tomorrow or Monday morning, or one picked); a bar over the box counts the open
// room's scheduled messages and those the server could not send; a dialog lists them all, each to
// send now, edit (text and time) or delete. Everything follows the `scheduled` state, which my
// other tabs' changes and the server's sends reach through events.
import * as actions from "/actions.js";
import { $, button, el, popupMenu } from "/dom.js";
import { formatFull, formatTime, mutedRefusal, roomLabel, serverText, TOO_LONG, tooLongMessage, truncate } from "/format.js";
import { icon } from "/icons.js";
import { preview } from "/markup.js";
import { on, scheduledList, state } from "/state.js";
import { clearDraft, setComposerError, takeDraft } from "/views/composer.js";
import { showError } from "/views/dialogs.js";
import { toast } from "/views/toast.js";

/// The entry whose edit form is open in the dialog (kept across re-renders), or null.
let editing = null;

export function initScheduled() {
  $("schedule-send").append(icon("clock"));
  $("schedule-send").addEventListener("click", openMenu);
  $("scheduled-open").addEventListener("click", openDialog);
  on("scheduled", () => {
    renderBar();
    if ($("scheduled-dialog").open) renderDialog();
  });
  on("room", renderBar);
  on("rooms", () => $("scheduled-dialog").open && renderDialog());
  $("scheduled-dialog").addEventListener("close", () => {
    editing = null;
  });
}

/// 9:00 in the morning, `days` from today.
function morning(days) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  date.setHours(9, 0, 0, 0);
  return date;
}

/// When "Send later" can send: in an hour, tomorrow morning, next Monday morning.
function choices() {
  const tomorrow = morning(1);
  const monday = morning((8 - new Date().getDay()) % 7 || 7);
  return [
    ["In 1 hour", new Date(Date.now() + 3_600_000)],
    [`Tomorrow at ${formatTime(tomorrow)}`, tomorrow],
    // On a Monday it is the next one's, and says so ("Monday" read as today's, a hunt).
    ...(monday.getTime() === tomorrow.getTime() ? [] : [[`${new Date().getDay() === 1 ? "Next Monday" : "Monday"} at ${formatTime(monday)}`, monday]]),
  ];
}

/// A date as a `datetime-local` input's value (local time, to the minute).
function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/// Whole seconds from now to a time, rounded up: the server adds them to its own clock, and the
/// message must not be sent (nor show) before the minute picked.
const secondsTo = (date) => Math.ceil((date.getTime() - Date.now()) / 1000);

/// Seconds from now to a `datetime-local` value; null when it is not a time to come.
function secondsUntil(value) {
  const seconds = secondsTo(new Date(value));
  return Number.isFinite(seconds) && seconds >= 1 ? seconds : null;
}

/// When a scheduled message is sent, to the nearest minute (the time picked, give or take the
/// request's way to the server).
const sendTime = (s) => new Date(Math.round(Date.parse(s.send_at) / 60_000) * 60_000);

function openMenu() {
  const anchor = $("schedule-send");
  if (!takeDraft()) return;
  const picked = el("input", {
    className: "schedule-at",
    attrs: { type: "datetime-local", "aria-label": "Send at", value: localInput(new Date(Date.now() + 3_600_000)), min: localInput(new Date()) },
  });
  const pick = button("Schedule", {
    className: "pick when schedule-picked",
    onClick: () => {
      const seconds = secondsUntil(picked.value);
      if (seconds === null) {
        picked.setCustomValidity("Pick a time to come.");
        picked.reportValidity();
        return;
      }
      close();
      schedule(seconds);
    },
  });
  picked.addEventListener("input", () => picked.setCustomValidity(""));
  picked.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      pick.click();
    }
  });
  const { close } = popupMenu({
    className: "remind-menu schedule-menu", label: "Send later", anchor, parent: $("composer"),
    items: choices().map(([label, date]) => [label, () => schedule(Math.max(1, secondsTo(date)))]),
    extra: [el("div", { className: "schedule-custom" }, el("label", { className: "muted small", text: "Or at" }, picked), pick)],
  });
}

async function schedule(seconds) {
  const draft = takeDraft();
  if (!draft) return;
  try {
    const scheduled = await actions.schedule(draft.roomId, draft.text, draft.replyTo, seconds);
    clearDraft(draft);
    toast(`Scheduled for ${formatFull(sendTime(scheduled))}.`, { kind: "info" });
  } catch (error) {
    setComposerError(`Not scheduled: ${error.message}`);
  }
}

function renderBar() {
  const here = state.room && !state.room.closed ? scheduledList(state.room.id) : [];
  const failed = here.filter((s) => s.failure).length;
  $("scheduled-bar").hidden = here.length === 0;
  $("scheduled-bar").classList.toggle("failed", failed > 0);
  $("scheduled-bar-text").textContent =
    `${here.length} scheduled ${here.length === 1 ? "message" : "messages"} here` + (failed ? ` · ${failed} could not be sent` : "");
}

function openDialog() {
  editing = null;
  $("scheduled-error").textContent = "";
  renderDialog();
  $("scheduled-dialog").showModal();
  focusEntry();
  actions.loadScheduled().catch((error) => showError("scheduled-error", error));
}

function renderDialog() {
  const all = scheduledList();
  if (editing !== null && !state.scheduled.has(editing)) editing = null;
  $("scheduled-status").textContent = all.length === 0
    ? "Nothing scheduled. Write a message, then pick a time with the clock beside Send."
    : `${all.length} scheduled ${all.length === 1 ? "message" : "messages"}, soonest first.`;
  const list = $("scheduled-list");
  const kept = editing === null ? null : list.querySelector(`li[data-scheduled="${editing}"]`);
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  list.replaceChildren(...all.map((s) => (s.id === editing && kept ? kept : entry(s))));
  if (focused && !list.contains(document.activeElement)) focusEntry(focused.closest("li")?.dataset.scheduled, focused.textContent);
}

/// The focus stays in the dialog as the list re-renders (it reloads as it opens): on the same
/// entry's same button, else the first entry, else Close.
function focusEntry(id, label) {
  const item = id ? $("scheduled-list").querySelector(`li[data-scheduled="${id}"]`) : null;
  const same = item && [...item.querySelectorAll("button")].find((b) => b.textContent === label);
  (same ?? item?.querySelector("button") ?? $("scheduled-list").querySelector("button") ?? $("scheduled-dialog").querySelector("[data-close]")).focus();
}

/// Why a scheduled message was refused, as the composer says it: a mute's end in local time, not ISO 8601.
function failureText(failure) {
  const message = serverText(failure.message);
  return failure.code === "muted" ? mutedRefusal(message).message : message;
}

function entry(s) {
  const room = state.rooms.get(s.room_id);
  const run = (label, work) => async () => {
    $("scheduled-error").textContent = "";
    try {
      await work();
    } catch (error) {
      showError("scheduled-error", { message: `${label}: ${error.message}` });
    }
  };
  return el(
    "li",
    { className: `scheduled-entry${s.failure ? " failed" : ""}`, dataset: { scheduled: s.id } },
    el(
      "p",
      { className: "search-meta" },
      el("strong", { text: formatFull(sendTime(s)) }),
      el("span", { className: "muted", text: ` · ${roomLabel(room) || "a room you left"}${s.reply_to ? " · a reply" : ""}` }),
    ),
    el("p", { className: "scheduled-text", text: truncate(preview({ text: s.text }), 300) }),
    s.failure ? el("p", { className: "error scheduled-failure", text: `Not sent: ${failureText(s.failure)}` }) : null,
    el(
      "div",
      { className: "entry-actions" },
      button("Send now", {
        className: "secondary small",
        attrs: { "aria-label": `Send now: ${truncate(s.text, 40)}` },
        onClick: run("Not sent", async () => {
          await actions.sendScheduledNow(s.id);
          toast("Sent.", { kind: "info" });
        }),
      }),
      button("Edit", { className: "secondary small", onClick: () => startEdit(s) }),
      button("Delete", { className: "danger small", onClick: run("Not deleted", () => actions.cancelScheduled(s.id)) }),
    ),
  );
}

/// Turns an entry into a form: its text and its time, saved together.
function startEdit(s) {
  editing = s.id;
  const text = el("textarea", { className: "scheduled-edit-text", attrs: { id: `scheduled-edit-text-${s.id}`, rows: "3", "aria-label": "Text" } });
  text.value = s.text;
  const at = el("input", { attrs: { id: `scheduled-edit-at-${s.id}`, type: "datetime-local", "aria-label": "Send at", value: localInput(sendTime(s)) } });
  const error = el("p", { className: "error", attrs: { id: `scheduled-edit-error-${s.id}`, role: "alert" } });
  // The error line marks the field it is about (a refused text or time), as the dialogs' do.
  const fail = (message, field = null) => showError(error.id, new Error(message), field ? [field.id] : []);
  const save = async () => {
    const changes = {};
    if (text.value.trim() !== s.text) changes.text = text.value;
    if (tooLongMessage(text.value.trim())) {
      fail(TOO_LONG, text);
      return;
    }
    // A failed one waits again only for a time to come.
    if (at.value !== localInput(sendTime(s)) || s.failure) {
      const seconds = secondsUntil(at.value);
      if (seconds === null) {
        fail("Pick a time to come.", at);
        return;
      }
      changes.in_seconds = seconds;
    }
    if (Object.keys(changes).length === 0) return stopEdit();
    try {
      await actions.updateScheduled(s.id, changes);
      stopEdit();
    } catch (failure) {
      fail(`Not saved: ${failure.message}`, { invalid_text: text, invalid_schedule: at }[failure.code]);
    }
  };
  const form = el(
    "li",
    { className: "scheduled-entry editing", dataset: { scheduled: s.id } },
    el("label", { className: "field", text: "Text" }, text),
    el("label", { className: "field", text: "Send at" }, at),
    error,
    el(
      "div",
      { className: "entry-actions" },
      button("Save", { className: "primary small", onClick: save }),
      button("Cancel", { className: "secondary small", onClick: stopEdit }),
    ),
  );
  $("scheduled-list").querySelector(`li[data-scheduled="${s.id}"]`)?.replaceWith(form);
  text.focus();
}

function stopEdit() {
  editing = null;
  renderDialog();
}
