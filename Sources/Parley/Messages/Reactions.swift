import Foundation
import MariaDB

/// One emoji's reactions on a message: who reacted with it, in the order they did.
public struct ReactionSummary: Codable, Sendable, Equatable {
    public let emoji: String
    public let count: Int
    public let userIds: [Int64]

    /// The summary stored in `messages.reaction_summary` (written by `ReactionSummary.encodeList`).
    static func decodeList(_ text: String) throws -> [ReactionSummary] {
        try ParleyJSON.decoder().decode([ReactionSummary].self, from: Data(text.utf8))
    }

    static func encodeList(_ list: [ReactionSummary]) throws -> String? {
        list.isEmpty ? nil : String(decoding: try ParleyJSON.encoder().encode(list), as: UTF8.self)
    }
}

/// Which strings are reactions: one emoji, as one user-perceived character.
enum ReactionEmoji {
    /// At most this many distinct emoji on one message.
    static let maxPerMessage = 20
    /// Bytes of UTF-8 in one reaction (the longest family and flag sequences fit).
    static let maxBytes = 32

    static let invalid = ParleyError.invalid(
        "invalid_reaction", "A reaction is one emoji (percent-encoded in the path), such as %F0%9F%91%8D for a thumbs up.")

    /// The emoji from a path segment (percent-encoded or raw UTF-8), or `invalid_reaction`.
    static func parse(_ segment: String) throws -> String {
        guard let emoji = segment.removingPercentEncoding, isEmoji(emoji) else { throw invalid }
        return emoji
    }

    /// One character that is drawn as an emoji: an emoji-presentation character, a text-default one
    /// with the emoji variation selector, a keycap, or a sequence (flag, skin tone, ZWJ) of these.
    static func isEmoji(_ text: String) -> Bool {
        guard text.count == 1, (1...maxBytes).contains(text.utf8.count), let first = text.unicodeScalars.first else { return false }
        let scalars = text.unicodeScalars
        if scalars.contains("\u{20E3}") { return "0123456789#*".unicodeScalars.contains(first) }
        guard first.properties.isEmoji, first.value > 0x7F else { return false }
        return first.properties.isEmojiPresentation || scalars.contains("\u{FE0F}") || scalars.count > 1
    }
}

extension MessageService {
    /// What a reaction call answers: the message's reactions after it.
    struct Reactions: Sendable {
        let messageID: Int64
        let reactions: [ReactionSummary]
    }

    struct ReactionEvent: Encodable {
        let roomId: Int64
        let messageId: Int64
        let emoji: String
        let user: UserSummary
        let reactions: [ReactionSummary]
    }

    /// [react] Adds the user's reaction; adding it again changes nothing. Members who may post.
    func react(user: User, messageID: Int64, emoji: String) async throws -> Reactions {
        try await changeReaction(user: user, messageID: messageID, emoji: emoji, adding: true)
    }

    /// [unreact] Takes the user's reaction back; taking back one that is not there changes nothing.
    func unreact(user: User, messageID: Int64, emoji: String) async throws -> Reactions {
        try await changeReaction(user: user, messageID: messageID, emoji: emoji, adding: false)
    }

    /// One transaction: the message row locked (so concurrent reactions to it apply one after the
    /// other and each writes a summary that includes the ones before), the reaction row, the
    /// rewritten summary and the event.
    private func changeReaction(user: User, messageID: Int64, emoji: String, adding: Bool) async throws -> Reactions {
        try await log.transaction { c, events in
            let message = try memberMessage(c, id: messageID, userID: user.id, forUpdate: true)
            guard !message.deleted else { throw ParleyError(.conflict, "message_deleted", "A deleted message takes no reactions.") }
            try canPost(c, message.roomId, user.id)
            let changed: Bool
            if adding {
                let present = message.reactions.contains { $0.emoji == emoji }
                guard present || message.reactions.count < ReactionEmoji.maxPerMessage else {
                    throw ParleyError(
                        .conflict, "too_many_reactions", "A message takes at most \(ReactionEmoji.maxPerMessage) different emoji.")
                }
                changed =
                    try c.execute(
                        "INSERT IGNORE INTO reactions (message_id, emoji, user_id, created_at) VALUES (?, ?, ?, NOW(3))", [messageID, emoji, user.id]
                    ).affectedRows == 1
            } else {
                changed =
                    try c.execute("DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?", [messageID, emoji, user.id])
                    .affectedRows == 1
            }
            guard changed else { return Reactions(messageID: messageID, reactions: message.reactions) }
            let reactions = try Self.summarize(c, messageID: messageID)
            try c.execute("UPDATE messages SET reaction_summary = ? WHERE id = ?", [try ReactionSummary.encodeList(reactions), messageID])
            try events.append(
                adding ? EventType.reactionAdded : EventType.reactionRemoved, roomID: message.roomId,
                payload: ReactionEvent(roomId: message.roomId, messageId: messageID, emoji: emoji, user: UserSummary(user), reactions: reactions))
            return Reactions(messageID: messageID, reactions: reactions)
        }
    }

    /// A message's reactions from its rows: each emoji in the order it was first used, its users in
    /// the order they reacted.
    static func summarize(_ c: MariaDBConnection, messageID: Int64) throws -> [ReactionSummary] {
        let rows = try c.query(
            "SELECT emoji, user_id FROM reactions WHERE message_id = ? ORDER BY created_at, user_id, emoji", [messageID])
        var order: [String] = []
        var users: [String: [Int64]] = [:]
        for row in rows {
            let emoji: String = try row.decode("emoji")
            if users[emoji] == nil { order.append(emoji) }
            users[emoji, default: []].append(try row.decode("user_id"))
        }
        return order.map { ReactionSummary(emoji: $0, count: users[$0]!.count, userIds: users[$0]!) }
    }
}
