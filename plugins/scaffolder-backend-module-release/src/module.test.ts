import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
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
      'kop:gitlab:release-branch',
      'kop:jenkins:build',
      'kop:iac:update',
      'kop:argocd:sync',
      'kop:asana:task',
      'kop:asana:comment',
      'kop:slack:post',
    ]);
  });
});
