import Foundation
import Hummingbird
import MariaDB

/// Site administration for site admins: `adminListUsers`, `deactivateUser`, `reactivateUser`,
/// `setSiteRole`, `adminDeleteRoom`, `setRoomRetention`, `adminDeleteMessage`.
struct AdminController {
    let pool: MariaDBPool
    let log: EventLog
    let sessions: SessionService
    let messages: MessageService
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/admin/users", use: listUsers)
        router.post("/api/admin/users/:user/deactivate", use: deactivate)
        router.post("/api/admin/users/:user/reactivate", use: reactivate)
        router.put("/api/admin/users/:user/site-role", use: setSiteRole)
        router.delete("/api/admin/rooms/:room", use: deleteRoom)
        router.put("/api/admin/rooms/:room/retention", use: setRoomRetention)
        router.delete("/api/admin/messages/:message", use: deleteMessage)
    }

    /// The session of a site admin, or 403 `not_site_admin`.
    static func requireSiteAdmin(_ context: AppRequestContext) throws -> AuthenticatedSession {
        let session = try context.requireSession()
        guard session.user.siteRole == .admin else { throw ParleyError(.forbidden, "not_site_admin", "Only site admins do this.") }
        return session
    }

    /// Locks every active site admin's row and answers their ids; 403 when `actor` is no longer one
    /// of them (demoted or deactivated by another admin's request that committed first).
    @discardableResult
    static func lockActiveAdmins(_ c: MariaDBConnection, actor: Int64) throws -> [Int64] {
        let admins = try activeAdminsLocked(c)
        guard admins.contains(actor) else { throw ParleyError(.forbidden, "not_site_admin", "Only site admins do this.") }
        return admins
    }

    /// The active site admins' ids, their rows locked. Found by a plain read and then locked by
    /// primary key, in id order, and read again under the locks (a change committed meanwhile shows):
    /// a locking read of the `users_site_role` range took next-key locks on that index, and a
    /// deactivation holding them, updating its target's `deactivated_at` (a column of that index),
    /// needed the gap that a second admin's waiting request covered, a deadlock (a hunt: 503s from
    /// reset links and room deletions racing a deactivation). An admin made meanwhile is left out,
    /// which can only refuse a change that would have passed.
    static func activeAdminsLocked(_ c: MariaDBConnection) throws -> [Int64] {
        let seen = try c.query("SELECT id FROM users WHERE site_role = 'admin' AND deactivated_at IS NULL ORDER BY id", [])
            .map { try $0.decode("id", as: Int64.self) }
        guard !seen.isEmpty else { return [] }
        let ids = seen.paddedToPowerOfTwo
        return try c.query(
            "SELECT id, site_role = 'admin' AND deactivated_at IS NULL AS active FROM users WHERE id IN (\(ids.placeholders)) ORDER BY id FOR UPDATE", ids
        ).filter { try $0.decode("active", as: Bool.self) }.map { try $0.decode("id", as: Int64.self) }
    }

    struct AdminUser: Encodable {
        let user: User
        let deactivatedAt: Date?
        let lastSeenAt: Date?
        /// Whether logging in asks for a code (`resetTwoFactor` turns it off).
        let twoFactor: Bool

        enum CodingKeys: String, CodingKey { case user, deactivatedAt, lastSeenAt, twoFactor }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(user, forKey: .user)
            try c.encode(deactivatedAt, forKey: .deactivatedAt)
            try c.encode(lastSeenAt, forKey: .lastSeenAt)
            try c.encode(twoFactor, forKey: .twoFactor)
        }
    }

    struct UserList: ResponseEncodable {
        let users: [AdminUser]
    }

    /// [adminListUsers] Users by username, optionally by prefix; `limit` ≤ 200, `after=<username>` pages.
    func listUsers(request: Request, context: AppRequestContext) async throws -> UserList {
        _ = try Self.requireSiteAdmin(context)
        let prefix = request.query.get("prefix")?.precomposedStringWithCanonicalMapping ?? ""
        let after = request.query.get("after") ?? ""
        let limit = try request.query.get("limit").map { text -> Int in
            guard let value = Int(text), (1...200).contains(value) else { throw ParleyError.badRequest("limit is 1–200.") }
            return value
        } ?? 50
        let escaped = prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        let rows = try await pool.query(
            """
            SELECT \(User.columns), deactivated_at, last_seen_at,
            EXISTS (SELECT 1 FROM two_factor t WHERE t.user_id = users.id AND t.confirmed_at IS NOT NULL) AS two_factor
            FROM users
            WHERE username LIKE ? AND username > ? ORDER BY username LIMIT ?
            """, [escaped + "%", after, limit])
        return UserList(
            users: try rows.map {
                AdminUser(
                    user: try User(row: $0), deactivatedAt: try $0.decode("deactivated_at"), lastSeenAt: try $0.decode("last_seen_at"),
                    twoFactor: try $0.decode("two_factor", as: Bool.self))
            })
    }

    struct DeactivatedEvent: Encodable {
        let userId: Int64
    }

    /// [deactivateUser] Ends the user's sessions and streams at once; they cannot log in; their messages stay.
    func deactivate(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try Self.requireSiteAdmin(context)
        let userID = try RoomController.id(context, "user")
        guard userID != session.user.id else { throw ParleyError(.conflict, "cannot_deactivate_self", "You cannot deactivate yourself.") }
        try await log.transaction { c, events in
            guard try AccountService.deactivate(c, events, userID: userID, actor: session.user.id, action: "deactivate") else {
                guard try c.query("SELECT id FROM users WHERE id = ?", [userID]).first != nil else {
                    throw ParleyError.notFound("user_not_found", "No user has id \(userID).")
                }
                return
            }
        }
        await sessions.endAll(userID: userID)
        return .noContent
    }

    /// [reactivateUser]
    func reactivate(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try Self.requireSiteAdmin(context)
        let userID = try RoomController.id(context, "user")
        try await log.transaction { c, events in
            // (Before any plain read, as for a deactivation: see `AccountService.deactivate`.)
            try UserGroupController.lockGroups(c, of: userID)
            guard try c.query("SELECT id FROM users WHERE id = ?", [userID]).first != nil else {
                throw ParleyError.notFound("user_not_found", "No user has id \(userID).")
            }
            let changed = try c.execute("UPDATE users SET deactivated_at = NULL WHERE id = ? AND deactivated_at IS NOT NULL", [userID]).affectedRows == 1
            // Back in the user groups they belong to, and in their rooms' member lists; in the site
            // log only when it changed something (an active account's "reactivation" was logged).
            if changed {
                try ModerationService.record(c, room: nil, actor: session.user.id, action: "reactivate", user: userID)
                try UserGroupController.memberChanged(c, events, userID: userID)
                try SignalController.UserUpdatedEvent.append(c, events, userID: userID, deactivated: false)
                // Back in line for the rooms whose owner is deactivated and that had nobody to take them.
                try RoomService.handOverRoomsWaiting(c, events, for: userID)
            }
        }
        return .noContent
    }

    struct SiteRoleBody: Decodable {
        let siteRole: SiteRole
    }

    struct UserAnswer: ResponseEncodable {
        let user: User
    }

    struct SiteRoleEvent: Encodable {
        let userId: Int64
        let siteRole: SiteRole
    }

    /// [setSiteRole] Makes a user a site admin (`admin`) or takes it back (`user`). The last active
    /// site admin keeps the role (409 `last_site_admin`).
    func setSiteRole(request: Request, context: AppRequestContext) async throws -> UserAnswer {
        let session = try Self.requireSiteAdmin(context)
        let userID = try RoomController.id(context, "user")
        let body = try await request.decodeJSON(as: SiteRoleBody.self, context: context, limit: maxBodyBytes)
        let user = try await log.transaction { c, events in
            // Every active admin locked, so two demotions at once cannot both pass.
            let admins = try Self.lockActiveAdmins(c, actor: session.user.id)
            guard let row = try c.query("SELECT \(User.columns) FROM users WHERE id = ? FOR UPDATE", [userID]).first else {
                throw ParleyError.notFound("user_not_found", "No user has id \(userID).")
            }
            let user = try User(row: row)
            guard user.siteRole != body.siteRole else { return user }
            // An admin nobody can act as (and who counts for nothing as the last one); taking the
            // role back from a deactivated account is allowed, so that a reactivation does not restore it.
            if body.siteRole == .admin,
                try c.query("SELECT 1 FROM users WHERE id = ? AND deactivated_at IS NOT NULL", [userID]).first != nil
            {
                throw ParleyError(.conflict, "account_deactivated", "This account is deactivated: reactivate it first.")
            }
            if body.siteRole == .user, admins == [userID] {
                throw ParleyError(.conflict, "last_site_admin", "This is the only active site admin: make another one first.")
            }
            try c.execute("UPDATE users SET site_role = ? WHERE id = ?", [body.siteRole.rawValue, userID])
            try ModerationService.record(
                c, room: nil, actor: session.user.id, action: body.siteRole == .admin ? "grant_site_admin" : "revoke_site_admin", user: userID)
            // The user's open clients show or hide what site admins get.
            try events.append(EventType.siteRoleChanged, userID: userID, payload: SiteRoleEvent(userId: userID, siteRole: body.siteRole))
            return try User(row: try c.query("SELECT \(User.columns) FROM users WHERE id = ?", [userID])[0])
        }
        // Cached sessions carry the role.
        sessions.forget(userID: userID)
        return UserAnswer(user: user)
    }

    /// [adminDeleteRoom] Any room but `main`.
    func deleteRoom(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try Self.requireSiteAdmin(context)
        let roomID = try RoomController.id(context, "room")
        try await log.transaction { c, events in
            // The admins' rows first, as every site admin's act on an account takes them: the
            // deletion's own log row then waited for its actor's row while a deactivation of the
            // room's owner held it and waited for the room (a deadlock, a hunt).
            try Self.lockActiveAdmins(c, actor: session.user.id)
            try Self.deleteRoom(c, events, roomID: roomID, by: session.user)
        }
        return .noContent
    }

    /// Deletes any room but `main` as a site admin (here, or settling a report of the room): its
    /// open reports are settled first, so their reporters hear of it before they go with the room.
    static func deleteRoom(_ c: MariaDBConnection, _ events: EventAppender, roomID: Int64, by admin: User) throws {
        guard roomID != RoomStore.mainRoomID else { throw ParleyError(.conflict, "room_protected", "The main room cannot be deleted.") }
        guard let row = try c.query("SELECT kind, name FROM rooms WHERE id = ? FOR UPDATE", [roomID]).first else {
            throw RoomService.roomNotFound
        }
        try events.appendRoomDeleted(roomID: roomID, payload: RoomService.RoomDeletedEvent(roomId: roomID, by: UserSummary(admin)))
        if try row.decode("kind") as String == RoomKind.public.rawValue {
            try events.append(EventType.directoryChanged, payload: RoomService.DirectoryEvent(roomId: roomID, room: nil))
        }
        try ReportController.resolveRoomDeleted(c, events, roomID: roomID, by: admin.id)
        try RoomService.remove(c, events, roomID: roomID)
        // The room and its log go; the site's log keeps which room it was.
        let name: String = try row.decode("name")
        try ModerationService.record(c, room: nil, actor: admin.id, action: "delete_room", reason: "\(name) (room \(roomID))")
    }

    /// `message_retention_days`: null (follow the site's), -1 (for ever) or a number of days; present, even when null.
    struct RetentionBody: Decodable {
        let messageRetentionDays: Int?

        enum CodingKeys: String, CodingKey { case messageRetentionDays }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guard c.contains(.messageRetentionDays) else {
                throw ParleyError.badRequest("message_retention_days is required (null follows the site's retention).")
            }
            messageRetentionDays = try c.decodeIfPresent(Int.self, forKey: .messageRetentionDays)
        }
    }

    /// [setRoomRetention] A room's own message retention, overriding the site's either way
    /// (`MessageRetention`): its members hear `room.updated`, and the site log keeps the change.
    func setRoomRetention(request: Request, context: AppRequestContext) async throws -> RoomController.RoomResponse {
        let session = try Self.requireSiteAdmin(context)
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: RetentionBody.self, context: context, limit: maxBodyBytes)
        if let days = body.messageRetentionDays, days != -1, !SiteSettings.retentionDays.contains(days) {
            throw ParleyError.invalid(
                "invalid_setting",
                "message_retention_days is a number of days from 1 to \(SiteSettings.retentionDays.upperBound), -1 for ever, or null for the site's.")
        }
        let rooms = messages.rooms
        let room = try await log.transaction { c, events in
            guard let before = try rooms.room(c, id: roomID, forUpdate: true) else { throw RoomService.roomNotFound }
            guard before.messageRetentionDays != body.messageRetentionDays else { return try rooms.view(c, room: before, viewer: session.user.id) }
            try c.execute("UPDATE rooms SET message_retention_days = ? WHERE id = ?", [body.messageRetentionDays, roomID])
            guard let after = try rooms.room(c, id: roomID) else { throw RoomService.roomNotFound }
            try events.append(EventType.roomUpdated, roomID: roomID, payload: RoomService.RoomEvent(room: after.view(role: nil)))
            let what = body.messageRetentionDays.map { $0 == -1 ? "keep" : "\($0) days" } ?? "site"
            try ModerationService.record(
                c, room: nil, actor: session.user.id, action: "room_retention", reason: "\(after.name) (room \(roomID)): \(what)")
            return try rooms.view(c, room: after, viewer: session.user.id)
        }
        return RoomController.RoomResponse(room: room)
    }

    /// [adminDeleteMessage] Any message (a tombstone stays).
    func deleteMessage(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try Self.requireSiteAdmin(context)
        _ = try await messages.delete(user: session.user, messageID: try RoomController.id(context, "message"), asSiteAdmin: true)
        return .noContent
    }
}
