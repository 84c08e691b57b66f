import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Testing

@testable import Parley

/// Message search: words as prefixes, only the rooms one is in, paging, and bad queries.
@Suite struct SearchTests {
    static func search(_ client: any TestClientProtocol, _ user: LoggedIn, _ query: String) async throws -> TestResponse {
        try await client.send(.get, "/api/search?\(query)", headers: user.bearer)
    }

    /// The texts found, newest first, and `has_more`.
    static func found(_ client: any TestClientProtocol, _ user: LoggedIn, _ query: String) async throws -> ([String], Bool?) {
        let response = try await search(client, user, query)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let body = try response.json()
        #expect(body.keys == ["messages", "has_more"])
        return ((body["messages"]?.array ?? []).compactMap { $0["text"]?.string }, body["has_more"]?.bool)
    }

    @Test func findsEveryWordAsAPrefixInTheRoomsOfTheSearcherOnly() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let group = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"secret","kind":"group"}"#, headers: alice.bearer).json()["room"]?["id"]?
                    .int)
            _ = try await MessageTests.say(client, alice, room: 1, "The deployment went fine")
            _ = try await MessageTests.say(client, bob, room: 1, "Deploying the hotfix now, ok?")
            _ = try await MessageTests.say(client, alice, room: group, "deployment keys are in the vault")
            let deleted = try await MessageTests.say(client, alice, room: 1, "deploy the old build")
            #expect(try await client.send(.delete, "/api/messages/\(deleted)", headers: alice.bearer).status == .noContent)
            _ = try await MessageTests.say(client, bob, room: 1, "nothing to see")

            // A word matches words it starts: "deploy" finds "deployment" and "Deploying"; case does not matter.
            #expect(try await Self.found(client, alice, "q=DEPLOY").0 == [
                "deployment keys are in the vault", "Deploying the hotfix now, ok?", "The deployment went fine",
            ])
            // Bob is not in the group: its message is not his to find.
            #expect(try await Self.found(client, bob, "q=deploy").0 == ["Deploying the hotfix now, ok?", "The deployment went fine"])
            // Every word must be there; punctuation is not part of a word; two-letter words count.
            #expect(try await Self.found(client, bob, "q=deploy%20hotfix!").0 == ["Deploying the hotfix now, ok?"])
            #expect(try await Self.found(client, bob, "q=ok").0 == ["Deploying the hotfix now, ok?"])
            #expect(try await Self.found(client, bob, "q=the").0.count == 2)
            #expect(try await Self.found(client, alice, "q=vault&room=\(group)").0 == ["deployment keys are in the vault"])
            #expect(try await Self.found(client, alice, "q=vault&room=1").0 == [])
            #expect(try await Self.found(client, alice, "q=zebra").0 == [])
            // Only one sender's messages, alone or with a room.
            #expect(try await Self.found(client, alice, "q=deploy&from=\(bob.id)").0 == ["Deploying the hotfix now, ok?"])
            #expect(try await Self.found(client, alice, "q=deploy&from=\(alice.id)").0 == [
                "deployment keys are in the vault", "The deployment went fine",
            ])
            #expect(try await Self.found(client, alice, "q=deploy&from=\(alice.id)&room=1").0 == ["The deployment went fine"])
            #expect(try await Self.found(client, alice, "q=deploy&from=999999").0 == [])

            // Results are messages as history shows them.
            let response = try await Self.search(client, alice, "q=hotfix")
            let message = try #require(try response.json()["messages"]?.array?.first)
            #expect(message.keys == MessageTests.messageKeys)
            #expect(message["sender"]?["username"]?.string == "bob")

            // Another's private group is "not found"; a public room one is not in, "not a member".
            try await Self.search(client, bob, "q=vault&room=\(group)").expectError(.notFound, "room_not_found")
            let open = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"open"}"#, headers: alice.bearer).json()["room"]?["id"]?.int)
            try await Self.search(client, bob, "q=vault&room=\(open)").expectError(.forbidden, "not_a_member")
        }
    }

    /// Words are runs of letters and digits, whatever joins them: the index keeps `_` inside a word,
    /// so "snake_case_identifier" was found by none of its words nor by itself (a hunt).
    @Test func findsWordsJoinedByUnderscoresAndOtherMarks() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let joined = "snake_case_identifier is here; also my_var=3"
            _ = try await MessageTests.say(client, alice, room: 1, joined)
            for query in ["snake_case_identifier", "case", "identifier", "my_var", "var", "snake%20case"] {
                #expect(try await Self.found(client, alice, "q=\(query)").0 == [joined], "\(query)")
            }
            // An edit's words are searched, its old ones no longer.
            let edited = try await MessageTests.say(client, alice, room: 1, "see old_config_path")
            #expect(try await client.send(.patch, "/api/messages/\(edited)", json: #"{"text":"see new_settings.path"}"#, headers: alice.bearer).status == .ok)
            #expect(try await Self.found(client, alice, "q=config").0 == [])
            #expect(try await Self.found(client, alice, "q=settings").0 == ["see new_settings.path"])
            #expect(try parley.count("messages", where: "text_words = 'see new settings path'") == 1)
        }
    }

    /// A word longer than the index keeps (`innodb_ft_max_token_size`, 84) finds nothing: the
    /// index never holds it, and boolean mode dropped it and matched the other words alone (a
    /// hunt: "findme" and 90 d's found "findme" and 90 c's).
    @Test func aWordLongerThanTheIndexKeepsFindsNothing() async throws {
        #expect(try SearchQuery("ok " + String(repeating: "x", count: 85), minimumWordLength: 2, maximumWordLength: 84).unmatchable)
        #expect(try !SearchQuery("ok " + String(repeating: "x", count: 84), minimumWordLength: 2, maximumWordLength: 84).unmatchable)
        // Counted in code points, as InnoDB counts, once composed: 50 accented letters written
        // composed are 50, and 50 letters each with a mark that has no composed form are 100 (a
        // hunt: that word was dropped and "ok" matched alone). Letters beyond the first plane are never indexed.
        #expect(try !SearchQuery("ok " + String(repeating: "e\u{301}", count: 50), minimumWordLength: 2, maximumWordLength: 84).unmatchable)
        #expect(try SearchQuery("ok " + String(repeating: "x\u{301}", count: 50), minimumWordLength: 2, maximumWordLength: 84).unmatchable)
        #expect(try SearchQuery("ok 𝐇𝐞𝐥𝐥𝐨", minimumWordLength: 2, maximumWordLength: 84).unmatchable)
        // Chinese and Japanese runs are indexed in pairs: only the other parts count.
        #expect(try !SearchQuery(String(repeating: "会议室", count: 40) + "abc", minimumWordLength: 2, maximumWordLength: 84).unmatchable)
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let text = "findme " + String(repeating: "c", count: 90)
            _ = try await MessageTests.say(client, alice, room: 1, text)
            #expect(try await Self.found(client, alice, "q=findme").0 == [text])
            #expect(try await Self.found(client, alice, "q=findme%20" + String(repeating: "d", count: 90)).0 == [])
            #expect(try await Self.found(client, alice, "q=findme%20" + String(repeating: "d", count: 90) + "&room=1").0 == [])
            // An outsider is still told so.
            try await Self.search(client, alice, "q=" + String(repeating: "d", count: 90) + "&room=999999").expectError(.notFound, "room_not_found")
        }
    }

    /// Messages are stored composed (NFC), as names are: macOS and iOS may send text decomposed, and
    /// Korean sent so (each syllable as its letters) was found by no query (a hunt). Latin accents
    /// were found either way (the collation ignores combining marks); Hangul letters are not ignored.
    @Test func decomposedTextIsStoredComposedAndFound() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let said = "회의는 내일입니다"
            let sent = said.decomposedStringWithCanonicalMapping
            #expect(sent.unicodeScalars.count > said.unicodeScalars.count)
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: jsonString(["text": sent]), headers: alice.bearer)
            let message = try #require(try posted.json()["message"])
            let id = try #require(message["id"]?.int)
            // Compared scalar by scalar: Swift's == takes the two forms for the same string.
            func stored() throws -> [UInt32] {
                try String(mariaDBValue: try parley.scalar("SELECT text FROM messages WHERE id = \(id)")).unicodeScalars.map(\.value)
            }
            #expect(message["text"]?.string?.unicodeScalars.map(\.value) == said.unicodeScalars.map(\.value))
            #expect(try stored() == said.unicodeScalars.map(\.value))
            func ids(_ query: String) async throws -> [Int64] {
                let response = try await Self.search(client, alice, "q=" + query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
                return (try response.json()["messages"]?.array ?? []).compactMap { $0["id"]?.int }
            }
            #expect(try await ids("회의는") == [id])
            #expect(try await ids("내일입니다".decomposedStringWithCanonicalMapping) == [id])
            // An edit, a file's caption and a poll's options are composed too.
            let edit = "일정 변경".decomposedStringWithCanonicalMapping
            #expect(try await client.send(.patch, "/api/messages/\(id)", json: jsonString(["text": edit]), headers: alice.bearer).status == .ok)
            #expect(try stored() == "일정 변경".unicodeScalars.map(\.value))
            #expect(try await ids("변경") == [id])
            #expect(try await ids("회의는") == [])
            let body: [String: Any] = ["question": "언제?".decomposedStringWithCanonicalMapping, "options": ["오늘".decomposedStringWithCanonicalMapping, "내일"]]
            let poll = try await client.send(
                .post, "/api/rooms/1/polls", json: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self), headers: alice.bearer)
            #expect(poll.status == .created, "\(String(buffer: poll.body))")
            let options = (try poll.json()["message"]?["poll"]?["options"]?.array ?? []).compactMap { $0["text"]?.string?.unicodeScalars.map(\.value) }
            #expect(options == ["오늘".unicodeScalars.map(\.value), "내일".unicodeScalars.map(\.value)])
        }
    }

    /// Chinese and Japanese are written without spaces: a word is found inside a run of them (the
    /// run is indexed as its pairs of characters, the query's run is the phrase of its pairs), in
    /// text and in file names. Only the start of a run was found before.
    @Test func findsChineseAndJapaneseWordsInsideRuns() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let cancelled = try await MessageTests.say(client, alice, room: 1, "明天的会议取消了。")
            let room = try await MessageTests.say(client, alice, room: 1, "会议室在三楼")
            let mixed = try await MessageTests.say(client, alice, room: 1, "Parley会议 notes")
            let apart = try await MessageTests.say(client, alice, room: 1, "会议 and 教室议室")
            let coffee = try await MessageTests.say(client, alice, room: 1, "コーヒーを飲みたい")
            let minutes = try await RoomFilesTests.share(client, alice, room: 1, "会议记录.pdf", "application/pdf", FileTests.randomBytes(16))
            func ids(_ query: String) async throws -> [Int64] {
                let response = try await Self.search(client, alice, "q=" + query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
                return (try response.json()["messages"]?.array ?? []).compactMap { $0["id"]?.int }
            }
            #expect(try await ids("会议") == [minutes, apart, mixed, room, cancelled])
            // A run's pairs must follow one another: "会议" and "议室" apart are not "会议室".
            #expect(try await ids("会议室") == [room])
            #expect(try await ids("取消") == [cancelled])
            #expect(try await ids("コーヒー") == [coffee])
            #expect(try await ids("飲み") == [coffee])
            #expect(try await ids("記録") == [])
            #expect(try await ids("记录") == [minutes])
            #expect(try await ids("parley 会议") == [mixed])
            #expect(try await ids("notes会议") == [mixed])
            #expect(try await ids("会议notices") == [])
            // One character alone cannot be found (the index keeps words of two).
            try await Self.search(client, alice, "q=%E4%BC%9A").expectError(.unprocessableContent, "invalid_query")
            // An edit is indexed again.
            #expect(try await client.send(.patch, "/api/messages/\(coffee)", json: #"{"text":"お茶を飲みたい"}"#, headers: alice.bearer).status == .ok)
            #expect(try await ids("コーヒー") == [])
            #expect(try await ids("お茶") == [coffee])
            // Long runs (a hunt's 500s): a file name of 200 Han characters (its words outgrew the
            // column), a query pasting a run of 150 (past InnoDB's 128 words to a phrase), and a
            // message of 16,000 code points of kana (its words outgrew TEXT).
            let han = Array("天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜金生丽水玉出昆冈剑号巨阙珠称夜光果珍李柰菜重芥姜海咸河淡鳞潜羽翔")
            let long = String((0..<200).map { han[$0 % han.count] })
            let named = try await RoomFilesTests.share(client, alice, room: 1, long + ".txt", "text/plain", FileTests.randomBytes(16))
            #expect(try await ids(String(long.dropFirst(37).prefix(5))) == [named])
            let pasted = try await MessageTests.say(client, alice, room: 1, "引用：" + String(long.prefix(160)) + "。")
            #expect(try await ids(String(long.prefix(150))) == [pasted, named])
            // (か with a semi-voiced mark has no composed form: composing the text leaves its 16,000.)
            let kana = String(repeating: "か\u{309A}\u{309A}\u{309A}", count: 4_000)
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: jsonString(["text": kana]), headers: alice.bearer)
            #expect(posted.status == .created, "\(String(buffer: posted.body).prefix(200))")
        }
    }

    @Test func pagesGoBackNewestFirst() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            var ids: [Int64] = []
            for n in 1...5 { ids.append(try await MessageTests.say(client, alice, room: 1, "standup note \(n)")) }
            let (first, more) = try await Self.found(client, alice, "q=standup&limit=2")
            #expect(first == ["standup note 5", "standup note 4"])
            #expect(more == true)
            let (second, _) = try await Self.found(client, alice, "q=standup&limit=2&before=\(ids[3])")
            #expect(second == ["standup note 3", "standup note 2"])
            let (last, end) = try await Self.found(client, alice, "q=standup&limit=2&before=\(ids[1])")
            #expect(last == ["standup note 1"])
            #expect(end == false)
        }
    }

    /// A file is found by its name as well as by its caption, in the rooms of the searcher only,
    /// and no longer once its message is deleted.
    @Test func findsSharedFilesByName() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let bob = try await client.signUp("bob")
            let group = try await client.group("board", of: alice, with: bob)
            let report = try await RoomFilesTests.share(client, alice, room: 1, "Quarterly_report 2026.pdf", "application/pdf", FileTests.randomBytes(64))
            let minutes = try await RoomFilesTests.share(client, alice, room: group, "board-minutes.txt", "text/plain", FileTests.randomBytes(64))
            let said = try await MessageTests.say(client, bob, room: 1, "the quarterly numbers are in")
            func ids(_ user: LoggedIn, _ query: String) async throws -> [Int64] {
                let response = try await Self.search(client, user, query)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return (try response.json()["messages"]?.array ?? []).compactMap { $0["id"]?.int }
            }
            // Words of the name, as prefixes, without regard to case, alone or beside messages' text.
            #expect(try await ids(bob, "q=quarterly") == [said, report])
            #expect(try await ids(bob, "q=REPORT") == [report])
            #expect(try await ids(bob, "q=quarter%20rep") == [report])
            #expect(try await ids(bob, "q=minutes") == [minutes])
            #expect(try await ids(bob, "q=minutes&room=1") == [])
            #expect(try await ids(bob, "q=report&from=\(bob.id)") == [])
            // Names whose words hold combining marks (Hindi, Thai) or an accent written apart (macOS) are
            // found by their words, as text is.
            let hindi = try await RoomFilesTests.share(client, alice, room: group, "रिपोर्ट.pdf", "application/pdf", FileTests.randomBytes(16))
            let thai = try await RoomFilesTests.share(client, alice, room: group, "สวัสดี.txt", "text/plain", FileTests.randomBytes(16))
            let resume = try await RoomFilesTests.share(client, alice, room: group, "Re\u{301}sume\u{301} final.pdf", "application/pdf", FileTests.randomBytes(16))
            #expect(try await ids(bob, "q=" + "रिपोर्ट".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!) == [hindi])
            #expect(try await ids(bob, "q=" + "สวัสดี".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!) == [thai])
            #expect(try await ids(bob, "q=r%C3%A9sum%C3%A9") == [resume])
            let named = try await client.send(.get, "/api/rooms/\(group)/files?name=r%C3%A9sum%C3%A9", headers: bob.bearer).json()["messages"]?.array
            #expect(named?.compactMap { $0["id"]?.int } == [resume])
            for id in [hindi, thai, resume] { #expect(try await client.send(.delete, "/api/messages/\(id)", headers: alice.bearer).status == .noContent) }
            // Results carry the file, as history shows it.
            let found = try await Self.search(client, bob, "q=report").json()["messages"]?[0]
            #expect(found?["file"]?["name"]?.string == "Quarterly_report 2026.pdf")
            // Only the rooms one is in: a newcomer (in `main`, not in the group) finds the one and not the other.
            let cat = try await client.signUp("cat")
            #expect(try await ids(cat, "q=minutes") == [])
            #expect(try await ids(cat, "q=report") == [report])
            // Deleted, the message and its file are not found.
            #expect(try await client.send(.delete, "/api/messages/\(report)", headers: alice.bearer).status == .noContent)
            #expect(try await ids(bob, "q=report") == [])
        }
    }

    /// `has=file|link` keeps messages that share a file or hold a web link; `since` and `until`
    /// bound when they were sent.
    @Test func filtersByWhatAMessageHasAndWhenItWasSent() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            let plain = try await MessageTests.say(client, alice, room: 1, "release notes are done")
            let linked = try await MessageTests.say(client, alice, room: 1, "release notes at https://example.com/notes")
            let filed = try await RoomFilesTests.share(client, alice, room: 1, "release-notes.txt", "text/plain", FileTests.randomBytes(32))
            let old = try await MessageTests.say(client, alice, room: 1, "release notes of last year")
            try parley.execute("UPDATE messages SET created_at = '2025-06-01 12:00:00' WHERE id = ?", [old])
            // Not links: a scheme with nothing after it, or one inside a word.
            for text in ["release notes: http:// is dead", "release notes xhttps://nope"] { _ = try await MessageTests.say(client, alice, room: 1, text) }
            let shouting = try await MessageTests.say(client, alice, room: 1, "release notes (HTTPS://EXAMPLE.COM)")
            try parley.execute("UPDATE messages SET created_at = '2024-06-01 12:00:00' WHERE id > ?", [old])
            func ids(_ query: String) async throws -> [Int64] {
                let response = try await Self.search(client, alice, "q=release%20notes&\(query)")
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return (try response.json()["messages"]?.array ?? []).compactMap { $0["id"]?.int }
            }
            #expect(try await ids("since=2025-01-01T00:00:00Z") == [old, filed, linked, plain])
            #expect(try await ids("has=link") == [shouting, linked])
            #expect(try await ids("has=file") == [filed])
            #expect(try await ids("since=2026-01-01T00:00:00Z") == [filed, linked, plain])
            #expect(try await ids("since=2025-01-01T00:00:00Z&until=2026-01-01T00:00:00.000Z") == [old])
            #expect(try await ids("since=2025-01-01T00:00:00Z&until=2025-12-31T00:00:00Z&has=link") == [])
            // Go's and .NET's zero time is the first time there is, not a bad one.
            #expect(try await ids("since=0001-01-01T00:00:00Z&until=2025-01-01T00:00:00Z&has=link") == [shouting])
            for query in ["has=image", "has=", "since=yesterday", "until=2026-13-01", "since=0000-01-01T00:00:00Z", "until=0000-01-02T00:00:00Z"] {
                try await Self.search(client, alice, "q=notes&\(query)").expectError(.badRequest, "invalid_request")
            }
        }
    }

    @Test func badQueriesAreClientErrors() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let alice = try await client.signUp("alice")
            for query in ["q=", "q=%20%20", "q=a", "q=!%3F*", "q=\(String(repeating: "x", count: 201))"] {
                try await Self.search(client, alice, query).expectError(.unprocessableContent, "invalid_query")
            }
            // Boolean-mode operators in the text are only separators.
            #expect(try await Self.found(client, alice, "q=%2Bwelcome*%20-%22x").0 == [])
            for query in ["", "q=hi&limit=0", "q=hi&limit=51", "q=hi&limit=x", "q=hi&before=-1", "q=hi&room=0", "q=hi&room=abc", "q=hi&from=0", "q=hi&from=x"] {
                try await Self.search(client, alice, query).expectError(.badRequest, "invalid_request")
            }
            try await Self.search(client, alice, "q=hi&room=999999").expectError(.notFound, "room_not_found")
            try await client.send(.get, "/api/search?q=hello").expectError(.unauthorized, "unauthenticated")
        }
    }

    @Test func queriesKeepWordsOfTheIndexsMinimumLength() throws {
        #expect(try SearchQuery("Hello, World! hello", minimumWordLength: 2).words == ["hello", "world"])
        #expect(try SearchQuery("a ok x go", minimumWordLength: 2).booleanMode == "+ok* +go*")
        #expect(try SearchQuery("ok deploy", minimumWordLength: 3).words == ["deploy"])
        #expect(try SearchQuery("café über 日本語", minimumWordLength: 2).words == ["café", "über", "日本語"])
        #expect(try SearchQuery((1...20).map { "word\($0)" }.joined(separator: " "), minimumWordLength: 2).words.count == 10)
        #expect(throws: ParleyError.self) { try SearchQuery("ok", minimumWordLength: 3) }
        // Chinese and Japanese runs are phrases of their pairs; a run of one character matches nothing.
        #expect(try SearchQuery("会议室 abc", minimumWordLength: 2).booleanMode == #"+"会议 议室" +abc*"#)
        #expect(try SearchQuery("Parley会议 猫", minimumWordLength: 2).booleanMode == "+parley* +会议")
        #expect(try SearchQuery("会议室 abc", minimumWordLength: 3).booleanMode == "+abc*")
        #expect(throws: ParleyError.self) { try SearchQuery("猫", minimumWordLength: 2) }
        #expect(throws: ParleyError.self) { try SearchQuery("会议", minimumWordLength: 3) }
        // A long run is phrases of at most 32 pairs.
        let run = String(repeating: "会议室", count: 30)
        #expect(try SearchQuery(run, minimumWordLength: 2).booleanMode.split(separator: "+").map { $0.split(separator: " ").count } == [32, 32, 25])
    }
}
