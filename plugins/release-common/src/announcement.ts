import type { ReleaseApp } from './apps';
import type { ReleaseGrade } from './policy';

/**
 * What the shared-room announcement says about one release.
 *
 * @public
 */
export interface AnnouncementInput {
  product: string;
  /** Versions in the order they are announced, e.g. hybris, web, cms. */
  versions: Array<{ app: ReleaseApp; version: string }>;
  grade: ReleaseGrade;
  /** The grade's risk label in the team's words, e.g. 낮음. */
  gradeLabel: string;
  dbUpdate: boolean;
  /** Item titles as they are announced, e.g. "[CMS] KS 템플릿 업데이트". */
  items: string[];
}

/**
 * Renders the announcement exactly in the team's format: Korean headings, tab-indented items.
 *
 * @public
 */
export function renderAnnouncement(input: AnnouncementInput): string {
  const versions = input.versions.map(v => `${v.app}(${v.version})`).join(', ');
  return [
    `[${input.product}] 배포합니다.`,
    `- 배포버전: ${versions}`,
    `- 배포등급: ${input.grade}(${input.gradeLabel})`,
    `- DB 업데이트 여부: ${input.dbUpdate ? 'Y' : 'N'}`,
    '- 배포내역',
    ...input.items.map(item => `\t- ${item}`),
  ].join('\n');
}
