import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Register a grade B release of hybris and cms with the items that ship; link to its page in the output',
    example: yaml.stringify({
      steps: [
        {
          id: 'release',
          action: 'kop:release:create',
          name: 'Create the release',
          input: {
            grade: 'B',
            dbUpdate: false,
            apps: [
              {
                app: 'hybris',
                version: 'deploy-2026-01-08',
                previousVersion: 'deploy-2026-01-06',
                steps: [3, 6, 9],
              },
              { app: 'cms', version: '6e27011f' },
            ],
            items: [
              {
                title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
                app: 'hybris',
                source: { type: 'mr', project: 'kop/hybris', iid: 4 },
              },
              {
                title: '[CMS] KS 템플릿 업데이트',
                app: 'cms',
                source: { type: 'mr', project: 'kop/cms', iid: 3 },
              },
            ],
          },
        },
      ],
      output: {
        links: [
          { title: 'Release', url: '${{ steps.release.output.pageUrl }}' },
        ],
      },
    }),
  },
];
