import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type {
  ReleaseIntegrations,
  ReleaseLayout,
} from '@internal/plugin-release-node';
import { examples } from './jenkinsBuild.examples';

const PARAMETER = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

/**
 * Creates `kop:jenkins:build`, which triggers the app's Jenkins build job (from the release layout),
 * waits for it and outputs the build number and the image tag the build pushed.
 *
 * @public
 */
export function createJenkinsBuildAction(options: {
  integrations: Pick<ReleaseIntegrations, 'jenkins'>;
  layout: ReleaseLayout;
  /** Between two looks at the queue item and the build, default 10 s. */
  pollMs?: number;
}) {
  const { layout } = options;
  const pollMs = options.pollMs ?? 10_000;
  return createTemplateAction({
    id: 'kop:jenkins:build',
    description:
      "Triggers the app's Jenkins build (release.apps.<app>.build.jenkinsJob), waits for it, and outputs the build number and image tag",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        app: z =>
          z
            .enum(['hybris', 'cms', 'web'], {
              description: 'The app to build (default hybris)',
            })
            .optional(),
        branch: z =>
          z
            .string({
              description:
                'Branch to build, sent as the BRANCH parameter, e.g. deploy-2026-01-08',
            })
            .regex(BRANCH, 'must be a branch name')
            .optional(),
        parameters: z =>
          z
            .record(z.string().max(500), {
              description: 'Further build parameters by name',
            })
            .optional(),
        timeoutMinutes: z =>
          z
            .number({
              description: 'Longest wait for the build to finish (default 120)',
            })
            .int()
            .min(1)
            .max(600)
            .optional(),
      },
      output: {
        job: z => z.string({ description: 'The Jenkins job' }),
        buildNumber: z =>
          z.number({ description: 'The build number' }).optional(),
        buildUrl: z =>
          z.string({ description: 'Link to the build' }).optional(),
        result: z =>
          z
            .string({ description: 'SUCCESS when the action succeeds' })
            .optional(),
        imageTag: z =>
          z
            .string({ description: 'The image tag the build pushed' })
            .optional(),
      },
    },
    async handler(ctx) {
      const app = ctx.input.app ?? 'hybris';
      const job = layout.apps[app].build?.jenkinsJob;
      if (!job) {
        throw new InputError(
          `app ${app} has no Jenkins build: set release.apps.${app}.build.jenkinsJob`,
        );
      }
      const parameters: Record<string, string> = { ...ctx.input.parameters };
      for (const name of Object.keys(parameters)) {
        if (!PARAMETER.test(name)) {
          throw new InputError(
            `parameters has an invalid parameter name '${name}'`,
          );
        }
      }
      if (ctx.input.branch) parameters.BRANCH = ctx.input.branch;
      const jenkins = options.integrations.jenkins;
      ctx.output('job', job);

      if (ctx.isDryRun) {
        const report = await jenkins.check([job]);
        const problems = report.checks.filter(c => !c.ok);
        if (problems.length) {
          throw new Error(
            `Jenkins: ${problems
              .map(p => `${p.name}: ${p.detail}`)
              .join('; ')}`,
          );
        }
        ctx.logger.info(
          `Dry run: would build ${job} with ${JSON.stringify(parameters)}`,
        );
        return;
      }

      // Each step is kept, so a retried task follows its own build instead of queueing another.
      const queued = await ctx.checkpoint({
        key: 'jenkins-trigger',
        fn: async () => ({
          queueId: (await jenkins.triggerBuild(job, parameters)).queueId,
        }),
      });
      const { number } = await ctx.checkpoint({
        key: 'jenkins-build-number',
        fn: async () => ({
          number: await jenkins.waitForBuildNumber(queued.queueId, {
            timeoutMs: 30 * 60_000,
            pollMs,
          }),
        }),
      });
      const links = jenkins.links(job, number);
      ctx.output('buildNumber', number);
      ctx.output('buildUrl', links.buildUrl);
      ctx.logger.info(
        `Jenkins: waiting for ${job} #${number} (${links.buildUrl})`,
      );
      const build = await jenkins.waitForBuild(job, number, {
        timeoutMs: (ctx.input.timeoutMinutes ?? 120) * 60_000,
        pollMs,
      });
      ctx.output('result', build.result ?? 'UNKNOWN');
      if (build.result !== 'SUCCESS') {
        throw new Error(
          `Jenkins: ${job} #${number} finished ${build.result}: ${build.consoleUrl}`,
        );
      }
      const imageTag = await jenkins.readImageTag(job, number);
      ctx.logger.info(`Jenkins: ${job} #${number} pushed ${imageTag}`);
      ctx.output('imageTag', imageTag);
    },
  });
}
