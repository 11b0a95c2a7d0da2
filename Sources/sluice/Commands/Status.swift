import Ops
import Replication

enum StatusCommand {
    static let command = Command(
        "status",
        abstract: "Show how far each sink and the DR applier are behind the source",
        discussion: """
            Reads, without the daemon's help: the source's binlog end (SHOW MASTER STATUS), each
            [redis.NAME] cluster's checkpoint, the DR applier's offsets and the topic ends. Prints
            one row per component with the lag in bytes, seconds, transactions (GTID sources) and
            messages (DR). Exits 0 when every lag is under the [lag] thresholds, 3 when one is not
            or a component could not be read (shown as UNKNOWN with the reason), 2 for a bad
            configuration.
            """,
        flags: [.config, .boolean("json", help: "print one JSON object instead of the table")]
    ) { invocation in
        let config = try invocation.loadConfig()
        let status = LagStatus.gather(config: config)
        if invocation.arguments.flag("json") {
            invocation.console.out(status.json)
        } else {
            invocation.console.out(status.text)
        }
        return status.exitStatus == 0 ? .success : .lagging
    }
}
