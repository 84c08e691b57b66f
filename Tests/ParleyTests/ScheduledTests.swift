import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// "Send later": scheduled, listed, changed, cancelled, sent when due through the posting path, kept
/// with a failure when the rules refuse it then, and never posted twice.
@Suite struct ScheduledTests {
    static func schedule(_ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ json: String) async throws -> TestResponse {
        try await client.send(.post, "/api/rooms/\(room)/scheduled", json: json, headers: user.bearer)
    }

    static func list(_ client: any TestClientProtocol, _ user: LoggedIn, query: String = "") async throws -> [JSON] {
        try await client.send(.get, "/api/me/scheduled\(query)", headers: user.bearer).json()["scheduled"]?.array ?? []
    }

    /// The user's events of `type` so far.
    static func events(_ client: any TestClientProtocol, _ user: LoggedIn, _ type: String) async throws -> [JSON] {
        let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: user.bearer).json()["events"]?.array ?? []
        return events.filter { $0["type"] == .string(type) }.compactMap { $0["data"] }
    }

    /// Waits (up to 30 s) until the user has `count` events of `type`.
    static func awaitEvents(_ client: any TestClientProtocol, _ user: LoggedIn, _ type: String, count: Int) async throws -> [JSON] {
        // A deadline, not a number of polls: on a loaded machine each poll's own time stretched
        // 200 of them to a minute and more.
        let deadline = ContinuousClock.now + .seconds(30)
        var found = try await events(client, user, type)
        while found.count < count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            found = try await events(client, user, type)
        }
        return found
    }

    /// Brings a scheduled message's time to now, after a test has set the scene for its sending
    /// (scheduling it a second ahead instead could see it sent first on a loaded machine).
    static func makeDue(_ parley: TestParley, _ id: Int64) throws {
        try parley.execute("UPDATE scheduled_messages SET send_at = NOW(3) WHERE id = ?", [id])
    }

    @Test func aScheduledMessageIsPostedWhenDue() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let target = try await MessageTests.say(client, bob, room: 1, "who takes the minutes?")
            let made = try await Self.schedule(client, ann, room: 1, #"{"text":"  I will, tomorrow  ","in_seconds":3600,"reply_to":\#(target)}"#)
            #expect(made.status == .created, "\(String(buffer: made.body))")
            let scheduled = try #require(try made.json()["scheduled"])
            #expect(scheduled.keys == ["id", "room_id", "text", "reply_to", "send_at", "created_at", "failure"])
            #expect(scheduled["text"] == .string("I will, tomorrow"))
            #expect(scheduled["reply_to"]?.int == target)
            #expect(scheduled["failure"] == .null)
            let id = try #require(scheduled["id"]?.int)
            let other = try await Self.schedule(client, ann, room: 1, #"{"text":"later still","in_seconds":7200}"#)
            let otherID = try #require(try other.json()["scheduled"]?["id"]?.int)
            #expect(try await Self.list(client, ann).compactMap { $0["id"]?.int } == [id, otherID])
            #expect(try await Self.list(client, ann, query: "?room_id=1").count == 2)
            #expect(try await Self.list(client, ann, query: "?room_id=99").isEmpty)
            #expect(try await Self.list(client, bob).isEmpty)
            // Nobody else sees it: not in the room, not in Bob's events.
            #expect(try parley.count("messages") == 1)
            #expect(try await Self.events(client, bob, "scheduled.saved").isEmpty)
            #expect(try await Self.events(client, ann, "scheduled.saved").count == 2)

            // Changed: a new text and a time a second away; then it is posted as Ann's reply.
            let changed = try await client.send(
                .patch, "/api/me/scheduled/\(id)", json: #"{"text":"I will take them","in_seconds":1}"#, headers: ann.bearer)
            #expect(changed.status == .ok, "\(String(buffer: changed.body))")
            #expect(try changed.json()["scheduled"]?["text"] == .string("I will take them"))
            let removed = try await Self.awaitEvents(client, ann, "scheduled.removed", count: 1)
            #expect(removed.count == 1)
            #expect(removed.first?["id"]?.int == id)
            #expect(removed.first?["room_id"]?.int == 1)
            let messageID = try #require(removed.first?["message_id"]?.int)
            let posted = try await client.send(.get, "/api/messages/\(messageID)", headers: bob.bearer).json()["message"]
            #expect(posted?["text"] == .string("I will take them"))
            #expect(posted?["sender"]?["id"]?.int == ann.id)
            #expect(posted?["reply_to"]?.int == target)
            let created = try await Self.events(client, bob, "message.created").compactMap { $0["message"]?["id"]?.int }
            #expect(created.contains(messageID))
            // A reply notifies the target's sender, as any reply does.
            let notes = try await Self.events(client, bob, "notification").compactMap { $0["notification"]?["reason"]?.string }
            #expect(notes == ["reply"])
            #expect(try await Self.list(client, ann).compactMap { $0["id"]?.int } == [otherID])

            // Cancelled: gone, with its event; someone else's or an unknown one is not found.
            try await client.send(.delete, "/api/me/scheduled/\(otherID)", headers: bob.bearer).expectError(.notFound, "scheduled_not_found")
            try await client.send(.patch, "/api/me/scheduled/\(otherID)", json: #"{"in_seconds":5}"#, headers: bob.bearer)
                .expectError(.notFound, "scheduled_not_found")
            try await client.send(.post, "/api/me/scheduled/\(otherID)/send", headers: bob.bearer).expectError(.notFound, "scheduled_not_found")
            #expect(try await client.send(.delete, "/api/me/scheduled/\(otherID)", headers: ann.bearer).status == .noContent)
            try await client.send(.delete, "/api/me/scheduled/\(otherID)", headers: ann.bearer).expectError(.notFound, "scheduled_not_found")
            let cancelled = try await Self.events(client, ann, "scheduled.removed").last
            #expect(cancelled?["id"]?.int == otherID)
            #expect(cancelled?["message_id"] == .null)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try parley.count("messages") == 2)
            #expect(try parley.count("scheduled_messages") == 0)
        }
    }

    /// Deactivating an account drops its scheduled messages, due soon or not: reactivated, it does
    /// not post what was queued before.
    @Test func aDeactivatedAccountsScheduledMessagesAreDropped() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            let bob = try await client.signUp("bob")
            for seconds in [60, 3600] {
                #expect(try await Self.schedule(client, bob, room: 1, #"{"text":"later","in_seconds":\#(seconds)}"#).status == .created)
            }
            #expect(try parley.count("scheduled_messages") == 2)
            #expect(try await client.send(.post, "/api/admin/users/\(bob.id)/deactivate", headers: root.bearer).status == .noContent)
            #expect(try parley.count("scheduled_messages") == 0)
            #expect(try await client.send(.post, "/api/admin/users/\(bob.id)/reactivate", headers: root.bearer).status == .noContent)
            let again = try await client.logIn("bob")
            #expect(try await Self.list(client, again).isEmpty)
        }
    }

    @Test func aRefusedSendIsKeptWithItsFailure() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("olga")
            let ann = try await client.signUp("ann")
            let room = try await ModerationTests.room(client, owner: owner, members: [ann])
            let made = try await Self.schedule(client, ann, room: room, #"{"text":"see you all","in_seconds":600}"#)
            let id = try #require(try made.json()["scheduled"]?["id"]?.int)
            let mute = try await client.send(.post, "/api/rooms/\(room)/mutes", json: #"{"user_id":\#(ann.id)}"#, headers: owner.bearer)
            #expect(mute.status == .created)
            try Self.makeDue(parley, id)

            // Muted when it comes due: not posted, kept with the refusal, and Ann's clients hear of it.
            let saved = try await Self.awaitEvents(client, ann, "scheduled.saved", count: 2)
            #expect(saved.count == 2)
            #expect(saved.last?["scheduled"]?["failure"]?["code"] == .string("muted"))
            let listed = try #require(try await Self.list(client, ann).first)
            #expect(listed["failure"]?["code"] == .string("muted"))
            #expect(listed["failure"]?["message"]?.string?.isEmpty == false)
            #expect(try parley.count("messages", where: "room_id = \(room)") == 0)
            // The timer does not try it again.
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await Self.events(client, ann, "scheduled.saved").count == 2)
            // Sending it now, or changing it, is refused for the same reason while the mute lasts.
            try await client.send(.post, "/api/me/scheduled/\(id)/send", headers: ann.bearer).expectError(.forbidden, "muted")
            try await client.send(.patch, "/api/me/scheduled/\(id)", json: #"{"in_seconds":60}"#, headers: ann.bearer)
                .expectError(.forbidden, "muted")
            #expect(try parley.count("scheduled_messages", where: "claimed_at IS NULL AND failure_code = 'muted'") == 1)

            // Unmuted: sent at once by hand, and gone.
            #expect(try await client.send(.delete, "/api/rooms/\(room)/mutes/\(ann.id)", headers: owner.bearer).status == .noContent)
            let sent = try await client.send(.post, "/api/me/scheduled/\(id)/send", headers: ann.bearer)
            #expect(sent.status == .created, "\(String(buffer: sent.body))")
            #expect(try sent.json()["message"]?["text"] == .string("see you all"))
            #expect(try parley.count("scheduled_messages") == 0)
            try await client.send(.post, "/api/me/scheduled/\(id)/send", headers: ann.bearer).expectError(.notFound, "scheduled_not_found")

            // Left the room: a failure again; rescheduling is refused while Ann is out.
            let second = try await Self.schedule(client, ann, room: room, #"{"text":"one more","in_seconds":600}"#)
            let secondID = try #require(try second.json()["scheduled"]?["id"]?.int)
            #expect(try await client.send(.post, "/api/rooms/\(room)/leave", headers: ann.bearer).status == .noContent)
            try Self.makeDue(parley, secondID)
            var failure: JSON?
            for _ in 0..<200 where failure == nil || failure == .null {
                try await Task.sleep(for: .milliseconds(100))
                failure = try await Self.list(client, ann).first?["failure"]
            }
            #expect(failure?["code"] == .string("not_a_member"))
            try await client.send(.patch, "/api/me/scheduled/\(secondID)", json: #"{"in_seconds":60}"#, headers: ann.bearer)
                .expectError(.forbidden, "not_a_member")
            // Back in: rescheduling clears the failure.
            #expect(try await client.send(.post, "/api/rooms/\(room)/join", headers: ann.bearer).status == .ok)
            let again = try await client.send(.patch, "/api/me/scheduled/\(secondID)", json: #"{"in_seconds":60}"#, headers: ann.bearer)
            #expect(again.status == .ok, "\(String(buffer: again.body))")
            #expect(try again.json()["scheduled"]?["failure"] == .null)
        }
    }

    /// Slow mode asks for a wait: a message that comes due inside the sender's wait goes when it ends.
    @Test func aSendThatSlowModeHoldsBackWaitsItsTurn() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("olga")
            let ann = try await client.signUp("ann")
            let room = try await ModerationTests.room(client, owner: owner, members: [ann])
            // (Six seconds: the scheduler must pick it up inside the wait, and a loaded machine's full
            // run once took longer than three.)
            #expect(try await client.send(.patch, "/api/rooms/\(room)", json: #"{"slow_mode_seconds":6}"#, headers: owner.bearer).status == .ok)
            let made = try await Self.schedule(client, ann, room: room, #"{"text":"second thought","in_seconds":600}"#)
            let id = try #require(try made.json()["scheduled"]?["id"]?.int)
            _ = try await MessageTests.say(client, ann, room: room, "first thought")
            try Self.makeDue(parley, id)

            // Held back, not failed: its time moves to the end of Ann's wait, and her clients hear it.
            let saved = try await Self.awaitEvents(client, ann, "scheduled.saved", count: 2)
            #expect(saved.count == 2)
            #expect(saved.last?["scheduled"]?["failure"] == .null)
            let due = try #require(saved.last?["scheduled"]?["send_at"]?.string)
            #expect(due > (saved.first?["scheduled"]?["created_at"]?.string ?? "~"))
            // Then it goes by itself.
            let removed = try await Self.awaitEvents(client, ann, "scheduled.removed", count: 1)
            let posted = try #require(removed.first?["message_id"]?.int)
            let history = try await client.send(.get, "/api/rooms/\(room)/messages", headers: ann.bearer).json()["messages"]?.array ?? []
            #expect(history.first?["id"]?.int == posted && history.first?["text"] == .string("second thought"))
            #expect(try parley.count("scheduled_messages") == 0)
        }
    }

    @Test func schedulingIsCheckedAndBounded() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let secret = try await MessageTests.room(client, bob, #"{"name":"secret","kind":"group"}"#)
            let other = try await MessageTests.room(client, bob, #"{"name":"other"}"#)
            let elsewhere = try await MessageTests.say(client, bob, room: other, "elsewhere")
            try await Self.schedule(client, ann, room: secret, #"{"text":"hi","in_seconds":60}"#).expectError(.notFound, "room_not_found")
            try await Self.schedule(client, ann, room: other, #"{"text":"hi","in_seconds":60}"#).expectError(.forbidden, "not_a_member")
            try await Self.schedule(client, ann, room: 1, #"{"text":"hi","in_seconds":60,"reply_to":\#(elsewhere)}"#)
                .expectError(.unprocessableContent, "invalid_reply_to")
            for seconds in [0, -1, 365 * 86_400 + 1] {
                try await Self.schedule(client, ann, room: 1, #"{"text":"hi","in_seconds":\#(seconds)}"#)
                    .expectError(.unprocessableContent, "invalid_schedule")
            }
            try await Self.schedule(client, ann, room: 1, #"{"text":"   ","in_seconds":60}"#).expectError(.unprocessableContent, "invalid_text")
            try await Self.schedule(client, ann, room: 1, #"{"text":"hi"}"#).expectError(.badRequest, "invalid_request")
            #expect(try parley.count("scheduled_messages") == 0)

            let made = try await Self.schedule(client, ann, room: 1, #"{"text":"hi","in_seconds":60}"#)
            let id = try #require(try made.json()["scheduled"]?["id"]?.int)
            try await client.send(.patch, "/api/me/scheduled/\(id)", json: "{}", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.patch, "/api/me/scheduled/\(id)", json: #"{"text":""}"#, headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_text")
            try await client.send(.get, "/api/me/scheduled?room_id=x", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.get, "/api/me/scheduled").expectError(.unauthorized, "unauthenticated")

            // While a send holds it, it can be neither changed nor cancelled; a claim a minute old was a crash.
            try parley.execute("UPDATE scheduled_messages SET claimed_at = NOW(3) WHERE id = ?", [id])
            try await client.send(.patch, "/api/me/scheduled/\(id)", json: #"{"in_seconds":5}"#, headers: ann.bearer)
                .expectError(.conflict, "scheduled_sending")
            try await client.send(.delete, "/api/me/scheduled/\(id)", headers: ann.bearer).expectError(.conflict, "scheduled_sending")
            try await client.send(.post, "/api/me/scheduled/\(id)/send", headers: ann.bearer).expectError(.conflict, "scheduled_sending")
            try parley.execute("UPDATE scheduled_messages SET claimed_at = NOW(3) - INTERVAL 2 MINUTE WHERE id = ?", [id])
            #expect(try await client.send(.delete, "/api/me/scheduled/\(id)", headers: ann.bearer).status == .noContent)

            // At most 100 wait at once.
            try parley.execute(
                """
                INSERT INTO scheduled_messages (user_id, room_id, text, client_id, send_at, created_at)
                SELECT ?, 1, 'filler', CONCAT('filler-', seq), NOW(3) + INTERVAL 1 DAY, NOW(3) FROM seq_1_to_99
                """, [ann.id])
            #expect(try await Self.schedule(client, ann, room: 1, #"{"text":"hi","in_seconds":60}"#).status == .created)
            try await Self.schedule(client, ann, room: 1, #"{"text":"hi","in_seconds":60}"#).expectError(.conflict, "too_many_scheduled")
        }
    }

    @Test func aSendThatDiedIsNotPostedTwice() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let made = try await Self.schedule(client, ann, room: 1, #"{"text":"only once","in_seconds":3600}"#)
            let id = try #require(try made.json()["scheduled"]?["id"]?.int)
            // A server posted it and died before removing it: the message exists with the scheduled
            // one's client_id, and the claim is stale.
            let clientID = try #require(try parley.query("SELECT client_id FROM scheduled_messages").first?.decode("client_id", as: String.self))
            let first = try await MessageTests.post(client, ann, room: 1, ["text": "only once", "client_id": clientID])
            #expect(first.status == .created)
            let messageID = try #require(try first.json()["message"]?["id"]?.int)
            try parley.execute(
                "UPDATE scheduled_messages SET send_at = NOW(3), claimed_at = NOW(3) - INTERVAL 2 MINUTE WHERE id = ?", [id])
            let removed = try await Self.awaitEvents(client, ann, "scheduled.removed", count: 1)
            #expect(removed.first?["message_id"]?.int == messageID)
            #expect(try parley.count("messages", where: "text = 'only once'") == 1)
            #expect(try parley.count("scheduled_messages") == 0)
        }
    }

    @Test func aDeactivatedAccountSendsNothing() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            _ = try await Self.schedule(client, ann, room: 1, #"{"text":"after I am gone","in_seconds":3600}"#)
            try parley.execute("UPDATE users SET deactivated_at = NOW(3) WHERE id = ?", [ann.id])
            try parley.execute("UPDATE scheduled_messages SET send_at = NOW(3)")
            for _ in 0..<50 where try parley.count("scheduled_messages") > 0 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try parley.count("scheduled_messages") == 0)
            #expect(try parley.count("messages") == 0)
        }
    }
}
