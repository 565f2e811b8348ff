import { defaultGradePolicy } from './policy';
import { renderQaRequest } from './qaRequest';

const PORTAL = 'http://portal.test';
const release = {
  id: '0b6f6d2e-3c1a-4f7e-9a51-2f8f0c1d9e42',
  product: 'kop',
  grade: 'B' as const,
  dbUpdate: false,
  apps: [
    {
      app: 'cms' as const,
      version: '6e27011f3c9a4b5d8e7f60123456789abcdef012',
      strategy: 'branch-merge-sync' as const,
    },
    {
      app: 'web' as const,
      version: 'a7ed4db19c0d2e3f4a5b6c7d8e9f0a1b2c3d4e5f',
      strategy: 'sync' as const,
    },
    {
      app: 'hybris' as const,
      version: 'deploy-2026-01-08',
      strategy: 'blue-green-steps' as const,
      steps: [3, 6, 9],
    },
  ],
  items: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris' as const,
      source: { type: 'mr' as const, project: 'kop/hybris', iid: 4 },
    },
    {
      title: '[CMS] KS 템플릿 업데이트',
      app: 'cms' as const,
      source: { type: 'mr' as const, project: 'kop/cms', iid: 3 },
    },
  ],
  links: [{ title: 'Asana', url: 'https://app.asana.com/0/1/2' }],
};

describe('renderQaRequest', () => {
  it('lists the versions as the announcement does, the brands to test, the release page and its links', () => {
    expect(
      renderQaRequest(release, defaultGradePolicy, {
        brands: ['ks', 'tc', 'g4'],
        portalUrl: PORTAL,
      }),
    ).toBe(
      [
        '[kop] 베타 배포 완료, QA 요청드립니다.',
        '- 배포버전: hybris(deploy-2026-01-08), web(a7ed4db1), cms(6e27011f)',
        '- 배포등급: B(낮음)',
        '- DB 업데이트 여부: N',
        '- 배포내역',
        '\t- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
        '\t- [CMS] KS 템플릿 업데이트',
        '- 결제 테스트: ks, tc, g4',
        `- 배포 페이지: ${PORTAL}/releases/${release.id}`,
        '- Asana: https://app.asana.com/0/1/2',
      ].join('\n'),
    );
  });
});
