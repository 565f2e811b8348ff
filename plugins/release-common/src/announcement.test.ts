import { renderAnnouncement } from './announcement';

// The seed's announcement, verbatim (its one editor line-wrap after "web(a7ed4db1)," joined).
const seedAnnouncement = `[kop] 배포합니다.
- 배포버전: hybris(deploy-2026-01-08), web(a7ed4db1), cms(6e27011f)
- 배포등급: B(낮음)
- DB 업데이트 여부: N
- 배포내역
\t- [버티컬] 대표이사 성명 변경 작업 원복
\t- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복
\t- [CMS] KS CMS-상세HTML 수정 요청
\t- [CMS] KS 템플릿 업데이트`;

describe('renderAnnouncement', () => {
  it('reproduces the seed announcement exactly', () => {
    expect(
      renderAnnouncement({
        product: 'kop',
        versions: [
          { app: 'hybris', version: 'deploy-2026-01-08' },
          { app: 'web', version: 'a7ed4db1' },
          { app: 'cms', version: '6e27011f' },
        ],
        grade: 'B',
        gradeLabel: '낮음',
        dbUpdate: false,
        items: [
          '[버티컬] 대표이사 성명 변경 작업 원복',
          '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
          '[CMS] KS CMS-상세HTML 수정 요청',
          '[CMS] KS 템플릿 업데이트',
        ],
      }),
    ).toBe(seedAnnouncement);
  });

  it('says Y for a DB update', () => {
    const text = renderAnnouncement({
      product: 'kop',
      versions: [{ app: 'hybris', version: 'deploy-2026-02-03' }],
      grade: 'D',
      gradeLabel: '높음',
      dbUpdate: true,
      items: ['[HYBRIS] 주문 테이블 컬럼 추가'],
    });
    expect(text.split('\n')[2]).toBe('- 배포등급: D(높음)');
    expect(text.split('\n')[3]).toBe('- DB 업데이트 여부: Y');
  });
});
