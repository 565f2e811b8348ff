import fc from 'fast-check';
import {
  checkApproval,
  defaultGradePolicy as policy,
  describeWindowOpening,
  isStageComplete,
  isWithinReleaseWindow,
  minimumGrade,
  nextReleaseWindow,
  releaseGrades,
  requiredApprovals,
  type GradePolicy,
  type PolicyPerson,
  type ReleaseGrade,
} from './policy';

const HYBRIS_TEAM = 'group:default/kop-hybris';
const WEB_TEAM = 'group:default/kop-web';
const roleGroup: Record<string, string> = {
  developer: 'group:default/role-developer',
  pl: 'group:default/role-pl',
  'team-lead': 'group:default/role-team-lead',
  'infra-superior': 'group:default/role-infra-superior',
  superior: 'group:default/role-superior',
  qa: 'group:default/role-qa',
};
const roleNames = Object.keys(roleGroup);

function person(name: string, roles: string[], team: string): PolicyPerson {
  return {
    ref: `user:default/${name}`,
    groups: [team, ...roles.map(r => roleGroup[r])],
  };
}

// The seed's table written out by hand, independent of the policy code: the roles whose
// approval a release needs before deploying, given whether the author is a PL.
const seedTable: Record<ReleaseGrade, { plain: string[]; byPl: string[] }> = {
  A: { plain: ['pl'], byPl: ['team-lead'] },
  B: { plain: ['pl'], byPl: ['team-lead'] },
  C: { plain: ['team-lead'], byPl: ['team-lead'] },
  D: {
    plain: ['team-lead', 'infra-superior'],
    byPl: ['team-lead', 'infra-superior'],
  },
  E: { plain: ['team-lead'], byPl: ['team-lead'] }, // afterwards
};
const seedApprovers = (grade: ReleaseGrade, authorIsPl: boolean) =>
  authorIsPl ? seedTable[grade].byPl : seedTable[grade].plain;
const serviceScoped = new Set(['pl', 'team-lead']);

function expectedOutcome(isAuthor: boolean, qualifies: boolean) {
  if (isAuthor) return 'self';
  return qualifies ? 'ok' : 'role';
}

const arbPerson = (name: string) =>
  fc
    .record({
      roles: fc.subarray(roleNames),
      team: fc.constantFrom(HYBRIS_TEAM, WEB_TEAM, 'group:default/kop-infra'),
    })
    .map(p => person(name, p.roles, p.team));

describe('grade policy against the seed table', () => {
  it('asks exactly the seed roles at every grade, escalating a PL author to the team lead', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...releaseGrades),
        arbPerson('author'),
        (grade, author) => {
          const authorIsPl = author.groups.includes(roleGroup.pl);
          const needed = requiredApprovals(policy, {
            grade,
            stage: 'approval',
            author,
          });
          expect(
            needed
              .map(r => (r.role === 'service-team-lead' ? 'team-lead' : r.role))
              .sort(),
          ).toEqual(seedApprovers(grade, authorIsPl).sort());
          expect(needed.every(r => r.after === (grade === 'E'))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('lets an approver act iff they are not the author, hold a missing role and belong to the service where it is scoped', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...releaseGrades),
        arbPerson('author'),
        arbPerson('approver'),
        fc.boolean(),
        (grade, author, other, approverIsAuthor) => {
          const approver = approverIsAuthor ? author : other;
          const result = checkApproval(policy, {
            grade,
            stage: 'approval',
            author,
            approver,
            serviceTeams: [HYBRIS_TEAM],
            given: [],
          });
          const needed = seedApprovers(
            grade,
            author.groups.includes(roleGroup.pl),
          );
          const qualifies = needed.some(
            role =>
              approver.groups.includes(roleGroup[role]) &&
              (!serviceScoped.has(role) ||
                approver.groups.includes(HYBRIS_TEAM)),
          );
          expect(result.ok ? 'ok' : result.code).toBe(
            expectedOutcome(approver.ref === author.ref, qualifies),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never lets the author approve, at any grade or stage, whatever roles they hold', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...releaseGrades),
        fc.constantFrom('approval' as const, 'signoff' as const),
        fc.subarray(roleNames),
        (grade, stage, roles) => {
          const author = person('lead', roles, HYBRIS_TEAM);
          expect(
            checkApproval(policy, {
              grade,
              stage,
              author,
              approver: author,
              serviceTeams: [HYBRIS_TEAM],
              given: [],
            }).ok,
          ).toBe(false);
        },
      ),
    );
  });
});

describe('grade policy cases', () => {
  const dev = person('kim.minjun', ['developer'], HYBRIS_TEAM);
  const pl = person('choi.yuna', ['pl', 'developer'], HYBRIS_TEAM);
  const webPl = person('jung.hyunwoo', ['pl', 'developer'], WEB_TEAM);
  const lead = person('han.jisoo', ['team-lead'], HYBRIS_TEAM);
  const infra = person(
    'kang.minho',
    ['infra-superior'],
    'group:default/kop-infra',
  );
  const director = person('seo.yeongho', ['superior'], 'group:default/kop');

  const check = (
    grade: ReleaseGrade,
    author: PolicyPerson,
    approver: PolicyPerson,
    given: Array<{ requirement: string; approver: string }> = [],
  ) =>
    checkApproval(policy, {
      grade,
      stage: 'approval',
      author,
      approver,
      serviceTeams: [HYBRIS_TEAM],
      given,
    });

  it('grade B by a developer is approved by the PL of the service, not of another', () => {
    expect(check('B', dev, pl)).toMatchObject({
      ok: true,
      requirement: { key: 'approval:pl' },
    });
    expect(check('B', dev, webPl)).toMatchObject({
      ok: false,
      code: 'role',
      message:
        'Needs an approval from: pl of the service; you hold developer, pl',
    });
  });

  it('grade A by the PL goes to the team lead', () => {
    expect(check('A', pl, webPl)).toMatchObject({ ok: false, code: 'role' });
    expect(check('A', pl, lead)).toMatchObject({
      ok: true,
      requirement: { key: 'approval:team-lead' },
    });
  });

  it('grade D needs the service team lead and the infra superior, two people', () => {
    const needed = requiredApprovals(policy, {
      grade: 'D',
      stage: 'approval',
      author: dev,
    });
    expect(needed.map(r => r.key)).toEqual([
      'approval:service-team-lead',
      'approval:infra-superior',
    ]);
    const first = check('D', dev, lead);
    expect(first).toMatchObject({ ok: true });
    const given = [
      { requirement: 'approval:service-team-lead', approver: lead.ref },
    ];
    expect(isStageComplete(needed, given)).toBe(false);
    expect(check('D', dev, lead, given)).toMatchObject({
      ok: false,
      code: 'already',
    });
    expect(check('D', dev, infra, given)).toMatchObject({
      ok: true,
      requirement: { key: 'approval:infra-superior' },
    });
    const complete = [
      ...given,
      { requirement: 'approval:infra-superior', approver: infra.ref },
    ];
    expect(isStageComplete(needed, complete)).toBe(true);
    // A second infra superior who lost the race is told so, not that they lack the role.
    expect(
      check('D', dev, { ...infra, ref: 'user:default/oh.sujin' }, complete),
    ).toMatchObject({ ok: false, code: 'filled' });
  });

  it('grade E needs nothing before deploying and the service team lead afterwards', () => {
    const needed = requiredApprovals(policy, {
      grade: 'E',
      stage: 'approval',
      author: dev,
    });
    expect(needed).toEqual([
      {
        key: 'approval:service-team-lead',
        stage: 'approval',
        role: 'service-team-lead',
        scope: 'service',
        after: true,
      },
    ]);
  });

  it('the post-deploy sign-off is a superior', () => {
    expect(
      checkApproval(policy, {
        grade: 'B',
        stage: 'signoff',
        author: dev,
        approver: director,
        serviceTeams: [HYBRIS_TEAM],
        given: [],
      }),
    ).toMatchObject({ ok: true, requirement: { key: 'signoff:superior' } });
    expect(
      checkApproval(policy, {
        grade: 'B',
        stage: 'signoff',
        author: dev,
        approver: pl,
        serviceTeams: [HYBRIS_TEAM],
        given: [],
      }),
    ).toMatchObject({ ok: false, code: 'role' });
  });
});

describe('minimumGrade', () => {
  it('raises the floor to D for a DB change and to C for an infra change', () => {
    expect(minimumGrade(policy, [])).toBe('A');
    expect(minimumGrade(policy, ['infraChange'])).toBe('C');
    expect(minimumGrade(policy, ['dbChange'])).toBe('D');
    expect(minimumGrade(policy, ['infraChange', 'dbChange'])).toBe('D');
  });
});

describe('isWithinReleaseWindow', () => {
  it('opens Monday to Thursday, 10:00 to 17:00 in Seoul', () => {
    // 2026-11-25 is a Wednesday; Seoul is UTC+9.
    expect(
      isWithinReleaseWindow(policy, new Date('2026-11-25T01:00:00Z')),
    ).toBe(true);
    expect(
      isWithinReleaseWindow(policy, new Date('2026-11-25T00:59:00Z')),
    ).toBe(false);
    expect(
      isWithinReleaseWindow(policy, new Date('2026-11-25T07:59:00Z')),
    ).toBe(true);
    expect(
      isWithinReleaseWindow(policy, new Date('2026-11-25T08:00:00Z')),
    ).toBe(false);
    // Friday 11:00 in Seoul.
    expect(
      isWithinReleaseWindow(policy, new Date('2026-11-27T02:00:00Z')),
    ).toBe(false);
  });

  it('is closed on a configured holiday', () => {
    expect(
      isWithinReleaseWindow(
        { ...policy, holidays: ['2026-11-25'] },
        new Date('2026-11-25T03:00:00Z'),
      ),
    ).toBe(false);
  });
});

describe('nextReleaseWindow', () => {
  // Seoul is UTC+9 all year; 2026-11-26 is a Thursday.
  const at = (iso: string) => new Date(iso);
  const opening = (now: string, p = policy) => {
    const next = nextReleaseWindow(p, at(now));
    return next && [next.opensAt.toISOString(), next.closesAt.toISOString()];
  };

  it('opens next Monday 10:00 after Thursday 17:30 in Seoul', () => {
    expect(opening('2026-11-26T08:30:00Z')).toEqual([
      '2026-11-30T01:00:00.000Z',
      '2026-11-30T08:00:00.000Z',
    ]);
  });

  it('opens next Monday from a Friday, which has no window', () => {
    expect(opening('2026-11-27T02:00:00Z')).toEqual([
      '2026-11-30T01:00:00.000Z',
      '2026-11-30T08:00:00.000Z',
    ]);
  });

  it('skips a Monday holiday and opens on Tuesday', () => {
    expect(
      opening('2026-11-26T08:30:00Z', { ...policy, holidays: ['2026-11-30'] }),
    ).toEqual(['2026-12-01T01:00:00.000Z', '2026-12-01T08:00:00.000Z']);
  });

  it('is the window open now when inside one', () => {
    // Wednesday 11:00 in Seoul.
    expect(opening('2026-11-25T02:00:00Z')).toEqual([
      '2026-11-25T01:00:00.000Z',
      '2026-11-25T08:00:00.000Z',
    ]);
  });

  it("opens later the same day before a window day's hours", () => {
    // Wednesday 09:59 in Seoul.
    expect(opening('2026-11-25T00:59:00Z')).toEqual([
      '2026-11-25T01:00:00.000Z',
      '2026-11-25T08:00:00.000Z',
    ]);
  });

  it("keeps the window's wall clock across a daylight-saving change", () => {
    const berlin: GradePolicy = {
      ...policy,
      windows: [
        {
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
          from: '09:00',
          to: '17:00',
          tz: 'Europe/Berlin',
        },
      ],
    };
    // Friday 27 March 2026, 18:00 CET; summer time starts on Sunday 29 March.
    expect(opening('2026-03-27T17:00:00Z', berlin)).toEqual([
      '2026-03-30T07:00:00.000Z',
      '2026-03-30T15:00:00.000Z',
    ]);
  });

  it('takes the earliest of several windows', () => {
    const two: GradePolicy = {
      ...policy,
      windows: [
        ...policy.windows,
        { days: ['sat'], from: '09:00', to: '12:00', tz: 'UTC' },
      ],
    };
    // Thursday 17:30 in Seoul: Saturday 09:00 UTC comes before Monday 10:00 in Seoul.
    expect(opening('2026-11-26T08:30:00Z', two)).toEqual([
      '2026-11-28T09:00:00.000Z',
      '2026-11-28T12:00:00.000Z',
    ]);
  });

  it('closes a window that runs to 24:00 at the next midnight', () => {
    const late: GradePolicy = {
      ...policy,
      windows: [{ days: ['sat'], from: '22:00', to: '24:00', tz: 'UTC' }],
    };
    expect(opening('2026-11-28T23:00:00Z', late)).toEqual([
      '2026-11-28T22:00:00.000Z',
      '2026-11-29T00:00:00.000Z',
    ]);
  });

  it('is undefined when no window is configured', () => {
    expect(
      nextReleaseWindow({ ...policy, windows: [] }, at('2026-11-26T08:30:00Z')),
    ).toBeUndefined();
  });

  it('agrees with isWithinReleaseWindow at every moment', () => {
    const holidays = ['2026-11-30', '2026-12-25'];
    const p = { ...policy, holidays };
    fc.assert(
      fc.property(
        fc.integer({
          min: Date.parse('2026-11-20T00:00:00Z'),
          max: Date.parse('2027-01-10T00:00:00Z'),
        }),
        ms => {
          const now = new Date(ms);
          const next = nextReleaseWindow(p, now)!;
          const minute = 60_000;
          expect(next.opensAt.getTime() <= ms).toBe(
            isWithinReleaseWindow(p, now),
          );
          expect(isWithinReleaseWindow(p, next.opensAt)).toBe(true);
          expect(
            isWithinReleaseWindow(p, new Date(next.opensAt.getTime() - minute)),
          ).toBe(false);
          expect(
            isWithinReleaseWindow(
              p,
              new Date(next.closesAt.getTime() - minute),
            ),
          ).toBe(true);
          expect(isWithinReleaseWindow(p, next.closesAt)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('describeWindowOpening', () => {
  it("writes the opening in the window's zone, then as an ISO instant", () => {
    // Friday 4 December 2026 in Seoul.
    const next = nextReleaseWindow(policy, new Date('2026-12-04T03:00:00Z'))!;
    expect(describeWindowOpening(next)).toBe(
      'Mon 7 Dec 10:00 Asia/Seoul (2026-12-07T01:00:00.000Z)',
    );
  });
});
