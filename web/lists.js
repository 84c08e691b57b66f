// Lists as they are typed: Shift+Enter on a list item's line starts the next item (the same
// bullet, or the next number, at the same indent); on an item with no text yet it ends the list,
// taking the marker away. What the message box and a thread's reply box share.

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
    edit(box, lineStart, lineEnd, "");
    return true;
  }
  const next = bullet ?? `${Number(number) + 1}${closer}`;
  edit(box, start, start, `\n${indent}${next}${space}`);
  return true;
}

/// Replaces `from`–`to` with `text` as typing would (so Undo takes it back) and tells the box's
/// listeners (drafts, typing, its height).
function edit(box, from, to, text) {
  box.setSelectionRange(from, to);
  const typed = text ? document.execCommand("insertText", false, text) : from === to || document.execCommand("delete");
  if (!typed) {
    box.setRangeText(text, from, to, "end");
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
