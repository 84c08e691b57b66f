import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// Reports of messages: who may report, who hears of it and acts on it, and how reports end.
@Suite struct ReportTests {
    static func report(_ client: any TestClientProtocol, _ user: LoggedIn, _ message: Int64, _ body: String = #"{"reason":"spam"}"#) async throws
        -> TestResponse
    {
        try await client.send(.post, "/api/messages/\(message)/report", json: body, headers: user.bearer)
    }

    /// The report ids a user is shown, and the open count.
    static func listed(_ client: any TestClientProtocol, _ user: LoggedIn, _ query: String = "") async throws -> (ids: [Int64], open: Int64?, hasMore: Bool?) {
        let response = try await client.send(.get, "/api/reports\(query)", headers: user.bearer)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let body = try response.json()
        #expect(body.keys == ["reports", "has_more", "open_count"])
        return ((body["reports"]?.array ?? []).compactMap { $0["id"]?.int }, body["open_count"]?.int, body["has_more"]?.bool)
    }

    /// (type, addressee) of every report event, in order.
    static func events(_ parley: TestParley) throws -> [[String]] {
        try parley.query("SELECT type, user_id FROM events WHERE type LIKE 'report.%' ORDER BY id").map {
            [try $0.decode("type", as: String.self), String(try $0.decode("user_id", as: Int64.self))]
        }
    }

    @Test func membersReportOthersMessagesOnceAndTheRoomsModeratorsAndSiteAdminsSeeThem() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")  // the first account: a site admin
            let owner = try await client.signUp("owner")
            let mod = try await client.signUp("mod")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let eve = try await client.signUp("eve")
            let room = try await ModerationTests.room(client, owner: owner, members: [mod, ann, bob])
            try await client.setRole("moderator", of: mod, in: room, by: owner)
            let rude = try await MessageTests.say(client, bob, room: room, "buy cheap watches")
            let mine = try await MessageTests.say(client, ann, room: room, "hello")

            let created = try await Self.report(client, ann, rude, #"{"reason":"spam","comment":"  third time today  "}"#)
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let report = try #require(try created.json()["report"])
            #expect(report.keys == ["id", "reason", "comment", "created_at", "reporter", "room", "message", "resolved_at", "resolved_by", "resolution"])
            #expect(report["reason"]?.string == "spam")
            #expect(report["comment"]?.string == "third time today")
            #expect(report["reporter"]?["username"]?.string == "ann")
            #expect(report["room"] == .object(["id": .number(Double(room)), "kind": .string("public"), "name": .string("town")]))
            #expect(report["message"]?["id"]?.int == rude)
            #expect(report["message"]?["text"]?.string == "buy cheap watches")
            #expect(report["resolved_at"] == .null && report["resolved_by"] == .null && report["resolution"] == .null)
            let reportID = try #require(report["id"]?.int)

            // Once per person and message; never one's own; the reason is one of four; a comment is short.
            try await Self.report(client, ann, rude).expectError(.conflict, "already_reported")
            try await Self.report(client, ann, mine).expectError(.conflict, "own_message")
            try await Self.report(client, bob, rude).expectError(.conflict, "own_message")
            try await Self.report(client, mod, rude, #"{"reason":"boring"}"#).expectError(.badRequest, "invalid_request")
            try await Self.report(client, mod, rude, #"{}"#).expectError(.badRequest, "invalid_request")
            let long = String(repeating: "x", count: 1_001)
            try await Self.report(client, mod, rude, #"{"reason":"other","comment":"\#(long)"}"#).expectError(.unprocessableContent, "invalid_comment")
            // Only members report: Eve is not in the room; no such message is 404.
            try await Self.report(client, eve, rude).expectError(.forbidden, "not_a_member")
            try await Self.report(client, ann, 999_999).expectError(.notFound, "message_not_found")
            #expect(try parley.count("message_reports") == 1)

            // The moderator, the owner and the site admin hear of it (not Bob, whose message it is, nor Ann).
            #expect(Set(try Self.events(parley).map { $0[1] }) == Set([root.id, owner.id, mod.id].map(String.init)))
            #expect(try Self.events(parley).allSatisfy { $0[0] == "report.created" })
            for handler in [root, owner, mod] {
                let listed = try await Self.listed(client, handler)
                #expect(listed.ids == [reportID])
                #expect(listed.open == 1)
            }
            for other in [ann, bob, eve] {
                let listed = try await Self.listed(client, other)
                #expect(listed.ids == [] && listed.open == 0)
            }
            // Another report of the same message; each is listed, newest first, and pages back.
            let second = try #require(try await Self.report(client, mod, rude, #"{"reason":"inappropriate"}"#).json()["report"]?["id"]?.int)
            var listed = try await Self.listed(client, owner, "?limit=1")
            #expect(listed.ids == [second] && listed.hasMore == true && listed.open == 2)
            listed = try await Self.listed(client, owner, "?limit=1&before=\(second)")
            #expect(listed.ids == [reportID] && listed.hasMore == false)
            #expect(try await Self.listed(client, owner, "?state=resolved").ids == [])
            try await client.send(.get, "/api/reports?state=closed", headers: owner.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.get, "/api/reports?limit=0", headers: owner.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.get, "/api/reports").expectError(.unauthorized, "unauthenticated")

            // Dismissing one resolves both, tells the handlers, and goes in the room's log.
            try await client.send(.post, "/api/reports/\(reportID)/resolve", json: #"{"action":"dismiss"}"#, headers: ann.bearer)
                .expectError(.notFound, "report_not_found")
            try await client.send(.post, "/api/reports/\(reportID)/resolve", json: #"{"action":"ban"}"#, headers: mod.bearer)
                .expectError(.badRequest, "invalid_request")
            let dismissed = try await client.send(.post, "/api/reports/\(reportID)/resolve", json: #"{"action":"dismiss"}"#, headers: mod.bearer)
            #expect(dismissed.status == .ok, "\(String(buffer: dismissed.body))")
            let resolved = try #require(try dismissed.json()["report"])
            #expect(resolved["resolution"]?.string == "dismissed")
            #expect(resolved["resolved_by"]?["username"]?.string == "mod")
            #expect(RoomTests.isTimestamp(resolved["resolved_at"]))
            #expect(try await Self.listed(client, owner).ids == [])
            #expect(try await Self.listed(client, owner, "?state=resolved").ids == [second, reportID])
            #expect(try await Self.listed(client, root).open == 0)
            try await client.send(.post, "/api/reports/\(second)/resolve", json: #"{"action":"dismiss"}"#, headers: owner.bearer)
                .expectError(.conflict, "report_resolved")
            let resolvedEvents = try parley.query("SELECT user_id, payload FROM events WHERE type = 'report.resolved' ORDER BY id")
            #expect(Set(try resolvedEvents.map { try $0.decode("user_id", as: Int64.self) }) == [root.id, owner.id, mod.id])
            let payload: String = try resolvedEvents[0].decode("payload")
            #expect(payload.contains(#""report_ids":[\#(reportID),\#(second)]"#) || payload.contains(#""report_ids":[\#(second),\#(reportID)]"#))
            #expect(payload.contains(#""resolution":"dismissed""#))
            #expect(try parley.count("moderation_log", where: "action = 'dismiss_reports' AND room_id = \(room) AND target_message_id = \(rude)") == 1)
            // The message is still there; a report made after the dismissal by someone new is open again.
            #expect(try await client.send(.get, "/api/messages/\(rude)", headers: ann.bearer).json()["message"]?["text"]?.string == "buy cheap watches")
        }
    }

    @Test func deletingTheMessageResolvesItsReportsWhoeverDeletesIt() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            let owner = try await client.signUp("owner")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try await ModerationTests.room(client, owner: owner, members: [ann, bob])
            // Through the report: the owner deletes it.
            let first = try await MessageTests.say(client, bob, room: room, "one")
            let report = try #require(try await Self.report(client, ann, first).json()["report"]?["id"]?.int)
            let deleted = try await client.send(.post, "/api/reports/\(report)/resolve", json: #"{"action":"delete_message"}"#, headers: owner.bearer)
            #expect(deleted.status == .ok, "\(String(buffer: deleted.body))")
            #expect(try deleted.json()["report"]?["resolution"]?.string == "message_deleted")
            #expect(try deleted.json()["report"]?["message"]?["deleted"] == .bool(true))
            #expect(try deleted.json()["report"]?["message"]?["text"] == .null)
            #expect(try parley.count("moderation_log", where: "action = 'delete_message' AND target_message_id = \(first)") == 1)
            try await Self.report(client, owner, first).expectError(.conflict, "message_deleted")

            // By its sender, on their own: the report is settled all the same.
            let second = try await MessageTests.say(client, bob, room: room, "two")
            let other = try #require(try await Self.report(client, ann, second).json()["report"]?["id"]?.int)
            #expect(try await client.send(.delete, "/api/messages/\(second)", headers: bob.bearer).status == .noContent)
            #expect(try await Self.listed(client, owner).open == 0)
            let settled = try parley.query("SELECT resolution, resolved_by FROM message_reports WHERE id = ?", [other])[0]
            #expect(try settled.decode("resolution", as: String.self) == "message_deleted")
            #expect(try settled.decode("resolved_by", as: Int64.self) == bob.id)
            // Bob, the sender, never heard of either report.
            #expect(try parley.count("events", where: "type LIKE 'report.%' AND user_id = \(bob.id)") == 0)
            _ = root
        }
    }

    @Test func reportsInDMsAndGroupsGoToTheirHandlersOnly() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            // A DM has no moderators: the site admin alone handles it.
            let dm = try #require(try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            let message = try await MessageTests.say(client, bob, room: dm, "psst")
            let report = try #require(try await Self.report(client, ann, message, #"{"reason":"harassment"}"#).json()["report"])
            #expect(report["room"] == .object(["id": .number(Double(dm)), "kind": .string("dm"), "name": .null]))
            #expect(try Self.events(parley) == [["report.created", String(root.id)]])
            #expect(try await Self.listed(client, root).ids == [try #require(report["id"]?.int)])
            // Cat, outside the DM, cannot see the message to report it.
            try await Self.report(client, cat, message).expectError(.notFound, "message_not_found")

            // A group's admin handles its reports; a moderator elsewhere does not.
            let group = try await client.group("secret", of: ann, with: bob)
            #expect(try await client.send(.post, "/api/rooms/\(group)/members", json: #"{"user_id":\#(cat.id)}"#, headers: ann.bearer).status == .created)
            let town = try await ModerationTests.room(client, owner: cat, members: [])
            let inGroup = try await MessageTests.say(client, ann, room: group, "hi all")
            let groupReport = try #require(try await Self.report(client, bob, inGroup).json()["report"]?["id"]?.int)
            // Cat owns another room: nothing of this group's reports for her.
            #expect(try await Self.listed(client, cat).ids == [])
            try await client.send(.post, "/api/reports/\(groupReport)/resolve", json: #"{"action":"dismiss"}"#, headers: cat.bearer)
                .expectError(.notFound, "report_not_found")
            // Ann owns the group, but the message is hers: the site admin alone handles it.
            #expect(try await Self.listed(client, ann).ids == [])
            #expect(try await Self.listed(client, root).ids.first == groupReport)
            // `room` narrows the list and its open count to one room.
            let dmReport = try #require(report["id"]?.int)
            let inDM = try await Self.listed(client, root, "?room=\(dm)")
            #expect(inDM.ids == [dmReport] && inDM.open == 1)
            let inTheGroup = try await Self.listed(client, root, "?room=\(group)&state=open")
            #expect(inTheGroup.ids == [groupReport] && inTheGroup.open == 1)
            let inTown = try await Self.listed(client, root, "?room=\(town)")
            #expect(inTown.ids == [] && inTown.open == 0)
            #expect(try await Self.listed(client, cat, "?room=\(group)").ids == [])
            for bad in ["abc", "0", "-3"] {
                try await client.send(.get, "/api/reports?room=\(bad)", headers: root.bearer).expectError(.badRequest, "invalid_request")
            }
            // The site admin deletes it though not a member.
            let deleted = try await client.send(.post, "/api/reports/\(groupReport)/resolve", json: #"{"action":"delete_message"}"#, headers: root.bearer)
            #expect(deleted.status == .ok, "\(String(buffer: deleted.body))")
            #expect(try deleted.json()["report"]?["resolution"]?.string == "message_deleted")
            _ = town
        }
    }

    /// The `report.outcome` payloads addressed to a user, oldest first.
    static func outcomes(_ parley: TestParley, to user: LoggedIn) throws -> [JSON] {
        try parley.query("SELECT payload FROM events WHERE type = 'report.outcome' AND user_id = ? ORDER BY id", [user.id]).map {
            try #require(try JSONDecoder().decode(JSON.self, from: Data(try $0.decode("payload", as: String.self).utf8))["report"])
        }
    }

    @Test func reportersHearWhatBecameOfTheirReportsAndListThem() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            _ = try await client.signUp("root")
            let owner = try await client.signUp("owner")
            let mod = try await client.signUp("mod")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let eve = try await client.signUp("eve")
            let room = try await ModerationTests.room(client, owner: owner, members: [mod, ann, bob, cat])
            try await client.setRole("moderator", of: mod, in: room, by: owner)
            let rude = try await MessageTests.say(client, bob, room: room, "buy cheap watches")
            let annReport = try #require(try await Self.report(client, ann, rude, #"{"reason":"spam","comment":"again"}"#).json()["report"]?["id"]?.int)
            let catReport = try #require(try await Self.report(client, cat, rude, #"{"reason":"inappropriate"}"#).json()["report"]?["id"]?.int)
            let modReport = try #require(try await Self.report(client, mod, rude).json()["report"]?["id"]?.int)

            // Listed to the reporter while open: what they reported, not who will settle it.
            let open = try await client.send(.get, "/api/me/reports", headers: ann.bearer)
            #expect(open.status == .ok, "\(String(buffer: open.body))")
            #expect(try open.json().keys == ["reports", "has_more"])
            let listedOpen = try #require(try open.json()["reports"]?.array)
            #expect(listedOpen.count == 1)
            #expect(listedOpen[0].keys == ["id", "reason", "comment", "created_at", "room", "sender", "message", "resolved_at", "resolution"])
            #expect(listedOpen[0]["id"]?.int == annReport && listedOpen[0]["comment"]?.string == "again")
            #expect(listedOpen[0]["sender"]?["username"]?.string == "bob")
            #expect(listedOpen[0]["message"]?["text"]?.string == "buy cheap watches")
            #expect(listedOpen[0]["room"] == .object(["id": .number(Double(room)), "kind": .string("public"), "name": .string("town")]))
            #expect(listedOpen[0]["resolved_at"] == .null && listedOpen[0]["resolution"] == .null)
            #expect(try Self.outcomes(parley, to: ann).isEmpty)

            // The moderator dismisses: Ann and Cat hear of it, the moderator (who did it) and Bob do not.
            #expect(try await client.send(.post, "/api/reports/\(modReport)/resolve", json: #"{"action":"dismiss"}"#, headers: mod.bearer).status == .ok)
            let annHeard = try Self.outcomes(parley, to: ann)
            #expect(annHeard.count == 1)
            #expect(annHeard.first?["id"]?.int == annReport && annHeard.first?["resolution"]?.string == "dismissed")
            #expect(annHeard.first?.keys == listedOpen[0].keys)
            #expect(RoomTests.isTimestamp(annHeard.first?["resolved_at"]))
            #expect(try Self.outcomes(parley, to: cat).map { $0["id"]?.int } == [catReport])
            #expect(try Self.outcomes(parley, to: mod).isEmpty && Self.outcomes(parley, to: bob).isEmpty && Self.outcomes(parley, to: owner).isEmpty)
            let dismissed = try #require(try await client.send(.get, "/api/me/reports", headers: ann.bearer).json()["reports"]?[0])
            #expect(dismissed["resolution"]?.string == "dismissed" && dismissed["message"]?["text"]?.string == "buy cheap watches")

            // Once Cat has left the room her report stays listed, without the message.
            #expect(try await client.send(.post, "/api/rooms/\(room)/leave", headers: cat.bearer).status == .noContent)
            let catsList = try #require(try await client.send(.get, "/api/me/reports", headers: cat.bearer).json()["reports"]?.array)
            #expect(catsList.map { $0["id"]?.int } == [catReport])
            #expect(catsList[0]["message"] == .null && catsList[0]["sender"]?["username"]?.string == "bob")

            // Bob deletes another reported message himself: Ann hears it is gone.
            let again = try await MessageTests.say(client, bob, room: room, "still selling watches")
            let second = try #require(try await Self.report(client, ann, again).json()["report"]?["id"]?.int)
            #expect(try await client.send(.delete, "/api/messages/\(again)", headers: bob.bearer).status == .noContent)
            let gone = try #require(try Self.outcomes(parley, to: ann).last)
            #expect(gone["id"]?.int == second && gone["resolution"]?.string == "message_deleted")
            #expect(gone["message"]?["deleted"] == .bool(true) && gone["message"]?["text"] == .null)
            #expect(try parley.count("events", where: "type LIKE 'report.%' AND user_id = \(bob.id)") == 0)

            // Newest first, in pages; only one's own.
            let page = try await client.send(.get, "/api/me/reports?limit=1", headers: ann.bearer).json()
            #expect(page["reports"]?.array?.map { $0["id"]?.int } == [second] && page["has_more"]?.bool == true)
            let rest = try await client.send(.get, "/api/me/reports?limit=1&before=\(second)", headers: ann.bearer).json()
            #expect(rest["reports"]?.array?.map { $0["id"]?.int } == [annReport] && rest["has_more"]?.bool == false)
            #expect(try await client.send(.get, "/api/me/reports", headers: eve.bearer).json()["reports"] == .array([]))
            for bad in ["limit=0", "limit=101", "before=0", "before=x"] {
                try await client.send(.get, "/api/me/reports?\(bad)", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            }
            try await client.send(.get, "/api/me/reports").expectError(.unauthorized, "unauthenticated")
        }
    }

    @Test func reportsAreRateLimitedPerUser() async throws {
        let parley = try await TestParley.make { $0.reportsPerUser = RateLimit(burst: 2, per: .seconds(3600)) }
        try await parley.run { client in
            _ = try await client.signUp("root")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            var ids: [Int64] = []
            for index in 0..<3 { ids.append(try await MessageTests.say(client, bob, room: 1, "message \(index)")) }
            #expect(try await Self.report(client, ann, ids[0]).status == .created)
            // Refused reports do not use up the allowance.
            for _ in 0..<3 { try await Self.report(client, ann, ids[0]).expectError(.conflict, "already_reported") }
            for _ in 0..<3 { try await Self.report(client, bob, ids[0]).expectError(.conflict, "own_message") }
            #expect(try await Self.report(client, ann, ids[1]).status == .created)
            try await Self.report(client, ann, ids[2]).expectError(.tooManyRequests, "rate_limited")
            #expect(try parley.count("message_reports") == 2)
        }
    }
}
