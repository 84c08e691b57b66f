import Foundation
import Hummingbird
import MariaDB

/// "Remind me about this message": `setReminder`, `reminders`, `cancelReminder`. When a reminder
/// comes due it becomes a notification (reason `reminder`) for its user, if they may still read
/// the message, and is deleted. `reminder.set` and `reminder.removed` keep the user's clients in step.
struct Reminders: Sendable {
    let messages: MessageService
    let log: EventLog

    /// Pending reminders per user at the most.
    static let maxPending = 100
    /// The latest a reminder may be set for: a year ahead.
    static let maxDelay = 365 * 86_400

    struct Reminder: Encodable, Sendable {
        let id: Int64
        let remindAt: Date
        let message: MessageView
    }

    /// `reminder.set`: the reminder, with its message as events show messages (no reader's marks).
    struct SetEvent: Encodable {
        let reminder: Reminder
    }

    /// `reminder.removed`: cancelled, come due, or gone with its message.
    struct RemovedEvent: Encodable {
        let id: Int64
        let messageId: Int64
    }

    /// Tells a reminder's user it is gone (in the transaction that deletes it).
    static func removed(_ events: EventAppender, id: Int64, userID: Int64, messageID: Int64) throws {
        try events.append(EventType.reminderRemoved, userID: userID, payload: RemovedEvent(id: id, messageId: messageID))
    }

    /// Deletes the reminders about messages that are about to be deleted (a room's, or those its
    /// retention expires), in the same transaction, and tells each one's user. The foreign key
    /// would delete them silently, and their clients would list them until they came due.
    static func removeAll(_ c: MariaDBConnection, _ events: EventAppender, where condition: String, _ parameters: [any MariaDBEncodable]) throws {
        let rows = try c.query(
            "SELECT r.id, r.user_id, r.message_id FROM reminders r JOIN messages m ON m.id = r.message_id WHERE \(condition) ORDER BY r.id FOR UPDATE",
            parameters)
        guard !rows.isEmpty else { return }
        let ids: [Int64] = try rows.map { try $0.decode("id") }.paddedToPowerOfTwo
        try c.execute("DELETE FROM reminders WHERE id IN (\(ids.placeholders))", ids)
        for row in rows {
            try removed(events, id: try row.decode("id"), userID: try row.decode("user_id"), messageID: try row.decode("message_id"))
        }
    }

    /// [setReminder] A reminder about a message the user may read, `seconds` from now.
    func set(user: User, messageID: Int64, seconds: Int) async throws -> Reminder {
        guard (1...Self.maxDelay).contains(seconds) else {
            throw ParleyError.invalid("invalid_reminder", "in_seconds is 1–\(Self.maxDelay) (a year).")
        }
        let messages = self.messages
        let at = MessageView.storedPrecision(Date().addingTimeInterval(TimeInterval(seconds)))
        // At READ COMMITTED, as a schedule is (`ScheduledMessages.schedule`): the count reads what
        // has committed once the user's row is held, with no gap lock for two people at once to
        // deadlock on.
        return try await log.transaction(readCommitted: true) { c, events in
            // Locked: a deletion of the message at the same moment comes first (and this is refused)
            // or waits, and then finds this reminder and removes it. The message before the user, as
            // a save (which locks the message, then checks its user's row as a foreign key) takes them:
            // the other order deadlocked with it.
            let message = try messages.memberMessage(c, id: messageID, userID: user.id, forUpdate: true)
            // The user's row is locked, so two requests cannot both pass the limit.
            _ = try c.query("SELECT id FROM users WHERE id = ? FOR UPDATE", [user.id])
            guard !message.deleted else { throw ParleyError(.conflict, "message_deleted", "A deleted message cannot be a reminder.") }
            // Those listed count (of rooms the user is in): a left room's reminders are listed
            // nowhere, and held the place of ones the user could not find to cancel (a hunt).
            let pending = try c.query(
                """
                SELECT COUNT(*) AS pending FROM reminders r JOIN messages m ON m.id = r.message_id
                JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = r.user_id
                WHERE r.user_id = ?
                """, [user.id]
            )[0].decode("pending", as: Int.self)
            guard pending < Self.maxPending else {
                throw ParleyError(.conflict, "too_many_reminders", "At most \(Self.maxPending) reminders wait at once: cancel one first.")
            }
            let id = Int64(
                try c.execute(
                    "INSERT INTO reminders (user_id, message_id, remind_at, created_at) VALUES (?, ?, ?, NOW(3))", [user.id, messageID, at]
                ).lastInsertID)
            try events.append(EventType.reminderSet, userID: user.id, payload: SetEvent(reminder: Reminder(id: id, remindAt: at, message: message)))
            return Reminder(id: id, remindAt: at, message: try MessageService.forReader(c, [message], userID: user.id)[0])
        }
    }

    /// [reminders] The user's pending reminders, soonest first (those of rooms they are in).
    func pending(user: User) async throws -> [Reminder] {
        try await log.pool.withConnection { c in
            let rows = try c.query(
                """
                SELECT r.id AS reminder_id, r.remind_at, \(MessageStore.columns) FROM reminders r
                JOIN messages m ON m.id = r.message_id
                JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = r.user_id
                JOIN users u ON u.id = m.sender_id
                WHERE r.user_id = ? ORDER BY r.remind_at, r.id
                """, [user.id])
            let views = try MessageService.forReader(c, try rows.map(MessageView.init), userID: user.id)
            return try zip(rows, views).map { row, view in
                Reminder(id: try row.decode("reminder_id"), remindAt: try row.decode("remind_at"), message: view)
            }
        }
    }

    /// [cancelReminder] Cancels one of the user's reminders.
    func cancel(user: User, id: Int64) async throws {
        try await log.transaction { c, events in
            guard let row = try c.query("SELECT message_id FROM reminders WHERE id = ? AND user_id = ? FOR UPDATE", [id, user.id]).first else {
                throw ParleyError.notFound("reminder_not_found", "No such reminder of yours.")
            }
            try c.execute("DELETE FROM reminders WHERE id = ?", [id])
            try Self.removed(events, id: id, userID: user.id, messageID: try row.decode("message_id"))
        }
    }

    /// Turns the reminders that came due into notifications (run every second).
    func fireDue() async throws {
        let due = try await log.pool.query("SELECT id FROM reminders WHERE remind_at <= NOW(3) ORDER BY remind_at LIMIT 200")
        for row in due { try await fire(try row.decode("id")) }
    }

    private func fire(_ id: Int64) async throws {
        let messages = self.messages
        try await log.transaction { c, events in
            guard let row = try c.query("SELECT user_id, message_id FROM reminders WHERE id = ? FOR UPDATE", [id]).first else { return }
            try c.execute("DELETE FROM reminders WHERE id = ?", [id])
            let userID: Int64 = try row.decode("user_id")
            try Self.removed(events, id: id, userID: userID, messageID: try row.decode("message_id"))
            // Only about a message the user may still read, and that is still there.
            guard let message = try? messages.memberMessage(c, id: try row.decode("message_id"), userID: userID), !message.deleted else { return }
            let now = MessageView.storedPrecision(Date())
            let view = try MessageService.forReader(c, [message], userID: userID)[0]
            try NotificationService.store(c, events, userID: userID, message: view, reason: "reminder", at: now)
        }
    }
}

struct ReminderController {
    let reminders: Reminders
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/messages/:message/reminders", use: set)
        router.get("/api/me/reminders", use: list)
        router.delete("/api/me/reminders/:reminder", use: cancel)
    }

    struct SetBody: Decodable {
        let inSeconds: Int
    }

    struct ReminderAnswer: ResponseEncodable {
        let reminder: Reminders.Reminder
    }

    struct ReminderList: ResponseEncodable {
        let reminders: [Reminders.Reminder]
    }

    /// [setReminder]
    func set(request: Request, context: AppRequestContext) async throws -> EditedResponse<ReminderAnswer> {
        let session = try context.requireSession()
        let messageID = try RoomController.id(context, "message")
        let body = try await request.decodeJSON(as: SetBody.self, context: context, limit: maxBodyBytes)
        let reminder = try await reminders.set(user: session.user, messageID: messageID, seconds: body.inSeconds)
        return EditedResponse(status: .created, response: ReminderAnswer(reminder: reminder))
    }

    /// [reminders]
    func list(request: Request, context: AppRequestContext) async throws -> ReminderList {
        ReminderList(reminders: try await reminders.pending(user: try context.requireSession().user))
    }

    /// [cancelReminder]
    func cancel(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await reminders.cancel(user: try context.requireSession().user, id: try RoomController.id(context, "reminder"))
        return .noContent
    }
}
