import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// Decodes a JSON body, answering 415 for another content type, 413 past `limit` bytes and 400
    /// (`malformed_json` or `invalid_request` naming the field) for a body that does not fit `T`.
    /// Unknown fields are ignored.
    func decodeJSON<T: Decodable>(as type: T.Type, context: AppRequestContext, limit: Int) async throws -> T {
        guard let contentType = headers[.contentType], Self.isJSON(contentType) else {
            throw ParleyError(.unsupportedMediaType, "unsupported_media_type", "Send the body as Content-Type: application/json.")
        }
        // A declared length past the limit is refused before a byte of it is read (the client
        // need not send it all to learn, as uploads already answer).
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw ParleyError(.contentTooLarge, "payload_too_large", "The request body is larger than \(ReadableSize.of(limit)).")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw ParleyError(.contentTooLarge, "payload_too_large", "The request body is larger than \(ReadableSize.of(limit)).")
        } catch {
            throw ParleyError.unreadableBody
        }
        if let flat = T.self as? any FlatJSONDecodable.Type, let object = FlatJSON.parse(buffer), let value = flat.init(flat: object) {
            return value as! T
        }
        // Foundation's decoder lets a comma before `}` or `]` through; JSON does not.
        if Self.hasTrailingComma(buffer) { throw ParleyError(.badRequest, "malformed_json", "The body is not valid JSON.") }
        // Nor does it say which of a key's two values counts (it kept the first; a proxy or another
        // parser may read the last): refused, as FlatJSON refuses it.
        if let key = Self.repeatedKey(in: buffer) { throw ParleyError.badRequest("Field `\(key)` is given more than once.") }
        do {
            return try context.requestDecoder.decode(T.self, from: buffer)
        } catch let error as DecodingError {
            if case .dataCorrupted(let corrupted) = error, corrupted.codingPath.isEmpty,
                let field = Self.unfitNumber(in: buffer, as: T.self, decoder: context.requestDecoder)
            {
                throw Self.unfit(field)
            }
            throw Self.describe(error)
        } catch let error as ParleyError {
            throw error
        } catch {
            if let field = Self.unfitNumber(in: buffer, as: T.self, decoder: context.requestDecoder) { throw Self.unfit(field) }
            throw ParleyError(.badRequest, "malformed_json", "The body is not valid JSON.")
        }
    }

    /// Whether a comma outside strings is followed (after white space) by `}` or `]`.
    static func hasTrailingComma(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            var strings = JSONStrings()
            var afterComma = false
            for byte in bytes {
                if strings.take(byte) {
                    afterComma = false
                    continue
                }
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0D: continue
                case UInt8(ascii: "}"), UInt8(ascii: "]"): if afterComma { return true }
                default: break
                }
                afterComma = byte == UInt8(ascii: ",")
            }
            return false
        }
    }

    /// The first key an object of the body holds twice, at any depth, compared as JSON reads them
    /// (`"t\u0065xt"` is `text`); nil when none is. Only the bytes outside strings steer the scan; a
    /// body that is no JSON at all is left to the decoder to refuse.
    static func repeatedKey(in buffer: ByteBuffer) -> String? {
        buffer.withUnsafeReadableBytes { bytes in
            // For each open object or array: whether it is an object, the keys seen, whether a key comes next.
            var open: [(object: Bool, keys: Set<String>, keyNext: Bool)] = []
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "{"): open.append((true, [], true))
                case UInt8(ascii: "["): open.append((false, [], false))
                case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = open.popLast()
                case UInt8(ascii: ","): if let last = open.indices.last, open[last].object { open[last].keyNext = true }
                case UInt8(ascii: "\""):
                    // The whole string, escapes included.
                    let start = index
                    index += 1
                    var escapes = false
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                        if bytes[index] == UInt8(ascii: "\\") {
                            escapes = true
                            index += 1
                        }
                        index += 1
                    }
                    guard index < bytes.count else { return nil }
                    if let last = open.indices.last, open[last].object, open[last].keyNext {
                        open[last].keyNext = false
                        let raw = UnsafeRawBufferPointer(rebasing: bytes[start...index])
                        let key =
                            escapes
                            ? (try? JSONDecoder().decode(String.self, from: Data(raw))) ?? String(decoding: raw, as: UTF8.self)
                            : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                        if !open[last].keys.insert(key).inserted { return key }
                    }
                default: break
                }
                index += 1
            }
            return nil
        }
    }

    private static func unfit(_ field: String) -> ParleyError {
        .badRequest("Field `\(field)` must be a whole number within range.")
    }

    /// For valid JSON that Foundation's decoder refused as a whole (on Linux it does so for a number
    /// that does not fit an integer field, like `1.5` or `1e40`, without naming the field): the
    /// first field holding such a number, at any depth (`members[0]`), that `T` reads. An unknown
    /// field's `1.5` is ignored, as the field is, so each candidate is tried alone (the others made
    /// 0): the one whose number alone still gets the body refused is named. A hunt saw an ignored
    /// field's `junk[0]` named instead of the `up_to` at fault.
    static func unfitNumber<T: Decodable>(in buffer: ByteBuffer, as type: T.Type, decoder: JSONDecoder) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else { return nil }
        var found: [(path: String, steps: [JSONStep])] = []
        unfitNumbers(in: object, at: "", steps: [], into: &found)
        // Each try decodes the body again: a few candidates at most (a body of thousands of `1.5`
        // would cost their square), else the first is named, as before.
        guard (2...8).contains(found.count) else { return found.first?.path }
        for candidate in found {
            var alone: Any = object
            for other in found where other.path != candidate.path { alone = replacing(other.steps[...], in: alone, with: 0) }
            guard let data = try? JSONSerialization.data(withJSONObject: alone) else { continue }
            do {
                _ = try decoder.decode(T.self, from: data)
            } catch DecodingError.dataCorrupted(let corrupted) where corrupted.codingPath.isEmpty {
                return candidate.path
            } catch {}
        }
        return found.first?.path
    }

    enum JSONStep { case key(String), index(Int) }

    private static func unfitNumbers(in value: Any, at path: String, steps: [JSONStep], into found: inout [(path: String, steps: [JSONStep])]) {
        switch value {
        case let object as [String: Any]:
            for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                unfitNumbers(in: value, at: path.isEmpty ? key : "\(path).\(key)", steps: steps + [.key(key)], into: &found)
            }
        case let array as [Any]:
            for (index, value) in array.enumerated() {
                unfitNumbers(in: value, at: "\(path)[\(index)]", steps: steps + [.index(index)], into: &found)
            }
        case let number as NSNumber:
            // true and false read as 1 and 0: whole, never reported.
            let double = number.doubleValue
            if double != double.rounded() || abs(double) >= 9.2e18 { found.append((path, steps)) }
        default:
            break
        }
    }

    /// `value` with what `steps` lead to replaced by `replacement`.
    private static func replacing(_ steps: ArraySlice<JSONStep>, in value: Any, with replacement: Any) -> Any {
        guard let step = steps.first else { return replacement }
        switch (step, value) {
        case (.key(let key), var object as [String: Any]):
            if let inner = object[key] { object[key] = replacing(steps.dropFirst(), in: inner, with: replacement) }
            return object
        case (.index(let index), var array as [Any]) where array.indices.contains(index):
            array[index] = replacing(steps.dropFirst(), in: array[index], with: replacement)
            return array
        default:
            return value
        }
    }

    /// Whether a Content-Type is JSON: `application/json` or `application/…+json`, any case, with or
    /// without parameters. Read as bytes: Foundation's trimming took 20 µs a request.
    static func isJSON(_ contentType: String) -> Bool {
        var mediaType = Array(contentType.utf8.prefix { $0 != UInt8(ascii: ";") })
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        while let last = mediaType.last, isSpace(last) { mediaType.removeLast() }
        let lowered = mediaType.drop(while: isSpace).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        let prefix = Array("application/".utf8)
        let suffix = Array("+json".utf8)
        return lowered.elementsEqual("application/json".utf8)
            || (lowered.count > prefix.count + suffix.count && lowered.starts(with: prefix) && lowered.suffix(suffix.count).elementsEqual(suffix))
    }

    private static func fieldName(_ path: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
        let keys = (path + (last.map { [$0] } ?? [])).map { key in
            key.intValue.map { "[\($0)]" } ?? snakeCase(key.stringValue)
        }
        return keys.isEmpty ? "body" : keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    private static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static func describe(_ error: DecodingError) -> ParleyError {
        switch error {
        case .keyNotFound(let key, let context):
            return .badRequest("Missing field `\(fieldName(context.codingPath, key))`.")
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return .badRequest("The body must be a JSON object.") }
            return .badRequest("Field `\(fieldName(context.codingPath))` must be \(describe(type)).")
        case .valueNotFound(let type, let context):
            return .badRequest("Field `\(fieldName(context.codingPath))` must be \(describe(type)), not null.")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return ParleyError(.badRequest, "malformed_json", "The body is not valid JSON.") }
            // Foundation's words for a value an enum does not take name a Swift type ("Cannot
            // initialize PresenceStatus from invalid String value ONLINE"): said in the API's terms.
            if let range = context.debugDescription.range(of: " value ", options: .backwards),
                context.debugDescription.hasPrefix("Cannot initialize ")
            {
                let value = context.debugDescription[range.upperBound...]
                return .badRequest("Field `\(fieldName(context.codingPath))` does not take the value \(value) (values are case-sensitive; see openapi.yaml).")
            }
            return .badRequest("Field `\(fieldName(context.codingPath))` has an invalid value: \(context.debugDescription)")
        @unknown default:
            return .badRequest("The body does not match the expected shape.")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        default: return "of the documented type"
        }
    }
}

/// Follows a byte-by-byte scan of JSON in and out of strings (escapes included), for scans that
/// only need to know what lies outside them.
struct JSONStrings {
    private(set) var inside = false
    private var escaped = false

    /// Takes the next byte; true when it belongs to a string, its quotes included.
    mutating func take(_ byte: UInt8) -> Bool {
        if inside {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inside = false
            }
            return true
        }
        if byte == UInt8(ascii: "\"") { inside = true }
        return inside
    }
}
