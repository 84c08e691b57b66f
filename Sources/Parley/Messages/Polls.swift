import Foundation
import Hummingbird
import MariaDB

/// A poll as clients see it: its options in order with their counts and first voters, whether it
/// takes several choices, whether it is closed, and how many people voted. Its question is the
/// message's text.
public struct PollView: Codable, Sendable, Equatable {
    public struct Option: Codable, Sendable, Equatable {
        public let text: String
        public let votes: Int
        /// The first `maxListed` who chose it, in the order they did.
        public let voterIds: [Int64]
    }

    public let options: [Option]
    public let multiple: Bool
    public let closed: Bool
    /// People who voted (each counted once, whatever they chose).
    public let voters: Int

    static let maxListed = 100
    static let optionCount = 2...10
    static let maxOptionLength = 100

    static func decode(_ text: String) throws -> PollView {
        try ParleyJSON.decoder().decode(PollView.self, from: Data(text.utf8))
    }

    func encoded() throws -> String { String(decoding: try ParleyJSON.encoder().encode(self), as: UTF8.self) }

    /// A new poll with no votes, from the options as sent: each 1–100 characters after trimming
    /// without control characters, 2–10 of them, no two the same (ignoring case).
    static func new(options texts: [String], multiple: Bool) throws -> PollView {
        let invalid = ParleyError.invalid(
            "invalid_poll", "A poll has 2–10 different options, each 1–\(maxOptionLength) characters after trimming.")
        let trimmed = texts.map(\.composed.trimmedWhitespace)
        guard optionCount.contains(trimmed.count),
            trimmed.allSatisfy({
                (1...maxOptionLength).contains($0.count) && $0.unicodeScalars.count <= maxOptionLength * 4 && !$0.hasControlCharacters()
                    // Nor one that shows nothing, as a message may not be (an option of a soft hyphen passed, a hunt).
                    && !MessageService.isInvisible($0)
            }),
            Set(trimmed.map { $0.lowercased() }).count == trimmed.count
        else { throw invalid }
        return PollView(options: trimmed.map { Option(text: $0, votes: 0, voterIds: []) }, multiple: multiple, closed: false, voters: 0)
    }

    static let sameAfterFilter = ParleyError.invalid(
        "invalid_poll", "Two options read the same once the room's word filter has masked them: reword them.")

    /// The same poll with its options' texts passed through `change` (the word filter, as the
    /// question is).
    func withOptionTexts(_ change: (String) throws -> String) rethrows -> PollView {
        PollView(
            options: try options.map { Option(text: try change($0.text), votes: $0.votes, voterIds: $0.voterIds) }, multiple: multiple,
            closed: closed, voters: voters)
    }

    /// The same poll with its counts from its vote rows (`closed` as given).
    func counted(_ c: MariaDBConnection, messageID: Int64, closed: Bool? = nil) throws -> PollView {
        let rows = try c.query("SELECT user_id, option_index FROM poll_votes WHERE message_id = ? ORDER BY voted_at, user_id", [messageID])
        var chose = Array(repeating: [Int64](), count: options.count)
        var voters = Set<Int64>()
        for row in rows {
            let index: Int = try row.decode("option_index")
            guard chose.indices.contains(index) else { continue }
            let user: Int64 = try row.decode("user_id")
            chose[index].append(user)
            voters.insert(user)
        }
        return PollView(
            options: zip(options, chose).map { Option(text: $0.text, votes: $1.count, voterIds: Array($1.prefix(Self.maxListed))) },
            multiple: multiple, closed: closed ?? self.closed, voters: voters.count)
    }
}

extension MessageService {
    struct VoteEvent: Encodable {
        let roomId: Int64
        let messageId: Int64
        let user: UserSummary
        /// The voter's choices now (empty: they took their vote back).
        let votes: [Int]
        let poll: PollView
    }

    struct PollClosedEvent: Encodable {
        let roomId: Int64
        let messageId: Int64
        let by: UserSummary
        let poll: PollView
    }

    /// What a vote answers: the poll after it, and the caller's choices.
    struct Voted: Sendable {
        let messageID: Int64
        let poll: PollView
        let mine: [Int]
    }

    static let pollNotFound = ParleyError.notFound("poll_not_found", "That message is not a poll.")
    static let pollClosed = ParleyError(.conflict, "poll_closed", "The poll is closed.")

    /// [createPoll] A poll in the room: a message whose text is the question, posted as `push` posts.
    func createPoll(user: User, roomID: Int64, question: String, options: [String], multiple: Bool, clientID: String?) async throws -> Posted {
        let poll = try PollView.new(options: options, multiple: multiple)
        return try await post(user: user, roomID: roomID, text: question, replyTo: nil, clientID: clientID, poll: poll)
    }

    /// [vote] Sets the user's choices in a poll to exactly `choices` (none takes the vote back), in
    /// one transaction with the message row locked, like a reaction. Members who may post; the
    /// muted take their vote back.
    func vote(user: User, messageID: Int64, choices: [Int]) async throws -> Voted {
        // At most as many as a poll has options, repeats or not (openapi's `maxItems`; eleven passed, a hunt).
        guard choices.count <= PollView.optionCount.upperBound else {
            throw ParleyError.invalid("invalid_vote", "options lists at most \(PollView.optionCount.upperBound) option indexes.")
        }
        let chosen = Array(Set(choices)).sorted()
        let roomID = try await roomOf(messageID: messageID)
        return try await log.transaction { c, events in
            let message = try heldMemberMessage(c, id: messageID, roomID: roomID, userID: user.id)
            guard !message.deleted else { throw ParleyError(.conflict, "message_deleted", "A deleted message takes no votes.") }
            guard let poll = message.poll else { throw Self.pollNotFound }
            // A muted member takes their vote back (none chosen), as they take back a reaction; it was
            // refused (a hunt). Choosing is refused.
            let adding = !chosen.isEmpty
            try canReact(c, message.roomId, user.id, adding)
            try RoomStore.checkPostableHeld(c, roomID: roomID, userID: user.id, policy: false, mute: adding)
            guard !poll.closed else { throw Self.pollClosed }
            guard chosen.allSatisfy(poll.options.indices.contains), poll.multiple || chosen.count <= 1 else {
                throw ParleyError.invalid(
                    "invalid_vote",
                    chosen.allSatisfy(poll.options.indices.contains)
                        ? "This poll takes one choice: send one option index, or none to take the vote back."
                        : "options are indexes of the poll's options (0–\(poll.options.count - 1)).")
            }
            let before = try Self.choices(c, messageID, user.id)
            guard before != chosen else { return Voted(messageID: messageID, poll: poll, mine: chosen) }
            // An option kept keeps its row, and so its voter's place in its list.
            for index in before where !chosen.contains(index) {
                try c.execute("DELETE FROM poll_votes WHERE message_id = ? AND user_id = ? AND option_index = ?", [messageID, user.id, index])
            }
            for index in chosen where !before.contains(index) {
                try c.execute(
                    "INSERT INTO poll_votes (message_id, user_id, option_index, voted_at) VALUES (?, ?, ?, NOW(3))", [messageID, user.id, index])
            }
            let counted = try poll.counted(c, messageID: messageID)
            try c.execute("UPDATE messages SET poll_summary = ? WHERE id = ?", [try counted.encoded(), messageID])
            try events.append(
                EventType.pollVoted, roomID: message.roomId,
                payload: VoteEvent(roomId: message.roomId, messageId: messageID, user: UserSummary(user), votes: chosen, poll: counted))
            return Voted(messageID: messageID, poll: counted, mine: chosen)
        }
    }

    /// [closePoll] Ends the voting: the poll's author, or the room's moderators and up. Closing a
    /// closed poll changes nothing.
    func closePoll(user: User, messageID: Int64) async throws -> (poll: PollView, mine: [Int]) {
        let roomID = try await roomOf(messageID: messageID)
        return try await log.transaction { c, events in
            // Under the room's row, as a vote: a demotion, kick, mute or archive it waited for refuses
            // it (a hunt saw closes by a moderator land after their demotion's event).
            let message = try heldMemberMessage(c, id: messageID, roomID: roomID, userID: user.id)
            guard let role = try RoomService.role(rooms, c, roomID: roomID, userID: user.id) else {
                throw try RoomService.outsider(c, roomID: roomID, userID: user.id)
            }
            guard !message.deleted else { throw ParleyError(.conflict, "message_deleted", "A deleted message has no poll.") }
            guard let poll = message.poll else { throw Self.pollNotFound }
            guard message.sender.id == user.id || role >= .moderator else {
                throw RoomService.forbidden("Only the poll's author or the room's moderators close it.")
            }
            // An archive or a mute (read under the same lock) stops it as it stops a vote, and in a
            // DM so does a block either way (a closed poll is news to the other person).
            _ = try RoomStore.checkPostableHeld(c, roomID: roomID, userID: user.id, policy: false)
            try canReact(c, roomID, user.id, true)
            let mine = try Self.choices(c, messageID, user.id)
            guard !poll.closed else { return (poll, mine) }
            let closed = try poll.counted(c, messageID: messageID, closed: true)
            try c.execute("UPDATE messages SET poll_summary = ? WHERE id = ?", [try closed.encoded(), messageID])
            try events.append(
                EventType.pollClosed, roomID: message.roomId,
                payload: PollClosedEvent(roomId: message.roomId, messageId: messageID, by: UserSummary(user), poll: closed))
            return (closed, mine)
        }
    }

    /// The options `userID` chose in a poll, in order.
    static func choices(_ c: MariaDBConnection, _ messageID: Int64, _ userID: Int64) throws -> [Int] {
        try c.query("SELECT option_index FROM poll_votes WHERE message_id = ? AND user_id = ? ORDER BY option_index", [messageID, userID])
            .map { try $0.decode("option_index") }
    }

    /// For a reader of `messages`: `myVotes` on polls whose lists of voters are cut short (where the
    /// reader may be past the listed ones), from one query for them all.
    static func markingMyVotes(_ c: MariaDBConnection, _ messages: [MessageView], userID: Int64) throws -> [MessageView] {
        let cut = messages.filter { $0.poll?.options.contains { $0.votes > $0.voterIds.count } == true }.map(\.id)
        guard !cut.isEmpty else { return messages }
        let ids = cut.sorted().paddedToPowerOfTwo
        var chose: [Int64: [Int]] = [:]
        for row in try c.query(
            "SELECT message_id, option_index FROM poll_votes WHERE user_id = ? AND message_id IN (\(ids.placeholders)) ORDER BY option_index",
            [userID] + ids)
        {
            chose[try row.decode("message_id"), default: []].append(try row.decode("option_index"))
        }
        return messages.map { message in
            guard cut.contains(message.id) else { return message }
            var marked = message
            marked.myVotes = chose[message.id] ?? []
            return marked
        }
    }
}

struct PollController {
    let messages: MessageService
    let limiter: RateLimiter
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/rooms/:room/polls", use: create)
        router.put("/api/messages/:message/poll/votes", use: vote)
        router.post("/api/messages/:message/poll/close", use: close)
    }

    struct CreateBody: Decodable {
        let question: String
        let options: [String]
        let multiple: Bool?
        let clientId: String?
    }

    struct VoteBody: Decodable {
        let options: [Int]
    }

    struct PollAnswer: ResponseEncodable {
        let messageId: Int64
        let poll: PollView
        /// The caller's choices.
        let myVotes: [Int]
    }

    /// [createPoll]
    func create(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: CreateBody.self, context: context, limit: maxBodyBytes)
        try limiter.consume(String(session.user.id))
        return MessageController.answer(
            try await messages.createPoll(
                user: session.user, roomID: roomID, question: body.question, options: body.options, multiple: body.multiple ?? false,
                clientID: body.clientId))
    }

    /// [vote] (Counted against the caller's message rate limit, unless it takes the vote back.)
    func vote(request: Request, context: AppRequestContext) async throws -> PollAnswer {
        let session = try context.requireSession()
        let messageID = try RoomController.id(context, "message")
        let body = try await request.decodeJSON(as: VoteBody.self, context: context, limit: maxBodyBytes)
        // Counted against the message rate limit, as a reaction is (each vote tells every member,
        // with the whole poll); taking a vote back is not, as taking back a reaction is not.
        if !body.options.isEmpty { try limiter.consume(String(session.user.id)) }
        let voted = try await messages.vote(user: session.user, messageID: messageID, choices: body.options)
        return PollAnswer(messageId: voted.messageID, poll: voted.poll, myVotes: voted.mine)
    }

    /// [closePoll]
    func close(request: Request, context: AppRequestContext) async throws -> PollAnswer {
        let session = try context.requireSession()
        let messageID = try RoomController.id(context, "message")
        let (poll, mine) = try await messages.closePoll(user: session.user, messageID: messageID)
        return PollAnswer(messageId: messageID, poll: poll, myVotes: mine)
    }
}
