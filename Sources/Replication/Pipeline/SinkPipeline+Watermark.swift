import Foundation
import Ops
import Timekeeping

/// When the Kafka sink writes its next DR watermark round (`KafkaSink.writeWatermark`), and what
/// it carries: the last checkpoint the sink delivered (at first the one reading resumed from)
/// and the last ticket delivered. Pure; the Kafka sink thread owns it.
struct KafkaWatermarkClock {
    let interval: Double
    private(set) var next: MonotonicInstant
    private(set) var checkpoint: SinkCheckpoint?
    private(set) var ticket: CheckpointCoordinator.Ticket = 0
    /// The last round failed (its failure was logged; the next success is logged too).
    var failing = false

    init(interval: Double, start: SinkCheckpoint?, now: MonotonicInstant) {
        self.interval = interval
        next = now
        checkpoint = start
    }

    /// Until when the sink waits for a batch: the next round, or (nil) until a batch comes while
    /// there is no checkpoint to mark yet.
    var deadline: MonotonicInstant? { checkpoint == nil ? nil : next }

    mutating func delivered(_ checkpoint: SinkCheckpoint?, through ticket: CheckpointCoordinator.Ticket) {
        if let checkpoint { self.checkpoint = checkpoint }
        self.ticket = ticket
    }

    /// A round is due when the interval passed and there is a checkpoint to mark.
    func isDue(now: MonotonicInstant) -> Bool { now >= next && checkpoint != nil }

    mutating func wrote(now: MonotonicInstant) { next = now.advanced(by: interval) }

    /// The marker's `as_of` (server milliseconds): the time the source was last known to have sent
    /// everything, when everything handed out by then is delivered; never before the checkpoint's
    /// commit time.
    func asOfMilliseconds(sourceCurrent: (ticket: CheckpointCoordinator.Ticket, serverSeconds: Double)?) -> Int64 {
        let commit = (checkpoint?.commitTime ?? 0) * 1000
        guard let current = sourceCurrent, current.ticket <= ticket else { return commit }
        return max(commit, Int64((current.serverSeconds * 1000).rounded(.down)))
    }
}

/// The Kafka sink's DR watermark rounds in its pipeline loop: a round is due every `interval`
/// (also while idle: the loop wakes for it), written between two batches.
final class WatermarkRounder: SinkLoopExtras {
    private let sink: KafkaSink
    private unowned let pipeline: SinkPipeline
    private var clock: KafkaWatermarkClock

    init(_ sink: KafkaSink, pipeline: SinkPipeline, interval: Double) {
        self.sink = sink
        self.pipeline = pipeline
        clock = KafkaWatermarkClock(interval: interval, start: pipeline.start, now: pipeline.clock.monotonicNow())
    }

    var wakeAt: MonotonicInstant? { clock.deadline }

    func acknowledged(
        through ticket: CheckpointCoordinator.Ticket, epoch: Int, replicated: Bool, checkpoint: SinkCheckpoint?
    ) {
        clock.delivered(checkpoint, through: ticket)
    }

    /// Only here, between batches: every message produced so far has its delivery report.
    func betweenBatches() {
        if clock.isDue(now: pipeline.clock.monotonicNow()) { pipeline.writeWatermark(sink, &clock) }
    }
}

extension SinkPipeline {
    /// One watermark round of the Kafka sink, between two batches (so every message before it
    /// has its delivery report). Its markers are delivered like rows; a round whose metadata
    /// request fails is logged once and skipped until the next interval.
    func writeWatermark(_ sink: KafkaSink, _ clock: inout KafkaWatermarkClock) {
        clock.wrote(now: self.clock.monotonicNow())
        guard let checkpoint = clock.checkpoint else { return }
        let asOf = clock.asOfMilliseconds(sourceCurrent: locked { sourceCurrent })
        do {
            let written = try sink.writeWatermark(checkpoint, asOfMilliseconds: asOf, shouldAbort: { self.shouldStop })
            metrics?.watermarkMarkers(written)
            if clock.failing {
                clock.failing = false
                logger.notice(
                    "sink \(sink.name): DR watermark markers written again (at \(checkpoint.position))",
                    ["sink": .string(sink.name)])
            }
        } catch is KafkaSink.Aborted {
            return
        } catch {
            metrics?.error(.kafkaDelivery)
            if !clock.failing {
                clock.failing = true
                logger.warning(
                    "sink \(sink.name): DR watermark round skipped (\(error)); trying again every \(clock.interval) s",
                    ["sink": .string(sink.name)])
            }
        }
    }
}
