import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import type { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { actionContext, outputsOf } from './__testUtils__/context';
import { scaffolderModuleRelease } from './module';

describe('scaffolderModuleRelease', () => {
  it('registers the kop actions with the scaffolder', async () => {
    const addActions = jest.fn();
    await startTestBackend({
      extensionPoints: [[scaffolderActionsExtensionPoint, { addActions }]],
      features: [
        scaffolderModuleRelease,
        mockServices.rootConfig.factory({
          data: { release: { product: 'kop' } },
        }),
      ],
    });
    const ids = addActions.mock.calls.flat().map((a: { id: string }) => a.id);
    expect(ids).toEqual([
      'kop:release:notes',
      'kop:release:create',
      'kop:jenkins:build',
      'kop:asana:task',
      'kop:asana:comment',
      'kop:slack:post',
    ]);
  });

  it("wires the release config into the actions: the grade policy's channels", async () => {
    const addActions = jest.fn();
    await startTestBackend({
      extensionPoints: [[scaffolderActionsExtensionPoint, { addActions }]],
      features: [
        scaffolderModuleRelease,
        mockServices.rootConfig.factory({
          data: {
            release: {
              product: 'kop',
              grades: { C: { share: 'core' } },
              notify: { slack: { core: '#kop-core-pls' } },
            },
          },
        }),
      ],
    });
    const slack = (addActions.mock.calls.flat() as TemplateAction[]).find(
      a => a.id === 'kop:slack:post',
    )!;
    const ctx = actionContext(
      { grade: 'C', text: '[kop] 배포합니다.' },
      { dryRun: true },
    );
    await slack.handler(ctx);
    expect(outputsOf(ctx)).toEqual({ channel: '#kop-core-pls' });
  });
});
