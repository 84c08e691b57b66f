import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing
import Yams

/// Every room- and message-scoped route × every kind of caller, in a public room, a private group and
/// a DM: the exact status (and error code) each gets, that refused and read-only calls write nothing,
/// and that allowed writes do write.
@Suite struct AuthorizationMatrixTests {
    @Test(arguments: AuthorizationMatrix.cases)
    func routeAnswersEveryCallerExactly(_ matrixCase: MatrixCase) async throws {
        try await MatrixWorld.shared.withSlot {
            let parley = try await MatrixWorld.shared.database()
            let prefix = await MatrixWorld.shared.nextPrefix()
            try await parley.run { client in
                var fixture = try await Fixture.make(client, parley, kind: matrixCase.kind, prefix: prefix)
                try await fixture.prepare(matrixCase.route.prepare, for: matrixCase.actor, client)
                let request = matrixCase.route.request(fixture, matrixCase.actor)
                let headers = fixture.person(matrixCase.actor)?.bearer ?? [:]

                let before = try Snapshot.take(parley, fixture)
                let response = try await client.send(matrixCase.route.method, request.uri, json: request.json, headers: headers)
                let after = try Snapshot.take(parley, fixture)

                let body = String(buffer: response.body)
                let changedTables = after.changed(from: before)
                switch matrixCase.outcome {
                case .refused(let status, let code):
                    response.expectError(status, code)
                    #expect(changedTables.isEmpty, "a refused call wrote; body: \(body)")
                case .reads(let status):
                    #expect(response.status == status, "body: \(body)")
                    #expect(changedTables.isEmpty, "a read-only call wrote; body: \(body)")
                case .writes(let status):
                    #expect(response.status == status, "body: \(body)")
                    #expect(!changedTables.isEmpty, "an allowed write changed nothing; body: \(body)")
                }
                if matrixCase.outcome.isAllowed, response.status.code < 300, let verify = matrixCase.route.verify {
                    try verify(fixture, matrixCase.actor, try response.json())
                }
            }
        }
    }

    /// New routes cannot slip past the matrix: every room- and message-scoped operation in
    /// openapi.yaml needs rows, and every row names a documented operation.
    @Test func everyRoomAndMessageRouteInOpenAPIIsInTheMatrix() throws {
        let text = try String(contentsOfFile: "openapi.yaml", encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        var scoped = Set<String>()
        for (path, item) in paths where AuthorizationMatrix.isRoomOrMessageScoped(path) {
            for method in try #require(item as? [String: Any]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                scoped.insert("\(method.uppercased()) \(path)")
            }
        }
        let covered = Set(AuthorizationMatrix.rows.map { "\($0.route.method) \($0.route.path)" })
        #expect(scoped.count >= 35)
        #expect(scoped.subtracting(covered).isEmpty, "routes missing from the authorization matrix: \(scoped.subtracting(covered).sorted())")
        #expect(covered.subtracting(scoped).isEmpty, "matrix rows for undocumented routes: \(covered.subtracting(scoped).sorted())")
        // Each row has one outcome per caller of its kind of room, and no (route, kind) pair is listed twice.
        var seen = Set<String>()
        for row in AuthorizationMatrix.rows {
            #expect(row.outcomes.count == MatrixActor.callers(of: row.kind).count, "\(row.route) in a \(row.kind)")
            #expect(seen.insert("\(row.route) \(row.kind)").inserted, "\(row.route) in a \(row.kind) is listed twice")
        }
        // A route that exists for private groups is also tried on public rooms, and the reverse.
        for route in Set(AuthorizationMatrix.rows.map { "\($0.route)" }) {
            let kinds = Set(AuthorizationMatrix.rows.filter { "\($0.route)" == route }.map(\.kind))
            #expect(kinds.contains(.public) == kinds.contains(.group), "\(route) is tried in \(kinds) only")
        }
    }
}

// MARK: - The table

/// The kinds of room a case runs in.
enum MatrixRoomKind: String, Sendable, CustomStringConvertible {
    case `public`, group, dm
    var description: String { rawValue }
}

/// Who calls: nobody logged in, a logged-in user who is not in the room, a member of a given rank,
/// a plain member who is muted, a user banned from the room, or a site admin who is not in the room.
enum MatrixActor: String, Sendable, CaseIterable, CustomStringConvertible {
    case anonymous
    case nonMember = "non-member"
    case member, moderator, admin, owner, muted, banned
    case siteAdmin = "site admin"
    var description: String { rawValue }

    /// The columns of a row: a DM has two plain members, no ranks and no bans.
    static func callers(of kind: MatrixRoomKind) -> [MatrixActor] {
        kind == .dm ? [.anonymous, .nonMember, .member, .siteAdmin] : allCases
    }

    var isMember: Bool { role != nil }

    /// The caller's role in the room, if a member.
    var role: String? {
        switch self {
        case .member, .muted: "member"
        case .moderator, .admin, .owner: rawValue
        case .anonymous, .nonMember, .banned, .siteAdmin: nil
        }
    }
}

/// What one caller gets from one route.
enum Outcome: Sendable, CustomStringConvertible {
    /// Allowed; must change nothing (reads, and repeats of what is already so).
    case reads(HTTPResponse.Status)
    /// Allowed; must change the room's state.
    case writes(HTTPResponse.Status)
    /// Refused with this status and error code; must change nothing.
    case refused(HTTPResponse.Status, String)

    var isAllowed: Bool { if case .refused = self { false } else { true } }

    var description: String {
        switch self {
        case .reads(let status): "\(status.code) (writes nothing)"
        case .writes(let status): "\(status.code) (writes)"
        case .refused(let status, let code): "\(status.code) \(code)"
        }
    }
}

/// One route as the matrix calls it: how to prepare the room, what to send and what to check in a success.
struct MatrixRoute: Sendable, CustomStringConvertible {
    let method: HTTPRequest.Method
    /// The path as openapi.yaml writes it.
    let path: String
    /// Which variant of the call this is, when a route appears more than once.
    var variant: String? = nil
    var prepare: Preparation = .nothing
    let request: @Sendable (Fixture, MatrixActor) -> (uri: String, json: String?)
    var verify: (@Sendable (Fixture, MatrixActor, JSON) throws -> Void)? = nil

    var description: String { "\(method) \(path)" + (variant.map { " (\($0))" } ?? "") }
}

/// Extra state a route needs before it is called.
enum Preparation: Sendable {
    case nothing
    /// The public room gets a password.
    case roomPassword
    /// The target's message is pinned.
    case pinnedMessage
    /// The guest (no member) is banned.
    case bannedGuest
    /// The target is muted.
    case mutedTarget
    /// The caller has a message of their own: members post one; the non-member posted one in a
    /// public room or group they were in before.
    case ownMessage
    /// A member caller has reacted 👍 to the target's message (the muted one while unmuted for a moment).
    case reactedTarget
    /// The target has shared a file in the room.
    case sharedFile
    /// The owner has made an invite link (groups only: other rooms cannot have one).
    case invite
    /// The owner has made a webhook (public rooms and groups: DMs cannot have one).
    case webhook
    /// The target has asked a poll (`targetPoll`).
    case targetPoll
    /// A member caller has read the room up to the target's message.
    case readTarget
    /// The member has reported the target's message (`report`).
    case reportedTarget
    /// Only moderators and up post in the room (public rooms and groups only).
    case moderatorsOnly
    /// The owner has archived the room (public rooms and groups only).
    case archived
    /// The room is in slow mode (10 minutes) and a member caller (not the muted one) has just
    /// posted in it (public rooms and groups only).
    case slowed
}

struct MatrixRow: Sendable {
    let route: MatrixRoute
    let kind: MatrixRoomKind
    /// In the order of `MatrixActor.callers(of: kind)`.
    let outcomes: [Outcome]
}

/// One cell of the matrix: a test case.
struct MatrixCase: Sendable, CustomTestStringConvertible {
    let route: MatrixRoute
    let kind: MatrixRoomKind
    let actor: MatrixActor
    let outcome: Outcome

    var testDescription: String { "\(route) · \(kind) · \(actor) → \(outcome)" }
}

enum AuthorizationMatrix {
    /// Paths whose authorization depends on a room: rooms, messages, DMs, site-admin room and message
    /// routes, and reports of messages.
    static func isRoomOrMessageScoped(_ path: String) -> Bool {
        ["/api/rooms", "/api/messages", "/api/dms", "/api/files", "/api/admin/rooms", "/api/admin/messages", "/api/me/saved/", "/api/reports"].contains {
            path.hasPrefix($0)
        }
    }

    static var cases: [MatrixCase] {
        rows.flatMap { row in
            zip(MatrixActor.callers(of: row.kind), row.outcomes).map { MatrixCase(route: row.route, kind: row.kind, actor: $0, outcome: $1) }
        }
    }

    // Shorthands for the table.
    static let unauthenticated = Outcome.refused(.unauthorized, "unauthenticated")
    /// A private room is "not found" to those outside it, exactly like a room that does not exist.
    static let hidden = Outcome.refused(.notFound, "room_not_found")
    static let hiddenMessage = Outcome.refused(.notFound, "message_not_found")
    static let hiddenFile = Outcome.refused(.notFound, "file_not_found")
    static let reportNotFound = Outcome.refused(.notFound, "report_not_found")
    static let notAMember = Outcome.refused(.forbidden, "not_a_member")
    static let forbidden = Outcome.refused(.forbidden, "forbidden")
    static let notSiteAdmin = Outcome.refused(.forbidden, "not_site_admin")
    static let banned = Outcome.refused(.forbidden, "banned")
    static let muted = Outcome.refused(.forbidden, "muted")
    static func conflict(_ code: String) -> Outcome { .refused(.conflict, code) }
    static let notAGroup = conflict("not_a_group")
    static let notADM = conflict("not_a_dm")
    static let postingRestricted = Outcome.refused(.forbidden, "posting_restricted")
    static let archived = conflict("room_archived")
    static let slowMode = Outcome.refused(.tooManyRequests, "slow_mode")
    static let notModerated = conflict("not_moderated")
    static let ok = Outcome.reads(.ok)
    static let changed = Outcome.writes(.ok)
    static let created = Outcome.writes(.created)
    static let done = Outcome.writes(.noContent)
    /// 204 with nothing to change (taking back what was never there).
    static let nothingToDo = Outcome.reads(.noContent)

    static func row(_ route: MatrixRoute, public p: [Outcome]? = nil, group g: [Outcome]? = nil, dm d: [Outcome]? = nil) -> [MatrixRow] {
        [(MatrixRoomKind.public, p), (.group, g), (.dm, d)].compactMap { kind, outcomes in
            outcomes.map { MatrixRow(route: route, kind: kind, outcomes: $0) }
        }
    }

    static func room(_ f: Fixture, _ suffix: String = "") -> String { "/api/rooms/\(f.room)\(suffix)" }

    // Columns: anonymous, non-member, member, moderator, admin, owner, muted member, banned, site admin
    // (a DM: anonymous, non-member, member, site admin).
    static let rows: [MatrixRow] = table.flatMap { $0 }

    private static let table: [[MatrixRow]] = [
        // Rooms
        row(
            MatrixRoute(method: .get, path: "/api/rooms", request: { _, _ in ("/api/rooms", nil) }, verify: verifyRoomList),
            public: [unauthenticated, ok, ok, ok, ok, ok, ok, ok, ok],
            group: [unauthenticated, ok, ok, ok, ok, ok, ok, ok, ok],
            dm: [unauthenticated, ok, ok, ok]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms", request: { f, _ in ("/api/rooms", #"{"name":"\#(f.prefix) new","kind":"\#(f.kind)"}"#) },
                verify: { f, _, body in #expect(body["room"]?["kind"] == .string(f.kind.rawValue)) }),
            public: [unauthenticated, created, created, created, created, created, created, created, created],
            group: [unauthenticated, created, created, created, created, created, created, created, created]),
        row(
            MatrixRoute(method: .get, path: "/api/rooms/{room}", request: { f, _ in (room(f), nil) }, verify: verifyMyRole(at: ["room", "my_role"])),
            public: [unauthenticated, ok, ok, ok, ok, ok, ok, ok, ok],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),
        row(
            MatrixRoute(method: .patch, path: "/api/rooms/{room}", request: { f, a in (room(f), #"{"topic":"changed by \#(a)"}"#) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, changed, changed, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, changed, changed, forbidden, hidden, hidden],
            // Either person in a DM may change its topic (and nothing else of it).
            dm: [unauthenticated, hidden, changed, hidden]),
        row(
            MatrixRoute(
                method: .patch, path: "/api/rooms/{room}", variant: "post policy", request: { f, _ in (room(f), #"{"post_policy":"moderators"}"#) },
                verify: { _, _, body in #expect(body["room"]?["post_policy"] == .string("moderators")) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, changed, changed, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, changed, changed, forbidden, hidden, hidden],
            // Both people of a DM always post in it.
            dm: [unauthenticated, hidden, .refused(.unprocessableContent, "invalid_change"), hidden]),
        row(
            MatrixRoute(
                method: .patch, path: "/api/rooms/{room}", variant: "slow mode", request: { f, _ in (room(f), #"{"slow_mode_seconds":60}"#) },
                verify: { _, _, body in #expect(body["room"]?["slow_mode_seconds"] == .number(60)) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, changed, changed, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, changed, changed, forbidden, hidden, hidden],
            // A DM has no slow mode.
            dm: [unauthenticated, hidden, .refused(.unprocessableContent, "invalid_change"), hidden]),
        row(
            MatrixRoute(method: .delete, path: "/api/rooms/{room}", request: { f, _ in (room(f), nil) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, forbidden, done, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, forbidden, done, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, forbidden, hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/password", prepare: .roomPassword, request: { f, _ in (room(f, "/password"), nil) },
                verify: { f, _, body in #expect(body["has_password"] == .bool(f.kind == .public)) }),
            public: [unauthenticated, ok, ok, ok, ok, ok, ok, ok, ok],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/password", variant: "right password", prepare: .roomPassword,
                request: { f, _ in (room(f, "/password"), #"{"password":"\#(Fixture.roomPassword)"}"#) },
                verify: verifyMyRole(at: ["room", "my_role"], joining: true)),
            public: [unauthenticated, changed, ok, ok, ok, ok, ok, banned, changed],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/password", variant: "wrong password", prepare: .roomPassword,
                request: { f, _ in (room(f, "/password"), #"{"password":"not it"}"#) }),
            // Members are in already: the password is not asked again.
            public: [unauthenticated, .refused(.forbidden, "wrong_password"), ok, ok, ok, ok, ok, banned, .refused(.forbidden, "wrong_password")],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/join", request: { f, _ in (room(f, "/join"), nil) },
                verify: verifyMyRole(at: ["room", "my_role"], joining: true)),
            public: [unauthenticated, changed, ok, ok, ok, ok, ok, banned, changed],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/join", variant: "password room", prepare: .roomPassword,
                request: { f, _ in (room(f, "/join"), nil) }),
            public: [
                unauthenticated, .refused(.forbidden, "password_required"), ok, ok, ok, ok, ok, banned, .refused(.forbidden, "password_required"),
            ],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden]),
        row(
            MatrixRoute(method: .post, path: "/api/rooms/{room}/leave", request: { f, _ in (room(f, "/leave"), nil) }),
            public: [unauthenticated, notAMember, done, done, done, conflict("owner_cannot_leave"), done, notAMember, notAMember],
            group: [unauthenticated, hidden, done, done, done, conflict("owner_cannot_leave"), done, hidden, hidden],
            dm: [unauthenticated, hidden, conflict("cannot_leave_dm"), hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/members", request: { f, _ in (room(f, "/members"), nil) },
                verify: { f, _, body in #expect(body["members"]?.array?.count == (f.kind == .dm ? 2 : 6)) }),
            public: [unauthenticated, ok, ok, ok, ok, ok, ok, ok, ok],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/members", request: { f, _ in (room(f, "/members"), #"{"user_id":\#(f.id(.guest))}"#) }),
            public: [unauthenticated, notAMember, notAGroup, notAGroup, notAGroup, notAGroup, notAGroup, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, created, created, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notAGroup, hidden]),
        // Invite links follow the rules of adding members.
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/invites", request: { f, _ in (room(f, "/invites"), #"{"max_uses":5}"#) },
                verify: { _, _, body in #expect(body["invite"]?["code"]?.string?.count == 32) }),
            public: [unauthenticated, notAMember, notAGroup, notAGroup, notAGroup, notAGroup, notAGroup, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, created, created, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notAGroup, hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/invites", prepare: .invite, request: { f, _ in (room(f, "/invites"), nil) },
                verify: { f, _, body in
                    #expect(body["invites"]?.array?.compactMap { $0["id"]?.int } == [f.invite ?? 0])
                    #expect(body["invites"]?.array?.first?["code"] == .null)
                }),
            public: [unauthenticated, notAMember, notAGroup, notAGroup, notAGroup, notAGroup, notAGroup, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, ok, ok, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notAGroup, hidden]),
        row(
            MatrixRoute(
                method: .delete, path: "/api/rooms/{room}/invites/{invite}", prepare: .invite,
                request: { f, _ in (room(f, "/invites/\(f.invite ?? 999_999)"), nil) }),
            public: [unauthenticated, notAMember, notAGroup, notAGroup, notAGroup, notAGroup, notAGroup, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, done, done, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notAGroup, hidden]),
        // Webhooks are managed by owners and admins of public rooms and groups.
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/webhooks", request: { f, _ in (room(f, "/webhooks"), #"{"name":"Alerts"}"#) },
                verify: { _, _, body in #expect(body["webhook"]?["url"]?.string?.count == "/api/hooks/".count + 32) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, created, created, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, created, created, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, conflict("no_webhooks_in_dms"), hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/webhooks", prepare: .webhook, request: { f, _ in (room(f, "/webhooks"), nil) },
                verify: { f, _, body in
                    #expect(body["webhooks"]?.array?.compactMap { $0["id"]?.int } == [f.webhook ?? 0])
                    #expect(body["webhooks"]?.array?.first?["url"] == .null)
                }),
            public: [unauthenticated, notAMember, forbidden, forbidden, ok, ok, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, ok, ok, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, conflict("no_webhooks_in_dms"), hidden]),
        row(
            MatrixRoute(
                method: .delete, path: "/api/rooms/{room}/webhooks/{webhook}", prepare: .webhook,
                request: { f, _ in (room(f, "/webhooks/\(f.webhook ?? 999_999)"), nil) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, done, done, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, done, done, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, conflict("no_webhooks_in_dms"), hidden]),
        // Owners and admins archive rooms and groups (read-only), and unarchive them; DMs are closed instead.
        row(
            MatrixRoute(
                method: .put, path: "/api/rooms/{room}/archived", request: { f, _ in (room(f, "/archived"), nil) },
                verify: { _, _, body in #expect(body["room"]?["archived_at"]?.string != nil) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, changed, changed, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, changed, changed, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, conflict("no_archive_in_dms"), hidden]),
        row(
            MatrixRoute(
                method: .delete, path: "/api/rooms/{room}/archived", prepare: .archived, request: { f, _ in (room(f, "/archived"), nil) },
                verify: { _, _, body in #expect(body["room"]?["archived_at"] == .null) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, changed, changed, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, changed, changed, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, conflict("no_archive_in_dms"), hidden]),
        row(
            // Nobody posts in an archived room (the muted member hears that first), nor reacts, nor joins it.
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/messages", variant: "archived", prepare: .archived,
                request: { f, a in (room(f, "/messages"), #"{"text":"hello from \#(a)"}"#) }),
            public: [unauthenticated, notAMember, archived, archived, archived, archived, archived, banned, notAMember],
            group: [unauthenticated, hidden, archived, archived, archived, archived, archived, hidden, hidden]),
        row(
            // As deleting: the sender, or moderators and up.
            MatrixRoute(
                method: .delete, path: "/api/messages/{message}/previews", variant: "own message", prepare: .ownMessage,
                request: { f, a in ("/api/messages/\(f.ownMessage(a))/previews", nil) }),
            public: [unauthenticated, notAMember, done, done, done, done, done, banned, notAMember],
            group: [unauthenticated, hiddenMessage, done, done, done, done, done, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, done, hiddenMessage]),
        row(
            MatrixRoute(
                method: .delete, path: "/api/messages/{message}/previews", variant: "someone else's",
                request: { f, _ in ("/api/messages/\(f.targetMessage)/previews", nil) }),
            public: [unauthenticated, notAMember, forbidden, done, done, done, forbidden, banned, notAMember],
            group: [unauthenticated, hiddenMessage, forbidden, done, done, done, forbidden, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, forbidden, hiddenMessage]),
        row(
            MatrixRoute(
                method: .put, path: "/api/messages/{message}/reactions/{emoji}", variant: "archived", prepare: .archived,
                request: { f, _ in ("/api/messages/\(f.targetMessage)/reactions/\(Fixture.thumbsUp)", nil) }),
            public: [unauthenticated, notAMember, archived, archived, archived, archived, archived, banned, notAMember],
            group: [unauthenticated, hiddenMessage, archived, archived, archived, archived, archived, hiddenMessage, hiddenMessage]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/join", variant: "archived", prepare: .archived, request: { f, _ in (room(f, "/join"), nil) }),
            public: [unauthenticated, archived, ok, ok, ok, ok, ok, archived, archived],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden]),
        row(
            MatrixRoute(method: .delete, path: "/api/rooms/{room}/members/{user}", request: { f, _ in (room(f, "/members/\(f.id(.target))"), nil) }),
            public: [unauthenticated, notAMember, notAGroup, notAGroup, notAGroup, notAGroup, notAGroup, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, done, done, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notAGroup, hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/admin", request: { f, _ in (room(f, "/admin"), nil) },
                verify: { f, a, body in
                    #expect(body["admin"] == .bool(a == .admin || a == .owner))
                    #expect(body["role"] == (a.role.map(JSON.string) ?? .null))
                }),
            public: [unauthenticated, ok, ok, ok, ok, ok, ok, ok, ok],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),
        row(
            MatrixRoute(method: .post, path: "/api/rooms/{room}/owner", request: { f, _ in (room(f, "/owner"), #"{"user_id":\#(f.id(.target))}"#) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, forbidden, changed, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, forbidden, changed, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notAGroup, hidden]),
        row(
            // The non-member opens a DM of their own with the target; the member finds the one they have.
            MatrixRoute(
                method: .post, path: "/api/dms", request: { f, _ in ("/api/dms", #"{"user_id":\#(f.id(.target))}"#) },
                verify: { f, a, body in #expect((body["room"]?["id"]?.int == f.room) == (a == .member)) }),
            dm: [unauthenticated, created, ok, created]),

        // Messages
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/messages", request: { f, a in (room(f, "/messages"), #"{"text":"hello from \#(a)"}"#) }),
            public: [unauthenticated, notAMember, created, created, created, created, muted, banned, notAMember],
            group: [unauthenticated, hidden, created, created, created, created, muted, hidden, hidden],
            dm: [unauthenticated, hidden, created, hidden]),
        row(
            // Where only moderators and up post, members are refused (the muted one for being muted).
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/messages", variant: "moderators only", prepare: .moderatorsOnly,
                request: { f, a in (room(f, "/messages"), #"{"text":"hello from \#(a)"}"#) }),
            public: [unauthenticated, notAMember, postingRestricted, created, created, created, muted, banned, notAMember],
            group: [unauthenticated, hidden, postingRestricted, created, created, created, muted, hidden, hidden]),
        row(
            // In slow mode, a member who just posted waits; moderators and up do not.
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/messages", variant: "slow mode", prepare: .slowed,
                request: { f, a in (room(f, "/messages"), #"{"text":"again from \#(a)"}"#) }),
            public: [unauthenticated, notAMember, slowMode, created, created, created, muted, banned, notAMember],
            group: [unauthenticated, hidden, slowMode, created, created, created, muted, hidden, hidden]),
        row(
            // Scheduling is refused to whoever may not post now.
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/scheduled",
                request: { f, a in (room(f, "/scheduled"), #"{"text":"later from \#(a)","in_seconds":3600}"#) },
                verify: { f, _, body in #expect(body["scheduled"]?["room_id"]?.int == f.room) }),
            public: [unauthenticated, notAMember, created, created, created, created, muted, banned, notAMember],
            group: [unauthenticated, hidden, created, created, created, created, muted, hidden, hidden],
            dm: [unauthenticated, hidden, created, hidden]),
        row(
            // The body is the file (here a small JSON document, stored as one).
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/files",
                request: { f, a in (room(f, "/files?name=notes.json&text=matrix"), #"{"shared by":"\#(a)","case":"\#(f.prefix)"}"#) },
                verify: { _, _, body in #expect(body["message"]?["file"]?["name"]?.string == "notes.json") }),
            public: [unauthenticated, notAMember, created, created, created, created, muted, banned, notAMember],
            group: [unauthenticated, hidden, created, created, created, created, muted, hidden, hidden],
            dm: [unauthenticated, hidden, created, hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/messages", request: { f, _ in (room(f, "/messages"), nil) },
                verify: { f, _, body in
                    let newestFirst = [f.targetMessage, f.memberMessage] + (f.kind == .dm ? [] : [f.ownMessage(.muted)])
                    #expect(body["messages"]?.array?.compactMap { $0["id"]?.int } == newestFirst)
                }),
            // A public room's non-members read a preview.
            public: [unauthenticated, ok, ok, ok, ok, ok, ok, banned, ok],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/messages", variant: "paging",
                request: { f, _ in (room(f, "/messages?before=\(f.targetMessage)"), nil) }),
            // The preview does not page.
            public: [unauthenticated, notAMember, ok, ok, ok, ok, ok, banned, notAMember],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/messages/{message}", request: { f, _ in ("/api/messages/\(f.targetMessage)", nil) },
                verify: { f, _, body in #expect(body["message"]?["id"]?.int == f.targetMessage) }),
            // A public room's outsiders read its preview, not single messages; a private room's learn nothing.
            public: [unauthenticated, notAMember, ok, ok, ok, ok, ok, banned, notAMember],
            group: [unauthenticated, hiddenMessage, ok, ok, ok, ok, ok, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, ok, hiddenMessage]),
        row(
            // Forwarded within the room: read access to the message, then push's rules in the room.
            MatrixRoute(
                method: .post, path: "/api/messages/{message}/forward",
                request: { f, _ in ("/api/messages/\(f.targetMessage)/forward", #"{"room_id":\#(f.room),"text":"look"}"#) },
                verify: { f, _, body in #expect(body["message"]?["forwarded"]?["message_id"]?.int == f.targetMessage) }),
            public: [unauthenticated, notAMember, created, created, created, created, muted, banned, notAMember],
            group: [unauthenticated, hiddenMessage, created, created, created, created, muted, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, created, hiddenMessage]),
        row(
            MatrixRoute(
                method: .post, path: "/api/messages/{message}/reminders",
                request: { f, _ in ("/api/messages/\(f.targetMessage)/reminders", #"{"in_seconds":3600}"#) },
                verify: { f, _, body in #expect(body["reminder"]?["message"]?["id"]?.int == f.targetMessage) }),
            // Anyone who may read the message (a muted member too).
            public: [unauthenticated, notAMember, created, created, created, created, created, banned, notAMember],
            group: [unauthenticated, hiddenMessage, created, created, created, created, created, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, created, hiddenMessage]),
        row(
            MatrixRoute(
                method: .get, path: "/api/messages/{message}/edits", request: { f, _ in ("/api/messages/\(f.targetMessage)/edits", nil) },
                verify: { f, _, body in
                    #expect(body["message"]?["id"]?.int == f.targetMessage)
                    #expect(body["versions"] == .array([]))
                }),
            // As for the message itself.
            public: [unauthenticated, notAMember, ok, ok, ok, ok, ok, banned, notAMember],
            group: [unauthenticated, hiddenMessage, ok, ok, ok, ok, ok, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, ok, hiddenMessage]),
        row(
            MatrixRoute(
                method: .get, path: "/api/messages/{message}/replies", request: { f, _ in ("/api/messages/\(f.targetMessage)/replies", nil) },
                verify: { f, _, body in
                    #expect(body["message"]?["id"]?.int == f.targetMessage)
                    #expect(body["replies"]?.array?.count == 0)
                }),
            // As for the message itself.
            public: [unauthenticated, notAMember, ok, ok, ok, ok, ok, banned, notAMember],
            group: [unauthenticated, hiddenMessage, ok, ok, ok, ok, ok, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, ok, hiddenMessage]),
        row(
            MatrixRoute(method: .put, path: "/api/rooms/{room}/star", request: { f, _ in (room(f, "/star"), nil) }),
            // Members only, each for themselves (muted ones too).
            public: [unauthenticated, notAMember, done, done, done, done, done, notAMember, notAMember],
            group: [unauthenticated, hidden, done, done, done, done, done, hidden, hidden],
            dm: [unauthenticated, hidden, done, hidden]),
        row(
            // Nobody has starred the room here: a member has nothing to take back.
            MatrixRoute(method: .delete, path: "/api/rooms/{room}/star", request: { f, _ in (room(f, "/star"), nil) }),
            public: [unauthenticated, notAMember, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, notAMember, notAMember],
            group: [unauthenticated, hidden, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, hidden, hidden],
            dm: [unauthenticated, hidden, nothingToDo, hidden]),
        row(
            // A DM is closed in one's own list; rooms and groups are left instead.
            MatrixRoute(method: .put, path: "/api/rooms/{room}/closed", request: { f, _ in (room(f, "/closed"), nil) }),
            public: [unauthenticated, notAMember, notADM, notADM, notADM, notADM, notADM, notAMember, notAMember],
            group: [unauthenticated, hidden, notADM, notADM, notADM, notADM, notADM, hidden, hidden],
            dm: [unauthenticated, hidden, done, hidden]),
        row(
            // Nobody has closed the DM here: nothing to reopen.
            MatrixRoute(method: .delete, path: "/api/rooms/{room}/closed", request: { f, _ in (room(f, "/closed"), nil) }),
            public: [unauthenticated, notAMember, notADM, notADM, notADM, notADM, notADM, notAMember, notAMember],
            group: [unauthenticated, hidden, notADM, notADM, notADM, notADM, notADM, hidden, hidden],
            dm: [unauthenticated, hidden, nothingToDo, hidden]),
        row(
            MatrixRoute(
                method: .put, path: "/api/me/saved/{message}", request: { f, _ in ("/api/me/saved/\(f.targetMessage)", nil) },
                verify: { f, _, body in #expect(body["saved"]?["message"]?["saved"] == .bool(true)) }),
            // Anyone who may read the message saves it (a muted member too).
            public: [unauthenticated, notAMember, changed, changed, changed, changed, changed, banned, notAMember],
            group: [unauthenticated, hiddenMessage, changed, changed, changed, changed, changed, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, changed, hiddenMessage]),
        row(
            // Anyone who may read the message follows its thread (a muted member too).
            MatrixRoute(method: .put, path: "/api/messages/{message}/follow", request: { f, _ in ("/api/messages/\(f.targetMessage)/follow", nil) }),
            public: [unauthenticated, notAMember, done, done, done, done, done, banned, notAMember],
            group: [unauthenticated, hiddenMessage, done, done, done, done, done, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, done, hiddenMessage]),
        row(
            // Anyone who may read the message reads its thread; it has no replies, so no mark moves.
            MatrixRoute(
                method: .post, path: "/api/messages/{message}/thread/read", request: { f, _ in ("/api/messages/\(f.targetMessage)/thread/read", nil) },
                verify: { f, _, body in #expect(body["read_up_to"]?.int == 0) }),
            public: [unauthenticated, notAMember, ok, ok, ok, ok, ok, banned, notAMember],
            group: [unauthenticated, hiddenMessage, ok, ok, ok, ok, ok, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, ok, hiddenMessage]),
        row(
            // Nobody follows the target's thread here (it has no replies, and it is not theirs).
            MatrixRoute(method: .delete, path: "/api/messages/{message}/follow", request: { f, _ in ("/api/messages/\(f.targetMessage)/follow", nil) }),
            public: [unauthenticated, notAMember, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, banned, notAMember],
            group: [unauthenticated, hiddenMessage, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, nothingToDo, hiddenMessage]),
        row(
            MatrixRoute(
                method: .post, path: "/api/messages/{message}/report",
                request: { f, _ in ("/api/messages/\(f.targetMessage)/report", #"{"reason":"spam"}"#) },
                verify: { f, _, body in #expect(body["report"]?["message"]?["id"]?.int == f.targetMessage) }),
            // Anyone who may read the message reports it (a muted member too); a site admin outside the room cannot read it.
            public: [unauthenticated, notAMember, created, created, created, created, created, banned, notAMember],
            group: [unauthenticated, hiddenMessage, created, created, created, created, created, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, created, hiddenMessage]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/report", request: { f, _ in (room(f, "/report"), #"{"reason":"inappropriate"}"#) },
                verify: { f, _, body in
                    #expect(body["report"]?["subject"] == .string("room") && body["report"]?["room"]?["id"]?.int == f.room)
                    #expect(body["report"]?["user"] == .null && body["report"]?["message"] == .null)
                }),
            // Anyone who may see the room reports it (a public room's outsiders, banned ones and site
            // admins too), but its owner; a DM is not reported as a room.
            public: [unauthenticated, created, created, created, created, conflict("own_room"), created, created, created],
            group: [unauthenticated, hidden, created, created, created, conflict("own_room"), created, hidden, hidden],
            dm: [unauthenticated, hidden, conflict("not_reportable"), hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/reports", prepare: .reportedTarget, request: { _, _ in ("/api/reports?limit=100", nil) },
                verify: { f, actor, body in
                    // The member's report reaches the room's moderators and up, and the site admins (a DM's: them alone).
                    let ids = (body["reports"]?.array ?? []).compactMap { $0["id"]?.int }
                    #expect(ids.contains(f.report!) == [.moderator, .admin, .owner, .siteAdmin].contains(actor), "\(ids)")
                }),
            public: [unauthenticated, ok, ok, ok, ok, ok, ok, ok, ok],
            group: [unauthenticated, ok, ok, ok, ok, ok, ok, ok, ok],
            dm: [unauthenticated, ok, ok, ok]),
        row(
            MatrixRoute(
                method: .post, path: "/api/reports/{report}/resolve", prepare: .reportedTarget,
                request: { f, _ in ("/api/reports/\(f.report!)/resolve", #"{"action":"dismiss"}"#) },
                verify: { _, _, body in #expect(body["report"]?["resolution"] == .string("dismissed")) }),
            // The reporter (the member) does not handle their own report.
            public: [unauthenticated, reportNotFound, reportNotFound, changed, changed, changed, reportNotFound, reportNotFound, changed],
            group: [unauthenticated, reportNotFound, reportNotFound, changed, changed, changed, reportNotFound, reportNotFound, changed],
            dm: [unauthenticated, reportNotFound, reportNotFound, changed]),
        row(
            // The caller's own list: nobody has saved the message here, so there is nothing to take back.
            MatrixRoute(method: .delete, path: "/api/me/saved/{message}", request: { f, _ in ("/api/me/saved/\(f.targetMessage)", nil) }),
            public: [unauthenticated, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo],
            group: [unauthenticated, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo],
            dm: [unauthenticated, nothingToDo, nothingToDo, nothingToDo]),
        row(
            MatrixRoute(
                method: .patch, path: "/api/messages/{message}", variant: "own message", prepare: .ownMessage,
                request: { f, a in ("/api/messages/\(f.ownMessage(a))", #"{"text":"edited by \#(a)"}"#) }),
            // The non-member's message is from when they were a member.
            public: [unauthenticated, notAMember, changed, changed, changed, changed, muted, banned, notAMember],
            group: [unauthenticated, hiddenMessage, changed, changed, changed, changed, muted, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, changed, hiddenMessage]),
        row(
            MatrixRoute(
                method: .patch, path: "/api/messages/{message}", variant: "someone else's",
                request: { f, a in ("/api/messages/\(f.targetMessage)", #"{"text":"edited by \#(a)"}"#) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, forbidden, forbidden, forbidden, banned, notAMember],
            group: [unauthenticated, hiddenMessage, forbidden, forbidden, forbidden, forbidden, forbidden, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, forbidden, hiddenMessage]),
        row(
            MatrixRoute(
                method: .delete, path: "/api/messages/{message}", variant: "own message", prepare: .ownMessage,
                request: { f, a in ("/api/messages/\(f.ownMessage(a))", nil) }),
            public: [unauthenticated, notAMember, done, done, done, done, done, banned, notAMember],
            group: [unauthenticated, hiddenMessage, done, done, done, done, done, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, done, hiddenMessage]),
        row(
            MatrixRoute(
                method: .delete, path: "/api/messages/{message}", variant: "someone else's",
                request: { f, _ in ("/api/messages/\(f.targetMessage)", nil) }),
            public: [unauthenticated, notAMember, forbidden, done, done, done, forbidden, banned, notAMember],
            group: [unauthenticated, hiddenMessage, forbidden, done, done, done, forbidden, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, forbidden, hiddenMessage]),
        row(
            MatrixRoute(
                method: .put, path: "/api/messages/{message}/reactions/{emoji}",
                request: { f, _ in ("/api/messages/\(f.targetMessage)/reactions/\(Fixture.thumbsUp)", nil) },
                verify: { f, a, body in
                    #expect(body["message_id"]?.int == f.targetMessage)
                    #expect(body["reactions"]?.array?.first?["user_ids"] == .array([.number(Double(f.person(a)!.id))]))
                }),
            public: [unauthenticated, notAMember, changed, changed, changed, changed, muted, banned, notAMember],
            group: [unauthenticated, hiddenMessage, changed, changed, changed, changed, muted, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, changed, hiddenMessage]),
        row(
            // Members react where only moderators and up post.
            MatrixRoute(
                method: .put, path: "/api/messages/{message}/reactions/{emoji}", variant: "moderators only", prepare: .moderatorsOnly,
                request: { f, _ in ("/api/messages/\(f.targetMessage)/reactions/\(Fixture.thumbsUp)", nil) }),
            public: [unauthenticated, notAMember, changed, changed, changed, changed, muted, banned, notAMember],
            group: [unauthenticated, hiddenMessage, changed, changed, changed, changed, muted, hiddenMessage, hiddenMessage]),
        row(
            MatrixRoute(
                method: .delete, path: "/api/messages/{message}/reactions/{emoji}", prepare: .reactedTarget,
                request: { f, _ in ("/api/messages/\(f.targetMessage)/reactions/\(Fixture.thumbsUp)", nil) },
                verify: { _, _, body in #expect(body["reactions"] == .array([])) }),
            // A muted member takes their reaction back, as they delete their own messages.
            public: [unauthenticated, notAMember, changed, changed, changed, changed, changed, banned, notAMember],
            group: [unauthenticated, hiddenMessage, changed, changed, changed, changed, changed, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, changed, hiddenMessage]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/polls",
                request: { f, a in (room(f, "/polls"), #"{"question":"asked by \#(a)?","options":["yes","no"]}"#) },
                verify: { _, _, body in #expect(body["message"]?["poll"]?["voters"]?.int == 0) }),
            public: [unauthenticated, notAMember, created, created, created, created, muted, banned, notAMember],
            group: [unauthenticated, hidden, created, created, created, created, muted, hidden, hidden],
            dm: [unauthenticated, hidden, created, hidden]),
        row(
            MatrixRoute(
                method: .put, path: "/api/messages/{message}/poll/votes", prepare: .targetPoll,
                request: { f, _ in ("/api/messages/\(f.targetPoll ?? 0)/poll/votes", #"{"options":[1]}"#) },
                verify: { f, a, body in
                    #expect(body["my_votes"] == .array([.number(1)]))
                    #expect(body["poll"]?["options"]?.array?[1]["voter_ids"] == .array([.number(Double(f.person(a)!.id))]))
                }),
            // As reactions: members who may post.
            public: [unauthenticated, notAMember, changed, changed, changed, changed, muted, banned, notAMember],
            group: [unauthenticated, hiddenMessage, changed, changed, changed, changed, muted, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, changed, hiddenMessage]),
        row(
            MatrixRoute(
                method: .post, path: "/api/messages/{message}/poll/close", prepare: .targetPoll,
                request: { f, _ in ("/api/messages/\(f.targetPoll ?? 0)/poll/close", nil) },
                verify: { _, _, body in #expect(body["poll"]?["closed"] == .bool(true)) }),
            // The target asked it: other members may not close it, the room's moderators and up may.
            public: [unauthenticated, notAMember, forbidden, changed, changed, changed, forbidden, banned, notAMember],
            group: [unauthenticated, hiddenMessage, forbidden, changed, changed, changed, forbidden, hiddenMessage, hiddenMessage],
            dm: [unauthenticated, hiddenMessage, forbidden, hiddenMessage]),
        row(
            MatrixRoute(
                method: .get, path: "/api/files/{file}", prepare: .sharedFile, request: { f, _ in ("/api/files/\(f.sharedFile ?? 0)", nil) }),
            // As single messages: a public room's outsiders get 403, a private room's learn nothing.
            public: [unauthenticated, notAMember, ok, ok, ok, ok, ok, banned, notAMember],
            group: [unauthenticated, hiddenFile, ok, ok, ok, ok, ok, hiddenFile, hiddenFile],
            dm: [unauthenticated, hiddenFile, ok, hiddenFile]),
        row(
            MatrixRoute(
                method: .get, path: "/api/files/{file}/thumbnail", prepare: .sharedFile,
                request: { f, _ in ("/api/files/\(f.sharedFile ?? 0)/thumbnail", nil) }),
            // As the file itself.
            public: [unauthenticated, notAMember, ok, ok, ok, ok, ok, banned, notAMember],
            group: [unauthenticated, hiddenFile, ok, ok, ok, ok, ok, hiddenFile, hiddenFile],
            dm: [unauthenticated, hiddenFile, ok, hiddenFile]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/files", prepare: .sharedFile, request: { f, _ in (room(f, "/files"), nil) },
                verify: { f, _, body in #expect(body["messages"]?.array?.compactMap { $0["file"]?["id"]?.int } == [f.sharedFile ?? 0]) }),
            // As the files themselves: members only.
            public: [unauthenticated, notAMember, ok, ok, ok, ok, ok, banned, notAMember],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),

        // Typing, read marks, receipts, notification levels
        row(
            MatrixRoute(method: .post, path: "/api/rooms/{room}/typing", request: { f, _ in (room(f, "/typing"), #"{"typing":true}"#) }),
            public: [unauthenticated, notAMember, done, done, done, done, muted, notAMember, notAMember],
            group: [unauthenticated, hidden, done, done, done, done, muted, hidden, hidden],
            dm: [unauthenticated, hidden, done, hidden]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/read", request: { f, _ in (room(f, "/read"), #"{"message_id":\#(f.targetMessage)}"#) }),
            public: [unauthenticated, notAMember, changed, changed, changed, changed, changed, notAMember, notAMember],
            group: [unauthenticated, hidden, changed, changed, changed, changed, changed, hidden, hidden],
            dm: [unauthenticated, hidden, changed, hidden]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/unread", prepare: .readTarget,
                request: { f, _ in (room(f, "/unread"), #"{"message_id":\#(f.targetMessage)}"#) },
                verify: { f, _, body in #expect(body["read_up_to"]?.int == f.targetMessage - 1) }),
            public: [unauthenticated, notAMember, changed, changed, changed, changed, changed, notAMember, notAMember],
            group: [unauthenticated, hidden, changed, changed, changed, changed, changed, hidden, hidden],
            dm: [unauthenticated, hidden, changed, hidden]),
        row(
            MatrixRoute(method: .get, path: "/api/rooms/{room}/receipts", request: { f, _ in (room(f, "/receipts"), nil) }),
            public: [unauthenticated, notAMember, ok, ok, ok, ok, ok, notAMember, notAMember],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),
        row(
            MatrixRoute(method: .put, path: "/api/rooms/{room}/notifications", request: { f, _ in (room(f, "/notifications"), #"{"level":"all"}"#) }),
            public: [unauthenticated, notAMember, changed, changed, changed, changed, changed, notAMember, notAMember],
            group: [unauthenticated, hidden, changed, changed, changed, changed, changed, hidden, hidden],
            dm: [unauthenticated, hidden, changed, hidden]),
        // Drafts wait in a room for its members, muted ones too.
        row(
            MatrixRoute(method: .put, path: "/api/rooms/{room}/draft", request: { f, _ in (room(f, "/draft"), #"{"text":"later"}"#) }),
            public: [unauthenticated, notAMember, changed, changed, changed, changed, changed, notAMember, notAMember],
            group: [unauthenticated, hidden, changed, changed, changed, changed, changed, hidden, hidden],
            dm: [unauthenticated, hidden, changed, hidden]),
        row(
            MatrixRoute(method: .delete, path: "/api/rooms/{room}/draft", request: { f, _ in (room(f, "/draft"), nil) }),
            public: [unauthenticated, notAMember, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, notAMember, notAMember],
            group: [unauthenticated, hidden, nothingToDo, nothingToDo, nothingToDo, nothingToDo, nothingToDo, hidden, hidden],
            dm: [unauthenticated, hidden, nothingToDo, hidden]),

        // Moderation
        row(
            MatrixRoute(
                method: .put, path: "/api/rooms/{room}/members/{user}/role",
                request: { f, _ in (room(f, "/members/\(f.id(.target))/role"), #"{"role":"moderator"}"#) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, changed, changed, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, changed, changed, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(method: .post, path: "/api/rooms/{room}/kick", request: { f, _ in (room(f, "/kick"), #"{"user_id":\#(f.id(.target))}"#) }),
            public: [unauthenticated, notAMember, forbidden, done, done, done, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, done, done, done, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/bans",
                request: { f, _ in (room(f, "/bans"), #"{"user_id":\#(f.id(.target)),"reason":"matrix"}"#) }),
            public: [unauthenticated, notAMember, forbidden, created, created, created, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, created, created, created, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/bans", prepare: .bannedGuest, request: { f, _ in (room(f, "/bans"), nil) },
                verify: { f, _, body in
                    #expect(Set(body["bans"]?.array?.compactMap { $0["user"]?["id"]?.int } ?? []) == [f.id(.guest), f.id(.banned)])
                }),
            public: [unauthenticated, notAMember, forbidden, ok, ok, ok, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, ok, ok, ok, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(
                method: .delete, path: "/api/rooms/{room}/bans/{user}", prepare: .bannedGuest,
                request: { f, _ in (room(f, "/bans/\(f.id(.guest))"), nil) }),
            public: [unauthenticated, notAMember, forbidden, done, done, done, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, done, done, done, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/mutes",
                request: { f, _ in (room(f, "/mutes"), #"{"user_id":\#(f.id(.target)),"duration_seconds":600}"#) }),
            public: [unauthenticated, notAMember, forbidden, created, created, created, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, created, created, created, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/mutes", prepare: .mutedTarget, request: { f, _ in (room(f, "/mutes"), nil) },
                verify: { f, _, body in
                    #expect(Set(body["mutes"]?.array?.compactMap { $0["user"]?["id"]?.int } ?? []) == [f.id(.target), f.id(.muted)])
                }),
            public: [unauthenticated, notAMember, forbidden, ok, ok, ok, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, ok, ok, ok, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(
                method: .delete, path: "/api/rooms/{room}/mutes/{user}", prepare: .mutedTarget,
                request: { f, _ in (room(f, "/mutes/\(f.id(.target))"), nil) }),
            public: [unauthenticated, notAMember, forbidden, done, done, done, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, done, done, done, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(
                method: .post, path: "/api/rooms/{room}/pins", request: { f, _ in (room(f, "/pins"), #"{"message_id":\#(f.targetMessage)}"#) }),
            public: [unauthenticated, notAMember, forbidden, created, created, created, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, created, created, created, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/pins", prepare: .pinnedMessage, request: { f, _ in (room(f, "/pins"), nil) },
                verify: { f, _, body in
                    #expect(body["pins"]?.array?.compactMap { $0["message"]?["id"]?.int } == (f.kind == .dm ? [] : [f.targetMessage]))
                }),
            // Pins are read by anyone who may read the room.
            public: [unauthenticated, ok, ok, ok, ok, ok, ok, banned, ok],
            group: [unauthenticated, hidden, ok, ok, ok, ok, ok, hidden, hidden],
            dm: [unauthenticated, hidden, ok, hidden]),
        row(
            MatrixRoute(
                method: .delete, path: "/api/rooms/{room}/pins/{message}", prepare: .pinnedMessage,
                request: { f, _ in (room(f, "/pins/\(f.targetMessage)"), nil) }),
            public: [unauthenticated, notAMember, forbidden, done, done, done, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, done, done, done, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(
                method: .get, path: "/api/rooms/{room}/moderation", prepare: .bannedGuest, request: { f, _ in (room(f, "/moderation"), nil) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, ok, ok, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, ok, ok, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, notModerated, hidden]),
        row(
            MatrixRoute(method: .get, path: "/api/rooms/{room}/filter", request: { f, _ in (room(f, "/filter"), nil) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, ok, ok, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, ok, ok, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, forbidden, hidden]),
        row(
            MatrixRoute(
                method: .put, path: "/api/rooms/{room}/filter",
                request: { f, _ in (room(f, "/filter"), #"{"words":["\#(f.prefix)word"],"mode":"reject"}"#) }),
            public: [unauthenticated, notAMember, forbidden, forbidden, changed, changed, forbidden, notAMember, notAMember],
            group: [unauthenticated, hidden, forbidden, forbidden, changed, changed, forbidden, hidden, hidden],
            dm: [unauthenticated, hidden, forbidden, hidden]),

        // Site administration: no room rank, not even the owner's, opens these.
        row(
            MatrixRoute(method: .delete, path: "/api/admin/rooms/{room}", request: { f, _ in ("/api/admin/rooms/\(f.room)", nil) }),
            public: [unauthenticated, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, done],
            group: [unauthenticated, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, done],
            dm: [unauthenticated, notSiteAdmin, notSiteAdmin, done]),
        row(
            MatrixRoute(
                method: .put, path: "/api/admin/rooms/{room}/retention",
                request: { f, _ in ("/api/admin/rooms/\(f.room)/retention", #"{"message_retention_days":90}"#) },
                verify: { _, _, body in #expect(body["room"]?["message_retention_days"] == .number(90)) }),
            public: [unauthenticated, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, changed],
            group: [unauthenticated, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, changed],
            dm: [unauthenticated, notSiteAdmin, notSiteAdmin, changed]),
        row(
            MatrixRoute(method: .delete, path: "/api/admin/messages/{message}", request: { f, _ in ("/api/admin/messages/\(f.targetMessage)", nil) }),
            public: [unauthenticated, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, done],
            group: [unauthenticated, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, notSiteAdmin, done],
            dm: [unauthenticated, notSiteAdmin, notSiteAdmin, done]),
    ]

    /// The room list shows a public room to everyone and any room to its members only.
    static func verifyRoomList(_ f: Fixture, _ actor: MatrixActor, _ body: JSON) throws {
        let listed = (body["public"]?.array ?? []).compactMap { $0["id"]?.int }
        let mine = (body["mine"]?.array ?? []).compactMap { $0["id"]?.int }
        #expect(listed.contains(f.room) == (f.kind == .public))
        #expect(mine.contains(f.room) == actor.isMember)
    }

    /// The caller's role as the response reports it: theirs, or null for a non-member (who becomes a member by joining).
    static func verifyMyRole(at path: [String], joining: Bool = false) -> @Sendable (Fixture, MatrixActor, JSON) throws -> Void {
        { _, actor, body in
            let role = path.reduce(Optional(body)) { $0?[$1] }
            let expected: JSON = actor.role.map(JSON.string) ?? (joining ? .string("member") : .null)
            #expect(role == expected)
        }
    }
}

// MARK: - Fixture

/// The people of a case.
enum Person: String, Sendable, CaseIterable {
    case owner, admin, moderator, member, target, outsider, guest, muted, banned, siteAdmin
}

/// One case's own users and room, made through the API: in a public room or group the owner, an
/// admin, a moderator, a member and a target (a member to act on), a member muted after writing one
/// message, an outsider (the non-member caller), a guest (a user to add or ban) and a user banned
/// from the room; in a DM the member and the target are its two people. A site admin is in no room.
/// The member's message comes after the muted member's, then the target's.
struct Fixture: Sendable {
    static let roomPassword = "open sesame"
    /// 👍, percent-encoded for a path.
    static let thumbsUp = "%F0%9F%91%8D"

    let kind: MatrixRoomKind
    let prefix: String
    let people: [Person: LoggedIn]
    let room: Int64
    let memberMessage: Int64
    let targetMessage: Int64
    private(set) var ownMessages: [MatrixActor: Int64] = [:]
    /// The file the target shared (`.sharedFile`).
    private(set) var sharedFile: Int64?
    /// The owner's invite link (`.invite`, groups).
    private(set) var invite: Int64?
    /// The owner's webhook (`.webhook`, public rooms and groups).
    private(set) var webhook: Int64?
    /// The member's report of the target's message (`.reportedTarget`).
    private(set) var report: Int64?
    /// The target's poll (`.targetPoll`).
    private(set) var targetPoll: Int64?

    func id(_ person: Person) -> Int64 { people[person]!.id }

    func person(_ actor: MatrixActor) -> LoggedIn? {
        switch actor {
        case .anonymous: nil
        case .nonMember: people[.outsider]
        case .member: people[.member]
        case .moderator: people[.moderator]
        case .admin: people[.admin]
        case .owner: people[.owner]
        case .muted: people[.muted]
        case .banned: people[.banned]
        case .siteAdmin: people[.siteAdmin]
        }
    }

    /// The caller's own message, after `.ownMessage`; someone else's for those who have none.
    func ownMessage(_ actor: MatrixActor) -> Int64 { ownMessages[actor] ?? targetMessage }

    static func make(_ client: any TestClientProtocol, _ parley: TestParley, kind: MatrixRoomKind, prefix: String) async throws -> Fixture {
        let cast: [Person] =
            kind == .dm ? [.member, .target, .outsider, .guest] : [.owner, .admin, .moderator, .member, .target, .outsider, .guest, .muted, .banned]
        var people: [Person: LoggedIn] = [:]
        for person in cast { people[person] = try await client.signUp("\(prefix)\(person.rawValue)") }
        let siteAdmin = "\(prefix)siteadmin"
        #expect(try await client.register(siteAdmin).status == .created)
        try parley.execute("UPDATE users SET site_role = 'admin' WHERE username = ?", [siteAdmin])
        people[.siteAdmin] = try await client.logIn(siteAdmin)
        let owner = people[kind == .dm ? .member : .owner]!
        let room: Int64
        switch kind {
        case .public:
            room = try await created(client.send(.post, "/api/rooms", json: #"{"name":"\#(prefix) room"}"#, headers: owner.bearer), "room")
            for person in [Person.admin, .moderator, .member, .target, .muted] {
                #expect(try await client.send(.post, "/api/rooms/\(room)/join", headers: people[person]!.bearer).status == .ok)
            }
        case .group:
            let members = [Person.admin, .moderator, .member, .target, .muted].map { String(people[$0]!.id) }.joined(separator: ",")
            room = try await created(
                client.send(.post, "/api/rooms", json: #"{"name":"\#(prefix) group","kind":"group","members":[\#(members)]}"#, headers: owner.bearer),
                "room")
        case .dm:
            room = try await created(client.send(.post, "/api/dms", json: #"{"user_id":\#(people[.target]!.id)}"#, headers: owner.bearer), "room")
        }
        if kind != .dm {
            for (person, role) in [(Person.admin, "admin"), (.moderator, "moderator")] {
                let response = try await client.send(
                    .put, "/api/rooms/\(room)/members/\(people[person]!.id)/role", json: #"{"role":"\#(role)"}"#, headers: owner.bearer)
                #expect(response.status == .ok)
            }
            let ban = try await client.send(.post, "/api/rooms/\(room)/bans", json: #"{"user_id":\#(people[.banned]!.id)}"#, headers: owner.bearer)
            #expect(ban.status == .created)
        }
        var ownMessages: [MatrixActor: Int64] = [:]
        if kind != .dm {
            // The muted member wrote before the mute.
            ownMessages[.muted] = try await post(client, room: room, "from the muted member", as: people[.muted]!)
            let mute = try await client.send(.post, "/api/rooms/\(room)/mutes", json: #"{"user_id":\#(people[.muted]!.id)}"#, headers: owner.bearer)
            #expect(mute.status == .created)
        }
        let memberMessage = try await post(client, room: room, "from the member", as: people[.member]!)
        let targetMessage = try await post(client, room: room, "from the target", as: people[.target]!)
        return Fixture(
            kind: kind, prefix: prefix, people: people, room: room, memberMessage: memberMessage, targetMessage: targetMessage,
            ownMessages: ownMessages)
    }

    mutating func prepare(_ preparation: Preparation, for actor: MatrixActor, _ client: any TestClientProtocol) async throws {
        if preparation == .sharedFile {
            // A picture, so that its thumbnail is there for those who may read it.
            var headers = people[.target]!.bearer
            headers[.contentType] = "image/png"
            let upload = try await client.execute(
                uri: "/api/rooms/\(room)/files?name=shared.png", method: .post, headers: headers, body: ByteBuffer(bytes: Pictures.png(8, 8)))
            #expect(upload.status == .created)
            #expect(try upload.json()["message"]?["file"]?["thumbnail_url"]?.string != nil)
            sharedFile = try upload.json()["message"]?["file"]?["id"]?.int
            return
        }
        if preparation == .targetPoll {
            let asked = try await client.send(
                .post, "/api/rooms/\(room)/polls", json: #"{"question":"which?","options":["one","two"]}"#, headers: people[.target]!.bearer)
            #expect(asked.status == .created)
            targetPoll = try asked.json()["message"]?["id"]?.int
            return
        }
        if preparation == .reportedTarget {
            let reported = try await client.send(
                .post, "/api/messages/\(targetMessage)/report", json: #"{"reason":"spam"}"#, headers: people[.member]!.bearer)
            report = try Self.created(reported, "report")
            return
        }
        if preparation == .readTarget {
            if actor.isMember, let person = person(actor) {
                let read = try await client.send(.post, "/api/rooms/\(room)/read", json: #"{"message_id":\#(targetMessage)}"#, headers: person.bearer)
                #expect(read.status == .ok)
            }
            return
        }
        if preparation == .reactedTarget {
            if actor.isMember, let person = person(actor) {
                // The muted member reacted while the mute was lifted for a moment (DMs have no mutes).
                if actor == .muted {
                    let owner = people[.owner]!.bearer
                    #expect(try await client.send(.delete, "/api/rooms/\(room)/mutes/\(person.id)", headers: owner).status == .noContent)
                }
                #expect(try await client.send(.put, "/api/messages/\(targetMessage)/reactions/\(Self.thumbsUp)", headers: person.bearer).status == .ok)
                if actor == .muted {
                    let owner = people[.owner]!.bearer
                    let mute = try await client.send(.post, "/api/rooms/\(room)/mutes", json: #"{"user_id":\#(person.id)}"#, headers: owner)
                    #expect(mute.status == .created)
                }
            }
            return
        }
        guard kind != .dm else {
            if preparation == .ownMessage, actor == .member { ownMessages[.member] = memberMessage }
            return
        }
        let owner = people[.owner]!.bearer
        switch preparation {
        case .nothing, .reactedTarget, .sharedFile, .targetPoll, .readTarget, .reportedTarget:
            return
        case .moderatorsOnly:
            #expect(try await client.send(.patch, "/api/rooms/\(room)", json: #"{"post_policy":"moderators"}"#, headers: owner).status == .ok)
        case .archived:
            #expect(try await client.send(.put, "/api/rooms/\(room)/archived", headers: owner).status == .ok)
        case .slowed:
            #expect(try await client.send(.patch, "/api/rooms/\(room)", json: #"{"slow_mode_seconds":600}"#, headers: owner).status == .ok)
            if actor.isMember, actor != .muted, let person = person(actor) {
                _ = try await Self.post(client, room: room, "first from \(actor)", as: person)
            }
        case .invite:
            guard kind == .group else { return }
            invite = try Self.created(try await client.send(.post, "/api/rooms/\(room)/invites", json: "{}", headers: owner), "invite")
        case .webhook:
            webhook = try Self.created(
                try await client.send(.post, "/api/rooms/\(room)/webhooks", json: #"{"name":"CI"}"#, headers: owner), "webhook")
        case .roomPassword:
            guard kind == .public else { return }
            let response = try await client.send(.patch, "/api/rooms/\(room)", json: #"{"password":"\#(Self.roomPassword)"}"#, headers: owner)
            #expect(response.status == .ok)
        case .pinnedMessage:
            #expect(
                try await client.send(.post, "/api/rooms/\(room)/pins", json: #"{"message_id":\#(targetMessage)}"#, headers: owner).status == .created
            )
        case .bannedGuest:
            #expect(try await client.send(.post, "/api/rooms/\(room)/bans", json: #"{"user_id":\#(id(.guest))}"#, headers: owner).status == .created)
        case .mutedTarget:
            #expect(
                try await client.send(.post, "/api/rooms/\(room)/mutes", json: #"{"user_id":\#(id(.target))}"#, headers: owner).status == .created)
        case .ownMessage:
            switch actor {
            case .anonymous, .muted, .banned, .siteAdmin:
                return
            case .member:
                ownMessages[actor] = memberMessage
            case .moderator, .admin, .owner:
                ownMessages[actor] = try await Self.post(client, room: room, "mine", as: person(actor)!)
            case .nonMember:
                // They were in the room when they wrote it, and are not now.
                let outsider = people[.outsider]!
                if kind == .public {
                    #expect(try await client.send(.post, "/api/rooms/\(room)/join", headers: outsider.bearer).status == .ok)
                } else {
                    #expect(
                        try await client.send(.post, "/api/rooms/\(room)/members", json: #"{"user_id":\#(outsider.id)}"#, headers: owner).status
                            == .created)
                }
                ownMessages[actor] = try await Self.post(client, room: room, "before I left", as: outsider)
                #expect(try await client.send(.post, "/api/rooms/\(room)/leave", headers: outsider.bearer).status == .noContent)
            }
        }
    }

    private static func post(_ client: any TestClientProtocol, room: Int64, _ text: String, as user: LoggedIn) async throws -> Int64 {
        try await created(client.send(.post, "/api/rooms/\(room)/messages", json: #"{"text":"\#(text)"}"#, headers: user.bearer), "message")
    }

    private static func created(_ response: TestResponse, _ key: String) throws -> Int64 {
        #expect(response.status == .created || response.status == .ok, "\(String(buffer: response.body))")
        return try #require(try response.json()[key]?["id"]?.int)
    }
}

// MARK: - What was written

/// The rows a case's people and rooms own in every table a room route may write, with the columns
/// that matter (not the clocks of sessions and presence).
struct Snapshot: Equatable {
    let tables: [String: [[MariaDBValue]]]

    func changed(from other: Snapshot) -> [String] {
        Set(tables.keys).union(other.tables.keys).filter { tables[$0] != other.tables[$0] }.sorted()
    }

    static func take(_ parley: TestParley, _ f: Fixture) throws -> Snapshot {
        let c = try MariaDBConnection(configuration: try MariaDBConfiguration(url: parley.databaseURL))
        defer { c.close() }
        let users = f.people.values.map { String($0.id) }.sorted().joined(separator: ",")
        // The case's room and any room its people made or that carries its prefix (a wrongly created one).
        let extra = try c.query("SELECT id FROM rooms WHERE created_by IN (\(users)) OR name LIKE ?", ["\(f.prefix)%"]).map {
            try $0.decode("id", as: Int64.self)
        }
        let rooms = Set(extra + [f.room]).map(String.init).sorted().joined(separator: ",")
        let queries = [
            "rooms": """
            SELECT id, kind, name, topic, password_hash, dm_key, created_by, post_policy, archived_at, slow_mode_seconds,
            message_retention_days FROM rooms
            WHERE id IN (\(rooms)) ORDER BY id
            """,
            // (Not `delivered_up_to`: a member's fetch of history or of the room list marks what it
            // delivered, a second later, as a stream does; that is no write of the request's.)
            "room_members": """
            SELECT room_id, user_id, role, notify_level, read_up_to, starred_at FROM room_members
            WHERE room_id IN (\(rooms)) OR user_id IN (\(users)) ORDER BY room_id, user_id
            """,
            "drafts": """
            SELECT user_id, room_id, text, reply_to FROM drafts
            WHERE room_id IN (\(rooms)) OR user_id IN (\(users)) ORDER BY user_id, room_id
            """,
            "slow_mode_turns": """
            SELECT room_id, user_id, last_posted_at FROM slow_mode_turns
            WHERE room_id IN (\(rooms)) OR user_id IN (\(users)) ORDER BY room_id, user_id
            """,
            "membership_log":
                """
                SELECT id, user_id, room_id, from_event, to_event FROM membership_log
                WHERE room_id IN (\(rooms)) OR user_id IN (\(users)) ORDER BY id
                """,
            "messages": """
            SELECT id, room_id, sender_id, text, reply_to, client_id, edited_at, deleted_at, mentions_room, mention_ids, reaction_summary,
            file_summary, forward_summary, poll_summary, preview_summary
            FROM messages WHERE room_id IN (\(rooms)) OR sender_id IN (\(users)) ORDER BY id
            """,
            "files": """
            SELECT f.id, f.room_id, f.uploader_id, f.message_id, f.name, f.content_type, f.size FROM files f
            WHERE f.room_id IN (\(rooms)) OR f.uploader_id IN (\(users)) ORDER BY f.id
            """,
            // Chunks are shared by all cases: a case's uploads carry its prefix.
            "file_chunks": "SELECT sha256, size FROM file_chunks WHERE data LIKE '%\(f.prefix)%' ORDER BY sha256",
            "reactions": """
            SELECT r.message_id, r.emoji, r.user_id FROM reactions r JOIN messages m ON m.id = r.message_id
            WHERE m.room_id IN (\(rooms)) OR r.user_id IN (\(users)) ORDER BY r.message_id, r.emoji, r.user_id
            """,
            // Reports go to every site admin, the other cases' too: those are told apart by their room.
            // (Nor the `receipt` events those delivered marks send.)
            "events": """
            SELECT id, type, room_id, user_id, subject_id, payload FROM events WHERE type <> 'receipt' AND (
            room_id IN (\(rooms)) OR (user_id IN (\(users)) AND type NOT LIKE 'report.%') OR subject_id IN (\(users))
            OR (type LIKE 'report.%' AND COALESCE(JSON_VALUE(payload, '$.report.room.id'), JSON_VALUE(payload, '$.room_id')) IN (\(rooms))))
            ORDER BY id
            """,
            "reports": """
            SELECT id, message_id, room_id, user_id, reporter_id, reason, comment, message_text, resolved_at, resolved_by, resolution FROM reports
            WHERE room_id IN (\(rooms)) OR reporter_id IN (\(users)) ORDER BY id
            """,
            "mentions":
                "SELECT message_id, user_id, room_id FROM mentions WHERE room_id IN (\(rooms)) OR user_id IN (\(users)) ORDER BY message_id, user_id",
            "notifications":
                "SELECT id, user_id, room_id, message_id, reason FROM notifications WHERE room_id IN (\(rooms)) OR user_id IN (\(users)) ORDER BY id",
            "room_bans": """
            SELECT room_id, user_id, banned_by, reason, created_at, expires_at FROM room_bans
            WHERE room_id IN (\(rooms)) OR user_id IN (\(users)) ORDER BY room_id, user_id
            """,
            "room_mutes": """
            SELECT room_id, user_id, muted_by, reason, created_at, expires_at FROM room_mutes
            WHERE room_id IN (\(rooms)) OR user_id IN (\(users)) ORDER BY room_id, user_id
            """,
            "pins": "SELECT room_id, message_id, pinned_by, pinned_at FROM pins WHERE room_id IN (\(rooms)) ORDER BY room_id, message_id",
            "moderation_log": """
            SELECT id, room_id, actor_id, action, target_user_id, target_message_id, reason, expires_at FROM moderation_log
            WHERE room_id IN (\(rooms)) OR actor_id IN (\(users)) OR target_user_id IN (\(users)) ORDER BY id
            """,
            "word_filters": "SELECT room_id, words, mode FROM word_filters WHERE room_id IN (\(rooms)) ORDER BY room_id",
            "room_invites": "SELECT id, room_id, created_by, expires_at, max_uses, uses FROM room_invites WHERE room_id IN (\(rooms)) ORDER BY id",
            "webhooks": "SELECT id, room_id, name, created_by, last_used_at FROM webhooks WHERE room_id IN (\(rooms)) ORDER BY id",
            "users": """
            SELECT id, username, display_name, password_hash, site_role, deactivated_at, presence, send_read_receipts FROM users
            WHERE id IN (\(users)) ORDER BY id
            """,
            "sessions": "SELECT id, user_id FROM sessions WHERE user_id IN (\(users)) ORDER BY id",
            "saved_messages": "SELECT user_id, message_id FROM saved_messages WHERE user_id IN (\(users)) ORDER BY user_id, message_id",
            "thread_follows": "SELECT root_id, user_id, following FROM thread_follows WHERE user_id IN (\(users)) ORDER BY root_id, user_id",
            "reminders": "SELECT user_id, message_id FROM reminders WHERE user_id IN (\(users)) ORDER BY id",
            "poll_votes": "SELECT message_id, user_id, option_index FROM poll_votes WHERE user_id IN (\(users)) ORDER BY message_id, user_id",
            "scheduled_messages": "SELECT user_id, room_id, text FROM scheduled_messages WHERE user_id IN (\(users)) ORDER BY id",
            "messages.reply_count": "SELECT id, reply_count FROM messages WHERE room_id IN (\(rooms)) ORDER BY id",
        ]
        return Snapshot(tables: try queries.mapValues { sql in try c.query(sql).map(\.values) })
    }
}

// MARK: - The shared database

/// The database every case shares. Each case makes its own people and rooms on it and compares only
/// their rows, so cases run side by side without a fresh schema each; a few at a time, to keep
/// database connections bounded.
actor MatrixWorld {
    static let shared = MatrixWorld()

    private var parley: Task<TestParley, any Error>?
    private var counter = 0
    private var free = 8
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func database() async throws -> TestParley {
        if let parley { return try await parley.value }
        let task = Task {
            // bcrypt cost 4: the matrix signs up thousands of people, and the cost changes nothing it checks.
            let parley = try await TestParley.make {
                $0.bcryptCost = 4
                $0.databasePoolSize = 2
            }
            // The first account of a server becomes its site admin: let that be nobody the matrix uses.
            try await parley.run { client in
                let registered = try await client.register("matrix-site-admin")
                #expect(registered.status == .created)
            }
            return parley
        }
        parley = task
        return try await task.value
    }

    /// A unique name prefix for one case's people and rooms ("m12x" is no prefix of "m123x").
    func nextPrefix() -> String {
        counter += 1
        return "m\(counter)x"
    }

    func withSlot<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if free > 0 {
            free -= 1
        } else {
            await withCheckedContinuation { waiting.append($0) }
        }
        defer { release() }
        return try await body()
    }

    private func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
