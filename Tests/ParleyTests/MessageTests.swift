import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// Sending, history, editing and deleting messages, and who may read and write a room.
@Suite struct MessageTests {
    static let messageKeys: Set<String> = [
        "id", "room_id", "sender", "text", "reply_to", "client_id", "created_at", "edited_at", "deleted", "mentions", "mentions_here", "mentions_room", "reactions",
        "file", "reply_count", "forwarded", "poll", "webhook", "previews",
    ]

    static func json(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func post(_ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ body: [String: Any]) async throws -> TestResponse {
        try await client.send(.post, "/api/rooms/\(room)/messages", json: json(body), headers: user.bearer)
    }

    /// Posts `text` and returns the new message's id.
    static func say(_ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ text: String) async throws -> Int64 {
        let response = try await post(client, user, room: room, ["text": text])
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try #require(try response.json()["message"]?["id"]?.int)
    }

    static func history(_ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ query: String = "") async throws -> TestResponse {
        try await client.send(.get, "/api/rooms/\(room)/messages\(query)", headers: user.bearer)
    }

    /// The ids of a history page and its `has_more`.
    static func page(_ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ query: String = "") async throws -> ([Int64], Bool?) {
        let response = try await history(client, user, room: room, query)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let body = try response.json()
        #expect(body.keys == ["messages", "has_more"])
        return ((body["messages"]?.array ?? []).compactMap { $0["id"]?.int }, body["has_more"]?.bool)
    }

    static func room(_ client: any TestClientProtocol, _ owner: LoggedIn, _ json: String, members: [LoggedIn] = []) async throws -> Int64 {
        let id = try await RoomTests.room(client, owner, json)
        for member in members { #expect(try await RoomTests.join(client, member, id).status == .ok) }
        return id
    }

    static func text(_ parley: TestParley, _ message: Int64) throws -> String? {
        let value = try parley.scalar("SELECT text FROM messages WHERE id = ?", [message])
        return value == .null ? nil : try String(mariaDBValue: value)
    }

    // MARK: - Sending

    @Test func aPostedMessageHasTheDocumentedShape() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            #expect(try await client.register("ann", displayName: "Ann Arbor").status == .created)
            let ann = try await client.logIn("ann")
            let response = try await Self.post(client, ann, room: 1, ["text": "  hello, world \n"])
            #expect(response.status == .created)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            let body = try response.json()
            #expect(body.keys == ["message"])
            let message = try #require(body["message"])
            #expect(message.keys == Self.messageKeys)
            let id = try #require(message["id"]?.int)
            #expect(id > 0)
            #expect(message["room_id"] == .number(1))
            #expect(message["sender"] == .object(["id": .number(Double(ann.id)), "username": .string("ann"), "display_name": .string("Ann Arbor"), "avatar_url": .null]))
            #expect(message["text"] == .string("hello, world"))
            #expect(message["reply_to"] == .null)
            #expect(message["client_id"] == .null)
            #expect(message["edited_at"] == .null)
            #expect(message["deleted"] == .bool(false))
            #expect(message["mentions"] == .array([]))
            #expect(message["mentions_room"] == .bool(false))
            #expect(RoomTests.isTimestamp(message["created_at"]))
            let created = try #require(
                message["created_at"]?.string.flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) })
            #expect(abs(created.timeIntervalSinceNow) < 60)
            // History gives back exactly what the post answered.
            let history = try await Self.history(client, ann, room: 1)
            #expect(history.status == .ok)
            #expect(try history.json() == .object(["messages": .array([message]), "has_more": .bool(false)]))
            #expect(try Self.text(parley, id) == "hello, world")
        }
        #expect(try parley.count("messages") == 1)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'message.created'")) == 1)
    }

    /// Both ways of posting — the `post_message` procedure (a plain message) and the full
    /// transaction (a reply, a mention) — store byte for byte the event they publish, and it carries
    /// byte for byte the message the post answered.
    @Test func bothPostingPathsStoreTheEventTheyPublish() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let tricky = "he said \"hi\" \\ back\\slash, tab\t, line\r\nbreak, ünïcödé 👋 </script> \u{2028}"
            var bodies: [String] = []
            // The first post teaches the server the room's kind; the next takes the procedure.
            for body: [String: Any] in [["text": "plain"], ["text": tricky, "client_id": "c-1"], ["text": tricky + " @ann"]] {
                let response = try await Self.post(client, ann, room: 1, body)
                #expect(response.status == .created, "\(String(buffer: response.body))")
                bodies.append(String(buffer: response.body))
            }
            let first = try #require(try await Self.history(client, ann, room: 1, "?limit=1").json()["messages"]?.array?.first)
            let firstID = try #require(first["id"]?.int)
            let reply = try await Self.post(client, ann, room: 1, ["text": tricky, "reply_to": firstID])
            #expect(reply.status == .created)
            // A reply's event also carries its thread's new count.
            bodies.append(String(String(buffer: reply.body).dropLast()) + #","thread":{"reply_count":1,"root_id":\#(firstID)}}"#)

            let stored = try parley.query("SELECT payload FROM events WHERE type = 'message.created' ORDER BY id").map {
                try $0.decode("payload", as: String.self)
            }
            #expect(stored == bodies)
            // What long-poll delivers (from memory) is what the log holds.
            let polled = try await client.send(.get, "/api/events?after=0&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let delivered = polled.filter { $0["type"] == .string("message.created") }.compactMap { $0["data"] }
            #expect(try delivered == bodies.map { try JSONDecoder().decode(JSON.self, from: Data($0.utf8)) })

            // Which path took which post: without the procedure a plain message cannot be posted,
            // while a reply and a mention still can.
            try parley.execute("DROP PROCEDURE post_message")
            #expect(try await Self.post(client, ann, room: 1, ["text": "plain again"]).status == .internalServerError)
            #expect(try await Self.post(client, ann, room: 1, ["text": "hi @ann"]).status == .created)
            #expect(try await Self.post(client, ann, room: 1, ["text": "re", "reply_to": try #require(first["id"]?.int)]).status == .created)
        }
        #expect(try parley.count("messages") == 6)
    }

    /// Webhook names and poll options (one line), topics, moderation reasons and report comments
    /// (which may break lines) refuse control characters, as messages do.
    @Test func namesTopicsAndReasonsRefuseControlCharacters() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try await Self.room(client, ann, #"{"name":"desk"}"#, members: [bob])
            let message = try await Self.say(client, ann, room: room, "hello")
            try await client.send(.post, "/api/rooms/\(room)/webhooks", json: #"{"name":"CI\u001b[2J"}"#, headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_name")
            try await client.send(.patch, "/api/rooms/\(room)", json: #"{"topic":"ring\u0007"}"#, headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_topic")
            try await client.send(.post, "/api/rooms/\(room)/bans", json: #"{"user_id":\#(bob.id),"reason":"nul\u0000"}"#, headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_reason")
            try await client.send(.post, "/api/messages/\(message)/report", json: #"{"reason":"spam","comment":"c1\u0085x"}"#, headers: bob.bearer)
                .expectError(.unprocessableContent, "invalid_comment")
            #expect(try parley.count("webhooks") == 0)
            #expect(try parley.count("room_bans") == 0)
            #expect(try parley.count("reports") == 0)
            #expect(try parley.scalar("SELECT topic FROM rooms WHERE id = ?", [room]) == .string(""))
            // Line breaks and tabs stay allowed where text may run over lines.
            #expect(try await client.send(.patch, "/api/rooms/\(room)", json: #"{"topic":"line one\nline\ttwo"}"#, headers: ann.bearer).status == .ok)
            let other = try await Self.say(client, ann, room: room, "again")
            #expect(
                try await client.send(.post, "/api/messages/\(other)/report", json: #"{"reason":"spam","comment":"one\r\ntwo"}"#, headers: bob.bearer)
                    .status == .created)
        }
    }

    @Test func messageTextIsOneTo4000CharactersAfterTrimming() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            for text in [
                "", " ", "  \n\t  ", String(repeating: "x", count: 4001), " " + String(repeating: "€", count: 4001) + " ",
                // Nothing visible (a byte order mark, zero-width joiners), or control characters.
                "\u{FEFF}", " \u{200D}\u{2060} ", "a\u{0}b", "bell\u{7}", "esc\u{1B}[31m", "c1\u{85}x", "del\u{7F}x",
                // Hangul fillers, the grapheme joiner, a Khmer inherent vowel, the blank braille cell,
                // alone or with spaces between (a hunt: each was posted as an empty bubble).
                "\u{3164}", "\u{115F}", "\u{1160}", "\u{FFA0}", "\u{034F}", "\u{17B4}", "\u{2800}", "\u{3164} \u{3164}\n\u{2800}",
            ] {
                try await Self.post(client, ann, room: 1, ["text": text]).expectError(.unprocessableContent, "invalid_text")
            }
            #expect(try parley.count("messages") == 0)
            for text in [
                "x", String(repeating: "x", count: 4000), "  " + String(repeating: "€", count: 4000) + "\n", String(repeating: "𝄞", count: 4000),
                "tab\there\r\nline", "\u{FEFF}bom first", "\u{3164}ㅋ",
            ] {
                let response = try await Self.post(client, ann, room: 1, ["text": text])
                #expect(response.status == .created)
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(try response.json()["message"]?["text"] == .string(trimmed))
                let id = try #require(try response.json()["message"]?["id"]?.int)
                #expect(try Self.text(parley, id) == trimmed)
            }
        }
        #expect(try parley.count("messages") == 7)
    }

    @Test func repliesPointToAMessageOfTheSameRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let other = try await Self.room(client, ann, #"{"name":"other"}"#)
            let secret = try await Self.room(client, bob, #"{"name":"secret","kind":"group"}"#)
            let question = try await Self.say(client, ann, room: 1, "who is there?")
            let elsewhere = try await Self.say(client, ann, room: other, "elsewhere")
            let hidden = try await Self.say(client, bob, room: secret, "hidden")

            let reply = try await Self.post(client, bob, room: 1, ["text": "me", "reply_to": question])
            #expect(reply.status == .created)
            #expect(try reply.json()["message"]?["reply_to"]?.int == question)
            let replyID = try #require(try reply.json()["message"]?["id"]?.int)
            #expect(try parley.scalar("SELECT reply_to FROM messages WHERE id = ?", [replyID]) == .int(question))
            for target in [elsewhere, hidden, 999_999, 0, -1] {
                try await Self.post(client, bob, room: 1, ["text": "lost", "reply_to": target]).expectError(.unprocessableContent, "invalid_reply_to")
            }
            // A deleted message may still be answered: it stays as a tombstone.
            #expect(try await client.send(.delete, "/api/messages/\(question)", headers: ann.bearer).status == .noContent)
            #expect(try await Self.post(client, bob, room: 1, ["text": "it was me", "reply_to": question]).status == .created)
            let page = try await Self.history(client, ann, room: 1).json()["messages"]?.array ?? []
            #expect(page.compactMap { $0["reply_to"]?.int } == [question, question])
        }
        #expect(try parley.count("messages") == 5)
    }

    /// The replies to one message, and the counts and events that keep a thread's view up to date.
    @Test func aMessagesRepliesFormItsThread() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let root = try await Self.say(client, ann, room: 1, "shall we ship?")
            var replies: [Int64] = []
            for (user, text) in [(bob, "yes"), (ann, "after lunch"), (bob, "fine")] {
                let response = try await Self.post(client, user, room: 1, ["text": text, "reply_to": root])
                replies.append(try #require(try response.json()["message"]?["id"]?.int))
            }
            _ = try await Self.say(client, bob, room: 1, "not in the thread")
            func thread(_ query: String = "", as user: LoggedIn? = nil) async throws -> (root: JSON?, replies: [Int64], hasMore: Bool?) {
                let response = try await client.send(.get, "/api/messages/\(root)/replies\(query)", headers: (user ?? ann).bearer)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let body = try response.json()
                #expect(body.keys == ["message", "replies", "has_more", "following"])
                return (body["message"], (body["replies"]?.array ?? []).compactMap { $0["id"]?.int }, body["has_more"]?.bool)
            }
            var listed = try await thread()
            #expect(listed.root?["id"]?.int == root)
            #expect(listed.root?["reply_count"]?.int == 3)
            #expect(listed.replies == replies)
            #expect(listed.hasMore == false)
            // Paged oldest first.
            listed = try await thread("?limit=2")
            #expect(listed.replies == Array(replies.prefix(2)))
            #expect(listed.hasMore == true)
            listed = try await thread("?limit=2&after=\(replies[1])")
            #expect(listed.replies == [replies[2]])
            #expect(listed.hasMore == false)
            // History and single reads carry the count.
            let page = try await Self.history(client, bob, room: 1).json()["messages"]?.array ?? []
            #expect(page.first { $0["id"]?.int == root }?["reply_count"]?.int == 3)
            #expect(page.first { $0["id"]?.int == replies[0] }?["reply_count"]?.int == 0)
            #expect(try await client.send(.get, "/api/messages/\(root)", headers: bob.bearer).json()["message"]?["reply_count"]?.int == 3)

            // Each reply's event says how many the thread has now.
            func threadOf(_ type: String, _ message: Int64) throws -> JSON? {
                let payload = try parley.query("SELECT payload FROM events WHERE type = ? AND payload LIKE ?", [type, "%\"id\":\(message),%"])
                    .first?.decode("payload", as: String.self)
                return try JSONDecoder().decode(JSON.self, from: Data(try #require(payload).utf8))["thread"]
            }
            #expect(try threadOf("message.created", replies[2]) == .object(["root_id": .number(Double(root)), "reply_count": .number(3)]))
            #expect(try threadOf("message.created", root) == nil)

            // A deleted reply leaves the thread and its count, once.
            for _ in 0..<2 { #expect(try await client.send(.delete, "/api/messages/\(replies[1])", headers: ann.bearer).status == .noContent) }
            listed = try await thread(as: bob)
            #expect(listed.replies == [replies[0], replies[2]])
            #expect(listed.root?["reply_count"]?.int == 2)
            #expect(try threadOf("message.deleted", replies[1]) == .object(["root_id": .number(Double(root)), "reply_count": .number(2)]))

            // A reply to a reply starts its own thread; a deleted root keeps its thread.
            let nested = try await Self.post(client, ann, room: 1, ["text": "which lunch?", "reply_to": replies[0]])
            #expect(nested.status == .created)
            let nestedThread = try await client.send(.get, "/api/messages/\(replies[0])/replies", headers: ann.bearer).json()
            #expect(nestedThread["message"]?["reply_count"]?.int == 1)
            #expect(try await client.send(.delete, "/api/messages/\(root)", headers: ann.bearer).status == .noContent)
            listed = try await thread()
            #expect(listed.root?["deleted"] == .bool(true))
            #expect(listed.root?["reply_count"]?.int == 2)
            #expect(listed.replies == [replies[0], replies[2]])

            // Concurrent replies are each counted.
            let second = try await Self.say(client, ann, room: 1, "count us")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        let response = try await Self.post(client, index % 2 == 0 ? ann : bob, room: 1, ["text": "me \(index)", "reply_to": second])
                        #expect(response.status == .created)
                    }
                }
                try await group.waitForAll()
            }
            let counted = try await client.send(.get, "/api/messages/\(second)/replies?limit=100", headers: ann.bearer).json()
            #expect(counted["message"]?["reply_count"]?.int == 10)
            #expect(counted["replies"]?.array?.count == 10)
            let payloads = try parley.query(
                "SELECT payload FROM events WHERE type = 'message.created' AND payload LIKE ? ORDER BY id", ["%\"root_id\":\(second)}%"])
            let counts = try payloads.compactMap {
                try JSONDecoder().decode(JSON.self, from: Data(try $0.decode("payload", as: String.self).utf8))["thread"]?["reply_count"]?.int
            }
            #expect(counts == Array(1...10))

            // Bad paging is a 400; an unknown message a 404.
            for query in ["?limit=0", "?limit=101", "?after=-1", "?after=x"] {
                try await client.send(.get, "/api/messages/\(root)/replies\(query)", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            }
            try await client.send(.get, "/api/messages/999999/replies", headers: ann.bearer).expectError(.notFound, "message_not_found")
        }
    }

    @Test func aRetriedClientIDReturnsTheOriginal() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let first = try await Self.post(client, ann, room: 1, ["text": "once", "client_id": "tab-1:42"])
            #expect(first.status == .created)
            #expect(try first.json()["message"]?["client_id"] == .string("tab-1:42"))
            for text in ["once", "twice, but the same send"] {
                let retry = try await Self.post(client, ann, room: 1, ["text": text, "client_id": "tab-1:42"])
                #expect(retry.status == .ok)
                #expect(try retry.json() == first.json())
            }
            #expect(try parley.count("messages") == 1)
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM messages WHERE client_id = 'tab-1:42'")) == 1)
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'message.created'")) == 1)

            // client_id is per sender; the same sender may not reuse it in another room.
            let bobs = try await Self.post(client, bob, room: 1, ["text": "mine", "client_id": "tab-1:42"])
            #expect(bobs.status == .created)
            #expect(try bobs.json()["message"]?["id"] != first.json()["message"]?["id"])
            let other = try await Self.room(client, ann, #"{"name":"other"}"#)
            try await Self.post(client, ann, room: other, ["text": "once", "client_id": "tab-1:42"]).expectError(.conflict, "client_id_reused")
            for bad in ["", "has space", "semi;colon", "é", String(repeating: "c", count: 65)] {
                try await Self.post(client, ann, room: 1, ["text": "x", "client_id": bad]).expectError(.unprocessableContent, "invalid_client_id")
            }
            #expect(try await Self.post(client, ann, room: 1, ["text": "x", "client_id": String(repeating: "c", count: 64)]).status == .created)
        }
        #expect(try parley.count("messages") == 3)
    }

    @Test func concurrentRetriesOfOneClientIDPostOnce() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let results: [(HTTPResponse.Status, Int64?)] = try await withThrowingTaskGroup(of: (HTTPResponse.Status, Int64?).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let response = try await Self.post(client, ann, room: 1, ["text": "only once", "client_id": "retry-me"])
                        return (response.status, try response.json()["message"]?["id"]?.int)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0.0 == .created }.count == 1)
            #expect(results.filter { $0.0 == .ok }.count == 9)
            #expect(Set(results.map(\.1)).count == 1)
        }
        #expect(try parley.count("messages") == 1)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'message.created'")) == 1)
    }

    @Test func aClientIDRacingIntoTwoRoomsIsRefusedNotAnError() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let other = try await Self.room(client, ann, #"{"name":"other"}"#)
            for n in 0..<20 {
                let statuses: [(HTTPResponse.Status, String?)] = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                    for room in [1, other] {
                        group.addTask {
                            let response = try await Self.post(client, ann, room: room, ["text": "race", "client_id": "race-\(n)"])
                            return (response.status, response.errorCode)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0.0 == .created }.count == 1, "\(statuses)")
                #expect(statuses.filter { $0.0 == .conflict && $0.1 == "client_id_reused" }.count == 1, "\(statuses)")
            }
        }
        #expect(try parley.count("messages") == 20)
    }

    @Test func timestampsReadBackAsTheyWereAnswered() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            var answered: [JSON] = []
            for n in 0..<100 {
                let response = try await Self.post(client, ann, room: 1, ["text": "t\(n)"])
                answered.append(try #require(try response.json()["message"]))
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...3)))
            }
            let history = try await Self.history(client, ann, room: 1, "?limit=100").json()["messages"]?.array ?? []
            #expect(history.count == 100)
            for (posted, read) in zip(answered, history.reversed()) {
                #expect(posted["created_at"] == read["created_at"])
                #expect(RoomTests.isTimestamp(posted["created_at"]))
            }
        }
    }

    @Test func concurrentSendersAllLandInOneOrder() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            var users: [LoggedIn] = []
            for n in 0..<8 { users.append(try await client.signUp("sender\(n)")) }
            let posted: [Int64] = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for user in users {
                    group.addTask {
                        var ids: [Int64] = []
                        for n in 0..<25 { ids.append(try await Self.say(client, user, room: 1, "\(user.username) \(n)")) }
                        return ids
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(Set(posted).count == 200)
            let (newest, more) = try await Self.page(client, users[0], room: 1, "?limit=100")
            let (older, rest) = try await Self.page(client, users[0], room: 1, "?limit=100&before=\(try #require(newest.last))")
            #expect(more == true && rest == false)
            #expect(newest + older == posted.sorted(by: >))
            // Each sender's messages keep the order they were sent in.
            let history = try await Self.history(client, users[0], room: 1, "?after=0&limit=100").json()["messages"]?.array ?? []
            for user in users {
                let texts = history.filter { $0["sender"]?["id"]?.int == user.id }.compactMap { $0["text"]?.string }
                #expect(texts == texts.sorted { Int($0.split(separator: " ")[1])! < Int($1.split(separator: " ")[1])! })
            }
        }
        #expect(try parley.count("messages") == 200)
    }

    @Test func postingWhileTheRoomIsDeletedIsNeverAnError() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let bob = try await client.signUp("bob")
            for round in 0..<10 {
                let room = try await Self.room(client, owner, #"{"name":"doomed \#(round)"}"#, members: [bob])
                let statuses: [HTTPResponse.Status] = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for n in 0..<6 {
                        group.addTask { try await Self.post(client, bob, room: room, ["text": "m\(n)"]).status }
                    }
                    group.addTask { try await client.send(.delete, "/api/rooms/\(room)", headers: owner.bearer).status }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { [.created, .noContent, .notFound].contains($0) }, "\(statuses)")
                #expect(statuses.filter { $0 == .noContent }.count == 1)
            }
        }
        #expect(try parley.count("messages") == 0)
    }

    // MARK: - History

    @Test func historyPagesBackNewestFirst() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let room = try await Self.room(client, ann, #"{"name":"archive"}"#)
            var ids: [Int64] = []
            for n in 0..<250 { ids.append(try await Self.say(client, ann, room: room, "m\(n)")) }
            // Noise in another room never shows.
            _ = try await Self.say(client, ann, room: 1, "elsewhere")
            let newestFirst = Array(ids.reversed())

            let (first, firstMore) = try await Self.page(client, ann, room: room)
            #expect(first == Array(newestFirst.prefix(50)))
            #expect(firstMore == true)
            var collected: [Int64] = []
            var before: Int64?
            var pages: [Int] = []
            while true {
                let (page, more) = try await Self.page(client, ann, room: room, "?limit=100" + (before.map { "&before=\($0)" } ?? ""))
                collected += page
                pages.append(page.count)
                guard more == true, let last = page.last else { break }
                before = last
            }
            #expect(pages == [100, 100, 50])
            #expect(collected == newestFirst)
            #expect(try await Self.page(client, ann, room: room, "?before=\(ids[0])") == ([], false))
            #expect(try await Self.page(client, ann, room: room, "?before=\(ids[3])&limit=2") == ([ids[2], ids[1]], true))
            #expect(try await Self.page(client, ann, room: room, "?before=\(ids[2])&limit=2") == ([ids[1], ids[0]], false))
            #expect(try await Self.page(client, ann, room: room, "?limit=1") == ([ids[249]], true))
            // Texts come in the same order.
            let texts = try await Self.history(client, ann, room: room, "?limit=3").json()["messages"]?.array?.compactMap { $0["text"]?.string }
            #expect(texts == ["m249", "m248", "m247"])
        }
    }

    @Test func historyCatchesUpOldestFirst() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let room = try await Self.room(client, ann, #"{"name":"archive"}"#)
            var ids: [Int64] = []
            for n in 0..<150 { ids.append(try await Self.say(client, ann, room: room, "m\(n)")) }
            #expect(try await Self.page(client, ann, room: room, "?after=0&limit=3") == (Array(ids.prefix(3)), true))
            #expect(try await Self.page(client, ann, room: room, "?after=\(ids[9])&limit=100") == (Array(ids[10..<110]), true))
            #expect(try await Self.page(client, ann, room: room, "?after=\(ids[109])&limit=100") == (Array(ids[110...]), false))
            #expect(try await Self.page(client, ann, room: room, "?after=\(ids[149])") == ([], false))
            // The default page is 50.
            #expect(try await Self.page(client, ann, room: room, "?after=\(ids[0])") == (Array(ids[1...50]), true))
        }
    }

    /// The ids of a window around a message, its `has_more` and its `has_newer`.
    static func window(_ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ query: String) async throws -> ([Int64], Bool?, Bool?) {
        let response = try await history(client, user, room: room, query)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let body = try response.json()
        #expect(body.keys == ["messages", "has_more", "has_newer"])
        return ((body["messages"]?.array ?? []).compactMap { $0["id"]?.int }, body["has_more"]?.bool, body["has_newer"]?.bool)
    }

    @Test func historyOpensAWindowAroundAMessage() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try await Self.room(client, ann, #"{"name":"archive"}"#)
            var ids: [Int64] = []
            for n in 0..<120 {
                ids.append(try await Self.say(client, ann, room: room, "m\(n)"))
                // Another room's messages fall between the ids and never show.
                if n % 10 == 0 { _ = try await Self.say(client, ann, room: 1, "elsewhere") }
            }
            let newestFirst = { (range: ClosedRange<Int>) in range.reversed().map { ids[$0] } }
            // The message and the older half of the page, then the newer half above it, newest first.
            #expect(try await Self.window(client, ann, room: room, "?around=\(ids[60])&limit=10") == (newestFirst(56...65), true, true))
            #expect(try await Self.window(client, ann, room: room, "?around=\(ids[60])&limit=11") == (newestFirst(55...65), true, true))
            #expect(try await Self.window(client, ann, room: room, "?around=\(ids[60])&limit=1") == ([ids[60]], true, true))
            #expect(try await Self.window(client, ann, room: room, "?around=\(ids[60])") == (newestFirst(36...85), true, true))
            // Near either end the window is short on that side, and says nothing lies beyond it.
            #expect(try await Self.window(client, ann, room: room, "?around=\(ids[2])&limit=10") == (newestFirst(0...7), false, true))
            #expect(try await Self.window(client, ann, room: room, "?around=\(ids[4])&limit=10") == (newestFirst(0...9), false, true))
            #expect(try await Self.window(client, ann, room: room, "?around=\(ids[118])&limit=10") == (newestFirst(114...119), true, false))
            #expect(try await Self.window(client, ann, room: room, "?around=\(ids[114])&limit=10") == (newestFirst(110...119), true, false))
            #expect(try await Self.window(client, ann, room: room, "?around=\(ids[119])&limit=100") == (newestFirst(70...119), true, false))
            // Paging on from the window's edges meets it exactly.
            #expect(try await Self.page(client, ann, room: room, "?before=\(ids[56])&limit=3") == (newestFirst(53...55), true))
            #expect(try await Self.page(client, ann, room: room, "?after=\(ids[65])&limit=3") == (Array(ids[66...68]), true))
            // A deleted message is a tombstone in its window.
            #expect(try await client.send(.delete, "/api/messages/\(ids[30])", headers: ann.bearer).status == .noContent)
            let tombstone = try await Self.history(client, ann, room: room, "?around=\(ids[30])&limit=3").json()["messages"]?[1]
            #expect(tombstone?["id"]?.int == ids[30] && tombstone?["deleted"] == .bool(true) && tombstone?["text"] == .null)
            // A message of another room, or none at all, is not found here.
            let elsewhere = try await Self.say(client, ann, room: 1, "elsewhere")
            try await Self.history(client, ann, room: room, "?around=\(elsewhere)").expectError(.notFound, "message_not_found")
            try await Self.history(client, ann, room: room, "?around=999999999").expectError(.notFound, "message_not_found")
            // A public room's non-members get the preview, not a window.
            try await Self.history(client, bob, room: room, "?around=\(ids[60])").expectError(.forbidden, "not_a_member")
            #expect(try await Self.page(client, bob, room: room).0 == newestFirst(100...119))
        }
    }

    /// Jumping to a date: `at=<time>` is the window around the first message sent at or after it.
    @Test func historyOpensAWindowAtATime() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try await Self.room(client, ann, #"{"name":"diary"}"#)
            // A room with no messages: an empty window around nothing.
            let empty = try await Self.history(client, ann, room: room, "?at=2026-01-01T00:00:00Z").json()
            #expect(empty["messages"] == .array([]) && empty["around_id"] == .null && empty["has_more"] == .bool(false))
            var ids: [Int64] = []
            for n in 0..<30 {
                ids.append(try await Self.say(client, ann, room: room, "day \(n)"))
                if n % 5 == 0 { _ = try await Self.say(client, ann, room: 1, "elsewhere") }
            }
            // One message a day from 1 March 2026 (noon UTC).
            for (n, id) in ids.enumerated() {
                try parley.execute("UPDATE messages SET created_at = ? + INTERVAL ? DAY WHERE id = ?", ["2026-03-01 12:00:00.000", n, id])
            }
            func at(_ time: String, limit: Int = 6) async throws -> (ids: [Int64], aroundID: Int64?, hasMore: Bool?, hasNewer: Bool?) {
                let response = try await Self.history(client, ann, room: room, "?at=\(time)&limit=\(limit)")
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let body = try response.json()
                #expect(body.keys == ["messages", "has_more", "has_newer", "around_id"])
                return ((body["messages"]?.array ?? []).compactMap { $0["id"]?.int }, body["around_id"]?.int, body["has_more"]?.bool, body["has_newer"]?.bool)
            }
            let newestFirst = { (range: ClosedRange<Int>) in range.reversed().map { ids[$0] } }
            // The first message of 10 March is the tenth: the window is around it.
            #expect(try await at("2026-03-10T00:00:00Z") == (newestFirst(7...12), ids[9], true, true))
            // At its very time it is that one; a millisecond later, the next.
            #expect(try await at("2026-03-10T12:00:00.000Z").aroundID == ids[9])
            #expect(try await at("2026-03-10T12:00:00.001Z").aroundID == ids[10])
            // Other time zones are the same instant.
            #expect(try await at("2026-03-10T14:00:00%2B02:00").aroundID == ids[9])
            // Before the first message: the oldest; after the last: the newest.
            #expect(try await at("2020-01-01T00:00:00Z") == (newestFirst(0...3), ids[0], false, true))
            #expect(try await at("2030-01-01T00:00:00Z") == (newestFirst(27...29), ids[29], true, false))
            // Members only; a bad time, or another cursor with it, is refused.
            try await Self.history(client, bob, room: room, "?at=2026-03-10T00:00:00Z").expectError(.forbidden, "not_a_member")
            // Year 0 is no time the database keeps (it once took the server down).
            for query in ["?at=yesterday", "?at=", "?at=2026-03-10T00:00:00Z&before=5", "?at=2026-03-10T00:00:00Z&around=\(ids[3])", "?at=0000-01-01T00:00:00Z"] {
                try await Self.history(client, ann, room: room, query).expectError(.badRequest, "invalid_request")
            }
        }
    }

    @Test func historyCursorsAndLimitsAreChecked() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            _ = try await Self.say(client, ann, room: 1, "hi")
            for query in [
                "?limit=0", "?limit=101", "?limit=-1", "?limit=abc", "?limit=", "?limit=1.5", "?before=abc", "?before=-1", "?after=x", "?after=-5",
                "?before=1&after=1", "?limit=99999999999999999999", "?around=0", "?around=x", "?around=1&before=2", "?around=1&after=1",
            ] {
                let response = try await Self.history(client, ann, room: 1, query)
                response.expectError(.badRequest, "invalid_request")
                // The message names what was wrong.
                let message = try response.json()["error"]?["message"]?.string ?? ""
                if query.hasPrefix("?limit=") { #expect(message.contains("limit") && message.contains("100"), "\(query): \(message)") }
                if query.hasPrefix("?before=") || query.hasPrefix("?after=") || query.hasPrefix("?around=") {
                    #expect(message.contains("message id") || message.contains("one of before, after, around"), "\(query): \(message)")
                }
            }
            #expect(try await Self.page(client, ann, room: 1, "?limit=100").0.count == 1)
            #expect(try await Self.page(client, ann, room: 1, "?limit=1").0.count == 1)
        }
    }

    // MARK: - Editing and deleting

    @Test func sendersEditTheirOwnMessagesOnly() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let bob = try await client.signUp("bob")
            let room = try await Self.room(client, owner, #"{"name":"hall"}"#, members: [bob])
            let posted = try await Self.post(client, bob, room: room, ["text": "helo", "client_id": "c1"])
            let original = try #require(try posted.json()["message"])
            let id = try #require(original["id"]?.int)

            let edited = try await client.send(.patch, "/api/messages/\(id)", json: #"{"text":"  hello  "}"#, headers: bob.bearer)
            #expect(edited.status == .ok)
            #expect(try edited.json().keys == ["message"])
            let message = try #require(try edited.json()["message"])
            #expect(message.keys == Self.messageKeys)
            #expect(message["text"] == .string("hello"))
            #expect(RoomTests.isTimestamp(message["edited_at"]))
            #expect((message["edited_at"]?.string ?? "") >= (original["created_at"]?.string ?? "~"))
            for key in ["id", "room_id", "sender", "reply_to", "client_id", "created_at", "deleted"] {
                #expect(message[key] == original[key], "\(key)")
            }
            #expect(try await Self.history(client, owner, room: room).json()["messages"]?[0] == message)
            #expect(try parley.scalar("SELECT edited_at FROM messages WHERE id = ?", [id]) != .null)

            // Not even the owner edits someone else's words.
            try await client.send(.patch, "/api/messages/\(id)", json: #"{"text":"hijacked"}"#, headers: owner.bearer).expectError(
                .forbidden, "forbidden")
            try await client.send(.patch, "/api/messages/\(id)", json: #"{"text":"   "}"#, headers: bob.bearer).expectError(
                .unprocessableContent, "invalid_text")
            let tooLong = try await client.send(.patch, "/api/messages/\(id)", json: Self.json(["text": String(repeating: "y", count: 4001)]), headers: bob.bearer)
            tooLong.expectError(.unprocessableContent, "invalid_text")
            #expect(try tooLong.json()["error"]?["message"] == .string("A message is at most 4000 characters after trimming."))
            try await client.send(.patch, "/api/messages/999999", json: #"{"text":"x"}"#, headers: bob.bearer).expectError(
                .notFound, "message_not_found")
            #expect(try Self.text(parley, id) == "hello")
            #expect(try await client.send(.delete, "/api/messages/\(id)", headers: bob.bearer).status == .noContent)
            try await client.send(.patch, "/api/messages/\(id)", json: #"{"text":"back"}"#, headers: bob.bearer).expectError(
                .conflict, "message_deleted")
            #expect(try Self.text(parley, id) == nil)
        }
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'message.edited'")) == 1)
    }

    /// Each edit keeps the text it replaced, for the room to read; deleting the message forgets them.
    @Test func editsKeepEarlierTextsUntilTheMessageIsDeleted() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let id = try await Self.say(client, ann, room: 1, "meet at 9")
            func history(_ user: LoggedIn) async throws -> (text: String?, versions: [String]) {
                let response = try await client.send(.get, "/api/messages/\(id)/edits", headers: user.bearer)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let body = try response.json()
                #expect(body.keys == ["message", "versions"])
                let versions = body["versions"]?.array ?? []
                #expect(versions.allSatisfy { $0.keys == ["text", "replaced_at"] && RoomTests.isTimestamp($0["replaced_at"]) })
                return (body["message"]?["text"]?.string, versions.compactMap { $0["text"]?.string })
            }
            #expect(try await history(bob) == ("meet at 9", []))
            // Saving the text unchanged is no edit at all: no mark, no event.
            let same = try await client.send(.patch, "/api/messages/\(id)", json: Self.json(["text": " meet at 9 "]), headers: ann.bearer)
            #expect(same.status == .ok)
            #expect(try same.json()["message"]?["edited_at"] == .null)
            #expect(try parley.scalar("SELECT edited_at FROM messages WHERE id = ?", [id]) == .null)
            #expect(try parley.count("events", where: "type = 'message.edited'") == 0)
            for text in ["meet at 10", "meet at 10", "meet at 11 sharp"] {
                #expect(try await client.send(.patch, "/api/messages/\(id)", json: Self.json(["text": text]), headers: ann.bearer).status == .ok)
            }
            // An unchanged text adds no version.
            #expect(try await history(bob) == ("meet at 11 sharp", ["meet at 9", "meet at 10"]))
            #expect(try parley.count("message_edits") == 2)
            // The last version was replaced at the edit's own time, to the millisecond.
            let edits = try await client.send(.get, "/api/messages/\(id)/edits", headers: bob.bearer).json()
            #expect(edits["versions"]?.array?.last?["replaced_at"] == edits["message"]?["edited_at"])
            try await client.send(.get, "/api/messages/999999/edits", headers: bob.bearer).expectError(.notFound, "message_not_found")
            #expect(try await client.send(.delete, "/api/messages/\(id)", headers: ann.bearer).status == .noContent)
            #expect(try await history(bob) == (nil, []))
            #expect(try parley.count("message_edits") == 0)
        }
    }

    @Test func oneMessageIsReadByIdAsHistoryShowsIt() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"find me"}"#, headers: ann.bearer)
            let id = try #require(try posted.json()["message"]?["id"]?.int)
            let fetched = try await client.send(.get, "/api/messages/\(id)", headers: bob.bearer)
            #expect(fetched.status == .ok)
            #expect(try fetched.json()["message"] == posted.json()["message"])
            let page = try await client.send(.get, "/api/rooms/1/messages?limit=1", headers: bob.bearer).json()
            #expect(try fetched.json()["message"] == page["messages"]?[0])
            #expect(try await client.send(.delete, "/api/messages/\(id)", headers: ann.bearer).status == .noContent)
            let tombstone = try await client.send(.get, "/api/messages/\(id)", headers: bob.bearer).json()["message"]
            #expect(tombstone?["deleted"] == .bool(true) && tombstone?["text"] == .null)
            try await client.send(.get, "/api/messages/999999", headers: bob.bearer).expectError(.notFound, "message_not_found")
            try await client.send(.get, "/api/messages/x", headers: bob.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.get, "/api/messages/\(id)").expectError(.unauthorized, "unauthenticated")
        }
    }

    @Test func deletingLeavesATombstoneWithoutText() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let first = try await Self.say(client, ann, room: 1, "keep me")
            let posted = try await Self.post(client, ann, room: 1, ["text": "oops @ann", "reply_to": first, "client_id": "x1"])
            let original = try #require(try posted.json()["message"])
            let id = try #require(original["id"]?.int)

            let deleted = try await client.send(.delete, "/api/messages/\(id)", headers: ann.bearer)
            #expect(deleted.status == .noContent)
            #expect(deleted.body.readableBytes == 0)
            let page = try await Self.history(client, ann, room: 1).json()["messages"]?.array ?? []
            #expect(page.count == 2)
            let tombstone = try #require(page.first)
            #expect(tombstone.keys == Self.messageKeys)
            #expect(tombstone["deleted"] == .bool(true))
            #expect(tombstone["text"] == .null)
            #expect(tombstone["mentions"] == .array([]))
            #expect(tombstone["mentions_room"] == .bool(false))
            for key in ["id", "room_id", "sender", "reply_to", "client_id", "created_at"] { #expect(tombstone[key] == original[key], "\(key)") }
            #expect(page.last?["text"] == .string("keep me"))
            #expect(try Self.text(parley, id) == nil)
            #expect(try parley.scalar("SELECT deleted_at FROM messages WHERE id = ?", [id]) != .null)
            // Deleting again changes nothing; a retry of the send finds the tombstone, not a new message.
            #expect(try await client.send(.delete, "/api/messages/\(id)", headers: ann.bearer).status == .noContent)
            let retried = try await Self.post(client, ann, room: 1, ["text": "oops @ann", "client_id": "x1"])
            #expect(retried.status == .ok)
            #expect(try retried.json()["message"] == tombstone)
            try await client.send(.delete, "/api/messages/999999", headers: ann.bearer).expectError(.notFound, "message_not_found")
        }
        #expect(try parley.count("messages") == 2)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'message.deleted'")) == 1)
    }

    @Test func ownersAndAdminsDeleteAnyonesMessagesMembersDoNot() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let admin = try await client.signUp("admin")
            let ada = try await client.signUp("ada")
            let bob = try await client.signUp("bob")
            let room = try await Self.room(client, owner, #"{"name":"hall"}"#, members: [admin, ada, bob])
            try parley.execute("UPDATE room_members SET role = 'admin' WHERE room_id = ? AND user_id = ?", [room, admin.id])
            let fromOwner = try await Self.say(client, owner, room: room, "rules")
            let fromBob = try await Self.say(client, bob, room: room, "spam")
            let alsoBob = try await Self.say(client, bob, room: room, "more spam")

            for target in [fromOwner, fromBob] {
                try await client.send(.delete, "/api/messages/\(target)", headers: ada.bearer).expectError(.forbidden, "forbidden")
            }
            try await client.send(.delete, "/api/messages/\(fromOwner)", headers: bob.bearer).expectError(.forbidden, "forbidden")
            #expect(try Self.text(parley, fromOwner) == "rules")
            #expect(try Self.text(parley, fromBob) == "spam")

            #expect(try await client.send(.delete, "/api/messages/\(fromBob)", headers: owner.bearer).status == .noContent)
            #expect(try await client.send(.delete, "/api/messages/\(alsoBob)", headers: admin.bearer).status == .noContent)
            let page = try await Self.history(client, ada, room: room).json()["messages"]?.array ?? []
            #expect(page.map { $0["deleted"] } == [.bool(true), .bool(true), .bool(false)])
            #expect(page.map { $0["text"] } == [.null, .null, .string("rules")])
        }
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM messages WHERE deleted_at IS NOT NULL")) == 2)
    }

    // MARK: - Who reads and writes

    @Test func nonMembersOfAPublicRoomReadAPreviewButDoNotPost() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let eve = try await client.signUp("eve")
            let room = try await Self.room(client, owner, #"{"name":"hall"}"#)
            var ids: [Int64] = []
            for n in 0..<30 { ids.append(try await Self.say(client, owner, room: room, "m\(n)")) }

            let (preview, more) = try await Self.page(client, eve, room: room)
            #expect(preview == Array(ids.reversed().prefix(20)))
            #expect(more == false)
            #expect(try await Self.page(client, eve, room: room, "?limit=5") == (Array(ids.reversed().prefix(5)), false))
            try await Self.history(client, eve, room: room, "?before=\(ids[10])").expectError(.forbidden, "not_a_member")
            try await Self.history(client, eve, room: room, "?after=\(ids[10])").expectError(.forbidden, "not_a_member")

            try await Self.post(client, eve, room: room, ["text": "let me in"]).expectError(.forbidden, "not_a_member")
            try await client.send(.patch, "/api/messages/\(ids[0])", json: #"{"text":"x"}"#, headers: eve.bearer).expectError(
                .forbidden, "not_a_member")
            try await client.send(.delete, "/api/messages/\(ids[0])", headers: eve.bearer).expectError(.forbidden, "not_a_member")
            #expect(try parley.count("messages") == 30)
            #expect(try Self.text(parley, ids[0]) == "m0")

            // Joining opens the whole history; leaving closes it again.
            #expect(try await RoomTests.join(client, eve, room).status == .ok)
            #expect(try await Self.page(client, eve, room: room, "?limit=100").0.count == 30)
            #expect(try await Self.post(client, eve, room: room, ["text": "hello"]).status == .created)
            #expect(try await client.send(.post, "/api/rooms/\(room)/leave", headers: eve.bearer).status == .noContent)
            try await Self.post(client, eve, room: room, ["text": "again"]).expectError(.forbidden, "not_a_member")
            try await Self.history(client, eve, room: room, "?before=\(ids[10])").expectError(.forbidden, "not_a_member")
        }
        #expect(try parley.count("messages") == 31)
    }

    @Test func aPasswordRoomShowsItsNonMembersNeitherItsPreviewNorItsPins() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let eve = try await client.signUp("eve")
            let room = try await Self.room(client, owner, #"{"name":"vault","password":"open sesame"}"#)
            let secret = try await Self.say(client, owner, room: room, "the combination")
            #expect(try await client.send(.post, "/api/rooms/\(room)/pins", json: #"{"message_id":\#(secret)}"#, headers: owner.bearer).status == .created)

            try await Self.history(client, eve, room: room).expectError(.forbidden, "password_required")
            try await client.send(.get, "/api/rooms/\(room)/pins", headers: eve.bearer).expectError(.forbidden, "password_required")
            // What the directory shows stays readable.
            #expect(try await client.send(.get, "/api/rooms/\(room)", headers: eve.bearer).status == .ok)

            // The password opens it.
            #expect(try await client.send(.post, "/api/rooms/\(room)/password", json: #"{"password":"open sesame"}"#, headers: eve.bearer).status == .ok)
            #expect(try await Self.page(client, eve, room: room) == ([secret], false))
            #expect(try await client.send(.get, "/api/rooms/\(room)/pins", headers: eve.bearer).status == .ok)
            #expect(try await client.send(.post, "/api/rooms/\(room)/leave", headers: eve.bearer).status == .noContent)
            try await Self.history(client, eve, room: room).expectError(.forbidden, "password_required")

            // Without its password it is an ordinary public room again.
            #expect(try await client.send(.patch, "/api/rooms/\(room)", json: #"{"password":null}"#, headers: owner.bearer).status == .ok)
            #expect(try await Self.page(client, eve, room: room) == ([secret], false))
        }
    }

    @Test func nonMembersOfAPrivateGroupReadNothing() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let bob = try await client.signUp("bob")
            let eve = try await client.signUp("eve")
            let group = try await Self.room(client, owner, #"{"name":"inner","kind":"group","members":[\#(bob.id)]}"#)
            let secret = try await Self.say(client, owner, room: group, "the plan")
            #expect(try await Self.page(client, bob, room: group) == ([secret], false))

            for query in ["", "?limit=1", "?before=\(secret + 1)", "?after=0"] {
                try await Self.history(client, eve, room: group, query).expectError(.notFound, "room_not_found")
            }
            try await Self.post(client, eve, room: group, ["text": "hi"]).expectError(.notFound, "room_not_found")
            try await client.send(.patch, "/api/messages/\(secret)", json: #"{"text":"x"}"#, headers: eve.bearer).expectError(
                .notFound, "message_not_found")
            try await client.send(.delete, "/api/messages/\(secret)", headers: eve.bearer).expectError(.notFound, "message_not_found")
            // Nor may a reply elsewhere reveal it.
            try await Self.post(client, eve, room: 1, ["text": "quoting", "reply_to": secret]).expectError(.unprocessableContent, "invalid_reply_to")
            // A removed member is an outsider at once.
            #expect(try await client.send(.delete, "/api/rooms/\(group)/members/\(bob.id)", headers: owner.bearer).status == .noContent)
            try await Self.history(client, bob, room: group).expectError(.notFound, "room_not_found")
            try await Self.post(client, bob, room: group, ["text": "wait"]).expectError(.notFound, "room_not_found")
        }
        #expect(try parley.count("messages") == 1)
        #expect(try String(mariaDBValue: try parley.scalar("SELECT text FROM messages")) == "the plan")
    }

    @Test func aDMIsReadAndWrittenByItsTwoPeopleOnly() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let eve = try await client.signUp("eve")
            let dm = try #require(
                try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            let hello = try await Self.say(client, ann, room: dm, "psst")
            let answer = try await Self.say(client, bob, room: dm, "yes?")
            #expect(try await Self.page(client, bob, room: dm) == ([answer, hello], false))
            #expect(try await Self.page(client, ann, room: dm) == ([answer, hello], false))
            try await Self.history(client, eve, room: dm).expectError(.notFound, "room_not_found")
            try await Self.post(client, eve, room: dm, ["text": "me too"]).expectError(.notFound, "room_not_found")
            try await client.send(.delete, "/api/messages/\(hello)", headers: bob.bearer).expectError(.forbidden, "forbidden")
        }
        #expect(try parley.count("messages") == 2)
    }

    @Test func anonymousRequestsAreRefused() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let id = try await Self.say(client, ann, room: 1, "hi")
            try await client.send(.get, "/api/rooms/1/messages").expectError(.unauthorized, "unauthenticated")
            try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"hi"}"#).expectError(.unauthorized, "unauthenticated")
            try await client.send(.patch, "/api/messages/\(id)", json: #"{"text":"x"}"#).expectError(.unauthorized, "unauthenticated")
            try await client.send(.delete, "/api/messages/\(id)").expectError(.unauthorized, "unauthenticated")
        }
        #expect(try parley.count("messages") == 1)
        #expect(try parley.scalar("SELECT deleted_at FROM messages") == .null)
    }

    // MARK: - Bad input

    @Test func badIdsAndBodiesAreClientErrorsNever500() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let id = try await Self.say(client, ann, room: 1, "hi")
            for bad in ["abc", "0", "-1", "1.5", "99999999999999999999", "%20"] {
                try await client.send(.get, "/api/rooms/\(bad)/messages", headers: ann.bearer).expectError(.badRequest, "invalid_request")
                try await client.send(.post, "/api/rooms/\(bad)/messages", json: #"{"text":"x"}"#, headers: ann.bearer)
                    .expectError(.badRequest, "invalid_request")
                try await client.send(.patch, "/api/messages/\(bad)", json: #"{"text":"x"}"#, headers: ann.bearer).expectError(
                    .badRequest, "invalid_request")
                try await client.send(.delete, "/api/messages/\(bad)", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            }
            try await client.send(.get, "/api/rooms/999999/messages", headers: ann.bearer).expectError(.notFound, "room_not_found")
            // Escaped digits are digits, as in a query (`%31` is `1`).
            let escaped = try await client.send(.get, "/api/rooms/%31/messages", headers: ann.bearer)
            #expect(escaped.status == .ok)
            #expect(try escaped.json()["messages"]?.array?.first?["id"]?.int == id)
            try await client.send(.post, "/api/rooms/999999/messages", json: #"{"text":"x"}"#, headers: ann.bearer).expectError(
                .notFound, "room_not_found")

            func push(_ body: String) async throws -> TestResponse {
                try await client.send(.post, "/api/rooms/1/messages", json: body, headers: ann.bearer)
            }
            for body in [#"{"text":"x""#, "", "{text: 'x'}", "\u{FF}", #"{"text":"x",}"#, #"{"text":"x","mentions":[1,]}"#] { try await push(body).expectError(.badRequest, "malformed_json") }
            for body in [
                "[]", #""text""#, "{}", #"{"text":null}"#, #"{"text":5}"#, #"{"text":["x"]}"#, #"{"text":"x","reply_to":"1"}"#,
                #"{"text":"x","client_id":5}"#, #"{"text":"x","reply_to":true}"#,
            ] {
                try await push(body).expectError(.badRequest, "invalid_request")
            }
            for body in [#"{"text":"x","reply_to":1.5}"#, #"{"text":"x","reply_to":1e40}"#, #"{"text":"x","reply_to":99999999999999999999}"#] {
                let response = try await push(body)
                #expect(response.status == .badRequest)
                response.expectError(.badRequest, "invalid_request")
                #expect(response.errorCode == "invalid_request" && String(buffer: response.body).contains("reply_to"))
            }
            // Inside a list too, named with its place.
            for (body, field) in [(#"{"user_ids":[99999999999999999999,4]}"#, "user_ids[0]"), (#"{"user_ids":[4,1.5]}"#, "user_ids[1]")] {
                let response = try await client.send(.post, "/api/dms", json: body, headers: ann.bearer)
                response.expectError(.badRequest, "invalid_request")
                #expect(String(buffer: response.body).contains(field), "\(String(buffer: response.body))")
            }
            var plainText = ann.bearer
            plainText[.contentType] = "text/plain"
            try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"x"}"#, headers: plainText)
                .expectError(.unsupportedMediaType, "unsupported_media_type")
            try await push(Self.json(["text": String(repeating: "x", count: 70_000)])).expectError(.contentTooLarge, "payload_too_large")
            for body in [#"{"text":false}"#, "{}", "nope"] {
                let response = try await client.send(.patch, "/api/messages/\(id)", json: body, headers: ann.bearer)
                #expect(response.status == .badRequest)
                #expect(["invalid_request", "malformed_json"].contains(response.errorCode ?? ""))
            }
            // Unknown fields are ignored.
            #expect(try await push(#"{"text":"extra","colour":"red"}"#).status == .created)
        }
        #expect(try parley.count("messages") == 2)
        #expect(try parley.scalar("SELECT text FROM messages ORDER BY id LIMIT 1") == .string("hi"))
    }
}
