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

    private static func opaqueTag(_ tag: String) -> Substring {
        tag.hasPrefix("W/") ? tag.dropFirst(2) : Substring(tag)
    }
}
