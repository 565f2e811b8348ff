import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const releaseId = '0b6f6d2e-3c1a-4f7e-9a51-2f8f0c1d9e42';

export const examples: TemplateExample[] = [
  {
    description:
      'The task of the release registered by the step before: its title, Asana notes, grade and DB update, with the build number',
    example: yaml.stringify({
      steps: [
        {
          id: 'asana',
          action: 'kop:asana:task',
          name: 'Create the Asana task',
          input: { releaseId, buildNumber: '1234' },
        },
      ],
    }),
  },
  {
    description: "A release's task under a name and notes of your own",
    example: yaml.stringify({
      steps: [
        {
          id: 'asana',
          action: 'kop:asana:task',
          name: 'Create the Asana task',
          input: {
            releaseId,
            name: '2026.01.08 hybris, cms',
            notes:
              '배포버전: hybris(deploy-2026-01-08), cms(6e27011f)\n배포등급: B(낮음)\nDB 업데이트 여부: N\n배포내역\n- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복\n- [CMS] KS 템플릿 업데이트',
          },
        },
      ],
    }),
  },
];
