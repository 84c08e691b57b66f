import Foundation
import Hummingbird
import MariaDB

/// The site's settings, changed by site admins: whether anyone may create an account or only site
/// admins make them, who creates public rooms, who adds custom emoji, how long messages are kept
/// and how long their senders may edit them. One row (`site_settings`), read where each applies.
struct SiteSettings: Codable, Sendable, Equatable {
    enum Registration: String, Codable, Sendable, CaseIterable { case open, closed }
    /// Who may do something: anyone, or site admins only.
    enum Who: String, Codable, Sendable, CaseIterable { case everyone, admins }

    var registration: Registration
    /// Who creates public rooms (private groups and DMs stay open to everyone).
    var publicRooms: Who
    var customEmoji: Who
    /// Messages older than this many days are deleted for good (`MessageRetention`); nil keeps them.
    var messageRetentionDays: Int?
    /// For how many minutes after sending it a message's sender may edit it: nil at any time, 0 never.
    var messageEditMinutes: Int?

    static let retentionDays = 1...36_500
    /// Never (0) up to 30 days.
    static let editMinutes = 0...43_200

    enum CodingKeys: String, CodingKey { case registration, publicRooms, customEmoji, messageRetentionDays, messageEditMinutes }

    /// Every field, `message_retention_days` as null when messages are kept for ever and
    /// `message_edit_minutes` as null when they are edited at any time.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(registration, forKey: .registration)
        try c.encode(publicRooms, forKey: .publicRooms)
        try c.encode(customEmoji, forKey: .customEmoji)
        try c.encode(messageRetentionDays, forKey: .messageRetentionDays)
        try c.encode(messageEditMinutes, forKey: .messageEditMinutes)
    }

    /// Refuses an edit of a message sent at `sentAt` once the site's editing time has passed.
    func checkEdit(sentAt: Date, now: Date = Date()) throws {
        guard let minutes = messageEditMinutes else { return }
        guard minutes > 0 else { throw ParleyError(.forbidden, "edit_window_closed", "Messages are not edited on this site.") }
        guard now.timeIntervalSince(sentAt) <= Double(minutes) * 60 else {
            throw ParleyError(
                .forbidden, "edit_window_closed",
                "Messages are edited for \(minutes) \(minutes == 1 ? "minute" : "minutes") after they are sent on this site.")
        }
    }

    static let registrationClosed = ParleyError(
        .forbidden, "registration_closed", "This site does not take new accounts: ask a site admin to make one for you.")
    static let emojiForAdmins = ParleyError(.forbidden, "forbidden", "On this site, only site admins add custom emoji.")
    static let publicRoomsForAdmins = ParleyError(
        .forbidden, "forbidden", "On this site, only site admins create public rooms: make a private group instead.")

    init(row: MariaDBRow) throws {
        registration = Registration(rawValue: try row.decode("registration")) ?? .open
        publicRooms = Who(rawValue: try row.decode("public_rooms")) ?? .everyone
        customEmoji = Who(rawValue: try row.decode("custom_emoji")) ?? .everyone
        messageRetentionDays = try row.decode("message_retention_days", as: Int?.self)
        messageEditMinutes = try row.decode("message_edit_minutes", as: Int?.self)
    }

    static let select = """
        SELECT registration, public_rooms, custom_emoji, message_retention_days, message_edit_minutes FROM site_settings WHERE id = 1
        """

    static func load(_ pool: MariaDBPool) async throws -> SiteSettings {
        try SiteSettings(row: try await pool.query(select)[0])
    }

    /// In a transaction: `lock` shares the row's lock, so a change of the settings waits for this
    /// transaction and this one for the change.
    static func load(_ c: MariaDBConnection, lock: Bool = false) throws -> SiteSettings {
        try SiteSettings(row: try c.query(select + (lock ? " LOCK IN SHARE MODE" : ""), [])[0])
    }
}

/// `siteSettings` (anyone, logged in or not: the login page asks whether it may offer sign-up),
/// `updateSiteSettings` and `adminCreateUser` (site admins).
struct SiteSettingsController {
    let pool: MariaDBPool
    let log: EventLog
    let accounts: AccountService
    let maxBodyBytes: Int
    let maxUploadBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/settings", use: get)
        router.patch("/api/admin/settings", use: update)
        router.post("/api/admin/users", use: createUser)
    }

    struct Answer: ResponseEncodable {
        let settings: SiteSettings
    }

    /// What the server's configuration allows, for clients to check before sending.
    struct Limits: Encodable {
        let maxUploadBytes: Int
    }

    struct ReadAnswer: ResponseEncodable {
        let settings: SiteSettings
        let limits: Limits
    }

    /// [siteSettings] The settings, and the limits a client checks before sending (an upload over
    /// the limit was sent whole before its 413).
    func get(request: Request, context: AppRequestContext) async throws -> ReadAnswer {
        ReadAnswer(settings: try await SiteSettings.load(pool), limits: Limits(maxUploadBytes: maxUploadBytes))
    }

    /// A field that may be absent, null (`message_retention_days`: keep for ever;
    /// `message_edit_minutes`: edit at any time) or a value.
    struct UpdateBody: Decodable {
        let registration: String?
        let publicRooms: String?
        let customEmoji: String?
        let messageRetentionDays: Int??
        let messageEditMinutes: Int??

        enum CodingKeys: String, CodingKey { case registration, publicRooms, customEmoji, messageRetentionDays, messageEditMinutes }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            registration = try c.decodeIfPresent(String.self, forKey: .registration)
            publicRooms = try c.decodeIfPresent(String.self, forKey: .publicRooms)
            customEmoji = try c.decodeIfPresent(String.self, forKey: .customEmoji)
            messageRetentionDays = c.contains(.messageRetentionDays) ? .some(try c.decodeIfPresent(Int.self, forKey: .messageRetentionDays)) : .none
            messageEditMinutes = c.contains(.messageEditMinutes) ? .some(try c.decodeIfPresent(Int.self, forKey: .messageEditMinutes)) : .none
        }
    }

    private static func who(_ text: String?, _ field: String) throws -> SiteSettings.Who? {
        try text.map { text in
            guard let value = SiteSettings.Who(rawValue: text) else { throw ParleyError.invalid("invalid_setting", "\(field) is `everyone` or `admins`.") }
            return value
        }
    }

    /// [updateSiteSettings] Changes the settings named; each change goes in the site log
    /// (`site_settings`, the reason saying what it became) and everyone gets `settings.updated`.
    func update(request: Request, context: AppRequestContext) async throws -> Answer {
        let session = try AdminController.requireSiteAdmin(context)
        let body = try await request.decodeJSON(as: UpdateBody.self, context: context, limit: maxBodyBytes)
        let registration = try body.registration.map { text in
            guard let value = SiteSettings.Registration(rawValue: text) else {
                throw ParleyError.invalid("invalid_setting", "registration is `open` or `closed`.")
            }
            return value
        }
        let publicRooms = try Self.who(body.publicRooms, "public_rooms")
        let customEmoji = try Self.who(body.customEmoji, "custom_emoji")
        if case .some(.some(let days)) = body.messageRetentionDays, !SiteSettings.retentionDays.contains(days) {
            throw ParleyError.invalid(
                "invalid_setting", "message_retention_days is a number of days from 1 to \(SiteSettings.retentionDays.upperBound), or null to keep messages.")
        }
        if case .some(.some(let minutes)) = body.messageEditMinutes, !SiteSettings.editMinutes.contains(minutes) {
            throw ParleyError.invalid(
                "invalid_setting",
                "message_edit_minutes is a number of minutes from 1 to \(SiteSettings.editMinutes.upperBound), 0 for never, or null for any time.")
        }
        let settings = try await log.transaction { c, events in
            let before = try SiteSettings(row: try c.query(SiteSettings.select + " FOR UPDATE", [])[0])
            var after = before
            if let registration { after.registration = registration }
            if let publicRooms { after.publicRooms = publicRooms }
            if let customEmoji { after.customEmoji = customEmoji }
            if case .some(let days) = body.messageRetentionDays { after.messageRetentionDays = days }
            if case .some(let minutes) = body.messageEditMinutes { after.messageEditMinutes = minutes }
            guard after != before else { return before }
            try c.execute(
                """
                UPDATE site_settings SET registration = ?, public_rooms = ?, custom_emoji = ?, message_retention_days = ?,
                message_edit_minutes = ? WHERE id = 1
                """,
                [after.registration.rawValue, after.publicRooms.rawValue, after.customEmoji.rawValue, after.messageRetentionDays, after.messageEditMinutes])
            var changes: [String] = []
            if after.registration != before.registration { changes.append("registration: \(after.registration.rawValue)") }
            if after.publicRooms != before.publicRooms { changes.append("public rooms: \(after.publicRooms.rawValue)") }
            if after.customEmoji != before.customEmoji { changes.append("custom emoji: \(after.customEmoji.rawValue)") }
            if after.messageRetentionDays != before.messageRetentionDays {
                changes.append("message retention: \(after.messageRetentionDays.map { "\($0) days" } ?? "keep")")
            }
            if after.messageEditMinutes != before.messageEditMinutes {
                changes.append("message editing: \(after.messageEditMinutes.map { $0 == 0 ? "never" : "\($0) minutes" } ?? "any time")")
            }
            try ModerationService.record(c, room: nil, actor: session.user.id, action: "site_settings", reason: changes.joined(separator: ", "))
            try events.append(EventType.settingsUpdated, payload: Answer(settings: after))
            return after
        }
        return Answer(settings: settings)
    }

    struct CreateUserBody: Decodable {
        let username: String
        let password: String
        let displayName: String?
    }

    /// [adminCreateUser] A site admin makes an account (also while registration is closed); it
    /// goes in the site log as `create_user`. The new account joins `main`, as every account does.
    func createUser(request: Request, context: AppRequestContext) async throws -> EditedResponse<AdminController.UserAnswer> {
        let session = try AdminController.requireSiteAdmin(context)
        let body = try await request.decodeJSON(as: CreateUserBody.self, context: context, limit: maxBodyBytes)
        let user = try await accounts.register(
            username: body.username, password: body.password, displayName: body.displayName, ip: context.clientAddress, createdBy: session.user.id)
        return EditedResponse(status: .created, response: AdminController.UserAnswer(user: user))
    }
}
