import { EmptyState, Link, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  Release,
  ReleaseApp,
  ReleaseState,
} from '@internal/plugin-release-common';
import Chip from '@material-ui/core/Chip';
import Paper from '@material-ui/core/Paper';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Toolbar from '@material-ui/core/Toolbar';
import Typography from '@material-ui/core/Typography';
import { useState, type ReactNode } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { releaseApiRef } from '../../api';
import { releaseRouteRef } from '../../routes';
import { releaseTranslationRef } from '../../translation';
import { LOAD_TIMEOUT_MS, withTimeout } from '../timeout';
import { LoadError } from '../LoadError';
import { useStateLabel } from '../releaseView';
import { useFormatters } from '../formatters';
import { useReleaseSignal } from '../releaseSignals';
// Not the card's index: the dashboard needs the progress line, not the whole Deploy card.
import { DeployProgress } from '../DeployCard/DeployProgress';
import { deployingStates } from '../DeployCard/deployModel';

/** At most this many deploying rows read their run, so a long table stays one request. */
const MAX_PROGRESS_ROWS = 3;

/**
 * Releases newest first, for the dashboard or one app's Deploy tab; each links to its page, and a
 * deploying one says which step its run is at.
 */
export const ReleaseTable = (props: {
  app?: ReleaseApp;
  /** Only releases in these states. */
  states?: ReleaseState[];
  heading?: string;
  emptyTitle: string;
  emptyDescription: string;
}) => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const releaseLink = useRouteRef(releaseRouteRef);
  const stateLabel = useStateLabel();
  const { formatDateTime } = useFormatters();
  // Compared by value: a caller's new array with the same states must not reload.
  const stateKey = props.states?.join(',');
  const [refresh, setRefresh] = useState(0);
  const { value, loading, error } = useAsync(
    () =>
      withTimeout(
        api.listReleases({
          app: props.app,
          state: stateKey ? (stateKey.split(',') as ReleaseState[]) : undefined,
          limit: 50,
        }),
        LOAD_TIMEOUT_MS,
        t('loadErrors.timeout', {
          what: t('loadErrors.whatReleases'),
          seconds: String(LOAD_TIMEOUT_MS / 1000),
        }),
      ),
    [api, props.app, stateKey, refresh],
  );
  useReleaseSignal(signal => {
    // A release the table already shows as it now is needs no new read.
    const shown = value?.items.find(r => r.id === signal.releaseId);
    if (shown && shown.revision >= signal.revision) return;
    setRefresh(n => n + 1);
  });
  if (error) {
    return <LoadError title={t('table.loadFailed')} error={error} />;
  }
  if (!loading && value?.items.length === 0) {
    return (
      <EmptyState
        missing="data"
        title={props.emptyTitle}
        description={props.emptyDescription}
      />
    );
  }
  // Where a deploy is costs a request a row: only the first few deploying rows ask.
  const withProgress = new Set(
    (value?.items ?? [])
      .filter(r => deployingStates.includes(r.state))
      .slice(0, MAX_PROGRESS_ROWS)
      .map(r => r.id),
  );
  const columns: Array<{ title: string; render: (r: Release) => ReactNode }> = [
    {
      title: t('table.title'),
      render: r => <Link to={releaseLink({ id: r.id })}>{r.title}</Link>,
    },
    {
      title: t('table.versions'),
      render: r => r.apps.map(a => `${a.app}(${a.version})`).join(', '),
    },
    {
      title: t('table.grade'),
      render: r => <Chip size="small" label={r.grade} />,
    },
    {
      title: t('table.state'),
      render: r =>
        deployingStates.includes(r.state) ? (
          <>
            <Chip
              size="small"
              color="primary"
              label={stateLabel(r.state)}
              data-testid={`kop-release-deploying-${r.id}`}
            />
            {withProgress.has(r.id) && <DeployProgress release={r} />}
          </>
        ) : (
          stateLabel(r.state)
        ),
    },
    {
      title: t('table.author'),
      render: r => r.author.replace(/^user:default\//, ''),
    },
    {
      title: t('table.created'),
      render: r => formatDateTime(r.createdAt),
    },
  ];
  // MUI's plain table: the dashboard shows at most 50 rows with no paging, sorting or search, and
  // Backstage's Table would load material-table, date-fns and drag-and-drop before the page shows.
  return (
    <Paper>
      <Toolbar>
        <Typography variant="h5" component="h2">
          {props.heading ?? t('table.heading')}
        </Typography>
      </Toolbar>
      {loading && !value && <Progress />}
      <Table size="small">
        <TableHead>
          <TableRow>
            {columns.map(c => (
              <TableCell key={c.title}>{c.title}</TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {(value?.items ?? []).map(r => (
            <TableRow key={r.id}>
              {columns.map(c => (
                <TableCell key={c.title}>{c.render(r)}</TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Paper>
  );
};
