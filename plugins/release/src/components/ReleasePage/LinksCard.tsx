import { InfoCard, Link } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Release } from '@internal/plugin-release-common';
import { Box, Typography } from '@material-ui/core';
import { releaseTranslationRef } from '../../translation';

/**
 * The links the release carries (its Asana task, Argo CD apps, GitLab MRs, Grafana dashboards, as
 * recorded when it was made or run); none are made up here.
 */
export const LinksCard = (props: { release: Release }) => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const { links } = props.release;
  return (
    <InfoCard title={t('releasePage.links.title')}>
      {links.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          {t('releasePage.links.none')}
        </Typography>
      ) : (
        <Box component="ul" pl={2} my={0} data-testid="kop-release-links">
          {links.map(l => (
            <li key={`${l.title}-${l.url}`}>
              <Link to={l.url}>{l.title}</Link>
            </li>
          ))}
        </Box>
      )}
    </InfoCard>
  );
};
