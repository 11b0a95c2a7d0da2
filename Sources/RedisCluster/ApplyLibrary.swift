/// The Redis function library that applies version-checked rows, loaded with `FUNCTION LOAD
/// REPLACE` on every master (and again on a node that answers it is missing).
///
/// Arguments: `ARGV[1]` = tombstone lifetime in ms (0 = keep forever), then per row:
/// `op key vkey version ttl_ms n m value... removed...` where op is `H` (hash: n = 2 x fields,
/// name/value pairs, then m field names to remove: the mapped columns that are NULL now),
/// `S` (string: n = 1, or 0 for NULL) or `D` (delete); m = 0 except for hashes.
///
/// Per row, atomically: read the stored version (`vkey`, with `pcall`); when the row's version is
/// greater (decimal strings compared by length, then bytes: exact for any size) write the value,
/// then the version; answer 1 (applied) or 0 (refused: stale or equal). The first write to a key
/// is a `pcall`, so a key this node can't serve (slot moved, or migrating and the key already
/// gone) is answered `E:<message>` before anything of that row is written, and the rest of the
/// batch goes on. A hash is updated in place (HSET of the row's fields, HDEL of its NULL ones),
/// never deleted and re-created, because a key deleted mid-migration could not be written again
/// on this node; so a hash field whose column is no longer mapped at all (dropped column) stays
/// until the key is deleted or resynced. Three calls per row in the common case (GET version,
/// HSET or SET value, SET version): the per-row cost that bounds throughput.
///
/// `sluice_apply` takes keys in ARGV (keys of several slots on this node: `allow-cross-slot-keys`);
/// `sluice_apply_one` declares `key` and `vkey` as KEYS so cluster redirects (MOVED, ASK,
/// TRYAGAIN) apply to it: it is the path for a row re-routed alone.
public enum ApplyLibrary {
    public static let name = "sluice"
    public static let batchFunction = "sluice_apply"
    public static let singleFunction = "sluice_apply_one"

    public static let source = """
        #!lua name=sluice
        local function newer(v, cur)
          if not cur then return true end
          if #v ~= #cur then return #v > #cur end
          return v > cur
        end

        local function failure(r)
          if type(r) == 'table' and r.err then return r.err end
          return nil
        end

        local function apply_rows(argv)
          local tomb = tonumber(argv[1])
          if not tomb then return redis.error_reply('ERR sluice: bad tombstone ttl') end
          local out = {}
          local i = 2
          local last = #argv
          while i <= last do
            local op, key, vkey, ver = argv[i], argv[i + 1], argv[i + 2], argv[i + 3]
            local ttl, n, m = tonumber(argv[i + 4]), tonumber(argv[i + 5]), tonumber(argv[i + 6])
            if not (ttl and n and m and ver) or i + 6 + n + m > last then
              return redis.error_reply('ERR sluice: malformed row at argument ' .. i)
            end
            local first = i + 7
            i = first + n + m
            local cur = redis.pcall('GET', vkey)
            local err = failure(cur)
            if not err and newer(ver, cur) then
              -- The first write to `key` is a pcall: if this node can't serve the key, nothing of the
              -- row has been written and the row is reported for re-routing.
              if op == 'H' then
                if n > 0 then
                  err = failure(redis.pcall('HSET', key, unpack(argv, first, first + n - 1)))
                  if err and string.find(err, 'WRONGTYPE', 1, true) then
                    redis.call('DEL', key)
                    err = failure(redis.pcall('HSET', key, unpack(argv, first, first + n - 1)))
                  end
                  if not err and m > 0 then redis.call('HDEL', key, unpack(argv, first + n, first + n + m - 1)) end
                  if not err and ttl > 0 then redis.call('PEXPIRE', key, ttl) end
                else
                  err = failure(redis.pcall('DEL', key))
                end
              elseif op == 'S' and n > 0 then
                if ttl > 0 then err = failure(redis.pcall('SET', key, argv[first], 'PX', ttl))
                else err = failure(redis.pcall('SET', key, argv[first])) end
              elseif op == 'S' or op == 'D' then
                err = failure(redis.pcall('DEL', key))
              else
                return redis.error_reply('ERR sluice: unknown op ' .. tostring(op))
              end
              if not err then
                local vttl = 0
                if op == 'D' then vttl = tomb
                elseif ttl > 0 and tomb > 0 then vttl = math.max(ttl, tomb) end
                if vttl > 0 then redis.call('SET', vkey, ver, 'PX', vttl) else redis.call('SET', vkey, ver) end
                out[#out + 1] = 1
              end
            elseif not err then
              out[#out + 1] = 0
            end
            if err then out[#out + 1] = 'E:' .. err end
          end
          return out
        end

        redis.register_function{function_name='sluice_apply', callback=function(keys, argv) return apply_rows(argv) end,
          flags={'allow-cross-slot-keys'}}
        redis.register_function{function_name='sluice_apply_one', callback=function(keys, argv) return apply_rows(argv) end}
        """
}
