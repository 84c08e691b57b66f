import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Testing

@testable import Parley

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
            #expect(
                user.keys == [
                    "id", "username", "display_name", "avatar_url", "bio", "time_zone", "created_at", "presence", "last_seen_at", "deactivated", "status",
                    "dnd_until",
                ])
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
            // 500 characters of a script written in several code points each fit.
            let accented = String(repeating: "e\u{301}\u{302}\u{303}", count: 500)
            #expect(try await client.send(.patch, "/api/me", json: #"{"bio":"\#(accented)"}"#, headers: alice.bearer).json()["bio"]?.string == accented)
            #expect(try await client.send(.patch, "/api/me", json: #"{"bio":""}"#, headers: alice.bearer).status == .ok)

            try await client.send(.get, "/api/users/999999", headers: bob.bearer).expectError(.notFound, "user_not_found")
            try await client.send(.get, "/api/users/0", headers: bob.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.get, "/api/users/\(alice.id)").expectError(.unauthorized, "unauthenticated")
        }
    }

    /// A time zone shown with the profile, so that others see the time it is for its owner: an IANA
    /// name only; "" takes it away; a refused one writes nothing.
    @Test func aProfileShowsTheTimeZoneItsOwnerChose() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            #expect(try await client.send(.get, "/api/users/\(ann.id)", headers: bob.bearer).json()["user"]?["time_zone"] == .null)
            let set = try await client.send(.patch, "/api/me", json: #"{"time_zone":" America/Argentina/Salta "}"#, headers: ann.bearer)
            #expect(try set.json()["time_zone"] == .string("America/Argentina/Salta"))
            #expect(try await client.send(.get, "/api/users/\(ann.id)", headers: bob.bearer).json()["user"]?["time_zone"] == .string("America/Argentina/Salta"))
            #expect(try await client.send(.patch, "/api/me", json: #"{"time_zone":"UTC"}"#, headers: ann.bearer).json()["time_zone"] == .string("UTC"))
            // Leaving it out keeps it.
            #expect(try await client.send(.patch, "/api/me", json: #"{"bio":"hi"}"#, headers: ann.bearer).json()["time_zone"] == .string("UTC"))
            // Offsets written as names are no zones (Foundation takes them, browsers do not), nor are
            // tzdata's other files.
            let notZones = ["GMT+5", "UTC+1", "GMT-0800", "posix/Europe/Berlin", "right/UTC", "localtime", "leapseconds", "Europe", "Factory"]
            for refused in ["Mars/Olympus", "Europe/../etc/passwd", "Europe//Berlin", "Europe/Berlin; DROP", String(repeating: "A", count: 65), "Ünïcode/Zone"] + notZones {
                try await client.send(.patch, "/api/me", json: #"{"time_zone":"\#(refused)","bio":"changed"}"#, headers: ann.bearer)
                    .expectError(.unprocessableContent, "invalid_time_zone")
            }
            try await client.send(.patch, "/api/me", json: #"{"time_zone":3}"#, headers: ann.bearer).expectError(.badRequest, "invalid_request")
            #expect(try parley.scalar("SELECT bio FROM users WHERE id = ?", [ann.id]) == .string("hi"))
            // Co-members (a DM header's local time) and my other devices learn each change: two so far.
            // Setting the same zone again, or a bio alone, sends nothing.
            var updates = try await ScheduledTests.events(client, bob, "user.updated")
            #expect(updates.map { $0["time_zone"] } == [.string("America/Argentina/Salta"), .string("UTC")])
            #expect(updates.last?["user"]?["display_name"] == .string("ann"))
            _ = try await client.send(.patch, "/api/me", json: #"{"time_zone":"UTC","display_name":"Ann"}"#, headers: ann.bearer)
            updates = try await ScheduledTests.events(client, ann, "user.updated")
            // A name change alone says nothing of the zone.
            #expect(updates.count == 3 && updates.last?["time_zone"] == nil && updates.last?["user"]?["display_name"] == .string("Ann"))
            // The same name again is no change either.
            _ = try await client.send(.patch, "/api/me", json: #"{"display_name":"Ann"}"#, headers: ann.bearer)
            #expect(try await ScheduledTests.events(client, ann, "user.updated").count == 3)
            // Member lists carry it (a DM's header shows it).
            let members = try await client.send(.get, "/api/rooms/1/members", headers: bob.bearer).json()["members"]?.array ?? []
            #expect(members.first { $0["user"]?["id"]?.int == ann.id }?["time_zone"] == .string("UTC"))
            #expect(members.first { $0["user"]?["id"]?.int == bob.id }?["time_zone"] == .null)
            // The export carries it; "" takes it away.
            #expect(try await client.send(.get, "/api/me/export", headers: ann.bearer).json()["account"]?["time_zone"] == .string("UTC"))
            #expect(try await client.send(.patch, "/api/me", json: #"{"time_zone":""}"#, headers: ann.bearer).json()["time_zone"] == .null)
            #expect(try parley.count("users", where: "time_zone IS NOT NULL") == 0)
            let cleared = try await ScheduledTests.events(client, bob, "user.updated").last
            #expect(cleared?["time_zone"] == .null && cleared?["user"]?["display_name"] == .string("Ann"))
            // Names tzdata keeps for old ones are zones (a browser may report Asia/Calcutta).
            for kept in ["US/Eastern", "Asia/Calcutta", "Etc/GMT+5"] {
                #expect(try await client.send(.patch, "/api/me", json: #"{"time_zone":"\#(kept)"}"#, headers: ann.bearer).json()["time_zone"] == .string(kept))
            }
            // null clears it, and the bio, as "" does (it answered 200 and kept both).
            let nulled = try await client.send(.patch, "/api/me", json: #"{"time_zone":null,"bio":null}"#, headers: ann.bearer).json()
            #expect(nulled["time_zone"] == .null && nulled["bio"] == .null)
            #expect(try parley.count("users", where: "time_zone IS NOT NULL OR bio IS NOT NULL") == 0)
            #expect(try await ScheduledTests.events(client, bob, "user.updated").last?["time_zone"] == .null)
        }
    }
}

/// Pictures: set and replaced with `PUT /api/me/avatar`, shown through every user summary's
/// `avatar_url`, served with caching, removed by their owner or a site admin.
@Suite struct AvatarTests {
    /// A real 1×1 PNG.
    static let png = Array(
        Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!)
    /// A small square JPEG.
    static let jpeg = Pictures.jpeg(64, 64)

    static func put(_ client: any TestClientProtocol, _ user: LoggedIn, _ bytes: [UInt8], type: String = "image/png") async throws -> TestResponse {
        var headers = user.bearer
        headers[.contentType] = type
        return try await client.execute(uri: "/api/me/avatar", method: .put, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    static func get(_ client: any TestClientProtocol, _ user: LoggedIn, _ uri: String, _ extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = user.bearer
        headers.append(contentsOf: extra)
        return try await client.execute(uri: uri, method: .get, headers: headers)
    }

    @Test func aLargeOrTurnedPictureIsKeptAsItsMiddleSquareSmallAndTheRightWayUp() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            // 1000×600: the middle 600×600, at 256 pixels a side, as WebP; the quadrants stay in their corners.
            let wide = try await Self.put(client, ann, Pictures.png(1000, 600))
            #expect(wide.status == .ok, "\(String(buffer: wide.body))")
            let stored = try await Self.get(client, ann, try #require(try wide.json()["user"]?["avatar_url"]?.string))
            #expect(stored.headers[.contentType] == "image/webp")
            let square = try Pictures.read(webp: Array(stored.body.readableBytesView))
            #expect(square.width == 256 && square.height == 256)
            #expect(square.quadrants == [.red, .green, .blue, .white])
            // The version names the stored picture, not the one sent.
            let version = try #require(try wide.json()["user"]?["avatar_url"]?.string?.split(separator: "=").last)
            #expect(String(version) == AvatarController.version(Array(stored.body.readableBytesView)))

            // A 300×200 photo taken on its side: 200×200, not enlarged, turned a quarter clockwise.
            let side = try await Self.put(client, ann, Pictures.jpeg(300, 200, orientation: 6), type: "image/jpeg")
            let turned = try Pictures.read(
                webp: Array(try await Self.get(client, ann, try #require(try side.json()["user"]?["avatar_url"]?.string)).body.readableBytesView))
            #expect(turned.width == 200 && turned.height == 200)
            #expect(turned.quadrants == [.blue, .red, .white, .green])

            // A small square photo is drawn anew all the same: its EXIF (where it was taken) and
            // anything after its end are not served to everyone.
            let tagged = Pictures.jpeg(64, 64, orientation: 1) + Array("TRAILING-SECRET".utf8)
            let redrawn = try await Self.put(client, ann, tagged, type: "image/jpeg")
            #expect(redrawn.status == .ok, "\(String(buffer: redrawn.body))")
            let clean = try await Self.get(client, ann, try #require(try redrawn.json()["user"]?["avatar_url"]?.string))
            #expect(clean.headers[.contentType] == "image/webp")
            let cleanBytes = Array(clean.body.readableBytesView)
            #expect(!String(decoding: cleanBytes, as: UTF8.self).contains("Exif") && !String(decoding: cleanBytes, as: UTF8.self).contains("SECRET"))
            let redrawnSquare = try Pictures.read(webp: cleanBytes)
            #expect(redrawnSquare.width == 64 && redrawnSquare.height == 64 && redrawnSquare.quadrants == [.red, .green, .blue, .white])

            // A small square GIF is kept as sent (it may move).
            let gif = Pictures.gif(100, 100)
            let kept = try await Self.put(client, ann, gif)
            let served = try await Self.get(client, ann, try #require(try kept.json()["user"]?["avatar_url"]?.string))
            #expect(served.headers[.contentType] == "image/gif")
            #expect(Array(served.body.readableBytesView) == gif)
            // The same picture again changes nothing anyone shows: no event for it.
            let updates = try await ScheduledTests.events(client, ann, "user.updated").count
            #expect(try await Self.put(client, ann, gif).status == .ok)
            #expect(try await ScheduledTests.events(client, ann, "user.updated").count == updates)
        }
    }

    @Test func aPictureIsSetShownEverywhereServedWithCachingAndRemoved() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            _ = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"before the picture"}"#, headers: alice.bearer)
            #expect(try await client.send(.get, "/api/me", headers: alice.bearer).json()["user"]?["avatar_url"] == .null)
            try await Self.get(client, bob, "/api/users/\(alice.id)/avatar").expectError(.notFound, "avatar_not_found")

            let set = try await Self.put(client, alice, Self.png)
            #expect(set.status == .ok, "\(String(buffer: set.body))")
            let url = try #require(try set.json()["user"]?["avatar_url"]?.string)
            let version = String(try #require(url.split(separator: "=").last))
            #expect(url == "/api/users/\(alice.id)/avatar?v=\(version)" && version.count == 16)
            #expect(try parley.scalar("SELECT avatar FROM users WHERE id = ?", [alice.id]) == .string(version))

            // Every summary of alice carries it: history (also of messages sent before), members,
            // user search, the profile, the session.
            let history = try await client.send(.get, "/api/rooms/1/messages", headers: bob.bearer).json()
            #expect(history["messages"]?.array?.first?["sender"]?["avatar_url"]?.string == url)
            #expect(history["messages"]?.array?.first?["sender"]?.keys == ["id", "username", "display_name", "avatar_url"])
            let members = try await client.send(.get, "/api/rooms/1/members", headers: bob.bearer).json()
            #expect(members["members"]?.array?.first { $0["user"]?["id"]?.int == alice.id }?["user"]?["avatar_url"]?.string == url)
            #expect(members["members"]?.array?.first { $0["user"]?["id"]?.int == bob.id }?["user"]?["avatar_url"] == .null)
            let found = try await client.send(.get, "/api/users?prefix=ali", headers: bob.bearer).json()
            #expect(found["users"]?.array?.first?["avatar_url"]?.string == url)
            #expect(try await client.send(.get, "/api/users/\(alice.id)", headers: bob.bearer).json()["user"]?["avatar_url"]?.string == url)
            #expect(try await client.send(.get, "/api/session", headers: alice.bearer).json()["user"]?["avatar_url"]?.string == url)
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"with the picture"}"#, headers: alice.bearer).json()
            #expect(posted["message"]?["sender"]?["avatar_url"]?.string == url)

            // Served to any logged-in user: cached for good under its versioned URL, revalidated otherwise.
            let image = try await Self.get(client, bob, url)
            #expect(image.status == .ok)
            #expect(try Pictures.read(webp: Array(image.body.readableBytesView)).width == 1)
            #expect(image.headers[.contentType] == "image/webp")
            #expect(image.headers[.cacheControl] == "private, max-age=31536000, immutable")
            #expect(image.headers[.eTag] == "\"\(version)\"")
            #expect(image.headers[.init("X-Content-Type-Options")!] == "nosniff")
            #expect(image.headers[.contentSecurityPolicy]?.contains("sandbox") == true)
            #expect(try await Self.get(client, bob, "/api/users/\(alice.id)/avatar").headers[.cacheControl] == "private, no-cache")
            #expect(try await Self.get(client, bob, "/api/users/\(alice.id)/avatar?v=stale").headers[.cacheControl] == "private, no-cache")
            let unchanged = try await Self.get(client, bob, "/api/users/\(alice.id)/avatar", [.ifNoneMatch: "\"\(version)\""])
            #expect(unchanged.status == .notModified && unchanged.body.readableBytes == 0)
            let listed = try await Self.get(client, bob, "/api/users/\(alice.id)/avatar", [.ifNoneMatch: "\"old\", W/\"\(version)\""])
            #expect(listed.status == .notModified)
            try await client.send(.get, url).expectError(.unauthorized, "unauthenticated")
            try await Self.get(client, bob, "/api/users/999999/avatar").expectError(.notFound, "user_not_found")
            try await Self.get(client, bob, "/api/users/x/avatar").expectError(.badRequest, "invalid_request")

            // What is not a PNG, JPEG, GIF or WebP (whatever it is declared as), or is over 1 MiB, is
            // refused and changes nothing.
            let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)
            try await Self.put(client, alice, svg, type: "image/svg+xml").expectError(.unprocessableContent, "invalid_avatar")
            try await Self.put(client, alice, Array("hello".utf8)).expectError(.unprocessableContent, "invalid_avatar")
            try await Self.put(client, alice, []).expectError(.unprocessableContent, "invalid_avatar")
            // An animated WebP is refused with the way out: a GIF.
            let animated = try await Self.put(client, alice, Pictures.animatedWebP, type: "image/webp")
            animated.expectError(.unprocessableContent, "invalid_avatar")
            #expect(try animated.json()["error"]?["message"]?.string?.contains("GIF") == true)
            // Only the start of a JPEG, and a PNG header claiming 60,000 pixels square: neither decodes.
            let start: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 64, 0, 64, 3] + [UInt8](repeating: 7, count: 64)
            try await Self.put(client, alice, start, type: "image/jpeg").expectError(.unprocessableContent, "invalid_avatar")
            var huge = Pictures.png(10, 10)
            huge.replaceSubrange(16..<24, with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])
            try await Self.put(client, alice, huge).expectError(.unprocessableContent, "invalid_avatar")
            try await Self.put(client, alice, Self.png + [UInt8](repeating: 0, count: 1 << 20)).expectError(.contentTooLarge, "payload_too_large")
            #expect(try parley.scalar("SELECT avatar FROM users WHERE id = ?", [alice.id]) == .string(version))
            #expect(try parley.count("avatars") == 1)

            // A new picture replaces the old one, whatever type it was declared as.
            let replaced = try await Self.put(client, alice, Self.jpeg, type: "image/png")
            let newURL = try #require(try replaced.json()["user"]?["avatar_url"]?.string)
            #expect(newURL != url)
            #expect(try await Self.get(client, bob, newURL).headers[.contentType] == "image/webp")
            #expect(try await Self.get(client, bob, url).headers[.cacheControl] == "private, no-cache")
            #expect(try parley.count("avatars") == 1)

            // Removing it: by its owner (again is fine), or by a site admin, who leaves a log entry.
            let removed = try await client.execute(uri: "/api/me/avatar", method: .delete, headers: alice.bearer)
            #expect(removed.status == .ok)
            #expect(try removed.json()["user"]?["avatar_url"] == .null)
            #expect(try await client.execute(uri: "/api/me/avatar", method: .delete, headers: alice.bearer).status == .ok)
            try await Self.get(client, bob, "/api/users/\(alice.id)/avatar").expectError(.notFound, "avatar_not_found")
            #expect(try parley.count("avatars") == 0)

            _ = try await Self.put(client, bob, Self.png)
            try await client.send(.delete, "/api/admin/users/\(bob.id)/avatar", headers: alice.bearer).expectError(.forbidden, "not_site_admin")
            #expect(try await client.send(.delete, "/api/admin/users/\(bob.id)/avatar", headers: root.bearer).status == .noContent)
            #expect(try parley.scalar("SELECT avatar FROM users WHERE id = ?", [bob.id]) == .null)
            #expect(try parley.count("moderation_log") == 1)
            #expect(try parley.scalar("SELECT action FROM moderation_log") == .string("remove_avatar"))
            try await client.send(.delete, "/api/admin/users/999999/avatar", headers: root.bearer).expectError(.notFound, "user_not_found")
        }
    }

    @Test func aNewPictureReachesEveryoneWhoSharesARoomAtOnce() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let bob = try await live.signUp("bob")
            let stream = try await live.stream(bob.token)
            let set = try await live.send(.PUT, "/api/me/avatar", bytes: ("image/png", Self.png), token: alice.token)
            #expect(set.status == 200, "\(set.text)")
            let url = try #require(set.body?["user"]?["avatar_url"]?.string)
            let events = await stream.waitFor(1) { $0.event == "user.updated" }
            #expect(
                events.first?.json?["data"]?["user"]
                    == .object([
                        "id": .number(Double(alice.id)), "username": .string("alice"), "display_name": .string("alice"), "avatar_url": .string(url),
                    ]))
            // A name change afterwards keeps the picture in its event.
            #expect(try await live.send(.PATCH, "/api/me", json: #"{"display_name":"Alice"}"#, token: alice.token).status == 200)
            let renamed = await stream.waitFor(2) { $0.event == "user.updated" }
            #expect(renamed.last?.json?["data"]?["user"]?["avatar_url"]?.string == url)
            #expect(try await live.send(.DELETE, "/api/me/avatar", token: alice.token).status == 200)
            let removed = await stream.waitFor(3) { $0.event == "user.updated" }
            #expect(removed.last?.json?["data"]?["user"]?["avatar_url"] == .null)
            await stream.close()
        }
    }
}
