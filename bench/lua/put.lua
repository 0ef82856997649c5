-- wrk script for the PUT scenarios: cycles through the keys in the file named by env BENCH_PUTS
-- (one "path<TAB>Authorization" per line; the Authorization may be empty) and PUTs the body in the
-- file named by env BENCH_BODY to each. Prints the same WRKSTAT line as report.lua.
local nthreads = 0
setup = function(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

local keys, auths, n, i, body = {}, {}, 0, 0, nil
init = function(args)
  local f = os.getenv("BENCH_PUTS")
  assert(f and f ~= "", "BENCH_PUTS not set")
  for line in io.lines(f) do
    local path, auth = line:match("^([^\t]+)\t?(.*)$")
    if path then n = n + 1; keys[n] = path; auths[n] = auth end
  end
  assert(n > 0, "no keys in " .. f)
  local b = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
  body = b:read("*a")
  b:close()
  i = ((tid or 1) - 1) % n
end

request = function()
  i = i % n + 1
  local headers = { ["Content-Type"] = "application/octet-stream" }
  if auths[i] ~= "" then headers["Authorization"] = auths[i] end
  return wrk.format("PUT", keys[i], headers, body)
end

-- the WRKSTAT line, from the script beside this one
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrkstat.lua")
