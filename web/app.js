// Parley in the browser: checks the session, wires the views to the state, the actions and the
// live stream, and routes `#room/<id>` to the open room (so a reload reopens it).
import * as actions from "/actions.js";
import { ApiError, onAccountChanged, onMuted, onRecipientDeactivated, onRoomArchived, onSessionLost, Session, setSession } from "/api.js";
import { $ } from "/dom.js";
import { EventStream } from "/events.js";
import { handleEvent } from "/live.js";
import { askPermissionOnFirstClick } from "/notify.js";
import * as store from "/state.js";
import { bindThemeToggle } from "/theme.js";
import { initAdmin } from "/views/admin.js";
import { initAnnouncer } from "/views/announce.js";
import { initAuth, showAuth, showLogin } from "/views/auth.js";
import { clearDrafts, startEdit, startReply, initComposer } from "/views/composer.js";
import { clearThreadDrafts } from "/views/threaddrafts.js";
import { confirmDialog, initDialogs } from "/views/dialogs.js";
import { initViewer } from "/views/viewer.js";
import { initMembers, setMembersOpen, toggleMembers } from "/views/members.js";
import { initModeration, openModeration } from "/views/moderation.js";
import { initProfile, openProfile } from "/views/profile.js";
import {
  initRoomDialogs, openBrowseDialog, openDMDialog, openNotifyDialog, openRoomDialog, openRoomSettings, previewPublicRoom, unarchiveRoom,
} from "/views/roomdialogs.js";
import { initRoomHead } from "/views/roomhead.js";
import { initInvites, openInvite } from "/views/invites.js";
import { initWebhooks } from "/views/webhooks.js";
import { initPeople, openPerson } from "/views/people.js";
import { initReset, openReset, resetInHash } from "/views/reset.js";
import { initActivity } from "/views/activity.js";
import { initReports, openRoomReport } from "/views/reports.js";
import { forgetRecentEmoji, initEmojiPicker } from "/views/emojipicker.js";
import { initSaved } from "/views/saved.js";
import { initPins } from "/views/pins.js";
import { initThreads } from "/views/threads.js";
import { initDrafts } from "/views/drafts.js";
import { initFiles } from "/views/files.js";
import { initScheduled } from "/views/scheduled.js";
import { initForward } from "/views/forward.js";
import { initPolls } from "/views/polls.js";
import { initPreviews } from "/views/previews.js";
import { initDnd } from "/views/dnd.js";
import { initEmojis } from "/views/emojis.js";
import { initUserGroups } from "/views/usergroups.js";
import { initSearch } from "/views/search.js";
import { initSwitcher } from "/views/switcher.js";
import { initSidebar } from "/views/sidebar.js";
import { closeThread, initThread, openThread } from "/views/thread.js";
import { initTimeline, jumpTo, jumpToTime } from "/views/timeline.js";
import { initJumpDate } from "/views/jumpdate.js";
import { initCommands } from "/views/commands.js";
import { initToasts, toast, toastError } from "/views/toast.js";
import { initTyping } from "/views/typing.js";

const NOTICE_KEY = "parley.notice";
const USER_KEY = "parley.user";
const SWITCHED_KEY = "parley.switched";
let stream = null;
let entered = false;

function initViews() {
  bindThemeToggle($("theme-toggle"));
  // The skip link focuses the box without a history entry of its own (Back went to "#composer-text"
  // instead of the room before, a hunt); a read-only room's box takes no focus, so its messages do.
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    const box = $("composer-text");
    if (box.disabled) $("messages").querySelector("li[tabindex='0']")?.focus();
    else box.focus();
  });
  initDialogs();
  initToasts();
  initViewer();
  initAuth(enter);
  initSidebar({
    onNewRoom: () => openRoomDialog("public"),
    onNewGroup: () => openRoomDialog("group"),
    onNewDM: () => openDMDialog(),
    onBrowse: openBrowseDialog,
    onLogout: logout,
    onProfile: openProfile,
    onCloseDM: closeDM,
  });
  // The member panel and the thread take the same place beside the room: one at a time.
  const toggleMembersAlone = () => {
    closeThread({ refocus: false });
    toggleMembers();
  };
  initRoomHead({ onSettings: openRoomSettings, onLeave: leaveOpenRoom, onToggleMembers: toggleMembersAlone, onNotifications: openNotifyDialog });
  initTimeline({ onReply: startReply, onEdit: startEdit, onPerson: openPerson, onThread: openThread });
  initThread({
    onPerson: openPerson,
    onJump: jumpTo,
    onEdit: startEdit,
    beforeOpen: () => {
      if (!$("members-panel").hidden) setMembersOpen(false);
    },
  });
  store.on("thread", followThreadInAddress);
  store.on("rooms", reopenIfMineAgain);
  $("jump-latest").addEventListener("click", forgetMessageInAddress);
  initComposer({ onUnarchive: () => unarchiveRoom(state().rooms.get(state().room?.id)) });
  initTyping();
  initAnnouncer();
  initMembers({ onModeration: openModeration, onAddPeople: openDMDialog, onReportRoom: openRoomReport });
  initModeration();
  initProfile({ deactivated: () => endSession("Your account was deactivated.") });
  initRoomDialogs({ onNavigate: navigate });
  initSearch({ onNavigate: navigate });
  initCommands({ onNavigate: navigate });
  initJumpDate({ onJump: jumpToTime });
  initSwitcher({ onNavigate: navigate });
  initSaved({ onNavigate: navigate });
  initPins({ onNavigate: navigate });
  initReports({ onNavigate: navigate, onPerson: openPerson });
  initEmojiPicker();
  initThreads({ onNavigate: navigate, onOpenThread: openThread });
  initDrafts({ onNavigate: navigate });
  initFiles({ onNavigate: navigate });
  initScheduled();
  initForward();
  initPolls();
  initPreviews();
  initDnd();
  initEmojis();
  initUserGroups();
  initActivity({ onNavigate: navigate });
  initInvites({ onNavigate: navigate });
  initWebhooks();
  initPeople({ onNavigate: navigate });
  initAdmin();
  initReset({ onDone: passwordWasReset });
}

/// After a reset link set `username`'s password: log in with it (my own sessions have ended).
function passwordWasReset(username) {
  const notice = "Your new password is set. Log in with it.";
  if (!entered) showLogin(username, notice);
  else if (state().me?.username === username) endSession(notice);
  else toast(`The password of @${username} is set.`, { kind: "info" });
}

async function start() {
  initViews();
  onSessionLost(sessionLost);
  onAccountChanged(accountChanged);
  // Refused because a room is archived: this client had not heard yet, so its rooms are read again
  // (the room turns read-only here too).
  onRoomArchived(refreshArchived);
  // The DM's member list says the other person is deactivated, and the composer goes read-only.
  onRecipientDeactivated(() => entered && actions.loadPeople().catch(() => {}));
  // Refused because I am muted in a room (muted before this client loaded): its box says so, and
  // until when.
  // (A forward is refused for its destination, named in its body, not for the message's room.)
  onMuted((path, until, body) => {
    const roomId = /^\/api\/messages\/\d+\/forward$/.test(path) ? body?.room_id
      : Number(path.match(/^\/api\/rooms\/(\d+)\//)?.[1]) || roomOfMessage(Number(path.match(/^\/api\/messages\/(\d+)(?:\/|$)/)?.[1]));
    if (roomId && store.state.mutedIn.get(roomId) !== until) store.setMuted(roomId, true, until);
  });
  // A reset link works whether or not anyone is logged in here.
  const reset = resetInHash();
  if (reset) openReset(reset);
  for (let attempt = 0; ; attempt++) {
    try {
      await enter(await Session.current());
      return;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        const notice = sessionStorage.getItem(NOTICE_KEY) ?? "";
        sessionStorage.removeItem(NOTICE_KEY);
        showAuth(notice);
        return;
      }
      // Server unreachable: keep trying rather than show a login form that cannot work.
      $("boot").textContent = "Cannot reach Parley. Retrying…";
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1000 * 2 ** attempt)));
    }
  }
}

/// Shows the chat for a session (`{user, csrf_token}`), from a reload or a fresh login.
async function enter(session) {
  if (entered) return;
  entered = true;
  const { user } = session;
  setSession(session);
  // A cursor from another account's session in this tab means nothing to this one.
  if (sessionStorage.getItem(USER_KEY) !== String(user.id)) EventStream.clearCursor();
  sessionStorage.setItem(USER_KEY, String(user.id));
  // A notice left for a login form that never showed (the session still worked) says nothing now.
  sessionStorage.removeItem(NOTICE_KEY);
  const switched = sessionStorage.getItem(SWITCHED_KEY);
  sessionStorage.removeItem(SWITCHED_KEY);
  if (switched) toast(switched, { kind: "info", ms: 10_000 });
  store.setMe(user);
  $("boot").hidden = true;
  $("auth").hidden = true;
  // (Hidden on the login form, where there is no message box to skip to.)
  document.querySelector(".skip-link").hidden = false;
  $("chat").hidden = false;

  stream = new EventStream({
    onEvent: (event) => handleEvent(event, { onDeactivated: deactivated }),
    onState: (status) => {
      store.setConnection(status);
      if (status === "live") actions.flushOutbox();
    },
    onSessionLost: sessionLost,
  });
  await stream.prime();
  await loadRoomsUntilDone();
  // Who I blocked decides how their messages show; a failure here shows them as usual.
  await actions.loadBlocks().catch(() => {});
  // The site's custom emoji draw in messages as they load; until then, their names show.
  actions.loadCustomEmoji().catch(() => {});
  // Whether I may create public rooms and add custom emoji follows the site's settings.
  actions.loadSiteSettings().catch(() => {});
  // Typing "@" offers the site's user groups too.
  actions.loadUserGroups().catch(() => {});
  // My scheduled messages show above the message box of their rooms.
  actions.loadScheduled().catch(() => {});
  // My status shows beside my name (the session does not carry it).
  actions.loadMyStatus().catch(() => {});
  // My keywords count as mentioning me in new messages.
  actions.loadKeywords().catch(() => {});
  // What notified me while I was away shows as a dot on the activity button.
  actions.loadActivity().catch(() => {});
  actions.loadThreads().catch(() => {});
  actions.startOutbox(user.id);
  stream.start();

  window.addEventListener("hashchange", () => openFromHash());
  document.addEventListener("visibilitychange", actions.tabVisibilityChanged);
  actions.announcePresence();
  askPermissionOnFirstClick();
  const saved = Number(localStorage.getItem(`parley.room.${user.id}`));
  const fallback = state().rooms.has(saved) ? saved : defaultRoom();
  if (!(await openFromHash()) && fallback) navigate(fallback, { replace: true });
}

const state = () => store.state;

/// The room of a message this client shows (in the open room or its thread), or null.
function roomOfMessage(id) {
  const thread = state().thread;
  const message = state().room?.messages.get(id) ?? (thread?.rootId === id ? thread.root : thread?.replies.get(id));
  return message?.room_id ?? null;
}

/// The room that closed under me (I left, was kicked or removed elsewhere) and is one of mine again
/// (rejoined, added back): it opens again where it still shows.
function reopenIfMineAgain() {
  const room = state().room;
  if (room?.closed && room.closed !== "deleted" && state().rooms.has(room.id)) actions.openRoom(room.id).catch(toastError);
}

let refreshing = null;
function refreshArchived() {
  if (!entered || refreshing) return;
  refreshing = actions.loadRooms().catch(() => {}).finally(() => {
    refreshing = null;
  });
}

async function loadRoomsUntilDone() {
  for (let attempt = 0; ; attempt++) {
    try {
      await actions.loadRooms();
      return;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1000 * 2 ** attempt)));
    }
  }
}

function defaultRoom() {
  const rooms = [...state().rooms.values()];
  return (rooms.find((room) => room.kind === "public" && room.name === "main") ?? rooms[0])?.id ?? null;
}

/// The room (and message or thread) in the address: `#room/<id>`, a message's link
/// `#room/<id>/message/<id>`, or a room with a thread open `#room/<id>/thread/<root id>`.
function inHash() {
  const match = /^#room\/(\d+)(?:\/(message|thread)\/(\d+))?$/.exec(location.hash);
  const id = Number(match?.[1]) || null;
  const at = Number(match?.[3]) || null;
  return { id, message: match?.[2] === "message" ? at : null, thread: match?.[2] === "thread" ? at : null };
}

/// The address follows the open thread, so a reload (or a copied address) opens it again; closing
/// it, or jumping back to the latest messages, leaves just the room (a reload then opens at the
/// bottom, not at the message a link once named).
function followThreadInAddress({ changed } = {}) {
  const room = state().room?.id;
  const thread = state().thread;
  if (changed === "opened" && thread && thread.roomId === room) {
    history.replaceState(null, "", `#room/${room}/thread/${thread.rootId}`);
  } else if (changed === "closed" && room && inHash().id === room && inHash().thread !== null) {
    history.replaceState(null, "", `#room/${room}`);
  }
}

function forgetMessageInAddress() {
  const room = state().room?.id;
  if (room && inHash().id === room && inHash().message !== null) history.replaceState(null, "", `#room/${room}`);
}

/// Opens the room named in the address, if it is one of mine, scrolled to the message if one is
/// named; false if there is none to open.
async function openFromHash() {
  const invite = /^#invite\/([0-9a-f]{32})$/.exec(location.hash)?.[1];
  if (invite) {
    openInvite(invite);
    return false;
  }
  const reset = resetInHash();
  if (reset) {
    if (!$("reset-dialog").open) openReset(reset);
    return false;
  }
  const { id, message, thread } = inHash();
  if (id === null) return false;
  if (!state().rooms.has(id)) {
    await actions.loadRooms().catch(() => {});
    if (!state().rooms.has(id)) {
      // A link to a public room I am not in shows its preview, over the room I was reading.
      const listed = state().directory.find((room) => room.id === id);
      if (listed) previewPublicRoom(listed);
      const fallback = state().room && !state().room.closed ? state().room.id : defaultRoom();
      if (fallback && fallback !== id) history.replaceState(null, "", `#room/${fallback}`);
      if (fallback && state().room?.id !== fallback) await actions.openRoom(fallback).catch(toastError);
      return fallback !== null;
    }
  }
  if (state().room?.id !== id || state().room.closed) await actions.openRoom(id).catch(toastError);
  const at = message ?? (thread !== null && state().thread?.rootId !== thread ? thread : null);
  if (at !== null) {
    for (let waited = 0; waited < 10_000 && state().room?.id === id && !state().room.loaded; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (state().room?.id === id) await jumpTo(at);
    // A thread in the address opens beside its first message (if that is still there to open). A
    // deleted one with replies opens too, as its "N replies" link in the timeline does.
    const root = thread !== null && state().room?.id === id ? state().room.messages.get(thread) : undefined;
    if (root && (!root.deleted || root.reply_count > 0)) openThread(root);
    else if (thread !== null && state().room?.id === id) history.replaceState(null, "", `#room/${id}`);
  }
  return true;
}

/// Shows room `id` (its address becomes `#room/<id>`, so back/forward and reloads follow), at
/// `message` if given.
export function navigate(id, { replace = false, message = null } = {}) {
  const hash = message ? `#room/${id}/message/${message}` : `#room/${id}`;
  if (location.hash === hash) {
    openFromHash();
  } else if (replace) {
    history.replaceState(null, "", hash);
    openFromHash();
  } else {
    location.hash = hash;
  }
}

/// Closes a DM in my list; if it is the one open, the default room opens instead.
async function closeDM(id) {
  // The conversation's × had the focus (from the keyboard): it goes to the next one's (or the one
  // before's) once the list is drawn without it, not to the top of the page (a hunt).
  const item = document.querySelector(`#dm-list .room-close[data-room="${id}"]`)?.closest("li");
  const had = item?.contains(document.activeElement);
  const neighbour = (item?.nextElementSibling ?? item?.previousElementSibling)?.querySelector("a.room-link")?.dataset.room;
  try {
    await actions.closeConversation(id);
    if (state().room?.id === id) {
      const next = defaultRoom();
      if (next) navigate(next);
    } else if (had && neighbour && (document.activeElement === document.body || !document.activeElement)) {
      const row = document.querySelector(`#sidebar a.room-link[data-room="${neighbour}"]`)?.closest("li");
      (row?.querySelector(".room-close") ?? row?.querySelector("a.room-link"))?.focus();
    }
  } catch (error) {
    toastError(error);
  }
}

async function leaveOpenRoom() {
  const room = state().rooms.get(state().room?.id);
  if (!room) return;
  const answer = await confirmDialog({ title: `Leave ${room.name}?`, message: room.kind === "group" ? "You will need to be added again to come back." : "", confirm: "Leave" });
  if (answer === null) return;
  try {
    await actions.leave(room.id);
    const next = defaultRoom();
    if (next) navigate(next);
  } catch (error) {
    toastError(error);
  }
}

async function logout() {
  stream?.stop();
  // The tab hides as the page goes: it reports nothing more with the session about to end.
  document.removeEventListener("visibilitychange", actions.tabVisibilityChanged);
  // On a shared computer the next person finds nothing of mine here: no unsent messages (nor are
  // they sent at my next login), no drafts, no recent emoji. (The theme is the browser's, not mine.)
  if (state().me) {
    actions.forgetLocalData(state().me.id);
    clearDrafts(state().me.id);
    clearThreadDrafts(state().me.id);
  }
  forgetRecentEmoji();
  await Session.logout().catch(() => {});
  EventStream.clearCursor();
  sessionStorage.removeItem(USER_KEY);
  location.replace(location.pathname);
}

/// An `account.deactivated` came and the server has not yet said whether it ended this session.
let deactivation = false;

/// `account.deactivated` came: the session ended with it, unless this is a replay from a cursor
/// older than a reactivation and a new login (a tab kept its cursor across them: it then logged
/// itself out, saying the account was deactivated). The server says which: its 401 (to this
/// question, or to the stream's next request, whichever comes first) ends the session as a
/// deactivation, not as any ended session.
function deactivated() {
  deactivation = true;
  Session.current().then(
    () => {
      deactivation = false;
    },
    (error) => {
      if (error instanceof ApiError && error.status === 401) sessionLost();
    },
  );
}

/// Another tab of this browser logged in as someone else, so this page's cookie is theirs now: it
/// starts over as that account (saying so), rather than go on showing one person while acting as
/// another. What this account left here stays (its session may still be valid).
function accountChanged(user) {
  if (!entered) return;
  entered = false;
  stream?.stop();
  sessionStorage.setItem(SWITCHED_KEY, `Another tab logged in as @${user.username}: this one now shows that account.`);
  location.replace(location.pathname);
}

function sessionLost() {
  endSession(deactivation ? "Your account was deactivated." : "Your session has ended. Please log in again.");
}

/// The session is gone: start over at the login form, saying why.
function endSession(message) {
  if (!entered) return;
  entered = false;
  stream?.stop();
  document.removeEventListener("visibilitychange", actions.tabVisibilityChanged);
  // Revoking a session is what one does for a lost or shared computer: what was typed here leaves
  // it, as at logout (drafts are on the server too; unsent messages are not kept to be sent later).
  // Those unsent are said to be gone (a hunt: they went without a word).
  const unsent = actions.unsentCount();
  if (unsent > 0) message += ` ${unsent === 1 ? "1 message waiting to be sent was" : `${unsent} messages waiting to be sent were`} discarded.`;
  if (state().me) {
    actions.forgetLocalData(state().me.id);
    clearDrafts(state().me.id);
    clearThreadDrafts(state().me.id);
  }
  sessionStorage.setItem(NOTICE_KEY, message);
  location.replace(location.pathname);
}

start();
