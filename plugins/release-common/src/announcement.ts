import type { ReleaseApp } from './apps';
import type { ReleaseGrade } from './policy';

/**
 * What the shared-room announcement says about one release.
 *
 * @public
 */
export interface AnnouncementInput {
  product: string;
  /** Versions as picked; the announcement puts them in the team's order (hybris, web, cms). */
  versions: Array<{ app: ReleaseApp; version: string }>;
  grade: ReleaseGrade;
  /** The grade's risk label in the team's words, e.g. 낮음. */
  gradeLabel: string;
  dbUpdate: boolean;
  /** Item titles as they are announced, e.g. "[CMS] KS 템플릿 업데이트". */
  items: string[];
}

/** The order in which the team lists the apps of a release, whatever order they were picked in. @public */
export const announcedAppOrder: readonly ReleaseApp[] = [
  'hybris',
  'web',
  'cms',
];

/** A commit SHA longer than the team writes it; all-digit names (date tags) are never SHAs here. */
const longCommitSha = /^(?=[0-9a-f]*[a-f])[0-9a-f]{9,64}$/;

/**
 * A version as the team writes it: a commit SHA cut to 8 characters (web(a7ed4db1)), a tag or
 * branch name whole. The release itself keeps the full SHA.
 *
 * @public
 */
export function announcedVersion(version: string): string {
  return longCommitSha.test(version) ? version.slice(0, 8) : version;
}

/**
 * The "배포버전" list of an announcement, e.g. hybris(deploy-2026-01-08), web(a7ed4db1), cms(6e27011f).
 *
 * @public
 */
export function announcedVersions(
  versions: Array<{ app: ReleaseApp; version: string }>,
): string {
  const rank = (app: ReleaseApp) => {
    const i = announcedAppOrder.indexOf(app);
    return i === -1 ? announcedAppOrder.length : i;
  };
  return [...versions]
    .sort((a, b) => rank(a.app) - rank(b.app))
    .map(v => `${v.app}(${announcedVersion(v.version)})`)
    .join(', ');
}

/**
 * Renders the announcement exactly in the team's format: Korean headings, tab-indented items.
 *
 * @public
 */
export function renderAnnouncement(input: AnnouncementInput): string {
  return [
    `[${input.product}] 배포합니다.`,
    `- 배포버전: ${announcedVersions(input.versions)}`,
    `- 배포등급: ${input.grade}(${input.gradeLabel})`,
    `- DB 업데이트 여부: ${input.dbUpdate ? 'Y' : 'N'}`,
    '- 배포내역',
    ...input.items.map(item => `\t- ${item}`),
  ].join('\n');
}
