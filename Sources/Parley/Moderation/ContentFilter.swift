import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// What a word filter does with a match.
public enum FilterMode: String, Codable, Sendable {
    /// Refuse the message (422 `content_rejected`).
    case reject
    /// Replace each matching word with asterisks.
    case mask
}

/// A list of words matched case-insensitively on word boundaries, Unicode-aware: a word is a run of
/// letters, digits, marks and `_`, so "ass" does not match "class" and "ÉCOLE" matches "école".
struct WordFilter: Sendable, Equatable {
    let words: Set<String>
    let mode: FilterMode

    init(words: [String], mode: FilterMode) {
        self.words = Set(words.map { Self.fold($0.trimmedWhitespace) }.filter { !$0.isEmpty })
        self.mode = mode
    }

    /// A word as compared: without case, width or the invisible characters (zero-width space and
    /// joiner, soft hyphen, word joiner, variation selectors…) that would hide it inside a word.
    static func fold(_ word: String) -> String {
        var visible = String.UnicodeScalarView()
        visible.append(contentsOf: word.unicodeScalars.lazy.filter { !$0.properties.isDefaultIgnorableCodePoint })
        return String(visible).folding(options: [.caseInsensitive, .widthInsensitive], locale: nil).lowercased()
    }

    /// Letters, digits, marks, `_` (but in file names), and the invisible characters a word may
    /// hide behind: "da\u{200B}rn" shows as one word and is matched as one.
    private static func isWordCharacter(_ c: Character, underscore: Bool) -> Bool {
        c.isLetter || c.isNumber || (underscore && c == "_")
            || c.unicodeScalars.allSatisfy { $0.properties.generalCategory == .nonspacingMark || $0.properties.isDefaultIgnorableCodePoint }
    }

    /// Whether `word` is one a filter can match: letters, digits, marks and `_` only (words are
    /// compared whole, so "two words", "e-mail" or "@here" would never match anything).
    static func isMatchable(_ word: String) -> Bool {
        let trimmed = word.trimmedWhitespace
        return trimmed.isEmpty || (trimmed.allSatisfy { isWordCharacter($0, underscore: true) } && !fold(trimmed).isEmpty)
    }

    /// The text with matches masked, or nil when nothing matched. In a file's name (`fileName`) a
    /// `_` also ends a word, as a space does: names are written `my_report_final.pdf`, and search
    /// finds their words so.
    func apply(_ text: String, fileName: Bool = false) -> String? {
        guard fileName else { return apply(text, underscore: true) }
        // Words written with `_` on the list still match as a whole, and then each part does.
        let whole = apply(text, underscore: true)
        guard let parts = apply(whole ?? text, underscore: false) else { return whole }
        return parts
    }

    private func apply(_ text: String, underscore: Bool) -> String? {
        guard !words.isEmpty else { return nil }
        var result = ""
        var matched = false
        var word = ""
        func flush() {
            if !word.isEmpty && words.contains(Self.fold(word)) {
                // A star for each character seen (the invisible ones go with the word).
                let seen = word.filter { !$0.unicodeScalars.allSatisfy(\.properties.isDefaultIgnorableCodePoint) }.count
                result += String(repeating: "*", count: seen)
                matched = true
            } else {
                result += word
            }
            word = ""
        }
        for character in text {
            if Self.isWordCharacter(character, underscore: underscore) {
                word.append(character)
            } else {
                flush()
                result.append(character)
            }
        }
        flush()
        return matched ? result : nil
    }
}

/// The site-wide filter (from configuration) and each room's own, applied to new and edited messages.
final class ContentFilter: Sendable {
    let site: WordFilter
    private let rooms = NIOLockedValueBox<[Int64: WordFilter]>([:])
    /// The version of each room's filter as last set here (see `setRoom`).
    private let versions = NIOLockedValueBox<[Int64: Int64]>([:])

    init(site: WordFilter) { self.site = site }

    func load(_ pool: MariaDBPool) async throws {
        let rows = try await pool.query("SELECT room_id, words, mode FROM word_filters")
        let filters = try rows.map { row in
            (
                try row.decode("room_id", as: Int64.self),
                WordFilter(words: try row.decode("words", as: String.self).components(separatedBy: "\n"), mode: FilterMode(rawValue: try row.decode("mode")) ?? .reject)
            )
        }
        rooms.withLockedValue { $0 = Dictionary(filters, uniquingKeysWith: { $1 }) }
    }

    func room(_ id: Int64) -> WordFilter? { rooms.withLockedValue { $0[id] } }

    /// Puts in force a room's filter as a change committed it. Changes racing each other commit one
    /// after the other (the filter's row), but their answers may come back in any order: the
    /// memory took the last to answer, not the last to commit, and disagreed with the database
    /// until a restart swapped it (a hunt: 4 rooms in 15). `version` grows in commit order (the
    /// change's log entry, written after it took the row), and an older one is ignored.
    func setRoom(_ id: Int64, _ filter: WordFilter?, version: Int64) {
        rooms.withLockedValue { rooms in
            versions.withLockedValue { versions in
                guard version > versions[id] ?? 0 else { return }
                versions[id] = version
                rooms[id] = filter
            }
        }
    }

    /// The text to store: unchanged, masked, or refused (`fileName`: see `WordFilter.apply`).
    func check(_ text: String, roomID: Int64, fileName: Bool = false) throws -> String {
        var text = text
        for filter in [site, room(roomID)].compactMap({ $0 }) {
            guard let masked = filter.apply(text, fileName: fileName) else { continue }
            if filter.mode == .reject {
                throw ParleyError.invalid("content_rejected", "The message contains a word this room does not allow.")
            }
            text = masked
        }
        return text
    }
}
