import Hummingbird
import MariaDB

/// `/healthz` (the process answers) and `/readyz` (the database answers too).
struct HealthController {
    let pool: MariaDBPool

    struct Status: ResponseEncodable {
        let status: String
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in Status(status: "ok") }
        router.get("/readyz") { _, _ in
            do {
                _ = try await pool.query("SELECT 1 AS one")
            } catch {
                throw ParleyError(.serviceUnavailable, "not_ready", "The database is not reachable.")
            }
            return Status(status: "ready")
        }
    }
}
