// Building DOM nodes. Text only ever goes in as text (textContent or text nodes), never as HTML.
import { customEmoji, customEmojiImage } from "/customemoji.js";
import { hue, initials } from "/format.js";
import { roomNamed } from "/roomnames.js";

export const $ = (id) => document.getElementById(id);

/// `el("li", { className, text, attrs, dataset, on }, ...children)`; string children become text nodes.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  Object.assign(node.dataset, props.dataset ?? {});
  for (const [type, handler] of Object.entries(props.on ?? {})) node.addEventListener(type, handler);
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

export function button(label, { className = "", icon, onClick, title, attrs = {} } = {}) {
  const node = el("button", { className, attrs: { type: "button", title, ...attrs }, on: onClick ? { click: onClick } : {} });
  if (icon) node.append(icon);
  if (label) node.append(icon ? el("span", { className: "label", text: label }) : label);
  return node;
}

/// A sender's name as a button that shows their profile.
export function authorButton(user, onPerson) {
  return el("button", {
    className: "author", text: user.display_name,
    attrs: { type: "button", title: `@${user.username}: show profile` },
    on: { click: () => onPerson(user) },
  });
}

/// Who a message is from, for its header: the sender's name as a button that shows their profile,
/// or, for a message a webhook posted, the webhook's name and a "webhook" badge (its sender is the
/// person who made the webhook, named in the tooltip).
export function messageAuthor(message, onPerson) {
  if (!message.webhook) return [authorButton(message.sender, onPerson)];
  const title = `Posted by a webhook made by ${message.sender.display_name}`;
  return [
    el("span", { className: "author webhook-name", text: message.webhook.name, attrs: { title } }),
    el("span", { className: "badge webhook-badge", text: "webhook", attrs: { title } }),
    srOnly(`, made by ${message.sender.display_name}`),
  ];
}

/// A message in a list of them (search results, saved messages, activity): `meta` (who, where,
/// when) over `body`, as one button that opens it; `extra` nodes follow the button.
export function messageEntry({ className, dataset = {}, buttonDataset = {}, meta, body, onOpen, extra = [] }) {
  return el(
    "li",
    { className, dataset },
    el("button", { attrs: { type: "button" }, dataset: buttonDataset, on: { click: onOpen } }, el("span", { className: "search-meta" }, ...meta), body),
    ...extra,
  );
}

/// A small menu of choices (`items`: [label, onPick]) appended to `parent`, focused on its first
/// item; it closes on a choice, Escape or leaving it (focus goes back to `anchor` unless it moved
/// on). ↑ and ↓ move between its buttons; `extra` nodes follow the choices. A menu may hold only
/// menu items: with `extra` (a field, say) it is a non-modal dialog (`role=dialog`, labelled
/// `label`) of plain buttons instead, closed and left the same ways. An anchor that says it opens
/// a popup (aria-haspopup) says whether it is open (aria-expanded).
export function popupMenu({ className, label, anchor, parent, items, extra = [] }) {
  document.querySelector(`.${className.split(" ")[0]}`)?.remove();
  const dialog = extra.length > 0;
  const menu = el("div", { className, attrs: { role: dialog ? "dialog" : "menu", "aria-label": label } });
  const expands = anchor.hasAttribute("aria-haspopup");
  let open = true;
  const close = ({ refocus = true } = {}) => {
    if (!open) return;
    open = false;
    menu.remove();
    if (expands) anchor.setAttribute("aria-expanded", "false");
    if (refocus && anchor.isConnected) anchor.focus({ preventScroll: true });
  };
  for (const [text, onPick] of items) {
    menu.append(
      el("button", {
        className: "pick when", text, attrs: dialog ? { type: "button" } : { type: "button", role: "menuitem" },
        on: { click: () => { close(); onPick(); } },
      }),
    );
  }
  menu.append(...extra);
  menu.addEventListener("keydown", (event) => {
    const buttons = [...menu.querySelectorAll("button")];
    const index = buttons.indexOf(document.activeElement);
    if (event.key === "Escape") close();
    else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && event.target.tagName === "BUTTON") {
      buttons[(index + (event.key === "ArrowDown" ? 1 : buttons.length - 1)) % buttons.length].focus();
    } else return;
    event.preventDefault();
    event.stopPropagation();
  });
  menu.addEventListener("focusout", (event) => {
    if (!menu.contains(event.relatedTarget)) close({ refocus: false });
  });
  parent.append(menu);
  if (expands) anchor.setAttribute("aria-expanded", "true");
  menu.querySelector("button").focus({ preventScroll: true });
  return { menu, close };
}

/// Text for screen readers only.
export const srOnly = (text) => el("span", { className: "sr-only", text });

/// Message text as nodes: links for http(s) URLs, highlighted @mentions (marked `self` for @room,
/// @here and the names in `me.names`, lowercased: mine and my user groups'), links to the rooms
/// `#name` and `#**a name**` name (see roomnames.js; any other `#word` is text), my keywords marked
/// (`me.keywords`, a pattern: see `myMarks`) and the pictures of custom emoji (`:name:`), everything
/// else as text. `me` is null where nothing is about me (one-line previews). Where `me.people` (a
/// message's mentioned people by lowercased username) is given, only they, `me.groups` (user groups'
/// names), my names, @room and @here are marked, and a person's mark opens `me.onPerson(user)`.
export function richText(text, me) {
  const nodes = [];
  const pattern =
    /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]}])|(^|[^\w@])@([A-Za-z0-9_.-]{2,32}|room)\b|:([a-z0-9_+-]{2,30}):|(^|[^\p{L}\p{N}_&#/])#(?:\*\*([^\n]{1,64}?)\*\*|([\p{L}\p{N}_.-]*[\p{L}\p{N}_]))/gu;
  let last = 0;
  for (let match; (match = pattern.exec(text)) !== null; ) {
    if (match[1]) {
      nodes.push(text.slice(last, match.index));
      nodes.push(link(match[1]));
      last = match.index + match[1].length;
    } else if (match[4]) {
      // A custom emoji's name draws its picture; any other `:word:` stays text, and its closing colon
      // may still open a custom emoji's name or come before a mention (`:no:@bob`, `:no:yes:`).
      if (!customEmoji.has(match[4])) {
        pattern.lastIndex = match.index + match[0].length - 1;
        continue;
      }
      nodes.push(text.slice(last, match.index));
      nodes.push(customEmojiImage(match[4]));
      last = match.index + match[0].length;
    } else if (match[5] !== undefined) {
      // A room's name links to it; any other `#word` stays text, and what follows its "#" is read again.
      const start = match.index + match[5].length;
      const room = roomNamed(match[6] ?? match[7]);
      if (!room) {
        pattern.lastIndex = start + 1;
        continue;
      }
      nodes.push(text.slice(last, start));
      nodes.push(roomLink(room, match[0].slice(match[5].length)));
      last = match.index + match[0].length;
    } else {
      const start = match.index + match[2].length;
      const name = match[3];
      const lower = name.toLowerCase();
      const mine = lower === "room" || lower === "here" || me?.names.has(lower) === true;
      const person = me?.people?.get(lower);
      // Where the message says whom it mentions (`me.people`), an "@word" that names nobody stays text.
      if (me?.people && !mine && !person && !me.groups?.has(lower)) {
        pattern.lastIndex = start + 1;
        continue;
      }
      nodes.push(text.slice(last, start));
      const className = mine ? "mention self" : "mention";
      nodes.push(
        person && me.onPerson
          ? el("button", { className, text: `@${name}`, attrs: { type: "button", title: `${person.display_name}: show profile` }, on: { click: () => me.onPerson(person) } })
          : el("span", { className, text: `@${name}` }),
      );
      last = start + 1 + name.length;
    }
  }
  nodes.push(text.slice(last));
  return nodes.flatMap((node) => (typeof node === "string" ? keywordsIn(node, me?.keywords) : [node])).filter((node) => node !== "");
}

/// A link to a room as a message names it (`#name`, or `#**name**` shown as "#name"): it opens the
/// room, or for a public room I am not in, its preview (app.js follows `#room/<id>`).
function roomLink(room, written) {
  const shown = written.startsWith("#**") ? `#${written.slice(3, -2)}` : written;
  const title = room.joined ? `Open ${room.name}` : `Preview ${room.name}`;
  return el("a", { className: "room-ref", text: shown, attrs: { href: `#room/${room.id}`, title } });
}

/// A run of plain text with my keywords in it marked, as Zulip marks alert words.
function keywordsIn(text, pattern) {
  if (!pattern || !text) return [text];
  pattern.lastIndex = 0;
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    nodes.push(text.slice(last, match.index), el("mark", { className: "keyword", text: match[0], attrs: { title: "One of your keywords" } }));
    last = match.index + match[0].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

/// A link to `url`, showing `label` (a named link, `[label](url)`: the address shows on hover) or
/// the address itself; plain text when it is no http(s) URL. A link into this Parley (a room's or a
/// message's, `…/#room/<id>`) opens here, in this tab; others in a new one.
export function link(url, label = url) {
  let parsed = null;
  try {
    parsed = new URL(url);
  } catch {
    // not a URL after all
  }
  if (parsed?.protocol !== "http:" && parsed?.protocol !== "https:") return label === url ? url : `[${label}](${url})`;
  const title = label === url ? {} : { title: parsed.href };
  if (parsed.origin === location.origin && parsed.pathname === "/" && /^#room\/\d+(?:\/message\/\d+)?$/u.test(parsed.hash)) {
    return el("a", { className: "local-link", text: label, attrs: { href: parsed.hash, ...title } });
  }
  return el("a", { text: label, attrs: { href: parsed.href, target: "_blank", rel: "noopener noreferrer nofollow", ...title } });
}

/// A person's avatar: their picture when they have one (`avatar_url`), over their initials on a
/// colour of their own, which show while it loads and if it cannot be loaded.
export function avatarFor(user, className = "avatar") {
  const node = el("span", { className, attrs: { "aria-hidden": "true" } });
  paintAvatar(node, user);
  return node;
}

/// A message's avatar: its sender's, or for a webhook's message the initials of the webhook's name
/// (a square, not a person's circle).
export function authorAvatar(message, className = "avatar") {
  if (!message.webhook) return avatarFor(message.sender, className);
  const node = el("span", { className: `${className} webhook-avatar`, text: initials(message.webhook.name), attrs: { "aria-hidden": "true" } });
  node.style.setProperty("--hue", hue(message.webhook.id));
  return node;
}

export function paintAvatar(node, user) {
  node.textContent = initials(user.display_name ?? user.username ?? "?");
  node.style.setProperty("--hue", hue(user.id));
  if (!user.avatar_url) return;
  const picture = el("img", { attrs: { src: user.avatar_url, alt: "", decoding: "async" } });
  picture.addEventListener("error", () => picture.remove());
  node.append(picture);
}
