// Two-factor authentication in the settings: off (set it up with the password), being set up (the
// key to add to an authenticator app, and its first code to turn it on), on (turn it off with the
// password and a code; new recovery codes with the password). Recovery codes show once, to copy
// or download.
import { Me } from "/api.js";
import { $, el } from "/dom.js";
import { formatFull } from "/format.js";
import { qrSvg } from "/qr.js";
import { state } from "/state.js";
import { copyAndTell } from "/views/toast.js";
import { showError } from "/views/dialogs.js";

/// "off", "setup" or "on".
let mode = "off";
/// The recovery codes to show, once.
let codes = null;

export function initTwoFactor() {
  $("two-factor-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (mode === "off") setUp();
    else if (mode === "setup") confirm();
  });
  $("two-factor-cancel").addEventListener("click", () => load());
  $("two-factor-off").addEventListener("click", turnOff);
  $("two-factor-new-codes").addEventListener("click", newCodes);
  $("two-factor-copy").addEventListener("click", () => copyAndTell($("two-factor-secret").dataset.key, "key"));
  $("two-factor-codes-copy").addEventListener("click", () => copyAndTell(codes.join("\n"), "recovery codes"));
  $("two-factor-codes-download").addEventListener("click", download);
}

/// Reads the state afresh (when the settings open).
export async function loadTwoFactor() {
  codes = null;
  showError("two-factor-error", null);
  $("two-factor-done").textContent = "";
  $("two-factor-state").textContent = "Loading…";
  await load();
}

async function load() {
  try {
    const { two_factor: status } = await Me.twoFactor();
    render(status.enabled ? "on" : "off", status);
  } catch (error) {
    showError("two-factor-error", error);
  }
}

function render(next, status = null) {
  mode = next;
  const on = mode === "on";
  if (mode === "off") $("two-factor-state").textContent = "Off: logging in asks for your password only.";
  if (mode === "setup") $("two-factor-state").textContent = "Being set up: not on until you enter a code from the app.";
  if (on && status) {
    const left = status.recovery_codes_left;
    $("two-factor-state").textContent =
      `On since ${formatFull(new Date(status.enabled_at))}: logging in asks for a code from your app. ${left} recovery ${left === 1 ? "code" : "codes"} left.`;
  }
  $("two-factor-setup").hidden = mode !== "setup";
  if (mode !== "setup") {
    // The key is shown only while it is being set up.
    $("two-factor-secret").textContent = "";
    $("two-factor-qr").replaceChildren();
  }
  $("two-factor-codes").hidden = !codes;
  $("two-factor-code-list").replaceChildren(...(codes ?? []).map((code) => el("li", {}, el("code", { text: code }))));
  $("two-factor-password-field").hidden = mode === "setup";
  $("two-factor-code-field").hidden = mode === "off";
  $("two-factor-code-label").textContent = on ? "Code from the app, or a recovery code (to turn it off)" : "Code from the app";
  $("two-factor-submit").hidden = on;
  $("two-factor-submit").textContent = mode === "setup" ? "Turn on" : "Set up";
  $("two-factor-cancel").hidden = mode !== "setup";
  $("two-factor-off").hidden = !on;
  $("two-factor-new-codes").hidden = !on;
  $("two-factor-password").value = "";
  $("two-factor-code").value = "";
}

/// Runs `work` with the section's buttons off, showing its error (in words for the usual ones).
async function busy(work) {
  showError("two-factor-error", null);
  $("two-factor-done").textContent = "";
  const buttons = [...$("two-factor-form").querySelectorAll("button")];
  for (const b of buttons) b.disabled = true;
  try {
    await work();
  } catch (error) {
    const known = { wrong_password: "That is not your password.", invalid_code: "That code is wrong or was already used." }[error.code];
    const field = { wrong_password: "two-factor-password", invalid_code: "two-factor-code" }[error.code];
    showError("two-factor-error", known ? new Error(known) : error, field ? [field] : []);
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

function need(id, message) {
  if ($(id).value.trim()) return false;
  showError("two-factor-error", new Error(message), [id]);
  $(id).focus();
  return true;
}

function setUp() {
  if (need("two-factor-password", "Enter your password to set up two-factor authentication.")) return;
  return busy(async () => {
    const { setup } = await Me.setUpTwoFactor($("two-factor-password").value);
    codes = null;
    render("setup");
    // In groups of four, as apps show keys; copied without the spaces.
    $("two-factor-secret").textContent = setup.secret.match(/.{1,4}/g).join(" ");
    $("two-factor-secret").dataset.key = setup.secret;
    $("two-factor-link").href = setup.otpauth_uri;
    $("two-factor-qr").replaceChildren(qrSvg(setup.otpauth_uri, { label: "QR code of the key, for an authenticator app" }));
    $("two-factor-code").focus();
  });
}

function confirm() {
  if (need("two-factor-code", "Enter the code your authenticator app shows.")) return;
  return busy(async () => {
    const { recovery_codes } = await Me.confirmTwoFactor($("two-factor-code").value);
    codes = recovery_codes;
    await load();
    $("two-factor-done").textContent = "Two-factor authentication is on.";
  });
}

function turnOff() {
  if (need("two-factor-password", "Enter your password to turn two-factor authentication off.")) return;
  if (need("two-factor-code", "Enter a code from your app, or a recovery code.")) return;
  return busy(async () => {
    await Me.disableTwoFactor($("two-factor-password").value, $("two-factor-code").value);
    codes = null;
    await load();
    $("two-factor-done").textContent = "Two-factor authentication is off.";
  });
}

function newCodes() {
  if (need("two-factor-password", "Enter your password for new recovery codes.")) return;
  return busy(async () => {
    const { recovery_codes } = await Me.newRecoveryCodes($("two-factor-password").value);
    codes = recovery_codes;
    await load();
    $("two-factor-done").textContent = "New recovery codes: the old ones no longer work.";
  });
}

function download() {
  const text = `Parley recovery codes for @${state.me.username} (each works once):\n\n${codes.join("\n")}\n`;
  const link = el("a", { attrs: { href: URL.createObjectURL(new Blob([text], { type: "text/plain" })), download: "parley-recovery-codes.txt" } });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
