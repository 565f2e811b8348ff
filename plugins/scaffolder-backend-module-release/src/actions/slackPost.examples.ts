import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (name: string, input: object) =>
  yaml.stringify({
    steps: [{ id: 'slack', action: 'kop:slack:post', name, input }],
  });

const releaseId = '0b6f6d2e-3c1a-4f7e-9a51-2f8f0c1d9e42';

export const examples: TemplateExample[] = [
  {
    description:
      'Announce the release registered by the step before where the grade policy shares its grade',
    example: step('Announce', { releaseId, kind: 'announcement' }),
  },
  {
    description:
      'Ask for QA on beta in the QA room for the release registered by the step before',
    example: step('QA request', {
      releaseId,
      audience: 'qa',
      kind: 'qa-request',
    }),
  },
  {
    description:
      "Ask for QA on a release's beta in the QA room, in your own words",
    example: step('QA request', {
      releaseId,
      audience: 'qa',
      text: '[kop] 베타 배포 완료, QA 부탁드립니다. 결제 테스트: ks, tc, g4',
    }),
  },
];
