import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// "Remind me about this message": set, listed, cancelled, and turned into a notification when due.
@Suite struct ReminderTests {
    static func remind(_ client: any TestClientProtocol, _ user: LoggedIn, _ message: Int64, in seconds: Int) async throws -> TestResponse {
        try await client.send(.post, "/api/messages/\(message)/reminders", json: #"{"in_seconds":\#(seconds)}"#, headers: user.bearer)
    }

    @Test func aReminderBecomesANotificationWhenDue() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let message = try await MessageTests.say(client, bob, room: 1, "send the invoice on Friday")
            // 8 s: a loaded machine (the whole suite at once) took longer than 1 s, and once than 3 s,
            // to reach the listing below.
            let set = try await Self.remind(client, ann, message, in: 8)
            #expect(set.status == .created, "\(String(buffer: set.body))")
            let reminder = try #require(try set.json()["reminder"])
            #expect(reminder.keys == ["id", "remind_at", "message"])
            #expect(reminder["message"]?["id"]?.int == message)
            let later = try await Self.remind(client, ann, message, in: 3600)
            let laterID = try #require(try later.json()["reminder"]?["id"]?.int)
            let listed = try await client.send(.get, "/api/me/reminders", headers: ann.bearer).json()["reminders"]?.array ?? []
            #expect(listed.compactMap { $0["id"]?.int } == [reminder["id"]?.int, laterID].compactMap { $0 })
            #expect(try await client.send(.get, "/api/me/reminders", headers: bob.bearer).json()["reminders"] == .array([]))

            // When it comes due: a notification for Ann alone (reason reminder), and the reminder is gone.
            var reasons: [String] = []
            for _ in 0..<200 where reasons.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
                reasons = events.filter { $0["type"] == .string("notification") }.compactMap { $0["data"]?["notification"]?["reason"]?.string }
            }
            #expect(reasons == ["reminder"])
            let notified = try parley.query("SELECT user_id, message_id, reason FROM notifications").map {
                [try $0.decode("user_id", as: Int64.self), try $0.decode("message_id", as: Int64.self)]
            }
            #expect(notified == [[ann.id, message]])
            let summary = try await client.send(.get, "/api/me/summary", headers: ann.bearer).json()["notifications"]?.array ?? []
            #expect(summary.compactMap { $0["reason"]?.string } == ["reminder"])
            #expect(try await client.send(.get, "/api/me/reminders", headers: ann.bearer).json()["reminders"]?.array?.compactMap { $0["id"]?.int }
                == [laterID])

            // Cancelled: gone; someone else's or an unknown one is not found.
            try await client.send(.delete, "/api/me/reminders/\(laterID)", headers: bob.bearer).expectError(.notFound, "reminder_not_found")
            #expect(try await client.send(.delete, "/api/me/reminders/\(laterID)", headers: ann.bearer).status == .noContent)
            try await client.send(.delete, "/api/me/reminders/\(laterID)", headers: ann.bearer).expectError(.notFound, "reminder_not_found")
            #expect(try parley.count("reminders") == 0)

            // Ann's clients heard of each: set twice, removed when it came due and when cancelled; Bob heard nothing.
            let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let both: [Int64] = [try #require(reminder["id"]?.int), laterID]
            let madeEvents: [JSON] = events.filter { $0["type"] == .string("reminder.set") }.compactMap { $0["data"]?["reminder"] }
            #expect(madeEvents.compactMap { $0["id"]?.int } == both)
            #expect(madeEvents.first?["message"]?["id"]?.int == message)
            let removed: [JSON] = events.filter { $0["type"] == .string("reminder.removed") }.compactMap { $0["data"] }
            #expect(removed.compactMap { $0["id"]?.int } == both)
            #expect(removed.allSatisfy { $0["message_id"]?.int == message })
            let bobs = try await client.send(.get, "/api/events?after=0&timeout=0", headers: bob.bearer).json()["events"]?.array ?? []
            #expect(!bobs.contains { ($0["type"]?.string ?? "").hasPrefix("reminder.") })
        }
    }

    @Test func remindersNeedAReadableMessageAndAreBounded() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let secret = try await MessageTests.room(client, bob, #"{"name":"secret","kind":"group"}"#)
            let hidden = try await MessageTests.say(client, bob, room: secret, "not for ann")
            try await Self.remind(client, ann, hidden, in: 60).expectError(.notFound, "message_not_found")
            let message = try await MessageTests.say(client, bob, room: 1, "hello")
            for seconds in [0, -5, 365 * 86_400 + 1] {
                try await Self.remind(client, ann, message, in: seconds).expectError(.unprocessableContent, "invalid_reminder")
            }
            try await client.send(.post, "/api/messages/\(message)/reminders", json: "{}", headers: ann.bearer)
                .expectError(.badRequest, "invalid_request")
            // Deleting a message drops the reminders about it.
            let gone = try await MessageTests.say(client, bob, room: 1, "soon deleted")
            // (A minute ahead: one due sooner could fire before the delete on a loaded machine.)
            #expect(try await Self.remind(client, ann, gone, in: 60).status == .created)
            #expect(try await client.send(.delete, "/api/messages/\(gone)", headers: bob.bearer).status == .noContent)
            #expect(try parley.count("reminders") == 0)
            let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            #expect(events.filter { $0["type"] == .string("reminder.removed") }.compactMap { $0["data"]?["message_id"]?.int } == [gone])
            try await Self.remind(client, ann, gone, in: 60).expectError(.conflict, "message_deleted")
            // At most 100 wait at once.
            try parley.execute(
                "INSERT INTO reminders (user_id, message_id, remind_at, created_at) SELECT ?, ?, NOW(3) + INTERVAL 1 DAY, NOW(3) FROM seq_1_to_99",
                [ann.id, message])
            #expect(try await Self.remind(client, ann, message, in: 60).status == .created)
            try await Self.remind(client, ann, message, in: 60).expectError(.conflict, "too_many_reminders")
            // Those of a room she left are listed nowhere, and hold no place (she could not find
            // them to cancel): they count again if she comes back.
            let town = try await MessageTests.room(client, bob, #"{"name":"town"}"#, members: [ann])
            let there = try await MessageTests.say(client, bob, room: town, "in town")
            try parley.execute("UPDATE reminders SET message_id = ? WHERE user_id = ?", [there, ann.id])
            #expect(try await client.send(.post, "/api/rooms/\(town)/leave", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.get, "/api/me/reminders", headers: ann.bearer).json()["reminders"]?.array == [])
            #expect(try await Self.remind(client, ann, message, in: 60).status == .created)
            #expect(try parley.count("notifications") == 0)
        }
    }
}
