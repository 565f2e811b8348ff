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
  ReleaseIntegrations,
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
};
const nothing: DeployPermissions = {
  deploy: false,
  control: false,
  abort: false,
  stopTheLine: false,
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

    /** Asked for approval, and approved by the PL for the plan they saw (or none). */
    async function approve(w: World, id: string, fingerprint?: string) {
      await w.releases.requestApproval(dev, id, ctx);
      return w.releases.decide(
        pl,
        id,
        { decision: 'approve', stage: 'approval', fingerprint },
        ctx,
      );
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
  },
);
