// The open room's messages: day separators, consecutive messages of one sender grouped, replies
// with their target, edited and deleted states, my queued messages, history that loads as the
// reader scrolls up without moving what they are looking at, and live additions that follow the
// bottom only when the reader is there. Nodes are kept per message and only rebuilt when the
// message changes, so focus and screen-reader positions survive updates.
import * as actions from "/actions.js";
import { $, authorAvatar, avatarFor, button, el, messageAuthor, popupMenu } from "/dom.js";
import { actionText, formatMessage, onlyEmoji, preview } from "/markup.js";
import { authorName, dayKey, dayLabel, formatFull, formatSize, formatTime, roomLabel, roomName, truncate } from "/format.js";
import { customEmoji, customEmojiImage, customEmojiVersion, customName } from "/customemoji.js";
import { roomNamesVersion } from "/roomnames.js";
import { toned } from "/emoji.js";
import { icon } from "/icons.js";
import {
  blockedDM, canModerate, hasMyKeyword, isSaved, mayEdit, mayReact, maySpeak, mayWrite, myMarks, myReactions, noteSeen as noteSeenInState, on, replyTarget, state,
} from "/state.js";
import { confirmDialog } from "/views/dialogs.js";
import { openEdits } from "/views/edits.js";
import { openEmojiPicker } from "/views/emojipicker.js";
import { Folds } from "/views/folding.js";
import { openForward } from "/views/forward.js";
import { openJumpDialog } from "/views/jumpdate.js";
import { pollNode } from "/views/polls.js";
import { previewsNode } from "/views/previews.js";
import { openReport } from "/views/reports.js";
import { RovingList } from "/views/roving.js";
import { isPicture, openViewer } from "/views/viewer.js";
import { copyAndTell, toast, toastError } from "/views/toast.js";

const list = $("messages");
const GROUP_MS = 5 * 60_000;
const NEAR_BOTTOM = 80;
const LOAD_AHEAD = 400;
/// How much of what came before the "New" line shows above it as a room opens at its first unread message.
const UNREAD_MARGIN = 48;

/// key ("m:<id>", "p:<client_id>", "day:<date>", "edge", "unread") -> { node, version }
const cache = new Map();
let callbacks = { onReply: () => {}, onEdit: () => {}, onPerson: () => {}, onThread: () => {} };

export function initTimeline(handlers) {
  callbacks = handlers;
  on("room", ({ changed }) => {
    if (changed === "opened") reset();
    else render({ reason: "update" });
  });
  on("messages", render);
  on("outbox", () => render({ reason: "outbox" }));
  on("receipts", () => render({ reason: "update" }));
  on("members", () => render({ reason: "update" }));
  on("blocks", () => render({ reason: "update" }));
  // Muted here (or no longer): no reactions, votes or replies meanwhile.
  on("muted", () => render({ reason: "update" }));
  // A message pinned or unpinned: its action says Pin or Unpin.
  on("pins", () => render({ reason: "update" }));
  // A custom emoji added or deleted: messages naming it draw it, or its name.
  on("emoji", () => render({ reason: "update" }));
  // A room named in a message that came (or went, or was joined) since it was drawn.
  let roomNames = roomNamesVersion;
  const roomsChanged = () => {
    if (roomNames === roomNamesVersion) return;
    roomNames = roomNamesVersion;
    render({ reason: "update" });
  };
  on("rooms", roomsChanged);
  on("directory", roomsChanged);
  // My keywords loaded or changed: messages holding them are marked, and the words in them.
  on("keywords", () => render({ reason: "update" }));
  // The site's time for editing changed: my messages' Edit comes or goes.
  on("site", () => render({ reason: "update" }));
  // At midnight "Today" becomes "Yesterday" (a quiet room kept the old labels until a message came, a hunt).
  const atMidnight = () => {
    const now = new Date();
    const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 0, 0, 1);
    setTimeout(() => {
      render({ reason: "update" });
      atMidnight();
    }, next - now);
  };
  atMidnight();
  list.addEventListener("scroll", onScroll, { passive: true });
  // When the list changes size (the member panel opens, the window or the message box resizes), a
  // reader at the bottom stays there.
  new ResizeObserver(() => {
    if (stuckToBottom) list.scrollTop = list.scrollHeight;
  }).observe(list);
  const coarse = matchMedia("(pointer: coarse)");
  list.addEventListener("focusin", (event) => {
    // On a touch screen a tapped message's actions show under it (style.css): brought into view.
    if (coarse.matches && event.target.matches("li.message")) requestAnimationFrame(() => event.target.scrollIntoView({ block: "nearest" }));
  });
  $("jump-latest").prepend(icon("down"));
  $("jump-latest").addEventListener("click", () => {
    if (state.room?.hasNewer) {
      actions.showLatest().catch(toastError);
      return;
    }
    scrollToBottom();
    actions.readAgain();
  });
}

/// Whether the open room's first messages have been placed (at the bottom or at the first unread).
let placed = false;

function reset() {
  placed = false;
  folds.clear();
  roving.reset();
  cache.clear();
  list.replaceChildren();
  $("jump-latest").hidden = true;
  list.setAttribute("aria-busy", "true");
}

const isAtBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM;

export function scrollToBottom() {
  list.scrollTop = list.scrollHeight;
  $("jump-latest").hidden = state.room?.hasNewer !== true;
  noteSeen();
}

/// Whether the reader was at the bottom when they last scrolled.
let stuckToBottom = true;

function onScroll() {
  stuckToBottom = isAtBottom();
  if (stuckToBottom && !state.room?.hasNewer) $("jump-latest").hidden = true;
  // Scrolling down to messages that came meanwhile reads them (as far as the reader has come).
  if (noteSeen() || stuckToBottom) actions.markRead();
  loadMoreIfNeeded();
}

/// Tells the state the newest message the reader has in view (its top above the list's bottom
/// edge); nothing while the list is not shown. Whether that is further than before.
function noteSeen() {
  const room = state.room;
  if (!room || room.closed || !room.loaded || list.clientHeight === 0) return false;
  const bottom = list.getBoundingClientRect().bottom;
  const nodes = list.querySelectorAll("li.message[data-id]");
  // The messages go down the list in order: the last one that starts above the bottom edge.
  let low = 0;
  let high = nodes.length - 1;
  let found = null;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (nodes[middle].getBoundingClientRect().top < bottom) {
      found = nodes[middle];
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  if (!found) return false;
  const before = room.seenUpTo;
  noteSeenInState(room.id, Number(found.dataset.id));
  return room.seenUpTo !== before;
}

/// Loads the page above (or, after a jump back, below) when the reader comes near that edge.
function loadMoreIfNeeded() {
  const room = state.room;
  if (!room || room.closed || !room.loaded) return;
  if (room.hasMore && !room.loadingOlder && list.scrollTop < LOAD_AHEAD) actions.loadOlder().catch(toastError);
  const belowView = list.scrollHeight - list.scrollTop - list.clientHeight;
  if (room.hasNewer && !room.loadingNewer && belowView < LOAD_AHEAD) actions.loadNewer().catch(toastError);
}

/// The first message the reader can see, and where it is: kept in place across updates. (Not a day
/// separator: loading older messages of the same day moves it up.)
function visibleAnchor() {
  const top = list.getBoundingClientRect().top;
  for (const node of list.children) {
    if (!node.classList.contains("message")) continue;
    const rect = node.getBoundingClientRect();
    if (rect.bottom > top) return { node, top: rect.top };
  }
  return null;
}

function render({ reason, message, target } = {}) {
  const room = state.room;
  if (!room || room.closed) return;
  if (!room.loaded) return;
  list.removeAttribute("aria-busy");
  const atBottom = isAtBottom();
  // Pages added above or below keep what the reader sees in place.
  const keepsPlace = reason === "older" || reason === "newer";
  const anchor = reason === "initial" || reason === "window" || (atBottom && !keepsPlace) ? null : visibleAnchor();
  const focusSpot = roving.focusSpot();

  const desired = [edgeNode(room)];
  let lastDay = null;
  let previous = null;
  let unreadPlaced = false;
  for (const m of [...room.messages.values()].sort((a, b) => a.id - b.id)) {
    const created = new Date(m.created_at);
    const day = dayKey(created);
    if (day !== lastDay) {
      desired.push(dayNode(day, created));
      lastDay = day;
      previous = null;
    }
    if (!unreadPlaced && room.unreadAfter !== null && m.id > room.unreadAfter && (m.sender.id !== state.me.id || m.webhook)) {
      desired.push(keyed("unread", "", () => el("li", { className: "unread-divider", dataset: { key: "unread" } }, el("span", { text: "New" }))));
      unreadPlaced = true;
      previous = null;
    }
    const node = messageNode(m);
    node.classList.toggle("continued", continues(previous, m));
    desired.push(node);
    previous = m;
  }
  if (room.hasNewer) desired.push(newerEdgeNode(room));
  // My queued messages go under the newest ones (sending goes back to them).
  for (const entry of room.hasNewer ? [] : actions.pendingFor(room.id)) {
    const node = pendingNode(entry);
    const pending = { sender: state.me, created_at: entry.queued_at, reply_to: entry.reply_to };
    node.classList.toggle("continued", continues(previous, pending));
    desired.push(node);
    previous = pending;
  }
  reconcile(desired);

  // Focus stays on the message (or its same button) the reader was on, even if it was rebuilt.
  roving.refocus(focusSpot);
  folds.unfoldWhatFits(list);
  roving.rove();

  const mine = message?.sender?.id === state.me.id;
  const jumpLatest = $("jump-latest");
  jumpLatest.lastChild.textContent = room.hasNewer ? "Jump to latest" : "New messages";
  if (room.hasNewer) jumpLatest.hidden = false;
  else if (reason === "newer") jumpLatest.hidden = true;
  if (reason === "window") {
    cache.get(`m:${target}`)?.node.scrollIntoView({ block: "center" });
  } else if (reason === "initial") {
    if (placed || !showFirstUnread()) scrollToBottom();
  } else if ((reason === "live" || reason === "outbox") && (atBottom || mine)) {
    scrollToBottom();
  } else if (anchor?.node.isConnected) {
    const shift = anchor.node.getBoundingClientRect().top - anchor.top;
    if (Math.abs(shift) >= 1) list.scrollTop += shift;
    if (reason === "live") $("jump-latest").hidden = false;
  } else if (atBottom) {
    scrollToBottom();
  }
  placed = true;
  if (noteSeen()) actions.markRead();
  loadMoreIfNeeded();
}

/// As a room opens with more unread messages than fit in view: scrolls so that the "New" line is
/// near the top, for the reader to go down from there (only what comes into view is read). Whether it did.
function showFirstUnread() {
  const divider = cache.get("unread")?.node;
  if (!divider?.isConnected) return false;
  const top = divider.getBoundingClientRect().top - list.getBoundingClientRect().top + list.scrollTop;
  const bottomScroll = list.scrollHeight - list.clientHeight;
  // Everything from the line down fits at the bottom: the bottom it is.
  if (top >= bottomScroll) return false;
  list.scrollTop = Math.max(0, top - UNREAD_MARGIN);
  stuckToBottom = false;
  $("jump-latest").hidden = false;
  return true;
}

function reconcile(desired) {
  const wanted = new Set(desired);
  for (const child of [...list.children]) if (!wanted.has(child)) child.remove();
  let cursor = list.firstChild;
  for (const node of desired) {
    if (node === cursor) cursor = cursor.nextSibling;
    else list.insertBefore(node, cursor);
  }
  for (const [key, { node }] of cache) if (!node.isConnected) cache.delete(key);
}

function keyed(key, version, build) {
  const cached = cache.get(key);
  if (cached && cached.version === version) return cached.node;
  const node = build();
  node.dataset.key = key;
  if (cached) keepPlayers(cached.node, node);
  cache.set(key, { node, version });
  return node;
}

/// A message's node is built again when it changes (a reaction, its delivery): an audio or video
/// player in it moves to the new node, so that it goes on playing where it was.
function keepPlayers(from, to) {
  for (const player of from.querySelectorAll("audio, video")) {
    const fresh = [...to.querySelectorAll(player.localName)].find((node) => node.getAttribute("src") === player.getAttribute("src"));
    fresh?.replaceWith(player);
  }
}

function continues(previous, m) {
  return (
    previous !== null &&
    previous.sender.id === m.sender.id &&
    // A webhook's messages are not grouped with its maker's own (nor with another webhook's).
    (previous.webhook?.id ?? null) === (m.webhook?.id ?? null) &&
    !m.reply_to &&
    Date.parse(m.created_at) - Date.parse(previous.created_at) < GROUP_MS
  );
}

function edgeNode(room) {
  const status = room.loadingOlder ? "loading" : room.hasMore ? "more" : "start";
  const details = state.rooms.get(room.id);
  const name = roomName(details);
  const kept = retentionNote(details);
  return keyed("edge", `${status}:${name}:${kept}`, () => {
    const item = el("li", { className: "edge" });
    if (status === "loading") item.append(el("span", { className: "spinner", attrs: { "aria-hidden": "true" } }), "Loading earlier messages…");
    else if (status === "more") item.append(button("Load earlier messages", { className: "link", onClick: () => actions.loadOlder().catch(toastError) }));
    else item.append(el("strong", { text: name }), el("span", { className: "muted", text: "This is the beginning of the conversation." }));
    if (status === "start" && kept) item.append(el("span", { className: "muted retention-note", text: kept }));
    return item;
  });
}

/// What the room's retention (its own, else the site's) does to its messages, or "" when they are kept.
function retentionNote(room) {
  const days = room?.message_retention_days === -1 ? null : room?.message_retention_days ?? state.site?.message_retention_days;
  return days == null ? "" : `Messages here are deleted ${days === 1 ? "a day" : `${days} days`} after they are sent.`;
}

/// The bottom edge of a window that stops short of the newest messages.
function newerEdgeNode(room) {
  const status = room.loadingNewer ? "loading" : "more";
  return keyed("newer-edge", status, () => {
    const item = el("li", { className: "edge" });
    if (status === "loading") item.append(el("span", { className: "spinner", attrs: { "aria-hidden": "true" } }), "Loading newer messages…");
    else item.append(button("Load newer messages", { className: "link", onClick: () => actions.loadNewer().catch(toastError) }));
    return item;
  });
}

/// A message's text as shown: "/me waves" as an action ("Ann waves", in italics), emoji alone large.
export function messageText(m, marks) {
  marks = mentionMarks(m, marks);
  const action = actionText(m.text);
  if (action !== null) {
    return el("div", { className: "text action" }, el("span", { className: "action-name", text: authorName(m) }), " ", ...formatMessage(action, marks));
  }
  return el("div", { className: onlyEmoji(m.text) ? "text jumbo" : "text" }, ...formatMessage(m.text, marks));
}

/// The marks of a message with the people it mentions (`mentions`, as the server resolved them) by
/// lowercased username: only they (and user groups, my names, @room, @here) get a mention's pill, an
/// "@word" naming nobody stays text, and a person's pill opens their profile. Known from the open
/// room's members; elsewhere (a room's preview, members not loaded yet) every "@name" is marked.
function mentionMarks(m, marks) {
  const members = state.room?.id === m.room_id ? state.room.members : null;
  if (!marks || !members?.size) return marks;
  const people = new Map();
  for (const id of m.mentions ?? []) {
    const user = members.get(id)?.user;
    if (user) people.set(user.username.toLowerCase(), user);
  }
  const groups = new Set([...state.userGroups.values()].map((group) => group.name.toLowerCase()));
  return { ...marks, people, groups, onPerson: callbacks.onPerson };
}

/// A day's separator; its label opens "Jump to a date" (as Slack's date dividers do).
function dayNode(day, date) {
  const label = dayLabel(date);
  return keyed(`day:${day}`, label, () =>
    el(
      "li",
      { className: "day" },
      button(label, {
        className: "day-button",
        attrs: { title: "Jump to a date", "aria-label": `${label}: jump to a date`, "aria-haspopup": "dialog" },
        onClick: () => openJumpDialog(date),
      }),
    ),
  );
}

/// sent / delivered to everyone / read by everyone, for one of my messages, from the others' marks.
function deliveryStatus(message) {
  const others = [...state.room.receipts.entries()].filter(([id]) => id !== state.me.id).map(([, r]) => r);
  if (others.length === 0) return null;
  const readers = others.filter((r) => r.read !== null && r.read >= message.id).map((r) => r.name);
  if (readers.length === others.length) return { text: "Read", read: true, readers };
  if (others.every((r) => r.delivered >= message.id)) return { text: "Delivered", read: false, readers };
  return { text: "Sent", read: false, readers };
}

/// Messages of blocked people shown anyway, on request (by id, for this page's life).
const revealed = new Set();

function messageNode(m) {
  if (state.blocked.has(m.sender.id) && !revealed.has(m.id) && !m.deleted) {
    return keyed(`m:${m.id}`, "blocked", () => blockedMessage(m));
  }
  const mine = m.sender.id === state.me.id;
  // (A webhook's message was not sent by its maker: no Sent, Delivered or Read on it.)
  const status = mine && !m.deleted && !m.webhook ? deliveryStatus(m) : null;
  const target = m.reply_to ? replyTarget(m.reply_to) : null;
  if (m.reply_to && target === undefined) actions.loadReplyTarget(m.room_id, m.reply_to);
  const version = JSON.stringify([
    m.text, m.sender.display_name, m.sender.avatar_url, m.webhook?.id, m.edited_at, m.deleted, status?.text, status?.readers.length, canModerate(m.room_id),
    target ? [target.id, target.deleted, target.edited_at, target.sender?.display_name] : target, m.reactions, m.my_reactions, m.file?.id, m.reply_count, isSaved(m),
    m.forwarded?.message_id, m.forwarded && state.rooms.has(m.forwarded.room_id), m.poll, m.my_votes, m.previews, maySpeak(m.room_id),
    (m.reactions ?? []).flatMap((r) => r.user_ids.map((id) => state.room.members.get(id)?.user.display_name)), mayWrite(m.room_id),
    (m.mentions ?? []).map((id) => state.room.members.get(id)?.user.username), state.userGroups.size,
    customEmojiVersion, roomNamesVersion, state.keywords, mine && mayEdit(m), mayReact(m.room_id), state.mutedIn.get(m.room_id), isPinned(m),
  ]);
  return keyed(`m:${m.id}`, version, () => buildMessage(m, { mine, status, target }));
}

/// Whether a message is among the open room's pins.
const isPinned = (m) => state.room.pins.some((pin) => pin.message.id === m.id);

/// A message from someone I blocked: folded, with a button that shows it.
function blockedMessage(m) {
  const item = el("li", { className: "message blocked", attrs: { tabindex: "-1" }, dataset: { id: m.id, sender: m.sender.id } });
  const show = button("Show", {
    className: "link",
    attrs: { "aria-label": "Show the message from someone you blocked" },
    onClick: () => {
      revealed.add(m.id);
      render({ reason: "update" });
      cache.get(`m:${m.id}`)?.node.focus({ preventScroll: true });
    },
  });
  item.append(el("div", { className: "body" }, el("p", { className: "text muted" }, "A message from someone you blocked. ", show)));
  return item;
}

const avatar = (user) => avatarFor(user);

function buildMessage(m, { mine, status, target }) {
  const created = new Date(m.created_at);
  const mentionsMe = !mine && !m.deleted && (m.mentions?.includes(state.me.id) || m.mentions_room || m.mentions_here || hasMyKeyword(m.text));
  const item = el("li", {
    className: ["message", mine && "mine", m.deleted && "deleted", mentionsMe && "mentions-me"].filter(Boolean).join(" "),
    attrs: { tabindex: "-1" },
    dataset: { id: m.id, sender: m.sender.id },
  });
  const meta = el(
    "div",
    { className: "meta" },
    ...messageAuthor(m, callbacks.onPerson),
    el("time", { text: formatTime(created), attrs: { datetime: m.created_at, title: formatFull(created) } }),
  );
  meta.append(...editedAndStatus(m, status));
  // Grouped under the sender's previous message, the header is hidden (only the time shows, on
  // hover): "(edited)" and my message's status follow its text instead (style.css shows one or the other).
  const tail = editedAndStatus(m, status);
  const trailer = tail.length ? el("span", { className: "meta-tail" }, ...tail) : null;
  const body = el("div", { className: "body" }, meta);
  if (m.reply_to) body.append(quote(m, target));
  if (m.deleted) body.append(el("p", { className: "text deleted-text", text: "This message was deleted." }));
  else if (m.text || (!m.file && !m.forwarded)) {
    const text = messageText(m, myMarks({ keywords: !mine }));
    body.append(text);
    if (trailer) body.append(trailer);
    const fold = folds.toggle(m, text, item);
    if (fold) body.append(fold);
  }
  if (!m.deleted && m.poll) body.append(pollNode(m));
  if (!m.deleted && m.forwarded) body.append(forwardedNode(m.forwarded));
  if (!m.deleted && m.file) body.append(fileNode(m.file));
  if (!m.deleted && m.previews?.length) body.append(previewsNode(m));
  if (trailer && !trailer.parentNode) body.append(trailer);
  if (!m.deleted && m.reactions?.length) body.append(reactionBar(m));
  if (m.reply_count > 0) body.append(threadLink(m));
  const hover = el("time", { className: "hover-time", text: formatTime(created), attrs: { datetime: m.created_at, "aria-hidden": "true" } });
  item.append(authorAvatar(m), hover, body);
  // In the corner, so it shows on grouped messages too (their header is hidden).
  if (isSaved(m) && !m.deleted) item.append(el("span", { className: "saved-mark", attrs: { title: "Saved" } }, icon("bookmark"), el("span", { className: "sr-only", text: "Saved" })));
  if (!m.deleted) item.append(messageActions(m, mine));
  return item;
}

/// The room's very long messages, folded behind "Show more".
const folds = new Folds("message-text");

/// "(edited)" (which opens the edit history) and, on my messages, Sent, Delivered or Read.
function editedAndStatus(m, status) {
  const nodes = [];
  if (m.edited_at && !m.deleted) {
    nodes.push(
      button("(edited)", {
        className: "edited link",
        title: `Edited ${formatFull(new Date(m.edited_at))}: show the edit history`,
        attrs: { "aria-label": `Edited ${formatFull(new Date(m.edited_at))}. Show the edit history` },
        onClick: () => openEdits(m),
      }),
    );
  }
  if (status) {
    const node = el("span", { className: status.read ? "status read" : "status", text: status.text, dataset: { status: status.text.toLowerCase() } });
    if (status.readers.length > 0) node.title = `Read by ${status.readers.join(", ")}`;
    nodes.push(node);
  }
  return nodes;
}

/// What a forwarded message quotes: who wrote it, where and when, and its text; "Open" goes to the
/// original when it is in one of my rooms.
export function forwardedNode(f) {
  const room = state.rooms.get(f.room_id);
  const created = new Date(f.created_at);
  const head = el(
    "p",
    { className: "forwarded-head" },
    icon("forward"),
    el("span", { text: "Forwarded from " }),
    // A webhook's post is credited to the webhook, as on the message itself (its sender is the webhook's maker).
    el("strong", { text: f.webhook?.name ?? f.sender.display_name }),
    el("span", { className: "muted", text: `${room ? ` in ${roomLabel(room)}` : ""} · ${formatFull(created)}` }),
  );
  if (room) {
    head.append(
      button("Open", {
        className: "link small", attrs: { "aria-label": "Open the original message" },
        onClick: () => { location.hash = `#room/${f.room_id}/message/${f.message_id}`; },
      }),
    );
  }
  return el("blockquote", { className: "forwarded" }, head, f.text ? el("div", { className: "text" }, ...formatMessage(f.text, myMarks({ keywords: false }))) : null);
}

/// "3 replies": opens the message's thread beside the room.
function threadLink(m) {
  const label = m.reply_count === 1 ? "1 reply" : `${m.reply_count} replies`;
  return button(label, {
    className: "link thread-link",
    icon: icon("chat"),
    attrs: { "aria-label": `${label}: open the thread`, "data-action": "thread" },
    onClick: () => callbacks.onThread(state.room.messages.get(m.id) ?? m),
  });
}

/// Pictures show in place (and open in the viewer), audio and video play in place when this browser
/// says it may play their type (a phone's M4A voice memo or QuickTime video in one browser, not in
/// another); other files are a card with their name, size and a download link.
const playable = new Map();
function playerFor(type) {
  const kind = type.split("/")[0];
  if (kind !== "audio" && kind !== "video") return null;
  if (!playable.has(type)) playable.set(type, document.createElement(kind).canPlayType(type) !== "");
  return playable.get(type) ? kind : null;
}

/// The largest a picture shows in the timeline, in CSS pixels (style.css says the same).
const PICTURE_BOX = { width: 420, height: 320 };

export function fileNode(file) {
  if (isPicture(file)) {
    // The server's thumbnail when it made one (a GIF shows as sent, as it may move); the picture's
    // size, when known, holds its place while it loads, so the timeline does not jump.
    const src = file.thumbnail_url && file.content_type !== "image/gif" ? file.thumbnail_url : file.url;
    const attrs = { src, alt: file.name, loading: "lazy" };
    if (file.width && file.height) {
      const scale = Math.min(1, PICTURE_BOX.width / file.width, PICTURE_BOX.height / file.height);
      attrs.width = Math.max(1, Math.round(file.width * scale));
      attrs.height = Math.max(1, Math.round(file.height * scale));
    }
    return el(
      "a",
      {
        className: "attachment image",
        attrs: { href: file.url, target: "_blank", rel: "noopener", title: `${file.name} (${formatSize(file.size)})` },
        // A plain click opens the viewer; with a modifier key the link does what links do.
        on: {
          click: (event) => {
            if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
            event.preventDefault();
            openViewer(file);
          },
        },
      },
      el("img", { attrs }),
    );
  }
  const card = el(
    "a",
    { className: "attachment card", attrs: { href: file.url, download: file.name, title: `Download ${file.name}` } },
    icon("file"),
    el("span", { className: "file-name", text: file.name }),
    el("span", { className: "muted file-size", text: formatSize(file.size) }),
  );
  const player = playerFor(file.content_type);
  if (!player) return card;
  // The player reads what it needs with ranges (the server answers them); the card below downloads it.
  return el(
    "div",
    { className: `attachment media ${player}` },
    el(player, { attrs: { src: file.url, controls: "", preload: "metadata", "aria-label": file.name } }),
    card,
  );
}

/// Quick reactions offered by the picker (👍 and 🙏 in my skin tone).
const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

const nameOf = (id) => (id === state.me.id ? "you" : state.room.members.get(id)?.user.display_name ?? "someone");

/// The message's reactions as toggles: the emoji and its count, pressed when one of them is mine
/// (only shown, not toggled, in an archived room or in a DM with someone I blocked; while I am
/// muted there, only mine toggle, to take them back, as the server allows).
export function reactionBar(m) {
  const bar = el("div", { className: "reactions", attrs: { role: "group", "aria-label": "Reactions" } });
  const myEmoji = myReactions(m);
  const reactable = mayReact(m.room_id);
  const removable = mayWrite(m.room_id) && !blockedDM(m.room_id);
  for (const reaction of m.reactions) {
    const mine = myEmoji.includes(reaction.emoji);
    const writable = reactable || (mine && removable);
    // A popular emoji lists its first 100 reactors; the rest are counted.
    const unlisted = reaction.count - reaction.user_ids.length;
    const names = reaction.user_ids.map(nameOf);
    if (mine && !reaction.user_ids.includes(state.me.id)) names.unshift("you");
    const others = unlisted - (mine && !reaction.user_ids.includes(state.me.id) ? 1 : 0);
    const who = others > 0 ? `${names.join(", ")} and ${others} ${others === 1 ? "other" : "others"}` : names.join(", ");
    bar.append(
      el(
        "button",
        {
          className: mine ? "reaction mine" : "reaction",
          attrs: {
            type: "button", "aria-pressed": mine ? "true" : "false", title: `${who} reacted with ${reaction.emoji}`, disabled: !writable,
            "aria-label": `${reaction.emoji} ${reaction.count}: ${who}.${writable ? ` ${mine ? "Remove your reaction" : "React with this too"}.` : ""}`,
          },
          dataset: { emoji: reaction.emoji },
          on: { click: () => actions.toggleReaction(m, reaction.emoji).catch(toastError) },
        },
        customName(reaction.emoji)
          ? el("span", { className: "emoji" }, customEmojiImage(customName(reaction.emoji), "custom-emoji reaction-emoji"))
          : el("span", { className: "emoji", text: reaction.emoji }),
        el("span", { className: "count", text: String(reaction.count) }),
      ),
    );
  }
  return bar;
}

/// The freshest copy of a message: as the room shows it, else as the open thread does.
const current = (m) => state.room.messages.get(m.id) ?? (state.thread?.rootId === m.id ? state.thread.root : state.thread?.replies.get(m.id)) ?? m;

/// A small menu of quick reactions under the message's actions; closes on a choice, Escape or leaving it.
export function openReactionPicker(m, anchor) {
  document.querySelector(".reaction-picker")?.remove();
  const item = anchor.closest("li.message, li.thread-message");
  const picker = el("div", { className: "reaction-picker", attrs: { role: "menu", "aria-label": "Add a reaction" } });
  let open = true;
  // Removing the focused picker fires its focusout: the flag keeps that from closing it twice.
  const close = ({ refocus = true } = {}) => {
    if (!open) return;
    open = false;
    picker.remove();
    if (refocus && anchor.isConnected) anchor.focus({ preventScroll: true });
  };
  const pick = (emoji, ...content) =>
    el(
      "button",
      {
        className: "pick",
        attrs: { type: "button", role: "menuitem", "aria-label": `React with ${emoji}`, title: emoji },
        dataset: { emoji },
        on: {
          click: () => {
            close();
            actions.toggleReaction(current(m), emoji).catch(toastError);
          },
        },
      },
      ...content,
    );
  for (const emoji of QUICK_REACTIONS.map((each) => toned(each))) picker.append(pick(emoji, emoji));
  // The site's four newest custom emoji follow, as their pictures.
  const newest = [...customEmoji.values()].sort((a, b) => b.created_at.localeCompare(a.created_at)).slice(0, 4);
  for (const custom of newest) picker.append(pick(`:${custom.name}:`, customEmojiImage(custom.name, "custom-emoji reaction-emoji")));
  // Any other emoji: the whole picker, searched by name, or with one typed or pasted into its search.
  picker.append(
    el("button", {
      className: "pick more", text: "+",
      attrs: { type: "button", role: "menuitem", "aria-label": "More emoji", "aria-haspopup": "dialog" },
      on: {
        click: (event) => {
          // The picker takes the focus, which closes this menu (its focus goes back to the message's button after).
          openEmojiPicker(event.currentTarget, {
            onPick: (emoji) => actions.toggleReaction(current(m), emoji).catch(toastError),
            returnFocus: anchor,
          });
        },
      },
    }),
  );
  picker.addEventListener("keydown", (event) => {
    const items = [...picker.querySelectorAll("button")].filter((item) => !item.hidden);
    const index = items.indexOf(document.activeElement);
    if (event.key === "Escape") close();
    else if (event.key === "ArrowRight" || event.key === "ArrowLeft") items[(index + (event.key === "ArrowRight" ? 1 : items.length - 1)) % items.length].focus();
    else return;
    event.preventDefault();
    event.stopPropagation();
  });
  picker.addEventListener("focusout", (event) => {
    if (!picker.contains(event.relatedTarget)) close({ refocus: false });
  });
  item.append(picker);
  picker.querySelector("button").focus({ preventScroll: true });
}

/// When "Remind me" can bring a message back: a few delays, and tomorrow morning.
function reminderChoices() {
  const tomorrow = new Date();
  tomorrow.setDate(tomorrow.getDate() + 1);
  tomorrow.setHours(9, 0, 0, 0);
  return [
    ["In 20 minutes", 1200],
    ["In 1 hour", 3600],
    ["In 3 hours", 10_800],
    [`Tomorrow at ${formatTime(tomorrow)}`, Math.round((tomorrow - Date.now()) / 1000)],
  ];
}

/// A small menu of when to be reminded of a message.
function openReminderMenu(m, anchor) {
  popupMenu({
    className: "remind-menu", label: "Remind me", anchor, parent: anchor.closest("li.message"),
    items: reminderChoices().map(([label, seconds]) => [
      label,
      () => actions
        .remind(m, seconds)
        .then((reminder) => toast(`Reminder set for ${formatFull(new Date(reminder.remind_at))}.`, { kind: "info" }))
        .catch(toastError),
    ]),
  });
}

function quote(m, target) {
  let who = "";
  let what;
  if (target === undefined) what = "Loading…";
  else if (target === null) what = "The original message is not available.";
  else {
    who = authorName(target);
    what = target.deleted ? "This message was deleted." : truncate(preview(target), 120);
  }
  return el(
    "button",
    {
      className: "quote",
      attrs: { type: "button", title: "Show the original message", "aria-label": `In reply to ${who}: ${what}. Show the original message.` },
      on: { click: () => jumpTo(m.reply_to) },
    },
    icon("reply"),
    who ? el("strong", { text: who }) : null,
    el("span", { className: "quote-text", text: what }),
  );
}

function messageActions(m, mine) {
  const tools = el("div", { className: "actions", attrs: { role: "group", "aria-label": "Message actions" } });
  const action = (name, label, iconName, handler) =>
    tools.append(button("", { className: "icon-button small", icon: icon(iconName), title: label, attrs: { "aria-label": label, "data-action": name }, onClick: handler }));
  // Nothing new is written in an archived room: no reactions, replies, edits or pins there (its
  // messages are still forwarded elsewhere, saved, and deleted). Where only moderators and up post,
  // members react but do not reply; someone muted (or in a DM with someone they blocked) does neither.
  const writable = mayWrite(m.room_id);
  if (mayReact(m.room_id)) action("react", "Add a reaction", "smile", (event) => openReactionPicker(m, event.currentTarget));
  if (maySpeak(m.room_id)) {
    action("reply", `Reply to ${authorName(m)}`, "reply", () => callbacks.onReply(m));
    action("thread-reply", "Reply in thread", "chat", () => callbacks.onThread(state.room.messages.get(m.id) ?? m));
  }
  action("link", "Copy link to message", "link", () => copyLink(m));
  action("forward", "Forward message", "forward", () => openForward(m));
  action("remind", "Remind me about this", "clock", (event) => openReminderMenu(m, event.currentTarget));
  const saved = isSaved(m);
  action("save", saved ? "Remove from saved" : "Save message", "bookmark", () => actions.toggleSaved(m).catch(toastError));
  if (saved) tools.lastChild.setAttribute("aria-pressed", "true");
  if (!m.deleted) action("unread", "Mark unread from here", "mail", () => actions.markUnread(m).catch(toastError));
  if (!mine && !m.deleted) action("report", "Report message", "flag", () => openReport(m));
  if (mayEdit(m)) action("edit", "Edit message", "edit", () => callbacks.onEdit(m));
  if (writable && canModerate(m.room_id)) {
    if (isPinned(m)) action("unpin", "Unpin message", "pin", () => actions.moderation.unpin(m.room_id, m.id).catch(toastError));
    else action("pin", "Pin message", "pin", () => actions.moderation.pin(m.room_id, m.id).catch(toastError));
  }
  if (mine || canModerate(m.room_id)) {
    action("delete", "Delete message", "trash", async () => {
      const answer = await confirmDialog({ title: "Delete this message?", message: truncate(preview(m), 200), confirm: "Delete" });
      if (answer !== null) actions.remove(m.id).catch(toastError);
    });
  }
  return tools;
}

/// Puts the message's link (`#room/<id>/message/<id>`, which opens the room at it) on the clipboard.
const copyLink = (m) => copyAndTell(new URL(`#room/${m.room_id}/message/${m.id}`, location.href).href);

function pendingNode(entry) {
  const status = entry.status === "failed" ? "failed" : entry.status === "sending" ? "sending" : entry.waiting ? "waiting" : "queued";
  const text = { failed: `Not sent: ${entry.error}`, sending: "Sending…", waiting: "Waiting for the connection…", queued: "Queued" }[status];
  return keyed(`p:${entry.client_id}`, `${status}:${entry.error ?? ""}`, () => {
    const item = el("li", { className: `message mine pending ${status}`, dataset: { clientId: entry.client_id }, attrs: { tabindex: "-1" } });
    const meta = el(
      "div",
      { className: "meta" },
      el("span", { className: "author", text: state.me.display_name }),
      el("span", { className: "status pending-status", dataset: { status }, text }),
    );
    const body = el("div", { className: "body" }, meta, el("div", { className: "text" }, ...formatMessage(entry.text, myMarks({ keywords: false }))));
    item.append(avatar(state.me), el("span", { className: "hover-time" }, icon(status === "failed" ? "alert" : "clock")), body);
    if (status === "failed" || status === "waiting") {
      const tools = el("div", { className: "actions visible", attrs: { role: "group", "aria-label": "Unsent message actions" } });
      if (status === "failed") tools.append(button("Retry", { className: "secondary small", onClick: () => actions.retryPending(entry.client_id) }));
      tools.append(button("Discard", { className: "secondary small", onClick: () => actions.discardPending(entry.client_id) }));
      item.append(tools);
    }
    return item;
  });
}

/// Scrolls to a message (paging back until it is loaded) and highlights it.
export async function jumpTo(id) {
  const room = state.room;
  try {
    await actions.showMessage(id);
  } catch (error) {
    toastError(error);
  }
  if (room !== state.room) return;
  highlight(id, "center");
}

/// Opens the open room at a time: the first message sent then (or after) at the top, highlighted.
export async function jumpToTime(time) {
  const room = state.room;
  const id = await actions.showTime(time);
  if (room !== state.room || id === null) return;
  highlight(id, "start");
}

function highlight(id, block) {
  const node = cache.get(`m:${id}`)?.node;
  if (!node) return;
  node.scrollIntoView({ block });
  node.classList.remove("flash");
  void node.offsetWidth;
  node.classList.add("flash");
  node.focus({ preventScroll: true });
}

/// The list is one tab stop (views/roving.js); ↑ and ↓ move between messages and the days'
/// separators (which open "Jump to a date"). "Load earlier/newer messages", at the list's ends, stay
/// tab stops.
const roving = new RovingList(list, { items: "li.message, .day-button", messages: "li.message", keep: ".edge", arrowsSkip: ".actions" });
