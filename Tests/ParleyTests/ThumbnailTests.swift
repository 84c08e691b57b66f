import CGD
import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import NIOConcurrencyHelpers
import Testing

@testable import Parley

/// Pictures made and read with libgd for the tests: four coloured quadrants, so that a thumbnail's
/// size, scaling and turn can all be checked from its pixels.
enum Pictures {
    enum Colour: Equatable { case red, green, blue, white }

    /// Top left red, top right green, bottom left blue, bottom right white.
    static func quadrants(_ width: Int, _ height: Int, palette: Bool = false) -> gdImagePtr {
        let image = palette ? gdImageCreate(Int32(width), Int32(height))! : gdImageCreateTrueColor(Int32(width), Int32(height))!
        let colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)].map {
            gdImageColorAllocate(image, Int32($0.0), Int32($0.1), Int32($0.2))
        }
        let (w, h) = (Int32(width), Int32(height))
        gdImageFilledRectangle(image, 0, 0, w / 2 - 1, h / 2 - 1, colours[0])
        gdImageFilledRectangle(image, w / 2, 0, w - 1, h / 2 - 1, colours[1])
        gdImageFilledRectangle(image, 0, h / 2, w / 2 - 1, h - 1, colours[2])
        gdImageFilledRectangle(image, w / 2, h / 2, w - 1, h - 1, colours[3])
        return image
    }

    static func bytes(_ image: gdImagePtr, _ encode: (gdImagePtr, UnsafeMutablePointer<Int32>) -> UnsafeMutableRawPointer?) -> [UInt8] {
        defer { gdImageDestroy(image) }
        var size: Int32 = 0
        let data = encode(image, &size)!
        defer { gdFree(data) }
        return Array(UnsafeRawBufferPointer(start: data, count: Int(size)))
    }

    static func png(_ width: Int, _ height: Int) -> [UInt8] { bytes(quadrants(width, height)) { gdImagePngPtr($0, $1) } }
    static func gif(_ width: Int, _ height: Int) -> [UInt8] { bytes(quadrants(width, height, palette: true)) { gdImageGifPtr($0, $1) } }
    /// A GIF of `width` × `height` whose frame sits at (`left`, `top`) on a screen of `screen`:
    /// the frame's quadrants, the rest of the screen left empty.
    static func gif(_ width: Int, _ height: Int, at left: Int, _ top: Int, screen: (width: Int, height: Int)) -> [UInt8] {
        var bytes = gif(width, height)
        func put16(_ value: Int, _ at: Int) { bytes[at] = UInt8(value & 0xFF); bytes[at + 1] = UInt8(value >> 8) }
        put16(screen.width, 6)
        put16(screen.height, 8)
        var at = 13 + (bytes[10] & 0x80 != 0 ? 3 << ((Int(bytes[10]) & 7) + 1) : 0)
        while bytes[at] == 0x21 {
            at += 2
            while bytes[at] != 0 { at += Int(bytes[at]) + 1 }
            at += 1
        }
        precondition(bytes[at] == 0x2C)
        put16(left, at + 1)
        put16(top, at + 3)
        return bytes
    }

    /// An animated WebP's start (extended header, animation flag, 32×32 canvas, then its ANIM
    /// chunk), which libgd does not decode.
    static var animatedWebP: [UInt8] {
        var chunks: [UInt8] = Array("VP8X".utf8) + [10, 0, 0, 0, 0x02, 0, 0, 0, 31, 0, 0, 31, 0, 0]
        chunks += Array("ANIM".utf8) + [6, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        return Array("RIFF".utf8) + withUnsafeBytes(of: UInt32(4 + chunks.count).littleEndian, Array.init) + Array("WEBP".utf8) + chunks
    }

    static func webp(_ width: Int, _ height: Int) -> [UInt8] { bytes(quadrants(width, height)) { gdImageWebpPtrEx($0, $1, 90) } }

    /// A JPEG whose EXIF block (right after the start marker) gives `orientation`.
    static func jpeg(_ width: Int, _ height: Int, orientation: UInt8? = nil) -> [UInt8] {
        let plain = bytes(quadrants(width, height)) { gdImageJpegPtr($0, $1, 95) }
        guard let orientation else { return plain }
        let exif: [UInt8] =
            Array("Exif".utf8) + [0, 0] + Array("MM".utf8) + [0, 42, 0, 0, 0, 8] + [0, 1] + [0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0]
            + [0, 0, 0, 0]
        let length = exif.count + 2
        return Array(plain[0..<2]) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + exif + Array(plain[2...])
    }

    /// A decoded WebP's size and the colour nearest each quadrant's middle (top left, top right,
    /// bottom left, bottom right).
    static func read(webp: [UInt8]) throws -> (width: Int, height: Int, quadrants: [Colour?]) {
        var copy = webp
        let image = try #require(copy.withUnsafeMutableBytes { gdImageCreateFromWebpPtr(Int32($0.count), $0.baseAddress) })
        defer { gdImageDestroy(image) }
        let (w, h) = (Int(image.pointee.sx), Int(image.pointee.sy))
        let middles = [(w / 4, h / 4), (3 * w / 4, h / 4), (w / 4, 3 * h / 4), (3 * w / 4, 3 * h / 4)]
        let found = middles.map { x, y -> Colour? in
            let pixel = gdImageGetTrueColorPixel(image, Int32(x), Int32(y))
            let (r, g, b) = (pixel >> 16 & 0xFF, pixel >> 8 & 0xFF, pixel & 0xFF)
            switch (r > 200, g > 200, b > 200) {
            case (true, false, false): return .red
            case (false, true, false): return .green
            case (false, false, true): return .blue
            case (true, true, true): return .white
            default: return nil
            }
        }
        return (w, h, found)
    }
}

/// Shared pictures: their size from the header, a thumbnail made at upload (scaled, turned as the
/// EXIF orientation says), who may read it, and files that get none.
@Suite struct ThumbnailTests {
    static func thumbnail(_ client: any TestClientProtocol, _ user: LoggedIn, _ id: Int64, _ headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = user.bearer
        fields.append(contentsOf: headers)
        return try await client.execute(uri: "/api/files/\(id)/thumbnail", method: .get, headers: fields)
    }

    /// Pictures are decoded on threads of their own: a login (bcrypt, on the hashing threads) is
    /// answered while large pictures are still being made small. On shared threads it waited for
    /// them (a hunt: 11 s behind 30 pictures of 7,000 pixels a side). Each request's own time is
    /// compared, not the order they end in: on a loaded machine the login's start may come late
    /// (the CI once saw a picture answered before it).
    @Test func aLoginDoesNotWaitForPicturesBeingMadeSmall() async throws {
        let parley = try await TestParley.make()
        // libgd takes a second or more to decode a picture this size, whatever the build.
        let big = Pictures.png(5000, 5000)
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let pictures = NIOLockedValueBox<[Duration]>([])
            let login = NIOLockedValueBox<Duration?>(nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<3 {
                    group.addTask {
                        let start = ContinuousClock.now
                        // A byte after its end makes each a file of its own.
                        let shared = try await FileTests.upload(client, ann, room: 1, big + [UInt8(n)], query: "name=big\(n).png")
                        #expect(shared.status == .created, "\(String(buffer: shared.body))")
                        pictures.withLockedValue { $0.append(ContinuousClock.now - start) }
                    }
                }
                group.addTask {
                    // By now every upload has arrived and its picture is being decoded or waits to be.
                    try await Task.sleep(for: .milliseconds(300))
                    let start = ContinuousClock.now
                    #expect(try await client.login("ann").status == .ok)
                    login.withLockedValue { $0 = ContinuousClock.now - start }
                }
                try await group.waitForAll()
            }
            // Behind the pictures it would take most of a picture's time (they take seconds, a
            // bcrypt a fifth of one); beside them, a small part of it.
            let shortest = try #require(pictures.withLockedValue { $0.min() })
            let loggedIn = try #require(login.withLockedValue { $0 })
            #expect(loggedIn < shortest / 2, "login \(loggedIn), pictures \(pictures.withLockedValue { $0 })")
            #expect(try parley.count("file_thumbnails") == 3)
        }
    }

    @Test func headersGiveEachFormatsSizeAndAJPEGsOrientation() throws {
        #expect(ImageInfo.read(Pictures.png(301, 17)) == ImageInfo(format: .png, width: 301, height: 17, orientation: 1))
        #expect(ImageInfo.read(Pictures.gif(40, 30)) == ImageInfo(format: .gif, width: 40, height: 30, orientation: 1))
        #expect(ImageInfo.read(Pictures.webp(123, 45)) == ImageInfo(format: .webp, width: 123, height: 45, orientation: 1))
        #expect(ImageInfo.read(Pictures.jpeg(64, 48)) == ImageInfo(format: .jpeg, width: 64, height: 48, orientation: 1))
        let turned = try #require(ImageInfo.read(Pictures.jpeg(64, 48, orientation: 8)))
        #expect(turned == ImageInfo(format: .jpeg, width: 64, height: 48, orientation: 8))
        #expect(turned.shownWidth == 48 && turned.shownHeight == 64)
        // Lossless (VP8L) and extended (VP8X) WebP headers, written by hand: 1000×700 and 5000×3000.
        let bits = (1000 - 1) | (700 - 1) << 14
        let lossless =
            Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8L".utf8) + [0, 0, 0, 0, 0x2F] + (0..<4).map { UInt8(bits >> (8 * $0) & 0xFF) }
            + [0, 0, 0, 0, 0]
        #expect(ImageInfo.read(lossless) == ImageInfo(format: .webp, width: 1000, height: 700, orientation: 1))
        let extended = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8X".utf8) + [10, 0, 0, 0, 0x10, 0, 0, 0] + [0x87, 0x13, 0] + [0xB7, 0x0B, 0]
        #expect(ImageInfo.read(extended) == ImageInfo(format: .webp, width: 5000, height: 3000, orientation: 1))
        // Not pictures, or cut short before their size.
        for bytes in [Array("hello, world".utf8), [0xFF, 0xD8, 0xFF, 0xDA, 0, 2], Array(Pictures.png(10, 10).prefix(20)), [0x89, 0x50], []] {
            #expect(ImageInfo.read(bytes) == nil)
        }
    }

    /// A JPEG whose metadata (XMP, Photoshop blocks, ICC profiles) runs past 256 KiB before its frame
    /// header is still a picture: its size and thumbnail come as for any other (a hunt's did not).
    @Test func aJPEGWithLargeMetadataIsStillAPicture() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let plain = Pictures.jpeg(64, 48)
            // Five APP13 segments of 54,000 bytes each after the start-of-image marker: 270 KB.
            var padded = Array(plain.prefix(2))
            for _ in 0..<5 { padded += [0xFF, 0xED, UInt8((54_002 >> 8) & 0xFF), UInt8(54_002 & 0xFF)] + Array(repeating: 0x20, count: 54_000) }
            padded += plain.dropFirst(2)
            #expect(ImageInfo.read(padded) == ImageInfo(format: .jpeg, width: 64, height: 48, orientation: 1))
            let shared = try await FileTests.upload(client, ann, room: 1, padded, query: "name=scan.jpg", type: "image/jpeg")
            #expect(shared.status == .created)
            let file = try #require(try shared.json()["message"]?["file"])
            #expect(file["width"] == .number(64) && file["height"] == .number(48))
            #expect(file["thumbnail_url"]?.string != nil)
            let id = try #require(file["id"]?.int)
            #expect(try await Self.thumbnail(client, ann, id).status == .ok)
        }
    }

    @Test func aSharedPictureCarriesItsSizeAndAThumbnailTurnedAsItsEXIFSays() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let bytes = Pictures.png(1600, 1200)
            let response = try await FileTests.upload(client, ann, room: 1, bytes, query: "name=plan.png")
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let file = try #require(try response.json()["message"]?["file"])
            let id = try #require(file["id"]?.int)
            #expect(file == .object([
                "id": .number(Double(id)), "name": .string("plan.png"), "size": .number(Double(bytes.count)), "content_type": .string("image/png"),
                "url": .string("/api/files/\(id)"), "width": .number(1600), "height": .number(1200),
                "thumbnail_url": .string("/api/files/\(id)/thumbnail"),
            ]))
            #expect(try await MessageTests.history(client, bob, room: 1).json()["messages"]?[0]?["file"] == file)
            let payload = try #require(try parley.query("SELECT payload FROM events WHERE type = 'message.created' ORDER BY id DESC LIMIT 1").first)
            #expect(try payload.decode("payload", as: String.self).contains(#""thumbnail_url":"/api/files/\#(id)/thumbnail""#))

            // At most 800 pixels a side, the quadrants where they were; cached for good, 304 when unchanged.
            let small = try await Self.thumbnail(client, bob, id)
            #expect(small.status == .ok)
            #expect(small.headers[.contentType] == "image/webp")
            #expect(small.headers[.cacheControl] == "private, max-age=31536000, immutable")
            #expect(small.headers[.contentLength] == String(small.body.readableBytes))
            #expect(small.body.readableBytes < bytes.count)
            let read = try Pictures.read(webp: Array(small.body.readableBytesView))
            #expect(read.width == 800 && read.height == 600)
            #expect(read.quadrants == [.red, .green, .blue, .white])
            let etag = try #require(small.headers[.eTag])
            #expect(try await Self.thumbnail(client, bob, id, [.ifNoneMatch: etag]).status == .notModified)
            #expect(try await FileTests.download(client, bob, id).headers[.eTag] != etag)

            // A JPEG taken on its side: shown 200×300, not enlarged, turned a quarter clockwise.
            let jpeg = try await FileTests.upload(
                client, ann, room: 1, Pictures.jpeg(300, 200, orientation: 6), query: "name=side.jpg", type: "image/jpeg")
            let side = try #require(try jpeg.json()["message"]?["file"])
            #expect(side["width"] == .number(200) && side["height"] == .number(300))
            let turned = try Pictures.read(webp: Array(try await Self.thumbnail(client, bob, try #require(side["id"]?.int)).body.readableBytesView))
            #expect(turned.width == 200 && turned.height == 300)
            #expect(turned.quadrants == [.blue, .red, .white, .green])

            // A palette GIF and a WebP, whatever type the client declared.
            for (bytes, name, width) in [(Pictures.gif(120, 80), "anim.gif", 120.0), (Pictures.webp(90, 60), "pic.webp", 90)] {
                let upload = try await FileTests.upload(client, ann, room: 1, bytes, query: "name=\(name)", type: "application/octet-stream")
                let shared = try #require(try upload.json()["message"]?["file"])
                #expect(shared["width"] == .number(width))
                let thumbnail = try await Self.thumbnail(client, ann, try #require(shared["id"]?.int))
                let made = try Pictures.read(webp: Array(thumbnail.body.readableBytesView))
                #expect(made.quadrants == [.red, .green, .blue, .white])
            }
            // A GIF whose first frame covers only part of its screen (libgd decodes the frame alone):
            // the frame where it sits, the rest transparent.
            let framed = try await FileTests.upload(
                client, ann, room: 1, Pictures.gif(60, 40, at: 60, 40, screen: (120, 80)), query: "name=framed.gif", type: "image/gif")
            let onScreen = try #require(try framed.json()["message"]?["file"])
            #expect(onScreen["width"] == .number(120) && onScreen["thumbnail_url"]?.string != nil)
            let shown = try Pictures.read(webp: Array(try await Self.thumbnail(client, ann, try #require(onScreen["id"]?.int)).body.readableBytesView))
            #expect(shown.width == 120 && shown.height == 80)
            #expect(shown.quadrants == [nil, nil, nil, .white])

            // A forward shares the picture again, thumbnail and all.
            let made = try await client.send(.post, "/api/rooms", json: #"{"name":"elsewhere"}"#, headers: ann.bearer)
            let elsewhere = try #require(try made.json()["room"]?["id"]?.int)
            let message = try #require(try response.json()["message"]?["id"]?.int)
            let forwarded = try #require(
                try await ForwardTests.forward(client, ann, message, #"{"room_id":\#(elsewhere)}"#).json()["message"]?["file"])
            let copy = try #require(forwarded["id"]?.int)
            #expect(copy != id)
            #expect(forwarded["thumbnail_url"]?.string == "/api/files/\(copy)/thumbnail")
            #expect(forwarded["width"] == .number(1600))
            #expect(try await Self.thumbnail(client, ann, copy).body == small.body)

            // Members only, as the file itself; deleting the message takes the thumbnail with it.
            try await Self.thumbnail(client, bob, copy).expectError(.forbidden, "not_a_member")
            try await client.execute(uri: "/api/files/\(id)/thumbnail", method: .get).expectError(.unauthorized, "unauthenticated")
            #expect(try parley.count("file_thumbnails") == 6)
            #expect(try await client.send(.delete, "/api/messages/\(message)", headers: ann.bearer).status == .noContent)
            try await Self.thumbnail(client, bob, id).expectError(.notFound, "file_not_found")
            #expect(try parley.count("file_thumbnails") == 5)
        }
    }

    @Test func filesSharedBeforeThumbnailsAreExaminedAfterwards() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let picture = try #require(try await FileTests.upload(client, ann, room: 1, Pictures.png(1000, 500)).json()["message"])
            let text = try #require(try await FileTests.upload(client, ann, room: 1, Array("notes".utf8), type: "text/plain").json()["message"])
            // As migration 029 leaves them: not examined, no sizes, no thumbnails, summaries without the keys.
            try parley.execute("UPDATE files SET examined = FALSE, width = NULL, height = NULL")
            try parley.execute("DELETE FROM file_thumbnails")
            for message in [picture, text] {
                let file = try #require(message["file"])
                let old = #"{"content_type":"\#(file["content_type"]!.string!)","id":\#(file["id"]!.int!),"name":"\#(file["name"]!.string!)","size":"#
                    + #"\#(file["size"]!.int!),"url":"\#(file["url"]!.string!)"}"#
                try parley.execute("UPDATE messages SET file_summary = ? WHERE id = ?", [old, message["id"]!.int!])
            }
            let before = try await MessageTests.history(client, ann, room: 1).json()["messages"]?.array ?? []
            #expect(before.compactMap { $0["file"]?["width"] } == [.null, .null])

            let store = FileStore(
                pool: MariaDBPool(configuration: try MariaDBConfiguration(url: parley.databaseURL), maxConnections: 1), threadPool: .singleton)
            #expect(try await store.examineOlderFiles() == 2)
            #expect(try await store.examineOlderFiles() == 0)
            await store.pool.shutdown()

            // Every read now has what an upload gets: the picture's size and thumbnail, the text's nulls.
            let after = try await MessageTests.history(client, ann, room: 1).json()["messages"]?.array ?? []
            #expect(after.compactMap { $0["file"] } == [text["file"]!, picture["file"]!])
            let id = try #require(picture["file"]?["id"]?.int)
            let made = try Pictures.read(webp: Array(try await Self.thumbnail(client, ann, id).body.readableBytesView))
            #expect(made.width == 800 && made.height == 400 && made.quadrants == [.red, .green, .blue, .white])
        }
    }

    @Test func filesThatAreNotPicturesOrDoNotReadAsOneGetNoThumbnail() async throws {
        let parley = try await TestParley.make { $0.maxUploadBytes = Thumbnails.maxBytes + 1024 }
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            func share(_ bytes: [UInt8], type: String = "image/png") async throws -> JSON {
                let response = try await FileTests.upload(client, ann, room: 1, bytes, type: type)
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return try #require(try response.json()["message"]?["file"])
            }
            // Text: no size and no thumbnail.
            let text = try await share(Array("just words".utf8), type: "text/plain")
            #expect(text["width"] == .null && text["height"] == .null && text["thumbnail_url"] == .null)
            try await Self.thumbnail(client, ann, try #require(text["id"]?.int)).expectError(.notFound, "no_thumbnail")
            // A PNG header claiming 60,000 pixels square in a few bytes: its size, but it is never decoded.
            var huge = Array(Pictures.png(10, 10))
            huge.replaceSubrange(16..<24, with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])
            let bomb = try await share(huge)
            #expect(bomb["width"] == .number(60000) && bomb["height"] == .number(60000) && bomb["thumbnail_url"] == .null)
            // Sides past PNG's 2^31 - 1 (whose product would overflow): no picture at all.
            huge.replaceSubrange(16..<24, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
            let beyond = try await share(huge)
            #expect(beyond["width"] == .null && beyond["thumbnail_url"] == .null)
            #expect(try await AvatarTests.put(client, ann, huge).status == .unprocessableContent)
            huge.replaceSubrange(16..<24, with: [0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF])
            let widest = try await share(huge)
            #expect(widest["width"] == .number(2_147_483_647) && widest["thumbnail_url"] == .null)
            #expect(try await AvatarTests.put(client, ann, huge).status == .unprocessableContent)
            // A picture damaged after its header: shared as a file with its size, without a thumbnail.
            var damaged = Pictures.png(200, 100)
            damaged.replaceSubrange(33..<damaged.count, with: Array(repeating: 0x42, count: 100))
            let broken = try await share(damaged)
            #expect(broken["width"] == .number(200) && broken["thumbnail_url"] == .null)
            try await Self.thumbnail(client, ann, try #require(broken["id"]?.int)).expectError(.notFound, "no_thumbnail")
            // Too many bytes for a thumbnail: the size only (the rest of the file is not kept in memory).
            let big = Pictures.png(20, 10) + Array(repeating: 0, count: Thumbnails.maxBytes)
            let large = try await share(big)
            #expect(large["width"] == .number(20) && large["thumbnail_url"] == .null)
            #expect(try parley.count("file_thumbnails") == 0)
            try await Self.thumbnail(client, ann, 999_999).expectError(.notFound, "file_not_found")
        }
    }
}
