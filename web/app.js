// Parley in the browser: state, views and wiring. User text only ever goes through textContent.
import { api, ApiError, setCsrf } from "/api.js";
import { EventStream } from "/events.js";

const $ = (id) => document.getElementById(id);
const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

const state = {
  me: null,
  rooms: new Map(), // my rooms by id
  publicRooms: [],
  current: null, // open room id
  messages: new Map(), // message id -> message, for the open room
  oldestLoaded: null,
  hasMore: false,
  loadingOlder: false,
  replyTo: null,
  typing: new Map(), // user id -> { name, timer }
  lastTypingSent: 0,
  outbox: JSON.parse(localStorage.getItem("parley.outbox") ?? "[]"),
  members: new Map(), // user id -> member, for the open room
  receipts: new Map(), // user id -> { delivered, read }, for the open room
};
const RANK = { owner: 3, admin: 2, moderator: 1, member: 0 };
let stream = null;

// ---------- theme ----------
const savedTheme = localStorage.getItem("parley.theme");
if (savedTheme) document.documentElement.dataset.theme = savedTheme;
$("theme-toggle").addEventListener("click", () => {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === "dark"
    : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "light" : "dark";
  localStorage.setItem("parley.theme", document.documentElement.dataset.theme);
});

// ---------- auth ----------
async function start() {
  try {
    const session = await api("GET", "/api/session");
    await enter(session.user, session.csrf_token);
  } catch {
    showAuth();
  }
}

function showAuth() {
  $("chat").hidden = true;
  $("auth").hidden = false;
  $("auth-username").focus();
}

$("auth-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await authenticate(false);
});
$("register-button").addEventListener("click", () => authenticate(true));

async function authenticate(register) {
  const username = $("auth-username").value.trim();
  const password = $("auth-password").value;
  $("auth-error").textContent = "";
  try {
    if (register) await api("POST", "/api/users", { username, password });
    const session = await api("POST", "/api/session", { username, password });
    sessionStorage.removeItem("parley.cursor");
    await enter(session.user, session.csrf_token);
  } catch (error) {
    $("auth-error").textContent = error.message;
  }
}

$("logout").addEventListener("click", async () => {
  stream?.stop();
  await api("DELETE", "/api/session").catch(() => {});
  sessionStorage.clear();
  location.reload();
});

async function enter(user, csrf) {
  state.me = user;
  setCsrf(csrf);
  $("me").textContent = user.display_name;
  $("auth").hidden = true;
  $("chat").hidden = false;
  await loadRooms();
  stream = new EventStream({ onEvent: handleEvent, onState: showConnection });
  stream.start();
  const last = Number(localStorage.getItem("parley.room")) || 1;
  await openRoom(state.rooms.has(last) ? last : [...state.rooms.keys()][0]);
  flushOutbox();
  if ("Notification" in window && Notification.permission === "default") {
    document.addEventListener("click", () => Notification.requestPermission(), { once: true });
  }
}

function showConnection(status) {
  const node = $("connection");
  node.textContent = status === "live" ? "● live" : status === "connecting" ? "connecting…" : "reconnecting…";
  node.classList.toggle("bad", status !== "live");
}

// ---------- rooms ----------
async function loadRooms() {
  const rooms = await api("GET", "/api/rooms");
  state.rooms = new Map(rooms.mine.map((room) => [room.id, room]));
  state.publicRooms = rooms.public;
  renderRooms();
}

function roomLabel(room) {
  return room.kind === "dm" ? `@ ${room.dm_with?.display_name ?? room.name}` : room.kind === "group" ? `🔒 ${room.name}` : `# ${room.name}`;
}

function renderRooms() {
  const mine = $("my-rooms");
  mine.replaceChildren();
  for (const room of state.rooms.values()) {
    const button = el("button");
    button.type = "button";
    button.dataset.room = room.id;
    if (room.id === state.current) button.setAttribute("aria-current", "true");
    button.append(el("span", "name", roomLabel(room)));
    if (room.unread_count > 0) {
      const badge = el("span", "badge" + (room.mentioned ? " mention" : ""), room.unread_display ?? String(room.unread_count));
      badge.setAttribute("aria-label", `${room.unread_display} unread${room.mentioned ? ", mentioned" : ""}`);
      button.append(badge);
    }
    button.addEventListener("click", () => openRoom(room.id));
    const item = el("li");
    item.append(button);
    mine.append(item);
  }
  const directory = $("public-rooms");
  directory.replaceChildren();
  for (const room of state.publicRooms.filter((r) => !state.rooms.has(r.id))) {
    const button = el("button");
    button.type = "button";
    button.append(el("span", "name", `# ${room.name}${room.has_password ? " 🔑" : ""}`), el("span", "muted", String(room.member_count)));
    button.addEventListener("click", () => joinRoom(room));
    const item = el("li");
    item.append(button);
    directory.append(item);
  }
  const unread = [...state.rooms.values()].reduce((sum, room) => sum + (room.unread_count ?? 0), 0);
  document.title = unread > 0 ? `(${unread}) Parley` : "Parley";
}

async function joinRoom(room) {
  try {
    if (room.has_password) {
      const password = prompt(`Password for #${room.name}`);
      if (password === null) return;
      await api("POST", `/api/rooms/${room.id}/password`, { password });
    } else {
      await api("POST", `/api/rooms/${room.id}/join`);
    }
    await loadRooms();
    await openRoom(room.id);
  } catch (error) {
    alert(error.message);
  }
}

$("new-room").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const { room } = await api("POST", "/api/rooms", { name: $("new-room-name").value, kind: $("new-room-kind").value });
    $("new-room-name").value = "";
    await loadRooms();
    await openRoom(room.id);
  } catch (error) {
    alert(error.message);
  }
});

$("new-dm").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("dm-username").value.trim();
  try {
    const { users } = await api("GET", `/api/users?prefix=${encodeURIComponent(name)}&limit=10`);
    const user = users.find((u) => u.username.toLowerCase() === name.toLowerCase()) ?? users[0];
    if (!user) throw new Error(`No user named ${name}`);
    const { room } = await api("POST", "/api/dms", { user_id: user.id });
    $("dm-username").value = "";
    await loadRooms();
    await openRoom(room.id);
  } catch (error) {
    alert(error.message);
  }
});

$("show-rooms").addEventListener("click", () => $("sidebar").classList.toggle("open"));

// ---------- a room ----------
async function openRoom(id) {
  if (!id) return;
  state.current = id;
  state.messages.clear();
  state.oldestLoaded = null;
  state.replyTo = null;
  state.typing.clear();
  localStorage.setItem("parley.room", String(id));
  $("sidebar").classList.remove("open");
  const room = state.rooms.get(id);
  $("room-title").textContent = room ? roomLabel(room) : "";
  $("room-topic").textContent = room?.topic ?? "";
  $("messages").replaceChildren();
  $("composer-text").disabled = false;
  $("send").disabled = false;
  renderReply();
  renderTyping();
  api("PUT", "/api/me/focus", { room_id: id }).catch(() => {});
  const page = await api("GET", `/api/rooms/${id}/messages?limit=50`);
  if (state.current !== id) return;
  for (const message of page.messages) state.messages.set(message.id, message);
  state.hasMore = page.has_more;
  state.oldestLoaded = page.messages.at(-1)?.id ?? null;
  renderMessages();
  scrollToBottom();
  markRead();
  loadMembers().then(loadPins);
  renderRooms();
}

async function loadMembers() {
  const id = state.current;
  const [{ members }, { receipts }] = await Promise.all([
    api("GET", `/api/rooms/${id}/members`).catch(() => ({ members: [] })),
    api("GET", `/api/rooms/${id}/receipts`).catch(() => ({ receipts: [] })),
  ]);
  if (id !== state.current) return;
  state.members = new Map(members.map((member) => [member.user.id, member]));
  state.receipts = new Map(receipts.map((r) => [r.user.id, { delivered: r.delivered_up_to, read: r.read_up_to, name: r.user.display_name }]));
  renderMembers();
  renderMessages();
}

function renderMembers() {
  const list = $("members");
  const me = state.members.get(state.me.id);
  const myRank = RANK[me?.role] ?? -1;
  const room = state.rooms.get(state.current);
  list.replaceChildren();
  $("members-summary").textContent = `Members (${state.members.size})`;
  for (const member of state.members.values()) {
    const item = el("li");
    const dot = el("span", `dot ${member.presence}`);
    dot.setAttribute("aria-label", member.presence);
    dot.title = member.presence;
    item.append(dot, el("span", "", member.user.display_name), el("span", "role", member.role));
    if (member.user.id !== state.me.id && room?.kind !== "dm" && myRank >= RANK.moderator && RANK[member.role] < myRank) {
      const action = (label, handler) => {
        const button = el("button", "secondary", label);
        button.type = "button";
        button.addEventListener("click", () => handler().then(loadMembers).catch((e) => alert(e.message)));
        item.append(button);
      };
      const uid = member.user.id;
      action("Kick", () => api("POST", `/api/rooms/${state.current}/kick`, { user_id: uid }));
      action("Ban", () => api("POST", `/api/rooms/${state.current}/bans`, { user_id: uid, reason: prompt("Reason for the ban?") || undefined }));
      action("Mute 10 min", () => api("POST", `/api/rooms/${state.current}/mutes`, { user_id: uid, duration_seconds: 600 }));
      if (myRank >= RANK.admin) {
        const next = member.role === "moderator" ? "member" : "moderator";
        action(next === "moderator" ? "Make moderator" : "Remove moderator", () => api("PUT", `/api/rooms/${state.current}/members/${uid}/role`, { role: next }));
      }
      if (myRank === RANK.owner) {
        const next = member.role === "admin" ? "member" : "admin";
        action(next === "admin" ? "Make admin" : "Remove admin", () => api("PUT", `/api/rooms/${state.current}/members/${uid}/role`, { role: next }));
      }
    }
    list.append(item);
  }
}

/// sent / delivered to all / read by all for one of my messages, from the other members' marks.
function deliveryStatus(message) {
  const others = [...state.receipts.entries()].filter(([id]) => id !== state.me.id).map(([, r]) => r);
  if (others.length === 0) return null;
  const readers = others.filter((r) => r.read !== null && r.read >= message.id).map((r) => r.name);
  if (readers.length === others.length) return { text: "Read", read: true, readers };
  if (others.every((r) => r.delivered >= message.id)) return { text: "Delivered", read: false, readers };
  return { text: "Sent", read: false, readers };
}

async function loadPins() {
  const id = state.current;
  const { pins } = await api("GET", `/api/rooms/${id}/pins`).catch(() => ({ pins: [] }));
  if (id !== state.current) return;
  const bar = $("pins");
  bar.replaceChildren();
  bar.hidden = pins.length === 0;
  const canUnpin = (RANK[state.members.get(state.me.id)?.role] ?? -1) >= RANK.moderator;
  for (const pin of pins.slice(0, 3)) {
    const line = el("div", "pin", `📌 ${pin.message.sender.display_name}: ${pin.message.text ?? "(deleted)"}`);
    if (canUnpin) {
      const unpin = el("button", "icon", "✕");
      unpin.type = "button";
      unpin.setAttribute("aria-label", "Unpin");
      unpin.addEventListener("click", () => api("DELETE", `/api/rooms/${id}/pins/${pin.message.id}`).catch((e) => alert(e.message)));
      line.append(" ", unpin);
    }
    bar.append(line);
  }
  if (pins.length > 3) bar.append(el("div", "muted", `and ${pins.length - 3} more pinned`));
}

function scrollToBottom() {
  const list = $("messages");
  list.scrollTop = list.scrollHeight;
}

$("messages").addEventListener("scroll", async () => {
  const list = $("messages");
  if (list.scrollTop > 40 || !state.hasMore || state.loadingOlder || state.oldestLoaded === null) return;
  state.loadingOlder = true;
  const id = state.current;
  const before = list.scrollHeight - list.scrollTop;
  try {
    const page = await api("GET", `/api/rooms/${id}/messages?limit=50&before=${state.oldestLoaded}`);
    if (id !== state.current) return;
    for (const message of page.messages) state.messages.set(message.id, message);
    state.hasMore = page.has_more;
    state.oldestLoaded = page.messages.at(-1)?.id ?? state.oldestLoaded;
    renderMessages();
    list.scrollTop = list.scrollHeight - before; // keep what the reader was looking at in place
  } finally {
    state.loadingOlder = false;
  }
});

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function renderMessages() {
  const list = $("messages");
  const sorted = [...state.messages.values()].sort((a, b) => a.id - b.id);
  const items = [];
  let lastDay = null;
  for (const message of sorted) {
    const created = new Date(message.created_at);
    const day = dayFormat.format(created);
    if (day !== lastDay) {
      items.push(el("li", "day", day));
      lastDay = day;
    }
    items.push(renderMessage(message, created));
  }
  list.replaceChildren(...items);
}

function renderMessage(message, created) {
  const item = el("li", "message" + (message.sender.id === state.me.id ? " mine" : ""));
  item.dataset.id = message.id;
  const meta = el("div", "meta");
  meta.append(el("span", "author", message.sender.display_name), el("time", "", timeFormat.format(created)));
  meta.lastChild.dateTime = message.created_at;
  if (message.edited_at && !message.deleted) meta.append(el("span", "", "(edited)"));
  if (message.sender.id === state.me.id && !message.deleted) {
    const status = deliveryStatus(message);
    if (status) {
      const node = el("span", "status" + (status.read ? " read" : ""), status.text);
      node.dataset.status = status.text.toLowerCase();
      if (status.readers.length > 0) node.title = `Read by ${status.readers.join(", ")}`;
      meta.append(node);
    }
  }
  const actions = el("span", "actions");
  if (!message.deleted) {
    const reply = el("button", "secondary", "Reply");
    reply.type = "button";
    reply.addEventListener("click", () => {
      state.replyTo = message;
      renderReply();
      $("composer-text").focus();
    });
    actions.append(reply);
    if ((RANK[state.members.get(state.me.id)?.role] ?? -1) >= RANK.moderator && state.rooms.get(state.current)?.kind !== "dm") {
      const pin = el("button", "secondary", "Pin");
      pin.type = "button";
      pin.addEventListener("click", () => api("POST", `/api/rooms/${state.current}/pins`, { message_id: message.id }).catch((e) => alert(e.message)));
      actions.append(pin);
    }
    if (message.sender.id === state.me.id) {
      const edit = el("button", "secondary", "Edit");
      edit.type = "button";
      edit.addEventListener("click", async () => {
        const text = prompt("Edit message", message.text);
        if (text !== null && text.trim()) await api("PATCH", `/api/messages/${message.id}`, { text }).catch((e) => alert(e.message));
      });
      const remove = el("button", "secondary", "Delete");
      remove.type = "button";
      remove.addEventListener("click", async () => {
        if (confirm("Delete this message?")) await api("DELETE", `/api/messages/${message.id}`).catch((e) => alert(e.message));
      });
      actions.append(edit, remove);
    }
  }
  meta.append(actions);
  item.append(meta);
  if (message.reply_to) {
    const target = state.messages.get(message.reply_to);
    item.append(el("div", "quote", target ? `↪ ${target.sender.display_name}: ${target.deleted ? "(deleted)" : target.text}` : "↪ an earlier message"));
  }
  item.append(message.deleted ? el("div", "text deleted", "This message was deleted.") : el("div", "text", message.text));
  return item;
}

function renderReply() {
  $("reply-bar").hidden = !state.replyTo;
  $("reply-text").textContent = state.replyTo ? `Replying to ${state.replyTo.sender.display_name}: ${state.replyTo.text}` : "";
}
$("reply-cancel").addEventListener("click", () => {
  state.replyTo = null;
  renderReply();
});

function markRead() {
  const newest = [...state.messages.keys()].reduce((a, b) => Math.max(a, b), 0);
  const room = state.rooms.get(state.current);
  if (!newest || !room || document.hidden) return;
  api("POST", `/api/rooms/${state.current}/read`, { message_id: newest })
    .then((marker) => {
      room.unread_count = marker.unread_count;
      room.unread_display = String(marker.unread_count);
      room.mentioned = marker.mentioned;
      renderRooms();
    })
    .catch(() => {});
}
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) markRead();
  api("PUT", "/api/me/presence", { status: document.hidden ? "away" : "online" }).catch(() => {});
});

// ---------- sending ----------
$("composer-text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});
$("composer-text").addEventListener("input", () => {
  const now = Date.now();
  if (state.current && now - state.lastTypingSent > 3000 && $("composer-text").value.trim()) {
    state.lastTypingSent = now;
    api("POST", `/api/rooms/${state.current}/typing`, { typing: true }).catch(() => {});
  }
});
$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("composer-text").value.trim();
  if (!text || !state.current) return;
  const entry = { room: state.current, text, reply_to: state.replyTo?.id, client_id: crypto.randomUUID() };
  state.outbox.push(entry);
  saveOutbox();
  $("composer-text").value = "";
  state.replyTo = null;
  state.lastTypingSent = 0;
  renderReply();
  flushOutbox();
});

function saveOutbox() {
  localStorage.setItem("parley.outbox", JSON.stringify(state.outbox));
}

let flushing = false;
// Sends queued messages in order; each keeps its client_id, so a retry never posts twice.
async function flushOutbox() {
  if (flushing) return;
  flushing = true;
  try {
    while (state.outbox.length > 0) {
      const entry = state.outbox[0];
      try {
        await api("POST", `/api/rooms/${entry.room}/messages`, { text: entry.text, reply_to: entry.reply_to, client_id: entry.client_id });
      } catch (error) {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429) {
          alert(`Not sent: ${error.message}`);
        } else {
          setTimeout(flushOutbox, 2000); // offline or server trouble: try again
          return;
        }
      }
      state.outbox.shift();
      saveOutbox();
    }
  } finally {
    flushing = false;
  }
}
window.addEventListener("online", flushOutbox);

// ---------- live events ----------
function handleEvent(event) {
  const data = event.data ?? {};
  switch (event.type) {
    case "message.created":
    case "message.edited":
    case "message.deleted": {
      const message = data.message;
      if (message.room_id === state.current) {
        const list = $("messages");
        const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
        state.messages.set(message.id, message);
        clearTyping(message.sender.id);
        renderMessages();
        if (atBottom || message.sender.id === state.me.id) scrollToBottom();
        if (event.type === "message.created") markRead();
      } else if (event.type === "message.created" && message.sender.id !== state.me.id) {
        const room = state.rooms.get(message.room_id);
        if (room) {
          room.unread_count = (room.unread_count ?? 0) + 1;
          room.unread_display = room.unread_count > 999 ? "999+" : String(room.unread_count);
          if (message.mentions?.includes(state.me.id) || message.mentions_room) room.mentioned = true;
          renderRooms();
        }
      }
      break;
    }
    case "typing":
      if (data.room_id === state.current && data.user.id !== state.me.id) {
        if (data.typing) {
          clearTyping(data.user.id);
          state.typing.set(data.user.id, { name: data.user.display_name, timer: setTimeout(() => clearTyping(data.user.id), 6500) });
          renderTyping();
        } else {
          clearTyping(data.user.id);
        }
      }
      break;
    case "read_marker": {
      const room = state.rooms.get(data.room_id);
      if (room) {
        room.unread_count = data.unread_count;
        room.unread_display = data.unread_count > 999 ? "999+" : String(data.unread_count);
        room.mentioned = data.mentioned;
        renderRooms();
      }
      break;
    }
    case "notification":
      notify(data.notification);
      break;
    case "receipt":
      if (data.room_id === state.current) {
        state.receipts.set(data.user.id, { delivered: data.delivered_up_to, read: data.read_up_to, name: data.user.display_name });
        renderMessages();
      }
      break;
    case "presence": {
      const member = state.members.get(data.user.id);
      if (member) {
        member.presence = data.status;
        renderMembers();
      }
      break;
    }
    case "member.role_changed":
    case "member.muted":
    case "member.unmuted":
      if (data.room_id === state.current) loadMembers();
      break;
    case "pinned":
    case "unpinned":
      if (data.room_id === state.current) loadPins();
      break;
    case "member.kicked":
    case "member.banned":
    case "member.removed":
    case "member.left":
      if (data.user?.id === state.me.id) {
        state.rooms.delete(data.room_id);
        if (state.current === data.room_id) {
          state.current = null;
          $("room-title").textContent = event.type === "member.banned" ? "You were banned from that room" : "You left that room";
          $("messages").replaceChildren();
          $("composer-text").disabled = true;
          $("send").disabled = true;
        }
        loadRooms();
      } else if (data.room_id === state.current) {
        loadMembers();
      }
      break;
    case "member.joined":
    case "member.added":
      if (data.room_id === state.current) loadMembers();
      loadRooms();
      break;
    case "room.created":
    case "room.updated":
    case "room.deleted":
    case "dm.opened":
      loadRooms();
      break;
    case "account.deactivated":
      stream.stop();
      showAuth();
      $("auth-error").textContent = "Your account was deactivated.";
      break;
    case "resync":
      loadRooms().then(() => openRoom(state.current));
      break;
  }
}

function clearTyping(userID) {
  const entry = state.typing.get(userID);
  if (!entry) return;
  clearTimeout(entry.timer);
  state.typing.delete(userID);
  renderTyping();
}

function renderTyping() {
  const names = [...state.typing.values()].map((entry) => entry.name);
  $("typing").textContent = names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
}

function notify(notification) {
  const room = state.rooms.get(notification.room_id);
  if (!document.hidden && notification.room_id === state.current) return;
  if ("Notification" in window && Notification.permission === "granted") {
    new Notification(room ? roomLabel(room) : "Parley", { body: `${notification.message.sender.display_name}: ${notification.message.text ?? ""}` });
  }
  try {
    const context = new AudioContext();
    const tone = context.createOscillator();
    tone.frequency.value = 880;
    tone.connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.08);
  } catch {
    // No audio: the badge and title still tell.
  }
}

start();
