import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// Who is muted where, in memory, so that checking a post costs no query. Loaded at start-up and
/// changed with every mute, unmute and expiry after its commit. Each change carries its event's id:
/// changes of one mute write the same `room_mutes` row, so they commit in the order of their ids,
/// and a change that reaches memory after a later one (two requests a moment apart) is ignored.
final class MuteIndex: Sendable {
    /// Muted until (nil: until lifted), or lifted; with the id of the change that made it so.
    private struct Entry {
        let muted: Bool
        let until: Date?
        let version: Int64
    }

    private let mutes = NIOLockedValueBox<[RoomService.Key: Entry]>([:])

    static func load(_ pool: MariaDBPool) async throws -> MuteIndex {
        let index = MuteIndex()
        let rows = try await pool.query("SELECT room_id, user_id, expires_at FROM room_mutes")
        for row in rows {
            index.set(room: try row.decode("room_id"), user: try row.decode("user_id"), until: try row.decode("expires_at"), version: 0)
        }
        return index
    }

    func set(room: Int64, user: Int64, until: Date?, version: Int64) {
        apply(.init(room: room, user: user), Entry(muted: true, until: until, version: version))
    }

    func remove(room: Int64, user: Int64, version: Int64) {
        apply(.init(room: room, user: user), Entry(muted: false, until: nil, version: version))
    }

    private func apply(_ key: RoomService.Key, _ entry: Entry) {
        mutes.withLockedValue { mutes in
            if let current = mutes[key], current.version > entry.version { return }
            mutes[key] = entry
        }
    }

    /// A mute in force: `until` nil when it lasts until lifted.
    struct Muted: Encodable, Sendable {
        let until: Date?

        enum CodingKeys: String, CodingKey { case until }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(until, forKey: .until)
        }
    }

    /// The user's mute in the room while it lasts, else nil.
    func mute(room: Int64, user: Int64) -> Muted? {
        guard let entry = mutes.withLockedValue({ $0[.init(room: room, user: user)] }), entry.muted else { return nil }
        if let until = entry.until, until <= Date() { return nil }
        return Muted(until: entry.until)
    }

    /// Throws 403 `muted` while the user is muted in the room.
    func check(room: Int64, user: Int64) throws {
        guard let mute = mute(room: room, user: user) else { return }
        throw Self.mutedError(until: mute.until)
    }

    /// 403 `muted`, saying until when.
    static func mutedError(until: Date?) -> ParleyError {
        if let until {
            return ParleyError(.forbidden, "muted", "You are muted in this room until \(ParleyJSON.timestamp(until)).")
        }
        return ParleyError(.forbidden, "muted", "You are muted in this room until a moderator lifts it.")
    }
}

extension RoomService {
    struct Key: Hashable, Sendable {
        let room: Int64
        let user: Int64
    }
}

/// Room moderation: roles, kick, ban, mute, pins, and the audit log; every action is an event.
struct ModerationService: Sendable {
    let store: RoomStore
    let log: EventLog
    let mutes: MuteIndex
    /// Who is online, for the member answers.
    let presence: PresenceTracker
    /// Whose typing indicator shows: a kick, ban or mute ends it at once (not when it runs out).
    let typing: TypingService
    static let maxPins = 50

    struct ModerationEvent: Encodable {
        let roomId: Int64
        let user: UserSummary
        let by: UserSummary?
        let reason: String?
        let until: Date?

        enum CodingKeys: String, CodingKey { case roomId, user, by, reason, until }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(user, forKey: .user)
            try c.encode(by, forKey: .by)
            try c.encode(reason, forKey: .reason)
            try c.encode(until, forKey: .until)
        }
    }

    /// Returns the entry's id.
    @discardableResult
    static func record(
        _ c: MariaDBConnection, room: Int64?, actor: Int64?, action: String, user: Int64? = nil, message: Int64? = nil, reason: String? = nil,
        until: Date? = nil
    ) throws -> Int64 {
        Int64(
            try c.execute(
                """
                INSERT INTO moderation_log (room_id, actor_id, action, target_user_id, target_message_id, reason, expires_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, NOW(3))
                """, [room, actor, action, user, message, reason, until]
            ).lastInsertID)
    }

    static func validateReason(_ reason: String?) throws -> String? {
        guard let reason = reason?.trimmedWhitespace, !reason.isEmpty else { return nil }
        // The column holds 1,024 code points: 500 characters of several each (👨‍👩‍👧‍👦) would not fit.
        guard reason.count <= 500, reason.unicodeScalars.count <= 1024, !reason.hasControlCharacters(allowingLineBreaks: true) else {
            throw ParleyError.invalid("invalid_reason", "A reason is at most 500 characters, with no control characters but line breaks.")
        }
        return reason
    }

    static func until(seconds: Int?) throws -> Date? {
        guard let seconds else { return nil }
        guard (1...(366 * 86_400)).contains(seconds) else {
            throw ParleyError.invalid("invalid_duration", "duration_seconds is 1 to 31,622,400 (a year); leave it out for no expiry.")
        }
        return MessageView.storedPrecision(Date().addingTimeInterval(TimeInterval(seconds)))
    }

    /// The actor's role, which must be at least `minimum`; the room must not be a DM.
    ///
    /// With `lock` (every change), the room's row is locked first, before anything is read: the
    /// moderation actions of a room, its ownership handover, joins and its deletion take turns, and
    /// what this transaction reads afterwards (ranks, memberships, pins) is what they left. Without
    /// it, a kick racing a handover could remove the new owner, and a ban racing a join let the
    /// banned person in.
    private func requireRole(_ c: MariaDBConnection, roomID: Int64, actor: Int64, minimum: RoomRole, lock: Bool = true) throws -> (RoomKind, RoomRole) {
        if lock { guard try store.room(c, id: roomID, forUpdate: true) != nil else { throw RoomService.roomNotFound } }
        guard let membership = try store.membership(c, roomID: roomID, userID: actor), membership.role != nil || membership.kind == .public else {
            throw RoomService.roomNotFound
        }
        guard let role = membership.role else { throw RoomService.notAMember }
        guard membership.kind != .dm else { throw ParleyError(.conflict, "not_moderated", "DMs have no moderation.") }
        guard role >= minimum else { throw RoomService.forbidden("This needs the \(minimum.rawValue) role or higher.") }
        return (membership.kind, role)
    }

    private func target(_ c: MariaDBConnection, _ userID: Int64) throws -> UserSummary {
        guard let user = try store.user(c, id: userID) else { throw ParleyError.notFound("user_not_found", "No user has id \(userID).") }
        return user
    }

    /// [setRole] Owners appoint and remove admins; owners and admins appoint and remove moderators.
    func setRole(actor: User, roomID: Int64, userID: Int64, role: RoomRole) async throws -> MemberView {
        guard role != .owner else { throw ParleyError.invalid("invalid_role", "Hand ownership over with POST /api/rooms/{id}/owner.") }
        let store = self.store
        return try await log.transaction { c, events in
            let (_, actorRole) = try requireRole(c, roomID: roomID, actor: actor.id, minimum: .admin)
            let user = try target(c, userID)
            guard let current = try store.role(c, roomID: roomID, userID: userID) else {
                throw ParleyError.notFound("member_not_found", "That user is not a member.")
            }
            guard current < actorRole, role < actorRole else { throw RoomService.forbidden("Nobody acts on equal or higher rank.") }
            // A deactivated account may be moved down (tidying up), not up: it acts on nothing.
            if role > current, try store.activeUser(c, id: userID) == nil {
                throw ParleyError.notFound("user_not_found", "That account is deactivated: it takes no role.")
            }
            if current != role {
                try store.setRole(c, roomID: roomID, userID: userID, role: role)
                try events.append(
                    EventType.roleChanged, roomID: roomID,
                    payload: RoomService.RoleChangedEvent(roomId: roomID, user: user, role: role, by: UserSummary(actor)))
                try Self.record(c, room: roomID, actor: actor.id, action: "role_\(role.rawValue)", user: userID)
            }
            // As the member list describes them (joined time, presence), read back after the change.
            return RoomService.memberView(try store.member(c, roomID: roomID, userID: userID)!, presence: presence)
        }
    }

    /// [kick] Removes a member now; they may rejoin a public room.
    func kick(actor: User, roomID: Int64, userID: Int64, reason: String?) async throws {
        let reason = try Self.validateReason(reason)
        let store = self.store
        try await log.transaction { c, events in
            let (_, actorRole) = try requireRole(c, roomID: roomID, actor: actor.id, minimum: .moderator)
            let user = try target(c, userID)
            guard let current = try store.role(c, roomID: roomID, userID: userID) else {
                throw ParleyError.notFound("member_not_found", "That user is not a member.")
            }
            guard current < actorRole else { throw RoomService.forbidden("Nobody acts on equal or higher rank.") }
            try typing.ended(events, roomID: roomID, user: user)
            presence.stopReading(userID, room: roomID)
            try events.append(
                EventType.memberKicked, roomID: roomID, subjectID: userID,
                payload: ModerationEvent(roomId: roomID, user: user, by: UserSummary(actor), reason: reason, until: nil))
            _ = try store.deleteMember(c, roomID: roomID, userID: userID)
            try Self.record(c, room: roomID, actor: actor.id, action: "kick", user: userID, reason: reason)
        }
    }

    /// [ban] Removes the user (if a member) and keeps them out until unbanned or the ban expires.
    func ban(actor: User, roomID: Int64, userID: Int64, reason: String?, seconds: Int?) async throws -> BanView {
        let reason = try Self.validateReason(reason)
        let until = try Self.until(seconds: seconds)
        let store = self.store
        return try await log.transaction { c, events in
            let (_, actorRole) = try requireRole(c, roomID: roomID, actor: actor.id, minimum: .moderator)
            let user = try target(c, userID)
            guard userID != actor.id else { throw RoomService.forbidden("You cannot ban yourself.") }
            let current = try store.role(c, roomID: roomID, userID: userID)
            if let current, current >= actorRole { throw RoomService.forbidden("Nobody acts on equal or higher rank.") }
            // The time the answer says is the one stored.
            let now = MessageView.storedPrecision(Date())
            try c.execute(
                """
                INSERT INTO room_bans (room_id, user_id, banned_by, reason, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE banned_by = VALUES(banned_by), reason = VALUES(reason), created_at = VALUES(created_at), expires_at = VALUES(expires_at)
                """, [roomID, userID, actor.id, reason, now, until])
            if current != nil {
                try typing.ended(events, roomID: roomID, user: user)
                presence.stopReading(userID, room: roomID)
            }
            // A member leaves with the event (subject); a non-member is told directly.
            try events.append(
                EventType.memberBanned, roomID: roomID, userID: current == nil ? userID : nil, subjectID: current == nil ? nil : userID,
                payload: ModerationEvent(roomId: roomID, user: user, by: UserSummary(actor), reason: reason, until: until))
            if current != nil { _ = try store.deleteMember(c, roomID: roomID, userID: userID) }
            try Self.record(c, room: roomID, actor: actor.id, action: "ban", user: userID, reason: reason, until: until)
            return BanView(user: user, by: UserSummary(actor), reason: reason, createdAt: now, expiresAt: until)
        }
    }

    /// [unban]
    func unban(actor: User?, roomID: Int64, userID: Int64, expired: Bool = false) async throws {
        let store = self.store
        try await log.transaction { c, events in
            if let actor { _ = try requireRole(c, roomID: roomID, actor: actor.id, minimum: .moderator) }
            let condition = expired ? " AND expires_at IS NOT NULL AND expires_at <= NOW(3)" : ""
            guard try c.execute("DELETE FROM room_bans WHERE room_id = ? AND user_id = ?\(condition)", [roomID, userID]).affectedRows == 1 else {
                if expired { return }
                throw ParleyError.notFound("ban_not_found", "That user is not banned here.")
            }
            let user = try target(c, userID)
            try events.append(
                EventType.memberUnbanned, roomID: roomID, userID: userID,
                payload: ModerationEvent(roomId: roomID, user: user, by: actor.map(UserSummary.init), reason: expired ? "expired" : nil, until: nil))
            try Self.record(c, room: roomID, actor: actor?.id, action: expired ? "ban_expired" : "unban", user: userID)
            _ = store
        }
    }

    struct BanView: Encodable, Sendable {
        let user: UserSummary
        let by: UserSummary?
        let reason: String?
        let createdAt: Date
        let expiresAt: Date?

        enum CodingKeys: String, CodingKey { case user, by, reason, createdAt, expiresAt }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(user, forKey: .user)
            try c.encode(by, forKey: .by)
            try c.encode(reason, forKey: .reason)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(expiresAt, forKey: .expiresAt)
        }
    }

    /// [bans] or [mutes]: the current ones, newest first.
    func list(actor: User, roomID: Int64, table: String) async throws -> [BanView] {
        let byColumn = table == "room_bans" ? "banned_by" : "muted_by"
        return try await store.pool.withConnection { c in
            _ = try requireRole(c, roomID: roomID, actor: actor.id, minimum: .moderator, lock: false)
            return try c.query(
                """
                SELECT u.id, u.username, u.display_name, u.avatar, a.id AS by_id, a.username AS by_username, a.display_name AS by_display_name, a.avatar AS by_avatar,
                       x.reason, x.created_at, x.expires_at
                FROM \(table) x JOIN users u ON u.id = x.user_id LEFT JOIN users a ON a.id = x.\(byColumn)
                WHERE x.room_id = ? AND (x.expires_at IS NULL OR x.expires_at > NOW(3))
                ORDER BY x.created_at DESC
                """, [roomID]
            ).map { row in
                BanView(
                    user: try UserSummary(row: row),
                    by: try row.decode("by_id", as: Int64?.self) != nil ? try UserSummary(row: row, prefix: "by_") : nil,
                    reason: try row.decode("reason"), createdAt: try row.decode("created_at"), expiresAt: try row.decode("expires_at"))
            }
        }
    }

    /// [mute] The member stays and reads but cannot post, react or type.
    func mute(actor: User, roomID: Int64, userID: Int64, reason: String?, seconds: Int?) async throws -> BanView {
        let reason = try Self.validateReason(reason)
        let until = try Self.until(seconds: seconds)
        let store = self.store
        let mutes = self.mutes
        let (view, version) = try await log.transaction { c, events in
            let (_, actorRole) = try requireRole(c, roomID: roomID, actor: actor.id, minimum: .moderator)
            let user = try target(c, userID)
            guard let current = try store.role(c, roomID: roomID, userID: userID) else {
                throw ParleyError.notFound("member_not_found", "That user is not a member.")
            }
            guard current < actorRole else { throw RoomService.forbidden("Nobody acts on equal or higher rank.") }
            let now = MessageView.storedPrecision(Date())
            try c.execute(
                """
                INSERT INTO room_mutes (room_id, user_id, muted_by, reason, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE muted_by = VALUES(muted_by), reason = VALUES(reason), created_at = VALUES(created_at), expires_at = VALUES(expires_at)
                """, [roomID, userID, actor.id, reason, now, until])
            try typing.ended(events, roomID: roomID, user: user)
            let version = try events.append(
                EventType.memberMuted, roomID: roomID, payload: ModerationEvent(roomId: roomID, user: user, by: UserSummary(actor), reason: reason, until: until))
            try Self.record(c, room: roomID, actor: actor.id, action: "mute", user: userID, reason: reason, until: until)
            return (BanView(user: user, by: UserSummary(actor), reason: reason, createdAt: now, expiresAt: until), version)
        }
        mutes.set(room: roomID, user: userID, until: until, version: version)
        return view
    }

    /// [unmute]
    func unmute(actor: User?, roomID: Int64, userID: Int64, expired: Bool = false) async throws {
        // Only a mute that went is lifted in memory: an expired one renewed since the expiry task
        // read it stays (its row was not deleted).
        let store = self.store
        let lifted = try await log.transaction { c, events -> Int64? in
            if let actor {
                // As a mute is made: nobody lifts their own, nor one on a member of their rank or higher.
                let (_, actorRole) = try requireRole(c, roomID: roomID, actor: actor.id, minimum: .moderator)
                if let current = try store.role(c, roomID: roomID, userID: userID), current >= actorRole {
                    throw RoomService.forbidden("Nobody acts on equal or higher rank.")
                }
            }
            let condition = expired ? " AND expires_at IS NOT NULL AND expires_at <= NOW(3)" : ""
            guard try c.execute("DELETE FROM room_mutes WHERE room_id = ? AND user_id = ?\(condition)", [roomID, userID]).affectedRows == 1 else {
                if expired { return nil }
                throw ParleyError.notFound("mute_not_found", "That user is not muted here.")
            }
            let user = try target(c, userID)
            let version = try events.append(
                EventType.memberUnmuted, roomID: roomID,
                payload: ModerationEvent(roomId: roomID, user: user, by: actor.map(UserSummary.init), reason: expired ? "expired" : nil, until: nil))
            try Self.record(c, room: roomID, actor: actor?.id, action: expired ? "mute_expired" : "unmute", user: userID)
            return version
        }
        guard let lifted else { return }
        mutes.remove(room: roomID, user: userID, version: lifted)
        // The room may have waited for someone unmuted to take it from a deactivated owner.
        try await log.transaction { c, events in
            try RoomService.handOverIfOwnerDeactivated(c, events, roomID: roomID, actor: actor.map(UserSummary.init))
        }
    }

    /// Lifts bans and mutes whose time ran out, with their events (run every second).
    func expire() async throws {
        let bans = try await store.pool.query("SELECT room_id, user_id FROM room_bans WHERE expires_at IS NOT NULL AND expires_at <= NOW(3) LIMIT 500")
        for row in bans { try await unban(actor: nil, roomID: try row.decode("room_id"), userID: try row.decode("user_id"), expired: true) }
        let expiredMutes = try await store.pool.query(
            "SELECT room_id, user_id FROM room_mutes WHERE expires_at IS NOT NULL AND expires_at <= NOW(3) LIMIT 500")
        for row in expiredMutes { try await unmute(actor: nil, roomID: try row.decode("room_id"), userID: try row.decode("user_id"), expired: true) }
    }

    /// Whether the user is banned from the room now.
    static func isBanned(_ c: MariaDBConnection, roomID: Int64, userID: Int64) throws -> Bool {
        try !c.query(
            "SELECT 1 AS banned FROM room_bans WHERE room_id = ? AND user_id = ? AND (expires_at IS NULL OR expires_at > NOW(3))", [roomID, userID]
        ).isEmpty
    }

    struct PinView: Encodable, Sendable {
        let message: MessageView
        let pinnedBy: UserSummary
        let pinnedAt: Date
    }

    struct PinEvent: Encodable {
        let roomId: Int64
        let pin: PinView
    }

    struct UnpinEvent: Encodable {
        let roomId: Int64
        let messageId: Int64
        let by: UserSummary
    }

    /// [pin] Pins a message of the room (moderators and up; at most 50 per room).
    func pin(actor: User, roomID: Int64, messageID: Int64) async throws -> PinView {
        let messages = MessageStore(pool: store.pool)
        return try await log.transaction { c, events in
            _ = try requireRole(c, roomID: roomID, actor: actor.id, minimum: .moderator)
            try store.checkNotArchived(roomID)
            // Read as it stands and held (shared) until the pin commits: a deletion at the same
            // moment either came first (404) or waits and then finds the pin to take away. A plain
            // read let a pin of a message deleted meanwhile stay, a tombstone, for good.
            guard let message = try messages.message(c, id: messageID, shared: true), message.roomId == roomID, !message.deleted else {
                throw ParleyError.notFound("message_not_found", "No such message in this room.")
            }
            // Plain reads: the room's row, locked first (`requireRole`), lets one pin of a room in at a
            // time, and this transaction's snapshot began after it was taken, so both see every pin
            // committed before. A locking count took a gap lock past the room's last pin, the gap
            // before the next room's or the end, and two rooms pinning at once each waited on the
            // other's gap to insert: deadlocks, and a 503 once three tries lost (the CI's matrix).
            let count = try c.query("SELECT COUNT(*) AS pins FROM pins WHERE room_id = ?", [roomID])[0].decode("pins", as: Int.self)
            guard try c.query("SELECT 1 AS pinned FROM pins WHERE room_id = ? AND message_id = ?", [roomID, messageID]).isEmpty else {
                throw ParleyError(.conflict, "already_pinned", "That message is pinned already.")
            }
            guard count < Self.maxPins else { throw ParleyError(.conflict, "pin_limit", "A room holds at most \(Self.maxPins) pins; unpin one first.") }
            let now = MessageView.storedPrecision(Date())
            try c.execute("INSERT INTO pins (room_id, message_id, pinned_by, pinned_at) VALUES (?, ?, ?, ?)", [roomID, messageID, actor.id, now])
            let pin = PinView(message: message, pinnedBy: UserSummary(actor), pinnedAt: now)
            try events.append(EventType.pinned, roomID: roomID, payload: PinEvent(roomId: roomID, pin: pin))
            try Self.record(c, room: roomID, actor: actor.id, action: "pin", message: messageID)
            return pin
        }
    }

    /// [unpin]
    func unpin(actor: User, roomID: Int64, messageID: Int64) async throws {
        try await log.transaction { c, events in
            _ = try requireRole(c, roomID: roomID, actor: actor.id, minimum: .moderator)
            try store.checkNotArchived(roomID)
            guard try c.execute("DELETE FROM pins WHERE room_id = ? AND message_id = ?", [roomID, messageID]).affectedRows == 1 else {
                throw ParleyError.notFound("pin_not_found", "That message is not pinned.")
            }
            try events.append(EventType.unpinned, roomID: roomID, payload: UnpinEvent(roomId: roomID, messageId: messageID, by: UserSummary(actor)))
            try Self.record(c, room: roomID, actor: actor.id, action: "unpin", message: messageID)
        }
    }

    /// [pins] Newest pin first; for members, and a public room's non-members as its preview is.
    func pins(user: User, roomID: Int64) async throws -> [PinView] {
        let store = self.store
        return try await store.pool.withConnection { c in
            if try RoomService.role(store, c, roomID: roomID, userID: user.id) == nil {
                try RoomService.checkPreview(c, roomID: roomID, userID: user.id)
            }
            let pins = try c.query(
                """
                SELECT \(MessageStore.columns), p.pinned_at, b.id AS by_id, b.username AS by_username, b.display_name AS by_display_name, b.avatar AS by_avatar
                FROM pins p JOIN messages m ON m.id = p.message_id JOIN users u ON u.id = m.sender_id JOIN users b ON b.id = p.pinned_by
                WHERE p.room_id = ? ORDER BY p.pinned_at DESC, p.message_id DESC
                """, [roomID]
            ).map { row in
                PinView(message: try MessageView(row: row), pinnedBy: try UserSummary(row: row, prefix: "by_"), pinnedAt: try row.decode("pinned_at"))
            }
            let marked = try MessageService.forReader(c, pins.map(\.message), userID: user.id)
            return zip(pins, marked).map { PinView(message: $1, pinnedBy: $0.pinnedBy, pinnedAt: $0.pinnedAt) }
        }
    }

    static let banned = ParleyError(.forbidden, "banned", "You are banned from this room.")

    struct LogEntry: Encodable, Sendable {
        let id: Int64
        let action: String
        let actor: UserSummary?
        let targetUser: UserSummary?
        let targetMessageId: Int64?
        let reason: String?
        let expiresAt: Date?
        let createdAt: Date

        enum CodingKeys: String, CodingKey { case id, action, actor, targetUser, targetMessageId, reason, expiresAt, createdAt }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(action, forKey: .action)
            try c.encode(actor, forKey: .actor)
            try c.encode(targetUser, forKey: .targetUser)
            try c.encode(targetMessageId, forKey: .targetMessageId)
            try c.encode(reason, forKey: .reason)
            try c.encode(expiresAt, forKey: .expiresAt)
            try c.encode(createdAt, forKey: .createdAt)
        }
    }

    /// [moderationLog] Who did what to whom and when; owners and admins.
    func auditLog(actor: User, roomID: Int64, before: Int64?, limit: Int) async throws -> [LogEntry] {
        try await store.pool.withConnection { c in
            _ = try requireRole(c, roomID: roomID, actor: actor.id, minimum: .admin, lock: false)
            return try Self.logEntries(c, roomID: roomID, before: before, limit: limit)
        }
    }

    /// [siteLog] The site's own log (accounts, site roles, rooms deleted by site admins); the
    /// caller is a site admin.
    func siteLog(before: Int64?, limit: Int) async throws -> [LogEntry] {
        try await store.pool.withConnection { c in try Self.logEntries(c, roomID: nil, before: before, limit: limit) }
    }

    /// Entries of one room's log, or of the site's (`roomID` nil), newest first.
    private static func logEntries(_ c: MariaDBConnection, roomID: Int64?, before: Int64?, limit: Int) throws -> [LogEntry] {
        try c.query(
            """
            SELECT l.id, l.action, l.target_message_id, l.reason, l.expires_at, l.created_at,
                   a.id AS a_id, a.username AS a_username, a.display_name AS a_display_name, a.avatar AS a_avatar,
                   t.id AS t_id, t.username AS t_username, t.display_name AS t_display_name, t.avatar AS t_avatar
            FROM moderation_log l LEFT JOIN users a ON a.id = l.actor_id LEFT JOIN users t ON t.id = l.target_user_id
            WHERE l.room_id <=> ? AND l.id < ? ORDER BY l.id DESC LIMIT ?
            """, [roomID, before ?? Int64.max, limit]
        ).map { row in
            LogEntry(
                id: try row.decode("id"), action: try row.decode("action"),
                actor: try row.decode("a_id", as: Int64?.self) != nil ? try UserSummary(row: row, prefix: "a_") : nil,
                targetUser: try row.decode("t_id", as: Int64?.self) != nil ? try UserSummary(row: row, prefix: "t_") : nil,
                targetMessageId: try row.decode("target_message_id"), reason: try row.decode("reason"), expiresAt: try row.decode("expires_at"),
                createdAt: try row.decode("created_at"))
        }
    }
}
