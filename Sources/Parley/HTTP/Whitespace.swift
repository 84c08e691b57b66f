import Foundation

extension String {
    /// The text composed (NFC), as names, passwords and queries are: macOS and iOS may send text
    /// decomposed, which search did not find (decomposed Korean, a hunt). Text whose scalars are all
    /// below U+0300 (ASCII, Latin-1, Latin Extended: no UTF-8 lead byte from 0xCC, where combining
    /// marks start) is composed already and returned as is, without Foundation's NSString round trip.
    var composed: String {
        utf8.allSatisfy { $0 < 0xCC } ? self : precomposedStringWithCanonicalMapping
    }

    /// The text without leading and trailing white space: what Foundation's `whitespacesAndNewlines`
    /// trims, which is the Unicode `White_Space` scalars and U+200B (zero width space). Foundation's
    /// `trimmingCharacters` went through NSString and took 15–20 µs per message; this returns the
    /// text itself when there is nothing to trim.
    var trimmedWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return self }
        if !first.isTrimmedSpace && !last.isTrimmedSpace { return self }
        guard let start = scalars.firstIndex(where: { !$0.isTrimmedSpace }), let end = scalars.lastIndex(where: { !$0.isTrimmedSpace }) else {
            return ""
        }
        return String(scalars[start...end])
    }
}

extension Unicode.Scalar {
    fileprivate var isTrimmedSpace: Bool { properties.isWhitespace || value == 0x200B }
}

extension String {
    /// Whether the text holds a control character (Unicode's Cc: U+0000–U+001F, U+007F–U+009F):
    /// NUL, escape, bell and the like, which no name, option or one-line field may hold; with
    /// `allowingLineBreaks`, tabs and line breaks (CR, LF) pass, as in a message or a reason.
    func hasControlCharacters(allowingLineBreaks: Bool = false) -> Bool {
        unicodeScalars.contains { scalar in
            guard scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) else { return false }
            return !(allowingLineBreaks && (scalar == "\t" || scalar == "\n" || scalar == "\r"))
        }
    }
}

/// Sizes as people read them in messages: whole binary megabytes or kilobytes when the size is
/// one (`25 MB`, `256 KB`), with the exact count of bytes after it for programs.
enum ReadableSize {
    static func of(_ bytes: Int) -> String {
        let exact = "\(bytes) bytes"
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB (\(exact))" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB (\(exact))" }
        return exact
    }
}
