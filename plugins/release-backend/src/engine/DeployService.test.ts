import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  describeWindowOpening,
  nextReleaseWindow,
  type ReleaseGrade,
} from '@internal/plugin-release-common';
import {
  readDeployPlanSettings,
  readReleaseLayout,
  readYamlValues,
  ReleaseIntegrations,
  spliceYamlValues,
} from '@internal/plugin-release-node';
import { seedFacts } from 'sandbox';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import {
  sandboxEngineConfig,
  sandboxProdSteps,
  sandboxVersions,
  startTestSandbox,
} from '../__testUtils__/sandboxConfig';
import type { ReleaseService } from '../service/ReleaseService';
import {
  dev,
  inWindow,
  lead,
  pl,
  releaseService,
  signOffWhenAsked,
} from './__testUtils__/engineWorld';
import { readEngineSettings } from './config';
import { createReleaseEngine } from './createReleaseEngine';
import type { DeployEngine } from './DeployEngine';
import type { DeployPermissions } from './DeployService';

jest.setTimeout(120_000);

/** Friday 2026-11-27 11:00 in Seoul: outside the default release window. */
const outOfWindow = new Date('2026-11-27T02:00:00Z');
const ctx = { requestId: 'deploy-service-test' };
const everything: DeployPermissions = {
  deploy: true,
  control: true,
  abort: true,
  stopTheLine: true,
  request: true,
};
const nothing: DeployPermissions = {
  deploy: false,
  control: false,
  abort: false,
  stopTheLine: false,
  request: false,
};

describe.each(databaseIds)(
  'DeployService on %s, against the sandbox with the real clients',
  databaseId => {
    const databases = createTestDatabases();
    let sandbox: Awaited<ReturnType<typeof startTestSandbox>> | undefined;
    let engine: DeployEngine | undefined;

    afterEach(async () => {
      await engine?.stop();
      await sandbox?.dispose();
      engine = undefined;
      sandbox = undefined;
    });

    /** A fresh sandbox and database, and the engine and its door wired as plugin.ts wires them. */
    async function setUp() {
      sandbox = await startTestSandbox();
      const knex = await initMigrated(databases, databaseId);
      const clock = { now: inWindow };
      const releases = releaseService(knex, () => clock.now);
      // Steps look again only when woken, so the test decides when a run moves on.
      const config = new ConfigReader({
        ...sandboxEngineConfig(sandbox),
        release: { engine: { pollMs: 60_000 } },
      });
      const integrations = new ReleaseIntegrations(
        config,
        mockServices.logger.mock(),
      );
      const wired = createReleaseEngine({
        knex,
        releases,
        layout: readReleaseLayout(config),
        policy: releases.policy,
        planSettings: readDeployPlanSettings(config),
        settings: readEngineSettings(config),
        systems: {
          gitlab: () => integrations.gitlab,
          argocdFor: environment =>
            integrations.argocd.forEnvironment(environment),
          prometheus: () => integrations.prometheus,
          hybris: () => integrations.hybris,
        },
        logger: mockServices.logger.mock(),
        // The announcement goes nowhere: the Slack outbox is tested on its own.
        engine: { announce: async () => undefined },
      });
      engine = wired.engine;
      const { gitlab, cms, web } = await sandboxVersions(sandbox);
      const dataDir = sandbox.context.dataDir;
      return {
        knex,
        clock,
        releases,
        engine: wired.engine,
        deploys: wired.deploys,
        gitlab,
        versions: { cms, web },
        sandbox,
        /** Commits on the prod IaC branch, counted in the sandbox's own git. */
        commits: () =>
          Number(
            execFileSync(
              'git',
              [
                '--git-dir',
                join(dataDir, 'git', `${seedFacts.iac.project}.git`),
                'rev-list',
                '--count',
                seedFacts.iac.branch,
              ],
              { encoding: 'utf8' },
            ).trim(),
          ),
        /** A release of hybris, cms and web at the sandbox's newest versions. */
        create: (grade: ReleaseGrade = 'B', dbUpdate = false) =>
          releases.create(
            dev,
            {
              grade,
              dbUpdate,
              apps: [
                { app: 'hybris', version: seedFacts.hybris.candidate },
                { app: 'cms', version: cms },
                { app: 'web', version: web },
              ],
              items: [
                {
                  title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
                  app: 'hybris',
                  source: { type: 'mr', project: 'kop/hybris', iid: 412 },
                },
              ],
            },
            ctx,
          ),
        runRows: async () =>
          Number(
            (
              await knex('deploy_runs').count<{ n: number | string }[]>({
                n: '*',
              })
            )[0].n,
          ),
      };
    }

    type World = Awaited<ReturnType<typeof setUp>>;

    /** Approved by the PL for the plan they saw (or none). */
    const approvedBy = (w: World, id: string, fingerprint?: string) =>
      w.releases.decide(
        pl,
        id,
        { decision: 'approve', stage: 'approval', fingerprint },
        ctx,
      );

    /** Asked for approval, and approved by the PL for the plan they saw (or none). */
    async function approve(w: World, id: string, fingerprint?: string) {
      await w.releases.requestApproval(dev, id, ctx);
      return approvedBy(w, id, fingerprint);
    }

    /** The author presses Deploy for prod; the run goes as far as it goes at once. */
    async function press(
      w: World,
      id: string,
      fingerprint: string,
      requestId = ctx.requestId,
    ) {
      const run = await w.deploys.deploy(
        dev,
        id,
        { environment: 'prod', fingerprint },
        { requestId },
      );
      await w.engine.idle();
      return run;
    }

    /** A release approved for the prod plan shown now. */
    async function approvedForPlan(w: World) {
      const release = await w.create();
      const plan = await w.deploys.plan(release.id, 'prod');
      await approve(w, release.id, plan.fingerprint);
      return { release, plan };
    }

    /** An approved release deploying to prod, its first step under way. */
    async function deploying(w: World) {
      const { release, plan } = await approvedForPlan(w);
      const run = await press(w, release.id, plan.fingerprint);
      return { release, plan, run };
    }

    /** Looks at the run again until `done` holds: each look is one call of its step. */
    async function wakeUntil(
      w: World,
      runId: string,
      done: (
        run: NonNullable<Awaited<ReturnType<DeployEngine['get']>>>,
      ) => boolean,
    ) {
      for (let i = 0; i < 50; i++) {
        const run = (await w.engine.get(runId))!;
        if (done(run)) return run;
        await w.engine.wake(runId);
        await w.engine.idle();
        await new Promise(r => setTimeout(r, 20));
      }
      throw new Error(`Run ${runId} never got there`);
    }

    const WEB = 'web/values.yaml';
    const short = (fingerprint: string) => fingerprint.slice(0, 12);

    /**
     * A cms and web release deploying to prod, stopped on web.version by lee.jiho's commit of 5
     * replicas for web, which landed on the IaC branch after the plan was approved.
     */
    async function stoppedBySomeoneElse(w: World) {
      const { project, branch } = seedFacts.iac;
      const webValues = async () =>
        readYamlValues(
          (await w.gitlab.readFile(project, branch, WEB))!.content,
          ['image.tag', 'replicaCount'],
        );
      const someoneElse = (replicas: number, message: string) =>
        w.gitlab.commitEdits({
          project,
          branch,
          message,
          paths: [WEB],
          author: { name: 'lee.jiho', email: 'lee.jiho@kop.example' },
          edit: files => ({
            [WEB]: spliceYamlValues(files[WEB]!, { replicaCount: replicas }),
          }),
        });
      const release = await w.releases.create(
        dev,
        {
          grade: 'B',
          dbUpdate: false,
          apps: [
            { app: 'cms', version: w.versions.cms },
            { app: 'web', version: w.versions.web },
          ],
          items: [
            {
              title: '[WEB] 배너 교체',
              app: 'web',
              source: { type: 'mr', project: 'kop/web', iid: 77 },
            },
          ],
        },
        ctx,
      );
      const plan = await w.deploys.plan(release.id, 'prod');
      const at = plan.steps.findIndex(s => s.id === 'web.version');
      await approve(w, release.id, plan.fingerprint);
      const run = await press(w, release.id, plan.fingerprint);
      expect((await w.engine.get(run.id))!.steps[at].state).toBe('pending');
      const first = await someoneElse(5, 'web: 5 replicas for the sale');
      await wakeUntil(w, run.id, x => x.state === 'paused');
      return { release, plan, run, at, first, someoneElse, webValues };
    }

    /** The author asks approval of the new plan of a run stopped on someone else's change. */
    const askAgain = (
      w: World,
      run: { id: string; releaseId: string },
      fingerprint: string,
    ) =>
      w.deploys.requestRebasedApproval(
        dev,
        run.releaseId,
        run.id,
        { fingerprint },
        ctx,
      );

    const auditOf = async (releases: ReleaseService, action: string) =>
      (await releases.audit.list({ limit: 1000 })).filter(
        row => row.action === action,
      );

    it('plans a hybris, cms and web release for prod from the sandbox IaC, the same plan each time', async () => {
      const w = await setUp();
      const r = await w.create();
      const plan = await w.deploys.plan(r.id, 'prod');
      const head = (await w.gitlab.branch(
        seedFacts.iac.project,
        seedFacts.iac.branch,
      ))!.sha;
      expect(plan).toMatchObject({
        releaseId: r.id,
        environment: 'prod',
        iac: {
          project: seedFacts.iac.project,
          branch: seedFacts.iac.branch,
          baseSha: head,
        },
        hybris: { live: seedFacts.hybris.liveColour, idle: 'green' },
      });
      expect(plan.steps.map(s => s.id)).toEqual(sandboxProdSteps);
      expect(plan.steps.map(s => s.kind)).toEqual([
        'git',
        'git',
        'git',
        'git',
        'call',
        'call',
        'call',
        'git',
        'git',
        'wait',
        'git',
        'call',
        'git',
        'git',
        'git',
      ]);
      expect(plan.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect((await w.deploys.plan(r.id, 'prod')).fingerprint).toBe(
        plan.fingerprint,
      );
      const beta = await w.deploys.plan(r.id, 'beta');
      expect(beta.iac.project).toBe(seedFacts.iacBeta.project);
      expect(beta.fingerprint).not.toBe(plan.fingerprint);

      await expect(w.deploys.plan(r.id, 'staging')).rejects.toThrow(
        new InputError("environment: 'staging' is not one of beta, prod"),
      );
      // Planning reads and writes nothing.
      expect(await w.runRows()).toBe(0);
    });

    it('deploys only the plan shown, and only once the approvals carry its fingerprint', async () => {
      const w = await setUp();
      const r = await w.create();
      const plan = await w.deploys.plan(r.id, 'prod');
      const before = w.commits();
      const pressed = (fingerprint: string) =>
        press(w, r.id, fingerprint, 'press-deploy');

      // Approved without a plan: the approvers saw nothing that runs.
      await approve(w, r.id);
      const changed = await pressed('0'.repeat(64)).catch((e: Error) => e);
      expect(changed).toBeInstanceOf(ConflictError);
      expect((changed as Error).message).toBe(
        `fingerprint: the plan changed since it was shown (now ${plan.fingerprint.slice(
          0,
          12,
        )}); look at the new plan and press Deploy again`,
      );
      await expect(pressed(plan.fingerprint)).rejects.toThrow(
        new ConflictError(
          'fingerprint: the approvals were given without a plan; ask for approval again so approvers see what runs',
        ),
      );

      // Approved for another plan.
      const other = 'c'.repeat(64);
      await approve(w, r.id, other);
      await expect(pressed(plan.fingerprint)).rejects.toThrow(
        new ConflictError(
          `fingerprint: the plan is not the one approved (approved ${other.slice(
            0,
            12,
          )}, now ${plan.fingerprint.slice(
            0,
            12,
          )}); ask for approval of the new plan`,
        ),
      );
      expect(await w.runRows()).toBe(0);
      expect((await w.releases.get(r.id)).state).toBe('approved');
      expect(w.commits()).toBe(before);

      // Approved for the plan shown: it runs.
      await approve(w, r.id, plan.fingerprint);
      const run = await pressed(plan.fingerprint);
      expect(run).toMatchObject({
        releaseId: r.id,
        environment: 'prod',
        kind: 'deploy',
        startedBy: dev.ref,
        plan: { fingerprint: plan.fingerprint },
      });
      expect(run.steps.map(s => s.stepId)).toEqual(sandboxProdSteps);
      expect((await w.releases.get(r.id)).state).toBe('deploying');
      expect(await w.runRows()).toBe(1);
      // The first step committed the image to green, and nothing more.
      expect(w.commits()).toBe(before + 1);
      const view = await w.deploys.view(dev, r.id, everything);
      expect(view.approvedFingerprint).toBe(plan.fingerprint);
      expect(view.runs.map(x => x.id)).toEqual([run.id]);
      const [start] = (
        await w.releases.audit.list({ releaseId: r.id, limit: 100 })
      ).filter(row => row.action === 'deploy.start');
      expect(start).toMatchObject({
        requestId: 'press-deploy',
        meta: {
          onBehalfOf: dev.ref,
          runId: run.id,
          fingerprint: plan.fingerprint,
        },
      });
    });

    it('stops the line: a lead raises it with a reason, no deploy starts, a running run holds before its next git step until a person resumes after the lift', async () => {
      const w = await setUp();
      const { release, run } = await deploying(w);
      const committed = w.commits();
      expect((await w.engine.get(run.id))?.steps[0].state).toBe('waiting');

      await expect(
        w.deploys.raiseHalt(dev, { reason: 'Payment outage INC-4411' }, ctx),
      ).rejects.toThrow(
        new NotAllowedError('Only team-lead may stop the line'),
      );
      await expect(
        w.deploys.raiseHalt(lead, { reason: 'outage' }, ctx),
      ).rejects.toThrow(InputError);
      expect(await w.deploys.currentHalt()).toBeUndefined();

      const reason = 'Payment outage INC-4411: nothing ships';
      const raisedFrom = Date.now();
      const raised = await Promise.allSettled([
        w.deploys.raiseHalt(lead, { reason }, { requestId: 'halt-1' }),
        w.deploys.raiseHalt(lead, { reason }, { requestId: 'halt-2' }),
      ]);
      expect(raised.map(x => x.status).sort()).toEqual([
        'fulfilled',
        'rejected',
      ]);
      expect(
        (raised.find(x => x.status === 'rejected') as PromiseRejectedResult)
          .reason,
      ).toEqual(new ConflictError('state: the line is already stopped'));
      const halt = await w.deploys.currentHalt();
      expect(halt).toEqual({ by: lead.ref, reason, at: expect.any(String) });
      expect(Date.parse(halt!.at)).toBeGreaterThanOrEqual(raisedFrom);
      expect(Date.parse(halt!.at)).toBeLessThanOrEqual(Date.now());
      expect(await auditOf(w.releases, 'deploy.stop-the-line')).toMatchObject([
        { actor: lead.ref, outcome: 'success', meta: { reason } },
      ]);

      // No deploy starts while the line is stopped.
      const another = await approvedForPlan(w);
      await expect(
        press(w, another.release.id, another.plan.fingerprint),
      ).rejects.toThrow(
        `state: the line is stopped by ${lead.ref} (${reason}); no release deploys until it is lifted`,
      );
      expect(await w.engine.runsOf(another.release.id)).toEqual([]);

      // The running run finishes its step, then holds before the next git step.
      const held = await wakeUntil(w, run.id, x => x.state === 'paused');
      expect(held).toMatchObject({
        state: 'paused',
        pausedReason: `Stop-the-line by ${lead.ref}: ${reason}`,
      });
      expect(held.steps.slice(0, 2).map(s => [s.stepId, s.state])).toEqual([
        ['hybris.image', 'done'],
        ['hybris.scale-up.3', 'pending'],
      ]);
      expect(w.commits()).toBe(committed);
      expect((await w.releases.get(release.id)).state).toBe('paused');
      expect(await auditOf(w.releases, 'deploy.hold')).toMatchObject([
        {
          releaseId: release.id,
          meta: {
            runId: run.id,
            stepId: 'hybris.scale-up.3',
            reason: held.pausedReason,
          },
        },
      ]);
      const view = await w.deploys.view(dev, release.id, everything);
      expect(view.halt).toEqual(halt);
      expect(view.runs[0].pausedReason).toBe(held.pausedReason);
      expect(view.controls.resume).toEqual({
        enabled: false,
        reason: `The line is stopped by ${lead.ref}: ${reason}`,
      });
      await expect(
        w.deploys.resume(dev, release.id, run.id, {}, ctx),
      ).rejects.toThrow(
        new ConflictError(
          `state: the line is stopped by ${lead.ref} (${reason}); lift it first`,
        ),
      );

      await expect(
        w.deploys.liftHalt(dev, { reason: 'INC-4411 is resolved' }, ctx),
      ).rejects.toThrow(NotAllowedError);
      await w.deploys.liftHalt(lead, { reason: 'INC-4411 is resolved' }, ctx);
      expect(await w.deploys.currentHalt()).toBeUndefined();
      expect(
        await auditOf(w.releases, 'deploy.lift-stop-the-line'),
      ).toMatchObject([
        { actor: lead.ref, meta: { reason: 'INC-4411 is resolved' } },
      ]);
      await expect(
        w.deploys.liftHalt(lead, { reason: 'INC-4411 is resolved' }, ctx),
      ).rejects.toThrow(new ConflictError('state: the line is not stopped'));
      // Lifting moves nothing by itself: the held run waits for a person.
      expect((await w.engine.get(run.id))?.state).toBe('paused');

      await w.deploys.resume(dev, release.id, run.id, {}, ctx);
      await w.engine.idle();
      expect((await w.engine.get(run.id))?.steps[1].state).not.toBe('pending');
      expect(w.commits()).toBe(committed + 1);
      expect(await w.releases.audit.verify()).toMatchObject({ ok: true });
    });

    it('holds a run whose next production step falls outside the window, naming the next window; a lead resumes it with a reason', async () => {
      const w = await setUp();
      const { release, run } = await deploying(w);
      const committed = w.commits();

      w.clock.now = outOfWindow;
      const held = await wakeUntil(w, run.id, x => x.state === 'paused');
      const opening = describeWindowOpening(
        nextReleaseWindow(w.releases.policy, outOfWindow)!,
      );
      expect(opening).toBe(
        'Mon 30 Nov 10:00 Asia/Seoul (2026-11-30T01:00:00.000Z)',
      );
      expect(held.pausedReason).toBe(
        `Outside the release windows; the next window opens ${opening}. A team lead may resume with a reason.`,
      );
      expect(held.steps.slice(0, 2).map(s => s.state)).toEqual([
        'done',
        'pending',
      ]);
      expect(w.commits()).toBe(committed);
      expect((await w.releases.get(release.id)).state).toBe('paused');
      expect(
        (await w.deploys.view(dev, release.id, everything)).controls.resume,
      ).toEqual({ enabled: true, needsReason: true });

      // Only a lead lets it run on, and only with a reason.
      await expect(
        w.deploys.resume(dev, release.id, run.id, {}, ctx),
      ).rejects.toThrow(NotAllowedError);
      await expect(
        w.deploys.resume(lead, release.id, run.id, {}, ctx),
      ).rejects.toThrow(InputError);
      expect((await w.engine.get(run.id))?.state).toBe('paused');
      expect((await w.releases.get(release.id)).windowOverride).toBeUndefined();

      const reason = '결제 장애 재발 방지 긴급 반영, 팀장 승인';
      const resumed = await w.deploys.resume(
        lead,
        release.id,
        run.id,
        { reason },
        { requestId: 'resume-out-of-window' },
      );
      expect(resumed.state).toBe('running');
      await w.engine.idle();
      expect((await w.releases.get(release.id)).windowOverride).toEqual({
        by: lead.ref,
        reason,
      });
      const going = (await w.engine.get(run.id))!;
      expect(going.state).toBe('waiting');
      expect(going.pausedReason).toBeUndefined();
      expect(going.steps[1].state).toBe('waiting');
      expect(w.commits()).toBe(committed + 1);
      const rows = await w.releases.audit.list({
        releaseId: release.id,
        limit: 1000,
      });
      expect(
        rows.find(row => row.action === 'release.window-override'),
      ).toMatchObject({
        actor: lead.ref,
        requestId: 'resume-out-of-window',
        after: { windowOverride: { by: lead.ref, reason } },
      });
      expect(rows.find(row => row.action === 'deploy.resume')).toMatchObject({
        requestId: 'resume-out-of-window',
        meta: { onBehalfOf: lead.ref, runId: run.id },
      });
    });

    it('shows each control disabled with the reason: no permission, no run, a skip that needs a lead', async () => {
      const w = await setUp();
      const { release: r, plan } = await approvedForPlan(w);

      const denied = await w.deploys.view(dev, r.id, nothing);
      expect(denied.controls).toEqual({
        deploy: {
          enabled: false,
          reason: 'You lack the release.deploy permission',
        },
        deployBeta: {
          enabled: false,
          reason: 'No beta environment is configured (release.beta)',
        },
        pause: {
          enabled: false,
          reason: 'You lack the release.deploy.control permission',
        },
        resume: {
          enabled: false,
          reason: 'You lack the release.deploy.control permission',
        },
        retry: {
          enabled: false,
          reason: 'You lack the release.deploy.control permission',
        },
        skip: {
          enabled: false,
          reason: 'You lack the release.deploy.control permission',
        },
        abort: {
          enabled: false,
          reason: 'You lack the release.abort permission',
        },
        acknowledge: {
          enabled: false,
          reason: 'This release changes no database schema',
        },
        requestApproval: {
          enabled: false,
          reason: 'You lack the release.create permission',
        },
      });

      const idle = await w.deploys.view(dev, r.id, everything);
      expect(idle).toMatchObject({
        runs: [],
        acknowledgements: [],
        approvedFingerprint: plan.fingerprint,
        twoVersionsLive: false,
      });
      expect(idle.halt).toBeUndefined();
      expect(idle.controls).toEqual({
        deploy: { enabled: true },
        deployBeta: {
          enabled: false,
          reason: 'No beta environment is configured (release.beta)',
        },
        pause: { enabled: false, reason: 'No run is moving' },
        resume: { enabled: false, reason: 'No run is paused' },
        retry: { enabled: false, reason: 'No step has failed' },
        skip: {
          enabled: false,
          reason: 'Pause the run first, then skip a step',
        },
        abort: {
          enabled: false,
          reason: 'The release is approved; nothing is being deployed',
        },
        acknowledge: {
          enabled: false,
          reason: 'This release changes no database schema',
        },
        requestApproval: {
          enabled: false,
          reason: "No run stopped on someone else's change",
        },
      });
      w.clock.now = outOfWindow;
      expect(
        (await w.deploys.view(dev, r.id, everything)).controls.deploy,
      ).toEqual({ enabled: true, needsReason: true });
      w.clock.now = inWindow;

      const run = await press(w, r.id, plan.fingerprint);
      await w.deploys.pause(dev, r.id, run.id, ctx);
      const mine = await w.deploys.view(dev, r.id, everything);
      expect(mine.runs[0]).toMatchObject({
        state: 'paused',
        pausedReason: `Paused by ${dev.ref}`,
      });
      expect(mine.controls).toMatchObject({
        deploy: { enabled: false, reason: 'A deploy run is paused' },
        pause: { enabled: false, reason: 'No run is moving' },
        resume: { enabled: true },
        skip: { enabled: false, reason: 'Only team-lead may skip a step' },
        abort: { enabled: true, needsReason: true },
      });
      expect(
        (await w.deploys.view(lead, r.id, everything)).controls.skip,
      ).toEqual({ enabled: true, needsReason: true });
      await expect(
        w.deploys.skip(
          dev,
          r.id,
          run.id,
          { step: 1, reason: 'pods start slowly on Fridays' },
          ctx,
        ),
      ).rejects.toThrow(new NotAllowedError('Only team-lead may skip a step'));
      expect((await w.engine.get(run.id))?.steps[1].state).toBe('pending');
    });

    it('stores a db-schema acknowledgement on the release once, audited, and shows it', async () => {
      const w = await setUp();
      const r = await w.create('D', true);
      expect(
        (await w.deploys.view(dev, r.id, everything)).controls.acknowledge,
      ).toEqual({ enabled: true, needsReason: true });
      const comment =
        'blue (deploy-2026-01-06) reads the new column as optional';
      await w.deploys.acknowledge(
        dev,
        r.id,
        { subject: 'db-schema', comment },
        { requestId: 'ack-1' },
      );
      const acknowledgement = {
        subject: 'db-schema',
        by: dev.ref,
        at: inWindow.toISOString(),
        comment,
      };
      expect((await w.releases.get(r.id)).acknowledgements).toEqual([
        acknowledgement,
      ]);
      // Asked again, it stays as it was and writes nothing.
      await w.deploys.acknowledge(
        lead,
        r.id,
        { subject: 'db-schema', comment: 'said again by someone else' },
        ctx,
      );
      const rows = (
        await w.releases.audit.list({ releaseId: r.id, limit: 100 })
      ).filter(row => row.action === 'release.acknowledge');
      expect(rows).toMatchObject([
        {
          actor: dev.ref,
          requestId: 'ack-1',
          outcome: 'success',
          after: { acknowledgements: [acknowledgement] },
        },
      ]);
      const view = await w.deploys.view(lead, r.id, everything);
      expect(view.acknowledgements).toEqual([acknowledgement]);
      expect(view.controls.acknowledge).toEqual({
        enabled: false,
        reason: 'Acknowledged',
      });

      const plain = await w.create();
      await expect(
        w.deploys.acknowledge(
          dev,
          plain.id,
          { subject: 'db-schema', comment },
          ctx,
        ),
      ).rejects.toThrow(
        new ConflictError(
          'subject: this release changes no database schema; there is nothing to acknowledge',
        ),
      );
      expect((await w.releases.get(plain.id)).acknowledgements).toEqual([]);
    });

    it('aborts a release whose deploy changed nothing yet: the release ends aborted and nothing is committed', async () => {
      const w = await setUp();
      const { release: r, plan } = await approvedForPlan(w);
      await expect(
        w.deploys.abort(
          lead,
          r.id,
          { reason: 'the release is not needed' },
          ctx,
        ),
      ).rejects.toThrow(
        new ConflictError(
          'state: the release is approved; close it with the transition to aborted',
        ),
      );
      const before = w.commits();
      // GitLab refuses the first commit: the run pauses on its first step, having written nothing.
      w.sandbox.context.faults.add({
        path: '/gitlab/api/v4/projects/',
        method: 'POST',
        count: 1000,
        status: 403,
        body: { message: '403 Forbidden' },
      });
      try {
        const run = await press(w, r.id, plan.fingerprint);
        expect(await w.engine.get(run.id)).toMatchObject({
          state: 'paused',
          pausedReason: expect.stringMatching(/^hybris\.image failed: /),
        });

        const abort = await w.deploys.abort(
          lead,
          r.id,
          { reason: 'GitLab token lacks push rights' },
          { requestId: 'abort-1' },
        );
        await w.engine.idle();
        expect(abort).toMatchObject({
          kind: 'abort',
          startedBy: lead.ref,
          plan: {
            steps: [],
            notes: [
              'Nothing to undo: no step of the deploy changed anything yet; the abort changes nothing',
            ],
          },
        });
        expect((await w.engine.get(abort!.id))?.state).toBe('done');
        expect((await w.engine.get(run.id))?.state).toBe('aborted');
        expect((await w.releases.get(r.id)).state).toBe('aborted');
      } finally {
        w.sandbox.context.faults.clear();
      }
      expect(w.commits()).toBe(before);
      expect(
        (await w.releases.audit.list({ releaseId: r.id, limit: 200 })).find(
          row => row.action === 'deploy.start' && row.meta?.kind === 'abort',
        ),
      ).toMatchObject({
        requestId: 'abort-1',
        meta: { onBehalfOf: lead.ref, steps: 0 },
      });
    });

    it("stops on someone else's commit to a file a step writes, committing nothing, and goes on only with the plan rebased onto it, approved again", async () => {
      const w = await setUp();
      const { release, plan, run, at, first, someoneElse, webValues } =
        await stoppedBySomeoneElse(w);
      const [{ from: runningTag, to: newTag }] = plan.steps[at].git!.changes;
      const paused = (await w.engine.get(run.id))!;
      expect(paused.steps.map(s => s.state)).toEqual([
        ...plan.steps.slice(0, at).map(() => 'done'),
        'failed',
        'pending',
        'pending',
      ]);
      expect(paused.steps[at].lastError).toMatch(
        /^IaC kop\/kop-deploy-prod: someone else changed web\/values\.yaml since the plan was approved: .*; nothing was committed, approve the plan again$/,
      );
      expect((await w.releases.get(release.id)).state).toBe('paused');
      expect(await webValues()).toEqual({
        'image.tag': runningTag,
        replicaCount: 5,
      });
      const committed = w.commits();

      // The card shows what changed, who changed it, and the plan again on top of it.
      const view = await w.deploys.view(dev, release.id, everything);
      const rebased = view.rebase!.plan!;
      expect(view.rebase).toMatchObject({
        runId: run.id,
        fromStep: at,
        changes: [{ file: WEB, key: 'replicaCount', planned: 3, now: 5 }],
        commits: [
          {
            sha: first.sha,
            author: 'lee.jiho',
            title: 'web: 5 replicas for the sale',
          },
        ],
      });
      expect(rebased.fingerprint).not.toBe(plan.fingerprint);
      expect(rebased.steps.slice(0, at)).toEqual(plan.steps.slice(0, at));
      expect(rebased.steps[at].git!.changes).toEqual(
        plan.steps[at].git!.changes,
      );
      expect(
        readYamlValues(rebased.steps[at].git!.files[WEB], [
          'image.tag',
          'replicaCount',
        ]),
      ).toEqual({ 'image.tag': newTag, replicaCount: 5 });
      // Approvers see the same plan through GET /plan.
      expect(await w.deploys.plan(release.id, 'prod')).toEqual(rebased);
      expect(view.controls).toMatchObject({
        resume: {
          enabled: false,
          reason: `someone else's change stopped the run; its new plan ${short(
            rebased.fingerprint,
          )} must be approved first (the release is paused)`,
        },
        retry: {
          enabled: false,
          reason:
            "web.version would write over someone else's change: its new plan is approved, then Resume runs it",
        },
        requestApproval: { enabled: true },
        abort: { enabled: true, needsReason: true },
      });
      expect(
        (await w.deploys.view(pl, release.id, everything)).controls
          .requestApproval,
      ).toEqual({
        enabled: false,
        reason: `Only the author, ${dev.ref}, asks for approval`,
      });

      // Resume without the new plan approved is refused, naming the fingerprint.
      for (const fingerprint of [undefined, rebased.fingerprint]) {
        await expect(
          w.deploys.resume(dev, release.id, run.id, { fingerprint }, ctx),
        ).rejects.toThrow(
          new ConflictError(
            `fingerprint: someone else's change stopped the run; its new plan ${short(
              rebased.fingerprint,
            )} must be approved first (the release is paused)`,
          ),
        );
      }
      await expect(askAgain(w, run, plan.fingerprint)).rejects.toThrow(
        new ConflictError(
          `fingerprint: the plan changed since it was shown (now ${short(
            rebased.fingerprint,
          )}); look at the new plan and ask again`,
        ),
      );

      // The author asks again: the approvals of the old plan are superseded, approvers are asked.
      await askAgain(w, run, rebased.fingerprint);
      expect((await w.releases.get(release.id)).state).toBe(
        'awaiting_approval',
      );
      const asked = await w.deploys.view(dev, release.id, everything);
      expect(asked.approvedFingerprint).toBeUndefined();
      expect(asked.controls.requestApproval).toEqual({
        enabled: false,
        reason: 'The approvers have been asked',
      });
      expect(
        (await w.releases.pendingFor(pl)).map(p => p.release.id),
      ).toContain(release.id);
      await expect(
        w.releases.transition(dev, release.id, { to: 'prepared' }, ctx),
      ).rejects.toThrow(/^state: the release's deploy run stopped mid-way;/);
      await approvedBy(w, release.id, rebased.fingerprint);
      expect((await w.releases.get(release.id)).state).toBe('approved');
      expect(w.commits()).toBe(committed);

      // The branch moves again before Resume: the approved plan is not what would run.
      const second = await someoneElse(6, 'web: 6 replicas after all');
      await expect(
        w.deploys.resume(
          dev,
          release.id,
          run.id,
          { fingerprint: rebased.fingerprint },
          ctx,
        ),
      ).rejects.toThrow(ConflictError);
      const newer = await w.deploys.view(dev, release.id, everything);
      const latest = newer.rebase!.plan!;
      expect(latest.fingerprint).not.toBe(rebased.fingerprint);
      expect(newer.rebase).toMatchObject({
        changes: [{ file: WEB, key: 'replicaCount', planned: 3, now: 6 }],
        commits: [{ sha: second.sha }, { sha: first.sha }],
      });
      expect(newer.controls.resume).toEqual({
        enabled: false,
        reason: `the plan is not the one approved (approved ${short(
          rebased.fingerprint,
        )}, now ${short(
          latest.fingerprint,
        )}); ask for approval of the new plan`,
      });
      expect(newer.controls.requestApproval).toEqual({ enabled: true });
      await askAgain(w, run, latest.fingerprint);
      await approvedBy(w, release.id, latest.fingerprint);
      expect(
        (await w.deploys.view(dev, release.id, everything)).controls.resume,
      ).toEqual({ enabled: true });

      const resumed = await w.deploys.resume(
        dev,
        release.id,
        run.id,
        { fingerprint: latest.fingerprint },
        { requestId: 'resume-rebased' },
      );
      expect(resumed).toMatchObject({
        state: 'running',
        plan: { fingerprint: latest.fingerprint },
      });
      expect(
        (
          await w.releases.audit.list({ releaseId: release.id, limit: 500 })
        ).filter(row => row.action === 'deploy.rebase'),
      ).toMatchObject([
        {
          requestId: 'resume-rebased',
          meta: {
            onBehalfOf: dev.ref,
            runId: run.id,
            stepId: 'web.version',
            fingerprint: latest.fingerprint,
            replaces: plan.fingerprint,
            from: 'approved',
            to: 'deploying',
          },
        },
      ]);

      // The run goes to its end; its commit sits on top of the other's and holds both.
      let end = await w.engine.get(run.id);
      for (let i = 0; i < 100 && end?.state !== 'done'; i++) {
        await signOffWhenAsked(w.releases, release.id);
        await w.engine.wake(run.id);
        await w.engine.idle();
        await new Promise(r => setTimeout(r, 20));
        end = await w.engine.get(run.id);
      }
      expect(end?.state).toBe('done');
      expect((await w.releases.get(release.id)).state).toBe('done');
      expect(w.commits()).toBe(committed + 2);
      expect(await webValues()).toEqual({
        'image.tag': newTag,
        replicaCount: 6,
      });
      const [last] = await w.gitlab.listCommits(seedFacts.iac.project, {
        ref: seedFacts.iac.branch,
        limit: 1,
      });
      expect(last.parentShas).toEqual([second.sha]);
      expect(last.message).toContain('Release-Step: web.version');
      expect(await w.releases.audit.verify()).toMatchObject({ ok: true });
    });

    it('keeps the run paused when approvers reject its new plan, and Abort still reverts the release while the new plan awaits approval', async () => {
      const w = await setUp();
      const { release, run } = await stoppedBySomeoneElse(w);
      const rebased = (await w.deploys.view(dev, release.id, everything))
        .rebase!.plan!;
      await askAgain(w, run, rebased.fingerprint);
      await w.releases.decide(
        pl,
        release.id,
        {
          decision: 'reject',
          stage: 'approval',
          comment: 'lee.jiho is load-testing web; wait for him',
        },
        ctx,
      );
      expect((await w.releases.get(release.id)).state).toBe('paused');
      expect((await w.engine.get(run.id))!.state).toBe('paused');

      await askAgain(w, run, rebased.fingerprint);
      const asked = await w.deploys.view(lead, release.id, everything);
      expect(asked.controls).toMatchObject({
        abort: { enabled: true, needsReason: true },
        skip: {
          enabled: false,
          reason: 'The new plan is being approved: resume with it, or abort',
        },
      });
      await expect(
        w.deploys.skip(
          lead,
          release.id,
          run.id,
          {
            step: asked.rebase!.fromStep,
            reason: 'web replicas are set by hand',
          },
          ctx,
        ),
      ).rejects.toThrow(
        new ConflictError(
          "state: the release is awaiting_approval while its run's new plan is approved; resume with the approved plan, or abort",
        ),
      );
      const committed = w.commits();
      const abort = await w.deploys.abort(
        lead,
        release.id,
        { reason: 'web is being load-tested; ship next week' },
        ctx,
      );
      await w.engine.idle();
      expect(abort?.kind).toBe('abort');
      expect((await w.engine.get(abort!.id))?.state).toBe('done');
      expect((await w.engine.get(run.id))?.state).toBe('aborted');
      expect((await w.releases.get(release.id)).state).toBe('aborted');
      // web.version never ran and cms is never reverted: nothing to commit.
      expect(w.commits()).toBe(committed);
    });
  },
);
