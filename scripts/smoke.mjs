#!/usr/bin/env node
// Smoke test of a running portal with the automation token (README "Access for automation"):
//   KOP_AUTOMATION_TOKEN=... node scripts/smoke.mjs https://portal.example.com   (or ./kop smoke URL)
// Reads the readiness probe, the release backend's health, the setup check and the status, checks
// that the token is refused anything else, prints each result, and exits 1 when any failed.

const TIMEOUT_MS = Number(process.env.KOP_SMOKE_TIMEOUT_MS ?? 60_000);

const [base] = process.argv.slice(2);
const token = process.env.KOP_AUTOMATION_TOKEN;
if (!base || !/^https?:\/\//.test(base)) {
  console.error(
    'usage: KOP_AUTOMATION_TOKEN=<token> node scripts/smoke.mjs <portal URL, e.g. https://portal.example.com>',
  );
  process.exit(2);
}
if (!token) {
  console.error(
    'KOP_AUTOMATION_TOKEN is not set: give the token app-config.production.yaml reads from it',
  );
  process.exit(2);
}
const root = base.replace(/\/+$/, '');

/** The text of an error a fetch threw, with the network cause (ECONNREFUSED …) when there is one. */
function causeOf(error) {
  const cause = error?.cause;
  if (error?.name === 'TimeoutError')
    return `no answer within ${TIMEOUT_MS} ms`;
  return cause?.message || cause?.code || error?.message || String(error);
}

async function call(path, { auth = true } = {}) {
  const url = `${root}${path}`;
  try {
    const res = await fetch(url, {
      headers: {
        accept: 'application/json',
        ...(auth ? { authorization: `Bearer ${token}` } : {}),
      },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { url, status: res.status, body, text };
  } catch (e) {
    return { url, error: causeOf(e) };
  }
}

/** What a failed answer says: the cause of no answer, or the status and Backstage's error message. */
function refusal(answer) {
  if (answer.error) return `${answer.url}: ${answer.error}`;
  const said =
    answer.status < 400
      ? ''
      : answer.body?.error?.message ?? answer.text.slice(0, 200);
  return `${answer.url} answered HTTP ${answer.status}${
    said ? `: ${said}` : ''
  }`;
}

const results = [];
function report(name, ok, detail, lines = []) {
  results.push(ok);
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  for (const line of lines) console.log(`        ${line}`);
}

console.log(`Smoke test of ${root}`);

const ready = await call('/.backstage/health/v1/readiness', { auth: false });
report(
  'readiness',
  ready.status === 200,
  ready.status === 200 ? 'the backend is ready' : refusal(ready),
);

const health = await call('/api/release/health');
report(
  'health',
  health.status === 200 && health.body?.status === 'ok',
  health.status === 200
    ? `release backend for ${health.body?.product}, environments ${(
        health.body?.environments ?? []
      ).join(', ')}`
    : refusal(health),
);

const setup = await call('/api/release/setup-check');
if (setup.status === 200 && Array.isArray(setup.body?.systems)) {
  const systems = setup.body.systems;
  const lines = systems.flatMap(s => [
    `${s.ok ? 'ok  ' : 'FAIL'} ${s.system}`,
    ...s.checks
      .filter(c => !s.ok && !c.ok)
      .map(c => `       ${c.name}: ${c.detail}`),
  ]);
  const failed = systems.filter(s => !s.ok).map(s => s.system);
  report(
    'setup check',
    setup.body.ok === true,
    failed.length
      ? `${failed.join(', ')} failed`
      : `all ${systems.length} systems answer`,
    lines,
  );
} else {
  report('setup check', false, refusal(setup));
}

const status = await call('/api/release/status');
if (status.status === 200 && Array.isArray(status.body?.environments)) {
  const rows = status.body.environments.flatMap(env =>
    env.apps.map(app => ({ env: env.name, ...app })),
  );
  const problems = [
    ...(status.body.errors ?? []),
    ...rows.flatMap(r => (r.errors ?? []).map(e => `${r.env} ${r.app}: ${e}`)),
  ];
  report(
    'status',
    true,
    `${rows.length} apps in ${status.body.environments.length} environments${
      problems.length ? `, ${problems.length} could not be read` : ''
    }`,
    [
      ...rows.map(
        r => `${r.env} ${r.app}: ${r.version ?? 'no version'} (${r.health})`,
      ),
      ...problems,
    ],
  );
} else {
  report('status', false, refusal(status));
}

// The token must reach nothing but the checks: a token that can read releases is set up wrong.
const beyond = await call('/api/release/releases');
report(
  'token held to the checks',
  beyond.status === 403,
  beyond.status === 403
    ? 'GET /api/release/releases is refused (403)'
    : `GET /api/release/releases should answer 403: ${refusal(beyond)}`,
);

const passed = results.filter(Boolean).length;
console.log(`${passed} of ${results.length} passed`);
process.exit(passed === results.length ? 0 : 1);
