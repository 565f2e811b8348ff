/** The props of rjsf's that the kop form fields read; the rest would be noise in a test. */
export const fieldProps = (extra: Record<string, unknown>): any => ({
  schema: {},
  uiSchema: {},
  rawErrors: [],
  disabled: false,
  ...extra,
});
