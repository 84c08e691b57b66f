// The HTTP API: JSON in and out, the session cookie, and the CSRF token on state-changing requests.
// One function per endpoint the client uses, grouped by area.

import { noteServerDate } from "/clock.js";
import { mutedRefusal, serverText } from "/format.js";

let csrfToken = null;
/// The account this page shows (null before a login).
let sessionUserId = null;
let accountChanged = () => {};
let sessionLost = () => {};
let roomArchived = () => {};
let recipientDeactivated = () => {};
let mutedHandler = () => {};

/// An error answer from the server: its status and the stable `code` of the error envelope.
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  /// Whether trying the same request later may work (server trouble or a rate limit). A room's slow
  /// mode is not: its wait may be hours, and the outbox must not hold other rooms' messages behind it.
  get transient() {
    return this.status >= 500 || (this.status === 429 && this.code !== "slow_mode") || this.status === 408;
  }
}

/// The request never got an answer (offline, server down, connection cut).
export class NetworkError extends Error {
  get transient() {
    return true;
  }
}

export function setCsrf(token) {
  csrfToken = token;
}

/// The session this page works for: its user's id, and its CSRF token.
export function setSession(session) {
  sessionUserId = session.user.id;
  csrfToken = session.csrf_token;
}

/// Called with the session's user when the browser's session cookie turns out to be another
/// account's: another tab logged in as someone else, and this page must not act for them.
export function onAccountChanged(handler) {
  accountChanged = handler;
}

/// Whether `session` (as `GET /api/session` gives it) is this page's account's; if not, says so
/// (`onAccountChanged`).
export function sameAccount(session) {
  if (sessionUserId === null || session.user.id === sessionUserId) return true;
  accountChanged(session.user);
  return false;
}

/// Called once a request answers 401: the session ended (logged out elsewhere, expired, revoked).
export function onSessionLost(handler) {
  sessionLost = handler;
}

/// Called when a request is refused with `room_archived`: the room was archived, perhaps before
/// this client heard of it.
export function onRoomArchived(handler) {
  roomArchived = handler;
}

/// Called with the request's path, the mute's end (ISO 8601, or null: until lifted) and the
/// request's body when it is refused with `muted`: a moderator muted me in the room, perhaps before
/// this client heard of it.
export function onMuted(handler) {
  mutedHandler = handler;
}

/// Called when a request is refused with `recipient_deactivated`: the other person of a DM was
/// deactivated, perhaps after its member list was loaded here.
export function onRecipientDeactivated(handler) {
  recipientDeactivated = handler;
}

/// A JSON request; a `Blob` body (a file) is sent as its bytes, with its type. `onProgress`
/// (with a `Blob` body) is told the fraction of it sent so far.
export async function request(method, path, body, { signal, retryCsrf = true, onProgress } = {}) {
  const headers = { Accept: "application/json" };
  const raw = body instanceof Blob;
  if (raw) headers["Content-Type"] = body.type || "application/octet-stream";
  else if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const payload = body === undefined || raw ? body : JSON.stringify(body);
  const response = raw && onProgress ? await sendWithProgress(method, path, headers, payload, signal, onProgress)
    : await sendWithFetch(method, path, headers, payload, signal);
  if (response.status === 204) return null;
  if (response.ok) return response.data;
  const { data } = response;
  const code = data?.error?.code ?? "http_error";
  let message = serverText(data?.error?.message) ?? `${response.status} ${response.statusText}`;
  // "Muted until <ISO 8601 time>": its end shows in the reader's time, wherever the message shows.
  const muted = code === "muted" ? mutedRefusal(message) : null;
  if (muted) message = muted.message;
  const error = new ApiError(response.status, code, message, response.retryAfter);
  // A rotated session keeps the cookie but changes the token: learn the new one and try once more;
  // unless the cookie is now another account's (another tab of this browser logged in as someone
  // else): the request is not sent as theirs (it was, a hunt: a message typed in Sue's window was
  // posted as Tom's), and the page starts over as that account.
  if (error.code === "csrf_failed" && retryCsrf) {
    const session = await request("GET", "/api/session", undefined, { retryCsrf: false }).catch(() => null);
    if (session && !sameAccount(session)) throw error;
    if (session) {
      setCsrf(session.csrf_token);
      return request(method, path, body, { signal, retryCsrf: false, onProgress });
    }
  }
  if (error.status === 401 && !path.startsWith("/api/session")) sessionLost(error);
  if (error.code === "room_archived") roomArchived(error);
  if (error.code === "recipient_deactivated") recipientDeactivated(error);
  if (muted) mutedHandler(path, muted.until, body);
  throw error;
}

/// `{ok, status, statusText, data, retryAfter}` of one request; an abort rethrows, anything else
/// that gets no answer is a NetworkError.
async function sendWithFetch(method, path, headers, body, signal) {
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin", cache: "no-store", signal, body });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new NetworkError("Cannot reach the server.");
  }
  noteServerDate(response.headers.get("Date"));
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  const retryAfter = Number(response.headers.get("Retry-After")) || null;
  return { ok: response.ok, status: response.status, statusText: response.statusText, data, retryAfter };
}

/// The same through XMLHttpRequest, the one browser API that reports an upload's progress.
function sendWithProgress(method, path, headers, body, signal, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = xhr.status === 204 ? null : JSON.parse(xhr.responseText);
      } catch {
        // not JSON: described by the status alone
      }
      noteServerDate(xhr.getResponseHeader("Date"));
      const ok = xhr.status >= 200 && xhr.status < 300;
      resolve({ ok, status: xhr.status, statusText: xhr.statusText, data, retryAfter: Number(xhr.getResponseHeader("Retry-After")) || null });
    });
    xhr.addEventListener("error", () => reject(new NetworkError("Cannot reach the server.")));
    xhr.addEventListener("abort", () => reject(new DOMException("The upload was cancelled.", "AbortError")));
    if (signal?.aborted) {
      reject(new DOMException("The upload was cancelled.", "AbortError"));
      return;
    }
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

const get = (path, options) => request("GET", path, undefined, options);
const post = (path, body = {}) => request("POST", path, body);
/// A query string with every value percent-encoded (a space as %20: the server reads `+` as a plus).
const query = (params) => {
  const pairs = Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  return pairs.length ? `?${pairs.join("&")}` : "";
};

/// The site's settings (anyone may read them, logged in or not).
export const Site = {
  settings: () => get("/api/settings"),
};

export const Session = {
  current: () => get("/api/session"),
  /// `code`: for an account with two-factor authentication, from its app (or a recovery code).
  login: (username, password, code) => post("/api/session", { username, password, code: code || undefined }),
  register: (username, password, displayName) =>
    post("/api/users", { username, password, ...(displayName ? { display_name: displayName } : {}) }),
  logout: () => request("DELETE", "/api/session"),
};

export const Rooms = {
  list: () => get("/api/rooms"),
  /// Public rooms whose name or topic contains `q`, by name: the directory beyond `list`'s 500.
  directory: (q, limit = 100) => get(`/api/directory${query({ q, limit })}`),
  get: (id) => get(`/api/rooms/${id}`),
  create: (room) => post("/api/rooms", room),
  update: (id, changes) => request("PATCH", `/api/rooms/${id}`, changes),
  /// The owner deletes the room (with every message and file).
  remove: (id) => request("DELETE", `/api/rooms/${id}`),
  hasPassword: (id) => get(`/api/rooms/${id}/password`),
  join: (id) => post(`/api/rooms/${id}/join`),
  joinWithPassword: (id, password) => post(`/api/rooms/${id}/password`, { password }),
  leave: (id) => post(`/api/rooms/${id}/leave`),
  members: (id) => get(`/api/rooms/${id}/members`),
  addMember: (id, userId) => post(`/api/rooms/${id}/members`, { user_id: userId }),
  removeMember: (id, userId) => request("DELETE", `/api/rooms/${id}/members/${userId}`),
  /// One person's id, or several (a group DM).
  openDM: (userIds) => post("/api/dms", Array.isArray(userIds) && userIds.length > 1 ? { user_ids: userIds } : { user_id: [userIds].flat()[0] }),
  /// Stars one of my rooms (it lists first, in every client of mine), or takes the star back.
  star: (id) => request("PUT", `/api/rooms/${id}/star`),
  unstar: (id) => request("DELETE", `/api/rooms/${id}/star`),
  /// A DM out of my list until a newer message comes (`closed` in the room list), or back in it.
  close: (id) => request("PUT", `/api/rooms/${id}/closed`),
  reopen: (id) => request("DELETE", `/api/rooms/${id}/closed`),
  /// Owners and admins archive a room or group (read-only for everyone, out of the directory), or
  /// bring it back; both answer `{room}`.
  archive: (id) => request("PUT", `/api/rooms/${id}/archived`),
  unarchive: (id) => request("DELETE", `/api/rooms/${id}/archived`),
  /// The room's own word filter, for its owner and admins: `{words, mode}` ("reject" or "mask").
  filter: (id) => get(`/api/rooms/${id}/filter`),
  setFilter: (id, filter) => request("PUT", `/api/rooms/${id}/filter`, filter),
  searchUsers: (prefix, limit = 10, options) => get(`/api/users${query({ prefix, limit })}`, options),
};

export const Messages = {
  /// Follows a message's thread (its new replies notify me) or stops.
  follow: (id) => request("PUT", `/api/messages/${id}/follow`),
  unfollow: (id) => request("DELETE", `/api/messages/${id}/follow`),
  /// The threads I follow with replies, the latest reply first: `{threads, unread_threads, has_more}`.
  threads: ({ before, limit } = {}) => get(`/api/me/threads${query({ before, limit })}`),
  /// Marks a thread read up to its latest reply: `{message_id, room_id, read_up_to, unread_threads}`.
  readThread: (id) => post(`/api/messages/${id}/thread/read`),
  readAllThreads: () => post("/api/me/threads/read"),
  send: (roomId, { text, reply_to, client_id }) => post(`/api/rooms/${roomId}/messages`, { text, reply_to, client_id }),
  /// A poll: a message whose text is `question`.
  createPoll: (roomId, { question, options, multiple }) => post(`/api/rooms/${roomId}/polls`, { question, options, multiple }),
  /// `before` pages back (newest first); `after` catches up (oldest first); `around` is the window
  /// with that message (newest first, with `has_newer`).
  page: (roomId, { before, after, around, at, limit = 50 } = {}) => get(`/api/rooms/${roomId}/messages${query({ before, after, around, at, limit })}`),
  /// A message and its replies (not deleted), oldest first; `after` continues from a reply.
  replies: (id, { after, limit = 50 } = {}) => get(`/api/messages/${id}/replies${query({ after, limit })}`),
  edit: (id, text) => request("PATCH", `/api/messages/${id}`, { text }),
  /// Sets my choices in a poll (option indexes; none takes my vote back).
  vote: (id, options) => request("PUT", `/api/messages/${id}/poll/votes`, { options }),
  closePoll: (id) => post(`/api/messages/${id}/poll/close`),
  /// Posts into `roomId` a message quoting this one, with `text` as a comment.
  forward: (id, roomId, text) => post(`/api/messages/${id}/forward`, { room_id: roomId, text }),
  /// The texts a message had before its edits, oldest first, and the message now.
  edits: (id) => get(`/api/messages/${id}/edits`),
  /// One message: `{message}`.
  one: (id) => get(`/api/messages/${id}`),
  remove: (id) => request("DELETE", `/api/messages/${id}`),
  /// Takes a message's link previews away (its sender or the room's moderators).
  removePreviews: (id) => request("DELETE", `/api/messages/${id}/previews`),
  /// Messages of my rooms (or of `room`, or sent by `from`) with every word of `q`, newest first;
  /// `before` pages back.
  /// `has`: "file" or "link"; `since`: an ISO 8601 time.
  search: ({ q, room, from, before, has, since, limit = 20 }, options) => get(`/api/search${query({ q, room, from, before, has, since, limit })}`, options),
  react: (id, emoji) => request("PUT", `/api/messages/${id}/reactions/${encodeURIComponent(emoji)}`),
  unreact: (id, emoji) => request("DELETE", `/api/messages/${id}/reactions/${encodeURIComponent(emoji)}`),
};

export const Reminders = {
  /// A reminder about a message, `seconds` from now: it comes back as a notification (reason `reminder`).
  set: (messageId, seconds) => post(`/api/messages/${messageId}/reminders`, { in_seconds: seconds }),
  list: () => get("/api/me/reminders"),
  cancel: (id) => request("DELETE", `/api/me/reminders/${id}`),
};

export const Scheduled = {
  /// A message the server posts in the room `seconds` from now (`{text, in_seconds, reply_to}`).
  create: (roomId, body) => post(`/api/rooms/${roomId}/scheduled`, body),
  /// All my scheduled messages, soonest first (those whose send was refused carry `failure`).
  list: () => get("/api/me/scheduled"),
  /// `{text, in_seconds}` (either may be left out); clears an earlier failure.
  update: (id, body) => request("PATCH", `/api/me/scheduled/${id}`, body),
  cancel: (id) => request("DELETE", `/api/me/scheduled/${id}`),
  sendNow: (id) => post(`/api/me/scheduled/${id}/send`),
};

export const Saved = {
  /// My saved messages, the latest saved first; `before` (an entry id) pages back.
  list: ({ before, limit = 30 } = {}) => get(`/api/me/saved${query({ before, limit })}`),
  save: (messageId) => request("PUT", `/api/me/saved/${messageId}`),
  unsave: (messageId) => request("DELETE", `/api/me/saved/${messageId}`),
};

/// Reports of messages: making one, and (for those who act on them) the list and resolving.
export const Reports = {
  report: (messageId, { reason, comment }) => post(`/api/messages/${messageId}/report`, { reason, comment }),
  /// A person as such, to the site admins.
  reportUser: (userId, { reason, comment }) => post(`/api/users/${userId}/report`, { reason, comment }),
  /// A room or group as such (its name, topic, what it is for), to the site admins.
  reportRoom: (roomId, { reason, comment }) => post(`/api/rooms/${roomId}/report`, { reason, comment }),
  /// `state`: "open" (the default) or "resolved"; `room` only that room's; `subject` "message" or "user" only
  /// those of messages or of people; `reason` only those given for it; newest first, `before` a report id.
  list: ({ state, room, subject, reason, before, limit = 30 } = {}) =>
    get(`/api/reports${query({ state, room, subject, reason, before, limit })}`),
  resolve: (reportId, action) => post(`/api/reports/${reportId}/resolve`, { action }),
  /// The reports I made, newest first, with what became of them; `before` a report id.
  mine: ({ before, limit = 20 } = {}) => get(`/api/me/reports${query({ before, limit })}`),
};

export const Users = {
  /// Anyone's profile and the rooms I share with them.
  profile: (id) => get(`/api/users/${id}`),
};

export const Invites = {
  /// `{expires_in_seconds, max_uses}` (either may be left out).
  create: (roomId, options) => post(`/api/rooms/${roomId}/invites`, options),
  list: (roomId) => get(`/api/rooms/${roomId}/invites`),
  revoke: (roomId, id) => request("DELETE", `/api/rooms/${roomId}/invites/${id}`),
  preview: (code) => get(`/api/invites/${encodeURIComponent(code)}`),
  accept: (code) => post(`/api/invites/${encodeURIComponent(code)}/join`),
};

/// Incoming webhooks of a room (its owners and admins): a script posts into the room through the
/// secret URL, which only `create` answers with.
export const Webhooks = {
  create: (roomId, name) => post(`/api/rooms/${roomId}/webhooks`, { name }),
  list: (roomId) => get(`/api/rooms/${roomId}/webhooks`),
  remove: (roomId, id) => request("DELETE", `/api/rooms/${roomId}/webhooks/${id}`),
};

/// Site administration (site admins only), and the password reset links they make.
export const Admin = {
  /// `{prefix, after, limit}`: users by username.
  users: ({ prefix, after, limit = 50 } = {}) => get(`/api/admin/users${query({ prefix, after, limit })}`),
  deactivate: (userId) => post(`/api/admin/users/${userId}/deactivate`),
  reactivate: (userId) => post(`/api/admin/users/${userId}/reactivate`),
  /// "admin" or "user".
  setSiteRole: (userId, role) => request("PUT", `/api/admin/users/${userId}/site-role`, { site_role: role }),
  createPasswordReset: (userId) => post(`/api/admin/users/${userId}/password-reset`),
  /// Turns off the user's two-factor authentication.
  resetTwoFactor: (userId) => request("DELETE", `/api/admin/users/${userId}/two-factor`),
  deleteRoom: (roomId) => request("DELETE", `/api/admin/rooms/${roomId}`),
  /// `days`: a number of days, -1 for ever, or null for the site's retention.
  setRoomRetention: (roomId, days) => request("PUT", `/api/admin/rooms/${roomId}/retention`, { message_retention_days: days }),
  /// The site's log, newest first; `before` pages back.
  log: ({ before, limit = 50 } = {}) => get(`/api/admin/log${query({ before, limit })}`),
  /// `{registration?, custom_emoji?}`: the settings named change.
  updateSettings: (changes) => request("PATCH", "/api/admin/settings", changes),
  createUser: (username, password, displayName) =>
    post("/api/admin/users", { username, password, ...(displayName ? { display_name: displayName } : {}) }),
};

export const PasswordResets = {
  preview: (code) => get(`/api/password-resets/${encodeURIComponent(code)}`),
  use: (code, password) => post(`/api/password-resets/${encodeURIComponent(code)}`, { password }),
};

/// The people I blocked.
export const Blocks = {
  list: () => get("/api/me/blocks"),
  block: (userId) => request("PUT", `/api/me/blocks/${userId}`),
  unblock: (userId) => request("DELETE", `/api/me/blocks/${userId}`),
};

export const Files = {
  /// Shares `file` in a room as a new message, with an optional caption (`text`), answering `replyTo`
  /// if given. `options`: `{signal, onProgress}` (the fraction of the file sent so far).
  upload: (roomId, file, { text, replyTo } = {}, options) =>
    request("POST", `/api/rooms/${roomId}/files${query({ name: file.name || "file", text: text || undefined, reply_to: replyTo })}`, file, options),
  /// The messages of a room that share files, newest first: `kind` (pictures, media, other), `name`
  /// (contained in the file's name), `before` a message id.
  list: (roomId, { kind, name, before, limit = 30 } = {}, options) =>
    get(`/api/rooms/${roomId}/files${query({ kind, name, before, limit })}`, options),
};

export const CustomEmoji = {
  /// The site's custom emoji, by name: `{emoji: [{name, url, created_by, created_at}]}`.
  list: () => get("/api/emoji"),
  /// Adds `picture` (a Blob of PNG, JPEG, GIF or WebP, at most 256 KiB) as `:name:`: `{emoji}`.
  add: (name, picture) => request("POST", `/api/emoji${query({ name })}`, picture),
  remove: (name) => request("DELETE", `/api/emoji/${encodeURIComponent(name)}`),
};

/// My drafts, kept on the server so that they follow me to my other devices.
export const Drafts = {
  /// `{drafts: [{room_id, thread_id, text, reply_to, updated_at}]}`, in the rooms I am in.
  list: () => get("/api/me/drafts"),
  /// A room's box, or with `threadId` the reply box of that message's thread.
  save: (roomId, text, replyTo, threadId) =>
    request("PUT", `/api/rooms/${roomId}/draft${threadId ? `?thread=${threadId}` : ""}`, { text, reply_to: replyTo ?? null }),
  remove: (roomId, threadId) => request("DELETE", `/api/rooms/${roomId}/draft${threadId ? `?thread=${threadId}` : ""}`),
};

/// User groups: `@name` mentions each of a group's members in the room.
export const UserGroups = {
  /// `{groups: [{id, name, description, created_by, created_at, member_ids}]}`, by name.
  list: () => get("/api/user-groups"),
  /// `{group, members}`: the members as people, by username.
  get: (id) => get(`/api/user-groups/${id}`),
  make: (name, description) => post("/api/user-groups", { name, ...(description ? { description } : {}) }),
  /// `{name?, description?}`.
  update: (id, changes) => request("PATCH", `/api/user-groups/${id}`, changes),
  remove: (id) => request("DELETE", `/api/user-groups/${id}`),
  addMember: (id, userId) => request("PUT", `/api/user-groups/${id}/members/${userId}`),
  removeMember: (id, userId) => request("DELETE", `/api/user-groups/${id}/members/${userId}`),
};

export const Signals = {
  typing: (roomId, typing, threadId = null) => post(`/api/rooms/${roomId}/typing`, threadId === null ? { typing } : { typing, thread_id: threadId }),
  /// A device's own report (`chosen` false), or the person's choice, which stands for every device.
  presence: (status, chosen = false) => request("PUT", "/api/me/presence", chosen ? { status, chosen: true } : { status }),
  focus: (roomId) => request("PUT", "/api/me/focus", { room_id: roomId }),
  markRead: (roomId, messageId) => post(`/api/rooms/${roomId}/read`, { message_id: messageId }),
  /// The read mark back to just before `messageId`: it and everything after it are unread again.
  markUnread: (roomId, messageId) => post(`/api/rooms/${roomId}/unread`, { message_id: messageId }),
  /// Every room of mine read up to its newest message; `{rooms}`: those that moved, with their unread state.
  markAllRead: () => post("/api/me/read"),
  receipts: (roomId) => get(`/api/rooms/${roomId}/receipts`),
};

export const Moderation = {
  setRole: (roomId, userId, role) => request("PUT", `/api/rooms/${roomId}/members/${userId}/role`, { role }),
  /// The owner hands the room over; they become an admin.
  transferOwnership: (roomId, userId) => post(`/api/rooms/${roomId}/owner`, { user_id: userId }),
  kick: (roomId, userId, reason) => post(`/api/rooms/${roomId}/kick`, { user_id: userId, reason }),
  ban: (roomId, userId, reason, seconds) => post(`/api/rooms/${roomId}/bans`, { user_id: userId, reason, duration_seconds: seconds }),
  mute: (roomId, userId, seconds, reason) => post(`/api/rooms/${roomId}/mutes`, { user_id: userId, duration_seconds: seconds, reason }),
  pins: (roomId) => get(`/api/rooms/${roomId}/pins`),
  pin: (roomId, messageId) => post(`/api/rooms/${roomId}/pins`, { message_id: messageId }),
  unpin: (roomId, messageId) => request("DELETE", `/api/rooms/${roomId}/pins/${messageId}`),
  bans: (roomId) => get(`/api/rooms/${roomId}/bans`),
  unban: (roomId, userId) => request("DELETE", `/api/rooms/${roomId}/bans/${userId}`),
  mutes: (roomId) => get(`/api/rooms/${roomId}/mutes`),
  unmute: (roomId, userId) => request("DELETE", `/api/rooms/${roomId}/mutes/${userId}`),
  /// The room's moderation log, newest first (admins and the owner); `before` pages back.
  log: (roomId, { before, limit = 50 } = {}) => get(`/api/rooms/${roomId}/moderation${query({ before, limit })}`),
};

export const Me = {
  get: () => get("/api/me"),
  /// `{keywords}`: words that notify me like a mention.
  keywords: () => get("/api/me/keywords"),
  setKeywords: (keywords) => request("PUT", "/api/me/keywords", { keywords }),
  /// `{display_name, send_read_receipts, show_link_previews, skin_tone, bio}`, any of them.
  update: (changes) => request("PATCH", "/api/me", changes),
  /// A picture (a Blob of PNG, JPEG, GIF or WebP, at most 1 MiB); answers like `get`.
  setAvatar: (picture) => request("PUT", "/api/me/avatar", picture),
  removeAvatar: () => request("DELETE", "/api/me/avatar"),
  deactivate: (password) => post("/api/me/deactivate", { password }),
  /// Two-factor authentication: `{enabled, enabled_at, recovery_codes_left}`.
  twoFactor: () => get("/api/me/two-factor"),
  /// A new key for the authenticator app: `{setup: {secret, otpauth_uri, …}}`.
  setUpTwoFactor: (password) => post("/api/me/two-factor", { password }),
  /// Turns it on with a code from the app: `{recovery_codes}`.
  confirmTwoFactor: (code) => post("/api/me/two-factor/confirm", { code }),
  disableTwoFactor: (password, code) => post("/api/me/two-factor/disable", { password, code: code || undefined }),
  newRecoveryCodes: (password) => post("/api/me/two-factor/recovery-codes", { password }),
  changePassword: (currentPassword, newPassword) =>
    request("PUT", "/api/me/password", { current_password: currentPassword, new_password: newPassword }),
  /// `{text, emoji, expires_in_seconds}` (text or emoji, or both; no expiry: never).
  setStatus: (status) => request("PUT", "/api/me/status", status),
  clearStatus: () => request("DELETE", "/api/me/status"),
  /// My rooms' unread state and my notifications since `since` (ISO 8601), newest first.
  summary: (since) => get(`/api/me/summary${query({ since })}`),
  /// Do not disturb: notifications paused for `minutes` on every device, or resumed.
  pauseNotifications: (minutes) => request("PUT", "/api/me/dnd", { minutes }),
  resumeNotifications: () => request("DELETE", "/api/me/dnd"),
  /// Moves the account's "seen" mark of its notifications up to `id`.
  notificationsSeen: (id) => post("/api/me/notifications/seen", { up_to: id }),
  sessions: () => get("/api/me/sessions"),
  revokeSession: (id) => request("DELETE", `/api/me/sessions/${id}`),
  accessTokens: () => get("/api/me/tokens"),
  /// `{name, password, expires_in_days}` (null: never); answers the token once.
  createAccessToken: (body) => post("/api/me/tokens", body),
  revokeAccessToken: (id) => request("DELETE", `/api/me/tokens/${id}`),
  /// "all", "mentions" or "none" for one of my rooms.
  setNotifyLevel: (roomId, level) => request("PUT", `/api/rooms/${roomId}/notifications`, { level }),
};

export const Events = {
  /// Long-poll: what is new after `after`, waiting up to `timeout` seconds; without `after`, the current cursor.
  poll: (after, timeout, signal) => get(`/api/events${query({ after, timeout })}`, { signal }),
};
