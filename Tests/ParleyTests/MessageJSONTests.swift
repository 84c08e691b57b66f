import Foundation
import Testing

@testable import Parley

/// Messages are rendered to JSON by hand on the posting path; it must be exactly what the encoder
/// writes everywhere else (history, edits, replays).
@Suite struct MessageJSONTests {
    static let texts: [String?] = [
        "plain", "", nil, #"quote " and backslash \ and slash /"#, "new\nline\r\n tab\t bell\u{07} nul\u{00} esc\u{1B} \u{1F}",
        "unicode é 日本語 👩‍👩‍👧 \u{2028}\u{2029} \u{7F}", "<img src=x onerror=alert(1)>", "\r\n\r\n", "e\u{301}\"",
    ]

    @Test(arguments: texts)
    func handRenderedJSONIsWhatTheEncoderWrites(text: String?) throws {
        var cases = [
            MessageView(
                id: 42, roomId: 7, sender: UserSummary(id: 3, username: "ada", displayName: text ?? "Ada \"the\" Lovelace", avatar: "0123456789abcdef"), text: text,
                replyTo: nil, clientId: nil, createdAt: Date(timeIntervalSince1970: 1_764_000_000.123), editedAt: nil, deleted: text == nil),
            MessageView(
                id: 9_007_199_254_740_993, roomId: 1, sender: UserSummary(id: 1, username: "b.o-b_", displayName: "Bob", avatar: nil), text: text,
                replyTo: 41, clientId: "c:1.2-3_x", createdAt: Date(timeIntervalSince1970: 0.5), editedAt: Date(timeIntervalSince1970: 1_800_000_000.999),
                deleted: false, mentions: [3, 5, 8], mentionsRoom: true, mentionsHere: true,
                reactions: [
                    ReactionSummary(emoji: "👍", count: 2, userIds: [3, 1]), ReactionSummary(emoji: "👩‍👩‍👧", count: 1, userIds: [9_007_199_254_740_993]),
                    ReactionSummary(emoji: "1️⃣", count: 1, userIds: [5]),
                ], file: FileView(id: 77, name: text ?? "a \"quoted\" name/ü.png", size: 1_048_577, contentType: "image/png"), replyCount: 12),
        ]
        // A forward of each (quoting its text and sender), with a comment.
        cases += cases.filter { !$0.deleted }.map { original in
            MessageView(
                id: 43, roomId: 8, sender: original.sender, text: "see this", replyTo: nil, clientId: nil, createdAt: Date(timeIntervalSince1970: 1),
                editedAt: nil, deleted: false, forwarded: ForwardView(of: original))
        }
        // A poll (its question is the text) with votes.
        cases.append(
            MessageView(
                id: 44, roomId: 8, sender: cases[0].sender, text: text ?? "Lunch?", replyTo: nil, clientId: nil,
                createdAt: Date(timeIntervalSince1970: 2), editedAt: nil, deleted: false,
                poll: PollView(
                    options: [
                        .init(text: text ?? "Pizza", votes: 2, voterIds: [3, 9_007_199_254_740_993]), .init(text: "Soup", votes: 0, voterIds: []),
                    ],
                    multiple: true, closed: false, voters: 2)))
        // A webhook's post, its name as odd as the text.
        cases.append(
            MessageView(
                id: 45, roomId: 8, sender: cases[0].sender, text: text ?? "deployed", replyTo: nil, clientId: nil,
                createdAt: Date(timeIntervalSince1970: 3), editedAt: nil, deleted: false, mentions: [3],
                webhook: WebhookSummary(id: 6, name: text ?? "CI \"bot\" / ü")))
        // Link previews, found and fetched later, their texts as odd as the message's.
        var linked = MessageView(
            id: 46, roomId: 8, sender: cases[0].sender, text: text ?? "see https://example.com/a", replyTo: nil, clientId: nil,
            createdAt: Date(timeIntervalSince1970: 4), editedAt: nil, deleted: false)
        linked.previews = [
            LinkPreview(url: "https://example.com/a?b=1&c=\"d\"", title: text ?? "A / \"title\"", description: text, siteName: "Ex ü"),
            LinkPreview(url: "http://example.org/", title: "Two", description: nil, siteName: nil),
        ]
        cases.append(linked)
        for message in cases {
            let encoded = String(decoding: try ParleyJSON.encoder().encode(message), as: UTF8.self)
            #expect(message.json == encoded)
        }
    }

    /// A timestamp read back is written again the same (stored summaries, such as a forward's, go
    /// through it): parsing could land just below the millisecond, which was then written one less.
    @Test func timestampsSurviveARoundTrip() throws {
        for millisecond in 0..<1000 {
            let date = MessageView.storedPrecision(Date(timeIntervalSince1970: 1_764_565_686 + Double(millisecond) / 1000))
            let text = ParleyJSON.timestamp(date)
            #expect(text.hasSuffix(String(format: ".%03dZ", millisecond)))
            #expect(ParleyJSON.parseTimestamp(text).map(ParleyJSON.timestamp) == text)
        }
    }

    /// A time that does not exist is refused, not rolled over into the next hour, day or month.
    @Test func impossibleTimesAreRefused() {
        for text in ["2026-12-05T25:00:00Z", "2026-12-05T23:61:00Z", "2026-12-05T23:00:60Z", "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z",
                     "2026-13-01T00:00:00Z", "2026-12-32T00:00:00Z", "2026-00-10T00:00:00Z", "2026-12-05 10:00:00Z", "2026-1-05T10:00:00Z"] {
            #expect(ParleyJSON.parseTimestamp(text) == nil, "\(text)")
        }
        for text in ["2024-02-29T00:00:00Z", "2026-12-31T23:59:59.999Z", "2026-12-05T10:00:00+02:00", "2000-02-29T12:00:00Z"] {
            #expect(ParleyJSON.parseTimestamp(text) != nil, "\(text)")
        }
        #expect(ParleyJSON.parseTimestamp("2026-12-05T10:00:00+02:00").map(ParleyJSON.timestamp) == "2026-12-05T08:00:00.000Z")
        #expect(ParleyJSON.parseTimestamp("2026-12-05T10:00:00-0530").map(ParleyJSON.timestamp) == "2026-12-05T15:30:00.000Z")
        #expect(ParleyJSON.parseTimestamp("2026-12-05T10:00:00.5+01").map(ParleyJSON.timestamp) == "2026-12-05T09:00:00.500Z")
        // RFC 3339 allows `t` and `z` in small letters (a hunt: they were refused).
        #expect(ParleyJSON.parseTimestamp("2026-12-06t10:00:00z").map(ParleyJSON.timestamp) == "2026-12-06T10:00:00.000Z")
        #expect(ParleyJSON.parseTimestamp("2026-12-06x10:00:00Z") == nil && ParleyJSON.parseTimestamp("2026-12-06T10:00:00y") == nil)
        // Years before 1582 are Gregorian as the database keeps them: Go's and .NET's zero time is the
        // first time there is (it was refused: Foundation reads them as Julian dates).
        for text in ["0001-01-01T00:00:00.000Z", "0001-01-02T00:00:00.000Z", "1000-03-01T12:00:00.000Z", "1582-10-04T00:00:00.000Z", "9999-12-31T23:59:59.999Z"] {
            #expect(ParleyJSON.parseTimestamp(text).map(ParleyJSON.timestamp) == text, "\(text)")
        }
        #expect(ParleyJSON.parseTimestamp("0001-01-01T00:00:00Z")?.timeIntervalSince1970 == -62_135_596_800)
        for text in ["0000-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00", "2026-12-05T10:00:00", "2026-12-05T10:00:00.Z", "2026-12-05T10:00:00+2", "2026-12-05T10:00:00Zx", "2026-12-05T10:00:00+24:00"] {
            #expect(ParleyJSON.parseTimestamp(text) == nil, "\(text)")
        }
    }
}
