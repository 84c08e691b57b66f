import Foundation
import Hummingbird
import MariaDB

/// The HTTP face of files: `uploadFile` (share a file in a room, as a message), `roomFiles` (a room's
/// files), `downloadFile` and `downloadThumbnail`.
struct FileController {
    let messages: MessageService
    let files: FileStore
    let limiter: RateLimiter
    let maxUploadBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/rooms/:room/files", use: upload)
        router.get("/api/rooms/:room/files", use: list)
        router.get("/api/files/:file", use: download)
        router.get("/api/files/:file/thumbnail", use: thumbnail)
    }

    /// Types a browser may show in place (they run no script); everything else is a download.
    static let inlineTypes: Set<String> = [
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/tiff", "image/heic", "image/heif",
        "video/mp4", "video/webm", "video/quicktime", "video/ogg", "audio/mpeg", "audio/ogg", "audio/wav", "audio/webm", "audio/mp4",
        "audio/x-m4a", "audio/aac", "audio/flac", "text/plain",
        // The other names of WAV and FLAC some systems send (a hunt: a WAV as `audio/x-wav` downloaded).
        "audio/x-wav", "audio/wave", "audio/vnd.wave", "audio/x-flac",
    ]

    static let fileNotFound = ParleyError(.notFound, "file_not_found", "No such file.")
    static let noThumbnail = ParleyError(
        .notFound, "no_thumbnail",
        "The file has no thumbnail: it is not a PNG, JPEG, GIF or WebP picture the server could read, or it was shared before thumbnails.")

    /// What RFC 5987 leaves unencoded in `filename*`: ASCII letters, digits and `-._~` (a header is
    /// ASCII; `CharacterSet.alphanumerics` would let other scripts' letters through).
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The name for clients that do not read `filename*` (curl's `-OJ` saved a file under its id):
    /// printable ASCII, with `_` for every other character and for `"`, `\` and `%` (RFC 6266).
    static func asciiFallback(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.map { scalar in
            (0x20...0x7E).contains(scalar.value) && scalar != "\"" && scalar != "\\" && scalar != "%" ? scalar : "_"
        }))
    }

    /// [uploadFile] The body is the file's bytes, its `Content-Type` the file's type; `name` and an
    /// optional caption (`text`) come in the query. 201 with the message that shares it.
    func upload(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let parameters = request.query
        let name = try Self.fileName(parameters.get("name").map { String($0) } ?? "file")
        let caption = try MessageService.validateCaption(parameters.get("text").map { String($0) } ?? "")
        // A file shared as a reply, as a message is (a caption written in answer to someone had
        // gone as a message of its own, a hunt).
        let replyTo = try MessageController.number(request, "reply_to", "a message id", minimum: 1)
        let contentType = Self.contentType(request.headers[.contentType])
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxUploadBytes {
            throw FileStore.tooLarge(maxUploadBytes)
        }
        try limiter.consume(String(session.user.id))
        // Refused callers store nothing.
        try await messages.checkMayPost(user: session.user, roomID: roomID)
        var stored = try await files.store(request.body, name: name, contentType: contentType, limit: maxUploadBytes)
        stored.session = session.id
        return MessageController.answer(
            try await messages.post(user: session.user, roomID: roomID, text: caption, replyTo: replyTo, clientID: nil, file: stored))
    }

    /// [roomFiles] `kind` (pictures, media or other), `name` (contained in the file's name),
    /// `before=<message id>`, `limit` ≤ 100: the messages that share them, newest first.
    func list(request: Request, context: AppRequestContext) async throws -> MessageController.Page {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let parameters = request.query
        let kind = try parameters.get("kind").map { text in
            guard let kind = FileKind(rawValue: String(text)) else {
                throw ParleyError.badRequest("kind is one of \(FileKind.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            return kind
        }
        let limit = try MessageController.number(request, "limit", "from 1 to \(MessageService.maxPage)").map { Int($0) } ?? 50
        let before = try MessageController.number(request, "before", "a message id", minimum: 1)
        let page = try await messages.roomFiles(
            user: session.user, roomID: roomID, kind: kind, name: parameters.get("name").map { String($0) }, before: before, limit: limit)
        return MessageController.Page(messages: page.messages, hasMore: page.hasMore)
    }

    /// 1–255 characters without control characters or invisible formatting ones (a right-to-left
    /// override made "‮gnp.exe" show as "exe.png", as room names refuse); path separators become `_`. Counted in code
    /// points, as the column is (and as file systems count bytes): a name of 128 accented letters,
    /// each written as a letter and its accent, passed a count of characters and answered 500.
    static func fileName(_ text: String) throws -> String {
        // Composed (NFC), as most systems write names: macOS and iOS send them decomposed, and an
        // accent written apart split the name's words for search, was not found by the name filter,
        // and counted twice against the length.
        let trimmed = text.precomposedStringWithCanonicalMapping.trimmedWhitespace
        guard (1...255).contains(trimmed.unicodeScalars.count),
            !trimmed.hasControlCharacters(), !RoomService.hasInvisibleFormatting(trimmed)
        else {
            throw ParleyError.invalid(
                "invalid_file_name", "A file name is 1–255 characters with no control characters and no invisible formatting characters.")
        }
        return String(trimmed.map { $0 == "/" || $0 == "\\" ? "_" : $0 })
    }

    /// The `type/subtype` of a Content-Type header (lowercased, without parameters), or
    /// `application/octet-stream` when there is none that reads as one.
    static func contentType(_ header: String?) -> String {
        let token = "abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-"
        guard let value = header?.split(separator: ";").first.map({ String($0).trimmedWhitespace.lowercased() }), value.count <= 127 else {
            return "application/octet-stream"
        }
        let halves = value.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, halves.allSatisfy({ !$0.isEmpty && $0.allSatisfy(token.contains) }) else { return "application/octet-stream" }
        return value
    }

    /// [downloadFile] Members of the file's room. Answers `Range: bytes=…` (one range) with 206, and
    /// `If-None-Match` with 304.
    func download(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "file")
        let record = try await messages.fileForMember(user: session.user, fileID: id, files: files)
        let etag = "\"" + record.sha256.map { String(format: "%02x", $0) }.joined() + "\""
        let disposition = Self.inlineTypes.contains(record.contentType) ? "inline" : "attachment"
        let encodedName = record.name.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "file"
        var headers: HTTPFields = [
            // Text shown in place says UTF-8 (only the type is stored): without a charset, browsers
            // read it as windows-1252 and showed "cafÃ©" (a hunt). A byte-order mark still wins.
            .contentType: record.contentType == "text/plain" ? "text/plain; charset=utf-8" : record.contentType,
            .contentDisposition: "\(disposition); filename=\"\(Self.asciiFallback(record.name))\"; filename*=UTF-8''\(encodedName)",
            .eTag: etag,
            .acceptRanges: "bytes",
            .cacheControl: "private, max-age=31536000, immutable",
            .init("X-Content-Type-Options")!: "nosniff",
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ]
        if request.ifNoneMatch(etag) {
            return Response(status: .notModified, headers: headers)
        }
        var range: ClosedRange<Int64> = 0...(record.size - 1)
        var status = HTTPResponse.Status.ok
        switch request.ifRangeAllowsRange(etag) ? Self.range(request.headers[.range], size: record.size) : .whole {
        case .whole:
            break
        case .part(let part):
            range = part
            status = .partialContent
            headers[.contentRange] = "bytes \(part.lowerBound)-\(part.upperBound)/\(record.size)"
        case .unsatisfiable:
            throw ParleyError(
                .rangeNotSatisfiable, "range_not_satisfiable", "The file has \(record.size) bytes.",
                headers: [.contentRange: "bytes */\(record.size)"])
        }
        let length = range.upperBound - range.lowerBound + 1
        headers[.contentLength] = String(length)
        let files = self.files
        let fileID = record.id
        let selected = range
        return Response(
            status: status, headers: headers,
            body: ResponseBody(contentLength: Int(length)) { writer in
                try await files.read(fileID: fileID, range: selected, into: &writer)
                try await writer.finish(nil)
            })
    }

    /// [downloadThumbnail] Members of the file's room: the picture's thumbnail, made when it was
    /// shared (WebP, at most 800 pixels a side). `If-None-Match` is answered with 304.
    func thumbnail(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "file")
        let record = try await messages.fileForMember(user: session.user, fileID: id, files: files)
        let etag = "\"" + record.sha256.map { String(format: "%02x", $0) }.joined() + "-thumbnail\""
        var headers: HTTPFields = [
            .contentType: Thumbnails.contentType,
            .eTag: etag,
            .cacheControl: "private, max-age=31536000, immutable",
            .init("X-Content-Type-Options")!: "nosniff",
            .contentSecurityPolicy: "default-src 'none'; sandbox",
        ]
        if request.ifNoneMatch(etag) {
            guard try await files.hasThumbnail(fileID: record.id) else { throw Self.noThumbnail }
            return Response(status: .notModified, headers: headers)
        }
        guard let data = try await files.thumbnail(fileID: record.id) else { throw Self.noThumbnail }
        headers[.contentLength] = String(data.count)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    enum RangeAnswer: Equatable {
        case whole
        case part(ClosedRange<Int64>)
        case unsatisfiable
    }

    /// One `bytes=` range of a `size`-byte file (RFC 9110): `a-b`, `a-` or `-n`. A header that does
    /// not read as one range is ignored (the whole file), as the RFC allows. The unit is read in
    /// any case and empty list elements are skipped (RFC 9110 §14.1, §5.6.1).
    static func range(_ header: String?, size: Int64) -> RangeAnswer {
        guard let header else { return .whole }
        let halves = header.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count == 2, halves[0].lowercased() == "bytes" else { return .whole }
        let specs = halves[1].split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmedWhitespace }.filter { !$0.isEmpty }
        guard specs.count == 1 else { return .whole }
        let spec = specs[0]
        let ends = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard ends.count == 2 else { return .whole }
        // Digits beyond what 64 bits hold are a position past any file (`a-` past the end is 416,
        // not the whole file), not a malformed range.
        func position(_ digits: Substring) -> Int64? {
            guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return Int64(digits) ?? .max
        }
        let first = ends[0].isEmpty ? nil : position(ends[0])
        let last = ends[1].isEmpty ? nil : position(ends[1])
        if !ends[0].isEmpty && first == nil || !ends[1].isEmpty && last == nil { return .whole }
        switch (first, last) {
        case (let first?, let last):
            if let last, last < first { return .whole }
            guard first < size else { return .unsatisfiable }
            return .part(first...min(last ?? size - 1, size - 1))
        case (nil, let suffix?):
            guard suffix > 0 else { return .unsatisfiable }
            return .part(max(0, size - suffix)...(size - 1))
        case (nil, nil):
            return .whole
        }
    }
}

extension MessageService {
    /// Refuses, before any bytes are stored, a user who may not post in the room.
    func checkMayPost(user: User, roomID: Int64) async throws {
        try await rooms.pool.withConnection { c in try checkMayPost(c, userID: user.id, roomID: roomID, text: "", replyTo: nil) }
    }

    /// A file for a member of its room: `file_not_found` when it is hidden from the user (or gone),
    /// `not_a_member` (or `banned`) in a public room they are not in.
    func fileForMember(user: User, fileID: Int64, files: FileStore) async throws -> FileStore.Record {
        try await rooms.pool.withConnection { c in
            guard let record = try files.record(c, id: fileID) else { throw FileController.fileNotFound }
            // One's own file stays one's own after leaving its room (the data export lists it and
            // points here for its bytes), while the message that shares it is not deleted.
            if record.uploaderID == user.id { return record }
            let role: RoomRole?
            do {
                role = try RoomService.role(rooms, c, roomID: record.roomID, userID: user.id)
            } catch let error as ParleyError where error.code == "room_not_found" {
                throw FileController.fileNotFound
            }
            guard role != nil else { throw try RoomService.outsider(c, roomID: record.roomID, userID: user.id) }
            return record
        }
    }
}
