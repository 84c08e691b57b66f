import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Parley

/// Custom emoji: anyone adds a picture under a short name, everyone lists and sees it (and hears of
/// it at once), it serves as a reaction, and its adder or a site admin deletes it.
@Suite struct CustomEmojiTests {
    static func add(_ client: any TestClientProtocol, _ user: LoggedIn, _ name: String, _ bytes: [UInt8]) async throws -> TestResponse {
        var headers = user.bearer
        headers[.contentType] = "image/png"
        // A plus is `%2B` in a query (`+` is a space).
        let query = name.replacingOccurrences(of: "+", with: "%2B")
        return try await client.execute(uri: "/api/emoji?name=\(query)", method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    /// (Served like avatars.)
    static func get(_ client: any TestClientProtocol, _ user: LoggedIn, _ uri: String, _ extra: HTTPFields = [:]) async throws -> TestResponse {
        try await AvatarTests.get(client, user, uri, extra)
    }

    @Test func anyoneAddsOneEveryoneSeesItAndItsAdderOrASiteAdminDeletesIt() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            try parley.execute("UPDATE users SET site_role = 'admin' WHERE id = ?", [root.id])
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let root2 = try await client.logIn("root")
            #expect(try await client.send(.get, "/api/emoji", headers: ann.bearer).json()["emoji"] == .array([]))
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)

            // Ann adds one; capitals in the name are small letters.
            let png = Pictures.png(64, 64)
            let added = try await Self.add(client, ann, "Party_Parrot", png)
            #expect(added.status == .created, "\(String(buffer: added.body))")
            let emoji = try #require(try added.json()["emoji"])
            #expect(emoji["name"] == .string("party_parrot"))
            #expect(emoji["created_by"]?["id"]?.int == ann.id)
            let url = try #require(emoji["url"]?.string)
            let version = String(try #require(url.split(separator: "=").last))
            #expect(url == "/api/emoji/party_parrot?v=\(version)" && version == AvatarController.version(CustomEmojiController.stored(png, ImageInfo.read(png)!)!.data))
            #expect(emoji.keys == ["name", "url", "created_by", "created_at"])

            // Everyone lists it and hears of it at once, whatever rooms they share.
            let listed = try await client.send(.get, "/api/emoji", headers: bob.bearer).json()["emoji"]?.array ?? []
            #expect(listed.map { $0["name"] } == [.string("party_parrot")])
            let events = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: bob.bearer).json()["events"]?.array ?? []
            #expect(events.first { $0["type"] == .string("emoji.added") }?["data"]?["emoji"]?["url"]?.string == url)

            // Served to any logged-in user, cached for good under its URL.
            let image = try await Self.get(client, bob, url)
            #expect(image.status == .ok)
            #expect(try Pictures.read(webp: Array(image.body.readableBytesView)).width > 0)
            #expect(image.headers[.contentType] == "image/webp")
            #expect(image.headers[.cacheControl] == "private, max-age=31536000, immutable")
            #expect(image.headers[.contentSecurityPolicy]?.contains("sandbox") == true)
            #expect(try await Self.get(client, bob, "/api/emoji/party_parrot").headers[.cacheControl] == "private, no-cache")
            // Names are kept lowercased; any case finds one.
            #expect(try await Self.get(client, bob, "/api/emoji/Party_PARROT").status == .ok)
            let unchanged = try await Self.get(client, bob, "/api/emoji/party_parrot", [.ifNoneMatch: "\"\(version)\""])
            #expect(unchanged.status == .notModified)
            try await client.send(.get, url).expectError(.unauthorized, "unauthenticated")
            try await client.send(.get, "/api/emoji").expectError(.unauthorized, "unauthenticated")
            try await Self.get(client, bob, "/api/emoji/nothing_here").expectError(.notFound, "emoji_not_found")

            // Refused, writing nothing: a taken name, bad names, what is not a picture, too large, anonymous.
            try await Self.add(client, bob, "party_parrot", Pictures.png(8, 8)).expectError(.conflict, "emoji_name_taken")
            for name in ["a", String(repeating: "x", count: 31), "two%20words", "colon:", "%C3%A9t%C3%A9", ""] {
                try await Self.add(client, bob, name, png).expectError(.unprocessableContent, "invalid_emoji_name")
            }
            let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)
            try await Self.add(client, bob, "svg", svg).expectError(.unprocessableContent, "invalid_emoji")
            try await Self.add(client, bob, "empty", []).expectError(.unprocessableContent, "invalid_emoji")
            // An animated WebP (extended header, animation flag, 32×32 canvas, then its ANIM chunk):
            // the decoder reads none, and the refusal says to send a GIF.
            let refused = try await Self.add(client, bob, "spinner", Pictures.animatedWebP)
            refused.expectError(.unprocessableContent, "invalid_emoji")
            #expect(try refused.json()["error"]?["message"]?.string?.contains("GIF") == true)
            try await Self.add(client, bob, "big", png + [UInt8](repeating: 0, count: 256 * 1024)).expectError(.contentTooLarge, "payload_too_large")
            try await client.execute(uri: "/api/emoji?name=anon", method: .post, body: ByteBuffer(bytes: png))
                .expectError(.unauthorized, "unauthenticated")
            #expect(try parley.count("custom_emoji") == 1)

            // Only its adder or a site admin deletes it.
            #expect(try await Self.add(client, bob, "bobs", Pictures.png(16, 16)).status == .created)
            try await client.send(.delete, "/api/emoji/party_parrot", headers: bob.bearer).expectError(.forbidden, "forbidden")
            try await client.send(.delete, "/api/emoji/nope", headers: bob.bearer).expectError(.notFound, "emoji_not_found")
            // A name with a `+` is found at its percent-encoded path, as a browser's encodeURIComponent sends it.
            #expect(try await Self.add(client, bob, "plus+1", Pictures.png(8, 8)).status == .created)
            #expect(try await Self.get(client, ann, "/api/emoji/PLUS%2B1").status == .ok)
            #expect(try await client.send(.delete, "/api/emoji/plus%2B1", headers: bob.bearer).status == .noContent)
            #expect(try parley.count("custom_emoji", where: "name = 'plus+1'") == 0)
            // What decodes to no name is not found (the column would refuse it).
            try await Self.get(client, ann, "/api/emoji/%C3%B1Z%01P").expectError(.notFound, "emoji_not_found")
            try await client.send(.delete, "/api/emoji/%C3%B1Z%01P", headers: bob.bearer).expectError(.notFound, "emoji_not_found")
            #expect(try await client.send(.delete, "/api/emoji/party_parrot", headers: ann.bearer).status == .noContent)
            try await client.send(.delete, "/api/emoji/party_parrot", headers: ann.bearer).expectError(.notFound, "emoji_not_found")
            #expect(try await client.send(.delete, "/api/emoji/bobs", headers: root2.bearer).status == .noContent)
            #expect(try parley.count("custom_emoji") == 0)
            let after = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            #expect(after.filter { $0["type"] == .string("emoji.removed") }.compactMap { $0["data"]?["name"]?.string } == ["plus+1", "party_parrot", "bobs"])
            // A site admin's deletion of someone else's is in the site log; one's own is not.
            let log = try await client.send(.get, "/api/admin/log", headers: root2.bearer).json()["entries"]?.array ?? []
            let deletions = log.filter { $0["action"] == .string("delete_emoji") }
            #expect(deletions.count == 1)
            #expect(deletions.first?["reason"] == .string("bobs") && deletions.first?["target_user"]?["id"]?.int == bob.id)
            _ = root
        }
    }

    @Test func aCustomEmojiIsAReactionWhileItExists() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"ship it :shipit:"}"#, headers: ann.bearer)
            let message = try #require(try posted.json()["message"]?["id"]?.int)
            let react = { (user: LoggedIn, emoji: String) in
                try await client.send(.put, "/api/messages/\(message)/reactions/\(emoji)", headers: user.bearer)
            }
            // Not yet added: refused; malformed names are not reactions at all.
            try await react(bob, ":shipit:").expectError(.unprocessableContent, "unknown_emoji")
            for bad in [":x:", "shipit", ":ship%20it:", "::", ":\(String(repeating: "a", count: 31)):"] {
                try await react(bob, bad).expectError(.unprocessableContent, "invalid_reaction")
            }
            #expect(try await Self.add(client, ann, "shipit", Pictures.png(32, 32)).status == .created)
            let reacted = try await react(bob, ":shipit:")
            #expect(reacted.status == .ok, "\(String(buffer: reacted.body))")
            #expect(try reacted.json()["reactions"]?.array?.first?["emoji"] == .string(":shipit:"))
            #expect(try reacted.json()["my_reactions"] == .array([.string(":shipit:")]))
            // Names are read in any case, as `GET /api/emoji/{name}` reads them: the same reaction.
            let shouted = try await react(ann, ":ShipIt:")
            #expect(shouted.status == .ok, "\(String(buffer: shouted.body))")
            let chips = try shouted.json()["reactions"]?.array ?? []
            #expect(chips.count == 1 && chips.first?["emoji"] == .string(":shipit:") && chips.first?["count"] == .number(2), "\(chips)")
            #expect(try await client.send(.delete, "/api/messages/\(message)/reactions/:SHIPIT:", headers: ann.bearer).status == .ok)
            // Deleted: the reaction stays, others may still join it, but it is not new anywhere else.
            #expect(try await client.send(.delete, "/api/emoji/shipit", headers: ann.bearer).status == .noContent)
            #expect(try await react(ann, ":shipit:").status == .ok)
            let history = try await client.send(.get, "/api/rooms/1/messages", headers: ann.bearer).json()["messages"]?.array ?? []
            #expect(history.first?["reactions"]?.array?.first?["count"] == .number(2))
            #expect(history.first?["text"] == .string("ship it :shipit:"))
            let other = try #require(
                try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"next"}"#, headers: ann.bearer).json()["message"]?["id"]?.int)
            try await client.send(.put, "/api/messages/\(other)/reactions/:shipit:", headers: bob.bearer).expectError(.unprocessableContent, "unknown_emoji")
            #expect(try await client.send(.delete, "/api/messages/\(message)/reactions/:shipit:", headers: bob.bearer).status == .ok)
        }
    }

    @Test func aPictureIsDrawnAnewToFitAndASmallGIFKeptAsSent() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let wide = try await Self.add(client, ann, "wide", Pictures.png(400, 200))
            let stored = try await Self.get(client, ann, try #require(try wide.json()["emoji"]?["url"]?.string))
            #expect(stored.headers[.contentType] == "image/webp")
            let shrunk = try Pictures.read(webp: Array(stored.body.readableBytesView))
            #expect(shrunk.width == 128 && shrunk.height == 64)
            #expect(shrunk.quadrants == [.red, .green, .blue, .white])
            // A small photo is drawn anew too: its EXIF and anything after its end are not served.
            let photo = try await Self.add(client, ann, "photo", Pictures.jpeg(64, 64, orientation: 1) + Array("TRAILING-SECRET".utf8))
            let redrawn = try await Self.get(client, ann, try #require(try photo.json()["emoji"]?["url"]?.string))
            #expect(redrawn.headers[.contentType] == "image/webp")
            let text = String(decoding: redrawn.body.readableBytesView, as: UTF8.self)
            #expect(!text.contains("Exif") && !text.contains("SECRET"))
            #expect(try Pictures.read(webp: Array(redrawn.body.readableBytesView)).quadrants == [.red, .green, .blue, .white])
            let gif = Pictures.gif(100, 60)
            let kept = try await Self.get(client, ann, try #require(try await Self.add(client, ann, "moving", gif).json()["emoji"]?["url"]?.string))
            #expect(kept.headers[.contentType] == "image/gif")
            #expect(Array(kept.body.readableBytesView) == gif)
        }
    }

    @Test func theSiteKeepsAtMostTwoThousand() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let rows = (1..<CustomEmojiController.maxCount).map { "('e\($0)', 'image/png', x'00', '0000000000000000', \(ann.id), NOW(3))" }
            try parley.execute(
                "INSERT INTO custom_emoji (name, content_type, data, version, created_by, created_at) VALUES \(rows.joined(separator: ","))")
            #expect(try await Self.add(client, ann, "last", Pictures.png(8, 8)).status == .created)
            try await Self.add(client, ann, "one_more", Pictures.png(8, 8)).expectError(.conflict, "too_many_emoji")
            #expect(try parley.count("custom_emoji") == CustomEmojiController.maxCount)
        }
    }
}
