import Foundation
import Hummingbird
import MariaDB
import NIOPosix

/// Custom emoji, as in Slack, Mattermost, Zulip and Discord: anyone adds a small picture under a
/// short name (`addEmoji`), everyone sees the site's list (`customEmoji`) and uses it as `:name:`
/// in messages (clients draw it) and as a reaction; whoever added one, or a site admin, deletes it
/// (`deleteEmoji`). Each change is an event to everyone (`emoji.added`, `emoji.removed`).
struct CustomEmojiController {
    let pool: MariaDBPool
    let log: EventLog
    let limiter: RateLimiter
    /// Where pictures are decoded and shrunk (CPU work, shared with password hashing).
    let threadPool: NIOThreadPool

    /// An emoji's picture is at most 256 KiB as sent.
    static let maxBytes = 256 * 1024
    /// The largest picture kept: 128 pixels a side (messages draw them at about 22 CSS pixels,
    /// reactions at 16; twice that and more for sharp screens).
    static let side = 128
    /// The most custom emoji a site keeps.
    static let maxCount = 2_000

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/emoji", use: list)
        router.post("/api/emoji", use: add)
        router.get("/api/emoji/:name", use: picture)
        router.delete("/api/emoji/:name", use: delete)
    }

    static let notFound = ParleyError(.notFound, "emoji_not_found", "No custom emoji has this name.")
    static let invalidPicture = ParleyError.invalid(
        "invalid_emoji", "A custom emoji is a PNG, JPEG, GIF or WebP image of at most \(maxBytes) bytes that decodes.")
    static let tooLarge = ParleyError(.contentTooLarge, "payload_too_large", "A custom emoji's picture is at most \(ReadableSize.of(maxBytes)).")
    /// libgd decodes a WebP's first picture only when it has one: an animated WebP does not decode.
    static let animatedWebP = ParleyError.invalid(
        "invalid_emoji", "An animated WebP cannot be read here: send the animation as a GIF, or a still WebP.")

    /// A name: 2–30 of a–z, 0–9, `_`, `-` and `+` (as Slack's), so that `:name:` fits a reaction.
    /// Capitals are taken as small letters.
    static func validateName(_ text: String) throws -> String {
        let name = text.lowercased()
        guard (2...30).contains(name.utf8.count), name.utf8.allSatisfy(isNameByte) else {
            throw ParleyError.invalid("invalid_emoji_name", "An emoji's name is 2–30 characters: letters a–z, digits, _, - and +.")
        }
        return name
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
    }

    /// The name in a reaction written `:name:`, or nil when it is not one.
    static func reactionName(_ emoji: String) -> String? {
        guard emoji.utf8.count >= 4, emoji.hasPrefix(":"), emoji.hasSuffix(":") else { return nil }
        let name = String(emoji.dropFirst().dropLast())
        guard (2...30).contains(name.utf8.count), name.utf8.allSatisfy(isNameByte) else { return nil }
        return name
    }

    struct EmojiView: Encodable, Sendable {
        let name: String
        /// The picture; the version in the query changes with it, so it may be cached for good.
        let url: String
        let createdBy: UserSummary
        let createdAt: Date

        init(row: MariaDBRow) throws {
            name = try row.decode("name")
            url = "/api/emoji/\(name)?v=\(try row.decode("version", as: String.self))"
            createdBy = try UserSummary(row: row, prefix: "by_")
            createdAt = try row.decode("created_at")
        }
    }

    static let columns = """
        e.name, e.version, e.created_at, u.id AS by_id, u.username AS by_username, u.display_name AS by_display_name, u.avatar AS by_avatar
        FROM custom_emoji e JOIN users u ON u.id = e.created_by
        """

    struct EmojiAnswer: ResponseEncodable {
        let emoji: EmojiView
    }

    struct EmojiList: ResponseEncodable {
        let emoji: [EmojiView]
    }

    struct AddedEvent: Encodable {
        let emoji: EmojiView
    }

    struct RemovedEvent: Encodable {
        let name: String
    }

    /// What is stored: the picture drawn anew to fit `side` pixels (never enlarged), turned as its
    /// EXIF says, as WebP, so nothing but its pixels goes to everyone (as for avatars). A GIF already
    /// that small is kept as sent, so that an animation keeps moving. Nil when it does not decode.
    static func stored(_ bytes: [UInt8], _ info: ImageInfo) -> (type: String, data: [UInt8])? {
        guard let made = Thumbnails.make(bytes, info, box: side) else { return nil }
        if info.format == .gif && info.width <= side && info.height <= side { return (AvatarController.contentType(info.format), bytes) }
        return (Thumbnails.contentType, made.data)
    }

    /// [customEmoji] The site's custom emoji, by name.
    func list(request: Request, context: AppRequestContext) async throws -> EmojiList {
        _ = try context.requireSession()
        let rows = try await pool.query("SELECT \(Self.columns) ORDER BY e.name", [])
        return EmojiList(emoji: try rows.map(EmojiView.init(row:)))
    }

    /// [addEmoji] `?name=`, and the body is the picture (PNG, JPEG, GIF or WebP, at most 256 KiB);
    /// 201 with the emoji. Everyone gets `emoji.added`.
    func add(request: Request, context: AppRequestContext) async throws -> EditedResponse<EmojiAnswer> {
        let session = try context.requireSession()
        let name = try Self.validateName(request.query.get("name").map { String($0) } ?? "")
        if session.user.siteRole != .admin, try await SiteSettings.load(pool).customEmoji == .admins { throw SiteSettings.emojiForAdmins }
        let (sent, info) = try await request.picture(maxBytes: Self.maxBytes, tooLarge: Self.tooLarge, invalid: Self.invalidPicture)
        try limiter.consume(String(session.user.id))
        guard let (type, bytes) = try await threadPool.runIfActive({ Self.stored(sent, info) }) else {
            throw Thumbnails.isAnimatedWebP(sent) ? Self.animatedWebP : Self.invalidPicture
        }
        let userID = session.user.id
        let emoji = try await log.transaction { c, events in
            // Counted under a lock on the newest row's gap, so two adders at once cannot pass the limit together.
            let count = try c.query("SELECT COUNT(*) AS n FROM custom_emoji FOR UPDATE", [])[0].decode("n", as: Int64.self)
            guard count < Self.maxCount else {
                throw ParleyError(.conflict, "too_many_emoji", "The site has \(Self.maxCount) custom emoji, the most it keeps: delete one first.")
            }
            let id: UInt64
            do {
                id = try c.execute(
                    "INSERT INTO custom_emoji (name, content_type, data, version, created_by, created_at) VALUES (?, ?, ?, ?, ?, NOW(3))",
                    [name, type, bytes, AvatarController.version(bytes), userID]
                ).lastInsertID
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw ParleyError(.conflict, "emoji_name_taken", "A custom emoji has this name already.")
            }
            let emoji = try EmojiView(row: try c.query("SELECT \(Self.columns) WHERE e.id = ?", [id])[0])
            try events.append(EventType.emojiAdded, payload: AddedEvent(emoji: emoji))
            return emoji
        }
        return EditedResponse(status: .created, response: EmojiAnswer(emoji: emoji))
    }

    /// [deleteEmoji] Whoever added it, or a site admin (recorded in the site log when it was
    /// someone else's). Messages keep their `:name:` text and reactions their name; clients then
    /// show the name. Everyone gets `emoji.removed`.
    func delete(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        guard let name = Self.pathName(context) else { throw Self.notFound }
        let user = session.user
        try await log.transaction { c, events in
            guard let row = try c.query("SELECT id, created_by FROM custom_emoji WHERE name = ? FOR UPDATE", [name]).first else {
                throw Self.notFound
            }
            let creator = try row.decode("created_by", as: Int64.self)
            guard creator == user.id || user.siteRole == .admin else {
                throw ParleyError(.forbidden, "forbidden", "Only whoever added a custom emoji, or a site admin, deletes it.")
            }
            try c.execute("DELETE FROM custom_emoji WHERE id = ?", [try row.decode("id", as: Int64.self)])
            if creator != user.id { try ModerationService.record(c, room: nil, actor: user.id, action: "delete_emoji", user: creator, reason: name) }
            try events.append(EventType.emojiRemoved, payload: RemovedEvent(name: name))
        }
        return .noContent
    }

    /// The `{name}` of the path, percent-decoded (a `+` in a name comes as `%2B` from a client's
    /// `encodeURIComponent`, as reactions' emoji do) and lowercased: names are kept lowercased, so
    /// any case finds one. Nil for what no name could be (the ASCII column would refuse it: a 500).
    static func pathName(_ context: AppRequestContext) -> String? {
        guard let name = context.parameters.get("name").flatMap({ $0.removingPercentEncoding })?.lowercased(),
            (try? validateName(name)) != nil
        else { return nil }
        return name
    }

    /// [emojiPicture] The picture, for any logged-in user. With `?v=` naming the current version
    /// (as `url` does) it may be cached for good; otherwise it is revalidated (`ETag`).
    func picture(request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireSession()
        guard let name = Self.pathName(context) else { throw Self.notFound }
        guard let row = try await pool.query("SELECT content_type, data, version FROM custom_emoji WHERE name = ?", [name]).first else {
            throw Self.notFound
        }
        return try AvatarController.pictureResponse(
            request, type: try row.decode("content_type"), version: try row.decode("version"), data: { try row.decode("data") })
    }
}
