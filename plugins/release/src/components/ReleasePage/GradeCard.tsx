import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Release } from '@internal/plugin-release-common';
import { Box, Chip, Typography } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { releaseApiRef, type ReleaseApprovals } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { ReleaseErrorMessage } from '../ReleaseError';
import { personOf, useTimedLoad } from '../releaseView';

/**
 * The grade with the policy's words for it, the floor its changes set, and who must approve: the
 * requirements the backend resolved for this release (the author's own role escalated).
 */
export const GradeCard = (props: {
  release: Release;
  approvals?: ReleaseApprovals;
}) => {
  const { release, approvals } = props;
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const timed = useTimedLoad();
  const policy = useAsyncRetry(
    () => timed(api.getPolicy(), t('releasePage.loading.policy')),
    [api],
  );
  const rule = policy.value?.grades[release.grade];
  const rolesAt = (stage: 'approval' | 'signoff') =>
    approvals?.stages
      .find(s => s.stage === stage)
      ?.requirements.map(r => r.role)
      .join(' + ');
  const approvalRoles = rolesAt('approval');
  const after = approvals?.stages
    .find(s => s.stage === 'approval')
    ?.requirements.some(r => r.after);
  const signoffRoles = rolesAt('signoff');
  return (
    <InfoCard title={t('releasePage.grade.title')}>
      <Box data-testid="kop-release-grade">
        <Box display="flex" alignItems="center" style={{ gap: 8 }}>
          <Chip color="primary" label={release.grade} />
          {rule && (
            <Typography variant="subtitle1">
              {`${rule.label} (${rule.labelEn})`}
            </Typography>
          )}
        </Box>
        {rule && (
          <Typography variant="body2" data-testid="kop-grade-criteria">
            {rule.criteria}
          </Typography>
        )}
        <Typography variant="body2">
          {t('releasePage.grade.floor', {
            floor: release.minimumGrade,
            classes: release.changeClasses.length
              ? release.changeClasses.join(', ')
              : '—',
          })}
        </Typography>
        {release.gradeReason && (
          <Typography variant="body2">
            {t('releasePage.grade.reason', { reason: release.gradeReason })}
          </Typography>
        )}
        <Typography variant="body2">
          {release.dbUpdate
            ? t('releasePage.grade.dbUpdateYes')
            : t('releasePage.grade.dbUpdateNo')}
        </Typography>
        {approvalRoles && (
          <Typography variant="body2" data-testid="kop-grade-approvers">
            {after
              ? t('releasePage.grade.approversAfter', { roles: approvalRoles })
              : t('releasePage.grade.approvers', { roles: approvalRoles })}
          </Typography>
        )}
        {signoffRoles && (
          <Typography variant="body2">
            {t('releasePage.grade.signoff', { roles: signoffRoles })}
          </Typography>
        )}
        {rule && (
          <Typography variant="body2">
            {t('releasePage.grade.share', { share: rule.share })}
          </Typography>
        )}
        {release.windowOverride && (
          <Typography variant="body2">
            {t('releasePage.grade.windowOverride', {
              by: personOf(release.windowOverride.by),
              reason: release.windowOverride.reason,
            })}
          </Typography>
        )}
        {policy.loading && !policy.value && <Progress />}
        {policy.error && (
          <ReleaseErrorMessage
            error={policy.error}
            title={t('releasePage.grade.policyFailed')}
            onRetry={policy.retry}
          />
        )}
      </Box>
    </InfoCard>
  );
};
