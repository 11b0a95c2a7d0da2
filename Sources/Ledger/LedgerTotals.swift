import MySQLSource

extension LedgerService {
    /// The sum of all balances (minor units) and the number of negative ones, over every shard:
    /// the conservation check of `bench ledger` and `sluice demo`.
    package func totals() throws(MySQLError) -> (sum: Int64, negatives: Int) {
        var sum: Int64 = 0
        var negatives = 0
        for (index, pool) in shards.enumerated() {
            let rows = try pool.with { c throws(MySQLError) in
                try c.query(
                    "SELECT CAST(SUM(balance) AS SIGNED) AS s, SUM(balance < 0) AS n FROM `\(database[index])`.accounts"
                )
            }
            sum += Int64(rows.value("s") ?? "0") ?? 0
            negatives += Int(rows.value("n") ?? "0") ?? 0
        }
        return (sum, negatives)
    }
}
