// Message formatting: the small part of Markdown that chat people type, built as DOM nodes (text
// only ever goes in as text). Fenced code blocks (```), quotes (lines starting with "> "), lists
// (lines starting with "- ", "* ", "+ " or "1. "; indented two spaces more, a list inside an item),
// inline `code`, **bold**, *italic* or _italic_, ~~struck~~, named links ([label](https://…)); links,
// links to rooms (#name) and @mentions as elsewhere.
// Markers inside words (snake_case, 2*3*4) and inside links and code are left as they are.
import { customEmoji } from "/customemoji.js";
import { el, link, richText } from "/dom.js";
import { roomNamed } from "/roomnames.js";

/// A fence on a line of its own (an info string after the opening one is allowed and not shown),
/// up to a closing fence on a line of its own, or the end of the text.
const FENCE = /^```[^\n`]*\n([\s\S]*?)(?:(?:\n|^)```[ \t]*$|$(?![\s\S]))/gm;

const WORD = String.raw`\p{L}\p{N}_`;
const INLINE = new RegExp(
  [
    // A named link, [label](http…): the label is shown, the address on hover; one pair of brackets
    // may be in the address (Wikipedia's).
    String.raw`\[(?<label>[^\[\]\n]{1,200})\]\((?<href>https?:\/\/[^\s<>"'()]+(?:\([^\s<>"'()]*\)[^\s<>"'()]*)?)\)`,
    String.raw`(?<room>#\*\*[^\n]{1,64}?\*\*)`, // a room's link by a name with spaces, kept whole for richText
    String.raw`(?<url>https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]}])`, // a link, kept whole
    String.raw`\x60(?<code>[^\x60\n]+)\x60`,
    // Bold opens and closes beside something other than a star: a word filter's masks ("****") are
    // runs of stars, not emphasis.
    String.raw`\*\*(?=[^\s*])(?<bold>[^\n]*?[^\s*])\*\*`,
    String.raw`~~(?=\S)(?<struck>[^\n~]*?\S)~~`,
    String.raw`(?<starAfter>^|[^${WORD}*\\])\*(?=[^\s*])(?<star>[^*\n]*?[^\s*])\*(?![${WORD}*])`,
    String.raw`(?<lineAfter>^|[^${WORD}\\])_(?=[^\s_])(?<line>[^_\n]*?[^\s_])_(?![${WORD}])`,
  ].join("|"),
  "gu",
);

/// The nodes of a message's text, to put in an element that keeps white space (`pre-wrap`).
export function formatMessage(text, me) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(FENCE)) {
    prose(nodes, text.slice(last, match.index), me);
    nodes.push(el("pre", { className: "code-block" }, el("code", { text: match[1] })));
    last = match.index + match[0].length;
  }
  prose(nodes, text.slice(last), me);
  return nodes;
}

/// Text outside code blocks: runs of quoted lines become quotes, the rest inline text.
function prose(nodes, text, me) {
  // The line breaks next to a block belong to it (the block starts and ends its own line).
  const trimmed = text.replace(/^\n/, "").replace(/\n$/, "");
  if (!trimmed) return;
  let run = [];
  let quoted = false;
  const flush = () => {
    if (!run.length) return;
    const content = lines(run, me);
    nodes.push(...(quoted ? [el("blockquote", {}, ...content)] : content));
    run = [];
  };
  for (const line of trimmed.split("\n")) {
    const isQuote = line === ">" || line.startsWith("> ");
    if (isQuote !== quoted) {
      flush();
      quoted = isQuote;
    }
    run.push(isQuote ? line.slice(2) : line);
  }
  flush();
}

/// A list item's line: its indent (spaces and tabs), a bullet (-, * or +) or a number (1. or 1)) and
/// a space, then its text.
const ITEM = /^([ \t]*)(?:([-*+])|(\d{1,9})[.)])[ \t]+(\S.*)$/u;
/// How deep lists nest; deeper items stay in the deepest list.
const MAX_DEPTH = 5;
/// An indent's width, a tab counting as four spaces (typed lists, lists.js, measure the same way).
export const width = (indent) => indent.length + 3 * (indent.split("\t").length - 1);

/// Lines of text: runs of list items become a list (bulleted, or numbered from its first number),
/// the rest inline text. An item indented two or more spaces past the list it follows starts a list
/// inside that list's last item; one indented less goes back to the list it lines up with.
function lines(all, me) {
  const nodes = [];
  let text = [];
  /// The open lists, outermost first: `{ indent, kind, node, inside }` (`inside`: the item it is in).
  let open = [];
  const flushText = () => {
    if (text.length) nodes.push(...inline(text.join("\n"), me));
    text = [];
  };
  const start = (kind, number, indent, inside) => {
    const node = el(kind, kind === "ol" && number !== 1 ? { attrs: { start: String(number) } } : {});
    if (inside) inside.append(node);
    else nodes.push(node);
    open.push({ indent, kind, node, inside });
  };
  for (const line of all) {
    const item = ITEM.exec(line);
    if (!item) {
      open = [];
      text.push(line);
      continue;
    }
    flushText();
    const indent = width(item[1]);
    const kind = item[2] ? "ul" : "ol";
    const number = item[3] ? Number(item[3]) : 1;
    while (open.length > 1 && indent < open.at(-1).indent) open.pop();
    const top = open.at(-1);
    if (top && indent >= top.indent + 2 && open.length < MAX_DEPTH) {
      start(kind, number, indent, top.node.lastChild);
    } else if (!top || top.kind !== kind) {
      // Another kind at the same depth is a list of its own, in the same place.
      if (top) open.pop();
      start(kind, number, top ? top.indent : indent, top?.inside ?? null);
    }
    open.at(-1).node.append(el("li", {}, ...inline(item[4], me)));
  }
  flushText();
  return nodes;
}

const CUSTOM = /:([a-z0-9_+-]{2,30}):/gu;
const EMOJI_ONLY = /^(?:\s|[#*0-9]\ufe0f?\u20e3|\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u200d|\ufe0f)*$/u;
/// What makes a character an emoji on screen: its default presentation, U+FE0F after it, a skin
/// tone after it, a keycap.
const PRESENTED = /\p{Emoji_Presentation}|\p{Emoji_Modifier}|\ufe0f|\u20e3/u;
const segmenter = new Intl.Segmenter();

/// Whether a message's text is only emoji (standard ones, or the site's custom ones), one to
/// eight of them: it is shown large, as chat apps do.
export function onlyEmoji(text) {
  const customs = [...(text ?? "").matchAll(CUSTOM)];
  if (!customs.every((match) => customEmoji.has(match[1]))) return false;
  const rest = (text ?? "").replace(CUSTOM, " ");
  if (!EMOJI_ONLY.test(rest)) return false;
  const shown = [...segmenter.segment(rest)].map((part) => part.segment).filter((segment) => segment.trim());
  // A symbol shown as text unless asked otherwise (©, ™, ‼, ↔) is not an emoji without U+FE0F.
  if (!shown.every((segment) => PRESENTED.test(segment))) return false;
  const count = customs.length + shown.length;
  return count >= 1 && count <= 8;
}

/// A message's text for one-line previews (notifications, quotes, pins, the reply bar): as the
/// timeline shows it without the formatting marks, on one line; a file without a caption by its
/// name, a forward without a comment by what it quotes.
/// What a "/me waves" message says its sender does ("waves"), or null for any other text.
export function actionText(text) {
  return /^\/me\s+(\S[\s\S]*)$/u.exec(text ?? "")?.[1] ?? null;
}

export function preview(message) {
  const action = actionText(message.text);
  if (action !== null) return `${message.sender?.display_name ?? ""} ${preview({ ...message, text: action })}`.trim();
  if (!message.text) {
    if (message.file) return `📎 ${message.file.name}`;
    return message.forwarded ? `↪ ${message.forwarded.webhook?.name ?? message.forwarded.sender.display_name}: ${preview(message.forwarded)}` : "";
  }
  const parts = formatMessage(message.text, null).map((node) =>
    typeof node === "string" ? node : ["PRE", "BLOCKQUOTE", "UL", "OL"].includes(node.tagName) ? ` ${plain(node)} ` : plain(node),
  );
  return parts.join("").replace(/\s+/g, " ").trim();
}

/// A node's text, with a custom emoji's picture as its `:name:`.
const plain = (node) => {
  if (node.nodeType === Node.TEXT_NODE) return node.data;
  if (node.tagName === "IMG") return node.alt;
  // A list's items, and a list inside an item, are words apart.
  if (node.tagName === "UL" || node.tagName === "OL") return ` ${[...node.childNodes].map(plain).join(" ")} `;
  return [...node.childNodes].map(plain).join("");
};

function inline(text, me) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    const found = match.groups;
    const before = found.starAfter ?? found.lineAfter ?? "";
    nodes.push(...richText(text.slice(last, match.index + before.length), me));
    if (found.href) nodes.push(link(found.href, found.label));
    else if (found.url) nodes.push(...richText(found.url, me));
    else if (found.room) {
      // No room by that name: what it would have been without rooms, a "#" and bold text.
      const name = found.room.slice(3, -2);
      nodes.push(...(roomNamed(name) ? richText(found.room, me) : ["#", el("strong", {}, ...inline(name, me))]));
    }
    else if (found.code) nodes.push(el("code", { text: found.code }));
    else if (found.bold) nodes.push(el("strong", {}, ...inline(found.bold, me)));
    else if (found.struck) nodes.push(el("del", {}, ...inline(found.struck, me)));
    else nodes.push(el("em", {}, ...inline(found.star ?? found.line, me)));
    last = match.index + match[0].length;
  }
  nodes.push(...richText(text.slice(last), me));
  return nodes;
}
