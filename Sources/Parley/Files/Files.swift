import Crypto
import Foundation
import Hummingbird
import MariaDB
import NIOPosix

/// A shared file as clients see it, on the message that shares it.
public struct FileView: Codable, Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let size: Int64
    public let contentType: String
    /// Where to download it (members of its room): `/api/files/<id>`.
    public let url: String
    /// A picture's size in pixels as shown (after its EXIF orientation), read from its header; nil
    /// for other files and for files shared before sizes were kept.
    public let width: Int?
    public let height: Int?
    /// `/api/files/<id>/thumbnail` when the server made one (see `Thumbnails`), else nil.
    public let thumbnailUrl: String?

    init(id: Int64, name: String, size: Int64, contentType: String, width: Int? = nil, height: Int? = nil, thumbnail: Bool = false) {
        self.id = id
        self.name = name
        self.size = size
        self.contentType = contentType
        self.url = "/api/files/\(id)"
        self.width = width
        self.height = height
        self.thumbnailUrl = thumbnail ? "/api/files/\(id)/thumbnail" : nil
    }

    enum CodingKeys: String, CodingKey { case id, name, size, contentType, url, width, height, thumbnailUrl }

    /// Every key, `null` included (summaries stored before sizes were kept decode with nil).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(size, forKey: .size)
        try c.encode(contentType, forKey: .contentType)
        try c.encode(url, forKey: .url)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(thumbnailUrl, forKey: .thumbnailUrl)
    }

    /// The summary stored in `messages.file_summary`.
    static func decode(_ text: String) throws -> FileView {
        try ParleyJSON.decoder().decode(FileView.self, from: Data(text.utf8))
    }

    func encoded() throws -> String { String(decoding: try ParleyJSON.encoder().encode(self), as: UTF8.self) }
}

/// An upload whose bytes are stored, not yet shared: its chunks in order, its size and hash, and,
/// for a picture, its size as shown and its thumbnail.
struct StoredUpload: Sendable {
    let name: String
    let contentType: String
    let size: Int64
    let sha256: [UInt8]
    /// (chunk hash, size) in order.
    let parts: [(sha256: [UInt8], size: Int)]
    var shown: (width: Int, height: Int)? = nil
    var thumbnail: Thumbnails.Made? = nil
    /// The session that sent the bytes, when a request did: it must still be signed in when the
    /// file is shared (an upload takes long; a session revoked meanwhile posted it all the same).
    var session: Int64? = nil

    /// The same upload under another name (a word filter's mask).
    func named(_ name: String) -> StoredUpload {
        StoredUpload(name: name, contentType: contentType, size: size, sha256: sha256, parts: parts, shown: shown, thumbnail: thumbnail, session: session)
    }
}

/// Storing uploads as content-addressed chunks and reading them back.
struct FileStore: Sendable {
    let pool: MariaDBPool
    /// Where thumbnails are made (CPU work, shared with password hashing).
    let threadPool: NIOThreadPool
    /// Largest chunk: 1 MiB (a MEDIUMBLOB, well under the server's `max_allowed_packet`).
    static let chunkSize = 1 << 20

    static let empty = ParleyError.invalid("empty_file", "The upload has no bytes.")

    static func tooLarge(_ limit: Int) -> ParleyError {
        ParleyError(.contentTooLarge, "payload_too_large", "A file is at most \(ReadableSize.of(limit)).")
    }

    /// Reads `body` as it arrives, writing each full chunk at once (an upload of any size holds
    /// one chunk in memory and no database connection while it waits for the network).
    /// A picture's header is read from the first bytes; a picture small enough for a thumbnail is
    /// also kept whole in memory until its thumbnail is made.
    func store(_ body: RequestBody, name: String, contentType: String, limit: Int) async throws -> StoredUpload {
        var whole = SHA256()
        var parts: [(sha256: [UInt8], size: Int)] = []
        var pending = ByteBuffer()
        var total = 0
        var head: [UInt8] = []
        var kept: [UInt8]? = []
        var reader = body.makeAsyncIterator()
        while true {
            let next: ByteBuffer?
            do {
                next = try await reader.next()
            } catch {
                throw ParleyError.unreadableBody
            }
            guard var buffer = next else { break }
            total += buffer.readableBytes
            guard total <= limit else { throw Self.tooLarge(limit) }
            buffer.withUnsafeReadableBytes { whole.update(bufferPointer: $0) }
            if head.count < ImageInfo.headBytes { head += buffer.readableBytesView.prefix(ImageInfo.headBytes - head.count) }
            if kept != nil {
                if total > Thumbnails.maxBytes || head.count >= ImageInfo.magicBytes && !ImageInfo.mayBe(head) {
                    kept = nil
                } else {
                    kept! += buffer.readableBytesView
                }
            }
            pending.writeBuffer(&buffer)
            while pending.readableBytes >= Self.chunkSize {
                parts.append(try await writeChunk(pending.readBytes(length: Self.chunkSize)!))
                pending.discardReadBytes()
            }
        }
        if pending.readableBytes > 0 { parts.append(try await writeChunk(pending.readBytes(length: pending.readableBytes)!)) }
        guard total > 0 else { throw Self.empty }
        let info = ImageInfo.read(head)
        let found = try await picture(info, size: Int64(total)) { kept }
        var upload = StoredUpload(
            name: name, contentType: Self.type(declared: contentType, name: name, picture: info?.format), size: Int64(total),
            sha256: Array(whole.finalize()), parts: parts)
        (upload.shown, upload.thumbnail) = found
        return upload
    }

    /// Types that say nothing about the file: none sent, or curl's default for `--data-binary`
    /// (a picture shared with it downloaded as an attachment, a hunt).
    static let unsaidTypes: Set<String> = ["application/octet-stream", "application/x-www-form-urlencoded"]

    /// Types told by a file name's extension when the sender said none. Pictures that can be read
    /// (PNG, JPEG, GIF, WebP) are told by their bytes instead, never by their name.
    static let typesByExtension: [String: String] = [
        "avif": "image/avif", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff", "heic": "image/heic", "heif": "image/heif",
        "mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm", "mov": "video/quicktime", "ogv": "video/ogg",
        "mp3": "audio/mpeg", "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg", "wav": "audio/wav", "m4a": "audio/mp4",
        "aac": "audio/aac", "flac": "audio/flac", "txt": "text/plain", "log": "text/plain",
        "pdf": "application/pdf", "zip": "application/zip", "json": "application/json", "csv": "text/csv",
    ]

    /// The type a file is stored with: the one its sender declared, unless that says nothing
    /// (`unsaidTypes`); then the picture its bytes are, else its name's extension, else
    /// `application/octet-stream`.
    static func type(declared: String, name: String, picture: ImageInfo.Format?) -> String {
        guard unsaidTypes.contains(declared) else { return declared }
        if let picture {
            switch picture {
            case .png: return "image/png"
            case .jpeg: return "image/jpeg"
            case .gif: return "image/gif"
            case .webp: return "image/webp"
            }
        }
        let parts = name.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count > 1, let type = typesByExtension[String(parts.last!)] else { return "application/octet-stream" }
        return type
    }

    /// What a file whose first bytes read as `info` is as a picture: its size as shown and its
    /// thumbnail (made from `whole`, asked for only when one can be made). Nils for other files.
    private func picture(_ info: ImageInfo?, size: Int64, whole: () async throws -> [UInt8]?) async throws -> (
        shown: (width: Int, height: Int)?, thumbnail: Thumbnails.Made?
    ) {
        guard let info else { return (nil, nil) }
        let shown = (info.shownWidth, info.shownHeight)
        guard Thumbnails.canMake(info, size: size), let bytes = try await whole() else { return (shown, nil) }
        return (shown, try await threadPool.runIfActive { Thumbnails.make(bytes, info) })
    }

    /// `file`'s summary as stored on its message.
    private static func view(id: Int64, name: String, size: Int64, contentType: String, _ shown: (width: Int, height: Int)?, thumbnail: Bool)
        -> FileView
    {
        FileView(id: id, name: name, size: size, contentType: contentType, width: shown?.width, height: shown?.height, thumbnail: thumbnail)
    }

    private static func saveThumbnail(_ c: MariaDBConnection, fileID: Int64, _ thumbnail: Thumbnails.Made?) throws {
        guard let thumbnail else { return }
        try c.execute(
            "INSERT INTO file_thumbnails (file_id, content_type, width, height, data) VALUES (?, ?, ?, ?, ?)",
            [fileID, Thumbnails.contentType, thumbnail.width, thumbnail.height, thumbnail.data])
    }

    /// Stores a chunk once: a chunk already there (another file's, or this upload's) is only renewed,
    /// so the sweeper leaves it alone while the upload is completed.
    private func writeChunk(_ bytes: [UInt8]) async throws -> (sha256: [UInt8], size: Int) {
        let sha = Array(SHA256.hash(data: bytes))
        try await pool.execute(
            "INSERT INTO file_chunks (sha256, size, data, touched_at) VALUES (?, ?, ?, NOW(3)) ON DUPLICATE KEY UPDATE touched_at = NOW(3)",
            [sha, bytes.count, bytes])
        return (sha, bytes.count)
    }

    /// What `files.name_words` replaces by one space in a name, so search finds each word of it
    /// (sql/033 did the same to the files there were, sql/072 again with marks kept: a mark ended
    /// the word, and names in Hindi, Thai or Tamil were never found, as `messages.text_words` keeps
    /// them, sql/070).
    static let nonWordRuns = #"[^\p{L}\p{N}\p{M}]+"#

    /// Then each character of Chinese or Japanese (`SearchQuery.isUnspaced`) followed by another
    /// becomes a word of the two, set apart by spaces (replaced by `unspacedPair`), as sql/073
    /// indexes message text: those scripts have no spaces between words.
    static let unspacedCharacter =
        #"([\x{3005}\x{3007}\x{3041}-\x{30FF}\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{F900}-\x{FAFF}\x{FF66}-\x{FF9F}])(?=([\x{3005}\x{3007}\x{3041}-\x{30FF}\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{F900}-\x{FAFF}\x{FF66}-\x{FF9F}])?)"#
    static let unspacedPair = #" \1\2 "#

    /// Records a stored upload as the file of `messageID`, in the caller's transaction.
    static func share(_ c: MariaDBConnection, _ upload: StoredUpload, roomID: Int64, uploaderID: Int64, messageID: Int64) throws -> FileView {
        let id = Int64(
            try c.execute(
                """
                INSERT INTO files (room_id, uploader_id, message_id, name, name_words, content_type, size, sha256, width, height, created_at)
                VALUES (?, ?, ?, ?, REGEXP_REPLACE(REGEXP_REPLACE(?, ?, ' '), ?, ?), ?, ?, ?, ?, ?, NOW(3))
                """,
                [
                    roomID, uploaderID, messageID, upload.name, upload.name, Self.nonWordRuns, Self.unspacedCharacter, Self.unspacedPair, upload.contentType, upload.size, upload.sha256,
                    upload.shown?.width, upload.shown?.height,
                ]
            ).lastInsertID)
        try saveThumbnail(c, fileID: id, upload.thumbnail)
        var offset: Int64 = 0
        for (seq, part) in upload.parts.enumerated() {
            try c.execute(
                "INSERT INTO file_parts (file_id, seq, chunk_sha256, byte_offset, size) VALUES (?, ?, ?, ?, ?)",
                [id, seq, part.sha256, offset, part.size])
            offset += Int64(part.size)
        }
        return view(id: id, name: upload.name, size: upload.size, contentType: upload.contentType, upload.shown, thumbnail: upload.thumbnail != nil)
    }

    /// Forgets the file of a deleted message, and at once the bytes no other file uses. (An upload
    /// of the same bytes going on at that moment then fails at its end and is sent again: see
    /// `MessageService.post`.)
    /// A shared file's stored bytes as an upload, to share again (the file of a forwarded message).
    static func storedUpload(_ c: MariaDBConnection, fileID: Int64) throws -> StoredUpload? {
        guard let file = try c.query("SELECT name, content_type, size, sha256, width, height FROM files WHERE id = ?", [fileID]).first
        else { return nil }
        let parts = try c.query("SELECT chunk_sha256, size FROM file_parts WHERE file_id = ? ORDER BY seq", [fileID]).map {
            (sha256: try $0.decode("chunk_sha256", as: [UInt8].self), size: try $0.decode("size", as: Int.self))
        }
        var upload = StoredUpload(
            name: try file.decode("name"), contentType: try file.decode("content_type"), size: try file.decode("size"),
            sha256: try file.decode("sha256"), parts: parts)
        if let width: Int = try file.decode("width"), let height: Int = try file.decode("height") { upload.shown = (width, height) }
        upload.thumbnail = try c.query("SELECT width, height, data FROM file_thumbnails WHERE file_id = ?", [fileID]).first.map {
            Thumbnails.Made(data: try $0.decode("data"), width: try $0.decode("width"), height: try $0.decode("height"))
        }
        return upload
    }

    static func unshare(_ c: MariaDBConnection, messageID: Int64) throws {
        try remove(c, filesWhere: "f.message_id = ?", messageID)
    }

    /// Forgets every file of a room being deleted, and at once the bytes no other file uses.
    static func unshareAll(_ c: MariaDBConnection, roomID: Int64) throws {
        try remove(c, filesWhere: "f.room_id = ?", roomID)
    }

    private static func remove(_ c: MariaDBConnection, filesWhere condition: String, _ value: Int64) throws {
        let chunks = try c.query(
            "SELECT DISTINCT p.chunk_sha256 FROM files f JOIN file_parts p ON p.file_id = f.id WHERE \(condition)", [value]
        ).map { try $0.decode("chunk_sha256", as: [UInt8].self) }
        try c.execute("DELETE f FROM files f WHERE \(condition)", [value])
        for chunk in chunks {
            try c.execute(
                "DELETE FROM file_chunks WHERE sha256 = ? AND NOT EXISTS (SELECT 1 FROM file_parts WHERE chunk_sha256 = ?)", [chunk, chunk])
        }
    }

    /// ER_NO_REFERENCED_ROW_2 from a file's parts: a chunk the upload wrote was removed before the
    /// upload completed (a file of the same bytes was deleted meanwhile).
    static func lostChunk(_ error: MariaDBError) -> Bool {
        error.code == 1452 && error.message.contains("file_parts_chunk_fk")
    }

    /// Removes chunks that no file has used for an hour (uploads that never completed, files deleted).
    func sweep() async throws {
        while try await pool.execute(
            """
            DELETE FROM file_chunks WHERE touched_at < NOW(3) - INTERVAL 1 HOUR
            AND NOT EXISTS (SELECT 1 FROM file_parts p WHERE p.chunk_sha256 = file_chunks.sha256) LIMIT 100
            """
        ).affectedRows > 0 {}
    }

    struct Record: Sendable {
        let id: Int64
        let roomID: Int64
        let name: String
        let contentType: String
        let size: Int64
        let sha256: [UInt8]
        /// Who shared it (in a forward, the forwarder).
        let uploaderID: Int64
    }

    func record(_ c: MariaDBConnection, id: Int64) throws -> Record? {
        try c.query("SELECT id, room_id, name, content_type, size, sha256, uploader_id FROM files WHERE id = ?", [id]).first.map { row in
            Record(
                id: try row.decode("id"), roomID: try row.decode("room_id"), name: try row.decode("name"),
                contentType: try row.decode("content_type"), size: try row.decode("size"), sha256: try row.decode("sha256"),
                uploaderID: try row.decode("uploader_id"))
        }
    }

    func hasThumbnail(fileID: Int64) async throws -> Bool {
        try await !pool.query("SELECT 1 FROM file_thumbnails WHERE file_id = ?", [fileID]).isEmpty
    }

    /// Examines files shared before the server read pictures at upload (migration 029), a batch at
    /// a time, oldest first: their size as shown and their thumbnail, as an upload gets them now,
    /// and the message's stored `file` with them. Readers see them from their next read; no event
    /// is sent. Returns how many were examined.
    func examineOlderFiles(batch: Int = 20) async throws -> Int {
        let files = try await pool.query(
            "SELECT id, message_id, name, content_type, size FROM files WHERE examined = FALSE ORDER BY id LIMIT ?", [batch])
        for file in files {
            let id: Int64 = try file.decode("id")
            let size: Int64 = try file.decode("size")
            let head = try await bytes(fileID: id, upTo: ImageInfo.headBytes)
            let (shown, thumbnail) = try await picture(ImageInfo.read(head), size: size) { try await bytes(fileID: id, upTo: Int(size)) }
            let view = Self.view(
                id: id, name: try file.decode("name"), size: size, contentType: try file.decode("content_type"), shown, thumbnail: thumbnail != nil)
            let messageID: Int64? = try file.decode("message_id")
            try await pool.transaction { c in
                // A file deleted meanwhile is left alone (its row and message are gone).
                guard
                    try c.execute("UPDATE files SET examined = TRUE, width = ?, height = ? WHERE id = ? AND examined = FALSE", [
                        shown?.width, shown?.height, id,
                    ]).affectedRows == 1
                else { return }
                try Self.saveThumbnail(c, fileID: id, thumbnail)
                if let messageID {
                    try c.execute(
                        "UPDATE messages SET file_summary = ? WHERE id = ? AND file_summary IS NOT NULL", [try view.encoded(), messageID])
                }
            }
        }
        return files.count
    }

    /// The first `limit` bytes of file `id`.
    func bytes(fileID: Int64, upTo limit: Int) async throws -> [UInt8] {
        var collected: [UInt8] = []
        let parts = try await pool.query(
            "SELECT chunk_sha256, size FROM file_parts WHERE file_id = ? AND byte_offset < ? ORDER BY seq", [fileID, limit])
        for part in parts {
            let wanted = min(try part.decode("size", as: Int.self), limit - collected.count)
            collected += try await pool.query(
                "SELECT SUBSTRING(data, 1, ?) AS bytes FROM file_chunks WHERE sha256 = ?", [wanted, try part.decode("chunk_sha256", as: [UInt8].self)]
            ).first?.decode("bytes", as: [UInt8].self) ?? []
        }
        return collected
    }

    /// The thumbnail of file `id` (WebP), if one was made.
    func thumbnail(fileID: Int64) async throws -> [UInt8]? {
        try await pool.query("SELECT data FROM file_thumbnails WHERE file_id = ?", [fileID]).first?.decode("data")
    }

    /// The bytes `range` of file `id`, read a chunk at a time (a chunk is one query).
    func read(fileID: Int64, range: ClosedRange<Int64>, into writer: inout any ResponseBodyWriter) async throws {
        let parts = try await pool.query(
            """
            SELECT chunk_sha256, byte_offset, size FROM file_parts
            WHERE file_id = ? AND byte_offset <= ? AND byte_offset + size > ? ORDER BY seq
            """, [fileID, range.upperBound, range.lowerBound])
        for part in parts {
            let offset: Int64 = try part.decode("byte_offset")
            let size: Int64 = try part.decode("size")
            let from = max(range.lowerBound, offset)
            let through = min(range.upperBound, offset + size - 1)
            let bytes = try await pool.query(
                "SELECT SUBSTRING(data, ?, ?) AS bytes FROM file_chunks WHERE sha256 = ?",
                [from - offset + 1, through - from + 1, try part.decode("chunk_sha256", as: [UInt8].self)]
            ).first?.decode("bytes", as: [UInt8].self) ?? []
            try await writer.write(ByteBuffer(bytes: bytes))
        }
    }
}
