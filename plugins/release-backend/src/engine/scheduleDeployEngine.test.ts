import { mockServices } from '@backstage/backend-test-utils';
import {
  DEPLOY_ENGINE_TASK_ID,
  scheduleDeployEngine,
} from './scheduleDeployEngine';

describe('scheduleDeployEngine', () => {
  function setUp(tick: () => Promise<void>) {
    const scheduler = mockServices.scheduler.mock();
    const lifecycle = mockServices.lifecycle.mock();
    const logger = mockServices.logger.mock();
    const engine = { tick: jest.fn(tick), stop: jest.fn(async () => {}) };
    return { scheduler, lifecycle, logger, engine };
  }

  it('ticks on every backend, the leases deciding who advances a run, and stops at shutdown', async () => {
    const deps = setUp(async () => undefined);
    await scheduleDeployEngine({ ...deps, everyMs: 1_000 });

    const [task] = deps.scheduler.scheduleTask.mock.calls[0];
    expect(task).toMatchObject({
      id: DEPLOY_ENGINE_TASK_ID,
      scope: 'local',
      frequency: { milliseconds: 1_000 },
    });
    await task.fn(new AbortController().signal);
    expect(deps.engine.tick).toHaveBeenCalledTimes(1);

    const [hook] = deps.lifecycle.addShutdownHook.mock.calls[0];
    await hook();
    expect(deps.engine.stop).toHaveBeenCalledTimes(1);
  });

  it('neither waits for a tick’s runs nor lets a failed tick stop the task', async () => {
    let finish: () => void = () => {};
    const deps = setUp(
      () =>
        new Promise<void>((_resolve, reject) => {
          finish = () => reject(new Error('connection refused'));
        }),
    );
    await scheduleDeployEngine(deps);
    const [task] = deps.scheduler.scheduleTask.mock.calls[0];

    await expect(task.fn(new AbortController().signal)).resolves.toBe(
      undefined,
    );
    finish();
    await new Promise(r => setImmediate(r));
    expect(deps.logger.error).toHaveBeenCalledWith(
      'The deploy engine could not tick: connection refused',
    );
  });
});
