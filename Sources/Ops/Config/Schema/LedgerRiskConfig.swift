/// `[ledger.risk]` and its `[[ledger.risk.class]]` limits: the risk rules checked (and the amount
/// reserved) in Redis before a transfer touches a shard. The rules' keys live in the ledger's
/// write-through cluster (`[ledger] redis_cluster`, required with this section).
package struct LedgerRiskConfig: Sendable, Equatable {
    /// One `[[ledger.risk.class]]`: the limits of the accounts of a class (an account's class is
    /// the `class` field of its risk flags in Redis, else `default_class`).
    package struct AccountClass: Sendable, Equatable {
        package var name: String
        /// The most an account may send per UTC day, in minor units; nil = no limit.
        package var dailyLimitMinor: Int64?
        /// Transfers an account may send in any 60 s; 0 = no limit.
        package var perMinute: Int
        /// Refuse an amount above this many times the account's recent average; 0 = off.
        package var anomalyFactor: Double

        package init(name: String, dailyLimitMinor: Int64?, perMinute: Int, anomalyFactor: Double) {
            self.name = name
            self.dailyLimitMinor = dailyLimitMinor
            self.perMinute = perMinute
            self.anomalyFactor = anomalyFactor
        }

        init?(_ reader: TableReader, scale: Int) {
            let name = reader.nonEmptyString("name", required: true)
            let limit = reader.string("daily_limit") { text in
                LedgerRiskConfig.minorUnits(text, scale: scale) == nil
                    ? "must be an exact decimal amount with at most \(scale) decimal place(s), e.g. \"10000.00\"" : nil
            }
            perMinute = reader.integer("per_minute", default: 0, range: 0...1_000_000) ?? 0
            anomalyFactor = reader.float("anomaly_factor", default: 0, range: 0...1_000_000)
            guard let name else { return nil }
            self.name = name
            dailyLimitMinor = limit.flatMap { LedgerRiskConfig.minorUnits($0, scale: scale) }
            if limit != nil, dailyLimitMinor == nil { return nil }
        }
    }

    /// How long a reservation lives unless confirmed (commit) or released (abort): after a crash
    /// its amount and minute slot come back this long after the reserve.
    package var reservationTTLMS: Int
    /// Confirmed amounts kept per account for the anomaly rule's average.
    package var anomalyWindow: Int
    /// The anomaly rule applies once an account has this many amounts in its window.
    package var anomalyMinSamples: Int
    package var defaultClass: String
    package var classes: [AccountClass]

    package init(
        reservationTTLMS: Int = 30_000, anomalyWindow: Int = 20, anomalyMinSamples: Int = 5,
        defaultClass: String, classes: [AccountClass]
    ) {
        self.reservationTTLMS = reservationTTLMS
        self.anomalyWindow = anomalyWindow
        self.anomalyMinSamples = anomalyMinSamples
        self.defaultClass = defaultClass
        self.classes = classes
    }

    init?(_ reader: TableReader, scale: Int) {
        reservationTTLMS = reader.integer("reservation_ttl_ms", default: 30_000, range: 100...86_400_000) ?? 30_000
        anomalyWindow = reader.integer("anomaly_window", default: 20, range: 1...1000) ?? 20
        anomalyMinSamples = reader.integer("anomaly_min_samples", default: 5, range: 1...1000) ?? 5
        let defaultClass = reader.nonEmptyString("default_class", default: "standard")
        let classReaders = reader.arrayOfTables("class")
        let classes = classReaders.compactMap { AccountClass($0, scale: scale) }
        reader.attach("class", classReaders)
        guard let defaultClass, classes.count == classReaders.count else { return nil }
        let names = classes.map(\.name)
        if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            reader.badValue("class", "class \"\(twice)\" is defined twice")
            return nil
        }
        guard names.contains(defaultClass) else {
            reader.badValue(
                "default_class",
                "no [[\(reader.path).class]] is named \"\(defaultClass)\" (defined: \(names.joined(separator: ", ")))")
            return nil
        }
        if anomalyMinSamples > anomalyWindow {
            reader.badValue("anomaly_min_samples", "must not exceed anomaly_window (\(anomalyWindow))")
            return nil
        }
        self.defaultClass = defaultClass
        self.classes = classes
    }

    /// `text` (digits, optionally `.` and at most `scale` digits) in minor units, or nil.
    static func minorUnits(_ text: String, scale: Int) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCII),
            whole.allSatisfy(\.isNumber)
        else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= scale, fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
            parts.count == 1 || !fraction.isEmpty
        else { return nil }
        let digits = String(whole) + fraction + String(repeating: "0", count: scale - fraction.count)
        return Int64(digits)
    }
}
