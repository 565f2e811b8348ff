import type { NotificationService } from '@backstage/plugin-notifications-node';
import type {
  ApprovalStage,
  ReleaseApproval,
} from '@internal/plugin-release-common';
import type { StoredRelease } from '../database/ReleaseStore';
import type { ReleaseNotifier } from './ReleaseService';

/** Backstage notifications to the people a release waits for; Slack joins in a later part. */
export class BackstageReleaseNotifier implements ReleaseNotifier {
  constructor(private readonly notifications: NotificationService) {}

  async approvalsNeeded(
    release: StoredRelease,
    groups: string[],
    stage: ApprovalStage,
  ): Promise<void> {
    if (groups.length === 0) return;
    await this.notifications.send({
      recipients: {
        type: 'entity',
        entityRef: groups,
        excludeEntityRef: release.author,
      },
      payload: {
        title:
          stage === 'signoff'
            ? `Sign off the test results of ${release.title}`
            : `Approve release ${release.title} (grade ${release.grade})`,
        description: `${release.apps
          .map(a => `${a.app} ${a.version}`)
          .join(', ')} — by ${release.author}`,
        link: `/releases/${release.id}`,
        severity:
          release.grade === 'D' || release.grade === 'E' ? 'high' : 'normal',
        topic: 'release-approval',
        scope: `release:${release.id}:${stage}`,
      },
    });
  }

  async decided(
    release: StoredRelease,
    approval: ReleaseApproval,
  ): Promise<void> {
    await this.notifications.send({
      recipients: { type: 'entity', entityRef: release.author },
      payload: {
        title: `${approval.approver} ${
          approval.decision === 'approve' ? 'approved' : 'rejected'
        } ${release.title}`,
        description: approval.comment,
        link: `/releases/${release.id}`,
        severity: approval.decision === 'reject' ? 'high' : 'normal',
        topic: 'release-decision',
      },
    });
  }
}
