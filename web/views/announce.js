// Screen readers hear each new message from someone else in the open room (and each new reply in
// the open thread) once, from one hidden polite region: the message lists are not live regions,
// since their items are rebuilt on every reaction, edit, send state or reply count.
import { $ } from "/dom.js";
import { actionText, preview } from "/markup.js";
import { isOpen, on, state } from "/state.js";

const MAX = 200;
/// Ids already read out (a reply shows in the room and its thread: it is heard once).
const announced = new Set();

export function initAnnouncer() {
  on("roomMessage", ({ type, message }) => {
    if (type !== "message.created" || announced.has(message.id)) return;
    if (message.sender.id === state.me?.id && !message.webhook) return;
    if (message.deleted || state.blocked.has(message.sender.id)) return;
    const thread = state.thread;
    const inThread = thread && thread.roomId === message.room_id && message.reply_to === thread.rootId;
    if (!inThread && !isOpen(message.room_id)) return;
    if (announced.size > 2000) announced.clear();
    announced.add(message.id);
    // As shown, not as typed: no ** or backticks, a named link's label (and emoji pictures' names).
    // ("/me waves" is shown, and read, as "Ann waves".)
    const said = (message.text && preview(message)) || message.poll?.question || message.file?.name || "";
    const text = said.length > MAX ? `${said.slice(0, MAX)}…` : said;
    $("announcer").textContent = actionText(message.text) !== null ? text : `${message.sender.display_name}: ${text}`;
  });
}

/// Reads `text` out once from the same polite region (a change of mode, as the message box's).
export function announce(text) {
  $("announcer").textContent = text;
}
