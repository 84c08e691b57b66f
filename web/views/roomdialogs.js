// Creating rooms and groups, changing a room's settings (archiving it, deleting it) and my
// notification level for it, browsing and joining public rooms (with their password), and opening a
// DM with one person or a group DM with several.
import * as actions from "/actions.js";
import { Admin, Rooms } from "/api.js";
import { $, button, el } from "/dom.js";
import { formatDate, formatFull, formatInterval, isGroupDM, roomName } from "/format.js";
import { icon } from "/icons.js";
import { archivedAt, isMainRoom, mayArchive, myRole, on, siteAllows, state } from "/state.js";
import { confirmDialog, confirmRetention, showChoice, showError, userSearch } from "/views/dialogs.js";
import { focusBoxWhenOpen } from "/views/composer.js";
import { openRoomReport } from "/views/reports.js";
import { hideRoomPreview, showRoomPreview } from "/views/roompreview.js";
import { toast, toastError } from "/views/toast.js";

let navigate = () => {};
/// "create" or "edit"; for "edit", the room being edited.
let roomForm = { mode: "create", room: null };
let chosenMembers = new Map();
let memberSearch = null;
/// The people chosen for a DM (user id -> user).
let chosenPeople = new Map();
let dmSearch = null;
/// The most people a DM has besides me (the server's limit).
const MAX_DM_OTHERS = 8;

export function initRoomDialogs({ onNavigate }) {
  navigate = onNavigate;
  for (const radio of document.querySelectorAll('#room-kind input[name="kind"]')) radio.addEventListener("change", syncRoomForm);
  $("room-form").addEventListener("submit", submitRoom);
  $("room-delete").addEventListener("click", deleteRoom);
  $("room-archive").addEventListener("click", archiveRoom);
  $("room-retention").addEventListener("change", saveRoomRetention);
  $("room-unarchive").addEventListener("click", () => unarchiveRoom(roomForm.room));
  // The room being edited changed under the dialog (archived or unarchived, here or elsewhere; my
  // role, which the open room's member list tells once it reloads: a hunt's demoted admin kept the
  // fields, and Save failed): what it offers follows, and what was typed stays.
  const follow = () => {
    if (roomForm.mode !== "edit" || !$("room-dialog").open) return;
    const room = state.rooms.get(roomForm.room.id);
    if (!room) {
      $("room-dialog").close();
      return;
    }
    roomForm.room = room;
    syncRoomForm();
    // The retention is saved as it is chosen, so it shows the room's as it is now (another site
    // admin's change too), unless a choice of mine is on its way.
    if (!$("room-retention").disabled) renderRoomRetention(room);
  };
  on("rooms", follow);
  on("members", follow);
  // The directory changes live (rooms created, renamed, deleted by anyone): an open list follows.
  on("directory", () => $("browse-dialog").open && renderDirectory());
  memberSearch = userSearch({
    input: $("room-member-input"),
    results: $("room-member-results"),
    exclude: (user) => user.id === state.me.id || chosenMembers.has(user.id),
    onPick: (user) => {
      chosenMembers.set(user.id, user);
      memberSearch.reset();
      renderMemberChips();
    },
  });
  dmSearch = userSearch({
    input: $("dm-input"),
    results: $("dm-results"),
    exclude: (user) => user.id === state.me.id || chosenPeople.has(user.id),
    onPick: (user) => {
      showError("dm-error", null);
      if (chosenPeople.size >= MAX_DM_OTHERS) {
        showError("dm-error", new Error(`A conversation has at most ${MAX_DM_OTHERS} people besides you: make a private group for more.`), ["dm-input"]);
      } else chosenPeople.set(user.id, user);
      dmSearch.reset();
      renderPeopleChips();
    },
  });
  $("dm-form").addEventListener("submit", (event) => event.preventDefault());
  $("dm-open").addEventListener("click", openDM);
  // Enter in the empty box opens the conversation with the people chosen (seen before the search's
  // own Enter, which picks a person and empties the box).
  $("dm-input").addEventListener(
    "keydown",
    (event) => {
      if (event.key === "Enter" && !$("dm-input").value.trim() && chosenPeople.size) openDM();
    },
    { capture: true },
  );
  $("browse-filter").addEventListener("input", renderDirectory);
  // Enter in the filter opens or joins the first room listed, as a picker does. (The form submits
  // itself on Enter, one text box and no submit button; left alone, that closed the dialog.)
  $("browse-filter").form.addEventListener("submit", (event) => {
    event.preventDefault();
    if ($("browse-filter").value.trim()) $("browse-list").querySelector("li.browse-item .browse-action")?.click();
  });
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
  // Where only site admins create public rooms, the others make a private group.
  const publicAllowed = siteAllows("public_rooms");
  document.querySelector('#room-kind input[value="public"]').disabled = !publicAllowed;
  document.querySelector(`#room-kind input[value="${publicAllowed ? initialKind : "group"}"]`).checked = true;
  chosenMembers = new Map();
  memberSearch.reset();
  renderMemberChips();
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
  // A slow mode set through the API to a time the list does not offer is offered as it is.
  showChoice($("room-slow-mode"), room.slow_mode_seconds ?? 0, (seconds) => `Once every ${formatInterval(seconds)}`);
  renderRoomRetention(room);
  showError("room-error", null);
  loadRoomFilter(room);
  syncRoomForm();
  roomForm.opened = roomSettings();
  $("room-dialog").showModal();
  // (Where there are no fields, as for an archived room, Unarchive or Close takes the focus.)
  const field = ["room-name", "room-topic-input"].map($).find((input) => !input.closest("label").hidden);
  if (field) field.focus();
  else ($("room-unarchive").hidden ? $("room-form").querySelector("[data-close]") : $("room-unarchive")).focus();
}

/// The room whose notification level the dialog is changing.
let notifyRoom = null;

export function openNotifyDialog() {
  const room = state.rooms.get(state.room?.id);
  if (!room) return;
  notifyRoom = room;
  $("notify-dialog-title").textContent = `Notifications for ${roomName(room)}`;
  // In a two-person DM every message is for me: it is all or nothing. A group DM may be busy.
  const pair = room.kind === "dm" && !isGroupDM(room);
  $("notify-mentions-choice").hidden = pair;
  const level = room.notify_level === "mentions" && pair ? "all" : room.notify_level ?? (room.kind === "dm" ? "all" : "mentions");
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
  const dm = editing && currentKind === "dm";
  $("room-dialog-title").textContent = dm ? `Topic of ${roomName(roomForm.room)}`
    : editing ? `Settings of ${roomForm.room.name}` : currentKind === "group" ? "Create a private group" : "Create a room";
  $("room-submit").textContent = editing ? "Save" : "Create";
  $("room-kind").hidden = editing;
  $("room-password-field").hidden = currentKind !== "public";
  $("room-clear-password-field").hidden = !(editing && roomForm.room.has_password);
  $("room-members-field").hidden = editing || currentKind !== "group";
  // Settings are for the room's admins and owner; a site admin who is neither may only delete it.
  // An archived room's settings stay as they are (the server refuses changes) until it is unarchived.
  const archived = editing && archivedAt(roomForm.room.id) !== null;
  // A DM's people may set its topic, and nothing else.
  const manages = (!editing || dm || ["admin", "owner"].includes(myRole(roomForm.room.id))) && !archived;
  $("room-name").closest("label").hidden = !manages || dm;
  $("room-topic-input").closest("label").hidden = !manages;
  $("room-moderated-field").hidden = !(manages && currentKind !== "dm");
  $("room-slow-mode-field").hidden = !(editing && manages && currentKind !== "dm");
  // The room's word filter: its owner and admins (a DM has none), once it has loaded.
  $("room-filter-field").hidden = !(editing && manages && currentKind !== "dm" && roomForm.filter !== null);
  $("room-retention-field").hidden = !(editing && state.me?.site_role === "admin");
  if (!manages) $("room-password-field").hidden = $("room-clear-password-field").hidden = true;
  $("room-submit").hidden = !manages;
  $("room-form").querySelector("[data-close]").textContent = manages ? "Cancel" : "Close";
  $("room-delete").hidden = !(editing && mayDelete(roomForm.room));
  const archivable = editing && mayArchive(roomForm.room.id);
  $("room-archive-field").hidden = !(archivable && !archived);
  $("room-unarchive").hidden = !(archivable && archived);
  const info = $("room-archived-info");
  info.hidden = !archived;
  if (archived) {
    const when = new Date(archivedAt(roomForm.room.id));
    info.textContent = `${roomForm.room.kind === "group" ? "This group" : "This room"} was archived on ${formatDate(when)}. It is read-only: ` +
      (archivable ? "unarchive it to post in it or change its settings again." : "only its owner or an admin can unarchive it.");
    info.title = formatFull(when);
  }
}

/// A room's retention as a choice: the site's (saying what that is), for ever, or days (one set
/// through the API that the list lacks gets its own entry).
function renderRoomRetention(room) {
  const site = state.site?.message_retention_days;
  $("room-retention-site").textContent = `As the site (${site == null ? "keep messages for ever" : `delete messages after ${site} ${site === 1 ? "day" : "days"}`})`;
  showChoice($("room-retention"), room.message_retention_days, (days) => `Delete messages after ${days} ${days === 1 ? "day" : "days"}`);
}

/// How many days a room keeps messages with `own` as its retention (Infinity: for ever).
function keeps(own) {
  if (own === -1) return Infinity;
  return own ?? state.site?.message_retention_days ?? Infinity;
}

/// A site admin sets the room's retention at once; one that deletes more is asked first.
async function saveRoomRetention() {
  const room = roomForm?.room && state.rooms.get(roomForm.room.id);
  if (!room) return;
  const value = $("room-retention").value;
  const days = value === "" ? null : Number(value);
  const after = keeps(days);
  if (after < keeps(room.message_retention_days)) {
    if (!(await confirmRetention(`of ${roomName(room)}`, after))) {
      renderRoomRetention(room);
      return;
    }
  }
  showError("room-error", null);
  $("room-retention").disabled = true;
  try {
    await actions.setRoomRetention(room.id, days);
    if (roomForm?.room?.id === room.id) roomForm.room = state.rooms.get(room.id) ?? roomForm.room;
    toast("Message retention saved.", { kind: "info", ms: 2500 });
  } catch (error) {
    showError("room-error", error, error.code === "invalid_setting" ? ["room-retention"] : []);
    renderRoomRetention(state.rooms.get(room.id) ?? room);
  } finally {
    $("room-retention").disabled = false;
  }
}

/// The owner deletes a room, and so does a site admin; `main` stays.
function mayDelete(room) {
  return !isMainRoom(room) && room.kind !== "dm" && (myRole(room.id) === "owner" || state.me?.site_role === "admin");
}

/// Archives the room being edited, once confirmed: it turns read-only for everyone.
async function archiveRoom() {
  const room = roomForm?.room;
  if (!room) return;
  const what = room.kind === "group" ? "group" : "room";
  const answer = await confirmDialog({
    title: `Archive ${roomName(room)}?`,
    message:
      `The ${what} becomes read-only for everyone: nobody can post, reply, react, vote, pin or share files in it, ` +
      `and nobody can join it${room.kind === "public" ? " (it leaves the list of public rooms)" : ""}. ` +
      "Its messages stay, to read and search. An owner or admin can unarchive it at any time.",
    confirm: `Archive ${what}`,
  });
  if (answer === null) return;
  showError("room-error", null);
  try {
    await actions.setArchived(room.id, true);
    $("room-dialog").close();
    toast(`${roomName(room)} is archived.`, { kind: "info" });
  } catch (error) {
    showError("room-error", error);
  }
}

/// Brings an archived room back (from its settings, or from the note in place of its message box).
export async function unarchiveRoom(room) {
  if (!room) return;
  try {
    await actions.setArchived(room.id, false);
    if ($("room-dialog").open && roomForm.room?.id === room.id) $("room-dialog").close();
    toast(`${roomName(room)} is unarchived.`, { kind: "info" });
  } catch (error) {
    if ($("room-dialog").open) showError("room-error", error);
    else toastError(error);
  }
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

/// The chosen people of a picker as chips, each with a button that takes them out again.
function renderChips(list, chosen, input, onChange = () => {}) {
  list.replaceChildren(
    ...[...chosen.values()].map((user) =>
      el(
        "li",
        { className: "chip", dataset: { username: user.username } },
        el("span", { text: user.display_name }),
        button("", {
          className: "icon-button small",
          icon: icon("x"),
          attrs: { "aria-label": `Remove ${user.display_name}` },
          onClick: () => {
            chosen.delete(user.id);
            renderChips(list, chosen, input, onChange);
            input.focus();
          },
        }),
      ),
    ),
  );
  onChange();
}

const renderMemberChips = () => renderChips($("room-member-chips"), chosenMembers, $("room-member-input"));

const renderPeopleChips = () =>
  renderChips($("dm-chips"), chosenPeople, $("dm-input"), () => {
    $("dm-open").disabled = chosenPeople.size === 0;
    $("dm-open").textContent = chosenPeople.size > 1 ? `Open group conversation (${chosenPeople.size + 1} people)` : "Open conversation";
  });

/// Loads the word filter of the room being edited into its field (the field waits, disabled, meanwhile).
/// `roomForm.filter` is the filter as loaded or last saved; null where there is none to show (not
/// its owner or an admin, a DM, or the load failed: the field hides).
async function loadRoomFilter(room) {
  const manages = room.kind !== "dm" && ["admin", "owner"].includes(myRole(room.id)) && archivedAt(room.id) === null;
  roomForm.filter = manages ? undefined : null;
  for (const id of ["room-filter-words", "room-filter-mode"]) $(id).disabled = manages;
  $("room-filter-words").value = "";
  $("room-filter-words").placeholder = "Loading…";
  if (!manages) return;
  const form = roomForm;
  try {
    const filter = await Rooms.filter(room.id);
    if (roomForm !== form) return;
    showFilter(filter);
  } catch {
    if (roomForm !== form) return;
    roomForm.filter = null;
    syncRoomForm();
  }
}

function showFilter(filter) {
  roomForm.filter = { words: filter.words, mode: filter.mode };
  $("room-filter-words").value = filter.words.join("\n");
  $("room-filter-words").placeholder = "No words filtered";
  $("room-filter-mode").value = filter.mode;
  for (const id of ["room-filter-words", "room-filter-mode"]) $(id).disabled = false;
  syncRoomForm();
}

/// The filter as the field shows it: words one per line or separated by commas; null when it is
/// not shown or unchanged since it loaded (nothing to save).
function changedFilter() {
  if (!roomForm.filter || $("room-filter-field").hidden) return null;
  const words = $("room-filter-words").value.split(/[\n,]+/).map((word) => word.trim()).filter(Boolean);
  const mode = $("room-filter-mode").value;
  const same = (list) => [...new Set(list.map((word) => word.toLowerCase()))].sort().join("\n");
  if (mode === roomForm.filter.mode && same(words) === same(roomForm.filter.words)) return null;
  return { words, mode };
}

/// The settings as the dialog shows them, as the server takes them.
function roomSettings() {
  return {
    name: $("room-name").value.trim(),
    topic: $("room-topic-input").value.trim(),
    post_policy: $("room-moderated").checked ? "moderators" : "everyone",
    slow_mode_seconds: Number($("room-slow-mode").value),
  };
}

/// Only the settings changed since the dialog opened: one left alone is not sent, so that what
/// someone else changed meanwhile stays.
function changedSettings(fields) {
  const now = roomSettings();
  return Object.fromEntries(fields.filter((field) => now[field] !== roomForm.opened?.[field]).map((field) => [field, now[field]]));
}

/// The room form's fields a refusal is about, by its code (none for one about the server, the
/// connection or the room as a whole).
function roomFieldsOf(error) {
  const code = error?.code ?? "";
  if (/name/u.test(code)) return ["room-name"];
  if (/password/u.test(code)) return ["room-password"];
  if (/topic/u.test(code)) return ["room-topic-input"];
  if (/filter/u.test(code)) return ["room-filter-words"];
  if (/slow_mode/u.test(code)) return ["room-slow-mode"];
  if (/members/u.test(code)) return ["room-member-input"];
  return [];
}

async function submitRoom(event) {
  event.preventDefault();
  // Nothing to save where the fields are not offered (an archived room; a site admin's view).
  if ($("room-submit").hidden) return;
  const name = $("room-name").value.trim();
  const topic = $("room-topic-input").value.trim();
  const password = $("room-password").value;
  if (roomForm.mode === "edit" && roomForm.room.kind === "dm") {
    // A DM's topic is all its people may change.
    $("room-submit").disabled = true;
    try {
      const changes = changedSettings(["topic"]);
      if (Object.keys(changes).length) await actions.updateRoom(roomForm.room.id, changes);
      $("room-dialog").close();
    } catch (error) {
      showError("room-error", error, roomFieldsOf(error));
    } finally {
      $("room-submit").disabled = false;
    }
    return;
  }
  if (!name) {
    showError("room-error", new Error("Give the room a name."), ["room-name"]);
    $("room-name").focus();
    return;
  }
  $("room-submit").disabled = true;
  try {
    if (roomForm.mode === "edit") {
      // The filter first: a word the server refuses (422 invalid_filter, its message shown) leaves
      // the dialog open with nothing else saved.
      const filter = changedFilter();
      if (filter) {
        const saved = await Rooms.setFilter(roomForm.room.id, filter);
        showFilter(saved?.words ? saved : filter);
      }
      const changes = changedSettings(["name", "topic", "post_policy", "slow_mode_seconds"]);
      if ($("room-clear-password").checked) changes.password = null;
      else if (password) changes.password = password;
      try {
        if (Object.keys(changes).length) await actions.updateRoom(roomForm.room.id, changes);
      } catch (error) {
        // Two requests: the filter stays saved when the rest is refused (a name taken), and the
        // error says so, so that Cancel is not taken to undo it (a hunt).
        if (filter) error.message = `The word filter was saved, but the other changes were not: ${error.message}`;
        throw error;
      }
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
      // The dialog gives the focus back to "+" as it closes; the new room's box is where one goes on.
      focusBoxWhenOpen(room.id);
      navigate(room.id);
    }
  } catch (error) {
    showError("room-error", error, roomFieldsOf(error));
  } finally {
    $("room-submit").disabled = false;
  }
}

/// `people`: those chosen already (a DM's people, to start a conversation with them and more).
export function openDMDialog(people = []) {
  dmSearch.reset();
  chosenPeople = new Map(people.map((user) => [user.id, user]));
  renderPeopleChips();
  showError("dm-error", null);
  $("dm-dialog").showModal();
  $("dm-input").focus();
}

/// Opens the DM with the people chosen (one: a DM; several: a group DM), the same one every time.
async function openDM() {
  if (!chosenPeople.size || $("dm-open").disabled) return;
  $("dm-open").disabled = true;
  try {
    const room = await actions.openDM([...chosenPeople.keys()]);
    $("dm-dialog").close();
    focusBoxWhenOpen(room.id);
    navigate(room.id);
  } catch (error) {
    showError("dm-error", error);
  } finally {
    $("dm-open").disabled = chosenPeople.size === 0;
  }
}

export async function openBrowseDialog() {
  hideRoomPreview();
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

/// A public room I am not in, opened from a link to it: Browse, with that room's preview (its
/// Join beside it) and "← All rooms" to the directory.
export function previewPublicRoom(room) {
  hideRoomPreview();
  showError("browse-error", null);
  $("browse-filter").value = "";
  renderDirectory();
  if (!$("browse-dialog").open) $("browse-dialog").showModal();
  showRoomPreview(room, { onJoin: joinPublicRoom, onBack: () => backToDirectory(room) });
}

/// The server's answer for a filter, when the directory is too big to be listed whole.
let searched = { filter: "", rooms: [] };
let searchTimer = null;

/// Asks the server for the public rooms matching `filter` (after a pause in typing), and shows
/// them if the filter is still the same.
function searchDirectory(filter) {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    try {
      const { rooms } = await Rooms.directory(filter);
      searched = { filter, rooms };
      if ($("browse-dialog").open && $("browse-filter").value.trim().toLocaleLowerCase() === filter) renderDirectory();
    } catch (error) {
      showError("browse-error", error);
    }
  }, 250);
}

function renderDirectory() {
  const filter = $("browse-filter").value.trim().toLocaleLowerCase();
  // A directory cut at its biggest rooms is searched on the server too (by name or topic).
  const found = !state.directoryComplete && filter && searched.filter === filter ? searched.rooms : [];
  if (!state.directoryComplete && filter && searched.filter !== filter) searchDirectory(filter);
  const listed = new Set(state.directory.map((room) => room.id));
  const rooms = [...state.directory, ...found.filter((room) => !listed.has(room.id))]
    .filter((room) => !filter || found.includes(room) || room.name.toLocaleLowerCase().includes(filter) || (room.topic ?? "").toLocaleLowerCase().includes(filter))
    .sort((a, b) => b.member_count - a.member_count || a.name.localeCompare(b.name));
  const cut = state.directoryComplete || filter ? [] : [el("li", { className: "muted browse-cut", text: `These are the ${rooms.length} biggest rooms; type a name or topic to find the others.` })];
  if (rooms.length === 0) {
    $("browse-list").replaceChildren(el("li", { className: "muted", text: filter ? "No room matches." : "No public rooms yet." }));
    return;
  }
  $("browse-list").replaceChildren(
    ...cut,
    ...rooms.map((room) => {
      const joined = state.rooms.has(room.id);
      // Banned from it (the server says so, with the ban's end): no Join, which would only be
      // refused, nor a preview, which is refused too (a hunt). A timed ban that ran out is over.
      const ban = !joined && room.my_ban && (!room.my_ban.expires_at || new Date(room.my_ban.expires_at) > new Date()) ? room.my_ban : null;
      let action;
      if (joined) {
        action = button("Open", { className: "secondary small browse-action", onClick: () => ($("browse-dialog").close(), focusBoxWhenOpen(room.id), navigate(room.id)) });
        action.setAttribute("aria-label", `Open ${room.name}`);
      } else if (ban) {
        const until = ban.expires_at ? `until ${formatFull(new Date(ban.expires_at))}` : "";
        action = el("span", {
          className: "muted small browse-action browse-banned", text: "Banned",
          attrs: { title: `You are banned from this room${until ? ` ${until}` : ""}.` },
        });
      } else {
        action = button(room.has_password ? "Join…" : "Join", { className: "primary small browse-action", onClick: () => joinPublicRoom(room) });
        action.setAttribute("aria-label", `Join ${room.name}`);
      }
      // What it says, before joining (not a password room's: the password opens it).
      const look = joined || ban || room.has_password ? null : button("", {
        className: "icon-button small browse-look",
        icon: icon("eye"),
        attrs: { "aria-label": `Preview ${room.name}`, title: "Read its newest messages before joining" },
        onClick: () => showRoomPreview(room, { onJoin: joinPublicRoom, onBack: () => backToDirectory(room) }),
      });
      // Its name or topic may be the problem: reported from here too, by anyone but its owner.
      const report = myRole(room.id) === "owner" ? null : button("", {
        className: "icon-button small browse-report",
        icon: icon("flag"),
        attrs: { "aria-label": `Report ${room.name}`, title: "Report this room…" },
        onClick: () => openRoomReport(room),
      });
      return el(
        "li",
        { className: "browse-item", dataset: { room: room.id, name: room.name } },
        icon(room.has_password ? "lock" : "hash", { className: "room-kind" }),
        el(
          "span",
          { className: "browse-text" },
          el("strong", { text: room.name }),
          // The topic cut to one line (the title has it whole); the member count after it, never cut
          // (a long topic hid it, and on a phone every count was cut, a hunt).
          el(
            "span",
            { className: "muted browse-line", attrs: { title: room.topic || null } },
            room.topic ? el("span", { className: "browse-topic", text: room.topic }) : null,
            el("span", { className: "browse-count", text: `${room.topic ? " · " : ""}${room.member_count} ${room.member_count === 1 ? "member" : "members"}` }),
          ),
        ),
        action,
        look,
        report,
      );
    }),
  );
}

/// From a room's preview back to the directory, on that room's preview button.
function backToDirectory(room) {
  hideRoomPreview();
  renderDirectory();
  $("browse-list").querySelector(`li[data-room="${room.id}"] .browse-look`)?.focus();
}

let passwordSubmit = null;

/// Joins a public room and opens it, asking for its password first if it has one (from the
/// directory, or from the conversation switcher, whose refusals show through `onError`).
export async function joinPublicRoom(room, { onError = (error) => showError("browse-error", error) } = {}) {
  showError("browse-error", null);
  try {
    // The directory may be stale: ask the room itself whether it wants a password.
    const { has_password } = await Rooms.hasPassword(room.id).catch(() => ({ has_password: room.has_password }));
    if (!has_password) {
      await actions.join(room);
      $("browse-dialog").close();
      focusBoxWhenOpen(room.id);
      navigate(room.id);
      return;
    }
    askPassword(room);
  } catch (error) {
    onError(error);
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
      focusBoxWhenOpen(room.id);
      navigate(room.id);
    } catch (error) {
      showError("password-error", error.code === "wrong_password" ? new Error("That is not the password.") : error, /password/u.test(error.code ?? "") ? ["room-join-password"] : []);
      $("room-join-password").select();
    }
  };
  $("password-dialog").showModal();
  $("room-join-password").focus();
}

