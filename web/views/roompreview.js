// A public room's preview in the Browse dialog: its newest messages (what the server shows a
// non-member: at most 20, oldest at the top), read before joining, with the Join button beside
// them. A room with a password shows nothing until joined with it; a room I am banned from shows
// why, and no Join.
import { Messages } from "/api.js";
import { $, authorAvatar, button, el } from "/dom.js";
import { formatFull, formatTime } from "/format.js";
import { myMarks } from "/state.js";
import { pollNode } from "/views/polls.js";
import { forwardedNode, messageText } from "/views/timeline.js";

let shown = null;

/// Shows `room`'s preview in place of the directory; `onJoin(room)` joins it, `onBack()` goes back.
export async function showRoomPreview(room, { onJoin, onBack }) {
  shown = room.id;
  $("browse-directory").hidden = true;
  $("browse-preview").hidden = false;
  $("browse-preview-title").textContent = `#${room.name}`;
  $("browse-preview-topic").textContent = [room.topic, `${room.member_count} ${room.member_count === 1 ? "member" : "members"}`]
    .filter(Boolean)
    .join(" · ");
  $("browse-preview-actions").replaceChildren(
    button("← All rooms", { className: "secondary small", onClick: onBack, attrs: { id: "browse-back" } }),
    button(room.has_password ? "Join…" : "Join", {
      className: "primary small", attrs: { id: "browse-preview-join", "aria-label": `Join ${room.name}` }, onClick: () => onJoin(room),
    }),
  );
  const list = $("browse-preview-list");
  list.replaceChildren(el("li", { className: "muted", text: "Loading…" }));
  $("browse-preview-join").focus();
  let page;
  try {
    page = await Messages.page(room.id, { limit: 20 });
  } catch (error) {
    if (shown !== room.id) return;
    const text = error.code === "password_required" ? "This room has a password: join it to read it." : error.message ?? String(error);
    list.replaceChildren(el("li", { className: error.code === "password_required" ? "muted" : "error", text }));
    // A banned user cannot join (the server refuses it the same way): no Join to offer.
    if (error.code === "banned") {
      const focused = document.activeElement === $("browse-preview-join");
      $("browse-preview-join").remove();
      if (focused) $("browse-back").focus();
    }
    return;
  }
  if (shown !== room.id) return;
  if (page.messages.length === 0) {
    list.replaceChildren(el("li", { className: "muted", text: "No messages yet: say the first one." }));
    return;
  }
  list.replaceChildren(...page.messages.toReversed().map(previewMessage));
  list.scrollTop = list.scrollHeight;
}

/// Back to the directory (the dialog is also left this way whenever it opens again).
export function hideRoomPreview() {
  shown = null;
  $("browse-preview").hidden = true;
  $("browse-directory").hidden = false;
}

/// One message, read-only: who, when, what (a file by its name: only members fetch files).
function previewMessage(m) {
  const created = new Date(m.created_at);
  const meta = el(
    "div",
    { className: "meta" },
    el("span", { className: "author", text: m.webhook?.name ?? m.sender.display_name }),
    el("time", { className: "time", text: formatTime(created), attrs: { datetime: m.created_at, title: formatFull(created) } }),
  );
  const body = el("div", { className: "body" }, meta);
  if (m.deleted) body.append(el("p", { className: "text deleted-text", text: "This message was deleted." }));
  else {
    if (m.text) body.append(messageText(m, myMarks({ keywords: false })));
    if (m.file) body.append(el("p", { className: "text muted", text: `📎 ${m.file.name}` }));
    if (m.poll) body.append(pollNode(m));
    if (m.forwarded) body.append(forwardedNode(m.forwarded));
  }
  return el("li", { className: "thread-message", dataset: { id: m.id } }, authorAvatar(m, "avatar small"), body);
}
