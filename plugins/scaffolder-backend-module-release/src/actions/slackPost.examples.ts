import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (name: string, input: object) =>
  yaml.stringify({
    steps: [{ id: 'slack', action: 'kop:slack:post', name, input }],
  });

const announcement =
  '[kop] 배포합니다.\n- 배포버전: hybris(deploy-2026-01-08), web(a7ed4db1), cms(6e27011f)\n- 배포등급: B(낮음)\n- DB 업데이트 여부: N\n- 배포내역\n\t- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복\n\t- [CMS] KS 템플릿 업데이트';

export const examples: TemplateExample[] = [
  {
    description:
      'Announce a grade B release where the grade policy shares it (the team channel)',
    example: step('Announce', { grade: 'B', text: announcement }),
  },
  {
    description:
      'Ask for QA on beta in the QA room for the release registered by the step before',
    example: step('QA request', {
      releaseId: '0b6f6d2e-3c1a-4f7e-9a51-2f8f0c1d9e42',
      audience: 'qa',
      kind: 'qa-request',
    }),
  },
  {
    description: 'Ask for QA on beta in the QA room, in your own words',
    example: step('QA request', {
      audience: 'qa',
      text: '[kop] 베타 배포 완료, QA 부탁드립니다. 결제 테스트: ks, tc, g4',
    }),
  },
];
