import { z } from 'zod';
import { releaseApps } from './apps';
import {
  approvalStageSchema,
  releaseAppSchema,
  releaseConfigSchema,
  releaseGradeSchema,
  releaseItemSchema,
  releaseStrategies,
  releaseUrlSchema,
} from './model';

/*
 * The bodies the release API accepts, defined once: the backend validates with these schemas,
 * the front end sends their types, and openapi.yaml's request schemas are generated from them.
 * Messages name what is wrong; the backend puts the field's path in front.
 */

/** What the release form sends to create a release. @public */
export const createReleaseRequestSchema = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    grade: releaseGradeSchema,
    gradeReason: z.string().trim().max(2000).optional(),
    dbUpdate: z.boolean(),
    changeClasses: z
      .array(
        z
          .string()
          .regex(/^[a-zA-Z][a-zA-Z0-9]{0,39}$/, 'must be a change class name'),
      )
      .max(20)
      .optional(),
    apps: z
      .array(
        z
          .object({
            app: releaseAppSchema,
            version: z
              .string()
              .min(1)
              .max(80)
              .describe(
                'hybris: deploy-YYYY-MM-DD; cms/web: commit SHA; or a semver tag',
              ),
            previousVersion: z.string().min(1).max(80).optional(),
            strategy: z.enum(releaseStrategies).optional(),
            steps: z.array(z.number()).max(10).optional(),
          })
          .strict(),
      )
      .min(1, 'must name at least one app')
      .max(releaseApps.length)
      .optional()
      .describe(
        'Required, except in a config release: its apps are read from what runs',
      ),
    items: z
      .array(releaseItemSchema)
      .min(1, 'must list at least one item that ships')
      .max(500)
      .optional()
      .describe('Required, except in a config release'),
    config: releaseConfigSchema
      .optional()
      .describe(
        'Makes a config release: grade A, these IaC keys set by the deploy, nothing else',
      ),
    links: z
      .array(
        z
          .object({ title: z.string().min(1).max(200), url: releaseUrlSchema })
          .strict(),
      )
      .max(50)
      .optional(),
  })
  .strict();

/** @public */
export type CreateReleaseRequest = z.input<typeof createReleaseRequestSchema>;

const parsesAsUrl = (value: string) => {
  try {
    return Boolean(new URL(value).host);
  } catch {
    return false;
  }
};

/** A link to record on a release, e.g. its Asana task (POST /releases/:id/links). @public */
export const addLinkRequestSchema = z
  .object({
    title: z.string().trim().min(1).max(200),
    url: releaseUrlSchema.refine(parsesAsUrl, 'must be a valid URL'),
  })
  .strict();

/** @public */
export type AddLinkRequest = z.input<typeof addLinkRequestSchema>;

/** A new grade; below the floor it needs a reason (POST /releases/:id/grade). @public */
export const changeGradeRequestSchema = z
  .object({
    grade: releaseGradeSchema,
    reason: z.string().trim().max(2000).optional(),
  })
  .strict();

/** @public */
export type ChangeGradeRequest = z.input<typeof changeGradeRequestSchema>;

/** An approval or rejection (POST /releases/:id/approvals); a rejection needs a comment. @public */
export const releaseDecisionSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    stage: approvalStageSchema.default('approval'),
    comment: z
      .string()
      .trim()
      .max(4000)
      .optional()
      .describe('Required to reject'),
    fingerprint: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be the fingerprint of the plan shown')
      .optional()
      .describe(
        'The deploy plan the approver saw; a deploy runs only the plan its approvals were given for',
      ),
  })
  .strict();

/** @public */
export type ReleaseDecision = z.input<typeof releaseDecisionSchema>;

/** Approves a grade E release after it was deployed (POST /releases/:id/retro-approval). @public */
export const retroApprovalRequestSchema = z
  .object({ comment: z.string().trim().max(4000).optional() })
  .strict();

/** @public */
export type RetroApprovalRequest = z.input<typeof retroApprovalRequestSchema>;

/**
 * The moves a person makes by hand; the deploy states are the engine's (Deploy, Pause, Abort).
 *
 * @public
 */
export const humanTransitions = ['prepared', 'beta', 'aborted'] as const;

/** A move to another state (POST /releases/:id/transition). @public */
export const transitionRequestSchema = z
  .object({
    to: z.enum(humanTransitions, {
      errorMap: () => ({
        message: `must be one of ${humanTransitions.join(
          ', ',
        )}; the deploy states move by Deploy, Pause, Resume and Abort`,
      }),
    }),
    reason: z
      .string()
      .trim()
      .max(2000)
      .optional()
      .describe('Needed to deploy outside the windows'),
  })
  .strict();

/** @public */
export type TransitionRequest = z.input<typeof transitionRequestSchema>;

/** POST /what-ships: a body, because items are a list of objects. @public */
export const whatShipsRequestSchema = z
  .object({
    app: releaseAppSchema,
    environment: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be an environment name'),
    candidate: z
      .string()
      .min(1)
      .max(80)
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
        'must be a deploy branch, tag or commit SHA',
      )
      .describe(
        'A deploy-YYYY-MM-DD branch (hybris), a commit SHA (cms, web) or a semver tag',
      ),
    items: z.array(releaseItemSchema).max(500).optional(),
  })
  .strict();

/** @public */
export type WhatShipsRequestBody = z.input<typeof whatShipsRequestSchema>;

/** An on-screen IaC edit to preview (POST /iac/preview): the keys a config release would set. @public */
export const iacPreviewRequestSchema = releaseConfigSchema.pick({
  environment: true,
  changes: true,
});

/** @public */
export type IacPreviewRequest = z.input<typeof iacPreviewRequestSchema>;
