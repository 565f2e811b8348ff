import { renderReleaseNotes } from './notes';
import { defaultGradePolicy } from './policy';
import type { Release } from './model';

const release: Release = {
  id: '0b9c3a8e-1111-4222-8333-944455556666',
  product: 'kop',
  title: '2026.01.08 hybris, web, cms',
  state: 'prepared',
  grade: 'B',
  minimumGrade: 'A',
  changeClasses: [],
  dbUpdate: false,
  apps: [
    {
      app: 'hybris',
      version: 'deploy-2026-01-08',
      strategy: 'blue-green-steps',
      steps: [3, 6, 9],
    },
    { app: 'web', version: 'a7ed4db1', strategy: 'sync' },
    { app: 'cms', version: '6e27011f', strategy: 'branch-merge-sync' },
  ],
  items: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris',
      source: {
        type: 'mr',
        project: 'kop/hybris',
        iid: 412,
        url: 'http://gitlab/kop/hybris/-/merge_requests/412',
      },
    },
    {
      title: '[CMS] KS 템플릿 업데이트',
      app: 'cms',
      source: { type: 'asana', gid: '1209' },
    },
  ],
  author: 'user:default/kim.minjun',
  links: [],
  approvals: [],
  retroApprovalPending: false,
  createdAt: '2026-01-08T01:00:00.000Z',
  updatedAt: '2026-01-08T01:00:00.000Z',
  revision: 1,
};

describe('renderReleaseNotes', () => {
  const notes = renderReleaseNotes(release, defaultGradePolicy, {
    portalUrl: 'http://localhost:3000',
  });

  it('announces in the team format', () => {
    expect(notes.announcement).toBe(
      [
        '[kop] 배포합니다.',
        '- 배포버전: hybris(deploy-2026-01-08), web(a7ed4db1), cms(6e27011f)',
        '- 배포등급: B(낮음)',
        '- DB 업데이트 여부: N',
        '- 배포내역',
        '\t- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
        '\t- [CMS] KS 템플릿 업데이트',
      ].join('\n'),
    );
  });

  it('gives Asana the grade criteria, item links and the portal link', () => {
    expect(notes.asana).toBe(
      [
        '배포버전: hybris(deploy-2026-01-08), web(a7ed4db1), cms(6e27011f)',
        '배포등급: B(낮음) — 일반적인 컨텐츠/UI 개선, 비핵심 서비스 패치',
        'DB 업데이트 여부: N',
        '배포내역',
        '- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복 (http://gitlab/kop/hybris/-/merge_requests/412)',
        '- [CMS] KS 템플릿 업데이트',
        '',
        '배포 포털: http://localhost:3000/releases/0b9c3a8e-1111-4222-8333-944455556666',
      ].join('\n'),
    );
  });

  it("lists Asana's versions as the announcement does: hybris, web, cms, SHAs cut to 8 characters", () => {
    const picked: Release = {
      ...release,
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
        release.apps[0],
      ],
    };
    const { asana, announcement } = renderReleaseNotes(
      picked,
      defaultGradePolicy,
    );
    const versions = 'hybris(deploy-2026-01-08), web(a7ed4db1), cms(6e27011f)';
    expect(asana.split('\n')[0]).toBe(`배포버전: ${versions}`);
    expect(announcement.split('\n')[1]).toBe(`- 배포버전: ${versions}`);
  });

  it('puts the announcement and a Release-Id trailer in the commit message', () => {
    const lines = notes.commitMessage.split('\n');
    expect(lines[0]).toBe(
      'release(kop): hybris deploy-2026-01-08, web a7ed4db1, cms 6e27011f [B]',
    );
    expect(notes.commitMessage).toContain(notes.announcement);
    expect(lines[lines.length - 1]).toBe(
      'Release-Id: 0b9c3a8e-1111-4222-8333-944455556666',
    );
  });
});
