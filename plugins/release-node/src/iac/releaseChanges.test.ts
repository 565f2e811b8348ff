import { ConfigReader } from '@backstage/config';
import { readReleaseLayout } from '../layout';
import { releaseIacChanges } from './releaseChanges';

const layout = readReleaseLayout(new ConfigReader({}));

describe('releaseIacChanges', () => {
  it('puts hybris on the idle colour at the last step and switches traffic to it', () => {
    expect(
      releaseIacChanges({
        layout,
        liveColour: 'blue',
        apps: [
          { app: 'hybris', version: 'deploy-2026-01-08', steps: [5, 10, 15] },
        ],
      }),
    ).toEqual([
      {
        argocdApp: 'hybris-green',
        key: 'image.tag',
        value: 'deploy-2026-01-08',
      },
      { argocdApp: 'hybris-green', key: 'replicaCount', value: 15 },
      {
        argocdApp: 'hybris',
        key: 'storefront.hybrisServiceName',
        value: 'green',
      },
      {
        argocdApp: 'hybris',
        key: 'backoffice.hybrisServiceName',
        value: 'green',
      },
      { argocdApp: 'hybris', key: 'api.hybrisServiceName', value: 'green' },
    ]);
  });

  it('moves every Argo CD app of cms and web to the new image', () => {
    expect(
      releaseIacChanges({
        layout,
        apps: [
          { app: 'cms', version: '6e27011f' },
          { app: 'web', version: 'a7ed4db1' },
        ],
      }),
    ).toEqual([
      { argocdApp: 'cms', key: 'image.tag', value: '6e27011f' },
      { argocdApp: 'cms-internal', key: 'image.tag', value: '6e27011f' },
      { argocdApp: 'web', key: 'image.tag', value: 'a7ed4db1' },
    ]);
  });

  it('refuses to guess the idle colour when the live one is unknown', () => {
    expect(() =>
      releaseIacChanges({
        layout,
        apps: [{ app: 'hybris', version: 'deploy-2026-01-08' }],
      }),
    ).toThrow(/^hybris: the live colour is unknown/);
  });
});
