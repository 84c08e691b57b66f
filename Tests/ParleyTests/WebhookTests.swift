import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Testing

@testable import Parley

/// Incoming webhooks: made, listed and deleted by a room's owners and admins; their secret URL
/// posts into the room with no session, as the maker, marked with the webhook's name.
@Suite struct WebhookTests {
    @Test func aWebhookPostsIntoItsRoomAsItsMakerMarkedWithItsName() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ann = try await client.signUp("ann")
            let room = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"ops"}"#, headers: owner.bearer).json()["room"]?["id"]?.int)
            #expect(try await client.send(.post, "/api/rooms/\(room)/join", headers: ann.bearer).status == .ok)
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)

            // A member may not make one; the owner does, and sees its URL this once.
            try await client.send(.post, "/api/rooms/\(room)/webhooks", json: #"{"name":"CI"}"#, headers: ann.bearer).expectError(.forbidden, "forbidden")
            let made = try await client.send(.post, "/api/rooms/\(room)/webhooks", json: #"{"name":"  CI  "}"#, headers: owner.bearer)
            #expect(made.status == .created, "\(String(buffer: made.body))")
            let webhook = try #require(try made.json()["webhook"])
            let id = try #require(webhook["id"]?.int)
            let url = try #require(webhook["url"]?.string)
            let token = String(url.dropFirst("/api/hooks/".count))
            #expect(url.hasPrefix("/api/hooks/") && token.count == 32 && webhook["hint"]?.string == String(token.prefix(4)))
            #expect(webhook["name"] == .string("CI") && webhook["room_id"]?.int == room && webhook["active"] == .bool(true))
            #expect(webhook["created_by"]?["id"]?.int == owner.id && webhook["last_used_at"] == .null)
            // Only its hash is stored.
            #expect(try parley.count("webhooks", where: "token_hash = UNHEX(SHA2('\(token)', 256))") == 1)
            #expect(try parley.count("webhooks", where: "token_hash = '\(token)'") == 0)

            // Posting needs nothing but the URL: the message is the maker's, marked with the webhook.
            let posted = try await client.send(.post, url, json: #"{"text":"  build 42 passed, @ann  "}"#)
            #expect(posted.status == .created, "\(String(buffer: posted.body))")
            let message = try #require(try posted.json()["message"])
            let messageID = try #require(message["id"]?.int)
            #expect(message["text"] == .string("build 42 passed, @ann") && message["room_id"]?.int == room)
            #expect(message["sender"]?["id"]?.int == owner.id)
            #expect(message["webhook"] == .object(["id": .number(Double(id)), "name": .string("CI")]))
            #expect(message["mentions"] == .array([.number(Double(ann.id))]))
            // Members read it so, in history and live; a plain post carries `webhook: null`.
            #expect(try await client.send(.post, "/api/rooms/\(room)/messages", json: #"{"text":"thanks"}"#, headers: ann.bearer).status == .created)
            let history = try await client.send(.get, "/api/rooms/\(room)/messages", headers: ann.bearer).json()["messages"]?.array ?? []
            #expect(history.map { $0["webhook"]?["name"] ?? .null } == [.null, .string("CI")])
            #expect(history.allSatisfy { $0["webhook"] != nil })
            let events = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let created = events.filter { $0["type"] == .string("message.created") }.compactMap { $0["data"]?["message"] }
            #expect(created.map { $0["webhook"]?["name"] ?? .null } == [.string("CI"), .null])
            // The mention reached Ann like any other.
            let notes = events.filter { $0["type"] == .string("notification") }.compactMap { $0["data"]?["notification"]?["reason"]?.string }
            #expect(notes == ["mention"], "\(events.map { $0["type"] ?? .null })")
            // The list says when it was last used, and never shows the URL again.
            let listed = try #require(try await client.send(.get, "/api/rooms/\(room)/webhooks", headers: owner.bearer).json()["webhooks"]?.array)
            #expect(listed.count == 1 && listed[0]["url"] == .null && listed[0]["last_used_at"]?.string != nil)
            try await client.send(.get, "/api/rooms/\(room)/webhooks", headers: ann.bearer).expectError(.forbidden, "forbidden")

            // Its maker does not edit it (it is not what they wrote); they may delete it, as their own.
            try await client.send(.patch, "/api/messages/\(messageID)", json: #"{"text":"edited"}"#, headers: owner.bearer)
                .expectError(.forbidden, "forbidden")

            // Bad posts are refused and write nothing.
            let before = try parley.count("messages")
            try await client.send(.post, url, json: #"{"text":"   "}"#).expectError(.unprocessableContent, "invalid_text")
            try await client.send(.post, url, json: #"{"text":"#).expectError(.badRequest, "malformed_json")
            try await client.send(.post, url, json: #"{"message":"hi"}"#).expectError(.badRequest, "invalid_request")
            try await client.send(.post, url, json: "text=hi", headers: [.contentType: "application/x-www-form-urlencoded"])
                .expectError(.unsupportedMediaType, "unsupported_media_type")
            try await client.send(.post, "/api/hooks/not-a-token", json: #"{"text":"hi"}"#).expectError(.notFound, "webhook_not_found")
            try await client.send(.post, "/api/hooks/\(String(repeating: "0", count: 32))", json: #"{"text":"hi"}"#)
                .expectError(.notFound, "webhook_not_found")
            #expect(try parley.count("messages") == before)

            // Deleted, the URL stops at once; what it posted stays, still marked.
            try await client.send(.delete, "/api/rooms/\(room)/webhooks/\(id)", headers: ann.bearer).expectError(.forbidden, "forbidden")
            #expect(try await client.send(.delete, "/api/rooms/\(room)/webhooks/\(id)", headers: owner.bearer).status == .noContent)
            try await client.send(.delete, "/api/rooms/\(room)/webhooks/\(id)", headers: owner.bearer).expectError(.notFound, "webhook_not_found")
            try await client.send(.post, url, json: #"{"text":"after"}"#).expectError(.notFound, "webhook_not_found")
            // A dead URL is told as such whatever is sent to it.
            try await client.send(.post, url, json: #"{"text":"#).expectError(.notFound, "webhook_not_found")
            try await client.send(.post, url, json: "text=hi", headers: [.contentType: "application/x-www-form-urlencoded"])
                .expectError(.notFound, "webhook_not_found")
            let kept = try await client.send(.get, "/api/messages/\(messageID)", headers: ann.bearer).json()["message"]
            #expect(kept?["webhook"]?["name"] == .string("CI"))
            #expect(try await client.send(.delete, "/api/messages/\(messageID)", headers: owner.bearer).status == .noContent)
            // The room's log says who made and deleted it.
            let logged = try parley.query("SELECT action, reason FROM moderation_log WHERE room_id = ? ORDER BY id", [room]).map {
                "\(try $0.decode("action", as: String.self)) \(try $0.decode("reason", as: String?.self) ?? "")"
            }
            #expect(logged == ["create_webhook CI", "delete_webhook CI"])
        }
    }

    /// A webhook's posts are news to its maker as to anyone: unread, and a mention of them notifies
    /// them (the maker who set up a build alert wants to see it); their own posts stay read.
    @Test func aWebhooksPostsAreUnreadForItsMakerAndMentionThem() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ann = try await client.signUp("ann")
            let room = try await ModerationTests.room(client, owner: owner, members: [ann])
            let made = try await client.send(.post, "/api/rooms/\(room)/webhooks", json: #"{"name":"CI"}"#, headers: owner.bearer)
            let url = try #require(try made.json()["webhook"]?["url"]?.string)
            _ = try await MessageTests.say(client, owner, room: room, "my own words")
            func unread(_ user: LoggedIn) async throws -> (Int64?, Bool?) {
                let entry = try await RoomTests.directory(client, user).mine.first { $0["id"]?.int == room }
                return (entry?["unread_count"]?.int, entry?["mentioned"]?.bool)
            }
            #expect(try await unread(owner) == (0, false))
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: owner.bearer).json()["cursor"]?.int)

            #expect(try await client.send(.post, url, json: #"{"text":"build 41 passed"}"#).status == .created)
            #expect(try await unread(owner) == (1, false))
            #expect(try await client.send(.post, url, json: #"{"text":"@owner build 42 failed"}"#).status == .created)
            #expect(try await unread(owner) == (2, true))
            #expect(try await unread(ann) == (3, false))
            let events = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: owner.bearer).json()["events"]?.array ?? []
            let notes = events.filter { $0["type"] == .string("notification") }.compactMap { $0["data"]?["notification"]?["reason"]?.string }
            #expect(notes == ["mention"], "\(events.map { $0["type"] ?? .null })")
        }
    }

    /// Like an invite link, a webhook posts while its maker could make it: an active account that is
    /// still the room's owner or an admin. And it posts only what its maker may post.
    @Test func aWebhookPostsOnlyWhileItsMakerManagesTheRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ada = try await client.signUp("ada")
            let group = try await client.group("club", of: owner, with: ada)
            func role(_ role: String) async throws { try await client.setRole(role, of: ada, in: group, by: owner) }
            try await role("moderator")
            try await client.send(.post, "/api/rooms/\(group)/webhooks", json: #"{"name":"Pager"}"#, headers: ada.bearer).expectError(.forbidden, "forbidden")
            try await role("admin")
            let url = try #require(
                try await client.send(.post, "/api/rooms/\(group)/webhooks", json: #"{"name":"Pager"}"#, headers: ada.bearer).json()["webhook"]?["url"]?
                    .string)
            func posts() async throws -> Bool {
                let response = try await client.send(.post, url, json: #"{"text":"disk full"}"#)
                let active = try await client.send(.get, "/api/rooms/\(group)/webhooks", headers: owner.bearer).json()["webhooks"]?[0]?["active"]
                if response.status == .created {
                    #expect(active == .bool(true))
                    return true
                }
                response.expectError(.notFound, "webhook_not_found")
                #expect(active == .bool(false))
                return false
            }
            #expect(try await posts())
            // An announcement room: admins post there, so their webhooks do.
            #expect(try await client.send(.patch, "/api/rooms/\(group)", json: #"{"post_policy":"moderators"}"#, headers: owner.bearer).status == .ok)
            #expect(try await posts())
            // Demoted, the webhook stops (and says so in the list); made an admin again, it posts again.
            try await role("member")
            #expect(try await posts() == false)
            try await role("admin")
            #expect(try await posts())
            // A muted maker's webhook is muted too.
            #expect(try await client.send(.post, "/api/rooms/\(group)/mutes", json: #"{"user_id":\#(ada.id)}"#, headers: owner.bearer).status == .created)
            try await client.send(.post, url, json: #"{"text":"disk full"}"#).expectError(.forbidden, "muted")
            #expect(try await client.send(.delete, "/api/rooms/\(group)/mutes/\(ada.id)", headers: owner.bearer).status == .noContent)
            #expect(try await posts())
            // Deactivated, it stops.
            #expect(try await client.send(.post, "/api/admin/users/\(ada.id)/deactivate", headers: owner.bearer).status == .noContent)
            #expect(try await posts() == false)
            #expect(try parley.count("messages", where: "room_id = \(group) AND webhook_summary IS NOT NULL") == 4)
        }
    }

    @Test func webhooksAreForRoomsAndGroupsWithinTheirLimits() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let bea = try await client.signUp("bea")
            let dm = try #require(
                try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bea.id)}"#, headers: owner.bearer).json()["room"]?["id"]?.int)
            try await client.send(.post, "/api/rooms/\(dm)/webhooks", json: #"{"name":"x"}"#, headers: owner.bearer)
                .expectError(.conflict, "no_webhooks_in_dms")
            try await client.send(.get, "/api/rooms/\(dm)/webhooks", headers: owner.bearer).expectError(.conflict, "no_webhooks_in_dms")
            let room = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"alerts"}"#, headers: owner.bearer).json()["room"]?["id"]?.int)
            let hooks = "/api/rooms/\(room)/webhooks"
            // Nor invisible formatting: a byte order mark alone, a right-to-left override.
            for name in [#""""#, #""   ""#, "\"\(String(repeating: "n", count: 65))\"", #""\ufeff""#, #""\u202eIC""#] {
                try await client.send(.post, hooks, json: #"{"name":\#(name)}"#, headers: owner.bearer).expectError(.unprocessableContent, "invalid_name")
            }
            try await client.send(.post, hooks, json: #"{"name":5}"#, headers: owner.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.post, hooks, json: #"{"name":"x"}"#).expectError(.unauthorized, "unauthenticated")
            try await client.send(.delete, "\(hooks)/abc", headers: owner.bearer).expectError(.badRequest, "invalid_request")
            #expect(try await client.send(.post, hooks, json: #"{"name":"\#(String(repeating: "ü", count: 64))"}"#, headers: owner.bearer).status == .created)
            // 64 letters, each written as a letter and its accent apart: kept whole, and composed, as
            // every other name is (a hunt: the decomposed name went into its posts).
            let accented = String(repeating: "u\u{308}", count: 64)
            let made = try await client.send(.post, hooks, json: #"{"name":"\#(accented)"}"#, headers: owner.bearer)
            #expect(made.status == .created)
            #expect(try made.json()["webhook"]?["name"]?.string?.unicodeScalars.map(\.value) == Array(repeating: 0xFC, count: 64))
            // A letter with a mark that has no composed form stays two code points: 128, kept whole.
            let marked = String(repeating: "q\u{308}", count: 64)
            let kept = try await client.send(.post, hooks, json: #"{"name":"\#(marked)"}"#, headers: owner.bearer)
            #expect(try kept.json()["webhook"]?["name"]?.string?.unicodeScalars.count == 128, "\(String(buffer: kept.body))")
            // Fifty at most in a room.
            for n in 4...50 {
                try parley.execute(
                    "INSERT INTO webhooks (room_id, name, token_hash, hint, created_by, created_at) VALUES (?, ?, UNHEX(SHA2(?, 256)), 'abcd', ?, NOW(3))",
                    [room, "hook \(n)", "token \(n)", owner.id])
            }
            try await client.send(.post, hooks, json: #"{"name":"one more"}"#, headers: owner.bearer).expectError(.conflict, "too_many_webhooks")
            #expect(try await client.send(.get, hooks, headers: owner.bearer).json()["webhooks"]?.array?.count == 50)
            // A webhook of another room is not found through this one.
            let other = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"other"}"#, headers: owner.bearer).json()["room"]?["id"]?.int)
            let foreign = try #require(
                try await client.send(.post, "/api/rooms/\(other)/webhooks", json: #"{"name":"y"}"#, headers: owner.bearer).json()["webhook"]?["id"]?.int)
            try await client.send(.delete, "\(hooks)/\(foreign)", headers: owner.bearer).expectError(.notFound, "webhook_not_found")
            // Deleting the room deletes its webhooks.
            #expect(try await client.send(.delete, "/api/rooms/\(room)", headers: owner.bearer).status == .noContent)
            #expect(try parley.count("webhooks", where: "room_id = \(room)") == 0)
            #expect(try parley.count("webhooks", where: "room_id = \(other)") == 1)
        }
    }
}
