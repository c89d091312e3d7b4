import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openDatabase, type Database } from '../../src/platform/db/index.js';

/**
 * The backends every integration suite runs against. The embedded one always runs; the
 * distributed one runs when DATABASE_URL and REDIS_URL point at real servers.
 */
export interface Backend {
  name: 'embedded' | 'postgres+redis';
  databaseUrl?: string;
  redisUrl?: string;
}

const env = process.env;

export const backends: Backend[] = [
  { name: 'embedded' },
  ...(env.DATABASE_URL && env.REDIS_URL
    ? [{ name: 'postgres+redis' as const, databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }]
    : []),
];

export interface FreshDatabase {
  database: Database;
  /** URL of the fresh database; undefined for the embedded one. */
  url: string | undefined;
  /** Closes the database and, on PostgreSQL, drops it. */
  drop(): Promise<void>;
}

const randomSuffix = (): string => randomBytes(6).toString('hex');

/**
 * A migrated, empty database: in-memory PGlite for the embedded backend, a uniquely named
 * database on the server of `backend.databaseUrl` otherwise, so suites never see each
 * other's rows.
 */
export async function freshDatabase(backend: Backend): Promise<FreshDatabase> {
  if (!backend.databaseUrl) {
    const database = await openDatabase({ dataDir: 'memory://' });
    await migrate(database);
    return { database, url: undefined, drop: () => database.close() };
  }
  const name = `obscura_t_${randomSuffix()}`;
  await adminQuery(backend.databaseUrl, `create database ${name}`);
  const url = new URL(backend.databaseUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({
    databaseUrl: url.toString(),
    dataDir: 'memory://',
    poolSize: 5,
  });
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    await adminQuery(backend.databaseUrl, `drop database if exists ${name} with (force)`);
    throw err;
  }
  let dropped = false;
  return {
    database,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await database.close();
      await adminQuery(
        backend.databaseUrl as string,
        `drop database if exists ${name} with (force)`,
      );
    },
  };
}

/** A Redis key prefix no other test uses, so suites can share one Redis. */
export const uniqueRedisPrefix = (): string => `obscura_t_${randomSuffix()}`;

async function adminQuery(databaseUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
