// Dates, names and labels as the reader's locale and the UI show them.

/// The reader's languages as the browser reports them (Intl's default can differ from them).
const locales = navigator.languages?.length ? [...navigator.languages] : undefined;

const time = new Intl.DateTimeFormat(locales, { hour: "numeric", minute: "2-digit" });
const full = new Intl.DateTimeFormat(locales, { dateStyle: "full", timeStyle: "short" });
const longDate = new Intl.DateTimeFormat(locales, { dateStyle: "long" });
const dayThisYear = new Intl.DateTimeFormat(locales, { weekday: "long", month: "long", day: "numeric" });
const dayOtherYear = new Intl.DateTimeFormat(locales, { weekday: "long", year: "numeric", month: "long", day: "numeric" });
const relativeDay = new Intl.RelativeTimeFormat(locales, { numeric: "auto" });

export const formatTime = (date) => time.format(date);

/// Minutes `zone` (an IANA name) is ahead of UTC at `date`.
function zoneOffset(zone, date) {
  const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" }).formatToParts(date)
    .find((part) => part.type === "timeZoneName")?.value ?? "GMT";
  const match = /^GMT([+-])(\d{2}):(\d{2})$/u.exec(name);
  return match ? (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

/// What someone's time zone says now: the time it is there ("3:04 PM") and how far that is from
/// mine ("9 hours ahead of you", "the same time as you"); null for a zone this browser does not know.
export function localTimeIn(zone, date = new Date()) {
  let shown;
  try {
    shown = new Intl.DateTimeFormat(locales, { hour: "numeric", minute: "2-digit", timeZone: zone }).format(date);
  } catch {
    return null;
  }
  const minutes = zoneOffset(zone, date) + date.getTimezoneOffset();
  // In hours and minutes: zones half or three quarters of an hour apart read "0.25 hours" (a hunt).
  const [h, m] = [Math.trunc(Math.abs(minutes) / 60), Math.round(Math.abs(minutes) % 60)];
  const unit = [h ? `${h} ${h === 1 ? "hour" : "hours"}` : "", m ? `${m} ${m === 1 ? "minute" : "minutes"}` : ""].filter(Boolean).join(" ");
  // Past their midnight or not yet at mine, their day is another (the header said "1:30 AM local
  // time" with nothing to say it was already tomorrow there, a hunt).
  const dayOf = (timeZone) => new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone }).format(date);
  const [theirs, mine] = [dayOf(zone), dayOf(undefined)];
  const day = theirs === mine ? "" : theirs > mine ? "tomorrow" : "yesterday";
  return { time: shown, day, apart: minutes === 0 ? "the same time as you" : `${unit} ${minutes > 0 ? "ahead of" : "behind"} you` };
}
export const formatFull = (date) => full.format(date);

/// What a muted member is told (the message box's note, a poll's footer): until when, if it ends.
export const mutedNote = (until) => (until ? `A moderator muted you here until ${formatFull(new Date(until))}.` : "A moderator muted you here.");

/// A message of the server's (an error's, a scheduled message's failure) as plain text: it marks
/// names and values as Markdown's code (`` `username` ``), which shows here in quotes, as the
/// client's own messages name them (“username”), never as raw backticks.
export const serverText = (message) => (typeof message === "string" ? message.replace(/`([^`\n]+)`/g, "“$1”").replaceAll("`", "") : message);

/// The server's refusal for being muted (`muted`) with its ISO 8601 time as local time; its end,
/// as ISO 8601, or null when it lasts until lifted (or the message does not say).
export function mutedRefusal(message) {
  const until = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/.exec(message ?? "")?.[0] ?? null;
  const time = until === null ? NaN : Date.parse(until);
  if (Number.isNaN(time)) return { message, until: null };
  return { message: message.replace(until, formatFull(new Date(time))), until };
}

/// A day on its own, in the reader's language ("March 3, 2026").
export const formatDate = (day) => longDate.format(day);

/// A local calendar day, as a key ("2026-11-24").
export const dayKey = (date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;

/// "Today", "Yesterday", or the date in the reader's language.
export function dayLabel(date, now = new Date()) {
  const startOf = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((startOf(date) - startOf(now)) / 86_400_000);
  if (days === 0 || days === -1) {
    const text = relativeDay.format(days, "day");
    return text.charAt(0).toLocaleUpperCase() + text.slice(1);
  }
  return (date.getFullYear() === now.getFullYear() ? dayThisYear : dayOtherYear).format(date);
}

export function initials(name) {
  const words = name.trim().split(/\s+/u).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [words[0] ?? "?"];
  return letters.map((word) => Array.from(word)[0]?.toLocaleUpperCase() ?? "").join("").slice(0, 2) || "?";
}

/// A stable hue per user, for avatars.
export const hue = (userId) => (Number(userId) * 137.508) % 360;

/// Whether a room is a group DM (a DM of three or more people).
export const isGroupDM = (room) => room?.kind === "dm" && (room.dm_members?.length ?? 0) > 1;

export function roomName(room) {
  if (!room) return "";
  if (isGroupDM(room)) return room.dm_members.map((user) => user.display_name).join(", ");
  return room.kind === "dm" ? room.dm_with?.display_name ?? room.name : room.name;
}

/// "#room", or "@person" for a DM (a group DM's people as they are); empty for no room.
export const roomLabel = (room) => (room ? `${room.kind === "dm" ? (isGroupDM(room) ? "" : "@") : "#"}${roomName(room)}` : "");

/// A file's size for people: "512 B", "3.4 KB", "12 MB".
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/// The most characters a message may have, counted as the server counts them: as people see them
/// (grapheme clusters: "👨‍👩‍👧‍👦", or an "é" made of two code points, is one).
export const MAX_MESSAGE = 4000;
export const TOO_LONG = "A message is at most 4,000 characters.";

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/// Whether a message's text is more than the server takes: over 4,000 characters, or (its guard
/// against a few huge clusters) over 16,000 code points.
export function tooLongMessage(text) {
  // Each character is at least one UTF-16 unit: a text this short cannot be too long.
  if (text.length <= MAX_MESSAGE) return false;
  let scalars = 0;
  for (const _ of text) if (++scalars > MAX_MESSAGE * 4) return true;
  let count = 0;
  for (const _ of graphemes.segment(text)) if (++count > MAX_MESSAGE) return true;
  return false;
}

export function truncate(text, length = 120) {
  const chars = Array.from(text ?? "");
  return chars.length > length ? chars.slice(0, length).join("") + "…" : text ?? "";
}

/// What a moderation-log entry (a room's or the site's) says happened, after who did it.
const LOG_LINES = {
  role_admin: (e) => `made ${at(e)} an admin`,
  role_moderator: (e) => `made ${at(e)} a moderator`,
  role_member: (e) => `made ${at(e)} a member`,
  kick: (e) => `removed ${at(e)}`,
  add_member: (e) => `added ${at(e)}`,
  remove_member: (e) => `removed ${at(e)} from the group`,
  ban: (e) => `banned ${at(e)}${until(e)}`,
  unban: (e) => `lifted the ban on ${at(e)}`,
  ban_expired: (e) => `(the ban on ${at(e)} ended)`,
  mute: (e) => `muted ${at(e)}${until(e)}`,
  unmute: (e) => `unmuted ${at(e)}`,
  mute_expired: (e) => `(the mute of ${at(e)} ended)`,
  pin: () => "pinned a message",
  unpin: () => "unpinned a message",
  filter: () => "changed the word filter",
  delete_message: (e) => `deleted a message of ${at(e)}`,
  dismiss_reports: (e) => (e.target_message_id ? `dismissed the reports of a message of ${at(e)}` : `dismissed the reports of ${at(e)}`),
  create_invite: () => "made an invite link",
  post_policy_moderators: () => "let only moderators, admins and the owner post",
  post_policy_everyone: () => "let every member post again",
  revoke_invite: () => "revoked an invite link",
  create_webhook: (e) => `made the webhook “${e.reason ?? ""}”`,
  delete_webhook: (e) => `deleted the webhook “${e.reason ?? ""}”`,
  deactivate: (e) => `deactivated ${at(e)}`,
  deactivate_self: () => "deactivated their own account",
  reactivate: (e) => `reactivated ${at(e)}`,
  remove_avatar: (e) => `removed the picture of ${at(e)}`,
  create_password_reset: (e) => `made a password reset link for ${at(e)}`,
  reset_two_factor: (e) => `turned off two-factor authentication for ${at(e)}`,
  reset_password: () => "set a new password with a reset link",
  grant_site_admin: (e) => `made ${at(e)} a site admin`,
  revoke_site_admin: (e) => `took site admin from ${at(e)}`,
  delete_room: (e) => `deleted the room ${e.reason ?? ""}`.trim(),
  room_retention: (e) => `set the message retention of ${roomRetention(e.reason)}`,
  delete_emoji: (e) => `deleted the custom emoji :${e.reason ?? ""}: that ${at(e)} added`,
  archive: () => "archived the room",
  unarchive: () => "unarchived the room",
  slow_mode: (e) => `put the room in slow mode (one message every ${e.reason ?? "while"})`,
  slow_mode_off: () => "turned slow mode off",
  rename: (e) => `renamed the room (${e.reason ?? ""})`,
  topic: (e) => `changed the topic to “${e.reason ?? ""}”`,
  topic_cleared: () => "cleared the topic",
  password_set: () => "set a password for joining",
  password_removed: () => "removed the password",
  transfer_ownership: (e) => `handed ownership to ${at(e)}`,
  site_settings: (e) => `changed the site's settings (${siteChanges(e.reason)})`,
  create_user: (e) => `made the account ${at(e)}`,
};
/// A `site_settings` entry's reason ("registration: closed, custom emoji: admins") in words.
const SITE_CHANGES = {
  "registration: open": "anyone may create an account",
  "registration: closed": "only site admins make accounts",
  "public rooms: everyone": "anyone may create a public room",
  "public rooms: admins": "only site admins create public rooms",
  "custom emoji: everyone": "anyone may add custom emoji",
  "custom emoji: admins": "only site admins add custom emoji",
  "message retention: keep": "messages are kept for ever",
  "message editing: any time": "messages are edited at any time",
  "message editing: never": "messages are never edited",
};
/// "message retention: 30 days", "message editing: 15 minutes".
const numberChange = (change) => {
  const days = /^message retention: (\d+) days$/.exec(change)?.[1];
  if (days) return `messages are deleted after ${days} ${days === "1" ? "day" : "days"}`;
  const minutes = /^message editing: (\d+) minutes$/.exec(change)?.[1];
  if (minutes) return `messages are edited for ${minutes} ${minutes === "1" ? "minute" : "minutes"} after sending`;
  return change;
};
const siteChanges = (reason) => (reason ?? "").split(", ").map((change) => SITE_CHANGES[change] ?? numberChange(change)).join("; ");
/// A `room_retention` entry's reason ("lobby (room 7): 30 days", "…: keep", "…: site") in words.
const roomRetention = (reason) => {
  const [, room, what] = /^(.*): (\d+ days|keep|site)$/.exec(reason ?? "") ?? [null, reason ?? "a room", ""];
  if (what === "keep") return `${room} (keep messages for ever)`;
  if (what === "site") return `${room} (as the site)`;
  const days = Number.parseInt(what, 10);
  return what ? `${room} (delete messages after ${days} ${days === 1 ? "day" : "days"})` : room;
};
const at = (entry) => (entry.target_user ? `@${entry.target_user.username}` : "someone");
/// A ban's or a mute's end, as the entry recorded it (none: until lifted).
const until = (entry) => (entry.expires_at ? ` until ${formatFull(new Date(entry.expires_at))}` : "");
/// Actions whose `reason` is what they name (a room, a webhook), said in the line itself.
const REASON_NAMES = new Set(["delete_room", "delete_emoji", "create_webhook", "delete_webhook", "slow_mode", "site_settings", "room_retention", "rename", "topic"]);

/// One log entry as a sentence: "Ann banned @bob", with the reason where one was given.
export function logLine(entry) {
  const who = entry.actor?.display_name ?? "Parley";
  const what = (LOG_LINES[entry.action] ?? (() => entry.action))(entry);
  const why = entry.reason && !REASON_NAMES.has(entry.action) ? ` (“${entry.reason}”)` : "";
  return `${who} ${what}${why}`;
}

/// A slow mode's interval in words: "30 seconds", "1 minute", "6 hours".
export function formatInterval(seconds) {
  const [count, unit] = seconds % 3600 === 0 ? [seconds / 3600, "hour"] : seconds % 60 === 0 ? [seconds / 60, "minute"] : [seconds, "second"];
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

/// How long until slow mode lets me post again, in words: "you can post again in 12 s" (in
/// minutes past 90 seconds).
export function slowModeWait(left) {
  return `you can post again in ${left > 90 ? formatInterval(Math.ceil(left / 60) * 60) : `${left} s`}`;
}

/// What a box says of a message slow mode holds back (it stays in the box).
export const SLOW_MODE_HELD = "Not sent yet: slow mode. Your message stays here until you may post again.";

/// A status as one line: its emoji and its text.
export const statusLabel = (status) => [status.emoji, status.text].filter(Boolean).join(" ");

/// Who a message is from, as readers see it: the webhook that posted it, else its sender.
export const authorName = (message) => message.webhook?.name ?? message.sender.display_name;
