import {
  Content,
  ContentHeader,
  Header,
  Page,
} from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import Button from '@material-ui/core/Button';
import { BackendStatus } from '../BackendStatus';
import { ReleaseTable } from '../ReleaseTable';
import { releaseTranslationRef } from '../../translation';

/** The releases dashboard at /releases. */
export const ReleasesPage = () => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const product =
    useApi(configApiRef).getOptionalString('release.product') ?? 'kop';
  return (
    <Page themeId="tool">
      <Header
        title={t('releasesPage.title')}
        subtitle={t('releasesPage.subtitle', { product })}
      />
      <Content>
        <ContentHeader title={t('releasesPage.title')}>
          <Button variant="contained" color="primary" href="/create">
            {t('releasesPage.newRelease')}
          </Button>
        </ContentHeader>
        <BackendStatus />
        <ReleaseTable
          emptyTitle={t('releasesPage.emptyTitle')}
          emptyDescription={t('releasesPage.emptyDescription')}
        />
      </Content>
    </Page>
  );
};
