import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// Per-room notification levels for a member.
public enum NotifyLevel: String, Codable, Sendable {
    case all, mentions, none
}

/// Mentions in message text: `@username` for members, `@room` for everyone, `@here` for those online.
enum Mentions {
    /// The lowercased names after each `@`, each with its readings longest first: a trailing `.` or
    /// `-` may end the sentence rather than the name, so `@ann.` reads as `ann.` and then `ann`.
    static func candidates(in text: String) -> [[String]] {
        var mentions: [[String]] = []
        let scalars = Array(text.unicodeScalars)
        func isNameScalar(_ s: Unicode.Scalar) -> Bool {
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "_" || s == "." || s == "-")
        }
        var i = 0
        while i < scalars.count {
            if scalars[i] == "@" && (i == 0 || !isNameScalar(scalars[i - 1])) {
                var j = i + 1
                while j < scalars.count, isNameScalar(scalars[j]), j - i <= 33 { j += 1 }
                var name = String(String.UnicodeScalarView(scalars[(i + 1)..<j])).lowercased()
                var readings: [String] = []
                if !name.isEmpty { readings.append(name) }
                while let last = name.last, last == "." || last == "-" {
                    name.removeLast()
                    if !name.isEmpty { readings.append(name) }
                }
                if !readings.isEmpty && !mentions.contains(readings) { mentions.append(readings) }
                i = j
            } else {
                i += 1
            }
        }
        return mentions
    }

    /// Of each mention's readings, the longest that names someone (`known`): `@ann.` is `ann.`
    /// when there is one, else `ann`, never both.
    static func chosen(_ mentions: [[String]], known: Set<String>) -> Set<String> {
        Set(mentions.compactMap { readings in readings.first(where: known.contains) })
    }
}

/// What a message's text mentions, resolved as it is posted.
struct ResolvedMentions: Sendable {
    /// Members named with `@username` (the message's `mentions`).
    var users: [Int64] = []
    /// Whether `@room` counted.
    var room = false
    /// Whether `@here` counted.
    var here = false
    /// The members `@here` reached: online and available then, not the sender, not in `users`.
    var present: [Int64] = []
    /// The members of `users` whom `@here` reached too: their flag stays through an edit that
    /// unnames them, as `present`'s do.
    var hereNamed: [Int64] = []
    /// The members whose keywords the text holds, in none of the above (private: not in `users`).
    var keyworded: [Int64] = []
    /// Every member whose keywords the text holds, named or reached or not (an edit keeps their flags).
    var watchers: [Int64] = []
    /// Whether the sender may be among them: a webhook's post is not its maker's own words, and
    /// notifies and counts as unread for them as for anyone.
    var senderIncluded = false

    /// `users` as the `mention_ids` column holds them.
    var idList: String { users.map(String.init).joined(separator: ",") }
}

/// Decides who is notified of a new message and writes the notifications with their events,
/// inside the message's transaction.
struct NotificationService: Sendable {
    let presence: PresenceTracker
    let hub: EventHub
    let allLevelRooms: AllLevelRooms
    let keywords: KeywordIndex
    /// `@room` is open to everyone only in rooms up to this size; above it, to owners and admins.
    static let roomMentionOpenUpTo = 20

    struct NotificationView: Encodable {
        let id: Int64
        let roomId: Int64
        let reason: String
        let message: MessageView
        let createdAt: Date
    }

    struct NotificationEvent: Encodable {
        let notification: NotificationView
    }

    /// Stores a notification and tells its user. Its id is its `notification` event's, reserved
    /// first: ids then grow in the order the log delivers them, so a client that marks "seen up to"
    /// the newest it has (`markNotificationsSeen`) cannot pass over one still committing, as
    /// `AUTO_INCREMENT` ids let it (a lower id could commit after a higher one was shown).
    static func store(_ c: MariaDBConnection, _ events: EventAppender, userID: Int64, message: MessageView, reason: String, at date: Date) throws {
        let id = try events.reserve()
        try c.execute(
            "INSERT INTO notifications (id, user_id, room_id, message_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [id, userID, message.roomId, message.id, reason, date])
        let payload = NotificationEvent(notification: NotificationView(id: id, roomId: message.roomId, reason: reason, message: message, createdAt: date))
        try events.append(EventType.notification, userID: userID, json: String(decoding: try ParleyJSON.encoder().encode(payload), as: UTF8.self), id: id)
    }

    /// Resolves the mentions of a message to members. `@room` and `@here` count for everyone in rooms
    /// of up to `roomMentionOpenUpTo` members, above that for owners and admins. `@here` reaches the
    /// members connected now whose chosen status is online (not away, not busy).
    /// `webhook`: the message is a webhook's, and its maker (`senderID`) is reached as anyone is.
    func resolveMentions(
        _ c: MariaDBConnection, text: String, roomID: Int64, senderID: Int64, senderRole: RoomRole, webhook: Bool = false
    ) throws -> ResolvedMentions {
        // Nobody's id: the maker is left out of nothing.
        let senderID = webhook ? 0 : senderID
        let mentions = Mentions.candidates(in: text)
        var names = Set(mentions.joined())
        let roomMention = names.remove("room") != nil
        let hereMention = names.remove("here") != nil
        var resolved = ResolvedMentions()
        resolved.senderIncluded = webhook
        let members = roomMention || hereMention ? hub.members(of: roomID) : []
        let everyoneMayMention = senderRole >= .admin || members.count <= Self.roomMentionOpenUpTo
        resolved.room = roomMention && everyoneMayMention
        resolved.here = hereMention && everyoneMayMention
        if !names.isEmpty {
            // A name is a member's username, or a user group's name, which mentions each of its
            // members in the room but the sender.
            let list = Array(names.sorted().prefix(50)).paddedToPowerOfTwo
            var parameters: [any MariaDBEncodable] = [roomID]
            parameters += list.map { $0 as any MariaDBEncodable }
            parameters += [roomID, senderID]
            parameters += list.map { $0 as any MariaDBEncodable }
            var named = try c.query(
                """
                SELECT u.id, u.username AS name, 0 AS is_group FROM room_members m JOIN users u ON u.id = m.user_id
                WHERE m.room_id = ? AND u.username IN (\(list.placeholders))
                UNION
                SELECT gm.user_id AS id, g.name, 1 AS is_group FROM user_groups g JOIN user_group_members gm ON gm.group_id = g.id
                JOIN room_members m ON m.room_id = ? AND m.user_id = gm.user_id AND m.user_id <> ?
                JOIN users gu ON gu.id = gm.user_id AND gu.deactivated_at IS NULL
                WHERE g.name IN (\(list.placeholders))
                """, parameters
            ).map {
                (id: try $0.decode("id", as: Int64.self), name: try $0.decode("name", as: String.self).lowercased(), group: try $0.decode("is_group", as: Bool.self))
            }
            // Groups that together reach more than `@room` may reach are `@room`'s (the room then
            // has more members than that too): only owners and admins mention them there, else they
            // stay text. Anyone makes a group and fills it, and one mention of it paged a whole big
            // room (a hunt); counted together, as several groups of 20 did the same (another).
            if senderRole < .admin, Set(named.filter(\.group).map(\.id)).count > Self.roomMentionOpenUpTo {
                named.removeAll(where: \.group)
            }
            let chosen = Mentions.chosen(mentions, known: Set(named.map(\.name)))
            resolved.users = Set(named.filter { chosen.contains($0.name) }.map(\.id)).sorted()
        }
        if resolved.here {
            let named = Set(resolved.users)
            let online = members.filter { $0 != senderID && presence.isOnline($0) }.sorted()
            var reached: [Int64] = []
            // Batches keep each statement's list bounded in a big room.
            for start in stride(from: 0, to: online.count, by: 500) {
                let batch = Array(online[start..<min(start + 500, online.count)]).paddedToPowerOfTwo
                reached += try c.query(
                    """
                    SELECT m.user_id FROM room_members m JOIN users u ON u.id = m.user_id
                    WHERE m.room_id = ? AND u.presence = 'online' AND u.deactivated_at IS NULL AND m.user_id IN (\(batch.placeholders))
                    ORDER BY m.user_id
                    """, [roomID] + batch
                ).map { try $0.decode("user_id", as: Int64.self) }
            }
            resolved.present = reached.filter { !named.contains($0) }
            resolved.hereNamed = reached.filter { named.contains($0) }
        }
        let reached = Set(resolved.users).union(resolved.present)
        resolved.watchers = watchers(of: text, in: roomID, senderID: senderID)
        resolved.keyworded = resolved.watchers.filter { !reached.contains($0) }
        return resolved
    }

    /// The members of a room other than the sender whose keywords `text` holds.
    func watchers(of text: String, in roomID: Int64, senderID: Int64) -> [Int64] {
        if keywords.isEmpty { return [] }
        return keywords.watchers(of: text, members: hub.members(of: roomID), senderID: senderID)
    }

    /// Whether a message could notify anyone: a DM, a mention, or a room where someone hears of every message.
    func mayNotify(roomID: Int64, roomKind: RoomKind, mentions: Bool) -> Bool {
        roomKind == .dm || mentions || allLevelRooms.contains(roomID)
    }

    /// Writes a notification (row and event) for each member who should hear of `message`; `answered`
    /// is the sender of the message it replies to, `present` the members its `@here` reached,
    /// `keyworded` those whose keywords it holds, `followers` (for a reply) those who follow its thread.
    func notify(
        _ c: MariaDBConnection, _ events: EventAppender, message: MessageView, roomKind: RoomKind, answered: Int64? = nil, present: [Int64] = [],
        keyworded: [Int64] = [], followers: Set<Int64> = []
    ) throws {
        let everyone = roomKind == .dm || message.mentionsRoom
        // Who hears nothing of their own message: its sender, unless a webhook posted it (nobody, id 0).
        let author = message.webhook == nil ? message.sender.id : 0
        // A reply tells its target's sender, like a mention (not themselves).
        let answered = answered == author ? nil : answered
        // Most messages notify nobody: skip the query unless someone could be notified.
        let following = followers.subtracting([author])
        let mentions =
            !message.mentions.isEmpty || message.mentionsRoom || !present.isEmpty || !keyworded.isEmpty || answered != nil || !following.isEmpty
        guard mayNotify(roomID: message.roomId, roomKind: roomKind, mentions: mentions) else { return }
        let mentioned = Set(message.mentions)
        let here = Set(present)
        let watching = Set(keyworded)
        let list = mentioned.union(here).union(watching).union(following).union(answered.map { [$0] } ?? []).sorted().paddedToPowerOfTwo
        let explicit = list.isEmpty ? "" : " OR user_id IN (\(list.placeholders))"
        var parameters: [any MariaDBEncodable] = [message.roomId, author, everyone]
        parameters += list.map { $0 as any MariaDBEncodable }
        parameters.append(message.sender.id)
        // Those who blocked the sender hear nothing of their messages.
        let rows = try c.query(
            """
            SELECT user_id, notify_level FROM room_members WHERE room_id = ? AND user_id <> ? AND (notify_level = 'all' OR ?\(explicit))
            AND user_id NOT IN (SELECT user_id FROM user_blocks WHERE blocked_id = ?)
            """, parameters)
        for row in rows {
            let user: Int64 = try row.decode("user_id")
            let level = try row.decode("notify_level", as: String?.self).flatMap(NotifyLevel.init) ?? (roomKind == .dm ? .all : .mentions)
            let reason: String
            if level == .none {
                continue
            } else if roomKind == .dm && level == .all {
                // (A DM at `mentions`, as a busy group DM may be, notifies as a room would.)
                reason = "dm"
            } else if mentioned.contains(user) {
                reason = "mention"
            } else if user == answered {
                reason = "reply"
            } else if following.contains(user) {
                reason = "thread"
            } else if here.contains(user) {
                reason = "here_mention"
            } else if watching.contains(user) {
                reason = "keyword"
            } else if message.mentionsRoom {
                reason = "room_mention"
            } else if level == .all {
                reason = "all"
            } else {
                continue
            }
            // The room the user is reading needs no notification.
            if presence.isReading(user, room: message.roomId) { continue }
            try Self.store(c, events, userID: user, message: message, reason: reason, at: message.createdAt)
        }
    }

    /// An edit that names people it did not name before (`mentioned`), or now holds keywords of
    /// members it did not reach (`keyworded`): only they hear of it, as of a new mention, at the
    /// edit's time. In a DM those at `all` heard of the message already.
    func notifyEdit(_ c: MariaDBConnection, _ events: EventAppender, message: MessageView, roomKind: RoomKind, mentioned: [Int64], keyworded: [Int64]) throws {
        let named = Set(mentioned)
        let list = named.union(keyworded).subtracting([message.sender.id]).sorted().paddedToPowerOfTwo
        guard !list.isEmpty else { return }
        let rows = try c.query(
            """
            SELECT user_id, notify_level FROM room_members WHERE room_id = ? AND user_id IN (\(list.placeholders))
            AND user_id NOT IN (SELECT user_id FROM user_blocks WHERE blocked_id = ?)
            AND user_id NOT IN (SELECT user_id FROM notifications WHERE message_id = ? AND reason <> 'reminder')
            """, [message.roomId] + list + [message.sender.id, message.id])
        let now = MessageView.storedPrecision(Date())
        for row in rows {
            let user: Int64 = try row.decode("user_id")
            let level = try row.decode("notify_level", as: String?.self).flatMap(NotifyLevel.init) ?? (roomKind == .dm ? .all : .mentions)
            if level == .none || presence.isReading(user, room: message.roomId) { continue }
            // A DM's members at `all` heard of the message itself when it came ("dm"); one set to
            // `mentions` (a busy group DM) hears of a mention or keyword an edit adds, as in a room.
            // (DMs were skipped whole: the mention flag came with no notification, a hunt.)
            if roomKind == .dm && level == .all { continue }
            let reason = named.contains(user) ? "mention" : "keyword"
            try Self.store(c, events, userID: user, message: message, reason: reason, at: now)
        }
    }

    /// Notifications since a time, newest first (at most `limit`), their messages as the user reads
    /// them (`myReactions`, `saved`). A deleted message's are left out: its sender took it back. So
    /// are those of people the user blocked, as the room's unread count and mention flag leave their
    /// messages out, at reading time (an unblock brings them back): the list kept a mention the
    /// room no longer showed (a hunt).
    static func since(_ c: MariaDBConnection, userID: Int64, since: Date, limit: Int) throws -> [NotificationView] {
        let rows = try c.query(
            """
            SELECT n.id AS notification_id, n.reason, n.created_at AS notified_at, \(MessageStore.columns)
            FROM notifications n JOIN messages m ON m.id = n.message_id JOIN users u ON u.id = m.sender_id
            JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = n.user_id
            WHERE n.user_id = ? AND n.created_at >= ? AND m.deleted_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM user_blocks b WHERE b.user_id = n.user_id AND b.blocked_id = m.sender_id)
            ORDER BY n.id DESC LIMIT ?
            """, [userID, since, limit])
        let messages = try MessageService.forReader(c, try rows.map(MessageView.init), userID: userID)
        return try zip(rows, messages).map { row, message in
            NotificationView(
                id: try row.decode("notification_id"), roomId: message.roomId, reason: try row.decode("reason"), message: message,
                createdAt: try row.decode("notified_at"))
        }
    }
}

/// The rooms where some member chose the "all" level, kept in memory so that posting in a room
/// without one costs no notification query.
final class AllLevelRooms: Sendable {
    private let rooms = NIOLockedValueBox<Set<Int64>>([])

    static func load(_ pool: MariaDBPool) async throws -> AllLevelRooms {
        let set = AllLevelRooms()
        let ids = try await pool.query("SELECT DISTINCT room_id FROM room_members WHERE notify_level = 'all'").map { try $0.decode("room_id", as: Int64.self) }
        set.rooms.withLockedValue { $0 = Set(ids) }
        return set
    }

    func contains(_ room: Int64) -> Bool { rooms.withLockedValue { $0.contains(room) } }

    /// Re-reads one room after a member changed their level.
    func refresh(_ c: MariaDBConnection, room: Int64) throws {
        let any = try c.query("SELECT EXISTS(SELECT 1 FROM room_members WHERE room_id = ? AND notify_level = 'all') AS present", [room])[0]
            .decode("present", as: Bool.self)
        rooms.withLockedValue { if any { $0.insert(room) } else { $0.remove(room) } }
    }
}
