import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1

/// HTTP/1 as Hummingbird serves it (with HTTP/1.0 answered as 1.0: `HTTP10Handler`), except that each connection's requests are handled by tasks
/// that prefer the connection's own event loop. The request arrives on that loop, its handler runs
/// there, and its response is written there: a request crosses threads only where it must (to a
/// database thread and back). Without the preference the handling task ran wherever the global
/// executor put it, and each request hopped between loops, every hop a thread wake-up.
struct LoopBoundHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // Where the request still has its HTTP version (see `HTTP10Handler`).
            let codec = try channel.pipeline.syncOperations.handler(type: HTTP1ToHTTPServerCodec.self)
            try channel.pipeline.syncOperations.addHandler(HTTP10Handler(), position: .before(codec))
            return value
        }
    }

    static let enabled = ProcessInfo.processInfo.environment["PARLEY_LOOP_BOUND"] != "0"

    func handle(value: Value, logger: Logger) async {
        guard Self.enabled else { return await base.handle(value: value, logger: logger) }
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

/// Runs tasks' jobs on one event loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
