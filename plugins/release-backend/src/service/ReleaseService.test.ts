import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  defaultGradePolicy,
  describeWindowOpening,
  nextReleaseWindow,
  type CreateReleaseRequest,
  type ReleaseApp,
  type ReleaseState,
} from '@internal/plugin-release-common';
import type { Knex } from 'knex';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import { groupsOf, HYBRIS_TEAM, user, WEB_TEAM } from '../__testUtils__/org';
import type { StepOutputs } from '@internal/plugin-release-node';
import { stageOf } from '../engine/stages';
import type { DeployRun } from '../engine/types';
import { ReleaseService, type Actor } from './ReleaseService';
import type { VersionCheck } from './versions';

jest.setTimeout(60_000);

const actor = (name: string, isAdmin = false): Actor => ({
  ref: user(name),
  groups: groupsOf(user(name)),
  isAdmin,
});
const dev = actor('kim.minjun');
const pl = actor('choi.yuna');
const webPl = actor('jung.hyunwoo');
const lead = actor('han.jisoo');
const infra = actor('kang.minho');
const director = actor('seo.yeongho');
const director2 = actor('baek.eunji');
const ctx = { requestId: 'req-1' };

// Wednesday 2026-11-25 11:00 in Seoul: inside the default window.
const inWindow = new Date('2026-11-25T02:00:00Z');
// Friday 2026-11-27 11:00 in Seoul: outside it.
const outOfWindow = new Date('2026-11-27T02:00:00Z');

const request = (
  over: Partial<CreateReleaseRequest> = {},
): CreateReleaseRequest => ({
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
  ...over,
});

describe.each(databaseIds)('ReleaseService on %s', databaseId => {
  const databases = createTestDatabases();
  let knex: Knex;
  let now = inWindow;
  const notifier = { approvalsNeeded: jest.fn(), decided: jest.fn() };
  const versions = jest.fn<Promise<void>, Parameters<VersionCheck>>();
  const signals = { publish: jest.fn() };

  async function service() {
    knex = await initMigrated(databases, databaseId);
    return new ReleaseService({
      knex,
      logger: mockServices.logger.mock(),
      policy: defaultGradePolicy,
      product: 'kop',
      strategies: {
        hybris: 'blue-green-steps',
        cms: 'branch-merge-sync',
        web: 'sync',
      },
      defaultSteps: [3, 6, 9],
      versions,
      signals,
      serviceTeamsOf: async (apps: ReleaseApp[]) =>
        [
          ...new Set(apps.map(a => (a === 'hybris' ? HYBRIS_TEAM : WEB_TEAM))),
        ].sort(),
      notifier,
      now: () => now,
    });
  }

  /** A press of Deploy as the engine makes it: the one way into deploying. */
  const pressDeploy = (
    s: ReleaseService,
    id: string,
    person: Actor,
    reason?: string,
  ) =>
    s.engineMove(id, ctx, {
      action: 'deploy.start',
      person,
      reason,
      record: async () => ({ to: 'deploying' }),
    });
  /** The engine reaching a step of another phase. */
  const engineTo = (s: ReleaseService, id: string, to: ReleaseState) =>
    s.engineMove(id, ctx, {
      action: 'deploy.step.start',
      record: async () => ({ to }),
    });

  /** A grade B release of the author's, approved by its PL. */
  const approvedRelease = async (s: ReleaseService) => {
    const r = await s.create(dev, request(), ctx);
    await s.requestApproval(dev, r.id, ctx);
    return s.decide(pl, r.id, { decision: 'approve', stage: 'approval' }, ctx);
  };

  beforeEach(() => {
    now = inWindow;
    jest.clearAllMocks();
    versions.mockResolvedValue();
    signals.publish.mockReset().mockResolvedValue(undefined);
  });

  it('publishes each change once, after it is committed, and nothing when nothing changed', async () => {
    const s = await service();
    const committed: number[] = [];
    signals.publish.mockImplementation(async ({ message }) => {
      committed.push((await s.get(message.releaseId)).revision);
    });
    const r = await s.create(dev, request(), ctx);
    await s.changeGrade(dev, r.id, { grade: 'C' }, ctx);
    const link = { title: 'Asana', url: 'https://app.asana.com/0/1/2' };
    await s.addLink(dev, r.id, link, ctx);
    await s.addLink(dev, r.id, link, ctx);
    await s.requestApproval(dev, r.id, ctx);
    await expect(
      s.decide(dev, r.id, { decision: 'approve', stage: 'approval' }, ctx),
    ).rejects.toThrow(NotAllowedError);
    expect(signals.publish.mock.calls.map(([signal]) => signal)).toEqual(
      [
        ['release.create', 'prepared', 1],
        ['release.grade', 'prepared', 2],
        ['release.link', 'prepared', 3],
        ['release.request-approval', 'awaiting_approval', 4],
      ].map(([action, state, revision]) => ({
        recipients: { type: 'broadcast' },
        channel: 'kop-release',
        message: { releaseId: r.id, state, revision, action },
      })),
    );
    // Each message was sent when another reader could already see its revision.
    expect(committed).toEqual([1, 2, 3, 4]);
  });

  it('keeps a change when publishing it fails', async () => {
    const s = await service();
    signals.publish.mockRejectedValue(new Error('events bus down'));
    const r = await s.create(dev, request(), ctx);
    const graded = await s.changeGrade(dev, r.id, { grade: 'C' }, ctx);
    expect(graded.revision).toBe(2);
    expect(await s.get(r.id)).toMatchObject({ grade: 'C', revision: 2 });
    expect(signals.publish).toHaveBeenCalledTimes(2);
  });

  it('looks the versions up before storing, and stores and audits nothing when one is refused', async () => {
    const s = await service();
    versions.mockRejectedValueOnce(
      new InputError("apps[0].version: 'deploy-2026-11-25' is not a branch"),
    );
    await expect(s.create(dev, request(), ctx)).rejects.toThrow(
      "apps[0].version: 'deploy-2026-11-25' is not a branch",
    );
    expect(versions).toHaveBeenCalledWith([
      expect.objectContaining({ app: 'hybris', version: 'deploy-2026-11-25' }),
    ]);
    expect((await s.list({ limit: 10 })).items).toEqual([]);
    expect(await s.audit.verify()).toEqual({ ok: true, rows: 0 });
  });

  it('creates a prepared release with the seed defaults and an audit row', async () => {
    const s = await service();
    const r = await s.create(dev, request(), ctx);
    expect(r).toMatchObject({
      product: 'kop',
      title: '2026.11.25 hybris',
      state: 'prepared',
      grade: 'B',
      minimumGrade: 'A',
      author: user('kim.minjun'),
      serviceTeams: [HYBRIS_TEAM],
      apps: [
        {
          app: 'hybris',
          version: 'deploy-2026-11-25',
          strategy: 'blue-green-steps',
          steps: [3, 6, 9],
        },
      ],
      revision: 1,
    });
    const trail = await s.audit.list({ releaseId: r.id, limit: 10 });
    expect(trail).toMatchObject([
      {
        action: 'release.create',
        actor: user('kim.minjun'),
        outcome: 'success',
        requestId: 'req-1',
      },
    ]);
    expect(await s.audit.verify()).toEqual({ ok: true, rows: 1 });
  });

  it.each([
    [
      request({ apps: [{ app: 'web', version: 'not-a-sha' }] }),
      "apps[0].version: 'not-a-sha' is not a web version",
    ],
    [
      request({ apps: [{ app: 'hybris', version: '../../etc/passwd' }] }),
      "apps[0].version: '../../etc/passwd' is not a hybris version",
    ],
    [
      request({
        apps: [{ app: 'hybris', version: 'deploy-2026-11-25', steps: [-3] }],
      }),
      'apps[0].steps[0]: -3 is not a replica count between 1 and 60',
    ],
    [
      request({
        apps: [
          { app: 'hybris', version: 'deploy-2026-11-25', steps: [3, 9000] },
        ],
      }),
      'apps[0].steps[1]: 9000 is not a replica count',
    ],
    [
      request({
        apps: [{ app: 'hybris', version: 'deploy-2026-11-25', steps: [6, 3] }],
      }),
      'apps[0].steps[1]: steps must rise (6 then 3)',
    ],
    [
      request({
        apps: [
          { app: 'web', version: 'a7ed4db1' },
          { app: 'web', version: 'b8fe5ec2' },
        ],
      }),
      'apps: an app is listed more than once',
    ],
    [
      request({
        apps: [
          { app: 'web', version: 'a7ed4db1', strategy: 'blue-green-steps' },
        ],
      }),
      'apps[0].strategy: web is released with sync, not blue-green-steps',
    ],
    [
      request({ dbUpdate: true }),
      'gradeReason: grade B is below D, the floor set by dbChange',
    ],
    [
      request({ dbUpdate: true, gradeReason: 'short' }),
      'gradeReason: grade B is below D',
    ],
    [
      request({
        items: [
          { title: '[WEB] x', app: 'web', source: { type: 'asana', gid: '1' } },
        ],
      }),
      'items[0].app: web is not one of the release',
    ],
  ])(
    'refuses bad input naming the field, writing nothing (%#)',
    async (input, message) => {
      const s = await service();
      await expect(s.create(dev, input, ctx)).rejects.toThrow(InputError);
      await expect(s.create(dev, input, ctx)).rejects.toThrow(message);
      expect((await s.list({ limit: 10 })).items).toEqual([]);
      expect(await s.audit.verify()).toEqual({ ok: true, rows: 0 });
    },
  );

  it('accepts a grade below the floor with a written reason, and keeps the reason', async () => {
    const s = await service();
    const r = await s.create(
      dev,
      request({
        dbUpdate: true,
        gradeReason: 'impex only adds a translation row',
      }),
      ctx,
    );
    expect(r).toMatchObject({
      grade: 'B',
      minimumGrade: 'D',
      changeClasses: ['dbChange'],
      gradeReason: 'impex only adds a translation row',
    });
    const [row] = await s.audit.list({ releaseId: r.id, limit: 1 });
    expect(row.after).toMatchObject({
      gradeReason: 'impex only adds a translation row',
    });
  });

  it('grade B: the author is refused and audited, another service PL is refused, the service PL approves', async () => {
    const s = await service();
    const r = await s.create(dev, request(), ctx);
    await s.requestApproval(dev, r.id, ctx);
    expect(notifier.approvalsNeeded).toHaveBeenCalledWith(
      expect.objectContaining({ id: r.id }),
      ['group:default/role-pl'],
      'approval',
    );

    await expect(
      s.decide(dev, r.id, { decision: 'approve', stage: 'approval' }, ctx),
    ).rejects.toThrow(
      new NotAllowedError('The author of a release cannot approve it'),
    );
    await expect(
      s.decide(webPl, r.id, { decision: 'approve', stage: 'approval' }, ctx),
    ).rejects.toThrow(NotAllowedError);

    const approved = await s.decide(
      pl,
      r.id,
      { decision: 'approve', stage: 'approval', comment: 'LGTM' },
      ctx,
    );
    expect(approved.state).toBe('approved');
    expect(approved.approvals).toMatchObject([
      {
        requirement: 'approval:pl',
        approver: user('choi.yuna'),
        decision: 'approve',
        comment: 'LGTM',
      },
    ]);

    const trail = await s.audit.list({ releaseId: r.id, limit: 20 });
    expect(trail.map(t => [t.action, t.actor, t.outcome])).toEqual([
      ['release.create', user('kim.minjun'), 'success'],
      ['release.request-approval', user('kim.minjun'), 'success'],
      ['release.approve', user('kim.minjun'), 'failure'],
      ['release.approve', user('jung.hyunwoo'), 'failure'],
      ['release.approve', user('choi.yuna'), 'success'],
    ]);
    expect(trail[2].meta).toMatchObject({ refusal: 'self' });
    expect(trail[4].before).toMatchObject({ state: 'awaiting_approval' });
    expect(trail[4].after).toMatchObject({ state: 'approved' });
    expect(await s.audit.verify()).toEqual({ ok: true, rows: 5 });
  });

  it('records on each row whom a door acted for, refusals included', async () => {
    const s = await service();
    const r = await s.create(dev, request(), ctx);
    const engine = { requestId: 'step-1', onBehalfOf: user('kim.minjun') };
    await s.transition(dev, r.id, { to: 'beta' }, engine);
    await s.requestApproval(dev, r.id, engine);
    await expect(
      s.decide(dev, r.id, { decision: 'approve', stage: 'approval' }, engine),
    ).rejects.toThrow(NotAllowedError);
    const trail = await s.audit.list({ releaseId: r.id, limit: 10 });
    expect(trail.map(t => [t.action, t.requestId, t.meta])).toEqual([
      ['release.create', 'req-1', undefined],
      ['release.transition', 'step-1', { onBehalfOf: user('kim.minjun') }],
      [
        'release.request-approval',
        'step-1',
        { onBehalfOf: user('kim.minjun') },
      ],
      [
        'release.approve',
        'step-1',
        expect.objectContaining({
          onBehalfOf: user('kim.minjun'),
          refusal: 'self',
        }),
      ],
    ]);
  });

  it('grade B written by the PL needs the team lead', async () => {
    const s = await service();
    const r = await s.create(pl, request(), ctx);
    await s.requestApproval(pl, r.id, ctx);
    await expect(
      s.decide(
        actor('jung.hyunwoo'),
        r.id,
        { decision: 'approve', stage: 'approval' },
        ctx,
      ),
    ).rejects.toThrow('Needs an approval from: team-lead of the service');
    expect(
      (
        await s.decide(
          lead,
          r.id,
          { decision: 'approve', stage: 'approval' },
          ctx,
        )
      ).state,
    ).toBe('approved');
  });

  it('grade D needs the service team lead and the infra superior, approving at the same time', async () => {
    const s = await service();
    const r = await s.create(dev, request({ grade: 'D', dbUpdate: true }), ctx);
    await s.requestApproval(dev, r.id, ctx);
    const results = await Promise.allSettled([
      s.decide(lead, r.id, { decision: 'approve', stage: 'approval' }, ctx),
      s.decide(infra, r.id, { decision: 'approve', stage: 'approval' }, ctx),
    ]);
    expect(results.map(x => x.status)).toEqual(['fulfilled', 'fulfilled']);
    const final = await s.get(r.id);
    expect(final.state).toBe('approved');
    expect(final.approvals.map(a => a.requirement).sort()).toEqual([
      'approval:infra-superior',
      'approval:service-team-lead',
    ]);
  });

  it('two approvals of the same step at once: exactly one counts, the other is a conflict', async () => {
    const s = await service();
    const r = await s.create(dev, request({ grade: 'C' }), ctx);
    await expect(pressDeploy(s, r.id, dev)).rejects.toThrow(ConflictError);
    // Drive to the sign-off stage, where two superiors can both act for the same requirement.
    await s.requestApproval(dev, r.id, ctx);
    await s.decide(lead, r.id, { decision: 'approve', stage: 'approval' }, ctx);
    await pressDeploy(s, r.id, dev);
    expect((await engineTo(s, r.id, 'awaiting_signoff')).state).toBe(
      'awaiting_signoff',
    );
    const results = await Promise.allSettled([
      s.decide(director, r.id, { decision: 'approve', stage: 'signoff' }, ctx),
      s.decide(director2, r.id, { decision: 'approve', stage: 'signoff' }, ctx),
    ]);
    expect(results.filter(x => x.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find(
      x => x.status === 'rejected',
    ) as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(ConflictError);
    const final = await s.get(r.id);
    expect(final.approvals.filter(a => a.stage === 'signoff')).toHaveLength(1);
    expect(final.state).toBe('switching');
  });

  it('grade E deploys before approval, is pending retro approval, and cannot close until approved', async () => {
    const s = await service();
    now = outOfWindow;
    const r = await s.create(dev, request({ grade: 'E' }), ctx);
    await expect(s.requestApproval(dev, r.id, ctx)).rejects.toThrow(
      'grade E is deployed first',
    );
    const deploying = await pressDeploy(s, r.id, dev);
    expect(deploying).toMatchObject({
      state: 'deploying',
      retroApprovalPending: true,
    });
    expect(deploying.windowOverride).toBeUndefined();
    expect(notifier.approvalsNeeded).toHaveBeenCalledWith(
      expect.objectContaining({ id: r.id }),
      ['group:default/role-team-lead'],
      'approval',
    );
    await engineTo(s, r.id, 'awaiting_signoff');
    await s.decide(
      director,
      r.id,
      { decision: 'approve', stage: 'signoff' },
      ctx,
    );
    // The engine's last step asks for done: the release waits for its retro approval instead.
    expect((await engineTo(s, r.id, 'done')).state).toBe(
      'pending_retro_approval',
    );
    await expect(
      s.transition(dev, r.id, { to: 'aborted' }, ctx),
    ).rejects.toThrow(ConflictError);
    expect((await s.pendingFor(lead)).map(p => p.release.id)).toContain(r.id);
    await expect(s.retroApprove(dev, r.id, {}, ctx)).rejects.toThrow(
      NotAllowedError,
    );
    const done = await s.retroApprove(
      lead,
      r.id,
      { comment: '장애 대응 확인' },
      ctx,
    );
    expect(done).toMatchObject({ state: 'done', retroApprovalPending: false });
  });

  it('outside the windows only grade E deploys, or a team lead with a reason', async () => {
    const s = await service();
    const r = await approvedRelease(s);
    now = outOfWindow;
    await expect(pressDeploy(s, r.id, dev)).rejects.toThrow(
      'Outside the release windows only grade E deploys',
    );
    await expect(pressDeploy(s, r.id, lead)).rejects.toThrow(
      'reason: deploying outside the release windows needs a reason',
    );
    expect((await s.get(r.id)).state).toBe('approved');
    const moved = await pressDeploy(
      s,
      r.id,
      lead,
      '결제 장애 재발 방지 긴급 반영',
    );
    expect(moved).toMatchObject({
      state: 'deploying',
      windowOverride: {
        by: user('han.jisoo'),
        reason: '결제 장애 재발 방지 긴급 반영',
      },
    });
  });

  it('refuses a deploy outside the windows naming when the next one opens, and carries that opening', async () => {
    const s = await service();
    const r = await approvedRelease(s);
    // Thursday 2026-11-26 17:30 in Seoul: the week's last window closed at 17:00.
    now = new Date('2026-11-26T08:30:00Z');
    const nextWindow = {
      opensAt: '2026-11-30T01:00:00.000Z',
      closesAt: '2026-11-30T08:00:00.000Z',
      tz: 'Asia/Seoul',
    };
    const next = nextReleaseWindow(defaultGradePolicy, now);
    expect(next).toEqual({
      opensAt: new Date(nextWindow.opensAt),
      closesAt: new Date(nextWindow.closesAt),
      tz: 'Asia/Seoul',
    });
    const opening = `The next window opens ${describeWindowOpening(next!)}`;
    expect(opening).toBe(
      'The next window opens Mon 30 Nov 10:00 Asia/Seoul (2026-11-30T01:00:00.000Z)',
    );

    const refused = await pressDeploy(s, r.id, dev).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(NotAllowedError);
    expect((refused as Error).message).toBe(
      `Outside the release windows only grade E deploys, or team-lead may override with a reason. ${opening}`,
    );
    expect(refused).toMatchObject({ nextWindow });

    const unreasoned = await pressDeploy(s, r.id, lead).catch((e: Error) => e);
    expect(unreasoned).toBeInstanceOf(InputError);
    expect((unreasoned as Error).message).toBe(
      `reason: deploying outside the release windows needs a reason of at least 10 characters. ${opening}`,
    );
    expect(unreasoned).toMatchObject({ nextWindow });
    expect((await s.get(r.id)).state).toBe('approved');
  });

  it('refuses moves the state table does not allow, and strangers moving a release', async () => {
    const s = await service();
    const r = await s.create(dev, request(), ctx);
    // The deploy states and approved follow from Deploy and approvals, never from a hand move.
    for (const to of ['deploying', 'announced', 'done', 'approved'] as const) {
      const refused = await s
        .transition(dev, r.id, { to }, ctx)
        .catch((e: Error) => e);
      expect(refused).toBeInstanceOf(InputError);
      expect((refused as Error).message).toBe(
        `to: ${to} is not a move made by hand; the deploy states move by Deploy, Pause, Resume and Abort`,
      );
    }
    await expect(s.transition(pl, r.id, { to: 'beta' }, ctx)).rejects.toThrow(
      'Only the author or a release admin may move this release',
    );
    expect((await s.get(r.id)).revision).toBe(1);
    await s.requestApproval(dev, r.id, ctx);
    await expect(s.transition(dev, r.id, { to: 'beta' }, ctx)).rejects.toThrow(
      new ConflictError(
        'state: a release cannot go from awaiting_approval to beta',
      ),
    );
    expect((await s.get(r.id)).revision).toBe(2);
  });

  it('closes by hand only a release that is not deploying; a deploying one is aborted with Abort', async () => {
    const s = await service();
    const approved = await approvedRelease(s);
    expect(
      (await s.transition(dev, approved.id, { to: 'aborted' }, ctx)).state,
    ).toBe('aborted');

    const deploying = await approvedRelease(s);
    await pressDeploy(s, deploying.id, dev);
    await expect(
      s.transition(dev, deploying.id, { to: 'aborted' }, ctx),
    ).rejects.toThrow(
      new ConflictError(
        `state: the release is deploying; abort it with Abort (POST /releases/${deploying.id}/abort), which reverts what was deployed`,
      ),
    );
    expect((await s.get(deploying.id)).state).toBe('deploying');

    // A grade E that went out first and failed closes only by a lead's decision with a reason.
    const e = await s.create(dev, request({ grade: 'E' }), ctx);
    await pressDeploy(s, e.id, dev);
    expect((await engineTo(s, e.id, 'failed')).state).toBe('failed');
    await expect(
      s.transition(dev, e.id, { to: 'aborted' }, ctx),
    ).rejects.toThrow(
      new NotAllowedError(
        'Only team-lead may close a grade E release before its retro approval',
      ),
    );
    const leadAdmin = { ...lead, isAdmin: true };
    await expect(
      s.transition(leadAdmin, e.id, { to: 'aborted', reason: 'short' }, ctx),
    ).rejects.toThrow(InputError);
    const closed = await s.transition(
      leadAdmin,
      e.id,
      { to: 'aborted', reason: '장애가 다른 원인으로 해소되어 종료' },
      ctx,
    );
    expect(closed).toMatchObject({
      state: 'aborted',
      retroApprovalPending: true,
    });
  });

  it('never lets a release past its sign-off without the superior: no engine move, no hand move, not the author', async () => {
    const s = await service();
    const r = await s.create(dev, request({ grade: 'D', dbUpdate: true }), ctx);
    await s.requestApproval(dev, r.id, ctx);
    await s.decide(lead, r.id, { decision: 'approve', stage: 'approval' }, ctx);
    await s.decide(
      infra,
      r.id,
      { decision: 'approve', stage: 'approval' },
      ctx,
    );
    await pressDeploy(s, r.id, dev);
    expect((await engineTo(s, r.id, 'awaiting_signoff')).state).toBe(
      'awaiting_signoff',
    );

    for (const to of ['announced', 'done'] as const) {
      await expect(engineTo(s, r.id, to)).rejects.toThrow(
        new ConflictError(
          'state: the release waits for its sign-off before announced; nobody skips it',
        ),
      );
      await expect(s.transition(dev, r.id, { to }, ctx)).rejects.toThrow(
        InputError,
      );
    }
    await expect(
      s.decide(dev, r.id, { decision: 'approve', stage: 'signoff' }, ctx),
    ).rejects.toThrow(NotAllowedError);
    await expect(s.retroApprove(dev, r.id, {}, ctx)).rejects.toThrow(
      ConflictError,
    );
    expect(await s.get(r.id)).toMatchObject({
      state: 'awaiting_signoff',
      approvals: [
        expect.objectContaining({ stage: 'approval' }),
        expect.objectContaining({ stage: 'approval' }),
      ],
    });

    const signed = await s.decide(
      director,
      r.id,
      { decision: 'approve', stage: 'signoff' },
      ctx,
    );
    expect(signed.state).toBe('switching');
    expect((await engineTo(s, r.id, 'announced')).state).toBe('announced');
  });

  it('keeps the plan an approval was given for, and asking again after approval supersedes the approvals', async () => {
    const s = await service();
    const r = await s.create(dev, request({ grade: 'D', dbUpdate: true }), ctx);
    await s.requestApproval(dev, r.id, ctx);
    /** Both approvers of grade D approve the plan they saw. */
    const approveFor = async (fingerprint: string) => {
      const input = {
        decision: 'approve',
        stage: 'approval',
        fingerprint,
      } as const;
      await s.decide(lead, r.id, input, ctx);
      return s.decide(infra, r.id, input, ctx);
    };
    const seen = 'a'.repeat(64);
    const approved = await approveFor(seen);
    expect(approved.state).toBe('approved');
    expect(approved.approvals.map(a => a.planFingerprint)).toEqual([
      seen,
      seen,
    ]);

    const again = await s.requestApproval(dev, r.id, ctx);
    expect(again.state).toBe('awaiting_approval');
    // Stored, the old approvals stay on record under a requirement nothing asks for.
    const stored = await s.get(r.id);
    expect(stored.approvals).toHaveLength(2);
    expect(stored.approvals.map(a => a.requirement).sort()).toEqual([
      expect.stringMatching(
        /^approval:infra-superior:superseded:[0-9a-f-]{36}$/,
      ),
      expect.stringMatching(
        /^approval:service-team-lead:superseded:[0-9a-f-]{36}$/,
      ),
    ]);
    expect(stored.approvals.map(a => a.planFingerprint)).toEqual([seen, seen]);

    // So the same approvers approve again, for the new plan.
    const next = 'b'.repeat(64);
    const reapproved = await approveFor(next);
    expect(reapproved.state).toBe('approved');
    expect(
      reapproved.approvals
        .filter(a => !a.requirement.includes(':superseded:'))
        .map(a => [a.requirement, a.planFingerprint])
        .sort(),
    ).toEqual([
      ['approval:infra-superior', next],
      ['approval:service-team-lead', next],
    ]);
  });

  it('rejecting needs a reason and sends the release back', async () => {
    const s = await service();
    const r = await s.create(dev, request(), ctx);
    await s.requestApproval(dev, r.id, ctx);
    await expect(
      s.decide(pl, r.id, { decision: 'reject', stage: 'approval' }, ctx),
    ).rejects.toThrow('comment: say why the release is rejected');
    const rejected = await s.decide(
      pl,
      r.id,
      { decision: 'reject', stage: 'approval', comment: 'QA 미완료' },
      ctx,
    );
    expect(rejected.state).toBe('rejected');
    expect(notifier.decided).toHaveBeenCalledWith(
      expect.objectContaining({ id: r.id }),
      expect.objectContaining({ decision: 'reject', comment: 'QA 미완료' }),
    );
    const regraded = await s.changeGrade(dev, r.id, { grade: 'C' }, ctx);
    expect(regraded).toMatchObject({ grade: 'C', state: 'rejected' });
  });

  it('records a link once, from the author or an admin, with an audit row', async () => {
    const s = await service();
    const r = await s.create(dev, request(), ctx);
    const asana = {
      title: 'Asana',
      url: 'https://app.asana.com/0/1200000000000010/1200000000000099',
    };
    const linked = await s.addLink(dev, r.id, asana, ctx);
    expect(linked.links).toEqual([asana]);
    expect(linked.revision).toBe(2);

    const again = await s.addLink(dev, r.id, { ...asana, title: 'Task' }, ctx);
    expect(again.links).toEqual([asana]);
    expect(again.revision).toBe(2);

    // Two writers with the same URL at once: one stores it, the other finds it stored.
    const mr = {
      title: 'MR',
      url: 'https://gitlab.example.com/kop/hybris/-/merge_requests/7',
    };
    await Promise.all([
      s.addLink(dev, r.id, mr, ctx),
      s.addLink(actor('seo.yeongho', true), r.id, mr, ctx),
    ]);
    expect((await s.get(r.id)).links).toEqual([asana, mr]);

    await expect(
      s.addLink(pl, r.id, { title: 'x', url: 'https://example.com/x' }, ctx),
    ).rejects.toThrow(
      new NotAllowedError(
        'Only the author or a release admin may add links to this release',
      ),
    );
    const trail = await s.audit.list({ releaseId: r.id, limit: 10 });
    const links = trail.filter(row => row.action === 'release.link');
    expect(links).toHaveLength(2);
    expect(links[0]).toMatchObject({
      actor: dev.ref,
      outcome: 'success',
      requestId: 'req-1',
      before: expect.objectContaining({ links: [] }),
      after: expect.objectContaining({ links: [asana] }),
    });
    expect(await s.audit.verify()).toEqual({ ok: true, rows: 3 });
  });

  it('pages releases newest first and filters by app and state', async () => {
    const s = await service();
    const made = [];
    for (let i = 0; i < 5; i++) {
      now = new Date(inWindow.getTime() + i * 1000);
      made.push(
        await s.create(
          dev,
          request(
            i % 2
              ? {
                  apps: [{ app: 'web', version: `a7ed4db${i}` }],
                  items: [
                    { title: '[WEB] x', source: { type: 'asana', gid: '1' } },
                  ],
                }
              : {},
          ),
          ctx,
        ),
      );
    }
    const first = await s.list({ limit: 2 });
    expect(first.items.map(r => r.id)).toEqual([made[4].id, made[3].id]);
    const second = await s.list({ limit: 2, cursor: first.nextCursor });
    expect(second.items.map(r => r.id)).toEqual([made[2].id, made[1].id]);
    const third = await s.list({ limit: 2, cursor: second.nextCursor });
    expect(third.items.map(r => r.id)).toEqual([made[0].id]);
    expect(third.nextCursor).toBeUndefined();
    expect(
      (await s.list({ limit: 10, app: 'web' })).items.map(r => r.id),
    ).toEqual([made[3].id, made[1].id]);
    expect((await s.list({ limit: 10, state: ['approved'] })).items).toEqual(
      [],
    );
  });
  it('finds the build a release recorded by the image tag it pushed, with the commit it built, the newest release first', async () => {
    const s = await service();
    const run = {
      id: 'run-1',
      environment: 'beta',
      plan: { steps: [{ id: 'hybris.build' }] } as DeployRun['plan'],
    };
    /** The engine recording a finished build step of the release, as it does after the step. */
    const recordBuild = (id: string, build: Partial<StepOutputs['build']>) =>
      s.engineMove(id, ctx, {
        action: 'deploy.step.done',
        record: async () => ({
          stage: stageOf(
            run,
            0,
            {
              build: {
                system: 'jenkins',
                job: 'kop/hybris-build',
                app: 'hybris',
                version: 'deploy-2026-11-25',
                triggered: true,
                result: 'SUCCESS',
                url: 'https://jenkins.kop.example/job/kop/job/hybris-build/3/',
                ...build,
              },
            },
            now.toISOString(),
          ),
        }),
      });
    const built = 'c'.repeat(40);
    const first = await s.create(dev, request(), ctx);
    await recordBuild(first.id, {
      number: 3,
      imageTag: 'deploy-2026-11-25-3',
      commit: built,
    });
    const other = await s.create(
      dev,
      request({ apps: [{ app: 'hybris', version: 'v1.4.0' }] }),
      ctx,
    );
    await recordBuild(other.id, {
      version: 'v1.4.0',
      number: 31,
      imageTag: 'v1.4.0-rcx31',
      commit: 'd'.repeat(40),
    });

    const found = await s.recordedBuild('hybris', 'deploy-2026-11-25-3');
    expect(found).toEqual({
      releaseId: first.id,
      build: expect.objectContaining({
        app: 'hybris',
        version: 'deploy-2026-11-25',
        buildNumber: 3,
        imageTag: 'deploy-2026-11-25-3',
        commit: built,
        result: 'success',
      }),
    });
    // A tag that only starts the same, a LIKE wildcard, another app: none of them.
    expect(
      await s.recordedBuild('hybris', 'deploy-2026-11-25'),
    ).toBeUndefined();
    expect(await s.recordedBuild('hybris', 'v1.4.0-rc_31')).toBeUndefined();
    expect(await s.recordedBuild('cms', 'deploy-2026-11-25-3')).toBeUndefined();

    // A later release that followed the same build is the one named.
    now = new Date(inWindow.getTime() + 60_000);
    const again = await s.create(dev, request(), ctx);
    await recordBuild(again.id, {
      number: 3,
      imageTag: 'deploy-2026-11-25-3',
      commit: built,
      triggered: false,
    });
    expect(await s.recordedBuild('hybris', 'deploy-2026-11-25-3')).toEqual({
      releaseId: again.id,
      build: expect.objectContaining({ commit: built, buildNumber: 3 }),
    });
  });
});
