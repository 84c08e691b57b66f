import CEpoll
import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// What this machine allows before Parley does anything, measured beside each latency run at the
/// same pace: the two costs every delivered message pays that no server code can remove.
enum Floor {
    struct Figures {
        /// A post's database work alone: `CALL post_message` (the server's own procedure, on copies of
        /// its tables), durably committed, median round trip in ms.
        let commitP50: Double
        /// One frame written to every listener's loopback TCP socket by one thread and read by two
        /// (as the generator does): median from the start of the writes to each arrival, in ms.
        let fanOutP50: Double
    }

    static func measure(dataDirectory: String, listeners: Int, interval: UInt64, samples: Int = 300) async throws -> Figures {
        let commit = try await onThread { try commitP50(socket: dataDirectory + "/db/mariadb.sock", interval: interval, samples: samples) }
        let fanOut = try await onThread { try fanOutP50(sockets: listeners, readers: 2, interval: interval, messages: samples) }
        return Figures(commitP50: commit, fanOutP50: fanOut)
    }

    /// Runs blocking work on a thread of its own (never on an event loop).
    private static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Swift.Result { try work() }) }
        }
    }

    private static func sleep(until deadline: UInt64) {
        let now = nowNanos()
        if deadline > now { usleep(UInt32((deadline - now) / 1000)) }
    }

    // MARK: Database

    static func commitP50(socket: String, interval: UInt64, samples: Int) throws -> Double {
        let connection = try MariaDBConnection(configuration: MariaDBConfiguration(user: "root", database: "parley", socket: socket))
        defer {
            try? connection.executeText("DROP DATABASE IF EXISTS bench_floor")
            connection.close()
        }
        try connection.executeText("DROP DATABASE IF EXISTS bench_floor")
        try connection.executeText("CREATE DATABASE bench_floor")
        // Every table the procedure touches (`rooms`: it takes the room's row first, sql/068; `room_mutes`: sql/069).
        for table in ["rooms", "room_members", "room_mutes", "messages", "events"] {
            try connection.executeText("CREATE TABLE bench_floor.\(table) LIKE parley.\(table)")
        }
        // `main`'s row, but for its generated columns (which take no value).
        let stored = try connection.query(
            """
            SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'parley' AND TABLE_NAME = 'rooms'
            AND EXTRA NOT LIKE '%GENERATED%' ORDER BY ORDINAL_POSITION
            """
        ).map { "`" + (try $0.decode("name", as: String.self)) + "`" }.joined(separator: ", ")
        try connection.executeText("INSERT INTO bench_floor.rooms (\(stored)) SELECT \(stored) FROM parley.rooms WHERE id = 1")
        try connection.executeText("INSERT INTO bench_floor.room_members SELECT * FROM parley.room_members WHERE room_id = 1 ORDER BY user_id LIMIT 1")
        let sender = try connection.query("SELECT user_id FROM bench_floor.room_members").first?.decode("user_id", as: Int64.self) ?? 0
        let procedure = try connection.query("SHOW CREATE PROCEDURE parley.post_message")
        guard let create = try procedure.first?.decode("Create Procedure", as: String.self) else { throw BenchError("post_message is missing") }
        try connection.executeText("USE bench_floor")
        try connection.executeText(create)
        // A payload the size of a real message.created event's.
        let head = #"{"message":{"client_id":null,"created_at":"2026-01-01T00:00:00.000Z","deleted":false,"edited_at":null,"id":"#
        let tail = #","mentions":[],"mentions_here":false,"mentions_room":false,"reply_to":null,"room_id":1,"sender":{"avatar_url":null,"display_name":"bench","id":1,"username":"bench"},"text":"floor"}}"#
        var times: [UInt64] = []
        var next = nowNanos()
        for index in 0..<samples {
            next += interval
            sleep(until: next)
            let start = nowNanos()
            let rows = try connection.query(
                "CALL post_message(?, 1, ?, ?, NULL, ?, ?, ?)", [Int64(index + 1), sender, "floor \(index)", Date(), head, tail])
            times.append(nowNanos() - start)
            guard try rows.first?.decode("message_id", as: Int64.self) ?? 0 > 0 else { throw BenchError("the floor's post was refused") }
        }
        return percentile(times.sorted(), 0.5)
    }

    // MARK: Fan-out

    /// Arrival stamps of one reader thread.
    private final class Reader: @unchecked Sendable {
        // @unchecked: `stamps` is written by the reader's thread only, and read after it finished.
        let descriptors: [Int32]
        var stamps: [UInt64] = []
        let finished = DispatchSemaphore(value: 0)
        init(descriptors: [Int32]) { self.descriptors = descriptors }
    }

    /// About the size of one SSE frame of a bench message.
    static let frameSize = 400

    static func fanOutP50(sockets count: Int, readers readerCount: Int, interval: UInt64, messages: Int) throws -> Double {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw BenchError("socket failed") }
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 1024) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound else { throw BenchError("cannot listen for the fan-out floor") }
        var writers: [Int32] = []
        var receivers: [Int32] = []
        defer { for fd in writers + receivers { close(fd) } }
        var one: Int32 = 1
        for _ in 0..<count {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) == 0 } }
            let server = accept(listener, nil, nil)
            guard client >= 0, connected, server >= 0 else { throw BenchError("cannot connect for the fan-out floor") }
            setsockopt(server, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            receivers.append(client)
            writers.append(server)
        }
        let sentAt = NIOLockedValueBox<UInt64>(0)
        let readers = (0..<readerCount).map { index in Reader(descriptors: stride(from: index, to: count, by: readerCount).map { receivers[$0] }) }
        for reader in readers {
            Thread.detachNewThread {
                let poll = epoll_create1(0)
                defer { close(poll) }
                for fd in reader.descriptors {
                    var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: fd))
                    epoll_ctl(poll, EPOLL_CTL_ADD, fd, &event)
                }
                var events = [epoll_event](repeating: epoll_event(), count: 64)
                var buffer = [UInt8](repeating: 0, count: 10 * frameSize)
                // Reads until nothing came for half a second (the writer has finished).
                while true {
                    let ready = epoll_wait(poll, &events, 64, 500)
                    if ready <= 0 { break }
                    for index in 0..<Int(ready) {
                        let got = read(events[index].data.fd, &buffer, buffer.count)
                        guard got > 0 else { continue }
                        let now = nowNanos()
                        let latency = now &- sentAt.withLockedValue { $0 }
                        // Frames arrive whole (one segment each); a late read may hold several.
                        for _ in 0..<(got / frameSize) { reader.stamps.append(latency) }
                    }
                }
                reader.finished.signal()
            }
        }
        let frame = [UInt8](repeating: UInt8(ascii: "x"), count: frameSize)
        var next = nowNanos()
        for _ in 0..<messages {
            next += interval
            sleep(until: next)
            sentAt.withLockedValue { $0 = nowNanos() }
            for fd in writers where write(fd, frame, frame.count) != frame.count { throw BenchError("fan-out floor write failed") }
        }
        for reader in readers { reader.finished.wait() }
        let stamps = readers.flatMap(\.stamps).sorted()
        guard stamps.count == count * messages else { throw BenchError("fan-out floor: \(stamps.count) of \(count * messages) frames read") }
        return percentile(stamps, 0.5)
    }
}
