// A list of messages that is one tab stop (a roving tabindex, as WAI-ARIA's feed pattern): the
// room's message list and the thread panel's messages. The item last focused, else the newest
// message, takes Tab; every control inside the items is out of the tab order. ↑/↓ move between the
// items and Home/End go to the first and last; Enter or Tab on a message goes into its controls (Tab
// and Shift+Tab go through them), Escape goes back to the message, and Tab past its last control
// leaves the list. Each item's `li` carries its `data-key`, which outlives the item's rebuilds.

const CONTROLS = "a[href], button, input, select, textarea, audio[controls], video[controls], summary, [tabindex]";

/// The controls of an item that can take the focus now, in order.
function controlsOf(item) {
  return [...item.querySelectorAll(CONTROLS)].filter((node) => !node.disabled && node.checkVisibility({ visibilityProperty: true }) && !node.closest("[inert]"));
}

const keyOf = (item) => item.closest("li").dataset.key;

/// One list's roving tabindex: `items` is what ↑/↓ move between, `messages` those of them that hold
/// controls (Enter or Tab goes into them), `keep` the controls of the list that stay tab stops
/// ("Load more"), `arrowsSkip` where ↑/↓ are left alone (a toolbar).
export class RovingList {
  #list;
  #items;
  #messages;
  #keep;
  #arrowsSkip;
  /// The key of the item that takes Tab (null: the newest message).
  #activeKey = null;

  constructor(list, { items, messages, keep = null, arrowsSkip = null }) {
    this.#list = list;
    this.#items = items;
    this.#messages = messages;
    this.#keep = keep;
    this.#arrowsSkip = arrowsSkip;
    list.addEventListener("keydown", (event) => this.#moveFocus(event));
    list.addEventListener("keydown", (event) => this.#tabWithin(event));
    list.addEventListener("focusin", (event) => {
      const item = this.itemOf(event.target);
      if (item && keyOf(item) !== this.#activeKey) {
        this.#activeKey = keyOf(item);
        this.rove();
      }
    });
  }

  /// The item a node is, or is in (null outside the items).
  itemOf(node) {
    return node.closest?.(this.#messages) ?? (node.matches?.(this.#items) ? node : null);
  }

  /// Forgets the item last focused (another room or thread): the newest message takes Tab.
  reset() {
    this.#activeKey = null;
  }

  /// Makes the active item the list's one tab stop; run after the items change.
  rove() {
    const list = this.#list;
    const items = [...list.querySelectorAll(this.#items)];
    const active = items.find((item) => keyOf(item) === this.#activeKey) ?? [...list.querySelectorAll(this.#messages)].at(-1) ?? items.at(-1);
    // Empty, the list itself takes Tab (to scroll it); with messages, the active one does.
    list.tabIndex = active ? -1 : 0;
    for (const item of items) item.tabIndex = item === active ? 0 : -1;
    for (const node of list.querySelectorAll(CONTROLS)) {
      if (!node.matches(this.#items) && !(this.#keep && node.closest(this.#keep)) && node.tabIndex !== -1) node.tabIndex = -1;
    }
  }

  /// Where the focus is in the list (its item's key, and the control in it by its `data-action` or
  /// poll option), for `refocus` to put it back once the items are rebuilt; null when it is elsewhere.
  focusSpot() {
    const focused = document.activeElement;
    if (!this.#list.contains(focused)) return null;
    const key = focused.closest("li[data-key]")?.dataset.key;
    if (!key) return null;
    const selector = focused.dataset?.action ? `[data-action="${focused.dataset.action}"]`
      : focused.dataset?.option !== undefined ? `.poll-choice[data-option="${focused.dataset.option}"]` : null;
    return { key, selector };
  }

  /// Puts the focus back where `focusSpot` found it (the same control of the rebuilt item, else the
  /// item), unless the focus is still in the list.
  refocus(spot) {
    if (!spot || this.#list.contains(document.activeElement)) return;
    const node = this.#list.querySelector(`li[data-key="${CSS.escape(spot.key)}"]`);
    if (!node) return;
    const item = node.matches(this.#items) ? node : node.querySelector(this.#items);
    ((spot.selector && node.querySelector(spot.selector)) ?? item ?? node).focus({ preventScroll: true });
  }

  #tabWithin(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const item = event.target.closest?.(this.#messages);
    if (!item || event.defaultPrevented) return;
    const onItem = event.target === item;
    if (event.key === "Escape" && !event.shiftKey && !onItem) {
      // (Handled: whatever closes on Escape further up, a thread, stays open.)
      event.preventDefault();
      item.focus({ preventScroll: true });
      return;
    }
    const into = onItem && (event.key === "Enter" || (event.key === "Tab" && !event.shiftKey));
    if (!into && (event.key !== "Tab" || onItem)) return;
    const controls = controlsOf(item);
    if (into) {
      if (controls.length === 0) return;
      event.preventDefault();
      controls[0].focus();
      return;
    }
    const index = controls.indexOf(event.target);
    const next = event.shiftKey ? (index <= 0 ? item : controls[index - 1]) : controls[index + 1];
    // Past the last control, the browser's own Tab leaves the list (nothing else in it is a tab stop).
    if (!next) return;
    event.preventDefault();
    next.focus();
  }

  #moveFocus(event) {
    if (!["ArrowUp", "ArrowDown", "Home", "End"].includes(event.key) || event.altKey) return;
    if (this.#arrowsSkip && event.target.closest(this.#arrowsSkip)) return;
    const items = [...this.#list.querySelectorAll(this.#items)];
    if (items.length === 0) return;
    let index = items.indexOf(this.itemOf(event.target));
    if (event.key === "Home") index = 0;
    else if (event.key === "End") index = items.length - 1;
    else if (index === -1) index = items.length - 1;
    else index = Math.max(0, Math.min(items.length - 1, index + (event.key === "ArrowDown" ? 1 : -1)));
    event.preventDefault();
    items[index].focus();
    items[index].scrollIntoView({ block: "nearest" });
  }
}
