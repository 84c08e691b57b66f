import Foundation
import Logging

/// Every waiting client holds a connection, and every connection a file descriptor. Shells and
/// services often start processes with a soft limit of 1,024 open files under a much higher hard
/// limit, which would cap the server near a thousand clients (new ones waiting in the accept
/// queue). So the server raises its soft limit to the hard one when it starts, as nginx's
/// `worker_rlimit_nofile` or Go's runtime do.
enum FileLimit {
    /// The most a soft limit may be raised to without privileges, whatever the hard limit says.
    static let kernelCeiling: rlim_t = {
        let text = (try? String(contentsOfFile: "/proc/sys/fs/nr_open", encoding: .utf8)) ?? ""
        return rlim_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1_048_576
    }()

    /// Raises the soft limit on open files to the hard limit; returns (before, after).
    @discardableResult
    static func raise() -> (before: Int, after: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        let before = limit.rlim_cur
        let target = min(limit.rlim_max, kernelCeiling)
        if target > before {
            limit.rlim_cur = target
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 { limit.rlim_cur = before }
        }
        return (Int(clamping: before), Int(clamping: limit.rlim_cur))
    }

    /// Raises the limit and says what it is; warns when it leaves room for only a few thousand clients.
    static func raise(logger: Logger) {
        let (before, after) = raise()
        let metadata: Logger.Metadata = ["soft_before": "\(before)", "soft": "\(after)"]
        if after < 4096 {
            logger.warning("the open-file limit caps the server near this many connections; raise the hard limit (ulimit -Hn, LimitNOFILE=)", metadata: metadata)
        } else {
            logger.info("open-file limit", metadata: metadata)
        }
    }
}
