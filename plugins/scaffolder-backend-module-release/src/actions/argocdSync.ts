import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { releaseApps } from '@internal/plugin-release-common';
import {
  argocdAppsOf,
  type ArgoCdAppState,
  type ReleaseIntegrations,
  type ReleaseLayout,
} from '@internal/plugin-release-node';
import { realActionClock, type ActionClock } from '../lib/waiting';
import { examples } from './argocdSync.examples';

const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

/** Every Argo CD app the release layout knows, in the order a person would read them. */
export function layoutArgoCdApps(layout: ReleaseLayout): string[] {
  return [...new Set(releaseApps.flatMap(app => argocdAppsOf(layout, app)))];
}

type AppResult = {
  app: string;
  syncStatus: string;
  healthStatus: string;
  revision: string;
};

function resultOf(state: ArgoCdAppState): AppResult {
  return {
    app: state.name,
    syncStatus: state.syncStatus,
    healthStatus: state.healthStatus,
    revision: state.syncedRevision ?? '',
  };
}

/**
 * Creates `kop:argocd:sync`, which syncs several Argo CD apps of one environment: groups one after
 * another, the apps of a group at once, each waited for until Synced and Healthy, all within one
 * timeout. It never terminates an operation someone else started; it waits for it.
 *
 * @public
 */
export function createArgoCdSyncAction(options: {
  integrations: Pick<ReleaseIntegrations, 'argocd'>;
  layout: ReleaseLayout;
  environments: string[];
  /** The clock of the overall deadline (tests pass one that does not wait). */
  clock?: ActionClock;
}) {
  const known = layoutArgoCdApps(options.layout);
  const clock = options.clock ?? realActionClock;
  return createTemplateAction({
    id: 'kop:argocd:sync',
    description:
      'Syncs Argo CD apps of one environment, groups in order and the apps of a group at once, and waits until each is Synced and Healthy',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        environment: z => z.string({ description: 'Environment, e.g. prod' }),
        apps: z =>
          z
            .array(z.string(), {
              description: 'Apps synced at once (or give groups)',
            })
            .min(1)
            .optional(),
        groups: z =>
          z
            .array(z.array(z.string()).min(1), {
              description:
                'Apps in groups: one group after another, the apps of a group at once',
            })
            .min(1)
            .optional(),
        revision: z =>
          z
            .string({
              description:
                'Git revision to sync to, e.g. the IaC commit (default the app’s target revision)',
            })
            .regex(REVISION, 'must be a commit SHA or a branch name')
            .optional(),
        prune: z =>
          z
            .boolean({
              description: 'Delete resources no longer in git (default false)',
            })
            .optional(),
        timeoutMinutes: z =>
          z
            .number({
              description:
                'Longest time for all groups to be Synced and Healthy (default 15)',
            })
            .positive()
            .max(180)
            .optional(),
      },
      output: {
        apps: z =>
          z.array(
            z.object({
              app: z.string(),
              syncStatus: z.string(),
              healthStatus: z.string(),
              revision: z.string(),
            }),
            {
              description:
                'Each app as it ended (in a dry run: as it is now), in order',
            },
          ),
      },
    },
    async handler(ctx) {
      const { environment, apps, groups: givenGroups, revision } = ctx.input;
      if (!options.environments.includes(environment)) {
        throw new InputError(
          `environment must be one of ${options.environments.join(
            ', ',
          )}, got '${environment}'`,
        );
      }
      if (!apps === !givenGroups) {
        throw new InputError('give either apps or groups');
      }
      const groups = givenGroups ?? [apps!];
      const seen = new Set<string>();
      groups.forEach((group, g) =>
        group.forEach((app, i) => {
          const field = apps ? `apps[${i}]` : `groups[${g}][${i}]`;
          if (!known.includes(app)) {
            throw new InputError(
              `${field} '${app}' is not an Argo CD app of the release layout (${known.join(
                ', ',
              )})`,
            );
          }
          if (seen.has(app))
            throw new InputError(`${field} names ${app} a second time`);
          seen.add(app);
        }),
      );
      let client;
      try {
        client = options.integrations.argocd.forEnvironment(environment);
      } catch (e) {
        throw new InputError((e as Error).message);
      }
      const order = groups.map(g => g.join(' + ')).join(' → ');

      if (ctx.isDryRun) {
        const states = await Promise.all(
          groups.flat().map(app => client.getApplicationState(app)),
        );
        ctx.logger.info(
          `Dry run: would sync ${order} in ${client.instance}${
            revision ? ` at ${revision}` : ''
          }; now ${states
            .map(s => `${s.name} ${s.syncStatus}/${s.healthStatus}`)
            .join(', ')}`,
        );
        ctx.output('apps', states.map(resultOf));
        return;
      }

      const timeoutMs = (ctx.input.timeoutMinutes ?? 15) * 60_000;
      const deadline = clock.now() + timeoutMs;
      const remaining = (app: string) => {
        const left = deadline - clock.now();
        if (left <= 0) {
          throw new Error(
            `Argo CD ${client.instance}/${app}: not Synced and Healthy within ${
              ctx.input.timeoutMinutes ?? 15
            } min`,
          );
        }
        return left;
      };
      const syncOne = async (app: string): Promise<AppResult> => {
        // Names the operation, so a retried task finds its own sync instead of starting another.
        const operationKey = `${ctx.task.id}/${ctx.step?.id ?? 'sync'}/${app}`;
        await ctx.checkpoint({
          key: `argocd-sync-${environment}-${app}`,
          fn: async () => {
            const started = await client.sync(app, {
              operationKey,
              revision,
              prune: ctx.input.prune ?? false,
              busyTimeoutMs: remaining(app),
            });
            return { operationKey, alreadyStarted: started.alreadyStarted };
          },
        });
        const operation = await client.waitForOperation(app, {
          operationKey,
          timeoutMs: remaining(app),
        });
        if (operation.phase !== 'Succeeded') {
          throw new Error(
            `Argo CD ${client.instance}/${app}: the sync ended ${
              operation.phase
            }${operation.message ? `: ${operation.message}` : ''}`,
          );
        }
        const state = await client.waitForHealth(app, {
          timeoutMs: remaining(app),
        });
        ctx.logger.info(
          `Argo CD ${client.instance}/${app}: ${state.syncStatus} and ${state.healthStatus} at ${state.syncedRevision}`,
        );
        return resultOf(state);
      };

      ctx.logger.info(`Syncing ${order} in ${client.instance}`);
      const results: AppResult[] = [];
      for (const group of groups) {
        // Every app of the group is waited for, so none is left running unseen when one fails.
        const settled = await Promise.allSettled(group.map(syncOne));
        const failed = settled.flatMap(s =>
          s.status === 'rejected' ? [(s.reason as Error).message] : [],
        );
        if (failed.length) {
          ctx.output('apps', [
            ...results,
            ...settled.flatMap(s =>
              s.status === 'fulfilled' ? [s.value] : [],
            ),
          ]);
          throw new Error(failed.join('; '));
        }
        results.push(
          ...settled.map(s => (s as PromiseFulfilledResult<AppResult>).value),
        );
      }
      ctx.output('apps', results);
    },
  });
}
