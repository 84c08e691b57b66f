// Forwarding: a dialog that posts a message into one of my rooms (or DMs) with an optional
// comment; the new message quotes the original as it was (`forwarded`).
import * as actions from "/actions.js";
import { $, el } from "/dom.js";
import { authorName, roomLabel, roomName, tooLongMessage, truncate } from "/format.js";
import { preview } from "/markup.js";
import { on, state } from "/state.js";
import { showError } from "/views/dialogs.js";
import { toast } from "/views/toast.js";

/// The message being forwarded and the room picked for it.
let source = null;
let picked = null;
/// The room the arrow keys are on in the list (the filter box's active option; Enter picks it).
let active = null;

export function initForward() {
  // The filter box is a combobox over the list: typing narrows it (the first room becomes the
  // active one), ↑/↓ move between its rooms, Enter picks the active one (before, only the first
  // could be picked from the keyboard without tabbing through every room).
  $("forward-filter").addEventListener("input", () => {
    active = null;
    renderRooms();
  });
  $("forward-filter").addEventListener("keydown", (event) => {
    const rooms = matchingRooms();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (event.altKey || rooms.length === 0) return;
      event.preventDefault();
      const at = rooms.findIndex((room) => room.id === active);
      const next = event.key === "ArrowDown" ? (at + 1) % rooms.length : (at - 1 + rooms.length) % rooms.length;
      active = rooms[at < 0 ? 0 : next].id;
      renderRooms();
    } else if (event.key === "Enter") {
      event.preventDefault();
      const room = rooms.find((room) => room.id === active) ?? rooms[0];
      if (room) pick(room.id);
    }
  });
  $("forward-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  // A room archived (or left) meanwhile is no longer offered, nor kept as the choice; the list is
  // only redrawn when what it offers changed (it keeps the focus otherwise).
  on("rooms", () => {
    if (!$("forward-dialog").open || offered() === shown) return;
    const room = state.rooms.get(picked);
    if (!room || room.archived_at) picked = null;
    renderRooms();
  });
}

/// Which rooms may be forwarded into, as one string; and as the list last showed them.
const offered = () => [...state.rooms.values()].filter((room) => !room.archived_at).map((room) => `${room.id}:${destination(room)}`).sort().join(",");
let shown = "";

export function openForward(message) {
  source = message;
  picked = null;
  active = null;
  $("forward-filter").value = "";
  $("forward-text").value = "";
  showError("forward-error", null);
  $("forward-preview").replaceChildren(
    el("strong", { text: authorName(message) }),
    el("span", { text: `: ${truncate(preview(message), 200)}` }),
  );
  renderRooms();
  $("forward-dialog").showModal();
  $("forward-filter").focus();
}

/// A room as the room list names it: "#name", and a DM by its person's display name (no "@" before a
/// display name: "@" is for usernames).
const destination = (room) => (room.kind === "dm" ? roomName(room) : roomLabel(room));

/// My rooms whose label holds the filter's words, by label (not archived ones: nothing is posted there).
function matchingRooms() {
  const words = $("forward-filter").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return [...state.rooms.values()]
    .filter((room) => !room.archived_at && words.every((word) => destination(room).toLowerCase().includes(word)))
    .sort((a, b) => destination(a).localeCompare(destination(b)));
}

function renderRooms() {
  shown = offered();
  const rooms = matchingRooms();
  // The active room stays while it is listed; otherwise the first one listed is.
  if (!rooms.some((room) => room.id === active)) active = rooms[0]?.id ?? null;
  const filter = $("forward-filter");
  // The options are not tab stops: the focus stays in the filter box, which points at the active
  // one (aria-activedescendant); aria-selected marks the room picked.
  $("forward-rooms").replaceChildren(
    ...rooms.map((room) =>
      el("li", {
        className: `option${room.id === active ? " active" : ""}`, text: destination(room),
        attrs: { role: "option", id: optionId(room.id), "aria-selected": String(room.id === picked) },
        dataset: { room: room.id },
        on: {
          mousedown: (event) => event.preventDefault(),
          click: () => {
            active = room.id;
            pick(room.id);
          },
        },
      }),
    ),
  );
  if (rooms.length === 0) $("forward-rooms").append(el("li", { className: "muted", text: "No room of yours matches.", attrs: { role: "presentation" } }));
  filter.setAttribute("aria-expanded", String(rooms.length > 0));
  if (active !== null) {
    filter.setAttribute("aria-activedescendant", optionId(active));
    document.getElementById(optionId(active))?.scrollIntoView({ block: "nearest" });
  } else {
    filter.removeAttribute("aria-activedescendant");
  }
  $("forward-submit").disabled = picked === null;
  $("forward-submit").textContent = picked === null ? "Forward" : `Forward to ${destination(state.rooms.get(picked))}`;
}

const optionId = (roomId) => `forward-room-${roomId}`;

function pick(roomId) {
  picked = roomId;
  renderRooms();
  $("forward-text").focus();
}

async function submit() {
  if (!source || picked === null) return;
  const room = state.rooms.get(picked);
  if (tooLongMessage($("forward-text").value.trim())) return showError("forward-error", new Error("A comment is at most 4,000 characters."), ["forward-text"]);
  $("forward-submit").disabled = true;
  try {
    await actions.forward(source.id, picked, $("forward-text").value);
    $("forward-dialog").close();
    toast(`Forwarded to ${destination(room)}.`, { kind: "info" });
  } catch (error) {
    // The comment is the only text of a forward the server checks.
    showError("forward-error", error, error.code === "invalid_text" ? ["forward-text"] : []);
    $("forward-submit").disabled = false;
  }
}
