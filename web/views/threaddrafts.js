// Drafts of threads' reply boxes: what I left unsent in a thread's box stays with that thread, across
// other threads, rooms, reloads and (on the server, `?thread=` of the draft routes) my devices,
// kept by the same rules as the room's box (composer.js): this browser's unconfirmed change wins,
// otherwise the server's copy does, and a stale event is ignored (draftsync.js). A thread's draft
// always answers its message, so it is text only.
import { Drafts } from "/api.js";
import { $ } from "/dom.js";
import { draftSync } from "/draftsync.js";
import { on, setDrafts, state } from "/state.js";

/// "<room id>:<message id>" -> { text, pending }.
const drafts = new Map();
let loaded = false;
let saveTimer = null;
// Back online: drafts the server did not take (a save or removal that failed offline) go again.
on("connection", ({ status }) => {
  if (status !== "live") return;
  load();
  for (const [key, draft] of drafts) if (draft.pending) sync.schedule(key);
});
// A reload (or a closed tab) within the moment before the save keeps what was just typed.
window.addEventListener("pagehide", () => {
  if (saveTimer === null) return;
  clearTimeout(saveTimer);
  saveTimer = null;
  store();
});

const keyOf = (roomId, rootId) => `${roomId}:${rootId}`;
const parts = (key) => key.split(":").map(Number);
const storageKey = (userId) => `parley.threadDrafts.${userId}`;

const sync = draftSync({
  current: (key) => drafts.get(key),
  target: () => null,
  save: (key, text) => {
    const [room, root] = parts(key);
    return Drafts.save(room, text, null, root);
  },
  remove: (key) => {
    const [room, root] = parts(key);
    return Drafts.remove(room, root);
  },
  confirmed: (key, draft) => {
    if (drafts.get(key) !== draft) return;
    draft.pending = false;
    store();
  },
  // Refused for good (the room deleted, or I am no longer in it): it goes here too.
  gone: (key, draft) => {
    if (drafts.get(key) !== draft) return;
    drafts.delete(key);
    store();
  },
});

/// This browser's copies (per user, in localStorage), read once.
function load() {
  if (loaded || !state.me) return;
  loaded = true;
  try {
    for (const [key, draft] of Object.entries(JSON.parse(localStorage.getItem(storageKey(state.me.id)) ?? "{}"))) {
      if (typeof draft?.text === "string" && /^\d+:\d+$/.test(key)) drafts.set(key, draft);
    }
  } catch {
    // A damaged entry is dropped.
  }
}

function store() {
  report();
  if (forgotten) return;
  const kept = {};
  for (const [key, draft] of drafts) if (draft.text.trim() || draft.pending) kept[key] = draft;
  try {
    localStorage.setItem(storageKey(state.me.id), JSON.stringify(kept));
  } catch {
    // Storage full or refused: drafts then last as long as the page.
  }
}

/// Logging out: this browser's copies go, and are not written again (a save due in a moment, or on
/// leaving the page, would bring them back).
let forgotten = false;
export function clearThreadDrafts(userId) {
  forgotten = true;
  clearTimeout(saveTimer);
  saveTimer = null;
  localStorage.removeItem(storageKey(userId));
}

/// The threads' drafts with text, for the sidebar's marks and the Drafts list.
function report() {
  const entries = [];
  for (const [key, draft] of drafts) {
    if (!draft.text.trim()) continue;
    const [roomId, rootId] = parts(key);
    entries.push({ roomId, rootId, text: draft.text });
  }
  setDrafts("thread", entries);
}

/// Throws a thread's draft away (the Drafts list's Delete), here, on the server and on my devices.
export function discardThreadDraft(roomId, rootId) {
  if (state.thread?.roomId === roomId && state.thread.rootId === rootId) $("thread-text").value = "";
  keepThreadDraft(roomId, rootId, "");
}

const unconfirmed = (draft) => draft !== undefined && draft.pending !== false;

/// The text a thread's box starts with when it opens.
export function threadDraft(roomId, rootId) {
  load();
  return drafts.get(keyOf(roomId, rootId))?.text ?? "";
}

/// What is in an open thread's box now (blank once sent or emptied): kept here at once and on the
/// server shortly after.
export function keepThreadDraft(roomId, rootId, text) {
  load();
  const key = keyOf(roomId, rootId);
  if (!drafts.has(key) && !text.trim()) return;
  drafts.set(key, { text, pending: true });
  report();
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    saveTimer = null;
    store();
  }, 300);
  sync.schedule(key);
}

/// Takes the server's draft of a thread (null: none), unless this browser changed it since; the
/// open thread's box shows it.
function adopt(key, draft) {
  if (unconfirmed(drafts.get(key))) return;
  const text = draft?.text ?? "";
  if (draft) drafts.set(key, { text, pending: false });
  else drafts.delete(key);
  const box = $("thread-text");
  if (state.thread && keyOf(state.thread.roomId, state.thread.rootId) === key && box.value !== text) box.value = text;
}

/// The server's list at login (its threads' drafts): unconfirmed changes here are sent, the rest
/// follow the server.
export function adoptThreadDrafts(list) {
  load();
  const onServer = new Map(list.map((draft) => [keyOf(draft.room_id, draft.thread_id), draft]));
  for (const [key, draft] of drafts) {
    if (unconfirmed(draft)) sync.schedule(key);
    else if (!onServer.has(key)) adopt(key, null);
  }
  for (const [key, draft] of onServer) {
    sync.heard(key, draft);
    sync.newer(key, draft.updated_at);
    adopt(key, draft);
  }
  store();
}

/// `draft.saved` or `draft.removed` of a thread's box, from one of my devices.
export function threadDraftHeard(type, data, at) {
  load();
  const saved = type === "draft.saved" ? data.draft : null;
  const key = keyOf(data.room_id ?? saved.room_id, data.thread_id ?? saved.thread_id);
  if (!sync.newer(key, saved?.updated_at ?? at)) return;
  sync.heard(key, saved);
  const mine = drafts.get(key);
  if (saved && mine?.text === saved.text) mine.pending = false;
  else if (saved || drafts.has(key)) adopt(key, saved);
  store();
}
