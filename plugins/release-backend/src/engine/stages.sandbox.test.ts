import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ConflictError } from '@backstage/errors';
import { defaultGradePolicy } from '@internal/plugin-release-common';
import {
  ArgoCdClient,
  GitlabClient,
  HybrisClusterClient,
  JenkinsClient,
  PrometheusClient,
  readDeployPlanSettings,
  readReleaseLayout,
  readYamlValues,
  whatShips,
  type StepOutputs,
} from '@internal/plugin-release-node';
import type { Knex } from 'knex';
import { rmSync } from 'node:fs';
import {
  defaultSandboxServices,
  sandboxGitlabTokens,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import { createTestDatabases, initMigrated } from '../__testUtils__/databases';
import {
  sandboxQuickGates,
  sandboxVersions,
} from '../__testUtils__/sandboxConfig';
import type { ReleaseService } from '../service/ReleaseService';
import { dev, director, pl, releaseService } from './__testUtils__/engineWorld';
import { readEngineSettings } from './config';
import { createReleaseEngine } from './createReleaseEngine';
import type { DeployEngine } from './DeployEngine';
import type { DeployService } from './DeployService';
import type { DeployRun } from './types';
import { refusal, until } from './__testUtils__/waits';

jest.setTimeout(240_000);

const retry = { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 };
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const ctx = (requestId: string) => ({ requestId });

/** The stages as app-config.yaml sets them, the post-deploy tests checking the sandbox itself. */
function stagesConfig(sandbox: RunningSandbox) {
  return {
    apps: {
      hybris: {
        switch: { watch: '1s' },
        gates: sandboxQuickGates,
      },
    },
    plan: { build: true },
    beta: {
      paymentTests: {
        jenkinsJob: 'kop/payment-tests',
        brands: ['ks', 'tc', 'g4'],
      },
    },
    postDeployTests: {
      tests: [
        { name: 'smoke', jenkinsJob: 'kop/post-deploy-tests' },
        { name: 'sandbox', url: `${sandbox.url}/_sandbox/health` },
      ],
    },
  };
}

/** A run's steps as `id: state`, for readable failures. */
const stepStates = (run: DeployRun | undefined) =>
  run?.steps.map(
    s => `${s.stepId}: ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`,
  );

describe.each(['SQLITE_3', 'POSTGRES_15'] as const)(
  'the stages around the deploy on %s, against the sandbox',
  databaseId => {
    const databases = createTestDatabases();
    const cleanups: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A sandbox, a database and one backend's engine wired as plugin.ts wires it, ticking. */
    async function setUp() {
      const sandbox = await startSandbox({
        timeScale: 0.02,
        services: defaultSandboxServices(),
      });
      cleanups.push(async () => {
        await sandbox.close();
        rmSync(sandbox.context.dataDir, { recursive: true, force: true });
      });
      const knex: Knex = await initMigrated(databases, databaseId);
      const releases: ReleaseService = releaseService(knex);
      const config = new ConfigReader({
        release: {
          ...stagesConfig(sandbox),
          engine: { pollMs: 100, pipelinePollMs: 100, jenkinsPollMs: 100 },
        },
      });
      const argocd = (name: string) =>
        new ArgoCdClient({
          instance: {
            name,
            url: `${sandbox.url}/argocd/${name}`,
            token: 'argocd-sandbox-token',
          },
          retry,
        });
      const gitlab = new GitlabClient({
        apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
        token: sandboxGitlabTokens.maintainer,
        retry,
      });
      // The deploy branches these tests release, cut from master as the team cuts them.
      for (const branch of [
        'deploy-2026-02-03',
        'deploy-2026-02-04',
        'deploy-2026-02-05',
      ]) {
        await gitlab.createBranch('kop/hybris', branch, 'master');
      }
      const jenkins = new JenkinsClient({
        baseUrl: `${sandbox.url}/jenkins`,
        username: 'kop-bot',
        apiToken: 'jenkins-sandbox-token',
        buildToken: 'kop-build-token',
        retry,
      });
      const pods = (environment: string) => ({
        blue: `${sandbox.url}/hybris/${environment}/blue`,
        green: `${sandbox.url}/hybris/${environment}/green`,
      });
      const layout = readReleaseLayout(config);
      const { engine, deploys } = createReleaseEngine({
        knex,
        releases,
        layout,
        policy: defaultGradePolicy,
        planSettings: readDeployPlanSettings(config),
        settings: readEngineSettings(config),
        systems: {
          gitlab: () => gitlab,
          argocdFor: argocd,
          prometheus: () =>
            new PrometheusClient({
              baseUrl: `${sandbox.url}/prometheus`,
              retry,
            }),
          hybris: () =>
            new HybrisClusterClient({
              endpoints: { beta: pods('beta'), prod: pods('prod') },
              retry,
            }),
          jenkins: () => jenkins,
        },
        logger: mockServices.logger.mock(),
        engine: { owner: 'backend-a', announce: async () => undefined },
      });
      cleanups.push(() => engine.stop());
      let over = false;
      const loop = (async () => {
        while (!over) {
          await engine.tick();
          await sleep(50);
        }
      })();
      cleanups.push(async () => {
        over = true;
        await loop;
      });
      const { web } = await sandboxVersions(sandbox);
      return {
        sandbox,
        knex,
        releases,
        engine,
        deploys,
        web,
        gitlab,
        layout,
        argocd,
      };
    }

    /** Makes the next matching builds of a job fail in the sandbox's Jenkins. */
    async function failNext(
      sandbox: RunningSandbox,
      job: string,
      parameters: Record<string, string> = {},
    ) {
      const res = await fetch(`${sandbox.url}/jenkins/_sandbox/failures`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ job, parameters }),
      });
      if (res.status !== 201) throw new Error(`sandbox: ${res.status}`);
    }

    /** Deploy pressed by the author on the plan shown for the environment. */
    async function press(
      deploys: DeployService,
      id: string,
      environment: string,
    ) {
      const plan = await deploys.plan(id, environment);
      const run = await deploys.deploy(
        dev,
        id,
        { environment, fingerprint: plan.fingerprint },
        ctx(`deploy-${environment}`),
      );
      return { plan, run };
    }

    const runOver = async (engine: DeployEngine, runId: string) => {
      const seen = await until(
        'the run to stop',
        async () => {
          const r = (await engine.get(runId))!;
          return {
            state: r.state,
            steps: stepStates(r),
            waiting: r.steps.find(s => s.state === 'waiting')?.waitingReason,
          };
        },
        r => ['done', 'paused', 'failed', 'aborted'].includes(r.state),
      );
      if (seen.state !== 'done') {
        throw new Error(`run ${seen.state}: ${seen.steps?.join('; ')}`);
      }
      return (await engine.get(runId))!;
    };

    const auditOf = async (releases: ReleaseService, releaseId: string) =>
      releases.audit.list({ releaseId, limit: 500 });

    /** The hybris image tag the run's hybris.image commit put in the IaC repository. */
    async function committedTag(
      world: Awaited<ReturnType<typeof setUp>>,
      run: DeployRun,
    ) {
      const { gitlab, layout } = world;
      const index = run.plan.steps.findIndex(s => s.id === 'hybris.image');
      const git = (run.steps[index].outputs as StepOutputs).git!;
      expect(git.committed).toBe(true);
      const idle = layout.apps.hybris.colours[run.plan.hybris!.idle];
      const file = await gitlab.readFile(
        layout.iac.repos[run.environment],
        git.sha,
        idle.values,
      );
      return readYamlValues(file!.content, [idle.image])[idle.image];
    }

    /** A hybris release of `version`, created by its author and pressed Deploy to beta. */
    async function hybrisOnBeta(version: string) {
      const world = await setUp();
      const r = await world.releases.create(
        dev,
        {
          grade: 'B',
          dbUpdate: false,
          apps: [{ app: 'hybris', version, steps: [3] }],
          items: [
            {
              title: '[HYBRIS] 결제 모듈 교체',
              app: 'hybris',
              source: { type: 'mr', project: 'kop/hybris', iid: 412 },
            },
          ],
        },
        ctx('create'),
      );
      return { world, r, ...(await press(world.deploys, r.id, 'beta')) };
    }

    it('tries a release on beta: builds, waits for the pipeline, deploys, runs the payment tests; a failed brand blocks the approval request until the author overrides', async () => {
      const { sandbox, releases, engine, deploys, web } = await setUp();
      const r = await releases.create(
        dev,
        {
          grade: 'B',
          dbUpdate: false,
          apps: [
            { app: 'hybris', version: 'deploy-2026-02-03', steps: [3] },
            { app: 'web', version: web },
          ],
          items: [
            {
              title: '[HYBRIS] 결제 모듈 교체',
              app: 'hybris',
              source: { type: 'mr', project: 'kop/hybris', iid: 412 },
            },
          ],
        },
        ctx('create'),
      );
      await failNext(sandbox, 'kop/payment-tests', { BRAND: 'tc' });
      const { plan, run } = await press(deploys, r.id, 'beta');
      expect(plan.steps.map(s => s.id)[0]).toBe('hybris.build');
      expect(plan.steps.map(s => s.id)).not.toContain('signoff');
      expect(plan.steps[plan.steps.length - 1].id).toBe('tests.payment');
      expect((await releases.get(r.id)).state).toBe('beta');

      const done = await runOver(engine, run.id);
      expect(done.steps.map(s => s.state).every(s => s === 'done')).toBe(true);
      const tried = await releases.get(r.id);
      // Tried on beta, the release stays in beta for its approval.
      expect(tried.state).toBe('beta');
      const [built] = tried.builds!.filter(b => b.app === 'hybris');
      expect(built).toMatchObject({
        version: 'deploy-2026-02-03',
        system: 'jenkins',
        job: 'kop/hybris-build',
        result: 'success',
      });
      expect(built.imageTag).toBe(`deploy-2026-02-03-${built.buildNumber}`);
      expect(tried.builds!.find(b => b.app === 'web')).toMatchObject({
        system: 'gitlab',
        job: 'kop/web',
        result: 'success',
      });
      const [payment] = tried.tests!;
      expect(payment.environment).toBe('beta');
      expect(
        payment.results.map(t => [
          t.brand,
          t.result,
          t.url?.includes('/job/payment-tests/'),
        ]),
      ).toEqual([
        ['ks', 'passed', true],
        ['tc', 'failed', true],
        ['g4', 'passed', true],
      ]);

      const audit = await auditOf(releases, r.id);
      const row = (action: string) => audit.filter(a => a.action === action);
      expect(row('deploy.build').map(a => a.meta)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            app: 'hybris',
            buildNumber: built.buildNumber,
            imageTag: built.imageTag,
            url: built.url,
            result: 'success',
            triggered: true,
          }),
        ]),
      );
      expect(row('tests.payment')).toHaveLength(1);
      expect(row('tests.payment')[0]).toMatchObject({
        outcome: 'failure',
        meta: expect.objectContaining({ environment: 'beta' }),
      });
      expect(row('deploy.end')[0].meta).toMatchObject({
        environment: 'beta',
        kind: 'deploy',
      });

      // A failed brand blocks the approval request, until the author overrides it with a reason.
      const blocked = await refusal(
        releases.requestApproval(dev, r.id, ctx('ask')),
      );
      expect(blocked).toBeInstanceOf(ConflictError);
      expect(blocked.message).toMatch(
        /^tests: the payment tests on beta failed for tc;/,
      );
      await expect(
        releases.overrideTests(
          pl,
          r.id,
          { kind: 'payment', reason: 'the PG sandbox of tc is down today' },
          ctx('override-by-pl'),
        ),
      ).rejects.toThrow('Only the author or a release admin');
      await releases.overrideTests(
        dev,
        r.id,
        { kind: 'payment', reason: 'the PG sandbox of tc is down today' },
        ctx('override'),
      );
      const asked = await releases.requestApproval(dev, r.id, ctx('ask'));
      expect(asked.state).toBe('awaiting_approval');
      const overrides = (await auditOf(releases, r.id)).filter(
        a => a.action === 'tests.override',
      );
      expect(
        overrides.map(a => [
          a.actor,
          a.meta?.kind,
          a.meta?.reason,
          a.meta?.failed,
        ]),
      ).toEqual([
        [dev.ref, 'payment', 'the PG sandbox of tc is down today', ['tc']],
      ]);
    });

    it('commits the image tag the build pushed, not the deploy branch: on beta from the build step, in prod as the release recorded it; the next what ships counts from the commit it built', async () => {
      const version = 'deploy-2026-02-05';
      const { world, r, plan, run } = await hybrisOnBeta(version);
      const { releases, engine, deploys, gitlab, layout } = world;
      const cutAt = (await gitlab.resolveRef('kop/hybris', version))!;
      const placeholder = '<image tag from hybris.build>';
      // Shown before Deploy: the tag comes from the build the plan runs first.
      expect(plan.builtImages).toEqual([
        { placeholder, step: 'hybris.build', app: 'hybris', version },
      ]);
      const image = plan.steps.find(s => s.id === 'hybris.image')!;
      expect(image.git!.changes.map(c => c.to)).toEqual([placeholder]);
      expect(image.git!.diff).toContain(`+  tag: ${placeholder}`);

      const tried = await runOver(engine, run.id);
      const built = (await releases.get(r.id)).builds!.find(
        b => b.app === 'hybris',
      )!;
      expect(built).toMatchObject({
        version,
        result: 'success',
        commit: cutAt,
      });
      expect(built.imageTag).toBe(`${version}-${built.buildNumber}`);
      expect(await committedTag(world, tried)).toBe(built.imageTag);
      // The run's page shows the tag written, under the fingerprint approved.
      const shown = deploys.runView(tried).plan;
      expect(shown.fingerprint).toBe(plan.fingerprint);
      expect(shown.builtImages).toEqual([
        expect.objectContaining({ placeholder, tag: built.imageTag }),
      ]);
      expect(
        shown.steps.find(s => s.id === 'hybris.image')!.git!.diff,
      ).toContain(`+  tag: ${built.imageTag}`);

      await releases.requestApproval(dev, r.id, ctx('ask'));
      const prod = await deploys.plan(r.id, 'prod');
      expect(prod.steps.map(s => s.id)).not.toContain('hybris.build');
      expect(prod.builtImages).toBeUndefined();
      expect(
        prod.steps.find(s => s.id === 'hybris.image')!.git!.changes,
      ).toEqual([expect.objectContaining({ to: built.imageTag })]);
      await releases.decide(
        pl,
        r.id,
        {
          decision: 'approve',
          stage: 'approval',
          fingerprint: prod.fingerprint,
        },
        ctx('approve'),
      );
      const deployed = await press(deploys, r.id, 'prod');
      await until(
        'the sign-off to be asked',
        () => releases.get(r.id),
        x => x.state === 'awaiting_signoff',
      );
      expect(
        await committedTag(world, (await engine.get(deployed.run.id))!),
      ).toBe(built.imageTag);
      await releases.decide(
        director,
        r.id,
        { decision: 'approve', stage: 'signoff' },
        ctx('signoff'),
      );
      await runOver(engine, deployed.run.id);

      // The deploy branch moves on after the build; the next release compares from what runs.
      const later = await gitlab.commitEdits({
        project: 'kop/hybris',
        branch: version,
        message: 'fix after the build',
        paths: ['docs/after-the-build.md'],
        edit: () => ({ 'docs/after-the-build.md': 'fixed later\n' }),
      });
      const ships = await whatShips(
        { app: 'hybris', environment: 'prod', candidate: version },
        {
          gitlab,
          argocd: world.argocd,
          layout,
          policy: defaultGradePolicy,
          // No Jenkins: the release that recorded the build says which commit runs.
          recordedBuild: (app, tag) => releases.recordedBuild(app, tag),
        },
      );
      expect(ships.deployed).toMatchObject({
        version: built.imageTag,
        sha: cutAt,
        commit: {
          from: 'build',
          build: {
            job: 'kop/hybris-build',
            number: built.buildNumber,
            releaseId: r.id,
          },
        },
      });
      expect(ships).toMatchObject({
        newer: true,
        ahead: 1,
        behind: 0,
        warnings: [],
      });
      expect(ships.commits.map(c => c.sha)).toEqual([later.sha]);
    });

    it('writes the tag of a build Jenkins had before the release, shown in the plan, and records that very build', async () => {
      // Seeded: Jenkins built this deploy branch before the release.
      const version = 'deploy-2026-01-08';
      const { world, r, plan, run } = await hybrisOnBeta(version);
      const { releases, engine } = world;
      const { number } = plan.steps[0].call!.target;
      expect(plan.steps[0].call!.target).toEqual({
        job: 'kop/hybris-build',
        app: 'hybris',
        version,
        number: expect.stringMatching(/^\d+$/),
      });
      const tag = `${version}-${number}`;
      expect(plan.builtImages).toBeUndefined();
      expect(
        plan.steps.find(s => s.id === 'hybris.image')!.git!.diff,
      ).toContain(`+  tag: ${tag}`);
      const done = await runOver(engine, run.id);
      expect(await committedTag(world, done)).toBe(tag);
      expect((await releases.get(r.id)).builds).toEqual([
        expect.objectContaining({
          app: 'hybris',
          version,
          buildNumber: Number(number),
          imageTag: tag,
          result: 'success',
        }),
      ]);
      const recorded = (await auditOf(releases, r.id)).find(
        a => a.action === 'deploy.build',
      );
      expect(recorded?.meta).toMatchObject({ triggered: false, imageTag: tag });
    });

    it('stops the plan at a failed build with its console link', async () => {
      const { sandbox, releases, engine, deploys } = await setUp();
      const r = await releases.create(
        dev,
        {
          grade: 'B',
          dbUpdate: false,
          apps: [{ app: 'hybris', version: 'deploy-2026-02-04' }],
          items: [
            {
              title: '[HYBRIS] 빌드 실패',
              app: 'hybris',
              source: { type: 'mr', project: 'kop/hybris', iid: 413 },
            },
          ],
        },
        ctx('create'),
      );
      await failNext(sandbox, 'kop/hybris-build', {
        BRANCH: 'deploy-2026-02-04',
      });
      const { run } = await press(deploys, r.id, 'beta');
      const stopped = await until(
        'the build to fail',
        async () => (await engine.get(run.id))!,
        x => x.state === 'paused',
      );
      const [build, next] = stopped.steps;
      expect([build.stepId, build.state, next.state]).toEqual([
        'hybris.build',
        'failed',
        'pending',
      ]);
      expect(build.lastError).toMatch(
        new RegExp(
          `^Jenkins: kop/hybris-build #\\d+ of deploy-2026-02-04 finished FAILURE; its console: ${sandbox.url}/jenkins/job/kop/job/hybris-build/\\d+/console$`,
        ),
      );
      const release = await releases.get(r.id);
      expect(release.state).toBe('beta');
      expect(release.builds).toEqual([
        expect.objectContaining({ app: 'hybris', result: 'failed' }),
      ]);
      const failed = (await auditOf(releases, r.id)).filter(
        a => a.action === 'deploy.build',
      );
      expect(failed.map(a => [a.outcome, a.meta?.result])).toEqual([
        ['failure', 'failed'],
      ]);
    });

    it('runs the post-deploy tests in prod before the sign-off; a failure holds the sign-off until the superior overrides', async () => {
      const { sandbox, releases, engine, deploys, web } = await setUp();
      const r = await releases.create(
        dev,
        {
          grade: 'B',
          dbUpdate: false,
          apps: [{ app: 'web', version: web }],
          items: [
            {
              title: '[WEB] 배너 교체',
              app: 'web',
              source: { type: 'mr', project: 'kop/web', iid: 77 },
            },
          ],
        },
        ctx('create'),
      );
      await runOver(engine, (await press(deploys, r.id, 'beta')).run.id);
      await releases.requestApproval(dev, r.id, ctx('ask'));
      const plan = await deploys.plan(r.id, 'prod');
      // Built on beta: production runs no build, and tests before the sign-off.
      expect(plan.steps.map(s => s.id)).toEqual([
        'web.version',
        'tests.post-deploy',
        'signoff',
        'announce',
      ]);
      await releases.decide(
        pl,
        r.id,
        {
          decision: 'approve',
          stage: 'approval',
          fingerprint: plan.fingerprint,
        },
        ctx('approve'),
      );
      await failNext(sandbox, 'kop/post-deploy-tests');
      const { run } = await press(deploys, r.id, 'prod');
      await until(
        'the sign-off to be asked',
        () => releases.get(r.id),
        x => x.state === 'awaiting_signoff',
      );
      const verified = await releases.get(r.id);
      const post = verified.tests!.find(t => t.kind === 'post-deploy')!;
      expect(post.results.map(t => [t.name, t.kind, t.result])).toEqual([
        ['smoke', 'jenkins', 'failed'],
        ['sandbox', 'http', 'passed'],
      ]);
      const held = await refusal(
        releases.decide(
          director,
          r.id,
          { decision: 'approve', stage: 'signoff' },
          ctx('signoff'),
        ),
      );
      expect(held.message).toMatch(
        /^tests: the post-deploy tests failed \(smoke\)/,
      );
      await expect(
        releases.overrideTests(
          dev,
          r.id,
          { kind: 'post-deploy', reason: 'smoke is flaky on saved cards' },
          ctx('override-by-author'),
        ),
      ).rejects.toThrow('Only whoever may sign off');
      await releases.overrideTests(
        director,
        r.id,
        {
          kind: 'post-deploy',
          reason: 'checked the saved-card checkout by hand',
        },
        ctx('override'),
      );
      await releases.decide(
        director,
        r.id,
        { decision: 'approve', stage: 'signoff' },
        ctx('signoff'),
      );
      await runOver(engine, run.id);
      expect((await releases.get(r.id)).state).toBe('done');
      const audit = await auditOf(releases, r.id);
      expect(
        audit
          .filter(a =>
            ['tests.post-deploy', 'tests.override'].includes(a.action),
          )
          .map(a => [a.action, a.outcome, a.meta?.kind ?? a.meta?.environment]),
      ).toEqual([
        ['tests.post-deploy', 'failure', 'prod'],
        ['tests.override', 'success', 'post-deploy'],
      ]);
    });
  },
);
