import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (name: string, input: object) =>
  yaml.stringify({
    steps: [{ id: 'branch', action: 'kop:gitlab:release-branch', name, input }],
  });

export const examples: TemplateExample[] = [
  {
    description: 'Cut the hybris deploy branch of the day from master',
    example: step('Cut deploy-2026-01-09', {
      app: 'hybris',
      date: '2026-01-09',
    }),
  },
  {
    description:
      'Release cms: branch from pre-release, merge request to master with the release notes, wait for the pipeline, merge',
    example: step('Release cms', {
      app: 'cms',
      date: '2026-01-08',
      description:
        '[kop] 배포합니다.\n- 배포버전: cms\n- 배포등급: B(낮음)\n- DB 업데이트 여부: N\n- 배포내역\n\t- [CMS] KS CMS-상세HTML 수정 요청\n\t- [CMS] KS 템플릿 업데이트',
      pipelineTimeoutMinutes: 30,
    }),
  },
];
