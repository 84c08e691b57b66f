import CGD

/// What a file's first bytes say about it as a picture: its format, its size in pixels as stored,
/// and (JPEG) the EXIF orientation a viewer applies. Read from the header alone, nothing decoded.
struct ImageInfo: Sendable, Equatable {
    enum Format: Sendable, Equatable { case png, jpeg, gif, webp }

    let format: Format
    let width: Int
    let height: Int
    /// EXIF orientation 1–8 (1: as stored; 5–8 swap width and height).
    let orientation: Int

    /// The size as shown, after the orientation (what clients lay out).
    var shownWidth: Int { orientation >= 5 ? height : width }
    var shownHeight: Int { orientation >= 5 ? width : height }

    /// How far into a file its header is looked for: a JPEG's metadata comes before its frame header
    /// and may be large (EXIF with maker notes, XMP, Photoshop blocks, ICC profiles, each up to 64 KiB
    /// a segment); with 256 KiB a picture with 270 KB of them was shared as a plain file (a hunt).
    static let headBytes = 1024 * 1024

    /// Enough bytes to tell whether a file may be a picture (`mayBe`).
    static let magicBytes = 12

    /// Whether `head` starts as a PNG, GIF, WebP or JPEG does.
    static func mayBe(_ head: [UInt8]) -> Bool {
        head.starts(with: [0x89, 0x50, 0x4E, 0x47]) || head.starts(with: Array("GIF8".utf8)) || head.starts(with: [0xFF, 0xD8])
            || head.count >= 12 && head.starts(with: Array("RIFF".utf8)) && Array(head[8..<12]) == Array("WEBP".utf8)
    }

    static func read(_ bytes: [UInt8]) -> ImageInfo? {
        let found: ImageInfo?
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            found = png(bytes)
        } else if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) {
            found = bytes.count >= 10 ? ImageInfo(format: .gif, width: le16(bytes, 6), height: le16(bytes, 8), orientation: 1) : nil
        } else if bytes.count >= 30, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            found = webp(bytes)
        } else if bytes.starts(with: [0xFF, 0xD8]) {
            found = jpeg(bytes)
        } else {
            found = nil
        }
        // PNG allows sides up to 2^31 - 1 (the column's range); a header beyond that, or with a side
        // of 0, is no picture.
        guard let found, (1...Int(Int32.max)).contains(found.width), (1...Int(Int32.max)).contains(found.height) else { return nil }
        return found
    }

    private static func be16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
    /// Where a GIF's first frame sits on its screen, and its size (a frame may cover only part of
    /// the screen; libgd decodes the frame alone). Nil when the bytes end before its descriptor.
    static func gifFirstFrame(_ b: [UInt8]) -> (left: Int, top: Int, width: Int, height: Int)? {
        guard b.count >= 13 else { return nil }
        var at = 13
        if b[10] & 0x80 != 0 { at += 3 << ((Int(b[10]) & 7) + 1) }
        while at < b.count {
            switch b[at] {
            case 0x2C:
                guard at + 9 <= b.count else { return nil }
                return (le16(b, at + 1), le16(b, at + 3), le16(b, at + 5), le16(b, at + 7))
            case 0x21:
                // An extension: its label, then sub-blocks up to an empty one.
                at += 2
                while at < b.count, b[at] != 0 { at += Int(b[at]) + 1 }
                at += 1
            default:
                return nil
            }
        }
        return nil
    }

    private static func le16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i + 1]) << 8 | Int(b[i]) }
    private static func le24(_ b: [UInt8], _ i: Int) -> Int { Int(b[i + 2]) << 16 | le16(b, i) }
    private static func be32(_ b: [UInt8], _ i: Int) -> Int { be16(b, i) << 16 | be16(b, i + 2) }

    private static func png(_ b: [UInt8]) -> ImageInfo? {
        guard b.count >= 24, Array(b[12..<16]) == Array("IHDR".utf8) else { return nil }
        return ImageInfo(format: .png, width: be32(b, 16), height: be32(b, 20), orientation: 1)
    }

    private static func webp(_ b: [UInt8]) -> ImageInfo? {
        switch String(decoding: b[12..<16], as: UTF8.self) {
        case "VP8 ":
            guard b[23] == 0x9D, b[24] == 0x01, b[25] == 0x2A else { return nil }
            return ImageInfo(format: .webp, width: le16(b, 26) & 0x3FFF, height: le16(b, 28) & 0x3FFF, orientation: 1)
        case "VP8L":
            guard b[20] == 0x2F else { return nil }
            let bits = Int(b[21]) | Int(b[22]) << 8 | Int(b[23]) << 16 | Int(b[24]) << 24
            return ImageInfo(format: .webp, width: (bits & 0x3FFF) + 1, height: (bits >> 14 & 0x3FFF) + 1, orientation: 1)
        case "VP8X":
            return ImageInfo(format: .webp, width: le24(b, 24) + 1, height: le24(b, 27) + 1, orientation: 1)
        default:
            return nil
        }
    }

    /// Walks the segments up to the first frame header (SOF), noting the EXIF orientation on the way.
    private static func jpeg(_ b: [UInt8]) -> ImageInfo? {
        var i = 2
        var orientation = 1
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF {
                i += 1
                continue
            }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {
                i += 2
                continue
            }
            let length = be16(b, i + 2)
            guard length >= 2 else { return nil }
            let body = i + 4
            switch marker {
            case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
                guard body + 5 <= b.count else { return nil }
                return ImageInfo(format: .jpeg, width: be16(b, body + 3), height: be16(b, body + 1), orientation: orientation)
            case 0xE1 where body + length - 2 <= b.count:
                orientation = exifOrientation(Array(b[body..<(body + length - 2)])) ?? orientation
            case 0xDA, 0xD9:
                return nil
            default:
                break
            }
            i = body + length - 2
        }
        return nil
    }

    /// Tag 0x0112 of the first IFD of an `Exif\0\0` block, when it is 1–8.
    static func exifOrientation(_ block: [UInt8]) -> Int? {
        guard block.count >= 14, block.starts(with: Array("Exif".utf8) + [0, 0]) else { return nil }
        let tiff = Array(block[6...])
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? { at + 2 <= tiff.count ? (little ? le16(tiff, at) : be16(tiff, at)) : nil }
        func u32(_ at: Int) -> Int? { at + 4 <= tiff.count ? (little ? le16(tiff, at) | le16(tiff, at + 2) << 16 : be32(tiff, at)) : nil }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            if tag == 0x0112, u16(at + 2) == 3, let value = u16(at + 8) {
                return (1...8).contains(value) ? value : nil
            }
        }
        return nil
    }
}

/// Thumbnails of shared pictures: at most `box` pixels on each side (never enlarged), turned as
/// the EXIF orientation says, as WebP. Made with libgd on the CPU-work thread pool, never on an
/// event loop or Swift's cooperative threads.
enum Thumbnails {
    static let box = 800
    /// Pictures larger than this (in pixels, or in bytes) get no thumbnail: decoding one takes 4 bytes
    /// a pixel, and a small file can claim a huge size.
    static let maxPixels = 50_000_000
    static let maxBytes = 50 * 1024 * 1024
    static let contentType = "image/webp"

    /// Whether `bytes` are an animated WebP (an extended header with its animation flag), which
    /// libgd cannot decode.
    static func isAnimatedWebP(_ bytes: [UInt8]) -> Bool {
        bytes.count > 20 && bytes[0..<4].elementsEqual("RIFF".utf8) && bytes[8..<16].elementsEqual("WEBPVP8X".utf8) && bytes[20] & 0x02 != 0
    }
    static let quality: Int32 = 80

    struct Made: Sendable, Equatable {
        let data: [UInt8]
        let width: Int
        let height: Int
    }

    static func canMake(_ info: ImageInfo, size: Int64) -> Bool {
        // Each side first, so that the product cannot overflow.
        size <= maxBytes && info.width <= maxPixels && info.height <= maxPixels && info.width * info.height <= maxPixels
    }

    /// The thumbnail (at most `box` pixels a side), or nil when the bytes do not decode as the header said.
    static func make(_ bytes: [UInt8], _ info: ImageInfo, box: Int = box) -> Made? {
        guard canMake(info, size: Int64(bytes.count)), let source = decode(bytes, info) else { return nil }
        defer { gdImageDestroy(source) }
        let scale = min(1, Double(box) / Double(max(info.width, info.height)))
        guard scale < 1 else { return turnedWebP(source, info.orientation) }
        gdImageSetInterpolationMethod(source, GD_TRIANGLE)
        guard
            let scaled = gdImageScale(
                source, UInt32(max(1, (Double(info.width) * scale).rounded())), UInt32(max(1, (Double(info.height) * scale).rounded())))
        else { return nil }
        defer { gdImageDestroy(scaled) }
        return turnedWebP(scaled, info.orientation)
    }

    /// The middle square of a picture, at most `side` pixels a side (never enlarged), as shown, as
    /// WebP: a user's picture (avatar). Nil when the bytes do not decode as the header said.
    static func square(_ bytes: [UInt8], _ info: ImageInfo, side: Int) -> Made? {
        guard canMake(info, size: Int64(bytes.count)), let source = decode(bytes, info) else { return nil }
        defer { gdImageDestroy(source) }
        let edge = min(info.width, info.height)
        let out = min(edge, side)
        guard let square = gdImageCreateTrueColor(Int32(out), Int32(out)) else { return nil }
        defer { gdImageDestroy(square) }
        gdImageAlphaBlending(square, 0)
        gdImageCopyResampled(
            square, source, 0, 0, Int32((info.width - edge) / 2), Int32((info.height - edge) / 2), Int32(out), Int32(out), Int32(edge),
            Int32(edge))
        return turnedWebP(square, info.orientation)
    }

    /// The picture decoded in true colour, when it decodes to the size its header gave.
    private static func decode(_ bytes: [UInt8], _ info: ImageInfo) -> gdImagePtr? {
        guard !bytes.isEmpty else { return nil }
        silenceErrors
        let decoded: gdImagePtr? = bytes.withUnsafeBytes { raw in
            let data = UnsafeMutableRawPointer(mutating: raw.baseAddress!)
            let size = Int32(raw.count)
            switch info.format {
            case .png: return gdImageCreateFromPngPtr(size, data)
            case .jpeg: return gdImageCreateFromJpegPtrEx(size, data, 1)
            case .gif: return gdImageCreateFromGifPtr(size, data)
            case .webp: return gdImageCreateFromWebpPtr(size, data)
            }
        }
        guard var image = decoded else { return nil }
        if info.format == .gif, Int(image.pointee.sx) != info.width || Int(image.pointee.sy) != info.height {
            // A first frame smaller than the screen: placed where it sits, on a transparent screen.
            guard let screen = onScreen(image, info, frame: ImageInfo.gifFirstFrame(bytes)) else {
                gdImageDestroy(image)
                return nil
            }
            gdImageDestroy(image)
            image = screen
        }
        // WebP is written from true colour only (GIF and some PNGs are palette pictures).
        guard Int(image.pointee.sx) == info.width, Int(image.pointee.sy) == info.height,
            image.pointee.trueColor != 0 || gdImagePaletteToTrueColor(image) != 0
        else {
            gdImageDestroy(image)
            return nil
        }
        return image
    }

    /// A GIF's first `frame` (decoded as `image`) drawn at its place on a transparent screen of the
    /// picture's size; nil when the frame does not lie within the screen.
    private static func onScreen(_ image: gdImagePtr, _ info: ImageInfo, frame: (left: Int, top: Int, width: Int, height: Int)?) -> gdImagePtr? {
        guard let frame, frame.width == Int(image.pointee.sx), frame.height == Int(image.pointee.sy),
            frame.left + frame.width <= info.width, frame.top + frame.height <= info.height,
            image.pointee.trueColor != 0 || gdImagePaletteToTrueColor(image) != 0,
            let screen = gdImageCreateTrueColor(Int32(info.width), Int32(info.height))
        else { return nil }
        gdImageAlphaBlending(screen, 0)
        gdImageSaveAlpha(screen, 1)
        // gd's colour with alpha 127: fully transparent.
        gdImageFilledRectangle(screen, 0, 0, Int32(info.width - 1), Int32(info.height - 1), 0x7F00_0000)
        gdImageCopy(screen, image, Int32(frame.left), Int32(frame.top), 0, 0, Int32(frame.width), Int32(frame.height))
        return screen
    }

    /// `image` turned as `orientation` says, encoded as WebP.
    private static func turnedWebP(_ image: gdImagePtr, _ orientation: Int) -> Made? {
        guard let turned = turn(image, orientation) else { return nil }
        defer { if turned != image { gdImageDestroy(turned) } }
        gdImageSaveAlpha(turned, 1)
        var length: Int32 = 0
        guard let encoded = gdImageWebpPtrEx(turned, &length, quality), length > 0 else { return nil }
        defer { gdFree(encoded) }
        return Made(
            data: Array(UnsafeRawBufferPointer(start: encoded, count: Int(length))), width: Int(turned.pointee.sx), height: Int(turned.pointee.sy))
    }

    /// `image` as shown for EXIF `orientation` (a new image, or `image` itself for 1).
    static func turn(_ image: gdImagePtr, _ orientation: Int) -> gdImagePtr? {
        guard (2...8).contains(orientation) else { return image }
        let w = Int(image.pointee.sx)
        let h = Int(image.pointee.sy)
        let swapped = orientation >= 5
        guard let out = gdImageCreateTrueColor(Int32(swapped ? h : w), Int32(swapped ? w : h)) else { return nil }
        gdImageAlphaBlending(out, 0)
        for y in 0..<(swapped ? w : h) {
            for x in 0..<(swapped ? h : w) {
                let (sx, sy): (Int, Int)
                switch orientation {
                case 2: (sx, sy) = (w - 1 - x, y)
                case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
                case 4: (sx, sy) = (x, h - 1 - y)
                case 5: (sx, sy) = (y, x)
                case 6: (sx, sy) = (y, h - 1 - x)
                case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
                default: (sx, sy) = (w - 1 - y, x)
                }
                gdImageSetPixel(out, Int32(x), Int32(y), gdImageGetTrueColorPixel(image, Int32(sx), Int32(sy)))
            }
        }
        return out
    }

    /// libgd reports a damaged picture on stderr; here it is an answer (no thumbnail), not a log line.
    private static let silenceErrors: Void = gdSetErrorMethod { _, _, _ in }
}
