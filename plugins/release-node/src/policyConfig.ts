import type { Config } from '@backstage/config';
import {
  defaultGradePolicy,
  isReleaseGrade,
  releaseGrades,
  type GradePolicy,
  type GradeRule,
  type ReleaseGrade,
  type ReleaseWindow,
  type Weekday,
} from '@internal/plugin-release-common';

const weekdays: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const HHMM = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ENTITY_REF = /^group:[a-z0-9._-]+\/[a-z0-9._-]+$/i;

function fail(key: string, message: string): never {
  throw new Error(`release.${key} ${message}`);
}

function grade(value: string, key: string): ReleaseGrade {
  if (!isReleaseGrade(value)) fail(key, `must be one of A–E, got '${value}'`);
  return value;
}

function isValidTimeZone(tz: string): boolean {
  try {
    return Boolean(
      new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions()
        .timeZone,
    );
  } catch {
    return false;
  }
}

/**
 * Reads the grade policy from `release.grades`, `release.signoff`, `release.roles`,
 * `release.gradeFloors`, `release.windows`, `release.holidays` and `release.windowOverride`,
 * over the seed's defaults, and checks that every role it names is defined.
 *
 * @public
 */
export function readGradePolicy(config: Config): GradePolicy {
  const section = config.getOptionalConfig('release');
  const policy: GradePolicy = structuredClone(defaultGradePolicy);
  if (!section) return policy;

  const roles = section.getOptionalConfig('roles');
  for (const role of roles?.keys() ?? []) {
    const group = roles!.getString(`${role}.group`);
    if (!ENTITY_REF.test(group)) {
      fail(`roles.${role}.group`, `must be a group entity ref, got '${group}'`);
    }
    const scope = roles!.getOptionalString(`${role}.scope`) ?? 'any';
    if (scope !== 'any' && scope !== 'service') {
      fail(`roles.${role}.scope`, `must be 'any' or 'service', got '${scope}'`);
    }
    policy.roles[role] = { group, scope };
  }

  const grades = section.getOptionalConfig('grades');
  for (const key of grades?.keys() ?? []) {
    const g = grade(key, `grades.${key}`);
    const c = grades!.getConfig(key);
    const base = policy.grades[g];
    const rule: GradeRule = {
      label: c.getOptionalString('label') ?? base.label,
      labelEn: c.getOptionalString('labelEn') ?? base.labelEn,
      criteria: c.getOptionalString('criteria') ?? base.criteria,
      approve: c.getOptionalStringArray('approve') ?? base.approve,
      authorIsApprover:
        c.getOptionalString('authorIsApprover') ?? base.authorIsApprover,
      approveAfter:
        c.getOptionalStringArray('approveAfter') ?? base.approveAfter,
      share: c.getOptionalString('share') ?? base.share,
    };
    policy.grades[g] = rule;
  }

  const signoff = section.getOptionalStringArray('signoff.approve');
  if (signoff) policy.signoff = { approve: signoff };

  const floors = section.getOptionalConfigArray('gradeFloors');
  if (floors) {
    policy.gradeFloors = floors.map((f, i) => ({
      when: f.getString('when'),
      min: grade(f.getString('min'), `gradeFloors[${i}].min`),
    }));
  }

  const windows = section.getOptionalConfigArray('windows');
  if (windows) {
    policy.windows = windows.map((w, i): ReleaseWindow => {
      const days = w.getStringArray('days');
      for (const d of days) {
        if (!weekdays.includes(d as Weekday)) {
          fail(`windows[${i}].days`, `has an unknown day '${d}'`);
        }
      }
      const from = w.getString('from');
      const to = w.getString('to');
      if (!HHMM.test(from))
        fail(`windows[${i}].from`, `must be HH:MM, got '${from}'`);
      if (!HHMM.test(to))
        fail(`windows[${i}].to`, `must be HH:MM, got '${to}'`);
      if (from >= to) fail(`windows[${i}]`, `must end after it starts`);
      const tz = w.getOptionalString('tz') ?? 'Asia/Seoul';
      if (!isValidTimeZone(tz))
        fail(`windows[${i}].tz`, `is not a time zone: '${tz}'`);
      return { days: days as Weekday[], from, to, tz };
    });
  }

  const holidays = section.getOptionalStringArray('holidays');
  if (holidays) {
    for (const h of holidays) {
      if (!DATE.test(h))
        fail('holidays', `must hold YYYY-MM-DD dates, got '${h}'`);
    }
    policy.holidays = holidays;
  }
  policy.windowOverride =
    section.getOptionalStringArray('windowOverride') ?? policy.windowOverride;

  const known = new Set(Object.keys(policy.roles));
  const check = (key: string, names: string[] | undefined) => {
    for (const name of names ?? []) {
      if (!known.has(name)) fail(key, `names an undefined role '${name}'`);
    }
  };
  for (const g of releaseGrades) {
    const r = policy.grades[g];
    check(`grades.${g}.approve`, r.approve);
    check(`grades.${g}.approveAfter`, r.approveAfter);
    check(
      `grades.${g}.authorIsApprover`,
      r.authorIsApprover ? [r.authorIsApprover] : [],
    );
    if (r.approve.length === 0 && !r.approveAfter?.length) {
      fail(`grades.${g}`, 'must name approvers in approve or approveAfter');
    }
  }
  check('signoff.approve', policy.signoff.approve);
  check('windowOverride', policy.windowOverride);
  return policy;
}
