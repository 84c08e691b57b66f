import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// The rules of rooms: who may see, join, change and leave them, written together with the events
/// that tell every member.
struct RoomService: Sendable {
    let store: RoomStore
    let log: EventLog
    let hub: EventHub
    let hasher: PasswordHasher
    let passwordLimiter: RateLimiter
    let presence: PresenceTracker
    /// Ends a leaving or removed member's "typing…" with their going, as a kick does.
    let typing: TypingService

    static let roomNotFound = ParleyError(.notFound, "room_not_found", "No such room, or it is private.")
    static let notAMember = ParleyError(.forbidden, "not_a_member", "Join the room first.")

    /// What a public room's non-member is told when they read or write it as a member would:
    /// `banned` when they are banned from it (they cannot join), else `not_a_member`.
    static func outsider(_ c: MariaDBConnection, roomID: Int64, userID: Int64) throws -> ParleyError {
        try ModerationService.isBanned(c, roomID: roomID, userID: userID) ? ModerationService.banned : notAMember
    }
    static func forbidden(_ message: String) -> ParleyError { ParleyError(.forbidden, "forbidden", message) }

    struct MemberEvent: Encodable {
        let roomId: Int64
        let user: UserSummary
        let role: RoomRole
        let by: UserSummary?
        /// On `member.joined` and `member.added`: the room as it is with them in it (as `room.updated`
        /// has it), so a client shows a room it was just put into without asking for it.
        var room: RoomView? = nil
    }

    struct RoomEvent: Encodable {
        let room: RoomView
    }

    struct RoomDeletedEvent: Encodable {
        let roomId: Int64
        let by: UserSummary
    }

    /// A public room as the directory shows it, or null once it is gone.
    struct DirectoryEvent: Encodable {
        let roomId: Int64
        let room: RoomView?

        enum CodingKeys: String, CodingKey { case roomId, room }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(roomId, forKey: .roomId)
            try container.encode(room, forKey: .room)
        }
    }

    struct DMOpenedEvent: Encodable {
        let room: RoomView
        let members: [UserSummary]
    }

    /// The room and the viewer's role; 404 when it does not exist or is private and the viewer is no member.
    static func access(_ store: RoomStore, _ c: MariaDBConnection, roomID: Int64, userID: Int64, forUpdate: Bool = false) throws -> (
        RoomRecord, RoomRole?
    ) {
        guard let room = try store.room(c, id: roomID, forUpdate: forUpdate) else { throw roomNotFound }
        let role = try store.role(c, roomID: roomID, userID: userID)
        if role == nil && room.kind != .public { throw roomNotFound }
        return (room, role)
    }

    /// The viewer's role in a room they may see (nil: a public room they are not in); 404 otherwise.
    static func role(_ store: RoomStore, _ c: MariaDBConnection, roomID: Int64, userID: Int64) throws -> RoomRole? {
        guard let membership = try store.membership(c, roomID: roomID, userID: userID) else { throw roomNotFound }
        if membership.role == nil && membership.kind != .public { throw roomNotFound }
        return membership.role
    }

    static let passwordRequired = ParleyError(
        .forbidden, "password_required", "This room has a password: join it with the password to read it.")

    /// What a public room's non-member may read of it (its preview, its pins): nothing when they are
    /// banned from it (403 `banned`) or it has a password, which they give by joining (403 `password_required`).
    static func checkPreview(_ c: MariaDBConnection, roomID: Int64, userID: Int64) throws {
        if try ModerationService.isBanned(c, roomID: roomID, userID: userID) { throw ModerationService.banned }
        if try !c.query("SELECT 1 FROM rooms WHERE id = ? AND password_hash IS NOT NULL", [roomID]).isEmpty { throw passwordRequired }
    }

    /// Trims and checks a room's name, kept composed (NFC) as display names are.
    static func validateName(_ name: String) throws -> String {
        let trimmed = name.precomposedStringWithCanonicalMapping.trimmedWhitespace
        guard (1...64).contains(trimmed.count), trimmed.unicodeScalars.count <= 255,
            !trimmed.hasControlCharacters(), !hasInvisibleFormatting(trimmed)
        else {
            throw ParleyError.invalid(
                "invalid_room_name", "A room name is 1–64 characters with no control characters and no invisible formatting characters.")
        }
        return trimmed
    }

    /// Whether a name holds characters that change nothing visible or turn what follows around: a
    /// public room's name is unique regardless of case, but "Team" with a soft hyphen, a tag
    /// character, or a right-to-left override before "maeT" looked like "Team" and was another name.
    /// Unicode's format characters (Cf) and line or paragraph separators, except the zero-width
    /// joiner and non-joiner (emoji sequences, Indic and Persian spelling) and the tags of an emoji
    /// flag (🏴 followed by tags, as Scotland's).
    /// A name made only of characters that show nothing (Hangul fillers, the braille blank, the
    /// combining grapheme joiner: letters and marks, not format characters) is one too: it showed
    /// as a blank name (a hunt shared files so named).
    static func hasInvisibleFormatting(_ name: String) -> Bool {
        if !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.properties.isDefaultIgnorableCodePoint || $0.properties.isWhitespace || $0 == "\u{2800}" }) {
            return true
        }
        var previous: Unicode.Scalar? = nil
        for scalar in name.unicodeScalars {
            defer { previous = scalar }
            switch scalar.properties.generalCategory {
            case .lineSeparator, .paragraphSeparator: return true
            case .format:
                if scalar == "\u{200C}" || scalar == "\u{200D}" { continue }
                let isTag = (0xE0020...0xE007F).contains(scalar.value)
                let afterFlagOrTag = previous.map { $0.value == 0x1F3F4 || (0xE0020...0xE007F).contains($0.value) } ?? false
                if isTag && afterFlagOrTag { continue }
                return true
            default: continue
            }
        }
        return false
    }

    static func validateTopic(_ topic: String) throws -> String {
        let trimmed = topic.composed.trimmedWhitespace
        guard trimmed.count <= 512, trimmed.unicodeScalars.count <= 1024, !trimmed.hasControlCharacters(allowingLineBreaks: true) else {
            throw ParleyError.invalid("invalid_topic", "A topic is at most 512 characters, with no control characters but line breaks.")
        }
        return trimmed
    }

    func hashRoomPassword(_ password: String?) async throws -> String? {
        guard let password else { return nil }
        try Self.validateRoomPassword(password)
        return try await hasher.hash(password)
    }

    static func validateRoomPassword(_ password: String) throws {
        guard (1...PasswordHasher.maxPasswordBytes).contains(password.utf8.count), !password.utf8.contains(0) else {
            throw ParleyError.invalid("invalid_room_password", "A room password is 1–72 bytes of UTF-8.")
        }
    }

    /// [makeRoom] Creates a public room or a private group; the creator is its owner.
    func create(
        user: User, kind: RoomKind, name: String, topic: String?, password: String?, memberIDs: [Int64], postPolicy: PostPolicy = .everyone,
        slowModeSeconds: Int = 0
    ) async throws -> RoomView {
        guard kind != .dm else { throw ParleyError.invalid("invalid_kind", "Open a DM with POST /api/dms.") }
        if kind == .public, user.siteRole != .admin, try await SiteSettings.load(log.pool).publicRooms == .admins {
            throw SiteSettings.publicRoomsForAdmins
        }
        let name = try Self.validateName(name)
        let topic = try Self.validateTopic(topic ?? "")
        try Self.validateSlowMode(slowModeSeconds)
        guard memberIDs.count <= 100 else { throw ParleyError.invalid("too_many_members", "Add at most 100 members at creation.") }
        if kind == .public && !memberIDs.isEmpty {
            throw ParleyError.invalid("invalid_members", "Only a private group starts with members; people join a public room themselves.")
        }
        if kind == .group && password != nil {
            throw ParleyError.invalid("invalid_room_password", "Only a public room has a password; people enter a private group when added.")
        }
        let hash = try await hashRoomPassword(password)
        let store = self.store
        do {
            return try await log.transaction { c, events in
                let creator = UserSummary(user)
                let id = try store.insertRoom(c, kind: kind, name: name, topic: topic, passwordHash: hash, dmKey: nil, creator: user.id)
                if postPolicy == .moderators {
                    // Set before the commit: nobody can post in the room before it exists.
                    store.restricted.set(id, true)
                    try c.execute("UPDATE rooms SET post_policy = ? WHERE id = ?", [postPolicy.rawValue, id])
                    try ModerationService.record(c, room: id, actor: user.id, action: "post_policy_moderators")
                }
                if slowModeSeconds > 0 {
                    store.slowMode.set(id, true)
                    try c.execute("UPDATE rooms SET slow_mode_seconds = ? WHERE id = ?", [slowModeSeconds, id])
                    try ModerationService.record(c, room: id, actor: user.id, action: "slow_mode", reason: "\(slowModeSeconds) s")
                }
                try store.insertMember(
                    c, events, roomID: id, userID: user.id, role: .owner, announce: EventType.memberJoined,
                    payload: MemberEvent(roomId: id, user: creator, role: .owner, by: nil))
                for memberID in Set(memberIDs) where memberID != user.id {
                    guard let member = try store.activeUser(c, id: memberID) else {
                        throw ParleyError.notFound("user_not_found", "No user has id \(memberID).")
                    }
                    // Nobody is put into a conversation with someone either of them blocked, as a group DM.
                    try Blocks.check(c, user.id, memberID)
                    try store.insertMember(
                        c, events, roomID: id, userID: memberID, role: .member, announce: EventType.memberAdded,
                        payload: MemberEvent(roomId: id, user: member, role: .member, by: creator))
                }
                let room = try store.room(c, id: id)!
                try events.append(EventType.roomCreated, roomID: id, payload: RoomEvent(room: room.view(role: nil)))
                if kind == .public {
                    try events.append(EventType.directoryChanged, payload: DirectoryEvent(roomId: id, room: room.view(role: nil)))
                }
                return room.view(role: .owner)
            }
        } catch let error as MariaDBError where error.isDuplicateKey {
            throw ParleyError(.conflict, "room_name_taken", "A public room named \(name) exists already.")
        }
    }

    /// A slow mode's interval: 0 (off) to six hours.
    static func validateSlowMode(_ seconds: Int) throws {
        guard (0...RoomStore.maxSlowModeSeconds).contains(seconds) else {
            throw ParleyError.invalid("invalid_slow_mode", "slow_mode_seconds is 0 (off) to 21,600 (six hours).")
        }
    }

    /// The room as the viewer sees it.
    func get(user: User, roomID: Int64) async throws -> RoomView {
        let store = self.store
        return try await store.pool.withConnection { c in
            let (room, _) = try Self.access(store, c, roomID: roomID, userID: user.id)
            return try store.view(c, room: room, viewer: user.id)
        }
    }

    struct Changes: Sendable {
        var name: String?
        var topic: String?
        /// .some(nil) removes the password.
        var password: String??
        var postPolicy: PostPolicy? = nil
        /// 0 turns slow mode off.
        var slowModeSeconds: Int? = nil
    }

    /// Renames a room or changes its topic, password, who may post or its slow mode (owners and
    /// admins). A room closed to members' posts, or slowed, is so before the change commits (a post
    /// checked meanwhile is refused a moment early), and opened only once it has.
    func update(user: User, roomID: Int64, changes: Changes) async throws -> RoomView {
        let restricted = "post_policy = 'moderators'"
        return try await changingFlag(store.restricted, roomID: roomID, isOn: { $0.postPolicy == .moderators }, stored: restricted) { restrict in
            try await changingFlag(store.slowMode, roomID: roomID, isOn: { $0.slowModeSeconds > 0 }, stored: "slow_mode_seconds > 0") { slow in
                try await applyUpdate(user: user, roomID: roomID, changes: changes, restrict: restrict, slow: slow)
            }
        }
    }

    /// A change that may turn one of the rooms' in-memory flags on (`set`). `apply` calls
    /// `flag.held()` once its transaction holds the room's row, and `flag.turnOn()` once the caller
    /// is found allowed, before its change commits; afterwards the set follows what committed
    /// (`isOn`), and after a failure, if it turned the flag on, what is stored (`stored`, SQL on
    /// `rooms`). So a refused call never touches the set, a flag is cleared only once its clearing
    /// has committed, and of two changes the one that committed last decides, whichever answer comes
    /// back last (the stamp taken under the row's lock).
    private func changingFlag(
        _ set: RoomSet, roomID: Int64, isOn: (RoomView) -> Bool, stored: String, apply: (_ flag: FlagChange) async throws -> RoomView
    ) async throws -> RoomView {
        let flag = FlagChange(set, roomID: roomID)
        do {
            let view = try await apply(flag)
            if let stamp = flag.stamp { set.set(roomID, isOn(view), stamp: stamp) }
            return view
        } catch {
            if flag.turnedOn {
                let on = try? await store.pool.query("SELECT (\(stored)) AS flag FROM rooms WHERE id = ?", [roomID]).first
                    .map { try $0.decode("flag", as: Bool.self) }
                set.set(roomID, on ?? false, stamp: flag.stamp)
            }
            throw error
        }
    }

    /// Whether `role` may make `changes` to `room` (before the password is hashed, and again under
    /// the room's lock).
    private static func checkUpdate(room: RoomRecord, role: RoomRole?, changes: Changes, renaming: Bool, setsPassword: Bool) throws {
        guard let role else { throw Self.notAMember }
        // A DM has no admins: either of its two people may set its topic.
        guard role >= .admin || room.kind == .dm else { throw Self.forbidden("Only the room's owner and admins change it.") }
        guard room.archivedAt == nil else { throw RoomStore.archivedError }
        if room.kind == .dm && (renaming || changes.password != nil) {
            throw ParleyError.invalid("invalid_change", "A DM has no name or password; only its topic may change.")
        }
        if room.kind == .group && setsPassword {
            throw ParleyError.invalid("invalid_change", "Only a public room has a password; people enter a private group when added.")
        }
        if room.kind == .dm && changes.postPolicy != nil {
            throw ParleyError.invalid("invalid_change", "Both people of a DM post in it; post_policy is for rooms and groups.")
        }
        if room.kind == .dm && changes.slowModeSeconds != nil {
            throw ParleyError.invalid("invalid_change", "A DM has no slow mode; it is for rooms and groups.")
        }
    }

    private func applyUpdate(
        user: User, roomID: Int64, changes: Changes, restrict: FlagChange, slow: FlagChange
    ) async throws -> RoomView {
        let name = try changes.name.map(Self.validateName)
        if let seconds = changes.slowModeSeconds { try Self.validateSlowMode(seconds) }
        let topic = try changes.topic.map(Self.validateTopic)
        var newHash: String?? = nil
        let store = self.store
        if let password = changes.password {
            if let password {
                // Hashing costs what a login does: only for someone who may set it (checked again
                // under the room's lock below), so that anyone's PATCH of any room id does not.
                try Self.validateRoomPassword(password)
                try await store.pool.withConnection { c in
                    let (room, role) = try Self.access(store, c, roomID: roomID, userID: user.id)
                    try Self.checkUpdate(room: room, role: role, changes: changes, renaming: name != nil, setsPassword: true)
                }
            }
            newHash = .some(try await hashRoomPassword(password))
        }
        do {
            return try await log.transaction { [newHash] c, events in
                let (room, role) = try Self.access(store, c, roomID: roomID, userID: user.id, forUpdate: true)
                restrict.held()
                slow.held()
                var setsPassword = false
                if case .some(.some) = newHash { setsPassword = true }
                try Self.checkUpdate(room: room, role: role, changes: changes, renaming: name != nil, setsPassword: setsPassword)
                // A topic is words to the other person: not where either blocked the other, nor to
                // a deactivated account (as posting).
                if room.kind == .dm { try Blocks.checkDM(c, roomID: roomID, userID: user.id) }
                if let name { try c.execute("UPDATE rooms SET name = ? WHERE id = ?", [name, roomID]) }
                if let topic { try c.execute("UPDATE rooms SET topic = ? WHERE id = ?", [topic, roomID]) }
                if let newHash { try c.execute("UPDATE rooms SET password_hash = ? WHERE id = ?", [newHash, roomID]) }
                // What the room is called, says and asks of those who join goes in its log (a DM has none).
                if room.kind != .dm {
                    if let name, name != room.name {
                        try ModerationService.record(c, room: roomID, actor: user.id, action: "rename", reason: "\(room.name) → \(name)")
                    }
                    if let topic, topic != room.topic {
                        try ModerationService.record(c, room: roomID, actor: user.id, action: topic.isEmpty ? "topic_cleared" : "topic", reason: topic.isEmpty ? nil : topic)
                    }
                    switch newHash {
                    case .some(.some): try ModerationService.record(c, room: roomID, actor: user.id, action: "password_set")
                    case .some(.none) where room.passwordHash != nil: try ModerationService.record(c, room: roomID, actor: user.id, action: "password_removed")
                    default: break
                    }
                }
                // A change that changes nothing is no change: no event to every member (and, for a
                // public room, to everyone).
                let changed =
                    (name.map { $0 != room.name } ?? false) || (topic.map { $0 != room.topic } ?? false)
                    || (newHash.map { $0 != nil || room.passwordHash != nil } ?? false)
                    || (changes.postPolicy.map { $0 != room.postPolicy } ?? false)
                    || (changes.slowModeSeconds.map { $0 != room.slowModeSeconds } ?? false)
                guard changed else { return try store.view(c, room: room, viewer: user.id) }
                if let policy = changes.postPolicy, policy != room.postPolicy {
                    if policy == .moderators { restrict.turnOn() }
                    try c.execute("UPDATE rooms SET post_policy = ? WHERE id = ?", [policy.rawValue, roomID])
                    try ModerationService.record(c, room: roomID, actor: user.id, action: "post_policy_\(policy.rawValue)")
                }
                if let seconds = changes.slowModeSeconds, seconds != room.slowModeSeconds {
                    if seconds > 0 { slow.turnOn() }
                    try c.execute("UPDATE rooms SET slow_mode_seconds = ? WHERE id = ?", [seconds, roomID])
                    // Off: the turns are forgotten, so slow mode turned on again starts everyone afresh.
                    if seconds == 0 { try c.execute("DELETE FROM slow_mode_turns WHERE room_id = ?", [roomID]) }
                    let action = seconds > 0 ? "slow_mode" : "slow_mode_off"
                    try ModerationService.record(c, room: roomID, actor: user.id, action: action, reason: seconds > 0 ? "\(seconds) s" : nil)
                }
                let updated = try store.room(c, id: roomID)!
                try events.append(EventType.roomUpdated, roomID: roomID, payload: RoomEvent(room: updated.view(role: nil)))
                if updated.kind == .public {
                    try events.append(EventType.directoryChanged, payload: DirectoryEvent(roomId: roomID, room: updated.view(role: nil)))
                }
                return try store.view(c, room: updated, viewer: user.id)
            }
        } catch let error as MariaDBError where error.isDuplicateKey {
            throw ParleyError(.conflict, "room_name_taken", "A public room with that name exists already.")
        }
    }

    /// Deletes a room with its messages (the owner only; `main` stays).
    func delete(user: User, roomID: Int64) async throws {
        let store = self.store
        try await log.transaction { c, events in
            let (room, role) = try Self.access(store, c, roomID: roomID, userID: user.id, forUpdate: true)
            guard let role else { throw Self.notAMember }
            guard role == .owner else { throw Self.forbidden("Only the room's owner deletes it.") }
            guard roomID != RoomStore.mainRoomID else {
                throw ParleyError(.conflict, "room_protected", "The main room cannot be deleted.")
            }
            try events.appendRoomDeleted(roomID: roomID, payload: RoomDeletedEvent(roomId: roomID, by: UserSummary(user)))
            if room.kind == .public { try events.append(EventType.directoryChanged, payload: DirectoryEvent(roomId: roomID, room: nil)) }
            // Its reports go with it; their reporters hear of it first.
            try ReportController.resolveRoomDeleted(c, events, roomID: roomID, by: user.id)
            try Self.remove(c, events, roomID: roomID)
        }
    }

    /// The end of a room's deletion (by its owner or a site admin), after `room.deleted`: its files
    /// are unshared, and what its members keep in lists that span rooms (drafts, scheduled messages,
    /// reminders about its messages) goes with it, their clients told; the rest goes by foreign key.
    static func remove(_ c: MariaDBConnection, _ events: EventAppender, roomID: Int64) throws {
        try FileStore.unshareAll(c, roomID: roomID)
        try ScheduledMessages.removeAll(c, events, roomID: roomID)
        try DraftController.removeAll(c, events, roomID: roomID)
        try Reminders.removeAll(c, events, where: "m.room_id = ?", [roomID])
        try c.execute("DELETE FROM rooms WHERE id = ?", [roomID])
    }

    /// [archiveRoom, unarchiveRoom] Archives a room or group (owners and admins), or brings it back.
    /// An archived room is read-only: its members read, search and leave it, and messages may still
    /// be deleted, but nothing is posted, edited, reacted to, voted on or pinned, its settings stay
    /// as they are, and nobody joins or is added. It leaves the public directory. The same again
    /// changes nothing. Refusals start before the archive commits (a post checked meanwhile is
    /// refused a moment early) and end once the unarchive has (`changingFlag`).
    func setArchived(user: User, roomID: Int64, archived: Bool) async throws -> RoomView {
        try await changingFlag(store.archived, roomID: roomID, isOn: { $0.archivedAt != nil }, stored: "archived_at IS NOT NULL") { flag in
            try await applyArchived(user: user, roomID: roomID, archived: archived, flag: flag)
        }
    }

    private func applyArchived(user: User, roomID: Int64, archived: Bool, flag: FlagChange) async throws -> RoomView {
        let store = self.store
        return try await log.transaction { c, events in
            let (room, role) = try Self.access(store, c, roomID: roomID, userID: user.id, forUpdate: true)
            flag.held()
            guard let role else { throw Self.notAMember }
            guard room.kind != .dm else {
                throw ParleyError(.conflict, "no_archive_in_dms", "A DM is not archived; close it instead (PUT /api/rooms/{room}/closed).")
            }
            guard role >= .admin else { throw Self.forbidden("Only the room's owner and admins archive it.") }
            guard roomID != RoomStore.mainRoomID else { throw ParleyError(.conflict, "room_protected", "The main room cannot be archived.") }
            guard (room.archivedAt != nil) != archived else { return try store.view(c, room: room, viewer: user.id) }
            if archived { flag.turnOn() }
            try c.execute("UPDATE rooms SET archived_at = \(archived ? "NOW(3)" : "NULL") WHERE id = ?", [roomID])
            try ModerationService.record(c, room: roomID, actor: user.id, action: archived ? "archive" : "unarchive")
            let updated = try store.room(c, id: roomID)!
            try events.append(EventType.roomUpdated, roomID: roomID, payload: RoomEvent(room: updated.view(role: nil)))
            if updated.kind == .public {
                try events.append(
                    EventType.directoryChanged, payload: DirectoryEvent(roomId: roomID, room: archived ? nil : updated.view(role: nil)))
            }
            return try store.view(c, room: updated, viewer: user.id)
        }
    }

    /// Whether the room has a password [hasPassword].
    func hasPassword(user: User, roomID: Int64) async throws -> Bool {
        let store = self.store
        return try await store.pool.withConnection { c in
            try Self.access(store, c, roomID: roomID, userID: user.id).0.passwordHash != nil
        }
    }

    /// Joins a public room, checking its password if it has one [joinRoom, checkPassword].
    func join(user: User, roomID: Int64, password: String?) async throws -> RoomView {
        // A password set, changed or removed while the password was checked: checked again against
        // the new one (a join never lets in with a password, or without one, that the room no
        // longer has).
        for _ in 1...3 {
            do { return try await joinOnce(user: user, roomID: roomID, password: password) } catch is PasswordChanged { continue }
        }
        throw ParleyError(.forbidden, "wrong_password", "The room's password changed while you joined: ask for the new one.")
    }

    private struct PasswordChanged: Error {}

    private func joinOnce(user: User, roomID: Int64, password: String?) async throws -> RoomView {
        let store = self.store
        let room = try await store.pool.withConnection { c in try Self.access(store, c, roomID: roomID, userID: user.id) }
        if room.1 != nil { return try await get(user: user, roomID: roomID) }
        guard room.0.kind == .public else { throw Self.forbidden("This room is invite-only.") }
        guard room.0.archivedAt == nil else { throw RoomStore.archivedError }
        if try await store.pool.withConnection({ c in try ModerationService.isBanned(c, roomID: roomID, userID: user.id) }) {
            throw ModerationService.banned
        }
        if let hash = room.0.passwordHash {
            guard let password else { throw ParleyError(.forbidden, "password_required", "This room has a password.") }
            try passwordLimiter.consume("\(user.id):\(roomID)")
            guard password.utf8.count <= PasswordHasher.maxPasswordBytes, try await hasher.verify(password, against: hash) else {
                throw ParleyError(.forbidden, "wrong_password", "Wrong room password.")
            }
        }
        let checked = room.0.passwordHash
        return try await log.transaction { c, events in
            let (room, role) = try Self.access(store, c, roomID: roomID, userID: user.id, forUpdate: true)
            if role == nil {
                guard room.archivedAt == nil else { throw RoomStore.archivedError }
                // Again under the room's lock, which a ban takes too: one made while the password
                // was checked counts.
                guard try !ModerationService.isBanned(c, roomID: roomID, userID: user.id) else { throw ModerationService.banned }
                // So does a password change (which holds the room's row too).
                guard room.passwordHash == checked else { throw PasswordChanged() }
                try store.insertMember(
                    c, events, roomID: roomID, userID: user.id, role: .member, announce: EventType.memberJoined,
                    payload: MemberEvent(roomId: roomID, user: UserSummary(user), role: .member, by: nil))
                // A room left with its deactivated owner and nobody to take it is theirs now.
                try Self.handOverIfOwnerDeactivated(c, events, roomID: roomID, actor: nil)
            }
            return try store.view(c, room: try store.room(c, id: room.id)!, viewer: user.id)
        }
    }

    /// Leaves a room. The owner hands ownership over first; DMs cannot be left.
    func leave(user: User, roomID: Int64) async throws {
        let store = self.store
        try await log.transaction { c, events in
            let (room, role) = try Self.access(store, c, roomID: roomID, userID: user.id, forUpdate: true)
            guard let role else { throw Self.notAMember }
            guard room.kind != .dm else { throw ParleyError(.conflict, "cannot_leave_dm", "A DM cannot be left.") }
            guard role != .owner else {
                throw ParleyError(.conflict, "owner_cannot_leave", "Hand ownership to another member (or delete the room) before leaving.")
            }
            try typing.ended(events, roomID: roomID, user: UserSummary(user))
            presence.stopReading(user.id, room: roomID)
            try events.append(
                EventType.memberLeft, roomID: roomID, subjectID: user.id,
                payload: MemberEvent(roomId: roomID, user: UserSummary(user), role: role, by: nil))
            _ = try store.deleteMember(c, roomID: roomID, userID: user.id)
        }
    }

    /// A mark of one member's own on a room (a star, a closed DM): which room.
    struct RoomMarkEvent: Encodable {
        let roomId: Int64
    }

    /// [star, unstar] Stars one of the user's rooms (their clients list it first) or takes the star
    /// back; the same again changes nothing. Only their own clients hear of it.
    func setStarred(user: User, roomID: Int64, starred: Bool) async throws {
        let store = self.store
        try await log.transaction { c, events in
            let (_, role) = try Self.access(store, c, roomID: roomID, userID: user.id)
            guard role != nil else { throw Self.notAMember }
            let change =
                starred
                ? "UPDATE room_members FORCE INDEX (PRIMARY) SET starred_at = NOW(3) WHERE room_id = ? AND user_id = ? AND starred_at IS NULL"
                : "UPDATE room_members FORCE INDEX (PRIMARY) SET starred_at = NULL WHERE room_id = ? AND user_id = ? AND starred_at IS NOT NULL"
            guard try c.execute(change, [roomID, user.id]).affectedRows == 1 else { return }
            try events.append(starred ? EventType.roomStarred : EventType.roomUnstarred, userID: user.id, payload: RoomMarkEvent(roomId: roomID))
        }
    }

    /// [closeConversation, reopenConversation] Closes a DM in the user's list until a newer message
    /// arrives (as Slack's "Close conversation"), or opens it again; the same again changes nothing.
    /// Only their own clients hear of it. Other rooms are left, not closed (409 `not_a_dm`).
    func setClosed(user: User, roomID: Int64, closed: Bool) async throws {
        let store = self.store
        // Settled: the DM is closed up to the messages before `room.closed` in the log. Up to the
        // newest one committed, a message that had its id but committed a moment later came before
        // the event and was left out of the mark: clients hid the DM, which the server counted as
        // open (a hunt, 11 of 40 races).
        try await log.transaction(settled: closed) { c, events in
            let (room, role) = try Self.access(store, c, roomID: roomID, userID: user.id)
            guard role != nil else { throw Self.notAMember }
            guard room.kind == .dm else { throw ParleyError(.conflict, "not_a_dm", "Only a DM is closed; leave a room or group instead.") }
            let change =
                closed
                ? """
                UPDATE room_members FORCE INDEX (PRIMARY) SET closed_up_to = (SELECT COALESCE(MAX(id), 0) FROM messages WHERE room_id = ? AND id < ?)
                WHERE room_id = ? AND user_id = ?
                """
                : "UPDATE room_members FORCE INDEX (PRIMARY) SET closed_up_to = NULL WHERE room_id = ? AND user_id = ? AND closed_up_to IS NOT NULL"
            let parameters: [Int64] = closed ? [roomID, events.settledID ?? .max, roomID, user.id] : [roomID, user.id]
            guard try c.execute(change, parameters).affectedRows == 1 else { return }
            try events.append(
                closed ? EventType.roomClosed : EventType.roomReopened, userID: user.id, payload: RoomMarkEvent(roomId: roomID),
                id: closed ? events.settledID : nil)
        }
    }

    /// The members with their roles and whether they are online.
    func members(user: User, roomID: Int64) async throws -> [MemberView] {
        let store = self.store
        _ = try await store.pool.withConnection { c in try Self.access(store, c, roomID: roomID, userID: user.id) }
        return try await store.members(roomID: roomID).map { Self.memberView($0, presence: presence) }
    }

    /// A member as listed: their chosen presence while they are online, offline otherwise.
    static func memberView(_ member: RoomStore.MemberRow, presence: PresenceTracker) -> MemberView {
        let online = presence.isOnline(member.user.id)
        return MemberView(
            user: member.user, role: member.role, joinedAt: member.joined, presence: online ? member.chosen : "offline", online: online,
            lastSeenAt: member.lastSeen, status: member.status, dndUntil: member.dndUntil, timeZone: member.timeZone,
            deactivated: member.deactivated)
    }

    /// Adds a user to a private group (owners and admins).
    func addMember(actor: User, roomID: Int64, userID: Int64) async throws -> MemberView {
        let store = self.store
        let presence = self.presence
        return try await log.transaction { c, events in
            let (room, role) = try Self.access(store, c, roomID: roomID, userID: actor.id, forUpdate: true)
            guard let role else { throw Self.notAMember }
            guard room.kind == .group else {
                throw ParleyError(.conflict, "not_a_group", "Members are added to private groups; public rooms are joined.")
            }
            guard role >= .admin else { throw Self.forbidden("Only the group's owner and admins add members.") }
            guard room.archivedAt == nil else { throw RoomStore.archivedError }
            guard let target = try store.activeUser(c, id: userID) else { throw ParleyError.notFound("user_not_found", "No user has id \(userID).") }
            guard try store.role(c, roomID: roomID, userID: userID) == nil else {
                throw ParleyError(.conflict, "already_member", "\(target.username) is a member already.")
            }
            guard try !ModerationService.isBanned(c, roomID: roomID, userID: userID) else {
                throw ParleyError(.forbidden, "banned", "\(target.username) is banned from this group; lift the ban first.")
            }
            // Not into a group with someone either of them blocked, as a group DM (they may still
            // come in by an invite link, their own choice).
            try Blocks.check(c, actor.id, userID)
            try store.insertMember(
                c, events, roomID: roomID, userID: userID, role: .member, announce: EventType.memberAdded,
                payload: MemberEvent(roomId: roomID, user: target, role: .member, by: UserSummary(actor)))
            try ModerationService.record(c, room: roomID, actor: actor.id, action: "add_member", user: userID)
            // (The adder is an admin, who was in line before them, unless muted.)
            try Self.handOverIfOwnerDeactivated(c, events, roomID: roomID, actor: nil)
            return Self.memberView(try store.member(c, roomID: roomID, userID: userID)!, presence: presence)
        }
    }

    /// Removes a member from a private group (owners and admins, over lower ranks only).
    func removeMember(actor: User, roomID: Int64, userID: Int64) async throws {
        let store = self.store
        try await log.transaction { c, events in
            let (room, role) = try Self.access(store, c, roomID: roomID, userID: actor.id, forUpdate: true)
            guard let role else { throw Self.notAMember }
            guard room.kind == .group else {
                throw ParleyError(.conflict, "not_a_group", "Members are removed from private groups; in public rooms moderators kick.")
            }
            guard role >= .admin else { throw Self.forbidden("Only the group's owner and admins remove members.") }
            guard let targetRole = try store.role(c, roomID: roomID, userID: userID), let target = try store.user(c, id: userID) else {
                throw ParleyError.notFound("member_not_found", "That user is not a member.")
            }
            guard targetRole < role else { throw Self.forbidden("Nobody acts on a member of equal or higher rank.") }
            try typing.ended(events, roomID: roomID, user: target)
            presence.stopReading(target.id, room: roomID)
            try events.append(
                EventType.memberRemoved, roomID: roomID, subjectID: userID,
                payload: MemberEvent(roomId: roomID, user: target, role: targetRole, by: UserSummary(actor)))
            _ = try store.deleteMember(c, roomID: roomID, userID: userID)
            // In the room's log as a kick is: it is one, in a group (a hunt found it left no trace).
            try ModerationService.record(c, room: roomID, actor: actor.id, action: "remove_member", user: userID)
        }
    }

    struct RoleChangedEvent: Encodable {
        let roomId: Int64
        let user: UserSummary
        let role: RoomRole
        let by: UserSummary
    }

    /// Hands ownership to another member; the old owner becomes an admin.
    func transferOwnership(actor: User, roomID: Int64, to userID: Int64) async throws -> RoomView {
        let store = self.store
        return try await log.transaction { c, events in
            let (room, role) = try Self.access(store, c, roomID: roomID, userID: actor.id, forUpdate: true)
            guard let role else { throw Self.notAMember }
            guard room.kind != .dm else { throw ParleyError(.conflict, "not_a_group", "A DM has no owner.") }
            guard role == .owner else { throw Self.forbidden("Only the owner hands ownership over.") }
            guard userID != actor.id else { throw ParleyError.invalid("invalid_user", "You own the room already.") }
            guard try store.role(c, roomID: roomID, userID: userID) != nil, let target = try store.activeUser(c, id: userID) else {
                throw ParleyError.notFound("member_not_found", "The new owner must be a member whose account is active.")
            }
            // Nobody outranks an owner, so nobody could lift the mute of one (a shared lock: a mute
            // being made now either comes first and refuses this, or waits for it and is refused).
            let muted = try c.query(
                "SELECT 1 FROM room_mutes WHERE room_id = ? AND user_id = ? AND (expires_at IS NULL OR expires_at > NOW(3)) LOCK IN SHARE MODE",
                [roomID, userID])
            guard muted.isEmpty else {
                throw ParleyError(.conflict, "member_muted", "They are muted in this room; unmute them before handing ownership over.")
            }
            try store.setRole(c, roomID: roomID, userID: userID, role: .owner)
            try store.setRole(c, roomID: roomID, userID: actor.id, role: .admin)
            try ModerationService.record(c, room: roomID, actor: actor.id, action: "transfer_ownership", user: userID)
            let by = UserSummary(actor)
            try events.append(EventType.roleChanged, roomID: roomID, payload: RoleChangedEvent(roomId: roomID, user: target, role: .owner, by: by))
            try events.append(EventType.roleChanged, roomID: roomID, payload: RoleChangedEvent(roomId: roomID, user: by, role: .admin, by: by))
            return try store.view(c, room: room, viewer: actor.id)
        }
    }

    /// The rooms and groups a deactivated account owned go to the next in line, so that none is
    /// left with nobody to manage it (nobody outranks an owner, and only the owner deletes a room,
    /// hands it over or appoints admins): the longest-standing active admin, else moderator, else
    /// member, who is not muted there. The old owner stays a member as an admin (a reactivated
    /// account does not get the room back). With nobody to take it, the room keeps its deactivated
    /// owner (until a mute there ends: `handOverIfOwnerDeactivated`) and a site admin may delete it.
    /// Inside the deactivation's transaction; `actor` did it.
    static func handOverRooms(_ c: MariaDBConnection, _ events: EventAppender, of userID: Int64, by actor: Int64) throws {
        let owned = try c.query(
            "SELECT m.room_id FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ? AND m.role = 'owner' AND r.kind <> 'dm' ORDER BY m.room_id",
            [userID])
        guard !owned.isEmpty else { return }
        let summary = "SELECT id, username, display_name, avatar FROM users WHERE id = ?"
        let by = try UserSummary(row: c.query(summary, [actor])[0])
        let old = try UserSummary(row: c.query(summary, [userID])[0])
        for row in owned {
            try handOver(c, events, roomID: try row.decode("room_id"), from: old, by: by, actor: actor)
        }
    }

    /// A room whose owner's account is deactivated goes to the next in line, if there is one now (as
    /// `handOverRooms`): after a mute there ended (with everyone else muted at the deactivation, the
    /// room had stayed with nobody to manage it after the mutes ran out, a hunt), and when someone
    /// joins, is added, comes in by an invite link or is reactivated (a room with nobody else at the
    /// deactivation stayed the deactivated owner's for good, a hunt). `actor` lifted the mute (nil:
    /// it expired, or someone came; the hand-over is then the old owner's).
    static func handOverIfOwnerDeactivated(_ c: MariaDBConnection, _ events: EventAppender, roomID: Int64, actor: UserSummary?) throws {
        _ = try c.query("SELECT id FROM rooms WHERE id = ? FOR UPDATE", [roomID])
        guard
            let row = try c.query(
                """
                SELECT u.id, u.username, u.display_name, u.avatar FROM room_members m JOIN users u ON u.id = m.user_id
                WHERE m.room_id = ? AND m.role = 'owner' AND u.deactivated_at IS NOT NULL
                """, [roomID]
            ).first
        else { return }
        let old = try UserSummary(row: row)
        try handOver(c, events, roomID: roomID, from: old, by: actor ?? old, actor: actor?.id)
    }

    /// The rooms `userID` is in whose owner is deactivated go to the next in line, now that
    /// `userID` is there to take them (a reactivation): such a room had stayed with its deactivated
    /// owner for good, with nobody to manage it (a hunt).
    static func handOverRoomsWaiting(_ c: MariaDBConnection, _ events: EventAppender, for userID: Int64) throws {
        let waiting = try c.query(
            """
            SELECT m.room_id FROM room_members m JOIN rooms r ON r.id = m.room_id AND r.kind <> 'dm'
            JOIN room_members o ON o.room_id = m.room_id AND o.role = 'owner' JOIN users u ON u.id = o.user_id AND u.deactivated_at IS NOT NULL
            WHERE m.user_id = ? ORDER BY m.room_id
            """, [userID])
        for row in waiting {
            try handOverIfOwnerDeactivated(c, events, roomID: try row.decode("room_id"), actor: nil)
        }
    }

    /// Hands one room from its deactivated owner `old` to the next in line, if any (see `handOverRooms`).
    private static func handOver(
        _ c: MariaDBConnection, _ events: EventAppender, roomID: Int64, from old: UserSummary, by: UserSummary, actor: Int64?
    ) throws {
        let userID = old.id
        // The room's lock first, as moderation and hand-overs take it; then its owner again.
        _ = try c.query("SELECT id FROM rooms WHERE id = ? FOR UPDATE", [roomID])
        guard try !c.query("SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ? AND role = 'owner'", [roomID, userID]).isEmpty else {
            return
        }
        let next = try c.query(
            """
            SELECT u.id, u.username, u.display_name, u.avatar FROM room_members m JOIN users u ON u.id = m.user_id
            WHERE m.room_id = ? AND m.user_id <> ? AND u.deactivated_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM room_mutes x WHERE x.room_id = m.room_id AND x.user_id = m.user_id
                              AND (x.expires_at IS NULL OR x.expires_at > NOW(3)))
            ORDER BY FIELD(m.role, 'admin', 'moderator', 'member'), m.joined_at, m.user_id
            LIMIT 1 LOCK IN SHARE MODE
            """, [roomID, userID]
        ).first
        guard let next else { return }
        let heir = try UserSummary(row: next)
        try c.execute("UPDATE room_members FORCE INDEX (PRIMARY) SET role = 'owner' WHERE room_id = ? AND user_id = ?", [roomID, heir.id])
        try c.execute("UPDATE room_members FORCE INDEX (PRIMARY) SET role = 'admin' WHERE room_id = ? AND user_id = ?", [roomID, userID])
        try ModerationService.record(
            c, room: roomID, actor: actor, action: "transfer_ownership", user: heir.id, reason: "the owner's account was deactivated")
        try events.append(EventType.roleChanged, roomID: roomID, payload: RoleChangedEvent(roomId: roomID, user: heir, role: .owner, by: by))
        try events.append(EventType.roleChanged, roomID: roomID, payload: RoleChangedEvent(roomId: roomID, user: old, role: .admin, by: by))
    }

    /// The most people a group DM has besides the one who opens it (nine in all, as Mattermost's
    /// group messages; a bigger conversation is a private group).
    static let maxDMOthers = 8

    /// Opens (or finds) the DM between the user and `others` (one person, or up to eight for a
    /// group DM): the same room for the same people, whoever opens it.
    func openDM(user: User, with others: [Int64]) async throws -> (RoomView, created: Bool) {
        guard !others.isEmpty, others.count <= Self.maxDMOthers, Set(others).count == others.count, !others.contains(user.id) else {
            throw ParleyError.invalid(
                "invalid_user", "A DM is with 1 to \(Self.maxDMOthers) other people, each named once, not including yourself.")
        }
        let everyone = (others + [user.id]).sorted()
        let key = everyone.map(String.init).joined(separator: ":")
        let store = self.store
        /// The DM of these people, read in one snapshot; nil if there is none (a site admin may
        /// delete one at any moment).
        @Sendable func existing(_ c: MariaDBConnection) throws -> RoomView? {
            guard let row = try c.query("SELECT id FROM rooms WHERE dm_key = ?", [key]).first,
                let room = try store.room(c, id: try row.decode("id"))
            else { return nil }
            return try store.view(c, room: room, viewer: user.id)
        }
        // A DM created by someone else at the same moment is found on the next turn; one deleted
        // just after it was found opens anew.
        for _ in 0..<3 {
            if let found = try await store.pool.transaction(existing) { return (found, false) }
            do {
                let room = try await log.transaction { c, events in
                    var people: [UserSummary] = []
                    for otherID in others {
                        guard let other = try store.activeUser(c, id: otherID) else {
                            throw ParleyError.notFound("user_not_found", "No user has id \(otherID).")
                        }
                        // A DM that exists stays readable; a new one does not open between the opener
                        // and anyone either of them blocked.
                        try Blocks.check(c, user.id, otherID)
                        people.append(other)
                    }
                    let me = UserSummary(user)
                    let id = try store.insertRoom(c, kind: .dm, name: "", topic: "", passwordHash: nil, dmKey: key, creator: user.id)
                    try store.insertMember(
                        c, events, roomID: id, userID: user.id, role: .member, announce: EventType.memberJoined,
                        payload: MemberEvent(roomId: id, user: me, role: .member, by: nil))
                    for other in people {
                        try store.insertMember(
                            c, events, roomID: id, userID: other.id, role: .member, announce: EventType.memberAdded,
                            payload: MemberEvent(roomId: id, user: other, role: .member, by: me))
                    }
                    let room = try store.room(c, id: id)!
                    try events.append(EventType.dmOpened, roomID: id, payload: DMOpenedEvent(room: room.view(role: nil), members: [me] + people))
                    // Named as every later answer names it (the others in the database's order of names).
                    return try store.view(c, room: room, viewer: user.id)
                }
                return (room, true)
            } catch let error as MariaDBError where error.isDuplicateKey {
                // Both opened it at once: the other request created it.
                continue
            }
        }
        throw ParleyError.unavailable
    }

    /// Adds a new account to `main`, inside its registration transaction.
    static func joinMain(_ store: RoomStore, _ c: MariaDBConnection, _ events: EventAppender, user: User) throws {
        try store.insertMember(
            c, events, roomID: RoomStore.mainRoomID, userID: user.id, role: .member, announce: EventType.memberJoined,
            payload: MemberEvent(roomId: RoomStore.mainRoomID, user: UserSummary(user), role: .member, by: nil))
    }
}
