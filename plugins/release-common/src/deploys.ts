import { z } from 'zod';
import { deployAcknowledgementSchema } from './model';
import {
  deployPlanChangeSchema,
  deployPlanSchema,
  deployStepKindSchema,
} from './plan';

/*
 * What the release page's Deploy card reads and sends, defined once: the engine's runs as the API
 * shows them, the controls with why one is disabled, and the bodies of the control requests.
 */

const environmentSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be an environment name');

const fingerprintSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be the fingerprint of the plan shown');

const reasonSchema = z
  .string()
  .trim()
  .min(10, 'say why, in at least 10 characters')
  .max(2000);

/** One reading of a waiting step: a gate check or an Argo CD app, with its bounds. @public */
export const deployReadingSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  value: z.number().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  detail: z
    .string()
    .describe('In words, e.g. "pods 6/9 ready", "JGroups view 6/9"'),
});

/** @public */
export type DeployReading = z.infer<typeof deployReadingSchema>;

/** What a step saw at its last look. @public */
export const deployReadingsSchema = z.object({
  checks: z.array(deployReadingSchema),
  hold: z
    .object({
      kind: z.enum(['soak', 'watch']),
      requiredMs: z.number(),
      heldMs: z.number(),
      leftMs: z.number(),
    })
    .optional()
    .describe('The soak before the next step, or the watch after the switch'),
  timeoutLeftMs: z.number().optional(),
});

/** @public */
export type DeployReadings = z.infer<typeof deployReadingsSchema>;

/** A link a step leaves behind: its commit, its merge request, an Argo CD app, a dashboard. @public */
export const deployStepLinkSchema = z.object({
  kind: z.enum(['commit', 'merge-request', 'argocd', 'grafana']),
  title: z.string(),
  url: z.string(),
});

/** @public */
export type DeployStepLink = z.infer<typeof deployStepLinkSchema>;

/** One step of a run as the page shows it. @public */
export const deployRunStepSchema = z.object({
  index: z.number().int(),
  stepId: z.string(),
  kind: deployStepKindSchema,
  state: z.enum(['pending', 'running', 'waiting', 'done', 'failed', 'skipped']),
  attempts: z.number().int(),
  lastError: z.string().optional(),
  waitingReason: z.string().optional(),
  readings: deployReadingsSchema.optional(),
  skipReason: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  links: z.array(deployStepLinkSchema),
  /** The commit the step wrote or found, and whether it wrote it. */
  commit: z.object({ sha: z.string(), committed: z.boolean() }).optional(),
});

/** @public */
export type DeployRunStepView = z.infer<typeof deployRunStepSchema>;

/** A run of a plan: the release's deploy, its safe revert, or a previous release's versions. @public */
export const deployRunSchema = z.object({
  id: z.string(),
  releaseId: z.string(),
  environment: z.string(),
  kind: z.enum(['deploy', 'abort', 'rollback']),
  state: z.enum(['running', 'paused', 'waiting', 'failed', 'done', 'aborted']),
  plan: deployPlanSchema,
  startedBy: z.string().describe('User entity ref of who pressed the button'),
  pausedReason: z
    .string()
    .optional()
    .describe(
      'Why the run paused: a person, a failed step, the window, stop-the-line',
    ),
  createdAt: z.string(),
  updatedAt: z.string(),
  steps: z.array(deployRunStepSchema),
});

/** @public */
export type DeployRunView = z.infer<typeof deployRunSchema>;

/** The controls of the Deploy card. @public */
export const deployControlNames = [
  'deploy',
  'deployBeta',
  'pause',
  'resume',
  'retry',
  'skip',
  'abort',
  'acknowledge',
  'requestApproval',
] as const;

/** @public */
export type DeployControlName = (typeof deployControlNames)[number];

/** Whether this person may press a control now, and why not. @public */
export const deployControlSchema = z.object({
  enabled: z.boolean(),
  reason: z.string().optional().describe('Why the control is disabled'),
  needsReason: z
    .boolean()
    .optional()
    .describe(
      'The press needs a reason (outside the window, a skip, an abort)',
    ),
});

/** @public */
export type DeployControl = z.infer<typeof deployControlSchema>;

/** A stop-the-line switch that holds every release. @public */
export const lineHaltSchema = z.object({
  by: z.string(),
  reason: z.string(),
  at: z.string(),
});

/** @public */
export type LineHalt = z.infer<typeof lineHaltSchema>;

/** A commit on the IaC branch since the run's plan that is not one of the release's own. @public */
export const deployOtherCommitSchema = z.object({
  sha: z.string(),
  title: z.string(),
  author: z.string(),
  webUrl: z.string().optional(),
});

/** @public */
export type DeployOtherCommit = z.infer<typeof deployOtherCommitSchema>;

/**
 * A deploy run paused because someone else's commit changed what its remaining steps write: the
 * same steps with the same values, recomputed on top of the branch as it is now.
 *
 * @public
 */
export const deployRebaseSchema = z.object({
  runId: z.string(),
  fromStep: z
    .number()
    .int()
    .describe('The first step recomputed; the steps before it ran as approved'),
  changes: z.array(deployPlanChangeSchema),
  commits: z
    .array(deployOtherCommitSchema)
    .describe(
      "Commits on the IaC branch since the run's plan that are not this release's, newest first",
    ),
  plan: deployPlanSchema
    .optional()
    .describe(
      "The run's plan with its remaining steps recomputed, and its new fingerprint; absent when refused",
    ),
  refusal: z
    .string()
    .optional()
    .describe('Why the remaining steps cannot run on top of the change'),
});

/** @public */
export type DeployRebase = z.infer<typeof deployRebaseSchema>;

/** GET /releases/{id}/deploy: the Deploy card's whole state for the person who asks. @public */
export const deployViewSchema = z.object({
  runs: z.array(deployRunSchema).describe('Newest first'),
  controls: z.object(
    Object.fromEntries(
      deployControlNames.map(name => [name, deployControlSchema]),
    ) as Record<DeployControlName, typeof deployControlSchema>,
  ),
  halt: lineHaltSchema.optional(),
  acknowledgements: z.array(deployAcknowledgementSchema),
  approvedFingerprint: z
    .string()
    .optional()
    .describe(
      'The plan fingerprint every approval of the release was given for',
    ),
  twoVersionsLive: z
    .boolean()
    .describe('Both hybris colours serve pods: two versions are live'),
  rebase: deployRebaseSchema
    .optional()
    .describe(
      "The active run stopped on someone else's change: the plan to approve before it resumes",
    ),
});

/** @public */
export type DeployView = z.infer<typeof deployViewSchema>;

/** POST /releases/{id}/deploy. @public */
export const deployRequestSchema = z
  .object({
    environment: environmentSchema.default('prod'),
    fingerprint: fingerprintSchema.describe(
      'The plan the person saw; the deploy refuses another',
    ),
    reason: reasonSchema
      .optional()
      .describe('Needed to deploy outside the release windows'),
  })
  .strict();

/** @public */
export type DeployRequest = z.input<typeof deployRequestSchema>;

/** POST /releases/{id}/runs/{runId}/{pause,resume,retry,skip}. @public */
export const deployStepControlRequestSchema = z
  .object({
    step: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The step retried or skipped'),
    reason: reasonSchema
      .optional()
      .describe('Needed to skip, and to resume outside the release windows'),
    fingerprint: fingerprintSchema
      .optional()
      .describe(
        "Resume of a run stopped on someone else's change: the new plan shown, which must be the one approved",
      ),
  })
  .strict();

/** @public */
export type DeployStepControlRequest = z.input<
  typeof deployStepControlRequestSchema
>;

/** POST /releases/{id}/runs/{runId}/request-approval. @public */
export const rebaseApprovalRequestSchema = z
  .object({
    fingerprint: fingerprintSchema.describe(
      'The new plan the author saw; refused when the branch moved again',
    ),
  })
  .strict();

/** @public */
export type RebaseApprovalRequest = z.input<typeof rebaseApprovalRequestSchema>;

/** POST /releases/{id}/abort. @public */
export const abortRequestSchema = z.object({ reason: reasonSchema }).strict();

/** @public */
export type AbortRequest = z.input<typeof abortRequestSchema>;

/** POST /releases/{id}/acknowledgements. @public */
export const acknowledgeRequestSchema = z
  .object({
    subject: z.literal('db-schema'),
    comment: reasonSchema,
  })
  .strict();

/** @public */
export type AcknowledgeRequest = z.input<typeof acknowledgeRequestSchema>;

/** POST /stop-the-line and POST /stop-the-line/lift. @public */
export const stopTheLineRequestSchema = z
  .object({ reason: reasonSchema })
  .strict();

/** @public */
export type StopTheLineRequest = z.input<typeof stopTheLineRequestSchema>;

/** GET /stop-the-line. @public */
export const stopTheLineSchema = z.object({
  halt: lineHaltSchema.optional(),
  toggle: deployControlSchema
    .optional()
    .describe('Whether the person asking may raise or lift it, and why not'),
});

/** @public */
export type StopTheLine = z.infer<typeof stopTheLineSchema>;
