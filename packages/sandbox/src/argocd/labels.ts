type Term = (labels: Record<string, string>) => boolean;

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of selector) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  if (current.trim()) terms.push(current.trim());
  return terms;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

function parseTerm(term: string): Term {
  let m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) {
    const [, key, op, list] = m;
    const values = new Set(list.split(',').map(v => v.trim()));
    return op === 'in'
      ? l => key in l && values.has(l[key])
      : l => !(key in l) || !values.has(l[key]);
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(term);
  if (m && KEY.test(m[1])) {
    const [, key, op, value] = m;
    return op === '!='
      ? l => l[key] !== value
      : l => key in l && l[key] === value;
  }
  if (term.startsWith('!') && KEY.test(term.slice(1))) {
    const key = term.slice(1);
    return l => !(key in l);
  }
  if (KEY.test(term)) return l => term in l;
  throw new Error(`unable to parse requirement: '${term}'`);
}

/**
 * A Kubernetes label selector (`a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`,
 * comma-separated), as Argo CD's `selector` query parameter takes it. Throws on a malformed one.
 */
export function labelSelector(selector: string | undefined): Term {
  if (!selector || !selector.trim()) return () => true;
  const terms = splitTerms(selector).map(parseTerm);
  return labels => terms.every(t => t(labels));
}
