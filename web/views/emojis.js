// The site's custom emoji in the settings: the list (each with who added it, and Delete for its
// adder or a site admin), kept live, and a form that adds one: a name and a picture.
import * as actions from "/actions.js";
import { customEmoji, customEmojiImage } from "/customemoji.js";
import { $, button, el } from "/dom.js";
import { emojiNamed } from "/emoji.js";
import { on, siteAllows, state } from "/state.js";
import { showError } from "/views/dialogs.js";

let picture = null;

export function initEmojis() {
  $("emoji-choose").addEventListener("click", () => $("emoji-file").click());
  $("emoji-file").addEventListener("change", () => {
    picture = $("emoji-file").files[0] ?? null;
    $("emoji-file-name").textContent = picture ? picture.name : "";
    // A name from the file's, when none is typed yet: "Party Parrot.gif" → party_parrot.
    if (picture && !$("emoji-name").value.trim()) {
      $("emoji-name").value = picture.name.replace(/\.[^.]*$/u, "").toLowerCase().replace(/[^a-z0-9_+-]+/gu, "_").replace(/^_+|_+$/gu, "").slice(0, 30);
    }
  });
  $("emoji-form").addEventListener("submit", add);
  on("emoji", () => {
    if ($("profile-dialog").open) renderEmojis();
  });
  on("site", renderForm);
  on("me", renderForm);
}

/// The form shows while I may add (a site admin may keep adding to site admins).
function renderForm() {
  const may = siteAllows("custom_emoji");
  $("emoji-form").hidden = !may;
  $("emoji-admins-only").hidden = may;
}

/// The section as the dialog opens: the list as it is, an empty form.
export function openEmojis() {
  $("emoji-form").reset();
  picture = null;
  $("emoji-file-name").textContent = "";
  showError("emoji-error", null);
  renderForm();
  renderEmojis();
}

function renderEmojis() {
  const all = [...customEmoji.values()].sort((a, b) => a.name.localeCompare(b.name));
  $("emoji-list").replaceChildren(...(all.length ? all.map(emojiItem) : [el("li", { className: "muted", text: "None yet." })]));
}

function emojiItem(emoji) {
  const mayDelete = emoji.created_by.id === state.me.id || state.me.site_role === "admin";
  const remove = mayDelete
    ? button("Delete", {
        className: "secondary small",
        attrs: { "aria-label": `Delete :${emoji.name}:` },
        onClick: async () => {
          remove.disabled = true;
          try {
            await actions.deleteCustomEmoji(emoji.name);
            ($("emoji-list").querySelector("button") ?? $("emoji-name")).focus();
          } catch (error) {
            remove.disabled = false;
            showError("emoji-error", error);
          }
        },
      })
    : null;
  return el(
    "li",
    { className: "entry", dataset: { emoji: emoji.name } },
    customEmojiImage(emoji.name),
    el("span", { className: "person" }, el("span", { className: "name", text: `:${emoji.name}:` }), el("span", { className: "muted entry-details", text: `added by ${emoji.created_by.display_name}` })),
    remove,
  );
}

async function add(event) {
  event.preventDefault();
  const name = $("emoji-name").value.trim();
  if (!name) return showError("emoji-error", "Give it a name.", ["emoji-name"]);
  // Typed out in full, a standard emoji's name becomes that emoji: a custom one of the same name
  // could only be reached through the suggestions.
  const standard = emojiNamed(name);
  if (standard) return showError("emoji-error", `:${name.toLowerCase()}: is already ${standard}: choose another name.`, ["emoji-name"]);
  if (!picture) return showError("emoji-error", "Choose a picture.");
  showError("emoji-error", null);
  $("emoji-add").disabled = true;
  try {
    await actions.addCustomEmoji(name, picture);
    $("emoji-form").reset();
    picture = null;
    $("emoji-file-name").textContent = "";
    $("emoji-name").focus();
  } catch (error) {
    // A refused name (taken, not of the letters allowed) is the name field's; a refused picture has
    // no field to mark (its input is hidden behind the "Choose picture…" button).
    showError("emoji-error", error, /name/u.test(error.code ?? "") ? ["emoji-name"] : []);
  } finally {
    $("emoji-add").disabled = false;
  }
}
