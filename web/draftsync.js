// Drafts on the server, for every box that keeps one (the room's message box in composer.js, a
// thread's reply box in views/threaddrafts.js): a box's draft is sent shortly after typing stops
// (deleted once blank), unless the server already holds it; a box's requests go one at a time, in
// order; and an event older than the newest server time known for a box is stale. A box is named
// by a key; its owner keeps the drafts themselves and says how to read and send them.
import { tooLongMessage } from "/format.js";

const SYNC_DELAY_MS = 1000;

/// `current(key)`: the box's draft ({text, pending, ...}) or undefined; `target(draft)`: the id of
/// the message it answers, or null; `save(key, text, replyTo)` and `remove(key)`: the requests;
/// `confirmed(key, draft)`: the server now holds what `draft` says; `gone(key, draft)`: the server
/// keeps no draft of this box for me any more (its room or message is gone, or I am no longer a
/// member), so this browser drops it too.
export function draftSync({ current, target, save, remove, confirmed, gone }) {
  /// What the server holds of each box's draft (key -> { text, replyTo }), as last saved or heard;
  /// `text: null` when unknown (a save failed), so the next change is sent whatever it is.
  const synced = new Map();
  /// The server's time of the latest change known of each box's draft (key -> ms).
  const serverTimes = new Map();
  const timers = new Map();
  const chains = new Map();

  /// Whether a change of a box's draft at `time` (the server's) is the latest known; it then is.
  function newer(key, time) {
    const at = Date.parse(time);
    if (at < (serverTimes.get(key) ?? 0)) return false;
    serverTimes.set(key, at);
    return true;
  }

  async function send(key) {
    const draft = current(key);
    if (!draft) return;
    const text = draft.text;
    const replyTo = target(draft);
    const blank = !text.trim() && replyTo === null;
    // Longer than a message may be: the server would refuse it at every pause in typing (a hunt:
    // a 422 each time). This browser keeps it, and sending says why it cannot go.
    if (!blank && tooLongMessage(text.trim())) {
      synced.set(key, { text: null, replyTo: null });
      return;
    }
    const known = synced.get(key);
    const same = blank ? known === undefined : known?.text === text && known.replyTo === replyTo;
    try {
      if (!same) {
        if (blank) {
          synced.delete(key);
          await remove(key);
        } else {
          synced.set(key, { text, replyTo });
          const { draft: saved } = await save(key, text, replyTo);
          newer(key, saved.updated_at);
        }
      }
      confirmed(key, draft);
    } catch (error) {
      // Refused for good (no longer a member, banned, the room or the thread deleted): sending it
      // again, at every load, would be refused again.
      if ((error?.status === 403 && error.code !== "csrf_failed") || error?.status === 404) {
        synced.delete(key);
        gone(key, draft);
        return;
      }
      // Offline: this browser keeps it, and the next change tries again.
      synced.set(key, { text: null, replyTo: null });
    }
  }

  return {
    newer,
    /// The server holds this draft of the box (`null`: none), as a list or an event said.
    heard(key, draft) {
      if (draft) synced.set(key, { text: draft.text, replyTo: draft.reply_to });
      else synced.delete(key);
    },
    /// Sends the box's draft a moment after the last change.
    schedule(key) {
      clearTimeout(timers.get(key));
      timers.set(
        key,
        setTimeout(() => {
          timers.delete(key);
          chains.set(key, (chains.get(key) ?? Promise.resolve()).then(() => send(key)));
        }, SYNC_DELAY_MS),
      );
    },
  };
}
