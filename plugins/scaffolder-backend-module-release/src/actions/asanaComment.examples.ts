import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: "Note the build on the release's Asana task",
    example: yaml.stringify({
      steps: [
        {
          id: 'comment',
          action: 'kop:asana:comment',
          name: 'Comment the build',
          input: {
            releaseId: '0b6f6d2e-3c1a-4f7e-9a51-2f8f0c1d9e42',
            text: 'hybris 빌드 완료: kop/hybris-build #1234 (deploy-2026-01-08-1234)',
          },
        },
      ],
    }),
  },
];
