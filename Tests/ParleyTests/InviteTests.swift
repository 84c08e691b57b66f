import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Testing

@testable import Parley

/// Invite links to private groups: made, listed and revoked by owners and admins; previewed and
/// used by anyone logged in who holds one, within their expiry and number of uses.
@Suite struct InviteTests {
    /// A link works while its maker could make it: an active account that is still the group's
    /// owner or an admin. Meanwhile it is listed as dormant (`active: false`), so it can be revoked.
    @Test func anInviteStopsWorkingWhenItsMakerCanNoLongerInvite() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ada = try await client.signUp("ada")
            let ann = try await client.signUp("ann")
            let group = try await client.group("club", of: owner, with: ada)
            func role(_ role: String) async throws { try await client.setRole(role, of: ada, in: group, by: owner) }
            func invite() async throws -> (id: Int64, code: String) {
                let invite = try await client.send(.post, "/api/rooms/\(group)/invites", json: "{}", headers: ada.bearer).json()["invite"]
                return (try #require(invite?["id"]?.int), try #require(invite?["code"]?.string))
            }
            try await role("admin")
            let (id, code) = try await invite()
            func listed() async throws -> [JSON] {
                try await client.send(.get, "/api/rooms/\(group)/invites", headers: owner.bearer).json()["invites"]?.array ?? []
            }
            func usable() async throws -> Bool {
                let listed = try await listed()
                let preview = try await client.send(.get, "/api/invites/\(code)", headers: ann.bearer).status
                #expect(listed.compactMap { $0["id"]?.int } == [id])
                #expect((preview == .ok) == (listed.first?["active"]?.bool == true))
                return preview == .ok
            }
            #expect(try await usable())
            // Demoted: the link stops working (and is listed as dormant); made an admin again, it works again.
            try await role("member")
            #expect(try await usable() == false)
            try await client.send(.post, "/api/invites/\(code)/join", headers: ann.bearer).expectError(.notFound, "invite_not_found")
            try await role("admin")
            #expect(try await usable())
            // Deactivated (by the site admin): it stops for good.
            #expect(try await client.send(.post, "/api/admin/users/\(ada.id)/deactivate", headers: owner.bearer).status == .noContent)
            #expect(try await usable() == false)
            try await client.send(.post, "/api/invites/\(code)/join", headers: ann.bearer).expectError(.notFound, "invite_not_found")
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM room_members WHERE room_id = ? AND user_id = ?", [group, ann.id])) == 0)
            // A dormant link can be revoked, and does not come back with its maker's role.
            #expect(try await client.send(.delete, "/api/rooms/\(group)/invites/\(id)", headers: owner.bearer).status == .noContent)
            #expect(try await listed().isEmpty)
        }
    }

    @Test func anInviteLinkLetsItsHoldersJoinAGroupWithinItsLimits() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let group = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"secret club","kind":"group","topic":"shh"}"#, headers: owner.bearer)
                    .json()["room"]?["id"]?.int)
            // An outsider cannot see the group at all.
            try await client.send(.get, "/api/rooms/\(group)", headers: ann.bearer).expectError(.notFound, "room_not_found")

            let made = try await client.send(.post, "/api/rooms/\(group)/invites", json: #"{"max_uses":2}"#, headers: owner.bearer)
            #expect(made.status == .created, "\(String(buffer: made.body))")
            let invite = try #require(try made.json()["invite"])
            let code = try #require(invite["code"]?.string)
            #expect(code.count == 32 && invite["hint"]?.string == String(code.prefix(4)))
            #expect(invite["max_uses"] == .number(2) && invite["uses"] == .number(0))
            #expect(invite["created_by"]?["id"]?.int == owner.id)
            // Seven days by default.
            let expires = try #require(invite["expires_at"]?.string.flatMap { try? Date($0, strategy: .iso8601) })
            #expect(abs(expires.timeIntervalSinceNow - 7 * 24 * 3600) < 120)
            // Only its hash is stored.
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM room_invites WHERE code_hash = UNHEX(SHA2(?, 256))", [code])) == 1)
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM room_invites WHERE code_hash = ?", [Array(code.utf8)])) == 0)

            // The holder sees what it opens, then joins; the member list and the event say so.
            let preview = try await client.send(.get, "/api/invites/\(code)", headers: ann.bearer)
            #expect(preview.status == .ok)
            let seen = try preview.json()
            #expect(seen["room"]?["name"]?.string == "secret club" && seen["room"]?["member_count"] == .number(1))
            #expect(seen["invited_by"]?["username"]?.string == "owner" && seen["member"] == .bool(false))
            // In capitals (read out, typed again) it is the same code.
            #expect(try await client.send(.get, "/api/invites/\(code.uppercased())", headers: ann.bearer).status == .ok)
            let joined = try await client.send(.post, "/api/invites/\(code)/join", headers: ann.bearer)
            #expect(joined.status == .ok)
            #expect(try joined.json()["room"]?["id"]?.int == group && joined.json()["room"]?["my_role"]?.string == "member")
            let event = try #require(
                try parley.query("SELECT payload FROM events WHERE type = 'member.joined' AND room_id = ? AND subject_id = ?", [group, ann.id]).first)
            #expect(try event.decode("payload", as: String.self).contains(#""by":{"#))
            // Again: already a member, no use counted.
            #expect(try await client.send(.post, "/api/invites/\(code)/join", headers: ann.bearer).status == .ok)
            #expect(try await client.send(.get, "/api/invites/\(code)", headers: ann.bearer).json()["member"] == .bool(true))
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT uses FROM room_invites")) == 1)

            // Someone banned from the group is refused, and uses nothing.
            _ = try await client.send(.post, "/api/rooms/\(group)/bans", json: #"{"user_id":\#(cat.id)}"#, headers: owner.bearer)
            try await client.send(.post, "/api/invites/\(code)/join", headers: cat.bearer).expectError(.forbidden, "banned")
            // Nor do they see the group through the link.
            try await client.send(.get, "/api/invites/\(code)", headers: cat.bearer).expectError(.forbidden, "banned")
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT uses FROM room_invites")) == 1)
            // The second use is the last one.
            #expect(try await client.send(.post, "/api/invites/\(code)/join", headers: bob.bearer).status == .ok)
            let dan = try await client.signUp("dan")
            try await client.send(.get, "/api/invites/\(code)", headers: dan.bearer).expectError(.notFound, "invite_not_found")
            try await client.send(.post, "/api/invites/\(code)/join", headers: dan.bearer).expectError(.notFound, "invite_not_found")
            // Used up, it still opens the group for its members (another device of theirs clicks it),
            // and uses nothing.
            #expect(try await client.send(.get, "/api/invites/\(code)", headers: bob.bearer).json()["member"] == .bool(true))
            let again = try await client.send(.post, "/api/invites/\(code)/join", headers: bob.bearer)
            let againRoom = try again.json()["room"]?["id"]?.int
            #expect(again.status == .ok && againRoom == group)
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT uses FROM room_invites")) == 2)
            #expect(try await client.send(.get, "/api/rooms/\(group)/invites", headers: owner.bearer).json()["invites"] == .array([]))

            // An expired link and a revoked one stop working; a made-up code is unknown.
            let week = try #require(
                try await client.send(.post, "/api/rooms/\(group)/invites", json: #"{"expires_in_seconds":3600}"#, headers: owner.bearer)
                    .json()["invite"])
            let listed = try await client.send(.get, "/api/rooms/\(group)/invites", headers: owner.bearer).json()
            #expect(listed["invites"]?.array?.map { $0["id"] } == [week["id"]])
            #expect(listed["invites"]?.array?.first?["code"] == .null)
            try parley.execute("UPDATE room_invites SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = ?", [week["id"]?.int ?? 0])
            try await client.send(.post, "/api/invites/\(week["code"]?.string ?? "")/join", headers: dan.bearer)
                .expectError(.notFound, "invite_not_found")
            let fresh = try #require(try await client.send(.post, "/api/rooms/\(group)/invites", json: "{}", headers: owner.bearer).json()["invite"])
            #expect(try await client.send(.delete, "/api/rooms/\(group)/invites/\(fresh["id"]?.int ?? 0)", headers: owner.bearer).status == .noContent)
            try await client.send(.post, "/api/invites/\(fresh["code"]?.string ?? "")/join", headers: dan.bearer)
                .expectError(.notFound, "invite_not_found")
            try await client.send(.delete, "/api/rooms/\(group)/invites/\(fresh["id"]?.int ?? 0)", headers: owner.bearer)
                .expectError(.notFound, "invite_not_found")
            for code in ["0123456789abcdef0123456789abcdef", "not-a-code", String(repeating: "z", count: 300)] {
                try await client.send(.get, "/api/invites/\(code)", headers: dan.bearer).expectError(.notFound, "invite_not_found")
            }
            try await client.send(.get, "/api/invites/\(code)").expectError(.unauthorized, "unauthenticated")
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM room_members WHERE room_id = ? AND user_id = ?", [group, dan.id])) == 0)

            // Limits on making one.
            for (body, code) in [
                (#"{"expires_in_seconds":59}"#, "invalid_expiry"), (#"{"expires_in_seconds":2592001}"#, "invalid_expiry"),
                (#"{"max_uses":0}"#, "invalid_max_uses"), (#"{"max_uses":1001}"#, "invalid_max_uses"),
            ] {
                try await client.send(.post, "/api/rooms/\(group)/invites", json: body, headers: owner.bearer).expectError(.unprocessableContent, code)
            }
            // Making and revoking links are in the group's moderation log.
            let actions = try parley.query("SELECT action FROM moderation_log WHERE room_id = ? ORDER BY id", [group]).map {
                try $0.decode("action", as: String.self)
            }
            #expect(actions.filter { $0.hasSuffix("_invite") } == ["create_invite", "create_invite", "create_invite", "revoke_invite"])
        }
    }
}
