// Short messages at the bottom of the screen (errors of background actions), read out politely.
import { el } from "/dom.js";

let container = null;

export function toast(message, { kind = "error", ms = 5000 } = {}) {
  if (!container) {
    container = el("div", { className: "toasts", attrs: { role: "status", "aria-live": "polite" } });
    document.body.append(container);
  }
  const node = el("div", { className: `toast ${kind}`, text: message });
  container.append(node);
  setTimeout(() => node.remove(), ms);
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
