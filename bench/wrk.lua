-- wrk script for bench/run.py: signed-in requests, one administrator's
-- session per request in turn, and a count of the response statuses.
--
--   wrk -t T -c C -d 10s -s bench/wrk.lua http://127.0.0.1:8161 -- \
--       PATH SESSIONS_FILE THREADS [MEMBERS_FILE]
--
-- SESSIONS_FILE contains one session key per line. With MEMBERS_FILE (one
-- member id per line) every request is the htmx assign POST to PATH with the
-- form body member=<id>: thread k of THREADS takes the ids k, k + THREADS,
-- ... and starts over at the end of its share. Without it, every request is
-- a GET.
-- done() prints one JSON line that bench/run.py reads.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

local function read_lines(filename)
   local lines = {}
   for line in io.lines(filename) do
      if line ~= "" then
         table.insert(lines, line)
      end
   end
   return lines
end

local path, sessions, member_ids
local request_count = 0
statuses = {}

function init(args)
   path = args[1]
   sessions = read_lines(args[2])
   local thread_total = tonumber(args[3])
   if args[4] then
      member_ids = {}
      local all_ids = read_lines(args[4])
      for i = thread_number, #all_ids, thread_total do
         table.insert(member_ids, all_ids[i])
      end
      if #member_ids == 0 then
         error("no member ids for thread " .. thread_number .. " in " .. args[4])
      end
   end
   -- Threads start at different sessions so that concurrent requests come
   -- from different administrators.
   request_count = (thread_number - 1) * math.floor(#sessions / thread_total)
end

-- A fixed CSRF secret: the middleware accepts any 32-character token as long
-- as the cookie and the header carry the same one.
local csrf_token = "benchmarkbenchmarkbenchmarkbench"

function request()
   request_count = request_count + 1
   local session = sessions[(request_count % #sessions) + 1]
   if not member_ids then
      return wrk.format("GET", path, { ["Cookie"] = "sessionid=" .. session })
   end
   local member_id = member_ids[(request_count % #member_ids) + 1]
   return wrk.format("POST", path, {
      ["Cookie"] = "sessionid=" .. session .. "; csrftoken=" .. csrf_token,
      ["X-CSRFToken"] = csrf_token,
      ["HX-Request"] = "true",
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, "member=" .. member_id)
end

function response(status, headers, body)
   local key = tostring(status)
   if status == 409 and string.find(body, "already holds", 1, true) then
      key = "409 already holds"
   end
   statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
   local merged = {}
   for _, thread in ipairs(threads) do
      for key, count in pairs(thread:get("statuses")) do
         merged[key] = (merged[key] or 0) + count
      end
   end
   local status_parts = {}
   for key, count in pairs(merged) do
      table.insert(status_parts, string.format('"%s": %d', key, count))
   end
   local errors = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
         .. '"mean_us": %.1f, "max_us": %d, "socket_errors": %d, "statuses": {%s}}\n',
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
      errors.connect + errors.read + errors.write + errors.timeout,
      table.concat(status_parts, ", ")))
end
