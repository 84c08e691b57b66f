import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import MariaDB
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Wires stores, services, routes and background services into the application. The executable and
/// the tests both start Parley through this one function.
public func buildApplication(config: AppConfig) async throws -> some ApplicationProtocol {
    let parts = try await ApplicationParts.make(config: config)
    let streams = EventStreams(
        sessions: parts.sessions, hub: parts.hub, log: parts.log, presence: parts.presence,
        onDelivered: { [receipts = parts.receipts] user, events in receipts.delivered(userID: user, events: events) }, logger: parts.logger,
        idleTimeout: .nanoseconds(Int64(config.idleTimeout.components.seconds) * 1_000_000_000 + config.idleTimeout.components.attoseconds / 1_000_000_000),
        largestBody: max(config.maxBodyBytes, config.maxUploadBytes))
    var app = Application(
        router: buildRouter(config: config, parts: parts),
        server: HTTPServerBuilder { responder in
            LoopBoundHTTP1Channel(
                base: HTTP1Channel(
                    responder: responder, configuration: HTTP1Channel.Configuration(additionalChannelHandlers: [HeadRequestHandler(), EventStreamHandler(streams: streams)])))
        },
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "Parley", backlog: 1024),
        logger: parts.logger)
    let sessionStore = parts.sessionStore
    let pruner = parts.pruner
    app.addServices(
        ShutdownService(name: "database") { await parts.close() },
        parts.tailer,
        PeriodicService(name: "session-janitor", every: .seconds(3600), logger: parts.logger) {
            _ = try await sessionStore.deleteExpired()
        },
        PeriodicService(name: "stream-sessions", every: config.streamSessionCheck, logger: parts.logger) { [sessions = parts.sessions] in
            try await sessions.endStreamsOfEndedSessions()
        },
        PeriodicService(name: "file-chunk-sweeper", every: .seconds(300), logger: parts.logger) { [files = parts.files] in
            try await files.sweep()
        },
        // Files shared before pictures were read at upload: at start, then (if any are new, from a
        // database shared with an older server) every 5 minutes.
        PeriodicService(name: "file-examiner", every: .seconds(300), logger: parts.logger) { [files = parts.files] in
            while try await files.examineOlderFiles() > 0 {}
        },
        PeriodicService(name: "event-pruner", every: .seconds(600), logger: parts.logger) {
            try await pruner.prune()
        },
        PeriodicService(name: "message-retention", every: config.retentionSweep, logger: parts.logger) { [retention = MessageRetention(log: parts.log)] in
            if try await retention.sweep() > 0 { try await pruner.prune() }
        },
        PeriodicService(name: "ephemeral-pruner", every: .seconds(30), logger: parts.logger) {
            try await pruner.pruneEphemeral()
        },
        PeriodicService(name: "typing-expiry", every: .milliseconds(500), logger: parts.logger) { [typing = parts.typing] in
            try await typing.expire()
        },
        PeriodicService(name: "presence-sweep", every: .seconds(1), logger: parts.logger) { [presence = parts.presence] in
            try await presence.sweep()
        },
        PeriodicService(name: "moderation-expiry", every: .seconds(1), logger: parts.logger) { [moderation = parts.moderation] in
            try await moderation.expire()
        },
        // At shutdown too: a delivered mark gathered in the last second was lost (a hunt), and the
        // client's cursor had passed the event, so its tick came only with the next message.
        PeriodicService(name: "delivered-flush", every: .seconds(1), logger: parts.logger, atShutdown: true) { [receipts = parts.receipts] in
            try await receipts.flushDelivered()
        },
        PeriodicService(name: "reminders", every: .seconds(1), logger: parts.logger) { [reminders = parts.reminders] in
            try await reminders.fireDue()
        },
        PeriodicService(name: "scheduled-messages", every: .seconds(1), logger: parts.logger) { [scheduled = parts.scheduled] in
            try await scheduled.sendDue()
        },
        PeriodicService(name: "preview-image-sweeper", every: .seconds(600), logger: parts.logger) { [pool = parts.database.pool] in
            _ = try await LinkPreviews.sweepImages(pool)
        },
        LinkPreviewService(previews: parts.messages.previews))
    if let embedded = parts.database.embedded {
        // Added last, so stopped first: it never restarts the server while shutdown stops it.
        app.addServices(
            PeriodicService(name: "embedded-database-watch", every: .seconds(1), logger: parts.logger) { [logger = parts.logger] in
                if try await embedded.restartIfExited() {
                    logger.error("the embedded MariaDB had stopped; started it again", metadata: ["log": "\(embedded.errorLogPath)"])
                }
            })
    }
    return app
}

/// The routes the server answers, as "METHOD /path" with `:name` parameters (for the OpenAPI check).
public func describeRoutes(config: AppConfig) async throws -> [(method: String, path: String)] {
    let parts = try await ApplicationParts.make(config: config)
    defer { Task { await parts.close() } }
    return buildRouter(config: config, parts: parts).routes.map { (method: $0.method.rawValue, path: $0.path.description) }
}

/// The stores and services of one running Parley, made once by `buildApplication`.
struct ApplicationParts: Sendable {
    let logger: Logger
    let database: ParleyDatabase
    let hashingThreads: NIOThreadPool
    /// Where pictures are decoded and made small (thumbnails, avatars, custom emoji): threads of
    /// their own, half the cores. On the hashing threads, a few large pictures (about 2 s and
    /// 200 MB each at 7,000 pixels a side) held up every login behind them (a hunt: 11 s).
    let pictureThreads: NIOThreadPool
    let sessionStore: SessionStore
    let sessions: SessionService
    let accounts: AccountService
    let hub: EventHub
    let log: EventLog
    let tailer: EventTailer
    let pruner: EventPruner
    let rooms: RoomService
    let messages: MessageService
    let reminders: Reminders
    let scheduled: ScheduledMessages
    let files: FileStore
    let typing: TypingService
    let presence: PresenceService
    let receipts: ReceiptService
    let canPost: @Sendable (MariaDBConnection, Int64, Int64) throws -> Void
    let allLevelRooms: AllLevelRooms
    let keywords: KeywordIndex
    let moderation: ModerationService
    let contentFilter: ContentFilter
    let messageLimiter: RateLimiter
    let roomLimiter: RateLimiter
    let joinLimiter: RateLimiter
    let typingLimiter: RateLimiter

    static func make(config: AppConfig) async throws -> ApplicationParts {
        var logger = Logger(label: "parley")
        logger.logLevel = config.logLevel
        FileLimit.raise(logger: logger)
        let database = try await ParleyDatabase.open(config: config, logger: logger)
        let hashingThreads = NIOThreadPool(numberOfThreads: max(2, System.coreCount))
        hashingThreads.start()
        let pictureThreads = NIOThreadPool(numberOfThreads: max(1, System.coreCount / 2))
        pictureThreads.start()
        let hasher = PasswordHasher(cost: config.bcryptCost, threadPool: hashingThreads)
        let pool = database.pool
        let start = try await EventLogBootstrap.load(pool: pool)
        let hub = EventHub(position: start.position, prunedThrough: start.prunedThrough, memberships: start.memberships, windowSize: config.eventWindow)
        let allocator = EventIDAllocator(start: start.position)
        let wakeBox = WakeBox()
        let log = EventLog(pool: pool, allocator: allocator, committed: { wakeBox.committed($0) }, released: { wakeBox.wake() })
        let tailer = EventTailer(hub: hub, allocator: allocator, heartbeatInterval: config.heartbeatInterval, logger: logger)
        wakeBox.set(tailer)
        let roomStore = RoomStore(pool: pool)
        let presenceTracker = PresenceTracker(grace: config.presenceGrace)
        let presence = PresenceService(log: log, pool: pool, tracker: presenceTracker)
        let typing = TypingService(log: log, rooms: roomStore, tracker: TypingTracker(ttl: config.typingTTL, minRenewal: config.typingMinRenewal))
        let rooms = RoomService(
            store: roomStore, log: log, hub: hub, hasher: hasher, passwordLimiter: RateLimiter(config.loginPerUser), presence: presenceTracker,
            typing: typing)
        let receipts = ReceiptService(log: log, pool: pool, hub: hub)
        let allLevelRooms = try await AllLevelRooms.load(pool)
        let keywords = try await KeywordIndex.load(pool)
        let mutes = try await MuteIndex.load(pool)
        try await roomStore.restricted.load(pool)
        try await roomStore.archived.load(pool)
        try await roomStore.slowMode.load(pool)
        // Nobody posts, reacts or votes in an archived room. Muted members post, react and vote in
        // nothing; in a DM, neither does someone either of the two blocked (the room's kind is known
        // by then: every path that posts has checked the membership). In a room where only
        // moderators and up post, members still react and vote.
        let kinds = roomStore.kinds
        // A muted member still takes a reaction back (`mute: false`), as they delete their messages.
        let canReact: @Sendable (MariaDBConnection, Int64, Int64, Bool) throws -> Void = { c, room, user, mute in
            try roomStore.checkNotArchived(room)
            if mute { try mutes.check(room: room, user: user) }
            let kind = try kinds.get(room) ?? roomStore.room(c, id: room)?.kind
            if kind == .dm { try Blocks.checkDM(c, roomID: room, userID: user) }
        }
        let canPost: @Sendable (MariaDBConnection, Int64, Int64) throws -> Void = { c, room, user in
            try canReact(c, room, user, true)
            try roomStore.checkPostPolicy(c, roomID: room, userID: user)
        }
        let contentFilter = ContentFilter(site: WordFilter(words: config.wordFilter, mode: config.wordFilterMode))
        try await contentFilter.load(pool)
        let moderation = ModerationService(store: roomStore, log: log, mutes: mutes, presence: presenceTracker, typing: typing)
        let messages = MessageService(
            store: MessageStore(pool: pool), rooms: roomStore, log: log,
            notifications: NotificationService(presence: presenceTracker, hub: hub, allLevelRooms: allLevelRooms, keywords: keywords), typing: typing,
            canPost: canPost,
            canReact: canReact, filter: contentFilter, previews: LinkPreviews(policy: config.linkPreviews, log: log, logger: logger))

        let sessionStore = SessionStore(pool: database.pool)
        let sessions = SessionService(store: sessionStore, ttl: config.sessionTTL, hub: hub, presence: presence, typing: typing)
        let accounts = AccountService(
            users: UserStore(pool: database.pool), rooms: roomStore, log: log, sessions: sessions, hasher: hasher,
            limits: .init(
                loginPerIP: RateLimiter(config.loginPerIP), loginPerUser: RateLimiter(config.loginPerUser),
                registerPerIP: RateLimiter(config.registerPerIP), registerPerUser: RateLimiter(config.registerPerUser)),
            decoyHash: try await hasher.hash(SessionService.randomHex(bytes: 16)))
        return ApplicationParts(
            logger: logger, database: database, hashingThreads: hashingThreads, pictureThreads: pictureThreads, sessionStore: sessionStore, sessions: sessions,
            accounts: accounts, hub: hub, log: log, tailer: tailer, pruner: EventPruner(pool: pool, hub: hub, retention: config.eventRetention),
            rooms: rooms, messages: messages, reminders: Reminders(messages: messages, log: log),
            scheduled: ScheduledMessages(messages: messages, log: log),
            files: FileStore(pool: pool, threadPool: pictureThreads), typing: typing, presence: presence, receipts: receipts, canPost: canPost,
            allLevelRooms: allLevelRooms, keywords: keywords, moderation: moderation, contentFilter: contentFilter,
            messageLimiter: RateLimiter(config.messagesPerUser), roomLimiter: RateLimiter(config.roomsPerUser),
            joinLimiter: RateLimiter(config.joinsPerUser), typingLimiter: RateLimiter(config.typingPerUser))
    }

    func close() async {
        await database.close()
        try? await hashingThreads.shutdownGracefully()
        try? await pictureThreads.shutdownGracefully()
    }
}

/// Builds the router: middleware first, then every controller's routes.
func buildRouter(config: AppConfig, parts: ApplicationParts) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    let routeIndex = RouteIndex()
    router.add(middleware: ErrorMiddleware(routes: routeIndex))
    router.add(middleware: WebMiddleware(directory: WebMiddleware.locate(configured: config.webDirectory)))
    router.add(middleware: SessionMiddleware(sessions: parts.sessions, trustProxy: config.trustProxy))
    HealthController(pool: parts.database.pool).addRoutes(to: router)
    AccountController(
        accounts: parts.accounts, sessions: parts.sessions, sessionStore: parts.sessionStore, secureCookies: config.secureCookies,
        maxBodyBytes: config.maxBodyBytes
    ).addRoutes(to: router)
    RoomController(
        rooms: parts.rooms, mutes: parts.moderation.mutes, limiter: parts.roomLimiter, joinLimiter: parts.joinLimiter, maxBodyBytes: config.maxBodyBytes,
        receipts: parts.receipts
    ).addRoutes(to: router)
    InviteController(rooms: parts.rooms, limiter: parts.messageLimiter, joinLimiter: parts.joinLimiter, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    WebhookController(rooms: parts.rooms, messages: parts.messages, limiter: parts.messageLimiter, maxBodyBytes: config.maxBodyBytes)
        .addRoutes(to: router)
    MessageController(messages: parts.messages, limiter: parts.messageLimiter, maxBodyBytes: config.maxBodyBytes, receipts: parts.receipts).addRoutes(to: router)
    PreviewImageController(pool: parts.database.pool).addRoutes(to: router)
    PollController(messages: parts.messages, limiter: parts.messageLimiter, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    ProfileController(rooms: parts.rooms).addRoutes(to: router)
    AvatarController(
        pool: parts.database.pool, log: parts.log, sessions: parts.sessions, limiter: parts.messageLimiter, threadPool: parts.pictureThreads
    ).addRoutes(to: router)
    CustomEmojiController(pool: parts.database.pool, log: parts.log, limiter: parts.messageLimiter, threadPool: parts.pictureThreads)
        .addRoutes(to: router)
    FileController(messages: parts.messages, files: parts.files, limiter: parts.messageLimiter, maxUploadBytes: config.maxUploadBytes)
        .addRoutes(to: router)
    ModerationController(moderation: parts.moderation, filter: parts.contentFilter, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    DraftController(rooms: parts.rooms, log: parts.log, limiter: RateLimiter(config.draftsPerUser), maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    UserGroupController(log: parts.log, limiter: parts.messageLimiter, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    ExportController(pool: parts.database.pool, limiter: RateLimiter(config.exportsPerUser)).addRoutes(to: router)
    SiteSettingsController(
        pool: parts.database.pool, log: parts.log, accounts: parts.accounts, maxBodyBytes: config.maxBodyBytes, maxUploadBytes: config.maxUploadBytes)
        .addRoutes(to: router)
    AdminController(pool: parts.database.pool, log: parts.log, sessions: parts.sessions, messages: parts.messages, maxBodyBytes: config.maxBodyBytes)
        .addRoutes(to: router)
    PasswordResetController(accounts: parts.accounts, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    AccessTokenController(accounts: parts.accounts, sessions: parts.sessions, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    TwoFactorController(
        twoFactor: TwoFactor(accounts: parts.accounts),
        maxBodyBytes: config.maxBodyBytes
    ).addRoutes(to: router)
    BlockController(log: parts.log).addRoutes(to: router)
    SavedController(messages: parts.messages, log: parts.log).addRoutes(to: router)
    ReportController(messages: parts.messages, sessions: parts.sessions, log: parts.log, limiter: RateLimiter(config.reportsPerUser), maxBodyBytes: config.maxBodyBytes)
        .addRoutes(to: router)
    ThreadFollowController(messages: parts.messages, log: parts.log).addRoutes(to: router)
    ThreadListController(messages: parts.messages, log: parts.log).addRoutes(to: router)
    ReminderController(reminders: parts.reminders, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    ScheduledController(scheduled: parts.scheduled, limiter: parts.messageLimiter, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    StatusController(log: parts.log, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    NotificationsSeenController(log: parts.log, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    DoNotDisturbController(log: parts.log, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    KeywordController(log: parts.log, index: parts.keywords, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router)
    EventController(
        hub: parts.hub, log: parts.log, presence: parts.presence,
        onDelivered: { [receipts = parts.receipts] user, events in receipts.delivered(userID: user, events: events) }
    ).addRoutes(to: router)
    SignalController(
        typing: parts.typing, presence: parts.presence, receipts: parts.receipts, rooms: parts.rooms.store, pool: parts.database.pool, log: parts.log,
        sessions: parts.sessions, allLevelRooms: parts.allLevelRooms, maxBodyBytes: config.maxBodyBytes, canPost: parts.canPost, limiter: parts.typingLimiter
    ).addRoutes(to: router)
    routeIndex.record(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
    return router
}

/// Lets the event log wake the tailer, which is made after the log.
final class WakeBox: Sendable {
    private let tailer = NIOLockedValueBox<EventTailer?>(nil)
    func set(_ tailer: EventTailer) { self.tailer.withLockedValue { $0 = tailer } }
    func committed(_ events: [LoggedEvent]) { tailer.withLockedValue { $0 }?.committed(events) }
    func wake() { tailer.withLockedValue { $0 }?.wake() }
}

/// The database Parley runs on: the server named by `DATABASE_URL`, or its own embedded `mariadbd`.
struct ParleyDatabase: Sendable {
    let pool: MariaDBPool
    let embedded: MariaDBServerProcess?
    /// The migration files this start applied.
    let applied: [String]

    static func open(config: AppConfig, logger: Logger) async throws -> ParleyDatabase {
        var embedded: MariaDBServerProcess?
        let configuration: MariaDBConfiguration
        if let url = config.databaseURL {
            configuration = try MariaDBConfiguration(url: url)
        } else {
            let server = MariaDBServerProcess(directory: URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("db"))
            logger.info("starting the embedded MariaDB", metadata: ["directory": "\(server.directory.path)"])
            try await server.start()
            let admin = try MariaDBConnection(configuration: server.configuration())
            try admin.executeText("CREATE DATABASE IF NOT EXISTS parley CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            admin.close()
            configuration = server.configuration(database: "parley")
            embedded = server
        }
        let pool = MariaDBPool(configuration: configuration, maxConnections: config.databasePoolSize)
        let applied: [String]
        do {
            applied = try await Migrator(directory: try Migrator.locate(configured: config.migrationsDirectory)).migrate(pool)
            if !applied.isEmpty { logger.info("applied migrations", metadata: ["files": "\(applied.joined(separator: ", "))"]) }
        } catch {
            await pool.shutdown()
            await embedded?.stop()
            throw error
        }
        return ParleyDatabase(pool: pool, embedded: embedded, applied: applied)
    }

    /// Closes the pool, then stops the embedded server if Parley started one.
    func close() async {
        await pool.shutdown()
        await embedded?.stop()
    }
}

/// Waits for graceful shutdown, then runs `onShutdown`. Services stop in reverse order, so this runs
/// after the HTTP server has finished its requests.
struct ShutdownService: Service {
    let name: String
    let onShutdown: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await onShutdown()
    }
}

/// Sleeps for `duration`, returning early when graceful shutdown begins.
func gracefulShutdownAwareSleep(_ duration: Duration) async throws {
    try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}

/// Runs `work` every `interval` until shutdown; failures are logged and retried next time.
struct PeriodicService: Service {
    let name: String
    let every: Duration
    let logger: Logger
    let work: @Sendable () async throws -> Void
    /// Whether the work runs once more when the server shuts down (what it gathered in memory).
    let atShutdown: Bool

    init(name: String, every: Duration, logger: Logger, atShutdown: Bool = false, work: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.every = every
        self.logger = logger
        self.atShutdown = atShutdown
        self.work = work
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await work()
            } catch {
                logger.warning("\(name) failed", metadata: ["error": "\(error)"])
            }
            try? await gracefulShutdownAwareSleep(every)
        }
        if atShutdown {
            do { try await work() } catch { logger.warning("\(name) failed at shutdown", metadata: ["error": "\(error)"]) }
        }
    }
}

/// Opens the configured database (starting the embedded one if needed), applies pending migrations,
/// closes it again and returns the files applied: `parley migrate`.
public func migrateDatabase(config: AppConfig) async throws -> [String] {
    var logger = Logger(label: "parley")
    logger.logLevel = config.logLevel
    let database = try await ParleyDatabase.open(config: config, logger: logger)
    await database.close()
    return database.applied
}

/// Makes an account a site admin (`parley admin create`). An existing account is promoted; a new
/// one is created with `password` (it joins rooms, `main` included, like anyone: through the API).
/// Returns what was done.
public func createSiteAdmin(config: AppConfig, username: String, password: String?) async throws -> String {
    var logger = Logger(label: "parley")
    logger.logLevel = config.logLevel
    let database = try await ParleyDatabase.open(config: config, logger: logger)
    defer { Task { await database.close() } }
    try await database.pool.execute("UPDATE users SET site_role = 'admin' WHERE username = ?", [username])
    let found = try await database.pool.query("SELECT id, deactivated_at IS NOT NULL AS deactivated FROM users WHERE username = ?", [username])
    if let row = found.first {
        await database.close()
        // Promoting does not reactivate (the account may have been deactivated for a reason): an
        // operator trying to get back in is told why the login is still refused.
        if try row.decode("deactivated", as: Bool.self) {
            let id: Int64 = try row.decode("id")
            return "\(username) is a site admin, but the account is deactivated: it cannot log in until a site admin reactivates it "
                + "(POST /api/admin/users/\(id)/reactivate)."
        }
        return "\(username) is a site admin."
    }
    guard let password else { throw ConfigError("no account named \(username): give a password (--password-stdin) to create it") }
    try AccountRules.validateUsername(username)
    try AccountRules.validatePassword(password)
    let threads = NIOThreadPool(numberOfThreads: 1)
    threads.start()
    let hash = try await PasswordHasher(cost: config.bcryptCost, threadPool: threads).hash(password)
    try? await threads.shutdownGracefully()
    // As a registration does: the name is not a user group's (under the same locking read), and the
    // account joins `main`. No event is written: the log's ids belong to the running server (its
    // members list shows the new admin from its next read).
    let pool = database.pool
    let refused = try await pool.transaction { c -> Bool in
        if try AccountService.isGroupName(c, username) { return true }
        let user = try UserStore(pool: pool).insert(c, username: username, displayName: username, passwordHash: hash, siteRole: .admin)
        try RoomStore(pool: pool).insertMemberQuietly(c, roomID: RoomStore.mainRoomID, userID: user.id, role: .member)
        return false
    }
    await database.close()
    if refused { throw ConfigError("\(username) is a user group's name: @\(username) must mean one thing") }
    return "Created site admin \(username)."
}

/// Turns off an account's two-factor authentication (`parley admin two-factor-off`): for a site
/// admin who lost their authenticator and recovery codes, with nobody else to turn it off. Logged in
/// the site log. Returns what was done.
public func turnOffTwoFactor(config: AppConfig, username: String) async throws -> String {
    var logger = Logger(label: "parley")
    logger.logLevel = config.logLevel
    let database = try await ParleyDatabase.open(config: config, logger: logger)
    do {
        let done = try await database.pool.transaction { c -> Bool in
            guard let id = try c.query("SELECT id FROM users WHERE username = ?", [username]).first?.decode("id", as: Int64.self) else {
                throw ConfigError("no account named \(username)")
            }
            guard try TwoFactor.isOn(c, userID: id) else {
                return false
            }
            try TwoFactor.remove(c, userID: id)
            try ModerationService.record(c, room: nil, actor: nil, action: "reset_two_factor", user: id, reason: "from the command line")
            return true
        }
        await database.close()
        return done ? "Two-factor authentication is off for \(username)." : "\(username) does not have two-factor authentication on."
    } catch {
        await database.close()
        throw error
    }
}
