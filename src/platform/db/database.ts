import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.js';

/** Kysely over any table set; each module narrows it to its own tables in its store. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDB = any;
export type Db = Kysely<AnyDB>;
export type Tx = Transaction<AnyDB>;
/** A store function runs on the database or inside a caller's transaction. */
export type Executor = Db | Tx;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Runs a multi-statement SQL script inside the given transaction (migrations only). */
  execScript(tx: Tx, script: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8 = 20;
const NUMERIC = 1700;

export interface OpenOptions {
  databaseUrl?: string | undefined;
  /** Folder of the embedded database; `memory://` keeps it in memory (tests). */
  dataDir: string;
  poolSize?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  return opts.databaseUrl
    ? openPostgres(opts.databaseUrl, opts.poolSize ?? 10)
    : openPGlite(opts.dataDir);
}

async function openPGlite(dataDir: string): Promise<Database> {
  const target = dataDir === 'memory://' ? 'memory://' : `${dataDir.replace(/\/$/, '')}/pglite`;
  let unlock = () => {};
  if (target !== 'memory://') {
    // The database and the key files beside it are this user's alone.
    mkdirSync(target, { recursive: true, mode: 0o700 });
    unlock = lockDataDir(dataDir);
  }
  // Both backends return money (NUMERIC) and 64-bit integers as exact strings.
  const pgl = await PGlite.create(target, {
    parsers: { [INT8]: (v: string) => v, [NUMERIC]: (v: string) => v },
  });
  const db = new Kysely<AnyDB>({ dialect: new PGliteDialect(pgl) });
  return {
    kind: 'pglite',
    db,
    async execScript(_tx, script) {
      // The caller's transaction holds PGlite's only connection, so exec runs inside it.
      await pgl.exec(script);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
      await pgl.close();
      unlock();
    },
  };
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<AnyDB>({ dialect: new PostgresDialect({ pool }) });
  await sql`select 1`.execute(db);
  return {
    kind: 'postgres',
    db,
    async execScript(tx, script) {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await sql.raw(script).execute(tx);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * PGlite is one process's private database: a second process opening the same folder would
 * corrupt it. A pid lock file turns that into a clear error; a lock left by a dead process
 * is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'pglite.lock');
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(file, 'utf8').trim());
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `the embedded database in ${dataDir} is in use by process ${holder}; stop it first, or use DATABASE_URL to share a PostgreSQL database between processes`,
      );
    }
    writeFileSync(file, String(process.pid));
  }
  return () => rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
