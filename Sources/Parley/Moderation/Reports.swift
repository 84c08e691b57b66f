import Foundation
import Hummingbird
import MariaDB

/// Reports of messages, people and rooms: `reportMessage`, `reportUser`, `reportRoom`, `reports`,
/// `resolveReport`, `myReports` (see docs/DECISIONS.md, "Reports"). A member tells the people who
/// can act on a message about it: the room's moderators, admins and owner, and the site admins (for
/// DMs, which have no moderators, the site admins alone), never the message's sender. Anyone tells
/// the site admins about a person (their name, picture, or what they do across rooms), or about a
/// room or group they may see (its name, topic, what it is for), never telling its owner. Handlers
/// see the open reports, and dismiss them, delete the message or the room, or deactivate the
/// person's account; each resolves every open report of that message, person or room. Reporters
/// hear what became of their reports (`report.outcome`) and list them (`myReports`).
struct ReportController {
    let messages: MessageService
    let sessions: SessionService
    let log: EventLog
    let limiter: RateLimiter
    let maxBodyBytes: Int

    static let maxPage = 100
    static let maxComment = 1_000

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/messages/:message/report", use: report)
        router.post("/api/users/:user/report", use: reportUser)
        router.post("/api/rooms/:room/report", use: reportRoom)
        router.get("/api/reports", use: list)
        router.post("/api/reports/:report/resolve", use: resolve)
        router.get("/api/me/reports", use: mine)
    }

    enum Reason: String, Codable, Sendable { case spam, harassment, inappropriate, other }
    enum Resolution: String, Codable, Sendable {
        case dismissed, messageDeleted = "message_deleted", userDeactivated = "user_deactivated", roomDeleted = "room_deleted"
    }
    /// What a report is about: a message, a person as such, or a room as such.
    enum Subject: String, Codable, Sendable { case message, user, room }

    /// What is being settled: one message's reports, one person's or one room's reports as such.
    enum Target {
        case message(id: Int64, roomID: Int64, senderID: Int64)
        case user(Int64)
        case room(Int64)
    }

    struct ReportBody: Decodable, Sendable {
        let reason: Reason
        let comment: String?
    }

    struct ResolveBody: Decodable {
        enum Action: String, Decodable {
            case dismiss, deleteMessage = "delete_message", deactivateUser = "deactivate_user", deleteRoom = "delete_room"
        }
        let action: Action
    }

    struct RoomRef: Encodable, Sendable {
        let id: Int64
        let kind: RoomKind
        /// Nil for a DM, whose name is only its key.
        let name: String?

        enum CodingKeys: String, CodingKey { case id, kind, name }
        // Spelled out so that a DM's name is sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(kind, forKey: .kind)
            try c.encode(name, forKey: .name)
        }
    }

    struct Report: Encodable, Sendable {
        let id: Int64
        let reason: Reason
        let comment: String?
        let createdAt: Date
        let reporter: UserSummary
        /// The person reported: the message's sender, or the person themselves; nil for a room.
        let user: UserSummary?
        /// The message's room, or the room reported; nil for a report of a person.
        let room: RoomRef?
        /// Nil for a report of a person.
        let message: MessageView?
        /// The message's text when it was reported (nil for a person, a message without text, and once
        /// the message is deleted): an edit since does not hide what was reported.
        let reportedText: String?
        let resolvedAt: Date?
        let resolvedBy: UserSummary?
        let resolution: Resolution?
        /// Whether the reporter is still a member of the room (not sent: `OwnReport` uses it).
        let reporterIsMember: Bool

        var subject: Subject { message != nil ? .message : room != nil ? .room : .user }

        enum CodingKeys: String, CodingKey {
            case id, subject, reason, comment, createdAt, reporter, user, room, message, reportedText, resolvedAt, resolvedBy, resolution
        }
        // Spelled out so that the open report's empty fields are sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(subject, forKey: .subject)
            try c.encode(reason, forKey: .reason)
            try c.encode(comment, forKey: .comment)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(reporter, forKey: .reporter)
            try c.encode(user, forKey: .user)
            try c.encode(room, forKey: .room)
            try c.encode(message, forKey: .message)
            try c.encode(reportedText, forKey: .reportedText)
            try c.encode(resolvedAt, forKey: .resolvedAt)
            try c.encode(resolvedBy, forKey: .resolvedBy)
            try c.encode(resolution, forKey: .resolution)
        }
    }

    /// A report as its reporter sees it: what they reported and what became of it, not who settled
    /// it. A message is there while they are still a member of its room (as it is now: a tombstone
    /// once deleted, with the text they reported), else null.
    struct OwnReport: Encodable, Sendable {
        let report: Report

        enum CodingKeys: String, CodingKey { case id, subject, reason, comment, createdAt, user, room, message, reportedText, resolvedAt, resolution }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(report.id, forKey: .id)
            try c.encode(report.subject, forKey: .subject)
            try c.encode(report.reason, forKey: .reason)
            try c.encode(report.comment, forKey: .comment)
            try c.encode(report.createdAt, forKey: .createdAt)
            try c.encode(report.user, forKey: .user)
            // A private group they left, or were removed from, shows no name: read as it is now, it
            // told them its renames (a hunt), and to them the group no longer exists.
            let room = report.room.map { room in
                report.reporterIsMember || room.kind == .public ? room : RoomRef(id: room.id, kind: room.kind, name: nil)
            }
            try c.encode(room, forKey: .room)
            try c.encode(report.reporterIsMember ? report.message : nil, forKey: .message)
            try c.encode(report.reporterIsMember ? report.reportedText : nil, forKey: .reportedText)
            try c.encode(report.resolvedAt, forKey: .resolvedAt)
            try c.encode(report.resolution, forKey: .resolution)
        }
    }

    struct OwnList: ResponseEncodable {
        let reports: [OwnReport]
        let hasMore: Bool
    }

    struct OutcomeEvent: Encodable {
        let report: OwnReport
    }

    struct ReportAnswer: ResponseEncodable {
        let report: Report
    }

    struct List: ResponseEncodable {
        let reports: [Report]
        let hasMore: Bool
        /// The open reports the viewer may act on, whichever list was asked for.
        let openCount: Int
    }

    struct CreatedEvent: Encodable {
        let report: Report
    }

    struct ResolvedEvent: Encodable {
        let reportIds: [Int64]
        let subject: Subject
        /// Nil (sent as null) for a person's or a room's reports.
        let messageId: Int64?
        /// Nil for a person's reports.
        let roomId: Int64?
        /// Nil for a room's reports.
        let userId: Int64?
        let resolution: Resolution
        let resolvedBy: UserSummary
        let resolvedAt: Date

        enum CodingKeys: String, CodingKey { case reportIds, subject, messageId, roomId, userId, resolution, resolvedBy, resolvedAt }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(reportIds, forKey: .reportIds)
            try c.encode(subject, forKey: .subject)
            try c.encode(messageId, forKey: .messageId)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(userId, forKey: .userId)
            try c.encode(resolution, forKey: .resolution)
            try c.encode(resolvedBy, forKey: .resolvedBy)
            try c.encode(resolvedAt, forKey: .resolvedAt)
        }
    }

    struct MessageEditedEvent: Encodable {
        /// The message's open reports.
        let reportIds: [Int64]
        let message: MessageView
    }

    static let notFound = ParleyError(.notFound, "report_not_found", "No such report among those you may act on.")

    /// [reportMessage] One report per person per message; not one's own, not a deleted one.
    func report(request: Request, context: AppRequestContext) async throws -> EditedResponse<ReportAnswer> {
        let messages = self.messages
        return try await make(request, context, about: "message") { c, messageID, user, body, comment in
            let message = try messages.memberMessage(c, id: messageID, userID: user.id, forUpdate: true)
            guard !message.deleted else { throw ParleyError(.conflict, "message_deleted", "A deleted message cannot be reported.") }
            guard message.sender.id != user.id else { throw ParleyError(.conflict, "own_message", "You cannot report your own message.") }
            let inserted = try c.execute(
                """
                INSERT IGNORE INTO reports (message_id, room_id, user_id, reporter_id, reason, comment, message_text, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, NOW(3))
                """, [messageID, message.roomId, message.sender.id, user.id, body.reason.rawValue, comment, message.text])
            guard inserted.affectedRows == 1 else {
                throw ParleyError(.conflict, "already_reported", "You have already reported this message.")
            }
            return Int64(inserted.lastInsertID)
        }
    }

    /// [reportUser] A person as such, to the site admins: one open report per reporter and person.
    func reportUser(request: Request, context: AppRequestContext) async throws -> EditedResponse<ReportAnswer> {
        try await make(request, context, about: "user") { c, userID, user, body, comment in
            guard userID != user.id else { throw ParleyError(.conflict, "own_account", "You cannot report yourself.") }
            // A shared lock: a deactivation at the same moment either comes first (and this is refused)
            // or waits for the report, which it then settles with the others.
            guard let row = try c.query("SELECT deactivated_at FROM users WHERE id = ? LOCK IN SHARE MODE", [userID]).first else {
                throw ParleyError.notFound("user_not_found", "No user has id \(userID).")
            }
            guard try row.decode("deactivated_at", as: Date?.self) == nil else {
                throw ParleyError(.conflict, "user_deactivated", "That account is deactivated already.")
            }
            // The unique key lets one open report of a person per reporter through.
            let inserted = try c.execute(
                "INSERT IGNORE INTO reports (user_id, reporter_id, reason, comment, created_at) VALUES (?, ?, ?, ?, NOW(3))",
                [userID, user.id, body.reason.rawValue, comment])
            guard inserted.affectedRows == 1 else {
                throw ParleyError(.conflict, "already_reported", "You have reported this person already, and the site admins have not settled it yet.")
            }
            return Int64(inserted.lastInsertID)
        }
    }

    /// [reportRoom] A public room or a private group as such (its name, its topic, what it is for), to
    /// the site admins: by anyone who may see it (a group's members), not its owner; not a DM (its
    /// person or a message is reported instead); one open report per reporter and room.
    func reportRoom(request: Request, context: AppRequestContext) async throws -> EditedResponse<ReportAnswer> {
        let rooms = messages.rooms
        return try await make(request, context, about: "room") { c, roomID, user, body, comment in
            let (room, role) = try RoomService.access(rooms, c, roomID: roomID, userID: user.id)
            guard room.kind != .dm else {
                throw ParleyError(.conflict, "not_reportable", "A direct message is not reported as a room; report the person or a message.")
            }
            guard role != .owner else { throw ParleyError(.conflict, "own_room", "You cannot report your own room.") }
            // Not the already_reported an ignored foreign key would give when the room just went.
            try RoomStore.holdRoom(c, roomID)
            // The unique key lets one open report of a room per reporter through.
            let inserted = try c.execute(
                "INSERT IGNORE INTO reports (room_id, reporter_id, reason, comment, created_at) VALUES (?, ?, ?, ?, NOW(3))",
                [roomID, user.id, body.reason.rawValue, comment])
            guard inserted.affectedRows == 1 else {
                throw ParleyError(.conflict, "already_reported", "You have reported this room already, and the site admins have not settled it yet.")
            }
            return Int64(inserted.lastInsertID)
        }
    }

    /// Makes a report of the path's `about` (a message or user id): reads the body, takes one of the
    /// caller's allowance (given back when the report is refused: it did nothing), runs `insert` in a
    /// transaction (it answers the new report's id) and tells the handlers.
    private func make(
        _ request: Request, _ context: AppRequestContext, about: String,
        insert: @escaping @Sendable (MariaDBConnection, Int64, User, ReportBody, String?) throws -> Int64
    ) async throws -> EditedResponse<ReportAnswer> {
        let session = try context.requireSession()
        let subjectID = try RoomController.id(context, about)
        let body = try await request.decodeJSON(as: ReportBody.self, context: context, limit: maxBodyBytes)
        let comment = try Self.validateComment(body.comment)
        let user = session.user
        try limiter.consume(String(user.id))
        let report = try await limiter.refunding(String(user.id)) { try await log.transaction { c, events in
            try Self.announce(c, events, reportID: try insert(c, subjectID, user, body, comment))
        } }
        return EditedResponse(status: .created, response: ReportAnswer(report: report))
    }

    /// Reads a new report and tells its handlers.
    private static func announce(_ c: MariaDBConnection, _ events: EventAppender, reportID: Int64) throws -> Report {
        let report = try reports(c, where: "r.id = ?", [reportID], limit: 1)[0]
        let reportedRoom = report.subject == .room ? report.room?.id : nil
        for handler in try handlers(c, roomID: report.message == nil ? nil : report.room?.id, userID: report.user?.id, reportedRoom: reportedRoom) {
            try events.append(EventType.reportCreated, userID: handler, payload: CreatedEvent(report: report))
        }
        return report
    }

    /// [reports] The reports the viewer may act on, newest first: `state=open` (the default) or
    /// `resolved`; `room=<room id>` only that room's, `subject=message|user` only those of messages
    /// or of people, and `reason=<reason>` only those given for it (`open_count` counts the open ones
    /// of the same); `before=<report id>` pages back; `limit` ≤ 100.
    func list(request: Request, context: AppRequestContext) async throws -> List {
        let session = try context.requireSession()
        let limit = try MessageController.number(request, "limit", "from 1 to \(Self.maxPage)").map { Int($0) } ?? 50
        guard (1...Self.maxPage).contains(limit) else { throw ParleyError.badRequest("limit is 1–\(Self.maxPage).") }
        let before = try MessageController.number(request, "before", "a report id", minimum: 1)
        let state = request.query.get("state") ?? "open"
        guard state == "open" || state == "resolved" else { throw ParleyError.badRequest("state is open or resolved.") }
        let room = try MessageController.number(request, "room", "a room id", minimum: 1)
        let subject = try request.query.get("subject").map { value in
            guard let subject = Subject(rawValue: value) else { throw ParleyError.badRequest("subject is message, user or room.") }
            return subject
        }
        let reason = try request.query.get("reason").map { value in
            guard let reason = Reason(rawValue: value) else { throw ParleyError.badRequest("reason is spam, harassment, inappropriate or other.") }
            return reason
        }
        let (acts, actsBound) = Self.actsOn(session.user)
        let kind = subject.map { Self.condition(of: $0) }.map { " AND \($0)" } ?? ""
        let mine = (room == nil ? acts : acts + " AND r.room_id = ?") + kind + (reason == nil ? "" : " AND r.reason = ?")
        let bound: [any MariaDBEncodable] = actsBound + (room.map { [$0] } ?? []) + (reason.map { [$0.rawValue] } ?? [])
        return try await log.pool.withConnection { c in
            let rows = try Self.reports(
                c, where: "r.resolved_at IS \(state == "open" ? "" : "NOT ")NULL AND r.id < ? AND \(mine)", [before ?? Int64.max] + bound,
                limit: limit + 1)
            let open = try c.query("SELECT COUNT(*) AS open FROM reports r WHERE r.resolved_at IS NULL AND \(mine)", bound)[0]
                .decode("open", as: Int.self)
            return List(reports: Array(rows.prefix(limit)), hasMore: rows.count > limit, openCount: open)
        }
    }

    /// [myReports] The caller's own reports, newest first, with what became of them; `before=<report
    /// id>` pages back; `limit` ≤ 100.
    func mine(request: Request, context: AppRequestContext) async throws -> OwnList {
        let session = try context.requireSession()
        let limit = try MessageController.number(request, "limit", "from 1 to \(Self.maxPage)").map { Int($0) } ?? 50
        guard (1...Self.maxPage).contains(limit) else { throw ParleyError.badRequest("limit is 1–\(Self.maxPage).") }
        let before = try MessageController.number(request, "before", "a report id", minimum: 1)
        return try await log.pool.withConnection { c in
            let rows = try Self.reports(c, where: "r.reporter_id = ? AND r.id < ?", [session.user.id, before ?? Int64.max], limit: limit + 1)
            return OwnList(reports: rows.prefix(limit).map(OwnReport.init(report:)), hasMore: rows.count > limit)
        }
    }

    /// [resolveReport] `dismiss` resolves the open reports of the message, person or room and leaves
    /// them be; `delete_message` deletes the message (a tombstone stays, as with any delete),
    /// `deactivate_user` (a person's report, site admins) deactivates the account, and `delete_room`
    /// (a room's report, site admins) deletes the room with its reports; each resolves them.
    func resolve(request: Request, context: AppRequestContext) async throws -> ReportAnswer {
        let session = try context.requireSession()
        let reportID = try RoomController.id(context, "report")
        let body = try await request.decodeJSON(as: ResolveBody.self, context: context, limit: maxBodyBytes)
        let user = session.user
        let (mine, bound) = Self.actsOn(user)
        let found = try await log.pool.withConnection { c in
            try Self.reports(c, where: "r.id = ? AND \(mine)", [reportID] + bound, limit: 1).first
        }
        guard let found else { throw Self.notFound }
        guard found.resolvedAt == nil else { throw Self.resolvedAlready }
        let target: Target
        switch found.subject {
        case .message:
            let message = found.message!
            target = .message(id: message.id, roomID: message.roomId, senderID: message.sender.id)
        case .user: target = .user(found.user!.id)
        case .room: target = .room(found.room!.id)
        }
        switch (body.action, target) {
        case (.deleteMessage, .message(let messageID, _, _)):
            // The delete resolves the message's reports in its own transaction.
            _ = try await messages.delete(user: user, messageID: messageID, asSiteAdmin: user.siteRole == .admin, forReport: reportID)
        case (.deactivateUser, .user(let target)):
            // Only site admins act on reports of people. The deactivation resolves them in its transaction.
            try await log.transaction { c, events in
                try Self.lockOpen(c, reportID: reportID)
                if try !AccountService.deactivate(c, events, userID: target, actor: user.id, action: "deactivate") {
                    try Self.resolveAll(c, events, .user(target), by: user.id, as: .userDeactivated)
                }
            }
            await sessions.endAll(userID: target)
        case (.deleteRoom, .room(let roomID)):
            // Only site admins act on reports of rooms. The report goes with the room: it is answered
            // as it was settled.
            let settled = try await log.transaction { c, events in
                try Self.lockOpen(c, reportID: reportID)
                try Self.resolveAll(c, events, target, by: user.id, as: .roomDeleted)
                // Gone if the room was deleted meanwhile (its reports with it).
                let settled = try Self.report(c, id: reportID)
                try AdminController.deleteRoom(c, events, roomID: roomID, by: user)
                return settled
            }
            return ReportAnswer(report: settled)
        case (.dismiss, _):
            try await log.transaction { c, events in
                // Still one the user acts on, read under the room's lock (which a demotion holds): a
                // moderator demoted meanwhile is answered as if it were not theirs.
                if case .message(_, let roomID, _) = target {
                    do { try RoomStore.holdRoom(c, roomID) } catch let error as ParleyError where error.code == "room_not_found" { throw Self.notFound }
                    guard try c.query("SELECT r.id FROM reports r WHERE r.id = ? AND \(mine)", [reportID] + bound).first != nil else { throw Self.notFound }
                }
                // Settled meanwhile (by someone else's action or dismissal): 409, as when it was found settled.
                try Self.lockOpen(c, reportID: reportID)
                try Self.resolveAll(c, events, target, by: user.id, as: .dismissed)
                // A message's in its room's moderation log; a person's or a room's in the site's.
                let room = found.subject == .room ? found.room : nil
                try ModerationService.record(
                    c, room: found.message == nil ? nil : found.room?.id, actor: user.id, action: "dismiss_reports", user: found.user?.id,
                    message: found.message?.id, reason: room.map { "\($0.name ?? "") (room \($0.id))" })
            }
        case (.deleteMessage, _):
            throw ParleyError.invalid("invalid_action", "Only a report of a message has a message to delete.")
        case (.deactivateUser, _):
            throw ParleyError.invalid(
                "invalid_action", "Only a report of a person deactivates an account; a site admin deactivates a sender in the site administration.")
        case (.deleteRoom, _):
            throw ParleyError.invalid("invalid_action", "Only a report of a room deletes a room.")
        }
        return try await log.pool.withConnection { c in ReportAnswer(report: try Self.report(c, id: reportID)) }
    }

    /// Locks a report that is still open, for the transaction that settles it: 409 `report_resolved`
    /// when it was settled meanwhile (two people acting on it at once: one acts, the other is told),
    /// 404 when it went with its room or message.
    static func lockOpen(_ c: MariaDBConnection, reportID: Int64) throws {
        guard let row = try c.query("SELECT resolved_at FROM reports WHERE id = ? FOR UPDATE", [reportID]).first else { throw notFound }
        guard try row.decode("resolved_at", as: Date?.self) == nil else { throw resolvedAlready }
    }

    static let resolvedAlready = ParleyError(.conflict, "report_resolved", "That report has been resolved already.")

    /// A report as it stands, or 404 `report_not_found` when it went with its room or message
    /// (a deletion, or retention, racing the request).
    private static func report(_ c: MariaDBConnection, id: Int64) throws -> Report {
        guard let report = try reports(c, where: "r.id = ?", [id], limit: 1).first else { throw notFound }
        return report
    }

    static func validateComment(_ comment: String?) throws -> String? {
        guard let comment = comment?.trimmedWhitespace, !comment.isEmpty else { return nil }
        // The column holds `maxComment` code points, and the insert ignores errors (for the duplicate it
        // expects), so a longer comment would be cut silently: characters of several code points count as many.
        guard comment.count <= maxComment, comment.unicodeScalars.count <= maxComment, !comment.hasControlCharacters(allowingLineBreaks: true) else {
            throw ParleyError.invalid("invalid_comment", "A comment is at most \(maxComment) characters, with no control characters but line breaks.")
        }
        return comment
    }

    /// The reports a user may act on, as a condition on `r` (the report): a site admin's are all but
    /// those about themselves and their own rooms; anyone else's those of the messages of rooms where
    /// they are a moderator or higher, but of their own (a person's and a room's reports go to site
    /// admins alone).
    static func actsOn(_ user: User) -> (String, [any MariaDBEncodable]) {
        // A room's report names no person (null), so the comparison is null-safe.
        let others = "NOT (r.user_id <=> ?)"
        if user.siteRole == .admin {
            return (
                """
                \(others) AND NOT (r.message_id IS NULL AND r.room_id IS NOT NULL
                AND EXISTS (SELECT 1 FROM room_members o WHERE o.room_id = r.room_id AND o.user_id = ? AND o.role = 'owner'))
                """, [user.id, user.id]
            )
        }
        return (
            """
            \(others) AND r.message_id IS NOT NULL AND EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = r.room_id AND rm.user_id = ?
            AND rm.role IN ('owner', 'admin', 'moderator'))
            """, [user.id, user.id]
        )
    }

    /// The reports of one subject, as a condition on `r`.
    static func condition(of subject: Subject) -> String {
        switch subject {
        case .message: "r.message_id IS NOT NULL"
        case .user: "r.message_id IS NULL AND r.room_id IS NULL"
        case .room: "r.message_id IS NULL AND r.room_id IS NOT NULL"
        }
    }

    /// Who hears of reports: the site admins, with a room's moderators and up for its messages' reports
    /// (`roomID`: nil for a person's or a room's reports); never the person reported, nor the owner of
    /// the room reported (`reportedRoom`).
    static func handlers(_ c: MariaDBConnection, roomID: Int64?, userID: Int64?, reportedRoom: Int64? = nil) throws -> [Int64] {
        let admins = "SELECT id FROM users WHERE site_role = 'admin' AND deactivated_at IS NULL AND NOT (id <=> ?)"
        if let reportedRoom {
            return try c.query(
                "\(admins) AND id NOT IN (SELECT user_id FROM room_members WHERE room_id = ? AND role = 'owner')", [userID, reportedRoom]
            ).map { try $0.decode("id") }
        }
        guard let roomID else { return try c.query(admins, [userID]).map { try $0.decode("id") } }
        return try c.query(
            "\(admins) UNION SELECT user_id FROM room_members WHERE room_id = ? AND role IN ('owner', 'admin', 'moderator') AND user_id <> ?",
            [userID, roomID, userID]
        ).map { try $0.decode("id") }
    }

    /// A message with open reports was edited: the site admins outside its room hear it
    /// (`report.message_edited`; its members, the room's moderators among them, hear `message.edited`).
    static func tellOfEdit(_ c: MariaDBConnection, _ events: EventAppender, message: MessageView) throws {
        let open = try c.query("SELECT id FROM reports WHERE message_id = ? AND resolved_at IS NULL ORDER BY id", [message.id])
            .map { try $0.decode("id", as: Int64.self) }
        guard !open.isEmpty else { return }
        let outside = try c.query(
            """
            SELECT u.id FROM users u WHERE u.site_role = 'admin' AND u.deactivated_at IS NULL AND u.id <> ?
            AND NOT EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = ? AND rm.user_id = u.id)
            """, [message.sender.id, message.roomId]
        ).map { try $0.decode("id", as: Int64.self) }
        for admin in outside {
            try events.append(EventType.reportMessageEdited, userID: admin, payload: MessageEditedEvent(reportIds: open, message: message))
        }
    }

    /// Settles every open report a room's deletion ends, before they go with it: the room's own,
    /// and those of its messages, so that their handlers' lists and their reporters hear of each.
    static func resolveRoomDeleted(_ c: MariaDBConnection, _ events: EventAppender, roomID: Int64, by actor: Int64) throws {
        try resolveAll(c, events, .room(roomID), by: actor, as: .roomDeleted)
        let open = try c.query(
            "SELECT DISTINCT message_id, user_id FROM reports WHERE room_id = ? AND message_id IS NOT NULL AND resolved_at IS NULL ORDER BY message_id",
            [roomID])
        for row in open {
            try resolveAll(
                c, events, .message(id: try row.decode("message_id"), roomID: roomID, senderID: try row.decode("user_id")), by: actor, as: .roomDeleted)
        }
    }

    /// Resolves the open reports of a message (called by every delete too) or of a person as such
    /// (called by every deactivation too), telling the handlers and the reporters (but not whoever
    /// resolved them); false when there were none.
    @discardableResult
    static func resolveAll(_ c: MariaDBConnection, _ events: EventAppender, _ target: Target, by actor: Int64, as resolution: Resolution) throws -> Bool {
        let (which, bound): (String, [any MariaDBEncodable])
        let (roomID, userID): (Int64?, Int64?)
        var messageID: Int64? = nil
        let subject: Subject
        switch target {
        case .message(let id, let room, let sender):
            (which, bound, subject) = ("message_id = ?", [id], .message)
            (messageID, roomID, userID) = (id, room, sender)
        case .user(let id):
            (which, bound, subject) = ("user_id = ? AND message_id IS NULL", [id], .user)
            (roomID, userID) = (nil, id)
        case .room(let id):
            (which, bound, subject) = ("room_id = ? AND message_id IS NULL", [id], .room)
            (roomID, userID) = (id, nil)
        }
        let open = try c.query("SELECT id, reporter_id FROM reports WHERE \(which) AND resolved_at IS NULL FOR UPDATE", bound)
            .map { (id: try $0.decode("id", as: Int64.self), reporter: try $0.decode("reporter_id", as: Int64.self)) }
        let ids = open.map(\.id)
        guard !ids.isEmpty else { return false }
        let now = MessageView.storedPrecision(Date())
        try c.execute(
            "UPDATE reports SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE \(which) AND resolved_at IS NULL",
            [now, actor, resolution.rawValue] + bound)
        let by = try UserSummary(row: c.query("SELECT id, username, display_name, avatar FROM users WHERE id = ?", [actor])[0])
        let event = ResolvedEvent(
            reportIds: ids, subject: subject, messageId: messageID, roomId: roomID, userId: userID,
            resolution: resolution, resolvedBy: by, resolvedAt: now)
        for handler in try handlers(c, roomID: messageID == nil ? nil : roomID, userID: userID, reportedRoom: subject == .room ? roomID : nil) {
            try events.append(EventType.reportResolved, userID: handler, payload: event)
        }
        let told = open.filter { $0.reporter != actor }.map(\.id)
        if !told.isEmpty {
            let marks = Array(repeating: "?", count: told.count).joined(separator: ", ")
            for report in try reports(c, where: "r.id IN (\(marks))", told.map { $0 as any MariaDBEncodable }, limit: told.count) {
                try events.append(EventType.reportOutcome, userID: report.reporter.id, payload: OutcomeEvent(report: OwnReport(report: report)))
            }
        }
        return true
    }

    /// Reports with the person reported, their message and room if any, the reporter and the
    /// resolver, newest first.
    static func reports(_ c: MariaDBConnection, where condition: String, _ values: [any MariaDBEncodable], limit: Int) throws -> [Report] {
        try c.query(
            """
            SELECT r.id AS report_id, r.reason, r.comment, r.message_text AS reported_text, r.created_at AS reported_at, r.resolved_at, r.resolution,
            ru.id AS reporter_id, ru.username AS reporter_username, ru.display_name AS reporter_display_name, ru.avatar AS reporter_avatar,
            tu.id AS target_id, tu.username AS target_username, tu.display_name AS target_display_name, tu.avatar AS target_avatar,
            rb.id AS resolver_id, rb.username AS resolver_username, rb.display_name AS resolver_display_name, rb.avatar AS resolver_avatar,
            r.room_id AS report_room_id, k.kind AS room_kind, k.name AS room_name, \(MessageStore.columns),
            EXISTS (SELECT 1 FROM room_members x WHERE x.room_id = r.room_id AND x.user_id = r.reporter_id) AS reporter_member
            FROM reports r
            LEFT JOIN users tu ON tu.id = r.user_id
            JOIN users ru ON ru.id = r.reporter_id
            LEFT JOIN messages m ON m.id = r.message_id
            LEFT JOIN users u ON u.id = m.sender_id
            LEFT JOIN rooms k ON k.id = r.room_id
            LEFT JOIN users rb ON rb.id = r.resolved_by
            WHERE \(condition) ORDER BY r.id DESC LIMIT ?
            """, values + [limit]
        ).map { row in
            let message = try row.decode("id", as: Int64?.self) == nil ? nil : try MessageView(row: row)
            let room = try row.decode("report_room_id", as: Int64?.self).map { roomID in
                let kind = RoomKind(rawValue: try row.decode("room_kind")) ?? .public
                return RoomRef(id: roomID, kind: kind, name: kind == .dm ? nil : try row.decode("room_name"))
            }
            return Report(
                id: try row.decode("report_id"),
                reason: Reason(rawValue: try row.decode("reason")) ?? .other,
                comment: try row.decode("comment"),
                createdAt: try row.decode("reported_at"),
                reporter: try UserSummary(row: row, prefix: "reporter_"),
                user: try row.decode("target_id", as: Int64?.self) == nil ? nil : try UserSummary(row: row, prefix: "target_"),
                room: room,
                message: message,
                reportedText: try row.decode("reported_text"),
                resolvedAt: try row.decode("resolved_at"),
                resolvedBy: try row.decode("resolver_id", as: Int64?.self) == nil ? nil : try UserSummary(row: row, prefix: "resolver_"),
                resolution: try row.decode("resolution", as: String?.self).flatMap(Resolution.init(rawValue:)),
                reporterIsMember: try row.decode("reporter_member", as: Int64.self) != 0)
        }
    }
}
