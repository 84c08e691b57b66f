import Foundation
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// Real-time delivery over a live server: long-poll and SSE, reconnects, restarts, concurrent writers.
@Suite struct RealtimeTests {
    static func isMessage(_ event: JSON) -> Bool { event["type"]?.string == "message.created" }
    static func text(_ event: JSON) -> String? { event["data"]?["message"]?["text"]?.string }

    @Test func longPollDeliversAMessageTheMomentItIsSent() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let (_, head) = try await live.poll(bob.token, after: nil, timeout: 0)
            // Alice's own connection announces her presence to Bob first; drain that.
            _ = try await live.poll(alice.token, after: nil, timeout: 0)
            let (presence, settled) = try await live.pollUntil(bob.token, after: head, count: 1, within: 15) { $0["type"] == .string("presence") }
            #expect(presence.count == 1)
            // The longest wait a poll may ask for: an answer at its end would come 60 s after the post.
            async let waiting = live.poll(bob.token, after: settled, timeout: 60)
            try await Task.sleep(for: .milliseconds(300))
            let sentAt = ContinuousClock.now
            _ = try await live.post(alice.token, room: 1, text: "hi bob")
            let (events, cursor) = try await waiting
            // Answered by the message, not by the poll's end: well before it even on a machine loaded
            // by the rest of the suite (once 6 s with every suite starting its database at once).
            #expect(ContinuousClock.now - sentAt < .seconds(30))
            #expect(events.count == 1)
            let event = try #require(events.first)
            #expect(event["type"] == .string("message.created"))
            #expect(event["room_id"] == .number(1))
            #expect(Self.text(event) == "hi bob")
            #expect(event["data"]?["message"]?["sender"]?["username"] == .string("alice"))
            #expect(event.keys == ["id", "type", "room_id", "user_id", "created_at", "data"])
            #expect(cursor == event["id"]?.int)
        }
    }

    @Test func sseDeliversLiveEventsWithTheRightHeaders() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let stream = try await live.stream(bob.token)
            #expect(stream.headers["Content-Type"].first?.hasPrefix("text/event-stream") == true)
            #expect(stream.headers["Cache-Control"].first == "no-cache")
            #expect(stream.headers["X-Accel-Buffering"].first == "no")
            // The server closes a stream's connection when the stream ends: no client may reuse it.
            #expect(stream.headers["Connection"].first == "close")
            _ = await stream.waitFor(0, within: 0.5)
            _ = try await live.post(alice.token, room: 1, text: "over SSE")
            let events = await stream.waitFor(1) { $0.event == "message.created" }
            #expect(events.count == 1)
            let event = try #require(events.first)
            #expect(event.json?["data"]?["message"]?["text"] == .string("over SSE"))
            #expect(event.id == event.json?["id"]?.int.map(String.init))
            #expect(stream.comments.contains { $0.hasPrefix("retry: ") })
            await stream.close()
        }
    }

    @Test func someoneAddedToAGroupHearsWhatTheRoomIsFromTheEventAlone() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let made = try await live.send(.POST, "/api/rooms", json: #"{"name":"plans","topic":"the trip","kind":"group"}"#, token: alice.token)
            let room = try #require(made.body?["room"]?["id"]?.int)
            let stream = try await live.stream(bob.token)
            _ = await stream.waitFor(0, within: 0.3)
            #expect(try await live.send(.POST, "/api/rooms/\(room)/members", json: #"{"user_id":\#(bob.id)}"#, token: alice.token).status == 201)
            let added = try #require(await stream.waitFor(1) { $0.event == "member.added" }.first?.json?["data"])
            #expect(added["room_id"]?.int == room && added["user"]?["id"]?.int == bob.id && added["by"]?["id"]?.int == alice.id)
            #expect(added["room"]?["name"] == .string("plans"))
            #expect(added["room"]?["topic"] == .string("the trip"))
            #expect(added["room"]?["kind"] == .string("group"))
            #expect(added["room"]?["member_count"]?.int == 2)
            // A leave needs none (the room goes from the list).
            #expect(try await live.send(.POST, "/api/rooms/\(room)/leave", token: bob.token).status == 204)
            let left = try #require(await stream.waitFor(1) { $0.event == "member.left" }.first?.json?["data"])
            #expect(left["room"] == nil)
            await stream.close()
        }
    }

    @Test func sseSendsHeartbeatComments() async throws {
        let parley = try await TestParley.make { $0.heartbeatInterval = .seconds(1) }
        try await parley.live { live in
            let bob = try await live.signUp("bob")
            let stream = try await live.stream(bob.token)
            let deadline = ContinuousClock.now + .seconds(10)
            while !stream.comments.contains(where: { $0.contains("heartbeat") }) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(stream.comments.contains { $0.contains("heartbeat") })
            await stream.close()
        }
    }

    @Test func reconnectingWithTheLastCursorReplaysExactlyWhatWasMissed() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let (_, cursor) = try await live.poll(bob.token, after: nil, timeout: 0)
            for n in 1...50 { _ = try await live.post(alice.token, room: 1, text: "missed \(n)") }
            // Long-poll from the cursor.
            let (events, _) = try await live.poll(bob.token, after: cursor, timeout: 0)
            #expect(events.filter(Self.isMessage).map { Self.text($0) } == (1...50).map { "missed \($0)" })
            // SSE from the same cursor via Last-Event-ID.
            let stream = try await live.stream(bob.token, lastEventID: String(cursor))
            let replayed = await stream.waitFor(50) { $0.event == "message.created" }
            #expect(replayed.compactMap { $0.json.flatMap(Self.text) } == (1...50).map { "missed \($0)" })
            // Nothing after those 50.
            try await Task.sleep(for: .milliseconds(300))
            #expect(stream.events.filter { $0.event == "message.created" }.count == 50)
            await stream.close()
            // An empty Last-Event-ID (no id yet) leaves `after` to say where to start.
            let fromAfter = try await live.stream(bob.token, lastEventID: "", query: "?after=\(cursor)")
            let again = await fromAfter.waitFor(50) { $0.event == "message.created" }
            #expect(again.compactMap { $0.json.flatMap(Self.text) } == (1...50).map { "missed \($0)" })
            await fromAfter.close()
        }
    }

    @Test func replayFromTheDatabaseWhenTheWindowDoesNotReachBack() async throws {
        let parley = try await TestParley.make { $0.eventWindow = 100 }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let (_, cursor) = try await live.poll(bob.token, after: nil, timeout: 0)
            for n in 1...300 { _ = try await live.post(alice.token, room: 1, text: "m\(n)") }
            let (events, _) = try await live.pollUntil(bob.token, after: cursor, count: 300, Self.isMessage)
            #expect(events.map { Self.text($0) } == (1...300).map { "m\($0)" })
            let ids = events.compactMap { $0["id"]?.int }
            #expect(ids == ids.sorted() && Set(ids).count == 300)
        }
    }

    /// Catching up by long-poll from the log while others write loses nothing: a live event that
    /// arrived during the poll used to be added to a backlog page and move the cursor past the rest
    /// of the backlog (the window, or the log's next page), which the next poll then skipped.
    @Test func catchingUpByPollWhileOthersWriteMissesNothing() async throws {
        let parley = try await TestParley.make { $0.eventWindow = 10 }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let carol = try await live.signUp("carol")
            let busy = try #require(
                try await live.send(.POST, "/api/rooms", json: #"{"name":"busy"}"#, token: carol.token).body?["room"]?["id"]?.int)
            #expect(try await live.send(.POST, "/api/rooms/\(busy)/join", token: bob.token).status == 200)
            for round in 1...3 {
                let (_, cursor) = try await live.poll(bob.token, after: nil, timeout: 0)
                for n in 1...40 { _ = try await live.post(alice.token, room: 1, text: "\(round)-\(n)") }
                // Carol writes on in a room Bob is in while he catches up.
                let writer = Task {
                    var n = 0
                    while !Task.isCancelled {
                        _ = try? await live.post(carol.token, room: busy, text: "busy \(n)")
                        n += 1
                    }
                }
                var after = cursor
                var seen: [String] = []
                for _ in 0..<40 where seen.last != "\(round)-40" {
                    let (events, next) = try await live.poll(bob.token, after: after, timeout: 0)
                    seen += events.filter { Self.isMessage($0) && $0["room_id"]?.int == 1 }.compactMap { Self.text($0) }
                    after = next
                }
                writer.cancel()
                _ = await writer.result
                #expect(seen == (1...40).map { "\(round)-\($0)" })
            }
        }
    }

    /// Events about a user that reach those who share a room with them (a new name, a status, a
    /// pause of notifications) are replayed from the log too, not only delivered live.
    @Test func eventsAboutAUserAreReplayedFromTheLog() async throws {
        let parley = try await TestParley.make { $0.eventWindow = 1 }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let (_, cursor) = try await live.poll(bob.token, after: nil, timeout: 0)
            #expect(try await live.send(.PUT, "/api/me/dnd", json: #"{"minutes":90}"#, token: alice.token).status == 200)
            #expect(try await live.send(.PATCH, "/api/me", json: #"{"display_name":"Alice A."}"#, token: alice.token).status == 200)
            for n in 1...5 { _ = try await live.post(alice.token, room: 1, text: "m\(n)") }
            // The log's part, then the window's.
            var all: [JSON] = []
            var after = cursor
            for _ in 0..<5 {
                let (events, next) = try await live.poll(bob.token, after: after, timeout: 0)
                all += events
                after = next
            }
            let types = all.compactMap { $0["type"]?.string }
            #expect(all.filter(Self.isMessage).count == 5)
            #expect(types.contains("user.dnd"))
            #expect(types.contains("user.updated"))
        }
    }

    /// The database read takes the user's rooms as a list padded to a power of two (3 rooms → 4
    /// entries, 5 → 8): exactly their rooms' events come back, none of a room they are not in.
    @Test(arguments: [3, 5])
    func replayFromTheDatabaseCoversEveryRoomOfTheUserAndNoOther(rooms count: Int) async throws {
        let parley = try await TestParley.make { $0.eventWindow = 10 }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            var rooms: [Int64] = [1]
            for n in 2...count {
                let made = try await live.send(.POST, "/api/rooms", json: #"{"name":"r\#(n)"}"#, token: alice.token)
                let room = try #require(made.body?["room"]?["id"]?.int)
                #expect(try await live.send(.POST, "/api/rooms/\(room)/join", token: bob.token).status == 200)
                rooms.append(room)
            }
            let elsewhere = try #require(
                try await live.send(.POST, "/api/rooms", json: #"{"name":"not bob's"}"#, token: alice.token).body?["room"]?["id"]?.int)
            let (_, cursor) = try await live.poll(bob.token, after: nil, timeout: 0)
            var expected: [String] = []
            for round in 1...10 {
                for room in rooms {
                    _ = try await live.post(alice.token, room: room, text: "\(room)-\(round)")
                    expected.append("\(room)-\(round)")
                }
                _ = try await live.post(alice.token, room: elsewhere, text: "hidden \(round)")
            }
            // 10 × (count + 1) messages: far more than the 10-event window, so the replay reads the log.
            let (events, _) = try await live.pollUntil(bob.token, after: cursor, count: expected.count, Self.isMessage)
            #expect(events.compactMap { Self.text($0) } == expected)
            let (more, _) = try await live.poll(bob.token, after: events.last?["id"]?.int, timeout: 0)
            #expect(more.filter(Self.isMessage).isEmpty)
        }
    }

    @Test func cursorsSurviveAServerRestart() async throws {
        let parley = try await TestParley.make()
        let state = Locked<(bob: String, alice: String, cursor: Int64)?>(nil)
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let (_, cursor) = try await live.poll(bob.token, after: nil, timeout: 0)
            for n in 1...50 { _ = try await live.post(alice.token, room: 1, text: "before restart \(n)") }
            state.set((bob.token, alice.token, cursor))
        }
        // A new server process on the same database.
        try await parley.live { live in
            let (bob, alice, cursor) = try #require(state.get())
            let (events, next) = try await live.poll(bob, after: cursor, timeout: 0)
            #expect(events.filter(Self.isMessage).map { Self.text($0) } == (1...50).map { "before restart \($0)" })
            // And the stream continues live from there, with ids above the old ones.
            let stream = try await live.stream(bob, lastEventID: String(next))
            _ = try await live.post(alice, room: 1, text: "after restart")
            let after = await stream.waitFor(1) { $0.event == "message.created" }
            #expect(after.count == 1)
            #expect((after.first.flatMap { Int64($0.id ?? "") } ?? 0) > next)
            await stream.close()
        }
    }

    @Test func concurrentSendersAreSeenByEveryReceiverInOneOrderWithoutGapsOrDuplicates() async throws {
        let parley = try await TestParley.make { $0.databasePoolSize = 16 }
        try await parley.live { live in
            var senders: [(id: Int64, token: String)] = []
            for n in 0..<20 { senders.append(try await live.signUp("sender\(n)")) }
            let watcher = try await live.signUp("watcher")
            let (_, start) = try await live.poll(watcher.token, after: nil, timeout: 0)
            let stream = try await live.stream(watcher.token, lastEventID: String(start))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, sender) in senders.enumerated() {
                    group.addTask {
                        for n in 0..<50 { _ = try await live.post(sender.token, room: 1, text: "s\(index)-\(n)") }
                    }
                }
                try await group.waitForAll()
            }
            let sse = await stream.waitFor(1000, within: 60) { $0.event == "message.created" }
            let polled = try await live.pollUntil(watcher.token, after: start, count: 1000, within: 60, Self.isMessage).events
            let sseIDs = sse.compactMap { $0.json?["id"]?.int }
            let pollIDs = polled.compactMap { $0["id"]?.int }
            #expect(sseIDs.count == 1000)
            #expect(Set(sseIDs).count == 1000)
            #expect(sseIDs == sseIDs.sorted())
            #expect(sseIDs == pollIDs)
            // Every sender's messages arrive in the order that sender sent them.
            let texts = sse.compactMap { $0.json.flatMap(Self.text) }
            for index in 0..<20 {
                #expect(texts.filter { $0.hasPrefix("s\(index)-") } == (0..<50).map { "s\(index)-\($0)" })
            }
            let stored = try parley.count("messages")
            #expect(stored == 1000)
            await stream.close()
        }
    }

    @Test func sseWithoutACursorTellsTheClientWhereItStarts() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            _ = try await live.post(alice.token, room: 1, text: "before the stream")
            let (_, head) = try await live.poll(alice.token, after: nil, timeout: 0)
            let stream = try await live.stream(alice.token)
            // No event has come yet, but EventSource already knows the cursor to reconnect from.
            let deadline = ContinuousClock.now + .seconds(5)
            while stream.lastEventID == nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(stream.events.isEmpty)
            let start = try #require(stream.lastEventID.flatMap { Int64($0) })
            #expect(start >= head)
            let id = try await live.post(alice.token, room: 1, text: "after")
            let events = await stream.waitFor(1) { $0.event == "message.created" }
            #expect(events.first?.json?["data"]?["message"]?["id"]?.int == id)
            #expect(stream.lastEventID == events.first?.id)
            #expect(try #require(events.first?.id.flatMap { Int64($0) }) > start)
            await stream.close()
        }
    }

    @Test func aStreamEndsWithItsSession() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            func logIn() async throws -> String {
                let reply = try await live.send(.POST, "/api/session", json: #"{"username":"alice","password":"password123"}"#)
                return try #require(reply.body?["token"]?.string)
            }
            func ended(_ stream: SSEConnection) async -> Bool {
                let deadline = ContinuousClock.now + .seconds(5)
                while !stream.isEnded && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
                return stream.isEnded
            }
            let keeper = try await logIn()
            let kept = try await live.stream(keeper)

            // Logging out ends that session's stream (and its waiting long-poll) at once.
            let loggedOut = try await live.stream(alice.token)
            let (_, head) = try await live.poll(alice.token, after: nil, timeout: 0)
            let waitStarted = ContinuousClock.now
            async let waiting = live.send(.GET, "/api/events?timeout=30&after=\(head)", token: alice.token)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await live.send(.DELETE, "/api/session", token: alice.token).status == 204)
            #expect(await ended(loggedOut))
            #expect(try await waiting.status == 200)
            #expect(ContinuousClock.now - waitStarted < .seconds(10))
            #expect(try await live.send(.GET, "/api/events/stream", token: alice.token).status == 401)

            // Revoking a session from another ends its stream.
            let revokedToken = try await logIn()
            let revoked = try await live.stream(revokedToken)
            let sessions = try #require(try await live.send(.GET, "/api/me/sessions", token: revokedToken).body?["sessions"]?.array)
            let revokedID = try #require(sessions.first { $0["current"] == .bool(true) }?["id"]?.int)
            #expect(try await live.send(.DELETE, "/api/me/sessions/\(revokedID)", token: keeper).status == 204)
            #expect(await ended(revoked))

            // A new password ends every other session's stream.
            let other = try await live.stream(try await logIn())
            let changed = try await live.send(
                .PUT, "/api/me/password", json: #"{"current_password":"password123","new_password":"another-password-1"}"#, token: keeper)
            #expect(changed.status == 204, "\(changed.text)")
            #expect(await ended(other))

            // Through all of it the keeper's stream stayed open and live.
            #expect(!kept.isEnded)
            _ = try await live.post(keeper, room: 1, text: "still here")
            #expect(await kept.waitFor(1) { $0.event == "message.created" }.count == 1)
            await kept.close()
        }
    }

    /// A stream outlives no session: one that expires while the stream is open (an access token's
    /// expiry is fixed) or that is gone from the database without this server ending its streams
    /// (another server revoked it, or a revocation raced the stream's own lookup) ends at the next
    /// check (a waiting long-poll too: the same disconnect as a logout's); other streams stay.
    @Test func aStreamEndsWhenItsSessionExpiresOrIsGoneFromTheDatabase() async throws {
        let parley = try await TestParley.make { $0.streamSessionCheck = .milliseconds(200) }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let made = try await live.send(.POST, "/api/me/tokens", json: #"{"name":"bot","password":"password123"}"#, token: alice.token)
            let token = try #require(made.body?["token"]?.string)
            let tokenID = try #require(made.body?["access_token"]?["id"]?.int)
            // Generous: the whole suite runs at once on two cores.
            func ended(_ stream: SSEConnection) async -> Bool {
                let deadline = ContinuousClock.now + .seconds(20)
                while !stream.isEnded && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
                return stream.isEnded
            }
            let kept = try await live.stream(alice.token)
            let bot = try await live.stream(token)
            try await Task.sleep(for: .milliseconds(500))
            #expect(!bot.isEnded)
            // The token's time runs out while its stream is open.
            try parley.execute("UPDATE sessions SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = ?", [tokenID])
            #expect(await ended(bot))
            #expect(try await live.send(.GET, "/api/events/stream", token: token).status == 401)

            // A login session deleted behind the server's back (as another server on the same
            // database would, or a revocation racing the stream's own lookup): its stream ends.
            let reply = try await live.send(.POST, "/api/session", json: #"{"username":"alice","password":"password123"}"#)
            let second = try #require(reply.body?["token"]?.string)
            let secondID = try parley.query("SELECT MAX(id) AS id FROM sessions")[0].decode("id", as: Int64.self)
            let gone = try await live.stream(second)
            try parley.execute("DELETE FROM sessions WHERE id = ?", [secondID])
            #expect(await ended(gone))

            #expect(!kept.isEnded)
            _ = try await live.post(alice.token, room: 1, text: "still here")
            #expect(await kept.waitFor(1) { $0.event == "message.created" }.count == 1)
            await kept.close()
        }
    }

    @Test func everyoneSeesThePublicDirectoryChangeLiveButNotPrivateGroups() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let (_, start) = try await live.poll(bob.token, after: nil, timeout: 0)
            let stream = try await live.stream(bob.token)
            let created = try await live.send(.POST, "/api/rooms", json: #"{"name":"lobby","topic":"hello"}"#, token: alice.token)
            let room = try #require(created.body?["room"]?["id"]?.int)
            _ = try await live.send(.POST, "/api/rooms", json: #"{"name":"hidden","kind":"group"}"#, token: alice.token)
            #expect(try await live.send(.PATCH, "/api/rooms/\(room)", json: #"{"name":"Lobby 2"}"#, token: alice.token).status == 200)
            #expect(try await live.send(.DELETE, "/api/rooms/\(room)", token: alice.token).status == 204)
            let changes = await stream.waitFor(3) { $0.event == "directory.changed" }
            let data = changes.compactMap { $0.json?["data"] }
            #expect(data.map { $0["room_id"]?.int } == [room, room, room])
            #expect(data.map { $0["room"]?["name"]?.string } == ["lobby", "Lobby 2", nil])
            #expect(data.first?["room"]?["topic"] == .string("hello"))
            #expect(data.last?["room"] == .null)
            #expect(changes.first?.json?["room_id"] == .null && changes.first?.json?["user_id"] == .null)
            // Bob is in none of these rooms and saw nothing else of them, nor of the private group.
            #expect(!stream.events.contains { $0.data.contains("hidden") })
            #expect(!stream.events.contains { ["room.created", "room.updated", "room.deleted"].contains($0.event) })
            // A replay from before shows the same.
            let (replayed, _) = try await live.poll(bob.token, after: start, timeout: 0)
            #expect(replayed.filter { $0["type"] == .string("directory.changed") }.count == 3)
            #expect(!replayed.contains { $0["data"]?["room"]?["name"] == .string("hidden") })
            await stream.close()
        }
    }

    @Test func aNewDisplayNameReachesEveryoneWhoSharesARoomAndNobodyElse() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let loner = try await live.signUp("loner")
            #expect(try await live.send(.POST, "/api/rooms/1/leave", token: loner.token).status == 204)
            let otherDevice = try await live.logIn("alice")
            let streams = [try await live.stream(bob.token), try await live.stream(otherDevice), try await live.stream(loner.token)]
            let renamed = try await live.send(.PATCH, "/api/me", json: #"{"display_name":"Alice Liddell"}"#, token: alice.token)
            #expect(renamed.status == 200, "\(renamed.text)")
            for stream in streams.prefix(2) {
                let events = await stream.waitFor(1) { $0.event == "user.updated" }
                #expect(events.first?.json?["data"]?["user"] == .object(["id": .number(Double(alice.id)), "username": .string("alice"), "display_name": .string("Alice Liddell"), "avatar_url": .null]))
            }
            // Someone who shares no room with her hears nothing of it, live or replayed.
            _ = try await live.post(bob.token, room: 1, text: "after the rename")
            _ = await streams[0].waitFor(1) { $0.event == "message.created" }
            #expect(!streams[2].events.contains { $0.event == "user.updated" })
            let (replayed, _) = try await live.poll(loner.token, after: 0, timeout: 0)
            #expect(!replayed.contains { $0["type"] == .string("user.updated") })
            let (bobReplay, _) = try await live.poll(bob.token, after: 0, timeout: 0)
            #expect(bobReplay.contains { $0["type"] == .string("user.updated") })
            for stream in streams { await stream.close() }
        }
    }

    @Test func aRemovedMemberStopsReceivingTheRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let group = try await live.send(.POST, "/api/rooms", json: #"{"name":"secret","kind":"group","members":[\#(bob.id)]}"#, token: alice.token)
            let room = try #require(group.body?["room"]?["id"]?.int)
            let stream = try await live.stream(bob.token)
            _ = await stream.waitFor(0, within: 0.3)
            _ = try await live.post(alice.token, room: room, text: "while a member")
            #expect(await stream.waitFor(1) { $0.event == "message.created" }.count == 1)
            #expect(try await live.send(.DELETE, "/api/rooms/\(room)/members/\(bob.id)", token: alice.token).status == 204)
            let removed = await stream.waitFor(1) { $0.event == "member.removed" }
            #expect(removed.first?.json?["data"]?["user"]?["id"]?.int == bob.id)
            _ = try await live.post(alice.token, room: room, text: "after removal")
            _ = try await live.post(alice.token, room: 1, text: "in main")
            // The message in main arrives; the one in the group never does.
            let later = await stream.waitFor(2) { $0.event == "message.created" }
            #expect(later.compactMap { $0.json.flatMap(Self.text) } == ["while a member", "in main"])
            // Nor does a replay from before the removal include it.
            let (events, _) = try await live.poll(bob.token, after: 0, timeout: 0)
            #expect(!events.contains { Self.text($0) == "after removal" })
            #expect(events.contains { Self.text($0) == "while a member" })
            await stream.close()
        }
    }

    @Test func aCursorOlderThanRetentionGetsAResync() async throws {
        let parley = try await TestParley.make()
        let token = Locked<(String, Int64)?>(nil)
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            for n in 1...5 { _ = try await live.post(alice.token, room: 1, text: "old \(n)") }
            let (_, head) = try await live.poll(alice.token, after: nil, timeout: 0)
            token.set((alice.token, head))
        }
        let (alice, head) = try #require(token.get())
        try parley.execute("UPDATE event_log_state SET pruned_through = ? WHERE id = 1", [head - 1])
        try parley.execute("DELETE FROM events WHERE id <= ?", [head - 1])
        try await parley.live { live in
            let (events, cursor) = try await live.poll(alice, after: 1, timeout: 0)
            #expect(events.count == 1)
            #expect(events.first?["type"] == .string("resync"))
            // The client continues from the answer's cursor, which is at or past the resync point.
            #expect((events.first?["data"]?["cursor"]?.int ?? .max) <= cursor)
            #expect(cursor >= head)
            // A cursor at or above the pruned mark replays normally.
            let (fine, _) = try await live.poll(alice, after: head, timeout: 0)
            #expect(!fine.contains { $0["type"] == .string("resync") })
            let stream = try await live.stream(alice, lastEventID: "1")
            // No `id:` line before the resync: a client that dropped before reading it reconnects
            // from its old cursor and hears it again, not from the head without it.
            #expect(stream.comments.contains(" connected, resync follows"))
            let resync = await stream.waitFor(1) { $0.event == "resync" }
            #expect(resync.first?.id == resync.first?.json?["data"]?["cursor"]?.int.map(String.init))
            #expect(resync.first.flatMap { Int64($0.id ?? "") } ?? 0 >= head)
            await stream.close()
        }
    }

    /// The live server's own long-poll path reads parameters as the router does: percent-encoded
    /// digits are digits, a sign is refused.
    @Test func aPercentEncodedCursorIsReadOverTheWire() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let eve = try await live.signUp("eve")
            let head = try #require(try await live.send(.GET, "/api/events?timeout=0", token: eve.token).body?["cursor"]?.int)
            let encoded = String(head).unicodeScalars.map { "%3\($0)" }.joined()
            let again = try await live.send(.GET, "/api/events?after=\(encoded)&timeout=%30", token: eve.token)
            #expect(again.status == 200, "\(again.text)")
            // (Read from `head` on: events published meanwhile, such as eve's presence, may move it.)
            #expect((again.body?["cursor"]?.int ?? 0) >= head)
            #expect(again.body?["events"]?.array?.allSatisfy { ($0["id"]?.int ?? 0) > head } == true)
            for query in ["after=+\(head)", "after=%2B\(head)", "after=%3", "after=\(head)&timeout=+1"] {
                let refused = try await live.send(.GET, "/api/events?\(query)", token: eve.token)
                #expect(refused.status == 400, "\(query): \(refused.text)")
            }
        }
    }

    @Test func badCursorsAndTimeoutsAreRefused() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let eve = try await client.signUp("eve")
            try await client.send(.get, "/api/events?after=abc", headers: eve.bearer).expectError(.badRequest, "invalid_cursor")
            try await client.send(.get, "/api/events?after=-4", headers: eve.bearer).expectError(.badRequest, "invalid_cursor")
            try await client.send(.get, "/api/events?timeout=61", headers: eve.bearer).expectError(.badRequest, "invalid_timeout")
            try await client.send(.get, "/api/events/stream?after=x", headers: eve.bearer).expectError(.badRequest, "invalid_cursor")
            try await client.send(.get, "/api/events").expectError(.unauthorized, "unauthenticated")
            try await client.send(.get, "/api/events/stream").expectError(.unauthorized, "unauthenticated")
            // No cursor: start at the head (only events still being published may come along), then nothing more.
            let head = try await client.send(.get, "/api/events?timeout=0", headers: eve.bearer)
            #expect(head.status == .ok)
            let cursor = try #require(try head.json()["cursor"]?.int)
            #expect(cursor > 0)
            #expect(try head.json()["events"]?.array?.allSatisfy { ($0["id"]?.int ?? .max) <= cursor } == true)
            let next = try await client.send(.get, "/api/events?timeout=0&after=\(cursor)", headers: eve.bearer)
            #expect(try next.json()["events"]?.array?.isEmpty == true)
            // Empty values count as left out, as a URL template fills them: the head, and the default
            // wait (cut short here by an event; it was a 400 `invalid_timeout`).
            #expect(try await client.send(.get, "/api/events?after=&timeout=0", headers: eve.bearer).status == .ok)
            async let waited = client.send(.get, "/api/events?after=\(cursor)&timeout=", headers: eve.bearer)
            try await Task.sleep(for: .milliseconds(300))
            let said = try await MessageTests.say(client, eve, room: 1, "while waiting")
            let answer = try await waited
            #expect(answer.status == .ok)
            #expect(try answer.json()["events"]?.array?.contains { $0["data"]?["message"]?["id"]?.int == said } == true)
        }
    }

    @Test func eventsAreWrittenInTheSameTransactionAsTheirChange() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            // A refused post writes neither a message nor an event.
            let before = try parley.count("events")
            try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"   "}"#, headers: ann.bearer).expectError(.unprocessableContent, "invalid_text")
            try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"x","reply_to":999999}"#, headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_reply_to")
            #expect(try parley.count("events") == before)
            #expect(try parley.count("messages") == 0)
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"kept"}"#, headers: ann.bearer)
            #expect(posted.status == .created)
            #expect(try parley.count("events") == before + 1)
        }
    }
}

/// A value shared between test closures.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
}
