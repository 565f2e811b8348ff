/**
 * Jenkins' `tree` query parameter of the JSON API: which fields to keep, nested with [...], and a
 * range of an array with {from,to} (to exclusive), {n} for one element.
 * e.g. `builds[number,result,actions[parameters[name,value]]]{0,30}`.
 */
export interface TreeField {
  name: string;
  children?: TreeField[];
  range?: { from?: number; to?: number };
}

export class TreeSyntaxError extends Error {}

export function parseTree(spec: string): TreeField[] {
  let at = 0;
  const fail = (what: string): never => {
    throw new TreeSyntaxError(`tree: ${what} at ${at} in '${spec}'`);
  };
  const number = (): number | undefined => {
    const match = /^\d+/.exec(spec.slice(at));
    if (!match) return undefined;
    at += match[0].length;
    return Number(match[0]);
  };
  const list = (): TreeField[] => {
    const fields: TreeField[] = [];
    for (;;) {
      const name = /^[A-Za-z_$][\w$]*/.exec(spec.slice(at))?.[0];
      if (!name) fail('a field name is expected');
      at += name!.length;
      const field: TreeField = { name: name! };
      if (spec[at] === '[') {
        at += 1;
        field.children = list();
        if (spec[at] !== ']') fail("']' is expected");
        at += 1;
      }
      if (spec[at] === '{') {
        at += 1;
        const from = number();
        if (spec[at] === ',') {
          at += 1;
          field.range = { from, to: number() };
        } else {
          if (from === undefined) fail('a number is expected');
          field.range = { from, to: from! + 1 };
        }
        if (spec[at] !== '}') fail("'}' is expected");
        at += 1;
      }
      fields.push(field);
      if (spec[at] !== ',') return fields;
      at += 1;
    }
  };
  const fields = list();
  if (at !== spec.length) fail('unexpected text');
  return fields;
}

/** Keeps the fields `tree` names (and `_class`, as Jenkins does), applying ranges to arrays. */
export function applyTree(value: unknown, fields: TreeField[]): unknown {
  if (Array.isArray(value)) return value.map(v => applyTree(v, fields));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if ('_class' in source) out._class = source._class;
  for (const field of fields) {
    if (!(field.name in source)) continue;
    let v = source[field.name];
    if (field.range && Array.isArray(v)) {
      v = v.slice(field.range.from ?? 0, field.range.to ?? v.length);
    }
    out[field.name] = field.children ? applyTree(v, field.children) : v;
  }
  return out;
}
