import Foundation
import Hummingbird
import MariaDB

/// "Send later": `scheduleMessage`, `scheduledMessages`, `updateScheduled`, `cancelScheduled`,
/// `sendScheduledNow`. A scheduled message is checked as `push` would check it when it is written
/// and again when it is sent, by the same posting path (`MessageService.post`), with a `client_id`
/// made for it: a send retried after a crash returns the message already posted.
///
/// A send first claims the row (`claimed_at`): while it is claimed it cannot be edited or
/// cancelled (`409 scheduled_sending`); a claim older than a minute was a server that died and may
/// be taken again. A send the rules refuse (the user left the room, was muted, a word is now
/// rejected) keeps the message with its `failure` until the user reschedules, sends or deletes it.
struct ScheduledMessages: Sendable {
    let messages: MessageService
    let log: EventLog

    /// Scheduled messages per user at the most.
    static let maxPending = 100
    /// The latest a message may be scheduled for: a year ahead.
    static let maxDelay = 365 * 86_400
    /// A claim older than this (seconds) is a send that died with its server.
    static let staleClaim = 60

    struct Failure: Encodable, Sendable {
        let code: String
        let message: String
    }

    struct Scheduled: Encodable, Sendable {
        let id: Int64
        let roomId: Int64
        let text: String
        let replyTo: Int64?
        let sendAt: Date
        let createdAt: Date
        /// Why the last send was refused; nil until one was.
        let failure: Failure?

        static let columns = "id, room_id, text, reply_to, send_at, created_at, failure_code, failure_message"

        init(row: MariaDBRow) throws {
            id = try row.decode("id")
            roomId = try row.decode("room_id")
            text = try row.decode("text")
            replyTo = try row.decode("reply_to")
            sendAt = try row.decode("send_at")
            createdAt = try row.decode("created_at")
            let code: String? = try row.decode("failure_code")
            failure = try code.map { Failure(code: $0, message: try row.decode("failure_message") ?? "") }
        }

        enum CodingKeys: String, CodingKey { case id, roomId, text, replyTo, sendAt, createdAt, failure }
        // Spelled out so that an absent reply target or failure is sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(text, forKey: .text)
            try c.encode(replyTo, forKey: .replyTo)
            try c.encode(sendAt, forKey: .sendAt)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(failure, forKey: .failure)
        }
    }

    /// `scheduled.saved`: created, changed, or refused when sent (with its failure).
    struct SavedEvent: Encodable {
        let scheduled: Scheduled
    }

    /// `scheduled.removed`: sent (with the message's id) or cancelled (`message_id` null).
    struct RemovedEvent: Encodable {
        let id: Int64
        let roomId: Int64
        let messageId: Int64?

        enum CodingKeys: String, CodingKey { case id, roomId, messageId }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(messageId, forKey: .messageId)
        }
    }

    static let notFound = ParleyError.notFound("scheduled_not_found", "No such scheduled message of yours.")
    static let sending = ParleyError(.conflict, "scheduled_sending", "The message is being sent right now.")

    /// The time `seconds` from now, at the precision the database stores.
    static func sendTime(_ seconds: Int) throws -> Date {
        guard (1...maxDelay).contains(seconds) else { throw ParleyError.invalid("invalid_schedule", "in_seconds is 1–\(maxDelay) (a year).") }
        return MessageView.storedPrecision(Date().addingTimeInterval(TimeInterval(seconds)))
    }

    /// [scheduleMessage] A message for the room, posted `seconds` from now; refused now for what
    /// `push` would refuse now.
    func schedule(user: User, roomID: Int64, text: String, replyTo: Int64?, seconds: Int) async throws -> Scheduled {
        let text = try MessageService.validateText(text)
        let at = try Self.sendTime(seconds)
        let messages = self.messages
        // At READ COMMITTED: the count below then reads what has committed once the user's row is
        // held, with no gap lock. At REPEATABLE READ a plain count read the snapshot the checks
        // began, before another request committed (130 at once left 108), and the locking count
        // that replaced it took a gap lock past the user's rows, which two people scheduling at
        // once (both with the newest ids) each waited on to insert: a deadlock. (The checks here
        // need no snapshot: the message is checked again when it is sent.)
        return try await log.transaction(readCommitted: true) { c, events in
            // The reply target (held) before the user's row, as saves and reminders take a message
            // and then its user: the other order deadlocked with them.
            try messages.checkMayPost(c, userID: user.id, roomID: roomID, text: text, replyTo: replyTo)
            // The user's row is locked, so two requests cannot both pass the limit.
            // Read with it, the account is still active: a deactivation deletes the scheduled messages
            // under that row, and one made as it committed was kept and posted after a reactivation (a hunt).
            let account = try c.query("SELECT deactivated_at IS NOT NULL AS deactivated FROM users WHERE id = ? FOR UPDATE", [user.id])
            if try account.first?.decode("deactivated", as: Bool.self) ?? true { throw ParleyError.unauthenticated }
            let pending = try c.query("SELECT COUNT(*) AS n FROM scheduled_messages WHERE user_id = ?", [user.id])[0]
                .decode("n", as: Int.self)
            guard pending < Self.maxPending else {
                throw ParleyError(.conflict, "too_many_scheduled", "At most \(Self.maxPending) messages wait to be sent: send or delete one first.")
            }
            try RoomStore.holdRoom(c, roomID)
            let id = Int64(
                try c.execute(
                    """
                    INSERT INTO scheduled_messages (user_id, room_id, text, reply_to, client_id, send_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, NOW(3))
                    """, [user.id, roomID, text, replyTo, "scheduled-" + SessionService.randomHex(bytes: 12), at]
                ).lastInsertID)
            return try Self.saved(c, events, id: id, userID: user.id)
        }
    }

    /// [scheduledMessages] The user's scheduled messages, soonest first; of one room with `roomID`.
    func pending(user: User, roomID: Int64?) async throws -> [Scheduled] {
        let rows = try await log.pool.query(
            "SELECT \(Scheduled.columns) FROM scheduled_messages WHERE user_id = ? AND (? IS NULL OR room_id = ?) ORDER BY send_at, id",
            [user.id, roomID, roomID])
        return try rows.map(Scheduled.init)
    }

    /// [updateScheduled] A new text, a new time, or both; checked again as `push` would check it now.
    /// An earlier failure is cleared: the message waits for its (new) time again.
    func update(user: User, id: Int64, text: String?, seconds: Int?) async throws -> Scheduled {
        guard text != nil || seconds != nil else { throw ParleyError.badRequest("Send text, in_seconds or both.") }
        let text = try text.map(MessageService.validateText)
        let at = try seconds.map(Self.sendTime)
        let messages = self.messages
        return try await log.transaction { c, events in
            let current = try Self.lockOwn(c, id: id, userID: user.id)
            try messages.checkMayPost(c, userID: user.id, roomID: current.roomId, text: text ?? current.text, replyTo: current.replyTo)
            try c.execute(
                """
                UPDATE scheduled_messages SET text = ?, send_at = ?, failure_code = NULL, failure_message = NULL, claimed_at = NULL
                WHERE id = ?
                """, [text ?? current.text, at ?? current.sendAt, id])
            return try Self.saved(c, events, id: id, userID: user.id)
        }
    }

    /// Deletes a room's scheduled messages, in the transaction that deletes the room, and tells each
    /// one's user (their list spans rooms).
    static func removeAll(_ c: MariaDBConnection, _ events: EventAppender, roomID: Int64) throws {
        let rows = try c.query("SELECT id, user_id FROM scheduled_messages WHERE room_id = ? ORDER BY id FOR UPDATE", [roomID])
        guard !rows.isEmpty else { return }
        try c.execute("DELETE FROM scheduled_messages WHERE room_id = ?", [roomID])
        for row in rows {
            try events.append(
                EventType.scheduledRemoved, userID: try row.decode("user_id"), payload: RemovedEvent(id: try row.decode("id"), roomId: roomID, messageId: nil))
        }
    }

    /// [cancelScheduled] Deletes one of the user's scheduled messages.
    func cancel(user: User, id: Int64) async throws {
        try await log.transaction { c, events in
            let current = try Self.lockOwn(c, id: id, userID: user.id)
            try c.execute("DELETE FROM scheduled_messages WHERE id = ?", [id])
            try events.append(EventType.scheduledRemoved, userID: user.id, payload: RemovedEvent(id: id, roomId: current.roomId, messageId: nil))
        }
    }

    /// [sendScheduledNow] Posts it now (a failed one too); a refusal is answered and the message stays.
    func sendNow(user: User, id: Int64) async throws -> MessageService.Posted {
        guard let claimed = try await claim(id: id, userID: user.id) else {
            let exists = try await log.pool.query("SELECT id FROM scheduled_messages WHERE id = ? AND user_id = ?", [id, user.id]).first != nil
            throw exists ? Self.sending : Self.notFound
        }
        do {
            let posted = try await post(claimed, as: user)
            try await finish(claimed, messageID: posted.message.id)
            return posted
        } catch {
            await unclaim(id)
            throw error
        }
    }

    /// Sends the messages that came due (run every second).
    func sendDue() async throws {
        let due = try await log.pool.query(
            """
            SELECT id FROM scheduled_messages WHERE send_at <= NOW(3) AND failure_code IS NULL
            AND (claimed_at IS NULL OR claimed_at < NOW(3) - INTERVAL \(Self.staleClaim) SECOND) ORDER BY send_at LIMIT 100
            """)
        for row in due { try await send(try row.decode("id")) }
    }

    private func send(_ id: Int64) async throws {
        guard let claimed = try await claim(id: id, userID: nil) else { return }
        let user = try await log.pool.query(
            "SELECT \(User.columns) FROM users WHERE id = ? AND deactivated_at IS NULL", [claimed.userID]
        ).first.map(User.init)
        guard let user else {
            // A deactivated account posts nothing more (its streams have ended: no event).
            try await log.pool.execute("DELETE FROM scheduled_messages WHERE id = ?", [id])
            return
        }
        do {
            try await finish(claimed, messageID: try await post(claimed, as: user).message.id)
        } catch let refusal as ParleyError where refusal.code == "slow_mode" {
            // Slow mode asks for a wait, not a change: the message goes when the room lets the user
            // post again (a manual post meanwhile can push it on again), and the clients hear the new time.
            let wait = refusal.headers[.retryAfter].flatMap { Int($0) } ?? 1
            try await log.transaction { c, events in
                guard
                    try c.execute(
                        "UPDATE scheduled_messages SET send_at = NOW(3) + INTERVAL ? SECOND, claimed_at = NULL WHERE id = ?", [max(1, wait), id]
                    ).affectedRows == 1
                else { return }
                _ = try Self.saved(c, events, id: id, userID: claimed.userID)
            }
        } catch let refusal as ParleyError where refusal.status.code < 500 {
            try await log.transaction { c, events in
                guard
                    try c.execute(
                        "UPDATE scheduled_messages SET failure_code = ?, failure_message = ?, claimed_at = NULL WHERE id = ?",
                        [refusal.code, String(refusal.message.prefix(500)), id]
                    ).affectedRows == 1
                else { return }
                _ = try Self.saved(c, events, id: id, userID: claimed.userID)
            }
        } catch {
            // The database, most likely: the next round tries again.
            await unclaim(id)
            throw error
        }
    }

    private struct Claimed {
        let id: Int64
        let userID: Int64
        let roomID: Int64
        let text: String
        let replyTo: Int64?
        let clientID: String
    }

    /// Marks the message as being sent; nil when it is gone or another send holds it (and, for the
    /// timer, when its last send was refused).
    private func claim(id: Int64, userID: Int64?) async throws -> Claimed? {
        let claimed = try await log.pool.execute(
            """
            UPDATE scheduled_messages SET claimed_at = NOW(3)
            WHERE id = ? AND (claimed_at IS NULL OR claimed_at < NOW(3) - INTERVAL \(Self.staleClaim) SECOND)
            AND \(userID == nil ? "failure_code IS NULL" : "user_id = ?")
            """, userID.map { [id, $0] } ?? [id])
        guard claimed.affectedRows == 1,
            let row = try await log.pool.query(
                "SELECT user_id, room_id, text, reply_to, client_id FROM scheduled_messages WHERE id = ?", [id]
            ).first
        else { return nil }
        return Claimed(
            id: id, userID: try row.decode("user_id"), roomID: try row.decode("room_id"), text: try row.decode("text"),
            replyTo: try row.decode("reply_to"), clientID: try row.decode("client_id"))
    }

    /// Lets the next send try again (a failure here leaves the claim to go stale).
    private func unclaim(_ id: Int64) async {
        _ = try? await log.pool.execute("UPDATE scheduled_messages SET claimed_at = NULL WHERE id = ?", [id])
    }

    private func post(_ claimed: Claimed, as user: User) async throws -> MessageService.Posted {
        try await messages.post(user: user, roomID: claimed.roomID, text: claimed.text, replyTo: claimed.replyTo, clientID: claimed.clientID)
    }

    /// The message is posted: the scheduled one goes, and the user's clients hear which message it became.
    private func finish(_ claimed: Claimed, messageID: Int64) async throws {
        try await log.transaction { c, events in
            guard try c.execute("DELETE FROM scheduled_messages WHERE id = ?", [claimed.id]).affectedRows == 1 else { return }
            let removed = RemovedEvent(id: claimed.id, roomId: claimed.roomID, messageId: messageID)
            try events.append(EventType.scheduledRemoved, userID: claimed.userID, payload: removed)
        }
    }

    /// One of the user's scheduled messages, locked; refused while a send holds it.
    private static func lockOwn(_ c: MariaDBConnection, id: Int64, userID: Int64) throws -> Scheduled {
        guard
            let row = try c.query(
                """
                SELECT \(Scheduled.columns), claimed_at >= NOW(3) - INTERVAL \(staleClaim) SECOND AS sending
                FROM scheduled_messages WHERE id = ? AND user_id = ? FOR UPDATE
                """, [id, userID]
            ).first
        else { throw notFound }
        guard (try row.decode("sending", as: Int?.self) ?? 0) == 0 else { throw sending }
        return try Scheduled(row: row)
    }

    /// The message as stored now, announced to its user's clients.
    private static func saved(_ c: MariaDBConnection, _ events: EventAppender, id: Int64, userID: Int64) throws -> Scheduled {
        let scheduled = try Scheduled(row: try c.query("SELECT \(Scheduled.columns) FROM scheduled_messages WHERE id = ?", [id])[0])
        try events.append(EventType.scheduledSaved, userID: userID, payload: SavedEvent(scheduled: scheduled))
        return scheduled
    }
}

extension MessageService {
    /// Refuses what `push` would refuse now, in its order: not a member (`room_not_found` for a
    /// room hidden from the user), a reply target of another room, muted or banned, a rejected word.
    func checkMayPost(_ c: MariaDBConnection, userID: Int64, roomID: Int64, text: String, replyTo: Int64?) throws {
        guard let membership = try rooms.membership(c, roomID: roomID, userID: userID), membership.role != nil || membership.kind == .public
        else { throw RoomService.roomNotFound }
        guard membership.role != nil else { throw try RoomService.outsider(c, roomID: roomID, userID: userID) }
        if let replyTo {
            // Held: retention deleting the target at this moment waits, and then this refuses.
            guard let target = try store.message(c, id: replyTo, shared: true), target.roomId == roomID else {
                throw ParleyError.invalid("invalid_reply_to", "reply_to must be a message of the same room.")
            }
        }
        try canPost(c, roomID, userID)
        _ = try filter.check(text, roomID: roomID)
    }
}

struct ScheduledController {
    let scheduled: ScheduledMessages
    let limiter: RateLimiter
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/rooms/:room/scheduled", use: schedule)
        router.get("/api/me/scheduled", use: list)
        router.patch("/api/me/scheduled/:scheduled", use: update)
        router.delete("/api/me/scheduled/:scheduled", use: cancel)
        router.post("/api/me/scheduled/:scheduled/send", use: sendNow)
    }

    struct ScheduleBody: Decodable {
        let text: String
        let inSeconds: Int
        let replyTo: Int64?
    }

    struct UpdateBody: Decodable {
        let text: String?
        let inSeconds: Int?
    }

    struct Answer: ResponseEncodable {
        let scheduled: ScheduledMessages.Scheduled
    }

    struct List: ResponseEncodable {
        let scheduled: [ScheduledMessages.Scheduled]
    }

    /// [scheduleMessage]
    func schedule(request: Request, context: AppRequestContext) async throws -> EditedResponse<Answer> {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: ScheduleBody.self, context: context, limit: maxBodyBytes)
        try limiter.consume(String(session.user.id))
        let scheduled = try await scheduled.schedule(
            user: session.user, roomID: roomID, text: body.text, replyTo: body.replyTo, seconds: body.inSeconds)
        return EditedResponse(status: .created, response: Answer(scheduled: scheduled))
    }

    /// [scheduledMessages]
    func list(request: Request, context: AppRequestContext) async throws -> List {
        let session = try context.requireSession()
        let roomID = try MessageController.number(request, "room_id", "a room id", minimum: 1)
        return List(scheduled: try await scheduled.pending(user: session.user, roomID: roomID))
    }

    /// [updateScheduled]
    func update(request: Request, context: AppRequestContext) async throws -> Answer {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "scheduled")
        let body = try await request.decodeJSON(as: UpdateBody.self, context: context, limit: maxBodyBytes)
        try limiter.consume(String(session.user.id))
        return Answer(scheduled: try await scheduled.update(user: session.user, id: id, text: body.text, seconds: body.inSeconds))
    }

    /// [cancelScheduled]
    func cancel(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await scheduled.cancel(user: try context.requireSession().user, id: try RoomController.id(context, "scheduled"))
        return .noContent
    }

    /// [sendScheduledNow] 201 with the message; 200 when it had been posted already (a send that
    /// died before it could remove the scheduled one).
    func sendNow(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "scheduled")
        try limiter.consume(String(session.user.id))
        return MessageController.answer(try await scheduled.sendNow(user: session.user, id: id))
    }
}
