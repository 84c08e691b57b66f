import Foundation
import MariaDB

/// A member's rank in a room, highest first.
public enum RoomRole: String, Codable, Sendable, Comparable {
    case owner, admin, moderator, member

    var rank: Int {
        switch self {
        case .owner: return 3
        case .admin: return 2
        case .moderator: return 1
        case .member: return 0
        }
    }

    public static func < (a: RoomRole, b: RoomRole) -> Bool { a.rank < b.rank }
}

/// The three kinds of room.
public enum RoomKind: String, Codable, Sendable {
    /// Listed; anyone may join (with the password, if it has one).
    case `public`
    /// Invite-only and unlisted: members are added by owners and admins.
    case group
    /// A direct message: two people, or a group DM of three to nine; opening it again with the same
    /// people finds the same room.
    case dm
}

/// Who may post in a room.
public enum PostPolicy: String, Codable, Sendable {
    /// Every member.
    case everyone
    /// Moderators, admins and the owner only (an announcement room); members read, react and vote.
    case moderators
}

/// A user as shown inside rooms and messages.
public struct UserSummary: Encodable, Sendable, Equatable {
    public let id: Int64
    public let username: String
    public let displayName: String
    /// The version of the user's picture (`users.avatar`), nil without one.
    public let avatar: String?

    public init(id: Int64, username: String, displayName: String, avatar: String?) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.avatar = avatar
    }

    /// Where the picture is, for clients: nil without one. The version in the query changes with
    /// the picture, so the URL may be cached for good.
    public var avatarURL: String? { Self.avatarURL(userID: id, version: avatar) }

    public static func avatarURL(userID: Int64, version: String?) -> String? {
        version.map { "/api/users/\(userID)/avatar?v=\($0)" }
    }

    enum CodingKeys: String, CodingKey { case id, username, displayName, avatarUrl }
    // Spelled out so that a missing picture is sent as null rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(username, forKey: .username)
        try c.encode(displayName, forKey: .displayName)
        try c.encode(avatarURL, forKey: .avatarUrl)
    }
}

/// A room as one viewer sees it.
public struct RoomView: Encodable, Sendable {
    public let id: Int64
    public let kind: RoomKind
    public let name: String
    public let topic: String
    public let hasPassword: Bool
    public let postPolicy: PostPolicy
    public let memberCount: Int
    /// The viewer's role, or nil when the viewer is not a member.
    public let myRole: RoomRole?
    /// For a two-person DM: the other person (nil in a group DM).
    public let dmWith: UserSummary?
    /// For a DM: everyone in it but the viewer, by display name (nil for other rooms, and in
    /// events, which have no viewer).
    public let dmMembers: [UserSummary]?
    public let createdAt: Date
    /// When an owner or admin archived the room (read-only from then), nil when it is not archived.
    public let archivedAt: Date?
    /// Slow mode: a member below moderator posts at most once in this many seconds; 0 when off.
    public let slowModeSeconds: Int
    /// The room's own message retention, set by site admins: nil follows the site's, -1 keeps its
    /// messages for ever, else they are deleted after that many days.
    public let messageRetentionDays: Int?
    /// Only in the directory, and only when the viewer is banned from the room: until when (nil
    /// for good). Its Join would be refused.
    public var myBan: Ban? = nil

    public struct Ban: Encodable, Sendable {
        public let expiresAt: Date?

        enum CodingKeys: String, CodingKey { case expiresAt }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(expiresAt, forKey: .expiresAt)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, name, topic, hasPassword, postPolicy, memberCount, myRole, dmWith, dmMembers, createdAt, archivedAt, slowModeSeconds
        case messageRetentionDays, myBan
    }

    // Spelled out so that absent values are sent as null rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(kind, forKey: .kind)
        try c.encode(name, forKey: .name)
        try c.encode(topic, forKey: .topic)
        try c.encode(hasPassword, forKey: .hasPassword)
        try c.encode(postPolicy, forKey: .postPolicy)
        try c.encode(memberCount, forKey: .memberCount)
        try c.encode(myRole, forKey: .myRole)
        try c.encode(dmWith, forKey: .dmWith)
        try c.encode(dmMembers, forKey: .dmMembers)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(archivedAt, forKey: .archivedAt)
        try c.encode(slowModeSeconds, forKey: .slowModeSeconds)
        try c.encode(messageRetentionDays, forKey: .messageRetentionDays)
        try c.encodeIfPresent(myBan, forKey: .myBan)
    }
}

/// A room row as stored.
struct RoomRecord: Sendable {
    let id: Int64
    let kind: RoomKind
    let name: String
    let topic: String
    let passwordHash: String?
    let postPolicy: PostPolicy
    let createdAt: Date
    let archivedAt: Date?
    let slowModeSeconds: Int
    let messageRetentionDays: Int?
    let memberCount: Int

    init(row: MariaDBRow) throws {
        id = try row.decode("id")
        kind = RoomKind(rawValue: try row.decode("kind")) ?? .public
        name = try row.decode("name")
        topic = try row.decode("topic")
        passwordHash = try row.decode("password_hash")
        postPolicy = PostPolicy(rawValue: try row.decode("post_policy")) ?? .everyone
        createdAt = try row.decode("created_at")
        archivedAt = try row.decode("archived_at")
        slowModeSeconds = Int(try row.decode("slow_mode_seconds", as: Int64.self))
        messageRetentionDays = try row.decode("message_retention_days", as: Int?.self)
        memberCount = try row.decode("member_count")
    }

    /// `others`: for a DM, its members but the viewer. A DM is named after them: the other person,
    /// or a group DM's people, by display name.
    func view(role: RoomRole?, dmMembers others: [UserSummary]? = nil) -> RoomView {
        let dmName = others.map { $0.map(\.displayName).joined(separator: ", ") }
        return RoomView(
            id: id, kind: kind, name: kind == .dm ? (dmName ?? name) : name, topic: topic, hasPassword: passwordHash != nil,
            postPolicy: postPolicy, memberCount: memberCount, myRole: role, dmWith: others?.count == 1 ? others?.first : nil,
            dmMembers: kind == .dm ? others : nil, createdAt: createdAt, archivedAt: archivedAt, slowModeSeconds: slowModeSeconds,
            messageRetentionDays: messageRetentionDays)
    }
}

/// A member of a room as listed.
public struct MemberView: Encodable, Sendable {
    public let user: UserSummary
    public let role: RoomRole
    public let joinedAt: Date
    /// online, away, busy or offline.
    public let presence: String
    /// Whether `presence` is anything but offline.
    public let online: Bool
    public let lastSeenAt: Date?
    /// Their status, or nil (none set, or it ran out).
    public let status: UserStatus?
    /// Until when they paused notifications (do not disturb), or nil.
    public let dndUntil: Date?
    /// The IANA time zone their profile shows, or nil (a DM's header shows their local time).
    public let timeZone: String?
    /// Whether their account is deactivated: they stay a member (and their messages stay) but no
    /// longer read, and a two-person DM with them is read-only.
    public let deactivated: Bool

    enum CodingKeys: String, CodingKey { case user, role, joinedAt, presence, online, lastSeenAt, status, dndUntil, timeZone, deactivated }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(user, forKey: .user)
        try c.encode(role, forKey: .role)
        try c.encode(joinedAt, forKey: .joinedAt)
        try c.encode(presence, forKey: .presence)
        try c.encode(online, forKey: .online)
        try c.encode(lastSeenAt, forKey: .lastSeenAt)
        try c.encode(status, forKey: .status)
        try c.encode(dndUntil, forKey: .dndUntil)
        try c.encode(timeZone, forKey: .timeZone)
        try c.encode(deactivated, forKey: .deactivated)
    }
}

extension UserSummary {
    init(row: MariaDBRow, prefix: String = "") throws {
        id = try row.decode(prefix + "id")
        username = try row.decode(prefix + "username")
        displayName = try row.decode(prefix + "display_name")
        avatar = try row.decode(prefix + "avatar")
    }

    init(_ user: User) {
        id = user.id
        username = user.username
        displayName = user.displayName
        avatar = user.avatar
    }
}
