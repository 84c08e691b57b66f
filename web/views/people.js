// Someone's profile: names, presence, what they say about themselves, since when they are here,
// their user groups, the rooms we share (each opens), and buttons to message or block them.
import * as actions from "/actions.js";
import { Users } from "/api.js";
import { $, el, paintAvatar } from "/dom.js";
import { formatFull, isGroupDM, localTimeIn, roomName, statusLabel } from "/format.js";
import { activeStatus, on, pausedNow, state } from "/state.js";
import { confirmDialog, showError } from "/views/dialogs.js";
import { openUserReport } from "/views/reports.js";

let navigate = () => {};
let shown = null;
/// What is known of the profile shown (the summary, then the whole profile).
let current = null;

const PRESENCE = { online: "Online", away: "Away", busy: "Busy", offline: "Offline" };

export function initPeople({ onNavigate }) {
  navigate = onNavigate;
  $("user-dialog-message").addEventListener("click", async () => {
    if (!shown) return;
    try {
      const room = await actions.openDM(shown.id);
      $("user-dialog").close();
      navigate(room.id);
    } catch (error) {
      showError("user-dialog-error", error);
    }
  });
  $("user-dialog-block").addEventListener("click", toggleBlock);
  $("user-dialog-report").addEventListener("click", () => {
    if (!current) return;
    $("user-dialog").close();
    openUserReport(current);
  });
  on("blocks", () => current && renderBlock(current));
  // Their status changed while the profile is open.
  on("status", ({ userId, status }) => {
    if (current?.id === userId && $("user-dialog").open) renderStatus({ ...current, status });
  });
  on("userDnd", ({ userId, until }) => {
    if (current?.id === userId && $("user-dialog").open) renderStatus({ ...current, dnd_until: until });
  });
}

function renderStatus(profile) {
  current = profile;
  const status = activeStatus(profile.status);
  const until = status?.expires_at ? ` · until ${formatFull(new Date(status.expires_at))}` : "";
  $("user-dialog-status").textContent = status ? `${statusLabel(status)}${until}` : "";
  $("user-dialog-status").hidden = !status;
  const paused = pausedNow(profile.dnd_until);
  $("user-dialog-dnd").textContent = paused ? `Notifications paused until ${formatFull(new Date(profile.dnd_until))}` : "";
  $("user-dialog-dnd").hidden = !paused;
}

async function toggleBlock() {
  if (!shown) return;
  const user = shown;
  const blocked = state.blocked.has(user.id);
  if (!blocked) {
    const answer = await confirmDialog({
      title: `Block ${user.display_name}?`,
      message: "They cannot message you or start a DM with you, you are not notified of what they write, and their messages show folded. They are not told.",
      confirm: "Block",
    });
    if (answer === null) return;
  }
  try {
    await actions.setBlocked(user.id, !blocked);
  } catch (error) {
    showError("user-dialog-error", error);
  }
}

/// The Block (or Unblock) and Message buttons for the profile shown.
function renderBlock(profile) {
  const mine = profile.id === state.me.id;
  const blocked = state.blocked.has(profile.id);
  $("user-dialog-block").hidden = mine;
  $("user-dialog-report").hidden = mine || profile.deactivated === true;
  $("user-dialog-block").textContent = blocked ? "Unblock" : "Block";
  $("user-dialog-message").hidden = mine || profile.deactivated === true || blocked;
}

/// Shows the profile of `user` (a UserSummary: what is known at once, the rest as it loads).
export async function openPerson(user) {
  shown = user;
  showError("user-dialog-error", null);
  render({ ...user, bio: null, presence: null, created_at: null }, null);
  $("user-dialog").showModal();
  try {
    const { user: profile, shared_rooms } = await Users.profile(user.id);
    if (shown?.id === user.id) render(profile, shared_rooms);
  } catch (error) {
    showError("user-dialog-error", error);
  }
}

/// "Local time 3:04 PM (Asia/Tokyo) · 9 hours ahead of you", for someone who shows a time zone.
function renderLocalTime(profile) {
  const local = profile.time_zone ? localTimeIn(profile.time_zone) : null;
  const line = $("user-dialog-time");
  line.hidden = !local;
  line.textContent = local
    ? `Local time ${local.time}${local.day ? ` ${local.day}` : ""} (${profile.time_zone})${profile.id === state.me.id ? "" : ` · ${local.apart}`}`
    : "";
}

function render(profile, rooms) {
  const avatar = $("user-dialog-avatar");
  paintAvatar(avatar, profile);
  $("user-dialog-name").textContent = profile.display_name;
  $("user-dialog-username").textContent = `@${profile.username}`;
  const presence = profile.deactivated ? "Deactivated" : PRESENCE[profile.presence] ?? "";
  $("user-dialog-presence").textContent = presence;
  $("user-dialog-presence").dataset.presence = profile.presence ?? "";
  $("user-dialog-bio").textContent = profile.bio ?? "";
  $("user-dialog-bio").hidden = !profile.bio;
  renderLocalTime(profile);
  renderStatus(profile);
  $("user-dialog-since").textContent = profile.created_at ? `Here since ${formatFull(new Date(profile.created_at))}` : "";
  // The user groups that mention them, as the site's list (kept live) says.
  const groups = [...state.userGroups.values()].filter((group) => group.member_ids.includes(profile.id)).map((group) => `@${group.name}`).sort();
  $("user-dialog-groups").textContent = groups.length ? `In ${groups.length === 1 ? "the user group" : "the user groups"} ${groups.join(", ")}` : "";
  $("user-dialog-groups").hidden = groups.length === 0;
  const mine = profile.id === state.me.id;
  current = profile;
  renderBlock(profile);
  $("user-dialog-rooms-heading").parentElement.hidden = mine;
  const list = $("user-dialog-rooms");
  if (rooms === null) {
    list.replaceChildren(el("li", { className: "muted", text: "Loading…" }));
    return;
  }
  if (rooms.length === 0) {
    list.replaceChildren(el("li", { className: "muted", text: "None yet." }));
    return;
  }
  list.replaceChildren(
    ...rooms.map((room) => {
      const mine = state.rooms.get(room.id);
      const label = isGroupDM(mine) ? `Group conversation: ${roomName(mine)}` : room.kind === "dm" ? "Your direct messages" : `${room.kind === "group" ? "🔒 " : "#"}${room.name}`;
      return el(
        "li",
        {},
        el("button", {
          className: "link", text: label, attrs: { type: "button" }, dataset: { room: room.id },
          on: { click: () => ($("user-dialog").close(), navigate(room.id)) },
        }),
      );
    }),
  );
}
