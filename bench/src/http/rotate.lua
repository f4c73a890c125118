-- wrk script: every request carries the next credential of a pool (one per line of the file named by
-- the first argument), in the header named by the second, after the scheme in the third ("Bearer ").
-- A pool of one is a repeated credential; the script's own cost is the same either way.
-- done() prints one JSON line: requests, duration, errors by kind, latency percentiles in microseconds.
local values, n, i, header = {}, 0, 0, "authorization"

function init(args)
  header = args[2]
  local scheme = args[3] or ""
  for line in io.lines(args[1]) do
    if line ~= "" then
      n = n + 1
      values[n] = scheme .. line
    end
  end
end

function request()
  i = i % n + 1
  wrk.headers[header] = values[i]
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"p50Us":%.1f,"p90Us":%.1f,"p99Us":%.1f,"maxUs":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
