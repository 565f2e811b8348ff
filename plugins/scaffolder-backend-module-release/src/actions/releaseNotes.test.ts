import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createReleaseNotesAction } from './releaseNotes';

describe('kop:release:notes', () => {
  const action = createReleaseNotesAction({ product: 'kop' });

  it('outputs the announcement in the team format', async () => {
    const ctx = createMockActionContext({
      input: {
        versions: [{ app: 'web' as const, version: 'a7ed4db1' }],
        grade: 'A' as const,
        gradeLabel: '매우 낮음',
        dbUpdate: false,
        items: ['[WEB] 배너 플래그 끄기'],
      },
    });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith(
      'announcement',
      '[kop] 배포합니다.\n- 배포버전: web(a7ed4db1)\n- 배포등급: A(매우 낮음)\n- DB 업데이트 여부: N\n- 배포내역\n\t- [WEB] 배너 플래그 끄기',
    );
  });

  it('refuses an app named twice', async () => {
    const ctx = createMockActionContext({
      input: {
        versions: [
          { app: 'web' as const, version: 'a7ed4db1' },
          { app: 'web' as const, version: 'b8fe5ec2' },
        ],
        grade: 'A' as const,
        gradeLabel: '매우 낮음',
        dbUpdate: false,
        items: ['[WEB] 배너'],
      },
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      'versions names an app more than once',
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });
});
