/**
 * yarn bench: create+approve round trips per second and GET /releases latency with 10,000 releases
 * and 100,000 audit rows, on SQLite (a file in a temp dir) and on PostgreSQL (a fresh database it
 * creates and drops), through the real migrations, ReleaseService, router and HTTP on 127.0.0.1.
 *
 * Prints figures only; it exits non-zero only when something crashes.
 *
 *   yarn bench [--engine sqlite|postgres] [--explain]
 *   KOP_BENCH_PG=postgresql://user@host:port  (default: the test database URL, else 127.0.0.1:5432)
 */
import { performance } from 'node:perf_hooks';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import type {
  CreateReleaseRequest,
  ReleaseApp,
} from '@internal/plugin-release-common';
import {
  readGradePolicy,
  readReleasePortalConfig,
} from '@internal/plugin-release-node';
import type { Knex } from 'knex';
import { migrateUp } from '../src/database/migrate';
import { ReleaseService } from '../src/service/ReleaseService';
import { orgEntities, user } from '../src/__testUtils__/org';
import { cleanUpOnExit, databases, type DatabaseId } from './databases';
import { Client, runLoad, summarize, type Latency } from './load';
import { LoadWorker } from './loadWorker';
import { seedBulk, seedSample } from './seed';
import { quietLogger, startServer } from './server';

const RELEASES = 10_000;
const AUDIT_ROWS = 100_000;
const SAMPLE = 12;
const TARGET_P95_MS = 50;
const LIST_REQUESTS = 500;
const LIST_CONCURRENCY = 8;
const LIST_SEQUENTIAL = 200;
const DEEP_OFFSET = 5_000;
const ROUND_TRIPS = 200;
const ROUND_TRIP_CONCURRENCY = 4;
const PHASE_MAX_MS = 25_000;

const AUTHOR = user('kim.minjun');
const PL = user('choi.yuna');

/** Owner teams of the apps, from the Components of the real catalog (what the catalog answers). */
const owners = new Map(
  orgEntities
    .filter(e => e.kind === 'Component')
    .map(e => [
      e.metadata.name,
      stringifyEntityRef(
        parseEntityRef(String(e.spec?.owner), {
          defaultKind: 'group',
          defaultNamespace: 'default',
        }),
      ),
    ]),
);
const serviceTeamsOf = async (apps: ReleaseApp[]) =>
  [
    ...new Set(apps.map(a => owners.get(a)).filter((o): o is string => !!o)),
  ].sort();

const config = new ConfigReader({ app: { baseUrl: 'http://127.0.0.1:3000' } });
const portal = readReleasePortalConfig(config);

function releaseService(knex: Knex, now?: () => Date) {
  return new ReleaseService({
    knex,
    logger: quietLogger,
    policy: readGradePolicy(config),
    product: portal.product,
    strategies: portal.strategies,
    defaultSteps: portal.defaultSteps,
    // The bench measures the database path; its versions are in no GitLab to look up.
    versions: async () => {},
    serviceTeamsOf,
    now,
  });
}

const createBody: CreateReleaseRequest = {
  grade: 'B',
  dbUpdate: false,
  apps: [{ app: 'hybris', version: 'deploy-2026-11-25' }],
  items: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris',
      source: { type: 'mr', project: 'kop/hybris', iid: 412 },
    },
  ],
};

interface Figures {
  engine: string;
  version: string;
  seedSampleMs: number;
  seedBulkMs: number;
  releases: number;
  auditRows: number;
  openReleases: number;
  verifySeed: { ok: boolean; rows: number; ms: number; problem?: string };
  listSequential: Latency;
  listFirst: Latency;
  listDeep: Latency;
  storeList: Latency;
  auditVerifyHttp: { ok: boolean; rows: number; ms: number };
  roundTripsSequential: Latency;
  roundTripsConcurrent: Latency;
  finalReleases: number;
  finalAuditRows: number;
  verifyFinal: { ok: boolean; rows: number; ms: number; problem?: string };
  plans?: string[];
  wallMs: number;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ms1 = (ms: number) => ms.toFixed(1);
const int = (n: number) => n.toLocaleString('en-US');

function log(engine: string, message: string) {
  process.stdout.write(`[${engine}] ${message}\n`);
}

async function countRows(knex: Knex, table: string): Promise<number> {
  const [{ n }] = await knex(table).count({ n: '*' });
  return Number(n);
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await run();
  return [value, performance.now() - started];
}

/** The query plans of the list page queries, as the store builds them (for --explain). */
async function explainList(
  knex: Knex,
  cursorRow: { created_at: string; id: string },
): Promise<string[]> {
  const page = (cursor?: typeof cursorRow) => {
    const q = knex('releases as r')
      .select('r.*')
      .orderBy([
        { column: 'r.created_at', order: 'desc' },
        { column: 'r.id', order: 'desc' },
      ])
      .limit(51);
    if (cursor) {
      q.where(w =>
        w
          .where('r.created_at', '<', cursor.created_at)
          .orWhere(w2 =>
            w2
              .where('r.created_at', cursor.created_at)
              .where('r.id', '<', cursor.id),
          ),
      );
    }
    return q.toSQL();
  };
  const firstIds = (await knex('releases')
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(50)
    .pluck('id')) as string[];
  const approvals = knex('release_approvals')
    .whereIn('release_id', firstIds)
    .orderBy('created_at', 'asc')
    .toSQL();
  const lines: string[] = [];
  const isPg = knex.client.config.client === 'pg';
  for (const [label, sql] of [
    ['first page', page()],
    ['deep page', page(cursorRow)],
    [
      'deep page with a row-value keyset (proposed, not what the store runs)',
      knex('releases as r')
        .select('r.*')
        .whereRaw('(r.created_at, r.id) < (?, ?)', [
          cursorRow.created_at,
          cursorRow.id,
        ])
        .orderBy([
          { column: 'r.created_at', order: 'desc' },
          { column: 'r.id', order: 'desc' },
        ])
        .limit(51)
        .toSQL(),
    ],
    ['approvals of a page', approvals],
  ] as const) {
    lines.push(`${label}: ${sql.sql.replace(/(\?, ){3,}\?/, '?, …, ?')}`);
    if (isPg) {
      const { rows } = await knex.raw(
        `explain (analyze, buffers) ${sql.sql}`,
        sql.bindings as readonly Knex.Value[],
      );
      for (const r of rows) {
        const text = String(r['QUERY PLAN']);
        lines.push(`  ${text.length > 160 ? `${text.slice(0, 160)} …` : text}`);
      }
    } else {
      const rows = await knex.raw(
        `explain query plan ${sql.sql}`,
        sql.bindings as readonly Knex.Value[],
      );
      for (const r of rows) lines.push(`  ${r.detail}`);
    }
  }
  return lines;
}

async function benchEngine(id: DatabaseId, explain: boolean): Promise<Figures> {
  const { label } = databases[id];
  const engineStarted = performance.now();
  const db = await databases[id].open();
  const { knex } = db;
  log(label, `${db.version} at ${db.where}`);
  try {
    await migrateUp(knex);

    // Seed: a sample through the service, the rest cloned from it in bulk.
    let clock = new Date();
    const seeder = releaseService(knex, () => clock);
    const [{ templates, start }, seedSampleMs] = await timed(() =>
      seedSample(
        knex,
        seeder,
        d => {
          clock = d;
        },
        SAMPLE,
      ),
    );
    const sampleAudit = await countRows(knex, 'release_audit');
    log(
      label,
      `sample: ${SAMPLE} releases through ReleaseService, ${sampleAudit} audit rows in ${secs(
        seedSampleMs,
      )}`,
    );
    const [bulk, seedBulkMs] = await timed(() =>
      seedBulk(
        knex,
        templates,
        start,
        RELEASES - SAMPLE,
        AUDIT_ROWS - sampleAudit,
      ),
    );
    const releases = await countRows(knex, 'releases');
    const auditRows = await countRows(knex, 'release_audit');
    log(
      label,
      `bulk: ${int(bulk.releases)} releases, ${int(
        bulk.auditRows,
      )} audit rows in ${secs(seedBulkMs)}; now ${int(
        releases,
      )} releases, ${int(auditRows)} audit rows, ${int(
        await countRows(knex, 'release_approvals'),
      )} approvals`,
    );
    if (id === 'postgres') await knex.raw('analyze');
    const [verified, verifyMs] = await timed(() => seeder.audit.verify());
    const verifySeed = { ...verified, ms: verifyMs };
    log(
      label,
      `AuditLog.verify(): ${verified.ok ? 'ok' : 'FAILED'}, ${int(
        verified.rows,
      )} rows in ${secs(verifyMs)}${
        verified.problem ? ` (${verified.problem})` : ''
      }`,
    );

    const service = releaseService(knex);
    const server = await startServer(service);
    const load = new LoadWorker(server.baseUrl);
    try {
      const client = new Client(server.baseUrl);
      log(label, `serving the release router at ${server.baseUrl}`);
      const get = (path: string, count: number, concurrency: number) =>
        load.run({
          kind: 'get',
          path,
          as: AUTHOR,
          count,
          concurrency,
          maxMs: PHASE_MAX_MS,
        });
      /** Runs a GET phase, noting how busy the server's event loop (this thread) was. */
      const measure = async (
        path: string,
        count: number,
        concurrency: number,
      ) => {
        const before = performance.eventLoopUtilization();
        const result = await get(path, count, concurrency);
        const busy = performance.eventLoopUtilization(before).utilization;
        return summarize(result, busy);
      };
      const firstPath = '/releases?limit=50';

      // Read warm-up, then the list latencies on exactly the seeded data.
      await get(firstPath, 60, LIST_CONCURRENCY);
      let cursor: string | undefined;
      for (let seen = 0; seen < DEEP_OFFSET; seen += 200) {
        const { body } = await client.json<{ nextCursor?: string }>(
          'GET',
          `/releases?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
          AUTHOR,
        );
        cursor = body.nextCursor;
        if (!cursor) throw new Error(`no page after ${seen + 200} releases`);
      }
      const deepPath = `/releases?limit=50&cursor=${cursor}`;
      await get(deepPath, 20, LIST_CONCURRENCY);

      const listSequential = await measure(firstPath, LIST_SEQUENTIAL, 1);
      const listFirst = await measure(
        firstPath,
        LIST_REQUESTS,
        LIST_CONCURRENCY,
      );
      log(
        label,
        `GET ${firstPath} c=${LIST_CONCURRENCY}: p95 ${ms1(listFirst.p95)} ms`,
      );
      const listDeep = await measure(deepPath, LIST_REQUESTS, LIST_CONCURRENCY);
      log(
        label,
        `GET ${firstPath}&cursor=(after ${int(
          DEEP_OFFSET,
        )}) c=${LIST_CONCURRENCY}: p95 ${ms1(listDeep.p95)} ms`,
      );
      // The same page without HTTP: how much of it is the database and the store.
      const storeList = summarize(
        await runLoad({
          count: 100,
          concurrency: 1,
          maxMs: PHASE_MAX_MS,
          task: async () => {
            const started = performance.now();
            await service.list({ limit: 50 });
            return performance.now() - started;
          },
        }),
      );

      // Query plans when asked, or when the target was missed, to show where the time goes.
      let plans: string[] | undefined;
      if (explain || Math.max(listFirst.p95, listDeep.p95) > TARGET_P95_MS) {
        const row = await knex('releases')
          .orderBy([
            { column: 'created_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .offset(DEEP_OFFSET - 1)
          .first('created_at', 'id');
        plans = await explainList(knex, row);
      }

      const verifyHttp = await client.json<{ ok: boolean; rows: number }>(
        'GET',
        '/audit/verify',
        AUTHOR,
      );
      const auditVerifyHttp = { ...verifyHttp.body, ms: verifyHttp.ms };
      log(
        label,
        `GET /audit/verify: ${verifyHttp.body.ok ? 'ok' : 'FAILED'}, ${int(
          verifyHttp.body.rows,
        )} rows in ${secs(verifyHttp.ms)}`,
      );

      // Writes: POST /releases, POST request-approval (author), POST approvals (the PL).
      const roundTrips = (count: number, concurrency: number) =>
        load.run({
          kind: 'roundTrip',
          author: AUTHOR,
          approver: PL,
          body: createBody,
          count,
          concurrency,
          maxMs: PHASE_MAX_MS,
        });
      await roundTrips(10, 1);
      const roundTripsSequential = summarize(await roundTrips(ROUND_TRIPS, 1));
      log(
        label,
        `create+approve sequential: ${roundTripsSequential.perSecond.toFixed(
          1,
        )} round trips/s`,
      );
      const roundTripsConcurrent = summarize(
        await roundTrips(ROUND_TRIPS, ROUND_TRIP_CONCURRENCY),
      );
      log(
        label,
        `create+approve c=${ROUND_TRIP_CONCURRENCY}: ${roundTripsConcurrent.perSecond.toFixed(
          1,
        )} round trips/s`,
      );
      const [final, finalMs] = await timed(() => service.audit.verify());
      return {
        engine: label,
        version: db.version,
        seedSampleMs,
        seedBulkMs,
        releases,
        auditRows,
        openReleases: bulk.openReleases,
        verifySeed,
        listSequential,
        listFirst,
        listDeep,
        storeList,
        auditVerifyHttp,
        roundTripsSequential,
        roundTripsConcurrent,
        finalReleases: await countRows(knex, 'releases'),
        finalAuditRows: await countRows(knex, 'release_audit'),
        verifyFinal: { ...final, ms: finalMs },
        plans,
        wallMs: performance.now() - engineStarted,
      };
    } finally {
      await load.close();
      await server.close();
    }
  } finally {
    await db.close();
  }
}

function printTable(figures: Figures[]) {
  const lat = (l: Latency) =>
    `${ms1(l.p50)} / ${ms1(l.p95)} / ${ms1(l.p99)}${l.cut ? ' (cut)' : ''}`;
  const rows: [string, (f: Figures) => string][] = [
    ['engine', f => f.version],
    [
      'seed: sample via ReleaseService',
      f => `${SAMPLE} releases, ${secs(f.seedSampleMs)}`,
    ],
    ['seed: bulk SQL (one transaction)', f => secs(f.seedBulkMs)],
    [
      'seeded releases / audit rows',
      f =>
        `${int(f.releases)} / ${int(f.auditRows)} (${int(
          f.openReleases,
        )} open)`,
    ],
    [
      'AuditLog.verify() after seeding',
      f =>
        `${f.verifySeed.ok ? 'ok' : 'FAILED'}, ${int(f.verifySeed.rows)} rows`,
    ],
    ['GET /releases?limit=50', () => 'p50 / p95 / p99 ms'],
    [
      `  first page, sequential (n=${LIST_SEQUENTIAL})`,
      f => lat(f.listSequential),
    ],
    [
      `  first page, c=${LIST_CONCURRENCY} (n=${LIST_REQUESTS})`,
      f => lat(f.listFirst),
    ],
    [
      `  page after ${int(
        DEEP_OFFSET,
      )}, c=${LIST_CONCURRENCY} (n=${LIST_REQUESTS})`,
      f => lat(f.listDeep),
    ],
    [
      `  req/s at c=${LIST_CONCURRENCY} (first / deep)`,
      f =>
        `${f.listFirst.perSecond.toFixed(0)} / ${f.listDeep.perSecond.toFixed(
          0,
        )}`,
    ],
    [
      '  server event loop busy (seq / first / deep)',
      f =>
        [f.listSequential, f.listFirst, f.listDeep]
          .map(l => `${Math.round((l.serverBusy ?? 0) * 100)}%`)
          .join(' / '),
    ],
    ['  store.list() alone, no HTTP (n=100)', f => lat(f.storeList)],
    [
      'GET /audit/verify',
      f =>
        `${secs(f.auditVerifyHttp.ms)} (${
          f.auditVerifyHttp.ok ? 'ok' : 'FAILED'
        }, ${int(f.auditVerifyHttp.rows)} rows)`,
    ],
    [
      `create+approve round trips/s, sequential (n=${ROUND_TRIPS})`,
      f =>
        `${f.roundTripsSequential.perSecond.toFixed(1)}${
          f.roundTripsSequential.cut ? ' (cut)' : ''
        }`,
    ],
    ['  per round trip p50 / p95 / p99 ms', f => lat(f.roundTripsSequential)],
    [
      `create+approve round trips/s, c=${ROUND_TRIP_CONCURRENCY} (n=${ROUND_TRIPS})`,
      f =>
        `${f.roundTripsConcurrent.perSecond.toFixed(1)}${
          f.roundTripsConcurrent.cut ? ' (cut)' : ''
        }`,
    ],
    ['  per round trip p50 / p95 / p99 ms', f => lat(f.roundTripsConcurrent)],
    [
      'after the writes: releases / audit rows',
      f => `${int(f.finalReleases)} / ${int(f.finalAuditRows)}`,
    ],
    [
      'AuditLog.verify() after the writes',
      f =>
        `${f.verifyFinal.ok ? 'ok' : 'FAILED'}, ${int(
          f.verifyFinal.rows,
        )} rows, ${secs(f.verifyFinal.ms)}`,
    ],
    ['engine wall time', f => secs(f.wallMs)],
  ];
  const cells = rows.map(([name, get]) => [name, ...figures.map(get)]);
  const widths = [0, ...figures.map(() => 0)].map((_, c) =>
    Math.max(
      ...cells.map(r => r[c].length),
      c === 0 ? 0 : figures[c - 1].engine.length,
    ),
  );
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  process.stdout.write('\n');
  process.stdout.write(`${line(['', ...figures.map(f => f.engine)])}\n`);
  process.stdout.write(`${line(widths.map(w => '-'.repeat(w)))}\n`);
  for (const r of cells) process.stdout.write(`${line(r)}\n`);
  process.stdout.write('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  const explain = argv.includes('--explain');
  const only: string[] = [];
  argv.forEach((a, i) => {
    if (a === '--engine') only.push(...(argv[i + 1] ?? '').split(','));
    if (a.startsWith('--engine=')) only.push(...a.slice(9).split(','));
  });
  for (const e of only) {
    if (!(e in databases))
      throw new Error(`--engine: ${e} is not sqlite or postgres`);
  }
  const ids = (Object.keys(databases) as DatabaseId[]).filter(
    e => only.length === 0 || only.includes(e),
  );

  const started = performance.now();
  const figures: Figures[] = [];
  const failures: string[] = [];
  for (const id of ids) {
    try {
      figures.push(await benchEngine(id, explain));
    } catch (e) {
      // Errors from the database quote the whole statement: keep the gist.
      const text = String((e as Error).stack ?? e);
      const short =
        text.length > 2000
          ? `${text.slice(0, 1000)} … ${text.slice(-1000)}`
          : text;
      failures.push(databases[id].label);
      process.stderr.write(`[${databases[id].label}] crashed: ${short}\n`);
    }
  }
  if (figures.length) printTable(figures);
  for (const f of figures) {
    for (const line of f.plans ?? [])
      process.stdout.write(`[${f.engine}] ${line}\n`);
  }
  for (const f of figures) {
    const worst = Math.max(f.listFirst.p95, f.listDeep.p95);
    const busy = Math.round(
      Math.max(f.listFirst.serverBusy ?? 0, f.listDeep.serverBusy ?? 0) * 100,
    );
    process.stdout.write(
      `${f.engine}: GET /releases?limit=50 p95 ${ms1(
        f.listFirst.p95,
      )} ms first page, ${ms1(f.listDeep.p95)} ms after ${int(
        DEEP_OFFSET,
      )} (concurrency ${LIST_CONCURRENCY}, server event loop ${busy}% busy; ${ms1(
        f.listSequential.p95,
      )} ms one at a time) vs target <= ${TARGET_P95_MS} ms: ${
        worst <= TARGET_P95_MS ? 'met' : 'MISSED'
      }\n`,
    );
  }
  process.stdout.write(
    `bench wall time ${secs(performance.now() - started)}\n`,
  );
  if (failures.length) process.exitCode = 1;
}

// Nothing may run away: past this, clean up and give up.
cleanUpOnExit(10 * 60_000, 'bench');

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
