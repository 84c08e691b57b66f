import NIOCore

#if PARLEY_TRACE
import Foundation
import NIOConcurrencyHelpers
#endif

/// Where the time of a benchmark post goes inside the server: each stage of the post and of its
/// delivery is stamped against the send time the load generator wrote into the message's text
/// (`bench <seq> <sent nanoseconds>`, CLOCK_MONOTONIC). Compiled in only with `-DPARLEY_TRACE`
/// (`scripts/bench --trace`); in any other build every call here is empty and inlined away.
/// With `PARLEY_TRACE=<file>` set, a trace build writes to `<file>` the median of each stage over
/// the posts so far, once the posts pause for a second.
public enum PostTrace {
    enum Stage: Int, CaseIterable {
        /// The POST's body reached the server's pipeline (before Hummingbird).
        case requestRead = 1
        /// The `push` handler runs: routed, authenticated, decoded, rate limited.
        case handler
        /// The post's work started on a database thread.
        case databaseThread
        /// `CALL post_message` is about to go out.
        case callSent
        /// The procedure answered: the message and its event are committed.
        case callReturned
        /// The event was handed to the hub (which queued it for every stream).
        case published
        /// An event loop started writing one stream's event (once per stream).
        case writeStarted
        /// That stream's bytes were written and flushed to its socket (once per stream).
        case written

        var label: String {
            switch self {
            case .requestRead: "request read by the server"
            case .handler: "push handler entered"
            case .databaseThread: "on a database thread"
            case .callSent: "CALL post_message sent"
            case .callReturned: "CALL returned (committed)"
            case .published: "event handed to the hub"
            case .writeStarted: "a loop starts a stream's write"
            case .written: "a stream's write flushed"
            }
        }
    }

    #if PARLEY_TRACE
    private static let path = ProcessInfo.processInfo.environment["PARLEY_TRACE"]
    private static let marks = NIOLockedValueBox<[(sent: UInt64, stage: Stage, at: UInt64)]>([])
    /// Each traced post's send time by its event id, for the stages that see only the event.
    private static let sentByEvent = NIOLockedValueBox<[Int64: UInt64]>([:])

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// The send time in a benchmark text, `… bench <seq> <sent> …`.
    private static func sent(in text: Substring) -> UInt64? {
        guard let start = text.range(of: "bench ") else { return nil }
        let fields = text[start.upperBound...].split(separator: " ", maxSplits: 2)
        guard fields.count >= 2 else { return nil }
        return UInt64(fields[1].prefix { $0.isNumber })
    }

    private static func record(_ stage: Stage, _ sent: UInt64?) {
        guard path != nil, let sent else { return }
        let at = now()
        marks.withLockedValue { $0.append((sent, stage, at)) }
    }
    #endif

    @inline(__always) static func mark(_ stage: Stage, text: String) {
        #if PARLEY_TRACE
        record(stage, sent(in: Substring(text)))
        #endif
    }

    @inline(__always) static func mark(_ stage: Stage, body: ByteBuffer) {
        #if PARLEY_TRACE
        record(stage, sent(in: Substring(String(buffer: body))))
        #endif
    }

    /// Remembers the send time of `text`'s post for its event.
    @inline(__always) static func link(event: Int64, text: String) {
        #if PARLEY_TRACE
        if path != nil, let sent = sent(in: Substring(text)) { sentByEvent.withLockedValue { $0[event] = sent } }
        #endif
    }

    @inline(__always) static func mark(_ stage: Stage, event: Int64?) {
        #if PARLEY_TRACE
        guard path != nil, let event else { return }
        record(stage, sentByEvent.withLockedValue { $0[event] })
        #endif
    }

    /// Starts the thread that writes the summary (a trace build with `PARLEY_TRACE` set only). It
    /// takes the marks once a second (holding the lock only to swap the array) and writes the file
    /// only after a second with no new marks, so that it does no work while posts are being timed.
    public static func start() {
        #if PARLEY_TRACE
        guard let path else { return }
        Thread.detachNewThread {
            var byPost: [UInt64: [Stage: [UInt64]]] = [:]
            var changed = false
            while true {
                Thread.sleep(forTimeInterval: 1)
                let taken = marks.withLockedValue { marks in
                    defer { marks = [] }
                    return marks
                }
                for mark in taken {
                    byPost[mark.sent, default: [:]][mark.stage, default: []].append(mark.at > mark.sent ? mark.at - mark.sent : 0)
                }
                if taken.isEmpty && changed { try? summary(byPost).write(toFile: path, atomically: true, encoding: .utf8) }
                changed = !taken.isEmpty
            }
        }
        #endif
    }

    #if PARLEY_TRACE
    /// One line per stage: the median over posts of the time since the send, in ms; for the
    /// per-stream stages, of the first, the median and the last stream of each post.
    private static func summary(_ byPost: [UInt64: [Stage: [UInt64]]]) -> String {
        var lines = ["posts traced: \(byPost.count)"]
        func median(_ values: [UInt64]) -> String {
            let sorted = values.sorted()
            return sorted.isEmpty ? "-" : String(format: "%.3f", Double(sorted[sorted.count / 2]) / 1e6)
        }
        for stage in Stage.allCases {
            let perPost = byPost.values.compactMap { $0[stage]?.sorted() }
            guard !perPost.isEmpty else { continue }
            if stage == .writeStarted || stage == .written {
                let first = median(perPost.map { $0[0] })
                let middle = median(perPost.map { $0[$0.count / 2] })
                let last = median(perPost.map { $0[$0.count - 1] })
                lines.append("\(stage.rawValue) \(stage.label): first \(first) ms, median stream \(middle) ms, last \(last) ms")
            } else {
                lines.append("\(stage.rawValue) \(stage.label): \(median(perPost.map { $0[0] })) ms")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
    #endif
}
