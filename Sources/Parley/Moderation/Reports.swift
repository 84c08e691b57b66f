import Foundation
import Hummingbird
import MariaDB

/// Reports of messages: `reportMessage`, `reports`, `resolveReport` (see docs/DECISIONS.md,
/// "Reports"). A member tells the people who can act on a message about it: the room's moderators,
/// admins and owner, and the site admins (for DMs, which have no moderators, the site admins alone),
/// never the message's sender. They see the open reports with the message as it was reported, and
/// dismiss them or delete the message; either resolves every open report of that message. Reporters
/// hear what became of their reports (`report.outcome`) and list them (`myReports`).
struct ReportController {
    let messages: MessageService
    let log: EventLog
    let limiter: RateLimiter
    let maxBodyBytes: Int

    static let maxPage = 100
    static let maxComment = 1_000

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/messages/:message/report", use: report)
        router.get("/api/reports", use: list)
        router.post("/api/reports/:report/resolve", use: resolve)
        router.get("/api/me/reports", use: mine)
    }

    enum Reason: String, Codable, Sendable { case spam, harassment, inappropriate, other }
    enum Resolution: String, Codable, Sendable { case dismissed, messageDeleted = "message_deleted" }

    struct ReportBody: Decodable {
        let reason: Reason
        let comment: String?
    }

    struct ResolveBody: Decodable {
        enum Action: String, Decodable { case dismiss, deleteMessage = "delete_message" }
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
        let room: RoomRef
        let message: MessageView
        let resolvedAt: Date?
        let resolvedBy: UserSummary?
        let resolution: Resolution?
        /// Whether the reporter is still a member of the room (not sent: `OwnReport` uses it).
        let reporterIsMember: Bool

        enum CodingKeys: String, CodingKey { case id, reason, comment, createdAt, reporter, room, message, resolvedAt, resolvedBy, resolution }
        // Spelled out so that the open report's empty fields are sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(reason, forKey: .reason)
            try c.encode(comment, forKey: .comment)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(reporter, forKey: .reporter)
            try c.encode(room, forKey: .room)
            try c.encode(message, forKey: .message)
            try c.encode(resolvedAt, forKey: .resolvedAt)
            try c.encode(resolvedBy, forKey: .resolvedBy)
            try c.encode(resolution, forKey: .resolution)
        }
    }

    /// A report as its reporter sees it: what they reported and what became of it, not who settled
    /// it. The message is there while they are still a member of its room (as it is now: a tombstone
    /// once deleted), else null.
    struct OwnReport: Encodable, Sendable {
        let report: Report

        enum CodingKeys: String, CodingKey { case id, reason, comment, createdAt, room, sender, message, resolvedAt, resolution }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(report.id, forKey: .id)
            try c.encode(report.reason, forKey: .reason)
            try c.encode(report.comment, forKey: .comment)
            try c.encode(report.createdAt, forKey: .createdAt)
            try c.encode(report.room, forKey: .room)
            try c.encode(report.message.sender, forKey: .sender)
            try c.encode(report.reporterIsMember ? report.message : nil, forKey: .message)
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
        let messageId: Int64
        let roomId: Int64
        let resolution: Resolution
        let resolvedBy: UserSummary
        let resolvedAt: Date
    }

    static let notFound = ParleyError(.notFound, "report_not_found", "No such report among those you may act on.")

    /// [reportMessage] One report per person per message; not one's own, not a deleted one.
    func report(request: Request, context: AppRequestContext) async throws -> EditedResponse<ReportAnswer> {
        let session = try context.requireSession()
        let messageID = try RoomController.id(context, "message")
        let body = try await request.decodeJSON(as: ReportBody.self, context: context, limit: maxBodyBytes)
        let comment = try Self.validateComment(body.comment)
        let messages = self.messages
        let user = session.user
        try limiter.consume(String(user.id))
        // A refused report (already made, one's own, a deleted message) does not use up the allowance.
        let report = try await limiter.refunding(String(user.id)) { try await log.transaction { c, events in
            let message = try messages.memberMessage(c, id: messageID, userID: user.id, forUpdate: true)
            guard !message.deleted else { throw ParleyError(.conflict, "message_deleted", "A deleted message cannot be reported.") }
            guard message.sender.id != user.id else { throw ParleyError(.conflict, "own_message", "You cannot report your own message.") }
            let inserted = try c.execute(
                """
                INSERT IGNORE INTO message_reports (message_id, room_id, reporter_id, reason, comment, created_at)
                VALUES (?, ?, ?, ?, ?, NOW(3))
                """, [messageID, message.roomId, user.id, body.reason.rawValue, comment])
            guard inserted.affectedRows == 1 else {
                throw ParleyError(.conflict, "already_reported", "You have already reported this message.")
            }
            let report = try Self.reports(c, where: "r.id = ?", [Int64(inserted.lastInsertID)], limit: 1)[0]
            for handler in try Self.handlers(c, roomID: message.roomId, senderID: message.sender.id) {
                try events.append(EventType.reportCreated, userID: handler, payload: CreatedEvent(report: report))
            }
            return report
        } }
        return EditedResponse(status: .created, response: ReportAnswer(report: report))
    }

    /// [reports] The reports the viewer may act on, newest first: `state=open` (the default) or
    /// `resolved`; `room=<room id>` only that room's (and `open_count` only its open ones);
    /// `before=<report id>` pages back; `limit` ≤ 100.
    func list(request: Request, context: AppRequestContext) async throws -> List {
        let session = try context.requireSession()
        let limit = try MessageController.number(request, "limit", "from 1 to \(Self.maxPage)").map { Int($0) } ?? 50
        guard (1...Self.maxPage).contains(limit) else { throw ParleyError.badRequest("limit is 1–\(Self.maxPage).") }
        let before = try MessageController.number(request, "before", "a report id", minimum: 1)
        let state = request.uri.queryParameters.get("state") ?? "open"
        guard state == "open" || state == "resolved" else { throw ParleyError.badRequest("state is open or resolved.") }
        let room = try MessageController.number(request, "room", "a room id", minimum: 1)
        let (acts, actsBound) = Self.actsOn(session.user)
        let mine = room == nil ? acts : acts + " AND r.room_id = ?"
        let bound = actsBound + (room.map { [$0] } ?? [])
        return try await log.pool.withConnection { c in
            let rows = try Self.reports(
                c, where: "r.resolved_at IS \(state == "open" ? "" : "NOT ")NULL AND r.id < ? AND \(mine)", [before ?? Int64.max] + bound,
                limit: limit + 1)
            let open = try c.query(
                "SELECT COUNT(*) AS open FROM message_reports r JOIN messages m ON m.id = r.message_id WHERE r.resolved_at IS NULL AND \(mine)", bound
            )[0].decode("open", as: Int.self)
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

    /// [resolveReport] `dismiss` resolves the message's open reports and leaves it be; `delete_message`
    /// deletes it (a tombstone stays, as with any delete), which resolves them.
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
        guard found.resolvedAt == nil else { throw ParleyError(.conflict, "report_resolved", "That report has been resolved already.") }
        switch body.action {
        case .deleteMessage:
            // The delete resolves the message's reports in its own transaction.
            _ = try await messages.delete(user: user, messageID: found.message.id, asSiteAdmin: user.siteRole == .admin)
        case .dismiss:
            try await log.transaction { c, events in
                let resolved = try Self.resolveAll(
                    c, events, messageID: found.message.id, roomID: found.room.id, senderID: found.message.sender.id, by: user, as: .dismissed)
                if resolved {
                    try ModerationService.record(
                        c, room: found.room.id, actor: user.id, action: "dismiss_reports", user: found.message.sender.id, message: found.message.id)
                }
            }
        }
        return try await log.pool.withConnection { c in
            ReportAnswer(report: try Self.reports(c, where: "r.id = ?", [reportID], limit: 1)[0])
        }
    }

    static func validateComment(_ comment: String?) throws -> String? {
        guard let comment = comment?.trimmedWhitespace, !comment.isEmpty else { return nil }
        guard comment.count <= maxComment else { throw ParleyError.invalid("invalid_comment", "A comment is at most \(maxComment) characters.") }
        return comment
    }

    /// The reports a user may act on, as a condition on `r` (the report) and `m` (its message): a site
    /// admin's are all but those of their own messages; anyone else's those of their rooms where they
    /// are a moderator or higher.
    static func actsOn(_ user: User) -> (String, [any MariaDBEncodable]) {
        let others = "m.sender_id <> ?"
        if user.siteRole == .admin { return (others, [user.id]) }
        return (
            """
            \(others) AND EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = r.room_id AND rm.user_id = ?
            AND rm.role IN ('owner', 'admin', 'moderator'))
            """, [user.id, user.id]
        )
    }

    /// Who hears of a message's reports: the site admins and the room's moderators and up, less its sender.
    static func handlers(_ c: MariaDBConnection, roomID: Int64, senderID: Int64) throws -> [Int64] {
        try c.query(
            """
            SELECT id FROM users WHERE site_role = 'admin' AND deactivated_at IS NULL AND id <> ?
            UNION SELECT user_id FROM room_members WHERE room_id = ? AND role IN ('owner', 'admin', 'moderator') AND user_id <> ?
            """, [senderID, roomID, senderID]
        ).map { try $0.decode("id") }
    }

    /// Resolves a message's open reports (called by every delete too), telling the handlers and the
    /// reporters (but not whoever resolved them); false when there were none.
    @discardableResult
    static func resolveAll(
        _ c: MariaDBConnection, _ events: EventAppender, messageID: Int64, roomID: Int64, senderID: Int64, by user: User, as resolution: Resolution
    ) throws -> Bool {
        let open = try c.query("SELECT id, reporter_id FROM message_reports WHERE message_id = ? AND resolved_at IS NULL FOR UPDATE", [messageID])
            .map { (id: try $0.decode("id", as: Int64.self), reporter: try $0.decode("reporter_id", as: Int64.self)) }
        let ids = open.map(\.id)
        guard !ids.isEmpty else { return false }
        let now = MessageView.storedPrecision(Date())
        try c.execute(
            "UPDATE message_reports SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE message_id = ? AND resolved_at IS NULL",
            [now, user.id, resolution.rawValue, messageID])
        let event = ResolvedEvent(
            reportIds: ids, messageId: messageID, roomId: roomID, resolution: resolution, resolvedBy: UserSummary(user), resolvedAt: now)
        for handler in try handlers(c, roomID: roomID, senderID: senderID) {
            try events.append(EventType.reportResolved, userID: handler, payload: event)
        }
        let told = open.filter { $0.reporter != user.id }.map(\.id)
        if !told.isEmpty {
            let marks = Array(repeating: "?", count: told.count).joined(separator: ", ")
            for report in try reports(c, where: "r.id IN (\(marks))", told.map { $0 as any MariaDBEncodable }, limit: told.count) {
                try events.append(EventType.reportOutcome, userID: report.reporter.id, payload: OutcomeEvent(report: OwnReport(report: report)))
            }
        }
        return true
    }

    /// Reports with their message, room, reporter and resolver, newest first.
    static func reports(_ c: MariaDBConnection, where condition: String, _ values: [any MariaDBEncodable], limit: Int) throws -> [Report] {
        try c.query(
            """
            SELECT r.id AS report_id, r.reason, r.comment, r.created_at AS reported_at, r.resolved_at, r.resolution,
            ru.id AS reporter_id, ru.username AS reporter_username, ru.display_name AS reporter_display_name, ru.avatar AS reporter_avatar,
            rb.id AS resolver_id, rb.username AS resolver_username, rb.display_name AS resolver_display_name, rb.avatar AS resolver_avatar,
            k.kind AS room_kind, k.name AS room_name, \(MessageStore.columns),
            EXISTS (SELECT 1 FROM room_members x WHERE x.room_id = r.room_id AND x.user_id = r.reporter_id) AS reporter_member
            FROM message_reports r
            JOIN messages m ON m.id = r.message_id
            JOIN users u ON u.id = m.sender_id
            JOIN users ru ON ru.id = r.reporter_id
            JOIN rooms k ON k.id = r.room_id
            LEFT JOIN users rb ON rb.id = r.resolved_by
            WHERE \(condition) ORDER BY r.id DESC LIMIT ?
            """, values + [limit]
        ).map { row in
            let kind = RoomKind(rawValue: try row.decode("room_kind")) ?? .public
            let message = try MessageView(row: row)
            return Report(
                id: try row.decode("report_id"),
                reason: Reason(rawValue: try row.decode("reason")) ?? .other,
                comment: try row.decode("comment"),
                createdAt: try row.decode("reported_at"),
                reporter: try UserSummary(row: row, prefix: "reporter_"),
                room: RoomRef(id: message.roomId, kind: kind, name: kind == .dm ? nil : try row.decode("room_name")),
                message: message,
                resolvedAt: try row.decode("resolved_at"),
                resolvedBy: try row.decode("resolver_id", as: Int64?.self) == nil ? nil : try UserSummary(row: row, prefix: "resolver_"),
                resolution: try row.decode("resolution", as: String?.self).flatMap(Resolution.init(rawValue:)),
                reporterIsMember: try row.decode("reporter_member", as: Int64.self) != 0)
        }
    }
}
