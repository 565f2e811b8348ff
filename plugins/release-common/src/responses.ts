import { z } from 'zod';
import type { ApprovalCheck, ApprovalRequirement } from './policy';
import { approvalStageSchema, releaseSchema } from './model';

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

/** Fails to compile when the policy's own types and these schemas drift apart. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agrees: [
  Same<z.infer<typeof approvalRequirementSchema>, ApprovalRequirement>,
  Same<z.infer<typeof approvalCheckSchema>, ApprovalCheck>,
] = [true, true];
void agrees;
