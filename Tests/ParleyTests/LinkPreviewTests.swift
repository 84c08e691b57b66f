import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MariaDB
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Testing
import TestSupport

@testable import Parley

/// Link previews: the server reads the pages a message links to after posting it, and the room's
/// members get their titles in `message.previews`; only public addresses unless told otherwise.
@Suite struct LinkPreviewTests {
    /// Web pages on loopback, counting the requests for each path.
    struct PageServer {
        let port: Int
        let requests: NIOLockedValueBox<[String: Int]>

        func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }
        func count(_ path: String) -> Int { requests.withLockedValue { $0[path] ?? 0 } }
    }

    static let article = """
        <!doctype html><html><head>
        <!-- <meta property="og:title" content="Not this one"> -->
        <title>Fallback title</title>
        <script>var s = "<meta property='og:title' content='nor this'>";</script>
        <meta property="og:title" content="Tom &amp; Jerry &lt;b&gt; &#x1F600;">
        <meta content='A  cat
           and a mouse.' property=og:description>
        <META NAME="description" CONTENT="Plain description">
        <meta property="og:site_name" content="Cartoons">
        </head><body><meta property="og:title" content="In the body"></body></html>
        """

    static func withPageServer(_ body: @escaping @Sendable (PageServer) async throws -> Void) async throws {
        let requests = NIOLockedValueBox<[String: Int]>([:])
        let router = Router()
        router.middlewares.add(
            CountingMiddleware { path in requests.withLockedValue { $0[path, default: 0] += 1 } })
        @Sendable func html(_ text: String) -> Response {
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/article") { _, _ in html(Self.article) }
        router.get("/titled") { _, _ in html("<html><head><title>\n  Just a\ttitle  </title></head></html>") }
        router.get("/untitled") { _, _ in html("<html><head><meta name=\"description\" content=\"no title\"></head></html>") }
        router.get("/plain") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "<title>not html</title>")))
        }
        router.get("/missing") { _, _ in Response(status: .notFound, headers: [.contentType: "text/html"]) }
        router.get("/redirect") { _, _ in Response(status: .found, headers: [.location: "/titled"]) }
        router.get("/loop") { _, _ in Response(status: .movedPermanently, headers: [.location: "/loop"]) }
        router.get("/code") { _, _ in html("<title>code</title>") }
        // A page whose picture is a relative URL, the picture (1000×500, four colours), and one that is not a picture.
        router.get("/pictured") { _, _ in
            html("<title>With a picture</title><meta property=\"og:image\" content=\"/picture.png\">")
        }
        let picture = Pictures.png(1000, 500)
        router.get("/picture.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: picture)))
        }
        router.get("/pictured-again") { _, _ in
            html("<title>The same picture</title><meta property=\"og:image\" content=\"/picture.png\">")
        }
        router.get("/broken") { _, _ in html("<title>Broken picture</title><meta property=\"og:image\" content=\"/plain\">") }
        var logger = Logger(label: "pages")
        logger.logLevel = .critical
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in found.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body(PageServer(port: port, requests: requests))
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    struct CountingMiddleware<Context: RequestContext>: RouterMiddleware {
        let count: @Sendable (String) -> Void
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            count(request.uri.path)
            return try await next(request, context)
        }
    }

    /// Long-polls until an event of `type` arrives (at most 20 s); the events read and the cursor after them.
    static func waitFor(
        _ type: String, _ client: some TestClientProtocol, after cursor: Int64, headers: HTTPFields
    ) async throws -> (events: [JSON], cursor: Int64) {
        var cursor = cursor
        var seen: [JSON] = []
        let start = ContinuousClock.now
        while start.duration(to: .now) < .seconds(20) {
            let body = try await client.send(.get, "/api/events?after=\(cursor)&timeout=5", headers: headers).json()
            seen += body["events"]?.array ?? []
            cursor = body["cursor"]?.int ?? cursor
            if seen.contains(where: { $0["type"] == .string(type) }) { break }
        }
        return (seen, cursor)
    }

    @Test func membersGetThePreviewsOfTheLinksInAMessage() async throws {
        try await Self.withPageServer { pages in
            let parley = try await TestParley.make { $0.linkPreviews = .any }
            try await parley.run { client in
                let ada = try await client.signUp("ada")
                let bo = try await client.signUp("bob")
                let cy = try await client.signUp("cyd")
                let room = try #require(
                    try await client.send(.post, "/api/rooms", json: #"{"name":"links"}"#, headers: ada.bearer).json()["room"]?["id"]?.int)
                #expect(try await client.send(.post, "/api/rooms/\(room)/join", headers: bo.bearer).status == .ok)
                let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bo.bearer).json()["cursor"]?.int)

                // Three links get previews at most, each once; code and pages that give no title get none.
                let text =
                    "see \(pages.url("/article")), \(pages.url("/plain")) (\(pages.url("/redirect"))) `\(pages.url("/code"))` "
                    + "\(pages.url("/article")) \(pages.url("/missing"))"
                let posted = try await client.send(.post, "/api/rooms/\(room)/messages", json: jsonString(["text": text]), headers: ada.bearer)
                #expect(posted.status == .created)
                let message = try #require(try posted.json()["message"])
                let id = try #require(message["id"]?.int)
                // The answer does not wait for the pages.
                #expect(message["previews"] == .array([]))

                let (events, cursor) = try await Self.waitFor("message.previews", client, after: head, headers: bo.bearer)
                let previewed = try #require(events.first { $0["type"] == .string("message.previews") })
                #expect(previewed["room_id"]?.int == room)
                let data = try #require(previewed["data"])
                #expect(data["message_id"]?.int == id && data["room_id"]?.int == room)
                let expected: JSON = .array([
                    .object([
                        "url": .string(pages.url("/article")), "title": .string("Tom & Jerry <b> 😀"), "description": .string("A cat and a mouse."),
                        "site_name": .string("Cartoons"), "image_url": .null, "image_width": .null, "image_height": .null,
                    ]),
                    // A redirect is followed; the preview keeps the link as written.
                    .object([
                        "url": .string(pages.url("/redirect")), "title": .string("Just a title"), "description": .null, "site_name": .null,
                        "image_url": .null, "image_width": .null, "image_height": .null,
                    ]),
                ])
                #expect(data["previews"] == expected)
                // Only the first three links were read, the one in code not at all.
                #expect(pages.count("/article") == 1 && pages.count("/plain") == 1 && pages.count("/titled") == 1)
                #expect(pages.count("/code") == 0 && pages.count("/missing") == 0)
                // History has them too; someone outside the room heard nothing.
                let history = try await client.send(.get, "/api/rooms/\(room)/messages", headers: bo.bearer).json()["messages"]?.array ?? []
                #expect(history.first?["previews"] == expected)
                let cyEvents = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: cy.bearer).json()["events"]?.array ?? []
                #expect(!cyEvents.contains { $0["type"] == .string("message.previews") })

                // The same link again comes from the cache, without reading the page again.
                let again = try #require(
                    try await client.send(
                        .post, "/api/rooms/\(room)/messages", json: jsonString(["text": "again: \(pages.url("/article"))"]), headers: bo.bearer
                    ).json()["message"]?["id"]?.int)
                let (more, cursor2) = try await Self.waitFor("message.previews", client, after: cursor, headers: bo.bearer)
                #expect(more.first { $0["type"] == .string("message.previews") }?["data"]?["message_id"]?.int == again)
                #expect(pages.count("/article") == 1)

                // Its sender or a moderator may take them away, for good; the room hears so.
                try await client.send(.delete, "/api/messages/\(again)/previews", headers: cy.bearer).expectError(.forbidden, "not_a_member")
                #expect(try await client.send(.delete, "/api/messages/\(again)/previews", headers: ada.bearer).status == .noContent)
                let (removal, afterRemoval) = try await Self.waitFor("message.previews", client, after: cursor2, headers: bo.bearer)
                let removed = try #require(removal.first { $0["type"] == .string("message.previews") }?["data"])
                #expect(removed["message_id"]?.int == again && removed["previews"] == .array([]))
                #expect(try await client.send(.delete, "/api/messages/\(again)/previews", headers: bo.bearer).status == .noContent)
                let quiet = try await client.send(.get, "/api/events?after=\(afterRemoval)&timeout=0", headers: bo.bearer).json()["events"]?.array ?? []
                #expect(!quiet.contains { $0["type"] == .string("message.previews") })
                let shown = try await client.send(.get, "/api/messages/\(again)", headers: bo.bearer).json()["message"]?["previews"]
                #expect(shown == .array([]))

                // An edit that drops the links drops the previews at once.
                let edited = try await client.send(
                    .patch, "/api/messages/\(id)", json: #"{"text":"never mind"}"#, headers: ada.bearer)
                #expect(edited.status == .ok)
                #expect(try edited.json()["message"]?["previews"] == .array([]))
                #expect(try parley.count("messages", where: "id = \(id) AND preview_summary IS NULL") == 1)
                // An edit to other links brings theirs.
                let relinked = try await client.send(
                    .patch, "/api/messages/\(id)", json: jsonString(["text": "this: \(pages.url("/titled"))"]), headers: ada.bearer)
                #expect(try relinked.json()["message"]?["previews"] == .array([]))
                let (third, cursor3) = try await Self.waitFor("message.previews", client, after: afterRemoval, headers: bo.bearer)
                let update = try #require(third.first { $0["type"] == .string("message.previews") }?["data"])
                #expect(update["message_id"]?.int == id && update["previews"]?.array?.map { $0["title"] } == [.string("Just a title")])
                // An edit that keeps the same links keeps their previews.
                let reworded = try await client.send(
                    .patch, "/api/messages/\(id)", json: jsonString(["text": "look: \(pages.url("/titled"))!"]), headers: ada.bearer)
                #expect(try reworded.json()["message"]?["previews"]?.array?.count == 1)
                // A tombstone has none.
                let deleted = try await client.send(.delete, "/api/messages/\(id)", headers: ada.bearer)
                #expect(deleted.status == .ok || deleted.status == .noContent)
                #expect(try parley.count("messages", where: "id = \(id) AND preview_summary IS NULL") == 1)
                let tombstone = try await client.send(.get, "/api/rooms/\(room)/messages", headers: bo.bearer).json()["messages"]?.array?
                    .first { $0["id"]?.int == id }
                #expect(tombstone?["previews"] == .array([]))
                try await client.send(.delete, "/api/messages/\(id)/previews", headers: ada.bearer).expectError(.conflict, "message_deleted")
                _ = cursor3
            }
        }
    }

    /// A page's picture is read by the server, made at most 400 pixels a side as WebP and served by
    /// Parley to anyone logged in; readers never fetch from the linked site.
    /// A poll's question gets no previews, as posted or as edited.
    @Test func aPollsQuestionGetsNoPreviewsEvenEdited() async throws {
        try await Self.withPageServer { pages in
            let parley = try await TestParley.make { $0.linkPreviews = .any }
            try await parley.run { client in
                let ada = try await client.signUp("ada")
                let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ada.bearer).json()["cursor"]?.int)
                let poll = try #require(
                    try await client.send(
                        .post, "/api/rooms/1/polls", json: #"{"question":"which? \#(pages.url("/titled"))","options":["a","b"]}"#,
                        headers: ada.bearer
                    ).json()["message"]?["id"]?.int)
                let edited = try await client.send(
                    .patch, "/api/messages/\(poll)", json: jsonString(["text": "which now? \(pages.url("/article"))"]), headers: ada.bearer)
                #expect(edited.status == .ok)
                // A message posted after them gets its preview: by then theirs would have been read.
                #expect(try await client.send(
                    .post, "/api/rooms/1/messages", json: jsonString(["text": pages.url("/pictured")]), headers: ada.bearer).status == .created)
                let (events, _) = try await Self.waitFor("message.previews", client, after: head, headers: ada.bearer)
                let previewed = events.filter { $0["type"] == .string("message.previews") }
                #expect(previewed.count == 1 && previewed.first?["data"]?["message_id"]?.int != poll && previewed.first?["data"]?["message_id"] != nil, "\(previewed)")
                #expect(pages.count("/titled") == 0 && pages.count("/article") == 0)
                #expect(try await client.send(.get, "/api/messages/\(poll)", headers: ada.bearer).json()["message"]?["previews"] == .array([]))
            }
        }
    }

    /// A shared file's caption is a message's text: its links get previews from the upload on.
    @Test func aFilesCaptionGetsThePreviewsOfItsLinks() async throws {
        try await Self.withPageServer { pages in
            let parley = try await TestParley.make { $0.linkPreviews = .any }
            try await parley.run { client in
                let ada = try await client.signUp("ada")
                let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ada.bearer).json()["cursor"]?.int)
                let caption = "notes from \(pages.url("/article"))".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let shared = try await client.execute(
                    uri: "/api/rooms/1/files?name=notes.txt&text=\(caption)", method: .post, headers: ada.bearer, body: ByteBuffer(string: "x"))
                #expect(shared.status == .created)
                let id = try #require(try shared.json()["message"]?["id"]?.int)
                let (events, _) = try await Self.waitFor("message.previews", client, after: head, headers: ada.bearer)
                let previewed = try #require(events.first { $0["type"] == .string("message.previews") })
                #expect(previewed["data"]?["message_id"]?.int == id)
                #expect(try await client.send(.get, "/api/messages/\(id)", headers: ada.bearer).json()["message"]?["previews"]?.array?.count == 1)
            }
        }
    }

    @Test func aPagesPictureIsServedByParley() async throws {
        try await Self.withPageServer { pages in
            let parley = try await TestParley.make { $0.linkPreviews = .any }
            try await parley.run { client in
                let ada = try await client.signUp("ada")
                let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ada.bearer).json()["cursor"]?.int)
                let main = try #require(
                    try await client.send(.get, "/api/rooms", headers: ada.bearer).json()["mine"]?.array?.first { $0["name"] == .string("main") }?["id"]?
                        .int)
                let text = "\(pages.url("/pictured")) \(pages.url("/broken"))"
                #expect(try await client.send(.post, "/api/rooms/\(main)/messages", json: jsonString(["text": text]), headers: ada.bearer).status == .created)
                let (events, _) = try await Self.waitFor("message.previews", client, after: head, headers: ada.bearer)
                let previews = try #require(events.first { $0["type"] == .string("message.previews") }?["data"]?["previews"]?.array)
                #expect(previews.count == 2)
                let pictured = try #require(previews.first)
                #expect(pictured["title"] == .string("With a picture") && pictured["image_width"]?.int == 400 && pictured["image_height"]?.int == 200)
                let url = try #require(pictured["image_url"]?.string)
                #expect(url.hasPrefix("/api/previews/images/"))
                // A picture that is not one leaves the preview without.
                #expect(previews[1]["title"] == .string("Broken picture") && previews[1]["image_url"] == .null && previews[1]["image_width"] == .null)

                let served = try await client.send(.get, url, headers: ada.bearer)
                #expect(served.status == .ok && served.headers[.contentType] == "image/webp")
                #expect(served.headers[.cacheControl] == "private, max-age=31536000, immutable")
                let image = try Pictures.read(webp: Array(buffer: served.body))
                #expect(image.width == 400 && image.height == 200 && image.quadrants == [.red, .green, .blue, .white])
                #expect(try parley.count("preview_images") == 1)
                // Logged-in users only; an unknown or malformed name is not found.
                try await client.send(.get, url).expectError(.unauthorized, "unauthenticated")
                try await client.send(.get, "/api/previews/images/\(String(repeating: "0", count: 64))", headers: ada.bearer)
                    .expectError(.notFound, "image_not_found")
                try await client.send(.get, "/api/previews/images/xyz", headers: ada.bearer).expectError(.notFound, "image_not_found")
            }
        }
    }

    /// Waits (at most 20 s) until `condition` holds.
    static func eventually(_ condition: () throws -> Bool) async throws -> Bool {
        let start = ContinuousClock.now
        while start.duration(to: .now) < .seconds(20) {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }

    /// A picture is kept while a message shows it, and swept an hour after the last one stopped
    /// (deleted, edited to other links, previews removed) or after it was last stored, whichever is later.
    @Test func picturesNoMessageShowsAreSwept() async throws {
        try await Self.withPageServer { pages in
            let parley = try await TestParley.make { $0.linkPreviews = .any }
            try await parley.run { client in
                let ada = try await client.signUp("ada")
                let sweeper = MariaDBPool(configuration: try MariaDBConfiguration(url: parley.databaseURL), maxConnections: 1)
                func post(_ path: String) async throws -> Int64 {
                    try #require(
                        try await client.send(.post, "/api/rooms/1/messages", json: jsonString(["text": "see \(pages.url(path))"]), headers: ada.bearer)
                            .json()["message"]?["id"]?.int)
                }
                let shown = { try parley.count("message_preview_images") }
                let first = try await post("/pictured")
                #expect(try await Self.eventually { try shown() == 1 })
                // The same link again comes from the cache, and names the same picture.
                let second = try await post("/pictured")
                let third = try await post("/pictured")
                #expect(try await Self.eventually { try shown() == 3 })
                #expect(try pages.count("/picture.png") == 1 && parley.count("preview_images") == 1)
                let url = try #require(
                    try await client.send(.get, "/api/messages/\(third)", headers: ada.bearer).json()["message"]?["previews"]?[0]?["image_url"]?.string)

                // Old, but shown: kept.
                try parley.execute("UPDATE preview_images SET touched_at = NOW(3) - INTERVAL 2 HOUR")
                #expect(try await LinkPreviews.sweepImages(sweeper) == 0)
                // Each way a message stops showing it.
                #expect(try await client.send(.delete, "/api/messages/\(first)", headers: ada.bearer).status == .noContent)
                #expect(try await client.send(.patch, "/api/messages/\(second)", json: #"{"text":"no link now"}"#, headers: ada.bearer).status == .ok)
                #expect(try shown() == 1)
                #expect(try await client.send(.delete, "/api/messages/\(third)/previews", headers: ada.bearer).status == .noContent)
                #expect(try shown() == 0)

                // Read again from another page (the same bytes): young again, so kept for now.
                let fourth = try await post("/pictured-again")
                #expect(try await Self.eventually { try shown() == 1 })
                #expect(pages.count("/picture.png") == 2)
                #expect(try await client.send(.delete, "/api/messages/\(fourth)", headers: ada.bearer).status == .noContent)
                #expect(try shown() == 0)
                #expect(try await LinkPreviews.sweepImages(sweeper) == 0)
                #expect(try await client.send(.get, url, headers: ada.bearer).status == .ok)

                // An hour on, nothing shows it: swept; a fresh one nothing shows yet stays.
                try parley.execute("UPDATE preview_images SET touched_at = NOW(3) - INTERVAL 61 MINUTE")
                try parley.execute(
                    "INSERT INTO preview_images (hash, data, width, height, touched_at) VALUES (?, 'x', 1, 1, NOW(3))", [Array(repeating: UInt8(7), count: 32)])
                #expect(try await LinkPreviews.sweepImages(sweeper) == 1)
                #expect(try parley.count("preview_images") == 1)
                try await client.send(.get, url, headers: ada.bearer).expectError(.notFound, "image_not_found")
                await sweeper.shutdown()
            }
        }
    }

    /// Migration 044 finds the pictures that messages already showed, so the first sweep keeps them.
    @Test func theMigrationRecordsThePicturesAlreadyShown() async throws {
        let migration = try await MigrationStep.before("044")
        defer { migration.remove() }
        let pool = migration.pool
        let shown = String(repeating: "ab", count: 32)
        let unshown = String(repeating: "cd", count: 32)
        try await pool.execute("INSERT INTO users (username, display_name, password_hash, created_at) VALUES ('ada', 'Ada', 'x', NOW(3))")
        for hash in [shown, unshown] {
            try await pool.execute("INSERT INTO preview_images (hash, data, width, height, created_at) VALUES (UNHEX(?), 'x', 1, 1, NOW(3) - INTERVAL 2 HOUR)", [hash])
        }
        let previews = try LinkPreview.encodedList([
            LinkPreview(url: "https://a.example/", title: "A", description: nil, siteName: nil, imageUrl: PreviewImageController.url(hash: shown)),
            LinkPreview(url: "https://b.example/", title: "B", description: nil, siteName: nil),
        ])
        try await pool.execute(
            """
            INSERT INTO messages (room_id, sender_id, text, created_at, preview_summary)
            VALUES (1, (SELECT id FROM users WHERE username = 'ada'), 'two links', NOW(3), ?)
            """, [previews])
        #expect(try await migration.apply() == 1)
        let rows = try await pool.query("SELECT LOWER(HEX(hash)) AS h FROM message_preview_images")
        #expect(try rows.map { try $0.decode("h", as: String.self) } == [shown])
        #expect(try await LinkPreviews.sweepImages(pool) == 1)
        #expect(try await pool.query("SELECT LOWER(HEX(hash)) AS h FROM preview_images").map { try $0.decode("h", as: String.self) } == [shown])
        await pool.shutdown()
    }

    /// By default the server reads only public addresses: a message cannot make it read its own
    /// network, neither directly nor through a redirect or a name that resolves there.
    @Test func thePublicPolicyReadsNoPrivateAddress() async throws {
        for host in ["127.0.0.1", "localhost", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "::ffff:127.0.0.1", "fd00::1"] {
            await #expect(throws: PageFetcher.Refused.self, "\(host)") { _ = try await PageFetcher.checkedAddress(host: host, policy: .public) }
        }
        // A numeric name that the resolver reads as an address is checked as that address.
        await #expect(throws: PageFetcher.Refused.self) { _ = try await PageFetcher.checkedAddress(host: "2130706433", policy: .public) }
        #expect(try await PageFetcher.checkedAddress(host: "93.184.215.14", policy: .public) == "93.184.215.14")
        #expect(try await PageFetcher.checkedAddress(host: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", policy: .public) == "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
        #expect(try await PageFetcher.checkedAddress(host: "127.0.0.1", policy: .any) == "127.0.0.1")

        let table: [(String, Bool)] = [
            ("8.8.8.8", true), ("100.63.255.255", true), ("100.64.0.1", false), ("172.15.255.255", true), ("172.32.0.1", true),
            ("172.31.255.255", false), ("192.0.2.1", false), ("198.18.0.1", false), ("203.0.113.9", false), ("224.0.0.1", false),
            ("255.255.255.255", false), ("2001:4860:4860::8888", true), ("2001:db8::1", false), ("fe80::1", false), ("ff02::1", false),
            ("::", false), ("64:ff9b::a00:1", false), ("64:ff9b::808:808", true), ("::ffff:8.8.8.8", true),
        ]
        for (text, expected) in table {
            #expect(IPAddress.isPublic(try #require(IPAddress.parse(text))) == expected, "\(text)")
        }

        // End to end: the page on loopback is never asked for, and the server's default is this policy.
        #expect(AppConfig().linkPreviews == .public)
        try await Self.withPageServer { pages in
            let logger = Logger(label: "test")
            #expect(await PageFetcher(policy: .public, logger: logger).preview(of: pages.url("/article")) == nil)
            #expect(await PageFetcher(policy: .public, logger: logger).preview(of: "http://localhost:\(pages.port)/redirect") == nil)
            #expect(pages.count("/article") == 0 && pages.count("/redirect") == 0)
            let any = PageFetcher(policy: .any, logger: logger)
            #expect(await any.preview(of: "http://localhost:\(pages.port)/redirect")?.preview.title == "Just a title")
            // Redirects are followed three times at most.
            #expect(await any.preview(of: pages.url("/loop")) == nil)
            #expect(pages.count("/loop") == PageFetcher.maxRedirects + 1)
        }
    }

    @Test func linksAreFoundOutsideCodeWithoutTheirPunctuation() {
        let cases: [(String, [String])] = [
            ("see https://a.example/x.", ["https://a.example/x"]),
            ("(https://a.example/wiki/Foo_(bar)) and http://b.example/?q=1&r=2, ok", ["https://a.example/wiki/Foo_(bar)", "http://b.example/?q=1&r=2"]),
            ("`https://code.example/` and ```\nhttps://block.example/\n``` but https://c.example", ["https://c.example"]),
            ("https://1.example https://2.example https://1.example https://3.example https://4.example", [
                "https://1.example", "https://2.example", "https://3.example",
            ]),
            ("nohttps://x.example ftp://y.example http:// https://", []),
            ("*https://bold.example/* <https://angle.example/>", ["https://bold.example/", "https://angle.example/"]),
            ("HTTPS://UPPER.example/Path", ["HTTPS://UPPER.example/Path"]),
            // Closing brackets past the opened ones are left out, however many (counted once).
            ("(see http://a.bc/x_(y)).)" + String(repeating: ")", count: 3980), ["http://a.bc/x_(y)"]),
            ("((http://a.bc/(x)))", ["http://a.bc/(x)"]),
            // A word of many starts that are no URLs is given up after a few (each once scanned it to its end).
            (String(repeating: "(http://%", count: 440) + " http://after.example", ["http://after.example"]),
            ("(http://%(http://%(http://%(http://ok.example", ["http://ok.example"]),
        ]
        for (text, expected) in cases {
            #expect(MessageLinks.find(text) == expected, "\(text)")
        }
    }

    @Test func pagesGiveTheirOpenGraphTagsOrTheirTitle() {
        let meta = PageMeta.parse(Self.article)
        #expect(
            meta.preview(url: "u")
                == LinkPreview(url: "u", title: "Tom & Jerry <b> 😀", description: "A cat and a mouse.", siteName: "Cartoons"))
        #expect(PageMeta.parse("<title>T &amp;amp; &bogus; &#65;</title><meta name=description content=D>").preview(url: "u")
            == LinkPreview(url: "u", title: "T &amp; &bogus; A", description: "D", siteName: nil))
        #expect(PageMeta.decodeEntities("tr&egrave;s &nbsp;&yuml;&Agrave;&copy;&euro;") == "très \u{A0}ÿÀ©€")
        #expect(PageMeta.namedEntities.count == 17 + 96)
        // Pages in Latin-1 or windows-1252 say so in their Content-Type or an early meta tag.
        let latin: [UInt8] = Array("<meta charset=\"windows-1252\"><title>Caf".utf8) + [0xE9, 0x20, 0x93, 0x71, 0x94] + Array("</title>".utf8)
        #expect(PageMeta.parse(PageFetcher.decode(latin, contentType: "text/html")).title == "Café “q”")
        #expect(PageFetcher.decode([0x43, 0x61, 0x66, 0xE9], contentType: "text/html; charset=ISO-8859-1".lowercased()) == "Café")
        #expect(PageFetcher.decode(Array("Café".utf8), contentType: "text/html; charset=utf-8") == "Café")
        #expect(PageMeta.parse("<head><meta name=\"description\" content=\"x\"></head>").preview(url: "u") == nil)
        #expect(PageMeta.parse("<title>   </title>").preview(url: "u") == nil)
        let long = PageMeta.parse("<title>\(String(repeating: "a", count: 400))</title>").preview(url: "u")
        #expect(long?.title.count == PageMeta.maxTitle && long?.title.hasSuffix("…") == true)
        // Comments and scripts hide what they hold, in any case, however many a page has (each
        // once copied the rest of the page to search it: this page took minutes).
        let hidden = "<!-- <title>no</title> --><!--><SCRIPT>\"<title>no</title>\"</Script><style></STYLE>"
        let busy = String(repeating: "<!---->", count: 20_000) + String(repeating: "<script></script>", count: 10_000)
        #expect(PageMeta.parse(hidden + busy + "<title>yes</title>").title == "yes")
        // Control characters, written or as references, are left out.
        #expect(PageMeta.parse("<title>a\u{0}b&#0;c&#x7;</title><meta name=description content='x&#0;y'>").preview(url: "u")
            == LinkPreview(url: "u", title: "abc", description: "xy", siteName: nil))
        // So are the controls that reorder or hide text (a title could read backwards, spoofing a
        // site's name); joiners that emoji and Persian need stay.
        #expect(PageMeta.parse("<title>pay\u{202E}lmth.exe&#x2066;x\u{2069}\u{200B}y\u{FEFF}</title><meta property=og:site_name content='a&#x202D;b\u{2060}c'><meta name=description content='👩\u{200D}💻 می\u{200C}خواهم'>").preview(url: "u")
            == LinkPreview(url: "u", title: "paylmth.exexy", description: "👩\u{200D}💻 می\u{200C}خواهم", siteName: "abc"))
        // Broken markup ends without a crash.
        for broken in ["<", "<meta", "<meta content=\"x", "<title>x", "<!-- open", "<script>x", "&#xFFFFFFFF;&#99999999;"] {
            _ = PageMeta.parse(broken).preview(url: "u")
        }
    }
}
