import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Parley

/// A room's files (`roomFiles`): the messages that share them, newest first, by kind and by name,
/// paged, without deleted ones, for members only.
@Suite struct RoomFilesTests {
    static func list(_ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ query: String = "") async throws -> TestResponse {
        try await client.send(.get, "/api/rooms/\(room)/files\(query.isEmpty ? "" : "?\(query)")", headers: user.bearer)
    }

    /// The message ids listed (newest first) and `has_more`.
    static func ids(
        _ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ query: String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ([Int64], Bool?) {
        let response = try await list(client, user, room: room, query)
        #expect(response.status == .ok, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        let body = try response.json()
        let messages = body["messages"]?.array ?? []
        for message in messages { #expect(message["file"]?["id"]?.int != nil, sourceLocation: sourceLocation) }
        return (messages.compactMap { $0["id"]?.int }, body["has_more"]?.bool)
    }

    static func share(
        _ client: any TestClientProtocol, _ user: LoggedIn, room: Int64, _ name: String, _ type: String, _ bytes: [UInt8]
    ) async throws -> Int64 {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: FileController.unreserved)!
        let response = try await FileTests.upload(client, user, room: room, bytes, query: "name=\(encoded)", type: type)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try #require(try response.json()["message"]?["id"]?.int)
    }

    @Test func aRoomsFilesAreListedNewestFirstByKindAndByNameAndPaged() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try await MessageTests.room(client, ann, #"{"name":"files"}"#, members: [bob])
            let noise = FileTests.randomBytes(300)
            let holiday = try await Self.share(client, ann, room: room, "Holiday.png", "image/png", Pictures.png(40, 30))
            _ = try await MessageTests.say(client, bob, room: room, "no file here")
            let memo = try await Self.share(client, bob, room: room, "memo.mp3", "audio/mpeg", noise)
            let report = try await Self.share(client, bob, room: room, "Report_2026.pdf", "application/pdf", noise)
            // Declared a picture, but the server could not read one: among the other files.
            let broken = try await Self.share(client, ann, room: room, "broken.png", "image/png", noise)
            let clip = try await Self.share(client, ann, room: room, "clip.mp4", "video/mp4", noise)
            let done = try await Self.share(client, bob, room: room, "100%_done.txt", "text/plain", Array("done".utf8))
            // Another room's file is not this room's.
            _ = try await Self.share(client, ann, room: 1, "elsewhere.png", "image/png", Pictures.png(8, 8))

            let all = [done, clip, broken, report, memo, holiday]
            #expect(try await Self.ids(client, bob, room: room) == (all, false))
            let first = try #require(try await Self.list(client, bob, room: room).json()["messages"]?.array?.first)
            #expect(first.keys == MessageTests.messageKeys)
            #expect(first["file"]?["name"]?.string == "100%_done.txt")
            #expect(first["sender"]?["id"]?.int == bob.id)

            #expect(try await Self.ids(client, bob, room: room, "kind=pictures") == ([holiday], false))
            #expect(try await Self.ids(client, bob, room: room, "kind=media") == ([clip, memo], false))
            #expect(try await Self.ids(client, bob, room: room, "kind=other") == ([done, broken, report], false))
            // Names: contained, without regard to case; `%` and `_` are themselves, not patterns.
            #expect(try await Self.ids(client, bob, room: room, "name=HOLI") == ([holiday], false))
            #expect(try await Self.ids(client, bob, room: room, "name=%25") == ([done], false))
            #expect(try await Self.ids(client, bob, room: room, "name=_") == ([done, report], false))
            #expect(try await Self.ids(client, bob, room: room, "name=.png&kind=other") == ([broken], false))
            #expect(try await Self.ids(client, bob, room: room, "name=%20%20") == (all, false))
            #expect(try await Self.ids(client, bob, room: room, "name=nothing") == ([], false))

            // Pages of two, each going on before the last one's id, make up the whole list.
            var paged: [Int64] = []
            var query = "limit=2"
            while true {
                let (ids, more) = try await Self.ids(client, bob, room: room, query)
                #expect(ids.count == 2)
                paged += ids
                guard more == true, let last = ids.last else { break }
                query = "limit=2&before=\(last)"
            }
            #expect(paged == all)
            #expect(try await Self.ids(client, bob, room: room, "kind=media&before=\(clip)") == ([memo], false))

            // A deleted message takes its file: it is no longer listed.
            #expect(try await client.send(.delete, "/api/messages/\(holiday)", headers: ann.bearer).status == .noContent)
            #expect(try await Self.ids(client, bob, room: room, "kind=pictures") == ([], false))
            // A forwarded file is shared again, in the room it was forwarded to.
            let elsewhere = try #require(try await MessageTests.history(client, ann, room: 1).json()["messages"]?.array?.first?["id"]?.int)
            let forwarded = try await ForwardTests.forward(client, ann, elsewhere, #"{"room_id":\#(room)}"#)
            #expect(forwarded.status == .created, "\(String(buffer: forwarded.body))")
            let copy = try #require(try forwarded.json()["message"]?["id"]?.int)
            #expect(try await Self.ids(client, bob, room: room, "kind=pictures") == ([copy], false))
        }
    }

    @Test func onlyMembersListAndBadQueriesAreRefused() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let cat = try await client.signUp("cat")
            let open = try await MessageTests.room(client, ann, #"{"name":"open"}"#)
            let group = try await MessageTests.room(client, ann, #"{"name":"closed","kind":"group"}"#)
            _ = try await Self.share(client, ann, room: open, "a.txt", "text/plain", Array("a".utf8))

            (try await client.send(.get, "/api/rooms/\(open)/files")).expectError(.unauthorized, "unauthenticated")
            (try await Self.list(client, cat, room: open)).expectError(.forbidden, "not_a_member")
            (try await Self.list(client, cat, room: group)).expectError(.notFound, "room_not_found")
            (try await Self.list(client, cat, room: 999_999)).expectError(.notFound, "room_not_found")
            // Banned: no longer a member, and told so.
            #expect(try await RoomTests.join(client, cat, open).status == .ok)
            #expect(try await Self.ids(client, cat, room: open).0.count == 1)
            let ban = try await client.send(.post, "/api/rooms/\(open)/bans", json: #"{"user_id":\#(cat.id)}"#, headers: ann.bearer)
            #expect(ban.status == .created)
            (try await Self.list(client, cat, room: open)).expectError(.forbidden, "banned")

            for query in [
                "kind=videos", "kind=", "limit=0", "limit=101", "limit=x", "before=0", "before=-1", "before=abc",
                "name=" + String(repeating: "n", count: 101),
            ] {
                (try await Self.list(client, ann, room: open, query)).expectError(.badRequest, "invalid_request")
            }
            (try await client.send(.get, "/api/rooms/0/files", headers: ann.bearer)).expectError(.badRequest, "invalid_request")
            #expect(try await Self.ids(client, ann, room: open, "name=" + String(repeating: "n", count: 100)) == ([], false))
        }
    }
}
