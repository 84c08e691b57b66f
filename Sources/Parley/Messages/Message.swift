import Foundation
import MariaDB

/// A message as clients see it; a deleted one is a tombstone without text.
public struct MessageView: Encodable, Sendable {
    public let id: Int64
    public let roomId: Int64
    public let sender: UserSummary
    public let text: String?
    public let replyTo: Int64?
    public let clientId: String?
    public let createdAt: Date
    public let editedAt: Date?
    public let deleted: Bool
    /// Members mentioned with `@username`.
    public let mentions: [Int64]
    /// Whether the message mentions everyone with `@room`.
    public let mentionsRoom: Bool
    /// Whether the message mentions the members online when it was posted, with `@here`.
    public let mentionsHere: Bool
    /// Its reactions, each emoji in the order it was first used (none once deleted).
    public let reactions: [ReactionSummary]
    /// The file it shares, if any (none once deleted).
    public let file: FileView?
    /// How many replies name it in `replyTo` and are not deleted (its thread).
    public let replyCount: Int
    /// The message it forwards, as that was when forwarded (none once deleted).
    public let forwarded: ForwardView?
    /// The poll it asks (its text is the question; none once deleted).
    public var poll: PollView?
    /// The incoming webhook that posted it (as named then), for its sender's; `sender` is who made the webhook.
    public let webhook: WebhookSummary?
    /// Previews of the web pages it links to, fetched after it was posted (none once deleted).
    public var previews: [LinkPreview] = []
    /// For the reader of a read (never in events): the emoji they reacted with, given only when
    /// some emoji's `userIds` is cut short, so the reader cannot tell from it.
    public var myReactions: [String]? = nil
    /// For the reader of a read (never in events): true when they saved it, else left out.
    public var saved: Bool? = nil
    /// For the reader of a read (never in events): the options they chose, given only when some
    /// option's `voterIds` is cut short, so the reader cannot tell from it.
    public var myVotes: [Int]? = nil

    enum CodingKeys: String, CodingKey {
        case id, roomId, sender, text, replyTo, clientId, createdAt, editedAt, deleted, mentions, mentionsRoom, mentionsHere, reactions, file
        case replyCount
        case forwarded, poll, webhook, previews, myReactions, saved, myVotes
    }

    // Spelled out so that absent values are sent as null rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(roomId, forKey: .roomId)
        try c.encode(sender, forKey: .sender)
        try c.encode(text, forKey: .text)
        try c.encode(replyTo, forKey: .replyTo)
        try c.encode(clientId, forKey: .clientId)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(editedAt, forKey: .editedAt)
        try c.encode(deleted, forKey: .deleted)
        try c.encode(mentions, forKey: .mentions)
        try c.encode(mentionsRoom, forKey: .mentionsRoom)
        try c.encode(mentionsHere, forKey: .mentionsHere)
        try c.encode(reactions, forKey: .reactions)
        try c.encode(file, forKey: .file)
        try c.encode(replyCount, forKey: .replyCount)
        try c.encode(forwarded, forKey: .forwarded)
        try c.encode(poll, forKey: .poll)
        try c.encode(webhook, forKey: .webhook)
        try c.encode(previews, forKey: .previews)
        try c.encodeIfPresent(myReactions, forKey: .myReactions)
        try c.encodeIfPresent(saved, forKey: .saved)
        try c.encodeIfPresent(myVotes, forKey: .myVotes)
    }

    init(
        id: Int64, roomId: Int64, sender: UserSummary, text: String?, replyTo: Int64?, clientId: String?, createdAt: Date, editedAt: Date?,
        deleted: Bool, mentions: [Int64] = [], mentionsRoom: Bool = false, mentionsHere: Bool = false, reactions: [ReactionSummary] = [],
        file: FileView? = nil, replyCount: Int = 0, forwarded: ForwardView? = nil, poll: PollView? = nil, webhook: WebhookSummary? = nil
    ) {
        self.webhook = webhook
        self.file = file
        self.forwarded = forwarded
        self.poll = poll
        self.replyCount = replyCount
        self.reactions = reactions
        self.mentions = mentions
        self.mentionsRoom = mentionsRoom
        self.mentionsHere = mentionsHere
        self.id = id
        self.roomId = roomId
        self.sender = sender
        self.text = text
        self.replyTo = replyTo
        self.clientId = clientId
        self.createdAt = createdAt
        self.editedAt = editedAt
        self.deleted = deleted
    }

    /// A date as a DATETIME(3) column gives it back: whole milliseconds.
    static func storedPrecision(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    init(row: MariaDBRow) throws {
        id = try row.decode("id")
        roomId = try row.decode("room_id")
        sender = UserSummary(
            id: try row.decode("sender_id"), username: try row.decode("username"), displayName: try row.decode("display_name"),
            avatar: try row.decode("avatar"))
        let deletedAt: Date? = try row.decode("deleted_at")
        deleted = deletedAt != nil
        text = deleted ? nil : try row.decode("text")
        replyTo = try row.decode("reply_to")
        clientId = try row.decode("client_id")
        createdAt = try row.decode("created_at")
        editedAt = try row.decode("edited_at")
        mentions = deleted ? [] : (try row.decode("mention_ids", as: String.self)).split(separator: ",").compactMap { Int64($0) }
        mentionsRoom = deleted ? false : try row.decode("mentions_room")
        mentionsHere = deleted ? false : try row.decode("mentions_here")
        let summary: String? = try row.decode("reaction_summary")
        reactions = deleted ? [] : try summary.map(ReactionSummary.decodeList) ?? []
        let fileSummary: String? = try row.decode("file_summary")
        file = deleted ? nil : try fileSummary.map(FileView.decode)
        replyCount = try row.decode("reply_count")
        let forwardSummary: String? = try row.decode("forward_summary")
        forwarded = deleted ? nil : try forwardSummary.map(ForwardView.decode)
        let pollSummary: String? = try row.decode("poll_summary")
        poll = deleted ? nil : try pollSummary.map(PollView.decode)
        let webhookSummary: String? = try row.decode("webhook_summary")
        webhook = try webhookSummary.map(WebhookSummary.decode)
        let previewSummary: String? = try row.decode("preview_summary")
        previews = deleted ? [] : try previewSummary.map(LinkPreview.decodeList) ?? []
    }
}

/// What a forwarded message quotes: the original as it was when forwarded (its sender's names then
/// too), and where it was, for readers who may open that room.
public struct ForwardView: Codable, Sendable, Equatable {
    public struct Sender: Codable, Sendable, Equatable {
        public let id: Int64
        public let username: String
        public let displayName: String
        public let avatarUrl: String?

        enum CodingKeys: String, CodingKey { case id, username, displayName, avatarUrl }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(username, forKey: .username)
            try c.encode(displayName, forKey: .displayName)
            try c.encode(avatarUrl, forKey: .avatarUrl)
        }
    }

    public let messageId: Int64
    public let roomId: Int64
    public let sender: Sender
    /// Its text (empty for a file shared without a caption), as the target room's filters let it show.
    public private(set) var text: String
    public let createdAt: Date
    /// The incoming webhook that posted it, as named then (`sender` is then the webhook's maker), or nil.
    /// Quotes stored before it was kept have none.
    public let webhook: WebhookSummary?

    enum CodingKeys: String, CodingKey { case messageId, roomId, sender, text, createdAt, webhook }

    // Spelled out so that a quote of a person's message says `webhook: null` rather than leaving it out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(messageId, forKey: .messageId)
        try c.encode(roomId, forKey: .roomId)
        try c.encode(sender, forKey: .sender)
        try c.encode(text, forKey: .text)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(webhook, forKey: .webhook)
    }

    /// The quote with its text as the room it is forwarded to shows it (masked by its filter).
    func showing(_ text: String) -> ForwardView {
        var quote = self
        quote.text = text
        return quote
    }

    /// The original of `message`: the message itself, or what it forwards when it adds nothing of
    /// its own (no text, no file), so that forwarding a forward credits the original author.
    init(of message: MessageView) {
        // A forward with no comment adds nothing (a file it carries is its original's): the quote
        // is of that original, so its author stays credited down a chain of forwards.
        if let inner = message.forwarded, (message.text ?? "").isEmpty {
            self = inner
            return
        }
        messageId = message.id
        roomId = message.roomId
        sender = Sender(
            id: message.sender.id, username: message.sender.username, displayName: message.sender.displayName, avatarUrl: message.sender.avatarURL)
        text = message.text ?? ""
        createdAt = message.createdAt
        webhook = message.webhook
    }

    /// The summary stored in `messages.forward_summary`.
    static func decode(_ text: String) throws -> ForwardView {
        try ParleyJSON.decoder().decode(ForwardView.self, from: Data(text.utf8))
    }

    func encoded() throws -> String { String(decoding: try ParleyJSON.encoder().encode(self), as: UTF8.self) }
}

/// The SQL of messages.
struct MessageStore: Sendable {
    let pool: MariaDBPool

    static let columns = """
        m.id, m.room_id, m.sender_id, u.username, u.display_name, u.avatar, m.text, m.reply_to, m.client_id,
        m.created_at, m.edited_at, m.deleted_at, m.mention_ids, m.mentions_room, m.mentions_here, m.reaction_summary, m.file_summary, m.reply_count,
        m.forward_summary, m.poll_summary, m.webhook_summary, m.preview_summary
        """

    /// `columns` for a locking read of messages alone: the sender's names come from subqueries,
    /// which read without locking. A join would lock the sender's `users` row with the message, so
    /// reacting to, editing, saving or reporting a message held its sender's account row, which a
    /// webhook's creation (its maker's foreign key) then deadlocked with.
    static let lockingColumns = columns.replacingOccurrences(
        of: "u.username, u.display_name, u.avatar",
        with: """
            (SELECT username FROM users WHERE id = m.sender_id) AS username, (SELECT display_name FROM users WHERE id = m.sender_id) AS display_name,
            (SELECT avatar FROM users WHERE id = m.sender_id) AS avatar
            """)

    /// `forUpdate`, `shared`: read it under an exclusive or a shared lock (the latest committed row,
    /// kept until the transaction ends; a shared one for a row that is to point at it through a
    /// foreign key). Only the message's row is locked (`lockingColumns`).
    func message(_ c: MariaDBConnection, id: Int64, forUpdate: Bool = false, shared: Bool = false) throws -> MessageView? {
        guard forUpdate || shared else {
            return try c.query("SELECT \(Self.columns) FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.id = ?", [id]).first.map(MessageView.init)
        }
        return try c.query("SELECT \(Self.lockingColumns) FROM messages m WHERE m.id = ? \(forUpdate ? "FOR UPDATE" : "LOCK IN SHARE MODE")", [id])
            .first.map(MessageView.init)
    }

    func byClientID(_ c: MariaDBConnection, senderID: Int64, clientID: String) throws -> MessageView? {
        try c.query(
            "SELECT \(Self.columns) FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.sender_id = ? AND m.client_id = ?",
            [senderID, clientID]
        ).first.map(MessageView.init)
    }

    /// Inserts a message with `id`: the id reserved for its `message.created` event (sql/065).
    func insert(
        _ c: MariaDBConnection, id: Int64, roomID: Int64, senderID: Int64, text: String, replyTo: Int64?, clientID: String?, at date: Date,
        mentions: ResolvedMentions
    ) throws -> Int64 {
        try c.execute(
            """
            INSERT INTO messages (id, room_id, sender_id, text, reply_to, client_id, created_at, mention_ids, mentions_room, mentions_here)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [id, roomID, senderID, text, replyTo, clientID, date, mentions.idList, mentions.room, mentions.here])
        try Self.insertMentions(
            c, messageID: id, roomID: roomID, senderID: senderID, users: mentions.users + mentions.present + mentions.keyworded,
            byHere: Set(mentions.present + mentions.hereNamed), senderIncluded: mentions.senderIncluded)
        return id
    }

    /// Inserts a message (with `id`, as `insert`) if its sender is a member of its room (in the same
    /// statement, so the check costs no round trip); nil when they are not.
    func insertIfMember(
        _ c: MariaDBConnection, id: Int64, roomID: Int64, senderID: Int64, text: String, replyTo: Int64?, clientID: String?, at date: Date,
        mentions: ResolvedMentions
    ) throws -> Int64? {
        let result = try c.execute(
            """
            INSERT INTO messages (id, room_id, sender_id, text, reply_to, client_id, created_at, mention_ids, mentions_room, mentions_here)
            SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM room_members WHERE room_id = ? AND user_id = ?
            """, [id, roomID, senderID, text, replyTo, clientID, date, mentions.idList, mentions.room, mentions.here, roomID, senderID])
        guard result.affectedRows == 1 else { return nil }
        try Self.insertMentions(
            c, messageID: id, roomID: roomID, senderID: senderID, users: mentions.users + mentions.present + mentions.keyworded,
            byHere: Set(mentions.present + mentions.hereNamed), senderIncluded: mentions.senderIncluded)
        return id
    }

    /// One `mentions` row for each of `users` the message reaches, by name, `@here` or a keyword
    /// (their unread "mentioned" flag). An admin's `@here` may reach thousands: 64 rows a statement,
    /// the rest one by one (two statement shapes, for the connection's cache of prepared
    /// statements). With `ignoringDuplicates` (an edit), rows already there are left as they are.
    /// Not for the sender (a message naming its own sender left them a "mentioned" flag no read
    /// could clear; but a webhook's maker, `senderIncluded`, reads its posts as anyone's). Those
    /// who blocked the sender get theirs too: the flag is read past blocks as they stand
    /// (`ReceiptService`), so an unblock shows the mention again, as it shows the message unread
    /// again (a hunt: the count came back and the flag did not). Notifications are another matter:
    /// a blocker is notified of nothing, then or after.
    static func insertMentions(
        _ c: MariaDBConnection, messageID id: Int64, roomID: Int64, senderID: Int64, users: [Int64], byHere: Set<Int64> = [],
        ignoringDuplicates: Bool = false, senderIncluded: Bool = false
    ) throws {
        let users = senderIncluded ? users : users.filter { $0 != senderID }
        guard !users.isEmpty else { return }
        let insert = ignoringDuplicates ? "INSERT IGNORE" : "INSERT"
        let whole = users.count / 64 * 64
        let rows = Array(repeating: "(?, ?, ?, ?)", count: 64).joined(separator: ", ")
        let sixtyFour = "\(insert) INTO mentions (message_id, user_id, room_id, by_here) VALUES \(rows)"
        for start in stride(from: 0, to: whole, by: 64) {
            try c.execute(sixtyFour, users[start..<(start + 64)].flatMap { [id, $0, roomID, byHere.contains($0)] as [any MariaDBEncodable] })
        }
        for user in users[whole...] {
            try c.execute("\(insert) INTO mentions (message_id, user_id, room_id, by_here) VALUES (?, ?, ?, ?)", [id, user, roomID, byHere.contains(user)])
        }
    }

    /// Calls `post_message` (sql/005): inserts the message if the sender is a member and its event,
    /// and commits; the message's id, or nil when the sender is not a member (nothing written).
    func postMessage(
        _ c: MariaDBConnection, eventID: Int64, roomID: Int64, senderID: Int64, text: String, clientID: String?, at date: Date,
        payloadHead: String, payloadTail: String
    ) throws -> Int64? {
        let rows = try c.query(
            "CALL post_message(?, ?, ?, ?, ?, ?, ?, ?)", [eventID, roomID, senderID, text, clientID, date, payloadHead, payloadTail])
        guard let id = try rows.first?.decode("message_id", as: Int64.self), id > 0 else { return nil }
        return id
    }

    /// Newest first, before a message id (or from the newest).
    func page(_ c: MariaDBConnection, roomID: Int64, before: Int64?, limit: Int) throws -> [MessageView] {
        try c.query(
            """
            SELECT \(Self.columns) FROM messages m JOIN users u ON u.id = m.sender_id
            WHERE m.room_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?
            """, [roomID, before ?? Int64.max, limit]
        ).map(MessageView.init)
    }

    /// A message's replies that are not deleted, oldest first after a message id, up to `through`
    /// (the log's horizon: no caller may page past a reply that can still commit below it).
    func replies(_ c: MariaDBConnection, to root: Int64, after: Int64, through: Int64, limit: Int) throws -> [MessageView] {
        try c.query(
            """
            SELECT \(Self.columns) FROM messages m JOIN users u ON u.id = m.sender_id
            WHERE m.reply_to = ? AND m.id > ? AND m.id <= ? AND m.deleted_at IS NULL ORDER BY m.id ASC LIMIT ?
            """, [root, after, through, limit]
        ).map(MessageView.init)
    }

    /// Where `time` falls among the messages of a room (or of all rooms, with nil): the last message
    /// sent before it and the first sent at or after it. Ids grow with `created_at` (both are set as
    /// a message is inserted), so a binary search over ids finds them in a few dozen point reads of
    /// the primary key (or of `messages_room`), with no index on `created_at` for every post to keep.
    static func split(_ c: MariaDBConnection, roomID: Int64?, at time: Date) throws -> (before: Int64?, from: Int64?) {
        let inRoom = roomID == nil ? "" : "room_id = ? AND "
        let room: [any MariaDBEncodable] = roomID.map { [$0] } ?? []
        func first(atOrAfter id: Int64) throws -> (id: Int64, before: Bool)? {
            try c.query("SELECT id, created_at < ? AS before_time FROM messages WHERE \(inRoom)id >= ? ORDER BY id LIMIT 1", [time] + room + [id])
                .first.map { (try $0.decode("id"), try $0.decode("before_time", as: Bool.self)) }
        }
        guard let oldest = try first(atOrAfter: 0) else { return (nil, nil) }
        guard oldest.before else { return (nil, oldest.id) }
        let newest = try c.query("SELECT MAX(id) AS id FROM messages" + (roomID == nil ? "" : " WHERE room_id = ?"), room)[0].decode("id", as: Int64.self)
        // `low` is a message known to be before the time; every message at or above `high` is not.
        var low = oldest.id
        var high = newest + 1
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if let probe = try first(atOrAfter: middle), probe.before, probe.id < high {
                low = probe.id
            } else {
                high = middle
            }
        }
        return (low, try first(atOrAfter: low + 1)?.id)
    }

    /// Oldest first, after a message id, up to `through` (the event log's horizon: no message at or
    /// below it may still commit, so a reader who goes on after the last one shown misses none).
    func pageAfter(_ c: MariaDBConnection, roomID: Int64, after: Int64, through: Int64, limit: Int) throws -> [MessageView] {
        try c.query(
            """
            SELECT \(Self.columns) FROM messages m JOIN users u ON u.id = m.sender_id
            WHERE m.room_id = ? AND m.id > ? AND m.id <= ? ORDER BY m.id ASC LIMIT ?
            """, [roomID, after, through, limit]
        ).map(MessageView.init)
    }
}
