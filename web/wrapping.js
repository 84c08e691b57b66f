// Formatting keys in the message boxes, as Slack's, GitHub's and Mattermost's: Ctrl+B (⌘B) bold,
// Ctrl+I italic, Ctrl+Shift+X struck, Ctrl+E code. With text selected they put the marks around it
// (around each line's text, as marks do not run across lines, and inside any spaces at its ends,
// which marks may not touch), or take them away when they are there already; with nothing
// selected they put a pair in with the caret between. Undo takes each back, as typing.
import { replaceAsTyped } from "/lists.js";

/// The marks of each key (with Ctrl or ⌘; Ctrl+Shift+X for struck).
const MARKS = { b: "**", i: "_", e: "`" };

/// Handles a formatting key in `box` (a textarea); true when it did (the event is then cancelled).
export function formatKeys(box, event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey || event.isComposing) return false;
  const key = event.key.toLowerCase();
  const mark = event.shiftKey ? (key === "x" ? "~~" : null) : (MARKS[key] ?? null);
  if (!mark) return false;
  event.preventDefault();
  const { value, selectionStart: start, selectionEnd: end } = box;
  const selected = value.slice(start, end);
  const size = mark.length;
  // Marked already, around the selection or inside it at both ends: the marks go.
  if (value.slice(start - size, start) === mark && value.slice(end, end + size) === mark) {
    replaceAsTyped(box, start - size, end + size, selected);
    box.setSelectionRange(start - size, end - size);
    return true;
  }
  if (selected.length > 2 * size && selected.startsWith(mark) && selected.endsWith(mark) && !selected.includes("\n")) {
    const inner = selected.slice(size, -size);
    replaceAsTyped(box, start, end, inner);
    box.setSelectionRange(start, start + inner.length);
    return true;
  }
  if (start === end) {
    replaceAsTyped(box, start, end, mark + mark);
    box.setSelectionRange(start + size, start + size);
    return true;
  }
  const lines = selected.split("\n").map((line) => /^(\s*)(.*?)(\s*)$/su.exec(line));
  const marked = lines.map(([line, lead, text, trail]) => (text ? `${lead}${mark}${text}${mark}${trail}` : line)).join("\n");
  replaceAsTyped(box, start, end, marked);
  if (lines.length === 1 && lines[0][2]) {
    // One line: its text stays selected, so the same key again takes the marks away.
    const from = start + lines[0][1].length + size;
    box.setSelectionRange(from, from + lines[0][2].length);
  } else {
    box.setSelectionRange(start, start + marked.length);
  }
  return true;
}
