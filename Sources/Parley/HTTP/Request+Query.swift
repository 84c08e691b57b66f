import Foundation
import Hummingbird

/// A request's query parameters read as HTML forms write them (`application/x-www-form-urlencoded`,
/// as PHP, Rails and Django read them): `+` is a space and a literal plus is `%2B`. Hummingbird's
/// `uri.queryParameters` leaves `+` as it is, so a caption or a file name sent by a client that
/// encodes spaces as `+` (Python's `requests`, `URLSearchParams`, Go's `url.Values`) kept them.
struct QueryParameters: Sendable {
    private let pairs: [(name: String, value: String)]

    init(_ query: Substring) {
        pairs = query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    /// `text` with `+` as a space and `%XX` escapes decoded as UTF-8. A malformed escape (`%zz`) or
    /// bytes that are not UTF-8 leave the text as sent. Decoded by hand: Foundation's
    /// `removingPercentEncoding` dropped a leading byte order mark, so a file name starting with
    /// one passed the check that refuses invisible characters (a hunt).
    static func decode(_ text: Substring) -> String {
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            case 0x61...0x66: byte - 0x61 + 10
            default: nil
            }
        }
        let raw = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var malformed = false
        var i = 0
        while i < raw.count {
            switch raw[i] {
            case UInt8(ascii: "+"):
                bytes.append(0x20)
                i += 1
            case UInt8(ascii: "%"):
                guard i + 2 < raw.count, let high = hex(raw[i + 1]), let low = hex(raw[i + 2]) else {
                    malformed = true
                    i = raw.count
                    continue
                }
                bytes.append(high << 4 | low)
                i += 3
            default:
                bytes.append(raw[i])
                i += 1
            }
        }
        guard !malformed, let decoded = String(validating: bytes, as: UTF8.self) else { return String(text).replacingOccurrences(of: "+", with: " ") }
        return decoded
    }

    /// The first value given for `name`.
    func get(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    subscript(_ name: String) -> Substring? { self.get(name).map { Substring($0) } }
}

extension Request {
    /// The query's parameters (`QueryParameters`: `+` read as a space).
    var query: QueryParameters { QueryParameters(Substring(uri.query ?? "")) }
}
