import Crypto
import Foundation
import NIOConcurrencyHelpers

/// A request's authenticated session.
public struct AuthenticatedSession: Sendable {
    public enum Transport: Sendable { case cookie, bearer }
    public let id: Int64
    public let user: User
    public let csrfToken: String
    public let expiresAt: Date
    public let via: Transport
}

/// Issues, resolves and slides sessions: random 256-bit tokens, stored as their SHA-256.
/// Resolved sessions are cached for `SessionCache.freshness` so that busy clients (a long-poll
/// per message) do not cost a query each; every revocation through this service drops the cached
/// entries at once. Another node sees a revocation within that freshness window.
struct SessionService: Sendable {
    static let cookieName = "parley_session"
    let store: SessionStore
    let ttl: Duration
    let cache = SessionCache()
    /// Open event streams end with their session.
    let hub: EventHub
    /// Someone whose every session ended is offline at once.
    let presence: PresenceService
    /// And typing nowhere.
    let typing: TypingService
    /// Expiry slides at most this often per session, so a busy client does not write on every
    /// request: once a minute, or four times per lifetime when that is shorter (a hunt: with a
    /// one-minute lifetime a client busy all along was logged out when it ran out).
    var touchInterval: TimeInterval { min(60, Double(ttl.components.seconds) / 4) }

    /// A new session's token (give it to the client once) and its stored row; nil when the account
    /// no longer has `passwordHash` or was deactivated meanwhile (`SessionStore.create`).
    func create(userID: Int64, passwordHash: String, userAgent: String?, ip: String?) async throws -> (token: String, session: SessionStore.Row)? {
        let token = Self.randomHex(bytes: 32)
        guard
            let row = try await store.create(
                userID: userID, passwordHash: passwordHash, tokenHash: Self.hash(token), csrfToken: Self.randomHex(bytes: 32), ttl: ttl,
                userAgent: userAgent.map { String($0.prefix(255)) }, ip: ip)
        else { return nil }
        return (token, row)
    }

    /// The live session for a token, sliding its expiry; nil for an unknown, malformed or expired token.
    func resolve(token: String, via: AuthenticatedSession.Transport) async throws -> AuthenticatedSession? {
        guard token.utf8.count == 64, token.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
        let hash = Self.hash(token)
        let row: SessionStore.Row
        if let cached = cache.get(hash) {
            row = cached
        } else {
            let asked = ContinuousClock.now
            guard let found = try await store.find(tokenHash: hash) else { return nil }
            row = found
            cache.put(hash, row, lookedUpAt: asked)
        }
        guard row.expiresAt > Date() else {
            cache.drop(sessionID: row.id)
            return nil
        }
        // An access token is for scripts' `Authorization` header; as a cookie it is no session.
        guard !(row.isToken && via == .cookie) else { return nil }
        var expiresAt = row.expiresAt
        if Date().timeIntervalSince(row.lastUsedAt) > touchInterval {
            expiresAt = try await store.touch(sessionID: row.id, ttl: ttl) ?? expiresAt
            cache.drop(sessionID: row.id)
        }
        return AuthenticatedSession(id: row.id, user: row.user, csrfToken: row.csrfToken, expiresAt: expiresAt, via: via)
    }

    /// The session for a token when the cache alone answers (fresh, unexpired, no expiry to slide);
    /// nil otherwise, and then `resolve` decides.
    func resolveCached(token: String, via: AuthenticatedSession.Transport) -> AuthenticatedSession? {
        guard token.utf8.count == 64, let row = cache.get(Self.hash(token)) else { return nil }
        let now = Date()
        guard row.expiresAt > now, now.timeIntervalSince(row.lastUsedAt) <= touchInterval, !(row.isToken && via == .cookie) else { return nil }
        return AuthenticatedSession(id: row.id, user: row.user, csrfToken: row.csrfToken, expiresAt: row.expiresAt, via: via)
    }

    /// Ends one session of a user (with `token` true or false, only an access token or only a login
    /// session); false when it is not theirs or does not exist.
    func delete(sessionID: Int64, userID: Int64, token: Bool? = nil) async throws -> Bool {
        cache.drop(sessionID: sessionID)
        let deleted = try await store.delete(sessionID: sessionID, userID: userID, token: token)
        if deleted {
            // (Dropped again: a lookup that read the row before the delete committed is not cached.)
            cache.drop(sessionID: sessionID)
            hub.disconnect(userID: userID, session: sessionID)
            await presence.ended(userID, session: sessionID)
            endLateStreams { $0.disconnect(userID: userID, session: sessionID) }
        }
        return deleted
    }

    /// A stream that resolved its session just before the revocation committed may register with the
    /// hub just after the disconnect: a second one a moment later ends it (else the periodic check
    /// would, up to its interval later).
    private func endLateStreams(_ disconnect: @escaping @Sendable (EventHub) -> Void) {
        let hub = self.hub
        Task {
            try? await Task.sleep(for: .seconds(1))
            disconnect(hub)
        }
    }

    /// After an account's sessions were all deleted with an event for its streams: forgets them, lets
    /// the event reach the open streams, then ends those; the user is offline at once.
    func endAll(userID: Int64) async {
        cache.drop(userID: userID)
        try? await Task.sleep(for: .milliseconds(50))
        hub.disconnect(userID: userID)
        await presence.ended(userID)
        try? await typing.endedEverywhere(userID: userID)
    }

    /// Ends the streams and waiting polls whose session is no longer live: expired while they were
    /// open (an access token's expiry does not slide, and a stream makes no requests to slide a
    /// login's), or deleted where no disconnect reached them (a revocation racing the stream's own
    /// session lookup, or one made by another server on the same database). Run periodically;
    /// answers how many sessions' listeners it ended.
    @discardableResult
    func endStreamsOfEndedSessions() async throws -> Int {
        let listening = hub.listeningSessions()
        guard !listening.isEmpty else { return 0 }
        let live = try await store.live(among: Array(listening.keys))
        var ended = 0
        for (sessionID, userID) in listening where !live.contains(sessionID) {
            cache.drop(sessionID: sessionID)
            hub.disconnect(userID: userID, session: sessionID)
            ended += 1
        }
        return ended
    }

    /// Forgets cached sessions of a user (after their sessions or profile changed).
    func forget(userID: Int64) { cache.drop(userID: userID) }

    /// After every session of a user but `keeping` was deleted: forgets them and ends their streams.
    func ended(userID: Int64, keeping: Int64) {
        cache.drop(userID: userID)
        hub.disconnect(userID: userID, exceptSession: keeping)
        // The rooms the ended sessions were reading no longer keep notifications away (a hunt: a
        // password change left the old laptop's focus muting mentions for a minute).
        presence.tracker.forget(userID, exceptSession: keeping)
        endLateStreams { $0.disconnect(userID: userID, exceptSession: keeping) }
    }

    /// Whether `text` has the shape of a code from `randomHex(bytes: 16)` (invite and password
    /// reset links): 32 lower-case hex digits.
    static func isCode(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// `count` bytes from the system's random source, as hex: eight bytes per draw (one system
    /// call each), not one.
    static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let hexDigits = Array("0123456789abcdef".utf8)
        var output = [UInt8]()
        output.reserveCapacity(count * 2)
        while output.count < count * 2 {
            var word = generator.next()
            for _ in 0..<min(8, count - output.count / 2) {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Recently resolved sessions, by token hash. A drop also remembers when it happened, for a few
/// seconds: a lookup that began before it may have read the row a revocation was deleting, and is
/// not cached (a hunt: such a lookup put a revoked session back, and for the freshness window it
/// posted and opened event streams after its revocation answered 204).
final class SessionCache: Sendable {
    static let freshness: Duration = .seconds(2)
    /// Longer than any lookup takes.
    static let dropMemory: Duration = .seconds(10)
    private struct Entry {
        let row: SessionStore.Row
        let fetched: ContinuousClock.Instant
    }
    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        var droppedSessions: [Int64: ContinuousClock.Instant] = [:]
        var droppedUsers: [Int64: ContinuousClock.Instant] = [:]
        var pruned = ContinuousClock.now

        mutating func forgetOldDrops(_ now: ContinuousClock.Instant) {
            guard droppedSessions.count + droppedUsers.count > 256, now - pruned > .seconds(1) else { return }
            pruned = now
            droppedSessions = droppedSessions.filter { now - $0.value < SessionCache.dropMemory }
            droppedUsers = droppedUsers.filter { now - $0.value < SessionCache.dropMemory }
        }
    }
    private let state = NIOLockedValueBox(State())

    func get(_ hash: [UInt8]) -> SessionStore.Row? {
        state.withLockedValue { state in
            guard let entry = state.entries[hash], ContinuousClock.now - entry.fetched < Self.freshness else { return nil }
            return entry.row
        }
    }

    /// Caches `row`, read by a lookup that began at `lookedUpAt`, unless its session or user was
    /// dropped since.
    func put(_ hash: [UInt8], _ row: SessionStore.Row, lookedUpAt: ContinuousClock.Instant) {
        state.withLockedValue { state in
            if let dropped = state.droppedSessions[row.id], dropped >= lookedUpAt { return }
            if let dropped = state.droppedUsers[row.user.id], dropped >= lookedUpAt { return }
            if state.entries.count > 50_000 { state.entries.removeAll(keepingCapacity: true) }
            state.entries[hash] = Entry(row: row, fetched: .now)
        }
    }

    func drop(sessionID: Int64) {
        state.withLockedValue { state in
            let now = ContinuousClock.now
            state.forgetOldDrops(now)
            state.droppedSessions[sessionID] = now
            state.entries = state.entries.filter { $0.value.row.id != sessionID }
        }
    }

    func drop(userID: Int64) {
        state.withLockedValue { state in
            let now = ContinuousClock.now
            state.forgetOldDrops(now)
            state.droppedUsers[userID] = now
            state.entries = state.entries.filter { $0.value.row.user.id != userID }
        }
    }
}
