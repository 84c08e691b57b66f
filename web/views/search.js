// Searching messages: a dialog with the query, the scope (all my rooms or the open one), who sent
// them (anyone, or one person), results newest first with the words found highlighted, and more on
// demand. Picking a result opens its room and scrolls to the message. While it is open, the results
// follow the messages' edits and deletions (a deleted one stays as a tombstone, as in the saved list).
import { Messages } from "/api.js";
import { $, button, el, messageEntry } from "/dom.js";
import { authorName, dayLabel, formatTime, roomLabel, roomName, truncate } from "/format.js";
import { icon } from "/icons.js";
import { preview } from "/markup.js";
import { on, state, UNSPACED_CLASS } from "/state.js";
import { showError, userSearch } from "/views/dialogs.js";

const PAGE = 20;
let navigate = () => {};
/// The search shown: its query, the room it was limited to (null: all my rooms), what it was asked
/// with in all (`asked`), the results so far, and whether more lie beyond them.
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
  on("roomMessage", ({ type, message }) => {
    if (type === "message.created" || !current?.messages.some((found) => found.id === message.id)) return;
    // An edit shows its new words (found or not, the message was); nothing brings a deleted one back.
    const follow = (found) => (found.id === message.id && !found.deleted ? message : found);
    current = { ...current, messages: current.messages.map(follow) };
    render();
  });
  on("blocks", () => current && render());
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
  // Limited to "this" room, which is another one now (or to none): the results shown are not this
  // search's, so they go at once and it runs again.
  if (!$("search-input").value.trim()) render();
  else if (current?.room !== scopedRoom()) {
    current = null;
    $("search-results").replaceChildren();
    $("search-status").textContent = "";
    $("search-more").hidden = true;
    run();
  }
}

/// The room the scope limits the search to (the open one), or null for all my rooms.
const scopedRoom = () => ($("search-scope").value === "room" ? state.room?.id ?? null : null);

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
  const room = scopedRoom();
  showError("search-error", null);
  controller?.abort();
  if (!q) {
    current = null;
    render();
    return;
  }
  const has = $("search-has").value || undefined;
  const asked = JSON.stringify([q, room, from?.id, has, $("search-when").value]);
  // More pages the list shown only if it is this search's; words changed since (not searched yet,
  // the pause after typing not over) start a fresh one rather than add another search's results.
  const paging = more && current?.asked === asked && !current.unsearchable;
  const before = paging ? current.messages.at(-1)?.id : undefined;
  controller = new AbortController();
  const { signal } = controller;
  $("search-results").setAttribute("aria-busy", "true");
  try {
    const page = await Messages.search({ q, room, from: from?.id, before, has, since: since(), limit: PAGE }, { signal });
    const messages = paging ? [...current.messages, ...page.messages] : page.messages;
    current = { q, room, asked, messages, hasMore: page.has_more };
    render();
  } catch (error) {
    if (error.name === "AbortError") return;
    if (error.code === "invalid_query") {
      // The server says how long a word must be (its full-text index decides).
      current = { q, room, asked, messages: [], hasMore: false, unsearchable: error.message };
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
  // Messages deleted since they were found still show (as such) but are no longer counted.
  const count = current.messages.filter((message) => !message.deleted).length;
  $("search-status").textContent = current.unsearchable
    ? current.unsearchable
    : count === 0 ? "No messages found." : `${count}${current.hasMore ? "+" : ""} ${count === 1 ? "message" : "messages"} found.`;
  list.replaceChildren(...current.messages.map((message) => resultNode(message, current.q)));
}

function resultNode(message, q) {
  const room = state.rooms.get(message.room_id);
  const created = new Date(message.created_at);
  const where = roomLabel(room);
  // As the timeline folds them: a message from someone I blocked shows neither its words nor its file.
  const folded = message.deleted ? "This message was deleted." : state.blocked.has(message.sender.id) ? "A message from someone you blocked." : null;
  return messageEntry({
    className: "search-result",
    buttonDataset: { id: message.id, room: message.room_id },
    meta: [el("strong", { text: authorName(message) }), el("span", { className: "muted", text: `${where} · ${dayLabel(created)} ${formatTime(created)}` })],
    body: folded ? el("span", { className: "search-text muted", text: folded }) : el(
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

/// The text with what the server's search matched in `<mark>` (as text nodes, never HTML): every word
/// that starts like a searched word, and a searched run of Chinese or Japanese anywhere, compared as
/// the server's collation does (see `fold`).
function highlighted(text, q) {
  const pattern = searchPattern(q);
  if (!pattern || !text) return text ? [text] : [];
  const { folded, starts, ends } = foldWithOrigins(text);
  const nodes = [];
  let last = 0;
  for (const match of folded.matchAll(pattern)) {
    if (match[0] === "") continue;
    const from = Math.max(starts[match.index], last);
    const after = match.index + match[0].length;
    // Through the end of the last character matched and any accents that follow it.
    const to = Math.max(ends[after - 1], after < folded.length ? starts[after] : text.length);
    if (to <= from) continue;
    nodes.push(text.slice(last, from), el("mark", { text: text.slice(from, to) }));
    last = to;
  }
  nodes.push(text.slice(last));
  return nodes.filter((node) => node !== "");
}

/// A letter, digit or mark that continues a word (Chinese and Japanese characters each start one).
const JOINING = `(?!${UNSPACED_CLASS})[\\p{L}\\p{N}\\p{M}]`;
const UNSPACED_RUN = new RegExp(`${UNSPACED_CLASS}+`, "gu");

/// What the server searches for in `q`, to find in folded text: its words (runs of letters and
/// digits) split as `SearchQuery` splits them, a run of Chinese or Japanese matched anywhere and
/// each other part as the start of a word; the longest first. Parts of one character, which the
/// server leaves out (no index holds them), are left out. Null when nothing is left.
function searchPattern(q) {
  const parts = new Set();
  for (const word of fold(q).match(/[\p{L}\p{N}\p{M}]+/gu) ?? []) {
    let plainFrom = 0;
    const plain = (end) => {
      const part = word.slice(plainFrom, end);
      if ([...part].length >= 2) parts.add(`(?<!${JOINING})${escape(part)}${JOINING}*`);
    };
    for (const run of word.matchAll(UNSPACED_RUN)) {
      plain(run.index);
      if ([...run[0]].length >= 2) parts.add(escape(run[0]));
      plainFrom = run.index + run[0].length;
    }
    plain(word.length);
  }
  if (parts.size === 0) return null;
  return new RegExp([...parts].sort((a, b) => b.length - a.length).join("|"), "gu");
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/// Accents (Latin, Greek, Cyrillic…) and kana's voicing marks, which the server's comparison ignores.
const IGNORED_MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a]/gu;
/// Letters the server's collation (utf8mb4_unicode_ci) takes as others beyond case and accents.
const EXPANSIONS = { "ß": "ss", "œ": "oe", "ς": "σ" };

/// Text as the server's search compares it: compatibility forms as their plain letters (ｆｕｌｌ,
/// ﬁ), without accents, katakana as hiragana, lowercase (café, CAFE and ｃａｆｅ are all "cafe";
/// İstanbul is "istanbul").
function fold(text) {
  return text
    .normalize("NFKD")
    .replace(IGNORED_MARKS, "")
    .normalize("NFC")
    .toLowerCase()
    .replace(/[\u30a1-\u30f6]/gu, (kana) => String.fromCharCode(kana.charCodeAt(0) - 0x60))
    .replace(/[ßœς]/gu, (letter) => EXPANSIONS[letter]);
}

/// `text` folded character by character, with where each unit of the folded text came from in
/// `text`: `starts[i]` and `ends[i]`, the bounds of the character it is part of.
function foldWithOrigins(text) {
  let folded = "";
  const starts = [];
  const ends = [];
  let index = 0;
  for (const character of text) {
    const part = fold(character);
    folded += part;
    for (let unit = 0; unit < part.length; unit += 1) {
      starts.push(index);
      ends.push(index + character.length);
    }
    index += character.length;
  }
  return { folded, starts, ends };
}

/// Opens the message's room (if it is not the open one) and scrolls to the message, through its link.
function show(message) {
  $("search-dialog").close();
  navigate(message.room_id, { message: message.id });
}
