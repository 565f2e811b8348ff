import { announcedVersions, renderAnnouncement } from './announcement';
import type { Release } from './model';
import type { GradePolicy } from './policy';

/** A config release's changes as announced items, e.g. "[설정] web replicaCount=5". */
function configItems(release: Release): string[] {
  return (release.config?.changes ?? []).map(
    c => `[설정] ${c.argocdApp} ${c.key}=${c.value}`,
  );
}

function announcementOf(release: Release, policy: GradePolicy): string {
  return renderAnnouncement({
    product: release.product,
    versions: release.apps.map(a => ({ app: a.app, version: a.version })),
    grade: release.grade,
    gradeLabel: policy.grades[release.grade].label,
    dbUpdate: release.dbUpdate,
    items: [...configItems(release), ...release.items.map(i => i.title)],
  });
}

/**
 * The three forms of a release's notes: the shared-room announcement (the team's exact format),
 * the Asana task body, and the IaC commit message.
 *
 * @public
 */
export interface ReleaseNotes {
  announcement: string;
  asana: string;
  commitMessage: string;
}

/** @public */
export function renderReleaseNotes(
  release: Release,
  policy: GradePolicy,
  options: { portalUrl?: string } = {},
): ReleaseNotes {
  const announcement = announcementOf(release, policy);
  const rule = policy.grades[release.grade];
  const itemLines = [
    ...configItems(release).map(title => `- ${title}`),
    ...release.items.map(item => {
      const link = item.source.url ? ` (${item.source.url})` : '';
      return `- ${item.title}${link}`;
    }),
  ];
  const asana = [
    `배포버전: ${announcedVersions(release.apps)}`,
    `배포등급: ${release.grade}(${rule.label}) — ${rule.criteria}`,
    ...(release.gradeReason ? [`등급 사유: ${release.gradeReason}`] : []),
    ...(release.config?.reason ? [`변경 사유: ${release.config.reason}`] : []),
    `DB 업데이트 여부: ${release.dbUpdate ? 'Y' : 'N'}`,
    '배포내역',
    ...itemLines,
    ...(options.portalUrl
      ? ['', `배포 포털: ${options.portalUrl}/releases/${release.id}`]
      : []),
  ].join('\n');
  const commitMessage = [
    `release(${release.product}): ${release.apps
      .map(a => `${a.app} ${a.version}`)
      .join(', ')} [${release.grade}]`,
    '',
    announcement,
    '',
    `Release-Id: ${release.id}`,
  ].join('\n');
  return { announcement, asana, commitMessage };
}
