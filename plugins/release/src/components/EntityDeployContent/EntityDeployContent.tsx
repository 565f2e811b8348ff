import { EmptyState, WarningPanel } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { useEntity } from '@backstage/plugin-catalog-react';
import { releaseAppOfEntity } from '@internal/plugin-release-common';
import { BackendStatus } from '../BackendStatus';
import { releaseTranslationRef } from '../../translation';

/** The Deploy tab of a kop app's entity page. */
export const EntityDeployContent = () => {
  const { entity } = useEntity();
  const { t } = useTranslationRef(releaseTranslationRef);
  const app = releaseAppOfEntity(entity);
  if (!app) {
    return <WarningPanel title={t('deployTab.notAnApp')} />;
  }
  return (
    <>
      <BackendStatus />
      <EmptyState
        missing="data"
        title={t('deployTab.emptyTitle', { app })}
        description={t('deployTab.emptyDescription', { app })}
      />
    </>
  );
};
