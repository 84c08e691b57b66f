// Short messages near the bottom of the screen, above the message box (errors of background
// actions), read out politely.
import { el } from "/dom.js";

let container = null;

/// Makes the (empty) live region up front: one added with its first toast is not read out.
export function initToasts() {
  if (container) return;
  container = el("div", { className: "toasts", attrs: { role: "status", "aria-live": "polite" } });
  home();
  // Kept above the message box as it grows (a reply, the scheduled bar) and as the window changes.
  const composer = document.getElementById("composer");
  if (composer) new ResizeObserver(place).observe(composer);
  addEventListener("resize", place);
  // A modal dialog makes the rest of the page inert and covers it: the toasts move into the top one
  // while one is open (and back to the page after).
  new MutationObserver(home).observe(document.body, { subtree: true, attributeFilter: ["open"] });
}

export function toast(message, { kind = "error", ms = 5000 } = {}) {
  initToasts();
  home();
  const node = el("div", { className: `toast ${kind}`, text: message });
  container.append(node);
  place();
  setTimeout(() => node.remove(), ms);
}

/// The open modal dialogs, in the order they opened (the last is on top).
let modals = [];

/// Puts the toasts in the top-most open modal dialog, else in the body.
function home() {
  const open = [...document.querySelectorAll("dialog[open]")].filter((dialog) => dialog.matches(":modal"));
  modals = [...modals.filter((dialog) => open.includes(dialog)), ...open.filter((dialog) => !modals.includes(dialog))];
  const host = modals.at(-1) ?? document.body;
  if (container.parentNode === host) return;
  host.append(container);
  place();
}

/// Puts the toasts just above the message box where one shows, so that they never cover its
/// controls (a phone has no other room for them); otherwise at the bottom of the window.
function place() {
  const composer = document.getElementById("composer");
  // (Over a dialog, the bottom of the window: the box is behind it, and the dialog is in the middle.)
  const top = composer?.offsetParent && container.parentNode === document.body ? composer.getBoundingClientRect().top : innerHeight;
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
