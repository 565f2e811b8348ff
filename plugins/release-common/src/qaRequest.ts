import { announcedVersions } from './announcement';
import type { Release } from './model';
import type { GradePolicy } from './policy';

/**
 * The QA request for a release deployed to beta, in the team's words: what ships, the payment tests
 * to run (only the brands the team tests), the release page and the release's own links.
 *
 * @public
 */
export function renderQaRequest(
  release: Pick<
    Release,
    'id' | 'product' | 'apps' | 'grade' | 'dbUpdate' | 'items' | 'links'
  >,
  policy: GradePolicy,
  options: { brands: string[]; portalUrl?: string },
): string {
  return [
    `[${release.product}] 베타 배포 완료, QA 요청드립니다.`,
    `- 배포버전: ${announcedVersions(release.apps)}`,
    `- 배포등급: ${release.grade}(${policy.grades[release.grade].label})`,
    `- DB 업데이트 여부: ${release.dbUpdate ? 'Y' : 'N'}`,
    '- 배포내역',
    ...release.items.map(item => `\t- ${item.title}`),
    `- 결제 테스트: ${options.brands.join(', ')}`,
    ...(options.portalUrl
      ? [`- 배포 페이지: ${options.portalUrl}/releases/${release.id}`]
      : []),
    ...release.links.map(link => `- ${link.title}: ${link.url}`),
  ].join('\n');
}
