import { isScalar, parseDocument } from 'yaml';

/**
 * A change that cannot be applied to the file as it is now: a key is not where it should be, or holds
 * something other than what the change expected. Thrown by edit functions; never retried.
 *
 * @public
 */
export class EditConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EditConflictError';
  }
}

/** @public */
export type YamlScalar = string | number | boolean;

/**
 * Sets values at dotted key paths (`image.tag`, `replicaCount`) of a YAML text with the `yaml`
 * Document API, so only those values change: comments, order, quoting and blank lines stay.
 * A key that is absent or not a plain value, or whose current value differs from `expected`, is an
 * {@link EditConflictError}.
 *
 * @deprecated It re-serialises the whole file; edit values files with `spliceYamlValues` (byte-exact).
 */
export function setYamlValues(
  text: string,
  values: Record<string, YamlScalar>,
  options: { file?: string; expected?: Record<string, YamlScalar> } = {},
): string {
  const where = options.file ? ` in ${options.file}` : '';
  const doc = parseDocument(text);
  if (doc.errors.length) {
    throw new EditConflictError(
      `not valid YAML${where}: ${doc.errors[0].message.split('\n')[0]}`,
    );
  }
  const nodeAt = (key: string) => {
    const path = key.split('.');
    const node = doc.getIn(path, true);
    if (!isScalar(node)) {
      throw new EditConflictError(
        node === undefined
          ? `key ${key} is not there${where}`
          : `key ${key}${where} holds a map or a list, not a value`,
      );
    }
    return { path, node };
  };
  for (const [key, want] of Object.entries(options.expected ?? {})) {
    const { node } = nodeAt(key);
    if (node.value !== want) {
      throw new EditConflictError(
        `key ${key}${where} is ${JSON.stringify(
          node.value,
        )}, expected ${JSON.stringify(want)}`,
      );
    }
  }
  for (const [key, value] of Object.entries(values)) {
    const { path } = nodeAt(key);
    doc.setIn(path, value);
  }
  return doc.toString();
}
