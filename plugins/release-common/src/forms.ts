import { z } from 'zod';
import { releaseAppSchema, releaseUrlSchema } from './model';

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
  buildPlanned: z
    .boolean()
    .optional()
    .describe(
      "True when no build of this version succeeded or runs: the release's build step builds it",
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

/** A task of the Asana release project the Prepare form offers as an item (GET /asana/tasks). @public */
export const asanaTaskSchema = z.object({
  gid: z.string(),
  name: z
    .string()
    .describe('As written in Asana, e.g. "[CMS] KS 템플릿 업데이트"'),
  completed: z.boolean(),
  url: releaseUrlSchema.optional().describe("The task's Asana permalink"),
  assignee: z.string().optional().describe("The assignee's name"),
  section: z.string().optional().describe('Its section in the release project'),
});

/** @public */
export type AsanaTask = z.infer<typeof asanaTaskSchema>;

/** @public */
export const asanaTaskListSchema = z.object({
  tasks: z.array(asanaTaskSchema),
  truncated: z
    .boolean()
    .describe('More tasks matched than were answered: narrow the search'),
});

/** @public */
export type AsanaTaskList = z.infer<typeof asanaTaskListSchema>;

/** The query of GET /asana/tasks. @public */
export const asanaTasksQuerySchema = z
  .object({
    q: z
      .string()
      .max(200)
      .optional()
      .describe('Only tasks whose name holds this text, in any case'),
    completed: z
      .enum(['true', 'false'])
      .optional()
      .describe('true: completed tasks too (default: open tasks only)'),
  })
  .strict();
