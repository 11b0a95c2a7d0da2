/// "Did you mean ...?" suggestions by edit distance, shared by the command line (unknown
/// subcommand or flag) and the configuration validator (unknown key).
package enum Suggestions {
    /// The candidate closest to `word`, if it is close enough to be a plausible typo: at most a
    /// third of the word's length in edits, at least 2 (1 for words of one or two characters) and at
    /// most 3. Ties go to the first candidate.
    package static func closest(to word: String, in candidates: [String]) -> String? {
        let limit = word.count <= 2 ? 1 : min(3, max(2, word.count / 3))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(word, candidate)
            if distance <= limit, distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// Levenshtein distance (insertions, deletions, substitutions) over characters.
    package static func editDistance(_ a: String, _ b: String) -> Int {
        let left = Array(a)
        let right = Array(b)
        if left.isEmpty { return right.count }
        if right.isEmpty { return left.count }
        var previous = Array(0...right.count)
        var current = [Int](repeating: 0, count: right.count + 1)
        for (i, l) in left.enumerated() {
            current[0] = i + 1
            for (j, r) in right.enumerated() {
                let substitution = previous[j] + (l == r ? 0 : 1)
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[right.count]
    }

    /// "; did you mean 'x'?" or "" when nothing is close.
    package static func didYouMean(_ word: String, in candidates: [String], quote: String = "'") -> String {
        guard let match = closest(to: word, in: candidates) else { return "" }
        return "; did you mean \(quote)\(match)\(quote)?"
    }
}
