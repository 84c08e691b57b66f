import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// A search query as the full-text index takes it: the words of the text, each required and
/// matched as a prefix (`+word*` in MariaDB's boolean mode); a run of Chinese or Japanese, indexed
/// as its overlapping pairs of characters (sql/073), as the phrase of its pairs.
struct SearchQuery: Sendable, Equatable {
    /// The words searched for, lowercased, in the order given.
    let words: [String]
    /// Each word's terms in boolean mode.
    private let terms: [String]
    /// A word longer than the index's longest (`innodb_ft_max_token_size`): no message holds it as
    /// the index sees it, and boolean mode would drop it and match on the others (a hunt: a long
    /// word made a search broader). A query with one finds nothing.
    let unmatchable: Bool

    static let maxLength = 200
    static let maxWords = 10
    /// The most pairs of Chinese or Japanese characters one phrase of the query holds.
    static let maxPhrase = 32

    static func invalid(minimumWordLength: Int) -> ParleyError {
        ParleyError.invalid(
            "invalid_query",
            "Search for 1–\(maxLength) characters with at least one word of \(minimumWordLength) or more letters or digits (two for Chinese or Japanese).")
    }

    /// The words of `text` (runs of letters and digits) of at least `minimumWordLength` characters;
    /// `invalid_query` when none is left or the text is empty or too long.
    init(_ text: String, minimumWordLength: Int, maximumWordLength: Int = .max) throws {
        let trimmed = text.precomposedStringWithCanonicalMapping.trimmedWhitespace
        guard (1...Self.maxLength).contains(trimmed.count) else { throw Self.invalid(minimumWordLength: minimumWordLength) }
        var words: [String] = []
        var terms: [String] = []
        var unmatchable = false
        var current = ""
        func finish() {
            defer { current = "" }
            guard !words.contains(current), words.count < Self.maxWords else { return }
            let found = Self.terms(of: current, minimumWordLength: minimumWordLength)
            guard !found.isEmpty else { return }
            words.append(current)
            terms += found
            // Runs of Chinese or Japanese are indexed in pairs; only the other parts can be too long.
            // Counted in code points, as InnoDB counts a token (composed first): a word of 50 accented
            // letters each written with its accent apart is 100, and was dropped while the other words
            // matched alone (a hunt). Nor does the parser keep letters beyond the first plane (𝐇𝐞𝐥𝐥𝐨).
            let parts = current.unicodeScalars.split(whereSeparator: Self.isUnspaced)
            if parts.contains(where: { $0.count > maximumWordLength || $0.contains { $0.value > 0xFFFF } }) { unmatchable = true }
        }
        for character in trimmed.lowercased() {
            if character.isLetter || character.isNumber { current.append(character) } else { finish() }
        }
        finish()
        guard !words.isEmpty else { throw Self.invalid(minimumWordLength: minimumWordLength) }
        self.words = words
        self.terms = terms
        self.unmatchable = unmatchable
    }

    /// A word's terms: its parts outside Chinese and Japanese as prefixes (`+part*`) when long
    /// enough, and each run of those scripts as its pairs of characters, the phrase `+"ab bc cd"`
    /// (the pairs in a row, as the index holds them). A run of one character, or any run when the
    /// index keeps no words of two characters, can match nothing and is left out.
    private static func terms(of word: String, minimumWordLength: Int) -> [String] {
        var terms: [String] = []
        var plain = String.UnicodeScalarView()
        var run: [Unicode.Scalar] = []
        func endPlain() {
            if String(plain).count >= minimumWordLength { terms.append("+\(String(plain))*") }
            plain = String.UnicodeScalarView()
        }
        func endRun() {
            if run.count >= 2, minimumWordLength <= 2 {
                let pairs = (0..<run.count - 1).map { String(String.UnicodeScalarView(run[$0...$0 + 1])) }
                // A phrase of at most `maxPhrase` pairs (InnoDB refuses one of 129 or more, error
                // 191: a pasted sentence was a 500, a hunt); a longer run is several, each in a row.
                for start in stride(from: 0, to: pairs.count, by: Self.maxPhrase) {
                    let phrase = pairs[start..<min(start + Self.maxPhrase, pairs.count)]
                    terms.append(phrase.count == 1 ? "+\(phrase.first!)" : "+\"\(phrase.joined(separator: " "))\"")
                }
            }
            run = []
        }
        for scalar in word.unicodeScalars {
            if isUnspaced(scalar) {
                endPlain()
                run.append(scalar)
            } else {
                endRun()
                plain.append(scalar)
            }
        }
        endPlain()
        endRun()
        return terms
    }

    /// Han, kana (with ー) and the iteration marks 々 and 〇: the characters indexed in pairs, as
    /// `unspacedPairs` finds them (sql/073 has the same ranges).
    static func isUnspaced(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3005, 0x3007, 0x3041...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFF66...0xFF9F: true
        default: false
        }
    }

    /// The boolean-mode expression: every term required. Words hold only letters and digits, so
    /// nothing in them is an operator; the expression is a bound parameter all the same.
    var booleanMode: String { terms.joined(separator: " ") }
}

/// The full-text index's shortest indexed word (`innodb_ft_min_token_size`: 2 on the embedded
/// server, 3 by default elsewhere), read once: shorter words can never match, so they are left out.
final class FullTextSettings: Sendable {
    private let wordLengths = NIOLockedValueBox<(minimum: Int, maximum: Int)?>(nil)

    func minimumWord(_ c: MariaDBConnection) throws -> Int { try lengths(c).minimum }

    /// The longest indexed word (`innodb_ft_max_token_size`, 84 by default): longer ones are not indexed.
    func maximumWord(_ c: MariaDBConnection) throws -> Int { try lengths(c).maximum }

    private func lengths(_ c: MariaDBConnection) throws -> (minimum: Int, maximum: Int) {
        if let known = wordLengths.withLockedValue({ $0 }) { return known }
        let row = try c.query("SELECT @@innodb_ft_min_token_size AS low, @@innodb_ft_max_token_size AS high").first
        let value = (minimum: try row?.decode("low", as: Int.self) ?? 3, maximum: try row?.decode("high", as: Int.self) ?? 84)
        wordLengths.withLockedValue { $0 = value }
        return value
    }
}

/// What a found message must also be, beyond its words (`searchMessages`' `has`, `since`, `until`).
struct SearchFilters: Sendable {
    enum Has: String, Sendable { case file, link }
    var has: Has?
    var since: Date?
    var until: Date?
}

extension MessageService {
    static let maxSearchPage = 50

    /// What `has=link` asks of a text: `http://` or `https://` starting a word and followed by a host
    /// (not "http:// " alone, nor "xhttps://"), as the link previews and the web client read links.
    static let linkPattern = #"(?<![\p{L}\p{N}])https?://[^\s/?#]"#

    /// [searchMessages] Messages of the rooms the user is a member of (or of one of them) whose
    /// text, or the name of the file they share, contains every word of `text` (as a word or the
    /// start of one), newest first, before a message id, sent by `from` if given. Deleted messages
    /// are not found.
    func search(
        user: User, text: String, roomID: Int64?, from: Int64? = nil, before: Int64?, limit: Int, filters: SearchFilters = SearchFilters()
    ) async throws -> Page {
        guard (1...Self.maxSearchPage).contains(limit) else { throw ParleyError.badRequest("limit is 1–\(Self.maxSearchPage).") }
        let rooms = self.rooms
        let fullText = self.fullText
        return try await rooms.pool.withConnection { c in
            let query = try SearchQuery(text, minimumWordLength: try fullText.minimumWord(c), maximumWordLength: try fullText.maximumWord(c))
            if let roomID {
                guard try RoomService.role(rooms, c, roomID: roomID, userID: user.id) != nil else {
                    throw try RoomService.outsider(c, roomID: roomID, userID: user.id)
                }
            }
            if query.unmatchable { return Page(messages: [], hasMore: false) }
            let rows = try c.query(
                """
                SELECT \(MessageStore.columns) FROM (
                    SELECT t.id FROM messages t WHERE MATCH (t.text_words) AGAINST (? IN BOOLEAN MODE)
                    UNION SELECT f.message_id FROM files f WHERE MATCH (f.name_words) AGAINST (? IN BOOLEAN MODE) AND f.message_id IS NOT NULL
                ) hits
                JOIN messages m ON m.id = hits.id
                JOIN room_members r ON r.room_id = m.room_id AND r.user_id = ?
                JOIN users u ON u.id = m.sender_id
                WHERE m.deleted_at IS NULL AND m.id < ? AND (? IS NULL OR m.room_id = ?) AND (? IS NULL OR m.sender_id = ?)
                AND (? IS NULL OR m.created_at >= ?) AND (? IS NULL OR m.created_at < ?)
                AND (? = 0 OR m.file_summary IS NOT NULL) AND (? = 0 OR (m.text LIKE '%http%://%' AND m.text REGEXP ?))
                ORDER BY m.id DESC LIMIT ?
                """,
                [
                    query.booleanMode, query.booleanMode, user.id, before ?? Int64.max, roomID, roomID, from, from,
                    filters.since, filters.since, filters.until, filters.until, filters.has == .file, filters.has == .link, Self.linkPattern, limit + 1,
                ]
            ).map(MessageView.init)
            return Page(messages: try Self.forReader(c, Array(rows.prefix(limit)), userID: user.id), hasMore: rows.count > limit)
        }
    }
}
