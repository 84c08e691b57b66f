// The open room's header (kind, name, topic, member count, notifications, settings, leave, and on a
// phone the "More" menu that holds the less-used tools), its pinned messages, and what shows when no
// room is open or the room closed under me.
import * as actions from "/actions.js";
import { $, button, el, richText } from "/dom.js";
import { authorName, formatFull, formatInterval, isGroupDM, localTimeIn, roomName, statusLabel, truncate } from "/format.js";
import { icon, roomIcon } from "/icons.js";
import { preview } from "/markup.js";
import { activeStatus, canModerate, mayWrite, myRole, on, pausedNow, RANK, state } from "/state.js";
import { confirmDialog } from "/views/dialogs.js";
import { openPin, openPins } from "/views/pins.js";
import { toastError } from "/views/toast.js";
import { serverNow } from "/clock.js";

const CLOSED_TEXT = {
  left: "You left this room.",
  removed: "You were removed from this room.",
  kicked: "You were removed from this room by a moderator.",
  banned: "You were banned from this room.",
  deleted: "This room was deleted.",
};

/// The name the open room had when it was opened (it may be gone from my rooms since).
let openedName = "";

/// How the notifications button shows each level.
const LEVELS = {
  all: { icon: "bell", label: "all messages" },
  mentions: { icon: "bellAt", label: "mentions only" },
  none: { icon: "bellOff", label: "muted" },
};

export function initRoomHead({ onSettings, onLeave, onToggleMembers, onNotifications }) {
  $("room-settings").append(icon("settings"));
  $("leave-room").append(icon("door"));
  $("room-settings").addEventListener("click", onSettings);
  $("room-notify").addEventListener("click", onNotifications);
  $("room-star").addEventListener("click", () => state.room && actions.toggleStar(state.room.id).catch(toastError));
  $("leave-room").addEventListener("click", onLeave);
  $("members-toggle").addEventListener("click", onToggleMembers);
  initMoreMenu();
  on("room", ({ changed }) => {
    if (changed === "opened") openedName = roomName(state.rooms.get(state.room.id));
    render();
  });
  on("rooms", () => {
    // A room renamed while open is closed (deleted, left) under its new name.
    const room = state.room && !state.room.closed ? state.rooms.get(state.room.id) : null;
    if (room) openedName = roomName(room);
    render();
  });
  on("members", render);
  on("pins", renderPins);
  render();
}

/// On a phone, "More" shows the header's less-used tools as a menu (style.css); picking one, a tap
/// elsewhere, Escape or another room closes it.
function initMoreMenu() {
  const more = $("room-more");
  const menu = $("room-more-menu");
  more.addEventListener("click", () => setMoreMenu(more.getAttribute("aria-expanded") !== "true"));
  // A dialog opened from the menu gives the focus back to its tool, hidden with the menu since (the
  // focus was left on the page): "More" takes it instead.
  let picked = null;
  menu.addEventListener("click", (event) => {
    picked = event.target.closest("button") ?? picked;
    if (event.target.closest("button")) setMoreMenu(false);
  });
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => setTimeout(() => {
      const lost = !document.activeElement || document.activeElement === document.body;
      if (picked && lost && !document.querySelector("dialog[open]") && !picked.checkVisibility() && more.checkVisibility()) more.focus();
    }));
  }
  menu.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    setMoreMenu(false);
    more.focus();
  });
  document.addEventListener("click", (event) => {
    if (!more.contains(event.target) && !menu.contains(event.target)) setMoreMenu(false);
  });
  on("room", () => setMoreMenu(false));
}

function setMoreMenu(open) {
  const more = $("room-more");
  if ((more.getAttribute("aria-expanded") === "true") === open) return;
  more.setAttribute("aria-expanded", String(open));
  more.closest(".room-head").classList.toggle("more-open", open);
  if (open) $("room-more-menu").querySelector("button:not([hidden])")?.focus();
}

/// When the DM line next changes by itself (a status or pause running out).
let dmTimer = null;

/// A DM's second line: the other person's username, their status, whether they paused
/// notifications and their local time, as Slack's DM header shows them.
function dmLine(room) {
  // A group DM: its topic, or who is in it, and how many of the others are online.
  if (isGroupDM(room)) {
    const who = room.topic || ["you", ...room.dm_members.map((user) => `@${user.username}`)].join(", ");
    const others = [...state.room.members.values()].filter((member) => member.user.id !== state.me.id);
    if (others.length === 0) return who;
    const online = others.filter((member) => (member.presence ?? (member.online ? "online" : "offline")) === "online").length;
    return `${who} · ${online} of ${others.length} online`;
  }
  const other = [...state.room.members.values()].find((member) => member.user.id !== state.me.id);
  const parts = [`@${room.dm_with?.username ?? other?.user.username ?? ""}`];
  if (room.topic) parts.push(room.topic);
  const status = activeStatus(other?.status);
  if (status) parts.push(statusLabel(status));
  if (pausedNow(other?.dnd_until)) parts.push(`notifications paused until ${formatFull(new Date(other.dnd_until))}`);
  // Their local time, when they show their time zone (as Slack's DM header does), kept to the minute.
  const local = other?.time_zone ? localTimeIn(other.time_zone) : null;
  if (local) parts.push(`${local.time} local time${local.day ? ` (${local.day})` : ""}`);
  const ends = [status?.expires_at, pausedNow(other?.dnd_until) ? other.dnd_until : null].filter(Boolean).map((end) => Date.parse(end) - serverNow());
  if (local) ends.push(60_000 - (Date.now() % 60_000));
  clearTimeout(dmTimer);
  if (ends.length) dmTimer = setTimeout(render, Math.min(2 ** 31 - 1, Math.max(0, Math.min(...ends)) + 50));
  return parts.join(" · ");
}

function render() {
  const room = state.room ? state.rooms.get(state.room.id) : null;
  const closed = state.room?.closed ?? null;
  const empty = $("room-empty");
  if (!state.room) {
    $("room-title").textContent = "Parley";
    $("room-topic").textContent = "";
    $("room-icon").replaceChildren();
    empty.hidden = false;
    empty.replaceChildren(el("p", { className: "empty-title", text: "Pick a room to start chatting." }), el("p", { className: "muted", text: "Or create one, or message someone, from the list." }));
  } else if (closed) {
    $("room-title").textContent = openedName;
    $("room-topic").textContent = "";
    empty.hidden = false;
    empty.replaceChildren(
      el("p", { className: "empty-title", text: CLOSED_TEXT[closed] ?? "This room is closed." }),
      state.room.closedDetail ? el("p", { className: "closed-detail", text: state.room.closedDetail }) : "",
      el("p", { className: "muted", text: "Pick another room from the list." }),
    );
  } else {
    empty.hidden = true;
    if (room) {
      $("room-title").textContent = roomName(room);
      // A topic's links open (as Slack's and Zulip's do), its custom emoji show.
      if (room.kind === "dm") $("room-topic").textContent = dmLine(room);
      else $("room-topic").replaceChildren(...richText(room.topic ?? "", null));
      // An archived room says so under its name too; so does a slowed one, to everyone (moderators
      // and up, who are not slowed, see no note above the message box).
      const tag = room.archived_at ? roomTag("archived-tag", "Archived", "Archived: read only")
        : room.slow_mode_seconds > 0 ? roomTag("slow-mode-tag", `Slow ${shortInterval(room.slow_mode_seconds)}`,
          `Slow mode: each member may post once every ${formatInterval(room.slow_mode_seconds)} (moderators and up are not slowed)`)
        : null;
      if (tag) $("room-topic").prepend(tag, $("room-topic").textContent ? " " : "");
      $("room-icon").replaceChildren(roomIcon(room));
    }
  }
  // A topic cut to one line is read whole: in its title, and (focused, or tapped) in full, wrapped (style.css).
  const topic = $("room-topic");
  const full = topic.textContent.trim();
  topic.title = full;
  if (full) {
    topic.tabIndex = 0;
    topic.setAttribute("aria-label", full);
  } else {
    topic.removeAttribute("tabindex");
    topic.removeAttribute("aria-label");
  }
  $("messages").hidden = !state.room || closed !== null;
  const usable = room && !closed;
  const toggle = $("members-toggle");
  toggle.hidden = !usable;
  if (usable) {
    const count = state.room.members.size || room.member_count;
    toggle.replaceChildren(icon("users"), el("span", { text: String(count) }));
    toggle.setAttribute("aria-label", `Members: ${count}`);
    toggle.title = "Members";
  }
  $("files-open").hidden = !usable;
  const star = $("room-star");
  star.hidden = !usable;
  if (usable) {
    star.replaceChildren(icon("star"));
    star.setAttribute("aria-pressed", String(room.starred === true));
    star.setAttribute("aria-label", room.starred ? "Starred: take the star back" : "Star this room (it lists first)");
    star.title = room.starred ? "Unstar" : "Star";
  }
  const bell = $("room-notify");
  bell.hidden = !usable;
  if (usable) {
    const level = LEVELS[room.notify_level] ?? LEVELS.mentions;
    bell.replaceChildren(icon(level.icon));
    bell.setAttribute("aria-label", `Notifications: ${level.label}`);
    bell.title = `Notifications: ${level.label}`;
    bell.dataset.level = room.notify_level ?? "";
  }
  // Site admins see the settings too, to delete the room (any but main).
  const siteAdminMayDelete = state.me?.site_role === "admin" && !(room?.kind === "public" && room?.name === "main");
  // In a DM, any of its people may set its topic (and nothing else).
  const dm = usable && room.kind === "dm";
  $("room-settings").hidden = !usable || (!dm && (RANK[myRole(room.id)] ?? -1) < RANK.admin && !siteAdminMayDelete);
  const settingsLabel = dm ? "Conversation topic" : "Room settings";
  $("room-settings").setAttribute("aria-label", settingsLabel);
  $("room-settings").title = settingsLabel;
  $("leave-room").hidden = !usable || room.kind === "dm" || myRole(room.id) === "owner";
  renderPins();
}

function roomTag(className, text, title) {
  return el("span", { className: `room-tag ${className}`, text, attrs: { title } });
}

/// A slow mode's interval in a few characters: "30 s", "5 min", "1 h".
function shortInterval(seconds) {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

function renderPins() {
  const bar = $("pins");
  const pins = state.room && !state.room.closed ? state.room.pins : [];
  bar.hidden = pins.length === 0;
  if (pins.length === 0) {
    bar.replaceChildren();
    return;
  }
  const roomId = state.room.id;
  const lines = pins.slice(0, 3).map((pin) => {
    const text = pin.message.deleted ? "(deleted)" : truncate(preview(pin.message), 140);
    // The pin opens its message (as a search result does).
    const open = el(
      "button",
      { className: "pin-open", attrs: { type: "button", title: "Show this message" }, on: { click: () => openPin(pin.message) } },
      el("strong", { text: authorName(pin.message) }),
      el("span", { className: "pin-text", text }),
    );
    const line = el("div", { className: "pin" }, icon("pin"), open);
    // (An archived room's pins stay as they are.)
    if (canModerate(roomId) && mayWrite(roomId)) {
      line.append(
        button("", {
          className: "icon-button small",
          icon: icon("x"),
          attrs: { "aria-label": "Unpin" },
          title: "Unpin",
          onClick: async () => {
            if ((await confirmDialog({ title: "Unpin this message?", confirm: "Unpin" })) === null) return;
            actions.moderation.unpin(roomId, pin.message.id).catch(toastError);
          },
        }),
      );
    }
    return line;
  });
  if (pins.length > 3) lines.push(el("div", {}, button(`and ${pins.length - 3} more pinned`, { className: "link pins-all", title: "Show every pinned message", onClick: openPins })));
  bar.replaceChildren(...lines);
  bar.setAttribute("aria-label", "Pinned messages");
}
