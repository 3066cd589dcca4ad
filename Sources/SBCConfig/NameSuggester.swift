/// "Did you mean" suggestions for misspelt keys and enum values.
///
/// Why: the most common config mistake is a typo (`adress`, `udp-port`, `tcp_idle_timeout_ms`),
/// and an unknown-key error that names the intended key turns a puzzle into a one-second fix.
/// Unknown keys are errors rather than warnings precisely because a typo'd optional key would
/// otherwise silently leave its default in force.
enum NameSuggester {
    /// The closest candidate to `word`, if it is close enough to be a plausible typo.
    ///
    /// Distance is ``editDistance(_:_:)`` over characters after folding case and treating `-` as `_`
    /// (operators used to other products write `udp-port`). "Close enough" is at most one edit
    /// per three characters of the typed word, minimum one, maximum three: `prot` → `port`, but
    /// `zone` is not suggested for `name`. A candidate that starts with the typed word or
    /// vice versa up to an underscore (`t1` → `t1_ms`) also counts, which catches a forgotten unit
    /// suffix, and so does an abbreviation of three or more characters (`warn` → `warning`).
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        let typed = normalize(word)
        guard !typed.isEmpty else { return nil }
        // Ties on the (prefix-adjusted) distance go to the smaller plain edit distance, so that
        // `probe_interval_ms` suggests `probe_interval_s` rather than its prefix `probe`.
        var best: (candidate: String, distance: Int, edits: Int)?
        for candidate in candidates {
            let normalized = normalize(candidate)
            let edits = editDistance(typed, normalized)
            var distance = edits
            if normalized.hasPrefix(typed + "_") || typed.hasPrefix(normalized + "_")
                || (typed.count >= 3 && normalized.hasPrefix(typed)) {
                distance = min(distance, 1)
            }
            if best == nil || (distance, edits) < (best!.distance, best!.edits) {
                best = (candidate, distance, edits)
            }
        }
        guard let best else { return nil }
        let allowed = min(3, max(1, typed.count / 3))
        return best.distance <= allowed ? best.candidate : nil
    }

    /// Edit distance counting insertion, deletion, substitution and a swap of two adjacent
    /// characters as one edit each (optimal string alignment), because swapped letters (`prot`,
    /// `bnid`) are the most common typo. Keys are short, so the quadratic table is irrelevant.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    best = min(best, table[i - 2][j - 2] + 1)
                }
                table[i][j] = best
            }
        }
        return table[a.count][b.count]
    }

    /// `, did you mean "x"?` ready to append to a message, or empty.
    static func hint(for word: String, among candidates: [String]) -> String {
        guard let suggestion = suggestion(for: word, among: candidates) else { return "" }
        return "; did you mean \"\(suggestion)\"?"
    }

    private static func normalize(_ word: String) -> String {
        String(word.lowercased().map { $0 == "-" ? "_" : $0 })
    }
}
