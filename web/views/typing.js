// "… is typing" under the messages.
import { $ } from "/dom.js";
import { on, state } from "/state.js";

export function initTyping() {
  const render = () => {
    const names =
      state.room && !state.room.closed ? [...state.room.typing].filter(([userId]) => !state.blocked.has(userId)).map(([, entry]) => entry.name) : [];
    $("typing").textContent =
      names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length <= 3 ? `${names.join(", ")} are typing…` : "Several people are typing…";
  };
  on("typing", render);
  on("blocks", render);
  on("room", render);
}
