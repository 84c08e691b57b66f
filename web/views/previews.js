// Link previews: the server fetches the pages a message links to (after it is posted, or edited
// with other links) and sends what they say about themselves in `message.previews`; each shows as
// a card under the message. Titles and descriptions come from arbitrary pages: text only.
import * as actions from "/actions.js";
import { button, el } from "/dom.js";
import { icon } from "/icons.js";
import { canModerate, on, state } from "/state.js";
import { toastError } from "/views/toast.js";

/// Previews show unless I turned them off (my setting, followed by every view at once).
export function initPreviews() {
  on("linkPreviews", () => document.body.classList.toggle("hide-link-previews", !state.showLinkPreviews));
}

/// The cards for a message's previews, in the order its links appear, or null when it has none.
/// Its sender and the room's moderators may take them away (each card has the button).
export function previewsNode(m) {
  if (m.deleted || !m.previews?.length) return null;
  const removable = m.sender.id === state.me?.id || canModerate(m.room_id);
  return el("div", { className: "link-previews" }, ...m.previews.map((preview) => previewCard(preview, removable ? m : null)));
}

function previewCard(preview, removableFrom) {
  const href = webAddress(preview.url);
  const title = preview.title || preview.url;
  return el(
    "div",
    { className: "link-preview" },
    preview.site_name ? el("p", { className: "link-preview-site", text: preview.site_name }) : null,
    href
      ? el("a", { className: "link-preview-title", text: title, attrs: { href, target: "_blank", rel: "noopener noreferrer" } })
      : el("span", { className: "link-preview-title", text: title }),
    preview.description ? el("p", { className: "link-preview-description", text: preview.description }) : null,
    pictureNode(preview, href),
    removableFrom
      ? button(null, {
        className: "icon-button link-preview-remove", icon: icon("x"), title: "Remove the previews",
        attrs: { "aria-label": "Remove the previews" },
        onClick: () => actions.removePreviews(removableFrom).catch(toastError),
      })
      : null,
  );
}

/// The page's picture, as Parley serves it (never from the linked site), sized before it loads; a
/// click opens the page.
function pictureNode(preview, href) {
  if (!preview.image_url?.startsWith("/api/previews/images/")) return null;
  const width = preview.image_width || 1;
  const height = preview.image_height || 1;
  const img = el("img", {
    className: "link-preview-image",
    attrs: { src: preview.image_url, alt: "", loading: "lazy", width: String(width), height: String(height) },
  });
  img.style.aspectRatio = `${width} / ${height}`;
  return href ? el("a", { className: "link-preview-picture", attrs: { href, target: "_blank", rel: "noopener noreferrer", tabindex: "-1" } }, img) : img;
}

/// `url` as the message wrote it, if it is an http or https address (anything else is no link).
function webAddress(url) {
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}
