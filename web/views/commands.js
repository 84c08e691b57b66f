// Slash commands in the room's message box and a thread's, as Slack, Mattermost and Zulip have them: "/me waves"
// (shown as "Ann waves"), "/shrug", "/topic …", "/join room", "/leave", "/invite @someone" and
// "/search words". Typing "/" at the start lists them (views/mentions.js). Any other "/word" is
// refused with a note, and a message that starts with "//" is sent with one "/" less.
import * as actions from "/actions.js";
import { Rooms } from "/api.js";
import { $ } from "/dom.js";
import { SLOW_MODE_HELD, TOO_LONG, tooLongMessage } from "/format.js";
import { myRole, slowModeLeft, state } from "/state.js";
import { joinPublicRoom } from "/views/roomdialogs.js";
import { openSearch } from "/views/search.js";
import { toast } from "/views/toast.js";

export const COMMANDS = [
  { name: "me", args: "action", description: "Say what you are doing, as “Ann waves”" },
  { name: "shrug", args: "message", description: "Send a message with ¯\\_(ツ)_/¯" },
  { name: "topic", args: "text", description: "Change the room's topic" },
  { name: "join", args: "room", description: "Open a public room, joining it if need be" },
  { name: "leave", args: "", description: "Leave this room" },
  { name: "invite", args: "@username", description: "Add someone to this private group" },
  { name: "search", args: "words", description: "Search your rooms' messages" },
  { name: "help", args: "", description: "Show the commands and keyboard shortcuts" },
];

let navigate = () => {};

export function initCommands({ onNavigate }) {
  navigate = onNavigate;
}

/// Carries out a message typed in the room's box or a thread's: sends it (as a reply to `replyTo`
/// when given) or runs the command it names. A refusal goes to `refuse`, as each box shows notes its
/// own way. Resolves to whether the box may be emptied.
export async function carryOut(text, { replyTo, refuse }) {
  const command = interpret(text);
  if (command.error) {
    refuse(command.error);
    return false;
  }
  if (command.run) {
    try {
      tell(await command.run());
      return true;
    } catch (error) {
      refuse(error.message);
      return false;
    }
  }
  if (tooLongMessage(command.send)) {
    refuse(TOO_LONG);
    return false;
  }
  // Slow mode: held in the box until my turn comes (sent, it was refused and shown not sent, a hunt).
  if (slowModeLeft(state.room.id) > 0) {
    refuse(SLOW_MODE_HELD);
    return false;
  }
  actions.send(command.send, replyTo);
  return true;
}

/// What a message typed in a box asks for: `{ send }` a text (perhaps rewritten),
/// `{ run }` a command (resolving to a note to show, if any), or `{ error }`.
function interpret(text) {
  if (!text.startsWith("/")) return { send: text };
  if (text.startsWith("//")) return { send: text.slice(1) };
  const match = /^\/([A-Za-z]+)(?:\s+([\s\S]*))?$/u.exec(text);
  const name = match?.[1].toLowerCase();
  const rest = (match?.[2] ?? "").trim();
  switch (name) {
    case "me":
      return rest ? { send: `/me ${rest}` } : { error: "Say what you are doing: /me waves" };
    case "shrug":
      return { send: rest ? `${rest} ¯\\_(ツ)_/¯` : "¯\\_(ツ)_/¯" };
    case "topic":
      return { run: () => setTopic(rest) };
    case "join":
      return rest ? { run: () => joinRoom(rest) } : { error: "Name the room: /join lobby" };
    case "leave":
      return { run: leaveRoom };
    case "invite":
      return rest ? { run: () => invite(rest) } : { error: "Name the person: /invite @username" };
    case "search":
      return { run: () => search(rest) };
    // A newcomer's first guess (it was "not a command", a hunt).
    case "help":
      return {
        run: () => {
          $("shortcuts-dialog").showModal();
          return null;
        },
      };
    default:
      return { error: `${text.split(/\s/u)[0]} is not a command: type / to see them, or start with // to send a message that begins with /.` };
  }
}

async function setTopic(topic) {
  // In a DM, any of its people may.
  if (state.rooms.get(state.room.id)?.kind !== "dm" && !["owner", "admin"].includes(myRole(state.room.id))) {
    throw new Error("Only the room's owner and admins change its topic.");
  }
  await actions.updateRoom(state.room.id, { topic });
  return topic ? "Topic changed." : "Topic cleared.";
}

/// Opens one of my rooms by name, or joins a public one (asking its password if it has one).
async function joinRoom(typed) {
  const name = typed.replace(/^#/u, "").toLocaleLowerCase();
  const mine = [...state.rooms.values()].find((room) => room.kind !== "dm" && room.name.toLocaleLowerCase() === name);
  if (mine) {
    navigate(mine.id);
    return null;
  }
  await actions.loadRooms();
  const named = (room) => room.name.toLocaleLowerCase() === name;
  // (A directory cut at its biggest rooms may not list it: the server finds it by name.)
  const listed = state.directory.find(named) ?? (state.directoryComplete ? null : (await Rooms.directory(name, 100)).rooms.find(named));
  if (!listed) throw new Error(`No public room is named ${typed}.`);
  let failure = null;
  await joinPublicRoom(listed, { onError: (error) => (failure = error) });
  if (failure) throw failure;
  return null;
}

/// The room header's Leave, with its confirmation and its rules (an owner hands the room over first).
async function leaveRoom() {
  const leave = $("leave-room");
  if (leave.hidden) throw new Error(state.rooms.get(state.room.id)?.kind === "dm" ? "A conversation is closed, not left." : "The owner hands the room over before leaving it.");
  leave.click();
  return null;
}

async function invite(typed) {
  const room = state.rooms.get(state.room.id);
  if (room?.kind !== "group") throw new Error("People are added to private groups; anyone joins a public room.");
  const username = typed.replace(/^@/u, "").split(/\s/u)[0];
  const { users } = await Rooms.searchUsers(username, 10);
  const user = users.find((found) => found.username.toLowerCase() === username.toLowerCase());
  if (!user) throw new Error(`Nobody is called @${username}.`);
  if (state.room.members.has(user.id)) return `@${user.username} is in ${room.name} already.`;
  await actions.addMember(room.id, user.id);
  return `Added @${user.username}.`;
}

async function search(words) {
  openSearch();
  const input = $("search-input");
  input.value = words;
  input.dispatchEvent(new Event("input"));
  return null;
}

/// Shows what a command said, if anything.
function tell(note) {
  if (note) toast(note, { kind: "info", ms: 3000 });
}
