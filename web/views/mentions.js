// @-mention suggestions in the message box: typing "@" and the start of a name lists the room's
// members (and @room, outside DMs) whose username or display name starts with it. ↑/↓ choose,
// Enter or Tab puts "@username " in the text, Escape (or moving away) closes the list.
import { $, el } from "/dom.js";
import { state } from "/state.js";
import { personOption } from "/views/dialogs.js";

const MAX = 8;
/// "@" at the start or after a space or punctuation, then what is typed of a username.
const TOKEN = /(?:^|[^\p{L}\p{N}_@])@([A-Za-z0-9_.-]{0,32})$/u;

let box;
let list;
let options = [];
let active = 0;
/// Where the "@" being completed starts in the box.
let start = -1;

export function initMentions(textarea) {
  box = textarea;
  list = $("mention-list");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", "mention-list");
  box.setAttribute("aria-expanded", "false");
  // In the capture phase, so the composer's own keys (Enter sends, Escape cancels a reply) wait
  // while the list is open.
  box.addEventListener("keydown", onKey, true);
  box.addEventListener("input", update);
  box.addEventListener("click", update);
  box.addEventListener("blur", close);
  list.addEventListener("mousedown", (event) => event.preventDefault());
}

function onKey(event) {
  if (list.hidden) return;
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

function update() {
  const caret = box.selectionStart;
  const match = box.selectionEnd === caret ? TOKEN.exec(box.value.slice(0, caret)) : null;
  if (!match || !state.room) {
    close();
    return;
  }
  start = caret - match[1].length - 1;
  const typed = match[1].toLowerCase();
  options = candidates(typed);
  if (!options.length) {
    close();
    return;
  }
  // The best match first, chosen again as the name grows.
  active = 0;
  render();
}

/// Members other than me whose username (first) or a word of whose display name starts with
/// `typed`; @room too, outside DMs.
function candidates(typed) {
  const people = [...state.room.members.values()].map((member) => member.user).filter((user) => user.id !== state.me.id);
  const byUsername = people.filter((user) => user.username.toLowerCase().startsWith(typed));
  const byName = people.filter(
    (user) => !byUsername.includes(user) && user.display_name.toLowerCase().split(/\s+/u).some((word) => word.startsWith(typed)),
  );
  const order = (a, b) => a.username.localeCompare(b.username);
  const found = [...byUsername.sort(order), ...byName.sort(order)];
  const kind = state.rooms.get(state.room.id)?.kind;
  if (kind !== "dm" && "room".startsWith(typed)) found.push({ id: 0, username: "room", display_name: "Everyone in this room" });
  return found.slice(0, MAX);
}

function render() {
  list.replaceChildren(
    ...options.map((user, index) => {
      const [avatar, person] = personOption(user);
      const item = el(
        "li",
        { className: index === active ? "option active" : "option", attrs: { role: "option", id: `mention-${index}`, "aria-selected": String(index === active) } },
        avatar,
        person,
      );
      item.addEventListener("click", () => choose(user));
      return item;
    }),
  );
  list.hidden = false;
  box.setAttribute("aria-expanded", "true");
  box.setAttribute("aria-activedescendant", `mention-${active}`);
  list.children[active]?.scrollIntoView({ block: "nearest" });
}

function choose(user) {
  const caret = box.selectionStart;
  const inserted = `@${user.username} `;
  box.value = box.value.slice(0, start) + inserted + box.value.slice(caret).replace(/^ /, "");
  box.setSelectionRange(start + inserted.length, start + inserted.length);
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
