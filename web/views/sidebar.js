// The room list (rooms, private groups, DMs, and archived rooms and groups apart at the bottom) with
// unread badges, the connection state, who I am (with my status), and on a phone the drawer that
// holds them.
import { chosenPresence, markAllRead, openRoom } from "/actions.js";
import { $, avatarFor, button, el, paintAvatar, srOnly } from "/dom.js";
import { roomName, statusLabel } from "/format.js";
import { icon, roomIcon } from "/icons.js";
import { activeStatus, hasDraft, on, siteAllows, state } from "/state.js";
import { toastError } from "/views/toast.js";
import { focusBoxWhenOpen } from "/views/composer.js";
import { serverNow } from "/clock.js";

const CONNECTION_TEXT = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", offline: "Offline — reconnecting…" };

let closeDM = () => {};

export function initSidebar({ onNewRoom, onNewGroup, onNewDM, onBrowse, onLogout, onProfile, onCloseDM }) {
  closeDM = onCloseDM;
  $("profile-open").addEventListener("click", onProfile);
  $("browse-rooms").append(icon("compass"));
  $("new-room").append(icon("plus"));
  $("new-group").append(icon("plus"));
  $("new-dm").append(icon("plus"));
  $("logout").append(icon("logout"));
  $("show-rooms").append(icon("menu"));
  $("browse-rooms").addEventListener("click", onBrowse);
  $("new-room").addEventListener("click", onNewRoom);
  $("new-group").addEventListener("click", onNewGroup);
  $("new-dm").addEventListener("click", onNewDM);
  $("logout").addEventListener("click", onLogout);
  $("show-rooms").addEventListener("click", () => setDrawer(!$("sidebar").classList.contains("open")));
  $("scrim").addEventListener("click", () => setDrawer(false));
  // The open drawer is modal, as a dialog is: Escape closes it (wherever the focus is) and Tab goes
  // round inside it.
  document.addEventListener("keydown", (event) => {
    if (!$("sidebar").classList.contains("open") || document.querySelector("dialog[open]")) return;
    if (event.key === "Escape" && !event.shiftKey) {
      setDrawer(false);
      $("show-rooms").focus();
    } else if (event.key === "Tab") keepTabInside($("sidebar"), event);
  });
  // Wider than a phone (style.css's 760px), the sidebar is no drawer: the page behind is live again.
  matchMedia("(max-width: 760px)").addEventListener("change", (event) => {
    if (!event.matches && $("sidebar").classList.contains("open")) setDrawer(false);
  });
  $("mark-all-read").addEventListener("click", readAll);
  document.addEventListener("keydown", (event) => {
    if ($("chat").hidden || document.querySelector("dialog[open]")) return;
    // Shift+Esc marks everything read from anywhere in the chat (as in other chat apps).
    if (event.key === "Escape" && event.shiftKey && !event.altKey) {
      event.preventDefault();
      readAll();
    }
    // Alt+↑/↓ opens the room above or below in the list; with Shift, the next unread one (as in Slack).
    if (event.altKey && !event.ctrlKey && !event.metaKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      stepRoom(event.key === "ArrowDown" ? 1 : -1, event.shiftKey);
    }
  });
  on("me", renderMe);
  // Creating a public room is offered while I may (a site admin may keep it to site admins).
  const renderNewRoom = () => ($("new-room").hidden = !siteAllows("public_rooms"));
  on("me", renderNewRoom);
  on("site", renderNewRoom);
  on("rooms", renderRooms);
  on("drafts", renderRooms);
  on("room", renderRooms);
  // On a phone, a room opened from the drawer (made, joined, a DM started) shows at once.
  on("room", ({ changed } = {}) => {
    if (changed === "opened" && $("sidebar").classList.contains("open")) setDrawer(false);
  });
  on("connection", renderConnection);
}

export function setDrawer(open) {
  $("sidebar").classList.toggle("open", open);
  $("scrim").hidden = !open;
  $("show-rooms").setAttribute("aria-expanded", String(open));
  // The dimmed page behind is out of reach while it is open (dialogs are outside #chat).
  for (const node of [...$("chat").children, document.querySelector(".skip-link")]) {
    if (node && node !== $("sidebar") && node !== $("scrim")) node.inert = open;
  }
  if (open) $("sidebar").querySelector("a[aria-current], a")?.focus();
}

/// Tab from the drawer's last control goes to its first, and Shift+Tab from its first to its last
/// (the page behind is inert: without this the focus would leave the page).
function keepTabInside(container, event) {
  const controls = [...container.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")].filter(
    (node) => !node.disabled && node.tabIndex >= 0 && node.getClientRects().length > 0,
  );
  if (controls.length === 0) return;
  const first = controls[0];
  const last = controls.at(-1);
  const inside = container.contains(document.activeElement);
  if (event.shiftKey && (!inside || document.activeElement === first)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (!inside || document.activeElement === last)) {
    event.preventDefault();
    first.focus();
  }
}

function renderMe() {
  const me = state.me;
  $("me-name").textContent = me.display_name;
  $("me-username").textContent = `@${me.username}`;
  paintAvatar($("me-avatar"), me);
  const chosen = chosenPresence();
  const status = chosen === "auto" ? "online" : chosen;
  $("me-presence").className = `presence ${status}`;
  $("me-presence").title = status;
  const mood = activeStatus(me.status);
  $("me-username").textContent = `@${me.username}${chosen === "auto" ? "" : ` · ${status}`}${mood ? ` · ${statusLabel(mood)}` : ""}`;
  $("me-username").title = $("me-username").textContent;
  // My status leaves the footer when it runs out.
  clearTimeout(statusTimer);
  if (mood?.expires_at) statusTimer = setTimeout(renderMe, Math.min(2 ** 31 - 1, Math.max(0, Date.parse(mood.expires_at) - serverNow()) + 50));
}

let statusTimer = null;

function renderConnection({ status }) {
  const node = $("connection");
  node.dataset.state = status;
  $("connection-text").textContent = CONNECTION_TEXT[status] ?? status;
  // The same above the room, where a phone shows it (its drawer is closed).
  const banner = $("connection-banner");
  banner.dataset.state = status;
  banner.textContent = CONNECTION_TEXT[status] ?? status;
}

const byName = (a, b) => roomName(a).localeCompare(roomName(b), undefined, { sensitivity: "base" });

function renderRooms() {
  // A DM I closed stays out of the list until a new message comes (or while it is open).
  const rooms = [...state.rooms.values()].filter((r) => !(r.kind === "dm" && r.closed && state.room?.id !== r.id));
  // Archived rooms and groups (read-only) list apart, last, starred or not.
  const archived = rooms.filter((r) => r.archived_at).sort(byName);
  $("archived-section").hidden = archived.length === 0;
  if (archived.length > 0) fill($("archived-list"), archived, "");
  else $("archived-list").replaceChildren();
  // Starred rooms of every kind list first, and only there.
  const starred = rooms.filter((r) => r.starred && !r.archived_at).sort(byName);
  $("starred-section").hidden = starred.length === 0;
  if (starred.length > 0) fill($("starred-list"), starred, "");
  const listed = rooms.filter((r) => !r.starred && !r.archived_at);
  fill($("room-list"), listed.filter((r) => r.kind === "public").sort(byName), starred.length ? "No other rooms." : "Join a room with the compass button.");
  fill($("group-list"), listed.filter((r) => r.kind === "group").sort(byName), "No private groups yet.");
  fill($("dm-list"), listed.filter((r) => r.kind === "dm").sort(byName), "No conversations yet.");
  const unread = rooms.reduce((sum, room) => sum + (room.notify_level === "none" ? 0 : room.unread_count ?? 0), 0);
  $("mark-all-read").hidden = !rooms.some((room) => room.unread_count > 0);
  document.title = unread > 0 ? `(${unread > 999 ? "999+" : unread}) Parley` : "Parley";
  // On a phone the list is behind ☰: a dot there says other rooms have unread messages (red when
  // one mentions me), as the list's own badges would.
  const elsewhere = rooms.filter((r) => r.id !== state.room?.id && r.unread_count > 0 && r.notify_level !== "none");
  const menu = $("show-rooms");
  menu.dataset.unread = elsewhere.some((r) => r.mentioned) ? "mention" : elsewhere.length ? "unread" : "";
  menu.setAttribute("aria-label", elsewhere.length ? `Show rooms (unread messages in ${elsewhere.length} ${elsewhere.length === 1 ? "room" : "rooms"})` : "Show rooms");
}

/// Opens the room `step` places from the open one in the list as shown (starred, rooms, groups,
/// DMs, archived); with `unreadOnly`, the nearest unread one that way, round the end of the list.
function stepRoom(step, unreadOnly) {
  const links = [...document.querySelectorAll("#sidebar a.room-link")];
  if (!links.length) return;
  const here = links.findIndex((link) => link.getAttribute("aria-current") === "page");
  let target = null;
  if (unreadOnly) {
    for (let n = 1; n <= links.length && !target; n++) {
      const link = links[(((here < 0 ? (step > 0 ? -1 : 0) : here) + step * n) % links.length + links.length) % links.length];
      if (link.classList.contains("unread") && link.getAttribute("aria-current") !== "page") target = link;
    }
  } else {
    target = links[here < 0 ? 0 : here + step] ?? null;
  }
  if (target) location.hash = target.getAttribute("href");
}

function readAll() {
  const button = $("mark-all-read");
  const focused = document.activeElement === button;
  markAllRead()
    .then(() => focused && document.querySelector("#sidebar a.room-link")?.focus())
    .catch((error) => toastError(error));
}

function fill(list, rooms, emptyText) {
  if (rooms.length === 0) {
    list.replaceChildren(el("li", { className: "empty", text: emptyText }));
    return;
  }
  list.replaceChildren(...rooms.map(roomItem));
}

function roomItem(room) {
  const current = state.room?.id === room.id && !state.room.closed;
  const unread = room.unread_count > 0 && room.notify_level !== "none";
  let lead;
  if (room.kind === "dm" && room.dm_with) {
    lead = avatarFor({ ...room.dm_with, display_name: roomName(room) }, "avatar small");
  } else {
    lead = roomIcon(room);
  }
  const link = el(
    "a",
    {
      className: `room-link${unread ? " unread" : ""}${room.archived_at ? " archived" : ""}`,
      attrs: { href: `#room/${room.id}`, "aria-current": current ? "page" : false },
      dataset: { room: room.id, name: roomName(room) },
    },
    lead,
    el("span", { className: "name", text: roomName(room) }),
    room.has_password ? icon("lock", { className: "small-lock" }) : null,
    room.notify_level === "none" ? icon("bellOff", { className: "small-lock", label: "muted" }) : null,
    room.archived_at ? srOnly(", archived") : null,
    // A draft I left there (in its box or a thread's), as Slack marks it; not in the room I am in.
    !current && hasDraft(room.id) ? icon("edit", { className: "small-lock draft-mark", label: "draft" }) : null,
  );
  if (unread) {
    const badge = el("span", { className: room.mentioned ? "badge mention" : "badge", text: room.unread_display ?? String(room.unread_count), attrs: { "aria-hidden": "true" } });
    link.append(badge, srOnly(`, ${room.unread_display ?? room.unread_count} unread${room.mentioned ? ", you were mentioned" : ""}`));
  }
  link.addEventListener("click", (event) => {
    setDrawer(false);
    // Chosen with Enter (a click of no mouse button): the list redraws as the room opens, which would
    // leave the focus nowhere.
    if (event.detail === 0) focusBoxWhenOpen(room.id);
    // The room already in the address that closed under me: the address does not change, so it is
    // opened again here (it is listed, so it is mine again).
    if (state.room?.id === room.id && state.room.closed && location.hash === link.getAttribute("href")) openRoom(room.id).catch(toastError);
  });
  if (room.kind !== "dm") return el("li", {}, link);
  const close = button("", {
    className: "icon-button small room-close",
    icon: icon("x"),
    title: "Close conversation",
    attrs: { "aria-label": `Close the conversation with ${roomName(room)}`, "data-room": room.id },
    onClick: () => closeDM(room.id),
  });
  return el("li", { className: "dm-item" }, link, close);
}
