import { readYamlValues } from './yamlRead';

describe('readYamlValues', () => {
  const text = [
    '# the live colour',
    'storefront:',
    '  hybrisServiceName: hybris-blue',
    'replicaCount: 9',
    'image:',
    '  tag: "2026.11.12-1"',
    '  pullPolicy: [Always]',
    'enabled: true',
  ].join('\n');

  it('reads plain values at dotted keys', () => {
    expect(
      readYamlValues(text, [
        'storefront.hybrisServiceName',
        'replicaCount',
        'image.tag',
        'enabled',
      ]),
    ).toEqual({
      'storefront.hybrisServiceName': 'hybris-blue',
      replicaCount: 9,
      'image.tag': '2026.11.12-1',
      enabled: true,
    });
  });

  it('leaves out keys that are absent or hold a map or a list', () => {
    expect(
      readYamlValues(text, ['image', 'image.pullPolicy', 'api.name', 'x.y.z']),
    ).toEqual({});
  });

  it('names the file when the text is not YAML', () => {
    expect(() =>
      readYamlValues('a: [1, 2', ['a'], { file: 'hybris/values.yaml' }),
    ).toThrow(/^not valid YAML in hybris\/values\.yaml: /);
  });
});
