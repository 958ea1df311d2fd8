-- wrk script: POST /batch/ with 50 basic events per request, PostHog's shape.
local events = {}
for i = 1, 50 do
  events[i] = string.format(
    '{"event":"dev_server_failed","distinct_id":"machine-%04d","timestamp":"2026-11-20T10:00:00Z",' ..
    '"properties":{"$telemetry_level":"basic","os":"linux","arch":"x86_64","app_version":"3.13.7",' ..
    '"error":"Error: listen EADDRINUSE: address already in use :::3000 at Server.setupListenHandle [as _listen2] (node:net:1817:16) while starting next dev (next 14.2.3, node v20.11.1)","duration_ms":%d}}',
    i, i * 37)
end
wrk.method = "POST"
wrk.path = "/batch/"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"api_key":"phc_bench_project_key","sent_at":"2026-11-20T10:00:01Z","batch":[' .. table.concat(events, ",") .. ']}'

local non200 = 0
response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
