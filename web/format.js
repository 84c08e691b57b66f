// Dates, names and labels as the reader's locale and the UI show them.

/// The reader's languages as the browser reports them (Intl's default can differ from them).
const locales = navigator.languages?.length ? [...navigator.languages] : undefined;

const time = new Intl.DateTimeFormat(locales, { hour: "numeric", minute: "2-digit" });
const full = new Intl.DateTimeFormat(locales, { dateStyle: "full", timeStyle: "short" });
const dayThisYear = new Intl.DateTimeFormat(locales, { weekday: "long", month: "long", day: "numeric" });
const dayOtherYear = new Intl.DateTimeFormat(locales, { weekday: "long", year: "numeric", month: "long", day: "numeric" });
const relativeDay = new Intl.RelativeTimeFormat(locales, { numeric: "auto" });

export const formatTime = (date) => time.format(date);
export const formatFull = (date) => full.format(date);

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

export function roomName(room) {
  if (!room) return "";
  return room.kind === "dm" ? room.dm_with?.display_name ?? room.name : room.name;
}

export function truncate(text, length = 120) {
  const chars = Array.from(text ?? "");
  return chars.length > length ? chars.slice(0, length).join("") + "…" : text ?? "";
}
