import Foundation
import Hummingbird
import MariaDB
import NIOCore

/// The per-request context: Hummingbird's core storage, the peer address and the resolved session.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer; the client address unless a trusted proxy says otherwise.
    public let peerAddress: SocketAddress?
    /// The session the request authenticated with, if any (set by `SessionMiddleware`).
    public var session: AuthenticatedSession?
    /// A cookie-authenticated state-changing request whose CSRF token was missing or wrong.
    public var csrfRejected = false
    /// The client address used for rate limits and the session list.
    public var clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress
        clientAddress = peerAddress?.ipAddress
    }

    public var responseEncoder: JSONEncoder { ParleyJSON.encoder() }
    public var requestDecoder: JSONDecoder { ParleyJSON.decoder() }

    /// The authenticated session, or 401; 403 `csrf_failed` for a cookie request that failed the CSRF check.
    public func requireSession() throws -> AuthenticatedSession {
        if csrfRejected { throw ParleyError.csrfFailed }
        guard let session else { throw ParleyError.unauthenticated }
        return session
    }
}

/// JSON as Parley speaks it: snake_case keys, UTC timestamps with milliseconds.
public enum ParleyJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in SnakeCaseKey(path.last!.stringValue) }
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 timestamp"))
            }
            return date
        }
        return decoder
    }

    /// `2026-11-23T21:40:00.123Z`: the millisecond nearest to `date`. (Foundation's ISO 8601 style
    /// cuts the fraction off instead, so a date a hair below a millisecond, as a whole millisecond
    /// often is in binary, was written as the one before.)
    public static func timestamp(_ date: Date) -> String {
        var (seconds, millisecond) = Int64((date.timeIntervalSince1970 * 1000).rounded()).quotientAndRemainder(dividingBy: 1000)
        if millisecond < 0 {
            seconds -= 1
            millisecond += 1000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func digits(_ value: Int32, _ count: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, count - text.count)) + text
        }
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2) + "T" + digits(parts.tm_hour, 2)
            + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2) + "." + digits(Int32(millisecond), 3) + "Z"
    }

    /// A timestamp as `timestamp` writes it (or without a fraction), at whole milliseconds: the
    /// parsed value can lie just below them, and `timestamp` would then write the millisecond before.
    public static func parseTimestamp(_ text: String) -> Date? {
        guard writesARealTime(text) else { return nil }
        // Read here rather than by Foundation's parser, whose calendar is Julian before 1582: it put
        // `0001-01-01T00:00:00Z` (Go's and .NET's zero time) two days before year 1, and refused it.
        // Times are proleptic Gregorian, as the database and `timestamp` write them.
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64 { Int64(String(decoding: bytes[range], as: UTF8.self)) ?? 0 }
        let digit = { (byte: UInt8) in (0x30...0x39).contains(byte) }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            let start = index + 1
            index = start
            while index < bytes.count, digit(bytes[index]) { index += 1 }
            guard index > start else { return nil }
            fraction = Double("0." + String(decoding: bytes[start..<min(index, start + 9)], as: UTF8.self)) ?? 0
        }
        // `Z`, or an offset: `+HH:MM`, `+HHMM` or `+HH`.
        guard index < bytes.count else { return nil }
        var offset: Int64 = 0
        // RFC 3339 (§5.6) allows `t` and `z` in small letters too.
        if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
            index += 1
        } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            let zone = Array(bytes[(index + 1)...])
            let hours: ArraySlice<UInt8>, minutes: ArraySlice<UInt8>
            switch zone.count {
            case 2: (hours, minutes) = (zone[0..<2], [0x30, 0x30])
            case 4: (hours, minutes) = (zone[0..<2], zone[2..<4])
            case 5 where zone[2] == UInt8(ascii: ":"): (hours, minutes) = (zone[0..<2], zone[3..<5])
            default: return nil
            }
            guard hours.allSatisfy(digit), minutes.allSatisfy(digit), let h = Int64(String(decoding: hours, as: UTF8.self)),
                let m = Int64(String(decoding: minutes, as: UTF8.self)), h <= 23, m <= 59
            else { return nil }
            offset = sign * (h * 3600 + m * 60)
            index = bytes.count
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        // Howard Hinnant's days_from_civil.
        let (month, day) = (number(5..<7), number(8..<10))
        let year = number(0..<4) - (month <= 2 ? 1 : 0)
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let days = era * 146_097 + yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear - 719_468
        let seconds = days * 86_400 + number(11..<13) * 3600 + number(14..<16) * 60 + number(17..<19) - offset
        let parsed = Date(timeIntervalSince1970: Double(seconds) + fraction)
        // Year 1 to 9999, as the database keeps times (year 0 would be no time it can store).
        guard MariaDBValue.dateRange.contains(parsed) else { return nil }
        return MessageView.storedPrecision(parsed)
    }

    /// Whether `YYYY-MM-DDTHH:MM:SS…` names a real day and time: Foundation's parser rolls `25:00`,
    /// `23:61` or `02-30` over into the next hour, day or month instead of refusing them.
    static func writesARealTime(_ text: String) -> Bool {
        let bytes = Array(text.utf8.prefix(19))
        guard bytes.count == 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] | 0x20 == UInt8(ascii: "t"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return false }
        func number(_ range: Range<Int>) -> Int? {
            guard bytes[range].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return (1...[31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]).contains(day)
    }
}

/// A body's key as a field's name: `snake_case` (lowercase ASCII letters and digits, words joined
/// by single underscores) becomes `camelCase`; any other spelling matches no field, so it is
/// ignored as unknown keys are. Foundation's `convertFromSnakeCase` also took `displayName`,
/// `Display_Name` and `display__name` for `display_name`, and `{"displayName":…,"display_name":…}`
/// passed the check for repeated keys with the first one winning, which a proxy or validator
/// reading the documented key would not see (a hunt).
struct SnakeCaseKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ key: String) {
        let bytes = key.utf8
        let canonical =
            !bytes.isEmpty && bytes.first != UInt8(ascii: "_") && bytes.last != UInt8(ascii: "_") && !key.contains("__")
            && bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "_") }
        guard canonical else {
            // No Swift property name starts with a space.
            stringValue = " " + key
            return
        }
        let words = key.split(separator: "_")
        stringValue = String(words[0]) + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
