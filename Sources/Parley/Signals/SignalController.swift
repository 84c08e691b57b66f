import Foundation
import Hummingbird
import MariaDB

/// The HTTP face of typing, presence, receipts, unread counts and notifications: `typing`,
/// `setPresence`, `setFocus`, `markRead`, `markUnread`, `markAllRead`, `receipts`, `setNotificationLevel`, `me`, `updateMe`, `summary`.
struct SignalController {
    let typing: TypingService
    let presence: PresenceService
    let receipts: ReceiptService
    let rooms: RoomStore
    let pool: MariaDBPool
    let log: EventLog
    let sessions: SessionService
    let allLevelRooms: AllLevelRooms
    let maxBodyBytes: Int
    let canPost: @Sendable (MariaDBConnection, Int64, Int64) throws -> Void
    let limiter: RateLimiter

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/rooms/:room/typing", use: setTyping)
        router.post("/api/rooms/:room/read", use: markRead)
        router.post("/api/rooms/:room/unread", use: markUnread)
        router.post("/api/me/read", use: markAllRead)
        router.get("/api/rooms/:room/receipts", use: listReceipts)
        router.put("/api/rooms/:room/notifications", use: setLevel)
        router.put("/api/me/presence", use: setPresence)
        router.put("/api/me/focus", use: setFocus)
        router.get("/api/me", use: me)
        router.patch("/api/me", use: updateMe)
        router.get("/api/me/summary", use: summary)
    }

    struct TypingBody: Decodable {
        let typing: Bool
        let threadId: Int64?
    }

    /// [typing] Start (or renew, at most every 3 s) or stop the typing indicator.
    func setTyping(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: TypingBody.self, context: context, limit: maxBodyBytes)
        if body.typing { try limiter.consume(String(session.user.id)) }
        if let thread = body.threadId, thread < 1 { throw TypingService.invalidThread }
        try await typing.set(user: session.user, roomID: roomID, thread: body.threadId, typing: body.typing, mutedCheck: canPost)
        return .noContent
    }

    struct ReadBody: Decodable {
        let messageId: Int64
    }

    struct MarkedRooms: ResponseEncodable {
        let rooms: [ReceiptService.ReadMarkerEvent]
    }

    /// [markAllRead] Marks every room read up to its newest message; answers with the rooms whose
    /// mark moved and their new unread state.
    func markAllRead(request: Request, context: AppRequestContext) async throws -> MarkedRooms {
        let session = try context.requireSession()
        return MarkedRooms(rooms: try await receipts.markAllRead(userID: session.user.id))
    }

    /// [markRead] Moves the read mark forward; answers with the new unread state.
    func markRead(request: Request, context: AppRequestContext) async throws -> ReceiptService.ReadMarkerEvent {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: ReadBody.self, context: context, limit: maxBodyBytes)
        return try await receipts.markRead(userID: session.user.id, roomID: roomID, messageID: body.messageId, rooms: rooms)
    }

    /// [markUnread] Moves the read mark back to just before a message; answers with the new unread state.
    func markUnread(request: Request, context: AppRequestContext) async throws -> ReceiptService.ReadMarkerEvent {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: ReadBody.self, context: context, limit: maxBodyBytes)
        return try await receipts.markUnread(userID: session.user.id, roomID: roomID, messageID: body.messageId, rooms: rooms)
    }

    struct ReceiptList: ResponseEncodable {
        let receipts: [ReceiptService.MemberReceipt]
    }

    /// [receipts] Each member's delivered and read marks.
    func listReceipts(request: Request, context: AppRequestContext) async throws -> ReceiptList {
        let session = try context.requireSession()
        return ReceiptList(receipts: try await receipts.receipts(userID: session.user.id, roomID: try RoomController.id(context, "room"), rooms: rooms))
    }

    struct LevelBody: Decodable {
        let level: NotifyLevel
    }

    struct LevelAnswer: ResponseEncodable {
        let roomId: Int64
        let level: NotifyLevel
    }

    /// [setNotificationLevel] all, mentions or none (muted) for one room.
    func setLevel(request: Request, context: AppRequestContext) async throws -> LevelAnswer {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: LevelBody.self, context: context, limit: maxBodyBytes)
        let rooms = self.rooms
        let allLevelRooms = self.allLevelRooms
        let answer = LevelAnswer(roomId: roomID, level: body.level)
        try await log.transaction { c, events in
            guard try RoomService.role(rooms, c, roomID: roomID, userID: session.user.id) != nil else { throw RoomService.notAMember }
            let changed = try c.execute(
                "UPDATE room_members FORCE INDEX (PRIMARY) SET notify_level = ? WHERE room_id = ? AND user_id = ? AND NOT notify_level <=> ?",
                [body.level.rawValue, roomID, session.user.id, body.level.rawValue]
            ).affectedRows == 1
            // The member's other devices follow (a hunt: they kept showing the old level).
            if changed { try events.append(EventType.roomNotificationLevel, userID: session.user.id, payload: answer) }
            try allLevelRooms.refresh(c, room: roomID)
        }
        return answer
    }

    struct PresenceBody: Decodable {
        let status: PresenceStatus
        let chosen: Bool?
    }

    /// [setPresence] online, away (idle tab) or busy; `chosen` when the person chose it.
    func setPresence(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: PresenceBody.self, context: context, limit: maxBodyBytes)
        try await presence.set(userID: session.user.id, session: session.id, status: body.status, chosen: body.chosen ?? false)
        return .noContent
    }

    struct FocusBody: Decodable {
        let roomId: Int64?
    }

    /// [setFocus] The room the user is reading now (no notifications for it), or null.
    func setFocus(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: FocusBody.self, context: context, limit: maxBodyBytes)
        presence.tracker.setFocus(session.user.id, session: session.id, room: body.roomId)
        return .noContent
    }

    struct MeAnswer: ResponseEncodable {
        let user: User
        let presence: PresenceStatus
        /// The status I chose (`away`, `busy`), the account's on every device; nil when automatic.
        let presenceChoice: String?
        let sendReadReceipts: Bool
        /// Whether my clients show link previews (a display setting that follows me).
        let showLinkPreviews: Bool
        /// The skin tone my clients give emoji that take one: 0 none, 1–5 the Fitzpatrick modifiers.
        let skinTone: Int
        let bio: String?
        /// The IANA time zone my profile shows (others see my local time), or nil.
        let timeZone: String?
        let status: UserStatus?
        /// Until when the user paused notifications (`pauseNotifications`), or nil.
        let dndUntil: Date?

        enum CodingKeys: String, CodingKey {
            case user, presence, presenceChoice, sendReadReceipts, showLinkPreviews, skinTone, bio, timeZone, status, dndUntil
        }
        // Spelled out so that no bio is sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(user, forKey: .user)
            try c.encode(presence, forKey: .presence)
            try c.encode(presenceChoice, forKey: .presenceChoice)
            try c.encode(sendReadReceipts, forKey: .sendReadReceipts)
            try c.encode(showLinkPreviews, forKey: .showLinkPreviews)
            try c.encode(skinTone, forKey: .skinTone)
            try c.encode(bio, forKey: .bio)
            try c.encode(timeZone, forKey: .timeZone)
            try c.encode(status, forKey: .status)
            try c.encode(dndUntil, forKey: .dndUntil)
        }
    }

    static func loadMe(_ pool: MariaDBPool, _ userID: Int64) async throws -> MeAnswer {
        try await pool.withConnection { c in
            let row = try c.query(
                """
                SELECT id, username, display_name, site_role, created_at, avatar, presence, presence_choice, send_read_receipts, show_link_previews, skin_tone, bio, time_zone,
                \(UserStatus.columns()),
                \(DoNotDisturbController.column())
                FROM users WHERE id = ?
                """, [userID])[0]
            return MeAnswer(
                user: try User(row: row), presence: PresenceStatus(rawValue: try row.decode("presence")) ?? .online,
                presenceChoice: try row.decode("presence_choice"),
                sendReadReceipts: try row.decode("send_read_receipts"), showLinkPreviews: try row.decode("show_link_previews"),
                skinTone: try row.decode("skin_tone"), bio: try row.decode("bio"), timeZone: try row.decode("time_zone"), status: try UserStatus.from(row),
                dndUntil: try row.decode("dnd_until"))
        }
    }

    /// [me] The profile and settings.
    func me(request: Request, context: AppRequestContext) async throws -> MeAnswer {
        try await Self.loadMe(pool, try context.requireSession().user.id)
    }

    struct UserUpdatedEvent: Encodable {
        let user: UserSummary
        /// Present only when the time zone changed: the new one, or null when cleared.
        var timeZone: String?? = nil
        /// Present only when the account was deactivated (true) or reactivated (false).
        var deactivated: Bool? = nil

        /// Co-members and the user's devices, as for every `user.updated`.
        static func append(_ c: MariaDBConnection, _ events: EventAppender, userID: Int64, deactivated: Bool) throws {
            guard let row = try c.query("SELECT id, username, display_name, avatar FROM users WHERE id = ?", [userID]).first else { return }
            try events.append(
                EventType.userUpdated, subjectID: userID, payload: UserUpdatedEvent(user: try UserSummary(row: row), deactivated: deactivated))
        }
    }

    struct UpdateMeBody: Decodable {
        let displayName: String?
        let sendReadReceipts: Bool?
        let showLinkPreviews: Bool?
        let skinTone: Int?
        let bio: String?
        let timeZone: String?

        enum CodingKeys: String, CodingKey { case displayName, sendReadReceipts, showLinkPreviews, skinTone, bio, timeZone }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            displayName = try c.decodeIfPresent(String.self, forKey: .displayName)
            sendReadReceipts = try c.decodeIfPresent(Bool.self, forKey: .sendReadReceipts)
            showLinkPreviews = try c.decodeIfPresent(Bool.self, forKey: .showLinkPreviews)
            skinTone = try c.decodeIfPresent(Int.self, forKey: .skinTone)
            // `null` clears the bio or the time zone, as `""` does.
            bio = c.contains(.bio) ? try c.decodeIfPresent(String.self, forKey: .bio) ?? "" : nil
            timeZone = c.contains(.timeZone) ? try c.decodeIfPresent(String.self, forKey: .timeZone) ?? "" : nil
        }
    }

    /// [updateMe] Display name, bio (`""` or `null` clears it), time zone (`""` or `null` clears it), whether others see
    /// my read receipts, whether my clients show link previews and the skin tone they give emoji.
    func updateMe(request: Request, context: AppRequestContext) async throws -> MeAnswer {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: UpdateMeBody.self, context: context, limit: maxBodyBytes)
        let name = try body.displayName.map(AccountRules.normalizeDisplayName)
        let bio = try body.bio.map(AccountRules.normalizeBio)
        let timeZone = try body.timeZone.map(AccountRules.normalizeTimeZone)
        if let tone = body.skinTone, !(0...5).contains(tone) {
            throw ParleyError.invalid("invalid_skin_tone", "skin_tone is 0 (none) to 5.")
        }
        let user = session.user
        try await presence.log.transaction { c, events in
            // The same name again is no change: nobody hears of it (a hunt: every co-member did).
            var nameChanged = false
            if let name { nameChanged = try c.execute("UPDATE users SET display_name = ? WHERE id = ?", [name, user.id]).affectedRows > 0 }
            var zoneChanged = false
            if let timeZone { zoneChanged = try c.execute("UPDATE users SET time_zone = ? WHERE id = ?", [timeZone, user.id]).affectedRows > 0 }
            // The row locked, so the event has the name and picture as they are now (the session's copy may be older).
            if nameChanged || zoneChanged,
                let row = try c.query("SELECT display_name, avatar FROM users WHERE id = ? FOR UPDATE", [user.id]).first
            {
                // Everyone who shows this name or local time (co-members, my other devices) updates it at once.
                try events.append(
                    EventType.userUpdated, subjectID: user.id,
                    payload: UserUpdatedEvent(
                        user: UserSummary(id: user.id, username: user.username, displayName: try row.decode("display_name"), avatar: try row.decode("avatar")),
                        timeZone: zoneChanged ? .some(timeZone ?? nil) : nil))
            }
            var changed = false
            if let share = body.sendReadReceipts, try c.execute("UPDATE users SET send_read_receipts = ? WHERE id = ?", [share, user.id]).affectedRows > 0 {
                changed = true
                try ReceiptService.announceSharing(c, events, userID: user.id)
            }
            if let show = body.showLinkPreviews {
                changed = try c.execute("UPDATE users SET show_link_previews = ? WHERE id = ?", [show, user.id]).affectedRows > 0 || changed
            }
            if let tone = body.skinTone {
                changed = try c.execute("UPDATE users SET skin_tone = ? WHERE id = ?", [tone, user.id]).affectedRows > 0 || changed
            }
            // My other clients follow (link previews shown or hidden, emoji in the new tone, at once).
            if changed { try Preferences.announce(c, events, userID: user.id) }
            if let bio { try c.execute("UPDATE users SET bio = ? WHERE id = ?", [bio, user.id]) }
        }
        sessions.forget(userID: session.user.id)
        return try await Self.loadMe(pool, session.user.id)
    }

    struct SummaryAnswer: ResponseEncodable {
        let rooms: [RoomState]
        let notifications: [NotificationService.NotificationView]
        /// The newest notification the user marked seen, on any device (`markNotificationsSeen`).
        let notificationsSeenId: Int64
    }

    /// [summary] What happened while away, in one request: every room's unread state and the
    /// notifications since `since` (ISO 8601; default the last 7 days; at most 200).
    func summary(request: Request, context: AppRequestContext) async throws -> SummaryAnswer {
        let session = try context.requireSession()
        var since = Date().addingTimeInterval(-7 * 86_400)
        if let text = request.query.get("since") {
            guard let date = ParleyJSON.parseTimestamp(text) else { throw ParleyError.badRequest("since must be an ISO 8601 timestamp.") }
            since = date
        }
        let states = try await RoomState.all(pool: pool, userID: session.user.id)
        let (notifications, seen) = try await pool.withConnection { [since] c in
            (
                try NotificationService.since(c, userID: session.user.id, since: since, limit: 200),
                try NotificationsSeenController.mark(c, userID: session.user.id)
            )
        }
        return SummaryAnswer(rooms: states, notifications: notifications, notificationsSeenId: seen)
    }
}

/// One of my rooms' unread state.
struct RoomState: Encodable, Sendable {
    let roomId: Int64
    let unreadCount: Int
    /// The count as a badge shows it: exact up to 999, then "999+".
    let unreadDisplay: String
    let mentioned: Bool
    let readUpTo: Int64
    let notifyLevel: NotifyLevel
    var lastMessage: MessageView?

    /// Whether I starred the room (my clients list it first).
    let starred: Bool
    /// Whether I closed this DM and no message came since (my clients leave it out of the list).
    let closed: Bool

    enum CodingKeys: String, CodingKey { case roomId, unreadCount, unreadDisplay, mentioned, readUpTo, notifyLevel, lastMessage, starred, closed }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(roomId, forKey: .roomId)
        try c.encode(unreadCount, forKey: .unreadCount)
        try c.encode(unreadDisplay, forKey: .unreadDisplay)
        try c.encode(mentioned, forKey: .mentioned)
        try c.encode(readUpTo, forKey: .readUpTo)
        try c.encode(notifyLevel, forKey: .notifyLevel)
        try c.encode(lastMessage, forKey: .lastMessage)
        try c.encode(starred, forKey: .starred)
        try c.encode(closed, forKey: .closed)
    }

    static func all(pool: MariaDBPool, userID: Int64) async throws -> [RoomState] {
        try await pool.withConnection { c in
            var states = try c.query(
                """
                SELECT m.room_id, m.notify_level, m.starred_at, m.closed_up_to, r.kind FROM room_members m JOIN rooms r ON r.id = m.room_id
                WHERE m.user_id = ?
                """, [userID])
                .map { row in
                    let roomID: Int64 = try row.decode("room_id")
                    let kind = RoomKind(rawValue: try row.decode("kind")) ?? .public
                    let unread = try ReceiptService.unread(c, userID: userID, roomID: roomID)
                    let last = try c.query(
                        "SELECT \(MessageStore.columns) FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.room_id = ? ORDER BY m.id DESC LIMIT 1",
                        [roomID]
                    ).first.map(MessageView.init)
                    let level = try row.decode("notify_level", as: String?.self).flatMap(NotifyLevel.init) ?? (kind == .dm ? .all : .mentions)
                    // A closed DM shows again once a newer message comes, but not one from someone I
                    // blocked (they wake nothing: no notification, no unread count).
                    let closedUpTo = try row.decode("closed_up_to", as: Int64?.self)
                    let woke = try closedUpTo.map { mark in
                        try !c.query(
                            """
                            SELECT 1 FROM messages m WHERE m.room_id = ? AND m.id > ?
                                AND NOT EXISTS(SELECT 1 FROM user_blocks b WHERE b.user_id = ? AND b.blocked_id = m.sender_id) LIMIT 1
                            """, [roomID, mark, userID]
                        ).isEmpty
                    }
                    return RoomState(
                        roomId: roomID, unreadCount: unread.unreadCount, unreadDisplay: unread.unreadCount > 999 ? "999+" : String(unread.unreadCount),
                        mentioned: unread.mentioned, readUpTo: unread.readUpTo, notifyLevel: level, lastMessage: last,
                        starred: try row.decode("starred_at", as: Date?.self) != nil, closed: woke.map { !$0 } ?? false)
                }
            // Each last message as the reader gets it from every other read (`saved`, their own
            // reactions and votes), in one go for all rooms: a hunt found a saved one unmarked here.
            let read = try MessageService.forReader(c, states.compactMap(\.lastMessage), userID: userID)
            let byID = Dictionary(read.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for index in states.indices { states[index].lastMessage = states[index].lastMessage.flatMap { byID[$0.id] } }
            return states
        }
    }
}
