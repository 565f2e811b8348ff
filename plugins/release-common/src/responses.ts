import { z } from 'zod';
import type { ApprovalCheck, ApprovalRequirement } from './policy';
import { approvalStageSchema, releaseAppSchema, releaseSchema } from './model';

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

/** The review page's view of a release that is not stored yet (POST /preview). @public */
export const releasePreviewSchema = z.object({
  release: releaseSchema,
  iac: releaseIacDiffSchema
    .optional()
    .describe(
      'With an environment: the IaC diff the release ends with there, or why it cannot be shown',
    ),
  notes: z.object({
    announcement: z.string(),
    asana: z.string(),
    commitMessage: z.string(),
  }),
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

/** Fails to compile when the policy's own types and these schemas drift apart. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agrees: [
  Same<z.infer<typeof approvalRequirementSchema>, ApprovalRequirement>,
  Same<z.infer<typeof approvalCheckSchema>, ApprovalCheck>,
] = [true, true];
void agrees;
