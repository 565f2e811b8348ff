import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';

/** The databases a bench runs on: a SQLite file in a temp dir, or a fresh PostgreSQL database. */
export type DatabaseId = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  knex: Knex;
  version: string;
  where: string;
  close(): Promise<void>;
}

/** Cleanups to run if the bench is interrupted, so no temp dir or database is left behind. */
export const cleanups = new Set<() => Promise<void>>();

/** Runs every cleanup when the bench is interrupted or runs past `watchdogMs`. */
export function cleanUpOnExit(watchdogMs: number, label: string) {
  setTimeout(() => {
    process.stderr.write(
      `${label}: gave up after ${(watchdogMs / 1000).toFixed(0)} s\n`,
    );
    Promise.allSettled([...cleanups].map(c => c())).finally(() =>
      process.exit(1),
    );
  }, watchdogMs).unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      Promise.allSettled([...cleanups].map(c => c())).finally(() =>
        process.exit(130),
      );
    });
  }
}

function sqlite(filename: string): Knex {
  // As the Backstage SQLite connector makes it: null defaults, foreign keys on.
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      afterCreate(
        conn: { pragma(s: string): unknown },
        done: (e: Error | null, c: unknown) => void,
      ) {
        conn.pragma('foreign_keys = ON');
        done(null, conn);
      },
    },
  });
}

export const databases: Record<
  DatabaseId,
  { label: string; open(): Promise<OpenedDatabase> }
> = {
  sqlite: {
    label: 'SQLite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'kop-bench-'));
      const filename = join(dir, 'release.sqlite');
      const knex = sqlite(filename);
      const close = async () => {
        cleanups.delete(close);
        await knex.destroy();
        rmSync(dir, { recursive: true, force: true });
      };
      cleanups.add(close);
      const [{ v }] = await knex.raw('select sqlite_version() as v');
      return {
        knex,
        version: `SQLite ${v}`,
        where: filename,
        close,
      };
    },
  },
  postgres: {
    label: 'PostgreSQL',
    async open() {
      const base =
        process.env.KOP_BENCH_PG ??
        process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
        'postgresql://postgres@127.0.0.1:5432';
      const urlOf = (db: string) => {
        const url = new URL(base);
        url.pathname = `/${db}`;
        return url.toString();
      };
      const name = `kop_bench_${process.pid}_${Date.now().toString(36)}`;
      const admin = knexFactory({
        client: 'pg',
        connection: urlOf('postgres'),
        pool: { min: 0, max: 1 },
      });
      await admin.raw('CREATE DATABASE ??', [name]);
      // As the Backstage PostgreSQL connector makes it: pool min 0, knex's default max of 10.
      const knex = knexFactory({
        client: 'pg',
        connection: urlOf(name),
        pool: { min: 0, max: 10 },
      });
      const close = async () => {
        cleanups.delete(close);
        await knex.destroy();
        await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
        await admin.destroy();
      };
      cleanups.add(close);
      const { rows } = await knex.raw('show server_version');
      const host = new URL(base).host;
      return {
        knex,
        version: `PostgreSQL ${rows[0].server_version}`,
        where: `${host}/${name}`,
        close,
      };
    },
  },
};
