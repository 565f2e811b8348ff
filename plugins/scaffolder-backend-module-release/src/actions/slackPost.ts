import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  releaseGrades,
  renderQaRequest,
  type GradePolicy,
  type ReleaseGrade,
} from '@internal/plugin-release-common';
import {
  checkReleaseId,
  messageKeyOf,
  type ReleaseApi,
} from '../lib/releaseApi';
import { examples } from './slackPost.examples';

/**
 * Creates `kop:slack:post`, which queues a post of the release in the release backend's outbox, to a
 * channel of `release.notify.slack`: the one given, an audience's, or the one the grade policy shares
 * the grade with. The message is the given text, or the release's announcement (or QA request).
 * The outbox sends it (after an outage too) and the release page shows its delivery; the form never
 * waits for Slack.
 *
 * @public
 */
export function createSlackPostAction(options: {
  policy: GradePolicy;
  /** `release.notify.slack`: audience (a grade's `share`, or e.g. qa) → channel. */
  channels: Record<string, string>;
  /** Reads the release and queues its message, as the user. */
  api?: ReleaseApi;
  /** Payment-test brands the QA request names (default ks, tc, g4). */
  paymentBrands?: string[];
  /** The portal's address, for the release page link in the QA request. */
  portalUrl?: string;
}) {
  const { policy, channels } = options;
  const audiences = Object.keys(channels);
  const channelOf = (audience: string, field: string) => {
    const channel = Object.hasOwn(channels, audience)
      ? channels[audience]
      : undefined;
    if (!channel) {
      throw new InputError(
        `${field} '${audience}' is not a key of release.notify.slack (${
          audiences.join(', ') || 'none set'
        })`,
      );
    }
    return channel;
  };
  return createTemplateAction({
    id: 'kop:slack:post',
    description:
      "Queues a release's Slack post in the release outbox: to the channel given, an audience's channel (release.notify.slack), or the channel the grade is shared with",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        text: z =>
          z
            .string({
              description:
                'The message (default with releaseId: its announcement)',
            })
            .min(1)
            .max(40_000)
            .optional(),
        releaseId: z =>
          z.string({
            description:
              "A release of the portal (e.g. steps.create.output.id): the post is queued in its outbox, with its grade and message; '' only in a dry run",
          }),
        kind: z =>
          z
            .enum(['announcement', 'qa-request'], {
              description:
                'With releaseId: the announcement (default) or the beta QA request',
            })
            .optional(),
        channel: z =>
          z
            .string({ description: 'Channel name (#kop-qa) or ID' })
            .regex(
              /^#?[a-z0-9][a-z0-9._-]{0,79}$|^[CGD][A-Z0-9]{8,}$/,
              'must be a channel name or ID',
            )
            .optional(),
        audience: z =>
          z
            .string({ description: 'A key of release.notify.slack, e.g. qa' })
            .optional(),
        grade: z =>
          z
            .enum(releaseGrades, {
              description:
                'Post to the channel the grade policy shares this grade with',
            })
            .optional(),
      },
      output: {
        channel: z => z.string({ description: 'The channel the post goes to' }),
        messageId: z =>
          z
            .string({
              description:
                "The queued message: its delivery shows on the release page's Messages card",
            })
            .optional(),
        ts: z =>
          z
            .string({
              description:
                'No longer set: the outbox posts after the form; kept for older templates',
            })
            .optional(),
      },
    },
    async handler(ctx) {
      const { audience } = ctx.input;
      const releaseId = ctx.input.releaseId || undefined;
      let text = ctx.input.text;
      let grade: ReleaseGrade | undefined = ctx.input.grade;
      if (releaseId) {
        checkReleaseId(releaseId);
        if (!options.api)
          throw new Error('kop:slack:post cannot read releases here');
        const credentials = await ctx.getInitiatorCredentials();
        const release = await options.api.get(credentials, releaseId);
        grade ??= release.grade;
        if (!text && ctx.input.kind === 'qa-request') {
          text = renderQaRequest(release, policy, {
            brands: options.paymentBrands ?? ['ks', 'tc', 'g4'],
            portalUrl: options.portalUrl,
          });
        } else if (!text) {
          text = (await options.api.notes(credentials, releaseId)).announcement;
        }
      }
      let channel = ctx.input.channel;
      if (!channel && audience) channel = channelOf(audience, 'audience');
      if (!channel && grade) {
        channel = channelOf(
          policy.grades[grade].share,
          `grade ${grade} is shared with`,
        );
      }
      if (!channel) throw new InputError('give channel, audience or grade');
      if (!Object.values(channels).includes(channel)) {
        // The backend refuses it too: a form posts only where the portal's config says.
        throw new InputError(
          `channel: '${channel}' is not a channel of release.notify.slack (${
            [...new Set(Object.values(channels))].join(', ') || 'none set'
          })`,
        );
      }
      ctx.output('channel', channel);
      if (!text) {
        if (ctx.isDryRun && 'releaseId' in ctx.input) {
          // The release step of a dry run registers nothing, so there is no message to render yet.
          ctx.logger.info(
            `Dry run: would post the release's message to ${channel}`,
          );
          return;
        }
        throw new InputError('give text, or releaseId to post its message');
      }
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would post to ${channel}:\n${text}`);
        return;
      }
      if (!releaseId || !options.api) {
        throw new InputError(
          "releaseId: a post goes out through its release's outbox; give the release (e.g. steps.create.output.id)",
        );
      }
      const message = await options.api.queueMessage(
        await ctx.getInitiatorCredentials(),
        releaseId,
        { kind: 'slack.post', channel, text, key: messageKeyOf(ctx) },
      );
      ctx.logger.info(
        `Slack: queued for ${channel} (message ${message.id}, ${message.state}); the release page shows its delivery`,
      );
      ctx.output('messageId', message.id);
    },
  });
}

/** `release.notify.slack` from config: audience → channel. */
export function readNotifyChannels(config: Config): Record<string, string> {
  const section = config.getOptionalConfig('release.notify.slack');
  return Object.fromEntries(
    (section?.keys() ?? []).map(k => [k, section!.getString(k)]),
  );
}
