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
    .describe(
      'The image tag: hybris the tag its build pushed (<deploy branch>-<build number>) or a deploy branch; cms and web a commit',
    ),
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

/** Which commit the version that runs is, and how that was found. @public */
export const deployedCommitSchema = z.object({
  from: z
    .enum(['ref', 'build', 'branch'])
    .describe(
      "ref: the version is a branch, tag or commit of the app's project; build: the commit the build that pushed this image tag built, as a release recorded it or Jenkins' git data says; branch: no build says, so the head of the deploy branch the tag names, which may have moved on since (a warning says so)",
    ),
  url: z.string().describe("The commit's GitLab page"),
  ref: z
    .string()
    .optional()
    .describe('The branch, tag or commit it was read as (ref, branch)'),
  build: z
    .object({
      job: z.string(),
      number: z.number().int(),
      url: z.string().optional(),
      releaseId: z
        .string()
        .optional()
        .describe('The release that recorded the build'),
    })
    .optional()
    .describe('The build that pushed the image (build, or branch when known)'),
});

/** @public */
export type DeployedCommit = z.infer<typeof deployedCommitSchema>;

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
    z.object({
      sha: z.string().describe('The commit that runs'),
      commit: deployedCommitSchema,
    }),
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
