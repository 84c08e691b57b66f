// Jumping to a conversation by name (Ctrl+K, as in Slack, Discord, Mattermost and Element): my
// rooms, groups and DMs, then public rooms I have not joined, then people I have no DM with. Typing
// filters as one types, the arrows choose, Enter opens (joining a public room, or opening a DM).
import * as actions from "/actions.js";
import { Rooms } from "/api.js";
import { $, avatarFor, el, srOnly } from "/dom.js";
import { isGroupDM, roomName } from "/format.js";
import { roomIcon } from "/icons.js";
import { state } from "/state.js";
import { joinPublicRoom } from "/views/roomdialogs.js";
import { setDrawer } from "/views/sidebar.js";
import { toastError } from "/views/toast.js";

const LIMIT = 12;
let navigate = () => {};
/// What the list shows: `{key, kind: "room"|"join"|"person", room?, user?}`, in order.
let entries = [];
let active = 0;
let people = [];
/// What was typed when the list was last drawn.
let drawnFor = null;
let controller = null;
let timer = null;

export function initSwitcher({ onNavigate }) {
  navigate = onNavigate;
  $("switcher-open").addEventListener("click", openSwitcher);
  $("switcher-input").addEventListener("input", () => {
    render();
    clearTimeout(timer);
    timer = setTimeout(findPeople, 150);
  });
  $("switcher-input").addEventListener("keydown", (event) => {
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && entries.length) {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : -1) + entries.length) % entries.length;
      paintActive();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (entries[active]) pick(entries[active]);
    }
  });
  document.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.shiftKey || event.altKey || $("chat").hidden || document.querySelector("dialog[open]")) return;
    // Ctrl+K (⌘K) opens it from anywhere in the chat; Ctrl+/ lists the keyboard shortcuts.
    if (event.key.toLowerCase() === "k") {
      event.preventDefault();
      openSwitcher();
    } else if (event.key === "/") {
      event.preventDefault();
      $("shortcuts-dialog").showModal();
    }
  });
}

export function openSwitcher() {
  people = [];
  drawnFor = null;
  $("switcher-input").value = "";
  render();
  $("switcher-dialog").showModal();
  $("switcher-input").focus();
}

/// How well `query` names `text`: 0 from its start, 1 from a word's start, 2 inside it; null not at all.
function rank(text, query) {
  const lower = (text ?? "").toLowerCase();
  const at = lower.indexOf(query);
  if (at < 0) return null;
  if (at === 0) return 0;
  return /[\p{L}\p{N}]/u.test(lower[at - 1]) ? 2 : 1;
}

/// The best rank among `texts`, or Infinity when none matches.
const best = (query, ...texts) => Math.min(Infinity, ...texts.map((text) => rank(text, query) ?? Infinity));

/// When a room last had a message (its newest id), for "most recent first".
const activity = (room) => room.latest_id ?? room.last_message?.id ?? 0;

function candidates(query) {
  const mine = [...state.rooms.values()];
  if (!query) {
    // Nothing typed: my conversations, the most recently active first, the open one last.
    const open = state.room && !state.room.closed ? state.room.id : null;
    return mine
      .filter((room) => !(room.kind === "dm" && room.closed))
      .sort((a, b) => (a.id === open) - (b.id === open) || activity(b) - activity(a) || roomName(a).localeCompare(roomName(b)))
      .slice(0, LIMIT)
      .map((room) => ({ key: `room-${room.id}`, kind: "room", room }));
  }
  const scored = (list, names) =>
    list
      .map((item) => ({ item, score: best(query, ...names(item)) }))
      .filter(({ score }) => score !== Infinity);
  const unread = (room) => (room.unread_count > 0 && room.notify_level !== "none" ? 0 : 1);
  const rooms = scored(mine, (room) => [roomName(room), ...(room.kind === "dm" ? (room.dm_members ?? [room.dm_with]).map((user) => user?.username) : [])])
    .sort((a, b) => a.score - b.score || unread(a.item) - unread(b.item) || activity(b.item) - activity(a.item) || roomName(a.item).localeCompare(roomName(b.item)))
    .map(({ item }) => ({ key: `room-${item.id}`, kind: "room", room: item }));
  const joinable = scored(state.directory.filter((room) => !state.rooms.has(room.id)), (room) => [room.name])
    .sort((a, b) => a.score - b.score || a.item.name.localeCompare(b.item.name))
    .map(({ item }) => ({ key: `join-${item.id}`, kind: "join", room: item }));
  // People I have a two-person DM with are found as that conversation.
  const withDM = new Set([...state.rooms.values()].filter((room) => room.kind === "dm" && room.dm_with).map((room) => room.dm_with.id));
  const persons = people
    .filter((user) => user.id !== state.me?.id && !withDM.has(user.id) && best(query, user.username, user.display_name) !== Infinity)
    .map((user) => ({ key: `person-${user.id}`, kind: "person", user }));
  return [...rooms, ...joinable, ...persons].slice(0, LIMIT);
}

function render() {
  const query = $("switcher-input").value.trim().replace(/^[#@]/, "").toLowerCase();
  const previous = entries[active]?.key;
  entries = candidates(query);
  // The choice stays on the same entry as people arrive; a change of what was typed chooses the best match again.
  active = query === drawnFor ? Math.max(0, entries.findIndex((entry) => entry.key === previous)) : 0;
  drawnFor = query;
  $("switcher-list").replaceChildren(...entries.map(option));
  $("switcher-empty").hidden = entries.length > 0 || !query;
  paintActive();
}

function option(entry, index) {
  let lead, name, detail;
  if (entry.kind === "person") {
    lead = avatarFor(entry.user, "avatar small");
    name = entry.user.display_name;
    detail = `@${entry.user.username} · new conversation`;
  } else {
    const room = entry.room;
    lead = room.kind === "dm" && room.dm_with ? avatarFor({ ...room.dm_with, display_name: roomName(room) }, "avatar small") : roomIcon(room);
    name = roomName(room);
    detail =
      entry.kind === "join"
        ? `public room · ${room.has_password ? "join with its password" : "join"}`
        : isGroupDM(room)
          ? `group conversation · ${room.dm_members.length + 1} people`
          : room.kind === "dm"
          ? `@${room.dm_with?.username ?? ""}`
          : room.kind === "group" ? "private group" : "room";
    if (room.archived_at) detail += " · archived";
  }
  const unread = entry.kind === "room" && entry.room.unread_count > 0 && entry.room.notify_level !== "none";
  return el(
    "li",
    {
      className: "option switcher-option",
      attrs: { role: "option", id: `switcher-${entry.key}`, "aria-selected": index === active ? "true" : "false" },
      dataset: { key: entry.key },
      on: { mousedown: (event) => event.preventDefault(), click: () => pick(entry), mousemove: () => index !== active && ((active = index), paintActive()) },
    },
    lead,
    el("span", { className: "switcher-name", text: name }),
    el("span", { className: "muted switcher-detail", text: detail }),
    unread
      ? el("span", {
        className: entry.room.mentioned ? "badge mention" : "badge",
        text: entry.room.unread_display ?? String(entry.room.unread_count),
        attrs: { "aria-hidden": "true" },
      })
      : null,
    unread ? srOnly(`, ${entry.room.unread_display ?? entry.room.unread_count} unread`) : null,
  );
}

function paintActive() {
  const items = $("switcher-list").children;
  for (let i = 0; i < items.length; i++) {
    items[i].classList.toggle("active", i === active);
    items[i].setAttribute("aria-selected", i === active ? "true" : "false");
  }
  const current = items[active];
  if (current) {
    $("switcher-input").setAttribute("aria-activedescendant", current.id);
    current.scrollIntoView({ block: "nearest" });
  } else {
    $("switcher-input").removeAttribute("aria-activedescendant");
  }
}

/// People whose username, or a word of whose display name, starts with what was typed, for a new DM
/// (rooms are known already).
async function findPeople() {
  const prefix = $("switcher-input").value.trim().replace(/^[#@]/, "");
  controller?.abort();
  if (!prefix) return;
  controller = new AbortController();
  try {
    const found = await Rooms.searchUsers(prefix.slice(0, 32), 8, { signal: controller.signal });
    if ($("switcher-input").value.trim().replace(/^[#@]/, "") !== prefix) return;
    people = found.users;
    render();
  } catch (error) {
    if (error.name !== "AbortError") toastError(error);
  }
}

async function pick(entry) {
  $("switcher-dialog").close();
  setDrawer(false);
  try {
    if (entry.kind === "room") {
      const room = entry.room;
      // A DM I closed comes back to my list as it opens.
      if (room.kind === "dm" && room.closed && room.dm_members?.length) await actions.openDM(room.dm_members.map((user) => user.id));
      navigate(room.id);
    } else if (entry.kind === "join") {
      await joinPublicRoom(entry.room, { onError: toastError });
    } else {
      navigate((await actions.openDM(entry.user.id)).id);
    }
  } catch (error) {
    toastError(error);
  }
}
