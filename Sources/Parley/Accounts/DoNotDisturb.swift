import Foundation
import Hummingbird
import MariaDB

/// [pauseNotifications] [resumeNotifications] "Do not disturb": the user pauses notifications for
/// a while, for the account, so that every client of theirs stays quiet (no alert, no sound) and
/// resumes at the same time. Notifications are still made and listed (the activity list, unread
/// counts): only alerting stops. `user.dnd` tells the user's other clients, and everyone who shares
/// a room with them (member lists and profiles show the pause, as Slack and Mattermost do).
struct DoNotDisturbController {
    let log: EventLog
    let maxBodyBytes: Int

    /// The longest pause: a week.
    static let maxMinutes = 7 * 24 * 60

    func addRoutes(to router: Router<AppRequestContext>) {
        router.put("/api/me/dnd", use: pause)
        router.delete("/api/me/dnd", use: resume)
    }

    struct PauseBody: Decodable {
        let minutes: Int
    }

    struct Answer: ResponseEncodable {
        let dndUntil: Date?

        enum CodingKeys: String, CodingKey { case dndUntil }
        // Spelled out so that no pause is sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(dndUntil, forKey: .dndUntil)
        }
    }

    /// `user.dnd`: whose pause changed, and until when (null: resumed).
    struct DndEvent: Encodable {
        let user: UserSummary
        let dndUntil: Date?

        enum CodingKeys: String, CodingKey { case user, dndUntil }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(user, forKey: .user)
            try c.encode(dndUntil, forKey: .dndUntil)
        }
    }

    /// The pause as a column of a `SELECT` on `users` (aliased `u` when `table` says so): `dnd_until`,
    /// null when there is none or it is over.
    static func column(_ table: String = "") -> String {
        let column = table.isEmpty ? "dnd_until" : "\(table).dnd_until"
        return "IF(\(column) > NOW(3), \(column), NULL) AS dnd_until"
    }

    /// [pauseNotifications] Paused for `minutes` from now (a new pause replaces the one before).
    func pause(request: Request, context: AppRequestContext) async throws -> Answer {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: PauseBody.self, context: context, limit: maxBodyBytes)
        guard (1...Self.maxMinutes).contains(body.minutes) else {
            throw ParleyError.invalid("invalid_duration", "minutes is 1–\(Self.maxMinutes) (a week).")
        }
        let until = MessageView.storedPrecision(Date().addingTimeInterval(TimeInterval(body.minutes * 60)))
        try await set(userID: session.user.id, until: until)
        return Answer(dndUntil: until)
    }

    /// [resumeNotifications] Notifications come again; resuming when not paused changes nothing.
    func resume(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await set(userID: try context.requireSession().user.id, until: nil)
        return .noContent
    }

    private func set(userID: Int64, until: Date?) async throws {
        try await log.transaction { c, events in
            let row = try c.query("SELECT id, username, display_name, avatar, \(Self.column()) FROM users WHERE id = ? FOR UPDATE", [userID])[0]
            guard try row.decode("dnd_until", as: Date?.self) != until else { return }
            try c.execute("UPDATE users SET dnd_until = ? WHERE id = ?", [until, userID])
            try events.append(EventType.userDnd, subjectID: userID, payload: DndEvent(user: try UserSummary(row: row), dndUntil: until))
        }
    }
}
