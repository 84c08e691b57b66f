import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Parley

/// Keywords: words a user watches for, which notify them like a mention, privately.
@Suite struct KeywordTests {
    /// `{"keywords": list}`.
    static func body(_ list: [String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: ["keywords": list]), as: UTF8.self)
    }

    /// The user's notifications, newest first, as (reason, text).
    static func notifications(_ client: some TestClientProtocol, _ user: LoggedIn) async throws -> [(String?, String?)] {
        let list = try await client.send(.get, "/api/me/summary", headers: user.bearer).json()["notifications"]?.array ?? []
        return list.map { ($0["reason"]?.string, $0["message"]?["text"]?.string) }
    }

    /// Whole words only, found wherever they overlap a near miss, and in time linear in the text.
    @Test func keywordsMatchWholeWords() {
        let cases: [(String, String, Bool)] = [
            ("release", "the release is out", true), ("release", "prereleases", false), ("release", "release_notes", false),
            ("release notes", "see release notes!", true), ("aab", "aaab", false), ("aab", "a aab.", true),
            ("ab ab", "ab ab ab", true), ("ab ab", "abab ab", false), ("#rel", "a#rel", false), ("#rel", "x #rel", true),
            ("café", "au café.", true), ("ca", "café", false), ("cafe", "un cafe\u{301}", false), ("x2", "x2²", false),
            // Chinese and Japanese have no spaces: found inside a run, and beside other letters.
            ("会议", "明天的会议取消", true), ("会议", "Parley会议", true), ("parley", "parley会议", true), ("会议", "会 议", false),
            ("コーヒー", "コーヒーを飲みたい", true), ("rel", "rel会议", true), ("rel", "会议release", false),
            (String(repeating: "a", count: 64), String(repeating: "a", count: 4_000), false),
            (String(repeating: "a", count: 63) + "b", String(repeating: "a", count: 4_000) + " " + String(repeating: "a", count: 63) + "b", true),
        ]
        for (keyword, text, expected) in cases {
            #expect(Keywords.occurring([keyword], in: Array(text.unicodeScalars)) == (expected ? [keyword] : []), "\(keyword) in \(text.prefix(20))")
        }
        // All at once, each as on its own.
        let text = Array("see release notes! a aab. x #rel, au café.".unicodeScalars)
        #expect(
            Keywords.occurring(["release notes", "aab", "#rel", "café", "ca", "rel", "notes!", "see", "elease", "ab", "x #"], in: text)
                == ["release notes", "aab", "#rel", "café", "rel", "notes!", "see"])
    }

    /// A keyword and a text spelled with an accent composed or apart (NFC or NFD, as macOS writes
    /// names) match either way: the hunt's keyword "café" missed "cafe" with a combining accent.
    @Test func keywordsMatchWhateverTheAccentsSpelling() throws {
        let index = KeywordIndex()
        index.set(1, try Keywords.normalize(["Café"]))
        index.set(2, try Keywords.normalize(["Cafe\u{301} au lait"]))
        #expect(try Keywords.normalize(["Cafe\u{301}"]) == ["café"])
        #expect(index.watchers(of: "un cafe\u{301} s'il vous plaît", members: [1, 2, 3], senderID: 3) == [1])
        #expect(index.watchers(of: "un CAFÉ AU LAIT", members: [1, 2, 3], senderID: 3) == [1, 2])
        #expect(index.watchers(of: "un cafe au lait", members: [1, 2, 3], senderID: 3) == [])
    }

    /// Many keywords of many lengths against texts of few letters (many near misses, many windows
    /// of each length), compared with a plain search at every position.
    @Test func keywordsFoundTogetherAreThoseFoundOneByOne() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = ["a", "b", " ", "#", "é", "\u{301}"]
        func word(_ length: Int) -> [Unicode.Scalar] { (0..<length).map { _ in alphabet.randomElement(using: &generator)! } }
        func plain(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar]) -> Bool {
            guard pattern.count <= text.count else { return false }
            let isWord: (Unicode.Scalar) -> Bool = { $0 != " " && $0 != "#" }
            return (0...(text.count - pattern.count)).contains { start in
                text[start..<start + pattern.count].elementsEqual(pattern)
                    && (start == 0 || !isWord(text[start - 1]))
                    && (start + pattern.count == text.count || !isWord(text[start + pattern.count]))
            }
        }
        for _ in 0..<200 {
            let text = word(Int.random(in: 0...300, using: &generator))
            let keywords = (0..<Int.random(in: 1...60, using: &generator)).map { _ -> [Unicode.Scalar] in
                // Half of them cut from the text itself, so that many are there.
                let length = Int.random(in: 1...8, using: &generator)
                guard Bool.random(using: &generator), text.count >= length else { return word(length) }
                let start = Int.random(in: 0...(text.count - length), using: &generator)
                return Array(text[start..<start + length])
            }
            let strings = keywords.map { String(String.UnicodeScalarView($0)) }
            let expected = Set(zip(keywords, strings).filter { plain($0.0, text) }.map(\.1))
            #expect(Keywords.occurring(strings, in: text) == expected)
        }
    }

    @Test func keywordsAreKeptNormalizedAndRefusedWhenBad() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let annElsewhere = try await client.logIn("ann")
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: annElsewhere.bearer).json()["cursor"]?.int)
            #expect(try await client.send(.get, "/api/me/keywords", headers: ann.bearer).json()["keywords"] == .array([]))
            let set = try await client.send(
                .put, "/api/me/keywords", json: Self.body(["  Deploy \t Window ", "deploy window", "Café", "v2"]), headers: ann.bearer)
            #expect(set.status == .ok)
            #expect(try set.json()["keywords"] == .array([.string("deploy window"), .string("café"), .string("v2")]))
            #expect(try await client.send(.get, "/api/me/keywords", headers: ann.bearer).json()["keywords"] == set.json()["keywords"])
            // My other session hears the change; the same list again changes and tells nothing.
            #expect(try await client.send(.put, "/api/me/keywords", json: Self.body(["deploy window", "CAFÉ", "v2"]), headers: ann.bearer).status == .ok)
            let heard = (try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: annElsewhere.bearer).json()["events"]?.array ?? [])
                .filter { $0["type"] == .string("preferences.updated") }
            #expect(try heard.map { $0["data"]?["keywords"] } == [set.json()["keywords"]])

            // Refused whole: nothing changes.
            for bad in [["ok", "x"], ["   "], ["--"], ["bad\u{7}word"], [String(repeating: "é", count: 65)]] {
                try await client.send(.put, "/api/me/keywords", json: Self.body(bad), headers: ann.bearer)
                    .expectError(.unprocessableContent, "invalid_keyword")
            }
            try await client.send(.put, "/api/me/keywords", json: Self.body((0..<21).map { "word\($0)" }), headers: ann.bearer)
                .expectError(.unprocessableContent, "too_many_keywords")
            try await client.send(.put, "/api/me/keywords", json: #"{"keywords":"deploy"}"#, headers: ann.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.get, "/api/me/keywords").expectError(.unauthorized, "unauthenticated")
            #expect(try parley.count("user_keywords") == 3)
            // Twenty is allowed, and an empty list clears them.
            #expect(try await client.send(.put, "/api/me/keywords", json: Self.body((0..<20).map { "word\($0)" }), headers: ann.bearer).status == .ok)
            #expect(try parley.count("user_keywords") == 20)
            #expect(try await client.send(.put, "/api/me/keywords", json: #"{"keywords":[]}"#, headers: ann.bearer).json()["keywords"] == .array([]))
            #expect(try parley.count("user_keywords") == 0)
        }
    }

    @Test func aMessageWithMyKeywordNotifiesMeLikeAMentionAndTellsNobodyElse() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cyd = try await client.signUp("cyd")
            #expect(try await client.send(.put, "/api/me/keywords", json: #"{"keywords":["deploy","café au lait"]}"#, headers: ann.bearer).status == .ok)
            let hall = try #require(try await client.send(.post, "/api/rooms", json: #"{"name":"hall"}"#, headers: bob.bearer).json()["room"]?["id"]?.int)

            // Whole words, any case; not inside longer words; not in a room I am not in; not my own.
            let hit = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"We DEPLOY today."}"#, headers: bob.bearer)
            #expect(try hit.json()["message"]?["mentions"] == .array([]))
            for text in ["redeploying now", "deploy_now is a script", "deploys"] {
                #expect(try await client.send(.post, "/api/rooms/1/messages", json: jsonString(["text": text]), headers: bob.bearer).status == .created)
            }
            #expect(try await client.send(.post, "/api/rooms/\(hall)/messages", json: #"{"text":"deploy in the hall"}"#, headers: bob.bearer).status == .created)
            #expect(try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"I deploy too"}"#, headers: ann.bearer).status == .created)
            #expect(try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"A CAFÉ  au lait, please"}"#, headers: cyd.bearer).status == .created)
            // Named as well: one notification, as a mention.
            #expect(try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"@ann deploy?"}"#, headers: cyd.bearer).status == .created)
            let heard = try await Self.notifications(client, ann)
            #expect(heard.map(\.0) == ["mention", "keyword", "keyword"])
            #expect(heard.map(\.1) == ["@ann deploy?", "A CAFÉ  au lait, please", "We DEPLOY today."])
            #expect(try await Self.notifications(client, cyd).isEmpty)
            // Counted as mentioning me in my unread state, and nobody else.
            let rooms = try await client.send(.get, "/api/rooms", headers: ann.bearer).json()["mine"]?.array ?? []
            #expect(rooms.first { $0["id"]?.int == 1 }?["mentioned"] == .bool(true))
            #expect(try parley.count("mentions", where: "user_id = \(ann.id)") == 3)
            #expect(try parley.count("mentions", where: "user_id <> \(ann.id)") == 0)

            // Muted rooms stay quiet; cleared keywords match nothing.
            #expect(try await client.send(.put, "/api/rooms/1/notifications", json: #"{"level":"none"}"#, headers: ann.bearer).status == .ok)
            #expect(try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"deploy while muted"}"#, headers: bob.bearer).status == .created)
            #expect(try await Self.notifications(client, ann).count == 3)
            #expect(try await client.send(.put, "/api/rooms/1/notifications", json: #"{"level":"mentions"}"#, headers: ann.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/me/keywords", json: #"{"keywords":["rollback"]}"#, headers: ann.bearer).status == .ok)
            #expect(try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"deploy again"}"#, headers: bob.bearer).status == .created)
            #expect(try await Self.notifications(client, ann).count == 3)
        }
        // After a restart the server still knows them.
        try await parley.run { client in
            let bob = try await client.logIn("bob")
            let ann = try await client.logIn("ann")
            #expect(try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"Rollback!"}"#, headers: bob.bearer).status == .created)
            #expect(try await Self.notifications(client, ann).first.map { [$0.0, $0.1] } == ["keyword", "Rollback!"])
        }
    }
}
