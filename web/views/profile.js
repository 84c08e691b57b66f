// My profile and settings: display name, read receipts, status (automatic, away, busy), password,
// two-factor authentication (views/twofactor.js), the sessions I am logged in with (revoking the
// others), and the people I blocked.
import * as actions from "/actions.js";
import { $, button, el, paintAvatar } from "/dom.js";
import { SKIN_TONES, TONE_HAND, toned } from "/emoji.js";
import { formatFull, statusLabel } from "/format.js";
import { activeStatus, on, state } from "/state.js";
import { confirmDialog, personOption, showError } from "/views/dialogs.js";
import { openEmojis } from "/views/emojis.js";
import { openMyReports } from "/views/reports.js";
import { openUserGroups } from "/views/usergroups.js";
import { initTokens, openTokens } from "/views/tokens.js";
import { initTwoFactor, loadTwoFactor } from "/views/twofactor.js";

let onDeactivated = () => {};

/// `deactivated` is called once my account is deactivated from here.
export function initProfile({ deactivated } = {}) {
  onDeactivated = deactivated ?? onDeactivated;
  $("deactivate-form").addEventListener("submit", deactivate);
  $("profile-form").addEventListener("submit", saveProfile);
  $("profile-avatar-choose").addEventListener("click", () => $("profile-avatar-file").click());
  $("profile-avatar-file").addEventListener("change", chooseAvatar);
  $("profile-avatar-remove").addEventListener("click", removeAvatar);
  $("change-password-form").addEventListener("submit", changePassword);
  initTimeZones();
  // Each tone shown on a raised hand, as the picker's.
  $("profile-skin-tone").append(...SKIN_TONES.map((name, level) => el("option", { text: `${toned(TONE_HAND, level)} ${name}`, attrs: { value: String(level) } })));
  followSetting("profile-skin-tone", "skinTone", () => state.skinTone);
  followSetting("profile-link-previews", "linkPreviews", () => state.showLinkPreviews);
  $("keywords-form").addEventListener("submit", saveKeywords);
  initTwoFactor();
  initTokens();
  for (const radio of document.querySelectorAll('#status-choices input[name="status"]')) radio.addEventListener("change", saveStatus);
  $("status-form").addEventListener("submit", (event) => event.preventDefault());
  $("custom-status-save").addEventListener("click", saveCustomStatus);
  $("custom-status-clear").addEventListener("click", () => changeCustomStatus(null, "Cleared."));
  for (const id of ["custom-status-emoji", "custom-status-text"]) {
    $(id).addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        saveCustomStatus();
      }
    });
  }
}

/// The custom status fields as they stand on the server.
function renderCustomStatus() {
  const status = activeStatus(state.me.status);
  $("custom-status-emoji").value = status?.emoji ?? "";
  $("custom-status-text").value = status?.text ?? "";
  $("custom-status-expiry").value = "";
  $("custom-status-clear").hidden = !status;
  $("custom-status-now").textContent = !status
    ? "No status set."
    : `Now: ${statusLabel(status)}${status.expires_at ? ` (until ${formatFull(new Date(status.expires_at))})` : ""}`;
}

function saveCustomStatus() {
  const emoji = $("custom-status-emoji").value.trim();
  const text = $("custom-status-text").value.trim();
  if (!emoji && !text) {
    showError("custom-status-error", new Error("Write a few words or an emoji, or clear the status."), CUSTOM_STATUS_FIELDS);
    $("custom-status-text").focus();
    return;
  }
  const choice = $("custom-status-expiry").value;
  let expires = choice === "" ? undefined : Number(choice);
  if (choice === "today") {
    const midnight = new Date();
    midnight.setHours(24, 0, 0, 0);
    expires = Math.max(60, Math.round((midnight - Date.now()) / 1000));
  }
  changeCustomStatus({ text, emoji: emoji || null, expires_in_seconds: expires }, "Status set.");
}

/// The custom status's fields an error about what it says is about.
const CUSTOM_STATUS_FIELDS = ["custom-status-emoji", "custom-status-text"];

async function changeCustomStatus(status, done) {
  showError("custom-status-error", null);
  $("custom-status-saved").textContent = "";
  for (const id of ["custom-status-save", "custom-status-clear"]) $(id).disabled = true;
  try {
    await actions.setStatus(status);
    renderCustomStatus();
    $("custom-status-saved").textContent = done;
  } catch (error) {
    showError("custom-status-error", error, error.code === "invalid_status" ? CUSTOM_STATUS_FIELDS : []);
  } finally {
    for (const id of ["custom-status-save", "custom-status-clear"]) $(id).disabled = false;
  }
}

export async function openProfile() {
  for (const id of ["profile-error", "profile-avatar-error", "status-error", "custom-status-error", "change-password-error", "sessions-error", "blocks-error", "deactivate-error"]) {
    showError(id, null);
  }
  $("custom-status-saved").textContent = "";
  renderCustomStatus();
  $("deactivate-form").reset();
  renderAvatar();
  for (const id of ["profile-saved", "change-password-done", "keywords-saved"]) $(id).textContent = "";
  showError("keywords-error", null);
  $("keywords-input").value = state.keywords.join(", ");
  $("change-password-form").reset();
  shownSettings.clear();
  $("profile-display-name").value = state.me.display_name;
  rememberShown("profile-display-name");
  document.querySelector(`#status-choices input[value="${actions.chosenPresence()}"]`).checked = true;
  $("session-list").replaceChildren(el("li", { className: "muted", text: "Loading…" }));
  $("block-list").replaceChildren(el("li", { className: "muted", text: "Loading…" }));
  openEmojis();
  openUserGroups();
  openMyReports();
  openTokens();
  $("profile-dialog").showModal();
  $("profile-display-name").focus();
  try {
    const profile = await actions.loadProfile();
    $("profile-receipts").checked = profile.send_read_receipts;
    showSetting("profile-link-previews", profile.show_link_previews);
    showSetting("profile-skin-tone", profile.skin_tone);
    $("profile-bio").value = profile.bio ?? "";
    showTimeZone(profile.time_zone);
    rememberShown("profile-receipts", "profile-bio", "profile-time-zone");
    if (JSON.stringify(profile.status) !== JSON.stringify(state.me.status ?? null)) {
      actions.noteMyStatus(profile.status);
      renderCustomStatus();
    }
  } catch (error) {
    showError("profile-error", error);
  }
  loadSessions();
  loadBlocks();
  loadTwoFactor();
  actions.loadKeywords().then(() => ($("keywords-input").value = state.keywords.join(", "))).catch((error) => showError("keywords-error", error));
}

async function saveKeywords(event) {
  event.preventDefault();
  $("keywords-saved").textContent = "";
  showError("keywords-error", null);
  $("keywords-save").disabled = true;
  try {
    const list = $("keywords-input").value.split(",").map((keyword) => keyword.trim()).filter(Boolean);
    $("keywords-input").value = (await actions.saveKeywords(list)).join(", ");
    $("keywords-saved").textContent = "Saved.";
  } catch (error) {
    showError("keywords-error", error, /keyword/u.test(error.code ?? "") ? ["keywords-input"] : []);
  } finally {
    $("keywords-save").disabled = false;
  }
}

async function loadBlocks() {
  try {
    const blocks = await actions.loadBlocks();
    $("block-list").replaceChildren(...(blocks.length ? blocks.map(blockItem) : [el("li", { className: "muted", text: "Nobody." })]));
    showError("blocks-error", null);
  } catch (error) {
    showError("blocks-error", error);
  }
}

function blockItem(block) {
  const [avatar, person] = personOption(block.user);
  person.append(el("span", { className: "muted entry-details", text: `since ${formatFull(new Date(block.created_at))}` }));
  const unblock = button("Unblock", {
    className: "secondary small",
    attrs: { "aria-label": `Unblock ${block.user.display_name}` },
    onClick: async () => {
      unblock.disabled = true;
      try {
        await actions.setBlocked(block.user.id, false);
        await loadBlocks();
        ($("block-list").querySelector("button") ?? $("profile-dialog").querySelector("[data-close]")).focus();
      } catch (error) {
        unblock.disabled = false;
        showError("blocks-error", error);
      }
    },
  });
  return el("li", { className: "entry", dataset: { userId: block.user.id } }, avatar, person, unblock);
}

/// The time zone choice: "Not shown", then every zone this browser knows; a button picks this device's.
function initTimeZones() {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  $("profile-time-zone").append(...zones.map((zone) => el("option", { text: zone.replaceAll("_", " "), attrs: { value: zone } })));
  const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const detect = $("profile-time-zone-detect");
  detect.hidden = !mine;
  detect.textContent = `Use this device's (${mine})`;
  detect.addEventListener("click", () => {
    showTimeZone(mine);
    $("profile-time-zone").focus();
  });
}

/// Selects `zone` (null: "Not shown"), adding it to the list when this browser does not list it.
function showTimeZone(zone) {
  const select = $("profile-time-zone");
  if (zone && ![...select.options].some((option) => option.value === zone)) {
    select.append(el("option", { text: zone.replaceAll("_", " "), attrs: { value: zone } }));
  }
  select.value = zone ?? "";
}

async function saveProfile(event) {
  event.preventDefault();
  $("profile-saved").textContent = "";
  const name = $("profile-display-name").value.trim();
  if (!name) {
    showError("profile-error", new Error("Your display name cannot be empty."), ["profile-display-name"]);
    $("profile-display-name").focus();
    return;
  }
  showError("profile-error", null);
  $("profile-save").disabled = true;
  try {
    // Only what was changed here is sent: a field left alone keeps what another device of mine set
    // meanwhile. (One the dialog could not load is not sent either.)
    const changes = {};
    for (const [id, field] of Object.entries(PROFILE_FIELDS)) {
      if (shownSettings.has(id) && fieldValue(id) !== shownSettings.get(id)) changes[field] = fieldValue(id);
    }
    if (Object.keys(changes).length) {
      const profile = await actions.updateProfile(changes);
      $("profile-display-name").value = profile.user.display_name;
      $("profile-bio").value = profile.bio ?? "";
      $("profile-receipts").checked = profile.send_read_receipts;
      showSetting("profile-link-previews", profile.show_link_previews);
      showSetting("profile-skin-tone", profile.skin_tone);
      showTimeZone(profile.time_zone);
      rememberShown("profile-display-name", "profile-receipts", "profile-bio", "profile-time-zone");
    }
    $("profile-saved").textContent = "Saved.";
  } catch (error) {
    showError("profile-error", error, PROFILE_FIELD_ERRORS[error.code] ? [PROFILE_FIELD_ERRORS[error.code]] : []);
  } finally {
    $("profile-save").disabled = false;
  }
}

// The profile's fields as the dialog last showed them from the server (element id: value), to
// send only what was changed here; those that can change elsewhere while the dialog is open
// (another device of mine, the emoji picker's hand) follow there unless changed here.
const shownSettings = new Map();

/// The profile form's fields (element id: the name `PATCH /api/me` gives it).
const PROFILE_FIELDS = {
  "profile-display-name": "display_name",
  "profile-receipts": "send_read_receipts",
  "profile-bio": "bio",
  "profile-link-previews": "show_link_previews",
  "profile-time-zone": "time_zone",
  "profile-skin-tone": "skin_tone",
};

/// The profile form's field a refusal is about, by its code.
const PROFILE_FIELD_ERRORS = {
  invalid_display_name: "profile-display-name",
  invalid_bio: "profile-bio",
  invalid_time_zone: "profile-time-zone",
  invalid_skin_tone: "profile-skin-tone",
};

/// A profile field's value as it is sent.
function fieldValue(id) {
  const input = $(id);
  if (input.type === "checkbox") return input.checked;
  if (id === "profile-skin-tone") return Number(input.value);
  return id === "profile-display-name" ? input.value.trim() : input.value;
}

/// Notes the fields' values as the dialog shows them from the server.
function rememberShown(...ids) {
  for (const id of ids) shownSettings.set(id, fieldValue(id));
}

function showSetting(id, value) {
  shownSettings.set(id, value);
  if ($(id).type === "checkbox") $(id).checked = value;
  else $(id).value = String(value);
}

/// A setting changed elsewhere follows in the open dialog unless I changed it here, so that saving
/// the dialog does not put the old value back.
function followSetting(id, topic, current) {
  on(topic, () => {
    if (!$("profile-dialog").open || !shownSettings.has(id)) return;
    const here = $(id).type === "checkbox" ? $(id).checked : Number($(id).value);
    if (here === shownSettings.get(id)) showSetting(id, current());
  });
}

function renderAvatar() {
  paintAvatar($("profile-avatar"), state.me);
  $("profile-avatar-remove").hidden = !state.me.avatar_url;
}

async function chooseAvatar() {
  const file = $("profile-avatar-file").files[0];
  $("profile-avatar-file").value = "";
  if (!file) return;
  await changeAvatar(() => actions.setAvatar(file));
}

const removeAvatar = () => changeAvatar(() => actions.removeAvatar());

async function changeAvatar(change) {
  showError("profile-avatar-error", null);
  for (const id of ["profile-avatar-choose", "profile-avatar-remove"]) $(id).disabled = true;
  try {
    await change();
  } catch (error) {
    showError("profile-avatar-error", error);
  } finally {
    for (const id of ["profile-avatar-choose", "profile-avatar-remove"]) $(id).disabled = false;
    renderAvatar();
    $(state.me.avatar_url ? "profile-avatar-remove" : "profile-avatar-choose").focus();
  }
}

async function saveStatus(event) {
  showError("status-error", null);
  try {
    await actions.choosePresence(event.target.value);
  } catch (error) {
    showError("status-error", error);
    document.querySelector(`#status-choices input[value="${actions.chosenPresence()}"]`).checked = true;
  }
}

async function changePassword(event) {
  event.preventDefault();
  $("change-password-done").textContent = "";
  const current = $("current-password").value;
  const next = $("new-password").value;
  const problem = !current
    ? ["current-password", "Enter your current password."]
    : new TextEncoder().encode(next).length < 8
      ? ["new-password", "A password is at least 8 characters."]
      : next !== $("repeat-password").value
        ? ["repeat-password", "The two new passwords differ."]
        : null;
  if (problem) {
    showError("change-password-error", new Error(problem[1]), [problem[0]]);
    $(problem[0]).focus();
    return;
  }
  showError("change-password-error", null);
  $("change-password-submit").disabled = true;
  try {
    await actions.changePassword(current, next);
    $("change-password-form").reset();
    $("change-password-done").textContent = "Password changed. Your other sessions were logged out.";
    loadSessions();
  } catch (error) {
    const wrong = error.code === "wrong_password";
    // A new password the server refuses (too long, a NUL in it) is the new one's fault.
    const fields = wrong ? ["current-password"] : /password/u.test(error.code ?? "") ? ["new-password"] : [];
    showError("change-password-error", wrong ? new Error("That is not your current password.") : error, fields);
    $(wrong ? "current-password" : "new-password").focus();
  } finally {
    $("change-password-submit").disabled = false;
  }
}

async function deactivate(event) {
  event.preventDefault();
  const password = $("deactivate-password").value;
  if (!password) {
    showError("deactivate-error", new Error("Enter your password to deactivate your account."), ["deactivate-password"]);
    $("deactivate-password").focus();
    return;
  }
  showError("deactivate-error", null);
  const sure = await confirmDialog({
    title: "Deactivate your account?",
    message: "You will be logged out everywhere, and only a site admin can let you back in.",
    confirm: "Deactivate",
  });
  if (sure === null) {
    $("deactivate-submit").focus();
    return;
  }
  $("deactivate-submit").disabled = true;
  try {
    await actions.deactivateMe(password);
    onDeactivated();
  } catch (error) {
    const wrong = error.code === "wrong_password";
    showError("deactivate-error", wrong ? new Error("That is not your password.") : error, wrong ? ["deactivate-password"] : []);
    $("deactivate-password").focus();
  } finally {
    $("deactivate-submit").disabled = false;
  }
}

async function loadSessions() {
  try {
    const sessions = await actions.loadSessions();
    $("session-list").replaceChildren(...sessions.map(sessionItem));
    showError("sessions-error", null);
  } catch (error) {
    showError("sessions-error", error);
  }
}

function sessionItem(session) {
  const device = session.current ? "This browser" : describeAgent(session.user_agent);
  const details = [session.ip, `last used ${formatFull(new Date(session.last_used_at))}`].filter(Boolean).join(" · ");
  const text = el("span", { className: "person" }, el("span", { className: "name", text: device }), el("span", { className: "muted entry-details", text: details }));
  const item = el("li", { className: "entry", dataset: { sessionId: session.id, current: String(session.current) } }, text);
  if (!session.current) {
    const revoke = button("Log out", {
      className: "secondary small",
      attrs: { "aria-label": `Log out ${device}, ${details}` },
      onClick: async () => {
        revoke.disabled = true;
        try {
          await actions.revokeSession(session.id);
          await loadSessions();
          // The entry is gone: keep the keyboard in the list.
          ($("session-list").querySelector("button") ?? $("profile-dialog").querySelector("[data-close]")).focus();
        } catch (error) {
          revoke.disabled = false;
          showError("sessions-error", error);
        }
      },
    });
    item.append(revoke);
  }
  return item;
}

const BROWSERS = [[/Edg\//, "Edge"], [/Firefox\//, "Firefox"], [/Chrom(e|ium)\//, "Chrome"], [/Safari\//, "Safari"]];
const SYSTEMS = [[/Android/, "Android"], [/iPhone|iPad/, "iOS"], [/Mac OS X/, "macOS"], [/Windows/, "Windows"], [/Linux/, "Linux"]];

/// A short name for a browser from its User-Agent ("Firefox on Linux"); other clients as they name themselves.
function describeAgent(agent) {
  if (!agent) return "Unknown device";
  const browser = BROWSERS.find(([pattern]) => pattern.test(agent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(agent))?.[1];
  if (!browser) return agent.length > 60 ? `${agent.slice(0, 57)}…` : agent;
  return system ? `${browser} on ${system}` : browser;
}
