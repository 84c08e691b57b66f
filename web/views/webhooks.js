// Incoming webhooks of the open room, for its owners and admins (from the member panel): make one
// (its secret URL shows once, with Copy and a curl example to try it), see who made each, when it
// was last used and whether it still posts, and delete one.
import { Webhooks } from "/api.js";
import { $, button, el } from "/dom.js";
import { dayLabel, formatTime } from "/format.js";
import { isArchived, on, state } from "/state.js";
import { confirmDialog, showError } from "/views/dialogs.js";
import { copyAndTell } from "/views/toast.js";

/// The room the dialog manages.
let managed = null;

export function initWebhooks() {
  $("webhooks-open").addEventListener("click", openWebhooks);
  $("webhook-form").addEventListener("submit", createWebhook);
  $("webhook-copy").addEventListener("click", copyNewUrl);
  $("webhooks-dialog").addEventListener("close", () => {
    managed = null;
    // The secret is shown once: it does not stay in the page after the dialog.
    forgetNewUrl();
  });
  on("room", ({ changed }) => {
    if (managed !== null && (changed === "opened" || changed === "closed")) $("webhooks-dialog").close();
  });
  // No new webhooks in an archived room (those it has are still listed and deleted).
  on("rooms", () => managed !== null && renderArchived());
}

function renderArchived() {
  $("webhook-form").hidden = isArchived(managed);
  $("webhooks-archived").hidden = !isArchived(managed);
}

async function openWebhooks() {
  managed = state.room?.id ?? null;
  if (managed === null) return;
  showError("webhooks-error", null);
  forgetNewUrl();
  $("webhook-form").reset();
  renderArchived();
  $("webhook-list").replaceChildren(el("li", { className: "muted", text: "Loading…" }));
  $("webhooks-dialog").showModal();
  if (!$("webhook-form").hidden) $("webhook-name").focus();
  await loadWebhooks();
}

function forgetNewUrl() {
  $("webhook-new").hidden = true;
  $("webhook-url").value = "";
  $("webhook-curl").textContent = "";
}

async function loadWebhooks() {
  const id = managed;
  try {
    const { webhooks } = await Webhooks.list(id);
    if (managed !== id) return;
    $("webhook-list").replaceChildren(...(webhooks.length ? webhooks.map(webhookItem) : [el("li", { className: "muted", text: "No webhooks yet." })]));
  } catch (error) {
    showError("webhooks-error", error);
  }
}

const when = (iso) => {
  const date = new Date(iso);
  return `${dayLabel(date)} ${formatTime(date)}`;
};

function webhookItem(webhook) {
  const details = [
    `${webhook.hint}…`,
    `by ${webhook.created_by.display_name}`,
    `made ${when(webhook.created_at)}`,
    webhook.last_used_at ? `last used ${when(webhook.last_used_at)}` : "never used",
  ].join(" · ");
  const remove = button("Delete", {
    className: "secondary small",
    attrs: { "aria-label": `Delete the webhook ${webhook.name}` },
    onClick: async () => {
      const answer = await confirmDialog({
        title: `Delete the webhook “${webhook.name}”?`,
        message: "Whatever posts with its URL gets an error from now on. Its messages stay.",
        confirm: "Delete",
      });
      if (answer === null || managed === null) return;
      remove.disabled = true;
      showError("webhooks-error", null);
      try {
        await Webhooks.remove(managed, webhook.id);
        await loadWebhooks();
        if (!$("webhook-form").hidden) $("webhook-name").focus();
      } catch (error) {
        showError("webhooks-error", error);
        remove.disabled = false;
      }
    },
  });
  const text = el(
    "span",
    { className: "person" },
    el("span", { className: "name", text: webhook.name }),
    el("span", { className: "muted entry-details", text: details }),
    webhook.active ? null : el("span", { className: "webhook-inactive entry-details", text: "Not posting: its maker is no longer an admin." }),
  );
  return el("li", { className: "entry", dataset: { webhookId: webhook.id } }, text, remove);
}

async function createWebhook(event) {
  event.preventDefault();
  showError("webhooks-error", null);
  $("webhook-create").disabled = true;
  try {
    const { webhook } = await Webhooks.create(managed, $("webhook-name").value.trim());
    const url = new URL(webhook.url, location.origin).href;
    $("webhook-url").value = url;
    $("webhook-curl").textContent = `curl -X POST -H 'Content-Type: application/json' -d '{"text":"Hello"}' ${url}`;
    $("webhook-new").hidden = false;
    $("webhook-form").reset();
    $("webhook-url").focus();
    $("webhook-url").select();
    await loadWebhooks();
  } catch (error) {
    showError("webhooks-error", error, error.code === "invalid_name" ? ["webhook-name"] : []);
  } finally {
    $("webhook-create").disabled = false;
  }
}

function copyNewUrl() {
  $("webhook-url").select();
  return copyAndTell($("webhook-url").value, "URL");
}
