import { z } from 'zod';
import type { ReleaseNotes } from './notes';
import {
  releaseGrades,
  type ApprovalCheck,
  type ApprovalRequirement,
  type GradePolicy,
  type GradeRule,
  type ReleaseGrade,
  type ReleaseWindow,
} from './policy';
import {
  approvalStageSchema,
  releaseAppSchema,
  releaseGradeSchema,
  releaseSchema,
} from './model';

/*
 * What the release API answers besides a release, defined once: the backend and the front end
 * share these types, and openapi.yaml's response schemas are generated from the schemas.
 */

/** A page of releases, newest first (GET /releases). @public */
export const releasePageSchema = z.object({
  items: z.array(releaseSchema),
  nextCursor: z
    .string()
    .optional()
    .describe('Pass as cursor to read the next page; absent on the last'),
});

/** @public */
export type ReleasePage = z.infer<typeof releasePageSchema>;

/** @public */
export const approvalRequirementSchema = z.object({
  key: z
    .string()
    .describe(
      'Stable key of the requirement within the release, e.g. approval:pl',
    ),
  stage: approvalStageSchema,
  role: z.string(),
  scope: z.enum(['service', 'any']),
  after: z
    .boolean()
    .describe("True for grade E's approvals, which come after deploying"),
});

/** Whether a person may give one of the missing approvals, and why not. @public */
export const approvalCheckSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), requirement: approvalRequirementSchema }),
  z.object({
    ok: z.literal(false),
    code: z.enum(['self', 'role', 'already', 'filled']),
    message: z.string(),
  }),
]);

/** One stage's approvals (GET /releases/:id/approvals). @public */
export const releaseApprovalStageSchema = z.object({
  stage: approvalStageSchema,
  requirements: z.array(
    approvalRequirementSchema.and(
      z.object({
        givenBy: z.string().optional().describe('Who gave it, when given'),
      }),
    ),
  ),
  /** Whether the signed-in user may give a missing approval, and why not. */
  you: approvalCheckSchema,
});

/** @public */
export type ReleaseApprovalStage = z.infer<typeof releaseApprovalStageSchema>;

/** @public */
export const releaseApprovalsSchema = z.object({
  releaseId: z.string().uuid(),
  state: releaseSchema.shape.state,
  stages: z.array(releaseApprovalStageSchema),
});

/** @public */
export type ReleaseApprovals = z.infer<typeof releaseApprovalsSchema>;

/** A release waiting for the signed-in user (GET /approvals/pending). @public */
export const pendingApprovalSchema = z.object({
  release: releaseSchema,
  stage: approvalStageSchema,
  requirement: approvalRequirementSchema,
});

/** @public */
export type PendingApproval = z.infer<typeof pendingApprovalSchema>;

/** @public */
export const pendingApprovalsSchema = z.object({
  items: z.array(pendingApprovalSchema),
});

/** @public */
export type PendingApprovals = z.infer<typeof pendingApprovalsSchema>;

/** One row of the append-only audit trail. @public */
export const releaseAuditRecordSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  at: z.string().datetime(),
  actor: z.string().describe('User entity ref of who acted'),
  action: z.string().describe('e.g. release.create, release.approve'),
  releaseId: z.string().optional(),
  outcome: z.enum(['success', 'failure']),
  before: z.unknown().describe('The release before the change'),
  after: z.unknown().describe('The release after the change'),
  requestId: z.string().optional(),
  meta: z
    .record(z.unknown())
    .optional()
    .describe('e.g. why an attempt was refused, whom the engine acted for'),
  prevHash: z.string().describe('The hash of the row before'),
  hash: z.string().describe('sha256 of this row and prevHash'),
});

/** @public */
export type ReleaseAuditRecord = z.infer<typeof releaseAuditRecordSchema>;

/** @public */
export const releaseAuditPageSchema = z.object({
  items: z.array(releaseAuditRecordSchema),
});

/** The hash chain walked (GET /audit/verify). @public */
export const auditVerificationSchema = z.object({
  ok: z.boolean(),
  rows: z.number().int(),
  firstBadSeq: z
    .number()
    .int()
    .optional()
    .describe('The first row that does not match its hash or its predecessor'),
  problem: z.string().optional(),
});

/** @public */
export type AuditVerification = z.infer<typeof auditVerificationSchema>;

/** Whether the backend answers, and for which product (GET /health). @public */
export const releaseBackendHealthSchema = z.object({
  status: z.literal('ok'),
  product: z.string(),
  environments: z.array(z.string()),
});

/** @public */
export type ReleaseBackendHealth = z.infer<typeof releaseBackendHealthSchema>;

/** The IaC diff a release ends with in an environment, or why it cannot be shown. @public */
export const releaseIacDiffSchema = z.object({
  environment: z.string(),
  diff: z.string().optional().describe('Unified diff, as git prints it'),
  error: z.string().optional().describe('Why the diff cannot be shown'),
});

/** @public */
export type ReleaseIacDiff = z.infer<typeof releaseIacDiffSchema>;

/** A release's notes in their three forms (GET /releases/:id/notes). @public */
export const releaseNotesSchema = z.object({
  announcement: z
    .string()
    .describe("The shared-room announcement, in the team's exact format"),
  asana: z.string().describe('The Asana task body'),
  commitMessage: z.string().describe('The IaC commit message'),
});

/** The review page's view of a release that is not stored yet (POST /preview). @public */
export const releasePreviewSchema = z.object({
  release: releaseSchema,
  iac: releaseIacDiffSchema
    .optional()
    .describe(
      'With an environment: the IaC diff the release ends with there, or why it cannot be shown',
    ),
  notes: releaseNotesSchema,
  approvals: z.array(
    approvalRequirementSchema.and(
      z.object({
        group: z.string().optional().describe("The role's catalog group"),
        teams: z
          .array(z.string())
          .describe(
            'For a service-scoped role: the teams whose member may act',
          ),
      }),
    ),
  ),
});

/** @public */
export type ReleasePreview = z.infer<typeof releasePreviewSchema>;

/** Where the config-change form may edit (GET /iac/targets). @public */
export const iacEditTargetsSchema = z.object({
  environments: z.array(z.string()),
  targets: z.array(
    z.object({
      argocdApp: z.string(),
      app: releaseAppSchema,
      file: z.string().describe('The values file in the IaC repository'),
      keys: z.array(z.string()).describe('The dotted keys the form may set'),
    }),
  ),
});

/** @public */
export type IacEditTargets = z.infer<typeof iacEditTargetsSchema>;

/** The exact change an IaC edit makes, stored nowhere (POST /iac/preview). @public */
export const iacPreviewSchema = z.object({
  diff: z
    .string()
    .describe('Unified diff, as git prints it (empty when nothing changes)'),
  expectedBlobs: z
    .record(z.string())
    .describe('File → git blob id the diff was made from'),
  baseSha: z
    .string()
    .describe('Commit of the IaC branch the files were read at'),
  changed: z.boolean(),
});

/** @public */
export type IacPreview = z.infer<typeof iacPreviewSchema>;

/** One grade of the policy: who approves it, and who is told. @public */
export const gradeRuleSchema = z.object({
  label: z.string().describe("The risk label in the team's words, e.g. 낮음"),
  labelEn: z.string().describe('The same in English, e.g. low'),
  criteria: z.string().describe("The seed's criteria for the grade"),
  approve: z
    .array(z.string())
    .describe('Roles that must each approve before deploying'),
  authorIsApprover: z
    .string()
    .optional()
    .describe(
      'When the author holds one of the approve roles, that approval goes to this role instead',
    ),
  approveAfter: z
    .array(z.string())
    .optional()
    .describe(
      'Roles that must approve after deploying (grade E: act first, report after)',
    ),
  share: z.string().describe('Who is told: a key of release.notify.slack'),
});

/** When releases may go out. @public */
export const releaseWindowSchema = z.object({
  days: z.array(z.enum(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'])),
  from: z.string().describe('HH:MM, inclusive'),
  to: z.string().describe('HH:MM, exclusive'),
  tz: z.string().describe('IANA time zone of from/to and of the holidays'),
});

/** The grade policy in force (GET /policy). @public */
export const gradePolicySchema = z.object({
  // Every grade has a rule: an object, since z.record over an enum would make each one optional.
  grades: z.object(
    Object.fromEntries(releaseGrades.map(g => [g, gradeRuleSchema])) as Record<
      ReleaseGrade,
      typeof gradeRuleSchema
    >,
  ),
  signoff: z.object({ approve: z.array(z.string()) }),
  roles: z.record(
    z.object({
      group: z
        .string()
        .describe('The catalog group whose members hold the role'),
      scope: z
        .enum(['service', 'any'])
        .describe(
          "service: only members of a team that owns one of the release's apps may act in it",
        ),
    }),
  ),
  gradeFloors: z
    .array(z.object({ when: z.string(), min: releaseGradeSchema }))
    .describe('A change of class `when` needs at least grade `min`'),
  windows: z.array(releaseWindowSchema),
  holidays: z
    .array(z.string())
    .describe('YYYY-MM-DD dates on which no release window is open'),
  windowOverride: z
    .array(z.string())
    .describe('Roles that may release outside the windows, with a reason'),
});

/** One person the local sign-in page offers. @public */
export const demoUserSchema = z.object({
  ref: z.string().describe('User entity ref'),
  name: z.string(),
  displayName: z.string(),
  email: z.string().optional(),
  roles: z.array(z.string()).describe('The release roles the person holds'),
  teams: z.array(z.string()),
});

/** @public */
export type DemoUser = z.infer<typeof demoUserSchema>;

/** The people the local sign-in page offers (GET /demo-users). @public */
export const demoUsersSchema = z.object({ items: z.array(demoUserSchema) });

/** @public */
export type DemoUsers = z.infer<typeof demoUsersSchema>;

/** The systems the portal drives; prometheus and hybris are read by the post-deploy gate. @public */
export const releaseSystemSchema = z.enum([
  'argocd',
  'gitlab',
  'jenkins',
  'asana',
  'slack',
  'prometheus',
  'hybris',
]);

/** @public */
export type ReleaseSystem = z.infer<typeof releaseSystemSchema>;

/** One line of a system's check: what was looked at, whether it is right, what to fix. @public */
export const systemCheckSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  detail: z
    .string()
    .describe('What was found, and for a failed check what to fix'),
});

/** @public */
export type SystemCheck = z.infer<typeof systemCheckSchema>;

/** A system's whole check. @public */
export const systemCheckReportSchema = z.object({
  system: z.string().describe('Human name, e.g. Argo CD'),
  key: releaseSystemSchema,
  configured: z.boolean(),
  ok: z.boolean(),
  checks: z.array(systemCheckSchema),
});

/** @public */
export type SystemCheckReport = z.infer<typeof systemCheckReportSchema>;

/** Whether each system the portal drives answers and lets it act (GET /setup-check). @public */
export const setupCheckResultSchema = z.object({
  ok: z
    .boolean()
    .describe(
      'Every configured system answers and can do what the portal needs',
    ),
  checkedAt: z.string().datetime(),
  systems: z.array(systemCheckReportSchema),
});

/** @public */
export type SetupCheckResult = z.infer<typeof setupCheckResultSchema>;

/** Fails to compile when the policy's own types and these schemas drift apart. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agrees: [
  Same<z.infer<typeof approvalRequirementSchema>, ApprovalRequirement>,
  Same<z.infer<typeof approvalCheckSchema>, ApprovalCheck>,
  Same<z.infer<typeof releaseNotesSchema>, ReleaseNotes>,
  Same<z.infer<typeof gradeRuleSchema>, GradeRule>,
  Same<z.infer<typeof releaseWindowSchema>, ReleaseWindow>,
  Same<z.infer<typeof gradePolicySchema>, GradePolicy>,
] = [true, true, true, true, true, true];
void agrees;
