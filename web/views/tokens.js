// "Access tokens" in the settings: personal access tokens for scripts and bots that use the API as
// me (`Authorization: Bearer …`). Listed with when each was made, last used and expires, each with
// Revoke; a new one takes a name, an expiry and my password, and is shown once, with Copy and a
// curl line to try it.
import { Me } from "/api.js";
import { $, button, el } from "/dom.js";
import { formatFull } from "/format.js";
import { confirmDialog, showError } from "/views/dialogs.js";
import { copyAndTell } from "/views/toast.js";

export function initTokens() {
  $("token-form").addEventListener("submit", makeToken);
  $("token-copy").addEventListener("click", () => copyAndTell($("token-value").textContent, "token"));
}

/// As the settings open: the list afresh, the form empty, no token shown.
export function openTokens() {
  $("token-form").reset();
  $("token-made").hidden = true;
  $("token-value").textContent = "";
  showError("token-error", null);
  loadTokens();
}

async function loadTokens() {
  $("token-list").replaceChildren(el("li", { className: "muted", text: "Loading…" }));
  try {
    const { access_tokens: tokens } = await Me.accessTokens();
    $("token-list").replaceChildren(...(tokens.length ? tokens.map(tokenItem) : [el("li", { className: "muted", text: "No access tokens." })]));
  } catch (error) {
    $("token-list").replaceChildren();
    showError("token-error", error);
  }
}

function tokenItem(token) {
  const details = [
    `made ${formatFull(new Date(token.created_at))}`,
    token.last_used_at ? `last used ${formatFull(new Date(token.last_used_at))}` : "never used",
    token.expires_at ? `expires ${formatFull(new Date(token.expires_at))}` : "never expires",
  ].join(" · ");
  const revoke = button("Revoke", {
    className: "secondary small",
    attrs: { "aria-label": `Revoke ${token.name}` },
    onClick: async () => {
      const sure = await confirmDialog({
        title: `Revoke ${token.name}?`, message: "Whatever uses it is refused from now on.", confirm: "Revoke",
      });
      if (sure === null) return;
      revoke.disabled = true;
      try {
        await Me.revokeAccessToken(token.id);
        await loadTokens();
        ($("token-list").querySelector("button") ?? $("token-name")).focus();
      } catch (error) {
        revoke.disabled = false;
        showError("token-error", error);
      }
    },
  });
  return el(
    "li",
    { className: "entry", dataset: { tokenId: token.id } },
    el("span", { className: "person" }, el("span", { className: "name", text: token.name }), el("span", { className: "muted entry-details", text: details })),
    revoke,
  );
}

async function makeToken(event) {
  event.preventDefault();
  showError("token-error", null);
  const name = $("token-name").value.trim();
  if (!name) {
    showError("token-error", new Error("Give the token a name, say what will use it."), ["token-name"]);
    $("token-name").focus();
    return;
  }
  const days = $("token-expiry").value ? Number($("token-expiry").value) : null;
  $("token-create").disabled = true;
  try {
    const made = await Me.createAccessToken({ name, password: $("token-password").value, expires_in_days: days });
    $("token-form").reset();
    $("token-made-name").textContent = made.access_token.name;
    $("token-value").textContent = made.token;
    $("token-curl").textContent = `curl -H 'Authorization: Bearer ${made.token}' ${location.origin}/api/session`;
    $("token-made").hidden = false;
    $("token-copy").focus();
    await loadTokens();
  } catch (error) {
    const field = { wrong_password: "token-password", invalid_token_name: "token-name", invalid_token_expiry: "token-expiry" }[error.code];
    showError("token-error", error.code === "wrong_password" ? new Error("That is not your password.") : error, field ? [field] : []);
    (error.code === "wrong_password" ? $("token-password") : $("token-name")).focus();
  } finally {
    $("token-create").disabled = false;
  }
}
