import Foundation

/// One value sent to or read from the server.
public enum MariaDBValue: Sendable, Equatable {
    case null
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    /// A point in time, stored as a UTC `DATETIME(3)`/`TIMESTAMP(3)`.
    case date(Date)
}

/// A Swift type that can be bound as a statement parameter.
public protocol MariaDBEncodable: Sendable {
    var mariaDBValue: MariaDBValue { get }
}

/// A Swift type that can be read from a result column.
public protocol MariaDBDecodable {
    init(mariaDBValue: MariaDBValue) throws
}

extension MariaDBValue: MariaDBEncodable, MariaDBDecodable {
    public var mariaDBValue: MariaDBValue { self }
    public init(mariaDBValue: MariaDBValue) { self = mariaDBValue }
}

private func typeMismatch(_ value: MariaDBValue, _ type: Any.Type) -> MariaDBError {
    MariaDBError(code: 0, message: "cannot decode \(value) as \(type)")
}

extension Int64: MariaDBEncodable, MariaDBDecodable {
    public var mariaDBValue: MariaDBValue { .int(self) }
    public init(mariaDBValue value: MariaDBValue) throws {
        switch value {
        case .int(let v): self = v
        case .uint(let v) where v <= UInt64(Int64.max): self = Int64(v)
        case .string(let s) where Int64(s) != nil: self = Int64(s)!
        default: throw typeMismatch(value, Int64.self)
        }
    }
}

extension Int: MariaDBEncodable, MariaDBDecodable {
    public var mariaDBValue: MariaDBValue { .int(Int64(self)) }
    public init(mariaDBValue value: MariaDBValue) throws { self = Int(try Int64(mariaDBValue: value)) }
}

extension Int32: MariaDBEncodable, MariaDBDecodable {
    public var mariaDBValue: MariaDBValue { .int(Int64(self)) }
    public init(mariaDBValue value: MariaDBValue) throws {
        let v = try Int64(mariaDBValue: value)
        guard let narrowed = Int32(exactly: v) else { throw typeMismatch(value, Int32.self) }
        self = narrowed
    }
}

extension UInt64: MariaDBEncodable, MariaDBDecodable {
    public var mariaDBValue: MariaDBValue { .uint(self) }
    public init(mariaDBValue value: MariaDBValue) throws {
        switch value {
        case .uint(let v): self = v
        case .int(let v) where v >= 0: self = UInt64(v)
        case .string(let s) where UInt64(s) != nil: self = UInt64(s)!
        default: throw typeMismatch(value, UInt64.self)
        }
    }
}

extension Double: MariaDBEncodable, MariaDBDecodable {
    public var mariaDBValue: MariaDBValue { .double(self) }
    public init(mariaDBValue value: MariaDBValue) throws {
        switch value {
        case .double(let v): self = v
        case .int(let v): self = Double(v)
        case .uint(let v): self = Double(v)
        case .string(let s) where Double(s) != nil: self = Double(s)!
        default: throw typeMismatch(value, Double.self)
        }
    }
}

extension Bool: MariaDBEncodable, MariaDBDecodable {
    public var mariaDBValue: MariaDBValue { .int(self ? 1 : 0) }
    public init(mariaDBValue value: MariaDBValue) throws {
        switch value {
        case .int(let v): self = v != 0
        case .uint(let v): self = v != 0
        case .bytes(let b) where b.count == 1: self = b[0] != 0  // BIT(1)
        default: throw typeMismatch(value, Bool.self)
        }
    }
}

extension String: MariaDBEncodable, MariaDBDecodable {
    public var mariaDBValue: MariaDBValue { .string(self) }
    public init(mariaDBValue value: MariaDBValue) throws {
        switch value {
        case .string(let s): self = s
        case .bytes(let b): self = String(decoding: b, as: UTF8.self)
        case .int(let v): self = String(v)
        case .uint(let v): self = String(v)
        case .double(let v): self = String(v)
        default: throw typeMismatch(value, String.self)
        }
    }
}

extension Array: MariaDBEncodable where Element == UInt8 {
    public var mariaDBValue: MariaDBValue { .bytes(self) }
}

extension Array: MariaDBDecodable where Element == UInt8 {
    public init(mariaDBValue value: MariaDBValue) throws {
        switch value {
        case .bytes(let b): self = b
        case .string(let s): self = Array(s.utf8)
        default: throw typeMismatch(value, [UInt8].self)
        }
    }
}

extension Data: MariaDBEncodable, MariaDBDecodable {
    public var mariaDBValue: MariaDBValue { .bytes(Array(self)) }
    public init(mariaDBValue value: MariaDBValue) throws { self = Data(try [UInt8](mariaDBValue: value)) }
}

extension Date: MariaDBEncodable, MariaDBDecodable {
    public var mariaDBValue: MariaDBValue { .date(self) }
    public init(mariaDBValue value: MariaDBValue) throws {
        guard case .date(let d) = value else { throw typeMismatch(value, Date.self) }
        self = d
    }
}

extension Optional: MariaDBEncodable where Wrapped: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { self?.mariaDBValue ?? .null }
}

extension Optional: MariaDBDecodable where Wrapped: MariaDBDecodable {
    public init(mariaDBValue value: MariaDBValue) throws {
        if case .null = value { self = nil } else { self = try Wrapped(mariaDBValue: value) }
    }
}

/// UTC calendar arithmetic for DATETIME values, without Foundation's Calendar (it is slow and locale-bound).
extension MariaDBValue {
    /// The dates the database keeps (a `DATETIME`): 0001-01-01 to 9999-12-31 UTC.
    public static var dateRange: ClosedRange<Date> { UTCCivilTime.range }
}

enum UTCCivilTime {
    struct Fields: Equatable {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, microsecond: Int
    }

    /// The dates a `DATETIME` holds and `MYSQL_TIME` carries: 0001-01-01 to 9999-12-31, to the millisecond.
    static let range = Date(timeIntervalSince1970: -62_135_596_800)...Date(timeIntervalSince1970: 253_402_300_799.999)

    /// Splits a date into UTC fields, rounded to the millisecond; a date outside `range` is taken
    /// as its nearest end (an unsigned `MYSQL_TIME` year cannot be negative).
    static func fields(of date: Date) -> Fields {
        let date = min(max(date, range.lowerBound), range.upperBound)
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var days = totalMillis / 86_400_000
        var millisOfDay = totalMillis % 86_400_000
        if millisOfDay < 0 {
            millisOfDay += 86_400_000
            days -= 1
        }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        let secondsOfDay = millisOfDay / 1000
        return Fields(
            year: Int(y), month: Int(m), day: Int(d),
            hour: Int(secondsOfDay / 3600), minute: Int(secondsOfDay % 3600 / 60), second: Int(secondsOfDay % 60),
            microsecond: Int(millisOfDay % 1000) * 1000)
    }

    /// Joins UTC fields into a date.
    static func date(from f: Fields) -> Date {
        let y = Int64(f.month <= 2 ? f.year - 1 : f.year)
        let m = Int64(f.month)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(f.day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86_400 + Int64(f.hour * 3600 + f.minute * 60 + f.second)
        return Date(timeIntervalSince1970: Double(seconds) + Double(f.microsecond) / 1_000_000)
    }
}
