import Foundation
import Logging
import ServiceLifecycle

/// Reads the log in id order up to the allocator's horizon and hands each batch to the hub.
/// A local commit wakes it at once; it does no work while nothing commits.
final class EventTailer: Service, Sendable {
    let log: EventLog
    let hub: EventHub
    let allocator: EventIDAllocator
    let logger: Logger
    let heartbeatInterval: Duration
    private let wakes: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    static let batchLimit = 2000

    init(log: EventLog, hub: EventHub, allocator: EventIDAllocator, heartbeatInterval: Duration, logger: Logger) {
        self.log = log
        self.hub = hub
        self.allocator = allocator
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
        (wakes, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the tailer to look for newly committed events.
    func wake() { wakeContinuation.yield() }

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

    private func tail() async {
        var cursor = hub.position
        var iterator = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            let horizon = allocator.horizon
            if horizon > cursor {
                do {
                    let events = try await log.read(after: cursor, through: horizon, limit: Self.batchLimit)
                    let through = events.count == Self.batchLimit ? events[events.count - 1].id : horizon
                    hub.publish(events, through: through)
                    cursor = through
                    continue
                } catch {
                    logger.warning("event tailer could not read the log; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(200))
                    continue
                }
            }
            guard await iterator.next() != nil else { return }
        }
    }

    /// Sends every subscription an empty batch now and then, which SSE turns into a heartbeat comment.
    private func beat() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: heartbeatInterval)
            hub.heartbeat()
        }
    }
}
