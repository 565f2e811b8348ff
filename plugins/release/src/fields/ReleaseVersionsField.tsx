import { useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { releaseApps, type ReleaseApp } from '@internal/plugin-release-common';
import {
  Checkbox,
  FormControlLabel,
  FormHelperText,
  Typography,
} from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import { releaseApiRef, type CandidateList } from '../api';
import { releaseTranslationRef } from '../translation';
import { ChoiceField, FieldFrame } from './FieldFrame';
import type { ReleaseVersionsValue } from './draft';

/** ui:options of the versions field. */
export interface ReleaseVersionsOptions {
  /** Apps offered; default all. */
  apps?: ReleaseApp[];
  /** Environments offered; default beta, prod. */
  environments?: string[];
}

function AppVersionPicker(props: {
  app: ReleaseApp;
  value?: string;
  disabled?: boolean;
  onChange(version: string | undefined): void;
}) {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const [list, setList] = useState<CandidateList>();
  const state = useAsync(async () => {
    const result = await api.listCandidates(props.app);
    setList(result);
    return result;
  }, [api, props.app]);
  if (state.error) {
    return (
      <FormHelperText error>
        {t('fields.versions.loadFailed', {
          app: props.app,
          message: state.error.message,
        })}
      </FormHelperText>
    );
  }
  return (
    <ChoiceField
      fullWidth
      id={`kop-version-${props.app}`}
      label={t('fields.versions.versionOf', { app: props.app })}
      value={props.value ?? ''}
      disabled={props.disabled || state.loading}
      helperText={
        state.loading
          ? t('fields.versions.loading')
          : t('fields.versions.from', { from: list?.from ?? '' })
      }
      options={(list?.candidates ?? []).map(c => ({
        value: c.version,
        label: c.buildPlanned
          ? t('fields.versions.buildPlanned', { label: c.label })
          : c.label,
      }))}
      onChange={version => props.onChange(version || undefined)}
    />
  );
}

/**
 * Which apps the release ships and at which version, picked from what GitLab and Jenkins have,
 * newest first: hybris deploy branches with their build, cms and web commits.
 */
export const ReleaseVersionsField = (
  props: FieldExtensionComponentProps<
    ReleaseVersionsValue,
    ReleaseVersionsOptions
  >,
) => {
  const { formData, onChange, uiSchema, rawErrors, disabled } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const options = (uiSchema?.['ui:options'] ?? {}) as ReleaseVersionsOptions;
  const apps = options.apps ?? [...releaseApps];
  const environments = options.environments ?? ['beta', 'prod'];
  // The form hands an object field {} before it has a value.
  const value: ReleaseVersionsValue = {
    environment: formData?.environment ?? environments[0],
    apps: formData?.apps ?? [],
  };
  useEffect(() => {
    if (!formData?.environment || !formData.apps) onChange(value);
    // Only the first render sets the default environment.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const versionOf = (app: ReleaseApp) =>
    value.apps.find(a => a.app === app)?.version;
  const set = (app: ReleaseApp, on: boolean, version?: string) => {
    const rest = value.apps.filter(a => a.app !== app);
    const next = on ? [...rest, { app, version: version ?? '' }] : rest;
    next.sort((a, b) => apps.indexOf(a.app) - apps.indexOf(b.app));
    onChange({ ...value, apps: next });
  };
  return (
    <FieldFrame
      legend={props.schema.title ?? t('fields.versions.title')}
      rawErrors={rawErrors}
    >
      <ChoiceField
        id="kop-environment"
        label={t('fields.versions.environment')}
        value={value.environment}
        disabled={disabled}
        options={environments.map(env => ({ value: env, label: env }))}
        onChange={environment => onChange({ ...value, environment })}
      />
      {apps.map(app => {
        const chosen = value.apps.some(a => a.app === app);
        return (
          <div key={app}>
            <FormControlLabel
              control={
                <Checkbox
                  checked={chosen}
                  disabled={disabled}
                  onChange={e => set(app, e.target.checked, versionOf(app))}
                  name={`kop-app-${app}`}
                />
              }
              label={app}
            />
            {chosen && (
              <AppVersionPicker
                app={app}
                value={versionOf(app) || undefined}
                disabled={disabled}
                onChange={version => set(app, true, version)}
              />
            )}
          </div>
        );
      })}
      {value.apps.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          {t('fields.versions.pickOne')}
        </Typography>
      )}
    </FieldFrame>
  );
};

/** Refuses a release without apps or with an app whose version is not picked. */
export function validateReleaseVersions(
  value: ReleaseVersionsValue | undefined,
  validation: { addError(message: string): void },
) {
  if (!value?.apps?.length) {
    validation.addError('release.apps: pick at least one app to release');
    return;
  }
  for (const a of value.apps) {
    if (!a.version) {
      validation.addError(`release.${a.app}: pick the version of ${a.app}`);
    }
  }
}
