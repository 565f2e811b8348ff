import {
  EmptyState,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Release, ReleaseApp } from '@internal/plugin-release-common';
import Chip from '@material-ui/core/Chip';
import useAsync from 'react-use/esm/useAsync';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';

/** Releases newest first, for the dashboard or one app's Deploy tab. */
export const ReleaseTable = (props: {
  app?: ReleaseApp;
  emptyTitle: string;
  emptyDescription: string;
}) => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const { value, loading, error } = useAsync(
    () => api.listReleases({ app: props.app, limit: 50 }),
    [api, props.app],
  );
  if (error) return <ResponseErrorPanel error={error} />;
  if (!loading && value?.items.length === 0) {
    return (
      <EmptyState
        missing="data"
        title={props.emptyTitle}
        description={props.emptyDescription}
      />
    );
  }
  const columns: TableColumn<Release>[] = [
    { title: t('table.title'), field: 'title' },
    {
      title: t('table.versions'),
      render: r => r.apps.map(a => `${a.app}(${a.version})`).join(', '),
    },
    {
      title: t('table.grade'),
      render: r => <Chip size="small" label={r.grade} />,
    },
    { title: t('table.state'), field: 'state' },
    {
      title: t('table.author'),
      render: r => r.author.replace(/^user:default\//, ''),
    },
    {
      title: t('table.created'),
      render: r => new Date(r.createdAt).toLocaleString(),
    },
  ];
  return (
    <Table<Release>
      isLoading={loading}
      options={{ paging: false, search: false, padding: 'dense' }}
      columns={columns}
      data={value?.items ?? []}
      title={t('table.heading')}
    />
  );
};
