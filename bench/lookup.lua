-- wrk script for bench/lookup.sh: GET /v1/crosswalk/vendor/SYSTEM/ID of random keys.
-- Arguments after `--`: the keys file (one SYSTEM/ID per line), a reader token and, optionally,
-- a pause in milliseconds each connection takes between requests (paced load; none by default).
local keys, token, pause = {}, "", 0

function init(args)
  for line in io.lines(args[1]) do
    keys[#keys + 1] = line
  end
  token = args[2]
  pause = tonumber(args[3] or "0") or 0
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  local key = keys[math.random(#keys)]
  return wrk.format("GET", "/v1/crosswalk/vendor/" .. key, { ["Authorization"] = "Bearer " .. token })
end

function delay()
  return pause
end
