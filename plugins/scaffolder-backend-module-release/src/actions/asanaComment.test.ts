import { InputError } from '@backstage/errors';
import { actionContext, outputsOf } from '../__testUtils__/context';
import {
  releaseApiServer,
  sampleRelease,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { createAsanaCommentAction } from './asanaComment';

describe("kop:asana:comment: a comment on the release's task, queued in its outbox", () => {
  // Only the release API answers: a request to Asana (or anywhere else) fails the test.
  const releaseApi = releaseApiServer();
  const { requests } = releaseApi;
  const action = () => createAsanaCommentAction({ api: testReleaseApi() });

  it('says what it would do in a dry run and queues nothing', async () => {
    const ctx = actionContext(
      { releaseId: sampleRelease.id, text: 'QA 완료' },
      { dryRun: true },
    );
    await action().handler(ctx);
    expect(requests).toEqual([]);
    expect(ctx.logger.info).toHaveBeenCalledWith(
      `Dry run: would comment on the Asana task of release ${sampleRelease.id}`,
    );
  });

  it('queues the comment once per task step', async () => {
    const input = {
      releaseId: sampleRelease.id,
      text: 'hybris 빌드 완료: kop/hybris-build #1234',
    };
    const ctx = actionContext(input, { taskId: 'task-3', stepId: 'build' });
    await action().handler(ctx);
    expect(outputsOf(ctx)).toEqual({ messageId: 'message-1' });
    await action().handler(
      actionContext(input, { taskId: 'task-3', stepId: 'build' }),
    );
    expect(releaseApi.messageRequests).toEqual([
      { kind: 'asana.comment', key: 'task-3/build', text: input.text },
      { kind: 'asana.comment', key: 'task-3/build', text: input.text },
    ]);
    expect(releaseApi.queued.size).toBe(1);
  });

  it('passes the task given for the backend to check', async () => {
    await action().handler(
      actionContext({
        releaseId: sampleRelease.id,
        taskGid: '1210000000001',
        text: 'QA 완료',
      }),
    );
    expect(releaseApi.messageRequests).toEqual([
      {
        kind: 'asana.comment',
        key: 'task-0001/step',
        taskGid: '1210000000001',
        text: 'QA 완료',
      },
    ]);
  });

  it('refuses a real run with no release, naming releaseId', async () => {
    await expect(
      action().handler(actionContext({ releaseId: '', text: 'x' })),
    ).rejects.toThrow(
      new InputError(
        "releaseId: a comment goes out through its release's outbox; give the release (e.g. steps.create.output.id)",
      ),
    );
    expect(requests).toEqual([]);
  });
});
