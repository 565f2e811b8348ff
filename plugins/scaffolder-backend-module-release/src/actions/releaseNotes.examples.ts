import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Announce a grade B release of all three apps',
    example: yaml.stringify({
      steps: [
        {
          id: 'notes',
          action: 'kop:release:notes',
          name: 'Render the announcement',
          input: {
            versions: [
              { app: 'hybris', version: 'deploy-2026-01-08' },
              { app: 'web', version: 'a7ed4db1' },
              { app: 'cms', version: '6e27011f' },
            ],
            grade: 'B',
            gradeLabel: '낮음',
            dbUpdate: false,
            items: [
              '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
              '[CMS] KS 템플릿 업데이트',
            ],
          },
        },
      ],
    }),
  },
];
