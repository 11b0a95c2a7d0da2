import Kafka
import Ops

extension DRApplier {
    /// The watermark state of `p` as stored (a new partition: none).
    func entry(_ p: DROffsets.Partition) -> DROffsets.Entry {
        offsets.entries[p] ?? DROffsets.Entry(next: 0, commitTime: 0)
    }

    /// Passes the watermark marker `m` of partition `p`: a count that does not match the
    /// messages passed since the session's previous marker is a gap (`[dr_apply] on_gap`; under
    /// `.halt` the marker is not passed and the error throws). An unreadable marker halts.
    /// Returns the marker.
    func passMarker(_ m: KafkaMessage, in p: DROffsets.Partition, marks: inout [DROffsets.Partition: DROffsets.Entry])
        throws(DRError) -> WatermarkMarker
    {
        guard let value = m.value, let marker = WatermarkMarker(json: value) else {
            metrics?.error(.badMessage)
            throw DRError(
                .badMessage, "a message with the \(WatermarkMarker.header) header is not a watermark marker",
                place: "\(p)@\(m.offset)")
        }
        var state = marks[p] ?? entry(p)
        if case .mismatch(let counted, let found) = state.pass(marker, compacted: settings.compacted) {
            let why =
                "the watermark marker at offset \(m.offset) counts \(counted) message(s) since the previous one and "
                + "the partition held \(found) (a message produced before \(marker.checkpoint.position) never arrived, "
                + "or the partition was rewritten)"
            try reportMissing(
                p, count: Int64(max(0, counted - found)), fields: ["counted": .init(counted), "found": .init(found)],
                why: why, error: why, place: "\(p)@\(m.offset)")
            state.accept(marker)
        }
        marks[p] = state
        return marker
    }

    /// The watermark state after passing `passed` in order (no gap reported: they were already).
    func recount(_ passed: [(p: DROffsets.Partition, offset: Int64, marker: WatermarkMarker?)])
        -> [DROffsets.Partition: DROffsets.Entry]
    {
        var marks: [DROffsets.Partition: DROffsets.Entry] = [:]
        for item in passed {
            var state = marks[item.p] ?? entry(item.p)
            if let marker = item.marker {
                if case .mismatch = state.pass(marker, compacted: settings.compacted) { state.accept(marker) }
            } else {
                state.passMessage()
            }
            marks[item.p] = state
        }
        return marks
    }

    /// The DR cluster's consistent point as stored, nil before the first.
    package var watermark: DRWatermarkPoint? { offsets.watermark }
}
