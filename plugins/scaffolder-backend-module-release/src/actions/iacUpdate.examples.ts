import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (name: string, input: object) =>
  yaml.stringify({
    steps: [{ id: 'iac', action: 'kop:iac:update', name, input }],
  });

export const examples: TemplateExample[] = [
  {
    description:
      'Put the new hybris build on the idle colour at the first replica step, release notes in the commit message',
    example: step('Set green to the new build, 3 replicas', {
      environment: 'prod',
      changes: [
        {
          argocdApp: 'hybris-green',
          key: 'image.tag',
          value: 'deploy-2026-01-08-3',
        },
        {
          argocdApp: 'hybris-green',
          key: 'replicaCount',
          value: 3,
          expected: 0,
        },
      ],
      notes:
        '[kop] 배포합니다.\n- 배포버전: hybris(deploy-2026-01-08)\n- 배포등급: B(낮음)\n- DB 업데이트 여부: N\n- 배포내역\n\t- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
    }),
  },
  {
    description:
      'Switch the three hybrisServiceName values to the green colour',
    example: step('Switch traffic to green', {
      environment: 'prod',
      title: '[kop] hybris switch → green',
      changes: [
        {
          argocdApp: 'hybris',
          key: 'storefront.hybrisServiceName',
          value: 'green',
          expected: 'blue',
        },
        {
          argocdApp: 'hybris',
          key: 'backoffice.hybrisServiceName',
          value: 'green',
          expected: 'blue',
        },
        {
          argocdApp: 'hybris',
          key: 'api.hybrisServiceName',
          value: 'green',
          expected: 'blue',
        },
      ],
    }),
  },
  {
    description: 'Config change (grade A): scale web on beta to 5 replicas',
    example: step('Scale web', {
      environment: 'beta',
      changes: [
        { argocdApp: 'web', key: 'replicaCount', value: 5, expected: 3 },
      ],
    }),
  },
];
