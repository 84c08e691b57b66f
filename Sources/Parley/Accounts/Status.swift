import Foundation
import Hummingbird
import MariaDB

/// What a user says about themselves now ("In a meeting", 🌴): a short text and/or one emoji,
/// until an optional time. Shown with their profile, in member lists and in `GET /api/me`.
public struct UserStatus: Encodable, Sendable, Equatable {
    public let text: String
    public let emoji: String?
    public let expiresAt: Date?

    static let maxText = 100
    /// The largest `expires_in_seconds`: 30 days.
    static let maxDuration = 30 * 24 * 3600
    /// The columns that hold it, for a `SELECT` on `users` (aliased `u` when `table` says so).
    static func columns(_ table: String = "") -> String {
        let prefix = table.isEmpty ? "" : table + "."
        return "\(prefix)status_text, \(prefix)status_emoji, \(prefix)status_expires_at"
    }

    enum CodingKeys: String, CodingKey { case text, emoji, expiresAt }
    // Spelled out so that absent values are sent as null rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(text, forKey: .text)
        try c.encode(emoji, forKey: .emoji)
        try c.encode(expiresAt, forKey: .expiresAt)
    }

    /// The status in a row of `users`, or nil when none is set or it ran out.
    static func from(_ row: MariaDBRow, now: Date = Date()) throws -> UserStatus? {
        let text: String? = try row.decode("status_text")
        let emoji: String? = try row.decode("status_emoji")
        let expires: Date? = try row.decode("status_expires_at")
        guard text != nil || emoji != nil else { return nil }
        if let expires, expires <= now { return nil }
        return UserStatus(text: text ?? "", emoji: emoji, expiresAt: expires)
    }

    static let invalid = ParleyError.invalid(
        "invalid_status",
        "A status is a text of at most \(maxText) characters (no control or invisible formatting characters) and/or one emoji, and expires_in_seconds is 60–\(maxDuration).")

    /// A status as a user sets it, checked: the text trimmed, at least one of text and emoji.
    static func validated(text: String?, emoji: String?, expiresIn: Int?, now: Date) throws -> UserStatus {
        let trimmed = (text ?? "").trimmedWhitespace
        guard trimmed.count <= maxText, trimmed.unicodeScalars.count <= maxText * 4,
            !trimmed.hasControlCharacters(),
            // Shown beside the name, as the name is: no right-to-left override turning it around.
            !RoomService.hasInvisibleFormatting(trimmed)
        else { throw invalid }
        let emoji = emoji.flatMap { $0.isEmpty ? nil : ReactionEmoji.canonical($0) }
        if let emoji, !ReactionEmoji.isEmoji(emoji) { throw invalid }
        guard !trimmed.isEmpty || emoji != nil else { throw invalid }
        if let expiresIn, !(60...maxDuration).contains(expiresIn) { throw invalid }
        let expires = expiresIn.map { MessageView.storedPrecision(now.addingTimeInterval(TimeInterval($0))) }
        return UserStatus(text: trimmed, emoji: emoji, expiresAt: expires)
    }
}

/// `setStatus` and `clearStatus`: a user's own status, announced to everyone who shares a room
/// with them (and to their other clients) as `user.status`.
struct StatusController {
    let log: EventLog
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.put("/api/me/status", use: set)
        router.delete("/api/me/status", use: clear)
    }

    struct StatusBody: Decodable {
        let text: String?
        let emoji: String?
        let expiresInSeconds: Int?
    }

    struct StatusAnswer: ResponseEncodable {
        let status: UserStatus
    }

    struct StatusEvent: Encodable {
        let user: UserSummary
        let status: UserStatus?

        enum CodingKeys: String, CodingKey { case user, status }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(user, forKey: .user)
            try c.encode(status, forKey: .status)
        }
    }

    /// [setStatus] Sets the caller's status (replacing the one before).
    func set(request: Request, context: AppRequestContext) async throws -> StatusAnswer {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: StatusBody.self, context: context, limit: maxBodyBytes)
        let status = try UserStatus.validated(text: body.text, emoji: body.emoji, expiresIn: body.expiresInSeconds, now: Date())
        try await change(session.user.id, to: status)
        return StatusAnswer(status: status)
    }

    /// [clearStatus] Clears the caller's status; without one, nothing changes.
    func clear(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await change(try context.requireSession().user.id, to: nil)
        return .noContent
    }

    private func change(_ userID: Int64, to status: UserStatus?) async throws {
        try await log.transaction { c, events in
            let row = try c.query(
                "SELECT id, username, display_name, avatar, \(UserStatus.columns()) FROM users WHERE id = ? FOR UPDATE", [userID])[0]
            // The status it already is (cleared when there is none, or the same again with no end)
            // tells nobody anything: ten identical PUTs made ten events.
            if try UserStatus.from(row) == status { return }
            try c.execute(
                "UPDATE users SET status_text = ?, status_emoji = ?, status_expires_at = ? WHERE id = ?",
                [status?.text, status?.emoji, status?.expiresAt, userID])
            try events.append(EventType.userStatus, subjectID: userID, payload: StatusEvent(user: try UserSummary(row: row), status: status))
        }
    }
}
