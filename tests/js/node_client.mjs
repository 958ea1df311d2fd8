// Runs the real posthog-node client against the collector for tests/tests/posthog_clients.rs
// and prints one JSON report on stdout.
//
//   [POSTHOG_CAPTURE_MODE=v1] node node_client.mjs \
//     '{"host": "http://127.0.0.1:PORT", "token": "phc_...", "n": 20, "email": "..."}'
//
// posthog-node sends to `/batch/` by default and to `/i/v1/analytics/events` when
// POSTHOG_CAPTURE_MODE=v1 (an environment variable only, see its capture-v1/config.ts).
// The report: the uuids it captured, what its flag methods returned, every request it made
// (method, path and query, content type and encoding, how it authenticated, the answer's
// status and the start of its body), every error it emitted or logged.
import { PostHog } from 'posthog-node';
import { randomUUID } from 'node:crypto';

const options = JSON.parse(process.argv[2] ?? '{}');
const report = {
  mode: process.env.POSTHOG_CAPTURE_MODE ?? 'v0',
  uuids: [],
  all_flags: null,
  is_enabled: null,
  flag: null,
  requests: [],
  errors: [],
  logged: [],
  error: null,
};

// posthog-node logs through console; keep what it says at warn and error.
for (const level of ['warn', 'error']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    report.logged.push({ level, text: args.map((a) => (a instanceof Error ? a.stack : String(a))).join(' ') });
    original(...args);
  };
}

/** fetch, recording what was sent and what came back. */
async function recordingFetch(url, init = {}) {
  const headers = Object.fromEntries(Object.entries(init.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const parsed = new URL(url);
  const entry = {
    method: init.method ?? 'GET',
    path: parsed.pathname,
    query: parsed.search,
    content_type: headers['content-type'] ?? null,
    content_encoding: headers['content-encoding'] ?? null,
    authorization: headers['authorization'] ? headers['authorization'].split(' ')[0] : null,
    sdk_info: headers['posthog-sdk-info'] ?? null,
    status: null,
    body: null,
    failure: null,
  };
  report.requests.push(entry);
  try {
    const response = await fetch(url, init);
    entry.status = response.status;
    entry.body = (await response.clone().text()).slice(0, 300);
    return response;
  } catch (error) {
    entry.failure = String(error?.cause ?? error);
    throw error;
  }
}

const client = new PostHog(options.token, {
  host: options.host,
  flushAt: 10,
  flushInterval: 100,
  fetchRetryCount: 1,
  fetchRetryDelay: 200,
  requestTimeout: 10000,
  featureFlagsRequestTimeoutMs: 10000,
  fetch: recordingFetch,
});
client.on('error', (error) => {
  report.errors.push(String(error?.stack ?? error));
});

// posthog-node's own timers (retry back-off, flush interval) do not hold the process open: a
// retry pending on an unref'd timer would end node with exit 13 and no report. This one does.
const keepAlive = setInterval(() => {}, 1000);
try {
  const n = options.n ?? 20;
  for (let i = 0; i < n; i++) {
    const uuid = randomUUID();
    report.uuids.push(uuid);
    client.capture({
      distinctId: `node-user-${i}`,
      event: i % 2 === 0 ? 'dev_server_started' : 'setup_completed',
      uuid,
      properties: {
        $telemetry_level: 'basic',
        app_version: '2.0.0',
        note: `owner ${options.email}`,
      },
    });
  }
  report.all_flags = await client.getAllFlags('node-user-0');
  report.is_enabled = (await client.isFeatureEnabled('new-onboarding', 'node-user-0')) ?? null;
  report.flag = (await client.getFeatureFlag('new-onboarding', 'node-user-1')) ?? null;
  await client.flush();
} catch (error) {
  report.error = String(error?.stack ?? error);
} finally {
  await client.shutdown(10000).catch((error) => {
    report.errors.push(`shutdown: ${error}`);
  });
  clearInterval(keepAlive);
}
process.stdout.write(JSON.stringify(report) + '\n');
