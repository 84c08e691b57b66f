import Foundation
import Hummingbird
import MariaDB

/// User groups, as Slack's user groups, Mattermost's custom groups and Zulip's user groups: a named
/// set of people that one `@name` in a message mentions at once (each of them who is in the room).
/// Anyone makes a group (`makeUserGroup`, joining it) and joins or leaves any group; its maker and
/// site admins rename it, add and remove others, and delete it. A group's name follows the username
/// rules and shares their namespace, so `@name` means one thing. Each change is `user_group.updated`
/// (or `user_group.deleted`) to everyone.
struct UserGroupController {
    let log: EventLog
    let limiter: RateLimiter
    let maxBodyBytes: Int

    /// The most members a group has (its `member_ids` ride on every event about it).
    static let maxMembers = 1_000
    /// The most groups a site keeps.
    static let maxGroups = 1_000

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/user-groups", use: list)
        router.post("/api/user-groups", use: make)
        router.get("/api/user-groups/:group", use: get)
        router.patch("/api/user-groups/:group", use: update)
        router.delete("/api/user-groups/:group", use: delete)
        router.put("/api/user-groups/:group/members/:user", use: addMember)
        router.delete("/api/user-groups/:group/members/:user", use: removeMember)
    }

    static let notFound = ParleyError.notFound("user_group_not_found", "No user group has this id.")
    static let forbidden = ParleyError(.forbidden, "forbidden", "Only the group's maker and site admins do this.")
    static let nameTaken = ParleyError(.conflict, "name_taken", "A user or another user group has this name: @-mentions must mean one thing.")

    /// A name: a username's shape (3–32 letters, digits, `_`, `.` and `-`), not `room` or `here`.
    static func validateName(_ name: String) throws -> String {
        guard AccountRules.isMentionName(name), !AccountRules.reservedUsernames.contains(name.lowercased()) else {
            throw ParleyError.invalid(
                "invalid_name", "A group's name is 3–32 characters of letters, digits, `_`, `.` and `-`, and not `room` or `here`.")
        }
        return name
    }

    /// A description: at most 200 characters after trimming; blank is none.
    static func validateDescription(_ text: String) throws -> String {
        let trimmed = text.trimmedWhitespace
        guard trimmed.count <= 200, trimmed.unicodeScalars.count <= 400,
            !trimmed.hasControlCharacters()
        else {
            throw ParleyError.invalid("invalid_description", "A group's description is at most 200 characters with no control characters.")
        }
        return trimmed
    }

    struct GroupView: Encodable, Sendable {
        let id: Int64
        let name: String
        let description: String
        let createdBy: UserSummary
        let createdAt: Date
        /// Its members' ids, in order.
        let memberIds: [Int64]
    }

    struct GroupList: ResponseEncodable {
        let groups: [GroupView]
    }

    struct GroupAnswer: ResponseEncodable {
        let group: GroupView
    }

    /// One group with its members as people, by username.
    struct GroupDetail: ResponseEncodable {
        let group: GroupView
        let members: [UserSummary]
    }

    struct DeletedEvent: Encodable {
        let groupId: Int64
    }

    private static let columns = """
        g.id, g.name, g.description, g.created_at, g.created_by,
        u.id AS by_id, u.username AS by_username, u.display_name AS by_display_name, u.avatar AS by_avatar
        FROM user_groups g JOIN users u ON u.id = g.created_by
        """

    /// The groups with these rows' ids (all of them when `id` is nil), by name.
    private static func load(_ c: MariaDBConnection, id: Int64? = nil) throws -> [GroupView] {
        let rows = try c.query("SELECT \(columns)" + (id == nil ? " ORDER BY g.name" : " WHERE g.id = ?"), id.map { [$0] } ?? [])
        guard !rows.isEmpty else { return [] }
        var members: [Int64: [Int64]] = [:]
        for row in try c.query(
            // Deactivated accounts keep their place but are not listed (nor mentioned) until reactivated.
            """
            SELECT gm.group_id, gm.user_id FROM user_group_members gm JOIN users u ON u.id = gm.user_id AND u.deactivated_at IS NULL
            """ + (id == nil ? "" : " WHERE gm.group_id = ?") + " ORDER BY gm.group_id, gm.user_id",
            id.map { [$0] } ?? [])
        {
            members[try row.decode("group_id"), default: []].append(try row.decode("user_id"))
        }
        return try rows.map { row in
            let id: Int64 = try row.decode("id")
            return GroupView(
                id: id, name: try row.decode("name"), description: try row.decode("description"), createdBy: try UserSummary(row: row, prefix: "by_"),
                createdAt: try row.decode("created_at"), memberIds: members[id] ?? [])
        }
    }

    /// Locks the groups `userID` belongs to, in order, before a change to the account that
    /// `memberChanged` tells of: two members deactivated at once then come one after the other, and
    /// the second (with no plain read before this) reads the first's change.
    static func lockGroups(_ c: MariaDBConnection, of userID: Int64) throws {
        _ = try c.query(
            "SELECT g.id FROM user_group_members gm JOIN user_groups g ON g.id = gm.group_id WHERE gm.user_id = ? ORDER BY g.id FOR UPDATE",
            [userID])
    }

    /// A user was deactivated or reactivated: each group they belong to is `user_group.updated` to
    /// everyone, with its members as they now show. The transaction locked them first (`lockGroups`).
    static func memberChanged(_ c: MariaDBConnection, _ events: EventAppender, userID: Int64) throws {
        let ids = try c.query("SELECT group_id FROM user_group_members WHERE user_id = ? ORDER BY group_id", [userID]).map {
            try $0.decode("group_id", as: Int64.self)
        }
        for id in ids {
            guard let group = try load(c, id: id).first else { continue }
            try events.append(EventType.userGroupUpdated, payload: GroupAnswer(group: group))
        }
    }

    /// One group, or `user_group_not_found`; `lock` takes its row for the transaction.
    private static func group(_ c: MariaDBConnection, _ id: Int64, lock: Bool = false) throws -> (view: GroupView, maker: Int64) {
        guard let row = try c.query("SELECT created_by FROM user_groups WHERE id = ?" + (lock ? " FOR UPDATE" : ""), [id]).first,
            let view = try load(c, id: id).first
        else { throw notFound }
        return (view, try row.decode("created_by"))
    }

    private static func requireManager(_ session: AuthenticatedSession, maker: Int64) throws {
        guard session.user.id == maker || session.user.siteRole == .admin else { throw forbidden }
    }

    /// Takes the names for this transaction: the site settings' row, exclusively, which every sign-up
    /// holds shared. First, before any other lock: a sign-up and a group made at once then come one
    /// after the other. (Their gap locks alone, each on the other's table, deadlocked them past the
    /// retries: a hunt saw `503` sign-ups beside groups being made.)
    static func lockNames(_ c: MariaDBConnection) throws {
        _ = try c.query("SELECT id FROM site_settings WHERE id = 1 FOR UPDATE", [])
    }

    /// Refuses a name that a user has (a group's unique key refuses another group's). A locking read:
    /// an account being registered with this name at the same moment is waited for and seen, as
    /// registration locks `user_groups` the same way (after `lockNames`).
    private static func checkNameFree(_ c: MariaDBConnection, _ name: String) throws {
        if try !c.query("SELECT id FROM users WHERE username = ? FOR UPDATE", [name]).isEmpty { throw nameTaken }
    }

    /// [userGroups] The site's user groups, by name.
    func list(request: Request, context: AppRequestContext) async throws -> GroupList {
        _ = try context.requireSession()
        return GroupList(groups: try await log.pool.withConnection { c in try Self.load(c) })
    }

    /// [getUserGroup] A group and its members.
    func get(request: Request, context: AppRequestContext) async throws -> GroupDetail {
        _ = try context.requireSession()
        let id = try RoomController.id(context, "group")
        return try await log.pool.withConnection { c in
            let (view, _) = try Self.group(c, id)
            let members = try c.query(
                """
                SELECT u.id, u.username, u.display_name, u.avatar FROM user_group_members gm JOIN users u ON u.id = gm.user_id
                WHERE gm.group_id = ? AND u.deactivated_at IS NULL ORDER BY u.username
                """, [id]
            ).map { try UserSummary(row: $0) }
            return GroupDetail(group: view, members: members)
        }
    }

    struct MakeBody: Decodable {
        let name: String
        let description: String?
    }

    /// [makeUserGroup] A new group, its maker its first member; 201.
    func make(request: Request, context: AppRequestContext) async throws -> EditedResponse<GroupAnswer> {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: MakeBody.self, context: context, limit: maxBodyBytes)
        let name = try Self.validateName(body.name)
        let description = try Self.validateDescription(body.description ?? "")
        try limiter.consume(String(session.user.id))
        let group = try await log.transaction { c, events in
            try Self.lockNames(c)
            // Counted under a lock on the table's last gap, so two makers at once cannot pass the limit together.
            let count = try c.query("SELECT COUNT(*) AS n FROM user_groups FOR UPDATE", [])[0].decode("n", as: Int64.self)
            guard count < Self.maxGroups else {
                throw ParleyError(.conflict, "too_many_user_groups", "The site has \(Self.maxGroups) user groups, the most it keeps: delete one first.")
            }
            try Self.checkNameFree(c, name)
            let id: Int64
            do {
                id = Int64(
                    try c.execute(
                        "INSERT INTO user_groups (name, description, created_by, created_at) VALUES (?, ?, ?, NOW(3))",
                        [name, description, session.user.id]
                    ).lastInsertID)
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw Self.nameTaken
            }
            try c.execute("INSERT INTO user_group_members (group_id, user_id, added_at) VALUES (?, ?, NOW(3))", [id, session.user.id])
            let group = try Self.group(c, id).view
            try events.append(EventType.userGroupUpdated, payload: GroupAnswer(group: group))
            return group
        }
        return EditedResponse(status: .created, response: GroupAnswer(group: group))
    }

    struct UpdateBody: Decodable {
        let name: String?
        let description: String?
    }

    /// [updateUserGroup] Renames a group or changes its description (its maker or a site admin).
    func update(request: Request, context: AppRequestContext) async throws -> GroupAnswer {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "group")
        let body = try await request.decodeJSON(as: UpdateBody.self, context: context, limit: maxBodyBytes)
        let name = try body.name.map(Self.validateName)
        let description = try body.description.map(Self.validateDescription)
        let group = try await log.transaction { c, events in
            if name != nil { try Self.lockNames(c) }
            let (before, maker) = try Self.group(c, id, lock: true)
            try Self.requireManager(session, maker: maker)
            let newName = name ?? before.name
            let newDescription = description ?? before.description
            guard newName != before.name || newDescription != before.description else { return before }
            // A change of capitals only is still this group's name.
            if newName.lowercased() != before.name.lowercased() { try Self.checkNameFree(c, newName) }
            do {
                try c.execute("UPDATE user_groups SET name = ?, description = ? WHERE id = ?", [newName, newDescription, id])
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw Self.nameTaken
            }
            let group = try Self.group(c, id).view
            try events.append(EventType.userGroupUpdated, payload: GroupAnswer(group: group))
            return group
        }
        return GroupAnswer(group: group)
    }

    /// [deleteUserGroup] Deletes a group (its maker or a site admin); messages that mentioned it
    /// keep the people they named.
    func delete(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "group")
        try await log.transaction { c, events in
            let (_, maker) = try Self.group(c, id, lock: true)
            try Self.requireManager(session, maker: maker)
            try c.execute("DELETE FROM user_groups WHERE id = ?", [id])
            try events.append(EventType.userGroupDeleted, payload: DeletedEvent(groupId: id))
        }
        return .noContent
    }

    /// [addUserGroupMember] Adds a person to a group: anyone themselves, others by the group's maker
    /// or a site admin. Adding a member again changes nothing.
    func addMember(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await changeMember(context) { c, id, target, actor in
            guard try !c.query("SELECT id FROM users WHERE id = ? AND deactivated_at IS NULL", [target]).isEmpty else {
                throw ParleyError.notFound("user_not_found", "No active user has id \(target).")
            }
            // Not someone either of them blocked, as for a private group: a group is named in
            // public and mentioned by it (a hunt put the person who blocked them in one called "idiots").
            if target != actor { try Blocks.check(c, actor, target) }
            if try !c.query("SELECT user_id FROM user_group_members WHERE group_id = ? AND user_id = ?", [id, target]).isEmpty { return false }
            let count = try c.query("SELECT COUNT(*) AS n FROM user_group_members WHERE group_id = ?", [id])[0].decode("n", as: Int64.self)
            guard count < Self.maxMembers else {
                throw ParleyError(.conflict, "user_group_full", "A user group has at most \(Self.maxMembers) members.")
            }
            try c.execute("INSERT INTO user_group_members (group_id, user_id, added_at) VALUES (?, ?, NOW(3))", [id, target])
            return true
        }
    }

    /// [removeUserGroupMember] Takes a person out of a group: anyone themselves, others by the
    /// group's maker or a site admin. Removing a non-member changes nothing.
    func removeMember(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await changeMember(context) { c, id, target, _ in
            try c.execute("DELETE FROM user_group_members WHERE group_id = ? AND user_id = ?", [id, target]).affectedRows == 1
        }
    }

    /// A change of the path's group's members about the path's user, under the group's lock, by
    /// that user or a manager; `change` says whether it changed anything, and then everyone hears.
    private func changeMember(
        _ context: AppRequestContext, _ change: @escaping @Sendable (MariaDBConnection, _ group: Int64, _ user: Int64, _ actor: Int64) throws -> Bool
    ) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "group")
        let target = try RoomController.id(context, "user")
        try await log.transaction { c, events in
            let (_, maker) = try Self.group(c, id, lock: true)
            if target != session.user.id { try Self.requireManager(session, maker: maker) }
            guard try change(c, id, target, session.user.id) else { return }
            try events.append(EventType.userGroupUpdated, payload: GroupAnswer(group: try Self.group(c, id).view))
        }
        return .noContent
    }
}
