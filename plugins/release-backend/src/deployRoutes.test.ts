import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Knex } from 'knex';
import { seedFacts } from 'sandbox';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from './__testUtils__/databases';
import { user } from './__testUtils__/org';
import {
  sandboxEngineConfig,
  sandboxProdSteps,
  sandboxVersions,
  startTestSandbox,
} from './__testUtils__/sandboxConfig';

jest.setTimeout(120_000);

const as = (name: string) => mockCredentials.user.header(user(name));
const api = '/api/release';
type Server = Parameters<typeof request>[0];

// At file level: the backends run until the file ends, so their databases and sandboxes must too.
const databases = createTestDatabases();
const sandboxes: Array<Awaited<ReturnType<typeof startTestSandbox>>> = [];
afterAll(() => Promise.all(sandboxes.map(s => s.dispose())));

describe.each(databaseIds)(
  'deploy routes on %s, the plugin wired to the sandbox',
  databaseId => {
    let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
    let knex: Knex;
    let server: Server;
    let versions: Awaited<ReturnType<typeof sandboxVersions>>;

    // One world for the block: each test deploys a release of its own, in the order below.
    beforeAll(async () => {
      sandbox = await startTestSandbox();
      sandboxes.push(sandbox);
      knex = await initMigrated(databases, databaseId);
      ({ server } = await startReleaseBackend({
        knex,
        config: {
          ...sandboxEngineConfig(sandbox),
          ...alwaysOpen,
          // Runs look again every 100 ms, so they reach their gates while the test watches.
          release: { ...alwaysOpen.release, engine: { pollMs: 100 } },
        },
      }));
      versions = await sandboxVersions(sandbox);
    });

    const item = {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      source: { type: 'asana', gid: '1209000000000042' },
    };
    const hybrisCmsWeb = () => [
      { app: 'hybris', version: seedFacts.hybris.candidate },
      { app: 'cms', version: versions.cms },
      { app: 'web', version: versions.web },
    ];

    const post = (path: string, who: string, body: object = {}) =>
      request(server)
        .post(`${api}${path}`)
        .set('authorization', as(who))
        .send(body);
    const get = (path: string, who = 'kim.minjun') =>
      request(server).get(`${api}${path}`).set('authorization', as(who));

    async function create(
      author: string,
      over: { grade?: string; dbUpdate?: boolean; apps?: object[] } = {},
    ): Promise<string> {
      const res = await post('/releases', author, {
        grade: 'B',
        dbUpdate: false,
        apps: hybrisCmsWeb(),
        items: [item],
        ...over,
      });
      expect([res.status, res.body.error?.message]).toEqual([201, undefined]);
      return res.body.id;
    }

    /** The plan shown now, asked for approval and approved by `approvers` for that plan. */
    async function approved(
      id: string,
      author: string,
      approvers: string[],
    ): Promise<string> {
      const plan = await get(`/releases/${id}/plan?environment=prod`, author);
      expect(plan.status).toBe(200);
      await post(`/releases/${id}/request-approval`, author).expect(200);
      for (const approver of approvers) {
        await post(`/releases/${id}/approvals`, approver, {
          decision: 'approve',
          fingerprint: plan.body.fingerprint,
        }).expect(200);
      }
      return plan.body.fingerprint;
    }

    /** Reads until `check` holds, or fails after 30 s. */
    async function until<T>(read: () => Promise<T>, check: (t: T) => boolean) {
      for (let i = 0; i < 300; i++) {
        const value = await read();
        if (check(value)) return value;
        await new Promise(r => setTimeout(r, 100));
      }
      throw new Error('Never got there');
    }

    const runRows = async () =>
      Number(
        (
          await knex('deploy_runs').count<{ n: number | string }[]>({ n: '*' })
        )[0].n,
      );

    it('serves the plan, deploys only the plan its approvals carry, refuses closing a deploying release by hand, and aborts it', async () => {
      const id = await create('kim.minjun');
      const plan = await get(`/releases/${id}/plan?environment=prod`);
      expect(plan.status).toBe(200);
      expect(plan.body.steps.map((s: { id: string }) => s.id)).toEqual(
        sandboxProdSteps,
      );
      const { fingerprint } = plan.body;
      expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);

      // Approved for a plan nobody is shown any more.
      const other = 'e'.repeat(64);
      await post(`/releases/${id}/request-approval`, 'kim.minjun').expect(200);
      await post(`/releases/${id}/approvals`, 'choi.yuna', {
        decision: 'approve',
        fingerprint: other,
      }).expect(200);
      const stale = await post(`/releases/${id}/deploy`, 'kim.minjun', {
        environment: 'prod',
        fingerprint,
      });
      expect([stale.status, stale.body.error?.message]).toEqual([
        409,
        `fingerprint: the plan is not the one approved (approved ${other.slice(
          0,
          12,
        )}, now ${fingerprint.slice(0, 12)}); ask for approval of the new plan`,
      ]);
      const unseen = await post(`/releases/${id}/deploy`, 'kim.minjun', {
        fingerprint: '0'.repeat(64),
      });
      expect(unseen.status).toBe(409);
      expect(unseen.body.error.message).toMatch(
        /^fingerprint: the plan changed since it was shown/,
      );
      expect((await get(`/releases/${id}/deploy`)).body.runs).toEqual([]);

      // Asked again and approved for the plan shown, it deploys.
      expect(await approved(id, 'kim.minjun', ['choi.yuna'])).toBe(fingerprint);
      const started = await post(`/releases/${id}/deploy`, 'kim.minjun', {
        environment: 'prod',
        fingerprint,
      });
      expect(started.status).toBe(201);
      expect(started.body).toMatchObject({
        releaseId: id,
        kind: 'deploy',
        environment: 'prod',
        startedBy: user('kim.minjun'),
        plan: { fingerprint },
      });
      const runId = started.body.id;
      const soaking = await until(
        () => get(`/releases/${id}/deploy`),
        // The step waits before the run row says so: wait for both.
        res =>
          res.body.runs[0]?.steps[1].state === 'waiting' &&
          res.body.runs[0].state === 'waiting',
      );
      expect(soaking.body).toMatchObject({
        approvedFingerprint: fingerprint,
        runs: [{ id: runId, state: 'waiting' }],
        controls: {
          deploy: { enabled: false, reason: 'A deploy run is waiting' },
          pause: { enabled: true },
          abort: { enabled: true, needsReason: true },
        },
      });

      const close = await post(`/releases/${id}/transition`, 'kim.minjun', {
        to: 'aborted',
      });
      expect([close.status, close.body.error?.message]).toEqual([
        409,
        `state: the release is deploying; abort it with Abort (POST /releases/${id}/abort), which reverts what was deployed`,
      ]);
      expect((await get(`/releases/${id}`)).body.state).toBe('deploying');

      const abort = await post(`/releases/${id}/abort`, 'han.jisoo', {
        reason: 'the announcement date moved to next week',
      });
      expect(abort.status).toBe(200);
      expect(abort.body).toMatchObject({
        kind: 'abort',
        startedBy: user('han.jisoo'),
      });
      // The abort takes green back to 0 and its image back, in that order.
      expect(abort.body.steps.map((s: { stepId: string }) => s.stepId)).toEqual(
        ['abort.hybris.scale-down.new.0', 'abort.hybris.image'],
      );
      const aborted = await until(
        () => get(`/releases/${id}`),
        res => res.body.state === 'aborted',
      );
      expect(aborted.body.state).toBe('aborted');
      const runs = (await get(`/releases/${id}/deploy`)).body.runs;
      expect(
        runs.map((r: { kind: string; state: string }) => [r.kind, r.state]),
      ).toEqual([
        ['abort', 'done'],
        ['deploy', 'aborted'],
      ]);
    });

    it('never lets the author past the sign-off, by any route', async () => {
      const author = 'lee.seoyeon';
      const id = await create(author, {
        grade: 'D',
        apps: [{ app: 'web', version: versions.olderWeb }],
      });
      const fingerprint = await approved(id, author, [
        'yoon.seojun',
        'kang.minho',
      ]);
      const started = await post(`/releases/${id}/deploy`, author, {
        fingerprint,
      });
      expect(started.status).toBe(201);
      const runId = started.body.id;
      expect(
        started.body.steps.map((s: { stepId: string }) => s.stepId),
      ).toEqual(['web.version', 'signoff', 'announce']);
      await until(
        () => get(`/releases/${id}`),
        res => res.body.state === 'awaiting_signoff',
      );

      const tries = [
        await post(`/releases/${id}/transition`, author, { to: 'announced' }),
        await post(`/releases/${id}/approvals`, author, {
          decision: 'approve',
          stage: 'signoff',
        }),
        await post(`/releases/${id}/retro-approval`, author, {}),
        await post(`/releases/${id}/deploy`, author, { fingerprint }),
      ];
      expect(tries.map(res => res.status)).toEqual([400, 403, 409, 409]);
      expect(tries[0].body.error.message).toMatch(/^to: must be one of /);

      // Nobody skips the sign-off step, the author least of all.
      await post(`/releases/${id}/runs/${runId}/pause`, author).expect(200);
      const skip = { step: 1, reason: 'QA said it looked fine on beta' };
      const byAuthor = await post(
        `/releases/${id}/runs/${runId}/skip`,
        author,
        skip,
      );
      expect([byAuthor.status, byAuthor.body.error?.message]).toEqual([
        403,
        'Only team-lead may skip a step',
      ]);
      const byLead = await post(
        `/releases/${id}/runs/${runId}/skip`,
        'yoon.seojun',
        skip,
      );
      expect([byLead.status, byLead.body.error?.message]).toEqual([
        409,
        "steps[1]: signoff waits for a person's decision, which nobody can skip",
      ]);
      await post(`/releases/${id}/runs/${runId}/resume`, author).expect(200);

      const waiting = await until(
        () => get(`/releases/${id}/deploy`, author),
        res => res.body.runs[0].state === 'waiting',
      );
      expect(
        waiting.body.runs[0].steps.map((s: { state: string }) => s.state),
      ).toEqual(['done', 'waiting', 'pending']);
      expect((await get(`/releases/${id}`)).body.state).toBe(
        'awaiting_signoff',
      );

      // The superior's sign-off is what moves it on.
      const signed = await post(`/releases/${id}/approvals`, 'seo.yeongho', {
        decision: 'approve',
        stage: 'signoff',
      });
      expect([signed.status, signed.body.state]).toEqual([200, 'announced']);
    });

    it('answers bad input with 400 naming the field, and writes nothing', async () => {
      const id = await create('kim.minjun');
      const fingerprint = await approved(id, 'kim.minjun', ['choi.yuna']);
      const rows = await runRows();
      const audit = (await get('/audit/verify')).body.rows;
      const deploy = (body: object) =>
        post(`/releases/${id}/deploy`, 'kim.minjun', body);
      const cases: Array<[string, request.Test, string]> = [
        [
          'plan environment',
          get(`/releases/${id}/plan?environment=staging`),
          "environment: 'staging' is not one of beta, prod",
        ],
        [
          'plan environment name',
          get(`/releases/${id}/plan?environment=PROD;1`),
          'environment: must be an environment name',
        ],
        [
          'deploy environment',
          deploy({ environment: 'staging', fingerprint }),
          "environment: 'staging' is not one of beta, prod",
        ],
        [
          'fingerprint',
          deploy({ fingerprint: 'abc123' }),
          'fingerprint: must be the fingerprint of the plan shown',
        ],
        [
          'deploy reason',
          deploy({ fingerprint, reason: 'urgent' }),
          'reason: say why, in at least 10 characters',
        ],
        [
          'deploy extra',
          deploy({ fingerprint, force: true }),
          "body: Unrecognized key(s) in object: 'force'",
        ],
        [
          'abort reason',
          post(`/releases/${id}/abort`, 'han.jisoo', { reason: 'no' }),
          'reason: say why, in at least 10 characters',
        ],
        [
          'stop-the-line reason',
          post('/stop-the-line', 'han.jisoo', { reason: 'outage' }),
          'reason: say why, in at least 10 characters',
        ],
        [
          'acknowledgement subject',
          post(`/releases/${id}/acknowledgements`, 'kim.minjun', {
            subject: 'db',
            comment: 'blue reads the new column as optional',
          }),
          'subject: Invalid literal value',
        ],
        [
          'run id',
          post(`/releases/${id}/runs/not-a-run/pause`, 'kim.minjun'),
          'runId: must be a run id',
        ],
        [
          'step',
          post(
            `/releases/${id}/runs/00000000-0000-4000-8000-000000000000/retry`,
            'kim.minjun',
            { step: -1 },
          ),
          'step: Number must be greater than or equal to 0',
        ],
        [
          'unknown run',
          post(
            `/releases/${id}/runs/00000000-0000-4000-8000-000000000000/pause`,
            'kim.minjun',
          ),
          `runId: release ${id} has no run 00000000-0000-4000-8000-000000000000`,
        ],
      ];
      for (const [what, pending, message] of cases) {
        const res = await pending;
        expect([what, res.status, res.body.error?.message]).toEqual([
          what,
          400,
          expect.stringContaining(message),
        ]);
      }
      expect(await runRows()).toBe(rows);
      expect((await get('/audit/verify')).body.rows).toBe(audit);
      expect((await get('/stop-the-line')).body.halt).toBeUndefined();
      expect((await get(`/releases/${id}`)).body.state).toBe('approved');
    });

    it('names the step when a skip names one the run does not have, changing nothing', async () => {
      const id = await create('kim.minjun', {
        apps: [{ app: 'web', version: versions.web }],
      });
      const fingerprint = await approved(id, 'kim.minjun', ['jung.hyunwoo']);
      const started = await post(`/releases/${id}/deploy`, 'kim.minjun', {
        fingerprint,
      });
      expect(started.status).toBe(201);
      const runId = started.body.id;
      // Paused at the sign-off, where nothing moves until a person acts.
      await until(
        () => get(`/releases/${id}/deploy`),
        res => res.body.runs[0].steps[1].state === 'waiting',
      );
      await post(`/releases/${id}/runs/${runId}/pause`, 'kim.minjun').expect(
        200,
      );
      const before = (await get(`/releases/${id}/deploy`)).body.runs[0];
      const res = await post(
        `/releases/${id}/runs/${runId}/skip`,
        'han.jisoo',
        {
          step: 99,
          reason: 'skipping a step the run does not have',
        },
      );
      expect([res.status, res.body.error?.message]).toEqual([
        400,
        'step: the run has steps 0 to 2',
      ]);
      expect((await get(`/releases/${id}/deploy`)).body.runs[0]).toEqual(
        before,
      );
    });

    it('stops the line for a lead only, refuses deploys while it is stopped, and lifts it', async () => {
      const id = await create('kim.minjun');
      const fingerprint = await approved(id, 'kim.minjun', ['choi.yuna']);
      const reason = 'Payment outage INC-4411: nothing ships';

      const mayNot = {
        enabled: false,
        reason: 'Only team-lead may stop the line',
      };
      expect((await get('/stop-the-line', 'kim.minjun')).body).toEqual({
        toggle: mayNot,
      });
      expect((await get('/stop-the-line', 'han.jisoo')).body).toEqual({
        toggle: { enabled: true, needsReason: true },
      });
      const byDeveloper = await post('/stop-the-line', 'kim.minjun', {
        reason,
      });
      expect([byDeveloper.status, byDeveloper.body.error?.message]).toEqual([
        403,
        'Only team-lead may stop the line',
      ]);
      const raised = await post('/stop-the-line', 'han.jisoo', { reason });
      expect(raised.status).toBe(200);
      expect(raised.body).toEqual({
        halt: { by: user('han.jisoo'), reason, at: expect.any(String) },
      });
      expect((await get('/stop-the-line')).body).toEqual({
        ...raised.body,
        toggle: mayNot,
      });

      const refused = await post(`/releases/${id}/deploy`, 'kim.minjun', {
        fingerprint,
      });
      expect([refused.status, refused.body.error?.message]).toEqual([
        409,
        `state: the line is stopped by ${user(
          'han.jisoo',
        )} (${reason}); no release deploys until it is lifted`,
      ]);
      const view = (await get(`/releases/${id}/deploy`)).body;
      expect(view.halt).toEqual(raised.body.halt);
      expect(view.controls.deploy).toEqual({
        enabled: false,
        reason: `The line is stopped by ${user('han.jisoo')}: ${reason}`,
      });
      expect(view.runs).toEqual([]);

      await post('/stop-the-line/lift', 'han.jisoo', {
        reason: 'INC-4411 is resolved',
      }).expect(200, {});
      expect((await get('/stop-the-line')).body).toEqual({ toggle: mayNot });
      const trail = (await get('/audit?limit=1000')).body.items.filter(
        (row: { action: string }) => row.action.includes('stop-the-line'),
      );
      expect(
        trail.map((row: any) => [row.action, row.actor, row.meta.reason]),
      ).toEqual([
        ['deploy.stop-the-line', user('han.jisoo'), reason],
        [
          'deploy.lift-stop-the-line',
          user('han.jisoo'),
          'INC-4411 is resolved',
        ],
      ]);
    });

    it('stores a db-schema acknowledgement on the release and audits it', async () => {
      const id = await create('kim.minjun', { grade: 'D', dbUpdate: true });
      const comment =
        'blue (deploy-2026-01-06) reads the new column as optional';
      const res = await post(`/releases/${id}/acknowledgements`, 'kim.minjun', {
        subject: 'db-schema',
        comment,
      });
      expect(res.status).toBe(200);
      const acknowledgement = {
        subject: 'db-schema',
        by: user('kim.minjun'),
        at: expect.any(String),
        comment,
      };
      expect(res.body.acknowledgements).toEqual([acknowledgement]);
      expect(res.body.controls.acknowledge).toEqual({
        enabled: false,
        reason: 'Acknowledged',
      });
      expect((await get(`/releases/${id}`)).body.acknowledgements).toEqual([
        acknowledgement,
      ]);
      const trail = (await get(`/releases/${id}/audit`)).body.items;
      expect(
        trail.find((row: any) => row.action === 'release.acknowledge'),
      ).toMatchObject({
        actor: user('kim.minjun'),
        outcome: 'success',
        after: { acknowledgements: [acknowledgement] },
      });
    });

    it('shows the controls disabled to a person without the permissions, and refuses their presses', async () => {
      const id = await create('kim.minjun');
      const fingerprint = await approved(id, 'kim.minjun', ['choi.yuna']);
      const denied = await startReleaseBackend({
        knex,
        permission: AuthorizeResult.DENY,
        config: { ...sandboxEngineConfig(sandbox), ...alwaysOpen },
      });
      const view = await request(denied.server)
        .get(`${api}/releases/${id}/deploy`)
        .set('authorization', as('kim.minjun'));
      expect(view.status).toBe(200);
      const lacks = (permission: string) => ({
        enabled: false,
        reason: `You lack the ${permission} permission`,
      });
      expect(view.body.controls).toMatchObject({
        deploy: lacks('release.deploy'),
        pause: lacks('release.deploy.control'),
        abort: lacks('release.abort'),
      });

      const press = await request(denied.server)
        .post(`${api}/releases/${id}/deploy`)
        .set('authorization', as('kim.minjun'))
        .send({ fingerprint });
      expect([press.status, press.body.error?.message]).toEqual([
        403,
        'You lack the release.deploy permission',
      ]);
      expect((await get(`/releases/${id}`)).body.state).toBe('approved');
    });
  },
);
