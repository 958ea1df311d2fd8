// Drives headless Chromium through tests/js/page.html for the hush browser test
// (tests/tests/posthog_clients.rs) and prints one JSON report on stdout.
//
//   node browser.mjs '{"chromium": "/usr/bin/chromium", "page_url": "...",
//                      "collector": "http://127.0.0.1:PORT", "email": "...", "timeout_ms": 30000}'
//
// The page captures a $pageview, catalogue events and an exception once the remote config is
// applied, one event through a second posthog-js instance that never compresses (so its
// requests need a CORS preflight), then is told it is hidden (`pagehide`: $pageleave by
// sendBeacon).
//
// The report: every request the page made to the collector (method, path and query, the
// content type and encoding, the answer's status and CORS header, the events in the body,
// decoded, with their property names), the events posthog-js captured, the remote config it
// applied, the console messages, page errors and failed requests. The Rust test asserts on it.
import { chromium } from 'playwright-core';
import { gunzipSync } from 'node:zlib';

const options = JSON.parse(process.argv[2] ?? '{}');
const timeoutMs = options.timeout_ms ?? 30000;
const started = Date.now();
// A normal desktop Chrome: posthog-js drops events from user agents that look like bots,
// HeadlessChrome and navigator.webdriver included.
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

const report = {
  requests: [],
  captured: [],
  remote_config: null,
  remote_config_seen: false,
  is_bot: null,
  user_agent: null,
  console: [],
  page_errors: [],
  failed: [],
  phase: 'start',
  error: null,
};

function remaining() {
  return Math.max(0, timeoutMs - (Date.now() - started));
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A posthog-js request body, decoded: gzip (posthog-js sends it as text/plain with no
 * Content-Encoding and, since 1.4xx, no `compression` query), base64 form data or plain
 * JSON. Returns whether it was gzip, its top-level keys and its events.
 */
function decodeBody(url, body) {
  if (!body || body.length === 0) {
    return { gzip: false, keys: [], events: [] };
  }
  const compression = new URL(url).searchParams.get('compression');
  const gzip = body[0] === 0x1f && body[1] === 0x8b;
  let text;
  if (gzip) {
    text = gunzipSync(body).toString('utf8');
  } else if (compression === 'base64') {
    const data = new URLSearchParams(body.toString('utf8')).get('data') ?? '';
    text = Buffer.from(data, 'base64').toString('utf8');
  } else {
    text = body.toString('utf8');
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { gzip, keys: [], events: [], undecodable: text.slice(0, 200) };
  }
  const keys = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.keys(parsed).sort() : [];
  let events = [];
  if (Array.isArray(parsed)) {
    events = parsed;
  } else if (parsed && Array.isArray(parsed.batch)) {
    events = parsed.batch;
  } else if (parsed && typeof parsed.event === 'string') {
    events = [parsed];
  }
  events = events
    .filter((e) => e && typeof e === 'object')
    .map((e) => ({
      event: e.event ?? null,
      uuid: e.uuid ?? null,
      properties: e.properties && typeof e.properties === 'object' ? Object.keys(e.properties).sort() : [],
    }));
  return { gzip, keys, events };
}

async function waitFor(what, check, limitMs) {
  const deadline = Date.now() + Math.min(limitMs, remaining());
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(100);
  }
}

const browser = await chromium.launch({
  executablePath: options.chromium,
  headless: true,
  timeout: remaining(),
  // Without this Chromium sets navigator.webdriver, which posthog-js treats as a bot.
  args: ['--disable-blink-features=AutomationControlled'],
});
let page = null;
try {
  const context = await browser.newContext({ userAgent: USER_AGENT });
  page = await context.newPage();
  const collector = options.collector;
  const pending = new Map();

  page.on('console', (message) => {
    report.console.push({ type: message.type(), text: message.text() });
  });
  page.on('pageerror', (error) => {
    report.page_errors.push(String(error?.stack ?? error));
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(collector)) {
      return;
    }
    const headers = request.headers();
    const url = new URL(request.url());
    let body = { gzip: false, keys: [], events: [] };
    let decodeError = null;
    try {
      body = decodeBody(request.url(), request.postDataBuffer());
    } catch (error) {
      decodeError = String(error);
    }
    const entry = {
      method: request.method(),
      path: url.pathname,
      query: url.search,
      resource_type: request.resourceType(),
      content_type: headers['content-type'] ?? null,
      content_encoding: headers['content-encoding'] ?? null,
      origin: headers['origin'] ?? null,
      body_gzip: body.gzip,
      body_keys: body.keys,
      events: body.events,
      decode_error: decodeError ?? body.undecodable ?? null,
      status: null,
      allow_origin: null,
      response_content_type: null,
      failure: null,
      at_ms: Date.now() - started,
    };
    report.requests.push(entry);
    pending.set(request, entry);
  });
  page.on('requestfinished', async (request) => {
    const entry = pending.get(request);
    if (!entry) {
      return;
    }
    const response = await request.response();
    if (response) {
      const headers = await response.allHeaders();
      entry.status = response.status();
      entry.allow_origin = headers['access-control-allow-origin'] ?? null;
      entry.response_content_type = headers['content-type'] ?? null;
    }
    pending.delete(request);
  });
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? 'failed';
    report.failed.push({ url: request.url(), failure });
    const entry = pending.get(request);
    if (entry) {
      entry.failure = failure;
      pending.delete(request);
    }
  });

  report.phase = 'load';
  await page.goto(options.page_url, { waitUntil: 'load', timeout: remaining() });
  report.user_agent = await page.evaluate(() => navigator.userAgent);
  report.is_bot = await page.evaluate(() => (window.posthog && window.posthog._is_bot ? window.posthog._is_bot() : null));

  report.phase = 'remote config';
  await waitFor('posthog-js to apply its remote config', () => page.evaluate(() => window.__hush.remoteConfigSeen), 15000);
  const hush = await page.evaluate(() => window.__hush);
  report.remote_config = hush.remoteConfig;
  report.remote_config_seen = hush.remoteConfigSeen;

  report.phase = 'capture';
  report.capture_at_ms = Date.now() - started;
  await page.evaluate((email) => window.__hushCapture(email), options.email);

  // Every captured event has been sent and answered (or failed).
  report.phase = 'flush';
  const sentEvery = async () => {
    const captured = await page.evaluate(() => window.__hush.captured.map((e) => e.uuid));
    const answered = new Set(
      report.requests
        .filter((r) => r.status !== null || r.failure !== null)
        .flatMap((r) => r.events.map((e) => e.uuid))
    );
    return captured.length >= 5 && captured.every((uuid) => answered.has(uuid)) && pending.size === 0;
  };
  try {
    await waitFor('every captured event to be sent and answered', sentEvery, 20000);
  } catch (error) {
    report.error = [report.error, String(error)].filter(Boolean).join('; ');
  }
  // A little longer, so that a retry or a late request would show.
  await sleep(Math.min(1000, remaining()));
  report.captured = await page.evaluate(() => window.__hush.captured);

  // Leaving the page: on `pagehide` posthog-js captures $pageleave and sends what it still
  // holds with navigator.sendBeacon. A real navigation ends the page before Playwright sees
  // the beacon (and headless Chromium may drop it), so the page is told it is hidden.
  report.phase = 'leave';
  const beforeLeave = report.requests.length;
  await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false })));
  // Playwright does not show a beacon's body: wait for $pageleave to be captured and for
  // every request made since (the beacon) to be answered.
  const leaveAnswered = async () => {
    const captured = await page.evaluate(() => window.__hush.captured);
    const since = report.requests.slice(beforeLeave);
    return (
      captured.some((e) => e.event === '$pageleave') &&
      since.length > 0 &&
      since.every((r) => r.status !== null || r.failure !== null)
    );
  };
  try {
    await waitFor('the $pageleave beacon to be answered', leaveAnswered, 10000);
  } catch (error) {
    report.error = [report.error, String(error)].filter(Boolean).join('; ');
  }
  await sleep(Math.min(500, remaining()));
  report.captured = await page.evaluate(() => window.__hush.captured);
  report.phase = 'done';
  await context.close();
} catch (error) {
  report.error = `${report.phase}: ${error?.stack ?? error}`;
  if (page) {
    report.captured = await page.evaluate(() => window.__hush?.captured ?? []).catch(() => []);
  }
} finally {
  await browser.close().catch(() => {});
}
process.stdout.write(JSON.stringify(report) + '\n');
