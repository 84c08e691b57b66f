// Link previews: the server fetches the pages a message links to (after it is posted, or edited
// with other links) and sends what they say about themselves in `message.previews`; each shows as
// a card under the message. Titles and descriptions come from arbitrary pages: text only.
import { el } from "/dom.js";

/// The cards for a message's previews, in the order its links appear, or null when it has none.
export function previewsNode(m) {
  if (m.deleted || !m.previews?.length) return null;
  return el("div", { className: "link-previews" }, ...m.previews.map(previewCard));
}

function previewCard(preview) {
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
  );
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
