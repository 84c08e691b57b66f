// A very long message folded to its first lines behind "Show more" (as Slack does), so that one
// message does not fill the screen: in the room's list and in the thread panel. The reader's choice
// outlives the message's rebuilds.
import { button } from "/dom.js";

const FOLD_CHARS = 1200;
const FOLD_LINES = 25;

/// Whether a message is long enough to be folded (it still shows whole if it fits once laid out).
export const foldable = (m) => (m.text?.length ?? 0) > FOLD_CHARS || (m.text?.split("\n").length ?? 0) > FOLD_LINES;

/// The folded messages of one list, and which of them the reader shows whole.
export class Folds {
  /// Ids of the long messages shown whole.
  #unfolded = new Set();
  #idPrefix;

  /// `idPrefix` names the texts' ids (a message may show in the room and in its thread at once).
  constructor(idPrefix) {
    this.#idPrefix = idPrefix;
  }

  /// Every long message folded again (another room or thread).
  clear() {
    this.#unfolded.clear();
  }

  /// The "Show more"/"Show less" button of a long message's `text` node in `item`, or null when
  /// the message is short.
  toggle(m, text, item) {
    if (!foldable(m)) return null;
    text.id = `${this.#idPrefix}-${m.id}`;
    const show = (whole) => {
      text.classList.toggle("folded", !whole);
      toggle.textContent = whole ? "Show less" : "Show more";
      toggle.setAttribute("aria-expanded", String(whole));
    };
    const toggle = button("", {
      className: "link small fold-toggle",
      attrs: { "aria-controls": text.id, "data-action": "fold" },
      onClick: () => {
        const whole = !this.#unfolded.has(m.id);
        if (whole) this.#unfolded.add(m.id);
        else this.#unfolded.delete(m.id);
        show(whole);
        if (!whole) item.scrollIntoView({ block: "nearest" });
      },
    });
    show(this.#unfolded.has(m.id));
    return toggle;
  }

  /// A folded text in `container` that fits anyway (a wide window) is shown whole, without the button.
  unfoldWhatFits(container) {
    for (const text of container.querySelectorAll(".text.folded")) {
      if (text.clientHeight === 0 || text.scrollHeight > text.clientHeight + 1) continue;
      text.classList.remove("folded");
      text.parentNode.querySelector(".fold-toggle")?.remove();
    }
  }
}
