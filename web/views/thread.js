// The thread panel beside the open room: one message and its replies, oldest first, kept up to
// date from the live stream (new replies, edits, deletions and the count), with a box that answers
// the message. Replies are ordinary messages of the room, so they show in the room too; a reply's
// time jumps to it there. What is left in the box stays with its thread (views/threaddrafts.js).
// The messages are one tab stop and very long ones are folded, as in the room's list.
import * as actions from "/actions.js";
import { $, authorAvatar, avatarFor, button, el, messageAuthor } from "/dom.js";
import { formatMessage, preview } from "/markup.js";
import { formatFull, formatTime, mutedNote, roomName, truncate } from "/format.js";
import { icon } from "/icons.js";
import { continueList, indentList } from "/lists.js";
import { formatKeys } from "/wrapping.js";
import { blockedDM, canModerate, editTimeNote, isArchived, isMuted, mayEdit, mayPost, mayReact, maySpeak, myMarks, on, state, withinEditTime } from "/state.js";
import { carryOut } from "/views/commands.js";
import { confirmDialog } from "/views/dialogs.js";
import { openEdits } from "/views/edits.js";
import { Folds } from "/views/folding.js";
import { initMentions } from "/views/mentions.js";
import { pollNode } from "/views/polls.js";
import { previewsNode } from "/views/previews.js";
import { openReport } from "/views/reports.js";
import { RovingList } from "/views/roving.js";
import { keepThreadDraft, threadDraft } from "/views/threaddrafts.js";
import { fileNode, forwardedNode, messageText, openReactionPicker, reactionBar } from "/views/timeline.js";
import { toast, toastError } from "/views/toast.js";

let callbacks = { onPerson: () => {}, onJump: () => {}, beforeOpen: () => {} };
/// What had the focus when the thread opened: it gets it back when the thread closes.
let opener = null;
/// The thread whose "New" line was brought into view (once per opening).
let newShown = null;
/// The root and the replies are one tab stop (views/roving.js); "Load more replies" stays one.
const roving = new RovingList($("thread-scroll"), { items: "li.thread-message", messages: "li.thread-message", keep: "#thread-more" });
/// The thread's very long messages, folded behind "Show more" (ids apart from the same message's in the room).
const folds = new Folds("thread-message-text");

export function initThread(handlers) {
  callbacks = handlers;
  $("thread-close").append(icon("x"));
  $("thread-close").addEventListener("click", () => closeThread());
  // (Not an Escape that took the focus from a message's control back to the message.)
  $("thread-panel").addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) closeThread();
  });
  $("thread-more").addEventListener("click", () => actions.loadThreadPage().catch(toastError));
  $("thread-follow").addEventListener("click", () => actions.toggleThreadFollowing().catch(toastError));
  $("thread-send").append(icon("send"));
  // As the room's Send: a tap leaves the focus (and a phone's keyboard) in the reply box.
  $("thread-send").addEventListener("mousedown", (event) => event.preventDefault());
  const text = $("thread-text");
  // Why the reply box is closed, in words that wrap (as under the room's box: composer.js).
  $("thread-composer").before(el("p", { className: "thread-closed-note", attrs: { id: "thread-closed-note", role: "status", hidden: true } }));
  // @-mentions and emoji short names, as in the room's box (registered first: the list's keys come
  // before this box's Enter).
  initMentions(text, $("thread-mention-list"), { commands: true });
  $("thread-composer").addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply();
  });
  text.addEventListener("keydown", (event) => {
    if (continueList(text, event) || indentList(text, event) || formatKeys(text, event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendReply();
    }
  });
  text.addEventListener("input", () => {
    if (state.thread) keepThreadDraft(state.thread.roomId, state.thread.rootId, text.value);
    if (text.value.trim()) actions.typing(state.thread?.rootId ?? null);
    else actions.stoppedTyping();
  });
  on("thread", ({ changed, added }) => {
    if (changed === "closed") {
      show(false);
      return;
    }
    if (changed === "opened") {
      roving.reset();
      folds.clear();
    }
    render({ follow: changed === "opened" || added?.sender.id === state.me.id });
    // What shows in the open thread is read (once per newest reply; not while the tab is hidden).
    actions.readOpenThread();
  });
  on("outbox", () => state.thread && render({ follow: true }));
  on("blocks", () => state.thread && render({}));
  on("emoji", () => state.thread && render({}));
  on("keywords", () => state.thread && render({}));
  // The thread belongs to the open room: it closes with it.
  on("room", ({ changed }) => {
    if (state.thread && (changed === "opened" || changed === "closed")) closeThread({ refocus: false });
    // Who may post changed (the room's rule or my role): the reply box follows.
    else if (state.thread && changed === "details") render({});
  });
  on("members", () => state.thread && render({}));
  // Muted in its room (or no longer): the reply box, reactions and votes follow.
  on("muted", ({ roomId }) => state.thread?.roomId === roomId && render({}));
  // The editing time (site settings) decides which replies offer Edit.
  on("site", () => state.thread && render({}));
}

/// Opens the thread of a message of the open room (closing the member panel).
export function openThread(message) {
  if (!message || message.room_id !== state.room?.id) return;
  opener = document.activeElement;
  callbacks.beforeOpen();
  if (state.thread?.rootId !== message.id) $("thread-text").value = threadDraft(message.room_id, message.id);
  show(true);
  actions.openThread(message).catch(toastError);
  $("thread-text").focus();
}

export function closeThread({ refocus = true } = {}) {
  if (!state.thread && $("thread-panel").hidden) return;
  const rootId = state.thread?.rootId;
  actions.closeThread();
  // Its draft is kept (threaddrafts.js); the next thread's box starts with its own.
  $("thread-text").value = "";
  show(false);
  if (refocus) refocusOpener(rootId);
  opener = null;
}

/// The opener, or (rebuilt since: a reply changed its root's count) the same button of the root's
/// message as it is now, else the message, else the message box.
function refocusOpener(rootId) {
  if (opener?.isConnected) return opener.focus();
  const item = rootId ? document.querySelector(`#messages li.message[data-id="${rootId}"]`) : null;
  const action = opener?.dataset?.action;
  const same = action && item?.querySelector(`[data-action="${action}"]`);
  (same ?? item ?? $("composer-text")).focus();
}

function show(open) {
  $("thread-panel").hidden = !open;
  document.body.classList.toggle("thread-open", open);
}

/// Sends the box's reply; slash commands work here as in the room's box (a refusal is a toast: the
/// panel has no room for a note), and what /me and /shrug make is sent as a reply.
async function sendReply() {
  const thread = state.thread;
  const text = $("thread-text").value.trim();
  if (!thread || !text || state.room?.closed || $("thread-text").disabled) return;
  if (await carryOut(text, { replyTo: thread.rootId, refuse: toast })) {
    actions.stoppedTyping();
    $("thread-text").value = "";
    keepThreadDraft(thread.roomId, thread.rootId, "");
  }
}

function render({ follow = false }) {
  const thread = state.thread;
  if (!thread) return;
  show(true);
  const list = $("thread-replies");
  const scroller = $("thread-scroll");
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  // Every message is drawn again: the focus goes back to the same one (or its same button).
  const focusSpot = roving.focusSpot();
  $("thread-root").replaceChildren(messageItem(thread.root, { root: true }));
  const count = thread.root.reply_count ?? 0;
  $("thread-count").textContent = !thread.loaded ? "Loading replies…" : count === 0 ? "No replies yet" : count === 1 ? "1 reply" : `${count} replies`;
  const pending = actions.pendingFor(thread.roomId).filter((entry) => entry.reply_to === thread.rootId);
  const replies = [...thread.replies.values()].map((reply) => messageItem(reply));
  // Opened from the Threads list: a "New" line above the first reply I had not read.
  let divider = null;
  if (thread.newAfter !== undefined) {
    const first = [...thread.replies.values()].findIndex((reply) => reply.id > thread.newAfter && reply.sender.id !== state.me.id);
    divider = first >= 0 ? el("li", { className: "unread-divider thread-new" }, el("span", { text: "New" })) : null;
    if (divider) replies.splice(first, 0, divider);
  }
  list.replaceChildren(...replies, ...pending.map(pendingItem));
  roving.refocus(focusSpot);
  folds.unfoldWhatFits(scroller);
  roving.rove();
  $("thread-more").hidden = !thread.hasMore;
  // Following: its new replies notify me.
  const followButton = $("thread-follow");
  followButton.hidden = thread.following === null;
  followButton.textContent = thread.following ? "Following" : "Follow";
  followButton.setAttribute("aria-pressed", String(thread.following === true));
  followButton.title = thread.following ? "You hear of every new reply: click to stop" : "Hear of every new reply";
  $("thread-more").disabled = thread.loading;
  // Replies are messages of the room: none in an archived room, nor from a member where only
  // moderators and up post, nor while I am muted there or in a DM with someone I blocked (the
  // room's box says the same).
  const writable = state.room?.closed == null && maySpeak(thread.roomId);
  $("thread-text").disabled = !writable;
  $("thread-send").disabled = !writable;
  $("thread-emoji-open").disabled = !writable;
  const reason = writable ? "" : readOnlyNote(thread.roomId);
  $("thread-text").placeholder = writable ? "Reply…" : reason;
  $("thread-closed-note").textContent = reason;
  $("thread-closed-note").hidden = reason === "";
  if (reason) $("thread-text").setAttribute("aria-describedby", "thread-closed-note");
  else $("thread-text").removeAttribute("aria-describedby");
  // The "New" line comes into view once, when its reply has loaded; after that the panel follows
  // the end as usual.
  if (divider && newShown !== thread) {
    newShown = thread;
    scroller.scrollTop += divider.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
  } else if (follow || atBottom) scroller.scrollTop = scroller.scrollHeight;
}

/// Why the reply box is closed.
function readOnlyNote(roomId) {
  const room = state.rooms.get(roomId);
  if (isArchived(roomId)) return `This ${room?.kind === "group" ? "group" : "room"} is archived: it is read-only.`;
  if (isMuted(roomId)) return mutedNote(state.mutedIn.get(roomId));
  if (blockedDM(roomId)) return `You blocked ${roomName(room)}: unblock them to write here.`;
  if (room && !mayPost(roomId)) return "Only moderators, admins and the owner post in this room.";
  return "";
}

/// Edits a reply in the room's message box. Where the panel lies over that box (a phone, a narrow
/// desktop), the thread steps aside while the edit lasts and comes back once it is saved or
/// cancelled; beside the room it stays open.
function editReply(m) {
  const panel = $("thread-panel").getBoundingClientRect();
  const row = $("composer-row").getBoundingClientRect();
  const covers = panel.left < row.right && panel.right > row.left && panel.top < row.bottom && panel.bottom > row.top;
  if (!covers) {
    callbacks.onEdit(m);
    return;
  }
  // Too late to edit it: said here, as the box with the note is out of sight.
  if (!withinEditTime(m)) {
    toast(editTimeNote());
    return;
  }
  const root = state.thread.root;
  closeThread({ refocus: false });
  callbacks.onEdit(m, { onEnd: () => comeBack(root) });
}

/// Opens again the thread an edit of one of its replies put aside, unless the room changed or a
/// panel was opened meanwhile.
function comeBack(root) {
  if (state.room?.id !== root.room_id || state.thread || !$("members-panel").hidden) return;
  openThread(state.room.messages.get(root.id) ?? root);
}

/// One message of the thread: who, when (a button that shows it in the room), and the text.
function messageItem(m, { root = false } = {}) {
  const created = new Date(m.created_at);
  const item = el("li", {
    className: root ? "thread-message thread-root-message" : "thread-message",
    attrs: { tabindex: "-1" },
    dataset: { message: m.id, key: `m:${m.id}` },
  });
  if (state.blocked.has(m.sender.id) && !m.deleted) {
    item.append(el("p", { className: "text muted", text: "A message from someone you blocked." }));
    return item;
  }
  const meta = el(
    "div",
    { className: "meta" },
    ...messageAuthor(m, callbacks.onPerson),
    button(formatTime(created), {
      className: "link time",
      title: `${formatFull(created)}: show in the conversation`,
      attrs: { "aria-label": `${formatFull(created)}. Show in the conversation` },
      onClick: () => callbacks.onJump(m.id),
    }),
  );
  if (m.edited_at && !m.deleted) {
    meta.append(button("(edited)", { className: "edited link", title: "Show the edit history", onClick: () => openEdits(m) }));
  }
  const tool = (name, label, iconName, onClick) =>
    meta.append(button("", { className: `icon-button small thread-${name}`, icon: icon(iconName), title: label, attrs: { "aria-label": label, "data-action": name }, onClick }));
  // (Nothing new is written in an archived room: no reactions or edits there, but deletions; nor
  // while I am muted there.)
  if (!m.deleted && mayReact(m.room_id)) tool("react", "Add a reaction", "smile", (event) => openReactionPicker(m, event.currentTarget));
  // The sender edits it in the message box (the room's: the reply is one of its messages).
  if (mayEdit(m)) tool("edit", "Edit message", "edit", () => editReply(m));
  // Someone else's reply is reported from here too.
  if (!m.deleted && m.sender.id !== state.me.id) tool("report", "Report message", "flag", () => openReport(m));
  // The sender, and the room's moderators, delete it from here too.
  if (!m.deleted && (m.sender.id === state.me.id || canModerate(m.room_id))) {
    meta.append(
      button("", {
        className: "icon-button small thread-delete", icon: icon("trash"), title: "Delete message",
        attrs: { "aria-label": "Delete message", "data-action": "delete" },
        onClick: async () => {
          const answer = await confirmDialog({ title: "Delete this message?", message: truncate(preview(m), 200), confirm: "Delete" });
          if (answer !== null) actions.remove(m.id).catch(toastError);
        },
      }),
    );
  }
  const body = el("div", { className: "body" }, meta);
  if (m.deleted) body.append(el("p", { className: "text deleted-text", text: "This message was deleted." }));
  else if (m.text) {
    const text = messageText(m, myMarks({ keywords: m.sender.id !== state.me.id }));
    body.append(text);
    const fold = folds.toggle(m, text, item);
    if (fold) body.append(fold);
  }
  if (!m.deleted && m.file) body.append(fileNode(m.file));
  if (!m.deleted && m.poll) body.append(pollNode(m));
  if (!m.deleted && m.forwarded) body.append(forwardedNode(m.forwarded));
  if (!m.deleted && m.previews?.length) body.append(previewsNode(m));
  if (!m.deleted && m.reactions?.length) body.append(reactionBar(m));
  item.append(authorAvatar(m, "avatar small"), body);
  return item;
}

/// A reply of mine not sent yet: queued, sending, waiting for the connection or refused, with Retry
/// (once refused) and Discard as its copy in the room's list has.
function pendingItem(entry) {
  const status = entry.status === "failed" ? "failed" : entry.status === "sending" ? "sending" : entry.waiting ? "waiting" : "queued";
  const text = { failed: `Not sent: ${entry.error}`, sending: "Sending…", waiting: "Waiting for the connection…", queued: "Queued" }[status];
  const body = el(
    "div",
    { className: "body" },
    el("div", { className: "meta" }, el("span", { className: "author", text: state.me.display_name }), el("span", { className: "status", dataset: { status }, text })),
    el("div", { className: "text" }, ...formatMessage(entry.text, myMarks({ keywords: false }))),
  );
  if (status === "failed" || status === "waiting") {
    const tools = el("div", { className: "pending-actions", attrs: { role: "group", "aria-label": "Unsent reply actions" } });
    if (status === "failed") tools.append(button("Retry", { className: "secondary small", onClick: () => actions.retryPending(entry.client_id) }));
    tools.append(button("Discard", { className: "secondary small", onClick: () => actions.discardPending(entry.client_id) }));
    body.append(tools);
  }
  return el(
    "li",
    { className: `thread-message pending ${status}`, attrs: { tabindex: "-1" }, dataset: { clientId: entry.client_id, key: `p:${entry.client_id}` } },
    avatarFor(state.me, "avatar small"),
    body,
  );
}
