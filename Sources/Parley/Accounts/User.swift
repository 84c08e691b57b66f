import Foundation
import MariaDB

/// A user's role on the whole server.
public enum SiteRole: String, Codable, Sendable {
    case user, admin
}

/// A user as the API shows it.
public struct User: Encodable, Sendable, Equatable {
    public let id: Int64
    public let username: String
    public let displayName: String
    public let siteRole: SiteRole
    public let createdAt: Date
    /// The version of the user's picture, nil without one (see `UserSummary.avatarURL`).
    public let avatar: String?

    static let columns = "id, username, display_name, site_role, created_at, avatar"

    init(row: MariaDBRow) throws {
        id = try row.decode("id")
        username = try row.decode("username")
        displayName = try row.decode("display_name")
        siteRole = SiteRole(rawValue: try row.decode("site_role")) ?? .user
        createdAt = try row.decode("created_at")
        avatar = try row.decode("avatar")
    }

    enum CodingKeys: String, CodingKey { case id, username, displayName, siteRole, createdAt, avatarUrl }
    // Spelled out so that a missing picture is sent as null rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(username, forKey: .username)
        try c.encode(displayName, forKey: .displayName)
        try c.encode(siteRole, forKey: .siteRole)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(UserSummary.avatarURL(userID: id, version: avatar), forKey: .avatarUrl)
    }
}

/// The rules for usernames, display names and passwords.
enum AccountRules {
    /// 3–32 ASCII letters, digits, `_`, `.` and `-` (ASCII only, so look-alike names cannot be registered).
    static func validateUsername(_ username: String) throws {
        guard isMentionName(username) else {
            throw ParleyError.invalid("invalid_username", "A username is 3–32 characters of letters, digits, `_`, `.` and `-`.")
        }
        guard !reservedUsernames.contains(username.lowercased()) else {
            throw ParleyError.invalid("invalid_username", "The usernames `room` and `here` are kept for mentions (`@room`, `@here`).")
        }
    }

    /// Whether a name has a username's shape: what `@name` mentions (user groups' names share it).
    static func isMentionName(_ name: String) -> Bool {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2E
                || byte == 0x2D
        }
        return allowed && (3...32).contains(name.utf8.count)
    }

    /// Names that `@` mentions mean something else by: nobody may take them.
    static let reservedUsernames: Set<String> = ["room", "here"]

    /// Trims and checks a display name: 1–64 characters of any script (at most 512 code points, so
    /// stacked combining marks stay bounded), no control characters, and no invisible formatting
    /// ones (a right-to-left override shows a name reversed; room and file names refuse them too).
    /// Kept composed (NFC), as file names are, so that a search by the start of a word finds it
    /// however the searcher's keyboard spells an accent (a hunt: "José" sent decomposed was found by
    /// neither spelling).
    static func normalizeDisplayName(_ name: String) throws -> String {
        let trimmed = name.precomposedStringWithCanonicalMapping.trimmedWhitespace
        let hasControl = trimmed.hasControlCharacters() || RoomService.hasInvisibleFormatting(trimmed)
        guard (1...64).contains(trimmed.count), trimmed.unicodeScalars.count <= 512, !hasControl else {
            throw ParleyError.invalid(
                "invalid_display_name", "A display name is 1–64 characters with no control characters and no invisible formatting characters.")
        }
        return trimmed
    }

    /// 8–72 bytes of UTF-8 with no NUL byte (bcrypt stops reading at either limit).
    static func validatePassword(_ password: String) throws {
        let bytes = password.utf8.count
        if bytes > PasswordHasher.maxPasswordBytes {
            throw ParleyError.invalid("password_too_long", "A password is at most 72 bytes of UTF-8 (bcrypt ignores the rest, so longer ones are refused).")
        }
        guard bytes >= PasswordHasher.minPasswordBytes, !password.utf8.contains(0) else {
            throw ParleyError.invalid("invalid_password", "A password is at least 8 bytes and contains no NUL character.")
        }
    }
}
