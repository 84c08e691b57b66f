// Polls: the chart button beside the message box asks one (a question, 2–10 options, one choice or
// several); a poll shows in the timeline as its options with their counts, each a button that
// votes (again to take it back), and its author or a moderator closes it.
import * as actions from "/actions.js";
import { $, button, el } from "/dom.js";
import { icon } from "/icons.js";
import { mutedNote, roomName, tooLongMessage } from "/format.js";
import { blockedDM, canModerate, isArchived, isMuted, mayReact, mayWrite, myVotes, state } from "/state.js";
import { showError } from "/views/dialogs.js";
import { toastError } from "/views/toast.js";

const MAX_OPTIONS = 10;

export function initPolls() {
  $("poll-open").append(icon("poll"));
  $("poll-open").addEventListener("click", openDialog);
  $("poll-add").addEventListener("click", () => {
    addOption("");
    $("poll-options").lastElementChild.querySelector("input").focus();
  });
  $("poll-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
}

function openDialog() {
  if (!state.room || state.room.closed || !mayWrite(state.room.id)) return;
  $("poll-question").value = "";
  $("poll-multiple").checked = false;
  $("poll-options").replaceChildren();
  addOption("");
  addOption("");
  showError("poll-error", null);
  $("poll-dialog").showModal();
  $("poll-question").focus();
}

function addOption(text) {
  const list = $("poll-options");
  if (list.children.length >= MAX_OPTIONS) return;
  const input = el("input", { attrs: { maxlength: "100", autocomplete: "off", "aria-label": `Option ${list.children.length + 1}` } });
  input.value = text;
  const remove = button("", {
    className: "icon-button small", icon: icon("x"), title: "Remove this option",
    attrs: { "aria-label": "Remove this option" },
    onClick: () => {
      if (list.children.length <= 2) return;
      row.remove();
      renumber();
    },
  });
  const row = el("li", { className: "poll-option-input" }, input, remove);
  list.append(row);
  renumber();
}

function renumber() {
  const rows = [...$("poll-options").children];
  rows.forEach((row, index) => row.querySelector("input").setAttribute("aria-label", `Option ${index + 1}`));
  for (const row of rows) row.querySelector("button").disabled = rows.length <= 2;
  $("poll-add").disabled = rows.length >= MAX_OPTIONS;
}

async function submit() {
  const question = $("poll-question").value.trim();
  const options = [...$("poll-options").querySelectorAll("input")].map((input) => input.value.trim()).filter(Boolean);
  if (!question) return showError("poll-error", new Error("Ask a question."), ["poll-question"]);
  if (tooLongMessage(question)) return showError("poll-error", new Error("A question is at most 4,000 characters."), ["poll-question"]);
  if (options.length < 2) return showError("poll-error", new Error("Give at least two options."));
  try {
    await actions.createPoll(state.room.id, question, options, $("poll-multiple").checked);
    $("poll-dialog").close();
  } catch (error) {
    showError("poll-error", error);
  }
}

/// A poll in the timeline: its options as buttons with their share of the votes, who voted how
/// many, and Close for its author and the room's moderators.
export function pollNode(m) {
  const { poll } = m;
  const mine = myVotes(m);
  // In an archived room a poll only shows its counts: nobody votes on it or closes it there. Nor do
  // I vote while muted there, in a DM with someone I blocked, or in a room I only preview.
  const open = !poll.closed && mayReact(m.room_id);
  const total = poll.options.reduce((sum, option) => sum + option.votes, 0);
  const options = poll.options.map((option, index) => {
    const chosen = mine.includes(index);
    const share = total === 0 ? 0 : Math.round((option.votes / total) * 100);
    // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
    const bar = el("span", { className: "poll-bar", attrs: { "aria-hidden": "true" } });
    bar.style.width = `${share}%`;
    return el(
      "button",
      {
        className: `poll-choice${chosen ? " chosen" : ""}`,
        attrs: {
          type: "button", "aria-pressed": String(chosen), disabled: !open || null,
          "aria-label": `${option.text}: ${option.votes} ${option.votes === 1 ? "vote" : "votes"}${chosen ? ", your choice" : ""}`,
        },
        dataset: { option: index },
        on: { click: () => vote(m, index) },
      },
      bar,
      el("span", { className: "poll-text", text: option.text }),
      el("span", { className: "poll-count", text: `${option.votes}` }),
    );
  });
  const who = `${poll.voters} ${poll.voters === 1 ? "voter" : "voters"}`;
  const footer = el(
    "p",
    { className: "poll-footer muted" },
    `${who} · ${poll.closed ? "Closed" : !open ? whyNoVote(m.room_id) : poll.multiple ? "Choose any" : "Choose one"}`,
  );
  // (Its author or a moderator closes it while muted: closing is not voting.)
  if (!poll.closed && mayWrite(m.room_id) && (m.sender.id === state.me.id || canModerate(m.room_id))) {
    footer.append(
      button("Close poll", {
        className: "link small", attrs: { "data-action": "close-poll" },
        onClick: () => actions.closePoll(m).catch(toastError),
      }),
    );
  }
  return el("div", { className: `poll${poll.closed ? " closed" : ""}`, attrs: { role: "group", "aria-label": "Poll" } }, ...options, footer);
}

/// Why I cannot vote on an open poll.
function whyNoVote(roomId) {
  if (!state.rooms.has(roomId)) return "Join the room to vote";
  if (isArchived(roomId)) return "Voting is over: the room is archived";
  if (isMuted(roomId)) return mutedNote(state.mutedIn.get(roomId));
  if (blockedDM(roomId)) return `You blocked ${roomName(state.rooms.get(roomId))}: unblock them to vote`;
  return "";
}

function vote(m, index) {
  // Quick clicks build on the choices still on their way.
  const mine = actions.wantedVotes(m.id) ?? myVotes(m);
  let choices;
  if (m.poll.multiple) choices = mine.includes(index) ? mine.filter((i) => i !== index) : [...mine, index].sort((a, b) => a - b);
  else choices = mine.includes(index) ? [] : [index];
  actions.vote(m, choices).catch(toastError);
}
