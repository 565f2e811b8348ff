import { parse } from 'yaml';

/**
 * The plain values (strings, numbers, booleans) at dotted key paths (`image.tag`, `replicaCount`) of
 * a YAML text; a key that is absent or holds a map or a list is left out. Invalid YAML is an Error
 * naming the file.
 *
 * @public
 */
export function readYamlValues(
  text: string,
  keys: string[],
  options: { file?: string } = {},
): Record<string, string | number | boolean> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    const where = options.file ? ` in ${options.file}` : '';
    throw new Error(
      `not valid YAML${where}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const out: Record<string, string | number | boolean> = {};
  for (const key of keys) {
    let node = doc;
    for (const part of key.split('.')) {
      node =
        node && typeof node === 'object' && !Array.isArray(node)
          ? (node as Record<string, unknown>)[part]
          : undefined;
    }
    if (
      typeof node === 'string' ||
      typeof node === 'number' ||
      typeof node === 'boolean'
    ) {
      out[key] = node;
    }
  }
  return out;
}
