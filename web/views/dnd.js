// Do not disturb: notifications paused for a while on every device of mine (the pause is the
// account's). Set and ended in the settings; a crossed-out bell in the footer shows it and ends it.
import * as actions from "/actions.js";
import { $ } from "/dom.js";
import { formatFull } from "/format.js";
import { icon } from "/icons.js";
import { notificationsPaused, on, state } from "/state.js";
import { showError } from "/views/dialogs.js";
import { serverNow } from "/clock.js";

let timer = null;

export function initDnd() {
  $("dnd-indicator").append(icon("bellOff"));
  $("dnd-indicator").addEventListener("click", () => actions.resumeNotifications().catch((error) => showError("dnd-error", error)));
  $("dnd-pause").addEventListener("click", pause);
  $("dnd-resume").addEventListener("click", () => actions.resumeNotifications().catch((error) => showError("dnd-error", error)));
  on("dnd", render);
  render();
}

/// Minutes from now to a choice: a number of minutes, or "tomorrow" (9:00 tomorrow morning).
function minutesFor(choice) {
  if (choice !== "tomorrow") return Number(choice);
  const morning = new Date();
  morning.setDate(morning.getDate() + 1);
  morning.setHours(9, 0, 0, 0);
  return Math.max(1, Math.round((morning - Date.now()) / 60_000));
}

async function pause() {
  showError("dnd-error", null);
  try {
    await actions.pauseNotifications(minutesFor($("dnd-duration").value));
  } catch (error) {
    showError("dnd-error", error, error.code === "invalid_duration" ? ["dnd-duration"] : []);
  }
}

function render() {
  clearTimeout(timer);
  const paused = notificationsPaused();
  const until = paused ? formatFull(new Date(state.dndUntil)) : "";
  $("dnd-indicator").hidden = !paused;
  $("dnd-indicator").title = paused ? `Notifications paused until ${until}. Click to resume.` : "";
  $("dnd-indicator").setAttribute("aria-label", paused ? `Notifications paused until ${until}. Resume notifications` : "Resume notifications");
  $("dnd-now").textContent = paused ? `Paused until ${until}.` : "Notifications are on.";
  $("dnd-resume").hidden = !paused;
  // When the pause runs out, everything shows it without a reload.
  if (paused) timer = setTimeout(render, Math.min(Date.parse(state.dndUntil) - serverNow() + 50, 2_147_000_000));
}
