import { z } from 'zod';
import { releaseApps } from './apps';

/*
 * The stages around a deploy, as a release records them: the build of each app's version, the
 * payment tests on beta, the post-deploy tests in production, and the audited overrides of
 * tests that failed. Defined once: the engine writes them, the release page shows them.
 */

/** The kinds of test a release records. @public */
export const releaseTestKindSchema = z.enum(['payment', 'post-deploy']);

/** @public */
export type ReleaseTestKind = z.infer<typeof releaseTestKindSchema>;

/** The build of one app's version: a Jenkins build (hybris) or the commit's GitLab pipeline (cms, web). @public */
export const releaseBuildSchema = z.object({
  app: z.enum(releaseApps),
  version: z.string(),
  system: z.enum(['jenkins', 'gitlab']),
  job: z.string().describe('The Jenkins job, or the GitLab project'),
  buildNumber: z
    .number()
    .int()
    .describe('The Jenkins build number, or the GitLab pipeline id'),
  imageTag: z
    .string()
    .optional()
    .describe('The image tag the build pushed (hybris)'),
  commit: z
    .string()
    .optional()
    .describe(
      "The commit the build built (hybris: the revision in Jenkins' git data), which that image tag runs",
    ),
  url: z.string().describe('The build, or the pipeline'),
  consoleUrl: z.string().optional().describe("The build's console log"),
  result: z.enum(['success', 'failed']),
  at: z.string().datetime(),
});

/** @public */
export type ReleaseBuild = z.infer<typeof releaseBuildSchema>;

/** One test's outcome: a brand's payment test, or one post-deploy check. @public */
export const releaseTestResultSchema = z.object({
  name: z.string().describe('The brand (payment) or the check (post-deploy)'),
  brand: z.string().optional(),
  kind: z.enum(['jenkins', 'http']),
  job: z
    .string()
    .optional()
    .describe('The Jenkins job, or the URL an HTTP check asked'),
  result: z.enum(['passed', 'failed']),
  durationMs: z.number(),
  url: z.string().optional().describe("The build's page, or the URL checked"),
  detail: z.string().optional().describe('Why it failed, in words'),
});

/** @public */
export type ReleaseTestResult = z.infer<typeof releaseTestResultSchema>;

/** A run of one kind of test, as the engine recorded it when every test had finished. @public */
export const releaseTestRunSchema = z.object({
  kind: releaseTestKindSchema,
  environment: z.string(),
  runId: z.string().describe('The deploy run whose step ran the tests'),
  results: z.array(releaseTestResultSchema),
  finishedAt: z.string().datetime(),
});

/** @public */
export type ReleaseTestRun = z.infer<typeof releaseTestRunSchema>;

/** A person's audited decision to go on although a test run failed. @public */
export const releaseTestOverrideSchema = z.object({
  kind: releaseTestKindSchema,
  runId: z.string().describe('The deploy run whose failed tests it covers'),
  by: z.string().describe('User entity ref'),
  reason: z.string(),
  at: z.string().datetime(),
});

/** @public */
export type ReleaseTestOverride = z.infer<typeof releaseTestOverrideSchema>;

/** POST /releases/{id}/tests/override. @public */
export const testOverrideRequestSchema = z
  .object({
    kind: releaseTestKindSchema,
    reason: z
      .string()
      .trim()
      .min(10, 'say why, in at least 10 characters')
      .max(500),
  })
  .strict();

/** @public */
export type TestOverrideRequest = z.input<typeof testOverrideRequestSchema>;

/** The newest test run of a kind a release recorded. @public */
export function latestTestRun(
  runs: readonly ReleaseTestRun[] | undefined,
  kind: ReleaseTestKind,
): ReleaseTestRun | undefined {
  return [...(runs ?? [])].reverse().find(r => r.kind === kind);
}

/**
 * Where a release stands with one kind of test: none ran, every test passed, some failed, or
 * some failed and a person overrode that run, with their reason.
 *
 * @public
 */
export function testStanding(
  release: {
    tests?: readonly ReleaseTestRun[];
    testOverrides?: readonly ReleaseTestOverride[];
  },
  kind: ReleaseTestKind,
):
  | { state: 'none' }
  | { state: 'passed'; run: ReleaseTestRun }
  | { state: 'failed'; run: ReleaseTestRun; failed: ReleaseTestResult[] }
  | {
      state: 'overridden';
      run: ReleaseTestRun;
      failed: ReleaseTestResult[];
      override: ReleaseTestOverride;
    } {
  const run = latestTestRun(release.tests, kind);
  if (!run) return { state: 'none' };
  const failed = run.results.filter(r => r.result !== 'passed');
  if (!failed.length) return { state: 'passed', run };
  const override = release.testOverrides?.find(
    o => o.kind === kind && o.runId === run.runId,
  );
  return override
    ? { state: 'overridden', run, failed, override }
    : { state: 'failed', run, failed };
}
