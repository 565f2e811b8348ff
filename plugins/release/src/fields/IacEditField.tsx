import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { Box, TextField, Typography } from '@material-ui/core';
import { Progress, WarningPanel } from '@backstage/core-components';
import useAsync from 'react-use/esm/useAsync';
import useDebounce from 'react-use/esm/useDebounce';
import { useState } from 'react';
import { releaseApiRef, type IacEditTargets } from '../api';
import { releaseTranslationRef } from '../translation';
import { ChoiceField, FieldFrame } from './FieldFrame';

/** The config-change field's value: the edit and the diff it was shown as. */
export interface IacEditValue {
  environment: string;
  argocdApp: string;
  key: string;
  value: string;
  /** From the preview: the files as the diff was made from them. */
  expectedBlobs?: Record<string, string>;
  baseSha?: string;
  diff?: string;
}

/** Numbers stay numbers in the values file: replicaCount: 3, not '3'. */
function scalarOf(text: string): string | number | boolean {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/**
 * An IaC edit made on screen: environment, Argo CD app and key from what the layout allows, the new
 * value, and the exact diff the commit will make, read from the IaC repository as it is now.
 */
export const IacEditField = (
  props: FieldExtensionComponentProps<IacEditValue>,
) => {
  const { formData, onChange, rawErrors, disabled } = props;
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const targets = useAsync(() => api.getIacTargets(), [api]);
  const value: IacEditValue = formData ?? {
    environment: 'prod',
    argocdApp: '',
    key: '',
    value: '',
  };
  const [debounced, setDebounced] = useState(value);
  useDebounce(() => setDebounced(value), 400, [JSON.stringify(value)]);
  const ready = Boolean(
    debounced.argocdApp && debounced.key && debounced.value !== '',
  );
  const preview = useAsync(async () => {
    if (!ready) return undefined;
    const result = await api.previewIac({
      environment: debounced.environment,
      changes: [
        {
          argocdApp: debounced.argocdApp,
          key: debounced.key,
          value: scalarOf(debounced.value),
        },
      ],
    });
    onChange({
      ...debounced,
      diff: result.diff,
      expectedBlobs: result.expectedBlobs,
      baseSha: result.baseSha,
    });
    return result;
  }, [api, ready, JSON.stringify(debounced)]);

  if (targets.loading) return <Progress />;
  if (targets.error || !targets.value) {
    return (
      <WarningPanel
        severity="error"
        title={t('fields.iac.loadFailed')}
        message={targets.error?.message}
      />
    );
  }
  const all: IacEditTargets = targets.value;
  const keys =
    all.targets.find(x => x.argocdApp === value.argocdApp)?.keys ?? [];
  const set = (patch: Partial<IacEditValue>) =>
    onChange({
      ...value,
      ...patch,
      diff: undefined,
      expectedBlobs: undefined,
      baseSha: undefined,
    });
  return (
    <FieldFrame
      legend={props.schema.title ?? t('fields.iac.title')}
      rawErrors={rawErrors}
    >
      <ChoiceField
        id="kop-iac-environment"
        label={t('fields.versions.environment')}
        value={value.environment}
        disabled={disabled}
        options={all.environments.map(env => ({ value: env, label: env }))}
        onChange={environment => set({ environment })}
      />
      <ChoiceField
        id="kop-iac-app"
        label={t('fields.iac.argocdApp')}
        value={value.argocdApp}
        disabled={disabled}
        options={all.targets.map(x => ({
          value: x.argocdApp,
          label: `${x.argocdApp} (${x.file})`,
        }))}
        onChange={argocdApp => set({ argocdApp, key: '' })}
      />
      <ChoiceField
        id="kop-iac-key"
        label={t('fields.iac.key')}
        value={value.key}
        disabled={disabled || !value.argocdApp}
        options={keys.map(k => ({ value: k, label: k }))}
        onChange={key => set({ key })}
      />
      <TextField
        margin="dense"
        variant="outlined"
        id="kop-iac-value"
        label={t('fields.iac.value')}
        value={value.value}
        disabled={disabled || !value.key}
        onChange={e => set({ value: e.target.value })}
      />
      <Box mt={2}>
        <Typography variant="subtitle2">{t('fields.iac.diff')}</Typography>
        {preview.loading && <Progress />}
        {preview.error && (
          <WarningPanel
            severity="error"
            title={t('fields.iac.previewFailed')}
            message={preview.error.message}
          />
        )}
        {preview.value && (
          <Box
            component="pre"
            p={2}
            style={{ whiteSpace: 'pre-wrap', fontFamily: 'monospace' }}
            data-testid="kop-iac-diff"
          >
            {preview.value.diff || t('fields.iac.noChange')}
          </Box>
        )}
      </Box>
    </FieldFrame>
  );
};

/** Nothing is submitted without the diff the author saw. */
export function validateIacEdit(
  value: IacEditValue | undefined,
  validation: { addError(message: string): void },
) {
  if (!value?.argocdApp) validation.addError('edit.argocdApp: pick an app');
  else if (!value.key) validation.addError('edit.key: pick a key');
  else if (value.value === '') validation.addError('edit.value: give a value');
  else if (!value.diff) {
    validation.addError('edit.diff: wait for the diff, or change something');
  }
}

export { scalarOf };
