/// The ledger's risk rules as a Redis function library (`sluice_risk`), loaded like the apply
/// library (`FunctionLibrary.load`, again on a node that answers it is missing).
///
/// Keys of account `A` all carry the hash tag `{A}`, so every call about one account is one slot:
/// - `sluice:risk:{A}` hash, the account's risk flags (written by operators): `blocked` (reason:
///   the account may neither pay nor be paid), `merchant` (the account receives payments for a
///   merchant, the value names it), `merchant_blocked` (reason: the merchant is blacklisted, its
///   account may not be paid but may still pay, e.g. refunds), `class` (limits class, else the
///   configured default);
/// - `...:d:<day>` the amount used on UTC day `<day>` (days since the epoch): reserved + confirmed;
/// - `...:m` sorted set of reservation ids by time (ms): the transfers of the last 60 s;
/// - `...:r` hash reservation id -> `<state> <amount> <day>`, state `P` pending, `C` confirmed,
///   `R` released; `...:x` sorted set of reservation ids by expiry (ms);
/// - `...:w` list of the last `window` confirmed amounts (the anomaly rule's recent average).
///
/// Time is the node's clock (`TIME`), so every ledger process sees the same day and minute.
///
/// Functions (KEYS[1] = `sluice:risk:{A}`):
/// - `sluice_risk_reserve` ARGV: `rid amount ttl_ms keep_ms window min_samples default_class n`
///   then n x `class daily_limit per_minute anomaly_factor` (-1, 0, 0 = no limit). First expired
///   reservations are purged (a pending one gives back its amount and its minute slot), then the
///   rules in order: `blacklisted_account`, `rate_limit` (transfers in the last 60 s),
///   `daily_limit` (used + amount), `amount_anomaly` (amount > factor x average of the last
///   `window` confirmed amounts, once there are `min_samples`). Accepted: the amount is added to
///   the day, the id to the minute, and the reservation is pending until `ttl_ms`. Answers
///   `{accepted, class, used, count, day}` or `{refused, rule, class, detail}`. A repeat of a
///   pending id answers accepted again without counting twice (a retried call).
/// - `sluice_risk_confirm` ARGV: `rid amount day window keep_ms`: the transfer committed. A
///   pending reservation becomes confirmed; one already expired (or unknown) is counted now; the
///   amount joins the recent window. Answers 1, or 0 when already confirmed.
/// - `sluice_risk_release` ARGV: `rid keep_ms`: the transfer aborted. A pending reservation gives
///   back its amount and minute slot: answers 1, or 0 when there is nothing to release (already
///   released or expired, or unknown): idempotent by id. A confirmed one is an error.
/// - `sluice_risk_payee` (no writes): the credited account's flags: `{accepted}` or `{refused,
///   blacklisted_account|blacklisted_merchant, reason}`.
/// - `sluice_risk_state` ARGV: `window`: purges, then `{used today, transfers in the last 60 s,
///   pending reservations, recent window length}`.
///
/// Settled records (`C`, `R`) are kept `keep_ms` after settling, so a repeated settle is
/// recognised. Keys expire on their own: a day after the day (`:d`), 60 s after the last
/// transfer (`:m`), two days after the last reservation (`:r`, `:x`), 30 days after the last
/// confirmed transfer (`:w`).
package enum RiskLibrary {
    package static let name = "sluice_risk"
    package static let reserveFunction = "sluice_risk_reserve"
    package static let confirmFunction = "sluice_risk_confirm"
    package static let releaseFunction = "sluice_risk_release"
    package static let payeeFunction = "sluice_risk_payee"
    package static let stateFunction = "sluice_risk_state"

    /// The flags hash of account `id`; every other key of the account starts with it.
    package static func key(of id: Int64) -> String { "sluice:risk:{\(id)}" }

    package static let source = """
        #!lua name=sluice_risk
        local DAY = 86400000

        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end

        -- state, amount (text), day (text) of a reservation record
        local function parse(rec)
          return string.match(rec, '^(%a) (%d+) (%d+)$')
        end

        local function settle(base, rid, state, amount, day, now, keep)
          redis.call('HSET', base .. ':r', rid, state .. ' ' .. amount .. ' ' .. day)
          redis.call('ZADD', base .. ':x', now + keep, rid)
        end

        -- A pending reservation gives back its amount and its place in the last minute.
        local function undo(base, rid, amount, day)
          local dk = base .. ':d:' .. day
          if redis.call('EXISTS', dk) == 1 then redis.call('DECRBY', dk, amount) end
          redis.call('ZREM', base .. ':m', rid)
        end

        -- Expired records: pending ones were never confirmed or released (a crash), so undone.
        local function purge(base, now)
          local ids = redis.call('ZRANGEBYSCORE', base .. ':x', '-inf', now, 'LIMIT', 0, 256)
          for _, rid in ipairs(ids) do
            local rec = redis.call('HGET', base .. ':r', rid)
            if rec then
              local s, a, d = parse(rec)
              if s == 'P' then undo(base, rid, a, d) end
              redis.call('HDEL', base .. ':r', rid)
            end
            redis.call('ZREM', base .. ':x', rid)
          end
        end

        local function recent(base, window)
          local w = redis.call('LRANGE', base .. ':w', 0, window - 1)
          local sum = 0
          for _, v in ipairs(w) do sum = sum + tonumber(v) end
          return #w, sum
        end

        local function limits(args, class)
          local n = tonumber(args[8])
          for j = 0, n - 1 do
            local b = 9 + 4 * j
            if args[b] == class then
              return tonumber(args[b + 1]), tonumber(args[b + 2]), tonumber(args[b + 3])
            end
          end
          return nil
        end

        local function reserve(keys, args)
          local base, rid, amount_s = keys[1], args[1], args[2]
          local amount, ttl, keep = tonumber(amount_s), tonumber(args[3]), tonumber(args[4])
          local window, samples = tonumber(args[5]), tonumber(args[6])
          if not (amount and ttl and keep and window and samples and tonumber(args[8])) then
            return redis.error_reply('ERR sluice_risk: malformed reserve arguments')
          end
          local now = now_ms()
          purge(base, now)
          local rec = redis.call('HGET', base .. ':r', rid)
          local flags = redis.call('HMGET', base, 'blocked', 'class')
          local class = flags[2] or args[7]
          local daily, per_minute, factor = limits(args, class)
          if not daily then
            class = args[7]
            daily, per_minute, factor = limits(args, class)
          end
          if not daily then return redis.error_reply('ERR sluice_risk: no limits for class ' .. class) end
          local mk = base .. ':m'
          redis.call('ZREMRANGEBYSCORE', mk, '-inf', now - 60000)
          local count = redis.call('ZCARD', mk)
          local day = tostring(math.floor(now / DAY))
          local dk = base .. ':d:' .. day
          local used = tonumber(redis.call('GET', dk) or '0')
          if rec then
            local s, _, d = parse(rec)
            if s == 'P' then return {'accepted', class, tostring(used), tostring(count), d} end
            return redis.error_reply('ERR sluice_risk: reservation ' .. rid .. ' is already settled')
          end
          if flags[1] then return {'refused', 'blacklisted_account', class, flags[1]} end
          if per_minute > 0 and count >= per_minute then
            return {'refused', 'rate_limit', class,
              count .. ' transfer(s) in the last 60 s, at most ' .. per_minute}
          end
          if daily >= 0 and used + amount > daily then
            return {'refused', 'daily_limit', class,
              'used ' .. string.format('%.0f', used) .. ' of ' .. string.format('%.0f', daily) .. ' today'}
          end
          if factor > 0 then
            local n, sum = recent(base, window)
            if n >= samples and n > 0 and amount * n > factor * sum then
              return {'refused', 'amount_anomaly', class,
                'above ' .. factor .. ' x the average of the last ' .. n .. ' transfer(s) ('
                .. string.format('%.0f', sum / n) .. ')'}
            end
          end
          redis.call('INCRBY', dk, amount_s)
          redis.call('PEXPIRE', dk, 2 * DAY)
          redis.call('ZADD', mk, now, rid)
          redis.call('PEXPIRE', mk, 60000 + ttl)
          settle(base, rid, 'P', amount_s, day, now, ttl)
          redis.call('PEXPIRE', base .. ':r', 2 * DAY + ttl + keep)
          redis.call('PEXPIRE', base .. ':x', 2 * DAY + ttl + keep)
          return {'accepted', class, tostring(used + amount), tostring(count + 1), day}
        end

        local function confirm(keys, args)
          local base, rid, amount, day = keys[1], args[1], args[2], args[3]
          local window, keep = tonumber(args[4]), tonumber(args[5])
          if not (tonumber(amount) and tonumber(day) and window and keep) then
            return redis.error_reply('ERR sluice_risk: malformed confirm arguments')
          end
          local now = now_ms()
          purge(base, now)
          local rec = redis.call('HGET', base .. ':r', rid)
          if rec then
            local s = parse(rec)
            if s == 'C' then return 0 end
            if s == 'R' then return redis.error_reply('ERR sluice_risk: reservation ' .. rid .. ' was released') end
          else
            -- Expired before the commit was known: the transfer happened, so it counts.
            local dk = base .. ':d:' .. day
            redis.call('INCRBY', dk, amount)
            redis.call('PEXPIRE', dk, 2 * DAY)
            redis.call('ZADD', base .. ':m', now, rid)
            redis.call('PEXPIRE', base .. ':m', 60000)
          end
          settle(base, rid, 'C', amount, day, now, keep)
          redis.call('PEXPIRE', base .. ':r', 2 * DAY + keep)
          redis.call('PEXPIRE', base .. ':x', 2 * DAY + keep)
          redis.call('LPUSH', base .. ':w', amount)
          redis.call('LTRIM', base .. ':w', 0, window - 1)
          redis.call('PEXPIRE', base .. ':w', 30 * DAY)
          return 1
        end

        local function release(keys, args)
          local base, rid, keep = keys[1], args[1], tonumber(args[2])
          if not keep then return redis.error_reply('ERR sluice_risk: malformed release arguments') end
          local now = now_ms()
          purge(base, now)
          local rec = redis.call('HGET', base .. ':r', rid)
          if not rec then return 0 end
          local s, a, d = parse(rec)
          if s == 'R' then return 0 end
          if s == 'C' then return redis.error_reply('ERR sluice_risk: reservation ' .. rid .. ' is confirmed') end
          undo(base, rid, a, d)
          settle(base, rid, 'R', a, d, now, keep)
          return 1
        end

        local function payee(keys, args)
          local flags = redis.call('HMGET', keys[1], 'blocked', 'merchant_blocked')
          if flags[1] then return {'refused', 'blacklisted_account', flags[1]} end
          if flags[2] then return {'refused', 'blacklisted_merchant', flags[2]} end
          return {'accepted'}
        end

        local function state(keys, args)
          local base, window = keys[1], tonumber(args[1]) or 100
          local now = now_ms()
          purge(base, now)
          redis.call('ZREMRANGEBYSCORE', base .. ':m', '-inf', now - 60000)
          local used = redis.call('GET', base .. ':d:' .. math.floor(now / DAY)) or '0'
          local pending = 0
          for _, rec in ipairs(redis.call('HVALS', base .. ':r')) do
            if string.sub(rec, 1, 1) == 'P' then pending = pending + 1 end
          end
          local n = recent(base, window)
          return {used, redis.call('ZCARD', base .. ':m'), pending, n}
        end

        redis.register_function('sluice_risk_reserve', reserve)
        redis.register_function('sluice_risk_confirm', confirm)
        redis.register_function('sluice_risk_release', release)
        redis.register_function{function_name = 'sluice_risk_payee', callback = payee, flags = {'no-writes'}}
        redis.register_function('sluice_risk_state', state)
        """
}
