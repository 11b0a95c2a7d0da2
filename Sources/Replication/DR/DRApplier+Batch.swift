import Kafka
import RedisCluster

extension DRApplier {
    /// Applies one polled batch: checks each partition's offsets run on without a hole, decodes the
    /// messages, applies their rows in one versioned apply, and then stores the new offsets. A gap
    /// (under `.halt`), an unreadable message or a mapping error stops the batch there: the
    /// messages before it are applied and their offsets stored, then the error throws.
    func applyBatch(_ messages: [KafkaMessage], shouldStop: () -> Bool) throws(DRError) {
        var next: [DROffsets.Partition: Int64] = [:]
        var changes: [DRChange] = []
        // Each change's Kafka timestamp, in step with `changes`.
        var produced: [Int64] = []
        var halt: DRError?
        // The watermark state of the partitions touched, and every message passed in order (to
        // recount it when the batch is cut short by a mapping error).
        var marks: [DROffsets.Partition: DROffsets.Entry] = [:]
        var passed: [(p: DROffsets.Partition, offset: Int64, marker: WatermarkMarker?)] = []
        for m in messages {
            let p = DROffsets.Partition(topic: m.topic, partition: m.partition)
            let expected = next[p] ?? offsets.entries[p]?.next ?? 0
            if m.offset < expected {
                // Behind the stored offset. When the partition now ends before it, the topic was
                // recreated (or truncated) and its new messages would be skipped: a gap.
                if let end = consumer.fetchedWatermarks(topic: m.topic, partition: m.partition)?.high, end < expected {
                    do {
                        try reportTruncation(p, stored: expected, end: end)
                    } catch {
                        halt = error
                        break
                    }
                }
                // Otherwise read again after a re-assignment: already applied.
                continue
            }
            if m.offset > expected, settings.compacted {
                counters.compactedOffsets += Int(clamping: m.offset - expected)
            } else if m.offset > expected {
                do {
                    try reportGap(p, expected: expected, got: m.offset, why: "the partition skipped offsets")
                } catch {
                    halt = error
                    break
                }
            }
            let headers = m.headers.map { ($0.name, $0.value) }
            if WatermarkMarker.isMarker(headers: headers) {
                do {
                    let marker = try passMarker(m, in: p, marks: &marks)
                    passed.append((p, m.offset, marker))
                } catch {
                    halt = error
                    break
                }
                next[p] = m.offset + 1
                continue
            }
            marks[p, default: entry(p)].passMessage()
            passed.append((p, m.offset, nil))
            if DRChange.isTombstone(value: m.value) || DRChange.isSchemaChange(headers: headers) {
                if m.value == nil { counters.tombstones += 1 } else { counters.schemaChanges += 1 }
                next[p] = m.offset + 1
                continue
            }
            do {
                changes.append(try DRChange(topic: m.topic, partition: m.partition, offset: m.offset, value: m.value,
                                            headers: m.headers.map { ($0.name, $0.value) }))
                produced.append(m.timestampMilliseconds ?? 0)
            } catch {
                metrics?.error(.badMessage)  // DRChange throws only `.badMessage`
                halt = error
                break
            }
            next[p] = m.offset + 1
        }
        var writes: [VersionedWrite] = []
        var tables: [String] = []
        var usable = changes.count
        mapping: for (i, c) in changes.enumerated() {
            guard let tableMappings = mappings[c.change.qualifiedTable] else {
                counters.skippedRows += 1
                continue
            }
            let mark = writes.count
            for mapping in tableMappings {
                do {
                    var made = try mapping.writes(for: c.change)
                    // The producer's version is authoritative (binlog versions need the change's
                    // ordinal within its transaction, which the message does not carry).
                    if let v = c.version { for j in made.indices { made[j].version = v } }
                    writes += made
                    tables += Array(repeating: c.change.qualifiedTable, count: made.count)
                } catch {
                    if mapping.skipOnError {
                        counters.skippedRows += 1
                        continue
                    }
                    metrics?.error(.mapping)
                    halt = DRError(.mapping, error.description, place: c.place)
                    writes.removeSubrange(mark...)
                    tables.removeSubrange(mark...)
                    usable = i
                    break mapping
                }
            }
        }
        if usable < changes.count {
            // Offsets stop before the change that failed to map; writes after it were not made.
            let kept = changes[..<usable]
            next = [:]
            for c in kept { next[DROffsets.Partition(topic: c.topic, partition: c.partition)] = c.offset + 1 }
            changes = Array(kept)
            produced = Array(produced.prefix(usable))
            marks = recount(passed.filter { $0.offset < next[$0.p] ?? 0 })
        }
        guard try applyHolding(writes, tables: tables, shouldStop: shouldStop) else { return }
        var stored: [DROffsets.Partition: DROffsets.Entry] = [:]
        for (p, n) in next {
            let time = changes.filter { $0.topic == p.topic && $0.partition == p.partition }.map { Int64($0.commitTime) }.max()
            let mark = marks[p] ?? entry(p)
            stored[p] = DROffsets.Entry(
                next: n, commitTime: time ?? offsets.entries[p]?.commitTime ?? 0, mark: mark.mark, since: mark.since)
        }
        var after = offsets
        for (p, e) in stored { after.entries[p] = e }
        let point = after.watermark(over: assigned)
        guard storeHolding(stored, watermark: point != offsets.watermark ? point : nil, shouldStop: shouldStop) else { return }
        offsets.entries = after.entries
        if let point { offsets.watermark = point }
        counters.messages += changes.count
        counters.batches += 1
        metrics?.batch()
        if let latest = changes.map({ Int64($0.commitTime) }).max() { lastCommitTime = max(lastCommitTime, latest) }
        if let latest = produced.max() { lastProducedMilliseconds = max(lastProducedMilliseconds, latest) }
        if let halt { throw halt }
    }

    /// Applies `writes`, retrying while the DR cluster fails. False when asked to stop first.
    private func applyHolding(_ writes: [VersionedWrite], tables: [String], shouldStop: () -> Bool) throws(DRError) -> Bool {
        while true {
            do {
                let outcomes = try applier.apply(writes)
                for (o, table) in zip(outcomes, tables) {
                    if o == .applied { counters.applied += 1 } else { counters.staleRefused += 1 }
                    metrics?.row(table: table, applied: o == .applied)
                }
                return true
            } catch {
                metrics?.error(.redisApply)
                hold("redis", "DR cluster apply failed (\(error)); holding the batch of \(writes.count) write(s)")
                if shouldStop() { return false }
                sleep(settings.retryPauseSeconds)
                try? applier.client.refreshSlotMap()
                _ = try? applier.loadLibrary()
            }
        }
    }

    private func storeHolding(
        _ entries: [DROffsets.Partition: DROffsets.Entry], watermark: DRWatermarkPoint?, shouldStop: () -> Bool
    ) -> Bool {
        while true {
            do {
                try DROffsets.store(entries, watermark: watermark, in: applier.client, key: offsetsKey)
                return true
            } catch {
                metrics?.error(.checkpoint)
                hold("redis", "storing DR offsets failed (\(error)); holding")
                if shouldStop() { return false }
                sleep(settings.retryPauseSeconds)
                try? applier.client.refreshSlotMap()
            }
        }
    }
}
