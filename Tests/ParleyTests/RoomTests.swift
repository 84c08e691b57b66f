import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// Public rooms, private groups and DMs: the directory, creating, joining, passwords, members, roles,
/// ownership and user lookup.
@Suite struct RoomTests {
    static let roomKeys: Set<String> = [
        "id", "kind", "name", "topic", "has_password", "post_policy", "member_count", "my_role", "dm_with", "dm_members", "created_at",
        "archived_at", "slow_mode_seconds", "message_retention_days",
    ]
    static let timestamp = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#

    /// Foundation on Linux calls a fractional or oversized number in an integer field "not valid JSON", without the
    /// field's path, so `Request.decodeJSON` answers `malformed_json` instead of `invalid_request` naming the field.

    static func create(_ client: any TestClientProtocol, _ user: LoggedIn, _ json: String) async throws -> TestResponse {
        try await client.send(.post, "/api/rooms", json: json, headers: user.bearer)
    }

    /// Creates a room and returns its id.
    static func room(_ client: any TestClientProtocol, _ user: LoggedIn, _ json: String) async throws -> Int64 {
        let created = try await create(client, user, json)
        #expect(created.status == .created, "\(String(buffer: created.body))")
        return try #require(try created.json()["room"]?["id"]?.int)
    }

    static func join(_ client: any TestClientProtocol, _ user: LoggedIn, _ room: Int64) async throws -> TestResponse {
        try await client.send(.post, "/api/rooms/\(room)/join", headers: user.bearer)
    }

    static func directory(_ client: any TestClientProtocol, _ user: LoggedIn) async throws -> (public: [JSON], mine: [JSON]) {
        let response = try await client.send(.get, "/api/rooms", headers: user.bearer)
        #expect(response.status == .ok)
        let body = try response.json()
        #expect(body.keys == ["public", "public_complete", "mine"])
        #expect(body["public_complete"] == .bool(true))
        return (body["public"]?.array ?? [], body["mine"]?.array ?? [])
    }

    static func role(_ parley: TestParley, room: Int64, user: Int64) throws -> String? {
        let value = try parley.scalar("SELECT role FROM room_members WHERE room_id = ? AND user_id = ?", [room, user])
        return value == .null ? nil : try String(mariaDBValue: value)
    }

    static func user(_ user: LoggedIn) -> JSON {
        .object(["id": .number(Double(user.id)), "username": .string(user.username), "display_name": .string(user.username), "avatar_url": .null])
    }

    static func isTimestamp(_ value: JSON?) -> Bool {
        value?.string?.range(of: timestamp, options: .regularExpression) != nil
    }

    // MARK: - The directory and the default room

    /// A change that changes nothing (an empty body, the same topic) sends no event: a public room's
    /// changes go to every user.
    @Test func aRoomChangeThatChangesNothingSendsNoEvent() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let room = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"quiet","topic":"tea"}"#, headers: owner.bearer).json()["room"]?["id"]?.int)
            let events = try parley.count("events", where: "type <> 'receipt'")
            for body in ["{}", #"{"topic":"tea"}"#, #"{"name":"quiet","post_policy":"everyone","slow_mode_seconds":0,"password":null}"#] {
                let answer = try await client.send(.patch, "/api/rooms/\(room)", json: body, headers: owner.bearer)
                let topic = try answer.json()["room"]?["topic"]?.string
                #expect(answer.status == .ok && topic == "tea", "\(body)")
            }
            #expect(try parley.count("events", where: "type <> 'receipt'") == events)
            #expect(try await client.send(.patch, "/api/rooms/\(room)", json: #"{"topic":"coffee"}"#, headers: owner.bearer).status == .ok)
            #expect(try parley.count("events", where: "type <> 'receipt'") == events + 2)
        }
    }

    @Test func mainExistsAndEveryNewAccountJoinsIt() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let (directory, mine) = try await Self.directory(client, bob)
            let main = try #require(directory.first { $0["id"]?.int == 1 })
            #expect(main.keys == Self.roomKeys)
            #expect(main["kind"] == .string("public"))
            #expect(main["name"] == .string("main"))
            #expect(main["topic"] == .string("Everyone is here."))
            #expect(main["has_password"] == .bool(false))
            #expect(main["member_count"] == .number(2))
            #expect(main["my_role"] == .string("member"))
            #expect(main["dm_with"] == .null)
            #expect(Self.isTimestamp(main["created_at"]))
            #expect(mine.compactMap { $0["id"]?.int } == [1])
            #expect(mine.first?["my_role"] == .string("member"))
            #expect(mine.first?["member_count"] == .number(2))
            for user in [ann, bob] { #expect(try Self.role(parley, room: 1, user: user.id) == "member") }
        }
        #expect(try parley.count("room_members") == 2)
        #expect(try String(mariaDBValue: try parley.scalar("SELECT kind FROM rooms WHERE id = 1")) == "public")
    }

    /// `rooms` lists the 500 biggest public rooms and says when there are more; `directory` pages
    /// through all of them by name, or finds them by a piece of name or topic.
    @Test func aDirectoryOfMoreThan500RoomsIsCutAndSearchable() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            // 520 empty public rooms ("room 001"…), one with a 100% in its topic, and a smaller one of two members.
            try parley.execute(
                """
                INSERT INTO rooms (kind, name, topic, created_at)
                SELECT 'public', CONCAT('room ', LPAD(seq, 3, '0')), IF(seq = 7, 'a 100% topic', ''), NOW(3) FROM seq_1_to_520
                """)
            let zulu = try await Self.room(client, ann, #"{"name":"zulu","topic":"last letters"}"#)
            #expect(try await Self.join(client, bob, zulu).status == .ok)
            let group = try await Self.room(client, ann, #"{"name":"room group","kind":"group"}"#)
            let archived = try await Self.room(client, ann, #"{"name":"room archived"}"#)
            #expect(try await client.send(.put, "/api/rooms/\(archived)/archived", headers: ann.bearer).status == .ok)

            let list = try await client.send(.get, "/api/rooms", headers: bob.bearer).json()
            #expect(list["public_complete"] == .bool(false))
            let listed = list["public"]?.array ?? []
            #expect(listed.count == 500)
            // The biggest are kept (main, zulu), listed by name.
            let names = listed.compactMap { $0["name"]?.string }
            #expect(names.contains("main") && names.last == "zulu")
            #expect(names == names.sorted())

            // Paged by name: every public room once, none archived, no group.
            var seen: [String] = []
            var after: String?
            repeat {
                let query = after.map { "&after=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
                let page = try await client.send(.get, "/api/directory?limit=100" + query, headers: bob.bearer)
                #expect(page.status == .ok)
                let body = try page.json()
                #expect(body.keys == ["rooms"])
                let names = body["rooms"]?.array?.compactMap { $0["name"]?.string } ?? []
                seen += names
                after = names.count == 100 ? names.last : nil
            } while after != nil && seen.count < 1000
            #expect(seen.count == 522 && Set(seen).count == 522)
            #expect(seen.first == "main" && seen[1] == "room 001" && seen.last == "zulu")
            #expect(!seen.contains("room group") && !seen.contains("room archived"))

            // Found by a piece of name or topic, without regard to case; LIKE's own characters are plain.
            func found(_ query: String) async throws -> [String] {
                let answer = try await client.send(.get, "/api/directory?q=" + query, headers: bob.bearer)
                #expect(answer.status == .ok, "\(query)")
                return try answer.json()["rooms"]?.array?.compactMap { $0["name"]?.string } ?? []
            }
            #expect(try await found("ROOM%2051") == ["room 510", "room 511", "room 512", "room 513", "room 514", "room 515", "room 516", "room 517", "room 518", "room 519"])
            #expect(try await found("LAST%20LETTER") == ["zulu"])
            #expect(try await found("100%25") == ["room 007"])
            #expect(try await found("_") == [])
            let zuluForBob = try #require(try await client.send(.get, "/api/directory?q=zulu", headers: bob.bearer).json()["rooms"]?[0])
            #expect(zuluForBob["my_role"] == .string("member") && zuluForBob["member_count"] == .number(2))

            for bad in ["limit=0", "limit=101", "limit=x", "after=", "q=" + String(repeating: "a", count: 65)] {
                try await client.send(.get, "/api/directory?" + bad, headers: bob.bearer).expectError(.badRequest, "invalid_request")
            }
            try await client.send(.get, "/api/directory").expectError(.unauthorized, "unauthenticated")
        }
    }

    @Test func theDirectoryListsPublicRoomsAndMyRoomsSeparately() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let alpha = try await Self.room(client, ann, #"{"name":"alpha","topic":"first letters"}"#)
            let secret = try await Self.room(client, ann, #"{"name":"secret","kind":"group","topic":"hush"}"#)
            let locked = try await Self.room(client, ann, #"{"name":"locked","password":"open sesame"}"#)

            let (bobPublic, bobMine) = try await Self.directory(client, bob)
            // Private groups are not listed to non-members; the directory is ordered by name.
            #expect(bobPublic.compactMap { $0["name"]?.string } == ["alpha", "locked", "main"])
            let alphaForBob = try #require(bobPublic.first { $0["id"]?.int == alpha })
            #expect(
                alphaForBob
                    == .object([
                        "id": .number(Double(alpha)), "kind": .string("public"), "name": .string("alpha"), "topic": .string("first letters"),
                        "has_password": .bool(false), "post_policy": .string("everyone"), "member_count": .number(1), "my_role": .null,
                        "dm_with": .null, "dm_members": .null,
                        "created_at": try #require(alphaForBob["created_at"]), "archived_at": .null, "slow_mode_seconds": .number(0),
                        "message_retention_days": .null,
                    ]))
            #expect(bobPublic.first { $0["id"]?.int == locked }?["has_password"] == .bool(true))
            #expect(bobMine.compactMap { $0["id"]?.int } == [1])

            let (annPublic, annMine) = try await Self.directory(client, ann)
            #expect(annPublic.first { $0["id"]?.int == alpha }?["my_role"] == .string("owner"))
            #expect(!annPublic.contains { $0["id"]?.int == secret })
            // Mine: public rooms by name, then groups; each with kind, topic, member count and my role.
            #expect(annMine.compactMap { $0["id"]?.int } == [alpha, locked, 1, secret])
            let secretForAnn = try #require(annMine.first { $0["id"]?.int == secret })
            #expect(secretForAnn["kind"] == .string("group"))
            #expect(secretForAnn["topic"] == .string("hush"))
            #expect(secretForAnn["member_count"] == .number(1))
            #expect(secretForAnn["my_role"] == .string("owner"))
            #expect(annMine.first { $0["id"]?.int == 1 }?["my_role"] == .string("member"))
            for room in annMine { #expect(Self.roomKeys.isSubset(of: room.keys)) }

            #expect(try await Self.join(client, bob, alpha).status == .ok)
            let (after, afterMine) = try await Self.directory(client, bob)
            #expect(after.first { $0["id"]?.int == alpha }?["member_count"] == .number(2))
            #expect(after.first { $0["id"]?.int == alpha }?["my_role"] == .string("member"))
            #expect(afterMine.compactMap { $0["id"]?.int } == [alpha, 1])
        }
    }

    @Test func anonymousRequestsAreRefused() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            try await client.send(.get, "/api/rooms").expectError(.unauthorized, "unauthenticated")
            try await client.send(.post, "/api/rooms", json: #"{"name":"x"}"#).expectError(.unauthorized, "unauthenticated")
            try await client.send(.get, "/api/rooms/1").expectError(.unauthorized, "unauthenticated")
            try await client.send(.post, "/api/rooms/1/join").expectError(.unauthorized, "unauthenticated")
            try await client.send(.post, "/api/dms", json: #"{"user_id":1}"#).expectError(.unauthorized, "unauthenticated")
            try await client.send(.get, "/api/users?prefix=a").expectError(.unauthorized, "unauthenticated")
        }
        #expect(try parley.count("rooms") == 1)
    }

    // MARK: - Creating

    @Test func theCreatorOwnsANewRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let response = try await Self.create(client, ann, #"{"name":"  Lobby  ","topic":"  say hi  "}"#)
            #expect(response.status == .created)
            let body = try response.json()
            #expect(body.keys == ["room"])
            let room = try #require(body["room"])
            #expect(room.keys == Self.roomKeys)
            let id = try #require(room["id"]?.int)
            #expect(room["kind"] == .string("public"))
            #expect(room["name"] == .string("Lobby"))
            #expect(room["topic"] == .string("say hi"))
            #expect(room["has_password"] == .bool(false))
            #expect(room["member_count"] == .number(1))
            #expect(room["my_role"] == .string("owner"))
            #expect(room["dm_with"] == .null)
            #expect(Self.isTimestamp(room["created_at"]))
            #expect(try Self.role(parley, room: id, user: ann.id) == "owner")
            #expect(try String(mariaDBValue: try parley.scalar("SELECT name FROM rooms WHERE id = ?", [id])) == "Lobby")
            #expect(try parley.scalar("SELECT password_hash FROM rooms WHERE id = ?", [id]) == .null)
            // The details say the same.
            let details = try await client.send(.get, "/api/rooms/\(id)", headers: ann.bearer)
            #expect(details.status == .ok)
            #expect(try details.json()["room"] == body["room"])
            #expect(try details.json()["my_mute"] == .null)
        }
    }

    @Test func aGroupIsCreatedWithItsFirstMembers() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let carl = try await client.signUp("carl")
            let response = try await Self.create(client, ann, #"{"name":"crew","kind":"group","members":[\#(bob.id),\#(bob.id),\#(ann.id)]}"#)
            #expect(response.status == .created)
            let room = try #require(try response.json()["room"])
            let id = try #require(room["id"]?.int)
            #expect(room["kind"] == .string("group"))
            #expect(room["member_count"] == .number(2))
            #expect(room["my_role"] == .string("owner"))
            #expect(try Self.role(parley, room: id, user: bob.id) == "member")
            #expect(try Self.role(parley, room: id, user: carl.id) == nil)
            #expect(try await client.send(.get, "/api/rooms/\(id)", headers: bob.bearer).json()["room"]?["my_role"] == .string("member"))
            try await client.send(.get, "/api/rooms/\(id)", headers: carl.bearer).expectError(.notFound, "room_not_found")
            // An unknown member makes the whole creation fail.
            try await Self.create(client, ann, #"{"name":"ghosts","kind":"group","members":[999999]}"#).expectError(.notFound, "user_not_found")
            let many = (1...101).map(String.init).joined(separator: ",")
            try await Self.create(client, ann, #"{"name":"crowd","kind":"group","members":[\#(many)]}"#).expectError(
                .unprocessableContent, "too_many_members")
        }
        #expect(try parley.count("rooms") == 2)
    }

    @Test func roomNamesAreOneToSixtyFourCharacters() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            // Invisible formatting made look-alikes of other rooms' names: a soft hyphen, a tag, a
            // right-to-left override, a byte order mark, a line separator.
            let invisible = ["Team\u{AD}", "Team\u{E0041}", "\u{202E}maeT", "\u{FEFF}Team", "Te\u{2028}am", "Te\u{200B}am"]
            for name in ["", "   ", String(repeating: "n", count: 65), "bell\u{7}", " " + String(repeating: "é", count: 65) + " "] + invisible {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: ["name": name]), as: UTF8.self)
                try await Self.create(client, ann, json).expectError(.unprocessableContent, "invalid_room_name")
            }
            // What joiners and tags spell stays allowed: an emoji family, a Persian word, Scotland's flag.
            for name in ["👨\u{200D}👩\u{200D}👧 family", "می\u{200C}خواهم", "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} fans"] {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: ["name": name]), as: UTF8.self)
                let made = try await Self.create(client, ann, json)
                #expect(made.status == .created, "\(name): \(String(buffer: made.body))")
                #expect(try made.json()["room"]?["name"]?.string == name)
            }
            try await Self.create(client, ann, #"{"name":"t","topic":"\#(String(repeating: "t", count: 513))"}"#)
                .expectError(.unprocessableContent, "invalid_topic")
            try await Self.create(client, ann, #"{"name":"p","password":""}"#).expectError(.unprocessableContent, "invalid_room_password")
            try await Self.create(client, ann, #"{"name":"p","password":"\#(String(repeating: "p", count: 73))"}"#)
                .expectError(.unprocessableContent, "invalid_room_password")
            try await Self.create(client, ann, #"{"name":"d","kind":"dm"}"#).expectError(.unprocessableContent, "invalid_kind")
            try await Self.create(client, ann, #"{"name":"d","kind":"secret"}"#).expectError(.badRequest, "invalid_request")
            #expect(try parley.count("rooms") == 4)
            for name in ["x", String(repeating: "n", count: 64), String(repeating: "é", count: 64), "Ünïcödé 🌸 room"] {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: ["name": name]), as: UTF8.self)
                let created = try await Self.create(client, ann, json)
                #expect(created.status == .created)
                #expect(try created.json()["room"]?["name"] == .string(name))
            }
            #expect(try await Self.create(client, ann, #"{"name":"t","topic":"\#(String(repeating: "t", count: 512))"}"#).status == .created)
        }
        #expect(try parley.count("rooms") == 9)
    }

    @Test func publicRoomNamesAreUniqueWithoutRegardToCase() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let lobby = try await Self.room(client, ann, #"{"name":"Lobby"}"#)
            try await Self.create(client, bob, #"{"name":"lobby"}"#).expectError(.conflict, "room_name_taken")
            try await Self.create(client, bob, #"{"name":"  LOBBY "}"#).expectError(.conflict, "room_name_taken")
            try await Self.create(client, bob, #"{"name":"MAIN"}"#).expectError(.conflict, "room_name_taken")
            // Nor accents, as openapi says (the column's collation).
            _ = try await Self.room(client, ann, #"{"name":"Café"}"#)
            try await Self.create(client, bob, #"{"name":"cafe"}"#).expectError(.conflict, "room_name_taken")
            try await Self.create(client, bob, #"{"name":"ČAFÉ"}"#).expectError(.conflict, "room_name_taken")
            // Groups may share names with each other and with public rooms.
            _ = try await Self.room(client, bob, #"{"name":"lobby","kind":"group"}"#)
            let group = try await Self.room(client, ann, #"{"name":"lobby","kind":"group"}"#)
            // Renaming follows the same rule.
            let other = try await Self.room(client, bob, #"{"name":"other"}"#)
            try await client.send(.patch, "/api/rooms/\(other)", json: #"{"name":"lObBy"}"#, headers: bob.bearer).expectError(
                .conflict, "room_name_taken")
            let renamed = try await client.send(.patch, "/api/rooms/\(group)", json: #"{"name":"Main"}"#, headers: ann.bearer)
            #expect(renamed.status == .ok)
            #expect(try renamed.json()["room"]?["name"] == .string("Main"))
            // A room may change the case of its own name.
            let recased = try await client.send(.patch, "/api/rooms/\(lobby)", json: #"{"name":"LOBBY"}"#, headers: ann.bearer)
            #expect(recased.status == .ok)
            #expect(try recased.json()["room"]?["name"] == .string("LOBBY"))
        }
        #expect(try parley.count("rooms") == 6)
        #expect(try String(mariaDBValue: try parley.scalar("SELECT name FROM rooms WHERE name = 'other'")) == "other")
    }

    @Test func concurrentCreatesOfOneNameMakeOneRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            var users: [LoggedIn] = []
            for n in 0..<8 { users.append(try await client.signUp("user\(n)")) }
            let statuses: [(HTTPResponse.Status, String?)] = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for (n, user) in users.enumerated() {
                    group.addTask {
                        let response = try await Self.create(client, user, #"{"name":"\#(n % 2 == 0 ? "Race" : "race")"}"#)
                        return (response.status, response.errorCode)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == .created }.count == 1)
            #expect(statuses.filter { $0.0 == .conflict && $0.1 == "room_name_taken" }.count == 7)
        }
        #expect(try parley.count("rooms") == 2)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM room_members WHERE room_id <> 1")) == 1)
    }

    // MARK: - Joining and leaving

    @Test func joiningAndLeavingAPublicRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try await Self.room(client, ann, #"{"name":"cafe","topic":"coffee"}"#)
            let joined = try await Self.join(client, bob, room)
            #expect(joined.status == .ok)
            let view = try #require(try joined.json()["room"])
            #expect(view.keys == Self.roomKeys)
            #expect(view["id"]?.int == room)
            #expect(view["my_role"] == .string("member"))
            #expect(view["member_count"] == .number(2))
            // Joining again changes nothing.
            let again = try await Self.join(client, bob, room)
            #expect(again.status == .ok)
            #expect(try again.json()["room"]?["member_count"] == .number(2))
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'member.joined' AND room_id = ?", [room])) == 2)

            #expect(try await client.send(.post, "/api/rooms/\(room)/leave", headers: bob.bearer).status == .noContent)
            #expect(try Self.role(parley, room: room, user: bob.id) == nil)
            try await client.send(.post, "/api/rooms/\(room)/leave", headers: bob.bearer).expectError(.forbidden, "not_a_member")
            let details = try await client.send(.get, "/api/rooms/\(room)", headers: bob.bearer).json()
            #expect(details["room"]?["my_role"] == .null)
            #expect(details["room"]?["member_count"] == .number(1))
            // The owner hands the room over before leaving.
            try await client.send(.post, "/api/rooms/\(room)/leave", headers: ann.bearer).expectError(.conflict, "owner_cannot_leave")
            #expect(try Self.role(parley, room: room, user: ann.id) == "owner")
            try await Self.join(client, bob, 999_999).expectError(.notFound, "room_not_found")
            // Anyone may leave main, and join it again.
            #expect(try await client.send(.post, "/api/rooms/1/leave", headers: bob.bearer).status == .noContent)
            #expect(try await Self.join(client, bob, 1).status == .ok)
        }
    }

    @Test func manyJoiningAndLeavingAtOnceAreAllCounted() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            var users: [LoggedIn] = []
            for n in 0..<20 { users.append(try await client.signUp("user\(n)")) }
            let room = try await Self.room(client, owner, #"{"name":"busy"}"#)
            // Everyone joins twice at once; then the even ones leave while the odd ones join once more.
            let joins: [HTTPResponse.Status] = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for user in users + users { group.addTask { try await Self.join(client, user, room).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(joins.allSatisfy { $0 == .ok })
            #expect(try await client.send(.get, "/api/rooms/\(room)", headers: owner.bearer).json()["room"]?["member_count"] == .number(21))
            let churn: [HTTPResponse.Status] = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for (n, user) in users.enumerated() {
                    group.addTask {
                        n % 2 == 0
                            ? try await client.send(.post, "/api/rooms/\(room)/leave", headers: user.bearer).status
                            : try await Self.join(client, user, room).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(churn.sorted { $0.code < $1.code } == Array(repeating: .ok, count: 10) + Array(repeating: .noContent, count: 10))
            let members = try await client.send(.get, "/api/rooms/\(room)/members", headers: owner.bearer).json()["members"]?.array ?? []
            #expect(
                members.compactMap { $0["user"]?["username"]?.string }.sorted()
                    == (["owner"] + (0..<20).filter { $0 % 2 == 1 }.map { "user\($0)" }).sorted())
            #expect(try await Self.directory(client, owner).public.first { $0["id"]?.int == room }?["member_count"] == .number(11))
        }
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'member.joined' AND room_id <> 1")) == 21)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'member.left'")) == 10)
    }

    @Test func privateGroupsCannotBeJoinedOrSeenByOutsiders() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let eve = try await client.signUp("eve")
            let group = try await Self.room(client, ann, #"{"name":"inner circle","kind":"group"}"#)
            for (method, path) in [
                (HTTPRequest.Method.get, ""), (.post, "/join"), (.post, "/leave"), (.get, "/members"), (.get, "/admin"), (.get, "/password"),
                (.delete, ""),
            ] {
                try await client.send(method, "/api/rooms/\(group)\(path)", headers: eve.bearer).expectError(.notFound, "room_not_found")
            }
            try await client.send(.post, "/api/rooms/\(group)/password", json: #"{"password":"x"}"#, headers: eve.bearer)
                .expectError(.notFound, "room_not_found")
            try await client.send(.patch, "/api/rooms/\(group)", json: #"{"topic":"mine now"}"#, headers: eve.bearer)
                .expectError(.notFound, "room_not_found")
            try await client.send(.post, "/api/rooms/\(group)/members", json: #"{"user_id":\#(eve.id)}"#, headers: eve.bearer)
                .expectError(.notFound, "room_not_found")
        }
        #expect(try parley.count("room_members") == 3)
        #expect(try String(mariaDBValue: try parley.scalar("SELECT topic FROM rooms WHERE kind = 'group'")) == "")
    }

    // MARK: - Passwords

    @Test func passwordRoomsAskForThePasswordAndJoinWithIt() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let created = try await Self.create(client, ann, #"{"name":"vault","password":"open sesame"}"#)
            #expect(created.status == .created)
            #expect(try created.json()["room"]?["has_password"] == .bool(true))
            let room = try #require(try created.json()["room"]?["id"]?.int)
            let hash = try String(mariaDBValue: try parley.scalar("SELECT password_hash FROM rooms WHERE id = ?", [room]))
            #expect(hash.hasPrefix("$2b$10$"))
            #expect(!hash.contains("sesame"))

            let asked = try await client.send(.get, "/api/rooms/\(room)/password", headers: bob.bearer)
            #expect(asked.status == .ok)
            #expect(try asked.json() == .object(["has_password": .bool(true)]))
            #expect(try await client.send(.get, "/api/rooms/1/password", headers: bob.bearer).json() == .object(["has_password": .bool(false)]))

            try await Self.join(client, bob, room).expectError(.forbidden, "password_required")
            try await client.send(.post, "/api/rooms/\(room)/password", json: #"{"password":"open says me"}"#, headers: bob.bearer)
                .expectError(.forbidden, "wrong_password")
            try await client.send(.post, "/api/rooms/\(room)/password", json: #"{"password":""}"#, headers: bob.bearer)
                .expectError(.forbidden, "wrong_password")
            #expect(try Self.role(parley, room: room, user: bob.id) == nil)
            try await client.send(.post, "/api/rooms/\(room)/password", json: #"{}"#, headers: bob.bearer).expectError(.badRequest, "invalid_request")

            let joined = try await client.send(.post, "/api/rooms/\(room)/password", json: #"{"password":"open sesame"}"#, headers: bob.bearer)
            #expect(joined.status == .ok)
            #expect(try joined.json()["room"]?["my_role"] == .string("member"))
            #expect(try joined.json()["room"]?["member_count"] == .number(2))
            #expect(try Self.role(parley, room: room, user: bob.id) == "member")
            // Members are not asked again.
            #expect(try await Self.join(client, bob, room).status == .ok)

            // The owner removes the password: anyone joins.
            let cleared = try await client.send(.patch, "/api/rooms/\(room)", json: #"{"password":null}"#, headers: ann.bearer)
            #expect(try cleared.json()["room"]?["has_password"] == .bool(false))
            #expect(try parley.scalar("SELECT password_hash FROM rooms WHERE id = ?", [room]) == .null)
            let carl = try await client.signUp("carl")
            #expect(try await Self.join(client, carl, room).status == .ok)
        }
    }

    @Test func wrongRoomPasswordsAreRateLimitedLikeLogins() async throws {
        let parley = try await TestParley.make { $0.loginPerUser = RateLimit(burst: 3, per: .seconds(60)) }
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let carl = try await client.signUp("carl")
            let room = try await Self.room(client, ann, #"{"name":"vault","password":"right"}"#)
            for _ in 0..<3 {
                try await client.send(.post, "/api/rooms/\(room)/password", json: #"{"password":"wrong"}"#, headers: bob.bearer)
                    .expectError(.forbidden, "wrong_password")
            }
            // Once limited, even the right password waits.
            let limited = try await client.send(.post, "/api/rooms/\(room)/password", json: #"{"password":"right"}"#, headers: bob.bearer)
            limited.expectError(.tooManyRequests, "rate_limited")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try Self.role(parley, room: room, user: bob.id) == nil)
            // Another user is not held back by bob's guesses.
            #expect(try await client.send(.post, "/api/rooms/\(room)/password", json: #"{"password":"right"}"#, headers: carl.bearer).status == .ok)
        }
    }

    // MARK: - Details, members and the admin question

    /// A star is a member's own mark: in their room list and summary, told to their clients only,
    /// and gone with the membership.
    @Test func membersStarTheirRoomsForThemselves() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try await Self.room(client, ann, #"{"name":"favourite"}"#)
            #expect(try await Self.join(client, bob, room).status == .ok)
            func starred(_ user: LoggedIn) async throws -> [Int64] {
                let mine = try await client.send(.get, "/api/rooms", headers: user.bearer).json()["mine"]?.array ?? []
                #expect(mine.allSatisfy { $0["starred"]?.bool != nil })
                return mine.filter { $0["starred"] == .bool(true) }.compactMap { $0["id"]?.int }
            }
            #expect(try await starred(ann) == [])
            for _ in 0..<2 { #expect(try await client.send(.put, "/api/rooms/\(room)/star", headers: ann.bearer).status == .noContent) }
            #expect(try await starred(ann) == [room])
            #expect(try await starred(bob) == [])
            let summary = try await client.send(.get, "/api/me/summary", headers: ann.bearer).json()["rooms"]?.array ?? []
            #expect(summary.first { $0["room_id"]?.int == room }?["starred"] == .bool(true))
            // One event, to Ann alone.
            let events = try parley.query("SELECT type, user_id, room_id, payload FROM events WHERE type LIKE 'room.%starred' ORDER BY id").map {
                [try $0.decode("type", as: String.self), String(try $0.decode("user_id", as: Int64.self)),
                 try $0.decode("room_id", as: Int64?.self).map(String.init) ?? "-", try $0.decode("payload", as: String.self)]
            }
            #expect(events == [["room.starred", String(ann.id), "-", #"{"room_id":\#(room)}"#]])
            let bobs = try await client.send(.get, "/api/events?after=0&timeout=0", headers: bob.bearer).json()["events"]?.array ?? []
            #expect(!bobs.contains { $0["type"] == .string("room.starred") })
            // Unstarred, twice; a star goes with the membership.
            for _ in 0..<2 { #expect(try await client.send(.delete, "/api/rooms/\(room)/star", headers: ann.bearer).status == .noContent) }
            #expect(try await starred(ann) == [])
            #expect(try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'room.unstarred'") == .int(1))
            #expect(try await client.send(.put, "/api/rooms/\(room)/star", headers: bob.bearer).status == .noContent)
            #expect(try await client.send(.post, "/api/rooms/\(room)/leave", headers: bob.bearer).status == .noContent)
            #expect(try await Self.join(client, bob, room).status == .ok)
            #expect(try await starred(bob) == [])
            try await client.send(.put, "/api/rooms/999999/star", headers: bob.bearer).expectError(.notFound, "room_not_found")
        }
    }

    /// A closed group DM stays closed when someone I blocked writes in it (they wake nothing), and
    /// shows again when anyone else does.
    @Test func aBlockedPersonsMessageLeavesAClosedGroupDMClosed() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let opened = try await client.send(.post, "/api/dms", json: #"{"user_ids":[\#(bob.id),\#(cat.id)]}"#, headers: ann.bearer)
            let dm = try #require(try opened.json()["room"]?["id"]?.int)
            func closed() async throws -> Bool? {
                let mine = try await client.send(.get, "/api/rooms", headers: ann.bearer).json()["mine"]?.array ?? []
                return mine.first { $0["id"]?.int == dm }?["closed"]?.bool
            }
            #expect(try await BlockTests.block(client, ann, bob.id).status == .noContent)
            #expect(try await client.send(.put, "/api/rooms/\(dm)/closed", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.post, "/api/rooms/\(dm)/messages", json: #"{"text":"hello?"}"#, headers: bob.bearer).status == .created)
            #expect(try await closed() == true)
            #expect(try await client.send(.post, "/api/rooms/\(dm)/messages", json: #"{"text":"hi all"}"#, headers: cat.bearer).status == .created)
            #expect(try await closed() == false)
        }
    }

    /// Closing a DM hides it from my list (my other clients hear of it) until a newer message comes;
    /// reopening shows it at once. Rooms and groups are left instead.
    @Test func aClosedDMStaysOutOfMyListUntilANewMessageComes() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let opened = try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer)
            let dm = try #require(try opened.json()["room"]?["id"]?.int)
            func closed(_ user: LoggedIn) async throws -> Bool? {
                let mine = try await client.send(.get, "/api/rooms", headers: user.bearer).json()["mine"]?.array ?? []
                #expect(mine.allSatisfy { $0["closed"]?.bool != nil })
                return mine.first { $0["id"]?.int == dm }?["closed"]?.bool
            }
            #expect(try await closed(ann) == false)
            // An empty DM closes too; twice changes nothing.
            for _ in 0..<2 { #expect(try await client.send(.put, "/api/rooms/\(dm)/closed", headers: ann.bearer).status == .noContent) }
            #expect(try await closed(ann) == true)
            #expect(try await closed(bob) == false)
            // A message from either side shows it again, without a write.
            _ = try await client.send(.post, "/api/rooms/\(dm)/messages", json: #"{"text":"still there?"}"#, headers: bob.bearer)
            #expect(try await closed(ann) == false)
            let summary = try await client.send(.get, "/api/me/summary", headers: ann.bearer).json()["rooms"]?.array ?? []
            #expect(summary.first { $0["room_id"]?.int == dm }?["closed"] == .bool(false))
            // Closed again after it: hidden until the next message; reopened by hand.
            #expect(try await client.send(.put, "/api/rooms/\(dm)/closed", headers: ann.bearer).status == .noContent)
            #expect(try await closed(ann) == true)
            for _ in 0..<2 { #expect(try await client.send(.delete, "/api/rooms/\(dm)/closed", headers: ann.bearer).status == .noContent) }
            #expect(try await closed(ann) == false)
            // Events to Ann alone: closed, closed (after the message), reopened.
            let rows = try parley.query("SELECT type, user_id, payload FROM events WHERE type IN ('room.closed', 'room.reopened') ORDER BY id")
            let events = try rows.map {
                [try $0.decode("type", as: String.self), String(try $0.decode("user_id", as: Int64.self)), try $0.decode("payload", as: String.self)]
            }
            let payload = #"{"room_id":\#(dm)}"#
            let toAnn = { (type: String) in [type, String(ann.id), payload] }
            #expect(events == [toAnn("room.closed"), toAnn("room.closed"), toAnn("room.reopened")])
            // Opening the conversation again shows it again (it answered the room and kept it hidden).
            #expect(try await client.send(.put, "/api/rooms/\(dm)/closed", headers: ann.bearer).status == .noContent)
            let again = try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer)
            #expect(again.status == .ok)
            #expect(try again.json()["room"]?["id"]?.int == dm)
            #expect(try await closed(ann) == false)
            #expect(try parley.count("events", where: "type = 'room.reopened'") == 2)
            // Open already: opening it sends nothing.
            _ = try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer)
            #expect(try parley.count("events", where: "type = 'room.reopened'") == 2)
            // Rooms and groups are not closed; strangers learn nothing.
            try await client.send(.put, "/api/rooms/1/closed", headers: ann.bearer).expectError(.conflict, "not_a_dm")
            let carol = try await client.signUp("carol")
            try await client.send(.put, "/api/rooms/\(dm)/closed", headers: carol.bearer).expectError(.notFound, "room_not_found")
            try await client.send(.delete, "/api/rooms/999999/closed", headers: carol.bearer).expectError(.notFound, "room_not_found")
        }
    }

    @Test func roomDetailsListMembersWithRolesAndOnlineState() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ada = try await client.signUp("ada")
            let zed = try await client.signUp("zed")
            let bea = try await client.signUp("bea")
            let eve = try await client.signUp("eve")
            let room = try await Self.room(client, owner, #"{"name":"hall","topic":"talk"}"#)
            for user in [ada, zed, bea] { #expect(try await Self.join(client, user, room).status == .ok) }
            try parley.execute("UPDATE room_members SET role = 'admin' WHERE room_id = ? AND user_id = ?", [room, zed.id])
            try parley.execute("UPDATE room_members SET role = 'moderator' WHERE room_id = ? AND user_id = ?", [room, bea.id])
            // ada holds an event connection (a long-poll): she is online.
            #expect(try await client.send(.get, "/api/events?timeout=0", headers: ada.bearer).status == .ok)

            let details = try await client.send(.get, "/api/rooms/\(room)", headers: ada.bearer)
            #expect(details.status == .ok)
            let view = try #require(try details.json()["room"])
            #expect(view["name"] == .string("hall"))
            #expect(view["topic"] == .string("talk"))
            #expect(view["member_count"] == .number(4))
            #expect(view["my_role"] == .string("member"))

            let response = try await client.send(.get, "/api/rooms/\(room)/members", headers: ada.bearer)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body.keys == ["members"])
            let members = try #require(body["members"]?.array)
            // By rank, then by name.
            #expect(members.compactMap { $0["user"]?["username"]?.string } == ["owner", "zed", "bea", "ada"])
            #expect(members.compactMap { $0["role"]?.string } == ["owner", "admin", "moderator", "member"])
            for member in members {
                #expect(member.keys == ["user", "role", "joined_at", "presence", "online", "last_seen_at", "status", "dnd_until", "time_zone", "deactivated"])
                #expect(member["deactivated"] == .bool(false))
                #expect(Self.isTimestamp(member["joined_at"]))
                let isAda = member["user"]?["id"]?.int == ada.id
                #expect(member["online"] == .bool(isAda))
                #expect(member["presence"] == .string(isAda ? "online" : "offline"))
            }
            #expect(members.last?["user"] == Self.user(ada))
            // A non-member may look at a public room and its members.
            let outside = try await client.send(.get, "/api/rooms/\(room)", headers: eve.bearer).json()["room"]
            #expect(outside?["my_role"] == .null)
            #expect(outside?["member_count"] == .number(4))
            #expect(try await client.send(.get, "/api/rooms/\(room)/members", headers: eve.bearer).json()["members"]?.array?.count == 4)
            try await client.send(.get, "/api/rooms/999999/members", headers: eve.bearer).expectError(.notFound, "room_not_found")
        }
    }

    @Test func theAdminEndpointTellsWhoAdministersARoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let admin = try await client.signUp("admin")
            let moderator = try await client.signUp("moderator")
            let member = try await client.signUp("member")
            let outsider = try await client.signUp("outsider")
            let room = try await Self.room(client, owner, #"{"name":"hall"}"#)
            for user in [admin, moderator, member] { #expect(try await Self.join(client, user, room).status == .ok) }
            try parley.execute("UPDATE room_members SET role = 'admin' WHERE room_id = ? AND user_id = ?", [room, admin.id])
            try parley.execute("UPDATE room_members SET role = 'moderator' WHERE room_id = ? AND user_id = ?", [room, moderator.id])
            let expected: [(LoggedIn, Bool, JSON)] = [
                (owner, true, .string("owner")), (admin, true, .string("admin")), (moderator, false, .string("moderator")),
                (member, false, .string("member")), (outsider, false, .null),
            ]
            for (user, isAdmin, role) in expected {
                let response = try await client.send(.get, "/api/rooms/\(room)/admin", headers: user.bearer)
                #expect(response.status == .ok)
                #expect(
                    try response.json() == .object(["room_id": .number(Double(room)), "admin": .bool(isAdmin), "role": role]), "\(user.username)")
            }
            try await client.send(.get, "/api/rooms/999999/admin", headers: owner.bearer).expectError(.notFound, "room_not_found")
        }
    }

    // MARK: - Managing a room

    @Test func ownersAndAdminsAddAndRemoveGroupMembers() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ada = try await client.signUp("ada")
            let bob = try await client.signUp("bob")
            let carl = try await client.signUp("carl")
            let group = try await Self.room(client, owner, #"{"name":"crew","kind":"group","members":[\#(ada.id)]}"#)
            func add(_ actor: LoggedIn, _ user: Int64) async throws -> TestResponse {
                try await client.send(.post, "/api/rooms/\(group)/members", json: #"{"user_id":\#(user)}"#, headers: actor.bearer)
            }
            func remove(_ actor: LoggedIn, _ user: Int64) async throws -> TestResponse {
                try await client.send(.delete, "/api/rooms/\(group)/members/\(user)", headers: actor.bearer)
            }

            let added = try await add(owner, bob.id)
            #expect(added.status == .created)
            let member = try #require(try added.json()["member"])
            #expect(member.keys == ["user", "role", "joined_at", "presence", "online", "last_seen_at", "status", "dnd_until", "time_zone", "deactivated"])
            #expect(member["user"] == Self.user(bob))
            #expect(member["role"] == .string("member"))
            #expect(member["online"] == .bool(false))
            #expect(Self.isTimestamp(member["joined_at"]))
            #expect(try Self.role(parley, room: group, user: bob.id) == "member")
            try await add(owner, bob.id).expectError(.conflict, "already_member")
            try await add(owner, 999_999).expectError(.notFound, "user_not_found")
            // Plain members neither add nor remove.
            try await add(ada, carl.id).expectError(.forbidden, "forbidden")
            try await remove(ada, bob.id).expectError(.forbidden, "forbidden")
            #expect(try Self.role(parley, room: group, user: carl.id) == nil)
            #expect(try Self.role(parley, room: group, user: bob.id) == "member")

            // Admins do, over lower ranks only.
            try parley.execute("UPDATE room_members SET role = 'admin' WHERE room_id = ? AND user_id = ?", [group, ada.id])
            #expect(try await add(ada, carl.id).status == .created)
            #expect(try await client.send(.get, "/api/rooms/\(group)", headers: carl.bearer).json()["room"]?["member_count"] == .number(4))
            #expect(try await remove(ada, carl.id).status == .noContent)
            try await remove(ada, owner.id).expectError(.forbidden, "forbidden")
            try await remove(ada, carl.id).expectError(.notFound, "member_not_found")
            #expect(try await remove(owner, bob.id).status == .noContent)
            #expect(try await remove(owner, ada.id).status == .noContent)
            // Removed members no longer see the group.
            try await client.send(.get, "/api/rooms/\(group)", headers: carl.bearer).expectError(.notFound, "room_not_found")
            try await client.send(.get, "/api/rooms/\(group)", headers: ada.bearer).expectError(.notFound, "room_not_found")
            #expect(try await client.send(.get, "/api/rooms/\(group)/members", headers: owner.bearer).json()["members"]?.array?.count == 1)
            // Each addition and removal is in the group's log, newest first, with who did it to whom.
            let log = try await client.send(.get, "/api/rooms/\(group)/moderation", headers: owner.bearer).json()["entries"]?.array ?? []
            let entries = log.filter { ["add_member", "remove_member"].contains($0["action"]?.string ?? "") }.map {
                [$0["action"]?.string, $0["actor"]?["username"]?.string, $0["target_user"]?["username"]?.string]
            }
            #expect(
                entries == [
                    ["remove_member", "owner", "ada"], ["remove_member", "owner", "bob"], ["remove_member", "ada", "carl"], ["add_member", "ada", "carl"],
                    ["add_member", "owner", "bob"],
                ])

            // Public rooms are joined, not added to.
            let hall = try await Self.room(client, owner, #"{"name":"hall"}"#)
            try await client.send(.post, "/api/rooms/\(hall)/members", json: #"{"user_id":\#(bob.id)}"#, headers: owner.bearer)
                .expectError(.conflict, "not_a_group")
            try await client.send(.delete, "/api/rooms/1/members/\(bob.id)", headers: owner.bearer).expectError(.conflict, "not_a_group")
            #expect(try Self.role(parley, room: hall, user: bob.id) == nil)
            #expect(try Self.role(parley, room: 1, user: bob.id) == "member")
        }
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'member.added'")) == 3)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'member.removed'")) == 3)
    }

    @Test func anAddedMemberIsDescribedAsTheMemberListDescribesThem() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let bob = try await client.signUp("bob")
            let carl = try await client.signUp("carl")
            // bob is online and busy; carl is offline but was seen before.
            #expect(try await client.send(.put, "/api/me/presence", json: #"{"status":"busy"}"#, headers: bob.bearer).status == .noContent)
            #expect(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).status == .ok)
            try parley.execute("UPDATE users SET last_seen_at = '2026-01-02 03:04:05.678' WHERE id = ?", [carl.id])
            let group = try await Self.room(client, owner, #"{"name":"crew","kind":"group"}"#)
            for user in [bob, carl] {
                let added = try await client.send(.post, "/api/rooms/\(group)/members", json: #"{"user_id":\#(user.id)}"#, headers: owner.bearer)
                #expect(added.status == .created)
                let listed = try await client.send(.get, "/api/rooms/\(group)/members", headers: owner.bearer).json()["members"]?.array?
                    .first { $0["user"]?["id"]?.int == user.id }
                #expect(try added.json()["member"] == listed, "\(user.username)")
            }
        }
    }

    @Test func ownersAndAdminsRenameAndChangeTopicAndPassword() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ada = try await client.signUp("ada")
            let bob = try await client.signUp("bob")
            let eve = try await client.signUp("eve")
            let room = try await Self.room(client, owner, #"{"name":"hall","topic":"old"}"#)
            for user in [ada, bob] { #expect(try await Self.join(client, user, room).status == .ok) }
            try parley.execute("UPDATE room_members SET role = 'admin' WHERE room_id = ? AND user_id = ?", [room, ada.id])
            func update(_ user: LoggedIn, _ json: String) async throws -> TestResponse {
                try await client.send(.patch, "/api/rooms/\(room)", json: json, headers: user.bearer)
            }

            try await update(bob, #"{"name":"bob's"}"#).expectError(.forbidden, "forbidden")
            try await update(eve, #"{"topic":"eve was here"}"#).expectError(.forbidden, "not_a_member")
            let renamed = try await update(owner, #"{"name":"  Great Hall ","topic":"  new  "}"#)
            #expect(renamed.status == .ok)
            let view = try #require(try renamed.json()["room"])
            #expect(view.keys == Self.roomKeys)
            #expect(view["name"] == .string("Great Hall"))
            #expect(view["topic"] == .string("new"))
            #expect(view["my_role"] == .string("owner"))
            #expect(view["has_password"] == .bool(false))
            // An admin changes the topic alone; the name stays.
            let topic = try await update(ada, #"{"topic":""}"#)
            #expect(topic.status == .ok)
            #expect(try topic.json()["room"]?["name"] == .string("Great Hall"))
            #expect(try topic.json()["room"]?["topic"] == .string(""))
            #expect(try topic.json()["room"]?["my_role"] == .string("admin"))
            let locked = try await update(ada, #"{"password":"key"}"#)
            #expect(try locked.json()["room"]?["has_password"] == .bool(true))
            // null clears the topic as "" does (it answered 200 and kept it).
            #expect(try await update(ada, #"{"topic":"for a while"}"#).json()["room"]?["topic"] == .string("for a while"))
            #expect(try await update(ada, #"{"topic":null}"#).json()["room"]?["topic"] == .string(""))
            #expect(try parley.scalar("SELECT topic FROM rooms WHERE id = ?", [room]) == .string(""))
            try await update(ada, #"{"name":""}"#).expectError(.unprocessableContent, "invalid_room_name")
            try await update(ada, #"{"password":""}"#).expectError(.unprocessableContent, "invalid_room_password")
            try await update(ada, #"{"topic":"\#(String(repeating: "x", count: 513))"}"#).expectError(.unprocessableContent, "invalid_topic")
            try await update(ada, #"{"name":7}"#).expectError(.badRequest, "invalid_request")
            #expect(try await client.send(.get, "/api/rooms/\(room)/password", headers: eve.bearer).json()["has_password"] == .bool(true))
            try await Self.join(client, eve, room).expectError(.forbidden, "password_required")
            #expect(try await client.send(.post, "/api/rooms/\(room)/password", json: #"{"password":"key"}"#, headers: eve.bearer).status == .ok)
        }
        #expect(try String(mariaDBValue: try parley.scalar("SELECT name FROM rooms WHERE id <> 1")) == "Great Hall")
        #expect(try String(mariaDBValue: try parley.scalar("SELECT topic FROM rooms WHERE id <> 1")) == "")
        // Renamed, the topic emptied, set and cleared by null, the password set.
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'room.updated'")) == 5)
    }

    @Test func theOwnerHandsOwnershipOverAndDeletesTheRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ada = try await client.signUp("ada")
            let bob = try await client.signUp("bob")
            let eve = try await client.signUp("eve")
            let room = try await Self.room(client, owner, #"{"name":"hall"}"#)
            for user in [ada, bob] { #expect(try await Self.join(client, user, room).status == .ok) }
            try parley.execute("UPDATE room_members SET role = 'admin' WHERE room_id = ? AND user_id = ?", [room, ada.id])
            let hello = try await MessageTests.say(client, bob, room: room, "hello")
            // Ada keeps things about the room in lists that span rooms: a draft, a message to send later, a reminder.
            #expect(try await client.send(.put, "/api/rooms/\(room)/draft", json: #"{"text":"half a thought"}"#, headers: ada.bearer).status == .ok)
            let later = try #require(
                try await ScheduledTests.schedule(client, ada, room: room, #"{"text":"later","in_seconds":3600}"#).json()["scheduled"]?["id"]?.int)
            let reminder = try #require(try await ReminderTests.remind(client, ada, hello, in: 3600).json()["reminder"]?["id"]?.int)
            let beforeDelete = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ada.bearer).json()["cursor"]?.int)
            func transfer(_ actor: LoggedIn, _ to: Int64) async throws -> TestResponse {
                try await client.send(.post, "/api/rooms/\(room)/owner", json: #"{"user_id":\#(to)}"#, headers: actor.bearer)
            }

            // Nobody but the owner hands the room over or deletes it.
            try await transfer(ada, ada.id).expectError(.forbidden, "forbidden")
            try await transfer(bob, bob.id).expectError(.forbidden, "forbidden")
            try await transfer(eve, eve.id).expectError(.forbidden, "not_a_member")
            try await client.send(.delete, "/api/rooms/\(room)", headers: ada.bearer).expectError(.forbidden, "forbidden")
            try await client.send(.delete, "/api/rooms/\(room)", headers: bob.bearer).expectError(.forbidden, "forbidden")
            try await client.send(.delete, "/api/rooms/\(room)", headers: eve.bearer).expectError(.forbidden, "not_a_member")
            try await transfer(owner, eve.id).expectError(.notFound, "member_not_found")
            try await transfer(owner, owner.id).expectError(.unprocessableContent, "invalid_user")
            #expect(try Self.role(parley, room: room, user: owner.id) == "owner")

            let handed = try await transfer(owner, bob.id)
            #expect(handed.status == .ok)
            #expect(try handed.json()["room"]?["id"]?.int == room)
            #expect(try handed.json()["room"]?["my_role"] == .string("admin"))
            #expect(try Self.role(parley, room: room, user: bob.id) == "owner")
            #expect(try Self.role(parley, room: room, user: owner.id) == "admin")
            #expect(try await client.send(.get, "/api/rooms/\(room)/admin", headers: bob.bearer).json()["role"] == .string("owner"))
            // The former owner may leave now, and may no longer delete.
            try await client.send(.delete, "/api/rooms/\(room)", headers: owner.bearer).expectError(.forbidden, "forbidden")
            #expect(try await client.send(.post, "/api/rooms/\(room)/leave", headers: owner.bearer).status == .noContent)

            #expect(try await client.send(.delete, "/api/rooms/\(room)", headers: bob.bearer).status == .noContent)
            try await client.send(.get, "/api/rooms/\(room)", headers: bob.bearer).expectError(.notFound, "room_not_found")
            try await client.send(.delete, "/api/rooms/\(room)", headers: bob.bearer).expectError(.notFound, "room_not_found")
            #expect(try await Self.directory(client, ada).public.compactMap { $0["name"]?.string } == ["main"])
            // Ada's draft, scheduled message and reminder went with the room, and her clients heard so.
            let gone = try await client.send(.get, "/api/events?after=\(beforeDelete)&timeout=0", headers: ada.bearer).json()["events"]?.array ?? []
            func data(_ type: String) -> [JSON] { gone.filter { $0["type"] == .string(type) }.compactMap { $0["data"] } }
            #expect(data("draft.removed").map { [$0["room_id"], $0["thread_id"]] } == [[.number(Double(room)), .null]])
            #expect(data("scheduled.removed").map { [$0["id"]?.int, $0["room_id"]?.int] } == [[later, room]])
            #expect(data("reminder.removed").map { [$0["id"]?.int, $0["message_id"]?.int] } == [[reminder, hello]])
            #expect(try await ScheduledTests.list(client, ada).isEmpty)
            #expect(try await client.send(.get, "/api/me/reminders", headers: ada.bearer).json()["reminders"] == .array([]))
            #expect(try await client.send(.get, "/api/me/drafts", headers: ada.bearer).json()["drafts"] == .array([]))
            // main stays whoever owns it.
            try parley.execute("UPDATE room_members SET role = 'owner' WHERE room_id = 1 AND user_id = ?", [ada.id])
            try await client.send(.delete, "/api/rooms/1", headers: ada.bearer).expectError(.conflict, "room_protected")
            try await client.send(.delete, "/api/rooms/1", headers: bob.bearer).expectError(.forbidden, "forbidden")
        }
        #expect(try parley.count("rooms") == 1)
        #expect(try parley.count("messages") == 0)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM room_members WHERE room_id <> 1")) == 0)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'room.deleted'")) == 1)
    }

    // MARK: - Users and DMs

    @Test func usersAreFoundByNamePrefix() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let albert = try await client.signUp("Albert")
            _ = try await client.signUp("bob")
            let under = try await client.signUp("al_x")
            _ = try await client.signUp("alpha")
            let response = try await client.send(.get, "/api/users?prefix=al", headers: alice.bearer)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body.keys == ["users"])
            #expect(body["users"]?.array?.compactMap { $0["username"]?.string } == ["al_x", "Albert", "alice", "alpha"])
            #expect(body["users"]?[1] == Self.user(albert))
            // Case does not matter; `_` and `%` are literal.
            #expect(try await client.send(.get, "/api/users?prefix=ALB", headers: alice.bearer).json()["users"] == .array([Self.user(albert)]))
            #expect(try await client.send(.get, "/api/users?prefix=al_", headers: alice.bearer).json()["users"] == .array([Self.user(under)]))
            #expect(try await client.send(.get, "/api/users?prefix=%25", headers: alice.bearer).json()["users"] == .array([]))
            #expect(try await client.send(.get, "/api/users?prefix=zz", headers: alice.bearer).json()["users"] == .array([]))
            let limited = try await client.send(.get, "/api/users?prefix=a&limit=2", headers: alice.bearer).json()
            #expect(limited["users"]?.array?.count == 2)

            // A word of the display name finds its user too, after the usernames that start with
            // it; a deactivated account is found by neither.
            let grace = try await client.signUp("gh1906")
            #expect(
                try await client.send(.patch, "/api/me", json: #"{"display_name":"Grace Hopper"}"#, headers: grace.bearer).status == .ok)
            let hopper = try await client.signUp("hopper")
            let names = { (prefix: String) async throws -> [String] in
                try await client.send(.get, "/api/users?prefix=\(prefix)", headers: alice.bearer).json()["users"]?.array?
                    .compactMap { $0["username"]?.string } ?? []
            }
            #expect(try await names("hop") == ["hopper", "gh1906"])
            #expect(try await names("GRACE") == ["gh1906"])
            #expect(try await names("grace%20hop") == ["gh1906"])
            #expect(try await names("race") == [])
            // A word starts after any punctuation, not only a space; the prefix is taken literally.
            let mary = try await client.signUp("mary")
            #expect(
                try await client.send(.patch, "/api/me", json: #"{"display_name":"Mary Smith-Jones (Ops) O'Brien Álvarez-Ñúñez"}"#, headers: mary.bearer)
                    .status == .ok)
            for prefix in ["jones", "ops", "%28ops", "brien", "o'brien", "%C3%B1%C3%BA%C3%B1ez", "smith-j"] { #expect(try await names(prefix) == ["mary"], "\(prefix)") }
            for prefix in ["ith", "mith-x", ".%2A", "%5CE", "nes"] { #expect(try await names(prefix) == [], "\(prefix)") }
            // After a space, accents count no more than case.
            #expect(try await names("alvarez") == ["mary"])
            // A name sent decomposed (an accent as a combining mark, as macOS spells it) is kept
            // composed, and a decomposed prefix finds a composed name: neither spelling found it.
            let jose = try await client.signUp("jose")
            let decomposed = "Jose\u{301} Nu\u{301}n\u{303}ez"
            let renamed = try await client.send(.patch, "/api/me", json: #"{"display_name":"\#(decomposed)"}"#, headers: jose.bearer)
            #expect(try renamed.json()["user"]?["display_name"]?.string?.unicodeScalars.count == "José Núñez".unicodeScalars.count)
            for prefix in ["N%C3%BA%C3%B1ez", "nunez", "Nu%CC%81n%CC%83ez", "E%CC%81"] {
                let expected = prefix == "E%CC%81" ? [] : ["jose"]
                #expect(try await names(prefix) == expected, "\(prefix)")
            }
            #expect(try await names("%C3%89lo") == [])
            #expect(try await client.send(.post, "/api/me/deactivate", json: #"{"password":"password123"}"#, headers: hopper.bearer).status == .noContent)
            #expect(try await names("hop") == ["gh1906"])
            for query in [
                "", "?prefix=", "?prefix=\(String(repeating: "a", count: 33))", "?prefix=a&limit=0", "?prefix=a&limit=51", "?prefix=a&limit=x",
            ] {
                try await client.send(.get, "/api/users\(query)", headers: alice.bearer).expectError(.badRequest, "invalid_request")
            }
        }
    }

    @Test func publicRoomsAreJoinedNotFilledAndGroupsHaveNoPassword() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            // People join a public room themselves; nobody is put in one at its creation.
            try await Self.create(client, ann, #"{"name":"lobby","members":[\#(bob.id)]}"#).expectError(.unprocessableContent, "invalid_members")
            // A private group is entered by invitation: it never has a password.
            try await Self.create(client, ann, #"{"name":"crew","kind":"group","password":"secret123"}"#).expectError(
                .unprocessableContent, "invalid_room_password")
            #expect(try parley.count("rooms") == 1)
            let group = try await Self.create(client, ann, #"{"name":"crew","kind":"group","members":[\#(bob.id)]}"#)
            #expect(group.status == .created)
            let groupID = try #require(try group.json()["room"]?["id"]?.int)
            try await client.send(.patch, "/api/rooms/\(groupID)", json: #"{"password":"secret123"}"#, headers: ann.bearer).expectError(
                .unprocessableContent, "invalid_change")
            #expect(try await client.send(.patch, "/api/rooms/\(groupID)", json: #"{"password":null}"#, headers: ann.bearer).status == .ok)
            #expect(try await client.send(.get, "/api/rooms/\(groupID)", headers: bob.bearer).json()["room"]?["has_password"] == .bool(false))
        }
    }

    @Test func openingADMTwiceFindsTheSameRoomOfExactlyTwo() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let eve = try await client.signUp("eve")
            let opened = try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer)
            #expect(opened.status == .created)
            let room = try #require(try opened.json()["room"])
            #expect(room.keys == Self.roomKeys)
            let id = try #require(room["id"]?.int)
            #expect(room["kind"] == .string("dm"))
            #expect(room["name"] == .string("bob"))
            #expect(room["dm_with"] == Self.user(bob))
            #expect(room["dm_members"] == .array([Self.user(bob)]))
            #expect(room["member_count"] == .number(2))
            #expect(room["my_role"] == .string("member"))
            #expect(room["has_password"] == .bool(false))

            let again = try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer)
            #expect(again.status == .ok)
            #expect(try again.json() == opened.json())
            let fromBob = try await client.send(.post, "/api/dms", json: #"{"user_id":\#(ann.id)}"#, headers: bob.bearer)
            #expect(fromBob.status == .ok)
            #expect(try fromBob.json()["room"]?["id"]?.int == id)
            #expect(try fromBob.json()["room"]?["name"] == .string("ann"))
            #expect(try fromBob.json()["room"]?["dm_with"] == Self.user(ann))

            try await client.send(.post, "/api/dms", json: #"{"user_id":\#(ann.id)}"#, headers: ann.bearer).expectError(
                .unprocessableContent, "invalid_user")
            try await client.send(.post, "/api/dms", json: #"{"user_id":999999}"#, headers: ann.bearer).expectError(.notFound, "user_not_found")
            try await client.send(.post, "/api/dms", json: #"{"user_id":"bob"}"#, headers: ann.bearer).expectError(.badRequest, "invalid_request")

            // Listed among the rooms of both, never in the directory, hidden from others.
            let (annPublic, annMine) = try await Self.directory(client, ann)
            #expect(!annPublic.contains { $0["id"]?.int == id })
            #expect(annMine.first { $0["id"]?.int == id }?["dm_with"] == Self.user(bob))
            #expect(try await Self.directory(client, bob).mine.first { $0["id"]?.int == id }?["dm_with"] == Self.user(ann))
            try await client.send(.get, "/api/rooms/\(id)", headers: eve.bearer).expectError(.notFound, "room_not_found")
            try await Self.join(client, eve, id).expectError(.notFound, "room_not_found")
            // Exactly two, for good: no one joins, is added or leaves; it has no name or password to change.
            try await client.send(.post, "/api/rooms/\(id)/members", json: #"{"user_id":\#(eve.id)}"#, headers: ann.bearer)
                .expectError(.conflict, "not_a_group")
            try await client.send(.post, "/api/rooms/\(id)/leave", headers: ann.bearer).expectError(.conflict, "cannot_leave_dm")
            try await client.send(.post, "/api/rooms/\(id)/owner", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer)
                .expectError(.conflict, "not_a_group")
            let members = try await client.send(.get, "/api/rooms/\(id)/members", headers: bob.bearer).json()["members"]?.array ?? []
            #expect(Set(members.compactMap { $0["user"]?["username"]?.string }) == ["ann", "bob"])
            // Either of the two sets its topic; nobody renames it or gives it a password.
            let topic = try await client.send(.patch, "/api/rooms/\(id)", json: #"{"topic":"weekend plans"}"#, headers: bob.bearer)
            #expect(topic.status == .ok)
            #expect(try topic.json()["room"]?["topic"] == .string("weekend plans"))
            try await client.send(.patch, "/api/rooms/\(id)", json: #"{"name":"ours"}"#, headers: ann.bearer).expectError(.unprocessableContent, "invalid_change")
            try await client.send(.patch, "/api/rooms/\(id)", json: #"{"password":"secret123"}"#, headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_change")
            try await client.send(.patch, "/api/rooms/\(id)", json: #"{"topic":"mine now"}"#, headers: eve.bearer).expectError(.notFound, "room_not_found")
        }
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM rooms WHERE kind = 'dm'")) == 1)
        #expect(
            try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE r.kind = 'dm'")) == 2)
    }

    /// A group DM: three to nine people, the same room for the same people whoever opens it, named
    /// after the others, with everyone hearing every message; a DM like any other otherwise.
    @Test func aGroupDMIsTheSameRoomForTheSamePeople() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cy = try await client.signUp("cyd")
            let eve = try await client.signUp("eve")
            for (who, name) in [(bob, "Bob"), (cy, "Cy")] {
                #expect(try await client.send(.patch, "/api/me", json: #"{"display_name":"\#(name)"}"#, headers: who.bearer).status == .ok)
            }
            var cursors: [Int64] = []
            for who in [ann, bob, cy, eve] {
                cursors.append(try #require(try await client.send(.get, "/api/events?timeout=0", headers: who.bearer).json()["cursor"]?.int))
            }
            let opened = try await client.send(.post, "/api/dms", json: #"{"user_ids":[\#(cy.id),\#(bob.id)]}"#, headers: ann.bearer)
            #expect(opened.status == .created)
            let room = try #require(try opened.json()["room"])
            let id = try #require(room["id"]?.int)
            #expect(room.keys == Self.roomKeys)
            #expect(room["kind"] == .string("dm"))
            #expect(room["name"] == .string("Bob, Cy"))
            #expect(room["dm_with"] == .null)
            #expect(room["dm_members"]?.array?.compactMap { $0["username"]?.string } == ["bob", "cyd"])
            #expect(room["member_count"] == .number(3))

            // The same people, in any order, by any of them: the same room; fewer or more people, another.
            let again = try await client.send(.post, "/api/dms", json: #"{"user_ids":[\#(bob.id),\#(cy.id)]}"#, headers: ann.bearer)
            #expect(try again.status == .ok && again.json()["room"]?["id"]?.int == id)
            let fromCy = try await client.send(.post, "/api/dms", json: #"{"user_ids":[\#(ann.id),\#(bob.id)]}"#, headers: cy.bearer)
            #expect(try fromCy.status == .ok && fromCy.json()["room"]?["id"]?.int == id)
            #expect(try fromCy.json()["room"]?["name"] == .string("ann, Bob"))
            let pair = try await client.send(.post, "/api/dms", json: #"{"user_ids":[\#(bob.id)]}"#, headers: ann.bearer)
            #expect(try pair.status == .created && pair.json()["room"]?["id"]?.int != id)
            #expect(try pair.json()["room"]?["dm_with"]?["id"]?.int == bob.id)
            let four = try await client.send(.post, "/api/dms", json: #"{"user_ids":[\#(bob.id),\#(cy.id),\#(eve.id)]}"#, headers: ann.bearer)
            #expect(try four.status == .created && four.json()["room"]?["member_count"] == .number(4))

            // Refused, writing nothing.
            let before = try Self.state(parley)
            for body in [
                #"{"user_ids":[]}"#, #"{"user_ids":[\#(bob.id),\#(bob.id)]}"#, #"{"user_ids":[\#(bob.id),\#(ann.id)]}"#,
                #"{"user_ids":[\#((1...9).map { String(bob.id + 1000 + Int64($0)) }.joined(separator: ","))]}"#,
            ] {
                try await client.send(.post, "/api/dms", json: body, headers: ann.bearer).expectError(.unprocessableContent, "invalid_user")
            }
            try await client.send(.post, "/api/dms", json: #"{"user_ids":[\#(bob.id),999999]}"#, headers: ann.bearer)
                .expectError(.notFound, "user_not_found")
            try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id),"user_ids":[\#(cy.id)]}"#, headers: ann.bearer)
                .expectError(.badRequest, "invalid_request")
            try await client.send(.post, "/api/dms", json: #"{}"#, headers: ann.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.post, "/api/dms", json: #"{"user_ids":"bob"}"#, headers: ann.bearer).expectError(.badRequest, "invalid_request")
            #expect(try Self.state(parley) == before)
            // No new group DM with someone either side blocked.
            #expect(try await client.send(.put, "/api/me/blocks/\(ann.id)", headers: eve.bearer).status == .noContent)
            try await client.send(.post, "/api/dms", json: #"{"user_ids":[\#(bob.id),\#(eve.id)]}"#, headers: ann.bearer)
                .expectError(.forbidden, "blocked")
            #expect(try await client.send(.delete, "/api/me/blocks/\(ann.id)", headers: eve.bearer).status == .noContent)
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM rooms WHERE kind = 'dm'")) == 3)

            // Each of the three lists it, named after the other two; Eve sees none of it.
            let bobs = try await Self.directory(client, bob).mine.first { $0["id"]?.int == id }
            #expect(bobs?["name"] == .string("ann, Cy"))
            #expect(bobs?["dm_members"]?.array?.compactMap { $0["id"]?.int } == [ann.id, cy.id])
            #expect(bobs?["dm_with"] == .null)
            #expect(try await Self.directory(client, ann).mine.filter { $0["id"]?.int == id }.count == 1)
            try await client.send(.get, "/api/rooms/\(id)", headers: eve.bearer).expectError(.notFound, "room_not_found")
            #expect(try await client.send(.get, "/api/rooms/\(id)", headers: cy.bearer).json()["room"]?["name"] == .string("ann, Bob"))

            // A message reaches all three, and notifies the two others as a DM does.
            let sent = try await client.send(.post, "/api/rooms/\(id)/messages", json: #"{"text":"lunch?"}"#, headers: ann.bearer)
            #expect(sent.status == .created)
            for (index, who) in [ann, bob, cy, eve].enumerated() {
                let events = try await client.send(.get, "/api/events?after=\(cursors[index])&timeout=0", headers: who.bearer).json()["events"]?.array ?? []
                let inRoom = events.filter { $0["room_id"]?.int == id }
                #expect(inRoom.contains { $0["type"] == .string("message.created") } == (who.id != eve.id))
                #expect(inRoom.contains { $0["type"] == .string("dm.opened") } == (who.id != eve.id))
                let notified = events.filter { $0["type"] == .string("notification") }.compactMap { $0["data"]?["notification"]?["reason"]?.string }
                #expect(notified == (who.id == bob.id || who.id == cy.id ? ["dm"] : []))
            }
            // A block between two of its people does not silence the conversation (it is not a
            // two-person DM); the blocker just hears of nothing the other says.
            #expect(try await client.send(.put, "/api/me/blocks/\(cy.id)", headers: bob.bearer).status == .noContent)
            #expect(try await client.send(.post, "/api/rooms/\(id)/messages", json: #"{"text":"yes"}"#, headers: cy.bearer).status == .created)
            #expect(try await client.send(.post, "/api/rooms/\(pair.json()["room"]?["id"]?.int ?? 0)/messages", json: #"{"text":"hi"}"#, headers: ann.bearer).status == .created)

            // Fixed people, like a DM: nobody joins, is added or leaves; only the topic changes.
            try await client.send(.post, "/api/rooms/\(id)/members", json: #"{"user_id":\#(eve.id)}"#, headers: ann.bearer)
                .expectError(.conflict, "not_a_group")
            try await client.send(.post, "/api/rooms/\(id)/leave", headers: bob.bearer).expectError(.conflict, "cannot_leave_dm")
            try await Self.join(client, eve, id).expectError(.notFound, "room_not_found")
            #expect(try await client.send(.patch, "/api/rooms/\(id)", json: #"{"topic":"lunch crew"}"#, headers: cy.bearer).status == .ok)
            try await client.send(.patch, "/api/rooms/\(id)", json: #"{"name":"crew"}"#, headers: ann.bearer).expectError(.unprocessableContent, "invalid_change")
        }
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM rooms WHERE kind = 'dm'")) == 3)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'dm.opened'")) == 3)
    }

    @Test func concurrentDMOpensFindOneRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let results: [(HTTPResponse.Status, Int64?)] = try await withThrowingTaskGroup(of: (HTTPResponse.Status, Int64?).self) { group in
                for n in 0..<10 {
                    group.addTask {
                        let (me, other) = n % 2 == 0 ? (ann, bob) : (bob, ann)
                        let response = try await client.send(.post, "/api/dms", json: #"{"user_id":\#(other.id)}"#, headers: me.bearer)
                        return (response.status, try response.json()["room"]?["id"]?.int)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0.0 == .created }.count == 1)
            #expect(results.filter { $0.0 == .ok }.count == 9)
            #expect(Set(results.map(\.1)).count == 1)
        }
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM rooms WHERE kind = 'dm'")) == 1)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'dm.opened'")) == 1)
    }

    // MARK: - Authorization

    /// What the tests compare to prove that a refused request wrote nothing.
    static func state(_ parley: TestParley) throws -> String {
        try String(
            mariaDBValue: try parley.scalar(
                """
                SELECT CONCAT_WS(' | ',
                    (SELECT COUNT(*) FROM events WHERE type <> 'receipt'),
                    (SELECT GROUP_CONCAT(CONCAT_WS(',', id, kind, name, topic, IFNULL(password_hash, '-')) ORDER BY id) FROM rooms),
                    (SELECT GROUP_CONCAT(CONCAT_WS(',', room_id, user_id, role) ORDER BY room_id, user_id) FROM room_members),
                    (SELECT GROUP_CONCAT(CONCAT_WS(',', id, IFNULL(text, '-'), IFNULL(edited_at, '-'), IFNULL(deleted_at, '-')) ORDER BY id) FROM messages))
                """))
    }

    /// Every room and message route, in an order where each step's outcome is known, for each kind of caller:
    /// the exact status, and nothing written when refused.
    @Test(arguments: ["anonymous", "outsider", "member", "admin", "owner"])
    func everyRouteAnswersEachCallerExactly(caller: String) async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            _ = try await client.signUp("root")
            let owner = try await client.signUp("owner")
            let admin = try await client.signUp("admin")
            let member = try await client.signUp("member")
            let target = try await client.signUp("target")
            let outsider = try await client.signUp("outsider")
            let newbie = try await client.signUp("newbie")
            let hall = try await Self.room(client, owner, #"{"name":"hall"}"#)
            let vault = try await Self.room(client, owner, #"{"name":"vault","password":"pw"}"#)
            let crew = try await Self.room(client, owner, #"{"name":"crew","kind":"group","members":[\#(admin.id),\#(member.id),\#(target.id)]}"#)
            for user in [admin, member, target] {
                #expect(try await Self.join(client, user, hall).status == .ok)
                #expect(try await client.send(.post, "/api/rooms/\(vault)/password", json: #"{"password":"pw"}"#, headers: user.bearer).status == .ok)
            }
            try parley.execute("UPDATE room_members SET role = 'admin' WHERE user_id = ? AND room_id <> 1", [admin.id])
            let hallMessage = try await MessageTests.say(client, target, room: hall, "in the hall")
            let crewMessage = try await MessageTests.say(client, target, room: crew, "in the crew")

            let column = ["anonymous", "outsider", "member", "admin", "owner"].firstIndex(of: caller)!
            let headers = [nil, outsider, member, admin, owner][column]?.bearer ?? [:]
            // Expected statuses: anonymous, outsider, member, admin, owner.
            let steps: [(HTTPRequest.Method, String, String?, [Int])] = [
                (.get, "/api/rooms", nil, [401, 200, 200, 200, 200]),
                (.get, "/api/rooms/\(hall)", nil, [401, 200, 200, 200, 200]),
                (.get, "/api/rooms/\(crew)", nil, [401, 404, 200, 200, 200]),
                (.get, "/api/rooms/\(hall)/members", nil, [401, 200, 200, 200, 200]),
                (.get, "/api/rooms/\(crew)/members", nil, [401, 404, 200, 200, 200]),
                (.get, "/api/rooms/\(hall)/admin", nil, [401, 200, 200, 200, 200]),
                (.get, "/api/rooms/\(crew)/admin", nil, [401, 404, 200, 200, 200]),
                (.get, "/api/rooms/\(vault)/password", nil, [401, 200, 200, 200, 200]),
                (.get, "/api/rooms/\(crew)/password", nil, [401, 404, 200, 200, 200]),
                (.get, "/api/rooms/\(hall)/messages", nil, [401, 200, 200, 200, 200]),
                (.get, "/api/rooms/\(hall)/messages?before=\(hallMessage + 1)", nil, [401, 403, 200, 200, 200]),
                (.get, "/api/rooms/\(crew)/messages", nil, [401, 404, 200, 200, 200]),
                (.get, "/api/users?prefix=ta", nil, [401, 200, 200, 200, 200]),
                (.post, "/api/rooms/\(hall)/messages", #"{"text":"hi"}"#, [401, 403, 201, 201, 201]),
                (.post, "/api/rooms/\(crew)/messages", #"{"text":"hi"}"#, [401, 404, 201, 201, 201]),
                (.patch, "/api/messages/\(hallMessage)", #"{"text":"not yours"}"#, [401, 403, 403, 403, 403]),
                (.patch, "/api/messages/\(crewMessage)", #"{"text":"not yours"}"#, [401, 404, 403, 403, 403]),
                (.patch, "/api/rooms/\(hall)", #"{"topic":"new"}"#, [401, 403, 403, 200, 200]),
                (.patch, "/api/rooms/\(crew)", #"{"name":"renamed"}"#, [401, 404, 403, 200, 200]),
                (.patch, "/api/rooms/\(vault)", #"{"password":"pw2"}"#, [401, 403, 403, 200, 200]),
                (.post, "/api/rooms/\(crew)/members", #"{"user_id":\#(newbie.id)}"#, [401, 404, 403, 201, 201]),
                (.delete, "/api/rooms/\(crew)/members/\(newbie.id)", nil, [401, 404, 403, 204, 204]),
                (.delete, "/api/rooms/\(crew)/members/\(target.id)", nil, [401, 404, 403, 204, 204]),
                (.post, "/api/rooms/\(hall)/members", #"{"user_id":\#(newbie.id)}"#, [401, 403, 409, 409, 409]),
                (.delete, "/api/messages/\(hallMessage)", nil, [401, 403, 403, 204, 204]),
                (.delete, "/api/messages/\(crewMessage)", nil, [401, 404, 403, 204, 204]),
                (.post, "/api/rooms/\(crew)/owner", #"{"user_id":\#(member.id)}"#, [401, 404, 403, 403, 200]),
                (.post, "/api/rooms/\(crew)/leave", nil, [401, 404, 204, 204, 204]),
                (.post, "/api/rooms/\(crew)/join", nil, [401, 404, 404, 404, 404]),
                (.post, "/api/rooms/\(vault)/password", #"{"password":"wrong"}"#, [401, 403, 200, 200, 200]),
                (.post, "/api/rooms/\(hall)/leave", nil, [401, 403, 204, 204, 409]),
                (.post, "/api/rooms/\(hall)/join", nil, [401, 200, 200, 200, 200]),
                (.delete, "/api/rooms/\(hall)", nil, [401, 403, 403, 403, 204]),
                (.get, "/api/rooms/\(hall)", nil, [401, 200, 200, 200, 404]),
                (.post, "/api/dms", #"{"user_id":\#(target.id)}"#, [401, 201, 201, 201, 201]),
                (.post, "/api/rooms", #"{"name":"new one"}"#, [401, 201, 201, 201, 201]),
            ]
            for (method, uri, body, statuses) in steps {
                let expected = HTTPResponse.Status(code: statuses[column])
                let before = try Self.state(parley)
                let response = try await client.send(method, uri, json: body, headers: headers)
                #expect(response.status == expected, "\(caller) \(method) \(uri): \(String(buffer: response.body))")
                if expected.code >= 400 {
                    #expect(response.errorCode != nil, "\(caller) \(method) \(uri)")
                    #expect(try Self.state(parley) == before, "\(caller) \(method) \(uri) wrote something")
                }
            }
        }
    }

    // MARK: - Bad input

    @Test func badIdsAndBodiesAreClientErrors() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            for id in ["abc", "0", "-1", "1.5", "99999999999999999999", "+1", "%2B1"] {
                try await client.send(.get, "/api/rooms/\(id)", headers: ann.bearer).expectError(.badRequest, "invalid_request")
                try await client.send(.post, "/api/rooms/\(id)/join", headers: ann.bearer).expectError(.badRequest, "invalid_request")
                try await client.send(.delete, "/api/rooms/1/members/\(id)", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            }
            try await client.send(.get, "/api/rooms/999999", headers: ann.bearer).expectError(.notFound, "room_not_found")
            try await client.send(.get, "/api/rooms/999999/password", headers: ann.bearer).expectError(.notFound, "room_not_found")
            try await Self.create(client, ann, #"{"name":"x""#).expectError(.badRequest, "malformed_json")
            try await Self.create(client, ann, "").expectError(.badRequest, "malformed_json")
            try await Self.create(client, ann, #"["x"]"#).expectError(.badRequest, "invalid_request")
            try await Self.create(client, ann, #"{}"#).expectError(.badRequest, "invalid_request")
            try await Self.create(client, ann, #"{"name":null}"#).expectError(.badRequest, "invalid_request")
            try await Self.create(client, ann, #"{"name":5}"#).expectError(.badRequest, "invalid_request")
            try await Self.create(client, ann, #"{"name":"x","topic":[]}"#).expectError(.badRequest, "invalid_request")
            try await Self.create(client, ann, #"{"name":"x","members":["a"]}"#).expectError(.badRequest, "invalid_request")
            try await Self.create(client, ann, #"{"name":"x","password":true}"#).expectError(.badRequest, "invalid_request")
            var plainText = ann.bearer
            plainText[.contentType] = "text/plain"
            try await client.send(.post, "/api/rooms", json: #"{"name":"x"}"#, headers: plainText).expectError(
                .unsupportedMediaType, "unsupported_media_type")
            try await client.send(.post, "/api/rooms/1/password", json: #"{"password":1}"#, headers: ann.bearer).expectError(
                .badRequest, "invalid_request")
            try await client.send(.post, "/api/dms", json: #"{"user_id":null}"#, headers: ann.bearer).expectError(.badRequest, "invalid_request")
            for (uri, body) in [("/api/rooms/1/owner", #"{"user_id":1.5}"#), ("/api/dms", #"{"user_id":1e40}"#)] {
                let response = try await client.send(.post, uri, json: body, headers: ann.bearer)
                #expect(response.status == .badRequest)
                response.expectError(.badRequest, "invalid_request")
                #expect(String(buffer: response.body).contains("user_id"))
            }
        }
        #expect(try parley.count("rooms") == 1)
    }
}
