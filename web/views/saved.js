// Saved messages: a dialog with my private bookmarks, the latest saved first, each opening its
// room at the message or taken off the list; kept in step with my other tabs, and with the messages'
// edits and deletions (a deleted one stays as a tombstone, as the server lists it), while it is open.
import * as actions from "/actions.js";
import { $, button, el, messageEntry } from "/dom.js";
import { authorName, dayLabel, formatTime, roomLabel, truncate } from "/format.js";
import { icon } from "/icons.js";
import { isSaved, on, state } from "/state.js";
import { preview } from "/markup.js";
import { showError } from "/views/dialogs.js";

let navigate = () => {};
/// The entries shown (oldest last) and whether more lie beyond them.
let current = { entries: [], hasMore: false };
/// Counts loads, so an answer to an older one is dropped.
let generation = 0;

export function initSaved({ onNavigate }) {
  navigate = onNavigate;
  $("saved-open").append(icon("bookmark"));
  $("saved-open").addEventListener("click", openSaved);
  $("saved-more").addEventListener("click", () => load({ more: true }));
  on("saved", ({ saved }) => {
    if (!$("saved-dialog").open) return;
    // Saved elsewhere: the list starts over with it; unsaved: it leaves the list.
    if (saved) load();
    else render();
  });
  on("roomMessage", ({ type, message }) => {
    if (type === "message.created" || !$("saved-dialog").open) return;
    if (!current.entries.some((entry) => entry.message.id === message.id)) return;
    // (Nothing brings a deleted one back.)
    const follow = (entry) => (entry.message.id === message.id && !entry.message.deleted ? { ...entry, message } : entry);
    current = { ...current, entries: current.entries.map(follow) };
    render();
  });
}

export function openSaved() {
  current = { entries: [], hasMore: false };
  render();
  $("saved-dialog").showModal();
  load();
}

async function load({ more = false } = {}) {
  const mine = ++generation;
  $("saved-error").textContent = "";
  const before = more ? current.entries.at(-1)?.id : undefined;
  $("saved-list").setAttribute("aria-busy", "true");
  try {
    const page = await actions.loadSaved(before);
    if (mine !== generation) return;
    current = { entries: more ? [...current.entries, ...page.saved] : page.saved, hasMore: page.has_more };
    render();
  } catch (error) {
    if (mine === generation) showError("saved-error", error);
  } finally {
    if (mine === generation) $("saved-list").removeAttribute("aria-busy");
  }
}

function render() {
  // Entries unsaved since they were loaded (here or elsewhere) are left out.
  const entries = current.entries.filter((entry) => isSaved({ ...entry.message, saved: true }));
  $("saved-more").hidden = !current.hasMore;
  $("saved-status").textContent = entries.length === 0
    ? "Nothing saved yet. Save a message from its actions to find it here."
    : `${entries.length}${current.hasMore ? "+" : ""} saved ${entries.length === 1 ? "message" : "messages"}.`;
  $("saved-list").replaceChildren(...entries.map(entryNode));
}

function entryNode({ message }) {
  const room = state.rooms.get(message.room_id);
  const created = new Date(message.created_at);
  const where = roomLabel(room);
  const text = message.deleted ? "This message was deleted." : truncate(preview(message), 300);
  return messageEntry({
    className: "search-result saved-entry",
    dataset: { message: message.id },
    meta: [el("strong", { text: authorName(message) }), el("span", { className: "muted", text: `${where} · ${dayLabel(created)} ${formatTime(created)}` })],
    body: el("span", { className: message.deleted ? "search-text muted" : "search-text", text }),
    onOpen: () => {
      $("saved-dialog").close();
      navigate(message.room_id, { message: message.id });
    },
    extra: [
      button("Remove", {
        className: "secondary small",
        attrs: { "aria-label": `Remove the message from ${authorName(message)} from saved` },
        onClick: () => actions.toggleSaved({ ...message, saved: true }).catch((error) => showError("saved-error", error)),
      }),
    ],
  });
}
