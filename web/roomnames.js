// Rooms by name, for links to rooms in messages: `#name`, or `#**a name**` for a name with spaces
// or punctuation (Zulip's form). A name links to a public room (the directory's, or one I am in),
// or else to a private group of mine; DMs have no names to link. state.js tells this module the
// rooms whenever my list or the directory changes; it only holds them (and imports nothing), so
// that dom.js can draw the links. Nothing about a private group reaches anyone outside it: each
// reader's client links only the names it knows.

/// Lowercased name -> { id, name, kind, topic, member_count, has_password, joined }.
let byName = new Map();

/// Changes each time a name comes to mean another room (or none): views that drew links draw again.
export let roomNamesVersion = 0;

/// `mine`: my rooms (id -> room), `directory`: the public rooms.
export function indexRoomNames(mine, directory) {
  const next = new Map();
  // Public rooms first: their names are unique regardless of case. A group only takes a name no
  // public room has (the oldest group of mine, when two share it).
  const rooms = [
    ...directory.map((room) => ({ ...room, kind: "public", joined: mine.has(room.id) })),
    ...[...mine.values()].filter((room) => room.kind === "public").map((room) => ({ ...room, joined: true })),
    ...[...mine.values()].filter((room) => room.kind === "group").sort((a, b) => a.id - b.id).map((room) => ({ ...room, joined: true })),
  ];
  for (const room of rooms) {
    const key = room.name.toLowerCase();
    if (!next.has(key)) next.set(key, room);
  }
  const meaning = (map) => [...map].map(([key, room]) => `${key}\u0000${room.id}\u0000${room.joined}`).sort().join("\u0001");
  if (meaning(next) !== meaning(byName)) roomNamesVersion++;
  byName = next;
}

/// The room `name` links to (any case), or null.
export function roomNamed(name) {
  return byName.get(name.toLowerCase()) ?? null;
}

/// Rooms whose name, or a word of it, starts with `typed` (lowercase): names first, then words,
/// each alphabetically; at most `max`.
export function roomsStartingWith(typed, max) {
  const rooms = [...byName.values()];
  const order = (a, b) => a.name.localeCompare(b.name);
  const byStart = rooms.filter((room) => room.name.toLowerCase().startsWith(typed)).sort(order);
  const byWord = rooms
    .filter((room) => !byStart.includes(room) && room.name.toLowerCase().split(/[\s_.-]+/u).some((word) => word.startsWith(typed)))
    .sort(order);
  return [...byStart, ...byWord].slice(0, max);
}

/// A name `#name` can carry as it is: letters, digits, `_`, `.` and `-`, not ending in `.` or `-`.
const BARE = /^[\p{L}\p{N}_.-]*[\p{L}\p{N}_]$/u;

/// How a message links to `room`: `#name`, or `#**name**` when the name would not survive bare.
export function roomLinkText(room) {
  return BARE.test(room.name) ? `#${room.name}` : `#**${room.name}**`;
}
