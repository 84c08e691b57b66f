import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// The benchmark scenarios, each against the running server.
struct Bench: Sendable {
    let port: Int
    let group: any EventLoopGroup

    func connect() async throws -> HTTPConnection {
        try await HTTPConnection.connect(host: "127.0.0.1", port: port, group: group)
    }

    /// Registers and logs in `count` users; returns their bearer tokens.
    func users(count: Int) async throws -> [String] {
        let tag = UInt32.random(in: 0...UInt32.max)
        return try await withThrowingTaskGroup(of: [(Int, String)].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let connection = try await connect()
                    defer { Task { await connection.close() } }
                    var tokens: [(Int, String)] = []
                    for index in stride(from: worker, to: count, by: 8) {
                        let body = #"{"username":"b\#(tag)u\#(index)","password":"benchmark-password"}"#
                        let created = try await connection.request(.POST, "/api/users", json: body)
                        guard created.status == 201 else { throw BenchError("register failed: \(created.status)") }
                        let login = try await connection.request(.POST, "/api/session", json: body)
                        let text = String(buffer: login.body)
                        guard let range = text.range(of: #""token":""#) else { throw BenchError("login failed: \(text)") }
                        tokens.append((index, String(text[range.upperBound...].prefix(64))))
                    }
                    return tokens
                }
            }
            var all: [Int: String] = [:]
            for try await tokens in group {
                for (index, token) in tokens { all[index] = token }
            }
            return (0..<count).map { all[$0]! }
        }
    }

    struct LatencyResult {
        let p50: Double
        let p99: Double
        let deliveredRatio: Double
        /// The sender's POST round trip (request written → response read), median: the part of
        /// the latency spent before the event exists.
        let postP50: Double
    }

    /// Listeners on one transport; two paced senders; latency from the moment a POST is written (on
    /// its event loop) to the moment a listener reads the event off its socket (on its event loop).
    func latency(transport: String, sender: String, listeners: [String], rate: Int, seconds: Int) async throws -> LatencyResult {
        let samples = NIOLockedValueBox<[UInt64]>([])
        samples.withLockedValue { $0.reserveCapacity(rate * seconds * listeners.count) }
        let stop = ManagedAtomicFlag()
        let ready = NIOLockedValueBox(0)
        let posts = NIOLockedValueBox<[UInt64]>([])
        let record: @Sendable (Int, UInt64, UInt64) -> Void = { _, sent, arrival in
            samples.withLockedValue { $0.append(arrival &- sent) }
        }
        var channels: [any Channel] = []
        for token in listeners {
            channels.append(
                try await StampListener.open(
                    mode: transport == "sse" ? .sse : .longPoll, token: token, port: port, group: group, stopped: stop,
                    onReady: { ready.withLockedValue { $0 += 1 } }, onStamp: { seq, sent, arrival in record(seq, sent, arrival) }))
        }
        while ready.withLockedValue({ $0 }) < listeners.count { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .seconds(1))

        // Two paced senders, each at half the rate, on their own connections, driven from their
        // event loops (each post is stamped on the loop just before it is written).
        let total = rate * seconds
        let senderCount = 2
        let interval = UInt64(1_000_000_000 / (rate / senderCount))
        let start = nowNanos() + 10_000_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for s in 0..<senderCount {
                group.addTask {
                    try await PacedSender.run(
                        token: sender, port: port, group: self.group, count: total / senderCount, interval: interval,
                        start: start + UInt64(s) * interval / UInt64(senderCount), stride: senderCount, offset: s,
                        onReply: { took in posts.withLockedValue { $0.append(took) } })
                }
            }
            try await group.waitForAll()
        }
        try await Task.sleep(for: .seconds(2))
        stop.set()
        for channel in channels { try? await channel.close() }
        let sorted = samples.withLockedValue { $0 }.sorted()
        if ProcessInfo.processInfo.environment["BENCH_SPREAD"] != nil {
            print("spread:", [0.01, 0.1, 0.25, 0.5, 0.75, 0.9].map { String(format: "p%g=%.2f", $0 * 100, percentile(sorted, $0)) }.joined(separator: " "))
        }
        return LatencyResult(
            p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), deliveredRatio: Double(sorted.count) / Double(total * listeners.count),
            postP50: percentile(posts.withLockedValue { $0 }.sorted(), 0.5))
    }

    struct Calibration {
        /// `GET /healthz` round trip, median: the server and loopback without the database.
        let httpP50: Double
        /// A 4 KiB write and `fdatasync` on the file system the database is on, median: the floor of a durable commit.
        let syncP50: Double
    }

    /// What the machine gives right now, measured beside each latency run: its figures move with
    /// them when the shared machine is busy.
    func calibrate(dataDirectory: String) async throws -> Calibration {
        let connection = try await connect()
        var http: [UInt64] = []
        for _ in 0..<300 {
            let start = nowNanos()
            let reply = try await connection.request(.GET, "/healthz")
            guard reply.status == 200 else { throw BenchError("healthz answered \(reply.status)") }
            http.append(nowNanos() - start)
        }
        await connection.close()
        let path = dataDirectory + "/bench-sync-probe"
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        guard fd >= 0 else { throw BenchError("cannot open \(path)") }
        defer {
            close(fd)
            unlink(path)
        }
        let block = [UInt8](repeating: 0x5A, count: 4096)
        var syncs: [UInt64] = []
        for index in 0..<200 {
            let start = nowNanos()
            guard pwrite(fd, block, block.count, off_t(index % 16) * 4096) == block.count, fdatasync(fd) == 0 else { throw BenchError("sync probe failed") }
            syncs.append(nowNanos() - start)
        }
        return Calibration(httpP50: percentile(http.sorted(), 0.5), syncP50: percentile(syncs.sorted(), 0.5))
    }

    /// Senders posting back to back on their own connections; returns committed messages per second.
    func throughput(senders: [String], seconds: Int) async throws -> Double {
        let deadline = nowNanos() + UInt64(seconds) * 1_000_000_000
        let start = nowNanos()
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, token) in senders.enumerated() {
                group.addTask {
                    let connection = try await connect()
                    var sent = 0
                    while nowNanos() < deadline {
                        let reply = try await connection.request(.POST, "/api/rooms/1/messages", json: #"{"text":"load \#(index) \#(sent)"}"#, token: token)
                        guard reply.status == 201 else { throw BenchError("post failed: \(reply.status) \(String(buffer: reply.body))") }
                        sent += 1
                    }
                    await connection.close()
                    return sent
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = Double(nowNanos() - start) / 1e9
        return Double(counts) / elapsed
    }

    struct FanoutResult {
        let allDelivered: [Double]
        let rssMegabytes: Double
    }

    /// `connections` SSE streams spread over `listeners` users; one message at a time, timed until
    /// every stream has it. Memory is read while the streams are idle.
    func fanout(connections: Int, listeners: [String], sender: String, runs: Int, rss: () -> Double) async throws -> FanoutResult {
        let received = NIOLockedValueBox<[Int: Int]>([:])  // seq -> streams that have it
        let lastArrival = NIOLockedValueBox<[Int: UInt64]>([:])
        let ready = NIOLockedValueBox(0)
        let stop = ManagedAtomicFlag()
        var streams: [any Channel] = []
        let onStamp: StampListener.OnStamp = { seq, _, arrival in
            received.withLockedValue { $0[seq, default: 0] += 1 }
            lastArrival.withLockedValue { $0[seq] = max($0[seq] ?? 0, arrival) }
        }
        // Connect in batches so the listen backlog is never the bottleneck.
        for batchStart in stride(from: 0, to: connections, by: 500) {
            let batch = try await withThrowingTaskGroup(of: (any Channel).self) { group in
                for index in batchStart..<min(connections, batchStart + 500) {
                    let token = listeners[index % listeners.count]
                    group.addTask {
                        try await StampListener.open(
                            mode: .sse, token: token, port: port, group: self.group, stopped: stop, onReady: { ready.withLockedValue { $0 += 1 } },
                            onStamp: onStamp)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            streams += batch
        }
        let connectDeadline = ContinuousClock.now + .seconds(120)
        while ready.withLockedValue({ $0 }) < connections && ContinuousClock.now < connectDeadline { try await Task.sleep(for: .milliseconds(100)) }
        guard ready.withLockedValue({ $0 }) == connections else { throw BenchError("only \(ready.withLockedValue { $0 }) of \(connections) streams opened") }
        try await Task.sleep(for: .seconds(2))
        let memory = rss()
        var durations: [Double] = []
        let connection = try await connect()
        for run in 0..<runs {
            let seq = 900_000 + run
            let sent = nowNanos()
            let reply = try await connection.request(.POST, "/api/rooms/1/messages", json: #"{"text":"bench \#(seq) \#(sent)"}"#, token: sender)
            guard reply.status == 201 else { throw BenchError("post failed") }
            let deadline = ContinuousClock.now + .seconds(30)
            while received.withLockedValue({ $0[seq] ?? 0 }) < connections && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            let got = received.withLockedValue { $0[seq] ?? 0 }
            guard got == connections else { throw BenchError("fan-out run \(run): \(got) of \(connections) streams received the message") }
            durations.append(Double((lastArrival.withLockedValue { $0[seq] } ?? sent) - sent) / 1e6)
            try await Task.sleep(for: .seconds(1))
        }
        stop.set()
        await connection.close()
        for stream in streams { try? await stream.close() }
        return FanoutResult(allDelivered: durations, rssMegabytes: memory)
    }
}

/// A flag set once, read from many tasks.
final class ManagedAtomicFlag: Sendable {
    private let value = NIOLockedValueBox(false)
    var isSet: Bool { value.withLockedValue { $0 } }
    func set() { value.withLockedValue { $0 = true } }
}
