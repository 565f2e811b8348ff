import { WarningPanel } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { useEntity } from '@backstage/plugin-catalog-react';
import { releaseAppOfEntity } from '@internal/plugin-release-common';
import { BackendStatus } from '../BackendStatus';
import { ReleaseTable } from '../ReleaseTable';
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
      <ReleaseTable
        app={app}
        emptyTitle={t('deployTab.emptyTitle', { app })}
        emptyDescription={t('deployTab.emptyDescription', { app })}
      />
    </>
  );
};
