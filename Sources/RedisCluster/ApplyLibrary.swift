/// The Redis function library that applies version-checked rows, loaded with `FUNCTION LOAD
/// REPLACE` on every master (and again on a node that answers it is missing).
///
/// Arguments: `ARGV[1]` = tombstone lifetime in ms (0 = keep forever), then per row:
/// `op key vkey version ttl_ms n m value... removed...` where op is `H` (hash: n = 2 x fields,
/// name/value pairs, then m field names to remove: the mapped columns that are NULL now),
/// `S` (string: n = 1, or 0 for NULL) or `D` (delete); m = 0 except for hashes.
///
/// Where the version lives (`VersionKey`): a hash row keeps it in its own field `sluice:v`, so
/// an update is two calls (`HGET key sluice:v`, one `HSET` of the fields and the version); the
/// version key `vkey` holds it when there is no hash: a delete's tombstone, a string row, a hash
/// whose mapped columns are all NULL, and (beside the field) a row with a TTL, so the version
/// outlives the expired key. Reading: hash and delete rows look at the field first and fall back
/// to `vkey` when the field is absent (new key, tombstone, or a hash written before the field
/// existed), and read both when the row will write `vkey` (delete, TTL, all columns NULL);
/// string rows look at `vkey` first and fall back to the field (a key that was a hash). A hash
/// recreated over a tombstone leaves the tombstone to expire (older than the field, so unused;
/// deleting it would let a reader that reads field then key see no version for a moment).
///
/// Per row, atomically: read the stored version; when the row's version is greater (decimal
/// strings compared by length, then bytes: exact for any size) write the value and the version;
/// answer 1 (applied) or 0 (refused: stale or equal). The first accesses are `pcall`s, so a key
/// this node can't serve (slot moved, or migrating and the key already gone) is answered
/// `E:<message>` before anything of that row is written, and the rest of the batch goes on. A
/// hash is updated in place (HSET of the row's fields, HDEL of its NULL ones), never deleted and
/// re-created, because a key deleted mid-migration could not be written again on this node; so
/// a hash field whose column is no longer mapped at all (dropped column) stays until the key is
/// deleted or resynced. A key of another type (the mapping's shape changed) is replaced.
///
/// `sluice_apply` takes keys in ARGV (keys of several slots on this node: `allow-cross-slot-keys`);
/// `sluice_apply_one` declares `key` and `vkey` as KEYS so cluster redirects (MOVED, ASK,
/// TRYAGAIN) apply to it: it is the path for a row re-routed alone.
///
/// Fenced variants (guarantee 7, `Fencing`): `sluice_apply_fenced` takes `token n fence...` before
/// the usual arguments (the fence keys of the rows' slots), `sluice_apply_one_fenced` declares the
/// row's fence key as KEYS[3] and takes `token` first. When a fence key holds a greater token the
/// call writes nothing and answers `FENCED ...`; otherwise the fence keys are raised to the token.
package enum ApplyLibrary {
    package static let name = "sluice"
    package static let batchFunction = "sluice_apply"
    package static let singleFunction = "sluice_apply_one"
    package static let fencedBatchFunction = "sluice_apply_fenced"
    package static let fencedSingleFunction = "sluice_apply_one_fenced"

    package static let source = """
        #!lua name=sluice
        local VF = '\(VersionKey.hashFieldName)'

        local function newer(v, cur)
          if not cur then return true end
          if #v ~= #cur then return #v > #cur end
          return v > cur
        end

        -- (value, error message, key holds another type)
        local function read(cmd, key, field)
          local r
          if field then r = redis.pcall(cmd, key, field) else r = redis.pcall(cmd, key) end
          if type(r) == 'table' and r.err then
            if string.find(r.err, 'WRONGTYPE', 1, true) then return false, nil, true end
            return false, r.err, false
          end
          return r, nil, false
        end

        -- Lifetime of the version key after a write: nil = not written (the hash's field holds the
        -- version), 0 = no expiry. A delete's tombstone lives `tomb`; a row with a TTL keeps its
        -- version at least as long as a tombstone would, so a late replay is refused after expiry.
        local function version_key_ttl(op, n, ttl, tomb)
          if op == 'D' then return tomb end
          if op == 'H' and n and ttl == 0 then return nil end
          if ttl > 0 and tomb > 0 then return math.max(ttl, tomb) end
          return 0
        end

        -- nil when `token` is not older than any fence key (then they are raised to it), else the
        -- error reply; a key this node can't serve answers its error (the batch is re-routed).
        local function fence(keys, from, to, token)
          local t = tonumber(token)
          if not t then return redis.error_reply('ERR sluice: bad fencing token') end
          for j = from, to do
            local r = redis.pcall('GET', keys[j])
            if type(r) == 'table' and r.err then return redis.error_reply(r.err) end
            if r and tonumber(r) > t then
              return redis.error_reply('\(Fencing.refusalPrefix) token ' .. token .. ' is older than ' .. r .. ' at ' .. keys[j])
            end
          end
          for j = from, to do
            local r = redis.call('GET', keys[j])
            if not r or tonumber(r) < t then redis.call('SET', keys[j], token) end
          end
          return nil
        end

        local function apply_rows(argv, base)
          local tomb = tonumber(argv[base + 1])
          if not tomb then return redis.error_reply('ERR sluice: bad tombstone ttl') end
          local call = redis.call
          local out = {}
          local i = base + 2
          local last = #argv
          while i <= last do
            local op, key, vkey, ver = argv[i], argv[i + 1], argv[i + 2], argv[i + 3]
            local ttl, n, m = tonumber(argv[i + 4]), tonumber(argv[i + 5]), tonumber(argv[i + 6])
            if not (ttl and n and m and ver) or i + 6 + n + m > last then
              return redis.error_reply('ERR sluice: malformed row at argument ' .. i)
            end
            if op ~= 'H' and op ~= 'S' and op ~= 'D' then
              return redis.error_reply('ERR sluice: unknown op ' .. tostring(op))
            end
            local first = i + 7
            i = first + n + m
            local cur, err, other
            if op == 'S' then
              cur, err = read('GET', vkey)
              if not err and not cur then cur, err = read('HGET', key, VF) end
            else
              cur, err, other = read('HGET', key, VF)
              -- The version key too when the field is absent, or when the row will write it.
              if not err and (not cur or op == 'D' or ttl > 0 or n == 0) then
                local kv
                kv, err = read('GET', vkey)
                if kv and newer(kv, cur) then cur = kv end
              end
            end
            if err then
              out[#out + 1] = 'E:' .. err
            elseif not newer(ver, cur) then
              out[#out + 1] = 0
            else
              if op == 'H' and n > 0 then
                if other then call('DEL', key) end
                call('HSET', key, VF, ver, unpack(argv, first, first + n - 1))
                if m > 0 then call('HDEL', key, unpack(argv, first + n, first + n + m - 1)) end
                if ttl > 0 then call('PEXPIRE', key, ttl) end
              elseif op == 'S' then
                -- `key` not touched yet: a pcall, so an unreachable key writes nothing of the row.
                local r
                if n == 0 then r = redis.pcall('DEL', key)
                elseif ttl > 0 then r = redis.pcall('SET', key, argv[first], 'PX', ttl)
                else r = redis.pcall('SET', key, argv[first]) end
                if type(r) == 'table' and r.err then err = r.err end
              else
                call('DEL', key)
              end
              if err then
                out[#out + 1] = 'E:' .. err
              else
                local vttl = version_key_ttl(op, n > 0, ttl, tomb)
                if vttl and vttl > 0 then call('SET', vkey, ver, 'PX', vttl)
                elseif vttl then call('SET', vkey, ver) end
                out[#out + 1] = 1
              end
            end
          end
          return out
        end

        redis.register_function{function_name='sluice_apply', callback=function(keys, argv) return apply_rows(argv, 0) end,
          flags={'allow-cross-slot-keys'}}
        redis.register_function{function_name='sluice_apply_one', callback=function(keys, argv) return apply_rows(argv, 0) end}
        redis.register_function{function_name='sluice_apply_fenced', callback=function(keys, argv)
            local n = tonumber(argv[2])
            if not n then return redis.error_reply('ERR sluice: bad fence key count') end
            local refused = fence(argv, 3, 2 + n, argv[1])
            if refused then return refused end
            return apply_rows(argv, 2 + n)
          end, flags={'allow-cross-slot-keys'}}
        redis.register_function{function_name='sluice_apply_one_fenced', callback=function(keys, argv)
            local refused = fence(keys, 3, 3, argv[1])
            if refused then return refused end
            return apply_rows(argv, 1)
          end}
        """
}
