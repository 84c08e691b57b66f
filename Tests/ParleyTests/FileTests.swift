import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import NIOCore
import Testing

@testable import Parley

/// Sharing files: upload as a message, download with ranges, storage in content-addressed chunks,
/// who may do what, limits, and what deleting leaves behind.
@Suite struct FileTests {
    static func upload(
        _ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ bytes: [UInt8], query: String = "name=photo.png",
        type: String? = "image/png"
    ) async throws -> TestResponse {
        var headers = user.bearer
        if let type { headers[.contentType] = type }
        return try await client.execute(uri: "/api/rooms/\(room)/files?\(query)", method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    static func download(_ client: any TestClientProtocol, _ user: LoggedIn, _ id: Int64, _ headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = user.bearer
        fields.append(contentsOf: headers)
        return try await client.execute(uri: "/api/files/\(id)", method: .get, headers: fields)
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test func aFileIsSharedAsAMessageAndMembersDownloadItWithRanges() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let bytes = Self.randomBytes(2 * FileStore.chunkSize + 12_345)
            let response = try await Self.upload(client, alice, room: 1, bytes, query: "name=holiday%20photo.png&text=%20look%21%20")
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let message = try #require(try response.json()["message"])
            #expect(message.keys == MessageTests.messageKeys)
            #expect(message["text"]?.string == "look!")
            let file = try #require(message["file"])
            let id = try #require(file["id"]?.int)
            #expect(file == .object([
                "id": .number(Double(id)), "name": .string("holiday photo.png"), "size": .number(Double(bytes.count)),
                "content_type": .string("image/png"), "url": .string("/api/files/\(id)"),
                // Random bytes are no picture, whatever the declared type.
                "width": .null, "height": .null, "thumbnail_url": .null,
            ]))
            // Every read of the message carries the file; so does its event.
            let history = try await MessageTests.history(client, bob, room: 1).json()
            #expect(history["messages"]?.array?.first?["file"] == file)
            let payload = try #require(try parley.query("SELECT payload FROM events WHERE type = 'message.created' ORDER BY id DESC LIMIT 1").first)
            #expect(try payload.decode("payload", as: String.self).contains(#""url":"/api/files/\#(id)""#))
            // Three chunks: two of 1 MiB and the rest.
            #expect(try parley.count("file_chunks") == 3)

            let whole = try await Self.download(client, bob, id)
            #expect(whole.status == .ok)
            #expect(Array(whole.body.readableBytesView) == bytes)
            #expect(whole.headers[.contentType] == "image/png")
            #expect(whole.headers[.contentLength] == String(bytes.count))
            #expect(whole.headers[.contentDisposition] == #"inline; filename="holiday photo.png"; filename*=UTF-8''holiday%20photo.png"#)
            #expect(whole.headers[.acceptRanges] == "bytes")
            #expect(whole.headers[.init("X-Content-Type-Options")!] == "nosniff")
            #expect(whole.headers[.contentSecurityPolicy]?.contains("sandbox") == true)
            let etag = try #require(whole.headers[.eTag])

            // A range across the first chunk boundary, an open one, a suffix, and one past the end.
            let boundary = FileStore.chunkSize
            let across = try await Self.download(client, bob, id, [.range: "bytes=\(boundary - 5)-\(boundary + 4)"])
            #expect(across.status == .partialContent)
            #expect(Array(across.body.readableBytesView) == Array(bytes[(boundary - 5)...(boundary + 4)]))
            #expect(across.headers[.contentRange] == "bytes \(boundary - 5)-\(boundary + 4)/\(bytes.count)")
            let tail = try await Self.download(client, bob, id, [.range: "bytes=\(bytes.count - 3)-"])
            #expect(Array(tail.body.readableBytesView) == Array(bytes.suffix(3)))
            let suffix = try await Self.download(client, bob, id, [.range: "bytes=-2000000"])
            #expect(Array(suffix.body.readableBytesView) == Array(bytes.suffix(2_000_000)))
            let past = try await Self.download(client, bob, id, [.range: "bytes=\(bytes.count)-"])
            past.expectError(.rangeNotSatisfiable, "range_not_satisfiable")
            #expect(past.headers[.contentRange] == "bytes */\(bytes.count)")
            // Several ranges, or nonsense: the whole file.
            #expect(try await Self.download(client, bob, id, [.range: "bytes=0-1,5-6"]).body.readableBytes == bytes.count)
            #expect(try await Self.download(client, bob, id, [.range: "bytes=x-y"]).status == .ok)
            // The ETag names the content: a client that has it gets 304.
            #expect(try await Self.download(client, bob, id, [.ifNoneMatch: etag]).status == .notModified)
            // Compared weakly, and found in a list (RFC 9110); a list without it gets the file.
            for header in ["W/\(etag)", "\"other\", \(etag)", "\"other\",W/\(etag) "] {
                #expect(try await Self.download(client, bob, id, [.ifNoneMatch: header]).status == .notModified, "\(header)")
            }
            #expect(try await Self.download(client, bob, id, [.ifNoneMatch: "\"other\", W/\"another\""]).status == .ok)
            // If-Range: the range only while the client's copy is this one (a strong match);
            // another tag, a weak one or a date gets the whole file (RFC 9110 §13.1.5).
            let resumed = try await Self.download(client, bob, id, [.range: "bytes=0-3", .ifRange: etag])
            #expect(resumed.status == .partialContent && resumed.body.readableBytes == 4)
            for validator in ["\"other\"", "W/\(etag)", "Sat, 05 Dec 2026 02:00:00 GMT"] {
                let fresh = try await Self.download(client, bob, id, [.range: "bytes=0-3", .ifRange: validator])
                #expect(fresh.status == .ok && fresh.body.readableBytes == bytes.count, "\(validator)")
                #expect(fresh.headers[.contentRange] == nil)
            }

            // The same bytes again are stored once; a file's type not meant for the page is a download.
            let again = try await Self.upload(client, bob, room: 1, bytes, query: "name=copy.html", type: "text/html; charset=utf-8")
            #expect(again.status == .created)
            #expect(try parley.count("file_chunks") == 3)
            #expect(try parley.count("files") == 2)
            let copy = try #require(try again.json()["message"]?["file"]?["id"]?.int)
            let html = try await Self.download(client, alice, copy)
            #expect(html.headers[.contentType] == "text/html")
            #expect(html.headers[.contentDisposition] == #"attachment; filename="copy.html"; filename*=UTF-8''copy.html"#)
            #expect(html.headers[.eTag] == etag)
            // A name in any script is sent as ASCII in the header (RFC 5987).
            let named = try await Self.upload(client, bob, room: 1, [1, 2], query: "name=r%C3%A9sum%C3%A9%20%E6%97%A5.pdf", type: "application/pdf")
            let namedID = try #require(try named.json()["message"]?["file"]?["id"]?.int)
            #expect(try named.json()["message"]?["file"]?["name"]?.string == "résumé 日.pdf")
            let disposition = try await Self.download(client, alice, namedID).headers[.contentDisposition]
            #expect(disposition == #"attachment; filename="r_sum_ _.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E6%97%A5.pdf"#)
            // A query is read as forms write it (Python's requests, URLSearchParams): `+` is a space,
            // `%2B` a plus.
            let formed = try await Self.upload(client, bob, room: 1, [1, 2], query: "name=Q3+report+%2B+notes.pdf&text=see+attached", type: "application/pdf")
            #expect(try formed.json()["message"]?["file"]?["name"]?.string == "Q3 report + notes.pdf")
            #expect(try formed.json()["message"]?["text"]?.string == "see attached")
            let listed = try await client.send(.get, "/api/rooms/1/files?name=report+%2B", headers: alice.bearer).json()["messages"]?.array
            #expect(listed?.compactMap { $0["file"]?["name"]?.string } == ["Q3 report + notes.pdf"])
            // A name filter sent decomposed (é as e and a combining accent, as macOS pastes it)
            // finds the name, stored composed.
            let accented = try await client.send(.get, "/api/rooms/1/files?name=re%CC%81sume%CC%81", headers: alice.bearer).json()["messages"]?.array
            #expect(accented?.compactMap { $0["file"]?["name"]?.string } == ["résumé 日.pdf"])
            // Text shown in place is declared UTF-8, whatever charset the upload named.
            let text = try await Self.upload(client, bob, room: 1, Array("café".utf8), query: "name=notes.txt", type: "text/plain; charset=utf-8")
            let textID = try #require(try text.json()["message"]?["file"]?["id"]?.int)
            let shown = try await Self.download(client, alice, textID)
            #expect(shown.headers[.contentType] == "text/plain; charset=utf-8" && shown.headers[.contentDisposition]?.hasPrefix("inline") == true)
            #expect(try text.json()["message"]?["file"]?["content_type"] == .string("text/plain"))
            // Phones' voice memos and videos play in place too.
            for type in ["audio/mp4", "video/quicktime", "image/heic", "audio/x-wav", "audio/wave", "audio/x-flac"] {
                let media = try await Self.upload(client, bob, room: 1, [7, 7], query: "name=memo", type: type)
                let mediaID = try #require(try media.json()["message"]?["file"]?["id"]?.int)
                #expect(try await Self.download(client, alice, mediaID).headers[.contentDisposition]?.hasPrefix("inline") == true, "\(type)")
            }
        }
    }

    /// A file shared in answer to a message (`reply_to`), as a message is: a caption written in
    /// answer to someone went as a message of its own (a hunt).
    @Test func aFileIsSharedAsAReply() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let room = try await MessageTests.room(client, alice, #"{"name":"answers"}"#, members: [bob])
            let question = try await MessageTests.say(client, alice, room: room, "a picture of it?")
            let elsewhere = try await MessageTests.say(client, alice, room: 1, "in main")
            let answer = try await Self.upload(client, bob, room: room, [1, 2, 3], query: "name=it.png&text=here&reply_to=\(question)")
            #expect(answer.status == .created)
            #expect(try answer.json()["message"]?["reply_to"]?.int == question)
            #expect(try answer.json()["message"]?["text"] == .string("here"))
            let messages = try parley.count("messages", where: "room_id = \(room)")
            try await Self.upload(client, bob, room: room, [4], query: "name=x.png&reply_to=\(elsewhere)").expectError(.unprocessableContent, "invalid_reply_to")
            try await Self.upload(client, bob, room: room, [4], query: "name=x.png&reply_to=999999").expectError(.unprocessableContent, "invalid_reply_to")
            try await Self.upload(client, bob, room: room, [4], query: "name=x.png&reply_to=first").expectError(.badRequest, "invalid_request")
            #expect(try parley.count("messages", where: "room_id = \(room)") == messages)
        }
    }

    @Test func onlyMembersShareAndDownloadAndRefusalsStoreNothing() async throws {
        let parley = try await TestParley.make { $0.maxUploadBytes = 1000 }
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let group = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"inner","kind":"group"}"#, headers: alice.bearer).json()["room"]?["id"]?.int)
            let open = try #require(try await client.send(.post, "/api/rooms", json: #"{"name":"open"}"#, headers: alice.bearer).json()["room"]?["id"]?.int)
            let inGroup = try #require(try await Self.upload(client, alice, room: group, [1, 2, 3]).json()["message"]?["file"]?["id"]?.int)
            let inOpen = try #require(try await Self.upload(client, alice, room: open, [4, 5, 6]).json()["message"]?["file"]?["id"]?.int)
            #expect(try parley.count("file_chunks") == 2)

            try await Self.upload(client, bob, room: group, [7]).expectError(.notFound, "room_not_found")
            try await Self.upload(client, bob, room: open, [7]).expectError(.forbidden, "not_a_member")
            try await Self.download(client, bob, inGroup).expectError(.notFound, "file_not_found")
            try await Self.download(client, bob, inOpen).expectError(.forbidden, "not_a_member")
            try await Self.download(client, bob, 999_999).expectError(.notFound, "file_not_found")
            try await client.execute(uri: "/api/files/\(inOpen)", method: .get).expectError(.unauthorized, "unauthenticated")

            // Muted members share nothing.
            #expect(try await client.send(.post, "/api/rooms/\(open)/join", headers: bob.bearer).status == .ok)
            #expect(try await client.send(.post, "/api/rooms/\(open)/mutes", json: #"{"user_id":\#(bob.id)}"#, headers: alice.bearer).status == .created)
            try await Self.upload(client, bob, room: open, [8]).expectError(.forbidden, "muted")
            // Once a member, Bob downloads the room's files, from before he joined too.
            #expect(try await Self.download(client, bob, inOpen).status == .ok)

            try await Self.upload(client, alice, room: open, []).expectError(.unprocessableContent, "empty_file")
            try await Self.upload(client, alice, room: open, Array(repeating: 1, count: 1001)).expectError(.contentTooLarge, "payload_too_large")
            try await Self.upload(client, alice, room: open, [9], query: "name=a%0Ab").expectError(.unprocessableContent, "invalid_file_name")
            // 128 accented letters, each a letter and an accent with no composed form: 256 code points, one too many.
            try await Self.upload(client, alice, room: open, [9], query: "name=" + String(repeating: "x%CC%81", count: 128))
                .expectError(.unprocessableContent, "invalid_file_name")
            try await Self.upload(client, alice, room: open, [9], query: "name=x&text=\(String(repeating: "y", count: 4001))")
                .expectError(.unprocessableContent, "invalid_text")
            // Invisible formatting in a name: a right-to-left override showed "\u{202E}gnp.exe" as
            // "exe.png"; a byte order mark alone was a name that shows nothing.
            // Nor a name of characters that show nothing though they are letters or marks (Hangul
            // fillers, the braille blank, the combining grapheme joiner).
            for name in ["%E2%80%AEgnp.exe", "%EF%BB%BF", "a%C2%ADb.txt", "%E2%A0%80", "%E3%85%A4", "%E1%85%9F", "%CD%8F", "%E3%85%A4%20%E2%A0%80"] {
                try await Self.upload(client, alice, room: open, [9], query: "name=\(name)").expectError(.unprocessableContent, "invalid_file_name")
            }
            #expect(try parley.count("file_chunks") == 2)
            #expect(try parley.count("files") == 2)
            // Decomposed (as macOS writes names), they are composed: 128 code points.
            let composed = try await Self.upload(client, alice, room: open, [8], query: "name=" + String(repeating: "e%CC%81", count: 128))
            #expect(try composed.json()["message"]?["file"]?["name"]?.string == String(repeating: "é", count: 128))
            #expect(try await client.send(.delete, "/api/messages/\(try #require(try composed.json()["message"]?["id"]?.int))", headers: alice.bearer).status == .noContent)
            // A caption of only a byte order mark is no caption; a caption may be edited away, as it may be left out.
            let captioned = try await Self.upload(client, alice, room: open, [12], query: "name=n.txt&text=%EF%BB%BF")
            let noCaption = try #require(try captioned.json()["message"])
            #expect(noCaption["text"] == .string(""))
            let described = try await Self.upload(client, alice, room: open, [13], query: "name=m.txt&text=see%20this")
            let describedID = try #require(try described.json()["message"]?["id"]?.int)
            let emptied = try await client.send(.patch, "/api/messages/\(describedID)", json: #"{"text":"  "}"#, headers: alice.bearer)
            #expect(emptied.status == .ok, "\(String(buffer: emptied.body))")
            #expect(try emptied.json()["message"]?["text"] == .string(""))
            // A message without a file still needs its text.
            let said = try await MessageTests.say(client, alice, room: open, "words")
            try await client.send(.patch, "/api/messages/\(said)", json: #"{"text":"  "}"#, headers: alice.bearer)
                .expectError(.unprocessableContent, "invalid_text")

            // A name starting with a byte order mark is refused as any invisible character is; a
            // caption keeps it, as a message's text does.
            try await Self.upload(client, alice, room: open, [10], query: "name=%EF%BB%BFa.txt").expectError(.unprocessableContent, "invalid_file_name")
            let marked = try await Self.upload(client, alice, room: open, [10], query: "name=a.txt&text=%EF%BB%BFhi")
            #expect(try marked.json()["message"]?["text"]?.string.map { Array($0.utf8) } == [0xEF, 0xBB, 0xBF, 0x68, 0x69])
            // No type, or one that does not read as a type: stored as bytes; slashes leave the name.
            let plain = try await Self.upload(client, alice, room: open, [10], query: "name=..%2Fetc%2Fpasswd", type: nil)
            #expect(try plain.json()["message"]?["file"]?["content_type"]?.string == "application/octet-stream")
            #expect(try plain.json()["message"]?["file"]?["name"]?.string == ".._etc_passwd")
            #expect(try await Self.upload(client, alice, room: open, [11], type: "not a type").json()["message"]?["file"]?["content_type"]?.string
                == "application/octet-stream")
            // A type that says nothing (none, or curl's default for `--data-binary`): a picture is
            // told by its bytes (never by its name), another file by its name's extension.
            let unsaid: [(bytes: [UInt8], name: String, type: String?, stored: String, shown: String)] = [
                (Pictures.png(4, 4), "shot", "application/x-www-form-urlencoded", "image/png", "inline"),
                (Pictures.jpeg(4, 4), "photo.PNG", nil, "image/jpeg", "inline"),
                (Pictures.gif(4, 4), "a.bin", "application/octet-stream", "image/gif", "inline"),
                ([1, 2, 3], "fake.png", "application/x-www-form-urlencoded", "application/octet-stream", "attachment"),
                ([1, 2, 3], "Report.PDF", "application/x-www-form-urlencoded", "application/pdf", "attachment"),
                (Array("hello".utf8), "notes.txt", nil, "text/plain", "inline"),
                ([1, 2, 3], "memo.m4a", "application/octet-stream", "audio/mp4", "inline"),
                ([1, 2, 3], "archive.tar.gz", nil, "application/octet-stream", "attachment"),
                // A type the sender did say is kept.
                (Pictures.png(4, 4), "shot.png", "image/x-custom", "image/x-custom", "attachment"),
            ]
            for file in unsaid {
                let shared = try await Self.upload(client, alice, room: open, file.bytes, query: "name=\(file.name)", type: file.type)
                let stored = try #require(try shared.json()["message"]?["file"])
                #expect(stored["content_type"]?.string == file.stored, "\(file.name)")
                let fetched = try await Self.download(client, alice, try #require(stored["id"]?.int))
                #expect(fetched.headers[.contentDisposition]?.hasPrefix(file.shown) == true, "\(file.name)")
            }
        }
    }

    /// One's own file stays downloadable after leaving (or being removed from) its room: the data
    /// export lists it and says `downloadFile` gives its bytes (a hunt got 404). Others' files of
    /// that room do not, and a deleted message's file is gone for its sender too.
    @Test func ownFilesStayDownloadableAfterLeavingTheirRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let group = try await client.group("inner", of: alice, with: bob)
            let mine = try #require(try await Self.upload(client, bob, room: group, [1, 2, 3]).json()["message"])
            let theirs = try #require(try await Self.upload(client, alice, room: group, [4, 5, 6]).json()["message"]?["file"]?["id"]?.int)
            let gone = try #require(try await Self.upload(client, bob, room: group, [7, 8]).json()["message"])
            #expect(try await client.send(.delete, "/api/messages/\(try #require(gone["id"]?.int))", headers: bob.bearer).status == .noContent)
            #expect(try await client.send(.post, "/api/rooms/\(group)/leave", headers: bob.bearer).status == .noContent)
            let download = try await Self.download(client, bob, try #require(mine["file"]?["id"]?.int))
            #expect(download.status == .ok && Array(buffer: download.body) == [1, 2, 3])
            try await Self.download(client, bob, theirs).expectError(.notFound, "file_not_found")
            try await Self.download(client, bob, try #require(gone["file"]?["id"]?.int)).expectError(.notFound, "file_not_found")
        }
    }

    @Test func deletingTheMessageTakesTheFileAndItsBytesAndTheSweeperWhatUploadsLeft() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let shared = try await Self.upload(client, alice, room: 1, Self.randomBytes(5000)).json()["message"]
            let message = try #require(shared?["id"]?.int)
            let file = try #require(shared?["file"]?["id"]?.int)
            let keptBytes = Self.randomBytes(5000)
            let kept = try await Self.upload(client, alice, room: 1, keptBytes).json()["message"]?["file"]?["id"]?.int
            // A second message shares the kept file's bytes: deleting it leaves them to the first.
            let twin = try #require(try await Self.upload(client, alice, room: 1, keptBytes).json()["message"]?["id"]?.int)
            #expect(try parley.count("file_chunks") == 2)
            #expect(try await client.send(.delete, "/api/messages/\(message)", headers: alice.bearer).status == .noContent)
            try await Self.download(client, alice, file).expectError(.notFound, "file_not_found")
            let tombstone = try await client.send(.get, "/api/messages/\(message)", headers: alice.bearer).json()["message"]
            #expect(tombstone?["file"] == .null)
            // The deleted file's bytes are gone at once; the shared ones stay.
            #expect(try parley.count("file_chunks") == 1)
            #expect(try await client.send(.delete, "/api/messages/\(twin)", headers: alice.bearer).status == .noContent)
            #expect(try parley.count("file_chunks") == 1)
            #expect(try parley.count("files") == 1)

            // The sweeper takes chunks unused for an hour (uploads that never completed); it leaves
            // the kept file's and a fresh unused one (an upload going on).
            let store = FileStore(
                pool: MariaDBPool(configuration: try MariaDBConfiguration(url: parley.databaseURL), maxConnections: 1), threadPool: .singleton)
            try parley.execute("INSERT INTO file_chunks (sha256, size, data, touched_at) VALUES (?, 1, 'a', NOW(3) - INTERVAL 2 HOUR)", [Array(repeating: UInt8(1), count: 32)])
            try parley.execute("INSERT INTO file_chunks (sha256, size, data, touched_at) VALUES (?, 1, 'b', NOW(3))", [Array(repeating: UInt8(2), count: 32)])
            try parley.execute("UPDATE file_chunks SET touched_at = NOW(3) - INTERVAL 2 HOUR WHERE data <> 'b'")
            #expect(try parley.count("file_chunks") == 3)
            try await store.sweep()
            await store.pool.shutdown()
            #expect(try parley.count("file_chunks") == 2)
            let keptFile = try #require(kept)
            #expect(try await Self.download(client, alice, keptFile).body.readableBytes == 5000)
        }
    }

    @Test func deletingARoomTakesItsFilesBytesAtOnceButNotBytesAnotherRoomShares() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            let alice = try await client.signUp("alice")
            let room = try #require(try await client.send(.post, "/api/rooms", json: #"{"name":"doomed"}"#, headers: alice.bearer).json()["room"]?["id"]?.int)
            let other = try #require(try await client.send(.post, "/api/rooms", json: #"{"name":"other"}"#, headers: alice.bearer).json()["room"]?["id"]?.int)
            let sharedBytes = Self.randomBytes(3000)
            _ = try await Self.upload(client, alice, room: room, Self.randomBytes(FileStore.chunkSize + 10))  // two chunks of its own
            _ = try await Self.upload(client, alice, room: room, sharedBytes)
            let survivor = try #require(try await Self.upload(client, alice, room: other, sharedBytes).json()["message"]?["file"]?["id"]?.int)
            #expect(try parley.count("file_chunks") == 3)
            #expect(try await client.send(.delete, "/api/rooms/\(room)", headers: alice.bearer).status == .noContent)
            // Its own two chunks went with it; the one the other room's file uses stays, and reads.
            #expect(try parley.count("files") == 1)
            #expect(try parley.count("file_chunks") == 1)
            #expect(Array(try await Self.download(client, alice, survivor).body.readableBytesView) == sharedBytes)
            // A site admin's deletion does the same.
            #expect(try await client.send(.delete, "/api/admin/rooms/\(other)", headers: root.bearer).status == .noContent)
            #expect(try parley.count("files") == 0)
            #expect(try parley.count("file_chunks") == 0)
        }
    }

    /// An upload whose chunk was removed before it completed (a file of the same bytes deleted
    /// meanwhile) is told apart from the other foreign-key failure of posting (a deleted room):
    /// it answers 503, to be sent again, not `room_not_found`.
    @Test func aChunkLostBeforeTheUploadCompletesIsToldApart() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let message = try #require(try await Self.upload(client, alice, room: 1, [1, 2, 3]).json()["message"]?["file"]?["id"]?.int)
            let lost = #expect(throws: MariaDBError.self) {
                try parley.execute(
                    "INSERT INTO file_parts (file_id, seq, chunk_sha256, byte_offset, size) VALUES (?, 1, ?, 3, 1)",
                    [message, Array(repeating: UInt8(9), count: 32)])
            }
            #expect(lost.map(FileStore.lostChunk) == true)
            let room = #expect(throws: MariaDBError.self) {
                try parley.execute(
                    "INSERT INTO messages (room_id, sender_id, text, created_at) VALUES (999999, ?, 'x', NOW(3))", [alice.id])
            }
            #expect(room?.code == 1452)
            #expect(room.map(FileStore.lostChunk) == false)
        }
    }

    @Test func largeFilesStreamThroughARealConnection() async throws {
        let parley = try await TestParley.make()
        try await parley.run(.live) { client in
            let alice = try await client.signUp("alice")
            let bytes = Self.randomBytes(3 * FileStore.chunkSize + 7)
            let response = try await Self.upload(client, alice, room: 1, bytes, query: "name=big.bin", type: "application/octet-stream")
            #expect(response.status == .created)
            let id = try #require(try response.json()["message"]?["file"]?["id"]?.int)
            let whole = try await Self.download(client, alice, id)
            #expect(whole.headers[.contentLength] == String(bytes.count))
            #expect(Array(whole.body.readableBytesView) == bytes)
            let middle = try await Self.download(client, alice, id, [.range: "bytes=1000000-2100000"])
            #expect(Array(middle.body.readableBytesView) == Array(bytes[1_000_000...2_100_000]))
        }
    }

    @Test func rangesReadAsTheRFCSays() {
        #expect(FileController.range(nil, size: 10) == .whole)
        #expect(FileController.range("bytes=0-4", size: 10) == .part(0...4))
        #expect(FileController.range("bytes=5-", size: 10) == .part(5...9))
        #expect(FileController.range("bytes=5-100", size: 10) == .part(5...9))
        #expect(FileController.range("bytes=-3", size: 10) == .part(7...9))
        #expect(FileController.range("bytes=-30", size: 10) == .part(0...9))
        #expect(FileController.range("bytes=10-", size: 10) == .unsatisfiable)
        #expect(FileController.range("bytes=-0", size: 10) == .unsatisfiable)
        #expect(FileController.range("bytes=4-2", size: 10) == .whole)
        #expect(FileController.range("items=0-4", size: 10) == .whole)
        #expect(FileController.range("bytes=0-1,3-4", size: 10) == .whole)
        #expect(FileController.range("bytes=a-b", size: 10) == .whole)
        // Positions too big for 64 bits are past the end, not a malformed header (the whole file).
        #expect(FileController.range("bytes=99999999999999999999999-", size: 10) == .unsatisfiable)
        #expect(FileController.range("bytes=2-99999999999999999999999", size: 10) == .part(2...9))
        #expect(FileController.range("bytes=-99999999999999999999999", size: 10) == .part(0...9))
        #expect(FileController.range("bytes=+5-", size: 10) == .whole)
        // The unit in any case, and empty list elements skipped (RFC 9110 §14.1, §5.6.1).
        #expect(FileController.range("Bytes=0-4", size: 10) == .part(0...4))
        #expect(FileController.range("BYTES=-3", size: 10) == .part(7...9))
        #expect(FileController.range("bytes=2-3, ,", size: 10) == .part(2...3))
        #expect(FileController.range("bytes=, 2-3", size: 10) == .part(2...3))
        #expect(FileController.range("bytes=,", size: 10) == .whole)
        #expect(FileController.range("bytes =0-4", size: 10) == .whole)
        #expect(FileController.contentType("Image/PNG; charset=x") == "image/png")
        #expect(FileController.contentType("text/html\"><script>") == "application/octet-stream")
    }
}
