import { InputError } from '@backstage/errors';
import { createAsanaService } from 'sandbox';
import {
  actionContext,
  CheckpointStore,
  outputsOf,
} from '../__testUtils__/context';
import { readOnlyGuard } from '../__testUtils__/readOnly';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createAsanaTaskAction } from './asanaTask';

const notes =
  '배포버전: hybris(deploy-2026-01-08)\n배포등급: B(낮음)\nDB 업데이트 여부: N';

describe('kop:asana:task against the sandbox Asana', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  const action = () =>
    createAsanaTaskAction({
      integrations: kop.integrations,
      now: () => new Date('2026-01-07T16:00:00Z'),
    });
  const tasks = async () =>
    (await kop.sandbox.services.find(s => s.name === 'Asana')!.describe!()) ??
    [];

  beforeAll(async () => {
    kop = await startKopSandbox({ services: [createAsanaService()] });
  });
  afterAll(() => kop.stop());

  it('names the task in a dry run and writes nothing', async () => {
    const guard = readOnlyGuard(kop.url);
    const ctx = actionContext(
      { apps: ['hybris' as const, 'cms' as const], notes, grade: 'B' as const },
      { dryRun: true },
    );
    await guard.run(() => action().handler(ctx));
    expect(guard.writes).toEqual([]);
    expect(outputsOf(ctx)).toEqual({ name: '2026.01.08 hybris, cms' });
    expect(await tasks()).toEqual([]);
  });

  it('creates the task once with its release fields', async () => {
    const checkpoints = new CheckpointStore();
    const input = {
      name: '2026.01.08 hybris, cms',
      notes,
      grade: 'B' as const,
      buildNumber: '1234',
      dbUpdate: false,
    };
    const ctx = actionContext(input, { checkpoints });
    await action().handler(ctx);
    const out = outputsOf(ctx);
    expect(out).toEqual({
      name: '2026.01.08 hybris, cms',
      gid: expect.stringMatching(/^\d+$/),
      url: expect.stringContaining(out.gid),
    });
    const task = await kop.integrations.asana.getTask(out.gid);
    expect(task).toMatchObject({
      grade: 'B',
      buildNumber: '1234',
      dbUpdate: false,
    });

    await action().handler(actionContext(input, { checkpoints }));
    expect(await tasks()).toEqual([
      expect.objectContaining({
        task: out.gid,
        grade: 'B(낮음)',
        build: '1234',
        'db update': 'N',
      }),
    ]);
  });

  it('refuses a task without a name or apps', async () => {
    await expect(action().handler(actionContext({ notes }))).rejects.toThrow(
      new InputError('give the task a name, or the apps to name it after'),
    );
  });
});
