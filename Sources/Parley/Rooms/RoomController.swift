import Foundation
import Hummingbird

/// The HTTP face of rooms: `rooms`, `makeRoom`, `getRoom`, `updateRoom`, `deleteRoom`, `hasPassword`,
/// `checkPassword`, `joinRoom`, `leaveRoom`, `members`, `addMember`, `removeMember`, `admin`,
/// `transferOwnership`, `openDM`, `searchUsers`, `directory`.
struct RoomController {
    let rooms: RoomService
    /// Who is muted where (`getRoom` tells the caller their own mute).
    let mutes: MuteIndex
    /// Rooms made.
    let limiter: RateLimiter
    /// Rooms joined, with a password or without.
    let joinLimiter: RateLimiter
    let maxBodyBytes: Int
    /// The rooms' last messages listed reached a client (`ReceiptService.delivered(userID:room:upTo:)`).
    let receipts: ReceiptService

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/rooms", use: list)
        router.get("/api/directory", use: directory)
        router.post("/api/rooms", use: create)
        router.get("/api/rooms/:room", use: get)
        router.patch("/api/rooms/:room", use: update)
        router.delete("/api/rooms/:room", use: delete)
        router.get("/api/rooms/:room/password", use: hasPassword)
        router.post("/api/rooms/:room/password", use: checkPassword)
        router.post("/api/rooms/:room/join", use: join)
        router.post("/api/rooms/:room/leave", use: leave)
        router.get("/api/rooms/:room/members", use: members)
        router.post("/api/rooms/:room/members", use: addMember)
        router.delete("/api/rooms/:room/members/:user", use: removeMember)
        router.get("/api/rooms/:room/admin", use: admin)
        router.post("/api/rooms/:room/owner", use: transferOwnership)
        router.put("/api/rooms/:room/star", use: star)
        router.delete("/api/rooms/:room/star", use: unstar)
        router.put("/api/rooms/:room/archived", use: archive)
        router.delete("/api/rooms/:room/archived", use: unarchive)
        router.put("/api/rooms/:room/closed", use: close)
        router.delete("/api/rooms/:room/closed", use: reopen)
        router.post("/api/dms", use: openDM)
        router.get("/api/users", use: searchUsers)
    }

    static func id(_ context: AppRequestContext, _ name: String) throws -> Int64 {
        // Digits only: Int64("+1") would take a sign the path's schema does not allow. Escaped
        // digits are digits (`%39` is `9`, RFC 3986 §6.2.2.2), as in a query.
        let raw = context.parameters.get(name)
        guard let text = raw.flatMap({ $0.contains("%") ? $0.removingPercentEncoding : $0 }), !text.isEmpty,
            text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let id = Int64(text), id > 0
        else {
            throw ParleyError.badRequest("The \(name) id in the path must be a positive integer.")
        }
        return id
    }

    struct RoomList: ResponseEncodable {
        let `public`: [RoomView]
        /// Whether `public` holds every public room (it holds the 500 biggest).
        let publicComplete: Bool
        let mine: [MyRoom]
    }

    struct DirectoryPage: ResponseEncodable {
        let rooms: [RoomView]
    }

    /// One of my rooms: the room's fields and its unread state in one object.
    struct MyRoom: Encodable {
        let room: RoomView
        let state: RoomState?

        func encode(to encoder: any Encoder) throws {
            try room.encode(to: encoder)
            guard let state else { return }
            var c = encoder.container(keyedBy: RoomState.CodingKeys.self)
            try c.encode(state.unreadCount, forKey: .unreadCount)
            try c.encode(state.unreadDisplay, forKey: .unreadDisplay)
            try c.encode(state.mentioned, forKey: .mentioned)
            try c.encode(state.readUpTo, forKey: .readUpTo)
            try c.encode(state.notifyLevel, forKey: .notifyLevel)
            try c.encode(state.lastMessage, forKey: .lastMessage)
            try c.encode(state.starred, forKey: .starred)
            try c.encode(state.closed, forKey: .closed)
        }
    }

    /// [closeConversation] Closes a DM in my list until a newer message arrives.
    func close(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await rooms.setClosed(user: try context.requireSession().user, roomID: try Self.id(context, "room"), closed: true)
        return .noContent
    }

    /// [reopenConversation] Shows a closed DM in my list again.
    func reopen(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await rooms.setClosed(user: try context.requireSession().user, roomID: try Self.id(context, "room"), closed: false)
        return .noContent
    }

    /// [star] Stars one of my rooms.
    func star(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await rooms.setStarred(user: try context.requireSession().user, roomID: try Self.id(context, "room"), starred: true)
        return .noContent
    }

    /// [unstar] Takes the star back.
    func unstar(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await rooms.setStarred(user: try context.requireSession().user, roomID: try Self.id(context, "room"), starred: false)
        return .noContent
    }

    /// [rooms] The public directory, and the rooms I am in with their unread counts, mentions and newest message.
    func list(request: Request, context: AppRequestContext) async throws -> RoomList {
        let session = try context.requireSession()
        async let directory = rooms.store.publicRooms(viewer: session.user.id, limit: 500)
        async let mine = rooms.store.roomsOf(userID: session.user.id)
        async let states = RoomState.all(pool: rooms.store.pool, userID: session.user.id)
        let byRoom = Dictionary(try await states.map { ($0.roomId, $0) }, uniquingKeysWith: { a, _ in a })
        // (Rooms read up to their last message had it delivered before, as it was read or fetched.)
        for state in byRoom.values {
            if let last = state.lastMessage, last.id > state.readUpTo, last.sender.id != session.user.id {
                receipts.delivered(userID: session.user.id, room: state.roomId, upTo: last.id)
            }
        }
        let (listed, complete) = try await directory
        return RoomList(public: listed, publicComplete: complete, mine: try await mine.map { MyRoom(room: $0, state: byRoom[$0.id]) })
    }

    /// [directory] The whole directory a page at a time, by name, or the public rooms whose name or
    /// topic contains `q`: the rooms beyond `rooms`'s 500. The next page is `after=<the last one's name>`.
    func directory(request: Request, context: AppRequestContext) async throws -> DirectoryPage {
        let session = try context.requireSession()
        let query = request.query
        let text = query.get("q").map { $0.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap {
            $0.isEmpty ? nil : $0
        }
        if let text, text.count > 64 { throw ParleyError.badRequest("q is at most 64 characters.") }
        let after = query.get("after")
        if let after, after.isEmpty || after.count > 64 { throw ParleyError.badRequest("after is a room name, 1–64 characters.") }
        var limit = 50
        if let value = query.get("limit") {
            guard let number = Int(value), (1...100).contains(number) else { throw ParleyError.badRequest("limit is 1–100.") }
            limit = number
        }
        let rooms = try await self.rooms.store.searchPublicRooms(viewer: session.user.id, text: text, after: after, limit: limit)
        return DirectoryPage(rooms: rooms)
    }

    struct CreateBody: Decodable {
        let name: String
        let topic: String?
        let password: String?
        let kind: RoomKind?
        let members: [Int64]?
        let postPolicy: PostPolicy?
        let slowModeSeconds: Int?
    }

    struct RoomResponse: ResponseEncodable {
        let room: RoomView
    }

    /// [makeRoom]
    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<RoomResponse> {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: CreateBody.self, context: context, limit: maxBodyBytes)
        try limiter.consume(String(session.user.id))
        let room = try await rooms.create(
            user: session.user, kind: body.kind ?? .public, name: body.name, topic: body.topic, password: body.password,
            memberIDs: body.members ?? [], postPolicy: body.postPolicy ?? .everyone, slowModeSeconds: body.slowModeSeconds ?? 0)
        return EditedResponse(status: .created, response: RoomResponse(room: room))
    }

    /// [getRoom]
    struct RoomDetails: ResponseEncodable {
        let room: RoomView
        let myMute: MuteIndex.Muted?

        enum CodingKeys: String, CodingKey { case room, myMute }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(room, forKey: .room)
            try c.encode(myMute, forKey: .myMute)
        }
    }

    /// [getRoom] The room, and the caller's own mute there (so a client opening the room knows at
    /// once that its message box is closed, and until when).
    func get(request: Request, context: AppRequestContext) async throws -> RoomDetails {
        let session = try context.requireSession()
        let room = try await rooms.get(user: session.user, roomID: try Self.id(context, "room"))
        return RoomDetails(room: room, myMute: room.myRole == nil ? nil : mutes.mute(room: room.id, user: session.user.id))
    }

    /// A field that may be absent, null or a value.
    struct UpdateBody: Decodable {
        let name: String?
        let topic: String?
        let password: String??
        let postPolicy: PostPolicy?
        let slowModeSeconds: Int?

        enum CodingKeys: String, CodingKey { case name, topic, password, postPolicy, slowModeSeconds }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            // `null` clears the topic, as `""` does (and as `null` removes the password).
            topic = c.contains(.topic) ? try c.decodeIfPresent(String.self, forKey: .topic) ?? "" : nil
            password = c.contains(.password) ? .some(try c.decodeIfPresent(String.self, forKey: .password)) : .none
            postPolicy = try c.decodeIfPresent(PostPolicy.self, forKey: .postPolicy)
            slowModeSeconds = try c.decodeIfPresent(Int.self, forKey: .slowModeSeconds)
        }
    }

    /// [updateRoom] Rename, change topic, set or clear (null) the password, choose who may post.
    func update(request: Request, context: AppRequestContext) async throws -> RoomResponse {
        let session = try context.requireSession()
        let id = try Self.id(context, "room")
        let body = try await request.decodeJSON(as: UpdateBody.self, context: context, limit: maxBodyBytes)
        let changes = RoomService.Changes(
            name: body.name, topic: body.topic, password: body.password, postPolicy: body.postPolicy, slowModeSeconds: body.slowModeSeconds)
        let room = try await rooms.update(user: session.user, roomID: id, changes: changes)
        return RoomResponse(room: room)
    }

    /// [archiveRoom] Makes the room read-only (owners and admins).
    func archive(request: Request, context: AppRequestContext) async throws -> RoomResponse {
        let session = try context.requireSession()
        return RoomResponse(room: try await rooms.setArchived(user: session.user, roomID: try Self.id(context, "room"), archived: true))
    }

    /// [unarchiveRoom] Opens an archived room again (owners and admins).
    func unarchive(request: Request, context: AppRequestContext) async throws -> RoomResponse {
        let session = try context.requireSession()
        return RoomResponse(room: try await rooms.setArchived(user: session.user, roomID: try Self.id(context, "room"), archived: false))
    }

    /// [deleteRoom]
    func delete(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        try await rooms.delete(user: session.user, roomID: try Self.id(context, "room"))
        return .noContent
    }

    struct HasPassword: ResponseEncodable {
        let hasPassword: Bool
    }

    /// [hasPassword]
    func hasPassword(request: Request, context: AppRequestContext) async throws -> HasPassword {
        let session = try context.requireSession()
        return HasPassword(hasPassword: try await rooms.hasPassword(user: session.user, roomID: try Self.id(context, "room")))
    }

    struct PasswordBody: Decodable {
        let password: String
    }

    /// [checkPassword] Verifies a room's password and joins in the same call.
    func checkPassword(request: Request, context: AppRequestContext) async throws -> RoomResponse {
        let session = try context.requireSession()
        let id = try Self.id(context, "room")
        let body = try await request.decodeJSON(as: PasswordBody.self, context: context, limit: maxBodyBytes)
        try joinLimiter.consume(String(session.user.id))
        return RoomResponse(room: try await rooms.join(user: session.user, roomID: id, password: body.password))
    }

    /// [joinRoom] Joins a public room without a password (idempotent).
    func join(request: Request, context: AppRequestContext) async throws -> RoomResponse {
        let session = try context.requireSession()
        let id = try Self.id(context, "room")
        try joinLimiter.consume(String(session.user.id))
        return RoomResponse(room: try await rooms.join(user: session.user, roomID: id, password: nil))
    }

    /// [leaveRoom]
    func leave(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        try await rooms.leave(user: session.user, roomID: try Self.id(context, "room"))
        return .noContent
    }

    struct MemberList: ResponseEncodable {
        let members: [MemberView]
    }

    /// [members]
    func members(request: Request, context: AppRequestContext) async throws -> MemberList {
        let session = try context.requireSession()
        return MemberList(members: try await rooms.members(user: session.user, roomID: try Self.id(context, "room")))
    }

    struct UserBody: Decodable {
        let userId: Int64
    }

    struct MemberResponse: ResponseEncodable {
        let member: MemberView
    }

    /// [addMember]
    func addMember(request: Request, context: AppRequestContext) async throws -> EditedResponse<MemberResponse> {
        let session = try context.requireSession()
        let id = try Self.id(context, "room")
        let body = try await request.decodeJSON(as: UserBody.self, context: context, limit: maxBodyBytes)
        let member = try await rooms.addMember(actor: session.user, roomID: id, userID: body.userId)
        return EditedResponse(status: .created, response: MemberResponse(member: member))
    }

    /// [removeMember]
    func removeMember(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        try await rooms.removeMember(actor: session.user, roomID: try Self.id(context, "room"), userID: try Self.id(context, "user"))
        return .noContent
    }

    struct AdminAnswer: ResponseEncodable {
        let roomId: Int64
        let admin: Bool
        let role: RoomRole?

        enum CodingKeys: String, CodingKey { case roomId, admin, role }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(admin, forKey: .admin)
            try c.encode(role, forKey: .role)
        }
    }

    /// [admin] Whether the current user administers the room (owner or admin).
    func admin(request: Request, context: AppRequestContext) async throws -> AdminAnswer {
        let session = try context.requireSession()
        let room = try await rooms.get(user: session.user, roomID: try Self.id(context, "room"))
        return AdminAnswer(roomId: room.id, admin: (room.myRole ?? .member) >= .admin, role: room.myRole)
    }

    /// [transferOwnership]
    func transferOwnership(request: Request, context: AppRequestContext) async throws -> RoomResponse {
        let session = try context.requireSession()
        let id = try Self.id(context, "room")
        let body = try await request.decodeJSON(as: UserBody.self, context: context, limit: maxBodyBytes)
        return RoomResponse(room: try await rooms.transferOwnership(actor: session.user, roomID: id, to: body.userId))
    }

    struct DMBody: Decodable {
        /// One person (a two-person DM)…
        let userId: Int64?
        /// …or the others of a group DM (one of them only gives the two-person DM).
        let userIds: [Int64]?
    }

    /// [openDM] The DM with a user, or with several (a group DM): 201 when it was created, 200 when
    /// it existed.
    func openDM(request: Request, context: AppRequestContext) async throws -> EditedResponse<RoomResponse> {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: DMBody.self, context: context, limit: maxBodyBytes)
        let others: [Int64]
        switch (body.userId, body.userIds) {
        case (let one?, nil): others = [one]
        case (nil, let several?): others = several
        default: throw ParleyError.badRequest("Give user_id (one person) or user_ids (one to \(RoomService.maxDMOthers)), not both.")
        }
        let (room, created) = try await rooms.openDM(user: session.user, with: others)
        // Opening a conversation one closed shows it again (as Slack does), on every device of theirs.
        if !created { try await rooms.setClosed(user: session.user, roomID: room.id, closed: false) }
        return EditedResponse(status: created ? .created : .ok, response: RoomResponse(room: room))
    }

    struct UserList: ResponseEncodable {
        let users: [UserSummary]
    }

    /// [searchUsers] Active users whose username, or a word of whose display name, starts with `prefix`.
    func searchUsers(request: Request, context: AppRequestContext) async throws -> UserList {
        _ = try context.requireSession()
        // Composed, as display names are kept: "E" and a combining accent is "É".
        let prefix = request.query["prefix"].map { String($0).precomposedStringWithCanonicalMapping } ?? ""
        guard (1...32).contains(prefix.count) else { throw ParleyError.badRequest("prefix is 1–32 characters.") }
        var limit = 20
        if let text = request.query["limit"] {
            guard let value = Int(text), (1...50).contains(value) else { throw ParleyError.badRequest("limit is 1–50.") }
            limit = value
        }
        return UserList(users: try await rooms.store.searchUsers(prefix: prefix, limit: limit))
    }
}
