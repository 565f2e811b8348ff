import type {
  CreateReleaseRequest,
  ReleaseApp,
  ReleaseGrade,
  ReleaseItem,
} from '@internal/plugin-release-common';

/** The versions field's value: the apps the release ships and where. */
export interface ReleaseVersionsValue {
  environment: string;
  apps: Array<{ app: ReleaseApp; version: string; previousVersion?: string }>;
}

/** The items field's value: what ships, as the author edited it. */
export interface ReleaseChangesValue {
  items: ReleaseItem[];
  /** Change classes found in the changed paths, e.g. dbChange. */
  changeClasses: string[];
  /** Merged MRs that ship without being an item. */
  mixedIn: number;
  /** Apps whose candidate is not ahead of what runs. */
  notNewer: ReleaseApp[];
  /** A changed path matches the DB-change patterns. */
  dbUpdate: boolean;
}

/** The grade field's value. */
export interface ReleaseGradeValue {
  grade: ReleaseGrade;
  reason?: string;
}

/** The form's data as the template names it: release, changes, grade, dbUpdate, steps. */
export interface ReleaseFormData {
  release?: ReleaseVersionsValue;
  changes?: ReleaseChangesValue;
  grade?: ReleaseGradeValue;
  dbUpdate?: boolean;
  steps?: string;
}

/** "3,6,9" → [3, 6, 9]; undefined when not a list of numbers. */
export function stepsOf(value: string | undefined): number[] | undefined {
  if (!value) return undefined;
  const steps = value.split(',').map(s => Number(s.trim()));
  return steps.every(n => Number.isInteger(n) && n > 0) ? steps : undefined;
}

/** The create request the form's answers make, or undefined while a part is missing. */
export function draftOf(
  data: ReleaseFormData,
): CreateReleaseRequest | undefined {
  if (!data.release?.apps?.length || !data.changes?.items?.length)
    return undefined;
  if (!data.grade?.grade) return undefined;
  const steps = stepsOf(data.steps);
  return {
    grade: data.grade.grade,
    ...(data.grade.reason ? { gradeReason: data.grade.reason } : {}),
    dbUpdate:
      Boolean(data.dbUpdate) || data.changes.changeClasses.includes('dbChange'),
    changeClasses: data.changes.changeClasses,
    apps: data.release.apps.map(a => ({
      app: a.app,
      version: a.version,
      ...(a.previousVersion ? { previousVersion: a.previousVersion } : {}),
      ...(a.app === 'hybris' && steps ? { steps } : {}),
    })),
    items: data.changes.items,
  };
}
