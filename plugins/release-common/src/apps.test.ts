import { isReleaseApp, releaseAppOfEntity } from './apps';

describe('isReleaseApp', () => {
  it('accepts exactly the three kop apps', () => {
    expect(['hybris', 'cms', 'web'].every(isReleaseApp)).toBe(true);
    expect(isReleaseApp('cms-internal')).toBe(false);
    expect(isReleaseApp('HYBRIS')).toBe(false);
    expect(isReleaseApp(undefined)).toBe(false);
  });
});

describe('releaseAppOfEntity', () => {
  const component = (name: string, annotations?: Record<string, string>) => ({
    kind: 'Component',
    metadata: { name, annotations },
  });

  it('names the app of an annotated kop component', () => {
    expect(
      releaseAppOfEntity(
        component('hybris', { 'kop.release/strategy': 'blue-green-steps' }),
      ),
    ).toBe('hybris');
  });

  it('ignores components without the strategy annotation or with another name', () => {
    expect(releaseAppOfEntity(component('hybris'))).toBeUndefined();
    expect(
      releaseAppOfEntity(
        component('payments', { 'kop.release/strategy': 'sync' }),
      ),
    ).toBeUndefined();
    expect(
      releaseAppOfEntity({
        kind: 'System',
        metadata: {
          name: 'web',
          annotations: { 'kop.release/strategy': 'sync' },
        },
      }),
    ).toBeUndefined();
  });
});
