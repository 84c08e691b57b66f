// Invite links to private groups: owners and admins make, copy and revoke them (from the member
// panel); opening a link (`#invite/<code>`) shows what it opens and joins with one click.
import { Invites } from "/api.js";
import * as actions from "/actions.js";
import { $, button, el } from "/dom.js";
import { formatFull } from "/format.js";
import { isArchived, on, state } from "/state.js";
import { showError } from "/views/dialogs.js";
import { copyAndTell } from "/views/toast.js";

let navigate = () => {};
/// The group the invites dialog manages.
let managed = null;
/// The code the join dialog is about, and the group it opens once known.
let pending = null;

export function initInvites({ onNavigate }) {
  navigate = onNavigate;
  $("invites-open").addEventListener("click", openInvites);
  $("invite-form").addEventListener("submit", createInvite);
  $("invite-copy").addEventListener("click", copyNewLink);
  $("invite-join").addEventListener("click", joinWithInvite);
  // No new links to an archived group: the form goes while it is archived.
  on("rooms", () => managed !== null && $("invites-dialog").open && renderArchived());
  // Someone joined the group (by a link, perhaps), or the window comes back to the front: the
  // links' uses are read again, and a used-up one leaves the list.
  on("joined", ({ roomId }) => roomId === managed && $("invites-dialog").open && loadInvites());
  window.addEventListener("focus", () => managed !== null && $("invites-dialog").open && loadInvites());
  $("invite-dialog").addEventListener("close", () => {
    // The address should not offer the invite again once the dialog is done with it.
    if (location.hash.startsWith("#invite/")) history.replaceState(null, "", state.room ? `#room/${state.room.id}` : location.pathname);
  });
}

const linkFor = (code) => new URL(`#invite/${code}`, location.href).href;

async function openInvites() {
  managed = state.room?.id ?? null;
  if (managed === null) return;
  showError("invites-error", null);
  $("invite-new").hidden = true;
  $("invite-form").reset();
  renderArchived();
  $("invites-dialog").showModal();
  if (!$("invite-form").hidden) $("invite-expiry").focus();
  await loadInvites();
}

function renderArchived() {
  $("invite-form").hidden = isArchived(managed);
  $("invites-archived").hidden = !isArchived(managed);
}

/// Reads the links again; of loads that overlap, only the newest is shown.
let loads = 0;
async function loadInvites() {
  const list = $("invite-list");
  const load = ++loads;
  const room = managed;
  try {
    const { invites } = await Invites.list(room);
    if (load !== loads || room !== managed) return;
    list.replaceChildren(...(invites.length ? invites.map(inviteItem) : [el("li", { className: "muted", text: "No links yet." })]));
  } catch (error) {
    showError("invites-error", error);
  }
}

function inviteItem(invite) {
  const uses = invite.max_uses !== null ? `used ${invite.uses} of ${invite.max_uses}`
    : invite.uses === 0 ? "not used yet" : invite.uses === 1 ? "used once" : `used ${invite.uses} times`;
  const expires = invite.expires_at ? `expires ${formatFull(new Date(invite.expires_at))}` : "never expires";
  const name = `${invite.hint}…`;
  const details = `by ${invite.created_by.display_name} · ${uses} · ${expires}`;
  const revoke = button("Revoke", {
    className: "secondary small",
    attrs: { "aria-label": `Revoke the link ${name}` },
    onClick: async () => {
      revoke.disabled = true;
      try {
        await Invites.revoke(managed, invite.id);
        await loadInvites();
        if (!$("invite-form").hidden) $("invite-expiry").focus();
      } catch (error) {
        showError("invites-error", error);
        revoke.disabled = false;
      }
    },
  });
  const text = el(
    "span",
    { className: "person" },
    el("span", { className: "name", text: name }),
    el("span", { className: "muted entry-details", text: details }),
    invite.active ? null : el("span", { className: "invite-inactive entry-details", text: "Not working: its maker is no longer an admin." }),
  );
  return el("li", { className: "entry", dataset: { inviteId: invite.id } }, text, revoke);
}

async function createInvite(event) {
  event.preventDefault();
  showError("invites-error", null);
  $("invite-create").disabled = true;
  try {
    const uses = $("invite-uses").value;
    const { invite } = await Invites.create(managed, {
      expires_in_seconds: Number($("invite-expiry").value),
      ...(uses ? { max_uses: Number(uses) } : {}),
    });
    $("invite-link").value = linkFor(invite.code);
    $("invite-new").hidden = false;
    $("invite-link").focus();
    $("invite-link").select();
    await loadInvites();
  } catch (error) {
    const field = { invalid_expiry: "invite-expiry", invalid_max_uses: "invite-uses" }[error.code];
    showError("invites-error", error, field ? [field] : []);
  } finally {
    $("invite-create").disabled = false;
  }
}

function copyNewLink() {
  $("invite-link").select();
  return copyAndTell($("invite-link").value);
}

/// Shows what the invite `code` opens, with Join (or Open, for a group I am in already).
export async function openInvite(code) {
  pending = { code, room: null };
  $("invite-title").textContent = "Join a group";
  $("invite-text").textContent = "Looking at the invite…";
  $("invite-topic").hidden = true;
  $("invite-join").hidden = true;
  showError("invite-error", null);
  if (!$("invite-dialog").open) $("invite-dialog").showModal();
  try {
    const preview = await Invites.preview(code);
    if (pending?.code !== code) return;
    pending.room = preview.room;
    const { room } = preview;
    const members = room.member_count === 1 ? "1 member" : `${room.member_count} members`;
    $("invite-title").textContent = room.name;
    $("invite-text").textContent = preview.member
      ? `You are in ${room.name} already (${members}).`
      : room.archived
        ? `${preview.invited_by.display_name} invited you to the private group ${room.name} (${members}), but it is archived: it cannot be joined until an owner or admin unarchives it.`
        : `${preview.invited_by.display_name} invites you to join the private group ${room.name} (${members}).`;
    $("invite-topic").textContent = room.topic;
    $("invite-topic").hidden = !room.topic;
    $("invite-join").textContent = preview.member ? "Open" : "Join";
    $("invite-join").hidden = !preview.member && room.archived;
    if (!$("invite-join").hidden) $("invite-join").focus();
  } catch (error) {
    $("invite-text").textContent = "";
    showError("invite-error", error);
  }
}

async function joinWithInvite() {
  if (!pending) return;
  $("invite-join").disabled = true;
  try {
    const { room } = await Invites.accept(pending.code);
    await actions.loadRooms();
    pending = null;
    $("invite-dialog").close();
    navigate(room.id);
  } catch (error) {
    showError("invite-error", error);
  } finally {
    $("invite-join").disabled = false;
  }
}
