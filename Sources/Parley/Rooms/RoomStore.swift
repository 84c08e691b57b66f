import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// The SQL of rooms and memberships. Methods taking a connection run inside a caller's transaction.
struct RoomStore: Sendable {
    let pool: MariaDBPool
    /// Rooms' kinds as seen so far (a room never changes kind, and ids are never reused).
    let kinds = RoomKindCache()
    /// Rooms where only moderators and up post (`post_policy = 'moderators'`).
    let restricted = RoomSet(where: "post_policy = 'moderators'")
    /// Archived rooms: read-only until unarchived.
    let archived = RoomSet(where: "archived_at IS NOT NULL")
    /// Rooms in slow mode (`slow_mode_seconds` > 0): posts there take the path that checks it.
    let slowMode = RoomSet(where: "slow_mode_seconds > 0")
    static let mainRoomID: Int64 = 1

    private static let roomColumns = """
        r.id, r.kind, r.name, r.topic, r.password_hash, r.post_policy, r.created_at, r.archived_at, r.slow_mode_seconds,
        r.message_retention_days, (SELECT COUNT(*) FROM room_members m WHERE m.room_id = r.id) AS member_count
        """

    func room(_ c: MariaDBConnection, id: Int64, forUpdate: Bool = false) throws -> RoomRecord? {
        try c.query("SELECT \(Self.roomColumns) FROM rooms r WHERE r.id = ?\(forUpdate ? " FOR UPDATE" : "")", [id]).first.map(RoomRecord.init)
    }

    /// Holds the room's row (a shared lock) until the transaction ends: a deletion at the same
    /// moment either came first (404 `room_not_found`) or waits. For writes of rows that point at
    /// the room after a check that read it without a lock, whose foreign key would otherwise fail
    /// (a 500, or a row an `INSERT IGNORE` silently drops).
    static func holdRoom(_ c: MariaDBConnection, _ roomID: Int64) throws {
        guard try c.query("SELECT id FROM rooms WHERE id = ? LOCK IN SHARE MODE", [roomID]).first != nil else { throw RoomService.roomNotFound }
    }

    /// The room's kind and the user's role in one indexed lookup (no member count): the hot path of posting.
    func membership(_ c: MariaDBConnection, roomID: Int64, userID: Int64) throws -> (kind: RoomKind, role: RoomRole?)? {
        guard
            let row = try c.query(
                "SELECT r.kind, m.role FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = ? WHERE r.id = ?",
                [userID, roomID]
            ).first
        else { return nil }
        return (RoomKind(rawValue: try row.decode("kind")) ?? .public, try row.decode("role", as: String?.self).flatMap(RoomRole.init))
    }

    /// SQL: the maker of `alias`'s row (its `created_by`, joined as `u`) is an active account and
    /// still the owner or an admin of the row's room. Invite links and webhooks work only while so.
    static func makerManages(_ alias: String) -> String {
        """
        u.deactivated_at IS NULL
        AND EXISTS (
            SELECT 1 FROM room_members rm WHERE rm.room_id = \(alias).room_id AND rm.user_id = \(alias).created_by AND rm.role IN ('owner', 'admin'))
        """
    }

    static let archivedError = ParleyError(
        .conflict, "room_archived", "This room is archived: it is read-only until an owner or admin unarchives it.")

    /// Throws 409 `room_archived` when the room is archived.
    func checkNotArchived(_ roomID: Int64) throws {
        if archived.contains(roomID) { throw Self.archivedError }
    }

    /// Throws 403 `posting_restricted` when the room is one where only moderators and up post and
    /// the user is not one of them.
    func checkPostPolicy(_ c: MariaDBConnection, roomID: Int64, userID: Int64) throws {
        guard restricted.contains(roomID) else { return }
        guard let role = try role(c, roomID: roomID, userID: userID), role >= .moderator else { throw Self.postingRestricted }
    }

    static let postingRestricted = ParleyError(.forbidden, "posting_restricted", "Only the room's moderators, admins and owner post here.")

    /// The archive, who-posts and mute checks of posting (and that the account is still active),
    /// read from the database rather than from
    /// memory, for a post whose transaction holds the room's row (`holdRoom`). The copies in memory
    /// change only after a mute, an archive, a policy or a role change commits, and each of those
    /// holds the room's row: a post that waited for one reads here what it wrote, and is refused
    /// rather than inserted after its event (as `post_message` does, sql/069). A locking read, so
    /// that no earlier snapshot of the transaction hides the change. Edits check the same; reactions
    /// and votes pass `policy: false` (members react where only moderators post), and taking a
    /// reaction back passes `mute: false` (a muted member takes back what they said, as they delete
    /// their messages).
    /// Returns the user's role as read there (nil: not a member).
    @discardableResult
    static func checkPostableHeld(_ c: MariaDBConnection, roomID: Int64, userID: Int64, policy: Bool = true, mute: Bool = true) throws -> RoomRole? {
        guard
            let row = try c.query(
                """
                SELECT m.role, r.archived_at IS NOT NULL AS archived, r.post_policy = 'moderators' AND COALESCE(m.role, 'member') = 'member' AS restricted,
                       u.user_id IS NOT NULL AS muted, u.expires_at,
                       (SELECT a.deactivated_at IS NOT NULL FROM users a WHERE a.id = ?) AS deactivated
                FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = ?
                LEFT JOIN room_mutes u ON u.room_id = r.id AND u.user_id = ? AND (u.expires_at IS NULL OR u.expires_at > NOW(3))
                WHERE r.id = ? LOCK IN SHARE MODE
                """, [userID, userID, userID, roomID]
            ).first
        else { throw RoomService.roomNotFound }
        // Deactivated while the request was on its way (a file still uploading): its session is gone.
        // (A subquery: the account's row is not locked, as a post never locks it.)
        if try row.decode("deactivated", as: Bool?.self) ?? true { throw ParleyError.unauthenticated }
        if try row.decode("archived", as: Bool.self) { throw archivedError }
        if mute, try row.decode("muted", as: Bool.self) { throw MuteIndex.mutedError(until: try row.decode("expires_at")) }
        if policy, try row.decode("restricted", as: Bool.self) { throw postingRestricted }
        return try row.decode("role", as: String?.self).flatMap(RoomRole.init)
    }

    /// The longest slow mode: six hours, as Discord's.
    static let maxSlowModeSeconds = 21_600

    /// In a room in slow mode, takes the user's turn to post at `now` (in the post's transaction, so
    /// a post that fails gives it back); throws 429 `slow_mode`, with how long to wait, when their
    /// last post there was too recent. One statement checks and moves the time, so two posts racing
    /// in cannot both pass. The time is kept in `slow_mode_turns`, which leaving the room does not
    /// clear, so leaving and joining again buys no new turn. Moderators and up are not slowed; the
    /// caller checks that.
    func takeSlowModeTurn(_ c: MariaDBConnection, roomID: Int64, userID: Int64, at now: Date) throws {
        // A plain read: a change of the interval racing in is as if it came a moment later. Nothing
        // here locks the room's row (a locking read of it, while racing posts waited for the turn
        // with shared locks on it, deadlocked them).
        guard let seconds = try c.query("SELECT slow_mode_seconds FROM rooms WHERE id = ?", [roomID]).first?.decode("slow_mode_seconds", as: Int.self),
            seconds > 0
        else { return }
        // A new row (1 row affected) or a moved time (2) is a turn taken; an unchanged row (0) is
        // too soon, or the time is already `now`.
        let taken = try c.execute(
            """
            INSERT INTO slow_mode_turns (room_id, user_id, last_posted_at) VALUES (?, ?, ?)
            ON DUPLICATE KEY UPDATE last_posted_at =
                IF(last_posted_at <= VALUES(last_posted_at) - INTERVAL ? SECOND, VALUES(last_posted_at), last_posted_at)
            """, [roomID, userID, now, seconds])
        guard taken.affectedRows == 0 else { return }
        // The statement holds the row's lock, so this locking read sees what a post that raced in
        // committed, not this transaction's snapshot.
        guard
            let row = try c.query(
                """
                SELECT TIMESTAMPDIFF(MICROSECOND, ?, last_posted_at + INTERVAL ? SECOND) AS wait
                FROM slow_mode_turns WHERE room_id = ? AND user_id = ? FOR UPDATE
                """, [now, seconds, roomID, userID]
            ).first,
            let wait = try row.decode("wait", as: Int64?.self), wait > 0
        else { return }
        let waitSeconds = Int((wait + 999_999) / 1_000_000)
        throw ParleyError(
            .tooManyRequests, "slow_mode", "This room is in slow mode: you may post again in \(waitSeconds) s.",
            headers: [.retryAfter: String(waitSeconds)])
    }

    func role(_ c: MariaDBConnection, roomID: Int64, userID: Int64) throws -> RoomRole? {
        try c.query("SELECT role FROM room_members WHERE room_id = ? AND user_id = ?", [roomID, userID]).first
            .flatMap { RoomRole(rawValue: try $0.decode("role")) }
    }

    /// The members of a DM but `userID`, by display name.
    func dmOthers(_ c: MariaDBConnection, roomID: Int64, userID: Int64) throws -> [UserSummary] {
        try c.query(
            """
            SELECT u.id, u.username, u.display_name, u.avatar FROM room_members m JOIN users u ON u.id = m.user_id
            WHERE m.room_id = ? AND m.user_id <> ? ORDER BY u.display_name, u.id
            """, [roomID, userID]
        ).map { try UserSummary(row: $0) }
    }

    func view(_ c: MariaDBConnection, room: RoomRecord, viewer: Int64) throws -> RoomView {
        let role = try self.role(c, roomID: room.id, userID: viewer)
        let others = room.kind == .dm ? try dmOthers(c, roomID: room.id, userID: viewer) : nil
        return room.view(role: role, dmMembers: others)
    }

    func user(_ c: MariaDBConnection, id: Int64) throws -> UserSummary? {
        try c.query("SELECT id, username, display_name, avatar FROM users WHERE id = ?", [id]).first.map { try UserSummary(row: $0) }
    }

    /// A user who may be added to a room, given one or messaged: not deactivated. The row's shared
    /// lock holds a deactivation back until the caller's transaction ends.
    func activeUser(_ c: MariaDBConnection, id: Int64) throws -> UserSummary? {
        let row = try c.query("SELECT id, username, display_name, avatar, deactivated_at FROM users WHERE id = ? LOCK IN SHARE MODE", [id]).first
        guard let row, try row.decode("deactivated_at", as: Date?.self) == nil else { return nil }
        return try UserSummary(row: row)
    }

    func insertRoom(_ c: MariaDBConnection, kind: RoomKind, name: String, topic: String, passwordHash: String?, dmKey: String?, creator: Int64)
        throws -> Int64
    {
        Int64(
            try c.execute(
                """
                INSERT INTO rooms (kind, name, topic, password_hash, dm_key, created_by, created_at)
                VALUES (?, ?, ?, ?, ?, ?, NOW(3))
                """, [kind.rawValue, name, topic, passwordHash, dmKey, creator]
            ).lastInsertID)
    }

    /// Adds a member and announces it (`member.joined` or `member.added`, with `payload` and the room
    /// as it now is). The event's id, reserved first, is their read mark: history from before they joined is there to read but
    /// is not unread, and an `@room` in it does not mark them mentioned (as Zulip and Matrix count
    /// only what arrived after joining). Message ids come from the same sequence, and the membership
    /// starts at this event, so exactly the messages they receive live count: a message with a lower
    /// id that commits after the join is neither delivered to them nor unread (a mark taken from
    /// `MAX(id)` counted it). Receipts start at nothing.
    func insertMember(
        _ c: MariaDBConnection, _ events: EventAppender, roomID: Int64, userID: Int64, role: RoomRole, announce type: String,
        payload: RoomService.MemberEvent
    ) throws {
        let id = try events.reserve()
        try c.execute(
            "INSERT INTO room_members (room_id, user_id, role, joined_at, read_up_to) VALUES (?, ?, ?, NOW(3), ?)", [roomID, userID, role.rawValue, id])
        var payload = payload
        payload.room = try room(c, id: roomID)?.view(role: nil)
        try events.append(type, roomID: roomID, subjectID: userID, payload: payload, id: id)
    }

    /// Adds a member with no event (`parley admin create`, outside the running server, whose log's
    /// ids are not this process's to hand out): the read mark is the room's newest message.
    func insertMemberQuietly(_ c: MariaDBConnection, roomID: Int64, userID: Int64, role: RoomRole) throws {
        let newest = try c.query("SELECT MAX(id) AS newest FROM messages WHERE room_id = ?", [roomID]).first?.decode("newest", as: Int64?.self) ?? 0
        try c.execute(
            "INSERT INTO room_members (room_id, user_id, role, joined_at, read_up_to) VALUES (?, ?, ?, NOW(3), ?)",
            [roomID, userID, role.rawValue, newest])
    }

    func deleteMember(_ c: MariaDBConnection, roomID: Int64, userID: Int64) throws -> Bool {
        try c.execute("DELETE FROM room_members WHERE room_id = ? AND user_id = ?", [roomID, userID]).affectedRows == 1
    }

    func setRole(_ c: MariaDBConnection, roomID: Int64, userID: Int64, role: RoomRole) throws {
        try c.execute("UPDATE room_members FORCE INDEX (PRIMARY) SET role = ? WHERE room_id = ? AND user_id = ?", [role.rawValue, roomID, userID])
    }

    /// Public rooms, by name; an archived room is no longer listed.
    func publicRooms(viewer: Int64, limit: Int) async throws -> (rooms: [RoomView], complete: Bool) {
        // When there are more than `limit`, the biggest are the ones people look for (`main` among
        // them); the rest are found by `searchPublicRooms`. Listed by name all the same.
        try await pool.withConnection { c in
            let rooms = try c.query(
                """
                SELECT * FROM (
                    SELECT \(Self.roomColumns), m.role AS my_role, \(Self.banColumns)
                    FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = ?
                    \(Self.banJoin)
                    WHERE r.kind = 'public' AND r.archived_at IS NULL ORDER BY member_count DESC, r.name LIMIT ?
                ) biggest ORDER BY name
                """, [viewer, viewer, limit]
            ).map(Self.publicRoom)
            guard rooms.count == limit else { return (rooms, true) }
            let all = try c.query("SELECT COUNT(*) AS n FROM rooms WHERE kind = 'public' AND archived_at IS NULL").first?.decode("n", as: Int64.self)
            return (rooms, (all ?? 0) <= limit)
        }
    }

    /// Public rooms whose name or topic contains `text` (without regard to case or accents), or all
    /// of them, by name, after the room named `after`: a page of the directory beyond `publicRooms`'s cut.
    func searchPublicRooms(viewer: Int64, text: String?, after: String?, limit: Int) async throws -> [RoomView] {
        let pattern = text.map(MessageService.namePattern)
        return try await pool.query(
            """
            SELECT \(Self.roomColumns), m.role AS my_role, \(Self.banColumns)
            FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = ?
            \(Self.banJoin)
            WHERE r.kind = 'public' AND r.archived_at IS NULL AND (? IS NULL OR r.name > ?)
                AND (? IS NULL OR r.name LIKE ? ESCAPE '!' OR r.topic LIKE ? ESCAPE '!')
            ORDER BY r.name LIMIT ?
            """, [viewer, viewer, after, after, pattern, pattern, pattern, limit]
        ).map(Self.publicRoom)
    }

    /// The viewer's ban from a directory room, if one is in force (`banJoin`, bound to the viewer).
    private static let banJoin = """
        LEFT JOIN room_bans b ON b.room_id = r.id AND b.user_id = ? AND (b.expires_at IS NULL OR b.expires_at > NOW(3))
        """
    private static let banColumns = "b.user_id IS NOT NULL AS banned, b.expires_at AS ban_expires_at"

    /// A directory entry: with the viewer's role, and their ban when one is in force (so that a
    /// client offers no Join that would be refused; a hunt).
    private static func publicRoom(_ row: MariaDBRow) throws -> RoomView {
        var room = try RoomRecord(row: row).view(role: (try row.decode("my_role", as: String?.self)).flatMap(RoomRole.init))
        if try row.decode("banned", as: Bool.self) { room.myBan = RoomView.Ban(expiresAt: try row.decode("ban_expires_at")) }
        return room
    }

    /// The rooms a user is in, DMs named after the other people (a row per other member of a DM,
    /// gathered here).
    func roomsOf(userID: Int64) async throws -> [RoomView] {
        let rows = try await pool.query(
            """
            SELECT \(Self.roomColumns), m.role AS my_role, u.id AS dm_id, u.username AS dm_username, u.display_name AS dm_display_name, u.avatar AS dm_avatar
            FROM room_members m JOIN rooms r ON r.id = m.room_id
            LEFT JOIN room_members o ON r.kind = 'dm' AND o.room_id = r.id AND o.user_id <> m.user_id
            LEFT JOIN users u ON u.id = o.user_id
            WHERE m.user_id = ? ORDER BY r.kind, r.name, r.id, u.display_name, u.id
            """, [userID])
        var rooms: [(record: RoomRecord, role: RoomRole?, others: [UserSummary])] = []
        for row in rows {
            let id: Int64 = try row.decode("id")
            if rooms.last?.record.id != id {
                rooms.append((try RoomRecord(row: row), RoomRole(rawValue: try row.decode("my_role")), []))
            }
            if try row.decode("dm_id", as: Int64?.self) != nil { rooms[rooms.count - 1].others.append(try UserSummary(row: row, prefix: "dm_")) }
        }
        return rooms.map { $0.record.view(role: $0.role, dmMembers: $0.record.kind == .dm ? $0.others : nil) }
    }

    /// A member with role, join time, chosen presence and last seen time.
    typealias MemberRow = (
        user: UserSummary, role: RoomRole, joined: Date, chosen: String, lastSeen: Date?, status: UserStatus?, dndUntil: Date?,
        timeZone: String?, deactivated: Bool
    )

    private static let memberQuery = """
        SELECT u.id, u.username, u.display_name, u.avatar, u.presence, u.last_seen_at, u.time_zone, u.deactivated_at IS NOT NULL AS deactivated,
            m.role, m.joined_at, \(UserStatus.columns("u")),
            \(DoNotDisturbController.column("u"))
        FROM room_members m JOIN users u ON u.id = m.user_id
        """

    private static func memberRow(_ row: MariaDBRow) throws -> MemberRow {
        // A deactivated account's status and pause are not shown, as on its profile (a hunt saw them differ).
        let deactivated = try row.decode("deactivated", as: Int64.self) != 0
        return (
            try UserSummary(row: row), RoomRole(rawValue: try row.decode("role")) ?? .member, try row.decode("joined_at"),
            try row.decode("presence"), try row.decode("last_seen_at"), deactivated ? nil : try UserStatus.from(row),
            deactivated ? nil : try row.decode("dnd_until"), try row.decode("time_zone"), deactivated
        )
    }

    /// The members, by rank and then by name.
    func members(roomID: Int64) async throws -> [MemberRow] {
        try await pool.query(
            """
            \(Self.memberQuery)
            WHERE m.room_id = ?
            ORDER BY FIELD(m.role, 'owner', 'admin', 'moderator', 'member'), u.username
            """, [roomID]
        ).map(Self.memberRow)
    }

    /// One member, as `members` lists them.
    func member(_ c: MariaDBConnection, roomID: Int64, userID: Int64) throws -> MemberRow? {
        try c.query("\(Self.memberQuery) WHERE m.room_id = ? AND m.user_id = ?", [roomID, userID]).first.map(Self.memberRow)
    }

    /// Users whose username starts with `prefix` (case-insensitive).
    func searchUsers(prefix: String, limit: Int) async throws -> [UserSummary] {
        let escaped = prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        // Active accounts only: nobody opens a DM with, or adds, a deactivated one. Usernames that
        // start with it come first, read in order from the username index; only when they do not fill
        // the page, display names with a word that does ("hop" finds "Grace Hopper", "jones" finds
        // "Smith-Jones", "ops" finds "(Ops)": a word starts after anything but a letter, digit or
        // `_`), which no index serves: a scan of `users`, its matches sorted. (Walking the username
        // index in order instead looks every row up at random: 180 ms against 6 ms for 100,000 users
        // and no match.) `LIKE` compares without regard to accents, as the collation does; the pattern
        // (after punctuation) only without regard to case. The prefix is quoted (`\Q…\E`) in it.
        let quoted = prefix.replacingOccurrences(of: "\\E", with: "\\E\\\\E\\Q")
        let wordStart = "(^|[^\\p{L}\\p{N}_])\\Q" + quoted + "\\E"
        return try await pool.withConnection { c in
            let byUsername = try c.query(
                "SELECT id, username, display_name, avatar FROM users WHERE username LIKE ? AND deactivated_at IS NULL ORDER BY username LIMIT ?",
                [escaped + "%", limit])
            guard byUsername.count < limit else { return try byUsername.map { try UserSummary(row: $0) } }
            let byName = try c.query(
                """
                SELECT id, username, display_name, avatar FROM users IGNORE INDEX (users_username)
                WHERE deactivated_at IS NULL AND username NOT LIKE ? AND (display_name LIKE ? OR display_name LIKE ? OR display_name REGEXP ?)
                ORDER BY username LIMIT ?
                """, [escaped + "%", escaped + "%", "% " + escaped + "%", wordStart, limit - byUsername.count])
            return try (byUsername + byName).map { try UserSummary(row: $0) }
        }
    }
}

/// A set of rooms in memory, those `condition` holds for: loaded at start-up and changed with every
/// change of the flag, so that checking a post in any other room costs no query. The rooms where
/// only moderators and up post are one; archived rooms are another.
final class RoomSet: Sendable {
    private struct State {
        var rooms: Set<Int64> = []
        /// The stamp of the last change applied to each room (`set(_:_:stamp:)`).
        var stamps: [Int64: UInt64] = [:]
        var nextStamp: UInt64 = 0
    }
    private let condition: String
    private let state = NIOLockedValueBox(State())

    init(where condition: String) { self.condition = condition }

    func load(_ pool: MariaDBPool) async throws {
        let ids = try await pool.query("SELECT id FROM rooms WHERE \(condition)").map { try $0.decode("id", as: Int64.self) }
        state.withLockedValue { $0.rooms = Set(ids) }
    }

    func contains(_ roomID: Int64) -> Bool { state.withLockedValue { $0.rooms.contains(roomID) } }

    /// A stamp for a change of a room taken while its transaction holds the room's row: changes of
    /// one room take their stamps in the order they commit.
    func stamp() -> UInt64 {
        state.withLockedValue { state in
            state.nextStamp += 1
            return state.nextStamp
        }
    }

    /// Puts the room in or out; with a `stamp`, only if no change stamped later was applied: two
    /// changes' answers may come back in either order, and the one that committed first, applied
    /// last, left the flag as it was no longer stored (a hunt: slow mode stored on and not enforced,
    /// an open room refusing every post).
    func set(_ roomID: Int64, _ isIn: Bool, stamp: UInt64? = nil) {
        state.withLockedValue { state in
            if let stamp {
                guard stamp >= state.stamps[roomID, default: 0] else { return }
                state.stamps[roomID] = stamp
            }
            if isIn { state.rooms.insert(roomID) } else { state.rooms.remove(roomID) }
        }
    }
}

/// One change's hold on a room's flag in a `RoomSet` (`RoomService.changingFlag`): `held()` once the
/// change's transaction has locked the room's row, `turnOn()` to set the flag before it commits.
final class FlagChange: Sendable {
    private let set: RoomSet
    private let roomID: Int64
    private let state = NIOLockedValueBox<(stamp: UInt64?, turnedOn: Bool)>((nil, false))

    init(_ set: RoomSet, roomID: Int64) {
        self.set = set
        self.roomID = roomID
    }

    /// The room's row is locked by this change's transaction (again, when it is tried again).
    func held() {
        let stamp = set.stamp()
        state.withLockedValue { $0.stamp = stamp }
    }

    func turnOn() {
        let stamp = state.withLockedValue { state in
            state.turnedOn = true
            return state.stamp
        }
        set.set(roomID, true, stamp: stamp)
    }

    var stamp: UInt64? { state.withLockedValue { $0.stamp } }
    var turnedOn: Bool { state.withLockedValue { $0.turnedOn } }
}

/// The kinds of rooms seen so far, so that posting need not look a room up to know it.
final class RoomKindCache: Sendable {
    private let kinds = NIOLockedValueBox<[Int64: RoomKind]>([:])

    func get(_ roomID: Int64) -> RoomKind? { kinds.withLockedValue { $0[roomID] } }

    func remember(_ roomID: Int64, _ kind: RoomKind) {
        kinds.withLockedValue { kinds in
            if kinds.count >= 200_000 { kinds.removeAll(keepingCapacity: true) }
            kinds[roomID] = kind
        }
    }
}
