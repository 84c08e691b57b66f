import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// Reports of messages, people and rooms: who may report, who hears of it and acts on it, and how reports end.
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
            #expect(
                report.keys == [
                    "id", "subject", "reason", "comment", "created_at", "reporter", "user", "room", "message", "reported_text", "resolved_at",
                    "resolved_by", "resolution",
                ])
            #expect(report["subject"]?.string == "message" && report["user"]?["username"]?.string == "bob")
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
            // 1,000 characters of two code points each would be cut in half by the column: refused instead.
            let toned = String(repeating: "👍🏽", count: 1_000)
            try await Self.report(client, mod, rude, #"{"reason":"other","comment":"\#(toned)"}"#).expectError(.unprocessableContent, "invalid_comment")
            // Only members report: Eve is not in the room; no such message is 404.
            try await Self.report(client, eve, rude).expectError(.forbidden, "not_a_member")
            try await Self.report(client, ann, 999_999).expectError(.notFound, "message_not_found")
            #expect(try parley.count("reports") == 1)

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
            let settled = try parley.query("SELECT resolution, resolved_by FROM reports WHERE id = ?", [other])[0]
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
            #expect(
                listedOpen[0].keys == ["id", "subject", "reason", "comment", "created_at", "user", "room", "message", "reported_text", "resolved_at", "resolution"])
            #expect(listedOpen[0]["subject"]?.string == "message")
            #expect(listedOpen[0]["id"]?.int == annReport && listedOpen[0]["comment"]?.string == "again")
            #expect(listedOpen[0]["user"]?["username"]?.string == "bob")
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
            #expect(catsList[0]["message"] == .null && catsList[0]["user"]?["username"]?.string == "bob")
            // A public room keeps its name (anyone may see it); a private group she was removed from
            // shows none, so its renames are not hers to follow.
            #expect(catsList[0]["room"]?["name"]?.string == "town")
            let group = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"crew","kind":"group","members":[\#(bob.id),\#(cat.id)]}"#, headers: owner.bearer)
                    .json()["room"]?["id"]?.int)
            let inGroup = try await MessageTests.say(client, bob, room: group, "buy more watches")
            let groupReport = try #require(try await Self.report(client, cat, inGroup).json()["report"]?["id"]?.int)
            func catsReport() async throws -> JSON? {
                try await client.send(.get, "/api/me/reports", headers: cat.bearer).json()["reports"]?.array?.first { $0["id"]?.int == groupReport }
            }
            #expect(try await catsReport()?["room"]?["name"]?.string == "crew")
            #expect(try await client.send(.delete, "/api/rooms/\(group)/members/\(cat.id)", headers: owner.bearer).status == .noContent)
            #expect(try await client.send(.patch, "/api/rooms/\(group)", json: #"{"name":"secret plans"}"#, headers: owner.bearer).status == .ok)
            #expect(try await catsReport()?["room"] == .object(["id": .number(Double(group)), "kind": .string("group"), "name": .null]))

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

    @Test func peopleAreReportedToTheSiteAdminsAloneWhoDismissOrDeactivate() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")  // the first account: a site admin
            let owner = try await client.signUp("owner")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let room = try await ModerationTests.room(client, owner: owner, members: [ann, bob, cat])
            func report(_ who: LoggedIn, _ whom: Int64, _ body: String = #"{"reason":"harassment"}"#) async throws -> TestResponse {
                try await client.send(.post, "/api/users/\(whom)/report", json: body, headers: who.bearer)
            }

            let created = try await report(ann, bob.id, #"{"reason":"harassment","comment":"  sends me abuse in every room  "}"#)
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let made = try #require(try created.json()["report"])
            #expect(made["subject"]?.string == "user" && made["user"]?["username"]?.string == "bob")
            #expect(made["room"] == .null && made["message"] == .null)
            #expect(made["comment"]?.string == "sends me abuse in every room" && made["reporter"]?["username"]?.string == "ann")
            let annReport = try #require(made["id"]?.int)

            // One open report of a person per reporter; not oneself; someone who exists and is active.
            try await report(ann, bob.id).expectError(.conflict, "already_reported")
            try await report(ann, ann.id).expectError(.conflict, "own_account")
            try await report(ann, 999_999).expectError(.notFound, "user_not_found")
            try await report(ann, bob.id, #"{"reason":"rude"}"#).expectError(.badRequest, "invalid_request")
            try await client.send(.post, "/api/users/\(bob.id)/report", json: #"{"reason":"spam"}"#).expectError(.unauthorized, "unauthenticated")
            #expect(try parley.count("reports") == 1)

            // Only the site admin hears of it and lists it: not the owner of a room Bob is in, not Bob.
            #expect(try Self.events(parley) == [["report.created", String(root.id)]])
            #expect(try await Self.listed(client, root).ids == [annReport])
            let ownersList = try await Self.listed(client, owner)
            #expect(ownersList.ids == [] && ownersList.open == 0)
            #expect(try await Self.listed(client, bob).ids == [])
            #expect(try await Self.listed(client, root, "?room=\(room)").ids == [])
            try await client.send(.post, "/api/reports/\(annReport)/resolve", json: #"{"action":"dismiss"}"#, headers: owner.bearer)
                .expectError(.notFound, "report_not_found")
            // There is no message to delete.
            try await client.send(.post, "/api/reports/\(annReport)/resolve", json: #"{"action":"delete_message"}"#, headers: root.bearer)
                .expectError(.unprocessableContent, "invalid_action")

            // Dismissed: in the site's log, and Ann hears of it; then she may report Bob again.
            let dismissed = try await client.send(.post, "/api/reports/\(annReport)/resolve", json: #"{"action":"dismiss"}"#, headers: root.bearer)
            #expect(dismissed.status == .ok, "\(String(buffer: dismissed.body))")
            #expect(try dismissed.json()["report"]?["resolution"]?.string == "dismissed")
            #expect(try parley.count("moderation_log", where: "action = 'dismiss_reports' AND room_id IS NULL AND target_user_id = \(bob.id)") == 1)
            #expect(try Self.outcomes(parley, to: ann).map { [$0["subject"]?.string, $0["resolution"]?.string] } == [["user", "dismissed"]])
            let resolvedEvent = try parley.query("SELECT payload FROM events WHERE type = 'report.resolved'")[0].decode("payload", as: String.self)
            for part in [#""subject":"user""#, #""message_id":null"#, #""room_id":null"#, #""user_id":\#(bob.id)"#] {
                #expect(resolvedEvent.contains(part), "\(resolvedEvent)")
            }
            let again = try #require(try await report(ann, bob.id, #"{"reason":"spam"}"#).json()["report"]?["id"]?.int)
            let cats = try #require(try await report(cat, bob.id).json()["report"]?["id"]?.int)
            // A report of one of Bob's messages stays apart from the reports of Bob.
            let said = try await MessageTests.say(client, bob, room: room, "you again")
            let ofMessage = try #require(try await Self.report(client, ann, said).json()["report"]?["id"]?.int)
            try await client.send(.post, "/api/reports/\(ofMessage)/resolve", json: #"{"action":"deactivate_user"}"#, headers: root.bearer)
                .expectError(.unprocessableContent, "invalid_action")

            // Deactivating through one report settles both of Bob's, not the message's; his sessions end.
            let deactivated = try await client.send(.post, "/api/reports/\(cats)/resolve", json: #"{"action":"deactivate_user"}"#, headers: root.bearer)
            #expect(deactivated.status == .ok, "\(String(buffer: deactivated.body))")
            #expect(try deactivated.json()["report"]?["resolution"]?.string == "user_deactivated")
            #expect(try parley.scalar("SELECT deactivated_at IS NOT NULL FROM users WHERE id = ?", [bob.id]) == .int(1))
            try await client.send(.get, "/api/me", headers: bob.bearer).expectError(.unauthorized, "unauthenticated")
            let settled = try parley.query("SELECT id, resolution FROM reports WHERE id IN (?, ?, ?) ORDER BY id", [again, cats, ofMessage])
            #expect(try settled.map { try $0.decode("resolution", as: String?.self) } == ["user_deactivated", "user_deactivated", nil])
            #expect(try Self.outcomes(parley, to: ann).last?["resolution"]?.string == "user_deactivated")
            #expect(try Self.outcomes(parley, to: cat).map { $0["id"]?.int } == [cats])
            // A deactivated account is not reported; the message's report is still the room's to settle.
            try await report(cat, bob.id).expectError(.conflict, "user_deactivated")
            #expect(try await Self.listed(client, owner).ids == [ofMessage])

            // Deactivating through the site administration settles them too.
            let dan = try await client.signUp("dan")
            let danReport = try #require(try await report(ann, dan.id, #"{"reason":"spam"}"#).json()["report"]?["id"]?.int)
            #expect(try await client.send(.post, "/api/admin/users/\(dan.id)/deactivate", headers: root.bearer).status == .noContent)
            let danSettled = try parley.query("SELECT resolution, resolved_by FROM reports WHERE id = ?", [danReport])[0]
            #expect(try danSettled.decode("resolution", as: String.self) == "user_deactivated")
            #expect(try danSettled.decode("resolved_by", as: Int64.self) == root.id)
            // Ann's own list has them all, newest first.
            let mine = try await client.send(.get, "/api/me/reports", headers: ann.bearer).json()["reports"]?.array ?? []
            #expect(mine.map { $0["id"]?.int } == [danReport, ofMessage, again, annReport])
            #expect(mine.map { $0["subject"]?.string } == ["user", "message", "user", "user"])
            #expect(mine[0]["message"] == .null && mine[0]["room"] == .null && mine[0]["user"]?["username"]?.string == "dan")
        }
    }

    /// sql/055 keeps the reports made before it and names the person each one is about.
    @Test func handlersSeeTheTextAsReportedThoughTheSenderEditsItUntilItIsDeleted() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let rude = try await MessageTests.say(client, bob, room: 1, "you are all idiots")
            let created = try #require(try await Self.report(client, ann, rude).json()["report"])
            #expect(created["reported_text"]?.string == "you are all idiots")
            // Bob smooths it over once reported: the handlers and the reporter still see what was reported.
            for text in ["you are all lovely", "hello"] {
                #expect(try await client.send(.patch, "/api/messages/\(rude)", json: MessageTests.json(["text": text]), headers: bob.bearer).status == .ok)
            }
            func seen(_ path: String, _ user: LoggedIn) async throws -> JSON {
                let response = try await client.send(.get, path, headers: user.bearer)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try #require(try response.json()["reports"]?.array?.first)
            }
            let listed = try await seen("/api/reports", root)
            #expect(listed["message"]?["text"]?.string == "hello" && listed["message"]?["edited_at"]?.string != nil)
            #expect(listed["reported_text"]?.string == "you are all idiots")
            #expect(try await seen("/api/me/reports", ann)["reported_text"]?.string == "you are all idiots")
            let event = try parley.query("SELECT payload FROM events WHERE type = 'report.created' AND user_id = ?", [root.id])[0]
            let payload = try JSONDecoder().decode(JSON.self, from: Data(try event.decode("payload", as: String.self).utf8))
            #expect(payload["report"]?["reported_text"]?.string == "you are all idiots")
            // A second report, after the edits, is of the text then.
            let eve = try await client.signUp("eve")
            #expect(try await Self.report(client, eve, rude).json()["report"]?["reported_text"]?.string == "hello")
            // A dismissal keeps it; a delete (by the sender, later) leaves nothing of the text.
            let id = try #require(listed["id"]?.int)
            #expect(try await client.send(.post, "/api/reports/\(id)/resolve", json: #"{"action":"dismiss"}"#, headers: root.bearer).status == .ok)
            // (Both reports, newest first: Eve's and Ann's.)
            let dismissed = try await client.send(.get, "/api/reports?state=resolved", headers: root.bearer).json()["reports"]?.array ?? []
            #expect(dismissed.map { $0["reported_text"]?.string } == ["hello", "you are all idiots"])
            #expect(try await client.send(.delete, "/api/messages/\(rude)", headers: bob.bearer).status == .noContent)
            let resolved = try await seen("/api/reports?state=resolved", root)
            #expect(resolved["message"]?["deleted"] == .bool(true) && resolved["reported_text"] == .null)
            #expect(try parley.count("reports", where: "message_text IS NOT NULL") == 0)
            #expect(try parley.count("reports") == 2)
            // A person has no text.
            let person = try await client.send(.post, "/api/users/\(bob.id)/report", json: #"{"reason":"spam"}"#, headers: ann.bearer)
            #expect(person.status == .created)
            #expect(try person.json()["report"]?["reported_text"] == .null)
        }
    }

    @Test func siteAdminsOutsideTheRoomHearThatAReportedMessageWasEdited() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            let owner = try await client.signUp("owner")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let near = try await client.signUp("near")
            let promoted = try await client.send(.put, "/api/admin/users/\(near.id)/site-role", json: #"{"site_role":"admin"}"#, headers: root.bearer)
            #expect(promoted.status == .ok, "\(String(buffer: promoted.body))")
            let room = try await ModerationTests.room(client, owner: owner, members: [ann, bob, near])
            let rude = try await MessageTests.say(client, bob, room: room, "you are all idiots")
            let other = try await MessageTests.say(client, bob, room: room, "unreported")
            let first = try #require(try await Self.report(client, ann, rude).json()["report"]?["id"]?.int)
            let second = try #require(try await Self.report(client, owner, rude).json()["report"]?["id"]?.int)
            func edit(_ message: Int64, _ text: String) async throws {
                let edited = try await client.send(.patch, "/api/messages/\(message)", json: MessageTests.json(["text": text]), headers: bob.bearer)
                #expect(edited.status == .ok, "\(String(buffer: edited.body))")
            }
            func heard() throws -> [(Int64, JSON)] {
                try parley.query("SELECT user_id, payload FROM events WHERE type = 'report.message_edited' ORDER BY id").map {
                    (try $0.decode("user_id"), try JSONDecoder().decode(JSON.self, from: Data(try $0.decode("payload", as: String.self).utf8)))
                }
            }
            try await edit(rude, "hello all")
            try await edit(other, "still unreported")
            // Root, outside the room, hears it with the open reports and the message as it is now; Near
            // (a site admin in the room) and the owner hear `message.edited` as members.
            let events = try heard()
            #expect(events.map(\.0) == [root.id])
            #expect(events.first?.1["report_ids"] == .array([.number(Double(first)), .number(Double(second))]))
            #expect(events.first?.1["message"]?["id"]?.int == rude && events.first?.1["message"]?["text"]?.string == "hello all")
            // Settled, an edit tells no one.
            #expect(try await client.send(.post, "/api/reports/\(first)/resolve", json: #"{"action":"dismiss"}"#, headers: root.bearer).status == .ok)
            try await edit(rude, "hello again")
            #expect(try heard().count == 1)
        }
    }

    @Test func roomsAreReportedToTheSiteAdminsAloneWhoDismissOrDeleteThem() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")  // the first account: a site admin
            let owner = try await client.signUp("owner")
            let mod = try await client.signUp("mod")
            let ann = try await client.signUp("ann")
            let eve = try await client.signUp("eve")
            let room = try await ModerationTests.room(client, owner: owner, members: [mod, ann])
            try await client.setRole("moderator", of: mod, in: room, by: owner)
            let group = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"den","kind":"group","members":[\#(ann.id)]}"#, headers: owner.bearer)
                    .json()["room"]?["id"]?.int)
            let dm = try #require(try await client.send(.post, "/api/dms", json: #"{"user_id":\#(eve.id)}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            func report(_ user: LoggedIn, _ room: Int64, _ body: String = #"{"reason":"inappropriate"}"#) async throws -> TestResponse {
                try await client.send(.post, "/api/rooms/\(room)/report", json: body, headers: user.bearer)
            }

            let made = try await report(ann, room, #"{"reason":"inappropriate","comment":"the topic is a slur"}"#)
            #expect(made.status == .created, "\(String(buffer: made.body))")
            let body = try #require(try made.json()["report"])
            #expect(body["subject"] == .string("room") && body["user"] == .null && body["message"] == .null && body["reported_text"] == .null)
            #expect(body["room"] == .object(["id": .number(Double(room)), "kind": .string("public"), "name": .string("town")]))
            #expect(body["comment"] == .string("the topic is a slur"))
            let annsFirst = try #require(body["id"]?.int)
            // Once while open; an outsider may report a public room, not a group they cannot see; not
            // one's own room; a DM is not a room to report.
            try await report(ann, room).expectError(.conflict, "already_reported")
            #expect(try await report(eve, room).status == .created)
            try await report(eve, group).expectError(.notFound, "room_not_found")
            try await report(owner, room).expectError(.conflict, "own_room")
            try await report(ann, dm).expectError(.conflict, "not_reportable")
            try await report(ann, room, #"{"reason":"ugly"}"#).expectError(.badRequest, "invalid_request")
            #expect(try parley.count("reports") == 2)

            // Only the site admins hear of it and list it; not the room's moderators or owner.
            #expect(try Self.events(parley) == [["report.created", String(root.id)], ["report.created", String(root.id)]])
            #expect(try await Self.listed(client, mod).ids.isEmpty)
            #expect(try await Self.listed(client, owner).ids.isEmpty)
            let listed = try await Self.listed(client, root, "?subject=room")
            #expect(listed.ids.count == 2 && listed.ids.contains(annsFirst) && listed.open == 2)
            #expect(try await Self.listed(client, root, "?subject=user").ids.isEmpty)
            #expect(try await Self.listed(client, root, "?subject=message").ids.isEmpty)
            #expect(try await Self.listed(client, root, "?room=\(room)").ids.count == 2)

            // Not a moderator's to settle; only dismissing or deleting the room fit it.
            func resolve(_ user: LoggedIn, _ report: Int64, _ action: String) async throws -> TestResponse {
                try await client.send(.post, "/api/reports/\(report)/resolve", json: #"{"action":"\#(action)"}"#, headers: user.bearer)
            }
            try await resolve(mod, annsFirst, "dismiss").expectError(.notFound, "report_not_found")
            try await resolve(root, annsFirst, "delete_message").expectError(.unprocessableContent, "invalid_action")
            try await resolve(root, annsFirst, "deactivate_user").expectError(.unprocessableContent, "invalid_action")
            // A dismissal settles the room's open reports; both reporters hear of it, and may report it again.
            let dismissed = try await resolve(root, annsFirst, "dismiss")
            #expect(dismissed.status == .ok, "\(String(buffer: dismissed.body))")
            #expect(try dismissed.json()["report"]?["resolution"] == .string("dismissed"))
            #expect(try await Self.listed(client, root, "?subject=room").open == 0)
            let outcomes = try parley.query("SELECT user_id FROM events WHERE type = 'report.outcome' ORDER BY user_id").map { try $0.decode("user_id", as: Int64.self) }
            #expect(outcomes == [ann.id, eve.id].sorted())
            let mine = try await client.send(.get, "/api/me/reports", headers: ann.bearer).json()["reports"]?.array?.first
            #expect(mine?["subject"] == .string("room") && mine?["resolution"] == .string("dismissed") && mine?["room"]?["name"] == .string("town"))
            let again = try #require(try await report(ann, room).json()["report"]?["id"]?.int)

            // Deleting the room settles its report (answered as settled) and takes it with the room.
            let deleted = try await resolve(root, again, "delete_room")
            #expect(deleted.status == .ok, "\(String(buffer: deleted.body))")
            #expect(try deleted.json()["report"]?["resolution"] == .string("room_deleted"))
            #expect(try await client.send(.get, "/api/rooms/\(room)", headers: ann.bearer).status == .notFound)
            #expect(try parley.count("reports") == 0)
            let told = try parley.query("SELECT payload FROM events WHERE type = 'report.outcome' AND user_id = ? ORDER BY id DESC LIMIT 1", [ann.id])[0]
            let outcome = try JSONDecoder().decode(JSON.self, from: Data(try told.decode("payload", as: String.self).utf8))
            #expect(outcome["report"]?["resolution"] == .string("room_deleted") && outcome["report"]?["id"]?.int == again)

            // The owner deleting a reported group settles its reports too; `main` is not deleted.
            let inGroup = try #require(try await report(ann, group).json()["report"]?["id"]?.int)
            // And a report of a message there: it goes with the room, its handlers and reporter told.
            let rude = try await MessageTests.say(client, owner, room: group, "rude")
            let ofRude = try #require(try await Self.report(client, ann, rude).json()["report"]?["id"]?.int)
            #expect(try await client.send(.delete, "/api/rooms/\(group)", headers: owner.bearer).status == .noContent)
            let outcomesNow = try parley.query("SELECT payload FROM events WHERE type = 'report.outcome' AND user_id = ? ORDER BY id DESC LIMIT 2", [ann.id])
                .map { try JSONDecoder().decode(JSON.self, from: Data(try $0.decode("payload", as: String.self).utf8)) }
            #expect(Set(outcomesNow.compactMap { $0["report"]?["id"]?.int }) == [inGroup, ofRude])
            #expect(outcomesNow.allSatisfy { $0["report"]?["resolution"] == .string("room_deleted") })
            let resolvedForRoot = try parley.query("SELECT payload FROM events WHERE type = 'report.resolved' AND user_id = ? ORDER BY id DESC LIMIT 1", [root.id])
                .map { try JSONDecoder().decode(JSON.self, from: Data(try $0.decode("payload", as: String.self).utf8)) }
            #expect(resolvedForRoot.first?["message_id"]?.int == rude && resolvedForRoot.first?["report_ids"] == .array([.number(Double(ofRude))]))
            let ofMain = try #require(try await report(ann, 1).json()["report"]?["id"]?.int)
            try await resolve(root, ofMain, "delete_room").expectError(.conflict, "room_protected")
            #expect(try parley.count("reports", where: "id = \(ofMain) AND resolved_at IS NULL") == 1)
            // A site admin does not handle the reports of a room they own (as nobody handles reports about themselves).
            let hq = try await ModerationTests.room(client, owner: root, members: [ann], name: "hq")
            let announced = try parley.count("events", where: "type = 'report.created'")
            let ofHQ = try #require(try await report(ann, hq).json()["report"]?["id"]?.int)
            #expect(try await Self.listed(client, root, "?room=\(hq)").ids.isEmpty)
            #expect(try parley.count("events", where: "type = 'report.created'") == announced)
            try await resolve(root, ofHQ, "dismiss").expectError(.notFound, "report_not_found")
        }
    }

    @Test func siteAdminsListReportsOfMessagesOrOfPeople() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let message = try #require(try await Self.report(client, ann, try await MessageTests.say(client, bob, room: 1, "spam")).json()["report"]?["id"]?.int)
            let person = try await client.send(.post, "/api/users/\(bob.id)/report", json: #"{"reason":"spam"}"#, headers: ann.bearer)
            let personID = try #require(try person.json()["report"]?["id"]?.int)
            let all = try await Self.listed(client, root)
            #expect(all.ids == [personID, message] && all.open == 2)
            let people = try await Self.listed(client, root, "?subject=user")
            #expect(people.ids == [personID] && people.open == 1)
            let messages = try await Self.listed(client, root, "?subject=message")
            #expect(messages.ids == [message] && messages.open == 1)
            #expect(try await Self.listed(client, root, "?subject=user&room=1").ids.isEmpty)
            #expect(try await Self.listed(client, root, "?subject=user&state=resolved").ids.isEmpty)
            for bad in ["rooms", "", "USER"] {
                try await client.send(.get, "/api/reports?subject=\(bad)", headers: root.bearer).expectError(.badRequest, "invalid_request")
            }
        }
    }

    @Test func handlersListReportsGivenForOneReason() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            let owner = try await client.signUp("owner")
            let mod = try await client.signUp("mod")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try await ModerationTests.room(client, owner: owner, members: [mod, ann, bob])
            try await client.setRole("moderator", of: mod, in: room, by: owner)
            func report(_ text: String, _ reason: String) async throws -> Int64 {
                let message = try await MessageTests.say(client, bob, room: room, text)
                return try #require(try await Self.report(client, ann, message, #"{"reason":"\#(reason)"}"#).json()["report"]?["id"]?.int)
            }
            let spam = try await report("cheap watches", "spam")
            let rude = try await report("you again", "harassment")
            let alsoSpam = try await report("cheap pens", "spam")
            let person = try #require(
                try await client.send(.post, "/api/users/\(bob.id)/report", json: #"{"reason":"harassment"}"#, headers: ann.bearer).json()["report"]?["id"]?.int)
            // The room's moderator (bound by membership, then the room, then the reason) and a site admin.
            #expect(try await Self.listed(client, mod, "?reason=spam") == ([alsoSpam, spam], 2, false))
            #expect(try await Self.listed(client, mod, "?reason=spam&room=\(room)&limit=1") == ([alsoSpam], 2, true))
            #expect(try await Self.listed(client, mod, "?reason=harassment") == ([rude], 1, false))
            #expect(try await Self.listed(client, mod, "?reason=other") == ([], 0, false))
            #expect(try await Self.listed(client, root, "?reason=harassment") == ([person, rude], 2, false))
            #expect(try await Self.listed(client, root, "?reason=harassment&subject=user") == ([person], 1, false))
            // Resolved ones by reason; the open count still counts the open ones for it.
            let dismissed = try await client.send(.post, "/api/reports/\(spam)/resolve", json: #"{"action":"dismiss"}"#, headers: mod.bearer)
            #expect(dismissed.status == .ok, "\(String(buffer: dismissed.body))")
            #expect(try await Self.listed(client, mod, "?reason=spam&state=resolved") == ([spam], 1, false))
            #expect(try await Self.listed(client, mod, "?reason=harassment&state=resolved") == ([], 1, false))
            for bad in ["abuse", "", "SPAM", "spam,other"] {
                try await client.send(.get, "/api/reports?reason=\(bad)", headers: mod.bearer).expectError(.badRequest, "invalid_request")
            }
        }
    }

    @Test func theMigrationKeepsTheTextEachEarlierReportWasMadeAbout() async throws {
        let migration = try await MigrationStep.before("056")
        defer { migration.remove() }
        let pool = migration.pool
        for name in ["ada", "bo"] {
            try await pool.execute("INSERT INTO users (username, display_name, password_hash, created_at) VALUES (?, ?, 'x', NOW(3))", [name, name])
        }
        func message(_ text: String?, deleted: Bool = false) async throws -> Int64 {
            Int64(
                try await pool.execute(
                    """
                    INSERT INTO messages (room_id, sender_id, text, created_at, edited_at, deleted_at)
                    VALUES (1, (SELECT id FROM users WHERE username = 'bo'), ?, '2026-01-01', NULL, ?)
                    """, [text, deleted ? "2026-01-03" : nil]
                ).lastInsertID)
        }
        func report(_ message: Int64) async throws {
            try await pool.execute(
                """
                INSERT INTO reports (message_id, room_id, user_id, reporter_id, reason, created_at)
                VALUES (?, 1, (SELECT id FROM users WHERE username = 'bo'), (SELECT id FROM users WHERE username = 'ada'), 'spam', '2026-01-02')
                """, [message])
        }
        // Edited before and after the report; never edited; deleted.
        let edited = try await message("v4")
        for (text, at) in [("v1", "2026-01-01 12:00"), ("v2", "2026-01-02 12:00"), ("v3", "2026-01-02 13:00")] {
            try await pool.execute("INSERT INTO message_edits (message_id, text, replaced_at) VALUES (?, ?, ?)", [edited, text, at])
        }
        let plain = try await message("as it was")
        let gone = try await message(nil, deleted: true)
        for id in [edited, plain, gone] { try await report(id) }
        #expect(try await migration.apply() == 1)
        let rows = try await pool.query("SELECT message_id, message_text FROM reports ORDER BY id")
        #expect(try rows.map { try $0.decode("message_text", as: String?.self) } == ["v2", "as it was", nil])
        await pool.shutdown()
    }

    @Test func theMigrationNamesTheSenderOfEveryEarlierReport() async throws {
        let migration = try await MigrationStep.before("055")
        defer { migration.remove() }
        let pool = migration.pool
        for name in ["ada", "bo"] {
            try await pool.execute("INSERT INTO users (username, display_name, password_hash, created_at) VALUES (?, ?, 'x', NOW(3))", [name, name])
        }
        let message = Int64(
            try await pool.execute(
                "INSERT INTO messages (room_id, sender_id, text, created_at) VALUES (1, (SELECT id FROM users WHERE username = 'bo'), 'spam', NOW(3))"
            ).lastInsertID)
        try await pool.execute(
            """
            INSERT INTO message_reports (message_id, room_id, reporter_id, reason, created_at)
            VALUES (?, 1, (SELECT id FROM users WHERE username = 'ada'), 'spam', NOW(3))
            """, [message])
        #expect(try await migration.apply() == 1)
        let rows = try await pool.query("SELECT r.message_id, u.username FROM reports r JOIN users u ON u.id = r.user_id")
        #expect(try rows.map { [String(try $0.decode("message_id", as: Int64.self)), try $0.decode("username")] } == [[String(message), "bo"]])
        await pool.shutdown()
    }

    /// A report racing the room's deletion is refused as a report of a room that is gone, not as one
    /// made already (the foreign key an `INSERT IGNORE` would swallow).
    @Test func aRoomDeletedWhileItIsReportedIsNotFound() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            _ = try await client.signUp("root")
            let owner = try await client.signUp("owner")
            let ann = try await client.signUp("ann")
            let group = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"den","kind":"group","members":[\#(ann.id)]}"#, headers: owner.bearer)
                    .json()["room"]?["id"]?.int)
            // The report finds Ann a member and waits on the room's row.
            try await RaceTests.racing(parley, { try $0.execute("DELETE FROM rooms WHERE id = ?", [group]) }) {
                try await client.send(.post, "/api/rooms/\(group)/report", json: #"{"reason":"spam"}"#, headers: ann.bearer)
            }.expectError(.notFound, "room_not_found")
            #expect(try parley.count("reports") == 0)
        }
    }

    /// A report settled while its room is deleted (its reports with it) answers 404, for a dismissal
    /// and for a room report's `delete_room`; both used to stop the server.
    @Test func aReportThatGoesWithItsRoomWhileSettledIsNotFound() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")  // the first account: a site admin
            let owner = try await client.signUp("owner")
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            for action in ["dismiss", "delete_room"] {
                let room = try await ModerationTests.room(client, owner: owner, members: [ann, bob], name: "town-\(action)")
                let reported: TestResponse
                let resolver: LoggedIn
                if action == "dismiss" {
                    let message = try await MessageTests.say(client, ann, room: room, "spam spam")
                    reported = try await Self.report(client, bob, message)
                    resolver = owner
                } else {
                    reported = try await client.send(.post, "/api/rooms/\(room)/report", json: #"{"reason":"spam"}"#, headers: bob.bearer)
                    resolver = root
                }
                let report = try #require(try reported.json()["report"]?["id"]?.int)
                try await RaceTests.racing(parley, { try $0.execute("DELETE FROM rooms WHERE id = ?", [room]) }) {
                    try await client.send(.post, "/api/reports/\(report)/resolve", json: #"{"action":"\#(action)"}"#, headers: resolver.bearer)
                }.expectError(.notFound, "report_not_found")
            }
            #expect(try parley.count("reports") == 0)
            #expect(try await client.send(.get, "/healthz").status == .ok)
        }
    }

    @Test func theMigrationKeepsEarlierReportsAndLetsRoomsBeReportedOnceWhileOpen() async throws {
        let migration = try await MigrationStep.before("057")
        defer { migration.remove() }
        let pool = migration.pool
        for name in ["ada", "bo"] {
            try await pool.execute("INSERT INTO users (username, display_name, password_hash, created_at) VALUES (?, ?, 'x', NOW(3))", [name, name])
        }
        let (ada, bo) = ("(SELECT id FROM users WHERE username = 'ada')", "(SELECT id FROM users WHERE username = 'bo')")
        let message = Int64(
            try await pool.execute("INSERT INTO messages (room_id, sender_id, text, created_at) VALUES (1, \(bo), 'spam', NOW(3))").lastInsertID)
        try await pool.execute(
            "INSERT INTO reports (message_id, room_id, user_id, reporter_id, reason, created_at) VALUES (?, 1, \(bo), \(ada), 'spam', NOW(3))", [message])
        try await pool.execute("INSERT INTO reports (user_id, reporter_id, reason, created_at) VALUES (\(bo), \(ada), 'harassment', NOW(3))")
        #expect(try await migration.apply() == 1)
        #expect(try await pool.query("SELECT id FROM reports").count == 2)
        // A room's report: the room, no message, no person; once per reporter while open.
        let room = "INSERT INTO reports (room_id, reporter_id, reason, created_at) VALUES (1, \(ada), 'other', NOW(3))"
        try await pool.execute(room)
        await #expect(throws: MariaDBError.self) { try await pool.execute(room) }
        try await pool.execute("UPDATE reports SET resolved_at = NOW(3), resolution = 'room_deleted' WHERE message_id IS NULL AND user_id IS NULL")
        try await pool.execute(room)
        // A person's report still once while open, a room's report of the same reporter beside it.
        await #expect(throws: MariaDBError.self) {
            try await pool.execute("INSERT INTO reports (user_id, reporter_id, reason, created_at) VALUES (\(bo), \(ada), 'spam', NOW(3))")
        }
        // Nothing else: neither a room nor a person, or both without a message.
        for columns in ["reporter_id", "room_id, user_id, reporter_id"] {
            let values = columns == "reporter_id" ? "\(ada)" : "1, \(bo), \(ada)"
            await #expect(throws: MariaDBError.self) {
                try await pool.execute("INSERT INTO reports (\(columns), reason, created_at) VALUES (\(values), 'spam', NOW(3))")
            }
        }
        #expect(try await pool.query("SELECT id FROM reports").count == 4)
        await pool.shutdown()
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
            #expect(try parley.count("reports") == 2)
        }
    }
}
