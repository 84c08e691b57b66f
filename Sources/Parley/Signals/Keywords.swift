import Foundation
import Hummingbird
import MariaDB
import NIOConcurrencyHelpers

/// Words and phrases that notify a user like a mention when a message in one of their rooms holds
/// them, as Slack's "My keywords", Mattermost's "words that trigger mentions" and Zulip's alert
/// words. Private: nobody else learns who watches what (a message's `mentions` does not list them).
enum Keywords {
    static let maxCount = 20
    static let maxLength = 64

    static let invalid = ParleyError.invalid(
        "invalid_keyword", "A keyword is 2 to \(maxLength) characters after trimming, with a letter or digit and no control characters.")
    static let tooMany = ParleyError.invalid("too_many_keywords", "At most \(maxCount) keywords.")

    /// The list as kept: trimmed, inner white space collapsed to one space, lowercased, composed
    /// (NFC), each once, in the order given.
    static func normalize(_ list: [String]) throws -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for raw in list {
            let words = raw.split(whereSeparator: { $0.isWhitespace })
            let keyword = words.joined(separator: " ").lowercased().precomposedStringWithCanonicalMapping
            guard keyword.count >= 2, keyword.unicodeScalars.count <= maxLength,
                keyword.contains(where: { $0.isLetter || $0.isNumber }),
                !keyword.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format })
            else { throw invalid }
            if seen.insert(keyword).inserted { result.append(keyword) }
        }
        guard result.count <= maxCount else { throw tooMany }
        return result
    }

    /// Which of `keywords` `text` (the Unicode scalars of a message as `KeywordIndex` prepares it)
    /// holds as whole words: not inside a longer word (Chinese and Japanese, which have no spaces,
    /// anywhere). One pass over the text per distinct keyword length (at most `maxLength`), with a
    /// rolling hash of each window looked up among the keywords of that length and compared scalar
    /// by scalar on a hit, so the time does not grow with how many keywords (or watchers) there are:
    /// matching each keyword on its own made a post's cost grow with the room's watchers (forty
    /// watchers of twenty long keywords: 0.14 s a post in a debug build, twice over), and a search
    /// from every near miss had made it quadratic besides.
    static func occurring(_ keywords: some Sequence<String>, in text: [Unicode.Scalar]) -> Set<String> {
        // The keywords by length in scalars, then by hash.
        var byLength: [Int: [UInt64: [(String, [Unicode.Scalar])]]] = [:]
        var wanted = 0
        for keyword in Set(keywords) {
            let pattern = Array(keyword.unicodeScalars)
            guard !pattern.isEmpty, pattern.count <= text.count else { continue }
            byLength[pattern.count, default: [:]][RollingHash.of(pattern[...]), default: []].append((keyword, pattern))
            wanted += 1
        }
        guard wanted > 0 else { return [] }
        let hash = RollingHash(text)
        // A match starts where the scalar before it is no word scalar and ends where the one after
        // is none, or, for Chinese and Japanese (written without spaces), where either scalar at the
        // edge is one of theirs: "会议" is found in "明天的会议取消", as search finds it.
        var wordScalar = [Bool](repeating: false, count: text.count)
        var unspaced = [Bool](repeating: false, count: text.count)
        for i in text.indices {
            wordScalar[i] = isWordScalar(text[i])
            unspaced[i] = SearchQuery.isUnspaced(text[i])
        }
        func mayStart(_ i: Int) -> Bool { i == 0 || !wordScalar[i - 1] || unspaced[i - 1] || unspaced[i] }
        func mayEnd(_ i: Int) -> Bool { i == text.count || !wordScalar[i] || unspaced[i] || unspaced[i - 1] }
        var found = Set<String>()
        for (length, table) in byLength {
            var start = 0
            while start + length <= text.count {
                defer { start += 1 }
                guard mayStart(start), mayEnd(start + length),
                    let candidates = table[hash.of(start..<start + length)]
                else { continue }
                for (keyword, pattern) in candidates where !found.contains(keyword) && text[start..<start + length].elementsEqual(pattern) {
                    found.insert(keyword)
                }
                if found.count == wanted { return found }
            }
        }
        return found
    }

    /// Polynomial hashes modulo the prime 2⁶¹ − 1 with a base drawn at start-up, so that nobody
    /// can choose texts whose windows collide with a keyword (a collision costs one comparison).
    struct RollingHash {
        static let modulus: UInt64 = (1 << 61) - 1
        static let base = UInt64.random(in: (1 << 20)..<modulus)
        private var prefix: [UInt64]
        private var powers: [UInt64]

        init(_ text: [Unicode.Scalar]) {
            prefix = [0]
            powers = [1]
            prefix.reserveCapacity(text.count + 1)
            powers.reserveCapacity(text.count + 1)
            for scalar in text {
                prefix.append(Self.add(Self.multiply(prefix.last!, Self.base), UInt64(scalar.value) + 1))
                powers.append(Self.multiply(powers.last!, Self.base))
            }
        }

        /// The hash of `text[range]`, as `of(_:)` gives for those scalars alone.
        func of(_ range: Range<Int>) -> UInt64 {
            let high = Self.multiply(prefix[range.lowerBound], powers[range.count])
            return Self.add(prefix[range.upperBound], Self.modulus - high)
        }

        static func of(_ scalars: ArraySlice<Unicode.Scalar>) -> UInt64 {
            scalars.reduce(0) { add(multiply($0, base), UInt64($1.value) + 1) }
        }

        private static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let sum = a + b
            return sum >= modulus ? sum - modulus : sum
        }

        private static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
            // 2⁶¹ ≡ 1: fold the 122-bit product's high bits onto its low 61.
            let (high, low) = a.multipliedFullWidth(by: b)
            let folded = ((high << 3) | (low >> 61)) + (low & modulus)
            return folded >= modulus ? folded - modulus : folded
        }
    }

    /// Letters, digits, `_`, and the marks that combine with a letter (an accent written apart).
    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0x30 && v <= 0x39) || v == 0x5F
        }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return properties.isAlphabetic || properties.numericType != nil
        }
    }
}

/// Everyone's keywords, in memory, so that a post in a room where no member watches a word costs
/// one look-up and stays on the one-round-trip path.
final class KeywordIndex: Sendable {
    private let byUser = NIOLockedValueBox<[Int64: [String]]>([:])

    static func load(_ pool: MariaDBPool) async throws -> KeywordIndex {
        let index = KeywordIndex()
        var all: [Int64: [String]] = [:]
        for row in try await pool.query("SELECT user_id, keyword FROM user_keywords ORDER BY user_id, keyword") {
            // Composed (NFC), as `normalize` keeps them now (older rows may not be).
            all[try row.decode("user_id"), default: []].append(try row.decode("keyword", as: String.self).precomposedStringWithCanonicalMapping)
        }
        index.byUser.withLockedValue { $0 = all }
        return index
    }

    func set(_ userID: Int64, _ keywords: [String]) {
        byUser.withLockedValue { $0[userID] = keywords.isEmpty ? nil : keywords }
    }

    /// Whether nobody has keywords (then no post needs to look).
    var isEmpty: Bool { byUser.withLockedValue { $0.isEmpty } }

    /// The `members` (of the room a message is posted in) other than `senderID` whose keywords
    /// `text` holds, in id order.
    func watchers(of text: String, members: Set<Int64>, senderID: Int64) -> [Int64] {
        let all = byUser.withLockedValue { $0 }
        var watching: [Int64: [String]] = [:]
        if all.count <= members.count {
            for (user, keywords) in all where user != senderID && members.contains(user) { watching[user] = keywords }
        } else {
            for user in members where user != senderID { if let keywords = all[user] { watching[user] = keywords } }
        }
        guard !watching.isEmpty else { return [] }
        // As keywords are kept: lowercased, composed (NFC: "cafe" and a combining accent is "café",
        // which a hunt's keyword missed), white space as single spaces.
        let lowered = Array(
            text.lowercased().precomposedStringWithCanonicalMapping.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").unicodeScalars)
        // Each keyword is looked for once, however many watch it, and all of them in one go.
        let found = Keywords.occurring(watching.values.joined(), in: lowered)
        return watching.filter { _, keywords in keywords.contains(where: found.contains) }.keys.sorted()
    }
}

/// What a user chose for themselves that their clients follow: `preferences.updated` sends it to
/// their own clients whenever one of them changes, so that every open device follows at once.
struct Preferences: Encodable {
    let sendReadReceipts: Bool
    let showLinkPreviews: Bool
    let skinTone: Int
    let keywords: [String]

    static func load(_ c: MariaDBConnection, userID: Int64) throws -> Preferences {
        let row = try c.query("SELECT send_read_receipts, show_link_previews, skin_tone FROM users WHERE id = ?", [userID])[0]
        return Preferences(
            sendReadReceipts: try row.decode("send_read_receipts"), showLinkPreviews: try row.decode("show_link_previews"),
            skinTone: try row.decode("skin_tone"), keywords: try KeywordController.load(c, userID))
    }

    /// Tells the user's clients their preferences as they now are (inside the change's transaction).
    static func announce(_ c: MariaDBConnection, _ events: EventAppender, userID: Int64) throws {
        try events.append(EventType.preferencesUpdated, userID: userID, payload: try load(c, userID: userID))
    }
}

/// [keywords] [setKeywords] My keywords: listed, and replaced as a whole.
struct KeywordController {
    let log: EventLog
    let index: KeywordIndex
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/me/keywords", use: list)
        router.put("/api/me/keywords", use: replace)
    }

    struct Answer: ResponseEncodable {
        let keywords: [String]
    }

    struct Body: Decodable {
        let keywords: [String]
    }

    /// [keywords] In the order they were set.
    func list(request: Request, context: AppRequestContext) async throws -> Answer {
        let session = try context.requireSession()
        let userID = session.user.id
        return Answer(keywords: try await log.pool.withConnection { c in try Self.load(c, userID) })
    }

    static func load(_ c: MariaDBConnection, _ userID: Int64) throws -> [String] {
        try c.query("SELECT keyword FROM user_keywords WHERE user_id = ? ORDER BY position", [userID]).map { try $0.decode("keyword") }
    }

    /// [setKeywords] Replaces the list (empty: none). Messages posted from then on are matched; my
    /// clients hear `preferences.updated` when it changed.
    func replace(request: Request, context: AppRequestContext) async throws -> Answer {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: Body.self, context: context, limit: maxBodyBytes)
        let keywords = try Keywords.normalize(body.keywords)
        let userID = session.user.id
        let index = self.index
        try await log.transaction { c, events in
            // One replacement at a time per user, so that the index ends as the table does.
            _ = try c.query("SELECT id FROM users WHERE id = ? FOR UPDATE", [userID])
            guard try Self.load(c, userID) != keywords else { return }
            try c.execute("DELETE FROM user_keywords WHERE user_id = ?", [userID])
            for (position, keyword) in keywords.enumerated() {
                try c.execute("INSERT INTO user_keywords (user_id, keyword, position) VALUES (?, ?, ?)", [userID, keyword, position])
            }
            index.set(userID, keywords)
            try Preferences.announce(c, events, userID: userID)
        }
        return Answer(keywords: keywords)
    }
}
