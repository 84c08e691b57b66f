import Foundation
import NIOConcurrencyHelpers
import Logging
import ServiceLifecycle

/// Publishes committed events to the hub in id order, up to the allocator's horizon: an id above
/// it may still commit, so nothing past it is published yet. Commits of this process arrive from
/// `EventLog` in memory (no read-back query), and the thread that releases ids publishes what that
/// lets through at once (no task to wake in between); it does no work while nothing commits. With
/// several nodes (not built yet) it would also read other nodes' events from the log up to the
/// lowest horizon of the live nodes.
final class EventTailer: Service, Sendable {
    let hub: EventHub
    let allocator: EventIDAllocator
    let logger: Logger
    let heartbeatInterval: Duration
    private let wakes: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    /// Committed events not yet published, by id.
    private let pending = NIOLockedValueBox<[Int64: LoggedEvent]>([:])
    /// One publisher at a time, so that events go out in id order.
    private let publishing = NSLock()
    /// Set by every wake; the publisher looks again while it is set, so a wake that finds another
    /// thread publishing can leave its events to that thread instead of waiting for it.
    private let dirty = NIOLockedValueBox(false)
    static let batchLimit = 2000

    init(hub: EventHub, allocator: EventIDAllocator, heartbeatInterval: Duration, logger: Logger) {
        self.hub = hub
        self.allocator = allocator
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
        (wakes, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Takes committed events; call it before their ids are released, and `wake()` after.
    func committed(_ events: [LoggedEvent]) {
        pending.withLockedValue { pending in
            for event in events { pending[event.id] = event }
        }
    }

    /// Looks at the horizon again: after a release, which may let events through (a rolled-back
    /// id included: it may have held back events committed after it). Publishes on the caller's thread.
    func wake() { drain() }

    /// Publishes every committed event up to the horizon, in id order. Under load, one thread
    /// publishes for many commits at a time.
    func drain() {
        dirty.withLockedValue { $0 = true }
        while dirty.withLockedValue({ $0 }) && publishing.try() {
            dirty.withLockedValue { $0 = false }
            publishUpToHorizon()
            publishing.unlock()
        }
    }

    private func publishUpToHorizon() {
        let horizon = allocator.horizon
        guard horizon > hub.position else { return }
        // Every id up to the horizon is final: committed (and handed over) or never to appear.
        let events = pending.withLockedValue { pending -> [LoggedEvent] in
            let ready = pending.values.filter { $0.id <= horizon }.sorted { $0.id < $1.id }
            for event in ready { pending[event.id] = nil }
            return ready
        }
        hub.publish(events, through: horizon)
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.tail() }
                group.addTask { await self.beat() }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.wakeContinuation.finish()
            self.hub.finishAll()
        }
    }

    /// Publishes anything committed before the service started, then waits for shutdown (commits
    /// publish through `wake`).
    private func tail() async {
        drain()
        var iterator = wakes.makeAsyncIterator()
        while await iterator.next() != nil { drain() }
    }

    /// Sends every subscription an empty batch now and then, which SSE turns into a heartbeat comment.
    private func beat() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: heartbeatInterval)
            hub.heartbeat()
        }
    }
}
