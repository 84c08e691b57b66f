// What the client knows: who I am, my rooms, the public directory, the connection, and the open
// room (its messages, members, receipts, pins and who is typing). Views read it and subscribe to
// topics; actions and live events change it only through the functions here, which announce what
// changed.

import { dropCustomEmoji, putCustomEmoji, replaceCustomEmoji } from "/customemoji.js";
import { serverNow } from "/clock.js";
import { setEmojiTone } from "/emoji.js";
import { indexRoomNames } from "/roomnames.js";

const listeners = new Map();

/// Subscribes to a topic ("me", "rooms", "directory", "connection", "room", "messages", "members",
/// "receipts", "pins", "typing", "outbox", "moderation" (a room's bans or mutes changed), "emoji"
/// (the site's custom emoji), "site" (its settings), "groups" (its user groups), "muted" (I was
/// muted in a room, or no longer), "joined" (someone joined or was added to a room); returns the
/// unsubscribe function.
export function on(topic, listener) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(listener);
  return () => listeners.get(topic).delete(listener);
}

export function emit(topic, detail = {}) {
  // Links to rooms in messages follow my list and the directory.
  if (topic === "rooms" || topic === "directory") indexRoomNames(state.rooms, state.directory);
  for (const listener of listeners.get(topic) ?? []) {
    try {
      listener(detail);
    } catch (error) {
      console.error(`Parley: a "${topic}" listener failed`, error);
    }
  }
}

export const RANK = { owner: 3, admin: 2, moderator: 1, member: 0 };

export const state = {
  me: null,
  /// My rooms by id, each with its unread state and `latest_id` (the newest message id known).
  rooms: new Map(),
  /// Public rooms (joined or not), as the directory lists them.
  directory: [],
  /// Whether `directory` holds every public room (the server lists the 500 biggest).
  directoryComplete: true,
  connection: "connecting",
  /// The open room: see `openRoomState`.
  room: null,
  /// The ids of the people I blocked: their messages show collapsed, their typing does not show.
  blocked: new Set(),
  /// Rooms where I am muted (room id -> when it ends, ISO 8601, or null: until lifted), as the live
  /// events said, the room's details (`my_mute`) when it opened, or a refusal (`muted`).
  mutedIn: new Map(),
  /// The thread open beside the room: see `openThreadState`.
  thread: null,
  /// Messages saved or unsaved since they were read (id -> saved): newer than a read's `saved`.
  saved: new Map(),
  /// My scheduled messages, all rooms (id -> scheduled message), as the server last told.
  scheduled: new Map(),
  /// Until when I paused notifications (ISO 8601), or null.
  dndUntil: null,
  /// Whether I see link previews under messages (my setting, on every device).
  showLinkPreviews: true,
  /// The skin tone I give emoji that take one: 0 none, 1–5 light to dark (my setting, on every device).
  skinTone: 0,
  /// My keywords (lowercased), which count as mentioning me.
  keywords: [],
  /// The site's settings (`{registration, public_rooms, custom_emoji}`), or null until loaded.
  site: null,
  /// The server's limits (`{max_upload_bytes}`), or null until loaded.
  limits: null,
  /// The site's user groups (id -> `{id, name, description, created_by, created_at, member_ids}`).
  userGroups: new Map(),
};

/// How many events carrying the whole of something have arrived, by key: "site" (`settings.updated`),
/// "room:<id>" (`room.updated`) and "mute:<id>" (`member.muted` and `member.unmuted` about me).
const heard = new Map();
export function heardEvent(key) {
  heard.set(key, (heard.get(key) ?? 0) + 1);
}

/// Sends a change with `request()` and lays its answer over the view with `apply(answer)`, unless an
/// event of `key` arrived meanwhile: answers and events travel apart, and that event carries this
/// change or a newer one, which the older answer must not undo. Resolves to the answer either way.
export async function applyUnlessHeard(key, request, apply) {
  const seen = heard.get(key) ?? 0;
  const answer = await request();
  if ((heard.get(key) ?? 0) === seen) apply(answer);
  return answer;
}

/// The site's settings, loaded or changed by a site admin; views that follow them listen to "site".
export function setSiteSettings(settings) {
  state.site = settings;
  emit("site");
}

/// The server's limits, as its settings say.
export function setSiteLimits(limits) {
  state.limits = limits;
}

/// The site's user groups: the whole list, one made or changed, one deleted; views that show them
/// listen to "groups".
export function setUserGroups(list) {
  state.userGroups = new Map(list.map((group) => [group.id, group]));
  emit("groups");
}

export function putUserGroup(group) {
  state.userGroups.set(group.id, group);
  emit("groups");
}

export function dropUserGroup(id) {
  if (state.userGroups.delete(id)) emit("groups");
}

/// The names an @mention of me may use, lowercased: my username and the names of my user groups.
/// What marks a message's text as about me, for `formatMessage`: `names`, the lowercased names whose
/// @mention is mine (my username, my user groups'), and `keywords`, a pattern that finds my keywords
/// (null without any, or with `keywords: false`: in my own messages, which they do not notify of).
export function myMarks({ keywords = true } = {}) {
  const names = new Set([state.me.username.toLowerCase()]);
  for (const group of state.userGroups.values()) {
    if (group.member_ids.includes(state.me.id)) names.add(group.name.toLowerCase());
  }
  return { names, keywords: keywords ? keywordPattern() : null };
}

/// Whether I may do what the site's setting `key` governs ("custom_emoji", "public_rooms"): anyone,
/// unless a site admin kept it to site admins.
export const siteAllows = (key) => state.site?.[key] !== "admins" || state.me?.site_role === "admin";

/// The site's custom emoji (kept in customemoji.js, where dom.js draws them from): the whole list,
/// one added or one deleted; views that draw them listen to "emoji".
export function setCustomEmojiAll(list) {
  replaceCustomEmoji(list);
  emit("emoji");
}

export function addedCustomEmoji(emoji) {
  putCustomEmoji(emoji);
  emit("emoji");
}

export function removedCustomEmoji(name) {
  dropCustomEmoji(name);
  emit("emoji");
}

export function setScheduledAll(list) {
  state.scheduled = new Map(list.map((s) => [s.id, s]));
  emit("scheduled");
}

export function putScheduled(scheduled) {
  state.scheduled.set(scheduled.id, scheduled);
  emit("scheduled");
}

export function dropScheduled(id) {
  if (state.scheduled.delete(id)) emit("scheduled");
}

/// Until when I paused notifications (ISO 8601), on any of my devices; null when I did not.
export function setDnd(until) {
  state.dndUntil = until ?? null;
  emit("dnd");
}

/// The status I chose ("away", "busy"), the account's on every device; null when automatic.
export function setPresenceChoice(choice) {
  if (!state.me) return;
  state.me.presence_choice = choice ?? null;
  if (choice) state.me.presence = choice;
  emit("me");
}

/// My keywords, as the server keeps them.
export function setKeywords(keywords) {
  state.keywords = keywords ?? [];
  keywordCache = null;
  emit("keywords");
}

let keywordCache = null;

/// Han, kana (with ー) and 々 〇, as the server's `SearchQuery.isUnspaced`: written without spaces,
/// so a keyword (or a searched word, views/search.js) is found inside a run of them.
export const UNSPACED_CLASS = "[\\u3005\\u3007\\u3041-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uff66-\\uff9f]";
const UNSPACED = new RegExp(UNSPACED_CLASS, "u");
/// A character that continues a word: a letter, digit, mark or `_` outside those scripts.
const JOINING = `(?!${UNSPACED_CLASS})[\\p{L}\\p{N}\\p{M}_]`;

/// My keywords as the server matches them: whole words (not inside a longer word; `_` is part of a
/// word; Chinese and Japanese, without spaces, anywhere), any case, any white space between a
/// phrase's words; the longest first, so that a phrase wins over a word in it. Global, for `matchAll`, which starts at its `lastIndex`: nothing here
/// moves that (`search` leaves it as it was). Null without keywords.
export function keywordPattern() {
  if (!state.keywords.length) return null;
  if (keywordCache?.list === state.keywords) return keywordCache.pattern;
  const alternatives = [...state.keywords]
    .sort((a, b) => b.length - a.length)
    .map((keyword) => {
      const body = keyword.split(" ").map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("\\s+");
      // Chinese and Japanese have no spaces: a keyword's end in those scripts needs no boundary.
      const before = UNSPACED.test(keyword[0]) ? "" : `(?<!${JOINING})`;
      const after = UNSPACED.test(keyword.at(-1)) ? "" : `(?!${JOINING})`;
      return `${before}${body}${after}`;
    });
  const pattern = new RegExp(`(?:${alternatives.join("|")})`, "giu");
  keywordCache = { list: state.keywords, pattern };
  return pattern;
}

/// Whether `text` holds one of my keywords.
export function hasMyKeyword(text) {
  const pattern = keywordPattern();
  // Composed, as the server compares (keywords come composed).
  return Boolean(pattern && text) && text.normalize("NFC").search(pattern) >= 0;
}

/// My link preview setting (`show_link_previews`), as the server has it.
export function setShowLinkPreviews(show) {
  state.showLinkPreviews = show !== false;
  emit("linkPreviews");
}

/// My skin tone for emoji (`skin_tone`), as the server has it: names, suggestions and the picker
/// give it to the emoji that take one.
export function setSkinTone(level) {
  state.skinTone = setEmojiTone(level);
  emit("skinTone");
}

export const notificationsPaused = () => state.dndUntil !== null && Date.parse(state.dndUntil) > serverNow();

/// Whether a pause (someone's `dnd_until`) is on now.
export const pausedNow = (until) => Boolean(until) && Date.parse(until) > serverNow();

/// Someone (me included) paused or resumed notifications: my own pause, the open room's member list
/// and an open profile follow.
export function setUserDnd(userId, until) {
  if (state.me?.id === userId) setDnd(until);
  const member = state.room?.members.get(userId);
  if (member) {
    member.dnd_until = until ?? null;
    emit("members");
  }
  emit("userDnd", { userId, until: until ?? null });
}

/// My scheduled messages (of one room, with `roomId`), soonest first.
export const scheduledList = (roomId) =>
  [...state.scheduled.values()].filter((s) => roomId === undefined || s.room_id === roomId).sort((a, b) => a.send_at.localeCompare(b.send_at) || a.id - b.id);

/// My recent notifications (newest first) for the activity list, and the newest id I have seen there.
export const activity = { notifications: [], loaded: false, seen: 0 };

/// A message deleted: what notified me of it leaves the list (and no longer counts as new), as the
/// server's list leaves it out.
export function dropActivityOf(messageId) {
  const kept = activity.notifications.filter((n) => n.message.id !== messageId);
  if (kept.length === activity.notifications.length) return;
  activity.notifications = kept;
  emit("activity");
}

export function setActivity(notifications, seen) {
  activity.notifications = notifications;
  activity.loaded = true;
  activity.seen = seen;
  emit("activity");
}

export function addNotification(notification) {
  if (activity.notifications.some((n) => n.id === notification.id)) return;
  activity.notifications = [notification, ...activity.notifications].slice(0, 200);
  emit("activity");
}

/// Seen up to `id` on another device of mine.
export function setActivitySeen(id) {
  if (id <= activity.seen) return;
  activity.seen = id;
  emit("activity");
}

export function markActivitySeen() {
  activity.seen = Math.max(activity.seen, ...activity.notifications.map((n) => n.id));
  emit("activity");
}

/// Whether I saved a message: as I or my other clients last changed it, else as it was read.
export const isSaved = (message) => state.saved.get(message.id) ?? message.saved === true;

export function setSaved(messageId, saved) {
  if (state.saved.get(messageId) === saved) return;
  state.saved.set(messageId, saved);
  emit("saved", { messageId, saved });
  emit("messages", { reason: "update" });
}

/// Who I blocked (all of them, or one change from this client or an event).
export function setBlocked(ids) {
  state.blocked = new Set(ids);
  emit("blocks");
}

export function setBlock(userId, blocked) {
  if (blocked) state.blocked.add(userId);
  else state.blocked.delete(userId);
  emit("blocks");
}

export function setMe(user) {
  state.me = user;
  emit("me");
}

export function setConnection(status) {
  state.connection = status;
  emit("connection", { status });
}

/// A room from the list, keeping unread counts this client made from events newer than the list.
function withLatest(room, previous) {
  const listed = room.last_message?.id ?? 0;
  if (previous && (previous.latest_id ?? 0) > listed) {
    const { unread_count, unread_display, mentioned, latest_id } = previous;
    return { ...room, unread_count, unread_display, mentioned, latest_id };
  }
  return { ...room, latest_id: listed };
}

/// The threads I follow (`followedThreads`): the first page as last loaded, and how many of all of
/// them have unread replies (the Threads button's count).
export const threads = { entries: [], hasMore: false, unread: 0, loaded: false, shown: false };

export function setThreads({ threads: entries, unread_threads, has_more }, { more = false } = {}) {
  threads.entries = more ? [...threads.entries, ...entries] : entries;
  threads.hasMore = has_more;
  threads.unread = unread_threads;
  threads.loaded = true;
  emit("threads");
}

/// How many followed threads have unread replies, from an answer that says only that.
export function setUnreadThreads(count) {
  if (threads.unread === count) return;
  threads.unread = count;
  emit("threads");
}

/// My drafts with text, as the room's box (composer.js, `source` "room") and the threads' boxes
/// (threaddrafts.js, "thread") keep them: [{roomId, rootId (a thread's) or null, text}]. "drafts"
/// is emitted when one appears or goes, not as one is typed.
const draftSources = { room: [], thread: [] };
let draftKeys = "";
export function setDrafts(source, entries) {
  draftSources[source] = entries;
  const keys = [...draftSources.room, ...draftSources.thread].map((d) => `${d.roomId}:${d.rootId ?? 0}`).sort().join(",");
  if (keys === draftKeys) return;
  draftKeys = keys;
  emit("drafts");
}
export const allDrafts = () => [...draftSources.room, ...draftSources.thread];
/// Whether I left a draft in a room (its box or one of its threads').
export const hasDraft = (roomId) => allDrafts().some((draft) => draft.roomId === roomId);

/// Messages for rooms not (yet) in my list: counted once the list has them.
let strays = [];

export function setRooms({ mine, public: directory, public_complete: complete }) {
  const previous = state.rooms;
  state.rooms = new Map(mine.map((room) => [room.id, withLatest(room, previous.get(room.id))]));
  state.directory = directory;
  state.directoryComplete = complete !== false;
  const waiting = strays;
  strays = [];
  for (const message of waiting) if (state.rooms.has(message.room_id)) countUnread(message, { emitChange: false });
  emit("rooms");
  emit("directory");
  if (state.room && state.rooms.has(state.room.id)) emit("room", { changed: "details" });
}

/// A public room appeared in, changed in or left the directory (`room` null: it is gone).
export function setDirectoryRoom(roomID, room) {
  const rest = state.directory.filter((listed) => listed.id !== roomID);
  state.directory = room ? [...rest, room].sort((a, b) => a.name.localeCompare(b.name)) : rest;
  emit("directory");
}

/// Merges a room as an event carries it (with no viewer-specific fields) into one of mine.
export function mergeRoom(room) {
  const old = state.rooms.get(room.id);
  if (!old) return;
  state.rooms.set(room.id, {
    ...old,
    ...room,
    name: old.kind === "dm" ? old.name : room.name,
    my_role: room.my_role ?? old.my_role,
    starred: room.starred ?? old.starred,
    dm_with: room.dm_with ?? old.dm_with,
    dm_members: room.dm_members ?? old.dm_members,
    latest_id: old.latest_id,
  });
  emit("rooms");
  // Archived: nobody types in it any more (what was showing goes at once).
  if (room.archived_at && isOpen(room.id) && state.room.typing.size > 0) {
    for (const { timer } of state.room.typing.values()) clearTimeout(timer);
    state.room.typing.clear();
    emit("typing");
  }
  // The open room's details (who may post in it, my role, whether it is archived) shape its
  // messages' actions.
  if (state.room?.id === room.id) emit("room", { changed: "details" });
}

/// Starred or unstarred (here, or in another client of mine).
export function setStarred(roomId, starred) {
  const room = state.rooms.get(roomId);
  if (!room || room.starred === starred) return;
  state.rooms.set(roomId, { ...room, starred });
  emit("rooms");
  if (state.room?.id === roomId) emit("room", { changed: "details" });
}

/// A DM closed in my list (left out of the sidebar unless it is open) or shown again.
export function setClosed(roomId, closed) {
  const room = state.rooms.get(roomId);
  if (!room || room.closed === closed || (room.closed === undefined && !closed)) return;
  state.rooms.set(roomId, { ...room, closed });
  emit("rooms");
}

export function removeRoom(id) {
  if (!state.rooms.delete(id)) return;
  emit("rooms");
}

export function setUnread(roomId, { unread_count, unread_display, mentioned, read_up_to }) {
  const room = state.rooms.get(roomId);
  if (!room) return;
  room.unread_count = unread_count;
  room.unread_display = unread_display ?? (unread_count > 999 ? "999+" : String(unread_count));
  room.mentioned = mentioned;
  if (read_up_to !== undefined) room.read_up_to = read_up_to;
  emit("rooms");
}

/// A read marker from an HTTP answer (mark read, mark all read). The answer can arrive after
/// events that followed it: a message counted since it was computed (newer than its `read_up_to`)
/// stays counted, and the marker's own `read_marker` event, in order with the messages, settles it.
export function settleUnread(roomId, marker) {
  const room = state.rooms.get(roomId);
  if (!room || (room.latest_id ?? 0) > (marker.read_up_to ?? 0)) return;
  setUnread(roomId, marker);
}

/// The open room `roomId` was marked unread after `readUpTo`: it is not marked read again while it
/// stays open, and the "New" divider moves there.
export function keepUnread(roomId, readUpTo) {
  const room = state.room;
  if (!room || room.id !== roomId) return;
  room.keepUnread = true;
  room.unreadAfter = readUpTo;
  emit("messages", { reason: "unread" });
}

/// Counts a new message in a room I am not reading, once (a replayed event is not counted again).
export function countUnread(message, { emitChange = true } = {}) {
  const room = state.rooms.get(message.room_id);
  if (!room) {
    strays.push(message);
    return;
  }
  if (message.id <= (room.latest_id ?? 0)) return;
  room.latest_id = message.id;
  // The server counts neither my own messages (my webhooks' are not mine) nor those of people I
  // blocked. It counts in rooms at level "none" too (their badge is only hidden): so does this.
  if (isMine(message) || state.blocked.has(message.sender.id)) return;
  room.unread_count = (room.unread_count ?? 0) + 1;
  room.unread_display = room.unread_count > 999 ? "999+" : String(room.unread_count);
  room.mentioned = room.mentioned || mentionsMe(message);
  if (emitChange) emit("rooms");
}

/// Whether a message is my own words, as unread counts and notifications take it (a webhook I made
/// posts as me, but its posts are news to me as to anyone).
const isMine = (message) => message.sender.id === state.me.id && !message.webhook;

/// Whether a new message mentions me as the server counts it: by name, `@room`, `@here` while
/// I am online (the status this tab last sent is "online": not away, not busy), or a keyword of mine.
function mentionsMe(message) {
  const here = message.mentions_here === true && (state.me.presence ?? "online") === "online";
  return message.mentions?.includes(state.me.id) || message.mentions_room === true || here || hasMyKeyword(message.text);
}

/// A new message in the room I have open that I have not seen: the tab is hidden, the room was marked
/// unread, or the reader is further up. Unread until I look again, with the "New" line above the
/// first such message (as one that arrived while I was away shows when I come back).
export function countUnseen(message) {
  const room = state.rooms.get(message.room_id);
  if (!room || isMine(message) || state.blocked.has(message.sender.id)) return;
  if (isOpen(message.room_id) && state.room.unreadAfter === null) {
    state.room.unreadAfter = message.id - 1;
    emit("messages", { reason: "unread" });
  }
  setUnread(room.id, {
    unread_count: (room.unread_count ?? 0) + 1,
    mentioned: room.mentioned || mentionsMe(message),
  });
}

/// The reader has message `id` of the open room in view (and so everything before it).
export function noteSeen(roomId, id) {
  if (isOpen(roomId) && id > (state.room.seenUpTo ?? 0)) state.room.seenUpTo = id;
}

/// Whether the reader has seen a message of the open room (when the timeline cannot tell yet, yes).
export const hasSeen = (message) => state.room?.seenUpTo == null || message.id <= state.room.seenUpTo;

/// Starts over with room `id` open and nothing loaded.
export function openRoomState(id) {
  lostRooms.delete(id);
  const room = state.rooms.get(id);
  state.room = {
    id,
    messages: new Map(),
    hasMore: false,
    /// The loaded messages stop short of the newest (after a jump to an older message): live
    /// messages are not shown until the reader scrolls down to them or jumps to the latest.
    hasNewer: false,
    loaded: false,
    loadingOlder: false,
    loadingNewer: false,
    /// Counts replacements of what is loaded (jumps), so pages asked for before one are dropped.
    window: 0,
    /// While a page that may reach the newest message is on its way: live messages beyond the
    /// loaded ones (id -> message), added with it if it does.
    held: null,
    /// Messages above this id were unread when the room was opened (for the "new" divider).
    unreadAfter: room && room.unread_count > 0 ? room.read_up_to ?? 0 : null,
    /// A message was marked unread since the room was opened: it is not marked read again until reopened.
    keepUnread: false,
    /// The newest message the reader has had in view, as the timeline says while it draws and scrolls
    /// (null until it has shown any): the room is marked read no further.
    seenUpTo: null,
    /// Reply targets older than what is loaded: id -> message, or null when gone.
    replyTargets: new Map(),
    members: new Map(),
    receipts: new Map(),
    pins: [],
    typing: new Map(),
    /// Why the room closed under me ("left", "removed", "banned", "deleted"), if it did.
    closed: null,
    closedDetail: null,
  };
  emit("room", { changed: "opened" });
}

/// Rooms that closed under me while open (left, removed, kicked, banned, deleted), until opened again:
/// nothing more is sent there (a stopped-typing signal, a draft), which the server would refuse.
const lostRooms = new Set();
export const lostRoom = (roomId) => lostRooms.has(roomId);

export function closeRoomState(reason, detail = null) {
  if (!state.room) return;
  lostRooms.add(state.room.id);
  state.room.closed = reason;
  /// What the moderator said of it (a reason, a ban's end), if they did.
  state.room.closedDetail = detail;
  emit("room", { changed: "closed" });
}

export const isOpen = (roomId) => state.room !== null && state.room.id === roomId && state.room.closed === null;

/// Adds a page of history (`older`: scrolled back; otherwise the newest page).
export function addHistory(roomId, messages, hasMore, { older }) {
  if (!isOpen(roomId)) return;
  merge(messages);
  if (older || !state.room.loaded) state.room.hasMore = hasMore;
  state.room.loaded = true;
  emit("messages", { reason: older ? "older" : "initial" });
}

/// Adds the page after the newest loaded message (`hasMore`: still more beyond it).
export function addNewer(roomId, messages, hasMore) {
  if (!isOpen(roomId)) return;
  merge(messages);
  reachNewest(!hasMore);
  emit("messages", { reason: "newer" });
}

/// Replaces what is loaded with one window of messages: around `target`, or the newest page.
export function setWindow(roomId, messages, { hasMore, hasNewer, target = null }) {
  if (!isOpen(roomId)) return;
  state.room.messages = new Map();
  merge(messages);
  state.room.hasMore = hasMore;
  state.room.loaded = true;
  reachNewest(!hasNewer);
  emit("messages", { reason: target === null ? "initial" : "window", target });
}

function merge(messages) {
  for (const message of messages) {
    const known = state.room.messages.get(message.id);
    if (!known || version(message) >= version(known)) state.room.messages.set(message.id, keepPreviews(message, known));
    // My posts in history tell slow mode when my turn began (after a reload too).
    if (isMine(message)) notePosted(message.room_id, Math.min(serverNow(), Date.parse(message.created_at)));
  }
}

/// Ends a wait for a page; if it reached the newest message, live messages held meanwhile join it.
function reachNewest(reached) {
  const held = state.room.held;
  state.room.held = null;
  state.room.hasNewer = !reached;
  if (reached && held) merge([...held.values()]);
}

/// Starts holding live messages beyond the loaded ones until the next page arrives.
export function holdLive() {
  if (state.room) state.room.held = new Map();
}

// Edits and deletions only move forward: a replayed old event must not undo a newer state.
function version(message) {
  return message.deleted ? Infinity : Date.parse(message.edited_at ?? message.created_at) || 0;
}

/// `message` with the previews already known for the same version of it: the answer to a post or an
/// edit (and a page read meanwhile) says `previews: []` though `message.previews` may have come first.
function keepPreviews(message, known) {
  if (!known || message.deleted || message.previews?.length || !known.previews?.length) return message;
  return version(message) === version(known) ? { ...message, previews: known.previews } : message;
}

/// A message from the live stream or a send: added or updated in the open room. Not one outside
/// what is loaded: older than the oldest loaded one while more lie before it (its page brings it),
/// or newer than the newest while the newest are not loaded (held if a page is on its way).
/// True when it is new to what is shown; "beyond" when it is new but past the loaded window (not
/// shown, and so not seen: still counted unread).
export function upsertMessage(message) {
  if (!isOpen(message.room_id)) return false;
  const room = state.rooms.get(message.room_id);
  if (room && message.id > (room.latest_id ?? 0)) room.latest_id = message.id;
  const known = state.room.messages.get(message.id);
  if (known && version(message) < version(known)) return false;
  // An edit's event says nothing of whose reactions are mine: what was known stays.
  if (known?.my_reactions && !message.my_reactions) message = { ...message, my_reactions: known.my_reactions };
  message = keepPreviews(message, known);
  if (!known && state.room.messages.size > 0) {
    const ids = [...state.room.messages.keys()];
    if (state.room.hasMore && message.id < Math.min(...ids)) return false;
    if (state.room.hasNewer && message.id > Math.max(...ids)) {
      const held = state.room.held?.get(message.id);
      if (state.room.held && (!held || version(message) >= version(held))) state.room.held.set(message.id, message);
      emit("messages", { reason: "beyond" });
      return held ? false : "beyond";
    }
  }
  state.room.messages.set(message.id, message);
  if (state.room.replyTargets.has(message.id)) state.room.replyTargets.set(message.id, message);
  emit("messages", { reason: known ? "update" : "live", message });
  return !known;
}

/// Reaction events seen per message of the open room: an answer to my own reaction that was
/// asked before a later event must not undo it.
const reactionEvents = new Map();
export const reactionEventCount = (messageId) => reactionEvents.get(messageId) ?? 0;

/// The emoji I reacted to a message with: those whose listed reactors include me, and those the
/// server or my own changes said are mine (a popular emoji lists only its first 100 reactors).
export function myReactions(message) {
  const listed = (message.reactions ?? []).filter((r) => r.user_ids.includes(state.me.id)).map((r) => r.emoji);
  return [...new Set([...(message.my_reactions ?? []), ...listed])];
}

/// A message's reactions as the server last said (an event, or the answer to my own reaction).
/// `mine`: the answer's list of my emoji; `change`: an event's `{userId, emoji, added}`.
export function setReactions(roomId, messageId, reactions, { fromEvent = false, mine = null, change = null } = {}) {
  if (fromEvent) reactionEvents.set(messageId, reactionEventCount(messageId) + 1);
  if (!isOpen(roomId)) return;
  // The message as the room shows it, or as the open thread does (a reply not loaded in the room).
  const thread = state.thread?.roomId === roomId ? state.thread : null;
  const inThread = thread && (thread.rootId === messageId ? thread.root : thread.replies.get(messageId));
  const known = state.room.messages.get(messageId) ?? inThread;
  if (!known || known.deleted) return;
  let my = mine ?? myReactions(known);
  if (change && change.userId === state.me.id) my = change.added ? [...new Set([...my, change.emoji])] : my.filter((emoji) => emoji !== change.emoji);
  const my_reactions = my.filter((emoji) => reactions.some((r) => r.emoji === emoji));
  if (state.room.messages.has(messageId)) {
    state.room.messages.set(messageId, { ...known, reactions, my_reactions });
    emit("messages", { reason: "update" });
  }
  if (inThread) {
    if (thread.rootId === messageId) thread.root = { ...thread.root, reactions, my_reactions };
    else thread.replies.set(messageId, { ...inThread, reactions, my_reactions });
    emit("thread", {});
  }
}

/// The options I chose in a message's poll: what a read or my votes said, else those whose listed
/// voters include me.
export function myVotes(message) {
  if (message.my_votes) return message.my_votes;
  return (message.poll?.options ?? []).flatMap((option, index) => (option.voter_ids.includes(state.me.id) ? [index] : []));
}

/// How many live events about each poll were heard (message id -> count): a vote's answer, older
/// than an event heard while it was on its way, does not put its counts over the event's.
const pollEvents = new Map();
export const notePollEvent = (messageId) => pollEvents.set(messageId, (pollEvents.get(messageId) ?? 0) + 1);
export const pollEventsHeard = (messageId) => pollEvents.get(messageId) ?? 0;

/// A poll's counts as the server last said; `mine`: my choices, when known (my vote's answer, or
/// an event of my own vote). In the room and in the open thread.
export function setPoll(roomId, messageId, poll, mine = null) {
  if (!isOpen(roomId)) return;
  const update = (known) => {
    if (!known || known.deleted || !(poll ?? known.poll)) return known;
    const counts = poll ?? known.poll;
    const my_votes = mine ?? (counts.options.some((o) => o.votes > o.voter_ids.length) ? myVotes(known) : undefined);
    return { ...known, poll: counts, my_votes };
  };
  if (state.room.messages.has(messageId)) {
    state.room.messages.set(messageId, update(state.room.messages.get(messageId)));
    emit("messages", { reason: "update" });
  }
  const thread = state.thread?.roomId === roomId ? state.thread : null;
  if (thread?.rootId === messageId) thread.root = update(thread.root);
  else if (thread?.replies.has(messageId)) thread.replies.set(messageId, update(thread.replies.get(messageId)));
  if (thread && (thread.rootId === messageId || thread.replies.has(messageId))) emit("thread", {});
}

/// A message's link previews, fetched by the server after it was posted or edited: in the room
/// (loaded, or held until its page comes) and in the open thread.
export function setPreviews(roomId, messageId, previews) {
  if (!isOpen(roomId)) return;
  const update = (known) => (!known || known.deleted ? known : { ...known, previews });
  if (state.room.messages.has(messageId)) {
    state.room.messages.set(messageId, update(state.room.messages.get(messageId)));
    emit("messages", { reason: "update" });
  }
  if (state.room.held?.has(messageId)) state.room.held.set(messageId, update(state.room.held.get(messageId)));
  const thread = state.thread?.roomId === roomId ? state.thread : null;
  if (!thread) return;
  if (thread.held.has(messageId)) thread.held.set(messageId, update(thread.held.get(messageId)));
  if (thread.rootId === messageId) thread.root = update(thread.root);
  else if (thread.replies.has(messageId)) thread.replies.set(messageId, update(thread.replies.get(messageId)));
  else return;
  emit("thread", {});
}

/// Opens the thread of `root` (a message of the open room) with nothing loaded.
export function openThreadState(root) {
  state.thread = {
    roomId: root.room_id,
    rootId: root.id,
    root,
    /// Replies loaded so far (id -> message), oldest first by id.
    replies: new Map(),
    hasMore: false,
    loaded: false,
    loading: false,
    /// Live replies that arrive while a page is on its way: added with it if it reaches the end.
    held: new Map(),
    /// Whether I follow it (its new replies notify me): null until the first page says.
    following: null,
  };
  emit("thread", { changed: "opened" });
}

export function closeThreadState() {
  if (!state.thread) return;
  state.thread = null;
  emit("thread", { changed: "closed" });
}

export function setThreadLoading(thread, loading) {
  if (state.thread !== thread) return;
  thread.loading = loading;
  emit("thread", {});
}

/// A page of replies for the thread that asked for it (dropped if another one opened since).
export function addThreadPage(thread, { message, replies, has_more, following }) {
  if (state.thread !== thread) return;
  // The first page says whether I follow it; later ones do not undo a change heard meanwhile.
  if (thread.following === null && typeof following === "boolean") thread.following = following;
  if (version(message) >= version(thread.root)) thread.root = keepPreviews(message, thread.root);
  const merge = (reply) => {
    const known = thread.replies.get(reply.id);
    if (!known || version(reply) >= version(known)) thread.replies.set(reply.id, keepPreviews(reply, known));
  };
  replies.forEach(merge);
  if (!has_more) thread.held.forEach(merge);
  thread.held = new Map();
  thread.hasMore = has_more;
  thread.loaded = true;
  thread.loading = false;
  thread.replies = new Map([...thread.replies].filter(([, reply]) => !reply.deleted).sort(([a], [b]) => a - b));
  emit("thread", {});
}

/// The open thread was opened from the Threads list with replies I had not read after `after`: a
/// "New" line shows above the first of them while it stays open.
export function markThreadNew(rootId, after) {
  if (state.thread?.rootId !== rootId) return;
  state.thread.newAfter = after;
  emit("thread", {});
}

/// Whether I follow a thread, as set here or on another device: the open thread's button follows.
export function setThreadFollowing(rootId, following) {
  if (state.thread?.rootId !== rootId || state.thread.following === following) return;
  state.thread.following = following;
  emit("thread", {});
}

/// A message from the live stream as it touches the open thread: its root, or one of its replies.
/// True for a new reply past the replies loaded: the pages up to it are to be loaded (actions.js).
export function threadMessage(message) {
  const thread = state.thread;
  if (!thread || thread.roomId !== message.room_id) return;
  if (message.id === thread.rootId) {
    if (version(message) >= version(thread.root)) thread.root = keepPreviews(message, thread.root);
    emit("thread", {});
    return;
  }
  if (message.reply_to !== thread.rootId) return;
  // Replying follows the thread (a webhook's post is not me replying).
  if (message.sender.id === state.me.id && !message.webhook && !message.deleted) thread.following = true;
  if (message.deleted) {
    thread.held.delete(message.id);
    if (thread.replies.delete(message.id)) emit("thread", {});
    return;
  }
  const known = thread.replies.get(message.id);
  if (known && version(message) < version(known)) return;
  if (!known) {
    // Beyond what is loaded: the page on its way (or the pages up to it, which live.js has
    // loaded) brings it.
    if (thread.loading || !thread.loaded) thread.held.set(message.id, message);
    if (!thread.loaded || thread.hasMore) return true;
  }
  thread.replies.set(message.id, keepPreviews(message, known));
  if (!known) thread.replies = new Map([...thread.replies].sort(([a], [b]) => a - b));
  emit("thread", { added: known ? null : message });
}

/// How many replies a message has now (from a reply's event): wherever the message shows.
export function setReplyCount(roomId, rootId, count) {
  const thread = state.thread;
  if (thread?.roomId === roomId && thread.rootId === rootId) {
    thread.root = { ...thread.root, reply_count: count };
    emit("thread", {});
  }
  if (!isOpen(roomId)) return;
  const known = state.room.messages.get(rootId);
  if (known) state.room.messages.set(rootId, { ...known, reply_count: count });
  const target = state.room.replyTargets.get(rootId);
  if (target) state.room.replyTargets.set(rootId, { ...target, reply_count: count });
  if (known) emit("messages", { reason: "update" });
}

/// The site's retention deleted a room's messages up to `upTo` for good: they leave the open room
/// (nothing older is left to load), replies to them say the original is not available, and a
/// thread whose first message went closes.
export function expireMessages(roomId, upTo) {
  if (state.thread?.roomId === roomId && state.thread.rootId <= upTo) closeThreadState();
  if (!isOpen(roomId)) return;
  const gone = [...state.room.messages.keys()].filter((id) => id <= upTo);
  for (const id of gone) {
    state.room.messages.delete(id);
    state.room.replyTargets.set(id, null);
  }
  if (gone.length > 0) state.room.hasMore = false;
  for (const id of state.room.replyTargets.keys()) if (id <= upTo) state.room.replyTargets.set(id, null);
  emit("messages", { reason: "update" });
}

export function setReplyTarget(roomId, id, message) {
  if (!isOpen(roomId)) return;
  state.room.replyTargets.set(id, message);
  emit("messages", { reason: "update" });
}

export function replyTarget(id) {
  return state.room?.messages.get(id) ?? state.room?.replyTargets.get(id);
}

export function setMembers(roomId, members) {
  if (!isOpen(roomId)) return;
  state.room.members = new Map(members.map((member) => [member.user.id, member]));
  emit("members");
}

export function setPresence(userId, status) {
  const member = state.room?.members.get(userId);
  if (!member) return;
  member.presence = status;
  member.online = status !== "offline";
  emit("members");
}

/// Someone's display name as an event or a message now carries it: the member list, the open
/// room's messages and DMs with them follow.
/// Whether I am muted in a room (and until when), or no longer.
export function setMuted(roomId, muted, until = null) {
  if (muted) state.mutedIn.set(roomId, until);
  else if (!state.mutedIn.delete(roomId)) return;
  emit("muted", { roomId });
}

export function renameUser(user) {
  const { id } = user;
  // What changed: the name and/or the picture (an event stored before pictures existed has none).
  const changes = {};
  if (user.display_name) changes.display_name = user.display_name;
  if (user.avatar_url !== undefined) changes.avatar_url = user.avatar_url;
  const differs = (old) => Object.entries(changes).some(([key, value]) => old[key] !== value);
  if (!Object.keys(changes).length) return;
  if (state.me?.id === id && differs(state.me)) setMe({ ...state.me, ...changes });
  let roomsChanged = false;
  for (const room of state.rooms.values()) {
    if (room.dm_with?.id === id && differs(room.dm_with)) {
      room.dm_with = { ...room.dm_with, ...changes };
      roomsChanged = true;
    }
    // A group DM is named after its people.
    const index = room.dm_members?.findIndex((user) => user.id === id) ?? -1;
    if (index >= 0 && differs(room.dm_members[index])) {
      room.dm_members = room.dm_members.map((user, i) => (i === index ? { ...user, ...changes } : user));
      roomsChanged = true;
    }
  }
  if (roomsChanged) emit("rooms");
  if (!state.room) return;
  const member = state.room.members.get(id);
  if (member && differs(member.user)) {
    member.user = { ...member.user, ...changes };
    emit("members");
  }
  let renamed = false;
  for (const [messageId, message] of state.room.messages) {
    if (message.sender.id === id && differs(message.sender)) {
      state.room.messages.set(messageId, { ...message, sender: { ...message.sender, ...changes } });
      renamed = true;
    }
  }
  if (renamed) emit("messages", { reason: "update" });
  // The pinned bar and the thread panel keep copies of messages of their own.
  const renameIn = (message) => (message.sender.id === id && differs(message.sender) ? { ...message, sender: { ...message.sender, ...changes } } : message);
  if (state.room.pins.some((pin) => pin.message.sender.id === id)) {
    state.room.pins = state.room.pins.map((pin) => ({ ...pin, message: renameIn(pin.message) }));
    emit("pins");
  }
  const thread = state.thread;
  if (thread && (thread.root.sender.id === id || [...thread.replies.values()].some((reply) => reply.sender.id === id))) {
    thread.root = renameIn(thread.root);
    for (const [replyId, reply] of thread.replies) thread.replies.set(replyId, renameIn(reply));
    emit("thread", {});
  }
}

/// A status that has not run out, or null.
export const activeStatus = (status) => (status && !(status.expires_at && Date.parse(status.expires_at) <= serverNow()) ? status : null);

/// Someone's status (null: cleared): mine, and in the open room's member list.
export function setStatus(userId, status) {
  if (state.me?.id === userId) setMe({ ...state.me, status });
  const member = state.room?.members.get(userId);
  if (member) {
    member.status = status;
    emit("members");
  }
  emit("status", { userId, status });
}

/// Someone's time zone (null: not shown) changed: the open room's member list, and with it a DM's
/// header, shows their local time from it.
export function setTimeZone(userId, timeZone) {
  const member = state.room?.members.get(userId);
  if (member && member.time_zone !== timeZone) {
    member.time_zone = timeZone;
    emit("members");
  }
}

/// My notification level for one of my rooms ("all", "mentions" or "none").
export function setNotifyLevel(roomId, level) {
  const room = state.rooms.get(roomId);
  if (!room) return;
  room.notify_level = level;
  emit("rooms");
  if (state.room?.id === roomId) emit("room", { changed: "details" });
}

export function setReceipts(roomId, receipts) {
  if (!isOpen(roomId)) return;
  state.room.receipts = new Map(receipts.map((r) => [r.user.id, { delivered: r.delivered_up_to, read: r.read_up_to, name: r.user.display_name }]));
  emit("receipts");
}

export function setReceipt(roomId, user, delivered, read) {
  if (!isOpen(roomId)) return;
  state.room.receipts.set(user.id, { delivered, read, name: user.display_name });
  emit("receipts");
}

export function setPins(roomId, pins) {
  if (!isOpen(roomId)) return;
  state.room.pins = pins;
  emit("pins");
}

/// Who is typing in the open room: one entry per person, in the room itself (`thread` null) or in
/// one of its threads (the root's id).
export function setTyping(roomId, user, typing, expiresInMs = 6000, thread = null) {
  if (!isOpen(roomId) || user.id === state.me.id) return;
  const entry = state.room.typing.get(user.id);
  if (entry) clearTimeout(entry.timer);
  if (typing) {
    const timer = setTimeout(() => setTyping(roomId, user, false), expiresInMs + 500);
    state.room.typing.set(user.id, { name: user.display_name, timer, thread });
  } else if (!state.room.typing.delete(user.id)) {
    return;
  }
  emit("typing");
}

/// The slow mode I am held to in a room, in seconds: 0 when it is off or I am a moderator or above.
export function mySlowMode(roomId) {
  const seconds = state.rooms.get(roomId)?.slow_mode_seconds ?? 0;
  return seconds > 0 && (RANK[myRole(roomId)] ?? -1) < RANK.moderator ? seconds : 0;
}

/// When I last posted in each room by the server's clock, for slow mode's countdown: my own messages
/// as they come, and the turn a refusal (`slow_mode`, with its Retry-After) tells of.
const lastPosted = new Map();

/// Notes that my turn in a room's slow mode began at `at` (ms, server's clock); "slowMode" tells.
export function notePosted(roomId, at) {
  if (at <= (lastPosted.get(roomId) ?? 0)) return;
  lastPosted.set(roomId, at);
  emit("slowMode", { roomId });
}

/// The seconds left before slow mode lets me post in a room again (0: now).
export function slowModeLeft(roomId) {
  const seconds = mySlowMode(roomId);
  if (seconds === 0) return 0;
  return Math.max(0, Math.ceil(((lastPosted.get(roomId) ?? 0) + seconds * 1000 - serverNow()) / 1000));
}

/// My role in a room (null when not a member).
export function myRole(roomId) {
  return state.room?.id === roomId ? state.room.members.get(state.me.id)?.role ?? state.rooms.get(roomId)?.my_role ?? null : state.rooms.get(roomId)?.my_role ?? null;
}

/// When one of my rooms was archived (ISO 8601), or null: an archived room is read-only for everyone.
export const archivedAt = (roomId) => state.rooms.get(roomId)?.archived_at ?? null;
export const isArchived = (roomId) => archivedAt(roomId) !== null;

/// Whether anything new may be written in one of my rooms (reactions, votes, pins): not once it is archived.
export const mayWrite = (roomId) => state.rooms.has(roomId) && !isArchived(roomId);

/// Whether I may post in the room: every member may, unless only moderators and up post there, and
/// nobody may once it is archived.
export function mayPost(roomId) {
  const room = state.rooms.get(roomId);
  return mayWrite(roomId) && (room.post_policy !== "moderators" || (RANK[myRole(roomId)] ?? -1) >= RANK.moderator);
}

/// Whether a moderator muted me in a room (until it ends or is lifted): the server refuses my posts,
/// edits, reactions and votes there (`muted`).
export const isMuted = (roomId) => state.mutedIn.has(roomId);

/// Whether a room is a DM with someone I blocked: the server refuses both sides' posts, reactions
/// and votes there (`blocked`).
export function blockedDM(roomId) {
  const room = state.rooms.get(roomId);
  return room?.kind === "dm" && Boolean(room.dm_with) && state.blocked.has(room.dm_with.id);
}

/// Whether I may react and vote in a room now: I may write in it, nobody muted me there, and it is
/// not a DM with someone I blocked.
export const mayReact = (roomId) => mayWrite(roomId) && !isMuted(roomId) && !blockedDM(roomId);

/// Whether I may post (reply, edit) in a room now: as `mayPost`, and neither muted nor blocking there.
export const maySpeak = (roomId) => mayPost(roomId) && !isMuted(roomId) && !blockedDM(roomId);

/// Whether I may edit message `m`: I sent it (a webhook's message is its maker's to delete, not to
/// edit), it is not deleted, and I may post in its room now.
export const mayEdit = (m) => !m.deleted && !m.webhook && m.sender.id === state.me?.id && maySpeak(m.room_id) && withinEditTime(m);

/// Whether the site's time for editing (`message_edit_minutes`: null any time, 0 never) still
/// covers a message, by the server's clock (which decides).
export function withinEditTime(m, now = serverNow()) {
  const minutes = state.site?.message_edit_minutes;
  if (minutes == null) return true;
  return minutes > 0 && now - Date.parse(m.created_at) <= minutes * 60_000;
}

/// What the site allows for editing, as a sentence (the server's refusal says the same).
export function editTimeNote() {
  const minutes = state.site?.message_edit_minutes;
  if (minutes == null) return "";
  return minutes === 0 ? "Messages are not edited on this site." : `Messages are edited for ${minutes} ${minutes === 1 ? "minute" : "minutes"} after they are sent on this site.`;
}

/// Whether I may archive (or unarchive) a room: its owners and admins, for a room or group but `main`.
export function mayArchive(roomId) {
  const room = state.rooms.get(roomId);
  return Boolean(room) && room.kind !== "dm" && !isMainRoom(room) && (RANK[myRole(roomId)] ?? -1) >= RANK.admin;
}

/// The room everyone is in (the server's first), which is never archived nor deleted.
const MAIN_ROOM_ID = 1;
export const isMainRoom = (room) => room?.id === MAIN_ROOM_ID || (room?.kind === "public" && room?.name === "main");

export function canModerate(roomId) {
  return state.rooms.get(roomId)?.kind !== "dm" && (RANK[myRole(roomId)] ?? -1) >= RANK.moderator;
}
