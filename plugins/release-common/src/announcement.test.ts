import {
  announcedVersion,
  announcedVersions,
  renderAnnouncement,
  type AnnouncementInput,
} from './announcement';

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

describe('the announced versions', () => {
  const input = (
    versions: AnnouncementInput['versions'],
  ): AnnouncementInput => ({
    product: 'kop',
    versions,
    grade: 'B',
    gradeLabel: '낮음',
    dbUpdate: false,
    items: ['[CMS] KS 템플릿 업데이트'],
  });

  it('lists hybris, web, cms whatever order they were picked in, with SHAs cut to 8 characters', () => {
    const text = renderAnnouncement(
      input([
        { app: 'cms', version: '6e27011f3c9a4b2d8e1f0a7b6c5d4e3f2a1b0c9d' },
        { app: 'web', version: 'a7ed4db1c0ffee00112233445566778899aabbcc' },
        { app: 'hybris', version: 'deploy-2026-01-08' },
      ]),
    );
    expect(text).toBe(`[kop] 배포합니다.
- 배포버전: hybris(deploy-2026-01-08), web(a7ed4db1), cms(6e27011f)
- 배포등급: B(낮음)
- DB 업데이트 여부: N
- 배포내역
\t- [CMS] KS 템플릿 업데이트`);
  });

  it('keeps tags and branch names whole, however long', () => {
    expect(
      announcedVersions([
        { app: 'web', version: 'release-2026-01-08-hotfix' },
        { app: 'cms', version: 'pre-release' },
        { app: 'hybris', version: 'deploy-2026-01-08' },
      ]),
    ).toBe(
      'hybris(deploy-2026-01-08), web(release-2026-01-08-hotfix), cms(pre-release)',
    );
  });

  it('cuts a SHA only when it is longer than 8 characters and never a date tag of digits', () => {
    expect(announcedVersion('6e27011f')).toBe('6e27011f');
    expect(announcedVersion('6e27011f3c9a')).toBe('6e27011f');
    expect(announcedVersion('202601081530')).toBe('202601081530');
  });

  it('keeps the team order for a release of two apps', () => {
    expect(
      announcedVersions([
        { app: 'cms', version: '6e27011f' },
        { app: 'hybris', version: 'deploy-2026-01-08' },
      ]),
    ).toBe('hybris(deploy-2026-01-08), cms(6e27011f)');
  });
});
