import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import Chip from '@material-ui/core/Chip';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { releaseApiRef } from '../../api';
import { approvalsRouteRef, releaseRouteRef } from '../../routes';
import { releaseTranslationRef } from '../../translation';
import { LOAD_TIMEOUT_MS, withTimeout } from '../timeout';
import { LoadError } from '../LoadError';
import { useStateLabel } from '../releaseView';
import { useReleaseSignal } from '../releaseSignals';

/** The releases waiting for the signed-in user's approval or sign-off, each linked to its page. */
export const PendingApprovals = () => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const releaseLink = useRouteRef(releaseRouteRef);
  const inboxLink = useRouteRef(approvalsRouteRef);
  const stateLabel = useStateLabel();
  // Any release's change may add or settle an approval of mine: read the list again.
  const [refresh, setRefresh] = useState(0);
  useReleaseSignal(() => setRefresh(n => n + 1));
  const { value, error } = useAsync(
    () =>
      withTimeout(
        api.listPendingApprovals(),
        LOAD_TIMEOUT_MS,
        t('loadErrors.timeout', {
          what: t('loadErrors.whatApprovals'),
          seconds: String(LOAD_TIMEOUT_MS / 1000),
        }),
      ),
    [api, refresh],
  );
  let body;
  if (error) {
    body = <LoadError title={t('pendingApprovals.loadFailed')} error={error} />;
  } else if (!value) {
    body = <Progress />;
  } else if (value.items.length === 0) {
    body = (
      <Typography variant="body2" color="textSecondary">
        {t('pendingApprovals.empty')}
      </Typography>
    );
  } else {
    body = (
      <List dense disablePadding>
        {value.items.map(item => (
          <ListItem
            key={`${item.release.id}:${item.stage}:${item.requirement.key}`}
            disableGutters
          >
            <ListItemText
              primary={
                <Link to={releaseLink({ id: item.release.id })}>
                  {item.release.title}
                </Link>
              }
              secondary={t('pendingApprovals.detail', {
                stage:
                  item.stage === 'signoff'
                    ? t('pendingApprovals.stageSignoff')
                    : t('pendingApprovals.stageApproval'),
                role: item.requirement.role,
                author: item.release.author.replace(/^user:default\//, ''),
                state: stateLabel(item.release.state),
              })}
            />
            <Chip size="small" label={item.release.grade} />
          </ListItem>
        ))}
      </List>
    );
  }
  return (
    <InfoCard
      title={t('pendingApprovals.title')}
      deepLink={{ title: t('pendingApprovals.inbox'), link: inboxLink() }}
    >
      {body}
    </InfoCard>
  );
};
