import type { ReleaseApp } from './apps';
import type { ApprovalStage, ReleaseGrade } from './policy';
import type { ReleaseState } from './states';

/** Where a release item comes from. @public */
export type ReleaseItemSource =
  | { type: 'mr'; project: string; iid: number; url?: string }
  | { type: 'commit'; project: string; sha: string; url?: string }
  | { type: 'asana'; gid: string; url?: string };

/** One change that ships, as announced. @public */
export interface ReleaseItem {
  /** As announced, e.g. "[CMS] KS 템플릿 업데이트". */
  title: string;
  app?: ReleaseApp;
  source: ReleaseItemSource;
}

/** @public */
export const releaseStrategies = [
  'blue-green-steps',
  'branch-merge-sync',
  'sync',
] as const;

/** @public */
export type ReleaseStrategy = (typeof releaseStrategies)[number];

/** One app in a release and the version it goes to. @public */
export interface ReleaseAppVersion {
  app: ReleaseApp;
  version: string;
  /** What runs now, when known. */
  previousVersion?: string;
  strategy: ReleaseStrategy;
  /** blue-green-steps: replica counts of the idle colour, one step each (e.g. 3, 6, 9). */
  steps?: number[];
}

/** @public */
export interface ReleaseApproval {
  id: string;
  stage: ApprovalStage;
  /** The requirement it fills, e.g. `approval:pl`; empty for a rejection. */
  requirement: string;
  role: string;
  approver: string;
  decision: 'approve' | 'reject';
  comment?: string;
  createdAt: string;
}

/** @public */
export interface ReleaseLink {
  title: string;
  url: string;
}

/** A page of another system where a person follows the release, built from config. */
export interface ReleaseLinkOut extends ReleaseLink {
  system: 'argocd' | 'gitlab' | 'grafana';
  /** Absent for what is the same in every environment (the app's version in GitLab). */
  environment?: string;
}

/** The release page's links out, and which systems could not be linked and why. */
export interface ReleaseLinksOut {
  links: ReleaseLinkOut[];
  problems?: string[];
}

/** A release as stored and served. @public */
export interface Release {
  id: string;
  product: string;
  title: string;
  state: ReleaseState;
  grade: ReleaseGrade;
  /** Required when the grade is below the floor the changes set. */
  gradeReason?: string;
  minimumGrade: ReleaseGrade;
  /** Classes of change found or declared, e.g. dbChange, infraChange. */
  changeClasses: string[];
  dbUpdate: boolean;
  apps: ReleaseAppVersion[];
  items: ReleaseItem[];
  /** User entity ref of the author. */
  author: string;
  links: ReleaseLink[];
  approvals: ReleaseApproval[];
  /** A team lead's reason for releasing outside the windows. */
  windowOverride?: { by: string; reason: string };
  /** Grade E that went out before approval and still waits for it. */
  retroApprovalPending: boolean;
  createdAt: string;
  updatedAt: string;
  /** Increases with every change; guards against lost updates. */
  revision: number;
}

/** What the release form sends to create a release. @public */
export interface CreateReleaseRequest {
  title?: string;
  grade: ReleaseGrade;
  gradeReason?: string;
  dbUpdate: boolean;
  changeClasses?: string[];
  apps: Array<
    Omit<ReleaseAppVersion, 'strategy'> & { strategy?: ReleaseStrategy }
  >;
  items: ReleaseItem[];
  links?: ReleaseLink[];
}

const DEPLOY_BRANCH = /^deploy-(\d{4})-(\d{2})-(\d{2})(?:[-.]\d{1,3})?$/;
const SHA = /^[0-9a-f]{7,40}$/;
const SEMVER = /^v?\d{1,4}\.\d{1,4}\.\d{1,6}(?:[-+][0-9A-Za-z.-]{1,40})?$/;

/**
 * Whether a string is a version an app can be released at: hybris deploys `deploy-YYYY-MM-DD`
 * branches (or a semver image tag); cms and web deploy commits (or a semver tag).
 *
 * @public
 */
export function isReleaseVersion(app: ReleaseApp, version: string): boolean {
  if (SEMVER.test(version)) return true;
  if (app === 'hybris') {
    const m = DEPLOY_BRANCH.exec(version);
    if (!m) return false;
    const date = new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`);
    return (
      !Number.isNaN(date.getTime()) &&
      date.toISOString().startsWith(`${m[1]}-${m[2]}-${m[3]}`)
    );
  }
  return SHA.test(version);
}

/**
 * The title the team gives a release in Asana, e.g. "2026.01.06 hybris, cms".
 *
 * @public
 */
export function defaultReleaseTitle(apps: ReleaseApp[], at: Date): string {
  const date = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Seoul',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
    .format(at)
    .replace(/-/g, '.');
  return `${date} ${apps.join(', ')}`;
}
