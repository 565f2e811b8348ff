import { useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import {
  releaseApps,
  type Release,
  type ReleaseApp,
  type ReleaseState,
} from '@internal/plugin-release-common';
import {
  Button,
  Checkbox,
  FormControlLabel,
  FormHelperText,
  Radio,
  RadioGroup,
  Typography,
} from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { releaseApiRef } from '../api';
import { useFormatters } from '../components/formatters';
import { releaseTranslationRef } from '../translation';
import { ChoiceField, FieldFrame } from './FieldFrame';
import type { ReleaseVersionsValue } from './draft';

/** Releases whose versions ran in full: what a rollback may go back to. */
export const rollbackTargetStates: ReleaseState[] = [
  'done',
  'announced',
  'scaling_down',
];

/** ui:options of the rollback target field. */
export interface RollbackTargetOptions {
  /** Only releases that shipped this app, at first; the user may change it. */
  app?: ReleaseApp;
  /** Environments offered; default beta, prod. */
  environments?: string[];
  /** Releases read per page; default 20. */
  limit?: number;
}

type ReleasePage = { items: Release[]; nextCursor?: string };

const byAppOrder = (a: { app: ReleaseApp }, b: { app: ReleaseApp }) =>
  releaseApps.indexOf(a.app) - releaseApps.indexOf(b.app);

/** "hybris deploy-2026-01-06, web a7ed4db1", in the apps' usual order. */
function versionsOf(release: Release): string {
  return [...release.apps]
    .sort(byAppOrder)
    .map(a => `${a.app} ${a.version}`)
    .join(', ');
}

/** The listed release the value was taken from, when the field comes back to a filled-in value. */
function releaseOfValue(
  releases: Release[],
  value: ReleaseVersionsValue,
): Release | undefined {
  if (!value.apps.length) return undefined;
  return releases.find(r =>
    value.apps.every(v =>
      r.apps.some(a => a.app === v.app && a.version === v.version),
    ),
  );
}

/**
 * The release a rollback goes back to, picked from earlier releases that ran in full, with the apps
 * of it to take back. Its value is the versions field's, so the rest of a release form is unchanged.
 */
export const RollbackTargetField = (
  props: FieldExtensionComponentProps<
    ReleaseVersionsValue,
    RollbackTargetOptions
  >,
) => {
  const { formData, onChange, uiSchema, rawErrors, disabled } = props;
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDateTime } = useFormatters();
  const options = (uiSchema?.['ui:options'] ?? {}) as RollbackTargetOptions;
  const environments = options.environments ?? ['beta', 'prod'];
  const limit = options.limit ?? 20;
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

  const [appFilter, setAppFilter] = useState<ReleaseApp | ''>(
    options.app ?? '',
  );
  const [pickedId, setPickedId] = useState<string>();
  const [list, setList] = useState<ReleasePage>();
  const query = (cursor?: string) =>
    api.listReleases({
      state: rollbackTargetStates,
      ...(appFilter ? { app: appFilter } : {}),
      limit,
      ...(cursor ? { cursor } : {}),
    });
  const first = useAsync(async () => {
    setList(undefined);
    const page = await query();
    setList(page);
    return page;
    // query reads only these.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, appFilter, limit]);
  const [more, loadMore] = useAsyncFn(async () => {
    if (!list?.nextCursor) return;
    const page = await query(list.nextCursor);
    setList({
      items: [...list.items, ...page.items],
      nextCursor: page.nextCursor,
    });
  }, [list]);

  const releases = list?.items ?? [];
  const picked =
    releases.find(r => r.id === pickedId) ??
    (pickedId ? undefined : releaseOfValue(releases, value));

  const pick = (release: Release) => {
    setPickedId(release.id);
    onChange({
      ...value,
      apps: [...release.apps]
        .sort(byAppOrder)
        .map(a => ({ app: a.app, version: a.version })),
    });
  };
  const tick = (release: Release, app: ReleaseApp, on: boolean) => {
    const shipped = release.apps.find(a => a.app === app);
    const rest = value.apps.filter(a => a.app !== app);
    const next =
      on && shipped ? [...rest, { app, version: shipped.version }] : rest;
    onChange({ ...value, apps: next.sort(byAppOrder) });
  };
  const filterBy = (app: ReleaseApp | '') => {
    setAppFilter(app);
    setPickedId(undefined);
    onChange({ ...value, apps: [] });
  };
  const error = first.error ?? more.error;

  return (
    <FieldFrame
      legend={props.schema.title ?? t('fields.rollback.title')}
      rawErrors={rawErrors}
    >
      <ChoiceField
        id="kop-rollback-environment"
        label={t('fields.rollback.environment')}
        value={value.environment}
        disabled={disabled}
        options={environments.map(env => ({ value: env, label: env }))}
        onChange={environment => onChange({ ...value, environment })}
      />
      <ChoiceField
        id="kop-rollback-app-filter"
        label={t('fields.rollback.appFilter')}
        value={appFilter}
        disabled={disabled}
        empty={t('fields.rollback.allApps')}
        options={releaseApps.map(app => ({ value: app, label: app }))}
        onChange={app => filterBy(app as ReleaseApp | '')}
      />
      <Typography variant="subtitle2">
        {t('fields.rollback.releases')}
      </Typography>
      {first.loading && (
        <Typography variant="body2" color="textSecondary">
          {t('fields.rollback.loading')}
        </Typography>
      )}
      {error && (
        <FormHelperText error>
          {t('fields.rollback.loadFailed', { message: error.message })}
        </FormHelperText>
      )}
      {list && releases.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          {t('fields.rollback.none')}
        </Typography>
      )}
      <RadioGroup
        name="kop-rollback-release"
        value={picked?.id ?? ''}
        onChange={e => {
          const release = releases.find(r => r.id === e.target.value);
          if (release) pick(release);
        }}
      >
        {releases.map(r => (
          <FormControlLabel
            key={r.id}
            value={r.id}
            disabled={disabled}
            control={<Radio />}
            label={
              <span>
                <Typography variant="body1" component="span">
                  {t('fields.rollback.releaseLabel', {
                    title: r.title,
                    state: t(`state.${r.state}`),
                    created: formatDateTime(r.createdAt),
                  })}
                </Typography>
                <Typography
                  variant="body2"
                  color="textSecondary"
                  component="span"
                  display="block"
                >
                  {versionsOf(r)}
                </Typography>
              </span>
            }
          />
        ))}
      </RadioGroup>
      {list?.nextCursor && (
        <Button
          size="small"
          disabled={disabled || more.loading}
          onClick={() => loadMore()}
        >
          {t('fields.rollback.more')}
        </Button>
      )}
      {picked && (
        <>
          <Typography variant="subtitle2">
            {t('fields.rollback.appsOf', { title: picked.title })}
          </Typography>
          {releaseApps.map(app => {
            const shipped = picked.apps.find(a => a.app === app);
            return (
              <FormControlLabel
                key={app}
                control={
                  <Checkbox
                    checked={value.apps.some(a => a.app === app)}
                    disabled={disabled || !shipped}
                    onChange={e => tick(picked, app, e.target.checked)}
                    name={`kop-rollback-app-${app}`}
                  />
                }
                label={
                  shipped
                    ? t('fields.rollback.appTo', {
                        app,
                        version: shipped.version,
                      })
                    : t('fields.rollback.notShipped', { app })
                }
              />
            );
          })}
        </>
      )}
      {value.apps.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          {t('fields.rollback.pickOne')}
        </Typography>
      )}
    </FieldFrame>
  );
};

/** Refuses a rollback with no app to take back, or an app without the version to go back to. */
export function validateRollbackTarget(
  value: ReleaseVersionsValue | undefined,
  validation: { addError(message: string): void },
) {
  if (!value?.apps?.length) {
    validation.addError(
      'release.apps: pick an earlier release and at least one of its apps to go back to',
    );
    return;
  }
  for (const a of value.apps) {
    if (!a.version) {
      validation.addError(
        `release.${a.app}: the release picked has no version of ${a.app} to go back to`,
      );
    }
  }
}
