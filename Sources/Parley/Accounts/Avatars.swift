import Crypto
import Foundation
import Hummingbird
import MariaDB

/// Users' pictures: `setAvatar` and `deleteAvatar` (one's own, `/api/me/avatar`), `getAvatar`
/// (anyone's, for any logged-in user) and `adminDeleteAvatar` (site admins).
struct AvatarController {
    let pool: MariaDBPool
    let log: EventLog
    let sessions: SessionService
    let limiter: RateLimiter

    /// A picture is at most 1 MiB: one row, never chunked (clients shrink photos before sending).
    static let maxBytes = 1 << 20

    func addRoutes(to router: Router<AppRequestContext>) {
        router.put("/api/me/avatar", use: set)
        router.delete("/api/me/avatar", use: remove)
        router.get("/api/users/:user/avatar", use: get)
        router.delete("/api/admin/users/:user/avatar", use: adminRemove)
    }

    static let invalid = ParleyError.invalid(
        "invalid_avatar", "A picture is a PNG, JPEG, GIF or WebP image of at most \(maxBytes) bytes.")
    static let notFound = ParleyError(.notFound, "avatar_not_found", "This user has no picture.")

    /// The image type the bytes start as: PNG, JPEG, GIF or WebP (types a browser shows and that
    /// run no script; SVG is refused for that reason). The declared `Content-Type` is not trusted.
    static func imageType(_ bytes: [UInt8]) -> String? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<(offset + prefix.count)]) == prefix
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "image/webp" }
        return nil
    }

    /// A picture's version: the first 16 hex digits of its SHA-256.
    static func version(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// [setAvatar] The body is the image (PNG, JPEG, GIF or WebP, at most 1 MiB); it replaces any
    /// picture before it. Co-members and one's other devices get `user.updated`.
    func set(request: Request, context: AppRequestContext) async throws -> SignalController.MeAnswer {
        let session = try context.requireSession()
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Self.maxBytes {
            throw ParleyError(.contentTooLarge, "payload_too_large", "A picture is at most \(Self.maxBytes) bytes.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maxBytes)
        } catch {
            throw ParleyError(.contentTooLarge, "payload_too_large", "A picture is at most \(Self.maxBytes) bytes.")
        }
        let bytes = Array(buffer.readableBytesView)
        guard let type = Self.imageType(bytes) else { throw Self.invalid }
        try limiter.consume(String(session.user.id))
        let version = Self.version(bytes)
        let userID = session.user.id
        try await log.transaction { c, events in
            try c.execute(
                """
                INSERT INTO avatars (user_id, content_type, data, updated_at) VALUES (?, ?, ?, NOW(3))
                ON DUPLICATE KEY UPDATE content_type = VALUES(content_type), data = VALUES(data), updated_at = VALUES(updated_at)
                """, [userID, type, bytes])
            try Self.changeVersion(c, events, userID: userID, to: version)
        }
        sessions.forget(userID: userID)
        return try await SignalController.loadMe(pool, userID)
    }

    /// [deleteAvatar] Removes one's picture (no error without one).
    func remove(request: Request, context: AppRequestContext) async throws -> SignalController.MeAnswer {
        let session = try context.requireSession()
        try await removePicture(of: session.user.id, actor: nil)
        return try await SignalController.loadMe(pool, session.user.id)
    }

    /// [adminDeleteAvatar] A site admin removes anyone's picture; it goes in the moderation log.
    func adminRemove(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try AdminController.requireSiteAdmin(context)
        let userID = try RoomController.id(context, "user")
        try await removePicture(of: userID, actor: session.user.id)
        return .noContent
    }

    private func removePicture(of userID: Int64, actor: Int64?) async throws {
        try await log.transaction { c, events in
            guard try c.execute("DELETE FROM avatars WHERE user_id = ?", [userID]).affectedRows == 1 else {
                guard try c.query("SELECT id FROM users WHERE id = ?", [userID]).first != nil else { throw ProfileController.userNotFound }
                return
            }
            try Self.changeVersion(c, events, userID: userID, to: nil)
            if let actor { try ModerationService.record(c, room: nil, actor: actor, action: "remove_avatar", user: userID) }
        }
        sessions.forget(userID: userID)
    }

    /// Sets `users.avatar` and tells everyone who shows the user (the user row is locked, so the
    /// event carries the name as it is now, also against a concurrent name change).
    private static func changeVersion(_ c: MariaDBConnection, _ events: EventAppender, userID: Int64, to version: String?) throws {
        guard let row = try c.query("SELECT username, display_name FROM users WHERE id = ? FOR UPDATE", [userID]).first else {
            throw ProfileController.userNotFound
        }
        try c.execute("UPDATE users SET avatar = ? WHERE id = ?", [version, userID])
        try events.append(
            EventType.userUpdated, subjectID: userID,
            payload: SignalController.UserUpdatedEvent(
                user: UserSummary(id: userID, username: try row.decode("username"), displayName: try row.decode("display_name"), avatar: version)))
    }

    /// [getAvatar] Anyone's picture, for any logged-in user. With `?v=` naming the current version
    /// (as `avatar_url` does) it may be cached for good; otherwise it is revalidated (`ETag`).
    func get(request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireSession()
        let userID = try RoomController.id(context, "user")
        guard
            let row = try await pool.query(
                "SELECT u.avatar, a.content_type, a.data FROM users u LEFT JOIN avatars a ON a.user_id = u.id WHERE u.id = ?", [userID]
            ).first
        else { throw ProfileController.userNotFound }
        guard let version = try row.decode("avatar", as: String?.self), let type = try row.decode("content_type", as: String?.self) else {
            throw Self.notFound
        }
        let etag = "\"\(version)\""
        let current = request.uri.queryParameters.get("v").map { String($0) } == version
        var headers: HTTPFields = [
            .contentType: type,
            .eTag: etag,
            .cacheControl: current ? "private, max-age=31536000, immutable" : "private, no-cache",
            .init("X-Content-Type-Options")!: "nosniff",
            .contentSecurityPolicy: "default-src 'none'; sandbox",
        ]
        if let match = request.headers[.ifNoneMatch], match == etag || match == "*" {
            return Response(status: .notModified, headers: headers)
        }
        let data = try row.decode("data", as: [UInt8].self)
        headers[.contentLength] = String(data.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
