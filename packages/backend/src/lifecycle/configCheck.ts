import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { ConfigSources } from '@backstage/config-loader';
import { releaseConfigProblems } from '@internal/plugin-release-backend';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parse } from 'yaml';

/** One `${NAME}` of a config file and the key it sets, e.g. `jenkins.baseUrl`. */
export interface ConfigVariableUse {
  name: string;
  key: string;
  /** `${NAME:-fallback}`: the file has a value when NAME is unset. */
  optional: boolean;
}

/** A variable the config needs that the environment does not set, with every key it feeds. */
export interface MissingVariable {
  name: string;
  keys: string[];
}

type Env = Record<string, string | undefined>;

// As Backstage's substitution reads them: `$${X}` is a literal, `${X:-d}` falls back to d.
const REFERENCE = /\$?\$\{([^{}]*)\}/g;

function keyOf(path: (string | number)[]): string {
  return path
    .map(part => (typeof part === 'number' ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
}

/** Every `${NAME}` in a config file's values, with the key it sets, in file order. */
export function configVariableUses(yamlText: string): ConfigVariableUse[] {
  const uses: ConfigVariableUse[] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    if (typeof node === 'string') {
      for (const [match, inner] of node.matchAll(REFERENCE)) {
        if (match.startsWith('$$')) continue;
        const fallback = inner.indexOf(':-');
        const name = (fallback < 0 ? inner : inner.slice(0, fallback)).trim();
        uses.push({ name, key: keyOf(path), optional: fallback >= 0 });
      }
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, i]));
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    }
  };
  walk(parse(yamlText), []);
  return uses;
}

/** Whether a layer sets `path` (a later layer's list replaces an earlier one's whole). */
function setsKey(layer: unknown, path: (string | number)[]): boolean {
  let node = layer;
  for (const part of path) {
    if (Array.isArray(node)) return true;
    if (!node || typeof node !== 'object' || !(part in node)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}

/** `a.b[0].c` as its parts, `['a', 'b', 0, 'c']`. */
export function keyPath(key: string): (string | number)[] {
  return [...key.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map(([, name, index]) =>
    index === undefined ? name : Number(index),
  );
}

/** `APP_CONFIG_backend_baseUrl=…` as a layer of its own, the last one, as Backstage reads it. */
function envLayer(env: Env): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  for (const name of Object.keys(env)) {
    if (!name.startsWith('APP_CONFIG_')) continue;
    const parts = name.slice('APP_CONFIG_'.length).split('_');
    let node = layer;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = true;
  }
  return layer;
}

/**
 * The variables the config files (in load order) read that `env` leaves unset or empty, each with
 * the keys it feeds; one whose key a later file sets anyway is not needed.
 */
export function missingVariables(
  files: Array<{ path: string; text: string }>,
  env: Env,
): MissingVariable[] {
  const layers = [...files.map(f => parse(f.text)), envLayer(env)];
  const missing = new Map<string, Set<string>>();
  files.forEach((file, i) => {
    for (const use of configVariableUses(file.text)) {
      if (use.optional || env[use.name]?.trim()) continue;
      const path = keyPath(use.key);
      if (layers.slice(i + 1).some(layer => setsKey(layer, path))) continue;
      if (!missing.has(use.name)) missing.set(use.name, new Set());
      missing.get(use.name)!.add(use.key);
    }
  });
  return [...missing].map(([name, keys]) => ({ name, keys: [...keys] }));
}

/** The config files `--config` names (remote ones aside), as the config loader resolves them. */
export function configFilesOf(argv: string[]): string[] {
  return ConfigSources.parseArgs(argv)
    .filter(target => target.type === 'path')
    .map(target => resolve(target.target));
}

/** A start refused for what the config lacks; its message lists all of it. */
export class ConfigCheckError extends Error {
  name = 'ConfigCheckError';

  constructor(message: string) {
    super(message);
    // Where the check threw says nothing the message does not; the log shows the message once.
    this.stack = undefined;
  }
}

const count = (n: number, one: string, many: string) =>
  `${n} ${n === 1 ? one : many}`;

/**
 * Checks the whole config before anything starts: every `${VAR}` of the files named by
 * `--config` that is unset (naming the keys it feeds), and every malformed or missing value of the
 * release policy and the systems the portal drives. Throws one {@link ConfigCheckError} listing
 * all of it, so an operator fixes everything in one go instead of one restart per value.
 */
export function checkConfig(
  config: Config,
  options: { logger: LoggerService; argv?: string[]; env?: Env },
): void {
  const files = configFilesOf(options.argv ?? process.argv).map(path => ({
    path,
    text: readFileSync(path, 'utf8'),
  }));
  const env = options.env ?? process.env;
  const missing = missingVariables(files, env);
  const variableOf = new Map<string, string>();
  for (const file of files) {
    for (const use of configVariableUses(file.text)) {
      variableOf.set(use.key, use.name);
    }
  }
  const malformed = releaseConfigProblems(config, {
    logger: options.logger,
    incomplete: missing.flatMap(m => m.keys),
  }).map(problem => {
    // Names the variable behind a key the message names, where there is one.
    const names = [...variableOf]
      .filter(([key]) => problem.includes(key))
      .map(([, name]) => name);
    return names.length
      ? `${problem} (${[...new Set(names)].join(', ')})`
      : problem;
  });
  if (missing.length === 0 && malformed.length === 0) return;

  const parts: string[] = [];
  if (missing.length > 0) {
    parts.push(
      `${count(
        missing.length,
        'environment variable is',
        'environment variables are',
      )} not set: ${missing
        .map(m => `${m.name} (${m.keys.join(', ')})`)
        .join(', ')}.`,
    );
  }
  if (malformed.length > 0) {
    parts.push(
      `${count(
        malformed.length,
        'value is',
        'values are',
      )} wrong: ${malformed.join('; ')}.`,
    );
  }
  const read = files.length
    ? ` of ${files.map(f => basename(f.path)).join(', ')}`
    : '';
  throw new ConfigCheckError(
    `The config check${read} failed. ${parts.join(' ')}`,
  );
}
