import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Parley
import Testing

/// A real HTTP client (AsyncHTTPClient) for a live server: plain requests and SSE streams.
struct LiveClient: Sendable {
    let base: String
    let port: Int
    let http: HTTPClient

    init(port: Int) {
        self.port = port
        base = "http://127.0.0.1:\(port)"
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(5), read: .seconds(90))))
    }

    func shutdown() async { try? await http.shutdown() }

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: JSON?
        let text: String
    }

    @discardableResult
    func send(
        _ method: NIOHTTP1.HTTPMethod, _ path: String, json: String? = nil, bytes: (type: String, body: [UInt8])? = nil, token: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(contentsOf: headers)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        if let bytes {
            request.headers.add(name: "Content-Type", value: bytes.type)
            request.body = .bytes(ByteBuffer(bytes: bytes.body))
        }
        let response = try await http.execute(request, timeout: .seconds(90))
        let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
        let text = String(buffer: buffer)
        return Reply(
            status: Int(response.status.code), headers: response.headers, body: try? JSONDecoder().decode(JSON.self, from: Data(buffer: buffer)),
            text: text)
    }

    /// Registers and logs in; returns (user id, bearer token).
    func signUp(_ username: String) async throws -> (id: Int64, token: String) {
        let created = try await send(.POST, "/api/users", json: #"{"username":"\#(username)","password":"password123"}"#)
        #expect(created.status == 201, "\(created.text)")
        let login = try await send(.POST, "/api/session", json: #"{"username":"\#(username)","password":"password123"}"#)
        return (try #require(login.body?["user"]?["id"]?.int), try #require(login.body?["token"]?.string))
    }

    /// Logs an existing user in once more (another device): the new session's token.
    func logIn(_ username: String) async throws -> String {
        let login = try await send(.POST, "/api/session", json: #"{"username":"\#(username)","password":"password123"}"#)
        #expect(login.status == 200, "\(login.text)")
        return try #require(login.body?["token"]?.string)
    }

    func post(_ token: String, room: Int64, text: String) async throws -> Int64 {
        let reply = try await send(.POST, "/api/rooms/\(room)/messages", json: jsonString(["text": text]), token: token)
        #expect(reply.status == 201, "\(reply.text)")
        return try #require(reply.body?["message"]?["id"]?.int)
    }

    /// One long-poll: the events after `after` and the new cursor.
    func poll(_ token: String, after: Int64?, timeout: Int = 5) async throws -> (events: [JSON], cursor: Int64) {
        var path = "/api/events?timeout=\(timeout)"
        if let after { path += "&after=\(after)" }
        let reply = try await send(.GET, path, token: token)
        #expect(reply.status == 200, "\(reply.text)")
        return (try #require(reply.body?["events"]?.array), try #require(reply.body?["cursor"]?.int))
    }

    /// Polls until `count` events matching `filter` arrived or `deadline` passed.
    func pollUntil(_ token: String, after: Int64?, count: Int, within seconds: Double = 30, _ filter: (JSON) -> Bool = { _ in true }) async throws
        -> (events: [JSON], cursor: Int64)
    {
        var cursor = after
        var collected: [JSON] = []
        let deadline = ContinuousClock.now + .seconds(seconds)
        while collected.count < count && ContinuousClock.now < deadline {
            let (events, next) = try await poll(token, after: cursor, timeout: 2)
            collected += events.filter(filter)
            cursor = next
        }
        return (collected, cursor ?? 0)
    }

    /// One SSE event as received.
    struct SSEEvent: Sendable {
        let id: String?
        let event: String?
        let data: String
        var json: JSON? { try? JSONDecoder().decode(JSON.self, from: Data(data.utf8)) }
    }

    /// Opens an SSE stream whose events collect in the returned connection.
    func stream(_ token: String, lastEventID: String? = nil, query: String = "") async throws -> SSEConnection {
        var request = HTTPClientRequest(url: base + "/api/events/stream" + query)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response = try await http.execute(request, timeout: .seconds(600))
        #expect(response.status == .ok)
        let connection = SSEConnection(headers: response.headers)
        connection.start(response.body)
        // The server subscribes before it writes this comment: from here on nothing is missed.
        let deadline = ContinuousClock.now + .seconds(10)
        while !connection.comments.contains(where: { $0.contains("connected") }) && ContinuousClock.now < deadline && !connection.isEnded {
            try await Task.sleep(for: .milliseconds(5))
        }
        return connection
    }
}

/// A live SSE connection: a reader task parses the stream into `events` and `comments`.
final class SSEConnection: @unchecked Sendable {
    // @unchecked: mutable state is guarded by `lock`.
    let headers: HTTPHeaders
    private let lock = NSLock()
    private var received: [LiveClient.SSEEvent] = []
    private var commentLines: [String] = []
    private var lastID: String?
    private var ended = false
    private var task: Task<Void, Never>?

    init(headers: HTTPHeaders) { self.headers = headers }

    var events: [LiveClient.SSEEvent] { lock.withLock { received } }
    var comments: [String] { lock.withLock { commentLines } }
    /// The stream's last event id as EventSource keeps it: set at each blank line from the last
    /// `id:` field, even when no data (so no event) came with it.
    var lastEventID: String? { lock.withLock { lastID } }
    var isEnded: Bool { lock.withLock { ended } }

    func start(_ body: HTTPClientResponse.Body) {
        task = Task {
            var pending = ""
            var id: String?
            var event: String?
            var data: [String] = []
            do {
                for try await chunk in body {
                    pending += String(buffer: chunk)
                    while let newline = pending.firstIndex(of: "\n") {
                        let line = String(pending[..<newline])
                        pending = String(pending[pending.index(after: newline)...])
                        if line.isEmpty {
                            if let id { lock.withLock { lastID = id } }
                            if !data.isEmpty {
                                let complete = LiveClient.SSEEvent(id: id, event: event, data: data.joined(separator: "\n"))
                                lock.withLock { received.append(complete) }
                            }
                            id = nil
                            event = nil
                            data = []
                        } else if line.hasPrefix(":") {
                            lock.withLock { commentLines.append(String(line.dropFirst())) }
                        } else if line.hasPrefix("id: ") {
                            id = String(line.dropFirst(4))
                        } else if line.hasPrefix("event: ") {
                            event = String(line.dropFirst(7))
                        } else if line.hasPrefix("data: ") {
                            data.append(String(line.dropFirst(6)))
                        } else if line.hasPrefix("retry: ") {
                            lock.withLock { commentLines.append(line) }
                        }
                    }
                }
            } catch {}
            lock.withLock { ended = true }
        }
    }

    /// Waits until `count` received events match `filter` (or `seconds` pass); returns the matching events.
    func waitFor(_ count: Int, within seconds: Double = 20, where filter: (LiveClient.SSEEvent) -> Bool = { _ in true }) async -> [LiveClient.SSEEvent] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let matching = events.filter(filter)
            if matching.count >= count || ContinuousClock.now > deadline || isEnded { return matching }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func close() async {
        task?.cancel()
        _ = await task?.value
    }
}
