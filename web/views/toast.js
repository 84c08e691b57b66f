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

/// For promise chains: `.catch(toastError)`.
export const toastError = (error) => toast(error?.message ?? String(error));
