import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// Profiles: a bio set through `PATCH /api/me`, and anyone's profile with the rooms one shares with them.
@Suite struct ProfileTests {
    @Test func aProfileShowsNamesBioPresenceAndTheRoomsWeShare() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let carol = try await client.signUp("carol")
            let me = try await client.send(.patch, "/api/me", json: #"{"bio":"  Builds engines.\nLikes tea.  "}"#, headers: alice.bearer)
            #expect(me.status == .ok)
            #expect(try me.json()["bio"]?.string == "Builds engines.\nLikes tea.")
            let group = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"shop","kind":"group","members":[\#(bob.id)]}"#, headers: alice.bearer)
                    .json()["room"]?["id"]?.int)
            _ = try await client.send(.post, "/api/rooms", json: #"{"name":"alone","kind":"group"}"#, headers: alice.bearer)
            let dm = try #require(try await client.send(.post, "/api/dms", json: #"{"user_id":\#(alice.id)}"#, headers: bob.bearer).json()["room"]?["id"]?.int)

            let seen = try await client.send(.get, "/api/users/\(alice.id)", headers: bob.bearer)
            #expect(seen.status == .ok)
            let body = try seen.json()
            #expect(body.keys == ["user", "shared_rooms"])
            let user = try #require(body["user"])
            #expect(user.keys == ["id", "username", "display_name", "bio", "created_at", "presence", "last_seen_at", "deactivated"])
            #expect(user["username"]?.string == "alice")
            #expect(user["bio"]?.string == "Builds engines.\nLikes tea.")
            #expect(user["presence"]?.string == "offline")
            #expect(user["deactivated"] == .bool(false))
            // main, the group they share and their DM; not alice's room of her own.
            #expect(body["shared_rooms"]?.array?.compactMap { $0["id"]?.int } == [1, group, dm])
            #expect(body["shared_rooms"]?.array?.map { $0["kind"]?.string ?? "" } == ["public", "group", "dm"])
            // Carol shares only main with alice.
            let fromCarol = try await client.send(.get, "/api/users/\(alice.id)", headers: carol.bearer).json()
            #expect(fromCarol["shared_rooms"]?.array?.compactMap { $0["id"]?.int } == [1])

            // A blank bio clears it; a bio too long, or with control characters, is refused.
            #expect(try await client.send(.patch, "/api/me", json: #"{"bio":"   "}"#, headers: alice.bearer).json()["bio"] == .null)
            try await client.send(.patch, "/api/me", json: #"{"bio":"\#(String(repeating: "x", count: 501))"}"#, headers: alice.bearer)
                .expectError(.unprocessableContent, "invalid_bio")
            try await client.send(.patch, "/api/me", json: #"{"bio":"bell\u0007"}"#, headers: alice.bearer).expectError(.unprocessableContent, "invalid_bio")
            #expect(try parley.scalar("SELECT bio FROM users WHERE id = ?", [alice.id]) == .null)

            try await client.send(.get, "/api/users/999999", headers: bob.bearer).expectError(.notFound, "user_not_found")
            try await client.send(.get, "/api/users/0", headers: bob.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.get, "/api/users/\(alice.id)").expectError(.unauthorized, "unauthenticated")
        }
    }
}
