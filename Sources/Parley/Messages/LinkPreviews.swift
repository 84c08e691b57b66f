import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import Logging
import MariaDB
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// What a message shows of a web page it links to: its title, description and site name, as the
/// page's Open Graph tags (or its `<title>` and description) give them.
public struct LinkPreview: Codable, Sendable, Equatable {
    public let url: String
    public let title: String
    public let description: String?
    public let siteName: String?
    /// The page's picture (`og:image`) made small and served by Parley, never fetched from the site
    /// by readers; with its size.
    public var imageUrl: String? = nil
    public var imageWidth: Int? = nil
    public var imageHeight: Int? = nil

    enum CodingKeys: String, CodingKey { case url, title, description, siteName, imageUrl, imageWidth, imageHeight }

    // Spelled out so that absent values are sent as null rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(url, forKey: .url)
        try c.encode(title, forKey: .title)
        try c.encode(description, forKey: .description)
        try c.encode(siteName, forKey: .siteName)
        try c.encode(imageUrl, forKey: .imageUrl)
        try c.encode(imageWidth, forKey: .imageWidth)
        try c.encode(imageHeight, forKey: .imageHeight)
    }

    /// The list stored in `messages.preview_summary`.
    static func decodeList(_ text: String) throws -> [LinkPreview] {
        try ParleyJSON.decoder().decode([LinkPreview].self, from: Data(text.utf8))
    }

    static func encodedList(_ previews: [LinkPreview]) throws -> String {
        String(decoding: try ParleyJSON.encoder().encode(previews), as: UTF8.self)
    }
}

/// Which addresses the server fetches previews from (`PARLEY_LINK_PREVIEWS`).
public enum LinkPreviewPolicy: String, Sendable, CaseIterable {
    /// Only hosts whose every address is a public internet address (the default): no loopback,
    /// private, link-local, shared, multicast or reserved ranges, so a message cannot make the
    /// server read its own network.
    case `public`
    /// Any address, loopback and private networks included: for a server whose users link to an
    /// intranet, and for tests.
    case any
    /// No previews.
    case off
}

/// The links of a message that get previews: `http` and `https` URLs outside code, at most three,
/// each once, in the order written.
enum MessageLinks {
    static let maxLinks = 3
    static let maxLength = 2048

    static func find(_ text: String?) -> [String] {
        // Every post asks: most have no "://" at all.
        guard let text, text.utf8.firstRange(of: "://".utf8) != nil else { return [] }
        var links: [String] = []
        // Code (between backticks) is shown as typed, not as links.
        var inCode = false
        var previous: Character = " "
        var index = text.startIndex
        // Starts tried in the word the last try ended in, and that end: a word of many `(http://`
        // is not scanned to its end from each (which was quadratic); after a few tries it is skipped.
        var tries = 0
        var wordEnd = text.startIndex
        while index < text.endIndex, links.count < maxLinks {
            let character = text[index]
            if character == "`" {
                var end = index
                while end < text.endIndex, text[end] == "`" { end = text.index(after: end) }
                inCode.toggle()
                previous = "`"
                index = end
                continue
            }
            if !inCode, character == "h" || character == "H", previous.isWhitespace || "([<\"'*_~".contains(previous) {
                let (url, end) = link(at: index, in: text)
                if let url {
                    if !links.contains(url) { links.append(url) }
                    previous = " "
                    index = end
                    continue
                }
                if end > index {
                    tries = index < wordEnd ? tries + 1 : 1
                    wordEnd = end
                    if tries >= 4 {
                        previous = " "
                        index = end
                        continue
                    }
                }
            }
            previous = character
            index = text.index(after: index)
        }
        return links
    }

    /// The URL starting at `start`, with trailing punctuation left out, when it is a valid http(s) URL;
    /// and where the word it is in ends (`start` when it does not start like a URL).
    private static func link(at start: String.Index, in text: String) -> (url: String?, end: String.Index) {
        let rest = text[start...]
        guard rest.prefix(8).lowercased().hasPrefix("https://") || rest.prefix(7).lowercased().hasPrefix("http://") else { return (nil, start) }
        var end = start
        while end < text.endIndex, !text[end].isWhitespace, !"<>\"`".contains(text[end]) { end = text.index(after: end) }
        var candidate = text[start..<end]
        // Punctuation that ends a sentence or closes a bracket around the link is not part of it.
        // (The brackets are counted once: each `)` left out is one fewer.)
        let opened = candidate.reduce(0) { $1 == "(" ? $0 + 1 : $0 }
        var closed = candidate.reduce(0) { $1 == ")" ? $0 + 1 : $0 }
        while let last = candidate.last {
            if ".,;:!?'*_~]}".contains(last) {
                candidate = candidate.dropLast()
            } else if last == ")", opened < closed {
                candidate = candidate.dropLast()
                closed -= 1
            } else {
                break
            }
        }
        let url = String(candidate)
        guard url.utf8.count <= maxLength, let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return (nil, end) }
        return (url, end)
    }
}

/// Fetches link previews after messages are posted or edited, off the posting path: a post's answer
/// and its `message.created` event come first, with no previews; `message.previews` follows to the
/// room when pages were read. At most four fetches run at once; a backlog beyond 256 messages is
/// dropped (those messages go without previews).
final class LinkPreviews: Sendable {
    struct Job: Sendable {
        let messageID: Int64
        let links: [String]
    }

    let policy: LinkPreviewPolicy
    let log: EventLog
    let logger: Logger
    let fetcher: PageFetcher
    let cache = PreviewCache()
    private let jobs: AsyncStream<Job>
    private let queue: AsyncStream<Job>.Continuation

    static let concurrentFetches = 4

    init(policy: LinkPreviewPolicy, log: EventLog, logger: Logger) {
        self.policy = policy
        self.log = log
        self.logger = logger
        // Name lookups block a thread for as long as the resolver takes: on threads of their own, so
        // that a slow resolver holds up nothing else (NIO's shared pool also reads files).
        let resolver = NIOThreadPool(numberOfThreads: 2)
        resolver.start()
        fetcher = PageFetcher(policy: policy, logger: logger, resolver: resolver)
        (jobs, queue) = AsyncStream.makeStream(of: Job.self, bufferingPolicy: .bufferingOldest(256))
    }

    /// Queues the links of a message just posted or edited; cheap when there are none.
    func enqueue(messageID: Int64, text: String?) {
        guard policy != .off else { return }
        let links = MessageLinks.find(text)
        guard !links.isEmpty else { return }
        queue.yield(Job(messageID: messageID, links: links))
    }

    /// Runs the queue until graceful shutdown.
    func run() async {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for await job in self.jobs {
                    if running >= Self.concurrentFetches {
                        await group.next()
                        running -= 1
                    }
                    group.addTask { await self.handle(job) }
                    running += 1
                }
            }
        }
        try? await fetcher.resolver.shutdownGracefully()
    }

    private func handle(_ job: Job) async {
        var previews: [LinkPreview] = []
        for link in job.links {
            if Task.isCancelled { return }
            if let preview = await preview(of: link) { previews.append(preview) }
        }
        guard !previews.isEmpty else { return }
        let found = previews
        do {
            try await log.transaction { c, events in
                // The message may have been edited or deleted since (its previews then wait for the
                // edit's own job, or for nothing), or its previews removed (`[]`: none, for good).
                guard
                    let row = try c.query(
                        "SELECT room_id, text, deleted_at, preview_summary FROM messages WHERE id = ? FOR UPDATE", [job.messageID]
                    ).first,
                    try row.decode("deleted_at", as: Date?.self) == nil, try row.decode("preview_summary", as: String?.self) == nil,
                    MessageLinks.find(try row.decode("text", as: String?.self)) == job.links
                else { return }
                let roomID: Int64 = try row.decode("room_id")
                try c.execute("UPDATE messages SET preview_summary = ? WHERE id = ?", [try LinkPreview.encodedList(found), job.messageID])
                for hash in Set(found.compactMap { $0.imageUrl.flatMap(PreviewImageController.hash(of:)) }) {
                    try c.execute("INSERT IGNORE INTO message_preview_images (message_id, hash) VALUES (?, UNHEX(?))", [job.messageID, hash])
                }
                try events.append(
                    EventType.messagePreviews, roomID: roomID, payload: PreviewsEvent(roomId: roomID, messageId: job.messageID, previews: found))
            }
        } catch {
            logger.warning("link previews not saved", metadata: ["message": "\(job.messageID)", "error": "\(error)"])
        }
    }

    /// How long a picture no message shows is kept: longer than the cache keeps a preview naming it
    /// and than any job takes between storing it and writing the preview.
    static let unusedImageLifetime = 3600

    /// Deletes the pictures that no message has shown for an hour (their messages deleted or edited,
    /// their previews removed); returns how many.
    static func sweepImages(_ pool: MariaDBPool) async throws -> Int {
        var swept = 0
        while true {
            let deleted = try await pool.execute(
                """
                DELETE FROM preview_images WHERE touched_at < NOW(3) - INTERVAL ? SECOND
                AND NOT EXISTS (SELECT 1 FROM message_preview_images r WHERE r.hash = preview_images.hash) LIMIT 100
                """, [unusedImageLifetime]
            ).affectedRows
            swept += Int(deleted)
            if deleted == 0 { return swept }
        }
    }

    struct PreviewsEvent: Encodable {
        let roomId: Int64
        let messageId: Int64
        let previews: [LinkPreview]
    }

    /// The preview of one link, from the cache or the page; nil when there is none to show. Its
    /// picture is stored before the preview names it (and is cached), so every `image_url` given
    /// out is served.
    func preview(of link: String) async -> LinkPreview? {
        if let cached = cache.get(link) { return cached.preview }
        guard let fetched = await fetcher.preview(of: link) else {
            if !Task.isCancelled { cache.put(link, nil) }
            return nil
        }
        var preview = fetched.preview
        if let image = fetched.image {
            let hash = SHA256.hash(data: image.data).map { String(format: "%02x", $0) }.joined()
            do {
                // Stored again, the same picture is young again: the sweep leaves it to the preview.
                try await log.pool.execute(
                    """
                    INSERT INTO preview_images (hash, data, width, height, touched_at) VALUES (UNHEX(?), ?, ?, ?, NOW(3))
                    ON DUPLICATE KEY UPDATE touched_at = NOW(3)
                    """, [hash, image.data, image.width, image.height])
                preview.imageUrl = PreviewImageController.url(hash: hash)
                preview.imageWidth = image.width
                preview.imageHeight = image.height
            } catch {
                logger.warning("link preview picture not stored", metadata: ["url": "\(link)", "error": "\(error)"])
            }
        }
        if !Task.isCancelled { cache.put(link, preview) }
        return preview
    }
}

/// Reads web pages for their previews, from the addresses `policy` allows.
struct PageFetcher: Sendable {
    let policy: LinkPreviewPolicy
    let logger: Logger
    /// Where names are resolved (`getaddrinfo` blocks).
    var resolver: NIOThreadPool = .singleton

    /// How long one link may take, redirects included.
    static let linkDeadline: TimeAmount = .seconds(8)
    /// The most of a page that is read: the tags are in its head.
    static let maxPageBytes = 512 * 1024
    static let maxRedirects = 3

    /// What a page gave: its preview, and its picture made small when it names one that could be read.
    struct Fetched: Sendable {
        let preview: LinkPreview
        let image: Thumbnails.Made?
    }

    /// A picture is read if it is at most this large, and made at most this many pixels a side.
    static let maxImageBytes = 5 * 1024 * 1024
    static let imageBox = 400
    static let imageDeadline: TimeAmount = .seconds(6)

    /// The preview of the page at `link`; nil when there is none (refused, unreachable, not HTML,
    /// not 200, or without a title).
    func preview(of link: String) async -> Fetched? {
        do {
            guard
                let page = try await get(
                    link, deadline: .now() + Self.linkDeadline, maxBytes: Self.maxPageBytes, cut: true,
                    types: "text/html,application/xhtml+xml;q=0.9", accept: { $0.hasPrefix("text/html") || $0.hasPrefix("application/xhtml+xml") })
            else { return nil }
            let meta = PageMeta.parse(Self.decode(page.bytes, contentType: page.contentType))
            guard let preview = meta.preview(url: link) else { return nil }
            var image: Thumbnails.Made?
            if let source = meta.imageSource, let absolute = URL(string: source, relativeTo: URL(string: page.url))?.absoluteString {
                do {
                    image = try await picture(absolute)
                } catch {
                    logger.debug("no link preview picture", metadata: ["url": "\(absolute)", "error": "\(error)"])
                }
            }
            return Fetched(preview: preview, image: image)
        } catch {
            logger.debug("no link preview", metadata: ["url": "\(link)", "error": "\(error)"])
            return nil
        }
    }

    /// The picture at `url` (PNG, JPEG, GIF or WebP, whole, at most 5 MiB) made at most 400 pixels
    /// a side, as WebP, off the cooperative threads.
    func picture(_ url: String) async throws -> Thumbnails.Made? {
        guard
            let body = try await get(
                url, deadline: .now() + Self.imageDeadline, maxBytes: Self.maxImageBytes, cut: false,
                types: "image/webp,image/png,image/jpeg,image/gif", accept: { $0.hasPrefix("image/") }),
            let info = ImageInfo.read(body.bytes)
        else { return nil }
        return try await resolver.runIfActive { Thumbnails.make(body.bytes, info, box: Self.imageBox) }
    }

    struct Refused: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A 200 answer's body (and type, and the URL it came from), asked for as `types` and of a type
    /// `accept` takes; nil for any other answer. Up to three redirects are followed, each checked
    /// against the policy as the first address was; the connection goes to the very address that
    /// was checked. A body over `maxBytes` is cut there (`cut`) or refused.
    private func get(
        _ url: String, deadline: NIODeadline, maxBytes: Int, cut: Bool, types: String, accept: (String) -> Bool
    ) async throws -> (bytes: [UInt8], contentType: String, url: String)? {
        var target = url
        for _ in 0...Self.maxRedirects {
            guard let components = URLComponents(string: target), let scheme = components.scheme?.lowercased(),
                scheme == "http" || scheme == "https", var host = components.host, !host.isEmpty
            else { throw Refused("not an http(s) URL") }
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            let address = try await Self.checkedAddress(host: host, policy: policy, resolver: resolver)
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow
            configuration.timeout = .init(connect: .seconds(4), read: .seconds(5))
            configuration.httpVersion = .http1Only
            if address != host { configuration.dnsOverride = [host: address] }
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            let outcome: Outcome
            do {
                outcome = try await Self.read(
                    client: client, url: target, deadline: deadline, maxBytes: maxBytes, cut: cut, types: types, accept: accept)
                try? await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
            switch outcome {
            case .body(let bytes, let type):
                return (bytes, type, target)
            case .redirect(let location):
                guard let next = URL(string: location, relativeTo: URL(string: target))?.absoluteString else { throw Refused("bad redirect") }
                target = next
            case .nothing:
                return nil
            }
        }
        throw Refused("too many redirects")
    }

    private enum Outcome {
        case body([UInt8], String)
        case redirect(String)
        case nothing
    }

    private static func read(
        client: HTTPClient, url: String, deadline: NIODeadline, maxBytes: Int, cut: Bool, types: String, accept: (String) -> Bool
    ) async throws -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: "Mozilla/5.0 (compatible; ParleyLinkPreview/1.0)")
        request.headers.add(name: "Accept", value: types)
        let response = try await client.execute(request, deadline: deadline)
        if [301, 302, 303, 307, 308].contains(response.status.code), let location = response.headers.first(name: "Location") {
            return .redirect(location)
        }
        let type = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        guard response.status.code == 200, accept(type) else { return .nothing }
        var bytes: [UInt8] = []
        for try await buffer in response.body {
            guard bytes.count + buffer.readableBytes <= maxBytes else {
                guard cut else { throw Refused("over \(maxBytes) bytes") }
                bytes += buffer.readableBytesView.prefix(maxBytes - bytes.count)
                break
            }
            bytes += buffer.readableBytesView
        }
        return .body(bytes, type)
    }

    /// The page's text: UTF-8 unless the `Content-Type` or an early `<meta charset>` names
    /// ISO-8859-1 or windows-1252 (read as windows-1252, as browsers do for both).
    static func decode(_ bytes: [UInt8], contentType: String) -> String {
        let head = String(decoding: bytes.prefix(2048), as: UTF8.self).lowercased()
        let latin = ["iso-8859-1", "latin1", "windows-1252", "cp1252", "us-ascii"]
        let declared = contentType.range(of: "charset=").map { String(contentType[$0.upperBound...]) }
            ?? head.range(of: "charset=").map { String(head[$0.upperBound...].drop { $0 == "\"" || $0 == "'" }) }
        if let declared, latin.contains(where: { declared.hasPrefix($0) }),
            let text = String(data: Data(bytes), encoding: .windowsCP1252) ?? String(data: Data(bytes), encoding: .isoLatin1)
        {
            return text
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The address to connect to for `host`: itself when it is an address, else the first it
    /// resolves to. Under the public policy every address must be public, so that a name resolving
    /// to both kinds is refused whichever would be picked.
    static func checkedAddress(host: String, policy: LinkPreviewPolicy, resolver: NIOThreadPool = .singleton) async throws -> String {
        let addresses: [[UInt8]]
        if let literal = IPAddress.parse(host) {
            addresses = [literal]
        } else {
            addresses = try await resolver.runIfActive { try IPAddress.resolve(host) }
        }
        guard let first = addresses.first else { throw Refused("\(host) has no address") }
        if policy == .public, let refused = addresses.first(where: { !IPAddress.isPublic($0) }) {
            throw Refused("\(host) is at \(IPAddress.text(refused)), not a public address")
        }
        return IPAddress.text(first)
    }
}

/// Recent previews by link, found or not, so that a link posted again is not fetched again for ten
/// minutes. At most 1,000 are kept.
final class PreviewCache: Sendable {
    struct Entry: Sendable {
        let preview: LinkPreview?
        let at: ContinuousClock.Instant
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    static let lifetime: Duration = .seconds(600)
    static let capacity = 1000

    func get(_ link: String) -> Entry? {
        entries.withLockedValue { entries in
            guard let entry = entries[link] else { return nil }
            guard entry.at.duration(to: .now) < Self.lifetime else {
                entries[link] = nil
                return nil
            }
            return entry
        }
    }

    func put(_ link: String, _ preview: LinkPreview?) {
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity {
                let now = ContinuousClock.now
                entries = entries.filter { $0.value.at.duration(to: now) < Self.lifetime }
                if entries.count >= Self.capacity { entries.removeAll() }
            }
            entries[link] = Entry(preview: preview, at: .now)
        }
    }
}

/// IPv4 (4 bytes) and IPv6 (16 bytes) addresses: parsing, resolving and which are public.
enum IPAddress {
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// Blocking: call it on a thread pool.
    static func resolve(_ host: String) throws -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let list else { throw PageFetcher.Refused("\(host) does not resolve (\(status))") }
        defer { freeaddrinfo(list) }
        var addresses: [[UInt8]] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let address = current.pointee.ai_addr {
                switch Int32(current.pointee.ai_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                        var value = a.pointee.sin_addr
                        addresses.append(withUnsafeBytes(of: &value) { Array($0) })
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                        var value = a.pointee.sin6_addr
                        addresses.append(withUnsafeBytes(of: &value) { Array($0) })
                    }
                default: break
                }
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }

    static func text(_ address: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        address.withUnsafeBytes { bytes in
            _ = inet_ntop(address.count == 4 ? AF_INET : AF_INET6, bytes.baseAddress, &buffer, socklen_t(buffer.count))
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether an address is on the public internet: not loopback, private (RFC 1918, unique
    /// local), shared (CGNAT), link-local, multicast, documentation, benchmarking or reserved.
    static func isPublic(_ a: [UInt8]) -> Bool {
        if a.count == 4 {
            switch (a[0], a[1]) {
            case (0, _), (10, _), (127, _): return false
            case (100, 64...127): return false
            case (169, 254): return false
            case (172, 16...31): return false
            case (192, 168): return false
            case (198, 18...19): return false
            case (192, 0) where a[2] == 0 || a[2] == 2: return false
            case (198, 51) where a[2] == 100: return false
            case (203, 0) where a[2] == 113: return false
            default: return a[0] < 224
            }
        }
        guard a.count == 16 else { return false }
        // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d)
        // addresses reach the IPv4 address they carry.
        if a[0..<10].allSatisfy({ $0 == 0 }) && ((a[10] == 0xff && a[11] == 0xff) || (a[10] == 0 && a[11] == 0)) {
            return isPublic(Array(a[12..<16]))
        }
        if a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && a[4..<12].allSatisfy({ $0 == 0 }) {
            return isPublic(Array(a[12..<16]))
        }
        // Global unicast is 2000::/3; within it, documentation (2001:db8::/32) and the ORCHID and
        // benchmarking ranges of 2001::/23 are not reachable hosts.
        guard a[0] & 0xE0 == 0x20 else { return false }
        if a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8 { return false }
        if a[0] == 0x20 && a[1] == 0x01 && a[2] < 0x02 { return false }
        return true
    }
}

/// The tags of an HTML page that make its preview.
struct PageMeta {
    var properties: [String: String] = [:]
    var title: String?

    static let maxTitle = 300
    static let maxDescription = 500

    /// The picture the page names for itself, as written (maybe relative to the page).
    var imageSource: String? {
        for key in ["og:image:secure_url", "og:image", "og:image:url", "twitter:image", "twitter:image:src"] {
            if let value = properties[key].map(Self.clean), !value.isEmpty { return value }
        }
        return nil
    }

    func preview(url: String) -> LinkPreview? {
        func value(_ keys: String...) -> String? {
            for key in keys {
                if let text = properties[key].map(Self.clean), !text.isEmpty { return text }
            }
            return nil
        }
        guard let title = value("og:title", "twitter:title") ?? title.map(Self.clean).flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        return LinkPreview(
            url: url, title: Self.cut(title, Self.maxTitle),
            description: value("og:description", "twitter:description", "description").map { Self.cut($0, Self.maxDescription) },
            siteName: value("og:site_name").map { Self.cut($0, 100) })
    }

    /// Entities decoded, control characters (a NUL, written or as `&#0;`) dropped, and the
    /// controls that reorder or hide text (bidirectional embeddings, overrides and isolates,
    /// zero-width space, word joiner, BOM: a title with U+202E reads backwards, spoofing a name; a
    /// hunt), runs of white space made one space, trimmed. Joiners (ZWJ, ZWNJ) stay.
    static func clean(_ text: String) -> String {
        var decoded = decodeEntities(text)
        decoded.unicodeScalars.removeAll {
            ($0.properties.generalCategory == .control && !$0.properties.isWhitespace)
                || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value)
                || $0.value == 0x200B || $0.value == 0x2060 || $0.value == 0xFEFF
        }
        return decoded.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    static func cut(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)).trimmingCharacters(in: .whitespaces) + "…"
    }

    /// Reads `<meta property|name=… content=…>` and `<title>` up to `</head>` (or the end).
    static func parse(_ html: String) -> PageMeta {
        var meta = PageMeta()
        let scalars = Array(html.unicodeScalars)
        var i = 0
        func lowercasedName(from start: Int) -> (String, Int) {
            var j = start
            var name = ""
            while j < scalars.count, scalars[j].properties.isAlphabetic || scalars[j] == "-" || scalars[j] == ":" || scalars[j] == "/" || scalars[j] == "!"
            {
                name.unicodeScalars.append(scalars[j])
                j += 1
            }
            return (name.lowercased(), j)
        }
        while i < scalars.count {
            guard scalars[i] == "<" else {
                i += 1
                continue
            }
            let (tag, afterName) = lowercasedName(from: i + 1)
            if tag.hasPrefix("!--") {
                // Comments may hold tags that are not the page's.
                guard let end = find("-->", in: scalars, from: i + 2) else { break }
                i = end + 3
                continue
            }
            if tag == "/head" || tag == "body" { break }
            let (attributes, end) = parseAttributes(scalars, from: afterName)
            if tag == "meta", let content = attributes["content"] {
                for key in [attributes["property"], attributes["name"]].compactMap({ $0?.lowercased() }) where meta.properties[key] == nil {
                    meta.properties[key] = content
                }
            } else if tag == "title", meta.title == nil {
                var j = end
                var text = ""
                while j < scalars.count, !(scalars[j] == "<" && j + 1 < scalars.count && scalars[j + 1] == "/") {
                    text.unicodeScalars.append(scalars[j])
                    j += 1
                }
                meta.title = text
                i = j
                continue
            } else if tag == "script" || tag == "style" {
                // Their text is not markup.
                guard let close = find("</\(tag)", in: scalars, from: end) else { break }
                i = close + 2
                continue
            }
            i = max(end, i + 1)
        }
        return meta
    }

    /// Where `needle` (ASCII, lowercase) next starts in `scalars` at or after `start`, in any case
    /// of ASCII letters; in time linear in what it passes (the page is read once, however many
    /// comments and scripts it holds).
    static func find(_ needle: String, in scalars: [Unicode.Scalar], from start: Int) -> Int? {
        let pattern = Array(needle.unicodeScalars)
        guard let first = pattern.first, start >= 0 else { return nil }
        func lowered(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
            scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value | 0x20)! : scalar
        }
        var i = start
        while i + pattern.count <= scalars.count {
            if lowered(scalars[i]) == first {
                var k = 1
                while k < pattern.count, lowered(scalars[i + k]) == pattern[k] { k += 1 }
                if k == pattern.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// The attributes of a tag from just after its name, and the index after its `>`.
    private static func parseAttributes(_ s: [Unicode.Scalar], from start: Int) -> ([String: String], Int) {
        var attributes: [String: String] = [:]
        var i = start
        func skipSpace() { while i < s.count, s[i].properties.isWhitespace { i += 1 } }
        while i < s.count {
            skipSpace()
            guard i < s.count else { break }
            if s[i] == ">" { return (attributes, i + 1) }
            if s[i] == "/" {
                i += 1
                continue
            }
            var name = ""
            while i < s.count, !s[i].properties.isWhitespace, s[i] != "=", s[i] != ">", s[i] != "/" {
                name.unicodeScalars.append(s[i])
                i += 1
            }
            skipSpace()
            var value = ""
            if i < s.count, s[i] == "=" {
                i += 1
                skipSpace()
                if i < s.count, s[i] == "\"" || s[i] == "'" {
                    let quote = s[i]
                    i += 1
                    while i < s.count, s[i] != quote {
                        value.unicodeScalars.append(s[i])
                        i += 1
                    }
                    i += 1
                } else {
                    while i < s.count, !s[i].properties.isWhitespace, s[i] != ">" {
                        value.unicodeScalars.append(s[i])
                        i += 1
                    }
                }
            }
            if !name.isEmpty, attributes[name.lowercased()] == nil { attributes[name.lowercased()] = value }
        }
        return (attributes, i)
    }

    /// HTML's Latin-1 entities (`&nbsp;` … `&yuml;`, U+00A0 to U+00FF in order) and common punctuation.
    static let namedEntities: [String: String] = {
        let latin1 = """
            nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para \
            middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute \
            Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml \
            Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml \
            eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml
            """.split(separator: " ")
        var table = [
            "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "mdash": "—", "ndash": "–", "hellip": "…", "rsquo": "’",
            "lsquo": "‘", "rdquo": "”", "ldquo": "“", "bull": "•", "euro": "€", "trade": "™", "dagger": "†", "permil": "‰",
        ]
        for (offset, name) in latin1.enumerated() { table[String(name)] = String(Character(Unicode.Scalar(UInt8(0xA0 + offset)))) }
        return table
    }()

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semicolon = after.prefix(12).firstIndex(of: ";") {
                let name = after[..<semicolon]
                var decoded: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if name.hasPrefix("#") {
                    decoded = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else {
                    decoded = namedEntities[String(name)]
                }
                if let decoded {
                    out += decoded
                    rest = after[after.index(after: semicolon)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        out += rest
        return out
    }
}

/// Runs the link preview queue until shutdown.
struct LinkPreviewService: Service {
    let previews: LinkPreviews

    func run() async throws {
        await previews.run()
    }
}

/// Serves link previews' pictures (`image_url`) to anyone logged in: they come from public pages
/// and are named by the SHA-256 of their bytes, so the name tells nothing and never changes.
struct PreviewImageController {
    let pool: MariaDBPool

    static func url(hash: String) -> String { "/api/previews/images/\(hash)?v=\(hash)" }

    /// The hash a picture's `url(hash:)` names, or nil.
    static func hash(of url: String) -> String? {
        let prefix = "/api/previews/images/"
        guard url.hasPrefix(prefix) else { return nil }
        let hash = url.dropFirst(prefix.count).prefix(64)
        return hash.count == 64 ? String(hash) : nil
    }

    static let notFound = ParleyError(.notFound, "image_not_found", "No such picture.")

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/previews/images/:hash", use: get)
    }

    /// [previewImage]
    func get(request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireSession()
        let hash = context.parameters.get("hash") ?? ""
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { throw Self.notFound }
        guard let row = try await pool.query("SELECT data FROM preview_images WHERE hash = UNHEX(?)", [hash]).first else { throw Self.notFound }
        return try AvatarController.pictureResponse(request, type: Thumbnails.contentType, version: hash, data: { try row.decode("data") })
    }
}
