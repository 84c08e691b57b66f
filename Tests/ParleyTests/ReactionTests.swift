import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Testing

@testable import Parley

/// Reactions: adding and taking back, what every read of a message shows, their events, and the
/// limits and refusals.
@Suite struct ReactionTests {
    static let thumbs = "%F0%9F%91%8D"  // 👍
    static let heart = "%E2%9D%A4%EF%B8%8F"  // ❤️

    static func react(_ client: any TestClientProtocol, _ user: LoggedIn, _ message: Int64, _ emoji: String, add: Bool = true) async throws
        -> TestResponse
    {
        try await client.send(add ? .put : .delete, "/api/messages/\(message)/reactions/\(emoji)", headers: user.bearer)
    }

    /// `[emoji: user ids]` in the order of the list, from a `reactions` array.
    static func summary(_ value: JSON?) -> [String] {
        (value?.array ?? []).map { reaction in
            let users = (reaction["user_ids"]?.array ?? []).compactMap(\.int).map(String.init).joined(separator: ",")
            return "\(reaction["emoji"]?.string ?? "?")×\(reaction["count"]?.int ?? -1):\(users)"
        }
    }

    @Test func reactionsAreAddedTakenBackAndShownWithTheMessage() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let message = try await MessageTests.say(client, alice, room: 1, "hello")
            let eventsBefore = try parley.count("events", where: "type <> 'receipt'")

            let first = try await Self.react(client, bob, message, Self.thumbs)
            #expect(first.status == .ok)
            #expect(try first.json().keys == ["message_id", "reactions", "my_reactions"])
            #expect(try first.json()["my_reactions"] == .array([.string("👍")]))
            #expect(try Self.summary(first.json()["reactions"]) == ["👍×1:\(bob.id)"])
            _ = try await Self.react(client, alice, message, Self.heart)
            // Raw UTF-8 in the path works as well as percent-encoding.
            let third = try await Self.react(client, alice, message, "👍")
            #expect(try Self.summary(third.json()["reactions"]) == ["👍×2:\(bob.id),\(alice.id)", "❤️×1:\(alice.id)"])
            // Adding one's reaction again changes nothing and tells nobody.
            let again = try await Self.react(client, bob, message, Self.thumbs)
            #expect(again.status == .ok)
            #expect(try Self.summary(again.json()["reactions"]) == ["👍×2:\(bob.id),\(alice.id)", "❤️×1:\(alice.id)"])
            #expect(try parley.count("events", where: "type <> 'receipt'") == eventsBefore + 3)

            // Every read of the message carries them: history, the message itself.
            let history = try await MessageTests.history(client, bob, room: 1)
            let shown = try history.json()["messages"]?.array?.first { $0["id"]?.int == message }
            #expect(Self.summary(shown?["reactions"]) == ["👍×2:\(bob.id),\(alice.id)", "❤️×1:\(alice.id)"])
            // Every reactor is listed, so reads need not say which are the reader's.
            #expect(shown?["my_reactions"] == nil)
            let single = try await client.send(.get, "/api/messages/\(message)", headers: bob.bearer).json()
            #expect(Self.summary(single["message"]?["reactions"]) == ["👍×2:\(bob.id),\(alice.id)", "❤️×1:\(alice.id)"])

            // The order is that of the reactions still there: alice's ❤️ came before her 👍.
            let removed = try await Self.react(client, bob, message, Self.thumbs, add: false)
            #expect(removed.status == .ok)
            #expect(try Self.summary(removed.json()["reactions"]) == ["❤️×1:\(alice.id)", "👍×1:\(alice.id)"])
            #expect(try removed.json()["my_reactions"] == .array([]))
            let removedAgain = try await Self.react(client, bob, message, Self.thumbs, add: false)
            #expect(try Self.summary(removedAgain.json()["reactions"]) == ["❤️×1:\(alice.id)", "👍×1:\(alice.id)"])
            _ = try await Self.react(client, alice, message, Self.heart, add: false)
            #expect(try parley.count("events", where: "type <> 'receipt'") == eventsBefore + 5)

            // The events: to the room, with everything a client needs to redraw the message.
            let events = try parley.query("SELECT type, room_id, payload FROM events WHERE id > 0 AND type LIKE 'reaction.%' ORDER BY id")
            #expect(try events.map { try $0.decode("type", as: String.self) } == [
                "reaction.added", "reaction.added", "reaction.added", "reaction.removed", "reaction.removed",
            ])
            #expect(try events.allSatisfy { try $0.decode("room_id", as: Int64.self) == 1 })
            let last = try JSONDecoder().decode(JSON.self, from: Data(try events[4].decode("payload", as: String.self).utf8))
            #expect(last.keys == ["room_id", "message_id", "emoji", "user", "reactions"])
            #expect(last["message_id"]?.int == message)
            #expect(last["emoji"]?.string == "❤️")
            #expect(last["user"]?["id"]?.int == alice.id)
            #expect(Self.summary(last["reactions"]) == ["👍×1:\(alice.id)"])
            #expect(try parley.count("reactions") == 1)
        }
    }

    @Test func aPopularReactionListsItsFirstHundredAndTellsReadersTheirOwn() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let room = try await MessageTests.room(client, alice, #"{"name":"stage"}"#, members: [bob])
            let quiet = try await MessageTests.say(client, alice, room: room, "quiet")
            let popular = try await MessageTests.say(client, alice, room: room, "popular")
            _ = try await Self.react(client, alice, quiet, Self.heart)
            // 150 others reacted 👍 first (rows written directly: the summary is rewritten with the next change).
            for n in 0..<150 {
                try parley.execute(
                    "INSERT INTO users (username, display_name, password_hash, created_at) VALUES (?, ?, 'x', NOW(3))", ["fan\(n)", "Fan \(n)"])
                try parley.execute(
                    """
                    INSERT INTO reactions (message_id, emoji, user_id, created_at)
                    SELECT ?, '👍', id, NOW(3) - INTERVAL 1 MINUTE FROM users WHERE username = ?
                    """, [popular, "fan\(n)"])
            }
            let fans = try parley.query("SELECT user_id FROM reactions WHERE message_id = ? ORDER BY created_at, user_id", [popular])
                .map { try $0.decode("user_id", as: Int64.self) }
            let answer = try await Self.react(client, bob, popular, Self.thumbs)
            #expect(answer.status == .ok)
            let thumbs = try #require(try answer.json()["reactions"]?[0])
            #expect(thumbs["count"]?.int == 151)
            #expect(thumbs["user_ids"]?.array?.compactMap(\.int) == Array(fans.prefix(100)))
            #expect(try answer.json()["my_reactions"] == .array([.string("👍")]))
            _ = try await Self.react(client, bob, popular, Self.heart)

            // Reads tell each reader which emoji are theirs on that message (bob is past the first 100).
            let forBob = try await MessageTests.history(client, bob, room: room).json()["messages"]?.array ?? []
            #expect(forBob.first { $0["id"]?.int == popular }?["my_reactions"] == .array([.string("👍"), .string("❤️")]))
            #expect(forBob.first { $0["id"]?.int == quiet }?.keys.contains("my_reactions") == false)
            let forAlice = try await MessageTests.history(client, alice, room: room).json()["messages"]?.array ?? []
            #expect(forAlice.first { $0["id"]?.int == popular }?["my_reactions"] == .array([]))
            let single = try await client.send(.get, "/api/messages/\(popular)", headers: bob.bearer).json()["message"]
            #expect(single?["my_reactions"] == .array([.string("👍"), .string("❤️")]))
            let window = try await MessageTests.history(client, bob, room: room, "?around=\(popular)&limit=3").json()["messages"]?.array ?? []
            #expect(window.first { $0["id"]?.int == popular }?["my_reactions"] == .array([.string("👍"), .string("❤️")]))
            let found = try await client.send(.get, "/api/search?q=popular", headers: bob.bearer).json()["messages"]?[0]
            #expect(found?["my_reactions"] == .array([.string("👍"), .string("❤️")]))
            let pinned = try await client.send(.post, "/api/rooms/\(room)/pins", json: #"{"message_id":\#(popular)}"#, headers: alice.bearer)
            #expect(pinned.status == .created)
            let pin = try await client.send(.get, "/api/rooms/\(room)/pins", headers: bob.bearer).json()["pins"]?[0]?["message"]
            #expect(pin?["my_reactions"] == .array([.string("👍"), .string("❤️")]))

            // Events are the same for everyone: the capped list, and who changed what.
            let event = try parley.query("SELECT payload FROM events WHERE type = 'reaction.added' ORDER BY id DESC LIMIT 1")[0]
            let payload = try JSONDecoder().decode(JSON.self, from: Data(try event.decode("payload", as: String.self).utf8))
            #expect(payload["user"]?["id"]?.int == bob.id && payload["emoji"]?.string == "❤️")
            #expect(payload["reactions"]?[0]?["user_ids"]?.array?.count == 100)
            #expect(payload.keys.contains("my_reactions") == false)

            let taken = try await Self.react(client, bob, popular, Self.thumbs, add: false)
            #expect(try taken.json()["reactions"]?[0]?["count"]?.int == 150)
            #expect(try taken.json()["my_reactions"] == .array([.string("❤️")]))
        }
    }

    @Test func reactionsAreCheckedAndLimited() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let message = try await MessageTests.say(client, alice, room: 1, "hello")
            // …and a lone regional indicator (🇫), a lone skin tone (🏻), a thumbs up with two skin tones.
            for bad in [
                "a", "%F0%9F%91%8D%F0%9F%91%8D", "%FF", "1", "%EF%B8%8F", "hello", "%20", String(repeating: "%F0%9F%91%8D", count: 9),
                "%F0%9F%87%AB", "%F0%9F%8F%BB", "%F0%9F%91%8D%F0%9F%8F%BD%F0%9F%8F%BD",
            ] {
                try await Self.react(client, bob, message, bad).expectError(.unprocessableContent, "invalid_reaction")
            }
            try await Self.react(client, bob, 999_999, Self.thumbs).expectError(.notFound, "message_not_found")
            try await client.send(.put, "/api/messages/0/reactions/\(Self.thumbs)", headers: bob.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.put, "/api/messages/\(message)/reactions/\(Self.thumbs)").expectError(.unauthorized, "unauthenticated")

            // The longest emoji, a kiss with two skin tones (35 bytes), is one (a hunt found it over the
            // 32-byte cap); seven people joined into one character (46 bytes) are over the 40-byte one.
            let kiss = "👩🏻\u{200D}❤️\u{200D}💋\u{200D}👨🏼"
            let other = try await MessageTests.say(client, alice, room: 1, "us")
            let kissed = try await Self.react(client, bob, other, kiss)
            #expect(kissed.status == .ok, "\(String(buffer: kissed.body))")
            #expect(try kissed.json()["reactions"]?[0]?["emoji"] == .string(kiss))
            #expect(try await client.send(.get, "/api/messages/\(other)", headers: alice.bearer).json()["message"]?["reactions"]?[0]?["emoji"] == .string(kiss))
            let crowd = Array(repeating: "👩", count: 7).joined(separator: "\u{200D}")
            #expect(crowd.count == 1 && crowd.utf8.count == 46)
            try await Self.react(client, bob, other, crowd).expectError(.unprocessableContent, "invalid_reaction")

            // At most 20 different emoji; more of one already there is fine.
            let twenty = (0..<20).map { String(UnicodeScalar(0x1F600 + $0)!) }
            for emoji in twenty { #expect(try await Self.react(client, bob, message, emoji).status == .ok) }
            try await Self.react(client, bob, message, "%F0%9F%8E%89").expectError(.conflict, "too_many_reactions")
            #expect(try await Self.react(client, alice, message, twenty[0]).status == .ok)
            #expect(try parley.count("reactions") == 22)

            // A deleted message loses its reactions and takes no new ones.
            #expect(try await client.send(.delete, "/api/messages/\(message)", headers: alice.bearer).status == .noContent)
            try await Self.react(client, bob, message, Self.thumbs).expectError(.conflict, "message_deleted")
            #expect(try parley.count("reactions", where: "message_id = \(message)") == 0)
            let tombstone = try await client.send(.get, "/api/messages/\(message)", headers: bob.bearer).json()
            #expect(tombstone["message"]?["reactions"] == .array([]))
        }
    }

    /// An emoji written with or without its variation selectors is one reaction, stored in
    /// Unicode's fully-qualified spelling; taking it back finds any spelling, older rows' too.
    @Test func anEmojiHasOneSpelling() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let message = try await MessageTests.say(client, alice, room: 1, "hello")
            // 👍, 👍 + U+FE0F, 👍 + U+FE0E: one reaction of bob's.
            for spelling in [Self.thumbs, Self.thumbs + "%EF%B8%8F", Self.thumbs + "%EF%B8%8E"] {
                #expect(try await Self.react(client, bob, message, spelling).status == .ok)
            }
            // ❤ alone, ❤ with two selectors, ❤️: one chip.
            #expect(try await Self.react(client, bob, message, "%E2%9D%A4").status == .ok)
            let last = try await Self.react(client, alice, message, "%E2%9D%A4%EF%B8%8F%EF%B8%8F")
            #expect(try last.json()["reactions"]?.array?.map { $0["emoji"]?.string ?? "" } == ["👍", "❤️"])
            #expect(try last.json()["reactions"]?[1]?["count"]?.int == 2)
            #expect(try parley.count("reactions") == 3)
            // A row kept from before (👍 + U+FE0F) goes when 👍 is taken back.
            try parley.execute("DELETE FROM reactions WHERE user_id = ? AND emoji = '👍'", [bob.id])
            try parley.execute("INSERT INTO reactions (message_id, emoji, user_id, created_at) VALUES (?, ?, ?, NOW(3))", [message, "👍\u{FE0F}", bob.id])
            #expect(try await Self.react(client, bob, message, Self.thumbs, add: false).status == .ok)
            #expect(try parley.count("reactions", where: "user_id = \(bob.id)") == 1)
            #expect(try await Self.react(client, bob, message, "%E2%9D%A4", add: false).status == .ok)
            #expect(try parley.count("reactions", where: "user_id = \(bob.id)") == 0)
        }
        for (sent, spelled) in [
            ("👍\u{FE0F}", "👍"), ("❤", "❤️"), ("❤\u{FE0E}", "❤️"), ("❤\u{FE0F}\u{FE0F}", "❤️"), ("☝\u{FE0F}🏻", "☝🏻"),
            ("🏳‍🌈", "🏳️‍🌈"), ("1⃣", "1️⃣"), ("👩‍👩‍👧‍👦", "👩‍👩‍👧‍👦"), ("🇫🇷", "🇫🇷"), ("🧑‍⚕", "🧑‍⚕️"),
        ] {
            #expect(ReactionEmoji.canonical(sent).unicodeScalars.map(\.value) == spelled.unicodeScalars.map(\.value), "\(sent)")
        }
    }

    @Test func whatCountsAsOneEmoji() {
        for emoji in ["👍", "❤️", "👍🏽", "👩‍👩‍👧‍👦", "🇫🇷", "1️⃣", "#️⃣", "🏳️‍🌈", "☝🏻", "😀", "☝\u{FE0F}🏻", "🧑🏻‍💻", "👩🏻\u{200D}❤️\u{200D}💋\u{200D}👨🏼",
                      "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}"] {
            #expect(ReactionEmoji.isEmoji(emoji), "\(emoji)")
        }
        for text in ["", "a", "1", "❤", "👍👍", "é", "日", "+1", ":thumbsup:", "\u{FE0F}", "👍 ", "©", "👍\u{200D}", "👍🏽\u{200D}", "❤️\u{200D}",
                     "👍\u{200D}\u{FE0F}", "👍\u{200D}\u{200D}👍",
                     // A skin tone on an emoji that takes none (a face, a heart, a star, a cat): a hunt.
                     "😀🏽", "❤🏽", "❤️🏽", "⭐🏽", "🐈🏽"] {
            #expect(!ReactionEmoji.isEmoji(text), "\(text)")
        }
    }
}
