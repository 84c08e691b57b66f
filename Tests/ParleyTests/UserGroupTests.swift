import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Testing

@testable import Parley

/// User groups: anyone makes one and joins or leaves; its maker and site admins manage it; `@name`
/// mentions each member who is in the room; names share the usernames' namespace.
@Suite struct UserGroupTests {
    static func groupID(_ response: TestResponse) throws -> Int64 {
        try #require(try response.json()["group"]?["id"]?.int)
    }

    @Test func makingManagingAndDeletingAGroup() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let (root, ann) = try await SiteSettingsTests.adminAndUser(client, parley)
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: cat.bearer).json()["cursor"]?.int)

            // Names follow the username rules and are not a user's or another group's.
            for (body, code) in [
                (#"{"name":"x"}"#, "invalid_name"), (#"{"name":"here"}"#, "invalid_name"), (#"{"name":"dev team"}"#, "invalid_name"),
                (#"{"name":"ok-name","description":"\#(String(repeating: "d", count: 201))"}"#, "invalid_description"),
            ] {
                try await client.send(.post, "/api/user-groups", json: body, headers: ann.bearer).expectError(.unprocessableContent, code)
            }
            try await client.send(.post, "/api/user-groups", json: #"{"name":"Bob"}"#, headers: ann.bearer).expectError(.conflict, "name_taken")
            try await client.send(.post, "/api/user-groups", json: #"{"name":"devs"}"#).expectError(.unauthorized, "unauthenticated")
            #expect(try parley.count("user_groups") == 0)

            // Its maker is its first member.
            let made = try await client.send(.post, "/api/user-groups", json: #"{"name":"devs","description":"  Who ships  "}"#, headers: ann.bearer)
            #expect(made.status == .created)
            let devs = try Self.groupID(made)
            #expect(try made.json()["group"]?["description"] == .string("Who ships"))
            #expect(try made.json()["group"]?["member_ids"] == .array([.number(Double(ann.id))]))
            #expect(try made.json()["group"]?["created_by"]?["id"]?.int == ann.id)
            try await client.send(.post, "/api/user-groups", json: #"{"name":"DEVS"}"#, headers: bob.bearer).expectError(.conflict, "name_taken")
            // Nobody may sign up with a group's name.
            try await client.register("Devs").expectError(.conflict, "username_taken")

            // Anyone joins or leaves; only the maker (or a site admin) adds or removes others.
            #expect(try await client.send(.put, "/api/user-groups/\(devs)/members/\(bob.id)", headers: bob.bearer).status == .noContent)
            #expect(try await client.send(.put, "/api/user-groups/\(devs)/members/\(bob.id)", headers: bob.bearer).status == .noContent)
            try await client.send(.put, "/api/user-groups/\(devs)/members/\(cat.id)", headers: bob.bearer).expectError(.forbidden, "forbidden")
            try await client.send(.delete, "/api/user-groups/\(devs)/members/\(ann.id)", headers: bob.bearer).expectError(.forbidden, "forbidden")
            #expect(try await client.send(.put, "/api/user-groups/\(devs)/members/\(cat.id)", headers: ann.bearer).status == .noContent)
            try await client.send(.put, "/api/user-groups/\(devs)/members/999999", headers: ann.bearer).expectError(.notFound, "user_not_found")
            try await client.send(.put, "/api/user-groups/999999/members/\(ann.id)", headers: ann.bearer)
                .expectError(.notFound, "user_group_not_found")
            #expect(try await client.send(.delete, "/api/user-groups/\(devs)/members/\(cat.id)", headers: cat.bearer).status == .noContent)
            #expect(try await client.send(.delete, "/api/user-groups/\(devs)/members/\(cat.id)", headers: cat.bearer).status == .noContent)
            #expect(try parley.count("user_group_members", where: "group_id = \(devs)") == 2)
            // Not someone who blocked the maker, or whom the maker blocked (they may still join themselves).
            #expect(try await BlockTests.block(client, cat, ann.id).status == .noContent)
            try await client.send(.put, "/api/user-groups/\(devs)/members/\(cat.id)", headers: ann.bearer).expectError(.forbidden, "blocked")
            #expect(try await BlockTests.block(client, cat, ann.id, false).status == .noContent)
            #expect(try await BlockTests.block(client, ann, cat.id).status == .noContent)
            try await client.send(.put, "/api/user-groups/\(devs)/members/\(cat.id)", headers: ann.bearer).expectError(.forbidden, "blocked")
            #expect(try parley.count("user_group_members", where: "group_id = \(devs)") == 2)
            #expect(try await BlockTests.block(client, ann, cat.id, false).status == .noContent)

            // Anyone reads the list and a group's members.
            let list = try await client.send(.get, "/api/user-groups", headers: cat.bearer).json()["groups"]?.array ?? []
            #expect(list.map { $0["name"] } == [.string("devs")])
            let detail = try await client.send(.get, "/api/user-groups/\(devs)", headers: cat.bearer)
            #expect(try detail.json()["members"]?.array?.map { $0["username"] } == [.string("ann"), .string("bob")])
            try await client.send(.get, "/api/user-groups/999999", headers: cat.bearer).expectError(.notFound, "user_group_not_found")

            // Renaming: the maker or a site admin, to a free name; capitals alone may change.
            try await client.send(.patch, "/api/user-groups/\(devs)", json: #"{"name":"devteam"}"#, headers: bob.bearer)
                .expectError(.forbidden, "forbidden")
            try await client.send(.patch, "/api/user-groups/\(devs)", json: #"{"name":"cat"}"#, headers: ann.bearer).expectError(.conflict, "name_taken")
            let renamed = try await client.send(.patch, "/api/user-groups/\(devs)", json: #"{"name":"Devs"}"#, headers: ann.bearer)
            #expect(try renamed.json()["group"]?["name"] == .string("Devs"))
            let byAdmin = try await client.send(.patch, "/api/user-groups/\(devs)", json: #"{"name":"devteam","description":""}"#, headers: root.bearer)
            #expect(try byAdmin.json()["group"]?["name"] == .string("devteam"))
            #expect(try byAdmin.json()["group"]?["description"] == .string(""))

            // Deleting: the maker or a site admin; the members go with it.
            try await client.send(.delete, "/api/user-groups/\(devs)", headers: bob.bearer).expectError(.forbidden, "forbidden")
            #expect(try await client.send(.delete, "/api/user-groups/\(devs)", headers: root.bearer).status == .noContent)
            #expect(try parley.count("user_groups") == 0 && parley.count("user_group_members") == 0)
            try await client.send(.delete, "/api/user-groups/\(devs)", headers: ann.bearer).expectError(.notFound, "user_group_not_found")

            // Everyone heard each change, whether in the group or not.
            let events = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: cat.bearer).json()["events"]?.array ?? []
            let groupEvents = events.filter { $0["type"]?.string?.hasPrefix("user_group.") == true }
            #expect(
                groupEvents.map { $0["type"]?.string ?? "" }
                    == ["user_group.updated", "user_group.updated", "user_group.updated", "user_group.updated", "user_group.updated",
                        "user_group.updated", "user_group.deleted"])
            #expect(groupEvents.last?["data"]?["group_id"]?.int == devs)
            #expect(groupEvents[5]["data"]?["group"]?["name"] == .string("devteam"))
        }
    }

    /// `@group` mentions and notifies each member of the group who is in the room, not the sender;
    /// a group member outside a private room hears nothing of it.
    @Test func mentioningAGroupMentionsItsMembersInTheRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let dan = try await client.signUp("dan")
            let devs = try Self.groupID(try await client.send(.post, "/api/user-groups", json: #"{"name":"devs"}"#, headers: ann.bearer))
            for user in [bob, cat] {
                #expect(try await client.send(.put, "/api/user-groups/\(devs)/members/\(user.id)", headers: ann.bearer).status == .noContent)
            }

            // In main (everyone is in it): bob and cat, not ann who wrote it; dan also by name, once.
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@DEVS and @dan: ship it"}"#, headers: ann.bearer)
            #expect(posted.status == .created)
            let id = try #require(try posted.json()["message"]?["id"]?.int)
            #expect(try posted.json()["message"]?["mentions"]?.array?.compactMap(\.int) == [bob.id, cat.id, dan.id])
            let notified = try parley.query("SELECT user_id, reason FROM notifications WHERE message_id = ? ORDER BY user_id", [id])
            #expect(try notified.map { try $0.decode("user_id", as: Int64.self) } == [bob.id, cat.id, dan.id])
            #expect(try notified.allSatisfy { try $0.decode("reason", as: String.self) == "mention" })
            #expect(try parley.count("mentions", where: "message_id = \(id)") == 3)
            // History says the same.
            let page = try await client.send(.get, "/api/rooms/1/messages?limit=1", headers: cat.bearer).json()["messages"]?.array
            #expect(page?.first?["mentions"]?.array?.compactMap(\.int) == [bob.id, cat.id, dan.id])

            // In a private group with only bob: only bob.
            let room = try await client.group("ops", of: ann, with: bob)
            let inGroup = try await client.send(.post, "/api/rooms/\(room)/messages", json: #"{"text":"ping @devs"}"#, headers: ann.bearer)
            #expect(try inGroup.json()["message"]?["mentions"]?.array?.compactMap(\.int) == [bob.id])

            // A group's member mentioning it mentions the others.
            let fromBob = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@devs standup"}"#, headers: bob.bearer)
            #expect(try fromBob.json()["message"]?["mentions"]?.array?.compactMap(\.int) == [ann.id, cat.id])
        }
    }

    /// A deactivated account stays in its groups but is neither listed nor mentioned through them
    /// until reactivated; both changes are `user_group.updated` to everyone.
    @Test func deactivatedMembersAreLeftOutUntilReactivated() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            try parley.execute("UPDATE users SET site_role = 'admin' WHERE id = ?", [ann.id])
            let devs = try Self.groupID(try await client.send(.post, "/api/user-groups", json: #"{"name":"devs"}"#, headers: ann.bearer))
            for user in [bob, cat] {
                #expect(try await client.send(.put, "/api/user-groups/\(devs)/members/\(user.id)", headers: ann.bearer).status == .noContent)
            }
            func listed() async throws -> [Int64] {
                try await client.send(.get, "/api/user-groups/\(devs)", headers: ann.bearer).json()["members"]?.array?.compactMap { $0["id"]?.int } ?? []
            }
            func memberIDs() async throws -> [Int64] {
                let groups = try await client.send(.get, "/api/user-groups", headers: ann.bearer).json()["groups"]?.array ?? []
                return groups.first { $0["id"]?.int == devs }?["member_ids"]?.array?.compactMap(\.int) ?? []
            }
            func mentioned() async throws -> [Int64] {
                let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@devs look"}"#, headers: ann.bearer)
                return try posted.json()["message"]?["mentions"]?.array?.compactMap(\.int) ?? []
            }
            #expect(try await listed() == [ann.id, bob.id, cat.id])
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)
            #expect(try await client.send(.post, "/api/admin/users/\(bob.id)/deactivate", headers: ann.bearer).status == .noContent)
            #expect(try await listed() == [ann.id, cat.id])
            #expect(try await memberIDs() == [ann.id, cat.id])
            #expect(try await mentioned() == [cat.id])
            let heard = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: cat.bearer).json()["events"]?.array ?? []
            let updates = heard.filter { $0["type"]?.string == "user_group.updated" }
            #expect(updates.map { $0["data"]?["group"]?["member_ids"]?.array?.compactMap(\.int) } == [[ann.id, cat.id]])

            #expect(try await client.send(.post, "/api/admin/users/\(bob.id)/reactivate", headers: ann.bearer).status == .noContent)
            #expect(try await listed() == [ann.id, bob.id, cat.id])
            #expect(try await mentioned() == [bob.id, cat.id])
            let after = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: cat.bearer).json()["events"]?.array ?? []
            #expect(after.filter { $0["type"]?.string == "user_group.updated" }.count == 2)
        }
    }

    /// A username and a group name claimed at the same moment: whichever commits second is refused.
    /// A raw transaction holds the first claim uncommitted while the API makes the second.
    @Test func aNameClaimedAtTheSameMomentByAnAccountAndAGroupGoesToOne() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let raw = try MariaDBConnection(configuration: try MariaDBConfiguration(url: parley.databaseURL))
            defer { raw.close() }

            // An account being registered: the group waits for it, then is refused.
            try raw.execute("START TRANSACTION")
            try raw.execute(
                "INSERT INTO users (username, display_name, password_hash, created_at, site_role) VALUES ('racer', 'Racer', '-', NOW(3), 'user')")
            let making = Task { try await client.send(.post, "/api/user-groups", json: #"{"name":"Racer"}"#, headers: ann.bearer) }
            try await Task.sleep(for: .milliseconds(500))
            try raw.execute("COMMIT")
            try await making.value.expectError(.conflict, "name_taken")
            #expect(try parley.count("user_groups") == 0)

            // A group being made: the registration waits for it, then is refused.
            try raw.execute("START TRANSACTION")
            try raw.execute("INSERT INTO user_groups (name, description, created_by, created_at) VALUES ('rivals', '', ?, NOW(3))", [ann.id])
            let registering = Task { try await client.register("Rivals") }
            try await Task.sleep(for: .milliseconds(500))
            try raw.execute("COMMIT")
            try await registering.value.expectError(.conflict, "username_taken")
            #expect(try parley.count("users", where: "username = 'rivals'") == 0)
        }
    }

    /// A group mention names every member in the room, beyond what the old 2,048-byte column held.
    /// A group that reaches more than 20 members of the room is `@room`'s: a plain member's mention
    /// of it stays text (anyone makes and fills a group: one mention paged a whole big room), an
    /// admin's counts; a small group still counts from anyone there.
    @Test func aLargeGroupsMentionIsStoredWhole() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let devs = try Self.groupID(try await client.send(.post, "/api/user-groups", json: #"{"name":"crowd"}"#, headers: ann.bearer))
            // 600 accounts made in the database (their ids are in main and in the group), past 2,048 bytes of ids.
            try parley.execute(
                """
                INSERT INTO users (username, display_name, password_hash, created_at)
                SELECT CONCAT('member', seq), CONCAT('Member ', seq), 'x', NOW(3) FROM seq_1_to_600
                """)
            try parley.execute("INSERT INTO room_members (room_id, user_id, role, joined_at) SELECT 1, id, 'member', NOW(3) FROM users WHERE username LIKE 'member%'")
            try parley.execute(
                "INSERT INTO user_group_members (group_id, user_id, added_at) SELECT ?, id, NOW(3) FROM users WHERE username LIKE 'member%'", [devs])
            let plain = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@crowd hello"}"#, headers: ann.bearer)
            #expect(plain.status == .created)
            #expect(try plain.json()["message"]?["mentions"]?.array == [])
            let plainID = try #require(try plain.json()["message"]?["id"]?.int)
            #expect(try parley.count("notifications", where: "message_id = \(plainID)") == 0)
            let few = try Self.groupID(try await client.send(.post, "/api/user-groups", json: #"{"name":"few"}"#, headers: ann.bearer))
            try parley.execute(
                "INSERT INTO user_group_members (group_id, user_id, added_at) SELECT ?, id, NOW(3) FROM users WHERE username IN ('member1', 'member2')", [few])
            let small = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@few and @member3"}"#, headers: ann.bearer)
            #expect(try small.json()["message"]?["mentions"]?.array?.count == 3)
            // Groups count together: three of 8 (24 people) are `@room`'s too, two of them (16) are not;
            // with the big group, none counts (a name still does).
            for (n, group) in ["teama", "teamb", "teamc"].enumerated() {
                let id = try Self.groupID(try await client.send(.post, "/api/user-groups", json: #"{"name":"\#(group)"}"#, headers: ann.bearer))
                try parley.execute(
                    "INSERT INTO user_group_members (group_id, user_id, added_at) SELECT ?, id, NOW(3) FROM users WHERE username IN (\((1...8).map { "'member\(100 + n * 8 + $0)'" }.joined(separator: ", ")))",
                    [id])
            }
            for (text, count) in [("@teama @teamb @teamc", 0), ("@teama and @teamb", 16), ("@few @crowd @member3", 1)] {
                let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"\#(text)"}"#, headers: ann.bearer)
                #expect(try posted.json()["message"]?["mentions"]?.array?.count == count, "\(text)")
            }
            try parley.execute("UPDATE room_members SET role = 'admin' WHERE room_id = 1 AND user_id = ?", [ann.id])
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@crowd hello"}"#, headers: ann.bearer)
            #expect(posted.status == .created)
            let id = try #require(try posted.json()["message"]?["id"]?.int)
            #expect(try posted.json()["message"]?["mentions"]?.array?.count == 600)
            #expect(try parley.scalar("SELECT LENGTH(mention_ids) > 2048 FROM messages WHERE id = ?", [id]) == .int(1))
            let page = try await client.send(.get, "/api/rooms/1/messages?limit=1", headers: ann.bearer).json()["messages"]?.array
            #expect(page?.first?["id"]?.int == id && page?.first?["mentions"]?.array?.count == 600)
        }
    }
}
