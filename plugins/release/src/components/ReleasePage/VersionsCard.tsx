import { InfoCard, Link } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Release, ReleaseItem } from '@internal/plugin-release-common';
import {
  Box,
  Chip,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { releaseTranslationRef } from '../../translation';
import { BuildResults } from './StageResults';

/** Where an item comes from, linked when the release has the URL. */
export const ItemSource = (props: { item: ReleaseItem }) => {
  const { source } = props.item;
  let label: string;
  if (source.type === 'mr') label = `${source.project}!${source.iid}`;
  else if (source.type === 'commit')
    label = `${source.project}@${source.sha.slice(0, 8)}`;
  else label = `Asana ${source.gid}`;
  return source.url ? (
    <Link to={source.url}>{label}</Link>
  ) : (
    <Typography variant="body2" component="span">
      {label}
    </Typography>
  );
};

/** The apps with the version each goes to and the one it replaces, then the items announced. */
export const VersionsCard = (props: { release: Release }) => {
  const { release } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  return (
    <InfoCard title={t('releasePage.versions.title')}>
      <Table size="small" data-testid="kop-release-versions">
        <TableHead>
          <TableRow>
            <TableCell>{t('releasePage.versions.app')}</TableCell>
            <TableCell>{t('releasePage.versions.version')}</TableCell>
            <TableCell>{t('releasePage.versions.previous')}</TableCell>
            <TableCell>{t('releasePage.versions.strategy')}</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {release.apps.map(a => (
            <TableRow key={a.app}>
              <TableCell>{a.app}</TableCell>
              <TableCell>{a.version}</TableCell>
              <TableCell>
                {a.previousVersion ?? t('releasePage.versions.notRecorded')}
              </TableCell>
              <TableCell>
                {a.steps
                  ? t('releasePage.versions.steps', {
                      strategy: a.strategy,
                      steps: a.steps.join(' → '),
                    })
                  : a.strategy}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <BuildResults release={release} />
      <Box mt={2}>
        <Typography variant="subtitle2">
          {t('releasePage.items.title')}
        </Typography>
        {release.items.length === 0 && (
          <Typography variant="body2">{t('releasePage.items.none')}</Typography>
        )}
        <Box component="ul" pl={2} my={0} data-testid="kop-release-items">
          {release.items.map((item, i) => (
            <li key={i}>
              <Typography variant="body2" component="span">
                {item.title}
              </Typography>{' '}
              {item.app && <Chip size="small" label={item.app} />}{' '}
              <ItemSource item={item} />
            </li>
          ))}
        </Box>
      </Box>
    </InfoCard>
  );
};
