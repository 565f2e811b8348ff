import { z } from 'zod';
import { releaseGradeSchema } from './model';

/*
 * The messages a release sends (Slack posts and direct messages, Asana comments and fields), as the
 * outbox keeps them: the release page shows each one's delivery state.
 */

/** What a message does in Slack or Asana. @public */
export const releaseMessageKindSchema = z.enum([
  'slack.post',
  'slack.direct',
  'asana.comment',
  'asana.fields',
  'asana.complete',
  'asana.create-task',
]);

/** @public */
export type ReleaseMessageKind = z.infer<typeof releaseMessageKindSchema>;

/** Where a message stands: waiting, sent, waiting after a failed try, or refused for good. @public */
export const releaseMessageStateSchema = z.enum([
  'queued',
  'sent',
  'retrying',
  'failed',
]);

/** @public */
export type ReleaseMessageState = z.infer<typeof releaseMessageStateSchema>;

/** One message of a release and its delivery. @public */
export const releaseMessageSchema = z.object({
  id: z.string(),
  releaseId: z.string().optional(),
  kind: releaseMessageKindSchema,
  audience: z
    .string()
    .describe(
      'Who it is for: a key of release.notify.slack (team, qa, …), approver, on-call or asana',
    ),
  destination: z
    .string()
    .describe(
      'The Slack channel, the person (user ref or e-mail) or the Asana task',
    ),
  summary: z.string().describe('The text, cut to its first line'),
  urgent: z.boolean().describe('A page to the seniors on call'),
  state: releaseMessageStateSchema,
  attempts: z.number().int(),
  lastError: z.string().optional(),
  nextAttemptAt: z
    .string()
    .datetime()
    .optional()
    .describe('When it is tried next, while queued or retrying'),
  createdAt: z.string().datetime(),
  sentAt: z.string().datetime().optional(),
});

/** @public */
export type ReleaseMessage = z.infer<typeof releaseMessageSchema>;

/** The messages of one release, oldest first (GET /releases/:id/messages). @public */
export const releaseMessagesSchema = z.object({
  items: z.array(releaseMessageSchema),
});

/** @public */
export type ReleaseMessages = z.infer<typeof releaseMessagesSchema>;

/**
 * Makes a request queued twice one message: the scaffolder task and step that asked (e.g.
 * `<task id>/share`), so a rerun of that step queues nothing new. @public
 */
export const releaseMessageKeySchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/,
    'must be 1 to 200 letters, digits and . _ : / -',
  );

/**
 * A message a person asks for on their release (POST /releases/:id/messages): a Slack post to one
 * of release.notify.slack's channels, a comment on the release's Asana task, or the release's
 * Asana task itself (name, notes, grade and DB update default to the release's). @public
 */
export const queueReleaseMessageRequestSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('slack.post'),
      key: releaseMessageKeySchema,
      channel: z.string().trim().min(1).max(80),
      text: z.string().trim().min(1).max(40_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('asana.comment'),
      key: releaseMessageKeySchema,
      text: z.string().trim().min(1).max(20_000),
      taskGid: z
        .string()
        .regex(/^\d{1,30}$/, 'must be an Asana gid')
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('asana.create-task'),
      key: releaseMessageKeySchema,
      name: z.string().trim().min(1).max(200).optional(),
      notes: z.string().max(60_000).optional(),
      grade: releaseGradeSchema.optional(),
      buildNumber: z.string().trim().min(1).max(100).optional(),
      dbUpdate: z.boolean().optional(),
    })
    .strict(),
]);

/** @public */
export type QueueReleaseMessageRequest = z.input<
  typeof queueReleaseMessageRequestSchema
>;
