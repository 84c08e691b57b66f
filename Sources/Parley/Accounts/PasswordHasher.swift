import CCrypt
import Foundation
import NIOPosix

/// bcrypt (`$2b$`) through libcrypt, run on its own thread pool so hashing never blocks an event
/// loop or Swift's cooperative threads (one hash at cost 12 takes ~190 ms of CPU).
struct PasswordHasher: Sendable {
    let cost: Int
    let threadPool: NIOThreadPool

    /// bcrypt reads at most 72 bytes; longer passwords are refused rather than silently truncated.
    static let maxPasswordBytes = 72
    static let minPasswordBytes = 8

    /// The form a password is hashed in: composed (NFC), so that the same characters typed on
    /// another system (macOS and iOS may send them decomposed) match; as given when composing
    /// would take it past bcrypt's 72 bytes.
    static func hashed(_ password: String) -> String {
        let composed = password.precomposedStringWithCanonicalMapping
        return composed.utf8.count <= maxPasswordBytes ? composed : password
    }

    /// Hashes a password (its `hashed` form) with a fresh random salt.
    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        let password = Self.hashed(password)
        return try await threadPool.runIfActive {
            var setting = [CChar](repeating: 0, count: 64)
            guard crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else {
                throw PasswordHashingError(message: "crypt_gensalt_rn failed: errno \(errno)")
            }
            return try Self.crypt(password, setting: setting)
        }
    }

    /// Whether `password` matches `hash`, compared in constant time: in its `hashed` form, or
    /// (only when that differs) as given, which is how hashes made before passwords were composed
    /// hold a password typed decomposed.
    func verify(_ password: String, against hash: String) async throws -> Bool {
        let composed = Self.hashed(password)
        if try await verifyExactly(composed, against: hash) { return true }
        // Compared by bytes: Swift's `==` holds the two forms equal.
        return composed.utf8.elementsEqual(password.utf8) ? false : try await verifyExactly(password, against: hash)
    }

    private func verifyExactly(_ password: String, against hash: String) async throws -> Bool {
        // bcrypt reads a C string of at most 72 bytes: "the password", a NUL and anything after it,
        // or anything past its 72nd byte, hashes as the password itself. No password holds either
        // (`AccountRules`, room passwords), so such a text is never it, whoever asks (re-entering
        // it to make a token or change it took one, a hunt). The hash is still computed, so the
        // answer takes as long.
        let possible = password.utf8.count <= Self.maxPasswordBytes && !password.utf8.contains(0)
        return try await threadPool.runIfActive {
            let computed = try Self.crypt(password, setting: Array(hash.utf8CString))
            return constantTimeEqual(Array(computed.utf8), Array(hash.utf8)) && possible
        }
    }

    private static func crypt(_ password: String, setting: [CChar]) throws -> String {
        // struct crypt_data is 32 KiB: keep it off the thread's stack, zeroed as crypt_r requires.
        let data = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<crypt_data>.size, alignment: MemoryLayout<crypt_data>.alignment)
        data.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
        defer { data.deallocate() }
        guard let result = crypt_r(password, setting, data.assumingMemoryBound(to: crypt_data.self)) else {
            throw PasswordHashingError(message: "crypt_r failed: errno \(errno)")
        }
        let text = String(cString: result)
        guard !text.hasPrefix("*") else { throw PasswordHashingError(message: "crypt_r rejected the setting") }
        return text
    }
}

/// libcrypt could not hash (bad setting or out of memory): a server fault, answered as a 500.
struct PasswordHashingError: Error {
    let message: String
}
