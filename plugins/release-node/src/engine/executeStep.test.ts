import { ConfigReader } from '@backstage/config';
import type {
  DeployGitChange,
  DeployPlan,
  DeployPlanStep,
} from '@internal/plugin-release-common';
import type { ArgoCdClient } from '../argocd/ArgoCdClient';
import { ArgoCdError } from '../argocd/errors';
import type { v1alpha1Application } from '../argocd/types';
import type { GitlabClient, GitlabMergeRequest } from '../gitlab/GitlabClient';
import { EditConflictError } from '../gitlab/yamlEdit';
import type { HybrisClusterStatus } from '../hybris/HybrisClusterClient';
import { SystemError } from '../http/SystemError';
import { gitBlobId } from '../iac/gitBlob';
import { readReleaseLayout } from '../layout';
import type { PrometheusInstantResult } from '../prometheus/PrometheusClient';
import { createStepExecutor, executeStep } from './executeStep';
import { gitChangeEdit } from './gitChange';
import { syncOperationKey } from './sync';
import type { StepContext, StepOutputs, StepProgress } from './types';

const layout = readReleaseLayout(new ConfigReader({}));
const RELEASE = '7d2f0c4e-2222-4333-8444-a55566667777';
const SHA = 'a'.repeat(40);
const plan: Pick<DeployPlan, 'releaseId' | 'environment' | 'iac'> = {
  releaseId: RELEASE,
  environment: 'prod',
  iac: {
    project: 'kop/kop-deploy-prod',
    branch: 'main',
    baseSha: 'b'.repeat(40),
  },
};

const values = (tag: string, replicas: number, extra = '') =>
  `image:\n  tag: ${tag}\n${extra}replicaCount: ${replicas}\n`;

/** A clock the test moves. */
function testClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function step(over: Partial<DeployPlanStep>): DeployPlanStep {
  return {
    id: 'step',
    kind: 'wait',
    phase: 'deploying',
    title: 'a step',
    sync: [],
    gate: { type: 'none' },
    ...over,
  };
}

function context(over: Partial<StepContext>): StepContext {
  return {
    plan,
    layout,
    gitlab: {} as GitlabClient,
    argocd: { instance: 'prod' } as ArgoCdClient,
    settings: { pollMs: 1_000, maxUnwatchedMs: 30_000 },
    ...over,
  };
}

const waiting = (p: StepProgress) =>
  p as Extract<StepProgress, { status: 'waiting' }>;

describe('gitChangeEdit', () => {
  const green = 'hybris/values-green.yaml';
  const blue = 'hybris/values-blue.yaml';
  const change = (files: Record<string, string>): DeployGitChange => ({
    message: 'scale',
    changes: [
      {
        argocdApp: 'hybris-green',
        file: green,
        key: 'replicaCount',
        from: 3,
        to: 6,
      },
      {
        argocdApp: 'hybris-blue',
        file: blue,
        key: 'replicaCount',
        from: 9,
        to: 6,
      },
    ],
    before: Object.fromEntries(
      Object.entries(files).map(([p, t]) => [p, gitBlobId(t)]),
    ),
    files: {
      [green]: values('g1', 6),
      [blue]: values('b1', 6),
    },
    diff: '',
  });
  const planned = change({ [green]: values('g1', 3), [blue]: values('b1', 9) });

  it('writes exactly the planned files over the files the plan was made from', () => {
    expect(
      gitChangeEdit(planned, {
        [green]: values('g1', 3),
        [blue]: values('b1', 9),
      }),
    ).toEqual(planned.files);
  });

  it('writes nothing when every key holds its new value, whatever else the files hold', () => {
    expect(
      gitChangeEdit(planned, {
        [green]: values('g1', 6, '# scaled by hand\n'),
        [blue]: values('b1', 6),
      }),
    ).toEqual({});
  });

  it('writes only the file not yet written', () => {
    expect(
      gitChangeEdit(planned, {
        [green]: values('g1', 6),
        [blue]: values('b1', 9),
      }),
    ).toEqual({ [blue]: values('b1', 6) });
  });

  it.each([
    [
      'another line of a file',
      { [green]: values('g1', 3, 'colour: green\n'), [blue]: values('b1', 9) },
      /^someone else changed hybris\/values-green\.yaml since the plan was approved: it is blob [0-9a-f]{8}, the plan was made from [0-9a-f]{8}$/,
    ],
    [
      'a key to a third value',
      { [green]: values('g1', 4), [blue]: values('b1', 9) },
      /^someone else changed hybris\/values-green\.yaml since the plan was approved: replicaCount is 4, and the plan changes it from 3 to 6$/,
    ],
    [
      'a file deleted',
      { [green]: values('g1', 3), [blue]: undefined },
      /^someone else changed hybris\/values-blue\.yaml since the plan was approved: it is not on the branch$/,
    ],
    [
      'a file no longer YAML',
      { [green]: 'image: [', [blue]: values('b1', 9) },
      /^someone else changed hybris\/values-green\.yaml since the plan was approved: not valid YAML in hybris\/values-green\.yaml/,
    ],
  ])('refuses %s, naming the file', (_what, files, message) => {
    expect(() => gitChangeEdit(planned, files)).toThrow(EditConflictError);
    expect(() => gitChangeEdit(planned, files)).toThrow(message);
  });
});

describe('executeStep with fakes', () => {
  describe('sync', () => {
    /** An Argo CD app whose syncs end as the test says, and that records every call. */
    function fakeArgoCd(options: {
      autoSync?: boolean;
      outcome: (attempt: number) => 'Succeeded' | 'Failed';
      running?: { username?: string; key?: string };
    }) {
      const calls: string[] = [];
      let attempt = 0;
      let app: v1alpha1Application = {
        metadata: { name: 'web' },
        spec: options.autoSync
          ? { syncPolicy: { automated: { prune: false } } }
          : {},
        status: {
          sync: { status: 'OutOfSync', revision: 'c'.repeat(40) },
          health: { status: 'Healthy' },
          history: [{ id: 1, revision: 'c'.repeat(40) }],
          ...(options.running
            ? {
                operationState: {
                  phase: 'Running',
                  operation: {
                    initiatedBy: { username: options.running.username },
                    ...(options.running.key
                      ? {
                          info: [
                            {
                              name: 'kop-release-portal',
                              value: options.running.key,
                            },
                          ],
                        }
                      : {}),
                  },
                },
              }
            : {}),
        },
      };
      const argocd = {
        instance: 'prod',
        getApplication: async (name: string) => {
          calls.push(`get ${name}`);
          return structuredClone(app);
        },
        hardRefresh: async (name: string) => {
          calls.push(`refresh ${name}`);
          return app;
        },
        terminateOperation: async () => {
          throw new Error('the engine must never terminate an operation');
        },
        sync: async (
          name: string,
          o: { revision?: string; operationKey?: string },
        ) => {
          attempt += 1;
          calls.push(
            `sync ${name} ${o.revision ?? 'target'} ${o.operationKey}`,
          );
          const phase = options.outcome(attempt);
          app = {
            ...app,
            status: {
              ...app.status,
              operationState: {
                phase,
                message: phase === 'Failed' ? 'one or more objects failed' : '',
                operation: {
                  info: [{ name: 'kop-release-portal', value: o.operationKey }],
                  sync: { revision: SHA },
                },
                syncResult: { revision: SHA },
              },
              history:
                phase === 'Succeeded'
                  ? [...(app.status?.history ?? []), { id: 2, revision: SHA }]
                  : app.status?.history,
            },
          };
          return { alreadyStarted: false } as never;
        },
      };
      const release = () => {
        app = {
          ...app,
          status: { ...app.status, operationState: { phase: 'Succeeded' } },
        };
      };
      return { argocd: argocd as unknown as ArgoCdClient, calls, release };
    }
    /** Whether an older revision holds the step's commit: here never. */
    const gitlab = {
      holds: async () => false,
    } as unknown as GitlabClient;
    const syncStep = step({
      id: 'web.version',
      kind: 'git',
      git: {} as DeployGitChange,
      sync: ['web'],
    });
    const committed: StepOutputs = {
      git: { sha: SHA, committed: true, attempts: 1 },
    };
    const key = (n: number) =>
      syncOperationKey(RELEASE, 'web.version', 'web', n);

    it('syncs again when the sync did not land, a bounded number of times, then fails naming the last operation', async () => {
      const { argocd, calls } = fakeArgoCd({ outcome: () => 'Failed' });
      let outputs = committed;
      const seen: StepProgress[] = [];
      for (let i = 0; i < 4; i++) {
        const progress = await executeStep(
          syncStep,
          context({ argocd, gitlab, previousOutputs: outputs }),
        );
        seen.push(progress);
        outputs = progress.outputs;
      }
      expect(seen.map(p => p.status)).toEqual([
        'waiting',
        'waiting',
        'waiting',
        'failed',
      ]);
      expect(calls.filter(c => c.startsWith('sync'))).toEqual([
        `sync web ${SHA} ${key(1)}`,
        `sync web ${SHA} ${key(2)}`,
        `sync web ${SHA} ${key(3)}`,
      ]);
      expect(seen[3]).toMatchObject({
        retryable: false,
        system: 'Argo CD',
        error: `Argo CD: prod/web does not run aaaaaaaa after 3 syncs by the portal; the last operation Failed: one or more objects failed`,
      });
    });

    it('syncs again after a failed sync and is done once it lands', async () => {
      const { argocd, calls } = fakeArgoCd({
        outcome: n => (n === 1 ? 'Failed' : 'Succeeded'),
      });
      let outputs = committed;
      const seen: StepProgress[] = [];
      for (let i = 0; i < 3; i++) {
        const progress = await executeStep(
          syncStep,
          context({ argocd, gitlab, previousOutputs: outputs }),
        );
        seen.push(progress);
        outputs = progress.outputs;
      }
      expect(seen.map(p => p.status)).toEqual(['waiting', 'waiting', 'done']);
      expect(calls.filter(c => c.startsWith('sync'))).toHaveLength(2);
      expect(outputs.sync).toEqual({
        web: { attempts: 2, syncedRevision: SHA },
      });
    });

    it('asks GitLab nothing when the app runs the revision the step committed on top of', async () => {
      const { argocd, calls } = fakeArgoCd({ outcome: () => 'Succeeded' });
      const compared: string[] = [];
      const asked = {
        holds: async (_p: string, revision: string) => {
          compared.push(revision);
          return false;
        },
      } as unknown as GitlabClient;
      const progress = await executeStep(
        syncStep,
        context({
          argocd,
          gitlab: asked,
          previousOutputs: {
            git: { ...committed.git!, parents: ['c'.repeat(40)] },
          },
        }),
      );
      expect(progress.status).toBe('waiting');
      expect(compared).toEqual([]);
      expect(calls.filter(c => c.startsWith('sync'))).toEqual([
        `sync web ${SHA} ${key(1)}`,
      ]);
    });

    it('knows its own running sync after a restart lost the record, and starts no second one', async () => {
      const { argocd, calls } = fakeArgoCd({
        outcome: () => 'Succeeded',
        running: { username: 'kop-portal', key: key(1) },
      });
      const progress = await executeStep(
        syncStep,
        context({ argocd, gitlab, previousOutputs: committed }),
      );
      expect(progress).toMatchObject({
        status: 'waiting',
        reason: 'prod/web is syncing to aaaaaaaa',
        outputs: { sync: { web: { attempts: 1 } } },
      });
      expect(calls.filter(c => !c.startsWith('get'))).toEqual([]);
    });

    it('syncs an app under automated sync to its target, which holds the commit', async () => {
      const { argocd, calls } = fakeArgoCd({
        autoSync: true,
        outcome: () => 'Succeeded',
      });
      await executeStep(
        syncStep,
        context({ argocd, gitlab, previousOutputs: committed }),
      );
      expect(calls).toContain(`sync web target ${key(1)}`);
    });

    it("gives up waiting for someone else's operation after the limit, terminating nothing", async () => {
      const { argocd, calls } = fakeArgoCd({
        outcome: () => 'Succeeded',
        running: { username: 'lee.jiho' },
      });
      const clock = testClock();
      let outputs = committed;
      const first = await executeStep(
        syncStep,
        context({
          argocd,
          gitlab,
          clock,
          previousOutputs: outputs,
          settings: { syncTimeoutMs: 60_000 },
        }),
      );
      expect(waiting(first)).toMatchObject({
        status: 'waiting',
        reason:
          'another operation is in progress on prod/web (started by lee.jiho); waiting for it, never terminating it',
        readings: { timeoutLeftMs: 60_000 },
      });
      outputs = first.outputs;
      clock.advance(60_000);
      const last = await executeStep(
        syncStep,
        context({
          argocd,
          gitlab,
          clock,
          previousOutputs: outputs,
          settings: { syncTimeoutMs: 60_000 },
        }),
      );
      expect(last).toMatchObject({
        status: 'failed',
        retryable: false,
        error:
          'Argo CD: another operation is in progress on prod/web (started by lee.jiho); waiting for it, never terminating it, for 1 min; the portal gives up waiting and terminates nothing',
      });
      expect(calls.filter(c => !c.startsWith('get'))).toEqual([]);
    });

    it('waits when Argo CD answers that another operation is in progress', async () => {
      const { argocd } = fakeArgoCd({ outcome: () => 'Succeeded' });
      (argocd as { sync: unknown }).sync = async () => {
        throw new ArgoCdError({
          instance: 'prod',
          action: 'sync prod/web',
          reason: 'operation-in-progress',
          retryable: true,
          detail: 'another operation is already in progress',
        });
      };
      const progress = await executeStep(
        syncStep,
        context({ argocd, gitlab, previousOutputs: committed }),
      );
      expect(progress).toMatchObject({
        status: 'waiting',
        outputs: { sync: { web: { attempts: 0 } } },
      });
    });
  });

  describe('the hybris gate', () => {
    const gate: DeployPlanStep['gate'] = {
      type: 'hybris',
      colour: 'green',
      expectedNodes: 6,
      soakMs: 120_000,
      checks: [
        { name: 'pods-ready', min: 6 },
        { name: 'cluster-status', min: 6, max: 6 },
        { name: 'error-rate', max: 0.5, query: 'sum(rate(errors[2m]))' },
      ],
    };
    const gateStep = step({ id: 'hybris.scale-up.6', gate });
    const status = (view: number): HybrisClusterStatus => ({
      environment: 'prod',
      colour: 'green',
      up: true,
      expectedNodes: 6,
      viewSize: view,
      members: [],
      missing: [],
      complete: view === 6,
    });
    const vector = (value: number): PrometheusInstantResult => ({
      resultType: 'vector',
      result: [{ metric: {}, time: 0, value }],
    });
    const pods = (ready: number) => ({
      nodes: Array.from({ length: 6 }, (_, i) => ({
        kind: 'Pod',
        name: `hybris-green-${i}`,
        health: { status: i < ready ? 'Healthy' : 'Progressing' },
      })),
    });

    function world() {
      const state = { view: 6, ready: 6, errors: 0 as number | Error };
      const argocd = {
        instance: 'prod',
        getResourceTree: async () => pods(state.ready),
      } as unknown as ArgoCdClient;
      const gateClients = {
        prometheus: {
          query: async () => {
            if (state.errors instanceof Error) throw state.errors;
            return { ...vector(state.errors), warnings: [] };
          },
        },
        hybris: { clusterStatus: async () => status(state.view) },
      };
      return { state, argocd, gate: gateClients };
    }

    it('passes only after every check held for the soak, restarting it when a check fails', async () => {
      const w = world();
      const clock = testClock();
      let outputs: StepOutputs | undefined;
      const look = async () => {
        const p = await executeStep(
          gateStep,
          context({
            argocd: w.argocd,
            gate: w.gate,
            clock,
            previousOutputs: outputs,
          }),
        );
        outputs = p.outputs;
        return p;
      };
      const first = waiting(await look());
      expect(first.readings.hold).toEqual({
        kind: 'soak',
        requiredMs: 120_000,
        heldMs: 0,
        leftMs: 120_000,
      });
      expect(first.reason).toBe(
        'every check holds; 2 min of the 2 min soak left',
      );
      clock.advance(20_000);
      expect(waiting(await look()).readings.hold?.heldMs).toBe(20_000);

      w.state.view = 5;
      clock.advance(20_000);
      const broken = waiting(await look());
      expect(broken.reason).toBe(
        'waiting for cluster-status: JGroups view 5/6',
      );
      expect(broken.readings.hold?.heldMs).toBe(0);
      expect(broken.outputs.gate?.holdingSince).toBeUndefined();

      w.state.view = 6;
      for (let held = 0; held < 120_000; held += 20_000) {
        clock.advance(20_000);
        expect((await look()).status).toBe('waiting');
      }
      clock.advance(20_000);
      expect((await look()).status).toBe('done');
    });

    it('starts the soak again when nobody looked for longer than allowed', async () => {
      const w = world();
      const clock = testClock();
      const first = await executeStep(
        gateStep,
        context({ argocd: w.argocd, gate: w.gate, clock }),
      );
      clock.advance(200_000);
      const late = await executeStep(
        gateStep,
        context({
          argocd: w.argocd,
          gate: w.gate,
          clock,
          previousOutputs: first.outputs,
        }),
      );
      expect(late.status).toBe('waiting');
      expect(waiting(late).readings.hold?.heldMs).toBe(0);
    });

    describe("the soak's start, placed by Prometheus' samples", () => {
      const ranges: Array<{ start: number; end: number; stepMs: number }> = [];
      /** The error rate was 0.9 until `goodFrom`, then 0.1, sampled every `stepMs`. */
      const sampled =
        (goodFrom: number | Error) =>
        async (
          _q: string,
          o: { start: Date | number; end: Date | number; stepMs: number },
        ) => {
          const [start, end] = [Number(o.start), Number(o.end)];
          ranges.push({ start, end, stepMs: o.stepMs });
          if (goodFrom instanceof Error) throw goodFrom;
          const points = [];
          for (let t = start; t <= end; t += o.stepMs) {
            points.push({ time: t, value: t < goodFrom ? 0.9 : 0.1 });
          }
          return {
            resultType: 'matrix' as const,
            result: [{ metric: {}, points }],
            warnings: [],
          };
        };
      async function twoLooks(
        goodFrom: number | Error,
        bad: (w: ReturnType<typeof world>) => void,
      ) {
        ranges.length = 0;
        const w = world();
        const clock = testClock();
        const gateClients = {
          ...w.gate,
          prometheus: { ...w.gate.prometheus, queryRange: sampled(goodFrom) },
        };
        bad(w);
        const first = waiting(
          await executeStep(
            gateStep,
            context({ argocd: w.argocd, gate: gateClients, clock }),
          ),
        );
        clock.advance(10_000);
        Object.assign(w.state, { view: 6, ready: 6, errors: 0.1 });
        const second = waiting(
          await executeStep(
            gateStep,
            context({
              argocd: w.argocd,
              gate: gateClients,
              clock,
              previousOutputs: first.outputs,
            }),
          ),
        );
        return { first, second, startedAt: clock.now() - 10_000 };
      }

      it('counts the soak from the first good sample after the look that saw the metric fail', async () => {
        const { first, second, startedAt } = await twoLooks(
          1_000_000 + 3_950,
          w => {
            w.state.errors = 0.9;
          },
        );
        expect(first.outputs.gate?.failing).toEqual(['error-rate']);
        expect(ranges).toEqual([
          { start: startedAt, end: startedAt + 10_000, stepMs: 100 },
        ]);
        expect(second.outputs.gate?.holdingSince).toBe(startedAt + 4_000);
        expect(second.outputs.gate?.failing).toBeUndefined();
        expect(second.readings.hold).toMatchObject({
          heldMs: 6_000,
          leftMs: 114_000,
        });
      });

      it('counts it from this look when a check other than a metric failed at the last', async () => {
        const { second, startedAt } = await twoLooks(1_000_000, w => {
          w.state.errors = 0.9;
          w.state.view = 5;
        });
        expect(ranges).toEqual([]);
        expect(second.outputs.gate?.holdingSince).toBe(startedAt + 10_000);
        expect(second.readings.hold?.heldMs).toBe(0);
      });

      it('counts it from this look when the samples cannot be read', async () => {
        const { second, startedAt } = await twoLooks(
          new Error('range refused'),
          w => {
            w.state.errors = 0.9;
          },
        );
        expect(ranges).toHaveLength(1);
        expect(second.status).toBe('waiting');
        expect(second.outputs.gate?.holdingSince).toBe(startedAt + 10_000);
      });
    });

    it('fails as retryable, naming Prometheus, when Prometheus does not answer', async () => {
      const w = world();
      w.state.errors = new SystemError({
        system: 'Prometheus',
        action: "query 'sum(rate(errors[2m]))'",
        status: 503,
        detail: 'unavailable',
        retryable: true,
      });
      const progress = await executeStep(
        gateStep,
        context({ argocd: w.argocd, gate: w.gate }),
      );
      expect(progress).toMatchObject({
        status: 'failed',
        retryable: true,
        system: 'Prometheus',
        error: expect.stringContaining(
          "Prometheus: query 'sum(rate(errors[2m]))' failed (HTTP 503): unavailable",
        ),
      });
    });
  });

  describe('the watch after the switch', () => {
    const watchStep = step({
      id: 'hybris.switch',
      gate: {
        type: 'watch',
        colour: 'green',
        windowMs: 60_000,
        checks: [{ name: 'error-rate', max: 0.5, query: 'q' }],
        onBreach: 'switch-back',
      },
    });
    const answering = (result: PrometheusInstantResult) => ({
      prometheus: { query: async () => ({ ...result, warnings: [] }) },
      hybris: { clusterStatus: async () => ({} as HybrisClusterStatus) },
    });

    it.each([
      ['no series', []],
      ['only NaN', [{ metric: {}, time: 0, value: NaN }]],
    ])(
      'waits without calling a breach while the metric has %s',
      async (_what, result) => {
        const progress = await executeStep(
          watchStep,
          context({ gate: answering({ resultType: 'vector', result }) }),
        );
        expect(progress).toMatchObject({
          status: 'waiting',
          reason:
            'waiting for error-rate: no data: the query matched no series with a value',
        });
      },
    );

    it('passes after the window with the metric within bounds', async () => {
      const clock = testClock();
      const gate = answering({
        resultType: 'vector',
        result: [{ metric: {}, time: 0, value: 0.1 }],
      });
      const first = await executeStep(watchStep, context({ gate, clock }));
      expect(waiting(first).readings.checks).toEqual([
        {
          name: 'error-rate',
          ok: true,
          value: 0.1,
          max: 0.5,
          detail: '0.1, max 0.5',
        },
      ]);
      expect(waiting(first).readings.hold).toEqual({
        kind: 'watch',
        requiredMs: 60_000,
        heldMs: 0,
        leftMs: 60_000,
      });
      clock.advance(60_000);
      const last = await executeStep(
        watchStep,
        context({ gate, clock, previousOutputs: first.outputs }),
      );
      expect(last.status).toBe('done');
    });
  });

  describe('the pipeline gate', () => {
    const pipelineStep = step({
      id: 'cms.merge-request',
      gate: {
        type: 'pipeline',
        project: 'kop/cms',
        sourceBranch: 'release/7d2f0c4e',
      },
    });
    const mr = (pipelineStatus?: string): GitlabMergeRequest => ({
      id: 1,
      iid: 7,
      title: 'cms',
      description: '',
      state: 'opened',
      sourceBranch: 'release/7d2f0c4e',
      targetBranch: 'master',
      sha: SHA,
      webUrl: 'https://gitlab.example/kop/cms/-/merge_requests/7',
      pipelineStatus,
    });
    const withPipeline = (status?: string) =>
      ({ mergeRequest: async () => mr(status) } as unknown as GitlabClient);
    const opened: StepOutputs = {
      call: {
        operation: 'open-merge-request',
        acted: true,
        mergeRequest: { iid: 7, webUrl: mr().webUrl },
      },
    };

    it('fails on a failed pipeline, not to be retried', async () => {
      const progress = await executeStep(
        pipelineStep,
        context({ gitlab: withPipeline('failed'), previousOutputs: opened }),
      );
      expect(progress).toMatchObject({
        status: 'failed',
        retryable: false,
        error:
          'GitLab: merge request !7 of kop/cms: its pipeline failed: https://gitlab.example/kop/cms/-/merge_requests/7',
      });
    });

    it('waits while it runs, and fails past its limit', async () => {
      const clock = testClock();
      const settings = { pipelineTimeoutMs: 600_000, pipelinePollMs: 15_000 };
      const first = await executeStep(
        pipelineStep,
        context({
          gitlab: withPipeline('running'),
          previousOutputs: opened,
          clock,
          settings,
        }),
      );
      expect(first).toMatchObject({
        status: 'waiting',
        reason: 'GitLab: merge request !7 of kop/cms: pipeline running',
        wakeAfterMs: 15_000,
      });
      clock.advance(600_000);
      const last = await executeStep(
        pipelineStep,
        context({
          gitlab: withPipeline('running'),
          previousOutputs: first.outputs,
          clock,
          settings,
        }),
      );
      expect(last).toMatchObject({
        status: 'failed',
        error:
          'the pipeline of release/7d2f0c4e in kop/cms did not pass within 10 min: GitLab: merge request !7 of kop/cms: pipeline running',
      });
    });
  });

  describe('people and the announcement', () => {
    it('waits for the sign-off until the engine says it is given', async () => {
      const signoff = step({
        id: 'signoff',
        gate: { type: 'approval', stage: 'signoff', roles: ['team-lead'] },
      });
      const first = await executeStep(signoff, context({}));
      expect(first).toMatchObject({
        status: 'waiting',
        reason: 'waiting for the sign-off of a team-lead',
      });
      const given = await executeStep(
        signoff,
        context({
          previousOutputs: first.outputs,
          approvals: {
            signoff: {
              by: 'user:default/park.seoyeon',
              at: '2026-01-08T09:00:00Z',
            },
          },
        }),
      );
      expect(given).toMatchObject({
        status: 'done',
        outputs: { gate: { givenBy: 'user:default/park.seoyeon' } },
      });
    });

    it('queues the announcement under the same key however often it runs, and not again once done', async () => {
      const queued: Array<[string, string]> = [];
      const announce = async (text: string, o: { key: string }) => {
        queued.push([text, o.key]);
      };
      const announceStep = step({
        id: 'announce',
        kind: 'call',
        call: {
          system: 'slack',
          operation: 'announce',
          target: { releaseId: RELEASE },
          message: '[kop] 배포합니다.',
        },
      });
      const done = await executeStep(announceStep, context({ announce }));
      await executeStep(announceStep, context({ announce }));
      await executeStep(
        announceStep,
        context({ announce, previousOutputs: done.outputs }),
      );
      expect(queued).toEqual([
        ['[kop] 배포합니다.', `release/${RELEASE}/announce`],
        ['[kop] 배포합니다.', `release/${RELEASE}/announce`],
      ]);
    });
  });

  describe('a runner that lost its lease', () => {
    it('starts no side effect: no commit, no sync, no call', async () => {
      const controller = new AbortController();
      controller.abort();
      const acted: string[] = [];
      const gitlab = {
        commitEdits: async () => {
          acted.push('commit');
          return { committed: true, sha: SHA, attempts: 1 };
        },
      } as unknown as GitlabClient;
      const argocd = {
        instance: 'prod',
        getApplication: async () => ({ status: {} }),
        hardRefresh: async () => acted.push('refresh'),
        sync: async () => acted.push('sync'),
      } as unknown as ArgoCdClient;
      const gitStep = step({
        id: 'web.version',
        kind: 'git',
        git: {} as DeployGitChange,
        sync: ['web'],
      });
      const callStep = step({
        id: 'announce',
        kind: 'call',
        call: {
          system: 'slack',
          operation: 'announce',
          target: {},
          message: 'hello',
        },
      });
      const results = [
        await executeStep(
          gitStep,
          context({ gitlab, argocd, signal: controller.signal }),
        ),
        await executeStep(
          gitStep,
          context({
            gitlab,
            argocd,
            signal: controller.signal,
            previousOutputs: {
              git: { sha: SHA, committed: true, attempts: 1 },
            },
          }),
        ),
        await executeStep(
          callStep,
          context({
            signal: controller.signal,
            announce: async () => {
              acted.push('announce');
            },
          }),
        ),
      ];
      expect(results.map(r => r.status)).toEqual([
        'failed',
        'failed',
        'failed',
      ]);
      expect(results[0]).toMatchObject({
        retryable: true,
        error: 'stopped before acting: this runner no longer holds the step',
      });
      expect(acted).toEqual([]);
    });
  });

  describe('createStepExecutor', () => {
    it('binds the clients once and picks the Argo CD instance of the plan’s environment', async () => {
      const asked: string[] = [];
      const executor = createStepExecutor({
        layout,
        gitlab: {} as GitlabClient,
        argocdFor: environment => {
          asked.push(environment);
          if (environment !== 'prod') {
            throw new Error(
              `No Argo CD instance serves environment '${environment}'`,
            );
          }
          return { instance: 'prod' } as ArgoCdClient;
        },
      });
      const signoff = step({
        id: 'signoff',
        gate: { type: 'approval', stage: 'signoff', roles: ['team-lead'] },
      });
      const given = await executor.executeStep(signoff, {
        plan,
        approvals: { signoff: { by: 'user:default/park.seoyeon', at: 'now' } },
      });
      expect(given.status).toBe('done');
      const elsewhere = await executor.executeStep(signoff, {
        plan: { ...plan, environment: 'qa' },
      });
      expect(elsewhere).toMatchObject({
        status: 'failed',
        retryable: false,
        error: "No Argo CD instance serves environment 'qa'",
      });
      expect(asked).toEqual(['prod', 'qa']);
    });
  });
});
