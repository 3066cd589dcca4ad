import Foundation

/// The SQL the stores write is SQLite's; PostgreSQL runs the same text after this rewrite.
///
/// Why one text for both: the schema migrations and statements are the contract documented in
/// docs/STATE.md and docs/CDR.md, and keeping a second hand-written copy for PostgreSQL would let
/// the two drift. The differences that matter are few and mechanical: parameter markers, column
/// types (SQLite's `REAL` is 8 bytes, PostgreSQL's only 4, too coarse for Unix timestamps) and
/// SQLite's `INSERT OR IGNORE`.
enum SQLDialect {
    /// The PostgreSQL form of one statement or migration.
    static func postgres(_ sql: String) -> String {
        var text = sql
        for (pattern, replacement) in rewrites {
            text = pattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text),
                                                    withTemplate: replacement)
        }
        return text
    }

    /// A single-row `INSERT ... VALUES (?1, ..., ?k)` (SQLite text) as PostgreSQL's insert of
    /// `rows` rows: `VALUES ($1, ..., $k), ($k+1, ..., $2k), ...`, with `leading` more columns
    /// first in each row (an id chosen beforehand), so a batch costs one round trip per table.
    static func multiRowInsert(_ sql: String, rows: Int, leading: [String] = []) -> String {
        guard let values = sql.range(of: "VALUES", options: .backwards),
              let open = sql.range(of: "(", range: sql.startIndex..<values.lowerBound)
        else { preconditionFailure("not a single-row INSERT: \(sql)") }
        let parameters = sql[values.upperBound...].filter { $0 == "?" }.count + leading.count
        let head = sql[..<open.upperBound] + leading.map { $0 + ", " }.joined() + sql[open.upperBound..<values.lowerBound]
        let tuples = (0..<rows).map { row in
            "(" + (1...parameters).map { "$\(row * parameters + $0)" }.joined(separator: ", ") + ")"
        }
        return head + "VALUES " + tuples.joined(separator: ", ")
    }

    /// The statements of a migration, one by one (the extended query protocol takes a single
    /// statement), without comments. The migrations hold no `;` inside literals or comments.
    static func statements(_ migration: String) -> [String] {
        let code = migration.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
            .joined(separator: "\n")
        return code.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    private static let rewrites: [(NSRegularExpression, String)] = [
        (#"\?([0-9]+)"#, "\\$$1"),
        (#"\bINTEGER PRIMARY KEY\b"#, "BIGSERIAL PRIMARY KEY"),
        (#"\bINTEGER\b"#, "BIGINT"),
        (#"\bREAL\b"#, "DOUBLE PRECISION"),
        (#"\bBLOB\b"#, "BYTEA"),
        (#"INSERT OR IGNORE INTO ([^;]*?VALUES \([^)]*\))"#, "INSERT INTO $1 ON CONFLICT DO NOTHING"),
    ].map { pattern, replacement in
        // The patterns are constants: a failure here is a programming error caught by the tests.
        (try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]), replacement)
    }
}
