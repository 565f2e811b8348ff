import type {
  LifecycleService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { messageOf } from '../status/format';
import type { DeployEngine } from './DeployEngine';

/** The scheduler task by which every backend looks for due deploy runs. */
export const DEPLOY_ENGINE_TASK_ID = 'release-deploy-engine-tick';

/**
 * Ticks the engine on every backend (scope local: a global task would run on one replica at a
 * time; the runs' leases in the database decide who advances what) and stops it at shutdown. The
 * tick is the fallback: runs also move on at once after a control, when a wait ends and on wake().
 */
export async function scheduleDeployEngine(options: {
  engine: Pick<DeployEngine, 'tick' | 'stop'>;
  scheduler: SchedulerService;
  lifecycle: LifecycleService;
  logger: LoggerService;
  /** Default 5 s. */
  everyMs?: number;
}): Promise<void> {
  const { engine, scheduler, lifecycle, logger } = options;
  await scheduler.scheduleTask({
    id: DEPLOY_ENGINE_TASK_ID,
    frequency: { milliseconds: options.everyMs ?? 5_000 },
    timeout: { minutes: 1 },
    scope: 'local',
    // Not awaited: a step that takes long must not hold back the look at other runs.
    fn: async () => {
      engine
        .tick()
        .catch(e =>
          logger.error(`The deploy engine could not tick: ${messageOf(e)}`),
        );
    },
  });
  lifecycle.addShutdownHook(() => engine.stop());
}
