import Foundation
import MariaDB

/// One emoji's reactions on a message: how many, and the first who reacted with it, in the order
/// they did.
public struct ReactionSummary: Codable, Sendable, Equatable {
    public let emoji: String
    public let count: Int
    /// The first `maxListed` who reacted with it: a popular message in a big room stays small in
    /// every read and event (and within its column).
    public let userIds: [Int64]

    static let maxListed = 100

    /// The summary stored in `messages.reaction_summary` (written by `ReactionSummary.encodeList`).
    static func decodeList(_ text: String) throws -> [ReactionSummary] {
        try ParleyJSON.decoder().decode([ReactionSummary].self, from: Data(text.utf8))
    }

    static func encodeList(_ list: [ReactionSummary]) throws -> String? {
        list.isEmpty ? nil : String(decoding: try ParleyJSON.encoder().encode(list), as: UTF8.self)
    }
}

/// Which strings are reactions: one emoji, as one user-perceived character, or a custom emoji's
/// name between colons (`:party_parrot:`).
enum ReactionEmoji {
    /// At most this many distinct emoji on one message.
    static let maxPerMessage = 20
    /// Bytes of UTF-8 in one reaction: the longest emoji fit (a kiss or a couple with two skin
    /// tones is 35; families 25, subdivision flags 28). The columns hold 32 characters, not bytes.
    static let maxBytes = 40

    static let invalid = ParleyError.invalid(
        "invalid_reaction",
        "A reaction is one emoji (percent-encoded in the path), such as %F0%9F%91%8D for a thumbs up, or a custom emoji's :name:.")

    /// The emoji from a path segment (percent-encoded or raw UTF-8) in its one spelling
    /// (`canonical`), or `invalid_reaction`.
    static func parse(_ segment: String) throws -> String {
        guard let sent = segment.removingPercentEncoding else { throw invalid }
        // Custom emoji names are lower case, and read so whatever the case sent (as `GET /api/emoji/{name}`).
        if let name = CustomEmojiController.reactionName(sent.lowercased()) { return ":\(name):" }
        let emoji = canonical(sent)
        guard isEmoji(emoji) else { throw invalid }
        return emoji
    }

    /// One spelling for an emoji however its variation selectors were written, so that 👍, 👍 with
    /// U+FE0F and ❤ with two of them are each one reaction, not several chips that look alike: every
    /// selector is dropped (U+FE0E asks for text, which a reaction is not), then U+FE0F follows each
    /// emoji character that is text by default and not before a skin tone, which is Unicode's
    /// fully-qualified form (❤️, ☝🏻, 🏳️‍🌈, 1️⃣).
    static func canonical(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars.filter { $0 != "\u{FE0E}" && $0 != "\u{FE0F}" })
        var spelled = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            spelled.append(scalar)
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            if scalar.properties.isEmoji, !scalar.properties.isEmojiPresentation, next?.properties.isEmojiModifier != true {
                spelled.append("\u{FE0F}")
            }
        }
        return String(spelled)
    }

    /// One character that is drawn as an emoji: an emoji-presentation character, a text-default one
    /// with the emoji variation selector, a keycap, or a sequence (flag, skin tone, ZWJ) of these.
    static func isEmoji(_ text: String) -> Bool {
        guard text.count == 1, (1...maxBytes).contains(text.utf8.count), let first = text.unicodeScalars.first else { return false }
        let scalars = text.unicodeScalars
        if scalars.contains("\u{20E3}") { return "0123456789#*".unicodeScalars.contains(first) }
        guard first.properties.isEmoji, first.value > 0x7F else { return false }
        let list = Array(scalars)
        // A flag is two regional indicators; one alone is a letter, not an emoji.
        func isRegionalIndicator(_ s: Unicode.Scalar) -> Bool { (0x1F1E6...0x1F1FF).contains(s.value) }
        if isRegionalIndicator(first) { return list.count == 2 && isRegionalIndicator(list[1]) }
        // A skin tone changes the emoji before it: alone, or after another, it is none.
        guard !first.properties.isEmojiModifier, !zip(list, list.dropFirst()).contains(where: { $0.properties.isEmojiModifier && $1.properties.isEmojiModifier })
        else { return false }
        // And only an emoji that takes one (a person, a hand): 😀🏽 or ❤🏽 drew the emoji and then a
        // swatch of colour, a chip apart from the emoji's own (a hunt).
        for (index, scalar) in list.enumerated() where scalar.properties.isEmojiModifier {
            guard let base = list[..<index].last(where: { $0 != "\u{FE0F}" }), base.properties.isEmojiModifierBase else { return false }
        }
        // A joiner joins two emoji: one at the end (or before anything else) drew the same emoji as
        // without it, a second chip that looked like the first (a hunt).
        guard list.last != "\u{200D}", !zip(list, list.dropFirst()).contains(where: { $0 == "\u{200D}" && !$1.properties.isEmoji }) else { return false }
        return first.properties.isEmojiPresentation || scalars.contains("\u{FE0F}") || scalars.count > 1
    }
}

extension MessageService {
    /// What a reaction call answers: the message's reactions after it, and the emoji the caller
    /// has on it.
    struct Reactions: Sendable {
        let messageID: Int64
        let reactions: [ReactionSummary]
        let mine: [String]
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
        let roomID = try await roomOf(messageID: messageID)
        return try await log.transaction { c, events in
            let message = try heldMemberMessage(c, id: messageID, roomID: roomID, userID: user.id)
            guard !message.deleted else { throw ParleyError(.conflict, "message_deleted", "A deleted message takes no reactions.") }
            // A muted member may take a reaction back (as they may delete their messages), not add one.
            try canReact(c, message.roomId, user.id, adding)
            try RoomStore.checkPostableHeld(c, roomID: roomID, userID: user.id, policy: false, mute: adding)
            let changed: Bool
            var emoji = emoji
            if adding {
                let present = message.reactions.contains { $0.emoji == emoji }
                // A custom emoji new to the message must exist (one already there may be joined after its deletion).
                if !present, let name = CustomEmojiController.reactionName(emoji),
                    try c.query("SELECT id FROM custom_emoji WHERE name = ?", [name]).isEmpty
                {
                    throw ParleyError.invalid("unknown_emoji", "No custom emoji is named \(emoji).")
                }
                guard present || message.reactions.count < ReactionEmoji.maxPerMessage else {
                    throw ParleyError(
                        .conflict, "too_many_reactions", "A message takes at most \(ReactionEmoji.maxPerMessage) different emoji.")
                }
                changed =
                    try c.execute(
                        "INSERT IGNORE INTO reactions (message_id, emoji, user_id, created_at) VALUES (?, ?, ?, NOW(3))", [messageID, emoji, user.id]
                    ).affectedRows == 1
            } else {
                // Reactions kept from before spellings were made one (`ReactionEmoji.canonical`) go
                // too, whichever of their spellings is asked for; the event names the one stored.
                let spellings = try c.query("SELECT emoji FROM reactions WHERE message_id = ? AND user_id = ?", [messageID, user.id])
                    .map { try $0.decode("emoji", as: String.self) }
                    .filter { $0 == emoji || ReactionEmoji.canonical($0) == emoji }
                var removed = 0
                for spelling in spellings {
                    removed += Int(try c.execute("DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?", [messageID, spelling, user.id]).affectedRows)
                }
                changed = removed > 0
                emoji = spellings.first ?? emoji
            }
            guard changed else {
                return Reactions(messageID: messageID, reactions: message.reactions, mine: try Self.mine(c, messageID, user.id, message.reactions))
            }
            let reactions = try Self.summarize(c, messageID: messageID)
            try c.execute("UPDATE messages SET reaction_summary = ? WHERE id = ?", [try ReactionSummary.encodeList(reactions), messageID])
            try events.append(
                adding ? EventType.reactionAdded : EventType.reactionRemoved, roomID: message.roomId,
                payload: ReactionEvent(roomId: message.roomId, messageId: messageID, emoji: emoji, user: UserSummary(user), reactions: reactions))
            return Reactions(messageID: messageID, reactions: reactions, mine: try Self.mine(c, messageID, user.id, reactions))
        }
    }

    /// The emoji `userID` reacted to a message with, in the order of its summary.
    private static func mine(_ c: MariaDBConnection, _ messageID: Int64, _ userID: Int64, _ reactions: [ReactionSummary]) throws -> [String] {
        let rows = try c.query("SELECT emoji FROM reactions WHERE message_id = ? AND user_id = ?", [messageID, userID])
        let used = Set(try rows.map { try $0.decode("emoji", as: String.self) })
        return reactions.map(\.emoji).filter(used.contains)
    }

    /// For a reader of `messages`: `myReactions` on those whose lists of reactors are cut short
    /// (where the reader may be past the listed ones), from one query for them all.
    static func markingMine(_ c: MariaDBConnection, _ messages: [MessageView], userID: Int64) throws -> [MessageView] {
        let cut = messages.filter { $0.reactions.contains { $0.count > $0.userIds.count } }.map(\.id)
        guard !cut.isEmpty else { return messages }
        let marks = Array(repeating: "?", count: cut.count).joined(separator: ", ")
        var used: [Int64: Set<String>] = [:]
        for row in try c.query("SELECT message_id, emoji FROM reactions WHERE user_id = ? AND message_id IN (\(marks))", [userID] + cut) {
            used[try row.decode("message_id"), default: []].insert(try row.decode("emoji"))
        }
        return messages.map { message in
            guard cut.contains(message.id) else { return message }
            var marked = message
            marked.myReactions = message.reactions.map(\.emoji).filter { used[message.id]?.contains($0) == true }
            return marked
        }
    }

    /// A message's reactions from its rows: each emoji in the order it was first used, its first
    /// `maxListed` users in the order they reacted.
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
        return order.map { ReactionSummary(emoji: $0, count: users[$0]!.count, userIds: Array(users[$0]!.prefix(ReactionSummary.maxListed))) }
    }
}
