import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { InputError } from '@backstage/errors';
import {
  releaseApps,
  renderAnnouncement,
} from '@internal/plugin-release-common';
import { examples } from './releaseNotes.examples';

/**
 * Creates `kop:release:notes`, which renders the shared-room announcement of a release.
 *
 * @public
 */
export function createReleaseNotesAction(options: { product: string }) {
  return createTemplateAction({
    id: 'kop:release:notes',
    description:
      'Renders the release announcement in the team format ([kop] 배포합니다.)',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        versions: z =>
          z
            .array(
              z.object({
                app: z.enum(releaseApps, { description: 'App name' }),
                version: z
                  .string({ description: 'Version to deploy' })
                  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/),
              }),
              { description: 'Versions in announcement order' },
            )
            .min(1),
        grade: z =>
          z.enum(['A', 'B', 'C', 'D', 'E'], { description: 'Release grade' }),
        gradeLabel: z =>
          z
            .string({ description: 'Risk label of the grade, e.g. 낮음' })
            .min(1),
        dbUpdate: z =>
          z.boolean({ description: 'Whether the release updates the DB' }),
        items: z =>
          z
            .array(z.string().min(1), {
              description: 'Item titles as announced',
            })
            .min(1),
      },
      output: {
        announcement: z =>
          z.string({ description: 'The rendered announcement' }),
      },
    },
    async handler(ctx) {
      const apps = ctx.input.versions.map(v => v.app);
      if (new Set(apps).size !== apps.length) {
        throw new InputError('versions names an app more than once');
      }
      ctx.output(
        'announcement',
        renderAnnouncement({ product: options.product, ...ctx.input }),
      );
    },
  });
}
