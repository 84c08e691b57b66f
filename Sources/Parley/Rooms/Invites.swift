import Foundation
import Hummingbird
import MariaDB

/// Invite links to private groups: owners and admins make them (`createInvite`), list them
/// (`invites`) and revoke them (`revokeInvite`); anyone logged in who holds one sees what it opens
/// (`previewInvite`) and joins with it (`acceptInvite`). A link may expire and may be limited to a
/// number of uses; the code is a 128-bit secret, stored only as its SHA-256.
struct InviteController {
    let rooms: RoomService
    /// Invites made.
    let limiter: RateLimiter
    /// Invites used (as joining a room).
    let joinLimiter: RateLimiter
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/rooms/:room/invites", use: create)
        router.get("/api/rooms/:room/invites", use: list)
        router.delete("/api/rooms/:room/invites/:invite", use: revoke)
        router.get("/api/invites/:code", use: preview)
        router.post("/api/invites/:code/join", use: accept)
    }

    static let notFound = ParleyError(.notFound, "invite_not_found", "This invite link is not valid: it may have expired, been used up or revoked, or its maker can no longer invite.")
    /// The longest a link may last: 30 days.
    static let maxLifetime = 30 * 24 * 3600

    struct InviteView: Encodable, Sendable {
        let id: Int64
        let roomId: Int64
        /// Only in the answer that creates it: the code is not stored.
        let code: String?
        /// The code's first four characters, to tell links apart.
        let hint: String
        let createdBy: UserSummary
        let createdAt: Date
        let expiresAt: Date?
        let maxUses: Int?
        let uses: Int
        /// Whether it opens the group: its maker is still an active owner or admin of it. A link
        /// of someone demoted is listed as `false` (dormant) so that it can be revoked: it works
        /// again if they are made an admin again.
        let active: Bool

        enum CodingKeys: String, CodingKey { case id, roomId, code, hint, createdBy, createdAt, expiresAt, maxUses, uses, active }
        // Spelled out so that absent values are sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(code, forKey: .code)
            try c.encode(hint, forKey: .hint)
            try c.encode(createdBy, forKey: .createdBy)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(expiresAt, forKey: .expiresAt)
            try c.encode(maxUses, forKey: .maxUses)
            try c.encode(uses, forKey: .uses)
            try c.encode(active, forKey: .active)
        }

        init(row: MariaDBRow, code: String? = nil) throws {
            id = try row.decode("id")
            roomId = try row.decode("room_id")
            self.code = code
            hint = try row.decode("hint")
            createdBy = try UserSummary(row: row, prefix: "by_")
            createdAt = try row.decode("created_at")
            expiresAt = try row.decode("expires_at")
            maxUses = try row.decode("max_uses")
            uses = try row.decode("uses")
            active = try row.decode("active")
        }
    }

    static let columns = """
        i.id, i.room_id, i.hint, i.created_at, i.expires_at, i.max_uses, i.uses, (\(RoomStore.makerManages("i"))) AS active,
        u.id AS by_id, u.username AS by_username, u.display_name AS by_display_name, u.avatar AS by_avatar
        FROM room_invites i JOIN users u ON u.id = i.created_by
        """

    /// A link not expired and not used up: listed, whether or not its maker can still invite.
    static let liveCondition = "(i.expires_at IS NULL OR i.expires_at > NOW(3)) AND (i.max_uses IS NULL OR i.uses < i.max_uses)"

    /// What keeps a link usable besides its code: live, and its maker still able to invite (an
    /// active account, still the group's owner or an admin). A link of someone deactivated,
    /// demoted or gone stops working at once.
    static let usableCondition = "\(liveCondition) AND \(RoomStore.makerManages("i"))"


    struct CreateBody: Decodable {
        let expiresInSeconds: Int?
        let maxUses: Int?
    }

    struct InviteAnswer: ResponseEncodable {
        let invite: InviteView
    }

    struct InviteList: ResponseEncodable {
        let invites: [InviteView]
    }

    /// The group for an owner or admin managing its links (the same rules as adding members).
    private static func requireManager(_ rooms: RoomService, _ c: MariaDBConnection, roomID: Int64, user: User) throws {
        let (room, role) = try RoomService.access(rooms.store, c, roomID: roomID, userID: user.id)
        guard let role else { throw RoomService.notAMember }
        guard room.kind == .group else {
            throw ParleyError(.conflict, "not_a_group", "Invite links are for private groups; public rooms are joined.")
        }
        guard role >= .admin else { throw RoomService.forbidden("Only the group's owner and admins manage invite links.") }
    }

    /// [createInvite] A new link; `expires_in_seconds` 60 to 30 days (default 7 days), `max_uses`
    /// 1 to 1,000 (default no limit). 201 with the code, shown this once.
    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<InviteAnswer> {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: CreateBody.self, context: context, limit: maxBodyBytes)
        let lifetime = body.expiresInSeconds ?? 7 * 24 * 3600
        guard (60...Self.maxLifetime).contains(lifetime) else {
            throw ParleyError.invalid("invalid_expiry", "expires_in_seconds is 60 to \(Self.maxLifetime) (30 days).")
        }
        if let uses = body.maxUses, !(1...1000).contains(uses) {
            throw ParleyError.invalid("invalid_max_uses", "max_uses is 1 to 1,000; leave it out for no limit.")
        }
        let code = SessionService.randomHex(bytes: 16)
        let rooms = self.rooms
        let user = session.user
        let limiter = self.limiter
        let invite = try await rooms.store.pool.transaction { c in
            // The group's row first (shared): its deletion racing in comes wholly before (404) or
            // after (and deletes the link); unlocked, the insert failed on the foreign key, a 500.
            try RoomStore.holdRoom(c, roomID)
            try Self.requireManager(rooms, c, roomID: roomID, user: user)
            try rooms.store.checkNotArchived(roomID)
            try limiter.consume(String(user.id))
            let id = try c.execute(
                """
                INSERT INTO room_invites (room_id, code_hash, hint, created_by, created_at, expires_at, max_uses)
                VALUES (?, ?, ?, ?, NOW(3), NOW(3) + INTERVAL ? SECOND, ?)
                """, [roomID, SessionService.hash(code), String(code.prefix(4)), user.id, lifetime, body.maxUses]
            ).lastInsertID
            try ModerationService.record(c, room: roomID, actor: user.id, action: "create_invite")
            return try InviteView(row: try c.query("SELECT \(Self.columns) WHERE i.id = ?", [id])[0], code: code)
        }
        return EditedResponse(status: .created, response: InviteAnswer(invite: invite))
    }

    /// [invites] The group's links not expired or used up, newest first (owners and admins);
    /// `active` tells which open the group (a demoted maker's are dormant, and may be revoked).
    func list(request: Request, context: AppRequestContext) async throws -> InviteList {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let rooms = self.rooms
        return try await rooms.store.pool.withConnection { c in
            try Self.requireManager(rooms, c, roomID: roomID, user: session.user)
            let rows = try c.query(
                """
                SELECT \(Self.columns) WHERE i.room_id = ? AND \(Self.liveCondition) ORDER BY i.id DESC
                """, [roomID])
            return InviteList(invites: try rows.map { try InviteView(row: $0) })
        }
    }

    /// [revokeInvite] The link stops working at once (owners and admins).
    func revoke(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let inviteID = try RoomController.id(context, "invite")
        let rooms = self.rooms
        try await rooms.store.pool.transaction { c in
            try Self.requireManager(rooms, c, roomID: roomID, user: session.user)
            guard try c.execute("DELETE FROM room_invites WHERE id = ? AND room_id = ?", [inviteID, roomID]).affectedRows == 1 else {
                throw Self.notFound
            }
            try ModerationService.record(c, room: roomID, actor: session.user.id, action: "revoke_invite")
        }
        return .noContent
    }

    struct Preview: ResponseEncodable {
        struct Group: Encodable {
            let id: Int64
            let name: String
            let topic: String
            let memberCount: Int
            /// Archived groups cannot be joined (`acceptInvite` answers `room_archived`) until unarchived.
            let archived: Bool
        }
        let room: Group
        let invitedBy: UserSummary
        let expiresAt: Date?
        /// Whether the caller is in the group already.
        let member: Bool

        enum CodingKeys: String, CodingKey { case room, invitedBy, expiresAt, member }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(room, forKey: .room)
            try c.encode(invitedBy, forKey: .invitedBy)
            try c.encode(expiresAt, forKey: .expiresAt)
            try c.encode(member, forKey: .member)
        }
    }

    /// The usable invite for a code, locked when `forUpdate`; `invite_not_found` otherwise. For a
    /// `member` of its group, a link no longer usable (used up, expired, its maker no longer able to
    /// make it) still opens the group, and uses nothing: a second device's click of a single-use
    /// link the member had used was told the link was invalid (a hunt). A revoked link is gone.
    private static func usable(_ c: MariaDBConnection, code: String, forUpdate: Bool = false, member: Int64? = nil) throws -> MariaDBRow {
        // Anything but a code's shape cannot be one (and is not hashed and looked up).
        guard SessionService.isCode(code) else { throw notFound }
        if let row = try c.query(
            """
            SELECT \(columns) WHERE i.code_hash = ? AND \(usableCondition)\(forUpdate ? " FOR UPDATE" : "")
            """, [SessionService.hash(code)]
        ).first {
            return row
        }
        if let member, let row = try c.query(
            "SELECT \(columns) JOIN room_members m ON m.room_id = i.room_id AND m.user_id = ? WHERE i.code_hash = ?",
            [member, SessionService.hash(code)]
        ).first {
            return row
        }
        throw notFound
    }

    /// The code in the path: hex digits in either case (a code read out or typed in capitals).
    private static func code(_ context: AppRequestContext) -> String {
        (context.parameters.get("code") ?? "").lowercased()
    }

    /// [previewInvite] What a link opens: the group's name, topic and size, and who made the link.
    func preview(request: Request, context: AppRequestContext) async throws -> Preview {
        let session = try context.requireSession()
        let code = Self.code(context)
        let store = rooms.store
        return try await store.pool.withConnection { c in
            let invite = try InviteView(row: try Self.usable(c, code: code, member: session.user.id))
            guard let room = try store.room(c, id: invite.roomId) else { throw Self.notFound }
            let member = try store.role(c, roomID: room.id, userID: session.user.id) != nil
            // Those banned from the group read nothing of it (as of a public room's preview), and
            // are told now rather than offered a Join that refuses them.
            if !member, try ModerationService.isBanned(c, roomID: room.id, userID: session.user.id) { throw ModerationService.banned }
            return Preview(
                room: .init(id: room.id, name: room.name, topic: room.topic, memberCount: room.memberCount, archived: room.archivedAt != nil),
                invitedBy: invite.createdBy, expiresAt: invite.expiresAt, member: member)
        }
    }

    /// [acceptInvite] Joins the group (a use of the link); a member already gets the room as it is,
    /// and uses nothing. Those banned from the group are refused.
    func accept(request: Request, context: AppRequestContext) async throws -> RoomController.RoomResponse {
        let session = try context.requireSession()
        let code = Self.code(context)
        try joinLimiter.consume(String(session.user.id))
        let store = rooms.store
        let user = session.user
        // The group's row is locked before anything of it is read, as a ban, a kick and the group's
        // deletion lock it: checking the link first read the group's members, so what the
        // transaction read after waiting for a ban (no ban yet) was from before it, and the banned
        // person got in.
        let roomID = try await store.pool.withConnection { c in try InviteView(row: try Self.usable(c, code: code, member: user.id)).roomId }
        let room = try await rooms.log.transaction { c, events in
            guard let room = try store.room(c, id: roomID, forUpdate: true) else { throw Self.notFound }
            let invite = try InviteView(row: try Self.usable(c, code: code, forUpdate: true, member: user.id))
            guard invite.roomId == roomID else { throw Self.notFound }
            if try store.role(c, roomID: room.id, userID: user.id) == nil {
                guard try !ModerationService.isBanned(c, roomID: room.id, userID: user.id) else { throw ModerationService.banned }
                guard room.archivedAt == nil else { throw RoomStore.archivedError }
                try c.execute("UPDATE room_invites SET uses = uses + 1 WHERE id = ?", [invite.id])
                try store.insertMember(
                    c, events, roomID: room.id, userID: user.id, role: .member, announce: EventType.memberJoined,
                    payload: RoomService.MemberEvent(roomId: room.id, user: UserSummary(user), role: .member, by: invite.createdBy))
                // A group left with its deactivated owner and nobody to take it is theirs now.
                try RoomService.handOverIfOwnerDeactivated(c, events, roomID: room.id, actor: nil)
            }
            return try store.view(c, room: try store.room(c, id: room.id)!, viewer: user.id)
        }
        return RoomController.RoomResponse(room: room)
    }
}
