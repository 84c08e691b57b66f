import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Parley

/// Site settings: anyone reads them; site admins close registration (then only they make accounts)
/// and keep custom emoji to themselves; each change is logged and heard by everyone at once.
@Suite struct SiteSettingsTests {
    /// A site admin (made one in the database, then logged in afresh) and a plain user, `ann`.
    static func adminAndUser(_ client: any TestClientProtocol, _ parley: TestParley) async throws -> (admin: LoggedIn, ann: LoggedIn) {
        let root = try await client.signUp("root")
        try parley.execute("UPDATE users SET site_role = 'admin' WHERE id = ?", [root.id])
        return (try await client.logIn("root"), try await client.signUp("ann"))
    }

    @Test func closedRegistrationLeavesAccountsToSiteAdmins() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let (admin, ann) = try await Self.adminAndUser(client, parley)
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)

            // Anyone reads them, logged in or not; at first anyone may sign up.
            let opened = try await client.send(.get, "/api/settings")
            #expect(opened.status == .ok)
            #expect(
                try opened.json()["settings"]
                    == .object([
                        "registration": .string("open"), "public_rooms": .string("everyone"), "custom_emoji": .string("everyone"),
                        "message_retention_days": .null, "message_edit_minutes": .null,
                    ]))
            // With what the configuration allows, for clients to check before sending.
            #expect(try opened.json()["limits"] == .object(["max_upload_bytes": .number(Double(25 * 1024 * 1024))]))

            // Only a site admin changes them, to known values.
            try await client.send(.patch, "/api/admin/settings", json: #"{"registration":"closed"}"#, headers: ann.bearer)
                .expectError(.forbidden, "not_site_admin")
            try await client.send(.patch, "/api/admin/settings", json: #"{"registration":"invite"}"#, headers: admin.bearer)
                .expectError(.unprocessableContent, "invalid_setting")
            try await client.send(.patch, "/api/admin/settings", json: #"{"custom_emoji":"nobody"}"#, headers: admin.bearer)
                .expectError(.unprocessableContent, "invalid_setting")
            try await client.send(.patch, "/api/admin/settings", json: #"{"public_rooms":"owners"}"#, headers: admin.bearer)
                .expectError(.unprocessableContent, "invalid_setting")
            #expect(try parley.scalar("SELECT registration FROM site_settings") == .string("open"))

            let closed = try await client.send(.patch, "/api/admin/settings", json: #"{"registration":"closed"}"#, headers: admin.bearer)
            #expect(closed.status == .ok)
            #expect(try closed.json()["settings"]?["registration"] == .string("closed"))
            #expect(try await client.send(.get, "/api/settings").json()["settings"]?["registration"] == .string("closed"))
            // Saying it again changes nothing and logs nothing.
            #expect(try await client.send(.patch, "/api/admin/settings", json: #"{"registration":"closed"}"#, headers: admin.bearer).status == .ok)

            // Nobody signs up now, and nothing is written.
            let users = try parley.count("users")
            try await client.register("carl").expectError(.forbidden, "registration_closed")
            #expect(try parley.count("users") == users)

            // A site admin makes an account, which joins main and logs in; others may not.
            try await client.send(.post, "/api/admin/users", json: #"{"username":"dora","password":"password123"}"#, headers: ann.bearer)
                .expectError(.forbidden, "not_site_admin")
            let made = try await client.send(
                .post, "/api/admin/users", json: #"{"username":"dora","password":"password123","display_name":"Dora D"}"#, headers: admin.bearer)
            #expect(made.status == .created, "\(String(buffer: made.body))")
            let dora = try #require(try made.json()["user"]?["id"]?.int)
            #expect(try made.json()["user"]?["display_name"] == .string("Dora D"))
            #expect(try parley.count("room_members", where: "room_id = 1 AND user_id = \(dora)") == 1)
            #expect(try await client.login("dora").status == .ok)
            try await client.send(.post, "/api/admin/users", json: #"{"username":"dora","password":"password123"}"#, headers: admin.bearer)
                .expectError(.conflict, "username_taken")
            try await client.send(.post, "/api/admin/users", json: #"{"username":"x","password":"password123"}"#, headers: admin.bearer)
                .expectError(.unprocessableContent, "invalid_username")

            // Everyone heard of the change; the site log says who did what.
            let events = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let updates = events.filter { $0["type"] == .string("settings.updated") }
            #expect(updates.map { $0["data"]?["settings"]?["registration"] } == [.string("closed")])
            let log = try await client.send(.get, "/api/admin/log", headers: admin.bearer).json()["entries"]?.array ?? []
            #expect(log.filter { $0["action"] == .string("site_settings") }.map { $0["reason"] } == [.string("registration: closed")])
            let created = log.filter { $0["action"] == .string("create_user") }
            #expect(created.map { $0["target_user"]?["id"]?.int } == [dora] && created.first?["actor"]?["id"]?.int == admin.id)

            // Open again: anyone signs up.
            #expect(try await client.send(.patch, "/api/admin/settings", json: #"{"registration":"open"}"#, headers: admin.bearer).status == .ok)
            #expect(try await client.register("carl").status == .created)
        }
    }

    @Test func customEmojiMayBeLeftToSiteAdmins() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let (admin, ann) = try await Self.adminAndUser(client, parley)
            let changed = try await client.send(.patch, "/api/admin/settings", json: #"{"custom_emoji":"admins"}"#, headers: admin.bearer)
            #expect(
                try changed.json()["settings"]
                    == .object([
                        "registration": .string("open"), "public_rooms": .string("everyone"), "custom_emoji": .string("admins"),
                        "message_retention_days": .null, "message_edit_minutes": .null,
                    ]))

            try await CustomEmojiTests.add(client, ann, "mine", Pictures.png(16, 16)).expectError(.forbidden, "forbidden")
            #expect(try parley.count("custom_emoji") == 0)
            #expect(try await CustomEmojiTests.add(client, admin, "theirs", Pictures.png(16, 16)).status == .created)
            // Deleting one's own stays allowed (only adding is kept to site admins).
            #expect(try await client.send(.patch, "/api/admin/settings", json: #"{"custom_emoji":"everyone"}"#, headers: admin.bearer).status == .ok)
            #expect(try await CustomEmojiTests.add(client, ann, "mine", Pictures.png(16, 16)).status == .created)
            #expect(try await client.send(.patch, "/api/admin/settings", json: #"{"custom_emoji":"admins"}"#, headers: admin.bearer).status == .ok)
            #expect(try await client.send(.delete, "/api/emoji/mine", headers: ann.bearer).status == .noContent)
            let log = try await client.send(.get, "/api/admin/log", headers: admin.bearer).json()["entries"]?.array ?? []
            #expect(log.filter { $0["action"] == .string("site_settings") }.map { $0["reason"] }
                == [.string("custom emoji: admins"), .string("custom emoji: everyone"), .string("custom emoji: admins")])
        }
    }

    @Test func siteAdminsLimitHowLongMessagesAreEdited() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let (admin, ann) = try await Self.adminAndUser(client, parley)
            let edit = { (id: Int64, text: String) in
                try await client.send(.patch, "/api/messages/\(id)", json: #"{"text":"\#(text)"}"#, headers: ann.bearer)
            }
            let settings = { (body: String) in try await client.send(.patch, "/api/admin/settings", json: body, headers: admin.bearer) }
            let fresh = try await MessageTests.say(client, ann, room: 1, "just now")
            let old = try await MessageTests.say(client, ann, room: 1, "a while ago")
            try parley.execute("UPDATE messages SET created_at = NOW(3) - INTERVAL 6 MINUTE WHERE id = ?", [old])
            // Any time, by default.
            #expect(try await edit(old, "edited late").status == .ok)

            let limited = try await settings(#"{"message_edit_minutes":5}"#)
            #expect(try limited.json()["settings"]?["message_edit_minutes"]?.int == 5)
            #expect(try await edit(fresh, "edited in time").status == .ok)
            let late = try await edit(old, "too late")
            try late.expectError(.forbidden, "edit_window_closed")
            #expect(try late.json()["error"]?["message"]?.string?.contains("5 minutes") == true)
            #expect(try parley.count("messages", where: "id = \(old) AND text = 'edited late'") == 1)
            // Never: not even a fresh one, nor by a site admin.
            #expect(try await settings(#"{"message_edit_minutes":0}"#).status == .ok)
            try await edit(fresh, "again").expectError(.forbidden, "edit_window_closed")
            let admins = try await MessageTests.say(client, admin, room: 1, "admin's own")
            try await client.send(.patch, "/api/messages/\(admins)", json: #"{"text":"changed"}"#, headers: admin.bearer)
                .expectError(.forbidden, "edit_window_closed")
            #expect(try parley.count("message_edits", where: "message_id = \(fresh)") == 1)
            // Any time again.
            #expect(try await settings(#"{"message_edit_minutes":null}"#).status == .ok)
            #expect(try await edit(old, "fine again").status == .ok)
            #expect(try await client.send(.delete, "/api/messages/\(old)", headers: ann.bearer).status == .noContent)

            for bad in ["-1", "43201"] {
                try await settings(#"{"message_edit_minutes":\#(bad)}"#).expectError(.unprocessableContent, "invalid_setting")
            }
            for bad in ["\"ten\"", "1.5"] {
                try await settings(#"{"message_edit_minutes":\#(bad)}"#).expectError(.badRequest, "invalid_request")
            }
            // (Only site admins change it.)
            try await client.send(.patch, "/api/admin/settings", json: #"{"message_edit_minutes":1}"#, headers: ann.bearer)
                .expectError(.forbidden, "not_site_admin")
            let log = try await client.send(.get, "/api/admin/log", headers: admin.bearer).json()["entries"]?.array ?? []
            #expect(log.filter { $0["action"] == .string("site_settings") }.map { $0["reason"] }
                == [.string("message editing: any time"), .string("message editing: never"), .string("message editing: 5 minutes")])
        }
    }

    @Test func publicRoomsMayBeLeftToSiteAdmins() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let (admin, ann) = try await Self.adminAndUser(client, parley)
            let changed = try await client.send(.patch, "/api/admin/settings", json: #"{"public_rooms":"admins"}"#, headers: admin.bearer)
            #expect(try changed.json()["settings"]?["public_rooms"] == .string("admins"))

            // Ann may not create a public room (nothing is written), but may make a private group.
            let rooms = try parley.count("rooms")
            try await client.send(.post, "/api/rooms", json: #"{"name":"anns-room"}"#, headers: ann.bearer).expectError(.forbidden, "forbidden")
            #expect(try parley.count("rooms") == rooms)
            #expect(try await client.send(.post, "/api/rooms", json: #"{"name":"anns-group","kind":"group"}"#, headers: ann.bearer).status == .created)
            #expect(try await client.send(.post, "/api/rooms", json: #"{"name":"roots-room"}"#, headers: admin.bearer).status == .created)

            // Everyone again: Ann creates one.
            #expect(try await client.send(.patch, "/api/admin/settings", json: #"{"public_rooms":"everyone"}"#, headers: admin.bearer).status == .ok)
            #expect(try await client.send(.post, "/api/rooms", json: #"{"name":"anns-room"}"#, headers: ann.bearer).status == .created)
            let log = try await client.send(.get, "/api/admin/log", headers: admin.bearer).json()["entries"]?.array ?? []
            #expect(log.filter { $0["action"] == .string("site_settings") }.map { $0["reason"] }
                == [.string("public rooms: everyone"), .string("public rooms: admins")])
        }
    }
}
