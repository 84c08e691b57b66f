import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Parley

/// Who a message marks as mentioned and notifies, through edits, removals, blocks and
/// deactivation: each of these once left a flag or a notification it should not have.
@Suite struct MentionStateTests {
    static func post(_ client: some TestClientProtocol, _ user: LoggedIn, room: Int64, _ text: String) async throws -> Int64 {
        let posted = try await client.send(.post, "/api/rooms/\(room)/messages", json: jsonString(["text": text]), headers: user.bearer)
        #expect(posted.status == .created)
        return try #require(try posted.json()["message"]?["id"]?.int)
    }

    static func edit(_ client: some TestClientProtocol, _ user: LoggedIn, _ message: Int64, _ text: String) async throws {
        #expect(try await client.send(.patch, "/api/messages/\(message)", json: jsonString(["text": text]), headers: user.bearer).status == .ok)
    }

    static func mentioned(_ client: some TestClientProtocol, _ user: LoggedIn, room: Int64) async throws -> Bool? {
        let rooms = try await client.send(.get, "/api/rooms", headers: user.bearer).json()["mine"]?.array ?? []
        return rooms.first { $0["id"]?.int == room }?["mentioned"]?.bool
    }

    /// A message naming its own sender leaves them no "mentioned" flag; naming someone, unnaming
    /// them and naming them again notifies them once; an edit that drops a name keeps the flag of
    /// someone a keyword of the new text still reaches, and notifies nobody twice; an edit that drops
    /// the keyword too drops the flag.
    @Test func editsNotifyEachPersonOnceAndKeepFlagsTheyDidNotGive() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cyd = try await client.signUp("cyd")
            _ = try await Self.post(client, ann, room: 1, "note to self @ann")
            #expect(try await Self.mentioned(client, ann, room: 1) == false)
            #expect(try parley.count("mentions", where: "user_id = \(ann.id)") == 0)

            let hello = try await Self.post(client, ann, room: 1, "@bob hi")
            for text in ["no one", "@bob again", "no one", "@bob third"] { try await Self.edit(client, ann, hello, text) }
            #expect(try await KeywordTests.notifications(client, bob).map(\.0) == ["mention"])

            #expect(try await client.send(.put, "/api/me/keywords", json: KeywordTests.body(["deploy"]), headers: cyd.bearer).status == .ok)
            let deploy = try await Self.post(client, ann, room: 1, "deploy starts now")
            try await Self.edit(client, ann, deploy, "deploy starts now cc @cyd")
            try await Self.edit(client, ann, deploy, "deploy starts now")
            #expect(try await KeywordTests.notifications(client, cyd).map(\.0) == ["keyword"])
            #expect(try await Self.mentioned(client, cyd, room: 1) == true)
            #expect(try parley.count("mentions", where: "message_id = \(deploy) AND user_id = \(cyd.id)") == 1)
            // A keyword's flag goes with the keyword, as a name's does (it outlived it, a hunt).
            try await Self.edit(client, ann, deploy, "release starts now")
            #expect(try parley.count("mentions", where: "message_id = \(deploy) AND user_id = \(cyd.id)") == 0)
            #expect(try await Self.mentioned(client, cyd, room: 1) == false)
        }
    }

    /// In a group DM set to `mentions`, an edit that names someone or now holds their keyword
    /// notifies them, as in a room (DMs were skipped whole: the flag came with no notification);
    /// a member at the DM's `all` heard of the message when it came and hears nothing more.
    @Test func anEditInAGroupDMNotifiesThoseItNewlyNamesAtMentions() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cyd = try await client.signUp("cyd")
            let dm = try #require(
                try await client.send(.post, "/api/dms", json: #"{"user_ids":[\#(bob.id),\#(cyd.id)]}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            #expect(try await client.send(.put, "/api/rooms/\(dm)/notifications", json: #"{"level":"mentions"}"#, headers: cyd.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/me/keywords", json: KeywordTests.body(["budget"]), headers: cyd.bearer).status == .ok)
            let hello = try await Self.post(client, ann, room: dm, "hello")
            try await Self.edit(client, ann, hello, "hello @cyd and @bob")
            let talk = try await Self.post(client, ann, room: dm, "plain talk")
            try await Self.edit(client, ann, talk, "budget talk")
            #expect(try await KeywordTests.notifications(client, cyd).map(\.0) == ["keyword", "mention"])
            #expect(try await Self.mentioned(client, cyd, room: dm) == true)
            // Bob (the DM's `all`) was told of each message as it came, once.
            #expect(try await KeywordTests.notifications(client, bob).map(\.0) == ["dm", "dm"])
        }
    }

    /// A mention from someone the user blocked afterwards leaves their notifications, as it leaves
    /// the room's mention flag and unread count, until an unblock brings all of it back.
    @Test func blockingSomeoneHidesTheirEarlierNotifications() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            _ = try await Self.post(client, ann, room: 1, "hi @bob")
            #expect(try await KeywordTests.notifications(client, bob).map(\.0) == ["mention"])
            #expect(try await client.send(.put, "/api/me/blocks/\(ann.id)", headers: bob.bearer).status == .noContent)
            #expect(try await Self.mentioned(client, bob, room: 1) == false)
            #expect(try await KeywordTests.notifications(client, bob).isEmpty)
            #expect(try await client.send(.delete, "/api/me/blocks/\(ann.id)", headers: bob.bearer).status == .noContent)
            #expect(try await KeywordTests.notifications(client, bob).map(\.0) == ["mention"])
            #expect(try await Self.mentioned(client, bob, room: 1) == true)
        }
    }

    /// Someone who blocked the sender gets no "mentioned" flag from their messages (naming them or
    /// `@room`) while the block lasts, as they get no notification.
    @Test func aBlockedSendersMentionFlagsNobody() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            #expect(try await client.send(.put, "/api/me/blocks/\(ann.id)", headers: bob.bearer).status == .noContent)
            let message = try await Self.post(client, ann, room: 1, "@bob are you there")
            try await Self.edit(client, ann, message, "@bob are you there?")
            #expect(try await Self.mentioned(client, bob, room: 1) == false)
            _ = try await Self.post(client, ann, room: 1, "@room is anyone there")
            #expect(try await Self.mentioned(client, bob, room: 1) == false)
            #expect(try await KeywordTests.notifications(client, bob).isEmpty)
            // The naming message's row is kept all the same (read past the block), so that an
            // unblock shows the mention again (`BlockTests`).
            #expect(try parley.count("mentions", where: "user_id = \(bob.id)") == 1)
        }
    }

    /// Notifications show nothing of a group one was removed from or left: not its messages as
    /// they are now (edited, reacted to, replied to after one left).
    @Test func notificationsOfAGroupLeftShowNothingOfIt() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let made = try await client.send(.post, "/api/rooms", json: #"{"name":"crew","kind":"group","members":[\#(bob.id)]}"#, headers: ann.bearer)
            let group = try #require(try made.json()["room"]?["id"]?.int)
            let message = try await Self.post(client, ann, room: group, "@bob lunch at noon")
            #expect(try await KeywordTests.notifications(client, bob).map(\.1) == ["@bob lunch at noon"])
            #expect(try await client.send(.delete, "/api/rooms/\(group)/members/\(bob.id)", headers: ann.bearer).status == .noContent)
            try await Self.edit(client, ann, message, "SECRET after bob left")
            #expect(try await KeywordTests.notifications(client, bob).isEmpty)
            // Back in the group, they are there again.
            #expect(try await client.send(.post, "/api/rooms/\(group)/members", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer).status == .created)
            #expect(try await KeywordTests.notifications(client, bob).map(\.0) == ["mention"])
        }
    }

    /// Someone who joins starts with the room's history read: an `@room` posted before they came
    /// does not mark them mentioned and old messages are not unread; what comes after is. Leaving
    /// and coming back starts again from then.
    @Test func aJoinerStartsWithTheHistoryRead() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            _ = try await Self.post(client, ann, room: 1, "@room welcome, all")
            let bob = try await client.signUp("bob")
            func unread(_ room: Int64) async throws -> (Int64?, Bool?) {
                let rooms = try await client.send(.get, "/api/rooms", headers: bob.bearer).json()["mine"]?.array ?? []
                let entry = rooms.first { $0["id"]?.int == room }
                return (entry?["unread_count"]?.int, entry?["mentioned"]?.bool)
            }
            #expect(try await unread(1) == (0, false))
            _ = try await Self.post(client, ann, room: 1, "@room one more thing")
            #expect(try await unread(1) == (1, true))

            let made = try await client.send(.post, "/api/rooms", json: #"{"name":"hall"}"#, headers: ann.bearer)
            let hall = try #require(try made.json()["room"]?["id"]?.int)
            for text in ["@room first", "second", "third"] { _ = try await Self.post(client, ann, room: hall, text) }
            #expect(try await client.send(.post, "/api/rooms/\(hall)/join", headers: bob.bearer).status == .ok)
            #expect(try await unread(hall) == (0, false))
            _ = try await Self.post(client, ann, room: hall, "fourth")
            #expect(try await client.send(.post, "/api/rooms/\(hall)/leave", headers: bob.bearer).status == .noContent)
            _ = try await Self.post(client, ann, room: hall, "@room fifth")
            #expect(try await client.send(.post, "/api/rooms/\(hall)/join", headers: bob.bearer).status == .ok)
            #expect(try await unread(hall) == (0, false))
        }
    }
}
