/// Decides when the daemon's checkpoint may move. Pure: no I/O, no clock.
///
/// Every transaction (or chunk of a big one) handed to the sinks gets a ticket, in binlog order.
/// Each sink handles tickets in order and acknowledges "everything through ticket T" when it has
/// applied them; a sink that must wait for Redis replicas (`WAIT`) says whether the replicas have
/// them too. The checkpoint of a ticket counts only when every enabled sink acknowledged it (and,
/// for sinks requiring replicas, the replicas did): so the checkpoint never passes a transaction
/// some sink lacks, and a chunk that is not a transaction's last carries no checkpoint, so a big
/// transaction is never half-checkpointed.
///
/// - `committed`: the newest checkpoint every sink has applied.
/// - `replicated`: the newest checkpoint every sink has applied and, where required, replicated;
///   the safe place to rewind to when a Redis master fails over (its replica may lack the rest).
package struct CheckpointCoordinator: Sendable, Equatable {
    package typealias Ticket = UInt64

    package struct Sink: Sendable, Equatable {
        package var name: String
        /// Acknowledgements count only once the Redis replicas confirmed them (`WAIT`).
        package var requiresReplicas: Bool

        package init(_ name: String, requiresReplicas: Bool = false) {
            self.name = name
            self.requiresReplicas = requiresReplicas
        }
    }

    private struct SinkState: Sendable, Equatable {
        var sink: Sink
        var applied: Ticket = 0
        var replicated: Ticket = 0
    }

    private struct Pending: Sendable, Equatable {
        var ticket: Ticket
        var checkpoint: SinkCheckpoint?
    }

    private var sinks: [SinkState]
    private var pending: [Pending] = []
    private var nextTicket: Ticket = 1
    package private(set) var committed: SinkCheckpoint?
    package private(set) var replicated: SinkCheckpoint?

    /// `start`: where reading begins (the checkpoint resumed from), reported until something newer counts.
    package init(sinks: [Sink], start: SinkCheckpoint?) {
        self.sinks = sinks.map { SinkState(sink: $0) }
        committed = start
        replicated = start
    }

    package var sinkNames: [String] { sinks.map(\.sink.name) }

    /// Tickets handed out and not yet acknowledged (and replicated) by every sink.
    package var inFlight: Int { pending.count }

    /// Tickets handed out and not yet applied by every sink: `inFlight` less those that only
    /// wait for the Redis replicas to confirm them.
    package var unapplied: Int {
        let applied = sinks.map(\.applied).min() ?? lastTicket
        return pending.reduce(0) { $0 + ($1.ticket > applied ? 1 : 0) }
    }

    /// The last ticket handed out (0 before any).
    package var lastTicket: Ticket { nextTicket - 1 }

    /// Registers the next transaction or chunk. `checkpoint` is nil for a chunk that is not its
    /// transaction's last: no acknowledgement of it can move the checkpoint.
    package mutating func dispatch(checkpoint: SinkCheckpoint?) -> Ticket {
        let ticket = nextTicket
        nextTicket += 1
        pending.append(Pending(ticket: ticket, checkpoint: checkpoint))
        return ticket
    }

    /// `sink` has applied every ticket through `ticket`; `replicated` says whether its Redis
    /// replicas confirmed them (ignored for sinks that don't require replicas). Returns whether
    /// `committed` moved.
    @discardableResult
    package mutating func acknowledge(sink name: String, through ticket: Ticket, replicated: Bool)
        throws(CoordinatorError) -> Bool
    {
        guard let i = sinks.firstIndex(where: { $0.sink.name == name }) else {
            throw CoordinatorError(
                .unknownSink,
                "acknowledgement from unknown sink \"\(name)\" (sinks: \(sinkNames.joined(separator: ", ")))")
        }
        guard ticket < nextTicket else {
            throw CoordinatorError(
                .unknownTicket, "sink \"\(name)\" acknowledged ticket \(ticket), but only \(lastTicket) were dispatched"
            )
        }
        guard ticket >= sinks[i].applied else {
            throw CoordinatorError(
                .outOfOrder, "sink \"\(name)\" acknowledged ticket \(ticket) after \(sinks[i].applied)")
        }
        sinks[i].applied = ticket
        if replicated || !sinks[i].sink.requiresReplicas { sinks[i].replicated = ticket }
        let before = committed
        advance()
        return before != committed
    }

    private mutating func advance() {
        let applied = sinks.map(\.applied).min() ?? lastTicket
        let safe = sinks.map(\.replicated).min() ?? lastTicket
        var dropped = 0
        for entry in pending {
            guard entry.ticket <= applied else { break }
            if let c = entry.checkpoint { committed = c }
            if entry.ticket <= safe {
                if let c = entry.checkpoint { replicated = c }
                dropped += 1
            }
        }
        pending.removeFirst(dropped)
    }

    /// Forgets everything in flight (after a rewind: the source restarts from `replicated`, and
    /// tickets handed out before no longer count).
    package mutating func rewind() -> SinkCheckpoint? {
        pending.removeAll()
        for i in sinks.indices {
            sinks[i].applied = lastTicket
            sinks[i].replicated = lastTicket
        }
        committed = replicated
        return replicated
    }
}

/// A sink's acknowledgement the coordinator cannot accept (a bug in the daemon's wiring).
package struct CoordinatorError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        case unknownSink, unknownTicket, outOfOrder
    }

    package let code: Code
    package let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "checkpoint coordinator: \(message)" }
}
