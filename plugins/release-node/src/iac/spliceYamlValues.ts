import { isDeepStrictEqual } from 'node:util';
import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseAllDocuments,
  visit,
  type CST,
  type Document,
  type ParseOptions,
  type DocumentOptions,
  type SchemaOptions,
  type Scalar,
} from 'yaml';
import { EditConflictError, type YamlScalar } from '../gitlab/yamlEdit';

type Options = ParseOptions & DocumentOptions & SchemaOptions;
type Doc = Document.Parsed;
/** Replace text[start, end) with `text`; offsets are into the file as read. */
type Splice = { start: number; end: number; text: string };

/**
 * How the file's values are read back to check an edit: as this package reads YAML (1.2, or what a
 * `%YAML` directive says) and as Helm reads a values file (YAML 1.1, where `yes`, `0755` and
 * `2026-01-08` are not strings). Merge keys count in both, as they do in Helm.
 */
const VIEWS: Options[] = [{ merge: true }, { merge: true, schema: 'yaml-1.1' }];

/** Characters YAML does not allow unescaped; a double-quoted scalar writes them as `\u` escapes. */
function unprintable(c: string): boolean {
  const n = c.charCodeAt(0);
  return (
    (n < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') ||
    (n >= 0x7f && n <= 0x9f) ||
    n === 0x2028 ||
    n === 0x2029 ||
    n === 0xfeff
  );
}
const hasUnprintable = (text: string) => [...text].some(unprintable);
const UNALIAS = "edit the anchor's value by hand or unalias it";

function parseStream(text: string, options: Options): Doc[] {
  return [...parseAllDocuments(text, { ...options, keepSourceTokens: true })];
}

/** Every document as JavaScript; undefined when the text does not parse cleanly in this view. */
function jsOf(text: string, options: Options): unknown[] | undefined {
  const docs = parseStream(text, options);
  if (docs.some(doc => doc.errors.length > 0)) return undefined;
  try {
    return docs.map(doc => doc.toJS());
  } catch {
    return undefined;
  }
}

function childOf(parent: unknown, part: string): unknown {
  if (Array.isArray(parent)) {
    return /^\d+$/.test(part) ? parent[Number(part)] : undefined;
  }
  if (parent && typeof parent === 'object' && !(parent instanceof Date)) {
    return Object.hasOwn(parent, part)
      ? (parent as Record<string, unknown>)[part]
      : undefined;
  }
  return undefined;
}

function valueAt(root: unknown, path: string[]): unknown {
  return path.reduce<unknown>((node, part) => childOf(node, part), root);
}

/** Sets a value that is known to be there; false when the path is gone. */
function setAt(root: unknown, path: string[], value: unknown): boolean {
  const parent = valueAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (childOf(parent, last) === undefined) return false;
  (parent as Record<string, unknown>)[last] = value;
  return true;
}

function applySplices(text: string, splices: Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
  }
  return out;
}

function plainText(value: string): string | undefined {
  return value !== '' &&
    value.trim() === value &&
    !/[\r\n]/.test(value) &&
    !hasUnprintable(value)
    ? value
    : undefined;
}

function singleQuoted(value: string): string | undefined {
  return /[\r\n]/.test(value) || hasUnprintable(value)
    ? undefined
    : `'${value.replace(/'/g, "''")}'`;
}

function doubleQuoted(value: string): string {
  return [...JSON.stringify(value)]
    .map(c =>
      unprintable(c)
        ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
        : c,
    )
    .join('');
}

function sourceToken(
  token: CST.BlockScalar,
  type: CST.SourceToken['type'],
): CST.SourceToken | undefined {
  return token.props.find((p): p is CST.SourceToken => p.type === type);
}

/** A one-line value in a block scalar's own style (`|-`, `>`): new header and content, or undefined. */
function blockSplices(
  token: CST.BlockScalar,
  value: string,
): Splice[] | undefined {
  const header = sourceToken(token, 'block-scalar-header');
  const newline = sourceToken(token, 'newline');
  if (!header || !newline) return undefined;
  const body = value.endsWith('\n') ? value.slice(0, -1) : value;
  if (
    body === '' ||
    /^[ \t]/.test(body) ||
    /[\r\n]/.test(body) ||
    hasUnprintable(body)
  ) {
    return undefined;
  }
  const [mode, ...rest] = header.source;
  const digits = rest.filter(c => /\d/.test(c)).join('');
  const oldChomp = rest.find(c => c === '-' || c === '+') ?? '';
  let chomp = '-';
  if (value.endsWith('\n')) chomp = oldChomp === '+' ? '+' : '';
  const newHeader =
    chomp === oldChomp
      ? header.source
      : mode +
        (oldChomp
          ? rest.join('').replace(oldChomp, chomp)
          : digits + chomp + rest.join('').replace(digits, ''));
  const contentStart = newline.offset + newline.source.length;
  const lines = token.source.split(/(?<=\n)/);
  const first = lines.find(line => line.trim() !== '');
  const indent = digits
    ? token.indent + Number(digits)
    : first?.match(/^ */)![0].length ?? 0;
  if (indent <= token.indent) return undefined;
  const eol = /\r\n/.test(token.source || newline.source) ? '\r\n' : '\n';
  const ends = token.source === '' || token.source.endsWith('\n');
  const splices: Splice[] = [
    {
      start: contentStart,
      end: contentStart + token.source.length,
      text: `${' '.repeat(indent)}${body}${ends ? eol : ''}`,
    },
  ];
  if (newHeader !== header.source) {
    splices.push({
      start: header.offset,
      end: header.offset + header.source.length,
      text: newHeader,
    });
  }
  return splices;
}

/** A block scalar turned into a one-line scalar on the key's line: header replaced, content lines gone. */
function blockToFlow(token: CST.BlockScalar, text: string): Splice[] {
  const header = sourceToken(token, 'block-scalar-header');
  const newline = sourceToken(token, 'newline');
  const start = header?.offset ?? token.offset;
  const splices: Splice[] = [
    { start, end: start + (header?.source.length ?? 0), text },
  ];
  if (newline) {
    const contentStart = newline.offset + newline.source.length;
    // Content that ran to the end of a file without a last newline leaves none behind either.
    const ends = token.source === '' || token.source.endsWith('\n');
    splices.push({
      start: ends ? contentStart : newline.offset,
      end: contentStart + token.source.length,
      text: '',
    });
  }
  return splices;
}

/** A string in the quoting of a one-line scalar that was written there, when that quoting can hold it. */
function sameFlowStyle(
  token: Scalar.Parsed['srcToken'],
  value: string,
): string | undefined {
  switch (token?.type) {
    case 'single-quoted-scalar':
      return singleQuoted(value);
    case 'double-quoted-scalar':
    case 'block-scalar':
      return undefined;
    default:
      return plainText(value);
  }
}

/** The ways to write `value` where `node` is, in the order tried: its own style first. */
function candidates(
  source: string,
  node: Scalar.Parsed,
  value: YamlScalar,
): Splice[][] {
  const token = node.srcToken;
  const flows =
    typeof value === 'string'
      ? [sameFlowStyle(token, value), doubleQuoted(value)].filter(
          (t): t is string => t !== undefined,
        )
      : [String(value)];
  if (!token) {
    // An empty value (`key:`): the new one goes after the colon, apart from any comment.
    const at = node.range[0];
    const before = /[ \t]/.test(source[at - 1] ?? '') ? '' : ' ';
    const after = source[at] === '#' ? ' ' : '';
    return flows.map(t => [{ start: at, end: at, text: before + t + after }]);
  }
  if (token.type === 'block-scalar') {
    const block =
      typeof value === 'string' ? blockSplices(token, value) : undefined;
    return [
      ...(block ? [block] : []),
      ...flows.map(t => blockToFlow(token, t)),
    ];
  }
  if (
    token.type === 'scalar' ||
    token.type === 'single-quoted-scalar' ||
    token.type === 'double-quoted-scalar'
  ) {
    return flows.map(t => [
      {
        start: token.offset,
        end: token.offset + token.source.length,
        text: t,
      },
    ]);
  }
  return [];
}

/**
 * Whether `after` reads, in every view, as the text before with exactly these values changed: each
 * named value now the given one with its type, every other value of every document as it was.
 */
function holdsOnly(
  after: string,
  views: Array<{ options: Options; before: unknown[] }>,
  changes: Array<{ path: string[]; value: YamlScalar }>,
): boolean {
  return views.every(({ options, before }) => {
    // A view that reads a key's path otherwise (YAML 1.1 reads a key `on` as true) cannot judge it.
    if (changes.some(c => valueAt(before[0], c.path) === undefined)) {
      return true;
    }
    const js = jsOf(after, options);
    if (!js || js.length !== before.length) return false;
    for (const { path, value } of changes) {
      if (valueAt(js[0], path) !== value) return false;
      if (!setAt(js[0], path, valueAt(before[0], path))) return false;
    }
    return isDeepStrictEqual(js, before);
  });
}

/** Nodes that an alias elsewhere in the document repeats; editing one would change those keys too. */
function aliasedNodes(doc: Doc): Set<unknown> {
  const targets = new Set<unknown>();
  visit(doc, {
    Alias(_, alias) {
      const target = alias.resolve(doc);
      if (target) targets.add(target);
    },
  });
  return targets;
}

/** A `<<` merge key: a symbol in current yaml releases, a plain `<<` string in older 2.x ones. */
function mergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  return typeof key.value === 'symbol'
    ? key.value.description === '<<'
    : key.value === '<<' && key.type === 'PLAIN';
}

/**
 * The scalar node a dotted key names, where the key itself writes it; refuses a value that an alias,
 * a shared anchor or a merge key also gives to other keys.
 */
function locate(
  doc: Doc,
  key: string,
  where: string,
  aliased: Set<unknown>,
): Scalar.Parsed {
  const path = key.split('.');
  const refuse = (why: string) =>
    new EditConflictError(`${key}${where} ${why}; ${UNALIAS}`);
  const notThere = () =>
    new EditConflictError(`key ${key} is not there${where}`);
  let node: unknown = doc.contents;
  for (let i = 0; ; i++) {
    const at = path.slice(0, i).join('.') || 'the document';
    const last = i === path.length;
    if (isAlias(node)) {
      throw refuse(
        last
          ? `is an alias of &${node.source}`
          : `is under ${at}, an alias of &${node.source}`,
      );
    }
    if (isNode(node) && node.anchor && aliased.has(node)) {
      const { anchor } = node;
      throw refuse(
        last
          ? `holds the anchor &${anchor}, which other keys use as *${anchor}`
          : `is under ${at}, whose anchor &${anchor} other keys use as *${anchor}`,
      );
    }
    if (last) break;
    const part = path[i];
    if (isSeq(node)) {
      node = /^\d+$/.test(part) ? node.items[Number(part)] : undefined;
    } else if (isMap(node)) {
      const pair = node.items.find(
        p => isScalar(p.key) && p.key.value === part,
      );
      if (!pair) {
        for (const merge of node.items.filter(p => mergeKey(p.key))) {
          const sources = isSeq(merge.value)
            ? merge.value.items
            : [merge.value];
          for (const from of sources) {
            const map = isAlias(from) ? from.resolve(doc) : from;
            const js = isNode(map) ? map.toJS(doc) : undefined;
            if (js && typeof js === 'object' && Object.hasOwn(js, part)) {
              throw refuse(
                `comes through the merge key <<: ${
                  isAlias(from) ? `*${from.source}` : '{…}'
                }${i > 0 ? ` of ${at}` : ''}`,
              );
            }
          }
        }
      }
      node = pair?.value ?? undefined;
    } else {
      node = undefined;
    }
    if (node === undefined) throw notThere();
  }
  if (!isScalar(node)) {
    throw new EditConflictError(
      `key ${key}${where} holds a map or a list, not a value`,
    );
  }
  return node as Scalar.Parsed;
}

/**
 * Sets values at dotted key paths (`image.tag`, `replicaCount`) of a YAML values file by splicing
 * the new scalars into the text, so the edit changes exactly the bytes of those values: quoting,
 * comments, spacing, flow style, anchors, blank lines, document markers, a BOM, line endings and the
 * last newline stay as they were. A value keeps its style when that style can hold it and keeps the
 * type it is given (a tag that would read as a number, a date or a boolean in YAML 1.1 is quoted).
 * In a file of several documents the first is the values, as Helm reads it. A key that is absent or
 * not a plain value, whose current value differs from `expected`, or whose value an alias, a shared
 * anchor or a merge key also gives to other keys is an {@link EditConflictError}; nothing is changed
 * for a key that already holds its value.
 *
 * @public
 */
export function spliceYamlValues(
  text: string,
  values: Record<string, YamlScalar>,
  options: { file?: string; expected?: Record<string, YamlScalar> } = {},
): string {
  const where = options.file ? ` in ${options.file}` : '';
  const docs = parseStream(text, VIEWS[0]);
  const error = docs.flatMap(doc => doc.errors)[0];
  if (error) {
    throw new EditConflictError(
      `not valid YAML${where}: ${error.message.split('\n')[0]}`,
    );
  }
  let js: unknown[];
  try {
    js = docs.map(doc => doc.toJS());
  } catch (e) {
    throw new EditConflictError(
      `not valid YAML${where}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const current = (key: string) => {
    const value = docs.length ? valueAt(js[0], key.split('.')) : undefined;
    if (value === undefined) {
      throw new EditConflictError(`key ${key} is not there${where}`);
    }
    if (
      value !== null &&
      typeof value === 'object' &&
      !(value instanceof Date)
    ) {
      throw new EditConflictError(
        `key ${key}${where} holds a map or a list, not a value`,
      );
    }
    return value;
  };
  for (const [key, want] of Object.entries(options.expected ?? {})) {
    const value = current(key);
    if (value !== want) {
      throw new EditConflictError(
        `key ${key}${where} is ${JSON.stringify(
          value,
        )}, expected ${JSON.stringify(want)}`,
      );
    }
  }
  const changes = Object.entries(values)
    .filter(([key, value]) => current(key) !== value)
    .map(([key, value]) => ({ key, path: key.split('.'), value }));
  if (changes.length === 0) return text;

  const views = [{ options: VIEWS[0], before: js }];
  const helm = jsOf(text, VIEWS[1]);
  if (helm) views.push({ options: VIEWS[1], before: helm });
  const aliased = aliasedNodes(docs[0]);
  const splices = changes.flatMap(change => {
    const node = locate(docs[0], change.key, where, aliased);
    const fits = candidates(text, node, change.value).find(splice =>
      holdsOnly(applySplices(text, splice), views, [change]),
    );
    if (!fits) {
      throw new EditConflictError(
        `key ${change.key}${where} cannot be set to ${JSON.stringify(
          change.value,
        )} where it is written (its tag or form would read it otherwise); edit it by hand`,
      );
    }
    return fits;
  });
  const out = applySplices(text, splices);
  if (!holdsOnly(out, views, changes)) {
    throw new EditConflictError(
      `the values ${changes
        .map(c => c.key)
        .join(
          ', ',
        )}${where} cannot be set together without changing others; edit them by hand`,
    );
  }
  return out;
}
