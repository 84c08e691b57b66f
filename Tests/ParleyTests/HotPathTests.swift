import Foundation
import MariaDB
import Hummingbird
import NIOCore
import Testing

@testable import Parley

/// The hand reader of message bodies either reads a body exactly as `JSONDecoder` does, or leaves
/// it to the decoder.
struct FlatJSONTests {
    typealias PushBody = MessageController.PushBody

    static func decoded(_ text: String) -> PushBody? {
        try? ParleyJSON.decoder().decode(PushBody.self, from: ByteBuffer(string: text))
    }

    static func fast(_ text: String) -> PushBody? {
        FlatJSON.parse(ByteBuffer(string: text)).flatMap(PushBody.init(flat:))
    }

    static func same(_ a: PushBody, _ b: PushBody) -> Bool {
        a.text == b.text && a.replyTo == b.replyTo && a.clientId == b.clientId
    }

    @Test func readsWhatTheDecoderReads() throws {
        let body = #" { "text" : "h\u00e9llo \ud83d\udc4b \"q\" \\ \/ \n\t", "reply_to": -42, "client_id": null } "#
        let fast = try #require(Self.fast(body))
        #expect(fast.text == "héllo 👋 \"q\" \\ / \n\t")
        #expect(fast.replyTo == -42 && fast.clientId == nil)
        #expect(Self.same(fast, try #require(Self.decoded(body))))
        #expect(Self.fast(#"{"text":"a","client_id":"c-1","reply_to":9223372036854775807}"#)?.replyTo == Int64.max)
    }

    @Test(arguments: [
        #"{"text":"a","reply_to":1.5}"#, #"{"text":"a","reply_to":1e3}"#, #"{"text":"a","reply_to":01}"#,
        #"{"text":"a","reply_to":9223372036854775808}"#, #"{"text":"a","text":"b"}"#, #"{"text":"\ud800"}"#,
        #"{"text":"a"} x"#, #"{"text":"a",}"#, #"{"text":["a"]}"#, #"{"text":{"a":1}}"#, "{\"text\":\"a\tb\"}",
        #"{"text":"a","replyTo":1}"#, #"{"text":"a","extra":1}"#, #"["text"]"#, #"{"text":"\x"}"#, #"{"text":tru}"#, "",
    ])
    func leavesTheRestToTheDecoder(body: String) {
        #expect(Self.fast(body) == nil)
    }

    @Test func invalidUTF8IsLeftToTheDecoder() {
        var buffer = ByteBuffer(string: #"{"text":""#)
        buffer.writeBytes([0xC3, 0x28])
        buffer.writeString(#""}"#)
        #expect(FlatJSON.parse(buffer) == nil)
    }

    /// Random bodies built from fragments, some corrupted: whatever the hand reader accepts, the
    /// decoder reads the same.
    @Test func agreesWithTheDecoderOnRandomBodies() {
        var generator = SystemRandomNumberGenerator()
        let keys = [
            #""text""#, #""text""#, #""text""#, #""reply_to""#, #""reply_to""#, #""client_id""#, #""client_id""#, #""replyTo""#, #""te\u0078t""#,
            #""other""#,
        ]
        let values = [
            #""plain""#, #""é 👋 \"x\" \\ \/ \b\f\n\r\t \u0041 \ud83d\ude00""#, "\"\u{7f}\"", #""""#, "0", "-0", "7", "-12", "1.5", "1e3", "01",
            "9223372036854775807", "-9223372036854775808", "9223372036854775808", "true", "false", "null", "{}", "[]", #""\u12""#,
        ]
        let spaces = ["", " ", "\n", "\t ", "\r\n"]
        var accepted = 0
        var read = 0
        for _ in 0..<10_000 {
            var body = spaces.randomElement(using: &generator)! + "{"
            let count = Int.random(in: 0...3, using: &generator)
            for index in 0..<count {
                if index > 0 { body += "," + spaces.randomElement(using: &generator)! }
                body += keys.randomElement(using: &generator)! + spaces.randomElement(using: &generator)! + ":"
                body += spaces.randomElement(using: &generator)! + values.randomElement(using: &generator)!
            }
            body += spaces.randomElement(using: &generator)! + "}" + spaces.randomElement(using: &generator)!
            var bytes = Array(body.utf8)
            if Int.random(in: 0..<4, using: &generator) == 0, !bytes.isEmpty {
                bytes.remove(at: Int.random(in: 0..<bytes.count, using: &generator))
            }
            let text = String(decoding: bytes, as: UTF8.self)
            // The reader itself: every object it reads, the decoder reads with the same fields.
            if let flat = FlatJSON.parse(ByteBuffer(string: text)) {
                read += 1
                let decoded = try? JSONDecoder().decode([String: Flat].self, from: Data(text.utf8))
                #expect(decoded.map { $0.mapValues(\.value) } == flat.fields, "\(text)")
            }
            guard let fast = Self.fast(text) else { continue }
            accepted += 1
            let decoded = Self.decoded(text)
            #expect(decoded.map { Self.same(fast, $0) } == true, "\(text)")
        }
        // Not vacuous: many bodies were read by hand, and many of them as message bodies.
        #expect(read > 2000)
        #expect(accepted > 150)
    }

    /// A flat value as the decoder reads it.
    struct Flat: Decodable {
        let value: FlatJSON.Value
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                value = .null
            } else if let bool = try? container.decode(Bool.self) {
                value = .bool(bool)
            } else if let integer = try? container.decode(Int64.self) {
                value = .integer(integer)
            } else {
                value = .string(try container.decode(String.self))
            }
        }
    }

    @Test func contentTypes() {
        for yes in ["application/json", "Application/JSON; charset=utf-8", " application/json ;x", "application/vnd.api+json", "\tapplication/json"] {
            #expect(Request.isJSON(yes), "\(yes)")
        }
        for no in ["text/plain", "application/jsonx", "application/+json", "application/x-www-form-urlencoded", "", "json"] {
            #expect(!Request.isJSON(no), "\(no)")
        }
    }
}

/// The hand-written trim removes exactly what Foundation's `whitespacesAndNewlines` trim does.
struct WhitespaceTests {
    @Test func trimsAsFoundationDoes() {
        let spaces: [Unicode.Scalar] = [
            " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{200A}", "\u{2028}", "\u{2029}", "\u{202F}",
            "\u{205F}", "\u{3000}",
        ]
        let others: [Unicode.Scalar] = ["a", "é", "\u{301}", "\u{200B}", "\u{FEFF}", "😀", "\u{1F}", "\u{180E}", "x"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...8, using: &generator) {
                scalars.append(Bool.random(using: &generator) ? spaces.randomElement(using: &generator)! : others.randomElement(using: &generator)!)
            }
            let text = String(scalars)
            #expect(text.trimmedWhitespace == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        // Scalar by scalar over all of Unicode: the same set (U+200B included).
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "a" + String(scalar) + "b" + String(scalar)
            if CharacterSet.whitespacesAndNewlines.contains(scalar) != (text.trimmedWhitespace.unicodeScalars.count == 3) {
                Issue.record("U+\(String(value, radix: 16)) is trimmed differently")
            }
        }
    }
}

/// Query parameters and random tokens, read and made without the allocations they once took.
struct RequestPartsTests {
    @Test func queryParametersAreFoundInPlace() {
        let p = EventStreamHandler.parameter
        #expect(p("after", "/api/events?after=12&timeout=5") == "12")
        #expect(p("timeout", "/api/events?after=12&timeout=5") == "5")
        #expect(p("after", "/api/events?afterx=1&after=2") == "2")
        #expect(p("after", "/api/events?after&x=1") == "")
        #expect(p("after", "/api/events?after=&x=1") == "")
        #expect(p("after", "/api/events?after=1=2") == "1=2")
        #expect(p("after", "/api/events?x=1&&after=3") == "3")
        #expect(p("after", "/api/events?after=1&after=2") == "1")
        #expect(p("after", "/api/events") == nil)
        #expect(p("after", "/api/events?") == nil)
        #expect(p("after", "/api/events?x=after") == nil)
        #expect(p("é", "/api/events?é=ü") == "ü")
        // Decoded as other routes' parameters are (`QueryParameters`: `+` is a space); a broken
        // escape stays as it came.
        #expect(p("after", "/api/events?after=%31%32&timeout=%35") == "12")
        #expect(p("timeout", "/api/events?after=%31%32&timeout=%35") == "5")
        #expect(p("after", "/api/events?after=+5") == " 5")
        #expect(p("after", "/api/events?after=%2B5") == "+5")
        #expect(p("after", "/api/events?after=%3") == "%3")
        // A leading byte order mark is kept (Foundation's decoding dropped it, and a file name
        // starting with one passed the check for invisible characters); bytes that are not UTF-8,
        // or a broken escape anywhere, leave the text as sent.
        #expect(Array(QueryParameters.decode("%EF%BB%BFa.txt").utf8) == [0xEF, 0xBB, 0xBF] + Array("a.txt".utf8))
        #expect(QueryParameters.decode("caf%C3%A9+au+lait") == "café au lait")
        #expect(QueryParameters.decode("%FF%FE+x") == "%FF%FE x")
        #expect(QueryParameters.decode("ok%2Bfine%zz") == "ok%2Bfine%zz")
        #expect(QueryParameters.decode("%e2%82%ac") == "€")
    }

    @Test func sizesReadAsPeopleReadThem() {
        #expect(ReadableSize.of(26_214_400) == "25 MiB (26214400 bytes)")
        #expect(ReadableSize.of(65_536) == "64 KiB (65536 bytes)")
        #expect(ReadableSize.of(1_000_000) == "1000000 bytes")
        #expect(ReadableSize.of(512) == "512 bytes")
    }

    /// Cursors and timeouts are plain digits: no sign, no spaces.
    @Test func cursorsAndTimeoutsAreDigits() {
        #expect((try? EventController.cursor("05")) == 5)
        #expect((try? EventController.cursor("9223372036854775807")) == Int64.max)
        for text in ["+5", " 5", "5 ", "-0", "9223372036854775808", "%35", "0x1"] {
            #expect(throws: ParleyError.self) { try EventController.cursor(text) }
        }
        #expect((try? EventController.timeout("0")) == 0)
        // Empty is left out (the default), as an empty cursor is none.
        #expect((try? EventController.timeout("")) == EventController.defaultTimeout)
        #expect((try? EventController.cursor("")) == Int64?.none)
        for text in ["+5", " 1", "61"] {
            #expect(throws: ParleyError.self) { try EventController.timeout(text) }
        }
    }

    @Test func randomHexHasTheAskedLengthAndVaries() {
        for count in [1, 7, 8, 9, 16, 32] {
            let values = (0..<50).map { _ in SessionService.randomHex(bytes: count) }
            #expect(values.allSatisfy { $0.count == count * 2 && $0.allSatisfy(\.isHexDigit) && $0 == $0.lowercased() })
            if count >= 8 { #expect(Set(values).count == values.count) }
        }
        // Every nibble value turns up: the bytes are not cut short.
        #expect(Set(SessionService.randomHex(bytes: 512)).count == 16)
    }
}

/// The hub's membership intervals, searched rather than scanned: a user who joined and left a room
/// thousands of times sees exactly the events of the times they were in it.
@Suite struct MembershipIntervalTests {
    @Test func aUserSeesOnlyTheEventsOfTheirStays() {
        // Stays in room 7: joined at 10k, left at 10k + 5, for k = 1…4,000; the last stay is open.
        var memberships: [(user: Int64, room: Int64, from: Int64, to: Int64?)] = []
        for k in Int64(1)...4_000 {
            let to: Int64? = k == 4_000 ? nil : 10 * k + 5
            memberships.append((user: 1, room: 7, from: 10 * k, to: to))
        }
        memberships.shuffle()
        let hub = EventHub(position: 50_000, prunedThrough: 0, memberships: memberships)
        func event(_ id: Int64) -> LoggedEvent {
            LoggedEvent(id: id, type: "message.created", roomID: 7, userID: nil, subjectID: nil, createdAt: Date(), payload: "{}", message: nil)
        }
        let cases: [(Int64, Bool)] = [
            (9, false), (10, true), (12, true), (15, true), (16, false), (19, false), (20, true), (20_005, true), (20_006, false),
            (39_990, true), (39_995, true), (39_996, false), (40_000, true), (49_999, true),
        ]
        for (id, inside) in cases {
            #expect(hub.isVisible(event(id), to: 1) == inside, "\(id)")
        }
        #expect(!hub.isVisible(event(20), to: 2))
        #expect(EventHub.holds([], 5) == false)
    }
}

/// A hunt: an SSE stream catching up from the database (a slow reader, thousands of events behind)
/// went on past rows the pruner deleted meanwhile, with no `resync`, and its next live event moved
/// the client's cursor past the hole for good. The feed now looks at the pruned mark after every
/// page it reads, and turns the rest of the catch-up into a `resync`.
@Suite struct EventFeedPruneTests {
    @Test func aCatchUpThePrunerOvertakesEndsInAResync() async throws {
        let parley = try await TestParley.make()
        let start = Locked<(Int64, Int64)?>(nil)
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let cursor = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)
            for n in 1...30 { _ = try await MessageTests.say(client, alice, room: 1, "m\(n)") }
            start.set((bob.id, cursor))
        }
        let (bob, cursor) = try #require(start.get())
        let pool = MariaDBPool(configuration: try MariaDBConfiguration(url: parley.databaseURL), maxConnections: 2)
        let loaded = try await EventLogBootstrap.load(pool: pool)
        // A hub just started: its window is empty, so the whole backlog is read from the database.
        let hub = EventHub(position: loaded.position, prunedThrough: loaded.prunedThrough, memberships: loaded.memberships)
        let log = EventLog(pool: pool, allocator: EventIDAllocator(start: loaded.position), committed: { _ in }, released: {})
        func drain(_ feed: EventFeed) async throws -> [LoggedEvent] {
            var events: [LoggedEvent] = []
            while true {
                let page = try await feed.nextBacklog(limit: 10)
                if page.isEmpty { return events }
                events += page
            }
        }
        // Nothing pruned: every message comes, page after page.
        let whole = try await drain(EventFeed(userID: bob, sessionID: 1, after: cursor, hub: hub, log: log))
        let messages = whole.filter { $0.type == "message.created" }
        #expect(messages.count == 30 && !whole.contains { $0.type == EventType.resync })

        // Pruned between two pages (through the 15th message): the rest is one resync to the head.
        let slow = EventFeed(userID: bob, sessionID: 2, after: cursor, hub: hub, log: log)
        let first = try await slow.nextBacklog(limit: 10)
        #expect(first.map(\.id) == whole.prefix(10).map(\.id))
        let cutoff = messages[14].id
        try parley.execute("UPDATE event_log_state SET pruned_through = ? WHERE id = 1", [cutoff])
        hub.setPrunedThrough(cutoff)
        try parley.execute("DELETE FROM events WHERE id <= ?", [cutoff])
        let rest = try await drain(slow)
        #expect(rest.map(\.type) == [EventType.resync], "\(rest.map(\.type))")
        #expect(rest.first?.id == loaded.position && slow.cursor == loaded.position)
    }
}
