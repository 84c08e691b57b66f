// Site administration, for site admins (the people button in the sidebar's footer): find people by
// username, make password reset links for those who forgot theirs, make or unmake site admins,
// deactivate or reactivate accounts, make accounts, and change the site's settings.
import { Admin } from "/api.js";
import { $, avatarFor, button, el } from "/dom.js";
import { formatFull } from "/format.js";
import { icon } from "/icons.js";
import { applyUnlessHeard, on, setSiteSettings, state } from "/state.js";
import { confirmDialog, confirmRetention, showChoice, showError, showLog } from "/views/dialogs.js";
import { openReports } from "/views/reports.js";
import { copyAndTell } from "/views/toast.js";

const PAGE = 50;
/// The last username listed (for "Show more"), and the search it belongs to.
let last = null;
let searchTimer = null;
let generation = 0;

export function initAdmin() {
  $("admin-open").append(icon("users"));
  $("admin-open").addEventListener("click", openAdmin);
  on("me", () => {
    const admin = state.me?.site_role === "admin";
    $("admin-open").hidden = !admin;
    // Demoted while looking at it.
    if (!admin && $("admin-dialog").open) $("admin-dialog").close();
  });
  $("admin-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => load(), 200);
  });
  $("admin-more").addEventListener("click", () => load({ more: true }));
  $("admin-log-section").addEventListener("toggle", () => {
    if ($("admin-log-section").open) loadLog();
  });
  $("admin-log-more").addEventListener("click", () => loadLog({ older: true }));
  $("admin-reset-copy").addEventListener("click", () => {
    $("admin-reset-link").select();
    return copyAndTell($("admin-reset-link").value);
  });
  $("admin-create-form").addEventListener("submit", createUser);
  for (const [id, key] of [["admin-registration", "registration"], ["admin-public-rooms", "public_rooms"], ["admin-custom-emoji", "custom_emoji"]]) {
    $(id).addEventListener("change", () => saveSettings($(id), { [key]: $(id).value }));
  }
  $("admin-retention").addEventListener("change", saveRetention);
  $("admin-edit-time").addEventListener("change", () => {
    const value = $("admin-edit-time").value;
    return saveSettings($("admin-edit-time"), { message_edit_minutes: value === "" ? null : Number(value) });
  });
  $("admin-reports").addEventListener("click", () => {
    $("admin-dialog").close();
    openReports();
  });
  on("site", renderSettings);
}

const renderRetention = () =>
  showChoice($("admin-retention"), state.site.message_retention_days, (days) => `Delete messages after ${days} ${days === 1 ? "day" : "days"}`);

/// A shorter retention deletes messages for good: asked first.
async function saveRetention() {
  const select = $("admin-retention");
  const days = select.value ? Number(select.value) : null;
  const before = state.site.message_retention_days;
  if (days !== null && (before == null || days < before)) {
    if (!(await confirmRetention("in every room, group and conversation", days))) {
      renderRetention();
      return;
    }
  }
  await saveSettings(select, { message_retention_days: days });
}

/// The settings' choices as the site has them (also when another admin changes them).
function renderSettings() {
  if (!state.site) return;
  $("admin-registration").value = state.site.registration;
  $("admin-public-rooms").value = state.site.public_rooms;
  $("admin-custom-emoji").value = state.site.custom_emoji;
  renderRetention();
  showChoice($("admin-edit-time"), state.site.message_edit_minutes, (minutes) => `Edited for ${minutes} ${minutes === 1 ? "minute" : "minutes"} after sending`);
}

/// Sends one change of the site's settings from `control`.
async function saveSettings(control, patch) {
  showError("admin-settings-error", null);
  control.disabled = true;
  try {
    await applyUnlessHeard("site", () => Admin.updateSettings(patch), ({ settings }) => setSiteSettings(settings));
    if ($("admin-log-section").open) loadLog();
  } catch (error) {
    showError("admin-settings-error", error, error.code === "invalid_setting" ? [control.id] : []);
    renderSettings();
  } finally {
    control.disabled = false;
  }
}

/// Makes an account with the form's username, display name and password; the list then finds it.
async function createUser(event) {
  event.preventDefault();
  showError("admin-create-error", null);
  $("admin-create-done").textContent = "";
  const username = $("admin-create-username").value.trim();
  const password = $("admin-create-password").value;
  if (!username || !password) {
    showError("admin-create-error", new Error("Enter a username and a password."), [
      ...(username ? [] : ["admin-create-username"]),
      ...(password ? [] : ["admin-create-password"]),
    ]);
    return;
  }
  $("admin-create-submit").disabled = true;
  try {
    const { user } = await Admin.createUser(username, password, $("admin-create-display-name").value.trim() || undefined);
    $("admin-create-form").reset();
    $("admin-create-done").textContent = `@${user.username} can log in now, with the password you chose.`;
    $("admin-search").value = user.username;
    load();
    if ($("admin-log-section").open) loadLog();
  } catch (error) {
    showError("admin-create-error", error, createFieldsOf(error));
  } finally {
    $("admin-create-submit").disabled = false;
  }
}

/// The account form's field a refusal is about, by its code (none for one about the server).
function createFieldsOf(error) {
  const code = error?.code ?? "";
  if (/username/u.test(code)) return ["admin-create-username"];
  if (/password/u.test(code)) return ["admin-create-password"];
  if (code === "invalid_display_name") return ["admin-create-display-name"];
  return [];
}

export function openAdmin() {
  $("admin-search").value = "";
  $("admin-reset").hidden = true;
  $("admin-reset-hint").hidden = true;
  showError("admin-error", null);
  $("admin-log-section").open = false;
  $("admin-create-section").open = false;
  $("admin-create-form").reset();
  $("admin-create-done").textContent = "";
  showError("admin-create-error", null);
  $("admin-settings-section").open = false;
  showError("admin-settings-error", null);
  renderSettings();
  $("admin-dialog").showModal();
  $("admin-search").focus();
  load();
}

async function load({ more = false } = {}) {
  const mine = ++generation;
  const list = $("admin-users");
  try {
    const prefix = $("admin-search").value.trim();
    const { users } = await Admin.users({ prefix: prefix || undefined, after: more ? last : undefined, limit: PAGE });
    if (mine !== generation) return;
    showError("admin-error", null);
    const items = users.map(userItem);
    if (more) list.append(...items);
    else list.replaceChildren(...(items.length ? items : [el("li", { className: "muted", text: "Nobody by that name." })]));
    last = users.at(-1)?.user.username ?? last;
    $("admin-more").hidden = users.length < PAGE;
  } catch (error) {
    if (mine === generation) showError("admin-error", error);
  }
}

/// The site's log: what was done to accounts and by site admins, newest first; `older`: its next page.
async function loadLog({ older = false } = {}) {
  try {
    await showLog($("admin-log"), $("admin-log-more"), async (before) => (await Admin.log({ before })).entries, { older });
  } catch (error) {
    showError("admin-error", error);
  }
}

/// One person's row: who they are, their state, and what a site admin can do with the account.
function userItem(entry) {
  const { user } = entry;
  const me = user.id === state.me.id;
  const admin = user.site_role === "admin";
  const deactivated = entry.deactivated_at !== null;
  const facts = [`@${user.username}`];
  if (admin) facts.push("site admin");
  if (entry.two_factor) facts.push("two-factor on");
  if (deactivated) facts.push(`deactivated ${formatFull(new Date(entry.deactivated_at))}`);
  else facts.push(entry.last_seen_at ? `last seen ${formatFull(new Date(entry.last_seen_at))}` : "never seen");
  const text = el(
    "span",
    { className: "person" },
    el("span", { className: "name", text: user.display_name }),
    el("span", { className: "muted entry-details", text: facts.join(" · ") }),
  );
  const act = (label, run, aria) =>
    button(label, {
      className: "secondary small",
      attrs: { "aria-label": `${aria ?? label}: ${user.username}` },
      onClick: async (event) => {
        event.currentTarget.disabled = true;
        try {
          await run();
        } catch (error) {
          showError("admin-error", error);
        }
        await refresh(user);
        if ($("admin-log-section").open) loadLog();
      },
    });
  const tools = el("span", { className: "entry-tools" });
  tools.append(act("Reset password", () => makeResetLink(user), "Make a password reset link"));
  if (entry.two_factor) tools.append(act("Turn off two-factor", () => resetTwoFactor(user), "Turn off two-factor authentication"));
  // A deactivated account is not made an admin (409 account_deactivated); its role may be taken back.
  if (!me && (admin || !deactivated)) tools.append(act(admin ? "Remove admin" : "Make admin", () => setRole(user, admin ? "user" : "admin")));
  if (!me) tools.append(act(deactivated ? "Reactivate" : "Deactivate", () => (deactivated ? Admin.reactivate(user.id) : deactivate(user))));
  return el("li", { className: "entry", dataset: { userId: user.id } }, avatarFor(user, "avatar small"), text, tools);
}

/// Turns off someone's two-factor authentication (they lost their app and codes), once confirmed.
async function resetTwoFactor(user) {
  const sure = await confirmDialog({
    title: `Turn off two-factor authentication for @${user.username}?`,
    message: "They will log in with their password alone, and can set it up again in their settings. Do this only once you know it is them.",
    confirm: "Turn off",
  });
  if (sure !== null) await Admin.resetTwoFactor(user.id);
}

/// Shows one person's row as the server has it now.
async function refresh(user) {
  const row = document.querySelector(`#admin-users li[data-user-id="${user.id}"]`);
  if (!row) return;
  try {
    // Usernames sort first among those they prefix: the first answer is this user.
    const { users } = await Admin.users({ prefix: user.username, limit: 1 });
    if (users[0]?.user.id === user.id) row.replaceWith(userItem(users[0]));
  } catch (error) {
    showError("admin-error", error);
  }
}

async function makeResetLink(user) {
  const { reset } = await Admin.createPasswordReset(user.id);
  $("admin-reset-label").textContent = `Password reset link for @${user.username} (shown only now)`;
  $("admin-reset-link").value = new URL(`#reset/${reset.code}`, location.href).href;
  $("admin-reset").hidden = false;
  $("admin-reset-hint").hidden = false;
  $("admin-reset-link").focus();
  $("admin-reset-link").select();
}

async function setRole(user, role) {
  if (role === "admin") {
    const answer = await confirmDialog({
      title: `Make ${user.display_name} a site admin?`,
      message: "Site admins manage every account and can delete any room or message.",
      confirm: "Make site admin",
    });
    if (answer === null) return;
  }
  await Admin.setSiteRole(user.id, role);
}

async function deactivate(user) {
  const answer = await confirmDialog({
    title: `Deactivate ${user.display_name}?`,
    message: "They are logged out everywhere and cannot log in until the account is reactivated. Their messages stay.",
    confirm: "Deactivate",
  });
  if (answer !== null) await Admin.deactivate(user.id);
}
