// What a person does, as API calls followed by state changes: open and page through rooms, join,
// create, leave, open DMs, send, edit, delete, mark read, moderate, and change my own settings.
import { Admin, Blocks, CustomEmoji, Files, Me, Messages, Moderation, Reminders, Rooms, Saved, Scheduled, Signals, Site, UserGroups } from "/api.js";
import { serverNow } from "/clock.js";
import { Outbox } from "/outbox.js";
import * as store from "/state.js";

const { state } = store;
const PAGE = 50;
let outbox = null;

export function startOutbox(userId) {
  outbox = new Outbox(userId, {
    onSent: (message) => {
      store.upsertMessage(message);
      // Writing in a room I marked unread is reading it.
      if (state.room?.id === message.room_id) readAgain();
    },
    // Slow mode refused it (this tab did not know of my last post there): its countdown starts.
    onRefused: (entry, error) => {
      const seconds = store.mySlowMode(entry.room_id);
      if (error.code === "slow_mode" && error.retryAfter && seconds) store.notePosted(entry.room_id, serverNow() + (error.retryAfter - seconds) * 1000);
    },
  });
  outbox.flush();
  return outbox;
}

/// Logging out: what this browser keeps of me goes (my unsent messages, the room I had open, and
/// the status an older version kept here), so the next person on it finds none of it.
export function forgetLocalData(userId) {
  outbox?.forget();
  localStorage.removeItem(`parley.outbox.${userId}`);
  localStorage.removeItem(`parley.room.${userId}`);
  localStorage.removeItem(`parley.presence.${userId}`);
}

export const pendingFor = (roomId) => outbox?.forRoom(roomId) ?? [];
/// How many of my messages wait to be sent from this browser.
export const unsentCount = () => outbox?.entries.length ?? 0;
export const flushOutbox = () => outbox?.flush();
export const retryPending = (clientId) => outbox?.retry(clientId);
export const discardPending = (clientId) => outbox?.discard(clientId);
/// A message of mine arrived through the stream: if it was queued here (or in another tab), it is sent.
export const settlePending = (message) => message.client_id && message.sender.id === state.me?.id && outbox?.settle(message.client_id);

/// Loads my rooms. Only the newest load's answer is kept (an older one may have been read before
/// a change a newer one counts); a caller of an older one waits for the newest.
let roomsLoad = null;
export async function loadRooms() {
  const load = Rooms.list();
  roomsLoad = load;
  const rooms = await load;
  if (roomsLoad === load) store.setRooms(rooms);
  else await roomsLoad.catch(() => {});
}

/// Opens one of my rooms: the newest page of messages, then members, receipts and pins.
export async function openRoom(id) {
  if (!state.rooms.has(id)) return false;
  store.openRoomState(id);
  localStorage.setItem(`parley.room.${state.me.id}`, String(id));
  if (!document.hidden) Signals.focus(id).catch(() => {});
  loadMyMute(id).catch(() => {});
  const page = await Messages.page(id, { limit: PAGE });
  const room = state.room;
  const oldest = Math.min(...page.messages.map((m) => m.id));
  if (store.isOpen(id) && room.unreadAfter !== null && page.has_more && oldest > room.unreadAfter + 1) {
    // The first unread message is older than the newest page: the room opens at it instead (the
    // reader goes down from there), with the newest page too when the unread ones reach it.
    const unread = await Messages.page(id, { after: room.unreadAfter, limit: PAGE });
    if (state.room !== room) return true;
    const reached = !unread.has_more || unread.messages.some((m) => m.id >= oldest);
    const messages = reached ? [...unread.messages, ...page.messages, ...room.messages.values()] : unread.messages;
    store.setWindow(id, messages, { hasMore: room.unreadAfter > 0, hasNewer: !reached });
  } else {
    store.addHistory(id, page.messages, page.has_more, { older: false });
  }
  markRead();
  loadPeople(id);
  loadPins(id);
  return true;
}

/// Whether a moderator muted me in a room, and until when, as the room's details say (`my_mute`): a
/// mute made before this client loaded closes the box as the room opens. A mute event heard
/// meanwhile carries a newer word, which the answer does not undo.
export async function loadMyMute(id) {
  await store.applyUnlessHeard(`mute:${id}`, () => Rooms.get(id), ({ my_mute: mute }) => {
    if (mute !== undefined) store.setMuted(id, mute !== null, mute?.until ?? null);
  });
}

export async function loadPeople(id = state.room?.id) {
  if (!id) return;
  const [members, receipts] = await Promise.all([
    Rooms.members(id).catch(() => ({ members: [] })),
    Signals.receipts(id).catch(() => ({ receipts: [] })),
  ]);
  store.setMembers(id, members.members);
  store.setReceipts(id, receipts.receipts);
}

export async function loadPins(id = state.room?.id) {
  if (!id) return;
  const { pins } = await Moderation.pins(id).catch(() => ({ pins: [] }));
  store.setPins(id, pins);
}

/// Loads the page before the oldest loaded message; one request at a time.
export async function loadOlder() {
  const room = state.room;
  if (!room || !room.loaded || !room.hasMore || room.loadingOlder || room.closed) return;
  const oldest = Math.min(...room.messages.keys());
  const generation = room.window;
  room.loadingOlder = true;
  store.emit("messages", { reason: "loading" });
  try {
    const page = await Messages.page(room.id, { before: oldest, limit: PAGE });
    room.loadingOlder = false;
    // A jump meanwhile replaced what is loaded: this page would leave a gap.
    if (room.window !== generation) return;
    store.addHistory(room.id, page.messages, page.has_more, { older: true });
  } catch (error) {
    room.loadingOlder = false;
    store.emit("messages", { reason: "loading" });
    throw error;
  }
}

/// Loads the page after the newest loaded message, when the newest are not loaded (after a jump).
export async function loadNewer() {
  const room = state.room;
  if (!room || !room.loaded || !room.hasNewer || room.loadingNewer || room.closed) return;
  const newest = Math.max(...room.messages.keys());
  const generation = room.window;
  room.loadingNewer = true;
  store.holdLive();
  store.emit("messages", { reason: "loading" });
  try {
    const page = await Messages.page(room.id, { after: newest, limit: PAGE });
    room.loadingNewer = false;
    if (room.window !== generation) return;
    store.addNewer(room.id, page.messages, page.has_more);
    if (!room.hasNewer) markRead();
  } catch (error) {
    room.loadingNewer = false;
    if (room.window === generation) room.held = null;
    store.emit("messages", { reason: "loading" });
    throw error;
  }
}

/// Starts replacing what is loaded: pages already on their way are dropped when they arrive, and
/// so is an earlier replacement. Returns the new window's number.
function newWindow(room) {
  room.window += 1;
  store.holdLive();
  return room.window;
}

/// Loads the window with message `id` of the open room in place of what is loaded (unless it is loaded).
export async function showMessage(id) {
  const room = state.room;
  if (!room || room.closed || room.messages.has(id)) return;
  const generation = newWindow(room);
  const page = await Messages.page(room.id, { around: id, limit: PAGE });
  if (room.window !== generation) return;
  store.setWindow(room.id, page.messages, { hasMore: page.has_more, hasNewer: page.has_newer, target: id });
}

/// Loads the window of the open room at a time (around the first message sent then or after, or
/// the newest if none was) in place of what is loaded; the answer is that message's id, or null.
export async function showTime(time) {
  const room = state.room;
  if (!room || room.closed) return null;
  const generation = newWindow(room);
  const page = await Messages.page(room.id, { at: time.toISOString(), limit: PAGE });
  if (room.window !== generation) return null;
  store.setWindow(room.id, page.messages, { hasMore: page.has_more, hasNewer: page.has_newer, target: page.around_id });
  if (!page.has_newer) markRead();
  return page.around_id;
}

/// Goes back to the newest messages of the open room after a jump to older ones.
export async function showLatest() {
  const room = state.room;
  if (!room || room.closed) return;
  const generation = newWindow(room);
  const page = await Messages.page(room.id, { limit: PAGE });
  if (room.window !== generation) return;
  store.setWindow(room.id, page.messages, { hasMore: page.has_more, hasNewer: false });
  markRead();
}

/// Finds a reply's target that is older than what is loaded (the page that ends just after it).
const replyRequests = new Set();
export async function loadReplyTarget(roomId, id) {
  const key = `${roomId}:${id}`;
  if (store.replyTarget(id) !== undefined || replyRequests.has(key)) return;
  replyRequests.add(key);
  try {
    const { messages } = await Messages.page(roomId, { before: id + 1, limit: 1 });
    store.setReplyTarget(roomId, id, messages[0]?.id === id ? messages[0] : null);
  } catch {
    store.setReplyTarget(roomId, id, null);
  } finally {
    replyRequests.delete(key);
  }
}

/// Opens the thread of a message of the open room beside it and loads its first replies.
export async function openThread(message) {
  if (state.thread?.rootId === message.id) return;
  store.openThreadState(message);
  await loadThreadPage();
}

export const closeThread = () => store.closeThreadState();

/// The threads I follow: the first page again (or, with `more`, the next one).
export async function loadThreads({ more = false } = {}) {
  const before = more ? store.threads.entries.at(-1)?.last_reply.id : undefined;
  store.setThreads(await Messages.threads({ before }), { more });
}

let threadsTimer = null;
/// Loads the first page of threads again soon: several events in a row cost one request. While the
/// list is not shown, only its count is asked for (a page of one).
export function refreshThreads() {
  clearTimeout(threadsTimer);
  threadsTimer = setTimeout(() => {
    const load = store.threads.shown ? loadThreads() : Messages.threads({ limit: 1 }).then(({ unread_threads }) => store.setUnreadThreads(unread_threads));
    load.catch(() => {});
  }, 250);
}

/// Marks every followed thread read (the count clears at once; the list and my other clients follow
/// the `thread.read` events).
export async function readAllThreads() {
  const { unread_threads } = await Messages.readAllThreads();
  store.setUnreadThreads(unread_threads);
  refreshThreads();
}

let threadReadTimer = null;
const threadsRead = new Map();
/// Marks the open thread read up to its newest reply, while the tab is visible (once per reply).
export function readOpenThread() {
  clearTimeout(threadReadTimer);
  threadReadTimer = setTimeout(() => {
    const thread = state.thread;
    if (!thread?.loaded || document.hidden || thread.replies.size === 0) return;
    const newest = Math.max(...thread.replies.keys());
    if ((threadsRead.get(thread.rootId) ?? 0) >= newest) return;
    threadsRead.set(thread.rootId, newest);
    Messages.readThread(thread.rootId)
      .then(({ unread_threads }) => store.setUnreadThreads(unread_threads))
      .catch(() => threadsRead.delete(thread.rootId));
  }, 150);
}

/// Follows the open thread or stops (shown at once; undone if the server refuses).
export async function toggleThreadFollowing() {
  const thread = state.thread;
  if (!thread || thread.following === null) return;
  const following = !thread.following;
  store.setThreadFollowing(thread.rootId, following);
  try {
    if (following) await Messages.follow(thread.rootId);
    else await Messages.unfollow(thread.rootId);
  } catch (error) {
    store.setThreadFollowing(thread.rootId, !following);
    throw error;
  }
}

/// Saves a message or takes it back (shown at once; undone if the server refuses).
export async function toggleSaved(message) {
  const saved = !store.isSaved(message);
  store.setSaved(message.id, saved);
  try {
    if (saved) await Saved.save(message.id);
    else await Saved.unsave(message.id);
  } catch (error) {
    store.setSaved(message.id, !saved);
    throw error;
  }
}

export const loadSaved = (before) => Saved.list({ before });

/// Polls: asked (the message arrives as `message.created`), voted on and closed; the answers update
/// the message at once (my other clients and the room follow `poll.voted` and `poll.closed`).
export async function createPoll(roomId, question, options, multiple) {
  const { message } = await Messages.createPoll(roomId, { question, options, multiple });
  store.upsertMessage(message);
  return message;
}

/// Votes on their way, per poll (message id -> the choices last asked for): a click builds on
/// these, not on the last answer, so quick clicks are not lost; one request at a time per poll,
/// and the last choices asked for are the last sent.
const votesWanted = new Map();

/// The choices I last asked for on a poll while they are on their way, else null.
export const wantedVotes = (messageId) => votesWanted.get(messageId) ?? null;

const sameChoices = (a, b) => a.length === b.length && a.every((choice, i) => choice === b[i]);

export async function vote(message, choices) {
  const sending = votesWanted.has(message.id);
  const before = myVotesOf(message);
  votesWanted.set(message.id, choices);
  // Shown at once; the counts follow from the answer or the room's event.
  store.setPoll(message.room_id, message.id, null, choices);
  if (sending) return;
  try {
    let sent = null;
    while (sent === null || !sameChoices(sent, votesWanted.get(message.id))) {
      sent = votesWanted.get(message.id);
      const heard = store.pollEventsHeard(message.id);
      const answer = await Messages.vote(message.id, sent);
      const latest = votesWanted.get(message.id);
      // The answer's counts only if no event about the poll came meanwhile: such an event is as new or newer.
      store.setPoll(message.room_id, message.id, store.pollEventsHeard(message.id) === heard ? answer.poll : null, sameChoices(latest, sent) ? answer.my_votes : latest);
    }
  } catch (error) {
    store.setPoll(message.room_id, message.id, null, before);
    throw error;
  } finally {
    votesWanted.delete(message.id);
  }
}

/// My choices on a poll as the client knows them (indexes, ascending).
const myVotesOf = (message) => store.myVotes(state.room?.messages.get(message.id) ?? message);

export async function closePoll(message) {
  const answer = await Messages.closePoll(message.id);
  store.setPoll(message.room_id, message.id, answer.poll, answer.my_votes);
}

/// Takes a message's link previews away; the room hears `message.previews` with none.
export async function removePreviews(message) {
  await Messages.removePreviews(message.id);
  store.setPreviews(message.room_id, message.id, []);
}

/// Forwards a message into one of my rooms (it arrives there as `message.created`).
export const forward = (messageId, roomId, comment) => Messages.forward(messageId, roomId, comment);

/// Scheduled messages ("send later"): kept in the state for every room, in step with my other
/// tabs through `scheduled.saved` and `scheduled.removed`.
export async function loadScheduled() {
  store.setScheduledAll((await Scheduled.list()).scheduled);
}

export async function schedule(roomId, text, replyTo, seconds) {
  const { scheduled } = await Scheduled.create(roomId, { text, in_seconds: seconds, reply_to: replyTo ?? null });
  store.putScheduled(scheduled);
  return scheduled;
}

export async function updateScheduled(id, changes) {
  const { scheduled } = await Scheduled.update(id, changes);
  store.putScheduled(scheduled);
  return scheduled;
}

export async function cancelScheduled(id) {
  await Scheduled.cancel(id);
  store.dropScheduled(id);
}

export async function sendScheduledNow(id) {
  const { message } = await Scheduled.sendNow(id);
  store.dropScheduled(id);
  return message;
}

/// Reminders: set about a message, listed, cancelled (the list shows in the activity dialog).
export const remind = async (message, seconds) => (await Reminders.set(message.id, seconds)).reminder;
export const loadReminders = async () => (await Reminders.list()).reminders;
export const cancelReminder = (id) => Reminders.cancel(id);

const ACTIVITY_DAYS = 14;

/// My notifications of the last two weeks, for the activity list, and how far I have seen them (on
/// any device: the mark is the account's).
export async function loadActivity() {
  const since = new Date(Date.now() - ACTIVITY_DAYS * 86_400_000).toISOString();
  const { notifications, notifications_seen_id: seen } = await Me.summary(since);
  store.setActivity(notifications, seen);
}

/// Marks every notification listed as seen, here and (through the server) on my other devices.
export function markActivitySeen() {
  const before = store.activity.seen;
  store.markActivitySeen();
  if (store.activity.seen > before) Me.notificationsSeen(store.activity.seen).catch(() => {});
}

/// The open thread was opened from the Threads list with replies I had not read after `after`: they
/// show under a "New" line, and its pages load up to the first of them.
export async function showThreadNew(rootId, after) {
  store.markThreadNew(rootId, after);
  if (state.thread?.rootId === rootId) await loadThreadThrough(after + 1);
}

/// The open thread's page on its way: asking again while it comes waits for it.
let threadPage = null;
/// Loads the next replies of the open thread (after the last one loaded).
export function loadThreadPage({ limit = PAGE } = {}) {
  const thread = state.thread;
  if (!thread) return Promise.resolve();
  if (thread.loading) return threadPage ?? Promise.resolve();
  store.setThreadLoading(thread, true);
  const after = thread.replies.size ? Math.max(...thread.replies.keys()) : undefined;
  threadPage = Messages.replies(thread.rootId, { after, limit }).then(
    (page) => store.addThreadPage(thread, page),
    (error) => {
      store.setThreadLoading(thread, false);
      throw error;
    },
  );
  return threadPage;
}

/// Loads the open thread's pages until reply `id` is loaded (or the last one, without it). The API
/// pages only forwards (`after`), so a reply past the loaded pages (mine, a live one, the first one
/// I had not read) shows by loading up to it rather than by a gap in the panel.
export async function loadThreadThrough(id = Infinity) {
  const thread = state.thread;
  const newest = () => (thread.replies.size ? Math.max(...thread.replies.keys()) : 0);
  while (thread && state.thread === thread && (!thread.loaded || (thread.hasMore && newest() < id))) {
    const before = thread.loaded ? newest() : -1;
    await loadThreadPage({ limit: thread.loaded ? 100 : PAGE });
    // A page that brought nothing new (a reply still being sent holds it back): try no further.
    if (thread.loaded && newest() === before && thread.hasMore) break;
  }
}

export function send(text, replyTo) {
  if (!state.room || state.room.closed) return;
  // What I send shows under the newest messages, so the room goes back to them.
  if (state.room.hasNewer) showLatest().catch(() => {});
  outbox.enqueue(state.room.id, text, replyTo);
}

export async function edit(id, text) {
  const { message } = await Messages.edit(id, text);
  store.upsertMessage(message);
}

export async function remove(id) {
  await Messages.remove(id);
  const known = state.room?.messages.get(id);
  if (known) store.upsertMessage({ ...known, deleted: true, text: null });
}

/// Shares a file in room `roomId` (with a caption), the room it was chosen in even if another is
/// open by now, and shows the message at once if that room is open. `options`: `{signal, onProgress}`.
export async function upload(roomId, file, { caption, replyTo }, options) {
  if (state.room?.id === roomId && state.room.hasNewer) showLatest().catch(() => {});
  const { message } = await Files.upload(roomId, file, { text: caption, replyTo }, options);
  store.upsertMessage(message);
}

/// Adds my reaction with `emoji` to a message, or takes it back if I have it.
export async function toggleReaction(message, emoji) {
  const current = state.room?.messages.get(message.id) ?? message;
  const mine = store.myReactions(current).includes(emoji);
  const eventsBefore = store.reactionEventCount(message.id);
  const answer = await (mine ? Messages.unreact(message.id, emoji) : Messages.react(message.id, emoji));
  if (store.reactionEventCount(message.id) === eventsBefore) {
    store.setReactions(message.room_id, message.id, answer.reactions, { mine: answer.my_reactions });
  }
}

/// Stars one of my rooms or takes the star back (shown at once; undone if the server refuses).
export async function toggleStar(roomId) {
  const starred = !state.rooms.get(roomId)?.starred;
  store.setStarred(roomId, starred);
  try {
    await (starred ? Rooms.star(roomId) : Rooms.unstar(roomId));
  } catch (error) {
    store.setStarred(roomId, !starred);
    throw error;
  }
}

/// Marks every room read (the badges clear at once from the answer, unless a message came since;
/// my other clients by events).
export async function markAllRead() {
  const { rooms } = await Signals.markAllRead();
  for (const marker of rooms) store.settleUnread(marker.room_id, marker);
}

let readTimer = null;
let lastMarked = new Map();
/// Tells the server I have read the open room up to the newest message I have had in view (when
/// the tab is visible), unless I marked a message of it unread since I opened it. Messages that came
/// while I read further up stay unread until I scroll down to them.
export function markRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    const room = state.room;
    if (!room || room.closed || room.keepUnread || document.hidden || room.messages.size === 0) return;
    const loaded = Math.max(...room.messages.keys());
    const newest = room.seenUpTo === null ? loaded : Math.min(loaded, room.seenUpTo);
    if ((lastMarked.get(room.id) ?? 0) >= newest) return;
    lastMarked.set(room.id, newest);
    Signals.markRead(room.id, newest)
      .then((marker) => store.settleUnread(room.id, marker))
      .catch(() => lastMarked.delete(room.id));
  }, 150);
}

/// Reads the open room again after "Mark unread" (jumping to the latest, sending a message).
export function readAgain() {
  if (state.room) state.room.keepUnread = false;
  markRead();
}

/// "Mark unread": message `m` and everything after it count as unread again, here and on my other
/// devices; the open room stays unread (and shows "New" above `m`) until I open it again.
export async function markUnread(m) {
  const marker = await Signals.markUnread(m.room_id, m.id);
  lastMarked.delete(m.room_id);
  store.setUnread(m.room_id, marker);
  store.keepUnread(m.room_id, marker.read_up_to);
}

/// When I last said I was typing (0: not since I stopped), and in which room and thread (null: the
/// room's own box).
let lastTyping = 0;
let typingRoom = null;
let typingThread = null;
/// Nobody types in an archived room, nor where I am muted (the server refuses it): nothing is signalled
/// there. `thread` is the root of the thread whose box this is; the server moves my indicator there
/// (or back to the room) at once, so a move is signalled without waiting.
export function typing(thread = null) {
  const now = Date.now();
  if (!state.room || state.room.closed || store.isArchived(state.room.id) || store.isMuted(state.room.id)) return;
  // Typing on in another room (its box left with text in it): that one stops first.
  if (typingRoom !== null && typingRoom !== state.room.id) stoppedTyping();
  if (now - lastTyping < 3000 && typingThread === thread) return;
  lastTyping = now;
  typingRoom = state.room.id;
  typingThread = thread;
  Signals.typing(typingRoom, true, thread).catch(() => {});
}
/// Says I stopped typing in the room where I last said I was (sent, emptied the box, or left the
/// room for another), so the others' indicator goes at once rather than when it runs out.
export function stoppedTyping() {
  const room = typingRoom;
  if (room === null || lastTyping === 0) return;
  lastTyping = 0;
  typingRoom = null;
  typingThread = null;
  // (Nor where I am no longer a member: kicked while typing, the server refuses it, a hunt's 403.)
  if (store.isArchived(room) || store.isMuted(room) || store.lostRoom(room)) return;
  Signals.typing(room, false).catch(() => {});
}

/// Joins a public room (with its password when it has one) and returns it.
export async function join(room, password) {
  const { room: joined } = password === undefined ? await Rooms.join(room.id) : await Rooms.joinWithPassword(room.id, password);
  await loadRooms();
  return joined;
}

export async function createRoom({ name, topic, kind, password, members, post_policy }) {
  const body = { name, kind };
  if (post_policy === "moderators") body.post_policy = post_policy;
  if (topic) body.topic = topic;
  if (password) body.password = password;
  if (members?.length) body.members = members;
  const { room } = await Rooms.create(body);
  await loadRooms();
  return room;
}

export async function updateRoom(id, changes) {
  const { room } = await store.applyUnlessHeard(`room:${id}`, () => Rooms.update(id, changes), (answer) => store.mergeRoom(answer.room));
  return room;
}

/// A room's own message retention (site admins): days, -1 for ever, or null for the site's.
export async function setRoomRetention(id, days) {
  const request = () => Admin.setRoomRetention(id, days);
  const { room } = await store.applyUnlessHeard(`room:${id}`, request, (answer) => store.mergeRoom(answer.room));
  return room;
}

/// Archives a room or group (read-only for everyone) or brings it back: shown here at once; its
/// members' clients follow `room.updated`, and the directory `directory.changed`.
export async function setArchived(id, archived) {
  const request = () => (archived ? Rooms.archive(id) : Rooms.unarchive(id));
  const { room } = await store.applyUnlessHeard(`room:${id}`, request, (answer) => store.mergeRoom(answer.room));
  return room;
}

export async function leave(id) {
  await Rooms.leave(id);
  store.removeRoom(id);
}

/// Opens the DM with a person, or with several people (an array of ids: a group DM), the same one
/// every time, back in my list if I had closed it.
export async function openDM(userIds) {
  const { room } = await Rooms.openDM(userIds);
  if (state.rooms.get(room.id)?.closed) await Rooms.reopen(room.id);
  await loadRooms();
  return room;
}

/// Closes a DM in my list (every tab of mine follows); a newer message brings it back.
export async function closeConversation(id) {
  await Rooms.close(id);
  store.setClosed(id, true);
}

export async function addMember(roomId, userId) {
  await Rooms.addMember(roomId, userId);
  await loadPeople(roomId);
}

export async function removeMember(roomId, userId) {
  await Rooms.removeMember(roomId, userId);
}

export const moderation = {
  kick: (roomId, userId, reason) => Moderation.kick(roomId, userId, reason || undefined),
  ban: (roomId, userId, reason, seconds) => Moderation.ban(roomId, userId, reason || undefined, seconds),
  mute: (roomId, userId, seconds, reason) => Moderation.mute(roomId, userId, seconds, reason || undefined),
  setRole: (roomId, userId, role) => Moderation.setRole(roomId, userId, role),
  transferOwnership: (roomId, userId) => Moderation.transferOwnership(roomId, userId),
  pin: (roomId, messageId) => Moderation.pin(roomId, messageId),
  unpin: (roomId, messageId) => Moderation.unpin(roomId, messageId),
  bans: async (roomId) => (await Moderation.bans(roomId)).bans,
  unban: (roomId, userId) => Moderation.unban(roomId, userId),
  mutes: async (roomId) => (await Moderation.mutes(roomId)).mutes,
  unmute: (roomId, userId) => Moderation.unmute(roomId, userId),
  log: async (roomId, before) => (await Moderation.log(roomId, { before })).entries,
};

/// The site's settings (who may sign up, who adds custom emoji) and limits (the largest upload).
export async function loadSiteSettings() {
  const { settings, limits } = await Site.settings();
  store.setSiteSettings(settings);
  if (limits) store.setSiteLimits(limits);
}

/// The site's user groups, offered when typing "@" and listed in the settings.
export async function loadUserGroups() {
  const { groups } = await UserGroups.list();
  store.setUserGroups(groups);
}

/// Makes a user group (I am its first member); the list also learns of it from `user_group.updated`.
export async function makeUserGroup(name, description) {
  const { group } = await UserGroups.make(name, description);
  store.putUserGroup(group);
  return group;
}

export async function deleteUserGroup(id) {
  await UserGroups.remove(id);
  store.dropUserGroup(id);
}

/// Adds someone to a group, or takes them out (myself: joining or leaving). The list learns of it
/// from `user_group.updated`.
export const addUserGroupMember = (id, userId) => UserGroups.addMember(id, userId);
export const removeUserGroupMember = (id, userId) => UserGroups.removeMember(id, userId);
/// A group with its members as people.
export const userGroup = (id) => UserGroups.get(id);

/// The site's custom emoji, drawn for `:name:` in messages and reactions.
export async function loadCustomEmoji() {
  const { emoji } = await CustomEmoji.list();
  store.setCustomEmojiAll(emoji);
  return emoji;
}

/// Adds a custom emoji; the list also learns of it from `emoji.added`.
export async function addCustomEmoji(name, picture) {
  const { emoji } = await CustomEmoji.add(name, picture);
  store.addedCustomEmoji(emoji);
  return emoji;
}

export async function deleteCustomEmoji(name) {
  await CustomEmoji.remove(name);
  store.removedCustomEmoji(name);
}

/// The people I blocked, with when (for settings); the state keeps their ids.
export async function loadBlocks() {
  const { blocks } = await Blocks.list();
  store.setBlocked(blocks.map((block) => block.user.id));
  return blocks;
}

/// Blocks or unblocks someone; the server counts their messages as unread no more (or again), so
/// the rooms' counts come again from it.
export async function setBlocked(userId, blocked) {
  await (blocked ? Blocks.block(userId) : Blocks.unblock(userId));
  store.setBlock(userId, blocked);
  loadRooms().catch(() => {});
}

export async function setNotifyLevel(roomId, level) {
  const answer = await Me.setNotifyLevel(roomId, level);
  store.setNotifyLevel(roomId, answer.level);
}

/// My keywords: loaded once logged in (they count as mentioning me), and replaced from the settings.
export async function loadKeywords() {
  store.setKeywords((await Me.keywords()).keywords);
}

export async function saveKeywords(keywords) {
  store.setKeywords((await Me.setKeywords(keywords)).keywords);
  return state.keywords;
}

/// My profile and settings: `{user, presence, send_read_receipts}`.
export const loadProfile = () => Me.get();

export async function updateProfile(changes) {
  const profile = applyMe(await Me.update(changes));
  store.setShowLinkPreviews(profile.show_link_previews);
  store.setSkinTone(profile.skin_tone);
  return profile;
}

/// Gives emoji my skin tone (0 none, 1–5), here at once and on my other devices through the server;
/// the tone before comes back if the server refuses.
export async function setSkinTone(level) {
  const before = state.skinTone;
  store.setSkinTone(level);
  try {
    store.setSkinTone((await Me.update({ skin_tone: level })).skin_tone);
  } catch (error) {
    store.setSkinTone(before);
    throw error;
  }
}

/// Sets my picture from an image file: its middle square at 256×256 (what every avatar here needs,
/// and far under the server's 1 MiB), as WebP, or PNG where the browser cannot write WebP.
export async function setAvatar(file) {
  let image;
  try {
    image = await createImageBitmap(file);
  } catch {
    throw new Error("That file is not an image this browser can read.");
  }
  const side = Math.min(image.width, image.height);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = AVATAR_SIZE;
  const context = canvas.getContext("2d");
  context.imageSmoothingQuality = "high";
  context.drawImage(image, (image.width - side) / 2, (image.height - side) / 2, side, side, 0, 0, AVATAR_SIZE, AVATAR_SIZE);
  image.close();
  const encode = (type) => new Promise((resolve) => canvas.toBlob(resolve, type, 0.9));
  let picture = await encode("image/webp");
  if (picture?.type !== "image/webp") picture = await encode("image/png");
  return applyMe(await Me.setAvatar(picture));
}

const AVATAR_SIZE = 256;

export const removeAvatar = async () => applyMe(await Me.removeAvatar());

/// A changed profile shown at once (others, and my other devices, learn of it from `user.updated`).
/// Unlike a room's or the site's, it is laid over whatever arrived meanwhile: `user.updated` carries
/// only the name and picture, so the answer is the one whole copy (a race would need two of my own
/// devices renaming me at once).
function applyMe(profile) {
  store.setMe({ ...state.me, ...profile.user });
  store.renameUser(profile.user);
  return profile;
}

/// Sets my status (`{text, emoji, expires_in_seconds}`), or clears it with null.
export async function setStatus(status) {
  if (status) store.setStatus(state.me.id, (await Me.setStatus(status)).status);
  else {
    await Me.clearStatus();
    store.setStatus(state.me.id, null);
  }
}

/// My status and display settings as the server has them (the session I entered with does not carry them).
export async function loadMyStatus() {
  const me = await Me.get();
  noteMyStatus(me.status);
  store.setPresenceChoice(me.presence_choice);
  store.setDnd(me.dnd_until);
  store.setShowLinkPreviews(me.show_link_previews);
  store.setSkinTone(me.skin_tone);
}

/// Do not disturb, for every device of mine (they follow `user.dnd`).
export async function pauseNotifications(minutes) {
  store.setDnd((await Me.pauseNotifications(minutes)).dnd_until);
}

export async function resumeNotifications() {
  await Me.resumeNotifications();
  store.setDnd(null);
}

export const noteMyStatus = (status) => store.setStatus(state.me.id, status);

export const changePassword = (current, next) => Me.changePassword(current, next);
export const deactivateMe = (password) => Me.deactivate(password);
export const loadSessions = async () => (await Me.sessions()).sessions;
export const revokeSession = (id) => Me.revokeSession(id);

/// The status I chose: "auto" (online, away while the tab is hidden), "away" or "busy". The
/// server keeps it for the account, so every device of mine shows it (`presence.chosen`); a device
/// left on automatic cannot undo it by reporting itself online.
export const chosenPresence = () => state.me?.presence_choice ?? "auto";

/// Tells the server my status as this tab sees it (online, or away while hidden), which counts
/// while I chose none, and keeps it in `state.me.presence` (an @here mentions me only while it is
/// "online").
async function sendPresence() {
  if (chosenPresence() !== "auto") return;
  const status = document.hidden ? "away" : "online";
  await Signals.presence(status);
  if (chosenPresence() === "auto") state.me.presence = status;
  // The browser's other tabs share this session, one device to the server, so the last tab to
  // speak decided: one hidden made me "away" while another was in view (a hunt). Told once the
  // server has this report, a tab in view says online again after it.
  if (status === "away") tabs?.postMessage({ away: state.me?.id });
}

/// This browser's other tabs of Parley (none where BroadcastChannel is missing).
const tabs = typeof BroadcastChannel === "function" ? new BroadcastChannel("parley.presence") : null;
tabs?.addEventListener("message", (event) => {
  if (event.data?.away === state.me?.id && state.me && !document.hidden) sendPresence().catch(() => {});
});

export async function choosePresence(choice) {
  await Signals.presence(choice === "auto" ? "online" : choice, true);
  store.setPresenceChoice(choice === "auto" ? null : choice);
  if (choice === "auto") await sendPresence();
}

/// Tells the server my status as this tab sees it (after a login or reload).
export const announcePresence = () => sendPresence().catch(() => {});

/// Presence and focus follow the tab: away (unless I chose a status) and no focused room while it
/// is hidden.
export function tabVisibilityChanged() {
  const hidden = document.hidden;
  if (chosenPresence() === "auto") sendPresence().catch(() => {});
  Signals.focus(hidden ? null : state.room?.id ?? null).catch(() => {});
  if (!hidden) {
    markRead();
    readOpenThread();
  }
}
