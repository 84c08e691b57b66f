// The site's custom emoji (name -> { name, url, created_by, created_at }), as the server last told:
// drawn for `:name:` in messages and reactions, and offered with the standard emoji. state.js
// changes the list (and announces it); this module only holds it (and imports nothing), so that
// dom.js can draw from it.
export const customEmoji = new Map();

/// Changes each time the list does: views that drew custom emoji draw again.
export let customEmojiVersion = 0;

export function replaceCustomEmoji(list) {
  customEmoji.clear();
  for (const emoji of list) customEmoji.set(emoji.name, emoji);
  customEmojiVersion++;
}

export function putCustomEmoji(emoji) {
  customEmoji.set(emoji.name, emoji);
  customEmojiVersion++;
}

export function dropCustomEmoji(name) {
  if (customEmoji.delete(name)) customEmojiVersion++;
}

/// The name in `:name:` when it is a custom emoji's, else null.
export function customName(text) {
  const match = /^:([a-z0-9_+-]{2,30}):$/u.exec(text);
  return match && customEmoji.has(match[1]) ? match[1] : null;
}

/// A custom emoji's picture, labelled `:name:` (which copying the text gives back).
export function customEmojiImage(name, className = "custom-emoji") {
  const image = document.createElement("img");
  image.className = className;
  image.src = customEmoji.get(name).url;
  image.alt = image.title = `:${name}:`;
  image.draggable = false;
  image.decoding = "async";
  return image;
}

/// Up to `max` custom emoji whose name starts with `typed`, then those with a word of the name
/// starting with it, each as { name, url }.
export function customSuggestions(typed, max = 8) {
  const key = typed.toLowerCase();
  const names = [...customEmoji.keys()].sort();
  const starts = names.filter((name) => name.startsWith(key));
  const words = names.filter((name) => !name.startsWith(key) && name.split(/[_+-]/u).some((word) => word.startsWith(key)));
  return [...starts, ...words].slice(0, max).map((name) => ({ name, url: customEmoji.get(name).url }));
}
