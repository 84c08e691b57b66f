// Applies the server's events to the client's state: each event type in one place, so new kinds
// (typing, presence, receipts, notifications, moderation…) slot in as a case here.
import * as actions from "/actions.js";
import { notify } from "/notify.js";
import * as store from "/state.js";
import { formatFull, roomLabel } from "/format.js";
import { toast } from "/views/toast.js";

const { state } = store;

/// What happens when the server ends my membership of a room, by event type.
const CLOSED_BY = { "member.left": "left", "member.removed": "removed", "member.kicked": "kicked", "member.banned": "banned" };

let expiredTimer = null;
let deletedTimer = null;

export function handleEvent(event, { onDeactivated } = {}) {
  const data = event.data ?? {};
  switch (event.type) {
    case "message.created":
    case "message.edited":
    case "message.deleted": {
      const message = data.message;
      actions.settlePending(message);
      // A sender renamed since the member list was loaded: their new name shows everywhere.
      const known = state.room?.members.get(message.sender.id);
      if (known && known.user.display_name !== message.sender.display_name) store.renameUser(message.sender);
      const isNew = store.upsertMessage(message);
      // Every message event, loaded in the open room or not (the room's files list keeps in step).
      store.emit("roomMessage", { type: event.type, message });
      // A new message shows a DM I closed again (the server's room list says the same), but not one
      // from someone I blocked.
      if (event.type === "message.created" && !state.blocked.has(message.sender.id)) store.setClosed(message.room_id, false);
      // A reply's event says how many replies its root has now.
      if (data.thread) store.setReplyCount(message.room_id, data.thread.root_id, data.thread.reply_count);
      // My own reply moves its thread to the top of my list (I follow it now).
      if (event.type === "message.created" && message.reply_to && message.sender.id === state.me.id) actions.refreshThreads();
      // A reply deleted may have been an unread one, or the latest of a thread listed.
      if (event.type === "message.deleted" && message.reply_to && store.threads.entries.length > 0) actions.refreshThreads();
      // A mention taken back leaves my activity list.
      if (event.type === "message.deleted") store.dropActivityOf(message.id);
      // A new reply past the open thread's loaded pages (mine, or anyone's) shows at its end: the
      // pages up to it load.
      const beyond = store.threadMessage(message);
      if (beyond && event.type === "message.created") actions.loadThreadThrough(message.id).catch(() => {});
      // The pinned bar shows a pinned message as it is now.
      if (event.type !== "message.created" && store.isOpen(message.room_id) && state.room.pins.some((pin) => pin.message.id === message.id)) {
        actions.loadPins(message.room_id);
      }
      // A message deleted in another room may have been an unread one, or a mention; an unread one
      // edited may mention me now, or no longer: the room list's counts are read again (once for a
      // burst of them), as a reload would show them. So too in the open room while it counts unread
      // ones (marked unread from here or another device, or come while the tab was hidden): the
      // timeline does not adjust the count for a message it already had.
      const listed = state.rooms.get(message.room_id);
      const unreadEdit = event.type === "message.edited" && listed?.unread_count > 0 && message.id > (listed.read_up_to ?? 0);
      const countedDeletion = event.type === "message.deleted" && listed && (!store.isOpen(message.room_id) || listed.unread_count > 0);
      if ((countedDeletion || unreadEdit) && message.sender.id !== state.me.id) {
        clearTimeout(deletedTimer);
        deletedTimer = setTimeout(() => actions.loadRooms().catch(() => {}), 300);
      }
      if (store.isOpen(message.room_id)) {
        if (isNew === "beyond") {
          // Past the window far back that is open (a message link, a date, a search result): not
          // shown, so not seen; counted, as in a room not open (a hunt: it was counted nowhere).
          if (event.type === "message.created") {
            store.setTyping(message.room_id, message.sender, false);
            store.countUnseen(message);
          }
        } else if (isNew) {
          store.setTyping(message.room_id, message.sender, false);
          if (event.type === "message.created") {
            // Away (the tab hidden), or the reader is further up: it waits for them under the "New"
            // line (the timeline drew it, and scrolled to it if they were at the bottom).
            if (document.hidden || state.room.keepUnread || !store.hasSeen(message)) store.countUnseen(message);
          }
          actions.markRead();
        }
      } else if (event.type === "message.created") {
        // A room not in my list yet (a DM just opened, whose list is still loading) is loaded again:
        // a list read after this message counts it, where one read before it may not.
        if (state.rooms.has(message.room_id)) store.countUnread(message);
        else actions.loadRooms().catch(() => {});
      }
      break;
    }
    case "typing":
      store.setTyping(data.room_id, data.user, data.typing, data.expires_in_ms, data.thread_id ?? null);
      break;
    case "user.updated":
      if (data.user.id === state.me.id) store.setMe({ ...state.me, ...data.user });
      store.renameUser(data.user);
      // Present only when the time zone changed.
      if ("time_zone" in data) store.setTimeZone(data.user.id, data.time_zone);
      // Deactivated or back: the open room's member list (and a DM's composer) follows.
      if ("deactivated" in data) actions.loadPeople().catch(() => {});
      break;
    case "user.status":
      store.setStatus(data.user.id, data.status);
      break;
    case "presence":
      store.renameUser(data.user);
      store.setPresence(data.user.id, data.status);
      break;
    case "presence.chosen":
      // Chosen on another device of mine: this one shows it; back to automatic, it reports itself.
      store.setPresenceChoice(data.choice);
      if (!data.choice) actions.announcePresence();
      break;
    case "receipt":
      store.setReceipt(data.room_id, data.user, data.delivered_up_to, data.read_up_to);
      break;
    case "read_marker":
      store.setUnread(data.room_id, data);
      // Reading a room reads the replies in it: threads with unread replies may have none now.
      if (store.threads.unread > 0) actions.refreshThreads();
      break;
    case "notification":
      store.addNotification(data.notification);
      notify(data.notification);
      break;
    case "reaction.added":
    case "reaction.removed":
      store.setReactions(data.room_id, data.message_id, data.reactions, {
        fromEvent: true,
        change: { userId: data.user.id, emoji: data.emoji, added: event.type === "reaction.added" },
      });
      break;
    case "messages.expired":
      store.expireMessages(data.room_id, data.up_to);
      // Counts and lists that may have held them: unread badges, pins, followed threads. A sweep
      // tells every room it touched at once: one reload of the room list for all of them.
      clearTimeout(expiredTimer);
      expiredTimer = setTimeout(() => actions.loadRooms().catch(() => {}), 300);
      if (store.isOpen(data.room_id)) actions.loadPins(data.room_id);
      actions.refreshThreads();
      break;
    case "pinned":
    case "unpinned":
      if (store.isOpen(data.room_id)) actions.loadPins(data.room_id);
      break;
    case "member.joined":
    case "member.added":
    case "member.unbanned":
      if (event.type === "member.unbanned") store.emit("moderation", { roomId: data.room_id });
      else store.emit("joined", { roomId: data.room_id });
      if (data.user?.id === state.me.id) actions.loadRooms();
      if (store.isOpen(data.room_id)) actions.loadPeople(data.room_id);
      break;
    case "member.left":
    case "member.removed":
    case "member.kicked":
    case "member.banned":
      if (event.type === "member.banned") store.emit("moderation", { roomId: data.room_id });
      if (data.user?.id === state.me.id) {
        // What the moderator gave: the reason, and how long a ban lasts (it said neither, a hunt).
        const why = [data.until ? `Until ${formatFull(new Date(data.until))}.` : "", data.reason ? `Reason: “${data.reason}”` : ""]
          .filter(Boolean).join(" ") || null;
        const room = state.rooms.get(data.room_id);
        if (store.isOpen(data.room_id)) store.closeRoomState(CLOSED_BY[event.type], why);
        // Out of a room not open: it left the list without a word (a hunt).
        else if (event.type !== "member.left" && room) {
          const what = event.type === "member.banned" ? "You were banned from" : "You were removed from";
          toast(`${what} ${roomLabel(room)}.${why ? ` ${why}` : ""}`, { kind: "info", ms: 10000 });
        }
        store.removeRoom(data.room_id);
        actions.loadRooms();
        actions.refreshThreads();
      } else if (store.isOpen(data.room_id)) {
        actions.loadPeople(data.room_id);
      }
      break;
    case "member.role_changed":
    case "member.muted":
    case "member.unmuted":
      if (event.type !== "member.role_changed") store.emit("moderation", { roomId: data.room_id });
      if (event.type !== "member.role_changed" && data.user?.id === state.me.id) {
        store.heardEvent(`mute:${data.room_id}`);
        store.setMuted(data.room_id, event.type === "member.muted", data.until ?? null);
      }
      if (data.user?.id === state.me.id && data.role) {
        const room = state.rooms.get(data.room_id);
        if (room) store.mergeRoom({ ...room, my_role: data.role });
      }
      if (store.isOpen(data.room_id)) actions.loadPeople(data.room_id);
      break;
    case "room.updated":
      // Renamed, its topic or posting rule changed, archived or unarchived (`archived_at`): the
      // sidebar, the open room's message box and its messages' actions follow at once.
      store.heardEvent(`room:${data.room.id}`);
      store.mergeRoom(data.room);
      break;
    case "room.deleted":
      if (store.isOpen(data.room_id)) store.closeRoomState("deleted");
      store.removeRoom(data.room_id);
      actions.loadRooms();
      break;
    case "directory.changed":
      // `room` null: gone from the directory (deleted, or archived).
      store.setDirectoryRoom(data.room_id, data.room);
      break;
    case "room.created":
    case "dm.opened":
      actions.loadRooms();
      break;
    case "account.deactivated":
      onDeactivated?.();
      break;
    case "room.starred":
    case "room.unstarred":
      store.setStarred(data.room_id, event.type === "room.starred");
      break;
    case "room.notification_level":
      // Chosen on another of my devices.
      store.setNotifyLevel(data.room_id, data.level);
      break;
    case "room.closed":
    case "room.reopened":
      store.setClosed(data.room_id, event.type === "room.closed");
      break;
    case "thread.followed":
    case "thread.unfollowed":
      // Followed or unfollowed on another device of mine: the open thread's button follows.
      store.setThreadFollowing(data.message_id, data.following);
      actions.refreshThreads();
      break;
    case "thread.replied":
      // Someone else replied in a thread I follow; or I read one somewhere: the Threads list and its count.
      if (state.thread?.rootId === data.root_id) actions.readOpenThread();
      actions.refreshThreads();
      break;
    case "thread.read":
      actions.refreshThreads();
      break;
    case "report.created":
    case "report.resolved":
      // A report I may act on was made or settled (by me elsewhere, or by someone else).
      store.emit("reports");
      break;
    case "report.message_edited":
      // A reported message of a room I am not in was edited: an open list shows what it says now.
      store.emit("reported-edit", data);
      break;
    case "report.outcome":
      // A report I made was dismissed or its message deleted (by someone else).
      store.emit("report-outcome", data.report);
      break;
    case "saved.added":
    case "saved.removed":
      // Saved or unsaved in another tab or device of mine.
      store.setSaved(data.message_id, event.type === "saved.added");
      break;
    case "poll.voted":
      store.notePollEvent(data.message_id);
      // My own vote from a moment ago: the choices I have asked for since stay shown.
      store.setPoll(data.room_id, data.message_id, data.poll, data.user.id === state.me.id ? (actions.wantedVotes(data.message_id) ?? data.votes) : null);
      break;
    case "poll.closed":
      store.notePollEvent(data.message_id);
      store.setPoll(data.room_id, data.message_id, data.poll);
      break;
    case "message.previews":
      // The server fetched the pages a message links to (after it was posted or edited).
      store.setPreviews(data.room_id, data.message_id, data.previews ?? []);
      break;
    case "reminder.set":
    case "reminder.removed":
      // Set, cancelled or come due, here or on another device of mine: lists showing them reload.
      store.emit("reminders");
      break;
    case "user.dnd":
      // Paused or resumed, by me on another device or by someone I share a room with.
      store.setUserDnd(data.user?.id ?? store.state.me.id, data.dnd_until);
      break;
    case "notifications.seen":
      // Looked at on another device of mine: the same ones stop being new here.
      store.setActivitySeen(data.notifications_seen_id);
      break;
    case "scheduled.saved":
      store.putScheduled(data.scheduled);
      break;
    case "scheduled.removed":
      // Sent (its message arrives as message.created) or deleted, here or in another tab.
      store.dropScheduled(data.id);
      break;
    case "emoji.added":
      store.addedCustomEmoji(data.emoji);
      break;
    case "emoji.removed":
      store.removedCustomEmoji(data.name);
      break;
    case "settings.updated":
      store.heardEvent("site");
      store.setSiteSettings(data.settings);
      break;
    case "draft.saved":
    case "draft.removed":
      // A draft of mine saved or deleted on one of my devices: the message box follows (composer.js).
      store.emit("draft", { type: event.type, data, at: event.created_at });
      break;
    case "preferences.updated":
      // Changed on another device of mine: link previews show or hide, keywords count, emoji take the tone, at once.
      store.setShowLinkPreviews(data.show_link_previews);
      store.setSkinTone(data.skin_tone);
      store.setKeywords(data.keywords);
      break;
    case "user_group.updated":
      store.putUserGroup(data.group);
      break;
    case "user_group.deleted":
      store.dropUserGroup(data.group_id);
      break;
    case "account.site_role_changed":
      // A site admin made me one, or took it back: the admin tools show or hide at once.
      if (data.user_id === state.me.id) store.setMe({ ...state.me, site_role: data.site_role });
      break;
    case "user.blocked":
    case "user.unblocked":
      // Blocked or unblocked from another tab or device of mine.
      store.setBlock(data.user.id, event.type === "user.blocked");
      actions.refreshThreads();
      // The server counts their messages as unread no more (or again): the badges follow its counts.
      actions.loadRooms().catch(() => {});
      break;
    case "resync":
      // The cursor was too old: what the log no longer holds comes back through REST.
      actions.loadRooms().then(() => state.room && !state.room.closed && actions.openRoom(state.room.id));
      actions.loadBlocks().catch(() => {});
      actions.loadScheduled().catch(() => {});
      actions.loadCustomEmoji().catch(() => {});
      actions.loadSiteSettings().catch(() => {});
      actions.loadUserGroups().catch(() => {});
      actions.refreshThreads();
      break;
  }
}

