import { createAsanaService } from 'sandbox';
import {
  actionContext,
  CheckpointStore,
  outputsOf,
} from '../__testUtils__/context';
import { readOnlyGuard } from '../__testUtils__/readOnly';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createAsanaCommentAction } from './asanaComment';

describe('kop:asana:comment against the sandbox Asana', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  let taskGid: string;
  const action = () =>
    createAsanaCommentAction({ integrations: kop.integrations });
  const comments = async () =>
    ((await kop.sandbox.services.find(s => s.name === 'Asana')!.describe!()) ??
      [])[0]?.comments;

  beforeAll(async () => {
    kop = await startKopSandbox({ services: [createAsanaService()] });
    taskGid = (
      await kop.integrations.asana.createReleaseTask({
        name: '2026.01.08 hybris',
      })
    ).gid;
  });
  afterAll(() => kop.stop());

  it('finds the task in a dry run and writes nothing', async () => {
    const guard = readOnlyGuard(kop.url);
    const ctx = actionContext({ taskGid, text: 'QA 완료' }, { dryRun: true });
    await guard.run(() => action().handler(ctx));
    expect(guard.writes).toEqual([]);
    expect(ctx.logger.info).toHaveBeenCalledWith(
      'Dry run: would comment on the Asana task "2026.01.08 hybris"',
    );
    expect(await comments()).toBe(0);
  });

  it('names Asana and the task when the task is not there, in a dry run too', async () => {
    await expect(
      action().handler(
        actionContext({ taskGid: '999', text: 'x' }, { dryRun: true }),
      ),
    ).rejects.toThrow(/^Asana: read task failed \(HTTP 404\)/);
  });

  it('comments once', async () => {
    const checkpoints = new CheckpointStore();
    const input = { taskGid, text: 'hybris 빌드 완료: kop/hybris-build #1234' };
    const ctx = actionContext(input, { checkpoints });
    await action().handler(ctx);
    expect(outputsOf(ctx).storyGid).toMatch(/^\d+$/);
    await action().handler(actionContext(input, { checkpoints }));
    expect(await comments()).toBe(1);
  });
});
