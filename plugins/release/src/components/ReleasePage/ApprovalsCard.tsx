import { InfoCard, Progress } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { testStanding, type Release } from '@internal/plugin-release-common';
import { Box, Chip, Typography } from '@material-ui/core';
import type { ReleaseApprovals } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { TestResults } from './StageResults';
import { DecisionControls, stageMode } from '../DecisionControls';
import { ReleaseErrorMessage } from '../ReleaseError';
import { useDeployPlan } from '../DeployCard/useDeployPlan';
import { personOf, useStateLabel } from '../releaseView';
import { useFormatters } from '../formatters';

/**
 * Each stage's required approvals with who gave them, the decisions so far, and Approve/Reject for
 * the stage that is open, as the backend says the signed-in user may use them; an approval before
 * deploying names the fingerprint of the deploy plan shown.
 */
export const ApprovalsCard = (props: {
  release: Release;
  approvals?: ReleaseApprovals;
  error?: Error;
  onDecided: (release: Release) => void;
  onReload: () => void;
  onFailed?: (error: Error) => void;
}) => {
  const { release, approvals, error } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const stateLabel = useStateLabel();
  const { formatDateTime } = useFormatters();
  const stageTitle = {
    approval: t('releasePage.approvals.stageApproval'),
    signoff: t('releasePage.approvals.stageSignoff'),
  };
  const anyOpen = approvals?.stages.some(
    s => stageMode(release, s.stage) !== 'closed',
  );
  // The approval before deploying is given for a plan: load it while that stage takes decisions.
  const plan = useDeployPlan(
    release,
    stageMode(release, 'approval') === 'decide',
  );
  // Failed post-deploy tests hold the sign-off until a superior overrides them.
  const signoffHeld =
    release.state === 'awaiting_signoff' &&
    testStanding(release, 'post-deploy').state === 'failed';
  const decisions = [...release.approvals].sort((a, b) =>
    a.createdAt.localeCompare(b.createdAt),
  );
  return (
    <InfoCard title={t('releasePage.approvals.title')}>
      <Box data-testid="kop-release-approvals">
        {error && (
          <ReleaseErrorMessage
            error={error}
            title={t('releasePage.approvals.loadFailed')}
            onRetry={props.onReload}
          />
        )}
        {!approvals && !error && <Progress />}
        {approvals?.stages
          .filter(s => s.requirements.length > 0)
          .map(s => (
            <Box key={s.stage} mb={2} data-testid={`kop-stage-${s.stage}`}>
              <Typography variant="subtitle2">{stageTitle[s.stage]}</Typography>
              {s.requirements.map(r => (
                <Box
                  key={r.key}
                  display="flex"
                  alignItems="center"
                  style={{ gap: 8 }}
                >
                  <Typography variant="body2" style={{ flex: 1 }}>
                    {r.scope === 'service'
                      ? t('releasePage.approvals.roleOfService', {
                          role: r.role,
                        })
                      : r.role}
                    {r.after ? ` · ${t('releasePage.approvals.after')}` : ''}
                  </Typography>
                  <Chip
                    size="small"
                    color={r.givenBy ? 'primary' : 'default'}
                    label={
                      r.givenBy
                        ? t('releasePage.approvals.givenBy', {
                            person: personOf(r.givenBy),
                          })
                        : t('releasePage.approvals.waiting')
                    }
                  />
                </Box>
              ))}
              <TestResults
                release={release}
                kind={s.stage === 'approval' ? 'payment' : 'post-deploy'}
                canOverride={
                  s.stage === 'signoff' &&
                  release.state === 'awaiting_signoff' &&
                  s.you.ok
                }
                onChanged={props.onDecided}
              />
              {s.stage === 'signoff' && signoffHeld && (
                <Typography
                  variant="body2"
                  color="error"
                  data-testid="kop-signoff-held"
                >
                  {t('releasePage.stages.signoffBlocked')}
                </Typography>
              )}
              <DecisionControls
                release={release}
                stage={s.stage}
                approveBlocked={s.stage === 'signoff' && signoffHeld}
                check={s.you}
                onDecided={props.onDecided}
                onReload={props.onReload}
                onFailed={props.onFailed}
                plan={s.stage === 'approval' ? plan : undefined}
              />
            </Box>
          ))}
        {approvals && !anyOpen && (
          <Typography variant="body2" color="textSecondary">
            {t('releasePage.approvals.closed', {
              state: stateLabel(release.state),
            })}
          </Typography>
        )}
        {decisions.length > 0 && (
          <Box mt={2}>
            <Typography variant="subtitle2">
              {t('releasePage.approvals.decisions')}
            </Typography>
            {decisions.map(d => (
              <Typography key={d.id} variant="body2">
                {d.decision === 'approve'
                  ? t('releasePage.approvals.approved', {
                      person: personOf(d.approver),
                      role: d.role,
                      at: formatDateTime(d.createdAt),
                    })
                  : t('releasePage.approvals.rejected', {
                      person: personOf(d.approver),
                      role: d.role,
                      at: formatDateTime(d.createdAt),
                    })}
                {d.comment ? `: ${d.comment}` : ''}
              </Typography>
            ))}
          </Box>
        )}
      </Box>
    </InfoCard>
  );
};
