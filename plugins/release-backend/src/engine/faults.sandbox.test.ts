import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ConflictError, InputError } from '@backstage/errors';
import {
  defaultGradePolicy,
  type CreateReleaseRequest,
  type DeployPlan,
} from '@internal/plugin-release-common';
import {
  ArgoCdClient,
  computeDeployPlan,
  GitlabClient,
  HybrisClusterClient,
  PrometheusClient,
  readDeployPlanSettings,
  readDeployPlanWorld,
  readReleaseLayout,
  SlackClient,
  spliceYamlValues,
  type StepOutputs,
} from '@internal/plugin-release-node';
import type { Knex } from 'knex';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultSandboxServices,
  sandboxGitlabTokens,
  seedFacts,
  slackSandboxDefaults,
  startSandbox,
  type ArgoCdSandbox,
  type HybrisSandbox,
  type RunningSandbox,
} from 'sandbox';
import { createTestDatabases, initMigrated } from '../__testUtils__/databases';
import { channelTexts as readChannel } from '../__testUtils__/slackHistory';
import { sandboxQuickGates } from '../__testUtils__/sandboxConfig';
import { ReleaseMessages } from '../messages/ReleaseMessages';
import { createMessageSender } from '../messages/senders';
import type { ReleaseService } from '../service/ReleaseService';
import {
  deferred,
  dev,
  lead,
  pl,
  releaseService,
  secondPool,
  severable,
  signOffWhenAsked,
} from './__testUtils__/engineWorld';
import { refusal, until } from './__testUtils__/waits';
import { releaseEngineActor } from './actor';
import { readEngineSettings } from './config';
import { createReleaseEngine } from './createReleaseEngine';
import type { DeployEngine } from './DeployEngine';
import type { DeployService } from './DeployService';
import type { DeployRun } from './types';

jest.setTimeout(240_000);

const PROD = seedFacts.iac.project;
const CHANNEL = '#kop-release';
const retry = { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 };
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const ctx = (requestId: string) => ({ requestId });
const ENGINE = releaseEngineActor.ref;
/** The live colour's values and the switch keys; the idle colour's values. */
const liveFiles = ['hybris/values-blue.yaml', 'hybris/values.yaml'];
const hybrisFiles = [...liveFiles, 'hybris/values-green.yaml'];

/** The kop gates with windows of seconds, so pods that start in 0.8 s settle in a few. */
const releaseConfig = {
  apps: {
    hybris: {
      maxReplicas: 12,
      switch: { watch: '1s' },
      gates: sandboxQuickGates,
    },
  },
};
const layout = readReleaseLayout(new ConfigReader({ release: releaseConfig }));
const planSettings = readDeployPlanSettings(
  new ConfigReader({ release: releaseConfig }),
);

/** `release.engine` as an operator would set it for a sandbox whose seconds are short. */
function engineSettings(engine: Record<string, unknown> = {}) {
  return readEngineSettings(
    new ConfigReader({
      release: {
        engine: {
          pollMs: 100,
          pipelinePollMs: 100,
          maxUnwatchedMs: 5_000,
          ...engine,
        },
      },
    }),
  );
}

const hybrisApp = {
  app: 'hybris' as const,
  version: seedFacts.hybris.candidate,
};
const hybrisItem = {
  title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
  app: 'hybris' as const,
  source: { type: 'mr' as const, project: 'kop/hybris', iid: 412 },
};
const webApp = { app: 'web' as const, version: '1.4.0' };
const webItem = {
  title: '[WEB] 배너 교체',
  app: 'web' as const,
  source: { type: 'mr' as const, project: 'kop/web', iid: 77 },
};

/** One sync that reached the sandbox's Argo CD, in the order they came. */
interface SeenSync {
  app: string;
  revision?: string;
  by: string;
}

/** A sandbox with timeScale 0.02, the clients a backend builds over it, and what its Argo CD saw. */
async function startWorld() {
  const sandbox: RunningSandbox = await startSandbox({
    timeScale: 0.02,
    services: defaultSandboxServices(),
  });
  const argocdSandbox = sandbox.services.find(
    s => s.name === 'Argo CD',
  ) as ArgoCdSandbox;
  const hybrisSandbox = sandbox.services.find(
    s => s.name === 'hybris',
  ) as HybrisSandbox;
  const sim = argocdSandbox.simulation;
  // Every operation and termination the simulated Argo CD accepted, whoever asked (API or test).
  const events: Array<
    | { kind: 'sync'; sync: SeenSync }
    | { kind: 'terminate'; app: string }
    | { kind: 'mark'; what: string }
  > = [];
  const sync = sim.sync.bind(sim);
  sim.sync = async (instance, name, request, initiatedBy) => {
    const answer = await sync(instance, name, request, initiatedBy);
    events.push({
      kind: 'sync',
      sync: {
        app: `${instance}/${name}`,
        revision: request.revision,
        by: initiatedBy.username ?? 'automated',
      },
    });
    return answer;
  };
  const terminate = sim.terminate.bind(sim);
  sim.terminate = (instance, name) => {
    events.push({ kind: 'terminate', app: `${instance}/${name}` });
    terminate(instance, name);
  };
  const instance = {
    name: 'prod',
    url: `${sandbox.url}/argocd/prod`,
    token: 'argocd-sandbox-token',
  };
  const gitDir = join(sandbox.context.dataDir, 'git', `${PROD}.git`);
  const git = (...args: string[]) =>
    execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8' });
  return {
    sandbox,
    argocdSandbox,
    hybrisSandbox,
    gitlab: new GitlabClient({
      apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
      token: sandboxGitlabTokens.maintainer,
      retry,
    }),
    argocd: new ArgoCdClient({ instance, retry }),
    hybris: new HybrisClusterClient({
      endpoints: {
        prod: {
          blue: `${sandbox.url}/hybris/prod/blue`,
          green: `${sandbox.url}/hybris/prod/green`,
        },
      },
      retry,
    }),
    prometheus: new PrometheusClient({
      baseUrl: `${sandbox.url}/prometheus`,
      retry,
    }),
    slack: new SlackClient({
      botToken: slackSandboxDefaults.botToken,
      apiUrl: `${sandbox.url}/slack/api/`,
      retry,
    }),
    events,
    mark: (what: string) => events.push({ kind: 'mark', what }),
    /** The syncs the portal started (Argo CD names the portal's token kop-portal). */
    portalSyncs: () =>
      events.flatMap(e =>
        e.kind === 'sync' && e.sync.by === 'kop-portal' ? [e.sync] : [],
      ),
    terminations: () =>
      events.flatMap(e => (e.kind === 'terminate' ? [e.app] : [])),
    head: () => git('rev-parse', 'main').trim(),
    fileAtHead: (path: string) => git('show', `main:${path}`),
    fileAt: (sha: string, path: string) => git('show', `${sha}:${path}`),
    /** The commits on the IaC branch after `sha`, oldest first. */
    commitsSince: (sha: string) =>
      git('rev-list', '--reverse', `${sha}..main`).split('\n').filter(Boolean),
    /** Who each commit after `sha` names as its author, oldest first. */
    authorsSince: (sha: string) =>
      git('log', '--reverse', '--format=%an', `${sha}..main`)
        .split('\n')
        .filter(Boolean),
    /** Commits of the release on the IaC branch, counted per Release-Step trailer. */
    stepCommits(releaseId: string): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const block of git(
        'log',
        'main',
        '--format=%x1e%(trailers:only,unfold)',
      ).split('\x1e')) {
        const id = /^Release-Id: (.+)$/m.exec(block)?.[1];
        const step = /^Release-Step: (.+)$/m.exec(block)?.[1];
        if (id === releaseId && step) counts[step] = (counts[step] ?? 0) + 1;
      }
      return counts;
    },
    /** What a channel shows, oldest first. */
    channelTexts(channel = CHANNEL): Promise<string[]> {
      return readChannel(sandbox.url, channel);
    },
    async dispose() {
      await sandbox.close();
      rmSync(sandbox.context.dataDir, { recursive: true, force: true });
    },
  };
}
type World = Awaited<ReturnType<typeof startWorld>>;

/** The release messages over the DB outbox, as plugin.ts wires them, posting to the sandbox. */
function outboxNotifier(w: World, knex: Knex, releases: ReleaseService) {
  const messages = new ReleaseMessages({
    knex,
    logger: mockServices.logger.mock(),
    send: createMessageSender({
      slack: () => w.slack,
      asana: () => {
        throw new Error('asana is not configured');
      },
      people: { emailOf: async () => undefined },
    }),
    relay: {
      audit: releases.audit,
      releases,
      people: { approversOf: async () => [] },
      settings: {
        channels: { team: CHANNEL },
        onCall: {},
        paymentBrands: ['ks', 'tc', 'g4'],
        pageUrlOf: id => `http://localhost:3000/releases/${id}`,
        policy: defaultGradePolicy,
        systems: { slack: true, asana: false },
      },
    },
  });
  return { messages, flush: () => messages.cycle() };
}

/** The release room as plugin.ts hands it to the engine: the team channel here. */
function teamChannel(
  slack: ReturnType<typeof outboxNotifier>,
): Parameters<typeof createReleaseEngine>[0]['announce'] {
  return (run, text, key) => slack.messages.announce(run, text, key, CHANNEL);
}

/** Deploy pressed by the author on the plan that was approved. */
function pressDeploy(deploys: DeployService, id: string, plan: DeployPlan) {
  return deploys.deploy(
    dev,
    id,
    { environment: 'prod', fingerprint: plan.fingerprint },
    ctx('press-deploy'),
  );
}

/** Counts of `key(item)`, for "each exactly once" comparisons that show what repeated. */
function countsOf<T>(items: T[], key: (item: T) => string) {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** The promise's value, or a failure saying what was seen when it took longer than `ms`. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  seen: () => Promise<string>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => seen().then(text => reject(new Error(text)), reject),
      ms,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Plays a fault in the sandbox: the next matching calls answer it instead. */
async function sandboxFault(w: { sandbox: RunningSandbox }, fault: object) {
  const res = await fetch(`${w.sandbox.url}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (!res.ok) throw new Error(`the sandbox refused the fault: ${res.status}`);
}

/** A run's steps as `id: state`, for readable failures. */
const stepStates = (run: DeployRun | undefined) =>
  run?.steps.map(
    s => `${s.stepId}: ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`,
  );
const stepOf = (run: DeployRun | undefined, id: string) =>
  run?.steps.find(s => s.stepId === id);

describe('the release engine against the sandbox: the issue’s faults', () => {
  const databases = createTestDatabases();
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function world(): Promise<World> {
    const w = await startWorld();
    cleanups.push(() => w.dispose());
    return w;
  }

  function pool(knex: Knex): Knex {
    const second = secondPool(knex);
    cleanups.push(() => second.destroy());
    return second;
  }

  /** One backend's engine and door, wired by createReleaseEngine as the plugin wires them. */
  function backend(
    w: World,
    options: {
      knex: Knex;
      releases: ReleaseService;
      owner: string;
      settings?: Record<string, unknown>;
      gitlab?: GitlabClient;
      announce?: Parameters<typeof createReleaseEngine>[0]['announce'];
      engine?: Parameters<typeof createReleaseEngine>[0]['engine'];
    },
  ) {
    const logger = mockServices.logger.mock();
    const gitlab = options.gitlab ?? w.gitlab;
    const { engine, deploys } = createReleaseEngine({
      knex: options.knex,
      releases: options.releases,
      layout,
      policy: defaultGradePolicy,
      planSettings,
      settings: engineSettings(options.settings),
      systems: {
        gitlab: () => gitlab,
        argocdFor: environment => {
          if (environment !== 'prod') {
            throw new Error(`argocd: no instance for ${environment}`);
          }
          return w.argocd;
        },
        prometheus: () => w.prometheus,
        hybris: () => w.hybris,
      },
      logger,
      ...(options.announce ? { announce: options.announce } : {}),
      engine: { owner: options.owner, ...options.engine },
    });
    cleanups.push(() => engine.stop());
    return { engine, deploys, logger };
  }

  /** Every backend's scheduler task: a tick every 50 ms, until the test ends. */
  function ticking(...engines: DeployEngine[]) {
    let over = false;
    const loops = engines.map(async engine => {
      while (!over) {
        await engine.tick();
        await sleep(50);
      }
    });
    const stop = async () => {
      over = true;
      await Promise.all(loops);
    };
    cleanups.push(stop);
    return stop;
  }

  /** A sandbox and one backend over a fresh database, its engine ticking. */
  async function oneBackend(
    databaseId: 'POSTGRES_15' | 'SQLITE_3',
    options: {
      settings?: Record<string, unknown>;
      engine?: Parameters<typeof createReleaseEngine>[0]['engine'];
      /** Hand the engine the team channel, as plugin.ts does when Slack is configured. */
      tellTeam?: boolean;
    } = {},
  ) {
    const w = await world();
    const knex = await initMigrated(databases, databaseId);
    const releases = releaseService(knex);
    const slack = outboxNotifier(w, knex, releases);
    const { engine, deploys } = backend(w, {
      knex,
      releases,
      owner: 'backend-a',
      settings: options.settings,
      engine: options.engine,
      ...(options.tellTeam ? { announce: teamChannel(slack) } : {}),
    });
    ticking(engine);
    return { w, knex, releases, slack, engine, deploys };
  }

  /** A grade B release approved by its PL for the plan the door shows now. */
  async function approvedRelease(
    releases: ReleaseService,
    deploys: DeployService,
    input: Pick<CreateReleaseRequest, 'apps' | 'items'>,
  ): Promise<{ id: string; plan: DeployPlan }> {
    const r = await releases.create(
      dev,
      { grade: 'B', dbUpdate: false, ...input },
      ctx('create'),
    );
    await releases.requestApproval(dev, r.id, ctx('ask'));
    const plan = await deploys.plan(r.id, 'prod');
    await releases.decide(
      pl,
      r.id,
      { decision: 'approve', stage: 'approval', fingerprint: plan.fingerprint },
      ctx('approve'),
    );
    return { id: r.id, plan };
  }

  const deployRunRows = (knex: Knex) =>
    knex('deploy_runs').select('id', 'kind');

  /**
   * One backend that tells the team, and a hybris release deployed to prod as approved while one
   * of green's new pods starts but never joins the JGroups view: step 2's gate fails.
   */
  async function deployWithGreenNeverJoining(
    databaseId: 'POSTGRES_15' | 'SQLITE_3',
    onStepFailure: string,
  ) {
    const one = await oneBackend(databaseId, {
      settings: {
        gateTimeoutMs: 4_000,
        onStepFailure: { prod: onStepFailure },
      },
      tellTeam: true,
    });
    const { w, releases, deploys } = one;
    const head = w.head();
    const before = Object.fromEntries(
      hybrisFiles.map(f => [f, w.fileAtHead(f)]),
    );
    // The simulated Argo CD reads the seeded IaC once, on first use.
    await w.argocdSandbox.simulation.ready();
    const { replicas, image } = w.argocdSandbox.simulation.workload(
      'prod',
      'hybris-blue',
    );
    const told = await w.channelTexts();
    // One of green's new pods starts but never joins the JGroups view.
    w.hybrisSandbox.setFaults('prod', 'green', { neverJoin: 1 });
    const { id, plan } = await approvedRelease(releases, deploys, {
      apps: [hybrisApp],
      items: [hybrisItem],
    });
    expect(plan.hybris).toEqual({ live: 'blue', idle: 'green' });
    const run = await pressDeploy(deploys, id, plan);
    return {
      ...one,
      head,
      before,
      blue: [replicas, image],
      told,
      id,
      plan,
      run,
    };
  }

  /** The deploy run stopped at step 2, green's gate failed for the pod that never joined. */
  function expectGreenGateFailed(run: DeployRun | undefined, plan: DeployPlan) {
    expect(run?.pausedReason).toMatch(
      /^hybris\.scale-up\.3 failed: the gate of hybris green in prod did not pass within 4 s: waiting for cluster-status: JGroups view 2\/3/,
    );
    expect(run?.steps.map(s => s.state)).toEqual([
      'done',
      'failed',
      ...Array(plan.steps.length - 2).fill('pending'),
    ]);
  }

  /** Reverted by one commit a step: every file the bytes before the release, blue live, green at 0. */
  function expectRevertedByCommits(
    w: World,
    id: string,
    before: Record<string, string>,
  ) {
    expect(w.stepCommits(id)).toEqual({
      'hybris.image': 1,
      'hybris.scale-up.3': 1,
      'abort.hybris.scale-down.new.0': 1,
      'abort.hybris.image': 1,
    });
    for (const f of hybrisFiles) expect(w.fileAtHead(f)).toBe(before[f]);
    expect(w.argocdSandbox.liveColour('prod')).toBe('blue');
    const green = w.argocdSandbox.simulation.workload('prod', 'hybris-green');
    expect(green.replicas).toBe(0);
    expect(green.image).toMatch(new RegExp(`:${seedFacts.hybris.idle}$`));
    expect(w.portalSyncs().filter(s => s.app !== 'prod/hybris-green')).toEqual(
      [],
    );
    expect(w.terminations()).toEqual([]);
  }

  it('a gate failing at step 2 pauses the run, the live colour untouched and the team told once; Abort reverts by commits', async () => {
    const { w, releases, slack, engine, deploys, before, told, id, plan, run } =
      await deployWithGreenNeverJoining('POSTGRES_15', 'pause');
    const paused = await until(
      'the deploy run pausing',
      () => engine.get(run.id),
      r => r?.state !== 'running' && r?.state !== 'waiting',
    );
    expect(paused?.state).toBe('paused');
    expectGreenGateFailed(paused, plan);
    expect((await releases.get(id)).state).toBe('paused');

    // The live colour: its values and the switch at the IaC head as before, Argo CD still on blue.
    expect(w.fileAtHead('hybris/values-blue.yaml')).toBe(
      before['hybris/values-blue.yaml'],
    );
    expect(w.fileAtHead('hybris/values.yaml')).toBe(
      before['hybris/values.yaml'],
    );
    expect(w.argocdSandbox.liveColour('prod')).toBe('blue');
    expect(w.portalSyncs().map(s => s.app)).toEqual([
      'prod/hybris-green',
      'prod/hybris-green',
    ]);

    await slack.flush();
    const stops = async () =>
      (await w.channelTexts())
        .slice(told.length)
        .filter(text => text.includes(' at hybris.scale-up.3: '));
    const news = await stops();
    expect(news).toHaveLength(1);
    expect(news[0]).toMatch(
      /^\[kop\] \[prod\] 배포 일시정지 \(paused\) at hybris\.scale-up\.3: the gate of hybris green in prod did not pass within 4 s: .*\n다음 \(next\): Retry the step, skip it \(a lead, with a reason\) or abort\.\nhttp:\/\/localhost:3000\/releases\//,
    );

    const aborting = await deploys.abort(
      lead,
      id,
      { reason: 'green never forms its JGroups view (INC-3107)' },
      ctx('press-abort'),
    );
    expect(aborting?.kind).toBe('abort');
    expect(aborting?.steps.map(s => s.stepId)).toEqual([
      'abort.hybris.scale-down.new.0',
      'abort.hybris.image',
    ]);
    const aborted = await until(
      'the abort run ending',
      () => engine.get(aborting!.id),
      r => r?.state !== 'running' && r?.state !== 'waiting',
    );
    expect(stepStates(aborted)).toEqual([
      'abort.hybris.scale-down.new.0: done',
      'abort.hybris.image: done',
    ]);
    expect(aborted?.state).toBe('done');
    expect((await engine.get(run.id))?.state).toBe('aborted');
    expect((await releases.get(id)).state).toBe('aborted');

    expectRevertedByCommits(w, id, before);

    await slack.flush();
    expect(await stops()).toEqual(news);
    expect(await releases.audit.verify()).toMatchObject({ ok: true });
  });

  it('waits for an Argo CD operation someone else started, never terminates it, then syncs the commit', async () => {
    const { w, releases, engine, deploys } = await oneBackend('POSTGRES_15');
    const { id, plan } = await approvedRelease(releases, deploys, {
      apps: [hybrisApp],
      items: [hybrisItem],
    });
    // A person syncs green by hand, and the operation runs until the test lets it end.
    w.argocdSandbox.hold('prod', 'hybris-green', true);
    await w.argocdSandbox.startOperation('prod', 'hybris-green', {
      username: 'lee.jiho',
    });

    const run = await pressDeploy(deploys, id, plan);
    const reason =
      'another operation is in progress on prod/hybris-green (started by lee.jiho); waiting for it, never terminating it';
    await until(
      'hybris.image waiting for the other operation',
      () => engine.get(run.id),
      r => stepOf(r, 'hybris.image')?.waitingReason === reason,
    );
    const sha = w.head();
    expect(w.stepCommits(id)).toEqual({ 'hybris.image': 1 });
    // Many more looks at the app while the operation runs: still waiting, nothing terminated.
    const looks = w.events.length;
    await sleep(1_500);
    const still = await engine.get(run.id);
    expect(stepOf(still, 'hybris.image')).toMatchObject({
      state: 'waiting',
      waitingReason: reason,
    });
    expect(w.events).toHaveLength(looks);
    expect(w.portalSyncs()).toEqual([]);
    expect(w.terminations()).toEqual([]);

    w.mark('the other operation may end');
    w.argocdSandbox.hold('prod', 'hybris-green', false);
    const done = await until(
      'hybris.image done',
      () => engine.get(run.id),
      r => stepOf(r, 'hybris.image')?.state === 'done',
    );
    expect((stepOf(done, 'hybris.image')!.outputs as StepOutputs).sync).toEqual(
      { 'hybris-green': { attempts: 1, syncedRevision: sha } },
    );
    expect(w.terminations()).toEqual([]);
    const green = w.events.filter(
      e =>
        e.kind === 'mark' ||
        (e.kind === 'sync' && e.sync.app === 'prod/hybris-green'),
    );
    expect(green.slice(0, 3)).toEqual([
      {
        kind: 'sync',
        sync: { app: 'prod/hybris-green', revision: undefined, by: 'lee.jiho' },
      },
      { kind: 'mark', what: 'the other operation may end' },
      {
        kind: 'sync',
        sync: { app: 'prod/hybris-green', revision: sha, by: 'kop-portal' },
      },
    ]);
    const history = w.argocdSandbox.simulation.application(
      'prod',
      'hybris-green',
    ) as {
      status: { history: Array<{ revision: string; initiatedBy: object }> };
    };
    const mine = history.status.history.findIndex(h => h.revision === sha);
    expect(history.status.history[mine - 1].initiatedBy).toEqual({
      username: 'lee.jiho',
    });
    expect(history.status.history[mine].initiatedBy).toEqual({
      username: 'kop-portal',
    });
  });

  it('two backends on one PostgreSQL run a hybris and web release to the end, every step once', async () => {
    const w = await world();
    const knex = await initMigrated(databases, 'POSTGRES_15');
    const knexB = pool(knex);
    const releasesA = releaseService(knex);
    const releasesB = releaseService(knexB);
    const slackA = outboxNotifier(w, knex, releasesA);
    const slackB = outboxNotifier(w, knexB, releasesB);
    const A = backend(w, {
      knex,
      releases: releasesA,
      owner: 'backend-a',
      settings: { leaseMs: 5_000 },
      announce: teamChannel(slackA),
    });
    const B = backend(w, {
      knex: knexB,
      releases: releasesB,
      owner: 'backend-b',
      settings: { leaseMs: 5_000 },
      announce: teamChannel(slackB),
    });
    ticking(A.engine, B.engine, A.engine, B.engine);
    const told = await w.channelTexts();

    const { id, plan } = await approvedRelease(releasesA, A.deploys, {
      apps: [hybrisApp, webApp],
      items: [hybrisItem, webItem],
    });
    expect(plan.steps.map(s => s.id)).toEqual([
      'hybris.image',
      'hybris.scale-up.3',
      'hybris.scale-up.6',
      'hybris.scale-up.9',
      'web.version',
      'signoff',
      'hybris.switch',
      'announce',
      'hybris.scale-down.6',
      'hybris.scale-down.3',
      'hybris.scale-down.0',
    ]);
    const run = await pressDeploy(B.deploys, id, plan);
    const done = await until(
      'the release running to its end',
      async () => {
        if (await signOffWhenAsked(releasesB, id)) {
          await Promise.all([A.engine.wake(run.id), B.engine.wake(run.id)]);
        }
        return A.engine.get(run.id);
      },
      r => r?.state !== 'running' && r?.state !== 'waiting',
      200_000,
    );
    expect(stepStates(done)).toEqual(plan.steps.map(s => `${s.id}: done`));
    expect(done?.state).toBe('done');
    expect((await releasesA.get(id)).state).toBe('done');
    // Which backend takes a step is the leases' choice; what must hold is each step once.
    // One commit a git step in the IaC history, one sync an app and revision in Argo CD.
    const gitSteps = plan.steps.filter(s => s.kind === 'git');
    expect(w.stepCommits(id)).toEqual(
      Object.fromEntries(gitSteps.map(s => [s.id, 1])),
    );
    const expectedSyncs: Record<string, number> = {};
    for (const step of done!.steps) {
      const sha = (step.outputs as StepOutputs | undefined)?.git?.sha;
      for (const app of plan.steps[step.index].sync) {
        expectedSyncs[`prod/${app}@${sha}`] = 1;
      }
    }
    expect(Object.keys(expectedSyncs)).toHaveLength(
      gitSteps.reduce((n, s) => n + s.sync.length, 0),
    );
    expect(countsOf(w.portalSyncs(), s => `${s.app}@${s.revision}`)).toEqual(
      expectedSyncs,
    );
    expect(w.terminations()).toEqual([]);
    expect(w.argocdSandbox.liveColour('prod')).toBe('green');
    expect(
      w.argocdSandbox.simulation.workload('prod', 'hybris-blue').replicas,
    ).toBe(0);

    await Promise.all([slackA.flush(), slackB.flush()]);
    const announcement = plan.steps.find(s => s.id === 'announce')!.call!
      .message;
    const news = (await w.channelTexts()).slice(told.length);
    expect(news.filter(text => text === announcement)).toEqual([announcement]);
    expect(news.filter(text => text.includes('at hybris.'))).toEqual([]);
    const stepsDone = (
      await releasesA.audit.list({ releaseId: id, limit: 500 })
    )
      .filter(row => row.action === 'deploy.step.done')
      .map(row => row.meta?.stepId);
    expect(stepsDone).toEqual(plan.steps.map(s => s.id));
    expect(await releasesA.audit.verify()).toMatchObject({ ok: true });
  });

  it('announces a release through the engine the plugin wires', async () => {
    // As plugin.ts wires it when Slack is configured: the outbox notifier is the team channel.
    const { w, releases, slack, engine, deploys } = await oneBackend(
      'POSTGRES_15',
      { tellTeam: true },
    );
    const told = await w.channelTexts();
    const { id, plan } = await approvedRelease(releases, deploys, {
      apps: [webApp],
      items: [webItem],
    });
    const run = await pressDeploy(deploys, id, plan);
    const ended = await until(
      'the web release running to its end',
      async () => {
        if (await signOffWhenAsked(releases, id)) await engine.wake(run.id);
        return engine.get(run.id);
      },
      r => r?.state !== 'running' && r?.state !== 'waiting',
    );
    expect(stepStates(ended)).toEqual([
      'web.version: done',
      'signoff: done',
      'announce: done',
    ]);
    await slack.flush();
    const announcement = plan.steps.find(s => s.id === 'announce')!.call!
      .message;
    expect(
      (await w.channelTexts())
        .slice(told.length)
        .filter(text => text === announcement),
    ).toEqual([announcement]);
  });

  describe.each(['POSTGRES_15', 'SQLITE_3'] as const)('on %s', databaseId => {
    it('an approved release never deployed: Abort is refused and closing it changes nothing', async () => {
      const { w, knex, releases, deploys } = await oneBackend(databaseId);
      const head = w.head();
      const reason = 'the business asked to hold this release (INC-3110)';

      const approved = await approvedRelease(releases, deploys, {
        apps: [hybrisApp],
        items: [hybrisItem],
      });
      const refused = await refusal(
        deploys.abort(lead, approved.id, { reason }, ctx('press-abort-1')),
      );
      expect(refused).toBeInstanceOf(ConflictError);
      expect(refused.message).toBe(
        'state: the release is approved; close it with the transition to aborted',
      );
      await releases.transition(
        dev,
        approved.id,
        { to: 'aborted' },
        ctx('close'),
      );
      expect((await releases.get(approved.id)).state).toBe('aborted');
      expect(await deployRunRows(knex)).toEqual([]);
      expect(w.head()).toBe(head);
      expect(w.portalSyncs()).toEqual([]);
    });

    it('a run paused before its first commit: the abort has no step and changes nothing', async () => {
      const { w, knex, releases, engine, deploys } = await oneBackend(
        databaseId,
        { engine: { backoffMs: 10, maxAttempts: 2 } },
      );
      const head = w.head();
      const reason = 'the business asked to hold this release (INC-3110)';
      // GitLab refuses the bot's commits, so the first step fails having written nothing.
      await sandboxFault(w, {
        path: `/gitlab/api/v4/projects/${encodeURIComponent(
          PROD,
        )}/repository/commits`,
        method: 'POST',
        count: 100,
        status: 403,
        body: { message: '403 Forbidden' },
      });
      const release = await approvedRelease(releases, deploys, {
        apps: [hybrisApp],
        items: [hybrisItem],
      });
      const run = await pressDeploy(deploys, release.id, release.plan);
      const paused = await until(
        'the deploy run pausing',
        () => engine.get(run.id),
        r => r?.state === 'paused',
      );
      expect(stepStates(paused)?.slice(0, 2)).toEqual([
        expect.stringMatching(/^hybris\.image: failed \(.*403/),
        'hybris.scale-up.3: pending',
      ]);
      await fetch(`${w.sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
      const aborting = await deploys.abort(
        lead,
        release.id,
        { reason },
        ctx('press-abort-2'),
      );
      expect(aborting?.steps).toEqual([]);
      await until(
        'the abort run ending',
        () => engine.get(aborting!.id),
        r => r?.state === 'done',
      );
      expect((await releases.get(release.id)).state).toBe('aborted');
      expect((await engine.get(run.id))?.state).toBe('aborted');

      expect(w.head()).toBe(head);
      expect(w.stepCommits(release.id)).toEqual({});
      expect(w.portalSyncs()).toEqual([]);
      expect(w.terminations()).toEqual([]);
      expect((await deployRunRows(knex)).map(r => r.kind).sort()).toEqual([
        'abort',
        'deploy',
      ]);
    });

    it('with onStepFailure abort, a gate failing at step 2 ends the deploy and the engine reverts it by itself: the live colour untouched, the team told once', async () => {
      const failing = await deployWithGreenNeverJoining(databaseId, 'abort');
      const { w, releases, slack, engine, head, before, told } = failing;
      const { id, plan, run } = failing;
      const runs = await until(
        'the engine’s abort run ending',
        () => engine.runsOf(id),
        all =>
          all.some(
            r =>
              r.kind === 'abort' && !['running', 'waiting'].includes(r.state),
          ),
      );
      const aborted = runs.find(r => r.kind === 'abort');
      expect(stepStates(aborted)).toEqual([
        'abort.hybris.scale-down.new.0: done',
        'abort.hybris.image: done',
      ]);
      expect(aborted).toMatchObject({
        state: 'done',
        startedBy: ENGINE,
      });
      const deployed = await engine.get(run.id);
      expect(deployed?.state).toBe('aborted');
      expectGreenGateFailed(deployed, plan);
      expect(runs.map(r => r.kind).sort()).toEqual(['abort', 'deploy']);
      expect((await releases.get(id)).state).toBe('aborted');

      expectRevertedByCommits(w, id, before);
      // The live colour's values and the switch keys at every commit of the release and its revert.
      const commits = w.commitsSince(head);
      expect(commits).toHaveLength(4);
      for (const sha of commits) {
        for (const f of liveFiles) expect(w.fileAt(sha, f)).toBe(before[f]);
      }
      // The revert is the engine's: its commits name the portal's GitLab user, not the release's author.
      const author = dev.ref.replace('user:default/', '');
      expect(w.authorsSince(head)).toEqual([
        author,
        author,
        'kop release portal',
        'kop release portal',
      ]);
      const blue = w.argocdSandbox.simulation.workload('prod', 'hybris-blue');
      expect([blue.replicas, blue.image]).toEqual(failing.blue);
      expect(blue.replicas).toBeGreaterThan(0);

      await slack.flush();
      const news = (await w.channelTexts())
        .slice(told.length)
        .filter(text => text.includes(' at hybris.scale-up.3: '));
      expect(news).toHaveLength(1);
      expect(news[0]).toMatch(
        /^\[kop\] \[prod\] 배포 중단 중 \(aborting\) at hybris\.scale-up\.3: the gate of hybris green in prod did not pass within 4 s: .*\n다음 \(next\): The engine aborts the release: its safe revert runs by itself\.\nhttp:\/\/localhost:3000\/releases\//,
      );

      // The engine is the actor, and on its own behalf: nobody pressed Abort.
      const rows = await releases.audit.list({ releaseId: id, limit: 500 });
      const failed = rows.filter(row => row.action === 'deploy.step.fail');
      expect(failed.map(row => row.meta)).toEqual([
        expect.objectContaining({
          runId: run.id,
          stepId: 'hybris.scale-up.3',
          run: 'paused',
          then: 'abort',
        }),
      ]);
      const started = rows.filter(
        row => row.action === 'deploy.start' && row.meta?.kind === 'abort',
      );
      expect(started).toEqual([
        expect.objectContaining({
          actor: ENGINE,
          outcome: 'success',
          meta: expect.objectContaining({
            onBehalfOf: ENGINE,
            runId: aborted!.id,
            aborts: run.id,
            gateFailed: {
              step: 1,
              stepId: 'hybris.scale-up.3',
              error: expect.stringMatching(
                /^the gate of hybris green in prod did not pass within 4 s: waiting for cluster-status: JGroups view 2\/3/,
              ),
            },
          }),
        }),
      ]);
      const abortRows = rows.filter(row => row.meta?.runId === aborted!.id);
      expect([
        ...new Set(
          abortRows.map(row => `${row.actor} for ${row.meta?.onBehalfOf}`),
        ),
      ]).toEqual([`${ENGINE} for ${ENGINE}`]);
      expect(await releases.audit.verify()).toMatchObject({ ok: true });
    });

    it('refuses bad plan input with a 400 naming the field, writing nothing', async () => {
      const { w, knex, releases, deploys } = await oneBackend(databaseId);
      const head = w.head();
      const nothingWritten = async (releaseId: string) => {
        expect(await deployRunRows(knex)).toEqual([]);
        expect(w.stepCommits(releaseId)).toEqual({});
        expect(w.portalSyncs()).toEqual([]);
        expect((await releases.get(releaseId)).state).toBe('approved');
        const actions = (
          await releases.audit.list({ releaseId, limit: 500 })
        ).map(row => row.action);
        expect(actions.filter(a => a.startsWith('deploy.'))).toEqual([]);
      };

      // Steps above the app's maximum (release.apps.hybris.maxReplicas is 12 here).
      const tooMany = await releases.create(
        dev,
        {
          grade: 'B',
          dbUpdate: false,
          apps: [{ ...hybrisApp, steps: [3, 6, 20] }],
          items: [hybrisItem],
        },
        ctx('create'),
      );
      await releases.requestApproval(dev, tooMany.id, ctx('ask'));
      await releases.decide(
        pl,
        tooMany.id,
        { decision: 'approve', stage: 'approval' },
        ctx('approve'),
      );
      const above =
        "apps[0].steps[2] is 20, above hybris's maximum of 12 replicas (release.apps.hybris.maxReplicas)";
      for (const press of [
        () => deploys.plan(tooMany.id, 'prod'),
        () =>
          deploys.deploy(
            dev,
            tooMany.id,
            { environment: 'prod', fingerprint: 'f'.repeat(64) },
            ctx('press-deploy'),
          ),
      ]) {
        const e = await refusal(press());
        expect(e).toBeInstanceOf(InputError);
        expect(e.message).toBe(above);
      }
      await nothingWritten(tooMany.id);

      // An environment the layout does not know.
      const env = await refusal(deploys.plan(tooMany.id, 'staging'));
      expect(env).toBeInstanceOf(InputError);
      expect(env.message).toBe(
        "environment: 'staging' is not one of beta, prod",
      );

      // An app not in the release: the planner's `only` names it (the door deploys whole releases).
      const fine = await approvedRelease(releases, deploys, {
        apps: [hybrisApp],
        items: [hybrisItem],
      });
      const release = await releases.get(fine.id);
      const planWorld = await readDeployPlanWorld({
        layout,
        environment: 'prod',
        apps: ['hybris'],
        gitlab: w.gitlab,
        argocd: w.argocd,
      });
      const planOf = (over: Partial<Parameters<typeof computeDeployPlan>[0]>) =>
        computeDeployPlan({
          release,
          policy: defaultGradePolicy,
          layout,
          settings: planSettings,
          environment: 'prod',
          world: planWorld,
          ...over,
        });
      expect(() => planOf({ only: ['web'] })).toThrow(
        expect.objectContaining({
          name: 'InputError',
          field: 'only[0]',
          message: "only[0] 'web' is not an app of this release (hybris)",
        }),
      );

      // A colour the config does not know, as the planner is handed it: the field is named.
      expect(() =>
        planOf({
          world: {
            ...planWorld,
            live: {
              ...planWorld.live!,
              iac: { at: 'by hand', colour: 'purple' },
            },
          },
        }),
      ).toThrow(
        expect.objectContaining({
          name: 'InputError',
          field: 'world.live.iac.colour',
          message:
            "world.live.iac.colour 'purple' is not a hybris colour of the layout (blue, green)",
        }),
      );

      // Through the door the colour is read from IaC, where a hand edit naming 'purple' is a 409.
      await w.gitlab.commitEdits({
        project: PROD,
        branch: 'main',
        message: 'point hybris at purple by hand',
        paths: ['hybris/values.yaml'],
        edit: files => ({
          'hybris/values.yaml': spliceYamlValues(
            files['hybris/values.yaml']!,
            Object.fromEntries(
              layout.apps.hybris.switch.keys.map(k => [k, 'purple']),
            ),
          ),
        }),
      });
      const byHand = w.head();
      expect(byHand).not.toBe(head);
      for (const press of [
        () => deploys.plan(fine.id, 'prod'),
        () =>
          deploys.deploy(
            dev,
            fine.id,
            { environment: 'prod', fingerprint: fine.plan.fingerprint },
            ctx('press-deploy'),
          ),
      ]) {
        const e = await refusal(press());
        expect(e).toBeInstanceOf(ConflictError);
        expect(e.message).toBe(
          "hybris: the live colour could not be read from IaC (hybris/values.yaml at main of kop/kop-deploy-prod): GitLab: find the live hybris colour in hybris/values.yaml at main of kop/kop-deploy-prod failed: storefront.hybrisServiceName is 'purple', not one of the colours blue, green",
        );
      }
      expect(w.head()).toBe(byHand);
      await nothingWritten(fine.id);
    });
    it('a backend killed right after a step’s commit: the one that takes over commits nothing and syncs once', async () => {
      const w = await world();
      const knex = await initMigrated(databases, databaseId);
      const a = severable(databaseId === 'POSTGRES_15' ? pool(knex) : knex);
      const committed = deferred<string>();
      const aMayDie = deferred();
      cleanups.push(() => {
        a.heal();
        aMayDie.resolve();
      });
      // Backend A's GitLab: its commit of the first raise lands, then the process is gone.
      const gitlabA = new Proxy(w.gitlab, {
        get(target, key) {
          if (key === 'commitEdits') {
            return async (
              options: Parameters<GitlabClient['commitEdits']>[0],
            ) => {
              const result = await target.commitEdits(options);
              if (
                result.committed &&
                options.message.includes('Release-Step: hybris.scale-up.3')
              ) {
                a.cut();
                committed.resolve(result.sha);
                await aMayDie.promise;
                throw new Error('backend A died right after its commit');
              }
              return result;
            };
          }
          const value = Reflect.get(target, key);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const lease = { leaseMs: 1_000 };
      const releasesA = releaseService(a.knex);
      const A = backend(w, {
        knex: a.knex,
        releases: releasesA,
        owner: 'backend-a',
        settings: lease,
        gitlab: gitlabA,
      });
      const releasesB = releaseService(knex);
      const B = backend(w, {
        knex,
        releases: releasesB,
        owner: 'backend-b',
        settings: lease,
      });

      const { id, plan } = await approvedRelease(releasesA, A.deploys, {
        apps: [hybrisApp],
        items: [hybrisItem],
      });
      const run = await pressDeploy(A.deploys, id, plan);
      const sha = await within(committed.promise, 120_000, async () =>
        JSON.stringify({
          message: 'backend A never committed hybris.scale-up.3',
          run: stepStates(await B.engine.get(run.id)),
          warn: A.logger.warn.mock.calls,
          error: A.logger.error.mock.calls,
        }),
      );
      expect(w.head()).toBe(sha);
      expect(w.stepCommits(id)).toEqual({
        'hybris.image': 1,
        'hybris.scale-up.3': 1,
      });
      expect(w.portalSyncs().filter(s => s.revision === sha)).toEqual([]);

      // Backend B ticks; once A's lease has lapsed it takes the run over.
      ticking(B.engine);
      const after = await until(
        'backend B finishing hybris.scale-up.3',
        () => B.engine.get(run.id),
        r => stepOf(r, 'hybris.scale-up.3')?.state === 'done',
      );
      const outputs = stepOf(after, 'hybris.scale-up.3')!
        .outputs as StepOutputs;
      expect(outputs.git).toMatchObject({ sha, committed: false });
      expect(outputs.sync?.['hybris-green']).toMatchObject({
        attempts: 1,
        syncedRevision: sha,
      });
      // B goes on to the next raise at once: only the steps up to this one are counted.
      expect(w.stepCommits(id)).toMatchObject({
        'hybris.image': 1,
        'hybris.scale-up.3': 1,
      });
      const imageSha = (stepOf(after, 'hybris.image')!.outputs as StepOutputs)
        .git!.sha;
      const syncsUpToHere = w
        .portalSyncs()
        .filter(s => s.revision === imageSha || s.revision === sha);
      expect(countsOf(syncsUpToHere, s => `${s.app}@${s.revision}`)).toEqual({
        [`prod/hybris-green@${imageSha}`]: 1,
        [`prod/hybris-green@${sha}`]: 1,
      });

      // A comes back to answer its call: nothing of it is recorded, nothing is committed again.
      a.heal();
      aMayDie.resolve();
      await A.engine.idle();
      const later = await B.engine.get(run.id);
      expect(stepOf(later, 'hybris.scale-up.3')).toMatchObject({
        state: 'done',
        outputs: { git: { sha, committed: false } },
      });
      expect(w.stepCommits(id)['hybris.scale-up.3']).toBe(1);
      expect(w.portalSyncs().filter(s => s.revision === sha)).toHaveLength(1);
      expect(w.terminations()).toEqual([]);
    });
  });
});
