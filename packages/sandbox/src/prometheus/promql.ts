/**
 * The PromQL subset the portal's gates use, evaluated the way Prometheus does: vector selectors with
 * label matchers, `[range]` and `offset`, the `*_over_time` functions, rate / increase / delta (with
 * Prometheus' extrapolation), vector(), scalar(), abs(), time(), the aggregations sum, count, min,
 * max and avg (by / without), and + - * / % ^ between scalars and vectors (one-to-one matching).
 * Anything else is refused as `bad_data`, as the real API refuses what it cannot parse.
 */

/** A label set; `__name__` holds the metric name. */
export type Labels = Record<string, string>;

/** One label matcher of a selector. */
export interface Matcher {
  name: string;
  type: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Where selectors read samples from: every series matching, with its points (ms, value). */
export interface SeriesSource {
  select(matchers: Matcher[]): Array<{ labels: Labels; points: Point[] }>;
}

/** A sample at a time in ms. */
export type Point = [number, number];

/** The answer of a query, as the HTTP API types it. */
export type PromValue =
  | { type: 'scalar'; value: number }
  | { type: 'string'; value: string }
  | { type: 'vector'; samples: Array<{ labels: Labels; value: number }> }
  | { type: 'matrix'; series: Array<{ labels: Labels; points: Point[] }> };

type ValueType = PromValue['type'];

/** A query Prometheus would refuse: `bad_data` (HTTP 400) or `execution` (HTTP 422). */
export class PromQLError extends Error {
  constructor(message: string, readonly errorType: 'bad_data' | 'execution') {
    super(message);
    this.name = 'PromQLError';
  }
}

type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^';
type AggregateOp = 'sum' | 'count' | 'min' | 'max' | 'avg';

/** A parsed expression. */
export type PromNode =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | {
      kind: 'selector';
      matchers: Matcher[];
      rangeMs?: number;
      offsetMs: number;
    }
  | { kind: 'call'; fn: string; args: PromNode[] }
  | {
      kind: 'aggregate';
      op: AggregateOp;
      grouping?: { without: boolean; labels: string[] };
      expr: PromNode;
    }
  | { kind: 'binary'; op: BinaryOp; lhs: PromNode; rhs: PromNode }
  | { kind: 'negate'; expr: PromNode };

interface FunctionSpec {
  args: ValueType[];
  returns: ValueType;
}

const FUNCTIONS: Record<string, FunctionSpec> = {
  rate: { args: ['matrix'], returns: 'vector' },
  increase: { args: ['matrix'], returns: 'vector' },
  delta: { args: ['matrix'], returns: 'vector' },
  max_over_time: { args: ['matrix'], returns: 'vector' },
  min_over_time: { args: ['matrix'], returns: 'vector' },
  avg_over_time: { args: ['matrix'], returns: 'vector' },
  sum_over_time: { args: ['matrix'], returns: 'vector' },
  count_over_time: { args: ['matrix'], returns: 'vector' },
  last_over_time: { args: ['matrix'], returns: 'vector' },
  vector: { args: ['scalar'], returns: 'vector' },
  scalar: { args: ['vector'], returns: 'scalar' },
  abs: { args: ['vector'], returns: 'vector' },
  time: { args: [], returns: 'scalar' },
};
const AGGREGATES = new Set<string>(['sum', 'count', 'min', 'max', 'avg']);
/** Parts of PromQL the sandbox knows by name but does not evaluate. */
const UNSUPPORTED = new Set([
  'and',
  'or',
  'unless',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'atan2',
  'topk',
  'bottomk',
  'quantile',
  'stddev',
  'stdvar',
  'count_values',
  'group',
]);

const TYPE_NAMES: Record<ValueType, string> = {
  scalar: 'scalar',
  string: 'string',
  vector: 'instant vector',
  matrix: 'range vector',
};

// ------------------------------------------------------------------ lexer

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'number'; v: number; pos: number }
  | { t: 'duration'; v: number; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'eof'; pos: number };

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Milliseconds of a PromQL duration like 2m, 1h30m or 500ms; undefined when it is not one. */
export function parsePromDuration(text: string): number | undefined {
  if (!/^(\d+(ms|[smhdwy]))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|[smhdwy])/g)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
  }
  return total;
}

function fail(pos: number, message: string): never {
  throw new PromQLError(`1:${pos + 1}: parse error: ${message}`, 'bad_data');
}

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const ops = ['==', '!=', '=~', '!~', '>=', '<=', '>', '<', '='];
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '#') {
      while (i < input.length && input[i] !== '\n') i += 1;
      continue;
    }
    const rest = input.slice(i);
    const duration = /^(\d+(ms|[smhdwy]))+(?![A-Za-z0-9_])/.exec(rest);
    if (duration) {
      tokens.push({
        t: 'duration',
        v: parsePromDuration(duration[0])!,
        pos: i,
      });
      i += duration[0].length;
      continue;
    }
    const number =
      /^(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)(?![A-Za-z0-9_:])/.exec(
        rest,
      );
    if (number) {
      tokens.push({ t: 'number', v: Number(number[0]), pos: i });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(rest);
    if (ident) {
      tokens.push({ t: 'ident', v: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let value = '';
      while (j < input.length && input[j] !== c) {
        if (input[j] === '\\' && c !== '`') {
          const next = input[j + 1];
          const escapes: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            '\\': '\\',
            '"': '"',
            "'": "'",
          };
          if (next === undefined || !(next in escapes)) {
            fail(j, `unknown escape sequence '\\${next ?? ''}'`);
          }
          value += escapes[next];
          j += 2;
          continue;
        }
        value += input[j];
        j += 1;
      }
      if (j >= input.length) fail(i, 'unterminated quoted string');
      tokens.push({ t: 'string', v: value, pos: i });
      i = j + 1;
      continue;
    }
    const op = ops.find(o => rest.startsWith(o));
    if (op) {
      tokens.push({ t: 'op', v: op, pos: i });
      i += op.length;
      continue;
    }
    if ('{}()[],+-*/%^:@'.includes(c)) {
      tokens.push({ t: 'op', v: c, pos: i });
      i += 1;
      continue;
    }
    fail(i, `unexpected character: '${c}'`);
  }
  tokens.push({ t: 'eof', pos: input.length });
  return tokens;
}

// ------------------------------------------------------------------ parser

function describeToken(token: Token): string {
  switch (token.t) {
    case 'eof':
      return 'end of input';
    case 'ident':
      return `identifier "${token.v}"`;
    case 'number':
      return `number "${token.v}"`;
    case 'duration':
      return 'duration';
    case 'string':
      return `string "${token.v}"`;
    default:
      return `"${token.v}"`;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    const token = this.tokens[this.i];
    if (token.t !== 'eof') this.i += 1;
    return token;
  }

  private isOp(v: string): boolean {
    const token = this.peek();
    return token.t === 'op' && token.v === v;
  }

  private expectOp(v: string, context: string): void {
    const token = this.next();
    if (token.t !== 'op' || token.v !== v) {
      fail(
        token.pos,
        `unexpected ${describeToken(token)} in ${context}, expected "${v}"`,
      );
    }
  }

  parse(): PromNode {
    if (this.peek().t === 'eof') fail(0, 'no expression found in input');
    const node = this.additive();
    const token = this.peek();
    if (token.t !== 'eof') {
      if (
        token.t === 'op' &&
        ['==', '!=', '>', '<', '>=', '<='].includes(token.v)
      ) {
        fail(
          token.pos,
          `comparison operator "${token.v}" is not supported by the kop sandbox`,
        );
      }
      if (token.t === 'ident' && UNSUPPORTED.has(token.v)) {
        fail(token.pos, `"${token.v}" is not supported by the kop sandbox`);
      }
      fail(token.pos, `unexpected ${describeToken(token)}`);
    }
    return node;
  }

  private binary(lhs: PromNode, op: BinaryOp, rhs: PromNode): PromNode {
    return { kind: 'binary', op, lhs, rhs };
  }

  private additive(): PromNode {
    let node = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next() as { v: BinaryOp };
      node = this.binary(node, op.v, this.multiplicative());
    }
    return node;
  }

  private multiplicative(): PromNode {
    let node = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.next() as { v: BinaryOp };
      node = this.binary(node, op.v, this.unary());
    }
    return node;
  }

  private unary(): PromNode {
    if (this.isOp('-') || this.isOp('+')) {
      const op = this.next() as { v: string };
      const expr = this.unary();
      if (op.v === '+') return expr;
      return expr.kind === 'number'
        ? { kind: 'number', value: -expr.value }
        : { kind: 'negate', expr };
    }
    return this.power();
  }

  private power(): PromNode {
    const base = this.postfix();
    if (this.isOp('^')) {
      this.next();
      // Right-associative, and binds tighter than a unary minus on its left.
      return this.binary(base, '^', this.unary());
    }
    return base;
  }

  private postfix(): PromNode {
    let node = this.primary();
    for (;;) {
      if (this.isOp('[')) {
        const open = this.next();
        if (node.kind !== 'selector' || node.rangeMs !== undefined) {
          fail(open.pos, 'ranges only allowed for vector selectors');
        }
        const d = this.next();
        if (d.t !== 'duration') {
          fail(
            d.pos,
            `unexpected ${describeToken(d)} in range, expected duration`,
          );
        }
        const colon = this.peek();
        if (
          (colon.t === 'op' && colon.v === ':') ||
          (colon.t === 'ident' && colon.v.startsWith(':'))
        ) {
          fail(colon.pos, 'subqueries are not supported by the kop sandbox');
        }
        this.expectOp(']', 'range');
        if (d.v <= 0) fail(d.pos, 'range must be greater than 0');
        node = { ...node, rangeMs: d.v };
        continue;
      }
      const token = this.peek();
      if (token.t === 'ident' && token.v === 'offset') {
        this.next();
        if (node.kind !== 'selector') {
          fail(
            token.pos,
            'offset modifier must be preceded by a vector selector',
          );
        }
        let sign = 1;
        if (this.isOp('-')) {
          this.next();
          sign = -1;
        }
        const d = this.next();
        if (d.t !== 'duration') {
          fail(
            d.pos,
            `unexpected ${describeToken(d)} in offset, expected duration`,
          );
        }
        node = { ...node, offsetMs: sign * d.v };
        continue;
      }
      if (this.isOp('@'))
        fail(token.pos, '@ modifiers are not supported by the kop sandbox');
      return node;
    }
  }

  private primary(): PromNode {
    const token = this.next();
    if (token.t === 'number') return { kind: 'number', value: token.v };
    if (token.t === 'string') return { kind: 'string', value: token.v };
    if (token.t === 'op' && token.v === '(') {
      const expr = this.additive();
      this.expectOp(')', 'parenthesised expression');
      return expr;
    }
    if (token.t === 'op' && token.v === '{') {
      return this.selector(undefined, token.pos, true);
    }
    if (token.t !== 'ident')
      fail(token.pos, `unexpected ${describeToken(token)}`);
    const lower = token.v.toLowerCase();
    if (lower === 'inf' || lower === 'nan') {
      return { kind: 'number', value: lower === 'inf' ? Infinity : NaN };
    }
    if (AGGREGATES.has(token.v) && (this.isOp('(') || this.isGrouping())) {
      return this.aggregate(token.v as AggregateOp);
    }
    if (this.isOp('(')) {
      if (UNSUPPORTED.has(token.v)) {
        fail(token.pos, `"${token.v}" is not supported by the kop sandbox`);
      }
      if (!FUNCTIONS[token.v]) {
        fail(token.pos, `unknown function with name "${token.v}"`);
      }
      return this.call(token.v, token.pos);
    }
    if (UNSUPPORTED.has(token.v)) {
      fail(token.pos, `"${token.v}" is not supported by the kop sandbox`);
    }
    if (this.isOp('{')) {
      this.next();
      return this.selector(token.v, token.pos, true);
    }
    return this.selector(token.v, token.pos, false);
  }

  private isGrouping(): boolean {
    const token = this.peek();
    return token.t === 'ident' && (token.v === 'by' || token.v === 'without');
  }

  private grouping(): { without: boolean; labels: string[] } {
    const keyword = this.next() as { v: string };
    this.expectOp('(', 'grouping');
    const labels: string[] = [];
    while (!this.isOp(')')) {
      const label = this.next();
      if (label.t !== 'ident' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(label.v)) {
        fail(
          label.pos,
          `unexpected ${describeToken(label)} in grouping opts, expected label`,
        );
      }
      labels.push(label.v);
      if (this.isOp(',')) this.next();
      else if (!this.isOp(')')) {
        const t = this.peek();
        fail(
          t.pos,
          `unexpected ${describeToken(
            t,
          )} in grouping opts, expected "," or ")"`,
        );
      }
    }
    this.next();
    return { without: keyword.v === 'without', labels };
  }

  private aggregate(op: AggregateOp): PromNode {
    let grouping = this.isGrouping() ? this.grouping() : undefined;
    this.expectOp('(', `aggregation "${op}"`);
    const expr = this.additive();
    if (this.isOp(',')) {
      fail(this.peek().pos, `aggregation "${op}" takes one argument`);
    }
    this.expectOp(')', `aggregation "${op}"`);
    if (this.isGrouping()) {
      if (grouping) fail(this.peek().pos, 'grouping given twice');
      grouping = this.grouping();
    }
    return { kind: 'aggregate', op, expr, ...(grouping ? { grouping } : {}) };
  }

  private call(fn: string, pos: number): PromNode {
    this.expectOp('(', `call to "${fn}"`);
    const args: PromNode[] = [];
    while (!this.isOp(')')) {
      args.push(this.additive());
      if (this.isOp(',')) this.next();
      else if (!this.isOp(')')) {
        const t = this.peek();
        fail(
          t.pos,
          `unexpected ${describeToken(
            t,
          )} in call to "${fn}", expected "," or ")"`,
        );
      }
    }
    this.next();
    const spec = FUNCTIONS[fn];
    if (args.length !== spec.args.length) {
      fail(
        pos,
        `expected ${spec.args.length} argument(s) in call to "${fn}", got ${args.length}`,
      );
    }
    return { kind: 'call', fn, args };
  }

  private selector(
    name: string | undefined,
    pos: number,
    braces: boolean,
  ): PromNode {
    const matchers: Matcher[] = name
      ? [{ name: '__name__', type: '=', value: name }]
      : [];
    if (braces) {
      while (!this.isOp('}')) {
        const label = this.next();
        if (label.t !== 'ident' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(label.v)) {
          fail(
            label.pos,
            `unexpected ${describeToken(
              label,
            )} in label matching, expected label`,
          );
        }
        const op = this.next();
        if (op.t !== 'op' || !['=', '!=', '=~', '!~'].includes(op.v)) {
          fail(
            op.pos,
            `unexpected ${describeToken(
              op,
            )} in label matching, expected label matching operator`,
          );
        }
        const value = this.next();
        if (value.t !== 'string') {
          fail(
            value.pos,
            `unexpected ${describeToken(
              value,
            )} in label matching, expected string`,
          );
        }
        if ((op.v === '=~' || op.v === '!~') && !compiles(value.v)) {
          fail(value.pos, `invalid regular expression "${value.v}"`);
        }
        matchers.push({
          name: label.v,
          type: op.v as Matcher['type'],
          value: value.v,
        });
        if (this.isOp(',')) this.next();
        else if (!this.isOp('}')) {
          const t = this.peek();
          fail(
            t.pos,
            `unexpected ${describeToken(
              t,
            )} in label matching, expected "," or "}"`,
          );
        }
      }
      this.next();
    }
    if (name === undefined && !matchers.some(m => !matches(m, ''))) {
      fail(pos, 'vector selector must contain at least one non-empty matcher');
    }
    return { kind: 'selector', matchers, offsetMs: 0 };
  }
}

/** The type an expression evaluates to, refusing arguments of the wrong type as Prometheus does. */
function typeOf(node: PromNode): ValueType {
  switch (node.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'selector':
      return node.rangeMs === undefined ? 'vector' : 'matrix';
    case 'negate': {
      const t = typeOf(node.expr);
      if (t !== 'scalar' && t !== 'vector') {
        throw new PromQLError(
          `unary expression only allowed on expressions of type scalar or instant vector, got "${TYPE_NAMES[t]}"`,
          'bad_data',
        );
      }
      return t;
    }
    case 'call': {
      const spec = FUNCTIONS[node.fn];
      node.args.forEach((arg, i) => {
        const t = typeOf(arg);
        if (t !== spec.args[i]) {
          throw new PromQLError(
            `expected type ${TYPE_NAMES[spec.args[i]]} in call to function "${
              node.fn
            }", got ${TYPE_NAMES[t]}`,
            'bad_data',
          );
        }
      });
      return spec.returns;
    }
    case 'aggregate': {
      const t = typeOf(node.expr);
      if (t !== 'vector') {
        throw new PromQLError(
          `expected type instant vector in aggregation expression, got ${TYPE_NAMES[t]}`,
          'bad_data',
        );
      }
      return 'vector';
    }
    case 'binary': {
      const l = typeOf(node.lhs);
      const r = typeOf(node.rhs);
      for (const t of [l, r]) {
        if (t !== 'scalar' && t !== 'vector') {
          throw new PromQLError(
            `binary expression must contain only scalar and instant vector types`,
            'bad_data',
          );
        }
      }
      return l === 'scalar' && r === 'scalar' ? 'scalar' : 'vector';
    }
    default:
      throw new PromQLError('unknown expression', 'bad_data');
  }
}

/** Parses a query, refusing (as `bad_data`) anything outside the subset. */
export function parsePromQL(query: string): PromNode {
  const node = new Parser(lex(query)).parse();
  typeOf(node);
  return node;
}

// ------------------------------------------------------------------ evaluation

const regexCache = new Map<string, RegExp>();

/** Label regexes are anchored at both ends, as in Prometheus. */
function anchored(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 's');
    regexCache.set(pattern, re);
  }
  return re;
}

function compiles(pattern: string): boolean {
  try {
    return anchored(pattern) instanceof RegExp;
  } catch {
    return false;
  }
}

function matches(m: Matcher, value: string): boolean {
  switch (m.type) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    default:
      return m.type === '=~'
        ? anchored(m.value).test(value)
        : !anchored(m.value).test(value);
  }
}

/** Whether a label set satisfies every matcher (a missing label is the empty string). */
export function matchesAll(labels: Labels, matchers: Matcher[]): boolean {
  return matchers.every(m => matches(m, labels[m.name] ?? ''));
}

function withoutName(labels: Labels): Labels {
  const { __name__: _name, ...rest } = labels;
  return rest;
}

/** A stable key of a label set. */
export function signature(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map(k => [k, labels[k]]),
  );
}

function formatLabels(labels: Labels): string {
  return `{${Object.keys(labels)
    .sort()
    .map(k => `${k}="${labels[k]}"`)
    .join(', ')}}`;
}

export interface EvalContext {
  /** Evaluation time in ms. */
  time: number;
  source: SeriesSource;
  /** How far back an instant selector looks for the latest sample; Prometheus' default is 5m. */
  lookbackMs: number;
}

/** Prometheus' extrapolatedRate: the increase over the range, extrapolated towards its ends. */
function extrapolatedDelta(
  points: Point[],
  rangeStart: number,
  rangeEnd: number,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  if (points.length < 2) return undefined;
  const first = points[0];
  const last = points[points.length - 1];
  let result = last[1] - first[1];
  if (isCounter) {
    let previous = first[1];
    for (const [, value] of points) {
      if (value < previous) result += previous;
      previous = value;
    }
  }
  let durationToStart = (first[0] - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - last[0]) / 1000;
  const sampledInterval = (last[0] - first[0]) / 1000;
  const averageBetween = sampledInterval / (points.length - 1);
  if (isCounter && result > 0 && first[1] >= 0) {
    const durationToZero = sampledInterval * (first[1] / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageBetween * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo +=
    durationToStart < threshold ? durationToStart : averageBetween / 2;
  extrapolateTo +=
    durationToEnd < threshold ? durationToEnd : averageBetween / 2;
  result *= extrapolateTo / sampledInterval;
  if (isRate) result /= (rangeEnd - rangeStart) / 1000;
  return result;
}

const OVER_TIME: Record<string, (values: number[]) => number> = {
  max_over_time: v => v.reduce((a, b) => (b > a || Number.isNaN(a) ? b : a)),
  min_over_time: v => v.reduce((a, b) => (b < a || Number.isNaN(a) ? b : a)),
  avg_over_time: v => v.reduce((a, b) => a + b, 0) / v.length,
  sum_over_time: v => v.reduce((a, b) => a + b, 0),
  count_over_time: v => v.length,
  last_over_time: v => v[v.length - 1],
};

function arithmetic(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    default:
      return a ** b;
  }
}

function evaluateNode(node: PromNode, ctx: EvalContext): PromValue {
  switch (node.kind) {
    case 'number':
      return { type: 'scalar', value: node.value };
    case 'string':
      return { type: 'string', value: node.value };
    case 'selector': {
      const at = ctx.time - node.offsetMs;
      const series = ctx.source.select(node.matchers);
      if (node.rangeMs !== undefined) {
        const from = at - node.rangeMs;
        return {
          type: 'matrix',
          series: series
            .map(s => ({
              labels: s.labels,
              points: s.points.filter(([t]) => t > from && t <= at),
            }))
            .filter(s => s.points.length > 0),
        };
      }
      const samples: Array<{ labels: Labels; value: number }> = [];
      for (const s of series) {
        let latest: Point | undefined;
        for (const p of s.points) {
          if (p[0] <= at && p[0] > at - ctx.lookbackMs) latest = p;
        }
        if (latest) samples.push({ labels: s.labels, value: latest[1] });
      }
      return { type: 'vector', samples };
    }
    case 'negate': {
      const v = evaluateNode(node.expr, ctx);
      if (v.type === 'scalar') return { type: 'scalar', value: -v.value };
      if (v.type !== 'vector') throw new PromQLError('bad operand', 'bad_data');
      return {
        type: 'vector',
        samples: v.samples.map(s => ({
          labels: withoutName(s.labels),
          value: -s.value,
        })),
      };
    }
    case 'call':
      return evaluateCall(node.fn, node.args, ctx);
    case 'aggregate':
      return evaluateAggregate(node, ctx);
    case 'binary':
      return evaluateBinary(node.op, node.lhs, node.rhs, ctx);
    default:
      throw new PromQLError('unknown expression', 'bad_data');
  }
}

function evaluateCall(
  fn: string,
  args: PromNode[],
  ctx: EvalContext,
): PromValue {
  if (fn === 'time') return { type: 'scalar', value: ctx.time / 1000 };
  const arg = args.length ? evaluateNode(args[0], ctx) : undefined;
  if (fn === 'vector' && arg?.type === 'scalar') {
    return { type: 'vector', samples: [{ labels: {}, value: arg.value }] };
  }
  if (fn === 'scalar' && arg?.type === 'vector') {
    return {
      type: 'scalar',
      value: arg.samples.length === 1 ? arg.samples[0].value : NaN,
    };
  }
  if (fn === 'abs' && arg?.type === 'vector') {
    return {
      type: 'vector',
      samples: arg.samples.map(s => ({
        labels: withoutName(s.labels),
        value: Math.abs(s.value),
      })),
    };
  }
  if (arg?.type !== 'matrix') {
    throw new PromQLError(`bad argument to "${fn}"`, 'bad_data');
  }
  const selector = args[0] as Extract<PromNode, { kind: 'selector' }>;
  const rangeEnd = ctx.time - selector.offsetMs;
  const rangeStart = rangeEnd - selector.rangeMs!;
  const samples: Array<{ labels: Labels; value: number }> = [];
  for (const s of arg.series) {
    let value: number | undefined;
    if (fn === 'rate' || fn === 'increase' || fn === 'delta') {
      value = extrapolatedDelta(
        s.points,
        rangeStart,
        rangeEnd,
        fn !== 'delta',
        fn === 'rate',
      );
    } else {
      value = OVER_TIME[fn](s.points.map(p => p[1]));
    }
    if (value !== undefined) {
      samples.push({
        labels: fn === 'last_over_time' ? s.labels : withoutName(s.labels),
        value,
      });
    }
  }
  return { type: 'vector', samples };
}

function evaluateAggregate(
  node: Extract<PromNode, { kind: 'aggregate' }>,
  ctx: EvalContext,
): PromValue {
  const v = evaluateNode(node.expr, ctx);
  if (v.type !== 'vector') throw new PromQLError('bad operand', 'bad_data');
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const s of v.samples) {
    let labels: Labels = {};
    if (node.grouping?.without) {
      labels = withoutName(s.labels);
      for (const l of node.grouping.labels) delete labels[l];
    } else if (node.grouping) {
      for (const l of node.grouping.labels) {
        if (s.labels[l] !== undefined && l !== '__name__') {
          labels[l] = s.labels[l];
        }
      }
    }
    const key = signature(labels);
    const group = groups.get(key) ?? { labels, values: [] };
    group.values.push(s.value);
    groups.set(key, group);
  }
  const reduce: Record<AggregateOp, (values: number[]) => number> = {
    sum: values => values.reduce((a, b) => a + b, 0),
    count: values => values.length,
    min: OVER_TIME.min_over_time,
    max: OVER_TIME.max_over_time,
    avg: OVER_TIME.avg_over_time,
  };
  return {
    type: 'vector',
    samples: [...groups.values()].map(g => ({
      labels: g.labels,
      value: reduce[node.op](g.values),
    })),
  };
}

function evaluateBinary(
  op: BinaryOp,
  lhsNode: PromNode,
  rhsNode: PromNode,
  ctx: EvalContext,
): PromValue {
  const lhs = evaluateNode(lhsNode, ctx);
  const rhs = evaluateNode(rhsNode, ctx);
  if (lhs.type === 'scalar' && rhs.type === 'scalar') {
    return { type: 'scalar', value: arithmetic(op, lhs.value, rhs.value) };
  }
  if (lhs.type === 'vector' && rhs.type === 'scalar') {
    return {
      type: 'vector',
      samples: lhs.samples.map(s => ({
        labels: withoutName(s.labels),
        value: arithmetic(op, s.value, rhs.value),
      })),
    };
  }
  if (lhs.type === 'scalar' && rhs.type === 'vector') {
    return {
      type: 'vector',
      samples: rhs.samples.map(s => ({
        labels: withoutName(s.labels),
        value: arithmetic(op, lhs.value, s.value),
      })),
    };
  }
  if (lhs.type !== 'vector' || rhs.type !== 'vector') {
    throw new PromQLError('bad operands', 'bad_data');
  }
  const right = new Map<string, { labels: Labels; value: number }>();
  for (const s of rhs.samples) {
    const key = signature(withoutName(s.labels));
    if (right.has(key)) {
      throw new PromQLError(
        `found duplicate series for the match group ${formatLabels(
          withoutName(s.labels),
        )} on the right hand-side of the operation: [${formatLabels(
          right.get(key)!.labels,
        )}, ${formatLabels(
          s.labels,
        )}];many-to-many matching not allowed: matching labels must be unique on one side`,
        'execution',
      );
    }
    right.set(key, s);
  }
  const seen = new Set<string>();
  const samples: Array<{ labels: Labels; value: number }> = [];
  for (const s of lhs.samples) {
    const labels = withoutName(s.labels);
    const key = signature(labels);
    const match = right.get(key);
    if (!match) continue;
    if (seen.has(key)) {
      throw new PromQLError(
        `multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)`,
        'execution',
      );
    }
    seen.add(key);
    samples.push({ labels, value: arithmetic(op, s.value, match.value) });
  }
  return { type: 'vector', samples };
}

/** Evaluates a parsed query at one time. */
export function evaluatePromQL(node: PromNode, ctx: EvalContext): PromValue {
  const value = evaluateNode(node, ctx);
  if (value.type === 'vector') {
    const seen = new Set<string>();
    for (const s of value.samples) {
      const key = signature(s.labels);
      if (seen.has(key)) {
        throw new PromQLError(
          'vector cannot contain metrics with the same labelset',
          'execution',
        );
      }
      seen.add(key);
    }
  }
  return value;
}

/** The type of a parsed query's answer. */
export function resultTypeOf(node: PromNode): ValueType {
  return typeOf(node);
}
