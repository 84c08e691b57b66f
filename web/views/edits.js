// A message's edit history: each text it had, oldest first, with when an edit replaced it, and
// the text it has now. Opened from a message's "(edited)"; while open it follows the message's
// edits, and a deletion takes the history off the screen (the server keeps none of a deleted one).
import { Messages } from "/api.js";
import { $, el } from "/dom.js";
import { formatFull } from "/format.js";
import { formatMessage } from "/markup.js";
import { myMarks, on } from "/state.js";
import { showError } from "/views/dialogs.js";

/// The id of the message whose history is shown.
let shown = null;
/// Counts loads, so an answer to an older one (or one that a deletion overtook) is dropped.
let generation = 0;

on("roomMessage", ({ type, message }) => {
  if (type === "message.created" || message.id !== shown || !$("edits-dialog").open) return;
  if (type === "message.deleted" || message.deleted) showDeleted();
  else load(message.id);
});

export function openEdits(message) {
  shown = message.id;
  $("edits-list").replaceChildren();
  $("edits-dialog").showModal();
  return load(message.id);
}

async function load(id) {
  const mine = ++generation;
  showError("edits-error", null);
  if (!$("edits-list").hasChildNodes()) $("edits-status").textContent = "Loading…";
  try {
    const { message: now, versions } = await Messages.edits(id);
    if (mine !== generation) return;
    if (now.deleted) return showDeleted();
    $("edits-status").textContent = `${versions.length} earlier ${versions.length === 1 ? "version" : "versions"}.`;
    const items = versions.map((version, index) =>
      versionItem(index === 0 ? "Original" : `Version ${index + 1}`, `until ${formatFull(new Date(version.replaced_at))}`, version.text),
    );
    items.push(versionItem("Now", `edited ${formatFull(new Date(now.edited_at ?? now.created_at))}`, now.text, "current"));
    $("edits-list").replaceChildren(...items);
  } catch (error) {
    if (mine !== generation) return;
    $("edits-status").textContent = "";
    showError("edits-error", error);
  }
}

/// The message is deleted: none of its texts stay on screen.
function showDeleted() {
  generation += 1;
  showError("edits-error", null);
  $("edits-status").textContent = "The message was deleted, and its history with it.";
  $("edits-list").replaceChildren();
}

function versionItem(label, when, text, className = "") {
  return el(
    "li",
    { className: `edit-version ${className}`.trim() },
    el("span", { className: "search-meta" }, el("strong", { text: label }), el("span", { className: "muted", text: when })),
    el("div", { className: "text" }, ...formatMessage(text, myMarks({ keywords: false }))),
  );
}
