// Threads: the threads I follow (my messages' threads, those I replied or was mentioned in, those I
// followed by hand), the latest reply first, as Slack's "Threads" and Mattermost's collapsed threads
// list them. The button in the room header counts those with unread replies; each entry opens its
// room with the thread beside it, which reads it (actions.readOpenThread). Kept in step live.
import * as actions from "/actions.js";
import { $, el, messageEntry } from "/dom.js";
import { authorName, dayLabel, formatTime, roomLabel, truncate } from "/format.js";
import { icon } from "/icons.js";
import { preview } from "/markup.js";
import { on, state, threads } from "/state.js";
import { showError } from "/views/dialogs.js";
import { toastError } from "/views/toast.js";

let navigate = () => {};
let openThread = () => {};

export function initThreads({ onNavigate, onOpenThread }) {
  navigate = onNavigate;
  openThread = onOpenThread;
  $("threads-open").append(icon("chat"), el("span", { className: "count", attrs: { "aria-hidden": "true" } }));
  $("threads-open").addEventListener("click", openThreads);
  $("threads-more").addEventListener("click", () => load({ more: true }));
  $("threads-read-all").addEventListener("click", () => actions.readAllThreads().catch((error) => showError("threads-error", error)));
  on("threads", render);
  $("threads-dialog").addEventListener("close", () => {
    threads.shown = false;
  });
  on("rooms", () => $("threads-dialog").open && render());
  on("blocks", render);
}

export function openThreads() {
  showError("threads-error", null);
  threads.shown = true;
  // Rendered first: a "Mark all read" left shown from before took the focus and then hid, leaving
  // it on the page (a hunt), where every other list dialog puts it inside.
  $("threads-dialog").showModal();
  render();
  keepFocusInside();
  load();
}

/// The focus stays in the open dialog when what held it is re-rendered or hidden: on the same
/// thread's entry again, else on the first entry, else on Close.
function keepFocusInside(focusedRoot = null) {
  const dialog = $("threads-dialog");
  if (!dialog.open || (dialog.contains(document.activeElement) && document.activeElement.offsetParent !== null)) return;
  const same = focusedRoot && dialog.querySelector(`#threads-list li[data-message="${focusedRoot}"] button`);
  (same ?? dialog.querySelector("#threads-list li button") ?? dialog.querySelector("[data-close]")).focus();
}

async function load({ more = false } = {}) {
  try {
    await actions.loadThreads({ more });
  } catch (error) {
    showError("threads-error", error);
  }
}

function render() {
  const unread = threads.unread;
  $("threads-open").classList.toggle("has-new", unread > 0);
  $("threads-open").querySelector(".count").textContent = unread > 0 ? (unread > 99 ? "99+" : String(unread)) : "";
  const label = unread > 0 ? `Threads (${unread} with new replies)` : "Threads";
  $("threads-open").setAttribute("aria-label", label);
  $("threads-open").title = label;
  if (!$("threads-dialog").open) return;
  // Threads of rooms I have left since the list loaded are left out until it loads again.
  const entries = threads.entries.filter((entry) => state.rooms.has(entry.root.room_id));
  $("threads-more").hidden = !threads.hasMore;
  $("threads-read-all").hidden = unread === 0;
  $("threads-status").textContent = !threads.loaded
    ? "Loading…"
    : entries.length === 0
      ? "No threads yet. Threads of your messages, and those you reply or are mentioned in, show here."
      : "";
  const focusedRoot = document.activeElement?.closest?.("#threads-list li")?.dataset.message ?? null;
  $("threads-list").replaceChildren(...entries.map(entryNode));
  keepFocusInside(focusedRoot);
}

function entryNode({ root, last_reply: last, unread_replies: unread, read_up_to: readUpTo }) {
  const room = state.rooms.get(root.room_id);
  const when = new Date(last.created_at);
  const blocked = state.blocked.has(last.sender.id);
  const rootText = root.deleted ? "This message was deleted." : truncate(preview(root), 200);
  const lastText = blocked ? "A reply from someone you blocked." : truncate(preview(last), 200);
  const replies = root.reply_count === 1 ? "1 reply" : `${root.reply_count} replies`;
  const meta = [
    el("strong", { text: roomLabel(room) }),
    el("span", { className: "muted", text: `· ${replies} · last ${dayLabel(when)} ${formatTime(when)}` }),
  ];
  if (unread > 0) meta.push(el("span", { className: "badge thread-unread", text: unread === 1 ? "1 new" : `${unread} new` }));
  return messageEntry({
    className: `search-result thread-entry${unread > 0 ? " new" : ""}`,
    dataset: { message: root.id, unread },
    meta,
    body: el(
      "span",
      { className: "thread-entry-body" },
      el("span", { className: root.deleted ? "search-text muted" : "search-text" }, el("strong", { text: `${authorName(root)}: ` }), rootText),
      el("span", { className: "search-text thread-last muted" }, el("strong", { text: `${authorName(last)}: ` }), lastText),
    ),
    onOpen: () => {
      $("threads-dialog").close();
      openThreadAt(root, { newAfter: unread > 0 ? readUpTo : undefined });
    },
  });
}

/// Opens the thread's room (at its first message) and then the thread beside it (`root`: its first
/// message, or just its `id` and `room_id`); `newAfter`: the replies after it show as new.
export async function openThreadAt(root, { newAfter } = {}) {
  navigate(root.room_id, { message: root.id });
  const deadline = Date.now() + 10_000;
  while (state.room?.id !== root.room_id || !state.room.messages?.has(root.id)) {
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  openThread(state.room.messages.get(root.id));
  if (newAfter !== undefined) actions.showThreadNew(root.id, newAfter).catch(toastError);
}
