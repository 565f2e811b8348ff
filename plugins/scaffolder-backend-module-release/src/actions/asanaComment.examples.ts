import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Note the build on the release task',
    example: yaml.stringify({
      steps: [
        {
          id: 'comment',
          action: 'kop:asana:comment',
          name: 'Comment the build',
          input: {
            taskGid: '1210000000001',
            text: 'hybris 빌드 완료: kop/hybris-build #1234 (deploy-2026-01-08-1234)',
          },
        },
      ],
    }),
  },
];
