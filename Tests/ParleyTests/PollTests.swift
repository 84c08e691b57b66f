import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// Polls: a message that asks, votes (one or several choices, changed or taken back), counts kept
/// in the message, events to the room, closing, and who may do what.
@Suite struct PollTests {
    static func create(_ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ json: String) async throws -> TestResponse {
        try await client.send(.post, "/api/rooms/\(room)/polls", json: json, headers: user.bearer)
    }

    static func vote(_ client: any TestClientProtocol, _ user: LoggedIn, _ message: Int64, _ options: [Int]) async throws -> TestResponse {
        try await client.send(.put, "/api/messages/\(message)/poll/votes", json: #"{"options":\#(options)}"#, headers: user.bearer)
    }

    static func counts(_ poll: JSON?) -> [Int64] { poll?["options"]?.array?.compactMap { $0["votes"]?.int } ?? [] }

    @Test func aPollIsAskedVotedOnAndClosed() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let made = try await Self.create(client, ann, room: 1, #"{"question":"Where do we eat?","options":[" Pizza ","Soup","Sushi"]}"#)
            #expect(made.status == .created, "\(String(buffer: made.body))")
            let message = try #require(try made.json()["message"])
            #expect(message.keys == MessageTests.messageKeys)
            #expect(message["text"] == .string("Where do we eat?"))
            let poll = try #require(message["poll"])
            #expect(poll.keys == ["options", "multiple", "closed", "voters"])
            #expect(poll["options"]?.array?.compactMap { $0["text"]?.string } == ["Pizza", "Soup", "Sushi"])
            #expect(poll["options"]?.array?.first?.keys == ["text", "votes", "voter_ids"])
            #expect(poll["multiple"] == .bool(false))
            #expect(poll["voters"]?.int == 0)
            let id = try #require(message["id"]?.int)

            // One choice each; changing it moves the vote; an empty list takes it back.
            let first = try await Self.vote(client, bob, id, [0])
            #expect(first.status == .ok, "\(String(buffer: first.body))")
            #expect(try first.json()["my_votes"] == .array([.number(0)]))
            #expect(Self.counts(try first.json()["poll"]) == [1, 0, 0])
            #expect(Self.counts(try await Self.vote(client, cat, id, [0]).json()["poll"]) == [2, 0, 0])
            let moved = try await Self.vote(client, cat, id, [2]).json()["poll"]
            #expect(Self.counts(moved) == [1, 0, 1])
            #expect(moved?["options"]?.array?[2]["voter_ids"] == .array([.number(Double(cat.id))]))
            #expect(moved?["voters"]?.int == 2)
            let two = try await Self.vote(client, bob, id, [0, 1])
            two.expectError(.unprocessableContent, "invalid_vote")
            #expect(try two.json()["error"]?["message"]?.string?.hasPrefix("This poll takes one choice") == true)
            // An index past the options is told as such, whatever the poll takes.
            let past = try await Self.vote(client, bob, id, [3])
            past.expectError(.unprocessableContent, "invalid_vote")
            #expect(try past.json()["error"]?["message"]?.string?.hasPrefix("options are indexes") == true)
            // More indexes than a poll has options, repeats or not (openapi's maxItems).
            try await Self.vote(client, bob, id, Array(repeating: 0, count: 11)).expectError(.unprocessableContent, "invalid_vote")
            #expect(Self.counts(try await Self.vote(client, cat, id, []).json()["poll"]) == [1, 0, 0])
            // The same vote again changes nothing and sends nothing.
            #expect(Self.counts(try await Self.vote(client, bob, id, [0]).json()["poll"]) == [1, 0, 0])

            // Reads carry the counts; the room heard each change (Ann too).
            let read = try await client.send(.get, "/api/messages/\(id)", headers: ann.bearer).json()["message"]
            #expect(Self.counts(read?["poll"]) == [1, 0, 0])
            let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let votes = events.filter { $0["type"] == .string("poll.voted") }.compactMap { $0["data"] }
            #expect(votes.compactMap { $0["user"]?["username"]?.string } == ["bob", "cat", "cat", "cat"])
            #expect(votes.compactMap { $0["votes"] } == [.array([.number(0)]), .array([.number(0)]), .array([.number(2)]), .array([])])
            #expect(votes.last?["message_id"]?.int == id)

            // Only the author (or a moderator) closes it; then it takes no votes.
            try await client.send(.post, "/api/messages/\(id)/poll/close", headers: bob.bearer).expectError(.forbidden, "forbidden")
            let closed = try await client.send(.post, "/api/messages/\(id)/poll/close", headers: ann.bearer)
            #expect(closed.status == .ok, "\(String(buffer: closed.body))")
            #expect(try closed.json()["poll"]?["closed"] == .bool(true))
            #expect(Self.counts(try closed.json()["poll"]) == [1, 0, 0])
            try await Self.vote(client, cat, id, [1]).expectError(.conflict, "poll_closed")
            #expect(try await client.send(.post, "/api/messages/\(id)/poll/close", headers: ann.bearer).status == .ok)
            let closings = try await client.send(.get, "/api/events?after=0&timeout=0", headers: bob.bearer).json()["events"]?.array?
                .filter { $0["type"] == .string("poll.closed") } ?? []
            #expect(closings.count == 1)
            #expect(closings.first?["data"]?["by"]?["id"]?.int == ann.id)

            // A plain message is not a poll; a deleted poll keeps no votes.
            let plain = try await MessageTests.say(client, ann, room: 1, "just words")
            try await Self.vote(client, bob, plain, [0]).expectError(.notFound, "poll_not_found")
            try await client.send(.post, "/api/messages/\(plain)/poll/close", headers: ann.bearer).expectError(.notFound, "poll_not_found")
            #expect(try await client.send(.delete, "/api/messages/\(id)", headers: ann.bearer).status == .noContent)
            #expect(try parley.count("poll_votes") == 0)
            #expect(try await client.send(.get, "/api/messages/\(id)", headers: bob.bearer).json()["message"]?["poll"] == .null)
        }
    }

    @Test func aPollOfSeveralChoicesCountsEachVoterOnce() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let made = try await Self.create(client, ann, room: 1, #"{"question":"Which days?","options":["Mon","Tue","Wed"],"multiple":true}"#)
            let id = try #require(try made.json()["message"]?["id"]?.int)
            let voted = try await Self.vote(client, bob, id, [2, 0, 0]).json()
            #expect(voted["my_votes"] == .array([.number(0), .number(2)]))
            #expect(Self.counts(voted["poll"]) == [1, 0, 1])
            #expect(voted["poll"]?["voters"]?.int == 1)
            let both = try await Self.vote(client, ann, id, [0, 1]).json()["poll"]
            #expect(Self.counts(both) == [2, 1, 1])
            #expect(both?["voters"]?.int == 2)
            // Keeping an option keeps one's place among its voters.
            _ = try await Self.vote(client, bob, id, [0, 1])
            #expect(try await Self.vote(client, bob, id, [0]).json()["poll"]?["options"]?.array?[0]["voter_ids"]
                == .array([.number(Double(bob.id)), .number(Double(ann.id))]))
        }
    }

    @Test func pollsAreChecked() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let secret = try await MessageTests.room(client, bob, #"{"name":"secret","kind":"group"}"#)
            for options in [#"["only one"]"#, #"["a","A"]"#, #"["a",""]"#, #"["a","\#(String(repeating: "x", count: 101))"]"#,
                            #"["ok\u0000","b"]"#, #"["a","\u001b[2J"]"#, #"["a\nb","c"]"#, #"["a\u007f","b"]"#,
                            // Options that show nothing (a soft hyphen, a direction override, a variation selector): a hunt.
                            #"["\u00ad","x"]"#, #"["\u202e","x"]"#, #"["\ufe0f","x"]"#, #"["\u3164","x"]"#, #"["\u2800 \u115f","x"]"#,
                            "[" + (1...11).map { #""o\#($0)""# }.joined(separator: ",") + "]"] {
                try await Self.create(client, ann, room: 1, #"{"question":"q?","options":\#(options)}"#)
                    .expectError(.unprocessableContent, "invalid_poll")
            }
            try await Self.create(client, ann, room: 1, #"{"question":"  ","options":["a","b"]}"#).expectError(.unprocessableContent, "invalid_text")
            try await Self.create(client, ann, room: 1, #"{"question":"q?"}"#).expectError(.badRequest, "invalid_request")
            try await Self.create(client, ann, room: secret, #"{"question":"q?","options":["a","b"]}"#).expectError(.notFound, "room_not_found")
            #expect(try parley.count("messages") == 0)
            // Outsiders and the muted do not vote.
            let hidden = try #require(
                try await Self.create(client, bob, room: secret, #"{"question":"q?","options":["a","b"]}"#).json()["message"]?["id"]?.int)
            try await Self.vote(client, ann, hidden, [0]).expectError(.notFound, "message_not_found")
            let owned = try await MessageTests.room(client, bob, #"{"name":"owned"}"#, members: [ann])
            let asked = try #require(
                try await Self.create(client, bob, room: owned, #"{"question":"q?","options":["a","b"]}"#).json()["message"]?["id"]?.int)
            // (A vote made before the mute.)
            #expect(try await Self.vote(client, ann, asked, [1]).status == .ok)
            let mute = try await client.send(.post, "/api/rooms/\(owned)/mutes", json: #"{"user_id":\#(ann.id)}"#, headers: bob.bearer)
            #expect(mute.status == .created)
            try await Self.vote(client, ann, asked, [0]).expectError(.forbidden, "muted")
            #expect(try parley.count("poll_votes") == 1)
            // The muted take their vote back, as they take back a reaction (it was refused, a hunt).
            #expect(try await Self.vote(client, ann, asked, []).status == .ok)
            #expect(try parley.count("poll_votes") == 0)
            try await Self.vote(client, ann, asked, [1]).expectError(.forbidden, "muted")
        }
    }

    /// A room's word filter reads a poll's options as it reads its question: refused, or masked.
    @Test func theWordFilterReadsThePollsOptions() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let room = try await MessageTests.room(client, ann, #"{"name":"clean"}"#)
            let put = { (json: String) in try await client.send(.put, "/api/rooms/\(room)/filter", json: json, headers: ann.bearer) }
            #expect(try await put(#"{"words":["badword"],"mode":"reject"}"#).status == .ok)
            try await Self.create(client, ann, room: room, #"{"question":"vote","options":["badword","fine"]}"#)
                .expectError(.unprocessableContent, "content_rejected")
            #expect(try parley.count("messages") == 0)
            #expect(try await put(#"{"words":["maskme"],"mode":"mask"}"#).status == .ok)
            let masked = try await Self.create(client, ann, room: room, #"{"question":"maskme q","options":["maskme now","fine"]}"#)
            #expect(masked.status == .created)
            let message = try masked.json()["message"]
            #expect(message?["text"]?.string == "****** q")
            #expect(message?["poll"]?["options"]?.array?.compactMap { $0["text"]?.string } == ["****** now", "fine"])
            let stored = "\(try parley.scalar("SELECT poll_summary FROM messages WHERE room_id = ?", [room]))"
            #expect(stored.contains("****** now") && !stored.contains("maskme"))
            // Options that differ only in masked words would read the same: refused (a hunt: three `***`).
            #expect(try await put(#"{"words":["foo","bar"],"mode":"mask"}"#).status == .ok)
            try await Self.create(client, ann, room: room, #"{"question":"which?","options":["foo","bar","***"]}"#)
                .expectError(.unprocessableContent, "invalid_poll")
            #expect(try parley.count("messages", where: "room_id = \(room)") == 1)
        }
    }

    @Test func aLongListOfVotersIsCutAndTheReaderToldTheirs() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let id = try #require(
                try await Self.create(client, ann, room: 1, #"{"question":"q?","options":["a","b"]}"#).json()["message"]?["id"]?.int)
            // 120 voters for "a" (seeded), then Bob: he is past the first 100 listed.
            try parley.execute(
                """
                INSERT INTO users (username, display_name, password_hash, created_at)
                SELECT CONCAT('voter', seq), CONCAT('Voter ', seq), 'x', NOW(3) FROM seq_1_to_120
                """)
            try parley.execute(
                """
                INSERT INTO poll_votes (message_id, user_id, option_index, voted_at)
                SELECT ?, id, 0, NOW(3) - INTERVAL 1 MINUTE FROM users WHERE username LIKE 'voter%'
                """, [id])
            let voted = try await Self.vote(client, bob, id, [0]).json()
            #expect(Self.counts(voted["poll"]) == [121, 0])
            #expect(voted["poll"]?["options"]?.array?[0]["voter_ids"]?.array?.count == 100)
            let mine = try await client.send(.get, "/api/rooms/1/messages", headers: bob.bearer).json()["messages"]?.array?.first
            #expect(mine?["my_votes"] == .array([.number(0)]))
            let theirs = try await client.send(.get, "/api/rooms/1/messages", headers: ann.bearer).json()["messages"]?.array?.first
            #expect(theirs?["my_votes"] == .array([]))
            // A short list needs no help: no my_votes.
            let small = try #require(
                try await Self.create(client, ann, room: 1, #"{"question":"r?","options":["a","b"]}"#).json()["message"]?["id"]?.int)
            _ = try await Self.vote(client, bob, small, [1])
            let read = try await client.send(.get, "/api/messages/\(small)", headers: bob.bearer).json()["message"]
            #expect(read?["my_votes"] == nil)
        }
    }
}
