// The emoji picker, as Slack's, Mattermost's and Zulip's: a search field, the ones I picked lately,
// every named emoji by group and the site's custom emoji. From the message boxes (the room's and a
// thread's) a pick goes into the box at the caret (a custom one as ":name:", which messages draw as
// its picture); from a message's reactions ("+") it reacts. Then the picker closes; Shift+click or
// Shift+Enter keeps it open for more. Escape, the button again, a click elsewhere or the focus leaving it closes it.
// Arrow keys move through the grid. An emoji typed or pasted into the search (one with no name
// here) is offered as it is. The hand beside the search sets my skin tone (as Slack's does): the
// hands and people here, and those I picked lately, show and go in that tone, on all my devices.
import * as actions from "/actions.js";
import { customEmoji, customEmojiImage } from "/customemoji.js";
import { $, el } from "/dom.js";
import { SKIN_TONES as TONES, TONE_HAND as HAND, emojiGroups, emojiSuggestions, toned } from "/emoji.js";
import { icon } from "/icons.js";
import { on, state } from "/state.js";
import { toastError } from "/views/toast.js";

const RECENT_KEY = "parley.recentEmoji";
const RECENT_MAX = 16;
/// Each cell's emoji: { name, emoji, custom }.
const entries = new WeakMap();

/// Where picks go while it is open: `{ box }` (a textarea) or `{ onPick, returnFocus }`; the button
/// that opened it and where that was.
let target = null;
let opener = null;
let anchorRect = null;

export function initEmojiPicker() {
  for (const [buttonId, boxId] of [["emoji-open", "composer-text"], ["thread-emoji-open", "thread-text"]]) {
    const opening = $(buttonId);
    opening.append(icon("smile"));
    opening.addEventListener("click", () => (target?.box === $(boxId) ? close() : open(opening, { box: $(boxId) })));
  }
  const picker = $("emoji-picker");
  $("emoji-search").addEventListener("input", () => {
    render();
    $("emoji-results").scrollTop = 0;
  });
  picker.addEventListener("keydown", onKey);
  $("emoji-results").addEventListener("focusin", rove);
  $("emoji-tone").addEventListener("click", () => showTones($("emoji-tones").hidden));
  paintTone();
  // Set here or on another device: the picker follows at once.
  on("skinTone", () => {
    paintTone();
    if (target) render();
  });
  document.addEventListener("pointerdown", (event) => {
    if (target && !picker.contains(event.target) && !opener?.contains(event.target)) close({ refocus: false });
  });
  // Tabbing (or otherwise moving the focus) out of it closes it too, as a click elsewhere does; not
  // to its own button (whose click toggles it). Focus lost to nothing (a cell re-rendered, Tab past
  // the page's end) is looked at once things settle: only if it is not back inside does it close. A
  // click on its background focuses the picker itself, so that is not leaving either.
  picker.tabIndex = -1;
  picker.addEventListener("focusout", (event) => {
    const to = event.relatedTarget;
    if (!target || (to && (picker.contains(to) || opener?.contains(to)))) return;
    if (to) close({ refocus: false });
    else setTimeout(() => target && !picker.contains(document.activeElement) && close({ refocus: false }));
  });
  window.addEventListener("resize", () => target && place());
}

/// The emoji I picked here lately, newest first: [{ name, emoji }] (a custom one by its name alone).
function recent() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]");
    return Array.isArray(list) ? list.filter((entry) => typeof entry?.emoji === "string").slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

/// Logging out: the emoji I used lately are mine, not the next person's on this browser.
export const forgetRecentEmoji = () => localStorage.removeItem(RECENT_KEY);

function remember(entry) {
  const list = [entry, ...recent().filter((each) => each.emoji !== entry.emoji)].slice(0, RECENT_MAX);
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(list));
  } catch {
    // Private windows may refuse; the picker works without the list.
  }
}

/// Opens the picker at `anchor` for another use than a box: `onPick(emoji)` gets each pick (a custom
/// one as ":name:"); closing gives the focus to `returnFocus`.
export function openEmojiPicker(anchor, { onPick, returnFocus = null }) {
  open(anchor, { onPick, returnFocus });
}

function open(button, destination) {
  if (destination.box?.disabled) return;
  target = destination;
  opener = button;
  anchorRect = button.getBoundingClientRect();
  opener.setAttribute("aria-expanded", "true");
  $("emoji-search").value = "";
  showTones(false);
  render();
  $("emoji-picker").hidden = false;
  $("emoji-results").scrollTop = 0;
  place();
  $("emoji-search").focus();
}

function close({ refocus = true } = {}) {
  if (!target) return;
  const { box, returnFocus } = target;
  target = null;
  opener?.setAttribute("aria-expanded", "false");
  opener = null;
  $("emoji-picker").hidden = true;
  if (!refocus) return;
  if (box && !box.disabled) box.focus();
  else if (returnFocus?.isConnected) returnFocus.focus({ preventScroll: true });
}

/// The tone button shows a hand in my tone.
function paintTone() {
  $("emoji-tone").textContent = toned(HAND);
  $("emoji-tone").setAttribute("aria-label", `Skin tone: ${TONES[state.skinTone].toLowerCase()}`);
  $("emoji-tone").title = `Skin tone: ${TONES[state.skinTone].toLowerCase()}`;
  for (const [level, node] of [...$("emoji-tones").children].entries()) node.setAttribute("aria-pressed", String(level === state.skinTone));
}

/// Opens (or closes) the row of tones under the search, focused on the tone I have.
function showTones(shown) {
  const row = $("emoji-tones");
  $("emoji-tone").setAttribute("aria-expanded", String(shown));
  row.hidden = !shown;
  if (!shown) return;
  row.replaceChildren(
    ...TONES.map((label, level) =>
      el("button", {
        text: toned(HAND, level),
        attrs: { type: "button", title: label, "aria-label": label, "aria-pressed": String(level === state.skinTone) },
        on: { click: () => chooseTone(level) },
      }),
    ),
  );
  row.children[state.skinTone].focus();
}

function chooseTone(level) {
  showTones(false);
  $("emoji-tone").focus();
  if (level !== state.skinTone) actions.setSkinTone(level).catch(toastError);
}

/// Above the button that opened it, kept inside the window.
function place() {
  const picker = $("emoji-picker");
  // (Where the button was: one in a message's small reaction menu is gone once this opens.)
  const anchor = opener.isConnected ? opener.getBoundingClientRect() : anchorRect;
  const width = picker.offsetWidth;
  const height = picker.offsetHeight;
  const left = Math.max(8, Math.min(anchor.right - width, window.innerWidth - width - 8));
  const above = anchor.top - height - 6;
  picker.style.left = `${left}px`;
  picker.style.top = `${above >= 8 ? above : Math.min(anchor.bottom + 6, window.innerHeight - height - 8)}px`;
}

/// What the picker offers: [{ label, emoji: [{ name, emoji, custom }] }], narrowed by the search.
function sections() {
  const customs = [...customEmoji.values()].sort((a, b) => a.name.localeCompare(b.name)).map(({ name }) => ({ name, emoji: `:${name}:`, custom: true }));
  const raw = $("emoji-search").value.trim();
  const typed = raw.toLowerCase().replace(/^:|:$/gu, "");
  if (typed) {
    // An emoji itself (typed, pasted or from the system's emoji keyboard), as it is.
    const itself = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(raw) && !/[\p{L}\p{N}\s]/u.test(raw) ? [{ name: raw, emoji: raw, typed: true }] : [];
    const found = [
      ...itself,
      ...emojiSuggestions(typed, 200),
      ...customs.filter(({ name }) => name.startsWith(typed) || name.split(/[_+-]/u).some((word) => word.startsWith(typed))),
    ];
    return [{ label: "Search results", emoji: found }];
  }
  const lately = recent()
    .filter((entry) => !entry.custom || customEmoji.has(entry.name))
    .map((entry) => (entry.custom ? entry : { ...entry, emoji: toned(entry.emoji) }));
  return [
    ...(lately.length ? [{ label: "Recently used", emoji: lately }] : []),
    ...emojiGroups(),
    ...(customs.length ? [{ label: "Custom", emoji: customs }] : []),
  ];
}

function render() {
  const list = sections();
  const cells = list.flatMap(({ label, emoji }) => [
    el("h3", { className: "emoji-group", text: label }),
    el("div", { className: "emoji-grid", attrs: { role: "group", "aria-label": label } }, ...emoji.map(cell)),
  ]);
  const none = list.every(({ emoji }) => emoji.length === 0);
  $("emoji-results").replaceChildren(...(none ? [el("p", { className: "muted emoji-none", text: "No emoji by that name." })] : cells));
  // One Tab stop for the whole grid (the arrows move within it), the cell last focused: Tab went
  // through every emoji, hundreds of stops (a hunt).
  $("emoji-results").querySelectorAll(".emoji-cell").forEach((node, index) => (node.tabIndex = index === 0 ? 0 : -1));
}

/// The grid's Tab stop follows the focus.
function rove(event) {
  const cell = event.target.closest?.(".emoji-cell");
  if (!cell || cell.tabIndex === 0) return;
  for (const node of $("emoji-results").querySelectorAll('.emoji-cell[tabindex="0"]')) node.tabIndex = -1;
  cell.tabIndex = 0;
}

function cell(entry) {
  const node = el(
    "button",
    {
      className: "emoji-cell",
      attrs: { type: "button", title: entry.typed ? entry.emoji : `:${entry.name}:`, "aria-label": entry.typed ? entry.emoji : `:${entry.name}:` },
      dataset: { emoji: entry.emoji },
      on: { click: (event) => pick(entry, { keepOpen: event.shiftKey })?.focus() },
    },
    entry.custom ? customEmojiImage(entry.name, "custom-emoji") : entry.emoji,
  );
  entries.set(node, entry);
  return node;
}

/// Puts the emoji in the box at the caret (a custom one's name with spaces around, so it stands
/// alone). Kept open, the picker shows it among the recent ones; returns where the focus goes then.
function pick(entry, { keepOpen = false } = {}) {
  if (!target) return null;
  const { box, onPick } = target;
  if (box) {
    if (box.disabled) return null;
    const text = entry.custom ? `:${entry.name}: ` : entry.emoji;
    const { selectionStart: start, selectionEnd: end } = box;
    const before = box.value.slice(0, start);
    const lead = entry.custom && before && !/\s$/u.test(before) ? " " : "";
    box.setRangeText(lead + text, start, end, "end");
    // The box's own listeners (its height, the draft, typing) hear it as typing.
    box.dispatchEvent(new Event("input", { bubbles: true }));
  } else {
    onPick(entry.emoji);
  }
  // (A typed one is not remembered: it may not be an emoji at all.)
  if (!entry.typed) remember({ name: entry.name, emoji: entry.emoji, ...(entry.custom ? { custom: true } : {}) });
  if (keepOpen) {
    const search = document.activeElement === $("emoji-search");
    render();
    // The emoji's own cell, not its new copy among the recent ones.
    const same = [...$("emoji-results").querySelectorAll(".emoji-cell")].filter((node) => node.dataset.emoji === entry.emoji);
    return search ? $("emoji-search") : same.at(-1) ?? null;
  }
  close();
  return null;
}

function onKey(event) {
  const cells = [...$("emoji-results").querySelectorAll(".emoji-cell")];
  const index = cells.indexOf(document.activeElement);
  const focus = (node) => {
    event.preventDefault();
    node?.focus();
  };
  const tones = [...$("emoji-tones").children];
  const tone = tones.indexOf(document.activeElement);
  if (event.key === "Escape" && tone >= 0) {
    // The row of tones closes first, then the picker.
    event.preventDefault();
    event.stopPropagation();
    showTones(false);
    $("emoji-tone").focus();
  } else if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    close();
  } else if (tone >= 0) {
    if (event.key === "ArrowRight") focus(tones[Math.min(tone + 1, tones.length - 1)]);
    else if (event.key === "ArrowLeft") focus(tones[Math.max(tone - 1, 0)]);
  } else if (event.target === $("emoji-search")) {
    if (event.key === "ArrowDown") focus(cells[0]);
    else if (event.key === "Enter") {
      // The first found, as the search narrows to one.
      event.preventDefault();
      if (cells[0]) pick(entries.get(cells[0]), { keepOpen: event.shiftKey });
    }
  } else if (index >= 0) {
    if (event.key === "ArrowRight") focus(cells[Math.min(index + 1, cells.length - 1)]);
    else if (event.key === "ArrowLeft") focus(cells[Math.max(index - 1, 0)]);
    else if (event.key === "ArrowDown" || event.key === "ArrowUp") focus(nextRow(cells, index, event.key === "ArrowDown") ?? (event.key === "ArrowUp" ? $("emoji-search") : null));
    else if (event.key === "Enter") focus(pick(entries.get(cells[index]), { keepOpen: event.shiftKey }));
  }
}

/// The cell of the row below (or above) nearest under (or over) cell `index`: groups' rows differ in length.
function nextRow(cells, index, down) {
  const top = (node) => node.getBoundingClientRect().top;
  const here = cells[index].getBoundingClientRect();
  const beyond = cells.filter((node) => (down ? top(node) > here.top + 2 : top(node) < here.top - 2));
  if (beyond.length === 0) return null;
  const rowTop = down ? Math.min(...beyond.map(top)) : Math.max(...beyond.map(top));
  const row = beyond.filter((node) => Math.abs(top(node) - rowTop) < 2);
  const distance = (node) => Math.abs(node.getBoundingClientRect().left - here.left);
  return row.reduce((best, node) => (distance(node) < distance(best) ? node : best));
}
