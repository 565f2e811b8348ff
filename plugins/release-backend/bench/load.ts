import { performance } from 'node:perf_hooks';

/** A caller of the bench server: every request names its user in a bearer token. */
export class Client {
  constructor(private readonly baseUrl: string) {}

  /** Sends a request, reads the whole body, and throws unless the status is `expect`. */
  async send(
    method: 'GET' | 'POST',
    path: string,
    as: string,
    options: { body?: unknown; expect?: number } = {},
  ): Promise<{ ms: number; text: string }> {
    const started = performance.now();
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${as}`,
        ...(options.body !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
      },
      body:
        options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
    const text = await res.text();
    const ms = performance.now() - started;
    const expect = options.expect ?? 200;
    if (res.status !== expect) {
      throw new Error(
        `${method} ${path} answered ${res.status}, not ${expect}: ${text.slice(
          0,
          500,
        )}`,
      );
    }
    return { ms, text };
  }

  async json<T = any>(
    method: 'GET' | 'POST',
    path: string,
    as: string,
    options: { body?: unknown; expect?: number } = {},
  ): Promise<{ ms: number; body: T }> {
    const { ms, text } = await this.send(method, path, as, options);
    return { ms, body: JSON.parse(text) as T };
  }
}

export interface LoadResult {
  /** Milliseconds per task, in completion order. */
  latencies: number[];
  /** Wall time of the whole run, ms. */
  elapsed: number;
  /** True when the time bound stopped the run before `count` tasks. */
  cut: boolean;
}

/**
 * Runs `count` tasks with `concurrency` workers, each task timing itself; stops early (and says
 * so) once `maxMs` have passed, so no phase can run away.
 */
export async function runLoad(options: {
  count: number;
  concurrency: number;
  maxMs: number;
  task: (i: number) => Promise<number>;
}): Promise<LoadResult> {
  const { count, concurrency, maxMs, task } = options;
  const latencies: number[] = [];
  let next = 0;
  let cut = false;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      if (performance.now() - started > maxMs) {
        cut = true;
        return;
      }
      const i = next++;
      latencies.push(await task(i));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, elapsed: performance.now() - started, cut };
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  perSecond: number;
  cut: boolean;
  /** Share of the run the server's event loop was busy, when measured. */
  serverBusy?: number;
}

export function summarize(result: LoadResult, serverBusy?: number): Latency {
  const { latencies, elapsed, cut } = result;
  return {
    serverBusy,
    n: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    perSecond: (latencies.length * 1000) / elapsed,
    cut,
  };
}

/** What the load worker runs: repeated GETs, or create → request approval → approve. */
export type Scenario =
  | {
      kind: 'get';
      path: string;
      as: string;
      count: number;
      concurrency: number;
      maxMs: number;
    }
  | {
      kind: 'roundTrip';
      author: string;
      approver: string;
      body: unknown;
      count: number;
      concurrency: number;
      maxMs: number;
    };

/** One create+approve round trip over HTTP; returns its milliseconds. */
export async function roundTrip(
  client: Client,
  author: string,
  approver: string,
  body: unknown,
): Promise<number> {
  const started = performance.now();
  const created = await client.json<{ id: string }>(
    'POST',
    '/releases',
    author,
    { body, expect: 201 },
  );
  const id = created.body.id;
  await client.send('POST', `/releases/${id}/request-approval`, author);
  const approved = await client.json<{ state: string }>(
    'POST',
    `/releases/${id}/approvals`,
    approver,
    { body: { decision: 'approve', stage: 'approval' } },
  );
  if (approved.body.state !== 'approved') {
    throw new Error(
      `release ${id} is ${approved.body.state} after ${approver} approved it`,
    );
  }
  return performance.now() - started;
}

export function runScenario(
  client: Client,
  scenario: Scenario,
): Promise<LoadResult> {
  const { count, concurrency, maxMs } = scenario;
  if (scenario.kind === 'get') {
    return runLoad({
      count,
      concurrency,
      maxMs,
      task: async () =>
        (await client.send('GET', scenario.path, scenario.as)).ms,
    });
  }
  return runLoad({
    count,
    concurrency,
    maxMs,
    task: () =>
      roundTrip(client, scenario.author, scenario.approver, scenario.body),
  });
}
