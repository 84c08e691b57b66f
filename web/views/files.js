// A room's files: a dialog listing what was shared in the open room, newest first, by kind
// (pictures, audio and video, other files) and by name, with more on demand. Each entry downloads
// its file, shows a picture whole, or opens the message that shared it. Files shared while it is
// open join the list; those whose message is deleted leave it.
import { Files } from "/api.js";
import { $, button, el } from "/dom.js";
import { authorName, dayLabel, formatSize, formatTime, roomName } from "/format.js";
import { icon } from "/icons.js";
import { on, state } from "/state.js";
import { showError } from "/views/dialogs.js";
import { isPicture, openViewer } from "/views/viewer.js";

const PAGE = 30;
let navigate = () => {};
/// The list shown: its room, the messages so far (newest first) and whether more lie beyond them.
let current = null;
/// Counts loads, so an answer to an older one is dropped.
let generation = 0;
let timer = null;

export function initFiles({ onNavigate }) {
  navigate = onNavigate;
  $("files-open").append(icon("folder"));
  $("files-open").addEventListener("click", openFiles);
  $("files-form").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  $("files-name").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  });
  $("files-kind").addEventListener("change", () => load());
  $("files-more").addEventListener("click", () => load({ more: true }));
  $("files-dialog").addEventListener("close", () => {
    clearTimeout(timer);
    generation += 1;
    current = null;
  });
  on("roomMessage", ({ type, message }) => {
    if (!$("files-dialog").open || !current || message.room_id !== current.roomId) return;
    if (type === "message.created" && message.file) {
      // A file shared in the room since: the list starts over with it.
      clearTimeout(timer);
      timer = setTimeout(load, 300);
    } else if (type === "message.deleted" && current.messages.some((m) => m.id === message.id)) {
      // A deleted message took its file: it leaves the list.
      current = { ...current, messages: current.messages.filter((m) => m.id !== message.id) };
      render();
    }
  });
  on("room", () => {
    // The dialog is about the room that was open: it goes when that room does.
    if ($("files-dialog").open && (!state.room || state.room.closed || state.room.id !== current?.roomId)) $("files-dialog").close();
  });
}

export function openFiles() {
  if (!state.room || state.room.closed) return;
  const room = state.rooms.get(state.room.id);
  $("files-dialog-title").textContent = `Files in ${room?.kind === "dm" ? "this conversation" : roomName(room)}`;
  current = { roomId: state.room.id, messages: [], hasMore: false, loaded: false };
  render();
  $("files-dialog").showModal();
  load();
}

async function load({ more = false } = {}) {
  clearTimeout(timer);
  if (!current) return;
  const mine = ++generation;
  const roomId = current.roomId;
  showError("files-error", null);
  const name = $("files-name").value.trim();
  const kind = $("files-kind").value || undefined;
  const before = more ? current.messages.at(-1)?.id : undefined;
  $("files-list").setAttribute("aria-busy", "true");
  try {
    const page = await Files.list(roomId, { kind, name: name || undefined, before, limit: PAGE });
    if (mine !== generation) return;
    current = { roomId, messages: more ? [...current.messages, ...page.messages] : page.messages, hasMore: page.has_more, loaded: true };
    render();
  } catch (error) {
    if (mine === generation) showError("files-error", error);
  } finally {
    if (mine === generation) $("files-list").removeAttribute("aria-busy");
  }
}

function render() {
  if (!current) return;
  const messages = current.messages;
  $("files-more").hidden = !current.hasMore;
  const filtered = $("files-name").value.trim() || $("files-kind").value;
  $("files-status").textContent = !current.loaded
    ? "Loading…"
    : messages.length === 0
      ? filtered ? "No files match." : "No files have been shared here yet."
      : `${messages.length}${current.hasMore ? "+" : ""} ${messages.length === 1 ? "file" : "files"}.`;
  $("files-list").replaceChildren(...messages.map(entryNode));
}

function entryNode(message) {
  const file = message.file;
  const created = new Date(message.created_at);
  const picture = isPicture(file);
  const media = /^(audio|video)\//.test(file.content_type);
  const preview = picture
    ? button("", {
        className: "file-preview",
        attrs: { "aria-label": `Show ${file.name}` },
        icon: el("img", { attrs: { src: file.thumbnail_url ?? file.url, alt: "", loading: "lazy" } }),
        onClick: () => openViewer(file),
      })
    : el("span", { className: "file-preview", attrs: { "aria-hidden": "true" } }, icon(media ? "play" : "file"));
  return el(
    "li",
    { className: "file-entry", dataset: { message: message.id, file: file.id } },
    preview,
    el(
      "div",
      { className: "file-about" },
      el("a", { className: "file-name", text: file.name, attrs: { href: file.url, download: file.name, title: `Download ${file.name}` } }),
      el("span", { className: "muted", text: `${formatSize(file.size)} · ${authorName(message)} · ${dayLabel(created)} ${formatTime(created)}` }),
    ),
    button("Show in chat", {
      className: "secondary small",
      attrs: { "aria-label": `Show the message that shared ${file.name}` },
      onClick: () => {
        $("files-dialog").close();
        navigate(message.room_id, { message: message.id });
      },
    }),
  );
}
