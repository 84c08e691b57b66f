import Foundation
import Hummingbird
import MariaDB

/// [markNotificationsSeen] How far the user has looked at their notifications (an activity list's
/// "new" mark), kept for the account so that every device shows the same: it only moves forward,
/// and `notifications.seen` tells the user's other clients.
struct NotificationsSeenController {
    let log: EventLog
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/me/notifications/seen", use: markSeen)
    }

    struct Body: Decodable {
        let upTo: Int64
    }

    struct Answer: ResponseEncodable {
        let notificationsSeenId: Int64
    }

    struct SeenEvent: Encodable {
        let notificationsSeenId: Int64
    }

    /// [markNotificationsSeen] `up_to` is one of the user's notifications; an older one than the
    /// mark changes nothing.
    func markSeen(request: Request, context: AppRequestContext) async throws -> Answer {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: Body.self, context: context, limit: maxBodyBytes)
        let userID = session.user.id
        let upTo = body.upTo
        return Answer(
            notificationsSeenId: try await log.transaction { c, events in
                let current = try c.query("SELECT notifications_seen_id FROM users WHERE id = ? FOR UPDATE", [userID])[0]
                    .decode("notifications_seen_id", as: Int64.self)
                guard try c.query("SELECT id FROM notifications WHERE id = ? AND user_id = ?", [upTo, userID]).first != nil else {
                    throw ParleyError.notFound("notification_not_found", "No such notification of yours.")
                }
                guard upTo > current else { return current }
                try c.execute("UPDATE users SET notifications_seen_id = ? WHERE id = ?", [upTo, userID])
                try events.append(EventType.notificationsSeen, userID: userID, payload: SeenEvent(notificationsSeenId: upTo))
                return upTo
            })
    }

    /// The user's mark (0 before they saw any).
    static func mark(_ c: MariaDBConnection, userID: Int64) throws -> Int64 {
        try c.query("SELECT notifications_seen_id FROM users WHERE id = ?", [userID]).first?.decode("notifications_seen_id") ?? 0
    }
}
