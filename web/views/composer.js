// Writing: Enter sends, Shift+Enter starts a new line (on a list item, the next item: `lists.js`),
// replies and edits show what they refer to, ↑ in an empty box edits my last message, Escape
// cancels; drafts are kept per room, across reloads and, on the server, across my devices; typing
// is signalled (at most every 3 s). In an archived room a note (with Unarchive for its owners and
// admins) takes the box's place; a box closed for another reason (muted, a blocked DM, …) says why
// in a line above it.
import * as actions from "/actions.js";
import { Drafts, Messages } from "/api.js";
import { $, button, el } from "/dom.js";
import { draftSync } from "/draftsync.js";
import { authorName, formatDate, formatFull, formatInterval, mutedNote, roomLabel, roomName, SLOW_MODE_HELD, slowModeWait, TOO_LONG, tooLongMessage, truncate } from "/format.js";
import { preview } from "/markup.js";
import { icon } from "/icons.js";
import { archivedAt, blockedDM, editTimeNote, isMuted, lostRoom, mayArchive, mayEdit, mayPost, mySlowMode, notePosted, on, setDrafts, slowModeLeft, state, withinEditTime } from "/state.js";
import { carryOut } from "/views/commands.js";
import { announce as readOut } from "/views/announce.js";
import { confirmDialog } from "/views/dialogs.js";
import { initMentions } from "/views/mentions.js";
import { adoptThreadDrafts, threadDraftHeard } from "/views/threaddrafts.js";
import { serverNow } from "/clock.js";
import { continueList, indentList } from "/lists.js";
import { formatKeys } from "/wrapping.js";

const box = $("composer-text");
/// { kind: "reply" | "edit", message } or null; an edit may have `onEnd`, called once it is saved or
/// cancelled (not when another reply or edit takes its place).
let context = null;
/// Room id -> { text, context, replyTo, pending } (and "pre-edit:<room id>" -> the text an edit
/// replaced). `replyTo` keeps a reply's target id when only the server's copy named it; `pending`
/// marks a change the server has not confirmed yet.
const drafts = new Map();
/// Each room's draft on the server (keyed by room id).
const sync = draftSync({
  current: (room) => drafts.get(room),
  target: (draft) => replyId(draft),
  save: (room, text, replyTo) => Drafts.save(room, text, replyTo),
  remove: (room) => Drafts.remove(room),
  confirmed: (room, draft) => {
    if (drafts.get(room) !== draft) return;
    draft.pending = false;
    saveDrafts();
  },
  // Refused for good (the room deleted, or I am no longer in it): it goes here too.
  gone: (room, draft) => {
    if (drafts.get(room) !== draft) return;
    drafts.delete(room);
    saveDrafts();
  },
});
let draftRoom = null;
let draftsLoaded = false;
let saveTimer = null;
let slowTimer = null;

/// Drafts outlive a reload: per user, in localStorage (cleared when logging out).
const draftKey = (userId) => `parley.drafts.${userId}`;

function loadDrafts() {
  if (draftsLoaded) return;
  draftsLoaded = true;
  try {
    for (const [room, draft] of Object.entries(JSON.parse(localStorage.getItem(draftKey(state.me.id)) ?? "{}"))) {
      if (typeof draft?.text === "string") drafts.set(Number(room), draft);
    }
  } catch {
    // A damaged entry is dropped.
  }
  loadServerDrafts();
}

/// Whether this browser changed a draft since the server last confirmed it (a draft kept before
/// drafts were synced has no mark, and counts as changed).
const unconfirmed = (draft) => draft !== undefined && draft.pending !== false;

/// The server's drafts win over this browser's, except changes it never confirmed (typed just
/// before a reload, or offline), which are sent now.
async function loadServerDrafts() {
  let list;
  try {
    ({ drafts: list } = await Drafts.list());
  } catch {
    return;
  }
  // Threads' reply boxes keep theirs (views/threaddrafts.js).
  adoptThreadDrafts(list.filter((draft) => draft.thread_id != null));
  list = list.filter((draft) => draft.thread_id == null);
  const onServer = new Map(list.map((draft) => [draft.room_id, draft]));
  for (const [room, draft] of drafts) {
    if (typeof room !== "number") continue;
    if (unconfirmed(draft)) sync.schedule(room);
    else if (!onServer.has(room)) adopt(room, null);
  }
  for (const draft of list) {
    sync.heard(draft.room_id, draft);
    sync.newer(draft.room_id, draft.updated_at);
    if (!unconfirmed(drafts.get(draft.room_id))) adopt(draft.room_id, draft);
  }
  saveDrafts();
}

/// Takes the server's draft of a room (null: none) as this browser's, unless this browser changed
/// it since and the server has not confirmed that yet; the open room's box shows it (while I edit
/// a message, the box keeps the edit and the draft waits behind it).
function adopt(room, draft) {
  const before = drafts.get(room);
  if (unconfirmed(before)) return;
  // The same draft: this browser's copy keeps the message a reply shows.
  if (draft && before?.text === draft.text && replyId(before) === draft.reply_to) return;
  const open = draftRoom === room && state.room?.id === room;
  const message = draft?.reply_to != null && open ? state.room.messages.get(draft.reply_to) : null;
  const next = { text: draft?.text ?? "", context: message && !message.deleted ? { kind: "reply", message } : null, replyTo: draft?.reply_to ?? null, pending: false };
  if (draft) drafts.set(room, next);
  else drafts.delete(room);
  if (open && context?.kind === "edit") {
    drafts.set(`pre-edit:${room}`, next.text);
    return;
  }
  if (!open || (box.value === next.text && (context?.message.id ?? null) === (next.context?.message.id ?? null))) return;
  box.value = next.text;
  context = next.context;
  renderContext();
  autosize();
  resolveReply();
}

/// A draft from another device names the message it answers by id: in the open room, that message
/// is found (loaded, or asked for) and the reply shows as if started here.
async function resolveReply() {
  const room = state.room?.id;
  const draft = drafts.get(room);
  if (context || !draft?.replyTo || draftRoom !== room) return;
  let message = state.room.messages.get(draft.replyTo);
  if (!message) {
    try {
      ({ message } = await Messages.one(draft.replyTo));
    } catch {
      return;
    }
  }
  // Still this room, with no reply or edit started meanwhile.
  if (state.room?.id !== room || draftRoom !== room || context || message.deleted || replyId(drafts.get(room) ?? {}) !== message.id) return;
  context = { kind: "reply", message };
  drafts.get(room).context = context;
  renderContext();
}

/// The id of the message a draft answers, or null.
const replyId = (draft) => draft.context?.message.id ?? draft.replyTo ?? null;

/// A draft of mine saved on another device (or this one's own save, heard back).
function draftSaved(draft) {
  if (!sync.newer(draft.room_id, draft.updated_at)) return;
  sync.heard(draft.room_id, draft);
  const mine = drafts.get(draft.room_id);
  if (mine?.text === draft.text && replyId(mine) === draft.reply_to) mine.pending = false;
  else adopt(draft.room_id, draft);
  saveDrafts();
}

/// A draft of mine deleted on another device (its message sent there, or its box emptied) at `time`.
function draftRemoved(roomId, time) {
  if (!sync.newer(roomId, time)) return;
  sync.heard(roomId, null);
  if (!drafts.has(roomId)) return;
  adopt(roomId, null);
  saveDrafts();
}

/// Keeps what is in the box as the open room's draft (an edit is not a draft), saved here shortly
/// after and on the server a little later. A reply target known only by id (from another device,
/// its message not found yet) stays, unless `keepReply` is false (the box was sent or emptied).
function keepDraft(keepReply = true) {
  // A room I am no longer in keeps no draft (the server refuses it: a hunt saw the 403 as the room
  // was left after a kick).
  if (draftRoom === null || context?.kind === "edit" || lostRoom(draftRoom)) return;
  const previous = drafts.get(draftRoom);
  const replyTo = keepReply && !context && previous && !previous.context ? previous.replyTo ?? null : null;
  drafts.set(draftRoom, { text: box.value, context: context?.kind === "reply" ? context : null, replyTo, pending: true });
  reportDrafts();
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    saveTimer = null;
    saveDrafts();
  }, 300);
  sync.schedule(draftRoom);
}

/// The rooms' drafts with text, for the sidebar's marks and the Drafts list.
function reportDrafts() {
  const entries = [];
  for (const [room, draft] of drafts) if (typeof room === "number" && draft.text.trim()) entries.push({ roomId: room, rootId: null, text: draft.text });
  setDrafts("room", entries);
}

/// Throws a room's draft away (the Drafts list's Delete), here, on the server and on my devices.
export function discardRoomDraft(room) {
  if (draftRoom === room && state.room?.id === room && context?.kind !== "edit") {
    clearBox();
    return;
  }
  if (!drafts.has(room)) return;
  drafts.set(room, { text: "", context: null, replyTo: null, pending: true });
  sync.schedule(room);
  saveDrafts();
}

function saveDrafts() {
  reportDrafts();
  if (draftsForgotten) return;
  const kept = {};
  for (const [room, draft] of drafts) if (typeof room === "number" && (draft.text.trim() || draft.context || draft.replyTo || draft.pending)) kept[room] = draft;
  try {
    localStorage.setItem(draftKey(state.me.id), JSON.stringify(kept));
  } catch {
    // Storage full or refused: drafts then last as long as the page.
  }
}

/// Logging out: this browser's drafts go, and are not written again (a save due in a moment, or
/// on leaving the page, would bring them back).
let draftsForgotten = false;
export function clearDrafts(userId) {
  draftsForgotten = true;
  clearTimeout(saveTimer);
  saveTimer = null;
  localStorage.removeItem(draftKey(userId));
}

/// The open room when it is archived (its box gives way to a note), else null.
const archivedRoom = () => (state.room && !state.room.closed && archivedAt(state.room.id) !== null ? state.rooms.get(state.room.id) : null);

export function initComposer({ onUnarchive = () => {} } = {}) {
  // Back online: drafts the server did not take (a save or removal that failed offline) go again.
  on("connection", ({ status }) => {
    if (status !== "live") return;
    for (const [room, draft] of drafts) if (typeof room === "number" && draft.pending) sync.schedule(room);
  });
  // A reload (or a closed tab) within the moment before the save keeps what was just typed.
  window.addEventListener("pagehide", () => {
    if (saveTimer === null) return;
    clearTimeout(saveTimer);
    saveTimer = null;
    saveDrafts();
  });
  initMentions(box, $("mention-list"), { commands: true });
  $("archived-note").prepend(icon("archive"));
  $("archived-unarchive").addEventListener("click", onUnarchive);
  $("send").append(icon("send"));
  // A tap on Send leaves the focus in the box, so a phone's keyboard stays up for the next message
  // (it closed after every one, a hunt); Enter keeps it there too.
  $("send").addEventListener("mousedown", (event) => event.preventDefault());
  $("attach").append(icon("paperclip"));
  $("attach").addEventListener("click", () => $("attach-input").click());
  $("attach-input").addEventListener("change", () => {
    const files = [...$("attach-input").files];
    $("attach-input").value = "";
    if (files.length) share(files);
  });
  // Pasted or dropped files (a screenshot, photos) are shared the same way.
  box.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    share(files);
  });
  $("composer").addEventListener("dragover", (event) => {
    if (event.dataTransfer?.types.includes("Files")) event.preventDefault();
  });
  $("composer").addEventListener("drop", (event) => {
    const files = [...(event.dataTransfer?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    share(files);
  });
  $("composer-cancel").append(icon("x"));
  // Why the box is closed, in words that wrap: its placeholder alone is cut short on a phone, and
  // does not show at all behind a draft.
  $("composer-row").before(el("p", { className: "composer-closed-note", attrs: { id: "composer-closed-note", role: "status", hidden: true } }));
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  $("composer-cancel").addEventListener("click", () => {
    // (The focus stays in the box, unless the edit's starter takes it back: a thread's reply.)
    box.focus();
    endEdit();
  });
  box.addEventListener("keydown", (event) => {
    if (continueList(box, event) || indentList(box, event) || formatKeys(box, event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape" && context) {
      event.preventDefault();
      endEdit();
    } else if (event.key === "ArrowUp" && !event.altKey && box.value === "" && !context) {
      const last = [...(state.room?.messages.values() ?? [])].filter(mayEdit).sort((a, b) => b.id - a.id)[0];
      if (last) {
        event.preventDefault();
        startEdit(last);
      }
    }
  });
  box.addEventListener("input", () => {
    keepDraft();
    autosize();
    setError(null);
    if (box.value.trim() && context?.kind !== "edit") actions.typing();
    else if (!box.value.trim()) actions.stoppedTyping();
  });
  box.addEventListener("blur", () => {
    if (!box.value.trim()) actions.stoppedTyping();
  });
  on("room", ({ changed }) => {
    if (changed === "opened") {
      switchRoom();
      renderUploads();
    }
    renderEnabled();
    if (changed === "opened") {
      // Still in the box (Alt+↓ from it, the switcher): a screen reader hears where it now writes.
      if (document.activeElement === box) readOut(box.getAttribute("aria-label"));
      // Not the first room a page opens as it loads (the skip link is first there).
      if (roomsOpened++ > 0) setTimeout(recoverFocus);
    }
  });
  on("rooms", renderEnabled);
  on("draft", ({ type, data, at }) => {
    // A thread's reply box has its own (views/threaddrafts.js).
    if ((data.draft?.thread_id ?? data.thread_id ?? null) !== null) threadDraftHeard(type, data, at);
    else if (type === "draft.saved") draftSaved(data.draft);
    else draftRemoved(data.room_id, at);
  });
  // My role in the open room is read from its member list, which reloads after a role change.
  on("members", renderEnabled);
  on("blocks", renderEnabled);
  on("muted", renderEnabled);
  on("messages", ({ message }) => {
    // The message being edited or replied to was deleted meanwhile, or the one replied to edited.
    if (context && message?.id === context.message.id && message.deleted) {
      if (context.kind === "edit") editedMessageDeleted();
      else {
        // What is typed stays, to send as a message of its own.
        cancel();
        setError("The message you were replying to was deleted.");
      }
    } else if (context?.kind === "reply" && message?.id === context.message.id && message !== context.message) {
      context = { ...context, message };
      renderContext();
    }
  });
  on("roomMessage", ({ type, message }) => {
    if (type !== "message.created" || message.sender.id !== state.me.id || message.webhook) return;
    // Its own time by the server's clock (a replayed old message starts no countdown).
    notePosted(message.room_id, Math.min(serverNow(), Date.parse(message.created_at)));
  });
  on("slowMode", ({ roomId }) => roomId === state.room?.id && renderSlowMode());
}

let roomsOpened = 0;

/// A room opened and the focus went nowhere: what had it (a message, a room's link, a button of the
/// room left) was drawn again or went away, as after leaving a room, closing a DM or Alt+↓ from the
/// messages, and the next Tab started from the top of the page (a hunt). It goes to the box, where a
/// keyboard user writes next; not on a touch screen, where that would raise the keyboard.
function recoverFocus() {
  const active = document.activeElement;
  if ((active && active !== document.body) || document.querySelector("dialog[open]") || matchMedia("(pointer: coarse)").matches) return;
  if (!box.disabled) box.focus({ preventScroll: true });
}

function switchRoom() {
  // Another room opened: whatever I was typing in the one I left stops there.
  if (draftRoom !== state.room.id) actions.stoppedTyping();
  loadDrafts();
  keepDraft();
  const saved = drafts.get(state.room.id);
  draftRoom = state.room.id;
  box.value = saved?.text ?? "";
  context = saved?.context ?? null;
  renderContext();
  autosize();
  setError(null);
  resolveReply();
}

function renderEnabled() {
  const room = state.room ? state.rooms.get(state.room.id) : null;
  const archived = archivedRoom();
  renderArchived(archived);
  renderSlowMode();
  // In a room where only moderators and up post, a member reads (and reacts) but does not write.
  const restricted = Boolean(room && !archived && !mayPost(room.id));
  const gone = Boolean(room && !archived) && partnerDeactivated(room);
  // Nor in a DM with someone I blocked (the server refuses both sides there, `blocked`).
  const blocking = Boolean(room && !archived) && blockedDM(room.id);
  // Nor while a moderator has muted me here (until it ends or is lifted).
  const muted = Boolean(room && !archived) && isMuted(room.id);
  const usable = Boolean(room && !state.room.closed) && !restricted && !archived && !gone && !blocking && !muted;
  box.disabled = !usable;
  $("send").disabled = !usable;
  $("schedule-send").disabled = !usable;
  $("poll-open").disabled = !usable;
  $("attach").disabled = !usable;
  $("emoji-open").disabled = !usable;
  const reason = usable || !state.room || state.room.closed
    ? ""
    : gone
      ? `${roomName(room)}'s account is deactivated: this conversation is read-only.`
      : blocking
        ? `You blocked ${roomName(room)}: unblock them to write here.`
        : muted
          ? mutedNote(state.mutedIn.get(room.id))
          : restricted
            ? "Only moderators, admins and the owner post in this room."
            : "";
  box.placeholder = usable ? `Message ${room.kind === "dm" ? "" : "#"}${roomName(room)}` : reason;
  // Its name says where it writes, as its placeholder does ("Message" alone said nothing of the
  // room, and a screen reader heard no change of room, a hunt).
  box.setAttribute("aria-label", usable ? box.placeholder : "Message");
  // (An archived room's note takes the box's place and says so itself.)
  $("composer-closed-note").textContent = reason;
  $("composer-closed-note").hidden = reason === "";
  describeBox();
}

/// A two-person DM whose other person's account is deactivated is read-only (the server refuses
/// posts there with `recipient_deactivated`) until the account is reactivated.
function partnerDeactivated(room) {
  if (room.kind !== "dm" || state.room?.members.size !== 2) return false;
  return [...state.room.members.values()].some((member) => member.user.id !== state.me.id && member.deactivated);
}

/// In slow mode (for members below moderator), a line above the box says how often I may post and,
/// after I did, how long is left. Until then a message stays in its box (`carryOut` holds it). One
/// the server refuses anyway (this tab did not know of my last post) shows as not sent, with its
/// reason and Retry (`ApiError.transient` leaves `slow_mode` out of the outbox's waits), and the
/// refusal's Retry-After starts the countdown.
function renderSlowMode() {
  clearTimeout(slowTimer);
  const note = $("slow-mode-note");
  const roomId = state.room?.id;
  const seconds = roomId && !archivedRoom() ? mySlowMode(roomId) : 0;
  const left = seconds === 0 ? 0 : slowModeLeft(roomId);
  note.hidden = seconds === 0;
  // A held message may go now.
  if (left === 0 && $("composer-error").textContent === SLOW_MODE_HELD) setError(null);
  if (seconds === 0) return;
  note.textContent = left > 0 ? `Slow mode: ${slowModeWait(left)}.` : `Slow mode: each member may post once every ${formatInterval(seconds)}.`;
  if (left > 0) slowTimer = setTimeout(renderSlowMode, 1000);
}

/// An archived room is read-only: a note says since when in place of the box (which keeps its
/// draft for when the room is unarchived), with Unarchive for its owners and admins.
function renderArchived(room) {
  const archived = room !== null;
  $("archived-note").hidden = !archived;
  $("composer-row").hidden = archived;
  $("composer-help").hidden = archived;
  renderContext();
  if (!archived) return;
  const when = new Date(room.archived_at);
  $("archived-note-text").textContent = `${room.kind === "group" ? "This group" : "This room"} was archived on ${formatDate(when)}. It is read-only.`;
  $("archived-note-text").title = `Archived ${formatFull(when)}`;
  $("archived-unarchive").hidden = !mayArchive(room.id);
  $("archived-unarchive").setAttribute("aria-label", `Unarchive ${roomName(room)}`);
}

/// Puts the focus in the message box once room `roomId` is open (at once if it is): a room chosen
/// from the keyboard (the sidebar, Browse) is there to write in, as one chosen with the switcher.
export function focusBoxWhenOpen(roomId) {
  if (state.room?.id === roomId && !state.room.closed) {
    if (!box.disabled) box.focus();
    return;
  }
  const stop = on("room", ({ changed } = {}) => {
    if (changed !== "opened") return;
    stop();
    if (state.room?.id === roomId && !box.disabled) box.focus();
  });
}

export function startReply(message) {
  // An edit under way ends first, as Cancel ends it: the box gets back the draft it held before,
  // which is what the reply then says (else the edited message's text went out again as a reply).
  if (context?.kind === "edit") cancel();
  context = { kind: "reply", message };
  keepDraft();
  renderContext();
  box.focus();
}

/// Puts my message in the box to edit; `onEnd` is called once the edit is saved or cancelled.
export function startEdit(message, { onEnd } = {}) {
  // Its Edit was drawn while the site's time for editing still covered it.
  if (!withinEditTime(message)) {
    setError(editTimeNote());
    return;
  }
  // (Another edit's text is not a draft: the one from before the first edit stays.)
  if (context?.kind !== "edit") drafts.set(`pre-edit:${state.room.id}`, box.value);
  context = { kind: "edit", message, onEnd };
  box.value = message.text;
  renderContext();
  autosize();
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
}

/// Ends the reply or edit (unsaved), as Cancel does; an edit's draft from before it comes back, with
/// the message that draft was replying to.
function cancel() {
  const wasEdit = context?.kind === "edit";
  context = null;
  if (wasEdit) {
    const room = state.room?.id;
    box.value = drafts.get(`pre-edit:${room}`) ?? "";
    // (As the room has it now: it may have been edited, or deleted, meanwhile.)
    const reply = drafts.get(room)?.context;
    const message = reply && (state.room.messages.get(reply.message.id) ?? reply.message);
    if (message && !message.deleted) context = { kind: "reply", message };
    autosize();
  }
  keepDraft();
  renderContext();
}

/// Cancels the reply or edit, and tells whoever started the edit that it ended.
function endEdit() {
  const { onEnd } = context ?? {};
  cancel();
  onEnd?.();
}

/// The message I was editing was deleted (by a moderator, or on another device of mine): the edit
/// ends, and a new text I had typed for it stays in the box (after any draft from before the edit),
/// to send as a new message or clear; either way a note says why the edit is gone.
function editedMessageDeleted() {
  const typed = box.value.trim();
  const changed = typed !== "" && typed !== context.message.text;
  cancel();
  if (changed) {
    box.value = box.value.trim() ? `${box.value.trimEnd()}\n\n${typed}` : typed;
    autosize();
    keepDraft();
  }
  setError(
    changed
      ? "The message you were editing was deleted. What you typed is still in the box, to send as a new message."
      : "The message you were editing was deleted.",
  );
}

/// The box is described by its mode while it has one (screen readers hear it on focus too), and
/// by why it is closed while it is.
function describeBox() {
  const ids = [];
  if (!$("composer-context").hidden) ids.push("composer-context-text");
  if (!$("composer-closed-note").hidden) ids.push("composer-closed-note");
  box.setAttribute("aria-describedby", [...ids, "composer-help"].join(" "));
}

/// The mode last read out ("edit:<id>", "reply:<id>"), so that re-rendering it is not read again.
let announcedContext = "";

function renderContext() {
  const bar = $("composer-context");
  bar.hidden = !context || archivedRoom() !== null;
  bar.dataset.kind = context?.kind ?? "";
  describeBox();
  const key = context ? `${context.kind}:${context.message.id}` : "";
  if (!context) {
    announcedContext = "";
    return;
  }
  const { message } = context;
  $("composer-context-text").textContent =
    context.kind === "edit" ? "Editing your message" : `Replying to ${authorName(message)}: ${truncate(preview(message), 90)}`;
  if (key !== announcedContext && !bar.hidden) {
    announcedContext = key;
    readOut(context.kind === "edit" ? "Editing your message. Escape to cancel." : `Replying to ${authorName(message)}. Escape to cancel.`);
  }
  $("composer-cancel").setAttribute("aria-label", context.kind === "edit" ? "Cancel editing" : "Cancel reply");
}

async function submit() {
  const text = box.value.trim();
  if (!state.room || state.room.closed || box.disabled) return;
  // An edit that empties the box offers to delete the message instead (as Slack does).
  if (!text && context?.kind === "edit") {
    const editing = context;
    const { message } = editing;
    const answer = await confirmDialog({ title: "Delete this message?", message: truncate(preview(message), 200), confirm: "Delete" });
    if (answer === null) return;
    // (Unless another reply or edit began while the question was open.)
    if (context === editing) endEdit();
    actions.remove(message.id).catch((error) => setError(error.message));
    return;
  }
  if (!text) return;
  if (tooLongMessage(text)) {
    setError(TOO_LONG);
    return;
  }
  if (context?.kind === "edit") {
    const editing = context;
    const { message } = editing;
    // A retry starts afresh: the refusal of the try before is no longer the news.
    setError(null);
    if (text === message.text) {
      endEdit();
      return;
    }
    try {
      await actions.edit(message.id, text);
      // Unless another edit began while this one was saved (↑ at once): that one stays.
      if (context === editing) endEdit();
    } catch (error) {
      setError(`Not saved: ${error.message}`);
    }
    return;
  }
  setError(null);
  if (await carryOut(text, { replyTo: context?.kind === "reply" ? context.message.id : undefined, refuse: setError })) clearBox();
}

function clearBox() {
  context = null;
  box.value = "";
  keepDraft(false);
  renderContext();
  autosize();
  actions.stoppedTyping();
}

/// What "Send later" takes: the open room, the box's text and the message it answers; null (with
/// the reason shown) when there is nothing to schedule.
export function takeDraft() {
  if (!state.room || state.room.closed || box.disabled) return null;
  const text = box.value.trim();
  let problem = null;
  if (context?.kind === "edit") problem = "Finish or cancel the edit first.";
  else if (!text) problem = "Write the message first, then pick when to send it.";
  else if (tooLongMessage(text)) problem = TOO_LONG;
  if (problem) {
    setError(problem);
    box.focus();
    return null;
  }
  return { roomId: state.room.id, text, replyTo: context?.kind === "reply" ? context.message.id : undefined };
}

/// Empties the box once its text was scheduled (unless it was changed meanwhile).
export function clearDraft(draft) {
  if (state.room?.id === draft.roomId && box.value.trim() === draft.text) clearBox();
}

export { setError as setComposerError };

/// Uploads files to the open room, one after another in the order chosen (so their messages come
/// in that order; each shows its row, and may be cancelled, while it waits); what is typed (unless
/// an edit) becomes the first one's caption. The caption leaves the box at once, so what is typed during the upload is a new
/// message; it comes back if the upload fails or is cancelled (unless something was typed since). The room is the one open
/// when the files were picked, pasted or dropped: they go there even if another room is opened before their turn.
async function share(files) {
  if (!state.room || state.room.closed || box.disabled) return;
  const roomId = state.room.id;
  const caption = context?.kind === "edit" ? "" : box.value.trim();
  // While replying, the first file answers the message, as a message would (it went as a message
  // of its own, its caption too, a hunt).
  const replying = context?.kind === "reply" ? context : null;
  setError(null);
  if (caption) {
    box.value = "";
    keepDraft();
    autosize();
  }
  let previous = Promise.resolve();
  const shared = await Promise.all(
    files.map((file, index) => {
      previous = shareOne(roomId, file, index === 0 ? { caption, replyTo: replying?.message.id } : {}, previous);
      return previous;
    }),
  );
  if (caption && !shared[0]) restoreCaption(roomId, caption);
  else if (shared[0] && replying && draftRoom === roomId && context === replying && box.value.trim() === "") {
    context = null;
    // As Cancel does: the draft saved with the caption still names the reply, and would bring it
    // back after a reload and on my other devices.
    keepDraft();
    renderContext();
  }
}

/// Puts back the caption of an upload that failed: in the box if its room is open, else in that
/// room's draft (either only when empty).
function restoreCaption(roomId, caption) {
  if (draftRoom === roomId) {
    if (box.value.trim() !== "") return;
    box.value = caption;
    keepDraft();
    autosize();
    return;
  }
  const draft = drafts.get(roomId);
  if (draft?.text.trim()) return;
  drafts.set(roomId, { context: null, replyTo: null, ...draft, text: caption, pending: true });
  sync.schedule(roomId);
  saveDrafts();
}

/// One upload to room `roomId`, shown above the box with its progress and a Cancel button while it
/// lasts (and while it waits for `turn`, the one before it, to end), in that room only: opening another
/// room hides its row until that room is open again. True when it was shared.
async function shareOne(roomId, file, { caption, replyTo }, turn = Promise.resolve()) {
  const name = file.name || "file";
  // The server would refuse it only once it had all of it: it is not sent.
  const largest = state.limits?.max_upload_bytes;
  if (largest && file.size > largest) {
    setError(`${name} is larger than the ${megabytes(largest)} MB this server takes.`);
    return false;
  }
  const controller = new AbortController();
  const bar = el("progress", { attrs: { max: "1", value: "0", "aria-label": `Sharing ${name}` } });
  const percent = el("span", { className: "upload-percent muted", text: "0%" });
  const cancel = button("Cancel", { className: "link small", attrs: { "aria-label": `Cancel sharing ${name}` }, onClick: () => controller.abort() });
  const row = el("li", { className: "upload", dataset: { room: roomId } }, el("span", { className: "file-name", text: name }), bar, percent, cancel);
  $("uploads").append(row);
  renderUploads();
  announce(`Sharing ${name}…`);
  const onProgress = (fraction) => {
    bar.value = fraction;
    percent.textContent = `${Math.floor(fraction * 100)}%`;
  };
  // Said of a room that is no longer open, the outcome names it.
  const where = () => (state.room?.id === roomId ? "" : ` in ${roomLabel(state.rooms.get(roomId)) || "the room it was chosen in"}`);
  try {
    await turn;
    await actions.upload(roomId, file, { caption, replyTo }, { signal: controller.signal, onProgress });
    announce(`${name} shared${where()}.`);
    return true;
  } catch (error) {
    if (error.name === "AbortError") announce(`Sharing ${name} was cancelled.`);
    else {
      // The error line says it (an alert); the status line no longer says it is being shared.
      announce("");
      setError(`${name} was not shared${where()}: ${error.message}`);
    }
    return false;
  } finally {
    const hadFocus = row.contains(document.activeElement);
    row.remove();
    renderUploads();
    if (hadFocus) box.focus();
  }
}

/// Shows the rows of the uploads to the open room (those to other rooms go on out of sight).
function renderUploads() {
  let shown = 0;
  for (const row of $("uploads").children) {
    row.hidden = Number(row.dataset.room) !== state.room?.id;
    if (!row.hidden) shown += 1;
  }
  $("uploads").hidden = shown === 0;
}

/// A size in MB (MiB, as the server's limit is set), with one decimal when not whole.
const megabytes = (bytes) => {
  const value = bytes / (1024 * 1024);
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
};

function announce(text) {
  $("upload-status").textContent = text;
}

function setError(message) {
  $("composer-error").hidden = !message;
  $("composer-error").textContent = message ?? "";
}

function autosize() {
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight + 2, 200)}px`;
}
