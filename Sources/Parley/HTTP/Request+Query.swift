import Foundation
import Hummingbird

/// A request's query parameters read as HTML forms write them (`application/x-www-form-urlencoded`,
/// as PHP, Rails and Django read them): `+` is a space and a literal plus is `%2B`. Hummingbird's
/// `uri.queryParameters` leaves `+` as it is, so a caption or a file name sent by a client that
/// encodes spaces as `+` (Python's `requests`, `URLSearchParams`, Go's `url.Values`) kept them.
struct QueryParameters: Sendable {
    private let pairs: [(name: String, value: String)]

    init(_ query: Substring) {
        func decode(_ text: Substring) -> String {
            let spaced = text.replacingOccurrences(of: "+", with: " ")
            // A malformed escape (`%zz`) is kept as sent.
            return spaced.removingPercentEncoding ?? spaced
        }
        pairs = query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The first value given for `name`.
    func get(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    subscript(_ name: String) -> Substring? { self.get(name).map { Substring($0) } }
}

extension Request {
    /// The query's parameters (`QueryParameters`: `+` read as a space).
    var query: QueryParameters { QueryParameters(Substring(uri.query ?? "")) }
}
