import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Parley

/// Archived rooms: an owner or admin makes a room or group read-only; its members still read,
/// search, delete and leave, nothing new is written, and unarchiving opens it again.
@Suite struct ArchiveTests {
    @Test func anArchivedRoomIsReadOnlyUntilUnarchived() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ada = try await client.signUp("ada")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"ops","topic":"old"}"#, headers: owner.bearer).json()["room"]?["id"]?.int)
            for user in [ada, ann] { #expect(try await client.send(.post, "/api/rooms/\(room)/join", headers: user.bearer).status == .ok) }
            try await client.setRole("admin", of: ada, in: room, by: owner)
            let said = try await client.send(.post, "/api/rooms/\(room)/messages", json: #"{"text":"first"}"#, headers: ann.bearer)
            let first = try #require(try said.json()["message"]?["id"]?.int)
            let asked = try await client.send(.post, "/api/rooms/\(room)/polls", json: #"{"question":"q?","options":["a","b"]}"#, headers: ann.bearer)
            let poll = try #require(try asked.json()["message"]?["id"]?.int)
            #expect(try await client.send(.get, "/api/rooms/\(room)", headers: ann.bearer).json()["room"]?["archived_at"] == .null)
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)

            // Members and moderators may not archive it; an admin does.
            try await client.send(.put, "/api/rooms/\(room)/archived", headers: ann.bearer).expectError(.forbidden, "forbidden")
            try await client.send(.put, "/api/rooms/\(room)/archived", headers: bob.bearer).expectError(.forbidden, "not_a_member")
            let archived = try await client.send(.put, "/api/rooms/\(room)/archived", headers: ada.bearer)
            #expect(archived.status == .ok, "\(String(buffer: archived.body))")
            let archivedAt = try #require(try archived.json()["room"]?["archived_at"]?.string)
            #expect(try archived.json()["room"]?["my_role"] == .string("admin"))
            // Members hear of it with the room; it leaves the directory but stays in their list.
            let events = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            #expect(events.compactMap { $0["type"]?.string } == ["room.updated", "directory.changed"])
            #expect(events.first?["data"]?["room"]?["archived_at"]?.string == archivedAt)
            #expect(events.last?["data"]?["room"] == .null)
            let lists = try await client.send(.get, "/api/rooms", headers: ann.bearer).json()
            #expect(lists["public"]?.array?.contains { $0["id"]?.int == room } == false)
            #expect(lists["mine"]?.array?.first { $0["id"]?.int == room }?["archived_at"]?.string == archivedAt)
            // Again changes nothing and tells nobody.
            let again = try await client.send(.put, "/api/rooms/\(room)/archived", headers: owner.bearer)
            #expect(try again.json()["room"]?["archived_at"]?.string == archivedAt)
            let cursor = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)

            // Nothing new is written: posts, edits, reactions, votes, polls, files, typing, pins,
            // settings, scheduled messages, webhooks, forwards into it, and newcomers.
            let messages = try parley.count("messages")
            let refusals: [(HTTPRequest.Method, String, String?, LoggedIn)] = [
                (.post, "/api/rooms/\(room)/messages", #"{"text":"hello?"}"#, ann),
                (.post, "/api/rooms/\(room)/messages", #"{"text":"hello?"}"#, owner),
                (.patch, "/api/messages/\(first)", #"{"text":"edited"}"#, ann),
                (.put, "/api/messages/\(first)/reactions/%F0%9F%91%8D", nil, ann),
                (.put, "/api/messages/\(poll)/poll/votes", #"{"options":[0]}"#, ann),
                (.post, "/api/messages/\(poll)/poll/close", nil, ann),
                (.post, "/api/rooms/\(room)/polls", #"{"question":"q?","options":["a","b"]}"#, owner),
                (.post, "/api/rooms/\(room)/typing", #"{"typing":true}"#, ann),
                (.post, "/api/rooms/\(room)/pins", #"{"message_id":\#(first)}"#, owner),
                (.patch, "/api/rooms/\(room)", #"{"topic":"new"}"#, owner),
                (.post, "/api/rooms/\(room)/scheduled", #"{"text":"later","in_seconds":60}"#, ann),
                (.post, "/api/rooms/\(room)/webhooks", #"{"name":"CI"}"#, owner),
                (.put, "/api/rooms/\(room)/filter", #"{"words":["darn"],"mode":"reject"}"#, owner),
                (.post, "/api/messages/\(first)/forward", #"{"room_id":\#(room)}"#, ann),
                (.post, "/api/rooms/\(room)/join", nil, bob),
            ]
            for (method, path, json, user) in refusals {
                let refused = try await client.send(method, path, json: json, headers: user.bearer)
                #expect(refused.status == .conflict, "\(method) \(path): \(String(buffer: refused.body))")
                #expect(try refused.json()["error"]?["code"] == .string("room_archived"), "\(method) \(path)")
            }
            try await FileTests.upload(client, ann, room: room, [1, 2, 3], query: "name=a.txt", type: "text/plain")
                .expectError(.conflict, "room_archived")
            #expect(try parley.count("messages") == messages)
            #expect(try parley.count("files") == 0)
            #expect(try parley.count("reactions") + parley.count("poll_votes") + parley.count("pins") + parley.count("webhooks") == 0)
            #expect(try parley.count("scheduled_messages") + parley.count("word_filters") == 0)
            #expect(try parley.count("room_members", where: "room_id = \(room)") == 3)
            #expect(try String(mariaDBValue: try parley.scalar("SELECT topic FROM rooms WHERE id = \(room)")) == "old")
            let quiet = try await client.send(.get, "/api/events?after=\(cursor)&timeout=0", headers: ann.bearer).json()["events"]?.array
            #expect(quiet?.isEmpty == true)

            // Members still read it, search it, delete what they wrote and leave.
            let history = try await client.send(.get, "/api/rooms/\(room)/messages", headers: ann.bearer).json()["messages"]?.array
            #expect(history?.compactMap { $0["id"]?.int } == [poll, first])
            let found = try await client.send(.get, "/api/search?q=first", headers: ann.bearer).json()["messages"]?.array
            #expect(found?.compactMap { $0["id"]?.int } == [first])
            #expect(try await client.send(.delete, "/api/messages/\(first)", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.post, "/api/rooms/\(room)/leave", headers: ann.bearer).status == .noContent)
            let log = try await client.send(.get, "/api/rooms/\(room)/moderation", headers: owner.bearer).json()
            #expect(log["entries"]?.array?.compactMap { $0["action"]?.string } == ["archive", "role_admin"])
            #expect(log["entries"]?.array?.first?["actor"]?["username"] == .string("ada"))
        }
        // It is in the database: a restarted server keeps it read-only, until it is unarchived.
        try await parley.run { client in
            let owner = try await client.logIn("owner")
            let bob = try await client.logIn("bob")
            let room = try Int64(mariaDBValue: try parley.scalar("SELECT id FROM rooms WHERE name = 'ops'"))
            try await client.send(.post, "/api/rooms/\(room)/messages", json: #"{"text":"after restart"}"#, headers: owner.bearer)
                .expectError(.conflict, "room_archived")
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)
            let opened = try await client.send(.delete, "/api/rooms/\(room)/archived", headers: owner.bearer)
            #expect(opened.status == .ok)
            #expect(try opened.json()["room"]?["archived_at"] == .null)
            // The directory has it again (everyone hears so), and it takes posts and newcomers.
            let events = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: bob.bearer).json()["events"]?.array ?? []
            #expect(events.compactMap { $0["type"]?.string } == ["directory.changed"])
            #expect(events.first?["data"]?["room"]?["id"]?.int == room)
            let listed = try await client.send(.get, "/api/rooms", headers: bob.bearer).json()["public"]?.array
            #expect(listed?.contains { $0["id"]?.int == room } == true)
            #expect(try await client.send(.post, "/api/rooms/\(room)/join", headers: bob.bearer).status == .ok)
            let posted = try await client.send(.post, "/api/rooms/\(room)/messages", json: #"{"text":"back"}"#, headers: bob.bearer)
            #expect(posted.status == .created)
            let log = try await client.send(.get, "/api/rooms/\(room)/moderation", headers: owner.bearer).json()
            #expect(log["entries"]?.array?.compactMap { $0["action"]?.string } == ["unarchive", "archive", "role_admin"])
        }
    }

    @Test func groupsArchiveTooButNotDMsOrMain() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let gus = try await client.signUp("gus")
            let hal = try await client.signUp("hal")
            let group = try await client.group("crew", of: owner, with: gus)
            let code = try #require(
                try await client.send(.post, "/api/rooms/\(group)/invites", json: "{}", headers: owner.bearer).json()["invite"]?["code"]?.string)
            #expect(try await client.send(.get, "/api/invites/\(code)", headers: hal.bearer).json()["room"]?["archived"] == .bool(false))
            // Outsiders cannot see a group to archive it.
            try await client.send(.put, "/api/rooms/\(group)/archived", headers: hal.bearer).expectError(.notFound, "room_not_found")
            #expect(try await client.send(.put, "/api/rooms/\(group)/archived", headers: owner.bearer).status == .ok)
            // Nobody comes in: not added, not by a link made before, and no new links.
            try await client.send(.post, "/api/rooms/\(group)/members", json: #"{"user_id":\#(hal.id)}"#, headers: owner.bearer)
                .expectError(.conflict, "room_archived")
            try await client.send(.post, "/api/invites/\(code)/join", headers: hal.bearer).expectError(.conflict, "room_archived")
            // The link's preview says so (clients offer no Join then).
            #expect(try await client.send(.get, "/api/invites/\(code)", headers: hal.bearer).json()["room"]?["archived"] == .bool(true))
            try await client.send(.post, "/api/rooms/\(group)/invites", json: "{}", headers: owner.bearer).expectError(.conflict, "room_archived")
            #expect(try parley.count("room_members", where: "room_id = \(group)") == 2)
            #expect(try parley.count("room_invites", where: "uses > 0") == 0)
            // Its members see it archived, and a member already there may still open the link.
            #expect(try await client.send(.get, "/api/rooms/\(group)", headers: gus.bearer).json()["room"]?["archived_at"]?.string != nil)
            #expect(try await client.send(.post, "/api/invites/\(code)/join", headers: gus.bearer).status == .ok)
            // Members remove others still (kicks, bans): archiving freezes the talk, not the membership.
            #expect(try await client.send(.delete, "/api/rooms/\(group)/members/\(gus.id)", headers: owner.bearer).status == .noContent)

            // A DM is closed, not archived; main stays open.
            let dm = try #require(
                try await client.send(.post, "/api/dms", json: #"{"user_id":\#(gus.id)}"#, headers: owner.bearer).json()["room"]?["id"]?.int)
            try await client.send(.put, "/api/rooms/\(dm)/archived", headers: owner.bearer).expectError(.conflict, "no_archive_in_dms")
            try await client.send(.put, "/api/rooms/1/archived", headers: owner.bearer).expectError(.forbidden, "forbidden")
            try parley.execute("UPDATE room_members SET role = 'owner' WHERE room_id = 1 AND user_id = ?", [owner.id])
            try await client.send(.put, "/api/rooms/1/archived", headers: owner.bearer).expectError(.conflict, "room_protected")
            #expect(try parley.count("rooms", where: "archived_at IS NOT NULL") == 1)
            // A webhook made before the archive answers room_archived and posts nothing.
            try await client.send(.delete, "/api/rooms/\(group)/archived", headers: owner.bearer)
            let url = try #require(
                try await client.send(.post, "/api/rooms/\(group)/webhooks", json: #"{"name":"CI"}"#, headers: owner.bearer)
                    .json()["webhook"]?["url"]?.string)
            #expect(try await client.send(.put, "/api/rooms/\(group)/archived", headers: owner.bearer).status == .ok)
            let messages = try parley.count("messages")
            try await client.send(.post, url, json: #"{"text":"build passed"}"#).expectError(.conflict, "room_archived")
            #expect(try parley.count("messages") == messages)
        }
    }
}
