// Creating rooms and groups, changing a room's settings and my notification level for it, browsing
// and joining public rooms (with their password), and opening a DM by username.
import * as actions from "/actions.js";
import { Admin, Rooms } from "/api.js";
import { $, button, el } from "/dom.js";
import { roomName } from "/format.js";
import { icon } from "/icons.js";
import { myRole, on, state } from "/state.js";
import { confirmDialog, showError, userSearch } from "/views/dialogs.js";

let navigate = () => {};
/// "create" or "edit"; for "edit", the room being edited.
let roomForm = { mode: "create", room: null };
let chosenMembers = new Map();
let memberSearch = null;
let dmSearch = null;

export function initRoomDialogs({ onNavigate }) {
  navigate = onNavigate;
  for (const radio of document.querySelectorAll('#room-kind input[name="kind"]')) radio.addEventListener("change", syncRoomForm);
  $("room-form").addEventListener("submit", submitRoom);
  $("room-delete").addEventListener("click", deleteRoom);
  // The directory changes live (rooms created, renamed, deleted by anyone): an open list follows.
  on("directory", () => $("browse-dialog").open && renderDirectory());
  memberSearch = userSearch({
    input: $("room-member-input"),
    results: $("room-member-results"),
    exclude: (user) => user.id === state.me.id || chosenMembers.has(user.id),
    onPick: (user) => {
      chosenMembers.set(user.id, user);
      memberSearch.reset();
      renderChips();
    },
  });
  dmSearch = userSearch({
    input: $("dm-input"),
    results: $("dm-results"),
    exclude: (user) => user.id === state.me.id,
    onPick: openDM,
  });
  $("dm-form").addEventListener("submit", (event) => event.preventDefault());
  $("browse-filter").addEventListener("input", renderDirectory);
  $("notify-form").addEventListener("submit", submitNotifyLevel);
  $("password-form").addEventListener("submit", (event) => {
    event.preventDefault();
    passwordSubmit?.();
  });
}

const kind = () => document.querySelector('#room-kind input[name="kind"]:checked').value;

export function openRoomDialog(initialKind = "public") {
  roomForm = { mode: "create", room: null };
  $("room-form").reset();
  document.querySelector(`#room-kind input[value="${initialKind}"]`).checked = true;
  chosenMembers = new Map();
  memberSearch.reset();
  renderChips();
  showError("room-error", null);
  syncRoomForm();
  $("room-dialog").showModal();
  $("room-name").focus();
}

export function openRoomSettings() {
  const room = state.rooms.get(state.room?.id);
  if (!room) return;
  roomForm = { mode: "edit", room };
  $("room-form").reset();
  $("room-name").value = room.name;
  $("room-topic-input").value = room.topic ?? "";
  $("room-moderated").checked = room.post_policy === "moderators";
  showError("room-error", null);
  syncRoomForm();
  $("room-dialog").showModal();
  $("room-name").focus();
}

/// The room whose notification level the dialog is changing.
let notifyRoom = null;

export function openNotifyDialog() {
  const room = state.rooms.get(state.room?.id);
  if (!room) return;
  notifyRoom = room;
  $("notify-dialog-title").textContent = `Notifications for ${roomName(room)}`;
  // In a DM every message is for me: it is all or nothing.
  $("notify-mentions-choice").hidden = room.kind === "dm";
  const level = room.notify_level === "mentions" && room.kind === "dm" ? "all" : room.notify_level ?? "mentions";
  const checked = document.querySelector(`#notify-levels input[value="${level}"]`);
  checked.checked = true;
  showError("notify-error", null);
  $("notify-dialog").showModal();
  checked.focus();
}

async function submitNotifyLevel(event) {
  event.preventDefault();
  const level = document.querySelector('#notify-levels input[name="level"]:checked')?.value;
  if (!notifyRoom || !level) return;
  $("notify-submit").disabled = true;
  try {
    await actions.setNotifyLevel(notifyRoom.id, level);
    $("notify-dialog").close();
  } catch (error) {
    showError("notify-error", error);
  } finally {
    $("notify-submit").disabled = false;
  }
}

function syncRoomForm() {
  const editing = roomForm.mode === "edit";
  const currentKind = editing ? roomForm.room.kind : kind();
  $("room-dialog-title").textContent = editing ? `Settings of ${roomForm.room.name}` : currentKind === "group" ? "Create a private group" : "Create a room";
  $("room-submit").textContent = editing ? "Save" : "Create";
  $("room-kind").hidden = editing;
  $("room-password-field").hidden = currentKind !== "public";
  $("room-clear-password-field").hidden = !(editing && roomForm.room.has_password);
  $("room-members-field").hidden = editing || currentKind !== "group";
  // Settings are for the room's admins and owner; a site admin who is neither may only delete it.
  const manages = !editing || ["admin", "owner"].includes(myRole(roomForm.room.id));
  for (const id of ["room-name", "room-topic-input"]) $(id).closest("label").hidden = !manages;
  $("room-moderated-field").hidden = !(manages && currentKind !== "dm");
  if (!manages) $("room-password-field").hidden = $("room-clear-password-field").hidden = true;
  $("room-submit").hidden = !manages;
  $("room-delete").hidden = !(editing && mayDelete(roomForm.room));
}

/// The owner deletes a room, and so does a site admin; `main` stays.
function mayDelete(room) {
  const main = room.kind === "public" && room.name === "main";
  return !main && room.kind !== "dm" && (myRole(room.id) === "owner" || state.me?.site_role === "admin");
}

async function deleteRoom() {
  const room = roomForm?.room;
  if (!room) return;
  const answer = await confirmDialog({
    title: `Delete ${roomName(room)}?`,
    message: "Every message and file in it is deleted, for everyone. This cannot be undone.",
    confirm: "Delete room",
  });
  if (answer === null) return;
  try {
    await (myRole(room.id) === "owner" ? Rooms.remove(room.id) : Admin.deleteRoom(room.id));
    $("room-dialog").close();
  } catch (error) {
    showError("room-error", error);
  }
}

function renderChips() {
  $("room-member-chips").replaceChildren(
    ...[...chosenMembers.values()].map((user) =>
      el(
        "li",
        { className: "chip" },
        el("span", { text: user.display_name }),
        button("", {
          className: "icon-button small",
          icon: icon("x"),
          attrs: { "aria-label": `Remove ${user.display_name}` },
          onClick: () => {
            chosenMembers.delete(user.id);
            renderChips();
            $("room-member-input").focus();
          },
        }),
      ),
    ),
  );
}

async function submitRoom(event) {
  event.preventDefault();
  const name = $("room-name").value.trim();
  const topic = $("room-topic-input").value.trim();
  const password = $("room-password").value;
  if (!name) {
    showError("room-error", new Error("Give the room a name."));
    $("room-name").focus();
    return;
  }
  $("room-submit").disabled = true;
  try {
    if (roomForm.mode === "edit") {
      const changes = { name, topic };
      if ($("room-clear-password").checked) changes.password = null;
      else if (password) changes.password = password;
      if (roomForm.room.kind !== "dm") changes.post_policy = $("room-moderated").checked ? "moderators" : "everyone";
      await actions.updateRoom(roomForm.room.id, changes);
      $("room-dialog").close();
    } else {
      const room = await actions.createRoom({
        name,
        topic,
        kind: kind(),
        password: kind() === "public" ? password : undefined,
        members: kind() === "group" ? [...chosenMembers.keys()] : [],
        post_policy: $("room-moderated").checked ? "moderators" : "everyone",
      });
      $("room-dialog").close();
      navigate(room.id);
    }
  } catch (error) {
    showError("room-error", error);
  } finally {
    $("room-submit").disabled = false;
  }
}

export function openDMDialog() {
  dmSearch.reset();
  showError("dm-error", null);
  $("dm-dialog").showModal();
  $("dm-input").focus();
}

async function openDM(user) {
  try {
    const room = await actions.openDM(user.id);
    $("dm-dialog").close();
    navigate(room.id);
  } catch (error) {
    showError("dm-error", error);
  }
}

export async function openBrowseDialog() {
  $("browse-filter").value = "";
  showError("browse-error", null);
  $("browse-list").replaceChildren(el("li", { className: "muted", text: "Loading…" }));
  $("browse-dialog").showModal();
  $("browse-filter").focus();
  try {
    await actions.loadRooms();
  } catch (error) {
    showError("browse-error", error);
  }
  renderDirectory();
}

function renderDirectory() {
  const filter = $("browse-filter").value.trim().toLocaleLowerCase();
  const rooms = state.directory
    .filter((room) => !filter || room.name.toLocaleLowerCase().includes(filter) || (room.topic ?? "").toLocaleLowerCase().includes(filter))
    .sort((a, b) => b.member_count - a.member_count || a.name.localeCompare(b.name));
  if (rooms.length === 0) {
    $("browse-list").replaceChildren(el("li", { className: "muted", text: filter ? "No room matches." : "No public rooms yet." }));
    return;
  }
  $("browse-list").replaceChildren(
    ...rooms.map((room) => {
      const joined = state.rooms.has(room.id);
      const action = joined
        ? button("Open", { className: "secondary small", onClick: () => ($("browse-dialog").close(), navigate(room.id)) })
        : button(room.has_password ? "Join…" : "Join", { className: "primary small", onClick: () => joinRoom(room) });
      action.setAttribute("aria-label", `${joined ? "Open" : "Join"} ${room.name}`);
      return el(
        "li",
        { className: "browse-item", dataset: { room: room.id, name: room.name } },
        icon(room.has_password ? "lock" : "hash", { className: "room-kind" }),
        el(
          "span",
          { className: "browse-text" },
          el("strong", { text: room.name }),
          el("span", { className: "muted", text: [room.topic, `${room.member_count} ${room.member_count === 1 ? "member" : "members"}`].filter(Boolean).join(" · ") }),
        ),
        action,
      );
    }),
  );
}

let passwordSubmit = null;

async function joinRoom(room) {
  showError("browse-error", null);
  try {
    // The directory may be stale: ask the room itself whether it wants a password.
    const { has_password } = await Rooms.hasPassword(room.id).catch(() => ({ has_password: room.has_password }));
    if (!has_password) {
      await actions.join(room);
      $("browse-dialog").close();
      navigate(room.id);
      return;
    }
    askPassword(room);
  } catch (error) {
    showError("browse-error", error);
  }
}

function askPassword(room) {
  $("password-dialog-title").textContent = `#${room.name} has a password`;
  $("room-join-password").value = "";
  showError("password-error", null);
  passwordSubmit = async () => {
    try {
      await actions.join(room, $("room-join-password").value);
      $("password-dialog").close();
      $("browse-dialog").close();
      navigate(room.id);
    } catch (error) {
      showError("password-error", error.code === "wrong_password" ? new Error("That is not the password.") : error);
      $("room-join-password").select();
    }
  };
  $("password-dialog").showModal();
  $("room-join-password").focus();
}

