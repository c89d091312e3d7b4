/**
 * The composition root: the one place that knows every module. `buildApp(config, opts)` wires
 * the database, the bus, the outbox relay, the modules and the HTTP server for a role, and
 * returns handles to start and stop it. Tests build apps with it and drive them with
 * `app.http.inject(...)`.
 */
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import {
  createIdentityModule,
  rateLimitSubjects,
  type IdentityModule,
} from '../modules/identity/index.js';
import { createCopyModule, type CopyModule } from '../modules/copy/index.js';
import { createMarketModule, type MarketModule } from '../modules/market/index.js';
import { createRealtimeModule } from '../modules/realtime/index.js';
import { createSignalsModule, type SignalsModule } from '../modules/signals/index.js';
import { createTradingModule, type TradingModule } from '../modules/trading/index.js';
import { createVaultModule, type VaultModule } from '../modules/vault/index.js';
import { createBus, Outbox, OutboxRelay, type EventBus } from '../platform/bus/index.js';
import { ConfigError } from '../platform/config/index.js';
import { migrate, openDatabase, type Database } from '../platform/db/index.js';
import { createFeed, type Feed } from '../platform/feed/index.js';
import {
  createHttpServer,
  rateLimitHook,
  type HttpServer,
  type RateLimits,
} from '../platform/http/index.js';
import { createLogger, type Logger } from '../platform/logging/logger.js';
import { Metrics } from '../platform/metrics/metrics.js';
import type { Role } from '../platform/module.js';
import { createRateLimiter, type RateLimiter } from '../platform/ratelimit/index.js';
import type { AppConfig } from './config.js';
import { seedDemo } from './demo.js';
import { DemoLeaders } from './demo-leaders.js';
import { DemoSignals } from './demo-signals.js';
import { opsRoutes } from './ops-routes.js';
import { VERSION } from './version.js';
import { webUiRoutes } from './web-ui.js';

export interface BuildOptions {
  role?: Role;
  clock?: Clock;
  logDestination?: DestinationStream;
  /** Apply pending migrations before serving (default true). */
  migrate?: boolean;
}

export interface App {
  config: AppConfig;
  role: Role;
  http: HttpServer;
  database: Database;
  bus: EventBus;
  /** Live, fire-and-forget messages for screens (market data, account updates). */
  feed: Feed;
  outbox: Outbox;
  logger: Logger;
  metrics: Metrics;
  identity: IdentityModule;
  vault: VaultModule;
  market: MarketModule;
  trading: TradingModule;
  copy: CopyModule;
  signals: SignalsModule;
  /** Starts consumers and the relay (HTTP is ready for inject; call `listen` to bind a port). */
  start(): Promise<void>;
  listen(): Promise<string>;
  /** Graceful stop: finish requests, flush the outbox, stop consumers, close connections. */
  close(): Promise<void>;
}

export async function buildApp(config: AppConfig, opts: BuildOptions = {}): Promise<App> {
  const role = opts.role ?? 'all';
  if (role !== 'all' && !config.redisUrl) {
    // The in-process bus delivers only to consumers in the same process: an api-only process
    // would publish events nobody receives, and a worker-only one would never see any.
    throw new ConfigError([
      `--role ${role} needs REDIS_URL (and DATABASE_URL): the embedded bus lives inside one process`,
    ]);
  }
  const clock = opts.clock ?? systemClock;
  const logger = createLogger({ level: config.logLevel, destination: opts.logDestination });
  const metrics = new Metrics();
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
  });
  const cleanups: Array<() => Promise<void>> = [() => database.close()];
  try {
    if (opts.migrate !== false) {
      const applied = await migrate(database);
      if (applied.length) logger.info({ at: 'app#migrate', applied }, 'migrations applied');
    }
    // Consumers' transactions run through the outbox, so what they emit leaves at commit.
    const outbox = new Outbox(database.db, clock);
    const bus = await createBus({
      redisUrl: config.redisUrl,
      redisPrefix: config.redisPrefix,
      database,
      logger,
      metrics,
      maxAttempts: config.busMaxAttempts,
      retryBaseMs: config.busRetryBaseMs,
      claimIdleMs: config.busClaimIdleMs,
      outbox,
    });
    cleanups.unshift(() => bus.close());
    const feed = await createFeed({
      redisUrl: config.redisUrl,
      redisPrefix: config.redisPrefix,
      logger,
    });
    cleanups.unshift(() => feed.close());
    const rateLimiter: RateLimiter = createRateLimiter({
      redisUrl: config.redisUrl,
      prefix: config.redisPrefix,
      clock,
    });
    cleanups.unshift(() => rateLimiter.close());
    const limits: RateLimits = {
      windowSeconds: config.rateLimitWindowSeconds,
      general: config.rateLimitGeneral,
      execution: config.rateLimitExecution,
    };

    const identity = createIdentityModule({
      database,
      outbox,
      clock,
      rateLimiter,
      logger,
      config,
      limits,
    });
    const vault = await createVaultModule({
      database,
      outbox,
      logger,
      clock,
      config: {
        masterKey: config.vaultMasterKey,
        oldMasterKeys: config.vaultOldMasterKeys,
        keyFile: config.vaultMasterKey
          ? undefined
          : (config.vaultKeyFile ??
            (config.dataDir === 'memory://' ? undefined : join(config.dataDir, 'vault-keys.json'))),
      },
    });
    await vault.verify();
    const market = createMarketModule({
      database,
      feed,
      clock,
      logger,
      config,
      runsSource: role !== 'api',
    });
    const realtime = createRealtimeModule({
      feed,
      auth: identity.service,
      config,
      logger,
      metrics,
    });
    const trading = createTradingModule({
      database,
      outbox,
      clock,
      logger,
      config,
      feed,
      market: market.view,
      runVenue: role !== 'api',
      vault: vault.vault,
    });
    const copy = createCopyModule({
      database,
      outbox,
      clock,
      logger,
      config,
      feed,
      trading: trading.service,
      market: market.view,
    });
    const signals = createSignalsModule({
      database,
      outbox,
      feed,
      clock,
      logger,
      metrics,
      config,
      market: { view: market.view, service: market.service },
      trading: trading.service,
      runsConsumers: role !== 'api',
    });
    // Copy and signals stop before trading: their orders in flight still need the venue.
    const modules = [identity, vault, market, realtime, copy, signals, trading];

    let shuttingDown = false;
    const http = await createHttpServer({
      logger,
      metrics,
      bodyLimit: config.bodyLimit,
      trustProxy: config.trustProxy,
      corsOrigins: config.corsOrigins,
      version: VERSION,
      closing: () => shuttingDown,
      docs: role !== 'worker',
    });
    // Gauges are refreshed on every /metrics scrape; the interval only keeps them from going stale.
    const relay = new OutboxRelay({
      database,
      bus,
      outbox,
      logger,
      metrics,
      pollMs: config.outboxPollMs,
      statsIntervalMs: 15_000,
    });
    await opsRoutes(http, {
      database,
      bus,
      feed,
      outbox,
      metrics,
      relay,
      role,
      warmingUp: () => {
        const progress = market.service.status().progress;
        const b = progress?.backfill;
        if (!b) return undefined;
        if (b.done) return null;
        const reached = progress.marketTime ?? b.from;
        const pct = Math.floor(((reached - b.from) / Math.max(1, b.to - b.from)) * 100);
        return `making up the synthetic market's history (${Math.max(0, Math.min(99, pct))} %): orders get a price once it is live`;
      },
    });
    if (role !== 'worker') {
      http.addHook('onRequest', rateLimitHook(rateLimiter, limits, rateLimitSubjects, clock));
      for (const m of modules) await m.routes?.(http);
      await webUiRoutes(http, {
        mode: config.webUi,
        logger,
        demo: config.embedded && config.demoSeed,
      });
    } else {
      // Workers serve only health, readiness and metrics; identity's decorator backs admin auth.
      http.decorate('identity', { service: identity.service, limiter: rateLimiter, limits });
    }
    await http.ready();

    const demo = config.embedded && config.demoSeed && role !== 'worker';
    if (demo) await seedDemo(identity.service, logger);
    const demoSignals = demo
      ? new DemoSignals({
          identity: identity.service,
          signals: signals.service,
          market: market.view,
          clock,
          logger,
          intervalMs: config.demoSignalsMs,
        })
      : undefined;
    const demoLeaders = demo
      ? new DemoLeaders({
          identity: identity.service,
          copy: copy.service,
          trading: trading.service,
          market: market.view,
          logger,
          intervalMs: config.demoLeadersMs,
        })
      : undefined;

    let started = false;
    let closing: Promise<void> | undefined;
    const app: App = {
      config,
      role,
      http,
      database,
      bus,
      feed,
      outbox,
      logger,
      metrics,
      identity,
      vault,
      market,
      trading,
      copy,
      signals,
      async start() {
        if (started) return;
        started = true;
        await market.start();
        await trading.start();
        await copy.start();
        await signals.start();
        demoSignals?.start();
        await demoLeaders?.start();
        if (role !== 'api') {
          for (const m of modules) for (const c of m.consumers ?? []) await bus.subscribe(c);
        }
        relay.start();
      },
      async listen() {
        await app.start();
        return http.listen({ port: config.port, host: config.host });
      },
      close() {
        closing ??= (async () => {
          const deadline = Date.now() + config.shutdownTimeoutMs;
          const step = (what: string) =>
            logger.debug({ at: 'app#close', step: what }, 'shutdown step');
          step('http');
          demoSignals?.stop();
          await demoLeaders?.stop();
          // Answers sent from now on close their connection, so a client's keep-alive socket
          // does not hold close() open until its timeout. Sockets still idle a second later are
          // closed by the sweep. A connection that never finishes a request (a browser's
          // speculative pre-connection, a client stalled mid-headers) counts as busy to the
          // sweep and would hold close() until the headers timeout, a minute: whatever is left
          // at half the shutdown time is closed, leaving the rest for the outbox.
          shuttingDown = true;
          let sweep: NodeJS.Timeout | undefined;
          const late = setTimeout(() => {
            sweep = setInterval(() => http.server.closeIdleConnections(), 100);
          }, 1000);
          const force = setTimeout(
            () => http.server.closeAllConnections(),
            Math.max(1000, Math.floor(config.shutdownTimeoutMs / 2)),
          );
          await http.close().finally(() => {
            clearTimeout(late);
            clearInterval(sweep);
            clearTimeout(force);
          });
          if (started) {
            step('outbox');
            await relay.flush(Math.max(100, deadline - Date.now()));
            await relay.stop();
          }
          for (const m of modules) {
            step(m.name);
            await m.stop?.();
          }
          step('connections');
          for (const c of cleanups)
            await c().catch((err) => logger.warn({ at: 'app#close', err }, 'cleanup failed'));
          logger.flush?.();
        })();
        return closing;
      },
    };
    return app;
  } catch (err) {
    for (const c of cleanups) await c().catch(() => {});
    throw err;
  }
}
