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
  {
    description:
      'Register a grade A config release raising web to 5 replicas, as the Config-change form shows it; its Deploy makes the commit after approval',
    example: yaml.stringify({
      steps: [
        {
          id: 'release',
          action: 'kop:release:create',
          name: 'Create the config release',
          input: {
            title: '[설정 변경] web replicaCount=5',
            grade: 'A',
            dbUpdate: false,
            config: {
              environment: 'prod',
              changes: [{ argocdApp: 'web', key: 'replicaCount', value: 5 }],
              expectedBlobs: {
                'web/values.yaml': '8f2c0a6a4d1e2b3c4d5e6f708192a3b4c5d6e7f8',
              },
              baseSha: '3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a',
              reason: '주말 트래픽 대비 증설 (weekend traffic)',
            },
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
