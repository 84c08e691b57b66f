// Modal dialogs (native <dialog>: focus moves in, Escape closes, the page behind is inert) and the
// username search used by several of them.
import { Rooms } from "/api.js";
import { $, avatarFor, el } from "/dom.js";
import { formatFull, logLine } from "/format.js";

export function initDialogs() {
  for (const dialog of document.querySelectorAll("dialog")) {
    for (const close of dialog.querySelectorAll("[data-close]")) close.addEventListener("click", () => dialog.close("cancel"));
    // What opened it: a message's button (Forward, Report, Delete, its author) whose message was
    // drawn again meanwhile (a reaction, an edit, a reply) is gone, and the browser gave the focus
    // to the page itself (a hunt): it goes to the same button of the message as drawn now.
    let opener = null;
    const showModal = dialog.showModal.bind(dialog);
    dialog.showModal = () => {
      opener = whereIs(document.activeElement);
      showModal();
    };
    // The focus goes back where it was; a text box given it back that way took no typing in
    // Chromium until focused anew.
    dialog.addEventListener("close", () => {
      const from = opener;
      opener = null;
      if (from && !from.node.isConnected && !document.querySelector("dialog[open]")) refocusRebuilt(from);
      setTimeout(() => {
        const active = document.activeElement;
        if (!document.querySelector("dialog[open]") && active?.matches("textarea, input:not([type=checkbox]):not([type=radio])")) {
          active.blur();
          active.focus();
        }
      });
    });
    // A click on the backdrop (outside the form) closes too.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close("cancel");
    });
  }
}

/// A focused element, and (in a message of the room or of a thread) how to find its like once
/// the message is drawn again: the message's selector, and the element's within it.
function whereIs(node) {
  const item = node?.closest?.("li.message[data-id], li.thread-message[data-message]");
  if (!item) return { node };
  const message = item.classList.contains("message") ? `li.message[data-id="${item.dataset.id}"]` : `li.thread-message[data-message="${item.dataset.message}"]`;
  const action = node.dataset?.action;
  const inside = node === item ? null : action ? `[data-action="${action}"]` : node.classList?.[0] ? `.${CSS.escape(node.classList[0])}` : null;
  return { node, message, inside };
}

/// Focuses what stands for an opener drawn again since: the same button of the same message, else
/// the message, if it is still shown.
function refocusRebuilt({ message, inside }) {
  const now = message ? document.querySelector(message) : null;
  if (!now) return;
  const same = inside && now.querySelector(inside);
  same?.focus();
  // (A button not shown takes no focus: the message does.)
  if (!same || document.activeElement !== same) now.focus();
}

/// Asks before a shorter message retention deletes messages for good: those of `where` (a phrase
/// such as "in every room") older than `days`. Resolves to whether to go on.
export async function confirmRetention(where, days) {
  const answer = await confirmDialog({
    title: "Delete older messages?",
    message: `Messages ${where} older than ${days} days will be deleted for good, with their files, within a minute, and from then on as they reach that age.`,
    confirm: "Delete older messages",
    danger: true,
  });
  return answer !== null;
}

/// Asks for confirmation; with `input`, also for a line of text. Resolves to null when cancelled,
/// else to the text (or ""). With `choice` ({ label, options: [[value, text]], value }), also for
/// one of a list first, and resolves to { text, choice } (the chosen option's value).
export function confirmDialog({ title, message, confirm = "OK", danger = true, input, choice }) {
  const dialog = $("confirm-dialog");
  $("confirm-title").textContent = title;
  $("confirm-message").textContent = message ?? "";
  $("confirm-ok").textContent = confirm;
  $("confirm-ok").className = danger ? "danger" : "primary";
  $("confirm-choice-field").hidden = !choice;
  $("confirm-choice-label").textContent = choice?.label ?? "";
  $("confirm-choice").replaceChildren(...(choice?.options ?? []).map(([value, text]) => el("option", { text, attrs: { value } })));
  if (choice) $("confirm-choice").value = choice.value ?? choice.options[0][0];
  $("confirm-input-field").hidden = !input;
  $("confirm-input-label").textContent = input?.label ?? "";
  $("confirm-input").value = "";
  return new Promise((resolve) => {
    const form = $("confirm-form");
    const submit = (event) => {
      event.preventDefault();
      dialog.close("ok");
    };
    form.addEventListener("submit", submit);
    dialog.addEventListener(
      "close",
      () => {
        form.removeEventListener("submit", submit);
        const text = $("confirm-input").value.trim();
        resolve(dialog.returnValue !== "ok" ? null : choice ? { text, choice: $("confirm-choice").value } : text);
      },
      { once: true },
    );
    dialog.returnValue = "";
    dialog.showModal();
    (choice ? $("confirm-choice") : input ? $("confirm-input") : $("confirm-ok")).focus();
  });
}

/// Selects a number setting's choice in `select` (null as ""); a number set through the API that the
/// list lacks gets its own entry, labelled by `label(number)`.
export function showChoice(select, number, label) {
  select.querySelector("option[data-custom]")?.remove();
  const value = number == null ? "" : String(number);
  if (![...select.options].some((option) => option.value === value)) {
    select.append(el("option", { text: label(number), attrs: { value }, dataset: { custom: "" } }));
  }
  select.value = value;
}

/// Shows an error in a dialog's error line (or clears it). `fields` (ids) are the inputs it is
/// about: each is marked invalid and described by the error line, so a screen reader says the error
/// again on the field, not only once as it shows. A field's mark goes when it is edited, or when the
/// error is cleared or replaced by one about other fields.
export function showError(id, error, fields = []) {
  $(id).textContent = error ? error.message ?? String(error) : "";
  markInvalid(id, error ? fields : []);
}

/// Marks `fields` (ids) invalid and described by the error line `errorId`; the fields it marked
/// before and not now are unmarked (other descriptions they have are kept).
export function markInvalid(errorId, fields) {
  for (const field of document.querySelectorAll(`[aria-describedby~="${errorId}"]`)) {
    if (!fields.includes(field.id)) unmarkInvalid(field, errorId);
  }
  for (const id of fields) {
    const field = $(id);
    if (!field) continue;
    field.setAttribute("aria-invalid", "true");
    const described = (field.getAttribute("aria-describedby") ?? "").split(/\s+/u).filter(Boolean);
    if (!described.includes(errorId)) field.setAttribute("aria-describedby", [...described, errorId].join(" "));
    field.addEventListener("input", () => unmarkInvalid(field, errorId), { once: true });
  }
}

function unmarkInvalid(field, errorId) {
  const described = (field.getAttribute("aria-describedby") ?? "").split(/\s+/u).filter((token) => token && token !== errorId);
  if (described.length) field.setAttribute("aria-describedby", described.join(" "));
  else field.removeAttribute("aria-describedby");
  field.removeAttribute("aria-invalid");
}

/// A page of a log, as the server gives it at most.
const LOG_PAGE = 50;

/// Shows a log's newest page in `list`, or (`older`) adds the page before its last entry; `more`
/// (a "Show older" button) stays while a page comes back full. `fetchPage(before)` gives a page's
/// entries; `current()` says whether its answer is still wanted. Before, only the newest 50 showed.
export async function showLog(list, more, fetchPage, { older = false, current = () => true } = {}) {
  const before = older ? Number(list.lastElementChild?.dataset.id) || undefined : undefined;
  const entries = await fetchPage(before);
  if (!current()) return;
  const items = entries.map(logItem);
  if (older) list.append(...items);
  else list.replaceChildren(...(items.length ? items : [el("li", { className: "muted", text: "Nothing yet." })]));
  const hadFocus = document.activeElement === more;
  more.hidden = entries.length < LOG_PAGE;
  // The last page: the focus goes to the list's newest-shown entry rather than the page.
  if (hadFocus && more.hidden) items[0]?.focus();
}

/// One log entry: what happened, and when.
export function logItem(entry) {
  return el(
    "li",
    { className: "entry", dataset: { id: entry.id }, attrs: { tabindex: "-1" } },
    el("span", { className: "person" }, el("span", { className: "name entry-details", text: logLine(entry) }), el("span", { className: "muted", text: formatFull(new Date(entry.created_at)) })),
  );
}

export function personOption(user) {
  return [avatarFor(user, "avatar small"), el("span", { className: "person" }, el("span", { className: "name", text: user.display_name }), el("span", { className: "muted", text: `@${user.username}` }))];
}

/// A username combobox: as the reader types, matching people appear; arrows move, Enter or a click
/// picks. `exclude(user)` hides people (myself, members already chosen).
export function userSearch({ input, results, onPick, exclude = () => false }) {
  let users = [];
  let active = -1;
  let controller = null;
  let timer = null;
  /// What an empty result says (nothing: no search yet); before, it said nothing at all, so a typo
  /// and a slow search looked alike (a hunt).
  let note = "";

  const render = () => {
    results.replaceChildren(
      ...(users.length === 0 && note ? [el("li", { className: "muted user-results-note", text: note, attrs: { role: "presentation" } })] : []),
      ...users.map((user, index) => {
        const option = el(
          "li",
          {
            className: index === active ? "option active" : "option",
            attrs: { role: "option", id: `${results.id}-${user.id}`, "aria-selected": index === active ? "true" : "false" },
            dataset: { username: user.username },
            on: {
              mousedown: (event) => event.preventDefault(),
              click: () => pick(user),
            },
          },
          ...personOption(user),
        );
        return option;
      }),
    );
    input.setAttribute("aria-expanded", users.length > 0 ? "true" : "false");
    if (active >= 0 && users[active]) input.setAttribute("aria-activedescendant", `${results.id}-${users[active].id}`);
    else input.removeAttribute("aria-activedescendant");
  };

  const pick = (user) => {
    users = [];
    note = "";
    active = -1;
    render();
    onPick(user);
  };

  const search = async () => {
    const prefix = input.value.trim().replace(/^@/, "");
    controller?.abort();
    if (prefix.length === 0) {
      users = [];
      note = "";
      render();
      return;
    }
    controller = new AbortController();
    try {
      const found = await Rooms.searchUsers(prefix.slice(0, 32), 8, { signal: controller.signal });
      users = found.users.filter((user) => !exclude(user));
      active = users.length > 0 ? 0 : -1;
      note = found.users.length === 0 ? "Nobody by that name." : "Nobody else by that name.";
      render();
    } catch (error) {
      if (error.name !== "AbortError") {
        users = [];
        note = `Could not search: ${error.message}`;
        render();
      }
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (users.length === 0) return;
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : -1) + users.length) % users.length;
      render();
    } else if (event.key === "Enter") {
      event.preventDefault();
      const typed = input.value.trim().replace(/^@/, "").toLowerCase();
      const exact = users.find((user) => user.username.toLowerCase() === typed);
      if (exact || users[active]) pick(exact ?? users[active]);
      else search().then(() => users.length === 1 && pick(users[0]));
    }
  });

  return {
    reset() {
      input.value = "";
      users = [];
      note = "";
      active = -1;
      render();
    },
  };
}
