// Password reset links (`#reset/<code>`, made by a site admin): shows whose password the link sets
// and sets a new one. Works logged out (the usual case) and logged in.
import { PasswordResets } from "/api.js";
import { $ } from "/dom.js";
import { showError } from "/views/dialogs.js";

let code = null;
let account = null;
let done = () => {};

/// `onDone(username)` runs after the password is set (to log in with it).
export function initReset({ onDone }) {
  done = onDone;
  $("reset-form").addEventListener("submit", submit);
  $("reset-dialog").addEventListener("close", () => {
    code = null;
    if (location.hash.startsWith("#reset/")) history.replaceState(null, "", location.pathname + location.search);
  });
}

/// The reset code in the address, if there is one.
export const resetInHash = () => /^#reset\/([0-9a-f]{32})$/.exec(location.hash)?.[1] ?? null;

export async function openReset(resetCode) {
  code = resetCode;
  account = null;
  $("reset-title").textContent = "Choose a new password";
  $("reset-text").textContent = "Looking at the link…";
  $("reset-fields").hidden = true;
  $("reset-submit").hidden = true;
  $("reset-cancel").textContent = "Cancel";
  $("reset-password").value = "";
  $("reset-repeat").value = "";
  showError("reset-error", null);
  if (!$("reset-dialog").open) $("reset-dialog").showModal();
  try {
    const { reset } = await PasswordResets.preview(resetCode);
    if (code !== resetCode) return;
    account = reset.user;
    $("reset-text").textContent = `For ${account.display_name} (@${account.username}). Once it is set, you are logged out everywhere and log in with the new password.`;
    $("reset-fields").hidden = false;
    $("reset-submit").hidden = false;
    $("reset-password").focus();
  } catch (error) {
    $("reset-text").textContent = "";
    showError("reset-error", error);
  }
}

async function submit(event) {
  event.preventDefault();
  if (!code || !account) return;
  const password = $("reset-password").value;
  if (password.length < 8) return showError("reset-error", "A password is at least 8 characters.", ["reset-password"]);
  if (password !== $("reset-repeat").value) return showError("reset-error", "The two passwords differ.", ["reset-repeat"]);
  showError("reset-error", null);
  $("reset-submit").disabled = true;
  try {
    await PasswordResets.use(code, password);
    const { username } = account;
    $("reset-dialog").close();
    done(username);
  } catch (error) {
    // A password the server refuses (too long, a NUL in it); not a link that no longer works.
    showError("reset-error", error, /password/u.test(error.code ?? "") ? ["reset-password"] : []);
  } finally {
    $("reset-submit").disabled = false;
  }
}
