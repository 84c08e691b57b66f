// Reports of messages, people and rooms. Anyone reports someone else's message from its actions
// ("Report message…": a reason, a comment, and blocking its sender too if they like), a person
// from their profile ("Report…", to the site admins), or a room or group they are in but do not
// own from its member panel ("Report this room…", to the site admins). The people who can act on
// reports (site admins, and the moderators, admins and owners of rooms for their messages) see
// "Reports (N)" above the room list while some are open; it opens the list, where each report is
// dismissed, its message deleted, the person's account deactivated or the room deleted, and the
// resolved ones are listed too (a site admin may show only those of messages, of people or of
// rooms; anyone, only those given for one reason). Both stay in step through `report.created` and
// `report.resolved`. A room's "Bans and mutes" opens the list of that room's reports, and the site
// administration every report; so the resolved ones are there also when none is open. A message
// is shown as it was reported, with what it says now when its sender has edited it since (live:
// `message.edited`, or `report.message_edited` for a site admin outside its room). Reporters are
// told what became of their reports (`report.outcome`, a toast) and find them under "Your reports"
// in "Profile and settings".
import * as actions from "/actions.js";
import { Reports } from "/api.js";
import { $, button, el } from "/dom.js";
import { authorName, dayLabel, formatTime, roomLabel, truncate } from "/format.js";
import { icon } from "/icons.js";
import { preview } from "/markup.js";
import { RANK, on, state } from "/state.js";
import { confirmDialog, showError } from "/views/dialogs.js";
import { setDrawer } from "/views/sidebar.js";
import { toast, toastError } from "/views/toast.js";

const REASONS = { spam: "Spam", harassment: "Harassment", inappropriate: "Inappropriate", other: "Something else" };
/// The reasons as the list's status line says them ("No open reports for spam.").
const REASON_WORDS = { spam: "spam", harassment: "harassment", inappropriate: "inappropriate content", other: "something else" };
const PAGE = 30;

let navigate = () => {};
let showPerson = () => {};
/// What is being reported: `{ message, user }`, the message null for a report of a person.
let reporting = null;
/// The list shown, which state it is of, and whether more lie beyond it.
let current = { reports: [], hasMore: false };
/// The room whose reports the list shows, or null for every room's.
let scope = null;
/// Counts loads, so an answer to an older one is dropped.
let generation = 0;
let countTimer = null;

export function initReports({ onNavigate, onPerson }) {
  navigate = onNavigate;
  showPerson = onPerson;
  $("reports-open").addEventListener("click", () => openReports());
  $("reports-all").addEventListener("click", () => {
    scope = null;
    renderScope();
    load();
  });
  $("reports-more").addEventListener("click", () => load({ more: true }));
  for (const input of document.querySelectorAll("#reports-state input, #reports-subject input, #reports-reason")) {
    input.addEventListener("change", () => load());
  }
  $("report-form").addEventListener("submit", submitReport);
  // Who handles reports changes with the site role and room roles.
  on("me", refreshCount);
  on("rooms", refreshCount);
  on("reports", () => {
    refreshCount();
    if ($("reports-dialog").open) load();
  });
  // A listed message edited meanwhile shows its new text beside what was reported: heard as a member
  // of its room, or (a site admin outside it) through `report.message_edited`.
  const reloadIfListed = (message) => {
    if ($("reports-dialog").open && current.reports.some((report) => report.message?.id === message.id)) load();
  };
  on("roomMessage", ({ type, message }) => {
    if (type === "message.edited") reloadIfListed(message);
  });
  on("reported-edit", ({ message }) => reloadIfListed(message));
  $("my-reports-more").addEventListener("click", () => loadMine({ more: true }));
  on("report-outcome", (report) => {
    toast(outcomeText(report), { kind: "info", ms: 8000 });
    if ($("profile-dialog").open) loadMine();
  });
}

/// Whether I may act on some reports: a site admin, or a moderator and up of some room.
function handlesReports() {
  if (state.me?.site_role === "admin") return true;
  for (const room of state.rooms.values()) if (room.kind !== "dm" && (RANK[room.my_role] ?? -1) >= RANK.moderator) return true;
  return false;
}

/// Fetches the open count and shows the link while some are open (batched: room lists change in bursts).
function refreshCount() {
  clearTimeout(countTimer);
  countTimer = setTimeout(async () => {
    if (!handlesReports()) {
      $("reports-open").hidden = true;
      if ($("reports-dialog").open) $("reports-dialog").close();
      return;
    }
    try {
      const { open_count: open } = await Reports.list({ limit: 1 });
      showCount(open);
    } catch {
      // The count comes back with the next change or reload.
    }
  }, 100);
}

function showCount(open) {
  const link = $("reports-open");
  link.hidden = !(open > 0);
  link.replaceChildren(icon("flag"), `Reports (${open > 99 ? "99+" : open})`);
  link.title = `${open} open ${open === 1 ? "report" : "reports"}`;
}

// Reporting.

/// Reports message `m`, to the people who look after its room.
export function openReport(m) {
  openReportDialog({ message: m, user: m.sender });
}

/// Reports a person as such (a UserSummary), to the site admins.
export function openUserReport(user) {
  openReportDialog({ message: null, user });
}

/// Reports a room or group as such (its name, topic, what it is for), to the site admins.
export function openRoomReport(room) {
  openReportDialog({ message: null, user: null, room });
}

function openReportDialog(target) {
  reporting = target;
  const { message: m, user, room } = target;
  $("report-form").reset();
  showError("report-error", null);
  $("report-dialog-title").textContent = m ? "Report message" : room ? `Report ${roomLabel(room)}` : `Report ${user.display_name}`;
  $("report-reasons-legend").textContent = m ? "What is wrong with it?" : "What is the problem?";
  $("report-target").textContent = m
    ? `${authorName(m)}: ${truncate(preview(m), 200)}`
    : room ? `${roomLabel(room)}: the ${room.kind === "group" ? "group" : "room"} itself (its name, topic, what it is for), not one message.`
    : `${user.display_name} (@${user.username}): the person, not one message of theirs.`;
  $("report-hint").textContent = m
    ? "The room’s moderators and the site’s admins see the report and who made it; the sender is not told."
    : room ? "The site’s admins see the report and who made it, and may delete it; its owner is not told."
    : "The site’s admins see the report and who made it, and may deactivate the account; the person is not told.";
  $("report-block-name").textContent = m ? authorName(m) : user?.display_name ?? "";
  $("report-block").checked = false;
  // A room has no one person to block.
  $("report-block-choice").hidden = !user || state.blocked.has(user.id);
  $("report-submit").disabled = false;
  $("report-dialog").showModal();
  document.querySelector('#report-reasons input[value="spam"]').focus();
}

async function submitReport(event) {
  event.preventDefault();
  const target = reporting;
  const reason = new FormData($("report-form")).get("reason");
  if (!target || !reason) return;
  const comment = $("report-comment").value.trim() || null;
  $("report-submit").disabled = true;
  showError("report-error", null);
  try {
    if (target.message) await Reports.report(target.message.id, { reason, comment });
    else if (target.room) await Reports.reportRoom(target.room.id, { reason, comment });
    else await Reports.reportUser(target.user.id, { reason, comment });
    if ($("report-block").checked && !$("report-block-choice").hidden) await actions.setBlocked(target.user.id, true);
    $("report-dialog").close();
    toast(target.message ? "Thanks. The people who look after this room will review the message." : "Thanks. The site’s admins will review your report.", { kind: "info" });
  } catch (error) {
    showError("report-error", error, error.code === "invalid_comment" ? ["report-comment"] : []);
    $("report-submit").disabled = false;
  }
}

// The reports I made.

/// My reports shown in "Profile and settings", and whether older ones lie beyond them.
let mine = { reports: [], hasMore: false };
let mineGeneration = 0;

/// Called as "Profile and settings" opens.
export function openMyReports() {
  mine = { reports: [], hasMore: false };
  $("my-reports-list").replaceChildren(el("li", { className: "muted", text: "Loading…" }));
  $("my-reports-more").hidden = true;
  loadMine();
}

async function loadMine({ more = false } = {}) {
  const generation = ++mineGeneration;
  showError("my-reports-error", null);
  try {
    const page = await Reports.mine({ before: more ? mine.reports.at(-1)?.id : undefined });
    if (generation !== mineGeneration) return;
    mine = { reports: more ? [...mine.reports, ...page.reports] : page.reports, hasMore: page.has_more };
    $("my-reports-list").replaceChildren(...(mine.reports.length ? mine.reports.map(myReportNode) : [el("li", { className: "muted", text: "None." })]));
    $("my-reports-more").hidden = !mine.hasMore;
  } catch (error) {
    if (generation === mineGeneration) showError("my-reports-error", error);
  }
}

/// What became of a report of mine, in words.
function outcomeLabel(report) {
  if (report.resolution === "message_deleted") return "Message removed";
  if (report.resolution === "user_deactivated") return "Account deactivated";
  if (report.resolution === "room_deleted") return "Room deleted";
  if (report.resolution === "dismissed") return `Reviewed, the ${{ user: "account", room: "room" }[report.subject] ?? "message"} stays`;
  return "Waiting for review";
}

function outcomeText(report) {
  if (report.subject === "room") {
    const room = roomName(report);
    return report.resolution === "room_deleted" ? `${room}, which you reported, has been deleted.` : `Your report of ${room} was reviewed. It stays.`;
  }
  const name = report.user.display_name;
  if (report.subject === "user") {
    return report.resolution === "user_deactivated"
      ? `${name}’s account, which you reported, has been deactivated.`
      : `Your report of ${name} was reviewed. Their account stays.`;
  }
  if (report.resolution === "user_deactivated") return `${name}’s account has been deactivated.`;
  const where = whereLabel(report);
  return report.resolution === "message_deleted"
    ? `The message from ${name} you reported in ${where} has been removed.`
    : `Your report of ${name}’s message in ${where} was reviewed. The message stays.`;
}

/// The line under a report of a person, where a message's text would be.
const personLine = (report) => `@${report.user.username}: the person, not one message`;
/// A reported room's name as the report gives it (it may be a group I am not in any more).
/// A room as the report names it, for one I am not in: a private group I left comes without its name.
const namedRoom = (room) => room.kind === "dm" ? "a direct message" : room.name === null ? "a private group" : `#${room.name}`;
const roomName = (report) => state.rooms.has(report.room.id) ? roomLabel(state.rooms.get(report.room.id)) : namedRoom(report.room);
/// The line under a report of a room.
const roomLine = (report) => `${roomName(report)}: the ${report.room.kind === "group" ? "group" : "room"} itself, not one message`;

function myReportNode(report) {
  const { message } = report;
  const person = report.subject === "user";
  const room = report.subject === "room";
  const { text, now } = person ? { text: personLine(report), now: null }
    : room ? { text: roomLine(report), now: null }
    : !message ? { text: "You are no longer in this conversation.", now: null }
    : asReported(report, 200);
  const name = room ? roomName(report) : report.user.display_name;
  const item = el(
    "li",
    { className: "report-entry", dataset: { report: report.id, subject: report.subject } },
    ...reportHead(report, { name, where: person || room ? null : `in ${whereLabel(report)}`, text, now, dim: !message || message.deleted, byWhom: false }),
  );
  const tools = el("div", { className: "report-actions" });
  if (message && !message.deleted && state.rooms.has(report.room.id)) {
    tools.append(button("Show in the room", {
      className: "secondary small",
      onClick: () => {
        $("profile-dialog").close();
        showInRoom(report.room.id, message.id);
      },
    }));
  }
  const settled = report.resolved_at ? `, ${dayLabel(new Date(report.resolved_at))} ${formatTime(new Date(report.resolved_at))}` : "";
  tools.append(el("span", { className: `report-outcome ${report.resolution ?? "open"}`, text: `${outcomeLabel(report)}${settled}` }));
  item.append(tools);
  return item;
}

// The list of reports.

/// The list of reports: `room`'s only, when given.
export function openReports({ room = null } = {}) {
  scope = room;
  current = { reports: [], hasMore: false };
  renderScope();
  render();
  $("reports-dialog").showModal();
  load();
}

const listState = () => document.querySelector("#reports-state input:checked")?.value ?? "open";
/// "message", "user" or "room" when the list shows only those of messages, of people or of rooms, else null.
const listSubject = () => ($("reports-subject").hidden ? null : document.querySelector("#reports-subject input:checked")?.value || null);
/// The reason the list shows only those given for, else null.
const listReason = () => $("reports-reason").value || null;

async function load({ more = false } = {}) {
  const mine = ++generation;
  showError("reports-error", null);
  const before = more ? current.reports.at(-1)?.id : undefined;
  $("reports-list").setAttribute("aria-busy", "true");
  try {
    const subject = listSubject();
    const reason = listReason();
    const page = await Reports.list({ state: listState(), room: scope?.id, subject, reason, before, limit: PAGE });
    if (mine !== generation) return;
    current = { reports: more ? [...current.reports, ...page.reports] : page.reports, hasMore: page.has_more };
    // The sidebar counts them all.
    if (!scope && !subject && !reason) showCount(page.open_count);
    render();
  } catch (error) {
    if (mine === generation) showError("reports-error", error);
  } finally {
    if (mine === generation) $("reports-list").removeAttribute("aria-busy");
  }
}

function renderScope() {
  $("reports-dialog-title").textContent = scope ? `Reports in ${roomLabel(scope)}` : "Reports";
  $("reports-scope").hidden = !scope;
  $("reports-scope-text").textContent = scope ? `Only the reports of this ${scope.kind === "group" ? "group" : "room"}'s messages.` : "";
  // Only site admins see reports of people; a room's are all of messages.
  $("reports-subject").hidden = Boolean(scope) || state.me?.site_role !== "admin";
}

function render() {
  const open = listState() === "open";
  const count = current.reports.length;
  const reason = listReason();
  const of = ({ message: " of messages", user: " of people", room: " of rooms" }[listSubject()] ?? "") + (reason ? ` for ${REASON_WORDS[reason]}` : "");
  $("reports-more").hidden = !current.hasMore;
  $("reports-status").textContent = count === 0
    ? (open ? `No open reports${of}.` : `No resolved reports${of} yet.`)
    : `${count}${current.hasMore ? "+" : ""} ${open ? "open" : "resolved"} ${count === 1 ? "report" : "reports"}${of}.`;
  $("reports-list").replaceChildren(...current.reports.map(reportNode));
}

/// Opens a room (at a message, if given) from a dialog that has closed. On a phone that dialog was
/// opened from the drawer, which closes too, as it does for the switcher: opening a room closes it only
/// when another room opens, so a message in the room already open would stay hidden under it, and out
/// of the focus's reach.
function showInRoom(roomId, messageId = null) {
  setDrawer(false);
  navigate(roomId, { message: messageId });
}

/// Where the message is: the room as I know it, else as the report names it.
function whereLabel(report) {
  const room = state.rooms.get(report.room.id);
  if (room) return roomLabel(room);
  return namedRoom(report.room);
}

/// A reported message's text as it was reported, and what it says now when its sender has edited it
/// since (else `now` is null): `{ text, now }`, each cut to `max` characters.
function asReported(report, max) {
  const { message } = report;
  if (message.deleted) return { text: "This message was deleted.", now: null };
  const then = report.reported_text;
  if (then === null || then === message.text) return { text: truncate(preview(message), max), now: null };
  return { text: truncate(preview({ ...message, text: then }), max), now: truncate(preview(message), max) || "(no text)" };
}

function reportNode(report) {
  const { message } = report;
  if (report.subject === "room") return roomReportNode(report);
  if (!message) return personReportNode(report);
  const { text, now } = asReported(report, 400);
  const from = authorName(message);
  return el(
    "li",
    { className: "report-entry", dataset: { report: report.id, message: message.id, subject: "message" } },
    ...reportHead(report, { name: from, where: `in ${whereLabel(report)}`, text, now, dim: message.deleted }),
    reportTools(report, {
      open: state.rooms.has(report.room.id) ? ["Show in the room", () => showInRoom(report.room.id, message.id)] : null,
      what: `the message from ${from}`,
      act: {
        label: "Delete message", aria: `Delete the reported message from ${from}`, action: "delete_message",
        confirm: { title: "Delete this message?", message: truncate(preview(message), 200), confirm: "Delete" },
      },
    }),
  );
}

/// A report's buttons: `open` ([label, what it does]) shows what was reported (the dialog closes);
/// then, while the report is open, Dismiss and `act`, the action that settles it (its label, its
/// button's name for screen readers, the confirmation it asks and the resolution it sends), or
/// once it is settled, who settled it, how and when. `what` names the report's subject.
function reportTools(report, { open, what, act }) {
  const tools = el("div", { className: "report-actions" });
  if (open) {
    const [label, go] = open;
    tools.append(button(label, { className: "secondary small", onClick: () => ($("reports-dialog").close(), go()) }));
  }
  if (report.resolved_at) {
    tools.append(resolutionNode(report));
    return tools;
  }
  tools.append(
    button("Dismiss", { className: "secondary small", attrs: { "aria-label": `Dismiss the report of ${what}` }, onClick: () => resolve(report, "dismiss") }),
    button(act.label, {
      className: "danger small",
      attrs: { "aria-label": act.aria },
      onClick: async () => {
        if ((await confirmDialog({ ...act.confirm, danger: true })) !== null) resolve(report, act.action);
      },
    }),
  );
  return tools;
}

/// The head of a report's entry: the reason, who and where; the message as reported (or the person's
/// line) and what it says now if edited since; and when it was reported, with the comment (and by
/// whom, for the people who act on it).
function reportHead(report, { name, where, text, now = null, dim, byWhom = true }) {
  const reported = new Date(report.created_at);
  return [
    el(
      "p",
      { className: "search-meta" },
      el("span", { className: `badge report-reason ${report.reason}`, text: REASONS[report.reason] ?? report.reason }),
      el("strong", { text: name }),
      where ? el("span", { className: "muted", text: where }) : null,
    ),
    el("blockquote", { className: dim ? "report-message muted" : "report-message", text }),
    now === null ? null : el("p", { className: "report-edited muted", text: `Edited since it was reported. Now: “${now}”` }),
    el(
      "p",
      { className: "report-by muted" },
      `Reported ${byWhom ? `by ${report.reporter.display_name}, ` : ""}${dayLabel(reported)} ${formatTime(reported)}`,
      report.comment ? el("span", { className: "report-comment", text: `: “${report.comment}”` }) : null,
    ),
  ];
}

/// Who settled a report, how and when.
function resolutionNode(report) {
  const when = new Date(report.resolved_at);
  const what = { message_deleted: "Message deleted", user_deactivated: "Account deactivated", room_deleted: "Room deleted" }[report.resolution] ?? "Dismissed";
  const by = report.resolved_by ? ` by ${report.resolved_by.display_name}` : "";
  return el("span", { className: "report-resolution muted", text: `${what}${by}, ${dayLabel(when)} ${formatTime(when)}` });
}

/// A report of a person as such (only site admins see these).
function personReportNode(report) {
  const { user } = report;
  return el(
    "li",
    { className: "report-entry", dataset: { report: report.id, subject: "user" } },
    ...reportHead(report, { name: user.display_name, where: "reported as a person", text: personLine(report), dim: true }),
    reportTools(report, {
      open: ["Show profile", () => showPerson(user)],
      what: user.display_name,
      act: {
        label: "Deactivate account", aria: `Deactivate the account of ${user.display_name}`, action: "deactivate_user",
        confirm: {
          title: `Deactivate ${user.display_name}’s account?`,
          message: "They are logged out everywhere and cannot log in again; their messages stay. A site admin can reactivate the account.",
          confirm: "Deactivate",
        },
      },
    }),
  );
}

/// A report of a room or group as such (only site admins see these).
function roomReportNode(report) {
  const name = roomName(report);
  return el(
    "li",
    { className: "report-entry", dataset: { report: report.id, subject: "room" } },
    ...reportHead(report, { name, where: "reported as a room", text: roomLine(report), dim: true }),
    reportTools(report, {
      // A room I am in opens; one I am not in is joined from Browse first, as anyone's (and a group is closed to me).
      open: state.rooms.has(report.room.id) ? ["Open the room", () => showInRoom(report.room.id)] : null,
      what: name,
      act: {
        label: "Delete room", aria: `Delete ${name}`, action: "delete_room",
        confirm: {
          title: `Delete ${name}?`,
          message: "Its messages and files go for good, and its members are told. Its reports go with it.",
          confirm: "Delete",
        },
      },
    }),
  );
}

const RESOLVED = { dismiss: "Report dismissed.", delete_message: "Message deleted.", deactivate_user: "Account deactivated.", delete_room: "Room deleted." };

async function resolve(report, action) {
  try {
    await Reports.resolve(report.id, action);
    toast(RESOLVED[action], { kind: "info", ms: 2500 });
    // The report.resolved event reloads the list; in case the stream is slow, so does this.
    load();
    refreshCount();
  } catch (error) {
    toastError(error);
    load();
  }
}
