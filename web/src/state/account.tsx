import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { isTransient, messageOf } from '../lib/api';
import { useApi, useChannel, useInterval, useResync } from '../lib/hooks';
import {
  OPEN_STATUSES,
  type Account,
  type Balance,
  type Fill,
  type Order,
  type Position,
} from '../lib/types';

/**
 * The signed-in trader's paper account: balances, positions, open orders, recent fills and
 * valuation. Read over REST on start, after every action and after a reconnect; kept current in
 * between by the private channels orders, fills, balances and positions. Equity moves with
 * prices, which no channel carries, so the valuation is also re-read every few seconds.
 */

export interface EquitySample {
  at: number;
  equity: string;
  /** A snapshot the server stored, rather than a value this tab read. */
  stored?: boolean;
}

interface AccountData {
  accounts: Account[];
  balances: Balance[];
  positions: Position[];
  openOrders: Order[];
  fills: Fill[];
  /**
   * Equity of the default account as this tab read it since it opened; the portfolio page
   * puts it after the server's stored snapshots.
   */
  equityHistory: EquitySample[];
  loaded: boolean;
  error: string | undefined;
  refresh(): Promise<void>;
}

const AccountContext = createContext<AccountData | null>(null);
const VALUATION_MS = 10_000;
const MAX_SAMPLES = 5_000;
const MAX_FILLS = 200;
const RETRY_MS = 5_000;

const isOpen = (o: Order) => OPEN_STATUSES.includes(o.status);

export function AccountProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [balances, setBalances] = useState<Balance[]>([]);
  const [positions, setPositions] = useState<Position[]>([]);
  const [openOrders, setOpenOrders] = useState<Order[]>([]);
  const [fills, setFills] = useState<Fill[]>([]);
  const [equityHistory, setEquityHistory] = useState<EquitySample[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string>();
  // The newest version seen of each order, from either source: a REST answer that left the
  // server before a live update must not bring back an order the update closed.
  const versions = useRef(new Map<string, { version: number; open: boolean }>());
  const retry = useRef<ReturnType<typeof setTimeout>>(undefined);

  const sawAccounts = useCallback((list: Account[]) => {
    setAccounts(list);
    const main = list.find((a) => a.isDefault) ?? list[0];
    if (main)
      setEquityHistory((h) => [
        ...h.slice(-MAX_SAMPLES + 1),
        { at: Date.now(), equity: main.equity },
      ]);
  }, []);

  const sawOrder = useCallback((o: Order) => {
    const known = versions.current.get(o.id);
    if (known && known.version > o.version) return;
    versions.current.set(o.id, { version: o.version, open: isOpen(o) });
    setOpenOrders((list) => {
      const rest = list.filter((x) => x.id !== o.id);
      return isOpen(o) ? [o, ...rest].sort(newestFirst) : rest;
    });
  }, []);

  const refresh = useCallback(async () => {
    try {
      const [acc, bal, pos, orders, fl] = await Promise.all([
        api.get<Account[]>('/api/v1/trading/accounts'),
        api.get<Balance[]>('/api/v1/trading/balances'),
        api.get<Position[]>('/api/v1/trading/positions'),
        api.get<Order[]>('/api/v1/trading/orders?status=open&limit=200'),
        api.get<Fill[]>(`/api/v1/trading/fills?limit=${MAX_FILLS}`),
      ]);
      sawAccounts(acc);
      setBalances(bal);
      setPositions(pos);
      setOpenOrders(
        orders.filter((o) => {
          const known = versions.current.get(o.id);
          return !known || known.version <= o.version || known.open;
        }),
      );
      setFills(fl);
      setError(undefined);
    } catch (err) {
      setError(messageOf(err));
      // Rate-limited or unreachable: what is on screen is incomplete, so read it all again soon.
      clearTimeout(retry.current);
      if (isTransient(err)) retry.current = setTimeout(() => void refreshRef.current(), RETRY_MS);
    } finally {
      setLoaded(true);
    }
  }, [api, sawAccounts]);
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;

  const revalue = useCallback(async () => {
    try {
      const [acc, pos] = await Promise.all([
        api.get<Account[]>('/api/v1/trading/accounts'),
        api.get<Position[]>('/api/v1/trading/positions'),
      ]);
      sawAccounts(acc);
      setPositions(pos);
    } catch {
      // The next round will try again; a failed refresh of marks is not worth a banner.
    }
  }, [api, sawAccounts]);

  useEffect(() => {
    void refresh();
  }, [refresh]);
  useResync(() => void refresh());
  useInterval(() => void revalue(), VALUATION_MS);

  // A fill changes cash and positions at once; the valuation follows shortly after.
  const revalueSoon = useRef<ReturnType<typeof setTimeout>>(undefined);
  useChannel<Order>({ channel: 'orders' }, sawOrder);
  useChannel<Fill>({ channel: 'fills' }, (f) => {
    setFills((list) => (list.some((x) => x.id === f.id) ? list : [f, ...list].slice(0, MAX_FILLS)));
    clearTimeout(revalueSoon.current);
    revalueSoon.current = setTimeout(() => void revalue(), 300);
  });
  useChannel<Balance[]>({ channel: 'balances' }, setBalances);
  useChannel<Position[]>({ channel: 'positions' }, setPositions);
  useEffect(
    () => () => {
      clearTimeout(revalueSoon.current);
      clearTimeout(retry.current);
    },
    [],
  );

  const value: AccountData = {
    accounts,
    balances,
    positions,
    openOrders,
    fills,
    equityHistory,
    loaded,
    error,
    refresh,
  };
  return <AccountContext.Provider value={value}>{children}</AccountContext.Provider>;
}

const newestFirst = (a: Order, b: Order) =>
  a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0;

export function useAccount(): AccountData {
  const a = useContext(AccountContext);
  if (!a) throw new Error('useAccount outside <AccountProvider>');
  return a;
}
