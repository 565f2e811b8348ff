import { EditConflictError, setYamlValues } from './yamlEdit';

const values = `# hybris — green colour (Argo CD app: hybris-green)
image:
  repository: registry.kop.example/kop/hybris
  # The deploy branch the image was built from.
  tag: deploy-2025-12-23 # set by the portal
  pullPolicy: "IfNotPresent"

# 9 replicas is "normal"; the idle colour runs 0.
replicaCount: 0
resources:
  requests: { cpu: "4" }
`;

describe('setYamlValues', () => {
  it('changes only the named values and keeps comments, quoting and blank lines', () => {
    const next = setYamlValues(values, {
      'image.tag': 'deploy-2026-01-08',
      replicaCount: 3,
    });
    expect(next).toBe(
      values
        .replace('tag: deploy-2025-12-23', 'tag: deploy-2026-01-08')
        .replace('replicaCount: 0', 'replicaCount: 3'),
    );
  });

  it('checks expected values before changing anything', () => {
    expect(
      setYamlValues(
        values,
        { replicaCount: 6 },
        { expected: { replicaCount: 0 } },
      ),
    ).toContain('replicaCount: 6');
    expect(() =>
      setYamlValues(
        values,
        { replicaCount: 6 },
        { file: 'hybris/values-green.yaml', expected: { replicaCount: 3 } },
      ),
    ).toThrow(
      new EditConflictError(
        'key replicaCount in hybris/values-green.yaml is 0, expected 3',
      ),
    );
  });

  it('refuses a key that is not there or is not a plain value, and text that is not YAML', () => {
    expect(() => setYamlValues(values, { 'image.digest': 'x' })).toThrow(
      'key image.digest is not there',
    );
    expect(() => setYamlValues(values, { resources: 'x' })).toThrow(
      'key resources holds a map or a list, not a value',
    );
    expect(() => setYamlValues('a: [1,\n', { a: 1 })).toThrow(
      EditConflictError,
    );
  });
});
