import Foundation
import MariaDB
import NIOCore

/// One entry of the event log, with its JSON rendered once for every transport and subscriber. A
/// class: the hub hands one event to every subscriber, and a reference costs one retain where a
/// struct's four buffers cost four.
public final class LoggedEvent: Sendable {
    public let id: Int64
    public let type: String
    /// The room whose members receive it, if any.
    public let roomID: Int64?
    /// The one user who receives it (besides the room's members), if any.
    public let userID: Int64?
    /// The user whose membership of `roomID` this event starts or ends.
    public let subjectID: Int64?
    public let createdAt: Date
    /// `{"id":…,"type":…,"room_id":…,"user_id":…,"created_at":…,"data":{…}}`.
    public let json: String
    /// The event as one SSE frame (`id:`, `event:`, `data:`), rendered once for every subscriber.
    let sseFrame: ByteBuffer
    /// The frame as one HTTP/1.1 chunk (size line, frame, CRLF): what an SSE stream writes to its
    /// socket, rendered once for every subscriber.
    let sseChunk: ByteBuffer
    /// For `message.created`: the message and its sender (read once here, used for delivery receipts).
    let message: (id: Int64, sender: Int64)?

    /// - Parameter message: for `message.created`, the message and its sender when the caller knows
    ///   them (else they are read from the payload).
    init(
        id: Int64, type: String, roomID: Int64?, userID: Int64?, subjectID: Int64?, createdAt: Date, payload: String,
        message: (id: Int64, sender: Int64)? = nil
    ) {
        self.id = id
        self.type = type
        self.roomID = roomID
        self.userID = userID
        self.subjectID = subjectID
        self.createdAt = createdAt
        self.message = type == EventType.messageCreated ? message ?? Self.messageReference(payload) : nil
        let json = #"{"id":\#(id),"type":"\#(type)","room_id":\#(roomID.map(String.init) ?? "null"),"user_id":\#(userID.map(String.init) ?? "null"),"created_at":"\#(ParleyJSON.timestamp(createdAt))","data":\#(payload)}"#
        self.json = json
        let frame = "id: \(id)\nevent: \(type)\ndata: \(json)\n\n"
        self.sseFrame = ByteBuffer(string: frame)
        self.sseChunk = ByteBuffer(string: String(frame.utf8.count, radix: 16) + "\r\n" + frame + "\r\n")
    }

    convenience init(row: MariaDBRow) throws {
        self.init(
            id: try row.decode("id"), type: try row.decode("type"), roomID: try row.decode("room_id"), userID: try row.decode("user_id"),
            subjectID: try row.decode("subject_id"), createdAt: try row.decode("created_at"), payload: try row.decode("payload"))
    }

    private struct MessageReference: Decodable {
        struct Message: Decodable {
            struct Sender: Decodable { let id: Int64 }
            let id: Int64
            let sender: Sender
        }
        let message: Message
    }

    private static func messageReference(_ payload: String) -> (id: Int64, sender: Int64)? {
        guard let reference = try? JSONDecoder().decode(MessageReference.self, from: Data(payload.utf8)) else { return nil }
        return (reference.message.id, reference.message.sender.id)
    }

    static let columns = "id, type, room_id, user_id, subject_id, created_at, payload"
}

/// The event types clients receive (see openapi.yaml, "Events").
public enum EventType {
    public static let messageCreated = "message.created"
    public static let messageEdited = "message.edited"
    public static let messageDeleted = "message.deleted"
    /// The site's retention deleted a room's oldest messages, up to an id: to the room.
    public static let messagesExpired = "messages.expired"
    public static let memberJoined = "member.joined"
    public static let memberLeft = "member.left"
    public static let memberAdded = "member.added"
    public static let memberRemoved = "member.removed"
    public static let roomCreated = "room.created"
    public static let roomUpdated = "room.updated"
    public static let roomDeleted = "room.deleted"
    public static let dmOpened = "dm.opened"
    /// A public room appeared in, changed in or left the directory: to everyone.
    public static let directoryChanged = "directory.changed"
    /// A custom emoji added or deleted: to everyone.
    public static let emojiAdded = "emoji.added"
    public static let emojiRemoved = "emoji.removed"
    /// A site admin changed the site's settings: to everyone.
    public static let settingsUpdated = "settings.updated"
    /// A user group made or changed (name, description, members), or deleted: to everyone.
    public static let userGroupUpdated = "user_group.updated"
    public static let userGroupDeleted = "user_group.deleted"
    /// A draft of mine saved or deleted: to my own clients.
    public static let draftSaved = "draft.saved"
    public static let draftRemoved = "draft.removed"
    /// My preferences (read receipts, link previews, keywords) changed: to my own clients.
    public static let preferencesUpdated = "preferences.updated"
    /// I followed or unfollowed a thread: to my own clients.
    public static let threadFollowed = "thread.followed"
    public static let threadUnfollowed = "thread.unfollowed"
    /// A new reply in a thread I follow (of a room I am in), by someone else: to my own clients.
    public static let threadReplied = "thread.replied"
    /// I read a thread (`markThreadRead`): to my own clients.
    public static let threadRead = "thread.read"
    /// The events every user receives, whatever rooms they are in.
    static let toEveryone: Set<String> = [directoryChanged, emojiAdded, emojiRemoved, settingsUpdated, userGroupUpdated, userGroupDeleted]
    public static let roleChanged = "member.role_changed"
    public static let resync = "resync"
    public static let typing = "typing"
    /// Addressed to everyone who shares a room with `subjectID`.
    public static let presence = "presence"
    /// A user's display name changed: to everyone who shares a room with them, and their own devices.
    public static let userUpdated = "user.updated"
    /// A user's status, set or cleared: to those who share a room with them and to their own clients.
    public static let userStatus = "user.status"
    /// The events about one user (`subject_id`) that go to everyone who shares a room with them, and to them.
    public static let aboutUser: Set<String> = [userUpdated, userStatus, userDnd]
    public static let receipt = "receipt"
    public static let readMarker = "read_marker"
    public static let notification = "notification"
    public static let memberKicked = "member.kicked"
    public static let memberBanned = "member.banned"
    public static let memberUnbanned = "member.unbanned"
    public static let memberMuted = "member.muted"
    public static let memberUnmuted = "member.unmuted"
    public static let reactionAdded = "reaction.added"
    public static let reactionRemoved = "reaction.removed"
    public static let pinned = "pinned"
    public static let unpinned = "unpinned"
    /// To one user: their account was deactivated (their streams end with it).
    public static let accountDeactivated = "account.deactivated"
    /// To the user whose site role changed.
    public static let siteRoleChanged = "account.site_role_changed"
    /// To the member who starred or unstarred a room (their other tabs and devices follow).
    public static let roomStarred = "room.starred"
    /// A member's notification level for a room, to their own clients.
    public static let roomNotificationLevel = "room.notification_level"
    public static let roomUnstarred = "room.unstarred"
    /// To the member who closed a DM in their list or opened it again (their other clients follow).
    public static let roomClosed = "room.closed"
    public static let roomReopened = "room.reopened"
    /// To the user who chose a status or went back to automatic (their other tabs and devices follow).
    public static let presenceChosen = "presence.chosen"
    /// To the user who saved or unsaved a message (their other tabs and devices follow).
    public static let savedAdded = "saved.added"
    public static let savedRemoved = "saved.removed"
    /// To the blocker's own streams (their other tabs and devices follow).
    public static let userBlocked = "user.blocked"
    public static let userUnblocked = "user.unblocked"
    /// To the user who paused notifications or resumed them (their other clients follow).
    public static let userDnd = "user.dnd"
    /// A vote in a poll changed, or the poll was closed: to the room's members.
    public static let pollVoted = "poll.voted"
    public static let pollClosed = "poll.closed"
    /// The server read the web pages a message links to: their previews, to the room's members.
    public static let messagePreviews = "message.previews"
    /// To the user who set a reminder, and when it is cancelled, comes due or goes with its message.
    public static let reminderSet = "reminder.set"
    public static let reminderRemoved = "reminder.removed"
    /// To the user who marked their notifications seen up to an id (their other clients follow).
    public static let notificationsSeen = "notifications.seen"
    /// To each person who may act on it: a report of a message (`reportMessage`) or of a person (`reportUser`).
    public static let reportCreated = "report.created"
    /// To the same people: the open reports of a message or person were dismissed, or the message
    /// deleted, or the account deactivated.
    public static let reportResolved = "report.resolved"
    /// To each site admin outside its room: a message with open reports was edited (its room's
    /// moderators hear `message.edited`), so their open list shows what it says now.
    public static let reportMessageEdited = "report.message_edited"
    /// To each person whose open report of the message was settled then (not the one who settled it):
    /// their report as `myReports` lists it, with what became of it.
    public static let reportOutcome = "report.outcome"
    /// To the user whose scheduled message was made, changed or refused when sent (with its failure).
    public static let scheduledSaved = "scheduled.saved"
    /// To the user whose scheduled message was sent (with the message's id) or cancelled.
    public static let scheduledRemoved = "scheduled.removed"

    /// Types that make `subjectID` a member of the room from this event on.
    static let opensMembership: Set<String> = [memberJoined, memberAdded]
    /// Types that end `subjectID`'s membership with this event (which they still receive).
    static let closesMembership: Set<String> = [memberLeft, memberRemoved, memberKicked, memberBanned]
}
