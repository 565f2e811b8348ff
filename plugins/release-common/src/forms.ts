import { z } from 'zod';
import { releaseAppSchema } from './model';

/** A version the release form offers for an app, newest first (GET /candidates). @public */
export const releaseCandidateSchema = z.object({
  version: z
    .string()
    .describe(
      'What the release records as the app version: a deploy branch or a commit sha',
    ),
  label: z
    .string()
    .describe(
      'One line for the picker, e.g. "deploy-2026-01-08 · #12 SUCCESS"',
    ),
  source: z.enum(['branch', 'commit']),
  sha: z.string(),
  date: z.string().optional(),
  author: z.string().optional(),
  title: z.string().optional(),
  webUrl: z.string().optional(),
  build: z
    .object({
      number: z.number().int(),
      result: z.string().nullable(),
      building: z.boolean(),
      url: z.string(),
    })
    .optional()
    .describe(
      'The newest Jenkins build of this version, when the app is built by Jenkins',
    ),
});

/** @public */
export type ReleaseCandidate = z.infer<typeof releaseCandidateSchema>;

/** The versions of one app, and where they come from. @public */
export const candidateListSchema = z.object({
  app: releaseAppSchema,
  from: z.string().describe('e.g. "branches ^deploy- of kop/hybris"'),
  candidates: z.array(releaseCandidateSchema),
  buildsError: z
    .string()
    .optional()
    .describe(
      'Set when the build list could not be read; the versions are still offered',
    ),
});

/** @public */
export type CandidateList = z.infer<typeof candidateListSchema>;
