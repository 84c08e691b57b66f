import Hummingbird

extension Request {
    /// Whether `If-None-Match` names `etag`, as RFC 9110 (§13.1.2) has it for this header: `*`, or
    /// a list of tags (in one field or several), each compared weakly (`W/"x"` matches `"x"`).
    func ifNoneMatch(_ etag: String) -> Bool {
        let wanted = Self.opaqueTag(etag)
        for field in headers[values: .ifNoneMatch] {
            for tag in field.split(separator: ",").map({ String($0).trimmedWhitespace }) where tag == "*" || Self.opaqueTag(tag) == wanted {
                return true
            }
        }
        return false
    }

    /// Whether a `Range` may be honoured under `If-Range` (RFC 9110 §13.1.5): with no `If-Range`,
    /// or one naming `etag` exactly (a strong comparison: a weak tag never matches). A date, which
    /// would be compared with a `Last-Modified` these answers do not send, or another tag asks for
    /// the whole representation.
    func ifRangeAllowsRange(_ etag: String) -> Bool {
        guard let value = headers[.ifRange] else { return true }
        return value.trimmedWhitespace == etag
    }

    private static func opaqueTag(_ tag: String) -> Substring {
        tag.hasPrefix("W/") ? tag.dropFirst(2) : Substring(tag)
    }
}
