// Drafts: every message I started and did not send, in a room's box or a thread's, as Slack's
// "Drafts" and Zulip's drafts list them (kept on the server, so on all my devices: composer.js and
// threaddrafts.js). The sidebar says how many and marks their rooms; each entry opens where it was
// left (the room, or the thread beside it), or is thrown away.
import { $, button, el, messageEntry } from "/dom.js";
import { roomLabel, truncate } from "/format.js";
import { allDrafts, on, state } from "/state.js";
import { discardRoomDraft } from "/views/composer.js";
import { discardThreadDraft } from "/views/threaddrafts.js";
import { openThreadAt } from "/views/threads.js";

let navigate = () => {};

export function initDrafts({ onNavigate }) {
  navigate = onNavigate;
  $("drafts-open").addEventListener("click", openDrafts);
  on("drafts", render);
  on("rooms", render);
}

export function openDrafts() {
  $("drafts-dialog").showModal();
  render();
}

/// Drafts of rooms I am still in, by room (a room's own box before its threads').
function shown() {
  const rooms = state.rooms;
  return allDrafts()
    .filter((draft) => rooms.has(draft.roomId))
    .sort((a, b) => roomLabel(rooms.get(a.roomId)).localeCompare(roomLabel(rooms.get(b.roomId))) || (a.rootId ?? 0) - (b.rootId ?? 0));
}

function render() {
  const drafts = shown();
  $("drafts-open").hidden = drafts.length === 0;
  $("drafts-open").textContent = `Drafts (${drafts.length})`;
  if (!$("drafts-dialog").open) return;
  $("drafts-status").textContent = drafts.length === 0 ? "No drafts. What you leave unsent in a message box waits here." : "";
  $("drafts-list").replaceChildren(...drafts.map(entryNode));
}

function entryNode(draft) {
  const where = roomLabel(state.rooms.get(draft.roomId));
  const inThread = draft.rootId !== null;
  return messageEntry({
    className: "search-result draft-entry",
    dataset: { room: draft.roomId, thread: draft.rootId ?? "" },
    meta: [el("strong", { text: where }), inThread ? el("span", { className: "muted", text: "· in a thread" }) : null].filter(Boolean),
    body: el("span", { className: "search-text", text: truncate(draft.text.trim(), 300) }),
    onOpen: () => {
      $("drafts-dialog").close();
      if (inThread) {
        openThreadAt({ id: draft.rootId, room_id: draft.roomId });
      } else {
        navigate(draft.roomId);
        $("composer-text").focus();
      }
    },
    extra: [
      button("Delete", {
        className: "secondary small",
        attrs: { "aria-label": `Delete the draft in ${where}${inThread ? "'s thread" : ""}` },
        onClick: () => (inThread ? discardThreadDraft(draft.roomId, draft.rootId) : discardRoomDraft(draft.roomId)),
      }),
    ],
  });
}
