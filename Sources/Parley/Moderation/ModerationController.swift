import Foundation
import Hummingbird
import MariaDB

/// The HTTP face of room moderation: `setRole`, `kick`, `ban`, `bans`, `unban`, `mute`, `mutes`,
/// `unmute`, `pin`, `pins`, `unpin`, `moderationLog`, `getFilter`, `setFilter`.
struct ModerationController {
    let moderation: ModerationService
    let filter: ContentFilter
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.put("/api/rooms/:room/members/:user/role", use: setRole)
        router.post("/api/rooms/:room/kick", use: kick)
        router.post("/api/rooms/:room/bans", use: ban)
        router.get("/api/rooms/:room/bans", use: bans)
        router.delete("/api/rooms/:room/bans/:user", use: unban)
        router.post("/api/rooms/:room/mutes", use: mute)
        router.get("/api/rooms/:room/mutes", use: mutes)
        router.delete("/api/rooms/:room/mutes/:user", use: unmute)
        router.post("/api/rooms/:room/pins", use: pin)
        router.get("/api/rooms/:room/pins", use: pins)
        router.delete("/api/rooms/:room/pins/:message", use: unpin)
        router.get("/api/rooms/:room/moderation", use: auditLog)
        router.get("/api/admin/log", use: siteLog)
        router.get("/api/rooms/:room/filter", use: getFilter)
        router.put("/api/rooms/:room/filter", use: setFilter)
    }

    struct RoleBody: Decodable {
        let role: RoomRole
    }

    struct MemberResponse: ResponseEncodable {
        let member: MemberView
    }

    /// [setRole]
    func setRole(request: Request, context: AppRequestContext) async throws -> MemberResponse {
        let session = try context.requireSession()
        let room = try RoomController.id(context, "room")
        let user = try RoomController.id(context, "user")
        let body = try await request.decodeJSON(as: RoleBody.self, context: context, limit: maxBodyBytes)
        return MemberResponse(member: try await moderation.setRole(actor: session.user, roomID: room, userID: user, role: body.role))
    }

    struct ActionBody: Decodable {
        let userId: Int64
        let reason: String?
        let durationSeconds: Int?
    }

    /// [kick]
    func kick(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let room = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: ActionBody.self, context: context, limit: maxBodyBytes)
        try await moderation.kick(actor: session.user, roomID: room, userID: body.userId, reason: body.reason)
        return .noContent
    }

    struct BanResponse: ResponseEncodable {
        let ban: ModerationService.BanView
    }

    struct MuteResponse: ResponseEncodable {
        let mute: ModerationService.BanView
    }

    /// [ban]
    func ban(request: Request, context: AppRequestContext) async throws -> EditedResponse<BanResponse> {
        let session = try context.requireSession()
        let room = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: ActionBody.self, context: context, limit: maxBodyBytes)
        let ban = try await moderation.ban(actor: session.user, roomID: room, userID: body.userId, reason: body.reason, seconds: body.durationSeconds)
        return EditedResponse(status: .created, response: BanResponse(ban: ban))
    }

    struct BanList: ResponseEncodable {
        let bans: [ModerationService.BanView]
    }

    struct MuteList: ResponseEncodable {
        let mutes: [ModerationService.BanView]
    }

    /// [bans]
    func bans(request: Request, context: AppRequestContext) async throws -> BanList {
        let session = try context.requireSession()
        return BanList(bans: try await moderation.list(actor: session.user, roomID: try RoomController.id(context, "room"), table: "room_bans"))
    }

    /// [unban]
    func unban(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        try await moderation.unban(actor: session.user, roomID: try RoomController.id(context, "room"), userID: try RoomController.id(context, "user"))
        return .noContent
    }

    /// [mute]
    func mute(request: Request, context: AppRequestContext) async throws -> EditedResponse<MuteResponse> {
        let session = try context.requireSession()
        let room = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: ActionBody.self, context: context, limit: maxBodyBytes)
        let mute = try await moderation.mute(actor: session.user, roomID: room, userID: body.userId, reason: body.reason, seconds: body.durationSeconds)
        return EditedResponse(status: .created, response: MuteResponse(mute: mute))
    }

    /// [mutes]
    func mutes(request: Request, context: AppRequestContext) async throws -> MuteList {
        let session = try context.requireSession()
        return MuteList(mutes: try await moderation.list(actor: session.user, roomID: try RoomController.id(context, "room"), table: "room_mutes"))
    }

    /// [unmute]
    func unmute(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        try await moderation.unmute(actor: session.user, roomID: try RoomController.id(context, "room"), userID: try RoomController.id(context, "user"))
        return .noContent
    }

    struct PinBody: Decodable {
        let messageId: Int64
    }

    struct PinResponse: ResponseEncodable {
        let pin: ModerationService.PinView
    }

    struct PinList: ResponseEncodable {
        let pins: [ModerationService.PinView]
    }

    /// [pin]
    func pin(request: Request, context: AppRequestContext) async throws -> EditedResponse<PinResponse> {
        let session = try context.requireSession()
        let room = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: PinBody.self, context: context, limit: maxBodyBytes)
        let pin = try await moderation.pin(actor: session.user, roomID: room, messageID: body.messageId)
        return EditedResponse(status: .created, response: PinResponse(pin: pin))
    }

    /// [pins]
    func pins(request: Request, context: AppRequestContext) async throws -> PinList {
        let session = try context.requireSession()
        return PinList(pins: try await moderation.pins(user: session.user, roomID: try RoomController.id(context, "room")))
    }

    /// [unpin]
    func unpin(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        try await moderation.unpin(actor: session.user, roomID: try RoomController.id(context, "room"), messageID: try RoomController.id(context, "message"))
        return .noContent
    }

    struct LogList: ResponseEncodable {
        let entries: [ModerationService.LogEntry]
    }

    /// [moderationLog] Newest first; `before=<entry id>` pages back, `limit` ≤ 100.
    func auditLog(request: Request, context: AppRequestContext) async throws -> LogList {
        let session = try context.requireSession()
        let (before, limit) = try Self.logPage(request)
        let room = try RoomController.id(context, "room")
        return LogList(entries: try await moderation.auditLog(actor: session.user, roomID: room, before: before, limit: limit))
    }

    /// [siteLog] The site's own log, for site admins: newest first, paged like a room's.
    func siteLog(request: Request, context: AppRequestContext) async throws -> LogList {
        _ = try AdminController.requireSiteAdmin(context)
        let (before, limit) = try Self.logPage(request)
        return LogList(entries: try await moderation.siteLog(before: before, limit: limit))
    }

    /// A log page's `before=<entry id>` and `limit` (1–100, default 50).
    private static func logPage(_ request: Request) throws -> (before: Int64?, limit: Int) {
        let before = try request.query.get("before").map { text -> Int64 in
            guard let value = Int64(text), value > 0 else { throw ParleyError.badRequest("before must be an entry id.") }
            return value
        }
        let limit = try request.query.get("limit").map { text -> Int in
            guard let value = Int(text), (1...100).contains(value) else { throw ParleyError.badRequest("limit is 1–100.") }
            return value
        } ?? 50
        return (before, limit)
    }

    struct FilterBody: Codable, ResponseEncodable {
        let words: [String]
        let mode: FilterMode
    }

    /// [getFilter] The room's own word filter (owners and admins).
    func getFilter(request: Request, context: AppRequestContext) async throws -> FilterBody {
        let session = try context.requireSession()
        let room = try RoomController.id(context, "room")
        try await moderation.requireAdmin(actor: session.user, roomID: room)
        let current = filter.room(room)
        return FilterBody(words: (current?.words).map { Array($0).sorted() } ?? [], mode: current?.mode ?? .reject)
    }

    /// [setFilter] Replaces the room's word filter; an empty list removes it.
    func setFilter(request: Request, context: AppRequestContext) async throws -> FilterBody {
        let session = try context.requireSession()
        let room = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: FilterBody.self, context: context, limit: maxBodyBytes)
        guard body.words.count <= 500, body.words.allSatisfy({ !$0.contains("\n") && $0.count <= 64 }) else {
            throw ParleyError.invalid("invalid_filter", "A filter has at most 500 words of at most 64 characters each.")
        }
        if let word = body.words.first(where: { !WordFilter.isMatchable($0) }) {
            throw ParleyError.invalid(
                "invalid_filter", "“\(word.trimmedWhitespace)” is not one word: a filter matches whole words of letters and digits, so it could never match.")
        }
        let words = WordFilter(words: body.words, mode: body.mode)
        // The column is a TEXT (65,535 bytes); folded words may be longer than typed ones.
        guard words.words.reduce(0, { $0 + $1.utf8.count + 1 }) <= 65_535 else {
            throw ParleyError.invalid("invalid_filter", "A filter's words are at most 64 KB together.")
        }
        let version = try await moderation.setFilter(actor: session.user, roomID: room, filter: words)
        filter.setRoom(room, words.words.isEmpty ? nil : words, version: version)
        return FilterBody(words: Array(words.words).sorted(), mode: body.mode)
    }
}

extension ModerationService {
    func requireAdmin(actor: User, roomID: Int64) async throws {
        let store = self.store
        try await store.pool.withConnection { c in try Self.checkAdmin(store, c, actor: actor, roomID: roomID) }
    }

    private static func checkAdmin(_ store: RoomStore, _ c: MariaDBConnection, actor: User, roomID: Int64) throws {
        guard let membership = try store.membership(c, roomID: roomID, userID: actor.id), membership.role != nil || membership.kind == .public else {
            throw RoomService.roomNotFound
        }
        guard let role = membership.role else { throw RoomService.notAMember }
        guard role >= .admin else { throw RoomService.forbidden("Only the room's owner and admins manage its filter.") }
    }

    /// Returns the change's version: its log entry's id, taken after the filter's row, so that
    /// versions grow in the order the changes commit (see `ContentFilter.setRoom`).
    func setFilter(actor: User, roomID: Int64, filter: WordFilter) async throws -> Int64 {
        let store = self.store
        return try await log.transaction { c, _ in
            try RoomStore.holdRoom(c, roomID)
            // Under the room's lock, which a demotion holds: an admin demoted meanwhile is refused.
            try Self.checkAdmin(store, c, actor: actor, roomID: roomID)
            // A setting: frozen while the room is archived, as the others are.
            if try store.room(c, id: roomID)?.archivedAt != nil { throw RoomStore.archivedError }
            if filter.words.isEmpty {
                try c.execute("DELETE FROM word_filters WHERE room_id = ?", [roomID])
            } else {
                try c.execute(
                    "INSERT INTO word_filters (room_id, words, mode) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE words = VALUES(words), mode = VALUES(mode)",
                    [roomID, filter.words.sorted().joined(separator: "\n"), filter.mode.rawValue])
            }
            return try Self.record(c, room: roomID, actor: actor.id, action: "filter")
        }
    }
}
