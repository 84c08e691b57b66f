import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Testing

@testable import Parley

/// The site's message retention: site admins set how many days messages are kept (none by
/// default); older ones are deleted for good with what hangs on them, and each room hears how far.
@Suite struct RetentionTests {
    @Test func messagesPastTheSitesRetentionAreDeletedWithWhatHangsOnThem() async throws {
        let parley = try await TestParley.make { $0.retentionSweep = .milliseconds(100) }
        try await parley.run { client in
            let (admin, ann) = try await SiteSettingsTests.adminAndUser(client, parley)
            func setting(_ json: String) async throws -> TestResponse {
                try await client.send(.patch, "/api/admin/settings", json: json, headers: admin.bearer)
            }
            // Kept for ever at first; a number of days from 1 to 100 years, or null; site admins only.
            #expect(try await client.send(.get, "/api/settings").json()["settings"]?["message_retention_days"] == .null)
            for days in ["0", "-3", "36501"] {
                try await setting(#"{"message_retention_days":\#(days)}"#).expectError(.unprocessableContent, "invalid_setting")
            }
            try await setting(#"{"message_retention_days":"30"}"#).expectError(.badRequest, "invalid_request")
            try await client.send(.patch, "/api/admin/settings", json: #"{"message_retention_days":30}"#, headers: ann.bearer)
                .expectError(.forbidden, "not_site_admin")

            // Old messages: in main (one with a reaction, a bookmark and a reply; one sharing a file)
            // and in a DM. Then newer ones.
            let dm = try #require(
                try await client.send(.post, "/api/dms", json: #"{"user_id":\#(admin.id)}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            let old = try await MessageTests.say(client, ann, room: 1, "old news")
            let shared = try await FileTests.upload(client, ann, room: 1, FileTests.randomBytes(5_000), query: "name=old.bin", type: "application/octet-stream")
            #expect(shared.status == .created)
            let oldFile = try #require(try shared.json()["message"]?["id"]?.int)
            let fileID = try #require(try shared.json()["message"]?["file"]?["id"]?.int)
            let oldDM = try await MessageTests.say(client, ann, room: dm, "old secret")
            #expect(try await client.send(.put, "/api/messages/\(old)/reactions/%F0%9F%91%8D", headers: admin.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/me/saved/\(old)", headers: admin.bearer).status == .ok)
            // Ann left half a reply in the old message's thread, and scheduled an answer to it.
            #expect(try await client.send(.put, "/api/rooms/1/draft?thread=\(old)", json: #"{"text":"half a reply"}"#, headers: ann.bearer).status == .ok)
            let scheduled = try #require(
                try await ScheduledTests.schedule(client, ann, room: 1, #"{"text":"an answer","reply_to":\#(old),"in_seconds":3600}"#)
                    .json()["scheduled"]?["id"]?.int)
            // And Admin wanted reminding of it.
            let reminder = try #require(try await ReminderTests.remind(client, admin, old, in: 3600).json()["reminder"]?["id"]?.int)
            try parley.execute("UPDATE messages SET created_at = NOW(3) - INTERVAL 40 DAY WHERE id <= ?", [oldDM])
            let reply = try #require(
                try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"still here","reply_to":\#(old)}"#, headers: admin.bearer)
                    .json()["message"]?["id"]?.int)
            let fresh = try await MessageTests.say(client, ann, room: 1, "fresh news")
            // An event as old as the messages: the log keeps nothing longer than the messages.
            let oldEvent = try Int64(mariaDBValue: try parley.scalar("SELECT MAX(id) FROM events"))
            try parley.execute("UPDATE events SET created_at = NOW(3) - INTERVAL 40 DAY WHERE id = ?", [oldEvent])
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)

            // Nothing goes while messages are kept for ever.
            try await Task.sleep(for: .milliseconds(400))
            #expect(try parley.count("messages", where: "id IN (\(old), \(oldFile), \(oldDM))") == 3)

            let set = try await setting(#"{"message_retention_days":30}"#)
            #expect(set.status == .ok)
            #expect(try set.json()["settings"]?["message_retention_days"]?.int == 30)
            let deadline = ContinuousClock.now + .seconds(10)
            while try parley.count("messages", where: "id <= \(oldDM)") > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try parley.count("messages", where: "id <= \(oldDM)") == 0)
            // What hung on them went with them; newer messages stay, the reply too.
            #expect(try parley.count("reactions", where: "message_id = \(old)") == 0)
            #expect(try parley.count("saved_messages", where: "message_id = \(old)") == 0)
            #expect(try parley.count("files", where: "id = \(fileID)") == 0)
            #expect(try parley.count("file_parts", where: "file_id = \(fileID)") == 0)
            #expect(try parley.count("messages", where: "id IN (\(reply), \(fresh))") == 2)
            // The thread's draft went; the scheduled answer still names what it answers, and its send
            // is refused (kept, with the refusal as its failure) rather than posted as no reply.
            #expect(try parley.count("drafts", where: "thread_id = \(old)") == 0)
            #expect(try parley.count("scheduled_messages", where: "id = \(scheduled) AND reply_to = \(old)") == 1)
            try await client.send(.post, "/api/me/scheduled/\(scheduled)/send", headers: ann.bearer).expectError(.unprocessableContent, "invalid_reply_to")
            try await client.send(.get, "/api/messages/\(old)", headers: ann.bearer).expectError(.notFound, "message_not_found")
            try await FileTests.download(client, ann, fileID).expectError(.notFound, "file_not_found")
            let history = try await client.send(.get, "/api/rooms/1/messages", headers: ann.bearer).json()["messages"]?.array ?? []
            let listed = history.compactMap { $0["id"]?.int }
            #expect(listed.filter { $0 <= oldDM }.isEmpty)
            #expect(listed.contains(reply))

            // Each room heard how far its messages went.
            let events = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let expired = events.filter { $0["type"] == .string("messages.expired") }.map {
                [$0["data"]?["room_id"]?.int, $0["data"]?["up_to"]?.int, $0["data"]?["count"]?.int]
            }
            #expect(expired.sorted { ($0[0] ?? 0) < ($1[0] ?? 0) } == [[1, oldFile, 2], [dm, oldDM, 1]])
            // Ann's clients heard the thread's draft go.
            #expect(events.contains { $0["type"] == .string("draft.removed") && $0["data"]?["thread_id"]?.int == old })
            // Admin's clients heard the reminder go with its message.
            let adminEvents = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: admin.bearer).json()["events"]?.array ?? []
            #expect(
                adminEvents.filter { $0["type"] == .string("reminder.removed") }.map { [$0["data"]?["id"]?.int, $0["data"]?["message_id"]?.int] }
                    == [[reminder, old]])
            #expect(try parley.count("reminders") == 0)
            // The log dropped the event older than the retention (the pruner runs after the sweep's
            // commits, so it may still be at work when the messages are gone).
            let pruned = ContinuousClock.now + .seconds(10)
            while try parley.count("events", where: "id = \(oldEvent)") > 0, ContinuousClock.now < pruned {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try parley.count("events", where: "id = \(oldEvent)") == 0)
            #expect(try Int64(mariaDBValue: try parley.scalar("SELECT pruned_through FROM event_log_state")) >= oldEvent)

            // Keeping them for ever again; both changes are in the site log.
            let kept = try await setting(#"{"message_retention_days":null}"#)
            #expect(try kept.json()["settings"]?["message_retention_days"] == .null)
            #expect(try parley.scalar("SELECT message_retention_days FROM site_settings") == .null)
            let log = try await client.send(.get, "/api/admin/log", headers: admin.bearer).json()["entries"]?.array ?? []
            #expect(
                log.filter { $0["action"] == .string("site_settings") }.compactMap { $0["reason"]?.string }.sorted()
                    == ["message retention: 30 days", "message retention: keep"])
        }
    }

    /// A room's own retention, set by site admins, overrides the site's either way: shorter, longer
    /// or for ever; the other rooms follow the site's.
    @Test func aRoomsOwnRetentionOverridesTheSitesEitherWay() async throws {
        let parley = try await TestParley.make { $0.retentionSweep = .milliseconds(100) }
        try await parley.run { client in
            let (admin, ann) = try await SiteSettingsTests.adminAndUser(client, parley)
            func group(_ name: String) async throws -> Int64 {
                try #require(
                    try await client.send(.post, "/api/rooms", json: #"{"name":"\#(name)","kind":"group"}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            }
            let short = try await group("short")
            let forever = try await group("forever")
            let long = try await group("long")
            func retention(_ room: Int64, _ value: String, _ who: LoggedIn) async throws -> TestResponse {
                try await client.send(.put, "/api/admin/rooms/\(room)/retention", json: #"{"message_retention_days":\#(value)}"#, headers: who.bearer)
            }
            func waitUntil(_ condition: () throws -> Bool) async throws {
                let deadline = ContinuousClock.now + .seconds(10)
                while try !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            }

            // Site admins only; 1 to 36,500 days, -1 for ever, or null; the field is required.
            for bad in ["0", "-2", "36501"] { try await retention(short, bad, admin).expectError(.unprocessableContent, "invalid_setting") }
            try await retention(short, #""7""#, admin).expectError(.badRequest, "invalid_request")
            try await client.send(.put, "/api/admin/rooms/\(short)/retention", json: "{}", headers: admin.bearer).expectError(.badRequest, "invalid_request")
            try await retention(short, "1", ann).expectError(.forbidden, "not_site_admin")
            try await retention(999_999, "1", admin).expectError(.notFound, "room_not_found")
            #expect(try parley.count("rooms", where: "message_retention_days IS NOT NULL") == 0)

            // Messages 400, 100 and 2 days old in main and each group (ids grow with time), then fresh ones.
            var sent: [Int64: [String: Int64]] = [:]
            for (age, days) in [("d400", 400), ("d100", 100), ("d2", 2)] {
                for room in [1, short, forever, long] {
                    let id = try await MessageTests.say(client, ann, room: room, "\(age) in \(room)")
                    try parley.execute("UPDATE messages SET created_at = NOW(3) - INTERVAL ? DAY WHERE id = ?", [days, id])
                    sent[room, default: [:]][age] = id
                }
            }
            for room in [1, short, forever, long] { sent[room, default: [:]]["fresh"] = try await MessageTests.say(client, ann, room: room, "fresh") }
            let oldEvent = try Int64(mariaDBValue: try parley.scalar("SELECT MAX(id) FROM events"))
            try parley.execute("UPDATE events SET created_at = NOW(3) - INTERVAL 2 DAY WHERE id = ?", [oldEvent])
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)
            func left(_ room: Int64) throws -> [String] {
                try ["d400", "d100", "d2", "fresh"].filter { try parley.count("messages", where: "id = \(sent[room]![$0]!)") == 1 }
            }

            // One day in "short": its three old messages go; a year in "long": its 400-day-old one. The
            // other rooms lose none (the site keeps them).
            let set = try await retention(short, "1", admin)
            #expect(set.status == .ok)
            #expect(try set.json()["room"]?["message_retention_days"]?.int == 1)
            #expect(try await client.send(.get, "/api/rooms/\(short)", headers: ann.bearer).json()["room"]?["message_retention_days"]?.int == 1)
            #expect(try await retention(forever, "-1", admin).status == .ok)
            #expect(try await retention(long, "365", admin).status == .ok)
            // The same again changes nothing.
            #expect(try await retention(long, "365", admin).status == .ok)
            try await waitUntil { try left(short) == ["fresh"] && left(long) == ["d100", "d2", "fresh"] }
            #expect(try left(short) == ["fresh"])
            #expect(try left(long) == ["d100", "d2", "fresh"])
            try await Task.sleep(for: .milliseconds(300))
            for room in [1, forever] { #expect(try left(room) == ["d400", "d100", "d2", "fresh"]) }
            // The event log keeps nothing longer than the shortest retention.
            try await waitUntil { try parley.count("events", where: "id = \(oldEvent)") == 0 }
            #expect(try parley.count("events", where: "id = \(oldEvent)") == 0)

            // The site keeps 30 days: main follows it, "long" keeps a year and "forever" everything.
            #expect(try await client.send(.patch, "/api/admin/settings", json: #"{"message_retention_days":30}"#, headers: admin.bearer).status == .ok)
            try await waitUntil { try left(1) == ["d2", "fresh"] }
            #expect(try left(1) == ["d2", "fresh"])
            #expect(try left(long) == ["d100", "d2", "fresh"])
            #expect(try left(forever) == ["d400", "d100", "d2", "fresh"])
            #expect(try left(short) == ["fresh"])

            // Members heard each change and how far each room's messages went.
            let events = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let updated = events.filter { $0["type"] == .string("room.updated") }.map {
                [$0["data"]?["room"]?["id"]?.int, $0["data"]?["room"]?["message_retention_days"]?.int]
            }
            #expect(updated == [[short, 1], [forever, -1], [long, 365]])
            let expired = events.filter { $0["type"] == .string("messages.expired") }.map {
                [$0["data"]?["room_id"]?.int, $0["data"]?["up_to"]?.int, $0["data"]?["count"]?.int]
            }
            #expect(expired.sorted { ($0[0] ?? 0) < ($1[0] ?? 0) } == [
                [1, sent[1]!["d100"], 2], [short, sent[short]!["d2"], 3], [long, sent[long]!["d400"], 1],
            ])

            // Back to the site's: "forever" loses what is past 30 days.
            let back = try await retention(forever, "null", admin)
            #expect(try back.json()["room"]?["message_retention_days"] == .null)
            try await waitUntil { try left(forever) == ["d2", "fresh"] }
            #expect(try left(forever) == ["d2", "fresh"])
            let log = try await client.send(.get, "/api/admin/log", headers: admin.bearer).json()["entries"]?.array ?? []
            #expect(
                log.filter { $0["action"] == .string("room_retention") }.compactMap { $0["reason"]?.string }
                    == ["forever (room \(forever)): site", "long (room \(long)): 365 days", "forever (room \(forever)): keep", "short (room \(short)): 1 days"])
        }
    }

    /// The site's sweep goes on from where it got to, rather than read again each minute the old
    /// messages a longer-kept room keeps; a room that comes back to the site's period is swept from
    /// the start again. Ids only grow, so no message ever appears below the mark; one written there
    /// by hand (with an old id) shows where the sweep starts.
    @Test func theSitesSweepGoesOnFromWhereItGotToUntilARoomComesBack() async throws {
        let parley = try await TestParley.make { $0.retentionSweep = .milliseconds(100) }
        try await parley.run { client in
            let (admin, ann) = try await SiteSettingsTests.adminAndUser(client, parley)
            let forever = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"forever","kind":"group"}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            func retention(_ value: String) async throws {
                let response = try await client.send(
                    .put, "/api/admin/rooms/\(forever)/retention", json: #"{"message_retention_days":\#(value)}"#, headers: admin.bearer)
                #expect(response.status == .ok)
            }
            func waitUntil(_ condition: () throws -> Bool) async throws {
                let deadline = ContinuousClock.now + .seconds(10)
                while try !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            }
            func exists(_ id: Int64) throws -> Bool { try parley.count("messages", where: "id = \(id)") == 1 }
            try await retention("-1")
            var old: [Int64] = []
            for room in [1, forever, 1] {
                old.append(try await MessageTests.say(client, ann, room: room, "old"))
                try parley.execute("UPDATE messages SET created_at = NOW(3) - INTERVAL 400 DAY WHERE id = ?", [old.last!])
            }
            let fresh = try await MessageTests.say(client, ann, room: 1, "fresh")
            #expect(try await client.send(.patch, "/api/admin/settings", json: #"{"message_retention_days":30}"#, headers: admin.bearer).status == .ok)
            try await waitUntil { try !exists(old[0]) && !exists(old[2]) }
            #expect(try !exists(old[0]) && !exists(old[2]) && exists(old[1]) && exists(fresh))

            // Below the mark: the following sweeps do not read there.
            try parley.execute(
                "INSERT INTO messages (id, room_id, sender_id, text, created_at) VALUES (?, 1, ?, 'slipped in', NOW(3) - INTERVAL 400 DAY)", [old[0], ann.id])
            try await Task.sleep(for: .milliseconds(600))
            #expect(try exists(old[0]))
            #expect(try exists(old[1]))
            // Another room with a period of its own leaves the mark as it is.
            let other = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"other","kind":"group"}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            #expect(try await client.send(.put, "/api/admin/rooms/\(other)/retention", json: #"{"message_retention_days":-1}"#, headers: admin.bearer).status == .ok)
            try await Task.sleep(for: .milliseconds(600))
            #expect(try exists(old[0]))

            // "forever" back to the site's period: the sweep starts over, and both go.
            try await retention("null")
            try await waitUntil { try !exists(old[0]) && !exists(old[1]) }
            #expect(try !exists(old[0]) && !exists(old[1]) && exists(fresh))
        }
    }

    /// A room given a period of its own while a sweep is under way loses nothing after that: each
    /// batch reads the periods that chose it under a shared lock. Here the room's new period (keep
    /// for ever) is written but not yet committed when the site's sweep reaches its messages: the
    /// sweep waits for it, sees it, and stops; the next one leaves the room out from the start.
    @Test func aRoomSetToKeepItsMessagesMidSweepLosesNone() async throws {
        let parley = try await TestParley.make { $0.retentionSweep = .milliseconds(100) }
        try await parley.run { client in
            let (admin, ann) = try await SiteSettingsTests.adminAndUser(client, parley)
            let kept = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"kept","kind":"group"}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            var old: [Int64] = []
            for room in [kept, kept, 1] {
                old.append(try await MessageTests.say(client, ann, room: room, "old"))
                try parley.execute("UPDATE messages SET created_at = NOW(3) - INTERVAL 400 DAY WHERE id = ?", [old.last!])
            }
            let change = try MariaDBConnection(configuration: try MariaDBConfiguration(url: parley.databaseURL))
            defer { change.close() }
            try change.executeText("START TRANSACTION")
            try change.execute("UPDATE rooms SET message_retention_days = -1 WHERE id = ?", [kept])
            #expect(try await client.send(.patch, "/api/admin/settings", json: #"{"message_retention_days":30}"#, headers: admin.bearer).status == .ok)
            // The sweep has read the room as the site's and waits on its row.
            try await Task.sleep(for: .milliseconds(500))
            try change.executeText("COMMIT")
            let deadline = ContinuousClock.now + .seconds(10)
            while try parley.count("messages", where: "id = \(old[2])") == 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(try parley.count("messages", where: "id = \(old[2])") == 0)
            #expect(try parley.count("messages", where: "room_id = \(kept)") == 2)
        }
    }

    /// The binary search over ids: the last message sent before a time and the first at or after
    /// it, whatever the gaps, in all rooms or in one.
    @Test func aTimeFallsBetweenTheLastMessageBeforeItAndTheFirstAfter() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let other = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"other","kind":"group"}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            // Messages a minute apart, every third in the other room; and gaps, as deletions leave.
            var ids: [(id: Int64, room: Int64)] = []
            for n in 0..<23 {
                let room: Int64 = n % 3 == 2 ? other : 1
                ids.append((try await MessageTests.say(client, ann, room: room, "m\(n)"), room))
            }
            try parley.execute("DELETE FROM messages WHERE id IN (?, ?, ?)", [ids[3].id, ids[10].id, ids[11].id])
            let kept = ids.enumerated().filter { ![3, 10, 11].contains($0.offset) }.map(\.element)
            for (n, message) in kept.enumerated() {
                try parley.execute("UPDATE messages SET created_at = ? WHERE id = ?", [Date(timeIntervalSince1970: 1_000_000 + Double(n) * 60), message.id])
            }
            let connection = try MariaDBConnection(configuration: try MariaDBConfiguration(url: parley.databaseURL))
            defer { connection.close() }
            for roomID in [nil, 1, other] as [Int64?] {
                let listed = kept.filter { roomID == nil || $0.room == roomID }
                let times = kept.enumerated().filter { roomID == nil || $0.element.room == roomID }.map { 1_000_000 + Double($0.offset) * 60 }
                let early = try MessageStore.split(connection, roomID: roomID, at: Date(timeIntervalSince1970: 999_000))
                #expect(early.before == nil && early.from == listed.first?.id)
                for (n, time) in times.enumerated() {
                    // Just after a message, and exactly at the next one's time.
                    let after = try MessageStore.split(connection, roomID: roomID, at: Date(timeIntervalSince1970: time + 1))
                    #expect(after.before == listed[n].id && after.from == (n + 1 < listed.count ? listed[n + 1].id : nil))
                    let at = try MessageStore.split(connection, roomID: roomID, at: Date(timeIntervalSince1970: time))
                    #expect(at.before == (n > 0 ? listed[n - 1].id : nil) && at.from == listed[n].id)
                }
            }
        }
    }
}
