// The bans and mutes of the open room, for its moderators and up: who, by whom, why and until
// when, with unban and unmute; and, for its admins and owner, the room's moderation log. The lists
// follow moderation events while the dialog is open.
import * as actions from "/actions.js";
import { $, button, el } from "/dom.js";
import { formatFull, roomName } from "/format.js";
import { myRole, on, RANK, state } from "/state.js";
import { personOption, showError, showLog } from "/views/dialogs.js";
import { openReports } from "/views/reports.js";
import { toast } from "/views/toast.js";

/// The room the open dialog shows.
let roomId = null;
/// Each refresh gets a number, so an older answer arriving late does not replace a newer one.
let generation = 0;
/// The entry whose button was used last: focus goes back there (or on) once the lists reload.
let focusKey = null;

export function initModeration() {
  $("moderation-dialog").addEventListener("close", () => {
    roomId = null;
  });
  on("moderation", (detail) => {
    if (roomId !== null && detail.roomId === roomId) refresh();
  });
  on("room", ({ changed }) => {
    if (roomId !== null && (changed === "opened" || changed === "closed")) $("moderation-dialog").close();
  });
  // My role changed while it is open (a hunt: a demoted moderator kept the dialog, and Unban then
  // failed): below moderator it closes, saying why; the log follows admin and up.
  const follow = () => {
    if (roomId === null) return;
    const rank = RANK[myRole(roomId)] ?? -1;
    if (rank < RANK.moderator) {
      $("moderation-dialog").close();
      toast("You are no longer a moderator of this room.", { kind: "info" });
      return;
    }
    const logShown = rank >= RANK.admin;
    if ($("room-log-section").hidden === logShown) {
      $("room-log-section").hidden = !logShown;
      if (!logShown) $("room-log-section").open = false;
    }
  };
  on("members", follow);
  on("rooms", follow);
  $("room-log-section").addEventListener("toggle", () => {
    if ($("room-log-section").open) loadLog();
  });
  $("room-log-more").addEventListener("click", () => loadLog({ older: true }));
  $("moderation-reports").addEventListener("click", () => {
    const room = state.rooms.get(roomId);
    $("moderation-dialog").close();
    if (room) openReports({ room });
  });
}

/// The room's moderation log (admins and the owner only), newest first; `older`: its next page.
async function loadLog({ older = false } = {}) {
  const id = roomId;
  if (id === null || !$("room-log-section").open) return;
  try {
    await showLog($("room-log"), $("room-log-more"), (before) => actions.moderation.log(id, before), { older, current: () => roomId === id });
  } catch (error) {
    showError("moderation-error", error);
  }
}

export function openModeration() {
  const room = state.rooms.get(state.room?.id);
  if (!room) return;
  roomId = room.id;
  $("moderation-dialog-title").textContent = `Bans and mutes in ${roomName(room)}`;
  showError("moderation-error", null);
  $("room-log-section").open = false;
  $("room-log-section").hidden = !["admin", "owner"].includes(myRole(room.id));
  for (const id of ["ban-list", "mute-list"]) $(id).replaceChildren(el("li", { className: "muted", text: "Loading…" }));
  $("moderation-dialog").showModal();
  // The lists are still loading: start at the title, so Tab leads to the first entry once it is there.
  $("moderation-dialog-title").focus();
  refresh();
}

/// Reloads both lists, keeping the keyboard focus in place.
async function refresh() {
  const id = roomId;
  const mine = ++generation;
  try {
    const [bans, mutes] = await Promise.all([actions.moderation.bans(id), actions.moderation.mutes(id)]);
    if (mine !== generation || roomId !== id) return;
    const focusedKey = focusKey ?? document.activeElement?.closest?.(".entry-list li")?.dataset.key;
    focusKey = null;
    fill("ban-list", bans, "Nobody is banned.", { verb: "Unban", run: (userId) => actions.moderation.unban(id, userId) });
    fill("mute-list", mutes, "Nobody is muted.", { verb: "Unmute", run: (userId) => actions.moderation.unmute(id, userId) });
    restoreFocus(focusedKey);
    loadLog();
  } catch (error) {
    if (mine === generation) showError("moderation-error", error);
  }
}

function fill(listId, entries, emptyText, action) {
  const list = $(listId);
  if (entries.length === 0) {
    list.replaceChildren(el("li", { className: "muted", text: emptyText }));
    return;
  }
  list.replaceChildren(...entries.map((entry) => entryItem(listId, entry, action)));
}

function entryItem(listId, entry, { verb, run }) {
  const [avatar, person] = personOption(entry.user);
  const details = [
    entry.by ? `by ${entry.by.display_name}` : null,
    entry.reason ? `“${entry.reason}”` : null,
    entry.expires_at ? `until ${formatFull(new Date(entry.expires_at))}` : "no end",
  ].filter(Boolean);
  person.append(el("span", { className: "muted entry-details", text: details.join(" · ") }));
  // Nobody lifts the mute of someone of their rank or higher (their own included): the server
  // refuses it, so it is not offered (it was, and its 403 stayed on the dialog, a hunt).
  const theirRank = RANK[state.room?.id === roomId ? state.room.members.get(entry.user.id)?.role : null] ?? RANK.member;
  if (listId === "mute-list" && (entry.user.id === state.me.id || theirRank >= (RANK[myRole(roomId)] ?? -1))) {
    return el("li", { className: "entry", dataset: { key: `${listId}:${entry.user.id}`, userId: entry.user.id } }, avatar, person);
  }
  const undo = button(verb, {
    className: "secondary small",
    attrs: { "aria-label": `${verb} ${entry.user.display_name}`, "data-user-id": entry.user.id },
    onClick: async () => {
      undo.disabled = true;
      focusKey = `${listId}:${entry.user.id}`;
      showError("moderation-error", null);
      try {
        await run(entry.user.id);
        await refresh();
      } catch (error) {
        undo.disabled = false;
        focusKey = null;
        undo.focus();
        showError("moderation-error", error);
      }
    },
  });
  return el("li", { className: "entry", dataset: { key: `${listId}:${entry.user.id}`, userId: entry.user.id } }, avatar, person, undo);
}

/// After a refresh, focus goes back to the same entry's button, or (when it is gone) to the next
/// button in the dialog, so a keyboard user can keep going.
function restoreFocus(key) {
  if (!key || $("moderation-dialog").contains(document.activeElement)) return;
  const [listId] = key.split(":");
  const same = $("moderation-dialog").querySelector(`li[data-key="${key}"] button`);
  const next = same ?? $(listId).querySelector("button") ?? $("moderation-dialog").querySelector("[data-close]");
  next.focus();
}
