import Crypto
import Foundation
import Hummingbird
import MariaDB
import NIOPosix

/// Users' pictures: `setAvatar` and `deleteAvatar` (one's own, `/api/me/avatar`), `getAvatar`
/// (anyone's, for any logged-in user) and `adminDeleteAvatar` (site admins).
struct AvatarController {
    let pool: MariaDBPool
    let log: EventLog
    let sessions: SessionService
    let limiter: RateLimiter
    /// Where pictures are decoded and made square (CPU work, shared with password hashing).
    let threadPool: NIOThreadPool

    /// A picture is at most 1 MiB: one row, never chunked.
    static let maxBytes = 1 << 20
    /// The largest picture kept: a square of 256 pixels (member lists show 32 CSS pixels or less,
    /// profiles 96).
    static let side = 256

    func addRoutes(to router: Router<AppRequestContext>) {
        router.put("/api/me/avatar", use: set)
        router.delete("/api/me/avatar", use: remove)
        router.get("/api/users/:user/avatar", use: get)
        router.delete("/api/admin/users/:user/avatar", use: adminRemove)
    }

    static let invalid = ParleyError.invalid(
        "invalid_avatar", "A picture is a PNG, JPEG, GIF or WebP image of at most \(maxBytes) bytes that decodes.")
    static let animatedWebP = ParleyError.invalid(
        "invalid_avatar", "An animated WebP cannot be read here: send the animation as a GIF, or a still WebP.")
    static let tooLarge = ParleyError(.contentTooLarge, "payload_too_large", "A picture is at most \(ReadableSize.of(maxBytes)).")
    static let notFound = ParleyError(.notFound, "avatar_not_found", "This user has no picture.")

    static func contentType(_ format: ImageInfo.Format) -> String {
        switch format {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .gif: "image/gif"
        case .webp: "image/webp"
        }
    }

    /// What is stored for a picture: its middle square, at most `side` pixels, turned as its EXIF
    /// says, as WebP: drawn anew, so nothing but the pixels goes to everyone who sees it. A GIF
    /// that is already such a square is kept as sent, so that an animation keeps moving (a GIF has
    /// no EXIF). Before, every picture already square and small was kept as sent, and served its
    /// camera's EXIF (the place it was taken) and any bytes after its end to everyone (a hunt).
    /// Nil when it does not decode.
    static func stored(_ bytes: [UInt8], _ info: ImageInfo) -> (type: String, data: [UInt8])? {
        guard let made = Thumbnails.square(bytes, info, side: side) else { return nil }
        if info.format == .gif && info.width == info.height && info.width <= side { return (contentType(info.format), bytes) }
        return (Thumbnails.contentType, made.data)
    }

    /// A picture's version: the first 16 hex digits of its SHA-256.
    static func version(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// [setAvatar] The body is the image (PNG, JPEG, GIF or WebP, at most 1 MiB); it replaces any
    /// picture before it, made square and small (`stored`). Co-members and one's other devices get
    /// `user.updated`.
    func set(request: Request, context: AppRequestContext) async throws -> SignalController.MeAnswer {
        let session = try context.requireSession()
        let (sent, info) = try await request.picture(maxBytes: Self.maxBytes, tooLarge: Self.tooLarge, invalid: Self.invalid)
        try limiter.consume(String(session.user.id))
        guard let (type, bytes) = try await threadPool.runIfActive({ Self.stored(sent, info) }) else {
            throw Thumbnails.isAnimatedWebP(sent) ? Self.animatedWebP : Self.invalid
        }
        let version = Self.version(bytes)
        let userID = session.user.id
        try await log.transaction { c, events in
            let user = try Self.lockUser(c, userID)
            try c.execute(
                """
                INSERT INTO avatars (user_id, content_type, data, updated_at) VALUES (?, ?, ?, NOW(3))
                ON DUPLICATE KEY UPDATE content_type = VALUES(content_type), data = VALUES(data), updated_at = VALUES(updated_at)
                """, [userID, type, bytes])
            try Self.changeVersion(c, events, user, userID: userID, to: version)
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
            let user = try Self.lockUser(c, userID)
            guard try c.execute("DELETE FROM avatars WHERE user_id = ?", [userID]).affectedRows == 1 else { return }
            try Self.changeVersion(c, events, user, userID: userID, to: nil)
            if let actor { try ModerationService.record(c, room: nil, actor: actor, action: "remove_avatar", user: userID) }
        }
        sessions.forget(userID: userID)
    }

    /// Locks the user's row, before the picture's: every change of a picture takes them in this
    /// order. The other way round (the picture's row written first), a `PUT` and a `DELETE` of one
    /// user's picture at once each held one row and waited for the other's (a hunt: 503s, MariaDB's
    /// deadlock error). The row also gives the event the name as it is now, against a concurrent
    /// name change.
    private static func lockUser(_ c: MariaDBConnection, _ userID: Int64) throws -> MariaDBRow {
        guard let row = try c.query("SELECT username, display_name, avatar FROM users WHERE id = ? FOR UPDATE", [userID]).first else {
            throw ProfileController.userNotFound
        }
        return row
    }

    /// Sets `users.avatar` and tells everyone who shows the user (`row`: the user's, locked).
    private static func changeVersion(_ c: MariaDBConnection, _ events: EventAppender, _ row: MariaDBRow, userID: Int64, to version: String?) throws {
        // The same picture again (its version is its bytes' hash) changes nothing anyone shows.
        guard try row.decode("avatar", as: String?.self) != version else { return }
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
        return try Self.pictureResponse(request, type: type, version: version, data: { try row.decode("data") })
    }

    /// A stored picture (a user's, a custom emoji's) as the answer to `request`: with `?v=` naming
    /// its current version it may be cached for good, otherwise it is revalidated (`ETag`, 304).
    /// Sent as inert data: never sniffed, never a document that runs anything.
    static func pictureResponse(_ request: Request, type: String, version: String, data: () throws -> [UInt8]) throws -> Response {
        let etag = "\"\(version)\""
        let current = request.query.get("v").map { String($0) } == version
        var headers: HTTPFields = [
            .contentType: type,
            .eTag: etag,
            .cacheControl: current ? "private, max-age=31536000, immutable" : "private, no-cache",
            .init("X-Content-Type-Options")!: "nosniff",
            .contentSecurityPolicy: "default-src 'none'; sandbox",
        ]
        if request.ifNoneMatch(etag) {
            return Response(status: .notModified, headers: headers)
        }
        let bytes = try data()
        headers[.contentLength] = String(bytes.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
