import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing

@testable import Parley

/// A deleted message's text, and a deleted room's messages, leave the event log: a replay from a
/// cursor taken before (from the hub's window, and after a restart from the database) gives
/// tombstones. A hunt replayed them for the log's seven days.
@Suite struct RedactionTests {
    /// The events after `cursor` and the answer's text.
    static func replay(_ client: any TestClientProtocol, _ user: LoggedIn, after cursor: Int64) async throws -> (events: [JSON], text: String) {
        let answer = try await client.send(.get, "/api/events?after=\(cursor)&timeout=0&limit=1000", headers: user.bearer)
        #expect(answer.status == .ok)
        return (try answer.json()["events"]?.array ?? [], String(buffer: answer.body))
    }

    @Test func aDeletedMessageIsATombstoneInEveryReplay() async throws {
        let parley = try await TestParley.make()
        let secret = "my code is 4711 {\"id\":1} \\ done"
        let kept = "this one stays"
        let state = NIOLockedValueBox<(ann: LoggedIn?, bob: LoggedIn?, cursor: Int64, message: Int64, poll: Int64)>((nil, nil, 0, 0, 0))
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let group = try await client.group("crew", of: ann, with: bob)
            let cursor = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)
            let message = try await MentionStateTests.post(client, ann, room: group, "@bob \(secret)")
            _ = try await MentionStateTests.post(client, ann, room: group, kept)
            try await MentionStateTests.edit(client, ann, message, "@bob \(secret) again")
            #expect(try await client.send(.post, "/api/rooms/\(group)/pins", json: #"{"message_id":\#(message)}"#, headers: ann.bearer).status == .created)
            #expect(try await client.send(.post, "/api/messages/\(message)/reminders", json: #"{"in_seconds":3600}"#, headers: bob.bearer).status == .created)
            let report = try await client.send(.post, "/api/messages/\(message)/report", json: #"{"reason":"spam"}"#, headers: bob.bearer)
            #expect(report.status == .created, "\(String(buffer: report.body))")
            let made = try await PollTests.create(client, ann, room: group, #"{"question":"secret poll?","options":["4711 yes","no"]}"#)
            let poll = try #require(try made.json()["message"]?["id"]?.int)
            #expect(try await PollTests.vote(client, bob, poll, [0]).status == .ok)
            let before = try await Self.replay(client, bob, after: cursor).text + Self.replay(client, ann, after: cursor).text
            #expect(before.contains("4711"))

            #expect(try await client.send(.delete, "/api/messages/\(message)", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.delete, "/api/messages/\(poll)", headers: ann.bearer).status == .noContent)
            for user in [ann, bob] {
                let (events, all) = try await Self.replay(client, user, after: cursor)
                #expect(!all.contains("4711"), "\(all)")
                #expect(all.contains(kept))
                let created = events.filter { $0["type"] == .string("message.created") && $0["data"]?["message"]?["id"]?.int == message }
                #expect(created.count == 1 && created.first?["data"]?["message"]?["deleted"] == .bool(true))
                #expect(!events.contains { $0["type"] == .string("poll.voted") })
            }
            state.withLockedValue { $0 = (ann, bob, cursor, message, poll) }
        }
        // After a restart, from the database.
        try await parley.run { client in
            let (ann, bob, cursor, message, _) = state.withLockedValue { $0 }
            for user in [try #require(ann), try #require(bob)] {
                let (events, all) = try await Self.replay(client, user, after: cursor)
                #expect(!all.contains("4711"), "\(all)")
                #expect(all.contains(kept))
                let types = Set(events.compactMap { $0["type"]?.string })
                #expect(types.isSuperset(of: ["message.created", "message.edited", "message.deleted", "pinned"]), "\(types)")
                let edited = events.first { $0["type"] == .string("message.edited") }
                #expect(edited?["data"]?["message"]?["id"]?.int == message && edited?["data"]?["message"]?["text"] == .null)
            }
            #expect(try parley.count("events", where: "payload LIKE '%4711%'") == 0)
        }
    }

    @Test func aDeletedRoomLeavesOnlyItsDeletionInTheLog() async throws {
        let parley = try await TestParley.make()
        let state = NIOLockedValueBox<(bob: LoggedIn?, cursor: Int64, group: Int64)>((nil, 0, 0))
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let group = try await client.group("crew", of: ann, with: bob)
            let cursor = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)
            let plan = try await MentionStateTests.post(client, ann, room: group, "@bob the plan is 4711")
            _ = try await MentionStateTests.post(client, ann, room: 1, "hello main")
            // Bob's own marks on the group, each an event to him alone: they go with the room too.
            for (method, path, body) in [
                (HTTPRequest.Method.put, "/api/rooms/\(group)/star", nil), (.put, "/api/me/saved/\(plan)", nil),
                (.put, "/api/rooms/\(group)/notifications", #"{"level":"all"}"#), (.post, "/api/rooms/\(group)/read", #"{"message_id":\#(plan)}"#),
                (.put, "/api/rooms/\(group)/draft", #"{"text":"my draft 9123"}"#),
            ] as [(HTTPRequest.Method, String, String?)] {
                let answer = try await client.send(method, path, json: body, headers: bob.bearer)
                #expect(answer.status.code < 300, "\(path): \(String(buffer: answer.body))")
            }
            let marks = Set(Redaction.userMarks)
            let before = try await Self.replay(client, bob, after: cursor).events
            #expect(before.filter { marks.contains($0["type"]?.string ?? "") }.count == 5)
            #expect(try await client.send(.delete, "/api/rooms/\(group)", headers: ann.bearer).status == .noContent)
            let (events, all) = try await Self.replay(client, bob, after: cursor)
            #expect(!all.contains("4711") && !all.contains("9123"))
            #expect(events.filter { $0["room_id"]?.int == group }.compactMap { $0["type"]?.string } == ["room.deleted"])
            #expect(events.filter { marks.contains($0["type"]?.string ?? "") }.count == 0)
            #expect(all.contains("hello main"))
            state.withLockedValue { $0 = (bob, cursor, group) }
        }
        try await parley.run { client in
            let (bob, cursor, group) = state.withLockedValue { $0 }
            let (events, all) = try await Self.replay(client, try #require(bob), after: cursor)
            #expect(!all.contains("4711") && !all.contains("9123"))
            #expect(events.filter { $0["room_id"]?.int == group }.compactMap { $0["type"]?.string } == ["room.deleted"])
            #expect(events.filter { Redaction.userMarks.contains($0["type"]?.string ?? "") }.count == 0)
            #expect(try parley.count("events", where: "payload LIKE '%4711%' OR payload LIKE '%9123%'") == 0)
        }
    }

    /// The object is found by its keys and ended by a JSON scan: braces and quotes inside texts
    /// do not end it early, and a report's `reported_text` after it goes too.
    @Test func aSavedMessagesReminderIsATombstoneToo() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cursor = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)
            let message = try await MessageTests.say(client, ann, room: 1, "the vault code is 4712")
            #expect(try await client.send(.put, "/api/me/saved/\(message)", headers: bob.bearer).status == .ok)
            #expect(try await ReminderTests.remind(client, bob, message, in: 1).status == .created)
            // The reminder's notification renders the message as Bob reads it: saved.
            var reminded = false
            for _ in 0..<300 where !reminded {
                try await Task.sleep(for: .milliseconds(100))
                reminded = try await Self.replay(client, bob, after: cursor).events.contains {
                    $0["data"]?["notification"]?["reason"] == .string("reminder") && $0["data"]?["notification"]?["message"]?["saved"] == .bool(true)
                }
            }
            #expect(reminded)
            #expect(try await client.send(.delete, "/api/messages/\(message)", headers: ann.bearer).status == .noContent)
            let (_, all) = try await Self.replay(client, bob, after: cursor)
            #expect(!all.contains("4712"), "\(all)")
            #expect(try parley.count("events", where: "payload LIKE '%4712%'") == 0)
        }
    }

    @Test func theRenderingIsReplacedWhole() {
        let json = #"{"report":{"id":9,"message":{"client_id":null,"id":5,"mentions":[],"room_id":2,"sender":{"id":1},"text":"a } \" {\"client_id\":5","x":[1,{"y":"]"}]},"reported_text":"a } secret","resolved_at":null}}"#
        let tombstone = #"{"client_id":null,"id":5,"mentions":[],"room_id":2,"sender":{"id":1},"text":null}"#
        let out = Redaction.replacing(message: 5, room: 2, in: json, with: tombstone)
        #expect(out == #"{"report":{"id":9,"message":\#(tombstone),"reported_text":null,"resolved_at":null}}"#)
        #expect(Redaction.replacing(message: 5, room: 3, in: json, with: "{}") == nil)
        #expect(Redaction.replacing(message: 55, room: 2, in: json, with: "{}") == nil)
        // A reader's own rendering (a reminder's) has `saved` between the room and the sender.
        let saved = #"{"notification":{"message":{"client_id":null,"id":5,"mentions":[],"room_id":2,"saved":true,"sender":{"id":1},"text":"x"}}}"#
        #expect(Redaction.replacing(message: 5, room: 2, in: saved, with: tombstone) == #"{"notification":{"message":\#(tombstone)}}"#)
    }
}
