// Messages waiting to be sent. Each is stored (per user, in localStorage) before the first attempt
// and keeps its client_id for every retry, so a message written offline, or whose answer was lost,
// reaches the room exactly once: the server answers a repeated client_id with the original.
import { Messages } from "/api.js";
import { emit } from "/state.js";

const RETRY_MAX_MS = 15_000;

/// A client_id: 128 random bits (crypto.getRandomValues works outside secure contexts too).
export function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "c-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/// The queue of one user's unsent messages, oldest first.
export class Outbox {
  constructor(userId, { onSent, onRefused = () => {} }) {
    this.key = `parley.outbox.${userId}`;
    this.onSent = onSent;
    this.onRefused = onRefused;
    this.entries = this.read().map((entry) => (entry.status === "sending" ? { ...entry, status: "queued" } : entry));
    this.flushing = false;
    this.failures = 0;
    this.timer = null;
    /// Logged out: nothing more is sent or kept.
    this.forgotten = false;
    window.addEventListener("online", () => this.flush());
    // Another tab of mine queued or sent something.
    window.addEventListener("storage", (event) => {
      if (event.key !== this.key || this.forgotten) return;
      this.entries = this.read();
      emit("outbox");
    });
  }

  read() {
    try {
      return JSON.parse(localStorage.getItem(this.key) ?? "[]");
    } catch {
      return [];
    }
  }

  save() {
    if (this.forgotten) return;
    localStorage.setItem(this.key, JSON.stringify(this.entries));
    emit("outbox");
  }

  /// Logging out: the unsent messages go from this browser unsent (on a shared computer, the next
  /// person must not find them, nor may they go out at this user's next login), and nothing more
  /// is sent or kept, whatever answer is still on its way.
  forget() {
    this.forgotten = true;
    clearTimeout(this.timer);
    this.entries = [];
    localStorage.removeItem(this.key);
  }

  forRoom(roomId) {
    return this.entries.filter((entry) => entry.room_id === roomId);
  }

  enqueue(roomId, text, replyTo) {
    this.entries.push({ client_id: newClientId(), room_id: roomId, text, reply_to: replyTo ?? undefined, queued_at: new Date().toISOString(), status: "queued" });
    this.save();
    this.flush();
  }

  /// The server has this message (from our send or from the stream): it is no longer pending.
  settle(clientId) {
    const before = this.entries.length;
    this.entries = this.entries.filter((entry) => entry.client_id !== clientId);
    if (this.entries.length !== before) this.save();
  }

  discard(clientId) {
    this.settle(clientId);
  }

  retry(clientId) {
    const entry = this.entries.find((e) => e.client_id === clientId);
    if (!entry) return;
    entry.status = "queued";
    delete entry.error;
    this.save();
    this.flush();
  }

  /// Sends queued messages in order. Stops at the first one that fails for a passing reason
  /// (offline, server trouble, rate limit) and tries again later; a refused one is marked failed.
  async flush() {
    if (this.flushing || this.forgotten) return;
    this.flushing = true;
    clearTimeout(this.timer);
    try {
      for (;;) {
        const entry = this.forgotten ? null : this.entries.find((e) => e.status === "queued");
        if (!entry) break;
        entry.status = "sending";
        this.save();
        try {
          const { message } = await Messages.send(entry.room_id, entry);
          this.failures = 0;
          this.settle(entry.client_id);
          this.onSent(message);
        } catch (error) {
          const current = this.entries.find((e) => e.client_id === entry.client_id);
          if (!current) continue; // settled by the stream meanwhile
          if (error.status === 401) {
            // The session ended: keep it for the next login of this user.
            current.status = "queued";
            this.save();
            return;
          }
          if (error.transient) {
            current.status = "queued";
            current.waiting = true;
            this.save();
            this.failures += 1;
            const wait = error.retryAfter ? error.retryAfter * 1000 : Math.min(RETRY_MAX_MS, 1000 * 2 ** (this.failures - 1));
            this.timer = setTimeout(() => this.flush(), wait);
            return;
          }
          current.status = "failed";
          current.error = error.message;
          this.save();
          this.onRefused(current, error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
