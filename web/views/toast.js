// Short messages near the bottom of the screen, above the message box (errors of background
// actions), read out politely.
import { el } from "/dom.js";

let container = null;

export function toast(message, { kind = "error", ms = 5000 } = {}) {
  if (!container) {
    container = el("div", { className: "toasts", attrs: { role: "status", "aria-live": "polite" } });
    document.body.append(container);
    // Kept above the message box as it grows (a reply, the scheduled bar) and as the window changes.
    const composer = document.getElementById("composer");
    if (composer) new ResizeObserver(place).observe(composer);
    addEventListener("resize", place);
  }
  const node = el("div", { className: `toast ${kind}`, text: message });
  container.append(node);
  place();
  setTimeout(() => node.remove(), ms);
}

/// Puts the toasts just above the message box where one shows, so that they never cover its
/// controls (a phone has no other room for them); otherwise at the bottom of the window.
function place() {
  const composer = document.getElementById("composer");
  const top = composer?.offsetParent ? composer.getBoundingClientRect().top : innerHeight;
  container.style.bottom = `${Math.max(16, innerHeight - top + 8)}px`;
}

/// Puts `text` on the clipboard and says so (`what` was copied: a link unless told); where the
/// browser refuses, shows it to copy by hand.
export async function copyAndTell(text, what = "link") {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what[0].toUpperCase()}${what.slice(1)} copied.`, { kind: "info", ms: 2500 });
  } catch {
    toast(`Copy this ${what}: ${text}`, { kind: "info", ms: 15000 });
  }
}

/// For promise chains: `.catch(toastError)`.
export const toastError = (error) => toast(error?.message ?? String(error));
