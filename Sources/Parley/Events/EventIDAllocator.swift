import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// Hands out event ids in increasing order from blocks drawn from the `event_ids` sequence, and
/// knows which ids are still in flight (reserved by a transaction that has not ended). Everything
/// at or below `horizon` is final: committed, rolled back, or never used.
final class EventIDAllocator: Sendable {
    static let blockSize: Int64 = 1000

    private struct State {
        var next: Int64 = 1
        var blockEnd: Int64 = 0
        var highestHandedOut: Int64
        var inFlight: Set<Int64> = []
        var lowestInFlight: Int64?
    }

    private let state: NIOLockedValueBox<State>
    /// Serialises drawing a new block, so that ids are handed out in increasing order overall.
    private let drawLock = NIOLock()

    /// - Parameter start: the highest id already in the log; nothing at or below it is in flight.
    init(start: Int64) {
        state = NIOLockedValueBox(State(highestHandedOut: start))
    }

    /// Reserves the next id; draws a new block through `connection` when the current one is used up.
    func reserve(using connection: MariaDBConnection) throws -> Int64 {
        try drawLock.withLock {
            if let id = take() { return id }
            let first = try Int64(mariaDBValue: connection.query("SELECT NEXTVAL(event_ids) AS first")[0].values[0])
            state.withLockedValue { state in
                state.next = max(first, state.highestHandedOut + 1)
                state.blockEnd = first + Self.blockSize - 1
            }
            guard let id = take() else { throw MariaDBError(code: 0, message: "the event id sequence is behind the log") }
            return id
        }
    }

    private func take() -> Int64? {
        state.withLockedValue { state in
            guard state.next <= state.blockEnd else { return nil }
            let id = state.next
            state.next += 1
            state.highestHandedOut = id
            state.inFlight.insert(id)
            if state.lowestInFlight == nil { state.lowestInFlight = id }
            return id
        }
    }

    /// Marks ids as final (their transaction committed or rolled back).
    func release(_ ids: [Int64]) {
        guard !ids.isEmpty else { return }
        state.withLockedValue { state in
            for id in ids { state.inFlight.remove(id) }
            if let lowest = state.lowestInFlight, ids.contains(lowest) { state.lowestInFlight = state.inFlight.min() }
        }
    }

    /// Waits (on the calling thread, a database thread) until every id below `id` is final, or
    /// `limit` passed. The ids in flight belong to transactions that already hold their connection,
    /// so they end without this thread.
    func waitUntilFinal(below id: Int64, limit: Duration) {
        let deadline = ContinuousClock.now + limit
        while horizon < id - 1, ContinuousClock.now < deadline { usleep(100) }
    }

    /// The highest id below which nothing can still commit.
    var horizon: Int64 {
        state.withLockedValue { state in
            if let lowest = state.lowestInFlight { return lowest - 1 }
            return state.highestHandedOut
        }
    }
}
