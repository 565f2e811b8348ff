import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { ReleaseIntegrations } from '@internal/plugin-release-node';
import { examples } from './asanaComment.examples';

/**
 * Creates `kop:asana:comment`, which adds a comment to a task (e.g. the build number, the QA result).
 *
 * @public
 */
export function createAsanaCommentAction(options: {
  integrations: Pick<ReleaseIntegrations, 'asana'>;
}) {
  return createTemplateAction({
    id: 'kop:asana:comment',
    description: 'Adds a comment to an Asana task',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        taskGid: z =>
          z
            .string({ description: 'The task, e.g. steps.asana.output.gid' })
            .regex(/^\d{1,30}$/, 'must be an Asana gid'),
        text: z =>
          z.string({ description: 'The comment' }).trim().min(1).max(20_000),
      },
      output: {
        storyGid: z =>
          z.string({ description: 'The comment (story) gid' }).optional(),
      },
    },
    async handler(ctx) {
      const { taskGid, text } = ctx.input;
      const asana = options.integrations.asana;
      if (ctx.isDryRun) {
        const task = await asana.getTask(taskGid);
        ctx.logger.info(
          `Dry run: would comment on the Asana task "${task.name}"`,
        );
        return;
      }
      const story = await ctx.checkpoint({
        key: 'asana-comment',
        fn: async () => ({ gid: (await asana.addComment(taskGid, text)).gid }),
      });
      ctx.output('storyGid', story.gid);
    },
  });
}
