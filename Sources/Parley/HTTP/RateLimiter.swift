import Foundation
import NIOConcurrencyHelpers

/// In-process token buckets keyed by a string (an address or a username), one limiter per rule.
final class RateLimiter: Sendable {
    let limit: RateLimit
    private let buckets = NIOLockedValueBox<[String: Bucket]>([:])

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    init(_ limit: RateLimit) { self.limit = limit }

    /// Takes one token for `key`, or throws 429 `rate_limited` with the seconds until one is free.
    func consume(_ key: String, now: ContinuousClock.Instant = .now) throws {
        let perSecond = Double(limit.burst) / (Double(limit.per.components.seconds) + Double(limit.per.components.attoseconds) / 1e18)
        let wait: Double? = buckets.withLockedValue { buckets in
            if buckets.count > 50_000 { Self.sweep(&buckets, now: now, perSecond: perSecond, burst: Double(limit.burst)) }
            var bucket = buckets[key] ?? Bucket(tokens: Double(limit.burst), updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(Double(limit.burst), bucket.tokens + seconds * perSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return (1 - bucket.tokens) / perSecond
        }
        if let wait { throw ParleyError.rateLimited(retryAfter: max(1, Int(wait.rounded(.up)))) }
    }

    /// Runs `body` after `consume`, giving the token back when it throws: for rules that count only
    /// what gets done (a refused request wrote nothing).
    func refunding<T>(_ key: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            buckets.withLockedValue { buckets in
                guard var bucket = buckets[key] else { return }
                bucket.tokens = min(Double(limit.burst), bucket.tokens + 1)
                buckets[key] = bucket
            }
            throw error
        }
    }

    /// Drops buckets that have refilled completely: they hold no information.
    private static func sweep(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant, perSecond: Double, burst: Double) {
        buckets = buckets.filter { _, bucket in
            let elapsed = now - bucket.updated
            return bucket.tokens + Double(elapsed.components.seconds) * perSecond < burst
        }
    }
}
