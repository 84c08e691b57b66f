import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// Forwarding: a message quoted in another room as it was, with a comment, its file shared again,
/// checked on both sides, and kept when the original changes.
@Suite struct ForwardTests {
    static func forward(_ client: any TestClientProtocol, _ user: LoggedIn, _ message: Int64, _ json: String) async throws -> TestResponse {
        try await client.send(.post, "/api/messages/\(message)/forward", json: json, headers: user.bearer)
    }

    @Test func aForwardQuotesTheOriginalAsItWas() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let source = try await MessageTests.room(client, bob, #"{"name":"ops","kind":"group","members":[\#(ann.id)]}"#)
            let target = try await MessageTests.room(client, ann, #"{"name":"team"}"#, members: [cat])
            let original = try await MessageTests.say(client, bob, room: source, "the deploy is **green**")

            let made = try await Self.forward(client, ann, original, #"{"room_id":\#(target),"text":"FYI @cat"}"#)
            #expect(made.status == .created, "\(String(buffer: made.body))")
            let message = try #require(try made.json()["message"])
            #expect(message.keys == MessageTests.messageKeys)
            #expect(message["room_id"]?.int == target)
            #expect(message["sender"]?["id"]?.int == ann.id)
            #expect(message["text"] == .string("FYI @cat"))
            #expect(message["mentions"] == .array([.number(Double(cat.id))]))
            let quoted = try #require(message["forwarded"])
            #expect(quoted.keys == ["message_id", "room_id", "sender", "text", "created_at", "webhook"])
            #expect(quoted["webhook"] == .null)
            #expect(quoted["message_id"]?.int == original)
            #expect(quoted["room_id"]?.int == source)
            #expect(quoted["sender"]?["username"] == .string("bob"))
            #expect(quoted["sender"]?.keys == ["id", "username", "display_name", "avatar_url"])
            #expect(quoted["text"] == .string("the deploy is **green**"))
            let id = try #require(message["id"]?.int)

            // Cat, who cannot read the group, reads the quote in the room they share; the event carries it too.
            #expect(try await client.send(.get, "/api/messages/\(original)", headers: cat.bearer).status == .notFound)
            let read = try await client.send(.get, "/api/messages/\(id)", headers: cat.bearer).json()["message"]
            #expect(read?["forwarded"] == quoted)
            let events = try await client.send(.get, "/api/events?after=0&timeout=0", headers: cat.bearer).json()["events"]?.array ?? []
            let created = events.first { $0["type"] == .string("message.created") && $0["data"]?["message"]?["id"]?.int == id }
            #expect(created?["data"]?["message"]?["forwarded"] == quoted)
            let notes = events.filter { $0["type"] == .string("notification") }.compactMap { $0["data"]?["notification"]?["reason"]?.string }
            #expect(notes == ["mention"])

            // The original edited or deleted later: the quote stays as it was.
            #expect(try await client.send(.patch, "/api/messages/\(original)", json: #"{"text":"red now"}"#, headers: bob.bearer).status == .ok)
            #expect(try await client.send(.delete, "/api/messages/\(original)", headers: bob.bearer).status == .noContent)
            let later = try await client.send(.get, "/api/messages/\(id)", headers: cat.bearer).json()["message"]
            #expect(later?["forwarded"]?["text"] == .string("the deploy is **green**"))
            try await Self.forward(client, ann, original, #"{"room_id":\#(target)}"#).expectError(.conflict, "message_deleted")

            // A forward of a forward (nothing added) credits the original; without a comment the text is empty.
            let again = try await Self.forward(client, cat, id, #"{"room_id":1}"#)
            #expect(again.status == .created, "\(String(buffer: again.body))")
            #expect(try again.json()["message"]?["forwarded"]?["message_id"]?.int == id)
            #expect(try again.json()["message"]?["text"] == .string(""))
            // Its comment is added by an edit, and taken away again (an empty edit was refused, a hunt);
            // a plain message's text is not emptied.
            let againID = try #require(try again.json()["message"]?["id"]?.int)
            for comment in ["see this", ""] {
                let edited = try await client.send(.patch, "/api/messages/\(againID)", json: #"{"text":"\#(comment)"}"#, headers: cat.bearer)
                #expect(try edited.json()["message"]?["text"] == .string(comment), "\(String(buffer: edited.body))")
            }
            let plain = try await MessageTests.say(client, ann, room: target, "just a note")
            let relayed = try await Self.forward(client, cat, plain, #"{"room_id":1}"#).json()["message"]
            let relayedID = try #require(relayed?["id"]?.int)
            let third = try await Self.forward(client, ann, relayedID, #"{"room_id":1,"client_id":"fwd-1"}"#)
            #expect(try third.json()["message"]?["forwarded"]?["message_id"]?.int == plain)
            // A repeated client_id returns the first.
            let repeated = try await Self.forward(client, ann, relayedID, #"{"room_id":1,"client_id":"fwd-1"}"#)
            #expect(repeated.status == .ok)
            #expect(try repeated.json()["message"]?["id"] == (try third.json()["message"]?["id"]))

            // Deleting the forward leaves a tombstone without the quote.
            #expect(try await client.send(.delete, "/api/messages/\(id)", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.get, "/api/messages/\(id)", headers: cat.bearer).json()["message"]?["forwarded"] == .null)
            // Cat's forward of it, its comment edited away, adds nothing again: forwarding it on quotes
            // the snapshot it shows, though that forward is deleted now (a quote never followed its
            // original; decided, DECISIONS "Forwarding").
            let onward = try await Self.forward(client, ann, againID, #"{"room_id":1}"#)
            #expect(onward.status == .created, "\(String(buffer: onward.body))")
            #expect(try onward.json()["message"]?["forwarded"]?["message_id"]?.int == id)
            #expect(try onward.json()["message"]?["forwarded"]?["text"] == .string("FYI @cat"))
        }
    }

    /// A hunt found a forwarded webhook post credited to the webhook's maker: the quote kept the
    /// sender and dropped the webhook.
    @Test func aForwardedWebhookPostIsCreditedToTheWebhook() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let owner = try await client.signUp("owner")
            let ann = try await client.signUp("ann")
            let ops = try await MessageTests.room(client, owner, #"{"name":"ops"}"#, members: [ann])
            let made = try await client.send(.post, "/api/rooms/\(ops)/webhooks", json: #"{"name":"CI"}"#, headers: owner.bearer)
            let hook = try #require(try made.json()["webhook"])
            let posted = try await client.send(.post, try #require(hook["url"]?.string), json: #"{"text":"build 42 passed"}"#)
            let original = try #require(try posted.json()["message"]?["id"]?.int)

            let forwarded = try await Self.forward(client, ann, original, #"{"room_id":1}"#)
            #expect(forwarded.status == .created, "\(String(buffer: forwarded.body))")
            let quoted = try #require(try forwarded.json()["message"]?["forwarded"])
            #expect(quoted["webhook"]?["id"] == hook["id"] && quoted["webhook"]?["name"] == .string("CI"))
            #expect(quoted["sender"]?["id"]?.int == owner.id)
            // The forward itself is Ann's, not the webhook's; forwarding it on keeps crediting the webhook.
            let forward = try #require(try forwarded.json()["message"])
            #expect(forward["webhook"] == .null && forward["sender"]?["id"]?.int == ann.id)
            let again = try await Self.forward(client, owner, try #require(forward["id"]?.int), #"{"room_id":\#(ops)}"#)
            #expect(try again.json()["message"]?["forwarded"]?["webhook"]?["name"] == .string("CI"), "\(String(buffer: again.body))")
            // Read back, the quote still says so.
            let read = try await client.send(.get, "/api/messages/\(try #require(forward["id"]?.int))", headers: owner.bearer)
            #expect(try read.json()["message"]?["forwarded"] == quoted)
        }
    }

    @Test func aForwardIsCheckedOnBothSides() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let secret = try await MessageTests.room(client, bob, #"{"name":"secret","kind":"group"}"#)
            let hidden = try await MessageTests.say(client, bob, room: secret, "not for ann")
            let elsewhere = try await MessageTests.room(client, bob, #"{"name":"elsewhere"}"#)
            let open = try await MessageTests.say(client, bob, room: 1, "for everyone")
            let before = try parley.count("messages")
            try await Self.forward(client, ann, hidden, #"{"room_id":1}"#).expectError(.notFound, "message_not_found")
            try await Self.forward(client, ann, open, #"{"room_id":\#(secret)}"#).expectError(.notFound, "room_not_found")
            try await Self.forward(client, ann, open, #"{"room_id":\#(elsewhere)}"#).expectError(.forbidden, "not_a_member")
            try await Self.forward(client, ann, open, #"{"room_id":999999}"#).expectError(.notFound, "room_not_found")
            try await Self.forward(client, ann, open, "{}").expectError(.badRequest, "invalid_request")
            let long = String(repeating: "x", count: 4001)
            let tooLong = try await Self.forward(client, ann, open, #"{"room_id":1,"text":"\#(long)"}"#)
            tooLong.expectError(.unprocessableContent, "invalid_text")
            #expect(try tooLong.json()["error"]?["message"] == .string("A comment is at most 4000 characters after trimming."))
            try await Self.forward(client, ann, open, #"{"room_id":1,"client_id":"no spaces"}"#)
                .expectError(.unprocessableContent, "invalid_client_id")
            #expect(try parley.count("messages") == before)
            // Muted in the target: refused there, as a post would be.
            let owned = try await MessageTests.room(client, bob, #"{"name":"owned"}"#, members: [ann])
            let mute = try await client.send(.post, "/api/rooms/\(owned)/mutes", json: #"{"user_id":\#(ann.id)}"#, headers: bob.bearer)
            #expect(mute.status == .created)
            try await Self.forward(client, ann, open, #"{"room_id":\#(owned)}"#).expectError(.forbidden, "muted")
        }
    }

    @Test func aForwardedFileIsSharedAgainInTheTargetRoom() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let group = try await MessageTests.room(client, ann, #"{"name":"private","kind":"group"}"#)
            let bytes = FileTests.randomBytes(1_500_000)
            let shared = try await FileTests.upload(client, ann, room: group, bytes, query: "name=plan.pdf&text=the%20plan", type: "application/pdf")
            let original = try #require(try shared.json()["message"])
            let originalFile = try #require(original["file"]?["id"]?.int)
            #expect(try await FileTests.download(client, bob, originalFile).status == .notFound)

            let made = try await Self.forward(client, ann, try #require(original["id"]?.int), #"{"room_id":1}"#)
            #expect(made.status == .created, "\(String(buffer: made.body))")
            let message = try #require(try made.json()["message"])
            let file = try #require(message["file"])
            #expect(file["name"] == .string("plan.pdf"))
            #expect(file["size"]?.int == 1_500_000)
            let fileID = try #require(file["id"]?.int)
            #expect(fileID != originalFile)
            #expect(message["forwarded"]?["text"] == .string("the plan"))
            // Bob reads it in main; the bytes are stored once.
            let download = try await FileTests.download(client, bob, fileID)
            #expect(download.status == .ok)
            #expect(Array(buffer: download.body) == bytes)
            #expect(try parley.count("file_chunks") == 2)
            // Forwarded again with no comment: the quote is still Ann's, with her caption, and the file travels on.
            let again = try await Self.forward(client, bob, try #require(message["id"]?.int), #"{"room_id":1,"text":""}"#)
            #expect(again.status == .created, "\(String(buffer: again.body))")
            let quoted = try #require(try again.json()["message"]?["forwarded"])
            #expect(quoted["sender"]?["id"]?.int == ann.id && quoted["text"] == .string("the plan"), "\(quoted)")
            #expect(quoted["message_id"] == original["id"])
            #expect(try again.json()["message"]?["file"]?["name"] == .string("plan.pdf"))
            // Deleting the original keeps the forwarded copy whole.
            #expect(try await client.send(.delete, "/api/messages/\(try #require(original["id"]?.int))", headers: ann.bearer).status == .noContent)
            #expect(Array(buffer: try await FileTests.download(client, bob, fileID).body) == bytes)
        }
    }

    /// A small text file `user` shares in `main`: its message's id and the file's.
    static func shareNotes(_ client: any TestClientProtocol, _ user: LoggedIn) async throws -> (message: Int64, file: Int64) {
        let shared = try await FileTests.upload(client, user, room: 1, [1, 2, 3], query: "name=notes.txt", type: "text/plain")
        return (try #require(try shared.json()["message"]?["id"]?.int), try #require(try shared.json()["message"]?["file"]?["id"]?.int))
    }

    /// Forwarding a shared file while its message is deleted: the file's bytes went with it, so the
    /// forward is told `409 message_deleted` (it was `503 unavailable`, "send again", and sending
    /// again then got the 409).
    @Test func forwardingAFileWhoseMessageIsDeletedMeanwhileSaysSo() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let (message, file) = try await Self.shareNotes(client, ann)
            let forwarded = try await RaceTests.racing(parley, { other in
                // The deletion, as far as the file goes: the message, the file's parts, its only chunk.
                let chunk = try other.query("SELECT chunk_sha256 FROM file_parts WHERE file_id = ?", [file])[0].decode("chunk_sha256", as: [UInt8].self)
                try other.execute("UPDATE messages SET deleted_at = NOW(3), text = NULL WHERE id = ?", [message])
                try other.execute("DELETE FROM file_parts WHERE file_id = ?", [file])
                try other.execute("DELETE FROM file_chunks WHERE sha256 = ?", [chunk])
            }) {
                try await client.send(.post, "/api/messages/\(message)/forward", json: #"{"room_id":1}"#, headers: ann.bearer)
            }
            forwarded.expectError(.conflict, "message_deleted")
        }
    }

    /// A forward reads the message, its file and the file's parts as of one moment, and never
    /// shares a file whose parts it did not find: a deletion between two separate reads once gave
    /// a forward a file of 1.2 MB with no parts (its download sent 0 bytes) or the quote without
    /// its file. Here the parts are gone while the message stays (what the second read saw).
    @Test func aFileReadWithoutItsPartsIsNotForwarded() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let (message, file) = try await Self.shareNotes(client, ann)
            try parley.execute("DELETE FROM file_parts WHERE file_id = ?", [file])
            try await client.send(.post, "/api/messages/\(message)/forward", json: #"{"room_id":1}"#, headers: ann.bearer)
                .expectError(.conflict, "message_deleted")
            #expect(try parley.count("files") == 1)
        }
    }

}
