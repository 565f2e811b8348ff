import { z } from 'zod';
import {
  releaseAppSchema,
  releaseGradeSchema,
  releaseItemSchema,
} from './model';

/*
 * What a release of one app ships to one environment (POST /what-ships), defined once: the backend
 * computes it, the front end shows it, and openapi.yaml's schemas for it are generated from these.
 */

/** What runs now in one environment, and where that was read. @public */
export const deployedVersionSchema = z.object({
  version: z
    .string()
    .describe('The image tag: a deploy branch (hybris) or a commit (cms, web)'),
  source: z
    .enum(['iac', 'argocd'])
    .describe(
      "iac: the IaC repository's values file; argocd: the image Argo CD reports as running",
    ),
  argocdApp: z
    .string()
    .describe(
      "The Argo CD app whose image this is (hybris: the live colour's)",
    ),
  iac: z
    .object({
      project: z.string(),
      branch: z.string(),
      file: z.string(),
      key: z.string(),
    })
    .describe('Where the IaC repository keeps it'),
});

/** @public */
export type DeployedVersion = z.infer<typeof deployedVersionSchema>;

/** One commit between what runs and the candidate. @public */
export const whatShipsCommitSchema = z.object({
  sha: z.string(),
  shortSha: z.string(),
  title: z.string(),
  author: z.string(),
  authoredDate: z.string(),
  url: z.string(),
  paths: z
    .array(z.string())
    .describe('Paths it changed (a merge commit: against its first parent)'),
  mergeRequest: z
    .number()
    .int()
    .optional()
    .describe(
      'iid of the merge request that brought it, the innermost when several did',
    ),
  merge: z
    .boolean()
    .describe(
      'A merge commit: what it merges is listed (and flagged) commit by commit',
    ),
  item: z
    .number()
    .int()
    .optional()
    .describe('Index of the release item that covers it'),
  mixedIn: z
    .boolean()
    .describe(
      'Ships without an item covering it (directly or through its merge request)',
    ),
});

/** @public */
export type WhatShipsCommit = z.infer<typeof whatShipsCommitSchema>;

/** One merged merge request between what runs and the candidate. @public */
export const whatShipsMergeRequestSchema = z.object({
  iid: z.number().int(),
  title: z.string(),
  url: z.string(),
  author: z.string().optional(),
  mergedAt: z.string().optional(),
  sourceBranch: z.string(),
  targetBranch: z.string(),
  paths: z.array(z.string()).describe('Paths it changed'),
  item: z
    .number()
    .int()
    .optional()
    .describe('Index of the release item that covers it'),
  mixedIn: z
    .boolean()
    .describe(
      'Ships without an item covering it; never set on a merge request that only carries others',
    ),
  changeClasses: z
    .array(z.string())
    .describe('Change classes its paths fall in, e.g. dbChange'),
  carries: z
    .array(z.number().int())
    .describe(
      'A release merge request (e.g. cms pre-release → master) that only carries these others',
    ),
});

/** @public */
export type WhatShipsMergeRequest = z.infer<typeof whatShipsMergeRequestSchema>;

/** Exactly what a release of one app ships to one environment (POST /what-ships). @public */
export const whatShipsSchema = z.object({
  app: releaseAppSchema,
  environment: z.string(),
  project: z.string().describe("GitLab project of the app's code"),
  deployed: deployedVersionSchema.and(
    z.object({ sha: z.string().describe('The commit that runs') }),
  ),
  candidate: z.object({ version: z.string(), sha: z.string() }),
  newer: z
    .boolean()
    .describe(
      'The candidate has commits that do not run, and lacks none that do',
    ),
  ahead: z.number().int().describe('Commits in the candidate that do not run'),
  behind: z
    .number()
    .int()
    .describe(
      'Commits that run and the candidate lacks (they would be rolled back)',
    ),
  commits: z.array(whatShipsCommitSchema).describe('Oldest first'),
  mergeRequests: z
    .array(whatShipsMergeRequestSchema)
    .describe('Oldest merge first'),
  changedPaths: z
    .array(z.string())
    .describe('Every path the shipping commits touch, sorted'),
  changeClasses: z
    .record(z.array(z.string()))
    .describe(
      'Per configured change class, the changed paths that fall in it (empty when none)',
    ),
  dbUpdate: z.boolean(),
  // The lowest grade the grade floors allow for these change classes; undescribed, so it stays a $ref.
  minimumGrade: releaseGradeSchema,
  proposedItems: z
    .array(releaseItemSchema)
    .describe(
      'One item per merge request that ships (carriers aside), to pre-fill the form',
    ),
  missingItems: z
    .array(z.number().int())
    .describe("Indexes of this app's items that nothing shipping matches"),
  warnings: z
    .array(z.string())
    .describe(
      'Things a person should know: versions that differ between Argo CD apps or from the IaC repo',
    ),
});

/** @public */
export type WhatShips = z.infer<typeof whatShipsSchema>;
