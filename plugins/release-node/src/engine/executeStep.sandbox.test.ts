import { ConfigReader } from '@backstage/config';
import {
  defaultGradePolicy,
  type DeployPlan,
  type DeployPlanStep,
  type Release,
} from '@internal/plugin-release-common';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultSandboxServices,
  IN_PROGRESS_MESSAGE,
  sandboxGitlabTokens,
  seedFacts,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import { ArgoCdClient } from '../argocd/ArgoCdClient';
import { GitlabClient } from '../gitlab/GitlabClient';
import { spliceYamlValues } from '../iac/spliceYamlValues';
import { HybrisClusterClient } from '../hybris/HybrisClusterClient';
import { readReleaseLayout } from '../layout';
import { readLiveColour } from '../liveColour';
import { computeDeployPlan, deployPlanFiles } from '../plan/computeDeployPlan';
import { defaultDeployPlanSettings } from '../plan/settings';
import { PrometheusClient } from '../prometheus/PrometheusClient';
import { executeStep } from './executeStep';
import type {
  StepContext,
  StepOutputs,
  StepProgress,
  StepSettings,
} from './types';

jest.setTimeout(120_000);

const PROD = seedFacts.iac.project;
const CMS = seedFacts.cms.project;
const ARGOCD_TOKEN = 'argocd-sandbox-token';
const retry = { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 };
const enc = encodeURIComponent;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

const release = (over: Partial<Release>): Release => ({
  id: '7d2f0c4e-2222-4333-8444-a55566667777',
  product: 'kop',
  title: '2026.01.08',
  state: 'approved',
  grade: 'B',
  minimumGrade: 'A',
  changeClasses: [],
  dbUpdate: false,
  apps: [],
  items: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris',
      source: { type: 'asana', gid: '1209000000000042' },
    },
  ],
  author: 'user:default/kim.minjun',
  links: [],
  approvals: [],
  retroApprovalPending: false,
  createdAt: '2026-01-08T01:00:00.000Z',
  updatedAt: '2026-01-08T01:00:00.000Z',
  revision: 4,
  ...over,
});

/** The kop gates with windows of seconds, so a sandbox whose pods start in 0.4 s settles soon. */
const layout = readReleaseLayout(
  new ConfigReader({
    release: {
      apps: {
        hybris: {
          gates: {
            soak: '1s',
            metrics: [
              {
                name: 'jgroups-view-steady',
                query:
                  'max_over_time(hybris_jgroups_view_size{environment="$environment",colour="$colour"}[3s]) - min_over_time(hybris_jgroups_view_size{environment="$environment",colour="$colour"}[3s])',
                max: 0,
              },
              {
                name: 'error-rate',
                query:
                  'sum(rate(hybris_errors_total{environment="$environment",colour="$colour"}[3s]))',
                max: 0.5,
              },
            ],
          },
        },
      },
    },
  }),
);

describe('executeStep against the sandbox (real git, Argo CD syncing from it, hybris pods, Prometheus)', () => {
  let sandbox: RunningSandbox;
  let gitlab: GitlabClient;
  let argocd: ArgoCdClient;
  /** Reads Argo CD for the test, so its requests are not counted as the engine's. */
  let observer: ArgoCdClient;
  let hybris: HybrisClusterClient;
  let prometheus: PrometheusClient;
  /** Every request the engine's Argo CD client sent, as "METHOD /path". */
  const argocdRequests: string[] = [];

  const post = async (path: string, body: unknown, method = 'POST') => {
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}`);
  };
  const fault = (f: object) => post('/_sandbox/faults', f);
  const hybrisFaults = (faults: object) =>
    post('/hybris/_sandbox/prod/green/faults', faults);
  /** Commits on the IaC branch, counted in the sandbox's own git. */
  const commits = () =>
    Number(
      execFileSync(
        'git',
        [
          '--git-dir',
          join(sandbox.context.dataDir, 'git', `${PROD}.git`),
          'rev-list',
          '--count',
          'main',
        ],
        { encoding: 'utf8' },
      ).trim(),
    );
  const iacHead = async () => (await gitlab.branch(PROD, 'main'))!.sha;
  /** The id of the app's newest deployment: one more for every sync that landed. */
  const deployments = async (app: string) =>
    (await observer.getApplication(app)).status?.history?.at(-1)?.id ?? 0;
  /** Waits (real time, bounded) until Prometheus sees green's error rate above `limit`. */
  const errorRateAbove = async (limit: number) => {
    const query = `sum(rate(hybris_errors_total{environment="prod",colour="green"}[3s]))`;
    for (let i = 0; i < 100; i++) {
      const answer = await prometheus.query(query);
      const value =
        answer.resultType === 'vector' ? answer.result[0]?.value : undefined;
      if (value !== undefined && value > limit) return;
      await sleep(100);
    }
    throw new Error(`green's error rate never went above ${limit}`);
  };
  const history = async (app: string) =>
    (await observer.getApplication(app)).status?.history ?? [];

  const context = (
    plan: DeployPlan,
    previousOutputs?: StepOutputs,
    more: Partial<StepContext> & { settings?: Partial<StepSettings> } = {},
  ): StepContext => ({
    plan,
    layout,
    gitlab,
    argocd,
    gate: { prometheus, hybris },
    previousOutputs,
    ...more,
    settings: {
      pollMs: 100,
      pipelinePollMs: 100,
      maxUnwatchedMs: 5_000,
      ...more.settings,
    },
  });

  /** Calls the step as the runner does, the outputs carried over, until it is done or failed. */
  const drive = async (
    plan: DeployPlan,
    step: DeployPlanStep,
    options: {
      outputs?: StepOutputs;
      more?: Partial<StepContext>;
      limitMs?: number;
    } = {},
  ) => {
    const seen: StepProgress[] = [];
    let outputs = options.outputs;
    const deadline = Date.now() + (options.limitMs ?? 40_000);
    for (;;) {
      const progress = await executeStep(
        step,
        context(plan, outputs, options.more),
      );
      seen.push(progress);
      if (progress.status !== 'waiting') return { progress, seen };
      if (Date.now() > deadline) {
        throw new Error(`${step.id} still waiting: ${progress.reason}`);
      }
      outputs = progress.outputs;
      await sleep(Math.min(progress.wakeAfterMs, 100));
    }
  };
  const stepOf = (plan: DeployPlan, id: string) =>
    plan.steps.find(s => s.id === id)!;

  /** What the engine reads before planning: the head, its files and both live readings. */
  const planFor = async (
    r: Release,
    settings = defaultDeployPlanSettings,
  ): Promise<DeployPlan> => {
    const head = await iacHead();
    const files: Record<string, string> = {};
    for (const path of deployPlanFiles(
      layout,
      r.apps.map(a => a.app),
    )) {
      files[path] = (await gitlab.readFile(PROD, head, path))!.content;
    }
    const live = r.apps.some(a => a.app === 'hybris')
      ? await readLiveColour({ layout, environment: 'prod', gitlab, argocd })
      : undefined;
    return computeDeployPlan({
      release: r,
      policy: defaultGradePolicy,
      layout,
      settings,
      environment: 'prod',
      world: { baseSha: head, files, ...(live ? { live } : {}) },
    });
  };

  beforeAll(async () => {
    // Pods of hybris start in 0.4 s, syncs take 15 ms, pipelines 0.3 s.
    sandbox = await startSandbox({
      timeScale: 0.01,
      services: defaultSandboxServices(),
    });
    gitlab = new GitlabClient({
      apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
      token: sandboxGitlabTokens.maintainer,
      retry,
    });
    const instance = {
      name: 'prod',
      url: `${sandbox.url}/argocd/prod`,
      token: ARGOCD_TOKEN,
    };
    argocd = new ArgoCdClient({
      instance,
      retry,
      fetchImpl: (input, init) => {
        argocdRequests.push(
          `${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`,
        );
        return fetch(input, init);
      },
    });
    observer = new ArgoCdClient({ instance });
    hybris = new HybrisClusterClient({
      endpoints: {
        prod: {
          blue: `${sandbox.url}/hybris/prod/blue`,
          green: `${sandbox.url}/hybris/prod/green`,
        },
      },
      retry,
    });
    prometheus = new PrometheusClient({
      baseUrl: `${sandbox.url}/prometheus`,
      retry,
    });
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(sandbox.context.dataDir, { recursive: true, force: true });
  });

  describe('a hybris release on green, blue live', () => {
    let plan: DeployPlan;
    beforeAll(async () => {
      plan = await planFor(
        release({
          apps: [
            {
              app: 'hybris',
              version: seedFacts.hybris.candidate,
              strategy: 'blue-green-steps',
              steps: [3, 6, 9, 12],
            },
          ],
        }),
        {
          ...defaultDeployPlanSettings,
          hybris: { ...defaultDeployPlanSettings.hybris, switchWatchMs: 2_000 },
        },
      );
    });

    it('plans green from 0 to 12 in four steps', () => {
      expect(plan.steps.map(s => s.id).slice(0, 5)).toEqual([
        'hybris.image',
        'hybris.scale-up.3',
        'hybris.scale-up.6',
        'hybris.scale-up.9',
        'hybris.scale-up.12',
      ]);
    });

    it('puts the image on green with one commit and one sync, and a second run commits and syncs nothing', async () => {
      const step = stepOf(plan, 'hybris.image');
      const [before, synced] = [commits(), await deployments('hybris-green')];

      const { progress } = await drive(plan, step);

      expect(progress.status).toBe('done');
      const head = await iacHead();
      expect(progress.outputs.git).toMatchObject({
        sha: head,
        committed: true,
      });
      expect(commits()).toBe(before + 1);
      expect(await deployments('hybris-green')).toBe(synced + 1);
      expect((await history('hybris-green')).at(-1)?.revision).toBe(head);
      expect(progress.outputs.sync).toEqual({
        'hybris-green': { attempts: 1, syncedRevision: head },
      });
      const commit = await gitlab.listCommits(PROD, { ref: 'main', limit: 1 });
      expect(commit[0].message.trimEnd()).toBe(step.git!.message.trimEnd());

      // The runner lost the outputs (a crash): the world says it is done.
      const again = await executeStep(step, context(plan));
      expect(again).toEqual({
        status: 'done',
        outputs: {
          git: { sha: head, committed: false, attempts: 0 },
          // The last operation is the portal's first sync of this step, found by its key.
          sync: { 'hybris-green': { attempts: 1, syncedRevision: head } },
          gate: expect.objectContaining({ passedAt: expect.any(Number) }),
        },
      });
      expect(commits()).toBe(before + 1);
      expect(await deployments('hybris-green')).toBe(synced + 1);
    });

    it('raises green to 3 and waits with the live readings until pods, JGroups view and metrics held for the soak', async () => {
      const step = stepOf(plan, 'hybris.scale-up.3');
      const before = commits();

      const { progress, seen } = await drive(plan, step);

      expect(progress).toMatchObject({
        status: 'done',
        outputs: {
          git: { committed: true },
          gate: {
            holdingSince: expect.any(Number),
            passedAt: expect.any(Number),
          },
        },
      });
      const gate = progress.outputs.gate!;
      expect(gate.passedAt! - gate.holdingSince!).toBeGreaterThanOrEqual(1000);
      expect(commits()).toBe(before + 1);
      const gateWaits = seen.filter(
        (p): p is Extract<StepProgress, { status: 'waiting' }> =>
          p.status === 'waiting' && !!p.readings.hold,
      );
      expect(gateWaits.length).toBeGreaterThan(0);
      const names = gateWaits[0].readings.checks.map(c => c.name);
      expect(names).toEqual([
        'pods-ready',
        'cluster-status',
        'jgroups-view-steady',
        'error-rate',
      ]);
      // The page can show pods x/y, the JGroups view n/m, the error rate against its limit, the soak left.
      const last = gateWaits.at(-1)!.readings;
      expect(last.checks).toEqual([
        expect.objectContaining({
          name: 'pods-ready',
          ok: true,
          value: 3,
          min: 3,
          detail: 'pods 3/3 ready',
        }),
        expect.objectContaining({
          name: 'cluster-status',
          ok: true,
          value: 3,
          detail: 'JGroups view 3/3',
        }),
        expect.objectContaining({ name: 'jgroups-view-steady', ok: true }),
        expect.objectContaining({ name: 'error-rate', ok: true, max: 0.5 }),
      ]);
      expect(last.hold).toMatchObject({ kind: 'soak', requiredMs: 1000 });
      expect(last.hold!.leftMs).toBeLessThanOrEqual(1000);
      await expect(
        hybris.clusterStatus('prod', 'green'),
      ).resolves.toMatchObject({
        viewSize: 3,
        expectedNodes: 3,
        complete: true,
      });
    });

    it('commits once through GitLab answering "reference does not point to expected object" twice, and a restart right after the commit neither commits nor syncs again', async () => {
      const step = stepOf(plan, 'hybris.scale-up.6');
      const [before, synced] = [commits(), await deployments('hybris-green')];
      const sent = argocdRequests.length;
      await fault({
        path: `/gitlab/api/v4/projects/${enc(PROD)}/repository/commits`,
        method: 'POST',
        count: 2,
        status: 400,
        body: {
          message:
            '9:Could not update refs/heads/main: reference does not point to expected object.',
        },
      });

      const first = await executeStep(step, context(plan));
      expect(first.status).toBe('waiting');
      expect(first.outputs.git).toMatchObject({ committed: true, attempts: 3 });
      expect(commits()).toBe(before + 1);

      // Killed before the outputs were kept: the next call starts from nothing.
      const { progress } = await drive(plan, step);
      expect(progress.status).toBe('done');
      expect(progress.outputs.git).toMatchObject({
        sha: first.outputs.git!.sha,
        committed: false,
      });
      expect(progress.outputs.sync!['hybris-green'].attempts).toBe(1);
      expect(commits()).toBe(before + 1);
      expect(await deployments('hybris-green')).toBe(synced + 1);
      expect(
        argocdRequests
          .slice(sent)
          .filter(r => r.endsWith('/hybris-green/sync')),
      ).toHaveLength(1);
    });

    it('waits for an operation someone else started and never terminates it, then syncs', async () => {
      const step = stepOf(plan, 'hybris.scale-up.9');
      const app = '/argocd/_sandbox/prod/applications/hybris-green';
      await post(`${app}/hold`, { hold: true });
      await post(`${app}/operation`, { username: 'lee.jiho' });
      const before = argocdRequests.length;

      const seen: StepProgress[] = [];
      let outputs: StepOutputs | undefined;
      for (let i = 0; i < 3; i++) {
        const progress = await executeStep(step, context(plan, outputs));
        seen.push(progress);
        outputs = progress.outputs;
        await sleep(100);
      }
      expect(seen.map(p => p.status)).toEqual([
        'waiting',
        'waiting',
        'waiting',
      ]);
      for (const p of seen) {
        expect(p).toMatchObject({
          reason:
            'another operation is in progress on prod/hybris-green (started by lee.jiho); waiting for it, never terminating it',
        });
      }
      expect(outputs!.git?.committed).toBe(true);

      await post(`${app}/hold`, { hold: false });
      const { progress } = await drive(plan, step, { outputs });
      expect(progress.status).toBe('done');

      const mine = argocdRequests.slice(before);
      expect(mine.filter(r => r.startsWith('DELETE'))).toEqual([]);
      expect(mine.filter(r => r.endsWith('/sync'))).toHaveLength(1);
      const deployed = await history('hybris-green');
      // Someone else's sync ran to its end, then the portal's.
      expect(deployed.at(-2)?.initiatedBy).toEqual({ username: 'lee.jiho' });
      expect(deployed.at(-1)?.revision).toBe(progress.outputs.git!.sha);
    });

    it('keeps a failing gate waiting with its readings (a node that never joins, errors), then fails it past its limit', async () => {
      const step = stepOf(plan, 'hybris.scale-up.12');
      await hybrisFaults({ neverJoin: 1, errorsPerSecond: 5 });
      try {
        const { progress, seen } = await drive(plan, step, {
          more: { settings: { gateTimeoutMs: 6_000 } },
        });

        expect(progress).toMatchObject({
          status: 'failed',
          retryable: false,
          error: expect.stringMatching(
            /^the gate of hybris green in prod did not pass within 6 s: waiting for cluster-status: JGroups view 11\/12; missing: hybris-green-/,
          ),
        });
        const waits = seen.filter(
          (p): p is Extract<StepProgress, { status: 'waiting' }> =>
            p.status === 'waiting' && !!p.readings.hold,
        );
        const last = waits.at(-1)!.readings;
        expect(last.checks).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              name: 'pods-ready',
              ok: true,
              detail: 'pods 12/12 ready',
            }),
            expect.objectContaining({
              name: 'cluster-status',
              ok: false,
              value: 11,
              min: 12,
              max: 12,
            }),
            expect.objectContaining({
              name: 'error-rate',
              ok: false,
              value: expect.any(Number),
              max: 0.5,
            }),
          ]),
        );
        expect(
          last.checks.find(c => c.name === 'error-rate')!.value,
        ).toBeGreaterThan(0.5);
        expect(last.hold).toMatchObject({ kind: 'soak', heldMs: 0 });
        expect(waits.some(p => p.readings.timeoutLeftMs! > 0)).toBe(true);
      } finally {
        await post('/hybris/_sandbox/prod/green/faults', {}, 'DELETE');
      }
    });

    it('waits out Argo CD\'s "another operation is already in progress" on the switch, then watches the errors, a breach failing it for the switch back', async () => {
      const step = stepOf(plan, 'hybris.switch');
      // The errors of the step before leave the error-rate window first.
      await sleep(4_000);
      await fault({
        path: '/argocd/prod/api/v1/applications/hybris/sync',
        method: 'POST',
        count: 1,
        status: 400,
        body: {
          error: IN_PROGRESS_MESSAGE,
          code: 9,
          message: IN_PROGRESS_MESSAGE,
        },
      });

      const { progress, seen } = await drive(plan, step);

      expect(seen[0]).toMatchObject({
        status: 'waiting',
        reason:
          'another operation is in progress on prod/hybris; waiting for it, never terminating it',
      });
      expect(progress.status).toBe('done');
      expect(progress.outputs.sync!.hybris.attempts).toBe(1);
      const watched = seen.filter(
        (p): p is Extract<StepProgress, { status: 'waiting' }> =>
          p.status === 'waiting' && p.readings.hold?.kind === 'watch',
      );
      expect(watched.length).toBeGreaterThan(0);
      expect(watched[0].readings.checks).toEqual([
        expect.objectContaining({ name: 'error-rate', ok: true }),
      ]);
      expect(
        (await observer.getApplicationState('hybris')).syncedRevision,
      ).toBe(progress.outputs.git!.sha);

      // The same watch again, green now logging errors: a breach.
      await hybrisFaults({ errorsPerSecond: 5 });
      try {
        await errorRateAbove(0.5);
        const { gate: _passed, ...kept } = progress.outputs;
        const { progress: watch } = await drive(plan, step, { outputs: kept });
        expect(watch).toMatchObject({
          status: 'failed',
          breach: true,
          retryable: false,
          error: expect.stringMatching(
            /^the watch of hybris green in prod after the switch: error-rate: [\d.]+ is above the max 0\.5$/,
          ),
        });
      } finally {
        await post('/hybris/_sandbox/prod/green/faults', {}, 'DELETE');
      }
    });

    it('fails a step whose file someone else changed since the plan, committing nothing, and asks for the plan again', async () => {
      const step = stepOf(plan, 'hybris.scale-down.6');
      const path = 'hybris/values-blue.yaml';
      await gitlab.commitEdits({
        project: PROD,
        branch: 'main',
        message: 'pull the image always',
        paths: [path],
        edit: files => ({
          [path]: spliceYamlValues(files[path]!, {
            'image.pullPolicy': 'Always',
          }),
        }),
      });
      const before = commits();

      const progress = await executeStep(step, context(plan));

      expect(progress).toEqual({
        status: 'failed',
        error: expect.stringMatching(
          /^IaC kop\/kop-deploy-prod: someone else changed hybris\/values-blue\.yaml since the plan was approved: it is blob [0-9a-f]{8}, the plan was made from [0-9a-f]{8}; nothing was committed, approve the plan again$/,
        ),
        retryable: false,
        system: 'GitLab',
        conflict: true,
        outputs: {},
      });
      expect(commits()).toBe(before);

      // A replica count set by hand is named with its value.
      await gitlab.commitEdits({
        project: PROD,
        branch: 'main',
        message: 'blue to 7 by hand',
        paths: [path],
        edit: files => ({
          [path]: spliceYamlValues(files[path]!, { replicaCount: 7 }),
        }),
      });
      const byHand = commits();
      const again = await executeStep(step, context(plan));
      expect(again).toMatchObject({
        status: 'failed',
        conflict: true,
        error:
          'IaC kop/kop-deploy-prod: someone else changed hybris/values-blue.yaml since the plan was approved: replicaCount is 7, and the plan changes it from 9 to 6; nothing was committed, approve the plan again',
      });
      expect(commits()).toBe(byHand);
    });

    it('fails a read that Argo CD answers with 503 as retryable, naming Argo CD and no token', async () => {
      const step = stepOf(plan, 'hybris.scale-down.6');
      await fault({
        path: '/argocd/prod/api/v1/applications/hybris-blue',
        method: 'GET',
        count: 2,
        status: 503,
        body: { message: 'upstream connect error' },
      });
      const progress = await executeStep(
        step,
        context(plan, {
          git: { sha: await iacHead(), committed: false, attempts: 0 },
        }),
      );
      expect(progress).toMatchObject({
        status: 'failed',
        retryable: true,
        system: 'Argo CD',
        error: expect.stringContaining(
          `Argo CD (${sandbox.url}/argocd/prod/api/v1/applications/hybris-blue): get prod/hybris-blue failed (HTTP 503)`,
        ),
      });
      const text = JSON.stringify(progress);
      expect(text).not.toContain(ARGOCD_TOKEN);
      expect(text).not.toContain(sandboxGitlabTokens.maintainer);
    });

    it('fails a read that GitLab answers with 502 as retryable, naming GitLab, committing nothing', async () => {
      const step = stepOf(plan, 'hybris.scale-down.3');
      const before = commits();
      await fault({
        path: `/gitlab/api/v4/projects/${enc(PROD)}/repository/files`,
        method: 'GET',
        count: 2,
        status: 502,
        body: { message: '502 Bad Gateway' },
      });
      const progress = await executeStep(step, context(plan));
      expect(progress).toMatchObject({
        status: 'failed',
        retryable: true,
        system: 'GitLab',
        error: expect.stringContaining(
          `GitLab (${sandbox.url}/gitlab/api/v4/projects/${enc(
            PROD,
          )}/repository/files/hybris%2Fvalues-blue.yaml?ref=main): read hybris/values-blue.yaml at main in kop/kop-deploy-prod failed (HTTP 502)`,
        ),
        outputs: {},
      });
      expect(JSON.stringify(progress)).not.toContain(
        sandboxGitlabTokens.maintainer,
      );
      expect(commits()).toBe(before);
    });
  });

  describe('a cms release: branch, merge request, pipeline, merge', () => {
    let plan: DeployPlan;
    const branches = async () =>
      (await gitlab.listBranches(CMS)).map(b => `${b.name}@${b.sha}`).sort();
    const mergeRequests = async () =>
      (
        await (
          await fetch(
            `${sandbox.url}/gitlab/api/v4/projects/${enc(
              CMS,
            )}/merge_requests?state=all&per_page=100`,
            { headers: { 'private-token': sandboxGitlabTokens.maintainer } },
          )
        ).json()
      ).map((m: { iid: number; state: string }) => `!${m.iid} ${m.state}`);

    beforeAll(async () => {
      const version = (await gitlab.resolveRef(CMS, 'pre-release'))!;
      plan = await planFor(
        release({
          id: '9a1b2c3d-1111-4222-8333-944455556666',
          apps: [{ app: 'cms', version, strategy: 'branch-merge-sync' }],
        }),
      );
    });

    it('cuts the branch, opens the merge request, waits for its pipeline and merges, each once however often it runs', async () => {
      const ids = ['cms.branch', 'cms.merge-request', 'cms.merge'];
      expect(plan.steps.slice(0, 3).map(s => s.id)).toEqual(ids);
      const master = await gitlab.resolveRef(CMS, 'master');
      const done: StepProgress[] = [];
      for (const id of ids) {
        const { progress } = await drive(plan, stepOf(plan, id));
        expect(progress.status).toBe('done');
        done.push(progress);
      }
      const [cut, opened, merged] = done.map(p => p.outputs.call!);
      expect(cut).toMatchObject({ acted: true, branch: 'release/9a1b2c3d' });
      expect(opened).toMatchObject({
        acted: true,
        mergeRequest: { iid: expect.any(Number) },
      });
      expect(done[1].outputs.gate?.passedAt).toEqual(expect.any(Number));
      const head = await gitlab.resolveRef(CMS, 'master');
      expect(head).not.toBe(master);
      expect(merged).toEqual({
        operation: 'merge',
        acted: true,
        branch: 'release/9a1b2c3d',
        mergeRequest: opened.mergeRequest,
        mergeSha: head,
      });
      const mr = await gitlab.mergeRequest(CMS, opened.mergeRequest!.iid);
      expect(mr.title).toBe(`[kop] cms ${plan.steps[0].call!.target.ref}`);
      expect(mr.description).toContain('Release-Step: cms.merge-request');

      // Every step again from nothing, as after a restart: nothing new in GitLab.
      const [b, m] = [await branches(), await mergeRequests()];
      const again: StepProgress[] = [];
      for (const id of ids) {
        again.push(await executeStep(stepOf(plan, id), context(plan)));
      }
      expect(again.map(p => p.status)).toEqual(['done', 'done', 'done']);
      expect(again.map(p => p.outputs.call)).toEqual([
        {
          operation: 'create-branch',
          acted: false,
          branch: 'release/9a1b2c3d',
          sha: cut.sha,
          alreadyMerged: true,
          mergeRequest: opened.mergeRequest,
        },
        expect.objectContaining({
          operation: 'open-merge-request',
          acted: false,
          alreadyMerged: true,
          mergeSha: head,
        }),
        { ...merged, acted: false, alreadyMerged: true },
      ]);
      expect(await branches()).toEqual(b);
      expect(await mergeRequests()).toEqual(m);
      expect(await gitlab.resolveRef(CMS, 'master')).toBe(head);
    });

    it('puts the version on cms and cms-internal with one commit, each app synced once and Healthy', async () => {
      const step = stepOf(plan, 'cms.version');
      const before = commits();
      const synced = await Promise.all(step.sync.map(deployments));
      const { progress } = await drive(plan, step);
      expect(progress.status).toBe('done');
      expect(commits()).toBe(before + 1);
      expect(await Promise.all(step.sync.map(deployments))).toEqual(
        synced.map(n => n + 1),
      );
      const again = await executeStep(step, context(plan));
      expect(again.status).toBe('done');
      expect(commits()).toBe(before + 1);
      expect(await Promise.all(step.sync.map(deployments))).toEqual(
        synced.map(n => n + 1),
      );
    });
  });
  describe('a web release', () => {
    it('never lets two writers both win: a commit landing on its file while its own is in flight fails the step, committing nothing of it', async () => {
      const plan = await planFor(
        release({
          id: '3c4d5e6f-3333-4444-8555-a66677778888',
          apps: [{ app: 'web', version: 'abc1234', strategy: 'sync' }],
        }),
      );
      const step = stepOf(plan, 'web.version');
      const path = Object.keys(step.git!.files)[0];
      // The engine's commit request is held back while a person commits to the same file.
      await fault({
        path: `/gitlab/api/v4/projects/${enc(PROD)}/repository/commits`,
        method: 'POST',
        count: 1,
        status: 0,
        delayMs: 1_500,
      });
      const before = commits();
      const running = executeStep(step, context(plan));
      for (let i = 0; sandbox.context.faults.pending().length; i++) {
        if (i > 200) throw new Error('the engine never sent its commit');
        await sleep(10);
      }
      await gitlab.commitEdits({
        project: PROD,
        branch: 'main',
        message: 'web to 4 by hand',
        paths: [path],
        edit: files => ({
          [path]: spliceYamlValues(files[path]!, { replicaCount: 4 }),
        }),
      });

      const progress = await running;

      expect(progress).toMatchObject({
        status: 'failed',
        conflict: true,
        retryable: false,
        error: expect.stringMatching(
          /^IaC kop\/kop-deploy-prod: someone else changed web\/values\.yaml since the plan was approved: it is blob [0-9a-f]{8}, the plan was made from [0-9a-f]{8}; nothing was committed, approve the plan again$/,
        ),
      });
      expect(commits()).toBe(before + 1);
      const head = await gitlab.listCommits(PROD, { ref: 'main', limit: 1 });
      expect(head[0].title).toBe('web to 4 by hand');
    });
  });
});
