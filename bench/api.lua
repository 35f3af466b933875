-- wrk script of bench/api.py. Its arguments: the path, a bearer token ("" for none), the think time in ms (a random
-- wait before each request, 0 to saturate) and a JSON object to POST ("" to GET; each request's gets a new
-- client_uuid). At the end it prints one JSON object: requests a second, p50 and p99 in microseconds, errors.
local args, threads, counter = {}, {}, 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local function uuid4()
  local hex = "0123456789abcdef"
  local parts = {}
  for i = 1, 32 do
    local n = math.random(1, 16)
    if i == 13 then n = 5 elseif i == 17 then n = 9 + (n % 4) end
    parts[#parts + 1] = hex:sub(n, n)
  end
  local s = table.concat(parts)
  return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-" .. s:sub(13, 16) .. "-" .. s:sub(17, 20) .. "-" .. s:sub(21, 32)
end

function init(argv)
  args = {path = argv[1], token = argv[2], think_ms = tonumber(argv[3]), body = argv[4]}
  if args.body == "" then args.body = nil end
  math.randomseed(os.time() * 1000 + thread_number * 7919 + math.floor(os.clock() * 1e6))
  wrk.headers["Content-Type"] = "application/json"
  if args.token ~= "" then wrk.headers["Authorization"] = "Bearer " .. args.token end
end

function delay()
  if args.think_ms == 0 then return 0 end
  return -math.log(1 - math.random()) * args.think_ms  -- exponential: arrivals like independent phones
end

function request()
  if not args.body then return wrk.format("GET", args.path) end
  local body = '{"client_uuid": "' .. uuid4() .. '", ' .. args.body:sub(2)
  return wrk.format("POST", args.path, nil, body)
end

first_error = ""

function response(status, headers, body)
  if status >= 400 and first_error == "" then first_error = status .. " " .. body:sub(1, 300):gsub("[^%w :,.{}_-]", " ") end
end

function done(summary, latency, requests)
  local error_text = ""
  for _, thread in ipairs(threads) do
    local text = thread:get("first_error")
    if text and text ~= "" then error_text = text end
  end
  local seconds = summary.duration / 1e6
  -- Answers with an error status and requests that timed out are failures; a socket error (a keep-alive
  -- connection closed as the run stops) is counted apart.
  local e = summary.errors
  io.write(string.format('{"rps": %.2f, "p50_us": %d, "p99_us": %d, "errors": %d, "socket_errors": %d, '
    .. '"requests": %d, "first_error": %q}\n', summary.requests / seconds, latency:percentile(50),
    latency:percentile(99), e.status + e.timeout, e.connect + e.read + e.write, summary.requests, error_text))
end
