import Foundation
import HummingbirdTesting
import MariaDB
import NIOConcurrencyHelpers
import Parley
import Testing

/// Typing, presence, receipts, unread counts, mentions and notifications with several users and clients.
@Suite struct SignalTests {
    static func events(_ stream: SSEConnection, _ type: String) -> [JSON] {
        stream.events.filter { $0.event == type }.compactMap(\.json)
    }

    @Test func typingReachesMembersAndEndsByItselfAfterSixSeconds() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let stream = try await live.stream(bob.token)
            _ = await stream.waitFor(0, within: 0.3)
            // The indicator starts between sending the request and reading its answer: time the lower bound
            // from the first and the upper from the second (a loaded machine may take seconds to answer).
            let started = ContinuousClock.now
            #expect(try await live.send(.POST, "/api/rooms/1/typing", json: #"{"typing":true}"#, token: alice.token).status == 204)
            let answered = ContinuousClock.now
            let typing = await stream.waitFor(2, within: 20) { $0.event == "typing" }
            let elapsed = ContinuousClock.now - started
            let sinceAnswer = ContinuousClock.now - answered
            #expect(typing.count == 2)
            #expect(typing.first?.json?["data"]?["typing"] == .bool(true))
            #expect(typing.first?.json?["data"]?["user"]?["username"] == .string("alice"))
            #expect(typing.last?.json?["data"]?["typing"] == .bool(false))
            // The upper bound leaves room for a loaded machine (the whole suite at once missed 9 s twice);
            // an indicator that never ended would miss it by far (the wait above gives up after 20 s).
            #expect(elapsed >= .seconds(5.5) && sinceAnswer < .seconds(14), "expired after \(elapsed), \(sinceAnswer) after the answer")
            await stream.close()
        }
    }

    @Test func typingRenewalsFasterThanThreeSecondsAreDroppedAndSendingEndsIt() async throws {
        // Renewals are "too soon" for a minute here, not 3 s: a loaded machine took longer than 3 s
        // for the row of signals below.
        let parley = try await TestParley.make { $0.typingTTL = .seconds(120); $0.typingMinRenewal = .seconds(60) }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let stream = try await live.stream(bob.token)
            _ = await stream.waitFor(0, within: 0.3)
            for _ in 0..<3 { #expect(try await live.send(.POST, "/api/rooms/1/typing", json: #"{"typing":true}"#, token: alice.token).status == 204) }
            _ = try await live.post(alice.token, room: 1, text: "done typing")
            // The message's event and the end of typing (the same commit, but they may reach the stream apart).
            _ = await stream.waitFor(3) { $0.event == "typing" || $0.event == "message.created" }
            let kinds = stream.events.filter { $0.event == "typing" || $0.event == "message.created" }.map { event -> String in
                event.event == "typing" ? "typing:\(event.json?["data"]?["typing"] == .bool(true))" : "message"
            }
            // The message's event first (its id is reserved before the rest of its transaction's).
            #expect(kinds == ["typing:true", "message", "typing:false"])
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'typing'")) == 2)
            await stream.close()
        }
    }

    /// Typing in a thread says which thread (its root message), so the room does not show it; moving
    /// between a thread and the room is told at once, and a reply ends it there.
    @Test func typingInAThreadSaysWhichThread() async throws {
        // Renewals are "too soon" for a minute here, not 3 s: a loaded machine took longer than 3 s
        // for the row of signals below.
        let parley = try await TestParley.make { $0.typingTTL = .seconds(120); $0.typingMinRenewal = .seconds(60) }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let root = try await live.post(bob.token, room: 1, text: "a question")
            let group = try #require(try await live.send(.POST, "/api/rooms", json: #"{"name":"g","kind":"group"}"#, token: alice.token).body?["room"]?["id"]?.int)
            let elsewhere = try await live.post(alice.token, room: group, text: "in the group")
            let stream = try await live.stream(bob.token)
            _ = await stream.waitFor(0, within: 0.3)
            func typing(_ json: String) async throws -> LiveClient.Reply {
                try await live.send(.POST, "/api/rooms/1/typing", json: json, token: alice.token)
            }
            // A thread of another room, no such message, or not an id: refused, and nothing is told.
            for (json, status, code) in [
                (#"{"typing":true,"thread_id":\#(elsewhere)}"#, 422, "invalid_thread"), (#"{"typing":true,"thread_id":987654}"#, 422, "invalid_thread"),
                (#"{"typing":true,"thread_id":0}"#, 422, "invalid_thread"), (#"{"typing":true,"thread_id":"x"}"#, 400, "invalid_request"),
            ] {
                let reply = try await typing(json)
                #expect(reply.status == status && reply.body?["error"]?["code"] == .string(code), "\(json): \(reply.text)")
            }
            #expect(try await typing(#"{"typing":true,"thread_id":\#(root)}"#).status == 204)
            // Into the room at once (not dropped as a renewal too soon), and back into the thread.
            #expect(try await typing(#"{"typing":true}"#).status == 204)
            #expect(try await typing(#"{"typing":true,"thread_id":\#(root)}"#).status == 204)
            // A renewal in the same place this soon is dropped.
            #expect(try await typing(#"{"typing":true,"thread_id":\#(root)}"#).status == 204)
            let reply = try await live.send(.POST, "/api/rooms/1/messages", json: #"{"text":"an answer","reply_to":\#(root)}"#, token: alice.token)
            #expect(reply.status == 201)
            let seen = await stream.waitFor(4, within: 20) { $0.event == "typing" }
            let told = seen.compactMap(\.json).map { event -> String in
                let data = event["data"]
                let place = data?["thread_id"] == .null ? "room" : data?["thread_id"]?.int == root ? "thread" : "?"
                return "\(data?["typing"] == .bool(true) ? "start" : "stop"):\(place)"
            }
            #expect(told == ["start:thread", "start:room", "start:thread", "stop:thread"])
            await stream.close()
        }
    }

    /// Logging out of one's last device is offline at once (a dropped connection keeps the grace,
    /// as it may come back; a logged-out device does not); logging out of one of two is not.
    @Test func loggingOutOfTheLastDeviceIsOfflineAtOnce() async throws {
        let parley = try await TestParley.make { $0.presenceGrace = .seconds(30) }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let watcher = try await live.stream(alice.token)
            _ = await watcher.waitFor(0, within: 0.3)
            func bobsPresence() -> [String] {
                Self.events(watcher, "presence").filter { $0["data"]?["user"]?["username"] == .string("bob") }.compactMap { $0["data"]?["status"]?.string }
            }
            let laptop = try await live.logIn("bob")
            let phoneStream = try await live.stream(bob.token)
            let laptopStream = try await live.stream(laptop)
            _ = await watcher.waitFor(1) { $0.event == "presence" }
            #expect(bobsPresence() == ["online"])

            #expect(try await live.send(.DELETE, "/api/session", token: laptop).status == 204)
            _ = await laptopStream.waitFor(Int.max, within: 1)
            _ = try await live.post(alice.token, room: 1, text: "marker")
            _ = await watcher.waitFor(1) { $0.event == "message.created" }
            #expect(bobsPresence() == ["online"])

            #expect(try await live.send(.DELETE, "/api/session", token: bob.token).status == 204)
            #expect(await watcher.waitFor(2, within: 5) { $0.event == "presence" }.count == 2)
            #expect(bobsPresence() == ["online", "offline"])
            let members = try await live.send(.GET, "/api/rooms/1/members", token: alice.token)
            #expect(members.body?["members"]?.array?.first { $0["user"]?["username"] == .string("bob") }?["presence"] == .string("offline"))
            await phoneStream.close()
            await laptopStream.close()
            await watcher.close()
        }
    }

    @Test func typingNeverReachesNonMembers() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let group = try #require(try await live.send(.POST, "/api/rooms", json: #"{"name":"g","kind":"group"}"#, token: alice.token).body?["room"]?["id"]?.int)
            let stream = try await live.stream(bob.token)
            _ = await stream.waitFor(0, within: 0.3)
            #expect(try await live.send(.POST, "/api/rooms/\(group)/typing", json: #"{"typing":true}"#, token: alice.token).status == 204)
            #expect(try await live.send(.POST, "/api/rooms/\(group)/typing", json: #"{"typing":true}"#, token: bob.token).status == 404)
            _ = try await live.post(alice.token, room: 1, text: "marker")
            _ = await stream.waitFor(1) { $0.event == "message.created" }
            #expect(Self.events(stream, "typing").isEmpty)
            await stream.close()
        }
    }

    @Test func presenceFollowsConnectionsAndChosenStatus() async throws {
        let parley = try await TestParley.make { $0.presenceGrace = .seconds(1) }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let watcher = try await live.stream(alice.token)
            _ = await watcher.waitFor(0, within: 0.3)
            let bobStream = try await live.stream(bob.token)
            let online = await watcher.waitFor(1) { $0.event == "presence" && $0.json?["data"]?["user"]?["username"] == .string("bob") }
            #expect(online.first?.json?["data"]?["status"] == .string("online"))
            let members = try await live.send(.GET, "/api/rooms/1/members", token: alice.token)
            let bobEntry = members.body?["members"]?.array?.first { $0["user"]?["username"] == .string("bob") }
            #expect(bobEntry?["presence"] == .string("online"))
            #expect(bobEntry?["online"] == .bool(true))

            #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"busy"}"#, token: bob.token).status == 204)
            let busy = await watcher.waitFor(2) { $0.event == "presence" && $0.json?["data"]?["user"]?["username"] == .string("bob") }
            #expect(busy.last?.json?["data"]?["status"] == .string("busy"))
            #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"offline"}"#, token: bob.token).status == 422)
            // The same status again tells nobody: the next presence event is Bob going offline.
            #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"busy"}"#, token: bob.token).status == 204)

            let closedAt = Date()
            await bobStream.close()
            let offline = await watcher.waitFor(3, within: 20) { $0.event == "presence" && $0.json?["data"]?["user"]?["username"] == .string("bob") }
            #expect(offline.last?.json?["data"]?["status"] == .string("offline"))
            // Last seen when the stream closed, not when the grace (a second here) ran out.
            let lastSeen = try #require(offline.last?.json?["data"]?["last_seen_at"]?.string.flatMap(ParleyJSON.parseTimestamp))
            #expect(abs(lastSeen.timeIntervalSince(closedAt)) < 0.5, "last seen \(lastSeen), closed at \(closedAt)")
            let after = try await live.send(.GET, "/api/rooms/1/members", token: alice.token)
            let entry = after.body?["members"]?.array?.first { $0["user"]?["username"] == .string("bob") }
            #expect(entry?["presence"] == .string("offline"))
            #expect(entry?["last_seen_at"]?.string != nil)
            await watcher.close()
        }
    }

    /// A status the person chose is the account's: a device reporting itself online or away (a tab
    /// shown or hidden) does not undo it, and their other devices hear of the choice (a hunt: Busy
    /// chosen on the laptop was undone by the phone's next load, and the laptop still said Busy).
    @Test func aChosenStatusStandsForEveryDevice() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let phone = try await live.logIn("bob")
            let watcher = try await live.stream(alice.token)
            let laptop = try await live.stream(bob.token)
            _ = await watcher.waitFor(1) { $0.event == "presence" && $0.json?["data"]?["user"]?["id"]?.int == bob.id }
            func bobsPresence() async throws -> String? {
                let members = try await live.send(.GET, "/api/rooms/1/members", token: alice.token).body?["members"]?.array ?? []
                return members.first { $0["user"]?["id"]?.int == bob.id }?["presence"]?.string
            }
            #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"busy","chosen":true}"#, token: phone).status == 204)
            let chosen = await laptop.waitFor(1) { $0.event == "presence.chosen" }
            #expect(chosen.first?.json?["data"] == .object(["choice": .string("busy")]))
            #expect(chosen.first?.json?["user_id"]?.int == bob.id)
            // The laptop's tab comes back into view and reports online: Bob stays busy.
            #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"online"}"#, token: bob.token).status == 204)
            #expect(try await bobsPresence() == "busy")
            let me = try await live.send(.GET, "/api/me", token: bob.token)
            #expect(me.body?["presence_choice"] == .string("busy") && me.body?["presence"] == .string("busy"))
            // Choosing automatic again: online at once, and a device's report counts again.
            #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"online","chosen":true}"#, token: bob.token).status == 204)
            #expect(try await bobsPresence() == "online")
            #expect(await laptop.waitFor(2) { $0.event == "presence.chosen" }.last?.json?["data"] == .object(["choice": .null]))
            #expect(try await live.send(.GET, "/api/me", token: phone).body?["presence_choice"] == .null)
            // The phone goes into a pocket, while the laptop's tab is still in view: Bob stays online.
            #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"away"}"#, token: phone).status == 204)
            #expect(try await bobsPresence() == "online")
            #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"away"}"#, token: bob.token).status == 204)
            #expect(try await bobsPresence() == "away")
            // Choosing the same again sends nothing more to Bob's devices.
            #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"online","chosen":true}"#, token: bob.token).status == 204)
            _ = try await live.post(alice.token, room: 1, text: "marker")
            _ = await laptop.waitFor(1) { $0.event == "message.created" }
            #expect(Self.events(laptop, "presence.chosen").count == 2)
            await laptop.close()
            await watcher.close()
        }
    }

    /// The automatic status is the best of what the devices still there report of themselves: a
    /// hidden tab or a phone put away does not make someone at their desk "away", nor keep `@here`
    /// from them (a hunt: the last report won). A device that leaves takes its report with it.
    @Test func automaticPresenceIsTheBestOfTheDevicesStillThere() async throws {
        let parley = try await TestParley.make { $0.presenceGrace = .seconds(1) }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let phone = try await live.logIn("bob")
            let watcher = try await live.stream(alice.token)
            let desk = try await live.stream(bob.token)
            let pocket = try await live.stream(phone)
            _ = await watcher.waitFor(1) { $0.event == "presence" && $0.json?["data"]?["user"]?["id"]?.int == bob.id }
            func bobsPresence() async throws -> String? {
                let members = try await live.send(.GET, "/api/rooms/1/members", token: alice.token).body?["members"]?.array ?? []
                return members.first { $0["user"]?["id"]?.int == bob.id }?["presence"]?.string
            }
            func report(_ status: String, _ token: String) async throws {
                #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"\#(status)"}"#, token: token).status == 204)
            }
            try await report("online", bob.token)
            try await report("away", phone)
            #expect(try await bobsPresence() == "online")
            // `@here` reaches him: he is at his desk.
            let here = try await live.post(alice.token, room: 1, text: "@here standup")
            let mentioned = try await live.send(.GET, "/api/rooms", token: bob.token).body?["mine"]?.array?.first { $0["id"]?.int == 1 }
            #expect(mentioned?["mentioned"] == .bool(true), "\(String(describing: mentioned)) after \(here)")
            // Both away: away; one of them back: online.
            try await report("away", bob.token)
            #expect(try await bobsPresence() == "away")
            try await report("online", phone)
            #expect(try await bobsPresence() == "online")
            // The phone, the one online, leaves (its connection closes): once its grace is over,
            // Bob is what the desk says, away, and those who share a room hear it.
            await pocket.close()
            // (The second "away": the first was both devices saying so.)
            let away = await watcher.waitFor(2, within: 20) {
                $0.event == "presence" && $0.json?["data"]?["user"]?["id"]?.int == bob.id && $0.json?["data"]?["status"] == .string("away")
            }
            #expect(away.count == 2)
            #expect(try await bobsPresence() == "away")
            // A phone logging out takes its report at once: online again from the desk, then the
            // phone says online and logs out, and the desk's away is what stays.
            try await report("online", bob.token)
            let phone2 = try await live.logIn("bob")
            let phone2Stream = try await live.stream(phone2)
            try await report("online", phone2)
            try await report("away", bob.token)
            #expect(try await bobsPresence() == "online")
            #expect(try await live.send(.DELETE, "/api/session", token: phone2).status == 204)
            #expect(try await bobsPresence() == "away")
            await phone2Stream.close()
            await desk.close()
            await watcher.close()
        }
    }

    /// A delivered mark gathered in the server's last second is written as it shuts down: the
    /// client's cursor has passed the event, so it would not be marked again (a hunt lost it).
    @Test func deliveredMarksGatheredBeforeAShutdownAreWritten() async throws {
        let parley = try await TestParley.make()
        let seen = NIOLockedValueBox<(bob: Int64, group: Int64, message: Int64)>((0, 0, 0))
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let group = try #require(
                try await live.send(.POST, "/api/rooms", json: #"{"name":"duo","kind":"group","members":[\#(bob.id)]}"#, token: alice.token)
                    .body?["room"]?["id"]?.int)
            let (_, cursor) = try await live.poll(bob.token, after: nil, timeout: 0)
            let message = try await live.post(alice.token, room: group, text: "just before the restart")
            _ = try await live.poll(bob.token, after: cursor, timeout: 5)
            seen.withLockedValue { $0 = (bob.id, group, message) }
        }
        let (bob, group, message) = seen.withLockedValue { $0 }
        #expect(try parley.scalar("SELECT delivered_up_to FROM room_members WHERE room_id = ? AND user_id = ?", [group, bob]) == .int(message))
    }

    /// A notification level chosen on one device reaches the member's others
    /// (`room.notification_level`), once per change, and nobody else.
    @Test func aNotificationLevelReachesTheMembersOtherDevices() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            // No level chosen yet (the room's default): stored as NULL.
            try parley.execute("UPDATE room_members SET notify_level = NULL WHERE room_id = 1 AND user_id = ?", [ann.id])
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)
            for level in ["none", "none", "all"] {
                let answer = try await client.send(.put, "/api/rooms/1/notifications", json: #"{"level":"\#(level)"}"#, headers: ann.bearer)
                #expect(answer.status == .ok)
            }
            func levels(_ user: LoggedIn) async throws -> [String] {
                (try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: user.bearer).json()["events"]?.array ?? [])
                    .filter { $0["type"] == .string("room.notification_level") }
                    .compactMap { $0["data"]?["room_id"]?.int == 1 ? $0["data"]?["level"]?.string : nil }
            }
            #expect(try await levels(ann) == ["none", "all"])
            #expect(try await levels(bob).isEmpty)
        }
    }

    @Test func deliveredMarksAdvanceFromLongPollAndFromSSE() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let carol = try await live.signUp("carol")
            let group = try #require(
                try await live.send(.POST, "/api/rooms", json: #"{"name":"trio","kind":"group","members":[\#(bob.id),\#(carol.id)]}"#, token: alice.token)
                    .body?["room"]?["id"]?.int)
            let (_, bobCursor) = try await live.poll(bob.token, after: nil, timeout: 0)
            let carolStream = try await live.stream(carol.token)
            let aliceStream = try await live.stream(alice.token)
            _ = await carolStream.waitFor(0, within: 0.3)
            let message = try await live.post(alice.token, room: group, text: "did you get this?")
            _ = try await live.poll(bob.token, after: bobCursor, timeout: 5)
            _ = await carolStream.waitFor(1) { $0.event == "message.created" }
            // Marks are written within about a second of delivery, with receipt events to the room.
            let receipts = await aliceStream.waitFor(2, within: 15) { $0.event == "receipt" }
            #expect(Set(receipts.compactMap { $0.json?["data"]?["user"]?["username"]?.string }) == ["bob", "carol"])
            #expect(receipts.allSatisfy { $0.json?["data"]?["delivered_up_to"]?.int == message })
            let list = try await live.send(.GET, "/api/rooms/\(group)/receipts", token: alice.token)
            let marks = Dictionary(
                uniqueKeysWithValues: (list.body?["receipts"]?.array ?? []).map { ($0["user"]?["username"]?.string ?? "", $0) })
            #expect(marks["bob"]?["delivered_up_to"]?.int == message)
            #expect(marks["carol"]?["delivered_up_to"]?.int == message)
            #expect(marks["bob"]?["read_up_to"]?.int == 0)
            await carolStream.close()
            await aliceStream.close()
        }
    }

    /// Someone who keeps read receipts private: messages are marked delivered as their clients fetch
    /// them (the room list's last messages, a page of history), not as they read them. A client
    /// starting its stream at the head got what came meanwhile only by reading, and the "delivered"
    /// mark moving then told the sender when they read (a hunt).
    @Test func aPrivateReadersMessagesAreDeliveredAsTheirClientFetchesThemNotAsTheyRead() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            #expect(try await live.send(.PATCH, "/api/me", json: #"{"send_read_receipts":false}"#, token: bob.token).status == 200)
            let group = try #require(
                try await live.send(.POST, "/api/rooms", json: #"{"name":"duo","kind":"group","members":[\#(bob.id)]}"#, token: alice.token)
                    .body?["room"]?["id"]?.int)
            let aliceStream = try await live.stream(alice.token)
            _ = await aliceStream.waitFor(0, within: 0.3)
            func bobsReceipts() async -> [Int64?] {
                _ = await aliceStream.waitFor(0, within: 0.1)
                return aliceStream.events.filter { $0.event == "receipt" && $0.json?["data"]?["user"]?["id"]?.int == bob.id }
                    .map { $0.json?["data"]?["delivered_up_to"]?.int }
            }
            func bobsMark() async throws -> JSON? {
                try await live.send(.GET, "/api/rooms/\(group)/receipts", token: alice.token).body?["receipts"]?.array?.first { $0["user"]?["id"]?.int == bob.id }
            }
            // Posted while Bob has no client open: his room list delivers the newest.
            let first = try await live.post(alice.token, room: group, text: "one")
            #expect(try await live.send(.GET, "/api/rooms", token: bob.token).status == 200)
            #expect(await aliceStream.waitFor(1, within: 10) { $0.event == "receipt" }.first?.json?["data"]?["delivered_up_to"]?.int == first)
            // Two more: a page of history delivers them.
            _ = try await live.post(alice.token, room: group, text: "two")
            let third = try await live.post(alice.token, room: group, text: "three")
            #expect(try await live.send(.GET, "/api/rooms/\(group)/messages", token: bob.token).status == 200)
            #expect(await aliceStream.waitFor(2, within: 10) { $0.event == "receipt" }.last?.json?["data"]?["delivered_up_to"]?.int == third)
            // Reading them tells Alice nothing.
            #expect(try await live.send(.POST, "/api/rooms/\(group)/read", json: #"{"message_id":\#(third)}"#, token: bob.token).status == 200)
            // One more, read at once by an id his client had some other way: still nothing, and his
            // mark stays at what was fetched.
            let fourth = try await live.post(alice.token, room: group, text: "four")
            #expect(try await live.send(.POST, "/api/rooms/\(group)/read", json: #"{"message_id":\#(fourth)}"#, token: bob.token).status == 200)
            try await Task.sleep(for: .seconds(2.5))
            #expect(await bobsReceipts() == [first, third])
            let mark = try await bobsMark()
            #expect(mark?["delivered_up_to"]?.int == third && mark?["read_up_to"] == .null)
            await aliceStream.close()
        }
    }

    @Test func readMarksOnlyMoveForwardAndUnreadCountsAreExactOnEveryDevice() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let phone = try await live.logIn("bob")
            let phoneStream = try await live.stream(phone)
            _ = await phoneStream.waitFor(0, within: 0.3)
            var ids: [Int64] = []
            for n in 1...30 { ids.append(try await live.post(alice.token, room: 1, text: "n\(n)")) }
            func unread(_ token: String) async throws -> (Int64?, String?) {
                let rooms = try await live.send(.GET, "/api/rooms", token: token)
                let main = rooms.body?["mine"]?.array?.first { $0["id"]?.int == 1 }
                return (main?["unread_count"]?.int, main?["unread_display"]?.string)
            }
            #expect(try await unread(bob.token) == (30, "30"))
            let read = try await live.send(.POST, "/api/rooms/1/read", json: #"{"message_id":\#(ids[9])}"#, token: bob.token)
            #expect(read.status == 200)
            #expect(read.body?["unread_count"]?.int == 20)
            #expect(read.body?["read_up_to"]?.int == ids[9])
            // An older mark from the other device does not move it back.
            let back = try await live.send(.POST, "/api/rooms/1/read", json: #"{"message_id":\#(ids[4])}"#, token: phone)
            #expect(back.body?["read_up_to"]?.int == ids[9])
            #expect(try await unread(phone) == (20, "20"))
            let markers = await phoneStream.waitFor(1) { $0.event == "read_marker" }
            #expect(markers.first?.json?["data"]?["unread_count"]?.int == 20)
            // Own messages never count; a deleted unread message stops counting.
            for n in 1...3 { _ = try await live.post(bob.token, room: 1, text: "mine \(n)") }
            for n in 1...5 { ids.append(try await live.post(alice.token, room: 1, text: "more \(n)")) }
            #expect(try await live.send(.DELETE, "/api/messages/\(ids[20])", token: alice.token).status == 204)
            #expect(try await unread(bob.token) == (24, "24"))
            #expect(try await unread(phone) == (24, "24"))
            try await live.send(.POST, "/api/rooms/1/read", json: #"{"message_id":999999}"#, token: bob.token)
            #expect(try await live.send(.POST, "/api/rooms/1/read", json: #"{"message_id":999999}"#, token: bob.token).status == 422)
            // Logging out and in again changes nothing.
            let again = try await live.logIn("bob")
            #expect(try await unread(again) == (24, "24"))
            await phoneStream.close()
        }
    }

    /// Marking a message unread moves my read mark back to just before it on every device of mine;
    /// what others see in receipts (what I have seen) stays, and reading again moves it forward.
    @Test func markingAMessageUnreadCountsItAgainOnEveryDeviceWhileReceiptsKeepWhatWasSeen() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let phone = try await live.logIn("bob")
            let group = try #require(
                try await live.send(.POST, "/api/rooms", json: #"{"name":"pair","kind":"group","members":[\#(bob.id)]}"#, token: alice.token)
                    .body?["room"]?["id"]?.int)
            var ids: [Int64] = []
            for n in 1...10 { ids.append(try await live.post(alice.token, room: group, text: "n\(n)")) }
            let mine = try await live.post(bob.token, room: group, text: "my own")
            #expect(try await live.send(.POST, "/api/rooms/\(group)/read", json: #"{"message_id":\#(mine)}"#, token: bob.token).status == 200)
            let phoneStream = try await live.stream(phone)
            let aliceStream = try await live.stream(alice.token)
            _ = await phoneStream.waitFor(0, within: 0.3)

            let marked = try await live.send(.POST, "/api/rooms/\(group)/unread", json: #"{"message_id":\#(ids[6])}"#, token: bob.token)
            #expect(marked.status == 200)
            #expect(marked.body?["room_id"]?.int == group)
            #expect(marked.body?["read_up_to"]?.int == ids[6] - 1)
            // n7, n8, n9 and n10; Bob's own message never counts.
            #expect(marked.body?["unread_count"]?.int == 4)
            let markers = await phoneStream.waitFor(1) { $0.event == "read_marker" }
            #expect(markers.first?.json?["data"]?["read_up_to"]?.int == ids[6] - 1)
            #expect(markers.first?.json?["data"]?["unread_count"]?.int == 4)
            let rooms = try await live.send(.GET, "/api/rooms", token: phone)
            let listed = rooms.body?["mine"]?.array?.first { $0["id"]?.int == group }
            #expect(listed?["unread_count"]?.int == 4)
            #expect(listed?["read_up_to"]?.int == ids[6] - 1)
            // Alice's view of Bob's receipt does not move back, and she gets no receipt event for it.
            func bobsReceipt() async throws -> Int64? {
                let list = try await live.send(.GET, "/api/rooms/\(group)/receipts", token: alice.token)
                return list.body?["receipts"]?.array?.first { $0["user"]?["username"]?.string == "bob" }?["read_up_to"]?.int
            }
            #expect(try await bobsReceipt() == mine)

            // A mark already before the message stays where it is (no event); an earlier message moves it further.
            let later = try await live.send(.POST, "/api/rooms/\(group)/unread", json: #"{"message_id":\#(ids[8])}"#, token: bob.token)
            #expect(later.body?["read_up_to"]?.int == ids[6] - 1)
            #expect(later.body?["unread_count"]?.int == 4)
            let earlier = try await live.send(.POST, "/api/rooms/\(group)/unread", json: #"{"message_id":\#(ids[0])}"#, token: bob.token)
            #expect(earlier.body?["unread_count"]?.int == 10)
            // Reading again moves the mark forward; receipts still show what was seen.
            let read = try await live.send(.POST, "/api/rooms/\(group)/read", json: #"{"message_id":\#(ids[9])}"#, token: bob.token)
            #expect(read.body?["read_up_to"]?.int == ids[9])
            #expect(read.body?["unread_count"]?.int == 0)
            #expect(try await bobsReceipt() == mine)
            let allMarkers = await phoneStream.waitFor(3) { $0.event == "read_marker" }
            #expect(allMarkers.compactMap { $0.json?["data"]?["unread_count"]?.int } == [4, 10, 0])
            let bobsReceipts = await aliceStream.waitFor(1, within: 1.5) {
                $0.event == "receipt" && $0.json?["data"]?["room_id"]?.int == group && $0.json?["data"]?["user"]?["id"]?.int == bob.id
            }
            #expect(bobsReceipts.isEmpty)

            // Bad input: a message of another room, one that does not exist, no message at all.
            let other = try await live.post(alice.token, room: 1, text: "elsewhere")
            for body in [#"{"message_id":\#(other)}"#, #"{"message_id":999999}"#, #"{"message_id":-9223372036854775808}"#] {
                let refused = try await live.send(.POST, "/api/rooms/\(group)/unread", json: body, token: bob.token)
                #expect(refused.status == 422)
                #expect(refused.body?["error"]?["code"]?.string == "invalid_message")
            }
            #expect(try await live.send(.POST, "/api/rooms/\(group)/unread", json: "{}", token: bob.token).status == 400)
            // Someone outside the private group does not learn it exists.
            let outsider = try await live.signUp("carol")
            let hidden = try await live.send(.POST, "/api/rooms/\(group)/unread", json: #"{"message_id":\#(ids[0])}"#, token: outsider.token)
            #expect(hidden.status == 404)
            await phoneStream.close()
            await aliceStream.close()
        }
    }

    /// A joiner's read mark is their `member.joined` event: what counts as unread is exactly what
    /// reaches them after joining, even while others post as they join (a mark taken from the
    /// room's newest message counted a message still committing, which never reached them live).
    @Test func aJoinersUnreadCountIsWhatReachedThemAfterJoining() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let room = try await RoomTests.room(client, owner, #"{"name":"busy"}"#)
            var senders: [LoggedIn] = []
            for n in 0..<4 {
                let sender = try await client.signUp("sender\(n)")
                #expect(try await RoomTests.join(client, sender, room).status == .ok)
                senders.append(sender)
            }
            var joiners: [LoggedIn] = []
            for n in 0..<6 { joiners.append(try await client.signUp("joiner\(n)")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sender in senders {
                    group.addTask { for n in 0..<15 { _ = try await MessageTests.say(client, sender, room: room, "n\(n)") } }
                }
                for (n, joiner) in joiners.enumerated() {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(20 * n))
                        #expect(try await RoomTests.join(client, joiner, room).status == .ok)
                    }
                }
                try await group.waitForAll()
            }
            for joiner in joiners {
                let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: joiner.bearer).json()["events"]?.array ?? []
                let joined = try #require(
                    events.first { $0["type"] == .string("member.joined") && $0["data"]?["room_id"]?.int == room && $0["data"]?["user"]?["id"]?.int == joiner.id })
                let live = events.filter { $0["type"] == .string("message.created") && $0["room_id"]?.int == room }.count
                let mine = try await client.send(.get, "/api/rooms", headers: joiner.bearer).json()["mine"]?.array ?? []
                let unread = mine.first { $0["id"]?.int == room }?["unread_count"]?.int
                #expect(unread == Int64(live))
                let mark = try Int64(mariaDBValue: try parley.scalar("SELECT read_up_to FROM room_members WHERE room_id = \(room) AND user_id = \(joiner.id)"))
                #expect(mark == joined["id"]?.int)
            }
        }
    }

    @Test func unreadCountsAbove999ShowAsA999PlusBadge() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            // Ids past the event log's, as posts get them (Bob's read mark is his joining's event).
            try parley.execute(
                """
                INSERT INTO messages (id, room_id, sender_id, text, created_at)
                SELECT 1000000 + seq, 1, ?, CONCAT('bulk ', seq), NOW(3) FROM seq_1_to_1200
                """, [alice.id])
            let rooms = try await client.send(.get, "/api/rooms", headers: bob.bearer).json()
            let main = rooms["mine"]?.array?.first { $0["id"]?.int == 1 }
            #expect(main?["unread_count"]?.int == 1000)
            #expect(main?["unread_display"] == .string("999+"))
            #expect(main?["last_message"]?["text"] == .string("bulk 1200"))
        }
    }

    /// Mentions of three members, a stranger and a repeated name: each member is named once in
    /// `mentions` and notified once (the name lists are padded for the statement cache).
    @Test func aMessageMentioningSeveralMembersNotifiesEachOnce() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            var ids: [Int64] = []
            for name in ["bob", "cara", "dan"] { ids.append(try await client.signUp(name).id) }
            let text = "@bob @cara @dan @nobody and @bob again"
            let reply = try await client.send(.post, "/api/rooms/1/messages", json: jsonString(["text": text]), headers: alice.bearer)
            #expect(reply.status == .created)
            let mentions = try reply.json()["message"]?["mentions"]?.array?.compactMap(\.int)
            #expect(mentions == ids)
            let notified = try parley.query("SELECT user_id, reason FROM notifications ORDER BY user_id")
            #expect(try notified.map { try $0.decode("user_id", as: Int64.self) } == ids)
            #expect(try notified.allSatisfy { try $0.decode("reason", as: String.self) == "mention" })
        }
    }

    /// A mention ending in `.` or `-` names the longest name that someone in the room has: `@bob.`
    /// is `bob.` when there is one (not `bob` too), and `bob` at the end of a sentence otherwise.
    @Test func aMentionEndingInADotNamesOnePerson() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let bobDot = try await client.signUp("bob.")
            let cara = try await client.signUp("cara")
            for (text, expected) in [
                ("thanks @Bob.", [bobDot.id]), ("ask @cara.", [cara.id]), ("@bob, @cara-- and @bob.", [bob.id, bobDot.id, cara.id]),
                ("@bob.-", [bobDot.id]),
            ] {
                let reply = try await client.send(.post, "/api/rooms/1/messages", json: jsonString(["text": text]), headers: alice.bearer)
                #expect(reply.status == .created)
                #expect(try reply.json()["message"]?["mentions"]?.array?.compactMap(\.int) == expected, "\(text)")
            }
            let notified = try parley.query("SELECT user_id, COUNT(*) AS n FROM notifications GROUP BY user_id ORDER BY user_id")
            #expect(try notified.map { [try $0.decode("user_id", as: Int64.self), try $0.decode("n", as: Int64.self)] } == [[bob.id, 1], [bobDot.id, 3], [cara.id, 2]])
        }
    }

    /// A reply tells the sender of the message it answers, as a mention would: not the replier
    /// themselves, not at level `none`, not after a block, and once when it also mentions them.
    @Test func aReplyNotifiesTheSenderOfItsTarget() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let post = { (user: LoggedIn, body: [String: Any]) in try await MessageTests.post(client, user, room: 1, body) }
            // Ann's (the others, who follow the thread by replying in it, are `threadFollowersHearOfNewReplies`').
            func notified() throws -> [[String]] {
                try parley.query("SELECT user_id, reason, message_id FROM notifications WHERE user_id = ? ORDER BY id", [ann.id]).map {
                    [String(try $0.decode("user_id", as: Int64.self)), try $0.decode("reason", as: String.self),
                     String(try $0.decode("message_id", as: Int64.self))]
                }
            }
            let question = try await MessageTests.say(client, ann, room: 1, "who has the keys?")
            let answered = try await post(bob, ["text": "I do", "reply_to": question])
            let answer = try #require(try answered.json()["message"]?["id"]?.int, "\(String(buffer: answered.body))")
            #expect(try notified() == [[String(ann.id), "reply", String(answer)]])
            let polled = try await client.send(.get, "/api/events?after=0&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let reasons = polled.filter { $0["type"] == .string("notification") }.compactMap { $0["data"]?["notification"]?["reason"]?.string }
            #expect(reasons == ["reply"])
            // Answering oneself, or mentioning the person too: nothing more, or one notification.
            _ = try await post(ann, ["text": "thanks", "reply_to": question])
            let both = try #require(try await post(cat, ["text": "@ann me too", "reply_to": question]).json()["message"]?["id"]?.int)
            #expect(try notified().suffix(1) == [[String(ann.id), "mention", String(both)]])
            // Level none, or a block, keeps it quiet.
            #expect(try await client.send(.put, "/api/rooms/1/notifications", json: #"{"level":"none"}"#, headers: ann.bearer).status == .ok)
            _ = try await post(bob, ["text": "hello?", "reply_to": question])
            #expect(try await client.send(.put, "/api/rooms/1/notifications", json: #"{"level":"mentions"}"#, headers: ann.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/me/blocks/\(cat.id)", headers: ann.bearer).status == .noContent)
            _ = try await post(cat, ["text": "still here", "reply_to": question])
            #expect(try notified().count == 2)
            // A reply to a deleted message tells nobody.
            #expect(try await client.send(.delete, "/api/messages/\(answer)", headers: bob.bearer).status == .noContent)
            _ = try await post(ann, ["text": "what did you say?", "reply_to": answer])
            #expect(try notified().count == 2)
        }
    }

    /// An edit that names someone new notifies them (once), as Zulip does; people no longer named
    /// lose the mention; `@room` counts only as posted; in a DM an edit notifies nobody again.
    @Test func anEditThatNamesSomeoneNewNotifiesThem() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            func notified(_ message: Int64) throws -> [String] {
                try parley.query(
                    "SELECT u.username, n.reason FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.message_id = ? ORDER BY n.id", [message]
                ).map { "\(try $0.decode("username", as: String.self)):\(try $0.decode("reason", as: String.self))" }
            }
            func marked(_ message: Int64) throws -> [Int64] {
                try parley.query("SELECT user_id FROM mentions WHERE message_id = ? ORDER BY user_id", [message]).map { try $0.decode("user_id") }
            }
            func edit(_ message: Int64, _ text: String) async throws -> JSON {
                let edited = try await client.send(.patch, "/api/messages/\(message)", json: #"{"text":"\#(text)"}"#, headers: ann.bearer)
                #expect(edited.status == .ok, "\(String(buffer: edited.body))")
                return try edited.json()["message"] ?? .null
            }
            let hello = try await MessageTests.say(client, ann, room: 1, "hello")
            #expect(try notified(hello).isEmpty)
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)
            let once = try await edit(hello, "hello @bob")
            #expect(once["mentions"]?.array?.map(\.int) == [bob.id])
            #expect(try notified(hello) == ["bob:mention"])
            #expect(try marked(hello) == [bob.id])
            let heard = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: bob.bearer).json()["events"]?.array ?? []
            #expect(heard.compactMap { $0["type"]?.string } == ["message.edited", "notification"])
            #expect(heard.last?["data"]?["notification"]?["message"]?["text"]?.string == "hello @bob")

            // Naming Cat too notifies only Cat; Bob is not told twice.
            _ = try await edit(hello, "hello @bob and @cat")
            #expect(try notified(hello) == ["bob:mention", "cat:mention"])
            #expect(try marked(hello) == [bob.id, cat.id])
            // No longer named, Bob loses the mention (not the notification he had).
            let third = try await edit(hello, "hello @cat, @room")
            #expect(third["mentions"]?.array?.map(\.int) == [cat.id])
            #expect(third["mentions_room"] == .bool(false))
            #expect(try marked(hello) == [cat.id])
            #expect(try notified(hello) == ["bob:mention", "cat:mention"])

            // Named by an edit of a reply, Bob follows its thread, as if named when it was posted.
            let answer = try #require(
                try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"see above","reply_to":\#(hello)}"#, headers: ann.bearer)
                    .json()["message"]?["id"]?.int)
            let follows = "root_id = \(hello) AND user_id = \(bob.id) AND following = 1"
            #expect(try parley.count("thread_follows", where: follows) == 0)
            _ = try await edit(answer, "see above @bob")
            #expect(try parley.count("thread_follows", where: follows) == 1)

            // In a DM every message already notified the other person: an edit adds nothing.
            let dm = try #require(
                try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            let note = try await MessageTests.say(client, ann, room: dm, "psst")
            #expect(try notified(note) == ["bob:dm"])
            _ = try await edit(note, "psst @bob")
            #expect(try notified(note) == ["bob:dm"])
        }
    }

    /// A thread's followers (its message's sender and everyone who replied in it) hear of each new
    /// reply (reason `thread`, below a mention and a reply to them), until they unfollow it;
    /// replying follows again. The thread says whether I follow it, and my clients hear of changes.
    @Test func threadFollowersHearOfNewReplies() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let dan = try await client.signUp("dan")
            let reply = { (user: LoggedIn, text: String, root: Int64) async throws -> Int64 in
                let posted = try await MessageTests.post(client, user, room: 1, ["text": text, "reply_to": root])
                return try #require(try posted.json()["message"]?["id"]?.int, "\(String(buffer: posted.body))")
            }
            func notified(_ message: Int64) throws -> [String: String] {
                var reasons: [String: String] = [:]
                for row in try parley.query("SELECT u.username, n.reason FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.message_id = ?", [message]) {
                    reasons[try row.decode("username")] = try row.decode("reason")
                }
                return reasons
            }
            func following(_ user: LoggedIn, _ root: Int64) async throws -> Bool? {
                try await client.send(.get, "/api/messages/\(root)/replies", headers: user.bearer).json()["following"]?.bool
            }
            let root = try await MessageTests.say(client, ann, room: 1, "release on Friday?")
            // The sender follows their message's thread from the start; nobody else does yet.
            #expect(try await following(ann, root) == true)
            #expect(try await following(bob, root) == false)

            let first = try await reply(bob, "fine by me", root)
            #expect(try notified(first) == ["ann": "reply"])
            #expect(try await following(bob, root) == true)
            let second = try await reply(cat, "@dan can you check?", root)
            #expect(try notified(second) == ["ann": "reply", "bob": "thread", "dan": "mention"])
            // Dan was mentioned in the thread: he follows it from now on, as in Slack.
            #expect(try await following(dan, root) == true)
            let third = try await reply(dan, "checked", root)
            #expect(try notified(third) == ["ann": "reply", "bob": "thread", "cat": "thread"])

            // Unfollowing (Bob, and Ann her own message's thread) silences it for them; saying it
            // again changes nothing; my other clients hear of it once.
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)
            #expect(try await client.send(.delete, "/api/messages/\(root)/follow", headers: bob.bearer).status == .noContent)
            #expect(try await client.send(.delete, "/api/messages/\(root)/follow", headers: bob.bearer).status == .noContent)
            #expect(try await client.send(.delete, "/api/messages/\(root)/follow", headers: ann.bearer).status == .noContent)
            #expect(try await following(bob, root) == false)
            #expect(try await following(ann, root) == false)
            // A mention still reaches Bob, but does not undo his choice.
            let fourth = try await reply(cat, "so Friday it is, @bob", root)
            #expect(try notified(fourth) == ["bob": "mention", "dan": "thread"])
            #expect(try await following(bob, root) == false)
            let heard = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: bob.bearer).json()["events"]?.array ?? []
            let changes = heard.filter { $0["type"]?.string?.hasPrefix("thread.") == true }
            #expect(changes.map { $0["type"]?.string } == ["thread.unfollowed"])
            #expect(changes.first?["data"]?["message_id"]?.int == root && changes.first?["data"]?["following"] == .bool(false))

            // Replying follows again; following by hand works too (Dan's level none still wins).
            let fifth = try await reply(bob, "ok", root)
            #expect(try notified(fifth) == ["cat": "thread", "dan": "thread"])
            #expect(try await client.send(.put, "/api/messages/\(root)/follow", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.put, "/api/rooms/1/notifications", json: #"{"level":"none"}"#, headers: dan.bearer).status == .ok)
            let sixth = try await reply(cat, "done", root)
            #expect(try notified(sixth) == ["ann": "reply", "bob": "thread"])

            // Only members follow: elsewhere it is as if the thread did not exist.
            let den = try await MessageTests.room(client, ann, #"{"name":"den","kind":"group"}"#, members: [])
            let secret = try await MessageTests.say(client, ann, room: den, "secret")
            try await client.send(.put, "/api/messages/\(secret)/follow", headers: bob.bearer).expectError(.notFound, "message_not_found")
            try await client.send(.put, "/api/messages/999999/follow", headers: bob.bearer).expectError(.notFound, "message_not_found")
            try await client.send(.put, "/api/messages/\(root)/follow").expectError(.unauthorized, "unauthenticated")
            #expect(try parley.scalar("SELECT COUNT(*) FROM thread_follows WHERE root_id = ?", [secret]) == .int(0))

            // A message deleted before anyone replied: its sender is not told they follow its
            // thread, as its replies do not reach them.
            let gone = try await MessageTests.say(client, ann, room: 1, "never mind")
            #expect(try await client.send(.delete, "/api/messages/\(gone)", headers: ann.bearer).status == .noContent)
            _ = try await reply(bob, "what was it?", gone)
            #expect(try await following(ann, gone) == false)
        }
    }

    /// Every room read at once: each mark moves to its room's newest message, with its events; a
    /// second call has nothing left to move.
    @Test func markingAllReadClearsEveryRoomOnce() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try await MessageTests.room(client, bob, #"{"name":"news"}"#, members: [ann])
            let quiet = try await MessageTests.room(client, bob, #"{"name":"quiet"}"#, members: [ann])
            var newest: [Int64: Int64] = [:]
            for n in 0..<3 { newest[room] = try await MessageTests.say(client, bob, room: room, "news \(n)") }
            for n in 0..<2 { newest[1] = try await MessageTests.say(client, bob, room: 1, "main \(n) @ann") }
            func unread() async throws -> [Int64: Int] {
                let rooms = try await client.send(.get, "/api/me/summary", headers: ann.bearer).json()["rooms"]?.array ?? []
                var counts: [Int64: Int] = [:]
                for state in rooms {
                    if let id = state["room_id"]?.int { counts[id] = Int(state["unread_count"]?.int ?? -1) }
                }
                return counts
            }
            #expect(try await unread() == [1: 2, room: 3, quiet: 0])

            let marked = try await client.send(.post, "/api/me/read", headers: ann.bearer)
            #expect(marked.status == .ok, "\(String(buffer: marked.body))")
            let moved = try marked.json()["rooms"]?.array ?? []
            #expect(moved.compactMap { $0["room_id"]?.int } == [1, room])
            #expect(moved.allSatisfy { $0["unread_count"]?.int == 0 && $0["mentioned"] == .bool(false) })
            #expect(moved.compactMap { $0["read_up_to"]?.int } == [newest[1], newest[room]])
            #expect(try await unread() == [1: 0, room: 0, quiet: 0])
            // Ann's other clients hear of each room; Bob sees her receipts.
            let polled = try await client.send(.get, "/api/events?after=0&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            #expect(polled.filter { $0["type"] == .string("read_marker") }.compactMap { $0["data"]?["room_id"]?.int } == [1, room])
            let receipts = try await client.send(.get, "/api/rooms/\(room)/receipts", headers: bob.bearer).json()["receipts"]?.array ?? []
            #expect(receipts.first { $0["user"]?["id"]?.int == ann.id }?["read_up_to"]?.int == newest[room])

            // Nothing left: nothing moves, no events.
            #expect(try await client.send(.post, "/api/me/read", headers: ann.bearer).json()["rooms"] == .array([]))
            #expect(try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'read_marker'") == .int(2))
            try await client.send(.post, "/api/me/read").expectError(.unauthorized, "unauthenticated")
        }
    }

    /// The room a device reads silences notifications only while that device is there: it ends
    /// when the device logs out, or `grace` after its last connection closed. (It was one per
    /// account: a desktop that logged out or crashed showing a room kept the phone from ever being
    /// notified of mentions there.)
    @Test func theRoomADeviceReadsEndsWithThatDevice() async throws {
        let parley = try await TestParley.make { $0.presenceGrace = .seconds(4) }
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let phone = try await live.stream(bob.token)
            _ = await phone.waitFor(0, within: 0.3)
            func mentions() -> Int { Self.events(phone, "notification").count }

            // The desktop shows room 1 with its own stream open: no notification while it does.
            let desktop = try await live.logIn("bob")
            let desktopStream = try await live.stream(desktop)
            _ = await desktopStream.waitFor(0, within: 0.3)
            #expect(try await live.send(.PUT, "/api/me/focus", json: #"{"room_id":1}"#, token: desktop).status == 204)
            _ = try await live.post(alice.token, room: 1, text: "@bob one")
            try await Task.sleep(for: .milliseconds(300))
            #expect(mentions() == 0)

            // Its stream goes (a crash): within the grace it still counts, then it does not. (A grace of
            // 4 s: with 1 s a loaded machine took longer than it between the close and the post.)
            await desktopStream.close()
            _ = try await live.post(alice.token, room: 1, text: "@bob two")
            try await Task.sleep(for: .milliseconds(4300))
            _ = try await live.post(alice.token, room: 1, text: "@bob three")
            #expect(await phone.waitFor(1) { $0.event == "notification" }.count == 1)
            #expect(Self.events(phone, "notification").compactMap { $0["data"]?["notification"]?["message"]?["text"]?.string } == ["@bob three"])

            // Another desktop shows the room, then logs out: at once nothing of it counts.
            let laptop = try await live.logIn("bob")
            #expect(try await live.send(.PUT, "/api/me/focus", json: #"{"room_id":1}"#, token: laptop).status == 204)
            _ = try await live.post(alice.token, room: 1, text: "@bob four")
            try await Task.sleep(for: .milliseconds(300))
            #expect(mentions() == 1)
            #expect(try await live.send(.DELETE, "/api/session", token: laptop).status == 204)
            _ = try await live.post(alice.token, room: 1, text: "@bob five")
            #expect(await phone.waitFor(2) { $0.event == "notification" }.count == 2)
            await phone.close()
        }
    }

    /// A device reading a room the user then leaves reads it no more: back in it from another
    /// device, the user is notified of mentions there (they went to nobody while that session lived).
    @Test func leavingARoomEndsEveryDevicesReadingOfIt() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let room = try #require(try await live.send(.POST, "/api/rooms", json: #"{"name":"den"}"#, token: alice.token).body?["room"]?["id"]?.int)
            #expect(try await live.send(.POST, "/api/rooms/\(room)/join", token: bob.token).status == 200)
            let desktop = try await live.logIn("bob")
            let desktopStream = try await live.stream(desktop)
            _ = await desktopStream.waitFor(0, within: 0.3)
            #expect(try await live.send(.PUT, "/api/me/focus", json: #"{"room_id":\#(room)}"#, token: desktop).status == 204)
            #expect(try await live.send(.POST, "/api/rooms/\(room)/leave", token: desktop).status == 204)
            // Back in from the phone, the desktop still open on the room it left.
            #expect(try await live.send(.POST, "/api/rooms/\(room)/join", token: bob.token).status == 200)
            let phone = try await live.stream(bob.token)
            _ = await phone.waitFor(0, within: 0.3)
            _ = try await live.post(alice.token, room: room, text: "@bob welcome back")
            let told = await phone.waitFor(1, within: 10) { $0.event == "notification" }
            #expect(told.compactMap { $0.json?["data"]?["notification"]?["message"]?["text"]?.string } == ["@bob welcome back"])
            await phone.close()
            await desktopStream.close()
        }
    }

    @Test func mentionsAndNotificationsFollowLevelsAndFocus() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let stream = try await live.stream(bob.token)
            _ = await stream.waitFor(0, within: 0.3)
            let plain = try await live.post(alice.token, room: 1, text: "no mention here")
            let mention = try await live.send(.POST, "/api/rooms/1/messages", json: #"{"text":"hey @Bob, look"}"#, token: alice.token)
            #expect(mention.body?["message"]?["mentions"] == .array([.number(Double(bob.id))]))
            let notified = await stream.waitFor(1) { $0.event == "notification" }
            #expect(notified.count == 1)
            #expect(notified.first?.json?["user_id"]?.int == bob.id)
            #expect(notified.first?.json?["data"]?["notification"]?["reason"] == .string("mention"))
            #expect(notified.first?.json?["data"]?["notification"]?["message"]?["text"] == .string("hey @Bob, look"))
            _ = plain
            let rooms = try await live.send(.GET, "/api/rooms", token: bob.token)
            #expect(rooms.body?["mine"]?.array?.first { $0["id"]?.int == 1 }?["mentioned"] == .bool(true))

            // Reading the room: no notification for it.
            #expect(try await live.send(.PUT, "/api/me/focus", json: #"{"room_id":1}"#, token: bob.token).status == 204)
            _ = try await live.post(alice.token, room: 1, text: "@bob again")
            // DMs notify; a muted DM does not.
            let dm = try #require(try await live.send(.POST, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, token: alice.token).body?["room"]?["id"]?.int)
            _ = try await live.post(alice.token, room: dm, text: "direct")
            let afterDM = await stream.waitFor(2) { $0.event == "notification" }
            #expect(afterDM.last?.json?["data"]?["notification"]?["reason"] == .string("dm"))
            #expect(try await live.send(.PUT, "/api/rooms/\(dm)/notifications", json: #"{"level":"none"}"#, token: bob.token).status == 200)
            _ = try await live.post(alice.token, room: dm, text: "muted @bob")
            // Level "all" for a room: every message notifies.
            let group = try #require(
                try await live.send(.POST, "/api/rooms", json: #"{"name":"g","kind":"group","members":[\#(bob.id)]}"#, token: alice.token)
                    .body?["room"]?["id"]?.int)
            #expect(try await live.send(.PUT, "/api/rooms/\(group)/notifications", json: #"{"level":"all"}"#, token: bob.token).status == 200)
            _ = try await live.post(alice.token, room: group, text: "everything")
            let all = await stream.waitFor(3) { $0.event == "notification" }
            try await Task.sleep(for: .milliseconds(300))
            let reasons = Self.events(stream, "notification").compactMap { $0["data"]?["notification"]?["reason"]?.string }
            #expect(reasons == ["mention", "dm", "all"])
            #expect(all.count == 3)
            // The summary has the same notifications, newest first, and every room's unread state.
            let summary = try await live.send(.GET, "/api/me/summary?since=2000-01-01T00:00:00.000Z", token: bob.token)
            #expect(summary.body?["notifications"]?.array?.compactMap { $0["reason"]?.string } == ["all", "dm", "mention"])
            #expect(summary.body?["rooms"]?.array?.count == 3)
            // Year 0 is no time the database keeps: refused (it once took the server down).
            #expect(try await live.send(.GET, "/api/me/summary?since=0000-01-01T00:00:00Z", token: bob.token).status == 400)
            await stream.close()
        }
    }

    @Test func aPasswordChangeEndsTheFocusOfTheSessionsItEnds() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            // Bob's laptop shows room 1 (a stream open); his phone changes the password.
            let laptop = try await live.logIn("bob")
            let stream = try await live.stream(laptop)
            _ = await stream.waitFor(0, within: 0.3)
            #expect(try await live.send(.PUT, "/api/me/focus", json: #"{"room_id":1}"#, token: laptop).status == 204)
            let changed = try await live.send(
                .PUT, "/api/me/password", json: #"{"current_password":"password123","new_password":"password456"}"#, token: bob.token)
            #expect(changed.status == 204, "\(changed.text)")
            // The laptop is logged out: a mention in the room it showed notifies Bob at once.
            _ = try await live.post(alice.token, room: 1, text: "@bob are you there?")
            let summary = try await live.send(.GET, "/api/me/summary?since=2000-01-01T00:00:00.000Z", token: bob.token)
            #expect(summary.body?["notifications"]?.array?.compactMap { $0["reason"]?.string } == ["mention"], "\(summary.text)")
            await stream.close()
        }
    }

    /// A mention taken back (its message deleted) leaves the summary's notifications: the activity
    /// list showed the tombstone as new (a hunt).
    @Test func aDeletedMessagesNotificationsLeaveTheSummary() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let kept = try await live.post(alice.token, room: 1, text: "@bob this stays")
            let gone = try await live.post(alice.token, room: 1, text: "@bob oops, wrong person")
            func notified() async throws -> [Int64] {
                let summary = try await live.send(.GET, "/api/me/summary?since=2000-01-01T00:00:00.000Z", token: bob.token)
                return summary.body?["notifications"]?.array?.compactMap { $0["message"]?["id"]?.int } ?? []
            }
            #expect(try await notified() == [gone, kept])
            #expect(try await live.send(.DELETE, "/api/messages/\(gone)", token: alice.token).status == 204)
            #expect(try await notified() == [kept])
        }
    }

    @Test func aGroupDMAtMentionsNotifiesOnlyOfMentions() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let carol = try await live.signUp("carol")
            let opened = try await live.send(.POST, "/api/dms", json: #"{"user_ids":[\#(bob.id),\#(carol.id)]}"#, token: alice.token)
            let dm = try #require(opened.body?["room"]?["id"]?.int, "\(opened.text)")
            #expect(try await live.send(.PUT, "/api/rooms/\(dm)/notifications", json: #"{"level":"mentions"}"#, token: bob.token).status == 200)
            _ = try await live.post(alice.token, room: dm, text: "lunch anyone?")
            _ = try await live.post(alice.token, room: dm, text: "@bob you too")
            func reasons(_ token: String) async throws -> [String] {
                let summary = try await live.send(.GET, "/api/me/summary?since=2000-01-01T00:00:00.000Z", token: token)
                return summary.body?["notifications"]?.array?.compactMap { $0["reason"]?.string } ?? []
            }
            // Bob hears only of the message naming him; Carol, at the DM's default, of both.
            #expect(try await reasons(bob.token) == ["mention"])
            #expect(try await reasons(carol.token) == ["dm", "dm"])
        }
    }

    @Test func hereMentionsReachOnlyMembersOnlineAndAvailable() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            var users: [String: (id: Int64, token: String)] = [:]
            for name in ["bob", "carol", "dave", "erin", "frank", "gus"] { users[name] = try await live.signUp(name) }
            let bob = users["bob"]!, carol = users["carol"]!, dave = users["dave"]!, erin = users["erin"]!, frank = users["frank"]!
            // Nobody may take the names that mentions mean something else by.
            for name in ["here", "Room", "HERE"] {
                let taken = try await live.send(.POST, "/api/users", json: #"{"username":"\#(name)","password":"password123"}"#)
                #expect(taken.status == 422 && taken.body?["error"]?["code"] == .string("invalid_username"), "\(taken.text)")
            }
            // A group of seven (bob made it; alice is a plain member). Gus is not in it.
            let ids = [alice.id, carol.id, dave.id, erin.id, frank.id].map(String.init).joined(separator: ",")
            let made = try await live.send(.POST, "/api/rooms", json: #"{"name":"standup","kind":"group","members":[\#(ids)]}"#, token: bob.token)
            let group = try #require(made.body?["room"]?["id"]?.int)
            // Online: bob, dave (away), erin (level none), frank (named too) and gus. Carol is offline.
            var streams: [String: SSEConnection] = [:]
            for name in ["bob", "dave", "erin", "frank", "gus"] { streams[name] = try await live.stream(users[name]!.token) }
            #expect(try await live.send(.PUT, "/api/me/presence", json: #"{"status":"away"}"#, token: dave.token).status == 204)
            #expect(try await live.send(.PUT, "/api/rooms/\(group)/notifications", json: #"{"level":"none"}"#, token: erin.token).status == 200)
            for _ in 0..<100 {
                let members = try await live.send(.GET, "/api/rooms/\(group)/members", token: alice.token).body?["members"]?.array ?? []
                if members.filter({ $0["online"] == .bool(true) }).count == 4 { break }
                try await Task.sleep(for: .milliseconds(20))
            }

            let posted = try await live.send(.POST, "/api/rooms/\(group)/messages", json: #"{"text":"@here standup in 5, @frank too"}"#, token: alice.token)
            #expect(posted.status == 201, "\(posted.text)")
            let message = try #require(posted.body?["message"])
            #expect(message["mentions_here"] == .bool(true))
            #expect(message["mentions_room"] == .bool(false))
            #expect(message["mentions"] == .array([.number(Double(frank.id))]))
            let id = try #require(message["id"]?.int)
            // The event carries the same message.
            let created = await streams["bob"]!.waitFor(1) { $0.event == "message.created" && $0.json?["data"]?["message"]?["id"]?.int == id }
            #expect(created.first?.json?["data"]?["message"]?["mentions_here"] == .bool(true))
            // Bob hears of it as @here, Frank as a mention; the others not at all.
            let toBob = await streams["bob"]!.waitFor(1) { $0.event == "notification" }
            #expect(toBob.first?.json?["data"]?["notification"]?["reason"] == .string("here_mention"))
            let toFrank = await streams["frank"]!.waitFor(1) { $0.event == "notification" }
            #expect(toFrank.first?.json?["data"]?["notification"]?["reason"] == .string("mention"))
            try await Task.sleep(for: .milliseconds(300))
            for name in ["dave", "erin", "gus"] { #expect(Self.events(streams[name]!, "notification").isEmpty, "\(name)") }
            let rows = try parley.query("SELECT user_id, reason FROM notifications WHERE message_id = ? ORDER BY user_id", [id])
            let reasons = try rows.map { "\(try $0.decode("user_id", as: Int64.self))/\(try $0.decode("reason", as: String.self))" }
            #expect(reasons == ["\(bob.id)/here_mention", "\(frank.id)/mention"])
            // Those it reached count it as mentioning them until they read it; the others do not.
            func mentioned(_ user: (id: Int64, token: String)) async throws -> Bool? {
                let rooms = try await live.send(.GET, "/api/rooms", token: user.token).body?["mine"]?.array
                return rooms?.first { $0["id"]?.int == group }?["mentioned"]?.bool
            }
            #expect(try await mentioned(bob) == true)
            #expect(try await mentioned(carol) == false)
            #expect(try await mentioned(dave) == false)
            #expect(try await mentioned(erin) == true)
            // History gives the same flag; an edit that adds @here notifies nobody, as for @room.
            let page = try await live.send(.GET, "/api/rooms/\(group)/messages", token: carol.token)
            #expect(page.body?["messages"]?.array?.first?["mentions_here"] == .bool(true))
            let plain = try await live.post(alice.token, room: group, text: "later")
            #expect(try await live.send(.PATCH, "/api/messages/\(plain)", json: #"{"text":"later @here"}"#, token: alice.token).status == 200)
            try await Task.sleep(for: .milliseconds(300))
            #expect(Self.events(streams["bob"]!, "notification").count == 1)
            // An edit keeps the flags `@here` gave (Frank's too: named and online, then unnamed) and
            // drops those of people it no longer names whom `@here` did not reach (Carol, offline).
            let callout = try await live.post(alice.token, room: group, text: "@here @carol the doc")
            func flagged(_ message: Int64, _ user: (id: Int64, token: String)) throws -> Bool {
                try parley.count("mentions", where: "message_id = \(message) AND user_id = \(user.id)") == 1
            }
            #expect(try flagged(callout, carol) && flagged(callout, bob) && flagged(id, frank))
            #expect(try await mentioned(carol) == true)
            #expect(try await live.send(.PATCH, "/api/messages/\(id)", json: #"{"text":"@here standup in 5"}"#, token: alice.token).status == 200)
            #expect(try await live.send(.PATCH, "/api/messages/\(callout)", json: #"{"text":"@here the doc"}"#, token: alice.token).status == 200)
            #expect(try flagged(id, frank) && flagged(id, bob) && flagged(callout, bob))
            #expect(try !flagged(callout, carol))
            #expect(try await mentioned(carol) == false)
            #expect(try await live.send(.DELETE, "/api/messages/\(callout)", token: alice.token).status == 204)
            // A deleted message mentions nobody any more.
            #expect(try await live.send(.DELETE, "/api/messages/\(id)", token: alice.token).status == 204)
            #expect(try await mentioned(bob) == false)
            for stream in streams.values { await stream.close() }
        }
    }

    @Test func anAdminsHereReachesEveryoneOnlineInABigRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let admin = try await client.signUp("admin")
            try parley.execute("UPDATE room_members SET role = 'admin' WHERE room_id = 1 AND user_id = ?", [admin.id])
            // 72 more members of main; a poll makes one online for a while. 70 poll, 3 of those are away.
            let people = try await withThrowingTaskGroup(of: LoggedIn.self) { group in
                for n in 0..<72 { group.addTask { try await client.signUp("crowd\(n)") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }.sorted { $0.id < $1.id }
            let online = Array(people.prefix(70))
            for person in online {
                #expect(try await client.send(.get, "/api/events?timeout=0", headers: person.bearer).status == .ok)
            }
            let away = Set(online.suffix(3).map(\.id))
            for person in online where away.contains(person.id) {
                #expect(try await client.send(.put, "/api/me/presence", json: #"{"status":"away"}"#, headers: person.bearer).status == .noContent)
            }
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@here release in 10"}"#, headers: admin.bearer)
            #expect(try posted.json()["message"]?["mentions_here"] == .bool(true))
            let id = try #require(try posted.json()["message"]?["id"]?.int)
            // 67 reached (64 rows in one statement, 3 alone), each once; not the away, offline or sender.
            let reached = Set(online.map(\.id)).subtracting(away)
            let rows = try parley.query("SELECT user_id FROM mentions WHERE message_id = ? ORDER BY user_id", [id])
            #expect(Set(try rows.map { try $0.decode("user_id", as: Int64.self) }) == reached)
            #expect(try parley.scalar("SELECT COUNT(*) FROM notifications WHERE message_id = ? AND reason = 'here_mention'", [id]) == .int(67))
        }
    }

    @Test func roomMentionsAreLimitedToAdminsInBigRooms() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            var members: [LoggedIn] = []
            for n in 0..<21 { members.append(try await client.signUp("member\(n)")) }
            let small = try await client.send(.post, "/api/rooms", json: #"{"name":"small","kind":"group","members":[\#(members[0].id)]}"#, headers: owner.bearer)
            let smallID = try #require(try small.json()["room"]?["id"]?.int)
            let fromMember = try await client.send(.post, "/api/rooms/\(smallID)/messages", json: #"{"text":"@room hello"}"#, headers: members[0].bearer)
            #expect(try fromMember.json()["message"]?["mentions_room"] == .bool(true))
            // main has 22 members: a plain member's @room does not count, an admin's does.
            let big = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@room hello"}"#, headers: members[1].bearer)
            #expect(try big.json()["message"]?["mentions_room"] == .bool(false))
            try parley.execute("UPDATE room_members SET role = 'admin' WHERE room_id = 1 AND user_id = ?", [owner.id])
            let admin = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@room hello"}"#, headers: owner.bearer)
            #expect(try admin.json()["message"]?["mentions_room"] == .bool(true))
            let rooms = try await client.send(.get, "/api/rooms", headers: members[5].bearer).json()
            #expect(rooms["mine"]?.array?.first { $0["id"]?.int == 1 }?["mentioned"] == .bool(true))
            // @here follows the same rule.
            let smallHere = try await client.send(.post, "/api/rooms/\(smallID)/messages", json: #"{"text":"@HERE hello"}"#, headers: members[0].bearer)
            #expect(try smallHere.json()["message"]?["mentions_here"] == .bool(true))
            let bigHere = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@here hello"}"#, headers: members[2].bearer)
            #expect(try bigHere.json()["message"]?["mentions_here"] == .bool(false))
            let adminHere = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"hello @here."}"#, headers: owner.bearer)
            #expect(try adminHere.json()["message"]?["mentions_here"] == .bool(true))
        }
    }

    /// Whether my clients show link previews is kept with my account, for all my sessions; it
    /// changes nothing for others, nor what messages carry.
    @Test func linkPreviewsCanBeHiddenForMe() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let annElsewhere = try await client.logIn("ann")
            let bob = try await client.signUp("bob")
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: annElsewhere.bearer).json()["cursor"]?.int)
            let bobHead = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)
            #expect(try await client.send(.get, "/api/me", headers: ann.bearer).json()["show_link_previews"] == .bool(true))
            let hidden = try await client.send(.patch, "/api/me", json: #"{"show_link_previews":false}"#, headers: ann.bearer)
            #expect(try hidden.json()["show_link_previews"] == .bool(false) && hidden.json()["send_read_receipts"] == .bool(true))
            #expect(try await client.send(.get, "/api/me", headers: annElsewhere.bearer).json()["show_link_previews"] == .bool(false))
            #expect(try await client.send(.get, "/api/me", headers: bob.bearer).json()["show_link_previews"] == .bool(true))
            // My other session heard it at once (saying the same again tells nothing); Bob heard nothing.
            #expect(try await client.send(.patch, "/api/me", json: #"{"show_link_previews":false}"#, headers: ann.bearer).status == .ok)
            let heard = (try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: annElsewhere.bearer).json()["events"]?.array ?? [])
                .filter { $0["type"] == .string("preferences.updated") }
            #expect(heard.count == 1)
            #expect(
                heard.first?["data"]
                    == .object(["send_read_receipts": .bool(true), "show_link_previews": .bool(false), "skin_tone": .number(0), "keywords": .array([])]))
            let bobHeard = try await client.send(.get, "/api/events?after=\(bobHead)&timeout=0", headers: bob.bearer).json()["events"]?.array ?? []
            #expect(!bobHeard.contains { $0["type"] == .string("preferences.updated") })
            // Other fields leave it as it is; a wrong type changes nothing.
            #expect(try await client.send(.patch, "/api/me", json: #"{"bio":"hi"}"#, headers: ann.bearer).json()["show_link_previews"] == .bool(false))
            try await client.send(.patch, "/api/me", json: #"{"show_link_previews":"yes","bio":"changed"}"#, headers: ann.bearer)
                .expectError(.badRequest, "invalid_request")
            #expect(try parley.scalar("SELECT bio FROM users WHERE username = 'ann'") == .string("hi"))
            let shown = try await client.send(.patch, "/api/me", json: #"{"show_link_previews":true}"#, headers: annElsewhere.bearer)
            #expect(try shown.json()["show_link_previews"] == .bool(true))
            #expect(try parley.count("users", where: "show_link_previews") == 2)
        }
    }

    /// The skin tone my clients give emoji is kept with my account: every session of mine has it
    /// and hears its change; 0–5 only, and a refused one writes nothing.
    @Test func theSkinToneOfEmojiIsKeptForMe() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let annElsewhere = try await client.logIn("ann")
            let bob = try await client.signUp("bob")
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: annElsewhere.bearer).json()["cursor"]?.int)
            #expect(try await client.send(.get, "/api/me", headers: ann.bearer).json()["skin_tone"] == .number(0))
            let toned = try await client.send(.patch, "/api/me", json: #"{"skin_tone":3}"#, headers: ann.bearer)
            #expect(try toned.json()["skin_tone"] == .number(3) && toned.json()["show_link_previews"] == .bool(true))
            #expect(try await client.send(.get, "/api/me", headers: annElsewhere.bearer).json()["skin_tone"] == .number(3))
            #expect(try await client.send(.get, "/api/me", headers: bob.bearer).json()["skin_tone"] == .number(0))
            let heard = (try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: annElsewhere.bearer).json()["events"]?.array ?? [])
                .filter { $0["type"] == .string("preferences.updated") }
            #expect(heard.count == 1)
            #expect(heard.first?["data"]?["skin_tone"] == .number(3))

            for refused in ["6", "-1", "300"] {
                try await client.send(.patch, "/api/me", json: #"{"skin_tone":\#(refused),"bio":"changed"}"#, headers: ann.bearer)
                    .expectError(.unprocessableContent, "invalid_skin_tone")
            }
            try await client.send(.patch, "/api/me", json: #"{"skin_tone":"dark"}"#, headers: ann.bearer).expectError(.badRequest, "invalid_request")
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT skin_tone FROM users WHERE username = 'ann'")) == 3)
            #expect(try parley.scalar("SELECT bio FROM users WHERE username = 'ann'") == .null)
            // The export carries it with the other settings; 0 takes the tone away again.
            #expect(try await client.send(.get, "/api/me/export", headers: ann.bearer).json()["account"]?["skin_tone"] == .number(3))
            #expect(try await client.send(.patch, "/api/me", json: #"{"skin_tone":0}"#, headers: annElsewhere.bearer).json()["skin_tone"] == .number(0))
            #expect(try parley.count("users", where: "skin_tone <> 0") == 0)
        }
    }

    @Test func readReceiptsCanBeKeptPrivate() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let settings = try await client.send(.patch, "/api/me", json: #"{"send_read_receipts":false}"#, headers: bob.bearer)
            #expect(try settings.json()["send_read_receipts"] == .bool(false))
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"read me"}"#, headers: alice.bearer)
            let id = try #require(try posted.json()["message"]?["id"]?.int)
            let receiptsBefore = try parley.count("events", where: "type = 'receipt'")
            #expect(try await client.send(.post, "/api/rooms/1/read", json: #"{"message_id":\#(id)}"#, headers: bob.bearer).status == .ok)
            let seenByAlice = try await client.send(.get, "/api/rooms/1/receipts", headers: alice.bearer).json()
            let bobMark = seenByAlice["receipts"]?.array?.first { $0["user"]?["username"] == .string("bob") }
            #expect(bobMark?["read_up_to"] == .null)
            // Nor does his read move his delivered mark, or send a receipt (they said when he read;
            // his clients' fetches mark delivery, `aPrivateReadersMessagesAreDeliveredAsTheirClientFetchesThemNotAsTheyRead`).
            #expect(bobMark?["delivered_up_to"]?.int == 0)
            #expect(try parley.count("events", where: "type = 'receipt'") == receiptsBefore)
            // Bob still sees his own read mark.
            let seenByBob = try await client.send(.get, "/api/rooms/1/receipts", headers: bob.bearer).json()
            #expect(seenByBob["receipts"]?.array?.first { $0["user"]?["username"] == .string("bob") }?["read_up_to"]?.int == id)
            // Reading what was already delivered (his stream had it) sends no receipt at all: one
            // with nothing new in it told everyone when he read.
            let next = try await MessageTests.say(client, alice, room: 1, "and me")
            try parley.execute("UPDATE room_members SET delivered_up_to = ? WHERE room_id = 1 AND user_id = ?", [next, bob.id])
            let receipts = try parley.count("events", where: "type = 'receipt'")
            #expect(try await client.send(.post, "/api/rooms/1/read", json: #"{"message_id":\#(next)}"#, headers: bob.bearer).status == .ok)
            #expect(try parley.count("events", where: "type = 'receipt'") == receipts)
            #expect(try parley.scalar("SELECT read_up_to FROM room_members WHERE room_id = 1 AND user_id = ?", [bob.id]) == .int(next))
            // Sharing again shows his mark to the room at once, and keeping it private hides it again
            // (a receipt each time); the same setting again sends nothing.
            func lastReceipt() throws -> String {
                try String(mariaDBValue: try parley.scalar("SELECT payload FROM events WHERE type = 'receipt' ORDER BY id DESC LIMIT 1"))
            }
            #expect(try await client.send(.patch, "/api/me", json: #"{"send_read_receipts":true}"#, headers: bob.bearer).status == .ok)
            #expect(try parley.count("events", where: "type = 'receipt'") == receipts + 1)
            #expect(try lastReceipt().contains(#""read_up_to":\#(next)"#) && lastReceipt().contains(#""username":"bob""#))
            #expect(try await client.send(.patch, "/api/me", json: #"{"send_read_receipts":true}"#, headers: bob.bearer).status == .ok)
            #expect(try parley.count("events", where: "type = 'receipt'") == receipts + 1)
            #expect(try await client.send(.patch, "/api/me", json: #"{"send_read_receipts":false}"#, headers: bob.bearer).status == .ok)
            #expect(try parley.count("events", where: "type = 'receipt'") == receipts + 2)
            #expect(try lastReceipt().contains(#""read_up_to":null"#))
        }
    }

    @Test func notificationsSeenIsOneMarkForEveryDevice() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            _ = try await MessageTests.say(client, bob, room: 1, "@ann first")
            _ = try await MessageTests.say(client, bob, room: 1, "@ann second")
            _ = try await MessageTests.say(client, ann, room: 1, "@bob for bob")
            let summary = try await client.send(.get, "/api/me/summary", headers: ann.bearer).json()
            #expect(summary["notifications_seen_id"]?.int == 0)
            let ids = (summary["notifications"]?.array ?? []).compactMap { $0["id"]?.int }.sorted()
            #expect(ids.count == 2)
            let bobs = try #require(try parley.query("SELECT id FROM notifications WHERE user_id = ?", [bob.id]).first?.decode("id", as: Int64.self))
            func mark(_ id: Int64, _ user: LoggedIn) async throws -> TestResponse {
                try await client.send(.post, "/api/me/notifications/seen", json: #"{"up_to":\#(id)}"#, headers: user.bearer)
            }
            #expect(try await mark(ids[1], ann).json()["notifications_seen_id"]?.int == ids[1])
            // It only moves forward; someone else's notification, or none, is not found.
            #expect(try await mark(ids[0], ann).json()["notifications_seen_id"]?.int == ids[1])
            try await mark(bobs, ann).expectError(.notFound, "notification_not_found")
            try await mark(999_999, ann).expectError(.notFound, "notification_not_found")
            try await client.send(.post, "/api/me/notifications/seen", json: "{}", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            #expect(try await client.send(.get, "/api/me/summary", headers: ann.bearer).json()["notifications_seen_id"]?.int == ids[1])
            #expect(try await client.send(.get, "/api/me/summary", headers: bob.bearer).json()["notifications_seen_id"]?.int == 0)
            // Ann's other clients hear of it once (the repeat moved nothing); Bob hears nothing.
            let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let seen = events.filter { $0["type"] == .string("notifications.seen") }
            #expect(seen.compactMap { $0["data"]?["notifications_seen_id"]?.int } == [ids[1]])
            let bobsEvents = try await client.send(.get, "/api/events?after=0&timeout=0", headers: bob.bearer).json()["events"]?.array ?? []
            #expect(!bobsEvents.contains { $0["type"] == .string("notifications.seen") })
        }
    }

    /// A notification's id is its event's: under concurrent senders they are delivered in id order,
    /// so "seen up to" the newest one shown cannot cover one that was still committing.
    @Test func notificationsArriveInTheOrderOfTheirIds() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            var senders: [LoggedIn] = []
            for n in 0..<8 { senders.append(try await client.signUp("sender\(n)")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sender in senders {
                    group.addTask {
                        for n in 0..<6 { _ = try await MessageTests.say(client, sender, room: 1, "@ann number \(n)") }
                    }
                }
                try await group.waitForAll()
            }
            let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let notifications = events.filter { $0["type"] == .string("notification") }
            #expect(notifications.count == 48)
            #expect(notifications.allSatisfy { $0["id"]?.int != nil && $0["id"]?.int == $0["data"]?["notification"]?["id"]?.int })
            let ids = notifications.compactMap { $0["data"]?["notification"]?["id"]?.int }
            #expect(ids == ids.sorted() && Set(ids).count == 48)
            #expect(try parley.count("notifications", where: "user_id = \(ann.id)") == 48)
        }
    }

    @Test func doNotDisturbIsOnePauseForEveryDevice() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            // Cy shares no room with Ann.
            let cy = try await client.signUp("cyd")
            #expect(try await client.send(.post, "/api/rooms/1/leave", headers: cy.bearer).status == .noContent)
            func shown(to viewer: LoggedIn) async throws -> (member: JSON?, profile: JSON?) {
                let members = try await client.send(.get, "/api/rooms/1/members", headers: viewer.bearer).json()["members"]?.array
                let profile = try await client.send(.get, "/api/users/\(ann.id)", headers: viewer.bearer).json()["user"]
                return (members?.first { $0["user"]?["id"]?.int == ann.id }?["dnd_until"], profile?["dnd_until"])
            }
            #expect(try await shown(to: bob) == (.null, .null))
            #expect(try await client.send(.get, "/api/me", headers: ann.bearer).json()["dnd_until"] == .null)
            let paused = try await client.send(.put, "/api/me/dnd", json: #"{"minutes":90}"#, headers: ann.bearer)
            #expect(paused.status == .ok, "\(String(buffer: paused.body))")
            let until = try #require(try paused.json()["dnd_until"]?.string)
            let date = try #require(ParleyJSON.parseTimestamp(until))
            #expect(abs(date.timeIntervalSinceNow - 90 * 60) < 30)
            #expect(try await client.send(.get, "/api/me", headers: ann.bearer).json()["dnd_until"] == .string(until))
            #expect(try await client.send(.get, "/api/me", headers: bob.bearer).json()["dnd_until"] == .null)
            // Others see the pause on member lists and the profile (as Slack and Mattermost show it).
            #expect(try await shown(to: bob) == (.string(until), .string(until)))
            // Notifications are still made and listed while paused.
            _ = try await MessageTests.say(client, bob, room: 1, "@ann still listed")
            #expect(try await client.send(.get, "/api/me/summary", headers: ann.bearer).json()["notifications"]?.array?.count == 1)

            for minutes in ["0", "-5", "10081", "\"soon\""] {
                let refused = try await client.send(.put, "/api/me/dnd", json: #"{"minutes":\#(minutes)}"#, headers: ann.bearer)
                #expect(refused.status.code == (minutes.hasPrefix("\"") ? 400 : 422), "\(minutes): \(String(buffer: refused.body))")
            }
            try await client.send(.put, "/api/me/dnd", json: "{}", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.put, "/api/me/dnd", json: #"{"minutes":5}"#).expectError(.unauthorized, "unauthenticated")

            // Resumed: gone; resuming again changes nothing (and says nothing).
            #expect(try await client.send(.delete, "/api/me/dnd", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.delete, "/api/me/dnd", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.get, "/api/me", headers: ann.bearer).json()["dnd_until"] == .null)
            let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            #expect(events.filter { $0["type"] == .string("user.dnd") }.compactMap { $0["data"]?["dnd_until"] } == [.string(until), .null])
            #expect(Set(events.filter { $0["type"] == .string("user.dnd") }.compactMap { $0["data"]?["user"]?["id"]?.int }) == [ann.id])
            // Bob, who shares a room with Ann, hears of both changes; Cy, who shares none, of neither.
            let bobs = try await client.send(.get, "/api/events?after=0&timeout=0", headers: bob.bearer).json()["events"]?.array ?? []
            #expect(bobs.filter { $0["type"] == .string("user.dnd") }.compactMap { $0["data"]?["dnd_until"] } == [.string(until), .null])
            let cys = try await client.send(.get, "/api/events?after=0&timeout=0", headers: cy.bearer).json()["events"]?.array ?? []
            #expect(!cys.contains { $0["type"] == .string("user.dnd") })

            // A pause that ran out reads as none.
            #expect(try await client.send(.put, "/api/me/dnd", json: #"{"minutes":5}"#, headers: ann.bearer).status == .ok)
            try parley.execute("UPDATE users SET dnd_until = NOW(3) - INTERVAL 1 SECOND WHERE id = ?", [ann.id])
            #expect(try await client.send(.get, "/api/me", headers: ann.bearer).json()["dnd_until"] == .null)
            #expect(try await shown(to: bob) == (.null, .null))
        }
    }
}

/// sql/067: notification ids come from the event sequence from then on, so the sequence first moves
/// past every notification id there is (a new notification must come after every "seen up to").
@Suite struct NotificationIDMigrationTests {
    @Test func theEventSequenceMovesPastEveryNotification() async throws {
        let migration = try await MigrationStep.before("067")
        defer { migration.remove() }
        let pool = migration.pool
        try await pool.execute("INSERT INTO users (username, display_name, password_hash, created_at) VALUES ('ada', 'ada', 'x', NOW(3))")
        let message = Int64(
            try await pool.execute("INSERT INTO messages (id, room_id, sender_id, text, created_at) VALUES (7, 1, 1, 'hi @ada', NOW(3))").lastInsertID)
        try await pool.execute(
            "INSERT INTO notifications (id, user_id, room_id, message_id, reason, created_at) VALUES (50000, 1, 1, ?, 'mention', NOW(3))", [message])
        try await pool.execute("UPDATE users SET notifications_seen_id = 50000 WHERE id = 1")
        #expect(try await migration.apply() == 1)
        let next = try Int64(mariaDBValue: try await pool.query("SELECT NEXTVAL(event_ids) AS n")[0].values[0])
        #expect(next > 50000)
        await pool.shutdown()
    }
}
