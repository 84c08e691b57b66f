// Every pinned message of the open room: the bar above the timeline shows three, and "and N more
// pinned" opens this list of them all, read afresh; each opens its message in the room.
import * as actions from "/actions.js";
import { $, el, messageEntry } from "/dom.js";
import { authorName, dayLabel, formatTime, truncate } from "/format.js";
import { preview } from "/markup.js";
import { on, state } from "/state.js";

let navigate = () => {};
/// The room whose pins the dialog lists.
let listed = null;

export function initPins({ onNavigate }) {
  navigate = onNavigate;
  // Pinned or unpinned while it is open: the list follows; another room opened: it closes.
  on("pins", () => $("pins-dialog").open && render());
  on("room", () => {
    if ($("pins-dialog").open && (state.room?.id !== listed || state.room.closed)) $("pins-dialog").close();
  });
}

/// Opens the room at a pinned message (from the bar or the list).
export function openPin(message) {
  if ($("pins-dialog").open) $("pins-dialog").close();
  navigate(message.room_id, { message: message.id });
}

/// Lists every pin of the open room.
export async function openPins() {
  if (!state.room || state.room.closed) return;
  listed = state.room.id;
  render();
  $("pins-dialog").showModal();
  $("pins-list").setAttribute("aria-busy", "true");
  try {
    await actions.loadPins(listed);
  } finally {
    $("pins-list").removeAttribute("aria-busy");
  }
}

function render() {
  const pins = state.room?.id === listed ? state.room.pins : [];
  $("pins-status").textContent = pins.length === 0 ? "Nothing is pinned here." : `${pins.length} pinned ${pins.length === 1 ? "message" : "messages"}.`;
  $("pins-list").replaceChildren(...pins.map(entryNode));
}

function entryNode({ message }) {
  const created = new Date(message.created_at);
  const text = message.deleted ? "This message was deleted." : truncate(preview(message), 300);
  return messageEntry({
    className: "search-result pin-entry",
    dataset: { message: message.id },
    meta: [el("strong", { text: authorName(message) }), el("span", { className: "muted", text: `${dayLabel(created)} ${formatTime(created)}` })],
    body: el("span", { className: message.deleted ? "search-text muted" : "search-text", text }),
    onOpen: () => openPin(message),
  });
}
