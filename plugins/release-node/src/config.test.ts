import { ConfigReader } from '@backstage/config';
import { readReleasePortalConfig } from './config';

describe('readReleasePortalConfig', () => {
  it('defaults to the kop product with beta then prod and the seed strategies', () => {
    expect(readReleasePortalConfig(new ConfigReader({}))).toEqual({
      product: 'kop',
      environments: ['beta', 'prod'],
      strategies: {
        hybris: 'blue-green-steps',
        cms: 'branch-merge-sync',
        web: 'sync',
      },
      defaultSteps: [3, 6, 9],
      adminRoles: ['team-lead'],
    });
  });

  it('takes configured hybris steps', () => {
    expect(
      readReleasePortalConfig(
        new ConfigReader({
          release: { apps: { hybris: { steps: [5, 10, 15] } } },
        }),
      ).defaultSteps,
    ).toEqual([5, 10, 15]);
  });

  it('reads what is configured', () => {
    expect(
      readReleasePortalConfig(
        new ConfigReader({
          release: { product: 'kop', environments: ['qa', 'beta', 'prod'] },
        }),
      ),
    ).toMatchObject({ product: 'kop', environments: ['qa', 'beta', 'prod'] });
  });

  it.each([
    [{ product: 'Kop!' }, /release\.product/],
    [{ environments: [] }, /release\.environments must name/],
    [
      { environments: ['beta', '../prod'] },
      /invalid environment name '\.\.\/prod'/,
    ],
    [{ environments: ['beta', 'beta'] }, /names an environment twice/],
    [{ apps: { payments: {} } }, /release\.apps\.payments is not a kop app/],
    [
      { apps: { web: { strategy: 'yolo' } } },
      /release\.apps\.web\.strategy must be one of/,
    ],
    [
      { apps: { hybris: { steps: [6, 3] } } },
      /release\.apps\.hybris\.steps must be rising/,
    ],
    [
      { apps: { hybris: { steps: [0] } } },
      /release\.apps\.hybris\.steps must be rising/,
    ],
  ])('refuses %j naming the key', (release, message) => {
    expect(() =>
      readReleasePortalConfig(new ConfigReader({ release })),
    ).toThrow(message);
  });
});
