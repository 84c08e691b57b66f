// "Jump to a date", opened from a day's separator in the timeline (as Slack's date dividers do):
// today, yesterday, a week or a month ago, the beginning, or any day picked; the room then shows
// the first message sent that day (or after it) at the top.
import { $ } from "/dom.js";
import { showError } from "/views/dialogs.js";
import { toastError } from "/views/toast.js";

let jump = async () => {};

export function initJumpDate({ onJump }) {
  jump = onJump;
  for (const choice of $("jump-quick").querySelectorAll("button")) {
    choice.addEventListener("click", () => go(choice.dataset.days === "start" ? new Date(0) : daysAgo(Number(choice.dataset.days))));
  }
  $("jump-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const day = $("jump-date").valueAsDate ? localMidnight($("jump-date").value) : null;
    if (!day) {
      showError("jump-error", new Error("Pick a day."), ["jump-date"]);
      return;
    }
    go(day);
  });
}

/// Opens the dialog with the day of the separator clicked.
export function openJumpDialog(date = new Date()) {
  showError("jump-error", null);
  $("jump-date").value = isoDay(date);
  $("jump-date").max = isoDay(new Date());
  $("jump-dialog").showModal();
  $("jump-date").focus();
}

function go(time) {
  $("jump-dialog").close();
  jump(time).catch(toastError);
}

/// The start of the local day `days` before today.
function daysAgo(days) {
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  start.setDate(start.getDate() - days);
  return start;
}

/// `YYYY-MM-DD` of a date in local time (what a date input holds).
function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/// Local midnight of a `YYYY-MM-DD` day (a date input's `valueAsDate` is UTC midnight).
function localMidnight(value) {
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day);
}
