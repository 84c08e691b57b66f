import Foundation
import Hummingbird
import MariaDB

/// Another user's profile as any logged-in user sees it, with the rooms the two share.
struct ProfileController {
    let rooms: RoomService

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/users/:user", use: profile)
    }

    struct Profile: Encodable, Sendable {
        let id: Int64
        let username: String
        let displayName: String
        /// Where the user's picture is (see `UserSummary.avatarURL`), nil without one.
        let avatarURL: String?
        let bio: String?
        /// Their IANA time zone, when they show one (clients show the time it is for them).
        let timeZone: String?
        let createdAt: Date
        /// online, away, busy or offline (as in member lists).
        let presence: String
        let lastSeenAt: Date?
        let deactivated: Bool
        let status: UserStatus?
        /// Until when they paused notifications (do not disturb), or nil.
        let dndUntil: Date?

        enum CodingKeys: String, CodingKey {
            case id, username, displayName, avatarUrl, bio, timeZone, createdAt, presence, lastSeenAt, deactivated, status, dndUntil
        }
        // Spelled out so that absent values are sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(username, forKey: .username)
            try c.encode(displayName, forKey: .displayName)
            try c.encode(avatarURL, forKey: .avatarUrl)
            try c.encode(bio, forKey: .bio)
            try c.encode(timeZone, forKey: .timeZone)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(presence, forKey: .presence)
            try c.encode(lastSeenAt, forKey: .lastSeenAt)
            try c.encode(deactivated, forKey: .deactivated)
            try c.encode(status, forKey: .status)
            try c.encode(dndUntil, forKey: .dndUntil)
        }
    }

    struct SharedRoom: Encodable, Sendable {
        let id: Int64
        let kind: RoomKind
        /// Empty for a DM.
        let name: String
    }

    struct ProfileAnswer: ResponseEncodable {
        let user: Profile
        let sharedRooms: [SharedRoom]
    }

    static let userNotFound = ParleyError(.notFound, "user_not_found", "No such user.")

    /// [getUser] Any logged-in user's profile: names, bio, presence, when they joined, and the rooms
    /// the caller shares with them (public rooms, groups, and their DM).
    func profile(request: Request, context: AppRequestContext) async throws -> ProfileAnswer {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "user")
        let presence = rooms.presence
        return try await rooms.store.pool.withConnection { c in
            guard
                let row = try c.query(
                    """
                    SELECT id, username, display_name, avatar, bio, time_zone, created_at, presence, last_seen_at, deactivated_at, \(UserStatus.columns()),
                        \(DoNotDisturbController.column())
                    FROM users WHERE id = ?
                    """, [id]
                ).first
            else { throw Self.userNotFound }
            let deactivated = try row.decode("deactivated_at", as: Date?.self) != nil
            let online = !deactivated && presence.isOnline(id)
            let profile = Profile(
                id: id, username: try row.decode("username"), displayName: try row.decode("display_name"),
                avatarURL: UserSummary.avatarURL(userID: id, version: try row.decode("avatar")), bio: try row.decode("bio"),
                timeZone: try row.decode("time_zone"), createdAt: try row.decode("created_at"), presence: online ? try row.decode("presence") : "offline",
                lastSeenAt: try row.decode("last_seen_at"), deactivated: deactivated, status: deactivated ? nil : try UserStatus.from(row),
                dndUntil: deactivated ? nil : try row.decode("dnd_until"))
            let shared = try c.query(
                """
                SELECT r.id, r.kind, r.name FROM room_members mine
                JOIN room_members theirs ON theirs.room_id = mine.room_id AND theirs.user_id = ?
                JOIN rooms r ON r.id = mine.room_id
                WHERE mine.user_id = ? ORDER BY FIELD(r.kind, 'public', 'group', 'dm'), r.name, r.id
                """, [id, session.user.id]
            ).map { row in
                SharedRoom(id: try row.decode("id"), kind: RoomKind(rawValue: try row.decode("kind")) ?? .public, name: try row.decode("name"))
            }
            return ProfileAnswer(user: profile, sharedRooms: shared)
        }
    }
}

extension AccountRules {
    static let maxBio = 500

    /// A bio: at most 500 characters after trimming, without control characters other than line
    /// breaks; blank means none.
    static func normalizeBio(_ text: String) throws -> String? {
        let trimmed = text.trimmedWhitespace
        guard trimmed.count <= maxBio, trimmed.unicodeScalars.count <= maxBio * 4,
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" })
        else { throw ParleyError.invalid("invalid_bio", "A bio is at most \(maxBio) characters, without control characters.") }
        return trimmed.isEmpty ? nil : trimmed
    }

    /// A time zone as a profile shows it: an IANA name (`Europe/Berlin`, `America/Argentina/Salta`,
    /// `UTC`) this system's time zone database knows; blank means none. ASCII letters, digits,
    /// `_`, `+`, `-` and up to two `/`, at most 64 characters.
    static func normalizeTimeZone(_ text: String) throws -> String? {
        let trimmed = text.trimmedWhitespace
        if trimmed.isEmpty { return nil }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        let shaped =
            trimmed.utf8.count <= 64 && parts.count <= 3
            && parts.allSatisfy { part in
                !part.isEmpty && part.utf8.allSatisfy { $0.isASCIILetterOrDigit || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
            }
        guard shaped, isZone(trimmed), TimeZone(identifier: trimmed) != nil else {
            throw ParleyError.invalid("invalid_time_zone", "A time zone is an IANA name such as Europe/Berlin, or \"\" for none.")
        }
        return trimmed
    }

    /// Whether tzdata has a zone by this name: a compiled zone file (`TZif`) under the zone directory,
    /// not one of its `posix/` or `right/` copies nor the machine's `localtime`. Foundation alone also
    /// takes names that are no zone (`GMT+5`, `UTC+1`), which browsers refuse; legacy names tzdata
    /// keeps as links (`US/Eastern`, `Asia/Calcutta`, which browsers may report) are zones.
    private static func isZone(_ name: String) -> Bool {
        guard !["posix", "right"].contains(name.split(separator: "/").first), !["localtime", "posixrules", "Factory"].contains(name) else {
            return false
        }
        let directory = ProcessInfo.processInfo.environment["TZDIR"] ?? "/usr/share/zoneinfo"
        guard let file = FileHandle(forReadingAtPath: "\(directory)/\(name)") else { return false }
        defer { try? file.close() }
        return (try? file.read(upToCount: 4)) == Data("TZif".utf8)
    }
}

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
}
