extension SessionDescription {
    /// Parses an SDP body (RFC 8866/4566).
    ///
    /// Accepted: CRLF or bare LF line endings, trailing blank lines, runs of spaces between
    /// fields, a missing s= or t=, o= anywhere at session level. Refused, naming the line: a
    /// first line other than `v=0`, no o=, a second o= or session c= (or a second c= in one
    /// section, since a c= left unrewritten would leak an address), malformed o=, c= or m=
    /// lines, any line not of the form `x=value` (blank lines inside the body included), and a
    /// NUL, bare CR or other control character but HTAB inside a line (RFC 8866 `byte-string`).
    /// Text that is not valid UTF-8 is decoded with replacement characters rather than refused.
    public init(parsing bytes: [UInt8]) throws(SDPParseError) {
        self = try bytes.withUnsafeBufferPointer { buffer throws(SDPParseError) in
            try Self.parse(buffer)
        }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(SDPParseError) -> SessionDescription {
        let end = contentEnd(bytes)
        guard end > 0 else { throw SDPParseError(line: 1, reason: "empty body, expected v=0") }

        var origin: SDPOrigin?
        var connection: SDPConnection?
        var sessionLines: [SDPLine] = []
        var media: [MediaDescription] = []
        var lineNumber = 0
        var start = 0

        while start < end {
            lineNumber += 1
            var lineEnd = start
            while lineEnd < end, bytes[lineEnd] != SDPGrammar.lf { lineEnd += 1 }
            var line = bytes[start..<lineEnd]
            start = lineEnd + 1
            if line.last == SDPGrammar.cr { line = line.dropLast() }

            guard line.count >= 2, SDPGrammar.isLetter(line[line.startIndex]),
                  line[line.startIndex + 1] == SDPGrammar.equals
            else {
                let shown = line.isEmpty ? "empty line" : "'\(SDPGrammar.excerpt(line))' is not a type=value line"
                throw SDPParseError(line: lineNumber, reason: shown)
            }
            let type = line[line.startIndex]
            let value = line[(line.startIndex + 2)...]
            if let control = value.firstIndex(where: SDPGrammar.isForbiddenControl) {
                let byte = value[control]
                let name = byte == 0 ? "NUL" : byte == SDPGrammar.cr ? "CR" : "control character \(byte)"
                throw SDPParseError(line: lineNumber, reason: "\(name) inside the \(Character(Unicode.Scalar(type)))= line")
            }

            if lineNumber == 1 {
                guard type == UInt8(ascii: "v") else {
                    throw SDPParseError(line: 1, reason: "SDP must start with v=0, found '\(SDPGrammar.excerpt(line))'")
                }
                guard value.count == 1, value.first == UInt8(ascii: "0") else {
                    throw SDPParseError(line: 1, reason: "unsupported SDP version '\(SDPGrammar.excerpt(value))', expected v=0")
                }
                continue
            }

            switch type {
            case UInt8(ascii: "v"):
                throw SDPParseError(line: lineNumber, reason: "second v= line")
            case UInt8(ascii: "o"):
                guard media.isEmpty else {
                    throw SDPParseError(line: lineNumber, reason: "o= line inside a media section")
                }
                guard origin == nil else { throw SDPParseError(line: lineNumber, reason: "second o= line") }
                origin = try SDPOrigin(parsing: value, line: lineNumber)
            case UInt8(ascii: "c"):
                let parsed = try SDPConnection(parsing: value, line: lineNumber)
                if media.isEmpty {
                    guard connection == nil else {
                        throw SDPParseError(line: lineNumber, reason: "second c= line at session level")
                    }
                    connection = parsed
                } else {
                    guard media[media.count - 1].connection == nil else {
                        throw SDPParseError(line: lineNumber, reason: "second c= line in a media section")
                    }
                    media[media.count - 1].connection = parsed
                }
            case UInt8(ascii: "m"):
                try media.append(MediaDescription(parsingMediaLine: value, line: lineNumber))
            default:
                let parsed = SDPLine(type: Character(Unicode.Scalar(type)), value: SDPGrammar.string(value))
                if media.isEmpty {
                    sessionLines.append(parsed)
                } else {
                    media[media.count - 1].lines.append(parsed)
                }
            }
        }
        guard let origin else {
            throw SDPParseError(line: min(2, lineNumber + 1), reason: "missing o= line (required after v=0)")
        }
        return SessionDescription(origin: origin, connection: connection, sessionLines: sessionLines, media: media)
    }

    /// Where the body's content ends once trailing blank lines (empty or only blanks) and the
    /// final line ending are dropped. The last real line keeps any trailing spaces: `s= ` is
    /// common and must come back as it was.
    private static func contentEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var end = bytes.count
        while end > 0 {
            var lineStart = end
            while lineStart > 0, bytes[lineStart - 1] != SDPGrammar.lf { lineStart -= 1 }
            let isBlank = bytes[lineStart..<end].allSatisfy {
                $0 == SDPGrammar.space || $0 == SDPGrammar.tab || $0 == SDPGrammar.cr
            }
            guard isBlank else { break }
            end = max(lineStart - 1, 0)
        }
        return end
    }
}
