import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { realClock } from '../http/retryingCaller';
import { HybrisClusterClient } from '../hybris/HybrisClusterClient';
import {
  startHybrisSandbox,
  type HybrisTestSandbox,
} from '../hybris/__testUtils__/hybrisSandbox';
import {
  PrometheusClient,
  PrometheusQueryError,
} from '../prometheus/PrometheusClient';
import {
  gateContract,
  waitForSeries,
  type GateWorld,
} from './__testUtils__/gateContract';

// A real Prometheus (the Debian package; CI installs it) scrapes the sandbox's hybris pods.
jest.setTimeout(60_000);

const COLOURS = ['beta/blue', 'beta/green', 'prod/blue', 'prod/green'];

/** The Prometheus binary: KOP_PROMETHEUS, /usr/bin/prometheus, or one on PATH; never a skip. */
function prometheusBinary(): string {
  const named = process.env.KOP_PROMETHEUS;
  if (named) {
    accessSync(named, constants.X_OK);
    return named;
  }
  const candidates = [
    '/usr/bin/prometheus',
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .map(d => join(d, 'prometheus')),
  ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'Prometheus is not installed: this test needs the prometheus binary (apt-get install prometheus, as .ci/run does) at /usr/bin/prometheus, on PATH, or named by KOP_PROMETHEUS',
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise(resolve => server.close(resolve));
  return port;
}

/** Starts Prometheus scraping every hybris colour of the sandbox each second. */
async function startPrometheus(sandboxUrl: string) {
  const binary = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'kop-prometheus-'));
  const port = await freePort();
  const sandbox = new URL(sandboxUrl);
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s' },
    scrape_configs: [
      {
        job_name: 'hybris',
        static_configs: COLOURS.map(key => {
          const [environment, colour] = key.split('/');
          return {
            targets: [sandbox.host],
            labels: {
              __metrics_path__: `/hybris/${environment}/${colour}/metrics`,
              instance: `hybris-${colour}.${environment}`,
              environment,
              colour,
            },
          };
        }),
      },
    ],
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', chunk => {
    log = (log + String(chunk)).slice(-4000);
  });
  const exited = new Promise<number | null>(resolve =>
    child.once('exit', code => resolve(code)),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(
        `Prometheus (${binary}) exited with ${child.exitCode}: ${log}`,
      );
    }
    const ready = await fetch(`${url}/-/ready`).then(
      r => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus was not ready within 20 s: ${log}`);
    }
    await new Promise(r => setTimeout(r, 100));
  }
  return { url, stop };
}

describe('the gate through a real Prometheus scraping the sandbox', () => {
  let running: HybrisTestSandbox;
  let prometheus: { url: string; stop(): Promise<void> } | undefined;
  const world: GateWorld = {
    async start() {
      running = await startHybrisSandbox();
      prometheus = await startPrometheus(running.sandbox.url);
    },
    async stop() {
      await prometheus?.stop();
      await running?.close();
    },
    prometheus: () => new PrometheusClient({ baseUrl: prometheus!.url }),
    hybris: () => new HybrisClusterClient({ endpoints: running.endpoints }),
    clock: () => realClock,
    pollMs: 500,
    soakMs: 3000,
    // rate() answers once a colour has been scraped twice.
    ready: () =>
      waitForSeries(world.prometheus(), 'rate(hybris_errors_total[2m])', 4),
    injectErrors: async (environment, colour, perSecond) => {
      running.hybris.setFaults(environment, colour, {
        errorsPerSecond: perSecond,
      });
    },
  };

  beforeAll(async () => {
    await world.start();
    await world.ready();
  });
  afterAll(() => world.stop());
  it.each(gateContract(world))('$name', async ({ run }) => {
    expect.hasAssertions();
    await run();
  });

  it('finds the gate metrics in check(), with target labels on every series', async () => {
    const client = world.prometheus();
    await expect(
      client.check(['hybris_jgroups_view_size', 'hybris_errors_total']),
    ).resolves.toEqual({
      system: 'Prometheus',
      ok: true,
      checks: [
        { name: 'query API', ok: true, detail: 'answers' },
        {
          name: 'metric hybris_jgroups_view_size',
          ok: true,
          detail: '4 series',
        },
        { name: 'metric hybris_errors_total', ok: true, detail: '4 series' },
      ],
    });
    const view = await client.query(
      'hybris_jgroups_view_size{environment="prod",colour="blue"}',
    );
    expect(view).toMatchObject({
      resultType: 'vector',
      result: [
        {
          metric: {
            __name__: 'hybris_jgroups_view_size',
            job: 'hybris',
            instance: 'hybris-blue.prod',
            environment: 'prod',
            colour: 'blue',
            exported_colour: 'blue',
          },
          value: 9,
        },
      ],
    });
  });

  it("turns the real Prometheus' bad_data answer into a PrometheusQueryError", async () => {
    const error = await world
      .prometheus()
      .query('sum(rate(hybris_errors_total[2m])')
      .catch(e => e);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect(error).toMatchObject({ errorType: 'bad_data', status: 400 });
    expect(error.message).toMatch(
      /^Prometheus \(http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query\): query 'sum\(rate\(hybris_errors_total\[2m\]\)' failed \(HTTP 400\): bad_data: invalid parameter "query": 1:\d+: parse error: /,
    );
  });
});
