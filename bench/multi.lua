-- wrk script: cycles through the request paths listed (one per line) in the file named by
-- env BENCH_PATHS; each wrk thread starts at a different offset.
local nthreads = 0
setup = function(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

local paths, n, i = {}, 0, 0
init = function(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    if line ~= "" then n = n + 1; paths[n] = line end
  end
  i = (((tid or 1) - 1) * 7919) % n
end

request = function()
  i = i % n + 1
  return wrk.format("GET", paths[i])
end
