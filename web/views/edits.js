// A message's edit history: each text it had, oldest first, with when an edit replaced it, and
// the text it has now. Opened from a message's "(edited)".
import { Messages } from "/api.js";
import { $, el } from "/dom.js";
import { formatFull } from "/format.js";
import { formatMessage } from "/markup.js";
import { myMarks } from "/state.js";
import { showError } from "/views/dialogs.js";

let shown = null;

export async function openEdits(message) {
  shown = message.id;
  showError("edits-error", null);
  $("edits-status").textContent = "Loading…";
  $("edits-list").replaceChildren();
  $("edits-dialog").showModal();
  try {
    const { message: now, versions } = await Messages.edits(message.id);
    if (shown !== message.id) return;
    $("edits-status").textContent = now.deleted
      ? "The message was deleted, and its history with it."
      : `${versions.length} earlier ${versions.length === 1 ? "version" : "versions"}.`;
    const items = versions.map((version, index) =>
      versionItem(index === 0 ? "Original" : `Version ${index + 1}`, `until ${formatFull(new Date(version.replaced_at))}`, version.text),
    );
    if (!now.deleted) items.push(versionItem("Now", `edited ${formatFull(new Date(now.edited_at ?? now.created_at))}`, now.text, "current"));
    $("edits-list").replaceChildren(...items);
  } catch (error) {
    $("edits-status").textContent = "";
    showError("edits-error", error);
  }
}

function versionItem(label, when, text, className = "") {
  return el(
    "li",
    { className: `edit-version ${className}`.trim() },
    el("span", { className: "search-meta" }, el("strong", { text: label }), el("span", { className: "muted", text: when })),
    el("div", { className: "text" }, ...formatMessage(text, myMarks({ keywords: false }))),
  );
}
