import { z } from 'zod';
import { releaseApps, type ReleaseApp } from './apps';
import { releaseGrades } from './policy';
import {
  releaseBuildSchema,
  releaseTestOverrideSchema,
  releaseTestRunSchema,
} from './stages';
import { releaseStates } from './states';

/** @public */
export const releaseStrategies = [
  'blue-green-steps',
  'branch-merge-sync',
  'sync',
] as const;

/** @public */
export type ReleaseStrategy = (typeof releaseStrategies)[number];

/*
 * The release as the API serves it, defined once: the types below are inferred from these
 * schemas, and openapi.yaml's component schemas are generated from them.
 */

/** @public */
export const releaseAppSchema = z.enum(releaseApps);
/** @public */
export const releaseGradeSchema = z.enum(releaseGrades);
/** @public */
export const releaseStateSchema = z.enum(releaseStates);
/** @public */
export const approvalStageSchema = z.enum(['approval', 'signoff']);

/** @public */
export const releaseUrlSchema = z
  .string()
  .max(2000)
  .regex(/^https?:\/\//, 'must be an http(s) URL');

/** Where a release item comes from. @public */
export const releaseItemSourceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('mr'),
    project: z.string().min(1).max(200),
    iid: z.number().int().positive(),
    url: releaseUrlSchema.optional(),
  }),
  z.object({
    type: z.literal('commit'),
    project: z.string().min(1).max(200),
    sha: z.string().regex(/^[0-9a-f]{7,40}$/, 'must be a commit SHA'),
    url: releaseUrlSchema.optional(),
  }),
  z.object({
    type: z.literal('asana'),
    gid: z.string().regex(/^\d{1,30}$/, 'must be an Asana gid'),
    url: releaseUrlSchema.optional(),
  }),
]);

/** @public */
export type ReleaseItemSource = z.infer<typeof releaseItemSourceSchema>;

/** One change that ships, as announced. @public */
export const releaseItemSchema = z
  .object({
    title: z
      .string()
      .trim()
      .min(1)
      .max(300)
      .describe('As announced, e.g. "[CMS] KS 템플릿 업데이트"'),
    app: releaseAppSchema.optional(),
    source: releaseItemSourceSchema,
  })
  .strict();

/** @public */
export type ReleaseItem = z.infer<typeof releaseItemSchema>;

const GIT_ID = /^[0-9a-f]{40}$/;

/** One values key a config release sets. @public */
export const releaseConfigChangeSchema = z
  .object({
    argocdApp: z
      .string()
      .min(1)
      .max(100)
      .describe('Argo CD app whose values file changes, e.g. hybris-green'),
    key: z
      .string()
      .min(1)
      .max(200)
      .describe('Dotted values key, e.g. replicaCount'),
    value: z.union([z.string().max(500), z.number(), z.boolean()]),
  })
  .strict();

/** @public */
export type ReleaseConfigChange = z.infer<typeof releaseConfigChangeSchema>;

/** A config release's on-screen IaC edit, with the file versions the person saw its diff of. @public */
export const releaseConfigSchema = z
  .object({
    environment: z.string().min(1).max(40),
    changes: z
      .array(releaseConfigChangeSchema)
      .min(1, 'must name at least one key')
      .max(50),
    baseSha: z
      .string()
      .regex(GIT_ID, 'must be a commit SHA')
      .describe('Commit of the IaC branch the diff was shown from'),
    expectedBlobs: z
      .record(z.string().regex(GIT_ID, 'must be a git blob id'))
      .describe(
        'Values file → blob id the diff was shown from; the deploy refuses a file changed since',
      ),
    reason: z.string().trim().min(5).max(300).optional(),
  })
  .strict();

/** @public */
export type ReleaseConfig = z.infer<typeof releaseConfigSchema>;

/** One app in a release and the version it goes to. @public */
export const releaseAppVersionSchema = z.object({
  app: releaseAppSchema,
  version: z
    .string()
    .describe(
      'hybris: deploy-YYYY-MM-DD; cms/web: commit SHA; or a semver tag',
    ),
  previousVersion: z.string().optional().describe('What runs now, when known'),
  strategy: z.enum(releaseStrategies),
  steps: z
    .array(z.number().int())
    .optional()
    .describe(
      'blue-green-steps: replica counts of the idle colour, one step each (e.g. 3, 6, 9)',
    ),
});

/** @public */
export type ReleaseAppVersion = z.infer<typeof releaseAppVersionSchema>;

/** @public */
export const releaseApprovalSchema = z.object({
  id: z.string(),
  stage: approvalStageSchema,
  requirement: z
    .string()
    .describe(
      'The requirement it fills, e.g. approval:pl; unique for a rejection',
    ),
  role: z.string(),
  approver: z.string().describe('User entity ref'),
  decision: z.enum(['approve', 'reject']),
  comment: z.string().optional(),
  planFingerprint: z
    .string()
    .optional()
    .describe('The deploy plan the approver saw; a deploy runs only that plan'),
  createdAt: z.string().datetime(),
});

/** @public */
export type ReleaseApproval = z.infer<typeof releaseApprovalSchema>;

/** @public */
export const releaseLinkSchema = z.object({
  title: z.string(),
  url: z.string(),
});

/** @public */
export type ReleaseLink = z.infer<typeof releaseLinkSchema>;

/** A page of another system where a person follows the release, built from config. */
export const releaseLinkOutSchema = z.object({
  title: z.string(),
  url: z.string(),
  system: z.enum(['argocd', 'gitlab', 'grafana']),
  environment: z
    .string()
    .optional()
    .describe(
      "Absent for what is the same in every environment (the app's version in GitLab)",
    ),
});

/** @public */
export type ReleaseLinkOut = z.infer<typeof releaseLinkOutSchema>;

/** The release page's links out, and which systems could not be linked and why. @public */
export const releaseLinksOutSchema = z.object({
  links: z.array(releaseLinkOutSchema),
  problems: z.array(z.string()).optional(),
});

/** @public */
export type ReleaseLinksOut = z.infer<typeof releaseLinksOutSchema>;

/** A person's audited statement a deploy waits for, e.g. that the running version tolerates the new schema. @public */
export const deployAcknowledgementSchema = z.object({
  subject: z.literal('db-schema'),
  by: z.string().describe('User entity ref'),
  at: z.string().datetime(),
  comment: z.string(),
});

/** @public */
export type DeployAcknowledgement = z.infer<typeof deployAcknowledgementSchema>;

/** A release as stored and served. @public */
export const releaseSchema = z.object({
  id: z.string().uuid(),
  product: z.string(),
  title: z.string(),
  state: releaseStateSchema,
  grade: releaseGradeSchema,
  gradeReason: z
    .string()
    .optional()
    .describe('Required when the grade is below the floor the changes set'),
  minimumGrade: releaseGradeSchema,
  changeClasses: z
    .array(z.string())
    .describe(
      'Classes of change found or declared, e.g. dbChange, infraChange',
    ),
  dbUpdate: z.boolean(),
  apps: z.array(releaseAppVersionSchema),
  config: releaseConfigSchema
    .optional()
    .describe(
      'Set on a config release (grade A): the IaC keys it changes; its apps keep the versions that run',
    ),
  items: z.array(releaseItemSchema),
  author: z.string().describe('User entity ref of the author'),
  links: z.array(releaseLinkSchema),
  approvals: z.array(releaseApprovalSchema),
  windowOverride: z
    .object({ by: z.string(), reason: z.string() })
    .optional()
    .describe("A team lead's reason for releasing outside the windows"),
  retroApprovalPending: z
    .boolean()
    .describe('Grade E that went out before approval and still waits for it'),
  acknowledgements: z.array(deployAcknowledgementSchema).optional(),
  builds: z
    .array(releaseBuildSchema)
    .optional()
    .describe("Each app's build as the plan's first steps found or ran it"),
  tests: z
    .array(releaseTestRunSchema)
    .optional()
    .describe('Payment and post-deploy test runs, oldest first'),
  testOverrides: z
    .array(releaseTestOverrideSchema)
    .optional()
    .describe('Audited decisions to go on although tests failed'),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
  revision: z
    .number()
    .int()
    .describe('Increases with every change; guards against lost updates'),
});

/** @public */
export type Release = z.infer<typeof releaseSchema>;

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
