import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  Release,
  ReleaseLink,
  ReleaseLinkOut,
} from '@internal/plugin-release-common';
import { Box, Typography } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { ReleaseErrorMessage } from '../ReleaseError';
import { useTimedLoad } from '../releaseView';

const SYSTEMS: Array<{ system: ReleaseLinkOut['system']; name: string }> = [
  { system: 'argocd', name: 'Argo CD' },
  { system: 'gitlab', name: 'GitLab' },
  { system: 'grafana', name: 'Grafana' },
];

const LinkList = (props: { links: ReleaseLink[]; testId: string }) => (
  <Box component="ul" pl={2} my={0} data-testid={props.testId}>
    {props.links.map(l => (
      <li key={`${l.title}-${l.url}`}>
        <Link to={l.url}>{l.title}</Link>
      </li>
    ))}
  </Box>
);

/**
 * The links the release carries (its Asana task, as recorded when it was made or run), and where to
 * follow it: its apps in Argo CD, its versions and the IaC branch in GitLab, and the dashboards, per
 * environment, as the backend builds them from config. None are made up here.
 */
export const LinksCard = (props: { release: Release }) => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const timed = useTimedLoad();
  const { id, links } = props.release;
  const out = useAsyncRetry(
    () => timed(api.getReleaseLinksOut(id), t('releasePage.links.loading')),
    [api, id],
  );
  const environments = [
    ...new Set((out.value?.links ?? []).map(l => l.environment ?? '')),
  ];
  return (
    <InfoCard title={t('releasePage.links.title')}>
      <Typography variant="subtitle2">
        {t('releasePage.links.recorded')}
      </Typography>
      {links.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          {t('releasePage.links.none')}
        </Typography>
      ) : (
        <LinkList links={links} testId="kop-release-links" />
      )}
      <Box mt={2} data-testid="kop-release-links-out">
        <Typography variant="subtitle2">
          {t('releasePage.links.follow')}
        </Typography>
        {out.error && (
          <ReleaseErrorMessage
            error={out.error}
            title={t('releasePage.links.loadFailed')}
            onRetry={out.retry}
          />
        )}
        {!out.value && !out.error && <Progress />}
        {SYSTEMS.map(({ system, name }) => {
          const ofSystem = (out.value?.links ?? []).filter(
            l => l.system === system,
          );
          if (ofSystem.length === 0) return null;
          return (
            <Box
              key={system}
              mt={1}
              data-testid={`kop-release-links-${system}`}
            >
              <Typography variant="body2">
                <strong>{name}</strong>
              </Typography>
              {environments.map(environment => {
                const here = ofSystem.filter(
                  l => (l.environment ?? '') === environment,
                );
                if (here.length === 0) return null;
                return (
                  <Box key={environment} pl={1}>
                    <Typography variant="caption" color="textSecondary">
                      {environment || t('releasePage.links.everywhere')}
                    </Typography>
                    <LinkList
                      links={here}
                      testId={`kop-release-links-${system}-${
                        environment || 'all'
                      }`}
                    />
                  </Box>
                );
              })}
            </Box>
          );
        })}
        {(out.value?.problems ?? []).map(problem => (
          <Typography
            key={problem}
            variant="caption"
            color="textSecondary"
            component="p"
          >
            {t('releasePage.links.notLinked')}: {problem}
          </Typography>
        ))}
      </Box>
    </InfoCard>
  );
};
