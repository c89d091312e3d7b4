/**
 * Vault decrypt throughput, each figure beside a baseline measured in the same run:
 *
 *   npx tsx bench/vault.ts            (embedded PGlite; add DATABASE_URL=postgres://… for PostgreSQL too)
 *   BENCH_SECONDS=3 npx tsx bench/vault.ts
 *
 * - crypto: the vault's decrypt path without I/O (unwrap the data key under the master key,
 *   open the payload, decode it) against one bare AES-256-GCM open of a payload of the same
 *   size, the least any envelope scheme must do;
 * - decryptForExecution: the real entry point, database read included, against the same read
 *   alone, so the ratio shows what the crypto adds on top of the database;
 * - decryptManyForExecution: the fan-out entry point (one read for a batch), counted per
 *   credential, against the same batched read alone.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { systemClock } from '../src/core/clock.js';
import { newId } from '../src/core/ids.js';
import { createVaultModule } from '../src/modules/vault/index.js';
import { generateMasterKey, openCredential, sealCredential } from '../src/modules/vault/crypto.js';
import { findSealed, findSealedMany } from '../src/modules/vault/store.js';
import { Outbox } from '../src/platform/bus/index.js';
import { migrate, openDatabase, type Database } from '../src/platform/db/index.js';
import { createLogger } from '../src/platform/logging/logger.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const RECORDS = 1000;
const TARGET = 20_000;

interface Row {
  name: string;
  opsPerSec: number;
  baseline?: number;
}
const rows: Row[] = [];

function timeSync(fn: () => void): number {
  for (let i = 0; i < 2000; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 200; i++) fn();
    ops += 200;
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}

/** Runs `fn` from `concurrency` loops for the duration; returns completed calls per second. */
async function timeAsync(
  fn: (i: number) => Promise<unknown>,
  concurrency: number,
): Promise<number> {
  for (let i = 0; i < 200; i++) await fn(i);
  let ops = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      let i = w;
      while (performance.now() < end) {
        await fn(i++);
        ops++;
      }
    }),
  );
  return ops / ((performance.now() - start) / 1000);
}

// ---- pure crypto ----
const master = generateMasterKey();
const ref = { credentialId: newId(), userId: newId(), exchange: 'okx' };
const secret = {
  apiKey: randomBytes(32).toString('hex'),
  secret: randomBytes(48).toString('base64'),
  passphrase: 'bench-pass',
};
const stored = sealCredential(master, ref, secret);
const payloadBytes = Buffer.from(stored.sealed, 'base64').length - 28;

const bareKey = randomBytes(32);
const bareIv = randomBytes(12);
const bareCipher = createCipheriv('aes-256-gcm', bareKey, bareIv);
const bareCt = Buffer.concat([bareCipher.update(randomBytes(payloadBytes)), bareCipher.final()]);
const bareTag = bareCipher.getAuthTag();
const bare = timeSync(() => {
  const d = createDecipheriv('aes-256-gcm', bareKey, bareIv);
  d.setAuthTag(bareTag);
  d.update(bareCt);
  d.final();
});
rows.push({ name: `baseline: bare AES-256-GCM open (${payloadBytes} B)`, opsPerSec: bare });
const vaultCrypto = timeSync(() => openCredential(master, ref, stored));
rows.push({ name: 'vault crypto: unwrap + open + decode', opsPerSec: vaultCrypto, baseline: bare });

// ---- through the database ----
async function onDatabase(label: string, database: Database, concurrency: number[]): Promise<void> {
  await migrate(database);
  const userId = newId();
  await database.db
    .insertInto('users')
    .values({
      id: userId,
      email: `${userId}@bench.local`,
      display_name: 'Bench',
      password_hash: 'x',
      role: 'trader',
    })
    .execute();
  const logger = createLogger({ level: 'silent' });
  const mod = await createVaultModule({
    database,
    outbox: new Outbox(database.db, systemClock),
    logger,
    clock: systemClock,
    config: { masterKey: master.key.export().toString('base64') },
  });
  const ids: string[] = [];
  for (let i = 0; i < RECORDS; i++) {
    ids.push(
      (await mod.vault.store(userId, { exchange: 'okx', label: `bench-${i}`, ...secret })).id,
    );
  }
  const pick = (i: number) => ids[(i * 7919) % ids.length]!;
  const BATCH = 100;
  const batchOf = (i: number) => Array.from({ length: BATCH }, (_, k) => pick(i * BATCH + k));
  const readMany = await timeAsync((i) => findSealedMany(database.db, batchOf(i)), 1);
  rows.push({
    name: `baseline: the same rows read alone (${label}, batches of ${BATCH})`,
    opsPerSec: readMany * BATCH,
  });
  const decMany = await timeAsync(
    (i) =>
      mod.vault.decryptManyForExecution(
        batchOf(i).map((credentialId) => ({ credentialId, userId })),
      ),
    1,
  );
  rows.push({
    name: `decryptManyForExecution (${label}, batches of ${BATCH})`,
    opsPerSec: decMany * BATCH,
    baseline: readMany * BATCH,
  });
  for (const c of concurrency) {
    const read = await timeAsync((i) => findSealed(database.db, pick(i), userId), c);
    rows.push({
      name: `baseline: the same row read alone (${label}, ${c} in flight)`,
      opsPerSec: read,
    });
    const dec = await timeAsync((i) => mod.vault.decryptForExecution(pick(i), userId), c);
    rows.push({
      name: `decryptForExecution (${label}, ${c} in flight)`,
      opsPerSec: dec,
      baseline: read,
    });
  }
  await database.close();
}

await onDatabase('PGlite', await openDatabase({ dataDir: 'memory://' }), [1, 16]);
if (process.env.DATABASE_URL) {
  await onDatabase(
    'PostgreSQL',
    await openDatabase({
      databaseUrl: process.env.DATABASE_URL,
      dataDir: 'memory://',
      poolSize: 16,
    }),
    [1, 16],
  );
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const width = Math.max(...rows.map((r) => r.name.length));
console.log(
  `vault decrypt benchmark: node ${process.version}, ${SECONDS} s per case, ${RECORDS} records`,
);
console.log(`${'case'.padEnd(width)}  ${'ops/s'.padStart(10)}  vs baseline`);
for (const r of rows) {
  const ratio = r.baseline ? `${(r.opsPerSec / r.baseline).toFixed(2)}x` : '1.00x (baseline)';
  console.log(`${r.name.padEnd(width)}  ${fmt(r.opsPerSec).padStart(10)}  ${ratio}`);
}
const verdict = (n: number) => (n >= TARGET ? 'meets' : 'misses');
console.log(
  `\ntarget ${fmt(TARGET)} decrypts/s: the crypto path ${verdict(vaultCrypto)} it (${fmt(vaultCrypto)}/s).`,
);
for (const r of rows.filter((x) => x.name.startsWith('decrypt'))) {
  console.log(`  ${r.name}: ${verdict(r.opsPerSec)} it (${fmt(r.opsPerSec)}/s)`);
}
