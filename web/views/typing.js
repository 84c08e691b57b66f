// "… is typing" under the room's messages, and under the open thread's replies for those typing
// in that thread.
import { $ } from "/dom.js";
import { on, state } from "/state.js";

/// The line for those typing in `thread` (null: the room itself).
function line(thread) {
  const names =
    state.room && !state.room.closed
      ? [...state.room.typing].filter(([userId, entry]) => entry.thread === thread && !state.blocked.has(userId)).map(([, entry]) => entry.name)
      : [];
  return names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length <= 3 ? `${names.join(", ")} are typing…` : "Several people are typing…";
}

export function initTyping() {
  // Only a change is written: the lines are polite live regions, and the same words written again
  // with each renewal (every few seconds while someone types) were read out again (a hunt).
  const show = (id, text) => {
    if ($(id).textContent !== text) $(id).textContent = text;
  };
  const render = () => {
    show("typing", line(null));
    show("thread-typing", state.thread ? line(state.thread.rootId) : "");
  };
  on("typing", render);
  on("blocks", render);
  on("room", render);
  on("thread", render);
}
