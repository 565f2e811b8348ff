import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Build the hybris deploy branch and use its image tag in the next steps (steps.build.output.imageTag)',
    example: yaml.stringify({
      steps: [
        {
          id: 'build',
          action: 'kop:jenkins:build',
          name: 'Build hybris',
          input: {
            app: 'hybris',
            branch: 'deploy-2026-01-08',
            timeoutMinutes: 60,
          },
        },
      ],
    }),
  },
];
