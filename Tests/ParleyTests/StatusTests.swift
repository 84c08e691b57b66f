import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// A user's status: set, shown with their profile and membership, announced, cleared and run out.
@Suite struct StatusTests {
    static func set(_ client: any TestClientProtocol, _ user: LoggedIn, _ json: String) async throws -> TestResponse {
        try await client.send(.put, "/api/me/status", json: json, headers: user.bearer)
    }

    static func statusEvents(_ client: any TestClientProtocol, _ user: LoggedIn) async throws -> [JSON] {
        let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: user.bearer).json()["events"]?.array ?? []
        return events.filter { $0["type"] == .string("user.status") }.compactMap { $0["data"] }
    }

    @Test func aStatusShowsWhereverThePersonDoesAndReachesWhoSharesARoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let carl = try await client.signUp("carl")
            // Carl shares no room with Ann.
            #expect(try await client.send(.post, "/api/rooms/1/leave", headers: carl.bearer).status == .noContent)

            let response = try await Self.set(client, ann, #"{"text":"  On holiday  ","emoji":"🌴","expires_in_seconds":3600}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let status = try #require(try response.json()["status"])
            #expect(status["text"] == .string("On holiday"))
            #expect(status["emoji"] == .string("🌴"))
            let expires = try #require(
                status["expires_at"]?.string.flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) })
            #expect(abs(expires.timeIntervalSinceNow - 3600) < 60)

            // Where it shows: my own settings, my profile, and member lists.
            #expect(try await client.send(.get, "/api/me", headers: ann.bearer).json()["status"] == status)
            #expect(try await client.send(.get, "/api/users/\(ann.id)", headers: carl.bearer).json()["user"]?["status"] == status)
            let members = try await client.send(.get, "/api/rooms/1/members", headers: bob.bearer).json()["members"]?.array ?? []
            #expect(members.first { $0["user"]?["id"]?.int == ann.id }?["status"] == status)
            #expect(members.first { $0["user"]?["id"]?.int == bob.id }?["status"] == .null)

            // Bob (a co-member) and Ann's own clients hear of it; Carl does not.
            #expect(try await Self.statusEvents(client, bob).map { $0["status"] } == [status])
            #expect(try await Self.statusEvents(client, ann).map { $0["user"]?["id"]?.int } == [ann.id])
            #expect(try await Self.statusEvents(client, carl).isEmpty)

            // Emoji alone, or text alone, with no end.
            let emojiOnly = try await Self.set(client, ann, #"{"emoji":"🤒"}"#).json()["status"]
            #expect(emojiOnly == .object(["text": .string(""), "emoji": .string("🤒"), "expires_at": .null]))
            #expect(try await Self.set(client, ann, #"{"text":"Deep work"}"#).json()["status"]?["emoji"] == .null)
            // The same status again tells nobody (ten identical PUTs made ten events); a new end does.
            #expect(try await Self.set(client, ann, #"{"text":" Deep work "}"#).status == .ok)
            #expect(try await Self.statusEvents(client, bob).count == 3)

            // Cleared: null everywhere, one event; clearing again tells nobody.
            for _ in 0..<2 { #expect(try await client.send(.delete, "/api/me/status", headers: ann.bearer).status == .noContent) }
            #expect(try await client.send(.get, "/api/me", headers: ann.bearer).json()["status"] == .null)
            let heard = try await Self.statusEvents(client, bob)
            #expect(heard.count == 4)
            #expect(heard.last?["status"] == .null)

            // A status that ran out is gone without anyone clearing it.
            #expect(try await Self.set(client, ann, #"{"text":"Lunch","expires_in_seconds":60}"#).status == .ok)
            try await Task.sleep(for: .milliseconds(5))
            #expect(try await Self.set(client, ann, #"{"text":"Lunch","expires_in_seconds":60}"#).status == .ok)
            #expect(try await Self.statusEvents(client, bob).count == 6)
            try parley.execute("UPDATE users SET status_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = ?", [ann.id])
            #expect(try await client.send(.get, "/api/me", headers: ann.bearer).json()["status"] == .null)
            #expect(try await client.send(.get, "/api/users/\(ann.id)", headers: bob.bearer).json()["user"]?["status"] == .null)

            // A deactivated account shows none, in member lists as on its profile.
            #expect(try await Self.set(client, bob, #"{"text":"on vacation"}"#).status == .ok)
            try parley.execute("UPDATE users SET deactivated_at = NOW(3) WHERE id = ?", [bob.id])
            let listed = try await client.send(.get, "/api/rooms/1/members", headers: ann.bearer).json()["members"]?.array ?? []
            #expect(listed.first { $0["user"]?["id"]?.int == bob.id }?["status"] == .null)
            #expect(try await client.send(.get, "/api/users/\(bob.id)", headers: ann.bearer).json()["user"]?["status"] == .null)
        }
    }

    @Test func badStatusesAreRefusedAndChangeNothing() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            for body in [
                #"{}"#, #"{"text":"   "}"#, #"{"text":"","emoji":""}"#, #"{"emoji":"a"}"#, #"{"emoji":"🌴🌴"}"#,
                #"{"text":"\#(String(repeating: "x", count: 101))"}"#, #"{"text":"tab\there"}"#,
                #"{"text":"ok","expires_in_seconds":59}"#, #"{"text":"ok","expires_in_seconds":2592001}"#,
                // Invisible formatting, as in names: a right-to-left override, a byte-order mark, a soft hyphen.
                #"{"text":"\u202e"}"#, #"{"text":"away \u202eyawa"}"#, #"{"text":"\ufeff"}"#, #"{"text":"\u00ad"}"#,
            ] {
                try await Self.set(client, ann, body).expectError(.unprocessableContent, "invalid_status")
            }
            try await Self.set(client, ann, #"{"text":5}"#).expectError(.badRequest, "invalid_request")
            try await Self.set(client, ann, "not json").expectError(.badRequest, "malformed_json")
            try await client.send(.put, "/api/me/status", json: #"{"text":"x"}"#).expectError(.unauthorized, "unauthenticated")
            #expect(try await Self.set(client, ann, #"{"text":"\#(String(repeating: "é", count: 100))"}"#).status == .ok)
            // 100 characters as people see them, each of several code points.
            let combined = String(repeating: "e\u{301}", count: 100)
            let stored = try await Self.set(client, ann, MessageTests.json(["text": combined, "emoji": "👩‍👩‍👧‍👦"]))
            #expect(stored.status == .ok, "\(String(buffer: stored.body))")
            #expect(try await client.send(.get, "/api/me", headers: ann.bearer).json()["status"]?["text"]?.string == combined)
            #expect(try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'user.status'") == .int(2))
        }
    }
}
