import Foundation
import MariaDB

/// The rules of messages: who may post, read, edit and delete, written with their events.
struct MessageService: Sendable {
    let store: MessageStore
    let rooms: RoomStore
    let log: EventLog
    let notifications: NotificationService
    let typing: TypingService
    /// Throws when the user may not post in the room now (muted, or only moderators and up post
    /// there): see Moderation.
    let canPost: @Sendable (MariaDBConnection, Int64, Int64) throws -> Void
    /// Throws when the user may not react or vote in the room now (muted, unless the last argument
    /// is false: taking a reaction back).
    let canReact: @Sendable (MariaDBConnection, Int64, Int64, Bool) throws -> Void
    let filter: ContentFilter
    /// Fetches the previews of the links in posted and edited messages, after they are written.
    let previews: LinkPreviews
    /// What the server's full-text index counts as a word (for search).
    let fullText = FullTextSettings()

    static let maxLength = 4000
    static let maxPage = 100
    /// What a non-member of a public room may read: the newest messages only.
    static let previewSize = 20

    struct MessageEvent: Encodable {
        let message: MessageView
        /// For a reply's creation or deletion: its thread's root and how many replies it has now.
        var thread: ThreadCount? = nil
    }

    struct ThreadCount: Encodable {
        let rootId: Int64
        let replyCount: Int
        /// Whether the root is deleted, as it stands under its lock (not in the payload).
        var rootDeleted = false

        enum CodingKeys: String, CodingKey { case rootId, replyCount }

        var json: String { #"{"reply_count":\#(replyCount),"root_id":\#(rootId)}"# }
    }

    /// Counts a reply in (or, `by: -1`, out of) its root's thread, in the caller's transaction; the
    /// root's row stays locked until it ends, so concurrent replies count one after the other.
    static func countReply(_ c: MariaDBConnection, root: Int64, by change: Int) throws -> ThreadCount {
        try c.execute("UPDATE messages SET reply_count = GREATEST(reply_count + ?, 0) WHERE id = ?", [change, root])
        let row = try c.query("SELECT reply_count, deleted_at IS NOT NULL AS deleted FROM messages WHERE id = ?", [root]).first
        return ThreadCount(
            rootId: root, replyCount: try row?.decode("reply_count", as: Int.self) ?? 0, rootDeleted: try row?.decode("deleted", as: Bool.self) ?? false)
    }

    /// A message's text, trimmed and composed (NFC; `composed`), or `invalid_text`.
    static func validateText(_ text: String) throws -> String {
        let trimmed = text.composed.trimmedWhitespace
        guard (1...maxLength).contains(trimmed.count), trimmed.unicodeScalars.count <= maxLength * 4, !isInvisible(trimmed) else {
            throw ParleyError.invalid("invalid_text", "A message is 1–\(maxLength) characters after trimming.")
        }
        try refuseControlCharacters(trimmed)
        return trimmed
    }

    /// Whether a text shows nothing: only format characters (a byte order mark, zero-width
    /// joiners), variation selectors and other default-ignorable code points (the Hangul fillers,
    /// the combining grapheme joiner), white space between them and the blank braille cell, which a
    /// message of white space alone would pass as once trimmed. Names are held to the same set
    /// (`RoomService.hasInvisibleFormatting`); a hunt found a message of U+3164 posted as an empty
    /// bubble. (A poll's options are held to it too.)
    static func isInvisible(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy {
            $0.properties.generalCategory == .format || $0.properties.isVariationSelector || $0.properties.isDefaultIgnorableCodePoint
                || $0.properties.isWhitespace || $0 == "\u{2800}"
        }
    }

    /// Control characters other than tab and line breaks (NUL, escape, bell…) have no place in a
    /// message: they are refused, as in every other text field.
    private static func refuseControlCharacters(_ text: String) throws {
        guard !text.hasControlCharacters(allowingLineBreaks: true) else {
            throw ParleyError.invalid("invalid_text", "A message may not hold control characters other than tabs and line breaks.")
        }
    }

    /// A file's caption (or a forward's comment, or an edit's text before its kind is known): at
    /// most 4,000 characters after trimming, and may be empty. `what` names it in the refusal.
    static func validateCaption(_ text: String, what: String = "A caption") throws -> String {
        let trimmed = text.composed.trimmedWhitespace
        guard trimmed.count <= maxLength, trimmed.unicodeScalars.count <= maxLength * 4 else {
            throw ParleyError.invalid("invalid_text", "\(what) is at most \(maxLength) characters after trimming.")
        }
        try refuseControlCharacters(trimmed)
        // Only format characters (a byte order mark) show nothing: no caption, as a message of them is refused.
        return isInvisible(trimmed) ? "" : trimmed
    }

    static func validateClientID(_ id: String?) throws -> String? {
        guard let id else { return nil }
        let allowed = id.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E || b == 0x3A
        }
        guard allowed, (1...64).contains(id.utf8.count) else {
            throw ParleyError.invalid("invalid_client_id", "client_id is 1–64 characters of letters, digits, `-`, `_`, `.` and `:`.")
        }
        return id
    }

    /// A posted message, its JSON (rendered once, for its event and the response), and whether it
    /// is new or the original of a repeated `client_id`.
    struct Posted: Sendable {
        let message: MessageView
        let json: String
        let created: Bool
    }

    /// [push] Posts a message; a retry with the same `client_id` returns the original (created == false).
    ///
    /// A plain message is one round trip (`postInOneTrip`: the `post_message` procedure). Otherwise
    /// it is one transaction: the insert (which checks membership in the same statement), its
    /// events, and the commit. The room's kind comes from memory once seen; a repeated `client_id`
    /// is caught by its unique key. Only `@room` and `@here` (which depend on the sender's role), a
    /// room in slow mode, a room not seen yet, and refusals look the membership up first.
    ///
    /// With `file` (an upload whose bytes are stored), the message shares it and `text` is its
    /// caption, which may be empty. With `forward`, it quotes that message and `text` is a comment,
    /// which may be empty too.
    ///
    /// A new message's links are queued for their previews once it is written (not a poll's).
    func post(
        user: User, roomID: Int64, text: String, replyTo: Int64?, clientID: String?, file: StoredUpload? = nil, forward: ForwardView? = nil,
        poll: PollView? = nil, webhook: WebhookSummary? = nil
    ) async throws -> Posted {
        let posted = try await postOnce(
            user: user, roomID: roomID, text: text, replyTo: replyTo, clientID: clientID, file: file, forward: forward, poll: poll, webhook: webhook)
        if posted.created && poll == nil { previews.enqueue(messageID: posted.message.id, text: posted.message.text) }
        return posted
    }

    private func postOnce(
        user: User, roomID: Int64, text: String, replyTo: Int64?, clientID: String?, file: StoredUpload?, forward: ForwardView?,
        poll: PollView?, webhook: WebhookSummary?
    ) async throws -> Posted {
        let text = file == nil && forward == nil ? try Self.validateText(text) : try Self.validateCaption(text, what: file == nil ? "A comment" : "A caption")
        let clientID = try Self.validateClientID(clientID)
        let store = self.store
        let rooms = self.rooms
        let knownKind = rooms.kinds.get(roomID)
        // Mentions depend on the sender's role (`@room`, `@here`, a big user group's name): a text
        // that may hold one takes the other path, as does a post in slow mode (moderators and up
        // are not slowed).
        let hasAt = text.utf8.contains(UInt8(ascii: "@"))
        let slow = rooms.slowMode.contains(roomID)
        let fast = knownKind != nil && !slow && !hasAt
        /// The membership, or the error a non-member gets (room_not_found for a group, not_a_member for a public room).
        @Sendable func requireMember(_ c: MariaDBConnection) throws -> (kind: RoomKind, role: RoomRole) {
            guard let membership = try rooms.membership(c, roomID: roomID, userID: user.id), membership.role != nil || membership.kind == .public
            else { throw RoomService.roomNotFound }
            guard let role = membership.role else { throw try RoomService.outsider(c, roomID: roomID, userID: user.id) }
            rooms.kinds.remember(roomID, membership.kind)
            return (membership.kind, role)
        }
        // The common case in one round trip: nothing to look up, nobody to notify, no typing
        // indicator to end. Anything else, and any refusal, takes the full path below.
        let oneTrip =
            fast && file == nil && forward == nil && poll == nil && webhook == nil && replyTo == nil && !hasAt
            && !notifications.mayNotify(roomID: roomID, roomKind: knownKind!, mentions: false)
            && !typing.tracker.isTyping(TypingTracker.Key(room: roomID, user: user.id))
            && notifications.watchers(of: text, in: roomID, senderID: user.id).isEmpty
        do {
            if oneTrip {
                do {
                    if let posted = try await postInOneTrip(user: user, roomID: roomID, text: text, clientID: clientID) { return posted }
                } catch let error as MariaDBError where error.isRetryableTransactionFailure {
                    // A deadlock victim (say, with the room's deletion) was rolled back whole: the
                    // full path tries again, as it does for its own.
                }
            }
            return try await log.transaction { c, events in
                // The room's row before any member's (as `post_message` takes them, sql/068): a
                // role change, kick or ban holds the room's and then the member's, and the insert's
                // order (the member's row, then the room's foreign key) deadlocked with it.
                try RoomStore.holdRoom(c, roomID)
                let kind: RoomKind
                let role: RoomRole
                if fast, let knownKind {
                    // The role matters only for mentions and slow mode, which took the other path.
                    (kind, role) = (knownKind, .member)
                } else {
                    (kind, role) = try requireMember(c)
                    if let clientID, let original = try store.byClientID(c, senderID: user.id, clientID: clientID) {
                        guard original.roomId == roomID else { throw Self.clientIDReused }
                        return Posted(message: original, json: original.json, created: false)
                    }
                }
                // A refusal tells a non-member first that they are not one, as the other path does.
                func refuse(_ error: any Error) throws -> Never {
                    if fast { _ = try requireMember(c) }
                    throw error
                }
                // Whose message this answers (they hear of it, as of a mention).
                var answered: Int64?
                var answeredMessage: MessageView?
                if let replyTo {
                    guard let target = try store.message(c, id: replyTo), target.roomId == roomID else {
                        try refuse(ParleyError.invalid("invalid_reply_to", "reply_to must be a message of the same room."))
                    }
                    if !target.deleted { answered = target.sender.id }
                    answeredMessage = target
                }
                do {
                    try canPost(c, roomID, user.id)
                    // What memory said may predate a change this post waited for in `holdRoom`.
                    let held = try RoomStore.checkPostableHeld(c, roomID: roomID, userID: user.id)
                    // So may the end of the session a file was sent by: signed out or revoked while
                    // the bytes came, it posts nothing (the revocation's delete takes the row first).
                    if let session = file?.session,
                        try c.query("SELECT id FROM sessions WHERE id = ? AND expires_at > NOW(3) LOCK IN SHARE MODE", [session]).isEmpty
                    {
                        throw ParleyError.unauthenticated
                    }
                    // A webhook posts only while its maker manages the room: a demotion it waited for counts.
                    if webhook != nil, (held ?? .member) < .admin { throw Self.webhookMakerDemoted }
                } catch { try refuse(error) }
                let filtered: String
                do { filtered = try filter.check(text, roomID: roomID) } catch { try refuse(error) }
                // A poll's options and a file's name are shown to the room as its text is: filtered alike.
                let poll = try poll.map { poll in
                    do {
                        let shown = try poll.withOptionTexts { try filter.check($0, roomID: roomID) }
                        // Masked words can make two options read the same ("foo" and "bar" both `***`).
                        guard Set(shown.options.map { $0.text.lowercased() }).count == shown.options.count else { throw PollView.sameAfterFilter }
                        return shown
                    } catch { try refuse(error) }
                }
                let file = try file.map { file in
                    do { return file.named(try filter.check(file.name, roomID: roomID, fileName: true)) } catch { try refuse(error) }
                }
                // So is a forward's quote: it shows in this room, whatever the room it came from allowed (a hunt).
                let forward = try forward.map { quote in
                    do { return quote.showing(try filter.check(quote.text, roomID: roomID)) } catch { try refuse(error) }
                }
                let mentions = try notifications.resolveMentions(
                    c, text: filtered, roomID: roomID, senderID: user.id, senderRole: role, webhook: webhook != nil)
                let now = Date()
                if slow && role < .moderator { try rooms.takeSlowModeTurn(c, roomID: roomID, userID: user.id, at: now) }
                // Members who show the root update its count from the event. Counted (the root's
                // row locked) before the id is reserved, so replies' ids and events follow their counts.
                let thread = try replyTo.map { try Self.countReply(c, root: $0, by: 1) }
                // Its id is its event's, reserved first: ids then follow the order the log hands
                // them out, and a message's event comes before the events about it.
                let reservedID = try events.reserve()
                let id: Int64
                if fast {
                    guard
                        let inserted = try store.insertIfMember(
                            c, id: reservedID, roomID: roomID, senderID: user.id, text: filtered, replyTo: replyTo, clientID: clientID, at: now,
                            mentions: mentions)
                    else {
                        // The insert read the latest rows; this transaction's snapshot may still
                        // show a room deleted since (404, not the not_a_member it would give).
                        try RoomStore.holdRoom(c, roomID)
                        _ = try requireMember(c)
                        throw RoomService.notAMember
                    }
                    id = inserted
                } else {
                    id = try store.insert(
                        c, id: reservedID, roomID: roomID, senderID: user.id, text: filtered, replyTo: replyTo, clientID: clientID, at: now, mentions: mentions)
                }
                var shared: FileView?
                if let file {
                    let view = try FileStore.share(c, file, roomID: roomID, uploaderID: user.id, messageID: id)
                    try c.execute("UPDATE messages SET file_summary = ? WHERE id = ?", [try view.encoded(), id])
                    shared = view
                }
                if let forward {
                    try c.execute("UPDATE messages SET forward_summary = ? WHERE id = ?", [try forward.encoded(), id])
                }
                if let poll {
                    try c.execute("UPDATE messages SET poll_summary = ? WHERE id = ?", [try poll.encoded(), id])
                }
                if let webhook {
                    try c.execute("UPDATE messages SET webhook_summary = ? WHERE id = ?", [try webhook.encoded(), id])
                }
                let message = MessageView(
                    id: id, roomId: roomID, sender: UserSummary(user), text: filtered, replyTo: replyTo, clientId: clientID,
                    createdAt: MessageView.storedPrecision(now), editedAt: nil, deleted: false, mentions: mentions.users,
                    mentionsRoom: mentions.room, mentionsHere: mentions.here,
                    file: shared, forwarded: forward, poll: poll, webhook: webhook)
                let json = message.json
                // The thread's followers hear of the reply (its root's sender among them, unless they
                // unfollowed it); the replier follows it from now on (a webhook does not).
                var followers: Set<Int64> = []
                if let root = answeredMessage {
                    // Deleted as read under its lock (`countReply`): a deletion this reply waited for
                    // made its sender follow the tombstone's thread again (a hunt, most races).
                    let rootDeleted = root.deleted || thread?.rootDeleted == true
                    if rootDeleted { answered = nil }
                    followers = try ThreadFollows.replied(
                        c, events, roomID: roomID, root: root.id, rootSender: rootDeleted || root.webhook != nil ? nil : root.sender.id, replier: webhook == nil ? user.id : nil,
                        reply: id, mentioned: mentions.users)
                    if let who = answered, !followers.contains(who) { answered = nil }
                    if let thread { try ThreadFollows.tellFollowers(c, events, roomID: roomID, thread: thread, reply: id, replier: user.id) }
                }
                // A webhook's post is not its maker typing.
                if webhook == nil { try typing.messageSent(events, roomID: roomID, user: UserSummary(user)) }
                try events.append(
                    EventType.messageCreated, roomID: roomID, json: #"{"message":\#(json)\#(thread.map { #","thread":\#($0.json)"# } ?? "")}"#,
                    message: (id, user.id), id: id)
                try notifications.notify(
                    c, events, message: message, roomKind: kind, answered: answered, present: mentions.present, keyworded: mentions.keyworded,
                    followers: followers)
                return Posted(message: message, json: json, created: true)
            }
        } catch let error as MariaDBError where error.isDuplicateKey && clientID != nil {
            // A repeated client_id (or the same one racing in from two requests): return the original.
            let original = try await store.pool.withConnection { c -> MessageView? in
                _ = try requireMember(c)
                return try store.byClientID(c, senderID: user.id, clientID: clientID!)
            }
            guard let original else { throw error }
            // The winner may have posted it to another room.
            guard original.roomId == roomID else { throw Self.clientIDReused }
            return Posted(message: original, json: original.json, created: false)
        } catch let error as MariaDBError where FileStore.lostChunk(error) {
            // Nothing was written; sending the file again stores its bytes again.
            throw ParleyError.unavailable
        } catch let error as MariaDBError where error.code == 1452 {
            // ER_NO_REFERENCED_ROW_2: the room was deleted between the membership check and the insert.
            throw RoomService.roomNotFound
        }
    }

    /// [forwardMessage] Posts into `roomID` a message quoting one the user may read (`ForwardView`),
    /// with `comment` as its text; a file the original shares is shared again with it. Refused as
    /// `push` refuses in the target room.
    func forward(user: User, messageID: Int64, to roomID: Int64, comment: String, clientID: String?) async throws -> Posted {
        // The message, its file and the file's parts read as of one moment: held first (a deletion
        // under way is waited for), then read. Read apart, a deletion in between gave a forward a
        // file with no parts (its download ended at 0 bytes) or the quote without its file (a hunt).
        let (source, upload) = try await store.pool.transaction { c in
            _ = try store.message(c, id: messageID, shared: true)
            let source = try memberMessage(c, id: messageID, userID: user.id)
            guard !source.deleted else { throw Self.forwardOfDeleted }
            let upload = try source.file.map { file in
                guard let upload = try FileStore.storedUpload(c, fileID: file.id), Int64(upload.parts.reduce(0) { $0 + $1.size }) == upload.size else {
                    throw Self.forwardOfDeleted
                }
                return upload
            }
            return (source, upload)
        }
        do {
            return try await post(
                user: user, roomID: roomID, text: comment, replyTo: nil, clientID: clientID, file: upload, forward: ForwardView(of: source))
        } catch let error as ParleyError where error.code == ParleyError.unavailable.code && upload != nil {
            // The file's bytes went with the original, deleted meanwhile: sending again cannot help.
            let gone = try await store.pool.withConnection { c in try store.message(c, id: messageID)?.deleted ?? true }
            throw gone ? Self.forwardOfDeleted : error
        }
    }

    static let forwardOfDeleted = ParleyError(.conflict, "message_deleted", "A deleted message cannot be forwarded.")

    /// Posts through the `post_message` procedure (sql/005): the membership check, the message, its
    /// event and the commit in one call. Nil when the full path must decide: the sender is not a
    /// member, is muted, or wrote a filtered word (nothing was written).
    private func postInOneTrip(user: User, roomID: Int64, text: String, clientID: String?) async throws -> Posted? {
        let store = self.store
        let canPost = self.canPost
        let filter = self.filter
        return try await log.autocommit { c, events in
            PostTrace.mark(.databaseThread, text: text)
            guard (try? canPost(c, roomID, user.id)) != nil, let filtered = try? filter.check(text, roomID: roomID) else { return nil }
            let eventID = try events.reserve()
            PostTrace.link(event: eventID, text: text)
            let now = MessageView.storedPrecision(Date())
            func message(id: Int64) -> MessageView {
                MessageView(
                    id: id, roomId: roomID, sender: UserSummary(user), text: filtered, replyTo: nil, clientId: clientID, createdAt: now, editedAt: nil,
                    deleted: false)
            }
            let (head, tail) = message(id: 0).jsonAroundID
            PostTrace.mark(.callSent, event: eventID)
            guard
                let id = try store.postMessage(
                    c, eventID: eventID, roomID: roomID, senderID: user.id, text: filtered, clientID: clientID, at: now,
                    payloadHead: #"{"message":"# + head, payloadTail: tail + "}")
            else { return nil }
            PostTrace.mark(.callReturned, event: eventID)
            let json = head + String(id) + tail
            events.record(
                LoggedEvent(
                    id: eventID, type: EventType.messageCreated, roomID: roomID, userID: nil, subjectID: nil, createdAt: now,
                    payload: #"{"message":\#(json)}"#, message: (id, user.id)))
            return Posted(message: message(id: id), json: json, created: true)
        }
    }

    struct Page: Sendable {
        let messages: [MessageView]
        let hasMore: Bool
        /// Only for a window around a message: whether newer messages lie beyond it.
        var hasNewer: Bool? = nil
        /// Only for a window around a time: the message it is around.
        var aroundID: Int64? = nil
    }

    /// [get] History: newest first (before a message id), oldest first after a message id, or a
    /// window around one message (newest first, with `hasNewer`), or around the first message sent
    /// at or after a time (the newest if none was: `aroundID`).
    func history(user: User, roomID: Int64, before: Int64?, after: Int64?, around: Int64? = nil, at: Date? = nil, limit: Int) async throws -> Page {
        guard (1...Self.maxPage).contains(limit) else {
            throw ParleyError.badRequest("limit is 1–\(Self.maxPage).")
        }
        guard [before, after, around].compactMap({ $0 }).count + (at == nil ? 0 : 1) <= 1 else {
            throw ParleyError.badRequest("Use one of before, after, around and at.")
        }
        let rooms = self.rooms
        let store = self.store
        // Read before the page: every message at or below it has committed or never will.
        let horizon = log.allocator.horizon
        // One trip to a database thread for the check and the page.
        return try await rooms.pool.withConnection { c in
            guard try RoomService.role(rooms, c, roomID: roomID, userID: user.id) != nil else {
                // A public room's non-members see a preview of the newest messages, without paging (not of a password room).
                guard before == nil, after == nil, around == nil, at == nil else {
                    throw try RoomService.outsider(c, roomID: roomID, userID: user.id)
                }
                try RoomService.checkPreview(c, roomID: roomID, userID: user.id)
                return Page(messages: try store.page(c, roomID: roomID, before: nil, limit: min(limit, Self.previewSize)), hasMore: false)
            }
            var around = around
            if let at {
                let split = try MessageStore.split(c, roomID: roomID, at: at)
                guard let anchor = split.from ?? split.before else { return Page(messages: [], hasMore: false, hasNewer: false) }
                around = anchor
            }
            if let around {
                // The message with the older ones before it, and the newer half of the page after it.
                let newerLimit = limit / 2
                let olderLimit = limit - newerLimit
                let older = try store.page(c, roomID: roomID, before: around &+ 1, limit: olderLimit + 1)
                guard older.first?.id == around else { throw Self.messageNotFound }
                let newer = try store.pageAfter(c, roomID: roomID, after: around, through: horizon, limit: newerLimit + 1)
                return Page(
                    messages: try Self.forReader(c, newer.prefix(newerLimit).reversed() + older.prefix(olderLimit), userID: user.id),
                    hasMore: older.count > olderLimit, hasNewer: newer.count > newerLimit, aroundID: at == nil ? nil : around)
            }
            let messages: [MessageView]
            if let after {
                messages = try store.pageAfter(c, roomID: roomID, after: after, through: horizon, limit: limit + 1)
            } else {
                messages = try store.page(c, roomID: roomID, before: before, limit: limit + 1)
            }
            return Page(messages: try Self.forReader(c, Array(messages.prefix(limit)), userID: user.id), hasMore: messages.count > limit)
        }
    }

    /// One message, for members of its room (a tombstone once deleted). A public room's
    /// non-members read only its preview (403); a private room's never learn it exists (404).
    func message(user: User, messageID: Int64) async throws -> MessageView {
        try await rooms.pool.withConnection { c in
            try Self.forReader(c, [try memberMessage(c, id: messageID, userID: user.id)], userID: user.id)[0]
        }
    }

    struct Version: Encodable, Sendable {
        let text: String
        let replacedAt: Date
    }

    /// [messageEdits] The texts a message had before its edits, oldest first (none once deleted),
    /// with the message as it is now; for those who may read it.
    func edits(user: User, messageID: Int64) async throws -> (message: MessageView, versions: [Version]) {
        try await rooms.pool.withConnection { c in
            let message = try Self.forReader(c, [try memberMessage(c, id: messageID, userID: user.id)], userID: user.id)[0]
            let versions = try c.query("SELECT text, replaced_at FROM message_edits WHERE message_id = ? ORDER BY id", [messageID]).map {
                Version(text: try $0.decode("text"), replacedAt: try $0.decode("replaced_at"))
            }
            return (message, versions)
        }
    }

    struct Thread: Sendable {
        let root: MessageView
        let replies: [MessageView]
        let hasMore: Bool
        let following: Bool
    }

    /// [replies] A message's thread: the message (a tombstone once deleted) and its replies that are
    /// not deleted, oldest first after a reply's id; for those who may read the message.
    func replies(user: User, messageID: Int64, after: Int64?, limit: Int) async throws -> Thread {
        guard (1...Self.maxPage).contains(limit) else { throw ParleyError.badRequest("limit is 1–\(Self.maxPage).") }
        let store = self.store
        let horizon = log.allocator.horizon
        return try await rooms.pool.withConnection { c in
            let root = try memberMessage(c, id: messageID, userID: user.id)
            let replies = try store.replies(c, to: messageID, after: after ?? 0, through: horizon, limit: limit + 1)
            let marked = try Self.forReader(c, [root] + replies.prefix(limit), userID: user.id)
            return Thread(
                root: marked[0], replies: Array(marked.dropFirst()), hasMore: replies.count > limit,
                following: try ThreadFollows.following(c, root: root, userID: user.id))
        }
    }

    /// A message for a member of its room (locked until the transaction ends, with `forUpdate`):
    /// `message_not_found` when it is hidden from the user, `not_a_member` (or `banned`) in a public room they are not in.
    func memberMessage(_ c: MariaDBConnection, id: Int64, userID: Int64, forUpdate: Bool = false) throws -> MessageView {
        guard let message = try store.message(c, id: id, forUpdate: forUpdate) else { throw Self.messageNotFound }
        let (_, role) = try Self.accessMessage(rooms, c, message: message, userID: userID)
        guard role != nil else { throw try RoomService.outsider(c, roomID: message.roomId, userID: userID) }
        return message
    }

    /// A webhook whose maker no longer manages its room (the webhooks route answers 404 for it).
    static let webhookMakerDemoted = ParleyError(.forbidden, "webhook_inactive", "The webhook's maker no longer manages the room.")

    /// The room a message is in (which never changes), looked up before a transaction that must hold
    /// the room's row before the message's (as moderation takes them), so that its snapshot is not
    /// taken before the locks are.
    func roomOf(messageID: Int64) async throws -> Int64 {
        guard let roomID = try await store.pool.query("SELECT room_id FROM messages WHERE id = ?", [messageID]).first?.decode("room_id", as: Int64.self)
        else { throw Self.messageNotFound }
        return roomID
    }

    /// In a transaction: holds the room's row (`holdRoom`), then locks the message's and checks that
    /// the user may read it. For edits, reactions and votes, which then check again under that lock
    /// (`RoomStore.checkPostableHeld`) what memory said: a mute, an archive or a demotion they
    /// waited for refuses them rather than letting them land after its event.
    func heldMemberMessage(_ c: MariaDBConnection, id: Int64, roomID: Int64, userID: Int64) throws -> MessageView {
        do { try RoomStore.holdRoom(c, roomID) } catch let error as ParleyError where error.code == "room_not_found" { throw Self.messageNotFound }
        return try memberMessage(c, id: id, userID: userID, forUpdate: true)
    }

    /// Edits one's own message; keeps `edited_at`. The same text again changes nothing.
    func edit(user: User, messageID: Int64, text: String) async throws -> MessageView {
        // A shared file's caption, or a forward's comment, may be emptied, as it may be left empty when
        // shared (a forward's comment could be added by an edit and never taken away, a hunt); a
        // message's text may not.
        let typed = try Self.validateCaption(text, what: "A message")
        let store = self.store
        let roomID = try await roomOf(messageID: messageID)
        let (edited, relink) = try await log.transaction { c, events in
            let message = try heldMemberMessage(c, id: messageID, roomID: roomID, userID: user.id)
            guard message.sender.id == user.id else { throw RoomService.forbidden("Only the sender edits a message.") }
            guard message.webhook == nil else { throw RoomService.forbidden("A webhook's message is not edited; delete it instead.") }
            try canPost(c, message.roomId, user.id)
            try RoomStore.checkPostableHeld(c, roomID: roomID, userID: user.id)
            let text = try filter.check(message.file == nil && message.forwarded == nil ? try Self.validateText(typed) : typed, roomID: message.roomId)
            guard !message.deleted else { throw ParleyError(.conflict, "message_deleted", "A deleted message cannot be edited.") }
            try SiteSettings.load(c).checkEdit(sentAt: message.createdAt)
            // Saving the text unchanged is no edit: no "edited" mark without a version to show, no event.
            guard message.text != text else { return (message, false) }
            // Other links take other previews, fetched after the edit (until then, none); a poll's
            // question takes none, edited or not.
            let relink = message.poll == nil && MessageLinks.find(message.text) != MessageLinks.find(text)
            // The people it names are those the new text names: newly named ones (and new keyword
            // hits) are notified now; `@room` and `@here` stay as they were when it was posted.
            let (room, role) = try Self.accessMessage(rooms, c, message: message, userID: user.id)
            let resolved = try notifications.resolveMentions(c, text: text, roomID: message.roomId, senderID: user.id, senderRole: role ?? .member)
            let named = Set(resolved.users)
            let before = Set(message.mentions)
            let added = resolved.users.filter { !before.contains($0) }
            // Those it no longer names and whose keywords it no longer holds lose their flag, unless
            // its `@here` reached them when it was posted (that stays, `by_here`). Before, a message
            // holding `@here` kept every flag (someone named while offline kept it), and a keyword's
            // flag outlived the keyword (a hunt).
            let kept = named.union(resolved.watchers).sorted().paddedToPowerOfTwo
            try c.execute(
                "DELETE FROM mentions WHERE message_id = ? AND NOT by_here\(kept.isEmpty ? "" : " AND user_id NOT IN (\(kept.placeholders))")",
                [messageID] + kept)
            let marked = Set(
                try c.query("SELECT user_id FROM mentions WHERE message_id = ?", [messageID]).map { try $0.decode("user_id", as: Int64.self) })
            let keyworded = resolved.keyworded.filter { !marked.contains($0) }
            try MessageStore.insertMentions(
                c, messageID: messageID, roomID: message.roomId, senderID: user.id, users: Array(Set(added + keyworded).subtracting(marked)).sorted(),
                ignoringDuplicates: true)
            // Named in a reply, as at posting, they follow its thread.
            if let root = message.replyTo, !added.isEmpty {
                let before = try ThreadFollows.followers(c, root: root)
                try ThreadFollows.follow(c, root: root, mentioned: added)
                try ThreadFollows.announce(c, events, roomID: message.roomId, root: root, before: before)
            }
            try c.execute(
                "UPDATE messages SET text = ?, edited_at = NOW(3), mention_ids = ?\(relink ? ", preview_summary = NULL" : "") WHERE id = ?",
                [text, resolved.idList, messageID])
            // The text it had, for its edit history, replaced at the edit's own time (a second
            // `NOW(3)` could read the next millisecond: a hunt saw `replaced_at` 1 ms before `edited_at`).
            if let old = message.text {
                try c.execute(
                    "INSERT INTO message_edits (message_id, text, replaced_at) SELECT id, ?, edited_at FROM messages WHERE id = ?", [old, messageID])
            }
            if relink, !message.previews.isEmpty { try Self.forgetPreviewImages(c, messageID: messageID) }
            let edited = try store.message(c, id: messageID)!
            try events.append(EventType.messageEdited, roomID: message.roomId, payload: MessageEvent(message: edited))
            try ReportController.tellOfEdit(c, events, message: edited)
            try notifications.notifyEdit(c, events, message: edited, roomKind: room.kind, mentioned: added, keyworded: keyworded)
            return (edited, relink)
        }
        if relink { previews.enqueue(messageID: messageID, text: edited.text) }
        return edited
    }

    /// The message no longer shows its previews' pictures (the sweep takes those nothing shows).
    static func forgetPreviewImages(_ c: MariaDBConnection, messageID: Int64) throws {
        try c.execute("DELETE FROM message_preview_images WHERE message_id = ?", [messageID])
    }

    /// Throws unless the user may read `message` and is its sender or one of its room's moderators
    /// and up: who deletes a message and removes its previews. `what` finishes the refusal.
    static func requireSenderOrModerator(_ rooms: RoomStore, _ c: MariaDBConnection, message: MessageView, userID: Int64, _ what: String) throws {
        let (_, role) = try accessMessage(rooms, c, message: message, userID: userID)
        guard let role else { throw try RoomService.outsider(c, roomID: message.roomId, userID: userID) }
        guard message.sender.id == userID || role >= .moderator else {
            throw RoomService.forbidden("Only the sender or the room's moderators \(what).")
        }
    }

    /// [removePreviews] Takes a message's link previews away for good (until an edit changes its
    /// links): the sender or the room's moderators and up, as for deleting it. `[]` is stored, which
    /// also stops a fetch still under way from adding them. Members hear `message.previews` with none.
    func removePreviews(user: User, messageID: Int64) async throws {
        let store = self.store
        let rooms = self.rooms
        try await log.transaction { c, events in
            guard let message = try store.message(c, id: messageID, forUpdate: true) else { throw Self.messageNotFound }
            try Self.requireSenderOrModerator(rooms, c, message: message, userID: user.id, "remove a message's previews")
            guard !message.deleted else { throw ParleyError(.conflict, "message_deleted", "A deleted message has no previews.") }
            try c.execute("UPDATE messages SET preview_summary = '[]' WHERE id = ?", [messageID])
            if !message.previews.isEmpty {
                try Self.forgetPreviewImages(c, messageID: messageID)
                try events.append(
                    EventType.messagePreviews, roomID: message.roomId,
                    payload: LinkPreviews.PreviewsEvent(roomId: message.roomId, messageId: messageID, previews: []))
            }
        }
    }

    /// Deletes a message, leaving a tombstone: the sender, the room's moderators and up, or a site admin.
    /// `forReport`: the delete settles that report, which must still be open (checked under a lock,
    /// after the message's, so that two people settling it at once do not both act).
    func delete(user: User, messageID: Int64, asSiteAdmin: Bool = false, forReport: Int64? = nil) async throws -> MessageView {
        let store = self.store
        let rooms = self.rooms
        // The room's row before the message's, as moderation takes them (a pin holds the room's and
        // then the message's): its room, which never changes, is looked up before the transaction,
        // so that its snapshot is not taken before the locks are.
        let roomID = try await roomOf(messageID: messageID)
        return try await log.transaction { c, events in
            do { try RoomStore.holdRoom(c, roomID) } catch let error as ParleyError where error.code == "room_not_found" { throw Self.messageNotFound }
            guard let message = try store.message(c, id: messageID, forUpdate: true) else { throw Self.messageNotFound }
            if let forReport { try ReportController.lockOpen(c, reportID: forReport) }
            if !asSiteAdmin { try Self.requireSenderOrModerator(rooms, c, message: message, userID: user.id, "delete a message") }
            if message.deleted { return message }
            // A tombstone keeps no reactions, no file and no previews.
            try c.execute(
                """
                UPDATE messages SET text = NULL, deleted_at = NOW(3), reaction_summary = NULL, file_summary = NULL, forward_summary = NULL,
                poll_summary = NULL, preview_summary = NULL
                WHERE id = ?
                """, [messageID])
            if message.file != nil { try FileStore.unshare(c, messageID: messageID) }
            if !message.previews.isEmpty { try Self.forgetPreviewImages(c, messageID: messageID) }
            if !message.reactions.isEmpty { try c.execute("DELETE FROM reactions WHERE message_id = ?", [messageID]) }
            if message.poll != nil { try c.execute("DELETE FROM poll_votes WHERE message_id = ?", [messageID]) }
            // Nothing of its text stays: its earlier versions go too.
            if message.editedAt != nil { try c.execute("DELETE FROM message_edits WHERE message_id = ?", [messageID]) }
            // Nor in the reports of it, which kept the text they were made about.
            try c.execute("UPDATE reports SET message_text = NULL WHERE message_id = ? AND message_text IS NOT NULL", [messageID])
            // Reminders about it would point at nothing: they go, and their users' clients hear so.
            for reminder in try c.query("SELECT id, user_id FROM reminders WHERE message_id = ? FOR UPDATE", [messageID]) {
                try c.execute("DELETE FROM reminders WHERE id = ?", [try reminder.decode("id", as: Int64.self)])
                try Reminders.removed(events, id: try reminder.decode("id"), userID: try reminder.decode("user_id"), messageID: messageID)
            }
            let tombstone = try store.message(c, id: messageID)!
            let thread = try message.replyTo.map { try Self.countReply(c, root: $0, by: -1) }
            // Its sender stops following its thread: replies to the tombstone paged them (a hunt).
            // Replying in it follows again, as ever.
            if try c.execute(
                "UPDATE thread_follows SET following = 0, updated_at = NOW(3) WHERE root_id = ? AND user_id = ? AND following = 1",
                [messageID, message.sender.id]
            ).affectedRows == 1 {
                try events.append(
                    EventType.threadUnfollowed, userID: message.sender.id,
                    payload: ThreadFollowController.FollowEvent(messageId: messageID, roomId: message.roomId, following: false))
            }
            // Nor in the log, where replays from an older cursor would find it.
            try Redaction.scrub(c, message: message, tombstone: tombstone.json)
            let deletion = try events.append(EventType.messageDeleted, roomID: message.roomId, payload: MessageEvent(message: tombstone, thread: thread))
            // Where in the log it was deleted, for unread counts as of a read marker (`ReceiptService.unread`).
            try c.execute("UPDATE messages SET deleted_event = ? WHERE id = ?", [deletion, messageID])
            // Nor is it pinned any more (as in Slack): an empty pin would hold one of the room's 50 places.
            if try c.execute("DELETE FROM pins WHERE message_id = ?", [messageID]).affectedRows > 0 {
                try events.append(
                    EventType.unpinned, roomID: message.roomId,
                    payload: ModerationService.UnpinEvent(roomId: message.roomId, messageId: messageID, by: UserSummary(user)))
            }
            if message.sender.id != user.id {
                try ModerationService.record(c, room: message.roomId, actor: user.id, action: "delete_message", user: message.sender.id, message: messageID)
            }
            // Whoever deletes it, its open reports are settled.
            try ReportController.resolveAll(
                c, events, .message(id: messageID, roomID: message.roomId, senderID: message.sender.id), by: user.id, as: .messageDeleted)
            return tombstone
        }
    }

    static let messageNotFound = ParleyError(.notFound, "message_not_found", "No such message.")
    static let clientIDReused = ParleyError(.conflict, "client_id_reused", "That client_id was used for a message in another room.")

    /// A message's room as the user may see it; a message of a room hidden from them is "not found".
    static func accessMessage(_ rooms: RoomStore, _ c: MariaDBConnection, message: MessageView, userID: Int64) throws -> (
        RoomRecord, RoomRole?
    ) {
        do {
            return try RoomService.access(rooms, c, roomID: message.roomId, userID: userID)
        } catch let error as ParleyError where error.code == "room_not_found" {
            throw messageNotFound
        }
    }
}
