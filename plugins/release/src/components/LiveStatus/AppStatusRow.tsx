import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  ReleaseStatusApp,
  ReleaseStatusArgoApp,
  ReleaseStatusColour,
} from '@internal/plugin-release-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Link from '@material-ui/core/Link';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { releaseTranslationRef } from '../../translation';
import { StatusText, type StatusKind } from '../StatusText';
import { formatMetric, latestValue, Sparkline } from './Sparkline';
import { useFormatters } from '../formatters';

const useStyles = makeStyles(theme => ({
  row: {
    display: 'grid',
    // Small minimums: the dashboard's status card is about 640 px wide on a 1280 px screen.
    gridTemplateColumns:
      'minmax(120px, 1fr) minmax(200px, 2fr) minmax(240px, 3fr)',
    gap: theme.spacing(2),
    padding: theme.spacing(1.5, 0),
    borderBottom: `1px solid ${theme.palette.divider}`,
    '&:last-child': { borderBottom: 'none' },
    [theme.breakpoints.down('sm')]: { gridTemplateColumns: '1fr' },
  },
  mono: { fontFamily: 'monospace', wordBreak: 'break-all' },
  line: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(0.5),
  },
  errors: { gridColumn: '1 / -1', margin: 0, paddingLeft: theme.spacing(2) },
}));

/** Argo CD's sync statuses in their usual colours; anything else (Unknown) is grey. */
const syncKinds: Record<string, StatusKind> = {
  Synced: 'ok',
  OutOfSync: 'warning',
};

/** Argo CD's health statuses in their usual colours. */
const healthKinds: Record<string, StatusKind> = {
  Healthy: 'ok',
  Progressing: 'running',
  Suspended: 'pending',
  Degraded: 'error',
  Missing: 'warning',
};

function ArgoLine(props: { argo: ReleaseStatusArgoApp }) {
  const { argo } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(releaseTranslationRef);
  const operation = argo.operation;
  const operationFailed =
    operation &&
    !operation.running &&
    ['Failed', 'Error'].includes(operation.phase);
  return (
    <Box mb={1} data-testid={`argocd-${argo.name}`}>
      <Box className={classes.line}>
        <Typography variant="body2" component="span">
          {/* MUI's plain link: the dashboard draws many, and Backstage's Link costs a router lookup each. */}
          {argo.url ? (
            <Link href={argo.url} target="_blank" rel="noopener noreferrer">
              {argo.name}
            </Link>
          ) : (
            argo.name
          )}
        </Typography>
        <StatusText kind={syncKinds[argo.sync] ?? 'aborted'}>
          {argo.sync}
        </StatusText>
        <StatusText kind={healthKinds[argo.health] ?? 'aborted'}>
          {argo.health}
        </StatusText>
      </Box>
      {argo.health !== 'Healthy' && argo.healthMessage && (
        <Typography variant="caption" color="textSecondary" component="div">
          {argo.healthMessage}
        </Typography>
      )}
      {operation?.running && (
        <Typography variant="caption" component="div">
          <StatusText kind="running">
            {t('liveStatus.operationRunning', {
              phase: operation.phase,
              message: operation.message ?? '',
            })}
          </StatusText>
        </Typography>
      )}
      {operationFailed && (
        <Typography variant="caption" component="div">
          <StatusText kind="error">
            {t('liveStatus.operationFailed', {
              phase: operation.phase,
              message: operation.message ?? '',
            })}
          </StatusText>
        </Typography>
      )}
      {argo.conditions?.map(condition => (
        <Typography
          key={condition}
          variant="caption"
          color="error"
          component="div"
        >
          {condition}
        </Typography>
      ))}
    </Box>
  );
}

function Replicas(props: { replicas: ReleaseStatusColour['replicas'] }) {
  const { t } = useTranslationRef(releaseTranslationRef);
  const { ready, pods, desired } = props.replicas;
  if ((desired ?? pods) === 0 && pods === 0) {
    return <StatusText kind="aborted">{t('liveStatus.scaledDown')}</StatusText>;
  }
  if (desired === undefined) {
    const text = t('liveStatus.replicasOfPods', {
      ready: String(ready),
      pods: String(pods),
    });
    return (
      <StatusText kind={ready === pods ? 'ok' : 'running'}>{text}</StatusText>
    );
  }
  const text = t('liveStatus.replicas', {
    ready: String(ready),
    desired: String(desired),
  });
  // Settled when every wanted pod is ready and no surplus pod is still going away.
  return (
    <StatusText kind={ready >= desired && pods <= desired ? 'ok' : 'running'}>
      {text}
    </StatusText>
  );
}

function Cluster(props: { colour: ReleaseStatusColour }) {
  const { cluster, replicas } = props.colour;
  const { t } = useTranslationRef(releaseTranslationRef);
  if (!cluster) return null;
  if (!cluster.up) {
    // An idle colour has no node to ask; only a colour meant to run is a problem.
    const meantToRun = (replicas.desired ?? replicas.pods) > 0;
    return (
      <StatusText kind={meantToRun ? 'warning' : 'aborted'}>
        {t('liveStatus.clusterDown')}
      </StatusText>
    );
  }
  const text = t('liveStatus.cluster', {
    view: String(cluster.viewSize),
    expected:
      cluster.expectedNodes === undefined ? '?' : String(cluster.expectedNodes),
  });
  if (cluster.complete) return <StatusText kind="ok">{text}</StatusText>;
  return (
    <StatusText kind="warning">
      {cluster.missing.length
        ? t('liveStatus.clusterMissing', {
            cluster: text,
            missing: cluster.missing.join(', '),
          })
        : text}
    </StatusText>
  );
}

function ErrorRate(props: { colour: ReleaseStatusColour }) {
  const { colour } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatNumber } = useFormatters();
  const points = colour.errorRate ?? [];
  const latest = latestValue(points);
  if (latest === undefined) {
    return (
      <Typography variant="caption" color="textSecondary">
        {t('liveStatus.noErrorRate')}
      </Typography>
    );
  }
  const value = formatMetric(latest, formatNumber);
  const over =
    colour.errorRateMax !== undefined && latest > colour.errorRateMax;
  return (
    <>
      <Sparkline
        points={points}
        limit={colour.errorRateMax}
        label={t('liveStatus.errorRateOf', { colour: colour.colour, value })}
      />
      <Typography variant="caption" color={over ? 'error' : 'textSecondary'}>
        {colour.errorRateMax === undefined
          ? t('liveStatus.errorRate', { value })
          : t('liveStatus.errorRateLimit', {
              value,
              limit: formatMetric(colour.errorRateMax, formatNumber),
            })}
      </Typography>
    </>
  );
}

function ColourLine(props: { colour: ReleaseStatusColour }) {
  const { colour } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(releaseTranslationRef);
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
      {colour.version && (
        <Typography variant="caption" className={classes.mono}>
          {colour.version}
        </Typography>
      )}
      <Replicas replicas={colour.replicas} />
      <Cluster colour={colour} />
      <ErrorRate colour={colour} />
    </Box>
  );
}

/**
 * One app in one environment: what runs, Argo CD's view of it and, for hybris, each colour's
 * replicas, JGroups view and error rate. The dashboard and the Deploy tab both show it.
 */
export const AppStatusRow = (props: {
  environment: string;
  status: ReleaseStatusApp;
}) => {
  const { environment, status } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(releaseTranslationRef);
  const otherVersions = status.versions.filter(v => v !== status.version);
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
          <Typography variant="body2" className={classes.mono}>
            {status.version}
          </Typography>
        ) : (
          <Typography variant="body2" color="textSecondary">
            {t('liveStatus.versionUnknown')}
          </Typography>
        )}
        {otherVersions.length > 0 && (
          <Typography variant="caption" color="textSecondary" component="div">
            {t('liveStatus.otherVersions', {
              versions: otherVersions.join(', '),
            })}
          </Typography>
        )}
        {status.liveColour && (
          <Typography variant="caption" component="div">
            {t('liveStatus.liveColour', { colour: status.liveColour })}
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
          <ArgoLine key={`${argo.instance}/${argo.name}`} argo={argo} />
        ))}
      </Box>
      <Box>
        {status.colours?.map(colour => (
          <ColourLine key={colour.colour} colour={colour} />
        ))}
      </Box>
      {status.errors && status.errors.length > 0 && (
        <Box component="ul" className={classes.errors} role="alert">
          {status.errors.map(error => (
            <Typography
              key={error}
              component="li"
              variant="body2"
              color="error"
            >
              {error}
            </Typography>
          ))}
        </Box>
      )}
    </Box>
  );
};
