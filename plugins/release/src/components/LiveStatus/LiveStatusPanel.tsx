import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type {
  ReleaseApp,
  ReleaseStatus,
} from '@internal/plugin-release-common';
import { releaseTranslationRef } from '../../translation';
import { AppStatusRow } from './AppStatusRow';
import {
  STATUS_POLL_MS,
  STATUS_STALL_MS,
  useLiveStatus,
  type LiveStatusState,
} from './useLiveStatus';
import { LoadError, messageOf } from '../LoadError';
import { useFormatters } from '../formatters';

/** How fresh the status is and how it arrives, and anything that stops it being complete. */
function StatusNotices(props: {
  state: LiveStatusState;
  status: ReleaseStatus;
  pollMs: number;
}) {
  const { state, status, pollMs } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDateTime } = useFormatters();
  // With seconds: the live status changes by the second.
  const time = formatDateTime(status.updatedAt, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
  return (
    <>
      <Typography variant="body2" color="textSecondary" gutterBottom>
        {state.source === 'stream'
          ? t('liveStatus.updatedLive', { time })
          : t('liveStatus.updatedPolled', {
              time,
              seconds: String(pollMs / 1000),
              message: state.streamError?.message ?? '',
            })}
      </Typography>
      {state.pollError && (
        <WarningPanel
          severity="warning"
          defaultExpanded
          title={t('liveStatus.refreshFailed', { time })}
          message={messageOf(state.pollError)}
        />
      )}
      {status.errors && status.errors.length > 0 && (
        <WarningPanel
          severity="warning"
          defaultExpanded
          title={t('liveStatus.systemErrors')}
        >
          <ul>
            {status.errors.map(error => (
              <li key={error}>{error}</li>
            ))}
          </ul>
        </WarningPanel>
      )}
    </>
  );
}

/**
 * The live status of every app (the dashboard) or of one app (its Deploy tab), per environment.
 * Never spins forever: a stalled or failed load says what happened and keeps trying.
 */
export const LiveStatusPanel = (props: {
  app?: ReleaseApp;
  pollMs?: number;
  stallMs?: number;
}) => {
  const { app, pollMs = STATUS_POLL_MS, stallMs = STATUS_STALL_MS } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const state = useLiveStatus({ pollMs, stallMs });
  const { status } = state;

  if (!status) {
    if (state.pollError) {
      return (
        <LoadError title={t('liveStatus.loadFailed')} error={state.pollError} />
      );
    }
    if (state.stalled) {
      return (
        <WarningPanel
          severity="warning"
          defaultExpanded
          title={t('liveStatus.stalledTitle')}
          message={t('liveStatus.stalled', {
            seconds: String(stallMs / 1000),
          })}
        />
      );
    }
    return <Progress />;
  }

  const notices = (
    <StatusNotices state={state} status={status} pollMs={pollMs} />
  );

  if (app) {
    return (
      <InfoCard title={t('deployTab.liveStatus', { app })}>
        {notices}
        {status.environments.map(environment => {
          const appStatus = environment.apps.find(a => a.app === app);
          return appStatus ? (
            <AppStatusRow
              key={environment.name}
              environment={environment.name}
              status={appStatus}
            />
          ) : (
            <Typography
              key={environment.name}
              variant="body2"
              color="textSecondary"
            >
              {t('liveStatus.noApp', { app, environment: environment.name })}
            </Typography>
          );
        })}
      </InfoCard>
    );
  }

  return (
    <Box>
      {notices}
      {status.environments.length === 0 && (
        <WarningPanel
          severity="warning"
          title={t('liveStatus.noEnvironments')}
        />
      )}
      {status.environments.map(environment => (
        <Box key={environment.name} mb={2}>
          <InfoCard title={environment.name}>
            {environment.apps.map(appStatus => (
              <AppStatusRow
                key={appStatus.app}
                environment={environment.name}
                status={appStatus}
              />
            ))}
          </InfoCard>
        </Box>
      ))}
    </Box>
  );
};
