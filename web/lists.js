// Lists as they are typed: Shift+Enter on a list item's line starts the next item (the same
// bullet, or the next number, at the same indent); on an item with no text yet it ends the list,
// taking the marker away. Tab on an item nests it in the item above, Shift+Tab takes it out a
// level. What the message box and a thread's reply box share.

import { width } from "/markup.js";

/// A line that is a list item, with or without text yet: indent, marker (a bullet, or a number and
/// its `.` or `)`), the space after it, and the text.
const ITEM_LINE = /^([ \t]*)(?:([-*+])|(\d{1,9})([.)]))([ \t]+)(.*)$/u;

/// Handles Shift+Enter in `box` (a textarea) on a list item; true when it did (the event is then
/// cancelled), false to leave the key to the box.
export function continueList(box, event) {
  if (event.key !== "Enter" || !event.shiftKey || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return false;
  const { value, selectionStart: start, selectionEnd: end } = box;
  if (start !== end) return false;
  const lineStart = value.lastIndexOf("\n", start - 1) + 1;
  const lineEnd = value.indexOf("\n", start) === -1 ? value.length : value.indexOf("\n", start);
  const item = ITEM_LINE.exec(value.slice(lineStart, lineEnd));
  // Only past the marker: a Shift+Enter before it is a new line like any other.
  if (!item || start - lineStart < item[0].length - item[6].length) return false;
  event.preventDefault();
  const [, indent, bullet, number, closer, space, text] = item;
  if (!text.trim()) {
    // An empty item ends the list: the marker goes, the caret stays on the now empty line.
    replaceAsTyped(box, lineStart, lineEnd, "");
    return true;
  }
  const next = bullet ?? `${Number(number) + 1}${closer}`;
  replaceAsTyped(box, start, start, `\n${indent}${next}${space}`);
  return true;
}

/// How far an item may be indented: five levels, two spaces apart, as messages nest lists.
const DEEPEST = 8;

/// Handles Tab and Shift+Tab in `box` on a list item's line: Tab indents it two spaces, nesting it
/// in the item above (not past that item's own list nested once more, nor five levels); Shift+Tab
/// takes two spaces away. A number becomes the next one at its new level (1 when it is the first
/// there). True when it did (the event is then cancelled); anywhere else, and where an item cannot
/// move, Tab is left to move the focus as ever.
export function indentList(box, event) {
  if (event.key !== "Tab" || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return false;
  const { value, selectionStart: start, selectionEnd: end } = box;
  const lineStart = value.lastIndexOf("\n", start - 1) + 1;
  if (value.slice(lineStart, end).includes("\n")) return false;
  const lineEnd = value.indexOf("\n", start) === -1 ? value.length : value.indexOf("\n", start);
  const item = ITEM_LINE.exec(value.slice(lineStart, lineEnd));
  if (!item) return false;
  const [, indent, bullet, number, closer, space, text] = item;
  const above = lineStart === 0 ? [] : value.slice(0, lineStart - 1).split("\n").reverse();
  const from = width(indent);
  let to;
  if (event.shiftKey) {
    if (from === 0) return false;
    to = Math.max(0, from - 2);
  } else {
    const parent = ITEM_LINE.exec(above[0] ?? "");
    to = from + 2;
    if (!parent || to > width(parent[1]) + 2 || to > DEEPEST) return false;
  }
  event.preventDefault();
  let marker = bullet;
  if (!bullet) {
    // The item before it at its new level, up to the list it is in (a line outside the list ends the search).
    let previous = null;
    for (const line of above) {
      const other = ITEM_LINE.exec(line);
      if (!other || width(other[1]) < to) break;
      if (width(other[1]) === to) {
        previous = other;
        break;
      }
    }
    marker = `${previous?.[3] ? Number(previous[3]) + 1 : 1}${closer}`;
  }
  const caret = Math.max(start - lineStart - (item[0].length - text.length), 0);
  const caretEnd = Math.max(end - lineStart - (item[0].length - text.length), 0);
  const prefix = `${" ".repeat(to)}${marker}${space}`;
  replaceAsTyped(box, lineStart, lineStart + item[0].length - text.length, prefix);
  // The caret stays where it was in the item's text.
  box.setSelectionRange(lineStart + prefix.length + caret, lineStart + prefix.length + caretEnd);
  return true;
}

/// Replaces `from`–`to` with `text` as typing would (so Undo takes it back) and tells the box's
/// listeners (drafts, typing, its height).
export function replaceAsTyped(box, from, to, text) {
  box.setSelectionRange(from, to);
  const typed = text ? document.execCommand("insertText", false, text) : from === to || document.execCommand("delete");
  if (!typed) {
    box.setRangeText(text, from, to, "end");
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
