// The member panel: who is in the open room, their presence and role, and (for moderators and up)
// who is muted and until when, kick, ban, mute or unmute and role changes, and the way to the bans
// and mutes lists; owners and admins of a private group add people, and those of a room or group
// reach its webhooks; a DM's "Add people…" starts a new conversation with its people and more (a
// DM's people never change); "Report this room…" tells the site admins about a room or group as such.
import * as actions from "/actions.js";
import { $, button, el } from "/dom.js";
import { dayKey, formatFull, formatTime, statusLabel } from "/format.js";
import { icon } from "/icons.js";
import { activeStatus, isArchived, myRole, on, pausedNow, RANK, state } from "/state.js";
import { confirmDialog, personOption, userSearch } from "/views/dialogs.js";
import { toastError } from "/views/toast.js";
import { serverNow } from "/clock.js";

const PRESENCE_ORDER = { online: 0, busy: 1, away: 2, offline: 3 };

export function initMembers({ onModeration, onAddPeople, onReportRoom }) {
  $("moderation-open").addEventListener("click", onModeration);
  $("room-report").addEventListener("click", () => {
    const room = state.rooms.get(state.room?.id);
    if (room) onReportRoom(room);
  });
  $("dm-add-people").addEventListener("click", () => {
    const room = state.rooms.get(state.room?.id);
    if (room?.kind === "dm") onAddPeople(room.dm_members ?? []);
  });
  $("members-close").append(icon("x"));
  $("members-close").addEventListener("click", () => setMembersOpen(false));
  $("members-panel").addEventListener("keydown", (event) => {
    if (event.key === "Escape") setMembersOpen(false);
  });
  userSearch({
    input: $("add-member-input"),
    results: $("add-member-results"),
    exclude: (user) => state.room?.members.has(user.id),
    onPick: async (user) => {
      $("add-member-input").value = "";
      try {
        await actions.addMember(state.room.id, user.id);
      } catch (error) {
        toastError(error);
      }
    },
  });
  $("add-member").addEventListener("submit", (event) => event.preventDefault());
  on("members", render);
  on("room", ({ changed }) => {
    if (changed === "opened") mutes.roomId = null;
    render();
  });
  // A mute or ban made or lifted (by anyone, or a mute running out): the mutes are read again.
  on("moderation", ({ roomId }) => {
    if (roomId !== state.room?.id) return;
    mutes.fresh = false;
    render();
  });
  on("muted", ({ roomId }) => roomId === state.room?.id && render());
}

/// The open room's mutes for its moderators (user id -> when it ends, ISO 8601, or null: until
/// lifted): members carry no mute, so the room's list of mutes (moderators only) is read, while the
/// panel shows (`fresh` until a mute or ban changes).
const mutes = { roomId: null, until: new Map(), fresh: false };
let mutesGeneration = 0;

async function loadMutes(roomId) {
  const mine = ++mutesGeneration;
  if (mutes.roomId !== roomId) mutes.until = new Map();
  mutes.roomId = roomId;
  mutes.fresh = true;
  try {
    const list = await actions.moderation.mutes(roomId);
    if (mine !== mutesGeneration) return;
    const until = new Map(list.map((mute) => [mute.user.id, mute.expires_at]));
    const same = until.size === mutes.until.size && [...until].every(([id, end]) => mutes.until.has(id) && mutes.until.get(id) === end);
    mutes.until = until;
    // (Drawn again only if that changes something: a list drawn again under the pointer loses the click.)
    if (!same) render();
  } catch {
    // Demoted meanwhile, or the room closed: nobody is shown muted (the next mute event reads again).
    if (mine === mutesGeneration) mutes.until = new Map();
  }
}

/// Until when `userId` is muted in the open room: undefined if not (or not known), null for no end.
function mutedUntil(room, userId, myRank) {
  if (userId === state.me.id) return state.mutedIn.has(room.id) ? state.mutedIn.get(room.id) : undefined;
  if (room.kind === "dm" || myRank < RANK.moderator || mutes.roomId !== room.id) return undefined;
  return mutes.until.has(userId) ? mutes.until.get(userId) : undefined;
}

/// "Muted until 3:04 PM" (today), "Muted until Friday, …" (later), or "Muted" (until lifted).
function mutedLabel(until) {
  if (!until) return "Muted";
  const end = new Date(until);
  return `Muted until ${dayKey(end) === dayKey(new Date()) ? formatTime(end) : formatFull(end)}`;
}

export function setMembersOpen(open) {
  $("members-panel").hidden = !open;
  $("members-toggle").setAttribute("aria-expanded", String(open));
  document.body.classList.toggle("members-open", open);
  if (!open) {
    $("members-toggle").focus();
    return;
  }
  // (The mutes are read while the panel shows.)
  render();
  $("members-close").focus();
}

export const toggleMembers = () => setMembersOpen($("members-panel").hidden);

function render() {
  const room = state.room && !state.room.closed ? state.rooms.get(state.room.id) : null;
  if (!room) {
    if (!$("members-panel").hidden) setMembersOpen(false);
    $("members").replaceChildren();
    return;
  }
  const mine = RANK[myRole(room.id)] ?? -1;
  if (room.kind !== "dm" && mine >= RANK.moderator && !$("members-panel").hidden && (mutes.roomId !== room.id || !mutes.fresh)) loadMutes(room.id);
  $("add-member").hidden = !(room.kind === "group" && mine >= RANK.admin);
  // Nobody is added to an archived group (its invite links stay to be seen and revoked).
  $("add-member-input").closest("label").hidden = isArchived(room.id);
  $("add-member-results").hidden = isArchived(room.id);
  $("moderation-tools").hidden = !(room.kind !== "dm" && mine >= RANK.moderator);
  $("webhooks-open").hidden = !(room.kind !== "dm" && mine >= RANK.admin);
  $("dm-tools").hidden = room.kind !== "dm" || isArchived(room.id);
  // A room or group as such is reported to the site admins; not by its owner, and a DM's person is reported instead.
  $("room-report-tools").hidden = room.kind === "dm" || myRole(room.id) === "owner";
  const members = [...state.room.members.values()].sort(
    (a, b) => (PRESENCE_ORDER[a.presence] ?? 4) - (PRESENCE_ORDER[b.presence] ?? 4) || RANK[b.role] - RANK[a.role] || a.user.display_name.localeCompare(b.user.display_name),
  );
  $("members-heading").textContent = `Members · ${members.length}`;
  const focused = $("members").contains(document.activeElement) ? document.activeElement : null;
  $("members").replaceChildren(...members.map((member) => memberItem(room, member, mine)));
  // The focus stays with the same person (their same button, or the one that took its place, as
  // Unmute takes Mute's, else their first one) if still listed.
  if (focused && !$("members").contains(document.activeElement)) {
    const item = $("members").querySelector(`li[data-user-id="${focused.closest("li")?.dataset.userId}"]`);
    const buttons = [...(item?.querySelectorAll("button") ?? [])];
    const same = buttons.find((b) => b.textContent === focused.textContent) ?? buttons.find((b) => b.dataset.tool && b.dataset.tool === focused.dataset.tool);
    (same ?? buttons[0])?.focus();
  }
  // A status or a pause that runs out leaves the list when it does.
  clearTimeout(expiryTimer);
  const ends = (m) => [activeStatus(m.status)?.expires_at, pausedNow(m.dnd_until) ? m.dnd_until : null].filter(Boolean).map(Date.parse);
  const next = Math.min(...members.flatMap(ends));
  if (Number.isFinite(next)) expiryTimer = setTimeout(render, Math.min(2 ** 31 - 1, Math.max(0, next - serverNow()) + 50));
}

let expiryTimer = null;

/// How long a ban or a mute lasts, as offered ("" is until lifted by hand).
const HOUR = 3600;
const MUTE_LENGTHS = [["600", "10 minutes"], [String(HOUR), "1 hour"], [String(24 * HOUR), "1 day"], [String(7 * 24 * HOUR), "1 week"], ["", "Until lifted"]];
const BAN_LENGTHS = [["", "Until lifted"], [String(HOUR), "1 hour"], [String(24 * HOUR), "1 day"], [String(7 * 24 * HOUR), "1 week"], [String(30 * 24 * HOUR), "30 days"]];

function memberItem(room, member, myRank) {
  const presence = member.presence ?? (member.online ? "online" : "offline");
  const [avatar, person] = personOption(member.user);
  const dot = el("span", { className: `presence ${presence}`, attrs: { title: presence } });
  const status = activeStatus(member.status);
  if (status) {
    const until = status.expires_at ? ` (until ${formatFull(new Date(status.expires_at))})` : "";
    person.append(el("span", { className: "status-line", text: statusLabel(status), attrs: { title: `${statusLabel(status)}${until}` } }));
  }
  const muted = mutedUntil(room, member.user.id, myRank);
  if (muted !== undefined) {
    const title = muted ? `Muted until ${formatFull(new Date(muted))}` : "Muted until a moderator unmutes";
    person.append(el("span", { className: "member-muted", text: mutedLabel(muted), attrs: { title } }));
  }
  const item = el("li", { className: "member", dataset: { userId: member.user.id } }, el("span", { className: "avatar-wrap" }, avatar, dot), person);
  item.append(el("span", { className: "sr-only", text: `, ${presence}` }));
  if (pausedNow(member.dnd_until)) {
    const label = `Notifications paused until ${formatFull(new Date(member.dnd_until))}`;
    item.append(el("span", { className: "member-dnd", attrs: { title: label, role: "img", "aria-label": label } }, icon("bellOff")));
  }
  if (member.role !== "member") item.append(el("span", { className: `role ${member.role}`, text: member.role }));
  if (member.deactivated) item.append(el("span", { className: "role deactivated", text: "deactivated" }));
  if (member.user.id === state.me.id || room.kind === "dm" || myRank < RANK.moderator || RANK[member.role] >= myRank) return item;

  const tools = el("div", { className: "member-actions", attrs: { role: "group", "aria-label": `Actions for ${member.user.display_name}` } });
  const uid = member.user.id;
  const name = member.user.display_name;
  // A tool cancelled (it resolves to false) changes nothing: the list is not reloaded.
  // (`tool` names what a button does either way, as "mute" for Mute and Unmute.)
  const act = (label, run, tool = null) => tools.append(button(label, {
    className: "secondary small",
    attrs: { "data-tool": tool },
    onClick: () => run().then((done) => done !== false && actions.loadPeople(room.id)).catch(toastError),
  }));
  const withReason = (verb, call) => async () => {
    const reason = await confirmDialog({ title: `${verb} ${name}?`, confirm: verb, input: { label: "Reason (optional)" } });
    if (reason === null) return false;
    await call(reason);
  };
  // A ban or a mute asks for how long as well as why (the API takes both; the client offered only
  // a permanent ban and a 10-minute mute without a reason, a hunt).
  const forHowLong = (verb, call, { value, options }) => async () => {
    const answer = await confirmDialog({
      title: `${verb} ${name}?`, confirm: verb, choice: { label: "For how long", options, value }, input: { label: "Reason (optional)" },
    });
    if (answer === null) return false;
    await call(answer.choice ? Number(answer.choice) : undefined, answer.text);
  };
  act("Kick", withReason("Kick", (reason) => actions.moderation.kick(room.id, uid, reason)));
  act("Ban", forHowLong("Ban", (seconds, reason) => actions.moderation.ban(room.id, uid, reason, seconds), { value: "", options: BAN_LENGTHS }));
  // The list shows the change at once (the mute event that follows reads the mutes again).
  if (muted !== undefined) {
    act("Unmute", async () => {
      await actions.moderation.unmute(room.id, uid);
      if (mutes.roomId === room.id) mutes.until.delete(uid);
    }, "mute");
  } else {
    act("Mute", forHowLong("Mute", async (seconds, reason) => {
      const { mute } = await actions.moderation.mute(room.id, uid, seconds, reason);
      if (mutes.roomId === room.id) mutes.until.set(uid, mute.expires_at);
    }, { value: "600", options: MUTE_LENGTHS }), "mute");
  }
  if (room.kind === "group" && myRank >= RANK.admin) {
    act("Remove", async () => {
      if ((await confirmDialog({ title: `Remove ${name} from this group?`, confirm: "Remove" })) === null) return false;
      await actions.removeMember(room.id, uid);
    });
  }
  if (myRank >= RANK.admin && RANK[member.role] < RANK.admin) {
    const next = member.role === "moderator" ? "member" : "moderator";
    act(next === "moderator" ? "Make moderator" : "Remove moderator", () => actions.moderation.setRole(room.id, uid, next), "moderator");
  }
  if (myRank === RANK.owner) {
    const next = member.role === "admin" ? "member" : "admin";
    act(next === "admin" ? "Make admin" : "Remove admin", () => actions.moderation.setRole(room.id, uid, next), "admin");
    // The only way an owner may leave (the web had none, a hunt); they stay on as an admin.
    if (!member.deactivated) {
      act("Make owner", async () => {
        const asked = { title: `Make ${name} the owner?`, message: "You will be an admin of the room, and may then leave it.", confirm: "Make owner" };
        if ((await confirmDialog(asked)) === null) return false;
        await actions.moderation.transferOwnership(room.id, uid);
      }, "owner");
    }
  }
  item.append(tools);
  return item;
}
