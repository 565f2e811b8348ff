/**
 * The grade policy of the seed's table, as pure functions over configuration: who must approve a
 * release at each stage, which grade a change needs at least, and when releases may go out.
 */

/** @public */
export const releaseGrades = ['A', 'B', 'C', 'D', 'E'] as const;

/** @public */
export type ReleaseGrade = (typeof releaseGrades)[number];

/** @public */
export function isReleaseGrade(value: unknown): value is ReleaseGrade {
  return (
    typeof value === 'string' &&
    (releaseGrades as readonly string[]).includes(value)
  );
}

/** Before deploying (approval) or after the post-deploy tests (signoff). @public */
export type ApprovalStage = 'approval' | 'signoff';

/** @public */
export interface RoleDefinition {
  /** The catalog group whose members hold the role. */
  group: string;
  /** `service`: only members of a team that owns one of the release's apps may act in it. */
  scope: 'service' | 'any';
}

/** @public */
export interface GradeRule {
  /** The risk label in the team's words, e.g. 낮음. */
  label: string;
  /** The same in English, e.g. low. */
  labelEn: string;
  /** The seed's criteria for the grade. */
  criteria: string;
  /** Roles that must each approve before deploying. */
  approve: string[];
  /** When the author holds one of the approve roles, that approval goes to this role instead. */
  authorIsApprover?: string;
  /** Roles that must approve after deploying (grade E: act first, report after). */
  approveAfter?: string[];
  /** Who is told: a key of release.notify.slack. */
  share: string;
}

/** @public */
export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';

/** @public */
export interface ReleaseWindow {
  days: Weekday[];
  /** HH:MM, inclusive. */
  from: string;
  /** HH:MM, exclusive. */
  to: string;
  /** IANA time zone of from/to and of the holidays. */
  tz: string;
}

/** @public */
export interface GradePolicy {
  grades: Record<ReleaseGrade, GradeRule>;
  signoff: { approve: string[] };
  roles: Record<string, RoleDefinition>;
  /** A change of class `when` needs at least grade `min`. */
  gradeFloors: Array<{ when: string; min: ReleaseGrade }>;
  windows: ReleaseWindow[];
  /** YYYY-MM-DD dates on which no release window is open. */
  holidays: string[];
  /** Roles that may release outside the windows, with a reason. */
  windowOverride: string[];
}

/** The team's grade table, the default of release.grades and friends. @public */
export const defaultGradePolicy: GradePolicy = {
  grades: {
    A: {
      label: '매우 낮음',
      labelEn: 'very low',
      criteria: '피처 플래그 토글, 안전한 구성 값 변경',
      approve: ['pl'],
      authorIsApprover: 'team-lead',
      share: 'team',
    },
    B: {
      label: '낮음',
      labelEn: 'low',
      criteria: '일반적인 컨텐츠/UI 개선, 비핵심 서비스 패치',
      approve: ['pl'],
      authorIsApprover: 'team-lead',
      share: 'team',
    },
    C: {
      label: '중간',
      labelEn: 'medium',
      criteria: 'API 추가, 실시간서비스 외 인프라 변경건',
      approve: ['service-team-lead'],
      share: 'core-service-pls',
    },
    D: {
      label: '높음',
      labelEn: 'high',
      criteria: 'DB 스키마 변경, 트래픽 경로 변경, 핵심 서비스, 인프라변경',
      approve: ['service-team-lead', 'infra-superior'],
      share: 'core-service-pls',
    },
    E: {
      label: '특수',
      labelEn: 'special',
      criteria: '장애 대응용 또는 긴급 개선용 패치 (선조치 후보고)',
      approve: [],
      approveAfter: ['service-team-lead'],
      share: 'service-owners',
    },
  },
  signoff: { approve: ['superior'] },
  roles: {
    developer: { group: 'group:default/role-developer', scope: 'any' },
    pl: { group: 'group:default/role-pl', scope: 'service' },
    'team-lead': { group: 'group:default/role-team-lead', scope: 'service' },
    'service-team-lead': {
      group: 'group:default/role-team-lead',
      scope: 'service',
    },
    'infra-superior': {
      group: 'group:default/role-infra-superior',
      scope: 'any',
    },
    superior: { group: 'group:default/role-superior', scope: 'any' },
    qa: { group: 'group:default/role-qa', scope: 'any' },
  },
  gradeFloors: [
    { when: 'dbChange', min: 'D' },
    { when: 'infraChange', min: 'C' },
  ],
  windows: [
    {
      days: ['mon', 'tue', 'wed', 'thu'],
      from: '10:00',
      to: '17:00',
      tz: 'Asia/Seoul',
    },
  ],
  holidays: [],
  windowOverride: ['team-lead'],
};

/** A person as the policy sees them. @public */
export interface PolicyPerson {
  /** User entity ref. */
  ref: string;
  /** Every group the person belongs to (entity refs), teams and role groups alike. */
  groups: string[];
}

/** One approval a release needs. @public */
export interface ApprovalRequirement {
  /** Stable key of the requirement within the release, e.g. `approval:pl`. */
  key: string;
  stage: ApprovalStage;
  role: string;
  scope: 'service' | 'any';
  /** True for grade E's approvals, which come after deploying. */
  after: boolean;
}

/** An approval given. @public */
export interface GivenApproval {
  requirement: string;
  approver: string;
}

/** @public */
export function compareGrades(a: ReleaseGrade, b: ReleaseGrade): number {
  return releaseGrades.indexOf(a) - releaseGrades.indexOf(b);
}

/** Roles the person holds under the policy. @public */
export function rolesOf(policy: GradePolicy, person: PolicyPerson): string[] {
  return Object.entries(policy.roles)
    .filter(([, def]) => person.groups.includes(def.group))
    .map(([role]) => role)
    .sort();
}

/**
 * The approvals a release of this grade needs at a stage. The author's own role is escalated
 * (author is PL → team lead), so nobody is ever asked to approve their own work.
 *
 * @public
 */
export function requiredApprovals(
  policy: GradePolicy,
  options: { grade: ReleaseGrade; stage: ApprovalStage; author: PolicyPerson },
): ApprovalRequirement[] {
  const rule = policy.grades[options.grade];
  const after = options.stage === 'approval' && rule.approve.length === 0;
  let roles: string[];
  if (options.stage === 'signoff') {
    roles = policy.signoff.approve;
  } else {
    roles = after ? rule.approveAfter ?? [] : rule.approve;
  }
  const authorRoles = rolesOf(policy, options.author);
  const resolved = roles.map(role =>
    options.stage === 'approval' &&
    rule.authorIsApprover &&
    authorRoles.includes(role)
      ? rule.authorIsApprover
      : role,
  );
  return [...new Set(resolved)].map(role => ({
    key: `${options.stage}:${role}`,
    stage: options.stage,
    role,
    scope: policy.roles[role]?.scope ?? 'any',
    after,
  }));
}

/** Why someone may not approve. @public */
export type ApprovalRefusal =
  | { ok: false; code: 'self'; message: string }
  | { ok: false; code: 'role'; message: string }
  | { ok: false; code: 'already'; message: string }
  /** Someone else gave the last missing approval first: a lost race, not a lack of rights. */
  | { ok: false; code: 'filled'; message: string };

/** @public */
export type ApprovalCheck =
  | { ok: true; requirement: ApprovalRequirement }
  | ApprovalRefusal;

/**
 * Whether this person may give one of the approvals still missing, and which. Refuses the author
 * at every grade, anyone whose roles do not cover a missing approval, and a second approval by
 * the same person at the same stage (grade D needs two different people).
 *
 * @public
 */
export function checkApproval(
  policy: GradePolicy,
  options: {
    grade: ReleaseGrade;
    stage: ApprovalStage;
    author: PolicyPerson;
    approver: PolicyPerson;
    /** Owner teams (entity refs) of the apps in the release. */
    serviceTeams: string[];
    given: GivenApproval[];
  },
): ApprovalCheck {
  const { approver } = options;
  if (approver.ref === options.author.ref) {
    return {
      ok: false,
      code: 'self',
      message: 'The author of a release cannot approve it',
    };
  }
  const requirements = requiredApprovals(policy, options);
  const stageKeys = new Set(requirements.map(r => r.key));
  if (
    options.given.some(
      g => g.approver === approver.ref && stageKeys.has(g.requirement),
    )
  ) {
    return {
      ok: false,
      code: 'already',
      message: `You have already approved this release at the ${options.stage} stage`,
    };
  }
  const missing = requirements.filter(
    r => !options.given.some(g => g.requirement === r.key),
  );
  const roles = rolesOf(policy, approver);
  const inService = approver.groups.some(g => options.serviceTeams.includes(g));
  const fit = missing.find(
    r => roles.includes(r.role) && (r.scope === 'any' || inService),
  );
  if (fit) return { ok: true, requirement: fit };
  if (missing.length === 0) {
    return {
      ok: false,
      code: 'filled',
      message: `No approval is missing at the ${options.stage} stage`,
    };
  }
  const wanted = missing
    .map(r => (r.scope === 'service' ? `${r.role} of the service` : r.role))
    .join(', ');
  return {
    ok: false,
    code: 'role',
    message: `Needs an approval from: ${wanted}; you hold ${
      roles.length ? roles.join(', ') : 'no release role'
    }`,
  };
}

/** Whether every requirement has an approval. @public */
export function isStageComplete(
  requirements: ApprovalRequirement[],
  given: GivenApproval[],
): boolean {
  return requirements.every(r => given.some(g => g.requirement === r.key));
}

/**
 * The lowest grade allowed for a release with these change classes (e.g. dbChange → D).
 *
 * @public
 */
export function minimumGrade(
  policy: GradePolicy,
  changeClasses: string[],
): ReleaseGrade {
  return policy.gradeFloors
    .filter(f => changeClasses.includes(f.when))
    .map(f => f.min)
    .reduce<ReleaseGrade>(
      (max, g) => (compareGrades(g, max) > 0 ? g : max),
      'A',
    );
}

const weekdays: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function localParts(at: Date, tz: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    })
      .formatToParts(at)
      .map(p => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
    day: weekdays.find(d => d === String(parts.weekday).toLowerCase()),
  };
}

/**
 * Whether a release may go out at this moment: inside a window and not on a holiday.
 *
 * @public
 */
export function isWithinReleaseWindow(policy: GradePolicy, at: Date): boolean {
  return policy.windows.some(w => {
    const local = localParts(at, w.tz);
    return (
      !policy.holidays.includes(local.date) &&
      local.day !== undefined &&
      w.days.includes(local.day) &&
      local.time >= w.from &&
      local.time < w.to
    );
  });
}

/** One opening of a release window, in absolute time, with the zone its hours are written in. @public */
export interface ReleaseWindowOpening {
  opensAt: Date;
  closesAt: Date;
  /** IANA time zone of the window, e.g. Asia/Seoul. */
  tz: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Far enough for a year of holidays; a policy with no opening in it has none at all. */
const SEARCH_DAYS = 400;

/** The UTC instant whose wall clock in `tz` reads `hhmm` on `date`; 24:00 is the next midnight. */
function zonedInstant(date: string, hhmm: string, tz: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = hhmm.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  const offsetAt = (instant: number) => {
    const local = localParts(new Date(instant), tz);
    const [ly, lm, ld] = local.date.split('-').map(Number);
    const [lh, lmin] = local.time.split(':').map(Number);
    return (
      Date.UTC(ly, lm - 1, ld, lh, lmin) - Math.floor(instant / 60000) * 60000
    );
  };
  // Twice: the offset at the first guess may differ from the offset at the answer around DST.
  const guess = wall - offsetAt(wall);
  return new Date(wall - offsetAt(guess));
}

/** The calendar date `days` after `date`, both YYYY-MM-DD, and its weekday. */
function addDays(date: string, days: number): { date: string; day: Weekday } {
  const [y, m, d] = date.split('-').map(Number);
  const next = new Date(Date.UTC(y, m - 1, d) + days * DAY_MS);
  return {
    date: next.toISOString().slice(0, 10),
    day: weekdays[next.getUTCDay()],
  };
}

/**
 * The release window open at `now`, or else the next one to open: the same days, hours, zones and
 * holidays as isWithinReleaseWindow. Undefined when the policy opens none within about a year.
 *
 * @public
 */
export function nextReleaseWindow(
  policy: GradePolicy,
  now: Date,
): ReleaseWindowOpening | undefined {
  let best: ReleaseWindowOpening | undefined;
  for (const w of policy.windows) {
    // A window that ends where it starts is never open (isWithinReleaseWindow agrees).
    if (w.to <= w.from) continue;
    const today = localParts(now, w.tz).date;
    for (let i = 0; i < SEARCH_DAYS; i++) {
      const { date, day } = addDays(today, i);
      if (!w.days.includes(day) || policy.holidays.includes(date)) continue;
      const opensAt = zonedInstant(date, w.from, w.tz);
      const closesAt = zonedInstant(date, w.to, w.tz);
      if (closesAt.getTime() <= now.getTime()) continue;
      if (!best || opensAt.getTime() < best.opensAt.getTime()) {
        best = { opensAt, closesAt, tz: w.tz };
      }
      break;
    }
  }
  return best;
}

/**
 * A window's opening as the backend's refusal writes it: the window's own wall clock and zone, then
 * the exact instant, e.g. "Mon 7 Dec 10:00 Asia/Seoul (2026-12-07T01:00:00.000Z)".
 *
 * @public
 */
export function describeWindowOpening(opening: ReleaseWindowOpening): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: opening.tz,
      hourCycle: 'h23',
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(opening.opensAt)
      .map(p => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.hour}:${
    parts.minute
  } ${opening.tz} (${opening.opensAt.toISOString()})`;
}
