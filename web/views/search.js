// Searching messages: a dialog with the query, the scope (all my rooms or the open one), who sent
// them (anyone, or one person), results newest first with the words found highlighted, and more on
// demand. Picking a result opens its room and scrolls to the message.
import { Messages } from "/api.js";
import { $, button, el, messageEntry } from "/dom.js";
import { authorName, dayLabel, formatTime, roomLabel, roomName, truncate } from "/format.js";
import { icon } from "/icons.js";
import { preview } from "/markup.js";
import { state } from "/state.js";
import { showError, userSearch } from "/views/dialogs.js";

const PAGE = 20;
let navigate = () => {};
/// The search shown: its query and scope, the results so far, and whether more lie beyond them.
let current = null;
let timer = null;
let controller = null;
/// The sender the search is limited to, or null for anyone.
let from = null;

export function initSearch({ onNavigate }) {
  navigate = onNavigate;
  $("search-open").append(icon("search"));
  $("search-open").addEventListener("click", openSearch);
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  $("search-input").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 300);
  });
  // Enter searches again at once, the words changed or not (for what was posted since). The form
  // does not submit itself on Enter: it has two text boxes and no submit button.
  $("search-input").addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    event.preventDefault();
    run();
  });
  $("search-scope").addEventListener("change", run);
  $("search-has").addEventListener("change", run);
  $("search-when").addEventListener("change", run);
  userSearch({
    input: $("search-from-input"),
    results: $("search-from-results"),
    onPick: (user) => {
      setFrom(user);
      $("search-input").focus();
    },
  });
  $("search-more").addEventListener("click", () => run({ more: true }));
  // Ctrl+Shift+F (⌘⇧F) opens search from anywhere in the chat (Ctrl+K jumps to a conversation).
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.shiftKey && event.key.toLowerCase() === "f" && !$("chat").hidden && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      openSearch();
    }
  });
}

export function openSearch() {
  const room = state.room && !state.room.closed ? state.rooms.get(state.room.id) : null;
  const scope = $("search-scope");
  scope.options[1].disabled = !room;
  scope.options[1].textContent = room ? `Only ${room.kind === "dm" ? "this conversation" : roomName(room)}` : "Only this room";
  if (!room) scope.value = "all";
  $("search-dialog").showModal();
  $("search-input").select();
  if (!$("search-input").value.trim()) render();
}

/// Limits the search to one sender (or, with null, to nobody in particular) and searches again.
function setFrom(user) {
  from = user;
  const chosen = $("search-from-chosen");
  chosen.hidden = !user;
  $("search-from-input").hidden = Boolean(user);
  $("search-from-input").value = "";
  chosen.replaceChildren();
  if (user) {
    const clear = button("", {
      className: "icon-button small",
      icon: icon("x"),
      attrs: { "aria-label": `Search messages from anyone, not only ${user.display_name}` },
      onClick: () => {
        setFrom(null);
        $("search-from-input").focus();
      },
    });
    chosen.append(el("span", { className: "chip" }, el("span", { text: `${user.display_name} (@${user.username})` }), clear));
  }
  run();
}

/// The start of the chosen time span (local midnight, so "Today" is today), or undefined.
function since() {
  const days = Number($("search-when").value);
  if (!days) return undefined;
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  start.setDate(start.getDate() - (days - 1));
  return start.toISOString();
}

/// Searches for what the box says (from the start, or the next page with `more`).
async function run({ more = false } = {}) {
  clearTimeout(timer);
  const q = $("search-input").value.trim();
  const room = $("search-scope").value === "room" ? state.room?.id ?? null : null;
  showError("search-error", null);
  controller?.abort();
  if (!q) {
    current = null;
    render();
    return;
  }
  const before = more && current ? current.messages.at(-1)?.id : undefined;
  controller = new AbortController();
  const { signal } = controller;
  $("search-results").setAttribute("aria-busy", "true");
  try {
    const page = await Messages.search({ q, room, from: from?.id, before, has: $("search-has").value || undefined, since: since(), limit: PAGE }, { signal });
    const messages = more && current ? [...current.messages, ...page.messages] : page.messages;
    current = { q, messages, hasMore: page.has_more };
    render();
  } catch (error) {
    if (error.name === "AbortError") return;
    if (error.code === "invalid_query") {
      // The server says how long a word must be (its full-text index decides).
      current = { q, messages: [], hasMore: false, unsearchable: error.message };
      render();
    } else {
      showError("search-error", error);
    }
  } finally {
    if (!signal.aborted) $("search-results").removeAttribute("aria-busy");
  }
}

function render() {
  const list = $("search-results");
  $("search-more").hidden = !current?.hasMore;
  if (!current) {
    list.replaceChildren(el("li", { className: "muted", text: "Type words to find in your rooms' messages." }));
    $("search-status").textContent = "";
    return;
  }
  const count = current.messages.length;
  $("search-status").textContent = current.unsearchable
    ? current.unsearchable
    : count === 0 ? "No messages found." : `${count}${current.hasMore ? "+" : ""} ${count === 1 ? "message" : "messages"} found.`;
  list.replaceChildren(...current.messages.map((message) => resultNode(message, current.q)));
}

function resultNode(message, q) {
  const room = state.rooms.get(message.room_id);
  const created = new Date(message.created_at);
  const where = roomLabel(room);
  return messageEntry({
    className: "search-result",
    buttonDataset: { id: message.id, room: message.room_id },
    meta: [el("strong", { text: authorName(message) }), el("span", { className: "muted", text: `${where} · ${dayLabel(created)} ${formatTime(created)}` })],
    body: el(
      "span",
      { className: "search-text" },
      // One line without the formatting marks, as saved messages and threads show it.
      ...highlighted(message.text ? truncate(preview(message), 300) : "", q),
      // A file is found by its name too: shown (and marked) under the caption.
      message.file ? el("span", { className: "search-file" }, "📎 ", ...highlighted(message.file.name, q)) : null,
    ),
    onOpen: () => show(message),
  });
}

/// The text with every word that starts like a searched word in `<mark>` (as text nodes, never HTML).
function highlighted(text, q) {
  const words = q.toLocaleLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return [text];
  const escaped = words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join("|")})[\\p{L}\\p{N}]*`, "giu");
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    nodes.push(text.slice(last, match.index), el("mark", { text: match[0] }));
    last = match.index + match[0].length;
  }
  nodes.push(text.slice(last));
  return nodes.filter((node) => node !== "");
}

/// Opens the message's room (if it is not the open one) and scrolls to the message, through its link.
function show(message) {
  $("search-dialog").close();
  navigate(message.room_id, { message: message.id });
}
