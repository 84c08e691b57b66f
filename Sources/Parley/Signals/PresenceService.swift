import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// A user's presence as others see it.
public enum PresenceStatus: String, Codable, Sendable {
    case online, away, busy, offline
}

/// Which users this process holds event connections for, and when each last polled. A user is
/// online while a connection is open or they polled within `grace`. The room a user is reading is
/// remembered per session (a device): it counts while that session has a connection open or had
/// one within `grace`, and ends with the session. (It was one per account and outlived the device
/// that set it: a desktop that logged out or crashed while showing a room kept the phone from being
/// notified of mentions there.) So is the status each device reports of itself (a tab shown is
/// online, hidden away): the account's automatic status is the best of those of its devices still
/// there, so a hidden tab or a phone in a pocket does not make someone at their desk "away" (it did:
/// the last report won, a hunt).
final class PresenceTracker: Sendable {
    private struct Device {
        var connections = 0
        var lastActivity: ContinuousClock.Instant
        var focusedRoom: Int64?
        /// What the device last reported of itself (nil: nothing yet; it then counts for nothing).
        var report: PresenceStatus?
    }

    private struct Entry {
        var connections = 0
        var lastActivity: ContinuousClock.Instant
        var published = false
        var devices: [Int64: Device] = [:]
        /// The automatic status last given out for the account (written to `users.presence`).
        var automatic: PresenceStatus?
    }

    let grace: Duration
    private let entries = NIOLockedValueBox<[Int64: Entry]>([:])

    init(grace: Duration) { self.grace = grace }

    /// A connection of `session` opened; true when the user was not online before (announce it).
    func connected(_ user: Int64, session: Int64, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLockedValue { entries in
            var entry = entries[user] ?? Entry(lastActivity: now)
            entry.connections += 1
            entry.lastActivity = now
            entry.devices[session, default: Device(lastActivity: now)].connections += 1
            entry.devices[session]?.lastActivity = now
            let announce = !entry.published
            entry.published = true
            entries[user] = entry
            return announce
        }
    }

    /// A connection of `session` closed (the user stays online for `grace`).
    func disconnected(_ user: Int64, session: Int64, now: ContinuousClock.Instant = .now) {
        entries.withLockedValue { entries in
            guard var entry = entries[user] else { return }
            entry.connections = max(0, entry.connections - 1)
            entry.lastActivity = now
            if var device = entry.devices[session] {
                device.connections = max(0, device.connections - 1)
                device.lastActivity = now
                entry.devices[session] = device
            }
            entries[user] = entry
        }
    }

    /// Forgets a user whose every session ended (logged out everywhere, deactivated): no grace, as
    /// no connection of theirs can come back. True when they were online (announce it).
    func forget(_ user: Int64) -> Bool {
        entries.withLockedValue { entries in entries.removeValue(forKey: user)?.published ?? false }
    }

    /// One session ended (logged out, revoked): the room it was reading no longer counts, and when
    /// no other device of the user is there (a connection open, or one within `grace`) the user is
    /// forgotten at once, as `forget(_:)` does: true when they were online (announce it). (They
    /// stayed online for the grace after logging out of their last device, as after a dropped
    /// connection that may come back; a logged-out one does not.)
    func forget(_ user: Int64, session: Int64, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLockedValue { entries in
            guard var entry = entries[user] else { return false }
            entry.devices[session] = nil
            let present = entry.devices.values.contains { $0.connections > 0 || now - $0.lastActivity < grace }
            guard present else { return entries.removeValue(forKey: user)?.published ?? false }
            entries[user] = entry
            return false
        }
    }

    /// Every session of a user but `keeping` ended (a password change): only its focus and its
    /// report count.
    func forget(_ user: Int64, exceptSession keeping: Int64) {
        entries.withLockedValue { entries in
            guard var entry = entries[user] else { return }
            entry.devices = entry.devices.filter { $0.key == keeping }
            entries[user] = entry
        }
    }

    /// A device's report of itself (`online`, `away` or `busy`). Returns the account's automatic
    /// status when it is not the one last given out (the caller writes it), else nil.
    func report(_ user: Int64, session: Int64, status: PresenceStatus, now: ContinuousClock.Instant = .now) -> PresenceStatus? {
        entries.withLockedValue { entries in
            var entry = entries[user] ?? Entry(lastActivity: now)
            Self.touch(&entry, session: session, now: now) { $0.report = status }
            let combined = combined(entry, now: now) ?? status
            defer { entries[user] = entry }
            guard combined != entry.automatic else { return nil }
            entry.automatic = combined
            return combined
        }
    }

    /// The account's automatic status as its devices still there report it, if any does.
    func automatic(_ user: Int64, now: ContinuousClock.Instant = .now) -> PresenceStatus? {
        entries.withLockedValue { entries in
            guard var entry = entries[user], let combined = combined(entry, now: now) else { return nil }
            entry.automatic = combined
            entries[user] = entry
            return combined
        }
    }

    /// Devices drop out (their session ended, or their grace ran out): the users whose automatic
    /// status changed with it, and to what.
    func recombined(_ users: [Int64]? = nil, now: ContinuousClock.Instant = .now) -> [(Int64, PresenceStatus)] {
        entries.withLockedValue { entries in
            var changed: [(Int64, PresenceStatus)] = []
            for user in users ?? Array(entries.keys) {
                guard var entry = entries[user], entry.automatic != nil, let combined = combined(entry, now: now), combined != entry.automatic else { continue }
                entry.automatic = combined
                entries[user] = entry
                changed.append((user, combined))
            }
            return changed
        }
    }

    /// Online when a device still there (a connection open, or one within `grace`) reports online;
    /// else busy when one reports busy; else away; nil when none of them has reported.
    private func combined(_ entry: Entry, now: ContinuousClock.Instant) -> PresenceStatus? {
        var best: PresenceStatus?
        for device in entry.devices.values where device.connections > 0 || now - device.lastActivity < grace {
            switch device.report {
            case .online?: return .online
            case .busy?: best = .busy
            case .away? where best == nil: best = .away
            default: break
            }
        }
        return best
    }

    func isOnline(_ user: Int64) -> Bool { entries.withLockedValue { $0[user]?.published ?? false } }

    func setFocus(_ user: Int64, session: Int64, room: Int64?, now: ContinuousClock.Instant = .now) {
        entries.withLockedValue { entries in
            var entry = entries[user] ?? Entry(lastActivity: now)
            Self.touch(&entry, session: session, now: now) { $0.focusedRoom = room }
            entries[user] = entry
        }
    }

    /// The session's device (new if it had none) changed by `change` and active at `now`.
    private static func touch(_ entry: inout Entry, session: Int64, now: ContinuousClock.Instant, _ change: (inout Device) -> Void) {
        var device = entry.devices[session] ?? Device(lastActivity: now)
        change(&device)
        device.lastActivity = max(device.lastActivity, now)
        entry.devices[session] = device
    }

    /// The user is no longer in `room` (left, removed, kicked, banned): no device of theirs reads it
    /// any more. A device that had it open kept "reading" it, and once they were back in the room
    /// (another device rejoined) its mentions notified nobody until that session ended (a hunt).
    func stopReading(_ user: Int64, room: Int64) {
        entries.withLockedValue { entries in
            guard var entry = entries[user] else { return }
            for (session, device) in entry.devices where device.focusedRoom == room { entry.devices[session]?.focusedRoom = nil }
            entries[user] = entry
        }
    }

    /// Whether the user, online, is reading `room` on a device that is still there: a session that
    /// set it and has a connection open, or had one (or set it) within `grace`.
    func isReading(_ user: Int64, room: Int64, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLockedValue { entries in
            guard let entry = entries[user], entry.published else { return false }
            return entry.devices.values.contains { device in
                device.focusedRoom == room && (device.connections > 0 || now - device.lastActivity < grace)
            }
        }
    }

    /// Users whose last connection closed more than `grace` ago, with how long ago that was (their
    /// "last seen"); they are forgotten and must be announced offline.
    func sweep(now: ContinuousClock.Instant = .now) -> [(user: Int64, lastSeenAgo: Duration)] {
        entries.withLockedValue { entries in
            let gone = entries.filter { $0.value.connections == 0 && now - $0.value.lastActivity >= grace }
            for user in gone.keys { entries[user] = nil }
            return gone.filter(\.value.published).map { (user: $0.key, lastSeenAgo: now - $0.value.lastActivity) }
        }
    }
}

/// Presence: online/away/busy/offline, last seen, and `presence` events to everyone who shares a room.
struct PresenceService: Sendable {
    let log: EventLog
    let pool: MariaDBPool
    let tracker: PresenceTracker

    struct PresenceEvent: Encodable {
        let user: UserSummary
        let status: PresenceStatus
        let lastSeenAt: Date?

        enum CodingKeys: String, CodingKey { case user, status, lastSeenAt }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(user, forKey: .user)
            try c.encode(status, forKey: .status)
            try c.encode(lastSeenAt, forKey: .lastSeenAt)
        }
    }

    /// The status a user chose (online, away or busy).
    static func chosen(_ c: MariaDBConnection, userID: Int64) throws -> (UserSummary, PresenceStatus, Date?)? {
        guard let row = try c.query("SELECT id, username, display_name, avatar, presence, last_seen_at FROM users WHERE id = ?", [userID]).first else {
            return nil
        }
        return (try UserSummary(row: row), PresenceStatus(rawValue: try row.decode("presence")) ?? .online, try row.decode("last_seen_at"))
    }

    /// An event connection of a session opened (SSE stream or long-poll).
    func connected(_ userID: Int64, session: Int64) async {
        guard tracker.connected(userID, session: session) else { return }
        try? await announce(userID, online: true)
    }

    /// A connection opened, from code that cannot wait: announces the user online in the background
    /// when this connection brings them online.
    func connectedNow(_ userID: Int64, session: Int64) {
        guard tracker.connected(userID, session: session) else { return }
        Task { try? await announce(userID, online: true) }
    }

    func disconnected(_ userID: Int64, session: Int64) {
        tracker.disconnected(userID, session: session)
    }

    /// Every session of the user ended: they are offline at once, not after the grace.
    func ended(_ userID: Int64) async {
        guard tracker.forget(userID) else { return }
        try? await announce(userID, online: false)
    }

    /// One session of the user ended: offline at once if it was their last device there; else
    /// their automatic status is that of the devices left.
    func ended(_ userID: Int64, session: Int64) async {
        guard tracker.forget(userID, session: session) else {
            for (user, status) in tracker.recombined([userID]) { try? await setAutomatic(user, status) }
            return
        }
        try? await announce(userID, online: false)
    }

    /// Writes an automatic status (unless the person chose one) and announces it if it changed.
    private func setAutomatic(_ userID: Int64, _ status: PresenceStatus) async throws {
        let changed = try await pool.execute(
            "UPDATE users SET presence = ? WHERE id = ? AND presence_choice IS NULL", [status.rawValue, userID]
        ).affectedRows > 0
        if changed, tracker.isOnline(userID) { try await announce(userID, online: true) }
    }

    /// Writes the effective status as a presence event (and last seen, when going offline: now, or
    /// `lastSeenAgo` before now when the grace after their last connection ran out, so that "last
    /// seen" is when they left rather than a grace later).
    func announce(_ userID: Int64, online: Bool, lastSeenAgo: Duration = .zero) async throws {
        try await log.transaction { c, events in
            if !online {
                let micros = lastSeenAgo.components.seconds * 1_000_000 + lastSeenAgo.components.attoseconds / 1_000_000_000_000
                try c.execute("UPDATE users SET last_seen_at = NOW(3) - INTERVAL ? MICROSECOND WHERE id = ?", [max(0, micros), userID])
            }
            guard let (user, chosen, lastSeen) = try Self.chosen(c, userID: userID) else { return }
            try events.append(
                EventType.presence, subjectID: userID, payload: PresenceEvent(user: user, status: online ? chosen : .offline, lastSeenAt: lastSeen))
        }
    }

    /// [setPresence] Sets the status others see, announced at once if they are online. `chosen`:
    /// the person chose it (`away` or `busy` stands for the account until they choose again;
    /// `online` goes back to automatic), and their other devices hear of it (`presence.chosen`).
    /// Otherwise it is a device's own report (a tab shown or hidden), which a chosen status
    /// overrides: it changes nothing then. The automatic status is the best of the reports of the
    /// user's devices still there (`PresenceTracker.report`).
    func set(userID: Int64, session: Int64, status: PresenceStatus, chosen: Bool = false) async throws {
        guard status != .offline else {
            throw ParleyError.invalid("invalid_status", "Choose online, away or busy; offline follows from having no connection.")
        }
        // The same status again changes nothing and tells nobody (affected rows count changed rows).
        let changed: Bool
        if chosen {
            let choice: String? = status == .online ? nil : status.rawValue
            // Back to automatic: what the devices report, if they did.
            let status = choice == nil ? tracker.automatic(userID) ?? .online : status
            changed = try await log.transaction { c, events in
                let now = try c.execute(
                    "UPDATE users SET presence_choice = ? WHERE id = ? AND NOT presence_choice <=> ?", [choice, userID, choice]
                ).affectedRows > 0
                if now { try events.append(EventType.presenceChosen, userID: userID, payload: ChosenEvent(choice: choice)) }
                return try c.execute("UPDATE users SET presence = ? WHERE id = ?", [status.rawValue, userID]).affectedRows > 0
            }
        } else {
            guard let combined = tracker.report(userID, session: session, status: status) else { return }
            return try await setAutomatic(userID, combined)
        }
        if changed, tracker.isOnline(userID) { try await announce(userID, online: true) }
    }

    /// `presence.chosen`: the status chosen, or null for automatic.
    struct ChosenEvent: Encodable {
        let choice: String?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(["choice": choice])
        }
    }

    /// Announces users who went offline (run every second).
    func sweep() async throws {
        for (user, ago) in tracker.sweep() { try await announce(user, online: false, lastSeenAgo: ago) }
        for (user, status) in tracker.recombined() { try await setAutomatic(user, status) }
    }

    /// Effective statuses for users, from the tracker and their chosen status.
    func statuses(_ rows: [(Int64, String, Date?)]) -> [Int64: (PresenceStatus, Date?)] {
        var result: [Int64: (PresenceStatus, Date?)] = [:]
        for (id, chosen, lastSeen) in rows {
            result[id] = (tracker.isOnline(id) ? PresenceStatus(rawValue: chosen) ?? .online : .offline, lastSeen)
        }
        return result
    }
}
