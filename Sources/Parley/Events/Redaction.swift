import Foundation
import MariaDB

/// Takes what a deleted message said, and everything a deleted room held, out of the event log
/// (docs/DECISIONS.md, "Edit history"): a replay from an old cursor, over SSE or long-poll, from
/// the database or from a hub's window, gives the tombstone, not the text. The database is
/// scrubbed in the deletion's own transaction; each server's window when its hub publishes the
/// `message.deleted` or `room.deleted` (so a second server on the same database does it too).
enum Redaction {
    /// Events of a room whose payload renders a message.
    static let roomEmbedding: Set<String> = [EventType.messageCreated, EventType.messageEdited, EventType.pinned]
    /// Events addressed to one user whose payload renders a message.
    static let userEmbedding: Set<String> = [
        EventType.notification, EventType.reminderSet, EventType.reportCreated, EventType.reportMessageEdited, EventType.reportResolved,
        EventType.reportOutcome,
    ]
    /// Events addressed to one user about their own marks on a room (its row holds no room): a
    /// star, a saved message, a read mark, a draft, a followed thread. A deleted room's go with it,
    /// as its events do (a replay gave them back, drafts' text too, before its `room.deleted`: a
    /// hunt). Not those a room's deletion itself sends (`draft.removed`, `scheduled.removed`,
    /// `reminder.removed`).
    static let userMarks: Set<String> = [
        EventType.roomStarred, EventType.roomUnstarred, EventType.roomNotificationLevel, EventType.readMarker, EventType.savedAdded,
        EventType.savedRemoved, EventType.draftSaved, EventType.scheduledSaved, EventType.threadFollowed, EventType.threadUnfollowed,
        EventType.threadRead, EventType.threadReplied,
    ]
    /// Events about one message's content (`"message_id":…`) that say nothing once it is gone.
    static let aboutContent: Set<String> = [EventType.pollVoted, EventType.pollClosed, EventType.messagePreviews]

    /// In a message's deletion: its renderings in the log become `tombstone`, and the events about
    /// its content go.
    static func scrub(_ c: MariaDBConnection, message: MessageView, tombstone: String) throws {
        let types = roomEmbedding.union(aboutContent).sorted()
        let roomRows = try c.query(
            "SELECT id, type, payload FROM events WHERE room_id = ? AND id >= ? AND type IN (\(types.placeholders))",
            [message.roomId, message.id] + types)
        let userTypes = userEmbedding.sorted()
        let userRows = try c.query(
            "SELECT id, type, payload FROM events WHERE type IN (\(userTypes.placeholders)) AND created_at >= ? AND id >= ? AND payload LIKE ?",
            userTypes + [message.createdAt, message.id, "%" + String(decoding: idNeedle(message.id), as: UTF8.self) + "%"])
        for row in roomRows + userRows {
            let id: Int64 = try row.decode("id")
            let type: String = try row.decode("type")
            let payload: String = try row.decode("payload")
            if aboutContent.contains(type) {
                if isAbout(payload, message: message.id) { try c.execute("DELETE FROM events WHERE id = ?", [id]) }
            } else if let redacted = replacing(message: message.id, room: message.roomId, in: payload, with: tombstone) {
                try c.execute("UPDATE events SET payload = ? WHERE id = ?", [redacted, id])
            }
        }
    }

    /// In a room's deletion, before `room.deleted` is appended: the room's events go, and so do the
    /// events addressed to its members that render its messages.
    static func scrub(_ c: MariaDBConnection, roomID: Int64) throws {
        guard let created: Date = try c.query("SELECT created_at FROM rooms WHERE id = ?", [roomID]).first?.decode("created_at") else { return }
        try c.execute("DELETE FROM events WHERE room_id = ? AND type <> ?", [roomID, EventType.roomDeleted])
        let userTypes = userEmbedding.sorted()
        try c.execute(
            "DELETE FROM events WHERE type IN (\(userTypes.placeholders)) AND created_at >= ? AND payload LIKE ?",
            userTypes + [created, "%" + String(decoding: roomNeedle(roomID), as: UTF8.self) + "%"])
        let markTypes = userMarks.sorted()
        let marks = try c.query(
            "SELECT id, payload FROM events WHERE type IN (\(markTypes.placeholders)) AND created_at >= ? AND payload LIKE ?",
            markTypes + [created, #"%"room_id":\#(roomID)%"#])
        for row in marks where markedRoom(try row.decode("payload")) == roomID {
            try c.execute("DELETE FROM events WHERE id = ?", [try row.decode("id", as: Int64.self)])
        }
    }

    /// The room a mark's payload is about: its `room_id`, or its draft's or scheduled message's.
    static func markedRoom(_ payload: String) -> Int64? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else { return nil }
        let holder = (object["draft"] ?? object["scheduled"]) as? [String: Any] ?? object
        return (holder["room_id"] as? NSNumber)?.int64Value
    }

    /// Whether an event of a deleted room is to leave a hub's window (see `scrub(_:roomID:)`).
    static func isOfDeletedRoom(_ event: LoggedEvent, roomID: Int64) -> Bool {
        if event.roomID == roomID { return event.type != EventType.roomDeleted }
        guard event.userID != nil else { return false }
        if userEmbedding.contains(event.type) { return contains(Array(event.json.utf8), roomNeedle(roomID)) }
        // (Parsed only when the room's id is in it: this runs over the window under the hub's lock.)
        return userMarks.contains(event.type) && contains(Array(event.json.utf8), Array(#""room_id":\#(roomID)"#.utf8))
            && payload(of: event).flatMap(markedRoom) == roomID
    }

    enum Outcome { case keep, replace(LoggedEvent), drop }

    /// What becomes of a window's event once message `messageID` was deleted.
    static func outcome(_ event: LoggedEvent, message messageID: Int64, room roomID: Int64, tombstone: String) -> Outcome {
        if aboutContent.contains(event.type) {
            guard event.roomID == roomID, let payload = payload(of: event), isAbout(payload, message: messageID) else { return .keep }
            return .drop
        }
        guard (event.roomID == roomID && roomEmbedding.contains(event.type)) || (event.userID != nil && userEmbedding.contains(event.type)),
            let payload = payload(of: event),
            let redacted = replacing(message: messageID, room: roomID, in: payload, with: tombstone)
        else { return .keep }
        return .replace(
            LoggedEvent(
                id: event.id, type: event.type, roomID: event.roomID, userID: event.userID, subjectID: event.subjectID,
                createdAt: event.createdAt, payload: redacted, message: event.message))
    }

    /// `json` with every rendering of message `messageID` of room `roomID` replaced by `tombstone`
    /// (and a report's `reported_text` made null); nil when it holds none. Parley writes a message
    /// with its keys sorted, so a rendering is an object opening with `{"client_id":` that holds
    /// `"id":<id>,"mentions":` and `"room_id":<room>,"`; a quote inside a string is
    /// escaped, so neither can occur inside a text.
    static func replacing(message messageID: Int64, room roomID: Int64, in json: String, with tombstone: String) -> String? {
        var bytes = Array(json.utf8)
        let opening = Array(#"{"client_id":"#.utf8)
        let idKey = idNeedle(messageID)
        let roomKey = roomNeedle(roomID)
        let replacement = Array(tombstone.utf8)
        var found = false
        var from = 0
        while let start = firstIndex(of: opening, in: bytes, from: from), let end = endOfValue(bytes, at: start) {
            let object = Array(bytes[start..<end])
            if contains(object, idKey), contains(object, roomKey) {
                bytes.replaceSubrange(start..<end, with: replacement)
                from = start + replacement.count
                found = true
            } else {
                from = start + 1
            }
        }
        guard found else { return nil }
        // A report keeps the text it was made about beside the message: it goes too.
        let reported = Array(#","reported_text":""#.utf8)
        while let key = firstIndex(of: reported, in: bytes, from: 0), let end = endOfValue(bytes, at: key + reported.count - 1) {
            bytes.replaceSubrange((key + reported.count - 1)..<end, with: Array("null".utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The message object a `message.deleted` payload carries (`{"message":{…},…}`): the tombstone.
    static func tombstone(inDeletedEvent event: LoggedEvent) -> (id: Int64, roomID: Int64, json: String)? {
        guard let payload = payload(of: event), let roomID = event.roomID else { return nil }
        let bytes = Array(payload.utf8)
        let prefix = Array(#"{"message":"#.utf8)
        guard bytes.starts(with: prefix), let end = endOfValue(bytes, at: prefix.count) else { return nil }
        let object = Array(bytes[prefix.count..<end])
        let idKey = Array(#","id":"#.utf8)
        guard let at = firstIndex(of: idKey, in: object, from: 0) else { return nil }
        let digits = object[(at + idKey.count)...].prefix { $0 >= 0x30 && $0 <= 0x39 }
        guard let id = Int64(String(decoding: digits, as: UTF8.self)) else { return nil }
        return (id, roomID, String(decoding: object, as: UTF8.self))
    }

    private static func idNeedle(_ message: Int64) -> [UInt8] { Array(#","id":\#(message),"mentions":"#.utf8) }
    /// (Not up to the sender's key: a reader's own rendering, as a reminder's notification, has
    /// `"saved":true` between them.)
    private static func roomNeedle(_ room: Int64) -> [UInt8] { Array(#","room_id":\#(room),""#.utf8) }

    private static func isAbout(_ payload: String, message: Int64) -> Bool {
        contains(Array(payload.utf8), Array(#""message_id":\#(message),"#.utf8))
    }

    /// An event's payload, from its JSON (`{"id":…,…,"created_at":"…","data":<payload>}`).
    private static func payload(of event: LoggedEvent) -> String? {
        let bytes = Array(event.json.utf8)
        guard let data = firstIndex(of: Array(#","data":"#.utf8), in: bytes, from: 0), bytes.last == UInt8(ascii: "}") else { return nil }
        return String(decoding: bytes[(data + 8)..<(bytes.count - 1)], as: UTF8.self)
    }

    private static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool { firstIndex(of: needle, in: bytes, from: 0) != nil }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var i = from
        while i <= bytes.count - needle.count {
            if bytes[i] == first, bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The index just past the JSON value that starts at `start` (an object, array, string or
    /// scalar), or nil when it does not end.
    static func endOfValue(_ bytes: [UInt8], at start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        var depth = 0
        var strings = JSONStrings()
        var i = start
        while i < bytes.count {
            let byte = bytes[i]
            if strings.take(byte) {
                // A string value ends with its closing quote.
                if depth == 0, !strings.inside { return i + 1 }
            } else {
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                    if depth < 0 { return i }
                case UInt8(ascii: ","):
                    if depth == 0 { return i }
                default: break
                }
            }
            i += 1
        }
        return depth == 0 && !strings.inside ? i : nil
    }
}
