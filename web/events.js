// The live event stream: Server-Sent Events from the last cursor, falling back to long-poll when SSE
// never gets through (a buffering proxy), reconnecting with backoff and reporting its state for the
// UI. The cursor lives in sessionStorage, so a reload resumes where the tab left off.
import { ApiError, Events, sameAccount, Session } from "/api.js";

const CURSOR_KEY = "parley.cursor";

/// SSE names each event after its type and EventSource needs one listener per name: a new event
/// type the client handles is added here.
export const EVENT_TYPES = [
  "message.created", "message.edited", "message.deleted", "message.previews", "messages.expired",
  "member.joined", "member.added", "member.left", "member.removed", "member.kicked", "member.banned", "member.unbanned",
  "member.muted", "member.unmuted", "member.role_changed",
  "room.created", "room.updated", "room.deleted", "dm.opened", "directory.changed", "emoji.added", "emoji.removed", "settings.updated", "user_group.updated", "user_group.deleted", "draft.saved", "draft.removed", "preferences.updated", "thread.followed", "thread.unfollowed", "thread.replied", "thread.read", "user.updated", "user.status",
  "typing", "presence", "presence.chosen", "receipt", "read_marker", "notification", "reaction.added", "reaction.removed", "pinned", "unpinned", "account.deactivated",
  "account.site_role_changed", "saved.added", "saved.removed", "room.starred", "room.unstarred", "room.notification_level", "room.closed", "room.reopened",
  "user.blocked", "user.unblocked", "poll.voted", "poll.closed", "reminder.set", "reminder.removed", "user.dnd", "notifications.seen", "scheduled.saved", "scheduled.removed", "report.created", "report.resolved", "report.message_edited", "report.outcome", "resync",
];

/// One connection to the server's event log for the logged-in user.
/// States: "connecting" (first connection), "live", "reconnecting" (lost, retrying), "offline" (the
/// browser says there is no network; retried as soon as it comes back).
export class EventStream {
  constructor({ onEvent, onState, onSessionLost }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.onSessionLost = onSessionLost;
    this.mode = window.EventSource ? "sse" : "poll";
    this.sseWorked = false;
    this.failures = 0;
    this.stopped = true;
    this.source = null;
    this.poller = null;
    this.retryTimer = null;
    this.state = null;
    /// Whether a connection has worked: each one after it first checks whose session it opens.
    this.wasLive = false;
    /// Each connection attempt's number: an older one still checking the session gives way.
    this.attempt = 0;
    this.wakeUp = () => this.reconnectNow();
    this.wentOffline = () => {
      this.closeTransport();
      this.connect();
    };
  }

  static clearCursor() {
    sessionStorage.removeItem(CURSOR_KEY);
  }

  get cursor() {
    const value = sessionStorage.getItem(CURSOR_KEY);
    return value === null ? null : Number(value);
  }

  set cursor(value) {
    if (value !== null && value !== undefined && Number.isFinite(Number(value))) sessionStorage.setItem(CURSOR_KEY, String(value));
  }

  /// Without a saved cursor, learns the log's current position, so that nothing published between
  /// loading state over REST and opening the stream is missed.
  async prime() {
    if (this.cursor !== null) return;
    try {
      const { cursor } = await Events.poll(null, 0);
      this.cursor = cursor;
    } catch {
      // The stream then starts from "now".
    }
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this.wakeUp);
    window.addEventListener("offline", this.wentOffline);
    this.setState("connecting");
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.wakeUp);
    window.removeEventListener("offline", this.wentOffline);
    clearTimeout(this.retryTimer);
    this.closeTransport();
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  async connect() {
    if (this.stopped) return;
    if (navigator.onLine === false) {
      // Wait for the "online" event, but look again now and then: it is not always sent.
      this.setState("offline");
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.connect(), 5000);
      return;
    }
    const attempt = ++this.attempt;
    // A reconnection opens with the browser's cookie as it is now: if another tab logged in as
    // someone else meanwhile, the stream would be theirs (it was, a hunt, and the page went on as
    // "Live"). A failed check (no network) lets the connection itself fail and retry.
    if (this.wasLive) {
      const session = await Session.current().catch((error) => error);
      if (attempt !== this.attempt || this.stopped || this.stoppedFor(session)) return;
    }
    if (this.mode === "sse") this.openSSE();
    else this.poll();
  }

  closeTransport() {
    this.source?.close();
    this.source = null;
    this.poller?.abort();
    this.poller = null;
  }

  reconnectNow() {
    if (this.stopped || this.state === "live") return;
    clearTimeout(this.retryTimer);
    this.closeTransport();
    this.failures = 0;
    this.setState("reconnecting");
    this.connect();
  }

  /// Waits longer after each failure (0.5 s doubling to 10 s, with jitter); checks the session after
  /// a few, because EventSource cannot tell a 401 from a dropped connection.
  async retryLater() {
    this.failures += 1;
    this.setState(navigator.onLine === false ? "offline" : "reconnecting");
    if (this.failures >= 3 && (await this.sessionGone())) return;
    const delay = Math.min(10_000, 500 * 2 ** Math.min(this.failures - 1, 5)) * (0.75 + Math.random() / 2);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  async sessionGone() {
    const session = await Session.current().catch((error) => error);
    return this.stopped || this.stoppedFor(session);
  }

  /// Stops for the browser's session as `Session.current()` found it (or the error it threw): gone
  /// (401, and the page is told) or another account's. A failed check (no network) stops nothing.
  stoppedFor(session) {
    if (session instanceof ApiError && session.status === 401) {
      this.stop();
      this.onSessionLost?.();
      return true;
    }
    if (session?.user && !sameAccount(session)) {
      this.stop();
      return true;
    }
    return false;
  }

  deliver(event) {
    try {
      this.onEvent(event);
    } catch (error) {
      console.error("Parley: handling event failed", event, error);
    }
    this.cursor = event.type === "resync" ? event.data?.cursor ?? event.id : event.id;
  }

  openSSE() {
    const after = this.cursor;
    const source = new EventSource(`/api/events/stream${after !== null ? `?after=${after}` : ""}`);
    this.source = source;
    const receive = (message) => {
      if (source !== this.source || !message.data) return;
      try {
        this.deliver(JSON.parse(message.data));
      } catch (error) {
        console.error("Parley: unreadable event", error);
      }
    };
    source.onopen = () => {
      this.sseWorked = true;
      this.wasLive = true;
      this.failures = 0;
      this.setState("live");
    };
    source.onmessage = receive;
    for (const type of EVENT_TYPES) source.addEventListener(type, receive);
    source.onerror = () => {
      // Reconnect ourselves rather than let EventSource do it: we control the backoff and the state.
      if (source !== this.source) return;
      source.close();
      this.source = null;
      if (this.stopped) return;
      if (!this.sseWorked && this.failures >= 1) this.mode = "poll";
      this.retryLater();
    };
  }

  async poll() {
    const controller = new AbortController();
    this.poller = controller;
    while (!this.stopped && this.poller === controller) {
      try {
        const body = await Events.poll(this.cursor, this.state === "live" ? 25 : 0, controller.signal);
        if (this.poller !== controller) return;
        this.failures = 0;
        this.wasLive = true;
        this.setState("live");
        for (const event of body.events) this.deliver(event);
        this.cursor = body.cursor;
      } catch (error) {
        if (error.name === "AbortError" || this.poller !== controller) return;
        this.poller = null;
        if (error instanceof ApiError && error.status === 401) {
          this.stop();
          this.onSessionLost?.();
          return;
        }
        this.retryLater();
        return;
      }
    }
  }
}
