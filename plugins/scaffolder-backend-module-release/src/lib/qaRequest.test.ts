import {
  defaultGradePolicy,
  type Release,
} from '@internal/plugin-release-common';
import { PORTAL, sampleRelease } from '../__testUtils__/releaseApi';
import { renderQaRequest } from './qaRequest';

describe('renderQaRequest', () => {
  it('lists the versions as the announcement does: hybris, web, cms, SHAs cut to 8 characters', () => {
    const release: Release = {
      ...sampleRelease,
      apps: [
        {
          app: 'cms',
          version: '6e27011f3c9a4b5d8e7f60123456789abcdef012',
          strategy: 'branch-merge-sync',
        },
        {
          app: 'web',
          version: 'a7ed4db19c0d2e3f4a5b6c7d8e9f0a1b2c3d4e5f',
          strategy: 'sync',
        },
        sampleRelease.apps[0],
      ],
    };
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
        `- 배포 페이지: ${PORTAL}/releases/${sampleRelease.id}`,
      ].join('\n'),
    );
  });
});
