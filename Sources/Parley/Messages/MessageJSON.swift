import Foundation

/// A message rendered as JSON by hand, byte for byte what `ParleyJSON.encoder()` writes (sorted
/// keys, nulls spelled out, unescaped slashes). Posting renders each message once, for its event
/// and its response: Foundation's encoder was a tenth of the server's time per message.
extension MessageView {
    var json: String {
        let (head, tail) = jsonAroundID
        return head + String(id) + tail
    }

    /// The JSON before and after the message's id: for a statement that learns the id as it inserts
    /// (the `post_message` procedure puts the event's payload together itself).
    var jsonAroundID: (head: String, tail: String) {
        var out = "{\"client_id\":"
        out.reserveCapacity(256 + (text?.utf8.count ?? 0))
        JSONText.append(clientId, to: &out)
        out += ",\"created_at\":\""
        out += ParleyJSON.timestamp(createdAt)
        out += "\",\"deleted\":"
        out += deleted ? "true" : "false"
        out += ",\"edited_at\":"
        if let editedAt {
            out += "\"" + ParleyJSON.timestamp(editedAt) + "\""
        } else {
            out += "null"
        }
        out += ",\"file\":"
        if let file {
            out += "{\"content_type\":"
            JSONText.append(file.contentType, to: &out)
            out += ",\"height\":" + (file.height.map(String.init) ?? "null")
            out += ",\"id\":\(file.id),\"name\":"
            JSONText.append(file.name, to: &out)
            out += ",\"size\":\(file.size),\"thumbnail_url\":"
            if let thumbnail = file.thumbnailUrl { JSONText.append(thumbnail, to: &out) } else { out += "null" }
            out += ",\"url\":"
            JSONText.append(file.url, to: &out)
            out += ",\"width\":" + (file.width.map(String.init) ?? "null") + "}"
        } else {
            out += "null"
        }
        out += ",\"forwarded\":"
        // Rare: rendered by the encoder, whose bytes this function matches.
        out += forwarded.flatMap { try? $0.encoded() } ?? "null"
        out += ",\"id\":"
        let head = out
        out = ",\"mentions\":["
        out += mentions.map(String.init).joined(separator: ",")
        out += "],\"mentions_here\":"
        out += mentionsHere ? "true" : "false"
        out += ",\"mentions_room\":"
        out += mentionsRoom ? "true" : "false"
        out += ",\"poll\":"
        out += poll.flatMap { try? $0.encoded() } ?? "null"
        out += ",\"previews\":"
        // Rare in a message's first rendering: rendered by the encoder, whose bytes this function matches.
        out += previews.isEmpty ? "[]" : (try? LinkPreview.encodedList(previews)) ?? "[]"
        out += ",\"reactions\":["
        for (index, reaction) in reactions.enumerated() {
            if index > 0 { out += "," }
            out += "{\"count\":\(reaction.count),\"emoji\":"
            JSONText.append(reaction.emoji, to: &out)
            out += ",\"user_ids\":[" + reaction.userIds.map(String.init).joined(separator: ",") + "]}"
        }
        out += "],\"reply_count\":\(replyCount),\"reply_to\":"
        out += replyTo.map(String.init) ?? "null"
        out += ",\"room_id\":\(roomId),\"sender\":{\"avatar_url\":"
        JSONText.append(sender.avatarURL, to: &out)
        out += ",\"display_name\":"
        JSONText.append(sender.displayName, to: &out)
        out += ",\"id\":\(sender.id),\"username\":"
        JSONText.append(sender.username, to: &out)
        out += "},\"text\":"
        JSONText.append(text, to: &out)
        out += ",\"webhook\":"
        if let webhook {
            out += "{\"id\":\(webhook.id),\"name\":"
            JSONText.append(webhook.name, to: &out)
            out += "}"
        } else {
            out += "null"
        }
        out += "}"
        return (head, out)
    }
}

/// JSON string literals as Foundation's encoder writes them (without escaping `/`).
enum JSONText {
    static func append(_ value: String?, to out: inout String) {
        guard let value else {
            out += "null"
            return
        }
        out += "\""
        let utf8 = value.utf8
        var plainStart = utf8.startIndex
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 {
                out += String(decoding: utf8[plainStart..<index], as: UTF8.self)
                switch byte {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x08: out += "\\b"
                case 0x0C: out += "\\f"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                default:
                    let hex = String(byte, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
                plainStart = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        out += String(decoding: utf8[plainStart..<utf8.endIndex], as: UTF8.self)
        out += "\""
    }
}
