// Suggestions in the message box. Typing "@" and the start of a name lists the room's members
// (and the site's user groups, @room and @here, outside DMs) whose username or display name starts with it; typing ":" and two
// letters of an emoji's short name lists emoji (":tada" → 🎉; the site's custom emoji first, put in
// as ":name:"), and a whole ":tada:" becomes 🎉 at once. ↑/↓ choose, Enter or Tab puts "@username " or the emoji in the text, Escape (or moving
// away) closes the list. Typing "#" and the start of a room's name lists the public rooms and my
// private groups, put in as a link to the room ("#name", or "#**a name**"). In the room's box, "/" at the start lists the slash commands (views/commands.js).
import { el } from "/dom.js";
import { customEmojiImage, customSuggestions } from "/customemoji.js";
import { emojiNamed, emojiSuggestions } from "/emoji.js";
import { icon } from "/icons.js";
import { roomLinkText, roomsStartingWith } from "/roomnames.js";
import { state } from "/state.js";
import { COMMANDS } from "/views/commands.js";
import { personOption } from "/views/dialogs.js";

const MAX = 8;
/// "@" at the start or after a space or punctuation, then what is typed of a username.
const TOKEN = /(?:^|[^\p{L}\p{N}_@])@([A-Za-z0-9_.-]{0,32})$/u;
/// "#" at the start or after a space or punctuation (not in "&#", "/#" or "##"), then what is typed
/// of a room's name.
const ROOM_TOKEN = /(?:^|[^\p{L}\p{N}_&#/])#([\p{L}\p{N}_.-]{0,64})$/u;
/// ":" at the start or after a space or an opening bracket, then two or more letters of a short
/// name (so "10:30" and "http://" are left alone); with a closing ":", a whole name.
const EMOJI_TOKEN = /(?:^|[\s(]):([a-z0-9_+-]{2,32})$/u;
const WHOLE_EMOJI = /(?:^|[\s(]):([a-z0-9_+-]{1,32}):$/u;

/// A slash command being typed: "/" and letters at the very start of the box.
const COMMAND_TOKEN = /^\/([a-z]*)$/iu;

/// Suggestions for one message box, listed in `list` (the room's box and the thread's reply box
/// each have their own); with `commands`, "/" at the start lists the slash commands too.
export function initMentions(box, list, { commands = false } = {}) {
  let options = [];
  let active = 0;
  /// Where the "@" or ":" being completed starts in the box.
  let start = -1;
  /// What the list offers: "people" or "emoji".
  let mode = "people";
  /// The options' element ids: mention-0, mention-1… for #mention-list.
  const idPrefix = list.id.replace(/-list$/u, "");

  // The box is a combobox (ARIA 1.2: a multi-line one may be), so its aria-expanded means
  // something: before, a plain textbox carried it, which no screen reader reads out. While the list
  // is open, aria-activedescendant names the option ↑/↓ are on.
  box.setAttribute("role", "combobox");
  box.setAttribute("aria-haspopup", "listbox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);
  box.setAttribute("aria-expanded", "false");
  // In the capture phase, so the box's own keys (Enter sends, Escape cancels a reply or closes the
  // thread) wait while the list is open.
  box.addEventListener("keydown", onKey, true);
  box.addEventListener("input", update);
  box.addEventListener("click", update);
  box.addEventListener("blur", close);
  list.addEventListener("mousedown", (event) => event.preventDefault());

  function onKey(event) {
    if (list.hidden || event.altKey) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      active = (active + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (event.shiftKey || event.isComposing) return;
      choose(options[active]);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  function update(event) {
    const caret = box.selectionStart;
    const before = box.selectionEnd === caret ? box.value.slice(0, caret) : null;
    // A short name typed out to its closing colon becomes its emoji (not when deleting back to it).
    const whole = event?.type === "input" && !event.inputType?.startsWith("delete") && before !== null ? WHOLE_EMOJI.exec(before) : null;
    if (whole && emojiNamed(whole[1])) {
      start = caret - whole[1].length - 2;
      insert(emojiNamed(whole[1]), "");
      return;
    }
    const command = commands && before !== null ? COMMAND_TOKEN.exec(before) : null;
    if (command && box.value.length === before.length) {
      const typed = command[1].toLowerCase();
      // A whole name is left as typed (Enter then sends it; a list would open again on it).
      options = COMMANDS.filter((option) => option.name.startsWith(typed) && option.name !== typed);
      if (options.length) {
        mode = "commands";
        start = 0;
        active = 0;
        render();
        return;
      }
    }
    const match = before === null ? null : TOKEN.exec(before);
    const room = before === null || match ? null : ROOM_TOKEN.exec(before);
    const emoji = before === null || match || room ? null : EMOJI_TOKEN.exec(before);
    if ((!match || !state.room) && !room && !emoji) {
      close();
      return;
    }
    mode = match ? "people" : room ? "rooms" : "emoji";
    const typed = (match ?? room ?? emoji)[1].toLowerCase();
    start = caret - typed.length - 1;
    // The site's custom emoji come first: a name someone chose is likelier meant than a standard one.
    options = mode === "people"
      ? candidates(typed)
      : mode === "rooms"
      // A whole name is left as typed (Enter then sends it, as with a whole command's).
      ? (roomsStartingWith(typed, MAX).some((room) => room.name.toLowerCase() === typed) ? [] : roomsStartingWith(typed, MAX))
      : [...customSuggestions(typed, MAX), ...emojiSuggestions(typed, MAX)].slice(0, MAX);
    if (!options.length) {
      close();
      return;
    }
    // The best match first, chosen again as the name grows.
    active = 0;
    render();
  }

  function render() {
    list.replaceChildren(
      ...options.map((option, index) => {
        const content = mode === "commands"
          ? [el("span", { className: "command-name", text: `/${option.name}${option.args ? ` ${option.args}` : ""}` }), el("span", { className: "muted", text: option.description })]
          : mode === "rooms"
          ? roomOption(option)
          : mode === "people"
          ? option.group
            ? [el("span", { className: "avatar small group-avatar", attrs: { "aria-hidden": "true" } }, icon("users")), personOption(option)[1]]
            : personOption(option)
          : option.url
            ? [el("span", { className: "emoji-glyph", attrs: { "aria-hidden": "true" } }, customEmojiImage(option.name)), el("span", { text: `:${option.name}:` })]
            : [el("span", { className: "emoji-glyph", text: option.emoji, attrs: { "aria-hidden": "true" } }), el("span", { text: `:${option.name}:` })];
        const item = el(
          "li",
          { className: index === active ? "option active" : "option", attrs: { role: "option", id: `${idPrefix}-${index}`, "aria-selected": String(index === active) } },
          ...content,
        );
        item.addEventListener("click", () => choose(option));
        return item;
      }),
    );
    list.setAttribute("aria-label", { commands: "Commands", people: "People to mention", rooms: "Rooms to link" }[mode] ?? "Emoji");
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    box.setAttribute("aria-activedescendant", `${idPrefix}-${active}`);
    list.children[active]?.scrollIntoView({ block: "nearest" });
  }

  function choose(option) {
    if (mode === "commands") insert(`/${option.name}`, option.args ? " " : "");
    else if (mode === "people") insert(`@${option.username}`, " ");
    else if (mode === "rooms") insert(roomLinkText(option), " ");
    else insert(option.url ? `:${option.name}:` : option.emoji, " ");
  }

  /// Puts `text` (and `space`, unless one follows already) in place of what is typed from `start`
  /// to the caret.
  function insert(text, space) {
    const caret = box.selectionStart;
    const after = box.value.slice(caret);
    const inserted = text + (space && after.startsWith(space) ? "" : space);
    box.value = box.value.slice(0, start) + inserted + after;
    const end = start + inserted.length + (space && after.startsWith(space) ? space.length : 0);
    box.setSelectionRange(end, end);
    close();
    box.dispatchEvent(new Event("input"));
  }

  function close() {
    if (list.hidden) return;
    list.hidden = true;
    list.replaceChildren();
    options = [];
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }
}

/// A room offered to link: its kind's icon, its name, and its topic and size, or that it is private.
function roomOption(room) {
  const about = room.kind === "group"
    ? "Private group"
    : [room.topic, room.member_count === undefined ? null : `${room.member_count} ${room.member_count === 1 ? "member" : "members"}`];
  return [
    el("span", { className: "avatar small group-avatar", attrs: { "aria-hidden": "true" } }, icon(room.kind === "group" ? "lock" : "hash")),
    el("span", { className: "person" }, el("span", { className: "name", text: room.name }), el("span", { className: "muted", text: [about].flat().filter(Boolean).join(" · ") })),
  ];
}

/// "Frontend team · 3 members": a group's description, or "User group", and its size.
export function groupLabel(group) {
  const count = group.member_ids.length;
  return `${group.description || "User group"} · ${count} ${count === 1 ? "member" : "members"}`;
}

/// Members other than me whose username (first) or a word of whose display name starts with
/// `typed`; @room and @here too, outside DMs.
function candidates(typed) {
  const people = [...state.room.members.values()].map((member) => member.user).filter((user) => user.id !== state.me.id);
  const byUsername = people.filter((user) => user.username.toLowerCase().startsWith(typed));
  const byName = people.filter(
    (user) => !byUsername.includes(user) && user.display_name.toLowerCase().split(/\s+/u).some((word) => word.startsWith(typed)),
  );
  const order = (a, b) => a.username.localeCompare(b.username);
  const found = [...byUsername.sort(order), ...byName.sort(order)];
  const kind = state.rooms.get(state.room.id)?.kind;
  // User groups mention each of their members in the room, so they are offered outside DMs.
  if (kind !== "dm") {
    const groups = [...state.userGroups.values()].filter((group) => group.name.toLowerCase().startsWith(typed));
    for (const group of groups.sort((a, b) => a.name.localeCompare(b.name))) {
      found.push({ id: 0, username: group.name, display_name: groupLabel(group), group: true });
    }
  }
  if (kind !== "dm" && "room".startsWith(typed)) found.push({ id: 0, username: "room", display_name: "Everyone in this room" });
  if (kind !== "dm" && "here".startsWith(typed)) found.push({ id: 0, username: "here", display_name: "Everyone online in this room" });
  return found.slice(0, MAX);
}
