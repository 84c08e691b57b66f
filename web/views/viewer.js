// The picture viewer: a picture of the timeline opened whole, over the page, with the room's other
// pictures a key away (← and →), its name, and a download link.
import { $ } from "/dom.js";
import { icon } from "/icons.js";
import { state } from "/state.js";

/// Images a browser shows (the server serves them `inline`).
export const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"]);

/// Whether a shared file shows as a picture: a type the browser shows, or one the server made a
/// thumbnail of (whatever type it was declared with).
export const isPicture = (file) => Boolean(file.thumbnail_url) || IMAGE_TYPES.has(file.content_type);

let pictures = [];
let index = 0;

export function initViewer() {
  $("viewer-previous").append(icon("down"));
  $("viewer-next").append(icon("down"));
  $("viewer-close").append(icon("x"));
  $("viewer-previous").addEventListener("click", () => move(-1));
  $("viewer-next").addEventListener("click", () => move(1));
  $("viewer-dialog").addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") move(-1);
    else if (event.key === "ArrowRight") move(1);
    else return;
    event.preventDefault();
  });
  // Nothing stays loaded behind a closed viewer.
  $("viewer-dialog").addEventListener("close", () => $("viewer-image").removeAttribute("src"));
}

/// Opens `file` whole; the loaded pictures of the open room, oldest first, are its neighbours.
export function openViewer(file) {
  const messages = [...(state.room?.messages.values() ?? [])].filter((m) => !m.deleted && m.file && isPicture(m.file));
  pictures = messages.sort((a, b) => a.id - b.id).map((m) => m.file);
  index = pictures.findIndex((f) => f.id === file.id);
  if (index < 0) {
    pictures = [file];
    index = 0;
  }
  show();
  $("viewer-dialog").showModal();
  $("viewer-close").focus();
}

function move(step) {
  const next = index + step;
  if (next < 0 || next >= pictures.length) return;
  index = next;
  show();
}

function show() {
  const file = pictures[index];
  const image = $("viewer-image");
  image.src = file.url;
  image.alt = file.name;
  $("viewer-name").textContent = file.name;
  $("viewer-position").textContent = pictures.length > 1 ? `${index + 1} of ${pictures.length}` : "";
  $("viewer-download").href = file.url;
  $("viewer-download").download = file.name;
  $("viewer-previous").disabled = index === 0;
  $("viewer-next").disabled = index === pictures.length - 1;
  // One picture has nowhere to go: the arrows give their room to it (a phone showed it smaller).
  image.parentElement.classList.toggle("single", pictures.length === 1);
}
