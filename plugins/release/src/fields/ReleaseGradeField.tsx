import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import {
  compareGrades,
  minimumGrade,
  releaseGrades,
  type GradePolicy,
  type ReleaseGrade,
} from '@internal/plugin-release-common';
import {
  Box,
  FormControlLabel,
  Radio,
  RadioGroup,
  TextField,
  Typography,
} from '@material-ui/core';
import { Progress, WarningPanel } from '@backstage/core-components';
import useAsync from 'react-use/esm/useAsync';
import { releaseApiRef } from '../api';
import { releaseTranslationRef } from '../translation';
import { FieldFrame } from './FieldFrame';
import type { ReleaseFormData, ReleaseGradeValue } from './draft';

/** ui:options: the grades offered (an emergency form offers only E). */
export interface ReleaseGradeOptions {
  grades?: ReleaseGrade[];
}

function rolesText(policy: GradePolicy, grade: ReleaseGrade): string {
  const rule = policy.grades[grade];
  const roles = rule.approve.length ? rule.approve : rule.approveAfter ?? [];
  return roles.join(' + ');
}

/**
 * The grade, with the seed's policy text beside each choice, the floor the changes set, and who
 * will approve; a grade below the floor needs a reason.
 */
export const ReleaseGradeField = (
  props: FieldExtensionComponentProps<ReleaseGradeValue, ReleaseGradeOptions>,
) => {
  const { formData, onChange, formContext, uiSchema, rawErrors, disabled } =
    props;
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const policyState = useAsync(() => api.getPolicy(), [api]);
  const data = formContext?.formData as ReleaseFormData | undefined;
  const changeClasses = [
    ...(data?.changes?.changeClasses ?? []),
    ...(data?.dbUpdate ? ['dbChange'] : []),
  ];
  if (policyState.loading) return <Progress />;
  if (policyState.error || !policyState.value) {
    return (
      <WarningPanel
        severity="error"
        title={t('fields.grade.loadFailed')}
        message={policyState.error?.message}
      />
    );
  }
  const policy = policyState.value;
  const floor = minimumGrade(policy, changeClasses);
  const offered = (uiSchema?.['ui:options'] as ReleaseGradeOptions | undefined)
    ?.grades ?? [...releaseGrades];
  const below =
    formData?.grade !== undefined && compareGrades(formData.grade, floor) < 0;
  return (
    <FieldFrame
      legend={props.schema.title ?? t('fields.grade.title')}
      rawErrors={rawErrors}
    >
      <Typography variant="body2" data-testid="kop-grade-floor">
        {t('fields.grade.floor', {
          floor,
          classes: changeClasses.join(', ') || '-',
        })}
      </Typography>
      <RadioGroup
        name="kop-grade"
        value={formData?.grade ?? ''}
        onChange={e =>
          onChange({
            ...formData,
            grade: e.target.value as ReleaseGrade,
          })
        }
      >
        {offered.map(grade => {
          const rule = policy.grades[grade];
          return (
            <Box key={grade} mb={1}>
              <FormControlLabel
                value={grade}
                disabled={disabled}
                control={<Radio />}
                label={`${grade} ${rule.label}${
                  rule.labelEn ? ` (${rule.labelEn})` : ''
                } — ${rule.criteria}`}
              />
              <Typography
                variant="caption"
                color="textSecondary"
                component="div"
                style={{ marginLeft: 32 }}
              >
                {rule.approve.length
                  ? t('fields.grade.approvers', {
                      roles: rolesText(policy, grade),
                    })
                  : t('fields.grade.approversAfter', {
                      roles: rolesText(policy, grade),
                    })}
                {' · '}
                {t('fields.grade.share', { share: rule.share })}
              </Typography>
            </Box>
          );
        })}
      </RadioGroup>
      {below && (
        <TextField
          fullWidth
          multiline
          margin="dense"
          variant="outlined"
          id="kop-grade-reason"
          label={t('fields.grade.reason', { floor })}
          value={formData?.reason ?? ''}
          disabled={disabled}
          onChange={e =>
            onChange({ ...formData!, reason: e.target.value || undefined })
          }
        />
      )}
    </FieldFrame>
  );
};

/** A grade is required; one below the floor the changes set needs a reason. */
export async function validateReleaseGrade(
  value: ReleaseGradeValue | undefined,
  validation: { addError(message: string): void },
  context: {
    apiHolder: { get<T>(ref: { id: string; T: T }): T | undefined };
    formData: Record<string, unknown>;
  },
) {
  if (!value?.grade) {
    validation.addError('grade: pick a grade');
    return;
  }
  const api = context.apiHolder.get(releaseApiRef);
  if (!api) return;
  const data = context.formData as ReleaseFormData;
  const classes = [
    ...(data.changes?.changeClasses ?? []),
    ...(data.dbUpdate ? ['dbChange'] : []),
  ];
  const floor = minimumGrade(await api.getPolicy(), classes);
  if (compareGrades(value.grade, floor) < 0 && !value.reason?.trim()) {
    validation.addError(
      `grade: ${
        value.grade
      } is below ${floor}, the lowest grade for ${classes.join(
        ', ',
      )}; give a reason or pick ${floor} or higher`,
    );
  }
}
