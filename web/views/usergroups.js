// The site's user groups in the settings: the list (each with its description and size, Join or
// Leave, Members, and Delete for its maker or a site admin), kept live; a form that makes one; and
// a panel with one group's members, where its maker or a site admin adds and removes people.
import * as actions from "/actions.js";
import { $, button, el } from "/dom.js";
import { on, state } from "/state.js";
import { confirmDialog, personOption, showError, userSearch } from "/views/dialogs.js";
import { groupLabel } from "/views/mentions.js";

/// The id of the group whose members the panel shows, or null.
let shown = null;
/// Its members as people, as last fetched.
let members = [];

export function initUserGroups() {
  $("ugroup-form").addEventListener("submit", make);
  $("ugroup-panel-close").addEventListener("click", closePanel);
  userSearch({
    input: $("ugroup-add-input"),
    results: $("ugroup-add-results"),
    exclude: (user) => members.some((member) => member.id === user.id),
    onPick: async (user) => {
      $("ugroup-add-input").value = "";
      try {
        await actions.addUserGroupMember(shown, user.id);
      } catch (error) {
        showError("ugroup-error", error);
      }
    },
  });
  on("groups", () => {
    if (!$("profile-dialog").open) return;
    renderGroups();
    if (shown === null) return;
    if (state.userGroups.has(shown)) loadMembers();
    else closePanel();
  });
}

/// The section as the dialog opens: the list as it is, an empty form, no panel.
export function openUserGroups() {
  $("ugroup-form").reset();
  showError("ugroup-error", null);
  closePanel();
  renderGroups();
}

/// Whether I manage a group: I made it, or I am a site admin.
const mayManage = (group) => group.created_by.id === state.me.id || state.me.site_role === "admin";

function renderGroups() {
  const all = [...state.userGroups.values()].sort((a, b) => a.name.localeCompare(b.name));
  $("ugroup-list").replaceChildren(...(all.length ? all.map(groupItem) : [el("li", { className: "muted", text: "None yet." })]));
}

/// A button that runs `work`, disabled meanwhile; a failure shows in the section's error line.
function action(label, ariaLabel, work, className = "secondary small") {
  const node = button(label, {
    className,
    attrs: { "aria-label": ariaLabel },
    onClick: async () => {
      node.disabled = true;
      showError("ugroup-error", null);
      try {
        await work();
      } catch (error) {
        showError("ugroup-error", error);
      } finally {
        node.disabled = false;
      }
    },
  });
  return node;
}

function groupItem(group) {
  const mine = group.member_ids.includes(state.me.id);
  const buttons = [
    mine
      ? action("Leave", `Leave @${group.name}`, () => actions.removeUserGroupMember(group.id, state.me.id))
      : action("Join", `Join @${group.name}`, () => actions.addUserGroupMember(group.id, state.me.id)),
    action("Members", `Members of @${group.name}`, () => openPanel(group.id)),
  ];
  if (mayManage(group)) {
    buttons.push(
      action("Delete", `Delete @${group.name}`, async () => {
        const sure = await confirmDialog({
          title: `Delete @${group.name}?`,
          message: "Nobody can mention it any more; messages that did keep who they mentioned.",
          confirm: "Delete group",
        });
        if (sure !== null) await actions.deleteUserGroup(group.id);
      }),
    );
  }
  return el(
    "li",
    { className: "entry", dataset: { group: group.name } },
    el("span", { className: "person" }, el("span", { className: "name", text: `@${group.name}` }), el("span", { className: "muted entry-details", text: groupLabel(group) })),
    el("span", { className: "entry-actions" }, ...buttons),
  );
}

async function openPanel(id) {
  shown = id;
  members = [];
  $("ugroup-member-list").replaceChildren(el("li", { className: "muted", text: "Loading…" }));
  $("ugroup-panel").hidden = false;
  await loadMembers();
  $("ugroup-panel").scrollIntoView({ block: "nearest" });
}

function closePanel() {
  shown = null;
  members = [];
  $("ugroup-panel").hidden = true;
  $("ugroup-add-input").value = "";
  $("ugroup-add-results").replaceChildren();
}

/// Fetches the shown group's members and draws them (a newer answer for another group wins).
async function loadMembers() {
  const id = shown;
  let answer;
  try {
    answer = await actions.userGroup(id);
  } catch (error) {
    if (shown === id) showError("ugroup-error", error);
    return;
  }
  if (shown !== id) return;
  members = answer.members;
  const group = answer.group;
  const manage = mayManage(group);
  $("ugroup-panel-heading").textContent = `Members of @${group.name}`;
  $("ugroup-add").hidden = !manage;
  $("ugroup-member-list").replaceChildren(
    ...(members.length
      ? members.map((user) =>
          el(
            "li",
            { className: "entry", dataset: { username: user.username } },
            ...personOption(user),
            manage || user.id === state.me.id
              ? action(user.id === state.me.id ? "Leave" : "Remove", `Remove @${user.username} from @${group.name}`, () =>
                  actions.removeUserGroupMember(group.id, user.id),
                )
              : null,
          ),
        )
      : [el("li", { className: "muted", text: "Nobody yet." })]),
  );
}

async function make(event) {
  event.preventDefault();
  const name = $("ugroup-name").value.trim().replace(/^@/u, "");
  if (!name) return showError("ugroup-error", "Give it a name.", ["ugroup-name"]);
  showError("ugroup-error", null);
  $("ugroup-make").disabled = true;
  try {
    const group = await actions.makeUserGroup(name, $("ugroup-description").value.trim());
    $("ugroup-form").reset();
    await openPanel(group.id);
    $("ugroup-add-input").focus();
  } catch (error) {
    const field = { invalid_name: "ugroup-name", name_taken: "ugroup-name", invalid_description: "ugroup-description" }[error.code];
    showError("ugroup-error", error, field ? [field] : []);
  } finally {
    $("ugroup-make").disabled = false;
  }
}
