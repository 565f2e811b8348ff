import type { ReactNode } from 'react';
import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import type { AppStatus, ColourStatus } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { formatMetric, Sparkline } from './Sparkline';

const useStyles = makeStyles(theme => ({
  row: {
    display: 'grid',
    gridTemplateColumns: 'minmax(140px, 1fr) minmax(220px, 2fr) minmax(260px, 3fr)',
    gap: theme.spacing(2),
    padding: theme.spacing(1.5, 0),
    borderBottom: `1px solid ${theme.palette.divider}`,
    '&:last-child': { borderBottom: 'none' },
    [theme.breakpoints.down('sm')]: { gridTemplateColumns: '1fr' },
  },
  version: { fontFamily: 'monospace', wordBreak: 'break-all' },
  line: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(0.5),
  },
  error: { gridColumn: '1 / -1' },
}));

/** Argo CD's sync status with its usual colour. */
function SyncStatus(props: { sync: string }) {
  if (props.sync === 'Synced') return <StatusOK>{props.sync}</StatusOK>;
  if (props.sync === 'OutOfSync')
    return <StatusWarning>{props.sync}</StatusWarning>;
  return <StatusAborted>{props.sync}</StatusAborted>;
}

/** Argo CD's health status with its usual colour. */
function HealthStatus(props: { health: string }) {
  const statuses: Record<string, (p: { children: ReactNode }) => JSX.Element> =
    {
      Healthy: StatusOK,
      Progressing: StatusRunning,
      Suspended: StatusPending,
      Degraded: StatusError,
      Missing: StatusWarning,
    };
  const Status = statuses[props.health] ?? StatusAborted;
  return <Status>{props.health}</Status>;
}

function ColourLine(props: { colour: ColourStatus }) {
  const { colour } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(releaseTranslationRef);
  const { ready, desired } = colour.replicas;
  const replicasText = t('liveStatus.replicas', {
    ready: String(ready),
    desired: String(desired),
  });
  let replicas: ReactNode;
  if (desired === 0) {
    replicas = <StatusAborted>{t('liveStatus.scaledDown')}</StatusAborted>;
  } else if (ready >= desired) {
    replicas = <StatusOK>{replicasText}</StatusOK>;
  } else {
    replicas = <StatusRunning>{replicasText}</StatusRunning>;
  }
  const cluster = colour.cluster;
  const clusterText =
    cluster &&
    t('liveStatus.cluster', {
      view: String(cluster.viewSize),
      expected: String(cluster.expectedNodes),
    });
  const points = colour.errorRate ?? [];
  const latest = points.length
    ? formatMetric([...points].sort((a, b) => a.t - b.t)[points.length - 1].v)
    : undefined;
  return (
    <Box className={classes.line} data-testid={`colour-${colour.colour}`}>
      <Typography variant="body2" component="span">
        <strong>{colour.colour}</strong>
      </Typography>
      {colour.live ? (
        <Chip size="small" color="primary" label={t('liveStatus.live')} />
      ) : (
        <Chip size="small" variant="outlined" label={t('liveStatus.idle')} />
      )}
      {replicas}
      {cluster && desired > 0 && (
        <>
          {cluster.complete ? (
            <StatusOK>{clusterText}</StatusOK>
          ) : (
            <StatusWarning>{clusterText}</StatusWarning>
          )}
        </>
      )}
      {latest !== undefined ? (
        <>
          <Sparkline
            points={points}
            label={t('liveStatus.errorRateOf', {
              colour: colour.colour,
              value: latest,
            })}
          />
          <Typography variant="caption" color="textSecondary">
            {t('liveStatus.errorRate', { value: latest })}
          </Typography>
        </>
      ) : (
        <Typography variant="caption" color="textSecondary">
          {t('liveStatus.noErrorRate')}
        </Typography>
      )}
    </Box>
  );
}

/**
 * One app in one environment: what runs, Argo CD's view of it and, for a blue/green app, each
 * colour's replicas, JGroups view and error rate. The dashboard and the Deploy tab both show it.
 */
export const AppStatusRow = (props: {
  environment: string;
  status: AppStatus;
}) => {
  const { environment, status } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(releaseTranslationRef);
  return (
    <Box
      className={classes.row}
      role="group"
      aria-label={t('liveStatus.rowLabel', { app: status.app, environment })}
    >
      <Box>
        <Typography variant="subtitle1">
          {status.app}{' '}
          <Typography variant="caption" color="textSecondary" component="span">
            {environment}
          </Typography>
        </Typography>
        {status.version ? (
          <Typography variant="body2" className={classes.version}>
            {status.version}
          </Typography>
        ) : (
          <Typography variant="body2" color="textSecondary">
            {t('liveStatus.versionUnknown')}
          </Typography>
        )}
      </Box>
      <Box>
        {status.argocd.length === 0 && (
          <Typography variant="body2" color="textSecondary">
            {t('liveStatus.noArgoApps')}
          </Typography>
        )}
        {status.argocd.map(argo => (
          <Box key={argo.name} className={classes.line}>
            <Typography variant="body2" component="span">
              {argo.name}
            </Typography>
            <SyncStatus sync={argo.sync} />
            <HealthStatus health={argo.health} />
            {argo.operation && (
              <Typography variant="caption" color="textSecondary">
                {t('liveStatus.operation', { operation: argo.operation })}
              </Typography>
            )}
          </Box>
        ))}
      </Box>
      <Box>
        {status.colours?.map(colour => (
          <ColourLine key={colour.colour} colour={colour} />
        ))}
      </Box>
      {status.error && (
        <Typography
          className={classes.error}
          role="alert"
          variant="body2"
          color="error"
        >
          {t('liveStatus.appError', { message: status.error })}
        </Typography>
      )}
    </Box>
  );
};
