import { ConfigReader } from '@backstage/config';
import { readReleasePortalConfig } from './config';

describe('readReleasePortalConfig', () => {
  it('defaults to the kop product with beta then prod', () => {
    expect(readReleasePortalConfig(new ConfigReader({}))).toEqual({
      product: 'kop',
      environments: ['beta', 'prod'],
    });
  });

  it('reads what is configured', () => {
    expect(
      readReleasePortalConfig(
        new ConfigReader({
          release: { product: 'kop', environments: ['qa', 'beta', 'prod'] },
        }),
      ),
    ).toEqual({ product: 'kop', environments: ['qa', 'beta', 'prod'] });
  });

  it.each([
    [{ product: 'Kop!' }, /release\.product/],
    [{ environments: [] }, /release\.environments must name/],
    [
      { environments: ['beta', '../prod'] },
      /invalid environment name '\.\.\/prod'/,
    ],
    [{ environments: ['beta', 'beta'] }, /names an environment twice/],
  ])('refuses %j naming the key', (release, message) => {
    expect(() =>
      readReleasePortalConfig(new ConfigReader({ release })),
    ).toThrow(message);
  });
});
