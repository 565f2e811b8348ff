import { useState } from 'react';
import { EmptyState, Link, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Release } from '@internal/plugin-release-common';
import { Box, Chip, Paper, Typography } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { releaseApiRef, type PendingApproval } from '../../api';
import { releaseRouteRef } from '../../routes';
import { releaseTranslationRef } from '../../translation';
import { DecisionControls } from '../DecisionControls';
import { useDeployPlan } from '../DeployCard/useDeployPlan';
import { ReleaseErrorMessage } from '../ReleaseError';
import { personOf, useStateLabel, useTimedLoad } from '../releaseView';
import { useReleaseSignal } from '../releaseSignals';

const PendingItem = (props: {
  item: PendingApproval;
  onDecided: (release: Release) => void;
  onReload: () => void;
}) => {
  const { release, stage, requirement } = props.item;
  const { t } = useTranslationRef(releaseTranslationRef);
  const releaseLink = useRouteRef(releaseRouteRef);
  const stateLabel = useStateLabel();
  // An approval before deploying names the plan shown, as on the release page.
  const plan = useDeployPlan(release, stage === 'approval');
  return (
    <Paper variant="outlined">
      <Box p={2} data-testid={`kop-pending-${release.id}-${stage}`}>
        <Box display="flex" alignItems="center" style={{ gap: 8 }}>
          <Chip size="small" color="primary" label={release.grade} />
          <Typography variant="subtitle1" style={{ flex: 1 }}>
            <Link to={releaseLink({ id: release.id })}>{release.title}</Link>
          </Typography>
          <Chip
            size="small"
            variant="outlined"
            label={stateLabel(release.state)}
          />
        </Box>
        <Typography variant="body2">
          {release.apps.map(a => `${a.app}(${a.version})`).join(', ')}
        </Typography>
        <Typography variant="body2" color="textSecondary">
          {t('approvalsInbox.why', {
            stage:
              stage === 'approval'
                ? t('releasePage.approvals.stageApproval')
                : t('releasePage.approvals.stageSignoff'),
            role: requirement.role,
            author: personOf(release.author),
          })}
        </Typography>
        <DecisionControls
          release={release}
          stage={stage}
          check={{ ok: true, requirement }}
          onDecided={props.onDecided}
          onReload={props.onReload}
          plan={stage === 'approval' ? plan : undefined}
        />
      </Box>
    </Paper>
  );
};

/**
 * Everything waiting for the signed-in user's approval or sign-off, approvable in place; usable
 * on its own page and on the dashboard.
 */
export const ApprovalsInbox = () => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const timed = useTimedLoad();
  const stateLabel = useStateLabel();
  const pending = useAsyncRetry(
    () => timed(api.listPendingApprovals(), t('loadErrors.whatApprovals')),
    [api],
  );
  const [decided, setDecided] = useState<Release>();
  // Another approver's decision or a new request changes what waits for me.
  useReleaseSignal(() => pending.retry());

  const onDecided = (release: Release) => {
    setDecided(release);
    pending.retry();
  };

  if (pending.error) {
    return (
      <ReleaseErrorMessage
        error={pending.error}
        title={t('approvalsInbox.loadFailed')}
        onRetry={pending.retry}
      />
    );
  }
  if (!pending.value) return <Progress />;
  return (
    <Box display="flex" flexDirection="column" style={{ gap: 16 }}>
      {decided && (
        <Typography variant="body2" role="status">
          {t('approvalsInbox.decided', {
            title: decided.title,
            state: stateLabel(decided.state),
          })}
        </Typography>
      )}
      {pending.value.items.length === 0 ? (
        <EmptyState
          missing="content"
          title={t('approvalsInbox.emptyTitle')}
          description={t('approvalsInbox.emptyDescription')}
        />
      ) : (
        pending.value.items.map(item => (
          <PendingItem
            key={`${item.release.id}-${item.stage}`}
            item={item}
            onDecided={onDecided}
            onReload={pending.retry}
          />
        ))
      )}
    </Box>
  );
};
