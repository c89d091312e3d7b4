import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The endpoints through which Bybit, OKX and Coinbase Advanced report what an API key may do,
 * with each exchange's own request signing checked and its own error bodies, so that CCXT's
 * implicit methods (`privateGetV5UserQueryApi`, `privateGetAccountConfig`,
 * `v3PrivateGetBrokerageKeyPermissions`) can be exercised offline.
 */

export interface BybitKey {
  apiKey: string;
  secret: string;
  readOnly: 0 | 1;
  permissions: Partial<Record<BybitGroup, string[]>>;
  ips?: string[];
}
type BybitGroup =
  | 'ContractTrade'
  | 'Spot'
  | 'Wallet'
  | 'Options'
  | 'Derivatives'
  | 'CopyTrading'
  | 'BlockTrade'
  | 'Exchange'
  | 'NFT'
  | 'Affiliate'
  | 'Earn';

export interface OkxKey {
  apiKey: string;
  secret: string;
  passphrase: string;
  /** e.g. "read_only,trade" */
  perm: string;
  ip?: string;
}

export interface CoinbaseKey {
  /** `organizations/{org}/apiKeys/{key}`, the JWT's `kid` and `sub`. */
  name: string;
  /** The CDP key's public half (the private half goes to CCXT as the secret). */
  publicKey: string;
  can_view: boolean;
  can_trade: boolean;
  can_transfer: boolean;
}

interface Reply {
  status: number;
  body: unknown;
}

const hmacHex = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(payload).digest('hex');
const hmacB64 = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(payload).digest('base64');

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return typeof v === 'string' ? v : undefined;
};

export class FakeKeyPermissions {
  readonly bybit = new Map<string, BybitKey>();
  readonly okx = new Map<string, OkxKey>();
  readonly coinbase = new Map<string, CoinbaseKey & { key: KeyObject }>();
  private port = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeKeyPermissions> {
    const server = createServer();
    const fake = new FakeKeyPermissions(server);
    server.on('request', (req, res) => fake.onRequest(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  addBybit(k: BybitKey): BybitKey {
    this.bybit.set(k.apiKey, k);
    return k;
  }

  addOkx(k: OkxKey): OkxKey {
    this.okx.set(k.apiKey, k);
    return k;
  }

  addCoinbase(k: CoinbaseKey): CoinbaseKey {
    this.coinbase.set(k.name, { ...k, key: createPublicKey(k.publicKey) });
    return k;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = q < 0 ? '' : url.slice(q + 1);
      let reply: Reply;
      if (req.method === 'GET' && path === '/v5/user/query-api')
        reply = this.bybitQueryApi(req, query);
      else if (req.method === 'GET' && path === '/api/v5/account/config')
        reply = this.okxConfig(req, url);
      else if (req.method === 'GET' && path === '/api/v3/brokerage/key_permissions')
        reply = this.coinbasePermissions(req, path);
      else reply = { status: 404, body: 'Not Found' };
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res
        .writeHead(reply.status, {
          'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
        })
        .end(text);
    });
  }

  /** Bybit v5: HMAC-SHA256 hex of timestamp + key + recvWindow + query string. */
  private bybitQueryApi(req: IncomingMessage, query: string): Reply {
    const now = Date.now();
    const err = (retCode: number, retMsg: string): Reply => ({
      status: 200,
      body: { retCode, retMsg, result: {}, retExtInfo: {}, time: now },
    });
    const apiKey = header(req, 'X-BAPI-API-KEY');
    const ts = header(req, 'X-BAPI-TIMESTAMP') ?? '';
    const recv = header(req, 'X-BAPI-RECV-WINDOW') ?? '5000';
    const key = apiKey ? this.bybit.get(apiKey) : undefined;
    if (!key) return err(10003, 'API key is invalid.');
    const expected = hmacHex(key.secret, ts + key.apiKey + recv + query);
    if (!same(expected, header(req, 'X-BAPI-SIGN') ?? '')) {
      return err(10004, 'error sign! origin_string[' + ts + key.apiKey.slice(0, 4) + '…]');
    }
    if (Math.abs(now - Number(ts)) > Number(recv)) {
      return err(10002, 'invalid request, please check your server timestamp or recv_window param');
    }
    const groups: BybitGroup[] = [
      'ContractTrade',
      'Spot',
      'Wallet',
      'Options',
      'Derivatives',
      'CopyTrading',
      'BlockTrade',
      'Exchange',
      'NFT',
      'Affiliate',
      'Earn',
    ];
    return {
      status: 200,
      body: {
        retCode: 0,
        retMsg: '',
        result: {
          id: '13770661',
          note: 'obscura',
          apiKey: key.apiKey,
          readOnly: key.readOnly,
          secret: '',
          permissions: Object.fromEntries(groups.map((g) => [g, key.permissions[g] ?? []])),
          ips: key.ips ?? ['*'],
          type: 1,
          deadlineDay: 66,
          expiredAt: '2026-12-31T00:00:00Z',
          createdAt: '2025-01-01T00:00:00Z',
          unified: 0,
          uta: 1,
          userID: 24617703,
          inviterID: 0,
          vipLevel: 'No VIP',
          mktMakerLevel: '0',
          affiliateID: 0,
          rsaPublicKey: '',
          isMaster: true,
          parentUid: '0',
          kycLevel: 'LEVEL_DEFAULT',
          kycRegion: '',
        },
        retExtInfo: {},
        time: now,
      },
    };
  }

  /** OKX v5: base64 HMAC-SHA256 of timestamp + method + request path (with query) + body. */
  private okxConfig(req: IncomingMessage, pathWithQuery: string): Reply {
    const fail = (code: string, msg: string): Reply => ({ status: 401, body: { msg, code } });
    const apiKey = header(req, 'OK-ACCESS-KEY');
    const key = apiKey ? this.okx.get(apiKey) : undefined;
    if (!key) return fail('50111', 'Invalid OK-ACCESS-KEY');
    const ts = header(req, 'OK-ACCESS-TIMESTAMP') ?? '';
    const expected = hmacB64(key.secret, ts + 'GET' + pathWithQuery);
    if (!same(expected, header(req, 'OK-ACCESS-SIGN') ?? '')) return fail('50113', 'Invalid Sign');
    if (header(req, 'OK-ACCESS-PASSPHRASE') !== key.passphrase) {
      return fail('50105', 'Invalid OK-ACCESS-PASSPHRASE');
    }
    if (Math.abs(Date.now() - Date.parse(ts)) > 30_000) {
      return fail('50102', 'Timestamp request expired');
    }
    return {
      status: 200,
      body: {
        code: '0',
        data: [
          {
            acctLv: '2',
            autoLoan: false,
            ctIsoMode: 'automatic',
            greeksType: 'PA',
            level: 'Lv1',
            levelTmp: '',
            mgnIsoMode: 'automatic',
            posMode: 'net_mode',
            spotOffsetType: '',
            uid: '44705892343619584',
            mainUid: '44705892343619584',
            label: 'obscura',
            roleType: '0',
            traderInsts: [],
            spotRoleType: '0',
            spotTraderInsts: [],
            opAuth: '0',
            kycLv: '3',
            ip: key.ip ?? '',
            perm: key.perm,
            liquidationGear: '-1',
            enableSpotBorrow: false,
            spotBorrowAutoRepay: false,
            type: '0',
            settleCcy: 'USDT',
            settleCcyList: ['USD', 'USDC', 'USDG'],
          },
        ],
        msg: '',
      },
    };
  }

  /** Coinbase CDP: a Bearer JWT signed ES256 by the key, naming this method and path. */
  private coinbasePermissions(req: IncomingMessage, path: string): Reply {
    const unauthorized: Reply = { status: 401, body: 'Unauthorized\n' };
    const auth = header(req, 'authorization') ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) return unauthorized;
    let head: { alg?: string; kid?: string };
    let claims: { sub?: string; nbf?: number; exp?: number; uri?: string };
    try {
      head = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return unauthorized;
    }
    const key = head.kid ? this.coinbase.get(head.kid) : undefined;
    if (!key || head.alg !== 'ES256' || claims.sub !== key.name) return unauthorized;
    const valid = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: key.key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    );
    const now = Math.floor(Date.now() / 1000);
    const uriOk =
      typeof claims.uri === 'string' && claims.uri.startsWith('GET ') && claims.uri.endsWith(path);
    if (!valid || !uriOk || (claims.exp ?? 0) < now || (claims.nbf ?? Infinity) > now + 5) {
      return unauthorized;
    }
    return {
      status: 200,
      body: {
        can_view: key.can_view,
        can_trade: key.can_trade,
        can_transfer: key.can_transfer,
        portfolio_uuid: '8f6e1b7c-0d2a-4a4e-9b6f-2c5d3e1a0f11',
        portfolio_type: 'DEFAULT',
      },
    };
  }
}
