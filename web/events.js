// The live event stream: SSE resuming from the last cursor, falling back to long-poll, with a
// connection state for the UI. The cursor survives reloads (sessionStorage).

const CURSOR_KEY = "parley.cursor";

// SSE names each event after its type; EventSource needs a listener per name.
const TYPES = [
  "message.created", "message.edited", "message.deleted", "member.joined", "member.added", "member.left", "member.removed",
  "member.kicked", "member.banned", "member.unbanned", "member.muted", "member.unmuted", "member.role_changed",
  "room.created", "room.updated", "room.deleted", "dm.opened", "typing", "presence", "receipt", "read_marker",
  "notification", "pinned", "unpinned", "account.deactivated", "resync",
];

export class EventStream {
  constructor({ onEvent, onState }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.source = null;
    this.stopped = false;
    this.failures = 0;
  }

  get cursor() {
    return sessionStorage.getItem(CURSOR_KEY);
  }

  set cursor(value) {
    if (value !== null && value !== undefined) sessionStorage.setItem(CURSOR_KEY, String(value));
  }

  start() {
    this.stopped = false;
    if (window.EventSource && this.failures < 3) this.openSSE();
    else this.poll();
  }

  stop() {
    this.stopped = true;
    this.source?.close();
    this.source = null;
  }

  deliver(event) {
    this.cursor = event.id;
    this.onEvent(event);
  }

  openSSE() {
    const after = this.cursor;
    this.onState("connecting");
    const source = new EventSource("/api/events/stream" + (after ? `?after=${encodeURIComponent(after)}` : ""));
    this.source = source;
    source.onopen = () => {
      this.failures = 0;
      this.onState("live");
    };
    for (const type of TYPES) source.addEventListener(type, (message) => this.handle(message));
    source.onerror = () => {
      source.close();
      if (this.stopped) return;
      this.failures += 1;
      this.onState("reconnecting");
      setTimeout(() => this.start(), Math.min(5000, 500 * this.failures));
    };
  }

  handle(message) {
    if (!message.data) return;
    try {
      this.deliver(JSON.parse(message.data));
    } catch (error) {
      console.error("bad event", error);
    }
  }

  async poll() {
    this.onState("live");
    while (!this.stopped) {
      const after = this.cursor;
      try {
        const response = await fetch(`/api/events?timeout=25${after ? `&after=${encodeURIComponent(after)}` : ""}`, { credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        const body = await response.json();
        for (const event of body.events) this.deliver(event);
        this.cursor = body.cursor;
        this.onState("live");
      } catch {
        this.onState("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }
}
