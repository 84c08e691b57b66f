// Browser notifications and a short tone for DMs and mentions when I am not looking at the room.
import { authorName, roomName, truncate } from "/format.js";
import { preview } from "/markup.js";
import { notificationsPaused, state } from "/state.js";
import { toast } from "/views/toast.js";

export function askPermissionOnFirstClick() {
  if (!("Notification" in window) || Notification.permission !== "default") return;
  document.addEventListener("click", () => Notification.requestPermission().catch(() => {}), { once: true });
}

/// Whether my level for a room lets this notification through. The server filters by level too;
/// this also holds back notifications already on their way when the level changed.
function wanted(room, notification) {
  // A reminder was asked for: it comes whatever the room's level.
  if (notification.reason === "reminder") return true;
  const level = room?.notify_level;
  if (level === "none") return false;
  if (level === "mentions") return notification.reason !== "all" && notification.reason !== "dm";
  return true;
}

export function notify(notification) {
  // A reminder also shows in the page (the browser may not show notifications).
  if (notification.reason === "reminder") {
    toast(`Reminder: ${authorName(notification.message)}: ${truncate(preview(notification.message), 120)}`, { kind: "info", ms: 15_000 });
  }
  // Do not disturb: nothing alerts (the activity list and the badges still show it).
  if (notificationsPaused()) return;
  if (!document.hidden && notification.room_id === state.room?.id) return;
  const room = state.rooms.get(notification.room_id);
  if (!wanted(room, notification)) return;
  // (The server sends none for them; one already on its way when I blocked them stays quiet too.)
  if (state.blocked.has(notification.message.sender.id)) return;
  const message = notification.message;
  if ("Notification" in window && Notification.permission === "granted") {
    const shown = new Notification(room ? roomName(room) : "Parley", {
      body: `${authorName(message)}: ${preview(message)}`,
      tag: `parley-${notification.room_id}`,
      // The sender's picture, when they have one (same origin, so the session cookie goes with it);
      // not on a webhook's message, which its maker did not write.
      ...(message.sender.avatar_url && !message.webhook ? { icon: message.sender.avatar_url } : {}),
    });
    shown.onclick = () => {
      window.focus();
      // Straight to the message that notified.
      location.hash = `room/${notification.room_id}/message/${message.id}`;
    };
  }
  tone();
}

let audio = null;
function tone() {
  try {
    audio ??= new AudioContext();
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.15);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.15);
  } catch {
    // No audio: the badge and the title still tell.
  }
}
