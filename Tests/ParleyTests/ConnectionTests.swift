import Foundation
@testable import Parley
import Testing

/// HTTP/1.1 connection rules on the real-time endpoints, which are answered ahead of Hummingbird:
/// pipelined requests are answered in order, and `Connection: close` is honoured.
@Suite struct ConnectionTests {
    static func get(_ target: String, token: String? = nil, close: Bool = false) -> String {
        var request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        if close { request += "Connection: close\r\n" }
        return request + "\r\n"
    }

    /// Signs alice up and waits out the presence event her first connection causes: a poll from the
    /// cursor returned then waits for what the test does.
    static func quietAlice(_ live: LiveClient) async throws -> (token: String, cursor: Int64) {
        let alice = try await live.signUp("alice")
        let (_, head) = try await live.poll(alice.token, after: nil, timeout: 0)
        let (_, settled) = try await live.pollUntil(alice.token, after: head, count: 1, within: 15) { $0["type"] == .string("presence") }
        return (alice.token, settled)
    }

    @Test func requestsPipelinedBehindAWaitingPollAreAnsweredAfterIt() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let (alice, settled) = try await Self.quietAlice(live)
            let raw = try await RawHTTPConnection.connect(port: live.port)
            let sentAt = ContinuousClock.now
            try await raw.send(Self.get("/api/events?timeout=1&after=\(settled)", token: alice) + Self.get("/healthz") + Self.get("/api/me", token: alice))
            #expect(try await raw.wait { raw.statusLines.count == 3 }, "answers so far: \(raw.text)")
            // The poll waited its second out, and the two behind it were answered after it, in order.
            #expect(ContinuousClock.now - sentAt >= .milliseconds(900))
            #expect(raw.statusLines == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK"])
            let text = raw.text
            let poll = try #require(text.range(of: #""cursor":\#(settled)"#))
            let health = try #require(text.range(of: #""status":"ok""#))
            let me = try #require(text.range(of: #""username":"alice""#))
            #expect(poll.lowerBound < health.lowerBound && health.lowerBound < me.lowerBound)
            #expect(!raw.isClosed)
            await raw.close()
        }
    }

    /// `Expect: 100-continue` is answered at once, so curl sends a large upload's body without waiting
    /// a second for leave (it did for every file over 1 MB); then the upload is answered as usual.
    @Test func aClientThatAsksLeaveToSendItsBodyGetsItAtOnce() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let raw = try await RawHTTPConnection.connect(port: live.port)
            let body = "hello, file"
            try await raw.send(
                "POST /api/rooms/1/files?name=a.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(alice.token)\r\n"
                    + "Content-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await raw.wait(upTo: 0.5) { raw.text.hasPrefix("HTTP/1.1 100 Continue\r\n\r\n") }, "\(raw.text)")
            try await raw.send(body)
            #expect(try await raw.wait { raw.statusLines.count == 2 }, "\(raw.text)")
            #expect(raw.statusLines == ["HTTP/1.1 100 Continue", "HTTP/1.1 201 Created"])
            await raw.close()

            // A body larger than any route takes is refused from its head, not told to come.
            let big = try await RawHTTPConnection.connect(port: live.port)
            try await big.send(
                "POST /api/rooms/1/files?name=b.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(alice.token)\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: 999999999999\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await big.wait { big.statusLines.count == 1 }, "\(big.text)")
            #expect(big.statusLines == ["HTTP/1.1 413 Payload Too Large"])
            await big.close()
        }
    }

    /// A request the HTTP parser refuses (here a header far too long) gets the JSON error envelope
    /// and a request id, as every other answer does, and the connection closes.
    @Test func anUnparsableRequestGetsTheErrorEnvelope() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let raw = try await RawHTTPConnection.connect(port: live.port)
            try await raw.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: \(String(repeating: "a", count: 200_000))\r\n\r\n")
            #expect(try await raw.wait { raw.isClosed }, "\(raw.text)")
            #expect(raw.statusLines == ["HTTP/1.1 400 Bad Request"])
            #expect(raw.text.contains(#"{"error":{"code":"invalid_request","#), "\(raw.text)")
            #expect(raw.text.lowercased().contains("x-request-id: "))
        }
    }

    /// `CONNECT` (a proxy's method) is answered 501 and the connection closes: what follows it is a
    /// tunnel's bytes to NIO's decoder, never read as a request. It had a 404 or 405 framed by
    /// nothing on a connection kept open, and the pipelined request behind it was never answered (a
    /// hunt).
    @Test(arguments: ["127.0.0.1:80", "/api/me"])
    func aConnectIsRefusedAndTheConnectionClosed(target: String) async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let raw = try await RawHTTPConnection.connect(port: live.port)
            try await raw.send("CONNECT \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + ConnectionTests.get("/healthz"))
            #expect(try await raw.wait { raw.isClosed }, "\(raw.text)")
            #expect(raw.statusLines == ["HTTP/1.1 501 Not Implemented"], "\(raw.text)")
            #expect(raw.text.lowercased().contains("connection: close"), "\(raw.text)")
            // The next connection is served as ever.
            let next = try await RawHTTPConnection.connect(port: live.port, sending: ConnectionTests.get("/healthz"))
            #expect(try await next.wait { next.statusLines.count == 1 })
            #expect(next.statusLines == ["HTTP/1.1 200 OK"])
            await next.close()
        }
    }

    /// A body whose chunked framing is malformed answers 400 `invalid_request`, on a JSON route, a
    /// picture route and an upload alike (it answered 413 "larger than 65536 bytes", and 500).
    @Test(arguments: ["zz\r\nabc\r\n0\r\n\r\n", "3\r\nabcXX0\r\n\r\n"])
    func aMalformedChunkedBodyIsABadRequest(body: String) async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            for (path, type) in [
                ("/api/rooms/1/messages", "application/json"), ("/api/me/avatar", "image/png"), ("/api/rooms/1/files?name=a.txt", "text/plain"),
            ] {
                let raw = try await RawHTTPConnection.connect(port: live.port)
                try await raw.send(
                    "\(path.hasPrefix("/api/me/avatar") ? "PUT" : "POST") \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(alice.token)\r\n"
                        + "Content-Type: \(type)\r\nTransfer-Encoding: chunked\r\n\r\n\(body)")
                #expect(try await raw.wait { raw.text.contains("\r\n\r\n{") }, "\(path): \(raw.text)")
                #expect(raw.statusLines.first == "HTTP/1.1 400 Bad Request", "\(path): \(raw.text)")
                #expect(raw.text.contains(#""code":"invalid_request""#), "\(path): \(raw.text)")
                await raw.close()
            }
        }
        #expect(try parley.count("messages") == 0)
        #expect(try parley.count("files") == 0)
    }

    @Test func aPollPipelinedBehindAnotherRequestIsAnsweredAfterThatAnswer() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let (_, head) = try await live.poll(alice.token, after: nil, timeout: 0)
            let raw = try await RawHTTPConnection.connect(port: live.port)
            let body = #"{"text":"posted before the poll"}"#
            let post = "POST /api/rooms/1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(alice.token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            // The poll's backlog is ready at once (alice's presence); the post's answer needs the database.
            try await raw.send(post + Self.get("/api/events?timeout=5&after=\(head)", token: alice.token))
            #expect(try await raw.wait { raw.statusLines.count == 2 }, "answers so far: \(raw.text)")
            #expect(raw.statusLines == ["HTTP/1.1 201 Created", "HTTP/1.1 200 OK"])
            await raw.close()
        }
    }

    /// A `HEAD` after a poll on the same connection gets no body, and the `GET` after it gets its
    /// whole body: the poll's answer once went out past NIO's response encoder, which then matched
    /// each later answer with the request before it (a hunt: the `HEAD` carried a body and the next
    /// answer none, so the client hung).
    @Test func aHeadAfterAPollGetsNoBodyAndTheNextAnswerItsBody() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let raw = try await RawHTTPConnection.connect(port: live.port)
            try await raw.send(Self.get("/api/events?timeout=0", token: alice.token))
            #expect(try await raw.wait { raw.statusLines.count == 1 })
            let polled = raw.text.utf8.count
            try await raw.send(Self.get("/healthz").replacingOccurrences(of: "GET ", with: "HEAD "))
            #expect(try await raw.wait { raw.statusLines.count == 2 })
            try await raw.send(Self.get("/healthz") + Self.get("/healthz"))
            #expect(try await raw.wait { raw.statusLines.count == 4 && raw.text.hasSuffix("}") }, "answers so far: \(raw.text)")
            // Each /healthz answer is the same head and body; the HEAD's is the head alone.
            let answers = String(decoding: raw.text.utf8.dropFirst(polled), as: UTF8.self).components(separatedBy: "HTTP/1.1 ").dropFirst()
            let bodies = answers.map { $0.components(separatedBy: "\r\n\r\n").dropFirst().joined() }
            #expect(bodies.count == 3 && bodies[0].isEmpty && !bodies[1].isEmpty && bodies[1] == bodies[2], "\(answers)")
            await raw.close()
        }
    }

    /// A `HEAD` of the data export has the download's framing (chunked), not `Content-Length: 0`,
    /// and uses no download up: the `GET` after it gets the whole body.
    @Test func aHeadOfTheExportIsFramedAsItsDownload() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let raw = try await RawHTTPConnection.connect(port: live.port)
            try await raw.send(Self.get("/api/me/export", token: alice.token).replacingOccurrences(of: "GET ", with: "HEAD "))
            #expect(try await raw.wait { raw.text.contains("\r\n\r\n") })
            let head = raw.text.lowercased()
            #expect(head.hasPrefix("http/1.1 200") && head.contains("transfer-encoding: chunked") && !head.contains("content-length"), "\(raw.text)")
            try await raw.send(Self.get("/api/me/export", token: alice.token))
            #expect(try await raw.wait { raw.statusLines.count == 2 && raw.text.hasSuffix("0\r\n\r\n") }, "\(raw.text)")
            #expect(raw.statusLines.last?.hasPrefix("HTTP/1.1 200") == true)
            await raw.close()
        }
    }

    @Test func anHTTP10ClientGetsUnchunkedAnswersAndAClose() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            func get(_ path: String, _ extra: String = "") -> String {
                "GET \(path) HTTP/1.0\r\nAuthorization: Bearer \(alice.token)\r\n\(extra)\r\n"
            }
            // The stream: its events as they are, not in chunks, on a connection that ends with it.
            let stream = try await RawHTTPConnection.connect(port: live.port, sending: get("/api/events/stream"))
            #expect(try await stream.wait { stream.text.contains(": connected") }, "\(stream.text)")
            _ = try await live.post(alice.token, room: 1, text: "for an old client")
            #expect(try await stream.wait { stream.text.contains("for an old client") }, "\(stream.text)")
            let head = stream.text.lowercased()
            #expect(head.hasPrefix("http/1.0 200") && !head.contains("transfer-encoding") && head.contains("\r\nconnection: close\r\n"), "\(stream.text)")
            #expect(stream.text.contains("\r\n\r\nretry: "), "a chunk size before the first line: \(stream.text)")
            // A live event (the backlog is written by then) is as plain: no chunk's size line or
            // CRLF in the body (they were, a hunt).
            _ = try await live.post(alice.token, room: 1, text: "and live")
            #expect(try await stream.wait { stream.text.contains("and live") }, "\(stream.text)")
            let body = try #require(stream.text.range(of: "\r\n\r\n")).upperBound
            #expect(!stream.text[body...].contains("\r"), "\(stream.text)")
            await stream.close()
            // The export (no length known ahead) ends with the connection, which the server closes.
            let export = try await RawHTTPConnection.connect(port: live.port, sending: get("/api/me/export"))
            #expect(try await export.wait { export.isClosed }, "\(export.text)")
            #expect(export.text.hasPrefix("HTTP/1.0 200") && !export.text.lowercased().contains("transfer-encoding") && export.text.hasSuffix("}"))
            // Asking to keep the connection is not honoured: the answer has its length and the connection closes.
            let kept = try await RawHTTPConnection.connect(port: live.port, sending: get("/api/rooms", "Connection: keep-alive\r\n"))
            #expect(try await kept.wait { kept.isClosed }, "\(kept.text)")
            #expect(kept.text.hasPrefix("HTTP/1.0 200") && kept.text.lowercased().contains("content-length: "))
            // HTTP/1.1 is as it was: chunked where there is no length, the connection kept.
            let modern = try await RawHTTPConnection.connect(port: live.port, sending: Self.get("/api/me/export", token: alice.token))
            #expect(try await modern.wait { modern.text.hasSuffix("0\r\n\r\n") }, "\(modern.text)")
            #expect(modern.text.hasPrefix("HTTP/1.1 200") && modern.text.lowercased().contains("transfer-encoding: chunked") && !modern.isClosed)
            await modern.close()
        }
    }

    @Test func connectionCloseOnAPollClosesAfterTheAnswer() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            // (Nothing may follow a request that asks to close: the HTTP parser refuses it.)
            let answered = try await RawHTTPConnection.connect(port: live.port)
            try await answered.send(Self.get("/api/events?timeout=0", token: alice.token, close: true))
            #expect(try await answered.wait { answered.isClosed }, "still open after: \(answered.text)")
            #expect(answered.statusLines == ["HTTP/1.1 200 OK"])
            #expect(answered.text.lowercased().contains("\r\nconnection: close\r\n"))

            let refused = try await RawHTTPConnection.connect(port: live.port)
            try await refused.send(Self.get("/api/events?timeout=99", token: alice.token, close: true))
            #expect(try await refused.wait { refused.isClosed }, "still open after: \(refused.text)")
            #expect(refused.statusLines == ["HTTP/1.1 400 Bad Request"])
            #expect(refused.text.contains("invalid_timeout"))

            // Without it the connection stays open for the next request.
            let kept = try await RawHTTPConnection.connect(port: live.port)
            try await kept.send(Self.get("/api/events?timeout=0", token: alice.token))
            #expect(try await kept.wait { kept.statusLines.count == 1 })
            try await kept.send(Self.get("/api/events?timeout=0", token: alice.token))
            #expect(try await kept.wait { kept.statusLines.count == 2 })
            #expect(!kept.isClosed)
            await kept.close()
        }
    }

    /// Bytes that do not parse behind a poll or a stream (a malformed request, or anything after a
    /// request that asked to close) get no answer: the poll is answered, the stream ends with its
    /// last chunk, then the connection closes. The 400 went out at once: ahead of the poll's answer,
    /// which never came, and in the middle of the stream's body (a hunt).
    @Test func bytesThatDoNotParseBehindAPollOrAStreamLeaveItsAnswerWhole() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let (alice, settled) = try await Self.quietAlice(live)
            // A waiting poll, then a malformed line: the poll waits its second out and is answered.
            let polled = try await RawHTTPConnection.connect(port: live.port)
            try await polled.send(Self.get("/api/events?timeout=1&after=\(settled)", token: alice))
            try await Task.sleep(for: .milliseconds(300))
            try await polled.send("BAD LINE\r\n\r\n")
            #expect(try await polled.wait { polled.isClosed }, "still open after: \(polled.text)")
            #expect(polled.statusLines == ["HTTP/1.1 200 OK"], "\(polled.text)")
            #expect(polled.text.contains(#""cursor":\#(settled)"#), "\(polled.text)")
            #expect(polled.text.lowercased().contains("\r\nconnection: close\r\n"), "\(polled.text)")
            #expect(!polled.text.contains("invalid_request"))

            // A poll that asked to close, with requests after it in the same write: only the poll is
            // answered (nothing after a `close` is a request).
            let closing = try await RawHTTPConnection.connect(port: live.port)
            try await closing.send(Self.get("/api/events?timeout=0", token: alice, close: true) + Self.get("/healthz") + Self.get("/healthz"))
            #expect(try await closing.wait { closing.isClosed }, "still open after: \(closing.text)")
            #expect(closing.statusLines == ["HTTP/1.1 200 OK"], "\(closing.text)")
            #expect(closing.text.contains(#""cursor":"#) && !closing.text.contains(#""status":"ok""#), "\(closing.text)")

            // An open stream, then a malformed line: the stream ends with its last chunk, no 400 in its body.
            let streamed = try await RawHTTPConnection.connect(port: live.port)
            try await streamed.send(Self.get("/api/events/stream", token: alice))
            #expect(try await streamed.wait { streamed.text.contains("retry:") }, "\(streamed.text)")
            try await streamed.send("BAD LINE\r\n\r\n")
            #expect(try await streamed.wait { streamed.isClosed }, "still open after: \(streamed.text)")
            #expect(streamed.statusLines == ["HTTP/1.1 200 OK"], "\(streamed.text)")
            #expect(streamed.text.hasSuffix("\r\n0\r\n\r\n"), "no last chunk: \(streamed.text.suffix(80))")
            #expect(!streamed.text.contains("invalid_request"))
        }
    }

    @Test func aPollAnswerIsWellFormedWithEveryHeader() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let (alice, settled) = try await Self.quietAlice(live)
            let raw = try await RawHTTPConnection.connect(port: live.port)
            try await raw.send(Self.get("/api/events?timeout=10&after=\(settled)", token: alice))
            try await Task.sleep(for: .milliseconds(200))
            let id = try await live.post(alice, room: 1, text: "a \"quoted\" ünïcode text")
            #expect(try await raw.wait { raw.text.contains("\r\n\r\n") && raw.text.hasSuffix("]}") })
            let text = raw.text
            let split = try #require(text.range(of: "\r\n\r\n"))
            let (status, fields) = Self.head(text)
            #expect(status == "HTTP/1.1 200 OK")
            #expect(fields["content-type"] == "application/json; charset=utf-8")
            #expect(fields["cache-control"] == "no-store")
            Self.expectAPIHeaders(fields)
            #expect(fields["connection"] == nil)
            let body = Data(text[split.upperBound...].utf8)
            #expect(Int(fields["content-length"] ?? "") == body.count)
            let json = try JSONDecoder().decode(JSON.self, from: body)
            let events = try #require(json["events"]?.array).filter { $0["type"] == .string("message.created") }
            #expect(events.count == 1)
            #expect(events.first?["data"]?["message"]?["id"]?.int == id)
            #expect(events.first?["data"]?["message"]?["text"] == .string("a \"quoted\" ünïcode text"))
            #expect(json["cursor"]?.int ?? 0 >= events.first?["id"]?.int ?? .max)
            await raw.close()
        }
    }

    /// The status line and header fields (names lowercased) of the first answer in `text`.
    static func head(_ text: String) -> (status: String, fields: [String: String]) {
        let end = text.range(of: "\r\n\r\n")?.lowerBound ?? text.endIndex
        let lines = text[..<end].components(separatedBy: "\r\n")
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            fields[parts[0].lowercased()] = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        }
        return (lines.first ?? "", fields)
    }

    /// What every answer of the API carries, those of the real-time routes too (they had no `Date`
    /// and no `Server`, and the web page's policy, a hunt).
    static func expectAPIHeaders(_ fields: [String: String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(fields["x-content-type-options"] == "nosniff", sourceLocation: sourceLocation)
        #expect(fields["x-frame-options"] == "DENY", sourceLocation: sourceLocation)
        #expect(fields["referrer-policy"] == "same-origin", sourceLocation: sourceLocation)
        #expect(fields["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox", sourceLocation: sourceLocation)
        #expect(fields["x-request-id"]?.count ?? 0 >= 16, sourceLocation: sourceLocation)
        #expect(fields["server"] == "Parley", sourceLocation: sourceLocation)
        let date = fields["date"].flatMap { text in
            let format = DateFormatter()
            format.locale = Locale(identifier: "en_US_POSIX")
            format.timeZone = TimeZone(identifier: "GMT")
            format.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            return format.date(from: text)
        }
        #expect(date.map { abs($0.timeIntervalSinceNow) < 30 } == true, "Date: \(fields["date"] ?? "none")", sourceLocation: sourceLocation)
    }

    @Test func aStreamHeadAndTheRealTimeRoutesErrorsCarryTheAPIsHeaders() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let stream = try await RawHTTPConnection.connect(port: live.port, sending: Self.get("/api/events/stream", token: alice.token))
            #expect(try await stream.wait { stream.text.contains("retry:") })
            let (status, fields) = Self.head(stream.text)
            #expect(status == "HTTP/1.1 200 OK")
            #expect(fields["content-type"] == "text/event-stream; charset=utf-8")
            Self.expectAPIHeaders(fields)
            await stream.close()
            for (target, code) in [("/api/events?timeout=0", "401"), ("/api/events/stream", "401"), ("/api/events?timeout=99", "400")] {
                let raw = try await RawHTTPConnection.connect(
                    port: live.port, sending: Self.get(target, token: code == "400" ? alice.token : nil))
                #expect(try await raw.wait { raw.text.hasSuffix("}}") }, "\(target): \(raw.text)")
                let (status, fields) = Self.head(raw.text)
                #expect(status.hasPrefix("HTTP/1.1 \(code)"), "\(target): \(status)")
                #expect(fields["cache-control"] == "private, no-cache", "\(target)")
                Self.expectAPIHeaders(fields)
                await raw.close()
            }
        }
        #expect(HTTPDate.format(1_796_593_200) == "Sun, 06 Dec 2026 21:40:00 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func tooMuchPipelinedBehindAWaitingPollClosesTheConnection() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let alice = try await live.signUp("alice")
            let raw = try await RawHTTPConnection.connect(port: live.port)
            let size = 2 << 20
            try await raw.send(
                Self.get("/api/events?timeout=30", token: alice.token)
                    + "POST /api/rooms/1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(size)\r\n\r\n")
            try await raw.send(String(repeating: " ", count: size))
            #expect(try await raw.wait { raw.isClosed }, "still open after: \(raw.text)")
            #expect(raw.statusLines.isEmpty)
            // Nothing was posted.
            #expect(try parley.count("messages") == 0)
        }
    }
}

/// Idle connections are closed (`PARLEY_IDLE_TIMEOUT`, 1 s here); connections whose request is
/// being answered are not, however long the answer takes.
@Suite struct IdleConnectionTests {
    static func make() async throws -> TestParley { try await TestParley.make { $0.idleTimeout = .seconds(1) } }

    /// Waits for the server to close `raw`; returns how long that took from `start` (by default now).
    static func closing(_ raw: RawHTTPConnection, within seconds: Double = 6, since start: ContinuousClock.Instant = .now) async throws
        -> Duration?
    {
        try await raw.wait(upTo: seconds) { raw.isClosed } ? ContinuousClock.now - start : nil
    }

    @Test func aConnectionThatSendsNothingIsClosed() async throws {
        let parley = try await Self.make()
        try await parley.live { live in
            // Timed from before the connection exists: a busy machine may run this task late after it.
            let start = ContinuousClock.now
            let raw = try await RawHTTPConnection.connect(port: live.port)
            let took = try await Self.closing(raw, since: start)
            #expect(took != nil && took! >= .milliseconds(800))
            #expect(raw.text.isEmpty)
        }
    }

    @Test func aKeptAliveConnectionIsClosedOnceIdleAfterItsAnswers() async throws {
        // A 3 s timeout here, with requests 0.5 s apart timed on the event loop: a busy machine (the
        // whole suite runs at once) once stretched a test task's 0.6 s pause under a 1 s timeout past
        // it, and the server was right to close.
        let parley = try await TestParley.make { $0.idleTimeout = .seconds(3) }
        try await parley.live { live in
            let raw = try await RawHTTPConnection.connect(port: live.port)
            // Requests closer together than the timeout keep it open, well past one timeout in all.
            let lastAnswer = try await raw.sendRepeatedly(ConnectionTests.get("/healthz"), times: 8, gap: .milliseconds(500))
            #expect(raw.statusLines.count == 8, "\(raw.text)")
            let answered = try #require(lastAnswer)
            // Timed from the last answer (the pause after it may stretch on a busy machine).
            let took = try await Self.closing(raw, within: 15, since: answered)
            #expect(took != nil && took! >= .milliseconds(2000))
        }
    }

    @Test(arguments: [
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":",
    ])
    func aRequestThatStopsArrivingIsClosedUnanswered(_ partial: String) async throws {
        let parley = try await Self.make()
        try await parley.live { live in
            let raw = try await RawHTTPConnection.connect(port: live.port, sending: partial)
            #expect(try await Self.closing(raw) != nil, "still open after: \(raw.text)")
            #expect(raw.statusLines.isEmpty)
            #expect(try parley.count("users") == 0)
        }
    }

    @Test func aStreamAndALongPollOutlastTheTimeout() async throws {
        let parley = try await Self.make()
        try await parley.live { live in
            let (alice, settled) = try await ConnectionTests.quietAlice(live)
            let stream = try await RawHTTPConnection.connect(port: live.port, sending: ConnectionTests.get("/api/events/stream", token: alice))
            let sentAt = ContinuousClock.now
            let poll = try await RawHTTPConnection.connect(port: live.port, sending: ConnectionTests.get("/api/events?timeout=3&after=\(settled)", token: alice))
            // The poll waits its 3 s out and is answered; the stream, quiet for 2.5 s, still delivers.
            #expect(try await poll.wait(upTo: 8) { poll.statusLines.count == 1 }, "poll: \(poll.text)")
            #expect(ContinuousClock.now - sentAt >= .milliseconds(2900))
            #expect(poll.statusLines == ["HTTP/1.1 200 OK"])
            _ = try await live.post(alice, room: 1, text: "still here")
            #expect(try await stream.wait { stream.text.contains("still here") }, "stream: \(stream.text)")
            #expect(!stream.isClosed)
            // Once answered, the poll's connection is idle like any other.
            #expect(try await Self.closing(poll) != nil)
            await stream.close()
        }
    }
}
