import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// A search query as the full-text index takes it: the words of the text, each required and
/// matched as a prefix (`+word*` in MariaDB's boolean mode).
struct SearchQuery: Sendable, Equatable {
    /// The words searched for, lowercased, in the order given.
    let words: [String]

    static let maxLength = 200
    static let maxWords = 10

    static func invalid(minimumWordLength: Int) -> ParleyError {
        ParleyError.invalid(
            "invalid_query",
            "Search for 1–\(maxLength) characters with at least one word of \(minimumWordLength) or more letters or digits.")
    }

    /// The words of `text` (runs of letters and digits) of at least `minimumWordLength` characters;
    /// `invalid_query` when none is left or the text is empty or too long.
    init(_ text: String, minimumWordLength: Int) throws {
        let trimmed = text.trimmedWhitespace
        guard (1...Self.maxLength).contains(trimmed.count) else { throw Self.invalid(minimumWordLength: minimumWordLength) }
        var words: [String] = []
        var current = ""
        func finish() {
            if current.count >= minimumWordLength, !words.contains(current), words.count < Self.maxWords { words.append(current) }
            current = ""
        }
        for character in trimmed.lowercased() {
            if character.isLetter || character.isNumber { current.append(character) } else { finish() }
        }
        finish()
        guard !words.isEmpty else { throw Self.invalid(minimumWordLength: minimumWordLength) }
        self.words = words
    }

    /// The boolean-mode expression: every word required, as a prefix. Words hold only letters and
    /// digits, so nothing in them is an operator; the expression is a bound parameter all the same.
    var booleanMode: String { words.map { "+\($0)*" }.joined(separator: " ") }
}

/// The full-text index's shortest indexed word (`innodb_ft_min_token_size`: 2 on the embedded
/// server, 3 by default elsewhere), read once: shorter words can never match, so they are left out.
final class FullTextSettings: Sendable {
    private let minimumWordLength = NIOLockedValueBox<Int?>(nil)

    func minimumWord(_ c: MariaDBConnection) throws -> Int {
        if let known = minimumWordLength.withLockedValue({ $0 }) { return known }
        let value = try c.query("SELECT @@innodb_ft_min_token_size AS n").first?.decode("n", as: Int.self) ?? 3
        minimumWordLength.withLockedValue { $0 = value }
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
            let query = try SearchQuery(text, minimumWordLength: try fullText.minimumWord(c))
            if let roomID {
                guard try RoomService.role(rooms, c, roomID: roomID, userID: user.id) != nil else {
                    throw try RoomService.outsider(c, roomID: roomID, userID: user.id)
                }
            }
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
