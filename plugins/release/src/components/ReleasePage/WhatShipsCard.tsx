import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  Release,
  ReleaseAppVersion,
  ReleaseItem,
} from '@internal/plugin-release-common';
import { Box, Chip, Typography } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { ReleaseErrorMessage } from '../ReleaseError';
import { RunningCommit } from '../RunningCommit';
import { useTimedLoad } from '../releaseView';

/** One app: the merged MRs between what runs and the release's version, each matched to an item or mixed in. */
const AppShips = (props: {
  app: ReleaseAppVersion;
  items: ReleaseItem[];
  environment: string;
}) => {
  const { app, items, environment } = props;
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const timed = useTimedLoad();
  const key = JSON.stringify([app.app, app.version, items, environment]);
  const state = useAsyncRetry(
    () =>
      timed(
        api.whatShips({
          app: app.app,
          environment,
          candidate: app.version,
          items,
        }),
        t('releasePage.loading.ships', { app: app.app }),
      ),
    [api, key],
  );
  if (state.error) {
    return (
      <ReleaseErrorMessage
        error={state.error}
        title={t('releasePage.ships.loadFailed', {
          app: app.app,
          environment,
        })}
        onRetry={state.retry}
      />
    );
  }
  if (!state.value) return <Progress />;
  const ships = state.value;
  const classes = Object.entries(ships.changeClasses).filter(
    ([, paths]) => paths.length > 0,
  );
  return (
    <Box mb={2} data-testid={`kop-release-ships-${app.app}`}>
      <Typography variant="subtitle1">
        {t('releasePage.ships.heading', {
          app: app.app,
          from: ships.deployed.version,
          to: ships.candidate.version,
        })}
      </Typography>
      <RunningCommit deployed={ships.deployed} />
      {!ships.newer && (
        <Typography variant="body2" color="textSecondary">
          {t('releasePage.ships.notNewer', {
            app: app.app,
            environment,
          })}
        </Typography>
      )}
      <Box my={1} display="flex" flexWrap="wrap" style={{ gap: 4 }}>
        {ships.dbUpdate && (
          <Chip
            size="small"
            color="secondary"
            label={t('releasePage.ships.dbChange')}
            data-testid="kop-db-change"
          />
        )}
        {classes.map(([name, paths]) => (
          <Chip
            key={name}
            size="small"
            variant="outlined"
            label={t('releasePage.ships.changeClass', {
              name,
              count: paths.length,
            })}
            title={paths.join('\n')}
          />
        ))}
      </Box>
      {ships.mergeRequests.length === 0 && (
        <Typography variant="body2">
          {t('releasePage.ships.noMergeRequests')}
        </Typography>
      )}
      {ships.mergeRequests.map(mr => (
        <Box key={mr.iid} display="flex" alignItems="center" my={0.5}>
          <Typography variant="body2" style={{ flex: 1 }}>
            {mr.url ? <Link to={mr.url}>!{mr.iid}</Link> : `!${mr.iid}`}{' '}
            {mr.title}
            {mr.item !== undefined && items[mr.item] && (
              <Typography
                variant="caption"
                color="textSecondary"
                component="span"
              >
                {' '}
                {t('releasePage.ships.itemOf', {
                  title: items[mr.item].title,
                })}
              </Typography>
            )}
          </Typography>
          {mr.mixedIn && (
            <Chip
              size="small"
              label={t('releasePage.ships.mixedIn')}
              data-testid="kop-mixed-in"
            />
          )}
          {mr.changeClasses.map(c => (
            <Chip key={c} size="small" variant="outlined" label={c} />
          ))}
        </Box>
      ))}
      {ships.missingItems
        .filter(i => items[i])
        .map(i => (
          <Typography key={i} variant="body2" color="error">
            {t('releasePage.ships.missingItem', { title: items[i].title })}
          </Typography>
        ))}
      {ships.warnings.map(w => (
        <Typography key={w} variant="body2" color="textSecondary">
          {w}
        </Typography>
      ))}
    </Box>
  );
};

/**
 * What each app of the release ships to the environment it is headed for, computed by the backend
 * from GitLab, so a change nobody announced (mixed in) or a DB change is seen before approving.
 */
export const WhatShipsCard = (props: {
  release: Release;
  environment: string;
}) => {
  const { release, environment } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  return (
    <InfoCard title={t('releasePage.ships.title', { environment })}>
      {release.apps.map(a => (
        <AppShips
          key={a.app}
          app={a}
          environment={environment}
          items={release.items.filter(i => !i.app || i.app === a.app)}
        />
      ))}
    </InfoCard>
  );
};
