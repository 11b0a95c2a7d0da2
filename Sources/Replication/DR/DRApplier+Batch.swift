import Kafka
import RedisCluster

extension DRApplier {
    /// A polled batch read in order: the changes to apply and where each partition resumes.
    struct ScannedBatch {
        var next: [DROffsets.Partition: Int64] = [:]
        var changes: [DRChange] = []
        /// Each change's Kafka timestamp, in step with `changes`.
        var produced: [Int64] = []
        /// The error that cut the batch short, thrown once what came before it is stored.
        var halt: DRError?
        /// The watermark state of the partitions touched, and every message passed in order (to
        /// recount it when the batch is cut short by a mapping error).
        var marks: [DROffsets.Partition: DROffsets.Entry] = [:]
        var passed: [(p: DROffsets.Partition, offset: Int64, marker: WatermarkMarker?)] = []
    }

    /// Applies one polled batch: checks each partition's offsets run on without a hole, decodes the
    /// messages, applies their rows in one versioned apply, and then stores the new offsets. A gap
    /// (under `.halt`), an unreadable message or a mapping error stops the batch there: the
    /// messages before it are applied and their offsets stored, then the error throws.
    func applyBatch(_ messages: [KafkaMessage], shouldStop: () -> Bool) throws(DRError) {
        var batch = ScannedBatch()
        for m in messages {
            guard scan(m, into: &batch) else { break }
        }
        let (writes, tables) = mapWrites(&batch)
        guard applyHolding(writes, tables: tables, shouldStop: shouldStop) else { return }
        guard storeOffsets(of: batch, shouldStop: shouldStop) else { return }
        if let halt = batch.halt { throw halt }
    }

    /// Reads message `m` into `batch`. False when it halts the batch (`batch.halt` set): a gap
    /// under `.halt` or an unreadable message.
    private func scan(_ m: KafkaMessage, into batch: inout ScannedBatch) -> Bool {
        let p = DROffsets.Partition(topic: m.topic, partition: m.partition)
        let expected = batch.next[p] ?? offsets.entries[p]?.next ?? 0
        do throws(DRError) {
            if m.offset < expected {
                // Behind the stored offset. When the partition now ends before it, the topic was
                // recreated (or truncated) and its new messages would be skipped: a gap.
                if let end = consumer.fetchedWatermarks(topic: m.topic, partition: m.partition)?.high, end < expected {
                    try reportTruncation(p, stored: expected, end: end)
                }
                // Otherwise read again after a re-assignment: already applied.
                return true
            }
            if m.offset > expected, settings.compacted {
                counters.compactedOffsets += Int(clamping: m.offset - expected)
            } else if m.offset > expected {
                try reportGap(p, expected: expected, got: m.offset, why: "the partition skipped offsets")
            }
            let headers = m.headers.map { ($0.name, $0.value) }
            if WatermarkMarker.isMarker(headers: headers) {
                let marker = try passMarker(m, in: p, marks: &batch.marks)
                batch.passed.append((p, m.offset, marker))
                batch.next[p] = m.offset + 1
                return true
            }
            batch.marks[p, default: entry(p)].passMessage()
            batch.passed.append((p, m.offset, nil))
            if DRChange.isTombstone(value: m.value) || DRChange.isSchemaChange(headers: headers) {
                if m.value == nil { counters.tombstones += 1 } else { counters.schemaChanges += 1 }
                batch.next[p] = m.offset + 1
                return true
            }
            do {
                batch.changes.append(try DRChange(topic: m.topic, partition: m.partition, offset: m.offset, value: m.value,
                                                  headers: headers))
            } catch {
                metrics?.error(.badMessage)  // DRChange throws only `.badMessage`
                throw error
            }
            batch.produced.append(m.timestampMilliseconds ?? 0)
            batch.next[p] = m.offset + 1
            return true
        } catch {
            batch.halt = error
            return false
        }
    }

    /// The writes of the batch's changes by every mapping of their table, and each write's table.
    /// A mapping error (of a mapping that does not skip) cuts the batch before its change: the
    /// offsets, changes and watermark counts stop there and `batch.halt` is set.
    private func mapWrites(_ batch: inout ScannedBatch) -> (writes: [VersionedWrite], tables: [String]) {
        var writes: [VersionedWrite] = []
        var tables: [String] = []
        var usable = batch.changes.count
        mapping: for (i, c) in batch.changes.enumerated() {
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
                    batch.halt = DRError(.mapping, error.description, place: c.place)
                    writes.removeSubrange(mark...)
                    tables.removeSubrange(mark...)
                    usable = i
                    break mapping
                }
            }
        }
        if usable < batch.changes.count {
            // Offsets stop before the change that failed to map; writes after it were not made.
            let kept = batch.changes[..<usable]
            batch.next = [:]
            for c in kept { batch.next[DROffsets.Partition(topic: c.topic, partition: c.partition)] = c.offset + 1 }
            batch.changes = Array(kept)
            batch.produced = Array(batch.produced.prefix(usable))
            let next = batch.next
            batch.marks = recount(batch.passed.filter { $0.offset < next[$0.p] ?? 0 })
        }
        return (writes, tables)
    }

    /// Stores the applied batch's offsets (and the DR watermark when it moved), holding while the
    /// DR cluster fails, then counts the batch. False when asked to stop first.
    private func storeOffsets(of batch: ScannedBatch, shouldStop: () -> Bool) -> Bool {
        var stored: [DROffsets.Partition: DROffsets.Entry] = [:]
        for (p, n) in batch.next {
            let time = batch.changes.filter { $0.topic == p.topic && $0.partition == p.partition }.map { Int64($0.commitTime) }.max()
            let mark = batch.marks[p] ?? entry(p)
            stored[p] = DROffsets.Entry(
                next: n, commitTime: time ?? offsets.entries[p]?.commitTime ?? 0, mark: mark.mark, since: mark.since)
        }
        var after = offsets
        for (p, e) in stored { after.entries[p] = e }
        let point = after.watermark(over: assigned)
        guard storeHolding(stored, watermark: point != offsets.watermark ? point : nil, shouldStop: shouldStop) else { return false }
        offsets.entries = after.entries
        if let point { offsets.watermark = point }
        counters.messages += batch.changes.count
        counters.batches += 1
        metrics?.batch()
        if let latest = batch.changes.map({ Int64($0.commitTime) }).max() { lastCommitTime = max(lastCommitTime, latest) }
        if let latest = batch.produced.max() { lastProducedMilliseconds = max(lastProducedMilliseconds, latest) }
        return true
    }

    /// Applies `writes`, retrying while the DR cluster fails. False when asked to stop first.
    private func applyHolding(_ writes: [VersionedWrite], tables: [String], shouldStop: () -> Bool) -> Bool {
        var loop = holding()
        let outcome = loop.run(
            until: shouldStop,
            { try applier.apply(writes) },
            onFailure: { error in
                metrics?.error(.redisApply)
                hold("redis", "DR cluster apply failed (\(error)); holding the batch of \(writes.count) write(s)")
                return .retry
            },
            afterPause: {
                try? applier.client.refreshSlotMap()
                _ = try? applier.loadLibrary()
            })
        guard case .done(let outcomes) = outcome else { return false }
        for (o, table) in zip(outcomes, tables) {
            if o == .applied { counters.applied += 1 } else { counters.staleRefused += 1 }
            metrics?.row(table: table, applied: o == .applied)
        }
        return true
    }

    private func storeHolding(
        _ entries: [DROffsets.Partition: DROffsets.Entry], watermark: DRWatermarkPoint?, shouldStop: () -> Bool
    ) -> Bool {
        var loop = holding()
        let outcome = loop.run(
            until: shouldStop,
            { try DROffsets.store(entries, watermark: watermark, in: applier.client, key: offsetsKey) },
            onFailure: { error in
                metrics?.error(.checkpoint)
                hold("redis", "storing DR offsets failed (\(error)); holding")
                return .retry
            },
            afterPause: { try? applier.client.refreshSlotMap() })
        guard case .done = outcome else { return false }
        return true
    }

    /// The applier's retry loop while the DR cluster fails: the batch in hand is tried at least
    /// once, then again every `retryPauseSeconds` until `shouldStop` answers true. `hold` logs.
    func holding(check: Retrying.StopCheck = .beforeEachPause) -> Retrying {
        Retrying(pauseSeconds: settings.retryPauseSeconds, stopCheck: check, sleep: sleep, clock: clock)
    }
}
