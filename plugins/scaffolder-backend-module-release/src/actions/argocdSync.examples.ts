import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (name: string, input: object) =>
  yaml.stringify({
    steps: [{ id: 'sync', action: 'kop:argocd:sync', name, input }],
  });

export const examples: TemplateExample[] = [
  {
    description: 'Deploy cms: sync cms and cms-internal together',
    example: step('Sync cms', {
      environment: 'prod',
      apps: ['cms', 'cms-internal'],
      timeoutMinutes: 10,
    }),
  },
  {
    description:
      'The idle hybris colour first, then cms and web at once, all at the IaC commit of the step before',
    example: step('Sync the release', {
      environment: 'beta',
      groups: [['hybris-green'], ['cms', 'cms-internal', 'web']],
      timeoutMinutes: 20,
    }),
  },
];
