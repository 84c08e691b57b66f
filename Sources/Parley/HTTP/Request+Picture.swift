import Hummingbird
import NIOCore

extension Request {
    /// The body as a picture (an avatar, a custom emoji), before it is decoded: at most `maxBytes`
    /// (`tooLarge`, at once when Content-Length says more), and PNG, JPEG, GIF or WebP by its own
    /// bytes (`invalid` otherwise). The declared type is not trusted, and SVG, which can carry
    /// script, is none of these.
    func picture(maxBytes: Int, tooLarge: ParleyError, invalid: ParleyError) async throws -> (bytes: [UInt8], info: ImageInfo) {
        if let length = headers[.contentLength].flatMap({ Int($0) }), length > maxBytes { throw tooLarge }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        } catch {
            throw ParleyError.unreadableBody
        }
        let bytes = Array(buffer.readableBytesView)
        guard let info = ImageInfo.read(bytes) else { throw invalid }
        return (bytes, info)
    }
}
