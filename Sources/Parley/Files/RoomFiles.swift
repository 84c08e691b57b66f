import MariaDB

/// Which of a room's files a list shows (`kind=` of `roomFiles`).
enum FileKind: String, Sendable, CaseIterable {
    /// Files the server read as pictures (they have a size in pixels).
    case pictures
    /// Audio and video, by their declared type.
    case media
    /// Everything else.
    case other

    /// The condition on `files f` (fixed text: nothing of the request is in it).
    var condition: String {
        let media = "(f.content_type LIKE 'audio/%' OR f.content_type LIKE 'video/%')"
        switch self {
        case .pictures: return "f.width IS NOT NULL"
        case .media: return "f.width IS NULL AND \(media)"
        case .other: return "f.width IS NULL AND NOT \(media)"
        }
    }
}

extension MessageService {
    static let maxNameFilter = 100

    /// What a name filter matches: any name containing `text` (without regard to case), as a `LIKE`
    /// pattern with `!` escaping the pattern's own characters.
    static func namePattern(_ text: String) -> String {
        var pattern = "%"
        for character in text {
            if character == "!" || character == "%" || character == "_" { pattern.append("!") }
            pattern.append(character)
        }
        return pattern + "%"
    }

    /// [roomFiles] The messages of a room that share a file, newest first, before a message id:
    /// members only (a public room's outsiders get `not_a_member`, as for the files themselves).
    /// `kind` narrows them to pictures, media or the rest; `name` to files whose name contains it.
    func roomFiles(user: User, roomID: Int64, kind: FileKind?, name: String?, before: Int64?, limit: Int) async throws -> Page {
        guard (1...Self.maxPage).contains(limit) else { throw ParleyError.badRequest("limit is 1–\(Self.maxPage).") }
        let pattern = try name.map { text -> String in
            // Composed, as names are stored (`FileController.fileName`): a name pasted from macOS is
            // decomposed, and `LIKE` compares character by character (a hunt found nothing).
            let trimmed = text.precomposedStringWithCanonicalMapping.trimmedWhitespace
            guard trimmed.count <= Self.maxNameFilter else { throw ParleyError.badRequest("name is at most \(Self.maxNameFilter) characters.") }
            return Self.namePattern(trimmed)
        }
        let rooms = self.rooms
        return try await rooms.pool.withConnection { c in
            guard try RoomService.role(rooms, c, roomID: roomID, userID: user.id) != nil else {
                throw try RoomService.outsider(c, roomID: roomID, userID: user.id)
            }
            let rows = try c.query(
                """
                SELECT \(MessageStore.columns) FROM files f
                JOIN messages m ON m.id = f.message_id
                JOIN users u ON u.id = m.sender_id
                WHERE f.room_id = ? AND f.message_id < ? AND \(kind?.condition ?? "TRUE") AND (? IS NULL OR f.name LIKE ? ESCAPE '!')
                ORDER BY f.message_id DESC LIMIT ?
                """, [roomID, before ?? Int64.max, pattern, pattern, limit + 1]
            ).map(MessageView.init)
            return Page(messages: try Self.forReader(c, Array(rows.prefix(limit)), userID: user.id), hasMore: rows.count > limit)
        }
    }
}
