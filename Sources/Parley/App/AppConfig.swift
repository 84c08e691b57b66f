import Foundation
import Logging

/// Everything the server can be told, with development defaults. Environment names are written out
/// once here; the command line overrides them.
public struct AppConfig: Sendable {
    /// Address to listen on (`PARLEY_HOST`).
    public var host = "127.0.0.1"
    /// Port to listen on (`PARLEY_PORT`); 0 picks a free one.
    public var port = 8080
    /// `mysql://user:pass@host:port/db` (`DATABASE_URL`); when nil, Parley runs its own embedded MariaDB.
    public var databaseURL: String?
    /// Where the embedded database lives (`PARLEY_DATA_DIR`, default `./.parley`; the database is in `db/` below it).
    public var dataDirectory = ".parley"
    /// Directory of the numbered `.sql` migrations (`PARLEY_MIGRATIONS_DIR`); found next to the sources when nil.
    public var migrationsDirectory: String?
    /// Directory of the browser client (`PARLEY_WEB_DIR`); found next to the sources when nil.
    public var webDirectory: String?
    /// Connections in the database pool (`PARLEY_DB_POOL_SIZE`).
    public var databasePoolSize = 16
    /// bcrypt cost for new password hashes (`PARLEY_BCRYPT_COST`, 10–16).
    public var bcryptCost = 12
    /// How long an unused session lives; each use extends it (`PARLEY_SESSION_TTL`, seconds; 30 days).
    public var sessionTTL: Duration = .seconds(30 * 24 * 3600)
    /// Mark the session cookie `Secure` (`PARLEY_SECURE_COOKIES=1`); set it when served over HTTPS.
    public var secureCookies = false
    /// Take the client address from `X-Forwarded-For` (`PARLEY_TRUST_PROXY=1`); only behind a proxy you run.
    public var trustProxy = false
    /// Largest JSON request body in bytes (`PARLEY_MAX_BODY_BYTES`); larger bodies get 413.
    public var maxBodyBytes = 64 * 1024
    /// Largest file upload in bytes (`PARLEY_MAX_UPLOAD_BYTES`, default 25 MiB); larger ones get 413.
    public var maxUploadBytes = 25 * 1024 * 1024
    /// Log level (`PARLEY_LOG_LEVEL`: trace, debug, info, notice, warning, error, critical).
    public var logLevel: Logger.Level = .info
    /// How long the event log keeps events (`PARLEY_EVENT_RETENTION`, seconds; 7 days). Older cursors resync.
    public var eventRetention: Duration = .seconds(7 * 24 * 3600)
    /// How often messages past the site's retention (if it has one) are looked for.
    public var retentionSweep: Duration = .seconds(60)
    /// How often open streams' sessions are checked (`PARLEY_STREAM_SESSION_CHECK`, seconds; 30): a
    /// stream whose session expired, or was ended where no disconnect reached it, ends by then.
    public var streamSessionCheck: Duration = .seconds(30)
    /// Seconds between SSE heartbeat comments (`PARLEY_SSE_HEARTBEAT`, default 15).
    public var heartbeatInterval: Duration = .seconds(15)
    /// How long a connection may sit idle (no request in progress, or a request that stopped
    /// arriving) before it is closed (`PARLEY_IDLE_TIMEOUT`).
    public var idleTimeout: Duration = .seconds(75)
    /// How long a user stays online after their last event connection closed (`PARLEY_PRESENCE_GRACE`, seconds; 60).
    public var presenceGrace: Duration = .seconds(60)
    /// How long a typing indicator shows unless renewed (6 s), and how soon after an accepted start
    /// a renewal in the same place is dropped (3 s). Not settable from the environment: clients
    /// renew on the 3 s the API documents; tests that time several signals in a row lengthen both
    /// so that a loaded machine cannot stretch the row past them.
    public var typingTTL: Duration = .seconds(6)
    public var typingMinRenewal: Duration = .seconds(3)
    /// Recent events kept in memory for replay without a query (`PARLEY_EVENT_WINDOW`).
    public var eventWindow = 10_000
    /// Login attempts per client address (`PARLEY_RATE_LOGIN_IP`, "count/seconds").
    public var loginPerIP = RateLimit(burst: 30, per: .seconds(60))
    /// Login attempts per username (`PARLEY_RATE_LOGIN_USER`).
    public var loginPerUser = RateLimit(burst: 10, per: .seconds(60))
    /// Registrations per client address (`PARLEY_RATE_REGISTER_IP`).
    public var registerPerIP = RateLimit(burst: 10, per: .seconds(3600))
    /// Registration attempts per username (`PARLEY_RATE_REGISTER_USER`).
    public var registerPerUser = RateLimit(burst: 5, per: .seconds(600))

    /// Messages each user may send (`PARLEY_RATE_MESSAGES`, "count/seconds"; a burst of 30, refilled over 10 s).
    public var messagesPerUser = RateLimit(burst: 30, per: .seconds(10))
    /// Rooms each user may create (`PARLEY_RATE_ROOMS`).
    public var roomsPerUser = RateLimit(burst: 10, per: .seconds(3600))
    /// Rooms each user may join (`PARLEY_RATE_JOINS`: joining a public room, with its password, or
    /// by an invite link), so that nobody floods a room's members with joins and leaves.
    public var joinsPerUser = RateLimit(burst: 30, per: .seconds(60))
    /// Typing notices each user may send (`PARLEY_RATE_TYPING`).
    public var typingPerUser = RateLimit(burst: 30, per: .seconds(60))
    /// Draft saves each user may make (`PARLEY_RATE_DRAFTS`); clients save at most once a second.
    public var draftsPerUser = RateLimit(burst: 60, per: .seconds(60))
    /// Data exports each user may download (each reads everything they ever sent).
    public var exportsPerUser = RateLimit(burst: 5, per: .seconds(3600))
    /// Messages each user may report (`PARLEY_RATE_REPORTS`).
    public var reportsPerUser = RateLimit(burst: 20, per: .seconds(3600))
    /// Words refused or masked in every room (`PARLEY_WORD_FILTER`, comma-separated).
    public var wordFilter: [String] = []
    /// What the site-wide filter does (`PARLEY_WORD_FILTER_MODE`: reject or mask).
    public var wordFilterMode: FilterMode = .reject
    /// Where link previews are fetched from (`PARLEY_LINK_PREVIEWS`: public, any or off).
    public var linkPreviews: LinkPreviewPolicy = .public

    public init() {}

    /// Reads the configuration from environment variables, starting from the defaults.
    public init(environment: [String: String]) throws {
        self.init()
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text), range.contains(number) else {
                throw ConfigError("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), got \(text)")
            }
            return number
        }
        func flag(_ name: String) throws -> Bool? {
            guard let text = value(name)?.lowercased() else { return nil }
            switch text {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw ConfigError("\(name) must be 1 or 0, got \(text)")
            }
        }
        func rate(_ name: String) throws -> RateLimit? {
            guard let text = value(name) else { return nil }
            guard let limit = RateLimit(text) else { throw ConfigError("\(name) must look like 10/60 (count/seconds), got \(text)") }
            return limit
        }
        host = value("PARLEY_HOST") ?? host
        port = try integer("PARLEY_PORT", 0...65535) ?? port
        databaseURL = value("DATABASE_URL")
        dataDirectory = value("PARLEY_DATA_DIR") ?? dataDirectory
        migrationsDirectory = value("PARLEY_MIGRATIONS_DIR")
        webDirectory = value("PARLEY_WEB_DIR")
        databasePoolSize = try integer("PARLEY_DB_POOL_SIZE", 1...512) ?? databasePoolSize
        bcryptCost = try integer("PARLEY_BCRYPT_COST", 10...16) ?? bcryptCost
        if let seconds = try integer("PARLEY_SESSION_TTL", 60...(10 * 365 * 24 * 3600)) { sessionTTL = .seconds(seconds) }
        secureCookies = try flag("PARLEY_SECURE_COOKIES") ?? secureCookies
        trustProxy = try flag("PARLEY_TRUST_PROXY") ?? trustProxy
        maxBodyBytes = try integer("PARLEY_MAX_BODY_BYTES", 1024...(64 * 1024 * 1024)) ?? maxBodyBytes
        maxUploadBytes = try integer("PARLEY_MAX_UPLOAD_BYTES", 1...(4 * 1024 * 1024 * 1024)) ?? maxUploadBytes
        if let level = value("PARLEY_LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else { throw ConfigError("PARLEY_LOG_LEVEL: unknown level \(level)") }
            logLevel = parsed
        }
        if let seconds = try integer("PARLEY_EVENT_RETENTION", 60...(365 * 24 * 3600)) { eventRetention = .seconds(seconds) }
        if let seconds = try integer("PARLEY_RETENTION_SWEEP", 1...3600) { retentionSweep = .seconds(seconds) }
        if let seconds = try integer("PARLEY_STREAM_SESSION_CHECK", 1...3600) { streamSessionCheck = .seconds(seconds) }
        if let seconds = try integer("PARLEY_SSE_HEARTBEAT", 1...300) { heartbeatInterval = .seconds(seconds) }
        if let seconds = try integer("PARLEY_IDLE_TIMEOUT", 1...3600) { idleTimeout = .seconds(seconds) }
        eventWindow = try integer("PARLEY_EVENT_WINDOW", 100...10_000_000) ?? eventWindow
        if let seconds = try integer("PARLEY_PRESENCE_GRACE", 1...3600) { presenceGrace = .seconds(seconds) }
        loginPerIP = try rate("PARLEY_RATE_LOGIN_IP") ?? loginPerIP
        loginPerUser = try rate("PARLEY_RATE_LOGIN_USER") ?? loginPerUser
        registerPerIP = try rate("PARLEY_RATE_REGISTER_IP") ?? registerPerIP
        registerPerUser = try rate("PARLEY_RATE_REGISTER_USER") ?? registerPerUser
        messagesPerUser = try rate("PARLEY_RATE_MESSAGES") ?? messagesPerUser
        roomsPerUser = try rate("PARLEY_RATE_ROOMS") ?? roomsPerUser
        joinsPerUser = try rate("PARLEY_RATE_JOINS") ?? joinsPerUser
        typingPerUser = try rate("PARLEY_RATE_TYPING") ?? typingPerUser
        draftsPerUser = try rate("PARLEY_RATE_DRAFTS") ?? draftsPerUser
        exportsPerUser = try rate("PARLEY_RATE_EXPORTS") ?? exportsPerUser
        reportsPerUser = try rate("PARLEY_RATE_REPORTS") ?? reportsPerUser
        if let words = value("PARLEY_WORD_FILTER") {
            wordFilter = words.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let mode = value("PARLEY_WORD_FILTER_MODE") {
            guard let parsed = FilterMode(rawValue: mode) else { throw ConfigError("PARLEY_WORD_FILTER_MODE is reject or mask, got \(mode)") }
            wordFilterMode = parsed
        }
        if let policy = value("PARLEY_LINK_PREVIEWS") {
            guard let parsed = LinkPreviewPolicy(rawValue: policy) else {
                throw ConfigError("PARLEY_LINK_PREVIEWS is public, any or off, got \(policy)")
            }
            linkPreviews = parsed
        }
    }
}

/// A configuration value that cannot be used, with a message naming it.
public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A token-bucket limit: `burst` requests at once, refilled evenly over `per`.
public struct RateLimit: Sendable, Equatable {
    public var burst: Int
    public var per: Duration

    public init(burst: Int, per: Duration) {
        self.burst = burst
        self.per = per
    }

    /// Parses "count/seconds", e.g. "10/60".
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), let seconds = Int(parts[1]), count > 0, seconds > 0 else { return nil }
        self.init(burst: count, per: .seconds(seconds))
    }
}
